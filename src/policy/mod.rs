//! AWS policy documents as guardrails: `tensen import scp|rcp` turns a
//! service or resource control policy into the guardrails that preview it,
//! statement by statement, and refuses what a preview over CloudTrail
//! cannot express.
//!
//! A `Deny` statement becomes a guardrail that denies when the call's IAM
//! `action` matches the statement's `Action` (or not its `NotAction`) and
//! every `Condition` holds, each condition written as `condition(...)` so
//! it keeps IAM's meaning for keys the request did not have. An SCP's
//! `Allow` statements other than `FullAWSAccess` are an allow list: one
//! guardrail denies what none of them allows. A `Resource` other than `*`
//! is refused: CloudTrail does not name the resource of every call.
//!
//! This layer knows policies and the language's text, not records: the
//! CLI checks what it writes.

mod emit;

use serde_json::Value;

pub use emit::ident;

/// Which policy a document is: it decides the guardrails' scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A service control policy: `scope principal`.
    Scp,
    /// A resource control policy: `scope resource`.
    Rcp,
}

/// What cannot be imported, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportError {
    /// `line:column` of a JSON syntax error, else the statement
    /// (`Statement[2] (Sid "DenyLeave")`).
    pub at: String,
    pub message: String,
    pub help: Option<String>,
}

impl ImportError {
    fn new(at: impl Into<String>, message: impl Into<String>) -> ImportError {
        ImportError {
            at: at.into(),
            message: message.into(),
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> ImportError {
        self.help = Some(help.into());
        self
    }
}

/// One statement, read.
#[derive(Debug)]
struct Statement {
    /// `Statement[i]` with its Sid, for messages.
    at: String,
    sid: Option<String>,
    deny: bool,
    /// `Action` (`negated`: `NotAction`); empty with `any`: every action.
    actions: Vec<String>,
    negated: bool,
    conditions: Vec<(String, String, Vec<String>)>,
    /// The statement as written, on one line.
    json: String,
}

/// The guardrails previewing the policy in `text` (a policy document, or
/// AWS Organizations' `describe-policy` output holding one), named after
/// `stem`; `file` is how comments name the policy.
pub fn import(kind: Kind, stem: &str, file: &str, text: &str) -> Result<String, Vec<ImportError>> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        vec![ImportError::new(
            format!("{}:{}", e.line(), e.column()),
            format!("not JSON: {e}"),
        )]
    })?;
    let doc = unwrap_described(doc)?;
    let statements = match doc.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => {
            return Err(vec![ImportError::new("the document", "a policy has a `Statement`")
                .help("import a policy document (`{\"Version\": ..., \"Statement\": [...]}`) or `aws organizations describe-policy` output")])
        }
    };
    let mut read = Vec::new();
    let mut errors = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        match statement(kind, i, s) {
            Ok(Some(st)) => read.push(st),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(emit::guardrails(kind, stem, file, &read, statements.len()))
}

/// The policy document inside `describe-policy` output (its `Content` is
/// the document as a string), or the document itself.
fn unwrap_described(doc: Value) -> Result<Value, Vec<ImportError>> {
    let Some(content) = doc.pointer("/Policy/Content") else {
        return Ok(doc);
    };
    let Some(text) = content.as_str() else {
        return Err(vec![ImportError::new(
            "Policy.Content",
            "`Content` is not a string",
        )]);
    };
    serde_json::from_str(text).map_err(|e| {
        vec![ImportError::new(
            "Policy.Content",
            format!("the policy in `Content` is not JSON: {e}"),
        )]
    })
}

/// Texts of a field that holds one text or a list of them.
fn texts(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items.iter().map(|i| i.as_str().map(String::from)).collect(),
        _ => None,
    }
}

/// A condition value as text: IAM compares texts (`true`, `1.2`).
fn value_texts(v: &Value) -> Option<Vec<String>> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match v {
        Value::Array(items) => items.iter().map(one).collect(),
        v => one(v).map(|t| vec![t]),
    }
}

/// Reads statement `i`; `None`: an `Allow` of everything, which changes
/// nothing (`FullAWSAccess`).
fn statement(kind: Kind, i: usize, s: &Value) -> Result<Option<Statement>, ImportError> {
    let sid = s.get("Sid").and_then(Value::as_str).map(String::from);
    let at = match &sid {
        Some(sid) => format!("Statement[{i}] (Sid {sid:?})"),
        None => format!("Statement[{i}]"),
    };
    let Some(fields) = s.as_object() else {
        return Err(ImportError::new(at, "a statement is an object"));
    };
    for name in fields.keys() {
        if !matches!(
            name.as_str(),
            "Sid"
                | "Effect"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Principal"
                | "NotPrincipal"
                | "Condition"
        ) {
            return Err(ImportError::new(
                at,
                format!("unknown statement element `{name}`"),
            ));
        }
    }
    let deny = match s.get("Effect").and_then(Value::as_str) {
        Some("Deny") => true,
        Some("Allow") => false,
        _ => return Err(ImportError::new(at, "`Effect` is `Deny` or `Allow`")),
    };
    let (actions, negated) = match (s.get("Action"), s.get("NotAction")) {
        (Some(a), None) => (texts(a), false),
        (None, Some(a)) => (texts(a), true),
        _ => {
            return Err(ImportError::new(
                at,
                "a statement has `Action` or `NotAction`, one of them",
            ))
        }
    };
    let Some(actions) = actions else {
        return Err(ImportError::new(
            at,
            "`Action` is a text or a list of texts",
        ));
    };
    if actions.is_empty() {
        return Err(ImportError::new(at, "`Action` names no action"));
    }
    if s.get("NotResource").is_some() {
        return Err(ImportError::new(at, "`NotResource` cannot be previewed")
            .help("CloudTrail does not name the resource of every call; import the statement without it, or write the guardrail by hand from the request's fields"));
    }
    // An `Allow` of one resource type allows nothing of the call's other
    // resources: only `*` allows the whole call.
    let typed_ok = deny && !negated;
    if !resource_is_all(s, &actions, typed_ok) {
        return Err(ImportError::new(at, "only `\"Resource\": \"*\"`, or every resource of a type each action is authorized on, can be previewed")
            .help("CloudTrail does not name the resource of every call; write the guardrail by hand from the request's fields (`requestParameters...`)"));
    }
    match (kind, s.get("Principal"), s.get("NotPrincipal")) {
        (_, _, Some(_)) => return Err(ImportError::new(at, "`NotPrincipal` cannot be previewed")),
        (Kind::Scp, Some(_), _) => {
            return Err(ImportError::new(at, "an SCP statement has no `Principal`"))
        }
        (Kind::Rcp, None, _) => {
            return Err(ImportError::new(at, "an RCP statement has `\"Principal\": \"*\"`"))
        }
        (Kind::Rcp, Some(p), _) if p != "*" => {
            return Err(ImportError::new(at, "an RCP statement's `Principal` is `\"*\"`")
                .help("narrow the principals with a condition on `aws:PrincipalArn` or `aws:PrincipalAccount`"))
        }
        _ => {}
    }
    let mut conditions = Vec::new();
    if let Some(c) = s.get("Condition") {
        let Some(ops) = c.as_object() else {
            return Err(ImportError::new(
                at,
                "`Condition` is an object of operators",
            ));
        };
        for (op, keys) in ops {
            if let Err(e) = crate::iam::condition::operator(op) {
                return Err(ImportError::new(at, e));
            }
            let Some(keys) = keys.as_object() else {
                return Err(ImportError::new(
                    at,
                    format!("`{op}` holds an object of keys"),
                ));
            };
            for (key, values) in keys {
                if let Some(kind) = per_resource(key) {
                    if !only_of_type(s, kind) {
                        return Err(ImportError::new(at, format!("IAM reads `{key}` on the {kind} resource alone")).help(format!(
                            "with another `Resource` the statement is judged on the call's other resources too, where `{key}` is absent; write `\"Resource\": \"arn:aws:SERVICE:*:*:{kind}/*\"` as AWS's example does"
                        )));
                    }
                }
                match value_texts(values) {
                    Some(v) if !v.is_empty() => conditions.push((op.clone(), key.clone(), v)),
                    _ => {
                        return Err(ImportError::new(
                            at,
                            format!("the values of `{key}` are texts, numbers or booleans"),
                        ))
                    }
                }
            }
        }
    }
    let all_actions = !negated && actions.iter().any(|a| a == "*");
    if !deny && all_actions && conditions.is_empty() {
        return Ok(None);
    }
    if !deny && kind == Kind::Rcp {
        return Err(ImportError::new(
            at,
            "an RCP allows only `RCPFullAWSAccess` (`Allow` of `*`)",
        ));
    }
    Ok(Some(Statement {
        at,
        sid,
        deny,
        actions,
        negated,
        conditions,
        json: s.to_string(),
    }))
}

/// Whether the statement's `Resource` takes in every call of its actions:
/// `"*"`, none said, or (with `typed`) every resource of a type that each
/// action (named exactly) is always authorized on
/// (`arn:aws:ec2:*:*:instance/*` for `ec2:RunInstances`, whose every call
/// launches instances).
fn resource_is_all(s: &Value, actions: &[String], typed: bool) -> bool {
    let Some(resources) = s.get("Resource").map(texts) else {
        return true;
    };
    let Some(resources) = resources else {
        return false;
    };
    resources
        .iter()
        .any(|r| r == "*" || (typed && every_of_type(r, actions)))
}

/// The resource type IAM reads `key` on, for keys it reads on one resource
/// of a call alone.
fn per_resource(key: &str) -> Option<&'static str> {
    match crate::iam::condition::condition_key(key) {
        crate::iam::condition::KeyLookup::Logged(k) => k.on_resource,
        _ => None,
    }
}

/// Whether every resource of the statement is of type `kind`.
fn only_of_type(s: &Value, kind: &str) -> bool {
    let Some(Some(resources)) = s.get("Resource").map(texts) else {
        return false;
    };
    resources.iter().all(|r| {
        r.splitn(6, ':')
            .nth(5)
            .and_then(|rest| rest.strip_suffix("/*"))
            .is_some_and(|t| t.eq_ignore_ascii_case(kind))
    })
}

/// `arn:aws:SERVICE:*:*:TYPE/*`, with `TYPE` a resource type that every
/// call of each of `actions` (each of `SERVICE`) is authorized on.
fn every_of_type(resource: &str, actions: &[String]) -> bool {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    let [arn, partition, service, region, account, rest] = parts.as_slice() else {
        return false;
    };
    let Some(kind) = rest.strip_suffix("/*") else {
        return false;
    };
    let wild = |p: &str| p.chars().all(|c| c == '*');
    if *arn != "arn" || !partition.starts_with("aws") || !wild(region) || !wild(account) {
        return false;
    }
    let table = crate::iam::actions();
    !actions.is_empty()
        && actions.iter().all(|a| {
            a.split_once(':')
                .is_some_and(|(p, _)| p.eq_ignore_ascii_case(service))
                && table.get(a).is_some_and(|info| {
                    info.required_types
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case(kind))
                })
        })
}

#[cfg(test)]
mod tests;
