//! `secret`: sops-compatible encryption of the values in structured secrets files.

pub mod cli;
pub mod config;
pub mod crypt;
pub mod error;
pub mod format;
pub mod keys;
pub mod mask;
pub mod merge;
pub mod numfmt;
pub mod plan;
pub mod publish;
pub mod scan;
pub mod sopsfile;
pub mod timefmt;
pub mod tree;
pub mod treepath;
