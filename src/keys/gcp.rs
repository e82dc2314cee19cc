//! GCP Cloud KMS master keys, as sops uses them (`gcpkms/keysource.go`).
//!
//! A key is a crypto key resource id, `projects/P/locations/L/keyRings/R/cryptoKeys/K`.
//! Wrapping is one `POST {endpoint}/v1/{id}:encrypt` with `{"name": id, "plaintext":
//! base64(key)}` (no additional authenticated data, no CRC32C, as sops); `enc` is the standard
//! padded base64 of the returned ciphertext. Unwrapping is one `…:decrypt` with `{"name": id,
//! "ciphertext": enc}`. The endpoint is `https://cloudkms.googleapis.com`, or
//! `https://cloudkms.DOMAIN` with `SOPS_GCP_KMS_UNIVERSE_DOMAIN` / `GOOGLE_CLOUD_UNIVERSE_DOMAIN`,
//! or `SOPS_GCP_KMS_ENDPOINT` (sops 3.13), which wins. Credentials: `keys/google_auth.rs`.

use std::sync::OnceLock;

use base64::prelude::{Engine as _, BASE64_STANDARD};
use regex::Regex;
use zeroize::Zeroizing;

use super::{string_entry, Entry, Keyring, MasterKey};
use crate::error::{Code, Error, Result};
use crate::tree::Map;

/// One GCP Cloud KMS master key as stored in the sops metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcpKmsMasterKey {
    pub resource_id: String,
    /// RFC 3339, UTC, whole seconds.
    pub created_at: String,
    /// Standard padded base64 of the KMS ciphertext (empty until wrapped).
    pub enc: String,
}

/// Splits `--gcp-kms` / `SOPS_GCP_KMS_IDS` as sops does: on `,`, every space removed, empty
/// items kept (so a trailing comma is an invalid, empty id).
pub fn split_ids(text: &str) -> Vec<String> {
    text.split(',').map(|s| s.replace(' ', "")).collect()
}

fn id_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$")
            .expect("valid regex")
    })
}

/// Checks a resource id's shape (`projects/P/locations/L/keyRings/R/cryptoKeys/K`).
pub fn check_resource_id(id: &str) -> Result<()> {
    if id_regex().is_match(id) {
        return Ok(());
    }
    Err(Error::new(
        Code::Generic,
        format!(
            "cannot create GCP KMS service: no valid resource ID found in {id:?} (expected \
             projects/P/locations/L/keyRings/R/cryptoKeys/K)"
        ),
    ))
}

impl GcpKmsMasterKey {
    /// A new key entry (not yet wrapped), created now.
    pub fn new(resource_id: &str) -> GcpKmsMasterKey {
        GcpKmsMasterKey {
            resource_id: resource_id.to_string(),
            created_at: crate::timefmt::now_utc(),
            enc: String::new(),
        }
    }

    /// Reads a `gcp_kms` entry of the metadata.
    pub fn from_map(entry: &Map) -> Result<GcpKmsMasterKey> {
        let entry = Entry::new(entry, "gcp_kms");
        let id = entry.required("resource_id")?;
        Ok(GcpKmsMasterKey {
            created_at: entry.created_at(&id)?,
            enc: entry.text("enc").unwrap_or_default(),
            resource_id: id,
        })
    }

    /// Checks the id's shape, as sops does when it builds its client.
    fn check_id(&self) -> Result<()> {
        check_resource_id(&self.resource_id)
    }
}

impl MasterKey for GcpKmsMasterKey {
    fn kind(&self) -> &'static str {
        "gcp_kms"
    }

    fn describe(&self) -> String {
        self.resource_id.clone()
    }

    fn wrap(&mut self, data_key: &[u8]) -> Result<()> {
        self.check_id()?;
        self.enc = BASE64_STANDARD.encode(client::encrypt(self, data_key)?);
        Ok(())
    }

    fn unwrap(&self, _keyring: &Keyring) -> Result<Zeroizing<Vec<u8>>> {
        let fail = |msg: String| Error::new(Code::CouldNotRetrieveKey, msg);
        self.check_id().map_err(|e| fail(e.message))?;
        let blob = BASE64_STANDARD
            .decode(self.enc.as_bytes())
            .map_err(|e| fail(format!("the enc field is not valid base64: {e}")))?;
        client::decrypt(self, &blob).map_err(|e| fail(e.message))
    }

    fn to_map(&self) -> Map {
        string_entry(&[
            ("resource_id", &self.resource_id),
            ("created_at", &self.created_at),
            ("enc", &self.enc),
        ])
    }

    fn clone_box(&self) -> Box<dyn MasterKey> {
        Box::new(self.clone())
    }
}

#[cfg(not(feature = "gcp"))]
mod client {
    use super::GcpKmsMasterKey;
    use crate::error::{Error, Result};
    use zeroize::Zeroizing;

    fn unsupported() -> Error {
        crate::keys::built_without("GCP", "GCP Cloud KMS keys", "gcp")
    }

    pub fn encrypt(_key: &GcpKmsMasterKey, _plaintext: &[u8]) -> Result<Vec<u8>> {
        Err(unsupported())
    }

    pub fn decrypt(_key: &GcpKmsMasterKey, _blob: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        Err(unsupported())
    }
}

#[cfg(feature = "gcp")]
mod client {
    //! Cloud KMS' REST API over `keys/http.rs`.

    use super::GcpKmsMasterKey;
    use crate::error::{Code, Error, Result};
    use crate::keys::google_auth;
    use crate::keys::http::{self, Method, Policy, Request};
    use base64::prelude::{Engine as _, BASE64_STANDARD};
    use serde_json::{json, Value};
    use zeroize::Zeroizing;

    /// The API's base URL (see the module documentation), from these variables.
    pub(super) fn endpoint(var: impl Fn(&str) -> Option<String>) -> String {
        if let Some(e) = var("SOPS_GCP_KMS_ENDPOINT") {
            let e = e.trim_end_matches('/');
            return if e.contains("://") {
                e.to_string()
            } else {
                // A gRPC-style `host:port`.
                format!("https://{}", e.trim_end_matches(":443"))
            };
        }
        let domain = var("SOPS_GCP_KMS_UNIVERSE_DOMAIN")
            .or_else(|| var("GOOGLE_CLOUD_UNIVERSE_DOMAIN"))
            .unwrap_or_else(|| "googleapis.com".into());
        format!("https://cloudkms.{domain}")
    }

    /// One call: `POST …/v1/{id}:{op}` with `field` set to base64 `data`; returns the
    /// base64-decoded `answer_field` of the answer.
    fn call(
        key: &GcpKmsMasterKey,
        op: &str,
        field: &str,
        data: &[u8],
        answer_field: &str,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let fail = |why: String| {
            Error::new(
                Code::Generic,
                // The caller names the key (`gcp_kms ID: …`).
                format!("GCP KMS {op} failed: {why}"),
            )
        };
        let policy = Policy::default();
        let token = google_auth::access_token(&policy).map_err(|e| fail(e.message))?;
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let url = format!("{}/v1/{}:{op}", endpoint(env), key.resource_id);
        let body = json!({ "name": key.resource_id, field: BASE64_STANDARD.encode(data) });
        let req = Request::new(Method::Post, url)
            .header("Authorization", format!("Bearer {}", token.as_str()))
            .header(
                "x-goog-request-params",
                format!("name={}", key.resource_id.replace('/', "%2F")),
            )
            .json(&body);
        let resp = http::send(&req, &policy).map_err(|e| fail(e.message))?;
        if !resp.is_success() {
            let message = resp
                .json()
                .ok()
                .and_then(|v| {
                    v.pointer("/error/message")
                        .and_then(Value::as_str)
                        .map(String::from)
                })
                .unwrap_or_else(|| resp.error_text());
            let hint = match resp.status {
                401 => {
                    " (the credentials were rejected: check GOOGLE_APPLICATION_CREDENTIALS, \
                        GOOGLE_CREDENTIALS or GOOGLE_OAUTH_ACCESS_TOKEN)"
                }
                403 => {
                    " (the credentials may not use this key: check its IAM policy for \
                        roles/cloudkms.cryptoKeyEncrypterDecrypter)"
                }
                404 => " (check the resource id)",
                _ => "",
            };
            return Err(fail(format!(
                "googleapi: Error {}: {message}{hint}",
                resp.status
            )));
        }
        let answer = resp.json().map_err(fail)?;
        let text = answer
            .get(answer_field)
            .and_then(Value::as_str)
            .ok_or_else(|| fail(format!("the answer has no {answer_field}")))?;
        BASE64_STANDARD
            .decode(text.as_bytes())
            .map(Zeroizing::new)
            .map_err(|e| fail(format!("the answer's {answer_field} is not base64: {e}")))
    }

    pub fn encrypt(key: &GcpKmsMasterKey, plaintext: &[u8]) -> Result<Vec<u8>> {
        call(key, "encrypt", "plaintext", plaintext, "ciphertext").map(|c| c.to_vec())
    }

    pub fn decrypt(key: &GcpKmsMasterKey, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        call(key, "decrypt", "ciphertext", blob, "plaintext")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{Item, Node};

    #[test]
    fn ids_split_like_sops() {
        assert_eq!(split_ids("a, b ,c"), ["a", "b", "c"]);
        assert_eq!(split_ids("a,"), ["a", ""]);
        let mut k = GcpKmsMasterKey::new("");
        let e = k.wrap(&[0; 32]).unwrap_err();
        assert!(
            e.message.contains(r#"no valid resource ID found in """#),
            "{}",
            e.message
        );
        let k = GcpKmsMasterKey::new(
            "projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1",
        );
        assert!(k.check_id().is_err());
        let k = GcpKmsMasterKey::new("projects/p/locations/global/keyRings/r/cryptoKeys/k");
        assert!(k.check_id().is_ok());
    }

    #[test]
    fn metadata_entry_round_trips_in_sops_order() {
        let entry: Map = vec![
            Item::Pair("enc".into(), Node::str("QUJD")),
            Item::Pair("created_at".into(), Node::str("2026-12-02T02:04:09Z")),
            Item::Pair(
                "resource_id".into(),
                Node::str("projects/p1/locations/global/keyRings/r1/cryptoKeys/k1"),
            ),
        ];
        let k = GcpKmsMasterKey::from_map(&entry).unwrap();
        let map = k.to_map();
        let names: Vec<&str> = map
            .iter()
            .filter_map(|i| match i {
                Item::Pair(k, _) => Some(k.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(names, ["resource_id", "created_at", "enc"]);
        assert_eq!(k.enc, "QUJD");
        let bad = GcpKmsMasterKey {
            enc: "not base64!".into(),
            ..k
        };
        let e = bad.unwrap(&Keyring::from_env()).unwrap_err();
        assert_eq!(e.code, Code::CouldNotRetrieveKey);
        assert!(e.message.contains("not valid base64"), "{}", e.message);
    }

    #[cfg(feature = "gcp")]
    #[test]
    fn endpoint_follows_the_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            client::endpoint(env(&[])),
            "https://cloudkms.googleapis.com"
        );
        const UNIVERSE: &[(&str, &str)] = &[("GOOGLE_CLOUD_UNIVERSE_DOMAIN", "example.com")];
        assert_eq!(
            client::endpoint(env(UNIVERSE)),
            "https://cloudkms.example.com"
        );
        const BOTH: &[(&str, &str)] = &[
            ("GOOGLE_CLOUD_UNIVERSE_DOMAIN", "example.com"),
            ("SOPS_GCP_KMS_UNIVERSE_DOMAIN", "other.dev"),
        ];
        assert_eq!(client::endpoint(env(BOTH)), "https://cloudkms.other.dev");
        const GRPC: &[(&str, &str)] = &[
            ("SOPS_GCP_KMS_UNIVERSE_DOMAIN", "other.dev"),
            ("SOPS_GCP_KMS_ENDPOINT", "kms.internal:443"),
        ];
        assert_eq!(client::endpoint(env(GRPC)), "https://kms.internal");
        const URL: &[(&str, &str)] = &[("SOPS_GCP_KMS_ENDPOINT", "http://127.0.0.1:9/")];
        assert_eq!(client::endpoint(env(URL)), "http://127.0.0.1:9");
    }
}
