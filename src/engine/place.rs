//! Where a finding's record is. Its own module because both the outputs
//! and the signal instances that sequences keep point at records.

use std::sync::Arc;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// Where a finding's record is: its file, line, position in a list of
/// records, and its own id where its format has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: Arc<str>,
    pub line: usize,
    pub index: Option<usize>,
    /// An inline test event's number in its test: written instead of the
    /// line (see [`super::run::RecordRef::event`]).
    pub event: Option<usize>,
    /// Shared: a record's place is copied into each of its findings and hits.
    pub id: Option<Arc<str>>,
}

impl Serialize for Place {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("file", &*self.file)?;
        match self.event {
            Some(n) => m.serialize_entry("event", &n)?,
            None => m.serialize_entry("line", &self.line)?,
        }
        if let Some(i) = self.index {
            m.serialize_entry("index", &i)?;
        }
        if let Some(id) = &self.id {
            m.serialize_entry("id", &**id)?;
        }
        m.end()
    }
}
