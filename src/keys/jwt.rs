//! RS256 JSON Web Tokens signed with an RSA private key from PEM: the assertions Google
//! service accounts and Azure client certificates trade for access tokens.

use base64::prelude::{Engine as _, BASE64_STANDARD, BASE64_URL_SAFE_NO_PAD};
use serde_json::Value;
use zeroize::Zeroizing;

/// The PEM blocks of `pem`, as (label, DER bytes), in file order. Blocks whose body is not
/// base64 are skipped.
pub fn pem_blocks(pem: &str) -> Vec<(String, Zeroizing<Vec<u8>>)> {
    let mut blocks = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = after[..label_end].to_string();
        let body = &after[label_end + 5..];
        let Some(end) = body.find("-----END ") else {
            break;
        };
        let b64: Zeroizing<String> =
            Zeroizing::new(body[..end].chars().filter(|c| !c.is_whitespace()).collect());
        if let Ok(der) = BASE64_STANDARD.decode(b64.as_bytes()) {
            blocks.push((label, Zeroizing::new(der)));
        }
        rest = &body[end + "-----END ".len()..];
    }
    blocks
}

/// An RSA private key from PKCS#8 or PKCS#1 DER.
pub fn rsa_private_key(der: &[u8]) -> Option<rsa::RsaPrivateKey> {
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    use rsa::pkcs8::DecodePrivateKey as _;
    rsa::RsaPrivateKey::from_pkcs8_der(der)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_der(der))
        .ok()
}

/// `header.claims.signature`, signed RS256 (PKCS#1 v1.5 over SHA-256) with `key`.
pub fn sign_rs256(
    header: &Value,
    claims: &Value,
    key: &rsa::RsaPrivateKey,
) -> std::result::Result<String, String> {
    use sha2::{Digest as _, Sha256};

    let signing_input = format!(
        "{}.{}",
        BASE64_URL_SAFE_NO_PAD.encode(header.to_string()),
        BASE64_URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key
        .sign(
            rsa::Pkcs1v15Sign::new_unprefixed(),
            &digest_info(&Sha256::digest(signing_input.as_bytes())),
        )
        .map_err(|e| format!("cannot sign with the private key: {e}"))?;
    Ok(format!(
        "{signing_input}.{}",
        BASE64_URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// PKCS#1 v1.5 over SHA-256 signs the DigestInfo: this prefix, then the hash. (Spelled out
/// because the `rsa` crate is built without its `sha2` feature.)
fn digest_info(hash: &[u8]) -> Vec<u8> {
    const SHA256_DIGEST_INFO: [u8; 19] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    let mut info = SHA256_DIGEST_INFO.to_vec();
    info.extend_from_slice(hash);
    info
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_come_in_order_with_labels() {
        let pem = "junk\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n\
                   -----BEGIN PRIVATE KEY-----\nBAU=\n-----END PRIVATE KEY-----\n\
                   -----BEGIN BROKEN-----\n!!\n-----END BROKEN-----\n";
        let blocks = pem_blocks(pem);
        let got: Vec<(&str, &[u8])> = blocks
            .iter()
            .map(|(l, d)| (l.as_str(), d.as_slice()))
            .collect();
        assert_eq!(
            got,
            [
                ("CERTIFICATE", &[1u8, 2, 3][..]),
                ("PRIVATE KEY", &[4u8, 5][..])
            ]
        );
        assert!(pem_blocks("no pem").is_empty());
    }

    #[test]
    fn signatures_verify_with_the_public_key() {
        use sha2::{Digest as _, Sha256};
        let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
        let jwt = sign_rs256(
            &serde_json::json!({"alg": "RS256"}),
            &serde_json::json!({"sub": "x"}),
            &key,
        )
        .unwrap();
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        assert_eq!(
            BASE64_URL_SAFE_NO_PAD
                .decode(input.split('.').nth(1).unwrap())
                .unwrap(),
            br#"{"sub":"x"}"#
        );
        let mut sig = BASE64_URL_SAFE_NO_PAD.decode(sig).unwrap();
        let verify = |sig: &[u8]| {
            key.to_public_key().verify(
                rsa::Pkcs1v15Sign::new_unprefixed(),
                &digest_info(&Sha256::digest(input.as_bytes())),
                sig,
            )
        };
        verify(&sig).unwrap();
        sig[0] ^= 1;
        assert!(verify(&sig).is_err());
    }
}
