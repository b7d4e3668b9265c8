//! The one way abi-doctor reads a file from a scanned environment or from the command line.
//!
//! An environment is outside input: any name may be a FIFO (opening it for reading blocks until a
//! writer appears, forever), a symlink to `/dev/zero` (endless bytes), a socket, a file of many
//! gigabytes, or a binary that pip truncates while we map it. So every read here:
//! - opens without blocking (`O_NONBLOCK`, so a FIFO cannot stall `open`) and checks the type of
//!   what was opened with `fstat` on the open descriptor (no check-then-open race): regular files
//!   only;
//! - is capped per kind of file ([`Limit`]), with a typed error naming the file when it is over;
//! - maps a binary only through [`map::Mapped`], which survives a file that shrinks under the map
//!   (the pages past the new end read as zeros instead of raising SIGBUS) and reports the change.

pub mod map;
mod stamp;

pub use stamp::Stamp;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Size caps, one per kind of file. Each is far above what a real file of that kind reaches, and
/// low enough that reading it whole is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// METADATA, PKG-INFO, WHEEL, INSTALLER, direct_url.json, top_level.txt, requires.txt: the
    /// largest real METADATA files (a long README inlined) are a few hundred KB.
    Metadata,
    /// RECORD and installed-files.txt: one line per installed file; tensorflow's is about 1 MB.
    Record,
    /// `.pth` files, `pyvenv.cfg`, `numpy/version.py`: a few lines each.
    Small,
    /// A Python source read for its imports; larger files are generated data, not import lists.
    PythonSource,
    /// Text given to `explain` on standard input: CI logs can be large.
    Log,
    /// A project file `lint` reads (pyproject.toml, setup.py, a Dockerfile, a workflow): the
    /// largest real ones are tens of KB.
    ProjectFile,
    /// A compiled extension or shared library. The largest real ones (libtorch_cpu, jaxlib's
    /// XLA extension) are under 1 GiB.
    Binary,
    /// A wheel file.
    Wheel,
}

impl Limit {
    pub const fn bytes(self) -> u64 {
        match self {
            Limit::Metadata => 16 << 20,
            Limit::Record => 64 << 20,
            Limit::Small => 1 << 20,
            Limit::PythonSource => 4 << 20,
            Limit::Log => 64 << 20,
            Limit::ProjectFile => 4 << 20,
            Limit::Binary => 2 << 30,
            Limit::Wheel => 8 << 30,
        }
    }
}

/// What a path turned out to be, when it is not a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRegular {
    Directory,
    Fifo,
    CharDevice,
    BlockDevice,
    Socket,
    Other,
}

impl NotRegular {
    pub fn describe(self) -> &'static str {
        match self {
            NotRegular::Directory => "a directory",
            NotRegular::Fifo => "a FIFO (named pipe)",
            NotRegular::CharDevice => "a character device",
            NotRegular::BlockDevice => "a block device",
            NotRegular::Socket => "a socket",
            NotRegular::Other => "not a regular file",
        }
    }
}

/// Why a file was not read. The message starts with the path.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: is {}, not a regular file; not read", path.display(), what.describe())]
    NotRegular { path: PathBuf, what: NotRegular },
    #[error("{}: {size} bytes, over the {limit}-byte limit for this kind of file; not read", path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{}: changed while it was being read (reinstalled?); run again", path.display())]
    Changed { path: PathBuf },
}

impl ReadError {
    pub fn path(&self) -> &Path {
        match self {
            ReadError::Io { path, .. }
            | ReadError::NotRegular { path, .. }
            | ReadError::TooLarge { path, .. }
            | ReadError::Changed { path } => path,
        }
    }

    /// The message without the leading path, for diagnostics that print the path themselves.
    pub fn reason(&self) -> String {
        let full = self.to_string();
        let prefix = format!("{}: ", self.path().display());
        full.strip_prefix(&prefix).unwrap_or(&full).to_string()
    }

    /// The file does not exist (or a path component is missing).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    fn io(path: &Path, source: std::io::Error) -> Self {
        ReadError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Open `path` for reading without blocking on FIFOs, and make sure it is a regular file.
/// Returns the file and its size.
pub fn open_regular(path: &Path) -> Result<(File, std::fs::Metadata), ReadError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
        // O_NOCTTY: a terminal device never becomes our controlling terminal.
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = opts.open(path).map_err(|e| ReadError::io(path, e))?;
    let meta = file.metadata().map_err(|e| ReadError::io(path, e))?;
    let ft = meta.file_type();
    if !ft.is_file() {
        return Err(ReadError::NotRegular {
            path: path.to_path_buf(),
            what: classify(&ft),
        });
    }
    Ok((file, meta))
}

/// What a non-regular file type is.
pub fn classify(ft: &std::fs::FileType) -> NotRegular {
    if ft.is_dir() {
        return NotRegular::Directory;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return NotRegular::Fifo;
        }
        if ft.is_char_device() {
            return NotRegular::CharDevice;
        }
        if ft.is_block_device() {
            return NotRegular::BlockDevice;
        }
        if ft.is_socket() {
            return NotRegular::Socket;
        }
    }
    NotRegular::Other
}

/// Read a whole regular file of at most `limit` bytes. A file that grows past the limit while it
/// is read is refused the same way (the read stops at limit + 1 bytes).
pub fn read_bounded(path: &Path, limit: Limit) -> Result<Vec<u8>, ReadError> {
    let (file, meta) = open_regular(path)?;
    let cap = limit.bytes();
    if meta.len() > cap {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit: cap,
        });
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ReadError::io(path, e))?;
    if buf.len() as u64 > cap {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            size: buf.len() as u64,
            limit: cap,
        });
    }
    Ok(buf)
}

/// [`read_bounded`], decoded as UTF-8 with invalid sequences replaced.
pub fn read_text(path: &Path, limit: Limit) -> Result<String, ReadError> {
    read_bounded(path, limit).map(|b| match String::from_utf8(b) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Read at most `limit` bytes from a stream (standard input); `true` when it was cut there.
pub fn read_stream_bounded(r: impl Read, limit: Limit) -> std::io::Result<(Vec<u8>, bool)> {
    let cap = limit.bytes();
    let mut buf = Vec::new();
    r.take(cap + 1).read_to_end(&mut buf)?;
    let cut = buf.len() as u64 > cap;
    buf.truncate(cap as usize);
    Ok((buf, cut))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_within_their_limit() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("METADATA");
        std::fs::write(&p, "Name: x\n").unwrap();
        assert_eq!(read_text(&p, Limit::Metadata).unwrap(), "Name: x\n");
        let big = t.path().join("big.pth");
        let f = File::create(&big).unwrap();
        f.set_len(Limit::Small.bytes() + 1).unwrap(); // sparse
        let e = read_bounded(&big, Limit::Small).unwrap_err();
        assert!(matches!(e, ReadError::TooLarge { .. }), "{e}");
        assert!(e.to_string().starts_with(&big.display().to_string()));
    }

    #[cfg(unix)]
    #[test]
    fn fifos_devices_and_directories_are_refused_without_blocking() {
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("x.pth");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let e = read_bounded(&fifo, Limit::Small).unwrap_err();
        assert!(
            matches!(
                e,
                ReadError::NotRegular {
                    what: NotRegular::Fifo,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("FIFO"), "{e}");
        let zero = t.path().join("METADATA");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let e = read_bounded(&zero, Limit::Metadata).unwrap_err();
        assert!(
            matches!(
                e,
                ReadError::NotRegular {
                    what: NotRegular::CharDevice,
                    ..
                }
            ),
            "{e}"
        );
        let e = read_bounded(t.path(), Limit::Small).unwrap_err();
        assert!(matches!(
            e,
            ReadError::NotRegular {
                what: NotRegular::Directory,
                ..
            }
        ));
    }

    #[test]
    fn streams_are_cut_at_the_limit_and_say_so() {
        let data = [b'x'; 10];
        let (b, cut) = read_stream_bounded(&data[..], Limit::Log).unwrap();
        assert_eq!((b.len(), cut), (10, false));
        let (b, cut) = read_stream_bounded(
            std::io::repeat(b'y').take(Limit::Log.bytes() + 5),
            Limit::Log,
        )
        .unwrap();
        assert_eq!((b.len() as u64, cut), (Limit::Log.bytes(), true));
    }
}
