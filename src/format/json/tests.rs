use super::*;
use crate::tree::Scalar;
use proptest::prelude::*;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");

fn read(path: &str) -> Vec<u8> {
    std::fs::read(format!("{VECTORS}/{path}")).unwrap()
}

fn store() -> JsonStore {
    JsonStore { indent: None }
}

fn pair(k: &str, v: Node) -> Item {
    Item::Pair(k.into(), v)
}

fn float(v: f64) -> Node {
    Node::Scalar(Scalar::Float(v))
}

fn int(v: i64) -> Node {
    Node::Scalar(Scalar::Int(v))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn load_err(input: &[u8]) -> Error {
    store().load(input).unwrap_err()
}

#[test]
fn plain_vectors_emit_as_sops_decrypt_prints_them() {
    for name in ["app", "tricky", "strings"] {
        let plain = read(&format!("plain/{name}.json"));
        let loaded = store().load(&plain).unwrap();
        assert!(loaded.metadata.is_none());
        let out = store().emit(&loaded.docs, None).unwrap();
        // sops 3.13 keeps integers beyond 2^53 exact; the vectors, written by 3.11, hold
        // that one value rounded through a float.
        let want = text(&read(&format!("expected/{name}.age1.json")))
            .replace("12345678901234568", "12345678901234567")
            .into_bytes();
        assert_eq!(text(&out), text(&want), "{name}");
        assert_eq!(out, want, "{name}");
        // The output reads back to the same text (a float such as 1.0 prints as 1 and reads
        // back as an integer, as in sops 3.13).
        let again = store().load(&out).unwrap().docs;
        assert_eq!(store().emit(&again, None).unwrap(), out, "{name}");
    }
}

#[test]
fn sops_files_round_trip_byte_for_byte() {
    let mut seen = 0;
    for entry in std::fs::read_dir(format!("{VECTORS}/sops")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let file = std::fs::read(&path).unwrap();
        let loaded = store().load(&file).unwrap();
        let meta = loaded.metadata.as_ref().expect("sops files carry metadata");
        assert!(crate::tree::get(meta, "mac").is_some());
        assert!(crate::tree::get(&loaded.docs[0], "sops").is_none());
        let out = store().emit(&loaded.docs, Some(meta)).unwrap();
        assert_eq!(text(&out), text(&file), "{}", path.display());
        assert_eq!(out, file, "{}", path.display());
        let mut streamed = Vec::new();
        store()
            .write_over(&loaded.docs, Some(meta), None, &mut streamed)
            .unwrap();
        assert_eq!(streamed, file, "{} written in chunks", path.display());
        seen += 1;
    }
    assert!(seen >= 3, "only {seen} JSON vectors found");
}

#[test]
fn int64_integers_stay_exact_other_numbers_are_floats_and_order_and_duplicates_are_kept() {
    let doc = &store()
        .load(
            br#"{"z": 5432, "a": -0, "m": 1e2, "a": 9007199254740993, "x": 0.5E-3,
                "big": 9223372036854775807, "small": -9223372036854775808,
                "over": 9223372036854775808, "one": 1.0}"#,
        )
        .unwrap()
        .docs[0];
    assert_eq!(
        doc,
        &vec![
            pair("z", int(5432)),
            pair("a", int(0)),
            pair("m", float(100.0)),
            pair("a", int(9007199254740993)),
            pair("x", float(0.0005)),
            pair("big", int(i64::MAX)),
            pair("small", int(i64::MIN)),
            pair("over", float(9223372036854775808.0)),
            pair("one", float(1.0)),
        ]
    );
}

#[test]
fn values_of_every_kind() {
    let doc = &store()
        .load(b" {\"s\":\"x\",\"t\":true,\"f\":false,\"n\":null,\"o\":{},\"l\":[[],{\"k\":[1]}]}\r\n\t")
        .unwrap()
        .docs[0];
    assert_eq!(
        doc,
        &vec![
            pair("s", Node::str("x")),
            pair("t", Node::Scalar(Scalar::Bool(true))),
            pair("f", Node::Scalar(Scalar::Bool(false))),
            pair("n", Node::Scalar(Scalar::Null)),
            pair("o", Node::Map(vec![])),
            pair(
                "l",
                Node::List(vec![
                    Node::List(vec![]),
                    Node::Map(vec![pair("k", Node::List(vec![int(1)]))]),
                ])
            ),
        ]
    );
}

fn one_string(json: &[u8]) -> String {
    let doc = store().load(json).unwrap().docs.remove(0);
    match &doc[..] {
        [Item::Pair(_, Node::Scalar(Scalar::Str(s)))] => s.to_string(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn string_escapes_decode_as_go_decodes_them() {
    assert_eq!(
        one_string(br#"{"k": "\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83c\udf89"}"#),
        "\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{20ac}\u{1f389}"
    );
    // Unpaired surrogates become U+FFFD; the following escape is read on its own.
    assert_eq!(one_string(br#"{"k": "a\ud800b"}"#), "a\u{fffd}b");
    assert_eq!(one_string(br#"{"k": "\udc00"}"#), "\u{fffd}");
    assert_eq!(one_string(br#"{"k": "\ud800\u0041"}"#), "\u{fffd}A");
    assert_eq!(
        one_string(br#"{"k": "\ud800\ud800\udc00"}"#),
        "\u{fffd}\u{10000}"
    );
    // Invalid UTF-8: one U+FFFD per byte (Go), also next to escapes.
    assert_eq!(
        one_string(b"{\"k\": \"a\xe2\x82b\xff\"}"),
        "a\u{fffd}\u{fffd}b\u{fffd}"
    );
    assert_eq!(one_string(b"{\"k\": \"\\n\xc3\"}"), "\n\u{fffd}");
    assert_eq!(one_string(b"{\"k\": \"\x7f\"}"), "\u{7f}");
    // Keys are decoded the same way.
    let doc = store().load(br#"{"\u0041\n": 1}"#).unwrap().docs.remove(0);
    assert_eq!(doc, vec![pair("A\n", int(1))]);
}

#[test]
fn strings_encode_as_go_marshals_them() {
    let cases: &[(&str, &str)] = &[
        (
            "<a href=\"x\">&</a>",
            r#""\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e""#,
        ),
        ("\u{8}\u{c}\n\r\t\u{0}\u{1f}", r#""\b\f\n\r\t\u0000\u001f""#),
        ("\u{7f}\u{2027}\u{fffd}", "\"\u{7f}\u{2027}\u{fffd}\""),
        ("\u{2028}x\u{2029}", r#""\u2028x\u2029""#),
        ("é中🎉\\/", r#""é中🎉\\/""#),
        ("", r#""""#),
    ];
    for (input, want) in cases {
        let mut out = Vec::new();
        emit::write_str(&mut out, input);
        assert_eq!(text(&out), *want, "{input:?}");
    }
    let mut out = Vec::new();
    emit::write_bytes(&mut out, b"a\xe2\x82b\xff<");
    assert_eq!(text(&out), r#""a\ufffd\ufffdb\ufffd\u003c""#);
}

#[test]
fn metadata_is_taken_out_and_written_last() {
    let loaded = store()
        .load(br#"{"sops": {"version": "3.11.0"}, "a": "b"}"#)
        .unwrap();
    assert_eq!(loaded.docs, vec![vec![pair("a", Node::str("b"))]]);
    let meta = loaded.metadata.unwrap();
    assert_eq!(meta, vec![pair("version", Node::str("3.11.0"))]);
    let out = store().emit(&loaded.docs, Some(&meta)).unwrap();
    assert_eq!(
        text(&out),
        "{\n\t\"a\": \"b\",\n\t\"sops\": {\n\t\t\"version\": \"3.11.0\"\n\t}\n}\n"
    );
    // Metadata after an empty document.
    let out = store().emit(&[vec![]], Some(&meta)).unwrap();
    assert_eq!(
        text(&out),
        "{\n\t\"sops\": {\n\t\t\"version\": \"3.11.0\"\n\t}\n}\n"
    );
    let err = load_err(br#"{"sops": null}"#);
    assert_eq!(err.code, Code::CouldNotReadInputFile);
    assert!(err.message.contains("sops"), "{}", err.message);
}

#[test]
fn layout_and_scalar_kinds() {
    let doc = vec![
        Item::Comment(" a comment".into()),
        pair("i", Node::Scalar(Scalar::Int(-42))),
        pair(
            "t",
            Node::Scalar(Scalar::Time("2024-01-02T00:00:00Z".into())),
        ),
        pair("f", float(1e21)),
        pair("g", float(1e-7)),
        pair("h", float(0.000001)),
        pair("z", float(-0.0)),
        pair(
            "l",
            Node::List(vec![
                Node::Comment(" skipped".into()),
                Node::Map(vec![Item::Comment("only".into())]),
                Node::List(vec![Node::Comment("x".into())]),
                Node::Scalar(Scalar::Null),
            ]),
        ),
        Item::Comment(" trailing".into()),
    ];
    let out = store().emit(std::slice::from_ref(&doc), None).unwrap();
    assert_eq!(
        text(&out),
        "{\n\t\"i\": -42,\n\t\"t\": \"2024-01-02T00:00:00Z\",\n\t\"f\": 1e+21,\n\t\"g\": 1e-7,\n\t\
         \"h\": 0.000001,\n\t\"z\": -0,\n\t\"l\": [\n\t\t{},\n\t\t[],\n\t\tnull\n\t]\n}\n"
    );
    let out = JsonStore { indent: Some(2) }
        .emit(std::slice::from_ref(&doc), None)
        .unwrap();
    assert!(text(&out).starts_with("{\n  \"i\": -42,\n  \"t\""));
    assert!(text(&out).ends_with("  \"l\": [\n    {},\n    [],\n    null\n  ]\n}\n"));
    let out = JsonStore { indent: Some(0) }.emit(&[doc], None).unwrap();
    assert!(text(&out).ends_with("\"l\": [\n{},\n[],\nnull\n]\n}\n"));
    assert_eq!(store().emit(&[vec![]], None).unwrap(), b"{}\n");
    // Only the first document is written, as sops does.
    let out = store()
        .emit(
            &[vec![pair("a", float(1.0))], vec![pair("b", float(2.0))]],
            None,
        )
        .unwrap();
    assert_eq!(text(&out), "{\n\t\"a\": 1\n}\n");
    assert_eq!(
        store().emit(&[], None).unwrap_err().code,
        Code::ErrorDumpingTree
    );
}

#[test]
fn emit_value_has_no_final_newline() {
    let s = store();
    assert_eq!(s.emit_value(&Node::str("a<b")).unwrap(), br#""a\u003cb""#);
    assert_eq!(s.emit_value(&float(2.5)).unwrap(), b"2.5");
    assert_eq!(s.emit_value(&Node::Scalar(Scalar::Null)).unwrap(), b"null");
    assert_eq!(
        s.emit_value(&Node::Scalar(Scalar::Bool(true))).unwrap(),
        b"true"
    );
    let map = Node::Map(vec![pair(
        "a",
        Node::List(vec![float(1.0), Node::str("x")]),
    )]);
    assert_eq!(
        text(&s.emit_value(&map).unwrap()),
        "{\n\t\"a\": [\n\t\t1,\n\t\t\"x\"\n\t]\n}"
    );
    assert_eq!(s.emit_value(&Node::List(vec![])).unwrap(), b"[]");
    assert_eq!(
        text(&s.emit_value(&Node::Comment(" c".into())).unwrap()),
        "{\n\t\"Value\": \" c\"\n}"
    );
}

#[test]
fn non_finite_floats_cannot_be_written() {
    let doc = vec![pair(
        "db",
        Node::Map(vec![pair(
            "ports",
            Node::List(vec![float(1.0), float(f64::NAN)]),
        )]),
    )];
    let err = store().emit(&[doc], None).unwrap_err();
    assert_eq!(err.code, Code::ErrorDumpingTree);
    assert!(err.message.contains("NaN"), "{}", err.message);
    assert!(err.message.contains("db.ports[1]"), "{}", err.message);
    let err = store().emit_value(&float(f64::NEG_INFINITY)).unwrap_err();
    assert_eq!(err.code, Code::ErrorDumpingTree);
    assert!(err.message.contains("-Inf"), "{}", err.message);
    let meta = vec![pair("x", float(f64::INFINITY))];
    let err = store().emit(&[vec![]], Some(&meta)).unwrap_err();
    assert!(err.message.contains("sops.x"), "{}", err.message);
    // Written in chunks, the failure still comes before the first byte.
    let big = (0..100)
        .map(|i| pair(&format!("k{i}"), int(i)))
        .collect::<Map>();
    let mut out = Vec::new();
    let err = store()
        .write_over(&[big], Some(&meta), None, &mut out)
        .unwrap_err();
    assert!(err.message.contains("sops.x"), "{}", err.message);
    assert!(out.is_empty(), "wrote {} bytes", out.len());
}

#[test]
fn non_objects_are_refused() {
    for input in [
        &b""[..],
        b"  \n",
        b"[1, 2]",
        b"\"s\"",
        b"5",
        b"-1",
        b"true",
        b"null",
    ] {
        let err = load_err(input);
        assert_eq!(err.code, Code::CouldNotReadInputFile, "{input:?}");
        assert!(err.message.contains("line "), "{}", err.message);
    }
    assert!(load_err(b"[]").message.contains("not an array"));
}

#[test]
fn malformed_input_gives_line_and_column() {
    let cases: &[(&[u8], &str, &str)] = &[
        (
            b"{\"a\": 1,}",
            "line 1, column 9",
            "looking for beginning of object key string",
        ),
        (
            b"{\n  \"a\": [1, 2,]\n}",
            "line 2, column 14",
            "looking for beginning of value",
        ),
        (
            b"{\"a\": \"abc",
            "line 1, column 11",
            "unexpected end of JSON input",
        ),
        (
            b"{\"a\": \"\\x\"}",
            "line 1, column 9",
            r"invalid character 'x' in string escape code",
        ),
        (
            b"{\"a\": \"\\u12G4\"}",
            "line 1, column 12",
            "in \\u hexadecimal character escape",
        ),
        (
            b"{\"a\": \"\t\"}",
            "line 1, column 8",
            r"invalid character '\t' in string literal",
        ),
        (b"{\"a\" 1}", "line 1, column 6", "after object key"),
        (
            b"{\"a\": 1 \"b\": 2}",
            "line 1, column 9",
            "after object key:value pair",
        ),
        (
            b"{\"a\": [1 2]}",
            "line 1, column 10",
            "after array element",
        ),
        (
            b"{\"a\": tru}",
            "line 1, column 10",
            "in literal true (expecting 'e')",
        ),
        (
            b"{\"a\": nul",
            "line 1, column 10",
            "unexpected end of JSON input",
        ),
        (
            b"{\"a\": 01}",
            "line 1, column 8",
            "after object key:value pair",
        ),
        (b"{\"a\": -}", "line 1, column 8", "in numeric literal"),
        (
            b"{\"a\": 1.}",
            "line 1, column 9",
            "after decimal point in numeric literal",
        ),
        (
            b"{\"a\": 1e+}",
            "line 1, column 10",
            "in exponent of numeric literal",
        ),
        (
            b"{\"a\": +1}",
            "line 1, column 7",
            "looking for beginning of value",
        ),
        (
            b"{\"a\": 1e400}",
            "line 1, column 7",
            "does not fit in a 64-bit float",
        ),
        (
            b"{\"a\": 1} x",
            "line 1, column 10",
            "after top-level value",
        ),
        (b"{\"a\": 1}{}", "line 1, column 9", "after top-level value"),
        (
            b"{\"\xc3\xa9\": \xc3\xa9}",
            "line 1, column 7",
            "invalid character '\u{c3}'",
        ),
        (
            b"\xef\xbb\xbf{}",
            "line 1, column 1",
            "looking for beginning of value",
        ),
        (
            b"{\"a\": 1",
            "line 1, column 8",
            "unexpected end of JSON input",
        ),
        (b"{", "line 1, column 2", "unexpected end of JSON input"),
        (
            b"{'a': 1}",
            "line 1, column 2",
            r"invalid character '\'' looking for beginning",
        ),
        (
            b"{\"a\": NaN}",
            "line 1, column 7",
            "looking for beginning of value",
        ),
    ];
    for (input, at, cause) in cases {
        let err = load_err(input);
        assert_eq!(err.code, Code::CouldNotReadInputFile);
        assert!(!err.message.contains('\n'), "{}", err.message);
        assert!(
            err.message.contains(at),
            "{:?}: {}",
            text(input),
            err.message
        );
        assert!(
            err.message.contains(cause),
            "{:?}: {}",
            text(input),
            err.message
        );
    }
}

#[test]
fn nesting_is_limited_to_go_depth() {
    // Run with a large stack: dropping a very deep tree recurses.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            let nest = |n: usize| {
                let mut s = b"{\"a\":".to_vec();
                s.extend(std::iter::repeat_n(b'[', n - 1));
                s.extend(std::iter::repeat_n(b']', n - 1));
                s.push(b'}');
                s
            };
            let ok = nest(MAX_DEPTH);
            let loaded = store().load(&ok).unwrap();
            let out = store().emit(&loaded.docs, None).unwrap();
            assert_eq!(store().load(&out).unwrap(), loaded);
            let err = load_err(&nest(MAX_DEPTH + 1));
            assert!(
                err.message.contains("exceeded max depth"),
                "{}",
                err.message
            );
            assert!(err.message.contains("column 10005"), "{}", err.message);
            // Unterminated deep input fails cleanly too.
            let err = load_err(&vec![b'['; 100_000]);
            assert_eq!(err.code, Code::CouldNotReadInputFile);
            let mut open = b"{\"a\":".to_vec();
            open.extend(std::iter::repeat_n(b'[', 5000));
            assert!(load_err(&open).message.contains("unexpected end"));
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn columns_count_characters() {
    let err = load_err("{\n\"ключ\": x}".as_bytes());
    assert!(err.message.contains("line 2, column 9"), "{}", err.message);
}

#[test]
fn large_files_round_trip() {
    let mut doc = Vec::new();
    for i in 0..50_000 {
        doc.push(pair(
            &format!("key{i}"),
            Node::Map(vec![
                pair("s", Node::str(format!("value <{i}> \"quoted\" é\n"))),
                pair("n", float(i as f64 * 1.5 + 0.25)),
            ]),
        ));
    }
    let out = store().emit(&[doc.clone()], None).unwrap();
    let back = store().load(&out).unwrap();
    assert_eq!(back.docs[0], doc);
}

fn leaf() -> impl Strategy<Value = Node> {
    let string = prop_oneof![
        any::<String>(),
        "[\\x00-\\x1f\"\\\\<>&\u{2028}\u{2029}a é🎉]{0,12}",
        Just(String::new()),
    ];
    // An integral float below 1e21 prints as an integer and reads back as one: integers
    // come from their own strategy.
    let number = prop_oneof![
        any::<f64>().prop_filter("finite, not integral", |f| f.is_finite()
            && (f.fract() != 0.0 || f.abs() >= 1e21)),
        (-1e6f64..1e6).prop_filter("not integral", |f| f.fract() != 0.0),
        Just(1e21),
        Just(1e-7),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
    ];
    prop_oneof![
        string.prop_map(Node::str),
        number.prop_map(float),
        any::<i64>().prop_map(int),
        any::<bool>().prop_map(|b| Node::Scalar(Scalar::Bool(b))),
        Just(Node::Scalar(Scalar::Null)),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z\"\\\\<\n\u{2028}]{0,6}"]
}

fn tree() -> impl Strategy<Value = Node> {
    leaf().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Node::List),
            proptest::collection::vec((key(), inner), 0..6).prop_map(|kv| {
                Node::Map(
                    kv.into_iter()
                        .map(|(k, v)| Item::Pair(k.into(), v))
                        .collect(),
                )
            }),
        ]
    })
}

fn doc() -> impl Strategy<Value = Map> {
    proptest::collection::vec((key(), tree()), 0..6).prop_map(|kv| {
        kv.into_iter()
            .filter(|(k, _)| k != "sops")
            .map(|(k, v)| Item::Pair(k.into(), v))
            .collect()
    })
}

proptest! {
    #[test]
    fn random_trees_round_trip(doc in doc(), indent in proptest::option::of(0usize..5)) {
        let s = JsonStore { indent };
        let out = s.emit(std::slice::from_ref(&doc), None).unwrap();
        let loaded = s.load(&out).unwrap();
        prop_assert!(loaded.metadata.is_none());
        prop_assert_eq!(&loaded.docs, &vec![doc]);
        // Emitting again is stable.
        prop_assert_eq!(&s.emit(&loaded.docs, None).unwrap(), &out);
        let mut streamed = Vec::new();
        s.write_over(&loaded.docs, None, None, &mut streamed).unwrap();
        prop_assert_eq!(streamed, out);
    }

    #[test]
    fn random_values_round_trip_through_emit_value(v in tree()) {
        let out = store().emit_value(&v).unwrap();
        let mut wrapped = b"{\"v\": ".to_vec();
        wrapped.extend_from_slice(&out);
        wrapped.push(b'}');
        let doc = store().load(&wrapped).unwrap().docs.remove(0);
        prop_assert_eq!(doc, vec![pair("v", v)]);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = store().load(&bytes);
    }

    #[test]
    fn mutated_json_never_panics(
        doc in doc(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let mut bytes = store().emit(&[doc], None).unwrap();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        if let Err(e) = store().load(&bytes) {
            prop_assert_eq!(e.code, Code::CouldNotReadInputFile);
            prop_assert!(e.message.contains("line "));
        }
    }
}
