//! JSON store: Go encoding/json as sops uses it.

use super::{Loaded, Store};
use crate::error::{Code, Error, Result};
use crate::tree::{Map, Node};

/// The JSON store.
pub struct JsonStore {
    pub indent: Option<usize>,
}

impl Store for JsonStore {
    fn load(&self, _input: &[u8]) -> Result<Loaded> {
        Err(Error::new(Code::Generic, "JSON is not implemented yet"))
    }

    fn emit(&self, _docs: &[Map], _metadata: Option<&Map>) -> Result<Vec<u8>> {
        Err(Error::new(Code::Generic, "JSON is not implemented yet"))
    }

    fn emit_value(&self, _value: &Node) -> Result<Vec<u8>> {
        Err(Error::new(Code::Generic, "JSON is not implemented yet"))
    }
}
