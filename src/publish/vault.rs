//! Vault KV writes for `publish` (sops' `publish/vault.go`): the file's top-level map as a
//! JSON object, at `<mount>data/<path><name>` (KV v2, skipped when the stored data is the
//! same) or `<mount><path><name>` (KV v1). The token comes from `VAULT_TOKEN` only, as in
//! sops' publish (not `~/.vault-token`).

use crate::error::{Code, Error, Result};
use crate::keys::http::{self, Method, Policy, Request};
use serde_json::{json, Value};

/// Where one secret goes.
pub struct KvTarget<'a> {
    /// The rule's `vault_address` (empty: `VAULT_ADDR`, else Vault's default).
    pub address: &'a str,
    /// With a trailing `/`.
    pub mount: &'a str,
    /// With a trailing `/`.
    pub path: &'a str,
    pub name: &'a str,
    pub kv_version: u8,
}

impl KvTarget<'_> {
    /// The URL of the secret.
    fn url(&self) -> String {
        let data = if self.kv_version == 1 { "" } else { "data/" };
        format!(
            "{}/v1/{}{data}{}{}",
            super::vault_address(self.address),
            self.mount,
            self.path,
            self.name
        )
    }
}

/// Writes `json` (the text of a JSON object) to the target.
pub fn write(target: &KvTarget, json: &[u8]) -> Result<()> {
    let url = target.url();
    let fail = |why: String| {
        Error::new(
            Code::Generic,
            format!("failed to publish to {}: {why}", http::redact_url(&url)),
        )
    };
    // Parsed into serde_json's sorted maps: sops sends the keys sorted.
    let data: Value =
        serde_json::from_slice(json).map_err(|e| fail(format!("not a JSON object: {e}")))?;
    let token = std::env::var("VAULT_TOKEN").unwrap_or_default();
    let request = |method: Method| {
        let req = Request::new(method, url.clone());
        if token.is_empty() {
            req
        } else {
            req.header("X-Vault-Token", token.clone())
        }
    };
    let policy = Policy::default();
    let current = http::send(&request(Method::Get), &policy).map_err(|e| fail(e.message))?;
    // sops compares with `data.data` whatever the version, so KV v1 is always written.
    let unchanged = current.is_success()
        && current
            .json()
            .ok()
            .and_then(|v| v.get("data")?.get("data").cloned())
            == Some(data.clone());
    if unchanged {
        return Ok(());
    }
    let body = if target.kv_version == 1 {
        data
    } else {
        json!({ "data": data })
    };
    let answer =
        http::send(&request(Method::Put).json(&body), &policy).map_err(|e| fail(e.message))?;
    if !answer.is_success() {
        return Err(fail(format!(
            "HTTP {}: {}",
            answer.status,
            answer.error_text()
        )));
    }
    Ok(())
}
