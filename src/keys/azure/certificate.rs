//! Client assertions for Azure certificate credentials (`AZURE_CLIENT_CERTIFICATE_PATH`), as
//! azidentity's `ClientCertificateCredential` makes them: a JWT signed RS256 by the
//! certificate's private key, naming the certificate by its SHA-1 thumbprint (`x5t`) and, on
//! request, carrying the whole chain (`x5c`, for subject name/issuer authentication).
//!
//! The file is PEM: one or more certificates and an unencrypted PKCS#8 or PKCS#1 RSA private
//! key. Password-protected files (`AZURE_CLIENT_CERTIFICATE_PASSWORD`) and PKCS#12 are refused
//! with a hint to convert them: reading them would need a PKCS#12 and PBES2 implementation for
//! a rarely used path.

use std::path::Path;

use base64::prelude::{Engine as _, BASE64_STANDARD, BASE64_URL_SAFE_NO_PAD};
use serde_json::json;
use zeroize::Zeroizing;

use crate::keys::jwt;

/// How long an assertion is valid: it is used at once, so a few minutes are plenty.
const LIFETIME_SECS: u64 = 600;

/// A signed client assertion for `client` at the token endpoint `audience`, from the PEM file
/// at `path`. Errors name the file, never its contents.
pub fn assertion(
    path: &Path,
    client: &str,
    audience: &str,
    send_chain: bool,
) -> std::result::Result<Zeroizing<String>, String> {
    let bad = |why: &str| format!("AZURE_CLIENT_CERTIFICATE_PATH {}: {why}", path.display());
    if !std::env::var("AZURE_CLIENT_CERTIFICATE_PASSWORD")
        .unwrap_or_default()
        .is_empty()
    {
        return Err(bad(
            "AZURE_CLIENT_CERTIFICATE_PASSWORD is set, but secret reads only PEM files with an \
             unencrypted private key (convert with `openssl pkcs12 -in FILE -nodes`)",
        ));
    }
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| bad(&format!("cannot read: {e}")))?);
    let (certs, key) = parse(&bytes).map_err(|why| bad(&why))?;
    let now = jwt::now();
    let mut header = json!({
        "alg": "RS256",
        "typ": "JWT",
        "x5t": BASE64_URL_SAFE_NO_PAD.encode(thumbprint(&certs[0])),
    });
    if send_chain {
        header["x5c"] = certs.iter().map(|c| BASE64_STANDARD.encode(c)).collect();
    }
    let claims = json!({
        "aud": audience,
        "iss": client,
        "sub": client,
        "jti": jti(),
        "nbf": now,
        "exp": now + LIFETIME_SECS,
    });
    jwt::sign_rs256(&header, &claims, &key)
        .map(Zeroizing::new)
        .map_err(|why| bad(&why))
}

/// The certificates (the key's own first, then the others in file order) and the RSA key.
fn parse(bytes: &[u8]) -> std::result::Result<(Vec<Vec<u8>>, rsa::RsaPrivateKey), String> {
    let text = std::str::from_utf8(bytes)
        .ok()
        .filter(|t| t.contains("-----BEGIN "))
        .ok_or("not a PEM file (PKCS#12/PFX files are not supported: convert with `openssl pkcs12 -in FILE -nodes`)")?;
    let blocks = jwt::pem_blocks(text);
    if blocks.iter().any(|(label, _)| label.contains("ENCRYPTED")) {
        return Err(
            "the private key is encrypted; secret needs an unencrypted PKCS#8 or PKCS#1 key".into(),
        );
    }
    let mut certs: Vec<Vec<u8>> = blocks
        .iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der.to_vec())
        .collect();
    if certs.is_empty() {
        return Err("no CERTIFICATE block in it".into());
    }
    let key = blocks
        .iter()
        .filter(|(label, _)| label == "PRIVATE KEY" || label == "RSA PRIVATE KEY")
        .find_map(|(_, der)| jwt::rsa_private_key(der))
        .ok_or("no RSA private key (PKCS#8 or PKCS#1 PEM) in it")?;
    // The certificate the key belongs to holds the key's modulus in its public key; finding
    // those bytes is enough to tell it from the chain's CA certificates.
    let modulus = {
        use rsa::traits::PublicKeyParts as _;
        key.n().to_bytes_be()
    };
    let own = certs
        .iter()
        .position(|c| memchr::memmem::find(c, &modulus).is_some())
        .ok_or("the private key belongs to none of its certificates")?;
    let leaf = certs.remove(own);
    certs.insert(0, leaf);
    Ok((certs, key))
}

/// The certificate's SHA-1 thumbprint (what Entra ID shows and matches `x5t` against).
fn thumbprint(der: &[u8]) -> [u8; 20] {
    use sha1::{Digest as _, Sha1};
    Sha1::digest(der).into()
}

/// A random UUID (version 4) for the assertion's `jti`.
fn jti() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_without_a_usable_key_are_refused() {
        let err = parse(b"\x30\x82binary pfx").unwrap_err();
        assert!(err.contains("not a PEM file"), "{err}");
        let err =
            parse(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").unwrap_err();
        assert!(err.contains("no CERTIFICATE"), "{err}");
        let cert = "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n";
        let err = parse(cert.as_bytes()).unwrap_err();
        assert!(err.contains("no RSA private key"), "{err}");
        let enc = format!("{cert}-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        let err = parse(enc.as_bytes()).unwrap_err();
        assert!(err.contains("encrypted"), "{err}");
    }

    #[test]
    fn jti_is_a_fresh_v4_uuid() {
        let (a, b) = (jti(), jti());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!("89ab".contains(&a[19..20]), "{a}");
    }

    #[test]
    fn thumbprint_is_sha1_of_the_der() {
        assert_eq!(
            BASE64_URL_SAFE_NO_PAD.encode(thumbprint(b"abc")),
            "qZk-NkcGgWq6PiVxeFDCbJzQ2J0"
        );
    }
}
