//! The target a set of wheels is checked for, and which wheel of a distribution an installer
//! would pick for it: wheel file names (PEP 427 / the binary distribution format spec), their
//! compatibility tags (PEP 425, PEP 600 manylinux, PEP 656 musllinux), and the platform spellings
//! uv's `--python-platform` takes (`x86_64-manylinux_2_17`, `linux`, `aarch64-apple-darwin`, ...).

use crate::inventory::Platform;

/// A parsed wheel file name: `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelName {
    /// As in the file name (underscores for runs of `-_.`); compare with `normalize_name`.
    pub name: String,
    pub version: String,
    pub python: Vec<String>,
    pub abi: Vec<String>,
    pub platform: Vec<String>,
}

impl WheelName {
    pub fn parse(filename: &str) -> Option<WheelName> {
        let base = filename.rsplit(['/', '\\']).next()?;
        let stem = base.strip_suffix(".whl")?;
        let parts: Vec<&str> = stem.split('-').collect();
        if parts.len() != 5 && parts.len() != 6 {
            return None;
        }
        let n = parts.len();
        let split = |s: &str| s.split('.').map(str::to_string).collect::<Vec<_>>();
        if parts.iter().any(|p| p.is_empty()) {
            return None;
        }
        Some(WheelName {
            name: parts[0].to_string(),
            version: parts[1].to_string(),
            python: split(parts[n - 3]),
            abi: split(parts[n - 2]),
            platform: split(parts[n - 1]),
        })
    }
}

/// What the set is checked for: a CPython version and a platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `3.11`.
    pub python: (u32, u32),
    /// For `python_full_version` markers: `3.11.7` when the environment tells it, else `3.11`.
    pub python_full: String,
    /// As given (uv's spelling), or as derived for this machine.
    pub platform_name: String,
    /// Platform tags, best first (`manylinux_2_17_x86_64`, ..., `any` is implied).
    pub platform_tags: Vec<String>,
    /// For environment markers.
    pub marker_platform: Platform,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("--python-version {0:?}: expected MAJOR.MINOR, e.g. 3.11")]
    Version(String),
    #[error("--python-platform {0:?}: not a platform abi-doctor knows (uv's spellings: x86_64-manylinux_2_17, aarch64-manylinux_2_28, x86_64-musllinux_1_2, linux, x86_64-unknown-linux-gnu, macos, aarch64-apple-darwin, x86_64-apple-darwin, windows, x86_64-pc-windows-msvc)")]
    Platform(String),
}

/// `3.11`, `3.11.7`, `311` -> (3, 11).
pub fn parse_python_version(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    let mut it = s.split('.');
    let a = it.next()?;
    match it.next() {
        Some(b) => Some((a.parse().ok()?, b.parse().ok()?)),
        None if a.len() >= 2 && a.starts_with('3') => Some((3, a[1..].parse().ok()?)),
        None => None,
    }
}

fn manylinux_tags(arch: &str, glibc_minor: u32) -> Vec<String> {
    let mut out: Vec<String> = (5..=glibc_minor)
        .rev()
        .map(|m| format!("manylinux_2_{m}_{arch}"))
        .collect();
    // The legacy aliases (PEP 600): 2014 = 2.17, 2010 = 2.12, 1 = 2.5.
    for (alias, m) in [
        ("manylinux2014", 17),
        ("manylinux2010", 12),
        ("manylinux1", 5),
    ] {
        if glibc_minor >= m {
            out.push(format!("{alias}_{arch}"));
        }
    }
    out.push(format!("linux_{arch}"));
    out
}

fn musllinux_tags(arch: &str, minor: u32) -> Vec<String> {
    let mut out: Vec<String> = (0..=minor)
        .rev()
        .map(|m| format!("musllinux_1_{m}_{arch}"))
        .collect();
    out.push(format!("linux_{arch}"));
    out
}

fn macos_tags(arch: &str, major: u32) -> Vec<String> {
    let mut out = Vec::new();
    let arches: &[&str] = if arch == "arm64" {
        &["arm64", "universal2"]
    } else {
        &["x86_64", "universal2", "intel", "universal"]
    };
    for v in (11..=major).rev() {
        for a in arches {
            out.push(format!("macosx_{v}_0_{a}"));
        }
    }
    if arch != "arm64" {
        for m in (0..=16).rev() {
            for a in arches {
                out.push(format!("macosx_10_{m}_{a}"));
            }
        }
    }
    out
}

/// The glibc minor version of this machine (`2.36` -> 36), when it runs on glibc.
fn host_glibc_minor() -> Option<u32> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: gnu_get_libc_version returns a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(gnu_get_libc_version()) };
        let v = v.to_str().ok()?;
        return v.split('.').nth(1)?.parse().ok();
    }
    #[allow(unreachable_code)]
    None
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" {
    fn gnu_get_libc_version() -> *const std::ffi::c_char;
}

impl Target {
    /// `--python-version` and `--python-platform` (uv's spelling; `None`: this machine).
    pub fn new(python_version: &str, platform: Option<&str>) -> Result<Target, TargetError> {
        let python = parse_python_version(python_version)
            .filter(|(a, _)| *a == 3 || *a == 2)
            .ok_or_else(|| TargetError::Version(python_version.to_string()))?;
        let host_arch = std::env::consts::ARCH;
        let name = match platform {
            Some(p) => p.trim().to_string(),
            None => match std::env::consts::OS {
                "linux" => match host_glibc_minor() {
                    Some(m) => format!("{host_arch}-manylinux_2_{m}"),
                    None => format!("{host_arch}-musllinux_1_2"),
                },
                "macos" => format!("{host_arch}-apple-darwin"),
                "windows" => format!("{host_arch}-pc-windows-msvc"),
                other => other.to_string(),
            },
        };
        let bad = || TargetError::Platform(name.clone());
        let lower = name.to_ascii_lowercase();
        let (arch, rest) = match lower.split_once('-') {
            Some((a, r))
                if ["x86_64", "aarch64", "i686", "arm64", "ppc64le", "s390x"].contains(&a) =>
            {
                (a.to_string(), r.to_string())
            }
            _ => (host_arch.to_string(), lower.clone()),
        };
        let (tags, sys) = if let Some(v) = rest.strip_prefix("manylinux_2_") {
            let m: u32 = v.parse().map_err(|_| bad())?;
            (manylinux_tags(&arch, m), "linux")
        } else if let Some(v) = rest.strip_prefix("musllinux_1_") {
            let m: u32 = v.parse().map_err(|_| bad())?;
            (musllinux_tags(&arch, m), "linux")
        } else if rest == "linux" || rest == "unknown-linux-gnu" {
            // uv's default for a plain "linux": manylinux 2.17.
            (
                manylinux_tags(&arch, host_glibc_minor().unwrap_or(17).max(17)),
                "linux",
            )
        } else if rest == "unknown-linux-musl" {
            (musllinux_tags(&arch, 2), "linux")
        } else if rest == "macos" || rest == "apple-darwin" {
            let a = if arch == "aarch64" {
                "arm64"
            } else {
                arch.as_str()
            };
            (macos_tags(a, 15), "darwin")
        } else if rest == "windows" || rest == "pc-windows-msvc" {
            let t = match arch.as_str() {
                "x86_64" => "win_amd64",
                "aarch64" | "arm64" => "win_arm64",
                _ => "win32",
            };
            (vec![t.to_string()], "win32")
        } else {
            return Err(bad());
        };
        let (system, machine) = match sys {
            "linux" => ("Linux", arch.clone()),
            "darwin" => (
                "Darwin",
                if arch == "aarch64" {
                    "arm64".into()
                } else {
                    arch.clone()
                },
            ),
            _ => (
                "Windows",
                if arch == "x86_64" {
                    "AMD64".into()
                } else {
                    arch.to_uppercase()
                },
            ),
        };
        Ok(Target {
            python,
            python_full: if python_version.trim().split('.').count() >= 3 {
                python_version.trim().to_string()
            } else {
                format!("{}.{}", python.0, python.1)
            },
            platform_name: name,
            platform_tags: tags,
            marker_platform: Platform {
                sys_platform: sys.to_string(),
                platform_system: system.to_string(),
                platform_machine: machine,
                implementation_name: "cpython".to_string(),
                extras: Vec::new(),
            },
        })
    }

    /// `3.11`.
    pub fn python_version(&self) -> String {
        format!("{}.{}", self.python.0, self.python.1)
    }

    /// How well a wheel fits: `None` when an installer would refuse it; lower is better.
    pub fn rank(&self, w: &WheelName) -> Option<(usize, usize)> {
        let (maj, min) = self.python;
        let cp = format!("cp{maj}{min}");
        let mut best_py: Option<usize> = None;
        for py in &w.python {
            for abi in &w.abi {
                let r = if *py == cp && (*abi == cp || abi == &format!("{cp}m")) {
                    Some(0)
                } else if py.starts_with("cp") && abi == "abi3" {
                    let v: u32 = py[2..].get(1..).and_then(|s| s.parse().ok()).unwrap_or(99);
                    (py.get(2..3) == Some(&maj.to_string()) && v <= min)
                        .then_some(1 + (min - v) as usize)
                } else if abi == "none" {
                    if *py == cp {
                        Some(40)
                    } else if *py == format!("py{maj}{min}") {
                        Some(41)
                    } else if *py == format!("py{maj}") {
                        Some(42)
                    } else if py.starts_with(&format!("py{maj}")) {
                        // py30 ... an older minor: still installable.
                        let v: u32 = py[3..].parse().unwrap_or(99);
                        (v <= min).then_some(43)
                    } else {
                        None
                    }
                } else {
                    None
                };
                if let Some(r) = r {
                    best_py = Some(best_py.map_or(r, |b| b.min(r)));
                }
            }
        }
        let py = best_py?;
        let plat = w
            .platform
            .iter()
            .filter_map(|p| {
                if p == "any" {
                    Some(self.platform_tags.len())
                } else {
                    self.platform_tags.iter().position(|t| t == p)
                }
            })
            .min()?;
        Some((plat, py))
    }

    /// The file among `filenames` an installer would pick (the best platform, then the best
    /// Python/ABI tag); `None` when none fits.
    pub fn best<'a, T>(&self, files: &'a [T], name_of: impl Fn(&T) -> &str) -> Option<&'a T> {
        files
            .iter()
            .filter_map(|f| Some((self.rank(&WheelName::parse(name_of(f))?)?, f)))
            .min_by_key(|(r, _)| *r)
            .map(|(_, f)| f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_names_parse() {
        let w = WheelName::parse(
            "numpy-2.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        )
        .unwrap();
        assert_eq!(w.name, "numpy");
        assert_eq!(w.version, "2.0.2");
        assert_eq!(w.platform.len(), 2);
        assert!(WheelName::parse("numpy-2.0.2.tar.gz").is_none());
        assert!(WheelName::parse("x-1-py3-none.whl").is_none());
        let b = WheelName::parse("foo-1.0-1build-py3-none-any.whl").unwrap();
        assert_eq!(b.version, "1.0");
    }

    #[test]
    fn target_picks_what_an_installer_picks() {
        let t = Target::new("3.11", Some("x86_64-manylinux_2_17")).unwrap();
        let files = [
            "numpy-1.26.4-cp311-cp311-macosx_11_0_arm64.whl",
            "numpy-1.26.4-cp311-cp311-musllinux_1_1_x86_64.whl",
            "numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "numpy-1.26.4-cp311-cp311-manylinux_2_28_x86_64.whl",
        ];
        assert_eq!(
            t.best(&files, |s| s),
            Some(&"numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
        );
        let pure = ["six-1.16.0-py2.py3-none-any.whl"];
        assert!(t.best(&pure, |s| s).is_some());
        let abi3 = ["cryptography-42.0.0-cp39-abi3-manylinux_2_28_x86_64.whl"];
        assert!(
            t.best(&abi3, |s| s).is_none(),
            "2.28 is newer than the target's 2.17"
        );
        let t28 = Target::new("3.11", Some("x86_64-manylinux_2_28")).unwrap();
        assert!(t28.best(&abi3, |s| s).is_some());
        assert!(Target::new("3", None).is_err());
        assert!(Target::new("3.11", Some("sparc-solaris")).is_err());
    }
}
