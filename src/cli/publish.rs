//! `secret publish`: send encrypted files where the `.sops.yaml` `destination_rules` say
//! (sops' `publish` subcommand). For S3 and GCS the file goes as it is, or re-encrypted
//! under the rule's `recreation_rule` keys with a new data key.

use super::io::{Context, Files, Purpose};
use super::updatekeys::{confirm, describe_changes, diff_groups};
use super::{keyfile, IoArgs};
use crate::config;
use crate::crypt::select::Selector;
use crate::error::{Code, Error, Result};
use crate::format::Format;
use crate::publish::{self, DestinationRule, Payload};
use crate::sopsfile::{self, SealPlan};
use clap::Args;
use std::path::{Path, PathBuf};

// Options of `secret publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The encrypted file, or with --recursive a directory
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Upload without asking
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Drop each file's last extension from its name at the destination
    #[arg(long)]
    pub omit_extensions: bool,
    /// Publish every file under the directory PATH (names keep their path below PATH)
    #[arg(long)]
    pub recursive: bool,
    #[command(flatten)]
    pub keyservice: super::keyservice_args::KeyServiceArgs,
}

pub fn run(ctx: &Context, args: PublishArgs) -> Result<()> {
    let config = ctx.config()?.ok_or_else(|| {
        Error::new(
            Code::Generic,
            "error loading config: no .sops.yaml found (publish needs its destination_rules)",
        )
    })?;
    let rules = publish::load_rules(&config.file)?;
    if !args.path.is_dir() {
        let name = args.path.file_name().map(PathBuf::from).unwrap_or_default();
        return match publish_file(ctx, &args, &rules, &args.path, &name)? {
            true => Ok(()),
            false => Err(canceled(ctx, &args.path)),
        };
    }
    if !args.recursive {
        return Err(Error::new(
            Code::Generic,
            "can't operate on a directory without --recursive flag.",
        ));
    }
    for file in files_under(&args.path)? {
        let relative = file.strip_prefix(&args.path).unwrap_or(&file).to_path_buf();
        if !publish_file(ctx, &args, &rules, &file, &relative)? {
            println!("{}", canceled(ctx, &file).message);
        }
    }
    Ok(())
}

fn canceled(ctx: &Context, file: &Path) -> Error {
    Error::new(
        Code::Generic,
        format!(
            "Publication of {} canceled",
            config::absolute(&ctx.cwd, file).display()
        ),
    )
}

/// Every file under `dir`, depth first, in name order.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .and_then(|rd| rd.map(|e| e.map(|e| e.path())).collect())
        .map_err(|e| {
            Error::new(
                Code::CouldNotReadInputFile,
                format!("{}: cannot read the directory: {e}", dir.display()),
            )
        })?;
    entries.sort();
    let mut files = Vec::new();
    for entry in entries {
        if entry.is_dir() {
            files.extend(files_under(&entry)?);
        } else {
            files.push(entry);
        }
    }
    Ok(files)
}

/// Publishes one file as `relative`; `false` when the user said no.
fn publish_file(
    ctx: &Context,
    args: &PublishArgs,
    rules: &[DestinationRule],
    file: &Path,
    relative: &Path,
) -> Result<bool> {
    let rule = publish::rule_for(rules, &file.to_string_lossy())?;
    let name = publish::destination_name(relative, args.omit_extensions || rule.omit_extensions);
    let question = format!(
        "uploading {} to {} ? (y/n): ",
        config::absolute(&ctx.cwd, file).display(),
        rule.destination.display(&name)
    );
    if !args.yes && !confirm(&question, &mut std::io::stdin().lock())? {
        return Ok(false);
    }
    let payload = if rule.destination.wants_plaintext() {
        Payload::Json(plaintext_json(ctx, file)?)
    } else {
        Payload::File(recreated(ctx, file, rule)?)
    };
    rule.destination.publish(&name, payload)?;
    ctx.verbose(|| format!("published {}", rule.destination.display(&name)));
    Ok(true)
}

/// The bytes to upload: the encrypted file as it is, or, when the rule's `recreation_rule`
/// names keys, the file decrypted and encrypted again for those keys with a new data key
/// (metadata replaced: the rule's groups, threshold and suffix selector only).
fn recreated(ctx: &Context, file: &Path, rule: &DestinationRule) -> Result<Vec<u8>> {
    let files = files_of(file)?;
    let label = files.label();
    let loaded = files.load_encrypted(ctx)?;
    let metadata = sopsfile::metadata_of(&loaded).map_err(|e| e.context(&label))?;
    let Some(recreation) = rule
        .recreation_rule
        .as_ref()
        .filter(|r| r.groups.iter().any(|g| !g.is_empty()))
    else {
        return files.read();
    };
    let opened = files.open_loaded(ctx, loaded, false, Purpose::Read)?;
    let groups = keyfile::build_groups(&recreation.groups).map_err(|e| e.context(&label))?;
    print!(
        "{}",
        describe_changes(
            "the file's key groups",
            metadata.shamir_threshold,
            recreation.shamir_threshold,
            &diff_groups(&metadata.key_groups, &groups),
        )
    );
    // sops keeps only a suffix selector of the rule.
    let selector = recreation
        .selector
        .clone()
        .filter(|s| !s.kind.is_regex())
        .unwrap_or_else(Selector::default);
    let plan = SealPlan {
        groups,
        shamir_threshold: recreation.shamir_threshold,
        selector,
        mac_only_encrypted: false,
    };
    let (docs, metadata) =
        sopsfile::seal_new(opened.docs, plan, ctx.key_services()).map_err(|e| e.context(&label))?;
    keyfile::emit(ctx, &docs, &metadata, files.input_format, None).map_err(|e| e.context(&label))
}

/// The decrypted top-level map of the file as a JSON object (comments dropped), for Vault.
fn plaintext_json(ctx: &Context, file: &Path) -> Result<Vec<u8>> {
    let files = files_of(file)?;
    let opened = files.open(ctx, false, Purpose::Read)?;
    let doc = opened.docs.into_iter().next().unwrap_or_default();
    Format::Json
        .store(&ctx.store_options()?)
        .emit(&[doc], None)
        .map_err(|e| e.context(files.label()))
}

/// The input side of one published file (formats from its name).
fn files_of(file: &Path) -> Result<Files> {
    let io = IoArgs {
        file: Some(file.to_path_buf()),
        ..IoArgs::default()
    };
    Files::resolve(&io, false)
}
