//! The `abi-doctor` binary: parse the command line, run, map the outcome to an exit code.

/// mimalloc: a warm `check` allocates and frees ~100,000 small strings (the remembered
/// inventory and facts); glibc malloc spent a quarter of such a run in malloc/free (BENCHMARKS.md).
#[cfg(target_os = "linux")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;

fn main() {
    std::process::exit(cli::run());
}
