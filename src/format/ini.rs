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
use super::{Loaded, Store};
use crate::error::{Code, Error, Result};
use crate::tree::{Item, Map, Node, Scalar};
use std::collections::HashMap;

/// The name of the section that holds the flattened metadata.
pub const SOPS_SECTION: &str = "sops";

/// The ini store.
pub struct IniStore;

impl Store for IniStore {
    fn load(&self, input: &[u8]) -> Result<Loaded> {
        let sections = parse::parse(input)?;
        let mut metadata = None;
        let mut doc = Map::new();
        for section in sections {
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
                continue;
            }
            doc.push(section.into_item());
        }
        Ok(Loaded {
            docs: vec![doc],
            metadata,
            source: None,
        })
    }

    fn emit(&self, docs: &[Map], metadata: Option<&Map>) -> Result<Vec<u8>> {
        let sections = docs.iter().flatten();
        let count = sections
            .clone()
            .filter(|i| matches!(i, Item::Pair(..)))
            .count()
            + usize::from(metadata.is_some());
        // Each section is built and written in turn, so only one is held beside the text.
        let mut out = String::new();
        let mut index = 0;
        let mut put = |section: write::Section| {
            index += 1;
            write::write_section(&mut out, &section, index - 1, index < count);
        };
        for item in sections {
            match item {
                Item::Comment(_) => {}
                Item::Pair(name, Node::Map(items)) => put(write::Section::from_items(name, items)?),
                Item::Pair(..) => {
                    return Err(Error::new(
                        Code::ErrorDumpingTree,
                        "Error encoding section: Section values should always be TreeBranches",
                    ))
                }
            }
        }
        if let Some(meta) = metadata {
            let mut section = write::Section::new(SOPS_SECTION)?;
            for (key, value) in flatten(meta) {
                section.add_key(key, value)?;
            }
            put(section);
        }
        Ok(out.into_bytes())
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

/// sops' `stripCommentChar`: drop the leading run of `;`+spaces or `#`+spaces.
/// Where each key name sits in a section's list of keys. go-ini looks names up in a map; a
/// linear search made a section of n keys cost n² to read or write.
#[derive(Debug, Default)]
struct KeyIndex(HashMap<String, usize>);

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
