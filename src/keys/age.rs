//! age master keys: wrapping the data key for an age recipient, and finding the user's age
//! identities the way sops 3.11 does (`age/keysource.go`).
//!
//! Every age entry in the metadata is one standard age v1 file with a single recipient stanza,
//! ASCII-armored (`-----BEGIN AGE ENCRYPTED FILE-----`, 64-column standard base64,
//! `-----END AGE ENCRYPTED FILE-----`, final `\n`). The plaintext is the raw data key (32 bytes)
//! or a Shamir share (33 bytes).
//!
//! Identities come from, in this order: the SSH key named by `SOPS_AGE_SSH_PRIVATE_KEY_FILE`,
//! the SSH key printed by `SOPS_AGE_SSH_PRIVATE_KEY_CMD` (sops 3.12), `~/.ssh/id_ed25519`, `~/.ssh/id_rsa`, `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`
//! and the default `<user config dir>/sops/age/keys.txt`. All of them are combined; a source
//! that cannot be read is reported only if no identity could open the key. Like sops, the key
//! command is run again for every age key that is tried, with `SOPS_AGE_RECIPIENT` set to that
//! key's recipient.
//!
//! No message produced here ever contains secret key material.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;

use age::secrecy::SecretString;
use base64::prelude::{Engine as _, BASE64_STANDARD};
use zeroize::{Zeroize, Zeroizing};

use super::{Keyring, MasterKey};
use crate::error::{Code, Error, Result};
use crate::tree::{self, Item, Map, Node};

/// Environment variable holding identities as text (one per line).
pub const SOPS_AGE_KEY: &str = "SOPS_AGE_KEY";
/// Environment variable naming a keys file.
pub const SOPS_AGE_KEY_FILE: &str = "SOPS_AGE_KEY_FILE";
/// Environment variable holding a command whose standard output is a keys file.
pub const SOPS_AGE_KEY_CMD: &str = "SOPS_AGE_KEY_CMD";
/// Environment variable naming an SSH private key file.
pub const SOPS_AGE_SSH_PRIVATE_KEY_FILE: &str = "SOPS_AGE_SSH_PRIVATE_KEY_FILE";
/// Environment variable holding a command that prints an SSH private key (sops 3.12); like
/// the key command it runs for each age key tried, with `SOPS_AGE_RECIPIENT` set.
pub const SOPS_AGE_SSH_PRIVATE_KEY_CMD: &str = "SOPS_AGE_SSH_PRIVATE_KEY_CMD";
/// Set in the environment of the `SOPS_AGE_KEY_CMD` command: the recipient being decrypted.
pub const SOPS_AGE_RECIPIENT: &str = "SOPS_AGE_RECIPIENT";
/// The default keys file, relative to the user config directory.
const DEFAULT_KEYS_PATH: [&str; 3] = ["sops", "age", "keys.txt"];

const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
const ARMOR_END: &str = "-----END AGE ENCRYPTED FILE-----";
const ARMOR_COLUMNS: usize = 64;
/// age's and sops' limit for an encrypted identity file.
const ENCRYPTED_IDENTITY_LIMIT: u64 = 1 << 24;
/// Go's `bufio.Scanner` gives up on a line this long; sops then silently stops reading.
const GO_SCANNER_MAX_LINE: usize = 64 * 1024;

/// One age master key as stored in the sops metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeMasterKey {
    /// The recipient as written in the file: `age1…`, `ssh-ed25519 … [comment]`,
    /// `ssh-rsa … [comment]` or a plugin recipient `age1<plugin>1…`.
    pub recipient: String,
    /// The armored age file holding the data key (empty until [`AgeMasterKey::wrap`]).
    pub enc: String,
}

/// A recipient string, parsed.
enum ParsedRecipient {
    X25519(age::x25519::Recipient),
    Ssh(age::ssh::Recipient),
    Plugin(age::plugin::Recipient),
}

/// Parses a recipient with sops' rules (`parseRecipient`): plugin recipients are `age1…` with
/// more than one `1`, X25519 ones `age1…`, SSH ones start with `ssh-`.
fn parse_recipient(recipient: &str) -> Result<ParsedRecipient> {
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
                text = format!("{text}; {KEY_FILE_HINT}");
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

/// A recipient that remembers the file key it wrapped and how many stanzas it wrote, so that
/// the extra "grease" stanza the Rust age crate adds can be taken out again (sops' entries
/// have exactly one recipient stanza).
struct Capturing {
    inner: Box<dyn age::Recipient>,
    seen: std::cell::RefCell<Option<(Zeroizing<[u8; 16]>, usize)>>,
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
fn drop_grease(binary: &[u8], file_key: &[u8; 16], keep: usize) -> Option<Vec<u8>> {
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
fn armor(binary: &[u8]) -> String {
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

/// One identity from a keys source.
enum Entry {
    X25519(age::x25519::Identity),
    Plugin(age::plugin::Identity),
    /// An age-encrypted identity file (binary age format), opened with a passphrase when used.
    Encrypted {
        location: String,
        contents: Vec<u8>,
    },
}

/// A keys source that could be read: where it came from and what it gave.
struct Source {
    location: String,
    parsed: std::result::Result<Vec<Entry>, String>,
}

/// `SOPS_AGE_KEY_FILE`.
enum KeyFile {
    Unset,
    OpenFailed(String),
    Read(Source),
}

/// `<user config dir>/sops/age/keys.txt`.
enum DefaultFile {
    NoConfigDir(String),
    Missing(String),
    OpenFailed(String),
    Read(Source),
}

/// Every identity sops would load, loaded once per run (lazily: only when a file has age
/// keys). The `SOPS_AGE_KEY_CMD` command is the exception: as in sops it runs each time a key
/// is unwrapped, with `SOPS_AGE_RECIPIENT` set to that key's recipient.
pub struct AgeIdentities {
    ssh: Vec<(String, age::ssh::Identity)>,
    ssh_errors: Vec<String>,
    ssh_unused: Vec<String>,
    ssh_cmd: Option<String>,
    key_env: Option<Source>,
    key_file: KeyFile,
    key_cmd: Option<String>,
    default_file: DefaultFile,
    descriptions: Vec<String>,
}

/// The identities for one unwrap, with what went wrong while gathering them.
struct Resolved {
    identities: Vec<Active>,
    errors: Vec<String>,
    unused: Vec<String>,
}

/// The usual fix when no identity opens a key, said once at the end of the message.
const KEY_FILE_HINT: &str = "set SOPS_AGE_KEY_FILE=/path/to/keys.txt";

impl Resolved {
    /// The message, its cause and the errors met while loading identities. Unlike sops, the
    /// locations without keys are listed only when no key was found at all ([`Self::none_found`]):
    /// repeated for every recipient they made a wall of text that hid the cause.
    fn explain(&self, msg: &str, err: Option<&str>) -> String {
        let mut out = msg.to_string();
        if let Some(err) = err {
            out.push_str(": ");
            out.push_str(err);
        }
        if !self.errors.is_empty() {
            out.push_str(". Errors while loading age identities: ");
            out.push_str(&self.errors.join("; "));
        }
        out
    }

    /// No identity anywhere and nothing broken: where we looked, and the fix.
    fn none_found(&self) -> String {
        format!(
            "no age key found (looked in {}); {KEY_FILE_HINT}",
            self.unused.join(", ")
        )
    }
}

impl AgeIdentities {
    /// Loads from the environment and default locations as sops does. Never fails: like sops,
    /// a source that cannot be read is remembered and reported by [`AgeMasterKey::unwrap`]
    /// only if no identity could open the key. No secret material ends up in any message.
    pub fn load() -> Result<AgeIdentities> {
        AgeIdentities::load_from(&|name: &str| std::env::var_os(name))
    }

    /// [`AgeIdentities::load`] with the environment (including `HOME`, `XDG_CONFIG_HOME`,
    /// `USERPROFILE`, `AppData`) read through `env`, so tests need not touch the process
    /// environment. The key command still runs with the process environment.
    pub fn load_from(env: &dyn Fn(&str) -> Option<OsString>) -> Result<AgeIdentities> {
        let mut ids = AgeIdentities {
            ssh: Vec::new(),
            ssh_errors: Vec::new(),
            ssh_unused: Vec::new(),
            ssh_cmd: None,
            key_env: None,
            key_file: KeyFile::Unset,
            key_cmd: None,
            default_file: DefaultFile::Missing(String::new()),
            descriptions: Vec::new(),
        };
        ids.load_ssh(env);

        match env(SOPS_AGE_KEY) {
            Some(value) => {
                let text = Zeroizing::new(value.into_encoded_bytes());
                let source = Source {
                    location: SOPS_AGE_KEY.to_string(),
                    // sops 3.12+: the variable may hold several keys on a line.
                    parsed: parse_keys(SOPS_AGE_KEY, &text, true),
                };
                ids.descriptions
                    .push(describe_source(SOPS_AGE_KEY, &source));
                ids.key_env = Some(source);
            }
            None => ids.descriptions.push(format!("{SOPS_AGE_KEY}: not set")),
        }

        match env(SOPS_AGE_KEY_FILE) {
            Some(path) => {
                let shown = Path::new(&path).display().to_string();
                let label = format!("{SOPS_AGE_KEY_FILE} ({shown})");
                match read_file(Path::new(&path)) {
                    Ok(data) => {
                        let source = Source {
                            location: SOPS_AGE_KEY_FILE.to_string(),
                            parsed: parse_keys(SOPS_AGE_KEY_FILE, &data, false),
                        };
                        ids.descriptions.push(describe_source(&label, &source));
                        ids.key_file = KeyFile::Read(source);
                    }
                    Err(e) => {
                        let msg = format!(
                            "failed to open {SOPS_AGE_KEY_FILE} file: {}",
                            go_path_error("open", &shown, &e)
                        );
                        ids.descriptions.push(format!("{label}: {msg}"));
                        ids.key_file = KeyFile::OpenFailed(msg);
                    }
                }
            }
            None => ids
                .descriptions
                .push(format!("{SOPS_AGE_KEY_FILE}: not set")),
        }

        match env(SOPS_AGE_KEY_CMD) {
            Some(cmd) => {
                let cmd = cmd.to_string_lossy().into_owned();
                ids.descriptions.push(format!(
                    "{SOPS_AGE_KEY_CMD} ({cmd}): run for each age key, \
                     with {SOPS_AGE_RECIPIENT} set to its recipient"
                ));
                ids.key_cmd = Some(cmd);
            }
            None => ids
                .descriptions
                .push(format!("{SOPS_AGE_KEY_CMD}: not set")),
        }

        ids.default_file = match user_config_dir(env) {
            Err(e) => {
                ids.descriptions.push(format!(
                    "default keys file: user config directory unknown: {e}"
                ));
                DefaultFile::NoConfigDir(e)
            }
            Ok(dir) => {
                let path = DEFAULT_KEYS_PATH.iter().fold(dir, |p, part| p.join(part));
                let shown = path.display().to_string();
                match fs::File::open(&path) {
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        ids.descriptions.push(format!("{shown}: not found"));
                        DefaultFile::Missing(shown)
                    }
                    Err(e) => {
                        let msg =
                            format!("failed to open file: {}", go_path_error("open", &shown, &e));
                        ids.descriptions.push(format!("{shown}: {msg}"));
                        DefaultFile::OpenFailed(msg)
                    }
                    Ok(mut file) => {
                        // sops ignores read errors here (its line scanner just stops).
                        let mut data = Zeroizing::new(Vec::new());
                        let _ = file.read_to_end(&mut data);
                        let source = Source {
                            parsed: parse_keys(&shown, &data, false),
                            location: shown.clone(),
                        };
                        ids.descriptions.push(describe_source(&shown, &source));
                        DefaultFile::Read(source)
                    }
                }
            }
        };
        Ok(ids)
    }

    /// `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, then `~/.ssh/id_ed25519` and `~/.ssh/id_rsa` if they
    /// exist; all that load are used.
    fn load_ssh(&mut self, env: &dyn Fn(&str) -> Option<OsString>) {
        match env(SOPS_AGE_SSH_PRIVATE_KEY_FILE) {
            Some(path) => {
                let path = PathBuf::from(path);
                self.add_ssh(&path, &format!("{SOPS_AGE_SSH_PRIVATE_KEY_FILE} ("), ")");
            }
            None => {
                self.ssh_unused
                    .push(SOPS_AGE_SSH_PRIVATE_KEY_FILE.to_string());
                self.descriptions
                    .push(format!("{SOPS_AGE_SSH_PRIVATE_KEY_FILE}: not set"));
            }
        }
        // Not listed among the unused locations when unset: sops 3.11's messages lack it.
        if let Some(cmd) = env(SOPS_AGE_SSH_PRIVATE_KEY_CMD) {
            let cmd = cmd.to_string_lossy().into_owned();
            self.descriptions.push(format!(
                "{SOPS_AGE_SSH_PRIVATE_KEY_CMD} ({cmd}): run for each age key, with \
                 {SOPS_AGE_RECIPIENT} set to its recipient"
            ));
            self.ssh_cmd = Some(cmd);
        }
        match home_dir(env) {
            Err(e) => {
                self.descriptions
                    .push(format!("~/.ssh: home directory unknown: {e}"));
                self.ssh_errors.push(e);
            }
            Ok(home) => {
                for name in ["id_ed25519", "id_rsa"] {
                    let path = home.join(".ssh").join(name);
                    if fs::metadata(&path).is_ok() {
                        self.add_ssh(&path, "SSH key ", "");
                    } else {
                        let shown = path.display().to_string();
                        self.descriptions.push(format!("{shown}: not found"));
                        self.ssh_unused.push(shown);
                    }
                }
            }
        }
    }

    fn add_ssh(&mut self, path: &Path, before: &str, after: &str) {
        let shown = path.display().to_string();
        match load_ssh_key(path) {
            Ok(identity) => {
                let kind = match identity {
                    age::ssh::Identity::Encrypted(_) => "passphrase-protected SSH key",
                    _ => "SSH key",
                };
                self.descriptions
                    .push(format!("{before}{shown}{after}: {kind}"));
                self.ssh.push((shown, identity));
            }
            Err(e) => {
                self.descriptions
                    .push(format!("{before}{shown}{after}: {e}"));
                self.ssh_errors.push(e);
            }
        }
    }

    /// Human-readable list of the sources that were tried (file paths, env var names, public
    /// recipients of loaded identities where derivable) for the "no key could decrypt"
    /// message. Never secrets.
    pub fn describe(&self) -> Vec<String> {
        self.descriptions.clone()
    }

    /// Gathers the identities for unwrapping the key of `recipient`, running the key command
    /// if there is one, and sops' lists of errors and of locations without keys.
    fn resolve(&self, recipient: &str) -> Resolved {
        let mut out = Resolved {
            identities: Vec::new(),
            errors: self.ssh_errors.clone(),
            unused: self.ssh_unused.clone(),
        };
        for (_, id) in &self.ssh {
            out.identities.push(Ok(match id {
                age::ssh::Identity::Encrypted(_) => Box::new(id.clone().with_callbacks(TerminalUi)),
                _ => Box::new(id.clone()),
            }));
        }
        if let Some(cmd) = &self.ssh_cmd {
            match run_key_cmd(cmd, recipient, SOPS_AGE_SSH_PRIVATE_KEY_CMD)
                .and_then(|key| ssh_identity_from_cmd(&key))
            {
                Ok(id) => out.identities.push(Ok(Box::new(id))),
                Err(e) => out.errors.push(e),
            }
        }

        let mut readers: Vec<&Source> = Vec::new();
        match &self.key_env {
            Some(source) => readers.push(source),
            None => out.unused.push(SOPS_AGE_KEY.to_string()),
        }
        match &self.key_file {
            KeyFile::Unset => out.unused.push(SOPS_AGE_KEY_FILE.to_string()),
            KeyFile::OpenFailed(e) => out.errors.push(e.clone()),
            KeyFile::Read(source) => readers.push(source),
        }
        let cmd_source = match &self.key_cmd {
            None => {
                out.unused.push(SOPS_AGE_KEY_CMD.to_string());
                None
            }
            Some(cmd) => match run_key_cmd(cmd, recipient, SOPS_AGE_KEY_CMD) {
                Ok(data) => Some(Source {
                    location: SOPS_AGE_KEY_CMD.to_string(),
                    parsed: parse_keys(SOPS_AGE_KEY_CMD, &data, false),
                }),
                Err(e) => {
                    out.errors.push(e);
                    None
                }
            },
        };
        if let Some(source) = &cmd_source {
            readers.push(source);
        }
        let nothing_else = readers.is_empty() && self.ssh.is_empty();
        match &self.default_file {
            DefaultFile::NoConfigDir(e) => {
                if nothing_else {
                    out.errors.push(format!(
                        "user config directory could not be determined: {e}"
                    ));
                }
            }
            DefaultFile::Missing(path) => {
                if nothing_else {
                    out.unused.push(path.clone());
                }
            }
            DefaultFile::OpenFailed(e) => out.errors.push(e.clone()),
            DefaultFile::Read(source) => readers.push(source),
        }

        for source in readers {
            match &source.parsed {
                Err(e) => out.errors.push(e.clone()),
                Ok(entries) if entries.is_empty() => out.unused.push(source.location.clone()),
                Ok(entries) => out.identities.extend(entries.iter().map(active_identity)),
            }
        }
        out
    }
}

impl fmt::Debug for AgeIdentities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgeIdentities")
            .field("sources", &self.descriptions)
            .finish_non_exhaustive()
    }
}

/// An identity ready for age's decryptor, or why it cannot be used (e.g. its plugin is
/// missing). Like Go's age, reaching an unusable identity while looking for a matching one
/// stops decryption with its error.
type Active = std::result::Result<Box<dyn age::Identity>, age::DecryptError>;

fn active_identity(entry: &Entry) -> Active {
    match entry {
        Entry::X25519(id) => Ok(Box::new(id.clone())),
        Entry::Plugin(id) => {
            age::plugin::IdentityPluginV1::new(id.plugin(), std::slice::from_ref(id), TerminalUi)
                .map(|plugin| Box::new(plugin) as Box<dyn age::Identity>)
        }
        Entry::Encrypted { location, contents } => {
            match age::encrypted::Identity::from_buffer(
                io::Cursor::new(contents.clone()),
                Some(location.clone()),
                TerminalUi,
                None,
            ) {
                Ok(Some(id)) => Ok(Box::new(id)),
                Ok(None) => Err(age::DecryptError::Io(io::Error::other(format!(
                    "identity file '{location}' is not protected by a passphrase"
                )))),
                Err(e) => Err(age::DecryptError::Io(io::Error::other(format!(
                    "failed to decrypt identity file: {}",
                    decrypt_error_text(&e)
                )))),
            }
        }
    }
}

/// One line of [`AgeIdentities::describe`] for a keys source.
fn describe_source(label: &str, source: &Source) -> String {
    match &source.parsed {
        Err(e) => format!("{label}: {e}"),
        Ok(entries) if entries.is_empty() => format!("{label}: no identities"),
        Ok(entries) => {
            let names: Vec<String> = entries
                .iter()
                .map(|e| match e {
                    Entry::X25519(id) => id.to_public().to_string(),
                    Entry::Plugin(id) => format!("identity for plugin age-plugin-{}", id.plugin()),
                    Entry::Encrypted { .. } => "passphrase-protected identity file".to_string(),
                })
                .collect();
            format!("{label}: {}", names.join(", "))
        }
    }
}

fn read_file(path: &Path) -> io::Result<Zeroizing<Vec<u8>>> {
    let mut file = fs::File::open(path)?;
    let mut data = Zeroizing::new(Vec::new());
    // Like sops (a line scanner whose errors are ignored), a read error just ends the input.
    let _ = file.read_to_end(&mut data);
    Ok(data)
}

/// Parses a keys source as sops does (`unwrapIdentities` + `parseIdentities`): an
/// age-encrypted file (binary or armored) is one passphrase-protected identity; otherwise one
/// identity per line, blank lines and lines starting with `#` skipped. With `words` (the
/// `SOPS_AGE_KEY` variable, sops 3.12+) each line may hold several whitespace-separated keys.
fn parse_keys(location: &str, data: &[u8], words: bool) -> std::result::Result<Vec<Entry>, String> {
    let peek = &data[..data.len().min(14)];
    if peek == b"age-encryption" || peek == b"-----BEGIN AGE" {
        let mut contents = Vec::new();
        let reader: Box<dyn Read + '_> = if peek == b"age-encryption" {
            Box::new(data)
        } else {
            Box::new(age::armor::ArmoredReader::new(data))
        };
        reader
            .take(ENCRYPTED_IDENTITY_LIMIT)
            .read_to_end(&mut contents)
            .map_err(|e| format!("failed to read '{location}': {}", one_line(&e.to_string())))?;
        if contents.len() as u64 == ENCRYPTED_IDENTITY_LIMIT {
            return Err(format!("failed to read '{location}': file too long"));
        }
        return Ok(vec![Entry::Encrypted {
            location: location.to_string(),
            contents,
        }]);
    }
    let mut entries = Vec::new();
    for line in go_lines(data) {
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let fail = |e: String| format!("failed to parse '{location}' age identities: {e}");
        if words {
            for word in line
                .split(|b| b.is_ascii_whitespace())
                .filter(|w| !w.is_empty())
            {
                entries.push(parse_identity_line(word).map_err(fail)?);
            }
        } else {
            entries.push(parse_identity_line(line).map_err(fail)?);
        }
    }
    Ok(entries)
}

/// Lines as Go's `bufio.Scanner` splits them (a final `\r` dropped), stopping silently at a
/// line too long for it, as sops does.
fn go_lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    let lines = if data.is_empty() {
        None
    } else {
        Some(body.split(|&b| b == b'\n'))
    };
    lines
        .into_iter()
        .flatten()
        .take_while(|l| l.len() < GO_SCANNER_MAX_LINE)
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

/// sops' `parseIdentity`.
fn parse_identity_line(line: &[u8]) -> std::result::Result<Entry, String> {
    if line.starts_with(b"AGE-PLUGIN-") {
        let text = std::str::from_utf8(line).map_err(|_| "malformed plugin identity")?;
        age::plugin::Identity::from_str(text)
            .map(Entry::Plugin)
            .map_err(|e| format!("malformed plugin identity: {e}"))
    } else if line.starts_with(b"AGE-SECRET-KEY-1") {
        let text = std::str::from_utf8(line).map_err(|_| "malformed secret key")?;
        age::x25519::Identity::from_str(text)
            .map(Entry::X25519)
            .map_err(|e| format!("malformed secret key: {e}"))
    } else {
        Err("unknown identity type".to_string())
    }
}

/// sops' `parseSSHIdentityFromPrivateKeyFile`.
/// The SSH identity printed by `SOPS_AGE_SSH_PRIVATE_KEY_CMD`; as in sops, a key with a
/// passphrase is refused (there is no file to name in a prompt).
fn ssh_identity_from_cmd(key: &[u8]) -> std::result::Result<age::ssh::Identity, String> {
    match age::ssh::Identity::from_buffer(key, None) {
        Ok(age::ssh::Identity::Encrypted(_)) => Err(format!(
            "the SSH key returned by running {SOPS_AGE_SSH_PRIVATE_KEY_CMD} is password \
             protected, which is unsupported"
        )),
        Ok(age::ssh::Identity::Unsupported(_)) | Err(_) => Err(format!(
            "malformed SSH identity returned by running {SOPS_AGE_SSH_PRIVATE_KEY_CMD}"
        )),
        Ok(identity) => Ok(identity),
    }
}

fn load_ssh_key(path: &Path) -> std::result::Result<age::ssh::Identity, String> {
    let shown = path.display().to_string();
    let mut file = fs::File::open(path)
        .map_err(|e| format!("failed to open file: {}", go_path_error("open", &shown, &e)))?;
    let mut contents = Zeroizing::new(Vec::new());
    file.read_to_end(&mut contents)
        .map_err(|e| format!("failed to read file: {}", go_path_error("read", &shown, &e)))?;
    match age::ssh::Identity::from_buffer(&contents[..], Some(shown.clone())) {
        Ok(age::ssh::Identity::Unsupported(_)) => Err(format!(
            "malformed SSH identity in {shown:?}: unsupported SSH identity type"
        )),
        Ok(identity) => Ok(identity),
        Err(_) => Err(format!(
            "malformed SSH identity in {shown:?}: ssh: no key found"
        )),
    }
}

fn non_empty(env: &dyn Fn(&str) -> Option<OsString>, name: &str) -> Option<OsString> {
    env(name).filter(|v| !v.is_empty())
}

/// Go's `os.UserHomeDir`.
fn home_dir(env: &dyn Fn(&str) -> Option<OsString>) -> std::result::Result<PathBuf, String> {
    if cfg!(windows) {
        non_empty(env, "USERPROFILE")
            .map(PathBuf::from)
            .ok_or_else(|| "%userprofile% is not defined".to_string())
    } else {
        non_empty(env, "HOME")
            .map(PathBuf::from)
            .ok_or_else(|| "$HOME is not defined".to_string())
    }
}

/// Where sops looks for age identities by default: `<user config dir>/sops/age/keys.txt`
/// (the error says why there is no user config dir).
pub fn default_keys_file() -> std::result::Result<PathBuf, String> {
    let env = |name: &str| std::env::var_os(name);
    Ok(DEFAULT_KEYS_PATH
        .iter()
        .fold(user_config_dir(&env)?, |p, part| p.join(part)))
}

/// sops' `getUserConfigDir`: Go's `os.UserConfigDir`, except that on macOS a set
/// `XDG_CONFIG_HOME` wins.
fn user_config_dir(env: &dyn Fn(&str) -> Option<OsString>) -> std::result::Result<PathBuf, String> {
    if cfg!(windows) {
        non_empty(env, "AppData")
            .map(PathBuf::from)
            .ok_or_else(|| "%AppData% is not defined".to_string())
    } else if cfg!(target_os = "macos") {
        if let Some(dir) = non_empty(env, "XDG_CONFIG_HOME") {
            return Ok(PathBuf::from(dir));
        }
        non_empty(env, "HOME")
            .map(|h| PathBuf::from(h).join("Library").join("Application Support"))
            .ok_or_else(|| "$HOME is not defined".to_string())
    } else if let Some(dir) = non_empty(env, "XDG_CONFIG_HOME") {
        let dir = PathBuf::from(dir);
        if dir.is_absolute() {
            Ok(dir)
        } else {
            Err("path in $XDG_CONFIG_HOME is relative".to_string())
        }
    } else {
        non_empty(env, "HOME")
            .map(|h| PathBuf::from(h).join(".config"))
            .ok_or_else(|| "neither $XDG_CONFIG_HOME nor $HOME are defined".to_string())
    }
}

/// Formats an I/O error on a path the way Go's `*PathError` prints.
fn go_path_error(op: &str, path: &str, e: &io::Error) -> String {
    let text = match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let raw = e.to_string();
            let text = match raw.find(" (os error") {
                Some(i) => raw[..i].to_string(),
                None => raw,
            };
            let mut chars = text.chars();
            match chars.next() {
                Some(c) => c.to_lowercase().chain(chars).collect(),
                None => text,
            }
        }
    };
    format!("{op} {path}: {text}")
}

/// Runs `SOPS_AGE_KEY_CMD` as sops does: split shell-style, no shell, standard input empty,
/// standard error captured and dropped, `SOPS_AGE_RECIPIENT` set. Returns its output.
/// Runs the command of variable `var` for `recipient` and returns what it printed.
fn run_key_cmd(
    cmd: &str,
    recipient: &str,
    var: &str,
) -> std::result::Result<Zeroizing<Vec<u8>>, String> {
    let parse_fail = |why: &str| format!("failed to parse command {cmd} from {var}: {why}");
    let args = shell_split(cmd).map_err(parse_fail)?;
    let (program, rest) = args
        .split_first()
        .ok_or_else(|| parse_fail("empty command"))?;
    let exec_fail = |why: String| format!("failed to execute command {cmd} from {var}: {why}");
    let output = Command::new(program)
        .args(rest)
        .env(SOPS_AGE_RECIPIENT, recipient)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            exec_fail(
                if e.kind() == io::ErrorKind::NotFound && !program.contains('/') {
                    format!("exec: {program:?}: executable file not found in $PATH")
                } else {
                    go_path_error("fork/exec", program, &e)
                },
            )
        })?;
    let stdout = Zeroizing::new(output.stdout);
    drop(Zeroizing::new(output.stderr));
    if !output.status.success() {
        return Err(exec_fail(exit_text(&output.status)));
    }
    Ok(stdout)
}

fn exit_text(status: &std::process::ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("signal: {signal}");
        }
    }
    status.to_string()
}

/// Splits a command line like `github.com/google/shlex` (which sops uses): whitespace
/// separates words, `'…'` quotes literally, `"…"` quotes with `\` escaping the next
/// character, `\` outside quotes escapes the next character, and `#` at the start of a word
/// comments out the rest of the line.
fn shell_split(line: &str) -> std::result::Result<Vec<String>, &'static str> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Start,
        Word,
        Escape,
        QuotedEscape,
        Double,
        Single,
        Comment,
    }
    const AFTER_ESCAPE: &str = "EOF found after escape character";
    const NO_CLOSING_QUOTE: &str = "EOF found when expecting closing quote";
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');

    let mut words = Vec::new();
    let mut word = String::new();
    let mut state = State::Start;
    for c in line.chars() {
        state = match state {
            State::Start => match c {
                c if is_space(c) => State::Start,
                '"' => State::Double,
                '\'' => State::Single,
                '\\' => State::Escape,
                '#' => State::Comment,
                c => {
                    word.push(c);
                    State::Word
                }
            },
            State::Word => match c {
                c if is_space(c) => {
                    words.push(std::mem::take(&mut word));
                    State::Start
                }
                '"' => State::Double,
                '\'' => State::Single,
                '\\' => State::Escape,
                c => {
                    word.push(c);
                    State::Word
                }
            },
            State::Escape => {
                word.push(c);
                State::Word
            }
            State::QuotedEscape => {
                word.push(c);
                State::Double
            }
            State::Double => match c {
                '"' => State::Word,
                '\\' => State::QuotedEscape,
                c => {
                    word.push(c);
                    State::Double
                }
            },
            State::Single => match c {
                '\'' => State::Word,
                c => {
                    word.push(c);
                    State::Single
                }
            },
            State::Comment => {
                if c == '\n' {
                    State::Start
                } else {
                    State::Comment
                }
            }
        };
    }
    match state {
        State::Escape | State::QuotedEscape => Err(AFTER_ESCAPE),
        State::Double | State::Single => Err(NO_CLOSING_QUOTE),
        State::Word => {
            words.push(word);
            Ok(words)
        }
        State::Start | State::Comment => Ok(words),
    }
}

/// Talks to the user on the terminal for passphrase-protected keys and plugins (sops'
/// `pluginTerminalUI` and passphrase prompts).
#[derive(Clone, Copy)]
struct TerminalUi;

impl age::Callbacks for TerminalUi {
    fn display_message(&self, message: &str) {
        eprintln!("{message}");
    }

    fn confirm(&self, message: &str, yes_string: &str, no_string: Option<&str>) -> Option<bool> {
        let choices = match no_string {
            Some(no) => format!("[1] {yes_string} [2] {no}"),
            None => format!("[1] {yes_string}"),
        };
        let answer = tty_read_line(&format!("{message} {choices}: "), false)?;
        match answer.trim() {
            "1" => Some(true),
            "2" if no_string.is_some() => Some(false),
            _ => None,
        }
    }

    fn request_public_string(&self, description: &str) -> Option<String> {
        tty_read_line(&format!("{description} "), false).map(|s| s.to_string())
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        tty_read_line(&format!("{description} "), true)
            .map(|s| SecretString::from(s.trim_end_matches(['\r', '\n']).to_string()))
    }
}

/// Asks on the controlling terminal and reads one line (without echo if `secret`).
#[cfg(unix)]
fn tty_read_line(prompt: &str, secret: bool) -> Option<Zeroizing<String>> {
    let tty = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    let stty = |arg: &str| -> bool {
        tty.try_clone()
            .ok()
            .and_then(|t| {
                Command::new("stty")
                    .arg(arg)
                    .stdin(Stdio::from(t))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .ok()
            })
            .is_some_and(|s| s.success())
    };
    if secret && !stty("-echo") {
        return None;
    }
    let mut out = &tty;
    let _ = out.write_all(prompt.as_bytes());
    let _ = out.flush();
    let mut line = Zeroizing::new(String::new());
    let read = io::BufReader::new(&tty).read_line(&mut line);
    if secret {
        stty("echo");
        let _ = out.write_all(b"\n");
    }
    read.ok()?;
    let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_string());
    line.zeroize();
    Some(trimmed)
}

/// No terminal prompts on this platform: passphrase-protected keys cannot be used.
#[cfg(not(unix))]
fn tty_read_line(_prompt: &str, _secret: bool) -> Option<Zeroizing<String>> {
    None
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
mod tests {
    use super::*;
    use std::collections::HashMap;

    const AGE1: &str = "age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman";
    const AGE2: &str = "age18ept7lq70vg3zau47jq3qegm54ul6phpq2qf5u4ug6v7aj45kqzqfhqvyc";

    fn vectors() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
    }

    fn key_path(name: &str) -> PathBuf {
        vectors().join("keys").join(name)
    }

    fn key_text(name: &str) -> String {
        fs::read_to_string(key_path(name)).unwrap()
    }

    /// The `(recipient, enc)` pairs of the `sops.age` entries of a YAML vector, read with
    /// plain string slicing.
    fn age_entries(vector: &str) -> Vec<(String, String)> {
        let text = fs::read_to_string(vectors().join("sops").join(vector)).unwrap();
        let mut out = Vec::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("- recipient: ") {
            rest = &rest[i + "- recipient: ".len()..];
            let recipient = rest[..rest.find('\n').unwrap()].to_string();
            let begin = rest.find(ARMOR_BEGIN).unwrap();
            let end = rest.find(ARMOR_END).unwrap() + ARMOR_END.len();
            let enc: String = rest[begin..end]
                .lines()
                .map(|l| format!("{}\n", l.trim()))
                .collect();
            out.push((recipient, enc));
            rest = &rest[end..];
        }
        assert!(!out.is_empty(), "no age entries in {vector}");
        out
    }

    fn master_key(vector: &str) -> AgeMasterKey {
        let (recipient, enc) = age_entries(vector).remove(0);
        AgeMasterKey { recipient, enc }
    }

    /// What the real `age` CLI decrypts `enc` to with the identity file `identity`.
    fn age_cli_decrypt(enc: &str, identity: &Path) -> Vec<u8> {
        let mut child = Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(identity)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the age CLI is installed");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(enc.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "age -d failed");
        out.stdout
    }

    /// A fake environment; `HOME` always points at an empty temporary directory unless given.
    struct Env {
        vars: HashMap<String, OsString>,
        _home: tempfile::TempDir,
        home: PathBuf,
    }

    impl Env {
        fn new(pairs: &[(&str, &str)]) -> Env {
            let home_dir = tempfile::tempdir().unwrap();
            let home = home_dir.path().to_path_buf();
            let mut vars: HashMap<String, OsString> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), OsString::from(v)))
                .collect();
            vars.entry("HOME".to_string())
                .or_insert_with(|| home.clone().into_os_string());
            Env {
                vars,
                _home: home_dir,
                home,
            }
        }

        fn load(&self) -> AgeIdentities {
            AgeIdentities::load_from(&|name: &str| self.vars.get(name).cloned()).unwrap()
        }
    }

    fn unwrap_with(vector: &str, env: &Env) -> Result<Zeroizing<Vec<u8>>> {
        master_key(vector).unwrap(&env.load())
    }

    fn expected_age1_key() -> Vec<u8> {
        let key = age_cli_decrypt(&master_key("app.age1.yaml").enc, &key_path("age1.txt"));
        assert_eq!(key.len(), 32);
        key
    }

    #[test]
    fn unwrap_with_sops_age_key_file() {
        let path = key_path("age1.txt");
        let env = Env::new(&[(SOPS_AGE_KEY_FILE, path.to_str().unwrap())]);
        let key = unwrap_with("app.age1.yaml", &env).unwrap();
        assert_eq!(&key[..], &expected_age1_key()[..]);
    }

    #[test]
    fn unwrap_with_sops_age_key() {
        let env = Env::new(&[(SOPS_AGE_KEY, &key_text("age1.txt"))]);
        let key = unwrap_with("app.age1.yaml", &env).unwrap();
        assert_eq!(&key[..], &expected_age1_key()[..]);
    }

    #[test]
    fn unwrap_with_sops_age_key_cmd() {
        let cmd = format!("cat '{}'", key_path("age1.txt").display());
        let env = Env::new(&[(SOPS_AGE_KEY_CMD, &cmd)]);
        let key = unwrap_with("app.age1.yaml", &env).unwrap();
        assert_eq!(&key[..], &expected_age1_key()[..]);
    }

    #[test]
    fn key_cmd_sees_the_recipient() {
        let script = format!(
            "test \"$SOPS_AGE_RECIPIENT\" = {AGE1} && cat '{}'",
            key_path("age1.txt").display()
        );
        let cmd = format!("sh -c '{script}'");
        let env = Env::new(&[(SOPS_AGE_KEY_CMD, &cmd)]);
        assert_eq!(
            &unwrap_with("app.age1.yaml", &env).unwrap()[..],
            &expected_age1_key()[..]
        );
        // The same command refuses another recipient: the command really ran per key.
        let other = AgeMasterKey {
            recipient: AGE2.to_string(),
            enc: age_entries("app.age12.yaml")[1].1.clone(),
        };
        let err = other.unwrap(&env.load()).unwrap_err();
        assert!(
            err.message.contains(&format!(
                "failed to execute command {cmd} from SOPS_AGE_KEY_CMD: exit status 1"
            )),
            "{}",
            err.message
        );
    }

    #[test]
    fn unwrap_with_default_keys_file_under_xdg_config_home() {
        let xdg = tempfile::tempdir().unwrap();
        let dir = xdg.path().join("sops/age");
        fs::create_dir_all(&dir).unwrap();
        fs::copy(key_path("age1.txt"), dir.join("keys.txt")).unwrap();
        let env = Env::new(&[("XDG_CONFIG_HOME", xdg.path().to_str().unwrap())]);
        let key = unwrap_with("app.age1.yaml", &env).unwrap();
        assert_eq!(&key[..], &expected_age1_key()[..]);
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn unwrap_with_default_keys_file_under_home_config() {
        let env = Env::new(&[]);
        let dir = env.home.join(".config/sops/age");
        fs::create_dir_all(&dir).unwrap();
        fs::copy(key_path("age1.txt"), dir.join("keys.txt")).unwrap();
        let key = unwrap_with("app.age1.yaml", &env).unwrap();
        assert_eq!(&key[..], &expected_age1_key()[..]);
        // An empty XDG_CONFIG_HOME counts as unset.
        let mut env2 = Env::new(&[("XDG_CONFIG_HOME", "")]);
        env2.vars
            .insert("HOME".to_string(), env.home.clone().into_os_string());
        assert_eq!(&unwrap_with("app.age1.yaml", &env2).unwrap()[..], &key[..]);
    }

    #[test]
    fn unwrap_ssh_vector_with_sops_age_ssh_private_key_file() {
        let ssh_key = key_path("id_ed25519");
        let mk = master_key("app.ssh.yaml");
        assert!(
            mk.recipient.starts_with("ssh-ed25519 ") && mk.recipient.ends_with(" secret-test-key")
        );
        let expected = age_cli_decrypt(&mk.enc, &ssh_key);
        assert_eq!(expected.len(), 32);
        let env = Env::new(&[(SOPS_AGE_SSH_PRIVATE_KEY_FILE, ssh_key.to_str().unwrap())]);
        assert_eq!(&mk.unwrap(&env.load()).unwrap()[..], &expected[..]);
    }

    #[test]
    fn unwrap_ssh_vector_with_home_ssh_id_ed25519() {
        let mk = master_key("app.ssh.yaml");
        let expected = age_cli_decrypt(&mk.enc, &key_path("id_ed25519"));
        let env = Env::new(&[]);
        fs::create_dir_all(env.home.join(".ssh")).unwrap();
        fs::copy(key_path("id_ed25519"), env.home.join(".ssh/id_ed25519")).unwrap();
        assert_eq!(&mk.unwrap(&env.load()).unwrap()[..], &expected[..]);
        // A broken SOPS_AGE_SSH_PRIVATE_KEY_FILE does not hide ~/.ssh/id_ed25519 (as in sops).
        let mut env2 = Env::new(&[(SOPS_AGE_SSH_PRIVATE_KEY_FILE, "/nonexistent/key")]);
        env2.vars
            .insert("HOME".to_string(), env.home.clone().into_os_string());
        assert_eq!(&mk.unwrap(&env2.load()).unwrap()[..], &expected[..]);
    }

    #[test]
    fn unwrap_shamir_shares() {
        let path = key_path("age12.txt");
        let env = Env::new(&[(SOPS_AGE_KEY_FILE, path.to_str().unwrap())]);
        let ids = env.load();
        let entries = age_entries("app.shamir.yaml");
        assert_eq!(entries.len(), 2);
        for (recipient, enc) in entries {
            let expected = age_cli_decrypt(&enc, &path);
            assert_eq!(expected.len(), 33);
            let mk = AgeMasterKey { recipient, enc };
            assert_eq!(&mk.unwrap(&ids).unwrap()[..], &expected[..]);
        }
    }

    fn assert_sops_armor(enc: &str) {
        let lines: Vec<&str> = enc.split('\n').collect();
        assert_eq!(lines[0], ARMOR_BEGIN);
        assert_eq!(lines[lines.len() - 2], ARMOR_END);
        assert_eq!(lines[lines.len() - 1], "", "armor must end with a newline");
        let body = &lines[1..lines.len() - 2];
        for (i, line) in body.iter().enumerate() {
            if i + 1 < body.len() {
                assert_eq!(line.len(), 64, "line {i} of the armor");
            } else {
                assert!(!line.is_empty() && line.len() <= 64);
            }
        }
        let binary = BASE64_STANDARD.decode(body.concat()).unwrap();
        assert!(binary.starts_with(b"age-encryption.org/v1\n"));
    }

    #[test]
    fn wrap_is_readable_by_the_age_cli() {
        for len in [32, 33] {
            let data_key: Vec<u8> = (0..len).map(|i| i as u8 * 7 + 1).collect();
            let mut mk = AgeMasterKey::new(AGE1).unwrap();
            mk.wrap(&data_key).unwrap();
            assert_sops_armor(&mk.enc);
            assert_eq!(age_cli_decrypt(&mk.enc, &key_path("age1.txt")), data_key);
        }
    }

    #[test]
    fn wrap_has_the_size_of_sops_output() {
        // For X25519 the age header has a fixed size, so a wrapped 32-byte key must be exactly
        // as long as the one sops wrote, line for line.
        let sops = master_key("app.age1.yaml").enc;
        let mut mk = AgeMasterKey::new(AGE1).unwrap();
        mk.wrap(&[7; 32]).unwrap();
        let lens = |s: &str| s.lines().map(str::len).collect::<Vec<_>>();
        assert_eq!(lens(&mk.enc), lens(&sops));
        assert_eq!(mk.enc.len(), sops.len());
    }

    #[test]
    fn wrap_has_exactly_one_recipient_stanza() {
        let mut mk = AgeMasterKey::new(AGE1).unwrap();
        mk.wrap(&[9; 32]).unwrap();
        let body: String = mk.enc.lines().filter(|l| !l.starts_with("-----")).collect();
        let binary = BASE64_STANDARD.decode(body).unwrap();
        let header_end = binary.windows(4).position(|w| w == b"\n---").unwrap();
        let header = std::str::from_utf8(&binary[..header_end]).unwrap();
        assert_eq!(header.matches("\n-> ").count(), 1);
        assert!(header.contains("\n-> X25519 "));
    }

    #[test]
    fn wrap_unwrap_round_trip_x25519_and_ssh() {
        let ssh_recipient = key_text("id_ed25519.pub").trim().to_string();
        let cases = [
            (AGE1.to_string(), SOPS_AGE_KEY_FILE, key_path("age1.txt")),
            (
                ssh_recipient,
                SOPS_AGE_SSH_PRIVATE_KEY_FILE,
                key_path("id_ed25519"),
            ),
        ];
        for (recipient, var, file) in cases {
            let data_key: Vec<u8> = (0..32u8).rev().collect();
            let mut mk = AgeMasterKey::new(&recipient).unwrap();
            assert_eq!(mk.recipient, recipient);
            mk.wrap(&data_key).unwrap();
            assert_sops_armor(&mk.enc);
            let env = Env::new(&[(var, file.to_str().unwrap())]);
            assert_eq!(&mk.unwrap(&env.load()).unwrap()[..], &data_key[..]);
            assert_eq!(age_cli_decrypt(&mk.enc, &file), data_key);
        }
    }

    #[test]
    fn new_trims_and_validates_recipients() {
        let mk = AgeMasterKey::new(&format!("  {AGE1}\n")).unwrap();
        assert_eq!(mk.recipient, AGE1);
        assert!(mk.enc.is_empty());
        let keys = AgeMasterKey::from_recipients(&format!("{AGE1}, {AGE2}")).unwrap();
        assert_eq!(keys.len(), 2);
        assert!(AgeMasterKey::from_recipients("").unwrap().is_empty());

        let cases = [
            ("bogus", "failed to parse input, unknown recipient type: \"bogus\""),
            (
                "age1abc",
                "failed to parse input as Bech32-encoded age public key: malformed recipient \"age1abc\"",
            ),
            (
                "age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkmam",
                "failed to parse input as Bech32-encoded age public key",
            ),
            (
                "ssh-ed25519 AAAA",
                "failed to parse input as age-ssh public key: malformed SSH recipient: \"ssh-ed25519 AAAA\"",
            ),
            (
                "age1yubikey1qwerty",
                "failed to parse input as age key from age plugin",
            ),
            ("AGE1FMCN", "unknown recipient type"),
        ];
        for (input, expected) in cases {
            let err = AgeMasterKey::new(input).unwrap_err();
            assert_eq!(err.code, Code::Generic, "{input}");
            assert!(err.message.contains(expected), "{input}: {}", err.message);
        }
    }

    #[test]
    fn wrong_identity_fails_naming_the_recipient_without_secrets() {
        let path = key_path("age2.txt");
        let env = Env::new(&[(SOPS_AGE_KEY_FILE, path.to_str().unwrap())]);
        let err = unwrap_with("app.age1.yaml", &env).unwrap_err();
        assert_eq!(err.code, Code::CouldNotRetrieveKey);
        assert!(
            err.message.starts_with(&format!("{AGE1}: ")),
            "{}",
            err.message
        );
        assert!(err.message.contains(
            "failed to create reader for decrypting sops data key with age: \
             identity did not match any of the recipients"
        ));
        // The fix is said once, and the locations without keys are not listed: a key was found.
        assert!(err.message.ends_with(KEY_FILE_HINT), "{}", err.message);
        assert!(!err.message.contains("looked in"), "{}", err.message);
        assert_no_secrets(&err.message);
        for line in env.load().describe() {
            assert_no_secrets(&line);
        }
    }

    fn assert_no_secrets(text: &str) {
        assert!(!text.contains("AGE-SECRET-KEY"), "{text}");
        for name in ["age1.txt", "age2.txt"] {
            let secret = key_text(name);
            let secret = secret.lines().last().unwrap();
            assert!(
                !text.contains(&secret["AGE-SECRET-KEY-1".len()..]),
                "{text}"
            );
        }
        assert!(!text.contains("PRIVATE KEY"), "{text}");
    }

    #[test]
    fn no_identities_message_lists_the_locations_once_with_the_fix() {
        let env = Env::new(&[]);
        let err = unwrap_with("app.age1.yaml", &env).unwrap_err();
        assert_eq!(err.code, Code::CouldNotRetrieveKey);
        let h = env.home.display();
        let expected = format!(
            "{AGE1}: no age key found (looked in SOPS_AGE_SSH_PRIVATE_KEY_FILE, \
             {h}/.ssh/id_ed25519, {h}/.ssh/id_rsa, SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, \
             SOPS_AGE_KEY_CMD, {}); {KEY_FILE_HINT}",
            user_config_dir(&|n: &str| env.vars.get(n).cloned())
                .unwrap()
                .join("sops/age/keys.txt")
                .display()
        );
        assert_eq!(err.message, expected);

        // An empty SOPS_AGE_KEY is a source without keys, listed last; the default file is
        // then not mentioned (as in sops).
        let env = Env::new(&[(SOPS_AGE_KEY, "")]);
        let err = unwrap_with("app.age1.yaml", &env).unwrap_err();
        let h = env.home.display();
        assert_eq!(
            err.message,
            format!(
                "{AGE1}: no age key found (looked in SOPS_AGE_SSH_PRIVATE_KEY_FILE, \
                 {h}/.ssh/id_ed25519, {h}/.ssh/id_rsa, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, \
                 SOPS_AGE_KEY); {KEY_FILE_HINT}"
            )
        );
    }

    #[test]
    fn broken_sources_are_reported_only_when_nothing_works() {
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage.txt");
        fs::write(&garbage, "garbage\n").unwrap();
        let garbage = garbage.to_str().unwrap();
        let good = key_text("age1.txt");

        // A broken keys file next to a good SOPS_AGE_KEY: decrypts (sops 3.11 behaviour).
        let env = Env::new(&[(SOPS_AGE_KEY_FILE, garbage), (SOPS_AGE_KEY, &good)]);
        assert_eq!(
            &unwrap_with("app.age1.yaml", &env).unwrap()[..],
            &expected_age1_key()[..]
        );
        // Same for a missing keys file, a broken SSH key, a failing or unparsable command.
        for (var, value) in [
            (SOPS_AGE_KEY_FILE, "/nonexistent/keys.txt"),
            (SOPS_AGE_SSH_PRIVATE_KEY_FILE, garbage),
            (SOPS_AGE_KEY_CMD, "nonexistent-command-xyz arg"),
            (SOPS_AGE_KEY_CMD, "'unterminated"),
            (SOPS_AGE_KEY_CMD, ""),
        ] {
            let env = Env::new(&[(var, value), (SOPS_AGE_KEY, &good)]);
            assert!(unwrap_with("app.age1.yaml", &env).is_ok(), "{var}={value}");
        }

        // Alone, each is reported with sops' words.
        let cases = [
            (
                SOPS_AGE_KEY_FILE,
                garbage.to_string(),
                "failed to load age identities. Errors while loading age identities: \
                 failed to parse 'SOPS_AGE_KEY_FILE' age identities: unknown identity type"
                    .to_string(),
            ),
            (
                SOPS_AGE_KEY_FILE,
                "/nonexistent/keys.txt".to_string(),
                "Errors while loading age identities: failed to open SOPS_AGE_KEY_FILE file: \
                 open /nonexistent/keys.txt: no such file or directory"
                    .to_string(),
            ),
            (
                SOPS_AGE_SSH_PRIVATE_KEY_FILE,
                garbage.to_string(),
                format!(
                    "Errors while loading age identities: malformed SSH identity in \
                     \"{garbage}\": ssh: no key found"
                ),
            ),
            (
                SOPS_AGE_KEY_CMD,
                "nonexistent-command-xyz arg".to_string(),
                "failed to execute command nonexistent-command-xyz arg from SOPS_AGE_KEY_CMD: \
                 exec: \"nonexistent-command-xyz\": executable file not found in $PATH"
                    .to_string(),
            ),
            (
                SOPS_AGE_KEY_CMD,
                "'unterminated".to_string(),
                "failed to parse command 'unterminated from SOPS_AGE_KEY_CMD: \
                 EOF found when expecting closing quote"
                    .to_string(),
            ),
        ];
        for (var, value, expected) in cases {
            let env = Env::new(&[(var, &value)]);
            let err = unwrap_with("app.age1.yaml", &env).unwrap_err();
            assert_eq!(err.code, Code::CouldNotRetrieveKey);
            assert!(
                err.message.contains(&expected),
                "{var}={value}: {}",
                err.message
            );
        }

        // A keys file with a bad line after a good one is rejected whole, as in sops.
        let mixed = dir.path().join("mixed.txt");
        fs::write(&mixed, format!("{good}\nnot-a-key\n")).unwrap();
        let env = Env::new(&[(SOPS_AGE_KEY_FILE, mixed.to_str().unwrap())]);
        let err = unwrap_with("app.age1.yaml", &env).unwrap_err();
        assert!(
            err.message.contains("unknown identity type"),
            "{}",
            err.message
        );
        assert_no_secrets(&err.message);

        // A malformed secret key is reported without echoing it.
        let bad = key_text("age1.txt").replace("QLQH9QS", "QLQH9QQ");
        let env = Env::new(&[(SOPS_AGE_KEY, &bad)]);
        let err = unwrap_with("app.age1.yaml", &env).unwrap_err();
        assert!(
            err.message.contains("malformed secret key"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("QLQH9Q"), "{}", err.message);
    }

    /// The identity line of a test keys file.
    fn identity_line(name: &str) -> String {
        key_text(name).lines().last().unwrap().to_string()
    }

    /// `env` opens the age1 vector and describes SOPS_AGE_KEY as holding age2 then age1.
    fn opens_age1_with_age2_then_age1(env: &Env) {
        assert_eq!(
            &unwrap_with("app.age1.yaml", env).unwrap()[..],
            &expected_age1_key()[..]
        );
        let described = env.load().describe();
        assert!(
            described.contains(&format!("SOPS_AGE_KEY: {AGE2}, {AGE1}")),
            "{described:?}"
        );
    }

    fn fails_as_unknown_identity(env: &Env) {
        let err = unwrap_with("app.age1.yaml", env).unwrap_err();
        assert!(
            err.message.contains("unknown identity type"),
            "{}",
            err.message
        );
    }

    #[test]
    fn keys_files_accept_crlf_comments_and_several_keys() {
        let text = format!(
            "# comment\r\n\r\n{}\r\n{}",
            identity_line("age2.txt"),
            identity_line("age1.txt")
        );
        opens_age1_with_age2_then_age1(&Env::new(&[(SOPS_AGE_KEY, &text)]));
        // In a keys file, a line with leading whitespace is not a key (sops does not trim).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.txt");
        fs::write(&path, format!(" {}\n", identity_line("age1.txt"))).unwrap();
        let env = Env::new(&[(SOPS_AGE_KEY_FILE, path.to_str().unwrap())]);
        fails_as_unknown_identity(&env);
    }

    #[test]
    fn sops_age_key_holds_keys_separated_by_any_whitespace() {
        // sops 3.12+: several keys on one line of SOPS_AGE_KEY, as one variable set by CI.
        let one_line = format!(
            " {}\t {} ",
            identity_line("age2.txt"),
            identity_line("age1.txt")
        );
        let env = Env::new(&[(SOPS_AGE_KEY, &one_line)]);
        opens_age1_with_age2_then_age1(&env);
        // A bad word fails the variable as a bad line does.
        let env = Env::new(&[(SOPS_AGE_KEY, &format!("{one_line} nonsense"))]);
        fails_as_unknown_identity(&env);
    }

    #[test]
    fn ssh_private_key_cmd_output_is_an_identity() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("id");
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key)
            .status();
        if !status.is_ok_and(|s| s.success()) {
            panic!("ssh-keygen is needed for this test");
        }
        let printed = fs::read(&key).unwrap();
        let id = ssh_identity_from_cmd(&printed).unwrap();
        assert!(matches!(id, age::ssh::Identity::Unencrypted(_)));
        let Err(err) = ssh_identity_from_cmd(b"not a key") else {
            panic!("garbage taken for an SSH key");
        };
        assert!(err.starts_with(
            "malformed SSH identity returned by running SOPS_AGE_SSH_PRIVATE_KEY_CMD"
        ));
        // The command runs with SOPS_AGE_RECIPIENT set, as the age key command does.
        let out = run_key_cmd(
            "sh -c 'printf %s \"$SOPS_AGE_RECIPIENT\"'",
            "age1xyz",
            SOPS_AGE_SSH_PRIVATE_KEY_CMD,
        )
        .unwrap();
        assert_eq!(&out[..], b"age1xyz");
    }

    /// Bech32 encoding (BIP 173), to make well-formed plugin recipients and identities.
    fn bech32(hrp: &str, data: &[u8]) -> String {
        const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        fn polymod(values: &[u8]) -> u32 {
            const GEN: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
            let mut chk = 1u32;
            for &v in values {
                let top = chk >> 25;
                chk = ((chk & 0x1ff_ffff) << 5) ^ u32::from(v);
                for (i, g) in GEN.iter().enumerate() {
                    if (top >> i) & 1 == 1 {
                        chk ^= g;
                    }
                }
            }
            chk
        }
        let mut five = Vec::new();
        let (mut acc, mut bits) = (0u32, 0u32);
        for &b in data {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                five.push(((acc >> bits) & 31) as u8);
            }
        }
        if bits > 0 {
            five.push(((acc << (5 - bits)) & 31) as u8);
        }
        let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
        values.push(0);
        values.extend(hrp.bytes().map(|b| b & 31));
        values.extend(&five);
        values.extend([0; 6]);
        let pm = polymod(&values) ^ 1;
        let mut out = format!("{hrp}1");
        for &v in &five {
            out.push(CHARSET[v as usize] as char);
        }
        for i in 0..6 {
            out.push(CHARSET[((pm >> (5 * (5 - i))) & 31) as usize] as char);
        }
        out
    }

    #[test]
    fn missing_plugins_are_named() {
        let recipient = bech32("age1nosuchpluginxyz", &[1, 2, 3, 4]);
        let mut mk =
            AgeMasterKey::new(&recipient).expect("plugin recipients parse without the plugin");
        let err = mk.wrap(&[0; 32]).unwrap_err();
        assert!(
            err.message.contains("age-plugin-nosuchpluginxyz"),
            "{}",
            err.message
        );
        assert!(err.message.contains(&recipient), "{}", err.message);

        let identity = bech32("age-plugin-nosuchpluginxyz-", &[5; 8]).to_uppercase();
        // Only the plugin identity: the error names the plugin.
        let env = Env::new(&[(SOPS_AGE_KEY, &identity)]);
        let err = unwrap_with("app.age1.yaml", &env).unwrap_err();
        assert_eq!(err.code, Code::CouldNotRetrieveKey);
        assert!(
            err.message.contains("age-plugin-nosuchpluginxyz"),
            "{}",
            err.message
        );
        assert!(env
            .load()
            .describe()
            .iter()
            .any(|l| l.contains("identity for plugin age-plugin-nosuchpluginxyz")),);
        // A matching key before it still decrypts.
        let text = format!("{}\n{identity}\n", key_text("age1.txt"));
        let env = Env::new(&[(SOPS_AGE_KEY, &text)]);
        assert_eq!(
            &unwrap_with("app.age1.yaml", &env).unwrap()[..],
            &expected_age1_key()[..]
        );
    }

    #[test]
    fn shell_split_follows_google_shlex() {
        let ok = |s: &str| shell_split(s).unwrap();
        assert_eq!(ok("cat a#b c"), ["cat", "a#b", "c"]);
        assert_eq!(ok("cat a #b c"), ["cat", "a"]);
        assert_eq!(
            ok(r#"x "a\"b" 'a\b' a\ b "x\ny""#),
            ["x", "a\"b", "a\\b", "a b", "xny"]
        );
        assert_eq!(ok("x é ü/~=$HOME:;&"), ["x", "é", "ü/~=$HOME:;&"]);
        assert_eq!(ok(r#"x a"b c"d"#), ["x", "ab cd"]);
        assert_eq!(ok(r#"x "" ''"#), ["x", "", ""]);
        assert_eq!(ok("  x\ttab\nnl  "), ["x", "tab", "nl"]);
        assert_eq!(ok("x #c\n next"), ["x", "next"]);
        assert!(ok("#only").is_empty());
        assert!(ok("").is_empty());
        assert_eq!(
            shell_split("x a\\"),
            Err("EOF found after escape character")
        );
        assert_eq!(
            shell_split("x \"a b"),
            Err("EOF found when expecting closing quote")
        );
        assert_eq!(
            shell_split("x 'a b"),
            Err("EOF found when expecting closing quote")
        );
    }

    #[test]
    fn identities_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<AgeIdentities>();
        assert_send_sync::<AgeMasterKey>();
    }

    #[test]
    fn describe_lists_sources_without_secrets() {
        let xdg = tempfile::tempdir().unwrap();
        let file = key_path("age12.txt");
        let ssh = key_path("id_ed25519");
        let env = Env::new(&[
            (SOPS_AGE_KEY_FILE, file.to_str().unwrap()),
            (SOPS_AGE_SSH_PRIVATE_KEY_FILE, ssh.to_str().unwrap()),
            (SOPS_AGE_KEY_CMD, "true"),
            ("XDG_CONFIG_HOME", xdg.path().to_str().unwrap()),
        ]);
        let lines = env.load().describe();
        let h = env.home.display();
        let x = xdg.path().display();
        assert_eq!(
            lines,
            [
                format!(
                    "{SOPS_AGE_SSH_PRIVATE_KEY_FILE} ({}): SSH key",
                    ssh.display()
                ),
                format!("{h}/.ssh/id_ed25519: not found"),
                format!("{h}/.ssh/id_rsa: not found"),
                format!("{SOPS_AGE_KEY}: not set"),
                format!("{SOPS_AGE_KEY_FILE} ({}): {AGE1}, {AGE2}", file.display()),
                format!(
                    "{SOPS_AGE_KEY_CMD} (true): run for each age key, with \
                     {SOPS_AGE_RECIPIENT} set to its recipient"
                ),
                format!("{x}/sops/age/keys.txt: not found"),
            ]
        );
    }

    #[test]
    fn armor_layout() {
        let text = armor(&[0u8; 48]);
        assert_eq!(
            text,
            format!("{ARMOR_BEGIN}\n{}\n{ARMOR_END}\n", "A".repeat(64))
        );
        let text = armor(&[0u8; 49]);
        assert_eq!(
            text,
            format!("{ARMOR_BEGIN}\n{}\nAA==\n{ARMOR_END}\n", "A".repeat(64))
        );
    }

    #[test]
    fn config_dir_rules() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        if cfg!(all(unix, not(target_os = "macos"))) {
            assert_eq!(
                user_config_dir(&env(&[("HOME", "/h")])).unwrap(),
                PathBuf::from("/h/.config")
            );
            assert_eq!(
                user_config_dir(&env(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "/x")])).unwrap(),
                PathBuf::from("/x")
            );
            assert_eq!(
                user_config_dir(&env(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "rel")])).unwrap_err(),
                "path in $XDG_CONFIG_HOME is relative"
            );
            assert_eq!(
                user_config_dir(&env(&[])).unwrap_err(),
                "neither $XDG_CONFIG_HOME nor $HOME are defined"
            );
            assert_eq!(home_dir(&env(&[])).unwrap_err(), "$HOME is not defined");
        }
    }
}
