//! AWS KMS master keys against a local KMS (moto, started by `tests/kms/kms-local.sh`, one
//! server per test binary) and the real sops; retries and call counts through
//! `tests/kms/fault-proxy.py`. Keys are created in each test: moto forgets them when it stops.
//!
//! moto is found through `MOTO_SERVER`, else `.venv/bin/moto_server` (what `scripts/test.sh`
//! installs), else `moto_server` on PATH. A missing moto is a failure, never a skip.
#![cfg(feature = "aws")]

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const PLAIN: &str = "{\n\t\"db\": {\n\t\t\"user\": \"admin\",\n\t\t\"password\": \"hunter2\"\n\t},\n\t\"port\": 5432\n}\n";
const ROLE: &str = "arn:aws:iam::123456789012:role/sops-test";

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kms")
}

/// Variables of the developer's environment that would change which AWS credentials,
/// endpoints or retry settings the tools use.
const AWS_VARS: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_SESSION_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_KMS",
    "AWS_ENDPOINT_URL_STS",
    "SOPS_KMS_ARN",
];

/// The local KMS of this test binary.
struct Moto {
    port: u16,
    dir: PathBuf,
    /// `K=V` pairs printed by `kms-local.sh start`.
    env: Vec<(String, String)>,
}

fn moto_command() -> Option<String> {
    if let Some(m) = std::env::var_os("MOTO_SERVER") {
        return Some(m.to_string_lossy().into_owned());
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
    venv.is_file().then(|| venv.display().to_string())
}

fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("secret-kms-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let mut cmd = Command::new(scripts().join("kms-local.sh"));
        cmd.args(["start", &port.to_string()])
            .env("KMS_LOCAL_DIR", &dir)
            .stdin(Stdio::null());
        if let Some(m) = moto_command() {
            cmd.env("MOTO_SERVER", m);
        }
        let out = cmd.output().expect("run tests/kms/kms-local.sh");
        assert!(
            out.status.success(),
            "the local KMS did not start (install moto: scripts/test.sh, or set MOTO_SERVER): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let env = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // Stops the server (by the pid the script recorded) once this test binary has exited;
        // it outlives this process on purpose, so it is never waited for.
        let watchdog = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \"$0\" stop; rm -rf \"$KMS_LOCAL_DIR\"",
            pid = std::process::id()
        );
        #[allow(clippy::zombie_processes)]
        Command::new("sh")
            .args(["-c", &watchdog])
            .arg(scripts().join("kms-local.sh"))
            .env("KMS_LOCAL_DIR", &dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the watchdog");
        Moto { port, dir, env }
    })
}

impl Moto {
    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates a symmetric key, returns its ARN.
    fn create_key(&self) -> String {
        let out = Command::new(scripts().join("kms-local.sh"))
            .arg("create-key")
            .env("KMS_LOCAL_DIR", &self.dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// The test environment for a tool talking to `endpoint` (moto or a proxy before it).
    fn apply(&self, cmd: &mut assert_cmd::Command, endpoint: &str) {
        for var in AWS_VARS {
            cmd.env_remove(var);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ENDPOINT_URL_KMS", endpoint);
    }
}

fn secret_at(sb: &Sandbox, endpoint: &str) -> assert_cmd::Command {
    let mut cmd = sb.secret();
    moto().apply(&mut cmd, endpoint);
    cmd
}

fn secret(sb: &Sandbox) -> assert_cmd::Command {
    secret_at(sb, &moto().endpoint())
}

fn sops(sb: &Sandbox) -> assert_cmd::Command {
    let mut cmd = sb.sops();
    moto().apply(&mut cmd, &moto().endpoint());
    cmd
}

/// The fault proxy in front of the local KMS; killed when dropped.
struct Proxy {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Proxy {
    /// A proxy that faults only Decrypt requests.
    fn start(faults: &[&str]) -> Proxy {
        Proxy::start_for(&["--only", "TrentService.Decrypt"], faults)
    }

    /// A proxy whose faults hit the operations `only` names (`[]`: every operation); every
    /// request is logged to `calls.jsonl`.
    fn start_for(only: &[&str], faults: &[&str]) -> Proxy {
        let dir = tempfile::tempdir().unwrap();
        let port_file = dir.path().join("port");
        let child = Command::new("python3")
            .arg(scripts().join("fault-proxy.py"))
            .args(["--upstream", &moto().endpoint(), "--port", "0"])
            .arg("--port-file")
            .arg(&port_file)
            .arg("--count-file")
            .arg(dir.path().join("counts.json"))
            .arg("--log")
            .arg(dir.path().join("calls.jsonl"))
            .args(only)
            .args(["--lifetime", "300"])
            .args(faults)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start tests/kms/fault-proxy.py");
        let deadline = Instant::now() + Duration::from_secs(20);
        let port = loop {
            if let Some(p) = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|s| s.trim().parse().ok())
            {
                break p;
            }
            assert!(Instant::now() < deadline, "the fault proxy did not start");
            std::thread::sleep(Duration::from_millis(50));
        };
        Proxy { child, port, dir }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many Decrypt requests reached the proxy.
    fn decrypt_calls(&self) -> u64 {
        let text = std::fs::read_to_string(self.dir.path().join("counts.json")).unwrap_or_default();
        text.split("\"TrentService.Decrypt\":")
            .nth(1)
            .and_then(|rest| {
                rest.trim_start()
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|n| n.parse().ok())
            })
            .unwrap_or(0)
    }
}

impl Proxy {
    /// How many requests of `target` (e.g. `TrentService.Encrypt`) were forwarded to KMS,
    /// and how many were answered with an injected fault.
    fn forwarded_and_faulted(&self, target: &str) -> (usize, usize) {
        let log = std::fs::read_to_string(self.dir.path().join("calls.jsonl")).unwrap_or_default();
        let mine = log
            .lines()
            .filter(|l| l.contains(&format!("\"target\": \"{target}\"")));
        let (mut forwarded, mut faulted) = (0, 0);
        for line in mine {
            if line.contains("\"action\": \"forward\"") {
                forwarded += 1;
            } else {
                faulted += 1;
            }
        }
        (forwarded, faulted)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Encrypts PLAIN with `secret` and the given flags; returns the path of the encrypted file.
fn encrypt_with_secret(sb: &Sandbox, flags: &[&str]) -> PathBuf {
    let plain = sb.write("plain.json", PLAIN);
    let enc = stdout_of(secret(sb).arg("encrypt").args(flags).arg(&plain));
    sb.write("enc.json", enc)
}

fn decrypt(cmd: &mut assert_cmd::Command, file: &Path) -> Vec<u8> {
    stdout_of(cmd.arg("decrypt").arg(file))
}

#[test]
fn secret_encrypts_sops_decrypts() {
    let sb = Sandbox::new();
    let arn = moto().create_key();
    let file = encrypt_with_secret(&sb, &["--kms", &arn]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(&format!("\"arn\": \"{arn}\"")), "{text}");
    assert!(text.contains("\"aws_profile\": \"\""), "{text}");
    assert!(!text.contains("\"context\""), "{text}");
    assert_same(&decrypt(&mut sops(&sb), &file), PLAIN.as_bytes(), "sops");
    assert_same(
        &decrypt(&mut secret(&sb), &file),
        PLAIN.as_bytes(),
        "secret",
    );
}

#[test]
fn encryption_context_round_trips_with_sops() {
    let sb = Sandbox::new();
    let arn = moto().create_key();
    let file = encrypt_with_secret(
        &sb,
        &["--kms", &arn, "--encryption-context", "env:prod,app:web"],
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains(
            "\"context\": {\n\t\t\t\t\t\"app\": \"web\",\n\t\t\t\t\t\"env\": \"prod\"\n\t\t\t\t},"
        ),
        "context keys sorted, before created_at: {text}"
    );
    assert_same(&decrypt(&mut sops(&sb), &file), PLAIN.as_bytes(), "sops");

    // and the other way: sops encrypts with a context, secret decrypts
    let plain = sb.write("plain.json", PLAIN);
    let by_sops = stdout_of(
        sops(&sb)
            .args(["encrypt", "--kms", &arn, "--encryption-context", "team:a"])
            .arg(&plain),
    );
    let file = sb.write("sops.json", by_sops);
    assert_same(
        &decrypt(&mut secret(&sb), &file),
        PLAIN.as_bytes(),
        "secret",
    );
}

#[test]
fn sops_encrypts_secret_decrypts() {
    let sb = Sandbox::new();
    let arn = moto().create_key();
    let plain = sb.write("plain.json", PLAIN);
    let by_sops = stdout_of(sops(&sb).args(["encrypt", "--kms", &arn]).arg(&plain));
    let file = sb.write("sops.json", by_sops);
    assert_same(
        &decrypt(&mut secret(&sb), &file),
        PLAIN.as_bytes(),
        "secret",
    );
}

#[test]
fn kms_with_age_and_decryption_order() {
    let sb = Sandbox::new();
    let arn = moto().create_key();
    let file = encrypt_with_secret(&sb, &["--kms", &arn, "--age", AGE1]);
    // sops with only KMS at hand
    assert_same(&decrypt(&mut sops(&sb), &file), PLAIN.as_bytes(), "sops");
    // age comes first in the default order: with the age key, KMS is not called at all
    let proxy = Proxy::start(&[]);
    let mut cmd = secret_at(&sb, &proxy.endpoint());
    cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"));
    assert_same(&decrypt(&mut cmd, &file), PLAIN.as_bytes(), "secret (age)");
    assert_eq!(proxy.decrypt_calls(), 0);
    // without it, the KMS key opens the file with one call
    assert_same(
        &decrypt(&mut secret_at(&sb, &proxy.endpoint()), &file),
        PLAIN.as_bytes(),
        "secret (kms)",
    );
    assert_eq!(proxy.decrypt_calls(), 1);
}

#[test]
fn one_decrypt_call_per_run() {
    let sb = Sandbox::new();
    let (a, b) = (moto().create_key(), moto().create_key());
    let file = encrypt_with_secret(&sb, &["--kms", &format!("{a},{b}")]);
    let proxy = Proxy::start(&[]);
    assert_same(
        &decrypt(&mut secret_at(&sb, &proxy.endpoint()), &file),
        PLAIN.as_bytes(),
        "secret",
    );
    assert_eq!(proxy.decrypt_calls(), 1, "the first KMS key opens the file");
}

#[test]
fn wrong_context_fails_clearly_and_writes_nothing() {
    let sb = Sandbox::new();
    let arn = moto().create_key();
    let file = encrypt_with_secret(&sb, &["--kms", &arn, "--encryption-context", "env:prod"]);
    let text = std::fs::read_to_string(&file).unwrap();
    let tampered = sb.write("tampered.json", text.replace("\"prod\"", "\"dev\""));
    let out = sb.path().join("out.json");
    let (code, err) = failure(
        secret(&sb)
            .args(["decrypt", "--output"])
            .arg(&out)
            .arg(&tampered),
    );
    assert_eq!(code, 128, "{err}");
    assert!(err.contains("encryption context"), "{err}");
    assert!(err.contains(&arn), "{err}");
    assert!(!out.exists());
    let (sops_code, _) = failure(sops(&sb).arg("decrypt").arg(&tampered));
    assert_eq!(sops_code, code);
}

#[test]
fn unknown_key_fails_clearly() {
    let sb = Sandbox::new();
    let arn = moto().create_key();
    let unknown = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000";
    // encrypting: exit 1 like sops, nothing written
    let plain = sb.write("plain.json", PLAIN);
    let out = sb.path().join("out.json");
    let (code, err) = failure(
        secret(&sb)
            .args(["encrypt", "--kms", unknown, "--output"])
            .arg(&out)
            .arg(&plain),
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("does not exist") && err.contains(unknown),
        "{err}"
    );
    assert!(!out.exists());
    // decrypting a file whose key is gone: 128
    let file = encrypt_with_secret(&sb, &["--kms", &arn]);
    let text = std::fs::read_to_string(&file).unwrap();
    let gone = sb.write("gone.json", text.replace(&arn, unknown));
    let (code, err) = failure(secret(&sb).arg("decrypt").arg(&gone));
    assert_eq!(code, 128, "{err}");
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn access_denied_fails_at_once() {
    // moto answers AccessDeniedException when Decrypt names a key other than the blob's
    let sb = Sandbox::new();
    let (a, b) = (moto().create_key(), moto().create_key());
    let file = encrypt_with_secret(&sb, &["--kms", &a]);
    let text = std::fs::read_to_string(&file).unwrap();
    let other = sb.write("other.json", text.replace(&a, &b));
    let proxy = Proxy::start(&[]);
    let started = Instant::now();
    let (code, err) = failure(secret_at(&sb, &proxy.endpoint()).arg("decrypt").arg(&other));
    assert_eq!(code, 128, "{err}");
    assert!(
        err.contains("access denied") && err.contains("key policy"),
        "{err}"
    );
    assert_eq!(proxy.decrypt_calls(), 1, "not retried");
    assert!(started.elapsed() < Duration::from_secs(5));
    let (sops_code, _) = failure(sops(&sb).arg("decrypt").arg(&other));
    assert_eq!(sops_code, code);
}

#[test]
fn survives_four_throttles_in_a_row() {
    let sb = Sandbox::new();
    let arn = moto().create_key();
    let file = encrypt_with_secret(&sb, &["--kms", &arn]);
    let proxy = Proxy::start(&["--throttle", "4"]);
    assert_same(
        &decrypt(&mut secret_at(&sb, &proxy.endpoint()), &file),
        PLAIN.as_bytes(),
        "secret",
    );
    assert_eq!(proxy.decrypt_calls(), 5);
}

#[test]
fn permanent_failure_ends_in_bounded_time() {
    let sb = Sandbox::new();
    let arn = moto().create_key();
    let file = encrypt_with_secret(&sb, &["--kms", &arn]);
    let proxy = Proxy::start(&["--error500", "1000"]);
    let started = Instant::now();
    let (code, err) = failure(secret_at(&sb, &proxy.endpoint()).arg("decrypt").arg(&file));
    let took = started.elapsed();
    assert_eq!(code, 128, "{err}");
    assert!(err.contains("kept failing") && err.contains(&arn), "{err}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert_eq!(proxy.decrypt_calls(), 8);

    // nothing listening at all: same bound, a clear message
    let dead = format!("http://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let (code, err) = failure(secret_at(&sb, &dead).arg("decrypt").arg(&file));
    assert_eq!(code, 128, "{err}");
    assert!(err.contains("could not reach KMS"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn role_round_trips() {
    let sb = Sandbox::new();
    let arn = moto().create_key();
    let file = encrypt_with_secret(&sb, &["--kms", &format!("{arn}+{ROLE}")]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(&format!("\"role\": \"{ROLE}\"")), "{text}");
    assert_same(
        &decrypt(&mut secret(&sb), &file),
        PLAIN.as_bytes(),
        "secret",
    );
    assert_same(&decrypt(&mut sops(&sb), &file), PLAIN.as_bytes(), "sops");
}

#[test]
fn creation_rules_with_profiles_and_key_groups() {
    let sb = Sandbox::new();
    let (a, b, c) = (
        moto().create_key(),
        moto().create_key(),
        moto().create_key(),
    );
    // credentials only through the profile named by the rule
    std::fs::create_dir_all(sb.path().join(".aws")).unwrap();
    sb.write(
        ".aws/credentials",
        "[dev]\naws_access_key_id = test\naws_secret_access_key = test\n",
    );
    sb.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n\
             \x20 - path_regex: flat\\.json$\n\
             \x20   kms: '{a}'\n\
             \x20   aws_profile: dev\n\
             \x20 - path_regex: groups\\.json$\n\
             \x20   key_groups:\n\
             \x20     - kms:\n\
             \x20         - arn: {b}\n\
             \x20           context: {{tier: gold}}\n\
             \x20     - kms:\n\
             \x20         - arn: {c}\n\
             \x20           aws_profile: dev\n"
        ),
    );
    let no_static_creds = |mut cmd: assert_cmd::Command| {
        cmd.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        cmd
    };
    let flat = sb.write("flat.json", PLAIN);
    let enc = stdout_of(
        no_static_creds(secret(&sb))
            .args(["encrypt", "--encryption-context", "k:v"])
            .arg(&flat),
    );
    let text = String::from_utf8(enc.clone()).unwrap();
    assert!(text.contains("\"aws_profile\": \"dev\""), "{text}");
    assert!(text.contains("\"k\": \"v\""), "{text}");
    let file = sb.write("flat.enc.json", enc);
    let mut cmd = no_static_creds(sops(&sb));
    assert_same(&decrypt(&mut cmd, &file), PLAIN.as_bytes(), "sops");

    let groups = sb.write("groups.json", PLAIN);
    let enc = stdout_of(secret(&sb).arg("encrypt").arg(&groups));
    let text = String::from_utf8(enc.clone()).unwrap();
    assert!(text.contains("\"key_groups\""), "{text}");
    assert!(text.contains("\"tier\": \"gold\""), "{text}");
    let file = sb.write("groups.enc.json", enc);
    assert_same(&decrypt(&mut sops(&sb), &file), PLAIN.as_bytes(), "sops");
    assert_same(
        &decrypt(&mut secret(&sb), &file),
        PLAIN.as_bytes(),
        "secret",
    );
}

#[test]
fn malformed_encryption_context_is_exit_6() {
    let sb = Sandbox::new();
    let plain = sb.write("plain.json", PLAIN);
    for bad in ["a", "a:b:c", "a:b,c"] {
        let (code, err) = failure(
            sb.secret()
                .args(["encrypt", "--kms", "arn:aws:kms:us-east-1:1:key/x"])
                .args(["--encryption-context", bad])
                .arg(&plain),
        );
        assert_eq!(code, 6, "{bad}: {err}");
    }
}

#[test]
fn rotate_adds_a_kms_key_with_context() {
    let sb = Sandbox::new();
    let arn = moto().create_key();
    let file = encrypt_with_secret(&sb, &["--age", AGE1]);
    stdout_of(
        secret(&sb)
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args([
                "rotate",
                "-i",
                "--add-kms",
                &arn,
                "--encryption-context",
                "env:prod",
            ])
            .arg(&file),
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\"env\": \"prod\""), "{text}");
    // The new KMS key alone opens the rotated file, for sops and for secret.
    assert_same(&decrypt(&mut sops(&sb), &file), PLAIN.as_bytes(), "sops");
    assert_same(
        &decrypt(&mut secret(&sb), &file),
        PLAIN.as_bytes(),
        "secret",
    );
}

/// The monorepo case: `updatekeys -r` over many KMS-encrypted files while a fifth of the KMS
/// calls are throttled. Every file is done, with exactly one forwarded Decrypt and one
/// forwarded Encrypt per file and key (throttled calls are retried, nothing is redone).
#[test]
fn updatekeys_over_a_tree_survives_throttling_with_one_call_per_file_and_key() {
    const FILES: usize = 12;
    let sb = Sandbox::new();
    let arn = moto().create_key();
    std::fs::create_dir(sb.path().join("secrets")).unwrap();
    for i in 0..FILES {
        let plain = sb.write(&format!("plain{i}.json"), PLAIN);
        let enc = stdout_of(secret(&sb).args(["encrypt", "--kms", &arn]).arg(&plain));
        sb.write(&format!("secrets/app{i}.json"), enc);
    }
    // The rule now also names an age recipient: every file needs its keys updated.
    sb.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: ^secrets/\n    kms: {arn}\n    age: {AGE1}\n"),
    );
    let proxy = Proxy::start_for(&[], &["--throttle-rate", "0.2", "--seed", "7"]);
    let out = secret_at(&sb, &proxy.endpoint())
        .args(["updatekeys", "-y", "-r", "secrets", "--jobs", "4"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (decrypts, throttled_d) = proxy.forwarded_and_faulted("TrentService.Decrypt");
    let (encrypts, throttled_e) = proxy.forwarded_and_faulted("TrentService.Encrypt");
    assert!(throttled_d + throttled_e > 0, "the proxy throttled nothing");
    assert_eq!((decrypts, encrypts), (FILES, FILES));
    // Every file is whole and now opens with the age key alone, no KMS needed.
    for i in 0..FILES {
        let file = sb.path().join(format!("secrets/app{i}.json"));
        let mut cmd = sb.secret();
        cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"));
        assert_same(
            &decrypt(&mut cmd, &file),
            PLAIN.as_bytes(),
            "age after updatekeys",
        );
    }
}
