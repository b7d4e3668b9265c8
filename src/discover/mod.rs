//! Finding the Python environment to scan: interpreter, version, site-packages directories in
//! sys.path order. Nothing from the environment is executed except the interpreter itself, run
//! isolated (`-I -S`) so that no site-packages code runs.
