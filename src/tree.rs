//! The ordered tree every store reads into and writes from.
//!
//! It mirrors sops' `TreeBranch`: maps keep their key order, comments are items of the
//! map or list that holds them, and scalars carry the type sops records in `type:`.
//! Keys and string values are [`Text`], which keeps short text without an allocation.

mod bytes;
mod text;
pub use bytes::Bytes;
pub use text::{Text, INLINE};

/// One document: an ordered map.
pub type Map = Vec<Item>;

/// An entry of a map: a key with its value, or a comment line standing between entries.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Pair(Text, Node),
    /// Text after `#` (YAML, dotenv) or `;` (INI); a leading space is kept.
    Comment(Text),
}

/// A value in the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Map(Map),
    /// List elements; comments inside a list are `Node::Comment` elements.
    List(Vec<Node>),
    Scalar(Scalar),
    Comment(Text),
}

/// A leaf value, typed as sops types it.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(Text),
    /// Raw bytes (the binary store's `data`, which need not be UTF-8).
    Bytes(Bytes),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A YAML timestamp, kept as the RFC 3339 text Go's `MarshalText` gives.
    Time(Text),
    Null,
}

impl Node {
    /// A string leaf.
    pub fn str(s: impl Into<Text>) -> Node {
        Node::Scalar(Scalar::Str(s.into()))
    }

    /// The map inside, if this is a map.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Node::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The string inside, if this is a string leaf.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar(Scalar::Str(s)) => Some(s),
            _ => None,
        }
    }
}

impl Node {
    /// The text of a scalar as Go reads it into a string field (metadata, `.sops.yaml`);
    /// `None` for null, maps, lists and comments.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Node::Scalar(Scalar::Str(s)) | Node::Scalar(Scalar::Time(s)) => Some(s.to_string()),
            Node::Scalar(Scalar::Int(i)) => Some(i.to_string()),
            Node::Scalar(Scalar::Float(f)) => Some(crate::numfmt::go_f(*f)),
            Node::Scalar(Scalar::Bool(b)) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// A map of strings, such as a KMS encryption context: `Ok(None)` when absent or null,
/// `Err(())` when `node` is not a map. Null values are dropped, as sops drops them.
#[allow(clippy::result_unit_err)]
pub fn string_map(
    node: Option<&Node>,
) -> Result<Option<std::collections::BTreeMap<String, String>>, ()> {
    match node {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(None),
        Some(Node::Map(m)) => Ok(Some(
            m.iter()
                .filter_map(|item| match item {
                    Item::Pair(k, v) => v.scalar_text().map(|v| (k.to_string(), v)),
                    Item::Comment(_) => None,
                })
                .collect(),
        )),
        Some(_) => Err(()),
    }
}

/// Moves the items of a map or list that a reader has finished into an allocation of
/// exactly their number: the tree of a big file is most of the memory a run takes, a vector
/// grown by doubling is a quarter empty on average, and the allocator keeps a vector that
/// is shrunk by less than half in the block it has.
pub fn fit<T>(items: &mut Vec<T>) {
    if items.capacity() > items.len() {
        let mut exact = Vec::with_capacity(items.len());
        exact.append(items);
        *items = exact;
    }
}

/// Looks up `key` among the pairs of `map`.
pub fn get<'a>(map: &'a Map, key: &str) -> Option<&'a Node> {
    map.iter().find_map(|item| match item {
        Item::Pair(k, v) if k == key => Some(v),
        _ => None,
    })
}

/// Removes the pair `key` from `map`, returning its value.
pub fn remove(map: &mut Map, key: &str) -> Option<Node> {
    let pos = map
        .iter()
        .position(|item| matches!(item, Item::Pair(k, _) if k == key))?;
    match map.remove(pos) {
        Item::Pair(_, v) => Some(v),
        Item::Comment(_) => None,
    }
}

/// Gives back the float type to integers of `new` that were floats of the same value at the
/// same place in `old`. A file written by sops ≤ 3.12 holds JSON integers as floats; they
/// print as integers and read back as integers, so an edit that did not touch them must not
/// re-type them (their ciphertext would change).
pub fn keep_float_types(new: &mut Map, old: &Map) {
    for item in new.iter_mut() {
        if let Item::Pair(k, v) = item {
            if let Some(before) = get(old, k) {
                keep_float_type(v, before);
            }
        }
    }
}

/// Lays `top` over `base`: a key of `top` replaces the same key of `base`, except that two
/// maps are laid over each other key by key; new keys are added at the end; comments of
/// `top` are dropped. (Several files read as one, the later winning.)
pub fn overlay(base: &mut Map, mut top: Map) {
    // Laid over nothing (one file), `top` is the result once its comments are gone, unless
    // a key repeats (then the later value wins, in the earlier place, as below): checked on
    // borrowed keys, which is cheaper than cloning each into the index.
    if base.is_empty() && !repeats_a_key(&top) {
        top.retain(|item| matches!(item, Item::Pair(..)));
        *base = top;
        return;
    }
    // Where each key of `base` is (its first pair): looking keys up one by one would cost
    // n²/2 key comparisons, 12 million for an exec-env of 5,000 variables.
    let mut index: crate::hash::FastMap<Text, usize> =
        crate::hash::map_with_capacity(base.len() + top.len());
    base.reserve(top.len());
    for (i, item) in base.iter().enumerate() {
        if let Item::Pair(k, _) = item {
            index.entry(k.clone()).or_insert(i);
        }
    }
    for item in top {
        let Item::Pair(key, value) = item else {
            continue;
        };
        let slot = index.get(&key).and_then(|&i| match base.get_mut(i) {
            Some(Item::Pair(_, v)) => Some(v),
            _ => None,
        });
        match (slot, value) {
            (Some(Node::Map(inner)), Node::Map(over)) => overlay(inner, over),
            (Some(slot), value) => *slot = value,
            (None, value) => {
                index.insert(key.clone(), base.len());
                base.push(Item::Pair(key, value));
            }
        }
    }
}

/// Whether two pairs of `map` have the same key.
fn repeats_a_key(map: &Map) -> bool {
    let mut seen = crate::hash::set_with_capacity(map.len());
    map.iter()
        .any(|item| matches!(item, Item::Pair(k, _) if !seen.insert(k.as_str())))
}

fn keep_float_type(new: &mut Node, old: &Node) {
    match (new, old) {
        (node @ Node::Scalar(Scalar::Int(_)), Node::Scalar(Scalar::Float(f)))
            if node.scalar_text() == Some(crate::numfmt::go_f(*f)) =>
        {
            *node = Node::Scalar(Scalar::Float(*f));
        }
        (Node::Map(m), Node::Map(o)) => keep_float_types(m, o),
        (Node::List(l), Node::List(o)) => {
            for (n, b) in l.iter_mut().zip(o) {
                keep_float_type(n, b);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod float_type_tests {
    use super::*;

    #[test]
    fn integers_that_were_the_same_float_become_floats_again() {
        let f = |v: f64| Node::Scalar(Scalar::Float(v));
        let i = |v: i64| Node::Scalar(Scalar::Int(v));
        let old = vec![
            Item::Pair("a".into(), f(5432.0)),
            Item::Pair("b".into(), Node::List(vec![f(1.0), f(2.0)])),
            Item::Pair("c".into(), f(7.0)),
            Item::Pair("d".into(), i(3)),
        ];
        let mut new = vec![
            Item::Pair("a".into(), i(5432)),
            Item::Pair("b".into(), Node::List(vec![i(1), i(3)])),
            Item::Pair("c".into(), i(8)),
            Item::Pair("d".into(), i(3)),
            Item::Pair("e".into(), i(1)),
        ];
        keep_float_types(&mut new, &old);
        let want = vec![
            Item::Pair("a".into(), f(5432.0)),
            Item::Pair("b".into(), Node::List(vec![f(1.0), i(3)])),
            Item::Pair("c".into(), i(8)),
            Item::Pair("d".into(), i(3)),
            Item::Pair("e".into(), i(1)),
        ];
        assert_eq!(new, want);
    }
}

#[cfg(test)]
mod overlay_tests {
    use super::*;

    fn pair(k: &str, v: Node) -> Item {
        Item::Pair(k.into(), v)
    }

    #[test]
    fn later_keys_win_and_maps_merge() {
        let mut base = vec![
            pair("a", Node::str("1")),
            pair(
                "db",
                Node::Map(vec![
                    pair("user", Node::str("u")),
                    pair("pw", Node::str("old")),
                ]),
            ),
        ];
        overlay(
            &mut base,
            vec![
                Item::Comment("c".into()),
                pair("db", Node::Map(vec![pair("pw", Node::str("new"))])),
                pair("a", Node::str("2")),
                pair("b", Node::str("3")),
            ],
        );
        assert_eq!(
            base,
            vec![
                pair("a", Node::str("2")),
                pair(
                    "db",
                    Node::Map(vec![
                        pair("user", Node::str("u")),
                        pair("pw", Node::str("new"))
                    ])
                ),
                pair("b", Node::str("3")),
            ]
        );
    }

    /// One file laid over nothing: its comments go and a repeated key keeps its first
    /// place with its last value, whether the fast path (no repeats) or the index is used.
    #[test]
    fn one_map_over_nothing_loses_comments_and_repeats() {
        let mut once = Vec::new();
        overlay(
            &mut once,
            vec![
                Item::Comment("c".into()),
                pair("a", Node::str("1")),
                pair("b", Node::str("2")),
            ],
        );
        assert_eq!(
            once,
            vec![pair("a", Node::str("1")), pair("b", Node::str("2"))]
        );
        let mut repeated = Vec::new();
        overlay(
            &mut repeated,
            vec![
                pair("a", Node::str("1")),
                Item::Comment("c".into()),
                pair("m", Node::Map(vec![pair("x", Node::str("1"))])),
                pair("a", Node::str("2")),
                pair("m", Node::Map(vec![pair("y", Node::str("2"))])),
            ],
        );
        assert_eq!(
            repeated,
            vec![
                pair("a", Node::str("2")),
                pair(
                    "m",
                    Node::Map(vec![pair("x", Node::str("1")), pair("y", Node::str("2"))])
                ),
            ]
        );
    }
}
