//! `pyvenv.cfg`, the PEP 405 marker of a virtual environment: `key = value` lines, read the way
//! CPython's `site.venv()` reads them (split at the first `=`, keys compared case-insensitively,
//! unknown keys and malformed lines ignored).

use std::path::PathBuf;

/// The parsed keys of a `pyvenv.cfg` that matter here.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct PyvenvCfg {
    /// The directory of the base interpreter (PEP 405 `home`).
    pub(super) home: Option<PathBuf>,
    /// `"3.11.7"`: at most three numeric components.
    pub(super) version: Option<String>,
    pub(super) include_system_site_packages: bool,
}

pub(crate) fn parse_pyvenv_cfg(text: &str) -> PyvenvCfg {
    let mut cfg = PyvenvCfg::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
        match k.as_str() {
            "home" => cfg.home = Some(PathBuf::from(v)),
            // venv writes `version = 3.11.7`, virtualenv `version_info = 3.11.7.final.0`.
            "version" | "version_info" if cfg.version.is_none() || k == "version" => {
                let parts: Vec<&str> = v.split('.').take(3).collect();
                if parts.len() >= 2 && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
                    cfg.version = Some(parts.join("."));
                }
            }
            "include-system-site-packages" => {
                cfg.include_system_site_packages = v.eq_ignore_ascii_case("true")
            }
            _ => {}
        }
    }
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyvenv_cfg_keys() {
        let c = parse_pyvenv_cfg(
            "home = /usr/bin\nimplementation = CPython\nversion_info = 3.12.1.final.0\ninclude-system-site-packages = TRUE\n",
        );
        assert_eq!(c.home, Some(PathBuf::from("/usr/bin")));
        assert_eq!(c.version.as_deref(), Some("3.12.1"));
        assert!(c.include_system_site_packages);
        let c = parse_pyvenv_cfg("version = 3.11.7\nversion_info = 3.11.7.final.0\n");
        assert_eq!(c.version.as_deref(), Some("3.11.7"));
        assert!(!parse_pyvenv_cfg("garbage\n=\n").include_system_site_packages);
    }
}
