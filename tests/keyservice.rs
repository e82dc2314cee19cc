//! The gRPC key service against the real sops, both ways: `sops keyservice` serving
//! `secret --keyservice`, and `secret keyservice` serving `sops --keyservice`; over TCP and
//! unix sockets; service order, error lists and shutdown. Each test starts its own servers
//! on 127.0.0.1 (free ports) or in its sandbox (sockets) and stops them.
#![cfg(feature = "keyservice")]

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const PLAIN: &str = "db:\n    user: admin\n    password: hunter2\nport: 5432\n";

/// A key service process; stopped (SIGTERM) when dropped.
struct Server {
    child: Child,
    /// The `--keyservice` URI that reaches it.
    uri: String,
}

impl Server {
    /// Sends SIGTERM and waits; returns whether it exited cleanly.
    fn stop(&mut self) -> bool {
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        self.child.wait().unwrap().success()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.stop();
        }
    }
}

/// Waits until `ready` holds (a server accepts connections).
fn wait_for(what: &str, child: &mut Child, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{what} exited before it was ready: {status}");
        }
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `sops keyservice` on a free TCP port, holding the first test age identity.
fn sops_server_tcp(sb: &Sandbox) -> Server {
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let mut child = sb
        .sops_std()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["keyservice", "--network", "tcp", "--address", &address])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("sops keyservice", &mut child, || {
        std::net::TcpStream::connect(&address).is_ok()
    });
    Server {
        child,
        uri: format!("tcp://{address}"),
    }
}

/// `secret keyservice` on a free TCP port (port 0; the port is read from the
/// `--verbose` line), with `identity` as its age key file when given.
fn secret_server_tcp(sb: &Sandbox, identity: Option<&Path>) -> Server {
    let mut cmd = sb.secret_std();
    if let Some(identity) = identity {
        cmd.env("SOPS_AGE_KEY_FILE", identity);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null());
    start_secret_tcp(cmd, &[])
}

/// Starts `secret keyservice` on 127.0.0.1, port 0, with `cmd`'s environment and stdio
/// (stderr is taken for the log) and `extra` options.
fn start_secret_tcp(mut cmd: std::process::Command, extra: &[&str]) -> Server {
    let mut child = cmd
        .args(["keyservice", "--address", "127.0.0.1:0", "--verbose"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().expect("a first log line").unwrap();
    let uri = first
        .strip_prefix("secret: Listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, uri }
}

/// `secret keyservice` on a unix socket in the sandbox, holding the first test identity.
fn secret_server_unix(sb: &Sandbox, socket: &Path) -> Server {
    let mut child = sb
        .secret_std()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["keyservice", "--network", "unix", "--address"])
        .arg(socket)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("secret keyservice", &mut child, || {
        std::os::unix::net::UnixStream::connect(socket).is_ok()
    });
    Server {
        child,
        uri: format!("unix://{}", socket.display()),
    }
}

/// Encrypts PLAIN for AGE1 and decrypts it again with `tool` using only the key service
/// at `uri`; returns the encrypted file.
fn round_trip_through(
    sb: &Sandbox,
    tool: fn(&Sandbox) -> assert_cmd::Command,
    uri: &str,
) -> PathBuf {
    let plain = sb.write("plain.yaml", PLAIN);
    let remote_only = ["--keyservice", uri, "--enable-local-keyservice=false"];
    let enc = stdout_of(
        tool(sb)
            .arg("encrypt")
            .args(remote_only)
            .args(["--age", AGE1])
            .arg(&plain),
    );
    let file = sb.write("enc.yaml", &enc);
    let dec = stdout_of(tool(sb).arg("decrypt").args(remote_only).arg(&file));
    assert_eq!(String::from_utf8(dec).unwrap(), PLAIN);
    file
}

#[test]
fn secret_encrypts_and_decrypts_through_sops_keyservice() {
    let sb = Sandbox::new();
    let server = sops_server_tcp(&sb);
    // secret has no age identity at all: only the sops server does.
    let file = round_trip_through(&sb, Sandbox::secret, &server.uri);
    assert_eq!(sb.sops_decrypt(&file), PLAIN);
    // Without the service the same command cannot open the file.
    let (code, _) = failure(sb.secret().arg("decrypt").arg(&file));
    assert_eq!(code, 128);
}

#[test]
fn sops_encrypts_and_decrypts_through_secret_keyservice_on_a_unix_socket() {
    let sb = Sandbox::new();
    let socket = sb.path().join("ks.sock");
    let mut server = secret_server_unix(&sb, &socket);
    let file = round_trip_through(&sb, Sandbox::sops, &server.uri);
    let dec = stdout_of(
        sb.secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .arg("decrypt")
            .arg(&file),
    );
    assert_eq!(String::from_utf8(dec).unwrap(), PLAIN);
    // SIGTERM: a clean exit that removes the socket file.
    assert!(server.stop());
    assert!(!socket.exists(), "the socket file was left behind");
}

#[test]
fn environment_variables_pick_the_services() {
    let sb = Sandbox::new();
    let server = secret_server_tcp(&sb, Some(&key("age1.txt")));
    let file = sb.sops_file("app.yaml", PLAIN);
    let dec = stdout_of(
        sb.secret()
            .env(
                "SOPS_KEYSERVICE",
                format!("unix:///nonexistent.sock,{}", server.uri),
            )
            .env("SOPS_ENABLE_LOCAL_KEYSERVICE", "0")
            .arg("decrypt")
            .arg(&file),
    );
    assert_eq!(String::from_utf8(dec).unwrap(), PLAIN);
}

#[test]
fn local_service_comes_first_and_every_failure_is_listed() {
    let sb = Sandbox::new();
    let file = sb.sops_file("app.yaml", PLAIN);
    // A server without the identity: the local service and the remote one both fail.
    let server = secret_server_tcp(&sb, None);
    let (code, stderr) = failure(
        sb.secret()
            .args(["decrypt", "--keyservice", &server.uri])
            .arg(&file),
    );
    assert_eq!(code, 128, "{stderr}");
    let local = stderr.find("local key service:").expect(&stderr);
    let remote = stderr
        .find(&format!("key service {}: Unknown:", server.uri))
        .expect(&stderr);
    assert!(local < remote, "{stderr}");
    // The local service alone succeeds when it has the identity; the remote one is not needed.
    let dec = stdout_of(
        sb.secret()
            .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
            .args(["decrypt", "--keyservice", "unix:///nonexistent.sock"])
            .arg(&file),
    );
    assert_eq!(String::from_utf8(dec).unwrap(), PLAIN);
}

#[test]
fn bad_uris_and_addresses_are_reported() {
    let sb = Sandbox::new();
    let file = sb.sops_file("app.yaml", PLAIN);
    // Not a URI: skipped with a warning, as sops does.
    let out = sb
        .secret()
        .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .args(["decrypt", "--keyservice", "127.0.0.1:5000"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("skipping key service \"127.0.0.1:5000\""),
        "{stderr}"
    );
    // No service at all.
    let plain = sb.write("plain.yaml", PLAIN);
    let (code, stderr) = failure(
        sb.secret()
            .args(["encrypt", "--enable-local-keyservice=false", "--age", AGE1])
            .arg(&plain),
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("no key services provided"), "{stderr}");
    // A socket path that exists already.
    let taken = sb.write("taken.sock", "");
    let out = sb
        .secret()
        .args(["keyservice", "--network", "unix", "--address"])
        .arg(&taken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("listen unix") && stderr.contains("in use"),
        "{stderr}"
    );
}

#[test]
fn prompt_asks_before_answering_and_a_no_is_permission_denied() {
    let sb = Sandbox::new();
    let file = sb.sops_file("app.yaml", PLAIN);
    let mut cmd = sb.secret_std();
    cmd.env("SOPS_AGE_KEY_FILE", key("age1.txt"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut server = start_secret_tcp(cmd, &["--prompt"]);
    // The answers, read one line per prompt: an unclear word asks again.
    let mut stdin = server.child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, b"maybe\nn\ny\n").unwrap();
    let remote_only = [
        "--keyservice",
        &server.uri,
        "--enable-local-keyservice=false",
    ];
    let (code, stderr) = failure(sb.secret().arg("decrypt").args(remote_only).arg(&file));
    assert_eq!(code, 128);
    assert!(
        stderr.contains("PermissionDenied: Request rejected by user"),
        "{stderr}"
    );
    let dec = stdout_of(sb.secret().arg("decrypt").args(remote_only).arg(&file));
    assert_eq!(String::from_utf8(dec).unwrap(), PLAIN);
    drop(stdin);
    assert!(server.stop());
    let mut shown = String::new();
    std::io::Read::read_to_string(&mut server.child.stdout.take().unwrap(), &mut shown).unwrap();
    let prompt = "\nReceived decrypt request using Unknown key type. Respond to request? (y/n): ";
    assert_eq!(shown, prompt.repeat(3));
}
