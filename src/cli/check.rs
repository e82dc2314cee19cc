//! `secret check [PATH...]`: the pre-commit guard. Files a creation rule (with a
//! `path_regex`) matches must be encrypted, with a well-formed `sops` block and, when a key
//! is at hand, a good MAC; every other file is scanned for committed secrets.

use super::io::Context;
use crate::error::{Code, Error, Result};
use crate::format::Format;
use crate::scan::{self, AllowList, Finding};
use crate::sopsfile::{self, OpenOptions};
use clap::Args;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// The allow-list's file name, looked for in the repository's top directory.
pub const ALLOW_FILE: &str = ".secretallow";

// Options of `secret check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files to check (default: the files staged for commit, as staged)
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Check the files under the directories among the PATHs
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// Check every file of the git work tree (.gitignore respected; files found clean before
    /// and unchanged since are not read again)
    #[arg(long, conflicts_with = "paths")]
    pub all: bool,
    /// The allow-list (default: .secretallow in the repository's top directory, or here)
    #[arg(long, value_name = "FILE")]
    pub allow: Option<PathBuf>,
}

/// A file to check: its name as reported and its content.
struct Target {
    name: String,
    /// Where the creation rules see it.
    path: PathBuf,
    bytes: Vec<u8>,
}

/// Where a file to check comes from.
enum Source {
    /// The index (as staged for commit).
    Staged(Target),
    /// The work tree.
    Disk(PathBuf),
}

fn staged(cwd: &Path) -> Result<(PathBuf, Vec<Target>)> {
    let top = super::git::toplevel(cwd)?;
    let run = |args: &[&str]| -> Result<Vec<u8>> {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&top)
            .output()
            .map_err(|e| Error::new(Code::Generic, format!("cannot run git: {e}")))?;
        if !out.status.success() {
            return Err(Error::new(
                Code::Generic,
                format!(
                    "git {} failed: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            ));
        }
        Ok(out.stdout)
    };
    let names = run(&[
        "diff",
        "--cached",
        "--name-only",
        "-z",
        "--diff-filter=ACMR",
    ])?;
    let mut targets = Vec::new();
    for name in String::from_utf8_lossy(&names)
        .split('\0')
        .filter(|n| !n.is_empty())
    {
        let bytes = run(&["show", &format!(":{name}")])?;
        targets.push(Target {
            name: name.to_string(),
            path: top.join(name),
            bytes,
        });
    }
    Ok((top, targets))
}

/// Checks a file a creation rule matches; `None` when it is fine.
fn check_encrypted(ctx: &Context, t: &Target) -> Result<Option<Finding>> {
    let finding = |rule: &'static str, message: String| {
        Some(Finding {
            line: 1,
            rule,
            message,
            fingerprint: String::new(),
        })
    };
    let format = Format::from_path(&t.path);
    let loaded = match format.store(&ctx.store_options()?).load(&t.bytes) {
        Ok(l) => l,
        Err(e) => {
            return Ok(finding(
                "unreadable",
                format!("matches a creation rule but cannot be read as {format:?}: {e}"),
            ))
        }
    };
    if loaded.metadata.is_none() {
        return Ok(finding(
            "not-encrypted",
            "matches a creation rule but is not encrypted (run `secret encrypt -i` on it)".into(),
        ));
    }
    if let Err(e) = sopsfile::metadata_of(&loaded) {
        return Ok(finding(
            "bad-metadata",
            format!("malformed sops block: {e}"),
        ));
    }
    let options = OpenOptions {
        ignore_mac: false,
        decryption_order: ctx.decryption_order()?,
        remember_nonces: false,
    };
    match sopsfile::open(loaded, ctx.key_services(), &options) {
        Ok(_) => Ok(None),
        Err(e) if e.code == Code::MacMismatch => Ok(finding("bad-mac", e.message)),
        Err(e) if e.code == Code::ErrorDecryptingTree => Ok(finding("bad-value", e.message)),
        // No key here: the MAC cannot be checked, the file is encrypted all the same.
        Err(_) => Ok(None),
    }
}

/// Runs `secret check`.
pub fn run(ctx: &Context, args: CheckArgs) -> Result<()> {
    let (top, names) = if args.paths.is_empty() && !args.all {
        let (top, targets) = staged(&ctx.cwd)?;
        (top, targets.into_iter().map(Source::Staged).collect())
    } else {
        let top = super::git::toplevel(&ctx.cwd).unwrap_or_else(|_| ctx.cwd.clone());
        let mut names = Vec::new();
        if args.all || args.recursive {
            for (p, _) in super::batch::list(&ctx.cwd, &args.paths, args.recursive, args.all)? {
                names.push(Source::Disk(p));
            }
        } else {
            // as before -r: directories among the paths are passed over
            for p in args.paths.iter().filter(|p| !p.is_dir()) {
                names.push(Source::Disk(p.clone()));
            }
        }
        (top, names)
    };
    let allow_path = args.allow.clone().unwrap_or_else(|| {
        let in_top = top.join(ALLOW_FILE);
        if in_top.is_file() {
            in_top
        } else {
            ctx.cwd.join(ALLOW_FILE)
        }
    });
    let allow_text = std::fs::read_to_string(&allow_path).unwrap_or_default();
    let allow = AllowList::parse(&allow_text);
    let config = ctx.config()?;
    let mut cache = args.all.then(|| {
        let config_text = config
            .and_then(|c| std::fs::read(&c.file).ok())
            .unwrap_or_default();
        super::checkcache::CleanCache::open(&top, &[&config_text, allow_text.as_bytes()])
    });
    let rel_of = |path: &Path| {
        path.strip_prefix(&top)
            .ok()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
    };
    let mut targets = Vec::new();
    let checked = names.len();
    for source in names {
        match source {
            Source::Staged(t) => targets.push(t),
            Source::Disk(p) => {
                let path = crate::config::absolute(&ctx.cwd, &p);
                let cached = cache
                    .as_ref()
                    .is_some_and(|c| rel_of(&path).is_some_and(|rel| c.is_clean(&rel)));
                if cached {
                    continue;
                }
                let bytes = std::fs::read(&p).map_err(|e| {
                    Error::new(
                        Code::CouldNotReadInputFile,
                        format!("{}: cannot read: {e}", p.display()),
                    )
                })?;
                let name = match (&cache, rel_of(&path)) {
                    (Some(_), Some(rel)) => rel,
                    _ => p.display().to_string(),
                };
                targets.push(Target { name, path, bytes });
            }
        }
    }

    let bar = if std::io::stderr().is_terminal() && targets.len() > 1 {
        let bar = indicatif::ProgressBar::new(targets.len() as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut count = 0;
    for t in &targets {
        bar.set_message(t.name.clone());
        // The path the allow-list sees: relative to the repository, `/`-separated.
        let rel = t
            .path
            .strip_prefix(&top)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| t.name.clone());
        let ruled = config.is_some_and(
            |c| matches!(c.rule_for(&t.path, &ctx.cwd), Ok(Some(r)) if r.path_regex().is_some()),
        );
        let findings: Vec<Finding> = if ruled {
            check_encrypted(ctx, t)?.into_iter().collect()
        } else if allow.allows_file(&rel) || scan::is_binary(&t.bytes) {
            Vec::new()
        } else {
            scan::scan_text(&String::from_utf8_lossy(&t.bytes))
                .into_iter()
                .filter(|f| !allow.allows(&rel, f))
                .collect()
        };
        if findings.is_empty() {
            if let Some(c) = cache.as_mut() {
                c.record_clean(&rel);
            }
        }
        for f in findings {
            count += 1;
            let fp = if f.fingerprint.is_empty() {
                String::new()
            } else {
                format!(" [fp:{}]", f.fingerprint)
            };
            bar.suspend(|| println!("{}:{}: {}: {}{fp}", t.name, f.line, f.rule, f.message));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if let Some(c) = cache {
        c.save();
    }
    if count > 0 {
        return Err(Error::new(
            Code::Generic,
            format!(
                "{count} problem(s) found in {checked} file(s) checked (allow a false positive in {ALLOW_FILE})"
            ),
        ));
    }
    Ok(())
}
