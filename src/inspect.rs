//! `inspect`: read the files, wheels and directories named on the command line into an
//! [`InspectReport`], without an environment. Directories are walked for binaries and wheels;
//! every file that cannot be read is named in the report, and the others are still inspected.

use crate::binary;
use crate::report::inspect::{BinaryEntry, InspectReport};
use crate::wheel;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

enum Target {
    File(PathBuf),
    Wheel(PathBuf),
}

/// Inspect every path (in parallel); entries come out in argument order, directories in file
/// name order, wheel members in archive order.
pub fn inspect(paths: &[PathBuf]) -> InspectReport {
    let mut problems = Vec::new();
    let targets = targets(paths, &mut problems);
    let results: Vec<(Vec<BinaryEntry>, Vec<String>)> = targets
        .par_iter()
        .map(|t| match t {
            Target::File(p) => {
                let shown = p.display().to_string();
                let entry = match binary::inspect_path(p) {
                    Ok(f) => BinaryEntry::from_facts(shown, &f),
                    Err(e) => BinaryEntry::unreadable(shown, e.to_string()),
                };
                (vec![entry], vec![])
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
                                Ok(f) => BinaryEntry::from_facts(path, &f),
                                Err(e) => BinaryEntry::unreadable(path, e),
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
    InspectReport::new(entries, problems)
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
    // Through the bounded reader: a FIFO or device in the directory is not waited on.
    crate::fsread::open_regular(p)
        .ok()
        .and_then(|(mut f, _)| f.read_exact(&mut head).ok())
        .is_some()
        && binary::sniff(&head).is_some()
}
