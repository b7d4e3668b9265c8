//! The container layer: the only place that uses the `object` crate.
//!
//! It turns an ELF, Mach-O (thin or universal) or PE file into plain data: format, architecture,
//! the code and read-only data ranges with their virtual addresses and file bytes, the exported
//! `PyInit_*` symbol and the libraries the file needs. Everything downstream (string scan,
//! disassembly windows) works on these ranges only, so the three formats share one analysis
//! (docs/binary-evidence.md#method; tests/fixtures/ has PE and Mach-O builds of the same sources).
//!
//! Robustness: `object` validates every offset it reads and returns errors instead of panicking;
//! section data slices it hands out always lie inside the input. We cap the number of ranges and
//! names we keep so a malicious header cannot make us allocate without bound.

use object::read::elf::{ElfFile, FileHeader};
use object::read::macho::{FatArch, MachHeader, MachOFatFile32, MachOFatFile64, MachOFile};
use object::{Object, ObjectSection, ObjectSegment, ObjectSymbol, SectionKind};

use super::{Arch, Format, InspectError};

/// Upper bound on code/data ranges kept. Real extension modules have < 100 sections.
const MAX_RANGES: usize = 4096;
/// Upper bound on needed-library names kept.
const MAX_NEEDED: usize = 1024;
/// Longest library or symbol name we copy.
const MAX_NAME: usize = 4096;

/// A mapped range of the file: virtual address and the bytes the file holds for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Range<'a> {
    pub addr: u64,
    pub data: &'a [u8],
}

impl<'a> Range<'a> {
    /// The file bytes from virtual address `addr` to the end of this range, if `addr` is inside.
    pub fn tail_at(&self, addr: u64) -> Option<&'a [u8]> {
        let off = addr.checked_sub(self.addr)?;
        let off = usize::try_from(off).ok()?;
        self.data.get(off..)
    }
}

/// What the container tells, independent of format.
#[derive(Debug)]
pub(crate) struct Container<'a> {
    pub format: Format,
    pub arch: Arch,
    /// Executable sections (ELF `.text`, Mach-O `__TEXT,__text`, PE `.text`).
    pub code: Vec<Range<'a>>,
    /// Read-only data sections holding C strings (ELF `.rodata`, Mach-O `__cstring`/`__const`,
    /// PE `.rdata`).
    pub rodata: Vec<Range<'a>>,
    /// `PyInit_<name>` without the prefix.
    pub module_init: Option<String>,
    pub needed: Vec<String>,
    /// A shared library's (no `PyInit_*`) exported C-linkage functions: (name, address, size).
    pub exports: Vec<(String, u64, u64)>,
    /// A module's imported C-linkage functions (ELF undefined dynamic symbols), names only.
    pub imports: Vec<String>,
    pub problems: Vec<String>,
}

impl<'a> Container<'a> {
    /// Bytes of the read-only data from `addr` on (bounded by the containing section).
    pub fn rodata_at(&self, addr: u64) -> Option<&'a [u8]> {
        self.rodata.iter().find_map(|r| r.tail_at(addr))
    }
}

/// Unwind and exception tables: compiler-generated binary tables (DWARF CFI, LSDA, Windows
/// unwind codes, Apple compact unwind), never C strings that code loads. They are read-only data
/// to `object`, and in C++ libraries they are as big as `.rodata` itself (libjax_common.so:
/// 30 MB of them beside 20.5 MB of `.rodata`), so the string scan skips them.
fn is_unwind_table(name: &[u8]) -> bool {
    matches!(
        name,
        b".eh_frame"
            | b".eh_frame_hdr"
            | b".gcc_except_table"
            | b"__eh_frame"
            | b"__gcc_except_tab"
            | b"__unwind_info"
            | b".pdata"
            | b".xdata"
    )
}

fn malformed(name: &str, format: &'static str, reason: impl ToString) -> InspectError {
    InspectError::Malformed {
        path: name.to_string(),
        format,
        reason: reason.to_string(),
    }
}

fn format_label(f: Format) -> &'static str {
    match f {
        Format::Elf => "ELF",
        Format::MachO => "Mach-O",
        Format::Pe => "PE",
    }
}

fn arch_of(a: object::Architecture) -> Arch {
    match a {
        object::Architecture::X86_64 => Arch::X86_64,
        object::Architecture::Aarch64 => Arch::Aarch64,
        object::Architecture::I386 => Arch::X86,
        other => Arch::Other(format!("{other:?}").to_ascii_lowercase()),
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_NAME)]).into_owned()
}

/// Parse the container. `format` is what [`super::sniff`] saw in the first bytes.
pub(crate) fn parse<'a>(
    name: &str,
    data: &'a [u8],
    format: Format,
) -> Result<Container<'a>, InspectError> {
    let label = format_label(format);
    let mut problems = Vec::new();
    // Universal (fat) Mach-O: pick one slice. 0xcafebabe is also the Java class-file magic; a
    // class file fails to parse as a fat header and is reported as malformed.
    let file_data: &'a [u8] = if data.starts_with(&[0xca, 0xfe, 0xba, 0xbe])
        || data.starts_with(&[0xca, 0xfe, 0xba, 0xbf])
    {
        let slice = fat_slice(data).map_err(|e| malformed(name, label, e))?;
        problems.push(slice.1);
        slice.0
    } else {
        data
    };
    let file = object::File::parse(file_data).map_err(|e| malformed(name, label, e))?;
    let format = match file.format() {
        object::BinaryFormat::Elf => Format::Elf,
        object::BinaryFormat::MachO => Format::MachO,
        object::BinaryFormat::Pe => Format::Pe,
        other => {
            return Err(malformed(
                name,
                label,
                format!("unsupported object format {other:?}"),
            ))
        }
    };
    let arch = arch_of(file.architecture());

    let mut code = Vec::new();
    let mut rodata = Vec::new();
    // Read-only sections seen, unwind tables included: the segment fallback below is for files
    // without section headers, not for files whose read-only data is all unwind tables.
    let mut saw_rodata = false;
    for section in file.sections() {
        if code.len() + rodata.len() >= MAX_RANGES {
            problems.push(format!("more than {MAX_RANGES} sections; the rest ignored"));
            break;
        }
        let Ok(bytes) = section.data() else {
            continue;
        };
        if bytes.is_empty() {
            continue;
        }
        let range = Range {
            addr: section.address(),
            data: bytes,
        };
        match section.kind() {
            SectionKind::Text => code.push(range),
            SectionKind::ReadOnlyData
            | SectionKind::ReadOnlyString
            | SectionKind::ReadOnlyDataWithRel => {
                saw_rodata = true;
                if !section.name_bytes().is_ok_and(is_unwind_table) {
                    rodata.push(range);
                }
            }
            // Some toolchains (old ld, PE without flags) leave strings in plain data sections;
            // `.data` of Cython modules holds pointer tables, not the strings, so only fall back
            // to it when no read-only data was found (below).
            _ => {}
        }
    }
    // ELF files stripped of section headers (sstrip): fall back to the loadable segments. An
    // executable segment is scanned as code and, since old linkers merge `.rodata` into it, as
    // data too.
    if code.is_empty() || !saw_rodata {
        let mut seg_code = Vec::new();
        let mut seg_data = Vec::new();
        for segment in file.segments().take(MAX_RANGES) {
            let Ok(bytes) = segment.data() else {
                continue;
            };
            if bytes.is_empty() {
                continue;
            }
            let range = Range {
                addr: segment.address(),
                data: bytes,
            };
            let exec = match segment.flags() {
                object::SegmentFlags::Elf { p_flags, .. } => (p_flags & object::elf::PF_X).0 != 0,
                object::SegmentFlags::MachO { initprot, .. } => {
                    (initprot & object::macho::VM_PROT_EXECUTE).0 != 0
                }
                _ => false,
            };
            if exec {
                seg_code.push(range);
            }
            seg_data.push(range);
        }
        if code.is_empty() && !seg_code.is_empty() {
            problems.push("no code section headers; scanned executable segments".into());
            code = seg_code;
        }
        if !saw_rodata && !seg_data.is_empty() {
            problems.push("no read-only data section headers; scanned segments".into());
            rodata = seg_data;
        }
    }

    let (module_init, exports, imports) = if file.format() == object::BinaryFormat::Elf {
        elf_dynamic_symbols(&file)
    } else {
        (find_module_init(&file), Vec::new(), Vec::new())
    };
    let needed = needed_libraries(&file, &mut problems);

    Ok(Container {
        format,
        arch,
        code,
        rodata,
        module_init,
        needed,
        exports,
        imports,
        problems,
    })
}

/// At most this many C-linkage names per file.
const MAX_C_FUNCTIONS: usize = 4096;

/// ELF: the exported `PyInit_<name>` and the dynamic symbols with C linkage (not `_Z` C++ names,
/// not the CPython API): a library's (no `PyInit_*`) exported functions with their extent, a
/// module's imported functions. Which helper-library function a module calls is read from these
/// (docs/binary-evidence.md#helper-libraries).
///
/// One pass over the symbol table (C++ libraries export hundreds of thousands of symbols, and
/// each name is found by a NUL search in the string table): the candidates of both kinds are
/// kept as borrowed names, and only the list that applies is copied at the end.
#[allow(clippy::type_complexity)]
fn elf_dynamic_symbols(
    file: &object::File<'_>,
) -> (Option<String>, Vec<(String, u64, u64)>, Vec<String>) {
    let c_name = |n: &[u8]| {
        !n.is_empty()
            && !n.starts_with(b"_")
            && !n.starts_with(b"Py")
            && n.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    let mut module_init = None;
    let mut exports: Vec<(&[u8], u64, u64)> = Vec::new();
    let mut imports: Vec<&[u8]> = Vec::new();
    for sym in file.dynamic_symbols() {
        let full = exports.len() >= MAX_C_FUNCTIONS && imports.len() >= MAX_C_FUNCTIONS;
        if full && module_init.is_some() {
            break;
        }
        let Ok(name) = sym.name_bytes() else { continue };
        if module_init.is_none() && sym.is_definition() {
            module_init = module_init_name(name, false);
        }
        if !c_name(name) {
            continue;
        }
        if sym.is_undefined() {
            if imports.len() < MAX_C_FUNCTIONS {
                imports.push(name);
            }
        } else if exports.len() < MAX_C_FUNCTIONS
            && sym.is_definition()
            && sym.kind() == object::SymbolKind::Text
            && sym.size() > 0
        {
            exports.push((name, sym.address(), sym.size()));
        }
    }
    if module_init.is_some() {
        (
            module_init,
            Vec::new(),
            imports.into_iter().map(lossy).collect(),
        )
    } else {
        let exports = exports
            .into_iter()
            .map(|(n, addr, size)| (lossy(n), addr, size))
            .collect();
        (None, exports, Vec::new())
    }
}

/// Pick the slice of a universal binary: x86_64 first, then arm64, then the first one. Returns
/// the slice bytes and a note for `problems`.
fn fat_slice(data: &[u8]) -> Result<(&[u8], String), String> {
    fn pick<'d, A: FatArch>(arches: &[A], data: &'d [u8]) -> Result<(&'d [u8], String), String> {
        let order = [object::Architecture::X86_64, object::Architecture::Aarch64];
        let chosen = order
            .iter()
            .find_map(|want| arches.iter().find(|a| a.architecture() == *want))
            .or_else(|| arches.first())
            .ok_or_else(|| "universal binary without slices".to_string())?;
        let bytes = chosen.data(data).map_err(|e| e.to_string())?;
        let note = format!(
            "universal binary with {} slices; inspected the {} slice",
            arches.len(),
            arch_of(chosen.architecture()).as_str()
        );
        Ok((bytes, note))
    }
    if let Ok(fat) = MachOFatFile32::parse(data) {
        return pick(fat.arches(), data);
    }
    match MachOFatFile64::parse(data) {
        Ok(fat) => pick(fat.arches(), data),
        Err(e) => Err(e.to_string()),
    }
}

/// `<name>` of a `PyInit_<name>` symbol (Mach-O names carry a leading underscore).
fn module_init_name(raw: &[u8], macho: bool) -> Option<String> {
    const PREFIX: &[u8] = b"PyInit_";
    let raw = raw.strip_prefix(b"_").filter(|_| macho).unwrap_or(raw);
    let rest = raw.strip_prefix(PREFIX)?;
    if rest.is_empty() || rest.len() > 256 {
        return None;
    }
    Some(lossy(rest))
}

/// The exported `PyInit_<name>` of a Mach-O (external symbols with a leading underscore) or PE
/// (export table) file; ELF files go through [`elf_dynamic_symbols`].
fn find_module_init(file: &object::File<'_>) -> Option<String> {
    let macho = file.format() == object::BinaryFormat::MachO;
    let strip = |raw: &[u8]| module_init_name(raw, macho);
    match file.format() {
        object::BinaryFormat::Pe => file
            .exports()
            .ok()?
            .find_map(|e| e.ok().and_then(|e| e.name().into_name().and_then(strip))),
        _ => file
            .symbols()
            .filter(|s| s.is_definition() && s.is_global())
            .find_map(|s| strip(s.name_bytes().ok()?)),
    }
}

fn needed_libraries(file: &object::File<'_>, problems: &mut Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    let result = match file {
        object::File::Elf64(f) => elf_needed(f, &mut out),
        object::File::Elf32(f) => elf_needed(f, &mut out),
        object::File::MachO64(f) => macho_needed(f, &mut out),
        object::File::MachO32(f) => macho_needed(f, &mut out),
        object::File::Pe64(_) | object::File::Pe32(_) => pe_needed(file, &mut out),
        _ => Ok(()),
    };
    if let Err(e) = result {
        problems.push(format!("cannot read needed libraries: {e}"));
    }
    out.truncate(MAX_NEEDED);
    out
}

fn elf_needed<Elf: FileHeader<Endian = object::Endianness>>(
    f: &ElfFile<'_, Elf>,
    out: &mut Vec<String>,
) -> object::Result<()> {
    let endian = f.endian();
    let sections = f.elf_section_table();
    let Some((dynamic, link)) = sections.dynamic(endian, f.data())? else {
        return Ok(());
    };
    let strings = sections.strings(endian, f.data(), link)?;
    for d in dynamic {
        use object::read::elf::Dyn;
        if d.tag(endian) == object::elf::DT_NULL {
            break;
        }
        if d.tag(endian) == object::elf::DT_NEEDED && out.len() < MAX_NEEDED {
            if let Ok(s) = d.string(endian, strings) {
                out.push(lossy(s));
            }
        }
    }
    Ok(())
}

fn macho_needed<Mach: MachHeader<Endian = object::Endianness>>(
    f: &MachOFile<'_, Mach>,
    out: &mut Vec<String>,
) -> object::Result<()> {
    let endian = f.endian();
    let mut commands = f.macho_load_commands()?;
    while let Some(command) = commands.next()? {
        if command.cmd() == object::macho::LC_ID_DYLIB {
            continue;
        }
        if let Some(dylib) = command.dylib()? {
            if out.len() < MAX_NEEDED {
                out.push(lossy(command.string(endian, dylib.dylib.name)?));
            }
        }
    }
    Ok(())
}

fn pe_needed(file: &object::File<'_>, out: &mut Vec<String>) -> object::Result<()> {
    let table = match file {
        object::File::Pe64(f) => f.import_table()?,
        object::File::Pe32(f) => f.import_table()?,
        _ => None,
    };
    let Some(table) = table else {
        return Ok(());
    };
    let mut descriptors = table.descriptors()?;
    while let Some(desc) = descriptors.next()? {
        if out.len() >= MAX_NEEDED {
            break;
        }
        let name = table.name(desc.name.get(object::LittleEndian))?;
        out.push(lossy(name));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut data = b"\x7fELF".to_vec();
        data.extend_from_slice(&[0xff; 60]);
        assert!(parse("x", &data, Format::Elf).is_err());
        assert!(parse("x", b"MZ", Format::Pe).is_err());
        assert!(parse("x", &[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 9], Format::MachO).is_err());
    }

    #[test]
    fn range_tail_is_bounded() {
        let r = Range {
            addr: 0x1000,
            data: b"abc",
        };
        assert_eq!(r.tail_at(0x1001), Some(&b"bc"[..]));
        assert_eq!(r.tail_at(0x1003), Some(&b""[..]));
        assert_eq!(r.tail_at(0x1004), None);
        assert_eq!(r.tail_at(0xfff), None);
    }

    #[test]
    fn parses_the_test_binary_itself() {
        // The test executable is an ELF/Mach-O/PE of the host; parsing must find code.
        let exe = std::env::current_exe().unwrap();
        let data = std::fs::read(exe).unwrap();
        let fmt = super::super::sniff(&data).unwrap();
        let c = parse("self", &data, fmt).unwrap();
        assert!(!c.code.is_empty());
        assert!(!c.rodata.is_empty());
    }
}
