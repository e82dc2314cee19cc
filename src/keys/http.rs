//! A small blocking HTTP(S) client for the key services that speak REST (HashiCorp Vault,
//! GCP Cloud KMS, Azure Key Vault, HuaweiCloud KMS).
//!
//! It reuses the HTTP/TLS stack the AWS SDK already brings in — hyper 1, hyper-util's
//! client, hyper-rustls with rustls and aws-lc-rs, a tokio current-thread runtime — rather
//! than a second stack or a vendor SDK per cloud, so the extra build cost is a few hundred
//! lines of our own code.
//!
//! Use: build a [`Request`], pick a [`Policy`] (timeouts, retries, TLS), call [`send`]. Every
//! answer the server gives is an `Ok(Response)`, whatever its status, once retries are over:
//! the caller knows what a 403 means for its service. `Err` means no usable answer (connection
//! refused, TLS failure, timeout), after the retries. Neither ever holds the request body or
//! its headers (tokens, key material); errors name the URL without its query.
//!
//! Retries (bounded, exponential backoff with jitter) cover 408, 429 and 5xx answers other
//! than 501, timeouts and connection errors; not TLS certificate errors, which a retry cannot
//! fix. A `Retry-After` in seconds is honoured up to the maximum backoff. No new attempt
//! starts after the policy's deadline. 307/308 redirects are followed (method, headers and
//! body kept), at most 5.
//!
//! `HTTPS_PROXY` / `NO_PROXY` apply to `https://` URLs (a CONNECT tunnel); plain `http://`
//! URLs (emulators, Vault dev servers) always go direct.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rand::Rng as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use zeroize::Zeroizing;

use crate::error::{Code, Error, Result};

/// Environment variable with the per-attempt timeout of every key service call (a number of
/// seconds, or a duration such as `500ms`, `2s`, `1m`); a service's own variable, such as
/// `VAULT_CLIENT_TIMEOUT`, wins for that service.
pub const SECRET_HTTP_TIMEOUT: &str = "SECRET_HTTP_TIMEOUT";

/// The largest response body read; key service answers are a few hundred bytes.
const MAX_BODY: usize = 4 << 20;

/// HTTP methods the key services use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
}

impl Method {
    fn as_hyper(self) -> hyper::Method {
        match self {
            Method::Get => hyper::Method::GET,
            Method::Post => hyper::Method::POST,
            Method::Put => hyper::Method::PUT,
        }
    }

    /// The method's name, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

/// One request. Headers and body may be secret: they never appear in errors.
#[derive(Clone)]
pub struct Request {
    pub method: Method,
    /// Absolute `http://` or `https://` URL.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Request {
    // Only what is not secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method.as_str(), redact_url(&self.url))
    }
}

impl Request {
    /// A request without headers or body.
    pub fn new(method: Method, url: impl Into<String>) -> Request {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = body.into();
        self
    }

    /// Sets a compact JSON body and `Content-Type: application/json`.
    pub fn json(self, value: &serde_json::Value) -> Request {
        self.header("Content-Type", "application/json")
            .body(value.to_string())
    }

    /// Sets an `application/x-www-form-urlencoded` body of `fields`, in order.
    pub fn form(self, fields: &[(&str, &str)]) -> Request {
        let text = zeroize::Zeroizing::new(
            fields
                .iter()
                .map(|(k, v)| format!("{k}={}", percent_encode(v)))
                .collect::<Vec<_>>()
                .join("&"),
        );
        self.header("Content-Type", "application/x-www-form-urlencoded")
            .body(text.as_bytes())
    }
}

/// A server's answer. The body may hold key material (a decrypt's answer): it is wiped when
/// dropped and left out of `Debug`.
#[derive(Clone)]
pub struct Response {
    pub status: u16,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} ({} bytes)", self.status, self.body.len())
    }
}

impl Response {
    /// The first header of that name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON.
    pub fn json(&self) -> std::result::Result<serde_json::Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("the answer is not JSON: {e}"))
    }

    /// The body of an error answer for a message: one line, at most 300 characters. Only
    /// for answers that cannot carry key material (errors, not a decrypt's success).
    pub fn error_text(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.chars().count() > 300 {
            line = line.chars().take(300).collect::<String>() + "…";
        }
        line
    }
}

/// How a call behaves: timeouts, retries, TLS trust.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// Time allowed to open the TCP connection.
    pub connect_timeout: Duration,
    /// Time allowed for one attempt: connect, TLS, send, and read the whole answer.
    pub timeout: Duration,
    /// No new attempt starts after this much time since the first (so a server that never
    /// answers costs about two timeouts, not five).
    pub deadline: Duration,
    /// Backoff before retry n is about `initial_backoff · 2^(n-1)`, capped at `max_backoff`,
    /// of which the upper half is random (jitter).
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// A PEM file of extra trusted CA certificates (added to the system roots).
    pub ca_file: Option<PathBuf>,
    /// A directory whose PEM files hold extra trusted CA certificates (added likewise).
    pub ca_dir: Option<PathBuf>,
    /// A PEM certificate chain and its PEM private key, presented when the server asks.
    pub client_identity: Option<(PathBuf, PathBuf)>,
    /// The name the server certificate must carry, instead of the URL's host.
    pub server_name: Option<String>,
    /// Accept any server certificate (`VAULT_SKIP_VERIFY`). Dangerous; opt-in only.
    pub insecure_skip_verify: bool,
}

impl Default for Policy {
    /// 5 attempts (4 failures in a row survived, about 3 s of backoff at most), 5 s to
    /// connect, 30 s per attempt or [`SECRET_HTTP_TIMEOUT`], no new attempt after 60 s,
    /// system roots.
    fn default() -> Policy {
        let timeout = std::env::var(SECRET_HTTP_TIMEOUT)
            .ok()
            .and_then(|t| parse_duration(&t))
            .unwrap_or(Duration::from_secs(30));
        Policy {
            max_attempts: 5,
            connect_timeout: Duration::from_secs(5).min(timeout),
            timeout,
            deadline: Duration::from_secs(60),
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            ca_file: None,
            ca_dir: None,
            client_identity: None,
            server_name: None,
            insecure_skip_verify: false,
        }
    }
}

impl Policy {
    /// The wait before retry `n` (1-based), jitter included.
    fn backoff(&self, n: u32) -> Duration {
        let full = self
            .initial_backoff
            .saturating_mul(1u32 << (n - 1).min(16))
            .min(self.max_backoff);
        let half = full / 2;
        half + half.mul_f64(rand::thread_rng().gen::<f64>())
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters: a form value or a URL
/// query value.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Parses a duration as Vault's client does: a bare number is seconds (fractions allowed),
/// else a number with `ms`, `s`, `m` or `h`. `None` when it is not one, or negative.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(secs).ok()
}

/// Whether an answer with this status is worth another attempt.
pub fn retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (status >= 500 && status != 501)
}

/// The URL for messages: scheme, host, port and path; no user info, no query.
pub fn redact_url(url: &str) -> String {
    match url.parse::<hyper::Uri>() {
        Ok(uri) => {
            format!(
                "{}://{}{}",
                uri.scheme_str().unwrap_or("?"),
                uri.host().unwrap_or(""),
                uri.port()
                    .map(|p| format!(":{}", p.as_u16()))
                    .unwrap_or_default()
            ) + uri.path()
        }
        Err(_) => url.split(['?', '#']).next().unwrap_or("").to_string(),
    }
}

/// Sends the request, retrying as the policy says. See the module documentation.
pub fn send(req: &Request, policy: &Policy) -> Result<Response> {
    let uri: hyper::Uri = req.url.parse().map_err(|e| {
        Error::new(
            Code::Generic,
            format!("invalid URL {}: {e}", redact_url(&req.url)),
        )
    })?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(Error::new(
            Code::Generic,
            format!(
                "invalid URL {}: expected http://HOST or https://HOST",
                redact_url(&req.url)
            ),
        ));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(Code::Generic, format!("cannot start the HTTP client: {e}")))?;
    let tls = tls_config(policy)?;
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(policy.connect_timeout));
    http.set_nodelay(true);
    let proxy = (uri.scheme_str() == Some("https"))
        .then(|| hyper_util::client::proxy::matcher::Matcher::from_env().intercept(&uri))
        .flatten();
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    let builder = match &policy.server_name {
        Some(name) => {
            let name = rustls::pki_types::ServerName::try_from(name.clone()).map_err(|_| {
                Error::new(
                    Code::Generic,
                    format!("TLS server name {name:?} is not a DNS name or IP address"),
                )
            })?;
            builder.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name))
        }
        None => builder,
    }
    .enable_http1();
    runtime.block_on(async {
        match proxy {
            None => {
                let connector = builder.wrap_connector(http);
                let client = Client::builder(TokioExecutor::new()).build(connector);
                with_retries(req, &uri, policy, |r| exchange(&client, r, policy)).await
            }
            Some(intercept) => {
                let mut tunnel = hyper_util::client::legacy::connect::proxy::Tunnel::new(
                    intercept.uri().clone(),
                    http,
                );
                if let Some(auth) = intercept.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                let connector = builder.wrap_connector(tunnel);
                let client = Client::builder(TokioExecutor::new()).build(connector);
                with_retries(req, &uri, policy, |r| exchange(&client, r, policy)).await
            }
        }
    })
}

/// Redirects (307/308, which keep the method and body) followed at most.
const MAX_REDIRECTS: u32 = 5;

/// Where a `Location` header sends a request to `from`: an absolute http(s) URL, or a path on
/// the same server.
fn redirect_target(from: &hyper::Uri, location: &str) -> Option<hyper::Uri> {
    let target = if location.starts_with('/') {
        format!(
            "{}://{}{location}",
            from.scheme_str()?,
            from.authority()?.as_str()
        )
    } else {
        location.to_string()
    };
    let uri: hyper::Uri = target.parse().ok()?;
    matches!(uri.scheme_str(), Some("http" | "https")).then_some(uri)
}

/// Why one attempt got no answer.
struct Failure {
    text: String,
    retryable: bool,
}

/// Runs attempts until an answer that needs no retry, or the attempts run out.
async fn with_retries<F, Fut>(
    req: &Request,
    uri: &hyper::Uri,
    policy: &Policy,
    attempt: F,
) -> Result<Response>
where
    F: Fn(hyper::Request<Full<Bytes>>) -> Fut,
    Fut: std::future::Future<Output = std::result::Result<Response, Failure>>,
{
    let started = Instant::now();
    let attempts = policy.max_attempts.max(1);
    let mut uri = uri.clone();
    let mut redirects = 0;
    let mut n = 0;
    // Shared by every worker of the run talking to this host.
    let limiter = crate::keys::ratelimit::for_service(
        uri.authority().map(|a| a.as_str()).unwrap_or_default(),
        "SECRET_HTTP_RATE",
        crate::keys::ratelimit::HTTP_DEFAULT_RATE,
    );
    loop {
        n += 1;
        let turn = limiter.reserve(Instant::now());
        if !turn.is_zero() {
            tokio::time::sleep(turn).await;
        }
        let outcome = attempt(build(req, &uri)?).await;
        match &outcome {
            Ok(resp) if resp.status == 429 => limiter.throttled(),
            Ok(resp) if resp.status < 400 => limiter.succeeded(),
            _ => {}
        }
        let last = n >= attempts || started.elapsed() >= policy.deadline;
        let wait = match outcome {
            // A Vault standby sends clients to the active node this way.
            Ok(resp) if matches!(resp.status, 307 | 308) && redirects < MAX_REDIRECTS => match resp
                .header("location")
                .and_then(|l| redirect_target(&uri, l))
            {
                Some(target) => {
                    uri = target;
                    redirects += 1;
                    n -= 1;
                    continue;
                }
                None => return Ok(resp),
            },
            Ok(resp) if !retryable_status(resp.status) || last => return Ok(resp),
            Ok(resp) => {
                let asked = resp
                    .header("retry-after")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs)
                    .unwrap_or_default();
                policy.backoff(n).max(asked.min(policy.max_backoff))
            }
            Err(f) if !f.retryable || last => {
                let tries = if n == 1 {
                    String::new()
                } else {
                    format!(
                        " (after {n} attempts over {:.1} s)",
                        started.elapsed().as_secs_f64()
                    )
                };
                return Err(Error::new(
                    Code::Generic,
                    format!(
                        "{} {}: {}{tries}",
                        req.method.as_str(),
                        redact_url(&req.url),
                        f.text
                    ),
                ));
            }
            Err(_) => policy.backoff(n),
        };
        tokio::time::sleep(wait).await;
    }
}

/// The hyper request for one attempt.
fn build(req: &Request, uri: &hyper::Uri) -> Result<hyper::Request<Full<Bytes>>> {
    let mut b = hyper::Request::builder()
        .method(req.method.as_hyper())
        .uri(uri.clone());
    for (name, value) in &req.headers {
        b = b.header(name.as_str(), value.as_str());
    }
    b.body(Full::new(Bytes::from(req.body.clone())))
        .map_err(|_| {
            // The hyper error would name the offending header, whose value may be a token.
            Error::new(
                Code::Generic,
                format!(
                    "cannot build the request {} {}: a header name or value is invalid",
                    req.method.as_str(),
                    redact_url(&req.url)
                ),
            )
        })
}

/// One attempt: send, read the whole answer, within the policy's timeout.
async fn exchange<C>(
    client: &Client<C, Full<Bytes>>,
    req: hyper::Request<Full<Bytes>>,
    policy: &Policy,
) -> std::result::Result<Response, Failure>
where
    C: hyper_util::client::legacy::connect::Connect + Clone + Send + Sync + 'static,
{
    let work = async {
        let resp = client.request(req).await.map_err(|e| Failure {
            retryable: !is_certificate_error(&e),
            text: crate::error::source_chain(&e),
        })?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = Limited::new(resp.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| Failure {
                retryable: true,
                text: format!("reading the answer: {e}"),
            })?
            .to_bytes()
            .to_vec()
            .into();
        Ok(Response {
            status,
            headers,
            body,
        })
    };
    match tokio::time::timeout(policy.timeout, work).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Failure {
            retryable: true,
            text: format!(
                "no answer within {:.1} s (timeout; see {SECRET_HTTP_TIMEOUT})",
                policy.timeout.as_secs_f64()
            ),
        }),
    }
}

/// Whether the failure is the server's certificate being refused.
fn is_certificate_error(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return matches!(
                tls,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            );
        }
        // The TLS connector hands rustls' error on inside an io::Error, whose `source()`
        // does not lead to it; its text is rustls' own.
        if e.downcast_ref::<std::io::Error>().is_some() {
            let text = e.to_string();
            return text.starts_with("invalid peer certificate")
                || text.starts_with("peer sent no certificates");
        }
        cur = e.source();
    }
    false
}

/// The machine's trusted roots (`SSL_CERT_FILE` / `SSL_CERT_DIR` honoured), loaded once.
fn system_roots() -> &'static rustls::RootCertStore {
    static ROOTS: OnceLock<rustls::RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        // Unreadable entries are skipped, as Go does: a missing root shows up as a clear
        // certificate error on use.
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        roots
    })
}

fn tls_config(policy: &Policy) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(Code::Generic, format!("cannot set up TLS: {e}")))?;
    let builder = if policy.insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
    } else {
        let mut roots = system_roots().clone();
        if let Some(path) = &policy.ca_file {
            add_roots(&mut roots, path, false)?;
        }
        if let Some(dir) = &policy.ca_dir {
            add_root_dir(&mut roots, dir)?;
        }
        builder.with_root_certificates(roots)
    };
    match &policy.client_identity {
        None => Ok(builder.with_no_client_auth()),
        Some((cert, key)) => {
            let (chain, key) = client_identity(cert, key)?;
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                tls_file_error(
                    "client certificate",
                    cert,
                    &format!("not usable with its key: {e}"),
                )
            })
        }
    }
}

/// An error about a TLS file: `what` (such as "CA certificate file") names its role.
fn tls_file_error(what: &str, path: &std::path::Path, why: &str) -> Error {
    Error::new(Code::Generic, format!("{what} {}: {why}", path.display()))
}

/// Adds the certificates of a PEM file to `roots`; a file without any is an error unless
/// `lenient` (a file of a CA directory, which may hold anything).
fn add_roots(
    roots: &mut rustls::RootCertStore,
    path: &std::path::Path,
    lenient: bool,
) -> Result<()> {
    let bad = |why: String| tls_file_error("CA certificate file", path, &why);
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let mut added = 0;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| bad(format!("not valid PEM: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| bad(format!("not a usable CA certificate: {e}")))?;
        added += 1;
    }
    if added == 0 && !lenient {
        return Err(bad("no PEM certificate in it".into()));
    }
    Ok(())
}

/// Adds the certificates of every PEM file in `dir` (as Vault's `VAULT_CAPATH`).
fn add_root_dir(roots: &mut rustls::RootCertStore, dir: &std::path::Path) -> Result<()> {
    let what = "CA certificate directory";
    let bad = |e: std::io::Error| tls_file_error(what, dir, &e.to_string());
    let before = roots.len();
    for entry in std::fs::read_dir(dir).map_err(bad)? {
        let path = entry.map_err(bad)?.path();
        if path.is_file() {
            add_roots(roots, &path, true)?;
        }
    }
    if roots.len() == before {
        return Err(tls_file_error(what, dir, "no PEM certificate in it"));
    }
    Ok(())
}

/// The certificate chain and private key of a client certificate, from PEM files.
fn client_identity(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<(
    Vec<CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
)> {
    let (cert_file, key_file) = ("client certificate", "client key");
    let pem = std::fs::read(cert).map_err(|e| tls_file_error(cert_file, cert, &e.to_string()))?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| tls_file_error(cert_file, cert, &format!("not valid PEM: {e}")))?;
    if chain.is_empty() {
        return Err(tls_file_error(cert_file, cert, "no PEM certificate in it"));
    }
    let pem = std::fs::read(key).map_err(|e| tls_file_error(key_file, key, &e.to_string()))?;
    let pem = Zeroizing::new(pem);
    let key_der = rustls::pki_types::PrivateKeyDer::from_pem_slice(&pem).map_err(|_| {
        tls_file_error(
            key_file,
            key,
            "no PEM private key (PKCS#8, RSA or EC) in it",
        )
    })?;
    Ok((chain, key_der))
}

/// The verifier behind `insecure_skip_verify`: any certificate is taken, but the handshake
/// signatures are still checked (so the connection is at least to the certificate's holder).
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A tiny scripted HTTP/1.1 server for unit tests of the REST key services: it answers each
/// connection with the next canned response and records what it received.
#[cfg(test)]
pub(crate) mod test_server {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    /// A request as the server saw it.
    #[derive(Debug, Clone)]
    pub struct Seen {
        pub method: String,
        pub path: String,
        /// Lower-cased names.
        pub headers: Vec<(String, String)>,
        pub body: Vec<u8>,
    }

    impl Seen {
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }
    }

    /// What to do with one connection.
    pub enum Reply {
        /// Answer with this status and body.
        With(u16, &'static str),
        /// Answer with this status and a `Location` header.
        Redirect(u16, String),
        /// Read the request, then hold the connection without answering.
        Silence,
    }

    /// Starts the server on 127.0.0.1 with these replies (one per connection, in order; the
    /// last one repeats). Returns its base URL and the requests seen.
    pub fn start(replies: Vec<Reply>) -> (String, Arc<Mutex<Vec<Seen>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for (i, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or("").to_string();
                let path = parts.next().unwrap_or("").to_string();
                let mut headers = Vec::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                    if let Some((n, v)) = h.split_once(':') {
                        headers.push((n.trim().to_lowercase(), v.trim().to_string()));
                    }
                }
                let len = headers
                    .iter()
                    .find(|(n, _)| n == "content-length")
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                log.lock().unwrap().push(Seen {
                    method,
                    path,
                    headers,
                    body,
                });
                match replies.get(i).or(replies.last()) {
                    Some(Reply::With(status, text)) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                             Content-Length: {}\r\nConnection: close\r\n\r\n{text}",
                            text.len()
                        );
                    }
                    Some(Reply::Redirect(status, location)) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 {status} X\r\nLocation: {location}\r\n\
                             Content-Length: 0\r\nConnection: close\r\n\r\n"
                        );
                    }
                    Some(Reply::Silence) | None => held.push(stream),
                }
            }
        });
        (url, seen)
    }
}

#[cfg(test)]
mod tests {
    use super::test_server::{start, Reply};
    use super::*;

    fn quick() -> Policy {
        Policy {
            max_attempts: 5,
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            deadline: Duration::from_secs(60),
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            ..Policy::default()
        }
    }

    #[test]
    fn sends_method_path_headers_and_body() {
        let (url, seen) = start(vec![Reply::With(200, r#"{"ok":true}"#)]);
        let req = Request::new(Method::Put, format!("{url}/v1/a/b?x=1"))
            .header("X-Token", "t0k")
            .json(&serde_json::json!({"k": "v"}));
        let resp = send(&req, &quick()).unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.json().unwrap()["ok"], true);
        assert_eq!(resp.header("Content-Type"), Some("application/json"));
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].method, "PUT");
        assert_eq!(seen[0].path, "/v1/a/b?x=1");
        assert_eq!(seen[0].header("x-token"), Some("t0k"));
        assert_eq!(seen[0].header("content-type"), Some("application/json"));
        assert_eq!(seen[0].body, br#"{"k":"v"}"#);
    }

    #[test]
    fn four_throttles_or_server_errors_in_a_row_are_survived() {
        let (url, seen) = start(vec![
            Reply::With(429, "slow down"),
            Reply::With(503, "busy"),
            Reply::With(500, "oops"),
            Reply::With(502, "bad gateway"),
            Reply::With(200, "fine"),
        ]);
        let resp = send(&Request::new(Method::Post, url), &quick()).unwrap();
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"fine"[..]));
        assert_eq!(format!("{resp:?}"), "HTTP 200 (4 bytes)");
        assert_eq!(seen.lock().unwrap().len(), 5);
    }

    #[test]
    fn retries_are_bounded_and_the_last_answer_is_returned() {
        let (url, seen) = start(vec![Reply::With(503, r#"{"errors":["sealed"]}"#)]);
        let policy = Policy {
            max_attempts: 3,
            ..quick()
        };
        let resp = send(&Request::new(Method::Get, url), &policy).unwrap();
        assert_eq!(resp.status, 503);
        assert_eq!(resp.error_text(), r#"{"errors":["sealed"]}"#);
        assert_eq!(seen.lock().unwrap().len(), 3);
    }

    #[test]
    fn client_errors_are_not_retried() {
        for status in [400, 401, 403, 404, 501] {
            let (url, seen) = start(vec![Reply::With(status, "no")]);
            let resp = send(&Request::new(Method::Get, url), &quick()).unwrap();
            assert_eq!(resp.status, status);
            assert_eq!(seen.lock().unwrap().len(), 1, "{status}");
        }
    }

    #[test]
    fn a_silent_server_times_out_with_a_clear_error() {
        let (url, seen) = start(vec![Reply::Silence]);
        let policy = Policy {
            max_attempts: 2,
            timeout: Duration::from_millis(200),
            ..quick()
        };
        let req = Request::new(Method::Put, format!("{url}/v1/k?token=hide"))
            .header("X-Vault-Token", "s3cr3t-token")
            .body("s3cr3t-body");
        let err = send(&req, &policy).unwrap_err();
        assert!(
            err.message.starts_with(&format!("PUT {url}/v1/k: ")),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("no answer within 0.2 s"),
            "{}",
            err.message
        );
        assert!(err.message.contains("after 2 attempts"), "{}", err.message);
        for secret in ["hide", "s3cr3t"] {
            assert!(!err.message.contains(secret), "{}", err.message);
        }
        assert_eq!(seen.lock().unwrap().len(), 2);
    }

    #[test]
    fn connection_refused_is_an_error_naming_the_url() {
        // A port that was free a moment ago: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = send(
            &Request::new(Method::Get, format!("http://127.0.0.1:{port}/x")),
            &quick(),
        )
        .unwrap_err();
        assert!(
            err.message
                .starts_with(&format!("GET http://127.0.0.1:{port}/x: ")),
            "{}",
            err.message
        );
        assert!(err.message.contains("after 5 attempts"), "{}", err.message);
    }

    #[test]
    fn bad_urls_and_ca_files_are_reported() {
        let err = send(&Request::new(Method::Get, "ftp://h/x"), &quick()).unwrap_err();
        assert!(err.message.contains("expected http://"), "{}", err.message);
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "not a certificate\n").unwrap();
        let policy = Policy {
            ca_file: Some(ca.clone()),
            ..quick()
        };
        let err = send(&Request::new(Method::Get, "https://127.0.0.1:1/"), &policy).unwrap_err();
        assert!(
            err.message
                .contains(&format!("CA certificate file {}", ca.display())),
            "{}",
            err.message
        );
    }

    #[test]
    fn form_values_are_percent_encoded() {
        let req = Request::new(Method::Post, "https://login.example/token").form(&[
            ("scope", "https://vault.azure.net/.default"),
            ("client_secret", "a b&c=d~"),
        ]);
        assert_eq!(
            String::from_utf8(req.body.to_vec()).unwrap(),
            "scope=https%3A%2F%2Fvault.azure.net%2F.default&client_secret=a%20b%26c%3Dd~"
        );
        assert_eq!(
            req.headers,
            [(
                "Content-Type".to_string(),
                "application/x-www-form-urlencoded".to_string()
            )]
        );
    }

    #[test]
    fn everything_but_unreserved_characters_is_percent_encoded() {
        assert_eq!(
            percent_encode("urn:ietf:params a+b/c~d_e.f-g"),
            "urn%3Aietf%3Aparams%20a%2Bb%2Fc~d_e.f-g"
        );
        assert_eq!(percent_encode("é"), "%C3%A9");
    }

    #[test]
    fn ca_directories_and_client_identities_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "no certificates here\n").unwrap();
        let policy = Policy {
            ca_dir: Some(dir.path().to_path_buf()),
            ..quick()
        };
        let err = tls_config(&policy).unwrap_err();
        assert!(
            err.message.contains("CA certificate directory") && err.message.contains("no PEM"),
            "{}",
            err.message
        );
        let cert = dir.path().join("notes.txt");
        let policy = Policy {
            client_identity: Some((cert.clone(), cert.clone())),
            ..quick()
        };
        let err = tls_config(&policy).unwrap_err();
        assert!(
            err.message.contains(&format!(
                "client certificate {}: no PEM certificate",
                cert.display()
            )),
            "{}",
            err.message
        );
        let policy = Policy {
            server_name: Some("not a name".into()),
            ..quick()
        };
        let err = send(&Request::new(Method::Get, "https://127.0.0.1:1/"), &policy).unwrap_err();
        assert!(err.message.contains("is not a DNS name"), "{}", err.message);
    }

    #[test]
    fn temporary_redirects_are_followed_with_method_and_body() {
        let (target, seen_there) = start(vec![Reply::With(200, "moved here")]);
        let (url, seen) = start(vec![Reply::Redirect(307, format!("{target}/v1/x"))]);
        let req = Request::new(Method::Put, format!("{url}/v1/x")).body("payload");
        let resp = send(&req, &quick()).unwrap();
        assert_eq!(resp.body.as_slice(), b"moved here");
        assert_eq!(seen.lock().unwrap().len(), 1);
        let there = seen_there.lock().unwrap();
        assert_eq!(
            (there[0].method.as_str(), there[0].path.as_str()),
            ("PUT", "/v1/x")
        );
        assert_eq!(there[0].body, b"payload");
    }

    #[test]
    fn no_attempt_starts_after_the_deadline() {
        let (url, seen) = start(vec![Reply::With(503, "busy")]);
        let policy = Policy {
            deadline: Duration::ZERO,
            ..quick()
        };
        assert_eq!(
            send(&Request::new(Method::Get, url), &policy)
                .unwrap()
                .status,
            503
        );
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn durations_parse_like_vault() {
        assert_eq!(parse_duration("60"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_duration("-1"), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let p = Policy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            ..quick()
        };
        for _ in 0..50 {
            let b1 = p.backoff(1);
            assert!(b1 >= Duration::from_millis(50) && b1 <= Duration::from_millis(100));
            let b3 = p.backoff(3);
            assert!(b3 >= Duration::from_millis(200) && b3 <= Duration::from_millis(400));
            assert!(p.backoff(30) <= Duration::from_millis(1000));
        }
    }

    #[test]
    fn urls_are_redacted_for_messages() {
        assert_eq!(
            redact_url("https://user:pw@h.example:8200/v1/x?token=1"),
            "https://h.example:8200/v1/x"
        );
        assert_eq!(redact_url("not a url?q"), "not a url");
    }
}
