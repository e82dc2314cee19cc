//! Workload identity federation (`external_account` credentials) and service-account
//! impersonation, as Google's client libraries do them:
//!
//! 1. a subject token (an OIDC ID token or SAML assertion from another identity provider) is
//!    read from the `credential_source`: a `file`, a `url` (GET, with optional `headers`) or
//!    an `executable` (only with `GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1`), as plain
//!    text or as one field of a JSON object (`format`);
//! 2. it is traded at the security token service (`token_url`, an RFC 8693 token exchange)
//!    for a federated access token;
//! 3. with `service_account_impersonation_url`, that token is traded in turn for an access
//!    token of the service account (`generateAccessToken`).
//!
//! AWS-sourced credentials (`environment_id: aws1`) are refused with a clear error.

use base64::prelude::{Engine as _, BASE64_STANDARD};
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::{send_ok, text, token_field, Outcome, CLOUD_PLATFORM, SCOPES};
use crate::keys::http::{self, Method, Policy, Request};

/// The security token service of the default universe.
const DEFAULT_STS_URL: &str = "https://sts.googleapis.com/v1/token";
/// The most of a subject token (file, URL answer, program output) that is read.
const MAX_SUBJECT: u64 = 1 << 20;

/// An access token for `external_account` credentials `creds`.
pub(super) fn token(creds: &Value, policy: &Policy) -> Outcome<Zeroizing<String>> {
    let audience = text(creds, "audience");
    let subject_type = text(creds, "subject_token_type");
    if audience.is_empty() || subject_type.is_empty() {
        return Err("external_account credentials need audience and subject_token_type".into());
    }
    let source = creds
        .get("credential_source")
        .filter(|s| s.is_object())
        .ok_or("external_account credentials need a credential_source object")?;
    let impersonation = text(creds, "service_account_impersonation_url");
    let subject = subject_token(source, audience, subject_type, impersonation, policy)?;
    // With impersonation, the federated token only needs to reach the IAM credentials API.
    let scope = if impersonation.is_empty() {
        SCOPES
    } else {
        CLOUD_PLATFORM
    };
    let federated = exchange(creds, audience, subject_type, &subject, scope, policy)?;
    if impersonation.is_empty() {
        return Ok(federated);
    }
    let lifetime = creds
        .pointer("/service_account_impersonation/token_lifetime_seconds")
        .and_then(Value::as_u64);
    impersonate(impersonation, &federated, &[], lifetime, policy)
}

/// Trades a subject token at the security token service for a federated access token.
fn exchange(
    creds: &Value,
    audience: &str,
    subject_type: &str,
    subject: &str,
    scope: &str,
    policy: &Policy,
) -> Outcome<Zeroizing<String>> {
    let url = match (text(creds, "token_url"), text(creds, "universe_domain")) {
        ("", "") | ("", "googleapis.com") => DEFAULT_STS_URL.to_string(),
        ("", domain) => format!("https://sts.{domain}/v1/token"),
        (url, _) => url.to_string(),
    };
    let mut fields = vec![
        ("audience", audience),
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        (
            "requested_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
        ("scope", scope),
        ("subject_token", subject),
        ("subject_token_type", subject_type),
    ];
    let (client_id, client_secret) = (text(creds, "client_id"), text(creds, "client_secret"));
    let user_project = text(creds, "workforce_pool_user_project");
    // A workforce pool's user project goes along unless a client authenticates, whose id
    // already names the project.
    let options = json!({ "userProject": user_project }).to_string();
    if !user_project.is_empty() && client_id.is_empty() {
        fields.push(("options", &options));
    }
    let mut req = Request::new(Method::Post, &url).form(&fields);
    if !client_id.is_empty() && !client_secret.is_empty() {
        let basic = Zeroizing::new(BASE64_STANDARD.encode(format!("{client_id}:{client_secret}")));
        req = req.header("Authorization", format!("Basic {}", basic.as_str()));
    }
    let what = format!("the security token service {}", http::redact_url(&url));
    let resp = send_ok(&req, policy, &what)?;
    let answer = resp.json().map_err(|e| format!("{what}: {e}"))?;
    // As Google's libraries: an exchange without a positive lifetime is not trusted.
    if answer
        .get("expires_in")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        <= 0
    {
        return Err(format!("{what} returned no valid expires_in"));
    }
    token_field(&resp, "access_token", &what)
}

/// Trades `source` (an access token allowed to act as the service account) for one of the
/// service account, with sops' KMS scopes, at its `generateAccessToken` URL.
pub(super) fn impersonate(
    url: &str,
    source: &str,
    delegates: &[String],
    lifetime_seconds: Option<u64>,
    policy: &Policy,
) -> Outcome<Zeroizing<String>> {
    let mut body = json!({
        "lifetime": format!("{}s", lifetime_seconds.unwrap_or(3600)),
        "scope": SCOPES.split(' ').collect::<Vec<_>>(),
    });
    if !delegates.is_empty() {
        body["delegates"] = json!(delegates);
    }
    let req = Request::new(Method::Post, url)
        .header("Authorization", format!("Bearer {source}"))
        .json(&body);
    let what = format!("service account impersonation at {}", http::redact_url(url));
    token_field(&send_ok(&req, policy, &what)?, "accessToken", &what)
}

/// The subject token named by `credential_source`.
fn subject_token(
    source: &Value,
    audience: &str,
    subject_type: &str,
    impersonation: &str,
    policy: &Policy,
) -> Outcome<Zeroizing<String>> {
    let format = source.get("format").unwrap_or(&Value::Null);
    if text(source, "environment_id").starts_with("aws") {
        return Err(
            "AWS-sourced external_account credentials (environment_id aws1) are not \
                    supported: use an OIDC or SAML provider, or a service account key"
                .into(),
        );
    }
    let file = text(source, "file");
    if !file.is_empty() {
        let raw = read_limited(
            std::fs::File::open(file)
                .map_err(|e| format!("cannot open the credential_source file {file}: {e}"))?,
        )
        .map_err(|e| format!("cannot read the credential_source file {file}: {e}"))?;
        return from_format(raw.trim_ascii(), format);
    }
    let url = text(source, "url");
    if !url.is_empty() {
        return from_url(url, source.get("headers"), format, policy);
    }
    if let Some(program) = source.get("executable").filter(|e| e.is_object()) {
        return super::program::subject_token(program, audience, subject_type, impersonation);
    }
    Err("credential_source names no file, url or executable".into())
}

/// GETs the subject token from `url`, with `headers` (an object of strings).
fn from_url(
    url: &str,
    headers: Option<&Value>,
    format: &Value,
    policy: &Policy,
) -> Outcome<Zeroizing<String>> {
    let mut req = Request::new(Method::Get, url);
    for (name, value) in headers.and_then(Value::as_object).into_iter().flatten() {
        let value = value
            .as_str()
            .ok_or_else(|| format!("credential_source header {name} is not a string"))?;
        req = req.header(name, value);
    }
    let what = format!("the credential_source url {}", http::redact_url(url));
    let resp = send_ok(&req, policy, &what)?;
    from_format(&resp.body, format).map_err(|e| format!("{what}: {e}"))
}

/// The subject token in `raw`, plain text or one field of a JSON object, as `format` says.
pub(super) fn from_format(raw: &[u8], format: &Value) -> Outcome<Zeroizing<String>> {
    match text(format, "type") {
        "" | "text" => String::from_utf8(raw.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| "the subject token is not UTF-8".into()),
        "json" => {
            let field = text(format, "subject_token_field_name");
            let doc: Value = serde_json::from_slice(raw)
                .map_err(|e| format!("the subject token is not valid JSON ({e})"))?;
            match doc.get(field) {
                Some(Value::String(token)) => Ok(Zeroizing::new(token.clone())),
                Some(_) => Err(format!("subject token field {field:?} is not a string")),
                None => Err(format!("subject token field {field:?} not found")),
            }
        }
        other => Err(format!(
            "credential_source format type {other:?} is neither \"text\" nor \"json\""
        )),
    }
}

/// Reads at most [`MAX_SUBJECT`] bytes.
pub(super) fn read_limited(from: impl std::io::Read) -> std::io::Result<Zeroizing<Vec<u8>>> {
    use std::io::Read as _;
    let mut raw = Zeroizing::new(Vec::new());
    from.take(MAX_SUBJECT).read_to_end(&mut raw)?;
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::http::test_server::{start, Reply};

    #[test]
    fn subject_tokens_are_read_in_either_format() {
        assert_eq!(from_format(b"abc", &Value::Null).unwrap().as_str(), "abc");
        let json_format = json!({"type": "json", "subject_token_field_name": "id_token"});
        let doc = br#"{"id_token": "xyz", "n": 1}"#;
        assert_eq!(from_format(doc, &json_format).unwrap().as_str(), "xyz");
        let other = json!({"type": "json", "subject_token_field_name": "n"});
        assert!(from_format(doc, &other)
            .unwrap_err()
            .contains("is not a string"));
        let missing = json!({"type": "json", "subject_token_field_name": "token"});
        assert!(from_format(doc, &missing)
            .unwrap_err()
            .contains("not found"));
        let xml = json!({"type": "xml"});
        assert!(from_format(doc, &xml).unwrap_err().contains("neither"));
    }

    #[test]
    fn the_exchange_sends_rfc_8693_fields_and_client_authentication() {
        let (url, seen) = start(vec![Reply::With(
            200,
            r#"{"access_token":"fed","token_type":"Bearer","expires_in":3600}"#,
        )]);
        let creds = json!({
            "token_url": format!("{url}/v1/token"),
            "client_id": "id",
            "client_secret": "pw",
            "workforce_pool_user_project": "123",
        });
        let token = exchange(
            &creds,
            "aud",
            "urn:t",
            "sub+ject",
            CLOUD_PLATFORM,
            &Policy::default(),
        )
        .unwrap();
        assert_eq!(token.as_str(), "fed");
        let seen = seen.lock().unwrap();
        let form = String::from_utf8(seen[0].body.clone()).unwrap();
        for field in [
            "audience=aud",
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange",
            "requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token",
            "scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform",
            "subject_token=sub%2Bject",
            "subject_token_type=urn%3At",
        ] {
            assert!(form.split('&').any(|f| f == field), "{field} in {form}");
        }
        // A client authenticates, so the user project is not sent.
        assert!(!form.contains("options="), "{form}");
        assert_eq!(seen[0].header("authorization"), Some("Basic aWQ6cHc="));
    }

    #[test]
    fn an_exchange_without_a_lifetime_is_refused() {
        let (url, seen) = start(vec![Reply::With(200, r#"{"access_token":"fed"}"#)]);
        let creds = json!({ "token_url": url, "workforce_pool_user_project": "123" });
        let err = exchange(&creds, "a", "t", "s", SCOPES, &Policy::default()).unwrap_err();
        assert!(err.contains("no valid expires_in"), "{err}");
        // Without client authentication a workforce pool's user project goes along.
        let form = String::from_utf8(seen.lock().unwrap()[0].body.clone()).unwrap();
        assert!(
            form.contains("options=%7B%22userProject%22%3A%22123%22%7D"),
            "{form}"
        );
    }
}
