//! `secret set` / `secret unset` and `secret encrypt --to` on files written by the real sops:
//! minimal diffs, sops can still decrypt, sops' exit codes.

mod common;
use common::*;
use std::path::{Path, PathBuf};
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

/// The file before and after `secret set FILE PATH VALUE`, run a second later (so that
/// `lastmodified` changes).
fn set_later(sb: &Sandbox, file: &Path, path: &str, value: &str) -> (Vec<u8>, Vec<u8>) {
    let before = std::fs::read(file).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    secret(sb)
        .arg("set")
        .arg(file)
        .args([path, value])
        .assert()
        .success();
    (before, std::fs::read(file).unwrap())
}

#[test]
fn set_changes_only_that_value() {
    let (sb, file) = setup("app.json", PLAIN);
    let (before, after) = set_later(&sb, &file, r#"["password"]"#, r#""hunter3""#);
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

/// A negative number is a value, not a flag, as in sops (`set FILE PATH -5`).
#[test]
fn negative_numbers_are_values() {
    let (sb, file) = setup("app.yaml", "a: 1\n");
    for (value, printed) in [
        ("-5", "a: -5\n"),
        ("-1.5", "a: -1.5\n"),
        ("-1e3", "a: -1000\n"),
    ] {
        for mut cmd in [secret(&sb), sb.sops()] {
            cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"));
            cmd.arg("set")
                .arg(&file)
                .args([r#"["a"]"#, value])
                .assert()
                .success();
            assert_eq!(sb.sops_decrypt(&file), printed, "{value}");
        }
    }
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
fn set_on_a_missing_file_is_exit_2_as_in_sops() {
    let sb = Sandbox::new();
    secret(&sb)
        .args(["set", "missing.json", r#"["a"]"#, "1"])
        .assert()
        .code(2);
}

/// A file big enough to be decrypted on all cores (over 8,192 values): the other values keep
/// their ciphertext, whichever thread decrypted them.
#[test]
fn set_in_a_big_file_changes_only_that_value() {
    let plain: String = (0..9_000).map(|i| format!("K{i}=value {i}\n")).collect();
    let (sb, file) = setup("big.env", &plain);
    let (before, after) = set_later(&sb, &file, r#"["K8999"]"#, r#""new""#);
    assert_minimal_diff(&before, &after, &["K8999", "sops_lastmodified"]);
    let expected = plain.replace("K8999=value 8999", "K8999=new");
    assert_eq!(sb.sops_decrypt(&file), expected);
}

/// Needs the YAML store.
#[test]
fn yaml_set_keeps_other_lines() {
    let (sb, file) = setup(
        "app.yaml",
        "# comment\ndb:\n    user: alice\n    password: hunter2\nport: 5432\n",
    );
    let (before, after) = set_later(&sb, &file, r#"["db"]["password"]"#, r#""hunter3""#);
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

/// Generated config, encrypted by the real sops, as sops writes YAML (4-space indent).
const CONFIG: &str = "\
db:
    user: admin
    password: old-pass
port: 5432
# rotated monthly
api_key: k-123
removed: gone
";

fn encrypt_to(sb: &Sandbox, plain: &str, existing: &std::path::Path) -> assert_cmd::Command {
    let p = sb.write("new-plain.yaml", plain);
    let mut cmd = secret(sb);
    cmd.arg("encrypt").arg("--to").arg(existing).arg(p);
    cmd
}

/// The line of `text` starting with `prefix` (after indentation).
fn line_of<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.lines().find(|l| l.trim_start().starts_with(prefix))
}

#[test]
fn encrypt_to_keeps_unchanged_ciphertext_and_the_data_key() {
    let (sb, file) = setup("app.yaml", CONFIG);
    let before = std::fs::read_to_string(&file).unwrap();
    let plain = CONFIG
        .replace("old-pass", "new-pass")
        .replace("removed: gone\n", "added: fresh\n");
    encrypt_to(&sb, &plain, &file).assert().success().stdout("");
    let after = std::fs::read_to_string(&file).unwrap();
    for kept in [
        "user:",
        "port:",
        "#ENC[",
        "api_key:",
        "enc: |",
        "- recipient:",
    ] {
        assert_eq!(line_of(&after, kept), line_of(&before, kept), "{kept}");
        assert!(line_of(&after, kept).is_some(), "{kept}");
    }
    // The age stanza (the wrapped data key) is untouched, byte for byte.
    let stanza =
        |t: &str| t[t.find("-----BEGIN AGE").unwrap()..t.find("-----END AGE").unwrap()].to_string();
    assert_eq!(stanza(&after), stanza(&before));
    assert_ne!(line_of(&after, "password:"), line_of(&before, "password:"));
    assert!(line_of(&after, "removed:").is_none());
    assert!(line_of(&after, "added: ENC[").is_some(), "{after}");
    assert_eq!(sb.sops_decrypt(&file), plain);
}

#[test]
fn encrypt_to_with_one_change_is_a_minimal_diff_and_output_goes_where_asked() {
    let (sb, file) = setup("app.yaml", CONFIG);
    let before = std::fs::read(&file).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    // The same plaintext: only the timestamp and MAC move.
    encrypt_to(&sb, CONFIG, &file).assert().success();
    let same = std::fs::read(&file).unwrap();
    assert_eq!(
        changed_lines(&before, &same).unwrap().len(),
        2,
        "lastmodified and mac only"
    );
    let plain = CONFIG.replace("k-123", "k-456");
    let printed = stdout_of(encrypt_to(&sb, &plain, &file).args(["--output", "-"]));
    assert_eq!(
        std::fs::read(&file).unwrap(),
        same,
        "--output -: file unchanged"
    );
    assert_minimal_diff(&same, &printed, &["api_key", "lastmodified"]);
    let elsewhere = sb.path().join("copy.yaml");
    encrypt_to(&sb, &plain, &file)
        .arg("--output")
        .arg(&elsewhere)
        .assert()
        .success();
    assert_eq!(sb.sops_decrypt(&elsewhere), plain);
    // Plaintext on stdin is read in the existing file's format.
    let piped = stdout_of(
        secret(&sb)
            .args(["encrypt", "--output", "-", "--to"])
            .arg(&file)
            .write_stdin(plain.as_bytes()),
    );
    assert_minimal_diff(&same, &piped, &["api_key", "lastmodified"]);
}

#[test]
fn encrypt_to_needs_the_key_a_valid_mac_and_plaintext_input() {
    let (sb, file) = setup("app.yaml", CONFIG);
    let before = std::fs::read(&file).unwrap();
    let p = sb.write("new-plain.yaml", CONFIG);
    // No key for the existing file: sops' exit code 128, nothing written.
    sb.secret()
        .args(["encrypt", "--to"])
        .arg(&file)
        .arg(&p)
        .assert()
        .code(128);
    // Already encrypted input: 203.
    encrypt_to(&sb, &String::from_utf8(before.clone()).unwrap(), &file)
        .assert()
        .code(203);
    encrypt_to(&sb, CONFIG, &file)
        .arg("--in-place")
        .assert()
        .code(8);
    // A tampered MAC: 51, and the error names the file.
    let text = String::from_utf8(before.clone()).unwrap();
    let mac = line_of(&text, "mac:").unwrap();
    let tampered = text.replace(
        mac,
        &mac.replace("ENC[AES256_GCM,data:", "ENC[AES256_GCM,data:A"),
    );
    std::fs::write(&file, &tampered).unwrap();
    let out = encrypt_to(&sb, CONFIG, &file).output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("app.yaml"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), tampered);
    std::fs::write(&file, &before).unwrap();
    std::fs::remove_file(&file).unwrap();
    encrypt_to(&sb, CONFIG, &file).assert().code(100);
}
