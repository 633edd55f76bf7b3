//! The text of an imported policy's guardrails, in `tensen fmt` layout.

use wildmatch::WildMatch;

use super::{Kind, Statement};

/// `text` as a tensen name: letters, digits and `_` (`deny-leave.org` is
/// `deny_leave_org`), never starting with a digit.
pub fn ident(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "p_");
    }
    out
}

/// A tensen string literal holding `text`.
fn quote(text: &str) -> String {
    crate::syntax::format::string_literal(text)
}

/// Text inside a template, with its braces written as text.
fn template_text(text: &str) -> String {
    let quoted = quote(text);
    let inner = quoted.get(1..quoted.len() - 1).unwrap_or("");
    inner.replace('{', "\\{").replace('}', "\\}")
}

/// One value as itself, several as a list.
fn list(items: &[String]) -> String {
    match items {
        [one] => quote(one),
        _ => list_of(items),
    }
}

/// The test of a call's IAM action against a policy's `Action` list, as
/// IAM matches it (any case); `None`: every action.
fn action_test(patterns: &[String]) -> Option<String> {
    if patterns.iter().any(|p| p == "*") {
        return None;
    }
    let table = crate::iam::actions();
    let mut exact: Vec<String> = Vec::new();
    let mut globs: Vec<String> = Vec::new();
    let mut any_case: Vec<String> = Vec::new();
    for p in patterns {
        if !p.contains(['*', '?']) {
            match table.get(p) {
                Some(a) => exact.push(a.name.to_string()),
                None => any_case.push(p.to_lowercase()),
            }
            continue;
        }
        // A pattern keeps its case where matching it in IAM's case finds
        // the same actions as in any case.
        let (cased, uncased) = (WildMatch::new(p), WildMatch::new_case_insensitive(p));
        if table
            .all()
            .iter()
            .all(|a| cased.matches(&a.name) == uncased.matches(&a.name))
        {
            globs.push(p.clone());
        } else {
            any_case.push(p.to_lowercase());
        }
    }
    exact.dedup();
    let mut tests = Vec::new();
    match exact.as_slice() {
        [] => {}
        [one] => tests.push(format!("action == {}", quote(one))),
        _ => tests.push(format!("action in {}", list_of(&exact))),
    }
    if !globs.is_empty() {
        tests.push(format!("action matches {}", list(&globs)));
    }
    if !any_case.is_empty() {
        tests.push(format!("lower(action) matches {}", list(&any_case)));
    }
    Some(match tests.as_slice() {
        [one] => one.clone(),
        _ => format!("({})", tests.join(" or ")),
    })
}

/// Always a list, for `in`.
fn list_of(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|i| quote(i))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// What makes the statement apply to a call.
fn applies(st: &Statement) -> String {
    let mut parts = Vec::new();
    match (action_test(&st.actions), st.negated) {
        (Some(t), false) => parts.push(t),
        (Some(t), true) => parts.push(format!("not {t}")),
        (None, true) => parts.push("not (action matches \"*\")".to_string()),
        (None, false) => {}
    }
    for (op, key, values) in &st.conditions {
        parts.push(format!(
            "condition({}, {}, {})",
            quote(op),
            quote(key),
            list(values)
        ));
    }
    if parts.is_empty() {
        return "action matches \"*\"".to_string();
    }
    parts.join("\n        and ")
}

/// One guardrail's text.
fn guardrail(
    kind: Kind,
    name: &str,
    docs: &[String],
    title: &str,
    deny: &str,
    why: &str,
) -> String {
    let scope = match kind {
        Kind::Scp => "principal",
        Kind::Rcp => "resource",
    };
    let mut out = String::new();
    for d in docs {
        out.push_str(&format!("/// {d}\n"));
    }
    out.push_str(&format!("guardrail {name} on cloudtrail {{\n"));
    out.push_str(&format!("    title {}\n", quote(title)));
    out.push_str(&format!("    scope {scope}\n"));
    out.push_str(&format!("    deny when {deny}\n"));
    out.push_str(&format!(
        "    message \"{{action}} by {{userIdentity.arn}} in {{awsRegion}}: {}\"\n",
        template_text(why)
    ));
    out.push_str("}\n");
    out
}

/// The guardrails of a policy's statements, named after `stem`.
/// `total` counts the statements read, those that allow everything too.
pub(super) fn guardrails(
    kind: Kind,
    stem: &str,
    file: &str,
    statements: &[Statement],
    total: usize,
) -> String {
    let what = match kind {
        Kind::Scp => "SCP",
        Kind::Rcp => "RCP",
    };
    let base = ident(stem);
    let denies: Vec<&Statement> = statements.iter().filter(|s| s.deny).collect();
    // An `Allow` of everything (dropped when read) leaves no allow list.
    let allows: Vec<&Statement> = if statements.len() < total {
        Vec::new()
    } else {
        statements.iter().filter(|s| !s.deny).collect()
    };
    let count = denies.len() + usize::from(!allows.is_empty());
    let mut used: Vec<String> = Vec::new();
    let mut name_for = |part: String| {
        let mut name = if count == 1 {
            base.clone()
        } else {
            format!("{base}__{part}")
        };
        let first = name.clone();
        let mut n = 2;
        while used.contains(&name) {
            name = format!("{first}_{n}");
            n += 1;
        }
        used.push(name.clone());
        name
    };
    let mut out = format!(
        "// Imported by `tensen import {}` from `{file}`.\n",
        what.to_lowercase()
    );
    if count == 0 {
        out.push_str("// It denies nothing: every statement allows every action.\n");
    }
    for (i, st) in statements.iter().enumerate().filter(|(_, s)| s.deny) {
        let part = st.sid.as_deref().map_or_else(|| format!("s{i}"), ident);
        let label = st.sid.clone().unwrap_or_else(|| format!("statement {i}"));
        let docs = vec![
            format!("{what} `{file}`, {}:", st.at),
            String::new(),
            format!("    {}", st.json),
        ];
        let why = format!("denied by {label} of {file}");
        out.push('\n');
        out.push_str(&guardrail(
            kind,
            &name_for(part),
            &docs,
            &label,
            &applies(st),
            &why,
        ));
    }
    if !allows.is_empty() {
        let allowed: Vec<String> = allows.iter().map(|s| format!("({})", applies(s))).collect();
        let mut docs = vec![
            format!("{what} `{file}`: its `Allow` statements are an allow list; a call none of them allows is denied."),
            String::new(),
        ];
        docs.extend(allows.iter().map(|s| format!("    {}", s.json)));
        let deny = format!("not ({})", allowed.join("\n        or "));
        let why = format!("allowed by no statement of {file}");
        out.push('\n');
        out.push_str(&guardrail(
            kind,
            &name_for("allowed".into()),
            &docs,
            "Allow list",
            &deny,
            &why,
        ));
    }
    crate::syntax::format::format_source(&out).unwrap_or(out)
}
