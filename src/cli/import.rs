//! `tensen import scp|rcp POLICY.json...`: the guardrails that preview
//! service or resource control policies, checked before they are written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::policy::{import, Kind};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportKind {
    /// Service control policies: guardrails of `scope principal`.
    Scp,
    /// Resource control policies: guardrails of `scope resource`.
    Rcp,
}

pub fn run(kind: ImportKind, policies: &[PathBuf], output: Option<&Path>) -> ExitCode {
    let kind = match kind {
        ImportKind::Scp => Kind::Scp,
        ImportKind::Rcp => Kind::Rcp,
    };
    let mut parts = Vec::new();
    let mut failed = false;
    for path in policies {
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {shown}: cannot read: {e}");
                failed = true;
                continue;
            }
        };
        let stem = path
            .file_stem()
            .map_or("policy".into(), |s| s.to_string_lossy());
        let file = path
            .file_name()
            .map_or(shown.clone(), |n| n.to_string_lossy().into_owned());
        match import(kind, &stem, &file, &text) {
            Ok(rules) => parts.push(rules),
            Err(errors) => {
                failed = true;
                for e in errors {
                    eprintln!("error: {shown}:{}: {}", e.at, e.message);
                    if let Some(h) = e.help {
                        eprintln!("  help: {h}");
                    }
                }
            }
        }
    }
    if failed {
        eprintln!("nothing was imported");
        return ExitCode::from(2);
    }
    let rules = parts.join("\n");
    // What is written checks clean; its warnings (a condition key
    // CloudTrail does not record) are the user's to know.
    let name = output.map_or("<imported>".to_string(), |p| p.display().to_string());
    let mut sources = crate::Sources::new();
    sources.add(name, rules.clone());
    let analysis = crate::analyze(&sources);
    if !analysis.diagnostics.is_empty() {
        eprint!(
            "{}",
            crate::check::render::terminal(&analysis.diagnostics, &sources, false)
        );
    }
    if analysis.has_errors() {
        eprintln!("error: the imported guardrails do not check (a bug in `tensen import`); nothing was written");
        return ExitCode::from(2);
    }
    match output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, rules) {
                eprintln!("error: {}: cannot write: {e}", path.display());
                return ExitCode::from(2);
            }
        }
        None => print!("{rules}"),
    }
    ExitCode::SUCCESS
}
