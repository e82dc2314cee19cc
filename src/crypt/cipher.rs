//! sops' value cipher (`aes/cipher.go`): AES-256-GCM with a 32-byte nonce, the tree path as
//! additional data, and the `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` text form.

use super::b64;
use super::gcm::{Aes256Gcm, TAG_LEN};
use crate::error::{Code, Error, Result};
use crate::numfmt;
use crate::tree::{Scalar, Text, INLINE};
use rand::RngCore;
use zeroize::Zeroizing;

/// Nonce length sops writes. It reads any length (as Go's GCM does), and so does this.
pub const NONCE_LEN: usize = 32;
const PREFIX: &str = "ENC[AES256_GCM,data:";

/// The longest plaintext AES-GCM encrypts (64 GiB): [`ValueCipher::encrypt`] fails only
/// above it, so a file whose values are all shorter cannot fail half way through sealing.
pub const MAX_PLAINTEXT: u64 = 1 << 36;

/// A leaf as the cipher sees it: a typed scalar or a comment.
#[derive(Debug, Clone, PartialEq)]
pub enum Leaf {
    Scalar(Scalar),
    Comment(Text),
}

impl Leaf {
    /// The leaf borrowed, as the cipher reads it.
    pub fn as_ref(&self) -> LeafRef<'_> {
        match self {
            Leaf::Scalar(s) => LeafRef::Scalar(s),
            Leaf::Comment(c) => LeafRef::Comment(c),
        }
    }

    /// The `type:` tag sops writes for this leaf.
    pub fn type_tag(&self) -> &'static str {
        self.as_ref().type_tag()
    }

    /// The bytes sops encrypts and feeds to the MAC for this leaf (`sops.ToBytes`).
    pub fn plaintext(&self) -> std::borrow::Cow<'_, [u8]> {
        self.as_ref().plaintext()
    }

    /// Empty strings and comments are never encrypted.
    pub fn is_empty(&self) -> bool {
        self.as_ref().is_empty()
    }
}

/// A leaf borrowed from a tree that is being written: what the cipher needs of it, without
/// a copy of the value.
#[derive(Debug, Clone, Copy)]
pub enum LeafRef<'a> {
    Scalar(&'a Scalar),
    Comment(&'a str),
}

impl<'a> From<&'a Leaf> for LeafRef<'a> {
    fn from(leaf: &'a Leaf) -> Self {
        leaf.as_ref()
    }
}

impl<'a> LeafRef<'a> {
    /// The `type:` tag sops writes for this leaf.
    pub fn type_tag(self) -> &'static str {
        match self {
            LeafRef::Comment(_) => "comment",
            LeafRef::Scalar(s) => match s {
                // Binary data is written as `str` by sops; `bytes` is only ever read.
                Scalar::Str(_) | Scalar::Bytes(_) => "str",
                Scalar::Int(_) => "int",
                Scalar::Float(_) => "float",
                Scalar::Bool(_) => "bool",
                Scalar::Time(_) => "time",
                Scalar::Null => "null",
            },
        }
    }

    /// The bytes sops encrypts and feeds to the MAC for this leaf (`sops.ToBytes`).
    pub fn plaintext(self) -> std::borrow::Cow<'a, [u8]> {
        use std::borrow::Cow;
        match self {
            LeafRef::Comment(c) => Cow::Borrowed(c.as_bytes()),
            LeafRef::Scalar(s) => match s {
                Scalar::Str(v) | Scalar::Time(v) => Cow::Borrowed(v.as_bytes()),
                Scalar::Bytes(v) => Cow::Borrowed(v),
                Scalar::Int(v) => Cow::Owned(v.to_string().into_bytes()),
                Scalar::Float(v) => Cow::Owned(numfmt::go_f(*v).into_bytes()),
                Scalar::Bool(true) => Cow::Borrowed(b"True"),
                Scalar::Bool(false) => Cow::Borrowed(b"False"),
                Scalar::Null => Cow::Borrowed(b""),
            },
        }
    }

    /// Empty strings and comments are never encrypted.
    pub fn is_empty(self) -> bool {
        match self {
            LeafRef::Comment(c) => c.is_empty(),
            LeafRef::Scalar(Scalar::Str(s)) => s.is_empty(),
            LeafRef::Scalar(_) => false,
        }
    }
}

/// The 32-byte data key that encrypts every value of a file.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// A fresh random key.
    pub fn generate() -> DataKey {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        DataKey(key)
    }

    /// The key from unwrapped bytes; anything but 32 bytes is an error.
    pub fn from_slice(bytes: &[u8]) -> Result<DataKey> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| {
            Error::new(
                Code::CouldNotRetrieveKey,
                format!("the data key has {} bytes, expected 32", bytes.len()),
            )
        })?;
        Ok(DataKey(Zeroizing::new(array)))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// A new random nonce, from the thread-local CSPRNG (ChaCha, seeded and reseeded from the
/// OS): one system call per file instead of one per value.
pub fn random_nonce() -> [u8; NONCE_LEN] {
    let mut iv = [0u8; NONCE_LEN];
    rand::thread_rng().fill_bytes(&mut iv);
    iv
}

/// The value cipher for one data key. Built once per file: the AES key schedule and the GHASH
/// key are computed once, not for every value.
pub struct ValueCipher {
    aead: Aes256Gcm,
}

impl ValueCipher {
    pub fn new(key: &DataKey) -> ValueCipher {
        ValueCipher {
            aead: Aes256Gcm::new(key.as_bytes()),
        }
    }

    /// Encrypts `leaf` under `aad` with the given nonce. Empty leaves stay `""`.
    pub fn encrypt<'l>(
        &self,
        leaf: impl Into<LeafRef<'l>>,
        aad: &str,
        iv: &[u8; NONCE_LEN],
    ) -> Result<String> {
        let leaf = leaf.into();
        if leaf.is_empty() {
            return Ok(String::new());
        }
        let mut buffer = Zeroizing::new(leaf.plaintext().into_owned());
        let tag = self
            .aead
            .seal_in_place(iv, aad.as_bytes(), &mut buffer)
            .map_err(|_| Error::new(Code::ErrorEncryptingTree, "AES-GCM encryption failed"))?;
        let mut out = Vec::with_capacity(PREFIX.len() + buffer.len().div_ceil(3) * 4 + 100);
        out.extend_from_slice(PREFIX.as_bytes());
        b64::encode_into(&buffer[..], &mut out);
        out.extend_from_slice(b",iv:");
        b64::encode_into(iv, &mut out);
        out.extend_from_slice(b",tag:");
        b64::encode_into(&tag, &mut out);
        out.extend_from_slice(b",type:");
        out.extend_from_slice(leaf.type_tag().as_bytes());
        out.push(b']');
        // All ASCII, so this cannot fail.
        String::from_utf8(out)
            .map_err(|_| Error::new(Code::ErrorEncryptingTree, "ENC value is not text"))
    }

    /// Decrypts an `ENC[...]` string under `aad`. An empty string decrypts to `""`.
    pub fn decrypt(&self, text: &str, aad: &str) -> Result<Opened> {
        if text.is_empty() {
            return Ok(Opened {
                leaf: Leaf::Scalar(Scalar::Str(Text::new())),
                iv: None,
            });
        }
        let sealed = parse(text).ok_or_else(|| bad("value is not in ENC[AES256_GCM,...] form"))?;
        let bad_data = || bad("invalid base64 in the data of an ENC value");
        // Short values, most of them, are decrypted in a buffer on the stack that is wiped
        // afterwards: their text goes into the tree in place (a `Text` holds up to
        // `INLINE` bytes), so a heap buffer would only cost an allocation a value (and
        // a wipe before it is freed, see `Text`'s `From<String>`).
        if sealed.data.len() <= SHORT_BASE64 {
            let mut plain = Zeroizing::new([0u8; SHORT_PLAINTEXT]);
            let len = b64::decode_to_slice(sealed.data.as_bytes(), &mut plain[..])
                .map_err(|_| bad_data())?;
            let plain = &mut plain[..len];
            let iv = self.open(&sealed, aad, plain)?;
            let leaf = match (sealed.type_tag, std::str::from_utf8(plain)) {
                ("str", Ok(s)) => Leaf::Scalar(Scalar::Str(s.into())),
                _ => typed(plain.to_vec(), sealed.type_tag)?,
            };
            return Ok(Opened { leaf, iv });
        }
        // Not `Zeroizing`: on failure AES-GCM has zeroed it, and on success the plaintext
        // moves into the leaf.
        let mut buffer = Vec::new();
        b64::decode_into(sealed.data.as_bytes(), &mut buffer).map_err(|_| bad_data())?;
        let iv = self.open(&sealed, aad, &mut buffer)?;
        Ok(Opened {
            leaf: typed(buffer, sealed.type_tag)?,
            iv,
        })
    }

    /// Decodes the nonce and tag of `sealed` and decrypts `buffer`, its data, in place
    /// under `aad`; the nonce when it has sops' 32 bytes (`None` for 12).
    fn open(
        &self,
        sealed: &Sealed<'_>,
        aad: &str,
        buffer: &mut [u8],
    ) -> Result<Option<[u8; NONCE_LEN]>> {
        // Nonce and tag are small: decoded on the stack. sops writes 32-byte nonces but,
        // as Go's GCM, reads any length; a longer one (never written by sops) goes to the
        // heap.
        let bad_iv = |_| bad("invalid base64 in the iv of an ENC value");
        let mut iv = [0u8; NONCE_LEN];
        let mut long_iv = Vec::new();
        let iv: &[u8] = if sealed.iv.len() <= NONCE_LEN.div_ceil(3) * 4 {
            let len = b64::decode_to_slice(sealed.iv.as_bytes(), &mut iv).map_err(bad_iv)?;
            &iv[..len]
        } else {
            b64::decode_into(sealed.iv.as_bytes(), &mut long_iv).map_err(bad_iv)?;
            &long_iv
        };
        let mut tag = [0u8; TAG_LEN];
        let tag_len = b64::decode_to_slice(sealed.tag.as_bytes(), &mut tag)
            .map_err(|_| bad("the tag of an ENC value is not 16 bytes of base64"))?;
        if tag_len != TAG_LEN {
            return Err(bad("the tag of an ENC value is not 16 bytes"));
        }
        if iv.is_empty() {
            return Err(bad("the iv of an ENC value is empty"));
        }
        self.aead
            .open_in_place(iv, aad.as_bytes(), buffer, &tag)
            .map_err(|_| bad("authentication failed (wrong key, tampered value or moved value)"))?;
        Ok(iv.try_into().ok())
    }
}

/// A value that does not decrypt.
fn bad(why: &str) -> Error {
    Error::new(Code::ErrorDecryptingTree, why.to_string())
}

/// The most base64 a value's data may have to be decrypted on the stack, and the bytes it
/// decodes to at most: enough for every text a `Text` holds in place.
const SHORT_BASE64: usize = INLINE.div_ceil(3) * 4;
const SHORT_PLAINTEXT: usize = SHORT_BASE64 / 4 * 3;

/// Encrypts `leaf` under `aad` with the given nonce (one-off; see [`ValueCipher`]).
pub fn encrypt(key: &DataKey, leaf: &Leaf, aad: &str, iv: &[u8; NONCE_LEN]) -> Result<String> {
    ValueCipher::new(key).encrypt(leaf, aad, iv)
}

/// The parts of an `ENC[...]` string.
struct Sealed<'a> {
    data: &'a str,
    iv: &'a str,
    tag: &'a str,
    type_tag: &'a str,
}

/// Parses like sops' regex `^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]`.
/// Base64 has no commas, so for any value that can decrypt, splitting at the commas from the
/// left finds the same parts as the regex; it is just faster.
fn parse(text: &str) -> Option<Sealed<'_>> {
    // memchr, not a byte loop: the parts are a hundred bytes a value, and a byte loop costs
    // some five instructions a byte (callgrind, 50,000-value dotenv decrypt: parsing went
    // from 32 M instructions to 14 M).
    fn until_comma(s: &str) -> Option<(&str, &str)> {
        let at = memchr::memchr(b',', s.as_bytes())?;
        Some((&s[..at], &s[at + 1..]))
    }
    let rest = text.strip_prefix(PREFIX)?;
    let (data, rest) = until_comma(rest)?;
    let (iv, rest) = until_comma(rest.strip_prefix("iv:")?)?;
    let (tag, rest) = until_comma(rest.strip_prefix("tag:")?)?;
    let rest = rest.strip_prefix("type:")?;
    let type_tag = &rest[..rest.bytes().rposition(|b| b == b']')?];
    if [data, iv, tag, type_tag].iter().any(|s| s.is_empty()) {
        return None;
    }
    Some(Sealed {
        data,
        iv,
        tag,
        type_tag,
    })
}

/// Whether `text` has the `ENC[...]` form (cheap; used to tell encrypted values apart).
pub fn is_encrypted(text: &str) -> bool {
    parse(text).is_some()
}

/// A decrypted leaf and the nonce it was sealed with (for nonce reuse on re-encryption).
pub struct Opened {
    pub leaf: Leaf,
    /// The 32-byte nonce (`None` for empty values and the rare nonces of other lengths,
    /// which are never reused).
    pub iv: Option<[u8; NONCE_LEN]>,
}

/// Decrypts an `ENC[...]` string under `aad` (one-off; see [`ValueCipher`]).
pub fn decrypt(key: &DataKey, text: &str, aad: &str) -> Result<Opened> {
    ValueCipher::new(key).decrypt(text, aad)
}

fn typed(plain: Vec<u8>, type_tag: &str) -> Result<Leaf> {
    match type_tag {
        "str" => {
            return Ok(Leaf::Scalar(match String::from_utf8(plain) {
                Ok(s) => Scalar::Str(s.into()),
                Err(e) => Scalar::Bytes(e.into_bytes().into()),
            }))
        }
        "bytes" => return Ok(Leaf::Scalar(Scalar::Bytes(plain.into()))),
        _ => {}
    }
    // The other types are parsed from the text, which is wiped afterwards.
    let plain = Zeroizing::new(plain);
    let bad = |what: &str| {
        Error::new(
            Code::ErrorDecryptingTree,
            format!("decrypted value is not a valid {what}"),
        )
    };
    let text = || std::str::from_utf8(&plain).map_err(|_| bad(type_tag));
    Ok(match type_tag {
        "int" => Leaf::Scalar(Scalar::Int(text()?.parse().map_err(|_| bad("int"))?)),
        "float" => Leaf::Scalar(Scalar::Float(
            parse_go_float(text()?).ok_or_else(|| bad("float"))?,
        )),
        "bool" => Leaf::Scalar(Scalar::Bool(
            parse_go_bool(text()?).ok_or_else(|| bad("bool"))?,
        )),
        "time" => Leaf::Scalar(Scalar::Time(text()?.into())),
        "comment" => Leaf::Comment(text()?.into()),
        other => {
            return Err(Error::new(
                Code::ErrorDecryptingTree,
                format!("unknown value type {other:?}"),
            ))
        }
    })
}

/// Go `strconv.ParseFloat`, including `+Inf`/`-Inf`/`NaN`.
fn parse_go_float(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().as_str() {
        "+inf" | "inf" | "+infinity" | "infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

/// Go `strconv.ParseBool`.
pub fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of SOPS-FORMAT.md §11.
    fn example_key() -> DataKey {
        let hex = "8f86f4e7a35917621bf93ac64ad4b076b46db6f51bef4c74a8d47546ee971d34";
        let bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        DataKey::from_slice(&bytes).unwrap()
    }

    #[test]
    fn decrypts_known_answer_from_sops() {
        let key = example_key();
        let v = "ENC[AES256_GCM,data:b8uh3LV/VA==,iv:EjVFFR+odL8rclKH0nQVZ+YeqYPQt8ukq9rC5B5Qs7s=,tag:FLKd4MNCGNfKN5JqOGpWhQ==,type:str]";
        let opened = decrypt(&key, v, "db:password:").unwrap();
        assert_eq!(opened.leaf, Leaf::Scalar(Scalar::Str("hunter2".into())));
        let port = "ENC[AES256_GCM,data:96cRYA==,iv:5bgHyyxBdb5gga9iwOem7+rSdRA6iugsElE0LSEVs6Y=,tag:mHN8aDrrxRPRnCc1x9rWLA==,type:int]";
        assert_eq!(
            decrypt(&key, port, "db:port:").unwrap().leaf,
            Leaf::Scalar(Scalar::Int(5432))
        );
        let comment = "ENC[AES256_GCM,data:tjToNuv1rwFv,iv:St8wEmZfX3H9lQlhiRX0wubTNKII6hfEMlcDL/OnKRY=,tag:VsVVVc3r9fyKYFpoiPP5ig==,type:comment]";
        assert_eq!(
            decrypt(&key, comment, ":").unwrap().leaf,
            Leaf::Comment(" db creds".into())
        );
    }

    /// sops writes 32-byte nonces but reads any length, as Go's GCM does (checked against
    /// sops 3.11 with values of 12, 16 and 48-byte nonces). These were sealed with Python's
    /// `cryptography`; only 32-byte nonces are remembered for reuse.
    #[test]
    fn nonces_of_other_lengths_decrypt() {
        let key = example_key();
        for v in [
            "ENC[AES256_GCM,data:hEABRSChZw==,iv:AAECAwQFBgcICQoL,tag:qiWMNSOwOBcOhTo6qEhSwA==,type:str]",
            "ENC[AES256_GCM,data:6QJAwhKMLw==,iv:AAECAwQFBgcICQoLDA0ODw==,tag:POl9GnLRBZ3773iMVY3UnQ==,type:str]",
            "ENC[AES256_GCM,data:QmwxKwDdaw==,iv:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v,tag:lIBDsiVAUV/b+rkBvruOeg==,type:str]",
        ] {
            let opened = decrypt(&key, v, "db:password:").unwrap();
            assert_eq!(opened.leaf, Leaf::Scalar(Scalar::Str("hunter2".into())), "{v}");
            assert_eq!(opened.iv, None);
            assert!(decrypt(&key, v, "db:user:").is_err(), "{v}");
        }
        let bad_iv =
            "ENC[AES256_GCM,data:hEABRSChZw==,iv:AAE,tag:qiWMNSOwOBcOhTo6qEhSwA==,type:str]";
        let err = decrypt(&key, bad_iv, "db:password:").err().unwrap();
        assert!(
            err.to_string().contains("invalid base64 in the iv"),
            "{err}"
        );
    }

    #[test]
    fn path_is_authenticated() {
        let key = example_key();
        let v = "ENC[AES256_GCM,data:b8uh3LV/VA==,iv:EjVFFR+odL8rclKH0nQVZ+YeqYPQt8ukq9rC5B5Qs7s=,tag:FLKd4MNCGNfKN5JqOGpWhQ==,type:str]";
        let err = decrypt(&key, v, "db:password").err().unwrap();
        assert_eq!(err.code, Code::ErrorDecryptingTree);
    }

    #[test]
    fn reusing_a_nonce_reproduces_the_ciphertext() {
        let key = example_key();
        let v = "ENC[AES256_GCM,data:b8uh3LV/VA==,iv:EjVFFR+odL8rclKH0nQVZ+YeqYPQt8ukq9rC5B5Qs7s=,tag:FLKd4MNCGNfKN5JqOGpWhQ==,type:str]";
        let opened = decrypt(&key, v, "db:password:").unwrap();
        let iv = opened.iv.unwrap();
        assert_eq!(encrypt(&key, &opened.leaf, "db:password:", &iv).unwrap(), v);
    }

    #[test]
    fn round_trips_every_type() {
        let key = DataKey::generate();
        let leaves = [
            Leaf::Scalar(Scalar::Str("héllo".into())),
            Leaf::Scalar(Scalar::Int(-7)),
            Leaf::Scalar(Scalar::Float(2.5)),
            Leaf::Scalar(Scalar::Float(f64::INFINITY)),
            Leaf::Scalar(Scalar::Bool(false)),
            Leaf::Scalar(Scalar::Time("2024-01-02T00:00:00Z".into())),
            Leaf::Comment(" note".into()),
        ];
        for leaf in leaves {
            let text = encrypt(&key, &leaf, "a:b:", &random_nonce()).unwrap();
            assert!(text.ends_with(&format!("type:{}]", leaf.type_tag())));
            assert_eq!(decrypt(&key, &text, "a:b:").unwrap().leaf, leaf);
        }
    }

    #[test]
    fn values_either_side_of_the_stack_buffer_round_trip() {
        // Data up to SHORT_BASE64 characters is decrypted on the stack, longer data on the
        // heap; every length across the border, of each kind of value, comes back whole.
        let key = DataKey::generate();
        for len in 1..=SHORT_PLAINTEXT + 8 {
            let text: String = "aé".chars().cycle().take(len).collect();
            // Not UTF-8, so they come back as bytes.
            let bytes = vec![0xffu8; len];
            let leaves = [
                Leaf::Scalar(Scalar::Str(text.as_str().into())),
                Leaf::Scalar(Scalar::Bytes(bytes.into())),
                Leaf::Scalar(Scalar::Int("9".repeat(len.min(18)).parse().unwrap())),
                Leaf::Comment(text.as_str().into()),
            ];
            for leaf in leaves {
                let sealed = encrypt(&key, &leaf, "k:", &random_nonce()).unwrap();
                let opened = decrypt(&key, &sealed, "k:").unwrap();
                assert_eq!(opened.leaf, leaf, "{len} bytes");
                assert!(opened.iv.is_some());
                let moved = decrypt(&key, &sealed, "j:").err().unwrap();
                assert!(moved.message.contains("authentication failed"), "{len}");
            }
        }
    }

    #[test]
    fn bad_base64_is_named_whichever_buffer_the_data_goes_to() {
        let key = DataKey::generate();
        let iv = "EjVFFR+odL8rclKH0nQVZ+YeqYPQt8ukq9rC5B5Qs7s=";
        for data in ["!!!!", &"A!AA".repeat(20)] {
            let text = format!("ENC[AES256_GCM,data:{data},iv:{iv},tag:AA==,type:str]");
            let err = decrypt(&key, &text, "a:").err().unwrap();
            assert_eq!(err.message, "invalid base64 in the data of an ENC value");
        }
    }

    #[test]
    fn binary_data_is_sealed_as_str_and_comes_back_as_bytes() {
        let key = DataKey::generate();
        let leaf = Leaf::Scalar(Scalar::Bytes(vec![0, 0xff, 0xfe].into()));
        let text = encrypt(&key, &leaf, "data:", &random_nonce()).unwrap();
        assert!(text.ends_with("type:str]"));
        assert_eq!(decrypt(&key, &text, "data:").unwrap().leaf, leaf);
    }

    #[test]
    fn empty_values_stay_empty() {
        let key = DataKey::generate();
        let empty = Leaf::Scalar(Scalar::Str(Text::new()));
        assert_eq!(encrypt(&key, &empty, "a:", &random_nonce()).unwrap(), "");
        assert_eq!(decrypt(&key, "", "a:").unwrap().leaf, empty);
    }

    #[test]
    fn garbage_is_rejected_without_panic() {
        let key = DataKey::generate();
        for text in [
            "plain",
            "ENC[AES256_GCM,data:,iv:,tag:,type:]",
            "ENC[AES256_GCM,data:!!,iv:AA==,tag:AA==,type:str]",
        ] {
            assert_eq!(
                decrypt(&key, text, "a:").err().unwrap().code,
                Code::ErrorDecryptingTree
            );
        }
    }
}
