//! What the server knows about the editor's files: the workspace folders,
//! their rule files as on disk, and the open documents. Each folder is one
//! ruleset (every `*.tsn` under it, open buffers taking precedence over
//! disk); open documents outside every folder form one more. Snapshots are
//! built on demand and dropped by every change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::ide::Snapshot;

#[derive(Default)]
pub struct Workspace {
    /// Bumped by every change: a debounced publish that sees a newer
    /// generation leaves it to the later one.
    pub generation: u64,
    folders: Vec<PathBuf>,
    /// Each folder's rule files as on disk: name → text.
    disk: BTreeMap<PathBuf, BTreeMap<String, String>>,
    /// Open documents: name → (version, text).
    pub open: BTreeMap<String, (i32, String)>,
    /// By folder (`None`: documents outside every folder).
    snapshots: BTreeMap<Option<PathBuf>, Arc<Snapshot>>,
    /// When the last change came, for the debounce of diagnostics.
    pub last_change: Option<std::time::Instant>,
}

impl Workspace {
    /// Something changed: every snapshot is stale.
    pub fn changed(&mut self) -> u64 {
        self.generation += 1;
        // Dropped on a thread of their own: freeing a large ruleset's
        // analysis takes milliseconds, and this is on every keystroke.
        let stale = std::mem::take(&mut self.snapshots);
        if !stale.is_empty() {
            std::thread::spawn(move || drop(stale));
        }
        self.generation
    }

    /// Adds a folder (read from disk now) unless it is there already.
    pub fn add_folder(&mut self, folder: PathBuf) {
        if !self.folders.contains(&folder) {
            self.disk.insert(folder.clone(), read_disk(&folder));
            self.folders.push(folder);
        }
        self.changed();
    }

    pub fn remove_folder(&mut self, folder: &Path) {
        self.folders.retain(|f| f != folder);
        self.disk.remove(folder);
        self.changed();
    }

    /// Reads every folder's rule files again (on save and close, not on
    /// every keystroke).
    pub fn reread_disk(&mut self) {
        for f in &self.folders {
            self.disk.insert(f.clone(), read_disk(f));
        }
        self.changed();
    }

    /// The innermost folder holding document `name`.
    fn folder_of(&self, name: &str) -> Option<PathBuf> {
        let path = Path::new(name);
        self.folders
            .iter()
            .filter(|f| path.starts_with(f))
            .max_by_key(|f| f.components().count())
            .cloned()
    }

    /// The snapshot of the ruleset document `name` belongs to.
    pub fn snapshot_for(&mut self, name: &str) -> Arc<Snapshot> {
        let key = self.folder_of(name);
        self.snapshot(key)
    }

    fn snapshot(&mut self, key: Option<PathBuf>) -> Arc<Snapshot> {
        if let Some(s) = self.snapshots.get(&key) {
            return s.clone();
        }
        let mut files = key
            .as_ref()
            .and_then(|f| self.disk.get(f))
            .cloned()
            .unwrap_or_default();
        for (name, (_, text)) in &self.open {
            if self.folder_of(name) == key {
                files.insert(name.clone(), text.clone());
            }
        }
        let snap = Arc::new(Snapshot::new(key.clone(), &files));
        self.snapshots.insert(key, snap.clone());
        snap
    }

    /// Every ruleset: each folder, and the open documents outside them.
    pub fn all_snapshots(&mut self) -> Vec<Arc<Snapshot>> {
        let mut keys: Vec<Option<PathBuf>> = self.folders.iter().cloned().map(Some).collect();
        if self.open.keys().any(|n| self.folder_of(n).is_none()) {
            keys.push(None);
        }
        keys.into_iter().map(|k| self.snapshot(k)).collect()
    }

    /// Each open document with its version and its ruleset's snapshot.
    pub fn open_documents(&mut self) -> Vec<(String, i32, Arc<Snapshot>)> {
        let docs: Vec<(String, i32)> = self
            .open
            .iter()
            .map(|(n, (v, _))| (n.clone(), *v))
            .collect();
        docs.into_iter()
            .map(|(n, v)| {
                let snap = self.snapshot_for(&n);
                (n, v, snap)
            })
            .collect()
    }
}

/// Every rule file under `root`, as on disk.
fn read_disk(root: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let keep = |name: &str| name.ends_with(".tsn");
    crate::files::walk(
        root,
        &crate::check::load::skipped,
        &keep,
        &mut found,
        &mut errors,
    );
    for path in found {
        if let Ok(text) = std::fs::read_to_string(&path) {
            files.insert(path.display().to_string(), text);
        }
    }
    files
}
