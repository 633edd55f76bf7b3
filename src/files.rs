//! Files on disk, for rule loading and record reading alike: the sorted,
//! recursive folder walk and the wording of I/O errors. It knows nothing of
//! what the files hold.

use std::path::{Path, PathBuf};

/// An I/O error in the words of a message: lowercase, no error codes.
pub fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => err.to_string().to_lowercase(),
    }
}

/// Every file below `dir`, depth first in name order, whose name `keep`
/// accepts; entries whose name `skip` accepts are passed over (files and
/// folders). Folders that cannot be read are listed in `failed`.
pub fn walk(
    dir: &Path,
    skip: &dyn Fn(&str) -> bool,
    keep: &dyn Fn(&str) -> bool,
    out: &mut Vec<PathBuf>,
    failed: &mut Vec<(PathBuf, std::io::Error)>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(err) => {
            failed.push((dir.to_path_buf(), err));
            return;
        }
    };
    let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    children.sort();
    for child in children {
        let name = child.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if skip(name) {
            continue;
        }
        if child.is_dir() {
            walk(&child, skip, keep, out, failed);
        } else if keep(name) {
            out.push(child);
        }
    }
}
