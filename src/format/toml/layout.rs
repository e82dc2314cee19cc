//! Writing a tree in the layout of the TOML text it was read from: blank lines, comments on
//! the line of their value, inline tables, dotted keys and the order of sections stay as
//! written; only the values and comment texts that differ are replaced.
//!
//! The source is walked exactly as [`super::load`] reads it, so every value and comment line
//! of the text meets its counterpart in the tree (found by key, not position, since the
//! reader reorders maps). When the tree does not have the source's shape (a key added or
//! removed, a list of another length, a comment more or less), [`rewrite`] gives up and the
//! store writes its fixed layout instead.

use super::{emit, load, sections};
use crate::error::{Code, Error, Result};
use crate::format::seal::{seal_items, LeafSeal};
use crate::tree::{Item, Map, Node, Scalar};
use toml_edit::{Array, ArrayOfTables, Decor, DocumentMut, InlineTable, RawString, Table, Value};

/// Where the text goes, a piece at a time.
type Write<'w> = dyn FnMut(&str) -> Result<()> + 'w;

/// The body (no `sops` table) of `source` with the values and comments of `doc`, or `None`
/// when `doc` does not have the source's shape.
pub(super) fn rewrite(source: &str, doc: &Map) -> Option<String> {
    let body = source.strip_prefix('\u{feff}').unwrap_or(source);
    let by_sections = sections::split(body).and_then(|pieces| {
        let mut out = String::with_capacity(body.len());
        let mut push = |text: &str| {
            out.push_str(text);
            Ok(())
        };
        by_sections(&pieces, doc, Some(&mut push), None).ok()??;
        Some(out)
    });
    match by_sections {
        Some(text) => Some(text),
        None => whole(body, doc),
    }
}

/// Writes the body of `source` with the values and comments of `doc` to `write` a section
/// at a time, each leaf as `seal` gives it: `Ok(false)` (nothing written) when that cannot
/// be done section by section (see [`by_sections`]), so the caller must write it whole.
pub(super) fn write_sealed(
    source: &str,
    doc: &Map,
    seal: &mut dyn LeafSeal,
    write: &mut Write,
) -> Result<bool> {
    let body = source.strip_prefix('\u{feff}').unwrap_or(source);
    let Some(pieces) = sections::split(body) else {
        return Ok(false);
    };
    // Tried on the plaintext first (sealing changes no shape), so that nothing is written
    // when the layout cannot be kept.
    if by_sections(&pieces, doc, None, None)? != Some(()) {
        return Ok(false);
    }
    match by_sections(&pieces, doc, Some(write), Some(seal))? {
        Some(()) => Ok(true),
        None => Err(Error::new(
            Code::ErrorDumpingTree,
            "Error marshaling to toml: the sealed document lost the layout of its source",
        )),
    }
}

/// [`rewrite`] one section at a time (see [`sections`]), so that only one section's
/// `toml_edit` document is held: each section's text goes to `write` (none: only check that
/// it can be made), each leaf as `seal` gives it (none: as it is). `None` when the pieces
/// cannot be rewritten apart (the caller then rewrites the whole text, which gives up
/// where this did); an error only from `write`.
fn by_sections(
    pieces: &[sections::Piece],
    doc: &Map,
    mut write: Option<&mut Write>,
    mut seal: Option<&mut dyn LeafSeal>,
) -> Result<Option<()>> {
    let (body, sops) = match pieces.split_last() {
        Some((last, body)) if last.name == Some("sops") => (body, Some(last)),
        Some(_) => (pieces, None),
        None => return Ok(None),
    };
    if body.iter().any(|p| p.name == Some("sops")) {
        // Read whole, its comments would move to the end.
        return Ok(None);
    }
    if let Some(seal) = seal.as_deref_mut() {
        seal.open();
    }
    let mut rest = doc.as_slice();
    for (i, piece) in body.iter().enumerate() {
        crate::input::passed(piece.text.as_bytes(), 0);
        let Ok(mut parsed) = piece.text.parse::<DocumentMut>() else {
            return Ok(None);
        };
        // This piece's part of the tree: its pairs (with the comments in front of them) and
        // the comment lines closing its text, which the tree has in front of the next
        // section's pair.
        let pairs = parsed.iter().filter(|(_, item)| !item.is_none()).count();
        let closing = raw_comment_lines(Some(parsed.trailing()));
        let end = match i + 1 == body.len() {
            true => Some(rest.len()),
            false => after_pairs(rest, pairs).map(|end| end + closing),
        };
        let Some(end) = end.filter(|&end| end <= rest.len()) else {
            return Ok(None);
        };
        let (part, next) = rest.split_at(end);
        rest = next;
        if let (true, Some(sops)) = (i + 1 == body.len(), sops) {
            let Ok(sops_doc) = sops.text.parse::<DocumentMut>() else {
                return Ok(None);
            };
            let prefix = parsed.trailing().as_str().unwrap_or("");
            let prefix = prefix.strip_suffix('\n').unwrap_or(prefix);
            let trailing = format!("{prefix}{}", sops_doc.trailing().as_str().unwrap_or(""));
            parsed.set_trailing(trailing);
        }
        // Only this part is held sealed.
        let sealed;
        let part = match seal.as_deref_mut() {
            Some(seal) => {
                let mut copy = part.to_vec();
                seal_items(&mut copy, seal);
                sealed = copy;
                &sealed[..]
            }
            None => part,
        };
        if body_of(&mut parsed, part).is_none() {
            return Ok(None);
        }
        if let Some(write) = write.as_deref_mut() {
            write(&parsed.to_string())?;
        }
    }
    if let Some(seal) = seal {
        seal.close();
    }
    Ok(rest.is_empty().then_some(()))
}

/// The index just after the first `n` pairs of `items`.
fn after_pairs(items: &[Item], n: usize) -> Option<usize> {
    if n == 0 {
        return Some(0);
    }
    items
        .iter()
        .enumerate()
        .filter(|(_, item)| matches!(item, Item::Pair(..)))
        .nth(n - 1)
        .map(|(i, _)| i + 1)
}

/// [`rewrite`] of the whole text as one `toml_edit` document.
fn whole(body: &str, doc: &Map) -> Option<String> {
    let mut parsed: DocumentMut = body.parse().ok()?;
    if let Some(sops) = parsed.remove("sops") {
        // The body's closing comments were read as the prefix of the `[sops]` header; they stay,
        // without the blank line written before the header.
        let prefix = sops
            .as_table()
            .and_then(|t| t.decor().prefix())
            .and_then(RawString::as_str)
            .unwrap_or("");
        let prefix = prefix.strip_suffix('\n').unwrap_or(prefix);
        let trailing = parsed.trailing().as_str().unwrap_or("").to_string();
        parsed.set_trailing(format!("{prefix}{trailing}"));
    }
    body_of(&mut parsed, doc)?;
    Some(parsed.to_string())
}

/// Puts the values and comments of `doc` into `parsed` (its `sops` table taken out).
fn body_of(parsed: &mut DocumentMut, doc: &[Item]) -> Option<()> {
    let (pairs, closing) = split_closing(doc);
    table(parsed.as_table_mut(), pairs)?;
    let mut slots = Slots::of(closing);
    let trailing = rewrite_raw(Some(parsed.trailing()), &mut slots)?;
    slots.done()?;
    if let Some(text) = trailing {
        parsed.set_trailing(text);
    }
    Some(())
}

/// A map's pairs (with the comments in front of them) and the comments after its last pair.
fn split_closing(map: &[Item]) -> (&[Item], &[Item]) {
    let end = map
        .iter()
        .rposition(|i| matches!(i, Item::Pair(..)))
        .map_or(0, |i| i + 1);
    map.split_at(end)
}

/// The pairs of a map by key, each with the comment texts right in front of it: the source
/// meets them by key, in its own order, so each is found once without a scan of the map.
struct Entries<'a> {
    by_key: crate::hash::FastMap<&'a str, (Vec<&'a str>, &'a Node)>,
}

impl<'a> Entries<'a> {
    fn of(map: &'a [Item]) -> Entries<'a> {
        let mut by_key = crate::hash::map_with_capacity(map.len());
        let mut comments = Vec::new();
        for item in map {
            match item {
                Item::Comment(c) => comments.push(c.as_str()),
                Item::Pair(k, node) => {
                    // The first of equal keys, as a scan would find.
                    by_key
                        .entry(k.as_str())
                        .or_insert((std::mem::take(&mut comments), node));
                    comments.clear();
                }
            }
        }
        Entries { by_key }
    }

    /// The node of `key` and the comment texts right in front of it.
    fn take(&mut self, key: &str) -> Option<(Vec<&'a str>, &'a Node)> {
        self.by_key.remove(key)
    }
}

fn pair_count(map: &[Item]) -> usize {
    map.iter().filter(|i| matches!(i, Item::Pair(..))).count()
}

/// The new comment texts for the comment lines met next, in reading order.
struct Slots<'a> {
    texts: std::vec::IntoIter<&'a str>,
}

impl<'a> Slots<'a> {
    fn new(texts: Vec<&'a str>) -> Slots<'a> {
        Slots {
            texts: texts.into_iter(),
        }
    }

    fn of(items: &'a [Item]) -> Slots<'a> {
        Slots::new(
            items
                .iter()
                .filter_map(|i| match i {
                    Item::Comment(c) => Some(c.as_str()),
                    Item::Pair(..) => None,
                })
                .collect(),
        )
    }

    /// Every text used: the tree had as many comments as the source.
    fn done(mut self) -> Option<()> {
        self.texts.next().is_none().then_some(())
    }
}

/// `raw` with the text after each comment's `#` replaced by the next slot; `None` inside
/// when it holds no comment (nothing to change), `None` outside when the slots run out.
fn rewrite_raw(raw: Option<&RawString>, slots: &mut Slots) -> Option<Option<String>> {
    let Some(text) = raw.and_then(RawString::as_str) else {
        return Some(None);
    };
    if !text.contains('#') {
        return Some(None);
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        match line.trim_start().strip_prefix('#') {
            Some(rest) => {
                let ending = &rest[rest.trim_end_matches(['\r', '\n']).len()..];
                out.push_str(&line[..indent]);
                out.push('#');
                out.push_str(slots.texts.next()?);
                out.push_str(ending);
            }
            None => out.push_str(line),
        }
    }
    Some(Some(out))
}

/// Rewrites the comments of a decor (prefix, then suffix, as they are read).
fn decor(d: &mut Decor, slots: &mut Slots) -> Option<()> {
    if let Some(p) = rewrite_raw(d.prefix(), slots)? {
        d.set_prefix(p);
    }
    if let Some(s) = rewrite_raw(d.suffix(), slots)? {
        d.set_suffix(s);
    }
    Some(())
}

fn table(t: &mut Table, map: &[Item]) -> Option<()> {
    let present = t.iter().filter(|(_, item)| !item.is_none()).count();
    if present != pair_count(map) {
        return None;
    }
    let mut entries = Entries::of(map);
    for (mut key, item) in t.iter_mut() {
        if item.is_none() {
            continue;
        }
        let (comments, node) = entries.take(key.get())?;
        let mut slots = Slots::new(comments);
        if let toml_edit::Item::ArrayOfTables(aot) = item {
            // The comments in front of `[[k]]` are the list's first elements (see
            // `canonical_order`), followed by each table's own.
            let Node::List(list) = node else { return None };
            let mut elements = Elements::new(list);
            let mut key_slots = elements.comments(key_comment_count(&key))?;
            decor(key.leaf_decor_mut(), &mut key_slots)?;
            decor(key.dotted_decor_mut(), &mut key_slots)?;
            key_slots.done()?;
            array_of_tables(aot, &mut elements)?;
            elements.done()?;
        } else {
            decor(key.leaf_decor_mut(), &mut slots)?;
            decor(key.dotted_decor_mut(), &mut slots)?;
            match item {
                toml_edit::Item::Value(v) => value(v, node, &mut slots, true)?,
                toml_edit::Item::Table(sub) => {
                    decor(sub.decor_mut(), &mut slots)?;
                    let Node::Map(m) = node else { return None };
                    let (pairs, closing) = split_closing(m);
                    if !closing.is_empty() {
                        return None;
                    }
                    table(sub, pairs)?;
                }
                _ => return None,
            }
        }
        slots.done()?;
    }
    Some(())
}

/// How many comment lines the decor of a key holds.
fn key_comment_count(key: &toml_edit::KeyMut) -> usize {
    comment_lines(key.leaf_decor()) + comment_lines(key.dotted_decor())
}

fn array_of_tables(aot: &mut ArrayOfTables, elements: &mut Elements) -> Option<()> {
    for sub in aot.iter_mut() {
        let mut before = elements.comments(comment_lines(sub.decor()))?;
        decor(sub.decor_mut(), &mut before)?;
        before.done()?;
        let Node::Map(m) = elements.next()? else {
            return None;
        };
        let (pairs, closing) = split_closing(m);
        if !closing.is_empty() {
            return None;
        }
        table(sub, pairs)?;
    }
    Some(())
}

/// How many comment lines a decor holds.
fn comment_lines(d: &Decor) -> usize {
    raw_comment_lines(d.prefix()) + raw_comment_lines(d.suffix())
}

/// How many comment lines a stretch of whitespace and comments holds.
fn raw_comment_lines(raw: Option<&RawString>) -> usize {
    raw.and_then(RawString::as_str)
        .unwrap_or("")
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .count()
}

/// A list's elements taken in order: comments (read from decor) and values.
struct Elements<'a> {
    items: &'a [Node],
    at: usize,
}

impl<'a> Elements<'a> {
    fn new(items: &'a [Node]) -> Elements<'a> {
        Elements { items, at: 0 }
    }

    /// The next `n` elements, which must be comments.
    fn comments(&mut self, n: usize) -> Option<Slots<'a>> {
        let taken = self.items.get(self.at..self.at + n)?;
        self.at += n;
        taken
            .iter()
            .map(super::as_comment)
            .collect::<Option<Vec<_>>>()
            .map(Slots::new)
    }

    fn next(&mut self) -> Option<&'a Node> {
        let node = self.items.get(self.at)?;
        self.at += 1;
        Some(node)
    }

    fn done(&self) -> Option<()> {
        (self.at == self.items.len()).then_some(())
    }
}

/// A value and its decor; `key_value` when it is the value of a key in a table (not inside an
/// array or inline table).
fn value(v: &mut Value, node: &Node, slots: &mut Slots, key_value: bool) -> Option<()> {
    decor(v.decor_mut(), slots)?;
    match (v, node) {
        (Value::Array(a), Node::List(list)) => array(a, list),
        (Value::InlineTable(t), Node::Map(m)) => inline_table(t, m),
        (Value::Array(_) | Value::InlineTable(_), _) => None,
        (v, Node::Scalar(s)) => scalar(v, s, key_value),
        _ => None,
    }
}

/// Replaces a scalar whose value changed, spelled as the fixed layout spells it (one that did
/// not change keeps its spelling: `0x1F`, `'literal'`), keeping its decor.
fn scalar(v: &mut Value, new: &Scalar, key_value: bool) -> Option<()> {
    if load::value(v, &mut Vec::new()) == Node::Scalar(new.clone()) {
        return Some(());
    }
    let mut replacement: Value = emit::scalar_text(new, key_value)?.parse().ok()?;
    *replacement.decor_mut() = v.decor().clone();
    *v = replacement;
    Some(())
}

fn array(a: &mut Array, list: &[Node]) -> Option<()> {
    let mut elements = Elements::new(list);
    for v in a.iter_mut() {
        let mut slots = elements.comments(comment_lines(v.decor()))?;
        let node = elements.next()?;
        value(v, node, &mut slots, false)?;
        slots.done()?;
    }
    let mut slots = elements.comments(raw_comment_lines(Some(a.trailing())))?;
    if let Some(text) = rewrite_raw(Some(a.trailing()), &mut slots)? {
        a.set_trailing(text);
    }
    slots.done()?;
    elements.done()
}

fn inline_table(t: &mut InlineTable, map: &Map) -> Option<()> {
    let (pairs, closing) = split_closing(map);
    if t.len() != pair_count(pairs) {
        return None;
    }
    let mut entries = Entries::of(pairs);
    for (mut key, v) in t.iter_mut() {
        let (comments, node) = entries.take(key.get())?;
        let mut slots = Slots::new(comments);
        decor(key.leaf_decor_mut(), &mut slots)?;
        decor(key.dotted_decor_mut(), &mut slots)?;
        value(v, node, &mut slots, false)?;
        slots.done()?;
    }
    let mut slots = Slots::of(closing);
    if let Some(text) = rewrite_raw(Some(t.trailing()), &mut slots)? {
        t.set_trailing(text);
    }
    slots.done()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string value and comment changed, as encryption changes them.
    fn changed(items: &mut [Item]) {
        fn node(n: &mut Node) {
            match n {
                Node::Map(m) => changed(m),
                Node::List(l) => l.iter_mut().for_each(node),
                Node::Scalar(Scalar::Str(s)) => *s = format!("{s}-new").into(),
                Node::Comment(s) => *s = format!("{s}-new").into(),
                Node::Scalar(_) => {}
            }
        }
        for item in items {
            match item {
                Item::Pair(_, v) => node(v),
                Item::Comment(c) => *c = format!("{c} new").into(),
            }
        }
    }

    #[test]
    fn sections_rewrite_as_the_whole_text() {
        for text in sections::TEXTS {
            let mut doc = load::document(text).ok().unwrap();
            crate::tree::remove(&mut doc, "sops");
            changed(&mut doc);
            let pieces = sections::split(text).unwrap();
            let mut by = String::new();
            let mut push = |text: &str| {
                by.push_str(text);
                Ok(())
            };
            let done = by_sections(&pieces, &doc, Some(&mut push), None).unwrap();
            assert_eq!(done, Some(()), "rewritten one by one: {text}");
            assert_eq!(Some(by), whole(text, &doc), "{text}");
        }
    }
}
