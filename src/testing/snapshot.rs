//! Snapshots: each test's full output, stored readable next to its rules
//! (`__snapshots__/FILE@TEST.tsnap`), compared on every run. A new or
//! changed output is written beside it as `.tsnap.new` for review; `--accept`
//! takes it. Like insta, a missing snapshot fails when `CI` is set.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::TestCase;
use crate::engine::run::Output;

pub const DIR: &str = "__snapshots__";
const HEADER: &str = "---\ntest: ";

/// Where a test's snapshot lives.
pub fn path_for(case: &TestCase<'_>) -> PathBuf {
    let stem = case
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut slug: String = case
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    while slug.contains("__") {
        slug = slug.replace("__", "_");
    }
    let slug: String = slug.trim_matches('_').chars().take(80).collect();
    case.dir().join(DIR).join(format!("{stem}@{slug}.tsnap"))
}

fn pending(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".new");
    PathBuf::from(p)
}

/// A test's outputs as its snapshot stores them: a header, then each
/// output as indented JSON, in output order.
pub fn render(case: &TestCase<'_>, outputs: &[Output]) -> String {
    let rules = case
        .file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut text = format!(
        "{HEADER}{}\nrules: {rules}\noutputs: {}\n---\n",
        case.name,
        outputs.len()
    );
    for o in outputs {
        text.push_str(&serde_json::to_string_pretty(o).unwrap_or_default());
        text.push('\n');
    }
    text
}

/// How a test's output compared with its snapshot.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Matched,
    /// No snapshot yet: written as pending (the `.tsnap.new` named), or,
    /// when nothing may be written, the snapshot that is missing.
    New(PathBuf),
    /// Written as the snapshot (`--accept`).
    Accepted(PathBuf),
    /// The output differs: the line diff (old → new); the new output is
    /// written as pending.
    Changed {
        path: PathBuf,
        diff: String,
    },
    /// The snapshot file cannot be read as a snapshot: treated as changed.
    Corrupt {
        path: PathBuf,
        why: String,
    },
    /// The snapshot could not be written.
    WriteFailed {
        path: PathBuf,
        why: String,
    },
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| crate::files::io_reason(&e))?;
    }
    std::fs::write(path, text).map_err(|e| crate::files::io_reason(&e))
}

/// How [`compare`] treats what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A new or changed output is written as pending (`.tsnap.new`).
    Review,
    /// A new or changed output becomes the snapshot.
    Accept,
    /// Nothing is written (CI): a clean checkout stays clean.
    ReadOnly,
}

/// Compares `rendered` with the stored snapshot, writing what `mode` says.
pub fn compare(case: &TestCase<'_>, rendered: &str, mode: Mode, color: bool) -> Status {
    let path = path_for(case);
    let new = pending(&path);
    let accept = mode == Mode::Accept;
    let store = |target: &Path, then: Status| {
        if mode == Mode::ReadOnly {
            return then;
        }
        match write(target, rendered) {
            Ok(()) => then,
            Err(why) => Status::WriteFailed {
                path: target.to_path_buf(),
                why,
            },
        }
    };
    let stored = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match mode {
                Mode::Accept => {
                    let _ = std::fs::remove_file(&new);
                    store(&path, Status::Accepted(path.clone()))
                }
                Mode::Review => store(&new, Status::New(new.clone())),
                // Nothing written: the snapshot to make is the one named.
                Mode::ReadOnly => Status::New(path.clone()),
            };
        }
        Err(e) => {
            return Status::Corrupt {
                path,
                why: crate::files::io_reason(&e),
            }
        }
    };
    let text = match String::from_utf8(stored) {
        Ok(t) if t.starts_with(HEADER) => Ok(t),
        Ok(_) => Err("not a tensen snapshot (no `---` header)"),
        Err(_) => Err("not UTF-8"),
    };
    if text.as_deref() == Ok(rendered) {
        let _ = std::fs::remove_file(&new);
        return Status::Matched;
    }
    if accept {
        let _ = std::fs::remove_file(&new);
        return store(&path, Status::Accepted(path.clone()));
    }
    let text = match text {
        Ok(t) => t,
        Err(why) => {
            if mode != Mode::ReadOnly {
                let _ = write(&new, rendered);
            }
            return Status::Corrupt {
                path,
                why: why.into(),
            };
        }
    };
    let diff = diff(&text, rendered, color);
    store(&new, Status::Changed { path, diff })
}

/// A line diff, `-` old and `+` new, with a few lines of context.
pub fn diff(old: &str, new: &str, color: bool) -> String {
    let paint = |code: &str, text: String| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    };
    let mut out = String::new();
    let d = similar::TextDiff::from_lines(old, new);
    for group in d.grouped_ops(3) {
        for op in group {
            for change in d.iter_changes(&op) {
                let line = change.value().trim_end_matches('\n');
                let text = match change.tag() {
                    similar::ChangeTag::Delete => paint("31", format!("-{line}")),
                    similar::ChangeTag::Insert => paint("32", format!("+{line}")),
                    similar::ChangeTag::Equal => format!(" {line}"),
                };
                out.push_str(&text);
                out.push('\n');
            }
        }
        out.push_str("…\n");
    }
    out
}

/// Snapshot files in the folders of `rule_files` that no test names (and
/// pending `.tsnap.new` files with no test).
pub fn unreferenced(rule_files: &[PathBuf], referenced: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
    let dirs: BTreeSet<PathBuf> = rule_files
        .iter()
        .map(|f| {
            f.parent()
                .map(Path::to_path_buf)
                .unwrap_or_default()
                .join(DIR)
        })
        .collect();
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files {
            let name = f.to_string_lossy().to_string();
            let snap = name.strip_suffix(".new").unwrap_or(&name);
            if snap.ends_with(".tsnap") && !referenced.contains(Path::new(snap)) {
                out.push(f);
            }
        }
    }
    out
}
