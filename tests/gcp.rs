//! GCP Cloud KMS keys against the emulator (`tests/emulators/gcpkms.py`), reached through
//! `SOPS_GCP_KMS_ENDPOINT`. sops 3.11 cannot be pointed at a local endpoint, so compatibility
//! is pinned with a sops-shaped file: sops encrypts for age, the data key is taken out with
//! the age CLI and wrapped by the emulator, and the `gcp_kms` entry replaces the age one in
//! the layout sops writes (KEY-SERVICES §2, §5).
#![cfg(feature = "gcp")]

mod common;
use common::emulator::{decrypt_error, without, Emulator};
use common::*;
use std::path::{Path, PathBuf};

const PLAIN: &str = "db:\n    user: admin\n    password: hunter2\nport: 5432\n";
const TOKEN: &str = "ya29.test-token";
const ID: &str = "projects/p1/locations/global/keyRings/r1/cryptoKeys/k1";

/// Variables of the developer's environment that would change credentials or endpoints.
const GCP_VARS: &[&str] = &[
    "GOOGLE_CREDENTIALS",
    "GOOGLE_OAUTH_ACCESS_TOKEN",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES",
    "GOOGLE_CLOUD_UNIVERSE_DOMAIN",
    "CLOUDSDK_CONFIG",
    "GCE_METADATA_HOST",
    "SOPS_GCP_KMS_IDS",
    "SOPS_GCP_KMS_ENDPOINT",
    "SOPS_GCP_KMS_UNIVERSE_DOMAIN",
];

fn gcp() -> Emulator {
    Emulator::start("gcpkms", &["--token", TOKEN])
}

/// `secret` talking to the emulator with nothing but the endpoint set.
fn bare(sb: &Sandbox, kms: &Emulator) -> assert_cmd::Command {
    let mut cmd = without(sb.secret(), GCP_VARS);
    cmd.env("SOPS_GCP_KMS_ENDPOINT", kms.url());
    cmd
}

/// `secret` with the emulator's static token.
fn secret(sb: &Sandbox, kms: &Emulator) -> assert_cmd::Command {
    let mut cmd = bare(sb, kms);
    cmd.env("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN);
    cmd
}

fn encrypted(sb: &Sandbox, kms: &Emulator) -> PathBuf {
    let p = sb.write("plain.yaml", PLAIN);
    let out = stdout_of(secret(sb, kms).args(["encrypt", "--gcp-kms", ID]).arg(&p));
    sb.write("secret.yaml", out)
}

fn decrypts(cmd: &mut assert_cmd::Command, file: &Path) {
    let out = stdout_of(cmd.arg("decrypt").arg(file));
    assert_eq!(String::from_utf8(out).unwrap(), PLAIN);
}

/// The `sops:` block with per-run values masked.
fn layout(text: &str) -> String {
    let re =
        regex::Regex::new(r#"(ENC\[[^\]]*\]|enc: \S+|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"#).unwrap();
    let masked = re.replace_all(text, "X");
    let start = masked.find("\nsops:").unwrap();
    masked[start..].to_string()
}

#[test]
fn a_sops_shaped_file_decrypts_and_secret_writes_the_same_layout() {
    let kms = gcp();
    let sb = Sandbox::new();
    let by_sops = std::fs::read_to_string(sb.sops_file("app.yaml", PLAIN)).unwrap();
    // The data key, out of the age entry sops wrote.
    let armor: String = by_sops
        .lines()
        .skip_while(|l| !l.contains("-----BEGIN AGE ENCRYPTED FILE-----"))
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("    lastmodified"))
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    let armored = sb.write("dk.age", armor);
    let out = std::process::Command::new("age")
        .args(["-d", "-i"])
        .arg(key("age1.txt"))
        .arg(&armored)
        .output()
        .expect("the age CLI (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len(), 32);
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let (status, answer) = kms.request(
        "POST",
        &format!("/v1/{ID}:encrypt"),
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        &format!(
            r#"{{"name":"{ID}","plaintext":"{}"}}"#,
            b64.encode(&out.stdout)
        ),
    );
    assert_eq!(status, 200, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let enc = answer["ciphertext"].as_str().unwrap();
    // Replace the age entry with a gcp_kms one, laid out as sops 3.11 writes it.
    let start = by_sops.find("    age:\n").unwrap();
    let end = by_sops.find("    lastmodified:").unwrap();
    let hand_made = format!(
        "{}    gcp_kms:\n        - resource_id: {ID}\n          created_at: \"2026-12-02T02:04:09Z\"\n          enc: {enc}\n{}",
        &by_sops[..start],
        &by_sops[end..]
    );
    let f = sb.write("hand-made.yaml", &hand_made);
    decrypts(&mut secret(&sb, &kms), &f);

    let ours = std::fs::read_to_string(encrypted(&sb, &kms)).unwrap();
    assert_eq!(layout(&ours), layout(&hand_made));
    // enc is standard padded base64 of the ciphertext bytes.
    let line = ours
        .lines()
        .find(|l| l.trim_start().starts_with("enc: "))
        .unwrap();
    let enc = line.trim_start().strip_prefix("enc: ").unwrap();
    assert_eq!(b64.encode(b64.decode(enc).unwrap()), enc);
}

#[test]
fn every_credential_source_works_in_sops_order() {
    let dir = tempfile::tempdir().unwrap();
    let sa = dir.path().join("sa.json");
    let kms = Emulator::start(
        "gcpkms",
        &[
            "--credentials-file",
            sa.to_str().unwrap(),
            "--refresh-token",
            "1//refresh",
        ],
    );
    let sb = Sandbox::new();
    let p = sb.write("plain.yaml", PLAIN);
    // Service-account key (RS256 JWT traded at its token_uri, the emulator).
    let out = stdout_of(
        bare(&sb, &kms)
            .env("GOOGLE_APPLICATION_CREDENTIALS", &sa)
            .args(["encrypt", "--gcp-kms", ID])
            .arg(&p),
    );
    let f = sb.write("f.yaml", out);
    // GOOGLE_CREDENTIALS as a path, outranking a bad access token.
    decrypts(
        bare(&sb, &kms)
            .env("GOOGLE_CREDENTIALS", &sa)
            .env("GOOGLE_OAUTH_ACCESS_TOKEN", "bad"),
        &f,
    );
    // GOOGLE_CREDENTIALS as JSON text: an authorized_user refresh token.
    let user = format!(
        r#"{{"type":"authorized_user","client_id":"c","client_secret":"s","refresh_token":"1//refresh","token_uri":"{}/token"}}"#,
        kms.url()
    );
    decrypts(bare(&sb, &kms).env("GOOGLE_CREDENTIALS", &user), &f);
    // gcloud's ADC file under CLOUDSDK_CONFIG.
    let gcloud = dir.path().join("gcloud");
    std::fs::create_dir(&gcloud).unwrap();
    std::fs::write(gcloud.join("application_default_credentials.json"), &user).unwrap();
    decrypts(bare(&sb, &kms).env("CLOUDSDK_CONFIG", &gcloud), &f);
    // The metadata server.
    decrypts(
        bare(&sb, &kms).env("GCE_METADATA_HOST", format!("127.0.0.1:{}", kms.port)),
        &f,
    );
    // A rejected refresh token: the token endpoint's answer, exit 128.
    let bad_user = user.replace("1//refresh", "1//other");
    let err = decrypt_error(bare(&sb, &kms).env("GOOGLE_CREDENTIALS", &bad_user), &f);
    assert!(err.contains("invalid_grant") && err.contains(ID), "{err}");
    assert!(!err.contains("1//other"), "{err}");
}

#[test]
fn service_errors_name_the_key_and_carry_the_message() {
    let kms = gcp();
    let sb = Sandbox::new();
    let f = encrypted(&sb, &kms);
    let err = decrypt_error(
        secret(&sb, &kms).env("GOOGLE_OAUTH_ACCESS_TOKEN", "wrong"),
        &f,
    );
    assert!(err.contains(&format!("gcp_kms {ID}: GCP KMS decrypt failed: googleapi: Error 401: Request had invalid authentication credentials")), "{err}");
    assert_eq!(err.lines().count(), 1);

    let p = sb.write("plain.yaml", PLAIN);
    let denied = ID.replace("k1", "denied-k");
    let out = secret(&sb, &kms)
        .args(["encrypt", "--gcp-kms", &denied])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Error 403: Permission") && err.contains("IAM policy"),
        "{err}"
    );
    assert!(!sb.path().join("plain.enc.yaml").exists());

    // Ids are checked as sops checks them; a trailing comma is an empty id.
    for (ids, want) in [
        (
            format!("{ID}/cryptoKeyVersions/1"),
            "no valid resource ID found in",
        ),
        (format!("{ID},"), r#"no valid resource ID found in """#),
    ] {
        let out = secret(&sb, &kms)
            .args(["encrypt", "--gcp-kms", &ids])
            .arg(&p)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{ids}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(want), "{ids}");
    }
    // Spaces are removed anywhere in an id.
    let spaced = format!(" {}", ID.replace("/keyRings", "/ keyRings"));
    stdout_of(
        secret(&sb, &kms)
            .args(["encrypt", "--gcp-kms", &spaced])
            .arg(&p),
    );
}

#[test]
fn throttling_and_server_errors_are_retried() {
    let kms = gcp();
    let sb = Sandbox::new();
    let f = encrypted(&sb, &kms);
    kms.reset();
    kms.fail_next(503, 3);
    decrypts(&mut secret(&sb, &kms), &f);
    assert_eq!(kms.requests(), 4, "three 503s, then one successful call");
    kms.reset();
    kms.fail_next(429, 4);
    decrypts(&mut secret(&sb, &kms), &f);
    assert_eq!(kms.requests(), 5, "four 429s in a row are survived");
}

#[test]
fn a_kms_that_never_answers_fails_within_the_timeout() {
    let kms = gcp();
    let sb = Sandbox::new();
    let f = encrypted(&sb, &kms);
    kms.hang_next(-1);
    let err = decrypt_error(secret(&sb, &kms).env("SECRET_HTTP_TIMEOUT", "250ms"), &f);
    assert!(
        err.contains("no answer within 0.2 s") || err.contains("no answer within 0.3 s"),
        "{err}"
    );
    assert!(
        err.contains(ID) && err.contains("after 5 attempts"),
        "{err}"
    );
}

#[test]
fn config_rotate_groups_explain_and_decryption_order() {
    let kms = gcp();
    let sb = Sandbox::new();
    let p = sb.write("plain.yaml", PLAIN);
    let id2 = ID.replace("k1", "k2");
    for config in [
        format!("creation_rules:\n  - gcp_kms: ' {ID} , {id2}'\n"),
        format!(
            "creation_rules:\n  - key_groups:\n      - gcp_kms:\n          - resource_id: {ID}\n          - resource_id: {id2}\n"
        ),
    ] {
        sb.write(".sops.yaml", &config);
        let out = stdout_of(secret(&sb, &kms).arg("encrypt").arg(&p));
        let text = String::from_utf8(out.clone()).unwrap();
        assert_eq!(text.matches("resource_id: ").count(), 2, "{config}\n{text}");
        let f = sb.write("f.yaml", out);
        decrypts(&mut secret(&sb, &kms), &f);
        let out = stdout_of(secret(&sb, &kms).arg("explain").arg(&f));
        assert!(String::from_utf8_lossy(&out).contains(&format!("gcp_kms {id2}")));
    }
    std::fs::remove_file(sb.path().join(".sops.yaml")).unwrap();

    let f = encrypted(&sb, &kms);
    let keys = key("age1.txt");
    stdout_of(
        secret(&sb, &kms)
            .args(["rotate", "-i", "--add-age", AGE1, "--add-gcp-kms", &id2])
            .args(["--rm-gcp-kms", ID])
            .arg(&f),
    );
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(
        text.contains(&id2) && !text.contains(&format!("{ID}\n")),
        "{text}"
    );
    // age first by default: no GCP call; gcp_kms first when asked.
    kms.reset();
    decrypts(secret(&sb, &kms).env("SOPS_AGE_KEY_FILE", &keys), &f);
    assert_eq!(kms.requests(), 0);
    decrypts(
        secret(&sb, &kms)
            .env("SOPS_AGE_KEY_FILE", &keys)
            .args(["--decryption-order", "gcp_kms,age"]),
        &f,
    );
    assert_eq!(kms.requests(), 1);
    // groups add --gcp-kms: a second group; both groups are needed to decrypt.
    stdout_of(
        secret(&sb, &kms)
            .env("SOPS_AGE_KEY_FILE", &keys)
            .args(["groups", "add", "-i", "-f"])
            .arg(&f)
            .args(["--gcp-kms", ID]),
    );
    decrypts(&mut secret(&sb, &kms), &f);
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(text.contains("key_groups:"), "{text}");
}

#[cfg(feature = "vault")]
#[test]
fn mixed_shamir_groups_survive_one_service_down() {
    let kms = gcp();
    let vault = Emulator::start("vault", &["--token", "vt"]);
    let sb = Sandbox::new();
    let p = sb.write("plain.yaml", PLAIN);
    sb.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age:\n          - {AGE1}\n      - hc_vault:\n          - {}/v1/transit/keys/k1\n      - gcp_kms:\n          - resource_id: {ID}\n",
            vault.url()
        ),
    );
    let out = stdout_of(
        secret(&sb, &kms)
            .env("VAULT_TOKEN", "vt")
            .arg("encrypt")
            .arg(&p),
    );
    let f = sb.write("mixed.yaml", out);
    let keys = key("age1.txt");
    // Vault down: age + GCP.
    drop(vault);
    decrypts(
        secret(&sb, &kms)
            .env("VAULT_TOKEN", "vt")
            .env("VAULT_MAX_RETRIES", "0")
            .env("SOPS_AGE_KEY_FILE", &keys),
        &f,
    );
    // Vault and the age key gone: one group of three, threshold 2.
    let err = decrypt_error(
        secret(&sb, &kms)
            .env("VAULT_TOKEN", "vt")
            .env("VAULT_MAX_RETRIES", "0"),
        &f,
    );
    assert!(
        err.contains("only 1 of 3 key groups could be opened, 2 needed"),
        "{err}"
    );
    assert!(err.contains("hc_vault") && err.contains("age"), "{err}");
}

const SUBJECT: &str = "eyJ.federated-subject.sig";
const AUDIENCE: &str =
    "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/gh";

/// An emulator that also federates identities presenting [`SUBJECT`] for [`AUDIENCE`].
fn federating(extra: &[&str]) -> Emulator {
    let mut args = vec![
        "--token",
        TOKEN,
        "--subject-token",
        SUBJECT,
        "--audience",
        AUDIENCE,
    ];
    args.extend_from_slice(extra);
    Emulator::start("gcpkms", &args)
}

/// `external_account` credentials for the emulator with this `credential_source`.
fn external_account(kms: &Emulator, source: &str, impersonate: bool) -> String {
    let impersonation = if impersonate {
        format!(
            r#""service_account_impersonation_url": "{}/v1/projects/-/serviceAccounts/ci@p1.iam.gserviceaccount.com:generateAccessToken","#,
            kms.url()
        )
    } else {
        String::new()
    };
    format!(
        r#"{{"type": "external_account", "audience": "{AUDIENCE}",
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": "{}/v1/token", {impersonation}
            "credential_source": {source}}}"#,
        kms.url()
    )
}

#[test]
fn workload_identity_federation_file_url_and_program_sources() {
    let kms = federating(&[]);
    let sb = Sandbox::new();
    let f = encrypted(&sb, &kms);
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    // A text file is trimmed, as Google's libraries trim it.
    std::fs::write(&token_file, format!("{SUBJECT}\n")).unwrap();
    let file_source = format!(r#"{{"file": "{}"}}"#, token_file.display());
    let creds = sb.write("wif.json", external_account(&kms, &file_source, false));
    decrypts(
        bare(&sb, &kms).env("GOOGLE_APPLICATION_CREDENTIALS", &creds),
        &f,
    );

    // A URL answering JSON (GitHub Actions' shape), then impersonation, with a provider
    // whose federated identities may not call KMS themselves: this passes only when the
    // service account's token is fetched and used.
    let impersonating = federating(&["--federated-kms-denied"]);
    let other = Sandbox::new();
    let g = encrypted(&other, &impersonating);
    let url_source = format!(
        r#"{{"url": "{}/subject", "headers": {{"Authorization": "Bearer {SUBJECT}"}},
             "format": {{"type": "json", "subject_token_field_name": "value"}}}}"#,
        impersonating.url()
    );
    let direct = external_account(&impersonating, &url_source, false);
    let err = decrypt_error(
        bare(&sb, &impersonating).env("GOOGLE_CREDENTIALS", &direct),
        &g,
    );
    assert!(err.contains("Error 401"), "{err}");
    let creds = external_account(&impersonating, &url_source, true);
    decrypts(
        bare(&sb, &impersonating).env("GOOGLE_CREDENTIALS", &creds),
        &g,
    );

    // A program, allowed explicitly; its answer cached in output_file is used while valid.
    let program = dir.path().join("subject.sh");
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\n[ \"$GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE\" = '{AUDIENCE}' ] || exit 3\n\
             echo '{{\"version\": 1, \"success\": true, \"token_type\": \
             \"urn:ietf:params:oauth:token-type:id_token\", \"id_token\": \"{SUBJECT}\"}}'\n"
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    let program_source = format!(
        r#"{{"executable": {{"command": "{} --flag"}}}}"#,
        program.display()
    );
    let creds = external_account(&kms, &program_source, false);
    let err = decrypt_error(bare(&sb, &kms).env("GOOGLE_CREDENTIALS", &creds), &f);
    assert!(
        err.contains("GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1"),
        "{err}"
    );
    decrypts(
        bare(&sb, &kms)
            .env("GOOGLE_CREDENTIALS", &creds)
            .env("GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES", "1"),
        &f,
    );
    let cache = dir.path().join("cached.json");
    std::fs::write(
        &cache,
        format!(
            r#"{{"version": 1, "success": true, "token_type": "urn:ietf:params:oauth:token-type:jwt",
                "id_token": "{SUBJECT}", "expiration_time": 99999999999}}"#
        ),
    )
    .unwrap();
    let cached_source = format!(
        r#"{{"executable": {{"command": "/bin/false", "output_file": "{}"}}}}"#,
        cache.display()
    );
    let creds = external_account(&kms, &cached_source, false);
    decrypts(bare(&sb, &kms).env("GOOGLE_CREDENTIALS", &creds), &f);
}

#[test]
fn federation_errors_say_what_failed_without_the_subject_token() {
    let kms = federating(&[]);
    let sb = Sandbox::new();
    let f = encrypted(&sb, &kms);
    // A subject token the provider does not accept: the STS answer, not the token.
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "eyJ.someone-else.sig").unwrap();
    let creds = external_account(
        &kms,
        &format!(r#"{{"file": "{}"}}"#, token_file.display()),
        false,
    );
    let err = decrypt_error(bare(&sb, &kms).env("GOOGLE_CREDENTIALS", &creds), &f);
    assert!(
        err.contains("security token service") && err.contains("invalid_grant") && err.contains(ID),
        "{err}"
    );
    assert!(!err.contains("someone-else"), "{err}");
    for (source, want) in [
        (r#"{"environment_id": "aws1"}"#, "AWS-sourced"),
        (r#"{}"#, "names no file, url or executable"),
        (
            r#"{"file": "/nonexistent/token"}"#,
            "cannot open the credential_source file /nonexistent/token",
        ),
    ] {
        let creds = external_account(&kms, source, false);
        let err = decrypt_error(bare(&sb, &kms).env("GOOGLE_CREDENTIALS", &creds), &f);
        assert!(err.contains(want), "{source}: {err}");
    }
}

#[test]
fn impersonated_service_account_credentials_use_their_source() {
    let kms = federating(&["--refresh-token", "1//refresh"]);
    let sb = Sandbox::new();
    let f = encrypted(&sb, &kms);
    let creds = format!(
        r#"{{"type": "impersonated_service_account",
            "service_account_impersonation_url": "{url}/v1/projects/-/serviceAccounts/sa@p1.iam.gserviceaccount.com:generateAccessToken",
            "delegates": [],
            "source_credentials": {{"type": "authorized_user", "client_id": "c",
                "client_secret": "s", "refresh_token": "1//refresh", "token_uri": "{url}/token"}}}}"#,
        url = kms.url()
    );
    decrypts(bare(&sb, &kms).env("GOOGLE_CREDENTIALS", &creds), &f);
}
