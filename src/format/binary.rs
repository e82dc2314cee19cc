//! Binary store: the whole file is one value, `data`, kept in a JSON document.

use super::{Loaded, Store};
use crate::error::{Code, Error, Result};
use crate::tree::{Map, Node};

/// The binary store.
pub struct BinaryStore {
    pub indent: Option<usize>,
}

impl Store for BinaryStore {
    fn load(&self, _input: &[u8]) -> Result<Loaded> {
        Err(Error::new(Code::Generic, "binary is not implemented yet"))
    }

    fn emit(&self, _docs: &[Map], _metadata: Option<&Map>) -> Result<Vec<u8>> {
        Err(Error::new(Code::Generic, "binary is not implemented yet"))
    }

    fn emit_value(&self, _value: &Node) -> Result<Vec<u8>> {
        Err(Error::new(Code::Generic, "binary is not implemented yet"))
    }
}
