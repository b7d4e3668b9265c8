//! Fuzz `abi_doctor::fuzzing::imports` (src/fuzzing.rs says what the bytes are): any input must
//! return, never panic, hang or allocate without bound. Run all targets: `scripts/fuzz/run.sh`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| abi_doctor::fuzzing::imports(data));
