//! Google OAuth2 access tokens, found as the Google client libraries (and so sops) find them:
//!
//! 1. `GOOGLE_CREDENTIALS`: a file of that name if one exists, else the value itself as
//!    credentials JSON (a sops variable);
//! 2. `GOOGLE_OAUTH_ACCESS_TOKEN`: a ready bearer token;
//! 3. application default credentials: the JSON file named by
//!    `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's
//!    `$CLOUDSDK_CONFIG/application_default_credentials.json` (default `~/.config/gcloud`),
//!    else the metadata server of a Google Cloud VM (`GCE_METADATA_HOST` overrides its
//!    address).
//!
//! Credentials JSON is a service-account key (a JWT signed with its RSA key, RS256, traded at
//! its `token_uri`), an `authorized_user` (its refresh token traded at `token_uri`, default
//! `https://oauth2.googleapis.com/token`), `external_account` (workload identity federation,
//! see [`external`]) or `impersonated_service_account` (one of the first two acting as a
//! service account). The token is fetched once per process.

mod external;
mod program;

use std::sync::Mutex;

use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::http::{self, Method, Policy, Request};
use super::jwt;
use crate::error::{Code, Error, Result};

/// The scopes sops' KMS client asks for.
const SCOPES: &str =
    "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/cloudkms";
/// The scope that lets a token be traded for a service account's (impersonation).
const CLOUD_PLATFORM: &str = "https://www.googleapis.com/auth/cloud-platform";
const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

fn fail(msg: impl Into<String>) -> Error {
    Error::new(Code::Generic, msg)
}

/// The bearer token for Google APIs (cached for the rest of the process).
pub fn access_token(policy: &Policy) -> Result<Zeroizing<String>> {
    static TOKEN: Mutex<Option<Zeroizing<String>>> = Mutex::new(None);
    let mut cached = TOKEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(t) = cached.as_ref() {
        return Ok(t.clone());
    }
    let token = find_token(policy)?;
    *cached = Some(token.clone());
    Ok(token)
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn find_token(policy: &Policy) -> Result<Zeroizing<String>> {
    if let Some(creds) = var("GOOGLE_CREDENTIALS") {
        let json = match std::fs::read(&creds) {
            Ok(bytes) => Zeroizing::new(bytes),
            Err(_) => Zeroizing::new(creds.into_bytes()),
        };
        return from_json(&json, "GOOGLE_CREDENTIALS", policy);
    }
    if let Some(token) = var("GOOGLE_OAUTH_ACCESS_TOKEN") {
        return Ok(Zeroizing::new(token));
    }
    if let Some(path) = var("GOOGLE_APPLICATION_CREDENTIALS") {
        let json = std::fs::read(&path).map(Zeroizing::new).map_err(|e| {
            fail(format!(
                "cannot read GOOGLE_APPLICATION_CREDENTIALS file {path}: {e}"
            ))
        })?;
        return from_json(&json, &path, policy);
    }
    let gcloud = var("CLOUDSDK_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| var("HOME").map(|h| std::path::Path::new(&h).join(".config/gcloud")));
    if let Some(file) = gcloud.map(|d| d.join("application_default_credentials.json")) {
        if let Ok(json) = std::fs::read(&file) {
            return from_json(&Zeroizing::new(json), &file.display().to_string(), policy);
        }
    }
    metadata_server(policy)
}

/// The string field `name` of a JSON object; empty when it is absent or not a string.
fn text<'a>(v: &'a Value, name: &str) -> &'a str {
    v.get(name).and_then(Value::as_str).unwrap_or("")
}

/// A token from credentials JSON; `origin` names where it came from, for errors.
fn from_json(json: &[u8], origin: &str, policy: &Policy) -> Result<Zeroizing<String>> {
    let bad = |why: String| fail(format!("Google credentials from {origin}: {why}"));
    let creds: Value =
        serde_json::from_slice(json).map_err(|e| bad(format!("not valid JSON ({e})")))?;
    match text(&creds, "type") {
        "external_account" => external::token(&creds, policy),
        "impersonated_service_account" => impersonated(&creds, policy),
        _ => oauth_token(&creds, SCOPES, policy),
    }
    .map_err(bad)
}

/// A token of a service-account key or an `authorized_user`, from its token endpoint.
fn oauth_token(creds: &Value, scope: &str, policy: &Policy) -> Outcome<Zeroizing<String>> {
    let field = |name: &str| text(creds, name);
    let token_uri = match field("token_uri") {
        "" => DEFAULT_TOKEN_URI,
        uri => uri,
    };
    let req = Request::new(Method::Post, token_uri);
    let req = match field("type") {
        "service_account" => {
            let assertion = Zeroizing::new(signed_jwt(
                field("client_email"),
                field("private_key_id"),
                field("private_key"),
                scope,
                token_uri,
            )?);
            req.form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", &assertion),
            ])
        }
        "authorized_user" => req.form(&[
            ("grant_type", "refresh_token"),
            ("client_id", field("client_id")),
            ("client_secret", field("client_secret")),
            ("refresh_token", field("refresh_token")),
        ]),
        other => {
            return Err(format!(
                "credential type {other:?} is not supported (use a service account key, \
                 `gcloud auth application-default login`, workload identity federation \
                 or GOOGLE_OAUTH_ACCESS_TOKEN)"
            ))
        }
    };
    token_from(
        &req,
        policy,
        &format!("the token endpoint {}", http::redact_url(token_uri)),
    )
}

/// `impersonated_service_account` credentials (`gcloud auth application-default login
/// --impersonate-service-account`): the source credentials' token traded for the service
/// account's.
fn impersonated(creds: &Value, policy: &Policy) -> std::result::Result<Zeroizing<String>, String> {
    let url = Some(text(creds, "service_account_impersonation_url"))
        .filter(|u| !u.is_empty())
        .ok_or("impersonated_service_account credentials need service_account_impersonation_url")?;
    let source = creds
        .get("source_credentials")
        .filter(|s| s.is_object())
        .ok_or("impersonated_service_account credentials need source_credentials")?;
    let delegates: Vec<String> = creds
        .get("delegates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str().map(String::from))
        .collect();
    let source_token = oauth_token(source, CLOUD_PLATFORM, policy)?;
    external::impersonate(url, &source_token, &delegates, None, policy)
}

/// The token of a GCE/GKE metadata server.
fn metadata_server(policy: &Policy) -> Result<Zeroizing<String>> {
    let host = var("GCE_METADATA_HOST").unwrap_or_else(|| "169.254.169.254".into());
    let url = format!(
        "http://{host}/computeMetadata/v1/instance/service-accounts/default/token?scopes={}",
        http::percent_encode(&SCOPES.replace(' ', ","))
    );
    // Off Google Cloud nothing answers there: fail fast rather than after long retries.
    let quick = Policy {
        max_attempts: 2,
        connect_timeout: policy
            .connect_timeout
            .min(std::time::Duration::from_secs(1)),
        ..policy.clone()
    };
    let req = Request::new(Method::Get, url).header("Metadata-Flavor", "Google");
    token_from(&req, &quick, &format!("the metadata server {host}")).map_err(|why| {
        fail(format!(
            "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_CREDENTIALS \
             to a key file, GOOGLE_OAUTH_ACCESS_TOKEN, or run `gcloud auth \
             application-default login` ({why})"
        ))
    })
}

/// Sends a token request and takes `access_token` from the answer.
fn token_from(req: &Request, policy: &Policy, what: &str) -> Outcome<Zeroizing<String>> {
    token_field(&send_ok(req, policy, what)?, "access_token", what)
}

type Outcome<T> = std::result::Result<T, String>;

/// Sends `req` (to `what`, for errors); an answer other than 2xx is an error.
fn send_ok(req: &Request, policy: &Policy, what: &str) -> Outcome<http::Response> {
    let resp = http::send(req, policy).map_err(|e| e.message)?;
    if !resp.is_success() {
        return Err(format!(
            "{what} answered HTTP {}: {}",
            resp.status,
            resp.error_text()
        ));
    }
    Ok(resp)
}

/// The token in string field `field` of a JSON answer from `what`.
fn token_field(resp: &http::Response, field: &str, what: &str) -> Outcome<Zeroizing<String>> {
    resp.json()
        .ok()
        .and_then(|v| v.get(field).and_then(Value::as_str).map(String::from))
        .map(Zeroizing::new)
        .ok_or_else(|| format!("{what} returned no {field}"))
}

/// A JWT for the service account, signed RS256 with its private key (PKCS#8 or PKCS#1 PEM).
fn signed_jwt(
    email: &str,
    key_id: &str,
    pem: &str,
    scope: &str,
    audience: &str,
) -> std::result::Result<String, String> {
    if email.is_empty() || pem.is_empty() {
        return Err("a service account key needs client_email and private_key".into());
    }
    let blocks = jwt::pem_blocks(pem);
    let (_, der) = blocks.first().ok_or("private_key is not a PEM block")?;
    let key = jwt::rsa_private_key(der).ok_or("private_key is not an RSA private key")?;
    let now = jwt::now();
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": key_id});
    let claims = json!({
        "iss": email,
        "scope": scope,
        "aud": audience,
        "iat": now,
        "exp": now + 3600,
    });
    jwt::sign_rs256(&header, &claims, &key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_needs_a_usable_key() {
        assert!(signed_jwt("", "", "", SCOPES, "aud").is_err());
        let err = signed_jwt("a@b", "k", "no pem here", SCOPES, "aud").unwrap_err();
        assert!(err.contains("not a PEM block"), "{err}");
        let err = signed_jwt(
            "a@b",
            "k",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            SCOPES,
            "aud",
        )
        .unwrap_err();
        assert!(err.contains("not an RSA private key"), "{err}");
    }
}
