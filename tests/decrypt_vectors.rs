//! `secret decrypt` on every file sops 3.11 wrote prints exactly what `sops decrypt` printed,
//! and refuses the tampered ones with sops' exit code.

mod common;
use common::*;

/// The environment that opens a vector, as `tests/vectors/README.md` describes.
fn decrypt_cmd(sandbox: &Sandbox, name: &str) -> assert_cmd::Command {
    let mut cmd = sandbox.secret();
    if name.contains(".ssh.") {
        cmd.env("SOPS_AGE_SSH_PRIVATE_KEY_FILE", key("id_ed25519"))
            .env("SOPS_AGE_KEY_FILE", "/dev/null");
    } else {
        cmd.env("SOPS_AGE_KEY_FILE", key("age12.txt"));
    }
    cmd.arg("decrypt").arg(vectors().join("sops").join(name));
    cmd
}

fn vector_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(vectors().join("sops"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_vector_decrypts_to_sops_bytes() {
    let sandbox = Sandbox::new();
    let mut checked = 0;
    for name in vector_names() {
        let expected = vectors().join("expected").join(&name);
        if !expected.exists() {
            continue;
        }
        let out = stdout_of(&mut decrypt_cmd(&sandbox, &name));
        assert_same(&out, &std::fs::read(&expected).unwrap(), &name);
        checked += 1;
    }
    assert!(checked >= 18, "only {checked} vectors checked");
}

#[test]
fn refused_vectors_exit_with_sops_codes_and_print_nothing() {
    let sandbox = Sandbox::new();
    let mut checked = 0;
    for name in vector_names() {
        let rc_file = vectors().join("expected").join(format!("{name}.rc"));
        let Ok(rc) = std::fs::read_to_string(&rc_file) else {
            continue;
        };
        let rc: i32 = rc.trim().parse().unwrap();
        let out = decrypt_cmd(&sandbox, &name).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(rc),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{name} printed plaintext");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{name}: one-line error, got {err}"
        );
        assert!(err.contains(&name), "{name}: error names the file: {err}");
        checked += 1;
    }
    assert_eq!(checked, 3);
}

#[test]
fn shamir_needs_both_groups() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .arg("decrypt")
        .arg(vectors().join("sops/app.shamir.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(128));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("group 2"), "{err}");
    assert!(err.contains("1 of 2 key groups"), "{err}");
}

#[test]
fn wrong_key_names_the_recipients_and_exits_128() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age2.txt"))
        .arg("decrypt")
        .arg(vectors().join("sops/app.age1.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(128));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman"),
        "{err}"
    );
    assert!(!err.contains("AGE-SECRET-KEY"), "secret key leaked: {err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn ignore_mac_decrypts_a_file_whose_plain_value_changed() {
    let sandbox = Sandbox::new();
    let out = stdout_of(
        sandbox
            .secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["decrypt", "--ignore-mac"])
            .arg(vectors().join("sops/macmismatch.yaml")),
    );
    assert!(String::from_utf8(out)
        .unwrap()
        .contains("region_unencrypted: eu-west-2"));
}

#[test]
fn extract_prints_one_value_like_sops() {
    let sandbox = Sandbox::new();
    for (path, args) in [
        (r#"["database"]["password"]"#, vec![]),
        (r#"["api"]["retries"]"#, vec![]),
        (r#"["users"][0]"#, vec![]),
        (r#"["ports"]"#, vec![]),
        (r#"["database"]"#, vec!["--output-type", "json"]),
    ] {
        let file = vectors().join("sops/app.age1.yaml");
        let mut ours = sandbox.secret();
        ours.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["decrypt", "--extract", path])
            .args(&args)
            .arg(&file);
        let mut theirs = sandbox.sops();
        theirs
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["decrypt", "--extract", path])
            .args(&args)
            .arg(&file);
        assert_same(&stdout_of(&mut ours), &stdout_of(&mut theirs), path);
    }
}

#[test]
fn legacy_flag_spelling_still_works() {
    let sandbox = Sandbox::new();
    let out = stdout_of(
        sandbox
            .secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .arg("-d")
            .arg(vectors().join("sops/app.age1.yaml")),
    );
    assert_same(
        &out,
        &std::fs::read(vectors().join("expected/app.age1.yaml")).unwrap(),
        "-d",
    );
}
