//! Helpers for the integration tests: the `secret` binary, the real `sops`, the vectors.
#![allow(dead_code)]

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
fn isolate(cmd: &mut Command, home: &Path) {
    for var in [
        "SOPS_AGE_KEY",
        "SOPS_AGE_KEY_FILE",
        "SOPS_AGE_KEY_CMD",
        "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
        "SOPS_AGE_RECIPIENTS",
        "SOPS_CONFIG",
        "SOPS_DECRYPTION_ORDER",
        "SOPS_EDITOR",
        "EDITOR",
    ] {
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

    /// Writes a file into the sandbox and returns its path.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
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
