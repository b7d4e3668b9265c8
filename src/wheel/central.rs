//! The names in a zip file's central directory, read directly (APPNOTE.TXT 4.3.12-4.3.16), so
//! that duplicate member names are seen: a zip reader keyed by name keeps only one of them, and
//! which one an installer would extract is not something a scan may guess.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};

const EOCD_SIG: u64 = 0x0605_4b50;
const ZIP64_LOCATOR_SIG: u64 = 0x0706_4b50;
const ZIP64_EOCD_SIG: u64 = 0x0606_4b50;
const CENTRAL_SIG: u64 = 0x0201_4b50;
/// More entries than any real wheel has (tensorflow's: about 25,000).
const MAX_ENTRIES: u64 = 1 << 20;
/// A central directory larger than this is not a wheel's.
const MAX_CENTRAL_SIZE: u64 = 256 << 20;

fn u16_at(b: &[u8], i: usize) -> Option<u64> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?) as u64)
}
fn u32_at(b: &[u8], i: usize) -> Option<u64> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?) as u64)
}
fn u64_at(b: &[u8], i: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(i..i + 8)?.try_into().ok()?))
}

/// Names that occur more than once, with their counts, in name order. `None` when the central
/// directory cannot be located or read (the zip reader reports that itself).
pub fn duplicate_names(r: &mut (impl Read + Seek)) -> Option<BTreeMap<String, usize>> {
    let (offset, size, entries) = locate(r)?;
    r.seek(SeekFrom::Start(offset)).ok()?;
    let mut dir = vec![0; size as usize];
    r.read_exact(&mut dir).ok()?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut i = 0usize;
    for _ in 0..entries {
        if u32_at(&dir, i) != Some(CENTRAL_SIG) {
            break;
        }
        let name_len = u16_at(&dir, i + 28)? as usize;
        let extra_len = u16_at(&dir, i + 30)? as usize;
        let comment_len = u16_at(&dir, i + 32)? as usize;
        let name = dir.get(i + 46..i + 46 + name_len)?;
        *counts
            .entry(String::from_utf8_lossy(name).into_owned())
            .or_default() += 1;
        i += 46 + name_len + extra_len + comment_len;
    }
    counts.retain(|_, n| *n > 1);
    Some(counts)
}

/// The central directory's `(offset, size)`.
pub fn span(r: &mut (impl Read + Seek)) -> Option<(u64, u64)> {
    locate(r).map(|(o, s, _)| (o, s))
}

/// The central directory's offset, size and entry count, from the end record (zip64 too),
/// checked against the file's length and the limits.
fn locate(r: &mut (impl Read + Seek)) -> Option<(u64, u64, u64)> {
    let len = r.seek(SeekFrom::End(0)).ok()?;
    // The end record is 22 bytes plus a comment of at most 65,535.
    let tail_len = len.min(22 + 0xffff);
    r.seek(SeekFrom::Start(len - tail_len)).ok()?;
    let mut tail = vec![0; tail_len as usize];
    r.read_exact(&mut tail).ok()?;
    let eocd = (0..tail.len().checked_sub(21)?)
        .rev()
        .find(|&i| u32_at(&tail, i) == Some(EOCD_SIG))?;
    let mut entries = u16_at(&tail, eocd + 10)?;
    let mut size = u32_at(&tail, eocd + 12)?;
    let mut offset = u32_at(&tail, eocd + 16)?;
    if entries == 0xffff || size == 0xffff_ffff || offset == 0xffff_ffff {
        let loc = eocd.checked_sub(20)?;
        if u32_at(&tail, loc) != Some(ZIP64_LOCATOR_SIG) {
            return None;
        }
        let at = u64_at(&tail, loc + 8)?;
        r.seek(SeekFrom::Start(at)).ok()?;
        let mut rec = [0u8; 56];
        r.read_exact(&mut rec).ok()?;
        if u32_at(&rec, 0) != Some(ZIP64_EOCD_SIG) {
            return None;
        }
        entries = u64_at(&rec, 32)?;
        size = u64_at(&rec, 40)?;
        offset = u64_at(&rec, 48)?;
    }
    if entries > MAX_ENTRIES || size > MAX_CENTRAL_SIZE || offset.checked_add(size)? > len {
        return None;
    }
    Some((offset, size, entries))
}
