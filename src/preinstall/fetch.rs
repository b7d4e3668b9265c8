//! Getting a wheel's bytes: a local file, or range reads through the index client. [`Fetcher`] is what the rest of the module uses,
//! so that the reader behind it (full downloads here, HTTP range reads through an index client)
//! can change without the materialising code knowing.

use super::FileRef;
use serde::Serialize;
use std::io::{Read, Seek};
use std::sync::Mutex;

/// A wheel's bytes, seekable (the zip reader starts at the end).
pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// What fetching cost: HTTP requests, bytes received, files served from the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FetchStats {
    pub requests: u64,
    pub bytes: u64,
    pub cache_hits: u64,
    /// Bytes a full download of every remote wheel read would have cost.
    pub full_bytes: u64,
    /// Files whose server refused range requests, and files downloaded whole.
    pub ranges_refused: u64,
    pub full_downloads: u64,
}

pub trait Fetcher: Sync {
    /// The bytes of `file`, and the sha256 when it is known without reading them all.
    fn open(&self, file: &FileRef) -> Result<Box<dyn ReadSeek>, String>;
    /// The files the index lists for `name` (for lock entries that name files but no URLs).
    fn files(&self, name: &str) -> Result<Vec<FileRef>, String>;
    fn stats(&self) -> FetchStats;
    /// A wheel was served from the materialised store (nothing fetched).
    fn hit(&self) {}
}

/// Wheels read through the index client ([`crate::index::Client`]): HTTP range reads of only
/// the parts the zip reader asks for (the central directory, then each member extracted); a
/// server that refuses ranges gets a whole download within the client's size limit, and the
/// client's notes say so.
pub struct IndexFetcher {
    client: crate::index::Client,
    hits: Mutex<u64>,
}

impl IndexFetcher {
    pub fn new(client: crate::index::Client) -> IndexFetcher {
        IndexFetcher {
            client,
            hits: Mutex::new(0),
        }
    }

    pub fn client(&self) -> &crate::index::Client {
        &self.client
    }
}

impl Fetcher for IndexFetcher {
    fn open(&self, file: &FileRef) -> Result<Box<dyn ReadSeek>, String> {
        if let Some(p) = &file.path {
            let (f, _) = crate::fsread::open_regular(p).map_err(|e| e.to_string())?;
            return Ok(Box::new(std::io::BufReader::new(f)));
        }
        let url = file
            .url
            .as_deref()
            .ok_or_else(|| format!("{}: no URL and no local path", file.filename))?;
        let dist = crate::index::DistFile {
            filename: file.filename.clone(),
            url: url.to_string(),
            sha256: file.sha256.clone(),
            size: file.size,
            requires_python: None,
            yanked: false,
            core_metadata: false,
            version: String::new(),
            wheel: None,
        };
        let remote = self.client.open(&dist).map_err(|e| e.to_string())?;
        Ok(Box::new(remote))
    }

    fn files(&self, name: &str) -> Result<Vec<FileRef>, String> {
        let p = self.client.project(name).map_err(|e| e.to_string())?;
        Ok(p.files
            .into_iter()
            .map(|f| FileRef {
                filename: f.filename,
                url: Some(f.url),
                path: None,
                sha256: f.sha256,
                size: f.size,
            })
            .collect())
    }

    fn hit(&self) {
        if let Ok(mut h) = self.hits.lock() {
            *h += 1;
        }
    }

    fn stats(&self) -> FetchStats {
        let s = self.client.stats();
        FetchStats {
            requests: s.requests,
            bytes: s.bytes,
            cache_hits: self.hits.lock().map(|h| *h).unwrap_or(0),
            full_bytes: 0,
            ranges_refused: s.ranges_refused,
            full_downloads: s.full_downloads,
        }
    }
}
