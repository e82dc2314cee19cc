//! Property tests over every parser: random and hostile bytes never panic, what loads stays
//! within a bound of the input's size (aliases included), `.sops.yaml` fields of the wrong
//! kind are refused by name, and age key sources never echo a secret key.

use proptest::prelude::*;
use secret::internals::{
    AgeIdentities, AgeMasterKey, Config, FormatStore, Item, Map, Node, StoreOptions, SOPS_AGE_KEY,
};
use secret::Format;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// Every format with a parser of its own.
const FORMATS: [Format; 6] = [
    Format::Yaml,
    Format::Json,
    Format::Dotenv,
    Format::Ini,
    Format::Toml,
    Format::Binary,
];

/// Nodes in a loaded tree (pairs count their key and value, as go-yaml counts them).
fn nodes(map: &Map) -> usize {
    map.iter()
        .map(|item| match item {
            Item::Pair(_, v) => 1 + node_count(v),
            Item::Comment(_) => 1,
        })
        .sum()
}

fn node_count(node: &Node) -> usize {
    match node {
        Node::Map(m) => 1 + nodes(m),
        Node::List(l) => 1 + l.iter().map(node_count).sum::<usize>(),
        _ => 1,
    }
}

/// The most nodes a document of `len` bytes may load into: go-yaml lets aliases supply at
/// most 99% of the nodes once past 1000, so at most 100 per node written out.
fn node_bound(len: usize) -> usize {
    100 * (len + 2) + 1100
}

/// Loads `bytes` with every store, asserting the size bound on what loads.
fn load_everywhere(bytes: &[u8]) -> Result<(), TestCaseError> {
    for format in FORMATS {
        if let Ok(loaded) = format.store(&StoreOptions::default()).load(bytes) {
            let total: usize = loaded.docs.iter().map(nodes).sum();
            prop_assert!(
                total <= node_bound(bytes.len()),
                "{format:?}: {total} nodes from {} bytes",
                bytes.len()
            );
        }
    }
    Ok(())
}

/// YAML whose anchors alias each other at random: expansions from nothing to exponential.
fn alias_web() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::collection::vec(any::<prop::sample::Index>(), 0..5),
            any::<bool>(),
        ),
        1..24,
    )
    .prop_map(|lines| {
        let mut text = String::from("a0: &a0 leaf\n");
        for (i, (refs, flow)) in lines.iter().enumerate() {
            let n = i + 1;
            let items: Vec<String> = refs.iter().map(|r| format!("*a{}", r.index(n))).collect();
            if *flow {
                text.push_str(&format!("a{n}: &a{n} [{}]\n", items.join(", ")));
            } else {
                text.push_str(&format!("a{n}: &a{n}\n"));
                for item in items {
                    text.push_str(&format!("  - {item}\n"));
                }
            }
        }
        text
    })
}

/// A `.sops.yaml` value of each kind YAML has, with whether it is a scalar.
fn any_value() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        "[a-z0-9]{1,8}".prop_map(|s| (s, true)),
        (0i64..1000).prop_map(|n| (n.to_string(), true)),
        Just(("true".to_string(), true)),
        Just(("null".to_string(), true)),
        "[a-z]{1,5}".prop_map(|s| (format!("[{s}]"), false)),
        "[a-z]{1,5}".prop_map(|s| (format!("{{k: {s}}}"), false)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_in_any_store(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        load_everywhere(&bytes)?;
    }

    #[test]
    fn structured_noise_never_panics(
        text in "([a-z0-9\"'=:;#,\\[\\]{}&*!|>\\-\\\\ \t]|\r\n|\n){0,160}",
        bom in any::<bool>(),
    ) {
        let mut bytes = if bom { "\u{feff}".as_bytes().to_vec() } else { Vec::new() };
        bytes.extend_from_slice(text.as_bytes());
        load_everywhere(&bytes)?;
    }

    #[test]
    fn alias_webs_stay_within_the_bound(text in alias_web()) {
        load_everywhere(text.as_bytes())?;
    }

    #[test]
    fn config_fields_of_the_wrong_kind_are_refused(
        field in prop::sample::select(vec![
            "path_regex", "encrypted_regex", "unencrypted_suffix", "aws_profile",
        ]),
        (value, scalar) in any_value(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".sops.yaml");
        let text = format!("creation_rules:\n  - {field}: {value}\n    age: age1x\n");
        std::fs::write(&file, &text).unwrap();
        // A rule's errors come when the rule is reached (`rules()` reads them all).
        match Config::load(&file, dir.path()).and_then(|c| c.rules().map(drop)) {
            Ok(()) => prop_assert!(scalar, "{text:?} loaded"),
            Err(e) => {
                prop_assert!(!scalar, "{text:?}: {}", e.to_string());
                let needle = format!("creation_rules[0].{field} must be a string");
                prop_assert!(e.to_string().contains(&needle), "{}", e.to_string());
                prop_assert!(e.to_string().contains(".sops.yaml"), "{}", e.to_string());
            }
        }
    }

    #[test]
    fn random_configs_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".sops.yaml");
        std::fs::write(&file, &bytes).unwrap();
        if let Err(e) = Config::load(&file, dir.path()) {
            prop_assert!(e.to_string().contains(".sops.yaml"), "{}", e.to_string());
        }
    }
}

proptest! {
    // Each case wraps a data key with age: fewer cases.
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn age_key_sources_never_panic_or_echo_secrets(
        lines in prop::collection::vec(
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..60),
                "AGE-SECRET-KEY-1[A-Z0-9]{0,70}".prop_map(String::into_bytes),
                "AGE-PLUGIN-[A-Z0-9-]{0,40}".prop_map(String::into_bytes),
                Just(b"# comment".to_vec()),
                Just(b"-----BEGIN AGE ENCRYPTED FILE-----".to_vec()),
            ],
            0..6,
        ),
    ) {
        let home = tempfile::tempdir().unwrap();
        let data = lines.join(&b'\n');
        let key_env = OsString::from_vec(data.clone());
        let home_path = home.path().as_os_str().to_os_string();
        let env = |name: &str| match name {
            n if n == SOPS_AGE_KEY => Some(key_env.clone()),
            "HOME" => Some(home_path.clone()),
            _ => None,
        };
        let ids = AgeIdentities::load_from(&env).unwrap();
        let mut key = AgeMasterKey::new(
            "age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman",
        )
        .unwrap();
        key.wrap(&[7u8; 32]).unwrap();
        let message = match key.unwrap(&ids) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        };
        let shown = format!("{message}\n{}", ids.describe().join("\n"));
        for line in lines.iter().filter(|l| l.starts_with(b"AGE-SECRET-KEY-1") && l.len() > 20) {
            let secret = String::from_utf8_lossy(&line[16..]);
            prop_assert!(!shown.contains(&*secret), "secret echoed: {shown}");
        }
    }
}
