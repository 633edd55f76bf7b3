//! `tensen check`: load, analyze, print diagnostics, exit 1 on errors.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{use_color, ColorChoice, Format};
use crate::check::{self, load, render, Severity};

pub fn run(paths: &[PathBuf], format: Format, deny_warnings: bool, color: ColorChoice) -> ExitCode {
    let (sources, mut diags) = load::load_paths(paths);
    let analysis = check::analyze(&sources);
    diags.extend(analysis.diagnostics);
    check::sort_diagnostics(&mut diags);
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    let files = sources.iter().filter(|(_, f)| !f.builtin).count();
    let mut stdout = std::io::stdout().lock();
    let written = match format {
        Format::Text => {
            let text = render::terminal(&diags, &sources, use_color(color));
            let mut stderr = std::io::stderr().lock();
            let summary = summary(files, errors, warnings);
            write!(stderr, "{text}").and_then(|()| writeln!(stderr, "{summary}"))
        }
        Format::Json => render::json(&diags, &sources)
            .iter()
            .try_for_each(|v| writeln!(stdout, "{v}")),
        Format::Sarif => {
            let log = render::sarif(&diags, &sources);
            serde_json::to_string_pretty(&log)
                .map_err(std::io::Error::other)
                .and_then(|s| writeln!(stdout, "{s}"))
        }
    };
    if let Err(e) = written {
        return super::write_error(&e);
    }
    if diags.iter().any(|d| d.code == check::Code::UnreadableFile) {
        ExitCode::from(2)
    } else if errors > 0 || (deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn summary(files: usize, errors: usize, warnings: usize) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    format!(
        "checked {}: {}, {}",
        plural(files, "file"),
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}
