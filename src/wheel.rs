//! Reading the binary members of a wheel in memory, without extracting it.
//!
//! A wheel is a zip file (PEP 427). Members are read one at a time, so memory stays bounded by the
//! largest binary member (capped at [`MAX_MEMBER_SIZE`]). Zip bombs (a declared or actual size
//! over the cap, or an absurd compression ratio) and path-traversal member names are refused with
//! a note and the other members are still inspected.

use crate::binary::{self, BinaryFacts};
use std::io::Read;
use std::path::Path;

/// Largest member we decompress: the biggest real extension modules (libtorch_cpu, jaxlib) are
/// under 1 GiB; NumPy-using modules are a few MB.
pub const MAX_MEMBER_SIZE: u64 = 1 << 30;
/// Real binaries compress 2-10:1 (zero padding makes the odd one reach 50:1); deflate's ceiling is
/// about 1032:1, which only crafted input reaches. Applied to members over [`RATIO_MIN_SIZE`].
const MAX_RATIO: u64 = 200;
const RATIO_MIN_SIZE: u64 = 8 << 20;

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
fn binary_name(name: &str) -> bool {
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
    let file = std::fs::File::open(path).map_err(|source| WheelError::Io {
        path: shown.clone(),
        source,
    })?;
    let mut archive =
        zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| WheelError::NotZip {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
    let mut out = WheelContents::default();
    for i in 0..archive.len() {
        let mut member = match archive.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                out.problems
                    .push(format!("{shown}: member #{i} unreadable: {e}"));
                continue;
            }
        };
        let name = member.name().to_string();
        if unsafe_name(&name) {
            out.problems.push(format!(
                "{shown}: member {name:?} refused: its path would escape the install directory"
            ));
            continue;
        }
        if member.is_dir() || !binary_name(&name) {
            continue;
        }
        let size = member.size();
        let packed = member.compressed_size().max(1);
        if size > MAX_MEMBER_SIZE || (size > RATIO_MIN_SIZE && size / packed > MAX_RATIO) {
            out.problems.push(format!(
                "{shown}: member {name} refused: declares {size} bytes from {packed} compressed \
                 (over the {MAX_MEMBER_SIZE}-byte cap or a {MAX_RATIO}:1 ratio: a zip bomb?)"
            ));
            continue;
        }
        // Never trust the declared size: read at most cap+1 bytes. Small members are read into
        // memory; big ones (vendored libraries of hundreds of MB) are inflated into a temporary
        // file and memory-mapped, so that memory stays bounded whatever the wheel holds.
        let label = format!("{shown}!{name}");
        let limited = (&mut member).take(MAX_MEMBER_SIZE + 1);
        let held = if size > SPILL_SIZE {
            spill(limited)
        } else {
            let mut data = Vec::with_capacity(size as usize);
            let mut limited = limited;
            limited.read_to_end(&mut data).map(|_| Held::Memory(data))
        };
        let held = match held {
            Ok(h) => h,
            Err(e) => {
                out.problems
                    .push(format!("{shown}: member {name} unreadable: {e}"));
                continue;
            }
        };
        let data = held.bytes();
        if data.len() as u64 > MAX_MEMBER_SIZE {
            out.problems.push(format!(
                "{shown}: member {name} refused: inflates past the {MAX_MEMBER_SIZE}-byte cap"
            ));
            continue;
        }
        if binary::sniff(data).is_none() {
            continue;
        }
        let facts = binary::inspect_bytes(&label, data).map_err(|e| e.to_string());
        out.members.push(WheelMember {
            name,
            size: data.len() as u64,
            facts,
        });
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
}
