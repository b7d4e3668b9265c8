//! Which NumPy runtimes a module imports under, and what Python prints when it does not.
