//! `secret init`: an age key in the default location (created or reused, never
//! overwritten) and a commented `.sops.yaml` with one creation rule. Interactive by default;
//! `--yes` and flags make it non-interactive. The secret key is never printed.

use super::io::{write_atomic, Context};
use crate::config::CONFIG_NAME;
use crate::error::{Code, Error, Result};
use crate::keys::age::default_keys_file;
use age::secrecy::ExposeSecret;
use clap::Args;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// The creation rule's `path_regex` when none is given.
pub const DEFAULT_PATH_REGEX: &str = r"(^|/)secrets/";

// Options of `secret init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Ask nothing: take the flags and the defaults
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Regex of the paths (relative to the .sops.yaml) that hold secrets
    #[arg(long, value_name = "REGEX")]
    pub path_regex: Option<String>,
    /// Encrypt for this age recipient instead of a key of your own (repeatable; no key is
    /// created)
    #[arg(long, value_name = "RECIPIENT")]
    pub age: Vec<String>,
    /// Also encrypt for these AWS KMS key ARNs (repeatable, comma-separated)
    #[arg(long, value_name = "ARN")]
    pub kms: Vec<String>,
    /// Also encrypt for these GCP Cloud KMS resource ids
    #[arg(long, value_name = "RESOURCE_ID")]
    pub gcp_kms: Vec<String>,
    /// Also encrypt for these Azure Key Vault key URLs
    #[arg(long, value_name = "URL")]
    pub azure_kv: Vec<String>,
    /// Also encrypt for these HashiCorp Vault transit key URIs
    #[arg(long, value_name = "URI")]
    pub hc_vault_transit: Vec<String>,
    /// Also encrypt for these HuaweiCloud KMS keys (REGION:KEY-UUID)
    #[arg(long, value_name = "ID")]
    pub hckms: Vec<String>,
    /// Also encrypt for these PGP fingerprints
    #[arg(long, value_name = "FINGERPRINT")]
    pub pgp: Vec<String>,
}

/// The master keys besides age that a rule written by `init` may name, by `.sops.yaml` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherKey {
    Kms,
    GcpKms,
    AzureKv,
    HcVault,
    Hckms,
    Pgp,
}

impl OtherKey {
    /// Every kind, in the order the rule lists them.
    pub const ALL: [OtherKey; 6] = [
        OtherKey::Kms,
        OtherKey::GcpKms,
        OtherKey::AzureKv,
        OtherKey::HcVault,
        OtherKey::Hckms,
        OtherKey::Pgp,
    ];

    /// The creation rule field that lists keys of this kind.
    pub fn field(self) -> &'static str {
        match self {
            OtherKey::Kms => "kms",
            OtherKey::GcpKms => "gcp_kms",
            OtherKey::AzureKv => "azure_keyvault",
            OtherKey::HcVault => "hc_vault_transit_uri",
            OtherKey::Hckms => "hckms",
            OtherKey::Pgp => "pgp",
        }
    }

    /// The kind a pasted key has, told from its form: an ARN, a GCP resource id, a Vault
    /// URI (a `/v1/`-like segment) or else an Azure key URL, a hex PGP fingerprint, or a
    /// HuaweiCloud `region:uuid`.
    pub fn of(key: &str) -> Option<OtherKey> {
        let is_version = |seg: &str| {
            seg.len() > 1 && seg.starts_with('v') && seg[1..].bytes().all(|b| b.is_ascii_digit())
        };
        if key.starts_with("arn:") {
            Some(OtherKey::Kms)
        } else if key.starts_with("projects/") {
            Some(OtherKey::GcpKms)
        } else if let Some((_, rest)) = key.split_once("://") {
            Some(if rest.split('/').skip(1).any(is_version) {
                OtherKey::HcVault
            } else {
                OtherKey::AzureKv
            })
        } else if key.len() >= 16 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
            Some(OtherKey::Pgp)
        } else if key.contains(':') {
            Some(OtherKey::Hckms)
        } else {
            None
        }
    }

    /// Checks a key as its key type reads it, so a typo fails here rather than at encrypt.
    pub fn check(self, key: &str) -> Result<()> {
        let ok = match self {
            OtherKey::Kms if key.starts_with("arn:") => Ok(()),
            OtherKey::Kms => Err(fail(format!("{key:?} is not an AWS KMS key ARN"))),
            OtherKey::GcpKms => crate::keys::gcp::check_resource_id(key),
            OtherKey::AzureKv => crate::keys::azure::AzureKeyRef::parse(key).map(drop),
            OtherKey::HcVault => crate::keys::vault::VaultMasterKey::from_uri(key).map(drop),
            OtherKey::Hckms => crate::keys::hckms::KeyId::parse(key).map(drop),
            OtherKey::Pgp if key.len() >= 16 && key.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(())
            }
            OtherKey::Pgp => Err(fail(format!("{key:?} is not a PGP fingerprint"))),
        };
        ok.map_err(|e| fail(format!("{}: {}", self.field(), e.message)))
    }
}

/// Reads the answer to "which other keys": comma-separated keys of any kind.
fn classify(answer: &str) -> Result<Vec<(OtherKey, String)>> {
    crate::plan::split_list(answer)
        .into_iter()
        .map(|key| {
            let kind = OtherKey::of(&key).ok_or_else(|| {
                fail(format!(
                    "{key:?} is no key secret knows (AWS KMS ARN, GCP resource id, Azure key \
                     URL, Vault transit URI, HuaweiCloud region:uuid or PGP fingerprint)"
                ))
            })?;
            kind.check(&key)?;
            Ok((kind, key))
        })
        .collect()
}

fn fail(msg: impl Into<String>) -> Error {
    Error::new(Code::Generic, msg)
}

fn prompt_err(e: dialoguer::Error) -> Error {
    fail(format!("cannot read the answer: {e}"))
}

/// A `[Y/n]` question answered with Enter. dialoguer's default takes the first key, so a
/// user typing `y` then Enter would have the Enter answer the next question with its default.
fn confirm(theme: &dyn dialoguer::theme::Theme, prompt: String) -> Result<bool> {
    dialoguer::Confirm::with_theme(theme)
        .with_prompt(prompt)
        .default(true)
        .wait_for_newline(true)
        .interact()
        .map_err(prompt_err)
}

/// The public keys of the age identities in a key file.
fn public_keys(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(format!("{}: cannot read: {e}", path.display())))?;
    let keys: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("AGE-SECRET-KEY-"))
        .filter_map(|l| l.parse::<age::x25519::Identity>().ok())
        .map(|id| id.to_public().to_string())
        .collect();
    if keys.is_empty() {
        return Err(fail(format!(
            "{} exists but holds no age key; it is left untouched (give --age RECIPIENT)",
            path.display()
        )));
    }
    Ok(keys)
}

/// Creates a new identity at `path` (dir 0700, file 0600, never replacing a file) and
/// returns its public key.
fn create_key(path: &Path) -> Result<String> {
    let io = |e: std::io::Error| fail(format!("{}: cannot create: {e}", path.display()));
    if let Some(dir) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
    }
    let identity = age::x25519::Identity::generate();
    let public = identity.to_public().to_string();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io)?;
    let text = zeroize::Zeroizing::new(format!(
        "# created: {}\n# public key: {public}\n{}\n",
        crate::timefmt::now_utc(),
        identity.to_string().expose_secret()
    ));
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(public)
}

fn yaml_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The `.sops.yaml` text `secret init` writes.
pub fn config_text(
    path_regex: &str,
    recipients: &[String],
    others: &[(OtherKey, String)],
) -> String {
    let mut text = format!(
        "# .sops.yaml: which keys encrypt which files (read by secret and by sops).\n\
         # Written by `secret init`. The first creation rule whose path_regex matches a file's\n\
         # path (relative to this directory) gives the keys that `secret encrypt` uses.\n\
         # Add a teammate: append their age public key (comma-separated), then run\n\
         # `secret updatekeys -y FILE` on the existing files.\n\
         creation_rules:\n\
         \x20 # Files that hold secrets.\n\
         \x20 - path_regex: {}\n\
         \x20   age: {}\n",
        yaml_quote(path_regex),
        yaml_quote(&recipients.join(","))
    );
    for kind in OtherKey::ALL {
        let keys: Vec<&str> = others
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, key)| key.as_str())
            .collect();
        if keys.is_empty() {
            continue;
        }
        // sops reads `hckms` only as a list; the others take a comma-separated string.
        if kind == OtherKey::Hckms {
            text.push_str("    hckms:\n");
            for key in keys {
                text.push_str(&format!("      - {}\n", yaml_quote(key)));
            }
        } else {
            text.push_str(&format!(
                "    {}: {}\n",
                kind.field(),
                yaml_quote(&keys.join(","))
            ));
        }
    }
    text
}

/// Runs `secret init`.
pub fn run(ctx: &Context, args: InitArgs) -> Result<()> {
    let config_path = ctx.cwd.join(CONFIG_NAME);
    if config_path.exists() {
        return Err(fail(format!(
            "{} already exists; it is left untouched",
            config_path.display()
        )));
    }
    let interactive = !args.yes;
    if interactive && !std::io::stdin().is_terminal() {
        return Err(fail(
            "not a terminal: run `secret init --yes` (with --path-regex, --age) to answer by flags",
        ));
    }
    let theme = dialoguer::theme::SimpleTheme;
    let mut recipients: Vec<String> = args
        .age
        .iter()
        .flat_map(|a| crate::plan::split_list(a))
        .collect();
    for r in &recipients {
        crate::keys::age::AgeMasterKey::new(r)?;
    }
    if recipients.is_empty() {
        let key_path: PathBuf =
            default_keys_file().map_err(|e| fail(format!("no default age key location: {e}")))?;
        if key_path.exists() {
            let keys = public_keys(&key_path)?;
            let reuse = !interactive
                || confirm(
                    &theme,
                    format!(
                        "Use the existing age key in {} (public key {})?",
                        key_path.display(),
                        keys[0]
                    ),
                )?;
            if !reuse {
                return Err(fail(format!(
                    "{} is never overwritten: give --age RECIPIENT to use another key",
                    key_path.display()
                )));
            }
            eprintln!(
                "secret: using the age key in {} (public key {})",
                key_path.display(),
                keys[0]
            );
            recipients.push(keys[0].clone());
        } else {
            let create = !interactive
                || confirm(
                    &theme,
                    format!("Create an age key in {}?", key_path.display()),
                )?;
            if create {
                let public = create_key(&key_path)?;
                eprintln!(
                    "secret: created an age key in {} (public key {public}); back it up: \
                     without it the files cannot be decrypted",
                    key_path.display()
                );
                recipients.push(public);
            } else {
                let r: String = dialoguer::Input::with_theme(&theme)
                    .with_prompt("age recipient to encrypt for (age1...)")
                    .validate_with(|r: &String| {
                        crate::keys::age::AgeMasterKey::new(r)
                            .map(|_| ())
                            .map_err(|e| e.message)
                    })
                    .interact_text()
                    .map_err(prompt_err)?;
                recipients.push(r.trim().to_string());
            }
        }
    }
    let mut others = Vec::new();
    for (kind, given) in [
        (OtherKey::Kms, &args.kms),
        (OtherKey::GcpKms, &args.gcp_kms),
        (OtherKey::AzureKv, &args.azure_kv),
        (OtherKey::HcVault, &args.hc_vault_transit),
        (OtherKey::Hckms, &args.hckms),
        (OtherKey::Pgp, &args.pgp),
    ] {
        for key in given.iter().flat_map(|k| crate::plan::split_list(k)) {
            kind.check(&key)?;
            others.push((kind, key));
        }
    }
    if interactive && others.is_empty() {
        let answer: String = dialoguer::Input::with_theme(&theme)
            .with_prompt(
                "Also encrypt for key-service keys? (AWS KMS ARN, GCP resource id, Azure key URL, \
                 Vault transit URI, HuaweiCloud region:uuid, PGP fingerprint; comma-separated, \
                 Enter for none)",
            )
            .allow_empty(true)
            .validate_with(|a: &String| classify(a).map(drop).map_err(|e| e.message))
            .interact_text()
            .map_err(prompt_err)?;
        others = classify(&answer)?;
    }
    let path_regex = match (&args.path_regex, interactive) {
        (Some(p), _) => p.clone(),
        (None, false) => DEFAULT_PATH_REGEX.to_string(),
        (None, true) => dialoguer::Input::with_theme(&theme)
            .with_prompt("Which paths hold secrets? (regex on paths relative to this directory)")
            .default(DEFAULT_PATH_REGEX.to_string())
            .validate_with(|p: &String| regex::Regex::new(p).map(|_| ()).map_err(|e| e.to_string()))
            .interact_text()
            .map_err(prompt_err)?,
    };
    regex::Regex::new(&path_regex).map_err(|e| {
        fail(format!(
            "invalid --path-regex {}: {e}",
            yaml_quote(&path_regex)
        ))
    })?;
    write_atomic(
        &config_path,
        config_text(&path_regex, &recipients, &others).as_bytes(),
        0o644,
    )?;
    // Quoted as in the file: Debug formatting would double every backslash.
    eprintln!(
        "secret: wrote {} (path_regex: {}); encrypt with `secret encrypt -i FILE`",
        config_path.display(),
        yaml_quote(&path_regex)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const VAULT: &str = "https://vault.example.com:8200/v1/transit/keys/sops";
    const AZURE: &str = "https://v.vault.azure.net/keys/sops/0123";
    const GCP: &str = "projects/p/locations/global/keyRings/r/cryptoKeys/k";
    const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/abc";
    const HCKMS: &str = "eu-west-101:0d0466b0-e727-4d9c-b35d-f84bb474a37f";
    const PGP: &str = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";

    #[test]
    fn pasted_keys_are_told_apart_by_their_form() {
        for (key, kind) in [
            (ARN, OtherKey::Kms),
            (GCP, OtherKey::GcpKms),
            (AZURE, OtherKey::AzureKv),
            (VAULT, OtherKey::HcVault),
            (
                "http://127.0.0.1:8200/v1/team/transit/keys/k",
                OtherKey::HcVault,
            ),
            (HCKMS, OtherKey::Hckms),
            (PGP, OtherKey::Pgp),
        ] {
            assert_eq!(OtherKey::of(key), Some(kind), "{key}");
        }
        assert_eq!(OtherKey::of("hunter2"), None);
        let all = classify(&format!("{VAULT}, {GCP},{HCKMS}")).unwrap();
        let kinds: Vec<OtherKey> = all.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            [OtherKey::HcVault, OtherKey::GcpKms, OtherKey::Hckms]
        );
        assert!(classify("").unwrap().is_empty());
    }

    #[test]
    fn malformed_keys_are_refused_with_the_field() {
        for (answer, why) in [
            ("hunter2", "no key secret knows"),
            ("projects/p/locations/l", "gcp_kms: "),
            ("http://v/keys/k", "azure_keyvault: "),
            (
                "https://v.example.com/vault/v1/transit/keys/k",
                "hc_vault_transit_uri: ",
            ),
            ("eu-west-101:", "hckms: "),
        ] {
            let e = classify(answer).unwrap_err();
            assert!(e.message.contains(why), "{answer}: {}", e.message);
        }
    }

    #[test]
    fn the_written_rule_names_every_key_as_the_config_reader_sees_it() {
        let others = classify(&format!("{ARN},{GCP},{AZURE},{VAULT},{HCKMS},{PGP}")).unwrap();
        let text = config_text(r"\.env$", &["age1example".into()], &others);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".sops.yaml");
        std::fs::write(&file, &text).unwrap();
        let config = Config::load(&file, dir.path()).unwrap();
        let group = &config.rules().unwrap()[0].groups[0];
        assert_eq!(group.age, ["age1example"]);
        assert_eq!(group.kms[0].arn, ARN);
        assert_eq!(group.gcp_kms, [GCP]);
        assert_eq!(group.azure_kv[0].to_string(), AZURE);
        assert_eq!(group.hc_vault, [VAULT]);
        assert_eq!(group.hckms, [HCKMS]);
        assert_eq!(group.pgp, [PGP]);
        assert_eq!(config.rules().unwrap()[0].path_regex(), Some(r"\.env$"));
    }
}
