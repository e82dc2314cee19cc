//! YAML store: go-yaml v3's reading and printing as sops 3.11 uses them.
//!
//! `parse` reads a stream into documents (comments kept as tree items where sops keeps them),
//! `emit` prints documents byte for byte as sops does, `resolve` holds go-yaml's scalar typing
//! shared by both, `limits` what a document may cost to load (aliases, nesting).

mod emit;
mod events;
mod fast;
mod limits;
mod parse;
mod resolve;

use super::seal::LeafSeal;
use super::{Loaded, Store};
use crate::error::{Code, Error, Result};
use crate::tree::{self, Map, Node};

pub(crate) use parse::load_docs;

/// Resolves the merge keys of `map` and every map below it, as Go's YAML reader does when it
/// reads a mapping into a struct (sops' own files keep `<<` as a key, so only settings files
/// are read this way): the keys of the merged map, or of each map of a merged list, are added
/// where the map does not set them itself, the first merged map to set a key giving it.
pub(crate) fn resolve_merges(map: &mut Map) -> Result<()> {
    let mut merged = Vec::new();
    for item in map.iter_mut() {
        if let tree::Item::Pair(_, value) = item {
            resolve_merges_below(value)?;
        }
    }
    map.retain_mut(|item| match item {
        tree::Item::Pair(key, value) if key.as_str() == "<<" => {
            merged.push(std::mem::replace(value, Node::Scalar(tree::Scalar::Null)));
            false
        }
        _ => true,
    });
    for source in merged {
        let sources = match source {
            Node::Map(m) => vec![m],
            Node::List(items) => items
                .into_iter()
                .filter(|n| !matches!(n, Node::Comment(_)))
                .map(|n| match n {
                    Node::Map(m) => Ok(m),
                    _ => Err(merge_needs_maps()),
                })
                .collect::<Result<_>>()?,
            _ => return Err(merge_needs_maps()),
        };
        for source in sources {
            for item in source {
                if let tree::Item::Pair(key, value) = item {
                    if tree::get(map, &key).is_none() {
                        map.push(tree::Item::Pair(key, value));
                    }
                }
            }
        }
    }
    Ok(())
}

fn resolve_merges_below(node: &mut Node) -> Result<()> {
    match node {
        Node::Map(m) => resolve_merges(m),
        Node::List(items) => items.iter_mut().try_for_each(resolve_merges_below),
        Node::Scalar(_) | Node::Comment(_) => Ok(()),
    }
}

/// go-yaml's refusal of a merge whose value is not a map or a list of maps.
fn merge_needs_maps() -> Error {
    Error::new(
        Code::Generic,
        "map merge requires map or sequence of maps as the value",
    )
}

/// The YAML store.
pub struct YamlStore {
    /// Spaces per indentation level (sops' default 4).
    pub indent: usize,
}

impl Store for YamlStore {
    fn load(&self, input: &[u8]) -> Result<Loaded> {
        let mut docs = parse::load_docs(input)?;
        if docs.is_empty() {
            // sops tells a zero-byte file apart from one with only blanks or comments.
            return Err(if input.is_empty() {
                Error::new(
                    Code::NeedAtLeastOneDocument,
                    "File cannot be completely empty, it must contain at least one document",
                )
            } else {
                Error::new(
                    Code::CouldNotReadInputFile,
                    "Error unmarshaling input YAML: EOF (no YAML document in the input)",
                )
            });
        }
        let mut metadata = None;
        for (i, doc) in docs.iter_mut().enumerate() {
            let meta = tree::remove(doc, "sops");
            if i == 0 {
                if let Some(Node::Map(m)) = meta {
                    metadata = Some(m);
                }
            }
        }
        Ok(Loaded {
            docs,
            metadata,
            source: None,
        })
    }

    fn emit(&self, docs: &[Map], metadata: Option<&Map>) -> Result<Vec<u8>> {
        emit::emit_docs(docs, metadata, self.indent, None, None)
            .map(String::into_bytes)
            .map_err(super::write_error)
    }

    fn print_leaves<'w>(
        &self,
        docs: &[Map],
        metadata: Option<&Map>,
        seal: Option<&'w mut dyn LeafSeal>,
        out: &'w mut dyn std::io::Write,
    ) -> Option<Result<()>> {
        Some(
            emit::emit_docs(docs, metadata, self.indent, Some(out), seal)
                .map(drop)
                .map_err(super::write_error),
        )
    }

    fn emit_value(&self, value: &Node) -> Result<Vec<u8>> {
        Ok(emit::emit_value(value).into_bytes())
    }
}

#[cfg(test)]
mod tests;
