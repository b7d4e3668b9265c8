//! Narrow entry points for the fuzz targets (`fuzz/fuzz_targets/`, run by `scripts/fuzz/run.sh`):
//! one function per parser of outside bytes, each taking the bytes a file, a pipe or a paste would
//! give and driving the parser the way the scan does, without touching the file system. Not an
//! API: the targets only need "returns, without panicking, hanging or allocating without bound".

use std::collections::HashMap;
use std::path::Path;

use crate::binary::object_file::{Container, Range};
use crate::binary::strings::Anchor;
use crate::binary::{aarch64, x86, Arch, Format};
use crate::inventory::{marker_applies, parse_requirement, Platform};

/// Text the way the scan decodes files it reads: UTF-8, else lossily.
fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Every marker through the three-valued evaluator, for the host and for Linux x86-64.
fn markers(marker: &str) {
    for platform in [Platform::linux_x86_64(), Platform::host()] {
        let _ = marker_applies(marker, "3.11", &platform);
    }
}

/// A compiled file (ELF, Mach-O, PE): sniff, container, strings, decoders, everything
/// `inspect` does with a file's bytes.
pub fn binary(data: &[u8]) {
    let _ = crate::binary::inspect_bytes("fuzz-input", data);
}

/// A wheel (zip) in memory: central directory, duplicate names, each binary member inflated
/// under the caps and inspected.
pub fn wheel(data: &[u8]) {
    let _ = crate::wheel::inspect_wheel_reader("fuzz.whl", std::io::Cursor::new(data));
}

/// A dist-info `METADATA` (or `PKG-INFO`): headers, fallbacks, each `Requires-Dist` and its
/// marker.
pub fn metadata(data: &[u8]) {
    let mut diagnostics = Vec::new();
    let meta = crate::inventory::parse_metadata(
        Some(&text(data)),
        Path::new("site-packages/fuzz-1.0.dist-info/METADATA"),
        Path::new("site-packages/fuzz-1.0.dist-info"),
        &mut diagnostics,
    );
    for r in &meta.requires {
        if let Some(m) = &r.marker {
            markers(m);
        }
    }
}

/// A `RECORD`: each CSV row, each path resolved against a site directory and its prefix.
pub fn record(data: &[u8]) {
    let mut diagnostics = Vec::new();
    let _ = crate::inventory::read_record(
        &text(data),
        Path::new("/env/lib/python3.11/site-packages"),
        Path::new("/env/lib/python3.11/site-packages/fuzz-1.0.dist-info/RECORD"),
        &mut diagnostics,
    );
}

/// Requirement lines (`Requires-Dist`, `requires.txt`), each one's marker, and each whole line
/// as a marker (the marker parser on arbitrary text, nesting included).
pub fn requirements(data: &[u8]) {
    for line in text(data).lines() {
        if let Ok((req, _)) = parse_requirement(line) {
            if let Some(m) = &req.marker {
                markers(m);
            }
        }
        markers(line);
    }
}

/// One `.pth` file's bytes.
pub fn pth(data: &[u8]) {
    let _ = crate::discover::parse_pth(data);
}

/// A `pyvenv.cfg`.
pub fn pyvenv_cfg(data: &[u8]) {
    let _ = crate::discover::parse_pyvenv_cfg(&text(data));
}

/// Text pasted into `explain`: the message patterns, then the explanations and remedies.
pub fn explain(data: &[u8]) {
    let t = text(data);
    let _ = crate::messages::find_all(&t);
    let _ = crate::explain::explain(&t);
}

/// A Python source file as the import scanner reads an `__init__.py` (relative imports resolved
/// against a two-level package), then `from X import a` expanded.
pub fn imports(data: &[u8]) {
    let stmts = crate::imports::graph::parse_imports(&text(data), "pkg.sub");
    let _ = crate::imports::graph::expand(&stmts, |m| m.len() % 2 == 0);
}

/// What `verify`'s driver printed: byte 0 is the exit status (bit 7: a signal instead), the rest
/// is stdout, then a NUL, then stderr. Parsed as `verify` parses it, then classified.
pub fn driver_output(data: &[u8]) {
    let Some((&status, rest)) = data.split_first() else {
        return;
    };
    let (stdout, stderr) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let r = crate::verify::parse_driver_output(
        stdout,
        stderr,
        i32::from(status & 0x7f),
        status & 0x80 != 0,
    );
    let failure = crate::verify::Failure {
        exception: r.exception.as_deref(),
        message: r.message.as_deref(),
        cause: r.cause.as_ref().map(|c| c.message.as_str()),
        stderr: &r.stderr,
    };
    let _ = failure.numpy_family();
}

/// Anchors the decoders look for: 32 slots of 8 bytes at `base`, cycling through the ABI format,
/// the API format, a Cython type name and `"numpy"`.
fn anchors(base: u64) -> HashMap<u64, Anchor> {
    let types = crate::knowledge::CYTHON_TYPE_ORDER.len() as u64;
    (0..32u64)
        .map(|i| {
            let kind = match i % 4 {
                0 => Anchor::AbiFormat,
                1 => Anchor::ApiFormat,
                2 => Anchor::TypeName(((i / 4) % types) as u8),
                _ => Anchor::Numpy,
            };
            (base + 8 * i, kind)
        })
        .collect()
}

const RODATA: [u8; 256] = [0; 256];

fn container(
    format: Format,
    arch: Arch,
    code_addr: u64,
    code: &[u8],
    rodata_addr: u64,
) -> Container<'_> {
    Container {
        format,
        arch,
        code: vec![Range {
            addr: code_addr,
            data: code,
        }],
        rodata: vec![Range {
            addr: rodata_addr,
            data: &RODATA,
        }],
        module_init: None,
        needed: vec![],
        exports: vec![],
        imports: vec![],
        problems: vec![],
    }
}

/// The x86-64 call decoder on raw code: byte 0 bit 0 picks the Windows x64 ABI (else System V),
/// the rest is `.text` at 0x1000; the anchors sit at 0x8000 ([`anchors`]). Returns the number of
/// calls whose arguments were read.
pub fn x86_64(data: &[u8]) -> usize {
    let Some((&flags, code)) = data.split_first() else {
        return 0;
    };
    let abi = if flags & 1 == 0 {
        x86::Abi::SysV
    } else {
        x86::Abi::Win64
    };
    let c = container(Format::Elf, Arch::X86_64, 0x1000, code, 0x8000);
    calls(&x86::analyse(&c, &anchors(0x8000), abi))
}

fn calls(f: &crate::binary::CodeFacts) -> usize {
    f.abi.len() + f.feature.len() + f.types.len()
}

/// The AArch64 decoder on raw code: byte 0 bit 0 picks Mach-O (Apple variadic arguments on the
/// stack, else ELF), the rest is `.text` at 0x4000; the anchors sit at 0x5000 ([`anchors`]).
/// Returns the number of calls whose arguments were read.
pub fn aarch64(data: &[u8]) -> usize {
    let Some((&flags, code)) = data.split_first() else {
        return 0;
    };
    let format = if flags & 1 == 0 {
        Format::Elf
    } else {
        Format::MachO
    };
    let c = container(format, Arch::Aarch64, 0x4000, code, 0x5000);
    calls(&aarch64::analyse(&c, &anchors(0x5000)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each entry point takes empty, short and odd input (the fuzz targets' contract).
    #[test]
    fn entry_points_take_any_bytes() {
        let inputs: [&[u8]; 5] = [
            b"",
            b"\x01",
            b"\xff\xfe\x00garbage\n\n\r\n",
            b"Name: x\nRequires-Dist: y ; (python_version > '3')\n",
            b"import os\nfrom . import a, (b\n",
        ];
        for data in inputs {
            binary(data);
            wheel(data);
            metadata(data);
            record(data);
            requirements(data);
            pth(data);
            pyvenv_cfg(data);
            explain(data);
            imports(data);
            driver_output(data);
            x86_64(data);
            aarch64(data);
        }
    }

    /// The committed decoder seeds (scripts/fuzz/make_seeds.py) reach the call evaluation, so
    /// the fuzzer starts from inputs that exercise all of a decoder.
    #[test]
    fn decoder_seeds_reach_calls() {
        assert_eq!(x86_64(include_bytes!("../fuzz/seeds/x86_64/sysv")), 2);
        assert_eq!(x86_64(include_bytes!("../fuzz/seeds/x86_64/win64")), 1);
        assert!(aarch64(include_bytes!("../fuzz/seeds/aarch64/elf")) >= 2);
        assert!(aarch64(include_bytes!("../fuzz/seeds/aarch64/macho")) >= 1);
    }
}
