//! JSON store: Go `encoding/json` as sops 3.11 uses it (`stores/json/store.go`).
//!
//! Reading keeps key order and duplicate keys (sops reads JSON token by token into its ordered
//! tree), decodes every number as an `f64` (sops ≤ 3.12) and takes the top-level `sops` key out
//! as the metadata. Writing reproduces sops' bytes: Go's escaping, `"key": value`, one tab (or
//! `indent` spaces) per level, `{}`/`[]` for empty containers, a final newline.

mod emit;
mod parse;
#[cfg(test)]
mod tests;
mod words;

#[cfg(test)]
use parse::MAX_DEPTH;

use super::seal::LeafSeal;
use super::{Loaded, Store};
use crate::error::{Code, Error, Result};
use crate::tree::{Item, Map, Node};

/// The JSON store.
pub struct JsonStore {
    /// Spaces per level, or `None` for one tab (sops' default).
    pub indent: Option<usize>,
}

/// The name of a value's kind, for messages.
fn kind(node: &Node) -> &'static str {
    match node {
        Node::Map(_) => "an object",
        Node::List(_) => "an array",
        Node::Scalar(crate::tree::Scalar::Null) => "null",
        Node::Scalar(_) => "a scalar",
        Node::Comment(_) => "a comment",
    }
}

fn dump_error(fail: emit::EmitFail) -> Error {
    let at = if fail.path.is_empty() {
        String::new()
    } else {
        format!(" at {}", fail.path)
    };
    Error::new(
        Code::ErrorDumpingTree,
        format!("Error marshaling to json: {}{at}", fail.cause),
    )
}

/// The document a JSON file holds: sops writes the first only (a multi-document YAML stream
/// loses the rest).
fn first(docs: &[Map]) -> Result<&Map> {
    docs.first().ok_or_else(|| {
        Error::new(
            Code::ErrorDumpingTree,
            "Error marshaling to json: no document to write",
        )
    })
}

impl JsonStore {
    /// Parses a JSON document into one map, keeping every top-level key (`sops` included).
    pub fn parse(input: &[u8]) -> Result<Map> {
        parse::parse_object(input).map_err(|f| {
            let (line, col) = parse::line_col(input, f.offset);
            Error::new(
                Code::CouldNotReadInputFile,
                format!("invalid JSON at line {line}, column {col}: {}", f.cause),
            )
        })
    }
}

impl Store for JsonStore {
    fn load(&self, input: &[u8]) -> Result<Loaded> {
        let mut doc = Self::parse(input)?;
        let mut metadata = None;
        while let Some(pos) = doc
            .iter()
            .position(|it| matches!(it, Item::Pair(k, _) if k == "sops"))
        {
            match doc.remove(pos) {
                Item::Pair(_, Node::Map(m)) => metadata = Some(m),
                Item::Pair(_, other) => {
                    return Err(Error::new(
                        Code::CouldNotReadInputFile,
                        format!(
                            "the top-level key \"sops\" must hold the sops metadata object, not {}",
                            kind(&other)
                        ),
                    ))
                }
                Item::Comment(_) => unreachable!("position matched a pair"),
            }
        }
        Ok(Loaded {
            docs: vec![doc],
            metadata,
            source: None,
        })
    }

    fn emit(&self, docs: &[Map], metadata: Option<&Map>) -> Result<Vec<u8>> {
        let mut out = emit::document(first(docs)?, metadata, self.indent).map_err(dump_error)?;
        out.push(b'\n');
        Ok(out)
    }

    fn print_leaves<'w>(
        &self,
        docs: &[Map],
        metadata: Option<&Map>,
        seal: Option<&'w mut dyn LeafSeal>,
        out: &'w mut dyn std::io::Write,
    ) -> Option<Result<()>> {
        Some(first(docs).and_then(|doc| {
            emit::document_to(doc, metadata, self.indent, out, seal)
                .map_err(dump_error)?
                .map_err(super::write_error)
        }))
    }

    fn emit_value(&self, value: &Node) -> Result<Vec<u8>> {
        emit::value(value, self.indent).map_err(dump_error)
    }
}
