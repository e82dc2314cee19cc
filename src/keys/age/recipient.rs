//! age recipients: parsing them with sops' rules, and the exact age file sops writes for
//! one (a single recipient stanza, armored like Go's age).

use base64::prelude::{Engine as _, BASE64_STANDARD};
use std::str::FromStr;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Code, Error, Result};

pub(super) const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
pub(super) const ARMOR_END: &str = "-----END AGE ENCRYPTED FILE-----";
const ARMOR_COLUMNS: usize = 64;

/// A recipient string, parsed.
pub(super) enum ParsedRecipient {
    X25519(age::x25519::Recipient),
    Ssh(age::ssh::Recipient),
    Plugin(age::plugin::Recipient),
}

/// Parses a recipient with sops' rules (`parseRecipient`): plugin recipients are `age1…` with
/// more than one `1`, X25519 ones `age1…`, SSH ones start with `ssh-`.
pub(super) fn parse_recipient(recipient: &str) -> Result<ParsedRecipient> {
    let bad = |msg: String| Error::new(Code::Generic, msg);
    if recipient.starts_with("age1") && recipient.matches('1').count() > 1 {
        age::plugin::Recipient::from_str(recipient)
            .map(ParsedRecipient::Plugin)
            .map_err(|e| {
                bad(format!(
                    "failed to parse input as age key from age plugin: \
                     invalid recipient {recipient:?}: {e}"
                ))
            })
    } else if recipient.starts_with("age1") {
        age::x25519::Recipient::from_str(recipient)
            .map(ParsedRecipient::X25519)
            .map_err(|e| {
                bad(format!(
                    "failed to parse input as Bech32-encoded age public key: \
                     malformed recipient {recipient:?}: {e}"
                ))
            })
    } else if recipient.starts_with("ssh-") {
        age::ssh::Recipient::from_str(recipient)
            .map(ParsedRecipient::Ssh)
            .map_err(|e| {
                use age::ssh::ParseRecipientKeyError as E;
                let why = match e {
                    E::Ignore | E::Invalid(_) => "ssh: no key found".to_string(),
                    E::RsaModulusTooLarge => "RSA modulus too large".to_string(),
                    E::RsaModulusTooSmall => "RSA modulus too small (under 2048 bits)".to_string(),
                    E::Unsupported(kind) => format!("unsupported SSH key type: {kind}"),
                };
                bad(format!(
                    "failed to parse input as age-ssh public key: \
                     malformed SSH recipient: {recipient:?}: {why}"
                ))
            })
    } else {
        Err(bad(format!(
            "failed to parse input, unknown recipient type: {recipient:?}"
        )))
    }
}

/// A recipient that remembers the file key it wrapped and how many stanzas it wrote, so that
/// the extra "grease" stanza the Rust age crate adds can be taken out again (sops' entries
/// have exactly one recipient stanza).
pub(super) struct Capturing {
    pub(super) inner: Box<dyn age::Recipient>,
    pub(super) seen: std::cell::RefCell<Option<(Zeroizing<[u8; 16]>, usize)>>,
}

impl age::Recipient for Capturing {
    fn wrap_file_key(
        &self,
        file_key: &age_core::format::FileKey,
    ) -> std::result::Result<
        (
            Vec<age_core::format::Stanza>,
            std::collections::HashSet<String>,
        ),
        age::EncryptError,
    > {
        use age::secrecy::ExposeSecret;
        let (stanzas, labels) = self.inner.wrap_file_key(file_key)?;
        *self.seen.borrow_mut() = Some((Zeroizing::new(*file_key.expose_secret()), stanzas.len()));
        Ok((stanzas, labels))
    }
}

/// Removes the stanzas after the first `keep` from a binary age file's header and recomputes
/// the header MAC (HMAC-SHA-256 keyed with HKDF(file key, "header") over the header up to
/// `---`). The payload does not depend on the header, so it is kept as is.
pub(super) fn drop_grease(binary: &[u8], file_key: &[u8; 16], keep: usize) -> Option<Vec<u8>> {
    let mac_at = find(binary, b"\n---")? + 1;
    let payload_at = mac_at + binary[mac_at..].iter().position(|&b| b == b'\n')? + 1;
    let mut header = Vec::with_capacity(mac_at + 3);
    let mut stanzas = 0;
    for line in binary[..mac_at].split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"-> ") {
            stanzas += 1;
        }
        if stanzas <= keep {
            header.extend_from_slice(line);
        }
    }
    if !header.starts_with(b"age-encryption.org/v1\n") || stanzas <= keep {
        return None;
    }
    header.extend_from_slice(b"---");
    let mut mac_key = age_core::primitives::hkdf(&[], b"header", file_key);
    let mac = hmac_sha256(&mac_key, &header);
    mac_key.zeroize();
    let mut out = header;
    out.push(b' ');
    out.extend_from_slice(
        base64::prelude::BASE64_STANDARD_NO_PAD
            .encode(mac)
            .as_bytes(),
    );
    out.push(b'\n');
    out.extend_from_slice(&binary[payload_at..]);
    Some(out)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// HMAC-SHA-256 of the age header with the header MAC key.
fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    use hmac::{Mac, SimpleHmac};
    let mut mac = <SimpleHmac<sha2::Sha256> as Mac>::new_from_slice(key)
        .expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Armors a binary age file exactly as age's Go armor writer (and so sops) does.
pub(super) fn armor(binary: &[u8]) -> String {
    let b64 = BASE64_STANDARD.encode(binary);
    let mut out = String::with_capacity(b64.len() + b64.len() / ARMOR_COLUMNS + 80);
    out.push_str(ARMOR_BEGIN);
    out.push('\n');
    for line in b64.as_bytes().chunks(ARMOR_COLUMNS) {
        // base64 output is ASCII, so any chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(ARMOR_END);
    out.push('\n');
    out
}
