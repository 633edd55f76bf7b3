//! Names of a ruleset: items and tests by name (with duplicates reported),
//! doc comments attached, constants typed in dependency order, and the
//! entities each signal and sequence exposes.

use std::collections::{BTreeMap, BTreeSet};

use super::diagnostic::{Code, Diagnostic, FileId};
use super::docs::DocComments;
use super::expr::{ExprChecker, Scope};
use super::model::{LetDef, Lets, Model};
use super::types::Ty;
use super::{ParsedFile, SignalFacts};
use crate::syntax::ast::{BlockKind, ClauseKind, Expr, ItemKind, SegmentKind};
use crate::syntax::visit::walk_expr;
use crate::syntax::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemTag {
    Let,
    Source,
    Signal,
    Sequence,
    Guardrail,
    Test,
}

impl ItemTag {
    pub fn word(self) -> &'static str {
        match self {
            ItemTag::Let => "constant",
            ItemTag::Source => "source",
            ItemTag::Signal => "signal",
            ItemTag::Sequence => "sequence",
            ItemTag::Guardrail => "guardrail",
            ItemTag::Test => "test",
        }
    }

    fn of(block: BlockKind) -> ItemTag {
        match block {
            BlockKind::Source => ItemTag::Source,
            BlockKind::Signal => ItemTag::Signal,
            BlockKind::Sequence => ItemTag::Sequence,
            BlockKind::Guardrail => ItemTag::Guardrail,
        }
    }
}

/// Where an item is defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub tag: ItemTag,
    pub file: FileId,
    /// Index of the item in its file.
    pub item: usize,
    pub name_span: Span,
}

/// Attaches doc comments and reports those that document nothing.
pub fn attach_docs(pf: &mut ParsedFile, text: &str, diags: &mut Vec<Diagnostic>) {
    let mut docs = DocComments::new(text, &pf.parsed.comments);
    let mut found = BTreeMap::new();
    for item in &pf.parsed.file.items {
        if let Some(doc) = docs.take(item.span.start) {
            found.insert(item.span.start, doc);
        }
        let clauses = match &item.kind {
            ItemKind::Block(b) => b.clauses.as_slice(),
            _ => &[],
        };
        for clause in clauses {
            if matches!(
                clause.kind,
                ClauseKind::Field { .. } | ClauseKind::Derive { .. } | ClauseKind::Entity { .. }
            ) {
                if let Some(doc) = docs.take(clause.span.start) {
                    found.insert(clause.span.start, doc);
                }
            }
        }
    }
    for c in docs.dangling() {
        diags.push(
            Diagnostic::new(
                Code::DanglingDoc,
                pf.id,
                c.span,
                "doc comment documents nothing",
            )
            .label("not followed by an item, `field`, `derive` or `entity`")
            .help("use `//` for a plain comment, or move it right above what it documents"),
        );
    }
    pf.docs = found;
}

/// Collects item and test names; reports duplicates.
pub fn collect(
    files: &[ParsedFile],
    diags: &mut Vec<Diagnostic>,
) -> (BTreeMap<String, Symbol>, BTreeMap<String, Symbol>) {
    let mut symbols: BTreeMap<String, Symbol> = BTreeMap::new();
    let mut tests: BTreeMap<String, Symbol> = BTreeMap::new();
    for pf in files {
        for (index, item) in pf.parsed.file.items.iter().enumerate() {
            let (name, span, tag, table) = match &item.kind {
                ItemKind::Let { name, .. } => (&name.name, name.span, ItemTag::Let, &mut symbols),
                ItemKind::Block(b) => {
                    (&b.name.name, b.name.span, ItemTag::of(b.kind), &mut symbols)
                }
                ItemKind::Test { name, .. } => (&name.value, name.span, ItemTag::Test, &mut tests),
                ItemKind::Error => continue,
            };
            let symbol = Symbol {
                tag,
                file: pf.id,
                item: index,
                name_span: span,
            };
            match table.get(name) {
                Some(first) => {
                    let what = if tag == ItemTag::Test { "test" } else { "item" };
                    diags.push(
                        Diagnostic::new(
                            Code::DuplicateItem,
                            pf.id,
                            span,
                            format!("{what} `{name}` is defined twice"),
                        )
                        .label("defined again here")
                        .with_label(
                            first.file,
                            first.name_span,
                            format!("first defined here as a {}", first.tag.word()),
                        )
                        .help(if tag == ItemTag::Test {
                            "give each test its own name".to_string()
                        } else {
                            "names are global across all files of a ruleset; rename one of them"
                                .to_string()
                        }),
                    );
                }
                None => {
                    table.insert(name.clone(), symbol);
                }
            }
        }
    }
    (symbols, tests)
}

/// Types every constant, in dependency order (the order of their ids);
/// reports cycles.
pub fn let_types(
    files: &[ParsedFile],
    symbols: &BTreeMap<String, Symbol>,
    diags: &mut Vec<Diagnostic>,
    model: &mut Model,
) -> Lets {
    let mut values: BTreeMap<&str, (FileId, &Expr, Span)> = BTreeMap::new();
    for (name, sym) in symbols {
        if sym.tag != ItemTag::Let {
            continue;
        }
        let Some(item) = files
            .get(sym.file.0 as usize)
            .and_then(|f| f.parsed.file.items.get(sym.item))
        else {
            continue;
        };
        if let ItemKind::Let { value, .. } = &item.kind {
            values.insert(name.as_str(), (sym.file, value, sym.name_span));
        }
    }
    let mut order: Vec<&str> = Vec::new();
    let mut state: BTreeMap<&str, bool> = BTreeMap::new(); // false = visiting, true = done
    let mut in_cycle: BTreeSet<&str> = BTreeSet::new();
    for name in values.keys() {
        visit(name, &values, &mut state, &mut order, &mut in_cycle, diags);
    }
    let mut lets = Lets::default();
    for name in order {
        let (Some((file, value, _)), Some(sym)) = (values.get(name), symbols.get(name)) else {
            continue;
        };
        let ty = if in_cycle.contains(name) {
            Ty::Any
        } else {
            let mut checker = ExprChecker {
                file: *file,
                lets: &lets,
                scope: Scope::Constant,
                in_template: false,
                diags,
                model,
                bound: Vec::new(),
            };
            checker.infer(value)
        };
        lets.push(LetDef {
            name: name.to_string(),
            file: *file,
            item: sym.item,
            ty,
            value: (*value).clone(),
        });
    }
    lets
}

fn let_deps<'a>(
    value: &'a Expr,
    values: &BTreeMap<&str, (FileId, &Expr, Span)>,
) -> Vec<(&'a str, Span)> {
    let mut deps = Vec::new();
    walk_expr(value, &mut |e| {
        if let crate::syntax::ast::ExprKind::Path(p) = &e.kind {
            if let Some(SegmentKind::Name { name, .. }) = p.segments.first().map(|s| &s.kind) {
                if values.contains_key(name.as_str()) {
                    deps.push((name.as_str(), p.span));
                }
            }
        }
    });
    deps
}

fn visit<'a>(
    name: &'a str,
    values: &BTreeMap<&'a str, (FileId, &'a Expr, Span)>,
    state: &mut BTreeMap<&'a str, bool>,
    order: &mut Vec<&'a str>,
    in_cycle: &mut BTreeSet<&'a str>,
    diags: &mut Vec<Diagnostic>,
) {
    match state.get(name) {
        Some(true) => return,
        Some(false) => {
            if in_cycle.insert(name) {
                if let Some((file, _, span)) = values.get(name) {
                    diags.push(
                        Diagnostic::new(
                            Code::Cycle,
                            *file,
                            *span,
                            format!("constant `{name}` depends on itself"),
                        )
                        .label("part of a cycle")
                        .help("a constant must be computable from literals and other constants"),
                    );
                }
            }
            return;
        }
        None => {}
    }
    state.insert(name, false);
    if let Some((_, value, _)) = values.get(name) {
        for (dep, _) in let_deps(value, values) {
            if let Some((key, _)) = values.get_key_value(dep) {
                visit(key, values, state, order, in_cycle, diags);
            }
        }
    }
    state.insert(name, true);
    order.push(name);
}

/// Entities exposed by each signal (its `entity` clauses) and each sequence
/// (its `by` key), for checking sequences that use them.
pub fn facts(files: &[ParsedFile]) -> BTreeMap<String, SignalFacts> {
    let mut out: BTreeMap<String, SignalFacts> = BTreeMap::new();
    for pf in files {
        for item in &pf.parsed.file.items {
            let ItemKind::Block(b) = &item.kind else {
                continue;
            };
            if out.contains_key(&b.name.name) {
                continue;
            }
            let mut facts = SignalFacts {
                source: b.on.as_ref().map(|o| o.name.clone()),
                entities: BTreeSet::new(),
            };
            for clause in &b.clauses {
                match (&clause.kind, b.kind) {
                    (ClauseKind::Entity { name, .. }, BlockKind::Signal) => {
                        facts.entities.insert(name.name.clone());
                    }
                    (ClauseKind::By(name), BlockKind::Sequence) => {
                        facts.entities.insert(name.name.clone());
                    }
                    _ => {}
                }
            }
            out.insert(b.name.name.clone(), facts);
        }
    }
    out
}

/// "`x` is a guardrail, not a signal", pointing at both places.
pub fn wrong_kind(
    file: FileId,
    used: &crate::syntax::ast::Ident,
    sym: &Symbol,
    wanted: &str,
    label: &str,
) -> Diagnostic {
    Diagnostic::new(
        Code::WrongKind,
        file,
        used.span,
        format!("`{}` is a {}, not {wanted}", used.name, sym.tag.word()),
    )
    .label(label.to_string())
    .with_label(sym.file, sym.name_span, "defined here")
}
