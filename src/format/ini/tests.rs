use super::*;
use proptest::prelude::*;

fn vector(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/vectors/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn load(input: &str) -> Loaded {
    IniStore.load(input.as_bytes()).unwrap()
}

fn emit(doc: &Map) -> String {
    text(&IniStore.emit(std::slice::from_ref(doc), None).unwrap())
}

fn section(name: &str, items: Vec<Item>) -> Item {
    Item::Pair(name.into(), Node::Map(items))
}

fn kv(k: &str, v: &str) -> Item {
    Item::Pair(k.into(), Node::str(v))
}

fn comment(c: &str) -> Item {
    Item::Comment(c.into())
}

#[test]
fn plain_vector_emits_what_sops_decrypt_prints() {
    let loaded = IniStore.load(&vector("plain/app.ini")).unwrap();
    assert_eq!(loaded.metadata, None);
    assert_eq!(
        loaded.docs[0],
        vec![
            section("DEFAULT", vec![]),
            section(
                "database",
                vec![
                    comment("service configuration"),
                    kv("host", "db.internal.example.com"),
                    kv("password", "c0rrect horse battery staple"),
                ]
            ),
            section(
                "api",
                vec![
                    kv("token", "tok_live_51HxYzAbCdEf"),
                    comment("live token"),
                    kv("timeout", "2.5"),
                ]
            ),
        ]
    );
    let out = IniStore.emit(&loaded.docs, None).unwrap();
    assert_eq!(text(&out), text(&vector("expected/app.age1.ini")));
}

#[test]
fn encrypted_vector_round_trips() {
    let input = text(&vector("sops/app.age1.ini"));
    let loaded = IniStore.load(input.as_bytes()).unwrap();
    let meta = loaded.metadata.as_ref().expect("metadata");
    assert_eq!(
        crate::tree::get(meta, "unencrypted_suffix").and_then(Node::as_str),
        Some("_unencrypted")
    );
    assert!(!loaded.docs[0]
        .iter()
        .any(|i| matches!(i, Item::Pair(k, _) if k == SOPS_SECTION)));
    let out = text(
        &IniStore
            .emit(&loaded.docs, loaded.metadata.as_ref())
            .unwrap(),
    );

    // Everything up to [sops] is byte-identical; the [sops] section is the same set of lines
    // (sops 3.11 writes it in random order, we sort), padded to the same width.
    let split = |s: &str| {
        let at = s.find("[sops]\n").expect("[sops] section");
        let (head, tail) = s.split_at(at);
        let mut lines: Vec<String> = tail.lines().map(str::to_string).collect();
        lines.sort();
        (head.to_string(), lines, tail.ends_with('\n'))
    };
    let (want_head, want_sops, want_nl) = split(&input);
    let (got_head, got_sops, got_nl) = split(&out);
    assert_eq!(got_head, want_head);
    assert_eq!(got_sops, want_sops);
    assert_eq!(got_nl, want_nl);
    // Our [sops] keys are sorted.
    let keys: Vec<&str> = out[out.find("[sops]\n").unwrap()..]
        .lines()
        .skip(1)
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn comments_land_where_sops_puts_them() {
    let input = "; top1\n# top2\n\nk0 = v0\n; above a\n; above a 2\n[db]\n;c1\n   ;  c2  \n\
                 a = 1 ; inline a\nb = 2 # inline b\n; above c\nc = 3 ; inline c\n\
                 ; trailing comment\n[x]\n; only comment\n";
    let loaded = load(input);
    assert_eq!(
        loaded.docs[0],
        vec![
            section("DEFAULT", vec![kv("k0", "v0"), comment("top1\n# top2")]),
            section(
                "db",
                vec![
                    comment("above a\n; above a 2"),
                    kv("a", "1"),
                    comment("c1\n;  c2  \n; inline a"),
                    kv("b", "2"),
                    comment("inline b"),
                    kv("c", "3"),
                    comment("above c\n; inline c"),
                ]
            ),
            section("x", vec![comment("trailing comment")]),
        ]
    );
    // Output verified against sops 3.11.0 (`sops decrypt` of the encrypted file).
    assert_eq!(
        emit(&loaded.docs[0]),
        "; top1\n# top2\nk0 = v0\n\n; above a\n; above a 2\n[db]\n; c1\n; c2\n; inline a\n\
         a = 1\n; inline b\nb = 2\n; above c\n; inline c\nc = 3\n\n; trailing comment\n[x]\n"
    );
}

#[test]
fn values_as_go_ini_reads_and_writes_them() {
    let input = "[v]\nq1 = \"double quoted\"\nq2 = 'single'\nq3 = \"a;b\"\nq4 = a#b\n\
                 q5 = `back;tick`\nq6 = \"\"\"multi\nline\nvalue\"\"\"\nq7 = \"\"\"one line\"\"\"\n\
                 q8 =   spaced   value   \nq9 =\nq10: colon\nq11 = x\\\n  continued\n\
                 \x20q12 = indented key\nq13 = \" lead\"\nq14 = a = b\nq15 := c\n\
                 \"quoted key\" = qk\n`bt=key` = bk\ndup = first\ndup = second\n\
                 q16 = \"\"\"multi2\nline\"\"\" ; after\nq17 = \"\"\n";
    let loaded = load(input);
    // Output verified against sops 3.11.0.
    let want = "[v]\n\
        q1         = double quoted\n\
        q2         = single\n\
        ; b\"\n\
        q3         = \"a\n\
        ; b\n\
        q4         = a\n\
        q5         = `back;tick`\n\
        q6         = \"\"\"multi\nline\nvalue\"\"\"\n\
        q7         = one line\n\
        q8         = spaced   value\n\
        q9         = \n\
        q10        = colon\n\
        q11        = xcontinued\n\
        q12        = indented key\n\
        q13        = \" lead\"\n\
        q14        = a = b\n\
        q15        = = c\n\
        quoted key = qk\n\
        `bt=key`   = bk\n\
        dup        = second\n\
        ; after\n\
        q16        = \"\"\"multi2\nline\"\"\"\n\
        q17        = \n";
    assert_eq!(emit(&loaded.docs[0]), want);
}

#[test]
fn odd_lines_as_go_ini_reads_them() {
    let input = "\u{feff}; c1\ndup = a\n; c2\ndup = b\n[s2] ; hdr comment\nk1 = \"a\" ; c\n\
                 k2 = 'it''s'\nmy key = v\n[ spaced ]\nk = \"\"\"a\n  b\n\"\"\"  trailing ; tc\n\
                 k3 = \"\"\"a\"\"\"b\"\"\"\nk4 = `abc\ndef`\n- = auto1\n- = auto2\nk5 = x\\\n\nk6 = y\n";
    let loaded = load(input);
    // What sops 3.11.0 wrote for this file (its comments left plain by --encrypted-regex).
    let want = "; c2\ndup = b\n\n; hdr comment\n[s2]\n; c\nk1     = a\nk2     = 'it''s'\n\
                my key = v\n\n[ spaced ]\n; tc\nk  = \"\"\"a\n  b\n\"\"\"\nk3 = a\"\"\"b\n\
                k4 = \"\"\"abc\ndef\"\"\"\n#1 = auto1\n#2 = auto2\nk5 = x\nk6 = y\n";
    assert_eq!(emit(&loaded.docs[0]), want);
}

#[test]
fn duplicate_sections_stay_apart_and_default_is_positional() {
    let loaded = load("a=1\n[x]\nb=2\n[DEFAULT]\nc=3\n[x]\nd=4\n");
    assert_eq!(loaded.docs[0].len(), 4);
    assert_eq!(
        emit(&loaded.docs[0]),
        "a = 1\n\n[x]\nb = 2\n\n[DEFAULT]\nc = 3\n\n[x]\nd = 4\n"
    );
    // A tree from another format: DEFAULT not first gets a header; a first section named
    // `default` (any case) gets none. Verified against sops 3.11.0.
    let doc = vec![
        section("x", vec![kv("a", "1")]),
        section("DEFAULT", vec![kv("b", "2")]),
    ];
    assert_eq!(emit(&doc), "[x]\na = 1\n\n[DEFAULT]\nb = 2\n");
    let doc = vec![
        section(
            "default",
            vec![comment(" hc"), kv("b", "2"), comment(" kc")],
        ),
        section("x", vec![kv("a", "1")]),
    ];
    assert_eq!(emit(&doc), ";  hc\n; kc\nb = 2\n\n[x]\na = 1\n");
    // Empty sections.
    assert_eq!(
        emit(&load("[a]\nx = 1\n[b]\n").docs[0]),
        "[a]\nx = 1\n\n[b]\n"
    );
    assert_eq!(emit(&load("").docs[0]), "");
    assert_eq!(emit(&load("; c\n").docs[0]), "");
}

#[test]
fn values_from_other_formats() {
    use crate::tree::Scalar::*;
    let n = |s: Scalar| Node::Scalar(s);
    let nested = Node::Map(vec![
        Item::Pair("t".into(), n(Time("2024-01-02T03:04:05.5+02:00".into()))),
        Item::Pair("f".into(), n(Float(1.0))),
        Item::Pair("g".into(), n(Float(1e21))),
        Item::Pair("b".into(), n(Bool(true))),
        Item::Pair("n".into(), n(Null)),
        Item::Pair("s".into(), Node::str("x y")),
        comment(" cm"),
        Item::Pair(
            "l".into(),
            Node::List(vec![
                n(Int(1)),
                Node::List(vec![n(Int(2)), n(Int(3))]),
                Node::Map(vec![kv("k", "v")]),
            ]),
        ),
    ]);
    let doc = vec![section(
        "sec",
        vec![
            Item::Pair("f1".into(), n(Float(1.0))),
            Item::Pair("f3".into(), n(Float(1e21))),
            Item::Pair("i".into(), n(Int(42))),
            Item::Pair("b".into(), n(Bool(false))),
            Item::Pair("n".into(), n(Null)),
            Item::Pair("t".into(), n(Time("2024-01-02T03:04:05.123456Z".into()))),
            kv("e", ""),
            kv("s", "multi\nline"),
            kv("sp", " lead"),
            kv("hash", "a#b"),
            kv("bt", "a`b"),
            kv("q", "\"quoted\""),
            Item::Pair("nested".into(), nested),
            Item::Pair("emptym".into(), Node::Map(vec![])),
            Item::Pair("emptyl".into(), Node::List(vec![])),
        ],
    )];
    // Verified against `sops decrypt --output-type ini` of the same YAML tree.
    let want = "[sec]\n\
        f1     = 1.0\n\
        f3     = 1E+21\n\
        i      = 42\n\
        b      = false\n\
        n      = <nil>\n\
        t      = 2024-01-02T03:04:05Z\n\
        e      = \n\
        s      = \"\"\"multi\nline\"\"\"\n\
        sp     = \" lead\"\n\
        hash   = `a#b`\n\
        bt     = \"\"\"a`b\"\"\"\n\
        q      = \"quoted\"\n\
        nested = [{t 2024-01-02 03:04:05.5 +0200 +0200} {f 1} {g 1e+21} {b true} {n <nil>} \
                 {s x y} {{ cm} <nil>} {l [1 [2 3] [{k v}]]}]\n\
        emptym = []\n\
        emptyl = []\n";
    assert_eq!(emit(&doc), want);
}

#[test]
fn backslash_line_does_not_close_a_quoted_value() {
    // go-ini 1.67.1, verified with sops 3.11.0.
    let loaded = load("k = `a\nb`c\\\nd`\n");
    assert_eq!(emit(&loaded.docs[0]), "k = \"\"\"a\nb`c\\\nd\"\"\"\n");
    let loaded = load("k = `a\nb` \\  \nd`\n");
    assert_eq!(emit(&loaded.docs[0]), "k = \"\"\"a\nb` \\  \nd\"\"\"\n");
    let err = IniStore.load(b"k = `a\nb`c\\\nk2 = 1\n").unwrap_err();
    assert_eq!(err.code, Code::CouldNotReadInputFile);
    // A one-line quoted value does not continue.
    assert!(IniStore.load(b"k = `abc`\\\nd`\n").is_err());
}

#[test]
fn top_level_scalar_is_exit_4() {
    let doc = vec![comment(" c"), kv("s", "x")];
    let err = IniStore.emit(&[doc], None).unwrap_err();
    assert_eq!(err.code, Code::ErrorDumpingTree);
    assert!(err
        .message
        .contains("Section values should always be TreeBranches"));
}

#[test]
fn emit_value_like_sops_extract() {
    assert_eq!(IniStore.emit_value(&Node::str("x<y>")).unwrap(), b"x<y>");
    assert_eq!(
        IniStore
            .emit_value(&Node::Scalar(Scalar::Time(
                "2024-01-02T03:04:05.123456Z".into()
            )))
            .unwrap(),
        b"\"2024-01-02T03:04:05.123456Z\""
    );
    assert_eq!(
        IniStore
            .emit_value(&Node::Scalar(Scalar::Float(1.0)))
            .unwrap(),
        b"1"
    );
    assert_eq!(
        IniStore.emit_value(&Node::Scalar(Scalar::Null)).unwrap(),
        b"null"
    );
    let list = Node::List(vec![
        Node::Scalar(Scalar::Int(1)),
        Node::List(vec![Node::Scalar(Scalar::Int(2))]),
        Node::Map(vec![kv("k", "v<")]),
    ]);
    assert_eq!(
        text(&IniStore.emit_value(&list).unwrap()),
        "[1,[2],[{\"Key\":\"k\",\"Value\":\"v\\u003c\"}]]"
    );
}

#[test]
fn sops_section_is_metadata_in_either_encoding() {
    let escaped = "[s]\na = 1\n\n[sops]\nversion = 3.11.0\nshamir_threshold = 2\n\
                   age__list_0__map_enc = A\\nB\\n\n";
    let tripled = "[s]\na = 1\n\n[sops]\nversion = 3.11.0\nshamir_threshold = 2\n\
                   age__list_0__map_enc = \"\"\"A\nB\n\"\"\"\n";
    for input in [escaped, tripled] {
        let loaded = load(input);
        assert_eq!(loaded.docs[0].len(), 2, "[sops] is not data");
        let meta = loaded.metadata.unwrap();
        assert_eq!(
            crate::tree::get(&meta, "shamir_threshold"),
            Some(&Node::Scalar(Scalar::Int(2)))
        );
        let Some(Node::List(age)) = crate::tree::get(&meta, "age") else {
            panic!("age")
        };
        assert_eq!(
            crate::tree::get(age[0].as_map().unwrap(), "enc"),
            Some(&Node::str("A\nB\n"))
        );
    }
    // A plaintext file with a [sops] section reports metadata, so encrypt refuses it (203).
    assert!(load("[sops]\nx=1\n").metadata.is_some());
}

#[test]
fn bad_input_is_exit_2_with_line_number() {
    for (input, line, what) in [
        ("a = 1\nnokey\n", 2, "key-value delimiter not found: nokey"),
        ("[ok]\n[unclosed\n", 2, "unclosed section: [unclosed"),
        ("x = 1\na = \"\"\"abc\nxx\n", 2, "missing closing key quote"),
        ("= v\n", 1, "empty key name"),
        ("[]\nx=1\n", 1, "empty section name"),
        ("`k = v\n", 1, "missing closing key quote"),
        ("a = 1\nb = \u{fffd}\n", 2, "invalid UTF-8"),
    ] {
        let bytes = input.replace('\u{fffd}', "\0").into_bytes();
        let bytes: Vec<u8> = bytes
            .into_iter()
            .map(|b| if b == 0 { 0xff } else { b })
            .collect();
        let err = IniStore.load(&bytes).unwrap_err();
        assert_eq!(err.code, Code::CouldNotReadInputFile, "{input:?}");
        assert!(
            err.message.starts_with(&format!("line {line}: ")) && err.message.contains(what),
            "{input:?}: {}",
            err.message
        );
    }
}

#[test]
fn bad_metadata_threshold_is_exit_1() {
    let err = IniStore
        .load(b"[sops]\nshamir_threshold = 2.5\n")
        .unwrap_err();
    assert_eq!(err.code, Code::Generic);
}

// --- property tests -------------------------------------------------------------------

fn key_strategy() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_é€.\"=:`#; -]{1,10}".prop_filter("a key go-ini reads back", |k| {
        k.trim() == k
            && !k.starts_with(['#', ';', '['])
            && k != "-"
            && !(k.contains(['"', '=', ':']) && k.contains('`'))
    })
}

/// Values go-ini cannot read back the way it writes them (sops loses them too).
fn ini_lossy(v: &str) -> bool {
    if v.contains("\"\"\"") {
        return true;
    }
    if v.contains(['\n', '`']) || v.contains(['#', ';']) {
        return false;
    }
    let quoted = |q: char| v.len() >= 2 && v.starts_with(q) && v.ends_with(q);
    if v.trim() != v {
        return v.contains('"');
    }
    v.ends_with('\\') || quoted('"') || quoted('\'')
}

fn value_strategy() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 =\"'#;`\\\\\n\t é€😀]{0,16}".prop_filter("round-trippable", |v| !ini_lossy(v))
}

fn comment_strategy() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 =\"'#;é€]{1,12}".prop_filter("a comment go-ini reads back", |c| {
        c.trim() == c && !c.starts_with(['#', ';'])
    })
}

fn keys_strategy() -> impl Strategy<Value = Vec<Item>> {
    prop::collection::vec(
        (
            key_strategy(),
            value_strategy(),
            prop::option::of(comment_strategy()),
        ),
        0..6,
    )
    .prop_map(|keys| {
        let mut seen = std::collections::HashSet::new();
        let mut items = Vec::new();
        for (k, v, c) in keys {
            if !seen.insert(k.clone()) {
                continue;
            }
            items.push(Item::Pair(k.into(), Node::str(v)));
            if let Some(c) = c {
                items.push(Item::Comment(c.into()));
            }
        }
        items
    })
}

fn section_strategy() -> impl Strategy<Value = Item> {
    (
        "[A-Za-z0-9_ é.=;#-]{1,10}".prop_filter("a section name", |n| {
            !n.eq_ignore_ascii_case("default") && n != SOPS_SECTION
        }),
        prop::option::of(comment_strategy()),
        keys_strategy(),
    )
        .prop_map(|(name, c, mut items)| {
            if let Some(c) = c {
                items.insert(0, Item::Comment(c.into()));
            }
            Item::Pair(name.into(), Node::Map(items))
        })
}

fn doc_strategy() -> impl Strategy<Value = Map> {
    (
        keys_strategy(),
        prop::collection::vec(section_strategy(), 0..4),
    )
        .prop_map(|(default, sections)| {
            let mut doc = vec![Item::Pair("DEFAULT".into(), Node::Map(default))];
            doc.extend(sections);
            doc
        })
}

proptest! {
    #[test]
    fn ini_trees_round_trip(doc in doc_strategy()) {
        let bytes = IniStore.emit(std::slice::from_ref(&doc), None).unwrap();
        let loaded = IniStore.load(&bytes).unwrap();
        prop_assert_eq!(&loaded.docs[0], &doc, "{}", text(&bytes));
        prop_assert_eq!(loaded.metadata, None);
        prop_assert_eq!(IniStore.emit(&loaded.docs, None).unwrap(), bytes);
    }

    #[test]
    fn random_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(loaded) = IniStore.load(&input) {
            let _ = IniStore.emit(&loaded.docs, loaded.metadata.as_ref());
        }
    }

    #[test]
    fn random_ini_text_never_panics(input in "[a-z=:;#\\[\\]\"`'\\\\ \n\r]{0,80}") {
        if let Ok(loaded) = IniStore.load(input.as_bytes()) {
            let _ = IniStore.emit(&loaded.docs, loaded.metadata.as_ref());
        }
    }
}

/// Differential check against a real sops binary (not run by default). `DIFF_DIR` holds
/// `ini/*.ini` and `env/*.env` inputs, each with `NAME.EXT.sops` (stdout of
/// `sops encrypt --age AGE1 --encrypted-regex '^NOPE$' NAME.EXT`, which leaves values and
/// comments plain) and `NAME.EXT.rc` (its exit code). Files sops crashes on (a Go panic in
/// go-ini's writer on an empty comment line, exit 2) are reported as `RC` differences.
#[test]
#[ignore]
fn differential_against_sops() {
    use crate::format::dotenv::DotenvStore;
    let dir = std::env::var("DIFF_DIR").unwrap();
    let mut failures = 0;
    for sub in ["ini", "env"] {
        let mut paths: Vec<_> = std::fs::read_dir(format!("{dir}/{sub}"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == sub))
            .collect();
        paths.sort();
        for p in paths {
            let input = std::fs::read(&p).unwrap();
            let rc: i32 = std::fs::read_to_string(format!("{}.rc", p.display()))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            let sops =
                String::from_utf8(std::fs::read(format!("{}.sops", p.display())).unwrap()).unwrap();
            let store: &dyn Store = if sub == "ini" {
                &IniStore
            } else {
                &DotenvStore
            };
            let got = store.load(&input);
            match (rc, got) {
                (2, Err(e)) if e.code == Code::CouldNotReadInputFile => {}
                (0, Ok(loaded)) => {
                    let out = text(&store.emit(&loaded.docs, None).unwrap());
                    let want = if sub == "ini" {
                        let at = sops.find("[sops]\n").unwrap();
                        let head = &sops[..at];
                        head.strip_suffix("\n\n")
                            .map(|h| format!("{h}\n"))
                            .unwrap_or(head.to_string())
                    } else {
                        let at = if sops.starts_with("sops_") {
                            0
                        } else {
                            sops.find("\nsops_").map_or(0, |i| i + 1)
                        };
                        sops[..at].to_string()
                    };
                    if out != want {
                        failures += 1;
                        eprintln!(
                            "MISMATCH {}\n--input\n{}\n--want\n{want}--got\n{out}",
                            p.display(),
                            text(&input)
                        );
                    }
                }
                (rc, got) => {
                    failures += 1;
                    eprintln!("RC {} sops={rc} ours={:?}", p.display(), got.map(|_| ()));
                }
            }
        }
    }
    assert_eq!(failures, 0);
}

#[test]
fn names_with_line_breaks_are_refused() {
    let cases = [
        vec![section("s", vec![kv("a\nb", "1")])],
        vec![section("s", vec![kv("a\rb", "1")])],
        vec![section("s\nt", vec![kv("a", "1")])],
    ];
    for doc in cases {
        let err = IniStore.emit(&[doc], None).unwrap_err();
        assert_eq!(err.code, Code::ErrorDumpingTree);
        assert!(err.message.contains("line break"), "{err}");
    }
    // `=` is fine: go-ini quotes such a key and reads it back.
    let doc = vec![section("s", vec![kv("a=b", "1")])];
    assert_eq!(emit(&doc), "[s]\n`a=b` = 1\n");
    assert_eq!(load(&emit(&doc)).docs[0][1], doc[0]);
}

#[test]
fn repeated_keys_keep_their_place_in_big_sections() {
    let mut input = String::from("[s]\n");
    for i in 0..2000 {
        input.push_str(&format!("k{i} = {i}\n"));
    }
    input.push_str("k7 = last\n");
    let doc = &load(&input).docs[0];
    let Item::Pair(_, Node::Map(items)) = &doc[1] else {
        panic!("{doc:?}")
    };
    assert_eq!(items.len(), 2000);
    assert_eq!(items[7], kv("k7", "last"));
    let out = emit(doc);
    assert!(out.contains("\nk7    = last\n"), "{out}");
}
