//! Hostile and broken environments: `check` and `inspect` on a real venv (CPython 3.11 and NumPy
//! 2.0.2 from PyPI, see `support::venv`) into which this suite plants what a scan must survive.
//!
//! For every case it asserts that the scan
//! - finishes within a bound (a FIFO used to hang it forever),
//! - names the bad file in a clear message and goes on (the healthy findings are still there),
//! - ran nothing from the environment (every booby trap writes a marker file when executed),
//! - changed nothing in the environment (a manifest of every entry, `__pycache__` included,
//!   with content hashes of regular files, before and after).

#![allow(clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::venv::{copy_fixture, test_venv};

const PY311: &str = "3.11.7";
const NUMPY: &str = "2.0.2";
/// A scan of this small venv takes well under a second; a hang is anything past this.
const BOUND: Duration = Duration::from_secs(60);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Run {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Run abi-doctor with `args`, killed at [`BOUND`] (a hang fails the test, never the suite).
fn abi_doctor(args: &[&str], as_user: Option<u32>) -> Run {
    // ABI_DOCTOR_BIN: run the suite against another build (an older one, to show what it did).
    let exe = std::env::var("ABI_DOCTOR_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_abi-doctor").to_string());
    let mut cmd = match as_user {
        Some(uid) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={uid}"))
                .arg(format!("--regid={uid}"))
                .arg("--clear-groups")
                .arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    let start = Instant::now();
    let mut child = cmd
        .args(args)
        // No interpreter from this process's environment may be picked instead.
        .env_remove("VIRTUAL_ENV")
        .env_remove("CONDA_PREFIX")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run abi-doctor");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > BOUND {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = start.elapsed();
    let run = Run {
        code: status.and_then(|s| s.code()),
        stdout: o.join().unwrap(),
        stderr: e.join().unwrap(),
        took,
    };
    assert!(
        status.is_some(),
        "abi-doctor {args:?} did not finish within {BOUND:?}\n{}",
        run.all()
    );
    run
}

/// Every entry under `root`: its kind, and for regular files size and a content hash (FIFOs
/// and devices are never opened).
fn manifest(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            let ft = meta.file_type();
            let what = if ft.is_symlink() {
                format!("link -> {:?}", std::fs::read_link(&p).ok())
            } else if ft.is_dir() {
                stack.push(p.clone());
                "dir".to_string()
            } else if ft.is_file() {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                if meta.len() < 64 << 20 {
                    use std::hash::Hasher;
                    h.write(&std::fs::read(&p).unwrap_or_default());
                    format!("file {} {:x}", meta.len(), std::hash::Hasher::finish(&h))
                } else {
                    format!("file {} (large)", meta.len())
                }
            } else {
                format!("special {:o}", meta.permissions().mode())
            };
            out.insert(p, what);
        }
    }
    out
}

fn assert_unchanged(before: &BTreeMap<PathBuf, String>, root: &Path) {
    let after = manifest(root);
    for (p, w) in &after {
        match before.get(p) {
            None => panic!("the scan created {} ({w})", p.display()),
            Some(b) if b != w => panic!("the scan changed {}: {b} -> {w}", p.display()),
            _ => {}
        }
    }
    for p in before.keys() {
        assert!(after.contains_key(p), "the scan removed {}", p.display());
    }
}

fn mkfifo(p: &Path) {
    let st = Command::new("mkfifo").arg(p).status().unwrap();
    assert!(st.success(), "mkfifo {}", p.display());
}

/// Booby traps: each writes a file into `marks` if it is ever executed.
fn plant_traps(venv: &Path, site: &Path, marks: &Path) {
    let mark = |name: &str| {
        format!(
            "open({:?}, 'w').close()",
            marks.join(name).display().to_string()
        )
    };
    std::fs::write(site.join("sitecustomize.py"), mark("sitecustomize") + "\n").unwrap();
    std::fs::write(site.join("usercustomize.py"), mark("usercustomize") + "\n").unwrap();
    std::fs::write(
        site.join("zz-trap.pth"),
        format!("import os; {}\n", mark("pth")),
    )
    .unwrap();
    let pkg = site.join("trappkg");
    copy_fixture("capi_np1_26_4_x86_64.so", &pkg);
    std::fs::write(pkg.join("__init__.py"), mark("init") + "\n").unwrap();
    // A planted interpreter beside the real one (never named by the user).
    let fake = venv.join("bin/python3.11-trap");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\ntouch {}\n", marks.join("interpreter").display()),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn assert_nothing_ran(marks: &Path) {
    let ran: Vec<String> = std::fs::read_dir(marks)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(ran.is_empty(), "code from the environment ran: {ran:?}");
}

/// The fixture NumPy-1.26 module in `trappkg` is the healthy signal: the scan went on.
fn assert_scan_went_on(r: &Run) {
    assert_eq!(r.code, Some(1), "exit code\n{}", r.all());
    assert!(
        r.stdout.contains("trappkg.capi_np1_26_4_x86_64"),
        "the scan did not go on to the good files\n{}",
        r.all()
    );
}

#[test]
fn fifos_devices_loops_and_huge_files_are_named_and_the_scan_goes_on() {
    let Some((tmp, venv, site)) = test_venv(PY311, NUMPY) else {
        return;
    };
    let marks = tmp.path().join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    plant_traps(&venv, &site, &marks);

    // A distribution whose metadata files are a FIFO, /dev/zero and a huge sparse file.
    let di = site.join("fifodist-1.0.dist-info");
    std::fs::create_dir_all(&di).unwrap();
    mkfifo(&di.join("METADATA"));
    mkfifo(&di.join("RECORD"));
    let di2 = site.join("zerodist-1.0.dist-info");
    std::fs::create_dir_all(&di2).unwrap();
    symlink("/dev/zero", di2.join("METADATA")).unwrap();
    symlink("/dev/zero", di2.join("RECORD")).unwrap();
    let di3 = site.join("hugedist-1.0.dist-info");
    std::fs::create_dir_all(&di3).unwrap();
    std::fs::File::create(di3.join("METADATA"))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    // The .pth files and NumPy's version file.
    mkfifo(&site.join("aa-fifo.pth"));
    symlink("/dev/zero", site.join("ab-zero.pth")).unwrap();
    // Binaries: a FIFO, a device, a loop, a dangling link, a 3 GiB sparse ELF.
    let ext = "cpython-311-x86_64-linux-gnu.so";
    mkfifo(&site.join(format!("fifomod.{ext}")));
    symlink("/dev/zero", site.join(format!("zeromod.{ext}"))).unwrap();
    symlink(
        site.join(format!("loopmod.{ext}")),
        site.join(format!("loopmod.{ext}")),
    )
    .unwrap();
    symlink("/nonexistent/x.so", site.join(format!("dangling.{ext}"))).unwrap();
    let huge = site.join(format!("hugemod.{ext}"));
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&huge).unwrap();
        f.write_all(b"\x7fELF\x02\x01\x01").unwrap();
        f.set_len(3 << 30).unwrap();
    }
    let before = manifest(&venv);

    let r = abi_doctor(&["check", "--env", venv.to_str().unwrap()], None);
    eprintln!("check took {:?}\n{}", r.took, r.all());
    assert_scan_went_on(&r);
    for (file, says) in [
        (di.join("METADATA"), "FIFO"),
        (di2.join("METADATA"), "character device"),
        (di3.join("METADATA"), "limit"),
        (site.join(format!("fifomod.{ext}")), "FIFO"),
        (site.join(format!("zeromod.{ext}")), "character device"),
        (site.join(format!("loopmod.{ext}")), "loop"),
        (site.join(format!("dangling.{ext}")), "dangling"),
        (huge.clone(), "limit"),
    ] {
        let line = r
            .stdout
            .lines()
            .find(|l| l.contains(file.to_str().unwrap()))
            .unwrap_or_else(|| panic!("{} is not named\n{}", file.display(), r.all()));
        assert!(
            line.to_lowercase().contains(&says.to_lowercase()),
            "{}: expected it to say {says:?}: {line}",
            file.display()
        );
    }
    // The .pth FIFO and device are discovery notes (they cannot hold site directories).
    let verbose = abi_doctor(
        &["check", "--verbose", "--env", venv.to_str().unwrap()],
        None,
    );
    for pth in ["aa-fifo.pth", "ab-zero.pth"] {
        assert!(
            verbose.all().contains(&format!("{pth}: is a")),
            "{pth} is not named\n{}",
            verbose.all()
        );
    }
    assert_nothing_ran(&marks);
    assert_unchanged(&before, &venv);

    // `inspect` on the same files.
    let r = abi_doctor(
        &[
            "inspect",
            site.join(format!("fifomod.{ext}")).to_str().unwrap(),
            site.join(format!("zeromod.{ext}")).to_str().unwrap(),
            huge.to_str().unwrap(),
            site.join("trappkg").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert!(r.all().contains("FIFO"), "{}", r.all());
    assert!(r.all().contains("character device"), "{}", r.all());
    assert!(r.stdout.contains("capi_np1_26_4_x86_64"), "{}", r.all());
    let fifo_whl = tmp.path().join("x-1.0-py3-none-any.whl");
    mkfifo(&fifo_whl);
    let r = abi_doctor(&["inspect", fifo_whl.to_str().unwrap()], None);
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(r.all().contains("FIFO"), "{}", r.all());
}

/// NumPy's own version file as a FIFO, or as /dev/zero: the version comes from the metadata and
/// the scan finishes.
#[test]
fn a_hostile_numpy_version_file_does_not_hang_the_scan() {
    let Some((tmp, venv, site)) = test_venv(PY311, NUMPY) else {
        return;
    };
    let marks = tmp.path().join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    plant_traps(&venv, &site, &marks);
    let version = site.join("numpy/version.py");
    std::fs::remove_file(&version).unwrap();
    mkfifo(&version);
    let before = manifest(&venv);
    let r = abi_doctor(&["check", "--env", venv.to_str().unwrap()], None);
    assert_scan_went_on(&r);
    assert!(r.stdout.contains(&format!("NumPy {NUMPY}")), "{}", r.all());
    std::fs::remove_file(&version).unwrap();
    symlink("/dev/zero", &version).unwrap();
    let r = abi_doctor(&["check", "--env", venv.to_str().unwrap()], None);
    assert_scan_went_on(&r);
    assert_nothing_ran(&marks);
    // The FIFO was swapped for the link by this test, not by the scan.
    let mut before = before;
    before.insert(version.clone(), manifest(&venv)[&version].clone());
    assert_unchanged(&before, &venv);
}

/// A file another user cannot read, scanned as that user: named, and the scan goes on.
#[test]
fn files_unreadable_to_the_scanning_user_are_named() {
    // Root reads everything: the scan runs as `nobody` (uid 65534) through setpriv.
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let setpriv = Command::new("setpriv")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let who: Result<Option<u32>, String> = match (is_root, setpriv) {
        (false, _) => Ok(None),
        (true, true) => Ok(Some(65534)),
        (true, false) => Err("running as root and setpriv (util-linux) is missing".into()),
    };
    let Some(as_user) = support::require(who, "a non-root user to scan as") else {
        return;
    };
    let Some((tmp, venv, site)) = test_venv(PY311, NUMPY) else {
        return;
    };
    let marks = tmp.path().join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    plant_traps(&venv, &site, &marks);
    let secret = site.join("secretdist-1.0.dist-info");
    std::fs::create_dir_all(&secret).unwrap();
    std::fs::write(secret.join("METADATA"), "Name: secretdist\nVersion: 1.0\n").unwrap();
    let hidden = site.join("hidden");
    copy_fixture("capi_np2_0_2_x86_64.so", &hidden);
    if as_user.is_some() {
        // The rest of the tree readable to everyone, these two not.
        let _ = Command::new("chmod")
            .args(["-R", "a+rX"])
            .arg(tmp.path())
            .status();
    }
    std::fs::set_permissions(
        secret.join("METADATA"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let lib = hidden.join("capi_np2_0_2_x86_64.so");
    std::fs::set_permissions(&lib, std::fs::Permissions::from_mode(0o000)).unwrap();
    let before = manifest(&venv);
    let r = abi_doctor(&["check", "--env", venv.to_str().unwrap()], as_user);
    eprintln!("{}", r.all());
    assert_scan_went_on(&r);
    for f in [secret.join("METADATA"), lib] {
        let line = r
            .stdout
            .lines()
            .find(|l| l.contains(f.to_str().unwrap()))
            .unwrap_or_else(|| panic!("{} is not named\n{}", f.display(), r.all()));
        assert!(line.contains("ermission denied"), "{line}");
    }
    assert_nothing_ran(&marks);
    assert_unchanged(&before, &venv);
}

/// Binaries rewritten and truncated while they are scanned (pip reinstalling): every scan ends
/// with a report, never a signal (SIGBUS used to kill 19 of 60 runs).
#[test]
fn binaries_rewritten_during_the_scan_never_kill_it() {
    let Some((_tmp, venv, site)) = test_venv(PY311, NUMPY) else {
        return;
    };
    // Large enough to be memory-mapped; a real module at its start.
    let good = std::fs::read(support::venv::fixture("capi_np1_26_4_x86_64.so")).unwrap();
    let mut big = good.clone();
    big.resize(8 << 20, 0);
    let victims: Vec<PathBuf> = (0..8)
        .map(|i| site.join(format!("churn{i}.cpython-311-x86_64-linux-gnu.so")))
        .collect();
    for v in &victims {
        std::fs::write(v, &big).unwrap();
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let stop = stop.clone();
        let victims = victims.clone();
        std::thread::spawn(move || {
            let mut i = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let v = &victims[i % victims.len()];
                if let Ok(f) = std::fs::OpenOptions::new().write(true).open(v) {
                    // Truncate in place (what breaks a map), then grow it back.
                    let _ = f.set_len(4096);
                    let _ = f.set_len(big.len() as u64);
                }
                i += 1;
            }
        })
    };
    let mut codes = Vec::new();
    for _ in 0..30 {
        let r = abi_doctor(&["check", "--env", venv.to_str().unwrap()], None);
        assert!(
            matches!(r.code, Some(0..=2)),
            "the scan ended without an exit code (a signal?): {:?}\n{}",
            r.code,
            r.all()
        );
        codes.push(r.code);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    churn.join().unwrap();
    eprintln!("exit codes: {codes:?}");
}

/// The reproduction: an environment whose Python version the files do not tell, with a
/// shell script as its interpreter, and a venv whose `pyvenv.cfg` plants a `home`. `check` used to
/// run the script; now neither is run, and the report says how to proceed.
#[test]
fn an_environment_s_own_interpreter_is_not_run_to_learn_its_version() {
    let tmp = tempfile::tempdir().unwrap();
    let marks = tmp.path().join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let e = tmp.path().join("E");
    std::fs::create_dir_all(e.join("bin")).unwrap();
    std::fs::create_dir_all(e.join("conda-meta")).unwrap();
    let py = e.join("bin/python3");
    std::fs::write(
        &py,
        format!("#!/bin/sh\ntouch {}\n", marks.join("PWNED").display()),
    )
    .unwrap();
    std::fs::set_permissions(&py, std::fs::Permissions::from_mode(0o755)).unwrap();
    let before = manifest(&e);
    let r = abi_doctor(&["check", "--env", e.to_str().unwrap()], None);
    eprintln!("{}", r.all());
    assert_nothing_ran(&marks);
    assert!(
        r.all().contains("python version unknown") && r.all().contains("--python"),
        "{}",
        r.all()
    );
    assert_unchanged(&before, &e);
}

/// `check --python` used to leave `.pyc` files in the scanned interpreter's standard library
/// (its probe imported json and sysconfig without -B). A private copy of a real CPython whose
/// stdlib has no `__pycache__` at all: after `check --python`, it still has none.
#[test]
fn check_python_writes_no_bytecode_into_the_interpreter() {
    let Some(py) = support::python(PY311) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("cpython");
    let lib = format!("lib/python{}", &PY311[..4]);
    std::fs::create_dir_all(copy.join("bin")).unwrap();
    // The interpreter, its shared library, and the stdlib without site-packages, tests and
    // bytecode: the copy finds its prefix from its own location.
    // std::fs::copy follows links (pyenv's python3 may be a relative link) and keeps the mode.
    std::fs::copy(&py.path, copy.join("bin/python3")).unwrap();
    for entry in std::fs::read_dir(py.prefix.join("lib")).unwrap().flatten() {
        if entry.file_name().to_string_lossy().starts_with("libpython") {
            std::fs::copy(entry.path(), copy.join("lib").join(entry.file_name()))
                .or_else(|_| {
                    std::fs::create_dir_all(copy.join("lib"))?;
                    std::fs::copy(entry.path(), copy.join("lib").join(entry.file_name()))
                })
                .unwrap();
        }
    }
    copy_tree(
        &py.prefix.join(&lib),
        &copy.join(&lib),
        &["site-packages", "test", "__pycache__"],
    );
    std::fs::create_dir_all(copy.join(&lib).join("site-packages")).unwrap();
    let before = manifest(&copy);
    assert!(!before.keys().any(|p| p.ends_with("__pycache__")));
    let r = abi_doctor(
        &[
            "check",
            "--python",
            copy.join("bin/python3").to_str().unwrap(),
        ],
        None,
    );
    eprintln!("{}", r.all());
    assert!(matches!(r.code, Some(0 | 1)), "{}", r.all());
    let created: Vec<PathBuf> = manifest(&copy)
        .into_keys()
        .filter(|p| !before.contains_key(p))
        .collect();
    assert!(
        created.is_empty(),
        "check wrote into the interpreter: {created:?}"
    );
}

/// Copy a directory tree (files and symlinks as they are), leaving out entries named in `skip`.
fn copy_tree(from: &Path, to: &Path, skip: &[&str]) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let name = e.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        let ft = e.file_type().unwrap();
        if ft.is_symlink() {
            symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if ft.is_dir() {
            copy_tree(&src, &dst, skip);
        } else if ft.is_file() {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}
