//! Master keys of types `secret` cannot use (Azure Key Vault, HuaweiCloud KMS, a key type of
//! a newer sops): kept verbatim so that rewriting a file does not drop them.

use super::{Keyring, MasterKey};
use crate::error::{Code, Error, Result};
use crate::tree::{self, Map};
use zeroize::Zeroizing;

/// A metadata entry kept as it was read.
#[derive(Debug, Clone)]
pub struct OpaqueKey {
    kind: &'static str,
    entry: Map,
}

impl OpaqueKey {
    pub fn new(field: &str, entry: Map) -> OpaqueKey {
        let kind = match field {
            "kms" => "kms",
            "pgp" => "pgp",
            "gcp_kms" => "gcp_kms",
            "azure_kv" => "azure_kv",
            "hc_vault" => "hc_vault",
            "hckms" => "hckms",
            _ => "unknown",
        };
        OpaqueKey { kind, entry }
    }
}

impl MasterKey for OpaqueKey {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn describe(&self) -> String {
        [
            "arn",
            "fp",
            "resource_id",
            "vault_url",
            "vault_address",
            "key_id",
        ]
        .iter()
        .find_map(|f| tree::get(&self.entry, f).and_then(|n| n.as_str()))
        .unwrap_or("?")
        .to_string()
    }

    fn wrap(&mut self, _data_key: &[u8]) -> Result<()> {
        Err(Error::new(
            Code::Generic,
            format!("{} master keys are not supported by secret", self.kind),
        ))
    }

    fn unwrap(&self, _keyring: &Keyring) -> Result<Zeroizing<Vec<u8>>> {
        Err(Error::new(
            Code::CouldNotRetrieveKey,
            format!("{} master keys are not supported by secret", self.kind),
        ))
    }

    fn to_map(&self) -> Map {
        self.entry.clone()
    }

    fn clone_box(&self) -> Box<dyn MasterKey> {
        Box::new(self.clone())
    }
}
