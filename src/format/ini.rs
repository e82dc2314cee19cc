//! INI store: sections of `key = value`, `;` comments, a flattened `[sops]` section.

use super::{Loaded, Store};
use crate::error::{Code, Error, Result};
use crate::tree::{Map, Node};

/// The ini store.
pub struct IniStore;

impl Store for IniStore {
    fn load(&self, _input: &[u8]) -> Result<Loaded> {
        Err(Error::new(Code::Generic, "ini is not implemented yet"))
    }

    fn emit(&self, _docs: &[Map], _metadata: Option<&Map>) -> Result<Vec<u8>> {
        Err(Error::new(Code::Generic, "ini is not implemented yet"))
    }

    fn emit_value(&self, _value: &Node) -> Result<Vec<u8>> {
        Err(Error::new(Code::Generic, "ini is not implemented yet"))
    }
}
