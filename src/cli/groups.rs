//! `secret groups add|delete`: add a key group to a file or delete one, re-splitting the
//! (unchanged) data key among the groups. Values, `lastmodified` and `mac` are untouched.

use super::io::{write_atomic, Context, Destination};
use super::keyfile;
use super::keyservice_args::KeyServiceArgs;
use super::proc::EditLock;
use crate::config::{GroupSpec, KmsSpec};
use crate::error::{Code, Error, Result};
use crate::keys::azure::AzureKeyRef;
use crate::keys::hckms;
use crate::keys::kms;
use crate::keys::KeyGroup;
use crate::plan::build_group;
use clap::{Args, Subcommand};
use std::path::PathBuf;

// `secret groups …`
#[derive(Debug, Args)]
pub struct GroupsArgs {
    #[command(subcommand)]
    pub command: GroupsCommand,
}

// The `groups` subcommands (no doc comment: it would replace the `groups` help text).
#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// Add a key group to a file (stdout by default)
    Add(Box<AddArgs>),
    /// Delete the key group at INDEX (0-based, as sops) from a file (stdout by default)
    Delete(DeleteArgs),
}

// Options both `groups` subcommands take.
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
    #[command(flatten)]
    pub keyservice: KeyServiceArgs,
}

// Options of `secret groups add`.
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
    /// An Azure Key Vault key URL of the new group (repeatable)
    #[arg(long, value_name = "URL")]
    pub azure_kv: Vec<String>,
    /// A HuaweiCloud KMS key id `REGION:KEY-UUID` of the new group (repeatable)
    #[arg(long, value_name = "ID")]
    pub hckms: Vec<String>,
    /// A Vault transit key URI of the new group (repeatable)
    #[arg(long, value_name = "URI")]
    pub hc_vault_transit: Vec<String>,
    /// A GCP Cloud KMS resource id of the new group (repeatable)
    #[arg(long, value_name = "RESOURCE_ID")]
    pub gcp_kms: Vec<String>,
    /// AWS shared-config profile for the --kms keys
    #[arg(long, value_name = "PROFILE")]
    pub aws_profile: Option<String>,
    /// KMS encryption context `key:value,...` for the --kms keys
    #[arg(long, value_name = "CONTEXT")]
    pub encryption_context: Option<String>,
}

// Options of `secret groups delete`.
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
            let profile = a.aws_profile.as_deref().unwrap_or("");
            let spec = GroupSpec {
                age: a.age.clone(),
                pgp: a.pgp.clone(),
                kms: a
                    .kms
                    .iter()
                    .map(|arn| KmsSpec::from_arn_string(arn, profile))
                    .collect(),
                azure_kv: a
                    .azure_kv
                    .iter()
                    .map(|u| AzureKeyRef::parse(u))
                    .collect::<Result<_>>()?,
                // Unlike sops (which ignores --hckms here), the keys go into the group.
                hckms: hckms::parse_list(&a.hckms.join(","))?,
                hc_vault: a.hc_vault_transit.clone(),
                gcp_kms: a.gcp_kms.clone(),
            };
            if spec.is_empty() {
                return Err(Error::new(
                    Code::Generic,
                    "the new key group has no keys: give --age, --pgp, --kms, --gcp-kms, \
                     --hc-vault-transit, --azure-kv or --hckms",
                ));
            }
            let context = kms::parse_context(a.encryption_context.as_deref().unwrap_or(""))?;
            // Built before the file is read, so a bad key fails before any work.
            (&a.common, Change::Add(build_group(&spec, &context)?))
        }
        GroupsCommand::Delete(d) => (&d.common, Change::Delete(d.index)),
    };
    let _lock = match common.in_place {
        true => EditLock::acquire_if_exists(&common.file)?,
        false => None,
    };
    let mut file = keyfile::load(ctx, &common.file, None, Code::CouldNotReadInputFile)?;
    let label = file.label.clone();
    // sops' `groups` exits 1 where the data key cannot be opened (decrypt exits 128).
    let data_key = keyfile::recover(ctx, &file.metadata, &label).map_err(|e| match e.code {
        Code::CouldNotRetrieveKey => Error::new(Code::Generic, e.message),
        _ => e,
    })?;
    let groups = &mut file.metadata.key_groups;
    match change {
        Change::Add(group) => groups.push(group),
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
    let out = file.emit(ctx).map_err(|e| e.context(&label))?;
    if common.in_place {
        write_atomic(&common.file, &out, 0o644)
    } else {
        Destination::Stdout.write(&out, 0o644)
    }
}

enum Change {
    Add(KeyGroup),
    Delete(usize),
}
