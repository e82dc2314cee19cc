//! The Key Vault REST calls sops makes (azkeys, `api-version=7.6`): get a key's current
//! version, and the `encrypt`/`decrypt` key operations with RSA-OAEP-256.
//!
//! Authentication follows Key Vault's challenge protocol: the first request to a vault goes
//! out without a token and without its body; the vault answers 401 with a `WWW-Authenticate:
//! Bearer authorization="https://login…/TENANT", resource="https://vault.azure.net"` header;
//! the token for that tenant and resource comes from [`super::credential`], and the request
//! is sent again, whole, with it. The challenge is remembered per vault for the process.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use base64::prelude::{Engine as _, BASE64_URL_SAFE_NO_PAD};
use zeroize::Zeroizing;

use super::credential;
use super::AzureKeyRef;
use crate::error::{Code, Error, Result};
use crate::keys::http::{self, Method, Policy, Request, Response};

/// The Key Vault REST API version sops' azkeys speaks.
const API_VERSION: &str = "7.6";

/// What a vault's 401 challenge says: the tenant to get a token in, and the scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub tenant: String,
    pub scope: String,
}

/// The challenges seen, by vault origin.
fn challenges() -> &'static Mutex<HashMap<String, Challenge>> {
    static SEEN: OnceLock<Mutex<HashMap<String, Challenge>>> = OnceLock::new();
    SEEN.get_or_init(Default::default)
}

/// The host of an `https://HOST[:PORT]/…` URL, port included (as Go's `URL.Host`).
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or("")
}

/// Parses a `WWW-Authenticate: Bearer k="v", …` challenge for `vault_url` and checks, as
/// azkeys does, that the vault is in the resource's domain (so a vault cannot send the
/// client's token to another service).
pub fn parse_challenge(header: &str, vault_url: &str) -> Result<Challenge> {
    let bad = |why: &str| {
        Error::new(
            Code::Generic,
            format!("Key Vault {vault_url} sent an unusable authentication challenge: {why}"),
        )
    };
    let params = header
        .trim()
        .strip_prefix("Bearer")
        .ok_or_else(|| bad("not a Bearer challenge"))?;
    let mut fields: HashMap<String, String> = HashMap::new();
    for part in params.split(',') {
        if let Some((k, v)) = part.split_once('=') {
            fields.insert(
                k.trim().to_lowercase(),
                v.trim().trim_matches('"').to_string(),
            );
        }
    }
    let authority = fields
        .get("authorization")
        .or_else(|| fields.get("authorization_uri"))
        .ok_or_else(|| bad("no authorization"))?;
    let tenant = authority
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|t| !t.is_empty() && !t.contains(':'))
        .ok_or_else(|| bad("no tenant in the authorization URL"))?
        .to_string();
    let scope = match (fields.get("scope"), fields.get("resource")) {
        (Some(scope), _) => scope.clone(),
        (None, Some(resource)) => format!("{}/.default", resource.trim_end_matches('/')),
        (None, None) => return Err(bad("no resource or scope")),
    };
    let resource_host = url_host(&scope).to_string();
    let vault_host = url_host(vault_url);
    if !vault_host.ends_with(&format!(".{resource_host}")) {
        return Err(Error::new(
            Code::Generic,
            format!(
                "challenge resource {resource_host:?} doesn't match the requested domain \
                 {vault_host:?} (the vault URL must be the vault's own https name, without a port)"
            ),
        ));
    }
    Ok(Challenge { tenant, scope })
}

/// The message of an error answer: Key Vault's `{"error":{"code","message"}}` when present.
fn service_message(resp: &Response) -> String {
    let detail = resp.json().ok().and_then(|v| {
        let e = v.get("error")?;
        let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("");
        let msg = e.get("message").and_then(|m| m.as_str()).unwrap_or("");
        Some(
            format!("{code}: {msg}")
                .trim_matches([':', ' '])
                .to_string(),
        )
    });
    let detail = detail
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| resp.error_text());
    format!("HTTP {}: {detail}", resp.status)
}

/// Sends `req` to the vault of `key`, answering its challenge when needed.
fn call(key: &AzureKeyRef, req: Request) -> Result<Response> {
    let policy = Policy::default();
    let origin = key.vault_url.trim_end_matches('/').to_string();
    let known = challenges()
        .lock()
        .expect("not poisoned")
        .get(&origin)
        .cloned();
    let challenge = match known {
        Some(c) => c,
        None => {
            // The first request carries neither token nor body (azkeys does the same, so a
            // body never goes out before the vault has been authenticated).
            let probe = Request {
                body: Vec::new(),
                headers: Vec::new(),
                ..req.clone()
            };
            let resp = http::send(&probe, &policy)?;
            if resp.status != 401 {
                return Err(Error::new(
                    Code::Generic,
                    format!(
                        "Key Vault {origin} did not ask for authentication ({})",
                        service_message(&resp)
                    ),
                ));
            }
            let header = resp.header("WWW-Authenticate").ok_or_else(|| {
                Error::new(
                    Code::Generic,
                    format!("Key Vault {origin} answered 401 without WWW-Authenticate"),
                )
            })?;
            let c = parse_challenge(header, &key.vault_url)?;
            challenges()
                .lock()
                .expect("not poisoned")
                .insert(origin, c.clone());
            c
        }
    };
    let token = credential::token(&challenge.tenant, &challenge.scope)?;
    let authed = req.header("Authorization", format!("Bearer {}", token.as_str()));
    http::send(&authed, &policy)
}

fn key_base(key: &AzureKeyRef) -> String {
    format!("{}/keys/{}", key.vault_url.trim_end_matches('/'), key.name)
}

/// The key's current version: `GET {vault}/keys/{name}/`, the last segment of `key.kid`.
pub fn current_version(key: &AzureKeyRef) -> Result<String> {
    let fail = |why: String| {
        Error::new(
            Code::Generic,
            format!("cannot look up the current version of Azure Key Vault key {key}: {why}"),
        )
    };
    let url = format!("{}/?api-version={API_VERSION}", key_base(key));
    let resp = call(key, Request::new(Method::Get, url)).map_err(|e| fail(e.message))?;
    if !resp.is_success() {
        return Err(fail(service_message(&resp)));
    }
    let body = resp.json().map_err(fail)?;
    body.pointer("/key/kid")
        .and_then(|k| k.as_str())
        .and_then(|kid| kid.trim_end_matches('/').rsplit('/').next())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .ok_or_else(|| fail("the answer has no key.kid".into()))
}

/// Runs the `encrypt` or `decrypt` operation of the key on `value`; returns the result bytes.
pub fn key_operation(key: &AzureKeyRef, op: &str, value: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    // The caller names the key (`azure_kv URL: …`).
    let fail = |why: String| {
        Error::new(
            Code::Generic,
            format!("failed to {op} the sops data key with Azure Key Vault: {why}"),
        )
    };
    let url = format!(
        "{}/{}/{op}?api-version={API_VERSION}",
        key_base(key),
        key.version
    );
    let body = serde_json::json!({
        "alg": "RSA-OAEP-256",
        "value": BASE64_URL_SAFE_NO_PAD.encode(value),
    });
    let resp =
        call(key, Request::new(Method::Post, url).json(&body)).map_err(|e| fail(e.message))?;
    if !resp.is_success() {
        return Err(fail(service_message(&resp)));
    }
    let answer = resp.json().map_err(fail)?;
    let text = answer
        .get("value")
        .and_then(|v| v.as_str())
        .ok_or_else(|| fail("the answer has no value".into()))?;
    // Azure's JSON bytes are base64url without padding; be lenient about padding here, it is
    // the service's answer, not the file.
    BASE64_URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map(Zeroizing::new)
        .map_err(|e| fail(format!("the answer's value is not base64url: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAULT: &str = "https://myvault.vault.azure.net";

    #[test]
    fn challenges_name_tenant_and_scope() {
        let c = parse_challenge(
            r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1", resource="https://vault.azure.net""#,
            VAULT,
        )
        .unwrap();
        assert_eq!(
            c,
            Challenge {
                tenant: "72f988bf-86f1".into(),
                scope: "https://vault.azure.net/.default".into()
            }
        );
        let c = parse_challenge(
            r#"Bearer authorization_uri="https://login.example/t1/", scope="https://vault.azure.net/.default""#,
            &format!("{VAULT}/"),
        )
        .unwrap();
        assert_eq!(c.tenant, "t1");
    }

    #[test]
    fn challenges_for_another_domain_or_a_port_are_refused() {
        let header = r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.azure.net""#;
        for vault in [
            "https://myvault.vault.azure.net:443",
            "https://evil.example",
            "https://vault.azure.net",
        ] {
            let e = parse_challenge(header, vault).unwrap_err();
            assert!(
                e.message.contains("doesn't match"),
                "{vault}: {}",
                e.message
            );
        }
        for bad in [
            "Basic realm=x",
            "Bearer resource=\"https://vault.azure.net\"",
        ] {
            assert!(parse_challenge(bad, VAULT).is_err(), "{bad}");
        }
    }

    #[test]
    fn error_answers_carry_the_service_message() {
        let resp = Response {
            status: 403,
            headers: Vec::new(),
            body: br#"{"error":{"code":"Forbidden","message":"no encrypt permission"}}"#
                .to_vec()
                .into(),
        };
        assert_eq!(
            service_message(&resp),
            "HTTP 403: Forbidden: no encrypt permission"
        );
        let resp = Response {
            status: 502,
            headers: Vec::new(),
            body: b"bad gateway".to_vec().into(),
        };
        assert_eq!(service_message(&resp), "HTTP 502: bad gateway");
    }
}
