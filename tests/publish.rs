//! `secret publish` to S3 against moto's S3 (started by each test on a free port, stopped
//! when the test ends), compared with what the real sops publishes.
#![cfg(feature = "s3")]

mod common;
use common::*;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PLAIN: &str = "db:\n    user: admin\n    password: hunter2\n";
const AGE2: &str = "age18ept7lq70vg3zau47jq3qegm54ul6phpq2qf5u4ug6v7aj45kqzqfhqvyc";

/// An unsigned S3 authorization header: the credential scope tells moto the service.
const S3_AUTH: &str = "AWS4-HMAC-SHA256 Credential=test/20200101/us-east-1/s3/aws4_request, \
                       SignedHeaders=host, Signature=0";

/// moto's server (`MOTO_SERVER`, else the venv's); killed when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let program = std::env::var("MOTO_SERVER").unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(".venv/bin/moto_server")
                .display()
                .to_string()
        });
        let port = free_port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program} (run scripts/test.sh): {e}"));
        let mut moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while moto.request("GET", "/", b"").0 == 0 {
            assert!(moto.child.try_wait().unwrap().is_none(), "moto exited");
            assert!(Instant::now() < deadline, "moto did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// One plain HTTP/1.0 request (moto checks no signatures, but routes by the credential
    /// scope); (status, body), status 0
    /// when nothing answers.
    fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return (0, Vec::new());
        };
        let head = format!(
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\
             Authorization: {S3_AUTH}\r\n\r\n",
            body.len()
        );
        let mut reply = Vec::new();
        let sent = stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body));
        if sent
            .and_then(|()| stream.read_to_end(&mut reply).map(drop))
            .is_err()
        {
            return (0, Vec::new());
        }
        let split = reply
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(reply.len());
        let status = String::from_utf8_lossy(&reply[..split])
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, reply.get(split + 4..).unwrap_or_default().to_vec())
    }

    /// The object's bytes, or `None` when there is no such object.
    fn object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        match self.request("GET", &format!("/{bucket}/{key}"), b"") {
            (200, body) => Some(body),
            _ => None,
        }
    }

    /// The AWS environment that sends the SDKs (sops' and secret's) to this server.
    fn env<'a>(&self, cmd: &'a mut assert_cmd::Command) -> &'a mut assert_cmd::Command {
        for var in [
            "AWS_PROFILE",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_SESSION_TOKEN",
        ] {
            cmd.env_remove(var);
        }
        cmd.env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", self.port),
        )
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A sandbox with moto, bucket `bkt` and a config sending everything to `s3://bkt/p/`.
fn setup(rule_extra: &str) -> (Sandbox, Moto) {
    let sb = Sandbox::new();
    let moto = Moto::start();
    assert_eq!(moto.request("PUT", "/bkt", b"").0, 200);
    sb.write(
        ".sops.yaml",
        format!("destination_rules:\n  - s3_bucket: bkt\n    s3_prefix: p/\n{rule_extra}"),
    );
    (sb, moto)
}

#[test]
fn without_a_recreation_rule_the_file_goes_byte_for_byte_as_sops_sends_it() {
    let (sb, moto) = setup("");
    let file = sb.sops_file("app.yaml", PLAIN);
    let original = std::fs::read(&file).unwrap();
    stdout_of(moto.env(&mut sb.sops()).args(["publish", "-y", "app.yaml"]));
    assert_eq!(moto.object("bkt", "p/app.yaml").unwrap(), original);
    moto.request("DELETE", "/bkt/p/app.yaml", b"");
    assert_eq!(moto.object("bkt", "p/app.yaml"), None);
    stdout_of(
        moto.env(&mut sb.secret())
            .args(["publish", "--yes", "app.yaml"]),
    );
    assert_eq!(moto.object("bkt", "p/app.yaml").unwrap(), original);
}

#[test]
fn a_recreation_rule_reencrypts_for_its_keys_with_a_new_data_key() {
    let (sb, moto) = setup(&format!("    recreation_rule:\n      age: {AGE2}\n"));
    let file = sb.sops_file("app.yaml", PLAIN);
    let out = stdout_of(
        moto.env(&mut sb.secret())
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["publish", "-y", "--omit-extensions"])
            .arg(&file),
    );
    let shown = String::from_utf8(out).unwrap();
    assert!(
        shown.contains("The following changes will be made to the file's key groups:")
            && shown.contains(&format!("+++ {AGE2}"))
            && shown.contains(&format!("--- {AGE1}")),
        "{shown}"
    );
    let published = sb.write("published.yaml", moto.object("bkt", "p/app").unwrap());
    let text = String::from_utf8(std::fs::read(&published).unwrap()).unwrap();
    assert!(text.contains(AGE2) && !text.contains(AGE1), "{text}");
    // Only the new key opens it, for sops as well.
    let dec = stdout_of(
        sb.sops()
            .env("SOPS_AGE_KEY_FILE", key("age2.txt"))
            .arg("decrypt")
            .arg(&published),
    );
    assert_eq!(String::from_utf8(dec).unwrap(), PLAIN);
    let out = sb
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .arg("decrypt")
        .arg(&published)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(128));
}

#[test]
fn recursive_publication_asks_per_file_and_keeps_relative_names() {
    let (sb, moto) = setup("");
    std::fs::create_dir_all(sb.path().join("dir/sub")).unwrap();
    for (name, to) in [("a.yaml", "dir/a.yaml"), ("b.yaml", "dir/sub/b.yaml")] {
        std::fs::rename(sb.sops_file(name, PLAIN), sb.path().join(to)).unwrap();
    }
    let out = moto
        .env(&mut sb.secret())
        .args(["publish", "dir"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("without --recursive flag"));
    // "n" for dir/a.yaml, "y" for dir/sub/b.yaml.
    let out = stdout_of(
        moto.env(&mut sb.secret())
            .args(["publish", "--recursive", "dir"])
            .write_stdin("n\ny\n"),
    );
    let shown = String::from_utf8(out).unwrap();
    let abs = sb.path().join("dir/a.yaml");
    assert!(
        shown.contains(&format!(
            "uploading {} to s3://bkt/p/a.yaml ? (y/n): ",
            abs.display()
        )) && shown.contains(&format!("Publication of {} canceled", abs.display())),
        "{shown}"
    );
    assert_eq!(moto.object("bkt", "p/a.yaml"), None);
    assert!(moto.object("bkt", "p/sub/b.yaml").is_some());
}
