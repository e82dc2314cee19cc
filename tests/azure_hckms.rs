//! Azure Key Vault and HuaweiCloud KMS master keys against the emulators of
//! `tests/emulators/` (real RSA-OAEP-256 and AES-GCM, real token and signature checks).
//!
//! Azure only exists at fixed https names, so its emulator runs with `--tls-proxy`: `secret`
//! reaches `https://myvault.vault.azure.net` and `https://login.microsoftonline.com` through
//! `HTTPS_PROXY`, trusting the emulator's fresh CA through `SSL_CERT_FILE` — the production code
//! path. HuaweiCloud's emulator is reached through sops' own endpoint override
//! `HUAWEICLOUD_SDK_REGION_KMS_<REGION>`. sops 3.11 cannot be pointed at either, so the
//! metadata layout is pinned against sops' source (KEY-SERVICES.md §3/§4) and checked both
//! ways with the real sops: it reads files `secret` wrote, and `secret` opens sops-written
//! files that got an Azure or HuaweiCloud entry by hand.

mod common;

use assert_cmd::Command;
use common::emulator::Emulator;
use common::{failure, key, stdout_of, Sandbox, AGE1};
use std::path::{Path, PathBuf};

const VAULT: &str = "https://myvault.vault.azure.net";
const HC_REGION_VAR: &str = "HUAWEICLOUD_SDK_REGION_KMS_CN_NORTH_4";
const HC_UUID: &str = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
const PLAIN: &str = "db:\n    password: hunter2\n    port: 5432\n";

/// Variables of the developer's environment that would change credentials or routes.
const CLOUD_VARS: &[&str] = &[
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_TOKEN_CREDENTIALS",
    "AZURE_AUTHORITY_HOST",
    "AZURE_ADDITIONALLY_ALLOWED_TENANTS",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "SOPS_AZURE_KEYVAULT_URLS",
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
    "HUAWEICLOUD_SDK_PROJECT_ID",
    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
    "HUAWEICLOUD_SDK_REGIONS_FILE",
    "HUAWEICLOUD_SDK_IAM_ENDPOINT",
    "HUAWEICLOUD_SDK_IDP_ID",
    "HUAWEICLOUD_SDK_ID_TOKEN_FILE",
    "SOPS_HUAWEICLOUD_KMS_IDS",
    "SSL_CERT_DIR",
    "ALL_PROXY",
    "all_proxy",
];

fn hc_key() -> String {
    format!("cn-north-4:{HC_UUID}")
}

/// The Azure emulator with its CA file.
struct Azure {
    emu: Emulator,
    _dir: tempfile::TempDir,
    ca: PathBuf,
}

impl Azure {
    fn start(extra: &[&str]) -> Azure {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        let mut args = vec!["--tls-proxy", ca.to_str().unwrap()];
        args.extend(extra);
        Azure {
            emu: Emulator::start("azurekv", &args),
            _dir: dir,
            ca,
        }
    }

    /// Routes https through the emulator, with its CA and no credentials.
    fn route(&self, cmd: &mut Command) {
        let proxy = self.emu.url();
        cmd.env("HTTPS_PROXY", &proxy)
            .env("https_proxy", &proxy)
            .env("NO_PROXY", "")
            .env("no_proxy", "")
            .env("SSL_CERT_FILE", &self.ca);
    }

    /// Routes plus the service principal the emulator knows (`secret` may be wrong on purpose).
    fn with_secret(&self, cmd: &mut Command, secret: &str) {
        self.route(cmd);
        cmd.env("AZURE_TENANT_ID", "tenant-1")
            .env("AZURE_CLIENT_ID", "client-1")
            .env("AZURE_CLIENT_SECRET", secret);
    }

    /// What the vault's encrypt would give for `data`: (current version, enc).
    fn wrap_by_hand(&self, data: &[u8]) -> (String, String) {
        use base64::Engine as _;
        let data = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data);
        let (status, answer) = self
            .emu
            .request("POST", "/_test/encrypt/sops-key", &[], &data);
        assert_eq!(status, 200, "{answer}");
        let field = |name: &str| {
            answer
                .split(&format!("\"{name}\": \""))
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_else(|| panic!("no {name} in {answer}"))
                .to_string()
        };
        (field("version"), field("enc"))
    }
}

fn start_hckms(extra: &[&str]) -> Emulator {
    Emulator::start("hckms", extra)
}

/// The HuaweiCloud endpoint override and the emulator's default credentials.
fn hc_route(cmd: &mut Command, emu: &Emulator, sk: &str) {
    cmd.env(HC_REGION_VAR, emu.url())
        .env("HUAWEICLOUD_SDK_AK", "AK-TEST")
        .env("HUAWEICLOUD_SDK_SK", sk)
        .env("HUAWEICLOUD_SDK_PROJECT_ID", "proj123");
}

/// A metadata service address where nothing listens (the discard port): a run without
/// HuaweiCloud credentials fails at once instead of waiting for 169.254.169.254.
const NO_METADATA: &str = "http://127.0.0.1:9";

fn secret(sb: &Sandbox) -> Command {
    let mut cmd = sb.secret();
    for v in CLOUD_VARS {
        cmd.env_remove(v);
    }
    cmd.env("SECRET_HUAWEICLOUD_METADATA_URL", NO_METADATA);
    cmd
}

/// The `sops:` block's top-level keys, in order.
fn metadata_keys(yaml: &str) -> Vec<String> {
    let block = yaml.split("\nsops:\n").nth(1).expect("a sops block");
    block
        .lines()
        .filter(|l| l.starts_with("    ") && !l.starts_with("     ") && !l.starts_with("    -"))
        .filter_map(|l| l.trim().split(':').next().map(str::to_string))
        .collect()
}

/// The `sops:` block lists `cloud` entries, then age and the usual fields, in sops' order.
fn assert_key_entries(yaml: &str, cloud: &[&str]) {
    let mut expected: Vec<&str> = cloud.to_vec();
    expected.extend([
        "age",
        "lastmodified",
        "mac",
        "unencrypted_suffix",
        "version",
    ]);
    assert_eq!(metadata_keys(yaml), expected);
}

/// The fields of the first list entry under `sops.<field>`, in order, with their values.
fn entry(yaml: &str, field: &str) -> Vec<(String, String)> {
    let block = yaml
        .split(&format!("\n    {field}:\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("no {field} in\n{yaml}"));
    let mut out = Vec::new();
    for (i, line) in block.lines().enumerate() {
        let body = match (
            i,
            line.strip_prefix("        - "),
            line.strip_prefix("          "),
        ) {
            (0, Some(b), _) => b,
            (_, None, Some(b)) if i > 0 => b,
            _ => break,
        };
        let (k, v) = body.split_once(": ").unwrap();
        out.push((k.to_string(), v.trim_matches('"').to_string()));
    }
    out
}

fn names(fields: &[(String, String)]) -> Vec<&str> {
    fields.iter().map(|(k, _)| k.as_str()).collect()
}

fn value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    &fields.iter().find(|(k, _)| k == name).unwrap().1
}

/// The data key of a sops file made for AGE1, opened with the `age` CLI.
fn data_key_of(yaml: &str) -> Vec<u8> {
    let armored: String = yaml
        .split("enc: |\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("            "))
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    let mut age = std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(key("age1.txt"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the age CLI is installed");
    use std::io::Write as _;
    age.stdin
        .take()
        .unwrap()
        .write_all(armored.as_bytes())
        .unwrap();
    let out = age.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout.len(), 32);
    out.stdout
}

/// Inserts a hand-written single-group entry before sops' `age:` entry.
fn insert_entry(yaml: &str, field: &str, fields: &[(&str, &str)]) -> String {
    let mut block = format!("    {field}:\n");
    for (i, (k, v)) in fields.iter().enumerate() {
        let lead = if i == 0 { "        - " } else { "          " };
        let v = if *k == "created_at" {
            format!("\"{v}\"")
        } else {
            v.to_string()
        };
        block.push_str(&format!("{lead}{k}: {v}\n"));
    }
    yaml.replacen("    age:\n", &format!("{block}    age:\n"), 1)
}

fn decrypted(cmd: &mut Command, file: &Path) -> String {
    String::from_utf8(stdout_of(cmd.arg("decrypt").arg(file))).unwrap()
}

#[test]
fn azure_round_trip_resolves_the_version_and_writes_sops_layout() {
    let sb = Sandbox::new();
    let az = Azure::start(&[]);
    let plain = sb.write("app.yaml", PLAIN);
    let mut enc = secret(&sb);
    az.with_secret(&mut enc, "s3cret");
    let out = stdout_of(
        enc.args(["encrypt", "--age", AGE1, "--azure-kv"])
            .arg(format!("{VAULT}/keys/sops-key"))
            .arg(&plain),
    );
    let text = String::from_utf8(out).unwrap();
    assert_key_entries(&text, &["azure_kv"]);
    let az_entry = entry(&text, "azure_kv");
    assert_eq!(
        names(&az_entry),
        ["vault_url", "name", "version", "created_at", "enc"]
    );
    assert_eq!(value(&az_entry, "vault_url"), VAULT);
    assert_eq!(value(&az_entry, "name"), "sops-key");
    let (version, _) = az.wrap_by_hand(b"x");
    assert_eq!(
        value(&az_entry, "version"),
        version,
        "the current version is recorded"
    );
    let enc_text = value(&az_entry, "enc");
    assert_eq!(
        enc_text.len(),
        342,
        "2048-bit RSA, base64url without padding"
    );
    assert!(enc_text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let file = sb.write("app.enc.yaml", &text);

    // Azure alone opens it (no age identity here)...
    let mut dec = secret(&sb);
    az.with_secret(&mut dec, "s3cret");
    assert_eq!(decrypted(&mut dec, &file), PLAIN);
    // ...and the real sops reads the file (through its age key).
    assert_eq!(sb.sops_decrypt(&file), PLAIN);
}

#[test]
fn azure_wrong_secret_fails_clearly_with_exit_128() {
    let sb = Sandbox::new();
    let az = Azure::start(&[]);
    let plain = sb.write("app.yaml", PLAIN);
    let mut enc = secret(&sb);
    az.with_secret(&mut enc, "s3cret");
    let url = format!("{VAULT}/keys/sops-key");
    let file = sb.write(
        "app.enc.yaml",
        stdout_of(enc.args(["encrypt", "--azure-kv", &url]).arg(&plain)),
    );
    let mut dec = secret(&sb);
    az.with_secret(&mut dec, "wr0ng-secret-value");
    let (code, err) = failure(dec.arg("decrypt").arg(&file));
    assert_eq!(code, 128, "{err}");
    assert!(
        err.contains("AADSTS7000215: Invalid client secret provided"),
        "{err}"
    );
    assert!(err.contains(&format!("{url}/")), "names the key: {err}");
    assert!(!err.contains("wr0ng-secret-value"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    // Encrypting with the wrong secret writes nothing and exits 1.
    let mut enc = secret(&sb);
    az.with_secret(&mut enc, "wr0ng-secret-value");
    let (code, err) = failure(enc.args(["encrypt", "-i", "--azure-kv", &url]).arg(&plain));
    assert_eq!(code, 1, "{err}");
    assert_eq!(std::fs::read_to_string(&plain).unwrap(), PLAIN);
}

#[test]
fn azure_survives_throttling_and_server_errors() {
    let sb = Sandbox::new();
    let az = Azure::start(&[]);
    let plain = sb.write("app.yaml", PLAIN);
    let mut enc = secret(&sb);
    az.with_secret(&mut enc, "s3cret");
    enc.env("SOPS_AZURE_KEYVAULT_URLS", format!("{VAULT}/keys/sops-key"));
    let file = sb.write("app.enc.yaml", stdout_of(enc.arg("encrypt").arg(&plain)));
    az.emu.reset();
    az.emu.fail_next(429, 2);
    az.emu.fail_next(503, 1);
    let mut dec = secret(&sb);
    az.with_secret(&mut dec, "s3cret");
    assert_eq!(decrypted(&mut dec, &file), PLAIN);
    // Challenge, token, decrypt, plus the three failed attempts.
    assert_eq!(az.emu.requests(), 6);
}

#[test]
fn azure_entry_added_by_hand_to_a_sops_file_decrypts() {
    let sb = Sandbox::new();
    let az = Azure::start(&[]);
    let made = sb.sops_file("app.yaml", PLAIN);
    let yaml = std::fs::read_to_string(&made).unwrap();
    let (version, enc) = az.wrap_by_hand(&data_key_of(&yaml));
    let yaml = insert_entry(
        &yaml,
        "azure_kv",
        &[
            ("vault_url", VAULT),
            ("name", "sops-key"),
            ("version", &version),
            ("created_at", "2026-12-02T02:04:09Z"),
            ("enc", &enc),
        ],
    );
    let file = sb.write("app.yaml", &yaml);
    assert_eq!(sb.sops_decrypt(&file), PLAIN, "sops accepts the entry");
    let mut dec = secret(&sb);
    az.with_secret(&mut dec, "s3cret");
    assert_eq!(decrypted(&mut dec, &file), PLAIN);
}

#[test]
fn azure_cli_managed_and_workload_identity_credentials() {
    let sb = Sandbox::new();
    let az = Azure::start(&["--static-token", "cli-token", "--assertion", "fed-jwt"]);
    let plain = sb.write("app.yaml", PLAIN);
    let url = format!("{VAULT}/keys/sops-key");
    // A fake `az` that logs its arguments and prints the token the vault accepts.
    let bin = sb.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = sb.path().join("az.log");
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> '{}'\necho '{{\"accessToken\": \"cli-token\", \"expiresOn\": \"2099-01-01 00:00:00.000000\"}}'\n",
        log.display()
    );
    let az_bin = bin.join("az");
    std::fs::write(&az_bin, script).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&az_bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut enc = secret(&sb);
    az.route(&mut enc);
    enc.env("PATH", &path).env("AZURE_TOKEN_CREDENTIALS", "dev");
    let file = sb.write(
        "app.enc.yaml",
        stdout_of(enc.args(["encrypt", "--azure-kv", &url]).arg(&plain)),
    );
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains(
            "account get-access-token -o json --resource https://vault.azure.net --tenant tenant-1"
        ),
        "{logged}"
    );

    // Managed identity, with IMDS moved to the emulator (as azidentity allows).
    let mut dec = secret(&sb);
    az.route(&mut dec);
    dec.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", az.emu.url())
        .env("AZURE_TOKEN_CREDENTIALS", "ManagedIdentityCredential");
    assert_eq!(decrypted(&mut dec, &file), PLAIN);

    let token_file = sb.write("federated-token", "fed-jwt\n");
    let mut dec = secret(&sb);
    az.route(&mut dec);
    dec.env("AZURE_TENANT_ID", "tenant-1")
        .env("AZURE_CLIENT_ID", "client-1")
        .env("AZURE_FEDERATED_TOKEN_FILE", &token_file)
        .env("AZURE_TOKEN_CREDENTIALS", "WorkloadIdentityCredential");
    assert_eq!(decrypted(&mut dec, &file), PLAIN);
}

#[test]
fn azure_client_certificate_credentials() {
    let sb = Sandbox::new();
    let certs = sb.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    let az = Azure::start(&["--certificates", certs.to_str().unwrap()]);
    let plain = sb.write("app.yaml", PLAIN);
    let url = format!("{VAULT}/keys/sops-key");
    let with_certificate = |cmd: &mut Command, file: &str| {
        az.route(cmd);
        cmd.env("AZURE_TENANT_ID", "tenant-1")
            .env("AZURE_CLIENT_ID", "client-1")
            .env("AZURE_CLIENT_CERTIFICATE_PATH", certs.join(file));
    };
    let header = || az.emu.request("GET", "/_test/assertion-header", &[], "").1;

    // The app's certificate (key, CA, leaf in the file): the emulator checks the signature,
    // x5t and claims; no x5c unless asked for.
    let mut enc = secret(&sb);
    with_certificate(&mut enc, "client.pem");
    let file = sb.write(
        "app.enc.yaml",
        stdout_of(enc.args(["encrypt", "--azure-kv", &url]).arg(&plain)),
    );
    assert!(
        header().contains("x5t") && !header().contains("x5c"),
        "{}",
        header()
    );
    let mut dec = secret(&sb);
    with_certificate(&mut dec, "client.pem");
    dec.env("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "true");
    assert_eq!(decrypted(&mut dec, &file), PLAIN);
    assert!(header().contains("x5c"), "{}", header());

    // An unregistered certificate: Entra ID's refusal, exit 128, one line naming the key.
    let mut dec = secret(&sb);
    with_certificate(&mut dec, "other.pem");
    let (code, err) = failure(dec.arg("decrypt").arg(&file));
    assert_eq!(code, 128, "{err}");
    assert!(err.contains("AADSTS700027"), "{err}");
    assert!(err.contains(&format!("{url}/")), "names the key: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    // A file that is no certificate: the error names the variable and the file.
    let junk = sb.write("junk.pem", "not a certificate\n");
    let mut dec = secret(&sb);
    with_certificate(&mut dec, "client.pem");
    dec.env("AZURE_CLIENT_CERTIFICATE_PATH", &junk);
    let (code, err) = failure(dec.arg("decrypt").arg(&file));
    assert_eq!(code, 128, "{err}");
    assert!(
        err.contains(&format!(
            "AZURE_CLIENT_CERTIFICATE_PATH {}: neither PEM nor a readable PKCS#12 file",
            junk.display()
        )),
        "{err}"
    );

    // Password-protected files: PKCS#12 (current and legacy ciphers) and an encrypted PEM key.
    for protected in ["client.pfx", "client-legacy.pfx", "client-encrypted.pem"] {
        let mut dec = secret(&sb);
        with_certificate(&mut dec, protected);
        dec.env("AZURE_CLIENT_CERTIFICATE_PASSWORD", "pfx-pa55word");
        assert_eq!(decrypted(&mut dec, &file), PLAIN, "{protected}");
        let mut dec = secret(&sb);
        with_certificate(&mut dec, protected);
        dec.env("AZURE_CLIENT_CERTIFICATE_PASSWORD", "guess");
        let (code, err) = failure(dec.arg("decrypt").arg(&file));
        assert_eq!(code, 128, "{protected}: {err}");
        assert!(
            err.contains("wrong password") && !err.contains("guess"),
            "{err}"
        );
    }
}

#[test]
fn azure_keys_in_rules_rotate_and_groups() {
    let sb = Sandbox::new();
    let az = Azure::start(&[]);
    let url = format!("{VAULT}/keys/sops-key");
    sb.write(
        ".sops.yaml",
        format!("creation_rules:\n  - azure_keyvault: {url}\n    age: {AGE1}\n"),
    );
    let plain = sb.write("app.yaml", PLAIN);
    let mut enc = secret(&sb);
    az.with_secret(&mut enc, "s3cret");
    let file = sb.write("app.enc.yaml", stdout_of(enc.arg("encrypt").arg(&plain)));
    let text = std::fs::read_to_string(&file).unwrap();
    let version = value(&entry(&text, "azure_kv"), "version").to_string();

    // rotate --rm-azure-kv with the versionless URL removes the key (resolved like sops)...
    let mut rot = secret(&sb);
    az.with_secret(&mut rot, "s3cret");
    stdout_of(
        rot.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["rotate", "-i", "--rm-azure-kv", &url])
            .arg(&file),
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("azure_kv"), "{text}");
    // ...and --add-azure-kv with the full URL puts it back.
    let mut rot = secret(&sb);
    az.with_secret(&mut rot, "s3cret");
    stdout_of(
        rot.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args([
                "rotate",
                "-i",
                "--add-azure-kv",
                &format!("{url}/{version}"),
            ])
            .arg(&file),
    );
    let mut dec = secret(&sb);
    az.with_secret(&mut dec, "s3cret");
    assert_eq!(decrypted(&mut dec, &file), PLAIN);

    // groups add --azure-kv: a second group, opened by Azure while age opens the first.
    let mut add = secret(&sb);
    az.with_secret(&mut add, "s3cret");
    stdout_of(
        add.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["groups", "add", "-i", "-f"])
            .arg(&file)
            .args(["--azure-kv", &url]),
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("key_groups:"), "{text}");
    let mut dec = secret(&sb);
    az.with_secret(&mut dec, "s3cret");
    dec.env("SOPS_AGE_KEY_FILE", key("age1.txt"));
    assert_eq!(decrypted(&mut dec, &file), PLAIN);
}

#[test]
fn azure_urls_are_checked_before_any_request() {
    let sb = Sandbox::new();
    let plain = sb.write("app.yaml", PLAIN);
    for bad in [
        "http://myvault.vault.azure.net/keys/k/1",
        "https://myvault.vault.azure.net/Keys/k/1",
        "https://myvault.vault.azure.net/keys/k/1/",
    ] {
        let (code, err) = failure(secret(&sb).args(["encrypt", "--azure-kv", bad]).arg(&plain));
        assert_eq!(code, 1, "{err}");
        assert!(err.contains(&format!("could not parse {bad:?}")), "{err}");
    }
}

#[test]
fn hckms_round_trip_signed_requests_and_layout() {
    let sb = Sandbox::new();
    // Temporary credentials: the security token is sent and signed.
    let hc = start_hckms(&["--token", "sts-token"]);
    let plain = sb.write("app.yaml", PLAIN);
    let mut enc = secret(&sb);
    hc_route(&mut enc, &hc, "SK-TEST");
    enc.env("SOPS_HUAWEICLOUD_KMS_IDS", hc_key())
        .env("HUAWEICLOUD_SDK_SECURITY_TOKEN", "sts-token");
    let out = stdout_of(enc.args(["encrypt", "--age", AGE1]).arg(&plain));
    let text = String::from_utf8(out).unwrap();
    assert_key_entries(&text, &["hckms"]);
    let e = entry(&text, "hckms");
    assert_eq!(names(&e), ["key_id", "created_at", "enc"]);
    assert_eq!(value(&e, "key_id"), hc_key());
    assert!(
        value(&e, "enc").ends_with(HC_UUID),
        "the server's cipher_text verbatim"
    );
    let file = sb.write("app.enc.yaml", &text);
    let mut dec = secret(&sb);
    hc_route(&mut dec, &hc, "SK-TEST");
    let (code, err) = failure(dec.arg("decrypt").arg(&file));
    assert_eq!(code, 128, "without the token: {err}");
    assert!(err.contains("security token"), "{err}");
    let mut dec = secret(&sb);
    hc_route(&mut dec, &hc, "SK-TEST");
    dec.env("HUAWEICLOUD_SDK_SECURITY_TOKEN", "sts-token");
    assert_eq!(decrypted(&mut dec, &file), PLAIN);
    assert_eq!(sb.sops_decrypt(&file), PLAIN, "sops reads the file");

    // Credentials from ~/.huaweicloud/credentials, with a decryption order naming hckms.
    std::fs::create_dir(sb.path().join(".huaweicloud")).unwrap();
    sb.write(
        ".huaweicloud/credentials",
        "[basic]\nak = AK-TEST\nsk = SK-TEST\nproject_id = proj123\nsecurity_token = sts-token\n",
    );
    let mut dec = secret(&sb);
    dec.env(HC_REGION_VAR, hc.url())
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["--decryption-order", "hckms,age"]);
    hc.reset();
    assert_eq!(decrypted(&mut dec, &file), PLAIN);
    assert_eq!(hc.requests(), 1, "hckms tried first");
}

/// With neither environment nor file credentials, an ECS instance's temporary credentials
/// come from its metadata service: with a session token, without one (a service that has
/// none), after a token expired, and a clear failure where the instance has no agency.
#[test]
fn hckms_credentials_from_the_ecs_metadata_service() {
    let sb = Sandbox::new();
    let plain = sb.write("app.yaml", PLAIN);
    let file = {
        let hc = start_hckms(&["--token", "sts-token"]);
        let mut enc = secret(&sb);
        hc_route(&mut enc, &hc, "SK-TEST");
        enc.env("HUAWEICLOUD_SDK_SECURITY_TOKEN", "sts-token");
        sb.write(
            "app.enc.yaml",
            stdout_of(enc.args(["encrypt", "--hckms", &hc_key()]).arg(&plain)),
        )
    };
    let from_metadata = |hc: &Emulator| {
        let mut dec = secret(&sb);
        dec.env(HC_REGION_VAR, hc.url())
            .env("SECRET_HUAWEICLOUD_METADATA_URL", hc.url())
            .env("HUAWEICLOUD_SDK_PROJECT_ID", "proj123")
            .arg("decrypt")
            .arg(&file);
        dec
    };
    for mode in ["v2", "v1", "expire"] {
        let hc = start_hckms(&["--token", "sts-token", "--metadata", mode]);
        let out = stdout_of(&mut from_metadata(&hc));
        assert_eq!(String::from_utf8(out).unwrap(), PLAIN, "{mode}");
    }
    let hc = start_hckms(&["--token", "sts-token", "--metadata", "no-agency"]);
    let (code, err) = failure(&mut from_metadata(&hc));
    assert_eq!(code, 128, "{err}");
    assert!(err.contains("no HuaweiCloud credentials"), "{err}");
    assert!(
        err.contains("Please configure Cloud Service Agency first"),
        "{err}"
    );
    // Environment credentials come first: the metadata service is not asked.
    let hc = start_hckms(&["--token", "sts-token", "--metadata", "no-agency"]);
    let mut dec = from_metadata(&hc);
    hc_route(&mut dec, &hc, "SK-TEST");
    dec.env("HUAWEICLOUD_SDK_SECURITY_TOKEN", "sts-token");
    assert_eq!(String::from_utf8(stdout_of(&mut dec)).unwrap(), PLAIN);
}

/// Credentials that name no project: its id is looked up through IAM for the key's region,
/// with a signed request (security token included); several or no projects fail clearly.
#[test]
fn hckms_project_id_is_looked_up_through_iam() {
    let sb = Sandbox::new();
    let plain = sb.write("app.yaml", PLAIN);
    let without_project = |hc: &Emulator| {
        let mut cmd = secret(&sb);
        hc_route(&mut cmd, hc, "SK-TEST");
        cmd.env_remove("HUAWEICLOUD_SDK_PROJECT_ID")
            .env("HUAWEICLOUD_SDK_SECURITY_TOKEN", "sts-token")
            .env("HUAWEICLOUD_SDK_IAM_ENDPOINT", hc.url());
        cmd
    };
    let hc = start_hckms(&["--token", "sts-token"]);
    let mut enc = without_project(&hc);
    let file = sb.write(
        "app.enc.yaml",
        stdout_of(enc.args(["encrypt", "--hckms", &hc_key()]).arg(&plain)),
    );
    let mut dec = without_project(&hc);
    assert_eq!(decrypted(&mut dec, &file), PLAIN);
    for (projects, why) in [("2", "several projects"), ("0", "no project is named")] {
        let hc = start_hckms(&["--token", "sts-token", "--iam-projects", projects]);
        let (code, err) = failure(without_project(&hc).arg("decrypt").arg(&file));
        assert_eq!(code, 128, "{err}");
        assert!(err.contains("set HUAWEICLOUD_SDK_PROJECT_ID"), "{err}");
        assert!(err.contains(why), "{err}");
    }
    // A wrong secret key: IAM refuses the lookup, and says why.
    let hc = start_hckms(&["--token", "sts-token"]);
    let mut dec = without_project(&hc);
    dec.env("HUAWEICLOUD_SDK_SK", "wr0ng-sk-value");
    let (code, err) = failure(dec.arg("decrypt").arg(&file));
    assert_eq!(code, 128, "{err}");
    assert!(err.contains("verify aksk signature fail"), "{err}");
}

/// A federated identity: the id token in a file is exchanged through IAM for a project
/// token that KMS takes unsigned; it comes before AK/SK, needs a project id, and a refused
/// exchange says why.
#[test]
fn hckms_federated_identity_through_an_id_token() {
    let sb = Sandbox::new();
    let plain = sb.write("app.yaml", PLAIN);
    let hc = start_hckms(&[]);
    let token_file = sb.write("id-token", "oidc.jwt.token");
    let federated = |idp: &str| {
        let mut cmd = secret(&sb);
        cmd.env(HC_REGION_VAR, hc.url())
            .env("HUAWEICLOUD_SDK_IAM_ENDPOINT", hc.url())
            .env("HUAWEICLOUD_SDK_IDP_ID", idp)
            .env("HUAWEICLOUD_SDK_ID_TOKEN_FILE", &token_file)
            .env("HUAWEICLOUD_SDK_PROJECT_ID", "proj123")
            // Wrong AK/SK beside it: the identity provider comes first.
            .env("HUAWEICLOUD_SDK_AK", "AK-TEST")
            .env("HUAWEICLOUD_SDK_SK", "wr0ng-sk-value");
        cmd
    };
    let file = sb.write(
        "app.enc.yaml",
        stdout_of(
            federated("idp-test")
                .args(["encrypt", "--hckms", &hc_key()])
                .arg(&plain),
        ),
    );
    assert_eq!(decrypted(&mut federated("idp-test"), &file), PLAIN);
    let (code, err) = failure(federated("other-idp").arg("decrypt").arg(&file));
    assert_eq!(code, 128, "{err}");
    assert!(err.contains("federated identity \"other-idp\""), "{err}");
    assert!(
        err.contains("The identity provider does not exist"),
        "{err}"
    );
    let mut no_project = federated("idp-test");
    no_project.env_remove("HUAWEICLOUD_SDK_PROJECT_ID");
    let (code, err) = failure(no_project.arg("decrypt").arg(&file));
    assert_eq!(code, 128, "{err}");
    assert!(err.contains("need HUAWEICLOUD_SDK_PROJECT_ID"), "{err}");
    assert!(
        !err.contains("oidc.jwt.token"),
        "the token never shows: {err}"
    );
}

#[test]
fn hckms_wrong_secret_key_fails_clearly_with_exit_128() {
    let sb = Sandbox::new();
    let hc = start_hckms(&[]);
    let plain = sb.write("app.yaml", PLAIN);
    let mut enc = secret(&sb);
    hc_route(&mut enc, &hc, "SK-TEST");
    let file = sb.write(
        "app.enc.yaml",
        stdout_of(enc.args(["encrypt", "--hckms", &hc_key()]).arg(&plain)),
    );
    let mut dec = secret(&sb);
    hc_route(&mut dec, &hc, "wr0ng-sk-value");
    let (code, err) = failure(dec.arg("decrypt").arg(&file));
    assert_eq!(code, 128, "{err}");
    assert!(err.contains("verify aksk signature fail"), "{err}");
    assert!(err.contains(&hc_key()), "names the key: {err}");
    assert!(!err.contains("wr0ng-sk-value"), "{err}");

    let mut dec = secret(&sb);
    dec.env(HC_REGION_VAR, hc.url());
    let (code, err) = failure(dec.arg("decrypt").arg(&file));
    assert_eq!(code, 128, "{err}");
    assert!(err.contains("no HuaweiCloud credentials"), "{err}");
}

/// Credentials only: the endpoint comes from the regions file.
fn hc_credentials(cmd: &mut Command) {
    cmd.env("HUAWEICLOUD_SDK_AK", "AK-TEST")
        .env("HUAWEICLOUD_SDK_SK", "SK-TEST")
        .env("HUAWEICLOUD_SDK_PROJECT_ID", "proj123");
}

/// HuaweiCloud's regions file (`~/.huaweicloud/regions.yaml`, or the file
/// `HUAWEICLOUD_SDK_REGIONS_FILE` names) routes a region the SDK does not know, and a known
/// one away from its public endpoint; the endpoint variable still comes first.
#[test]
fn hckms_regions_file_routes_regions() {
    let sb = Sandbox::new();
    let hc = start_hckms(&[]);
    let plain = sb.write("app.yaml", PLAIN);
    std::fs::create_dir(sb.path().join(".huaweicloud")).unwrap();
    sb.write(
        ".huaweicloud/regions.yaml",
        format!("KMS:\n  - id: xx-private-1\n    endpoint: {}\n", hc.url()),
    );
    let private = format!("xx-private-1:{HC_UUID}");
    let mut enc = secret(&sb);
    hc_credentials(&mut enc);
    let text = stdout_of(enc.args(["encrypt", "--hckms", &private]).arg(&plain));
    let text = String::from_utf8(text).unwrap();
    assert_eq!(value(&entry(&text, "hckms"), "key_id"), private);
    let file = sb.write("app.enc.yaml", &text);
    let mut dec = secret(&sb);
    hc_credentials(&mut dec);
    assert_eq!(decrypted(&mut dec, &file), PLAIN);
    assert_eq!(hc.requests(), 2);

    // Another file, through the variable: a known region routed to the emulator (its
    // `endpoints` list, the first that is not empty), before its public endpoint.
    let other = sb.write(
        "regions.yaml",
        format!(
            "# KMS endpoints\nkms:\n  - id: cn-north-4\n    endpoints: ['', {}]\n",
            hc.url()
        ),
    );
    let mut enc = secret(&sb);
    hc_credentials(&mut enc);
    enc.env("HUAWEICLOUD_SDK_REGIONS_FILE", &other);
    let file = sb.write(
        "known.enc.yaml",
        stdout_of(enc.args(["encrypt", "--hckms", &hc_key()]).arg(&plain)),
    );
    assert_eq!(hc.requests(), 3);
    // The endpoint variable wins over the file, whose endpoint here goes nowhere.
    sb.write(
        "regions.yaml",
        format!("KMS:\n  - id: cn-north-4\n    endpoint: {NO_METADATA}\n"),
    );
    let mut dec = secret(&sb);
    hc_route(&mut dec, &hc, "SK-TEST");
    dec.env("HUAWEICLOUD_SDK_REGIONS_FILE", &other);
    assert_eq!(decrypted(&mut dec, &file), PLAIN);
    assert_eq!(hc.requests(), 4);

    // A file the SDK cannot read is an error naming it and the place in it.
    sb.write(
        "regions.yaml",
        "KMS:\n  - id: cn-north-4\n    endpoints: nowhere\n",
    );
    let mut enc = secret(&sb);
    hc_credentials(&mut enc);
    enc.env("HUAWEICLOUD_SDK_REGIONS_FILE", &other);
    let (code, err) = failure(enc.args(["encrypt", "--hckms", &hc_key()]).arg(&plain));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("HuaweiCloud regions file {}", other.display())),
        "{err}"
    );
    assert!(err.contains("KMS[0].endpoints: expected a list"), "{err}");
}

#[test]
fn hckms_survives_throttling_and_server_errors() {
    let sb = Sandbox::new();
    let hc = start_hckms(&[]);
    let plain = sb.write("app.yaml", PLAIN);
    hc.fail_next(429, 1);
    hc.fail_next(503, 2);
    let mut enc = secret(&sb);
    hc_route(&mut enc, &hc, "SK-TEST");
    let file = sb.write(
        "app.enc.yaml",
        stdout_of(enc.args(["encrypt", "--hckms", &hc_key()]).arg(&plain)),
    );
    assert_eq!(hc.requests(), 4);
    let mut dec = secret(&sb);
    hc_route(&mut dec, &hc, "SK-TEST");
    assert_eq!(decrypted(&mut dec, &file), PLAIN);
}

#[test]
fn hckms_entry_added_by_hand_to_a_sops_file_decrypts() {
    let sb = Sandbox::new();
    let hc = start_hckms(&[]);
    let made = sb.sops_file("app.yaml", PLAIN);
    let yaml = std::fs::read_to_string(&made).unwrap();
    use base64::Engine as _;
    let plain_text = base64::engine::general_purpose::STANDARD.encode(data_key_of(&yaml));
    let (status, cipher) = hc.request(
        "POST",
        &format!("/_test/encrypt/{HC_UUID}"),
        &[],
        &plain_text,
    );
    assert_eq!(status, 200, "{cipher}");
    let yaml = insert_entry(
        &yaml,
        "hckms",
        &[
            ("key_id", &hc_key()),
            ("created_at", "2026-12-02T02:04:09Z"),
            ("enc", &cipher),
        ],
    );
    let file = sb.write("app.yaml", &yaml);
    assert_eq!(sb.sops_decrypt(&file), PLAIN, "sops accepts the entry");
    let mut dec = secret(&sb);
    hc_route(&mut dec, &hc, "SK-TEST");
    assert_eq!(decrypted(&mut dec, &file), PLAIN);
}

#[test]
fn hckms_rules_rotate_and_bad_ids() {
    let sb = Sandbox::new();
    let hc = start_hckms(&[]);
    let plain = sb.write("app.yaml", PLAIN);
    sb.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - hckms:\n      - {}\n    age: {AGE1}\n",
            hc_key()
        ),
    );
    let mut enc = secret(&sb);
    hc_route(&mut enc, &hc, "SK-TEST");
    let file = sb.write("app.enc.yaml", stdout_of(enc.arg("encrypt").arg(&plain)));
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("    hckms:\n"));
    let mut rot = secret(&sb);
    hc_route(&mut rot, &hc, "SK-TEST");
    stdout_of(
        rot.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["rotate", "-i", "--rm-hckms", &hc_key()])
            .arg(&file),
    );
    assert!(!std::fs::read_to_string(&file).unwrap().contains("hckms"));
    // updatekeys brings the rule's key back (same data key), and it opens the file alone.
    let mut upd = secret(&sb);
    hc_route(&mut upd, &hc, "SK-TEST");
    stdout_of(
        upd.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["updatekeys", "-y"])
            .arg(&file),
    );
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("    hckms:\n"));
    let mut dec = secret(&sb);
    hc_route(&mut dec, &hc, "SK-TEST");
    assert_eq!(decrypted(&mut dec, &file), PLAIN);

    // A string where sops wants a list, an id without region, an unknown region.
    sb.write(
        ".sops.yaml",
        format!("creation_rules:\n  - hckms: {}\n", hc_key()),
    );
    let (code, err) = failure(secret(&sb).arg("encrypt").arg(&plain));
    assert_eq!(code, 1);
    assert!(err.contains("hckms must be a list"), "{err}");
    std::fs::remove_file(sb.path().join(".sops.yaml")).unwrap();
    let (code, err) = failure(
        secret(&sb)
            .args(["encrypt", "--hckms", HC_UUID])
            .arg(&plain),
    );
    assert_eq!(code, 1);
    assert!(err.contains("invalid key ID format"), "{err}");
    let mut enc = secret(&sb);
    hc_route(&mut enc, &hc, "SK-TEST");
    let (code, err) = failure(
        enc.args(["encrypt", "--hckms", &format!("xx-nowhere-1:{HC_UUID}")])
            .arg(&plain),
    );
    assert_eq!(code, 1);
    assert!(err.contains("unknown region \"xx-nowhere-1\""), "{err}");
}

#[test]
fn one_file_with_every_new_key_type_has_sops_order() {
    let sb = Sandbox::new();
    let az = Azure::start(&[]);
    let hc = start_hckms(&[]);
    let plain = sb.write("app.yaml", PLAIN);
    let mut enc = secret(&sb);
    az.with_secret(&mut enc, "s3cret");
    hc_route(&mut enc, &hc, "SK-TEST");
    let out = stdout_of(
        enc.args(["encrypt", "--age", AGE1, "--hckms", &hc_key(), "--azure-kv"])
            .arg(format!("{VAULT}/keys/sops-key"))
            .arg(&plain),
    );
    let text = String::from_utf8(out).unwrap();
    assert_key_entries(&text, &["hckms", "azure_kv"]);
    let file = sb.write("app.enc.yaml", &text);
    // Decryption order: Azure first, HuaweiCloud never asked.
    let mut dec = secret(&sb);
    az.with_secret(&mut dec, "s3cret");
    hc_route(&mut dec, &hc, "SK-TEST");
    hc.reset();
    assert_eq!(
        decrypted(dec.args(["--decryption-order", "azure_kv,hckms"]), &file),
        PLAIN
    );
    assert_eq!(hc.requests(), 0);
}
