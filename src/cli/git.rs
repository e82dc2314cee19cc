//! git integration: `secret git-setup` (attributes and local config), the diff driver
//! `secret git-textconv FILE` and the merge driver `secret merge-driver %O %A %B %P`.

use super::io::{write_atomic, Context};
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

/// Options of `secret git-setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// gitattributes patterns to set up (default: the files the creation rules match)
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
    /// How git should call secret (default: the absolute path of this binary)
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,
}

/// Options of `secret git-textconv`.
#[derive(Debug, Args)]
pub struct TextconvArgs {
    /// The file git gives the driver
    pub file: PathBuf,
}

/// Options of `secret merge-driver` (git's `%O %A %B %P`).
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
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
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
    let mut patterns = args.patterns.clone();
    if patterns.is_empty() {
        let config = ctx.config()?.ok_or_else(|| {
            Error::new(
                Code::Generic,
                "no .sops.yaml found: give gitattributes patterns, e.g. `secret git-setup 'secrets/**'`",
            )
        })?;
        let listed = git(
            &[
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            &top,
        )?;
        for file in listed.split('\0').filter(|f| !f.is_empty()) {
            if matches!(config.rule_for(&top.join(file), &ctx.cwd),
                Ok(Some(rule)) if rule.path_regex().is_some())
            {
                patterns.push(format!("/{file}"));
            }
        }
        if patterns.is_empty() {
            return Err(Error::new(
                Code::Generic,
                "no file in the repository matches a creation rule's path_regex: give \
                 gitattributes patterns, e.g. `secret git-setup 'secrets/**'`",
            ));
        }
    }
    let attributes = top.join(".gitattributes");
    let existing = std::fs::read_to_string(&attributes).unwrap_or_default();
    let mut text = existing.clone();
    let mut added = 0;
    for p in &patterns {
        let line = format!("{p} diff={DRIVER} merge={DRIVER}");
        if existing.lines().any(|l| l.trim() == line) {
            continue;
        }
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&line);
        text.push('\n');
        added += 1;
    }
    if added > 0 {
        write_atomic(&attributes, text.as_bytes(), 0o644)?;
    }
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
    eprintln!(
        "secret: {} ({added} new line(s)); diff and merge drivers set in .git/config",
        attributes.display()
    );
    Ok(())
}

fn load(ctx: &Context, bytes: &[u8], format: Format, label: &str) -> Result<Loaded> {
    format
        .store(&ctx.store_options()?)
        .load(bytes)
        .map_err(|e| e.context(label))
}

fn open(ctx: &Context, loaded: Loaded, label: &str) -> Result<Opened> {
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
            let prefix = format!("{}: ", args.file.display());
            let why = e.message.strip_prefix(&prefix).unwrap_or(&e.message);
            let mut out =
                format!("secret: cannot decrypt for the diff, showing the file as it is: {why}\n")
                    .into_bytes();
            out.extend_from_slice(&bytes);
            out
        }
    };
    super::io::Destination::Stdout.write(&out, 0o644)
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
                     branch's version: resolve by hand (decrypt, edit, encrypt again)",
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
