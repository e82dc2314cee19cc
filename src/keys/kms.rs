//! AWS KMS master keys, as sops 3.11 uses them (`kms/keysource.go`).
//!
//! Wrapping is one KMS `Encrypt` call (`KeyId` = the ARN, the data key or Shamir share as
//! plaintext, the key's encryption context); `enc` is the standard base64 of the returned
//! `CiphertextBlob`. Unwrapping is one KMS `Decrypt` call with the blob, the ARN and the same
//! context. The region always comes from the ARN. Credentials come from the AWS SDK's default
//! chain (environment, shared config and credentials files, SSO, web identity, container and
//! instance metadata), from the entry's `aws_profile` when set, and, when the entry has a
//! `role`, from assuming that role through STS first. Endpoints follow the standard
//! `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_KMS` variables.
//!
//! The AWS SDK sits behind the cargo feature `aws` (on by default). Nothing AWS-related —
//! no async runtime, no client, no credential lookup — happens before a KMS key is used.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use base64::prelude::{Engine as _, BASE64_STANDARD};
use regex::Regex;
use zeroize::Zeroizing;

use super::{Entry, Keyring, MasterKey};
use crate::error::{Code, Error, Result};
use crate::tree::{self, Item, Map, Node};

/// An encryption context: string pairs, kept sorted by key (as sops writes them).
pub type EncryptionContext = BTreeMap<String, String>;

/// One AWS KMS master key as stored in the sops metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsMasterKey {
    /// Key or alias ARN.
    pub arn: String,
    /// IAM role ARN to assume first (empty: none).
    pub role: String,
    /// Encryption context given to every Encrypt and Decrypt call.
    pub context: EncryptionContext,
    /// When the key entry was created: RFC 3339, UTC, whole seconds.
    pub created_at: String,
    /// Standard base64 of the KMS ciphertext blob (empty until wrapped).
    pub enc: String,
    /// Shared-config profile to take credentials from (empty: the default chain).
    pub aws_profile: String,
}

fn arn_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)/.+$").expect("valid regex")
    })
}

/// Parses `--encryption-context` (`key:value,key2:value2`) as sops does: every item must split
/// into exactly two parts at `:`; anything else is exit 6. An empty string is no context.
pub fn parse_context(text: &str) -> Result<EncryptionContext> {
    let mut out = EncryptionContext::new();
    if text.is_empty() {
        return Ok(out);
    }
    for item in text.split(',') {
        let parts: Vec<&str> = item.split(':').collect();
        if parts.len() != 2 {
            return Err(Error::new(
                Code::InvalidKmsEncryptionContextFormat,
                format!(
                    "invalid KMS encryption context format {text:?}: \
                     expected key:value pairs separated by commas (item {item:?})"
                ),
            ));
        }
        out.insert(parts[0].to_string(), parts[1].to_string());
    }
    Ok(out)
}

impl KmsMasterKey {
    /// A new key entry (not yet wrapped), created now.
    pub fn new(
        arn: &str,
        role: &str,
        context: EncryptionContext,
        aws_profile: &str,
    ) -> KmsMasterKey {
        KmsMasterKey {
            arn: arn.to_string(),
            role: role.to_string(),
            context,
            created_at: crate::timefmt::now_utc(),
            enc: String::new(),
            aws_profile: aws_profile.to_string(),
        }
    }

    /// Reads a `kms` entry of the metadata.
    pub fn from_map(entry: &Map) -> Result<KmsMasterKey> {
        let fields = Entry::new(entry, "kms");
        let arn = fields.required("arn")?;
        let context = tree::string_map(tree::get(entry, "context"))
            .map_err(|()| fields.error(format!("the context of {arn} is not a map")))?
            .unwrap_or_default();
        Ok(KmsMasterKey {
            role: fields.text("role").unwrap_or_default(),
            context,
            created_at: fields.created_at(&arn)?,
            enc: fields.text("enc").unwrap_or_default(),
            aws_profile: fields.text("aws_profile").unwrap_or_default(),
            arn,
        })
    }

    /// The region named by the ARN.
    pub fn region(&self) -> Result<String> {
        arn_regex()
            .captures(&self.arn)
            .map(|c| c[1].to_string())
            .ok_or_else(|| {
                Error::new(
                    Code::Generic,
                    format!(
                        "no valid ARN found in {:?} (expected arn:aws:kms:REGION:ACCOUNT:key/ID \
                         or …:alias/NAME)",
                        self.arn
                    ),
                )
            })
    }

    /// Who the key is, for messages: the ARN, plus the role and profile when set.
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    fn who(&self) -> String {
        let mut s = self.arn.clone();
        if !self.role.is_empty() {
            s.push_str(&format!(" (role {})", self.role));
        }
        if !self.aws_profile.is_empty() {
            s.push_str(&format!(" (profile {})", self.aws_profile));
        }
        s
    }
}

impl MasterKey for KmsMasterKey {
    fn kind(&self) -> &'static str {
        "kms"
    }

    fn describe(&self) -> String {
        self.arn.clone()
    }

    fn wrap(&mut self, data_key: &[u8]) -> Result<()> {
        self.region()?;
        let blob = client::encrypt(self, data_key)?;
        self.enc = BASE64_STANDARD.encode(blob);
        Ok(())
    }

    fn unwrap(&self, _keyring: &Keyring) -> Result<Zeroizing<Vec<u8>>> {
        let fail = |msg: String| Error::new(Code::CouldNotRetrieveKey, msg);
        self.region().map_err(|e| fail(e.message))?;
        let blob = BASE64_STANDARD.decode(self.enc.trim()).map_err(|e| {
            fail(format!(
                "the enc field of {} is not valid base64: {e}",
                self.arn
            ))
        })?;
        client::decrypt(self, &blob).map_err(|e| fail(e.message))
    }

    fn to_map(&self) -> Map {
        let mut out = Map::new();
        let pair = |k: &str, v: Node| Item::Pair(k.into(), v);
        out.push(pair("arn", Node::str(&self.arn)));
        if !self.role.is_empty() {
            out.push(pair("role", Node::str(&self.role)));
        }
        if !self.context.is_empty() {
            let ctx = self
                .context
                .iter()
                .map(|(k, v)| pair(k, Node::str(v)))
                .collect();
            out.push(pair("context", Node::Map(ctx)));
        }
        out.push(pair("created_at", Node::str(&self.created_at)));
        out.push(pair("enc", Node::str(&self.enc)));
        out.push(pair("aws_profile", Node::str(&self.aws_profile)));
        out
    }

    fn clone_box(&self) -> Box<dyn MasterKey> {
        Box::new(self.clone())
    }
}

/// The STS session name sops uses when assuming a role: `sops@<hostname>` with every
/// character outside Go's class `[a-zA-Z0-9=,.@-_]` removed (`@-_` there is the range
/// `@`..`_`, so `-` itself goes too), at most 64 characters.
#[cfg_attr(not(feature = "aws"), allow(dead_code))] // and by the unit tests
pub fn sts_session_name(hostname: &str) -> String {
    let kept: String = hostname
        .chars()
        .filter(|&c| c.is_ascii_alphanumeric() || matches!(c, '=' | ',' | '.' | '@'..='_'))
        .collect();
    let mut name = format!("sops@{kept}");
    name.truncate(64);
    name
}

#[cfg(not(feature = "aws"))]
mod client {
    use super::KmsMasterKey;
    use crate::error::{Error, Result};
    use zeroize::Zeroizing;

    fn unsupported() -> Error {
        crate::keys::built_without("AWS", "AWS KMS keys", "aws")
    }

    pub fn encrypt(_key: &KmsMasterKey, _plaintext: &[u8]) -> Result<Vec<u8>> {
        Err(unsupported())
    }

    pub fn decrypt(_key: &KmsMasterKey, _blob: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        Err(unsupported())
    }
}

#[cfg(feature = "aws")]
mod client {
    //! The AWS SDK side: one lazily created current-thread runtime per process, one KMS
    //! client per (region, profile, role), bounded retries with backoff and jitter.

    use super::KmsMasterKey;
    use crate::error::{Code, Error, Result};
    use crate::keys::ratelimit;
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    use aws_config::{BehaviorVersion, Region};
    use aws_sdk_kms::config::http::HttpResponse;
    use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
    use aws_sdk_kms::primitives::Blob;
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant};
    use zeroize::Zeroizing;

    /// Attempts per KMS call, the first included: survives 7 throttles or 5xx in a row.
    pub const MAX_ATTEMPTS: u32 = 8;
    /// Backoff before retry n (n = 1, 2, …) is uniformly random in
    /// `[0, min(INITIAL·2^(n-1), MAX)]` (the SDK's full-jitter exponential backoff): at most
    /// 0.5 + 1 + 2 + 4 + 5 + 5 + 5 = 22.5 s of waiting for all retries, about half on average.
    const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
    const MAX_BACKOFF: Duration = Duration::from_secs(5);
    /// One attempt (connect, send, read the answer) may take this long.
    const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
    /// A whole call, retries and backoff included, ends after this: a hard bound.
    const OPERATION_TIMEOUT: Duration = Duration::from_secs(28);

    type ClientKey = (String, String, String);

    fn runtime() -> Result<&'static tokio::runtime::Runtime> {
        static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> =
            OnceLock::new();
        RUNTIME
            .get_or_init(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| {
                Error::new(
                    Code::Generic,
                    format!("cannot start the AWS client runtime: {e}"),
                )
            })
    }

    /// Whether the user chose the retry behaviour through the SDK's own variables; then
    /// theirs applies instead of ours.
    fn user_retry_config() -> bool {
        ["AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
    }

    /// The machine's host name as Go's `os.Hostname` finds it.
    fn hostname() -> String {
        if let Ok(s) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
            let s = s.trim_end_matches('\n');
            if !s.is_empty() {
                return s.to_string();
            }
        }
        #[cfg(unix)]
        {
            let mut buf = [0u8; 256];
            // SAFETY: the buffer is valid for its length; gethostname writes at most that.
            let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
            if rc == 0 {
                let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
                return String::from_utf8_lossy(&buf[..end]).into_owned();
            }
        }
        std::env::var("COMPUTERNAME")
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_default()
    }

    async fn build_client(region: &str, profile: &str, role: &str) -> aws_sdk_kms::Client {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .operation_timeout(OPERATION_TIMEOUT)
                    .build(),
            );
        if !user_retry_config() {
            loader = loader.retry_config(
                RetryConfig::standard()
                    .with_max_attempts(MAX_ATTEMPTS)
                    .with_initial_backoff(INITIAL_BACKOFF)
                    .with_max_backoff(MAX_BACKOFF),
            );
        }
        if !profile.is_empty() {
            loader = loader.profile_name(profile);
        }
        let base = loader.load().await;
        let mut config = aws_sdk_kms::config::Builder::from(&base);
        if !role.is_empty() {
            let provider = aws_config::sts::AssumeRoleProvider::builder(role)
                .session_name(super::sts_session_name(&hostname()))
                .region(Region::new(region.to_string()))
                .configure(&base)
                .build()
                .await;
            config = config.credentials_provider(provider);
        }
        aws_sdk_kms::Client::from_conf(config.build())
    }

    /// The client for a key (created on first use, then shared by keys alike).
    fn client(key: &KmsMasterKey) -> Result<aws_sdk_kms::Client> {
        static CLIENTS: OnceLock<Mutex<HashMap<ClientKey, aws_sdk_kms::Client>>> = OnceLock::new();
        let region = key.region()?;
        let id = (region, key.aws_profile.clone(), key.role.clone());
        let clients = CLIENTS.get_or_init(Default::default);
        if let Some(c) = clients.lock().expect("not poisoned").get(&id) {
            return Ok(c.clone());
        }
        let c = runtime()?.block_on(build_client(&id.0, &id.1, &id.2));
        clients.lock().expect("not poisoned").insert(id, c.clone());
        Ok(c)
    }

    fn context_map(key: &KmsMasterKey) -> Option<HashMap<String, String>> {
        (!key.context.is_empty()).then(|| {
            key.context
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
    }

    /// Turns an SDK error into one line that says which key failed, why, and what to check.
    fn explain<E>(
        operation: &str,
        key: &KmsMasterKey,
        err: &SdkError<E, HttpResponse>,
        elapsed: Duration,
    ) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let detail = crate::error::source_chain(err);
        let who = key.who();
        let retried = if user_retry_config() {
            format!(
                "after the configured retries ({:.1} s)",
                elapsed.as_secs_f64()
            )
        } else {
            format!(
                "after up to {MAX_ATTEMPTS} attempts over {:.1} s",
                elapsed.as_secs_f64()
            )
        };
        let hint = match err {
            SdkError::ServiceError(se) => {
                let code = se.err().code().unwrap_or("");
                let status = se.raw().status();
                match code {
                    "AccessDeniedException" => format!(
                        "access denied: check the key policy and the IAM permissions of \
                         the credentials in use{}",
                        if key.role.is_empty() {
                            String::new()
                        } else {
                            format!(" (the role {})", key.role)
                        }
                    ),
                    "InvalidCiphertextException" => "the ciphertext was rejected: the \
                         encryption context (the key's `context` in the file) must be exactly \
                         the one it was encrypted with, and `enc` must be intact"
                        .to_string(),
                    "IncorrectKeyException" => {
                        "the data key was encrypted under another KMS key: check the arn and `enc`"
                            .to_string()
                    }
                    "NotFoundException" => {
                        "the KMS key does not exist: check the ARN, its region and account"
                            .to_string()
                    }
                    "DisabledException" => {
                        "the KMS key is disabled: enable it to use it".to_string()
                    }
                    "KMSInvalidStateException" => "the KMS key cannot be used in its current \
                         state (disabled, pending deletion or import?)"
                        .to_string(),
                    "InvalidKeyUsageException" => format!(
                        "the KMS key cannot {} (it must be a symmetric ENCRYPT_DECRYPT key)",
                        operation.to_lowercase()
                    ),
                    "UnrecognizedClientException"
                    | "InvalidSignatureException"
                    | "ExpiredTokenException"
                    | "InvalidClientTokenId" => "the AWS credentials were rejected: check \
                         AWS_ACCESS_KEY_ID / AWS_PROFILE / the aws_profile of the key, or log in again"
                        .to_string(),
                    "ThrottlingException" | "LimitExceededException" => format!(
                        "KMS is throttling requests and still was {retried}: try again later, \
                         or ask for a higher KMS request quota"
                    ),
                    _ if status.is_server_error() => format!(
                        "KMS kept failing (HTTP {}) {retried}",
                        status.as_u16()
                    ),
                    _ => String::new(),
                }
            }
            SdkError::TimeoutError(_) => format!("KMS did not answer in time {retried}"),
            SdkError::DispatchFailure(d)
                if d.is_other() && detail.contains("credentials") && !key.role.is_empty() =>
            {
                format!(
                    "could not assume the role {} through STS: check that the credentials in \
                     use may assume it and that STS can be reached",
                    key.role
                )
            }
            SdkError::DispatchFailure(d) if d.is_other() && detail.contains("credentials") => {
                "no usable AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, \
                 AWS_PROFILE or the key's aws_profile, or log in (aws sso login)"
                    .to_string()
            }
            SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
                format!("could not reach KMS {retried}: check the network and AWS_ENDPOINT_URL")
            }
            _ => String::new(),
        };
        let mut msg = format!("KMS {operation} failed");
        if who != key.arn {
            msg = format!("KMS {operation} with {who} failed");
        }
        if !hint.is_empty() {
            msg.push_str(": ");
            msg.push_str(&hint);
        }
        msg.push_str(" (");
        msg.push_str(&detail);
        msg.push(')');
        Error::new(Code::Generic, msg)
    }

    /// The request limiter shared by all workers for the key's region
    /// ([`crate::keys::ratelimit`]; `SECRET_KMS_RATE` requests per second).
    fn limiter(key: &KmsMasterKey) -> &'static ratelimit::Limiter {
        let region = key.region().unwrap_or_default();
        ratelimit::for_service(
            &format!("kms:{region}"),
            "SECRET_KMS_RATE",
            ratelimit::KMS_DEFAULT_RATE,
        )
    }

    /// Runs one KMS call in its turn and tells the limiter how it went: a call still
    /// throttled after the SDK's retries halves the region's rate for the other workers.
    fn limited<T, E, F>(
        key: &KmsMasterKey,
        call: F,
    ) -> Result<std::result::Result<T, SdkError<E, HttpResponse>>>
    where
        E: ProvideErrorMetadata,
        F: std::future::Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
    {
        let limiter = limiter(key);
        limiter.acquire();
        let result = runtime()?.block_on(call);
        match &result {
            Ok(_) => limiter.succeeded(),
            Err(SdkError::ServiceError(se))
                if matches!(
                    se.err().code(),
                    Some("ThrottlingException" | "LimitExceededException")
                ) =>
            {
                limiter.throttled()
            }
            Err(_) => {}
        }
        Ok(result)
    }

    pub fn encrypt(key: &KmsMasterKey, plaintext: &[u8]) -> Result<Vec<u8>> {
        let client = client(key)?;
        let started = Instant::now();
        let out = limited(
            key,
            client
                .encrypt()
                .key_id(&key.arn)
                .plaintext(Blob::new(plaintext))
                .set_encryption_context(context_map(key))
                .send(),
        )?
        .map_err(|e| explain("Encrypt", key, &e, started.elapsed()))?;
        out.ciphertext_blob.map(Blob::into_inner).ok_or_else(|| {
            Error::new(
                Code::Generic,
                format!("KMS Encrypt with key {} returned no ciphertext", key.who()),
            )
        })
    }

    pub fn decrypt(key: &KmsMasterKey, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let client = client(key)?;
        let started = Instant::now();
        let out = limited(
            key,
            client
                .decrypt()
                .key_id(&key.arn)
                .ciphertext_blob(Blob::new(blob))
                .set_encryption_context(context_map(key))
                .send(),
        )?
        .map_err(|e| explain("Decrypt", key, &e, started.elapsed()))?;
        out.plaintext
            .map(|b| Zeroizing::new(b.into_inner()))
            .ok_or_else(|| {
                Error::new(
                    Code::Generic,
                    format!("KMS Decrypt with key {} returned no plaintext", key.who()),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::Scalar;

    #[test]
    fn context_parsing_follows_sops() {
        let c = parse_context("b:2,a:1").unwrap();
        assert_eq!(
            c.into_iter().collect::<Vec<_>>(),
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert!(parse_context("").unwrap().is_empty());
        for bad in ["a", "a:b:c", "a:1,", "a:1,b"] {
            assert_eq!(
                parse_context(bad).unwrap_err().code,
                Code::InvalidKmsEncryptionContextFormat,
                "{bad}"
            );
        }
    }

    #[test]
    fn region_comes_from_the_arn() {
        let key = |arn: &str| KmsMasterKey::new(arn, "", EncryptionContext::new(), "");
        assert_eq!(
            key("arn:aws:kms:eu-west-1:123456789012:key/abc")
                .region()
                .unwrap(),
            "eu-west-1"
        );
        assert_eq!(
            key("arn:aws-us-gov:kms:us-gov-west-1:1:alias/x")
                .region()
                .unwrap(),
            "us-gov-west-1"
        );
        assert!(key("arn:aws:kms:eu-west-1:123:keys/abc").region().is_err());
        assert!(key("alias/x").region().is_err());
    }

    #[test]
    fn metadata_entry_round_trips_in_sops_order() {
        let entry: Map = vec![
            Item::Pair("enc".into(), Node::str("QUJD")),
            Item::Pair("aws_profile".into(), Node::str("")),
            Item::Pair(
                "context".into(),
                Node::Map(vec![
                    Item::Pair("z".into(), Node::str("1")),
                    Item::Pair("a".into(), Node::str("2")),
                    Item::Pair("n".into(), Node::Scalar(Scalar::Null)),
                ]),
            ),
            Item::Pair(
                "created_at".into(),
                Node::Scalar(Scalar::Time("2024-01-02T03:04:05.123Z".into())),
            ),
            Item::Pair("arn".into(), Node::str("arn:aws:kms:us-east-1:1:key/k")),
        ];
        let k = KmsMasterKey::from_map(&entry).unwrap();
        let keys: Vec<String> = k
            .to_map()
            .iter()
            .map(|i| match i {
                Item::Pair(k, _) => k.to_string(),
                Item::Comment(_) => unreachable!(),
            })
            .collect();
        assert_eq!(keys, ["arn", "context", "created_at", "enc", "aws_profile"]);
        assert_eq!(k.created_at, "2024-01-02T03:04:05Z");
        let ctx: Vec<_> = k.context.keys().cloned().collect();
        assert_eq!(ctx, ["a", "z"]);
    }

    #[test]
    fn session_names_are_sanitized_like_sops() {
        assert_eq!(sts_session_name("my-host.example"), "sops@myhost.example");
        assert_eq!(sts_session_name("a_b[c]"), "sops@a_b[c]");
        assert_eq!(sts_session_name(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn builds_without_touching_aws() {
        let mut k = KmsMasterKey::new("not-an-arn", "", EncryptionContext::new(), "");
        let e = k.wrap(&[0; 32]).unwrap_err();
        assert!(e.message.contains("no valid ARN"), "{}", e.message);
    }
}
