//! The command-line flags that decide what a new file gets (keys, selector, options), shared
//! by `encrypt` and by `edit` of a file that does not exist yet.

use super::io::Context;
use crate::config::{GroupSpec, KmsSpec};
use crate::crypt::select::{Selector, SelectorKind};
use crate::error::{Code, Error, Result};
use crate::format::Format;
use crate::keys::azure::AzureKeyRef;
use crate::keys::{gcp, hckms, kms, vault};
use crate::plan::{plan_new_file, split_list, Explicit};
use crate::sopsfile::SealPlan;
use clap::Args;
use std::path::Path;

// What decides the keys and the selector of a new file: shared by `encrypt` and by `edit`
// of a file that does not exist yet.
#[derive(Debug, Args, Clone, Default)]
pub struct NewFileArgs {
    /// age recipients, comma-separated (replaces the creation rule's keys)
    #[arg(
        short = 'a',
        long,
        env = "SOPS_AGE_RECIPIENTS",
        value_name = "RECIPIENTS"
    )]
    pub age: Option<String>,
    /// PGP fingerprints, comma-separated (replaces the creation rule's keys)
    #[arg(short = 'p', long, env = "SOPS_PGP_FP", value_name = "FINGERPRINTS")]
    pub pgp: Option<String>,
    /// AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces
    /// the creation rule's keys)
    #[arg(short = 'k', long, env = "SOPS_KMS_ARN", value_name = "ARNS")]
    pub kms: Option<String>,
    /// Azure Key Vault key URLs `https://VAULT/keys/NAME[/VERSION]`, comma-separated
    /// (replaces the creation rule's keys)
    #[arg(long, env = "SOPS_AZURE_KEYVAULT_URLS", value_name = "URLS")]
    pub azure_kv: Option<String>,
    /// HuaweiCloud KMS key ids `REGION:KEY-UUID`, comma-separated (replaces the creation
    /// rule's keys)
    #[arg(long, env = "SOPS_HUAWEICLOUD_KMS_IDS", value_name = "IDS")]
    pub hckms: Option<String>,
    /// HashiCorp Vault transit key URIs, comma-separated
    /// (`https://vault:8200/v1/ENGINE/keys/NAME`; replaces the creation rule's keys)
    #[arg(long, env = "SOPS_VAULT_URIS", value_name = "URIS")]
    pub hc_vault_transit: Option<String>,
    /// GCP Cloud KMS key resource ids, comma-separated
    /// (`projects/P/locations/L/keyRings/R/cryptoKeys/K`; replaces the creation rule's keys)
    #[arg(long, env = "SOPS_GCP_KMS_IDS", value_name = "RESOURCE_IDS")]
    pub gcp_kms: Option<String>,
    /// KMS encryption context `key:value,key2:value2`, for the --kms keys or the creation
    /// rule's `kms` keys
    #[arg(long, value_name = "CONTEXT")]
    pub encryption_context: Option<String>,
    /// AWS shared-config profile for the --kms keys
    #[arg(long, value_name = "PROFILE")]
    pub aws_profile: Option<String>,
    #[command(flatten)]
    pub selectors: SelectorArgs,
    /// Authenticate only the encrypted values with the MAC
    #[arg(long)]
    pub mac_only_encrypted: bool,
    /// How many key groups are needed to recover the data key
    #[arg(long, value_name = "N")]
    pub shamir_secret_sharing_threshold: Option<usize>,
}

// The flags that choose which values are encrypted (at most one).
#[derive(Debug, Args, Clone, Default)]
pub struct SelectorArgs {
    /// Leave values plain when a key on their path ends with SUFFIX
    #[arg(long, value_name = "SUFFIX")]
    pub unencrypted_suffix: Option<String>,
    /// Encrypt only values where a key on their path ends with SUFFIX
    #[arg(long, value_name = "SUFFIX")]
    pub encrypted_suffix: Option<String>,
    /// Leave values plain when a key on their path matches REGEX
    #[arg(long, value_name = "REGEX")]
    pub unencrypted_regex: Option<String>,
    /// Encrypt only values where a key on their path matches REGEX
    #[arg(long, value_name = "REGEX")]
    pub encrypted_regex: Option<String>,
    /// Leave values plain below a comment matching REGEX
    #[arg(long, value_name = "REGEX")]
    pub unencrypted_comment_regex: Option<String>,
    /// Encrypt only values below a comment matching REGEX
    #[arg(long, value_name = "REGEX")]
    pub encrypted_comment_regex: Option<String>,
}

impl SelectorArgs {
    /// The selector given on the command line, if any (two are a conflict, exit 8).
    pub fn selector(&self) -> Result<Option<Selector>> {
        let given: Vec<(SelectorKind, &String)> = [
            (SelectorKind::UnencryptedSuffix, &self.unencrypted_suffix),
            (SelectorKind::EncryptedSuffix, &self.encrypted_suffix),
            (SelectorKind::UnencryptedRegex, &self.unencrypted_regex),
            (SelectorKind::EncryptedRegex, &self.encrypted_regex),
            (
                SelectorKind::UnencryptedCommentRegex,
                &self.unencrypted_comment_regex,
            ),
            (
                SelectorKind::EncryptedCommentRegex,
                &self.encrypted_comment_regex,
            ),
        ]
        .into_iter()
        // An empty pattern is no selector, as in sops (it reads an unset flag as empty).
        .filter_map(|(k, v)| v.as_ref().filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect();
        match given.as_slice() {
            [] => Ok(None),
            [(kind, pattern)] => Selector::new(*kind, pattern).map(Some),
            _ => Err(Error::new(
                Code::ConflictingParameters,
                "only one of the --*-suffix/--*-regex selector flags can be used",
            )),
        }
    }
}

/// `plan` for input in `format`: a binary file's one value is always encrypted, so a
/// selector (from the command line or the rule) is ignored with sops' warning and the
/// default one used.
pub fn for_input(mut plan: SealPlan, format: Format) -> SealPlan {
    if format == Format::Binary {
        let given = std::mem::take(&mut plan.selector);
        if given != Selector::default() {
            let what = given.kind.field().replace('_', " ");
            eprintln!(
                "secret: warning: Using an {what} does not make sense with the input store (the \
                 binary store produces one key that should always be encrypted) and will be \
                 ignored."
            );
        }
    }
    plan
}

/// Resolves the master keys, selector and MAC mode of a new file named `name` from the
/// creation rule that matches it and the command line ([`plan_new_file`]).
pub fn plan_for(ctx: &Context, name: &Path, args: &NewFileArgs, label: &str) -> Result<SealPlan> {
    let context = kms::parse_context(args.encryption_context.as_deref().unwrap_or(""))?;
    let rule = match ctx.config()? {
        Some(config) => {
            let rule = config.rule_for(name, &ctx.cwd)?;
            if let Some(r) = rule {
                ctx.verbose(|| format!("{label}: creation rule {}", config.describe_rule(r)));
            }
            rule
        }
        None => None,
    };
    let cli_keys = GroupSpec {
        age: args.age.as_deref().map(split_list).unwrap_or_default(),
        pgp: args.pgp.as_deref().map(split_list).unwrap_or_default(),
        kms: args
            .kms
            .as_deref()
            .map(split_list)
            .unwrap_or_default()
            .iter()
            .map(|arn| KmsSpec::from_arn_string(arn, args.aws_profile.as_deref().unwrap_or("")))
            .collect(),
        azure_kv: AzureKeyRef::parse_list(args.azure_kv.as_deref().unwrap_or(""))?,
        hckms: hckms::parse_list(args.hckms.as_deref().unwrap_or(""))?,
        hc_vault: args
            .hc_vault_transit
            .as_deref()
            .map(vault::split_uris)
            .unwrap_or_default(),
        gcp_kms: args
            .gcp_kms
            .as_deref()
            .map(gcp::split_ids)
            .unwrap_or_default(),
    };
    let explicit = Explicit {
        keys: cli_keys,
        context,
        selector: args.selectors.selector(),
        shamir_threshold: args.shamir_secret_sharing_threshold,
        mac_only_encrypted: args.mac_only_encrypted,
    };
    let plan = plan_new_file(rule, explicit, label)?;
    ctx.verbose(|| {
        let keys: Vec<String> = plan
            .groups
            .iter()
            .flatten()
            .map(|k| format!("{} {}", k.kind(), k.describe()))
            .collect();
        format!("encrypting {label} for {}", keys.join(", "))
    });
    Ok(plan)
}
