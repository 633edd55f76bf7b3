//! Checks tests: inputs that stay in the ruleset's folder and exist,
//! inline events that are plain JSON, and expectations that name rules of
//! the right kind (a guardrail for `deny`, a sequence and its own labels
//! for `steps`).

use std::path::{Component, Path as FsPath, PathBuf};

use super::diagnostic::{Code, Diagnostic, FileId};
use super::items::check_test_clauses;
use super::sequence::constant_checker;
use super::symbols::{ItemTag, Symbol};
use super::{Analysis, Sources};
use crate::syntax::ast::{
    ClauseKind, CountTest, ExpectWhat, ExprKind, Ident, ItemKind, Lit, StepKind, StrLit,
};

pub fn check_test(
    analysis: &Analysis,
    sources: &Sources,
    file: FileId,
    name: &StrLit,
    clauses: &[crate::syntax::ast::Clause],
    diags: &mut Vec<Diagnostic>,
    model: &mut super::model::Model,
) {
    check_test_clauses(file, name.span, clauses, diags);
    let mut has_input = false;
    let mut has_expect = false;
    for clause in clauses {
        match &clause.kind {
            ClauseKind::Input(path) => {
                has_input = true;
                check_input_path(sources, file, path, diags);
            }
            ClauseKind::Event { value, .. } => {
                has_input = true;
                constant_checker(analysis, file, diags, model).infer(value);
                plain_json(file, value, diags);
            }
            ClauseKind::Expect { rule, count, what } => {
                has_expect = true;
                let sym = expected_rule(analysis, file, rule, diags);
                if let Some(c) = count {
                    expected_count(file, c, diags);
                }
                match (what, sym) {
                    (Some(w @ ExpectWhat::Deny { record, .. }), sym) => {
                        if sym.is_some_and(|s| s.tag != ItemTag::Guardrail) {
                            diags.push(expect_wrong_kind(file, rule, w, "a guardrail"));
                        }
                        if !matches!(&record.kind, ExprKind::Lit(Lit::Int(n)) if n.parse::<u64>().is_ok_and(|n| n >= 1))
                        {
                            diags.push(
                                Diagnostic::new(
                                    Code::TypeMismatch,
                                    file,
                                    record.span,
                                    "a record number is a whole number from 1",
                                )
                                .label("not a record number")
                                .help("records are numbered from 1 in the order the test reads them: its `input` files' records and its `event`s, clause by clause"),
                            );
                        }
                    }
                    (Some(w @ ExpectWhat::Steps { labels, .. }), sym) => match sym {
                        Some(s) if s.tag != ItemTag::Sequence => {
                            diags.push(expect_wrong_kind(file, rule, w, "a sequence"))
                        }
                        Some(_) => expected_labels(analysis, file, rule, labels, diags),
                        None => {}
                    },
                    (None, _) => {}
                }
            }
            _ => {}
        }
    }
    if !has_input || !has_expect {
        let missing = if has_input {
            "no `expect`"
        } else {
            "no `input` or `event`"
        };
        diags.push(Diagnostic::new(Code::EmptyTest, file, name.span, format!("test has {missing}")).label("this test checks nothing yet").help("a test reads `input \"file.jsonl\"` or inline `event { ... }` records and states `expect RULE count N`"));
    }
}

fn check_input_path(sources: &Sources, file: FileId, lit: &StrLit, diags: &mut Vec<Diagnostic>) {
    let given = FsPath::new(&lit.value);
    let escape = |why: &str, diags: &mut Vec<Diagnostic>| {
        diags.push(Diagnostic::new(Code::TestPathEscapes, file, lit.span, format!("test input `{}` is outside the ruleset's folder", lit.value)).label(why.to_string()).help("keep fixtures next to the rules, e.g. `fixtures/case.jsonl`, so the ruleset is self-contained"));
    };
    if given.is_absolute() || given.has_root() {
        escape("an absolute path", diags);
        return;
    }
    let file_name = sources
        .get(file)
        .map(|f| f.name.clone())
        .unwrap_or_default();
    let dir = FsPath::new(&file_name)
        .parent()
        .map(FsPath::to_path_buf)
        .unwrap_or_default();
    let root = sources.input_root(&dir);
    let (Some(target), Some(root)) = (normalize(&dir.join(given)), normalize(&root)) else {
        escape("leaves the ruleset's folder through `..`", diags);
        return;
    };
    if !target.starts_with(&root) {
        escape("leaves the ruleset's folder through `..`", diags);
        return;
    }
    if sources.get(file).is_some_and(|f| !f.builtin) && !target.exists() {
        diags.push(
            Diagnostic::new(
                Code::MissingTestInput,
                file,
                lit.span,
                format!("test input `{}` does not exist", lit.value),
            )
            .label(format!("looked for `{}`", target.display()))
            .help("paths are relative to the folder of the rule file that names them"),
        );
    }
}

/// Resolves `.` and `..` lexically; `None` if `..` climbs above the start.
fn normalize(path: &FsPath) -> Option<PathBuf> {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                _ => return None,
            },
            other => out.push(other),
        }
    }
    Some(out.iter().collect())
}

/// An inline event is a record as AWS writes it: JSON values only.
fn plain_json(file: FileId, e: &crate::syntax::ast::Expr, diags: &mut Vec<Diagnostic>) {
    use crate::syntax::ast::UnaryOp;
    match &e.kind {
        ExprKind::Lit(_) | ExprKind::Error => {}
        ExprKind::List(items) => items.iter().for_each(|i| plain_json(file, i, diags)),
        ExprKind::Object(fields) => fields.iter().for_each(|(_, v)| plain_json(file, v, diags)),
        ExprKind::Paren(inner) => plain_json(file, inner, diags),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            expr,
        } if matches!(expr.kind, ExprKind::Lit(Lit::Int(_) | Lit::Float(_))) => {}
        // A field or constant name is reported as unknown by the checker.
        ExprKind::Path(_) => {}
        _ => diags.push(
            Diagnostic::new(
                Code::TypeMismatch,
                file,
                e.span,
                "an inline event holds JSON values only",
            )
            .label("not a JSON value")
            .help("write the value itself, as the record would carry it: a string, number, true, false, null, list or object"),
        ),
    }
}

/// The rule an `expect` names, if it is a signal, sequence or guardrail.
fn expected_rule<'a>(
    analysis: &'a Analysis,
    file: FileId,
    rule: &Ident,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'a Symbol> {
    let rules = |tag: ItemTag| {
        matches!(
            tag,
            ItemTag::Signal | ItemTag::Sequence | ItemTag::Guardrail
        )
    };
    match analysis.symbols.get(&rule.name) {
        Some(sym) if rules(sym.tag) => Some(sym),
        Some(sym) => {
            diags.push(super::symbols::wrong_kind(
                file,
                rule,
                sym,
                "a signal, sequence or guardrail",
                "a test expects rules",
            ));
            None
        }
        None => {
            let candidates = analysis
                .symbols
                .iter()
                .filter(|(_, s)| rules(s.tag))
                .map(|(n, _)| n.as_str());
            diags.push(super::suggest::unknown(
                file,
                rule,
                "rule",
                "no signal, sequence or guardrail has this name",
                candidates,
                None,
            ));
            None
        }
    }
}

fn expected_count(file: FileId, c: &CountTest, diags: &mut Vec<Diagnostic>) {
    if let Some(d) = &c.distinct {
        diags.push(
            Diagnostic::new(
                Code::InvalidStep,
                file,
                d.span,
                "`distinct` belongs to sequence steps",
            )
            .label("not allowed in `expect`")
            .help("write `expect RULE count N`"),
        );
    }
    if !matches!(&c.value.kind, ExprKind::Lit(Lit::Int(n)) if n.parse::<u64>().is_ok()) {
        diags.push(
            Diagnostic::new(
                Code::TypeMismatch,
                file,
                c.value.span,
                "an expected count must be a whole number",
            )
            .label("not a count")
            .help("write e.g. `expect my_signal count 2`"),
        );
    }
}

fn expect_wrong_kind(file: FileId, rule: &Ident, what: &ExpectWhat, needs: &str) -> Diagnostic {
    let (span, word) = match what {
        ExpectWhat::Deny { span, .. } => (*span, "deny"),
        ExpectWhat::Steps { span, .. } => (*span, "steps"),
    };
    Diagnostic::new(
        Code::WrongKind,
        file,
        span,
        format!(
            "`expect ...: {word}` needs {needs}, and `{}` is not one",
            rule.name
        ),
    )
    .label(format!("only {needs} has this"))
    .with_label(file, rule.span, "this rule")
    .help(match word {
        "deny" => "expect a signal or sequence with `count`; `deny event N` is for guardrails",
        _ => "expect a signal or guardrail with `count`; `steps [...]` is for sequences",
    })
}

/// Every label of `steps [...]` is a step of the sequence.
fn expected_labels(
    analysis: &Analysis,
    file: FileId,
    rule: &Ident,
    labels: &[Ident],
    diags: &mut Vec<Diagnostic>,
) {
    let Some(block) = analysis
        .files
        .iter()
        .flat_map(|f| f.parsed.file.items.iter())
        .find_map(|i| match &i.kind {
            ItemKind::Block(b) if b.name.name == rule.name => Some(b),
            _ => None,
        })
    else {
        return;
    };
    let mut known: Vec<String> = Vec::new();
    for c in &block.clauses {
        if let ClauseKind::Steps(steps) = &c.kind {
            collect_labels(steps, &mut known);
        }
    }
    for l in labels {
        if !known.contains(&l.name) {
            diags.push(super::suggest::unknown(
                file,
                l,
                "step",
                &format!("sequence `{}` has no step with this label", rule.name),
                known.iter().map(String::as_str),
                None,
            ));
        }
    }
}

fn collect_labels(steps: &[crate::syntax::ast::Step], out: &mut Vec<String>) {
    for s in steps {
        match &s.kind {
            StepKind::Single(single) => out.push(single.label.name.clone()),
            StepKind::Unordered(inner) => collect_labels(inner, out),
            StepKind::Error => {}
        }
    }
}
