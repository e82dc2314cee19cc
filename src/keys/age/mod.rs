//! age master keys: wrapping the data key for an age recipient, and finding the user's age
//! identities the way sops 3.11 does (`age/keysource.go`).
//!
//! Every age entry in the metadata is one standard age v1 file with a single recipient stanza,
//! ASCII-armored (`-----BEGIN AGE ENCRYPTED FILE-----`, 64-column standard base64,
//! `-----END AGE ENCRYPTED FILE-----`, final `\n`). The plaintext is the raw data key (32 bytes)
//! or a Shamir share (33 bytes).
//!
//! - [`recipient`]: parsing recipients and writing sops' exact age file for one of them.
//! - [`identities`]: finding the user's identities (environment, key files, SSH keys, key
//!   commands).
//! - [`plugin`]: the terminal dialogue of age plugins and passphrase-protected keys.
//!
//! No message produced here ever contains secret key material.

mod identities;
mod plugin;
mod recipient;

use std::io::{Read, Write};

use zeroize::Zeroizing;

use super::{Keyring, MasterKey};
use crate::error::{Code, Error, Result};
use crate::tree::{self, Item, Map, Node};

pub use identities::{default_keys_file, AgeIdentities, SOPS_AGE_KEY};
use plugin::TerminalUi;
use recipient::{armor, drop_grease, parse_recipient, Capturing, ParsedRecipient};

/// One age master key as stored in the sops metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeMasterKey {
    /// The recipient as written in the file: `age1…`, `ssh-ed25519 … [comment]`,
    /// `ssh-rsa … [comment]` or a plugin recipient `age1<plugin>1…`.
    pub recipient: String,
    /// The armored age file holding the data key (empty until [`AgeMasterKey::wrap`]).
    pub enc: String,
}

impl AgeMasterKey {
    /// Validates and parses the recipient (age1… X25519, ssh-ed25519/ssh-rsa with comment,
    /// age1<plugin>1… plugin). The recipient is trimmed of surrounding whitespace, as sops
    /// does, and kept as given otherwise. A plugin recipient is accepted even when its plugin
    /// is not installed; [`AgeMasterKey::wrap`] then fails.
    pub fn new(recipient: &str) -> Result<AgeMasterKey> {
        let recipient = recipient.trim();
        parse_recipient(recipient)?;
        Ok(AgeMasterKey {
            recipient: recipient.to_string(),
            enc: String::new(),
        })
    }

    /// Parses a comma-separated recipient list (`--age`, `SOPS_AGE_RECIPIENTS`); an empty
    /// string gives no keys.
    pub fn from_recipients(list: &str) -> Result<Vec<AgeMasterKey>> {
        if list.is_empty() {
            return Ok(Vec::new());
        }
        list.split(',').map(AgeMasterKey::new).collect()
    }

    /// Encrypts `data_key` (32-byte key or 33-byte Shamir share) to this recipient; stores the
    /// armored text in `enc`.
    pub fn wrap(&mut self, data_key: &[u8]) -> Result<()> {
        let fail = |what: &str| {
            Error::new(
                Code::Generic,
                format!(
                    "failed to encrypt sops data key with age to recipient {}: {what}",
                    self.recipient
                ),
            )
        };
        let recipient: Box<dyn age::Recipient> = match parse_recipient(&self.recipient)? {
            ParsedRecipient::X25519(r) => Box::new(r),
            ParsedRecipient::Ssh(r) => Box::new(r),
            ParsedRecipient::Plugin(r) => {
                let name = r.plugin().to_string();
                Box::new(
                    age::plugin::RecipientPluginV1::new(&name, &[r], &[], TerminalUi)
                        .map_err(|e| fail(&encrypt_error_text(&e)))?,
                )
            }
        };
        let capture = Capturing {
            inner: recipient,
            seen: std::cell::RefCell::new(None),
        };
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(&capture as &dyn age::Recipient))
                .map_err(|e| fail(&encrypt_error_text(&e)))?;
        let mut binary = Vec::with_capacity(256);
        let mut writer = encryptor
            .wrap_output(&mut binary)
            .map_err(|e| fail(&e.to_string()))?;
        writer
            .write_all(data_key)
            .and_then(|()| writer.finish().map(|_| ()))
            .map_err(|e| fail(&e.to_string()))?;
        let (file_key, stanzas) = capture
            .seen
            .into_inner()
            .ok_or_else(|| fail("the recipient was not used"))?;
        let binary = drop_grease(&binary, &file_key, stanzas)
            .ok_or_else(|| fail("unexpected age header layout"))?;
        self.enc = armor(&binary);
        Ok(())
    }

    /// Decrypts `enc` with the loaded identities.
    ///
    /// Fails with [`Code::CouldNotRetrieveKey`] and a message that names the recipient and says
    /// which sources were tried (never any key material).
    pub fn unwrap(&self, identities: &AgeIdentities) -> Result<Zeroizing<Vec<u8>>> {
        let fail = |msg: String| {
            Error::new(
                Code::CouldNotRetrieveKey,
                format!("{}: {msg}", self.recipient),
            )
        };
        let run = identities.resolve(&self.recipient);
        if run.identities.is_empty() {
            return Err(fail(if run.errors.is_empty() {
                run.none_found()
            } else {
                run.explain("failed to load age identities", None)
            }));
        }
        let reader_fail = |e: &age::DecryptError| {
            let mut text = run.explain(
                "failed to create reader for decrypting sops data key with age",
                Some(&decrypt_error_text(e)),
            );
            if matches!(e, age::DecryptError::NoMatchingKeys) {
                text = format!("{text}; {}", run.hint);
            }
            fail(text)
        };
        // Identities before the first unusable one are tried; if none matches, the unusable
        // one's error is the answer (Go's age stops at an identity that fails).
        let usable: Vec<&dyn age::Identity> = run
            .identities
            .iter()
            .map_while(|a| a.as_ref().ok())
            .map(|b| &**b)
            .collect();
        let blocker = run.identities.iter().find_map(|a| a.as_ref().err());
        if usable.is_empty() {
            if let Some(e) = blocker {
                return Err(reader_fail(e));
            }
        }
        let decryptor = age::Decryptor::new(age::armor::ArmoredReader::new(self.enc.as_bytes()))
            .map_err(|e| reader_fail(&e))?;
        let mut reader = match decryptor.decrypt(usable.into_iter()) {
            Ok(r) => r,
            Err(age::DecryptError::NoMatchingKeys) if blocker.is_some() => {
                return Err(reader_fail(blocker.expect("checked")))
            }
            Err(e) => return Err(reader_fail(&e)),
        };
        let mut out = Zeroizing::new(Vec::with_capacity(64));
        reader.read_to_end(&mut out).map_err(|e| {
            fail(format!(
                "failed to copy age decrypted data into bytes.Buffer: {}",
                one_line(&e.to_string())
            ))
        })?;
        Ok(out)
    }
}

/// Collapses a possibly multi-line message into one line.
fn one_line(s: &str) -> String {
    s.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn missing_plugin_text(binary_name: &str) -> String {
    format!("age plugin {binary_name:?} was not found in $PATH; install it to use this key")
}

fn encrypt_error_text(e: &age::EncryptError) -> String {
    match e {
        age::EncryptError::MissingPlugin { binary_name } => missing_plugin_text(binary_name),
        other => one_line(&other.to_string()),
    }
}

fn decrypt_error_text(e: &age::DecryptError) -> String {
    match e {
        age::DecryptError::NoMatchingKeys => {
            "identity did not match any of the recipients: incorrect identity for recipient block"
                .to_string()
        }
        age::DecryptError::MissingPlugin { binary_name } => missing_plugin_text(binary_name),
        age::DecryptError::KeyDecryptionFailed => {
            "could not decrypt a passphrase-protected identity (incorrect passphrase?)".to_string()
        }
        other => one_line(&other.to_string()),
    }
}

impl AgeMasterKey {
    /// Reads a metadata entry (`recipient`, `enc`; any order).
    pub fn from_map(entry: &Map) -> Result<AgeMasterKey> {
        // An absent field is empty, as Go leaves it: sops still decrypts without the
        // recipient (the identities are what count), and without `enc` it fails to get the
        // data key (exit 128), not to read the metadata.
        let field = |name: &str| match tree::get(entry, name) {
            None | Some(Node::Scalar(crate::tree::Scalar::Null)) => Ok(String::new()),
            Some(node) => node.as_str().map(str::to_string).ok_or_else(|| {
                Error::new(
                    Code::Generic,
                    format!("the {name} of an age master key in the metadata is not a string"),
                )
            }),
        };
        Ok(AgeMasterKey {
            recipient: field("recipient")?,
            enc: field("enc")?,
        })
    }
}

impl MasterKey for AgeMasterKey {
    fn kind(&self) -> &'static str {
        "age"
    }

    fn describe(&self) -> String {
        self.recipient.clone()
    }

    fn wrap(&mut self, data_key: &[u8]) -> Result<()> {
        AgeMasterKey::wrap(self, data_key)
    }

    fn unwrap(&self, keyring: &Keyring) -> Result<Zeroizing<Vec<u8>>> {
        AgeMasterKey::unwrap(self, keyring.age_identities()?)
    }

    fn to_map(&self) -> Map {
        vec![
            Item::Pair("recipient".into(), Node::str(&self.recipient)),
            Item::Pair("enc".into(), Node::str(&self.enc)),
        ]
    }

    fn clone_box(&self) -> Box<dyn MasterKey> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests;
