//! [`RemoteFile`]: a file on an index read through HTTP range requests, as `Read + Seek`.
//!
//! Opening sends one ranged GET for the last [`PROBE`] bytes (a suffix range): the `206` answer's
//! `content-range` gives the length, and the bytes themselves hold a wheel's end record and, for
//! small wheels, its whole central directory. Later reads fetch blocks that are kept (up to
//! [`CACHE_LIMIT`] bytes); a run of sequential reads doubles the read-ahead, and
//! [`RemoteFile::prefetch`] fetches a known span in one request. A server that answers a ranged
//! GET with `200` and the whole body does not do ranges: that body is kept (in memory up to
//! [`MEMORY_LIMIT`], else in an unlinked temporary file), the host is remembered so the next file
//! is fetched whole at once, and a note says so.

use super::http::{host_of, Counters, Http};
use super::IndexError;
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Arc;

/// The suffix read at open (about 64 KiB): a zip end record with the largest comment fits.
pub const PROBE: u64 = 22 + 0xffff;
/// The smallest read-ahead of a miss.
const MIN_FETCH: u64 = 64 << 10;
/// The largest read-ahead of a sequential run.
const MAX_FETCH: u64 = 8 << 20;
/// Blocks kept per file; past this the oldest go (the block read at open stays).
pub const CACHE_LIMIT: u64 = 64 << 20;
/// A whole download above this goes to a temporary file.
pub const MEMORY_LIMIT: u64 = 32 << 20;
/// The largest file downloaded whole when ranges are refused (the size of the largest real
/// wheels, about 1 GiB, with room).
pub const DOWNLOAD_LIMIT: u64 = 2 << 30;

/// What one remote file cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FileStats {
    pub requests: u64,
    pub bytes: u64,
    /// Reads answered from blocks already fetched.
    pub block_hits: u64,
    /// The server sent the whole file instead of a range.
    pub downloaded_whole: bool,
}

enum Store {
    Ranges {
        /// start -> (insertion order, bytes)
        blocks: BTreeMap<u64, (u64, Vec<u8>)>,
        held: u64,
        seq: u64,
        /// Spans the caller will read ([`RemoteFile::plan`]), sorted.
        plan: Vec<(u64, u64)>,
        /// Where the last fetch ended, and how much it fetched (sequential reads double it).
        last_end: u64,
        last_len: u64,
    },
    Memory(Vec<u8>),
    File(std::fs::File),
}

pub struct RemoteFile {
    http: Arc<Http>,
    url: String,
    len: u64,
    pos: u64,
    store: Store,
    notes: Vec<String>,
    stats: FileStats,
}

/// `bytes START-END/LEN` (or `bytes */LEN`).
fn parse_content_range(v: &str) -> Option<(Option<(u64, u64)>, u64)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (range, len) = rest.split_once('/')?;
    let len = len.trim().parse().ok()?;
    if range.trim() == "*" {
        return Some((None, len));
    }
    let (a, b) = range.split_once('-')?;
    let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (a <= b && b < len).then_some((Some((a, b)), len))
}

fn io_err(e: IndexError) -> std::io::Error {
    std::io::Error::other(e)
}

impl RemoteFile {
    /// Open `url`: one ranged GET (or, for a host known to refuse ranges, one plain GET).
    pub(crate) fn open(http: Arc<Http>, url: &str) -> Result<RemoteFile, IndexError> {
        let mut f = RemoteFile {
            http,
            url: url.to_string(),
            len: 0,
            pos: 0,
            store: Store::Ranges {
                blocks: BTreeMap::new(),
                held: 0,
                seq: 0,
                plan: Vec::new(),
                last_end: u64::MAX,
                last_len: 0,
            },
            notes: Vec::new(),
            stats: FileStats::default(),
        };
        if f.http.host_refuses(url) {
            let mut resp = f.request(None)?;
            if resp.status != 200 {
                return Err(f.status_error(resp.status));
            }
            f.download_whole(&mut resp, false)?;
            return Ok(f);
        }
        let range = format!("bytes=-{PROBE}");
        let mut resp = f.request(Some(&range))?;
        match resp.status {
            206 => {
                let (span, len) = resp
                    .content_range
                    .as_deref()
                    .and_then(parse_content_range)
                    .ok_or_else(|| IndexError::BadResponse {
                        url: f.url.clone(),
                        reason: format!(
                            "206 with an unusable content-range: {:?}",
                            resp.content_range
                        ),
                    })?;
                let (a, b) = span.ok_or_else(|| IndexError::BadResponse {
                    url: f.url.clone(),
                    reason: "206 without a byte range".to_string(),
                })?;
                if b + 1 != len || a != len.saturating_sub(PROBE) {
                    return Err(IndexError::BadResponse {
                        url: f.url.clone(),
                        reason: format!(
                            "asked for the last {PROBE} bytes, got content-range {:?}",
                            resp.content_range
                        ),
                    });
                }
                f.len = len;
                let data = f.read_part(&mut resp, b - a + 1)?;
                f.insert(a, data);
            }
            200 => f.download_whole(&mut resp, true)?,
            // An empty file cannot satisfy a suffix range.
            416 => {
                return Err(IndexError::BadResponse {
                    url: f.url.clone(),
                    reason: "the file is empty (416 for its last bytes)".to_string(),
                })
            }
            s => return Err(f.status_error(s)),
        }
        Ok(f)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The file's length, from `content-range` (or the whole body).
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Notes for the user: "<host> refused range requests; downloaded the whole file (N MB)".
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    pub fn stats(&self) -> FileStats {
        self.stats
    }

    fn status_error(&self, status: u16) -> IndexError {
        IndexError::Http {
            url: self.url.clone(),
            status,
        }
    }

    fn request(&mut self, range: Option<&str>) -> Result<super::http::Response, IndexError> {
        self.stats.requests += 1;
        match range {
            Some(r) => self.http.get(&self.url, &[("Range", r)]),
            None => self.http.get(&self.url, &[]),
        }
    }

    /// Read a 206 body of `want` bytes exactly.
    fn read_part(
        &mut self,
        resp: &mut super::http::Response,
        want: u64,
    ) -> Result<Vec<u8>, IndexError> {
        let data = self.http.read_capped(resp, &self.url, want)?;
        self.stats.bytes += data.len() as u64;
        if data.len() as u64 != want {
            return Err(IndexError::BadResponse {
                url: self.url.clone(),
                reason: format!(
                    "the server sent {} bytes of a {want}-byte range (truncated)",
                    data.len()
                ),
            });
        }
        Ok(data)
    }

    /// Keep the whole body of a `200` answer (memory up to MEMORY_LIMIT, else a temporary file).
    fn download_whole(
        &mut self,
        resp: &mut super::http::Response,
        refused: bool,
    ) -> Result<(), IndexError> {
        let small = resp.content_length.is_some_and(|n| n <= MEMORY_LIMIT);
        let len = if small {
            let data = self.http.read_capped(resp, &self.url, MEMORY_LIMIT)?;
            let n = data.len() as u64;
            self.store = Store::Memory(data);
            n
        } else {
            let mut tmp = tempfile::tempfile().map_err(|e| IndexError::Io {
                what: "a temporary file for a download".to_string(),
                source: e,
            })?;
            let n = {
                let mut w = std::io::BufWriter::new(&mut tmp);
                let n = self
                    .http
                    .copy_capped(resp, &self.url, DOWNLOAD_LIMIT, &mut w)?;
                w.flush().map_err(|e| IndexError::Io {
                    what: "a temporary file for a download".to_string(),
                    source: e,
                })?;
                n
            };
            self.store = Store::File(tmp);
            n
        };
        if let Some(want) = resp.content_length.filter(|w| *w != len) {
            return Err(IndexError::BadResponse {
                url: self.url.clone(),
                reason: format!("the server sent {len} of {want} bytes (truncated)"),
            });
        }
        self.stats.bytes += len;
        self.stats.downloaded_whole = true;
        self.len = len;
        Counters::add(&self.http.counters.full_downloads, 1);
        if refused {
            Counters::add(&self.http.counters.ranges_refused, 1);
            self.http.mark_refusing(&self.url);
        }
        self.notes.push(format!(
            "{} refused range requests; downloaded the whole file ({:.1} MB)",
            host_of(&self.url),
            len as f64 / 1e6
        ));
        Ok(())
    }

    fn insert(&mut self, start: u64, data: Vec<u8>) {
        let Store::Ranges {
            blocks, held, seq, ..
        } = &mut self.store
        else {
            return;
        };
        *seq += 1;
        *held += data.len() as u64;
        blocks.insert(start, (*seq, data));
        // Evict the oldest blocks past the limit, keeping the first (the end of the file) and
        // the one just added.
        while *held > CACHE_LIMIT && blocks.len() > 2 {
            let victim = blocks
                .iter()
                .filter(|(_, (s, _))| *s != 1 && *s != *seq)
                .min_by_key(|(_, (s, _))| *s)
                .map(|(k, _)| *k);
            let Some(k) = victim else { break };
            if let Some((_, d)) = blocks.remove(&k) {
                *held -= d.len() as u64;
            }
        }
    }

    /// The block holding `pos`, if fetched: (block start, bytes).
    fn block_at(&self, pos: u64) -> Option<(u64, &[u8])> {
        let Store::Ranges { blocks, .. } = &self.store else {
            return None;
        };
        let (start, (_, data)) = blocks.range(..=pos).next_back()?;
        (pos < start + data.len() as u64).then_some((*start, data.as_slice()))
    }

    /// Where the next fetched block begins after `pos` (or the end of the file).
    fn next_block_start(&self, pos: u64) -> u64 {
        match &self.store {
            Store::Ranges { blocks, .. } => {
                blocks.range(pos + 1..).next().map_or(self.len, |(s, _)| *s)
            }
            _ => self.len,
        }
    }

    /// Fetch `[start, end)` in one ranged GET (the caller keeps it within the file and clear of
    /// fetched blocks).
    fn fetch(&mut self, start: u64, end: u64) -> Result<(), IndexError> {
        let range = format!("bytes={start}-{}", end - 1);
        let mut resp = self.request(Some(&range))?;
        match resp.status {
            206 => {
                let span = resp.content_range.as_deref().and_then(parse_content_range);
                if span != Some((Some((start, end - 1)), self.len)) {
                    return Err(IndexError::BadResponse {
                        url: self.url.clone(),
                        reason: format!(
                            "asked for {range} of {} bytes, got content-range {:?}",
                            self.len, resp.content_range
                        ),
                    });
                }
                let data = self.read_part(&mut resp, end - start)?;
                self.insert(start, data);
                if let Store::Ranges {
                    last_end, last_len, ..
                } = &mut self.store
                {
                    *last_end = end;
                    *last_len = end - start;
                }
                Ok(())
            }
            200 => self.download_whole(&mut resp, true),
            s => Err(self.status_error(s)),
        }
    }

    /// Spans `[start, end)` the caller is about to read (a zip member's header and data): a
    /// read that misses inside one fetches the rest of it in one request.
    pub fn plan(&mut self, mut spans: Vec<(u64, u64)>) {
        if let Store::Ranges { plan, .. } = &mut self.store {
            spans.sort_unstable();
            *plan = spans;
        }
    }

    /// Make sure `[start, end)` is held, fetching each missing piece in one request.
    pub fn prefetch(&mut self, start: u64, end: u64) -> Result<(), IndexError> {
        let end = end.min(self.len);
        let mut at = start;
        while at < end {
            if !matches!(self.store, Store::Ranges { .. }) {
                return Ok(());
            }
            if let Some((s, d)) = self.block_at(at) {
                at = s + d.len() as u64;
                continue;
            }
            let stop = self.next_block_start(at).min(end);
            self.fetch(at, stop)?;
            at = stop;
        }
        Ok(())
    }
}

impl Read for RemoteFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let pos = self.pos;
        if let Store::Ranges {
            last_end,
            last_len,
            plan,
            ..
        } = &self.store
        {
            let (sequential, last) = (*last_end == pos, *last_len);
            // The planned span holding pos that reaches furthest.
            let planned = plan
                .iter()
                .take_while(|(s, _)| *s <= pos)
                .filter(|(_, e)| *e > pos)
                .map(|(_, e)| *e)
                .max();
            if self.block_at(pos).is_none() {
                let ahead = if let Some(e) = planned {
                    e - pos
                } else if sequential {
                    (last * 2).clamp(MIN_FETCH, MAX_FETCH)
                } else {
                    MIN_FETCH
                };
                let want = ahead.max(buf.len() as u64);
                let stop = self.next_block_start(pos).min(pos + want).min(self.len);
                self.fetch(pos, stop).map_err(io_err)?;
            } else {
                self.stats.block_hits += 1;
            }
        }
        let n = match &mut self.store {
            Store::Memory(v) => {
                let from = v.get(pos as usize..).unwrap_or(&[]);
                let n = from.len().min(buf.len());
                buf[..n].copy_from_slice(&from[..n]);
                n
            }
            Store::File(f) => {
                f.seek(SeekFrom::Start(pos))?;
                f.read(buf)?
            }
            Store::Ranges { .. } => {
                let (start, data) = self
                    .block_at(pos)
                    .ok_or_else(|| std::io::Error::other("range fetch left a gap"))?;
                let from = &data[(pos - start) as usize..];
                let n = from.len().min(buf.len());
                buf[..n].copy_from_slice(&from[..n]);
                n
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for RemoteFile {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let new = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = new.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )
        })?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse() {
        assert_eq!(
            parse_content_range("bytes 0-99/13058505"),
            Some((Some((0, 99)), 13058505))
        );
        assert_eq!(parse_content_range("bytes */10"), Some((None, 10)));
        assert_eq!(parse_content_range("bytes 5-1/10"), None);
        assert_eq!(parse_content_range("bytes 0-10/10"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }
}
