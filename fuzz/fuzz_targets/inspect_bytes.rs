//! Fuzz the inspection entry point: any bytes must give facts or an error, never a panic, a hang
//! or an unbounded allocation. Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run inspect_bytes -- -max_total_time=600`
//! (seed the corpus from tests/fixtures/bin so the fuzzer starts from real ELF/Mach-O/PE files).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = abi_doctor::binary::inspect_bytes("fuzz-input", data);
});
