//! sops' flags for GCP KMS, Azure Key Vault, HashiCorp Vault transit and HuaweiCloud KMS keys,
//! accepted so scripts written for sops parse; this build has none of these key types, so
//! using one is a clear error instead of a file encrypted without the key that was asked for.

use crate::error::{Code, Error, Result};
use clap::{ArgAction, Args};

/// The key flags of key types this build does not have (sops spellings; repeatable as in
/// `groups add`).
#[derive(Debug, Args, Clone, Default)]
pub struct PendingKeyArgs {
    /// GCP KMS resource IDs, comma-separated (not supported by this build)
    #[arg(long, value_name = "IDS", action = ArgAction::Append)]
    pub gcp_kms: Vec<String>,
    /// HuaweiCloud KMS key IDs region:uuid, comma-separated (not supported by this build)
    #[arg(long, value_name = "IDS", action = ArgAction::Append)]
    pub hckms: Vec<String>,
    /// Azure Key Vault key URLs, comma-separated (not supported by this build)
    #[arg(long, value_name = "URLS", action = ArgAction::Append)]
    pub azure_kv: Vec<String>,
    /// HashiCorp Vault transit key URIs, comma-separated (not supported by this build)
    #[arg(long, value_name = "URIS", action = ArgAction::Append)]
    pub hc_vault_transit: Vec<String>,
}

/// `--add-*`/`--rm-*` of the key types this build does not have (rotate).
#[derive(Debug, Args, Clone, Default)]
pub struct PendingKeyChangeArgs {
    /// Add GCP KMS keys (not supported by this build)
    #[arg(long, value_name = "IDS")]
    pub add_gcp_kms: Option<String>,
    /// Remove GCP KMS keys (not supported by this build)
    #[arg(long, value_name = "IDS")]
    pub rm_gcp_kms: Option<String>,
    /// Add HuaweiCloud KMS keys (not supported by this build)
    #[arg(long, value_name = "IDS")]
    pub add_hckms: Option<String>,
    /// Remove HuaweiCloud KMS keys (not supported by this build)
    #[arg(long, value_name = "IDS")]
    pub rm_hckms: Option<String>,
    /// Add Azure Key Vault keys (not supported by this build)
    #[arg(long, value_name = "URLS")]
    pub add_azure_kv: Option<String>,
    /// Remove Azure Key Vault keys (not supported by this build)
    #[arg(long, value_name = "URLS")]
    pub rm_azure_kv: Option<String>,
    /// Add HashiCorp Vault transit keys (not supported by this build)
    #[arg(long, value_name = "URIS")]
    pub add_hc_vault_transit: Option<String>,
    /// Remove HashiCorp Vault transit keys (not supported by this build)
    #[arg(long, value_name = "URIS")]
    pub rm_hc_vault_transit: Option<String>,
}

/// The error for a flag naming a key type this build lacks.
fn unsupported(flag: &str) -> Error {
    Error::new(
        Code::Generic,
        format!("--{flag}: this build of secret does not support that key type"),
    )
}

impl PendingKeyArgs {
    /// Fails when any of these flags was given.
    pub fn reject(&self) -> Result<()> {
        let given = [
            ("gcp-kms", &self.gcp_kms),
            ("hckms", &self.hckms),
            ("azure-kv", &self.azure_kv),
            ("hc-vault-transit", &self.hc_vault_transit),
        ];
        match given.iter().find(|(_, v)| !v.is_empty()) {
            Some((flag, _)) => Err(unsupported(flag)),
            None => Ok(()),
        }
    }
}

impl PendingKeyChangeArgs {
    /// Fails when any of these flags was given.
    pub fn reject(&self) -> Result<()> {
        let given = [
            ("add-gcp-kms", &self.add_gcp_kms),
            ("rm-gcp-kms", &self.rm_gcp_kms),
            ("add-hckms", &self.add_hckms),
            ("rm-hckms", &self.rm_hckms),
            ("add-azure-kv", &self.add_azure_kv),
            ("rm-azure-kv", &self.rm_azure_kv),
            ("add-hc-vault-transit", &self.add_hc_vault_transit),
            ("rm-hc-vault-transit", &self.rm_hc_vault_transit),
        ];
        match given.iter().find(|(_, v)| v.is_some()) {
            Some((flag, _)) => Err(unsupported(flag)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_given_passes_and_any_flag_fails_naming_itself() {
        assert!(PendingKeyArgs::default().reject().is_ok());
        assert!(PendingKeyChangeArgs::default().reject().is_ok());
        let keys = PendingKeyArgs {
            azure_kv: vec!["https://v.vault.azure.net/keys/k/1".into()],
            ..Default::default()
        };
        assert!(keys
            .reject()
            .unwrap_err()
            .message
            .starts_with("--azure-kv:"));
        let changes = PendingKeyChangeArgs {
            rm_hckms: Some("r:u".into()),
            ..Default::default()
        };
        assert!(changes
            .reject()
            .unwrap_err()
            .message
            .starts_with("--rm-hckms:"));
    }
}
