//! The command line: clap definitions, sops' legacy spellings, dispatch.

mod batch;
mod check;
mod checkcache;
mod completion;
mod decrypt;
mod edit;
mod encrypt;
mod exec;
mod explain;
mod filestatus;
mod git;
mod groups;
mod init;
mod inplace;
pub mod io;
mod keyfile;
mod manual;
mod proc;
mod rotate;
mod set;
mod updatekeys;

use crate::error::{Code, Error, Result};
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

/// Encrypt the values of YAML, JSON, dotenv, INI, TOML and binary secrets files; a drop-in for
/// sops.
#[derive(Debug, Parser)]
#[command(name = "secret", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Path to the .sops.yaml to use instead of searching up from the working directory
    #[arg(long, global = true, env = "SOPS_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Say what is happening on stderr (never prints secrets)
    #[arg(long, global = true)]
    pub verbose: bool,
    /// Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)
    #[arg(
        long,
        global = true,
        env = "SOPS_DECRYPTION_ORDER",
        value_name = "TYPES"
    )]
    pub decryption_order: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Encrypt a file (stdout by default)
    Encrypt(Box<encrypt::EncryptArgs>),
    /// Decrypt a file (stdout by default)
    Decrypt(decrypt::DecryptArgs),
    /// Generate a new data key and re-encrypt every value (stdout by default)
    Rotate(rotate::RotateArgs),
    /// Give files the master keys of their .sops.yaml creation rule (same data key)
    Updatekeys(updatekeys::UpdateKeysArgs),
    /// Add or delete key groups (Shamir secret sharing)
    Groups(groups::GroupsArgs),
    /// Print {"encrypted":true} or {"encrypted":false} for a file
    Filestatus(filestatus::FileStatusArgs),
    /// Edit an encrypted file in your editor (a missing file starts from an example)
    Edit(edit::EditArgs),
    /// Run a command with the decrypted values in its environment
    ExecEnv(exec::ExecEnvArgs),
    /// Run a command with the decrypted file at the path that replaces {}
    ExecFile(exec::ExecFileArgs),
    /// Set one value of an encrypted file in place: set FILE PATH JSON-VALUE
    Set(set::SetArgs),
    /// Remove one value of an encrypted file in place: unset FILE PATH
    Unset(set::UnsetArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completion(completion::CompletionArgs),
    /// Create an age key and a .sops.yaml for this repository
    Init(init::InitArgs),
    /// Show which .sops.yaml, rule, recipients and selector apply to a file
    Explain(explain::ExplainArgs),
    /// Fail when secrets are committed: unencrypted files under a rule, keys, tokens
    Check(check::CheckArgs),
    /// Set up git diff and merge drivers for encrypted files
    GitSetup(git::SetupArgs),
    /// git diff driver: print an encrypted file decrypted, values masked
    #[command(hide = true)]
    GitTextconv(git::TextconvArgs),
    /// git merge driver: merge three versions of an encrypted file
    #[command(hide = true)]
    MergeDriver(git::MergeArgs),
}

/// Input and output options shared by encrypt and decrypt.
#[derive(Debug, Args, Clone, Default)]
pub struct IoArgs {
    /// The file; without one, standard input is read
    pub file: Option<PathBuf>,
    /// Write the result back to FILE (atomically, keeping its mode)
    #[arg(short = 'i', long)]
    pub in_place: bool,
    /// Write the result to PATH instead of stdout
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Input format (default: from the file name)
    #[arg(long, value_name = "TYPE", value_parser = FormatName)]
    pub input_type: Option<String>,
    /// Output format (default: from the file name)
    #[arg(long, value_name = "TYPE", value_parser = FormatName)]
    pub output_type: Option<String>,
    /// Use this name instead of FILE for picking formats and the creation rule
    #[arg(long, value_name = "NAME")]
    pub filename_override: Option<PathBuf>,
}

/// The value of `--input-type`/`--output-type`. Help and completion offer the format names;
/// any text is accepted, since sops silently falls back to the file name for an unknown one.
#[derive(Debug, Clone, Copy)]
pub struct FormatName;

impl clap::builder::TypedValueParser for FormatName {
    type Value = String;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<String, clap::Error> {
        Ok(value.to_string_lossy().into_owned())
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            crate::format::Format::ALL
                .iter()
                .map(|f| clap::builder::PossibleValue::new(f.name())),
        ))
    }
}

/// Every subcommand name (a legacy rewrite never applies when one is present).
const SUBCOMMANDS: [&str; 19] = [
    "init",
    "explain",
    "check",
    "git-setup",
    "git-textconv",
    "merge-driver",
    "encrypt",
    "decrypt",
    "rotate",
    "updatekeys",
    "groups",
    "filestatus",
    "edit",
    "exec-env",
    "exec-file",
    "set",
    "unset",
    "help",
    "completion",
];

/// Global options that take a value (their value is not the FILE of legacy `secret FILE`).
const VALUE_FLAGS: [&str; 5] = [
    "--config",
    "--decryption-order",
    "--set",
    "--hc-vault-transit",
    "--gcp-kms",
];

/// Rewrites sops' legacy form into subcommands: `-d FILE`, `-e -i FILE`,
/// `--set '<path> <json>' FILE`, and a bare `FILE` (edit).
fn rewrite_legacy(mut args: Vec<OsString>) -> Vec<OsString> {
    let has_subcommand = args
        .iter()
        .skip(1)
        .any(|a| SUBCOMMANDS.contains(&a.to_string_lossy().as_ref()));
    if has_subcommand || args.len() < 2 {
        return args;
    }
    let legacy = [
        (["-e", "--encrypt"], "encrypt"),
        (["-d", "--decrypt"], "decrypt"),
        (["-r", "--rotate"], "rotate"),
    ];
    for (flags, command) in legacy {
        if let Some(pos) = args
            .iter()
            .position(|a| flags.contains(&a.to_string_lossy().as_ref()))
        {
            args.remove(pos);
            args.insert(1, command.into());
            return args;
        }
    }
    // `--set '<path> <json>'`: split at the first "] " into PATH and VALUE after FILE.
    let set_at = args.iter().position(|a| {
        let a = a.to_string_lossy();
        a == "--set" || a.starts_with("--set=")
    });
    if let Some(pos) = set_at {
        let flag = args.remove(pos).to_string_lossy().into_owned();
        let spec = match flag.strip_prefix("--set=") {
            Some(v) => v.to_string(),
            None if pos < args.len() => args.remove(pos).to_string_lossy().into_owned(),
            None => String::new(),
        };
        let (path, value) = match spec.find("] ") {
            Some(i) => (spec[..=i].to_string(), spec[i + 2..].to_string()),
            // No "] ": the whole text as PATH with an empty VALUE fails as sops does (exit 7).
            None => (spec, String::new()),
        };
        args.insert(1, "set".into());
        // After "--" so a VALUE such as -5 is not taken for an option.
        args.push("--".into());
        args.push(path.into());
        args.push(value.into());
        return args;
    }
    // A bare FILE (any argument that is not an option or an option's value) means edit.
    let mut i = 1;
    while i < args.len() {
        let a = args[i].to_string_lossy();
        if VALUE_FLAGS.contains(&a.as_ref()) {
            i += 2;
            continue;
        }
        if !a.starts_with('-') {
            args.insert(1, "edit".into());
            return args;
        }
        i += 1;
    }
    args
}

/// Runs the command line and returns the process exit code.
pub fn run(args: Vec<OsString>) -> i32 {
    let cli = match Cli::try_parse_from(rewrite_legacy(args)) {
        Ok(cli) => cli,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => Code::Generic as i32,
            };
            let _ = e.print();
            return code;
        }
    };
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("secret: {}", e.message);
            e.code as i32
        }
    }
}

/// Runs the subcommand; `Ok` carries the exit code (commands that run a child pass its
/// code on, an edit abandoned on a signal exits 128+n).
fn dispatch(cli: Cli) -> Result<i32> {
    let cwd = std::env::current_dir().map_err(|e| {
        Error::new(
            Code::Generic,
            format!("cannot read the working directory: {e}"),
        )
    })?;
    let ctx = io::Context::new(cli.global, cwd);
    match cli.command {
        Command::Encrypt(args) => encrypt::run(&ctx, *args).map(|()| 0),
        Command::Decrypt(args) => decrypt::run(&ctx, args).map(|()| 0),
        Command::Rotate(args) => rotate::run(&ctx, args).map(|()| 0),
        Command::Updatekeys(args) => updatekeys::run(&ctx, args).map(|()| 0),
        Command::Groups(args) => groups::run(&ctx, args).map(|()| 0),
        Command::Filestatus(args) => filestatus::run(&ctx, args).map(|()| 0),
        Command::Edit(args) => edit::run(&ctx, args),
        Command::ExecEnv(args) => exec::run_env(&ctx, args),
        Command::ExecFile(args) => exec::run_file(&ctx, args),
        Command::Set(args) => set::run_set(&ctx, args),
        Command::Unset(args) => set::run_unset(&ctx, args),
        Command::Completion(args) => completion::run(&ctx, args).map(|()| 0),
        Command::Init(args) => init::run(&ctx, args).map(|()| 0),
        Command::Explain(args) => explain::run(&ctx, args).map(|()| 0),
        Command::Check(args) => check::run(&ctx, args).map(|()| 0),
        Command::GitSetup(args) => git::setup(&ctx, args).map(|()| 0),
        Command::GitTextconv(args) => git::textconv(&ctx, args).map(|()| 0),
        Command::MergeDriver(args) => git::merge_driver(&ctx, args).map(|()| 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn legacy_flags_become_subcommands() {
        assert_eq!(
            rewrite_legacy(strings(&["secret", "-d", "f.yaml"])),
            strings(&["secret", "decrypt", "f.yaml"])
        );
        assert_eq!(
            rewrite_legacy(strings(&["secret", "-i", "--encrypt", "f.yaml"])),
            strings(&["secret", "encrypt", "-i", "f.yaml"])
        );
        assert_eq!(
            rewrite_legacy(strings(&["secret", "-r", "-i", "--add-age", "a", "f.json"])),
            strings(&["secret", "rotate", "-i", "--add-age", "a", "f.json"])
        );
        assert_eq!(
            rewrite_legacy(strings(&["secret", "decrypt", "-d"])),
            strings(&["secret", "decrypt", "-d"])
        );
    }

    #[test]
    fn bare_file_means_edit() {
        assert_eq!(
            rewrite_legacy(strings(&["secret", "f.json"])),
            strings(&["secret", "edit", "f.json"])
        );
        assert_eq!(
            rewrite_legacy(strings(&["secret", "--config", "c.yaml", "-s", "f.json"])),
            strings(&["secret", "edit", "--config", "c.yaml", "-s", "f.json"])
        );
        assert_eq!(
            rewrite_legacy(strings(&["secret", "--version"])),
            strings(&["secret", "--version"])
        );
        assert_eq!(rewrite_legacy(strings(&["secret"])), strings(&["secret"]));
    }

    #[test]
    fn legacy_set_splits_path_and_value() {
        assert_eq!(
            rewrite_legacy(strings(&[
                "secret",
                "--set",
                r#"["a"][0] {"b": 1}"#,
                "f.json"
            ])),
            strings(&[
                "secret",
                "set",
                "f.json",
                "--",
                r#"["a"][0]"#,
                r#"{"b": 1}"#
            ])
        );
        assert_eq!(
            rewrite_legacy(strings(&["secret", "f.json", "--set=[\"a\"] 5"])),
            strings(&["secret", "set", "f.json", "--", "[\"a\"]", "5"])
        );
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
