//! Reads rule files from disk into [`Sources`]: files and folders (every
//! `*.tsn` below them, in sorted order), with a diagnostic for anything that
//! cannot be read or is not UTF-8 instead of a failure.

use std::path::{Path, PathBuf};

use super::diagnostic::{Code, Diagnostic};
use super::{FileId, Sources};
use crate::syntax::Span;

/// Files and folders skipped while walking.
pub(crate) fn skipped(name: &str) -> bool {
    name.starts_with('.') || name == "target" || name == "node_modules"
}

/// Whether `path` is a rule path: a `.tsn` file, or a folder with one
/// below it (as [`load_paths`] walks it).
pub fn is_rule_path(path: &Path) -> bool {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            let (mut files, mut failed) = (Vec::new(), Vec::new());
            let keep = |name: &str| name.ends_with(".tsn");
            crate::files::walk(path, &skipped, &keep, &mut files, &mut failed);
            !files.is_empty()
        }
        Ok(_) => path.extension().is_some_and(|e| e == "tsn"),
        Err(_) => false,
    }
}

/// Loads every rule file under `paths`. The ruleset's root is the folder
/// given (or the common folder of all paths given).
pub fn load_paths(paths: &[PathBuf]) -> (Sources, Vec<Diagnostic>) {
    let mut sources = Sources::new();
    let mut diags = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let mut failed = Vec::new();
                let keep = |name: &str| name.ends_with(".tsn");
                crate::files::walk(path, &skipped, &keep, &mut files, &mut failed);
                diags.extend(failed.iter().map(|(p, e)| unreadable(p, e)));
            }
            Ok(_) => files.push(path.clone()),
            Err(err) => diags.push(unreadable(path, &err)),
        }
    }
    files.sort();
    files.dedup();
    for file in &files {
        match std::fs::read(file) {
            Ok(bytes) => {
                add_bytes(&mut sources, &display(file), bytes, &mut diags);
            }
            Err(err) => diags.push(unreadable(file, &err)),
        }
    }
    sources.root = common_root(paths);
    (sources, diags)
}

/// Adds one file's bytes; reports text that is not UTF-8 at its first bad
/// byte. Returns the file's id.
pub fn add_bytes(
    sources: &mut Sources,
    name: &str,
    bytes: Vec<u8>,
    diags: &mut Vec<Diagnostic>,
) -> FileId {
    match String::from_utf8(bytes) {
        Ok(text) => sources.add(name, text),
        Err(err) => {
            let at = err.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
            let id = sources.add_unparsed(name, text);
            diags.push(
                Diagnostic::new(
                    Code::InvalidUtf8,
                    id,
                    Span::new(at, at + '\u{fffd}'.len_utf8()),
                    "file is not UTF-8 text",
                )
                .label(format!("invalid byte at offset {at}"))
                .help("save the file as UTF-8"),
            );
            id
        }
    }
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn unreadable(path: &Path, err: &std::io::Error) -> Diagnostic {
    let (code, message, help) = if crate::files::is_link_loop(err) {
        (
            Code::LinkLoop,
            format!("`{}`: {err}", display(path)),
            "every file below it is read once already",
        )
    } else {
        (
            Code::UnreadableFile,
            format!(
                "cannot read `{}`: {}",
                display(path),
                crate::files::io_reason(err)
            ),
            "check the path and its permissions",
        )
    };
    Diagnostic {
        code,
        severity: code.severity(),
        message,
        labels: Vec::new(),
        help: Some(help.to_string()),
        path: Some(display(path)),
    }
}

/// The deepest folder containing every path given.
fn common_root(paths: &[PathBuf]) -> Option<PathBuf> {
    let mut dirs = paths.iter().map(|p| {
        if p.is_dir() {
            p.clone()
        } else {
            p.parent().map(Path::to_path_buf).unwrap_or_default()
        }
    });
    let mut root = dirs.next()?;
    for d in dirs {
        while !d.starts_with(&root) {
            if !root.pop() {
                return Some(PathBuf::new());
            }
        }
    }
    Some(root)
}
