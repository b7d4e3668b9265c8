//! The journal of `fix --apply`: one JSON file per environment in the user's cache directory,
//! rewritten at every phase through a temporary file, fsync'd and renamed into place, so that
//! after a crash or a SIGKILL it names the last phase that was reached.
//!
//! Layout of the state directory of one environment (`STATE/<name>-<sha256(prefix)[..16]>/`):
//! `journal.json`, `lock`, `freeze.json` (before), `planned.json` (after the install),
//! `snapshot/manifest.json` + `snapshot/files/N`, `install.log`.

use super::snapshot::{io, write_atomic, SnapshotError};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How far an apply got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Copies are being taken; the environment is untouched.
    SnapshotStarted,
    /// The snapshot and the freeze are on disk; nothing changed yet.
    SnapshotComplete,
    /// The installer is running.
    Applying,
    /// The installer finished; the planned freeze is on disk; the re-check has not passed yet.
    Applied,
    /// The re-check and imports passed.
    Verified,
    /// Done; the snapshot is kept for `fix --rollback`.
    Committed,
    /// The snapshot is being put back.
    RollingBack,
    /// The environment is as it was before the apply.
    RolledBack,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::SnapshotStarted => "snapshot-started",
            Phase::SnapshotComplete => "snapshot-complete",
            Phase::Applying => "applying",
            Phase::Applied => "applied",
            Phase::Verified => "verified",
            Phase::Committed => "committed",
            Phase::RollingBack => "rolling-back",
            Phase::RolledBack => "rolled-back",
        }
    }

    /// Whether nothing is left to finish.
    pub fn is_final(self) -> bool {
        matches!(self, Phase::Committed | Phase::RolledBack)
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One phase reached, with the time since the apply started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Reached {
    pub phase: Phase,
    pub ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    pub schema_version: u32,
    pub prefix: PathBuf,
    pub python: Option<PathBuf>,
    pub phase: Phase,
    /// The process that wrote it.
    pub pid: u32,
    /// Milliseconds since the epoch when the apply started.
    pub started_ms: u64,
    pub changes: Vec<super::apply::Change>,
    /// The commands run (as printed).
    pub commands: Vec<String>,
    pub history: Vec<Reached>,
    /// Why the apply was rolled back, when it was.
    pub reason: Option<String>,
    /// The rollback was done after the apply had been committed (`fix --rollback`).
    pub after_commit: bool,
}

pub const SCHEMA_VERSION: u32 = 1;

impl Journal {
    pub fn new(
        prefix: &Path,
        python: Option<&Path>,
        changes: &[super::apply::Change],
        commands: Vec<String>,
    ) -> Journal {
        Journal {
            schema_version: SCHEMA_VERSION,
            prefix: prefix.to_path_buf(),
            python: python.map(Path::to_path_buf),
            phase: Phase::SnapshotStarted,
            pid: std::process::id(),
            started_ms: now_ms(),
            changes: changes.to_vec(),
            commands,
            history: vec![Reached {
                phase: Phase::SnapshotStarted,
                ms: 0,
            }],
            reason: None,
            after_commit: false,
        }
    }

    /// Move to `phase` and write the journal (durably) before returning.
    pub fn enter(&mut self, dir: &StateDir, phase: Phase) -> Result<(), SnapshotError> {
        self.phase = phase;
        self.pid = std::process::id();
        let ms = now_ms().saturating_sub(self.started_ms);
        self.history.push(Reached { phase, ms });
        self.save(dir)
    }

    pub fn save(&self, dir: &StateDir) -> Result<(), SnapshotError> {
        let path = dir.journal();
        let json = serde_json::to_vec_pretty(self).map_err(|e| SnapshotError::Format {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        write_atomic(&path, &json)
    }

    pub fn load(dir: &StateDir) -> Result<Option<Journal>, SnapshotError> {
        let path = dir.journal();
        match fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| SnapshotError::Format {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path)(e)),
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The state directory of one environment.
#[derive(Debug, Clone)]
pub struct StateDir {
    pub dir: PathBuf,
}

impl StateDir {
    /// `state/<last component of prefix>-<first 16 hex of sha256(prefix)>`.
    pub fn for_prefix(state: &Path, prefix: &Path) -> StateDir {
        let p = prefix.to_string_lossy();
        let name: String = prefix
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let hash = super::snapshot::sha256_str(&p);
        StateDir {
            dir: state.join(format!("{name}-{}", &hash[..16])),
        }
    }
    pub fn journal(&self) -> PathBuf {
        self.dir.join("journal.json")
    }
    pub fn freeze(&self) -> PathBuf {
        self.dir.join("freeze.json")
    }
    pub fn planned(&self) -> PathBuf {
        self.dir.join("planned.json")
    }
    pub fn snapshot(&self) -> PathBuf {
        self.dir.join("snapshot")
    }
    pub fn log(&self) -> PathBuf {
        self.dir.join("install.log")
    }
    pub fn build_constraints(&self) -> PathBuf {
        self.dir.join("build-constraints.txt")
    }
    pub fn lock_path(&self) -> PathBuf {
        self.dir.join("lock")
    }
}

/// An exclusive lock on an environment's state directory, held for the life of the value. On
/// Unix it is an `flock` on `lock`, and `inheritable` makes children (the installer, import
/// subprocesses) hold it too: a recovery after a SIGKILL waits until no process of the killed
/// run can still be writing into the environment.
pub struct Lock {
    _file: fs::File,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: another abi-doctor (or an installer it started) has held this lock for {waited:?}; wait for it to end")]
pub struct Busy {
    pub path: String,
    pub waited: Duration,
}

impl Lock {
    pub fn acquire(dir: &StateDir, wait: Duration, inheritable: bool) -> Result<Lock, LockError> {
        fs::create_dir_all(&dir.dir).map_err(|e| LockError::Io(io(&dir.dir)(e)))?;
        let path = dir.lock_path();
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| LockError::Io(io(&path)(e)))?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            let fd = file.as_raw_fd();
            let start = std::time::Instant::now();
            loop {
                // SAFETY: flock on a descriptor this function owns.
                let rc = unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) };
                if rc == 0 {
                    break;
                }
                let err = std::io::Error::last_os_error();
                if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
                    return Err(LockError::Io(io(&path)(err)));
                }
                if start.elapsed() >= wait {
                    return Err(LockError::Busy(Busy {
                        path: path.display().to_string(),
                        waited: start.elapsed(),
                    }));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if inheritable {
                // SAFETY: clearing FD_CLOEXEC on a descriptor this function owns.
                unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
            }
        }
        #[cfg(not(unix))]
        let _ = (wait, inheritable);
        Ok(Lock { _file: file })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(transparent)]
    Io(SnapshotError),
    #[error(transparent)]
    Busy(Busy),
}
