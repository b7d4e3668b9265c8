//! The command-line conventions (issue 13, as uv and ruff have them), one test per flag, on
//! site-packages trees built here with the committed fixture binaries and real-shaped dist-info:
//! `--output-format`/`--format`, `--color` with NO_COLOR/FORCE_COLOR/CLICOLOR_FORCE, `-q`/`-qq`,
//! `-v`, `--no-progress`, `--exit-zero`, `--select`/`--ignore`, the configuration file and
//! `ABI_DOCTOR_*`, `--python`, `check DIR`, completions, the man page, `--version`, and
//! `--format github`'s limits and step summary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn abi_doctor() -> Command {
    let mut c = Command::cargo_bin("abi-doctor").unwrap();
    // The tests set these themselves.
    for v in [
        "NO_COLOR",
        "FORCE_COLOR",
        "CLICOLOR_FORCE",
        "GITHUB_STEP_SUMMARY",
        "ABI_DOCTOR_COLOR",
        "ABI_DOCTOR_OUTPUT_FORMAT",
        "ABI_DOCTOR_EXIT_ZERO",
        "ABI_DOCTOR_SELECT",
        "ABI_DOCTOR_IGNORE",
        "ABI_DOCTOR_CONFIG",
        "ABI_DOCTOR_NO_PROGRESS",
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
    ] {
        c.env_remove(v);
    }
    c
}

/// A site-packages tree: NumPy 2.0.2 and `n` packages `pkgN` 1.0, each with the C-API module
/// built with NumPy 1.26 headers (NPY002 on NumPy 2) and an undeclared NumPy requirement.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new(n: usize) -> Site {
        let s = Site {
            dir: tempfile::tempdir().unwrap(),
        };
        let sp = s.path().to_path_buf();
        std::fs::create_dir_all(sp.join("numpy")).unwrap();
        std::fs::write(sp.join("numpy/__init__.py"), "").unwrap();
        std::fs::write(
            sp.join("numpy/version.py"),
            "version = \"2.0.2\"\nshort_version = \"2.0.2\"\n",
        )
        .unwrap();
        s.dist_info("numpy", &["numpy/__init__.py", "numpy/version.py"]);
        for i in 0..n {
            let pkg = format!("pkg{i}");
            let so = format!("{pkg}/capi_np1_26_4_x86_64.cpython-311-x86_64-linux-gnu.so");
            std::fs::create_dir_all(sp.join(&pkg)).unwrap();
            std::fs::copy(
                support::venv::fixture("capi_np1_26_4_x86_64.so"),
                sp.join(&so),
            )
            .unwrap();
            std::fs::write(sp.join(&pkg).join("__init__.py"), "").unwrap();
            s.dist_info(&pkg, &[&so, &format!("{pkg}/__init__.py")]);
        }
        s
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn dist_info(&self, name: &str, files: &[&str]) {
        let version = if name == "numpy" { "2.0.2" } else { "1.0" };
        let di = self.path().join(format!("{name}-{version}.dist-info"));
        std::fs::create_dir_all(&di).unwrap();
        std::fs::write(
            di.join("METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
        )
        .unwrap();
        std::fs::write(
            di.join("WHEEL"),
            "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-manylinux_2_17_x86_64\n",
        )
        .unwrap();
        let mut record: String = files.iter().map(|f| format!("{f},,\n")).collect();
        record.push_str(&format!("{name}-{version}.dist-info/METADATA,,\n"));
        std::fs::write(di.join("RECORD"), record).unwrap();
    }
    /// `abi-doctor check --site-packages SITE ARGS...` from `cwd` (default: an empty directory).
    fn check(&self, args: &[&str]) -> Command {
        let mut c = abi_doctor();
        c.arg("check")
            .arg("--site-packages")
            .arg(self.path())
            .args(args);
        c.current_dir(std::env::temp_dir());
        c
    }
}

fn run(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

fn codes(json: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn output_format_and_its_alias_on_every_command() {
    let site = Site::new(1);
    for flag in ["--output-format", "--format"] {
        let (code, out, _) = run(&mut site.check(&[flag, "json"]));
        assert_eq!(code, 1);
        assert!(codes(&out).contains(&"NPY002".to_string()), "{out}");
        let (_, out, _) = run(abi_doctor()
            .args(["inspect", flag, "json"])
            .arg(support::venv::fixture("capi_np1_26_4_x86_64.so")));
        assert!(serde_json::from_str::<Value>(&out).is_ok(), "{out}");
        let (_, out, _) = run(abi_doctor().args([
            "explain",
            "--no-env",
            flag,
            "json",
            "numpy.dtype size changed, may indicate binary incompatibility. Expected 96 from C header, got 88 from PyObject",
        ]));
        assert!(serde_json::from_str::<Value>(&out).is_ok(), "{out}");
        let proj = tempfile::tempdir().unwrap();
        std::fs::write(proj.path().join("requirements.txt"), "numpy\n").unwrap();
        let (_, out, _) = run(abi_doctor()
            .arg("lint")
            .arg(proj.path())
            .args([flag, "json"]));
        assert!(serde_json::from_str::<Value>(&out).is_ok(), "{out}");
    }
    // verify runs environment code; its option is the same one (parsed, help shown).
    let (code, out, _) = run(abi_doctor().args(["verify", "--help"]));
    assert_eq!(code, 0);
    assert!(out.contains("--output-format"), "{out}");
}

#[test]
fn color_follows_the_flag_and_the_variables() {
    let site = Site::new(1);
    let colored = |envs: &[(&str, &str)], args: &[&str]| {
        let mut c = site.check(args);
        for (k, v) in envs {
            c.env(k, v);
        }
        let (code, out, _) = run(&mut c);
        assert_eq!(code, 1, "{out}");
        out.contains('\x1b')
    };
    assert!(colored(&[], &["--color", "always"]));
    assert!(!colored(&[("FORCE_COLOR", "1")], &["--color", "never"]));
    // Not a terminal: auto means no colors unless forced; NO_COLOR wins.
    assert!(!colored(&[], &[]));
    assert!(colored(&[("FORCE_COLOR", "1")], &[]));
    assert!(colored(&[("CLICOLOR_FORCE", "1")], &[]));
    assert!(!colored(&[("FORCE_COLOR", "0")], &[]));
    assert!(!colored(&[("FORCE_COLOR", "1"), ("NO_COLOR", "1")], &[]));
    assert!(colored(&[("ABI_DOCTOR_COLOR", "always")], &[]));
    // Global: before the subcommand too, and for lint.
    let (_, out, _) = run(abi_doctor()
        .args(["--color", "always", "check", "--site-packages"])
        .arg(site.path()));
    assert!(out.contains('\x1b'));
    let proj = tempfile::tempdir().unwrap();
    std::fs::write(
        proj.path().join("pyproject.toml"),
        "[build-system]\nrequires = [\"oldest-supported-numpy\"]\n",
    )
    .unwrap();
    let (_, out, _) = run(abi_doctor()
        .arg("lint")
        .arg(proj.path())
        .args(["--color", "always"]));
    assert!(out.contains('\x1b'), "{out}");
}

#[test]
fn quiet_and_verbose() {
    let site = Site::new(1);
    let (code, out, err) = run(&mut site.check(&["-v"]));
    assert_eq!(code, 1);
    assert!(err.contains("abi-doctor: scanned "), "{err}");
    let (_, out_vv, _) = run(&mut site.check(&["-vv"]));
    assert_eq!(out, out_vv);
    let (_, plain, _) = run(&mut site.check(&[]));
    assert!(out.len() > plain.len(), "-v shows the evidence");
    let (code, out, err) = run(&mut site.check(&["-q"]));
    assert_eq!(
        (code, out.is_empty(), err.is_empty()),
        (1, false, true),
        "{err}"
    );
    let (code, out, err) = run(&mut site.check(&["-qq"]));
    assert_eq!((code, out.as_str(), err.as_str()), (1, "", ""));
    let (code, _, err) = run(&mut site.check(&["-q", "-v"]));
    assert_eq!(code, 2, "{err}");
}

/// inspect and explain take -q/-qq and --color as check does (verify: tests/verify.rs
/// `quiet_and_color`).
#[test]
fn quiet_and_color_for_inspect_and_explain() {
    let so = support::venv::fixture("capi_np1_26_4_x86_64.so");
    let missing = std::env::temp_dir().join("abi-doctor-no-such-file.so");
    let inspect = |args: &[&str], envs: &[(&str, &str)], path: &Path| {
        let mut c = abi_doctor();
        c.envs(envs.iter().copied())
            .arg("inspect")
            .arg(path)
            .args(args);
        run(&mut c)
    };
    const MSG: &str = "ValueError: numpy.dtype size changed, may indicate binary \
        incompatibility. Expected 96 from C header, got 88 from PyObject";
    let explain = |args: &[&str], envs: &[(&str, &str)], text: &str| {
        let mut c = abi_doctor();
        c.envs(envs.iter().copied())
            .args(["explain", "--no-env", text])
            .args(args);
        run(&mut c)
    };
    // Colors: the flag, then NO_COLOR over FORCE_COLOR / CLICOLOR_FORCE, then no terminal.
    for (args, envs, painted) in [
        (&["--color", "always"][..], &[][..], true),
        (&[], &[("FORCE_COLOR", "1")][..], true),
        (&[], &[("CLICOLOR_FORCE", "1")][..], true),
        (&[], &[][..], false),
        (&[], &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")][..], false),
        (&["--color", "never"], &[("FORCE_COLOR", "1")][..], false),
        (&[], &[("ABI_DOCTOR_COLOR", "always")][..], true),
    ] {
        let (code, out, _) = inspect(args, envs, &so);
        assert_eq!(
            (code, out.contains("\x1b[1m")),
            (0, painted),
            "inspect {args:?} {envs:?}: {out}"
        );
        let (code, out, _) = explain(args, envs, MSG);
        assert_eq!(
            (code, out.starts_with("\x1b[1;31merror\x1b[0m: ")),
            (0, painted),
            "explain {args:?} {envs:?}: {out}"
        );
    }
    // JSON is never painted.
    let (_, out, _) = inspect(&["--color", "always", "--output-format", "json"], &[], &so);
    assert!(!out.contains('\x1b'), "{out}");
    // -q: the report, no notes on stderr; -qq: nothing, the exit code tells.
    let (code, out, err) = inspect(&[], &[], &missing);
    assert_eq!(code, 2);
    assert!(
        !out.is_empty() && err.contains("nothing could be inspected"),
        "{err}"
    );
    let (code, out, err) = inspect(&["-q"], &[], &missing);
    assert_eq!(
        (code, out.is_empty(), err.as_str()),
        (2, false, ""),
        "{err}"
    );
    let (code, out, err) = inspect(&["-qq"], &[], &missing);
    assert_eq!((code, out.as_str(), err.as_str()), (2, "", ""));
    let (code, out, err) = inspect(&["-qq"], &[], &so);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let (code, out, _) = explain(&["-q"], &[], MSG);
    assert!(code == 0 && out.contains("what to do"), "{out}");
    let (code, out, err) = explain(&["-qq"], &[], MSG);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let (code, out, err) = explain(&["-qq"], &[], "all good");
    assert_eq!((code, out.as_str(), err.as_str()), (3, "", ""));
}

#[test]
fn no_progress_is_accepted_from_flag_and_variable() {
    // The progress line only ever goes to a terminal after a second, so what is tested here is
    // that the option exists everywhere and changes nothing else.
    let site = Site::new(1);
    let (_, want, _) = run(&mut site.check(&["--output-format", "json"]));
    let (code, got, err) = run(&mut site.check(&["--no-progress", "--output-format", "json"]));
    assert_eq!((code, &got), (1, &want), "{err}");
    let (code, got, _) = run(site
        .check(&["--output-format", "json"])
        .env("ABI_DOCTOR_NO_PROGRESS", "1"));
    assert_eq!((code, &got), (1, &want));
}

#[test]
fn exit_zero() {
    let site = Site::new(1);
    assert_eq!(run(&mut site.check(&["--exit-zero"])).0, 0);
    assert_eq!(run(site.check(&[]).env("ABI_DOCTOR_EXIT_ZERO", "1")).0, 0);
    assert_eq!(run(site.check(&[]).env("ABI_DOCTOR_EXIT_ZERO", "0")).0, 1);
    let proj = tempfile::tempdir().unwrap();
    std::fs::write(
        proj.path().join("pyproject.toml"),
        "[build-system]\nrequires = [\"oldest-supported-numpy\"]\n",
    )
    .unwrap();
    assert_eq!(run(abi_doctor().arg("lint").arg(proj.path())).0, 1);
    assert_eq!(
        run(abi_doctor().arg("lint").arg(proj.path()).arg("--exit-zero")).0,
        0
    );
    // Could not run is still 2.
    assert_eq!(
        run(abi_doctor().args(["check", "--exit-zero", "--env", "/nonexistent/env"])).0,
        2
    );
}

#[test]
fn select_and_ignore_by_code() {
    let site = Site::new(1);
    let all = codes(&run(&mut site.check(&["--format", "json"])).1);
    assert!(all.iter().any(|c| c == "NPY002"), "{all:?}");
    let (code, out, _) = run(&mut site.check(&["--format", "json", "--ignore", "NPY002"]));
    assert!(!codes(&out).iter().any(|c| c == "NPY002"));
    assert_eq!(code, 0, "NPY002 was the only error: {out}");
    let (_, out, _) = run(&mut site.check(&["--format", "json", "--select", "npy002"]));
    assert!(codes(&out).iter().all(|c| c == "NPY002") && !codes(&out).is_empty());
    let (_, out, _) = run(&mut site.check(&["--format", "json", "--select", "NPY00,NPY1"]));
    assert_eq!(codes(&out), all, "prefixes");
    let (code, out, _) = run(site
        .check(&["--format", "json"])
        .env("ABI_DOCTOR_SELECT", "NPY001"));
    assert_eq!((code, codes(&out).len()), (0, 0));
}

#[test]
fn configuration_file_and_environment() {
    let site = Site::new(1);
    let cwd = tempfile::tempdir().unwrap();
    let in_cwd = |c: &mut Command| {
        c.current_dir(cwd.path());
    };
    // pyproject.toml's [tool.abi-doctor].
    std::fs::write(
        cwd.path().join("pyproject.toml"),
        "[project]\nname = \"x\"\n\n[tool.abi-doctor]\noutput-format = \"json\"\n\
         exit-zero = true\n\n[tool.abi-doctor.check]\nignore = [\"NPY007\"]\n",
    )
    .unwrap();
    let mut c = site.check(&[]);
    in_cwd(&mut c);
    let (code, out, err) = run(&mut c);
    assert_eq!(code, 0, "{err}");
    assert!(codes(&out).contains(&"NPY002".to_string()));
    assert!(!codes(&out).contains(&"NPY007".to_string()));
    // The command line and ABI_DOCTOR_* win over the file.
    let mut c = site.check(&["--output-format", "text"]);
    in_cwd(&mut c);
    assert!(serde_json::from_str::<Value>(&run(&mut c).1).is_err());
    let mut c = site.check(&[]);
    in_cwd(&mut c);
    c.env("ABI_DOCTOR_OUTPUT_FORMAT", "sarif");
    let v: Value = serde_json::from_str(&run(&mut c).1).unwrap();
    assert_eq!(v["version"], "2.1.0");
    // abi-doctor.toml comes before pyproject.toml.
    std::fs::write(
        cwd.path().join("abi-doctor.toml"),
        "output-format = \"github\"\n",
    )
    .unwrap();
    let mut c = site.check(&[]);
    in_cwd(&mut c);
    let (code, out, _) = run(&mut c);
    assert_eq!(code, 1);
    assert!(out.starts_with("::error"), "{out}");
    // --config names the file; ABI_DOCTOR_CONFIG too; a wrong setting exits 2 naming it.
    let other = cwd.path().join("ci.toml");
    std::fs::write(&other, "exit-zero = true\ncolour = \"never\"\n").unwrap();
    let (code, _, err) = run(site.check(&[]).arg("--config").arg(&other));
    assert_eq!(code, 2);
    assert!(err.contains("ci.toml: colour: unknown setting"), "{err}");
    std::fs::write(&other, "exit-zero = true\n").unwrap();
    assert_eq!(run(site.check(&[]).arg("--config").arg(&other)).0, 0);
    assert_eq!(run(site.check(&[]).env("ABI_DOCTOR_CONFIG", &other)).0, 0);
    let (code, _, err) = run(&mut site.check(&["--config", "/nonexistent/abi-doctor.toml"]));
    assert_eq!(code, 2, "{err}");
}

fn scanned(args: &[&str], dir: Option<&Path>) -> (i32, Value) {
    let mut c = abi_doctor();
    c.arg("check").args(args).args(["--output-format", "json"]);
    if let Some(d) = dir {
        c.arg(d);
    }
    let (code, out, err) = run(&mut c);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}")),
    )
}

#[test]
fn python_as_version_name_path_or_venv() {
    let Some(py) = support::python("3.11") else {
        return;
    };
    let by_path = scanned(&["--python", py.path.to_str().unwrap()], None).1;
    assert_eq!(
        by_path["environment"]["python_version"],
        py.version.as_str()
    );
    for spelled in ["3.11", "python3.11", &py.version] {
        let (_, v) = scanned(&["--python", spelled], None);
        assert_eq!(
            v["environment"]["python_version"],
            py.version.as_str(),
            "--python {spelled}: {v:#}"
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let venv = tmp.path().join("a venv");
    support::make_venv(&py.path, &venv, false);
    let (_, v) = scanned(&["--python", venv.to_str().unwrap()], None);
    assert_eq!(v["environment"]["kind"], "venv", "{v:#}");
    assert_eq!(
        Path::new(v["environment"]["prefix"].as_str().unwrap()),
        venv.as_path()
    );
    // A version nobody has is reported, not guessed.
    let (code, _, err) = run(abi_doctor().args(["check", "--python", "3.99"]));
    assert_eq!(code, 2);
    assert!(err.contains("3.99"), "{err}");
}

#[test]
fn check_takes_the_environment_as_an_argument() {
    let Some(py) = support::python("3.11") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let venv = tmp.path().join("venv");
    support::make_venv(&py.path, &venv, false);
    let (code, v) = scanned(&[], Some(&venv));
    assert_eq!(code, 0);
    assert_eq!(v["environment"]["kind"], "venv");
    assert_eq!(v["environment"]["source"], "from --env");
    assert_eq!(
        Path::new(v["environment"]["prefix"].as_str().unwrap()),
        venv.as_path()
    );
    let (code, _, err) = run(abi_doctor().arg("check").arg(&venv).arg("--env").arg(&venv));
    assert_eq!(code, 2, "{err}");
}

#[test]
fn completions_and_man_page() {
    for (shell, marker) in [
        ("bash", "_abi__doctor()"),
        ("zsh", "#compdef abi-doctor"),
        ("fish", "complete -c abi-doctor"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[abi-doctor]"),
    ] {
        let (code, out, err) = run(abi_doctor().args(["generate-shell-completion", shell]));
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(marker), "{shell}: {out}");
        assert!(out.contains("output-format"), "{shell}");
    }
    let (code, out, _) = run(abi_doctor().arg("generate-man-page"));
    assert_eq!(code, 0);
    assert!(out.contains(".TH abi-doctor 1"), "{out}");
    assert!(
        out.contains("check") && out.contains("\\-\\-color"),
        "{out}"
    );
    // Hidden from the help.
    let (_, help, _) = run(abi_doctor().arg("--help"));
    assert!(!help.contains("generate-shell-completion"));
}

#[test]
fn version_names_the_knowledge_base() {
    let kb: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("src/knowledge/numpy.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let newest = kb["releases"].as_array().unwrap().last().unwrap()["last_patch"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, out, _) = run(abi_doctor().arg("--version"));
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        format!(
            "abi-doctor {} (knowledge base: NumPy up to {newest})",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn github_format_within_limits_with_the_step_summary() {
    let site = Site::new(12);
    let summary = tempfile::NamedTempFile::new().unwrap();
    let (code, out, err) = run(site
        .check(&["--output-format", "github"])
        .env("GITHUB_STEP_SUMMARY", summary.path()));
    assert_eq!(code, 1, "{err}");
    let errors = out.lines().filter(|l| l.starts_with("::error ")).count();
    assert_eq!(errors, 10, "{out}");
    assert!(
        out.contains("abi-doctor: 2 more distributions with findings are not annotated"),
        "{out}"
    );
    assert!(
        !out.contains("::notice"),
        "info findings are off by default"
    );
    // One annotation per distribution: each names its own.
    let titled: std::collections::BTreeSet<&str> = out
        .lines()
        .filter_map(|l| l.split("title=").nth(1)?.split(' ').next())
        .collect();
    assert_eq!(titled.len(), 10, "{out}");
    let table = std::fs::read_to_string(summary.path()).unwrap();
    assert!(table.starts_with("## abi-doctor check: "), "{table}");
    for i in 0..12 {
        assert!(
            table.contains(&format!("| pkg{i} 1.0 |")),
            "pkg{i}: {table}"
        );
    }
    // Without the variable nothing is written anywhere else.
    let (_, again, _) = run(&mut site.check(&["--output-format", "github"]));
    assert_eq!(again, out);
}

/// SARIF's `helpUri` points at `docs/rules/<CODE>.md` (report::check::sarif::help_uri): each page
/// is `abi-doctor rule CODE` verbatim. `ABI_DOCTOR_UPDATE_DOCS=1 cargo test --test
/// cli_conventions rule_pages` rewrites them.
#[test]
fn rule_pages_match_the_rule_docs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let update = std::env::var("ABI_DOCTOR_UPDATE_DOCS").is_ok_and(|v| v == "1");
    let (_, list, _) = run(abi_doctor().arg("rule"));
    let codes: Vec<&str> = list.lines().filter_map(|l| l.split(' ').next()).collect();
    assert!(codes.len() >= 20, "{list}");
    let mut stale = Vec::new();
    for code in &codes {
        let (status, doc, _) = run(abi_doctor().args(["rule", code]));
        assert_eq!(status, 0);
        let page = dir.join(format!("{code}.md"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&page, &doc).unwrap();
        } else if std::fs::read_to_string(&page).ok().as_deref() != Some(doc.as_str()) {
            stale.push(page.display().to_string());
        }
    }
    let pages = std::fs::read_dir(&dir).unwrap().count();
    assert!(
        stale.is_empty() && pages == codes.len(),
        "stale or missing rule pages {stale:?} ({pages} pages, {} rules): run \
         ABI_DOCTOR_UPDATE_DOCS=1 cargo test --test cli_conventions rule_pages",
        codes.len()
    );
}
