//! The command line: clap definitions, sops' legacy spellings, dispatch.

mod check;
mod completion;
mod decrypt;
mod encrypt;
mod explain;
mod filestatus;
mod git;
mod groups;
mod init;
pub mod io;
mod keyfile;
mod rotate;
mod updatekeys;

use crate::error::{Code, Error, Result};
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

/// Encrypt the values of YAML, JSON, dotenv, INI and binary secrets files; a drop-in for sops.
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
    Encrypt(encrypt::EncryptArgs),
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
    /// Input format: yaml, json, dotenv, ini or binary (default: from the file name)
    #[arg(long, value_name = "TYPE")]
    pub input_type: Option<String>,
    /// Output format: yaml, json, dotenv, ini or binary (default: from the file name)
    #[arg(long, value_name = "TYPE")]
    pub output_type: Option<String>,
    /// Use this name instead of FILE for picking formats and the creation rule
    #[arg(long, value_name = "NAME")]
    pub filename_override: Option<PathBuf>,
}

/// Rewrites sops' legacy form (`sops -d FILE`, `sops -e -i FILE`) into subcommands.
fn rewrite_legacy(mut args: Vec<OsString>) -> Vec<OsString> {
    const SUBCOMMANDS: [&str; 14] = [
        "encrypt",
        "decrypt",
        "help",
        "completion",
        "rotate",
        "updatekeys",
        "groups",
        "filestatus",
        "init",
        "explain",
        "check",
        "git-setup",
        "git-textconv",
        "merge-driver",
    ];
    let has_subcommand = args
        .iter()
        .skip(1)
        .any(|a| SUBCOMMANDS.contains(&a.to_string_lossy().as_ref()));
    if has_subcommand {
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
            break;
        }
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
        Ok(()) => 0,
        Err(e) => {
            eprintln!("secret: {}", e.message);
            e.code as i32
        }
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    let cwd = std::env::current_dir().map_err(|e| {
        Error::new(
            Code::Generic,
            format!("cannot read the working directory: {e}"),
        )
    })?;
    let ctx = io::Context::new(cli.global, cwd);
    match cli.command {
        Command::Encrypt(args) => encrypt::run(&ctx, args),
        Command::Decrypt(args) => decrypt::run(&ctx, args),
        Command::Rotate(args) => rotate::run(&ctx, args),
        Command::Updatekeys(args) => updatekeys::run(&ctx, args),
        Command::Groups(args) => groups::run(&ctx, args),
        Command::Filestatus(args) => filestatus::run(&ctx, args),
        Command::Completion(args) => completion::run(&ctx, args),
        Command::Init(args) => init::run(&ctx, args),
        Command::Explain(args) => explain::run(&ctx, args),
        Command::Check(args) => check::run(&ctx, args),
        Command::GitSetup(args) => git::setup(&ctx, args),
        Command::GitTextconv(args) => git::textconv(&ctx, args),
        Command::MergeDriver(args) => git::merge_driver(&ctx, args),
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
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
