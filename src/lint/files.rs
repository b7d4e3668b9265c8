//! Which files `lint` reads, and reading them: every file through [`crate::fsread`] (regular
//! files only, size-capped), parsed by the reader for its kind. A file that cannot be read or
//! parsed becomes a [`Problem`] and the others are still linted.

use super::{conda, project, requirements, shell, Problem};
use crate::fsread::{self, Limit};
use schemars::JsonSchema;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Pyproject,
    SetupCfg,
    SetupPy,
    /// meson.build beside a pyproject.toml: read for `NPY_TARGET_VERSION` only.
    MesonBuild,
    Requirements,
    Environment,
    Dockerfile,
    Shell,
    Workflow,
    /// pylock.toml, uv.lock, poetry.lock: read for their pins (NPL009).
    Lock,
}

impl Kind {
    /// The kind of a file by its name and place, or `None` when lint does not read it.
    pub fn of(path: &Path) -> Option<Kind> {
        let name = path.file_name()?.to_str()?;
        let lower = name.to_ascii_lowercase();
        let parent = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("");
        let grandparent = path
            .parent()
            .and_then(Path::parent)
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("");
        let yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
        Some(match () {
            _ if name == "pyproject.toml" => Kind::Pyproject,
            _ if name == "setup.cfg" => Kind::SetupCfg,
            _ if name == "setup.py" => Kind::SetupPy,
            _ if name == "meson.build" => Kind::MesonBuild,
            _ if name == "uv.lock"
                || name == "poetry.lock"
                || name == "pylock.toml"
                || (name.starts_with("pylock.") && name.ends_with(".toml")) =>
            {
                Kind::Lock
            }
            _ if parent == "workflows" && grandparent == ".github" && yaml => Kind::Workflow,
            _ if lower.starts_with("environment") && yaml => Kind::Environment,
            _ if (lower.starts_with("requirements") || lower.starts_with("constraints"))
                && (lower.ends_with(".txt") || lower.ends_with(".in")) =>
            {
                Kind::Requirements
            }
            _ if parent == "requirements" && lower.ends_with(".txt") => Kind::Requirements,
            _ if lower.starts_with("dockerfile")
                || lower.ends_with(".dockerfile")
                || lower == "containerfile" =>
            {
                Kind::Dockerfile
            }
            _ if lower.ends_with(".sh") || lower.ends_with(".bash") => Kind::Shell,
            _ => return None,
        })
    }
}

/// What a file holds, as its reader returned it.
#[derive(Debug)]
pub enum Content {
    Pyproject(Box<project::Pyproject>),
    SetupCfg(project::SetupFile),
    SetupPy(project::SetupFile),
    /// `NPY_TARGET_VERSION` found in a meson.build, when it is.
    MesonBuild(Option<String>),
    Requirements(Vec<requirements::Line>),
    Environment(conda::Env),
    /// Dockerfiles, shell scripts and workflows: the shell commands and variables they hold.
    Commands(shell::Script),
    /// A lock file; read for the target Python by the rule that needs it.
    Lock,
}

/// One file read.
#[derive(Debug)]
pub struct FileRead {
    pub path: PathBuf,
    /// The path as findings show it: the lint root joined with the file's place under it.
    pub display: String,
    pub kind: Kind,
    pub text: String,
    pub content: Content,
}

/// Directories never entered: version control, environments, caches and build output.
const SKIP_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    "site-packages",
    ".mypy_cache",
    ".pytest_cache",
    "build",
    "dist",
    "target",
];

/// Find and read every file lint reads under `root` (or `root` itself, when it is a file).
/// Symbolic links are not followed; the walk goes 8 levels deep at most.
pub fn collect(root: &Path, problems: &mut Vec<Problem>) -> Vec<FileRead> {
    let mut paths: Vec<(PathBuf, Kind)> = Vec::new();
    if root.is_file() {
        match Kind::of(root) {
            Some(k) => paths.push((root.to_path_buf(), k)),
            None => problems.push(Problem {
                file: root.display().to_string(),
                message: "not a file lint reads (pyproject.toml, setup.cfg, setup.py, \
                          requirements*.txt, environment.yml, Dockerfile*, *.sh, \
                          .github/workflows/*.yml, pylock.toml, uv.lock, poetry.lock)"
                    .into(),
            }),
        }
    } else {
        let walk = walkdir::WalkDir::new(root)
            .follow_links(false)
            .max_depth(8)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0
                    || !e.file_type().is_dir()
                    || !e
                        .file_name()
                        .to_str()
                        .is_some_and(|n| SKIP_DIRS.contains(&n))
            });
        for entry in walk {
            match entry {
                Ok(e) if !e.file_type().is_dir() => {
                    if let Some(k) = Kind::of(e.path()) {
                        paths.push((e.path().to_path_buf(), k));
                    }
                }
                Ok(_) => {}
                Err(err) => problems.push(Problem {
                    file: err
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| root.display().to_string()),
                    message: format!("cannot list: {err}"),
                }),
            }
        }
    }
    // meson.build only beside a pyproject.toml: the project's own build file.
    let project_dirs: Vec<PathBuf> = paths
        .iter()
        .filter(|(_, k)| *k == Kind::Pyproject)
        .filter_map(|(p, _)| p.parent().map(Path::to_path_buf))
        .collect();
    paths.retain(|(p, k)| {
        *k != Kind::MesonBuild
            || p.parent()
                .is_some_and(|d| project_dirs.iter().any(|x| x == d))
    });

    let root_dir = if root.is_file() {
        root.parent().unwrap_or(Path::new("")).to_path_buf()
    } else {
        root.to_path_buf()
    };
    let mut out = Vec::new();
    for (path, kind) in paths {
        let display = display_path(&path);
        let text = match fsread::read_text(&path, Limit::ProjectFile) {
            Ok(t) => t,
            Err(e) => {
                problems.push(Problem {
                    file: display,
                    message: problem_text(&e.to_string(), &path),
                });
                continue;
            }
        };
        let is_root = path.parent() == Some(root_dir.as_path());
        let parsed = match kind {
            Kind::Pyproject => project::read_pyproject(&text, &display, is_root)
                .map(|p| Content::Pyproject(Box::new(p))),
            Kind::SetupCfg => Ok(Content::SetupCfg(project::read_setup_cfg(&text, &display))),
            Kind::SetupPy => Ok(Content::SetupPy(project::read_setup_py(&text, &display))),
            Kind::MesonBuild => Ok(Content::MesonBuild(project::target_version(&text))),
            Kind::Requirements => Ok(Content::Requirements(requirements::read(&text, &display))),
            Kind::Environment => conda::read(&text, &display).map(Content::Environment),
            Kind::Dockerfile => Ok(Content::Commands(shell::read_dockerfile(&text, &display))),
            Kind::Shell => Ok(Content::Commands(shell::read_shell(&text, &display))),
            Kind::Workflow => shell::read_workflow(&text, &display).map(Content::Commands),
            Kind::Lock => Ok(Content::Lock),
        };
        match parsed {
            Ok(content) => out.push(FileRead {
                path,
                display,
                kind,
                text,
                content,
            }),
            Err(message) => problems.push(Problem {
                file: display,
                message,
            }),
        }
    }
    out
}

/// The path without a leading `./`.
fn display_path(p: &Path) -> String {
    let s = p.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// fsread's message starts with the path; the problem carries it separately.
fn problem_text(message: &str, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_name_and_place() {
        let k = |p: &str| Kind::of(Path::new(p));
        assert_eq!(k("a/pyproject.toml"), Some(Kind::Pyproject));
        assert_eq!(k("a/.github/workflows/ci.yml"), Some(Kind::Workflow));
        assert_eq!(k("a/workflows/ci.yml"), None);
        assert_eq!(k("requirements-dev.txt"), Some(Kind::Requirements));
        assert_eq!(k("requirements/test.txt"), Some(Kind::Requirements));
        assert_eq!(k("constraints.txt"), Some(Kind::Requirements));
        assert_eq!(k("environment.yml"), Some(Kind::Environment));
        assert_eq!(k("Dockerfile.cuda"), Some(Kind::Dockerfile));
        assert_eq!(k("ci/build.sh"), Some(Kind::Shell));
        assert_eq!(k("uv.lock"), Some(Kind::Lock));
        assert_eq!(k("pylock.dev.toml"), Some(Kind::Lock));
        assert_eq!(k("README.md"), None);
    }

    #[test]
    fn fifo_and_bad_toml_are_problems_and_the_rest_is_read() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("pyproject.toml"),
            "[build-system\nrequires = [",
        )
        .unwrap();
        std::fs::write(d.path().join("build.sh"), "pip install numpy\n").unwrap();
        let fifo = d.path().join("Dockerfile");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let mut problems = Vec::new();
        let read = collect(d.path(), &mut problems);
        assert_eq!(read.len(), 1, "{read:?}");
        assert_eq!(read[0].kind, Kind::Shell);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().any(|p| p.message.contains("FIFO")));
        assert!(problems
            .iter()
            .any(|p| p.file.ends_with("pyproject.toml") && p.message.contains("TOML")));
    }
}
