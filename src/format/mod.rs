//! Stores: one per file format, each turning bytes into the ordered tree and back.
//!
//! Stores know nothing of keys or ciphers. On load they hand back the documents and, apart,
//! the raw `sops` metadata block (nested, as a tree map) if the file has one; on emit they
//! write documents and, when given, the metadata block where their format keeps it.

pub mod binary;
pub mod dotenv;
pub mod flatten;
pub mod ini;
pub mod json;
pub mod seal;
pub mod toml;
pub mod yaml;

use crate::error::Result;
use crate::input::Input;
use crate::tree::{Map, Node};
use std::path::Path;

/// A failed write of a store's output (the caller names the destination).
pub fn write_error(e: std::io::Error) -> crate::error::Error {
    crate::error::Error::new(crate::error::Code::CouldNotWriteOutputFile, e.to_string())
}

/// The first document of a YAML settings file (`.sops.yaml`, HuaweiCloud's regions file) as
/// a tree, read as Go's YAML reader reads one into a struct: empty when the file holds no
/// document (blank, or only comments), merge keys (`<<: *defaults`) resolved.
pub fn yaml_settings(bytes: &[u8]) -> Result<Map> {
    let docs = yaml::load_docs(bytes)?;
    let mut doc = docs.into_iter().next().unwrap_or_default();
    yaml::resolve_merges(&mut doc)?;
    Ok(doc)
}

/// The file formats sops knows, plus TOML.
///
/// ```
/// use secret::Format;
/// assert_eq!(Format::from_path("app/secrets.enc.yaml".as_ref()), Format::Yaml);
/// assert_eq!(Format::from_name("dotenv"), Some(Format::Dotenv));
/// assert_eq!(Format::Toml.name(), "toml");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// YAML (`.yaml`, `.yml`), several documents per file allowed.
    Yaml,
    /// JSON (`.json`).
    Json,
    /// dotenv `KEY=value` lines (`.env`).
    Dotenv,
    /// INI sections (`.ini`).
    Ini,
    /// TOML (`.toml`); sops itself does not read TOML.
    Toml,
    /// Any other file: its bytes are one value, `data`.
    Binary,
}

impl Format {
    /// Every format, in the order help texts list them.
    pub const ALL: [Format; 6] = [
        Format::Yaml,
        Format::Json,
        Format::Dotenv,
        Format::Ini,
        Format::Toml,
        Format::Binary,
    ];

    /// The format sops picks from a file name's suffix (case-sensitive); anything else is binary.
    pub fn from_path(path: &Path) -> Format {
        let name = path.to_string_lossy();
        if name.ends_with(".yaml") || name.ends_with(".yml") {
            Format::Yaml
        } else if name.ends_with(".json") {
            Format::Json
        } else if name.ends_with(".env") {
            Format::Dotenv
        } else if name.ends_with(".ini") {
            Format::Ini
        } else if name.ends_with(".toml") {
            Format::Toml
        } else {
            Format::Binary
        }
    }

    /// The format named by `--input-type`/`--output-type`; `None` for an unknown name
    /// (sops then silently falls back to the file name).
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "yaml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            "dotenv" => Some(Format::Dotenv),
            "ini" => Some(Format::Ini),
            "toml" => Some(Format::Toml),
            "binary" => Some(Format::Binary),
            _ => None,
        }
    }

    /// The name `--input-type`/`--output-type` use for this format.
    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Dotenv => "dotenv",
            Format::Ini => "ini",
            Format::Binary => "binary",
            Format::Toml => "toml",
        }
    }

    /// Whether every value of this format is text (dotenv, INI): a program reading
    /// `PORT=9091` wants those characters, not a number sops would write as `9091.0`.
    pub(crate) fn values_are_text(self) -> bool {
        matches!(self, Format::Dotenv | Format::Ini)
    }

    /// The store for this format.
    pub(crate) fn store(self, options: &StoreOptions) -> Box<dyn Store> {
        match self {
            Format::Yaml => Box::new(yaml::YamlStore {
                indent: options.yaml_indent,
            }),
            Format::Json => Box::new(json::JsonStore {
                indent: options.json_indent,
            }),
            Format::Dotenv => Box::new(dotenv::DotenvStore),
            Format::Ini => Box::new(ini::IniStore),
            Format::Toml => Box::new(toml::TomlStore),
            Format::Binary => Box::new(binary::BinaryStore {
                indent: options.json_binary_indent,
            }),
        }
    }
}

/// The `stores:` options of `.sops.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Spaces per level (sops' default 4).
    pub yaml_indent: usize,
    /// Spaces per level, or `None` for one tab (sops' default, `-1` in `.sops.yaml`).
    pub json_indent: Option<usize>,
    /// The same for the binary store's JSON wrapper.
    pub json_binary_indent: Option<usize>,
}

impl StoreOptions {
    /// Sets the indentation of `format`'s output to `n` (from `--indent` or the `stores`
    /// of `.sops.yaml`) with sops' rules: YAML 0 means its default 4 and negative is refused;
    /// JSON -1 means a tab and below -1 is refused (both exit 4, when the output is written).
    pub fn set_indent(&mut self, format: Format, n: i64) -> Result<()> {
        let refused = |what: &str| {
            crate::error::Error::new(
                crate::error::Code::ErrorDumpingTree,
                format!("Error dumping file: {what}"),
            )
        };
        match format {
            Format::Yaml if n < 0 => return Err(refused("YAML Negative indentation not accepted")),
            Format::Yaml => self.yaml_indent = if n == 0 { 4 } else { n as usize },
            Format::Json | Format::Binary if n < -1 => {
                return Err(refused(
                    "JSON Indentation parameter smaller than -1 is not accepted",
                ))
            }
            Format::Json | Format::Binary => {
                let indent = usize::try_from(n).ok();
                self.json_indent = indent;
                self.json_binary_indent = indent;
            }
            Format::Dotenv | Format::Ini | Format::Toml => {}
        }
        Ok(())
    }
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            yaml_indent: 4,
            json_indent: None,
            json_binary_indent: None,
        }
    }
}

/// What a store read from a file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Loaded {
    /// The documents (YAML streams may hold several; other formats hold one).
    pub docs: Vec<Map>,
    /// The `sops` block as a nested map (flat formats un-flatten it), if the file has one.
    pub metadata: Option<Map>,
    /// The text read, kept by stores that write back in its layout ([`Store::emit_over`]).
    pub source: Option<Input>,
}

/// A file format: bytes ↔ documents.
pub trait Store {
    /// Parses a whole file. Errors carry the line (and path) where that helps.
    fn load(&self, input: &[u8]) -> Result<Loaded>;

    /// [`Store::load`] of input that is not needed afterwards: a store that keeps the text
    /// (or all of it as a value) takes it over rather than copying it, so a big file is not
    /// held twice.
    fn load_owned(&self, input: Input) -> Result<Loaded> {
        self.load(&input)
    }

    /// [`Store::load_owned`] of an encrypted file: its `ENC[...]` values are only read
    /// (decrypted, or kept as they are), so a store may hold them as slices of the input kept
    /// mapped for the run ([`Input::keep_for_run`]) instead of copying them. Not so for a
    /// plaintext file: its values are printed again, encrypted, at the end of the run, and a
    /// kept input's pages would all stay in memory until then.
    fn load_encrypted(&self, input: Input) -> Result<Loaded> {
        self.load_owned(input)
    }

    /// Writes documents; `metadata` (a nested map) is written where the format keeps it.
    fn emit(&self, docs: &[Map], metadata: Option<&Map>) -> Result<Vec<u8>>;

    /// [`Store::emit`] in the layout of `source`, the text (plaintext or sops file) the
    /// documents were read from, where the format keeps layout (TOML: blank lines, comment
    /// places, inline tables); other stores have one fixed layout and ignore it.
    fn emit_over(
        &self,
        docs: &[Map],
        metadata: Option<&Map>,
        _source: Option<&[u8]>,
    ) -> Result<Vec<u8>> {
        self.emit(docs, metadata)
    }

    /// For stores that print leaf by leaf and whose printing cannot fail half way (every
    /// key and value is checked before the first byte): prints `docs` and `metadata` to
    /// `out` as it goes, each leaf as `seal` gives it when there is one. `None` for the
    /// other stores, whose text is made whole first.
    fn print_leaves<'w>(
        &self,
        _docs: &[Map],
        _metadata: Option<&Map>,
        _seal: Option<&'w mut dyn seal::LeafSeal>,
        _out: &'w mut dyn std::io::Write,
    ) -> Option<Result<()>> {
        None
    }

    /// [`Store::emit_over`] written to `out`: printed as it goes by the stores that can
    /// ([`Store::print_leaves`]), so that big output is never held whole in memory; by
    /// the others made whole first, so that a store that fails half way has written
    /// nothing.
    fn write_over(
        &self,
        docs: &[Map],
        metadata: Option<&Map>,
        source: Option<&[u8]>,
        out: &mut dyn std::io::Write,
    ) -> Result<()> {
        if let Some(printed) = self.print_leaves(docs, metadata, None, &mut *out) {
            return printed;
        }
        // Plaintext, mostly: wiped once written.
        let bytes = zeroize::Zeroizing::new(self.emit_over(docs, metadata, source)?);
        out.write_all(&bytes).map_err(write_error)
    }

    /// Writes plaintext documents as a sops file: each leaf is printed as `seal` gives it
    /// (`seal::LeafSeal`) and `metadata` as it is, in the layout [`Store::write_over`]
    /// gives. Stores that print the leaves one by one seal them as they print, so the
    /// encrypted documents are never held whole (`docs` is left as it is); the others
    /// (by default) seal `docs` in place first.
    fn write_sealed(
        &self,
        docs: &mut [Map],
        metadata: &Map,
        source: Option<&[u8]>,
        seal: &mut dyn seal::LeafSeal,
        out: &mut dyn std::io::Write,
    ) -> Result<()> {
        if let Some(printed) = self.print_leaves(docs, Some(metadata), Some(&mut *seal), out) {
            return printed;
        }
        seal::seal_in_place(docs, seal);
        self.write_over(docs, Some(metadata), source, out)
    }

    /// Writes one value that is not a map, as `--extract` prints it.
    fn emit_value(&self, value: &Node) -> Result<Vec<u8>>;

    /// Puts documents into the order this store writes them, so the MAC computed before
    /// writing matches the one computed after reading back. Only stores that reorder
    /// (TOML) need it.
    fn normalize(&self, _docs: &mut [Map]) {}
}
