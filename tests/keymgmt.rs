//! Key management against the real sops, gpg and age: `rotate`, `updatekeys`,
//! `groups add|delete`, key groups (Shamir), PGP master keys, `filestatus`.

mod common;
use common::*;
use std::path::{Path, PathBuf};

const AGE2: &str = "age18ept7lq70vg3zau47jq3qegm54ul6phpq2qf5u4ug6v7aj45kqzqfhqvyc";

/// A third throwaway age identity made with age-keygen: (keys file, recipient).
fn third_identity(sandbox: &Sandbox) -> (PathBuf, String) {
    let path = sandbox.path().join("age3.txt");
    let out = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&path)
        .output()
        .expect("age-keygen is installed");
    assert!(out.status.success());
    let text = std::fs::read_to_string(&path).unwrap();
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_string();
    (path, recipient)
}

/// Concatenates key files into one keys file in the sandbox.
fn keys_file(sandbox: &Sandbox, name: &str, parts: &[&Path]) -> PathBuf {
    let mut all = Vec::new();
    for p in parts {
        all.extend(std::fs::read(p).unwrap());
        all.push(b'\n');
    }
    sandbox.write(name, all)
}

/// The plaintext sops prints for the JSON vector.
fn reference_json_plain(sandbox: &Sandbox) -> Vec<u8> {
    stdout_of(
        sandbox
            .sops()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .arg("decrypt")
            .arg(vectors().join("sops/app.age1.json")),
    )
}

fn decrypt_with(sandbox: &Sandbox, tool: &str, keys: &Path, file: &Path) -> std::process::Output {
    let mut cmd = if tool == "sops" {
        sandbox.sops()
    } else {
        sandbox.secret()
    };
    cmd.env("SOPS_AGE_KEY_FILE", keys)
        .arg("decrypt")
        .arg(file)
        .output()
        .unwrap()
}

fn json_sops(bytes: &[u8]) -> serde_like::Value {
    serde_like::parse(bytes)
}

/// Just enough JSON reading for the tests (no serde in the dependency tree): the IVs of
/// encrypted values and a few metadata strings, found textually.
mod serde_like {
    pub struct Value(pub String);
    pub fn parse(bytes: &[u8]) -> Value {
        Value(String::from_utf8(bytes.to_vec()).unwrap())
    }
    impl Value {
        /// The IVs of the values (not of the MAC), in file order.
        pub fn value_ivs(&self) -> Vec<String> {
            let body = self.0.split("\"sops\":").next().unwrap();
            body.match_indices("iv:")
                .map(|(i, _)| body[i..].split(',').next().unwrap().to_string())
                .collect()
        }
        /// The string value of the first `"field": "..."` in the file.
        pub fn field(&self, field: &str) -> String {
            let pat = format!("\"{field}\": \"");
            let start = self.0.find(&pat).unwrap_or_else(|| panic!("no {field}")) + pat.len();
            self.0[start..].split('"').next().unwrap().to_string()
        }
        pub fn count(&self, needle: &str) -> usize {
            self.0.matches(needle).count()
        }
    }
}

// ---------------------------------------------------------------- filestatus

#[test]
fn filestatus_as_sops() {
    let sandbox = Sandbox::new();
    let enc = vectors().join("sops/app.age1.json");
    let plain = vectors().join("plain/app.json");
    let vector = std::fs::read_to_string(&enc).unwrap();
    let mac_at = vector.find("\"mac\": \"").unwrap() + 8;
    let mac_end = mac_at + vector[mac_at..].find('"').unwrap();
    let no_mac = sandbox.write(
        "nomac.json",
        format!("{}{}", &vector[..mac_at], &vector[mac_end..]),
    );
    let no_keys = sandbox.write(
        "nokeys.json",
        r#"{"a": 1, "sops": {"version": "3.11.0", "mac": "ENC[x]", "lastmodified": "2026-01-01T00:00:00Z"}}"#,
    );
    let bad = sandbox.write("bad.json", "garbage{");
    for (file, want) in [
        (&enc, "{\"encrypted\":true}\n"),
        (&plain, "{\"encrypted\":false}\n"),
        (&no_mac, "{\"encrypted\":false}\n"),
    ] {
        let ours = stdout_of(sandbox.secret().arg("filestatus").arg(file));
        let theirs = stdout_of(sandbox.sops().arg("filestatus").arg(file));
        assert_same(&ours, want.as_bytes(), "secret filestatus");
        assert_same(&theirs, want.as_bytes(), "sops filestatus");
    }
    for file in [&bad, &no_keys] {
        sandbox
            .secret()
            .arg("filestatus")
            .arg(file)
            .assert()
            .code(1);
        sandbox.sops().arg("filestatus").arg(file).assert().code(1);
    }
    sandbox
        .secret()
        .arg("filestatus")
        .arg(sandbox.path().join("missing.json"))
        .assert()
        .code(1);
}

#[test]
fn filestatus_yaml_vector() {
    let sandbox = Sandbox::new();
    let out = stdout_of(
        sandbox
            .secret()
            .arg("filestatus")
            .arg(vectors().join("sops/app.age1.yaml")),
    );
    assert_same(&out, b"{\"encrypted\":true}\n", "filestatus yaml");
}

// ---------------------------------------------------------------- rotate

#[test]
fn rotate_sops_file_swaps_keys_and_keeps_nonces() {
    let sandbox = Sandbox::new();
    let reference = reference_json_plain(&sandbox);
    let original = std::fs::read(vectors().join("sops/app.age1.json")).unwrap();
    let file = sandbox.write("app.json", &original);
    let rotated = stdout_of(
        sandbox
            .secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["rotate", "--add-age", AGE2, "--rm-age", AGE1])
            .arg(&file),
    );
    // stdout by default: the file itself is untouched.
    assert_eq!(std::fs::read(&file).unwrap(), original);
    let before = json_sops(&original);
    let after = json_sops(&rotated);
    assert_eq!(before.value_ivs(), after.value_ivs(), "nonces are reused");
    assert_ne!(original, rotated);
    assert_eq!(after.count("\"recipient\""), 1);
    assert_eq!(after.field("recipient"), AGE2);
    let out = sandbox.write("rotated.json", &rotated);
    for tool in ["sops", "secret"] {
        let ok = decrypt_with(&sandbox, tool, &key("age2.txt"), &out);
        assert!(ok.status.success(), "{tool}: {ok:?}");
        assert_same(
            &ok.stdout,
            &reference,
            &format!("{tool} decrypt of rotated"),
        );
        let old = decrypt_with(&sandbox, tool, &key("age1.txt"), &out);
        assert_eq!(
            old.status.code(),
            Some(128),
            "{tool}: removed key still opens"
        );
    }
}

/// The vectors' `app.json` encrypted by `secret` for [`AGE1`], as `app.json`.
fn secret_encrypted_app(sandbox: &Sandbox) -> PathBuf {
    let plain = vectors().join("plain/app.json");
    let enc = stdout_of(
        sandbox
            .secret()
            .args(["encrypt", "--age", AGE1])
            .arg(&plain),
    );
    sandbox.write("app.json", &enc)
}

#[test]
fn rotate_secret_file_in_place_and_legacy_flag() {
    let sandbox = Sandbox::new();
    let file = secret_encrypted_app(&sandbox);
    let enc = std::fs::read(&file).unwrap();
    // New data key: the old key material no longer opens the values.
    sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["rotate", "-i"])
        .arg(&file)
        .assert()
        .success();
    let once = std::fs::read(&file).unwrap();
    assert_ne!(once, enc);
    assert_eq!(json_sops(&once).value_ivs(), json_sops(&enc).value_ivs());
    sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["-r", "-i", "--add-age", AGE2])
        .arg(&file)
        .assert()
        .success();
    let twice = std::fs::read(&file).unwrap();
    assert_eq!(json_sops(&twice).count("\"recipient\""), 2);
    let reference = stdout_of(
        sandbox
            .sops()
            .env("SOPS_AGE_KEY_FILE", key("age2.txt"))
            .arg("decrypt")
            .arg(&file),
    );
    let plain_by_secret = stdout_of(
        sandbox
            .secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .arg("decrypt")
            .arg(&file),
    );
    assert_same(&plain_by_secret, &reference, "rotated twice");
    // --output writes elsewhere.
    let out = sandbox.path().join("out.json");
    sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["rotate", "--output"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    assert!(out.is_file());
    assert_eq!(std::fs::read(&file).unwrap(), twice);
}

#[test]
fn rotate_refuses_bad_changes_and_writes_nothing() {
    let sandbox = Sandbox::new();
    let original = std::fs::read(vectors().join("sops/app.age1.json")).unwrap();
    let file = sandbox.write("app.json", &original);
    // Removing the only key leaves nothing to encrypt with.
    let out = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["rotate", "-i", "--rm-age", AGE1])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no master keys"));
    // A malformed recipient.
    sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["rotate", "-i", "--add-age", "age1nonsense"])
        .arg(&file)
        .assert()
        .code(1);
    assert_eq!(std::fs::read(&file).unwrap(), original);
    // Key changes on a missing file: exit 49, as sops.
    sandbox
        .secret()
        .args(["rotate", "--add-age", AGE2, "missing.json"])
        .assert()
        .code(49);
    sandbox
        .secret()
        .args(["rotate", "missing.json"])
        .assert()
        .code(2); // sops' `rotate` reads the file: a read error
}

#[test]
fn rotate_yaml_vector() {
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "app.yaml",
        std::fs::read(vectors().join("sops/app.age1.yaml")).unwrap(),
    );
    let reference = stdout_of(
        sandbox
            .sops()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .arg("decrypt")
            .arg(&file),
    );
    sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["rotate", "-i", "--add-age", AGE2, "--rm-age", AGE1])
        .arg(&file)
        .assert()
        .success();
    let by_sops = decrypt_with(&sandbox, "sops", &key("age2.txt"), &file);
    assert_same(&by_sops.stdout, &reference, "sops decrypt of rotated yaml");
}

/// A plugin recipient `age1<name>1…` (bech32, arbitrary data).
fn plugin_recipient(name: &str) -> String {
    bech32(&format!("age1{name}"))
}

/// A plugin identity `AGE-PLUGIN-<NAME>-1…` (bech32, arbitrary data).
fn plugin_identity(name: &str) -> String {
    bech32(&format!("age-plugin-{name}-")).to_uppercase()
}

/// Bech32 (BIP 173) of eight fixed 5-bit values under `hrp`.
fn bech32(hrp: &str) -> String {
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    fn polymod(values: &[u8]) -> u32 {
        const GEN: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
        let mut chk = 1u32;
        for v in values {
            let b = chk >> 25;
            chk = ((chk & 0x1ffffff) << 5) ^ u32::from(*v);
            for (i, g) in GEN.iter().enumerate() {
                if (b >> i) & 1 == 1 {
                    chk ^= g;
                }
            }
        }
        chk
    }
    let data: Vec<u8> = vec![1, 2, 3, 4, 5, 6, 7, 8];
    let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    values.extend(&data);
    values.extend([0u8; 6]);
    let pm = polymod(&values) ^ 1;
    let mut out = format!("{hrp}1");
    for d in data
        .iter()
        .copied()
        .chain((0..6).map(|i| ((pm >> (5 * (5 - i))) & 31) as u8))
    {
        out.push(CHARSET[d as usize] as char);
    }
    out
}

#[test]
fn rotate_to_missing_age_plugin_names_it() {
    let sandbox = Sandbox::new();
    let original = std::fs::read(vectors().join("sops/app.age1.json")).unwrap();
    let file = sandbox.write("app.json", &original);
    let out = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args([
            "rotate",
            "-i",
            "--add-age",
            &plugin_recipient("nosuchplugin"),
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("age-plugin-nosuchplugin"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), original);
}

/// A fake age plugin for tests only: it speaks the age plugin protocol (recipient-v1 and
/// identity-v1) but "wraps" the file key by storing it in the clear.
const FAKE_PLUGIN: &str = r#"#!/usr/bin/env python3
import base64, sys

def read_stanza():
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    parts = line.rstrip("\n").split(" ")
    body = ""
    while True:
        chunk = sys.stdin.readline().rstrip("\n")
        body += chunk
        if len(chunk) < 64:
            break
    return parts[1], parts[2:], base64.b64decode(body + "=" * (-len(body) % 4))

def send(tag, args, data=b""):
    b = base64.b64encode(data).decode().rstrip("=")
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    if not lines or len(lines[-1]) == 64:
        lines.append("")
    sys.stdout.write(" ".join(["->", tag] + args) + "\n" + "\n".join(lines) + "\n")
    sys.stdout.flush()

got = []
while True:
    tag, args, data = read_stanza()
    if tag == "done":
        break
    got.append((tag, args, data))
mode = sys.argv[1].split("=", 1)[1]
if mode == "recipient-v1":
    keys = [d for t, a, d in got if t == "wrap-file-key"]
    for i, key in enumerate(keys):
        send("recipient-stanza", [str(i), "fake", "v1"], key)
        read_stanza()
elif mode == "identity-v1":
    for t, a, d in got:
        if t == "recipient-stanza" and a[1] == "fake":
            send("file-key", [a[0]], d)
            read_stanza()
            break
send("done", [])
"#;

#[test]
fn age_plugin_recipients_and_identities_both_ways() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let bin = sandbox.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let plugin = bin.join("age-plugin-fake");
    std::fs::write(&plugin, FAKE_PLUGIN).unwrap();
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let recipient = plugin_recipient("fake");
    let identity = plugin_identity("fake");
    let reference = reference_json_plain(&sandbox);
    let plain = vectors().join("plain/app.json");
    let ours = stdout_of(
        sandbox
            .secret()
            .env("PATH", &path)
            .args(["encrypt", "--age", &recipient])
            .arg(&plain),
    );
    assert!(String::from_utf8_lossy(&ours).contains(&recipient));
    let ours = sandbox.write("ours.json", ours);
    let theirs = stdout_of(
        sandbox
            .sops()
            .env("PATH", &path)
            .args(["encrypt", "--age", &recipient])
            .arg(&plain),
    );
    let theirs = sandbox.write("theirs.json", theirs);
    for (tool, file) in [("sops", &ours), ("secret", &theirs), ("secret", &ours)] {
        let mut cmd = if tool == "sops" {
            sandbox.sops()
        } else {
            sandbox.secret()
        };
        let out = stdout_of(
            cmd.env("PATH", &path)
                .env("SOPS_AGE_KEY", &identity)
                .arg("decrypt")
                .arg(file),
        );
        assert_same(&out, &reference, &format!("{tool} decrypt via the plugin"));
    }
    // Without the plugin on PATH the identity cannot be used; the error names the plugin.
    let out = sandbox
        .secret()
        .env("SOPS_AGE_KEY", &identity)
        .arg("decrypt")
        .arg(&ours)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(128));
    assert!(String::from_utf8_lossy(&out.stderr).contains("age-plugin-fake"));
}

// ---------------------------------------------------------------- groups and Shamir

/// A JSON file encrypted by `secret` with three key groups (AGE1, AGE2, third), threshold 2,
/// built through `groups add` (no .sops.yaml needed).
fn three_groups(sandbox: &Sandbox) -> (PathBuf, PathBuf, String) {
    let (third_keys, third) = third_identity(sandbox);
    let file = secret_encrypted_app(sandbox);
    sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["groups", "add", "-i", "--file"])
        .arg(&file)
        .args(["--age", AGE2])
        .assert()
        .success();
    let all = keys_file(sandbox, "k12.txt", &[&key("age1.txt"), &key("age2.txt")]);
    sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", &all)
        .args([
            "groups",
            "add",
            "-i",
            "--shamir-secret-sharing-threshold",
            "2",
        ])
        .args(["--file"])
        .arg(&file)
        .args(["--age", &third])
        .assert()
        .success();
    (file, third_keys, third)
}

#[test]
fn shamir_two_of_three_both_ways() {
    let sandbox = Sandbox::new();
    let reference = reference_json_plain(&sandbox);
    let (file, third_keys, _) = three_groups(&sandbox);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\"shamir_threshold\": 2"), "{text}");
    assert_eq!(text.matches("\"recipient\"").count(), 3);
    let k1 = key("age1.txt");
    let k2 = key("age2.txt");
    for (name, pair) in [
        ("12", [&k1, &k2]),
        ("13", [&k1, &third_keys]),
        ("23", [&k2, &third_keys]),
    ] {
        let keys = keys_file(&sandbox, &format!("k{name}.txt"), &[pair[0], pair[1]]);
        for tool in ["sops", "secret"] {
            let out = decrypt_with(&sandbox, tool, &keys, &file);
            assert!(out.status.success(), "{tool} with groups {name}: {out:?}");
            assert_same(&out.stdout, &reference, &format!("{tool} groups {name}"));
        }
    }
    for (single, failed) in [(&k1, "2, 3"), (&k2, "1, 3"), (&third_keys, "1, 2")] {
        let out = decrypt_with(&sandbox, "secret", single, &file);
        assert_eq!(out.status.code(), Some(128));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("could not open groups {failed}")),
            "{err}"
        );
        let out = decrypt_with(&sandbox, "sops", single, &file);
        assert_eq!(out.status.code(), Some(128));
    }
}

#[test]
fn shamir_file_written_by_sops_decrypts_with_any_two_groups() {
    let sandbox = Sandbox::new();
    let reference = reference_json_plain(&sandbox);
    let (third_keys, third) = third_identity(&sandbox);
    // The config lives in a subdirectory so that `secret` (run in the sandbox) does not
    // need to read it.
    std::fs::create_dir(sandbox.path().join("cfg")).unwrap();
    let config = sandbox.write(
        "cfg/.sops.yaml",
        format!(
            "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [{AGE1}]\n      - age: [{AGE2}]\n      - age: [{third}]\n"
        ),
    );
    let enc = stdout_of(
        sandbox
            .sops()
            .arg("--config")
            .arg(&config)
            .args(["encrypt", "--filename-override", "app.json"])
            .arg(vectors().join("plain/app.json")),
    );
    let file = sandbox.write("app.json", &enc);
    let k13 = keys_file(&sandbox, "k13.txt", &[&key("age1.txt"), &third_keys]);
    let out = decrypt_with(&sandbox, "secret", &k13, &file);
    assert!(out.status.success(), "{out:?}");
    assert_same(&out.stdout, &reference, "secret decrypt of sops 2-of-3");
    let out = decrypt_with(&sandbox, "secret", &key("age2.txt"), &file);
    assert_eq!(out.status.code(), Some(128));
    // Rotating keeps the groups and threshold; sops still reads it.
    let rotated = stdout_of(
        sandbox
            .secret()
            .env("SOPS_AGE_KEY_FILE", &k13)
            .arg("rotate")
            .arg(&file),
    );
    let rotated = sandbox.write("rotated.json", rotated);
    let k23 = keys_file(&sandbox, "k23.txt", &[&key("age2.txt"), &third_keys]);
    let out = decrypt_with(&sandbox, "sops", &k23, &rotated);
    assert!(out.status.success(), "{out:?}");
    assert_same(&out.stdout, &reference, "sops decrypt of rotated 2-of-3");
}

#[test]
fn shamir_yaml_vector_needs_both_groups() {
    let sandbox = Sandbox::new();
    let file = vectors().join("sops/app.shamir.yaml");
    let both = keys_file(&sandbox, "k12.txt", &[&key("age1.txt"), &key("age2.txt")]);
    let by_sops = decrypt_with(&sandbox, "sops", &both, &file);
    let by_secret = decrypt_with(&sandbox, "secret", &both, &file);
    assert!(by_secret.status.success(), "{by_secret:?}");
    assert_same(&by_secret.stdout, &by_sops.stdout, "shamir vector");
    let one = decrypt_with(&sandbox, "secret", &key("age1.txt"), &file);
    assert_eq!(one.status.code(), Some(128));
    assert!(String::from_utf8_lossy(&one.stderr).contains("could not open group 2"));
}

#[test]
fn groups_delete_and_bad_input() {
    let sandbox = Sandbox::new();
    let reference = reference_json_plain(&sandbox);
    let (file, third_keys, _) = three_groups(&sandbox);
    let before = std::fs::read(&file).unwrap();
    let k23 = keys_file(&sandbox, "k23.txt", &[&key("age2.txt"), &third_keys]);
    // Delete group 0 (AGE1), as sops counts.
    let out = stdout_of(
        sandbox
            .secret()
            .env("SOPS_AGE_KEY_FILE", &k23)
            .args(["groups", "delete", "--file"])
            .arg(&file)
            .arg("0"),
    );
    assert!(!String::from_utf8_lossy(&out).contains(AGE1));
    let two = sandbox.write("two.json", &out);
    let by_sops = decrypt_with(&sandbox, "sops", &k23, &two);
    assert_same(&by_sops.stdout, &reference, "sops after groups delete");
    // Deleting another would break threshold 2.
    let err = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", &k23)
        .args(["groups", "delete", "-i", "--file"])
        .arg(&two)
        .arg("0")
        .output()
        .unwrap();
    assert_eq!(err.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&err.stderr).contains("threshold"));
    // Out of range index.
    sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", &k23)
        .args(["groups", "delete", "-i", "--file"])
        .arg(&file)
        .arg("7")
        .assert()
        .code(1);
    // Threshold larger than the number of groups.
    let err = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", &k23)
        .args([
            "groups",
            "add",
            "-i",
            "--shamir-secret-sharing-threshold",
            "9",
        ])
        .arg("--file")
        .arg(&file)
        .args(["--age", AGE1])
        .output()
        .unwrap();
    assert_eq!(err.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&err.stderr).contains("Shamir threshold"));
    // An empty group.
    sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", &k23)
        .args(["groups", "add", "-i", "--file"])
        .arg(&file)
        .assert()
        .code(1);
    assert_eq!(std::fs::read(&file).unwrap(), before, "nothing written");
    // Down to one group: the keys go back to the top level and sops reads it.
    let single = stdout_of(
        sandbox
            .secret()
            .env("SOPS_AGE_KEY_FILE", &k23)
            .args(["groups", "delete", "--shamir-secret-sharing-threshold", "1"])
            .arg("--file")
            .arg(&two)
            .arg("0"),
    );
    let text = String::from_utf8_lossy(&single);
    assert!(
        !text.contains("key_groups") && !text.contains("shamir_threshold"),
        "{text}"
    );
    let single = sandbox.write("single.json", &single);
    let out = decrypt_with(&sandbox, "sops", &third_keys, &single);
    assert_same(&out.stdout, &reference, "sops after deleting to one group");
}

// ---------------------------------------------------------------- updatekeys (.sops.yaml)

fn config_with(sandbox: &Sandbox, body: &str) -> PathBuf {
    std::fs::create_dir_all(sandbox.path().join("cfg")).unwrap();
    sandbox.write("cfg/.sops.yaml", body)
}

#[test]
fn updatekeys_adds_a_recipient_and_keeps_the_data() {
    let sandbox = Sandbox::new();
    let reference = reference_json_plain(&sandbox);
    let original = std::fs::read(vectors().join("sops/app.age1.json")).unwrap();
    let file = sandbox.write("app.json", &original);
    let config = config_with(
        &sandbox,
        &format!("creation_rules:\n  - path_regex: \\.json$\n    age: {AGE1},{AGE2}\n"),
    );
    // Not interactive and no -y: refused, nothing written.
    let out = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .arg("--config")
        .arg(&config)
        .args(["updatekeys"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-y"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("+++ {AGE2}")), "{stdout}");
    // The block names its file: several files' blocks on stdout stay apart.
    assert!(
        stdout.contains(&format!("groups of {}:", file.display())),
        "{stdout}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), original);
    // "n" leaves it alone.
    sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .arg("--config")
        .arg(&config)
        .arg("updatekeys")
        .arg(&file)
        .write_stdin("n\n")
        .assert()
        .success();
    assert_eq!(std::fs::read(&file).unwrap(), original);
    // "y" applies.
    sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .arg("--config")
        .arg(&config)
        .arg("updatekeys")
        .arg(&file)
        .write_stdin("y\n")
        .assert()
        .success();
    let updated = std::fs::read(&file).unwrap();
    let (b, a) = (json_sops(&original), json_sops(&updated));
    assert_eq!(a.count("\"recipient\""), 2);
    assert_eq!(b.field("lastmodified"), a.field("lastmodified"));
    assert_eq!(b.field("mac"), a.field("mac"));
    let body = |t: &[u8]| {
        String::from_utf8_lossy(t)
            .split("\"sops\"")
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(body(&original), body(&updated), "values untouched");
    for tool in ["sops", "secret"] {
        let out = decrypt_with(&sandbox, tool, &key("age2.txt"), &file);
        assert_same(&out.stdout, &reference, &format!("{tool} after updatekeys"));
    }
    // Up to date now.
    sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .arg("--config")
        .arg(&config)
        .args(["updatekeys", "-y"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(std::fs::read(&file).unwrap(), updated);
}

#[test]
fn updatekeys_removes_a_key_and_moves_to_key_groups() {
    let sandbox = Sandbox::new();
    let reference = reference_json_plain(&sandbox);
    let (third_keys, third) = third_identity(&sandbox);
    let plain = vectors().join("plain/app.json");
    let enc = stdout_of(
        sandbox
            .secret()
            .args(["encrypt", "--age", &format!("{AGE1},{AGE2}")])
            .arg(&plain),
    );
    let file = sandbox.write("app.json", &enc);
    // Drop AGE1: afterwards only AGE2 opens the file.
    let config = config_with(&sandbox, &format!("creation_rules:\n  - age: {AGE2}\n"));
    sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .arg("--config")
        .arg(&config)
        .args(["updatekeys", "-y"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(
        decrypt_with(&sandbox, "sops", &key("age1.txt"), &file)
            .status
            .code(),
        Some(128)
    );
    let out = decrypt_with(&sandbox, "sops", &key("age2.txt"), &file);
    assert_same(&out.stdout, &reference, "sops after removing a key");
    // Now three groups; the file had no threshold, so every group is needed (as sops).
    let config = config_with(
        &sandbox,
        &format!(
            "creation_rules:\n  - key_groups:\n      - age: [{AGE1}]\n      - age: [{AGE2}]\n      - age: [{third}]\n"
        ),
    );
    let out = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age2.txt"))
        .arg("--config")
        .arg(&config)
        .args(["updatekeys", "-y"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Group 3"));
    let all = keys_file(
        &sandbox,
        "all.txt",
        &[&key("age1.txt"), &key("age2.txt"), &third_keys],
    );
    let out = decrypt_with(&sandbox, "sops", &all, &file);
    assert_same(&out.stdout, &reference, "sops after moving to key groups");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\"shamir_threshold\": 3"), "{text}");
}

#[test]
fn updatekeys_refuses_bad_rules() {
    let sandbox = Sandbox::new();
    let original = std::fs::read(vectors().join("sops/app.age1.json")).unwrap();
    let file = sandbox.write("app.json", &original);
    for body in [
        format!("creation_rules:\n  - key_groups:\n      - age: [{AGE1}]\n      - {{}}\n"),
        "creation_rules:\n  - pgp: 0000000000000000AAAAAAAAAAAAAAAAAAAAAAAA\n".to_string(),
        "creation_rules:\n  - path_regex: nomatch\n    age: x\n".to_string(),
    ] {
        let config = config_with(&sandbox, &body);
        let gnupg = tempfile::tempdir().unwrap();
        let out = sandbox
            .secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .env("GNUPGHOME", gnupg.path())
            .arg("--config")
            .arg(&config)
            .args(["updatekeys", "-y"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{body}: {out:?}");
        assert_eq!(std::fs::read(&file).unwrap(), original, "{body}");
    }
}

// ---------------------------------------------------------------- PGP

/// A throwaway gpg home with one key that can encrypt; returns (home, fingerprint).
fn gpg_home() -> (tempfile::TempDir, String) {
    let home = tempfile::tempdir().unwrap();
    let gpg = |args: &[&str]| {
        std::process::Command::new("gpg")
            .env("GNUPGHOME", home.path())
            .args(["--batch", "--passphrase", ""])
            .args(args)
            .output()
            .expect("gpg is installed")
    };
    let out = gpg(&[
        "--quick-gen-key",
        "secret test <test@example.invalid>",
        "default",
        "default",
        "never",
    ]);
    assert!(out.status.success(), "{out:?}");
    let out = gpg(&["--list-keys", "--with-colons"]);
    let listing = String::from_utf8(out.stdout).unwrap();
    let fp = listing
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .unwrap()
        .to_string();
    (home, fp)
}

#[test]
fn pgp_both_ways() {
    let sandbox = Sandbox::new();
    let (home, fp) = gpg_home();
    let plain = vectors().join("plain/app.json");
    let reference = reference_json_plain(&sandbox);
    let ours = stdout_of(
        sandbox
            .secret()
            .env("GNUPGHOME", home.path())
            .args(["encrypt", "--pgp", &fp])
            .arg(&plain),
    );
    let text = String::from_utf8_lossy(&ours).to_string();
    assert!(text.contains(&format!("\"fp\": \"{fp}\"")), "{text}");
    assert!(text.contains("-----BEGIN PGP MESSAGE-----"));
    assert!(text.contains("\"created_at\""));
    let ours = sandbox.write("ours.json", &ours);
    let theirs = stdout_of(
        sandbox
            .sops()
            .env("GNUPGHOME", home.path())
            .args(["encrypt", "--pgp", &fp])
            .arg(&plain),
    );
    let theirs = sandbox.write("theirs.json", &theirs);
    for (tool, file) in [("sops", &ours), ("secret", &theirs), ("secret", &ours)] {
        let mut cmd = if tool == "sops" {
            sandbox.sops()
        } else {
            sandbox.secret()
        };
        let out = stdout_of(cmd.env("GNUPGHOME", home.path()).arg("decrypt").arg(file));
        assert_same(
            &out,
            &reference,
            &format!("{tool} decrypt of {}", file.display()),
        );
    }
    // SOPS_PGP_FP works as --pgp does.
    stdout_of(
        sandbox
            .secret()
            .env("GNUPGHOME", home.path())
            .env("SOPS_PGP_FP", &fp)
            .arg("encrypt")
            .arg(&plain),
    );
    // Rotate from PGP to age: sops then opens it with the age key alone.
    sandbox
        .secret()
        .env("GNUPGHOME", home.path())
        .args(["rotate", "-i", "--add-age", AGE1, "--rm-pgp", &fp])
        .arg(&theirs)
        .assert()
        .success();
    let text = std::fs::read_to_string(&theirs).unwrap();
    assert!(!text.contains("\"pgp\""), "{text}");
    let out = decrypt_with(&sandbox, "sops", &key("age1.txt"), &theirs);
    assert_same(&out.stdout, &reference, "sops after rotating pgp away");
    // And back: add the PGP key to an age file; gpg alone then opens it.
    sandbox
        .secret()
        .env("GNUPGHOME", home.path())
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["rotate", "-i", "--add-pgp", &fp, "--rm-age", AGE1])
        .arg(&theirs)
        .assert()
        .success();
    let out = stdout_of(
        sandbox
            .sops()
            .env("GNUPGHOME", home.path())
            .arg("decrypt")
            .arg(&theirs),
    );
    assert_same(&out, &reference, "sops after rotating to pgp");
}

#[test]
fn pgp_unknown_fingerprint_and_missing_gpg() {
    let sandbox = Sandbox::new();
    let (home, fp) = gpg_home();
    let unknown = "0000000000000000AAAAAAAAAAAAAAAAAAAAAAAA";
    let plain = vectors().join("plain/app.json");
    let out = sandbox
        .secret()
        .env("GNUPGHOME", home.path())
        .args(["encrypt", "--pgp", unknown])
        .arg(&plain)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains(unknown));
    let original = std::fs::read(vectors().join("sops/app.age1.json")).unwrap();
    let file = sandbox.write("app.json", &original);
    sandbox
        .secret()
        .env("GNUPGHOME", home.path())
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["rotate", "-i", "--add-pgp", unknown])
        .arg(&file)
        .assert()
        .code(1);
    assert_eq!(std::fs::read(&file).unwrap(), original);
    // gpg missing: the error names the binary and the fingerprint.
    let out = sandbox
        .secret()
        .env("GNUPGHOME", home.path())
        .env("SOPS_GPG_EXEC", "/nonexistent/gpg")
        .args(["encrypt", "--pgp", &fp])
        .arg(&plain)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&fp) && err.contains("/nonexistent/gpg"),
        "{err}"
    );
    // Decrypting a PGP file without its secret key: exit 128 naming the fingerprint.
    let enc = stdout_of(
        sandbox
            .secret()
            .env("GNUPGHOME", home.path())
            .args(["encrypt", "--pgp", &fp])
            .arg(&plain),
    );
    let enc = sandbox.write("pgp.json", enc);
    let empty = tempfile::tempdir().unwrap();
    let out = sandbox
        .secret()
        .env("GNUPGHOME", empty.path())
        .arg("decrypt")
        .arg(&enc)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(128));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&fp));
}

#[test]
fn encrypt_with_rule_key_groups_and_cli_threshold() {
    let sandbox = Sandbox::new();
    let reference = reference_json_plain(&sandbox);
    let (third_keys, third) = third_identity(&sandbox);
    let config = config_with(
        &sandbox,
        &format!(
            "creation_rules:\n  - shamir_threshold: 3\n    key_groups:\n      - age: [{AGE1}]\n      - age: [{AGE2}]\n      - age: [{third}]\n"
        ),
    );
    let plain = vectors().join("plain/app.json");
    let enc = stdout_of(
        sandbox
            .secret()
            .arg("--config")
            .arg(&config)
            .args(["encrypt", "--shamir-secret-sharing-threshold", "2"])
            .arg(&plain),
    );
    let text = String::from_utf8_lossy(&enc).to_string();
    assert!(text.contains("\"shamir_threshold\": 2"), "{text}");
    let file = sandbox.write("app.json", &enc);
    let k23 = keys_file(&sandbox, "k23.txt", &[&key("age2.txt"), &third_keys]);
    let out = decrypt_with(&sandbox, "sops", &k23, &file);
    assert_same(
        &out.stdout,
        &reference,
        "sops decrypt of secret's rule groups",
    );
    // A threshold above the number of groups is refused; nothing is printed.
    let out = sandbox
        .secret()
        .arg("--config")
        .arg(&config)
        .args(["encrypt", "--shamir-secret-sharing-threshold", "4"])
        .arg(&plain)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("larger than the number of key groups"));
}
