//! `secret set` / `secret unset` on files written by the real sops: minimal diffs, sops can
//! still decrypt, sops' exit codes.

mod common;
use common::*;
use std::path::PathBuf;
use std::time::Duration;

const PLAIN: &str =
    r#"{"user":"alice","password":"hunter2","port":5432,"db":{"host":"h","list":["a","b"]}}"#;

fn setup(name: &str, plain: &str) -> (Sandbox, PathBuf) {
    let sb = Sandbox::new();
    let file = sb.sops_file(name, plain);
    (sb, file)
}

fn secret(sb: &Sandbox) -> assert_cmd::Command {
    let mut cmd = sb.secret();
    cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"));
    cmd
}

#[test]
fn set_changes_only_that_value() {
    let (sb, file) = setup("app.json", PLAIN);
    let before = std::fs::read(&file).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    secret(&sb)
        .arg("set")
        .arg(&file)
        .args([r#"["password"]"#, r#""hunter3""#])
        .assert()
        .success();
    let after = std::fs::read(&file).unwrap();
    assert_minimal_diff(&before, &after, &["password", "lastmodified"]);
    assert!(sb.sops_decrypt(&file).contains("\"password\": \"hunter3\""));
}

#[test]
fn set_creates_paths_and_stores_numbers_as_floats() {
    let (sb, file) = setup("app.json", PLAIN);
    secret(&sb)
        .arg("set")
        .arg(&file)
        .args([r#"["new"]["deep"][0]"#, r#"{"k": 6543, "b": true}"#])
        .assert()
        .success();
    secret(&sb)
        .arg("set")
        .arg(&file)
        .args([r#"["db"]["list"][9]"#, r#""c""#])
        .assert()
        .success();
    let text = String::from_utf8(std::fs::read(&file).unwrap()).unwrap();
    assert!(
        text.contains("type:float"),
        "JSON numbers are floats, as in sops"
    );
    let plain = sb.sops_decrypt(&file);
    let expected = "\"list\": [\n\t\t\t\"a\",\n\t\t\t\"b\",\n\t\t\t\"c\"\n\t\t]";
    assert!(plain.contains(expected), "{plain}");
    assert!(
        plain.contains(
            "\"new\": {\n\t\t\"deep\": [\n\t\t\t{\n\t\t\t\t\"k\": 6543,\n\t\t\t\t\"b\": true"
        ),
        "{plain}"
    );
}

#[test]
fn set_value_from_stdin_and_file_and_legacy_flag() {
    let (sb, file) = setup("app.json", PLAIN);
    secret(&sb)
        .args(["set", "--value-stdin"])
        .arg(&file)
        .arg(r#"["user"]"#)
        .write_stdin(r#""from-stdin""#)
        .assert()
        .success();
    assert!(sb.sops_decrypt(&file).contains("from-stdin"));
    let v = sb.write("value.json", r#""from-file""#);
    secret(&sb)
        .args(["set", "--value-file"])
        .arg(&file)
        .arg(r#"["user"]"#)
        .arg(&v)
        .assert()
        .success();
    assert!(sb.sops_decrypt(&file).contains("from-file"));
    secret(&sb)
        .arg("--set")
        .arg(r#"["user"] "legacy""#)
        .arg(&file)
        .assert()
        .success();
    assert!(sb.sops_decrypt(&file).contains("\"user\": \"legacy\""));
}

#[test]
fn set_idempotent_writes_nothing_when_equal() {
    let (sb, file) = setup("app.json", PLAIN);
    let before = std::fs::read(&file).unwrap();
    secret(&sb)
        .args(["set", "--idempotent"])
        .arg(&file)
        .args([r#"["user"]"#, r#""alice""#])
        .assert()
        .success();
    // port is a float in a JSON file (sops' JSON store), so 5432 is equal too.
    secret(&sb)
        .args(["set", "--idempotent"])
        .arg(&file)
        .args([r#"["port"]"#, "5432"])
        .assert()
        .success();
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn bad_path_or_value_is_exit_7_and_writes_nothing() {
    let (sb, file) = setup("app.json", PLAIN);
    let before = std::fs::read(&file).unwrap();
    for (path, value) in [
        (r#"["x""#, "1"),
        ("x", "1"),
        (r#"["x"]"#, "{bad"),
        (r#"["x"]"#, ""),
    ] {
        secret(&sb)
            .arg("set")
            .arg(&file)
            .args([path, value])
            .assert()
            .code(7);
    }
    secret(&sb)
        .arg("unset")
        .arg(&file)
        .arg("x")
        .assert()
        .code(7);
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn unset_removes_and_reports_missing_keys() {
    let (sb, file) = setup("app.json", PLAIN);
    let before = std::fs::read(&file).unwrap();
    secret(&sb)
        .arg("unset")
        .arg(&file)
        .arg(r#"["nope"]"#)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("Key not found: nope"));
    secret(&sb)
        .arg("unset")
        .arg(&file)
        .arg(r#"["db"]["list"][5]"#)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("Index 5 out of bounds"));
    secret(&sb)
        .args(["unset", "--idempotent"])
        .arg(&file)
        .arg(r#"["nope"]"#)
        .assert()
        .success();
    assert_eq!(std::fs::read(&file).unwrap(), before);

    secret(&sb)
        .arg("unset")
        .arg(&file)
        .arg(r#"["password"]"#)
        .assert()
        .success();
    let after = std::fs::read(&file).unwrap();
    let plain = sb.sops_decrypt(&file);
    assert!(!plain.contains("password"), "{plain}");
    // Every other value keeps its ciphertext.
    let before = String::from_utf8(before).unwrap();
    let after = String::from_utf8(after).unwrap();
    for line in before
        .lines()
        .filter(|l| l.contains("ENC[") && !l.contains("\"password\"") && !l.contains("\"mac\""))
    {
        assert!(after.contains(line), "ciphertext changed: {line}");
    }
}

#[test]
fn set_on_a_missing_file_is_exit_100() {
    let sb = Sandbox::new();
    secret(&sb)
        .args(["set", "missing.json", r#"["a"]"#, "1"])
        .assert()
        .code(100);
}

/// Needs the YAML store.
#[test]
fn yaml_set_keeps_other_lines() {
    let (sb, file) = setup(
        "app.yaml",
        "# comment\ndb:\n    user: alice\n    password: hunter2\nport: 5432\n",
    );
    let before = std::fs::read(&file).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    secret(&sb)
        .arg("set")
        .arg(&file)
        .args([r#"["db"]["password"]"#, r#""hunter3""#])
        .assert()
        .success();
    let after = std::fs::read(&file).unwrap();
    assert_minimal_diff(&before, &after, &["password", "lastmodified"]);
    assert!(sb.sops_decrypt(&file).contains("password: hunter3"));
}

#[test]
fn dotenv_and_ini_numbers_are_stored_as_typed() {
    for (name, plain, path, want) in [
        ("prod.env", "HOST=h\n", r#"["PORT"]"#, "PORT=9091\n"),
        (
            "app.ini",
            "[db]\nhost = h\n",
            r#"["db"]["port"]"#,
            "port = 9091\n",
        ),
    ] {
        let (sb, file) = setup(name, plain);
        secret(&sb)
            .arg("set")
            .arg(&file)
            .args([path, "9091"])
            .assert()
            .success();
        // Not sops' `9091.0`: programs reading PORT get what was typed; sops reads it too.
        let plain = sb.sops_decrypt(&file);
        assert!(plain.contains(want), "{name}: {plain}");
        let extracted = stdout_of(secret(&sb).args(["decrypt", "--extract", path]).arg(&file));
        assert_eq!(extracted, b"9091", "{name}");
        // The same text again is recognised as unchanged.
        let before = std::fs::read(&file).unwrap();
        secret(&sb)
            .arg("set")
            .arg("--idempotent")
            .arg(&file)
            .args([path, "9091"])
            .assert()
            .success();
        assert_eq!(std::fs::read(&file).unwrap(), before, "{name}");
    }
}
