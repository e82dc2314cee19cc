//! The messages of sops' `keyservice/keyservice.proto`, written out as the derive would
//! generate them (no protoc, no build script). The proto file declares no package, so the
//! service is plain `KeyService`.

use std::collections::HashMap;

/// The gRPC service name.
pub const SERVICE: &str = "KeyService";
/// Path of the Encrypt method.
pub const ENCRYPT_PATH: &str = "/KeyService/Encrypt";
/// Path of the Decrypt method.
pub const DECRYPT_PATH: &str = "/KeyService/Decrypt";

/// A master key as the request names it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Key {
    #[prost(oneof = "KeyType", tags = "1, 2, 3, 4, 5, 6, 7")]
    pub key_type: Option<KeyType>,
}

/// The oneof `key_type` of [`Key`].
// The variants are named after the proto's message types, as prost would generate them.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum KeyType {
    #[prost(message, tag = "1")]
    KmsKey(KmsKey),
    #[prost(message, tag = "2")]
    PgpKey(PgpKey),
    #[prost(message, tag = "3")]
    GcpKmsKey(GcpKmsKey),
    #[prost(message, tag = "4")]
    AzureKeyvaultKey(AzureKeyVaultKey),
    #[prost(message, tag = "5")]
    VaultKey(VaultKey),
    #[prost(message, tag = "6")]
    AgeKey(AgeKey),
    #[prost(message, tag = "7")]
    HckmsKey(HckmsKey),
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PgpKey {
    #[prost(string, tag = "1")]
    pub fingerprint: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct KmsKey {
    #[prost(string, tag = "1")]
    pub arn: String,
    #[prost(string, tag = "2")]
    pub role: String,
    #[prost(map = "string, string", tag = "3")]
    pub context: HashMap<String, String>,
    #[prost(string, tag = "4")]
    pub aws_profile: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GcpKmsKey {
    #[prost(string, tag = "1")]
    pub resource_id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct VaultKey {
    #[prost(string, tag = "1")]
    pub vault_address: String,
    #[prost(string, tag = "2")]
    pub engine_path: String,
    #[prost(string, tag = "3")]
    pub key_name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AzureKeyVaultKey {
    #[prost(string, tag = "1")]
    pub vault_url: String,
    #[prost(string, tag = "2")]
    pub name: String,
    #[prost(string, tag = "3")]
    pub version: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AgeKey {
    #[prost(string, tag = "1")]
    pub recipient: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HckmsKey {
    #[prost(string, tag = "1")]
    pub key_id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct EncryptRequest {
    #[prost(message, optional, tag = "1")]
    pub key: Option<Key>,
    #[prost(bytes = "vec", tag = "2")]
    pub plaintext: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct EncryptResponse {
    /// The key's `enc` text.
    #[prost(bytes = "vec", tag = "1")]
    pub ciphertext: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct DecryptRequest {
    #[prost(message, optional, tag = "1")]
    pub key: Option<Key>,
    /// The key's `enc` text.
    #[prost(bytes = "vec", tag = "2")]
    pub ciphertext: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct DecryptResponse {
    #[prost(bytes = "vec", tag = "1")]
    pub plaintext: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn field_numbers_match_the_proto() {
        // EncryptRequest{key{age_key{recipient:"r"}}, plaintext:"p"}: field 1 (len 5) holds
        // field 6 (len 3) holding field 1 "r"; then field 2 "p".
        let req = EncryptRequest {
            key: Some(Key {
                key_type: Some(KeyType::AgeKey(AgeKey {
                    recipient: "r".into(),
                })),
            }),
            plaintext: b"p".to_vec(),
        };
        assert_eq!(
            req.encode_to_vec(),
            [0x0a, 5, 0x32, 3, 0x0a, 1, b'r', 0x12, 1, b'p']
        );
    }

    #[test]
    fn an_unknown_key_type_decodes_as_no_key() {
        // Key with field 9 (a future key type): skipped, so the oneof is empty.
        let key = Key::decode(&[0x4a, 0][..]).unwrap();
        assert_eq!(key.key_type, None);
    }
}
