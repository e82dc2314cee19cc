//! `secret encrypt`: plaintext in, sops file out.

use super::batch::Want;
use super::io::{lock_in_place, Context, Destination, Files, Purpose};
use super::keyservice_args::KeyServiceArgs;
use super::proc::EditLock;
use super::IoArgs;
use crate::config::{GroupSpec, KmsSpec};
use crate::crypt::select::{Selector, SelectorKind};
use crate::error::{Code, Error, Result};
use crate::format::Loaded;
use crate::keys::age::AgeMasterKey;
use crate::keys::azure::{AzureKeyRef, AzureMasterKey};
use crate::keys::gcp::{self, GcpKmsMasterKey};
use crate::keys::hckms::{self, HckmsMasterKey};
use crate::keys::kms::{self, EncryptionContext, KmsMasterKey};
use crate::keys::pgp::PgpMasterKey;
use crate::keys::vault::{self, VaultMasterKey};
use crate::keys::KeyGroup;
use crate::sopsfile::{self, SealPlan};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args, Clone)]
pub struct EncryptArgs {
    #[command(flatten)]
    pub io: IoArgs,
    #[command(flatten)]
    pub many: super::batch::ManyArgs,
    #[command(flatten)]
    pub keys: NewFileArgs,
    #[command(flatten)]
    pub keyservice: KeyServiceArgs,
    /// Encrypt into this existing encrypted file: its data key, master keys and selector are
    /// kept, and so is the ciphertext of every value that did not change; the result
    /// replaces it (or goes to --output; `--output -`: stdout)
    #[arg(long, value_name = "ENCRYPTED_FILE")]
    pub to: Option<PathBuf>,
}

/// What decides the keys and the selector of a new file: shared by `encrypt` and by `edit`
/// of a file that does not exist yet.
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

/// The flags that choose which values are encrypted (at most one).
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
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
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

/// Builds master keys from a group as a rule or the command line names it. `context` is the
/// `--encryption-context` for the KMS keys that have none of their own.
pub fn build_group(spec: &GroupSpec, context: &EncryptionContext) -> Result<KeyGroup> {
    let mut group = KeyGroup::new();
    // KMS keys first, as sops lists them within a group.
    for k in &spec.kms {
        group.push(Box::new(KmsMasterKey::new(
            &k.arn,
            &k.role,
            k.context.clone().unwrap_or_else(|| context.clone()),
            &k.aws_profile,
        )));
    }
    for k in &spec.azure_kv {
        group.push(Box::new(AzureMasterKey::new(k)?));
    }
    for id in &spec.hckms {
        group.push(Box::new(HckmsMasterKey::new(id)?));
    }
    for id in &spec.gcp_kms {
        group.push(Box::new(GcpKmsMasterKey::new(id)));
    }
    for uri in &spec.hc_vault {
        group.push(Box::new(VaultMasterKey::from_uri(uri)?));
    }
    for r in &spec.age {
        group.push(Box::new(AgeMasterKey::new(r)?));
    }
    for fp in &spec.pgp {
        group.push(Box::new(PgpMasterKey::new(fp)?));
    }
    Ok(group)
}

/// Splits a comma-separated list (items trimmed, empty items dropped).
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Resolves the master keys, selector and MAC mode of a new file named `name`: command-line
/// keys replace the matching creation rule's; a command-line selector overrides the rule's
/// selector of the same kind and conflicts with another kind (exit 8).
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
    let specs: Vec<GroupSpec> = match rule {
        _ if !cli_keys.is_empty() => vec![cli_keys],
        Some(rule) => rule.groups.clone(),
        None => {
            return Err(Error::new(
                Code::Generic,
                "config file not found, or has no creation rules, and no keys provided \
                 through command line options",
            )
            .context(label))
        }
    };
    let groups = specs
        .iter()
        .map(|spec| build_group(spec, &context))
        .collect::<Result<Vec<_>>>()?;
    sopsfile::check_groups(&groups)?;

    let cli_selector = args.selectors.selector()?;
    let rule_selector = rule.and_then(|r| r.selector.clone());
    let selector = match (cli_selector, rule_selector) {
        (Some(c), Some(r)) if c.kind != r.kind => {
            return Err(Error::new(
                Code::ConflictingParameters,
                format!(
                    "--{} conflicts with the creation rule's {}",
                    c.kind.field().replace('_', "-"),
                    r.kind.field()
                ),
            ))
        }
        (Some(c), _) => c,
        (None, Some(r)) => r,
        (None, None) => Selector::default(),
    };
    let plan = SealPlan {
        shamir_threshold: args
            .shamir_secret_sharing_threshold
            .or(rule.map(|r| r.shamir_threshold))
            .unwrap_or(0),
        groups,
        selector,
        mac_only_encrypted: args.mac_only_encrypted || rule.is_some_and(|r| r.mac_only_encrypted),
    };
    if plan.groups.len() > 1 && plan.shamir_threshold > plan.groups.len() {
        return Err(Error::new(
            Code::Generic,
            format!(
                "shamir_threshold {} is larger than the number of key groups ({})",
                plan.shamir_threshold,
                plan.groups.len()
            ),
        ));
    }
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

pub fn run(ctx: &Context, args: EncryptArgs) -> Result<()> {
    if let Some(to) = &args.to {
        return run_into(ctx, &args, to);
    }
    if args.many.is_batch(&args.io) {
        let one = |ctx: &Context, io| {
            let many = Default::default();
            run(
                ctx,
                EncryptArgs {
                    io,
                    many,
                    ..args.clone()
                },
            )
        };
        return args
            .many
            .each_in_place(ctx, &args.io, Want::Plain, "encrypted", one);
    }
    let files = Files::resolve(&args.io, true)?;
    let label = files.label();
    let _lock = lock_in_place(&args.io)?;
    let loaded = files.load(ctx)?;
    refuse_encrypted(&loaded, &label)?;
    let plan = plan_for(ctx, &files.name, &args.keys, &label)?;
    let out_store = ctx.output_store(files.output_format)?;
    let mut docs = loaded.docs;
    out_store.normalize(&mut docs);
    let (docs, metadata) =
        sopsfile::seal_new(docs, plan, ctx.key_services()).map_err(|e| e.context(&label))?;
    let meta_tree = sopsfile::metadata_tree(&metadata, files.output_format);
    Destination::of(&args.io).write_with(0o644, |out| {
        out_store
            .write_over(&docs, Some(&meta_tree), loaded.source.as_deref(), out)
            .map_err(|e| e.context(&label))
    })
}

/// Refuses plaintext input that is already a sops file (exit 203).
fn refuse_encrypted(loaded: &Loaded, label: &str) -> Result<()> {
    match loaded.metadata {
        Some(_) => Err(Error::new(
            Code::FileAlreadyEncrypted,
            format!("{label}: the file is already encrypted (it has sops metadata)"),
        )),
        None => Ok(()),
    }
}

/// `encrypt --to EXISTING`: the plaintext encrypted under EXISTING's metadata and data key.
/// EXISTING is opened as `edit` opens a file (its MAC checked, every value's nonce
/// remembered), so a value that is the same in the plaintext at the same place keeps its
/// exact ciphertext; changed and new values get fresh nonces; what the plaintext lacks is
/// gone.
fn run_into(ctx: &Context, args: &EncryptArgs, to: &Path) -> Result<()> {
    let fixed_by_existing = args.keys.selectors.selector()?.is_some()
        || args.keys.mac_only_encrypted
        || args.keys.shamir_secret_sharing_threshold.is_some();
    if args.io.in_place || fixed_by_existing {
        return Err(Error::new(
            Code::ConflictingParameters,
            "--to keeps the existing file's keys, selector and MAC mode and writes to it: it \
             cannot be used with --in-place, a selector flag, --mac-only-encrypted or \
             --shamir-secret-sharing-threshold",
        ));
    }
    // Plaintext from stdin takes its format from the existing file's name.
    let plain_io = IoArgs {
        filename_override: args
            .io
            .filename_override
            .clone()
            .or_else(|| args.io.file.is_none().then(|| to.to_path_buf())),
        ..args.io.clone()
    };
    let plain_files = Files::resolve(&plain_io, true)?;
    let existing_io = IoArgs {
        file: Some(to.to_path_buf()),
        input_type: args.io.output_type.clone(),
        output_type: args.io.output_type.clone(),
        ..IoArgs::default()
    };
    let existing = Files::resolve(&existing_io, false)?;
    let label = existing.label();
    let destination = match args.io.output.as_deref() {
        Some(out) if out == Path::new("-") => Destination::Stdout,
        Some(out) => Destination::File(out),
        None => Destination::File(to),
    };
    // Held until the result is written, so no other run changes EXISTING in between.
    let _lock = match destination {
        Destination::File(path) if path == to => Some(EditLock::acquire(to)?),
        _ => None,
    };
    let loaded = plain_files.load(ctx)?;
    refuse_encrypted(&loaded, &plain_files.label())?;
    let opened = existing.open(ctx, false, Purpose::Rewrite)?;
    ctx.verbose(|| format!("encrypting {} into {label}", plain_files.label()));

    let out_store = existing.output_format.store(&ctx.store_options()?);
    let mut docs = loaded.docs;
    out_store.normalize(&mut docs);
    let (mut metadata, mut nonces) = (opened.metadata, opened.nonces);
    sopsfile::reseal(&mut docs, &mut metadata, &opened.data_key, &mut nonces)
        .map_err(|e| e.context(&label))?;
    let meta_tree = sopsfile::metadata_tree(&metadata, existing.output_format);
    destination.write_with(0o644, |out| {
        out_store
            .write_over(&docs, Some(&meta_tree), loaded.source.as_deref(), out)
            .map_err(|e| e.context(&label))
    })
}
