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

/// Options of `secret init`.
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
pub fn config_text(path_regex: &str, recipients: &[String]) -> String {
    format!(
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
    )
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
        .flat_map(|a| super::encrypt::split_list(a))
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
        config_text(&path_regex, &recipients).as_bytes(),
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
