//! Reading the binary members of a wheel in memory.
