//! TOML store (not in sops): values encrypted in place, the metadata in a final `[sops]`
//! table.
//!
//! Reading goes through `toml_edit`; comments become comment items in front of the pair or
//! list element they stand before (or behind, on the same line). Writing is done by hand so
//! that the layout is fixed and documented (see [`emit`]): TOML cannot say everything the
//! tree can (order of values after sub-tables, comments at the end of a table, null), so
//! every map is kept in the order TOML writes it ([`normalize`]).

mod emit;
mod layout;
mod load;
mod sections;
#[cfg(test)]
mod tests;

use super::seal::{seal_in_place, LeafSeal};
use super::{Loaded, Store};
use crate::error::{Code, Error, Result};
use crate::input::Input;
use crate::tree::{Item, Map, Node, Scalar};

/// The TOML store.
pub struct TomlStore;

/// Where reading failed: a byte offset into the text.
struct Fail {
    offset: usize,
    end: usize,
    cause: String,
}

/// Where writing failed: the tree path and why.
struct EmitFail {
    path: String,
    cause: String,
}

/// True for values written as sections: maps (`[a]`) and lists of maps (`[[a]]`).
fn is_table_like(node: &Node) -> bool {
    match node {
        Node::Map(_) => true,
        Node::List(items) => is_table_like_list(items),
        _ => false,
    }
}

/// True for a list of maps (comments between them allowed): an array of tables.
fn is_table_like_list(items: &[Node]) -> bool {
    items.iter().any(|n| matches!(n, Node::Map(_)))
        && items
            .iter()
            .all(|n| matches!(n, Node::Map(_)) || as_comment(n).is_some())
}

/// The text of a comment element of a list. Encryption turns a comment inside a list into
/// a string element `ENC[...,type:comment]` (as sops does); TOML writes it back as the
/// `#ENC[...]` comment line it came from, and decryption reads either form.
fn as_comment(node: &Node) -> Option<&str> {
    match node {
        Node::Comment(c) => Some(c),
        Node::Scalar(Scalar::Str(s))
            if s.starts_with("ENC[AES256_GCM,") && s.ends_with(",type:comment]") =>
        {
            Some(s)
        }
        _ => None,
    }
}

/// Puts one map (not its children) in TOML order: the pairs whose values are written as
/// `key = value` first, then those written as sections, each keeping the comments in front
/// of it (those in front of an array of tables become the list's first elements, as they
/// are read back); comments after the last pair stay last.
fn canonical_order(map: &mut Map) {
    let mut values = Map::with_capacity(map.len());
    let mut tables = Map::new();
    let mut pending = Vec::new();
    for item in map.drain(..) {
        match item {
            Item::Comment(_) => pending.push(item),
            Item::Pair(k, Node::List(mut items)) if is_table_like_list(&items) => {
                // Comments before `[[k]]` are read back as the list's own first elements.
                let front = pending.drain(..).map(|c| match c {
                    Item::Comment(c) => Node::Comment(c),
                    Item::Pair(..) => unreachable!("only comments are pending"),
                });
                items.splice(0..0, front);
                tables.push(Item::Pair(k, Node::List(items)));
            }
            Item::Pair(_, ref v) => {
                let to = if is_table_like(v) {
                    &mut tables
                } else {
                    &mut values
                };
                to.append(&mut pending);
                to.push(item);
            }
        }
    }
    values.append(&mut tables);
    values.append(&mut pending);
    *map = values;
}

/// Puts every map of `doc` in the order the TOML store writes and reads it back.
///
/// The MAC covers values in tree order, so a tree read from another format must be
/// normalised before it is encrypted into a TOML file; trees the TOML store reads are
/// normalised already.
pub fn normalize(doc: &mut Map) {
    fn node(n: &mut Node) {
        match n {
            Node::Map(m) => normalize(m),
            Node::List(items) => items.iter_mut().for_each(node),
            _ => {}
        }
    }
    for item in doc.iter_mut() {
        if let Item::Pair(_, v) = item {
            node(v);
        }
    }
    canonical_order(doc);
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before, |i| &before[i + 1..])
        .chars()
        .count()
        + 1;
    (line, col)
}

fn dump_error(fail: EmitFail) -> Error {
    let at = if fail.path.is_empty() {
        String::new()
    } else {
        format!(" at {}", fail.path)
    };
    Error::new(
        Code::ErrorDumpingTree,
        format!("Error marshaling to toml: {}{at}", fail.cause),
    )
}

/// Drops the null values of the metadata (an empty `hc_vault` of a key group): TOML has
/// none, and readers treat a missing field as empty.
fn without_nulls(map: &Map) -> Map {
    fn node(n: &Node) -> Option<Node> {
        match n {
            Node::Scalar(Scalar::Null) => None,
            Node::Map(m) => Some(Node::Map(without_nulls(m))),
            Node::List(items) => Some(Node::List(items.iter().filter_map(node).collect())),
            other => Some(other.clone()),
        }
    }
    map.iter()
        .filter_map(|item| match item {
            Item::Pair(k, v) => node(v).map(|v| Item::Pair(k.clone(), v)),
            Item::Comment(c) => Some(Item::Comment(c.clone())),
        })
        .collect()
}

/// The `[sops]` table as it is written after a body whose last character is `last` (`None`:
/// an empty body): after a blank line, as the fixed layout writes sections.
fn sops_after(last: Option<char>, metadata: &Map) -> Result<String> {
    let mut out = String::new();
    if let Some(last) = last {
        if last != '\n' {
            out.push('\n');
        }
        out.push('\n');
    }
    let sops = vec![Item::Pair(
        "sops".into(),
        Node::Map(without_nulls(metadata)),
    )];
    out.push_str(&emit::document(&sops).map_err(dump_error)?);
    Ok(out)
}

impl TomlStore {
    /// Parses a TOML document into one map, keeping every top-level key (`sops` included).
    pub fn parse(input: &[u8]) -> Result<Map> {
        let text = std::str::from_utf8(input).map_err(|e| {
            let valid = std::str::from_utf8(&input[..e.valid_up_to()]).unwrap_or_default();
            let (line, col) = line_col(valid, valid.len());
            Error::new(
                Code::CouldNotReadInputFile,
                format!("invalid TOML at line {line}, column {col}: the file is not UTF-8"),
            )
        })?;
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        load::document(body).map_err(|f| {
            let (line, col) = line_col(body, f.offset);
            let mut cause = f.cause.replace('\n', " ");
            if cause == "duplicate key" {
                let key = body.get(f.offset..f.end).unwrap_or("").trim();
                cause = format!("duplicate key `{key}`");
            }
            Error::new(
                Code::CouldNotReadInputFile,
                format!("invalid TOML at line {line}, column {col}: {cause}"),
            )
        })
    }
}

impl Store for TomlStore {
    fn load(&self, input: &[u8]) -> Result<Loaded> {
        self.load_owned(input.to_vec().into())
    }

    fn load_owned(&self, input: Input) -> Result<Loaded> {
        let mut doc = Self::parse(&input)?;
        // Kept for its layout, read again only when written.
        crate::input::start_over(&input);
        let metadata = match crate::tree::remove(&mut doc, "sops") {
            None => None,
            Some(Node::Map(m)) => Some(m),
            Some(_) => {
                return Err(Error::new(
                    Code::CouldNotReadInputFile,
                    "the top-level key \"sops\" must be the [sops] metadata table",
                ))
            }
        };
        Ok(Loaded {
            docs: vec![doc],
            metadata,
            source: Some(input),
        })
    }

    fn emit(&self, docs: &[Map], metadata: Option<&Map>) -> Result<Vec<u8>> {
        // As in the JSON store, only the first document is written.
        let doc = docs.first().ok_or_else(|| {
            Error::new(
                Code::ErrorDumpingTree,
                "Error marshaling to toml: no document to write",
            )
        })?;
        let text = match metadata {
            None => emit::document(doc),
            Some(meta) => {
                if crate::tree::get(doc, "sops").is_some() {
                    return Err(Error::new(
                        Code::ErrorDumpingTree,
                        "Error marshaling to toml: the document has its own top-level key \
                         \"sops\"",
                    ));
                }
                let mut full = doc.clone();
                full.push(Item::Pair("sops".into(), Node::Map(without_nulls(meta))));
                emit::document(&full)
            }
        }
        .map_err(dump_error)?;
        Ok(text.into_bytes())
    }

    fn emit_over(
        &self,
        docs: &[Map],
        metadata: Option<&Map>,
        source: Option<&[u8]>,
    ) -> Result<Vec<u8>> {
        let body = match (source.map(crate::input::utf8), docs.first()) {
            (Some(Ok(text)), Some(doc)) => layout::rewrite(text, doc),
            _ => None,
        };
        let Some(mut out) = body else {
            return self.emit(docs, metadata);
        };
        if let Some(meta) = metadata {
            out.push_str(&sops_after(out.chars().last(), meta)?);
        }
        Ok(out.into_bytes())
    }

    fn write_sealed(
        &self,
        docs: &mut [Map],
        metadata: &Map,
        source: Option<&[u8]>,
        seal: &mut dyn LeafSeal,
        out: &mut dyn std::io::Write,
    ) -> Result<()> {
        if let (Some(Ok(text)), Some(doc)) = (source.map(crate::input::utf8), docs.first()) {
            // The last character written, for the blank line before `[sops]`.
            let mut last = None;
            let mut write = |text: &str| {
                last = text.chars().last().or(last);
                out.write_all(text.as_bytes()).map_err(super::write_error)
            };
            if layout::write_sealed(text, doc, seal, &mut write)? {
                let sops = sops_after(last, metadata)?;
                return out.write_all(sops.as_bytes()).map_err(super::write_error);
            }
        }
        // Not in sections: made whole (sealed in place first), so that a failure writes
        // nothing.
        seal_in_place(docs, seal);
        let text = self.emit_over(docs, Some(metadata), source)?;
        out.write_all(&text).map_err(super::write_error)
    }

    fn emit_value(&self, value: &Node) -> Result<Vec<u8>> {
        emit::value(value)
            .map(String::into_bytes)
            .map_err(dump_error)
    }

    fn normalize(&self, docs: &mut [Map]) {
        docs.iter_mut().for_each(normalize);
    }
}
