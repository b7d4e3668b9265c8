//! Nothing an import starts outlives `verify`.
//!
//! Each import runs in its own session (`setsid` in the child before `exec`), so everything it
//! starts without detaching shares that session and is killed with it. A module that daemonises
//! (forks, calls `setsid` itself, points its stdio at `/dev/null`, and lets the intermediate
//! process exit) escapes its session; on Linux, `verify` therefore makes itself a child
//! subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`), so such orphans are re-parented to it instead of
//! to init, and every stray child that is not a running import is killed and reaped. Elsewhere
//! only the session (process group) is killed.

use std::collections::HashSet;
use std::sync::Mutex;

/// Imports whose interpreters are running now: their pids, which are also their session ids.
static ACTIVE: Mutex<Option<HashSet<u32>>> = Mutex::new(None);

/// Become the subreaper of everything the imports start (Linux). Idempotent.
pub(super) fn adopt_orphans() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with an integer option and value; no memory is passed.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
}

/// Prepare `cmd` so that its process starts a new session.
pub(super) fn own_session(cmd: &mut std::process::Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(unix))]
    let _ = cmd;
}

/// Spawn an import's interpreter and register it as running, both under the lock that
/// [`kill_strays`] takes, so that a child just spawned is never taken for a stray.
pub(super) fn spawn(cmd: &mut std::process::Command) -> std::io::Result<std::process::Child> {
    let mut active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner());
    let child = cmd.spawn()?;
    active.get_or_insert_with(HashSet::new).insert(child.id());
    Ok(child)
}

/// The import `pid` has ended (or is being killed): kill its whole session, then every stray
/// child of ours. Returns how many processes were killed.
pub(super) fn ended(pid: u32) -> usize {
    if let Ok(mut a) = ACTIVE.lock() {
        if let Some(set) = a.as_mut() {
            set.remove(&pid);
        }
    }
    kill_session(pid) + kill_strays()
}

/// SIGKILL every process whose session is `sid`.
fn kill_session(sid: u32) -> usize {
    #[cfg(target_os = "linux")]
    {
        processes()
            .into_iter()
            .filter(|p| p.session == sid)
            .filter(|p| kill(p.pid))
            .count()
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        // The session's first process group: the import's own.
        usize::from(kill_group(sid))
    }
    #[cfg(not(unix))]
    {
        // No sessions to kill: the child itself is killed by the runner.
        let _ = sid;
        0
    }
}

/// SIGKILL and reap every child of this process that is not a running import: orphans of
/// earlier imports, re-parented to us as their subreaper.
pub(super) fn kill_strays() -> usize {
    #[cfg(not(target_os = "linux"))]
    let n = 0;
    #[cfg(target_os = "linux")]
    let mut n = 0;
    #[cfg(target_os = "linux")]
    {
        let me = std::process::id();
        let active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner());
        for p in processes() {
            let running = active.as_ref().is_some_and(|a| a.contains(&p.pid));
            if p.parent == me && !running && p.pid != me {
                if kill(p.pid) {
                    n += 1;
                }
                // SAFETY: waitpid on a specific child of ours; the status is not kept.
                unsafe {
                    let mut status = 0;
                    libc::waitpid(p.pid as libc::pid_t, &mut status, 0);
                }
            }
        }
    }
    n
}

#[cfg(unix)]
fn kill(pid: u32) -> bool {
    // SAFETY: kill(2) with a pid and a signal number.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) == 0 }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn kill_group(pgid: u32) -> bool {
    // SAFETY: kill(2) with a negative pid names a process group.
    unsafe { libc::kill(-(pgid as libc::pid_t), libc::SIGKILL) == 0 }
}

#[cfg(target_os = "linux")]
struct Proc {
    pid: u32,
    parent: u32,
    session: u32,
}

/// Every process in /proc, with its parent and session (fields 4 and 6 of /proc/PID/stat, read
/// after the command name, which may hold spaces and parentheses).
#[cfg(target_os = "linux")]
fn processes() -> Vec<Proc> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    rd.flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let rest = &stat[stat.rfind(')')? + 1..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            // rest: state ppid pgrp session ...
            Some(Proc {
                pid,
                parent: f.get(1)?.parse().ok()?,
                session: f.get(3)?.parse().ok()?,
            })
        })
        .collect()
}
