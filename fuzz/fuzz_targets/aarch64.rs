//! Fuzz `abi_doctor::fuzzing::aarch64` (src/fuzzing.rs says what the bytes are): any input must
//! return, never panic, hang or allocate without bound. Run all targets: `scripts/fuzz/run.sh`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = abi_doctor::fuzzing::aarch64(data);
});
