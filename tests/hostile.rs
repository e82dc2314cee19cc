//! Hostile input: alias bombs, deep nesting, malformed `.sops.yaml`. Each case fails fast
//! with one line naming the file and sops' exit code, and never exhausts memory.

mod common;
use common::*;
use std::process::Output;

/// The address space a run may use: a bomb that expands gets nowhere near it refused.
const MEMORY_CAP: libc::rlim_t = 1 << 30;

/// Runs `cmd` with its address space capped at [`MEMORY_CAP`].
fn capped(mut cmd: std::process::Command) -> Output {
    cap_address_space(&mut cmd, MEMORY_CAP);
    cmd.output().unwrap()
}

/// Asserts a run failed with `code`, one line of stderr holding every `needles`, no panic.
fn assert_refused(out: &Output, code: i32, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    for needle in needles {
        assert!(err.contains(needle), "expected {needle:?} in: {err}");
    }
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
}

/// `levels` anchors, each a list of two aliases of the previous one, over a `leaf` scalar:
/// 2^levels copies of the leaf once expanded.
fn alias_chain(levels: usize, leaf: &str) -> String {
    let mut text = format!("a0: &a0 {leaf}\n");
    for i in 1..=levels {
        text.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}]\n", p = i - 1));
    }
    text
}

#[test]
fn alias_bomb_in_a_data_file_is_refused_within_a_memory_cap() {
    let s = Sandbox::new();
    // 10 KB of text expanding to 2.6 GB.
    let bomb = s.write("bomb.yaml", alias_chain(18, &"x".repeat(10_000)));
    let commands: [&[&str]; 3] = [&["encrypt", "--age", AGE1], &["decrypt"], &["filestatus"]];
    for args in commands {
        let mut cmd = s.secret_std();
        cmd.args(args).arg(&bomb);
        let needles = ["bomb.yaml", "excessive aliasing"];
        // As in sops: a file encrypt cannot parse is exit 2, one the other commands cannot
        // parse is 1 (filestatus reports every failure as 1).
        let code = if args[0] == "encrypt" { 2 } else { 1 };
        assert_refused(&capped(cmd), code, &needles);
    }
    for (args, code) in [(&["encrypt", "--age", AGE1][..], 2), (&["decrypt"][..], 1)] {
        let sops = s.sops().args(args).arg(&bomb).output().unwrap();
        assert_eq!(sops.status.code(), Some(code), "sops {args:?}");
    }
}

#[test]
fn alias_bomb_in_the_config_is_refused_within_a_memory_cap() {
    let s = Sandbox::new();
    let sub = s.path().join("a/b");
    std::fs::create_dir_all(&sub).unwrap();
    s.write("a/.sops.yaml", alias_chain(18, &"x".repeat(10_000)));
    std::fs::write(sub.join("plain.yaml"), "k: v\n").unwrap();
    let mut cmd = s.secret_std();
    cmd.current_dir(&sub)
        .args(["encrypt", "--age", AGE1, "plain.yaml"]);
    assert_refused(&capped(cmd), 1, &[".sops.yaml", "excessive aliasing"]);
}

#[test]
fn alias_ratio_refuses_what_sops_refuses() {
    let s = Sandbox::new();
    // 8 levels stay under go-yaml's 99% aliased-node ratio, 9 go over it.
    for (levels, ok) in [(8, true), (9, false)] {
        let file = s.write(&format!("chain{levels}.yaml"), alias_chain(levels, "leaf"));
        let sops = s
            .sops()
            .args(["encrypt", "--age", AGE1])
            .arg(&file)
            .output();
        assert_eq!(
            sops.unwrap().status.success(),
            ok,
            "sops on {levels} levels"
        );
        let ours = s
            .secret()
            .args(["encrypt", "--age", AGE1])
            .arg(&file)
            .output()
            .unwrap();
        if ok {
            assert!(ours.status.success(), "{levels} levels");
        } else {
            assert_refused(&ours, 2, &["excessive aliasing"]);
        }
    }
}

#[test]
fn deep_nesting_is_refused_fast() {
    let s = Sandbox::new();
    let depth = 100_000;
    let cases = [
        (
            "list.yaml",
            format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth)),
        ),
        (
            "map.yaml",
            format!("a: {}1{}\n", "{a: ".repeat(depth), "}".repeat(depth)),
        ),
    ];
    for (name, text) in cases {
        let file = s.write(name, text);
        let mut cmd = s.secret_std();
        cmd.args(["encrypt", "--age", AGE1]).arg(&file);
        assert_refused(&capped(cmd), 2, &[name, "exceeded max depth of 10000"]);
        let sops = s
            .sops()
            .args(["encrypt", "--age", AGE1])
            .arg(&file)
            .output();
        assert_eq!(sops.unwrap().status.code(), Some(2), "sops on {name}");
    }
}

#[test]
fn nesting_up_to_the_limit_loads_as_in_sops() {
    let s = Sandbox::new();
    let depth = 10_000;
    for (text, ok) in [
        (
            format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth)),
            true,
        ),
        (
            format!("a: {}{}\n", "[".repeat(depth + 1), "]".repeat(depth + 1)),
            false,
        ),
    ] {
        let file = s.write("deep.yaml", text);
        let sops = s.sops().arg("filestatus").arg(&file).output().unwrap();
        let ours = s.secret().arg("filestatus").arg(&file).output().unwrap();
        assert_eq!(sops.status.success(), ok);
        assert_eq!(ours.status.success(), ok, "{ours:?}");
        if ok {
            assert_eq!(ours.stdout, sops.stdout);
        }
    }
}

/// A `.sops.yaml` in the sandbox, and `secret encrypt` of a plain file under it.
fn encrypt_with_config(s: &Sandbox, config: &str) -> Output {
    s.write(".sops.yaml", config);
    s.write("prod.yaml", "k: v\n");
    s.secret().args(["encrypt", "prod.yaml"]).output().unwrap()
}

#[test]
fn malformed_config_fields_are_errors_naming_rule_and_field() {
    let s = Sandbox::new();
    let cases = [
        (
            "creation_rules:\n  - path_regex: [prod]\n    age: {AGE1}\n",
            "creation_rules[0].path_regex must be a string, not a list",
        ),
        (
            "creation_rules: [[1]]\n",
            "creation_rules[0] must be a map, not a list",
        ),
        (
            "creation_rules: [{age: {AGE1}}, 1]\n",
            "creation_rules[1] must be a map, not a scalar",
        ),
        (
            "creation_rules: 5\n",
            "creation_rules must be a list, not a scalar",
        ),
        (
            "creation_rules:\n  - encrypted_regex: {a: 1}\n    age: {AGE1}\n",
            "creation_rules[0].encrypted_regex must be a string, not a map",
        ),
        (
            "creation_rules:\n  - aws_profile: [p]\n    age: {AGE1}\n",
            "creation_rules[0].aws_profile must be a string",
        ),
        (
            "creation_rules:\n  - mac_only_encrypted: 'true'\n    age: {AGE1}\n",
            "creation_rules[0].mac_only_encrypted must be true or false",
        ),
        (
            "creation_rules:\n  - key_groups: 5\n",
            "creation_rules[0].key_groups must be a list",
        ),
        (
            "creation_rules:\n  - key_groups: [{age: [{AGE1}, 5]}]\n",
            "creation_rules[0].key_groups[0].age[1] must be a string",
        ),
        (
            "creation_rules:\n  - key_groups: [{kms: [arn:aws:kms:us-east-1:1:key/a]}]\n",
            "creation_rules[0].key_groups[0].kms[0] must be a map",
        ),
        ("stores: {yaml: 5}\n", "stores.yaml must be a map"),
    ];
    for (config, needle) in cases {
        let config = config.replace("{AGE1}", AGE1);
        let out = encrypt_with_config(&s, &config);
        assert_refused(&out, 1, &[".sops.yaml", needle]);
        let sops = s.sops().args(["encrypt", "prod.yaml"]).output().unwrap();
        assert_eq!(sops.status.code(), Some(1), "sops refuses {config:?} too");
    }
}

#[test]
fn scalar_path_regex_is_its_text_as_in_sops() {
    let s = Sandbox::new();
    // `123` is the regex "123": it does not match prod.yaml, so no rule applies.
    let config = format!("creation_rules:\n  - path_regex: 123\n    age: {AGE1}\n");
    let out = encrypt_with_config(&s, &config);
    assert_refused(&out, 1, &["no matching creation rules"]);
    let sops = s.sops().args(["encrypt", "prod.yaml"]).output().unwrap();
    assert_eq!(sops.status.code(), Some(1));
    let config = format!("creation_rules:\n  - path_regex: 123\n    age: {AGE1}\n");
    s.write("v123.yaml", "k: v\n");
    s.write(".sops.yaml", &config);
    s.secret().args(["encrypt", "v123.yaml"]).assert().success();
}

#[test]
fn aliases_cannot_stack_nesting_past_the_tree_limit() {
    let s = Sandbox::new();
    // Each anchor nests the previous one 5,000 levels deeper: 25,000 levels once expanded,
    // though no part of the text nests more than 5,000.
    let n = 5_000;
    let mut text = format!("x0: &x0 {}1{}\n", "[".repeat(n), "]".repeat(n));
    for i in 1..=4 {
        let p = i - 1;
        text.push_str(&format!(
            "x{i}: &x{i} {}*x{p}{}\n",
            "[".repeat(n),
            "]".repeat(n)
        ));
    }
    let file = s.write("stacked.yaml", text);
    let mut cmd = s.secret_std();
    cmd.arg("filestatus").arg(&file);
    assert_refused(
        &capped(cmd),
        1,
        &["stacked.yaml", "exceeded max depth of 20001"],
    );
}

/// Plaintext files with CRLF line ends, one per format sops reads them in.
const CRLF_PLAIN: [(&str, &str); 3] = [
    (
        "crlf.yaml",
        "a: |\r\n  line1\r\n  line2\r\nb: >\r\n  f1\r\n  f2\r\n\r\n  f3\r\nc: \"q1\r\n  q2\"\r\n\
         d: plain\r\n  cont\r\n# comment\r\ne: [1, 2]\r\nf: x # inline\r\n",
    ),
    (
        "crlf.ini",
        "[s]\r\na = 1\r\n; c\r\nb = two words\r\n\r\n[t]\r\nc = \"q\"\r\n",
    ),
    (
        "crlf.json",
        "{\r\n  \"a\": \"x\",\r\n  \"b\": [1, 2],\r\n  \"c\": {\"d\": \"e\\r\\n\"}\r\n}\r\n",
    ),
];

/// `secret decrypt` of `file` with the first test key.
fn secret_decrypt(s: &Sandbox, file: &std::path::Path) -> Output {
    s.secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .arg("decrypt")
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn crlf_plaintext_is_read_as_sops_reads_it() {
    let s = Sandbox::new();
    for (name, plain) in CRLF_PLAIN {
        let by_sops = s.sops_file(name, plain);
        let expected = s.sops_decrypt(&by_sops);
        // sops' encryption of the CRLF text decrypts the same with secret...
        let ours = secret_decrypt(&s, &by_sops);
        assert_same(&ours.stdout, expected.as_bytes(), name);
        // ...and secret's encryption of it holds the values sops' does.
        let plain_file = s.write(&format!("plain-{name}"), plain);
        let encrypted = stdout_of(
            s.secret()
                .args(["encrypt", "--age", AGE1, "--filename-override", name])
                .arg(&plain_file),
        );
        let ours = s.write(&format!("ours-{name}"), encrypted);
        assert_same(s.sops_decrypt(&ours).as_bytes(), expected.as_bytes(), name);
    }
}

#[test]
fn encrypted_files_converted_to_crlf_decrypt_as_with_sops() {
    let s = Sandbox::new();
    let dotenv = ("crlf.env", "A=1\n# c\nB=two words\n");
    for (name, plain) in CRLF_PLAIN.into_iter().chain([dotenv]) {
        let plain = plain.replace("\r\n", "\n");
        let by_sops = s.sops_file(name, &plain);
        // What git's autocrlf does on checkout.
        let text = std::fs::read_to_string(&by_sops).unwrap();
        let crlf = s.write(name, text.replace('\n', "\r\n"));
        let theirs = s
            .sops()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .arg("decrypt")
            .arg(&crlf)
            .output()
            .unwrap();
        let ours = secret_decrypt(&s, &crlf);
        assert_eq!(ours.status.code(), theirs.status.code(), "{name}: {ours:?}");
        assert_same(&ours.stdout, &theirs.stdout, name);
    }
}

#[test]
fn keys_dotenv_and_ini_cannot_hold_are_refused() {
    let s = Sandbox::new();
    let cases = [
        ("{\"a=b\": \"1\"}", "dotenv", "\"a=b\""),
        ("{\"a\\nb\": \"1\"}", "dotenv", "line break"),
        ("{\"s\": {\"a\\nb\": \"1\"}}", "ini", "line break"),
        ("{\"s\\nt\": {\"a\": \"1\"}}", "ini", "line break"),
    ];
    for (json, format, needle) in cases {
        let file = s.write("in.json", json);
        let out = s
            .secret()
            .args(["encrypt", "--age", AGE1, "--output-type", format])
            .arg(&file)
            .output()
            .unwrap();
        assert_refused(&out, 4, &[needle]);
        // sops writes such keys as they are.
        let sops = s
            .sops()
            .args(["encrypt", "--age", AGE1, "--output-type", format])
            .arg(&file)
            .output()
            .unwrap();
        assert!(sops.status.success());
    }
}
