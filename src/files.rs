//! Files on disk, for rule loading and record reading alike: the sorted,
//! recursive folder walk and the wording of I/O errors. It knows nothing of
//! what the files hold.

use std::path::{Path, PathBuf};

/// An I/O error in the words of a message: lowercase, no error codes.
pub fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        // Our own words (which may hold paths) as they are; the system's
        // ("Is a directory (os error 21)") in lowercase.
        _ if err.get_ref().is_some() => err.to_string(),
        _ => err.to_string().to_lowercase(),
    }
}

/// A symbolic link back to a folder above it, met while walking.
#[derive(Debug)]
pub struct LinkLoop(pub PathBuf);

impl std::fmt::Display for LinkLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a symbolic link loop (back to {}): not followed",
            self.0.display()
        )
    }
}

impl std::error::Error for LinkLoop {}

/// Whether a walk's failure is a [`LinkLoop`].
pub fn is_link_loop(err: &std::io::Error) -> bool {
    err.get_ref().is_some_and(|e| e.is::<LinkLoop>())
}

/// Every file below `dir`, depth first in name order, whose name `keep`
/// accepts; entries whose name `skip` accepts are passed over (files and
/// folders). Symbolic links are followed, but each file is listed once
/// (by its real path) and a link back to a folder above it is a loop,
/// listed in `failed` with the folders that cannot be read.
pub fn walk(
    dir: &Path,
    skip: &dyn Fn(&str) -> bool,
    keep: &dyn Fn(&str) -> bool,
    out: &mut Vec<PathBuf>,
    failed: &mut Vec<(PathBuf, std::io::Error)>,
) {
    let mut seen = std::collections::HashSet::new();
    let entries = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !skip(&e.file_name().to_string_lossy()));
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let path = err.path().unwrap_or(dir).to_path_buf();
                let reason = match err.loop_ancestor() {
                    Some(up) => std::io::Error::other(LinkLoop(up.to_path_buf())),
                    None => err
                        .into_io_error()
                        .unwrap_or_else(|| std::io::Error::other("cannot be read")),
                };
                failed.push((path, reason));
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if entry.depth() == 0 || !keep(&name) {
            continue;
        }
        let real =
            std::fs::canonicalize(entry.path()).unwrap_or_else(|_| entry.path().to_path_buf());
        if seen.insert(real) {
            out.push(entry.into_path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::walk;

    #[cfg(unix)]
    #[test]
    fn links_are_followed_once_and_loops_reported() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let sub = root.join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("a.tsn"), "").unwrap();
        std::fs::write(root.join("b.tsn"), "").unwrap();
        std::fs::write(root.join(".hidden.tsn"), "").unwrap();
        // A loop back to the root, a second loop, and a second name for a file.
        std::os::unix::fs::symlink(root, sub.join("up")).unwrap();
        std::os::unix::fs::symlink(&sub, sub.join("here")).unwrap();
        std::os::unix::fs::symlink(sub.join("a.tsn"), root.join("c.tsn")).unwrap();
        let (mut out, mut failed) = (Vec::new(), Vec::new());
        walk(
            root,
            &|n| n.starts_with('.'),
            &|n| n.ends_with(".tsn"),
            &mut out,
            &mut failed,
        );
        let names: Vec<String> = out
            .iter()
            .map(|p| {
                p.strip_prefix(root)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(names, ["b.tsn", "c.tsn"], "{failed:?}");
        assert_eq!(failed.len(), 2, "{failed:?}");
        assert!(
            failed.iter().all(|(_, e)| super::is_link_loop(e)),
            "{failed:?}"
        );
    }
}
