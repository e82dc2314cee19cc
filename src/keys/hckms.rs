//! HuaweiCloud KMS master keys, as sops uses them (`hckms/keysource.go`, sops ≥ 3.12).
//!
//! A key is named `REGION:KEY-UUID`. Wrapping is one `encrypt-data` call (the data key or
//! Shamir share as standard base64 text, `SYMMETRIC_DEFAULT`); the `cipher_text` answered is
//! stored verbatim as `enc`. Unwrapping is one `decrypt-data` call. Requests go to
//! `https://kms.REGION.myhuaweicloud.com` (or the endpoint in
//! `HUAWEICLOUD_SDK_REGION_KMS_<REGION>`), signed with `SDK-HMAC-SHA256` ([`sign`]) under the
//! AK/SK of [`Credentials`].

#[cfg(feature = "hckms")]
mod iam;
#[cfg(feature = "hckms")]
mod metadata;
#[cfg(feature = "hckms")]
pub mod sign;

use base64::prelude::{Engine as _, BASE64_STANDARD};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

use super::{Keyring, MasterKey};
use crate::error::{Code, Error, Result};
use crate::tree::{Item, Map, Node, Scalar};

/// The regions HuaweiCloud's SDK knows for KMS (SDK v0.1.187, as sops builds it).
pub const REGIONS: [&str; 32] = [
    "ae-ad-1",
    "af-north-1",
    "af-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "cn-east-2",
    "cn-east-3",
    "cn-east-4",
    "cn-east-5",
    "cn-north-1",
    "cn-north-2",
    "cn-north-4",
    "cn-north-9",
    "cn-north-11",
    "cn-north-12",
    "cn-south-1",
    "cn-south-2",
    "cn-south-4",
    "cn-southwest-2",
    "cn-southwest-3",
    "eu-west-101",
    "la-north-2",
    "la-south-2",
    "me-east-1",
    "my-kualalumpur-1",
    "na-mexico-1",
    "ru-moscow-1",
    "sa-brazil-1",
    "tr-west-1",
];

/// A key id split into its region and key UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyId {
    pub region: String,
    pub uuid: String,
}

impl KeyId {
    /// Parses `REGION:KEY-UUID`, split at the first `:`, both halves trimmed and non-empty.
    pub fn parse(id: &str) -> Result<KeyId> {
        let bad = |msg: String| Error::new(Code::Generic, format!("HuaweiCloud KMS key: {msg}"));
        let (region, uuid) = id.split_once(':').ok_or_else(|| {
            bad(format!(
                "invalid key ID format: expected 'region:key-uuid', got {id:?}"
            ))
        })?;
        let (region, uuid) = (region.trim(), uuid.trim());
        if region.is_empty() {
            return Err(bad(format!("region cannot be empty in key ID: {id:?}")));
        }
        if uuid.is_empty() {
            return Err(bad(format!("key UUID cannot be empty in key ID: {id:?}")));
        }
        Ok(KeyId {
            region: region.to_string(),
            uuid: uuid.to_string(),
        })
    }

    /// The KMS endpoint of the region, looked up as the SDK does: the
    /// `HUAWEICLOUD_SDK_REGION_KMS_<REGION>` override (its first comma item), else the
    /// regions file ([`endpoint_in_regions_file`]), else the public endpoint of a region the
    /// SDK knows; any other region is an error.
    pub fn endpoint(&self) -> Result<String> {
        let var = format!(
            "HUAWEICLOUD_SDK_REGION_KMS_{}",
            self.region.to_uppercase().replace('-', "_")
        );
        if let Some(first) = std::env::var(&var).ok().and_then(|v| {
            v.split(',')
                .map(str::trim)
                .find(|s| !s.is_empty())
                .map(String::from)
        }) {
            return Ok(first.trim_end_matches('/').to_string());
        }
        if let Some(file) = regions_file() {
            if let Some(endpoint) = endpoint_in_regions_file(&file, &self.region)? {
                return Ok(endpoint.trim_end_matches('/').to_string());
            }
        }
        if !REGIONS.contains(&self.region.as_str()) {
            return Err(Error::new(
                Code::Generic,
                format!(
                    "HuaweiCloud KMS key {}:{}: unknown region {:?} (known: {}; or set {var}, or \
                     name it in {REGIONS_FILE})",
                    self.region,
                    self.uuid,
                    self.region,
                    REGIONS.join(", ")
                ),
            ));
        }
        let domain = if self.region == "eu-west-101" {
            "myhuaweicloud.eu"
        } else {
            "myhuaweicloud.com"
        };
        Ok(format!("https://kms.{}.{domain}", self.region))
    }
}

/// The variable naming HuaweiCloud's regions file, as in the SDK.
const REGIONS_FILE: &str = "HUAWEICLOUD_SDK_REGIONS_FILE";

/// HuaweiCloud's regions file: `HUAWEICLOUD_SDK_REGIONS_FILE`, else
/// `~/.huaweicloud/regions.yaml`.
fn regions_file() -> Option<PathBuf> {
    match std::env::var_os(REGIONS_FILE).filter(|v| !v.is_empty()) {
        Some(file) => Some(PathBuf::from(file)),
        None => {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".huaweicloud/regions.yaml"))
        }
    }
}

/// The KMS endpoint HuaweiCloud's regions file `file` gives `region`, as the SDK reads the
/// file: a map from service names to lists of `{id, endpoint, endpoints}`; the service is
/// `KMS` in any case, the endpoint an entry's `endpoint`, else the first of its `endpoints`
/// (the SDK tries the others when that one cannot be reached; `secret` uses the first), and
/// of two entries for one region the later one. `None` when the file does not exist or
/// does not name the region. A file the SDK would fail to read (it panics) is an error
/// naming the file and the place in it.
fn endpoint_in_regions_file(file: &Path, region: &str) -> Result<Option<String>> {
    if !file.exists() {
        return Ok(None);
    }
    let bad = |msg: String| {
        Error::new(
            Code::Generic,
            format!("HuaweiCloud regions file {}: {msg}", file.display()),
        )
    };
    let bytes = std::fs::read(file).map_err(|e| bad(format!("cannot read: {e}")))?;
    let services = crate::format::yaml_settings(&bytes).map_err(|e| bad(e.to_string()))?;
    let mut found = None;
    for item in &services {
        let Item::Pair(service, regions) = item else {
            continue;
        };
        let regions = match regions {
            Node::List(regions) => regions,
            Node::Scalar(Scalar::Null) => continue,
            _ => return Err(bad(format!("{service}: expected a list of regions"))),
        };
        let regions = regions.iter().filter(|n| !matches!(n, Node::Comment(_)));
        for (index, entry) in regions.enumerate() {
            let at = format!("{service}[{index}]");
            let Node::Map(entry) = entry else {
                return Err(bad(format!(
                    "{at}: expected a map (id, endpoint, endpoints)"
                )));
            };
            let text = |field: &str| match crate::tree::get(entry, field) {
                None | Some(Node::Scalar(Scalar::Null)) => Ok(String::new()),
                Some(node) => node
                    .scalar_text()
                    .ok_or_else(|| bad(format!("{at}.{field}: expected a string"))),
            };
            let (id, endpoint) = (text("id")?, text("endpoint")?);
            let endpoints = match crate::tree::get(entry, "endpoints") {
                None | Some(Node::Scalar(Scalar::Null)) => Vec::new(),
                Some(Node::List(items)) => items
                    .iter()
                    .filter(|n| !matches!(n, Node::Comment(_)))
                    .map(|n| {
                        n.scalar_text()
                            .ok_or_else(|| bad(format!("{at}.endpoints: expected strings")))
                    })
                    .collect::<Result<Vec<_>>>()?,
                Some(_) => return Err(bad(format!("{at}.endpoints: expected a list"))),
            };
            if !service.eq_ignore_ascii_case("KMS") || id != region {
                continue;
            }
            let first = std::iter::once(endpoint)
                .chain(endpoints)
                .find(|e| !e.is_empty());
            if first.is_some() {
                found = first;
            }
        }
    }
    Ok(found)
}

/// Parses a comma-separated list of key ids (`--hckms`): items trimmed, empty ones skipped.
pub fn parse_list(ids: &str) -> Result<Vec<String>> {
    ids.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| KeyId::parse(s).map(|_| s.to_string()))
        .collect()
}

/// AK/SK credentials: the environment first, then the credentials file, then the ECS
/// instance's metadata service (the SDK's order).
#[derive(Clone)]
#[cfg_attr(not(feature = "hckms"), allow(dead_code))] // read by the unit tests
pub struct Credentials {
    pub ak: String,
    pub sk: Zeroizing<String>,
    pub project_id: String,
    pub security_token: Zeroizing<String>,
}

impl std::fmt::Debug for Credentials {
    /// Never prints the secret key or the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("ak", &self.ak)
            .field("project_id", &self.project_id)
            .finish_non_exhaustive()
    }
}

#[cfg_attr(not(feature = "hckms"), allow(dead_code))]
impl Credentials {
    /// `HUAWEICLOUD_SDK_AK`/`_SK` [+ `_PROJECT_ID`, `_SECURITY_TOKEN`], else the `[basic]`
    /// section of `HUAWEICLOUD_SDK_CREDENTIALS_FILE` (default `~/.huaweicloud/credentials`),
    /// else what `metadata` gets (an ECS instance's temporary credentials). The project id
    /// may be empty: the caller looks it up (`iam::project_id`).
    pub fn load(metadata: impl FnOnce() -> Result<Credentials>) -> Result<Credentials> {
        let env = |n: &str| std::env::var(n).unwrap_or_default();
        let from_env = Credentials {
            ak: env("HUAWEICLOUD_SDK_AK"),
            sk: Zeroizing::new(env("HUAWEICLOUD_SDK_SK")),
            project_id: env("HUAWEICLOUD_SDK_PROJECT_ID"),
            security_token: Zeroizing::new(env("HUAWEICLOUD_SDK_SECURITY_TOKEN")),
        };
        let file = std::env::var_os("HUAWEICLOUD_SDK_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".huaweicloud/credentials"))
            });
        let creds = if !from_env.ak.is_empty() && !from_env.sk.is_empty() {
            from_env
        } else if let Some(file) = file.filter(|f| f.is_file()) {
            let text = std::fs::read_to_string(&file).map_err(|e| {
                Error::new(
                    Code::Generic,
                    format!(
                        "cannot read HuaweiCloud credentials {}: {e}",
                        file.display()
                    ),
                )
            })?;
            let c = Credentials::from_profile(&text);
            if c.ak.is_empty() || c.sk.is_empty() {
                return Err(Error::new(
                    Code::Generic,
                    format!(
                        "HuaweiCloud credentials {}: the [basic] section needs ak and sk",
                        file.display()
                    ),
                ));
            }
            // The project id may come from the environment even with file credentials.
            Credentials {
                project_id: if c.project_id.is_empty() {
                    from_env.project_id
                } else {
                    c.project_id
                },
                ..c
            }
        } else {
            let c = metadata().map_err(|e| {
                Error::new(
                    Code::Generic,
                    format!(
                        "no HuaweiCloud credentials: set HUAWEICLOUD_SDK_AK and \
                         HUAWEICLOUD_SDK_SK, or write ak and sk in the [basic] section of \
                         ~/.huaweicloud/credentials (or the file named by \
                         HUAWEICLOUD_SDK_CREDENTIALS_FILE), or run on an ECS instance with an \
                         agency ({})",
                        e.message
                    ),
                )
            })?;
            Credentials {
                project_id: from_env.project_id,
                ..c
            }
        };
        Ok(creds)
    }

    /// The `[basic]` section of a credentials profile (`key = value` lines).
    fn from_profile(text: &str) -> Credentials {
        let mut section = String::new();
        let mut c = Credentials {
            ak: String::new(),
            sk: Zeroizing::new(String::new()),
            project_id: String::new(),
            security_token: Zeroizing::new(String::new()),
        };
        for line in text.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.trim().to_lowercase();
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            if section != "basic" {
                continue;
            }
            let v = v.trim().to_string();
            match k.trim() {
                "ak" => c.ak = v,
                "sk" => c.sk = Zeroizing::new(v),
                "project_id" => c.project_id = v,
                "security_token" => c.security_token = Zeroizing::new(v),
                _ => {}
            }
        }
        c
    }
}

/// One HuaweiCloud KMS master key as stored in the sops metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HckmsMasterKey {
    /// `REGION:KEY-UUID`, as written.
    pub key_id: String,
    /// When the key entry was created: RFC 3339, UTC, whole seconds.
    pub created_at: String,
    /// The KMS `cipher_text`, verbatim (empty until wrapped).
    pub enc: String,
}

impl HckmsMasterKey {
    /// A new key entry (not yet wrapped), created now; the id must parse and its region
    /// have an endpoint (so a typo fails before any service is called).
    pub fn new(key_id: &str) -> Result<HckmsMasterKey> {
        KeyId::parse(key_id)?.endpoint()?;
        Ok(HckmsMasterKey {
            key_id: key_id.to_string(),
            created_at: crate::timefmt::now_utc(),
            enc: String::new(),
        })
    }

    /// Reads an `hckms` entry of the metadata.
    pub fn from_map(entry: &Map) -> Result<HckmsMasterKey> {
        let fields = super::Entry::new(entry, "hckms");
        let key_id = fields.required("key_id")?;
        Ok(HckmsMasterKey {
            created_at: fields.created_at(&key_id)?,
            enc: fields.text("enc").unwrap_or_default(),
            key_id,
        })
    }
}

impl MasterKey for HckmsMasterKey {
    fn kind(&self) -> &'static str {
        "hckms"
    }

    fn describe(&self) -> String {
        self.key_id.clone()
    }

    fn wrap(&mut self, data_key: &[u8]) -> Result<()> {
        let id = KeyId::parse(&self.key_id)?;
        let plain = Zeroizing::new(BASE64_STANDARD.encode(data_key));
        self.enc = client::encrypt(&id, &plain)?;
        Ok(())
    }

    fn unwrap(&self, _keyring: &Keyring) -> Result<Zeroizing<Vec<u8>>> {
        let fail = |e: Error| Error::new(Code::CouldNotRetrieveKey, e.message);
        let id = KeyId::parse(&self.key_id).map_err(fail)?;
        let plain = client::decrypt(&id, &self.enc).map_err(fail)?;
        BASE64_STANDARD
            .decode(plain.as_bytes())
            .map(Zeroizing::new)
            .map_err(|e| {
                Error::new(
                    Code::CouldNotRetrieveKey,
                    format!("the key HuaweiCloud KMS decrypted is not base64: {e}"),
                )
            })
    }

    fn to_map(&self) -> Map {
        super::string_entry(&[
            ("key_id", &self.key_id),
            ("created_at", &self.created_at),
            ("enc", &self.enc),
        ])
    }

    fn clone_box(&self) -> Box<dyn MasterKey> {
        Box::new(self.clone())
    }
}

#[cfg(not(feature = "hckms"))]
mod client {
    use super::KeyId;
    use crate::error::{Code, Error, Result};
    use zeroize::Zeroizing;

    fn unsupported() -> Error {
        Error::new(
            Code::Generic,
            "this secret was built without HuaweiCloud support (cargo feature `hckms`)",
        )
    }

    pub fn encrypt(_id: &KeyId, _plain_b64: &str) -> Result<String> {
        Err(unsupported())
    }

    pub fn decrypt(_id: &KeyId, _cipher: &str) -> Result<Zeroizing<String>> {
        Err(unsupported())
    }
}

#[cfg(feature = "hckms")]
mod client {
    //! The two KMS calls, signed, through the shared REST client.

    use super::sign::{self, SignInput};
    use super::{Credentials, KeyId};
    use crate::error::{Code, Error, Result};
    use crate::keys::http::{self, Method, Policy, Request, Response};
    use serde_json::Value;
    use zeroize::Zeroizing;

    /// The `User-Agent` sent (and signed).
    pub(super) const USER_AGENT: &str = concat!("secret/", env!("CARGO_PKG_VERSION"));

    /// A JSON string literal.
    fn lit(s: &str) -> String {
        Value::String(s.to_string()).to_string()
    }

    /// HuaweiCloud's error body: `{"error_code","error_msg"}`, possibly under `"error"`.
    pub(super) fn service_message(resp: &Response) -> String {
        let detail = resp.json().ok().and_then(|v| {
            let e = v.get("error").filter(|e| e.is_object()).unwrap_or(&v);
            let code = e.get("error_code")?.as_str()?.to_string();
            let msg = e.get("error_msg").and_then(Value::as_str).unwrap_or("");
            Some(format!("{code}: {msg}"))
        });
        format!(
            "HTTP {}: {}",
            resp.status,
            detail.unwrap_or_else(|| resp.error_text())
        )
    }

    /// The KMS request signed with AK/SK credentials (environment, credentials file or
    /// metadata service), the project id looked up through IAM when they name none.
    fn signed_request(id: &KeyId, endpoint: &str, action: &str, body: &str) -> Result<Request> {
        let mut creds = Credentials::load(super::metadata::credentials)?;
        if creds.project_id.is_empty() {
            creds.project_id = super::iam::project_id(&creds, &id.region)?;
        }
        let path = format!("/v1.0/{}/kms/{action}", creds.project_id);
        let req = signed(
            &creds,
            Method::Post,
            endpoint,
            &path,
            "",
            &[("X-Project-Id", &creds.project_id)],
            body.as_bytes(),
        );
        Ok(req.header("Content-Type", "application/json;charset=UTF-8"))
    }

    /// A request for `base` + `path` (+ `?query`) with `body`, signed with `creds`: its
    /// `User-Agent`, `X-Sdk-Date`, security token (when there is one) and `extra` headers
    /// are all signed.
    pub(super) fn signed(
        creds: &Credentials,
        method: Method,
        base: &str,
        path: &str,
        query: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> Request {
        let date = sign::sdk_date(&crate::timefmt::now_utc());
        let mut headers = vec![
            ("User-Agent".to_string(), USER_AGENT.to_string()),
            ("X-Sdk-Date".to_string(), date.clone()),
        ];
        headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        if !creds.security_token.is_empty() {
            headers.push((
                "X-Security-Token".to_string(),
                creds.security_token.to_string(),
            ));
        }
        let input = SignInput {
            method: method.as_str(),
            path,
            query,
            headers: &headers,
            body,
            date: &date,
        };
        let auth = sign::authorization(&input, &creds.ak, &creds.sk);
        let url = match query {
            "" => format!("{base}{path}"),
            query => format!("{base}{path}?{query}"),
        };
        let mut req = Request::new(method, url)
            .header("Authorization", auth)
            .body(body);
        for (name, value) in headers {
            req = req.header(&name, value);
        }
        req
    }

    /// A federated identity (`HUAWEICLOUD_SDK_IDP_ID` and `HUAWEICLOUD_SDK_ID_TOKEN_FILE`,
    /// which come before AK/SK in the SDK): its IAM token for the project, which
    /// `HUAWEICLOUD_SDK_PROJECT_ID` must name.
    fn federated() -> Result<Option<(String, Zeroizing<String>)>> {
        let env = |n: &str| std::env::var(n).unwrap_or_default();
        let (idp, file) = (
            env("HUAWEICLOUD_SDK_IDP_ID"),
            env("HUAWEICLOUD_SDK_ID_TOKEN_FILE"),
        );
        if idp.is_empty() || file.is_empty() {
            return Ok(None);
        }
        let project = env("HUAWEICLOUD_SDK_PROJECT_ID");
        if project.is_empty() {
            return Err(Error::new(
                Code::Generic,
                "HUAWEICLOUD_SDK_IDP_ID and HUAWEICLOUD_SDK_ID_TOKEN_FILE need \
                 HUAWEICLOUD_SDK_PROJECT_ID",
            ));
        }
        let token = super::iam::token_for_id_token(&idp, &file, &project)?;
        Ok(Some((project, token)))
    }

    /// POSTs `body` to `/v1.0/{project}/kms/{action}`, signed (or with a federated
    /// identity's token); returns the JSON answer.
    fn call(id: &KeyId, action: &str, body: String) -> Result<Value> {
        let endpoint = id.endpoint()?;
        let req = match federated()? {
            Some((project, token)) => Request::new(
                Method::Post,
                format!("{endpoint}/v1.0/{project}/kms/{action}"),
            )
            .header("Content-Type", "application/json;charset=UTF-8")
            .header("User-Agent", USER_AGENT)
            .header("X-Project-Id", project)
            .header("X-Auth-Token", token.as_str())
            .body(body.into_bytes()),
            None => signed_request(id, &endpoint, action, &body)?,
        };
        let resp = http::send(&req, &Policy::default())?;
        if !resp.is_success() {
            return Err(Error::new(Code::Generic, service_message(&resp)));
        }
        resp.json().map_err(|e| Error::new(Code::Generic, e))
    }

    /// `encrypt-data`: the standard base64 of the key in, `cipher_text` out.
    pub fn encrypt(id: &KeyId, plain_b64: &str) -> Result<String> {
        // Field order as the SDK writes it.
        let body = format!(
            "{{\"key_id\":{},\"plain_text\":{},\"encryption_algorithm\":\"SYMMETRIC_DEFAULT\"}}",
            lit(&id.uuid),
            lit(plain_b64)
        );
        let answer = call(id, "encrypt-data", body)
            .map_err(|e| e.context("failed to encrypt sops data key"))?;
        answer
            .get("cipher_text")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .ok_or_else(|| Error::new(Code::Generic, "encryption response missing cipher_text"))
    }

    /// `decrypt-data`: `enc` in, the standard base64 of the key out.
    pub fn decrypt(id: &KeyId, cipher: &str) -> Result<Zeroizing<String>> {
        let body = format!(
            "{{\"cipher_text\":{},\"encryption_algorithm\":\"SYMMETRIC_DEFAULT\",\"key_id\":{}}}",
            lit(cipher),
            lit(&id.uuid)
        );
        let answer = call(id, "decrypt-data", body)
            .map_err(|e| e.context("failed to decrypt sops data key"))?;
        answer
            .get("plain_text")
            .and_then(Value::as_str)
            .map(|p| Zeroizing::new(p.to_string()))
            .ok_or_else(|| Error::new(Code::Generic, "decryption response missing plaintext"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_split_at_the_first_colon() {
        let k = KeyId::parse(" r : a:b ").unwrap();
        assert_eq!((k.region.as_str(), k.uuid.as_str()), ("r", "a:b"));
        for (bad, why) in [
            ("nocolon", "invalid key ID format"),
            (" :u", "region cannot be empty"),
            ("cn-north-4: ", "key UUID cannot be empty"),
        ] {
            let e = KeyId::parse(bad).unwrap_err();
            assert!(e.message.contains(why), "{bad}: {}", e.message);
        }
        assert_eq!(
            parse_list(" cn-north-4:a, ,eu-west-101:b,").unwrap(),
            ["cn-north-4:a", "eu-west-101:b"]
        );
        assert!(parse_list("cn-north-4:a,bad").is_err());
    }

    #[test]
    fn regions_files_are_read_as_the_sdk_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("regions.yaml");
        let lookup = |text: &str, region: &str| {
            std::fs::write(&file, text).unwrap();
            endpoint_in_regions_file(&file, region)
        };
        assert_eq!(
            endpoint_in_regions_file(&file, "x-1").unwrap(),
            None,
            "no file"
        );
        let text = "\
ECS:
  - id: x-1
    endpoint: https://ecs.example
kms:  # any case
  - id: x-1
    endpoint: https://first.example
  - id: x-2
    endpoints: ['', https://b.example, https://c.example]
  - id: x-3
  - id: x-1
    endpoint: https://later.example
";
        assert_eq!(
            lookup(text, "x-1").unwrap().as_deref(),
            Some("https://later.example")
        );
        assert_eq!(
            lookup(text, "x-2").unwrap().as_deref(),
            Some("https://b.example")
        );
        assert_eq!(lookup(text, "x-3").unwrap(), None, "no endpoint");
        assert_eq!(lookup(text, "x-4").unwrap(), None);
        assert_eq!(lookup("", "x-1").unwrap(), None, "empty file");
        for (bad, why) in [
            ("KMS: x-1\n", "KMS: expected a list of regions"),
            ("KMS:\n  - x-1\n", "KMS[0]: expected a map"),
            ("KMS:\n  - id: [x]\n", "KMS[0].id: expected a string"),
            (
                "KMS:\n  - id: x-1\n    endpoints: e\n",
                "KMS[0].endpoints: expected a list",
            ),
            ("ECS: {a: b}\n", "ECS: expected a list"),
            ("KMS: [\n", "regions.yaml"),
        ] {
            let e = lookup(bad, "x-1").unwrap_err();
            assert!(e.message.contains(why), "{bad:?}: {}", e.message);
            assert!(
                e.message.contains(&file.display().to_string()),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn endpoints_follow_the_region() {
        let id = |s: &str| KeyId::parse(s).unwrap();
        assert_eq!(
            id("cn-north-4:u").endpoint().unwrap(),
            "https://kms.cn-north-4.myhuaweicloud.com"
        );
        assert_eq!(
            id("eu-west-101:u").endpoint().unwrap(),
            "https://kms.eu-west-101.myhuaweicloud.eu"
        );
        let e = id("xx-nowhere-1:u").endpoint().unwrap_err();
        assert!(e.message.contains("unknown region"), "{}", e.message);
        assert!(e
            .message
            .contains("HUAWEICLOUD_SDK_REGION_KMS_XX_NOWHERE_1"));
    }

    #[test]
    fn profile_reads_the_basic_section() {
        let c = Credentials::from_profile(
            "[global]\nak = G\n\n[basic]\nak = AK1\nsk= SK1 \nproject_id=p1\n[other]\nsk = X\n",
        );
        assert_eq!(
            (c.ak.as_str(), c.sk.as_str(), c.project_id.as_str()),
            ("AK1", "SK1", "p1")
        );
        assert!(c.security_token.is_empty());
        let shown = format!("{c:?}");
        assert!(!shown.contains("SK1"), "{shown}");
    }

    #[test]
    fn metadata_entry_round_trips_in_sops_order() {
        let entry: Map = vec![
            Item::Pair("enc".into(), Node::str("CIPHER")),
            Item::Pair("created_at".into(), Node::str("2026-12-02T02:04:09Z")),
            Item::Pair(
                "key_id".into(),
                Node::str("eu-west-101:0d0466b0-e727-4d9c-b35d-f84bb474a37f"),
            ),
        ];
        let k = HckmsMasterKey::from_map(&entry).unwrap();
        let map = k.to_map();
        assert_eq!(
            crate::keys::field_names(&map),
            ["key_id", "created_at", "enc"]
        );
        assert_eq!(HckmsMasterKey::from_map(&map).unwrap(), k);
        assert!(HckmsMasterKey::new("no-colon").is_err());
    }
}
