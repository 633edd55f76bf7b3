//! The checker: rule files in, a checked [`Ruleset`] or diagnostics out.
//!
//! [`analyze`] always succeeds and returns everything it learned (trees,
//! symbols, schemas, diagnostics) for the language server; [`compile`] is the
//! strict entry for the CLI and embedding programs. Neither evaluates
//! records: that is the engine's job.

pub mod attack;
pub mod diagnostic;
mod docs;
mod expr;
pub mod functions;
mod items;
pub mod load;
pub mod model;
pub mod prelude;
pub mod render;
pub mod schema;
mod sequence;
mod sources;
pub mod suggest;
mod symbols;
mod syntax_errors;
mod tests;
pub mod types;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

pub use diagnostic::{Code, Diagnostic, FileId, Label, Severity};
pub use schema::Schema;
pub use symbols::{ItemTag, Symbol};
pub use syntax_errors::syntax_diagnostic;

use crate::syntax::parser::{parse, Parsed};
use crate::syntax::Span;

/// One rule file's text and the name it is shown by.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    /// Part of the prelude compiled into the binary.
    pub builtin: bool,
    /// False for a file that could not be decoded: it is shown, not parsed.
    pub parse: bool,
}

/// All files of one ruleset, prelude first.
#[derive(Debug, Clone)]
pub struct Sources {
    files: Vec<SourceFile>,
    /// The ruleset's folder: test inputs must stay inside it.
    pub root: Option<PathBuf>,
}

impl Default for Sources {
    fn default() -> Self {
        Sources::new()
    }
}

impl Sources {
    /// Sources holding the prelude only.
    pub fn new() -> Sources {
        let files = prelude::FILES
            .iter()
            .map(|(name, text)| SourceFile {
                name: (*name).to_string(),
                text: (*text).to_string(),
                builtin: true,
                parse: true,
            })
            .collect();
        Sources { files, root: None }
    }

    /// Adds a user file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
            builtin: false,
            parse: true,
        });
        FileId(u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX))
    }

    /// Adds a file that is shown in diagnostics but not parsed.
    pub fn add_unparsed(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = self.add(name, text);
        if let Some(f) = self.files.last_mut() {
            f.parse = false;
        }
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The folder no test input of a file in `dir` may be read from outside
    /// of: the ruleset's folder, else the file's own.
    pub fn input_root(&self, dir: &std::path::Path) -> PathBuf {
        self.root.clone().unwrap_or_else(|| dir.to_path_buf())
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }
}

/// A parsed file with the docs attached to its items and clauses.
#[derive(Debug)]
pub struct ParsedFile {
    pub id: FileId,
    pub parsed: Parsed,
    /// Doc text by the start offset of the item or clause it documents.
    pub docs: BTreeMap<usize, String>,
}

/// What one sequence step's signal exposes.
#[derive(Debug, Clone, Default)]
pub struct SignalFacts {
    pub source: Option<String>,
    pub entities: BTreeSet<String>,
}

/// Everything the checker learned about a ruleset.
#[derive(Debug)]
pub struct Analysis {
    pub files: Vec<ParsedFile>,
    /// Items by name (the first one, when duplicated).
    pub symbols: BTreeMap<String, Symbol>,
    /// Tests by name.
    pub tests: BTreeMap<String, Symbol>,
    pub schemas: BTreeMap<String, Schema>,
    /// The `let` constants, by id in the order they are worked out.
    pub lets: model::Lets,
    /// Entities each signal or sequence exposes, by name.
    pub facts: BTreeMap<String, SignalFacts>,
    /// What every name refers to and every template, as the checker
    /// decided: what the engine compiles and the editor reads.
    pub model: model::Model,
    pub diagnostics: Vec<Diagnostic>,
}

impl Analysis {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    pub fn file(&self, id: FileId) -> Option<&ParsedFile> {
        self.files.get(id.0 as usize)
    }
}

/// A ruleset without errors: what the engine runs.
#[derive(Debug)]
pub struct Ruleset {
    pub analysis: Analysis,
}

impl Ruleset {
    /// Warnings found while checking.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.analysis.diagnostics
    }
}

/// The diagnostics of a ruleset that did not compile.
#[derive(Debug)]
pub struct Diagnostics(pub Vec<Diagnostic>);

/// Checks every file and returns all that was learned.
pub fn analyze(sources: &Sources) -> Analysis {
    let mut diags = Vec::new();
    let mut files = Vec::new();
    for (id, file) in sources.iter() {
        let parsed = if !file.parse {
            Parsed::default()
        } else if file.builtin {
            prelude::parsed(&file.name).unwrap_or_else(|| parse(&file.text))
        } else {
            parse(&file.text)
        };
        for err in &parsed.errors {
            diags.push(syntax_errors::syntax_diagnostic(id, err));
        }
        files.push(ParsedFile {
            id,
            parsed,
            docs: BTreeMap::new(),
        });
    }
    for (pf, (_, sf)) in files.iter_mut().zip(sources.iter()) {
        symbols::attach_docs(pf, &sf.text, &mut diags);
    }
    let (symbols, tests) = symbols::collect(&files, &mut diags);
    let schemas = sources::build_schemas(&files, &mut diags);
    let mut model = model::Model::default();
    let lets = symbols::let_types(&files, &symbols, &mut diags, &mut model);
    let facts = symbols::facts(&files);
    let mut analysis = Analysis {
        files,
        symbols,
        tests,
        schemas,
        lets,
        facts,
        model: model::Model::default(),
        diagnostics: Vec::new(),
    };
    items::check_items(&analysis, sources, &mut diags, &mut model);
    analysis.model = model;
    sort_diagnostics(&mut diags);
    analysis.diagnostics = diags;
    analysis
}

/// Checks the ruleset and returns it if it has no errors.
pub fn compile(sources: &Sources) -> Result<Ruleset, Diagnostics> {
    let analysis = analyze(sources);
    if analysis.has_errors() {
        return Err(Diagnostics(analysis.diagnostics));
    }
    Ok(Ruleset { analysis })
}

/// Orders diagnostics by file, position, then code, so output is stable.
pub fn sort_diagnostics(diags: &mut Vec<Diagnostic>) {
    let key = |d: &Diagnostic| {
        let (file, span) = d
            .primary()
            .map(|l| (l.file, l.span))
            .unwrap_or((FileId(0), Span::default()));
        (file, span.start, span.end, d.code, d.message.clone())
    };
    diags.sort_by_key(key);
    diags.dedup();
}
