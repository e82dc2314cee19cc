//! dotenv, INI, binary and conversions between formats, both directions against real sops.

mod common;
use common::*;

const AGE2: &str = "age18ept7lq70vg3zau47jq3qegm54ul6phpq2qf5u4ug6v7aj45kqzqfhqvyc";

/// secret encrypts `plain` for `recipients`; sops and secret both decrypt it with each key
/// and print what sops prints for its own encryption of the same input.
fn round_trip(plain: &str, recipients: &str, keys: &[&str]) {
    let sandbox = Sandbox::new();
    let input = vectors().join("plain").join(plain);
    let name = input.file_name().unwrap().to_string_lossy().into_owned();
    let ours = stdout_of(
        sandbox
            .secret()
            .args(["encrypt", "--age", recipients])
            .arg(&input),
    );
    let theirs = stdout_of(
        sandbox
            .sops()
            .args(["encrypt", "--age", recipients])
            .arg(&input),
    );
    let ours = sandbox.write(&format!("ours.{name}"), ours);
    let theirs = sandbox.write(&format!("theirs.{name}"), theirs);
    for k in keys {
        let reference = stdout_of(
            sandbox
                .sops()
                .env("SOPS_AGE_KEY_FILE", key(k))
                .arg("decrypt")
                .arg(&theirs),
        );
        for (tool, file) in [("sops", &ours), ("secret", &ours), ("secret", &theirs)] {
            let mut cmd = if tool == "sops" {
                sandbox.sops()
            } else {
                sandbox.secret()
            };
            let out = stdout_of(
                cmd.env("SOPS_AGE_KEY_FILE", key(k))
                    .arg("decrypt")
                    .arg(file),
            );
            assert_same(
                &out,
                &reference,
                &format!("{tool} decrypt {} with {k}", file.display()),
            );
        }
    }
}

#[test]
fn dotenv_both_ways() {
    round_trip("prod.env", AGE1, &["age1.txt"]);
    round_trip(
        "prod.env",
        &format!("{AGE1},{AGE2}"),
        &["age1.txt", "age2.txt"],
    );
}

#[test]
fn ini_both_ways() {
    round_trip("app.ini", AGE1, &["age1.txt"]);
    round_trip(
        "app.ini",
        &format!("{AGE1},{AGE2}"),
        &["age1.txt", "age2.txt"],
    );
}

#[test]
fn binary_both_ways() {
    round_trip("blob.bin", AGE1, &["age1.txt"]);
    round_trip("blob.bin", &format!("{AGE1},{AGE2}"), &["age2.txt"]);
}

#[test]
fn binary_keeps_arbitrary_bytes() {
    let sandbox = Sandbox::new();
    let bytes: Vec<u8> = (0..=255u8).chain([0, 0, 0xff, b'\n']).collect();
    let file = sandbox.write("data.key", &bytes);
    let enc = stdout_of(sandbox.secret().args(["encrypt", "--age", AGE1]).arg(&file));
    let enc = sandbox.write("data.enc", enc);
    for mut cmd in [sandbox.sops(), sandbox.secret()] {
        let out = stdout_of(
            cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
                .args([
                    "decrypt",
                    "--input-type",
                    "binary",
                    "--output-type",
                    "binary",
                ])
                .arg(&enc),
        );
        assert_eq!(out, bytes);
    }
}

#[test]
fn conversions_match_sops() {
    let sandbox = Sandbox::new();
    let cases: &[(&str, &[&str])] = &[
        ("sops/app.age1.json", &["--output-type", "yaml"]),
        ("sops/app.age1.yaml", &["--output-type", "json"]),
        ("sops/prod.age1.env", &["--output-type", "json"]),
        ("sops/prod.age1.env", &["--output-type", "yaml"]),
        ("sops/app.age1.ini", &["--output-type", "json"]),
    ];
    for (file, args) in cases {
        let path = vectors().join(file);
        let theirs = stdout_of(
            sandbox
                .sops()
                .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
                .arg("decrypt")
                .args(*args)
                .arg(&path),
        );
        let ours = stdout_of(
            sandbox
                .secret()
                .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
                .arg("decrypt")
                .args(*args)
                .arg(&path),
        );
        assert_same(&ours, &theirs, &format!("{file} {args:?}"));
    }
}

#[test]
fn nested_json_to_ini_fails_like_sops() {
    // sops refuses values that are not sections (exit 4); so must we.
    let sandbox = Sandbox::new();
    let path = vectors().join("sops/app.age1.json");
    for mut cmd in [sandbox.sops(), sandbox.secret()] {
        let out = cmd
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["decrypt", "--output-type", "ini"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(4),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn encrypt_with_conversion_decrypts_with_sops() {
    let sandbox = Sandbox::new();
    let enc = stdout_of(
        sandbox
            .secret()
            .args(["encrypt", "--age", AGE1, "--output-type", "yaml"])
            .arg(vectors().join("plain/app.json")),
    );
    let file = sandbox.write("app.yaml", enc);
    let theirs = stdout_of(
        sandbox
            .sops()
            .args(["encrypt", "--age", AGE1, "--output-type", "yaml"])
            .arg(vectors().join("plain/app.json")),
    );
    let theirs = sandbox.write("theirs.yaml", theirs);
    let a = stdout_of(
        sandbox
            .sops()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .arg("decrypt")
            .arg(&file),
    );
    let b = stdout_of(
        sandbox
            .sops()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .arg("decrypt")
            .arg(&theirs),
    );
    assert_same(&a, &b, "json → yaml");
}

fn fails(cmd: &mut assert_cmd::Command, code: i32, needle: &str) {
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in {err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_input_per_format() {
    let s = Sandbox::new();
    let no_eq = s.write("a.env", "GOOD=1\nBAD LINE\n");
    fails(
        s.secret().args(["encrypt", "--age", AGE1]).arg(&no_eq),
        2,
        "line 2",
    );
    let no_value = s.write("a.ini", "[s]\nkey\n");
    fails(
        s.secret().args(["encrypt", "--age", AGE1]).arg(&no_value),
        2,
        "a.ini",
    );
    let sops_key = s.write("b.env", "A=1\nsops_version=3.11.0\n");
    fails(
        s.secret().args(["encrypt", "--age", AGE1]).arg(&sops_key),
        203,
        "already encrypted",
    );
    fails(
        s.secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["decrypt", "--output-type", "dotenv"])
            .arg(vectors().join("sops/app.age1.json")),
        4,
        "complex value",
    );
}

#[test]
fn toml_comes_back_as_written() {
    let sandbox = Sandbox::new();
    // Comments on a value's line, blank lines (several, none before a table), inline tables,
    // dotted keys, a multi-line array with comments, arrays of tables, a closing comment;
    // a value the selector leaves plain keeps its spelling.
    let plain = r#"# App configuration
title = "Example app"   # shown in the UI
port_unencrypted = 0x1F

point = { x = 1, y = "two" }   # inline table
db.host = "db.internal"
db.port = 5432
[server]
# the port
port = 8080


list = [
    1, # one
    # before three
    3.5,
]

[[users]]
name = "a"
when = 1979-05-27T07:32:00Z

# second user
[[users]]
name = """
multi
line"""
# closing comment
"#;
    let file = sandbox.write("app.toml", plain);
    stdout_of(
        sandbox
            .secret()
            .args(["encrypt", "-i", "--age", AGE1])
            .arg(&file),
    );
    let encrypted = std::fs::read_to_string(&file).unwrap();
    assert!(!encrypted.contains("Example app") && !encrypted.contains("closing"));
    assert!(
        encrypted.contains("port_unencrypted = 0x1F\n"),
        "{encrypted}"
    );
    let decrypted = stdout_of(
        sandbox
            .secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .arg("decrypt")
            .arg(&file),
    );
    assert_same(
        &decrypted,
        plain.as_bytes(),
        "TOML after encrypt and decrypt",
    );

    // rotate and set keep the layout too; a new key falls back to the fixed layout, readable.
    let secret = || {
        let mut cmd = sandbox.secret();
        cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"));
        cmd
    };
    stdout_of(secret().args(["rotate", "-i"]).arg(&file));
    stdout_of(
        secret()
            .arg("set")
            .arg(&file)
            .args([r#"["server"]["port"]"#, r#""http""#]),
    );
    let decrypted = stdout_of(secret().arg("decrypt").arg(&file));
    let want = plain.replace("port = 8080", "port = \"http\"");
    assert_same(&decrypted, want.as_bytes(), "TOML after rotate and set");
    stdout_of(secret().arg("set").arg(&file).args([r#"["added"]"#, "1"]));
    let decrypted = String::from_utf8(stdout_of(secret().arg("decrypt").arg(&file))).unwrap();
    assert!(
        decrypted.starts_with("# App configuration\n"),
        "{decrypted}"
    );
    assert!(decrypted.contains("added = 1.0\n"), "{decrypted}");
}
