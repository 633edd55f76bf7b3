//! The checker's answers, kept: what every name in an expression refers
//! to, every template parsed, the constants in the order they are worked
//! out. The engine compiles from this model and the editor reads it, so a
//! name is resolved once, by the checker, under one set of scope rules,
//! and a template is parsed once.
//!
//! A use is found by its place: the file and the span of the path (or of
//! the string literal, for a template). Spans inside templates are the
//! file's own, so every use has a place of its own.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::diagnostic::FileId;
use super::types::Ty;
use crate::syntax::ast::Expr;
use crate::syntax::template::Template;
use crate::syntax::Span;

/// A `let` constant: its place in [`Lets`], which is the order constants
/// are worked out in (each after the constants it uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LetId(pub u32);

/// An entity of a rule: its place among the rule's `entity` clauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId(pub u32);

/// A derived field of a source: its place among the source's derived
/// fields in name order ([`Schema::derived`](super::Schema)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DerivedId(pub u32);

/// What the root of a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// A field of the record (of a sequence's match, in a sequence): the
    /// path as written.
    Field,
    /// A `let` constant.
    Let(LetId),
    /// An entity of the rule (in titles, summaries and messages).
    Entity(EntityId),
    /// A derived field of the record's source.
    Derived(DerivedId),
    /// The element bound by the `any(x in ...)` or `all` `up` levels out
    /// (0: the innermost); the rest of the path is a field of it.
    Bound { up: u32 },
}

/// One `let` constant.
#[derive(Debug, Clone)]
pub struct LetDef {
    pub name: String,
    pub file: FileId,
    /// Its item's place in the file.
    pub item: usize,
    pub ty: Ty,
    /// Its value as written.
    pub value: Expr,
}

/// The `let` constants, in the order they are worked out.
#[derive(Debug, Clone, Default)]
pub struct Lets {
    defs: Vec<LetDef>,
    ids: BTreeMap<String, LetId>,
}

impl Lets {
    /// Adds a constant after those it uses.
    pub fn push(&mut self, def: LetDef) -> LetId {
        let id = LetId(u32::try_from(self.defs.len()).unwrap_or(u32::MAX));
        self.ids.insert(def.name.clone(), id);
        self.defs.push(def);
        id
    }

    pub fn id(&self, name: &str) -> Option<LetId> {
        self.ids.get(name).copied()
    }

    pub fn get(&self, name: &str) -> Option<&LetDef> {
        self.def(self.id(name)?)
    }

    pub fn def(&self, id: LetId) -> Option<&LetDef> {
        self.defs.get(id.0 as usize)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.ids.contains_key(name)
    }

    /// The names, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.ids.keys()
    }

    /// The constants in the order they are worked out.
    pub fn iter(&self) -> impl Iterator<Item = (LetId, &LetDef)> {
        self.defs
            .iter()
            .enumerate()
            .map(|(i, d)| (LetId(u32::try_from(i).unwrap_or(u32::MAX)), d))
    }

    pub fn len(&self) -> usize {
        self.defs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }
}

/// Names resolved and templates parsed, by place.
#[derive(Debug, Default)]
pub struct Model {
    names: FxHashMap<(FileId, Span), Resolved>,
    templates: FxHashMap<(FileId, Span), Template>,
}

impl Model {
    /// What the path at `span` of `file` names; `None`: the checker did
    /// not see a path there.
    pub fn resolved(&self, file: FileId, span: Span) -> Option<Resolved> {
        self.names.get(&(file, span)).copied()
    }

    /// The template of the string literal at `span` of `file`, if it is
    /// one (a title, summary, message or string `derive`).
    pub fn template(&self, file: FileId, span: Span) -> Option<&Template> {
        self.templates.get(&(file, span))
    }

    pub(super) fn resolve(&mut self, file: FileId, span: Span, to: Resolved) {
        self.names.insert((file, span), to);
    }

    pub(super) fn keep_template(&mut self, file: FileId, span: Span, template: Template) {
        self.templates.insert((file, span), template);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{analyze, Sources};

    /// What the name at the `n`th occurrence of `needle` resolves to.
    fn at(text: &str, needle: &str, n: usize) -> Option<Resolved> {
        let start = text.match_indices(needle).nth(n)?.0;
        at_span(text, Span::new(start, start + needle.len()))
    }

    fn at_span(text: &str, span: Span) -> Option<Resolved> {
        let mut sources = Sources::new();
        let file = sources.add("t.tsn", text);
        let analysis = analyze(&sources);
        assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
        analysis.model.resolved(file, span)
    }

    const RULES: &str = r#"
let base = ["a", "b"]
let wide = base
signal s on cloudtrail {
    title "{user} did {eventName} as {action}"
    when eventName in wide
        and any(r in resources: r.ARN == userIdentity.arn
            and any(t in tlsDetails.keys: t == r.type))
    entity user = userIdentity.userName
    entity call = eventName
}
"#;

    #[test]
    fn every_name_is_resolved_once_by_the_checker() {
        // Constants get ids in the order they are worked out.
        assert_eq!(at(RULES, "base", 1), Some(Resolved::Let(LetId(0))));
        assert_eq!(at(RULES, "wide", 1), Some(Resolved::Let(LetId(1))));
        assert_eq!(at(RULES, "eventName", 2), Some(Resolved::Field));
        assert_eq!(at(RULES, "userIdentity.arn", 0), Some(Resolved::Field));
        // Entities only in templates, by declaration order.
        assert_eq!(at(RULES, "user", 0), Some(Resolved::Entity(EntityId(0))));
        // Inside a template: its own spans.
        assert_eq!(at(RULES, "eventName", 0), Some(Resolved::Field));
        assert!(matches!(at(RULES, "action", 0), Some(Resolved::Derived(_))));
        // Bound names count from the innermost binding out.
        assert_eq!(at(RULES, "r.ARN", 0), Some(Resolved::Bound { up: 0 }));
        assert_eq!(at(RULES, "r.type", 0), Some(Resolved::Bound { up: 1 }));
        let t = RULES.find("t == r.type").unwrap_or(0);
        let t = Span::new(t, t + 1);
        assert_eq!(at_span(RULES, t), Some(Resolved::Bound { up: 0 }));
    }

    #[test]
    fn templates_are_kept_parsed() {
        let mut sources = Sources::new();
        let file = sources.add("t.tsn", RULES);
        let analysis = analyze(&sources);
        let start = RULES.find("\"{user}").unwrap_or(0);
        let end = RULES[start + 1..].find('"').unwrap_or(0) + start + 2;
        let template = analysis
            .model
            .template(file, Span::new(start, end))
            .unwrap();
        assert_eq!(template.parts.len(), 5);
    }
}
