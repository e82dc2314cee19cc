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
