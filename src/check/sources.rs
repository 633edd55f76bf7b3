//! Builds the schema of every `source` item: its fields with types and
//! docs, and its derived fields.

use std::collections::BTreeMap;

use super::diagnostic::{Code, Diagnostic, FileId};
use super::schema::Schema;
use super::suggest::did_you_mean;
use super::types::{Ty, TYPE_NAMES};
use super::ParsedFile;
use crate::syntax::ast::{BlockKind, ClauseKind, ItemKind, Type};

/// Builds the schema of every `source` item.
pub fn build_schemas(
    files: &[ParsedFile],
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Schema> {
    let mut schemas = BTreeMap::new();
    for (index, pf) in files.iter().enumerate() {
        let builtin = index < super::prelude::FILES.len();
        for item in &pf.parsed.file.items {
            let ItemKind::Block(b) = &item.kind else {
                continue;
            };
            if b.kind != BlockKind::Source || schemas.contains_key(&b.name.name) {
                continue;
            }
            let mut schema = Schema {
                name: b.name.name.clone(),
                doc: pf.docs.get(&item.span.start).cloned(),
                builtin,
                ..Schema::default()
            };
            for clause in &b.clauses {
                let doc = pf.docs.get(&clause.span.start).cloned();
                match &clause.kind {
                    ClauseKind::Field { path, ty } => {
                        let Some(ty) = resolve_type(pf.id, ty, diags) else {
                            continue;
                        };
                        if let Err(msg) = schema.declare(path, ty, doc) {
                            diags.push(
                                Diagnostic::new(
                                    Code::InvalidLiteral,
                                    pf.id,
                                    path.span,
                                    "invalid field declaration",
                                )
                                .label(msg),
                            );
                        }
                    }
                    ClauseKind::Derive { name, ty, .. } => {
                        let Some(ty) = resolve_type(pf.id, ty, diags) else {
                            continue;
                        };
                        schema.derived.insert(
                            name.name.clone(),
                            super::schema::Derived {
                                ty,
                                doc,
                                span: name.span,
                            },
                        );
                    }
                    _ => {}
                }
            }
            schemas.insert(b.name.name.clone(), schema);
        }
    }
    schemas
}

fn resolve_type(file: FileId, ty: &Type, diags: &mut Vec<Diagnostic>) -> Option<Ty> {
    if ty.name.name == "list" {
        let Some(arg) = &ty.arg else {
            diags.push(
                Diagnostic::new(Code::UnknownName, file, ty.span, "`list` needs an element type")
                    .label("list of what?")
                    .help("write e.g. `list<string>`, or `field name[*].part: string` for a list of objects"),
            );
            return None;
        };
        return resolve_type(file, arg, diags).map(|t| Ty::List(Box::new(t)));
    }
    if let Some(arg) = &ty.arg {
        diags.push(
            Diagnostic::new(
                Code::TypeMismatch,
                file,
                arg.span,
                format!("`{}` takes no type argument", ty.name.name),
            )
            .label("remove this"),
        );
    }
    let found = Ty::from_name(&ty.name.name);
    if found.is_none() {
        let mut d = Diagnostic::new(
            Code::UnknownName,
            file,
            ty.name.span,
            format!("unknown type `{}`", ty.name.name),
        )
        .label("not a type");
        d = d.help(
            did_you_mean(&ty.name.name, TYPE_NAMES.iter().copied()).unwrap_or_else(|| {
                format!(
                    "the types are {}",
                    TYPE_NAMES
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
        );
        diags.push(d);
    }
    found
}
