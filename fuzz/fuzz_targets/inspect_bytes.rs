//! Fuzz the inspection entry point (`abi_doctor::fuzzing::binary`): any bytes must give facts or
//! an error, never a panic, a hang or an unbounded allocation. Run all targets:
//! `scripts/fuzz/run.sh` (it seeds this one from tests/fixtures/bin, real ELF/Mach-O/PE files).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| abi_doctor::fuzzing::binary(data));
