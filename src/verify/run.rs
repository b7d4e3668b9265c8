//! Running the driver: one fresh interpreter per import, its own process group, a deadline.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{Cause, ImportResult, Mode, Outcome, VerifyError, Warning};

/// The driver script, passed with `-c`.
pub const DRIVER: &str = include_str!("driver.py");
const MARK: &str = "\u{1e}ABI_DOCTOR_VERIFY ";
/// Bytes of each output stream kept (the rest is dropped, and says so).
const STREAM_CAP: usize = 256 * 1024;

/// Where and how to run the interpreter.
#[derive(Debug, Clone)]
pub struct Runner {
    pub python: PathBuf,
    /// Added with `site.addsitedir` when not already on `sys.path`.
    pub site_packages: Vec<PathBuf>,
    pub timeout: Duration,
    /// Working directory of the child (nothing importable should be in it).
    pub cwd: PathBuf,
}

#[derive(Debug, Default, Deserialize)]
struct Line {
    stage: Option<String>,
    module: Option<String>,
    outcome: Option<String>,
    exception: Option<String>,
    message: Option<String>,
    cause: Option<Cause>,
    failed_in: Option<String>,
    origin: Option<String>,
    #[serde(default)]
    traceback: Vec<String>,
    #[serde(default)]
    warnings: Vec<Warning>,
}

impl Runner {
    /// Import `name` (whose file is `path`) in a fresh interpreter. Never fails: an interpreter
    /// that cannot be started is an `error` outcome with the reason as its message.
    pub fn import(&self, mode: Mode, name: &str, path: Option<&Path>) -> ImportResult {
        let start = Instant::now();
        let mut cmd = Command::new(&self.python);
        cmd.arg("-W")
            .arg("always")
            .arg("-X")
            .arg("faulthandler")
            .arg("-c")
            .arg(DRIVER)
            .arg(match mode {
                Mode::Plain => "plain",
                Mode::Stub => "stub",
            })
            .arg(name);
        if let Some(p) = path {
            cmd.arg(p);
        }
        self.configure(&mut cmd);
        let mut result = ImportResult::new(mode, Outcome::Error);
        match self.run(cmd) {
            Err(e) => {
                result.message = Some(e.to_string());
            }
            Ok(done) => fill(&mut result, done),
        }
        result.duration_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        result
    }

    /// Can the interpreter run at all? (`python -c pass`, same deadline.)
    pub fn preflight(&self) -> Result<(), VerifyError> {
        let mut cmd = Command::new(&self.python);
        cmd.arg("-c").arg("import sys, os, json, warnings, site");
        self.configure(&mut cmd);
        let done = self.run(cmd).map_err(|source| VerifyError::Spawn {
            python: self.python.display().to_string(),
            source,
        })?;
        match done.status {
            Ended::Exited(0) => Ok(()),
            other => Err(VerifyError::Interpreter {
                python: self.python.display().to_string(),
                reason: format!(
                    "{}: {}",
                    other.describe(),
                    String::from_utf8_lossy(&done.stderr).trim()
                ),
            }),
        }
    }

    fn configure(&self, cmd: &mut Command) {
        // The environment's own paths only: no user PYTHONPATH, startup file or warning filters.
        for var in [
            "PYTHONPATH",
            "PYTHONHOME",
            "PYTHONSTARTUP",
            "PYTHONWARNINGS",
            "PYTHONSAFEPATH",
            "PYTHONINSPECT",
        ] {
            cmd.env_remove(var);
        }
        // Many processes at once: keep each BLAS/OpenMP runtime to one thread.
        for var in [
            "OPENBLAS_NUM_THREADS",
            "OMP_NUM_THREADS",
            "MKL_NUM_THREADS",
            "NUMEXPR_NUM_THREADS",
        ] {
            if std::env::var_os(var).is_none() {
                cmd.env(var, "1");
            }
        }
        let site = std::env::join_paths(&self.site_packages).unwrap_or_default();
        cmd.env("ABI_DOCTOR_VERIFY_SITE", site)
            .env("ABI_DOCTOR_VERIFY_PARENT", std::process::id().to_string())
            .env("PYTHONIOENCODING", "utf-8:backslashreplace")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .current_dir(&self.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Its own session: killed as a whole when the import ends (super::reaper).
        super::reaper::own_session(cmd);
    }

    fn run(&self, mut cmd: Command) -> std::io::Result<Done> {
        let mut child = super::reaper::spawn(&mut cmd)?;
        let out = reader(child.stdout.take());
        let err = reader(child.stderr.take());
        let deadline = Instant::now() + self.timeout;
        let mut timed_out = false;
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) => {}
                Err(_) => break None,
            }
            if Instant::now() >= deadline {
                timed_out = true;
                kill_group(&mut child);
                break child.wait().ok();
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        // A grandchild may still hold the pipes: give them a moment, then end the group.
        let grace = Duration::from_secs(2);
        let mut stdout = out.recv_timeout(grace);
        let mut stderr = err.recv_timeout(grace);
        if stdout.is_err() || stderr.is_err() {
            kill_group(&mut child);
            if stdout.is_err() {
                stdout = out.recv_timeout(grace);
            }
            if stderr.is_err() {
                stderr = err.recv_timeout(grace);
            }
        }
        // Whatever the import left running (its session, and daemons that left the session and
        // were re-parented to us) ends with it.
        let leftovers = super::reaper::ended(child.id());
        Ok(Done {
            leftovers,
            status: if timed_out {
                Ended::TimedOut
            } else {
                status.map(Ended::from).unwrap_or(Ended::Unknown)
            },
            stdout: stdout.unwrap_or_default(),
            stderr: stderr.unwrap_or_default(),
        })
    }
}

struct Done {
    /// Processes the import left running, killed when it ended.
    leftovers: usize,
    status: Ended,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
enum Ended {
    Exited(i32),
    /// Killed by a signal: only Unix reports one (a Windows process always has an exit code).
    #[cfg(unix)]
    Signal(i32),
    TimedOut,
    Unknown,
}

impl Ended {
    fn describe(self) -> String {
        match self {
            Ended::Exited(c) => format!("exited with status {c}"),
            #[cfg(unix)]
            Ended::Signal(s) => format!("killed by {}", signal_name(s)),
            Ended::TimedOut => "did not finish in time".to_string(),
            Ended::Unknown => "ended in an unknown way".to_string(),
        }
    }
}

impl From<std::process::ExitStatus> for Ended {
    fn from(s: std::process::ExitStatus) -> Self {
        if let Some(c) = s.code() {
            return Ended::Exited(c);
        }
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(sig) = s.signal() {
                return Ended::Signal(sig);
            }
        }
        Ended::Unknown
    }
}

fn reader<R: Read + Send + 'static>(stream: Option<R>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("verify-pipe".into())
        .spawn(move || {
            let mut kept = Vec::new();
            if let Some(mut s) = stream {
                let mut buf = [0u8; 8192];
                let mut dropped = false;
                loop {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            let room = STREAM_CAP.saturating_sub(kept.len());
                            kept.extend_from_slice(&buf[..n.min(room)]);
                            dropped |= n > room;
                        }
                    }
                }
                if dropped {
                    kept.extend_from_slice(b"\n[abi-doctor: output truncated]\n");
                }
            }
            let _ = tx.send(kept);
        });
    if spawned.is_err() {
        let (tx2, rx2) = mpsc::channel();
        let _ = tx2.send(Vec::new());
        return rx2;
    }
    rx
}

/// SIGKILL the child's whole process group (it is its leader), then the child itself.
fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg("--")
            .arg(format!("-{}", child.id()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
}

/// `SIGSEGV` for 11 (Linux numbering for the signals that differ between systems).
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        #[cfg(target_os = "linux")]
        7 => "SIGBUS",
        #[cfg(target_os = "linux")]
        31 => "SIGSYS",
        #[cfg(target_os = "macos")]
        10 => "SIGBUS",
        #[cfg(target_os = "macos")]
        12 => "SIGSYS",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}

/// An `error` result with nothing filled in yet.
/// What the parent reads from a driver that printed `stdout` and `stderr` and exited with `exit`
/// (a signal number when `signal`): the pure half of [`Runner::import`], for `crate::fuzzing`.
pub(crate) fn parse_driver_output(
    stdout: &[u8],
    stderr: &[u8],
    exit: i32,
    signal: bool,
) -> ImportResult {
    let mut r = ImportResult::new(Mode::Plain, Outcome::Error);
    let status = match signal {
        #[cfg(unix)]
        true => Ended::Signal(exit),
        // Windows has no signals: a fuzz input that claims one ended in an unknown way.
        #[cfg(not(unix))]
        true => Ended::Unknown,
        false => Ended::Exited(exit),
    };
    fill(
        &mut r,
        Done {
            leftovers: 0,
            status,
            stdout: stdout.to_vec(),
            stderr: stderr.to_vec(),
        },
    );
    r
}

fn fill(r: &mut ImportResult, done: Done) {
    let stdout = String::from_utf8_lossy(&done.stdout);
    r.stderr = String::from_utf8_lossy(&done.stderr).into_owned();
    let mut last: Option<Line> = None;
    for raw in stdout.lines() {
        let Some(json) = raw.find(MARK).map(|i| &raw[i + MARK.len()..]) else {
            continue;
        };
        let Ok(line) = serde_json::from_str::<Line>(json) else {
            continue;
        };
        if line.stage.is_some() {
            r.last_stage = line.stage.clone();
            r.last_stage_module = line.module.clone();
        } else if line.outcome.is_some() {
            last = Some(line);
        }
    }
    let status = done.status;
    match (status, last) {
        (Ended::TimedOut, _) => {
            r.outcome = Outcome::Timeout;
            r.signal = Some(signal_name(9));
            r.message = Some(format!(
                "no answer within the timeout while importing {}; process group killed",
                r.last_stage_module.as_deref().unwrap_or("the module")
            ));
        }
        #[cfg(unix)]
        (Ended::Signal(sig), _) => {
            r.outcome = Outcome::Crash;
            r.signal = Some(signal_name(sig));
            r.message = Some(format!(
                "interpreter killed by {} while importing {}",
                signal_name(sig),
                r.last_stage_module.as_deref().unwrap_or("the module")
            ));
        }
        (_, Some(line)) => {
            r.outcome = match line.outcome.as_deref() {
                Some("ok") if line.warnings.is_empty() => Outcome::Ok,
                Some("ok") => Outcome::Warning,
                _ => Outcome::Error,
            };
            r.exception = line.exception;
            r.message = line.message;
            r.cause = line.cause;
            r.failed_in = line.failed_in;
            r.origin = line.origin;
            r.traceback = line.traceback;
            r.warnings = line.warnings;
        }
        (status, None) => {
            r.outcome = Outcome::Error;
            if let Ended::Exited(c) = status {
                r.exit_code = Some(c);
            }
            if r.last_stage.as_deref() == Some("parent") {
                r.failed_in = r.last_stage_module.clone();
            }
            let left = match done.leftovers {
                0 => String::new(),
                n => format!("; it left {n} process(es) running (a daemon?), killed"),
            };
            r.message = Some(format!(
                "interpreter {} before reporting, while importing {}: the module's \
                 initialisation ended the process{left}",
                status.describe(),
                r.last_stage_module.as_deref().unwrap_or("the module")
            ));
        }
    }
}
