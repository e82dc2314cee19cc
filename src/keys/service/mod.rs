//! Key services: where master keys are wrapped and unwrapped.
//!
//! As in sops, the in-process ("local") service uses this process's own key material (age
//! identities, gpg, cloud credentials); `--keyservice` adds remote ones, reached over sops'
//! gRPC protocol, that use theirs. Every key is tried on the local service first, then on
//! each remote one in the order given, until one succeeds (`keyservices()` in sops'
//! `cmd/sops/main.go`).

#[cfg(feature = "keyservice")]
pub mod client;
#[cfg(feature = "keyservice")]
pub mod convert;
#[cfg(feature = "keyservice")]
pub mod proto;
#[cfg(feature = "keyservice")]
pub mod server;
mod uri;

pub use uri::Target;

use super::{from_metadata, Keyring, MasterKey};
use crate::error::{Code, Error, Result};
use crate::tree::{Item, Map, Node};
use zeroize::Zeroizing;

/// The key services one command uses, in the order they are tried.
pub struct KeyServices {
    /// The in-process service (`--enable-local-keyservice`, on by default).
    local: Option<std::sync::Arc<Keyring>>,
    /// The `--keyservice` servers, in the order given.
    remotes: Vec<Remote>,
    /// The master keys (`kind id`, never secret) that opened a data key, for `--verbose`.
    used: std::sync::Mutex<Vec<String>>,
}

/// One `--keyservice` server; connected on first use.
struct Remote {
    target: Target,
    #[cfg(feature = "keyservice")]
    client: std::sync::OnceLock<Result<client::Client>>,
}

impl Default for KeyServices {
    fn default() -> KeyServices {
        KeyServices::local()
    }
}

impl KeyServices {
    /// Only the local service: this process's own keys.
    pub fn local() -> KeyServices {
        KeyServices::new(Some(std::sync::Arc::new(Keyring::from_env())), &[])
    }

    /// The local service with `local`'s keys (none: `--enable-local-keyservice=false`), then
    /// the `--keyservice` servers. URIs that cannot be parsed are skipped with a warning, as
    /// sops does.
    pub fn new(local: Option<std::sync::Arc<Keyring>>, uris: &[String]) -> KeyServices {
        let remotes = uris
            .iter()
            .filter_map(|uri| match Target::parse(uri) {
                Ok(target) => Some(Remote {
                    target,
                    #[cfg(feature = "keyservice")]
                    client: std::sync::OnceLock::new(),
                }),
                Err(why) => {
                    eprintln!("secret: warning: skipping key service {uri:?}: {why}");
                    None
                }
            })
            .collect();
        KeyServices {
            local,
            remotes,
            used: Default::default(),
        }
    }

    /// Wraps `data_key` with `key` on the first service that succeeds. The key is replaced
    /// by one holding the new `enc`.
    pub fn wrap(&self, key: &mut Box<dyn MasterKey>, data_key: &[u8]) -> Result<()> {
        let mut failures = Vec::new();
        if self.local.is_some() {
            match key.wrap(data_key) {
                Ok(()) => return Ok(()),
                Err(e) => failures.push(("local key service".to_string(), e)),
            }
        }
        for remote in &self.remotes {
            match remote.wrap(key.as_ref(), data_key) {
                Ok(enc) => {
                    *key = with_enc(key.as_ref(), &enc, true)?;
                    return Ok(());
                }
                Err(e) => failures.push((remote.label(), e)),
            }
        }
        Err(combine(failures, Code::Generic, &key.describe()))
    }

    /// Notes that `key` (`kind id`) opened a data key or share.
    pub fn note_used(&self, key: String) {
        self.used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(key);
    }

    /// The keys noted since the last call, for `--verbose`.
    pub fn take_used(&self) -> Vec<String> {
        std::mem::take(&mut *self.used.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Unwraps `key` on the first service that succeeds; the error lists every failure.
    pub fn unwrap(&self, key: &dyn MasterKey) -> Result<Zeroizing<Vec<u8>>> {
        let mut failures = Vec::new();
        if let Some(keyring) = &self.local {
            match keyring.unwrap(key) {
                Ok(part) => return Ok(part),
                Err(e) => failures.push(("local key service".to_string(), e)),
            }
        }
        for remote in &self.remotes {
            match remote.unwrap(key) {
                Ok(part) => return Ok(part),
                Err(e) => failures.push((remote.label(), e)),
            }
        }
        Err(combine(
            failures,
            Code::CouldNotRetrieveKey,
            &key.describe(),
        ))
    }
}

/// One error from the failures of every service: a single service's error as it is,
/// several as `service: why; service: why` (without repeating the key's `id`, which the
/// caller names once).
fn combine(mut failures: Vec<(String, Error)>, code: Code, id: &str) -> Error {
    match failures.len() {
        0 => Error::new(
            code,
            "no key services provided, cannot update master keys \
             (--enable-local-keyservice=false and no --keyservice)",
        ),
        1 => failures.pop().expect("one failure").1,
        _ => Error::new(
            code,
            failures
                .iter()
                .map(|(service, e)| {
                    format!("{service}: {}", e.message.replace(&format!("{id}: "), ""))
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}

impl Remote {
    fn label(&self) -> String {
        format!("key service {}", self.target)
    }

    #[cfg(feature = "keyservice")]
    fn client(&self) -> Result<&client::Client> {
        self.client
            .get_or_init(|| client::Client::new(&self.target))
            .as_ref()
            .map_err(Clone::clone)
    }

    #[cfg(feature = "keyservice")]
    fn wrap(&self, key: &dyn MasterKey, data_key: &[u8]) -> Result<String> {
        self.client()?.encrypt(&convert::to_proto(key)?, data_key)
    }

    #[cfg(feature = "keyservice")]
    fn unwrap(&self, key: &dyn MasterKey) -> Result<Zeroizing<Vec<u8>>> {
        self.client()?
            .decrypt(&convert::to_proto(key)?, &enc_of(key))
            .map_err(|e| Error::new(Code::CouldNotRetrieveKey, e.message))
    }

    #[cfg(not(feature = "keyservice"))]
    fn wrap(&self, _key: &dyn MasterKey, _data_key: &[u8]) -> Result<String> {
        Err(unsupported())
    }

    #[cfg(not(feature = "keyservice"))]
    fn unwrap(&self, _key: &dyn MasterKey) -> Result<Zeroizing<Vec<u8>>> {
        Err(unsupported())
    }
}

#[cfg(not(feature = "keyservice"))]
fn unsupported() -> Error {
    Error::new(
        Code::Generic,
        "this secret was built without key service support \
         (rebuild with the default cargo feature `keyservice`)",
    )
}

/// The `enc` field of a key's metadata entry (empty when it has none).
#[cfg_attr(not(feature = "keyservice"), allow(dead_code))] // and by the unit tests
pub fn enc_of(key: &dyn MasterKey) -> String {
    crate::tree::get(&key.to_map(), "enc")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A copy of `key` whose `enc` is `enc`, rebuilt through its metadata entry so that every
/// key type works without a setter of its own. An empty `created_at` (a key not yet
/// wrapped) becomes now with `stamp` (the key was just wrapped), else it is left out.
pub fn with_enc(key: &dyn MasterKey, enc: &str, stamp: bool) -> Result<Box<dyn MasterKey>> {
    let mut entry: Map = key.to_map();
    set_field(&mut entry, "enc", enc);
    let unstamped = matches!(
        crate::tree::get(&entry, "created_at").and_then(Node::as_str),
        Some("")
    );
    if unstamped && stamp {
        set_field(&mut entry, "created_at", &crate::timefmt::now_utc());
    } else if unstamped {
        crate::tree::remove(&mut entry, "created_at");
    }
    from_metadata(key.kind(), &entry)
}

/// Sets (or appends) a string field of a metadata entry.
fn set_field(entry: &mut Map, name: &str, value: &str) {
    for item in entry.iter_mut() {
        if let Item::Pair(k, v) = item {
            if k == name {
                *v = Node::str(value);
                return;
            }
        }
    }
    entry.push(Item::Pair(name.into(), Node::str(value)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::age::AgeMasterKey;
    use crate::keys::pgp::PgpMasterKey;

    const AGE1: &str = "age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman";

    #[test]
    fn with_enc_replaces_enc_and_keeps_the_rest() {
        let key = AgeMasterKey::new(AGE1).unwrap();
        let copy = with_enc(&key, "ENC", true).unwrap();
        assert_eq!(copy.kind(), "age");
        assert_eq!(copy.describe(), AGE1);
        assert_eq!(enc_of(copy.as_ref()), "ENC");
    }

    #[test]
    fn with_enc_stamps_or_drops_an_empty_created_at() {
        let key = PgpMasterKey::new("FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4").unwrap();
        let stamped = with_enc(&key, "ENC", true).unwrap().to_map();
        let created = crate::tree::get(&stamped, "created_at").and_then(Node::as_str);
        assert!(created.is_some_and(|t| t.ends_with('Z')), "{created:?}");
        let unstamped = with_enc(&key, "ENC", false).unwrap();
        assert_eq!(enc_of(unstamped.as_ref()), "ENC");
    }

    #[test]
    fn no_services_is_an_error_naming_the_flags() {
        let services = KeyServices::new(None, &[]);
        let mut key: Box<dyn MasterKey> = Box::new(AgeMasterKey::new(AGE1).unwrap());
        let e = services.wrap(&mut key, &[0; 32]).unwrap_err();
        assert!(e.message.contains("no key services"), "{}", e.message);
        let e = services.unwrap(key.as_ref()).unwrap_err();
        assert_eq!(e.code, Code::CouldNotRetrieveKey);
    }

    #[test]
    fn failures_of_several_services_are_all_listed() {
        let e = combine(
            vec![
                ("local key service".into(), Error::new(Code::Generic, "a")),
                (
                    "key service unix:///s".into(),
                    Error::new(Code::Generic, "K: b"),
                ),
            ],
            Code::CouldNotRetrieveKey,
            "K",
        );
        assert_eq!(e.message, "local key service: a; key service unix:///s: b");
        assert_eq!(e.code, Code::CouldNotRetrieveKey);
    }
}
