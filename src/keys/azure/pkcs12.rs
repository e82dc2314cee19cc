//! The certificates and private key of a password-protected PKCS#12 (PFX) file, and the key
//! of a PEM `ENCRYPTED PRIVATE KEY` (PKCS#8), as azidentity reads them for
//! `AZURE_CLIENT_CERTIFICATE_PATH` with `AZURE_CLIENT_CERTIFICATE_PASSWORD` (RFC 7292,
//! RFC 8018).
//!
//! Read: DER PFX files whose integrity MAC checks out (HMAC with SHA-1 or SHA-256, key from
//! the PKCS#12 KDF), their `data` and `encryptedData` contents, certificate bags, key bags and
//! shrouded key bags. Ciphers: PBES2 (PBKDF2 with HMAC-SHA-1/-SHA-256, AES-128/192/256-CBC or
//! 3DES-CBC), as OpenSSL 3 and Windows write them, and the legacy PKCS#12 ones (3DES-CBC,
//! 40- and 128-bit RC2-CBC, SHA-1 KDF), as older tools write them.

use cbc::cipher::{block_padding::Pkcs7, BlockDecryptMut, InnerIvInit, KeyInit, KeyIvInit};
use hmac::{Mac, SimpleHmac};
use sha1::Sha1;
use sha2::digest::core_api::BlockSizeUser;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

type Outcome<T> = std::result::Result<T, String>;

/// What a PFX file holds: DER certificates in file order and a PKCS#8 `PrivateKeyInfo`.
pub struct Contents {
    pub certs: Vec<Vec<u8>>,
    pub key: Option<Zeroizing<Vec<u8>>>,
}

const OID_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
const OID_ENCRYPTED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06];
/// `pkcs-12 bagtypes`: 1 keyBag, 2 pkcs8ShroudedKeyBag, 3 certBag.
const OID_BAG_PREFIX: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01];
const OID_X509_CERT: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x16, 0x01];
/// `pkcs-12 PbeIds`: 3 SHA+3DES, 5 SHA+RC2-128, 6 SHA+RC2-40.
const OID_PBE_PREFIX: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01];
const OID_PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
const OID_PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
const OID_HMAC_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x07];
const OID_HMAC_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09];
const OID_DES_EDE3_CBC: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x07];
/// `aes`: 2 AES-128-CBC, 22 AES-192-CBC, 42 AES-256-CBC.
const OID_AES_PREFIX: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01];
const OID_SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];

const SEQUENCE: u8 = 0x30;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const INTEGER: u8 = 0x02;
const EXPLICIT_0: u8 = 0xa0;
const IMPLICIT_0: u8 = 0x80;

/// A DER reader over one level of TLVs.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    /// The next element: its tag and contents.
    fn any(&mut self) -> Outcome<(u8, &'a [u8])> {
        let bad = || "malformed DER".to_string();
        let (&tag, rest) = self.0.split_first().ok_or_else(bad)?;
        let (&first, rest) = rest.split_first().ok_or_else(bad)?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return Err("malformed DER (indefinite or oversized length)".into());
            }
            let len = rest[..n].iter().fold(0usize, |l, &b| (l << 8) | b as usize);
            (len, &rest[n..])
        };
        if rest.len() < len {
            return Err(bad());
        }
        self.0 = &rest[len..];
        Ok((tag, &rest[..len]))
    }

    /// The next element, which must have tag `tag`.
    fn take(&mut self, tag: u8) -> Outcome<&'a [u8]> {
        match self.any()? {
            (t, body) if t == tag => Ok(body),
            (t, _) => Err(format!("unexpected DER tag {t:#04x} (wanted {tag:#04x})")),
        }
    }

    /// The next element if it has tag `tag`.
    fn optional(&mut self, tag: u8) -> Outcome<Option<&'a [u8]>> {
        if self.0.first() == Some(&tag) {
            self.take(tag).map(Some)
        } else {
            Ok(None)
        }
    }

    fn sequence(&mut self) -> Outcome<Der<'a>> {
        self.take(SEQUENCE).map(Der)
    }

    fn integer(&mut self) -> Outcome<u64> {
        let body = self.take(INTEGER)?;
        if body.len() > 8 || body.first().is_some_and(|b| b & 0x80 != 0) {
            return Err("integer out of range".into());
        }
        Ok(body.iter().fold(0, |n, &b| (n << 8) | b as u64))
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Reads a PFX file with `password`.
pub fn parse_pfx(der: &[u8], password: &str) -> Outcome<Contents> {
    let mut pfx = Der(der).sequence()?;
    if pfx.integer()? != 3 {
        return Err("not a PKCS#12 version 3 file".into());
    }
    let mut auth_safe = pfx.sequence()?;
    if auth_safe.take(OID)? != OID_DATA {
        return Err("public-key integrity mode is not supported".into());
    }
    let data = Der(auth_safe.take(EXPLICIT_0)?).take(OCTET_STRING)?;
    match pfx.optional(SEQUENCE)? {
        Some(mac) => check_mac(Der(mac), data, password)?,
        None => return Err("the file has no integrity MAC".into()),
    }
    let mut out = Contents {
        certs: Vec::new(),
        key: None,
    };
    let mut contents = Der(data).sequence()?;
    while !contents.is_empty() {
        let mut info = contents.sequence()?;
        let kind = info.take(OID)?;
        let body = info.take(EXPLICIT_0)?;
        if kind == OID_DATA {
            read_bags(Der(body).take(OCTET_STRING)?, password, &mut out)?;
        } else if kind == OID_ENCRYPTED_DATA {
            let mut encrypted = Der(body).sequence()?;
            encrypted.integer()?;
            let mut content = encrypted.sequence()?;
            content.take(OID)?;
            let algorithm = content.sequence()?;
            let ciphertext = content.take(IMPLICIT_0)?;
            let plain = decrypt(algorithm, ciphertext, password)?;
            read_bags(&plain, password, &mut out)?;
        } else {
            return Err("an enveloped (public-key) part is not supported".into());
        }
    }
    Ok(out)
}

/// Decrypts a PKCS#8 `EncryptedPrivateKeyInfo` into a `PrivateKeyInfo`.
pub fn decrypt_private_key(der: &[u8], password: &str) -> Outcome<Zeroizing<Vec<u8>>> {
    let mut info = Der(der).sequence()?;
    let algorithm = info.sequence()?;
    let ciphertext = info.take(OCTET_STRING)?;
    decrypt(algorithm, ciphertext, password)
}

/// Checks the file's HMAC over its content.
fn check_mac(mut mac_data: Der, data: &[u8], password: &str) -> Outcome<()> {
    let mut digest_info = mac_data.sequence()?;
    let mut algorithm = digest_info.sequence()?;
    let digest_oid = algorithm.take(OID)?;
    let expected = digest_info.take(OCTET_STRING)?;
    let salt = mac_data.take(OCTET_STRING)?;
    let iterations = if mac_data.is_empty() {
        1
    } else {
        mac_data.integer()?
    };
    let good = if digest_oid == OID_SHA1 {
        mac_matches::<Sha1>(password, salt, iterations, data, expected)?
    } else if digest_oid == OID_SHA256 {
        mac_matches::<Sha256>(password, salt, iterations, data, expected)?
    } else {
        return Err("the integrity MAC's digest is neither SHA-1 nor SHA-256".into());
    };
    if good {
        Ok(())
    } else {
        Err("wrong password (the integrity MAC does not match)".into())
    }
}

/// Whether `expected` is the HMAC of `data` under the PKCS#12 MAC key of `password`.
fn mac_matches<D: Digest + BlockSizeUser>(
    password: &str,
    salt: &[u8],
    iterations: u64,
    data: &[u8],
    expected: &[u8],
) -> Outcome<bool> {
    let key = pkcs12_kdf::<D>(password, salt, 3, iterations, <D as Digest>::output_size())?;
    let mut mac = <SimpleHmac<D> as KeyInit>::new_from_slice(&key).map_err(|e| e.to_string())?;
    Mac::update(&mut mac, data);
    Ok(mac.verify_slice(expected).is_ok())
}

/// Reads a `SafeContents` into `out`.
fn read_bags(der: &[u8], password: &str, out: &mut Contents) -> Outcome<()> {
    let mut bags = Der(der).sequence()?;
    while !bags.is_empty() {
        let mut bag = bags.sequence()?;
        let kind = bag.take(OID)?;
        let value = bag.take(EXPLICIT_0)?;
        let Some(&number) = kind.strip_prefix(OID_BAG_PREFIX).and_then(|n| n.first()) else {
            continue;
        };
        match number {
            1 => out.key = Some(Zeroizing::new(value.to_vec())),
            2 => out.key = Some(decrypt_private_key(value, password)?),
            3 => {
                let mut cert = Der(value).sequence()?;
                if cert.take(OID)? == OID_X509_CERT {
                    out.certs
                        .push(Der(cert.take(EXPLICIT_0)?).take(OCTET_STRING)?.to_vec());
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Decrypts `ciphertext` with the cipher the `AlgorithmIdentifier` names.
fn decrypt(mut algorithm: Der, ciphertext: &[u8], password: &str) -> Outcome<Zeroizing<Vec<u8>>> {
    let oid = algorithm.take(OID)?;
    let mut params = algorithm.sequence()?;
    if oid == OID_PBES2 {
        return pbes2(params, ciphertext, password);
    }
    let legacy = oid
        .strip_prefix(OID_PBE_PREFIX)
        .and_then(|n| n.first().copied());
    let salt = params.take(OCTET_STRING)?;
    let iterations = params.integer()?;
    let kdf = |id, len| pkcs12_kdf::<Sha1>(password, salt, id, iterations, len);
    match legacy {
        Some(3) => cbc_decrypt::<des::TdesEde3>(&kdf(1, 24)?, &kdf(2, 8)?, ciphertext),
        Some(n @ (5 | 6)) => {
            let bits = if n == 5 { 128 } else { 40 };
            let key = kdf(1, bits / 8)?;
            let cipher = rc2::Rc2::new_with_eff_key_len(&key, bits);
            let iv = kdf(2, 8)?;
            let decryptor =
                cbc::Decryptor::inner_iv_slice_init(cipher, &iv).map_err(|e| e.to_string())?;
            unpad(decryptor, ciphertext)
        }
        _ => Err(
            "the encryption algorithm is not supported (PBES2 with AES or 3DES, or \
                  PKCS#12 3DES/RC2)"
                .into(),
        ),
    }
}

/// PBES2: a PBKDF2 key, then AES-CBC or 3DES-CBC.
fn pbes2(mut params: Der, ciphertext: &[u8], password: &str) -> Outcome<Zeroizing<Vec<u8>>> {
    let mut kdf = params.sequence()?;
    if kdf.take(OID)? != OID_PBKDF2 {
        return Err("PBES2 with a key derivation other than PBKDF2 is not supported".into());
    }
    let mut kdf_params = kdf.sequence()?;
    let salt = kdf_params.take(OCTET_STRING)?;
    let iterations = u32::try_from(kdf_params.integer()?).map_err(|e| e.to_string())?;
    // An optional key length is skipped: it follows from the cipher.
    kdf_params.optional(INTEGER)?;
    let prf = match kdf_params.optional(SEQUENCE)? {
        None => OID_HMAC_SHA1,
        Some(prf) => Der(prf).take(OID)?,
    };
    let mut scheme = params.sequence()?;
    let cipher = scheme.take(OID)?;
    let iv = scheme.take(OCTET_STRING)?;
    let key_len = match cipher {
        c if c == OID_DES_EDE3_CBC => 24,
        c => match c.strip_prefix(OID_AES_PREFIX) {
            Some([2]) => 16,
            Some([22]) => 24,
            Some([42]) => 32,
            _ => return Err("PBES2 with a cipher other than AES-CBC or 3DES-CBC".into()),
        },
    };
    let mut key = Zeroizing::new(vec![0; key_len]);
    let password = password.as_bytes();
    if prf == OID_HMAC_SHA256 {
        pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut key);
    } else if prf == OID_HMAC_SHA1 {
        pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, &mut key);
    } else {
        return Err("PBKDF2 with a PRF other than HMAC-SHA-1/-SHA-256".into());
    }
    match key_len {
        16 => cbc_decrypt::<aes::Aes128>(&key, iv, ciphertext),
        24 if cipher == OID_DES_EDE3_CBC => cbc_decrypt::<des::TdesEde3>(&key, iv, ciphertext),
        24 => cbc_decrypt::<aes::Aes192>(&key, iv, ciphertext),
        _ => cbc_decrypt::<aes::Aes256>(&key, iv, ciphertext),
    }
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Outcome<Zeroizing<Vec<u8>>>
where
    C: cbc::cipher::BlockCipher + cbc::cipher::BlockDecrypt + KeyInit,
{
    let decryptor = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|e| e.to_string())?;
    unpad(decryptor, ciphertext)
}

fn unpad<C>(decryptor: cbc::Decryptor<C>, ciphertext: &[u8]) -> Outcome<Zeroizing<Vec<u8>>>
where
    C: cbc::cipher::BlockCipher + cbc::cipher::BlockDecrypt,
{
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let len = decryptor
        .decrypt_padded_mut::<Pkcs7>(&mut buf)
        .map_err(|_| "wrong password (the decrypted data is not padded)".to_string())?
        .len();
    buf.truncate(len);
    Ok(buf)
}

/// The PKCS#12 key derivation (RFC 7292 appendix B) of `len` bytes for purpose `id` (1 key,
/// 2 IV, 3 MAC key), the password taken as a NUL-terminated big-endian UTF-16 string.
fn pkcs12_kdf<D: Digest + BlockSizeUser>(
    password: &str,
    salt: &[u8],
    id: u8,
    iterations: u64,
    len: usize,
) -> Outcome<Zeroizing<Vec<u8>>> {
    if iterations == 0 || iterations > 10_000_000 {
        return Err("iteration count out of range".into());
    }
    let v = D::block_size();
    let u = <D as Digest>::output_size();
    let mut pass = Zeroizing::new(Vec::with_capacity(password.len() * 2 + 2));
    for unit in password.encode_utf16().chain([0]) {
        pass.extend_from_slice(&unit.to_be_bytes());
    }
    let fill = |src: &[u8]| -> Vec<u8> {
        let n = src.len().div_ceil(v) * v;
        src.iter().copied().cycle().take(n).collect()
    };
    let mut i = Zeroizing::new(fill(salt));
    i.extend_from_slice(&fill(&pass));
    let mut out = Zeroizing::new(Vec::with_capacity(len + u));
    while out.len() < len {
        let mut hasher = D::new();
        hasher.update(vec![id; v]);
        hasher.update(&*i);
        let mut a = hasher.finalize();
        for _ in 1..iterations {
            a = D::digest(&a);
        }
        out.extend_from_slice(&a);
        if out.len() >= len {
            break;
        }
        // I_j = (I_j + B + 1) mod 2^(8v), with B = A repeated to v bytes.
        let b: Vec<u8> = a.iter().copied().cycle().take(v).collect();
        for block in i.chunks_mut(v) {
            let mut carry = 1u16;
            for k in (0..v).rev() {
                let sum = block[k] as u16 + b[k] as u16 + carry;
                block[k] = sum as u8;
                carry = sum >> 8;
            }
        }
    }
    out.truncate(len);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::jwt::pem_blocks;

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/pkcs12/",
                $name
            ))
        };
    }

    fn pem_der(text: &[u8], label: &str) -> Vec<Vec<u8>> {
        pem_blocks(std::str::from_utf8(text).unwrap())
            .into_iter()
            .filter(|(l, _)| l == label)
            .map(|(_, der)| der.to_vec())
            .collect()
    }

    #[test]
    fn every_openssl_flavour_gives_the_key_and_certificates() {
        let cert = pem_der(fixture!("cert.pem"), "CERTIFICATE").remove(0);
        let ca = pem_der(fixture!("ca.pem"), "CERTIFICATE").remove(0);
        let key = pem_der(fixture!("key.pem"), "PRIVATE KEY").remove(0);
        for (name, file, password, certs) in [
            (
                "modern",
                &fixture!("modern.pfx")[..],
                "pfx-pass",
                vec![&cert, &ca],
            ),
            (
                "legacy",
                &fixture!("legacy.pfx")[..],
                "pfx-pass",
                vec![&cert],
            ),
            (
                "aes128",
                &fixture!("aes128.pfx")[..],
                "pfx-pass",
                vec![&cert],
            ),
            ("empty", &fixture!("empty.pfx")[..], "", vec![&cert]),
        ] {
            let got = parse_pfx(file, password).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(got.key.as_deref(), Some(&key), "{name}");
            let want: Vec<&Vec<u8>> = certs;
            assert_eq!(got.certs.iter().collect::<Vec<_>>(), want, "{name}");
        }
    }

    #[test]
    fn a_wrong_password_fails_on_the_mac() {
        for file in [&fixture!("modern.pfx")[..], &fixture!("legacy.pfx")[..]] {
            let err = parse_pfx(file, "guess").err().unwrap();
            assert!(err.contains("wrong password"), "{err}");
        }
    }

    #[test]
    fn an_encrypted_pkcs8_key_opens_with_its_password() {
        let key = pem_der(fixture!("key.pem"), "PRIVATE KEY").remove(0);
        let encrypted = pem_der(fixture!("key-enc.pem"), "ENCRYPTED PRIVATE KEY").remove(0);
        assert_eq!(*decrypt_private_key(&encrypted, "pem-pass").unwrap(), key);
        let err = decrypt_private_key(&encrypted, "nope").unwrap_err();
        assert!(err.contains("wrong password"), "{err}");
    }

    #[test]
    fn truncated_or_foreign_input_is_an_error_not_a_panic() {
        let file = fixture!("modern.pfx");
        for end in [0, 1, 2, 10, 100, file.len() / 2, file.len() - 1] {
            assert!(parse_pfx(&file[..end], "pfx-pass").is_err(), "{end}");
        }
        assert!(parse_pfx(b"\x30\x03\x02\x01\x01", "").is_err());
    }

    #[test]
    fn the_kdf_matches_rfc_7292_as_openssl_computes_it() {
        // The MAC key of `empty.pfx` is checked above; here one value by hand: SHA-1, id 1,
        // password "smeg", salt 0A58CF64530D823F, 1 iteration (a PKCS#12 test vector).
        let key = pkcs12_kdf::<Sha1>(
            "smeg",
            &[0x0a, 0x58, 0xcf, 0x64, 0x53, 0x0d, 0x82, 0x3f],
            1,
            1,
            24,
        )
        .unwrap();
        let hex: String = key.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(hex, "8AAAE6297B6CB04642AB5B077851284EB7128F1A2A7FBCA3");
    }
}
