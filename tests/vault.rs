//! HashiCorp Vault transit keys against the emulator (`tests/emulators/vault.py`) and the real
//! sops 3.11, which talks plain http to the address in the key URI.
#![cfg(feature = "vault")]

mod common;
use common::emulator::{decrypt_error, without, Emulator};
use common::*;
use std::path::Path;

const PLAIN: &str = "db:\n    user: admin\n    password: hunter2\nport: 5432\n";
const TOKEN: &str = "t0k3n-for-tests";

/// The Vault variables of the developer's environment that would change the requests.
const VAULT_VARS: &[&str] = &[
    "VAULT_ADDR",
    "VAULT_AGENT_ADDR",
    "VAULT_TOKEN",
    "VAULT_NAMESPACE",
    "VAULT_CACERT",
    "VAULT_CAPATH",
    "VAULT_CLIENT_CERT",
    "VAULT_CLIENT_KEY",
    "VAULT_TLS_SERVER_NAME",
    "VAULT_SKIP_VERIFY",
    "VAULT_MAX_RETRIES",
    "VAULT_CLIENT_TIMEOUT",
    "SOPS_VAULT_URIS",
    "SOPS_HC_VAULT_ALLOWLIST",
    "NO_PROXY",
    "no_proxy",
];

fn vault() -> Emulator {
    Emulator::start("vault", &["--token", TOKEN, "--mount", "transit"])
}

fn uri(v: &Emulator, key: &str) -> String {
    format!("{}/v1/transit/keys/{key}", v.url())
}

/// A tool with a clean Vault environment and the test token.
fn with_token(cmd: assert_cmd::Command) -> assert_cmd::Command {
    let mut cmd = without(cmd, VAULT_VARS);
    cmd.env("VAULT_TOKEN", TOKEN);
    cmd
}

fn secret(sb: &Sandbox) -> assert_cmd::Command {
    with_token(sb.secret())
}

fn sops(sb: &Sandbox) -> assert_cmd::Command {
    with_token(sb.sops())
}

/// The `sops:` block with the values that differ per run masked, to compare layouts.
fn layout(file: &[u8]) -> String {
    let text = String::from_utf8_lossy(file);
    let re = regex::Regex::new(
        r#"(ENC\[[^\]]*\]|vault:v1:[A-Za-z0-9+/=]+|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"#,
    )
    .unwrap();
    let masked = re.replace_all(&text, "X");
    masked
        .lines()
        .skip_while(|l| !l.starts_with("sops:") && !l.starts_with("\t\"sops\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn sops_and_secret_read_each_others_files_with_the_same_layout() {
    let v = vault();
    let sb = Sandbox::new();
    for name in ["app.yaml", "app.json"] {
        let plain = if name.ends_with("json") {
            "{\n\t\"password\": \"hunter2\",\n\t\"port\": 5432\n}\n"
        } else {
            PLAIN
        };
        let p = sb.write(&format!("plain-{name}"), plain);
        let by_sops = stdout_of(
            sops(&sb)
                .args(["encrypt", "--hc-vault-transit", &uri(&v, "k1")])
                .args(["--filename-override", name])
                .arg(&p),
        );
        let by_secret = stdout_of(
            secret(&sb)
                .args(["encrypt", "--hc-vault-transit", &uri(&v, "k1")])
                .args(["--filename-override", name])
                .arg(&p),
        );
        assert_eq!(layout(&by_secret), layout(&by_sops), "{name}");
        assert!(layout(&by_secret).contains("hc_vault"), "{name}");
        let f1 = sb.write(&format!("sops-{name}"), &by_sops);
        let f2 = sb.write(&format!("secret-{name}"), &by_secret);
        let out = stdout_of(secret(&sb).arg("decrypt").arg(&f1));
        assert_eq!(String::from_utf8(out).unwrap(), plain, "{name}");
        let out = stdout_of(sops(&sb).arg("decrypt").arg(&f2));
        assert_eq!(String::from_utf8(out).unwrap(), plain, "{name}");
    }
}

#[test]
fn uris_come_from_env_and_config_and_parse_like_sops() {
    let v = Emulator::start("vault", &["--token", TOKEN, "--mount", "team/a/transit"]);
    let sb = Sandbox::new();
    let p = sb.write("plain.yaml", PLAIN);
    let nested = format!("{}//v2/team/a/transit/keys/k9/", v.url());
    let entry = |out: &[u8]| {
        let text = String::from_utf8_lossy(out).into_owned();
        let start = text.find("hc_vault:").expect("an hc_vault entry");
        text[start..].lines().take(4).collect::<Vec<_>>().join("\n")
    };
    let by_sops = stdout_of(
        sops(&sb)
            .env("SOPS_VAULT_URIS", &nested)
            .args(["encrypt"])
            .arg(&p),
    );
    let by_secret = stdout_of(
        secret(&sb)
            .env("SOPS_VAULT_URIS", &nested)
            .args(["encrypt"])
            .arg(&p),
    );
    assert_eq!(entry(&by_secret), entry(&by_sops));
    assert!(entry(&by_secret).contains("engine_path: team/a/transit"));

    // .sops.yaml: creation rule string, and key_groups lists of URIs.
    for config in [
        format!("creation_rules:\n  - hc_vault_transit_uri: ' {nested} '\n"),
        format!("creation_rules:\n  - key_groups:\n      - hc_vault:\n          - {nested}\n"),
    ] {
        sb.write(".sops.yaml", &config);
        let out = stdout_of(secret(&sb).arg("encrypt").arg(&p));
        assert_eq!(entry(&out), entry(&by_sops), "{config}");
        let f = sb.write("from-config.yaml", &out);
        assert_eq!(
            String::from_utf8(stdout_of(sops(&sb).arg("decrypt").arg(&f))).unwrap(),
            PLAIN
        );
    }
    sb.write(
        ".sops.yaml",
        format!("creation_rules:\n  - key_groups:\n      - hc_vault: {nested}\n"),
    );
    let out = secret(&sb).arg("encrypt").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("hc_vault must be a list"));

    // A list item with a space is an error, as in sops (items are not trimmed).
    std::fs::remove_file(sb.path().join(".sops.yaml")).unwrap();
    let out = secret(&sb)
        .args(["encrypt", "--hc-vault-transit"])
        .arg(format!("{}, {}", uri(&v, "a"), uri(&v, "b")))
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("first path segment in URL cannot contain colon"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn encrypted(sb: &Sandbox, v: &Emulator) -> std::path::PathBuf {
    let p = sb.write("plain.yaml", PLAIN);
    let out = stdout_of(
        secret(sb)
            .args(["encrypt", "--hc-vault-transit", &uri(v, "k1")])
            .arg(&p),
    );
    sb.write("secret.yaml", out)
}

#[test]
fn wrong_or_missing_token_is_a_clear_error_and_the_token_file_is_read() {
    let v = vault();
    let sb = Sandbox::new();
    let f = encrypted(&sb, &v);
    let err = decrypt_error(
        secret(&sb)
            .env("VAULT_TOKEN", "wrong-token")
            .arg("--verbose"),
        &f,
    );
    assert!(
        err.contains(&format!("hc_vault {}", uri(&v, "k1"))),
        "{err}"
    );
    assert!(
        err.contains("Code: 403. Errors: * permission denied"),
        "{err}"
    );
    assert!(err.contains("VAULT_TOKEN"), "{err}");
    assert!(
        !err.contains("wrong-token") && !err.contains("vault:v1:"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // Legacy form, with --verbose: no token or key material on stderr either.
    let plain = sb.write("legacy.yaml", PLAIN);
    let out = secret(&sb)
        .args(["--verbose", "-e", "--hc-vault-transit", &uri(&v, "k1")])
        .arg(&plain)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("key_name: k1"));
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!log.contains(TOKEN) && !log.contains("vault:v1:"), "{log}");

    // No VAULT_TOKEN: ~/.vault-token (HOME is the sandbox), surrounding space trimmed.
    sb.write(".vault-token", format!("  {TOKEN}\n"));
    let out = stdout_of(secret(&sb).env_remove("VAULT_TOKEN").arg("decrypt").arg(&f));
    assert_eq!(String::from_utf8(out).unwrap(), PLAIN);
}

#[test]
fn throttling_and_server_errors_are_retried_and_one_call_is_made_per_file() {
    let v = vault();
    let sb = Sandbox::new();
    let f = encrypted(&sb, &v);
    v.reset();
    v.fail_next(429, 1);
    v.fail_next(503, 2);
    let out = stdout_of(secret(&sb).arg("decrypt").arg(&f));
    assert_eq!(String::from_utf8(out).unwrap(), PLAIN);
    assert_eq!(v.requests(), 4, "three failures, then one successful call");

    v.reset();
    stdout_of(secret(&sb).arg("decrypt").arg(&f));
    assert_eq!(v.requests(), 1, "one decrypt call per file");

    // VAULT_MAX_RETRIES bounds the attempts; the last answer's error is reported.
    v.reset();
    v.fail_next(503, -1);
    let err = decrypt_error(secret(&sb).env("VAULT_MAX_RETRIES", "1"), &f);
    assert!(err.contains("Code: 503"), "{err}");
    assert_eq!(v.requests(), 2);
}

#[test]
fn a_vault_that_never_answers_fails_within_the_timeout() {
    let v = vault();
    let sb = Sandbox::new();
    let f = encrypted(&sb, &v);
    v.hang_next(-1);
    let err = decrypt_error(
        secret(&sb)
            .env("VAULT_CLIENT_TIMEOUT", "300ms")
            .env("VAULT_MAX_RETRIES", "1"),
        &f,
    );
    assert!(err.contains("no answer within 0.3 s"), "{err}");
    assert!(err.contains("after 2 attempts"), "{err}");
    assert!(err.contains(&uri(&v, "k1")), "{err}");
}

#[test]
fn agent_address_namespace_and_allowlist() {
    let v = Emulator::start(
        "vault",
        &[
            "--token",
            TOKEN,
            "--mount",
            "transit",
            "--namespace",
            "team/ns1",
        ],
    );
    let sb = Sandbox::new();
    let p = sb.write("plain.yaml", PLAIN);
    // The key names a Vault nobody listens on; VAULT_AGENT_ADDR sends every request to the
    // emulator instead, and the address in the file stays the key's.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let key = format!("http://127.0.0.1:{dead}/v1/transit/keys/k1");
    let out = stdout_of(
        secret(&sb)
            .env("VAULT_AGENT_ADDR", v.url())
            .env("VAULT_NAMESPACE", "team/ns1")
            .args(["encrypt", "--hc-vault-transit", &key])
            .arg(&p),
    );
    assert!(String::from_utf8_lossy(&out)
        .contains(&format!("vault_address: http://127.0.0.1:{dead}\n")));
    let f = sb.write("f.yaml", &out);
    let err = decrypt_error(secret(&sb).env("VAULT_AGENT_ADDR", v.url()), &f);
    assert!(err.contains("Code: 403"), "no namespace: {err}");
    let out = stdout_of(
        secret(&sb)
            .env("VAULT_AGENT_ADDR", v.url())
            .env("VAULT_NAMESPACE", "team/ns1")
            .arg("decrypt")
            .arg(&f),
    );
    assert_eq!(String::from_utf8(out).unwrap(), PLAIN);

    // SOPS_HC_VAULT_ALLOWLIST (sops 3.13) is checked before any request.
    v.reset();
    for (list, ok) in [
        (format!("http://127.0.0.1:{dead}"), true),
        ("none".to_string(), false),
        (
            "https://vault.example.com, http://other:1".to_string(),
            false,
        ),
    ] {
        let out = secret(&sb)
            .env("VAULT_AGENT_ADDR", v.url())
            .env("VAULT_NAMESPACE", "team/ns1")
            .env("SOPS_HC_VAULT_ALLOWLIST", &list)
            .arg("decrypt")
            .arg(&f)
            .output()
            .unwrap();
        assert_eq!(out.status.success(), ok, "{list}");
        if !ok {
            assert!(String::from_utf8_lossy(&out.stderr).contains("Allowlist does not allow"));
        }
    }
    assert_eq!(v.requests(), 1, "refused keys make no request");
}

#[test]
fn rotate_groups_updatekeys_explain_and_decryption_order() {
    let v = vault();
    let sb = Sandbox::new();
    let f = encrypted(&sb, &v);
    let keys = key("age1.txt");

    // rotate: add an age key, remove the Vault key (matched by sops' URI form).
    stdout_of(
        secret(&sb)
            .args(["rotate", "-i", "--add-age", AGE1, "--rm-hc-vault-transit"])
            .arg(format!("{}/v2/transit/keys/k1/", v.url()))
            .arg(&f),
    );
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(!text.contains("hc_vault"), "{text}");
    stdout_of(
        secret(&sb)
            .args(["rotate", "-i", "--add-hc-vault-transit", &uri(&v, "k2")])
            .env("SOPS_AGE_KEY_FILE", &keys)
            .arg(&f),
    );
    assert!(std::fs::read_to_string(&f)
        .unwrap()
        .contains("key_name: k2"));

    // With an age identity at hand, the default order (age first) makes no Vault call;
    // `--decryption-order hc_vault,age` asks Vault first.
    v.reset();
    stdout_of(
        secret(&sb)
            .env("SOPS_AGE_KEY_FILE", &keys)
            .arg("decrypt")
            .arg(&f),
    );
    assert_eq!(v.requests(), 0);
    stdout_of(
        secret(&sb)
            .env("SOPS_AGE_KEY_FILE", &keys)
            .args(["decrypt", "--decryption-order", "hc_vault,age"])
            .arg(&f),
    );
    assert_eq!(v.requests(), 1);

    // groups add --hc-vault-transit: a second group with a Vault key; sops decrypts it.
    stdout_of(
        secret(&sb)
            .env("SOPS_AGE_KEY_FILE", &keys)
            .args(["groups", "add", "-i", "-f"])
            .arg(&f)
            .args(["--hc-vault-transit", &uri(&v, "k3")]),
    );
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(
        text.contains("key_groups:") && text.contains("key_name: k3"),
        "{text}"
    );
    let out = stdout_of(
        sops(&sb)
            .env("SOPS_AGE_KEY_FILE", &keys)
            .arg("decrypt")
            .arg(&f),
    );
    assert_eq!(String::from_utf8(out).unwrap(), PLAIN);

    // updatekeys from a rule with a Vault key; explain lists it.
    sb.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - hc_vault_transit_uri: {}\n",
            uri(&v, "k4")
        ),
    );
    stdout_of(
        secret(&sb)
            .env("SOPS_AGE_KEY_FILE", &keys)
            .args(["updatekeys", "-y"])
            .arg(&f),
    );
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(
        text.contains("key_name: k4") && !text.contains("key_name: k2"),
        "{text}"
    );
    let out = stdout_of(secret(&sb).arg("explain").arg(&f));
    assert!(
        String::from_utf8_lossy(&out).contains(&format!("hc_vault {}", uri(&v, "k4"))),
        "{}",
        String::from_utf8_lossy(&out)
    );
    let out = stdout_of(sops(&sb).arg("decrypt").arg(&f));
    assert_eq!(String::from_utf8(out).unwrap(), PLAIN);
    assert!(Path::new(&f).exists());
}

#[test]
fn https_with_a_ca_file_or_skip_verify_and_sops_agrees() {
    let sb = Sandbox::new();
    let tls = sb.path().join("tls");
    std::fs::create_dir(&tls).unwrap();
    let v = Emulator::start("vault", &["--token", TOKEN, "--tls", tls.to_str().unwrap()]);
    let ca = tls.join("ca.pem");
    let https = format!("https://127.0.0.1:{}/v1/transit/keys/k1", v.port);
    let p = sb.write("plain.yaml", PLAIN);
    let out = stdout_of(
        secret(&sb)
            .env("VAULT_CACERT", &ca)
            .args(["encrypt", "--hc-vault-transit", &https])
            .arg(&p),
    );
    let f = sb.write("tls.yaml", out);
    let out = stdout_of(sops(&sb).env("VAULT_CACERT", &ca).arg("decrypt").arg(&f));
    assert_eq!(String::from_utf8(out).unwrap(), PLAIN);

    // An unknown CA is refused at once (no retries) with the reason. (The control endpoints
    // speak https here too, so requests are not counted.)
    let err = decrypt_error(&mut secret(&sb), &f);
    assert!(err.contains("certificate") && err.contains(&https), "{err}");
    assert!(
        !err.contains("attempts"),
        "a certificate error is not retried: {err}"
    );
    let out = stdout_of(
        secret(&sb)
            .env("VAULT_SKIP_VERIFY", "true")
            .arg("decrypt")
            .arg(&f),
    );
    assert_eq!(String::from_utf8(out).unwrap(), PLAIN);
    let out = secret(&sb)
        .env("VAULT_SKIP_VERIFY", "yes")
        .arg("decrypt")
        .arg(&f)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not parse VAULT_SKIP_VERIFY"));

    // HTTPS_PROXY: https requests go through the proxy's tunnel, unless NO_PROXY names the host.
    let proxy = Emulator::start("proxy", &[]);
    decrypts_with(
        secret(&sb)
            .env("VAULT_CACERT", &ca)
            .env("HTTPS_PROXY", proxy.url()),
        &f,
    );
    assert_eq!(proxy.requests(), 1);
    decrypts_with(
        secret(&sb)
            .env("VAULT_CACERT", &ca)
            .env("HTTPS_PROXY", proxy.url())
            .env("NO_PROXY", "127.0.0.1"),
        &f,
    );
    assert_eq!(proxy.requests(), 1);
}

#[test]
fn client_certificates_ca_directories_and_server_names_as_vault_reads_them() {
    let sb = Sandbox::new();
    let tls = sb.path().join("tls");
    std::fs::create_dir(&tls).unwrap();
    let v = Emulator::start(
        "vault",
        &["--token", TOKEN, "--tls", tls.to_str().unwrap(), "--mtls"],
    );
    let (ca, cert, key) = (
        tls.join("ca.pem"),
        tls.join("client.pem"),
        tls.join("client.key"),
    );
    let https = format!("https://127.0.0.1:{}/v1/transit/keys/k1", v.port);
    let p = sb.write("plain.yaml", PLAIN);
    let with_cert = |mut cmd: assert_cmd::Command| {
        cmd.env("VAULT_CACERT", &ca)
            .env("VAULT_CLIENT_CERT", &cert)
            .env("VAULT_CLIENT_KEY", &key);
        cmd
    };
    let out = stdout_of(
        with_cert(secret(&sb))
            .args(["encrypt", "--hc-vault-transit", &https])
            .arg(&p),
    );
    let f = sb.write("mtls.yaml", out);
    // sops, with the same variables, reads what secret wrote.
    let out = stdout_of(with_cert(sops(&sb)).arg("decrypt").arg(&f));
    assert_eq!(String::from_utf8(out).unwrap(), PLAIN);

    // Without a client certificate the server ends the handshake.
    let err = decrypt_error(secret(&sb).env("VAULT_CACERT", &ca), &f);
    assert!(err.contains(&https), "{err}");
    // Half a client identity is refused, as Vault's client refuses it.
    let err = decrypt_error(
        secret(&sb)
            .env("VAULT_CACERT", &ca)
            .env("VAULT_CLIENT_CERT", &cert),
        &f,
    );
    assert!(
        err.contains("VAULT_CLIENT_CERT and VAULT_CLIENT_KEY"),
        "{err}"
    );

    // VAULT_CAPATH: a directory of PEM files instead of one file.
    let capath = sb.path().join("cas");
    std::fs::create_dir(&capath).unwrap();
    std::fs::copy(&ca, capath.join("emulator.pem")).unwrap();
    std::fs::write(capath.join("README"), "not a certificate\n").unwrap();
    decrypts_with(
        secret(&sb)
            .env("VAULT_CAPATH", &capath)
            .env("VAULT_CLIENT_CERT", &cert)
            .env("VAULT_CLIENT_KEY", &key),
        &f,
    );

    // VAULT_TLS_SERVER_NAME: the certificate must carry that name instead of 127.0.0.1.
    decrypts_with(
        with_cert(secret(&sb)).env("VAULT_TLS_SERVER_NAME", "emulator.test"),
        &f,
    );
    let err = decrypt_error(
        with_cert(secret(&sb)).env("VAULT_TLS_SERVER_NAME", "elsewhere.test"),
        &f,
    );
    assert!(err.contains("certificate"), "{err}");
}

fn decrypts_with(cmd: &mut assert_cmd::Command, file: &Path) {
    let out = stdout_of(cmd.arg("decrypt").arg(file));
    assert_eq!(String::from_utf8(out).unwrap(), PLAIN);
}
