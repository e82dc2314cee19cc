//! The operations on a whole sops file, shared by every subcommand: open (decrypt) a loaded
//! file, seal (encrypt) documents under new or existing metadata.

use crate::crypt::cipher::DataKey;
use crate::crypt::metadata::{Metadata, WRITTEN_VERSION};
use crate::crypt::select::Selector;
use crate::crypt::walk::{self, NonceMemory};
use crate::error::{Code, Error, Result};
use crate::format::{Format, Loaded, Store};
use crate::keys::service::KeyServices;
use crate::keys::{self, KeyGroup};
use crate::timefmt;
use crate::tree::{Item, Map};

/// A decrypted file, with what is needed to write it back with minimal changes.
pub struct Opened {
    pub docs: Vec<Map>,
    pub metadata: Metadata,
    pub data_key: DataKey,
    /// Nonces of the values as they were, so unchanged values keep their ciphertext.
    pub nonces: NonceMemory,
    /// Things worth telling the user (e.g. comments found unencrypted).
    pub warnings: Vec<String>,
    /// The text the file was read from, kept by stores that write in its layout.
    pub source: Option<crate::input::Input>,
}

/// How to decrypt.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    pub ignore_mac: bool,
    /// Key types in the order to try them (`--decryption-order`).
    pub decryption_order: Vec<String>,
    /// Remember every value's nonce, for commands that write the file back (minimal diffs).
    pub remember_nonces: bool,
}

/// Reads the metadata of a loaded file (`sops metadata not found` when there is none).
pub fn metadata_of(loaded: &Loaded) -> Result<Metadata> {
    let raw = loaded
        .metadata
        .as_ref()
        .ok_or_else(|| Error::new(Code::Generic, "sops metadata not found"))?;
    Metadata::from_map(raw)
}

/// Decrypts a loaded file: recovers the data key, decrypts every selected value and checks
/// the MAC (unless told not to).
pub fn open(loaded: Loaded, services: &KeyServices, options: &OpenOptions) -> Result<Opened> {
    let metadata = metadata_of(&loaded)?;
    if metadata.master_keys().next().is_none() {
        // sops' words and exit code for metadata that names no master key.
        return Err(Error::new(Code::Generic, "No keys found in file"));
    }
    let data_key = keys::recover_data_key(
        &metadata.key_groups,
        metadata.shamir_threshold,
        &options.decryption_order,
        services,
    )?;
    let Loaded {
        mut docs, source, ..
    } = loaded;
    let mut nonces = if options.remember_nonces {
        NonceMemory::default()
    } else {
        NonceMemory::off()
    };
    let (mac, warnings) = walk::decrypt(
        &mut docs,
        &data_key,
        &metadata.selector,
        metadata.mac_only_encrypted,
        &mut nonces,
    )?;
    if !options.ignore_mac {
        walk::verify_mac(&data_key, &metadata.mac, &metadata.lastmodified, &mac)?;
    }
    Ok(Opened {
        docs,
        metadata,
        data_key,
        nonces,
        warnings,
        source,
    })
}

/// What a new encryption uses.
pub struct SealPlan {
    pub groups: Vec<KeyGroup>,
    pub shamir_threshold: usize,
    pub selector: Selector,
    pub mac_only_encrypted: bool,
}

/// Fails as sops does when there is no key group or one has no keys, with sops' words
/// (scripts and sops' own tests look for them, without a file name).
pub fn check_groups(groups: &[KeyGroup]) -> Result<()> {
    if groups.is_empty() || groups.iter().any(Vec::is_empty) {
        return Err(Error::new(
            Code::Generic,
            "Could not generate data key: [empty key group provided]",
        ));
    }
    Ok(())
}

/// Makes the metadata of a new file: a fresh data key wrapped by the plan's master keys.
/// `lastmodified` and `mac` stay empty until [`reseal`] fills them.
pub fn new_metadata(plan: SealPlan, services: &KeyServices) -> Result<(Metadata, DataKey)> {
    check_groups(&plan.groups)?;
    let data_key = DataKey::generate();
    let mut metadata = Metadata {
        key_groups: plan.groups,
        shamir_threshold: plan.shamir_threshold,
        lastmodified: String::new(),
        mac: String::new(),
        selector: plan.selector,
        mac_only_encrypted: plan.mac_only_encrypted,
        version: WRITTEN_VERSION.to_string(),
    };
    if metadata.key_groups.len() > 1 && metadata.shamir_threshold == 0 {
        metadata.shamir_threshold = metadata.key_groups.len();
    }
    keys::wrap_data_key(
        &mut metadata.key_groups,
        metadata.shamir_threshold,
        &data_key,
        services,
    )?;
    Ok((metadata, data_key))
}

/// Encrypts plaintext documents with a fresh data key wrapped by the plan's master keys.
pub fn seal_new(
    mut docs: Vec<Map>,
    plan: SealPlan,
    services: &KeyServices,
) -> Result<(Vec<Map>, Metadata)> {
    let (mut metadata, data_key) = new_metadata(plan, services)?;
    reseal(
        &mut docs,
        &mut metadata,
        &data_key,
        &mut NonceMemory::default(),
    )?;
    Ok((docs, metadata))
}

/// Encrypts plaintext documents under existing metadata and data key, reusing remembered
/// nonces; updates `lastmodified` and the MAC.
pub fn reseal(
    docs: &mut [Map],
    metadata: &mut Metadata,
    data_key: &DataKey,
    nonces: &mut NonceMemory,
) -> Result<()> {
    let mac = walk::encrypt(
        docs,
        data_key,
        &metadata.selector,
        metadata.mac_only_encrypted,
        nonces,
    )?;
    stamp(metadata, data_key, &mac)
}

/// Renews `lastmodified` and seals the MAC (uppercase hex) under it.
fn stamp(metadata: &mut Metadata, data_key: &DataKey, mac: &str) -> Result<()> {
    metadata.lastmodified = timefmt::now_utc();
    metadata.mac = walk::seal_mac(data_key, mac, &metadata.lastmodified)?;
    Ok(())
}

/// Computes the MAC of plaintext documents about to be sealed as they are written, and
/// renews `lastmodified` and the MAC of `metadata` with it.
fn stamp_plaintext(docs: &mut [Map], metadata: &mut Metadata, data_key: &DataKey) -> Result<()> {
    let mac = walk::plaintext_mac(
        docs,
        data_key,
        &metadata.selector,
        metadata.mac_only_encrypted,
    )?;
    stamp(metadata, data_key, &mac)
}

/// Refuses plaintext input that is already a sops file (exit 203).
pub fn refuse_encrypted(loaded: &Loaded) -> Result<()> {
    match loaded.metadata {
        Some(_) => Err(Error::new(
            Code::FileAlreadyEncrypted,
            "the file is already encrypted (it has sops metadata)",
        )),
        None => Ok(()),
    }
}

/// Under which metadata [`seal_plain`] encrypts.
pub enum Seal<'a> {
    /// A new file: a fresh data key wrapped by the plan's master keys.
    New(SealPlan),
    /// Into an existing file, opened to be rewritten: its data key and metadata are kept,
    /// and so is the ciphertext of every value that is the same at the same place.
    Into(&'a mut Opened),
}

/// Plaintext documents with the metadata they are sealed under, ready to be printed: each
/// value is encrypted as the store prints it, so the encrypted documents are never held
/// whole.
pub struct Sealed {
    docs: Vec<Map>,
    meta_tree: Map,
    /// The plaintext's text, for stores that write in its layout.
    source: Option<crate::input::Input>,
    data_key: DataKey,
    selector: Selector,
    /// Nonces of the values of the file sealed into, so unchanged values keep their
    /// ciphertext.
    nonces: NonceMemory,
}

impl Sealed {
    /// Prints the file with `store` (the store of the format it was sealed for) to `out`, as
    /// the store prints: streamed where printing cannot fail half way.
    pub fn write(mut self, store: &dyn Store, out: &mut dyn std::io::Write) -> Result<()> {
        write_sealed(
            store,
            &mut self.docs,
            &self.meta_tree,
            self.source.as_deref(),
            walk::Sealer::new(&self.data_key, &self.selector, &self.nonces),
            out,
        )
    }

    /// The whole file as bytes.
    pub fn into_bytes(self, store: &dyn Store) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.write(store, &mut out)?;
        Ok(out)
    }
}

/// Prints plaintext `docs` with `store`, each value encrypted by `sealer` as it is printed.
fn write_sealed(
    store: &dyn Store,
    docs: &mut [Map],
    meta_tree: &Map,
    source: Option<&[u8]>,
    mut sealer: walk::Sealer,
    out: &mut dyn std::io::Write,
) -> Result<()> {
    store.write_sealed(docs, meta_tree, source, &mut sealer, out)?;
    sealer.finish()
}

/// Encrypts a loaded plaintext file for `format`, whose store is `store` (it puts the
/// documents in the order it writes them, so the MAC matches what is read back).
pub fn seal_plain(
    loaded: Loaded,
    seal: Seal,
    store: &dyn Store,
    format: Format,
    services: &KeyServices,
) -> Result<Sealed> {
    let mut docs = loaded.docs;
    store.normalize(&mut docs);
    let (meta_tree, data_key, selector, nonces) = match seal {
        Seal::New(plan) => {
            let (mut metadata, data_key) = new_metadata(plan, services)?;
            stamp_plaintext(&mut docs, &mut metadata, &data_key)?;
            let mut meta_tree = metadata_tree(&metadata, format);
            if format == Format::Binary {
                // sops writes a new binary file without a selector (its one value is always
                // encrypted); a rewrite adds the default, as sops' does.
                let field = metadata.selector.kind.field();
                meta_tree.retain(|item| !matches!(item, Item::Pair(k, _) if k.as_str() == field));
            }
            (meta_tree, data_key, metadata.selector, NonceMemory::off())
        }
        Seal::Into(opened) => {
            stamp_plaintext(&mut docs, &mut opened.metadata, &opened.data_key)?;
            (
                metadata_tree(&opened.metadata, format),
                opened.data_key.clone(),
                opened.metadata.selector.clone(),
                std::mem::take(&mut opened.nonces),
            )
        }
    };
    Ok(Sealed {
        docs,
        meta_tree,
        source: loaded.source,
        data_key,
        selector,
        nonces,
    })
}

/// An opened file sealed again under its own data key, as `edit` and `set` save it: values
/// that did not change keep their ciphertext; written by `store` (the store of `format`)
/// in the layout the file was read in.
pub fn seal_opened(opened: &mut Opened, store: &dyn Store, format: Format) -> Result<Vec<u8>> {
    // A new key goes last in its map; TOML writes it before the map's sections, and the MAC
    // must cover the values in the order they are read back.
    store.normalize(&mut opened.docs);
    stamp_plaintext(&mut opened.docs, &mut opened.metadata, &opened.data_key)?;
    let meta_tree = metadata_tree(&opened.metadata, format);
    let mut out = Vec::new();
    write_sealed(
        store,
        &mut opened.docs,
        &meta_tree,
        opened.source.as_deref(),
        walk::Sealer::new(&opened.data_key, &opened.metadata.selector, &opened.nonces),
        &mut out,
    )?;
    Ok(out)
}

/// The metadata as the given output format writes it.
pub fn metadata_tree(metadata: &Metadata, format: Format) -> Map {
    metadata.to_map(matches!(format, Format::Json | Format::Binary))
}
