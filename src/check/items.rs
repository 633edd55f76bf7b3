//! Checks each item: which clauses it takes, how often, which it needs, and
//! every expression in them in the right scope. Sources become schemas here.

use std::collections::BTreeMap;

use super::attack::{is_tactic, is_technique_id, level, MAX_SEVERITY, MIN_SEVERITY, TACTICS};
use super::diagnostic::{Code, Diagnostic, FileId};
use super::expr::{ExprChecker, Scope};
use super::model::Model;
use super::schema::Schema;
use super::suggest::did_you_mean;
use super::{sequence, Analysis, Sources};
use crate::syntax::ast::{
    Block, BlockKind, Clause, ClauseKind, Expr, ExprKind, Ident, ItemKind, Lit, StrLit,
};
use crate::syntax::template::{parse_template, TemplateError, TemplatePart};
use crate::syntax::Span;

/// How often a clause may appear in an item, and whether it must.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rule {
    Once,
    Required,
    Many,
}

fn clause_rules(kind: BlockKind) -> &'static [(&'static str, Rule)] {
    use Rule::*;
    match kind {
        BlockKind::Source => &[
            ("recognize", Required),
            ("time", Required),
            ("field", Many),
            ("derive", Many),
        ],
        BlockKind::Signal => &[
            ("title", Once),
            ("severity", Once),
            ("tactic", Once),
            ("technique", Once),
            ("report", Once),
            ("when", Required),
            ("entity", Many),
            ("summary", Once),
        ],
        BlockKind::Sequence => &[
            ("title", Once),
            ("severity", Once),
            ("tactic", Once),
            ("technique", Once),
            ("report", Once),
            ("by", Required),
            ("within", Required),
            ("steps", Required),
            ("until", Once),
            ("summary", Once),
        ],
        BlockKind::Guardrail => &[
            ("title", Once),
            ("severity", Once),
            ("scope", Required),
            ("deny when", Many),
            ("except", Many),
            ("applies", Once),
            ("require", Once),
            ("message", Once),
        ],
    }
}

const TEST_RULES: &[(&str, Rule)] = &[
    ("input", Rule::Many),
    ("event", Rule::Many),
    ("expect", Rule::Many),
];

/// Reports misplaced, repeated and missing clauses.
fn check_clause_set(
    file: FileId,
    what: &str,
    header: Span,
    rules: &[(&str, Rule)],
    clauses: &[Clause],
    diags: &mut Vec<Diagnostic>,
) {
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for clause in clauses {
        if matches!(clause.kind, ClauseKind::Error) {
            continue;
        }
        let kw = clause.kind.keyword();
        let Some((_, rule)) = rules.iter().find(|(k, _)| *k == kw) else {
            let allowed: Vec<String> = rules.iter().map(|(k, _)| format!("`{k}`")).collect();
            diags.push(
                Diagnostic::new(
                    Code::MisplacedClause,
                    file,
                    clause.span,
                    format!("`{kw}` is not a clause of {what}"),
                )
                .label("not allowed here")
                .help(format!("{what} takes {}", allowed.join(", "))),
            );
            continue;
        };
        if let Some(first) = seen.get(kw) {
            if *rule != Rule::Many {
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateClause,
                        file,
                        clause.span,
                        format!("`{kw}` appears twice"),
                    )
                    .label("repeated here")
                    .with_label(file, *first, "first here")
                    .help(
                        if kw == "when" || kw == "deny when" || kw == "require" {
                            format!("join the conditions into one `{kw}` with `and` or `or`")
                        } else {
                            format!("keep one `{kw}`")
                        },
                    ),
                );
            }
        } else {
            seen.insert(kw, clause.span);
        }
    }
    for (kw, rule) in rules {
        if *rule == Rule::Required && !seen.contains_key(kw) {
            diags.push(
                Diagnostic::new(
                    Code::MissingClause,
                    file,
                    header,
                    format!("{what} has no `{kw}` clause"),
                )
                .label(format!("needs `{kw}`"))
                .help(missing_help(kw)),
            );
        }
    }
}

fn missing_help(kw: &str) -> String {
    match kw {
        "when" => "add `when CONDITION`, e.g. `when eventName == \"ConsoleLogin\"`".into(),
        "by" => "add `by ENTITY`: the entity every step shares, e.g. `by principal`".into(),
        "within" => "add `within DURATION`, e.g. `within 24h`".into(),
        "steps" => "add `steps { label: signal ... }`".into(),
        "scope" => "add `scope principal`, `scope resource` or `scope baseline`".into(),
        "recognize" => "add `recognize CONDITION` that tells this source's records apart".into(),
        "time" => "add `time PATH`: the field that holds the record's time".into(),
        "deny when" => "add `deny when CONDITION`".into(),
        "require" => "add `require CONDITION`: the configuration every resource must have".into(),
        other => format!("add `{other}`"),
    }
}

/// Checks every item of every user file (the prelude is checked too).
pub fn check_items(
    analysis: &Analysis,
    sources: &Sources,
    diags: &mut Vec<Diagnostic>,
    model: &mut Model,
) {
    for pf in &analysis.files {
        for item in &pf.parsed.file.items {
            match &item.kind {
                ItemKind::Block(b) => check_block(analysis, pf.id, b, item.span, diags, model),
                ItemKind::Test { name, clauses } => {
                    super::tests::check_test(analysis, sources, pf.id, name, clauses, diags, model)
                }
                ItemKind::Let { name, .. } => {
                    for schema in analysis.schemas.values() {
                        if schema.root.children.contains_key(&name.name)
                            || schema.derived.contains_key(&name.name)
                        {
                            diags.push(
                                Diagnostic::new(
                                    Code::ShadowedField,
                                    pf.id,
                                    name.span,
                                    format!(
                                        "constant `{}` hides field `{}` of source `{}`",
                                        name.name, name.name, schema.name
                                    ),
                                )
                                .label("rules will see the constant, not the field")
                                .help("rename the constant"),
                            );
                            break;
                        }
                    }
                }
                ItemKind::Error => {}
            }
        }
    }
}

fn check_block(
    analysis: &Analysis,
    file: FileId,
    b: &Block,
    span: Span,
    diags: &mut Vec<Diagnostic>,
    model: &mut Model,
) {
    let what = format!("a {}", b.kind.keyword());
    let header = b.keyword_span.to(b.name.span);
    check_clause_set(file, &what, header, clause_rules(b.kind), &b.clauses, diags);
    let _ = span;
    // `on SOURCE`: signals and guardrails need it, sequences must not have it.
    let schema = match (&b.on, b.kind) {
        (Some(on), BlockKind::Sequence | BlockKind::Source) => {
            diags.push(
                Diagnostic::new(
                    Code::MissingSource,
                    file,
                    on.span,
                    format!("{what} does not take `on`"),
                )
                .label("remove this")
                .help(if b.kind == BlockKind::Sequence {
                    "a sequence reads signals, which name their own sources"
                } else {
                    "a source is itself a record format"
                }),
            );
            None
        }
        (None, BlockKind::Signal | BlockKind::Guardrail) => {
            diags.push(
                Diagnostic::new(
                    Code::MissingSource,
                    file,
                    b.name.span,
                    format!("{what} needs a source"),
                )
                .label("which records does it read?")
                .help(format!(
                    "write `{} {} on cloudtrail {{ ... }}` (see `tensen schema` for the sources)",
                    b.kind.keyword(),
                    b.name.name
                )),
            );
            None
        }
        (Some(on), _) => resolve_source(analysis, file, on, diags),
        (None, _) => None,
    };
    match b.kind {
        BlockKind::Source => {
            if let Some(schema) = analysis.schemas.get(&b.name.name) {
                check_record_clauses(analysis, file, b, schema, None, diags, model);
            }
        }
        BlockKind::Signal | BlockKind::Guardrail => {
            let entities: Vec<String> = b
                .clauses
                .iter()
                .filter_map(|c| match &c.kind {
                    ClauseKind::Entity { name, .. } => Some(name.name.clone()),
                    _ => None,
                })
                .collect();
            check_entities_unique(file, b, diags);
            if let Some(schema) = schema {
                check_record_clauses(analysis, file, b, schema, Some(&entities), diags, model);
            }
            if b.kind == BlockKind::Guardrail {
                check_scope(file, b, diags);
            }
        }
        BlockKind::Sequence => sequence::check_sequence(analysis, file, b, diags, model),
    }
    check_metadata(analysis, file, b, diags);
}

fn resolve_source<'a>(
    analysis: &'a Analysis,
    file: FileId,
    on: &Ident,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'a Schema> {
    if let Some(schema) = analysis.schemas.get(&on.name) {
        return Some(schema);
    }
    if let Some(sym) = analysis.symbols.get(&on.name) {
        diags.push(super::symbols::wrong_kind(
            file,
            on,
            sym,
            "a source",
            "not a source",
        ));
        return None;
    }
    let all: Vec<String> = analysis.schemas.keys().map(|s| format!("`{s}`")).collect();
    diags.push(super::suggest::unknown(
        file,
        on,
        "source",
        "no source has this name",
        analysis.schemas.keys().map(String::as_str),
        Some(format!("the sources are {}", all.join(", "))),
    ));
    None
}

fn check_entities_unique(file: FileId, b: &Block, diags: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for c in &b.clauses {
        if let ClauseKind::Entity { name, .. } = &c.kind {
            if let Some(first) = seen.get(name.name.as_str()) {
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateClause,
                        file,
                        name.span,
                        format!("entity `{}` is declared twice", name.name),
                    )
                    .label("again here")
                    .with_label(file, *first, "first here"),
                );
            } else {
                seen.insert(&name.name, name.span);
            }
        }
    }
}

fn check_scope(file: FileId, b: &Block, diags: &mut Vec<Diagnostic>) {
    let scope = b.clauses.iter().find_map(|c| match &c.kind {
        ClauseKind::Scope(s) => Some(s),
        _ => None,
    });
    let Some(scope) = scope else { return };
    let has = |kw: &str| b.clauses.iter().find(|c| c.kind.keyword() == kw);
    match scope.name.as_str() {
        "principal" | "resource" => {
            if has("deny when").is_none() {
                diags.push(
                    Diagnostic::new(
                        Code::MissingClause,
                        file,
                        b.name.span,
                        format!(
                            "a `scope {}` guardrail has no `deny when` clause",
                            scope.name
                        ),
                    )
                    .label("needs `deny when`")
                    .help(missing_help("deny when")),
                );
            }
            // Each `except` excepts the `deny when` before it.
            let first_deny = b
                .clauses
                .iter()
                .position(|c| c.kind.keyword() == "deny when");
            for (i, c) in b.clauses.iter().enumerate() {
                if c.kind.keyword() == "except" && first_deny.is_some_and(|d| i < d) {
                    diags.push(
                        Diagnostic::new(
                            Code::MisplacedClause,
                            file,
                            c.span,
                            "an `except` before any `deny when`",
                        )
                        .label("excepts nothing")
                        .help("write each `except` after the `deny when` it makes an exception to"),
                    );
                }
            }
            for kw in ["applies", "require"] {
                if let Some(c) = has(kw) {
                    diags.push(
                        Diagnostic::new(
                            Code::MisplacedClause,
                            file,
                            c.span,
                            format!("`{kw}` belongs to `scope baseline` guardrails"),
                        )
                        .label("not allowed with this scope")
                        .with_label(file, scope.span, format!("scope is `{}`", scope.name))
                        .help("a principal or resource guardrail uses `deny when` and `except`"),
                    );
                }
            }
        }
        "baseline" => {
            if has("require").is_none() {
                diags.push(
                    Diagnostic::new(
                        Code::MissingClause,
                        file,
                        b.name.span,
                        "a `scope baseline` guardrail has no `require` clause",
                    )
                    .label("needs `require`")
                    .help(missing_help("require")),
                );
            }
            for kw in ["deny when", "except"] {
                if let Some(c) = has(kw) {
                    diags.push(
                        Diagnostic::new(Code::MisplacedClause, file, c.span, format!("`{kw}` belongs to `scope principal` and `scope resource` guardrails"))
                            .label("not allowed with this scope")
                            .with_label(file, scope.span, "scope is `baseline`")
                            .help("a baseline guardrail uses `applies` and `require`"),
                    );
                }
            }
        }
        other => {
            let mut d = Diagnostic::new(
                Code::UnknownName,
                file,
                scope.span,
                format!("unknown scope `{other}`"),
            )
            .label("not a scope");
            d = d.help(did_you_mean(other, ["principal", "resource", "baseline"]).unwrap_or_else(|| "the scopes are `principal` (SCP-like), `resource` (RCP-like) and `baseline` (declarative)".into()));
            diags.push(d);
        }
    }
}

/// Checks the expressions of a signal, guardrail or source over its records.
fn check_record_clauses(
    analysis: &Analysis,
    file: FileId,
    b: &Block,
    schema: &Schema,
    entities: Option<&[String]>,
    diags: &mut Vec<Diagnostic>,
    model: &mut Model,
) {
    let mut checker = ExprChecker {
        file,
        lets: &analysis.lets,
        scope: Scope::Record {
            schema,
            entities: None,
        },
        in_template: false,
        diags,
        model,
        bound: Vec::new(),
    };
    for clause in &b.clauses {
        match &clause.kind {
            ClauseKind::When(e)
            | ClauseKind::Deny(e)
            | ClauseKind::Except(e)
            | ClauseKind::Applies(e)
            | ClauseKind::Require(e)
            | ClauseKind::Recognize(e) => {
                checker.condition(e, clause.kind.keyword());
            }
            ClauseKind::Entity { value, .. } => {
                checker.infer(value);
            }
            ClauseKind::Derive { value, .. } => match &value.kind {
                // A string in a `derive` is a template over the record.
                ExprKind::Lit(Lit::Str(s)) => {
                    checker.in_template = true;
                    check_template(&mut checker, s);
                    checker.in_template = false;
                }
                _ => {
                    checker.infer(value);
                }
            },
            ClauseKind::Severity {
                computed: true,
                value,
            } => checker.severity_from(
                value,
                Some("GuardDuty's `severity` field is a number from 1.0 to 10.0"),
            ),
            ClauseKind::Time(path) => {
                let expr = Expr::new(ExprKind::Path(path.clone()), path.span);
                checker.infer(&expr);
            }
            _ => {}
        }
    }
    let mut checker = ExprChecker {
        file,
        lets: &analysis.lets,
        scope: Scope::Record { schema, entities },
        in_template: true,
        diags: checker.diags,
        model: checker.model,
        bound: Vec::new(),
    };
    for clause in &b.clauses {
        if let ClauseKind::Title(s) | ClauseKind::Summary(s) | ClauseKind::Message(s) = &clause.kind
        {
            check_template(&mut checker, s);
        }
    }
}

/// Parses a template and checks each interpolation with `checker`.
pub fn check_template(checker: &mut ExprChecker<'_>, lit: &StrLit) {
    let (template, errors) = parse_template(lit);
    for err in errors {
        let d = match err {
            TemplateError::Unclosed { span } => Diagnostic::new(
                Code::TemplateSyntax,
                checker.file,
                span,
                "unclosed `{` in template",
            )
            .label("no matching `}`")
            .help("close it with `}`, or write `\\{` for a literal brace"),
            TemplateError::Empty { span } => Diagnostic::new(
                Code::TemplateSyntax,
                checker.file,
                span,
                "empty `{}` in template",
            )
            .label("nothing to show")
            .help("name a value inside, e.g. `{eventName}`, or write `\\{\\}` for literal braces"),
            TemplateError::Syntax(e) => {
                let mut d = super::syntax_errors::syntax_diagnostic(checker.file, &e);
                d.code = Code::TemplateSyntax;
                d
            }
        };
        checker.diags.push(d);
    }
    for part in &template.parts {
        if let TemplatePart::Value(e) = part {
            checker.infer(e);
        }
    }
    checker
        .model
        .keep_template(checker.file, lit.span, template);
}

/// Title, severity, tactic, technique, report: shared by signals, sequences
/// and guardrails.
fn check_metadata(analysis: &Analysis, file: FileId, b: &Block, diags: &mut Vec<Diagnostic>) {
    let _ = analysis;
    for clause in &b.clauses {
        match &clause.kind {
            ClauseKind::Severity {
                computed: false,
                value,
            } => check_severity_const(file, value, diags),
            ClauseKind::Tactic(names) if names.is_empty() => {
                diags.push(
                    Diagnostic::new(
                        Code::UnknownTactic,
                        file,
                        Span::new(clause.span.start, clause.span.start + "tactic".len()),
                        "`tactic` names no tactic",
                    )
                    .label("empty")
                    .help("write e.g. `tactic initial_access`"),
                );
            }
            ClauseKind::Technique(ids) if ids.is_empty() => {
                diags.push(
                    Diagnostic::new(
                        Code::MalformedTechnique,
                        file,
                        Span::new(clause.span.start, clause.span.start + "technique".len()),
                        "`technique` names no technique",
                    )
                    .label("empty")
                    .help("write e.g. `technique \"T1078.004\"`"),
                );
            }
            ClauseKind::Tactic(names) => {
                for t in names {
                    if !is_tactic(&t.name) {
                        let mut d = Diagnostic::new(
                            Code::UnknownTactic,
                            file,
                            t.span,
                            format!("unknown tactic `{}`", t.name),
                        )
                        .label("not a MITRE ATT&CK enterprise tactic");
                        let normalized = t.name.to_lowercase().replace(['-', ' '], "_");
                        d = d.help(if is_tactic(&normalized) {
                            format!("write it as `{normalized}`")
                        } else {
                            did_you_mean(&t.name, TACTICS.iter().map(|(n, _, _)| *n))
                                .unwrap_or_else(|| {
                                    format!(
                                        "the tactics are {}",
                                        TACTICS
                                            .iter()
                                            .map(|(n, _, _)| format!("`{n}`"))
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    )
                                })
                        });
                        diags.push(d);
                    }
                }
            }
            ClauseKind::Technique(ids) => {
                for id in ids {
                    if !is_technique_id(&id.value) {
                        diags.push(
                            Diagnostic::new(
                                Code::MalformedTechnique,
                                file,
                                id.span,
                                format!("malformed technique id `{}`", id.value),
                            )
                            .label("not `T` and four digits, with an optional `.` and three digits")
                            .help("write e.g. `\"T1078\"` or `\"T1078.004\"`"),
                        );
                    }
                }
            }
            ClauseKind::Report(e) if !matches!(e.kind, ExprKind::Lit(Lit::Bool(_))) => {
                diags.push(Diagnostic::new(Code::TypeMismatch, file, e.span, "`report` takes `true` or `false`").label("not a boolean literal").help("`report false` makes a building block that feeds sequences but is not reported alone"));
            }
            _ => {}
        }
    }
}

fn check_severity_const(file: FileId, value: &Expr, diags: &mut Vec<Diagnostic>) {
    let out_of_range = |v: f64| !(MIN_SEVERITY..=MAX_SEVERITY).contains(&v);
    let number = match &value.kind {
        ExprKind::Lit(Lit::Int(n) | Lit::Float(n)) => n.parse::<f64>().ok(),
        ExprKind::Path(p) if p.segments.len() == 1 => {
            let name = super::expr::path_prefix_text(p, 1);
            if level(&name).is_some() {
                return;
            }
            let mut d = Diagnostic::new(
                Code::SeverityRange,
                file,
                value.span,
                format!("unknown severity `{name}`"),
            )
            .label("not a level");
            d = d.help(did_you_mean(&name, ["low", "medium", "high", "critical"]).unwrap_or_else(|| {
                "write `low`, `medium`, `high`, `critical` or a number from 1.0 to 10.0; to read it from the record, write `severity from FIELD`".into()
            }));
            diags.push(d);
            return;
        }
        _ => None,
    };
    match number {
        Some(v) if !out_of_range(v) => {}
        Some(_) => diags.push(
            Diagnostic::new(Code::SeverityRange, file, value.span, "severity out of range")
                .label("not between 1.0 and 10.0")
                .help("severities use GuardDuty's scale from 1.0 to 10.0; `critical` is 9.0"),
        ),
        None => diags.push(
            Diagnostic::new(Code::SeverityRange, file, value.span, "severity must be a level or a number")
                .label("not a constant severity")
                .help("write `low`, `medium`, `high`, `critical` or a number from 1.0 to 10.0, or `severity from EXPR` to compute it"),
        ),
    }
}

pub(super) fn check_test_clauses(
    file: FileId,
    header: Span,
    clauses: &[Clause],
    diags: &mut Vec<Diagnostic>,
) {
    check_clause_set(file, "a test", header, TEST_RULES, clauses, diags);
}
