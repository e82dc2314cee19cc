//! dotenv store: `KEY=value` lines, `#` comments, flattened `sops_` metadata lines.

use super::{Loaded, Store};
use crate::error::{Code, Error, Result};
use crate::tree::{Map, Node};

/// The dotenv store.
pub struct DotenvStore;

impl Store for DotenvStore {
    fn load(&self, _input: &[u8]) -> Result<Loaded> {
        Err(Error::new(Code::Generic, "dotenv is not implemented yet"))
    }

    fn emit(&self, _docs: &[Map], _metadata: Option<&Map>) -> Result<Vec<u8>> {
        Err(Error::new(Code::Generic, "dotenv is not implemented yet"))
    }

    fn emit_value(&self, _value: &Node) -> Result<Vec<u8>> {
        Err(Error::new(Code::Generic, "dotenv is not implemented yet"))
    }
}
