//! `secret groups add|delete`: add a key group to a file or delete one, re-splitting the
//! (unchanged) data key among the groups. Values, `lastmodified` and `mac` are untouched.

use super::io::{write_atomic, Context, Destination};
use super::keyfile;
use crate::config::{GroupSpec, KmsSpec};
use crate::error::{Code, Error, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `secret groups …`
#[derive(Debug, Args)]
pub struct GroupsArgs {
    #[command(subcommand)]
    pub command: GroupsCommand,
}

/// The `groups` subcommands.
#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// Add a key group to a file (stdout by default)
    Add(AddArgs),
    /// Delete the key group at INDEX (0-based, as sops) from a file (stdout by default)
    Delete(DeleteArgs),
}

/// Options both `groups` subcommands take.
#[derive(Debug, Args)]
pub struct GroupFileArgs {
    /// The encrypted file
    #[arg(short = 'f', long, value_name = "FILE")]
    pub file: PathBuf,
    /// Write the result back to the file (atomically) instead of stdout
    #[arg(short = 'i', long)]
    pub in_place: bool,
    /// How many key groups are needed to recover the data key (default: unchanged)
    #[arg(long, value_name = "N")]
    pub shamir_secret_sharing_threshold: Option<usize>,
}

/// Options of `secret groups add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub common: GroupFileArgs,
    /// An age recipient of the new group (repeatable)
    #[arg(long, value_name = "RECIPIENT")]
    pub age: Vec<String>,
    /// A PGP fingerprint of the new group (repeatable)
    #[arg(long, value_name = "FINGERPRINT")]
    pub pgp: Vec<String>,
    /// An AWS KMS ARN of the new group (repeatable)
    #[arg(long, value_name = "ARN")]
    pub kms: Vec<String>,
    /// A Vault transit key URI of the new group (repeatable)
    #[arg(long, value_name = "URI")]
    pub hc_vault_transit: Vec<String>,
    /// A GCP Cloud KMS resource id of the new group (repeatable)
    #[arg(long, value_name = "RESOURCE_ID")]
    pub gcp_kms: Vec<String>,
}

/// Options of `secret groups delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub common: GroupFileArgs,
    /// The group to delete, counted from 0
    #[arg(value_name = "INDEX")]
    pub index: usize,
}

/// Runs `secret groups add|delete`.
pub fn run(ctx: &Context, args: GroupsArgs) -> Result<()> {
    let (common, change): (&GroupFileArgs, Change) = match &args.command {
        GroupsCommand::Add(a) => {
            let spec = GroupSpec {
                age: a.age.clone(),
                pgp: a.pgp.clone(),
                kms: a
                    .kms
                    .iter()
                    .map(|arn| KmsSpec::from_arn_string(arn, ""))
                    .collect(),
                hc_vault: a.hc_vault_transit.clone(),
                gcp_kms: a.gcp_kms.clone(),
            };
            if spec.is_empty() {
                return Err(Error::new(
                    Code::Generic,
                    "the new key group has no keys: give --age, --pgp, --kms, --gcp-kms or \
                     --hc-vault-transit",
                ));
            }
            (&a.common, Change::Add(spec))
        }
        GroupsCommand::Delete(d) => (&d.common, Change::Delete(d.index)),
    };
    let mut file = keyfile::load(ctx, &common.file, None)?;
    let label = file.label.clone();
    let data_key = keyfile::recover(ctx, &file.metadata, &label)?;
    let groups = &mut file.metadata.key_groups;
    match change {
        Change::Add(spec) => groups.extend(keyfile::build_groups(std::slice::from_ref(&spec))?),
        Change::Delete(index) => {
            if index >= groups.len() {
                return Err(Error::new(
                    Code::Generic,
                    format!(
                        "{label}: there is no key group {index} (the file has {} groups, \
                         counted from 0)",
                        groups.len()
                    ),
                ));
            }
            groups.remove(index);
        }
    }
    let groups = groups.len();
    if let Some(t) = common.shamir_secret_sharing_threshold {
        file.metadata.shamir_threshold = t;
    }
    if groups < file.metadata.shamir_threshold {
        return Err(Error::new(
            Code::Generic,
            format!(
                "{label}: this change would make the Shamir threshold impossible to satisfy: \
                 the threshold is {}, but there would be only {} key groups",
                file.metadata.shamir_threshold, groups
            ),
        ));
    }
    if groups == 1 {
        file.metadata.shamir_threshold = 0;
    }
    keyfile::rewrap(ctx, &mut file.metadata, &data_key).map_err(|e| e.context(&label))?;
    let out = keyfile::emit(ctx, &file.docs, &file.metadata, file.format)
        .map_err(|e| e.context(&label))?;
    if common.in_place {
        write_atomic(&common.file, &out, 0o644)
    } else {
        Destination::Stdout.write(&out, 0o644)
    }
}

enum Change {
    Add(GroupSpec),
    Delete(usize),
}
