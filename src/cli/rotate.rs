//! `secret rotate`: a new data key, every value re-encrypted with it (keeping each value's
//! nonce, as sops does), optionally adding master keys to the first group and removing
//! master keys from every group.

use super::batch::Want;
use super::io::{lock_in_place, Context, Destination, Files, Purpose};
use super::keyfile;
use super::keyservice_args::KeyServiceArgs;
use super::IoArgs;
use crate::config::{GroupSpec, KmsSpec};
use crate::crypt::cipher::DataKey;
use crate::error::{Code, Error, Result};
use crate::keys::azure::{AzureKeyRef, AzureMasterKey};
use crate::keys::gcp;
use crate::keys::hckms;
use crate::keys::kms;
use crate::keys::pgp::PgpMasterKey;
use crate::keys::vault::{self, VaultMasterKey};
use crate::keys::KeyGroup;
use crate::keys::MasterKey as _;
use crate::plan::split_list;
use crate::sopsfile;
use clap::Args;

// Options of `secret rotate`.
#[derive(Debug, Args, Clone)]
pub struct RotateArgs {
    #[command(flatten)]
    pub io: IoArgs,
    #[command(flatten)]
    pub changes: KeyChangeArgs,
    /// KMS encryption context `key:value,...` for the --add-kms keys
    #[arg(long, value_name = "CONTEXT")]
    pub encryption_context: Option<String>,
    /// AWS shared-config profile for the --add-kms keys
    #[arg(long, value_name = "PROFILE")]
    pub aws_profile: Option<String>,
    /// Do not check the file's MAC before rotating
    #[arg(long)]
    pub ignore_mac: bool,
    #[command(flatten)]
    pub keyservice: KeyServiceArgs,
    #[command(flatten)]
    pub many: super::batch::ManyArgs,
}

// The master keys to add to the first group or remove from every group (shared by
// `rotate` and sops' legacy `-r`).
#[derive(Debug, Args, Clone, Default)]
pub struct KeyChangeArgs {
    /// Add these age recipients (comma-separated) to the first key group
    #[arg(long, value_name = "RECIPIENTS")]
    pub add_age: Option<String>,
    /// Remove these age recipients (comma-separated) from every key group
    #[arg(long, value_name = "RECIPIENTS")]
    pub rm_age: Option<String>,
    /// Add these PGP fingerprints (comma-separated) to the first key group
    #[arg(long, value_name = "FINGERPRINTS")]
    pub add_pgp: Option<String>,
    /// Remove these PGP fingerprints (comma-separated) from every key group
    #[arg(long, value_name = "FINGERPRINTS")]
    pub rm_pgp: Option<String>,
    /// Add these AWS KMS ARNs (comma-separated) to the first key group
    #[arg(long, value_name = "ARNS")]
    pub add_kms: Option<String>,
    /// Remove these AWS KMS ARNs (comma-separated) from every key group
    #[arg(long, value_name = "ARNS")]
    pub rm_kms: Option<String>,
    /// Add these Azure Key Vault key URLs (comma-separated) to the first key group
    #[arg(long, value_name = "URLS")]
    pub add_azure_kv: Option<String>,
    /// Remove these Azure Key Vault key URLs (comma-separated) from every key group
    #[arg(long, value_name = "URLS")]
    pub rm_azure_kv: Option<String>,
    /// Add these HuaweiCloud KMS key ids (comma-separated) to the first key group
    #[arg(long, value_name = "IDS")]
    pub add_hckms: Option<String>,
    /// Remove these HuaweiCloud KMS key ids (comma-separated) from every key group
    #[arg(long, value_name = "IDS")]
    pub rm_hckms: Option<String>,
    /// Add these Vault transit key URIs (comma-separated) to the first key group
    #[arg(long, value_name = "URIS")]
    pub add_hc_vault_transit: Option<String>,
    /// Remove these Vault transit key URIs (comma-separated) from every key group
    #[arg(long, value_name = "URIS")]
    pub rm_hc_vault_transit: Option<String>,
    /// Add these GCP Cloud KMS resource ids (comma-separated) to the first key group
    #[arg(long, value_name = "RESOURCE_IDS")]
    pub add_gcp_kms: Option<String>,
    /// Remove these GCP Cloud KMS resource ids (comma-separated) from every key group
    #[arg(long, value_name = "RESOURCE_IDS")]
    pub rm_gcp_kms: Option<String>,
}

impl KeyChangeArgs {
    fn list(v: &Option<String>) -> Vec<String> {
        v.as_deref().map(split_list).unwrap_or_default()
    }

    pub(super) fn changes_keys(&self) -> bool {
        [
            &self.add_age,
            &self.rm_age,
            &self.add_pgp,
            &self.rm_pgp,
            &self.add_kms,
            &self.rm_kms,
            &self.add_azure_kv,
            &self.rm_azure_kv,
            &self.add_hckms,
            &self.rm_hckms,
            &self.add_hc_vault_transit,
            &self.rm_hc_vault_transit,
            &self.add_gcp_kms,
            &self.rm_gcp_kms,
        ]
        .iter()
        .any(|v| v.is_some())
    }

    /// The keys to remove as (kind, identifier) pairs, normalised like the file stores them.
    /// A versionless Azure URL is resolved to the current version, as sops does.
    fn removals(&self) -> Result<Vec<(&'static str, String)>> {
        let mut out = Vec::new();
        for r in Self::list(&self.rm_age) {
            out.push(("age", r));
        }
        for fp in Self::list(&self.rm_pgp) {
            let fp = PgpMasterKey::new(&fp).map(|k| k.fp).unwrap_or(fp);
            out.push(("pgp", fp));
        }
        for arn in Self::list(&self.rm_kms) {
            out.push(("kms", arn));
        }
        for key in AzureKeyRef::parse_list(self.rm_azure_kv.as_deref().unwrap_or(""))? {
            out.push(("azure_kv", AzureMasterKey::new(&key)?.describe()));
        }
        for id in hckms::parse_list(self.rm_hckms.as_deref().unwrap_or(""))? {
            out.push(("hckms", id));
        }
        for uri in vault::split_uris(self.rm_hc_vault_transit.as_deref().unwrap_or("")) {
            out.push(("hc_vault", VaultMasterKey::from_uri(&uri)?.describe()));
        }
        if let Some(ids) = &self.rm_gcp_kms {
            for id in gcp::split_ids(ids) {
                out.push(("gcp_kms", id));
            }
        }
        Ok(out)
    }
}

/// Removes every key matching `removals` from all groups; returns the removals that matched
/// nothing.
pub fn remove_keys(
    groups: &mut [KeyGroup],
    removals: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    let mut unmatched = Vec::new();
    for (kind, id) in removals {
        let mut found = false;
        for group in groups.iter_mut() {
            group.retain(|k| {
                let hit = k.kind() == *kind && keyfile::key_id(k.as_ref()) == *id;
                found |= hit;
                !hit
            });
        }
        if !found {
            unmatched.push((*kind, id.clone()));
        }
    }
    unmatched
}

/// Runs `secret rotate`.
pub fn run(ctx: &Context, args: RotateArgs) -> Result<()> {
    if args.many.is_batch(&args.io) {
        let one = |ctx: &Context, io| {
            let many = Default::default();
            run(
                ctx,
                RotateArgs {
                    io,
                    many,
                    ..args.clone()
                },
            )
        };
        return args
            .many
            .each_in_place(ctx, &args.io, Want::Encrypted, "rotated", one);
    }
    let mut files = Files::resolve(&args.io, false)?;
    files.missing = Code::CouldNotReadInputFile;
    let Some(path) = files.input.clone() else {
        return Err(Error::new(
            Code::NoFileSpecified,
            "rotate needs a file (standard input is not supported)",
        ));
    };
    if !path.exists() && args.changes.changes_keys() {
        return Err(Error::new(
            Code::CannotChangeKeysFromNonExistentFile,
            format!(
                "cannot add or remove keys on non-existent file {}",
                path.display()
            ),
        ));
    }
    let label = files.label();
    let context = kms::parse_context(args.encryption_context.as_deref().unwrap_or(""))?;
    let profile = args.aws_profile.as_deref().unwrap_or("");
    // Build the new keys before touching anything, so a bad recipient fails early.
    let additions = GroupSpec {
        age: KeyChangeArgs::list(&args.changes.add_age),
        pgp: KeyChangeArgs::list(&args.changes.add_pgp),
        kms: KeyChangeArgs::list(&args.changes.add_kms)
            .iter()
            .map(|arn| KmsSpec::from_arn_string(arn, profile))
            .collect(),
        azure_kv: AzureKeyRef::parse_list(args.changes.add_azure_kv.as_deref().unwrap_or(""))?,
        hckms: hckms::parse_list(args.changes.add_hckms.as_deref().unwrap_or(""))?,
        hc_vault: vault::split_uris(args.changes.add_hc_vault_transit.as_deref().unwrap_or("")),
        gcp_kms: args
            .changes
            .add_gcp_kms
            .as_deref()
            .map(gcp::split_ids)
            .unwrap_or_default(),
    };
    let removals = args.changes.removals()?;
    let added = if additions.is_empty() {
        KeyGroup::new()
    } else {
        crate::plan::build_group(&additions, &context)?
    };

    let _lock = lock_in_place(&args.io)?;
    let mut opened = files.open(ctx, args.ignore_mac, Purpose::Rewrite)?;

    let metadata = &mut opened.metadata;
    if metadata.key_groups.is_empty() {
        metadata.key_groups.push(KeyGroup::new());
    }
    metadata.key_groups[0].extend(added);
    for (kind, id) in remove_keys(&mut metadata.key_groups, &removals) {
        eprintln!("secret: warning: {label}: no {kind} key {id} to remove");
    }

    let data_key = DataKey::generate();
    keyfile::rewrap(ctx, metadata, &data_key).map_err(|e| e.context(&label))?;
    sopsfile::reseal(
        &mut opened.docs,
        &mut opened.metadata,
        &data_key,
        &mut opened.nonces,
    )
    .map_err(|e| e.context(&label))?;
    ctx.verbose(|| {
        let keys: Vec<String> = opened
            .metadata
            .master_keys()
            .map(|k| format!("{} {}", k.kind(), k.describe()))
            .collect();
        format!(
            "rotated the data key of {label}; master keys: {}",
            keys.join(", ")
        )
    });
    let out =
        keyfile::emit_opened(ctx, &opened, files.output_format).map_err(|e| e.context(&label))?;
    Destination::of(&args.io).write(&out, 0o644)
}
