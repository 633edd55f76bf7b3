//! `tensen schema`: the sources a ruleset can read, and their fields.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::check::{self, load, suggest};

pub fn run(source: Option<&str>, rules: &[PathBuf]) -> ExitCode {
    let sources = if rules.is_empty() {
        check::Sources::new()
    } else {
        load::load_paths(rules).0
    };
    let analysis = check::analyze(&sources);
    let mut out = std::io::stdout().lock();
    let result = match source {
        None => analysis.schemas.values().try_for_each(|s| {
            let first_line = s
                .doc
                .as_deref()
                .and_then(|d| d.lines().next())
                .unwrap_or("");
            let origin = if s.builtin { "" } else { " (ruleset)" };
            writeln!(out, "{:<12} {first_line}{origin}", s.name)
        }),
        Some(name) => {
            let Some(schema) = analysis.schemas.get(name) else {
                eprintln!("error: unknown source `{name}`");
                let help = suggest::did_you_mean(name, analysis.schemas.keys().map(String::as_str))
                    .unwrap_or_else(|| "`tensen schema` lists the sources".to_string());
                eprintln!("  help: {help}");
                return ExitCode::from(2);
            };
            (|| -> std::io::Result<()> {
                writeln!(out, "source {}", schema.name)?;
                if let Some(doc) = &schema.doc {
                    for line in doc.lines() {
                        writeln!(out, "  {line}")?;
                    }
                }
                writeln!(out)?;
                for (path, ty, doc) in schema.fields() {
                    let doc = doc.as_deref().and_then(|d| d.lines().next()).unwrap_or("");
                    writeln!(out, "{path:<48} {:<14} {doc}", ty.to_string())?;
                }
                Ok(())
            })()
        }
    };
    if result.is_err() {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
