//! `tensen fmt`: rewrite rule files into the canonical layout; with
//! `--check` list the files that would change, with `--diff` show how;
//! `tensen fmt -` formats standard input to standard output (for editors
//! and pipes).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::check::{self, load, render, Diagnostic, FileId, Severity, Sources};
use crate::syntax::format::format_source;

/// What `fmt` does with a file that is not in the canonical layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Rewrite it.
    Write,
    /// Name it, change nothing.
    Check,
    /// Print a unified diff of the change, change nothing.
    Diff,
}

/// The name standard input goes by in messages and diffs.
const STDIN: &str = "<stdin>";

pub fn run(paths: &[PathBuf], mode: Mode) -> ExitCode {
    if paths.iter().any(|p| p.as_os_str() == "-") {
        if paths.len() > 1 {
            eprintln!("error: `-` (standard input) cannot be formatted with other paths");
            return ExitCode::from(2);
        }
        return stdin(mode);
    }
    let (sources, mut diags) = load::load_paths(paths);
    let mut failed = false;
    let mut changed = Vec::new();
    let mut stdout = std::io::stdout().lock();
    for (id, file) in sources.iter() {
        if file.builtin || !file.parse {
            continue;
        }
        let formatted = match formatted(id, &file.text) {
            Ok(f) if f == file.text => continue,
            Ok(f) => f,
            Err(syntax) => {
                diags.extend(syntax);
                continue;
            }
        };
        match mode {
            Mode::Write => {
                if let Err(err) = write_atomically(&file.name, &formatted) {
                    eprintln!("error: cannot write `{}`: {err}", file.name);
                    failed = true;
                    continue;
                }
            }
            Mode::Diff => {
                let diff = unified_diff(&file.name, &file.text, &formatted);
                if let Err(e) = stdout.write_all(diff.as_bytes()) {
                    return super::write_error(&e);
                }
            }
            Mode::Check => {}
        }
        changed.push(&file.name);
    }
    if report(&diags, &sources) {
        eprintln!("files with errors were left unchanged");
        failed = true;
    }
    for name in &changed {
        match mode {
            Mode::Check => {
                if let Err(e) = writeln!(stdout, "{name}") {
                    return super::write_error(&e);
                }
            }
            Mode::Write => eprintln!("formatted {name}"),
            Mode::Diff => {}
        }
    }
    exit(failed, mode, !changed.is_empty())
}

/// Formats standard input: the formatted text on standard output (or, with
/// `--check` / `--diff`, its name / the diff, and exit 1 if it changes).
fn stdin(mode: Mode) -> ExitCode {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("error: cannot read standard input: {e}");
        return ExitCode::from(2);
    }
    let mut sources = Sources::new();
    let mut diags = Vec::new();
    let id = load::add_bytes(&mut sources, STDIN, bytes, &mut diags);
    let text = sources.get(id).map_or("", |f| f.text.as_str());
    let result = if diags.is_empty() {
        formatted(id, text)
    } else {
        Err(Vec::new())
    };
    let formatted = match result {
        Ok(f) => f,
        Err(syntax) => {
            diags.extend(syntax);
            report(&diags, &sources);
            return ExitCode::from(2);
        }
    };
    let same = formatted == text;
    let out = match mode {
        Mode::Write => formatted,
        Mode::Check if same => String::new(),
        Mode::Check => format!("{STDIN}\n"),
        Mode::Diff => unified_diff(STDIN, text, &formatted),
    };
    if let Err(e) = std::io::stdout().lock().write_all(out.as_bytes()) {
        return super::write_error(&e);
    }
    exit(false, mode, !same)
}

/// A file's text in the canonical layout, or its syntax errors.
fn formatted(id: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    format_source(text).map_err(|errors| {
        errors
            .iter()
            .map(|e| check::syntax_diagnostic(id, e))
            .collect()
    })
}

/// Prints the diagnostics; whether any is an error (warnings, such as a
/// link loop skipped, do not stop `fmt`).
fn report(diags: &[Diagnostic], sources: &Sources) -> bool {
    if !diags.is_empty() {
        let color = super::use_color(super::ColorChoice::Auto);
        eprint!("{}", render::terminal(diags, sources, color));
    }
    diags.iter().any(|d| d.severity == Severity::Error)
}

/// 2 if something failed; 1 if `--check` or `--diff` found a change.
fn exit(failed: bool, mode: Mode, changes: bool) -> ExitCode {
    if failed {
        ExitCode::from(2)
    } else if mode != Mode::Write && changes {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// A unified diff from `old` to `new`, as `diff -u` and `git apply` read it.
fn unified_diff(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(name, name)
        .to_string()
}

/// Writes through a temporary file and a rename, so an interrupted run never
/// leaves half a file.
fn write_atomically(path: &str, text: &str) -> std::io::Result<()> {
    let tmp = format!("{path}.tensen-fmt.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
