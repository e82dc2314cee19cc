//! Files `secret` encrypts decrypt with the real sops to the same bytes sops gives for its
//! own encryption of the same input; files sops encrypts now decrypt with `secret`.

mod common;
use common::*;
use std::path::Path;

const AGE1: &str = "age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman";
const AGE2: &str = "age18ept7lq70vg3zau47jq3qegm54ul6phpq2qf5u4ug6v7aj45kqzqfhqvyc";

/// Encrypts `plain` with `tool` using the vectors' `.sops.yaml` (rule picked by `name`),
/// then decrypts the result with both tools; returns (encrypted, sops plain, secret plain).
fn encrypt_then_decrypt_both(
    sandbox: &Sandbox,
    tool: &str,
    plain: &Path,
    name: &str,
    extra: &[&str],
) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let mut enc = if tool == "secret" {
        sandbox.secret()
    } else {
        sandbox.sops()
    };
    enc.arg("--config")
        .arg(vectors().join(".sops.yaml"))
        .args(["encrypt", "--filename-override", name])
        .args(extra)
        .arg(plain);
    let encrypted = stdout_of(&mut enc);
    let file = sandbox.write(name.rsplit('/').next().unwrap(), &encrypted);
    let keys = if name.contains(".ssh.") {
        "id_ed25519"
    } else {
        "age12.txt"
    };
    let run = |mut cmd: assert_cmd::Command| {
        if keys == "id_ed25519" {
            cmd.env("SOPS_AGE_SSH_PRIVATE_KEY_FILE", key(keys));
        } else {
            cmd.env("SOPS_AGE_KEY_FILE", key(keys));
        }
        cmd.arg("decrypt").arg(&file);
        stdout_of(&mut cmd)
    };
    let by_sops = run(sandbox.sops());
    let by_secret = run(sandbox.secret());
    (encrypted, by_sops, by_secret)
}

fn check(plain: &str, name: &str, extra: &[&str]) {
    let sandbox = Sandbox::new();
    let plain = vectors().join("plain").join(plain);
    let (_, reference, _) = encrypt_then_decrypt_both(&sandbox, "sops", &plain, name, extra);
    let (encrypted, by_sops, by_secret) =
        encrypt_then_decrypt_both(&sandbox, "secret", &plain, name, extra);
    assert_same(
        &by_sops,
        &reference,
        &format!("sops decrypt of secret's {name}"),
    );
    assert_same(
        &by_secret,
        &reference,
        &format!("secret decrypt of secret's {name}"),
    );
    assert!(
        String::from_utf8_lossy(&encrypted).contains("ENC[AES256_GCM"),
        "{name}: nothing encrypted"
    );
}

#[test]
fn yaml_with_one_recipient() {
    check("app.yaml", "sops/app.age1.yaml", &[]);
}

#[test]
fn yaml_with_two_recipients_either_key_opens() {
    check("app.yaml", "sops/app.age12.yaml", &[]);
    let sandbox = Sandbox::new();
    let encrypted = stdout_of(
        sandbox
            .secret()
            .args(["encrypt", "--age", &format!("{AGE1},{AGE2}")])
            .arg(vectors().join("plain/app.yaml")),
    );
    let file = sandbox.write("two.yaml", encrypted);
    let expected = std::fs::read(vectors().join("expected/app.age12.yaml")).unwrap();
    for k in ["age1.txt", "age2.txt"] {
        let out = stdout_of(
            sandbox
                .sops()
                .env("SOPS_AGE_KEY_FILE", key(k))
                .arg("decrypt")
                .arg(&file),
        );
        assert_same(&out, &expected, k);
    }
}

#[test]
fn yaml_selectors_from_rules() {
    check("app.yaml", "sops/app.regex.yaml", &[]);
    check("app.yaml", "sops/app.unregex.yaml", &[]);
    check("app.yaml", "sops/app.suffix.yaml", &[]);
    check("app.yaml", "sops/app.maconly.yaml", &[]);
}

#[test]
fn yaml_selector_flags() {
    check(
        "app.yaml",
        "sops/flags.yaml",
        &["--encrypted-regex", "^(user|key)$"],
    );
    check(
        "app.yaml",
        "sops/flags2.yaml",
        &["--unencrypted-suffix", "_secret"],
    );
}

#[test]
fn yaml_ssh_recipient() {
    check("app.yaml", "sops/app.ssh.yaml", &[]);
}

#[test]
fn yaml_shamir_key_groups() {
    check("app.yaml", "sops/app.shamir.yaml", &[]);
}

#[test]
fn yaml_comments_anchors_and_tricky_scalars() {
    check("comments.yaml", "sops/comments.age1.yaml", &[]);
    check("tricky.yaml", "sops/tricky.age1.yaml", &[]);
    check("multi.yaml", "sops/multi.age1.yaml", &[]);
}

#[test]
fn json_files() {
    check("app.json", "sops/app.age1.json", &[]);
    check("tricky.json", "sops/tricky.age1.json", &[]);
    check("strings.json", "sops/strings.age1.json", &[]);
}

#[test]
fn json_to_yaml_conversion() {
    check(
        "strings.json",
        "sops/strings.age1.yaml",
        &["--input-type", "json", "--output-type", "yaml"],
    );
}

#[test]
fn encrypted_output_has_sops_layout() {
    // Everything but ciphertexts, nonces, the age block and the time matches sops' file.
    let sandbox = Sandbox::new();
    let ours = stdout_of(
        sandbox
            .secret()
            .args(["encrypt", "--age", AGE1])
            .arg(vectors().join("plain/app.yaml")),
    );
    let theirs = std::fs::read_to_string(vectors().join("sops/app.age1.yaml")).unwrap();
    let shape = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with("            ")) // armored age lines
            .map(|l| match l.find("ENC[") {
                Some(i) => format!("{}ENC[{}", &l[..i], l.rsplit_once("type:").unwrap().1),
                None if l.trim_start().starts_with("lastmodified:") => "lastmodified".into(),
                None => l.to_string(),
            })
            .collect()
    };
    assert_eq!(shape(&String::from_utf8(ours).unwrap()), shape(&theirs));
}

#[test]
fn sops_written_now_decrypts_with_secret() {
    let sandbox = Sandbox::new();
    for plain in [
        "app.yaml",
        "comments.yaml",
        "tricky.yaml",
        "app.json",
        "tricky.json",
    ] {
        let encrypted = stdout_of(
            sandbox
                .sops()
                .args(["encrypt", "--age", &format!("{AGE1},{AGE2}")])
                .arg(vectors().join("plain").join(plain)),
        );
        let file = sandbox.write(plain, &encrypted);
        let theirs = stdout_of(
            sandbox
                .sops()
                .env("SOPS_AGE_KEY_FILE", key("age2.txt"))
                .arg("decrypt")
                .arg(&file),
        );
        let ours = stdout_of(
            sandbox
                .secret()
                .env("SOPS_AGE_KEY_FILE", key("age2.txt"))
                .arg("decrypt")
                .arg(&file),
        );
        assert_same(&ours, &theirs, plain);
    }
}

#[test]
fn in_place_round_trip_keeps_mode() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "app.yaml",
        std::fs::read(vectors().join("plain/app.yaml")).unwrap(),
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    stdout_of(
        sandbox
            .secret()
            .args(["encrypt", "-i", "--age", AGE1])
            .arg(&file),
    );
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let out = stdout_of(
        sandbox
            .sops()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .arg("decrypt")
            .arg(&file),
    );
    assert_same(
        &out,
        &std::fs::read(vectors().join("expected/app.age1.yaml")).unwrap(),
        "-i",
    );
    stdout_of(
        sandbox
            .secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["decrypt", "-i"])
            .arg(&file),
    );
    assert_same(
        &std::fs::read(&file).unwrap(),
        &std::fs::read(vectors().join("expected/app.age1.yaml")).unwrap(),
        "decrypt -i",
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o640
    );
}
