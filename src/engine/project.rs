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
use std::fmt;

use rustc_hash::FxHashMap;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::compile::PathSeg;
use super::record::{Builder, Doc, KeyId, Names, Node as RNode, Num};

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
    "eventType",
    "eventSource",
    "sharedEventID",
    "resources",
    "requestParameters.keyId",
];

/// One level of the tree of paths read.
#[derive(Debug, Default, Clone)]
struct Node {
    /// Read as a whole: keep everything below.
    whole: bool,
    /// Fields read, with the interned id of their name.
    fields: FxHashMap<Box<str>, (KeyId, Node)>,
    /// The elements of a list (`[*]` or `[n]`).
    element: Option<Box<Node>>,
}

impl Node {
    fn add(&mut self, path: &[PathSeg], names: &mut Names) {
        let Some((first, rest)) = path.split_first() else {
            self.whole = true;
            return;
        };
        let child = match first {
            PathSeg::Name(key) => self.field(&key.name, names),
            PathSeg::Index(_) | PathSeg::Each => self.element.get_or_insert_with(Box::default),
        };
        child.add(rest, names);
    }

    fn merge(&mut self, other: &Node) {
        self.whole |= other.whole;
        for (k, (id, v)) in &other.fields {
            self.fields
                .entry(k.clone())
                .or_insert_with(|| (*id, Node::default()))
                .1
                .merge(v);
        }
        if let Some(e) = &other.element {
            self.element.get_or_insert_with(Box::default).merge(e);
        }
    }

    fn field(&mut self, name: &str, names: &mut Names) -> &mut Node {
        let id = names.intern(name);
        &mut self
            .fields
            .entry(name.into())
            .or_insert_with(|| (id, Node::default()))
            .1
    }
}

/// The parts of records a ruleset reads, envelopes included, and the
/// interned names of the fields in them.
#[derive(Debug, Clone)]
pub struct Projection {
    root: Node,
    names: Names,
}

impl Projection {
    /// The projection of records read through `paths` (each a field path
    /// from the record's root); their names join `names`.
    pub fn new<'p>(paths: impl IntoIterator<Item = &'p [PathSeg]>, mut names: Names) -> Projection {
        let mut record = Node::default();
        for p in paths {
            record.add(p, &mut names);
        }
        for dotted in ENGINE_FIELDS {
            let mut node = &mut record;
            for part in dotted.split('.') {
                node = node.field(part, &mut names);
            }
            node.whole = true;
        }
        // The envelopes `read` unwraps: lists of records, EventBridge
        // events, Config notifications.
        let mut root = record.clone();
        for list in ["Records", "configurationItems", "Findings"] {
            root.field(list, &mut names)
                .element
                .get_or_insert_with(Box::default)
                .merge(&record);
        }
        for marker in ["detail-type", "messageType"] {
            root.field(marker, &mut names).whole = true;
        }
        let detail = root.field("detail", &mut names);
        detail.merge(&record);
        detail
            .field("findings", &mut names)
            .element
            .get_or_insert_with(Box::default)
            .merge(&record);
        detail.field("configurationItem", &mut names).merge(&record);
        root.field("configurationItem", &mut names).merge(&record);
        Projection { root, names }
    }

    /// The interned names of every field a rule or the engine reads.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// Parses one JSON text, keeping only the projected parts. Accepts
    /// exactly the texts `serde_json::from_slice` accepts, and fails with
    /// its error: the text is checked as UTF-8 first and the rest skipped
    /// through `deserialize_any` (never `IgnoredAny`, which lets lone
    /// surrogates, out-of-range numbers and any depth through); a text
    /// that fails is parsed again by `serde_json` for its own message.
    pub fn parse<'t>(&self, text: &'t [u8]) -> Result<Doc<'t>, serde_json::Error> {
        let mut b = Builder::default();
        self.parse_in(text, &mut b)?;
        Ok(b.finish())
    }

    /// [`Projection::parse`] into `b`, emptied first and reused: the
    /// document is `b`'s.
    pub fn parse_in<'t>(
        &self,
        text: &'t [u8],
        b: &mut Builder<'t>,
    ) -> Result<(), serde_json::Error> {
        let Ok(s) = std::str::from_utf8(text) else {
            return Err(reference_error(text));
        };
        b.clear();
        let mut de = serde_json::Deserializer::from_str(s);
        let kept = Keep {
            node: &self.root,
            b,
            names: &self.names,
        }
        .deserialize(&mut de)
        .and_then(|_| de.end());
        match kept {
            Ok(()) => Ok(()),
            Err(_) => Err(reference_error(text)),
        }
    }
}

/// The error `serde_json` gives for a text it rejects (the message and
/// the place are its own).
fn reference_error(text: &[u8]) -> serde_json::Error {
    match serde_json::from_slice::<serde_json::Value>(text) {
        Err(e) => e,
        Ok(_) => serde::de::Error::custom("the text is not a JSON value"),
    }
}

/// Scalars, as `serde_json` builds them into a `Value`.
macro_rules! scalars {
    () => {
        fn visit_bool<E>(self, v: bool) -> Result<u32, E> {
            Ok(self.b.push(RNode::Bool(v)))
        }

        fn visit_i64<E>(self, v: i64) -> Result<u32, E> {
            let num = match u64::try_from(v) {
                Ok(u) => Num::Pos(u),
                Err(_) => Num::Neg(v),
            };
            Ok(self.b.push(RNode::Num(num)))
        }

        fn visit_u64<E>(self, v: u64) -> Result<u32, E> {
            Ok(self.b.push(RNode::Num(Num::Pos(v))))
        }

        fn visit_f64<E>(self, v: f64) -> Result<u32, E> {
            Ok(self.b.push(if v.is_finite() {
                RNode::Num(Num::Float(v))
            } else {
                RNode::Null
            }))
        }

        fn visit_borrowed_str<E>(self, v: &'t str) -> Result<u32, E> {
            Ok(self.b.push(RNode::Str(Cow::Borrowed(v))))
        }

        fn visit_str<E>(self, v: &str) -> Result<u32, E> {
            Ok(self.b.push(RNode::Str(Cow::Owned(v.to_string()))))
        }

        fn visit_string<E>(self, v: String) -> Result<u32, E> {
            Ok(self.b.push(RNode::Str(Cow::Owned(v))))
        }

        fn visit_unit<E>(self) -> Result<u32, E> {
            Ok(self.b.push(RNode::Null))
        }

        fn visit_none<E>(self) -> Result<u32, E> {
            Ok(self.b.push(RNode::Null))
        }
    };
}

/// Builds a value, keeping what `node` asks for.
struct Keep<'n, 'b, 't> {
    node: &'n Node,
    b: &'b mut Builder<'t>,
    names: &'n Names,
}

impl<'t> DeserializeSeed<'t> for Keep<'_, '_, 't> {
    type Value = u32;

    fn deserialize<D: Deserializer<'t>>(self, d: D) -> Result<u32, D::Error> {
        if self.node.whole {
            Whole {
                b: self.b,
                names: self.names,
            }
            .deserialize(d)
        } else {
            d.deserialize_any(self)
        }
    }
}

impl<'t> Visitor<'t> for Keep<'_, '_, 't> {
    type Value = u32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    scalars!();

    fn visit_some<D: Deserializer<'t>>(self, d: D) -> Result<u32, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'t>>(self, mut seq: A) -> Result<u32, A::Error> {
        let mark = self.b.open_list();
        match &self.node.element {
            Some(element) => loop {
                let seed = Keep {
                    node: element,
                    b: &mut *self.b,
                    names: self.names,
                };
                match seq.next_element_seed(seed)? {
                    Some(id) => self.b.item(id),
                    None => break,
                }
            },
            // A list where the rules read fields: no path reaches into it,
            // but it is there.
            None => while seq.next_element_seed(Skip)?.is_some() {},
        }
        Ok(self.b.close_list(mark))
    }

    fn visit_map<A: MapAccess<'t>>(self, mut map: A) -> Result<u32, A::Error> {
        let mark = self.b.open_object();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match self.node.fields.get(key.as_ref()) {
                Some((id, child)) => {
                    let value = map.next_value_seed(Keep {
                        node: child,
                        b: &mut *self.b,
                        names: self.names,
                    })?;
                    self.b.field(mark, *id, key, value);
                }
                None => map.next_value_seed(Skip)?,
            }
        }
        Ok(self.b.close_object(mark))
    }
}

/// Builds a whole value.
struct Whole<'n, 'b, 't> {
    b: &'b mut Builder<'t>,
    names: &'n Names,
}

impl<'t> DeserializeSeed<'t> for Whole<'_, '_, 't> {
    type Value = u32;

    fn deserialize<D: Deserializer<'t>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'t> Visitor<'t> for Whole<'_, '_, 't> {
    type Value = u32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    scalars!();

    fn visit_some<D: Deserializer<'t>>(self, d: D) -> Result<u32, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'t>>(self, mut seq: A) -> Result<u32, A::Error> {
        let mark = self.b.open_list();
        loop {
            let seed = Whole {
                b: &mut *self.b,
                names: self.names,
            };
            match seq.next_element_seed(seed)? {
                Some(id) => self.b.item(id),
                None => break,
            }
        }
        Ok(self.b.close_list(mark))
    }

    fn visit_map<A: MapAccess<'t>>(self, mut map: A) -> Result<u32, A::Error> {
        let mark = self.b.open_object();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = map.next_value_seed(Whole {
                b: &mut *self.b,
                names: self.names,
            })?;
            let id = self.names.get(&key);
            self.b.field(mark, id, key, value);
        }
        Ok(self.b.close_object(mark))
    }
}

/// Reads a value that is not kept, checking it as strictly as building
/// it would (escapes, numbers, nesting depth) but keeping nothing.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Skip)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Skip)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
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
