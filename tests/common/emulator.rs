//! The key-service emulators of `tests/emulators/` (Python, real AES-GCM through the venv's
//! `cryptography`): started per test on a free 127.0.0.1 port, killed on drop.
//!
//! ```ignore
//! let vault = Emulator::start("vault", &["--token", "t0k"]);
//! vault.fail_next(503, 3); // the next three requests get a 503
//! vault.hang_next(1);      // the next one is never answered
//! assert_eq!(vault.requests(), 4);
//! ```

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// The Python that runs the emulators: `SECRET_TEST_PYTHON`, else the venv's (which has
/// `cryptography`, as moto needs it). Missing is a failure, never a skip.
pub fn python() -> PathBuf {
    let path = std::env::var_os("SECRET_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    assert!(
        path.exists(),
        "the emulators need Python with `cryptography`: run scripts/test.sh (looked for {})",
        path.display()
    );
    path
}

/// Variables of the developer's environment that change how `secret` reaches a service
/// (proxies, timeouts): tests of key services remove them with [`without`].
pub const HTTP_VARS: &[&str] = &["SECRET_HTTP_TIMEOUT", "HTTPS_PROXY", "https_proxy"];

/// Removes these variables (and [`HTTP_VARS`]) from a command's environment.
pub fn without(mut cmd: assert_cmd::Command, vars: &[&str]) -> assert_cmd::Command {
    for var in vars.iter().chain(HTTP_VARS) {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `cmd decrypt file`, asserts exit 128 (no key could open it) and returns stderr.
pub fn decrypt_error(cmd: &mut assert_cmd::Command, file: &Path) -> String {
    let out = cmd.arg("decrypt").arg(file).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(128), "{err}");
    err
}

/// A running emulator.
pub struct Emulator {
    child: Child,
    /// Held open: the emulator exits when it closes (this process died or dropped it).
    _stdin: ChildStdin,
    pub port: u16,
}

impl Emulator {
    /// Starts `tests/emulators/SERVICE.py` with these options and waits until it listens.
    pub fn start(service: &str, args: &[&str]) -> Emulator {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/emulators");
        let mut child = Command::new(python())
            .arg(dir.join("emulator.py"))
            .arg(service)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the {service} emulator: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("the {service} emulator did not start: {line:?}")
            });
        let stdin = child.stdin.take().unwrap();
        Emulator {
            child,
            _stdin: stdin,
            port,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The next `count` requests (-1: all from now on) are answered with `status`.
    pub fn fail_next(&self, status: u16, count: i64) {
        self.control(
            "POST",
            "faults",
            &format!(r#"{{"status":{status},"count":{count}}}"#),
        );
    }

    /// The next `count` requests (-1: all from now on) are never answered.
    pub fn hang_next(&self, count: i64) {
        self.control(
            "POST",
            "faults",
            &format!(r#"{{"hang":true,"count":{count}}}"#),
        );
    }

    /// How many service requests arrived (control requests excluded).
    pub fn requests(&self) -> usize {
        let body = self.control("GET", "requests", "");
        body.split_once(r#""count": "#)
            .and_then(|(_, rest)| rest.split([',', '}']).next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("bad answer from the emulator: {body}"))
    }

    /// Forgets faults and counted requests.
    pub fn reset(&self) {
        self.control("POST", "reset", "");
    }

    /// One request to a control endpoint; returns the answer's body.
    fn control(&self, method: &str, what: &str, body: &str) -> String {
        let (status, answer) = self.request(method, &format!("/_emulator/{what}"), &[], body);
        assert_eq!(status, 200, "{answer}");
        answer
    }

    /// One request to the emulator (as a client of the service would send it); returns the
    /// status and body. Counts as a service request unless `path` is a control endpoint.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        write!(s, "{head}\r\n{body}").unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
