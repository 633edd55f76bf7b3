//! Unwraps the envelopes AWS delivers records in, on the engine's own
//! documents: `Records`, `configurationItems` and `Findings` lists,
//! EventBridge events (`detail`, Security Hub's `detail.findings`) and AWS
//! Config notifications (`configurationItem`).
//!
//! It means exactly what `read`'s unwrapping of `serde_json::Value`s means
//! (the same records, indexes and rejection messages): the reference path
//! (`--whole-records`) and the hot path must not disagree.

use super::record::{At, Doc, Node};

/// A record found in a unit (a node of its document), or why a value there
/// is not one.
pub struct FoundNode {
    pub line: usize,
    pub index: Option<usize>,
    pub node: Result<u32, String>,
}

/// The records of a document whose root is `root`.
pub fn unwrap(doc: &mut Doc<'_>, root: u32, line: usize, index: Option<usize>) -> Vec<FoundNode> {
    let mut out = Vec::new();
    record(doc, root, line, index, &mut out);
    out
}

fn list_field(v: At<'_>, name: &str) -> Option<Vec<u32>> {
    let list = v.get_name(name)?;
    list.is_list()
        .then(|| list.items().map(|i| i.index()).collect())
}

fn record(
    doc: &mut Doc<'_>,
    node: u32,
    line: usize,
    index: Option<usize>,
    out: &mut Vec<FoundNode>,
) {
    let v = doc.at(node);
    if !v.is_object() {
        return push(doc, node, line, index, out);
    }
    for key in ["Records", "configurationItems", "Findings"] {
        if let Some(items) = list_field(v, key) {
            for (i, item) in items.into_iter().enumerate() {
                record(doc, item, line, Some(i), out);
            }
            return;
        }
    }
    if v.get_name("detail-type").is_some() {
        if let Some(detail) = v.get_name("detail").map(At::index) {
            return self::detail(doc, detail, line, index, out);
        }
    }
    if v.get_name("messageType").is_some() {
        if let Some(item) = v.get_name("configurationItem").map(At::index) {
            return push(doc, item, line, index, out);
        }
    }
    out.push(FoundNode {
        line,
        index,
        node: Ok(node),
    });
}

/// The `detail` of an EventBridge event: Security Hub puts a list of
/// findings there, AWS Config a configuration item.
fn detail(
    doc: &mut Doc<'_>,
    node: u32,
    line: usize,
    index: Option<usize>,
    out: &mut Vec<FoundNode>,
) {
    let d = doc.at(node);
    if !d.is_object() {
        let what = kind_of(d);
        out.push(FoundNode {
            line,
            index,
            node: Err(format!(
                "an EventBridge `detail` must be a JSON object, not {what}"
            )),
        });
        return;
    }
    if let Some(findings) = list_field(d, "findings") {
        for (i, f) in findings.into_iter().enumerate() {
            push(doc, f, line, Some(i), out);
        }
        return;
    }
    // A `findings` that is not a list is taken out of the record.
    let node = if d.get_name("findings").is_some() {
        doc.without(node, "findings")
    } else {
        node
    };
    let d = doc.at(node);
    if let Some(item) = d.get_name("configurationItem").map(At::index) {
        return push(doc, item, line, index, out);
    }
    out.push(FoundNode {
        line,
        index,
        node: Ok(node),
    });
}

fn push(doc: &Doc<'_>, node: u32, line: usize, index: Option<usize>, out: &mut Vec<FoundNode>) {
    let v = doc.at(node);
    let node = if v.is_object() {
        Ok(node)
    } else {
        Err(format!(
            "a record must be a JSON object, not {}",
            kind_of(v)
        ))
    };
    out.push(FoundNode { line, index, node });
}

fn kind_of(v: At<'_>) -> &'static str {
    match v.node() {
        Node::Null => "null",
        Node::Bool(_) => "a boolean",
        Node::Num(_) => "a number",
        Node::Str(_) => "a string",
        Node::List { .. } => "a list",
        Node::Object { .. } => "an object",
    }
}
