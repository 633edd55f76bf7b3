//! A signal instance's entity values, by entity name.
//!
//! An instance is made for every hit of a signal that feeds a sequence, and
//! most are dropped within a window: they must be cheap to build, copy and
//! drop. A few pairs in a sorted list do that where a `BTreeMap` of
//! `String`s allocated a node and two strings per entity: the names are the
//! signal's own (shared, never copied) and each value is one shared text,
//! which a sequence's matcher reuses as the key it joins on. It writes and
//! reads as the JSON map it replaces, so state files keep their bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Entity values by name, sorted by name, names unique.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entities(Vec<(Arc<str>, Arc<str>)>);

impl Entities {
    /// The value of entity `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.shared(name).map(|v| &**v)
    }

    /// The value of entity `name`, to be shared.
    pub fn shared(&self, name: &str) -> Option<&Arc<str>> {
        self.0
            .binary_search_by(|(n, _)| (**n).cmp(name))
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, v)| v)
    }

    /// Name and value pairs, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (&**n, &**v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(Arc<str>, Arc<str>)> for Entities {
    /// Sorted by name; of a name given twice, the last value (as a map
    /// collected from the same pairs).
    fn from_iter<I: IntoIterator<Item = (Arc<str>, Arc<str>)>>(pairs: I) -> Entities {
        let mut v: Vec<(Arc<str>, Arc<str>)> = pairs.into_iter().collect();
        v.reverse();
        // Stable: of equal names, the last given comes first, and is kept.
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v.dedup_by(|later, kept| later.0 == kept.0);
        Entities(v)
    }
}

impl From<BTreeMap<String, String>> for Entities {
    fn from(map: BTreeMap<String, String>) -> Entities {
        Entities(
            map.into_iter()
                .map(|(n, v)| (Arc::from(n), Arc::from(v)))
                .collect(),
        )
    }
}

impl Serialize for Entities {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Entities {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Entities, D::Error> {
        BTreeMap::<String, String>::deserialize(d).map(Entities::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(n: &str, v: &str) -> (Arc<str>, Arc<str>) {
        (Arc::from(n), Arc::from(v))
    }

    #[test]
    fn pairs_are_sorted_by_name_and_the_last_of_a_name_is_kept() {
        let e: Entities = [
            pair("principal", "a"),
            pair("ip", "1"),
            pair("principal", "b"),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            e.iter().collect::<Vec<_>>(),
            [("ip", "1"), ("principal", "b")]
        );
        assert_eq!(e.get("principal"), Some("b"));
        assert_eq!(e.get("user"), None);
    }

    #[test]
    fn it_writes_and_reads_as_the_map_it_replaces() {
        let map = BTreeMap::from([
            ("principal".to_string(), "arn:aws:iam::1:user/ü".to_string()),
            ("ip".to_string(), "10.0.0.1".to_string()),
        ]);
        let e = Entities::from(map.clone());
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(text, serde_json::to_string(&map).unwrap());
        assert_eq!(serde_json::from_str::<Entities>(&text).unwrap(), e);
    }
}
