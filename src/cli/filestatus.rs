//! `secret filestatus`: prints `{"encrypted":true}` or `{"encrypted":false}` as sops does.
//! True only when the file has a `sops` block with a non-empty `version` and `mac`; a file
//! that cannot be read or parsed, or whose metadata cannot be read or names no master keys,
//! is an error (exit 1).

use super::io::Context;
use crate::error::{Code, Error, Result};
use crate::format::Format;
use crate::tree::{self, Map, Node, Scalar};
use clap::Args;
use std::path::PathBuf;

/// Options of `secret filestatus`.
#[derive(Debug, Args)]
pub struct FileStatusArgs {
    /// The file to check
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Input format (default: from the file name)
    #[arg(long, value_name = "TYPE", value_parser = super::FormatName)]
    pub input_type: Option<String>,
}

/// Whether a metadata block marks the file as encrypted.
pub fn is_encrypted(metadata: Option<&Map>) -> bool {
    let non_empty = |m: &Map, field: &str| match tree::get(m, field) {
        Some(Node::Scalar(Scalar::Str(s))) | Some(Node::Scalar(Scalar::Time(s))) => !s.is_empty(),
        Some(Node::Scalar(Scalar::Int(_))) | Some(Node::Scalar(Scalar::Float(_))) => true,
        _ => false,
    };
    metadata.is_some_and(|m| non_empty(m, "version") && non_empty(m, "mac"))
}

/// Runs `secret filestatus`.
pub fn run(ctx: &Context, args: FileStatusArgs) -> Result<()> {
    let fail = |why: String| {
        Error::new(
            Code::Generic,
            format!("cannot check file status: {}: {why}", args.file.display()),
        )
    };
    let bytes = std::fs::read(&args.file).map_err(|e| fail(e.to_string()))?;
    let format = args
        .input_type
        .as_deref()
        .and_then(Format::from_name)
        .unwrap_or_else(|| Format::from_path(&args.file));
    let loaded = match format.store(&ctx.store_options()?).load(&bytes) {
        // An empty YAML file has no metadata: sops says not encrypted.
        Err(e) if e.code == Code::NeedAtLeastOneDocument => None,
        Err(e) => return Err(fail(e.message)),
        Ok(loaded) => Some(loaded),
    };
    let encrypted = match &loaded {
        Some(loaded) if is_encrypted(loaded.metadata.as_ref()) => {
            // As sops, metadata that cannot be read (or names no keys) is an error.
            let metadata = crate::sopsfile::metadata_of(loaded).map_err(|e| fail(e.message))?;
            if metadata.master_keys().next().is_none() {
                return Err(fail("no keys found in the sops metadata".into()));
            }
            true
        }
        _ => false,
    };
    super::io::Destination::Stdout
        .write(format!("{{\"encrypted\":{encrypted}}}\n").as_bytes(), 0o644)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::Item;

    #[test]
    fn needs_version_and_mac() {
        let pair = |k: &str, v: &str| Item::Pair(k.into(), Node::str(v));
        assert!(!is_encrypted(None));
        assert!(is_encrypted(Some(&vec![
            pair("version", "3.11.0"),
            pair("mac", "ENC[x]")
        ])));
        assert!(!is_encrypted(Some(&vec![
            pair("version", "3.11.0"),
            pair("mac", "")
        ])));
        assert!(!is_encrypted(Some(&vec![pair("mac", "ENC[x]")])));
    }
}
