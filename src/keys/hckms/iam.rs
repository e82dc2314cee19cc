//! A region's project id, looked up through IAM when the credentials name none, as the SDK
//! does: a signed `GET /v3/projects?name=REGION` on the IAM endpoint
//! (`HUAWEICLOUD_SDK_IAM_ENDPOINT`, else `https://iam.myhuaweicloud.com`), whose one project
//! is the answer; and the token of a federated identity.

use super::client::{service_message, signed, USER_AGENT};
use super::Credentials;
use crate::error::{Code, Error, Result};
use crate::keys::http::{self, Method, Policy, Request};
use serde_json::Value;
use zeroize::Zeroizing;

/// The IAM endpoint: `HUAWEICLOUD_SDK_IAM_ENDPOINT` (`https://` added when it names no
/// scheme), else the global one.
fn endpoint() -> String {
    match std::env::var("HUAWEICLOUD_SDK_IAM_ENDPOINT") {
        Ok(e) if !e.trim().is_empty() => {
            let e = e.trim().trim_end_matches('/');
            if e.starts_with("https://") || e.starts_with("http://") {
                e.to_string()
            } else {
                format!("https://{e}")
            }
        }
        _ => "https://iam.myhuaweicloud.com".to_string(),
    }
}

/// The id of the one project named `region` that `creds` see.
pub fn project_id(creds: &Credentials, region: &str) -> Result<String> {
    let fail = |why: String| {
        Error::new(
            Code::Generic,
            format!(
                "no HuaweiCloud project id: set HUAWEICLOUD_SDK_PROJECT_ID (looking it up \
                 through IAM: {why})"
            ),
        )
    };
    let query = format!("name={}", http::percent_encode(region));
    let req = signed(
        creds,
        Method::Get,
        &endpoint(),
        "/v3/projects",
        &query,
        &[],
        b"",
    );
    let resp = http::send(&req, &Policy::default()).map_err(|e| fail(e.message))?;
    if !resp.is_success() {
        return Err(fail(service_message(&resp)));
    }
    let answer = resp.json().map_err(fail)?;
    let projects = answer
        .get("projects")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    match projects.as_slice() {
        [one] => one
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .ok_or_else(|| fail("the project has no id".to_string())),
        [] => Err(fail(format!("no project is named {region:?}"))),
        _ => Err(fail(format!("several projects are named {region:?}"))),
    }
}

/// An IAM token scoped to `project_id` for a federated identity: the OpenID Connect id
/// token in the file `token_file` exchanged through identity provider `idp_id` (`POST
/// /v3.0/OS-AUTH/id-token/tokens`), as the SDK does with `HUAWEICLOUD_SDK_IDP_ID` and
/// `HUAWEICLOUD_SDK_ID_TOKEN_FILE`. KMS then takes it as `X-Auth-Token`, unsigned.
pub fn token_for_id_token(
    idp_id: &str,
    token_file: &str,
    project_id: &str,
) -> Result<Zeroizing<String>> {
    let fail = |why: String| {
        Error::new(
            Code::Generic,
            format!("HuaweiCloud federated identity {idp_id:?}: {why}"),
        )
    };
    // The file's content as it is, as the SDK sends it.
    let id_token = Zeroizing::new(
        std::fs::read_to_string(token_file)
            .map_err(|e| fail(format!("cannot read the id token file {token_file}: {e}")))?,
    );
    if id_token.is_empty() {
        return Err(fail(format!("the id token file {token_file} is empty")));
    }
    let body = Zeroizing::new(
        serde_json::json!({
            "auth": {
                "id_token": {"id": id_token.as_str()},
                "scope": {"project": {"id": project_id}},
            }
        })
        .to_string(),
    );
    let req = Request::new(
        Method::Post,
        format!("{}/v3.0/OS-AUTH/id-token/tokens", endpoint()),
    )
    .header("User-Agent", USER_AGENT)
    .header("X-Idp-Id", idp_id)
    .header("Content-Type", "application/json;charset=UTF-8")
    .body(body.as_bytes());
    let resp = http::send(&req, &Policy::default()).map_err(|e| fail(e.message))?;
    if !resp.is_success() {
        return Err(fail(service_message(&resp)));
    }
    let expires = resp
        .json()
        .ok()
        .and_then(|v| v.pointer("/token/expires_at")?.as_str().map(str::to_string))
        .unwrap_or_default();
    if expires.is_empty() {
        return Err(fail("the answer has no token.expires_at".to_string()));
    }
    resp.header("X-Subject-Token")
        .filter(|t| !t.is_empty())
        .map(|t| Zeroizing::new(t.to_string()))
        .ok_or_else(|| fail("the answer has no X-Subject-Token".to_string()))
}
