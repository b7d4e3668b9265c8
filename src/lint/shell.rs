//! The shell commands of Dockerfiles (`RUN`, `ENV`, `ARG`), shell scripts and GitHub workflows
//! (`run:` steps, `env:` keys), as words with a place. A small POSIX-ish word splitter: quotes,
//! backslash continuations, and `&&`, `||`, `;`, `|` between commands; no expansion.

use super::{line_col, Loc};
use yaml_rust2::YamlLoader;

/// A simple command: its words (quotes removed) and the `NAME=value` assignments before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub loc: Loc,
    pub words: Vec<String>,
    pub assignments: Vec<(String, String)>,
}

/// An environment variable set by the file (`ENV`, `ARG`, `export`, a workflow `env:` key, or
/// an assignment before a command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    pub loc: Loc,
    pub name: String,
    pub value: String,
}

/// What happens in a file, in order.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Run(Command),
    Set(Var),
}

impl Script {
    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.steps.iter().filter_map(|s| match s {
            Step::Run(c) => Some(c),
            Step::Set(_) => None,
        })
    }
    pub fn vars(&self) -> impl Iterator<Item = &Var> {
        self.steps.iter().filter_map(|s| match s {
            Step::Set(v) => Some(v),
            Step::Run(_) => None,
        })
    }
}

fn loc_at(text: &str, file: &str, offset: usize) -> Loc {
    let (line, column) = line_col(text, offset);
    Loc {
        file: file.to_string(),
        line,
        column,
    }
}

/// Split shell text starting at byte `base` of `text` into commands, appending steps.
fn parse_shell(text: &str, file: &str, base: usize, src: &str, steps: &mut Vec<Step>) {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut words: Vec<(usize, String)> = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    let mut i = 0;
    let flush_word = |cur: &mut Option<(usize, String)>, words: &mut Vec<(usize, String)>| {
        if let Some(w) = cur.take() {
            words.push(w);
        }
    };
    let end_command = |words: &mut Vec<(usize, String)>, steps: &mut Vec<Step>| {
        let mut assignments = Vec::new();
        let mut rest = words.drain(..).peekable();
        let mut first_at = None;
        while let Some((at, w)) = rest.peek() {
            match w.split_once('=') {
                Some((n, v)) if is_name(n) => {
                    assignments.push((*at, n.to_string(), v.to_string()));
                    rest.next();
                }
                _ => {
                    first_at = Some(*at);
                    break;
                }
            }
        }
        let ws: Vec<String> = rest.map(|(_, w)| w).collect();
        let mut ws = ws;
        // `export NAME=value` and `env NAME=value cmd` set variables too.
        if ws.first().is_some_and(|w| w == "export" || w == "env") {
            let is_export = ws[0] == "export";
            ws.remove(0);
            while let Some((n, v)) = ws.first().and_then(|w| w.split_once('=')) {
                if !is_name(n) {
                    break;
                }
                assignments.push((first_at.unwrap_or(0), n.to_string(), v.to_string()));
                ws.remove(0);
            }
            if is_export {
                ws.clear();
            }
        }
        if ws.is_empty() {
            for (at, n, v) in assignments {
                steps.push(Step::Set(Var {
                    loc: loc_at(text, file, base + at),
                    name: n,
                    value: v,
                }));
            }
        } else {
            let at = assignments.first().map(|a| a.0).or(first_at).unwrap_or(0);
            for (at, n, v) in &assignments {
                steps.push(Step::Set(Var {
                    loc: loc_at(text, file, base + at),
                    name: n.clone(),
                    value: v.clone(),
                }));
            }
            steps.push(Step::Run(Command {
                loc: loc_at(text, file, base + at),
                words: ws,
                assignments: assignments.into_iter().map(|(_, n, v)| (n, v)).collect(),
            }));
        }
    };
    while i < chars.len() {
        let (at, c) = chars[i];
        match c {
            '\\' if chars.get(i + 1).is_some_and(|(_, n)| *n == '\n') => i += 2,
            '\\' => {
                if let Some((_, n)) = chars.get(i + 1) {
                    cur.get_or_insert((at, String::new())).1.push(*n);
                }
                i += 2;
            }
            '\'' | '"' => {
                let w = cur.get_or_insert((at, String::new()));
                i += 1;
                while i < chars.len() && chars[i].1 != c {
                    if c == '"' && chars[i].1 == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    w.1.push(chars[i].1);
                    i += 1;
                }
                i += 1;
            }
            '#' if cur.is_none() => {
                while i < chars.len() && chars[i].1 != '\n' {
                    i += 1;
                }
            }
            ';' | '&' | '|' | '\n' | '(' | ')' => {
                flush_word(&mut cur, &mut words);
                end_command(&mut words, steps);
                i += 1;
            }
            c if c.is_whitespace() => {
                flush_word(&mut cur, &mut words);
                i += 1;
            }
            _ => {
                cur.get_or_insert((at, String::new())).1.push(c);
                i += 1;
            }
        }
    }
    flush_word(&mut cur, &mut words);
    end_command(&mut words, steps);
}

fn is_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !n.starts_with(|c: char| c.is_ascii_digit())
}

/// A shell script.
pub fn read_shell(text: &str, file: &str) -> Script {
    let mut s = Script::default();
    parse_shell(text, file, 0, text, &mut s.steps);
    s
}

/// A Dockerfile: `RUN` (shell form, or the JSON exec form), `ENV` and `ARG`, each instruction
/// joined over its `\` continuations.
pub fn read_dockerfile(text: &str, file: &str) -> Script {
    let mut s = Script::default();
    let mut offset = 0;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let start = offset;
        let mut block = String::new();
        // Comment lines inside an instruction are dropped, as Docker does; blank them so byte
        // offsets still match the file.
        loop {
            let l = lines[i];
            offset += l.len();
            i += 1;
            if l.trim_start().starts_with('#') && !block.is_empty() {
                block.push_str(&" ".repeat(l.len() - 1));
                block.push('\n');
                continue;
            }
            block.push_str(l);
            let body = l.trim_end();
            if !body.ends_with('\\') || i >= lines.len() {
                break;
            }
        }
        let trimmed = block.trim_start();
        let lead = block.len() - trimmed.len();
        let (instr, rest) = trimmed
            .split_once(|c: char| c.is_whitespace())
            .unwrap_or((trimmed, ""));
        let rest_at = start + lead + instr.len() + 1;
        match instr.to_ascii_uppercase().as_str() {
            "RUN" => {
                let r = rest.trim_start();
                let r_at = rest_at + (rest.len() - r.len());
                if r.starts_with('[') {
                    if let Ok(words) = serde_json::from_str::<Vec<String>>(r.trim()) {
                        s.steps.push(Step::Run(Command {
                            loc: loc_at(text, file, r_at),
                            words,
                            assignments: vec![],
                        }));
                        continue;
                    }
                }
                parse_shell(text, file, r_at, r, &mut s.steps);
            }
            "ENV" | "ARG" => {
                let r = rest.trim();
                let r_at = rest_at + (rest.len() - rest.trim_start().len());
                // `ENV A=1 B=2` (the first word holds `=`): the shell splitter reads the pairs;
                // otherwise the legacy `ENV NAME value`.
                let first = r.split(char::is_whitespace).next().unwrap_or("");
                if first.split_once('=').is_some_and(|(n, _)| is_name(n)) {
                    parse_shell(text, file, r_at, r, &mut s.steps);
                    continue;
                }
                if let Some((n, v)) = r.split_once(char::is_whitespace) {
                    if is_name(n) {
                        s.steps.push(Step::Set(Var {
                            loc: loc_at(text, file, r_at),
                            name: n.to_string(),
                            value: v.trim().to_string(),
                        }));
                    }
                }
            }
            _ => {}
        }
    }
    s
}

/// A GitHub Actions workflow. Parsed with a YAML parser to reject broken files; then, in the
/// text, each `run:` value (one line, or a `|`/`>` block: the lines indented deeper than the
/// key) is read as shell, and each `NAME: value` line under an `env:` key is a variable.
pub fn read_workflow(text: &str, file: &str) -> Result<Script, String> {
    YamlLoader::load_from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let mut s = Script::default();
    let lines: Vec<(usize, &str)> = {
        let mut off = 0;
        text.split_inclusive('\n')
            .map(|l| {
                let at = off;
                off += l.len();
                (at, l)
            })
            .collect()
    };
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let mut env_indent: Option<usize> = None;
    let mut i = 0;
    while i < lines.len() {
        let (at, raw) = lines[i];
        let line = raw.trim_end_matches(['\n', '\r']);
        let body = line.trim_start();
        let ind = indent(line);
        let key_body = body.strip_prefix("- ").unwrap_or(body);
        let key_ind = ind + (body.len() - key_body.len());
        i += 1;
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if let Some(e) = env_indent {
            if key_ind > e {
                if let Some((n, v)) = key_body.split_once(':') {
                    if is_name(n.trim()) {
                        s.steps.push(Step::Set(Var {
                            loc: loc_at(text, file, at + key_ind),
                            name: n.trim().to_string(),
                            value: v.trim().trim_matches(['"', '\'']).to_string(),
                        }));
                    }
                }
                continue;
            }
            env_indent = None;
        }
        if key_body.trim_end() == "env:" {
            env_indent = Some(key_ind);
            continue;
        }
        let Some(value) = key_body.strip_prefix("run:") else {
            continue;
        };
        let v = value.trim();
        if v.starts_with('|') || v.starts_with('>') {
            let first = i;
            while i < lines.len() {
                let l = lines[i].1.trim_end_matches(['\n', '\r']);
                if !l.trim().is_empty() && indent(l) <= key_ind {
                    break;
                }
                i += 1;
            }
            if first < i {
                let start = lines[first].0;
                let end = lines[i - 1].0 + lines[i - 1].1.len();
                parse_shell(text, file, start, &text[start..end], &mut s.steps);
            }
        } else if !v.is_empty() {
            let v_at = at + line.len() - value.trim_start().len();
            let inner = v.trim_matches(['"', '\'']);
            let off = if v.starts_with(['"', '\'']) { 1 } else { 0 };
            parse_shell(text, file, v_at + off, inner, &mut s.steps);
        }
    }
    Ok(s)
}

/// A pip, uv or conda install command, read from its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Install<'a> {
    pub tool: Tool,
    /// The words after `install`.
    pub args: &'a [String],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Pip,
    Uv,
    Conda,
}

/// `pip install`, `pip3 install`, `python -m pip install`, `uv pip install`, `conda|mamba|micromamba install`.
pub fn install(c: &Command) -> Option<Install<'_>> {
    let w = &c.words;
    let base = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    for i in 0..w.len() {
        let b = base(&w[i]);
        let next = |k: usize| w.get(i + k).map(String::as_str);
        let is_pip = b == "pip" || b.starts_with("pip3");
        if is_pip && next(1) == Some("install") {
            let tool = if i > 0 && base(&w[i - 1]) == "uv" {
                Tool::Uv
            } else {
                Tool::Pip
            };
            return Some(Install {
                tool,
                args: &w[i + 2..],
            });
        }
        if b.starts_with("python")
            && next(1) == Some("-m")
            && next(2) == Some("pip")
            && next(3) == Some("install")
        {
            return Some(Install {
                tool: Tool::Pip,
                args: &w[i + 4..],
            });
        }
        if matches!(b.as_str(), "conda" | "mamba" | "micromamba") && next(1) == Some("install") {
            return Some(Install {
                tool: Tool::Conda,
                args: &w[i + 2..],
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &Script) -> Vec<Vec<String>> {
        s.commands().map(|c| c.words.clone()).collect()
    }

    #[test]
    fn splits_commands_and_quotes() {
        let s = read_shell(
            "set -e\npip install 'numpy<2' && \\\n  pip install --no-binary :all: . # why\nexport PIP_CONSTRAINT=c.txt\n",
            "b.sh",
        );
        assert_eq!(
            words(&s),
            vec![
                vec!["set", "-e"],
                vec!["pip", "install", "numpy<2"],
                vec!["pip", "install", "--no-binary", ":all:", "."]
            ]
        );
        let cmds: Vec<_> = s.commands().collect();
        assert_eq!((cmds[2].loc.line, cmds[2].loc.column), (3, 3));
        let v: Vec<_> = s.vars().collect();
        assert_eq!(v[0].name, "PIP_CONSTRAINT");
        assert_eq!(v[0].loc.line, 4);
    }

    #[test]
    fn dockerfile_instructions() {
        let t = "FROM python:3.11\nENV PIP_CONSTRAINT=/c.txt\nRUN pip install numpy==1.26.4 \\\n# a comment\n    && pip install --no-binary scipy scipy\nRUN [\"pip\", \"install\", \".\"]\n";
        let s = read_dockerfile(t, "Dockerfile");
        assert_eq!(s.vars().next().unwrap().loc.line, 2);
        let c: Vec<_> = s.commands().collect();
        assert_eq!(c.len(), 3, "{c:?}");
        assert_eq!((c[1].loc.line, c[1].loc.column), (5, 8));
        assert_eq!(c[2].words, vec!["pip", "install", "."]);
        assert_eq!(c[2].loc.line, 6);
    }

    #[test]
    fn workflow_runs_and_env() {
        let t = "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    env:\n      PIP_CONSTRAINT: c.txt\n    steps:\n      - run: pip install numpy\n      - name: build\n        run: |\n          pip install .\n          python -m pytest\n";
        let s = read_workflow(t, "ci.yml").unwrap();
        assert_eq!(s.vars().next().unwrap().loc.line, 6);
        let c: Vec<_> = s.commands().collect();
        assert_eq!(c[0].words, vec!["pip", "install", "numpy"]);
        assert_eq!((c[0].loc.line, c[0].loc.column), (8, 14));
        assert_eq!((c[1].loc.line, c[1].loc.column), (11, 11));
        assert!(install(c[1]).is_some());
        assert!(read_workflow("on: [push\n", "ci.yml").is_err());
    }
}
