//! Memory-mapped binaries that survive being truncated under the map.
//!
//! Mapping is what makes `check` fast: inspection touches a small part of each binary (headers,
//! `.rodata` strings, a few windows of `.text`), so only those pages are read from disk. The
//! risk of mapping is that another process (pip, during a reinstall) truncates the file while we
//! read it: touching a page past the new end raises SIGBUS, which kills the process.
//!
//! On Linux the map is registered in a small table, and a SIGBUS handler that finds the faulting
//! address inside a registered map replaces the rest of that map with anonymous zero pages
//! (`mmap(MAP_FIXED | MAP_ANONYMOUS)`, a plain system call) and marks the map as faulted; the
//! faulting read is then retried by the CPU and sees zeros. After inspection, [`Mapped::check`]
//! reports a faulted map, or a file whose size or mtime changed, as [`ReadError::Changed`]. A
//! SIGBUS at any other address restores the previous handler, so it behaves exactly as before.
//! Elsewhere (other Unixes) the file is read into memory instead of mapped; on Windows a mapped
//! file cannot be truncated, so mapping is safe as it is.

use super::{open_regular, Limit, ReadError};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Below this size a file is read, not mapped: one read is cheaper than setting up a map.
const MAP_MIN: u64 = 64 << 10;

enum Bytes {
    Memory(Vec<u8>),
    #[cfg_attr(not(any(target_os = "linux", windows)), allow(dead_code))]
    Map {
        map: memmap2::Mmap,
        /// The guard-table slot (Linux only), released before the map is dropped.
        slot: Option<usize>,
    },
}

/// A regular file's bytes, mapped or read, with what it looked like when opened.
pub struct Mapped {
    bytes: Bytes,
    path: PathBuf,
    file: File,
    len: u64,
    modified: Option<SystemTime>,
}

impl Mapped {
    /// Open a regular file of at most `limit` bytes (see [`super::open_regular`]).
    pub fn open(path: &Path, limit: Limit) -> Result<Self, ReadError> {
        let (mut file, meta) = open_regular(path)?;
        let len = meta.len();
        if len > limit.bytes() {
            return Err(ReadError::TooLarge {
                path: path.to_path_buf(),
                size: len,
                limit: limit.bytes(),
            });
        }
        let io = |source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        };
        let read = |file: &mut File| -> Result<Bytes, ReadError> {
            let mut buf = Vec::with_capacity(len as usize);
            file.take(limit.bytes() + 1)
                .read_to_end(&mut buf)
                .map_err(io)?;
            Ok(Bytes::Memory(buf))
        };
        let bytes = if len < MAP_MIN || !can_map() {
            read(&mut file)?
        } else {
            // SAFETY: read-only private map of a regular file. The one hazard, the file being
            // truncated under the map, is handled by the SIGBUS guard (module docs): the pages
            // past the new end read as zeros and the change is reported by `check`.
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
            let slot = guard::register(map.as_ptr() as usize, map.len());
            if slot.is_none() && cfg!(target_os = "linux") {
                // More maps open at once than the guard table holds: read instead.
                drop(map);
                read(&mut file)?
            } else {
                Bytes::Map { map, slot }
            }
        };
        Ok(Mapped {
            bytes,
            path: path.to_path_buf(),
            file,
            len,
            modified: meta.modified().ok(),
        })
    }

    pub fn bytes(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Memory(v) => v,
            Bytes::Map { map, .. } => map,
        }
    }

    /// Was the file the same from open to now? Call after using [`Self::bytes`]: a file that was
    /// truncated or rewritten meanwhile gives [`ReadError::Changed`], and what was read from it
    /// must be thrown away.
    pub fn check(&self) -> Result<(), ReadError> {
        let changed = || ReadError::Changed {
            path: self.path.clone(),
        };
        if let Bytes::Map {
            slot: Some(slot), ..
        } = &self.bytes
        {
            if guard::faulted(*slot) {
                return Err(changed());
            }
        }
        let meta = self.file.metadata().map_err(|source| ReadError::Io {
            path: self.path.clone(),
            source,
        })?;
        if meta.len() != self.len || meta.modified().ok() != self.modified {
            return Err(changed());
        }
        if let Bytes::Memory(v) = &self.bytes {
            if v.len() as u64 != self.len {
                return Err(changed());
            }
        }
        Ok(())
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // Release the slot while the map still exists; the fields (the map) drop after this.
        if let Bytes::Map { slot: Some(s), .. } = &self.bytes {
            guard::release(*s);
        }
    }
}

fn can_map() -> bool {
    cfg!(any(target_os = "linux", windows))
}

#[cfg(target_os = "linux")]
mod guard {
    use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
    use std::sync::Once;

    /// Maps open at once: one per inspecting thread is what the scan needs.
    const SLOTS: usize = 256;

    struct Slot {
        start: AtomicUsize,
        end: AtomicUsize,
        faulted: AtomicBool,
    }

    #[allow(clippy::declare_interior_mutable_const)]
    const EMPTY: Slot = Slot {
        start: AtomicUsize::new(0),
        end: AtomicUsize::new(0),
        faulted: AtomicBool::new(false),
    };
    static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];
    static PAGE: AtomicUsize = AtomicUsize::new(4096);
    static PREVIOUS: AtomicPtr<libc::sigaction> = AtomicPtr::new(std::ptr::null_mut());
    static INSTALL: Once = Once::new();
    static INSTALLED: AtomicBool = AtomicBool::new(false);

    fn install() {
        INSTALL.call_once(|| {
            // SAFETY: sysconf and sigaction with valid arguments; the previous action is leaked
            // on purpose (the handler may need it for the life of the process).
            unsafe {
                let page = libc::sysconf(libc::_SC_PAGESIZE);
                if page > 0 {
                    PAGE.store(page as usize, Ordering::Relaxed);
                }
                let prev: *mut libc::sigaction = Box::into_raw(Box::new(std::mem::zeroed()));
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_sigbus as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
                libc::sigemptyset(&mut action.sa_mask);
                if libc::sigaction(libc::SIGBUS, &action, prev) == 0 {
                    PREVIOUS.store(prev, Ordering::Release);
                    INSTALLED.store(true, Ordering::Release);
                }
            }
        });
    }

    /// Register a map of `len` bytes at `start`; `None` when the handler could not be installed
    /// or the table is full.
    pub(super) fn register(start: usize, len: usize) -> Option<usize> {
        install();
        if !INSTALLED.load(Ordering::Acquire) || start == 0 {
            return None;
        }
        for (i, s) in TABLE.iter().enumerate() {
            if s.start
                .compare_exchange(0, start, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                s.faulted.store(false, Ordering::Release);
                s.end.store(start + len, Ordering::Release);
                return Some(i);
            }
        }
        None
    }

    pub(super) fn release(i: usize) {
        if let Some(s) = TABLE.get(i) {
            s.end.store(0, Ordering::Release);
            s.start.store(0, Ordering::Release);
        }
    }

    pub(super) fn faulted(i: usize) -> bool {
        TABLE
            .get(i)
            .is_some_and(|s| s.faulted.load(Ordering::Acquire))
    }

    /// Only atomics and system calls: async-signal-safe.
    extern "C" fn on_sigbus(
        _sig: libc::c_int,
        info: *mut libc::siginfo_t,
        _ctx: *mut libc::c_void,
    ) {
        // SAFETY: the kernel passes a valid siginfo_t for SA_SIGINFO handlers.
        let addr = unsafe { (*info).si_addr() } as usize;
        let page = PAGE.load(Ordering::Relaxed);
        for s in &TABLE {
            let start = s.start.load(Ordering::Acquire);
            let end = s.end.load(Ordering::Acquire);
            if start == 0 || addr < start || addr >= end {
                continue;
            }
            let from = addr & !(page - 1);
            // SAFETY: [from, end) lies inside our own read-only map of this file; replacing it
            // with zero pages only changes what our reads of it return.
            let p = unsafe {
                libc::mmap(
                    from as *mut libc::c_void,
                    end - from,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if p != libc::MAP_FAILED {
                s.faulted.store(true, Ordering::Release);
                return;
            }
        }
        // Not one of ours: restore the previous action; returning retries the access under it.
        let prev = PREVIOUS.load(Ordering::Acquire);
        // SAFETY: `prev` is the action sigaction filled in at install time, or null.
        unsafe {
            if prev.is_null() {
                libc::signal(libc::SIGBUS, libc::SIG_DFL);
            } else {
                libc::sigaction(libc::SIGBUS, prev, std::ptr::null_mut());
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod guard {
    pub(super) fn register(_start: usize, _len: usize) -> Option<usize> {
        None
    }
    pub(super) fn release(_i: usize) {}
    pub(super) fn faulted(_i: usize) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_files_are_read_and_unchanged() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("m.so");
        std::fs::write(&p, b"\x7fELF tiny").unwrap();
        let m = Mapped::open(&p, Limit::Binary).unwrap();
        assert_eq!(m.bytes(), b"\x7fELF tiny");
        m.check().unwrap();
    }

    /// Truncating a mapped file and touching the lost pages used to kill the process with
    /// SIGBUS; now the pages read as zeros and the change is reported.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_truncated_under_the_map_is_reported_not_a_crash() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("big.so");
        let data: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8 + 1).collect();
        std::fs::write(&p, &data).unwrap();
        let m = Mapped::open(&p, Limit::Binary).unwrap();
        assert!(matches!(m.bytes, Bytes::Map { slot: Some(_), .. }));
        m.check().unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(4096)
            .unwrap();
        let b = m.bytes();
        assert_eq!(b[100], data[100]);
        // Past the new end: SIGBUS without the guard.
        let tail: u64 = b[512 << 10..].iter().map(|&x| x as u64).sum();
        assert_eq!(tail, 0);
        let e = m.check().unwrap_err();
        assert!(matches!(e, ReadError::Changed { .. }), "{e}");
        assert!(e.to_string().contains("changed while it was being read"));
        drop(m);
        // The slot is free again and the next map of the same file works.
        let m = Mapped::open(&p, Limit::Binary).unwrap();
        assert_eq!(m.bytes().len(), 4096);
        m.check().unwrap();
    }
}
