//! environment.yml (conda): its `dependencies`, conda specs and the `pip:` list. Parsed with a
//! YAML parser (yaml-rust2), so broken YAML is reported with its place; entries are then located
//! in the text, the first line holding them after `dependencies:`.

use super::{line_col, Loc};
use yaml_rust2::{Yaml, YamlLoader};

#[derive(Debug, Clone, Default)]
pub struct Env {
    /// The conda `numpy` spec, when there is one.
    pub numpy: Option<(Loc, String)>,
    /// The entries of the `pip:` list, in order.
    pub pip: Vec<(Loc, String)>,
}

pub fn read(text: &str, file: &str) -> Result<Env, String> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let mut env = Env::default();
    let Some(doc) = docs.first() else {
        return Ok(env);
    };
    let deps = match &doc["dependencies"] {
        Yaml::Array(a) => a.clone(),
        Yaml::BadValue | Yaml::Null => return Ok(env),
        _ => return Err("`dependencies` is not a list".into()),
    };
    let from = text.find("dependencies:").unwrap_or(0);
    let mut cursor = from;
    let mut locate = |needle: &str| -> Loc {
        let at = text[cursor..]
            .find(needle)
            .map(|i| cursor + i)
            .unwrap_or(from);
        cursor = at + needle.len().min(text.len() - at);
        let (line, column) = line_col(text, at);
        Loc {
            file: file.to_string(),
            line,
            column,
        }
    };
    for d in &deps {
        match d {
            Yaml::String(s) => {
                let name: String = s
                    .split(|c: char| {
                        !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
                    })
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let name = name.rsplit("::").next().unwrap_or(&name).to_string();
                let loc = locate(s);
                if name == "numpy" || s.ends_with("::numpy") {
                    env.numpy = Some((loc, s.clone()));
                }
            }
            Yaml::Hash(h) => {
                if let Some(Yaml::Array(pip)) = h.get(&Yaml::String("pip".into())) {
                    for p in pip {
                        if let Yaml::String(s) = p {
                            let loc = locate(s);
                            env.pip.push((loc, s.clone()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_and_pip_entries() {
        let t = "name: x\ndependencies:\n  - python=3.11\n  - numpy=1.26\n  - pip\n  - pip:\n    - git+https://github.com/o/p\n";
        let e = read(t, "environment.yml").unwrap();
        assert_eq!(e.numpy.as_ref().unwrap().0.line, 4);
        assert_eq!(e.pip[0].0.line, 7);
        assert_eq!(e.pip[0].0.column, 7);
    }

    #[test]
    fn broken_yaml_names_the_place() {
        let e = read("dependencies:\n  - [a\n", "environment.yml").unwrap_err();
        assert!(e.starts_with("not valid YAML"), "{e}");
        assert!(e.contains("line"), "{e}");
    }
}
