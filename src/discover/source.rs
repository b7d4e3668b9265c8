//! Why this environment was chosen. Recorded so that a report can say where its answer came from:
//! an environment picked up from a stale `$VIRTUAL_ENV` or an unexpected `.venv` in a parent
//! directory explains a surprising result better than any finding. The same idea as uv's
//! `PythonSource` (crate `uv-python`, `discovery.rs`; earlier `InterpreterSource`), which records
//! whether an interpreter came from a given path, an active environment, a discovered `.venv` or
//! the search path.

use schemars::JsonSchema;
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

/// How [`discover`](super::discover) found the environment. Serialized as
/// `{"kind": "dot_venv", "path": "/x/y"}`; variants without data have no `path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(tag = "kind", content = "path", rename_all = "snake_case")]
pub enum Source {
    /// `--python PATH` (absolute, as given; a launcher is not resolved here).
    PythonOption(PathBuf),
    /// `--env DIR` (absolute, as given).
    EnvOption(PathBuf),
    /// `--site-packages DIR...` alone: no interpreter, no prefix of its own.
    SitePackagesOption,
    /// The `VIRTUAL_ENV` variable, set by a venv's `activate` script.
    VirtualEnv,
    /// The `CONDA_PREFIX` variable, set by `conda activate`.
    CondaPrefix,
    /// A `.venv` directory in the working directory or one of its ancestors; the path is the
    /// directory that holds `.venv`.
    DotVenv(PathBuf),
    /// `python3` found on `PATH`.
    SearchPath,
    /// A check before install: the set's wheels unpacked into a private site-packages; nothing
    /// is installed yet, and the reports say what installing the set would do.
    BeforeInstall,
}

impl Source {
    /// A short phrase for humans: "from --env", "found .venv in /x/y".
    pub fn describe(&self) -> String {
        match self {
            Source::PythonOption(_) => "from --python".to_string(),
            Source::EnvOption(_) => "from --env".to_string(),
            Source::SitePackagesOption => "from --site-packages".to_string(),
            Source::VirtualEnv => "from $VIRTUAL_ENV".to_string(),
            Source::CondaPrefix => "from $CONDA_PREFIX".to_string(),
            Source::DotVenv(dir) => format!("found .venv in {}", dir.display()),
            Source::SearchPath => "python3 on PATH".to_string(),
            Source::BeforeInstall => "before install".to_string(),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_and_display() {
        let cases = [
            (
                Source::PythonOption("/p/bin/python".into()),
                "from --python",
            ),
            (Source::EnvOption("/e".into()), "from --env"),
            (Source::SitePackagesOption, "from --site-packages"),
            (Source::VirtualEnv, "from $VIRTUAL_ENV"),
            (Source::CondaPrefix, "from $CONDA_PREFIX"),
            (Source::DotVenv("/x/y".into()), "found .venv in /x/y"),
            (Source::SearchPath, "python3 on PATH"),
            (Source::BeforeInstall, "before install"),
        ];
        for (source, text) in cases {
            assert_eq!(source.describe(), text);
            assert_eq!(source.to_string(), text);
        }
    }

    #[test]
    fn serialized_as_snake_case_tag_and_path() {
        let json = |s: &Source| serde_json::to_value(s).unwrap();
        assert_eq!(
            json(&Source::DotVenv("/x/y".into())),
            serde_json::json!({"kind": "dot_venv", "path": "/x/y"})
        );
        assert_eq!(
            json(&Source::PythonOption("/p/bin/python".into())),
            serde_json::json!({"kind": "python_option", "path": "/p/bin/python"})
        );
        assert_eq!(
            json(&Source::VirtualEnv),
            serde_json::json!({"kind": "virtual_env"})
        );
        assert_eq!(
            json(&Source::SearchPath),
            serde_json::json!({"kind": "search_path"})
        );
    }
}
