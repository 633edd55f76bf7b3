//! Source schemas: the field tree that a `source` item declares, with types
//! and docs, used to check paths, and later by hover and completion.

use std::collections::BTreeMap;

use super::types::Ty;
use crate::syntax::ast::{Path, SegmentKind};
use crate::syntax::Span;

/// One declared field and the fields below it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldNode {
    /// `None` for an object implied by deeper declarations.
    pub ty: Option<Ty>,
    pub doc: Option<String>,
    pub span: Option<Span>,
    /// For objects: named children. For lists of objects: the element's fields.
    pub children: BTreeMap<String, FieldNode>,
    /// Whether this node is a list whose elements are `children`.
    pub list_of_objects: bool,
}

impl FieldNode {
    /// The type a path ending here has.
    pub fn ty(&self) -> Ty {
        if self.list_of_objects {
            return Ty::List(Box::new(Ty::Object));
        }
        self.ty.clone().unwrap_or(Ty::Object)
    }
}

/// A derived field: computed from the record, used like a top-level field.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    pub ty: Ty,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    pub name: String,
    pub doc: Option<String>,
    pub root: FieldNode,
    pub derived: BTreeMap<String, Derived>,
    pub builtin: bool,
}

/// Why a path does not fit a schema.
#[derive(Debug, Clone, PartialEq)]
pub struct LookupError {
    /// Index of the first segment that does not fit.
    pub segment: usize,
    /// Names that would fit at that point, for suggestions.
    pub candidates: Vec<String>,
    /// A hint when the shape is wrong rather than the name.
    pub hint: Option<String>,
}

impl Schema {
    /// Declares a field; returns an error message if the path cannot be a
    /// declaration (an index such as `[0]`).
    pub fn declare(&mut self, path: &Path, ty: Ty, doc: Option<String>) -> Result<(), String> {
        let mut node = &mut self.root;
        let mut segments = path.segments.iter().peekable();
        while let Some(seg) = segments.next() {
            match &seg.kind {
                SegmentKind::Name { name, .. } => {
                    node = node.children.entry(name.clone()).or_default();
                    if matches!(
                        segments.peek().map(|s| &s.kind),
                        Some(SegmentKind::Wildcard)
                    ) {
                        node.list_of_objects = true;
                        segments.next();
                    }
                }
                SegmentKind::Wildcard => return Err("`[*]` must follow a field name".into()),
                SegmentKind::Index(_) => {
                    return Err("a declaration cannot name one element; use `[*]`".into())
                }
            }
        }
        if node.list_of_objects {
            // `field tags[*]: string` declares a list of strings.
            node.list_of_objects = false;
            node.ty = Some(Ty::List(Box::new(ty)));
        } else {
            node.ty = Some(ty);
        }
        node.doc = doc;
        node.span = Some(path.span);
        Ok(())
    }

    /// The node a path names, if declared.
    pub fn node(&self, path: &[&str]) -> Option<&FieldNode> {
        let mut node = &self.root;
        for name in path {
            node = node.children.get(*name)?;
        }
        Some(node)
    }

    /// The type of a path, or where it stops fitting.
    pub fn lookup(&self, path: &Path) -> Result<Ty, LookupError> {
        let mut segments = path.segments.iter().enumerate();
        let Some((_, first)) = segments.next() else {
            return Ok(Ty::Any);
        };
        let SegmentKind::Name { name, .. } = &first.kind else {
            return Ok(Ty::Any);
        };
        if path.segments.len() == 1 {
            if let Some(d) = self.derived.get(name) {
                return Ok(d.ty.clone());
            }
        }
        let Some(mut node) = self.root.children.get(name) else {
            return Err(LookupError {
                segment: 0,
                candidates: self.top_level_names(),
                hint: None,
            });
        };
        // The path so far, for hints.
        let mut written = name.clone();
        // Whether we are "inside" a list: through `[*]` the result is a list.
        let mut many = false;
        let mut at_element = false;
        for (i, seg) in segments {
            if node.ty.as_ref() == Some(&Ty::Any) {
                return Ok(Ty::Any);
            }
            match &seg.kind {
                SegmentKind::Wildcard | SegmentKind::Index(_) => {
                    let is_list = node.list_of_objects || matches!(node.ty, Some(Ty::List(_)));
                    if !is_list || at_element {
                        return Err(LookupError {
                            segment: i,
                            candidates: Vec::new(),
                            hint: Some(format!("this field is `{}`, not a list", node.ty())),
                        });
                    }
                    if matches!(seg.kind, SegmentKind::Wildcard) {
                        many = true;
                        written.push_str("[*]");
                    } else if let SegmentKind::Index(i) = seg.kind {
                        written.push_str(&format!("[{i}]"));
                    }
                    at_element = true;
                }
                SegmentKind::Name { name, .. } => {
                    if node.list_of_objects && !at_element {
                        return Err(LookupError {
                            segment: i,
                            candidates: Vec::new(),
                            hint: Some(format!("`{written}` is a list; write `{written}[*].{name}` to look at every element")),
                        });
                    }
                    match node.children.get(name) {
                        Some(child) => {
                            node = child;
                            at_element = false;
                            written.push('.');
                            written.push_str(name);
                        }
                        None => {
                            return Err(LookupError {
                                segment: i,
                                candidates: node.children.keys().cloned().collect(),
                                hint: None,
                            })
                        }
                    }
                }
            }
        }
        let ty = if at_element {
            match node.ty() {
                Ty::List(inner) => *inner,
                other => other,
            }
        } else {
            node.ty()
        };
        Ok(if many { Ty::List(Box::new(ty)) } else { ty })
    }

    fn top_level_names(&self) -> Vec<String> {
        self.root
            .children
            .keys()
            .chain(self.derived.keys())
            .cloned()
            .collect()
    }

    /// Every declared leaf path with its type and doc, in order, for
    /// `tensen schema` and completion.
    pub fn fields(&self) -> Vec<(String, Ty, Option<String>)> {
        let mut out = Vec::new();
        walk(&self.root, String::new(), &mut out);
        for (name, d) in &self.derived {
            out.push((name.clone(), d.ty.clone(), d.doc.clone()));
        }
        out
    }
}

fn walk(node: &FieldNode, prefix: String, out: &mut Vec<(String, Ty, Option<String>)>) {
    for (name, child) in &node.children {
        let segment = if is_plain(name) {
            name.clone()
        } else {
            format!("\"{name}\"")
        };
        let path = if prefix.is_empty() {
            segment
        } else {
            format!("{prefix}.{segment}")
        };
        if child.ty.is_some() || child.children.is_empty() {
            out.push((path.clone(), child.ty(), child.doc.clone()));
        }
        let below = if child.list_of_objects {
            format!("{path}[*]")
        } else {
            path
        };
        walk(child, below, out);
    }
}

/// Whether a field name can be written without quotes.
pub fn is_plain(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
