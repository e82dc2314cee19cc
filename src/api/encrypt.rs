//! [`EncryptOptions`]: who can open a new file, and which of its values are encrypted.

use crate::config::{GroupSpec, KmsSpec};
use crate::crypt::select::{Selector, SelectorKind};
use crate::error::Result;
use crate::keys::azure::AzureKeyRef;
use crate::plan::Explicit;

/// The master keys and options of a file made by [`crate::encrypt`]. Master keys are given
/// explicitly, as strings in the form `.sops.yaml` uses; nothing is read from a config file.
/// They are checked when [`crate::encrypt`] runs.
///
/// age recipients need nothing else. The other key types wrap the data key through their
/// service with the process's usual credentials (AWS, GCP, Azure, Vault environment, the
/// user's gpg keyring), as the command line does.
///
/// ```
/// let options = secret::EncryptOptions::new()
///     .age("age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman")
///     .unencrypted_suffix("_public");
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default)]
pub struct EncryptOptions {
    keys: GroupSpec,
    /// Azure Key Vault key URLs, parsed when the options are used.
    azure_kv: Vec<String>,
    /// The AWS KMS encryption context of the KMS keys.
    kms_context: std::collections::BTreeMap<String, String>,
    selector: Option<(SelectorKind, String)>,
    mac_only_encrypted: bool,
}

impl EncryptOptions {
    /// No master keys yet: add at least one.
    pub fn new() -> EncryptOptions {
        EncryptOptions::default()
    }

    /// An age recipient: `age1…`, `ssh-ed25519 …`, `ssh-rsa …` or a plugin recipient.
    pub fn age(mut self, recipient: &str) -> EncryptOptions {
        self.keys.age.push(recipient.to_string());
        self
    }

    /// A PGP key fingerprint (wrapped with the user's gpg).
    pub fn pgp(mut self, fingerprint: &str) -> EncryptOptions {
        self.keys.pgp.push(fingerprint.to_string());
        self
    }

    /// An AWS KMS key ARN, optionally `ARN+ROLE_ARN` to assume that role first.
    pub fn kms(mut self, arn: &str) -> EncryptOptions {
        self.keys.kms.push(KmsSpec::from_arn_string(arn, ""));
        self
    }

    /// A GCP Cloud KMS key resource id
    /// (`projects/P/locations/L/keyRings/R/cryptoKeys/K`).
    pub fn gcp_kms(mut self, resource_id: &str) -> EncryptOptions {
        self.keys.gcp_kms.push(resource_id.to_string());
        self
    }

    /// A pair of the AWS KMS encryption context of the KMS keys (`--encryption-context`):
    /// the same pairs must be given again to decrypt, as sops records them with each key.
    pub fn kms_encryption_context(mut self, key: &str, value: &str) -> EncryptOptions {
        self.kms_context.insert(key.to_string(), value.to_string());
        self
    }

    /// A HashiCorp Vault transit key URI (`https://vault:8200/v1/ENGINE/keys/NAME`).
    pub fn hc_vault_transit(mut self, uri: &str) -> EncryptOptions {
        self.keys.hc_vault.push(uri.to_string());
        self
    }

    /// An Azure Key Vault key URL (`https://VAULT.vault.azure.net/keys/NAME[/VERSION]`;
    /// without a version, the current one is looked up).
    pub fn azure_kv(mut self, url: &str) -> EncryptOptions {
        self.azure_kv.push(url.to_string());
        self
    }

    /// A HuaweiCloud KMS key id, `REGION:KEY-UUID`.
    pub fn hckms(mut self, key_id: &str) -> EncryptOptions {
        self.keys.hckms.push(key_id.to_string());
        self
    }

    /// Leaves plain the values where a key on their path ends with `suffix`. At most one
    /// selector (this or the next three) is kept: the last one set.
    pub fn unencrypted_suffix(self, suffix: &str) -> EncryptOptions {
        self.selector(SelectorKind::UnencryptedSuffix, suffix)
    }

    /// Encrypts only the values where a key on their path ends with `suffix`.
    pub fn encrypted_suffix(self, suffix: &str) -> EncryptOptions {
        self.selector(SelectorKind::EncryptedSuffix, suffix)
    }

    /// Leaves plain the values where a key on their path matches `regex`.
    pub fn unencrypted_regex(self, regex: &str) -> EncryptOptions {
        self.selector(SelectorKind::UnencryptedRegex, regex)
    }

    /// Encrypts only the values where a key on their path matches `regex`.
    pub fn encrypted_regex(self, regex: &str) -> EncryptOptions {
        self.selector(SelectorKind::EncryptedRegex, regex)
    }

    /// Makes the MAC cover only the encrypted values, so plain values can be edited by hand.
    pub fn mac_only_encrypted(mut self, yes: bool) -> EncryptOptions {
        self.mac_only_encrypted = yes;
        self
    }

    fn selector(mut self, kind: SelectorKind, pattern: &str) -> EncryptOptions {
        self.selector = Some((kind, pattern.to_string()));
        self
    }

    /// The choices as the planner takes them; an error if a key is malformed.
    pub(crate) fn explicit(&self) -> Result<Explicit> {
        let mut keys = self.keys.clone();
        for url in &self.azure_kv {
            keys.azure_kv.push(AzureKeyRef::parse(url)?);
        }
        Ok(Explicit {
            keys,
            context: self.kms_context.clone(),
            selector: self
                .selector
                .as_ref()
                .map(|(kind, pattern)| Selector::new(*kind, pattern))
                .transpose(),
            shamir_threshold: None,
            mac_only_encrypted: self.mac_only_encrypted,
        })
    }

    /// Whether no master key was given.
    pub(crate) fn has_no_keys(&self) -> bool {
        self.keys.is_empty() && self.azure_kv.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_type_reaches_the_planner() {
        let options = EncryptOptions::new()
            .azure_kv("https://v1.vault.azure.net/keys/k1/0123456789abcdef0123456789abcdef")
            .hckms("tr-west-1:0a1b2c3d-0000-4000-8000-000000000000")
            .kms("arn:aws:kms:us-east-1:000000000000:key/k")
            .kms_encryption_context("team", "payments");
        assert!(!EncryptOptions::new().azure_kv("https://x").has_no_keys());
        let explicit = options.explicit().unwrap();
        assert_eq!(explicit.keys.azure_kv.len(), 1);
        assert_eq!(
            explicit.keys.hckms,
            ["tr-west-1:0a1b2c3d-0000-4000-8000-000000000000"]
        );
        assert_eq!(
            explicit.context.get("team").map(String::as_str),
            Some("payments")
        );
    }

    #[test]
    fn a_malformed_azure_url_is_an_error_when_used() {
        let options = EncryptOptions::new().azure_kv("not a url");
        let Err(err) = options.explicit() else {
            panic!("a malformed URL was taken")
        };
        assert!(err.message.contains("not a url"), "{}", err.message);
    }
}
