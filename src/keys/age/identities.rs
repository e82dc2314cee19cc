//! Finding the user's age identities the way sops 3.11 does (`age/keysource.go`).
//!
//! Identities come from, in this order: the SSH key named by `SOPS_AGE_SSH_PRIVATE_KEY_FILE`,
//! the SSH key printed by `SOPS_AGE_SSH_PRIVATE_KEY_CMD` (sops 3.12), `~/.ssh/id_ed25519`, `~/.ssh/id_rsa`, `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`
//! and the default `<user config dir>/sops/age/keys.txt`. All of them are combined; a source
//! that cannot be read is reported only if no identity could open the key. Like sops, the key
//! command is run again for every age key that is tried, with `SOPS_AGE_RECIPIENT` set to that
//! key's recipient.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;

use zeroize::Zeroizing;

use super::plugin::TerminalUi;
use super::{decrypt_error_text, one_line};
use crate::error::Result;

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

/// age's and sops' limit for an encrypted identity file.
const ENCRYPTED_IDENTITY_LIMIT: u64 = 1 << 24;
/// Go's `bufio.Scanner` gives up on a line this long; sops then silently stops reading.
const GO_SCANNER_MAX_LINE: usize = 64 * 1024;

/// One identity from a keys source.
#[derive(Clone)]
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
#[derive(Clone)]
struct Source {
    location: String,
    parsed: std::result::Result<Vec<Entry>, String>,
}

/// `SOPS_AGE_KEY_FILE`.
#[derive(Clone)]
enum KeyFile {
    Unset,
    OpenFailed(String),
    Read(Source),
}

/// `<user config dir>/sops/age/keys.txt`.
#[derive(Clone)]
enum DefaultFile {
    NoConfigDir(String),
    Missing(String),
    OpenFailed(String),
    Read(Source),
}

/// Every identity sops would load, loaded once per run (lazily: only when a file has age
/// keys). The `SOPS_AGE_KEY_CMD` command is the exception: as in sops it runs each time a key
/// is unwrapped, with `SOPS_AGE_RECIPIENT` set to that key's recipient.
#[derive(Clone)]
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
    /// Sources that gave keys, described only when asked (by their place in `descriptions`):
    /// naming an X25519 key means computing its public key, a scalar multiplication, and
    /// most runs never print the descriptions.
    described_later: Vec<(usize, String, Source)>,
    /// Identities given by the program (library keyrings), tried before all others.
    memory: Vec<Entry>,
    /// Whether the sources above were loaded from the environment; without it only
    /// `memory` counts.
    from_env: bool,
}

/// How errors name the identities given in memory.
const IN_MEMORY: &str = "the keyring's in-memory identities";

/// The identities for one unwrap, with what went wrong while gathering them.
pub(super) struct Resolved {
    pub(super) identities: Vec<Active>,
    pub(super) errors: Vec<String>,
    pub(super) unused: Vec<String>,
    /// The usual fix when no identity opens a key, said once at the end of the message.
    pub(super) hint: &'static str,
}

/// The usual fix when no identity opens a key, for identities from the environment.
pub(super) const KEY_FILE_HINT: &str = "set SOPS_AGE_KEY_FILE=/path/to/keys.txt";
/// The same for a keyring given in memory.
const IN_MEMORY_HINT: &str = "add the identity of one of the file's recipients to the keyring";

impl Resolved {
    /// The message, its cause and the errors met while loading identities. Unlike sops, the
    /// locations without keys are listed only when no key was found at all ([`Self::none_found`]):
    /// repeated for every recipient they made a wall of text that hid the cause.
    pub(super) fn explain(&self, msg: &str, err: Option<&str>) -> String {
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
    pub(super) fn none_found(&self) -> String {
        format!(
            "no age key found (looked in {}); {}",
            self.unused.join(", "),
            self.hint
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
            from_env: true,
            ..AgeIdentities::in_memory()
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
                ids.describe_later(SOPS_AGE_KEY, &source);
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
                        ids.describe_later(&label, &source);
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
                        ids.describe_later(&shown, &source);
                        DefaultFile::Read(source)
                    }
                }
            }
        };
        Ok(ids)
    }

    /// No identities, and none to be looked for in the environment: the start of a keyring
    /// the program fills itself ([`AgeIdentities::add`]).
    pub fn in_memory() -> AgeIdentities {
        AgeIdentities {
            ssh: Vec::new(),
            ssh_errors: Vec::new(),
            ssh_unused: Vec::new(),
            ssh_cmd: None,
            key_env: None,
            key_file: KeyFile::Unset,
            key_cmd: None,
            default_file: DefaultFile::Missing(String::new()),
            descriptions: Vec::new(),
            described_later: Vec::new(),
            memory: Vec::new(),
            from_env: false,
        }
    }

    /// Adds identities given as text: a keys file (one identity per line, `#` comments,
    /// several identities on a line allowed, as `SOPS_AGE_KEY` takes them) or an
    /// age-encrypted identity file. They are tried before any other. Returns how many were
    /// added; the error never quotes the text.
    pub fn add(&mut self, text: &[u8]) -> std::result::Result<usize, String> {
        let source = Source {
            location: IN_MEMORY.to_string(),
            parsed: parse_keys(IN_MEMORY, text, true),
        };
        self.describe_later(IN_MEMORY, &source);
        let entries = source.parsed?;
        let added = entries.len();
        self.memory.extend(entries);
        Ok(added)
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
        let mut lines = self.descriptions.clone();
        for (at, label, source) in &self.described_later {
            lines[*at] = describe_source(label, source);
        }
        lines
    }

    /// Adds the line for a source that was read; see `described_later`.
    fn describe_later(&mut self, label: &str, source: &Source) {
        self.described_later
            .push((self.descriptions.len(), label.to_string(), source.clone()));
        self.descriptions.push(String::new());
    }

    /// Gathers the identities for unwrapping the key of `recipient`, running the key command
    /// if there is one, and sops' lists of errors and of locations without keys.
    pub(super) fn resolve(&self, recipient: &str) -> Resolved {
        let mut out = Resolved {
            identities: self.memory.iter().map(active_identity).collect(),
            errors: Vec::new(),
            unused: Vec::new(),
            hint: KEY_FILE_HINT,
        };
        if !self.from_env {
            if out.identities.is_empty() {
                out.unused.push(IN_MEMORY.to_string());
            }
            out.hint = IN_MEMORY_HINT;
            return out;
        }
        out.errors.extend_from_slice(&self.ssh_errors);
        out.unused.extend_from_slice(&self.ssh_unused);
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
        let nothing_else = readers.is_empty() && self.ssh.is_empty() && self.memory.is_empty();
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
            .field("sources", &self.describe())
            .finish_non_exhaustive()
    }
}

/// An identity ready for age's decryptor, or why it cannot be used (e.g. its plugin is
/// missing). Like Go's age, reaching an unusable identity while looking for a matching one
/// stops decryption with its error.
pub(super) type Active = std::result::Result<Box<dyn age::Identity>, age::DecryptError>;

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
pub(super) fn ssh_identity_from_cmd(key: &[u8]) -> std::result::Result<age::ssh::Identity, String> {
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
pub(super) fn home_dir(
    env: &dyn Fn(&str) -> Option<OsString>,
) -> std::result::Result<PathBuf, String> {
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
pub(super) fn user_config_dir(
    env: &dyn Fn(&str) -> Option<OsString>,
) -> std::result::Result<PathBuf, String> {
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
pub(super) fn run_key_cmd(
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
pub(super) fn shell_split(line: &str) -> std::result::Result<Vec<String>, &'static str> {
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
