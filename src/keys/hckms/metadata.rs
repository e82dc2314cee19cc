//! An ECS instance's temporary credentials (those of its agency), from the metadata
//! service, as the SDK gets them: a session token first (`PUT /meta-data/latest/api/
//! token`; a service that answers 404 or 405 has none and is asked without), then `GET
//! /openstack/latest/securitykey`. A 401 that is not about a missing agency means the
//! token expired: a new one is asked for once.

use super::Credentials;
use crate::error::{Code, Error, Result};
use crate::keys::http::{self, Method, Policy, Request, Response};
use serde_json::Value;
use std::time::Duration;
use zeroize::Zeroizing;

/// Token lifetime asked for (the SDK's: six hours).
const TOKEN_TTL_SECONDS: &str = "21600";
/// The body of a 401 that a new token would not cure.
const NO_AGENCY: &str = "Please configure Cloud Service Agency first";

/// Where the metadata service is: `SECRET_HUAWEICLOUD_METADATA_URL`, else the address every
/// ECS instance reaches it at.
fn url() -> String {
    std::env::var("SECRET_HUAWEICLOUD_METADATA_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| "http://169.254.169.254".to_string())
}

/// One attempt of 3 s, as the SDK's client: off ECS the address does not answer, and
/// this is the last place looked.
fn policy() -> Policy {
    Policy {
        max_attempts: 1,
        connect_timeout: Duration::from_secs(3),
        timeout: Duration::from_secs(3),
        ..Policy::default()
    }
}

fn failure(resp: &Response) -> Error {
    Error::new(
        Code::Generic,
        format!(
            "metadata service: HTTP {}: {}",
            resp.status,
            resp.error_text()
        ),
    )
}

/// A session token, or `None` where the service has none (404, 405) and `optional`.
fn token(base: &str, optional: bool) -> Result<Option<Zeroizing<String>>> {
    let req = Request::new(Method::Put, format!("{base}/meta-data/latest/api/token"))
        .header("X-Metadata-Token-Ttl-Seconds", TOKEN_TTL_SECONDS);
    let resp = http::send(&req, &policy())?;
    match resp.status {
        200 => Ok(Some(Zeroizing::new(
            String::from_utf8_lossy(&resp.body).into_owned(),
        ))),
        404 | 405 if optional => Ok(None),
        _ => Err(failure(&resp)),
    }
}

fn security_key(base: &str, token: Option<&str>) -> Result<Response> {
    let mut req = Request::new(Method::Get, format!("{base}/openstack/latest/securitykey"));
    if let Some(token) = token {
        req = req.header("X-Metadata-Token", token);
    }
    http::send(&req, &policy())
}

/// The instance's temporary AK, SK and security token (no project id: that comes from
/// the environment).
pub fn credentials() -> Result<Credentials> {
    let base = url();
    let token = token(&base, true)?;
    let mut resp = security_key(&base, token.as_ref().map(|t| t.as_str()))?;
    if resp.status == 401 && !resp.error_text().contains(NO_AGENCY) {
        let token = self::token(&base, false)?;
        resp = security_key(&base, token.as_ref().map(|t| t.as_str()))?;
    }
    if !resp.is_success() {
        return Err(failure(&resp));
    }
    let answer = resp
        .json()
        .map_err(|e| Error::new(Code::Generic, format!("metadata service: {e}")))?;
    let field = |name: &str| {
        answer
            .get("credential")
            .and_then(|c| c.get(name))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let creds = Credentials {
        ak: field("access"),
        sk: Zeroizing::new(field("secret")),
        project_id: String::new(),
        security_token: Zeroizing::new(field("securitytoken")),
    };
    if creds.ak.is_empty() || creds.sk.is_empty() {
        return Err(Error::new(
            Code::Generic,
            "metadata service: the answer has no credential.access and credential.secret",
        ));
    }
    Ok(creds)
}
