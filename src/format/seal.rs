//! Encryption as a store writes: the store asks, leaf by leaf in the order it prints them,
//! for the text to print instead. Stores know nothing of keys or ciphers; the crypt side
//! implements [`LeafSeal`] (`crypt::walk::Sealer`), so an encrypted copy of the documents is
//! never held whole.

use crate::tree::{Item, Map, Node, Scalar};

/// What a store tells, and asks, while it writes plaintext documents as a sops file.
///
/// The store reports where it is (maps and lists opened and closed, keys and list
/// positions entered and left) and asks for every scalar and comment, all in the tree's
/// order (documents in order, depth first, items in file order: the order the MAC was
/// computed in). It prints the text it gets back in place of the leaf, as a string; `None`
/// means the leaf is printed as it is. The `sops` metadata is not reported.
pub trait LeafSeal {
    /// A map or a list starts (a document is a map).
    fn open(&mut self);
    /// The map or list last opened ends.
    fn close(&mut self);
    /// The value of `key` follows.
    fn enter_key(&mut self, key: &str);
    /// The value of the key last entered is done.
    fn leave_key(&mut self);
    /// The list element at `index` (comment elements count) follows; not for comments.
    fn enter_index(&mut self, index: usize);
    /// The list element last entered is done.
    fn leave_index(&mut self);
    /// The text to print for a scalar (a null is asked too and is never sealed).
    fn scalar(&mut self, value: &Scalar) -> Option<String>;
    /// The text of a comment, a map item or a list element. In a list, text that is not
    /// empty is printed as a string element, as sops prints an encrypted comment there.
    fn comment(&mut self, text: &str) -> Option<String>;
}

/// The sealer of plaintext output: every leaf is printed as it is.
pub struct Unsealed;

impl LeafSeal for Unsealed {
    fn open(&mut self) {}
    fn close(&mut self) {}
    fn enter_key(&mut self, _key: &str) {}
    fn leave_key(&mut self) {}
    fn enter_index(&mut self, _index: usize) {}
    fn leave_index(&mut self) {}
    fn scalar(&mut self, _value: &Scalar) -> Option<String> {
        None
    }
    fn comment(&mut self, _text: &str) -> Option<String> {
        None
    }
}

/// Seals the leaves of `docs` in place, driving `seal` as a store writing them would: the
/// encrypted documents as a whole, for commands that go on working on them.
pub fn seal_in_place(docs: &mut [Map], seal: &mut dyn LeafSeal) {
    for doc in docs {
        map(doc, seal);
    }
}

fn map(map: &mut Map, seal: &mut dyn LeafSeal) {
    seal.open();
    seal_items(map, seal);
    seal.close();
}

/// Seals the leaves of some items of a map in place (see [`seal_in_place`]), for a store
/// that prints a map a part at a time; the map's opening and closing are the caller's.
pub fn seal_items(items: &mut [Item], seal: &mut dyn LeafSeal) {
    for item in items.iter_mut() {
        match item {
            Item::Comment(text) => {
                if let Some(new) = seal.comment(text) {
                    *text = new.into();
                }
            }
            Item::Pair(key, value) => {
                seal.enter_key(key);
                seal_node(value, seal);
                seal.leave_key();
            }
        }
    }
}

/// Seals the leaves of one value in place (see [`seal_in_place`]), for a store that prints
/// a nested value whole.
pub fn seal_node(value: &mut Node, seal: &mut dyn LeafSeal) {
    match value {
        Node::Map(m) => map(m, seal),
        Node::List(list) => {
            seal.open();
            for (i, element) in list.iter_mut().enumerate() {
                if matches!(element, Node::Comment(_)) {
                    seal_node(element, seal);
                } else {
                    seal.enter_index(i);
                    seal_node(element, seal);
                    seal.leave_index();
                }
            }
            seal.close();
        }
        Node::Comment(text) => match seal.comment(text) {
            Some(new) if !new.is_empty() => *value = Node::Scalar(Scalar::Str(new.into())),
            Some(new) => *text = new.into(),
            None => {}
        },
        Node::Scalar(scalar) => {
            if let Some(new) = seal.scalar(scalar) {
                *scalar = Scalar::Str(new.into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypt::cipher::DataKey;
    use crate::crypt::select::{Selector, SelectorKind};
    use crate::crypt::walk::{self, NonceMemory, Sealer};
    use crate::format::{Format, StoreOptions};

    /// Every kind of leaf: nested maps, lists with comments (first, between, last, alone),
    /// comments that comment selectors look for, keys that key selectors look for, every
    /// scalar type, empty values.
    const YAML: &str = r#"# top comment
password: hunter2
port: 5432
ratio: 0.5
enabled: true
nothing: null
empty: ""
when: 2024-01-02T03:04:05Z
host_unencrypted: db.local
token_secret: abc
# sops:enc
marked: yes please
# sops:plain
unmarked: left alone
db:
    # inner comment
    user: admin
    password: "s3cret"
    nested:
        deep: [1, 2]
list:
    # first in list
    - one
    # sops:enc
    - two
    - nested_unencrypted: x
      password: y
    # sops:plain
    - three
    # trailing
only_comments:
    # lonely
    - 1
---
second: document
list:
    - a
    # between
    - b
"#;

    fn selectors() -> Vec<Selector> {
        let kinds = [
            (SelectorKind::EncryptedRegex, "^(password|list)$"),
            (SelectorKind::UnencryptedRegex, "^db$"),
            (SelectorKind::EncryptedSuffix, "_secret"),
            (SelectorKind::EncryptedCommentRegex, "sops:enc"),
            (SelectorKind::UnencryptedCommentRegex, "sops:plain"),
        ];
        let mut all = vec![Selector::default()];
        all.extend(kinds.map(|(kind, pattern)| Selector::new(kind, pattern).unwrap()));
        all
    }

    /// For every selector, with and without `mac_only_encrypted`: `format`'s store writing
    /// the plaintext `docs` (read from `source`) sealed as it writes gives the very bytes of
    /// sealing them in place first and writing the result, when both reuse the same nonces;
    /// the plaintext is left as it is.
    fn same_as_in_place(format: Format, docs: &[Map], source: Option<&[u8]>) {
        let store = format.store(&StoreOptions::default());
        let metadata: Map = vec![Item::Pair("version".into(), Node::str("3.11.0"))];
        let mut sealed_any = false;
        for selector in selectors() {
            for mac_only_encrypted in [false, true] {
                let key = DataKey::generate();
                // Every value's nonce from an earlier encryption, so that both ways below
                // seal each value alike.
                let mut earlier = docs.to_vec();
                let fresh = &mut NonceMemory::off();
                walk::encrypt(&mut earlier, &key, &selector, mac_only_encrypted, fresh).unwrap();
                let mut nonces = NonceMemory::default();
                walk::decrypt(
                    &mut earlier,
                    &key,
                    &selector,
                    mac_only_encrypted,
                    &mut nonces,
                )
                .unwrap();

                let mut in_place = docs.to_vec();
                walk::encrypt(
                    &mut in_place,
                    &key,
                    &selector,
                    mac_only_encrypted,
                    &mut nonces,
                )
                .unwrap();
                let expected = store.emit_over(&in_place, Some(&metadata), source);
                let expected = String::from_utf8(expected.unwrap()).unwrap();

                let mut plain = docs.to_vec();
                let mut sealer = Sealer::new(&key, &selector, &nonces);
                let mut out = Vec::new();
                store
                    .write_sealed(&mut plain, &metadata, source, &mut sealer, &mut out)
                    .unwrap();
                sealer.finish().unwrap();
                let what = format!("{format:?}, {selector:?}, {mac_only_encrypted}");
                assert_eq!(String::from_utf8(out).unwrap(), expected, "{what}");
                // TOML without a source to follow seals in place, then writes.
                if format != Format::Toml || source.is_some() {
                    assert_eq!(plain, docs, "{what}: the plaintext was changed");
                }
                sealed_any |= expected.contains("ENC[AES256_GCM");
            }
        }
        assert!(sealed_any, "{format:?}: nothing was encrypted");
    }

    fn load(format: Format, text: &str) -> Vec<Map> {
        let store = format.store(&StoreOptions::default());
        store.load(text.as_bytes()).unwrap().docs
    }

    #[test]
    fn yaml_sealed_as_written_is_sealed_in_place() {
        same_as_in_place(Format::Yaml, &load(Format::Yaml, YAML), None);
    }

    #[test]
    fn json_sealed_as_written_is_sealed_in_place() {
        // From YAML, so that comments (skipped by JSON unless encrypted in a list) are there.
        let docs = load(Format::Yaml, YAML);
        same_as_in_place(Format::Json, &docs[..1], None);
        same_as_in_place(
            Format::Json,
            &load(Format::Json, r#"{"a": [1, {"b": null}], "password": "x"}"#),
            None,
        );
    }

    #[test]
    fn dotenv_sealed_as_written_is_sealed_in_place() {
        let text = "# top\nPASSWORD=hunter2\n# sops:enc\nMARKED=yes\n# sops:plain\nTOKEN_secret=abc\nEMPTY=\nHOST_unencrypted=db\nMULTI=a\\nb\n";
        same_as_in_place(Format::Dotenv, &load(Format::Dotenv, text), None);
    }

    #[test]
    fn ini_sealed_as_written_is_sealed_in_place() {
        let text = "top = level\n; sops:enc\n[db]\n; about the password\npassword = hunter2\nport = 5432\n; sops:plain\nhost_unencrypted = db.local\nempty =\n\n[token_secret]\nvalue = abc ; inline\n";
        same_as_in_place(Format::Ini, &load(Format::Ini, text), None);
        // Values of any depth, from YAML.
        let yaml = "# top\ndb:\n    password: x\n    nested: {a: 1, b: [1, 2]}\n    # sops:enc\n    list: [x, y]\nother_unencrypted:\n    k: v\n";
        same_as_in_place(Format::Ini, &load(Format::Yaml, yaml), None);
    }

    #[test]
    fn toml_sealed_as_written_is_sealed_in_place() {
        // Written section by section in the layout of its source when big enough (it is
        // in tests); otherwise in the fixed layout.
        let text = "# top\ntitle = \"x\"\nport = 5432\n\n# sops:enc\n[db]\npassword = \"hunter2\" # inline\nlist = [\n    # first\n    1,\n    2,\n]\nhost_unencrypted = \"db.local\"\n\n[token_secret]\nvalue = \"abc\"\nwhen = 2024-01-02T03:04:05Z\n# closing\n";
        let store = Format::Toml.store(&StoreOptions::default());
        let loaded = store.load(text.as_bytes()).unwrap();
        same_as_in_place(Format::Toml, &loaded.docs, loaded.source.as_deref());
        // No source: the fixed layout.
        let mut docs = load(
            Format::Yaml,
            "a: 1\nm:\n    # c\n    k: v\nlist: [x, [y]]\n",
        );
        store.normalize(&mut docs);
        same_as_in_place(Format::Toml, &docs, None);
    }

    #[test]
    fn binary_sealed_as_written_is_sealed_in_place() {
        same_as_in_place(
            Format::Binary,
            &load(Format::Binary, "any text\nat all\n"),
            None,
        );
    }
}
