//! The engine's own record: the parts of one JSON document the rules read,
//! in a flat arena, with strings borrowed from the input text where they
//! need no unescaping and object keys tagged with interned [`KeyId`]s.
//!
//! It replaces `serde_json::Value` on the hot path: no map per object, no
//! hashing of keys at lookup (a field is found by comparing small integers
//! among the few fields kept), no allocation per string. It must mean
//! exactly what the `Value` it stands for means: duplicate keys keep the
//! first position and the last value (as `serde_json` with
//! `preserve_order`), numbers keep their JSON kind, and [`At::to_json`]
//! gives back the `Value` itself, so outputs never depend on the path a
//! record took.

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use serde_json::Value;

/// An interned field name.
pub type KeyId = u32;

/// A key that is not among the interned names: compared by its text.
pub const NO_KEY: KeyId = u32::MAX;

/// The field names that compiled rules read, interned once per ruleset.
#[derive(Debug, Default, Clone)]
pub struct Names {
    ids: FxHashMap<Box<str>, KeyId>,
}

impl Names {
    pub fn intern(&mut self, name: &str) -> KeyId {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = KeyId::try_from(self.ids.len()).unwrap_or(NO_KEY);
        self.ids.insert(name.into(), id);
        id
    }

    /// The id of `name`, or [`NO_KEY`] when no rule reads it.
    pub fn get(&self, name: &str) -> KeyId {
        self.ids.get(name).copied().unwrap_or(NO_KEY)
    }
}

/// A field name as compiled paths hold it: its id and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub id: KeyId,
    pub name: Box<str>,
}

/// A JSON number, of the kind it was written as (as `serde_json` keeps it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Pos(u64),
    Neg(i64),
    Float(f64),
}

impl Num {
    pub fn as_f64(self) -> f64 {
        match self {
            Num::Pos(n) => n as f64,
            Num::Neg(n) => n as f64,
            Num::Float(f) => f,
        }
    }

    fn to_json(self) -> Value {
        match self {
            Num::Pos(n) => Value::from(n),
            Num::Neg(n) => Value::from(n),
            Num::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        }
    }
}

/// One value of a document. Lists and objects point at their children in
/// the document's `items` and `fields`.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'t> {
    Null,
    Bool(bool),
    Num(Num),
    Str(Cow<'t, str>),
    List { start: u32, len: u32 },
    Object { start: u32, len: u32 },
}

/// One field of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Field<'t> {
    pub key: KeyId,
    pub name: Cow<'t, str>,
    pub value: u32,
}

/// A parsed document: its nodes, the root last.
#[derive(Debug, Default)]
pub struct Doc<'t> {
    nodes: Vec<Node<'t>>,
    items: Vec<u32>,
    fields: Vec<Field<'t>>,
}

impl<'t> Doc<'t> {
    /// The document of a `serde_json::Value` (strings borrowed from it);
    /// keys are interned through `names` when given, else compared by text.
    pub fn from_value(v: &'t Value, names: Option<&Names>) -> Doc<'t> {
        let mut b = Builder::default();
        let root = b.value(v, names);
        let mut doc = b.finish();
        doc.set_root(root);
        doc
    }

    /// An empty object: what constants are evaluated against.
    pub fn empty() -> Doc<'static> {
        let mut doc = Doc::default();
        doc.nodes.push(Node::Object { start: 0, len: 0 });
        doc
    }

    /// The root value (the last node built).
    pub fn root(&self) -> At<'_> {
        At {
            doc: self,
            node: u32::try_from(self.nodes.len().saturating_sub(1)).unwrap_or(0),
        }
    }

    /// A value of this document by its node index.
    pub fn at(&self, node: u32) -> At<'_> {
        At { doc: self, node }
    }

    /// A copy of object `node` without its field `name`, as a new node.
    pub fn without(&mut self, node: u32, name: &str) -> u32 {
        let kept: Vec<Field<'t>> = match self.nodes.get(node as usize) {
            Some(Node::Object { start, len }) => self
                .fields
                .get(*start as usize..(*start + *len) as usize)
                .unwrap_or(&[])
                .iter()
                .filter(|f| f.name != name)
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        let start = u32::try_from(self.fields.len()).unwrap_or(u32::MAX);
        let len = u32::try_from(kept.len()).unwrap_or(u32::MAX);
        self.fields.extend(kept);
        let id = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.nodes.push(Node::Object { start, len });
        id
    }

    /// Makes `node` the root: moves it to the end (a document's root is the
    /// last node, so that children always come before their parent).
    fn set_root(&mut self, node: u32) {
        if node as usize + 1 != self.nodes.len() {
            let copy = self.nodes.get(node as usize).cloned().unwrap_or(Node::Null);
            self.nodes.push(copy);
        }
    }
}

/// Builds documents bottom-up: children first, then the node that holds
/// them, so a list's items and an object's fields are contiguous.
#[derive(Debug, Default)]
pub struct Builder<'t> {
    doc: Doc<'t>,
    pending_items: Vec<u32>,
    pending_fields: Vec<Field<'t>>,
}

impl<'t> Builder<'t> {
    pub fn push(&mut self, node: Node<'t>) -> u32 {
        let id = u32::try_from(self.doc.nodes.len()).unwrap_or(u32::MAX);
        self.doc.nodes.push(node);
        id
    }

    /// Where a list's items begin among the pending ones.
    pub fn open_list(&self) -> usize {
        self.pending_items.len()
    }

    pub fn item(&mut self, node: u32) {
        self.pending_items.push(node);
    }

    pub fn close_list(&mut self, mark: usize) -> u32 {
        let start = u32::try_from(self.doc.items.len()).unwrap_or(u32::MAX);
        let tail = self.pending_items.get(mark..).unwrap_or(&[]);
        let len = u32::try_from(tail.len()).unwrap_or(u32::MAX);
        self.doc.items.extend_from_slice(tail);
        self.pending_items.truncate(mark);
        self.push(Node::List { start, len })
    }

    /// Where an object's fields begin among the pending ones.
    pub fn open_object(&self) -> usize {
        self.pending_fields.len()
    }

    /// Adds a field to the open object: a repeated key keeps its first
    /// place and takes the new value, as `serde_json` does.
    pub fn field(&mut self, mark: usize, key: KeyId, name: Cow<'t, str>, value: u32) {
        let open = self.pending_fields.get_mut(mark..).unwrap_or(&mut []);
        if let Some(f) = open.iter_mut().find(|f| same_key(f, key, &name)) {
            f.value = value;
            return;
        }
        self.pending_fields.push(Field { key, name, value });
    }

    pub fn close_object(&mut self, mark: usize) -> u32 {
        let start = u32::try_from(self.doc.fields.len()).unwrap_or(u32::MAX);
        let len = self.pending_fields.len().saturating_sub(mark);
        self.doc.fields.extend(self.pending_fields.drain(mark..));
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        self.push(Node::Object { start, len })
    }

    pub fn finish(self) -> Doc<'t> {
        self.doc
    }

    /// Empties the builder for the next document, keeping its memory: a
    /// run parses millions of records through one builder per worker.
    pub fn clear(&mut self) {
        self.doc.nodes.clear();
        self.doc.items.clear();
        self.doc.fields.clear();
        self.pending_items.clear();
        self.pending_fields.clear();
    }

    /// The document built so far.
    pub fn doc_mut(&mut self) -> &mut Doc<'t> {
        &mut self.doc
    }

    fn value(&mut self, v: &'t Value, names: Option<&Names>) -> u32 {
        match v {
            Value::Null => self.push(Node::Null),
            Value::Bool(b) => self.push(Node::Bool(*b)),
            Value::Number(n) => {
                let num = if let Some(u) = n.as_u64() {
                    Num::Pos(u)
                } else if let Some(i) = n.as_i64() {
                    Num::Neg(i)
                } else {
                    Num::Float(n.as_f64().unwrap_or(0.0))
                };
                self.push(Node::Num(num))
            }
            Value::String(s) => self.push(Node::Str(Cow::Borrowed(s))),
            Value::Array(items) => {
                let mark = self.open_list();
                for item in items {
                    let id = self.value(item, names);
                    self.item(id);
                }
                self.close_list(mark)
            }
            Value::Object(map) => {
                let mark = self.open_object();
                for (k, item) in map {
                    let id = self.value(item, names);
                    let key = names.map_or(NO_KEY, |n| n.get(k));
                    self.field(mark, key, Cow::Borrowed(k), id);
                }
                self.close_object(mark)
            }
        }
    }
}

fn same_key(f: &Field<'_>, key: KeyId, name: &str) -> bool {
    if f.key != NO_KEY && key != NO_KEY {
        f.key == key
    } else {
        f.name == name
    }
}

/// One value in a document.
#[derive(Clone, Copy)]
pub struct At<'a> {
    doc: &'a Doc<'a>,
    node: u32,
}

impl std::fmt::Debug for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

/// Values are equal as the JSON they stand for.
impl PartialEq for At<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.to_json() == other.to_json()
    }
}

impl<'a> At<'a> {
    /// This value's node index in its document.
    pub fn index(self) -> u32 {
        self.node
    }

    pub fn node(self) -> &'a Node<'a> {
        self.doc
            .nodes
            .get(self.node as usize)
            .unwrap_or(&Node::Null)
    }

    pub fn is_object(self) -> bool {
        matches!(self.node(), Node::Object { .. })
    }

    pub fn is_list(self) -> bool {
        matches!(self.node(), Node::List { .. })
    }

    pub fn as_str(self) -> Option<&'a str> {
        match self.node() {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The fields of an object (none for other values).
    pub fn fields(self) -> &'a [Field<'a>] {
        match self.node() {
            Node::Object { start, len } => self
                .doc
                .fields
                .get(*start as usize..(*start + *len) as usize)
                .unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The items of a list (none for other values).
    pub fn items(self) -> impl ExactSizeIterator<Item = At<'a>> + 'a {
        let ids: &'a [u32] = match self.node() {
            Node::List { start, len } => self
                .doc
                .items
                .get(*start as usize..(*start + *len) as usize)
                .unwrap_or(&[]),
            _ => &[],
        };
        let doc = self.doc;
        ids.iter().map(move |n| At { doc, node: *n })
    }

    /// Item `i` of a list.
    pub fn item(self, i: usize) -> Option<At<'a>> {
        self.items().nth(i)
    }

    /// The value of field `key` of an object.
    pub fn get(self, key: &Key) -> Option<At<'a>> {
        self.field_where(|f| same_key(f, key.id, &key.name))
    }

    /// The value of field `name` (by its text).
    pub fn get_name(self, name: &str) -> Option<At<'a>> {
        self.field_where(|f| f.name == name)
    }

    fn field_where(self, found: impl Fn(&Field<'_>) -> bool) -> Option<At<'a>> {
        let doc = self.doc;
        self.fields()
            .iter()
            .find(|f| found(f))
            .map(|f| At { doc, node: f.value })
    }

    /// The value back as `serde_json` has it.
    pub fn to_json(self) -> Value {
        match self.node() {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Num(n) => n.to_json(),
            Node::Str(s) => Value::String(s.to_string()),
            Node::List { .. } => Value::Array(self.items().map(At::to_json).collect()),
            Node::Object { .. } => {
                let doc = self.doc;
                let map = self
                    .fields()
                    .iter()
                    .map(|f| (f.name.to_string(), At { doc, node: f.value }.to_json()))
                    .collect();
                Value::Object(map)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_round_trips_with_its_key_order_and_number_kinds() {
        let v: Value =
            serde_json::from_str(r#"{"b":1,"a":[-2,3.5,"x",null,true],"c":{"d":{}}}"#).unwrap();
        let doc = Doc::from_value(&v, None);
        assert_eq!(doc.root().to_json(), v);
        assert_eq!(
            serde_json::to_string(&doc.root().to_json()).unwrap(),
            serde_json::to_string(&v).unwrap()
        );
    }

    #[test]
    fn fields_are_found_by_id_or_by_text() {
        let mut names = Names::default();
        let a = Key {
            id: names.intern("a"),
            name: "a".into(),
        };
        let v: Value = serde_json::from_str(r#"{"a":"by id"}"#).unwrap();
        let interned = Doc::from_value(&v, Some(&names));
        let plain = Doc::from_value(&v, None);
        assert_eq!(interned.root().get(&a).and_then(At::as_str), Some("by id"));
        assert_eq!(plain.root().get(&a).and_then(At::as_str), Some("by id"));
    }

    #[test]
    fn a_repeated_key_keeps_its_place_and_takes_the_last_value() {
        let mut b = Builder::default();
        let mark = b.open_object();
        let one = b.push(Node::Num(Num::Pos(1)));
        b.field(mark, NO_KEY, "k".into(), one);
        let other = b.push(Node::Null);
        b.field(mark, NO_KEY, "z".into(), other);
        let two = b.push(Node::Num(Num::Pos(2)));
        b.field(mark, NO_KEY, "k".into(), two);
        b.close_object(mark);
        let doc = b.finish();
        assert_eq!(doc.root().to_json().to_string(), r#"{"k":2,"z":null}"#);
    }
}
