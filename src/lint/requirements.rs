//! requirements*.txt and constraints files (pip's format): one requirement or option per line,
//! `#` comments, `\` continuations. Read for what they install; the rules look at the numpy
//! pins and at `-r`/`-c` references from scripts.

use super::versions::{Origin, Req};
use super::{line_col, Loc};

/// One logical line.
#[derive(Debug, Clone)]
pub struct Line {
    pub loc: Loc,
    /// The line without its comment.
    pub text: String,
    /// The requirement on it, when it is one.
    pub req: Option<Req>,
}

pub fn read(text: &str, file: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut pending: Option<(usize, String)> = None;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        // A comment starts at `#` at the line start or after whitespace.
        let body = match line
            .find(" #")
            .or_else(|| line.starts_with('#').then_some(0))
        {
            Some(i) => &line[..i],
            None => line,
        };
        let (begin, mut acc) = pending.take().unwrap_or((start, String::new()));
        if let Some(cont) = body.strip_suffix('\\') {
            acc.push_str(cont);
            pending = Some((begin, acc));
            continue;
        }
        acc.push_str(body);
        let t = acc.trim();
        if t.is_empty() {
            continue;
        }
        let indent = acc.len() - acc.trim_start().len();
        let (l, c) = line_col(text, begin + indent);
        let loc = Loc {
            file: file.to_string(),
            line: l,
            column: c,
        };
        let req = (!t.starts_with('-'))
            .then(|| Req::parse(t, Origin::InstallRequires, loc.clone()))
            .flatten();
        out.push(Line {
            loc,
            text: t.to_string(),
            req,
        });
    }
    out
}

/// The numpy requirement of a requirements file, when it has one.
pub fn numpy_line(lines: &[Line]) -> Option<&Line> {
    lines
        .iter()
        .find(|l| l.req.as_ref().is_some_and(|r| r.name == "numpy"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_comments_continuations() {
        let t = "# pins\nnumpy==1.26.4 \\\n    # hash follows\nscipy>=1.11  # why\n-r base.txt\n";
        let l = read(t, "requirements.txt");
        assert_eq!(l.len(), 3, "{l:?}");
        assert_eq!(numpy_line(&l).unwrap().loc.line, 2);
        assert_eq!(l[1].req.as_ref().unwrap().name, "scipy");
        assert!(l[2].req.is_none());
    }
}
