//! Azure Key Vault master keys, as sops uses them (`azkv/keysource.go`).
//!
//! A key is named by its URL `https://VAULT/keys/NAME[/VERSION]`; a URL without a version is
//! resolved to the key's current version when the key is added (one `GET` of the key), and
//! that version is what the metadata records. Wrapping is the vault's `encrypt` operation
//! with RSA-OAEP-256 (not `wrapkey`), `enc` being the result in base64url without padding;
//! unwrapping is its `decrypt` operation. Tokens come from the credential chain of
//! [`credential`], asked for after the vault's 401 challenge has named the tenant.

#[cfg(feature = "azure")]
mod certificate;
#[cfg(feature = "azure")]
mod credential;
#[cfg(feature = "azure")]
mod pkcs12;
#[cfg(feature = "azure")]
mod vault;

#[cfg(not(feature = "azure"))]
mod vault {
    use super::AzureKeyRef;
    use crate::error::{Code, Error, Result};
    use zeroize::Zeroizing;

    fn unsupported() -> Error {
        Error::new(
            Code::Generic,
            "this secret was built without Azure support (cargo feature `azure`)",
        )
    }

    pub fn current_version(_key: &AzureKeyRef) -> Result<String> {
        Err(unsupported())
    }

    pub fn key_operation(
        _key: &AzureKeyRef,
        _op: &str,
        _value: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        Err(unsupported())
    }
}

use std::sync::OnceLock;

use base64::prelude::{Engine as _, BASE64_URL_SAFE_NO_PAD};
use regex::Regex;
use zeroize::Zeroizing;

use super::{Keyring, MasterKey};
use crate::error::{Code, Error, Result};
use crate::tree::Map;

/// A key as a URL or a `.sops.yaml` key group names it; an empty version means "the current
/// one", looked up when the master key is built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AzureKeyRef {
    /// `https://VAULT` (kept as written, a trailing `/` included when `.sops.yaml` has one).
    pub vault_url: String,
    pub name: String,
    pub version: String,
}

impl std::fmt::Display for AzureKeyRef {
    /// `VAULTURL/keys/NAME/VERSION`, sops' `ToString` (`VAULTURL/keys/NAME` while the
    /// version is still unresolved).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/keys/{}", self.vault_url, self.name)?;
        if !self.version.is_empty() {
            write!(f, "/{}", self.version)?;
        }
        Ok(())
    }
}

fn url_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(https://[^/]+)/keys/([^/]+)(?:/([^/]*))?$").expect("valid regex")
    })
}

impl AzureKeyRef {
    /// Parses `https://VAULT/keys/NAME[/VERSION]` (trimmed; `https` only, `keys` lower-case,
    /// an empty or missing version means the current one).
    pub fn parse(url: &str) -> Result<AzureKeyRef> {
        let url = url.trim();
        let caps = url_regex().captures(url).ok_or_else(|| {
            Error::new(
                Code::Generic,
                format!(
                    "could not parse {url:?} into a valid Azure Key Vault key: expected \
                     https://VAULT/keys/NAME or https://VAULT/keys/NAME/VERSION"
                ),
            )
        })?;
        Ok(AzureKeyRef {
            vault_url: caps[1].to_string(),
            name: caps[2].to_string(),
            version: caps.get(3).map_or("", |m| m.as_str()).to_string(),
        })
    }

    /// Parses a comma-separated list of key URLs (`--azure-kv`, `.sops.yaml`).
    pub fn parse_list(urls: &str) -> Result<Vec<AzureKeyRef>> {
        urls.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(AzureKeyRef::parse)
            .collect()
    }
}

/// One Azure Key Vault master key as stored in the sops metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureMasterKey {
    pub key: AzureKeyRef,
    /// When the key entry was created: RFC 3339, UTC, whole seconds.
    pub created_at: String,
    /// base64url (no padding) of the vault's RSA-OAEP-256 ciphertext (empty until wrapped).
    pub enc: String,
}

impl AzureMasterKey {
    /// A new key entry (not yet wrapped), created now. A key without a version is resolved
    /// to the vault's current version first, as sops does when it parses the key.
    pub fn new(key: &AzureKeyRef) -> Result<AzureMasterKey> {
        let mut key = key.clone();
        if key.version.is_empty() {
            key.version = vault::current_version(&key)?;
        }
        Ok(AzureMasterKey {
            key,
            created_at: crate::timefmt::now_utc(),
            enc: String::new(),
        })
    }

    /// Reads an `azure_kv` entry of the metadata.
    pub fn from_map(entry: &Map) -> Result<AzureMasterKey> {
        let fields = super::Entry::new(entry, "azure_kv");
        let vault_url = fields.required("vault_url")?;
        let key = AzureKeyRef {
            name: fields.text("name").unwrap_or_default(),
            version: fields.text("version").unwrap_or_default(),
            vault_url,
        };
        Ok(AzureMasterKey {
            created_at: fields.created_at(&key.to_string())?,
            enc: fields.text("enc").unwrap_or_default(),
            key,
        })
    }
}

impl MasterKey for AzureMasterKey {
    fn kind(&self) -> &'static str {
        "azure_kv"
    }

    fn describe(&self) -> String {
        self.key.to_string()
    }

    fn wrap(&mut self, data_key: &[u8]) -> Result<()> {
        let result = vault::key_operation(&self.key, "encrypt", data_key)?;
        self.enc = BASE64_URL_SAFE_NO_PAD.encode(&*result);
        Ok(())
    }

    fn unwrap(&self, _keyring: &Keyring) -> Result<Zeroizing<Vec<u8>>> {
        let fail = |msg: String| Error::new(Code::CouldNotRetrieveKey, msg);
        // Strict, as sops: the URL alphabet without padding, nothing else.
        let blob = BASE64_URL_SAFE_NO_PAD.decode(&self.enc).map_err(|e| {
            fail(format!(
                "the enc field of {} is not base64url without padding: {e}",
                self.key
            ))
        })?;
        vault::key_operation(&self.key, "decrypt", &blob).map_err(|e| fail(e.message))
    }

    fn to_map(&self) -> Map {
        super::string_entry(&[
            ("vault_url", &self.key.vault_url),
            ("name", &self.key.name),
            ("version", &self.key.version),
            ("created_at", &self.created_at),
            ("enc", &self.enc),
        ])
    }

    fn clone_box(&self) -> Box<dyn MasterKey> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{Item, Node, Scalar};

    #[test]
    fn urls_parse_as_sops_parses_them() {
        let k = AzureKeyRef::parse(" https://v.vault.azure.net/keys/k/abc ").unwrap();
        assert_eq!(
            (k.vault_url.as_str(), k.name.as_str(), k.version.as_str()),
            ("https://v.vault.azure.net", "k", "abc")
        );
        for latest in [
            "https://v.vault.azure.net/keys/k",
            "https://v.vault.azure.net/keys/k/",
        ] {
            let k = AzureKeyRef::parse(latest).unwrap();
            assert_eq!((k.name.as_str(), k.version.as_str()), ("k", ""), "{latest}");
        }
        let k = AzureKeyRef::parse("https://v.vault.azure.net:443/keys/k/abc").unwrap();
        assert_eq!(k.vault_url, "https://v.vault.azure.net:443");
        for bad in [
            "https://v.vault.azure.net/keys/k/abc/",
            "https://v.vault.azure.net/keys/k//",
            "https://v.vault.azure.net/keys/k/abc/x",
            "http://v.vault.azure.net/keys/k/abc",
            "https://v.vault.azure.net/Keys/k/abc",
            "https://v.vault.azure.net/keys/",
        ] {
            let e = AzureKeyRef::parse(bad).unwrap_err();
            assert!(
                e.message.contains("could not parse"),
                "{bad}: {}",
                e.message
            );
        }
    }

    #[test]
    fn url_lists_skip_empty_items() {
        let keys =
            AzureKeyRef::parse_list("https://a.vault.azure.net/keys/k/1, ,https://b/keys/j/2")
                .unwrap();
        let names: Vec<String> = keys.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            ["https://a.vault.azure.net/keys/k/1", "https://b/keys/j/2"]
        );
        assert!(AzureKeyRef::parse_list("").unwrap().is_empty());
        assert!(AzureKeyRef::parse_list("https://a/keys/k/1,nope").is_err());
    }

    #[test]
    fn metadata_entry_round_trips_in_sops_order() {
        let entry: Map = vec![
            Item::Pair("enc".into(), Node::str("abc-_")),
            Item::Pair("version".into(), Node::str("0123")),
            Item::Pair(
                "created_at".into(),
                Node::Scalar(Scalar::Time("2026-12-02T02:04:09.5Z".into())),
            ),
            Item::Pair("name".into(), Node::str("sops-key")),
            Item::Pair("vault_url".into(), Node::str("https://v.vault.azure.net/")),
        ];
        let k = AzureMasterKey::from_map(&entry).unwrap();
        assert_eq!(k.created_at, "2026-12-02T02:04:09Z");
        assert_eq!(
            k.describe(),
            "https://v.vault.azure.net//keys/sops-key/0123"
        );
        let map = k.to_map();
        assert_eq!(
            crate::keys::field_names(&map),
            ["vault_url", "name", "version", "created_at", "enc"]
        );
        assert_eq!(AzureMasterKey::from_map(&map).unwrap(), k);
        let e = AzureMasterKey::from_map(&vec![]).unwrap_err();
        assert!(e.message.contains("azure_kv"), "{}", e.message);
    }

    #[test]
    fn padded_or_standard_base64_enc_is_refused_before_any_request() {
        let k = AzureKeyRef::parse("https://v.vault.azure.net/keys/k/1").unwrap();
        for enc in ["AAAA==", "ab+/"] {
            let key = AzureMasterKey {
                key: k.clone(),
                created_at: String::new(),
                enc: enc.into(),
            };
            let e = key.unwrap(&Keyring::from_env()).unwrap_err();
            assert_eq!(e.code, Code::CouldNotRetrieveKey);
            assert!(e.message.contains("base64url"), "{}", e.message);
        }
    }
}
