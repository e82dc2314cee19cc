//! [`Keyring`]: the identities and credentials that open data keys.

use std::sync::Arc;

use crate::error::Result;
use crate::keys;

/// What [`crate::decrypt`] may use to open a file's data key.
///
/// [`Keyring::new`] starts empty and never looks at the environment: only the age
/// identities you add are used, and master keys of other types (KMS, PGP, Vault, …) in a
/// file are not tried. [`Keyring::from_env`] finds keys exactly as the `secret` and `sops`
/// commands do (`SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, the default
/// `keys.txt`, SSH keys, gpg, cloud credentials); identities added to it are tried first.
///
/// Cloning is cheap; a keyring can be shared between threads.
///
/// ```
/// let identity = std::fs::read_to_string("tests/vectors/keys/age1.txt")?;
/// let keyring = secret::Keyring::new().with_age_identities(&identity)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Keyring {
    inner: Arc<keys::Keyring>,
}

impl Keyring {
    /// An empty keyring that reads nothing from the environment or the file system.
    pub fn new() -> Keyring {
        Keyring {
            inner: Arc::new(keys::Keyring::in_memory()),
        }
    }

    /// The keys the command line would find, loaded on first use (so a file without age
    /// keys never runs `SOPS_AGE_KEY_CMD`).
    pub fn from_env() -> Keyring {
        Keyring {
            inner: Arc::new(keys::Keyring::from_env()),
        }
    }

    /// Adds age identities given as text: the contents of an age keys file (one
    /// `AGE-SECRET-KEY-1…` or `AGE-PLUGIN-…` identity per line, `#` comments and blank
    /// lines skipped; several identities on one line are accepted, as in `SOPS_AGE_KEY`).
    /// Returns how many were added. The error never quotes the text. As on the command
    /// line, a plugin identity (`AGE-PLUGIN-…`) runs its plugin, which may talk to the user
    /// on the terminal.
    ///
    /// ```
    /// let mut keyring = secret::Keyring::new();
    /// let text = std::fs::read_to_string("tests/vectors/keys/age12.txt")?;
    /// assert_eq!(keyring.add_age_identities(&text)?, 2);
    /// assert!(keyring.add_age_identities("AGE-SECRET-KEY-1NOTAKEY").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_age_identities(&mut self, text: &str) -> Result<usize> {
        Arc::make_mut(&mut self.inner).add_age_identities(text.as_bytes())
    }

    /// [`Keyring::add_age_identities`] in builder style.
    pub fn with_age_identities(mut self, text: &str) -> Result<Keyring> {
        self.add_age_identities(text)?;
        Ok(self)
    }

    /// The keyring the crate's key services use.
    pub(crate) fn shared(&self) -> Arc<keys::Keyring> {
        Arc::clone(&self.inner)
    }
}

impl Default for Keyring {
    /// [`Keyring::new`]: empty, nothing from the environment.
    fn default() -> Keyring {
        Keyring::new()
    }
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the identities themselves.
        f.debug_struct("Keyring").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyrings_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Keyring>();
    }

    #[test]
    fn adding_to_a_clone_leaves_the_original_alone() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/keys/age12.txt"
        ))
        .unwrap();
        let empty = Keyring::new();
        let mut full = empty.clone();
        assert_eq!(full.add_age_identities(&text).unwrap(), 2);
        let described = |k: &Keyring| k.shared().age_identities().unwrap().describe();
        assert!(described(&empty).is_empty());
        assert_eq!(described(&full).len(), 1, "{:?}", described(&full));
    }
}
