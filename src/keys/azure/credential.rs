//! Azure access tokens through the chain sops uses (azidentity's `DefaultAzureCredential`):
//!
//! 1. environment: `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` with `AZURE_CLIENT_SECRET`
//!    (client credentials), `AZURE_CLIENT_CERTIFICATE_PATH` (client credentials with a JWT
//!    assertion signed by the certificate's key), or `AZURE_USERNAME` + `AZURE_PASSWORD`
//!    (resource owner password);
//! 2. workload identity: `AZURE_FEDERATED_TOKEN_FILE` + `AZURE_CLIENT_ID` + `AZURE_TENANT_ID`;
//! 3. managed identity: App Service's `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`, else IMDS
//!    (a short probe first, so machines without it move on quickly);
//! 4. Azure CLI: `az account get-access-token`; 5. Azure Developer CLI: `azd auth token`.
//!
//! A credential that is not configured is skipped; one that is configured and fails stops
//! the chain with its error (as azidentity does). `AZURE_TOKEN_CREDENTIALS` narrows the chain
//! (`dev`, `prod`, or one credential's name); `AZURE_AUTHORITY_HOST` replaces
//! `https://login.microsoftonline.com`. Tokens are cached per tenant and scope for the
//! process. Nothing secret (secrets, assertions, tokens) ever goes into an error.

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use zeroize::Zeroizing;

use crate::error::{Code, Error, Result};
use crate::keys::http::{self, Method, Policy, Request, Response};

use super::certificate;

/// The credential types of the chain, in order, by their azidentity names.
const CHAIN: [&str; 5] = [
    "EnvironmentCredential",
    "WorkloadIdentityCredential",
    "ManagedIdentityCredential",
    "AzureCLICredential",
    "AzureDeveloperCLICredential",
];

/// How one credential ended.
enum Outcome {
    Token(Zeroizing<String>),
    /// Not configured here: the chain goes on. The text says why, for the final error.
    Unavailable(String),
    /// Configured and failed: the chain stops.
    Failed(String),
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

/// The credentials `AZURE_TOKEN_CREDENTIALS` selects.
fn selected() -> Result<Vec<&'static str>> {
    selection(&env("AZURE_TOKEN_CREDENTIALS"))
}

/// The credentials a value of `AZURE_TOKEN_CREDENTIALS` selects.
fn selection(choice: &str) -> Result<Vec<&'static str>> {
    let choice = choice.trim();
    if choice.is_empty() {
        return Ok(CHAIN.to_vec());
    }
    if choice.eq_ignore_ascii_case("dev") {
        return Ok(CHAIN[3..].to_vec());
    }
    if choice.eq_ignore_ascii_case("prod") {
        return Ok(CHAIN[..3].to_vec());
    }
    CHAIN
        .iter()
        .find(|c| c.eq_ignore_ascii_case(choice))
        .map(|c| vec![*c])
        .ok_or_else(|| {
            Error::new(
                Code::Generic,
                format!(
                    "invalid AZURE_TOKEN_CREDENTIALS {choice:?}: expected dev, prod or one of {}",
                    CHAIN.join(", ")
                ),
            )
        })
}

/// Tokens by (tenant, scope).
type TokenCache = HashMap<(String, String), Zeroizing<String>>;

/// An access token for `scope` in `tenant` (from the vault's challenge).
pub fn token(tenant: &str, scope: &str) -> Result<Zeroizing<String>> {
    static CACHE: OnceLock<Mutex<TokenCache>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let id = (tenant.to_string(), scope.to_string());
    if let Some(t) = cache.lock().expect("not poisoned").get(&id) {
        return Ok(t.clone());
    }
    let mut skipped = Vec::new();
    for name in selected()? {
        let outcome = match name {
            "EnvironmentCredential" => environment(tenant, scope),
            "WorkloadIdentityCredential" => workload_identity(tenant, scope),
            "ManagedIdentityCredential" => managed_identity(scope),
            "AzureCLICredential" => azure_cli(tenant, scope),
            _ => azure_developer_cli(tenant, scope),
        };
        match outcome {
            Outcome::Token(t) => {
                cache.lock().expect("not poisoned").insert(id, t.clone());
                return Ok(t);
            }
            Outcome::Unavailable(why) => skipped.push(format!("{name}: {why}")),
            Outcome::Failed(why) => {
                return Err(Error::new(
                    Code::Generic,
                    format!("Azure authentication failed: {name}: {why}"),
                ))
            }
        }
    }
    Err(Error::new(
        Code::Generic,
        format!(
            "no Azure credentials found (set AZURE_TENANT_ID, AZURE_CLIENT_ID and \
             AZURE_CLIENT_SECRET, use workload or managed identity, or run az login): {}",
            skipped.join("; ")
        ),
    ))
}

/// The tenant to ask a token in: the challenge's, when the configured tenant is the same or
/// `AZURE_ADDITIONALLY_ALLOWED_TENANTS` allows it (azidentity's multi-tenant rule).
fn resolve_tenant(configured: &str, challenged: &str) -> std::result::Result<String, String> {
    if challenged.is_empty() || challenged.eq_ignore_ascii_case(configured) {
        return Ok(configured.to_string());
    }
    let allowed = env("AZURE_ADDITIONALLY_ALLOWED_TENANTS");
    if allowed
        .split(';')
        .map(str::trim)
        .any(|t| t == "*" || t.eq_ignore_ascii_case(challenged))
    {
        return Ok(challenged.to_string());
    }
    Err(format!(
        "the vault is in tenant {challenged:?}, but the credential is configured for tenant \
         {configured:?}; add the tenant to AZURE_ADDITIONALLY_ALLOWED_TENANTS to allow it"
    ))
}

/// `AZURE_AUTHORITY_HOST` (https only) or the public cloud's.
fn authority_host() -> std::result::Result<String, String> {
    let host = env("AZURE_AUTHORITY_HOST");
    if host.is_empty() {
        return Ok("https://login.microsoftonline.com".into());
    }
    if !host.starts_with("https://") {
        return Err(format!(
            "AZURE_AUTHORITY_HOST {host:?} must be an https:// URL"
        ));
    }
    Ok(host.trim_end_matches('/').to_string())
}

/// A token answer's `access_token`, or the service's error (`error_description` carries
/// Entra ID's `AADSTS…` explanation; it never holds the secret).
fn token_from(resp: &Response, field: &str) -> std::result::Result<Zeroizing<String>, String> {
    let body = resp.json().ok();
    if resp.is_success() {
        return body
            .as_ref()
            .and_then(|b| b.get(field))
            .and_then(|t| t.as_str())
            .map(|t| Zeroizing::new(t.to_string()))
            .ok_or_else(|| format!("the token answer has no {field}"));
    }
    let described = body.as_ref().and_then(|b| {
        let err = b.get("error")?;
        let text = match err {
            serde_json::Value::String(s) => s.clone(),
            other => other.get("message")?.as_str()?.to_string(),
        };
        let more = b
            .get("error_description")
            .and_then(|d| d.as_str())
            .map(|d| format!(": {}", d.lines().next().unwrap_or("")))
            .unwrap_or_default();
        Some(format!("{text}{more}"))
    });
    Err(format!(
        "HTTP {}: {}",
        resp.status,
        described.unwrap_or_else(|| resp.error_text())
    ))
}

/// The tenant's OAuth2 token endpoint, `{authority}/{tenant}/oauth2/v2.0/token`.
fn token_url(tenant: &str) -> std::result::Result<String, String> {
    Ok(format!("{}/{tenant}/oauth2/v2.0/token", authority_host()?))
}

/// POSTs an OAuth2 token request to the tenant's token endpoint.
fn oauth2(tenant: &str, fields: &[(&str, &str)]) -> Outcome {
    let url = match token_url(tenant) {
        Ok(u) => u,
        Err(e) => return Outcome::Failed(e),
    };
    let req = Request::new(Method::Post, url).form(fields);
    match http::send(&req, &Policy::default()) {
        Ok(resp) => match token_from(&resp, "access_token") {
            Ok(t) => Outcome::Token(t),
            Err(e) => Outcome::Failed(e),
        },
        Err(e) => Outcome::Failed(e.message),
    }
}

fn environment(challenged: &str, scope: &str) -> Outcome {
    let (tenant, client) = (env("AZURE_TENANT_ID"), env("AZURE_CLIENT_ID"));
    if tenant.is_empty() || client.is_empty() {
        return Outcome::Unavailable("AZURE_TENANT_ID and AZURE_CLIENT_ID are not set".into());
    }
    let tenant = match resolve_tenant(&tenant, challenged) {
        Ok(t) => t,
        Err(e) => return Outcome::Failed(e),
    };
    let secret = Zeroizing::new(env("AZURE_CLIENT_SECRET"));
    if !secret.is_empty() {
        return oauth2(
            &tenant,
            &[
                ("client_id", &client),
                ("client_secret", &secret),
                ("grant_type", "client_credentials"),
                ("scope", scope),
            ],
        );
    }
    let certificate = env("AZURE_CLIENT_CERTIFICATE_PATH");
    if !certificate.is_empty() {
        let assertion = token_url(&tenant).and_then(|aud| {
            certificate::assertion(
                std::path::Path::new(&certificate),
                &client,
                &aud,
                env("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN").eq_ignore_ascii_case("true"),
            )
        });
        return match assertion {
            Ok(a) => assertion_grant(&tenant, &client, &a, scope),
            Err(e) => Outcome::Failed(e),
        };
    }
    let (user, password) = (env("AZURE_USERNAME"), Zeroizing::new(env("AZURE_PASSWORD")));
    if !user.is_empty() && !password.is_empty() {
        return oauth2(
            &tenant,
            &[
                ("client_id", &client),
                ("grant_type", "password"),
                ("username", &user),
                ("password", &password),
                ("scope", scope),
            ],
        );
    }
    Outcome::Unavailable(
        "none of AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or \
         AZURE_USERNAME/AZURE_PASSWORD is set"
            .into(),
    )
}

fn workload_identity(challenged: &str, scope: &str) -> Outcome {
    let (file, tenant, client) = (
        env("AZURE_FEDERATED_TOKEN_FILE"),
        env("AZURE_TENANT_ID"),
        env("AZURE_CLIENT_ID"),
    );
    if file.is_empty() || tenant.is_empty() || client.is_empty() {
        return Outcome::Unavailable(
            "AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID and AZURE_CLIENT_ID are not all set"
                .into(),
        );
    }
    let tenant = match resolve_tenant(&tenant, challenged) {
        Ok(t) => t,
        Err(e) => return Outcome::Failed(e),
    };
    // Read on every use: the platform rotates the file.
    let assertion = match std::fs::read_to_string(&file) {
        Ok(a) => Zeroizing::new(a.trim().to_string()),
        Err(e) => return Outcome::Failed(format!("cannot read {file}: {e}")),
    };
    assertion_grant(&tenant, &client, &assertion, scope)
}

/// Client credentials proven by a signed JWT (a federated token or a certificate's).
fn assertion_grant(tenant: &str, client: &str, assertion: &str, scope: &str) -> Outcome {
    oauth2(
        tenant,
        &[
            ("client_assertion", assertion),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_id", client),
            ("grant_type", "client_credentials"),
            ("scope", scope),
        ],
    )
}

/// The IMDS address (its fixed link-local one; `AZURE_POD_IDENTITY_AUTHORITY_HOST` moves it,
/// as in azidentity).
fn imds_base() -> String {
    let host = env("AZURE_POD_IDENTITY_AUTHORITY_HOST");
    if host.is_empty() {
        "http://169.254.169.254".into()
    } else {
        host.trim_end_matches('/').to_string()
    }
}

fn managed_identity(scope: &str) -> Outcome {
    let resource = scope.trim_end_matches("/.default");
    let client = env("AZURE_CLIENT_ID");
    let client_param = if client.is_empty() {
        String::new()
    } else {
        format!("&client_id={}", http::percent_encode(&client))
    };
    let (endpoint, header) = (env("IDENTITY_ENDPOINT"), env("IDENTITY_HEADER"));
    if !endpoint.is_empty() && !header.is_empty() {
        // App Service / Functions.
        let url = format!(
            "{endpoint}?api-version=2019-08-01&resource={}{client_param}",
            http::percent_encode(resource)
        );
        let req = Request::new(Method::Get, url).header("X-IDENTITY-HEADER", header);
        return match http::send(&req, &Policy::default()) {
            Ok(resp) => match token_from(&resp, "access_token") {
                Ok(t) => Outcome::Token(t),
                Err(e) => Outcome::Failed(e),
            },
            Err(e) => Outcome::Failed(e.message),
        };
    }
    let url = format!(
        "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource={}{client_param}",
        imds_base(),
        http::percent_encode(resource)
    );
    let req = Request::new(Method::Get, url).header("Metadata", "true");
    // The probe: one short attempt. No answer means no IMDS here.
    let probe = Policy {
        max_attempts: 1,
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(1),
        ..Policy::default()
    };
    let resp = match http::send(&req, &probe) {
        Ok(r) => r,
        Err(_) => return Outcome::Unavailable("no managed identity endpoint answered".into()),
    };
    // IMDS answers 400 when the machine has no identity assigned: not configured here.
    if resp.status == 400 {
        return Outcome::Unavailable(format!(
            "IMDS has no identity for this machine ({})",
            resp.error_text()
        ));
    }
    // An answer that is not JSON comes from something else on the way (a proxy, a captive
    // portal), not from IMDS: no managed identity here either (azidentity's probe agrees).
    if !resp.is_success() && resp.json().is_err() {
        return Outcome::Unavailable(format!(
            "something other than IMDS answered (HTTP {})",
            resp.status
        ));
    }
    match token_from(&resp, "access_token") {
        Ok(t) => Outcome::Token(t),
        Err(e) => Outcome::Failed(e),
    }
}

/// Runs a developer tool; `None` when it is not installed.
fn run_tool(program: &str, args: &[&str]) -> Option<std::io::Result<std::process::Output>> {
    match Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
    {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        other => Some(other),
    }
}

/// The token in a tool's JSON output, or why there is none (its stderr's first line).
fn tool_token(name: &str, out: std::io::Result<std::process::Output>, field: &str) -> Outcome {
    let out = match out {
        Ok(o) => o,
        Err(e) => return Outcome::Failed(format!("cannot run {name}: {e}")),
    };
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no message")
            .to_string();
        // Not logged in is "not configured", as in azidentity.
        return Outcome::Unavailable(format!("{name} failed: {line}"));
    }
    let token = serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .ok()
        .and_then(|v| v.get(field)?.as_str().map(str::to_string));
    match token {
        Some(t) => Outcome::Token(Zeroizing::new(t)),
        None => Outcome::Failed(format!("{name} printed no {field}")),
    }
}

fn azure_cli(tenant: &str, scope: &str) -> Outcome {
    let resource = scope.trim_end_matches("/.default");
    let mut args = vec![
        "account",
        "get-access-token",
        "-o",
        "json",
        "--resource",
        resource,
    ];
    if !tenant.is_empty() {
        args.extend(["--tenant", tenant]);
    }
    match run_tool("az", &args) {
        None => Outcome::Unavailable("Azure CLI not found on PATH".into()),
        Some(out) => tool_token("az", out, "accessToken"),
    }
}

fn azure_developer_cli(tenant: &str, scope: &str) -> Outcome {
    let mut args = vec!["auth", "token", "--output", "json", "--scope", scope];
    if !tenant.is_empty() {
        args.extend(["--tenant-id", tenant]);
    }
    match run_tool("azd", &args) {
        None => Outcome::Unavailable("Azure Developer CLI not found on PATH".into()),
        Some(out) => tool_token("azd", out, "token"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_errors_carry_the_service_description_only() {
        let resp = Response {
            status: 401,
            headers: Vec::new(),
            body: br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"}"#.to_vec().into(),
        };
        assert_eq!(
            token_from(&resp, "access_token").unwrap_err(),
            "HTTP 401: invalid_client: AADSTS7000215: Invalid client secret provided."
        );
        let ok = Response {
            status: 200,
            headers: Vec::new(),
            body: br#"{"access_token":"tok","expires_in":3599}"#.to_vec().into(),
        };
        assert_eq!(token_from(&ok, "access_token").unwrap().as_str(), "tok");
    }

    #[test]
    fn the_chain_can_be_narrowed() {
        assert_eq!(selection("").unwrap(), CHAIN);
        assert_eq!(
            selection("dev").unwrap(),
            ["AzureCLICredential", "AzureDeveloperCLICredential"]
        );
        assert_eq!(selection("PROD").unwrap(), CHAIN[..3]);
        assert_eq!(
            selection("azurecliCredential").unwrap(),
            ["AzureCLICredential"]
        );
        let e = selection("everything").unwrap_err();
        assert!(
            e.message.contains("AZURE_TOKEN_CREDENTIALS"),
            "{}",
            e.message
        );
    }

    #[test]
    fn tenants_from_challenges_need_permission() {
        assert_eq!(resolve_tenant("t1", "t1").unwrap(), "t1");
        assert_eq!(resolve_tenant("t1", "").unwrap(), "t1");
        let e = resolve_tenant("t1", "other-tenant-for-this-test").unwrap_err();
        assert!(e.contains("AZURE_ADDITIONALLY_ALLOWED_TENANTS"), "{e}");
    }
}
