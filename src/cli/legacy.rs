//! sops' legacy top-level form: `sops [-d|-e|-r|--set '<path> <json>'] [flags] FILE`, where
//! no mode flag means edit. Every top-level flag of sops is accepted here; the form is turned
//! into the subcommand it stands for, with the flags that subcommand uses (sops ignores the
//! others in each mode, and so does this).

use super::decrypt::DecryptArgs;
use super::edit::EditArgs;
use super::encrypt::EncryptArgs;
use super::keyservice_args::{parse_go_bool, KeyServiceArgs};
use super::plan::NewFileArgs;
use super::rotate::{KeyChangeArgs, RotateArgs};
use super::set::{ChangeArgs, SetArgs};
use super::{Command, IoArgs};
use crate::error::{Code, Error, Result};
use clap::{ArgAction, Args};
use std::path::PathBuf;

/// The variable of `--disable-version-check`.
pub const DISABLE_VERSION_CHECK_VAR: &str = "SOPS_DISABLE_VERSION_CHECK";

// The flags of sops' top level (before a subcommand, or without one).
#[derive(Debug, Args, Clone, Default)]
pub struct LegacyArgs {
    /// Legacy form: decrypt FILE (as `decrypt`)
    #[arg(short = 'd', long)]
    pub decrypt: bool,
    /// Legacy form: encrypt FILE (as `encrypt`)
    #[arg(short = 'e', long)]
    pub encrypt: bool,
    /// Legacy form: new data key for FILE (as `rotate`)
    #[arg(short = 'r', long)]
    pub rotate: bool,
    /// Legacy form: set '<path> <json>' in FILE (as `set`)
    #[arg(long, value_name = "PATH JSON")]
    pub set: Option<String>,
    /// Print the version and exit
    #[arg(short = 'v', long)]
    pub version: bool,
    /// Accepted for sops compatibility (secret never checks for updates online)
    #[arg(
        long,
        env = DISABLE_VERSION_CHECK_VAR,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_value = "false",
        default_missing_value = "true",
        value_parser = parse_go_bool,
        action = ArgAction::Set
    )]
    pub disable_version_check: bool,
    /// With --version: say that secret does not check for updates (it works offline)
    #[arg(long)]
    pub check_for_updates: bool,
    #[command(flatten)]
    pub io: IoArgs,
    /// Files after the first: ignored with a warning, as sops does
    #[arg(hide = true, value_name = "MORE")]
    pub more: Vec<PathBuf>,
    /// Legacy decrypt: print only this part of the tree, e.g. '["db"]["password"]'
    #[arg(long, value_name = "PATH")]
    pub extract: Option<String>,
    /// Legacy edit: show the sops metadata (master keys) in the editor too
    #[arg(short = 's', long)]
    pub show_master_keys: bool,
    /// Do not check the file's MAC
    #[arg(long)]
    pub ignore_mac: bool,
    #[command(flatten)]
    pub keys: NewFileArgs,
    #[command(flatten)]
    pub changes: KeyChangeArgs,
    #[command(flatten)]
    pub keyservice: KeyServiceArgs,
}

/// Splits the legacy `--set` text at its first `] ` into PATH and JSON VALUE, as sops does.
fn split_set(spec: &str) -> Result<(String, String)> {
    match spec.find("] ") {
        Some(i) => Ok((spec[..=i].to_string(), spec[i + 2..].to_string())),
        None => Err(Error::new(Code::InvalidSetFormat, "Invalid --set format")),
    }
}

impl LegacyArgs {
    /// The subcommand this legacy command line stands for. Several modes run the last one
    /// (sops warns the same way and only the last one's changes are visible).
    pub fn into_command(self) -> Result<Command> {
        let modes = [self.encrypt, self.decrypt, self.rotate, self.set.is_some()];
        if modes.iter().filter(|m| **m).count() > 1 {
            eprintln!(
                "secret: warning: more than one command (--encrypt, --decrypt, --rotate, \
                 --set) has been specified; only the last one runs"
            );
        }
        if !self.more.is_empty() {
            eprintln!(
                "secret: warning: more than one positional argument provided; only the first \
                 one is used"
            );
            let flag_like = self
                .more
                .iter()
                .rev()
                .find(|w| w.to_string_lossy().starts_with('-'));
            if let Some(flag) = flag_like {
                eprintln!(
                    "secret: warning: one of the ignored positional arguments is {:?}, which \
                     looks like a flag; flags must always be given before the first positional \
                     argument",
                    flag.to_string_lossy()
                );
            }
        }
        let Some(file) = self.io.file.clone() else {
            return Err(Error::new(
                Code::NoFileSpecified,
                "Error: no file specified",
            ));
        };
        let LegacyArgs {
            io,
            keys,
            changes,
            keyservice,
            ignore_mac,
            ..
        } = self;
        if let Some(spec) = &self.set {
            let (path, value) = split_set(spec)?;
            return Ok(Command::Set(SetArgs {
                file,
                path,
                value: Some(value),
                value_file: false,
                value_stdin: false,
                idempotent: false,
                change: ChangeArgs {
                    input_type: io.input_type,
                    output_type: io.output_type,
                    ignore_mac,
                    shamir_secret_sharing_threshold: keys.shamir_secret_sharing_threshold,
                    keyservice,
                },
            }));
        }
        if self.rotate {
            // sops' top-level rotate checks the file first, as decrypt does (exit 100; the
            // `rotate` subcommand reads it, exit 2).
            if !file.exists() && !changes.changes_keys() {
                return Err(Error::new(
                    Code::NoFileSpecified,
                    format!("cannot operate on non-existent file {}", file.display()),
                ));
            }
            return Ok(Command::Rotate(RotateArgs {
                io,
                changes,
                encryption_context: keys.encryption_context,
                aws_profile: keys.aws_profile,
                ignore_mac,
                keyservice,
                many: Default::default(),
            }));
        }
        if self.decrypt {
            return Ok(Command::Decrypt(DecryptArgs {
                io,
                extract: self.extract,
                ignore_mac,
                mask: false,
                keyservice,
                many: Default::default(),
                merge: false,
            }));
        }
        if self.encrypt {
            return Ok(Command::Encrypt(Box::new(EncryptArgs {
                io,
                keys,
                keyservice,
                many: Default::default(),
                to: None,
            })));
        }
        Ok(Command::Edit(EditArgs {
            file,
            input_type: io.input_type,
            output_type: io.output_type,
            show_master_keys: self.show_master_keys,
            ignore_mac,
            keys,
            keyservice,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_text_splits_at_the_first_bracket_space() {
        assert_eq!(
            split_set(r#"["a"][0] {"b": "] x"}"#).unwrap(),
            (r#"["a"][0]"#.to_string(), r#"{"b": "] x"}"#.to_string())
        );
        assert_eq!(
            split_set(r#"["a"]5"#).unwrap_err().code,
            Code::InvalidSetFormat
        );
    }
}
