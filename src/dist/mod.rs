//! Installed distributions: `*.dist-info` (PEP 376/427/610/627) and `*.egg-info`, which files
//! each owns, and the files nobody owns.
