//! `inspect --format text`: per file, its format and architecture, then in plain language what it
//! was built against and which NumPy versions it imports under.

use super::InspectReport;
use crate::binary::Format;
use crate::report::check::Style;
use std::io::{self, Write};

pub fn write(w: &mut dyn Write, r: &InspectReport, style: Style) -> io::Result<()> {
    for entry in &r.binaries {
        match (entry.format, &entry.arch) {
            (Some(format), Some(arch)) => {
                let init = entry
                    .module_init
                    .as_deref()
                    .map(|s| format!(", {s}"))
                    .unwrap_or_default();
                writeln!(
                    w,
                    "{} ({} {arch}{init})",
                    style.bold(&entry.path),
                    format_name(format)
                )?;
                for line in &entry.description {
                    writeln!(w, "  {line}")?;
                }
                for p in &entry.problems {
                    writeln!(w, "  {}: {p}", style.paint("1;33", "note"))?;
                }
            }
            // Unreadable: its problems name the file.
            _ => {
                for p in &entry.problems {
                    writeln!(w, "{p}")?;
                }
            }
        }
    }
    for p in &r.problems {
        writeln!(w, "{p}")?;
    }
    Ok(())
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Elf => "ELF",
        Format::MachO => "Mach-O",
        Format::Pe => "PE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::inspect::samples;
    use crate::report::rendered;

    #[test]
    fn files_members_and_problems() {
        let r = samples::report();
        insta::assert_snapshot!("inspect_text", rendered(|w| write(w, &r, Style::default())));
    }

    #[test]
    fn colors_paint_the_same_text() {
        let r = samples::report();
        let plain = rendered(|w| write(w, &r, Style::default()));
        let style = Style {
            color: true,
            verbose: false,
        };
        let painted = rendered(|w| write(w, &r, style));
        assert!(painted.starts_with("\x1b[1m"), "{painted}");
        let stripped = regex::Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&painted, "");
        assert_eq!(stripped, plain);
    }
}
