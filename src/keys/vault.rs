//! HashiCorp Vault transit master keys, as sops uses them (`hcvault/keysource.go`).
//!
//! A key is a transit key URI, `https://vault.example.com:8200/v1/ENGINE/keys/NAME`, stored as
//! `vault_address`, `engine_path` and `key_name`. Wrapping is one `PUT
//! {address}/v1/{engine}/encrypt/{name}` with `{"plaintext": base64(key)}`; the answer's
//! `data.ciphertext` (`vault:v1:…`) becomes `enc` verbatim. Unwrapping is one `PUT
//! …/decrypt/{name}` with `{"ciphertext": enc}`, answered by `data.plaintext` (base64).
//!
//! The environment is the Vault client's: token from `VAULT_TOKEN`, else `~/.vault-token`
//! (without one the request goes out without a token, and Vault answers 403);
//! `VAULT_NAMESPACE`, `VAULT_CACERT`, `VAULT_CAPATH`, `VAULT_CLIENT_CERT` + `VAULT_CLIENT_KEY`,
//! `VAULT_TLS_SERVER_NAME`, `VAULT_SKIP_VERIFY`, `VAULT_AGENT_ADDR` (which replaces every
//! key's address), `VAULT_MAX_RETRIES`, `VAULT_CLIENT_TIMEOUT`; and sops 3.13's
//! `SOPS_HC_VAULT_ALLOWLIST`. `VAULT_ADDR` is ignored: the address is the key's.

use zeroize::Zeroizing;

use super::{string_entry, Entry, Keyring, MasterKey};
use crate::error::{Code, Error, Result};
use crate::tree::Map;

/// Environment variable limiting which Vault addresses may be used (sops 3.13).
#[cfg_attr(not(feature = "vault"), allow(dead_code))]
pub const SOPS_HC_VAULT_ALLOWLIST: &str = "SOPS_HC_VAULT_ALLOWLIST";

/// One Vault transit master key as stored in the sops metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultMasterKey {
    /// `scheme://host[:port]`, as the URI gave it.
    pub vault_address: String,
    /// The transit mount, possibly nested (`team/a/transit`).
    pub engine_path: String,
    pub key_name: String,
    /// RFC 3339, UTC, whole seconds.
    pub created_at: String,
    /// The `vault:vN:…` ciphertext (empty until wrapped).
    pub enc: String,
}

/// Splits `--hc-vault-transit` / `SOPS_VAULT_URIS` as sops does: on `,`, empty items
/// skipped, items not trimmed (so `a, b` fails on ` b`).
pub fn split_uris(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn bad_uri(msg: impl Into<String>) -> Error {
    Error::new(Code::Generic, msg)
}

/// Splits a URI as Go's `url.Parse` does, for the parts sops uses: lower-cased scheme,
/// authority, path, and the query and fragment (each with its `?`/`#`).
fn split_url(uri: &str) -> Result<(String, &str, &str, &str, &str)> {
    let (rest, fragment) = match uri.find('#') {
        Some(i) => (&uri[..i], &uri[i..]),
        None => (uri, ""),
    };
    let scheme_end = rest.find(':').filter(|&i| {
        let s = &rest[..i];
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    let Some(scheme_end) = scheme_end else {
        let first_segment = rest.split(['/', '?']).next().unwrap_or("");
        if first_segment.contains(':') {
            return Err(bad_uri(format!(
                "invalid Vault URL {uri:?}: first path segment in URL cannot contain colon"
            )));
        }
        return Err(bad_uri(format!(
            "missing scheme in Vault URL (should be like this: \
             https://vault.example.com:8200/v1/transit/keys/keyName), got: {uri}"
        )));
    };
    let scheme = rest[..scheme_end].to_ascii_lowercase();
    let rest = &rest[scheme_end + 1..];
    let (rest, query) = match rest.find('?') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (authority, path) = match rest.strip_prefix("//") {
        Some(r) => match r.find('/') {
            Some(i) => (&r[..i], &r[i..]),
            None => (r, ""),
        },
        None => ("", rest),
    };
    Ok((scheme, authority, path, query, fragment))
}

/// Go's `path.Join`: non-empty elements joined with `/`, then `.` and `..` resolved.
fn join_clean<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in parts.into_iter().flat_map(|p| p.split('/')) {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|s| *s != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

/// The engine path and key name in a request URI (path plus query), as sops finds them.
fn engine_and_key(request_uri: &str) -> Result<(String, String)> {
    let segments: Vec<&str> = request_uri.split('/').collect();
    let is_version =
        |s: &str| s.len() > 1 && s.starts_with('v') && s[1..].chars().all(|c| c.is_ascii_digit());
    // `/vN/` followed by three non-empty segments, anywhere (sops' unanchored regex); a
    // non-empty segment right before it means Vault behind a path prefix.
    let mut formatted = false;
    for i in 1..segments.len() {
        if is_version(segments[i])
            && segments.len() > i + 3
            && segments[i + 1..=i + 3].iter().all(|s| !s.is_empty())
        {
            if !segments[i - 1].is_empty() {
                return Err(bad_uri(
                    "running Vault with a prefixed URL is not supported! (Format has to be \
                     like https://vault.example.com:8200/v1/transit/keys/keyName)",
                ));
            }
            formatted = true;
        }
    }
    if !formatted {
        return Err(bad_uri(
            "Vault path does not seem to be formatted correctly: \
             (eg. https://vault.example.com:8200/v1/transit/keys/keyName)",
        ));
    }
    // Every leading and trailing `/` goes: sops 3.11 takes `//v1/…` and `…/k1///` as
    // `/v1/…/k1` (it reads `…/k1//` differently, a quirk not copied).
    let trimmed = request_uri.trim_matches('/');
    let dirs: Vec<&str> = trimmed.split('/').collect();
    let key = dirs[dirs.len() - 1].to_string();
    let engine = join_clean(dirs[1..dirs.len() - 2].iter().copied());
    Ok((engine, key))
}

impl VaultMasterKey {
    /// A new key entry (not yet wrapped), created now.
    pub fn new(vault_address: &str, engine_path: &str, key_name: &str) -> VaultMasterKey {
        VaultMasterKey {
            vault_address: vault_address.to_string(),
            engine_path: engine_path.to_string(),
            key_name: key_name.to_string(),
            created_at: crate::timefmt::now_utc(),
            enc: String::new(),
        }
    }

    /// Parses a transit key URI as sops does (see KEY-SERVICES §1.1 for the quirks kept).
    pub fn from_uri(uri: &str) -> Result<VaultMasterKey> {
        let (scheme, authority, path, query, fragment) = split_url(uri)?;
        let request_uri = format!("{}{query}", if path.is_empty() { "/" } else { path });
        let (engine, key) = engine_and_key(&request_uri)?;
        let address = format!("{scheme}://{authority}{query}{fragment}");
        Ok(VaultMasterKey::new(&address, &engine, &key))
    }

    /// Reads an `hc_vault` entry of the metadata.
    pub fn from_map(entry: &Map) -> Result<VaultMasterKey> {
        let entry = Entry::new(entry, "hc_vault");
        let address = entry.required("vault_address")?;
        Ok(VaultMasterKey {
            engine_path: entry.text("engine_path").unwrap_or_default(),
            key_name: entry.text("key_name").unwrap_or_default(),
            created_at: entry.created_at(&address)?,
            enc: entry.text("enc").unwrap_or_default(),
            vault_address: address,
        })
    }

    /// The transit path of an operation, as sops names it in errors (`transit/encrypt/k1`).
    #[cfg_attr(not(feature = "vault"), allow(dead_code))]
    fn op_path(&self, op: &str) -> String {
        join_clean([self.engine_path.as_str(), op, self.key_name.as_str()])
    }
}

impl MasterKey for VaultMasterKey {
    fn kind(&self) -> &'static str {
        "hc_vault"
    }

    /// `ADDRESS/v1/ENGINE/keys/NAME`, sops' `ToString`.
    fn describe(&self) -> String {
        format!(
            "{}/v1/{}/keys/{}",
            self.vault_address, self.engine_path, self.key_name
        )
    }

    fn wrap(&mut self, data_key: &[u8]) -> Result<()> {
        self.enc = client::encrypt(self, data_key)?;
        Ok(())
    }

    fn unwrap(&self, _keyring: &Keyring) -> Result<Zeroizing<Vec<u8>>> {
        client::decrypt(self).map_err(|e| Error::new(Code::CouldNotRetrieveKey, e.message))
    }

    fn to_map(&self) -> Map {
        string_entry(&[
            ("vault_address", &self.vault_address),
            ("engine_path", &self.engine_path),
            ("key_name", &self.key_name),
            ("created_at", &self.created_at),
            ("enc", &self.enc),
        ])
    }

    fn clone_box(&self) -> Box<dyn MasterKey> {
        Box::new(self.clone())
    }
}

#[cfg(not(feature = "vault"))]
mod client {
    use super::VaultMasterKey;
    use crate::error::{Error, Result};
    use zeroize::Zeroizing;

    fn unsupported() -> Error {
        crate::keys::built_without("Vault", "Vault transit keys", "vault")
    }

    pub fn encrypt(_key: &VaultMasterKey, _data_key: &[u8]) -> Result<String> {
        Err(unsupported())
    }

    pub fn decrypt(_key: &VaultMasterKey) -> Result<Zeroizing<Vec<u8>>> {
        Err(unsupported())
    }
}

#[cfg(feature = "vault")]
mod client {
    //! The transit calls over `keys/http.rs`, configured from the Vault client's environment.

    use super::{VaultMasterKey, SOPS_HC_VAULT_ALLOWLIST};
    use crate::error::{Code, Error, Result};
    use crate::keys::http::{self, Method, Policy, Request};
    use base64::prelude::{Engine as _, BASE64_STANDARD};
    use serde_json::{json, Value};
    use zeroize::Zeroizing;

    /// Wraps `data_key`: the `vault:vN:…` ciphertext Vault returns.
    pub fn encrypt(key: &VaultMasterKey, data_key: &[u8]) -> Result<String> {
        let data = call(
            key,
            "encrypt",
            &json!({ "plaintext": BASE64_STANDARD.encode(data_key) }),
        )?;
        let fail = |why: &str| failure(key, "encrypt", why);
        match data.get("ciphertext") {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(fail("encrypted ciphertext cannot be cast to string")),
            None => Err(fail("no encrypted data")),
        }
    }

    /// Unwraps the key's `enc`.
    pub fn decrypt(key: &VaultMasterKey) -> Result<Zeroizing<Vec<u8>>> {
        let data = call(key, "decrypt", &json!({ "ciphertext": key.enc }))?;
        let fail = |why: &str| failure(key, "decrypt", why);
        let Some(Value::String(plaintext)) = data.get("plaintext") else {
            return Err(fail("no decrypted data"));
        };
        let plaintext = Zeroizing::new(plaintext.clone());
        BASE64_STANDARD
            .decode(plaintext.as_bytes())
            .map(Zeroizing::new)
            .map_err(|_| fail("cannot decode base64 plaintext into data key bytes"))
    }

    /// An error of a transit call, worded as sops words it.
    fn failure(key: &VaultMasterKey, op: &str, why: impl std::fmt::Display) -> Error {
        let what = if op == "encrypt" {
            "failed to encrypt sops data key to"
        } else {
            "failed to decrypt sops data key from"
        };
        Error::new(
            Code::Generic,
            format!("{what} Vault transit backend '{}': {why}", key.op_path(op)),
        )
    }

    /// The request URL of an operation: `VAULT_AGENT_ADDR` or the key's address (without
    /// its query), `/v1/`, the path with the key name escaped.
    pub(super) fn op_url(key: &VaultMasterKey, op: &str) -> String {
        let base = std::env::var("VAULT_AGENT_ADDR")
            .ok()
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| key.vault_address.clone());
        let base = base.split(['?', '#']).next().unwrap_or("");
        let path = key.op_path(op);
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", &path));
        let mut escaped = String::new();
        for b in name.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
                escaped.push(b as char);
            } else {
                escaped.push_str(&format!("%{b:02X}"));
            }
        }
        format!("{}/v1/{dir}/{escaped}", base.trim_end_matches('/'))
    }

    /// Checks `SOPS_HC_VAULT_ALLOWLIST` (sops 3.13): unset, empty or `all` allows every
    /// address, `none` none, else the address plus `/` must start with an item plus `/`.
    fn check_allowlist(key: &VaultMasterKey) -> Result<()> {
        let list = std::env::var(SOPS_HC_VAULT_ALLOWLIST).unwrap_or_default();
        if list.is_empty() || list == "all" {
            return Ok(());
        }
        let address = format!("{}/", key.vault_address);
        if list != "none" {
            for (i, item) in list.split(',').enumerate() {
                let item = item.trim();
                if item.is_empty() {
                    return Err(Error::new(
                        Code::Generic,
                        format!("{SOPS_HC_VAULT_ALLOWLIST}'s entry {} is empty", i + 1),
                    ));
                }
                if address.starts_with(&format!("{}/", item.trim_end_matches('/'))) {
                    return Ok(());
                }
            }
        }
        Err(Error::new(
            Code::Generic,
            format!(
                "Allowlist does not allow {} (see {SOPS_HC_VAULT_ALLOWLIST})",
                key.vault_address
            ),
        ))
    }

    /// One transit call: `PUT` the JSON body, return the answer's `data` object.
    fn call(
        key: &VaultMasterKey,
        op: &str,
        body: &Value,
    ) -> Result<serde_json::Map<String, Value>> {
        check_allowlist(key)?;
        let fail = |why: String| failure(key, op, why);
        let url = op_url(key, op);
        let mut req = Request::new(Method::Put, &url)
            .header("X-Vault-Request", "true")
            .body(body.to_string());
        if let Some(token) = token()? {
            req = req.header("X-Vault-Token", token);
        }
        if let Ok(ns) = std::env::var("VAULT_NAMESPACE") {
            if !ns.is_empty() {
                req = req.header("X-Vault-Namespace", ns);
            }
        }
        let resp = http::send(&req, &policy()?).map_err(|e| fail(e.message))?;
        if !resp.is_success() {
            let errors = resp
                .json()
                .ok()
                .and_then(|v| v.get("errors").and_then(Value::as_array).cloned())
                .map(|errs| {
                    errs.iter()
                        .map(|e| format!("* {}", e.as_str().unwrap_or(&e.to_string())))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_else(|| resp.error_text());
            let hint = match resp.status {
                403 => {
                    " (check VAULT_TOKEN or ~/.vault-token, VAULT_NAMESPACE and the token's policy)"
                }
                404 => " (is the transit engine mounted at that path?)",
                _ => "",
            };
            return Err(fail(format!(
                "Error making API request. URL: PUT {} Code: {}. Errors: {errors}{hint}",
                http::redact_url(&url),
                resp.status
            )));
        }
        match resp.json().map_err(fail)?.get("data") {
            Some(Value::Object(data)) => Ok(data.clone()),
            _ => Err(fail("transit backend is empty".into())),
        }
    }

    /// The Vault token: `VAULT_TOKEN`, else `~/.vault-token` (trimmed), else none.
    fn token() -> Result<Option<String>> {
        if let Ok(t) = std::env::var("VAULT_TOKEN") {
            if !t.is_empty() {
                return Ok(Some(t));
            }
        }
        let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) else {
            return Ok(None);
        };
        let path = std::path::Path::new(&home).join(".vault-token");
        match std::fs::read_to_string(&path) {
            Ok(t) => Ok(Some(t.trim().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::new(
                Code::Generic,
                format!("cannot get Vault token from {}: {e}", path.display()),
            )),
        }
    }

    /// The call policy from the Vault client's environment.
    fn policy() -> Result<Policy> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let bad = |name: &str, v: &str, want: &str| {
            Error::new(
                Code::Generic,
                format!("could not parse {name}={v:?}: expected {want}"),
            )
        };
        let mut policy = Policy::default();
        if let Some(v) = var("VAULT_MAX_RETRIES") {
            let retries: u32 = v
                .trim()
                .parse()
                .map_err(|_| bad("VAULT_MAX_RETRIES", &v, "a number"))?;
            policy.max_attempts = retries.saturating_add(1);
        }
        if let Some(v) = var("VAULT_CLIENT_TIMEOUT") {
            policy.timeout = http::parse_duration(&v)
                .ok_or_else(|| bad("VAULT_CLIENT_TIMEOUT", &v, "a duration"))?;
            policy.connect_timeout = policy.connect_timeout.min(policy.timeout);
        }
        if let Some(v) = var("VAULT_SKIP_VERIFY") {
            policy.insecure_skip_verify = crate::crypt::cipher::parse_go_bool(&v)
                .ok_or_else(|| bad("VAULT_SKIP_VERIFY", &v, "true or false"))?;
        }
        policy.ca_file = var("VAULT_CACERT").map(Into::into);
        policy.ca_dir = var("VAULT_CAPATH").map(Into::into);
        policy.server_name = var("VAULT_TLS_SERVER_NAME");
        policy.client_identity = match (var("VAULT_CLIENT_CERT"), var("VAULT_CLIENT_KEY")) {
            (Some(cert), Some(key)) => Some((cert.into(), key.into())),
            (None, None) => None,
            // Vault's client needs both, and says so.
            _ => {
                return Err(Error::new(
                    Code::Generic,
                    "VAULT_CLIENT_CERT and VAULT_CLIENT_KEY must be set together",
                ))
            }
        };
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{Item, Node};

    fn parts(uri: &str) -> (String, String, String) {
        let k = VaultMasterKey::from_uri(uri).unwrap();
        (k.vault_address, k.engine_path, k.key_name)
    }

    fn err(uri: &str) -> String {
        VaultMasterKey::from_uri(uri).unwrap_err().message
    }

    #[test]
    fn uris_parse_as_sops_parses_them() {
        let p = |a: &str, e: &str, k: &str| (a.to_string(), e.to_string(), k.to_string());
        let h = "http://127.0.0.1:8200";
        assert_eq!(
            parts(&format!("{h}/v1/transit/keys/k1")),
            p(h, "transit", "k1")
        );
        assert_eq!(
            parts(&format!("{h}/v1/team/a/transit/keys/k1")),
            p(h, "team/a/transit", "k1")
        );
        assert_eq!(
            parts(&format!("{h}/v1/transit/keys/k1/")),
            p(h, "transit", "k1")
        );
        assert_eq!(
            parts(&format!("{h}/v1/transit/foo/k1")),
            p(h, "transit", "k1")
        );
        assert_eq!(
            parts(&format!("{h}/v2/transit/keys/k1")),
            p(h, "transit", "k1")
        );
        assert_eq!(
            parts("HTTPS://vault.example.com/v1/transit/keys/k1"),
            p("https://vault.example.com", "transit", "k1")
        );
        assert_eq!(
            parts("http://h/v1/transit/keys/k1?x=y"),
            p("http://h?x=y", "transit", "k1?x=y")
        );
        assert!(err(&format!("{h}/v1/transit/k1")).contains("not seem to be formatted"));
        assert!(err(&format!("{h}/v1//transit/keys/k1")).contains("not seem to be formatted"));
        assert!(err(&format!("{h}/vault/v1/transit/keys/k1")).contains("prefixed URL"));
        assert!(err("vault.example.com/v1/transit/keys/k1").starts_with("missing scheme"));
        assert!(err("127.0.0.1:8200/v1/transit/keys/k1").contains("cannot contain colon"));
    }

    #[test]
    fn uri_lists_skip_empty_items_but_do_not_trim() {
        let uris = split_uris("http://a/v1/transit/keys/k1,,http://b/v1/transit/keys/k2,");
        assert_eq!(uris.len(), 2);
        let uris = split_uris("http://a/v1/transit/keys/k1, http://b/v1/t/keys/k");
        assert!(VaultMasterKey::from_uri(&uris[1]).is_err());
    }

    #[test]
    fn request_urls_always_use_v1_and_escape_the_key_name() {
        let k = VaultMasterKey::from_uri("http://h:1/v2/team/t/keys/k1?x=y").unwrap();
        #[cfg(feature = "vault")]
        assert_eq!(
            client::op_url(&k, "encrypt"),
            "http://h:1/v1/team/t/encrypt/k1%3Fx=y"
        );
        assert_eq!(k.op_path("decrypt"), "team/t/decrypt/k1?x=y");
        assert_eq!(k.describe(), "http://h:1?x=y/v1/team/t/keys/k1?x=y");
    }

    #[test]
    fn metadata_entry_round_trips_in_sops_order() {
        let entry: Map = vec![
            Item::Pair("enc".into(), Node::str("vault:v1:abc")),
            Item::Pair("key_name".into(), Node::str("k1")),
            Item::Pair("created_at".into(), Node::str("2026-12-02T01:56:41Z")),
            Item::Pair("engine_path".into(), Node::str("transit")),
            Item::Pair("vault_address".into(), Node::str("http://127.0.0.1:8200")),
        ];
        let k = VaultMasterKey::from_map(&entry).unwrap();
        let map = k.to_map();
        let names: Vec<&str> = map
            .iter()
            .filter_map(|i| match i {
                Item::Pair(k, _) => Some(k.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            names,
            [
                "vault_address",
                "engine_path",
                "key_name",
                "created_at",
                "enc"
            ]
        );
        assert_eq!(k.enc, "vault:v1:abc");
        assert!(VaultMasterKey::from_map(&vec![]).is_err());
    }
}
