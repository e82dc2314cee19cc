use super::*;
use crate::crypt::metadata::Metadata;
use proptest::prelude::*;

fn pair(k: &str, v: Node) -> Item {
    Item::Pair(k.into(), v)
}

fn int(i: i64) -> Node {
    Node::Scalar(Scalar::Int(i))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn load(input: &str) -> Loaded {
    TomlStore.load(input.as_bytes()).unwrap()
}

fn emit(doc: &Map) -> String {
    text(&TomlStore.emit(std::slice::from_ref(doc), None).unwrap())
}

const APP: &str = r#"# App configuration
title = "Example app"   # shown in the UI
version = 3
ratio = 0.75
enabled = true
released = 1979-05-27 07:32:00.120z
local_dt = 1979-05-27T07:32:00
birthday = 1979-05-27
alarm = 07:32
big = 1e21
pos_inf = +inf
not_a_number = nan
tags = ["a", "b", 3]
empty = []
nested = [[1, 2], ["x"]]
multi = [
    # first
    1,
    2, # two
]
point = { x = 1, y = -2 }
site."google.com" = true

[package]
name = "secret"
edition = "2021"

# Dependencies
[dependencies]
serde = { version = "1", features = ["derive"] }
regex = "1"

[database]
# the password
password = "hunter2"
motd = """
Hello
  "world\""""
'quoted key' = 'C:\path'

[database.replica]
host = "10.0.0.2"

# Servers
[[servers]]
name = "alpha"
ip = "10.0.0.1"

[[servers]]
name = "beta"
[servers.extra]
role = "backup"

[a.b.c]
deep = "yes"
# the end
"#;

const APP_OUT: &str = r#"# App configuration
# shown in the UI
title = "Example app"
version = 3
ratio = 0.75
enabled = true
released = 1979-05-27T07:32:00.12Z
local_dt = 1979-05-27T07:32:00
birthday = 1979-05-27
alarm = 07:32:00
big = 1e21
pos_inf = inf
not_a_number = nan
tags = ["a", "b", 3]
empty = []
nested = [[1, 2], ["x"]]
multi = [
    # first
    1,
    2,
    # two
]

[point]
x = 1
y = -2

[site]
"google.com" = true

[package]
name = "secret"
edition = "2021"

# Dependencies
[dependencies]
regex = "1"

[dependencies.serde]
version = "1"
features = ["derive"]

[database]
# the password
password = "hunter2"
motd = """
Hello
  "world\""""
"quoted key" = "C:\\path"

[database.replica]
host = "10.0.0.2"

# Servers
[[servers]]
name = "alpha"
ip = "10.0.0.1"

[[servers]]
name = "beta"

[servers.extra]
role = "backup"

[a.b.c]
deep = "yes"

# the end
"#;

#[test]
fn realistic_file_round_trips_to_the_expected_layout() {
    let loaded = load(APP);
    assert!(loaded.metadata.is_none());
    let out = emit(&loaded.docs[0]);
    assert_eq!(out, APP_OUT);
    // Stable: the output reads back to the same tree and writes the same bytes.
    let again = load(&out);
    // (Debug text: `nan` is not equal to itself.)
    assert_eq!(format!("{:?}", again.docs), format!("{:?}", loaded.docs));
    assert_eq!(emit(&again.docs[0]), out);
}

#[test]
fn types_map_to_tree_scalars() {
    let doc = &load(APP).docs[0];
    let get = |k: &str| crate::tree::get(doc, k).unwrap().clone();
    assert_eq!(get("version"), int(3));
    assert_eq!(get("ratio"), Node::Scalar(Scalar::Float(0.75)));
    assert_eq!(get("big"), Node::Scalar(Scalar::Float(1e21)));
    assert_eq!(get("pos_inf"), Node::Scalar(Scalar::Float(f64::INFINITY)));
    assert!(matches!(get("not_a_number"), Node::Scalar(Scalar::Float(f)) if f.is_nan()));
    assert_eq!(get("enabled"), Node::Scalar(Scalar::Bool(true)));
    let time = |s: &str| Node::Scalar(Scalar::Time(s.into()));
    assert_eq!(get("released"), time("1979-05-27T07:32:00.12Z"));
    assert_eq!(get("local_dt"), time("1979-05-27T07:32:00"));
    assert_eq!(get("birthday"), time("1979-05-27"));
    assert_eq!(get("alarm"), time("07:32:00"));
    assert_eq!(
        get("tags"),
        Node::List(vec![Node::str("a"), Node::str("b"), int(3)])
    );
    assert_eq!(
        get("multi"),
        Node::List(vec![
            Node::Comment(" first".into()),
            int(1),
            int(2),
            Node::Comment(" two".into()),
        ])
    );
    assert_eq!(
        get("point"),
        Node::Map(vec![pair("x", int(1)), pair("y", int(-2))])
    );
    let Node::Map(db) = get("database") else {
        panic!()
    };
    assert_eq!(db[0], Item::Comment(" the password".into()));
    assert_eq!(
        crate::tree::get(&db, "motd"),
        Some(&Node::str("Hello\n  \"world\""))
    );
    assert_eq!(
        crate::tree::get(&db, "quoted key"),
        Some(&Node::str("C:\\path"))
    );
    // Comments: in front of the pair they precede or follow on the same line.
    assert_eq!(doc[0], Item::Comment(" App configuration".into()));
    assert_eq!(doc[1], Item::Comment(" shown in the UI".into()));
    assert_eq!(doc.last(), Some(&Item::Comment(" the end".into())));
}

#[test]
fn values_are_read_before_tables_in_every_map() {
    // `[a.b]` before `[a]`: the tree is in the order TOML writes (values, then sections), so
    // an encrypted file reads back in the order its MAC was computed in.
    let doc = &load("[a.b]\nx = 1\n[a]\ny = 2\nz.w = 3\nv = 4\n").docs[0];
    let Some(Node::Map(a)) = crate::tree::get(doc, "a") else {
        panic!()
    };
    let keys: Vec<&str> = a
        .iter()
        .filter_map(|i| match i {
            Item::Pair(k, _) => Some(k.as_str()),
            Item::Comment(_) => None,
        })
        .collect();
    assert_eq!(keys, ["y", "v", "b", "z"]);
}

fn sample_metadata() -> Map {
    vec![
        pair(
            "age",
            Node::List(vec![Node::Map(vec![
                pair("recipient", Node::str("age1xyz")),
                pair(
                    "enc",
                    Node::str(
                        "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n",
                    ),
                ),
            ])]),
        ),
        pair("lastmodified", Node::str("2026-11-23T07:19:17Z")),
        pair("mac", Node::str("ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]")),
        pair("unencrypted_suffix", Node::str("_unencrypted")),
        pair("version", Node::str("3.11.0")),
    ]
}

#[test]
fn metadata_goes_to_a_final_sops_table_and_comes_back() {
    let doc = vec![
        Item::Comment("ENC[AES256_GCM,data:c,iv:i,tag:t,type:comment]".into()),
        pair(
            "password",
            Node::str("ENC[AES256_GCM,data:p,iv:i,tag:t,type:str]"),
        ),
        pair(
            "db",
            Node::Map(vec![pair(
                "port",
                Node::str("ENC[AES256_GCM,data:q,iv:i,tag:t,type:int]"),
            )]),
        ),
    ];
    let meta = sample_metadata();
    let out = text(
        &TomlStore
            .emit(std::slice::from_ref(&doc), Some(&meta))
            .unwrap(),
    );
    assert_eq!(
        out,
        r#"#ENC[AES256_GCM,data:c,iv:i,tag:t,type:comment]
password = "ENC[AES256_GCM,data:p,iv:i,tag:t,type:str]"

[db]
port = "ENC[AES256_GCM,data:q,iv:i,tag:t,type:int]"

[sops]
lastmodified = "2026-11-23T07:19:17Z"
mac = "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]"
unencrypted_suffix = "_unencrypted"
version = "3.11.0"

[[sops.age]]
recipient = "age1xyz"
enc = """
-----BEGIN AGE ENCRYPTED FILE-----
YWdl
-----END AGE ENCRYPTED FILE-----
"""
"#
    );
    let loaded = load(&out);
    assert_eq!(loaded.docs, vec![doc]);
    // The metadata comes back with the same fields (TOML puts the scalars first).
    let mut expected = meta.clone();
    normalize(&mut expected);
    assert_eq!(loaded.metadata.as_ref(), Some(&expected));
    let m = Metadata::from_map(loaded.metadata.as_ref().unwrap()).unwrap();
    assert_eq!(m.version, "3.11.0");
    assert_eq!(m.key_groups.len(), 1);
}

#[test]
fn metadata_from_to_map_survives_with_key_groups() {
    // Several key groups: `[[sops.key_groups]]` with `[[sops.key_groups.age]]` entries; the
    // null `hc_vault` sops writes in JSON is dropped.
    let entry = |r: &str| {
        Node::List(vec![Node::Map(vec![
            pair("recipient", Node::str(r)),
            pair("enc", Node::str("x")),
        ])])
    };
    let meta = vec![
        pair("shamir_threshold", int(2)),
        pair(
            "key_groups",
            Node::List(vec![
                Node::Map(vec![
                    pair("hc_vault", Node::Scalar(Scalar::Null)),
                    pair("age", entry("age1a")),
                ]),
                Node::Map(vec![
                    pair("hc_vault", Node::List(vec![])),
                    pair("age", entry("age1b")),
                ]),
            ]),
        ),
        pair("lastmodified", Node::str("2026-11-23T07:19:17Z")),
        pair("mac", Node::str("m")),
        pair("version", Node::str("3.11.0")),
    ];
    let out = text(&TomlStore.emit(&[vec![]], Some(&meta)).unwrap());
    assert!(
        out.contains("[[sops.key_groups]]\nhc_vault = []\n"),
        "{out}"
    );
    assert!(
        out.contains("[[sops.key_groups.age]]\nrecipient = \"age1a\""),
        "{out}"
    );
    let loaded = load(&out);
    assert_eq!(loaded.docs, vec![Map::new()]);
    let m = Metadata::from_map(loaded.metadata.as_ref().unwrap()).unwrap();
    assert_eq!(m.key_groups.len(), 2);
    assert_eq!(m.shamir_threshold, 2);
}

#[test]
fn a_file_with_a_sops_table_loads_its_metadata_apart() {
    let loaded =
        load("a = 1\n[sops]\nmac = \"m\"\nversion = \"3.11.0\"\n[[sops.age]]\nrecipient = \"r\"\n");
    assert_eq!(loaded.docs, vec![vec![pair("a", int(1))]]);
    let meta = loaded.metadata.unwrap();
    assert_eq!(crate::tree::get(&meta, "mac"), Some(&Node::str("m")));
    assert!(matches!(crate::tree::get(&meta, "age"), Some(Node::List(l)) if l.len() == 1));
    let err = TomlStore.load(b"sops = 1\n").unwrap_err();
    assert_eq!(err.code, Code::CouldNotReadInputFile);
    // Writing metadata next to a data key `sops` would be ambiguous.
    let err = TomlStore
        .emit(&[vec![pair("sops", int(1))]], Some(&sample_metadata()))
        .unwrap_err();
    assert_eq!(err.code, Code::ErrorDumpingTree);
}

#[test]
fn invalid_toml_is_code_2_with_the_line() {
    let cases = [
        (
            "a = 1\nb = 2\na = 3\n",
            "line 3, column 1: duplicate key `a`",
        ),
        ("a = 1\ns = \"abc\n", "line 2, column 9"),
        ("[t]\nx = 1\n[t]\n", "line 3"),
        ("x = [1,\n", "line 1, column 8: unclosed array"),
        ("a = 99999999999999999999\n", "line 1"),
        ("a = \"\\xz\"\n", "line 1"),
    ];
    for (input, want) in cases {
        let err = TomlStore.load(input.as_bytes()).unwrap_err();
        assert_eq!(err.code, Code::CouldNotReadInputFile, "{input:?}");
        assert!(err.message.contains("invalid TOML at "), "{}", err.message);
        assert!(err.message.contains(want), "{input:?}: {}", err.message);
        assert!(!err.message.contains('\n'), "{}", err.message);
    }
    let err = TomlStore.load(b"a = 1\nb = \"\xff\"\n").unwrap_err();
    assert_eq!(err.code, Code::CouldNotReadInputFile);
    assert!(err.message.contains("line 2"), "{}", err.message);
}

#[test]
fn null_is_code_4_naming_the_path() {
    let doc = vec![pair(
        "db",
        Node::Map(vec![pair(
            "hosts",
            Node::List(vec![Node::str("a"), Node::Scalar(Scalar::Null)]),
        )]),
    )];
    let err = TomlStore.emit(&[doc], None).unwrap_err();
    assert_eq!(err.code, Code::ErrorDumpingTree);
    assert!(err.message.contains("null"), "{}", err.message);
    assert!(
        err.message.contains(r#"["db"]["hosts"][1]"#),
        "{}",
        err.message
    );
    let err = TomlStore
        .emit_value(&Node::Scalar(Scalar::Null))
        .unwrap_err();
    assert_eq!(err.code, Code::ErrorDumpingTree);
}

#[test]
fn unrepresentable_trees_are_code_4() {
    // Duplicate keys (YAML and JSON keep them).
    let err = TomlStore
        .emit(&[vec![pair("a", int(1)), pair("a", int(2))]], None)
        .unwrap_err();
    assert_eq!(err.code, Code::ErrorDumpingTree);
    assert!(err.message.contains("duplicate key"), "{}", err.message);
    // An encrypted comment inside an inline table would be read back elsewhere.
    let doc = vec![pair(
        "l",
        Node::List(vec![
            int(1),
            Node::Map(vec![
                Item::Comment("ENC[AES256_GCM,data:c,iv:i,tag:t,type:comment]".into()),
                pair("a", int(1)),
            ]),
        ]),
    )];
    let err = TomlStore.emit(&[doc], None).unwrap_err();
    assert_eq!(err.code, Code::ErrorDumpingTree);
    assert!(TomlStore.emit(&[], None).is_err());
}

#[test]
fn converted_trees_take_the_toml_layout() {
    // As a JSON or YAML file gives it: values after maps, a list of maps, a mixed list,
    // keys that need quotes, a comment inside an inline table (plain: moved in front).
    let mut doc = vec![
        pair(
            "servers",
            Node::List(vec![
                Node::Map(vec![pair("name", Node::str("a"))]),
                Node::Map(vec![pair("name", Node::str("b")), pair("port", int(1))]),
            ]),
        ),
        pair(
            "mixed",
            Node::List(vec![
                int(1),
                Node::Map(vec![Item::Comment(" c".into()), pair("k", Node::str("v"))]),
                Node::List(vec![]),
            ]),
        ),
        pair("key with spaces", Node::str("x")),
        pair("", Node::str("empty key")),
        pair("ünï.code", Node::Scalar(Scalar::Bool(false))),
        pair(
            "when",
            Node::Scalar(Scalar::Time("2024-01-02T00:00:00Z".into())),
        ),
        pair("float", Node::Scalar(Scalar::Float(1.0))),
    ];
    let out = emit(&doc);
    assert_eq!(
        out,
        r#"mixed = [
    1,
    # c
    { k = "v" },
    [],
]
"key with spaces" = "x"
"" = "empty key"
"ünï.code" = false
when = 2024-01-02T00:00:00Z
float = 1.0

[[servers]]
name = "a"

[[servers]]
name = "b"
port = 1
"#
    );
    normalize(&mut doc);
    let back = load(&out).docs.remove(0);
    // Only the comment moved: from the inline table to the list.
    let Some(Node::List(mixed)) = crate::tree::get(&back, "mixed") else {
        panic!()
    };
    assert_eq!(mixed[1], Node::Comment(" c".into()));
    assert_eq!(back[1..], doc[1..]);
}

#[test]
fn emit_value_writes_inline_values() {
    let v = |n: &Node| text(&TomlStore.emit_value(n).unwrap());
    assert_eq!(v(&Node::str("a\"b")), r#""a\"b""#);
    assert_eq!(v(&int(-5)), "-5");
    assert_eq!(v(&Node::Scalar(Scalar::Float(f64::NEG_INFINITY))), "-inf");
    assert_eq!(v(&Node::List(vec![int(1), Node::str("x")])), r#"[1, "x"]"#);
    assert_eq!(v(&Node::Map(vec![pair("a", int(1))])), "a = 1\n");
}

// ---- property tests ----

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_][a-z0-9_-]{0,8}",
        "[ -~]{0,8}",
        "\\PC{0,6}",
        Just(String::new()),
        Just("a.b".to_string()),
        Just("sops_x".to_string()),
    ]
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,20}",
        "\\PC{0,20}",
        "[\"'\\\\\n\r\t#=\\[\\]{} ]{0,12}",
        Just(String::new()),
        Just("123".to_string()),
        Just("true".to_string()),
        Just("1979-05-27".to_string()),
        Just("nan".to_string()),
        Just("\"\"\"".to_string()),
        Just("ends with quote\"".to_string()),
        Just("x".repeat(5000)),
        Just("line\nline\n".repeat(200)),
    ]
}

fn time() -> impl Strategy<Value = String> {
    (
        1000u32..9999,
        1u32..13,
        1u32..29,
        0u32..24,
        0u32..60,
        0u32..60,
        prop::option::of(1u32..1_000_000_000),
        0u8..6,
        -1439i32..1440,
    )
        .prop_map(|(y, mo, d, h, mi, s, nanos, form, off)| {
            let date = format!("{y:04}-{mo:02}-{d:02}");
            let mut time = format!("{h:02}:{mi:02}:{s:02}");
            if let Some(n) = nanos {
                let frac = format!("{n:09}");
                time.push('.');
                time.push_str(frac.trim_end_matches('0'));
            }
            let offset = if off == 0 {
                "Z".to_string()
            } else {
                let sign = if off < 0 { '-' } else { '+' };
                format!("{sign}{:02}:{:02}", off.abs() / 60, off.abs() % 60)
            };
            match form {
                0 => date,
                1 => time,
                2 => format!("{date}T{time}"),
                _ => format!("{date}T{time}{offset}"),
            }
        })
}

fn scalar() -> impl Strategy<Value = Node> {
    prop_oneof![
        string().prop_map(Node::str),
        any::<i64>().prop_map(int),
        any::<f64>()
            .prop_filter("nan is not equal to itself", |f| !f.is_nan())
            .prop_map(|f| Node::Scalar(Scalar::Float(f))),
        Just(Node::Scalar(Scalar::Float(f64::INFINITY))),
        any::<bool>().prop_map(|b| Node::Scalar(Scalar::Bool(b))),
        time().prop_map(|t| Node::Scalar(Scalar::Time(t.into()))),
    ]
}

fn comment() -> impl Strategy<Value = String> {
    "[ -~\u{e9}\u{65e5}\t]{0,20}"
}

fn tree() -> impl Strategy<Value = Node> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(
                prop_oneof![
                    inner.clone(),
                    comment().prop_map(|c| Node::Comment(c.into())),
                ],
                0..6
            )
            .prop_map(Node::List),
            prop::collection::vec(inner.clone(), 1..4).prop_map(|maps| {
                // A list of maps: an array of tables.
                Node::List(
                    maps.into_iter()
                        .map(|n| match n {
                            Node::Map(m) => Node::Map(m),
                            other => Node::Map(vec![pair("v", other)]),
                        })
                        .collect(),
                )
            }),
            map(inner).prop_map(Node::Map),
        ]
    })
}

fn map(inner: impl Strategy<Value = Node>) -> impl Strategy<Value = Map> {
    prop::collection::vec((prop::option::of(comment()), key(), inner), 0..6).prop_map(|entries| {
        let mut seen = std::collections::HashSet::new();
        let mut m = Map::new();
        for (c, k, v) in entries {
            if seen.insert(k.clone()) {
                if let Some(c) = c {
                    m.push(Item::Comment(c.into()));
                }
                m.push(Item::Pair(k.into(), v));
            }
        }
        m
    })
}

/// What TOML keeps of a tree: comments inside inline tables and at the end of a table
/// have no place of their own (they move), so the generated trees leave them out.
fn representable(node: &mut Node, inline: bool) {
    match node {
        Node::Map(m) => {
            if inline {
                m.retain(|i| matches!(i, Item::Pair(..)));
            }
            while matches!(m.last(), Some(Item::Comment(_))) {
                m.pop();
            }
            for item in m.iter_mut() {
                if let Item::Pair(_, v) = item {
                    representable(v, inline);
                }
            }
        }
        Node::List(items) => {
            let table_like = is_table_like(&Node::List(items.clone()));
            if table_like {
                while matches!(items.last(), Some(Node::Comment(_))) {
                    items.pop();
                }
            }
            for item in items.iter_mut() {
                representable(item, inline || !table_like);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_trees_round_trip(mut doc in map(tree()), trailing in prop::option::of(comment())) {
        for item in doc.iter_mut() {
            if let Item::Pair(_, v) = item {
                representable(v, false);
            }
        }
        if let Some(c) = trailing {
            doc.push(Item::Comment(c.into()));
        }
        normalize(&mut doc);
        let out = emit(&doc);
        let back = TomlStore.load(out.as_bytes())
            .unwrap_or_else(|e| panic!("{e}\n{out}"));
        prop_assert_eq!(&back.docs[0], &doc, "{}", out);
        prop_assert_eq!(emit(&back.docs[0]), out);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = TomlStore.load(&bytes);
    }

    #[test]
    fn toml_like_text_never_panics(s in "[\\[\\]{}=\"'#.a-c0-9 \n,:TZ+-]{0,80}") {
        if let Ok(loaded) = TomlStore.load(s.as_bytes()) {
            let out = TomlStore.emit(&loaded.docs, loaded.metadata.as_ref());
            if let Ok(out) = out {
                // Whatever reads, writes something that reads again.
                prop_assert!(TomlStore.load(&out).is_ok(), "{}", text(&out));
            }
        }
    }
}

#[test]
fn comments_before_an_array_of_tables_belong_to_the_list() {
    let mut doc = vec![
        Item::Comment(" servers".into()),
        pair("s", Node::List(vec![Node::Map(vec![pair("a", int(1))])])),
    ];
    normalize(&mut doc);
    assert_eq!(
        doc,
        vec![pair(
            "s",
            Node::List(vec![
                Node::Comment(" servers".into()),
                Node::Map(vec![pair("a", int(1))])
            ]),
        )]
    );
    let out = emit(&doc);
    assert_eq!(out, "# servers\n[[s]]\na = 1\n");
    assert_eq!(load(&out).docs[0], doc);
}

#[test]
fn encrypted_comments_in_lists_are_written_as_comment_lines() {
    // Encryption turns a list comment into an `ENC[...,type:comment]` string element; the
    // list must keep its layout (an array of tables stays one) so the MAC order holds.
    let c = "ENC[AES256_GCM,data:c,iv:i,tag:t,type:comment]";
    let doc = vec![
        pair("l", Node::List(vec![Node::str(c), int(1)])),
        pair(
            "s",
            Node::List(vec![Node::str(c), Node::Map(vec![pair("a", int(1))])]),
        ),
    ];
    let out = emit(&doc);
    assert_eq!(
        out,
        format!("l = [\n    #{c}\n    1,\n]\n\n#{c}\n[[s]]\na = 1\n")
    );
    let back = &load(&out).docs[0];
    let Some(Node::List(s)) = crate::tree::get(back, "s") else {
        panic!()
    };
    assert_eq!(s[0], Node::Comment(c.into()));
}

#[test]
fn layout_of_the_source_is_followed_or_given_up() {
    let text = "a = 1   # one\n\nb = { c = 'x' }\n[t]\nd.e = 0x10\n";
    let mut doc = load(text).docs.remove(0);
    let over = |doc: &Map| text_of_over(doc, text);
    // Nothing changed: the very text. A changed value: only its spelling changes.
    assert_eq!(over(&doc), text);
    if let Some(Item::Pair(_, v)) = doc
        .iter_mut()
        .find(|i| matches!(i, Item::Pair(k, _) if k == "a"))
    {
        *v = int(2);
    }
    assert_eq!(
        over(&doc),
        "a = 2   # one\n\nb = { c = 'x' }\n[t]\nd.e = 0x10\n"
    );
    // Another shape (a key more): the fixed layout.
    doc.push(pair("z", int(3)));
    assert_eq!(over(&doc), emit(&doc));
}

fn text_of_over(doc: &Map, source: &str) -> String {
    text(
        &TomlStore
            .emit_over(std::slice::from_ref(doc), None, Some(source.as_bytes()))
            .unwrap(),
    )
}
