//! Property test, through the library API (`secret::encrypt` for an age recipient, then
//! `secret::decrypt` with an in-memory keyring): for random trees, plaintext → encrypt → file
//! bytes → load → decrypt gives
//! back exactly the plaintext bytes, for YAML, JSON and TOML (stores, cipher, MAC and
//! metadata together), and random bytes survive the binary store. For TOML also random
//! layouts (comments on a value's line, blank lines, inline tables, dotted keys, arrays over
//! several lines) come back byte for byte.

use proptest::prelude::*;
use secret::internals::{FormatStore, Item, Map, Node, Scalar, StoreOptions};
use secret::{EncryptOptions, Format, Keyring};
use std::sync::LazyLock;

/// The recipient of `tests/vectors/keys/age1.txt`.
const AGE1: &str = "age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman";

/// A keyring holding only the identity of [`AGE1`].
static KEYRING: LazyLock<Keyring> = LazyLock::new(|| {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/keys/age1.txt");
    Keyring::new()
        .with_age_identities(&std::fs::read_to_string(path).unwrap())
        .unwrap()
});

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
        4 => text().prop_map(|s| Node::Scalar(Scalar::Str(s.into()))),
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
        .map(|(k, v)| Item::Pair(k.into(), v))
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
    let decrypted = encrypt_decrypt(format, &plain)?;
    prop_assert_eq!(
        String::from_utf8_lossy(&decrypted),
        String::from_utf8_lossy(&expected)
    );
    Ok(())
}

/// Encrypts `plain` for [`AGE1`] and decrypts it again through the library API, giving the
/// plaintext as the decrypted file is written.
fn encrypt_decrypt(format: Format, plain: &[u8]) -> Result<Vec<u8>, TestCaseError> {
    let encrypted = secret::encrypt(plain, format, &EncryptOptions::new().age(AGE1)).unwrap();
    let doc = secret::decrypt(&encrypted, format, &KEYRING).expect("decrypts its own file");
    Ok(doc.to_plaintext().unwrap())
}

fn toml_scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 _.:/-]{0,12}".prop_map(|s| format!("\"{s}\"")),
        any::<i32>().prop_map(|i| i.to_string()),
        (-400i32..400).prop_map(|i| format!("{:?}", f64::from(i) / 4.0)),
        any::<bool>().prop_map(|b| b.to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
    ]
}

/// Optional `  # comment` at the end of a line.
fn toml_inline_comment() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just(String::new()),
        1 => "[a-z ]{0,12}".prop_map(|c| format!("   # {c}")),
    ]
}

/// Blank lines and comment lines in front of an entry.
fn toml_lead() -> impl Strategy<Value = String> {
    (0..3usize, prop::collection::vec("[a-z ]{0,10}", 0..3)).prop_map(|(blank, comments)| {
        let mut out = "\n".repeat(blank);
        for c in comments {
            out.push_str(&format!("#{c}\n"));
        }
        out
    })
}

/// One `key = value` line (or a few, for a multi-line array); `n` keeps keys unique.
fn toml_entry(n: usize) -> impl Strategy<Value = String> {
    let value = prop_oneof![
        3 => (toml_scalar(), toml_inline_comment()).prop_map(|(v, c)| format!("{v}{c}")),
        1 => (prop::collection::vec(toml_scalar(), 0..3), toml_inline_comment())
            .prop_map(|(vs, c)| format!("{{ {} }}{c}", vs.iter().enumerate()
                .map(|(i, v)| format!("i{i} = {v}")).collect::<Vec<_>>().join(", "))),
        1 => prop::collection::vec((toml_scalar(), toml_inline_comment()), 0..4)
            .prop_map(|vs| {
                let mut out = String::from("[\n");
                for (v, c) in vs {
                    out.push_str(&format!("    {v},{c}\n"));
                }
                out.push(']');
                out
            }),
    ];
    let key = prop_oneof![
        3 => Just(format!("k{n}")),
        1 => Just(format!("d{n}.inner")),
    ];
    (toml_lead(), key, value).prop_map(|(lead, k, v)| format!("{lead}{k} = {v}\n"))
}

/// A TOML file: top-level entries, then `[section]`s and `[[list]]` entries.
fn toml_text() -> impl Strategy<Value = String> {
    let entries = |base: usize| {
        (1..4usize).prop_flat_map(move |count| {
            (0..count)
                .map(|i| toml_entry(base + i).boxed())
                .collect::<Vec<_>>()
        })
    };
    (
        entries(0),
        prop::collection::vec((toml_lead(), entries(10)), 0..3),
        prop::collection::vec((toml_lead(), entries(20)), 0..3),
        toml_lead(),
    )
        .prop_map(|(top, sections, tables, closing)| {
            let mut out = top.concat();
            for (i, (lead, body)) in sections.into_iter().enumerate() {
                out.push_str(&format!("{lead}[section{i}]\n{}", body.concat()));
            }
            for (lead, body) in tables {
                out.push_str(&format!("{lead}[[list]]\n{}", body.concat()));
            }
            out.push_str(&closing);
            out
        })
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
    fn toml_layout_comes_back_byte_for_byte(text in toml_text()) {
        let decrypted = encrypt_decrypt(Format::Toml, text.as_bytes())?;
        prop_assert_eq!(String::from_utf8_lossy(&decrypted), text);
    }

    #[test]
    fn binary_encrypt_decrypt_is_identity(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        prop_assert_eq!(encrypt_decrypt(Format::Binary, &bytes)?, bytes);
    }
}
