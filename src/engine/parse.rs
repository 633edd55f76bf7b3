//! Parses the units of a loaded input into the engine's own documents
//! and visits their records: the hot path of a run (`read.rs` splits
//! inputs into units and keeps the `serde_json::Value` path for callers
//! that hold records as JSON).

use serde_json::Value;

use super::read::{json_error, InputError, Loaded, UnitPos, UnitResult};
use super::record::{Builder, Doc};
use super::run::RecordRef;

/// How a run parses each record into the engine's own document.
#[derive(Clone, Copy)]
pub enum Parse<'e> {
    /// Only the parts the rules read.
    Projected(&'e crate::engine::project::Projection),
    /// Whole records, as `serde_json` reads them (the reference path).
    Whole(&'e crate::engine::record::Names),
}

impl Loaded {
    /// Parses unit `i` into a document and visits its records. `scratch`
    /// is the caller's builder, reused from record to record.
    pub fn eval_records<'t, T>(
        &'t self,
        i: usize,
        parse: Parse<'_>,
        scratch: &mut Builder<'t>,
        visit: &(dyn Fn(RecordRef, crate::engine::record::At<'_>) -> T + Sync),
    ) -> UnitResult<T> {
        let mut r = UnitResult {
            items: Vec::new(),
            errors: Vec::new(),
            rejected: 0,
        };
        let Some(u) = self.units.get(i) else {
            return r;
        };
        let text = self.data.get(u.start..u.end).unwrap_or(&[]);
        let parsed = match parse {
            Parse::Projected(p) => p
                .parse_in(text, scratch)
                .map(|()| self.visit_doc(u, scratch.doc_mut(), &mut r, visit)),
            Parse::Whole(names) => serde_json::from_slice::<Value>(text).map(|whole| {
                let mut doc = Doc::from_value(&whole, Some(names));
                self.visit_doc(u, &mut doc, &mut r, visit);
            }),
        };
        if let Err(e) = parsed {
            r.rejected += 1;
            r.errors.push(InputError {
                file: self.file.to_string(),
                line: Some(u.line + e.line().saturating_sub(1)),
                message: json_error(&e),
            });
        }
        r
    }

    /// Visits the records of one parsed unit.
    fn visit_doc<T>(
        &self,
        u: &UnitPos,
        doc: &mut Doc<'_>,
        r: &mut UnitResult<T>,
        visit: &(dyn Fn(RecordRef, crate::engine::record::At<'_>) -> T + Sync),
    ) {
        let root = doc.root().index();
        let found = crate::engine::envelope::unwrap(doc, root, u.line, u.index);
        for rec in found {
            match rec.node {
                Ok(node) => {
                    let at = RecordRef {
                        file: self.file.clone(),
                        line: rec.line,
                        index: rec.index,
                        event: None,
                    };
                    r.items.push(visit(at, doc.at(node)));
                }
                Err(message) => {
                    r.rejected += 1;
                    r.errors.push(InputError {
                        file: self.file.to_string(),
                        line: Some(rec.line),
                        message,
                    });
                }
            }
        }
    }
}
