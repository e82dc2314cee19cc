//! `secret publish` to Vault KV (versions 1 and 2) against `tests/emulators/vaultkv.py`,
//! started by each test on a free port, compared with what the real sops writes.
#![cfg(feature = "vault")]

mod common;
use common::emulator::{without, Emulator};
use common::*;

const PLAIN: &str = "b: hello\na:\n    n: 1\n    list: [true, 2.5]\n";

/// A sandbox whose config sends everything to Vault KV `version` at mount `kv`, path `app`.
fn setup(version: u8, vault: &Emulator) -> Sandbox {
    let sb = Sandbox::new();
    sb.write(
        ".sops.yaml",
        format!(
            "destination_rules:\n  - vault_path: app\n    vault_kv_mount_name: kv\n    \
             vault_kv_version: {version}\n    vault_address: {}\n",
            vault.url()
        ),
    );
    sb
}

/// `tool publish -y FILE` with the age identity and the emulator's token.
fn publish(tool: assert_cmd::Command, file: &std::path::Path) {
    let mut cmd = without(tool, &["VAULT_ADDR", "VAULT_TOKEN", "VAULT_NAMESPACE"]);
    stdout_of(
        cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .env("VAULT_TOKEN", "t0k")
            .args(["publish", "-y"])
            .arg(file),
    );
}

fn stored(vault: &Emulator, path: &str) -> String {
    let (status, body) = vault.request("GET", path, &[("X-Vault-Token", "t0k")], "");
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn kv2_gets_the_same_typed_map_from_secret_as_from_sops() {
    let vault = Emulator::start("vaultkv", &["--token", "t0k", "--kv2", "kv"]);
    let sb = setup(2, &vault);
    let file = sb.sops_file("app.yaml", PLAIN);
    publish(sb.sops(), &file);
    let by_sops = stored(&vault, "/v1/kv/data/app/app.yaml");
    assert!(by_sops.contains(r#""version": 1"#), "{by_sops}");
    // Same data: secret reads it first and does not write again.
    publish(sb.secret(), &file);
    assert_eq!(stored(&vault, "/v1/kv/data/app/app.yaml"), by_sops);
    // Changed data: written as version 2, with the values typed as sops types them.
    let changed = sb.sops_file("app.yaml", "b: bye\n");
    publish(sb.secret(), &changed);
    let now = stored(&vault, "/v1/kv/data/app/app.yaml");
    assert!(
        now.contains(r#""version": 2"#) && now.contains(r#""b": "bye""#),
        "{now}"
    );
    let typed = r#"{"data": {"data": {"a": {"list": [true, 2.5], "n": 1}, "b": "hello"}"#;
    assert!(by_sops.starts_with(typed), "{by_sops}");
}

#[test]
fn kv1_gets_the_bare_map() {
    let vault = Emulator::start("vaultkv", &["--token", "t0k", "--kv1", "kv"]);
    let sb = setup(1, &vault);
    let file = sb.sops_file("app.yaml", PLAIN);
    publish(sb.secret(), &file);
    let body = stored(&vault, "/v1/kv/app/app.yaml");
    assert!(
        body.starts_with(r#"{"data": {"a": {"list": [true, 2.5], "n": 1}, "b": "hello"}"#),
        "{body}"
    );
}
