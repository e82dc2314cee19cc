//! Bad input: one clear line naming the file, sops' exit code, nothing written.

mod common;
use common::*;

fn fails(cmd: &mut assert_cmd::Command, code: i32, needle: &str) -> String {
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn missing_file_is_100() {
    let s = Sandbox::new();
    fails(s.secret().args(["decrypt", "nope.yaml"]), 100, "nope.yaml");
    fails(
        s.secret().args(["encrypt", "--age", AGE1, "nope.yaml"]),
        100,
        "nope.yaml",
    );
}

#[test]
fn malformed_input_is_2_with_a_line_number() {
    let s = Sandbox::new();
    let bad = s.write("bad.yaml", "a: [1, 2\nb: 3\n");
    fails(
        s.secret().args(["encrypt", "--age", AGE1]).arg(&bad),
        2,
        "bad.yaml",
    );
    let bad = s.write("bad.json", "{\"a\": 1,\n}\n");
    fails(
        s.secret().args(["encrypt", "--age", AGE1]).arg(&bad),
        2,
        "bad.json",
    );
    let list = s.write("list.yaml", "- a\n- b\n");
    fails(
        s.secret().args(["encrypt", "--age", AGE1]).arg(&list),
        2,
        "list.yaml",
    );
}

#[test]
fn already_encrypted_is_203() {
    let s = Sandbox::new();
    fails(
        s.secret()
            .args(["encrypt", "--age", AGE1])
            .arg(vectors().join("sops/app.age1.yaml")),
        203,
        "already encrypted",
    );
}

#[test]
fn plain_file_has_no_metadata() {
    let s = Sandbox::new();
    fails(
        s.secret()
            .arg("decrypt")
            .arg(vectors().join("plain/app.yaml")),
        1,
        "sops metadata not found",
    );
}

#[test]
fn conflicting_parameters_are_8() {
    let s = Sandbox::new();
    let f = s.write("a.yaml", "a: 1\n");
    fails(
        s.secret()
            .args(["encrypt", "--age", AGE1, "-i", "--output", "b.yaml"])
            .arg(&f),
        8,
        "--in-place",
    );
    fails(
        s.secret()
            .args([
                "encrypt",
                "--age",
                AGE1,
                "--encrypted-regex",
                "a",
                "--encrypted-suffix",
                "b",
            ])
            .arg(&f),
        8,
        "selector",
    );
    fails(
        s.secret()
            .args(["encrypt", "--age", AGE1])
            .write_stdin("a: 1\n"),
        8,
        "--filename-override",
    );
}

#[test]
fn no_keys_and_no_matching_rule_are_1() {
    let s = Sandbox::new();
    let f = s.write("a.yaml", "a: 1\n");
    fails(
        s.secret().arg("encrypt").arg(&f),
        1,
        "no keys provided through command line options",
    );
    s.write(".sops.yaml", "creation_rules:\n  - path_regex: \\.json$\n    age: age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman\n");
    fails(
        s.secret().args(["encrypt", "--age", AGE1]).arg(&f),
        1,
        "no matching creation rules",
    );
}

#[test]
fn bad_rule_regex_is_reported_with_the_config_file() {
    let s = Sandbox::new();
    let f = s.write("a.yaml", "a: 1\n");
    s.write(
        ".sops.yaml",
        "creation_rules:\n  - path_regex: '(unclosed'\n    age: x\n",
    );
    fails(s.secret().arg("encrypt").arg(&f), 1, ".sops.yaml");
}

#[test]
fn rules_match_from_a_subdirectory() {
    let s = Sandbox::new();
    std::fs::create_dir(s.path().join("sub")).unwrap();
    s.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: ^sub/.*\\.yaml$\n    encrypted_regex: ^a$\n    age: {AGE1}\n"),
    );
    let f = s.write("sub/x.yaml", "a: 1\nb: 2\n");
    let mut cmd = s.secret();
    cmd.current_dir(s.path().join("sub"))
        .args(["encrypt", "x.yaml"]);
    let out = String::from_utf8(stdout_of(&mut cmd)).unwrap();
    assert!(out.contains("a: ENC["), "{out}");
    assert!(out.contains("b: 2"), "{out}");
    assert!(out.contains("encrypted_regex: ^a$"), "{out}");
    let _ = f;
}

#[test]
fn failed_in_place_leaves_the_file_untouched() {
    let s = Sandbox::new();
    let original = std::fs::read(vectors().join("sops/app.age1.yaml")).unwrap();
    let f = s.write("app.yaml", &original);
    fails(
        s.secret()
            .env("SOPS_AGE_KEY_FILE", key("age2.txt"))
            .args(["decrypt", "-i"])
            .arg(&f),
        128,
        "app.yaml",
    );
    assert_eq!(std::fs::read(&f).unwrap(), original);
    let leftovers: Vec<_> = std::fs::read_dir(s.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".secret-")
        })
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn bad_extract_path_is_91() {
    let s = Sandbox::new();
    fails(
        s.secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["decrypt", "--extract", "database"])
            .arg(vectors().join("sops/app.age1.yaml")),
        91,
        "tree path",
    );
}

#[test]
fn duplicate_decryption_order_is_112() {
    let s = Sandbox::new();
    fails(
        s.secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["decrypt", "--decryption-order", "age,age"])
            .arg(vectors().join("sops/app.age1.yaml")),
        112,
        "duplicate",
    );
}

#[test]
fn no_age_key_is_said_once_with_the_fix() {
    let s = Sandbox::new();
    // Two recipients, no key anywhere: the cause and the fix once, not once per recipient.
    let err = fails(
        s.secret()
            .arg("decrypt")
            .arg(vectors().join("sops/app.age12.yaml")),
        128,
        "app.age12.yaml",
    );
    assert_eq!(err.matches("no age key found").count(), 1, "{err}");
    assert_eq!(err.matches("SOPS_AGE_KEY_FILE=").count(), 1, "{err}");
    assert!(err.contains(AGE1), "{err}");
    assert!(err.len() < 600, "{} characters: {err}", err.len());

    // A key that matches no recipient: the same, and nothing about locations without keys.
    let err = fails(
        s.secret()
            .env("SOPS_AGE_KEY_FILE", key("age2.txt"))
            .arg("decrypt")
            .arg(vectors().join("sops/app.age1.yaml")),
        128,
        "did not match",
    );
    assert_eq!(err.matches("SOPS_AGE_KEY_FILE=").count(), 1, "{err}");
    assert!(!err.contains("looked in"), "{err}");
}
