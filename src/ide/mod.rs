//! The editor features, as pure functions of a workspace snapshot and a
//! position: no protocol here. `tensen lsp` (in `lsp/`) is thin glue over
//! these; tests call them directly. They reuse the checker and its one
//! diagnostic model, so the editor shows exactly what `tensen check` shows.
//!
//! One file per feature: `diagnostics`, `hover`, `definition` (and
//! references), `rename`, `symbols`, `completion`, `signature`, `folding`,
//! `actions` (quick fixes), `formatting`, `tokens` (semantic tokens),
//! `lens` (code lenses, inlay hints); `refs` finds what a name refers
//! to, `lines` maps offsets to editor positions.

mod actions;
mod completion;
mod definition;
mod diagnostics;
mod folding;
mod formatting;
mod hover;
mod lens;
pub mod lines;
mod refs;
mod rename;
mod signature;
mod symbols;
mod tokens;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use actions::{quick_fixes, Fix};
pub use completion::{completion, Completion, CompletionKind};
pub use definition::{definition, references, Location};
pub use diagnostics::{diagnostics, IdeDiagnostic};
pub use folding::folding_ranges;
pub use formatting::formatting;
pub use hover::hover;
pub use lens::{inlay_hints, test_lenses, HintKind};
pub use lines::{LineIndex, Pos, Range};
pub use rename::{prepare_rename, rename};
pub use signature::signature_help;
pub use symbols::{document_symbols, workspace_symbols, Symbol, SymbolKind};
pub use tokens::{
    semantic_tokens, SemanticToken, TokenKind, DECLARATION, DOCUMENTATION, READONLY,
    TOKEN_MODIFIERS, TOKEN_TYPES,
};

use crate::check::{analyze, Analysis, FileId, Sources};

/// A consistent view of a workspace: every rule file's text (open buffers
/// taking precedence over disk), checked together as one ruleset.
pub struct Snapshot {
    pub sources: Sources,
    pub analysis: Analysis,
    ids: BTreeMap<String, FileId>,
}

impl Snapshot {
    /// Checks `files` (name → text) as one ruleset rooted at `root`.
    pub fn new(root: Option<PathBuf>, files: &BTreeMap<String, String>) -> Snapshot {
        let mut sources = Sources::new();
        sources.root = root;
        let mut ids = BTreeMap::new();
        for (name, text) in files {
            ids.insert(name.clone(), sources.add(name.clone(), text.clone()));
        }
        let analysis = analyze(&sources);
        Snapshot {
            sources,
            analysis,
            ids,
        }
    }

    pub fn file_id(&self, name: &str) -> Option<FileId> {
        self.ids.get(name).copied()
    }

    pub fn text(&self, file: FileId) -> &str {
        self.sources.get(file).map_or("", |f| f.text.as_str())
    }

    pub fn name(&self, file: FileId) -> &str {
        self.sources.get(file).map_or("", |f| f.name.as_str())
    }
}
