//! Checks sequences: steps, join entities, counts, windows, templates.

use std::collections::{BTreeMap, BTreeSet};

use super::diagnostic::{Code, Diagnostic, FileId};
use super::expr::{ExprChecker, Scope, SequenceScope};
use super::items::check_template;
use super::model::Model;
use super::symbols::ItemTag;
use super::types::Ty;
use super::Analysis;
use crate::syntax::ast::{
    Block, ClauseKind, CmpOp, CountTest, ExprKind, Ident, ItemKind, Lit, SingleStep, Step,
    StepKind, StepMode,
};

pub fn check_sequence(
    analysis: &Analysis,
    file: FileId,
    b: &Block,
    diags: &mut Vec<Diagnostic>,
    model: &mut Model,
) {
    let key = b.clauses.iter().find_map(|c| match &c.kind {
        ClauseKind::By(k) => Some(k),
        _ => None,
    });
    let mut scope = SequenceScope {
        key: key.map(|k| k.name.as_str()).unwrap_or(""),
        steps: BTreeMap::new(),
    };
    let mut labels: BTreeMap<&str, &Ident> = BTreeMap::new();
    for clause in &b.clauses {
        match &clause.kind {
            ClauseKind::Within(e) => {
                constant_checker(analysis, file, diags, model).duration(e, "within")
            }
            ClauseKind::Steps(steps) => {
                let mut ctx = StepCtx {
                    analysis,
                    file,
                    seq: b,
                    key,
                    labels: &mut labels,
                    scope: &mut scope,
                    diags,
                    model,
                    first: true,
                };
                for step in steps {
                    ctx.step(step);
                }
                if steps.is_empty() {
                    diags.push(
                        Diagnostic::new(
                            Code::MissingClause,
                            file,
                            clause.span,
                            "a sequence needs at least one step",
                        )
                        .label("no steps")
                        .help("add steps such as `login: console_login`"),
                    );
                }
            }
            ClauseKind::Until(names) => {
                for name in names {
                    if resolve_signal(analysis, file, b, name, diags) {
                        if let Some(k) = key {
                            check_entity(analysis, file, name, k, "until", diags);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut checker = ExprChecker {
        file,
        lets: &analysis.lets,
        scope: Scope::Sequence(&scope),
        in_template: true,
        diags,
        model,
        bound: Vec::new(),
    };
    for clause in &b.clauses {
        match &clause.kind {
            ClauseKind::Title(s) | ClauseKind::Summary(s) => check_template(&mut checker, s),
            ClauseKind::Severity {
                computed: true,
                value,
            } => checker.severity_from(value, None),
            _ => {}
        }
    }
}

pub(super) fn constant_checker<'a>(
    analysis: &'a Analysis,
    file: FileId,
    diags: &'a mut Vec<Diagnostic>,
    model: &'a mut Model,
) -> ExprChecker<'a> {
    ExprChecker {
        file,
        lets: &analysis.lets,
        scope: Scope::Constant,
        in_template: false,
        diags,
        model,
        bound: Vec::new(),
    }
}

/// Steps in one `unordered` group: the matcher follows every subset.
const MAX_GROUP: usize = 8;

struct StepCtx<'a, 'b> {
    analysis: &'a Analysis,
    file: FileId,
    seq: &'a Block,
    key: Option<&'a Ident>,
    labels: &'b mut BTreeMap<&'a str, &'a Ident>,
    scope: &'b mut SequenceScope<'a>,
    diags: &'b mut Vec<Diagnostic>,
    model: &'b mut Model,
    first: bool,
}

impl<'a> StepCtx<'a, '_> {
    fn step(&mut self, step: &'a Step) {
        match &step.kind {
            StepKind::Error => {}
            StepKind::Unordered(inner) => {
                if inner.len() < 2 {
                    self.diags.push(
                        Diagnostic::new(
                            Code::InvalidStep,
                            self.file,
                            step.span,
                            "an `unordered` group needs at least two steps",
                        )
                        .label("nothing to reorder")
                        .help("list the steps that may come in any order inside the braces"),
                    );
                }
                if inner.len() > MAX_GROUP {
                    self.diags.push(
                        Diagnostic::new(
                            Code::InvalidStep,
                            self.file,
                            step.span,
                            format!(
                                "an `unordered` group holds at most {MAX_GROUP} steps, not {}",
                                inner.len()
                            ),
                        )
                        .label("too many orders to follow")
                        .help("split the group: the steps that really may come in any order together, the rest in order around them"),
                    );
                }
                for s in inner {
                    self.group_member(s);
                    self.step(s);
                }
                self.first = false;
            }
            StepKind::Single(single) => {
                self.single(single);
                self.first = false;
            }
        }
    }

    /// What a step inside an `unordered` group cannot be.
    fn group_member(&mut self, s: &Step) {
        let (span, message, label, help) = match &s.kind {
            StepKind::Unordered(_) => (
                s.span,
                "`unordered` groups do not nest",
                "a group inside a group",
                "list all the steps that may come in any order in one group",
            ),
            StepKind::Single(single) if single.mode == StepMode::Absent => (
                single.label.span,
                "an `absent` step cannot be inside an `unordered` group",
                "absent after which step?",
                "put it after the group: an absence is waited out after the step before it",
            ),
            _ => return,
        };
        self.diags.push(
            Diagnostic::new(Code::InvalidStep, self.file, span, message)
                .label(label)
                .help(help),
        );
    }

    fn single(&mut self, s: &'a SingleStep) {
        let file = self.file;
        if let Some(first) = self.labels.get(s.label.name.as_str()) {
            self.diags.push(
                Diagnostic::new(
                    Code::DuplicateItem,
                    file,
                    s.label.span,
                    format!("step `{}` is defined twice", s.label.name),
                )
                .label("again here")
                .with_label(file, first.span, "first here")
                .help("give each step its own label"),
            );
        } else {
            self.labels.insert(&s.label.name, &s.label);
        }
        let join = s.by.as_ref().or(self.key);
        let mut entities: BTreeSet<String> = BTreeSet::new();
        for name in &s.signals {
            if !resolve_signal(self.analysis, file, self.seq, name, self.diags) {
                continue;
            }
            if let Some(j) = join {
                check_entity(self.analysis, file, name, j, &s.label.name, self.diags);
            }
            if let Some(facts) = self.analysis.facts.get(&name.name) {
                entities.extend(facts.entities.iter().cloned());
            }
        }
        if let Some(count) = &s.count {
            self.count(s, count);
        }
        if let Some(w) = &s.within {
            constant_checker(self.analysis, file, self.diags, self.model).duration(w, "within");
            if s.count.is_none() && s.mode != StepMode::Absent {
                self.diags.push(Diagnostic::new(Code::InvalidStep, file, w.span, "`within` on a step needs `count`").label("a window for what?").help("write `count >= N within D` for a threshold, or `absent label: signal within D` for an absence; the sequence's own `within` bounds the whole match"));
            }
        }
        match s.mode {
            StepMode::Absent if s.within.is_none() => {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidStep,
                        file,
                        s.label.span,
                        "an `absent` step needs `within`",
                    )
                    .label("absent for how long?")
                    .help(format!("write `absent {}: ... within 10m`", s.label.name)),
                );
            }
            StepMode::Absent | StepMode::Optional if self.first => {
                let word = if s.mode == StepMode::Absent {
                    "absent"
                } else {
                    "optional"
                };
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidStep,
                        file,
                        s.label.span,
                        format!("the first step cannot be `{word}`"),
                    )
                    .label("nothing before it")
                    .help("a sequence starts with a step that happened"),
                );
            }
            _ => {}
        }
        if s.mode != StepMode::Absent {
            self.scope.steps.insert(&s.label.name, entities);
        }
    }

    fn count(&mut self, s: &SingleStep, count: &CountTest) {
        let file = self.file;
        if !matches!(count.op, Some(CmpOp::Ge | CmpOp::Gt)) {
            let shown = count.op.map(CmpOp::symbol).unwrap_or("no operator");
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidStep,
                    file,
                    count.span,
                    match count.op {
                        Some(_) => format!("a step's count takes `>=` or `>`, not `{shown}`"),
                        None => "a step's count needs `>=` or `>`".to_string(),
                    },
                )
                .label("a threshold is reached, not matched exactly")
                .help("write e.g. `count >= 20 within 10m`"),
            );
        }
        match &count.value.kind {
            ExprKind::Lit(Lit::Int(n)) if n.parse::<u64>().is_ok_and(|v| v >= 1) => {}
            _ => {
                let ty = constant_checker(self.analysis, file, self.diags, self.model)
                    .infer(&count.value);
                if !matches!(count.value.kind, ExprKind::Path(_))
                    || !matches!(ty, Ty::Number | Ty::Any)
                {
                    self.diags.push(
                        Diagnostic::new(
                            Code::InvalidStep,
                            file,
                            count.value.span,
                            "a count threshold must be a whole number of at least 1",
                        )
                        .label("not a count")
                        .help("write e.g. `count >= 20`"),
                    );
                }
            }
        }
        if let Some(d) = &count.distinct {
            for name in &s.signals {
                if self
                    .analysis
                    .facts
                    .get(&name.name)
                    .is_some_and(|f| !f.entities.contains(&d.name))
                {
                    check_entity(self.analysis, file, name, d, "count distinct", self.diags);
                }
            }
        }
    }
}

/// Whether `name` is a signal or sequence (reported otherwise).
fn resolve_signal(
    analysis: &Analysis,
    file: FileId,
    seq: &Block,
    name: &Ident,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    match analysis.symbols.get(&name.name) {
        Some(sym) if matches!(sym.tag, ItemTag::Signal | ItemTag::Sequence) => {
            if sym.tag == ItemTag::Sequence
                && reaches(analysis, &name.name, &seq.name.name, &mut BTreeSet::new())
            {
                diags.push(Diagnostic::new(Code::Cycle, file, name.span, format!("sequence `{}` contains itself", seq.name.name)).label(format!("`{}` leads back to `{}`", name.name, seq.name.name)).help("a sequence's steps cannot include the sequence itself, directly or through others"));
                return false;
            }
            true
        }
        Some(sym) => {
            diags.push(super::symbols::wrong_kind(
                file,
                name,
                sym,
                "a signal",
                "steps take signals or sequences",
            ));
            false
        }
        None => {
            let candidates = analysis
                .symbols
                .iter()
                .filter(|(_, s)| matches!(s.tag, ItemTag::Signal | ItemTag::Sequence))
                .map(|(n, _)| n.as_str());
            diags.push(super::suggest::unknown(
                file,
                name,
                "signal",
                "no signal or sequence has this name",
                candidates,
                Some(format!(
                    "define it with `signal {} on SOURCE {{ ... }}`",
                    name.name
                )),
            ));
            false
        }
    }
}

/// Whether sequence `from` reaches sequence `target` through its steps.
fn reaches(analysis: &Analysis, from: &str, target: &str, seen: &mut BTreeSet<String>) -> bool {
    if from == target {
        return true;
    }
    if !seen.insert(from.to_string()) {
        return false;
    }
    let Some(sym) = analysis.symbols.get(from) else {
        return false;
    };
    let Some(item) = analysis
        .file(sym.file)
        .and_then(|f| f.parsed.file.items.get(sym.item))
    else {
        return false;
    };
    let ItemKind::Block(b) = &item.kind else {
        return false;
    };
    let mut names = Vec::new();
    for c in &b.clauses {
        if let ClauseKind::Steps(steps) = &c.kind {
            collect_step_signals(steps, &mut names);
        }
    }
    names.iter().any(|n| {
        analysis
            .symbols
            .get(*n)
            .is_some_and(|s| s.tag == ItemTag::Sequence)
            && reaches(analysis, n, target, seen)
    })
}

fn collect_step_signals<'a>(steps: &'a [Step], out: &mut Vec<&'a str>) {
    for s in steps {
        match &s.kind {
            StepKind::Single(single) => out.extend(single.signals.iter().map(|i| i.name.as_str())),
            StepKind::Unordered(inner) => collect_step_signals(inner, out),
            StepKind::Error => {}
        }
    }
}

/// Reports a signal that does not declare the entity a step joins on.
fn check_entity(
    analysis: &Analysis,
    file: FileId,
    signal: &Ident,
    entity: &Ident,
    step: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(facts) = analysis.facts.get(&signal.name) else {
        return;
    };
    if facts.entities.contains(&entity.name) {
        return;
    }
    let is_sequence = analysis
        .symbols
        .get(&signal.name)
        .is_some_and(|s| s.tag == ItemTag::Sequence);
    let mut d = Diagnostic::new(
        Code::EntityNotDeclared,
        file,
        signal.span,
        format!(
            "`{}` does not declare entity `{}`",
            signal.name, entity.name
        ),
    )
    .label(format!("used in `{step}`, which needs `{}`", entity.name))
    .with_label(file, entity.span, "the entity is chosen here");
    if let Some(sym) = analysis.symbols.get(&signal.name) {
        d = d.with_label(
            sym.file,
            sym.name_span,
            format!("`{}` is defined here", signal.name),
        );
    }
    let declared: Vec<String> = facts.entities.iter().map(|e| format!("`{e}`")).collect();
    d = d.help(if is_sequence {
        format!(
            "sequence `{}` is keyed by {}; join this step with `by` on that",
            signal.name,
            declared.join(", ")
        )
    } else if declared.is_empty() {
        format!("add `entity {} = FIELD` to `{}`", entity.name, signal.name)
    } else {
        format!(
            "add `entity {} = FIELD` to `{}`, or join this step on one it declares ({}) with `by`",
            entity.name,
            signal.name,
            declared.join(", ")
        )
    });
    diags.push(d);
}
