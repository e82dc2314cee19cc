//! `secret publish` to Google Cloud Storage against `tests/emulators/gcs.py`, started by each
//! test on a free port: reached through `STORAGE_EMULATOR_HOST` (as sops reaches an emulator,
//! so both tools are compared), and as `https://storage.googleapis.com` through the
//! emulator's TLS proxy with a bearer token, the production code path.
#![cfg(feature = "gcp")]

mod common;
use common::emulator::{without, Emulator};
use common::*;

const PLAIN: &str = "db:\n    user: admin\n    password: hunter2\n";
const TOKEN: &str = "ya29.gcs-test-token";

/// Variables of the developer's environment that would change where uploads go.
const GCS_VARS: &[&str] = &[
    "STORAGE_EMULATOR_HOST",
    "GOOGLE_CREDENTIALS",
    "GOOGLE_OAUTH_ACCESS_TOKEN",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "CLOUDSDK_CONFIG",
    "GCE_METADATA_HOST",
    "NO_PROXY",
    "no_proxy",
];

/// A sandbox whose config sends everything to `gcs://bkt/p/`.
fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.write(
        ".sops.yaml",
        "destination_rules:\n  - gcs_bucket: bkt\n    gcs_prefix: p/\n",
    );
    sb
}

fn object(gcs: &Emulator, name: &str) -> (u16, String) {
    gcs.request(
        "GET",
        &format!("/storage/v1/b/bkt/o/{name}?alt=media"),
        &[],
        "",
    )
}

fn publish(tool: assert_cmd::Command, gcs: &Emulator) -> std::process::Output {
    let mut cmd = without(tool, GCS_VARS);
    cmd.env("STORAGE_EMULATOR_HOST", format!("127.0.0.1:{}", gcs.port))
        .args(["publish", "-y", "app.yaml"])
        .output()
        .unwrap()
}

#[test]
fn the_file_goes_byte_for_byte_as_sops_sends_it() {
    let sb = sandbox();
    let file = sb.sops_file("app.yaml", PLAIN);
    let original = String::from_utf8(std::fs::read(&file).unwrap()).unwrap();
    let (for_sops, for_secret) = (
        Emulator::start("gcs", &["--bucket", "bkt"]),
        Emulator::start("gcs", &["--bucket", "bkt"]),
    );
    let out = publish(sb.sops(), &for_sops);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = publish(sb.secret(), &for_secret);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(object(&for_sops, "p%2Fapp.yaml"), (200, original.clone()));
    assert_eq!(object(&for_secret, "p%2Fapp.yaml"), (200, original));
}

#[test]
fn a_failed_upload_is_an_error_with_the_service_message() {
    let sb = sandbox();
    sb.sops_file("app.yaml", PLAIN);
    let gcs = Emulator::start("gcs", &["--bucket", "other"]);
    // sops 3.11 exits 0 here: its GCS writer reports the failure only when closed, and
    // that error is dropped. A failed publication must not look like a success.
    assert!(publish(sb.sops(), &gcs).status.success());
    let (code, err) = failure_of(publish(sb.secret(), &gcs));
    assert_eq!(code, 1);
    assert!(
        err.contains("gcs://bkt/p/app.yaml") && err.contains("bucket does not exist"),
        "{err}"
    );
}

#[test]
fn the_real_endpoint_is_used_with_google_credentials() {
    let sb = sandbox();
    let file = sb.sops_file("app.yaml", PLAIN);
    let original = String::from_utf8(std::fs::read(&file).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let gcs = Emulator::start(
        "gcs",
        &[
            "--tls-proxy",
            ca.to_str().unwrap(),
            "--bucket",
            "bkt",
            "--token",
            TOKEN,
            "--require-auth",
        ],
    );
    let run = |token: &str| {
        let mut cmd = without(sb.secret(), GCS_VARS);
        cmd.env("HTTPS_PROXY", gcs.url())
            .env("SSL_CERT_FILE", &ca)
            .env("GOOGLE_OAUTH_ACCESS_TOKEN", token)
            .args(["publish", "-y", "app.yaml"])
            .output()
            .unwrap()
    };
    let (code, err) = failure_of(run("ya29.wrong"));
    assert_eq!(code, 1);
    assert!(err.contains("Error 401") && !err.contains("ya29"), "{err}");
    let out = run(TOKEN);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (status, body) = gcs.request(
        "GET",
        "/storage/v1/b/bkt/o/p%2Fapp.yaml?alt=media",
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        "",
    );
    assert_eq!((status, body), (200, original));
}
