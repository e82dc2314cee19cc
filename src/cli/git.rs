//! git integration: `secret git-setup` (attributes and local config), the diff driver
//! `secret git-textconv FILE` and the merge driver `secret merge-driver %O %A %B %P`; the
//! clean/smudge filter of `git-setup --filter` is in `gitfilter.rs`.

use super::gitfilter_setup;
use super::io::{write_atomic, Context};
use crate::config::{Config, CreationRule};
use crate::error::{Code, Error, Result};
use crate::format::{Format, Loaded};
use crate::mask::{mask_docs, MaskOptions, MASK};
use crate::sopsfile::{self, OpenOptions, Opened};
use crate::tree::Map;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The attribute value (`diff=secret merge=secret`) and the git config driver name.
pub const DRIVER: &str = "secret";

// Options of `secret git-setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// gitattributes patterns to set up (default: the files the creation rules match)
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
    /// How git should call secret (default: the absolute path of this binary)
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,
    /// Transparent mode: plaintext in the work tree, encrypted in the index and history
    /// (a clean/smudge filter); patterns made from the creation rules' path_regex
    #[arg(long)]
    pub filter: bool,
    /// Leave the filter mode in this clone: remove the filter from .git/config and check the
    /// files under it out encrypted
    #[arg(long, conflicts_with_all = ["filter", "patterns", "command"])]
    pub uninstall: bool,
}

// Options of `secret git-textconv`.
#[derive(Debug, Args)]
pub struct TextconvArgs {
    /// The file git gives the driver
    pub file: PathBuf,
}

// Options of `secret merge-driver` (git's `%O %A %B %P`).
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The common ancestor's version (%O)
    pub base: PathBuf,
    /// The current branch's version (%A); the merge result is written here
    pub current: PathBuf,
    /// The other branch's version (%B)
    pub other: PathBuf,
    /// The file's path in the repository (%P): picks the format
    pub path: PathBuf,
}

/// Runs git in `cwd` and returns its stdout; a failure names the git command and says why.
pub fn git(args: &[&str], cwd: &Path) -> Result<String> {
    git_bytes(args, cwd).map(|out| String::from_utf8_lossy(&out).into_owned())
}

/// [`git`] with stdout as bytes (blobs need not be UTF-8).
pub fn git_bytes(args: &[&str], cwd: &Path) -> Result<Vec<u8>> {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
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
}

/// The paths a NUL-separated git listing (`ls-files -z`, `diff --name-only -z`) prints.
pub fn git_list(args: &[&str], cwd: &Path) -> Result<Vec<String>> {
    Ok(git(args, cwd)?
        .split('\0')
        .filter(|f| !f.is_empty())
        .map(String::from)
        .collect())
}

/// What `git status` sees in the work tree: tracked files, and untracked ones not ignored.
pub fn work_tree_files(top: &Path) -> Result<Vec<String>> {
    git_list(
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
        top,
    )
}

/// The top directory of the git work tree holding `cwd`.
pub fn toplevel(cwd: &Path) -> Result<PathBuf> {
    Ok(PathBuf::from(
        git(&["rev-parse", "--show-toplevel"], cwd)?.trim_end(),
    ))
}

/// Quotes a word for the shell git runs drivers with.
fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:=@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Runs `secret git-setup`.
pub fn setup(ctx: &Context, args: SetupArgs) -> Result<()> {
    let top = toplevel(&ctx.cwd)?;
    if args.uninstall {
        return gitfilter_setup::uninstall(&top);
    }
    let patterns = match (args.patterns.is_empty(), args.filter) {
        (false, _) => args.patterns.clone(),
        (true, true) => gitfilter_setup::rule_patterns(ctx, &top)?,
        (true, false) => files_under_rules(&top, need_config(ctx)?, |_| true)?,
    };
    if patterns.is_empty() {
        return Err(Error::new(
            Code::Generic,
            "no file in the repository matches a creation rule's path_regex: give \
             gitattributes patterns, e.g. `secret git-setup 'secrets/**'`",
        ));
    }
    let attributes = top.join(".gitattributes");
    let added = write_attributes(&attributes, &patterns, args.filter)?;
    let command = match args.command {
        Some(c) => c,
        None => std::env::current_exe()
            .map(|p| sh_quote(&p.to_string_lossy()))
            .unwrap_or_else(|_| "secret".into()),
    };
    let set = |key: &str, value: &str| git(&["config", "--local", key, value], &top);
    set(
        &format!("diff.{DRIVER}.textconv"),
        &format!("{command} git-textconv"),
    )?;
    set(
        &format!("merge.{DRIVER}.name"),
        "secret: merge encrypted files",
    )?;
    set(
        &format!("merge.{DRIVER}.driver"),
        &format!("{command} merge-driver %O %A %B %P"),
    )?;
    let mut what = "diff and merge drivers";
    if args.filter {
        gitfilter_setup::install(&set, &command)?;
        what = "clean/smudge filter, diff and merge drivers";
    }
    eprintln!(
        "secret: {} ({added} new line(s)); {what} set in .git/config",
        attributes.display()
    );
    if args.filter {
        let n = gitfilter_setup::refresh(&top)?;
        eprintln!("secret: {n} unchanged file(s) under the filter checked out again");
    }
    Ok(())
}

/// The `.sops.yaml` in force, which `git-setup` without patterns needs.
pub(super) fn need_config(ctx: &Context) -> Result<&Config> {
    ctx.config()?.ok_or_else(|| {
        Error::new(
            Code::Generic,
            "no .sops.yaml found: give gitattributes patterns, e.g. `secret git-setup 'secrets/**'`",
        )
    })
}

/// `/FILE` patterns for the files of the work tree (tracked, and untracked but not ignored)
/// whose creation rule has a `path_regex` and passes `keep`.
pub(super) fn files_under_rules(
    top: &Path,
    config: &Config,
    keep: impl Fn(&CreationRule) -> bool,
) -> Result<Vec<String>> {
    Ok(work_tree_files(top)?
        .into_iter()
        .filter(|f| {
            matches!(config.rule_for(&top.join(f), top),
                Ok(Some(rule)) if rule.path_regex().is_some() && keep(rule))
        })
        .map(|f| format!("/{f}"))
        .collect())
}

/// Adds a `PATTERN ATTRIBUTES` line to `.gitattributes` for each pattern that has none yet
/// and returns how many lines changed. In filter mode, a diff-driver line written earlier
/// for the same pattern is replaced rather than left to be overridden.
fn write_attributes(attributes: &Path, patterns: &[String], filter: bool) -> Result<usize> {
    let drivers = format!("diff={DRIVER} merge={DRIVER}");
    let existing = std::fs::read_to_string(attributes).unwrap_or_default();
    let mut lines: Vec<String> = existing.lines().map(String::from).collect();
    let mut added = 0;
    for p in patterns {
        let line = match filter {
            true => format!("{p} filter={DRIVER} {drivers}"),
            false => format!("{p} {drivers}"),
        };
        if lines.iter().any(|l| l.trim() == line) {
            continue;
        }
        let older = format!("{p} {drivers}");
        match lines.iter().position(|l| filter && l.trim() == older) {
            Some(i) => lines[i] = line,
            None => lines.push(line),
        }
        added += 1;
    }
    if added > 0 {
        let mut text = lines.join("\n");
        text.push('\n');
        write_atomic(attributes, text.as_bytes(), 0o644)?;
    }
    Ok(added)
}

/// Parses `bytes` as `format`; errors name `label`.
pub(super) fn load(ctx: &Context, bytes: &[u8], format: Format, label: &str) -> Result<Loaded> {
    format
        .store(&ctx.store_options()?)
        .load(bytes)
        .map_err(|e| e.context(label))
}

/// Decrypts a loaded sops file, remembering nonces so that it can be written back with
/// minimal changes; errors name `label`.
pub(super) fn open(ctx: &Context, loaded: Loaded, label: &str) -> Result<Opened> {
    let options = OpenOptions {
        ignore_mac: false,
        decryption_order: ctx.decryption_order()?,
        remember_nonces: true,
    };
    sopsfile::open(loaded, ctx.key_services(), &options).map_err(|e| e.context(label))
}

/// The text `git diff` shows: decrypted, values masked unless `secret.diff.showValues`;
/// `None` for a file without sops metadata (shown as it is).
fn textconv_text(ctx: &Context, path: &Path, bytes: &[u8]) -> Result<Option<Vec<u8>>> {
    let label = path.display().to_string();
    let format = Format::from_path(path);
    let loaded = load(ctx, bytes, format, &label)?;
    if loaded.metadata.is_none() {
        return Ok(None);
    }
    let encrypted = loaded.docs.clone();
    let metadata = sopsfile::metadata_of(&loaded)?;
    let mut opened = open(ctx, loaded, &label)?;
    let show = git(&["config", "--bool", "secret.diff.showValues"], &ctx.cwd)
        .map(|v| v.trim() == "true")
        .unwrap_or(false);
    if !show {
        mask_docs(
            &mut opened.docs,
            &encrypted,
            MaskOptions {
                tag: true,
                comments: true,
            },
        );
    }
    let mut out = format
        .store(&ctx.store_options()?)
        .emit(&opened.docs, None)?;
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out.extend_from_slice(b"--- sops\n");
    for (i, group) in metadata.key_groups.iter().enumerate() {
        for k in group {
            out.extend_from_slice(
                format!("key group {}: {} {}\n", i + 1, k.kind(), k.describe()).as_bytes(),
            );
        }
    }
    out.extend_from_slice(format!("data key: {MASK}[{}]\n", wrapped_key_tag(&metadata)).as_bytes());
    Ok(Some(out))
}

/// A short tag of the wrapped data keys as the file stores them. `rotate` keeps every
/// value's IV, so the masked values and the recipients stay the same: without this line
/// `git diff` would show nothing for a file `git status` calls modified. Only ciphertext the
/// file shows anyway goes into it.
fn wrapped_key_tag(metadata: &crate::crypt::metadata::Metadata) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for key in metadata.key_groups.iter().flatten() {
        hash.update(format!("{:?}\n", key.to_map()).as_bytes());
    }
    hash.finalize()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs `secret git-textconv FILE`: the file decrypted with masked values; a file without
/// sops metadata as it is; an encrypted file that cannot be decrypted here (no key, damaged)
/// as it is under a first line saying why, so the diff never shows ciphertext silently.
pub fn textconv(ctx: &Context, args: TextconvArgs) -> Result<()> {
    let bytes = std::fs::read(&args.file).map_err(|e| {
        Error::new(
            Code::CouldNotReadInputFile,
            format!("{}: cannot read: {e}", args.file.display()),
        )
    })?;
    let out = match textconv_text(ctx, &args.file, &bytes) {
        Ok(Some(text)) => text,
        Ok(None) => bytes,
        Err(e) => {
            // Without the path: git names the file, and for the old side it is a temp file,
            // which would make the same reason a changed line.
            let why = reason(&e, &args.file.display().to_string());
            let mut out =
                format!("secret: cannot decrypt for the diff, showing the file as it is: {why}\n")
                    .into_bytes();
            out.extend_from_slice(&bytes);
            out
        }
    };
    super::io::Destination::Stdout.write(&out, 0o644)
}

/// An error's message without the `label: ` it starts with, for messages that name the file
/// themselves.
pub(super) fn reason<'a>(e: &'a Error, label: &str) -> &'a str {
    e.message
        .strip_prefix(label)
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(&e.message)
}

/// Runs the merge driver. On a conflict nothing is written, the conflicting key paths go
/// to stderr and the exit code is 1 (git then keeps the current branch's version).
pub fn merge_driver(ctx: &Context, args: MergeArgs) -> Result<()> {
    let label = args.path.display().to_string();
    let format = Format::from_path(&args.path);
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| {
            Error::new(
                Code::CouldNotReadInputFile,
                format!("{}: cannot read: {e}", p.display()),
            )
        })
    };
    let ours = open(
        ctx,
        load(ctx, &read(&args.current)?, format, &label)?,
        &label,
    )?;
    let theirs = open(ctx, load(ctx, &read(&args.other)?, format, &label)?, &label)?;
    // An empty or plaintext ancestor (both sides added the file): merge against nothing.
    let base_bytes = read(&args.base).unwrap_or_default();
    let base: Option<Opened> = match load(ctx, &base_bytes, format, &label) {
        Ok(loaded) if loaded.metadata.is_some() => Some(open(ctx, loaded, &label)?),
        _ => None,
    };
    let base_docs: Vec<Map> = match &base {
        Some(b) => b.docs.clone(),
        None => vec![Map::new(); ours.docs.len()],
    };
    let merged = match crate::merge::merge_docs(&base_docs, &ours.docs, &theirs.docs) {
        Ok(m) => m,
        Err(paths) => {
            for p in &paths {
                eprintln!("secret: {label}: conflict at {p}: changed on both sides");
            }
            return Err(Error::new(
                Code::Generic,
                format!(
                    "{label}: {} conflicting key path(s); the file keeps the current \
                     branch's version: resolve by hand (decrypt, edit, encrypt again; under \
                     `git-setup --filter`, edit the plaintext in the work tree and `git add`)",
                    paths.len()
                ),
            ));
        }
    };
    let same_key = |o: &Opened| o.data_key.as_bytes() == ours.data_key.as_bytes();
    let theirs_same_key = same_key(&theirs);
    let base_same_key = base.as_ref().is_some_and(same_key);
    let ids = |m: &crate::crypt::metadata::Metadata| -> Vec<Vec<String>> {
        m.key_groups
            .iter()
            .map(|g| g.iter().map(|k| k.describe()).collect())
            .collect()
    };
    let mut metadata = ours.metadata;
    // Keys changed only on the other side (updatekeys there) come along.
    if theirs_same_key
        && base
            .as_ref()
            .is_some_and(|b| ids(&b.metadata) == ids(&metadata))
        && ids(&theirs.metadata) != ids(&metadata)
    {
        metadata.key_groups = theirs.metadata.key_groups;
        metadata.shamir_threshold = theirs.metadata.shamir_threshold;
    }
    let mut nonces = ours.nonces;
    if theirs_same_key {
        nonces.absorb(theirs.nonces);
    }
    if let Some(b) = base {
        if base_same_key {
            nonces.absorb(b.nonces);
        }
    }
    let mut docs = merged;
    sopsfile::reseal(&mut docs, &mut metadata, &ours.data_key, &mut nonces)
        .map_err(|e| e.context(&label))?;
    let meta_tree = sopsfile::metadata_tree(&metadata, format);
    let out = format
        .store(&ctx.store_options()?)
        .emit(&docs, Some(&meta_tree))
        .map_err(|e| e.context(&label))?;
    write_atomic(&args.current, &out, 0o644)
}
