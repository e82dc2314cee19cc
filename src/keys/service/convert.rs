//! Master keys to and from the key service's `Key` message. Both directions go through the
//! key's metadata entry (`to_map` / [`from_metadata`]), so a key type needs one match arm
//! here and nothing else; a type `secret` cannot use itself (kept as an opaque entry) can
//! still be sent to a remote service that can.

use super::proto::{self, KeyType};
use crate::error::{Code, Error, Result};
use crate::keys::{from_metadata, MasterKey};
use crate::tree::{self, Item, Map, Node};

/// The `Key` message naming `key`.
pub fn to_proto(key: &dyn MasterKey) -> Result<proto::Key> {
    let entry = key.to_map();
    let text = |name: &str| {
        tree::get(&entry, name)
            .and_then(Node::scalar_text)
            .unwrap_or_default()
    };
    let key_type = match key.kind() {
        "age" => KeyType::AgeKey(proto::AgeKey {
            recipient: text("recipient"),
        }),
        "pgp" => KeyType::PgpKey(proto::PgpKey {
            fingerprint: text("fp"),
        }),
        "kms" => KeyType::KmsKey(proto::KmsKey {
            arn: text("arn"),
            role: text("role"),
            context: tree::string_map(tree::get(&entry, "context"))
                .ok()
                .flatten()
                .unwrap_or_default()
                .into_iter()
                .collect(),
            aws_profile: text("aws_profile"),
        }),
        "gcp_kms" => KeyType::GcpKmsKey(proto::GcpKmsKey {
            resource_id: text("resource_id"),
        }),
        "azure_kv" => KeyType::AzureKeyvaultKey(proto::AzureKeyVaultKey {
            vault_url: text("vault_url"),
            name: text("name"),
            version: text("version"),
        }),
        "hc_vault" => KeyType::VaultKey(proto::VaultKey {
            vault_address: text("vault_address"),
            engine_path: text("engine_path"),
            key_name: text("key_name"),
        }),
        "hckms" => KeyType::HckmsKey(proto::HckmsKey {
            key_id: text("key_id"),
        }),
        other => {
            return Err(Error::new(
                Code::Generic,
                format!("{other} keys cannot be sent to a key service"),
            ))
        }
    };
    Ok(proto::Key {
        key_type: Some(key_type),
    })
}

/// The master key a request names, built as if read from a file's metadata (with an empty
/// `enc`). `None` when the request names no key type this protocol knows.
pub fn from_proto(key: &proto::Key) -> Option<Result<Box<dyn MasterKey>>> {
    let pair = |k: &str, v: &str| Item::Pair(k.into(), Node::str(v));
    let (field, mut entry): (&str, Map) = match key.key_type.as_ref()? {
        KeyType::AgeKey(k) => ("age", vec![pair("recipient", &k.recipient)]),
        KeyType::PgpKey(k) => ("pgp", vec![pair("fp", &k.fingerprint)]),
        KeyType::KmsKey(k) => {
            let mut context: Vec<(&String, &String)> = k.context.iter().collect();
            context.sort();
            let context = context.into_iter().map(|(k, v)| pair(k, v)).collect();
            (
                "kms",
                vec![
                    pair("arn", &k.arn),
                    pair("role", &k.role),
                    Item::Pair("context".into(), Node::Map(context)),
                    pair("aws_profile", &k.aws_profile),
                ],
            )
        }
        KeyType::GcpKmsKey(k) => ("gcp_kms", vec![pair("resource_id", &k.resource_id)]),
        KeyType::AzureKeyvaultKey(k) => (
            "azure_kv",
            vec![
                pair("vault_url", &k.vault_url),
                pair("name", &k.name),
                pair("version", &k.version),
            ],
        ),
        KeyType::VaultKey(k) => (
            "hc_vault",
            vec![
                pair("vault_address", &k.vault_address),
                pair("engine_path", &k.engine_path),
                pair("key_name", &k.key_name),
            ],
        ),
        KeyType::HckmsKey(k) => ("hckms", vec![pair("key_id", &k.key_id)]),
    };
    entry.push(pair("enc", ""));
    Some(from_metadata(field, &entry))
}

/// How `sops keyservice --prompt` names the key of a request.
pub fn prompt_description(key: &proto::Key) -> String {
    match &key.key_type {
        Some(KeyType::PgpKey(k)) => format!("PGP key with fingerprint {}", k.fingerprint),
        Some(KeyType::KmsKey(k)) => format!("AWS KMS key with ARN {}", k.arn),
        Some(KeyType::GcpKmsKey(k)) => format!("GCP KMS key with resource ID {}", k.resource_id),
        Some(KeyType::AzureKeyvaultKey(k)) => format!(
            "Azure Key Vault key with URL {}/keys/{}/{}",
            k.vault_url, k.name, k.version
        ),
        Some(KeyType::VaultKey(k)) => format!(
            "Hashicorp Vault key with URI {}/v1/{}/keys/{}",
            k.vault_address, k.engine_path, k.key_name
        ),
        Some(KeyType::HckmsKey(k)) => format!("HuaweiCloud KMS key with ID {}", k.key_id),
        Some(KeyType::AgeKey(_)) | None => "Unknown key type".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::kms::{EncryptionContext, KmsMasterKey};
    use crate::keys::opaque::OpaqueKey;
    use crate::keys::service::{enc_of, with_enc};

    const AGE1: &str = "age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman";

    fn round_trip(key: &dyn MasterKey) -> Box<dyn MasterKey> {
        from_proto(&to_proto(key).unwrap()).unwrap().unwrap()
    }

    #[test]
    fn age_and_pgp_keys_round_trip() {
        let age = crate::keys::age::AgeMasterKey::new(AGE1).unwrap();
        let back = round_trip(&age);
        assert_eq!((back.kind(), back.describe()), ("age", AGE1.to_string()));
        let pgp = crate::keys::pgp::PgpMasterKey::new("FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4")
            .unwrap();
        let back = round_trip(&pgp);
        assert_eq!(back.kind(), "pgp");
        assert_eq!(back.describe(), pgp.fp);
    }

    #[test]
    fn kms_keys_keep_role_context_and_profile() {
        let mut context = EncryptionContext::new();
        context.insert("b".into(), "2".into());
        context.insert("a".into(), "1".into());
        let arn = "arn:aws:kms:us-east-1:123456789012:key/k";
        let kms = KmsMasterKey::new(arn, "arn:aws:iam::1:role/r", context.clone(), "prof");
        let sent = to_proto(&kms).unwrap();
        assert_eq!(to_proto(round_trip(&kms).as_ref()).unwrap(), sent);
        let Some(KeyType::KmsKey(k)) = sent.key_type else {
            panic!("not a KMS key: {sent:?}")
        };
        assert_eq!((k.arn.as_str(), k.aws_profile.as_str()), (arn, "prof"));
        assert_eq!(k.role, "arn:aws:iam::1:role/r");
        assert_eq!(
            k.context.into_iter().collect::<EncryptionContext>(),
            context
        );
        // What the server does with a Decrypt request: the key gets the request's enc.
        let received = round_trip(&kms);
        let opened = with_enc(received.as_ref(), "ZW5j", false).unwrap();
        assert_eq!(enc_of(opened.as_ref()), "ZW5j");
    }

    #[test]
    fn keys_secret_only_keeps_are_still_sent() {
        let entry = vec![
            Item::Pair("vault_address".into(), Node::str("http://v:8200")),
            Item::Pair("engine_path".into(), Node::str("transit")),
            Item::Pair("key_name".into(), Node::str("k")),
            Item::Pair("enc".into(), Node::str("vault:v1:x")),
        ];
        let key = to_proto(&OpaqueKey::new("hc_vault", entry)).unwrap();
        assert_eq!(
            prompt_description(&key),
            "Hashicorp Vault key with URI http://v:8200/v1/transit/keys/k"
        );
    }

    #[test]
    fn a_request_without_a_key_type_builds_nothing() {
        assert!(from_proto(&proto::Key { key_type: None }).is_none());
        assert_eq!(
            prompt_description(&proto::Key { key_type: None }),
            "Unknown key type"
        );
    }
}
