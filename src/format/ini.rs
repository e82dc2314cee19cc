//! INI store: sections of `key = value`, `;` comments, a flattened `[sops]` section
//! (`stores/ini/store.go` on top of go-ini `gopkg.in/ini.v1` v1.67.1; SOPS-FORMAT.md §6.4).
//!
//! The tree is one document whose items are sections (`Item::Pair(name, Node::Map)`), in
//! file order, duplicates kept apart, always starting with the implicit `DEFAULT` section
//! (keys before any header). Every value is a string. Comments are placed where sops places
//! them: a section's comment (the lines above its header and a trailing `; x` on it) is the
//! section's first item; a key's comment (the lines above it and its inline `; x`) is the
//! item right after the key. Comment text is stripped of its leading `;`/`#` and spaces.
//!
//! Writing follows go-ini's pretty printer as sops drives it: `=` aligned per section,
//! comments as `; text` above their key or header, a blank line between sections, values
//! quoted where go-ini quotes them (`"""…"""` for newlines and backticks).

mod parse;
mod write;
pub(crate) use write::json_string;

use super::flatten::{flatten, unflatten};
use super::seal::{LeafSeal, Unsealed};
use super::{Loaded, Store};
use crate::error::{Code, Error, Result};
use crate::tree::{Item, Map, Node, Scalar};

/// The name of the section that holds the flattened metadata.
pub const SOPS_SECTION: &str = "sops";

/// The ini store.
pub struct IniStore;

impl Store for IniStore {
    fn load(&self, input: &[u8]) -> Result<Loaded> {
        let mut metadata = None;
        let mut doc = Map::new();
        parse::parse(input, &mut |section| {
            if section.name == SOPS_SECTION {
                // sops reads the first [sops] section and drops them all from the data.
                if metadata.is_none() {
                    let pairs: Vec<(String, String)> = section
                        .keys
                        .into_iter()
                        .map(|key| (key.name, key.value))
                        .collect();
                    metadata = Some(unflatten(&pairs)?);
                }
            } else {
                doc.push(section.into_item());
            }
            Ok(())
        })?;
        Ok(Loaded {
            docs: vec![doc],
            metadata,
            source: None,
        })
    }

    fn emit(&self, docs: &[Map], metadata: Option<&Map>) -> Result<Vec<u8>> {
        let mut out = String::new();
        print(docs, metadata, &mut out, &mut |_| Ok(()), &mut Unsealed)?;
        Ok(out.into_bytes())
    }

    fn print_leaves<'w>(
        &self,
        docs: &[Map],
        metadata: Option<&Map>,
        seal: Option<&'w mut dyn LeafSeal>,
        out: &'w mut dyn std::io::Write,
    ) -> Option<Result<()>> {
        Some(match seal {
            Some(seal) => write(docs, metadata, out, seal),
            None => write(docs, metadata, out, &mut Unsealed),
        })
    }

    fn emit_value(&self, value: &Node) -> Result<Vec<u8>> {
        match value {
            // sops prints a string as it is, whatever the output store.
            Node::Scalar(Scalar::Str(s)) => Ok(s.clone().into_bytes()),
            Node::Map(map) => self.emit(std::slice::from_ref(map), None),
            other => write::go_json(other).map(String::into_bytes),
        }
    }
}

/// Text made before it goes to the writer (tiny in tests, so they write many chunks).
const OUT_CHUNK: usize = if cfg!(test) { 5 } else { 64 * 1024 };

/// Writes the file to `out` a section at a time, each leaf as `seal` gives it. Every
/// section is checked first, so what cannot be written fails before the first byte is.
fn write(
    docs: &[Map],
    metadata: Option<&Map>,
    out: &mut dyn std::io::Write,
    seal: &mut dyn LeafSeal,
) -> Result<()> {
    for item in docs.iter().flatten() {
        if let Item::Pair(name, node) = item {
            write::Section::from_items(name, section_items(node)?)?;
        }
    }
    let mut text = String::with_capacity(OUT_CHUNK + 1024);
    let mut flush = |text: &mut String| {
        if text.len() >= OUT_CHUNK {
            out.write_all(text.as_bytes()).map_err(super::write_error)?;
            text.clear();
        }
        Ok(())
    };
    print(docs, metadata, &mut text, &mut flush, seal)?;
    out.write_all(text.as_bytes()).map_err(super::write_error)
}

/// The items of a section's value: sections are maps.
fn section_items(node: &Node) -> Result<&Map> {
    match node {
        Node::Map(items) => Ok(items),
        _ => Err(Error::new(
            Code::ErrorDumpingTree,
            "Error encoding section: Section values should always be TreeBranches",
        )),
    }
}

/// Prints the sections of `docs` and then the metadata as a `[sops]` section into `out`,
/// calling `flush` after each section; each leaf as `seal` gives it. Each section is built
/// and written in turn, so only one is held beside the text.
fn print(
    docs: &[Map],
    metadata: Option<&Map>,
    out: &mut String,
    flush: &mut dyn FnMut(&mut String) -> Result<()>,
    seal: &mut dyn LeafSeal,
) -> Result<()> {
    let count = docs
        .iter()
        .flatten()
        .filter(|i| matches!(i, Item::Pair(..)))
        .count()
        + usize::from(metadata.is_some());
    let mut index = 0;
    let mut put = |section: write::Section, out: &mut String| {
        index += 1;
        write::write_section(out, &section, index - 1, index < count);
        flush(out)
    };
    for doc in docs {
        seal.open();
        for item in doc {
            match item {
                Item::Comment(text) => {
                    // Not written, but a comment selector counts it.
                    seal.comment(text);
                }
                Item::Pair(name, node) => {
                    seal.enter_key(name);
                    let section =
                        write::Section::sealed_from_items(name, section_items(node)?, seal)?;
                    seal.leave_key();
                    put(section, out)?;
                }
            }
        }
        seal.close();
    }
    if let Some(meta) = metadata {
        let mut section = write::Section::new(SOPS_SECTION)?;
        for (key, value) in flatten(meta) {
            section.add_key(key, value)?;
        }
        put(section, out)?;
    }
    Ok(())
}

/// sops' `stripCommentChar`: drop the leading run of `;`+spaces or `#`+spaces.
/// Where each key name sits in a section's list of keys. go-ini looks names up in a map; a
/// linear search made a section of n keys cost n² to read or write.
#[derive(Debug, Default)]
struct KeyIndex(crate::hash::FastMap<String, usize>);

impl KeyIndex {
    /// The position of `name` if it was seen; otherwise records it at `next`.
    fn find_or_insert(&mut self, name: &str, next: usize) -> Option<usize> {
        if let Some(&i) = self.0.get(name) {
            return Some(i);
        }
        self.0.insert(name.to_string(), next);
        None
    }
}

fn strip_comment_char(comment: &str) -> String {
    if comment.starts_with(';') {
        comment.trim_start_matches([';', ' ']).to_string()
    } else if comment.starts_with('#') {
        comment.trim_start_matches(['#', ' ']).to_string()
    } else {
        comment.to_string()
    }
}

#[cfg(test)]
mod tests;
