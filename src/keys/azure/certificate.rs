//! Client assertions for Azure certificate credentials (`AZURE_CLIENT_CERTIFICATE_PATH`), as
//! azidentity's `ClientCertificateCredential` makes them: a JWT signed RS256 by the
//! certificate's private key, naming the certificate by its SHA-1 thumbprint (`x5t`) and, on
//! request, carrying the whole chain (`x5c`, for subject name/issuer authentication).
//!
//! The file is PEM (one or more certificates and a PKCS#8 or PKCS#1 RSA private key, which
//! may be an `ENCRYPTED PRIVATE KEY`) or PKCS#12/PFX ([`super::pkcs12`]);
//! `AZURE_CLIENT_CERTIFICATE_PASSWORD` opens an encrypted key or a PFX file.

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
    let password =
        Zeroizing::new(std::env::var("AZURE_CLIENT_CERTIFICATE_PASSWORD").unwrap_or_default());
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| bad(&format!("cannot read: {e}")))?);
    let (certs, key) = parse(&bytes, &password).map_err(|why| bad(&why))?;
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

/// The certificates (the key's own first, then the others in file order) and the RSA key,
/// from PEM or PKCS#12 bytes.
fn parse(
    bytes: &[u8],
    password: &str,
) -> std::result::Result<(Vec<Vec<u8>>, rsa::RsaPrivateKey), String> {
    let pem = std::str::from_utf8(bytes)
        .ok()
        .filter(|t| t.contains("-----BEGIN "));
    let (mut certs, key) = match pem {
        Some(text) => from_pem(text, password)?,
        None => {
            let pfx = super::pkcs12::parse_pfx(bytes, password)
                .map_err(|why| format!("neither PEM nor a readable PKCS#12 file: {why}"))?;
            let key = pfx.key.ok_or("the PKCS#12 file holds no private key")?;
            let key = jwt::rsa_private_key(&key).ok_or("the private key is not an RSA key")?;
            if pfx.certs.is_empty() {
                return Err("the PKCS#12 file holds no certificate".into());
            }
            (pfx.certs, key)
        }
    };
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

/// The certificates and the RSA key of a PEM file; an `ENCRYPTED PRIVATE KEY` is opened with
/// `password`.
fn from_pem(
    text: &str,
    password: &str,
) -> std::result::Result<(Vec<Vec<u8>>, rsa::RsaPrivateKey), String> {
    let blocks = jwt::pem_blocks(text);
    let certs: Vec<Vec<u8>> = blocks
        .iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der.to_vec())
        .collect();
    if certs.is_empty() {
        return Err("no CERTIFICATE block in it".into());
    }
    let mut keys = Vec::new();
    for (label, der) in &blocks {
        match label.as_str() {
            "PRIVATE KEY" | "RSA PRIVATE KEY" => keys.push(Zeroizing::new(der.to_vec())),
            "ENCRYPTED PRIVATE KEY" if password.is_empty() => {
                return Err(
                    "the private key is encrypted: set AZURE_CLIENT_CERTIFICATE_PASSWORD".into(),
                )
            }
            "ENCRYPTED PRIVATE KEY" => keys.push(
                super::pkcs12::decrypt_private_key(der, password)
                    .map_err(|why| format!("the encrypted private key: {why}"))?,
            ),
            _ => {}
        }
    }
    let key = keys
        .iter()
        .find_map(|der| jwt::rsa_private_key(der))
        .ok_or("no RSA private key (PKCS#8 or PKCS#1 PEM) in it")?;
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
        let err = parse(b"\x30\x82binary pfx", "").unwrap_err();
        assert!(err.contains("neither PEM nor a readable PKCS#12"), "{err}");
        let err = parse(
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "",
        )
        .unwrap_err();
        assert!(err.contains("no CERTIFICATE"), "{err}");
        let cert = "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n";
        let err = parse(cert.as_bytes(), "").unwrap_err();
        assert!(err.contains("no RSA private key"), "{err}");
        let enc = format!("{cert}-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        let err = parse(enc.as_bytes(), "").unwrap_err();
        assert!(err.contains("AZURE_CLIENT_CERTIFICATE_PASSWORD"), "{err}");
    }

    #[test]
    fn pfx_files_and_encrypted_keys_give_the_leaf_first() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pkcs12/");
        let read = |name: &str| std::fs::read(format!("{dir}{name}")).unwrap();
        let leaf = jwt::pem_blocks(std::str::from_utf8(&read("cert.pem")).unwrap())
            .remove(0)
            .1
            .to_vec();
        let (certs, _) = parse(&read("modern.pfx"), "pfx-pass").unwrap();
        assert_eq!((certs.len(), &certs[0]), (2, &leaf));
        let mut pem = read("key-enc.pem");
        pem.extend(read("ca.pem"));
        pem.extend(read("cert.pem"));
        let (certs, _) = parse(&pem, "pem-pass").unwrap();
        assert_eq!((certs.len(), &certs[0]), (2, &leaf));
        let err = parse(&read("legacy.pfx"), "").unwrap_err();
        assert!(err.contains("wrong password"), "{err}");
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
