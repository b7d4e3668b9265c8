//! The `abi-doctor` binary: parse the command line, run, map the outcome to an exit code.

mod cli;

fn main() {
    std::process::exit(cli::run());
}
