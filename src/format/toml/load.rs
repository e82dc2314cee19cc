//! TOML text → tree, through `toml_edit`'s parser.
//!
//! Comments are read from the whitespace `toml_edit` keeps around keys, values and headers
//! (its "decor") and become comment items in front of the pair (or list element) they stand
//! before or behind. Every map is then put in the order the emitter writes
//! ([`canonical_order`]), so that what is encrypted (and MAC'd) in one order is read back in
//! the same order.

use super::{canonical_order, sections, Fail};
use crate::tree::{Item, Map, Node, Scalar};
use toml_edit::{Array, Decor, DocumentMut, InlineTable, Key, RawString, Table, Value};

/// Parses a whole file. Errors carry the byte offset of the problem.
pub(super) fn document(text: &str) -> Result<Map, Fail> {
    match sections::split(text).and_then(by_sections) {
        Some(map) => Ok(map),
        None => whole(text),
    }
}

/// [`document`] from one `toml_edit` document of the whole text.
fn whole(text: &str) -> Result<Map, Fail> {
    let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| Fail {
        offset: e.span().map_or(0, |s| s.start),
        end: e.span().map_or(0, |s| s.end),
        cause: e.message().trim().to_string(),
    })?;
    Ok(with_trailing(&doc, Map::new()))
}

/// The tree of `doc` (its trailing comments last) appended to `map`.
fn with_trailing(doc: &DocumentMut, mut map: Map) -> Map {
    map.extend(table(doc.as_table()));
    for c in raw_comments(Some(doc.trailing())) {
        map.push(Item::Comment(c.into()));
    }
    map
}

/// [`document`] read one section at a time (see [`sections`]): the same tree, or `None` when
/// a piece does not parse alone or names a key another piece also has.
fn by_sections(pieces: Vec<sections::Piece>) -> Option<Map> {
    let mut map = Map::new();
    let mut keys = crate::hash::FastSet::default();
    for piece in &pieces {
        crate::input::passed(piece.text.as_bytes(), 0);
        let doc: DocumentMut = piece.text.parse().ok()?;
        // Two pieces with the same top-level key would be one table (or an error) read
        // whole: an indented header, a dotted key, a second array of tables.
        for (key, _) in doc.iter() {
            if !keys.insert(key.to_string()) {
                return None;
            }
        }
        map = with_trailing(&doc, map);
    }
    // Each piece's map is in order already; the comments closing one piece stand in front
    // of the next piece's section, where reading the whole text puts them.
    canonical_order(&mut map);
    Some(map)
}

/// The comment lines in a stretch of whitespace and comments: the text after each `#`.
fn raw_comments(raw: Option<&RawString>) -> Vec<String> {
    let Some(text) = raw.and_then(RawString::as_str) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| line.trim_start().strip_prefix('#'))
        .map(|c| c.strip_suffix('\r').unwrap_or(c).to_string())
        .collect()
}

fn decor_comments(decor: &Decor, out: &mut Vec<String>) {
    out.extend(raw_comments(decor.prefix()));
    out.extend(raw_comments(decor.suffix()));
}

fn key_comments(key: Option<&Key>, out: &mut Vec<String>) {
    if let Some(key) = key {
        decor_comments(key.leaf_decor(), out);
        decor_comments(key.dotted_decor(), out);
    }
}

/// One pair with the comments read in front of it.
type Group = (Vec<String>, String, Node);

fn finish(groups: Vec<Group>, trailing: Vec<String>) -> Map {
    let mut map = Map::new();
    for (comments, key, node) in groups {
        map.extend(comments.into_iter().map(|c| Item::Comment(c.into())));
        map.push(Item::Pair(key.into(), node));
    }
    map.extend(trailing.into_iter().map(|c| Item::Comment(c.into())));
    canonical_order(&mut map);
    map
}

fn table(t: &Table) -> Map {
    let mut groups = Vec::with_capacity(t.len());
    for (k, item) in t.iter() {
        let mut comments = Vec::new();
        key_comments(t.key(k), &mut comments);
        let node = match item {
            toml_edit::Item::None => continue,
            toml_edit::Item::Value(v) => value(v, &mut comments),
            toml_edit::Item::Table(sub) => {
                decor_comments(sub.decor(), &mut comments);
                Node::Map(table(sub))
            }
            toml_edit::Item::ArrayOfTables(aot) => {
                let mut list = Vec::with_capacity(aot.len());
                for sub in aot.iter() {
                    let mut before = Vec::new();
                    decor_comments(sub.decor(), &mut before);
                    list.extend(before.into_iter().map(|c| Node::Comment(c.into())));
                    list.push(Node::Map(table(sub)));
                }
                Node::List(list)
            }
        };
        groups.push((comments, k.to_string(), node));
    }
    finish(groups, Vec::new())
}

fn inline_table(t: &InlineTable) -> Map {
    let mut groups = Vec::with_capacity(t.len());
    for (k, v) in t.iter() {
        let mut comments = Vec::new();
        key_comments(t.key(k), &mut comments);
        let node = value(v, &mut comments);
        groups.push((comments, k.to_string(), node));
    }
    finish(groups, raw_comments(Some(t.trailing())))
}

fn array(a: &Array) -> Vec<Node> {
    let mut list = Vec::with_capacity(a.len());
    for v in a.iter() {
        let mut comments = Vec::new();
        let node = value(v, &mut comments);
        list.extend(comments.into_iter().map(|c| Node::Comment(c.into())));
        list.push(node);
    }
    list.extend(
        raw_comments(Some(a.trailing()))
            .into_iter()
            .map(|c| Node::Comment(c.into())),
    );
    list
}

/// A value; the comments of its decor go to `comments`.
pub(super) fn value(v: &Value, comments: &mut Vec<String>) -> Node {
    decor_comments(v.decor(), comments);
    match v {
        Value::String(s) => Node::Scalar(Scalar::Str(s.value().into())),
        Value::Integer(i) => Node::Scalar(Scalar::Int(*i.value())),
        Value::Float(f) => Node::Scalar(Scalar::Float(*f.value())),
        Value::Boolean(b) => Node::Scalar(Scalar::Bool(*b.value())),
        Value::Datetime(d) => Node::Scalar(Scalar::Time(datetime_text(*d.value()).into())),
        Value::Array(a) => Node::List(array(a)),
        Value::InlineTable(t) => Node::Map(inline_table(t)),
    }
}

/// RFC 3339 text for an offset date-time; the TOML text for local date-times, dates and
/// times. Seconds are always written (TOML 1.1 lets them be left out).
pub(super) fn datetime_text(mut d: toml_edit::Datetime) -> String {
    if let Some(t) = d.time.as_mut() {
        if t.second.is_none() {
            t.second = Some(0);
        }
    }
    d.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_read_as_the_whole_text() {
        let mut texts: Vec<String> = sections::TEXTS.iter().map(|t| t.to_string()).collect();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");
        for sub in ["plain", "sops", "expected"] {
            for entry in std::fs::read_dir(format!("{dir}/{sub}")).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "toml") {
                    texts.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        let mut split = 0;
        for text in &texts {
            let Some(pieces) = sections::split(text) else {
                continue;
            };
            split += 1;
            let by = by_sections(pieces).expect("plain sections read one by one");
            assert_eq!(by, whole(text).ok().unwrap(), "{text}");
        }
        assert!(
            split >= sections::TEXTS.len(),
            "only {split} texts were split"
        );
    }

    #[test]
    fn sections_that_share_a_key_are_read_whole() {
        // Read whole, `[s1]` then `  [s3]` (indented) then `[s3]` is an error.
        let text = "[s1]\n  [s3]\nk = 1\n[s2]\n[s3]\nj = 2\n";
        assert!(by_sections(sections::split(text).unwrap()).is_none());
        assert!(document(text).is_err());
        let text = "s3.k = 1\n[s1]\n[s2]\n[s3]\nj = 2\n";
        assert!(by_sections(sections::split(text).unwrap()).is_none());
    }
}
