//! `tensen fmt`: rewrite rule files into the canonical layout; with
//! `--check` list the files that would change, with `--diff` show how;
//! `tensen fmt -` formats standard input to standard output (for editors
//! and pipes).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::check::{self, load, render, Sources};
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
    if paths.len() == 1 && paths.first().is_some_and(|p| p.as_os_str() == "-") {
        return stdin(mode);
    }
    if paths.iter().any(|p| p.as_os_str() == "-") {
        eprintln!("error: `-` (standard input) cannot be formatted with other paths");
        return ExitCode::from(2);
    }
    let (sources, load_diags) = load::load_paths(paths);
    let mut failed = !load_diags.is_empty();
    let mut changed = Vec::new();
    let mut syntax = Vec::new();
    let mut stdout = std::io::stdout().lock();
    for (id, file) in sources.iter() {
        if file.builtin || !file.parse {
            continue;
        }
        match format_source(&file.text) {
            Ok(formatted) if formatted == file.text => {}
            Ok(formatted) => {
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
                changed.push(file.name.clone());
            }
            Err(errors) => {
                failed = true;
                syntax.extend(errors.iter().map(|e| check::syntax_diagnostic(id, e)));
            }
        }
    }
    let mut diags = load_diags;
    diags.extend(syntax);
    if !diags.is_empty() {
        eprint!(
            "{}",
            render::terminal(&diags, &sources, super::use_color(super::ColorChoice::Auto))
        );
        eprintln!("files with errors were left unchanged");
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
    if failed {
        ExitCode::from(2)
    } else if mode != Mode::Write && !changed.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Formats standard input: the formatted text on standard output (or, with
/// `--check` / `--diff`, its name / the diff, and exit 1 if it changes).
fn stdin(mode: Mode) -> ExitCode {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("error: cannot read standard input: {e}");
        return ExitCode::from(3);
    }
    let mut sources = Sources::new();
    let mut diags = Vec::new();
    load::add_bytes(&mut sources, STDIN, bytes, &mut diags);
    let Some((id, file)) = sources.iter().find(|(_, f)| !f.builtin) else {
        return ExitCode::from(3);
    };
    let result = if file.parse {
        format_source(&file.text).map_err(|errors| {
            errors
                .iter()
                .map(|e| check::syntax_diagnostic(id, e))
                .collect::<Vec<_>>()
        })
    } else {
        Err(Vec::new())
    };
    let formatted = match result {
        Ok(f) => f,
        Err(syntax) => {
            diags.extend(syntax);
            eprint!(
                "{}",
                render::terminal(&diags, &sources, super::use_color(super::ColorChoice::Auto))
            );
            return ExitCode::from(2);
        }
    };
    let same = formatted == file.text;
    let out = match mode {
        Mode::Write => formatted,
        Mode::Check if same => String::new(),
        Mode::Check => format!("{STDIN}\n"),
        Mode::Diff => unified_diff(STDIN, &file.text, &formatted),
    };
    if let Err(e) = std::io::stdout().lock().write_all(out.as_bytes()) {
        return super::write_error(&e);
    }
    if mode != Mode::Write && !same {
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
