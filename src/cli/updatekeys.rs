//! `secret updatekeys`: give files the master keys of their creation rule. The data key stays
//! the same (it is re-wrapped, or re-split for key groups); values, `lastmodified` and `mac`
//! are untouched, as in sops.

use super::batch::{self, BatchArgs, Outcome, Want};
use super::io::{write_atomic, Context, Files, Purpose};
use super::keyfile;
use super::keyservice_args::KeyServiceArgs;
use super::proc::EditLock;
use crate::error::{Code, Error, Result};
use crate::keys::KeyGroup;
use clap::Args;
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

// Options of `secret updatekeys`.
#[derive(Debug, Args)]
pub struct UpdateKeysArgs {
    /// The encrypted files (or, with -r, directories) to update
    #[arg(required_unless_present = "all", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Apply the changes without asking
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Input format (default: from the file name)
    #[arg(long, value_name = "TYPE", value_parser = super::FormatName)]
    pub input_type: Option<String>,
    /// Use this Shamir threshold instead of the file's (capped at the number of groups)
    #[arg(long, value_name = "N")]
    pub shamir_secret_sharing_threshold: Option<usize>,
    #[command(flatten)]
    pub keyservice: KeyServiceArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
    /// Also make a new data key for the files whose keys change (re-encrypting their values,
    /// so removed keys cannot read the new versions)
    #[arg(long)]
    pub rotate: bool,
    /// Print what would change, change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// The keys of one group position: kept, added and removed (sops' `DiffKeyGroups`).
#[derive(Debug, Default, PartialEq)]
pub struct GroupDiff {
    pub common: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// Compares key groups position by position, keys by their identifier.
pub fn diff_groups(ours: &[KeyGroup], theirs: &[KeyGroup]) -> Vec<GroupDiff> {
    let ids = |g: Option<&KeyGroup>| -> Vec<String> {
        g.map(|g| g.iter().map(|k| keyfile::key_id(k.as_ref())).collect())
            .unwrap_or_default()
    };
    (0..ours.len().max(theirs.len()))
        .map(|i| {
            let our = ids(ours.get(i));
            let their = ids(theirs.get(i));
            let our_set: HashSet<&String> = our.iter().collect();
            let their_set: HashSet<&String> = their.iter().collect();
            let mut d = GroupDiff::default();
            for k in &their {
                if our_set.contains(k) {
                    d.common.push(k.clone());
                } else {
                    d.added.push(k.clone());
                }
            }
            d.removed = our
                .iter()
                .filter(|k| !their_set.contains(k))
                .cloned()
                .collect();
            d
        })
        .collect()
}

/// The change summary sops prints before asking, for the groups `whose` names ("the groups
/// of FILE": sops says "the file's", which leaves several files' blocks on stdout
/// indistinguishable).
pub fn describe_changes(
    whose: &str,
    old_threshold: usize,
    new_threshold: usize,
    diffs: &[GroupDiff],
) -> String {
    let mut out = format!("The following changes will be made to {whose}:\n");
    if old_threshold > 0 && old_threshold == new_threshold {
        out.push_str(&format!("shamir_threshold: {new_threshold}\n"));
    } else {
        if new_threshold > 0 {
            out.push_str(&format!("+++ shamir_threshold: {new_threshold}\n"));
        }
        if old_threshold > 0 {
            out.push_str(&format!("--- shamir_threshold: {old_threshold}\n"));
        }
    }
    for (i, d) in diffs.iter().enumerate() {
        out.push_str(&format!("Group {}\n", i + 1));
        for k in &d.common {
            out.push_str(&format!("    {k}\n"));
        }
        for k in &d.added {
            out.push_str(&format!("+++ {k}\n"));
        }
        for k in &d.removed {
            out.push_str(&format!("--- {k}\n"));
        }
    }
    out
}

/// Asks `question` on stdout and reads answers from stdin until one is `y` or `n` (as sops,
/// so `echo y | secret updatekeys F` works). End of input is a refusal with an error.
pub fn confirm(question: &str, input: &mut dyn BufRead) -> Result<bool> {
    loop {
        print!("{question}");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        let n = input.read_line(&mut line).map_err(|e| {
            Error::new(
                Code::Generic,
                format!("cannot read the answer from standard input: {e}"),
            )
        })?;
        if n == 0 {
            println!();
            return Err(Error::new(
                Code::Generic,
                "no answer on standard input (not interactive?): run with -y to apply the \
                 changes without asking",
            ));
        }
        match line.trim() {
            "y" => return Ok(true),
            "n" => return Ok(false),
            _ => {}
        }
    }
}

/// How a file is worked on: alone and talking (as sops), or as one of many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Print the changes, ask unless `-y`, say what was done.
    Talk,
    /// Several files with `-y`: quiet, the summary tells.
    Quiet,
    /// `--dry-run`: print the changes, write nothing.
    DryRun,
}

fn update_file(ctx: &Context, args: &UpdateKeysArgs, path: &Path, mode: Mode) -> Result<Outcome> {
    if path.is_dir() {
        return Err(Error::new(
            Code::Generic,
            format!("{}: can't operate on a directory", path.display()),
        ));
    }
    let _lock = EditLock::acquire_if_exists(path)?;
    let mut file = keyfile::load(ctx, path, args.input_type.as_deref(), Code::Generic)?;
    let label = file.label.clone();
    let config = ctx.config()?.ok_or_else(|| {
        Error::new(
            Code::Generic,
            "config file not found: updatekeys needs a .sops.yaml (or --config)",
        )
    })?;
    let rule = config.rule_for(path, &ctx.cwd)?.ok_or_else(|| {
        Error::new(
            Code::Generic,
            format!(
                "the config file {} does not contain any creation rule",
                config.file.display()
            ),
        )
    })?;
    if rule.groups.is_empty() {
        return Err(Error::new(
            Code::Generic,
            format!(
                "{label}: the matching creation rule in {} has no keys",
                config.file.display()
            ),
        ));
    }
    let new_groups = keyfile::build_groups(&rule.groups).map_err(|e| e.context(&label))?;

    let old_threshold = file.metadata.shamir_threshold;
    let threshold = args
        .shamir_secret_sharing_threshold
        .unwrap_or(old_threshold)
        .min(new_groups.len());
    let diffs = diff_groups(&file.metadata.key_groups, &new_groups);
    let keys_change = diffs
        .iter()
        .any(|d| !d.added.is_empty() || !d.removed.is_empty());
    if !keys_change && threshold == old_threshold {
        if mode == Mode::Talk {
            eprintln!("secret: file {label} already up to date");
        }
        return Ok(Outcome::Unchanged);
    }
    if mode != Mode::Quiet {
        print!(
            "{}",
            describe_changes(
                &format!("the groups of {label}"),
                old_threshold,
                threshold,
                &diffs
            )
        );
    }
    if mode == Mode::DryRun {
        return Ok(Outcome::Changed);
    }
    if mode == Mode::Talk
        && !args.yes
        && !confirm("Is this okay? (y/n):", &mut std::io::stdin().lock())?
    {
        eprintln!("secret: file {label} left unchanged");
        return Ok(Outcome::Unchanged);
    }
    let out = if args.rotate {
        rotate_with(ctx, path, new_groups, threshold)?
    } else {
        let data_key = keyfile::recover(ctx, &file.metadata, &label)?;
        file.metadata.key_groups = new_groups;
        file.metadata.shamir_threshold = threshold;
        keyfile::rewrap(ctx, &mut file.metadata, &data_key).map_err(|e| e.context(&label))?;
        file.emit(ctx).map_err(|e| e.context(&label))?
    };
    write_atomic(path, &out, 0o644)?;
    if mode == Mode::Talk {
        eprintln!("secret: file {label} synced with new keys");
    }
    Ok(Outcome::Changed)
}

/// `--rotate`: the file decrypted and sealed again under a new data key wrapped for `groups`
/// (each value keeps its nonce, as `rotate` does).
fn rotate_with(
    ctx: &Context,
    path: &Path,
    groups: Vec<KeyGroup>,
    threshold: usize,
) -> Result<Vec<u8>> {
    let files = Files::resolve(
        &super::IoArgs {
            file: Some(path.to_path_buf()),
            ..Default::default()
        },
        false,
    )?;
    let label = files.label();
    let mut opened = files.open(ctx, false, Purpose::Rewrite)?;
    opened.metadata.key_groups = groups;
    opened.metadata.shamir_threshold = threshold;
    let data_key = crate::crypt::cipher::DataKey::generate();
    keyfile::rewrap(ctx, &mut opened.metadata, &data_key).map_err(|e| e.context(&label))?;
    crate::sopsfile::reseal(
        &mut opened.docs,
        &mut opened.metadata,
        &data_key,
        &mut opened.nonces,
    )
    .map_err(|e| e.context(&label))?;
    keyfile::emit_opened(ctx, &opened, files.output_format).map_err(|e| e.context(&label))
}

/// Runs `secret updatekeys`. One file, or several without `-y`/`--dry-run`: one after the
/// other, asking for each and stopping at the first error, as sops. Several with `-y` or
/// `--dry-run` (and `-r`, `--all`): in parallel, with a summary.
pub fn run(ctx: &Context, args: UpdateKeysArgs) -> Result<()> {
    if !args.batch.is_batch(&args.files) {
        return update_file(ctx, &args, &args.files[0], Mode::Talk).map(|_| ());
    }
    let mut contexts = batch::Contexts::new(ctx);
    let targets = batch::expand(&mut contexts, &args.files, &args.batch, Want::Encrypted)?;
    if !args.yes && !args.dry_run {
        for t in &targets {
            if !t.found || batch::is_wanted(t.ctx, &t.path, Want::Encrypted) {
                update_file(t.ctx, &args, &t.path, Mode::Talk)?;
            }
        }
        return Ok(());
    }
    let mode = if args.dry_run {
        Mode::DryRun
    } else {
        Mode::Quiet
    };
    let report = batch::run(&targets, args.batch.jobs, Want::Encrypted, |t| {
        update_file(t.ctx, &args, &t.path, mode)
    });
    let word = if args.dry_run {
        "would change"
    } else {
        "updated"
    };
    report.finish(word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::age::AgeMasterKey;

    const AGE1: &str = "age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman";
    const AGE2: &str = "age18ept7lq70vg3zau47jq3qegm54ul6phpq2qf5u4ug6v7aj45kqzqfhqvyc";

    fn group(recipients: &[&str]) -> KeyGroup {
        recipients
            .iter()
            .map(|r| Box::new(AgeMasterKey::new(r).unwrap()) as Box<dyn crate::keys::MasterKey>)
            .collect()
    }

    #[test]
    fn diff_and_summary_as_sops_prints_them() {
        let ours = vec![group(&[AGE1, AGE2])];
        let theirs = vec![group(&[AGE1]), group(&[AGE2])];
        let diffs = diff_groups(&ours, &theirs);
        assert_eq!(diffs[0].common, [AGE1]);
        assert_eq!(diffs[0].removed, [AGE2]);
        assert_eq!(diffs[1].added, [AGE2]);
        let text = describe_changes("the groups of a.yaml", 0, 2, &diffs);
        assert_eq!(
            text,
            format!(
                "The following changes will be made to the groups of a.yaml:\n\
                 +++ shamir_threshold: 2\nGroup 1\n    {AGE1}\n--- {AGE2}\nGroup 2\n+++ {AGE2}\n"
            )
        );
        assert!(
            describe_changes("the groups of a.yaml", 2, 2, &[]).contains("\nshamir_threshold: 2\n")
        );
    }

    #[test]
    fn confirmation_reads_until_y_or_n() {
        assert!(confirm("?", &mut &b"maybe\ny\n"[..]).unwrap());
        assert!(!confirm("?", &mut &b"n\n"[..]).unwrap());
        let err = confirm("?", &mut &b""[..]).unwrap_err();
        assert!(err.message.contains("-y"));
    }
}
