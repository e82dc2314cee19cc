//! The ordered tree every store reads into and writes from.
//!
//! It mirrors sops' `TreeBranch`: maps keep their key order, comments are items of the
//! map or list that holds them, and scalars carry the type sops records in `type:`.

/// One document: an ordered map.
pub type Map = Vec<Item>;

/// An entry of a map: a key with its value, or a comment line standing between entries.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Pair(String, Node),
    /// Text after `#` (YAML, dotenv) or `;` (INI); a leading space is kept.
    Comment(String),
}

/// A value in the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Map(Map),
    /// List elements; comments inside a list are `Node::Comment` elements.
    List(Vec<Node>),
    Scalar(Scalar),
    Comment(String),
}

/// A leaf value, typed as sops types it.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    /// Raw bytes (the binary store's `data`, which need not be UTF-8).
    Bytes(Vec<u8>),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A YAML timestamp, kept as the RFC 3339 text Go's `MarshalText` gives.
    Time(String),
    Null,
}

impl Node {
    /// A string leaf.
    pub fn str(s: impl Into<String>) -> Node {
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
