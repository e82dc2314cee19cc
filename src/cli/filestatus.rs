//! `secret filestatus`: prints `{"encrypted":true}` or `{"encrypted":false}` as sops does.
//! True only when the file has a `sops` block with a non-empty `version` and `mac`; a file
//! that cannot be read or parsed, or whose metadata cannot be read or names no master keys,
//! is an error (exit 1).

use super::batch::{self, BatchArgs, Want};
use super::io::Context;
use crate::crypt::metadata::Metadata;
use crate::error::{Code, Error, Result};
use crate::format::Format;
use crate::tree::{self, Map, Node, Scalar};
use clap::Args;
use std::path::{Path, PathBuf};

// Options of `secret filestatus`.
#[derive(Debug, Args)]
pub struct FileStatusArgs {
    /// The file to check
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Input format (default: from the file name)
    #[arg(long, value_name = "TYPE", value_parser = super::FormatName)]
    pub input_type: Option<String>,
    /// More files (or, with -r, directories): one JSON line per file, naming it
    #[arg(value_name = "MORE")]
    pub more: Vec<PathBuf>,
    #[command(flatten)]
    pub batch: BatchArgs,
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

/// Whether the file is encrypted, as sops decides it.
fn status(ctx: &Context, file: &Path, input_type: Option<&str>) -> Result<bool> {
    let fail = |why: String| {
        Error::new(
            Code::Generic,
            format!("cannot check file status: {}: {why}", file.display()),
        )
    };
    let bytes = std::fs::read(file).map_err(|e| fail(e.to_string()))?;
    let format = input_type
        .and_then(Format::from_name)
        .unwrap_or_else(|| Format::from_path(file));
    // sops reads a binary file as it reads an encrypted one: as JSON.
    let format = match format {
        Format::Binary => Format::Json,
        other => other,
    };
    let loaded = match format.store(&ctx.store_options()?).load(&bytes) {
        // A YAML file with no document (empty, blank lines, comments) has no metadata: sops
        // says not encrypted.
        Err(e) if e.code == Code::NeedAtLeastOneDocument => return Ok(false),
        Err(_) if format == Format::Yaml && no_yaml_document(&bytes) => return Ok(false),
        Err(e) => return Err(fail(e.message)),
        Ok(loaded) => loaded,
    };
    let encrypted = is_encrypted(loaded.metadata.as_ref());
    if let Some(raw) = loaded.metadata.as_ref() {
        // As sops, metadata that cannot be read is an error, encrypted or not (a `sops` map
        // without `lastmodified`), and so is encrypted metadata that names no keys; the
        // version is not checked.
        let metadata = Metadata::from_map_any_version(raw).map_err(|e| fail(e.message))?;
        if encrypted && metadata.master_keys().next().is_none() {
            return Err(fail("no keys found in the sops metadata".into()));
        }
    }
    Ok(encrypted)
}

/// Whether `bytes` are YAML without a document (only blank lines or comments).
fn no_yaml_document(bytes: &[u8]) -> bool {
    crate::format::yaml::load_docs(bytes).is_ok_and(|docs| docs.is_empty())
}

/// Runs `secret filestatus`: one file as sops prints it; several (or `-r`, `--all`) as one
/// JSON line per file, `{"file":"PATH","encrypted":BOOL}`, failures on stderr.
pub fn run(ctx: &Context, args: FileStatusArgs) -> Result<()> {
    let paths: Vec<PathBuf> = args.file.iter().chain(&args.more).cloned().collect();
    if paths.is_empty() && !args.batch.all {
        return Err(Error::new(Code::NoFileSpecified, "no file specified"));
    }
    let stdout = super::io::Destination::Stdout;
    if !args.batch.is_batch(&paths) {
        let encrypted = status(ctx, &paths[0], args.input_type.as_deref())?;
        return stdout.write(format!("{{\"encrypted\":{encrypted}}}\n").as_bytes(), 0o644);
    }
    let mut contexts = batch::Contexts::new(ctx);
    let targets = batch::expand(&mut contexts, &paths, &args.batch, Want::Any)?;
    let results = batch::run_each(&targets, args.batch.jobs, |t| {
        status(t.ctx, &t.path, args.input_type.as_deref())
    });
    let mut out = String::new();
    let mut failed = 0;
    for (t, r) in targets.iter().zip(results) {
        match r {
            Ok(encrypted) => {
                out.push_str("{\"file\":");
                crate::format::ini::json_string(&t.path.display().to_string(), &mut out);
                out.push_str(&format!(",\"encrypted\":{encrypted}}}\n"));
            }
            Err(e) => {
                failed += 1;
                eprintln!("secret: {}", e.message);
            }
        }
    }
    stdout.write(out.as_bytes(), 0o644)?;
    if failed > 0 {
        return Err(Error::new(
            Code::Generic,
            format!("{failed} of {} file(s) could not be checked", targets.len()),
        ));
    }
    Ok(())
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
