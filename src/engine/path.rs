//! Reads field paths out of JSON records. A `[*]` segment fans out over a
//! list, so a path yields zero, one or many values.

use serde_json::Value;

use crate::syntax::ast::{Path, SegmentKind};

/// Every value `path` reaches in `record`, in document order.
pub fn values<'v>(record: &'v Value, path: &Path) -> Vec<&'v Value> {
    let mut current = vec![record];
    for seg in &path.segments {
        let mut next = Vec::new();
        for v in current {
            match (&seg.kind, v) {
                (SegmentKind::Name { name, .. }, Value::Object(map)) => {
                    if let Some(child) = map.get(name) {
                        next.push(child);
                    }
                }
                (SegmentKind::Index(i), Value::Array(items)) => {
                    let idx = usize::try_from(*i).ok();
                    if let Some(child) = idx.and_then(|i| items.get(i)) {
                        next.push(child);
                    }
                }
                (SegmentKind::Wildcard, Value::Array(items)) => next.extend(items.iter()),
                _ => {}
            }
        }
        current = next;
    }
    current
}
