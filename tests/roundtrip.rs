//! Property test: for random trees, plaintext → encrypt → file bytes → load → decrypt gives
//! back exactly the plaintext bytes, for YAML, JSON and TOML (stores, cipher, MAC and
//! metadata together), and random bytes survive the binary store.

use proptest::prelude::*;
use secret::crypt::cipher::DataKey;
use secret::crypt::metadata::{Metadata, WRITTEN_VERSION};
use secret::crypt::select::Selector;
use secret::crypt::walk::{self, NonceMemory};
use secret::format::{Format, StoreOptions};
use secret::tree::{Item, Map, Node, Scalar};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 _.:/#-]{0,20}",
        "[ -~]{0,30}",
        "\\PC{0,12}",
        Just("true".to_string()),
        Just("0x1F".to_string()),
        Just("1e3".to_string()),
        Just("~".to_string()),
        Just("2024-01-02".to_string()),
        Just("line1\nline2\n".to_string()),
        Just(" lead and trail ".to_string()),
        "[a-z]{200,400}",
    ]
}

fn scalar(with_null: bool) -> impl Strategy<Value = Node> {
    let null = if with_null { 1 } else { 0 };
    prop_oneof![
        4 => text().prop_map(|s| Node::Scalar(Scalar::Str(s))),
        2 => any::<i32>().prop_map(|i| Node::Scalar(Scalar::Int(i64::from(i)))),
        2 => (-1e9f64..1e9).prop_map(|f| Node::Scalar(Scalar::Float(f))),
        1 => any::<bool>().prop_map(|b| Node::Scalar(Scalar::Bool(b))),
        null => Just(Node::Scalar(Scalar::Null)),
    ]
}

fn key() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_ -]{0,10}".prop_filter("no sops key", |k| k != "sops")
}

fn tree(with_null: bool) -> impl Strategy<Value = Map> {
    let leaf = scalar(with_null);
    let node = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Node::List),
            prop::collection::vec((key(), inner), 0..4).prop_map(|pairs| Node::Map(dedup(pairs))),
        ]
    });
    prop::collection::vec((key(), node), 1..6).prop_map(dedup)
}

/// Keys must be unique in a map.
fn dedup(pairs: Vec<(String, Node)>) -> Map {
    let mut seen = std::collections::HashSet::new();
    pairs
        .into_iter()
        .filter(|(k, _)| seen.insert(k.clone()))
        .map(|(k, v)| Item::Pair(k, v))
        .collect()
}

fn round_trip(format: Format, doc: Map) -> Result<(), TestCaseError> {
    let store = format.store(&StoreOptions::default());
    // What the user's plaintext file holds, and what `decrypt` must print back.
    let Ok(plain) = store.emit(&[doc], None) else {
        return Ok(()); // a tree this format cannot hold
    };
    let mut docs = store
        .load(&plain)
        .expect("the store reads what it writes")
        .docs;
    store.normalize(&mut docs);
    let expected = store.emit(&docs, None).unwrap();

    let key = DataKey::generate();
    let mut metadata = Metadata {
        key_groups: vec![Vec::new()],
        shamir_threshold: 0,
        lastmodified: "2026-11-25T00:00:00Z".into(),
        mac: String::new(),
        selector: Selector::default(),
        mac_only_encrypted: false,
        version: WRITTEN_VERSION.into(),
    };
    let mac = walk::encrypt(
        &mut docs,
        &key,
        &metadata.selector,
        false,
        &mut NonceMemory::default(),
    )
    .unwrap();
    metadata.mac = walk::seal_mac(&key, &mac, &metadata.lastmodified).unwrap();
    let encrypted = store
        .emit(&docs, Some(&metadata.to_map(format == Format::Json)))
        .unwrap();

    let loaded = store
        .load(&encrypted)
        .expect("the store reads its encrypted file");
    let meta = Metadata::from_map(loaded.metadata.as_ref().expect("metadata")).unwrap();
    let mut docs = loaded.docs;
    let (again, _) = walk::decrypt(
        &mut docs,
        &key,
        &meta.selector,
        meta.mac_only_encrypted,
        &mut NonceMemory::off(),
    )
    .unwrap();
    walk::verify_mac(&key, &meta.mac, &meta.lastmodified, &again).unwrap();
    let decrypted = store.emit(&docs, None).unwrap();
    prop_assert_eq!(
        String::from_utf8_lossy(&decrypted),
        String::from_utf8_lossy(&expected)
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn yaml_encrypt_decrypt_is_identity(doc in tree(true)) {
        round_trip(Format::Yaml, doc)?;
    }

    #[test]
    fn json_encrypt_decrypt_is_identity(doc in tree(true)) {
        round_trip(Format::Json, doc)?;
    }

    #[test]
    fn toml_encrypt_decrypt_is_identity(doc in tree(false)) {
        round_trip(Format::Toml, doc)?;
    }

    #[test]
    fn binary_encrypt_decrypt_is_identity(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let store = Format::Binary.store(&StoreOptions::default());
        let mut docs = store.load(&bytes).unwrap().docs;
        let key = DataKey::generate();
        walk::encrypt(&mut docs, &key, &Selector::default(), false, &mut NonceMemory::default()).unwrap();
        let meta: Map = vec![Item::Pair("version".into(), Node::str(WRITTEN_VERSION))];
        let encrypted = store.emit(&docs, Some(&meta)).unwrap();
        let mut docs = store.load(&encrypted).unwrap().docs;
        walk::decrypt(&mut docs, &key, &Selector::default(), false, &mut NonceMemory::off()).unwrap();
        prop_assert_eq!(store.emit(&docs, None).unwrap(), bytes);
    }
}
