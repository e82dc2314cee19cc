//! PGP master keys, through the installed `gpg` binary only (sops' GnuPG fallback in
//! `pgp/keysource.go`): no OpenPGP is done by hand.
//!
//! Wrapping runs `gpg --no-default-recipient --yes --encrypt -a -r FP --trusted-key <last 16
//! hex of FP> --no-encrypt-to` with the data key (or Shamir share) on stdin; `enc` is gpg's
//! armored output with surrounding whitespace trimmed. Unwrapping runs `gpg -d` with `enc`
//! on stdin. `SOPS_GPG_EXEC` names another binary; `GNUPGHOME` is honoured by gpg itself.
//! Entry fields, in the order sops writes them: `created_at`, `enc`, `fp`.

use super::{Keyring, MasterKey};
use crate::error::{Code, Error, Result};
use crate::timefmt;
use crate::tree::{self, Item, Map, Node, Scalar};
use std::io::Write;
use std::process::{Command, Stdio};
use zeroize::Zeroizing;

/// Environment variable naming the gpg binary (default `gpg`).
pub const SOPS_GPG_EXEC: &str = "SOPS_GPG_EXEC";

/// One PGP master key as stored in the sops metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgpMasterKey {
    /// The key's fingerprint, spaces removed.
    pub fp: String,
    /// The armored PGP message holding the data key (empty until wrapped).
    pub enc: String,
    /// When the key was wrapped (RFC 3339, UTC).
    pub created_at: String,
}

/// The gpg binary to run.
fn gpg_binary() -> String {
    std::env::var(SOPS_GPG_EXEC)
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "gpg".to_string())
}

/// Runs gpg with `input` on stdin; returns stdout, or a one-line reason.
fn run_gpg(args: &[&str], input: &[u8]) -> std::result::Result<Zeroizing<Vec<u8>>, String> {
    let binary = gpg_binary();
    let mut child = Command::new(&binary)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {binary:?} (set {SOPS_GPG_EXEC} or install gpg): {e}"))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    // Write from a thread so a large output cannot deadlock against a full stdin pipe.
    let input = Zeroizing::new(input.to_vec());
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child
        .wait_with_output()
        .map_err(|e| format!("{binary} failed: {e}"))?;
    let _ = writer.join();
    let stdout = Zeroizing::new(output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason: Vec<&str> = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        return Err(format!(
            "{binary} exited with {}: {}",
            output
                .status
                .code()
                .map_or("a signal".to_string(), |c| c.to_string()),
            if reason.is_empty() {
                "no message".to_string()
            } else {
                reason.join("; ")
            }
        ));
    }
    Ok(stdout)
}

impl PgpMasterKey {
    /// A key for the fingerprint (spaces are removed, as sops does). The fingerprint must be
    /// hexadecimal and at least 16 digits long (gpg needs the last 16 as `--trusted-key`).
    pub fn new(fingerprint: &str) -> Result<PgpMasterKey> {
        let fp: String = fingerprint.chars().filter(|c| *c != ' ').collect();
        if fp.len() < 16 || !fp.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::new(
                Code::Generic,
                format!("invalid PGP fingerprint {fingerprint:?}: expected at least 16 hex digits"),
            ));
        }
        Ok(PgpMasterKey {
            fp,
            enc: String::new(),
            created_at: String::new(),
        })
    }

    /// Reads a metadata entry (`fp`, `enc`, `created_at`; any order).
    pub fn from_map(entry: &Map) -> Result<PgpMasterKey> {
        let field = |name: &str| match tree::get(entry, name) {
            Some(Node::Scalar(Scalar::Str(s))) | Some(Node::Scalar(Scalar::Time(s))) => {
                Some(s.to_string())
            }
            _ => None,
        };
        let fp = field("fp").ok_or_else(|| {
            Error::new(Code::Generic, "a pgp master key in the metadata has no fp")
        })?;
        Ok(PgpMasterKey {
            fp,
            enc: field("enc").unwrap_or_default(),
            created_at: field("created_at").unwrap_or_default(),
        })
    }

    /// Encrypts `data_key` to the fingerprint with gpg.
    pub fn wrap(&mut self, data_key: &[u8]) -> Result<()> {
        let trusted = &self.fp[self.fp.len().saturating_sub(16)..];
        let args = [
            "--no-default-recipient",
            "--yes",
            "--encrypt",
            "-a",
            "-r",
            &self.fp,
            "--trusted-key",
            trusted,
            "--no-encrypt-to",
        ];
        let out = run_gpg(&args, data_key).map_err(|why| {
            Error::new(
                Code::Generic,
                format!("failed to encrypt the data key with gpg: {why}"),
            )
        })?;
        let text = String::from_utf8_lossy(&out).trim().to_string();
        if !text.starts_with("-----BEGIN PGP MESSAGE-----") {
            return Err(Error::new(
                Code::Generic,
                "failed to encrypt the data key with gpg: gpg gave no armored message",
            ));
        }
        self.enc = text;
        self.created_at = timefmt::now_utc();
        Ok(())
    }

    /// Decrypts `enc` with `gpg -d` (gpg-agent finds the secret key).
    pub fn unwrap(&self) -> Result<Zeroizing<Vec<u8>>> {
        run_gpg(&["-d"], self.enc.as_bytes()).map_err(|why| {
            Error::new(
                Code::CouldNotRetrieveKey,
                format!(
                    "failed to decrypt sops data key with pgp key {}: {why}",
                    self.fp
                ),
            )
        })
    }
}

impl MasterKey for PgpMasterKey {
    fn kind(&self) -> &'static str {
        "pgp"
    }

    fn describe(&self) -> String {
        self.fp.clone()
    }

    fn wrap(&mut self, data_key: &[u8]) -> Result<()> {
        PgpMasterKey::wrap(self, data_key)
    }

    fn unwrap(&self, _keyring: &Keyring) -> Result<Zeroizing<Vec<u8>>> {
        PgpMasterKey::unwrap(self)
    }

    fn to_map(&self) -> Map {
        vec![
            Item::Pair("created_at".into(), Node::str(&self.created_at)),
            Item::Pair("enc".into(), Node::str(&self.enc)),
            Item::Pair("fp".into(), Node::str(&self.fp)),
        ]
    }

    fn clone_box(&self) -> Box<dyn MasterKey> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_checked_and_spaces_removed() {
        let k = PgpMasterKey::new("1234 5678 9ABC DEF0 1234 5678 9ABC DEF0 1234 5678").unwrap();
        assert_eq!(k.fp, "123456789ABCDEF0123456789ABCDEF012345678");
        assert!(PgpMasterKey::new("nothex").is_err());
        assert!(PgpMasterKey::new("ABCD").is_err());
    }

    #[test]
    fn entry_round_trip_in_sops_order() {
        let mut k = PgpMasterKey::new("123456789ABCDEF0123456789ABCDEF012345678").unwrap();
        k.enc = "-----BEGIN PGP MESSAGE-----\n\nx\n-----END PGP MESSAGE-----".into();
        k.created_at = "2026-01-02T03:04:05Z".into();
        let map = k.to_map();
        let names: Vec<&str> = map
            .iter()
            .map(|i| match i {
                Item::Pair(k, _) => k.as_str(),
                Item::Comment(_) => "#",
            })
            .collect();
        assert_eq!(names, ["created_at", "enc", "fp"]);
        assert_eq!(PgpMasterKey::from_map(&map).unwrap(), k);
    }
}
