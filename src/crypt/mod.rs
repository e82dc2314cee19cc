//! Everything between a plaintext tree and an encrypted one: the value cipher, the MAC,
//! the `sops` metadata block, and the walk that decides which leaves to encrypt.

mod ahead;
pub(crate) mod b64;
pub mod cipher;
pub mod gcm;
pub mod metadata;
mod parts;
pub mod select;
pub(crate) mod spare;
pub mod walk;
