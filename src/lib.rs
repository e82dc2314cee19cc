//! `secret`: sops-compatible encryption of the values in structured secrets files (YAML,
//! JSON, dotenv, INI, TOML, binary), as a command line and as a library.
//!
//! The library reads and writes the same files as sops 3.x, byte for byte:
//!
//! - [`decrypt`] a sops file with the identities of a [`Keyring`] into a [`Document`];
//!   read its values with [`Document::get`], change them with [`Document::set`], and
//!   [`Document::encrypt`] it again under the same keys;
//! - [`encrypt`] a plaintext file for explicit recipients ([`EncryptOptions`]).
//!
//! A [`Keyring::new`] holds only what the program gives it (no environment variables, no
//! key files); [`Keyring::from_env`] finds keys as the `secret` and `sops` commands do.
//! Errors are [`Error`]s with a stable [`ErrorKind`] and sops' exit code.
//!
//! ```
//! // The demo identity shipped with the crate opens the demo file.
//! let identity = std::fs::read_to_string("examples/demo-age-key.txt")?;
//! let keyring = secret::Keyring::new().with_age_identities(&identity)?;
//! let file = std::fs::read("examples/secrets.yaml")?;
//! let doc = secret::decrypt(&file, secret::Format::from_path("secrets.yaml".as_ref()), &keyring)?;
//! let password = doc.get("database.password")?.and_then(|v| v.as_str());
//! assert_eq!(password, Some("c0rrect horse battery staple"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Everything not listed here is private to the crate; see the README's "Using secret as a
//! library" for what the version number promises.
#![warn(missing_docs)]

mod allocator;
mod api;
pub(crate) mod cli;
// Partly re-exported by `internals` (unstable, undocumented there).
#[allow(missing_docs)]
pub(crate) mod config;
// Partly re-exported by `internals` (unstable, undocumented there).
#[allow(missing_docs)]
pub(crate) mod crypt;
mod error;
pub(crate) mod format;
mod hash;
pub(crate) mod input;
pub(crate) mod keys;
pub(crate) mod mask;
pub(crate) mod merge;
pub(crate) mod numfmt;
pub(crate) mod plan;
pub(crate) mod publish;
pub(crate) mod scan;
pub(crate) mod sopsfile;
pub(crate) mod timefmt;
// Partly re-exported by `internals` (unstable, undocumented there).
#[allow(missing_docs)]
pub(crate) mod tree;
pub(crate) mod treepath;
mod wipe;

pub use api::{decrypt, encrypt, Document, EncryptOptions, Keyring, NewValue, Value, ValueKind};
pub use error::{Error, ErrorKind, Result};
pub use format::Format;

/// Runs the `secret` command line with `args` (the program name first) and returns the
/// process exit code. It is the whole binary, public only so that `main.rs` (a separate
/// crate) can call it: it prints to stdout/stderr, reads the environment and may prompt on
/// the terminal, so it is hidden and outside the semver promise. Programs use the functions
/// above instead.
#[doc(hidden)]
pub fn run_cli(args: Vec<std::ffi::OsString>) -> i32 {
    cli::run(args)
}

/// The stack a thread that walks trees runs on: the stores accept nesting as deep as sops
/// does (10,000 levels, twice that for YAML's flow inside block), walked recursively, which
/// needs more than a main thread's 8 MiB. Only reserved: pages are touched as deep input
/// needs them. For `main.rs` and the spare thread; hidden for the same reason as [`run_cli`].
#[doc(hidden)]
pub const WALK_STACK: usize = 128 << 20;

/// Prepares the allocator for a run of the command line; `main` calls it before it allocates
/// anything (see `allocator.rs`). Hidden for the same reason as [`run_cli`].
#[doc(hidden)]
pub fn prepare_allocator() {
    allocator::process_starts();
}

/// Internal stages re-exported for the crate's own benchmarks and property tests (raw
/// AES-GCM, the stores, the output masker). **Unstable**: not part of the API, not covered
/// by semver, may change or go away in any release.
#[doc(hidden)]
pub mod internals {
    pub use crate::config::Config;
    pub use crate::crypt::select::Selector;
    pub use crate::crypt::{cipher, gcm, walk};
    pub use crate::format::{Store, StoreOptions};
    pub use crate::keys::age::{AgeIdentities, AgeMasterKey, SOPS_AGE_KEY};
    pub use crate::mask::stream::{Secrets, StreamMasker};
    pub use crate::tree::{Item, Map, Node, Scalar};

    /// `format.store(&options)`: the store that reads and writes a format.
    pub trait FormatStore {
        /// The store of this format.
        fn store(self, options: &StoreOptions) -> Box<dyn Store>;
    }

    impl FormatStore for crate::Format {
        fn store(self, options: &StoreOptions) -> Box<dyn Store> {
            crate::Format::store(self, options)
        }
    }
}
