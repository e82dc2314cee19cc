//! `secret completion SHELL`: shell completion scripts; `--write-all DIR` regenerates the
//! committed `completions/` and `man/` trees (the one place that generates them).

use super::io::Context;
use crate::error::{Code, Error, Result};
use clap::{Args, CommandFactory};
use clap_complete::Shell;
use std::path::{Path, PathBuf};

// Options of `secret completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell: bash, zsh, fish, elvish or powershell
    #[arg(value_enum, required_unless_present = "write_all")]
    pub shell: Option<Shell>,
    /// Write every completion script to DIR/completions and every man page to DIR/man
    #[arg(long, hide = true, value_name = "DIR", conflicts_with = "shell")]
    pub write_all: Option<PathBuf>,
}

/// The command definition as the generators see it.
fn command() -> clap::Command {
    super::Cli::command()
}

/// `cmd` without its hidden subcommands, for the completion scripts: the generators list
/// hidden ones too, offering internal commands (`git-textconv`) to users. (Hidden options
/// stay: other options refer to them, e.g. `required_unless_present`.)
fn visible(cmd: &clap::Command) -> clap::Command {
    // Subcommands are defined lazily (see `Command` in cli/mod.rs), when built.
    let mut built = cmd.clone();
    built.build();
    unbuilt(&built, true)
}

/// A copy of a built command without its hidden subcommands and what building it added, which
/// the generators add again in their usual order: `--help`, the `help` subcommand, and below
/// the top the global options.
fn unbuilt(cmd: &clap::Command, top: bool) -> clap::Command {
    let mut out = clap::Command::new(cmd.get_name().to_string())
        .args(
            cmd.get_arguments()
                .filter(|a| a.get_id() != "help" && (top || !a.is_global_set()))
                .cloned(),
        )
        .subcommands(
            cmd.get_subcommands()
                .filter(|s| !s.is_hide_set() && s.get_name() != "help")
                .map(|s| unbuilt(s, false)),
        );
    if let Some(about) = cmd.get_about() {
        out = out.about(about.clone());
    }
    if let Some(version) = cmd.get_version() {
        out = out.version(version.to_string());
    }
    out
}

/// The shells completion scripts are generated for.
pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::Elvish,
    Shell::PowerShell,
];

/// The completion script for one shell.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut visible(&command()), "secret", &mut out);
    out
}

/// Writes `DIR/completions/*` and `DIR/man/*.1`, replacing what was there.
pub fn write_all(dir: &Path) -> Result<()> {
    let fail = |what: &Path, e: std::io::Error| {
        Error::new(
            Code::CouldNotWriteOutputFile,
            format!("{}: {e}", what.display()),
        )
    };
    let completions = dir.join("completions");
    let man = dir.join("man");
    for d in [&completions, &man] {
        if d.is_dir() {
            std::fs::remove_dir_all(d).map_err(|e| fail(d, e))?;
        }
        std::fs::create_dir_all(d).map_err(|e| fail(d, e))?;
    }
    for shell in SHELLS {
        clap_complete::generate_to(shell, &mut visible(&command()), "secret", &completions)
            .map_err(|e| fail(&completions, e))?;
    }
    clap_mangen::generate_to(command(), &man).map_err(|e| fail(&man, e))?;
    // The top page gets the sections clap knows nothing of.
    let page = man.join("secret.1");
    let mut text = std::fs::read_to_string(&page).map_err(|e| fail(&page, e))?;
    text.push_str(&super::manual::extra_sections());
    std::fs::write(&page, text).map_err(|e| fail(&page, e))?;
    Ok(())
}

/// Runs `secret completion`.
pub fn run(_ctx: &Context, args: CompletionArgs) -> Result<()> {
    if let Some(dir) = &args.write_all {
        return write_all(dir);
    }
    let shell = args.shell.unwrap_or(Shell::Bash);
    super::io::Destination::Stdout.write(&script(shell), 0o644)
}
