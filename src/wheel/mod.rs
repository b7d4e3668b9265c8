//! Reading the binary members of a wheel in memory, without extracting it, and extracting the
//! members a check before install needs (`extract_reader`) under the same limits.
//!
//! A wheel is a zip file (PEP 427). Members are read one at a time, so memory stays bounded by the
//! largest binary member (capped at [`MAX_MEMBER_SIZE`]). Zip bombs (a declared or actual size
//! over the cap, or an absurd compression ratio) and path-traversal member names are refused with
//! a note and the other members are still inspected.

mod central;

use crate::binary::{self, BinaryFacts};
use crate::fsread::{open_regular, Limit, ReadError};
use std::io::{Read, Seek};
use std::path::Path;

/// Largest member we decompress: the biggest real extension modules (libtorch_cpu, jaxlib) are
/// under 1 GiB; NumPy-using modules are a few MB.
pub const MAX_MEMBER_SIZE: u64 = 1 << 30;
/// Real binaries compress 2-10:1 (zero padding makes the odd one reach 50:1); deflate's ceiling is
/// about 1032:1, which only crafted input reaches. A member may inflate to [`RATIO_MIN_SIZE`], or
/// to this many times its compressed size, whichever is more (and never past the cap). The
/// compressed size bounds what the reader consumes from the file, so a member that lies about its
/// inflated size still stops there.
const MAX_RATIO: u64 = 200;
const RATIO_MIN_SIZE: u64 = 8 << 20;
/// All members of one wheel together: a wheel of many large members is refused past this.
const MAX_TOTAL: u64 = 4 << 30;

/// The most bytes a member of `packed` compressed bytes may inflate to.
fn inflate_cap(packed: u64) -> u64 {
    packed
        .saturating_mul(MAX_RATIO)
        .clamp(RATIO_MIN_SIZE, MAX_MEMBER_SIZE)
}

/// Members larger than this are inflated to a temporary file and memory-mapped.
const SPILL_SIZE: u64 = 32 << 20;

/// A member's bytes: in memory, or in a memory-mapped temporary file (deleted on drop).
enum Held {
    Memory(Vec<u8>),
    Mapped(memmap2::Mmap, #[allow(dead_code)] tempfile::NamedTempFile),
}

impl Held {
    fn bytes(&self) -> &[u8] {
        match self {
            Held::Memory(v) => v,
            Held::Mapped(m, _) => m,
        }
    }
}

fn spill(mut reader: impl Read) -> std::io::Result<Held> {
    let mut tmp = tempfile::NamedTempFile::new()?;
    std::io::copy(&mut reader, tmp.as_file_mut())?;
    // SAFETY: the file is ours, private to this process, and not modified while mapped.
    let map = unsafe { memmap2::Mmap::map(tmp.as_file())? };
    Ok(Held::Mapped(map, tmp))
}

/// One binary member of a wheel and what inspecting it gave.
#[derive(Debug)]
pub struct WheelMember {
    /// Member name inside the wheel: `pandas/_libs/interval.cpython-311-x86_64-linux-gnu.so`.
    pub name: String,
    pub size: u64,
    pub facts: Result<BinaryFacts, String>,
}

#[derive(Debug, Default)]
pub struct WheelContents {
    pub members: Vec<WheelMember>,
    /// Members refused or unreadable, each naming the member.
    pub problems: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WheelError {
    /// Not a regular file, or over the size limit.
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a valid wheel (zip): {reason}")]
    NotZip { path: String, reason: String },
}

/// Is this member name a candidate compiled file? (Cheap filter by name; the magic bytes decide.)
pub fn binary_name(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.ends_with(".so")
        || base.ends_with(".pyd")
        || base.ends_with(".dylib")
        || base.ends_with(".dll")
        || base.contains(".so.")
}

/// Refuse names that would escape the install directory (absolute, drive letters, `..`).
fn unsafe_name(name: &str) -> bool {
    name.starts_with('/')
        || name.starts_with('\\')
        || name.as_bytes().get(1) == Some(&b':')
        || name.split(['/', '\\']).any(|c| c == "..")
}

/// Inspect every binary member of the wheel at `path`.
pub fn inspect_wheel(path: &Path) -> Result<WheelContents, WheelError> {
    let shown = path.display().to_string();
    let (file, meta) = open_regular(path)?;
    if meta.len() > Limit::Wheel.bytes() {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit: Limit::Wheel.bytes(),
        }
        .into());
    }
    inspect_wheel_reader(&shown, std::io::BufReader::new(file))
}

/// Inspect every binary member of the wheel read from `reader` (a file, or bytes in memory);
/// `shown` names the wheel in problems and in each member's label.
pub fn inspect_wheel_reader(
    shown: &str,
    mut reader: impl Read + Seek,
) -> Result<WheelContents, WheelError> {
    let mut out = WheelContents::default();
    if let Some(dups) = central::duplicate_names(&mut reader) {
        for (name, n) in dups {
            out.problems.push(format!(
                "{shown}: member {name} occurs {n} times; which copy an installer extracts is \
                 not defined, so the wheel is suspect (only one copy was inspected)"
            ));
        }
    }
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| WheelError::NotZip {
        path: shown.to_string(),
        reason: e.to_string(),
    })?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = match member_entry(&archive, i, shown) {
            Ok(Some(e)) => e,
            Ok(None) => continue,
            Err(problem) => {
                out.problems.push(problem);
                continue;
            }
        };
        if !binary_name(&entry.name) {
            continue;
        }
        let held = match read_member(&mut archive, &entry, shown, &mut total) {
            Ok(h) => h,
            Err(problem) => {
                out.problems.push(problem);
                continue;
            }
        };
        let data = held.bytes();
        if binary::sniff(data).is_none() {
            continue;
        }
        let label = format!("{shown}!{}", entry.name);
        let facts = binary::inspect_bytes(&label, data).map_err(|e| e.to_string());
        out.members.push(WheelMember {
            name: entry.name,
            size: data.len() as u64,
            facts,
        });
    }
    Ok(out)
}

/// One file member of a wheel, from the central directory (directories are left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberEntry {
    /// Position in the archive ([`zip::ZipArchive::by_index`]).
    pub index: usize,
    pub name: String,
    /// Declared inflated size.
    pub size: u64,
    pub compressed_size: u64,
    /// Offset of the member's local header in the zip file.
    pub header_start: u64,
}

impl MemberEntry {
    /// Does the name look like a compiled file (`.so`, `.pyd`, `.dylib`, `.dll`, `.so.N`)?
    pub fn is_binary_name(&self) -> bool {
        binary_name(&self.name)
    }
}

/// Member `i` of `archive` as a [`MemberEntry`]; `Ok(None)` for a directory; `Err` with a
/// problem naming the member when its entry is unreadable or its name would escape the install
/// directory.
pub fn member_entry<R: Read + Seek>(
    archive: &zip::ZipArchive<R>,
    i: usize,
    shown: &str,
) -> Result<Option<MemberEntry>, String> {
    let index_name = match archive.name_for_index(i) {
        Some(Ok(n)) => n.into_owned(),
        _ => format!("#{i}"),
    };
    // From the central directory only: the local header is not read (for a remote wheel, that
    // would be one request per member).
    let member = archive
        .by_index_data(i)
        .map_err(|e| format!("{shown}: member {index_name} unreadable: {e}"))?;
    // zip 9 decodes the name (CP437 or UTF-8) and fails on what it cannot decode.
    let name = member
        .name()
        .map_err(|e| format!("{shown}: member {index_name}: name unreadable: {e}"))?
        .into_owned();
    if unsafe_name(&name) {
        return Err(format!(
            "{shown}: member {name:?} refused: its path would escape the install directory"
        ));
    }
    if member.is_dir() {
        return Ok(None);
    }
    Ok(Some(MemberEntry {
        index: i,
        name,
        size: member.size(),
        compressed_size: member.compressed_size(),
        header_start: member.header_start(),
    }))
}

/// Every file member of `archive` (unreadable or unsafe entries go to `problems`).
pub fn member_entries<R: Read + Seek>(
    archive: &zip::ZipArchive<R>,
    shown: &str,
    problems: &mut Vec<String>,
) -> Vec<MemberEntry> {
    let mut out = Vec::new();
    for i in 0..archive.len() {
        match member_entry(archive, i, shown) {
            Ok(Some(e)) => out.push(e),
            Ok(None) => {}
            Err(p) => problems.push(p),
        }
    }
    out
}

/// Inflate one member within the limits (the size cap, the compression-ratio cap, and `total`,
/// the bytes already inflated from this wheel, which grows by what this member gives). `Err` is a
/// problem naming the member.
pub fn read_member<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    entry: &MemberEntry,
    shown: &str,
    total: &mut u64,
) -> Result<MemberBytes, String> {
    let name = &entry.name;
    let mut member = archive
        .by_index(entry.index)
        .map_err(|e| format!("{shown}: member {name} unreadable: {e}"))?;
    let size = member.size();
    let packed = member.compressed_size().max(1);
    let cap = inflate_cap(packed);
    if size > cap {
        return Err(format!(
            "{shown}: member {name} refused: declares {size} bytes from {packed} compressed \
             (over the {MAX_MEMBER_SIZE}-byte cap or a {MAX_RATIO}:1 ratio: a zip bomb?)"
        ));
    }
    if total.saturating_add(size) > MAX_TOTAL {
        return Err(format!(
            "{shown}: member {name} refused: the wheel's binaries inflate past {MAX_TOTAL} \
             bytes in all"
        ));
    }
    // Never trust the declared size: read at most cap+1 bytes, the cap derived from the
    // compressed size. Small members are read into memory; big ones (vendored libraries of
    // hundreds of MB) are inflated into a temporary file and memory-mapped, so that memory
    // stays bounded whatever the wheel holds.
    let limited = (&mut member).take(cap + 1);
    let held = if size > SPILL_SIZE {
        spill(limited)
    } else {
        let mut data = Vec::with_capacity(size as usize);
        let mut limited = limited;
        limited.read_to_end(&mut data).map(|_| Held::Memory(data))
    };
    let held = held.map_err(|e| format!("{shown}: member {name} unreadable: {e}"))?;
    let got = held.bytes().len() as u64;
    *total = total.saturating_add(got);
    if got > cap {
        return Err(format!(
            "{shown}: member {name} refused: declares {size} bytes but inflates past {cap} \
             from {packed} compressed (a zip bomb?)"
        ));
    }
    Ok(MemberBytes(held))
}

/// A member's inflated bytes (in memory, or a memory-mapped temporary file deleted on drop).
pub struct MemberBytes(Held);

impl MemberBytes {
    pub fn bytes(&self) -> &[u8] {
        self.0.bytes()
    }
}

/// Where the central directory lies in the zip read by `r`: `(offset, size)`, from the end
/// record (zip64 too). `None` when it cannot be located.
pub fn central_span(r: &mut (impl Read + Seek)) -> Option<(u64, u64)> {
    central::span(r)
}

/// What [`extract_reader`] did: the members written (destination paths, relative to `dest`) and
/// the members refused or unreadable, each naming the member.
#[derive(Debug, Default)]
pub struct Extracted {
    pub written: Vec<String>,
    pub problems: Vec<String>,
}

/// Extract the members of the wheel read from `reader` that `keep` maps to a destination (a
/// relative path under `dest`; `None`: skipped), with the rules [`inspect_wheel_reader`] reads
/// members by: a traversal name is refused, a member over the size cap or the compression-ratio
/// cap is refused, and all members together stay under [`MAX_TOTAL`]. Members stream to disk;
/// memory stays bounded. A destination that `keep` returns is checked again for traversal.
pub fn extract_reader(
    shown: &str,
    reader: impl Read + Seek,
    dest: &Path,
    keep: &dyn Fn(&str) -> Option<String>,
) -> Result<Extracted, WheelError> {
    let mut out = Extracted::default();
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| WheelError::NotZip {
        path: shown.to_string(),
        reason: e.to_string(),
    })?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut member = match archive.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                out.problems
                    .push(format!("{shown}: member #{i} unreadable: {e}"));
                continue;
            }
        };
        let name = match member.name() {
            Ok(n) => n.into_owned(),
            Err(e) => {
                out.problems
                    .push(format!("{shown}: member #{i}: name unreadable: {e}"));
                continue;
            }
        };
        if unsafe_name(&name) {
            out.problems.push(format!(
                "{shown}: member {name:?} refused: its path would escape the install directory"
            ));
            continue;
        }
        if member.is_dir() {
            continue;
        }
        let Some(rel) = keep(&name) else { continue };
        if rel.is_empty() || unsafe_name(&rel) {
            continue;
        }
        let size = member.size();
        let packed = member.compressed_size().max(1);
        let cap = inflate_cap(packed);
        if size > cap {
            out.problems.push(format!(
                "{shown}: member {name} refused: declares {size} bytes from {packed} compressed \
                 (over the {MAX_MEMBER_SIZE}-byte cap or a {MAX_RATIO}:1 ratio: a zip bomb?)"
            ));
            continue;
        }
        if total.saturating_add(size) > MAX_TOTAL {
            out.problems.push(format!(
                "{shown}: member {name} refused: the wheel inflates past {MAX_TOTAL} bytes in all"
            ));
            continue;
        }
        let path = dest.join(&rel);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|_| std::fs::File::create(&path))
            .and_then(|mut f| std::io::copy(&mut (&mut member).take(cap + 1), &mut f));
        match written {
            Ok(n) if n > cap => {
                let _ = std::fs::remove_file(&path);
                out.problems.push(format!(
                    "{shown}: member {name} refused: declares {size} bytes but inflates past \
                     {cap} from {packed} compressed (a zip bomb?)"
                ));
            }
            Ok(n) => {
                total = total.saturating_add(n);
                out.written.push(rel);
            }
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                out.problems
                    .push(format!("{shown}: member {name} unreadable: {e}"));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn make_zip(entries: &[(&str, &[u8])]) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        let mut w = zip::ZipWriter::new(f.reopen().unwrap());
        for (name, data) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
        f
    }

    #[test]
    fn traversal_names_are_refused() {
        let z = make_zip(&[("../../evil.so", b"\x7fELF"), ("ok/readme.txt", b"hi")]);
        let c = inspect_wheel(z.path()).unwrap();
        assert!(c.members.is_empty());
        assert_eq!(c.problems.len(), 1);
        assert!(c.problems[0].contains("escape"), "{}", c.problems[0]);
    }

    #[test]
    fn zip_bomb_is_refused() {
        let zeros = vec![0u8; 32 << 20];
        let z = make_zip(&[("pkg/bomb.so", &zeros)]);
        let c = inspect_wheel(z.path()).unwrap();
        assert!(c.members.is_empty());
        assert!(c.problems[0].contains("zip bomb"), "{:?}", c.problems);
    }

    #[test]
    fn garbage_is_not_a_wheel() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"this is not a zip").unwrap();
        let e = inspect_wheel(f.path()).unwrap_err();
        assert!(e.to_string().contains("not a valid wheel"), "{e}");
    }

    #[test]
    fn non_binary_members_are_skipped_and_bad_binaries_reported() {
        let z = make_zip(&[
            ("pkg/fake.so", b"\x7fELF garbage that is not an ELF file"),
            ("pkg/text.so", b"hello"),
        ]);
        let c = inspect_wheel(z.path()).unwrap();
        assert_eq!(c.members.len(), 1);
        assert!(c.members[0].facts.is_err());
    }

    /// Patch every occurrence of `from` with `to` (same length) in the file's bytes.
    fn patch(f: &tempfile::NamedTempFile, from: &[u8], to: &[u8]) {
        let mut b = std::fs::read(f.path()).unwrap();
        let mut i = 0;
        while let Some(at) = b[i..].windows(from.len()).position(|w| w == from) {
            b[i + at..i + at + to.len()].copy_from_slice(to);
            i += at + to.len();
        }
        std::fs::write(f.path(), b).unwrap();
    }

    #[test]
    fn duplicate_members_are_named() {
        let z = make_zip(&[("pkg/a.so", b"\x7fELF one"), ("pkg/b.so", b"\x7fELF two")]);
        patch(&z, b"pkg/b.so", b"pkg/a.so");
        let c = inspect_wheel(z.path()).unwrap();
        assert!(
            c.problems
                .iter()
                .any(|p| p.contains("member pkg/a.so occurs 2 times")),
            "{:?}",
            c.problems
        );
    }

    #[test]
    fn a_member_lying_about_its_size_stops_at_the_ratio_cap() {
        let zeros = vec![0u8; 32 << 20];
        let z = make_zip(&[("pkg/liar.so", &zeros)]);
        // Declared uncompressed size (local header offset 22, central header offset 24):
        // 32 MiB = 0x02000000 -> 0x00001000.
        patch(&z, &(32u32 << 20).to_le_bytes(), &4096u32.to_le_bytes());
        let c = inspect_wheel(z.path()).unwrap();
        assert!(c.members.is_empty(), "{:?}", c.members);
        assert!(
            c.problems
                .iter()
                // zip 9 stops at the declared size itself; our ratio cap is behind it.
                .any(|p| p.contains("pkg/liar.so")
                    && (p.contains("inflates past")
                        || p.contains("larger than its declared uncompressed size"))),
            "{:?}",
            c.problems
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_not_opened_as_a_wheel() {
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("x.whl");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let e = inspect_wheel(&fifo).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
    }
}
