//! Helpers shared by the key management commands (`rotate`, `updatekeys`, `groups`): load an
//! encrypted file without decrypting its values, recover its data key, check and re-wrap key
//! groups, write the file back.

use super::io::{Context, Files};
use super::IoArgs;
use crate::config::GroupSpec;
use crate::crypt::cipher::DataKey;
use crate::crypt::metadata::Metadata;
use crate::error::{Code, Error, Result};
use crate::format::Format;
use crate::keys::kms::EncryptionContext;
use crate::keys::{self, KeyGroup, MasterKey};
use crate::plan::build_group;
use crate::sopsfile;
use crate::tree::Map;
use std::path::Path;

/// An encrypted file as read from disk: its (still encrypted) documents and its metadata.
pub struct EncryptedFile {
    pub docs: Vec<Map>,
    pub metadata: Metadata,
    pub format: Format,
    pub label: String,
    /// The text read, for writing back in its layout.
    pub source: Option<crate::input::Input>,
}

/// Reads and parses an encrypted file (exit 100 when it does not exist, 1 without metadata).
pub fn load(
    ctx: &Context,
    path: &Path,
    input_type: Option<&str>,
    missing: Code,
) -> Result<EncryptedFile> {
    let io = IoArgs {
        file: Some(path.to_path_buf()),
        input_type: input_type.map(str::to_string),
        ..IoArgs::default()
    };
    let mut files = Files::resolve(&io, false)?;
    files.missing = missing;
    let label = files.label();
    let loaded = files.load_encrypted(ctx)?;
    let metadata = sopsfile::metadata_of(&loaded).map_err(|e| e.context(&label))?;
    Ok(EncryptedFile {
        docs: loaded.docs,
        metadata,
        format: files.input_format,
        label,
        source: loaded.source,
    })
}

/// Recovers the data key of a file's metadata with the user's keys.
pub fn recover(ctx: &Context, metadata: &Metadata, label: &str) -> Result<DataKey> {
    let data_key = keys::recover_data_key(
        &metadata.key_groups,
        metadata.shamir_threshold,
        &ctx.decryption_order()?,
        ctx.key_services(),
    )
    .map_err(|e| e.context(label))?;
    ctx.verbose_keys_used(label);
    Ok(data_key)
}

/// Builds the master keys of groups as a rule or the command line names them; an empty
/// group is refused.
pub fn build_groups(specs: &[GroupSpec]) -> Result<Vec<KeyGroup>> {
    specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            if spec.is_empty() {
                return Err(Error::new(
                    Code::Generic,
                    format!("key group {} has no keys", i + 1),
                ));
            }
            // as in sops, rule keys get no encryption context here
            build_group(spec, &EncryptionContext::new())
        })
        .collect()
}

/// Checks the groups and threshold sops would accept and fills in the default threshold
/// (every group) for several groups; then wraps `data_key` with every master key.
pub fn rewrap(ctx: &Context, metadata: &mut Metadata, data_key: &DataKey) -> Result<()> {
    let groups = metadata.key_groups.len();
    if groups == 0 || metadata.key_groups.iter().all(Vec::is_empty) {
        return Err(Error::new(
            Code::Generic,
            "the file would have no master keys left",
        ));
    }
    if let Some(i) = metadata.key_groups.iter().position(Vec::is_empty) {
        return Err(Error::new(
            Code::Generic,
            format!("key group {} has no keys", i + 1),
        ));
    }
    if groups > 1 {
        if metadata.shamir_threshold == 0 {
            metadata.shamir_threshold = groups;
        }
        if metadata.shamir_threshold > groups {
            return Err(Error::new(
                Code::Generic,
                format!(
                    "Shamir threshold {} is larger than the number of key groups ({groups})",
                    metadata.shamir_threshold
                ),
            ));
        }
        if metadata.shamir_threshold < 2 {
            return Err(Error::new(
                Code::Generic,
                format!(
                    "Shamir threshold {} is too small: with {groups} key groups it must be at \
                     least 2",
                    metadata.shamir_threshold
                ),
            ));
        }
    }
    keys::wrap_data_key(
        &mut metadata.key_groups,
        metadata.shamir_threshold,
        data_key,
        ctx.key_services(),
    )
}

impl EncryptedFile {
    /// The file with its (new) metadata, in its own format and layout.
    pub fn emit(&self, ctx: &Context) -> Result<Vec<u8>> {
        emit(
            ctx,
            &self.docs,
            &self.metadata,
            self.format,
            self.source.as_deref(),
        )
    }
}

/// A decrypted file sealed again, as `format` writes it (in the layout it was read in where
/// the format keeps layout).
pub fn emit_opened(ctx: &Context, opened: &sopsfile::Opened, format: Format) -> Result<Vec<u8>> {
    emit(
        ctx,
        &opened.docs,
        &opened.metadata,
        format,
        opened.source.as_deref(),
    )
}

/// The file with new metadata, as the output format writes it (in the layout of `source`, the
/// text the file was read from, where the format keeps layout).
pub fn emit(
    ctx: &Context,
    docs: &[Map],
    metadata: &Metadata,
    format: Format,
    source: Option<&[u8]>,
) -> Result<Vec<u8>> {
    let meta_tree = sopsfile::metadata_tree(metadata, format);
    ctx.output_store(format)?
        .emit_over(docs, Some(&meta_tree), source)
}

/// The string that identifies a key when comparing keys (sops' `ToString`).
pub fn key_id(key: &dyn MasterKey) -> String {
    key.describe()
}
