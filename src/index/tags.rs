//! Wheel file names (PEP 427, compressed tag sets of PEP 425) and the target a wheel is chosen
//! for: a CPython version and a platform, spelt as uv spells `--python-platform`
//! (`x86_64-manylinux_2_17`, `aarch64-manylinux_2_28`, `x86_64-unknown-linux-gnu` = this
//! machine's glibc, `x86_64-musllinux_1_2`, `macos`, `windows`), or as one platform tag
//! (`manylinux_2_17_x86_64`).
//!
//! [`Target::platform`] lists the platform tags the target accepts, best (most specific) first,
//! ending with `any`; [`best_wheel`] and [`Target::best`] rank wheels by it. A target also gives
//! the spelling uv takes ([`Target::uv_platform`]) and the values environment markers see
//! ([`Target::marker_platform`], [`Target::python_full`]).

use super::DistFile;
use crate::inventory::Platform;
use std::cmp::Ordering;

/// A wheel file name split into its parts:
/// `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`, each tag field possibly a
/// `.`-separated set (`manylinux_2_17_x86_64.manylinux2014_x86_64`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WheelName {
    /// As written in the file name (`scikit_learn`); compare with [`super::normalize`].
    pub name: String,
    pub version: String,
    /// The optional build tag: its leading number and the rest (`1` and `""` for `-1-`).
    pub build: Option<(u64, String)>,
    pub python: Vec<String>,
    pub abi: Vec<String>,
    pub platform: Vec<String>,
}

/// Why a name, version or platform could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("{0:?} is not a wheel file name (name-version[-build]-python-abi-platform.whl)")]
    NotWheel(String),
    #[error("{0:?} is not a Python version like 3.11")]
    Python(String),
    #[error(
        "{0:?} is not a platform abi-doctor knows (x86_64-manylinux_2_17, aarch64-manylinux_2_28, \
         x86_64-unknown-linux-gnu, x86_64-musllinux_1_2, macos, windows, or a wheel platform tag \
         like manylinux_2_17_x86_64)"
    )]
    Platform(String),
    #[error("cannot tell this machine's {0}")]
    Host(&'static str),
}

impl WheelName {
    pub fn parse(filename: &str) -> Result<WheelName, TagError> {
        let bad = || TagError::NotWheel(filename.to_string());
        let stem = filename
            .strip_suffix(".whl")
            .or_else(|| filename.strip_suffix(".WHL"))
            .ok_or_else(bad)?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, py, abi, plat) = match parts.as_slice() {
            [n, v, p, a, pl] => (*n, *v, None, *p, *a, *pl),
            [n, v, b, p, a, pl] => (*n, *v, Some(*b), *p, *a, *pl),
            _ => return Err(bad()),
        };
        let set = |s: &str| -> Vec<String> { s.split('.').map(str::to_string).collect() };
        if [name, version, py, abi, plat].iter().any(|s| s.is_empty()) {
            return Err(bad());
        }
        let build = match build {
            None => None,
            Some(b) => {
                let digits = b.len() - b.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                if digits == 0 {
                    return Err(bad());
                }
                let n = b[..digits].parse::<u64>().map_err(|_| bad())?;
                Some((n, b[digits..].to_string()))
            }
        };
        Ok(WheelName {
            name: name.to_string(),
            version: version.to_string(),
            build,
            python: set(py),
            abi: set(abi),
            platform: set(plat),
        })
    }

    /// The rank of this wheel for `t` (lower is better), or `None` when it does not install there.
    pub fn rank(&self, t: &Target) -> Option<(usize, u8)> {
        let mut best: Option<(usize, u8)> = None;
        for plat in &self.platform {
            let Some(p) = t.platform.iter().position(|x| x == plat) else {
                continue;
            };
            for py in &self.python {
                for abi in &self.abi {
                    if let Some(a) = abi_rank(py, abi, t.python) {
                        let r = (p, a);
                        if best.is_none_or(|b| r < b) {
                            best = Some(r);
                        }
                    }
                }
            }
        }
        best
    }
}

/// How well a `(python tag, abi tag)` pair fits CPython `(major, minor)`: 0 for the exact
/// `cpXY-cpXY`, 1 for `abi3`, 2 for `none` with a CPython tag, 3 for a generic `pyX[Y]-none`;
/// `None` when it does not fit.
fn abi_rank(py: &str, abi: &str, (major, minor): (u8, u8)) -> Option<u8> {
    let exact = format!("cp{major}{minor}");
    let cp_minor = |tag: &str| -> Option<u8> {
        let rest = tag.strip_prefix(&format!("cp{major}"))?;
        rest.parse::<u8>().ok()
    };
    // Before 3.8 CPython's ABI tag carried `m` (pymalloc), and `mu` on Python 2 (wide unicode).
    let old_abi = major == 2 || (major == 3 && minor < 8);
    match abi {
        a if a == exact && py == exact => Some(0),
        a if old_abi && py == exact && (a == format!("{exact}m") || a == format!("{exact}mu")) => {
            Some(0)
        }
        "abi3" => {
            let m = cp_minor(py)?;
            (m <= minor && major == 3).then_some(1)
        }
        "none" => {
            if py == exact {
                return Some(2);
            }
            let generic = py.strip_prefix("py")?;
            if generic == major.to_string() {
                return Some(3);
            }
            let m = generic
                .strip_prefix(&major.to_string())?
                .parse::<u8>()
                .ok()?;
            (m <= minor).then_some(3)
        }
        _ => None,
    }
}

/// A CPython version and the platform tags it accepts, best first (ending with `any`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    pub python: (u8, u8),
    /// For `python_full_version` markers: `3.11.7` when the version was given so, else `3.11`.
    pub python_full: String,
    /// The platform as given (uv's spelling or a wheel tag), or as derived for this machine.
    pub name: String,
    pub platform: Vec<String>,
}

/// `3.11` or `3.11.7` as `(3, 11)`.
pub fn parse_python(v: &str) -> Result<(u8, u8), TagError> {
    let bad = || TagError::Python(v.to_string());
    let mut it = v.trim().split('.');
    let major = it.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let minor = it.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    Ok((major, minor))
}

/// The legacy manylinux names (PEP 513, 571, 599) and the glibc minor they stand for.
const LEGACY: &[(&str, u32)] = &[
    ("manylinux2014", 17),
    ("manylinux2010", 12),
    ("manylinux1", 5),
];

/// Architectures each legacy name was defined for.
fn legacy_arches(name: &str) -> &'static [&'static str] {
    match name {
        "manylinux2014" => &[
            "x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x",
        ],
        _ => &["x86_64", "i686"],
    }
}

/// `manylinux_2_{glibc_minor}` down to `manylinux_2_5` for `arch`, with the legacy aliases after
/// the version they stand for.
fn manylinux(arch: &str, glibc_minor: u32) -> Vec<String> {
    let mut out = Vec::new();
    for m in (5..=glibc_minor).rev() {
        out.push(format!("manylinux_2_{m}_{arch}"));
        for (name, at) in LEGACY {
            if *at == m && legacy_arches(name).contains(&arch) {
                out.push(format!("{name}_{arch}"));
            }
        }
    }
    out
}

fn musllinux(arch: &str, minor: u32) -> Vec<String> {
    (0..=minor)
        .rev()
        .map(|m| format!("musllinux_1_{m}_{arch}"))
        .collect()
}

/// macOS tags for `arch` (`arm64` or `x86_64`), from `major` (11+) down.
fn macos(arch: &str) -> Vec<String> {
    let mut out = Vec::new();
    if arch == "arm64" {
        // uv's default deployment target for Apple silicon: 12.0 (macOS 11 was the first).
        for major in (11..=12).rev() {
            out.push(format!("macosx_{major}_0_arm64"));
            out.push(format!("macosx_{major}_0_universal2"));
        }
        for minor in (4..=16).rev() {
            out.push(format!("macosx_10_{minor}_universal2"));
        }
    } else {
        // uv's default for Intel: 10.12.
        for minor in (4..=12).rev() {
            for a in [
                "x86_64",
                "intel",
                "fat64",
                "fat32",
                "universal2",
                "universal",
            ] {
                out.push(format!("macosx_10_{minor}_{a}"));
            }
        }
    }
    out
}

/// uv's architecture names to the wheel tags' (`arm64` on macOS, `amd64` on Windows).
fn linux_arch(a: &str) -> Option<&'static str> {
    Some(match a {
        "x86_64" | "amd64" => "x86_64",
        "aarch64" | "arm64" => "aarch64",
        "i686" | "x86" => "i686",
        "armv7" | "armv7l" => "armv7l",
        "ppc64le" | "powerpc64le" => "ppc64le",
        "ppc64" | "powerpc64" => "ppc64",
        "s390x" => "s390x",
        "riscv64" | "riscv64gc" => "riscv64",
        _ => return None,
    })
}

impl Target {
    /// The target for CPython `python_version` on `python_platform`, spelt as uv's
    /// `--python-platform` or as one wheel platform tag. `x86_64-unknown-linux-gnu` (and
    /// `linux`) mean this machine's glibc ([`host_glibc`]), or 2.17 when it has none.
    pub fn parse(python_version: &str, python_platform: &str) -> Result<Target, TagError> {
        let python = parse_python(python_version)?;
        let p = python_platform.trim();
        let bad = || TagError::Platform(p.to_string());
        let num = |s: &str| s.parse::<u32>().map_err(|_| bad());
        let mut platform = match p {
            "macos" | "aarch64-apple-darwin" | "arm64-apple-darwin" => macos("arm64"),
            "x86_64-apple-darwin" => macos("x86_64"),
            "windows" | "x86_64-pc-windows-msvc" => vec!["win_amd64".to_string()],
            "aarch64-pc-windows-msvc" => vec!["win_arm64".to_string()],
            "i686-pc-windows-msvc" => vec!["win32".to_string()],
            "linux" => host_linux("x86_64"),
            _ => {
                if let Some((arch, rest)) = p.split_once('-') {
                    let arch = linux_arch(arch).ok_or_else(bad)?;
                    if rest == "unknown-linux-gnu" {
                        host_linux(arch)
                    } else if let Some(v) = rest.strip_prefix("manylinux_2_") {
                        manylinux(arch, num(v)?)
                    } else if let Some((_, m)) = LEGACY.iter().find(|(n, _)| *n == rest) {
                        manylinux(arch, *m)
                    } else if let Some(v) = rest.strip_prefix("musllinux_1_") {
                        musllinux(arch, num(v)?)
                    } else if rest == "unknown-linux-musl" {
                        musllinux(arch, 2)
                    } else {
                        return Err(bad());
                    }
                } else {
                    from_tag(p).ok_or_else(bad)?
                }
            }
        };
        platform.push("any".to_string());
        let full = python_version.trim();
        Ok(Target {
            python,
            python_full: if full.split('.').count() >= 3 {
                full.to_string()
            } else {
                format!("{}.{}", python.0, python.1)
            },
            name: p.to_string(),
            platform,
        })
    }

    /// `python_platform` (uv's spelling or a wheel tag) when given, else this machine
    /// ([`Target::host`]).
    pub fn new(python_version: &str, python_platform: Option<&str>) -> Result<Target, TagError> {
        match python_platform {
            Some(p) => Target::parse(python_version, p),
            None => Target::host(python_version),
        }
    }

    /// `3.11`.
    pub fn python_version(&self) -> String {
        format!("{}.{}", self.python.0, self.python.1)
    }

    /// The platform as uv's `--python-platform` takes it: the name as given when it is uv's
    /// spelling, else derived from the best platform tag (`manylinux_2_17_x86_64` ->
    /// `x86_64-manylinux_2_17`).
    pub fn uv_platform(&self) -> String {
        if self.name.contains('-') || matches!(self.name.as_str(), "linux" | "macos" | "windows") {
            return self.name.clone();
        }
        let first = self.platform.first().map(String::as_str).unwrap_or("");
        let arch = tag_arch(first).unwrap_or("x86_64");
        if let Some(rest) = first.strip_prefix("manylinux_") {
            let v = rest.strip_suffix(&format!("_{arch}")).unwrap_or(rest);
            return format!("{arch}-manylinux_{v}");
        }
        if let Some(rest) = first.strip_prefix("musllinux_") {
            let v = rest.strip_suffix(&format!("_{arch}")).unwrap_or(rest);
            return format!("{arch}-musllinux_{v}");
        }
        match first {
            "win_amd64" => "x86_64-pc-windows-msvc".to_string(),
            "win_arm64" => "aarch64-pc-windows-msvc".to_string(),
            "win32" => "i686-pc-windows-msvc".to_string(),
            t if t.starts_with("macosx_") && t.ends_with("_arm64") => {
                "aarch64-apple-darwin".to_string()
            }
            t if t.starts_with("macosx_") => "x86_64-apple-darwin".to_string(),
            _ => format!("{arch}-unknown-linux-gnu"),
        }
    }

    /// What environment markers see on the target (`sys_platform`, `platform_system`,
    /// `platform_machine` as CPython reports them there), from its best platform tag.
    pub fn marker_platform(&self) -> Platform {
        let first = self.platform.first().map(String::as_str).unwrap_or("any");
        let (sys, system, machine) = if first.starts_with("macosx_") {
            let m = if first.ends_with("_arm64") {
                "arm64"
            } else {
                "x86_64"
            };
            ("darwin", "Darwin", m.to_string())
        } else if first.starts_with("win") {
            let m = match first {
                "win_amd64" => "AMD64",
                "win_arm64" => "ARM64",
                _ => "x86",
            };
            ("win32", "Windows", m.to_string())
        } else {
            let m = tag_arch(first).unwrap_or(std::env::consts::ARCH);
            ("linux", "Linux", m.to_string())
        };
        Platform {
            sys_platform: sys.to_string(),
            platform_system: system.to_string(),
            platform_machine: machine,
            implementation_name: "cpython".to_string(),
            extras: Vec::new(),
        }
    }

    /// The wheel among `files` an installer would pick: of those whose file name
    /// (`name_of`) is a wheel that installs on the target, the newest version, then the most
    /// specific platform and best ABI ([`WheelName::rank`]), then the newest build tag.
    /// [`best_wheel`] is the same choice for an index's files (with `Requires-Python` and yanks).
    pub fn best<'a, T>(&self, files: &'a [T], name_of: impl Fn(&T) -> &str) -> Option<&'a T> {
        files
            .iter()
            .filter_map(|f| {
                let name = name_of(f);
                let w = WheelName::parse(name.rsplit(['/', '\\']).next().unwrap_or(name)).ok()?;
                let r = w.rank(self)?;
                Some((f, w, r))
            })
            .max_by(|(fa, a, ra), (fb, b, rb)| {
                cmp_versions(&a.version, &b.version)
                    .then_with(|| rb.cmp(ra))
                    .then_with(|| a.build.cmp(&b.build))
                    .then_with(|| name_of(fb).cmp(name_of(fa)))
            })
            .map(|(f, _, _)| f)
    }

    /// CPython `python_version` on this machine: its architecture and, on Linux, its C library
    /// (glibc version from the running process; musl 1.2 when the machine has musl instead).
    pub fn host(python_version: &str) -> Result<Target, TagError> {
        let arch = std::env::consts::ARCH;
        let spelt = match std::env::consts::OS {
            "linux" => {
                let a = linux_arch(arch).ok_or(TagError::Host("architecture"))?;
                if cfg!(target_env = "musl") {
                    format!("{a}-musllinux_1_2")
                } else {
                    let (_, minor) = host_glibc().ok_or(TagError::Host("glibc version"))?;
                    format!("{a}-manylinux_2_{minor}")
                }
            }
            "macos" if arch == "aarch64" => "aarch64-apple-darwin".to_string(),
            "macos" => "x86_64-apple-darwin".to_string(),
            "windows" if arch == "aarch64" => "aarch64-pc-windows-msvc".to_string(),
            "windows" if arch == "x86" => "i686-pc-windows-msvc".to_string(),
            "windows" => "x86_64-pc-windows-msvc".to_string(),
            _ => return Err(TagError::Host("operating system")),
        };
        let mut t = Target::parse(python_version, &spelt)?;
        if std::env::consts::OS == "linux" && !cfg!(target_env = "musl") {
            // pip also accepts the plain `linux_<arch>` tag on the machine itself.
            if let Some(a) = linux_arch(arch) {
                let at = t.platform.len() - 1;
                t.platform.insert(at, format!("linux_{a}"));
            }
        }
        Ok(t)
    }

    /// Does a wheel with this name install on the target?
    pub fn accepts(&self, wheel: &WheelName) -> bool {
        wheel.rank(self).is_some()
    }
}

/// The architecture a platform tag ends with (`manylinux_2_17_x86_64` -> `x86_64`).
fn tag_arch(tag: &str) -> Option<&'static str> {
    [
        "x86_64", "aarch64", "i686", "armv7l", "ppc64le", "ppc64", "s390x", "riscv64",
    ]
    .into_iter()
    .find(|a| tag.ends_with(&format!("_{a}")))
}

/// `manylinux_2_17_x86_64` and other single wheel tags, expanded to what they accept.
fn from_tag(tag: &str) -> Option<Vec<String>> {
    if let Some(rest) = tag.strip_prefix("manylinux_2_") {
        let (v, arch) = rest.split_once('_')?;
        return Some(manylinux(linux_arch(arch)?, v.parse().ok()?));
    }
    for (name, m) in LEGACY {
        if let Some(arch) = tag.strip_prefix(&format!("{name}_")) {
            return Some(manylinux(linux_arch(arch)?, *m));
        }
    }
    if let Some(rest) = tag.strip_prefix("musllinux_1_") {
        let (v, arch) = rest.split_once('_')?;
        return Some(musllinux(linux_arch(arch)?, v.parse().ok()?));
    }
    match tag {
        "win_amd64" | "win32" | "win_arm64" => Some(vec![tag.to_string()]),
        _ if tag.starts_with("macosx_") || tag.starts_with("linux_") => Some(vec![tag.to_string()]),
        _ => None,
    }
}

/// Linux tags for this machine's glibc (2.17 when it cannot be told: the oldest manylinux
/// baseline still built for).
fn host_linux(arch: &str) -> Vec<String> {
    let minor = host_glibc().map(|(_, m)| m).unwrap_or(17);
    manylinux(arch, minor)
}

/// The glibc version of the running process (`gnu_get_libc_version`), e.g. `(2, 36)`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn host_glibc() -> Option<(u32, u32)> {
    // SAFETY: gnu_get_libc_version returns a pointer to a static NUL-terminated string.
    let v = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
    let v = v.to_str().ok()?;
    let mut it = v.split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.trim_end_matches(|c: char| !c.is_ascii_digit());
    Some((major, minor.parse().ok()?))
}

/// The glibc version of the running process: none outside glibc Linux.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn host_glibc() -> Option<(u32, u32)> {
    None
}

/// Compare two version strings by PEP 440 (unparsable ones sort first, then as text).
pub fn cmp_versions(a: &str, b: &str) -> Ordering {
    use std::str::FromStr;
    match (
        pep440_rs::Version::from_str(a),
        pep440_rs::Version::from_str(b),
    ) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => Ordering::Greater,
        (Err(_), Ok(_)) => Ordering::Less,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// Does `requires_python` (a PEP 440 specifier set) admit CPython `(major, minor)`? An
/// unparsable specifier admits it (installers differ; the wheel's tags still decide).
fn python_ok(requires_python: Option<&str>, (major, minor): (u8, u8)) -> bool {
    use std::str::FromStr;
    let Some(spec) = requires_python.map(str::trim).filter(|s| !s.is_empty()) else {
        return true;
    };
    let Ok(spec) = pep440_rs::VersionSpecifiers::from_str(spec) else {
        return true;
    };
    let Ok(v) = pep440_rs::Version::from_str(&format!("{major}.{minor}")) else {
        return true;
    };
    spec.contains(&v)
}

/// The wheel among `files` that an installer would pick for `t`: not yanked before yanked, then
/// the newest version, then the most specific platform (earliest in [`Target::platform`]), then
/// the best ABI (`cpXY` before `abi3` before `none`), then the newest build tag. Files that are
/// not wheels, whose tags do not fit, or whose `Requires-Python` excludes the target's Python
/// are left out. Pass one version's files to choose among them.
pub fn best_wheel<'a>(files: &'a [DistFile], t: &Target) -> Option<&'a DistFile> {
    let ranked = files.iter().filter_map(|f| {
        let w = f.wheel.as_ref()?;
        if !python_ok(f.requires_python.as_deref(), t.python) {
            return None;
        }
        Some((f, w.rank(t)?))
    });
    ranked
        .max_by(|(a, ra), (b, rb)| {
            let build = |f: &DistFile| f.wheel.as_ref().and_then(|w| w.build.clone());
            (!a.yanked)
                .cmp(&!b.yanked)
                .then_with(|| cmp_versions(&a.version, &b.version))
                .then_with(|| rb.cmp(ra))
                .then_with(|| build(a).cmp(&build(b)))
                // Stable and deterministic: the smaller file name wins a full tie.
                .then_with(|| b.filename.cmp(&a.filename))
        })
        .map(|(f, _)| f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str) -> DistFile {
        DistFile::from_filename(name, &format!("https://h/{name}"), "p")
    }

    #[test]
    fn wheel_names_parse_with_compressed_tag_sets_and_build_tags() {
        let w = WheelName::parse(
            "pandas-2.2.3-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        )
        .unwrap();
        assert_eq!(w.name, "pandas");
        assert_eq!(w.version, "2.2.3");
        assert_eq!(w.build, None);
        assert_eq!(w.python, ["cp311"]);
        assert_eq!(
            w.platform,
            ["manylinux_2_17_x86_64", "manylinux2014_x86_64"]
        );
        let b = WheelName::parse("foo-1.0-12abc-py2.py3-none-any.whl").unwrap();
        assert_eq!(b.build, Some((12, "abc".to_string())));
        assert_eq!(b.python, ["py2", "py3"]);
        for bad in [
            "foo-1.0.tar.gz",
            "foo-1.0-py3-none.whl",
            "foo-1.0-x1-py3-none-any.whl",
            "a-b-c-d-e-f-g.whl",
        ] {
            assert!(WheelName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn manylinux_targets_accept_older_glibc_and_the_legacy_aliases() {
        let t = Target::parse("3.11", "x86_64-manylinux_2_17").unwrap();
        assert_eq!(t.python, (3, 11));
        assert_eq!(t.platform[0], "manylinux_2_17_x86_64");
        assert_eq!(t.platform[1], "manylinux2014_x86_64");
        for tag in [
            "manylinux2010_x86_64",
            "manylinux1_x86_64",
            "manylinux_2_5_x86_64",
        ] {
            assert!(t.platform.contains(&tag.to_string()), "{tag}");
        }
        assert!(!t.platform.contains(&"manylinux_2_28_x86_64".to_string()));
        assert_eq!(t.platform.last().map(String::as_str), Some("any"));
        let a = Target::parse("3.12", "aarch64-manylinux_2_28").unwrap();
        assert!(a.platform.contains(&"manylinux2014_aarch64".to_string()));
        assert!(!a.platform.contains(&"manylinux2010_aarch64".to_string()));
        let m = Target::parse("3.11", "x86_64-musllinux_1_2").unwrap();
        assert_eq!(
            &m.platform[..3],
            [
                "musllinux_1_2_x86_64",
                "musllinux_1_1_x86_64",
                "musllinux_1_0_x86_64"
            ]
        );
        assert_eq!(
            Target::parse("3.11", "windows").unwrap().platform[0],
            "win_amd64"
        );
        assert_eq!(
            Target::parse("3.11", "macos").unwrap().platform[0],
            "macosx_12_0_arm64"
        );
        assert_eq!(
            Target::parse("3.11", "manylinux2014_x86_64")
                .unwrap()
                .platform,
            Target::parse("3.11", "x86_64-manylinux_2_17")
                .unwrap()
                .platform
        );
        assert!(Target::parse("3.11", "sparc-sunos").is_err());
        assert!(Target::parse("three", "windows").is_err());
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn the_host_target_uses_the_running_glibc() {
        let (major, minor) = host_glibc().unwrap();
        assert_eq!(major, 2);
        let t = Target::host("3.11").unwrap();
        let arch = linux_arch(std::env::consts::ARCH).unwrap();
        assert_eq!(t.platform[0], format!("manylinux_2_{minor}_{arch}"));
        assert!(t.platform.contains(&format!("linux_{arch}")));
        let gnu = Target::parse("3.11", &format!("{arch}-unknown-linux-gnu")).unwrap();
        assert_eq!(gnu.platform[0], t.platform[0]);
    }

    #[test]
    fn abi_tags_rank_exact_then_abi3_then_none() {
        let t = (3, 11);
        assert_eq!(abi_rank("cp311", "cp311", t), Some(0));
        assert_eq!(abi_rank("cp38", "abi3", t), Some(1));
        assert_eq!(abi_rank("cp312", "abi3", t), None);
        assert_eq!(abi_rank("cp311", "none", t), Some(2));
        assert_eq!(abi_rank("py3", "none", t), Some(3));
        assert_eq!(abi_rank("py311", "none", t), Some(3));
        assert_eq!(abi_rank("py2", "none", t), None);
        assert_eq!(abi_rank("cp310", "cp310", t), None);
        assert_eq!(abi_rank("cp311", "cp311d", t), None);
    }

    #[test]
    fn best_wheel_prefers_the_specific_platform_then_the_newest_build() {
        let files = vec![
            file("pandas-2.2.3.tar.gz"),
            file("pandas-2.2.3-cp311-cp311-manylinux_2_28_x86_64.whl"),
            file("pandas-2.2.3-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
            file("pandas-2.2.3-cp311-cp311-manylinux2010_x86_64.whl"),
            file("pandas-2.2.3-cp312-cp312-manylinux_2_17_x86_64.whl"),
            file("pandas-2.2.3-cp311-cp311-musllinux_1_1_x86_64.whl"),
            file("pandas-2.2.3-cp38-abi3-manylinux_2_17_x86_64.whl"),
        ];
        let t = Target::parse("3.11", "x86_64-manylinux_2_17").unwrap();
        assert_eq!(
            best_wheel(&files, &t).unwrap().filename,
            "pandas-2.2.3-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
        );
        let old = Target::parse("3.11", "x86_64-manylinux_2_12").unwrap();
        assert_eq!(
            best_wheel(&files, &old).unwrap().filename,
            "pandas-2.2.3-cp311-cp311-manylinux2010_x86_64.whl"
        );
        let builds = vec![
            file("x-1.0-1-cp311-cp311-win_amd64.whl"),
            file("x-1.0-3-cp311-cp311-win_amd64.whl"),
            file("x-1.0-py3-none-any.whl"),
        ];
        let w = Target::parse("3.11", "windows").unwrap();
        assert_eq!(
            best_wheel(&builds, &w).unwrap().filename,
            "x-1.0-3-cp311-cp311-win_amd64.whl"
        );
        let mac = Target::parse("3.11", "macos").unwrap();
        assert_eq!(
            best_wheel(&builds, &mac).unwrap().filename,
            "x-1.0-py3-none-any.whl"
        );
        let mut excluded = file("y-1.0-cp311-cp311-win_amd64.whl");
        excluded.requires_python = Some(">=3.12".to_string());
        assert!(best_wheel(&[excluded], &w).is_none());
    }

    #[test]
    fn best_wheel_prefers_newer_versions_and_skips_yanked() {
        let mut newest = file("x-2.0-cp311-cp311-win_amd64.whl");
        newest.yanked = true;
        let files = vec![
            file("x-1.0-cp311-cp311-win_amd64.whl"),
            file("x-1.10-cp311-cp311-win_amd64.whl"),
            newest,
        ];
        let w = Target::parse("3.11", "windows").unwrap();
        assert_eq!(
            best_wheel(&files, &w).unwrap().filename,
            "x-1.10-cp311-cp311-win_amd64.whl"
        );
    }

    #[test]
    fn targets_give_uv_spelling_markers_and_full_version() {
        let t = Target::parse("3.11.7", "manylinux_2_28_aarch64").unwrap();
        assert_eq!(t.python_version(), "3.11");
        assert_eq!(t.python_full, "3.11.7");
        assert_eq!(t.uv_platform(), "aarch64-manylinux_2_28");
        let m = t.marker_platform();
        assert_eq!(
            (m.sys_platform.as_str(), m.platform_machine.as_str()),
            ("linux", "aarch64")
        );
        let u = Target::parse("3.12", "x86_64-manylinux_2_17").unwrap();
        assert_eq!(u.python_full, "3.12");
        assert_eq!(u.uv_platform(), "x86_64-manylinux_2_17");
        assert_eq!(
            Target::parse("3.12", "musllinux_1_2_x86_64")
                .unwrap()
                .uv_platform(),
            "x86_64-musllinux_1_2"
        );
        let w = Target::parse("3.12", "win_amd64").unwrap();
        assert_eq!(w.uv_platform(), "x86_64-pc-windows-msvc");
        let wm = w.marker_platform();
        assert_eq!(
            (wm.sys_platform.as_str(), wm.platform_system.as_str()),
            ("win32", "Windows")
        );
        assert_eq!(wm.platform_machine, "AMD64");
        let mac = Target::parse("3.12", "macos").unwrap().marker_platform();
        assert_eq!(
            (mac.sys_platform.as_str(), mac.platform_machine.as_str()),
            ("darwin", "arm64")
        );
        assert!(Target::new("3.11", Some("sparc-solaris")).is_err());
        assert!(Target::new("3", None).is_err());
    }

    #[test]
    fn best_picks_newest_fitting_wheel_by_file_name() {
        let t = Target::parse("3.11", "x86_64-manylinux_2_17").unwrap();
        let files = [
            "dir/numpy-1.26.4-cp311-cp311-macosx_11_0_arm64.whl",
            "dir/numpy-1.26.4-cp311-cp311-manylinux_2_28_x86_64.whl",
            "dir/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "dir/numpy-1.26.3-cp311-cp311-manylinux_2_17_x86_64.whl",
            "dir/numpy-1.26.4.tar.gz",
        ];
        assert_eq!(
            t.best(&files, |s| s),
            Some(&"dir/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
        );
        let abi3 = ["cryptography-42.0.0-cp39-abi3-manylinux_2_28_x86_64.whl"];
        assert!(t.best(&abi3, |s| s).is_none());
        let old = Target::parse("3.7", "x86_64-manylinux_2_17").unwrap();
        let m = ["numpy-1.21.6-cp37-cp37m-manylinux_2_12_x86_64.manylinux2010_x86_64.whl"];
        assert!(old.best(&m, |s| s).is_some(), "cp37m is CPython 3.7's ABI");
        assert!(t.best(&m, |s| s).is_none());
    }
}
