//! Which master keys, selector and options a new file gets: the creation rule that matches
//! it, overridden by what the caller gives explicitly. Shared by `encrypt`, `edit` of a new
//! file, the key-group commands and the library's [`crate::encrypt`].

use crate::config::{CreationRule, GroupSpec};
use crate::crypt::select::Selector;
use crate::error::{Code, Error, Result};
use crate::keys::age::AgeMasterKey;
use crate::keys::azure::AzureMasterKey;
use crate::keys::gcp::GcpKmsMasterKey;
use crate::keys::hckms::HckmsMasterKey;
use crate::keys::kms::{EncryptionContext, KmsMasterKey};
use crate::keys::pgp::PgpMasterKey;
use crate::keys::vault::VaultMasterKey;
use crate::keys::KeyGroup;
use crate::sopsfile::{self, SealPlan};

/// What the caller chose explicitly for a new file; anything left empty comes from the
/// creation rule.
#[derive(Debug)]
pub(crate) struct Explicit {
    /// The master keys of one group; when not empty they replace the rule's groups.
    pub keys: GroupSpec,
    /// The KMS encryption context for KMS keys that have none of their own.
    pub context: EncryptionContext,
    /// Overrides the rule's selector of the same kind; one of another kind is a conflict.
    /// An error here (a bad pattern, two selectors) is reported after the keys are checked.
    pub selector: Result<Option<Selector>>,
    /// How many key groups are needed to recover the data key.
    pub shamir_threshold: Option<usize>,
    /// Authenticate only the encrypted values (or-ed with the rule's setting).
    pub mac_only_encrypted: bool,
}

/// Builds master keys from a group as a rule or the command line names it. `context` is the
/// `--encryption-context` for the KMS keys that have none of their own.
pub(crate) fn build_group(spec: &GroupSpec, context: &EncryptionContext) -> Result<KeyGroup> {
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
pub(crate) fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Resolves the master keys, selector and MAC mode of a new file: explicit keys replace the
/// matching creation rule's; an explicit selector overrides the rule's selector of the same
/// kind and conflicts with another kind (exit 8). `label` names the file in errors.
pub(crate) fn plan_new_file(
    rule: Option<&CreationRule>,
    explicit: Explicit,
    label: &str,
) -> Result<SealPlan> {
    let specs: Vec<GroupSpec> = match rule {
        _ if !explicit.keys.is_empty() => vec![explicit.keys],
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
        .map(|spec| build_group(spec, &explicit.context))
        .collect::<Result<Vec<_>>>()?;
    sopsfile::check_groups(&groups)?;

    let rule_selector = rule.and_then(|r| r.selector.clone());
    let selector = match (explicit.selector?, rule_selector) {
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
        shamir_threshold: explicit
            .shamir_threshold
            .or(rule.map(|r| r.shamir_threshold))
            .unwrap_or(0),
        groups,
        selector,
        mac_only_encrypted: explicit.mac_only_encrypted
            || rule.is_some_and(|r| r.mac_only_encrypted),
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
    Ok(plan)
}
