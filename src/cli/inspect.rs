//! `abi-doctor inspect PATH...`

use super::{Format, InspectArgs};
use abi_doctor::binary;
use abi_doctor::report::inspect::{describe, BinaryEntry, InspectReport, SCHEMA_VERSION};
use abi_doctor::wheel;
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A report entry and, when the file could be read, its facts.
type Inspected = (BinaryEntry, Option<binary::BinaryFacts>);

enum Target {
    File(PathBuf),
    Wheel(PathBuf),
}

/// Expand the arguments: files as given, wheels by extension, directories walked for binaries.
fn targets(paths: &[PathBuf], problems: &mut Vec<String>) -> Vec<Target> {
    let mut out = Vec::new();
    for p in paths {
        match std::fs::metadata(p) {
            Err(e) => problems.push(format!("{}: cannot read: {e}", p.display())),
            Ok(m) if m.is_dir() => {
                for entry in walkdir::WalkDir::new(p)
                    .follow_links(false)
                    .sort_by_file_name()
                {
                    match entry {
                        Err(e) => problems.push(format!("{}: {e}", p.display())),
                        Ok(e) if e.file_type().is_file() => {
                            let path = e.into_path();
                            if is_wheel(&path) {
                                out.push(Target::Wheel(path));
                            } else if looks_binary(&path) {
                                out.push(Target::File(path));
                            }
                        }
                        Ok(_) => {}
                    }
                }
            }
            Ok(_) if is_wheel(p) => out.push(Target::Wheel(p.clone())),
            Ok(_) => out.push(Target::File(p.clone())),
        }
    }
    out
}

fn is_wheel(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("whl"))
}

fn looks_binary(p: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 4];
    std::fs::File::open(p)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && binary::sniff(&head).is_some()
}

pub fn run(args: &InspectArgs) -> anyhow::Result<i32> {
    let mut problems = Vec::new();
    let targets = targets(&args.paths, &mut problems);
    let results: Vec<(Vec<Inspected>, Vec<String>)> = targets
        .par_iter()
        .map(|t| match t {
            Target::File(p) => {
                let shown = p.display().to_string();
                match binary::inspect_path(p) {
                    Ok(f) => (vec![(BinaryEntry::from_facts(shown, &f), Some(f))], vec![]),
                    Err(e) => (
                        vec![(BinaryEntry::unreadable(shown, e.to_string()), None)],
                        vec![],
                    ),
                }
            }
            Target::Wheel(p) => match wheel::inspect_wheel(p) {
                Err(e) => (vec![], vec![e.to_string()]),
                Ok(c) => {
                    let shown = p.display().to_string();
                    let entries = c
                        .members
                        .into_iter()
                        .map(|m| {
                            let path = format!("{shown}!{}", m.name);
                            match m.facts {
                                Ok(f) => (BinaryEntry::from_facts(path, &f), Some(f)),
                                Err(e) => (BinaryEntry::unreadable(path, e), None),
                            }
                        })
                        .collect();
                    (entries, c.problems)
                }
            },
        })
        .collect();
    let mut entries = Vec::new();
    for (e, p) in results {
        entries.extend(e);
        problems.extend(p);
    }
    let readable = entries.iter().filter(|(_, f)| f.is_some()).count();
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let report = InspectReport {
                schema_version: SCHEMA_VERSION,
                binaries: entries.into_iter().map(|(e, _)| e).collect(),
                problems: problems.clone(),
            };
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Text => {
            for (entry, facts) in &entries {
                match facts {
                    Some(f) => {
                        let init = f
                            .module_init
                            .as_deref()
                            .map(|s| format!(", {s}"))
                            .unwrap_or_default();
                        writeln!(
                            out,
                            "{} ({} {}{init})",
                            entry.path,
                            format_name(f.format),
                            f.arch.as_str()
                        )?;
                        for line in describe(f) {
                            writeln!(out, "  {line}")?;
                        }
                        for p in &f.problems {
                            writeln!(out, "  note: {p}")?;
                        }
                    }
                    None => {
                        for p in &entry.problems {
                            writeln!(out, "{p}")?;
                        }
                    }
                }
            }
            for p in &problems {
                writeln!(out, "{p}")?;
            }
        }
    }
    if readable == 0 {
        if matches!(args.format, Format::Text) {
            eprintln!("abi-doctor: nothing could be inspected");
        }
        return Ok(2);
    }
    Ok(0)
}

fn format_name(f: binary::Format) -> &'static str {
    match f {
        binary::Format::Elf => "ELF",
        binary::Format::MachO => "Mach-O",
        binary::Format::Pe => "PE",
    }
}
