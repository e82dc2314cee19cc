//! `secret completion SHELL`: shell completion scripts; `--write-all DIR` regenerates the
//! committed `completions/` and `man/` trees (the one place that generates them).

use super::io::Context;
use crate::error::{Code, Error, Result};
use clap::{Args, CommandFactory};
use clap_complete::Shell;
use std::path::{Path, PathBuf};

/// Options of `secret completion`.
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
    clap_complete::generate(shell, &mut command(), "secret", &mut out);
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
        clap_complete::generate_to(shell, &mut command(), "secret", &completions)
            .map_err(|e| fail(&completions, e))?;
    }
    clap_mangen::generate_to(command(), &man).map_err(|e| fail(&man, e))?;
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
