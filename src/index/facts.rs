//! [`WheelFacts`]: what a remote wheel's compiled modules say about the NumPy they were built
//! against, read with a few range requests, and kept by sha256.

use super::remote::FileStats;
use super::{Client, DistFile, IndexError};
use crate::binary::{self, BinaryFacts};
use crate::wheel;
use std::io::Seek;
use std::path::PathBuf;

/// Bumped when the facts' shape or meaning changes; a cached file of another format (or from
/// another abi-doctor version) is read again.
const FORMAT: u32 = 1;
/// METADATA larger than this is not read.
const METADATA_LIMIT: u64 = 16 << 20;
/// Compressed bytes of compiled members read per wheel before giving up on finding NumPy use.
const MEMBER_BUDGET: u64 = 96 << 20;
/// Room for a local header's extra field beyond the central directory's (planned reads).
const LOCAL_EXTRA_SLACK: u64 = 1024;

/// What one wheel says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WheelFacts {
    /// The index's sha256 of the wheel (the cache key); `None` when the index gave none (then
    /// nothing is cached).
    pub sha256: Option<String>,
    pub filename: String,
    pub url: String,
    /// `Requires-Dist` of the wheel's METADATA, as written.
    pub requires_dist: Vec<String>,
    /// The compiled members read, smallest first, and what each said; reading stops at the
    /// first that shows NumPy use ([`WheelFacts::numpy_member`]).
    pub members: Vec<(String, BinaryFacts)>,
    /// How many compiled members (by name) the wheel has.
    pub binaries: usize,
    /// Problems and notes ("<host> refused range requests; downloaded the whole file (N MB)").
    pub notes: Vec<String>,
    /// What reading it cost (zero when it came from the cache).
    #[serde(skip)]
    pub cost: FileStats,
    /// Whether it came from the cache.
    #[serde(skip)]
    pub from_cache: bool,
    format: u32,
    tool: String,
}

impl WheelFacts {
    /// The member that shows NumPy use (the C-API import or the ABI version), if one did.
    pub fn numpy_member(&self) -> Option<&(String, BinaryFacts)> {
        self.members.iter().find(|(_, f)| shows_numpy(f))
    }
}

fn shows_numpy(f: &BinaryFacts) -> bool {
    f.numpy.uses_c_api || f.numpy.abi_version.is_some()
}

/// `Requires-Dist` values of a METADATA text (headers up to the first empty line; folded
/// continuation lines joined).
fn requires_dist(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut in_req = false;
    for line in text.lines() {
        // A folded line may be all blanks (licence texts are): only an empty line ends the
        // headers.
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if in_req {
                if let Some(last) = out.last_mut() {
                    last.push(' ');
                    last.push_str(line.trim());
                }
            }
            continue;
        }
        in_req = false;
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("requires-dist") {
                out.push(v.trim().to_string());
                in_req = true;
            }
        }
    }
    out
}

fn cache_path(client: &Client, sha: &str) -> Option<PathBuf> {
    let ok = sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit());
    let dir = client.cache_dir.as_ref()?;
    ok.then(|| dir.join("index").join("facts").join(format!("{sha}.json")))
}

fn read_cache(path: &PathBuf) -> Option<WheelFacts> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > 64 << 20 {
        return None;
    }
    let f: WheelFacts = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    (f.format == FORMAT && f.tool == env!("CARGO_PKG_VERSION")).then_some(f)
}

fn write_cache(path: &PathBuf, f: &WheelFacts) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("no directory"))?;
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&mut tmp, f)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

pub(super) fn wheel_facts(client: &Client, file: &DistFile) -> Result<WheelFacts, IndexError> {
    let cached = file.sha256.as_deref().and_then(|s| cache_path(client, s));
    if let Some(f) = cached.as_ref().and_then(read_cache) {
        super::http::Counters::add(&client.http.counters.cache_hits, 1);
        return Ok(WheelFacts {
            from_cache: true,
            ..f
        });
    }
    if client.cfg.offline {
        return Err(client.offline(format!(
            "{} (not in the wheel-facts cache{})",
            file.filename,
            match &client.cache_dir {
                Some(d) => format!(" at {}", d.join("index/facts").display()),
                None => String::new(),
            }
        )));
    }
    let facts = read_remote(client, file)?;
    if let Some(p) = &cached {
        // A cache that cannot be written only costs the next run a few requests.
        let _ = write_cache(p, &facts);
    }
    Ok(facts)
}

fn bad_wheel(file: &DistFile, reason: impl Into<String>) -> IndexError {
    IndexError::BadWheel {
        url: file.url.clone(),
        reason: reason.into(),
    }
}

/// The I/O error of a zip or read call: the HTTP error inside it when there is one (it names the
/// URL already), else a bad-wheel error.
fn from_io(file: &DistFile, e: std::io::Error) -> IndexError {
    if e.get_ref().is_some_and(|i| i.is::<IndexError>()) {
        if let Some(Ok(ie)) = e.into_inner().map(|i| i.downcast::<IndexError>()) {
            return *ie;
        }
        return bad_wheel(file, "read failed");
    }
    bad_wheel(file, e.to_string())
}

fn read_remote(client: &Client, file: &DistFile) -> Result<WheelFacts, IndexError> {
    let mut rf = client.open(file)?;
    let shown = file.filename.clone();
    // The end record is in the block read at open (this fetches nothing, unless the file is
    // shorter than it); then the central directory in one request.
    let len = rf.len();
    rf.prefetch(len.saturating_sub(super::remote::PROBE), len)?;
    let (cd_at, cd_size) = wheel::central_span(&mut rf)
        .ok_or_else(|| bad_wheel(file, "no zip end record (not a zip, or truncated)"))?;
    rf.prefetch(cd_at, cd_at + cd_size)?;
    rf.rewind().map_err(|e| from_io(file, e))?;
    let zip_err = |e: zip::result::ZipError| match e {
        zip::result::ZipError::Io(io) => from_io(file, io),
        other => bad_wheel(file, other.to_string()),
    };
    let archive = zip::ZipArchive::new(rf).map_err(zip_err)?;
    let mut notes = Vec::new();
    let entries = wheel::member_entries(&archive, &shown, &mut notes);
    let metadata = entries
        .iter()
        .find(|e| {
            let mut parts = e.name.split('/');
            matches!(
                (parts.next(), parts.next(), parts.next()),
                (Some(d), Some("METADATA"), None) if d.ends_with(".dist-info")
            )
        })
        .cloned();
    let mut binaries: Vec<wheel::MemberEntry> =
        entries.into_iter().filter(|e| e.is_binary_name()).collect();
    binaries.sort_by_key(|e| (e.compressed_size, e.name.clone()));

    // Plan the reads: each member's local header and data in one request when it is read.
    let mut rf = archive.into_inner();
    let spans = metadata
        .iter()
        .chain(binaries.iter())
        .map(|e| {
            let end = e.header_start + 30 + e.name.len() as u64 + e.compressed_size;
            (e.header_start, end + LOCAL_EXTRA_SLACK)
        })
        .collect();
    rf.plan(spans);
    rf.rewind().map_err(|e| from_io(file, e))?;
    let mut archive = zip::ZipArchive::new(rf).map_err(zip_err)?;

    let mut total = 0u64;
    let mut requires = Vec::new();
    match &metadata {
        None => notes.push(format!("{shown}: no *.dist-info/METADATA member")),
        Some(m) if m.size > METADATA_LIMIT => notes.push(format!(
            "{shown}: {} declares {} bytes; not read (over {METADATA_LIMIT})",
            m.name, m.size
        )),
        Some(m) => match wheel::read_member(&mut archive, m, &shown, &mut total) {
            Ok(b) => requires = requires_dist(&String::from_utf8_lossy(b.bytes())),
            Err(p) => notes.push(p),
        },
    }

    let mut members = Vec::new();
    let mut budget = 0u64;
    let count = binaries.len();
    for e in &binaries {
        if budget > MEMBER_BUDGET {
            notes.push(format!(
                "{shown}: stopped after {} compiled members ({budget} compressed bytes) without \
                 finding NumPy use",
                members.len()
            ));
            break;
        }
        budget += e.compressed_size;
        let bytes = match wheel::read_member(&mut archive, e, &shown, &mut total) {
            Ok(b) => b,
            Err(p) => {
                notes.push(p);
                continue;
            }
        };
        let data = bytes.bytes();
        if binary::sniff(data).is_none() {
            continue;
        }
        match binary::inspect_bytes(&format!("{shown}!{}", e.name), data) {
            Ok(f) => {
                let done = shows_numpy(&f);
                members.push((e.name.clone(), f));
                if done {
                    break;
                }
            }
            Err(err) => notes.push(err.to_string()),
        }
    }
    let rf = archive.into_inner();
    let mut all_notes: Vec<String> = rf.notes().to_vec();
    all_notes.extend(notes);
    Ok(WheelFacts {
        sha256: file.sha256.clone(),
        filename: file.filename.clone(),
        url: file.url.clone(),
        requires_dist: requires,
        members,
        binaries: count,
        notes: all_notes,
        cost: rf.stats(),
        from_cache: false,
        format: FORMAT,
        tool: env!("CARGO_PKG_VERSION").to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_dist_is_read_from_the_headers_only() {
        let m = "Metadata-Version: 2.1\nName: pandas\nLicense: BSD\n        \n        text\nRequires-Dist: numpy>=1.23.2; python_version == \"3.11\"\nRequires-Dist: python-dateutil\n  >=2.8.2\nSummary: x\n\nRequires-Dist: not-a-header\n";
        assert_eq!(
            requires_dist(m),
            [
                "numpy>=1.23.2; python_version == \"3.11\"",
                "python-dateutil >=2.8.2"
            ]
        );
    }
}
