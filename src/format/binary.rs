//! Binary store: the whole file is one value, `data`, kept in a JSON document once encrypted
//! (sops' `json.BinaryStore`).
//!
//! Reading: a JSON object with a top-level `sops` object is an encrypted file and is read with
//! the JSON store; anything else is plaintext and becomes the single leaf `data` (a string when
//! the bytes are UTF-8, raw bytes otherwise). Writing with metadata gives the JSON document;
//! writing without it gives back the exact bytes of `data`.

use super::json::JsonStore;
use super::seal::LeafSeal;
use super::{Loaded, Store};
use crate::error::{Code, Error, Result};
use crate::input::Input;
use crate::tree::{Item, Map, Node, Scalar};

/// The binary store.
pub struct BinaryStore {
    /// Spaces per level of the encrypted JSON document, or `None` for one tab.
    pub indent: Option<usize>,
}

fn emit_error(what: &str) -> Error {
    Error::new(
        Code::ErrorDumpingTree,
        format!("error emitting binary store: {what}"),
    )
}

impl BinaryStore {
    fn json(&self) -> JsonStore {
        JsonStore {
            indent: self.indent,
        }
    }
}

/// Whether the input's first non-blank byte opens a JSON object.
fn looks_like_object(input: &[u8]) -> bool {
    input
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .is_some_and(|&b| b == b'{')
}

/// The bytes of the single `data` leaf of a plaintext tree.
fn data(docs: &[Map]) -> Result<&[u8]> {
    let [doc] = docs else {
        return Err(emit_error("there must be exactly one tree branch"));
    };
    for item in doc {
        if let Item::Pair(k, v) = item {
            if k == "data" {
                return match v {
                    Node::Scalar(Scalar::Str(s)) => Ok(s.as_bytes()),
                    Node::Scalar(Scalar::Bytes(b)) => Ok(b),
                    _ => Err(emit_error(
                        "'data' key in tree does not have a string value",
                    )),
                };
            }
        }
    }
    Err(emit_error("no binary data found in tree"))
}

impl Store for BinaryStore {
    fn load(&self, input: &[u8]) -> Result<Loaded> {
        self.load_owned(input.to_vec().into())
    }

    fn load_owned(&self, input: Input) -> Result<Loaded> {
        if looks_like_object(&input) {
            if let Ok(loaded) = self.json().load(&input) {
                if loaded.metadata.is_some() {
                    return Ok(loaded);
                }
            }
        }
        // The bytes become the value as they are, without a copy.
        let data = match String::from_utf8(input.into_vec()) {
            Ok(s) => Scalar::Str(s.into()),
            Err(e) => Scalar::Bytes(e.into_bytes().into()),
        };
        Ok(Loaded {
            docs: vec![vec![Item::Pair("data".into(), Node::Scalar(data))]],
            metadata: None,
            source: None,
        })
    }

    fn emit(&self, docs: &[Map], metadata: Option<&Map>) -> Result<Vec<u8>> {
        match metadata {
            Some(_) => self.json().emit(docs, metadata),
            None => data(docs).map(<[u8]>::to_vec),
        }
    }

    fn print_leaves<'w>(
        &self,
        docs: &[Map],
        metadata: Option<&Map>,
        seal: Option<&'w mut dyn LeafSeal>,
        out: &'w mut dyn std::io::Write,
    ) -> Option<Result<()>> {
        match (metadata, seal) {
            // Straight from the tree: a big file is not copied once more.
            (None, None) => {
                Some(data(docs).and_then(|bytes| out.write_all(bytes).map_err(super::write_error)))
            }
            (metadata, seal) => self.json().print_leaves(docs, metadata, seal, out),
        }
    }

    fn emit_value(&self, _value: &Node) -> Result<Vec<u8>> {
        Err(Error::new(
            Code::ErrorDumpingTree,
            "Binary files are not structured and extracting a single value is not possible",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");

    fn read(path: &str) -> Vec<u8> {
        std::fs::read(format!("{VECTORS}/{path}")).unwrap()
    }

    fn store() -> BinaryStore {
        BinaryStore { indent: None }
    }

    #[test]
    fn plain_blob_round_trips() {
        let blob = read("plain/blob.bin");
        let loaded = store().load(&blob).unwrap();
        assert!(loaded.metadata.is_none());
        assert_eq!(loaded.docs.len(), 1);
        assert!(matches!(
            &loaded.docs[0][..],
            [Item::Pair(k, Node::Scalar(Scalar::Bytes(_)))] if k == "data"
        ));
        assert_eq!(store().emit(&loaded.docs, None).unwrap(), blob);
        assert_eq!(blob, read("expected/blob.age1.bin"));
    }

    #[test]
    fn encrypted_blob_round_trips() {
        let file = read("sops/blob.age1.bin");
        let loaded = store().load(&file).unwrap();
        let meta = loaded.metadata.as_ref().expect("metadata");
        assert!(crate::tree::get(meta, "age").is_some());
        assert_eq!(loaded.docs[0].len(), 1);
        assert!(crate::tree::get(&loaded.docs[0], "data")
            .and_then(Node::as_str)
            .unwrap()
            .starts_with("ENC[AES256_GCM,data:"));
        let out = store().emit(&loaded.docs, Some(meta)).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&file)
        );
        assert_eq!(out, file);
    }

    #[test]
    fn json_without_metadata_is_plain_data() {
        for input in [
            &b"{\"a\": 1}"[..],
            b"{\"sops\": 5}",
            b"{ not json",
            b"",
            b"\xff\x00{",
        ] {
            let loaded = store().load(input).unwrap();
            assert!(loaded.metadata.is_none());
            assert_eq!(store().emit(&loaded.docs, None).unwrap(), input);
        }
        let loaded = store().load(b"hello").unwrap();
        assert_eq!(
            loaded.docs[0],
            vec![Item::Pair("data".into(), Node::str("hello"))]
        );
    }

    #[test]
    fn indent_option_applies_to_the_envelope() {
        let docs = vec![vec![Item::Pair("data".into(), Node::str("x"))]];
        let meta = vec![Item::Pair("version".into(), Node::str("3.11.0"))];
        let out = BinaryStore { indent: Some(2) }
            .emit(&docs, Some(&meta))
            .unwrap();
        assert_eq!(
            out,
            b"{\n  \"data\": \"x\",\n  \"sops\": {\n    \"version\": \"3.11.0\"\n  }\n}\n"
        );
    }

    #[test]
    fn emit_errors() {
        let e = store().emit(&[], None).unwrap_err();
        assert_eq!(e.code, Code::ErrorDumpingTree);
        let docs = vec![vec![Item::Pair("other".into(), Node::str("x"))]];
        assert!(store()
            .emit(&docs, None)
            .unwrap_err()
            .message
            .contains("no binary data"));
        let docs = vec![vec![Item::Pair(
            "data".into(),
            Node::Scalar(Scalar::Float(1.0)),
        )]];
        assert!(store()
            .emit(&docs, None)
            .unwrap_err()
            .message
            .contains("string value"));
        assert_eq!(
            store().emit_value(&Node::str("x")).unwrap_err().code,
            Code::ErrorDumpingTree
        );
    }

    proptest! {
        #[test]
        fn random_bytes_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let loaded = store().load(&bytes).unwrap();
            // Random bytes essentially never form a sops JSON document.
            prop_assume!(loaded.metadata.is_none());
            prop_assert_eq!(store().emit(&loaded.docs, None).unwrap(), bytes);
        }

        #[test]
        fn random_text_round_trips(text in "\\PC*") {
            let loaded = store().load(text.as_bytes()).unwrap();
            prop_assume!(loaded.metadata.is_none());
            prop_assert_eq!(store().emit(&loaded.docs, None).unwrap(), text.as_bytes());
        }
    }
}
