//! `tensen fmt`: rewrite rule files into the canonical layout, or with
//! `--check` list the files that would change.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::check::{self, load, render};
use crate::syntax::format::format_source;

pub fn run(paths: &[PathBuf], check_only: bool) -> ExitCode {
    let (sources, load_diags) = load::load_paths(paths);
    let mut failed = !load_diags.is_empty();
    let mut changed = Vec::new();
    let mut syntax = Vec::new();
    for (id, file) in sources.iter() {
        if file.builtin || !file.parse {
            continue;
        }
        match format_source(&file.text) {
            Ok(formatted) if formatted == file.text => {}
            Ok(formatted) => {
                if !check_only {
                    if let Err(err) = write_atomically(&file.name, &formatted) {
                        eprintln!("error: cannot write `{}`: {err}", file.name);
                        failed = true;
                        continue;
                    }
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
        if check_only {
            println!("{name}");
        } else {
            eprintln!("formatted {name}");
        }
    }
    if failed {
        ExitCode::from(2)
    } else if check_only && !changed.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes through a temporary file and a rename, so an interrupted run never
/// leaves half a file.
fn write_atomically(path: &str, text: &str) -> std::io::Result<()> {
    let tmp = format!("{path}.tensen-fmt.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
