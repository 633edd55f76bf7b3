//! Reads only the parts of a record that the rules look at.
//!
//! Parsing whole records into `serde_json::Value` maps is most of the cost
//! of a run, and most of a CloudTrail record (`requestParameters`,
//! `responseElements`, ...) is never read. The compiled rules know every
//! field path they read; a [`Projection`] is the tree of those paths, and
//! [`Projection::parse`] builds a `Value` holding only them, skipping the
//! rest of the text without building it (it is still checked as JSON, so
//! a broken record is reported exactly as before). A path that is read as
//! a whole (an object compared, a list bound by `any(x in ...)`) keeps its
//! whole subtree. Records are unwrapped from their envelopes after parsing,
//! so the envelopes' shapes are part of the tree too.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::compile::PathSeg;

/// Fields the engine reads by name besides the rules' own (record ids,
/// principals, accounts, regions, exemptions).
pub const ENGINE_FIELDS: &[&str] = &[
    "eventID",
    "id",
    "Id",
    "metadata.uid",
    "configurationStateId",
    "ARN",
    "arn",
    "resourceId",
    "userIdentity.arn",
    "userIdentity.sessionContext.sessionIssuer.arn",
    "userIdentity.type",
    "userIdentity.accountId",
    "recipientAccountId",
    "eventName",
    "awsAccountId",
    "accountId",
    "AwsAccountId",
    "awsRegion",
    "region",
    "Region",
];

/// How deep `serde_json` builds a `Value` before it gives up.
const NESTING_LIMIT: usize = 128;

/// One level of the tree of paths read.
#[derive(Debug, Default, Clone)]
struct Node {
    /// Read as a whole: keep everything below.
    whole: bool,
    fields: HashMap<String, Node>,
    /// The elements of a list (`[*]` or `[n]`).
    element: Option<Box<Node>>,
}

impl Node {
    fn add(&mut self, path: &[PathSeg]) {
        let Some((first, rest)) = path.split_first() else {
            self.whole = true;
            return;
        };
        let child = match first {
            PathSeg::Name(n) => self.fields.entry(n.clone()).or_default(),
            PathSeg::Index(_) | PathSeg::Each => self.element.get_or_insert_with(Box::default),
        };
        child.add(rest);
    }

    fn merge(&mut self, other: &Node) {
        self.whole |= other.whole;
        for (k, v) in &other.fields {
            self.fields.entry(k.clone()).or_default().merge(v);
        }
        if let Some(e) = &other.element {
            self.element.get_or_insert_with(Box::default).merge(e);
        }
    }

    fn field(&mut self, name: &str) -> &mut Node {
        self.fields.entry(name.to_string()).or_default()
    }
}

/// The parts of records a ruleset reads, envelopes included.
#[derive(Debug, Clone)]
pub struct Projection {
    root: Node,
}

impl Projection {
    /// The projection of records read through `paths` (each a field path
    /// from the record's root).
    pub fn new<'p>(paths: impl IntoIterator<Item = &'p [PathSeg]>) -> Projection {
        let mut record = Node::default();
        for p in paths {
            record.add(p);
        }
        for dotted in ENGINE_FIELDS {
            let segs: Vec<PathSeg> = dotted.split('.').map(|s| PathSeg::Name(s.into())).collect();
            record.add(&segs);
        }
        // The envelopes `read` unwraps: lists of records, EventBridge
        // events, Config notifications.
        let mut root = record.clone();
        for list in ["Records", "configurationItems", "Findings"] {
            root.field(list)
                .element
                .get_or_insert_with(Box::default)
                .merge(&record);
        }
        for marker in ["detail-type", "messageType"] {
            root.field(marker).whole = true;
        }
        let detail = root.field("detail");
        detail.merge(&record);
        detail
            .field("findings")
            .element
            .get_or_insert_with(Box::default)
            .merge(&record);
        detail.field("configurationItem").merge(&record);
        root.field("configurationItem").merge(&record);
        Projection { root }
    }

    /// Parses one JSON text, keeping only the projected parts. Fails as
    /// `serde_json::from_slice` fails, on the same texts.
    pub fn parse(&self, text: &[u8]) -> Result<Value, serde_json::Error> {
        // Skipping is not bound by serde_json's nesting limit, building is:
        // a text that might nest deeper is parsed whole, to fail the same.
        let brackets = text.iter().filter(|b| matches!(b, b'[' | b'{')).count();
        if brackets > NESTING_LIMIT {
            return serde_json::from_slice(text);
        }
        let mut de = serde_json::Deserializer::from_slice(text);
        let value = Keep(&self.root).deserialize(&mut de)?;
        de.end()?;
        Ok(value)
    }
}

/// Deserializes a value, keeping what `Node` asks for.
struct Keep<'n>(&'n Node);

impl<'de> DeserializeSeed<'de> for Keep<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if self.0.whole {
            Value::deserialize(d)
        } else {
            d.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for Keep<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        match &self.0.element {
            Some(element) => {
                while let Some(v) = seq.next_element_seed(Keep(element))? {
                    items.push(v);
                }
            }
            // A list where the rules read fields: no path reaches into it,
            // but it is there.
            None => while seq.next_element::<IgnoredAny>()?.is_some() {},
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match self.0.fields.get(key.as_ref()) {
                Some(child) => {
                    let value = map.next_value_seed(Keep(child))?;
                    out.insert(key.into_owned(), value);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(out))
    }
}

/// A map key, borrowed from the text when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}
