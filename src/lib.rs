//! `secret`: sops-compatible encryption of the values in structured secrets files.

pub mod error;
pub mod format;
pub mod keys;
pub mod numfmt;
pub mod tree;
