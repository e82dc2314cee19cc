//! The library API: [`decrypt`] and [`encrypt`] whole files, read and change a decrypted
//! [`Document`], with keys from a [`Keyring`]. The command line is built on the same
//! functions (`sopsfile`, `plan`, the key services).

mod document;
mod encrypt;
mod keyring;

pub use document::{Document, NewValue, Value, ValueKind};
pub use encrypt::EncryptOptions;
pub use keyring::Keyring;

use crate::error::{Code, Error, Result};
use crate::format::{Format, StoreOptions};
use crate::keys::service::KeyServices;
use crate::sopsfile::{self, OpenOptions};

/// Decrypts a sops file (the bytes of a whole file in `format`) with the keys of
/// `keyring`, and checks its MAC.
///
/// Master keys are tried in sops' default order (age, then PGP, then the rest). Fails with
/// [`ErrorKind::KeyNotFound`](crate::ErrorKind::KeyNotFound) when no key of the keyring
/// opens the file, [`ErrorKind::MacMismatch`](crate::ErrorKind::MacMismatch) when it was
/// changed without its key, and a parse error for input that is not a sops file.
///
/// ```
/// let identity = std::fs::read_to_string("examples/demo-age-key.txt")?;
/// let keyring = secret::Keyring::new().with_age_identities(&identity)?;
/// let file = std::fs::read("examples/secrets.yaml")?;
/// let doc = secret::decrypt(&file, secret::Format::Yaml, &keyring)?;
/// assert_eq!(doc.get("database.host")?.and_then(|v| v.as_str()), Some("db.internal.example.com"));
///
/// let err = secret::decrypt(&file, secret::Format::Yaml, &secret::Keyring::new()).unwrap_err();
/// assert_eq!(err.kind(), secret::ErrorKind::KeyNotFound);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decrypt(bytes: &[u8], format: Format, keyring: &Keyring) -> Result<Document> {
    let loaded = format.store(&StoreOptions::default()).load(bytes)?;
    let options = OpenOptions {
        ignore_mac: false,
        decryption_order: crate::keys::DEFAULT_DECRYPTION_ORDER
            .iter()
            .map(|s| s.to_string())
            .collect(),
        // Kept so that `Document::encrypt` leaves unchanged values as they were.
        remember_nonces: true,
    };
    let services = KeyServices::new(Some(keyring.shared()), &[]);
    let opened = sopsfile::open(loaded, &services, &options)?;
    Ok(Document::new(format, opened))
}

/// Encrypts a plaintext file (the bytes of a whole file in `format`) for the master keys of
/// `options`, with a fresh data key. The result is a sops file that sops 3.x reads.
///
/// ```
/// let recipient = "age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman";
/// let options = secret::EncryptOptions::new().age(recipient);
/// let sealed = secret::encrypt(b"password: hunter2\n", secret::Format::Yaml, &options)?;
/// assert!(!String::from_utf8_lossy(&sealed).contains("hunter2"));
///
/// // The identity of that recipient opens it again.
/// let identity = std::fs::read_to_string("tests/vectors/keys/age1.txt")?;
/// let keyring = secret::Keyring::new().with_age_identities(&identity)?;
/// let doc = secret::decrypt(&sealed, secret::Format::Yaml, &keyring)?;
/// assert_eq!(doc.get("password")?.and_then(|v| v.as_str()), Some("hunter2"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encrypt(plaintext: &[u8], format: Format, options: &EncryptOptions) -> Result<Vec<u8>> {
    if options.has_no_keys() {
        return Err(Error::new(
            Code::Generic,
            "no master keys given: add at least one (e.g. EncryptOptions::age)",
        ));
    }
    let store = format.store(&StoreOptions::default());
    let loaded = store.load(plaintext)?;
    sopsfile::refuse_encrypted(&loaded)?;
    let plan = crate::plan::plan_new_file(None, options.explicit()?, "the input")?;
    // Wrapping needs no identities: an empty keyring keeps the environment out of it.
    let services = KeyServices::new(Some(Keyring::new().shared()), &[]);
    sopsfile::seal_plain(
        loaded,
        sopsfile::Seal::New(plan),
        &*store,
        format,
        &services,
    )?
    .into_bytes(&*store)
}
