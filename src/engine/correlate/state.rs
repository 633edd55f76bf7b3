//! `--state FILE`: the open sequence state saved at the end of a run and
//! restored at the start of the next, so hourly batches continue each
//! other's sequences. Written atomically (temporary file, then rename);
//! refused, with the reason, when corrupt or saved for other rules.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::super::sequence::{Instance, MatcherState};

/// Bumped whenever the layout changes.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedState {
    pub format: u32,
    /// [`super::rules_hash`] of the rules it was saved for.
    pub rules: String,
    /// Records evaluated before: positions go on from here.
    pub position: u64,
    pub watermark: Option<i64>,
    pub released: Option<i64>,
    /// Instances not yet released (less than `--max-lateness` old).
    pub buffer: Vec<Instance>,
    pub sequences: BTreeMap<String, MatcherState>,
    /// The file a `--follow` read and how far: following it again resumes
    /// there. Absent in states saved by batch runs (and before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<InputMark>,
}

/// How far a followed file has been read: every record before `offset`
/// (`lines` lines) is in the state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputMark {
    pub file: String,
    pub offset: u64,
    pub lines: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateError(pub String);

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a state file; `Ok(None)` if it does not exist yet.
pub fn load_state(path: &Path, rules: &str) -> Result<Option<SavedState>, StateError> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StateError(format!(
                "{}: {}",
                path.display(),
                crate::files::io_reason(&e)
            )))
        }
    };
    #[derive(Deserialize)]
    struct Head {
        format: u32,
        rules: String,
    }
    let head: Head = serde_json::from_slice(&text).map_err(|e| {
        StateError(format!(
            "{}:{}:{}: not a tensen state file ({}); delete it to start afresh",
            path.display(),
            e.line(),
            e.column(),
            e
        ))
    })?;
    if head.format != FORMAT {
        return Err(StateError(format!(
            "{}: state format {} is not the format this tensen writes ({FORMAT}); delete it to start afresh",
            path.display(),
            head.format
        )));
    }
    if head.rules != rules {
        return Err(StateError(format!(
            "{}: saved for other rules (rules hash {}, these rules are {rules}); the open matches would not mean the same. Delete it, or run with the rules it was saved for",
            path.display(),
            head.rules
        )));
    }
    serde_json::from_slice(&text).map(Some).map_err(|e| {
        StateError(format!(
            "{}:{}:{}: corrupt state file ({}); delete it to start afresh",
            path.display(),
            e.line(),
            e.column(),
            e
        ))
    })
}

/// Writes a state file atomically.
pub fn save_state(path: &Path, state: &SavedState) -> Result<(), StateError> {
    let fail = |e: std::io::Error| {
        StateError(format!(
            "{}: cannot write the state: {}",
            path.display(),
            crate::files::io_reason(&e)
        ))
    };
    let bytes = serde_json::to_vec(state)
        .map_err(|e| StateError(format!("{}: cannot encode the state: {e}", path.display())))?;
    let dir = state_folder(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "state".into());
    remove_stale(dir, &name);
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// A run's hold on a state file: an advisory lock on `STATE.lock` beside
/// it, released when dropped (or when the process ends, however it ends).
/// Two runs on one state would each continue the same saved matches and
/// the last to save would lose the other's.
#[derive(Debug)]
pub struct StateLock {
    _file: std::fs::File,
}

/// Takes the lock of the state file `path`, or says which run holds it.
pub fn lock_state(path: &Path) -> Result<StateLock, StateError> {
    let mut lock = path.as_os_str().to_owned();
    lock.push(".lock");
    let lock = std::path::PathBuf::from(lock);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|e| {
            StateError(format!(
                "{}: cannot lock the state: {}",
                lock.display(),
                crate::files::io_reason(&e)
            ))
        })?;
    match file.try_lock() {
        Ok(()) => Ok(StateLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(StateError(format!(
            "{}: in use by another tensen run ({} is locked); run one at a time on a state",
            path.display(),
            lock.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(StateError(format!(
            "{}: cannot lock the state: {}",
            lock.display(),
            crate::files::io_reason(&e)
        ))),
    }
}

/// The folder a state file is saved in (`.` for a bare file name).
pub fn state_folder(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Removes what saves killed before their rename left: `.NAME.tmpPID`
/// files of processes that no longer run. Where running processes cannot
/// be told (no `/proc`), nothing is removed.
fn remove_stale(dir: &Path, name: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{name}.tmp");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let running = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
        if !running {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_is_locked_while_held() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let held = lock_state(&path).unwrap();
        let err = lock_state(&path).unwrap_err();
        assert!(err.0.contains("in use by another tensen run"), "{err}");
        drop(held);
        assert!(lock_state(&path).is_ok());
    }

    #[test]
    fn a_save_removes_what_killed_saves_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        // Above any pid_max: a process that cannot be running.
        let stale = dir.path().join(".s.json.tmp4194399");
        let other = dir.path().join(".t.json.tmp4194399");
        std::fs::write(&stale, "{").unwrap();
        std::fs::write(&other, "{").unwrap();
        let state = SavedState {
            format: FORMAT,
            rules: String::new(),
            position: 0,
            watermark: None,
            released: None,
            buffer: Vec::new(),
            sequences: BTreeMap::new(),
            input: None,
        };
        save_state(&path, &state).unwrap();
        assert!(path.exists());
        assert_eq!(stale.exists(), !Path::new("/proc/self").exists());
        assert!(other.exists(), "another state's files are left alone");
    }
}
