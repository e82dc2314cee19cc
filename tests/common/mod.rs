//! Helpers for the integration tests: the `secret` binary, the real `sops`, the vectors.
#![allow(dead_code)]

pub mod emulator;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The shipped vectors written by sops 3.11 (`tests/vectors`).
pub fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// A test key file.
pub fn key(name: &str) -> PathBuf {
    vectors().join("keys").join(name)
}

/// The real sops binary. Missing sops is a failure, never a skip: `scripts/test.sh`
/// installs it.
pub fn sops_path() -> PathBuf {
    let path = std::env::var_os("SOPS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/sops"));
    assert!(
        path.is_file(),
        "the real sops is needed for interop tests: run scripts/test.sh (looked for {})",
        path.display()
    );
    path
}

/// Clears every variable that could make a key source pick up the developer's own keys
/// and points HOME/XDG_CONFIG_HOME at an empty directory.
const ISOLATED_VARS: [&str; 12] = [
    "SOPS_AGE_KEY",
    "SOPS_AGE_KEY_FILE",
    "SOPS_AGE_KEY_CMD",
    "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
    "SOPS_AGE_SSH_PRIVATE_KEY_CMD",
    "SOPS_AGE_RECIPIENTS",
    "SOPS_CONFIG",
    "SOPS_DECRYPTION_ORDER",
    "SOPS_EDITOR",
    "EDITOR",
    "SOPS_KEYSERVICE",
    "SOPS_ENABLE_LOCAL_KEYSERVICE",
];

fn isolate(cmd: &mut Command, home: &Path) {
    for var in ISOLATED_VARS {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("SOPS_DISABLE_VERSION_CHECK", "1");
}

/// An isolated home directory for one test.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `secret` with a clean environment, run in the sandbox.
    pub fn secret(&self) -> Command {
        let mut cmd = Command::cargo_bin("secret").unwrap();
        isolate(&mut cmd, self.path());
        cmd.current_dir(self.path());
        cmd
    }

    /// The real `sops` with a clean environment, run in the sandbox.
    pub fn sops(&self) -> Command {
        let mut cmd = Command::new(sops_path());
        isolate(&mut cmd, self.path());
        cmd.current_dir(self.path());
        cmd
    }

    /// `secret` as a plain `std::process::Command` (for tests that spawn it, signal it or give
    /// it a terminal), with the same clean environment.
    pub fn secret_std(&self) -> std::process::Command {
        self.std_command(assert_cmd::cargo::cargo_bin("secret"))
    }

    /// The real `sops` as a plain `std::process::Command` (for servers a test starts).
    pub fn sops_std(&self) -> std::process::Command {
        self.std_command(sops_path())
    }

    fn std_command(&self, program: PathBuf) -> std::process::Command {
        let mut cmd = std::process::Command::new(program);
        for var in ISOLATED_VARS {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join(".config"))
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .current_dir(self.path());
        cmd
    }

    /// Writes a file into the sandbox and returns its path.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    /// `plain` encrypted by the real sops for [`AGE1`], written as `name` (which picks the
    /// format).
    pub fn sops_file(&self, name: &str, plain: &str) -> PathBuf {
        let p = self.write(&format!("plain-{name}"), plain);
        let out = stdout_of(
            self.sops()
                .args(["encrypt", "--age", AGE1, "--filename-override", name])
                .arg(&p),
        );
        self.write(name, out)
    }

    /// What the real sops decrypts `file` to with the first test key.
    pub fn sops_decrypt(&self, file: &Path) -> String {
        let out = stdout_of(
            self.sops()
                .env("SOPS_AGE_KEY_FILE", key("age1.txt"))
                .arg("decrypt")
                .arg(file),
        );
        String::from_utf8(out).unwrap()
    }
}

/// The first test age recipient (identity in `keys/age1.txt`).
pub const AGE1: &str = "age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman";

/// Lines that differ between two texts of the same line count (None if the counts differ).
pub fn changed_lines(before: &[u8], after: &[u8]) -> Option<Vec<(String, String)>> {
    let b: Vec<&str> = std::str::from_utf8(before).unwrap().lines().collect();
    let a: Vec<&str> = std::str::from_utf8(after).unwrap().lines().collect();
    if a.len() != b.len() {
        return None;
    }
    Some(
        b.iter()
            .zip(&a)
            .filter(|(x, y)| x != y)
            .map(|(x, y)| (x.to_string(), y.to_string()))
            .collect(),
    )
}

/// Asserts that only the lines of `keys` (matched by `"key":` / `key:` / `key=`), plus
/// `lastmodified` and `mac`, differ, and that the first of `keys` and the MAC did change.
pub fn assert_minimal_diff(before: &[u8], after: &[u8], keys: &[&str]) {
    let changed = changed_lines(before, after).unwrap_or_else(|| {
        panic!(
            "line count changed\n--- before\n{}\n--- after\n{}",
            String::from_utf8_lossy(before),
            String::from_utf8_lossy(after)
        )
    });
    let allowed = |line: &str| {
        let t = line.trim_start();
        keys.iter()
            .chain(&["lastmodified", "mac", "sops_lastmodified", "sops_mac"])
            .any(|k| {
                t.starts_with(&format!("\"{k}\":"))
                    || t.starts_with(&format!("{k}:"))
                    || t.starts_with(&format!("{k}="))
            })
    };
    for (b, a) in &changed {
        assert!(allowed(b) && allowed(a), "unexpected change:\n- {b}\n+ {a}");
    }
    let touched = |k: &str| {
        changed.iter().any(|(b, _)| {
            let t = b.trim_start();
            t.starts_with(&format!("\"{k}\":"))
                || t.starts_with(&format!("{k}:"))
                || t.starts_with(&format!("{k}="))
        })
    };
    assert!(touched(keys[0]), "the value of {} did not change", keys[0]);
    assert!(
        touched("mac") || touched("sops_mac"),
        "the MAC did not change"
    );
}

/// A TCP port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Entries left in a directory.
pub fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Caps the address space `cmd` may use at `bytes` (RLIMIT_AS, set in the child).
pub fn cap_address_space(cmd: &mut std::process::Command, bytes: libc::rlim_t) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Runs a command, asserts success and returns stdout.
pub fn stdout_of(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "command failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs a command that must fail; returns its exit code (-1 for a signal) and stderr.
pub fn failure(cmd: &mut Command) -> (i32, String) {
    failure_of(cmd.output().unwrap())
}

/// The exit code (-1 for a signal) and stderr of a run that must have failed.
pub fn failure_of(out: std::process::Output) -> (i32, String) {
    assert!(!out.status.success(), "command unexpectedly succeeded");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Byte comparison with a readable diff on failure.
pub fn assert_same(actual: &[u8], expected: &[u8], what: &str) {
    if actual != expected {
        panic!(
            "{what}: output differs\n--- expected\n{}\n--- actual\n{}",
            String::from_utf8_lossy(expected),
            String::from_utf8_lossy(actual)
        );
    }
}
