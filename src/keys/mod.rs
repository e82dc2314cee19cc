//! Master keys: each wraps the file's data key (or its Shamir share) and unwraps it again.
//!
//! Every key type sits in its own file behind the one [`MasterKey`] trait; Shamir key groups
//! sit above the trait (a group's keys all wrap that group's share).

pub mod age;
pub mod azure;
pub mod gcp;
#[cfg(feature = "gcp")]
pub mod google_auth;
pub mod hckms;
#[cfg(feature = "http")]
pub mod http;
#[cfg(any(feature = "gcp", feature = "azure"))]
pub mod jwt;
pub mod kms;
pub mod opaque;
pub mod pgp;
#[cfg(any(feature = "aws", feature = "http"))]
pub mod ratelimit;
pub mod service;
pub mod shamir;
pub mod vault;

use crate::crypt::cipher::DataKey;
use crate::error::{Code, Error, Result};
use crate::tree::Map;
use service::KeyServices;
use zeroize::Zeroizing;

/// One master key as recorded in the `sops` metadata.
pub trait MasterKey: std::fmt::Debug {
    /// The metadata field holding this key type (`age`, `kms`, `pgp`, …); also its name
    /// in `--decryption-order`.
    fn kind(&self) -> &'static str;

    /// What identifies the key to a person (recipient, ARN, fingerprint). Never secret.
    fn describe(&self) -> String;

    /// Wraps `data_key` (32 bytes, or a 33-byte Shamir share), replacing the stored form.
    fn wrap(&mut self, data_key: &[u8]) -> Result<()>;

    /// Unwraps the stored form with what the keyring can offer.
    fn unwrap(&self, keyring: &Keyring) -> Result<Zeroizing<Vec<u8>>>;

    /// The metadata entry, fields in the order sops ≤ 3.12 writes them.
    fn to_map(&self) -> Map;

    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn MasterKey>;
}

impl Clone for Box<dyn MasterKey> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// A key group: every key in it wraps the same bytes.
pub type KeyGroup = Vec<Box<dyn MasterKey>>;

/// Decryption material. From the environment it is loaded on first use, so that a file
/// without age keys never reads key files or runs `SOPS_AGE_KEY_CMD`; given in memory it
/// holds only what the program added, and key types that would reach for the process's
/// environment or credentials (KMS, PGP, Vault, …) are not tried.
#[derive(Clone)]
pub struct Keyring {
    age: std::sync::OnceLock<Result<age::AgeIdentities>>,
    /// Whether identities and credentials may come from the environment.
    from_env: bool,
}

impl Keyring {
    /// What sops would find: the environment, default files, the user's gpg and cloud
    /// credentials.
    pub fn from_env() -> Keyring {
        Keyring {
            age: std::sync::OnceLock::new(),
            from_env: true,
        }
    }

    /// An empty keyring that never looks at the environment.
    pub fn in_memory() -> Keyring {
        Keyring {
            age: std::sync::OnceLock::from(Ok(age::AgeIdentities::in_memory())),
            from_env: false,
        }
    }

    /// Adds age identities given as text (see [`age::AgeIdentities::add`]); returns how
    /// many. The error names no key material.
    pub fn add_age_identities(&mut self, text: &[u8]) -> Result<usize> {
        if self.age.get().is_none() {
            let _ = self.age.set(age::AgeIdentities::load());
        }
        let ids = self
            .age
            .get_mut()
            .expect("set above")
            .as_mut()
            .map_err(|e| e.clone())?;
        ids.add(text).map_err(|e| Error::new(Code::Generic, e))
    }

    /// The age identities: those added, then (from the environment) those sops would find.
    pub fn age_identities(&self) -> Result<&age::AgeIdentities> {
        self.age
            .get_or_init(age::AgeIdentities::load)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Unwraps `key` with this keyring's material; a keyring given in memory holds only
    /// age identities.
    pub fn unwrap(&self, key: &dyn MasterKey) -> Result<Zeroizing<Vec<u8>>> {
        if !self.from_env && key.kind() != "age" {
            return Err(Error::new(
                Code::CouldNotRetrieveKey,
                format!(
                    "{}: {} keys are not used by a keyring given in memory (only its age \
                     identities are)",
                    key.describe(),
                    key.kind()
                ),
            ));
        }
        key.unwrap(self)
    }
}

/// Builds a master key from its metadata entry. Key types `secret` cannot use yet are kept
/// verbatim so rewriting the file preserves them.
pub fn from_metadata(field: &str, entry: &Map) -> Result<Box<dyn MasterKey>> {
    match field {
        "age" => Ok(Box::new(age::AgeMasterKey::from_map(entry)?)),
        "azure_kv" => Ok(Box::new(azure::AzureMasterKey::from_map(entry)?)),
        "hckms" => Ok(Box::new(hckms::HckmsMasterKey::from_map(entry)?)),
        "kms" => Ok(Box::new(kms::KmsMasterKey::from_map(entry)?)),
        "pgp" => Ok(Box::new(pgp::PgpMasterKey::from_map(entry)?)),
        "hc_vault" => Ok(Box::new(vault::VaultMasterKey::from_map(entry)?)),
        "gcp_kms" => Ok(Box::new(gcp::GcpKmsMasterKey::from_map(entry)?)),
        _ => Ok(Box::new(opaque::OpaqueKey::new(field, entry.clone()))),
    }
}

/// One metadata entry being read, for a key type's `from_map`: errors name the type.
pub struct Entry<'a> {
    map: &'a Map,
    kind: &'static str,
}

impl<'a> Entry<'a> {
    pub fn new(map: &'a Map, kind: &'static str) -> Entry<'a> {
        Entry { map, kind }
    }

    /// A field's text, if it is a scalar.
    pub fn text(&self, name: &str) -> Option<String> {
        crate::tree::get(self.map, name).and_then(crate::tree::Node::scalar_text)
    }

    /// A field every entry of this type has.
    pub fn required(&self, name: &str) -> Result<String> {
        self.text(name)
            .ok_or_else(|| self.error(format!("an entry has no {name}")))
    }

    /// `created_at`, normalised as sops writes it (empty when absent); `who` names the key.
    pub fn created_at(&self, who: &str) -> Result<String> {
        match self.text("created_at") {
            None => Ok(String::new()),
            Some(t) => crate::timefmt::normalize_rfc3339(&t).ok_or_else(|| {
                self.error(format!(
                    "created_at {t:?} of {who} is not an RFC 3339 timestamp"
                ))
            }),
        }
    }

    /// An error about this entry.
    pub fn error(&self, msg: impl std::fmt::Display) -> Error {
        Error::new(
            Code::Generic,
            format!("sops metadata: {}: {msg}", self.kind),
        )
    }
}

/// A metadata entry of string fields, in this order.
pub fn string_entry(fields: &[(&str, &str)]) -> Map {
    fields
        .iter()
        .map(|(k, v)| crate::tree::Item::Pair((*k).into(), crate::tree::Node::str(*v)))
        .collect()
}

/// The error of a key type whose cargo feature is off.
#[allow(dead_code)] // used only by builds without some feature
pub(crate) fn built_without(service: &str, keys: &str, feature: &str) -> Error {
    Error::new(
        Code::Generic,
        format!(
            "this secret was built without {service} support, so it cannot use {keys} \
             (rebuild with the default cargo feature `{feature}`)"
        ),
    )
}

/// The field names of a metadata entry, in order (for tests of the entry layouts).
#[cfg(test)]
pub(crate) fn field_names(entry: &Map) -> Vec<&str> {
    entry
        .iter()
        .filter_map(|i| match i {
            crate::tree::Item::Pair(k, _) => Some(k.as_str()),
            crate::tree::Item::Comment(_) => None,
        })
        .collect()
}

/// sops' default decryption order.
pub const DEFAULT_DECRYPTION_ORDER: &[&str] = &["age", "pgp"];

/// Parses `--decryption-order` / `SOPS_DECRYPTION_ORDER` (a duplicate is exit 112).
pub fn parse_decryption_order(text: &str) -> Result<Vec<String>> {
    let mut order: Vec<String> = Vec::new();
    for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if order.iter().any(|o| o == name) {
            return Err(Error::new(
                Code::DuplicateDecryptionKeyType,
                format!("duplicate key type {name:?} in the decryption order"),
            ));
        }
        order.push(name.to_string());
    }
    Ok(order)
}

/// Unwraps the part one group protects: keys are tried in decryption order, each on every
/// key service in turn; the first success ends the group.
fn unwrap_group(
    group: &KeyGroup,
    order: &[String],
    services: &KeyServices,
) -> Result<Zeroizing<Vec<u8>>, Vec<String>> {
    let rank = |k: &dyn MasterKey| {
        order
            .iter()
            .position(|o| o == k.kind())
            .unwrap_or(order.len())
    };
    let mut indices: Vec<usize> = (0..group.len()).collect();
    indices.sort_by_key(|&i| rank(group[i].as_ref()));
    // (kind, ids, why): keys failing for the same reason share one entry, so that e.g. "no
    // age key found" is said once however many recipients the file has.
    let mut failures: Vec<(&str, Vec<String>, String)> = Vec::new();
    for i in indices {
        let key = &group[i];
        match services.unwrap(key.as_ref()) {
            Ok(part) => {
                services.note_used(format!("{} {}", key.kind(), key.describe()));
                return Ok(part);
            }
            Err(e) => {
                let id = key.describe();
                let why = e
                    .message
                    .strip_prefix(&format!("{id}: "))
                    .unwrap_or(&e.message)
                    .to_string();
                match failures
                    .iter_mut()
                    .find(|(kind, _, w)| *kind == key.kind() && *w == why)
                {
                    Some((_, ids, _)) => ids.push(id),
                    None => failures.push((key.kind(), vec![id], why)),
                }
            }
        }
    }
    Err(failures
        .into_iter()
        .map(|(kind, ids, why)| format!("{kind} {}: {why}", ids.join(", ")))
        .collect())
}

/// Recovers the data key from the key groups (combining Shamir shares when there are
/// several groups). The error lists, per group, every key tried and why it failed.
pub fn recover_data_key(
    groups: &[KeyGroup],
    threshold: usize,
    order: &[String],
    services: &KeyServices,
) -> Result<DataKey> {
    let mut parts = Vec::new();
    let mut report = Vec::new();
    for (i, group) in groups.iter().enumerate() {
        match unwrap_group(group, order, services) {
            Ok(part) => parts.push(part),
            Err(failures) if failures.is_empty() => {
                report.push(format!("group {}: no master keys", i + 1))
            }
            Err(failures) if groups.len() == 1 => report.push(failures.join("; ")),
            Err(failures) => report.push(format!("group {}: {}", i + 1, failures.join("; "))),
        }
    }
    let failed = |report: Vec<String>| {
        Error::new(
            Code::CouldNotRetrieveKey,
            format!(
                "failed to get the data key, which is required to decrypt the file: {}",
                report.join(" | ")
            ),
        )
    };
    if groups.len() > 1 {
        let threshold = if threshold == 0 {
            groups.len()
        } else {
            threshold
        };
        if parts.len() < threshold {
            let failed_groups: Vec<String> = report
                .iter()
                .filter_map(|r| r.strip_prefix("group "))
                .filter_map(|r| r.split(':').next())
                .map(str::to_string)
                .collect();
            report.insert(
                0,
                format!(
                    "only {} of {} key groups could be opened, {} needed (Shamir threshold); \
                     could not open group{} {}",
                    parts.len(),
                    groups.len(),
                    threshold,
                    if failed_groups.len() == 1 { "" } else { "s" },
                    failed_groups.join(", ")
                ),
            );
            return Err(failed(report));
        }
        let shares: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
        DataKey::from_slice(&shamir::combine(&shares)?)
    } else {
        match parts.first() {
            Some(part) => DataKey::from_slice(part),
            None if groups.is_empty() => Err(failed(vec!["the file has no master keys".into()])),
            None => Err(failed(report)),
        }
    }
}

/// Wraps `data_key` with every master key (each on the first key service that can): the
/// whole key with one group, else each group gets its Shamir share.
pub fn wrap_data_key(
    groups: &mut [KeyGroup],
    threshold: usize,
    data_key: &DataKey,
    services: &KeyServices,
) -> Result<()> {
    let wrap = |key: &mut Box<dyn MasterKey>, bytes: &[u8]| {
        let who = format!("{} {}", key.kind(), key.describe());
        services.wrap(key, bytes).map_err(|e| e.context(who))
    };
    if groups.len() <= 1 {
        for key in groups.iter_mut().flatten() {
            wrap(key, data_key.as_bytes())?;
        }
        return Ok(());
    }
    let threshold = if threshold == 0 {
        groups.len()
    } else {
        threshold
    };
    let shares = shamir::split(data_key.as_bytes(), groups.len(), threshold)?;
    for (group, share) in groups.iter_mut().zip(&shares) {
        if group.is_empty() {
            return Err(Error::new(Code::Generic, "a key group has no keys"));
        }
        for key in group.iter_mut() {
            wrap(key, share)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_in_memory_keyring_tries_only_age_keys() {
        let keyring = Keyring::in_memory();
        let kms = kms::KmsMasterKey::new(
            "arn:aws:kms:us-east-1:111122223333:key/k",
            "",
            Default::default(),
            "",
        );
        let err = keyring.unwrap(&kms).unwrap_err();
        assert_eq!(err.code, Code::CouldNotRetrieveKey);
        assert!(
            err.message
                .contains("not used by a keyring given in memory"),
            "{err}"
        );

        let age = age::AgeMasterKey::new(
            "age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman",
        )
        .unwrap();
        let err = keyring.unwrap(&age).unwrap_err();
        assert!(err.message.contains("no age key found"), "{err}");
        assert!(!err.message.contains("SOPS_AGE_KEY_FILE"), "{err}");
    }
}
