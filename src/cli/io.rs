//! What every subcommand needs around the crypto: the config, the formats, reading the
//! input and writing the output atomically.

use super::{GlobalArgs, IoArgs};
use crate::config::{self, Config};
use crate::error::{Code, Error, Result};
use crate::format::{Format, Loaded, StoreOptions};
use crate::keys::Keyring;
use crate::sopsfile::{self, OpenOptions, Opened};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Per-run state: global flags, working directory, the config (read on first use).
pub struct Context {
    pub global: GlobalArgs,
    pub cwd: PathBuf,
    config: OnceLock<Result<Option<Config>>>,
}

impl Context {
    pub fn new(global: GlobalArgs, cwd: PathBuf) -> Context {
        Context {
            global,
            cwd,
            config: OnceLock::new(),
        }
    }

    /// Logs to stderr with `--verbose`. Callers never pass secret material.
    pub fn verbose(&self, message: impl FnOnce() -> String) {
        if self.global.verbose {
            eprintln!("secret: {}", message());
        }
    }

    /// With `--verbose`, which master keys opened `label`'s data key.
    pub fn verbose_keys_used(&self, label: &str, keyring: &Keyring) {
        self.verbose(|| {
            format!(
                "{label}: data key opened with {}",
                keyring.used().join(", ")
            )
        });
    }

    /// The `.sops.yaml` in force: `--config`/`SOPS_CONFIG`, else the nearest one upwards
    /// from the working directory, else none.
    pub fn config(&self) -> Result<Option<&Config>> {
        self.config
            .get_or_init(|| {
                let path = match &self.global.config {
                    Some(p) => Some(p.clone()),
                    None => config::find(&self.cwd),
                };
                match path {
                    None => Ok(None),
                    Some(p) => {
                        let c = Config::load(&p, &self.cwd)?;
                        self.verbose(|| format!("using config {}", p.display()));
                        Ok(Some(c))
                    }
                }
            })
            .as_ref()
            .map(Option::as_ref)
            .map_err(Clone::clone)
    }

    /// Store options from the config (defaults without one).
    pub fn store_options(&self) -> Result<StoreOptions> {
        Ok(self.config()?.map(|c| c.stores).unwrap_or_default())
    }

    /// The decryption order from `--decryption-order`/`SOPS_DECRYPTION_ORDER`.
    pub fn decryption_order(&self) -> Result<Vec<String>> {
        match &self.global.decryption_order {
            Some(text) => crate::keys::parse_decryption_order(text),
            None => Ok(crate::keys::DEFAULT_DECRYPTION_ORDER
                .iter()
                .map(|s| s.to_string())
                .collect()),
        }
    }
}

/// Why a file is decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Only to show or use the values.
    Read,
    /// To write it back: remember nonces so unchanged values keep their ciphertext.
    Rewrite,
}

/// The resolved input/output of a command.
pub struct Files {
    /// The file to read (`None`: stdin).
    pub input: Option<PathBuf>,
    /// The name that picks formats and the creation rule.
    pub name: PathBuf,
    pub input_format: Format,
    pub output_format: Format,
}

impl Files {
    /// Resolves file, name and formats as sops does: `--input-type` picks the input store,
    /// `--output-type` the output store; otherwise both come from the file name.
    pub fn resolve(args: &IoArgs, stdin_needs_name: bool) -> Result<Files> {
        if args.in_place && args.output.is_some() {
            return Err(Error::new(
                Code::ConflictingParameters,
                "--in-place and --output cannot be used together",
            ));
        }
        if args.in_place && args.file.is_none() {
            return Err(Error::new(
                Code::ConflictingParameters,
                "--in-place needs a file, not standard input",
            ));
        }
        let name = match (&args.filename_override, &args.file) {
            (Some(n), _) => n.clone(),
            (None, Some(f)) => f.clone(),
            (None, None) if stdin_needs_name => {
                return Err(Error::new(
                    Code::ConflictingParameters,
                    "must specify --filename-override when reading from stdin",
                ))
            }
            (None, None) => PathBuf::new(),
        };
        let by_name = Format::from_path(&name);
        let pick = |t: &Option<String>| t.as_deref().and_then(Format::from_name);
        Ok(Files {
            input: args.file.clone(),
            name,
            input_format: pick(&args.input_type).unwrap_or(by_name),
            output_format: pick(&args.output_type).unwrap_or(by_name),
        })
    }

    /// Reads the input: the file, or all of stdin.
    pub fn read(&self) -> Result<Vec<u8>> {
        match &self.input {
            Some(path) => {
                if !path.exists() {
                    return Err(Error::new(
                        Code::NoFileSpecified,
                        format!("cannot operate on non-existent file {}", path.display()),
                    ));
                }
                std::fs::read(path).map_err(|e| {
                    Error::new(
                        Code::CouldNotReadInputFile,
                        format!("{}: cannot read: {e}", path.display()),
                    )
                })
            }
            None => read_stdin(),
        }
    }

    /// Reads the input and parses it with the input store; errors name the file.
    pub fn load(&self, ctx: &Context) -> Result<Loaded> {
        let input = self.read()?;
        self.input_format
            .store(&ctx.store_options()?)
            .load(&input)
            .map_err(|e| e.context(self.label()))
    }

    /// Reads, parses and decrypts the input with the user's keys; warnings (such as comments
    /// found unencrypted) go to stderr. Errors name the file.
    pub fn open(&self, ctx: &Context, ignore_mac: bool, purpose: Purpose) -> Result<Opened> {
        self.open_loaded(ctx, self.load(ctx)?, ignore_mac, purpose)
    }

    /// Decrypts what [`Files::load`] read, as [`Files::open`] does.
    pub fn open_loaded(
        &self,
        ctx: &Context,
        loaded: Loaded,
        ignore_mac: bool,
        purpose: Purpose,
    ) -> Result<Opened> {
        let options = OpenOptions {
            ignore_mac,
            decryption_order: ctx.decryption_order()?,
            remember_nonces: purpose == Purpose::Rewrite,
        };
        let label = self.label();
        let keyring = Keyring::new();
        let opened = sopsfile::open(loaded, &keyring, &options).map_err(|e| e.context(&label))?;
        ctx.verbose_keys_used(&label, &keyring);
        for w in &opened.warnings {
            eprintln!("secret: warning: {label}: {w}");
        }
        Ok(opened)
    }

    /// A label for messages.
    pub fn label(&self) -> String {
        match &self.input {
            Some(p) => p.display().to_string(),
            None => "<stdin>".into(),
        }
    }
}

/// With `-i`, takes the lock of the file about to be rewritten ([`super::proc::EditLock`]),
/// so that the run reads it only once no other run is changing it. A missing file is left to
/// the read to report.
pub fn lock_in_place(args: &IoArgs) -> Result<Option<super::proc::EditLock>> {
    match &args.file {
        Some(file) if args.in_place => super::proc::EditLock::acquire_if_exists(file),
        _ => Ok(None),
    }
}

/// All of standard input.
pub fn read_stdin() -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map_err(|e| {
        Error::new(
            Code::CouldNotReadInputFile,
            format!("cannot read stdin: {e}"),
        )
    })?;
    Ok(buf)
}

/// Where the result goes.
pub enum Destination<'a> {
    Stdout,
    File(&'a Path),
}

impl<'a> Destination<'a> {
    pub fn of(args: &'a IoArgs) -> Destination<'a> {
        match (&args.output, args.in_place, &args.file) {
            (Some(out), _, _) => Destination::File(out),
            (None, true, Some(file)) => Destination::File(file),
            _ => Destination::Stdout,
        }
    }

    /// Writes `bytes`. Files are replaced as [`write_atomic`] does; a new file gets
    /// `new_mode`.
    pub fn write(&self, bytes: &[u8], new_mode: u32) -> Result<()> {
        match self {
            Destination::Stdout => {
                let mut out = std::io::stdout().lock();
                match out.write_all(bytes).and_then(|_| out.flush()) {
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::new(
                        Code::CouldNotWriteOutputFile,
                        format!("cannot write to stdout: {e}"),
                    )),
                    _ => Ok(()),
                }
            }
            Destination::File(path) => write_atomic(path, bytes, new_mode),
        }
    }
}

/// Replaces `path` with `bytes`: atomically, through symbolic links, keeping mode, owner and
/// group (see [`super::inplace::write`]).
pub fn write_atomic(path: &Path, bytes: &[u8], new_mode: u32) -> Result<()> {
    super::inplace::write(path, bytes, new_mode)
}
