//! Subject tokens from a program (`credential_source.executable` of `external_account`
//! credentials), as Google's client libraries run it: only when
//! `GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1`, the command split at white space, with
//! `GOOGLE_EXTERNAL_ACCOUNT_*` variables added to the environment, within `timeout_millis`
//! (5 to 120 s, default 30 s); its answer, or a still valid one cached in `output_file`, is
//! JSON: `{"version": 1, "success": true, "token_type": ..., "id_token" | "saml_response":
//! ..., "expiration_time": ...}`.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use zeroize::Zeroizing;

use super::external::read_limited;
use super::{text, Outcome};

const ALLOW: &str = "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES";
/// How long a program may run unless `timeout_millis` says otherwise, and the bounds of that.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const SHORTEST: Duration = Duration::from_secs(5);
const LONGEST: Duration = Duration::from_secs(120);

/// Why an answer was not used: a cached answer that is only stale or a failure is run again.
enum Refusal {
    Stale(String),
    Invalid(String),
}

/// The subject token of the `executable` object `program`; `impersonation` is the
/// credentials' `service_account_impersonation_url` (empty when none).
pub(super) fn subject_token(
    program: &Value,
    audience: &str,
    subject_type: &str,
    impersonation: &str,
) -> Outcome<Zeroizing<String>> {
    let command = text(program, "command");
    let words: Vec<&str> = command.split_whitespace().collect();
    if words.is_empty() {
        return Err("credential_source.executable needs a command".into());
    }
    let timeout = program
        .get("timeout_millis")
        .and_then(Value::as_u64)
        .map_or(DEFAULT_TIMEOUT, Duration::from_millis);
    if program.get("timeout_millis").is_some() && !(SHORTEST..=LONGEST).contains(&timeout) {
        return Err("credential_source.executable timeout_millis must be 5000 to 120000".into());
    }
    let output_file = text(program, "output_file");
    if let Some(token) = cached(output_file)? {
        return Ok(token);
    }
    if std::env::var(ALLOW).as_deref() != Ok("1") {
        return Err(format!(
            "credential programs must be allowed explicitly: set {ALLOW}=1 to run {}",
            words[0]
        ));
    }
    let mut cmd = Command::new(words[0]);
    cmd.args(&words[1..])
        .env("GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE", audience)
        .env("GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE", subject_type)
        .env("GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(email) = impersonated_email(impersonation) {
        cmd.env("GOOGLE_EXTERNAL_ACCOUNT_IMPERSONATED_EMAIL", email);
    }
    if !output_file.is_empty() {
        cmd.env("GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE", output_file);
    }
    let answer = run(cmd, words[0], timeout)?;
    parse(&answer, !output_file.is_empty()).map_err(|r| match r {
        Refusal::Stale(why) | Refusal::Invalid(why) => format!("{}: {why}", words[0]),
    })
}

/// A valid answer cached in `output_file` by an earlier run of the program.
fn cached(output_file: &str) -> Outcome<Option<Zeroizing<String>>> {
    if output_file.is_empty() {
        return Ok(None);
    }
    let Ok(file) = std::fs::File::open(output_file) else {
        return Ok(None);
    };
    match read_limited(file) {
        Ok(raw) if !raw.is_empty() => match parse(&raw, true) {
            Ok(token) => Ok(Some(token)),
            Err(Refusal::Stale(_)) => Ok(None),
            Err(Refusal::Invalid(why)) => Err(format!("the output_file {output_file}: {why}")),
        },
        _ => Ok(None),
    }
}

/// The service account's address in an IAM credentials `generateAccessToken` URL.
fn impersonated_email(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://iamcredentials.")?;
    let (_, account) = rest.split_once("/v1/projects/-/serviceAccounts/")?;
    let email = account.strip_suffix(":generateAccessToken")?;
    email.contains('@').then_some(email)
}

/// Runs the program to its end or until `timeout`; its trimmed output (stderr if stdout is
/// empty).
fn run(mut cmd: Command, name: &str, timeout: Duration) -> Outcome<Zeroizing<Vec<u8>>> {
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot run the credential program {name}: {e}"))?;
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let output = match finished.recv_timeout(timeout) {
        Ok(output) => output,
        Err(_) => {
            // SAFETY: kill has no memory effects; the child is not reaped until the waiting
            // thread sees it end, so the pid still names it.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            let _ = finished.recv();
            return Err(format!(
                "the credential program {name} did not finish within {} s",
                timeout.as_secs_f64()
            ));
        }
    }
    .map_err(|e| format!("the credential program {name} failed: {e}"))?;
    let stdout = Zeroizing::new(output.stdout);
    let stderr = Zeroizing::new(output.stderr);
    if !output.status.success() {
        return Err(match output.status.code() {
            Some(code) => format!("the credential program {name} failed with exit code {code}"),
            None => format!("the credential program {name} was killed by a signal"),
        });
    }
    let text = if stdout.trim_ascii().is_empty() {
        stderr.trim_ascii()
    } else {
        stdout.trim_ascii()
    };
    Ok(Zeroizing::new(text.to_vec()))
}

/// The subject token in a program's answer; `needs_expiry` when it is cached in a file.
fn parse(answer: &[u8], needs_expiry: bool) -> std::result::Result<Zeroizing<String>, Refusal> {
    let invalid = |why: &str| Refusal::Invalid(why.to_string());
    let doc: Value =
        serde_json::from_slice(answer).map_err(|_| invalid("the answer is not JSON"))?;
    let field = |name: &str| text(&doc, name);
    let version = doc.get("version").and_then(Value::as_i64).unwrap_or(0);
    if version == 0 {
        return Err(invalid("the answer has no version"));
    }
    match doc.get("success").and_then(Value::as_bool) {
        None => return Err(invalid("the answer has no success field")),
        Some(false) if field("code").is_empty() || field("message").is_empty() => {
            return Err(Refusal::Stale(
                "an unsuccessful answer must give code and message".into(),
            ))
        }
        Some(false) => {
            return Err(Refusal::Stale(format!(
                "unsuccessful: ({}) {}",
                field("code"),
                field("message")
            )))
        }
        Some(true) => {}
    }
    if version != 1 {
        return Err(invalid(&format!(
            "answer version {version} is not supported"
        )));
    }
    let expires = doc
        .get("expiration_time")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if expires == 0 && needs_expiry {
        return Err(invalid("the answer has no expiration_time"));
    }
    let token_type = field("token_type");
    if token_type.is_empty() {
        return Err(invalid("the answer has no token_type"));
    }
    let now = crate::keys::jwt::now() as i64;
    if expires != 0 && expires < now {
        return Err(Refusal::Stale("the token has expired".into()));
    }
    let token = match token_type {
        "urn:ietf:params:oauth:token-type:jwt" | "urn:ietf:params:oauth:token-type:id_token" => {
            field("id_token")
        }
        "urn:ietf:params:oauth:token-type:saml2" => field("saml_response"),
        other => return Err(invalid(&format!("token_type {other:?} is not supported"))),
    };
    if token.is_empty() {
        return Err(invalid("the answer has no token"));
    }
    Ok(Zeroizing::new(token.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(answer: &str, needs_expiry: bool) -> Result<String, String> {
        parse(answer.as_bytes(), needs_expiry)
            .map(|t| t.to_string())
            .map_err(|r| match r {
                Refusal::Stale(w) => format!("stale: {w}"),
                Refusal::Invalid(w) => format!("invalid: {w}"),
            })
    }

    #[test]
    fn answers_are_checked_as_google_checks_them() {
        let jwt = r#"{"version":1,"success":true,"token_type":"urn:ietf:params:oauth:token-type:jwt","id_token":"T"}"#;
        assert_eq!(parsed(jwt, false).unwrap(), "T");
        assert!(parsed(jwt, true)
            .unwrap_err()
            .contains("no expiration_time"));
        let saml = r#"{"version":1,"success":true,"token_type":"urn:ietf:params:oauth:token-type:saml2","saml_response":"S","expiration_time":99999999999}"#;
        assert_eq!(parsed(saml, true).unwrap(), "S");
        let expired = r#"{"version":1,"success":true,"token_type":"urn:ietf:params:oauth:token-type:jwt","id_token":"T","expiration_time":1}"#;
        assert!(parsed(expired, false).unwrap_err().starts_with("stale"));
        let failed = r#"{"version":1,"success":false,"code":"401","message":"denied"}"#;
        assert_eq!(
            parsed(failed, false).unwrap_err(),
            "stale: unsuccessful: (401) denied"
        );
        assert!(parsed(r#"{"success":true}"#, false)
            .unwrap_err()
            .contains("no version"));
        let v2 = r#"{"version":2,"success":true,"token_type":"urn:ietf:params:oauth:token-type:jwt","id_token":"T"}"#;
        assert!(parsed(v2, false).unwrap_err().contains("version 2"));
        assert!(parsed("not json", false)
            .unwrap_err()
            .starts_with("invalid"));
    }

    #[test]
    fn the_impersonated_address_comes_from_the_url() {
        let url = "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateAccessToken";
        assert_eq!(
            impersonated_email(url),
            Some("sa@p.iam.gserviceaccount.com")
        );
        assert_eq!(impersonated_email("http://127.0.0.1/x"), None);
    }
}
