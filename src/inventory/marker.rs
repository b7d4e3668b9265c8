//! PEP 508 environment markers, three-valued: `Some(true)`, `Some(false)`, or `None` when the
//! answer depends on something not known here (`platform_release`, an unparsable marker, ...).

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifier};

use super::requirement::normalize_name;

/// The target platform for marker evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// `linux`, `darwin`, `win32`.
    pub sys_platform: String,
    /// `Linux`, `Darwin`, `Windows`.
    pub platform_system: String,
    /// `x86_64`, `aarch64`, `arm64`, `AMD64`.
    pub platform_machine: String,
    /// `cpython`, `pypy`.
    pub implementation_name: String,
    /// Extras requested (normalized); `extra == "x"` is false for any other.
    pub extras: Vec<String>,
}

impl Platform {
    /// CPython on x86-64 Linux, no extras.
    pub fn linux_x86_64() -> Self {
        Platform {
            sys_platform: "linux".into(),
            platform_system: "Linux".into(),
            platform_machine: "x86_64".into(),
            implementation_name: "cpython".into(),
            extras: Vec::new(),
        }
    }

    /// CPython on the machine running abi-doctor.
    pub fn host() -> Self {
        let (sys_platform, platform_system) = match std::env::consts::OS {
            "linux" => ("linux", "Linux"),
            "macos" => ("darwin", "Darwin"),
            "windows" => ("win32", "Windows"),
            "freebsd" => ("freebsd", "FreeBSD"),
            other => (other, other),
        };
        let machine = match (std::env::consts::OS, std::env::consts::ARCH) {
            ("windows", "x86_64") => "AMD64",
            ("windows", "aarch64") => "ARM64",
            ("macos", "aarch64") => "arm64",
            (_, a) => a,
        };
        Platform {
            sys_platform: sys_platform.into(),
            platform_system: platform_system.into(),
            platform_machine: machine.into(),
            implementation_name: "cpython".into(),
            extras: Vec::new(),
        }
    }
}

/// Does `marker` hold for Python `python_version` (`"3.11.7"` or `"3.11"`) on `platform`?
/// None when unsure.
pub fn marker_applies(marker: &str, python_version: &str, platform: &Platform) -> Option<bool> {
    let tokens = tokenize(marker)?;
    let mut p = Parser {
        tokens: &tokens,
        pos: 0,
        depth: 0,
        ctx: Ctx {
            python_version,
            platform,
        },
    };
    let v = p.or_expr()?;
    if p.pos != tokens.len() {
        return None;
    }
    v
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Str(String),
    Op(&'static str),
    LParen,
    RParen,
}

fn tokenize(s: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '(' {
            chars.next();
            out.push(Tok::LParen);
        } else if c == ')' {
            chars.next();
            out.push(Tok::RParen);
        } else if c == '"' || c == '\'' {
            chars.next();
            let rest = &s[i + 1..];
            let end = rest.find(c)?;
            out.push(Tok::Str(rest[..end].to_string()));
            for _ in 0..rest[..end].chars().count() + 1 {
                chars.next();
            }
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            let mut w = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                    w.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Tok::Word(w));
        } else {
            let rest = &s[i..];
            let op = ["===", "==", "!=", "<=", ">=", "~=", "<", ">"]
                .into_iter()
                .find(|op| rest.starts_with(op))?;
            for _ in 0..op.len() {
                chars.next();
            }
            out.push(Tok::Op(op));
        }
    }
    Some(out)
}

struct Ctx<'a> {
    python_version: &'a str,
    platform: &'a Platform,
}

struct Parser<'a> {
    /// Parentheses open around the current position.
    depth: usize,
    tokens: &'a [Tok],
    pos: usize,
    ctx: Ctx<'a>,
}

/// Kleene logic.
fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// Deepest parenthesis nesting a marker may have.
const MAX_NESTING: usize = 64;

enum Value {
    Var(String),
    Lit(String),
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<&Tok> {
        let t = self.tokens.get(self.pos);
        self.pos += 1;
        t
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }

    /// Outer None: parse error. Inner None: unknown value.
    fn or_expr(&mut self) -> Option<Option<bool>> {
        let mut v = self.and_expr()?;
        while self.is_word("or") {
            self.pos += 1;
            v = or3(v, self.and_expr()?);
        }
        Some(v)
    }

    fn and_expr(&mut self) -> Option<Option<bool>> {
        let mut v = self.atom()?;
        while self.is_word("and") {
            self.pos += 1;
            v = and3(v, self.atom()?);
        }
        Some(v)
    }

    fn atom(&mut self) -> Option<Option<bool>> {
        if self.peek() == Some(&Tok::LParen) {
            // Input-driven recursion: refuse absurd nesting instead of overflowing the stack
            // (real markers nest two or three levels).
            if self.depth >= MAX_NESTING {
                return None;
            }
            self.pos += 1;
            self.depth += 1;
            let v = self.or_expr();
            self.depth -= 1;
            let v = v?;
            if self.next() != Some(&Tok::RParen) {
                return None;
            }
            return Some(v);
        }
        let lhs = self.value()?;
        let op = match self.next()? {
            Tok::Op(op) => op.to_string(),
            Tok::Word(w) if w == "in" => "in".to_string(),
            Tok::Word(w) if w == "not" => match self.next()? {
                Tok::Word(w) if w == "in" => "not in".to_string(),
                _ => return None,
            },
            _ => return None,
        };
        let rhs = self.value()?;
        Some(self.compare(lhs, &op, rhs))
    }

    fn value(&mut self) -> Option<Value> {
        match self.next()? {
            Tok::Str(s) => Some(Value::Lit(s.clone())),
            Tok::Word(w) => Some(Value::Var(w.clone())),
            _ => None,
        }
    }

    /// The value of a marker variable; None when unknown.
    fn var(&self, name: &str) -> Option<String> {
        let p = self.ctx.platform;
        let full = self.ctx.python_version;
        Some(match name {
            "python_version" => full.split('.').take(2).collect::<Vec<_>>().join("."),
            "python_full_version" if full.split('.').count() >= 3 => full.to_string(),
            "sys_platform" | "sys.platform" => p.sys_platform.clone(),
            "platform_system" => p.platform_system.clone(),
            "platform_machine" | "platform.machine" => p.platform_machine.clone(),
            "implementation_name" => p.implementation_name.clone(),
            "os_name" | "os.name" => {
                if p.sys_platform == "win32" {
                    "nt".into()
                } else {
                    "posix".into()
                }
            }
            "platform_python_implementation" | "platform.python_implementation" => {
                match p.implementation_name.as_str() {
                    "cpython" => "CPython".into(),
                    "pypy" => "PyPy".into(),
                    other => other.to_string(),
                }
            }
            _ => return None,
        })
    }

    fn compare(&self, lhs: Value, op: &str, rhs: Value) -> Option<bool> {
        // Normalize to `variable op literal` when possible.
        let (var, op, lit, flipped) = match (lhs, rhs) {
            (Value::Var(v), Value::Lit(l)) => (v, op.to_string(), l, false),
            (Value::Lit(l), Value::Var(v)) => (v, op.to_string(), l, true),
            _ => return None,
        };
        if var == "extra" {
            let wanted = normalize_name(&lit);
            let has = self
                .ctx
                .platform
                .extras
                .iter()
                .any(|e| normalize_name(e) == wanted);
            return match op.as_str() {
                "==" => Some(has),
                "!=" => Some(!has),
                _ => None,
            };
        }
        let val = self.var(&var)?;
        if op == "in" || op == "not in" {
            let contained = if flipped {
                val.contains(lit.as_str())
            } else {
                lit.contains(val.as_str())
            };
            return Some(contained == (op == "in"));
        }
        if op == "===" {
            return Some(val == lit);
        }
        let versioned = matches!(
            var.as_str(),
            "python_version" | "python_full_version" | "implementation_version"
        );
        if versioned {
            let op = if flipped { flip(&op)? } else { op.as_str() };
            let spec = VersionSpecifier::from_str(&format!("{op}{lit}")).ok()?;
            let v = Version::from_str(&val).ok()?;
            return Some(spec.contains(&v));
        }
        match op.as_str() {
            "==" => Some(val == lit),
            "!=" => Some(val != lit),
            _ => None,
        }
    }
}

/// `"3.8" < python_version` is `python_version > "3.8"`.
fn flip(op: &str) -> Option<&'static str> {
    Some(match op {
        "<" => ">",
        ">" => "<",
        "<=" => ">=",
        ">=" => "<=",
        "==" => "==",
        "!=" => "!=",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(m: &str, py: &str) -> Option<bool> {
        marker_applies(m, py, &Platform::linux_x86_64())
    }

    #[test]
    fn python_version_markers() {
        // pandas 2.1.4's numpy pins
        assert_eq!(on("python_version == \"3.11\"", "3.11.7"), Some(true));
        assert_eq!(on("python_version == \"3.11\"", "3.12.1"), Some(false));
        assert_eq!(on("python_version < \"3.11\"", "3.10.13"), Some(true));
        assert_eq!(on("python_version >= \"3.12\"", "3.11.7"), Some(false));
        assert_eq!(on("\"3.8\" < python_version", "3.11"), Some(true));
        assert_eq!(on("python_full_version >= '3.11.4'", "3.11.7"), Some(true));
        assert_eq!(on("python_full_version >= '3.11.4'", "3.11"), None);
        assert_eq!(on("python_version == '3.*'", "3.11.7"), Some(true));
        assert_eq!(on("python_version ~= '3.9'", "3.11.7"), Some(true));
    }

    #[test]
    fn platform_and_logic() {
        assert_eq!(on("sys_platform == 'win32'", "3.11"), Some(false));
        assert_eq!(
            on(
                "platform_system == \"Linux\" and platform_machine == \"x86_64\"",
                "3.11"
            ),
            Some(true)
        );
        assert_eq!(
            on("(sys_platform == 'darwin' or os_name == 'posix') and implementation_name == 'cpython'", "3.11"),
            Some(true)
        );
        assert_eq!(on("'linux' in sys_platform", "3.11"), Some(true));
        assert_eq!(on("sys_platform not in 'win32 cygwin'", "3.11"), Some(true));
        assert_eq!(
            on("platform_python_implementation != 'PyPy'", "3.11"),
            Some(true)
        );
        // Unknown variables make the answer unknown unless the other side decides it.
        assert_eq!(on("platform_release >= '5'", "3.11"), None);
        assert_eq!(
            on(
                "platform_release >= '5' and sys_platform == 'win32'",
                "3.11"
            ),
            Some(false)
        );
        assert_eq!(
            on("platform_release >= '5' or sys_platform == 'linux'", "3.11"),
            Some(true)
        );
    }

    #[test]
    fn extras() {
        assert_eq!(on("extra == 'test'", "3.11"), Some(false));
        let mut p = Platform::linux_x86_64();
        p.extras.push("Doc_Extra".into());
        assert_eq!(
            marker_applies("extra == \"doc-extra\"", "3.11", &p),
            Some(true)
        );
        assert_eq!(
            marker_applies("extra != 'doc.extra'", "3.11", &p),
            Some(false)
        );
    }

    #[test]
    fn garbage_is_unknown() {
        for m in [
            "",
            "python_version",
            "python_version ==",
            "(python_version == '3')",
            "== '3'",
            "python_version == '3.11' junk",
            "'unterminated",
            "é == 'x'",
            "python_version == 'not a version'",
        ] {
            let _ = on(m, "3.11.7");
        }
        assert_eq!(on("python_version ==", "3.11"), None);
        assert_eq!(on("((python_version == '3.11')", "3.11"), None);
        assert_eq!(on("python_version === '3.11'", "3.11.7"), Some(true));
    }

    /// 50,000 nested parentheses used to overflow the stack and abort the whole scan.
    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!(
            "{}python_version >= \"3\"{}",
            "(".repeat(50_000),
            ")".repeat(50_000)
        );
        assert_eq!(on(&deep, "3.11"), None);
        let ok = format!(
            "{}python_version >= \"3\"{}",
            "(".repeat(10),
            ")".repeat(10)
        );
        assert_eq!(on(&ok, "3.11"), Some(true));
    }
}
