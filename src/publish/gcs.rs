//! Google Cloud Storage uploads for `publish`, as sops' `publish/gcs.go` makes them: the
//! object `name` in `bucket`, with application default credentials (the same lookup as GCP
//! KMS keys), or, when `STORAGE_EMULATOR_HOST` is set, to that emulator without credentials.

use crate::error::{Code, Error, Result};
use crate::keys::google_auth;
use crate::keys::http::{self, Method, Policy, Request};

const ENDPOINT: &str = "https://storage.googleapis.com";

/// Stores `bytes` as object `name` of `bucket`.
pub fn put_object(bucket: &str, name: &str, bytes: Vec<u8>) -> Result<()> {
    let fail = |why: String| {
        Error::new(
            Code::Generic,
            format!("failed to upload to gcs://{bucket}/{name}: {why}"),
        )
    };
    let policy = Policy::default();
    let emulator = std::env::var("STORAGE_EMULATOR_HOST")
        .ok()
        .filter(|h| !h.is_empty());
    let endpoint = match &emulator {
        Some(host) if host.contains("://") => host.trim_end_matches('/').to_string(),
        Some(host) => format!("http://{}", host.trim_end_matches('/')),
        None => ENDPOINT.to_string(),
    };
    let url = format!(
        "{endpoint}/upload/storage/v1/b/{}/o?uploadType=media&name={}",
        http::percent_encode(bucket),
        http::percent_encode(name)
    );
    // Go's client sniffs the type; every sops file is text to it.
    let content_type = if std::str::from_utf8(&bytes).is_ok() {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    let mut req = Request::new(Method::Post, url)
        .header("Content-Type", content_type)
        .body(bytes);
    if emulator.is_none() {
        let token = google_auth::access_token(&policy).map_err(|e| fail(e.message))?;
        req = req.header("Authorization", format!("Bearer {}", token.as_str()));
    }
    let resp = http::send(&req, &policy).map_err(|e| fail(e.message))?;
    if !resp.is_success() {
        return Err(fail(format!(
            "googleapi: Error {}: {}",
            resp.status,
            resp.error_text()
        )));
    }
    Ok(())
}
