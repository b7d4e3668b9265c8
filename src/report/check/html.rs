//! `check --output-format html`: one self-contained page (inline CSS and SVG, one short script
//! that sorts the findings table; nothing loaded from the network). The picture draws
//! [`Windows`]: a NumPy release-line axis, one bar per NumPy-using distribution (the lines its
//! binaries import under) with a thin mark under it for the lines its metadata declares, a
//! vertical line at the installed NumPy, the band where every window overlaps (or a labelled gap),
//! and the fix hint's NumPy move as an arrow. Below: the fix, what `import` will do, each
//! distribution's failing modules with the predicted messages and evidence, and the findings
//! table.
//!
//! Colour is never the only cue: failing bars are hatched and marked ✗ with a count, working ones
//! are solid and marked ✓, the declared mark is dashed, and every mark has a text label or an SVG
//! `<title>`. `prefers-color-scheme` picks the dark palette; `@media print` a plain one.
//!
//! The SVG elements carry `data-*` attributes (release lines, distribution, installed-inside) so
//! tests and scripts can read the picture without measuring pixels: `g.dist[data-dist]` per bar,
//! `#installed[data-line]`, `#overlap[data-lines]`.

use super::text::{first_sentence, plural};
use super::{CheckReport, DistWindow, Windows};
use crate::rules::{Finding, Severity};
use std::fmt::Write as _;
use std::io::{self, Write};

const WIDTH: f64 = 1040.0;
const LABEL_W: f64 = 280.0;
const RIGHT: f64 = 16.0;
const ROW_H: f64 = 28.0;
const AXIS_H: f64 = 54.0;
/// Longest distribution label drawn in full; longer ones are cut (the `<title>` has it all).
const LABEL_CHARS: usize = 24;

/// HTML-escape text and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A fragment id for a distribution: `dist-` and its name with anything but [a-z0-9] as `-`.
fn dist_id(name: &str) -> String {
    let n: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("dist-{n}")
}

/// The release lines where `ok` is true, space-separated (a `data-lines` value).
fn lines_attr(ok: &[bool], lines: &[String]) -> String {
    ok.iter()
        .zip(lines)
        .filter(|(b, _)| **b)
        .map(|(_, l)| l.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Contiguous runs of `true`: (first, last) indices.
fn runs(ok: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < ok.len() {
        if ok[i] {
            let lo = i;
            while i + 1 < ok.len() && ok[i + 1] {
                i += 1;
            }
            out.push((lo, i));
        }
        i += 1;
    }
    out
}

fn fmt_n(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

struct Axis<'a> {
    lines: &'a [String],
    cell: f64,
}

impl Axis<'_> {
    fn new(lines: &[String]) -> Axis<'_> {
        let n = lines.len().max(1) as f64;
        Axis {
            lines,
            cell: (WIDTH - LABEL_W - RIGHT) / n,
        }
    }
    fn x(&self, i: usize) -> f64 {
        LABEL_W + i as f64 * self.cell
    }
    fn mid(&self, i: usize) -> f64 {
        self.x(i) + self.cell / 2.0
    }
    fn index(&self, line: &str) -> Option<usize> {
        self.lines.iter().position(|l| l == line)
    }
}

pub fn write(w: &mut dyn Write, r: &CheckReport) -> io::Result<()> {
    let mut h = String::new();
    page(&mut h, r).map_err(io::Error::other)?;
    w.write_all(h.as_bytes())
}

fn page(h: &mut String, r: &CheckReport) -> std::fmt::Result {
    let env = &r.environment;
    let place = match (&env.python_version, env.kind.as_str()) {
        (_, "site-packages") => format!("site-packages: {}", env.site_packages.join(", ")),
        (py, kind) => format!(
            "Python {} {kind} at {}",
            py.as_deref().unwrap_or("(version unknown)"),
            env.prefix
        ),
    };
    writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <title>abi-doctor check: {}</title>\n<style>{CSS}</style>\n</head>\n<body>",
        esc(&place)
    )?;
    writeln!(h, "<header>\n<h1>abi-doctor check</h1>")?;
    writeln!(
        h,
        "<p>{} <span class=\"muted\">({})</span></p>",
        esc(&place),
        esc(&env.source)
    )?;
    match &r.numpy {
        Some(n) => {
            writeln!(
                h,
                "<p>NumPy <strong>{}</strong> at <code>{}</code> (ABI {}, C-API {})</p>",
                esc(&n.version),
                esc(&n.path),
                esc(&n.abi_version),
                esc(&n.c_api_version)
            )?;
            if n.beyond_knowledge {
                writeln!(
                    h,
                    "<p class=\"note\">note: NumPy {} is newer than abi-doctor's knowledge base; \
                     its newest known release line's facts were used</p>",
                    esc(&n.version)
                )?;
            }
        }
        None => writeln!(h, "<p>NumPy: not installed in this environment</p>")?,
    }
    let s = &r.summary;
    let others = s.errors - s.failing_modules.min(s.errors);
    let (class, icon, verdict) = if s.errors == 0 {
        ("ok", "✓", "no NumPy import failures predicted".to_string())
    } else {
        let mut v = if s.failing_modules == 0 {
            "no NumPy import failures predicted".to_string()
        } else {
            format!(
                "{} module{} will fail to import in {} distribution{}",
                s.failing_modules,
                plural(s.failing_modules),
                s.distributions_failing,
                plural(s.distributions_failing)
            )
        };
        if others > 0 {
            v.push_str(&format!(
                "; {others} other error{} (modules that import but misbehave, or files that cannot be read)",
                plural(others)
            ));
        }
        ("err", "✗", v)
    };
    writeln!(
        h,
        "<p class=\"verdict {class}\" id=\"verdict\"><span aria-hidden=\"true\">{icon}</span> \
         <strong>{}</strong>; {} binar{} scanned, {} use NumPy; {} warning{}, {} info.</p>\n</header>",
        esc(&verdict),
        r.binaries_scanned,
        if r.binaries_scanned == 1 { "y" } else { "ies" },
        r.numpy_binaries,
        s.warnings,
        plural(s.warnings),
        s.infos
    )?;

    picture(h, r)?;
    fix(h, r)?;
    cascades(h, r)?;
    distributions(h, r)?;
    findings_table(h, &r.findings)?;
    writeln!(h, "<script>{SCRIPT}</script>\n</body>\n</html>")
}

fn picture(h: &mut String, r: &CheckReport) -> std::fmt::Result {
    let win = &r.windows;
    let ax = Axis::new(&win.release_lines);
    writeln!(h, "<section id=\"windows\">\n<h2>Import windows</h2>")?;
    writeln!(
        h,
        "<p class=\"legend\">Each bar: the NumPy release lines a package's binaries import under \
         (every NumPy-using module of it). \
         <span class=\"key ok-key\" aria-hidden=\"true\"></span> ✓ imports under the installed \
         NumPy; <span class=\"key fail-key\" aria-hidden=\"true\"></span> ✗ hatched: does not \
         (with the count of failing modules); <span class=\"key declared-key\" \
         aria-hidden=\"true\"></span> dashed, under the bar: what its metadata declares; \
         <span class=\"key band-key\" aria-hidden=\"true\"></span> dotted band: where every \
         window overlaps; vertical line: the installed NumPy. Hover a bar for its modules, click \
         it for the details.</p>"
    )?;
    // Failing distributions first, so they are on screen in a big environment.
    let mut order: Vec<&DistWindow> = win.distributions.iter().collect();
    order.sort_by_key(|d| d.installed_inside != Some(false));
    let planned = arrow_of(win, &ax);
    let extra_rows = 1 + usize::from(planned.is_some());
    let rows = order.len() + extra_rows;
    let rows_top = AXIS_H;
    let rows_bottom = rows_top + rows as f64 * ROW_H;
    let height = rows_bottom + AXIS_H - 18.0;
    writeln!(
        h,
        "<div class=\"picture\"><svg id=\"windows-svg\" xmlns=\"http://www.w3.org/2000/svg\" \
         viewBox=\"0 0 {} {}\" width=\"{}\" role=\"img\" aria-labelledby=\"windows-svg-title\" \
         data-release-lines=\"{}\">",
        fmt_n(WIDTH),
        fmt_n(height),
        fmt_n(WIDTH),
        esc(&win.release_lines.join(" "))
    )?;
    writeln!(
        h,
        "<title id=\"windows-svg-title\">NumPy import windows of {} package{}</title>",
        order.len(),
        plural(order.len())
    )?;
    writeln!(
        h,
        "<defs>\
         <pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect class=\"hatch-bg\" width=\"6\" height=\"6\"/>\
         <line class=\"hatch-line\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke-width=\"3\"/></pattern>\
         <pattern id=\"dots\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\">\
         <rect class=\"band-bg\" width=\"8\" height=\"8\"/><circle class=\"band-dot\" cx=\"4\" cy=\"4\" r=\"1.2\"/></pattern>\
         <marker id=\"arrowhead\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path class=\"arrow-head\" d=\"M0,0L10,5L0,10z\"/></marker>\
         </defs>"
    )?;
    // The overlap band, behind everything.
    let band_runs = runs(&win.overlap);
    writeln!(
        h,
        "<g id=\"overlap\" data-lines=\"{}\" data-specifiers=\"{}\">",
        esc(&lines_attr(&win.overlap, &win.release_lines)),
        esc(&win.overlap_specifiers.join(" or "))
    )?;
    for (lo, hi) in &band_runs {
        writeln!(
            h,
            "<rect class=\"band\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" data-from=\"{}\" \
             data-to=\"{}\"><title>every package imports under NumPy {}</title></rect>",
            fmt_n(ax.x(*lo)),
            fmt_n(rows_top),
            fmt_n(ax.x(hi + 1) - ax.x(*lo)),
            fmt_n(rows_bottom - rows_top),
            esc(&win.release_lines[*lo]),
            esc(&win.release_lines[*hi]),
            esc(&range_text(&win.release_lines, *lo, *hi))
        )?;
    }
    writeln!(h, "</g>")?;
    // Grid and axis labels, top and bottom.
    writeln!(h, "<g class=\"axis\">")?;
    for (i, l) in win.release_lines.iter().enumerate() {
        let major = l.ends_with(".0");
        writeln!(
            h,
            "<line class=\"grid{}\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>\
             <text class=\"tick\" x=\"{}\" y=\"{}\">{}</text>\
             <text class=\"tick\" x=\"{}\" y=\"{}\">{}</text>",
            if major { " major" } else { "" },
            fmt_n(rows_top - 6.0),
            fmt_n(rows_bottom + 6.0),
            fmt_n(ax.mid(i)),
            fmt_n(rows_top - 10.0),
            esc(l),
            fmt_n(ax.mid(i)),
            fmt_n(rows_bottom + 20.0),
            esc(l),
            x = fmt_n(ax.x(i)),
        )?;
    }
    writeln!(
        h,
        "<text class=\"axis-title\" x=\"{}\" y=\"{}\">NumPy release line →</text></g>",
        fmt_n(LABEL_W - 8.0),
        fmt_n(rows_top - 10.0)
    )?;

    // Row 0: the overlap, in words.
    let mut y = rows_top;
    let overlap_text = if band_runs.is_empty() {
        "✗ gap: no NumPy release line is inside every window".to_string()
    } else {
        format!(
            "every package: NumPy {}",
            win.overlap_specifiers.join(" or ")
        )
    };
    writeln!(
        h,
        "<g class=\"row overlap-row{}\"><text class=\"label\" x=\"8\" y=\"{}\">{}</text>",
        if band_runs.is_empty() { " gap" } else { "" },
        fmt_n(y + 18.0),
        esc(if band_runs.is_empty() {
            "all packages"
        } else {
            "all packages overlap"
        })
    )?;
    let text_x = band_runs
        .first()
        .map(|(lo, _)| ax.x(*lo) + 4.0)
        .unwrap_or(LABEL_W + 4.0);
    writeln!(
        h,
        "<text id=\"overlap-label\" class=\"{}\" x=\"{}\" y=\"{}\">{}</text></g>",
        if band_runs.is_empty() {
            "gap-label"
        } else {
            "band-label"
        },
        fmt_n(text_x.min(WIDTH - 260.0)),
        fmt_n(y + 18.0),
        esc(&overlap_text)
    )?;
    y += ROW_H;

    // Row 1: the fix hint's NumPy move.
    if let Some((from, to)) = planned {
        let spec = r
            .fix_hint
            .as_ref()
            .and_then(|f| f.numpy_specifier.as_deref())
            .unwrap_or("");
        writeln!(
            h,
            "<g class=\"row fix-row\"><text class=\"label\" x=\"8\" y=\"{}\">fix: move NumPy</text>\
             <line id=\"fix-numpy\" class=\"arrow\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" \
             marker-end=\"url(#arrowhead)\" data-from=\"{}\" data-to=\"{}\" data-specifier=\"{}\">\
             <title>fix: move NumPy to numpy{}</title></line>\
             <text class=\"arrow-label\" x=\"{}\" y=\"{}\">numpy{}</text></g>",
            fmt_n(y + 18.0),
            fmt_n(ax.mid(from)),
            fmt_n(y + 14.0),
            fmt_n(ax.mid(to)),
            fmt_n(y + 14.0),
            esc(&win.release_lines[from]),
            esc(&win.release_lines[to]),
            esc(spec),
            esc(spec),
            fmt_n(ax.mid(from.min(to)) - 8.0),
            fmt_n(y + 18.0),
            esc(spec)
        )?;
        y += ROW_H;
    }

    for d in &order {
        dist_row(h, d, &ax, y)?;
        y += ROW_H;
    }
    if order.is_empty() {
        writeln!(
            h,
            "<text class=\"label\" x=\"{}\" y=\"{}\">no installed package uses NumPy's binary \
             interface</text>",
            fmt_n(LABEL_W + 4.0),
            fmt_n(y - 4.0)
        )?;
    }

    // The installed NumPy, on top.
    if let (Some(line), Some(i)) = (
        win.installed_line.as_deref(),
        win.installed_line.as_deref().and_then(|l| ax.index(l)),
    ) {
        let version = r.numpy.as_ref().map(|n| n.version.as_str()).unwrap_or(line);
        writeln!(
            h,
            "<g id=\"installed\" data-line=\"{}\" data-version=\"{}\" data-x=\"{}\">\
             <line class=\"installed\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>\
             <text class=\"installed-label\" x=\"{}\" y=\"14\">▼ NumPy {} installed</text></g>",
            esc(line),
            esc(version),
            fmt_n(ax.mid(i)),
            fmt_n(rows_top - 26.0),
            fmt_n(rows_bottom),
            fmt_n(ax.mid(i).min(WIDTH - 150.0)),
            esc(version),
            x = fmt_n(ax.mid(i)),
        )?;
    }
    writeln!(h, "</svg></div>\n</section>")
}

/// The fix hint's NumPy move as (from, to) axis indices, when it moves NumPy to another line.
fn arrow_of(win: &Windows, ax: &Axis) -> Option<(usize, usize)> {
    let from = ax.index(win.installed_line.as_deref()?)?;
    let to = ax.index(win.planned_line.as_deref()?)?;
    (from != to).then_some((from, to))
}

/// "1.23 to 1.26" for the lines `lo..=hi`.
fn range_text(lines: &[String], lo: usize, hi: usize) -> String {
    if lo == hi {
        lines[lo].clone()
    } else {
        format!("{} to {}", lines[lo], lines[hi])
    }
}

fn dist_row(h: &mut String, d: &DistWindow, ax: &Axis, y: f64) -> std::fmt::Result {
    let failing = d.installed_inside == Some(false);
    let state = match d.installed_inside {
        Some(true) => "ok",
        Some(false) => "fail",
        None => "unknown",
    };
    let mut tip = format!("{} {}: ", d.distribution, d.version);
    if d.imports_under.is_empty() {
        let _ = write!(
            tip,
            "window unknown ({} NumPy-using module{} undecided)",
            d.numpy_modules,
            plural(d.numpy_modules)
        );
    } else if d.imports_under_specifiers.is_empty() {
        tip.push_str("its binaries import under no known NumPy");
    } else {
        let _ = write!(
            tip,
            "its binaries import under NumPy {}",
            d.imports_under_specifiers.join(" or ")
        );
    }
    match &d.declared {
        Some(s) if s.is_empty() => tip.push_str("; declares numpy (any version)"),
        Some(s) => {
            let _ = write!(tip, "; declares numpy{s}");
        }
        None => tip.push_str("; declares no numpy requirement"),
    }
    if !d.failing_modules.is_empty() {
        let _ = write!(
            tip,
            "; {} module{} will fail:",
            d.failing_modules.len(),
            plural(d.failing_modules.len())
        );
        for m in d.failing_modules.iter().take(12) {
            let _ = write!(tip, "\n  {m}");
        }
        if d.failing_modules.len() > 12 {
            let _ = write!(tip, "\n  ... and {} more", d.failing_modules.len() - 12);
        }
    }
    writeln!(
        h,
        "<a href=\"#{}\"><g class=\"row dist {state}\" data-dist=\"{}\" data-version=\"{}\" \
         data-lines=\"{}\" data-declared-lines=\"{}\" data-installed-inside=\"{}\" \
         data-failing=\"{}\"><title>{}</title>",
        dist_id(&d.distribution),
        esc(&d.distribution),
        esc(&d.version),
        esc(&lines_attr(&d.imports_under, ax.lines)),
        esc(&lines_attr(&d.declared_admits, ax.lines)),
        match d.installed_inside {
            Some(b) => b.to_string(),
            None => "unknown".into(),
        },
        d.failing_modules.len(),
        esc(&tip)
    )?;
    writeln!(
        h,
        "<rect class=\"row-bg\" x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
        fmt_n(y),
        fmt_n(WIDTH),
        fmt_n(ROW_H)
    )?;
    let mut label = format!("{} {}", d.distribution, d.version);
    if label.chars().count() > LABEL_CHARS {
        label = label.chars().take(LABEL_CHARS - 1).collect::<String>() + "…";
    }
    let (icon, status) = match d.installed_inside {
        Some(true) => ("✓", String::new()),
        Some(false) => (
            "✗",
            if d.failing_modules.is_empty() {
                "fails".to_string()
            } else {
                format!("{} failing", d.failing_modules.len())
            },
        ),
        None => ("?", String::new()),
    };
    writeln!(
        h,
        "<text class=\"label\" x=\"8\" y=\"{}\"><tspan class=\"icon\">{icon}</tspan> {}</text>\
         <text class=\"status\" x=\"{}\" y=\"{}\">{}</text>",
        fmt_n(y + 18.0),
        esc(&label),
        fmt_n(LABEL_W - 8.0),
        fmt_n(y + 18.0),
        esc(&status)
    )?;
    if d.imports_under.is_empty() {
        writeln!(
            h,
            "<text class=\"unknown-label\" x=\"{}\" y=\"{}\">window unknown</text>",
            fmt_n(LABEL_W + 4.0),
            fmt_n(y + 16.0)
        )?;
    } else if d.imports_under_specifiers.is_empty() {
        writeln!(
            h,
            "<text class=\"unknown-label\" x=\"{}\" y=\"{}\">imports under no known NumPy</text>",
            fmt_n(LABEL_W + 4.0),
            fmt_n(y + 16.0)
        )?;
    }
    let class = if failing { "bar fail" } else { "bar ok" };
    for (lo, hi) in runs(&d.imports_under) {
        writeln!(
            h,
            "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\" rx=\"2\" \
             data-from=\"{}\" data-to=\"{}\"/>",
            fmt_n(ax.x(lo) + 1.0),
            fmt_n(y + 4.0),
            fmt_n(ax.x(hi + 1) - ax.x(lo) - 2.0),
            esc(&ax.lines[lo]),
            esc(&ax.lines[hi])
        )?;
    }
    for (lo, hi) in runs(&d.declared_admits) {
        writeln!(
            h,
            "<rect class=\"declared\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"4\" \
             data-from=\"{}\" data-to=\"{}\"/>",
            fmt_n(ax.x(lo) + 1.0),
            fmt_n(y + 19.0),
            fmt_n(ax.x(hi + 1) - ax.x(lo) - 2.0),
            esc(&ax.lines[lo]),
            esc(&ax.lines[hi])
        )?;
    }
    writeln!(h, "</g></a>")
}

fn fix(h: &mut String, r: &CheckReport) -> std::fmt::Result {
    let Some(f) = &r.fix_hint else {
        return Ok(());
    };
    writeln!(
        h,
        "<section id=\"fix\">\n<h2>Fix</h2>\n<p>{}</p>",
        esc(&f.summary)
    )?;
    if !f.commands.is_empty() {
        writeln!(h, "<pre class=\"commands\">")?;
        for c in &f.commands {
            writeln!(h, "{}", esc(c))?;
        }
        writeln!(h, "</pre>")?;
    }
    if !f.blockers.is_empty() {
        writeln!(h, "<ul class=\"blockers\">")?;
        for b in &f.blockers {
            writeln!(h, "<li>{}</li>", esc(b))?;
        }
        writeln!(h, "</ul>")?;
    }
    writeln!(h, "</section>")
}

fn cascades(h: &mut String, r: &CheckReport) -> std::fmt::Result {
    if r.cascades.is_empty() {
        return Ok(());
    }
    writeln!(
        h,
        "<section id=\"imports\">\n<h2>What <code>import</code> will do</h2>\n<ul>"
    )?;
    for c in &r.cascades {
        let via = if c.via.len() > 2 {
            format!(" (via {})", c.via[1..c.via.len() - 1].join(" → "))
        } else {
            String::new()
        };
        writeln!(
            h,
            "<li><span aria-hidden=\"true\">✗</span> <code>import {}</code> dies in \
             <code>{}</code>{}: {}: {}</li>",
            esc(&c.package),
            esc(&c.dies_in),
            esc(&via),
            esc(&c.exception),
            esc(first_sentence(&c.message))
        )?;
    }
    writeln!(h, "</ul>\n</section>")
}

/// One section per NumPy-using distribution: its window in words and each failing module with
/// the predicted message and the evidence (what a click on a bar shows).
fn distributions(h: &mut String, r: &CheckReport) -> std::fmt::Result {
    if r.windows.distributions.is_empty() {
        return Ok(());
    }
    writeln!(
        h,
        "<section id=\"packages\">\n<h2>Packages that use NumPy</h2>"
    )?;
    for d in &r.windows.distributions {
        let state = match d.installed_inside {
            Some(true) => ("ok", "✓"),
            Some(false) => ("err", "✗"),
            None => ("muted", "?"),
        };
        writeln!(
            h,
            "<section class=\"package\" id=\"{}\">\n<h3 class=\"{}\"><span aria-hidden=\"true\">{}</span> {} {}</h3>",
            dist_id(&d.distribution),
            state.0,
            state.1,
            esc(&d.distribution),
            esc(&d.version)
        )?;
        let window = if d.imports_under.is_empty() {
            "unknown".to_string()
        } else if d.imports_under_specifiers.is_empty() {
            "no known NumPy".to_string()
        } else {
            format!("NumPy {}", d.imports_under_specifiers.join(" or "))
        };
        let declared = match &d.declared {
            None => "nothing".to_string(),
            Some(s) if s.is_empty() => "numpy (any version)".to_string(),
            Some(s) => format!("numpy{s}"),
        };
        writeln!(
            h,
            "<p>{} module{} use NumPy ({} decided); its binaries import under {}; its metadata \
             declares {}.</p>",
            d.numpy_modules,
            plural(d.numpy_modules),
            d.decided_modules,
            esc(&window),
            esc(&declared)
        )?;
        let fails: Vec<&Finding> = r
            .findings
            .iter()
            .filter(|f| f.fails_import())
            .filter(|f| f.distribution.as_deref() == Some(d.distribution.as_str()))
            .collect();
        if !fails.is_empty() {
            writeln!(
                h,
                "<table class=\"modules\"><thead><tr><th>module</th><th>Python will print</th>\
                 <th>evidence</th></tr></thead><tbody>"
            )?;
            for f in fails {
                let said = match &f.predicted {
                    Some(p) => {
                        let mut s = String::new();
                        if let Some(printed) = &p.printed {
                            s.push_str(&format!("prints: {printed}\n"));
                        }
                        s.push_str(&format!("{}: {}", p.exception, p.message));
                        if let Some(t) = &p.then {
                            s.push_str(&format!("\nthen {}: {}", t.exception, t.message));
                        }
                        s
                    }
                    None => f.title.clone(),
                };
                writeln!(
                    h,
                    "<tr><td><code>{}</code></td><td class=\"message\">{}</td><td>{}</td></tr>",
                    esc(f.module.as_deref().unwrap_or("")),
                    esc(&said),
                    evidence(f)
                )?;
            }
            writeln!(h, "</tbody></table>")?;
        }
        writeln!(h, "</section>")?;
    }
    writeln!(h, "</section>")
}

fn evidence(f: &Finding) -> String {
    let mut s = String::new();
    for e in &f.evidence {
        s.push_str(&format!("<div>{}</div>", esc(e)));
    }
    if let Some(p) = &f.path {
        s.push_str(&format!(
            "<div class=\"muted\">file: <code>{}</code></div>",
            esc(p)
        ));
    }
    s
}

fn findings_table(h: &mut String, findings: &[Finding]) -> std::fmt::Result {
    writeln!(h, "<section id=\"findings\">\n<h2>Findings</h2>")?;
    if findings.is_empty() {
        return writeln!(h, "<p>No findings.</p>\n</section>");
    }
    let infos = findings
        .iter()
        .filter(|f| f.severity == Severity::Info)
        .count();
    writeln!(
        h,
        "<p class=\"muted\"><span class=\"noprint\">Click a column heading to sort. </span>\
         <label><input type=\"checkbox\" id=\"show-info\"> show the {infos} harmless \
         (info) finding{}</label></p>\n\
         <table class=\"sortable\" id=\"findings-table\"><thead><tr>",
        plural(infos)
    )?;
    for c in [
        "severity",
        "code",
        "package",
        "version",
        "module or file",
        "finding",
        "fix",
        "evidence",
    ] {
        writeln!(
            h,
            "<th scope=\"col\"><button type=\"button\">{c}</button></th>"
        )?;
    }
    writeln!(h, "</tr></thead><tbody>")?;
    // Errors first, as in the text report; otherwise the model's order.
    let mut rows: Vec<&Finding> = findings.iter().collect();
    rows.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for f in rows {
        let (rank, icon) = match f.severity {
            Severity::Error => (0, "✗"),
            Severity::Warning => (1, "⚠"),
            Severity::Info => (2, "ℹ"),
        };
        writeln!(
            h,
            "<tr class=\"{sev}\"><td data-key=\"{rank}\" class=\"sev\"><span aria-hidden=\"true\">{icon}</span> {sev}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"message\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(f.code),
            esc(f.distribution.as_deref().unwrap_or("")),
            esc(f.distribution_version.as_deref().unwrap_or("")),
            esc(f.module.as_deref().or(f.path.as_deref()).unwrap_or("")),
            esc(&f.title),
            esc(f.fix_hint.as_deref().unwrap_or("")),
            evidence(f),
            sev = f.severity.as_str(),
        )?;
    }
    writeln!(h, "</tbody></table>\n</section>")
}

const CSS: &str = r#"
:root{--bg:#fff;--fg:#1b1b1b;--muted:#5d6166;--grid:#e3e3e3;--grid-major:#b9b9b9;--row:#f6f7f9;
--ok:#2e7d43;--err:#c0262d;--warn:#9a5b00;--info:#2456a6;--band:#dbe8ff;--band-dot:#6f8fc9;
--declared:#4a4a4a;--installed:#111;--code:#f1f2f4}
@media (prefers-color-scheme:dark){:root{--bg:#16181b;--fg:#e7e7e7;--muted:#a3a8ae;--grid:#2c2f33;
--grid-major:#4a4f55;--row:#1d2024;--ok:#62c57d;--err:#ff6f6f;--warn:#f0b35a;--info:#84aefc;
--band:#1f3350;--band-dot:#7d9fd8;--declared:#c4c4c4;--installed:#fff;--code:#24272b}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:16px 20px 40px;background:var(--bg);color:var(--fg);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 8px}h3{font-size:15px;margin:18px 0 4px}
p{margin:4px 0}code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
code{background:var(--code);padding:0 3px;border-radius:3px}
pre{background:var(--code);padding:8px 10px;border-radius:4px;overflow-x:auto}
.muted{color:var(--muted)}.note{color:var(--warn)}
.verdict{font-size:15px;margin-top:8px}.ok{color:var(--ok)}.err{color:var(--err)}
.legend{color:var(--muted);max-width:900px}
.key{display:inline-block;width:22px;height:10px;vertical-align:middle;border-radius:2px}
.ok-key{background:var(--ok)}
.fail-key{background:repeating-linear-gradient(45deg,var(--err) 0 3px,var(--bg) 3px 6px);outline:1px solid var(--err)}
.declared-key{height:4px;border:1px dashed var(--declared);background:transparent}
.band-key{background:radial-gradient(var(--band-dot) 1px,var(--band) 1.5px) 0 0/6px 6px}
.picture{overflow-x:auto}
svg{display:block;max-width:100%;height:auto;font-size:12px}
svg text{fill:var(--fg)}
.tick{text-anchor:middle;fill:var(--muted);font-size:10.5px}
.axis-title{text-anchor:end;fill:var(--muted);font-size:11px}
.grid{stroke:var(--grid);stroke-width:1}.grid.major{stroke:var(--grid-major);stroke-width:1.5}
.row-bg{fill:transparent}.dist:hover .row-bg{fill:var(--row)}
a:focus-visible .row-bg{fill:var(--row);stroke:var(--fg)}
.bar.ok{fill:var(--ok)}
.bar.fail{fill:url(#hatch);stroke:var(--err);stroke-width:1.5}
.hatch-bg{fill:var(--bg)}.hatch-line{stroke:var(--err)}
.declared{fill:var(--declared);fill-opacity:.25;stroke:var(--declared);stroke-width:1;stroke-dasharray:3 2}
.band{fill:url(#dots)}.band-bg{fill:var(--band)}.band-dot{fill:var(--band-dot)}
.band-label{font-weight:600}.gap-label{fill:var(--err);font-weight:600}
.dist.fail .label,.dist.fail .status{fill:var(--err);font-weight:600}
.dist.ok .icon{fill:var(--ok)}
.status{text-anchor:end}
.unknown-label{fill:var(--muted);font-style:italic}
.installed{stroke:var(--installed);stroke-width:2}
.installed-label{font-weight:700;text-anchor:middle}
.arrow{stroke:var(--fg);stroke-width:2}.arrow-head{fill:var(--fg)}
.arrow-label{font-size:11px;text-anchor:end}
.band-label,.gap-label,.arrow-label,.installed-label,.unknown-label{paint-order:stroke;stroke:var(--bg);stroke-width:4px;stroke-linejoin:round}
table{border-collapse:collapse;width:100%;margin-top:6px;font-size:13px}
th,td{border-bottom:1px solid var(--grid);padding:4px 6px;text-align:left;vertical-align:top}
td.message{white-space:pre-wrap;min-width:16em}
#findings-table td:nth-child(7){min-width:14em}
body:has(#show-info:not(:checked)) #findings-table tr.info{display:none}
th button{font:inherit;font-weight:700;color:inherit;background:none;border:0;padding:0;cursor:pointer}
th[aria-sort=ascending] button::after{content:" ▲"}th[aria-sort=descending] button::after{content:" ▼"}
tr.error .sev{color:var(--err);font-weight:600}tr.warning .sev{color:var(--warn)}tr.info .sev{color:var(--info)}
.package h3.err{color:var(--err)}
@media print{
:root{--bg:#fff;--fg:#000;--muted:#444;--grid:#ccc;--grid-major:#888;--row:#fff;--ok:#1f5e30;
--err:#a00;--warn:#7a4a00;--info:#1c4587;--band:#e8e8e8;--band-dot:#777;--declared:#333;
--installed:#000;--code:#f4f4f4}
body{max-width:none;padding:0;font-size:10pt}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.noprint{display:none}a{color:inherit;text-decoration:none}
.picture{overflow:visible}svg{width:100%}
tr{break-inside:avoid}h2,h3{break-after:avoid}
}
"#;

/// Sorts the findings table by a clicked column (numbers and versions in natural order; the
/// severity column sorts by rank).
const SCRIPT: &str = r#"
document.querySelectorAll("table.sortable th button").forEach(function(b){b.addEventListener("click",function(){
var th=b.parentNode,t=th.closest("table"),c=Array.prototype.indexOf.call(th.parentNode.children,th),
up=th.getAttribute("aria-sort")!=="ascending",k=function(r){var d=r.cells[c];return d.dataset.key||d.textContent};
t.querySelectorAll("th").forEach(function(h){h.removeAttribute("aria-sort")});th.setAttribute("aria-sort",up?"ascending":"descending");
Array.from(t.tBodies[0].rows).sort(function(x,y){return (up?1:-1)*k(x).localeCompare(k(y),undefined,{numeric:true})})
.forEach(function(r){t.tBodies[0].appendChild(r)})})});
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::knowledge;
    use crate::report::check::samples;
    use crate::report::check::windows::sample_window;
    use crate::report::rendered;

    /// The `data-lines` value of every `g.dist` element, in document order.
    fn bars(html: &str) -> Vec<(String, String, String)> {
        let re = regex::Regex::new(
            r#"<g class="row dist [a-z]+" data-dist="([^"]*)" data-version="[^"]*" data-lines="([^"]*)" data-declared-lines="[^"]*" data-installed-inside="([a-z]+)""#,
        )
        .unwrap();
        re.captures_iter(html)
            .map(|c| (c[1].to_string(), c[2].to_string(), c[3].to_string()))
            .collect()
    }

    #[test]
    fn failing_report() {
        let r = samples::failing();
        let html = rendered(|w| write(w, &r));
        insta::assert_snapshot!("check_html_failing", html);
    }

    #[test]
    fn healthy_report_beyond_knowledge() {
        let r = samples::healthy();
        let html = rendered(|w| write(w, &r));
        let newest = knowledge().newest().unwrap();
        assert!(
            html.contains(&format!(
                "<g id=\"installed\" data-line=\"{}\" data-version=\"2.5.0\"",
                newest.line
            )),
            "{html}"
        );
        assert!(html.contains("newer than abi-doctor's knowledge base"));
        assert_eq!(bars(&html).len(), 1);
        assert!(!html.contains("id=\"fix-numpy\""), "nothing to move");
    }

    #[test]
    fn one_bar_for_one_package_and_the_failing_one_is_marked_three_ways() {
        let mut r = samples::failing();
        r.windows = Windows::new(
            &knowledge().releases,
            Some("2.0".into()),
            vec![r.windows.distributions[0].clone()],
            Some("1.26".into()),
        );
        let html = rendered(|w| write(w, &r));
        let b = bars(&html);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].0, "pandas");
        assert_eq!(b[0].2, "false");
        // Hatched (pattern), an icon and a count: not colour alone.
        assert!(html.contains("class=\"bar fail\""));
        assert!(html.contains("<tspan class=\"icon\">✗</tspan> pandas 2.1.4"));
        assert!(html.contains(">1 failing<"));
        assert!(
            html.contains("data-from=\"2.0\" data-to=\"1.26\""),
            "the fix arrow"
        );
    }

    #[test]
    fn two_hundred_packages_and_a_gap() {
        let lines: Vec<&str> = knowledge()
            .releases
            .iter()
            .map(|r| r.line.as_str())
            .collect();
        let n = lines.len();
        let mut dists = Vec::new();
        for i in 0..200 {
            // Windows sliding along the axis; the first ends before the last begins: a gap.
            let from = lines[i % (n - 4)];
            let to = lines.get(i % (n - 4) + 4).copied();
            let failing: Vec<String> = (0..i % 3).map(|k| format!("pkg{i}.m{k}")).collect();
            let failing: Vec<&str> = failing.iter().map(String::as_str).collect();
            dists.push(sample_window(
                &format!("package-with-a-rather-long-name-{i:03}"),
                "1.0",
                from,
                to,
                if i % 2 == 0 { Some(">=1.20") } else { None },
                &failing,
            ));
        }
        let mut r = samples::failing();
        r.windows = Windows::new(&knowledge().releases, Some("2.0".into()), dists, None);
        assert!(r.windows.overlap.iter().all(|b| !b));
        let html = rendered(|w| write(w, &r));
        let b = bars(&html);
        assert_eq!(b.len(), 200);
        // Failing ones first, each labelled as such.
        let first_ok = b.iter().position(|x| x.2 == "true").unwrap();
        assert!(b[..first_ok].iter().all(|x| x.2 == "false"));
        assert!(b[first_ok..].iter().all(|x| x.2 != "false"));
        assert!(html.contains("<g id=\"overlap\" data-lines=\"\""));
        assert!(html.contains("✗ gap: no NumPy release line is inside every window"));
        // Long names are cut in the label and kept whole in the tooltip.
        assert!(html.contains("package-with-a-rather-l…"));
        assert!(html.contains("<title>package-with-a-rather-long-name-000 1.0: "));
        // The picture grows with the rows: the viewBox is tall enough for 200 + 2 rows.
        let vb = regex::Regex::new(r#"viewBox="0 0 1040 ([0-9.]+)""#).unwrap();
        let height: f64 = vb.captures(&html).unwrap()[1].parse().unwrap();
        assert!(height >= 202.0 * ROW_H, "{height}");
    }

    #[test]
    fn text_is_escaped() {
        let mut r = samples::failing();
        r.findings[0].title = "<script>alert(1)</script> & \"q\"".into();
        let html = rendered(|w| write(w, &r));
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;"));
        assert_eq!(html.matches("<script>").count(), 1, "only the sort script");
    }

    #[test]
    fn nothing_from_the_network() {
        let html = rendered(|w| write(w, &samples::failing()));
        for needle in ["http://", "https://", "src=", "@import", "url(http"] {
            let hits: Vec<&str> = html
                .lines()
                .filter(|l| l.contains(needle))
                .filter(|l| !l.contains("xmlns=\"http://www.w3.org/2000/svg\""))
                .collect();
            assert!(hits.is_empty(), "{needle}: {hits:?}");
        }
    }
}
