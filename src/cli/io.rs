//! What every subcommand needs around the crypto: the config, the formats, reading the
//! input and writing the output atomically.

use super::keyservice_args::KeyServiceArgs;
use super::{GlobalArgs, IoArgs};
use crate::config::{self, Config};
use crate::error::{Code, Error, Result};
use crate::format::{Format, Loaded, Store, StoreOptions};
use crate::input::Input;
use crate::keys::service::KeyServices;
use crate::sopsfile::{self, OpenOptions, Opened};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Per-run state: global flags, working directory, the config (read on first use).
pub struct Context {
    pub global: GlobalArgs,
    pub cwd: PathBuf,
    config: OnceLock<Result<Option<Config>>>,
    /// The command's `--keyservice`/`--enable-local-keyservice` (sops reads them per command).
    keyservice_args: KeyServiceArgs,
    keyservices: OnceLock<KeyServices>,
}

impl Context {
    pub fn new(global: GlobalArgs, cwd: PathBuf) -> Context {
        Context {
            global,
            cwd,
            config: OnceLock::new(),
            keyservice_args: KeyServiceArgs::default(),
            keyservices: OnceLock::new(),
        }
    }

    /// A context in the same directory with the same key services, other global options
    /// (e.g. another `--config`).
    pub fn sibling(&self, global: GlobalArgs) -> Context {
        Context::new(global, self.cwd.clone()).with_key_services(self.keyservice_args.clone())
    }

    /// The context of a command that names key services.
    pub fn with_key_services(mut self, args: KeyServiceArgs) -> Context {
        self.keyservice_args = args;
        self
    }

    /// Logs to stderr with `--verbose`. Callers never pass secret material.
    pub fn verbose(&self, message: impl FnOnce() -> String) {
        if self.global.verbose {
            eprintln!("secret: {}", message());
        }
    }

    /// With `--verbose`, which master keys opened `label`'s data key.
    pub fn verbose_keys_used(&self, label: &str) {
        let used = self.key_services().take_used();
        self.verbose(|| format!("{label}: data key opened with {}", used.join(", ")));
    }

    /// The `.sops.yaml` in force: `--config`/`SOPS_CONFIG`, else the nearest one upwards
    /// from the working directory, else none.
    pub fn config(&self) -> Result<Option<&Config>> {
        self.config
            .get_or_init(|| {
                let path = match &self.global.config {
                    Some(p) => Some(p.clone()),
                    None => {
                        let (found, warning) = config::find(&self.cwd);
                        if let Some(warning) = warning {
                            eprintln!("secret: warning: {warning}");
                        }
                        found
                    }
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

    /// The key services that wrap and unwrap master keys: the local one unless
    /// `--enable-local-keyservice=false`, then each `--keyservice` in order.
    pub fn key_services(&self) -> &KeyServices {
        self.keyservices.get_or_init(|| {
            let args = &self.keyservice_args;
            // The same keyring as the library's `Keyring::from_env`.
            let local = args
                .enable_local_keyservice
                .then(|| crate::Keyring::from_env().shared());
            KeyServices::new(local, &args.keyservice)
        })
    }

    /// Store options from the config (defaults without one), for reading input. `--indent`
    /// only shapes output: see [`Context::output_store`].
    pub fn store_options(&self) -> Result<StoreOptions> {
        Ok(self.config()?.map(Config::stores).unwrap_or_default())
    }

    /// The store that writes `format` output: the config's indentation for it, then
    /// `--indent` over it (YAML and JSON only; an indent the format refuses is sops' exit 4,
    /// from either).
    pub fn output_store(&self, format: Format) -> Result<Box<dyn Store>> {
        let mut options = StoreOptions::default();
        if let Some(config) = self.config()? {
            config.indent_output(&mut options, format)?;
        }
        if let Some(n) = self.global.indent {
            options.set_indent(format, n)?;
        }
        Ok(format.store(&options))
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

/// From this many bytes on, an encrypted input starts the spare thread as soon as it is read
/// (`crypt/spare.rs`): it is likely to hold the 8,192 values or more that are decrypted on
/// two threads (sops writes a short value in some 150 bytes). Smaller files stay on one
/// thread: at 5,000 values, two threads (even started early) were 0.1 ms slower in
/// alternating runs of `decrypt` and `exec-env` (300 each).
const WARM_UP_INPUT: usize = 1 << 20;

/// The resolved input/output of a command.
pub struct Files {
    /// The file to read (`None`: stdin).
    pub input: Option<PathBuf>,
    /// The name that picks formats and the creation rule.
    pub name: PathBuf,
    pub input_format: Format,
    pub output_format: Format,
    /// The exit code of a file that does not exist: sops' commands differ (100 for
    /// `decrypt` and `encrypt`, a read error, 2, for the commands that open the file
    /// themselves, 1 for `updatekeys`).
    pub missing: Code,
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
            missing: Code::NoFileSpecified,
        })
    }

    /// Reads the input: the file, or all of stdin.
    pub fn read(&self) -> Result<Vec<u8>> {
        self.read_input(false).map(Input::into_vec)
    }

    /// The input (a big file mapped, see [`Input`]), telling the allocator how big it is and
    /// whether it is an encrypted file.
    fn read_input(&self, encrypted: bool) -> Result<Input> {
        let input = self.read_raw()?;
        crate::allocator::input_read(input.len(), self.input_format, encrypted);
        if encrypted && input.len() >= WARM_UP_INPUT {
            crate::crypt::spare::warm_up();
        }
        Ok(input)
    }

    fn read_raw(&self) -> Result<Input> {
        let Some(path) = &self.input else {
            return read_stdin().map(Input::from);
        };
        if !path.exists() {
            return Err(Error::new(
                self.missing,
                format!("cannot operate on non-existent file {}", path.display()),
            ));
        }
        let cannot_read = |e: std::io::Error| {
            Error::new(
                Code::CouldNotReadInputFile,
                format!("{}: cannot read: {e}", path.display()),
            )
        };
        let file = std::fs::File::open(path).map_err(cannot_read)?;
        let meta = file.metadata().map_err(cannot_read)?;
        // Only a regular file's length is what reading it gives.
        let len = if meta.is_file() { meta.len() } else { 0 };
        Input::of_file(file, len, &path.display().to_string()).map_err(cannot_read)
    }

    /// Reads the input and parses it with the input store; errors name the file.
    pub fn load(&self, ctx: &Context) -> Result<Loaded> {
        let input = self.read_input(false)?;
        self.parse(ctx, input, false)
    }

    /// Parses `input` with the input store, as an encrypted file or not; errors name the
    /// file.
    fn parse(&self, ctx: &Context, input: Input, encrypted: bool) -> Result<Loaded> {
        let store = self.input_format.store(&ctx.store_options()?);
        match encrypted {
            true => store.load_encrypted(input),
            false => store.load_owned(input),
        }
        .map_err(|e| e.context(self.label()))
    }

    /// [`Files::load`] for a file that should be encrypted: as in sops, input that does not
    /// parse (or is empty) is exit 1 there, not 2 or 92 as for plaintext to encrypt (sops
    /// passes the store's error on without an exit code of its own).
    pub fn load_encrypted(&self, ctx: &Context) -> Result<Loaded> {
        let input = self.read_input(true)?;
        self.parse(ctx, input, true).map_err(|e| Error {
            code: Code::Generic,
            ..e
        })
    }

    /// Reads, parses and decrypts the input with the user's keys; warnings (such as comments
    /// found unencrypted) go to stderr. Errors name the file.
    pub fn open(&self, ctx: &Context, ignore_mac: bool, purpose: Purpose) -> Result<Opened> {
        self.open_loaded(ctx, self.load_encrypted(ctx)?, ignore_mac, purpose)
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
        let opened =
            sopsfile::open(loaded, ctx.key_services(), &options).map_err(|e| e.context(&label))?;
        ctx.verbose_keys_used(&label);
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
        self.write_with(new_mode, |out| {
            out.write_all(bytes)
                .map_err(|e| Error::new(Code::CouldNotWriteOutputFile, e.to_string()))
        })
    }

    /// Writes what `emit` writes, as it writes it: big output is never held whole in
    /// memory (see [`super::inplace::write_with`] for files). A closed stdout (broken pipe)
    /// is not an error.
    pub fn write_with(
        &self,
        new_mode: u32,
        emit: impl FnOnce(&mut dyn Write) -> Result<()>,
    ) -> Result<()> {
        match self {
            Destination::Stdout => {
                let out = super::wiped::WipedBufWriter::new(std::io::stdout().lock());
                let broken_pipe = std::cell::Cell::new(false);
                let written = super::inplace::Tracked::new(out).run(emit, |e| {
                    broken_pipe.set(e.kind() == std::io::ErrorKind::BrokenPipe);
                    Error::new(
                        Code::CouldNotWriteOutputFile,
                        format!("cannot write to stdout: {e}"),
                    )
                });
                match written {
                    Err(_) if broken_pipe.get() => Ok(()),
                    other => other.map(drop),
                }
            }
            Destination::File(path) => super::inplace::write_with(path, new_mode, emit),
        }
    }
}

/// Replaces `path` with `bytes`: atomically, through symbolic links, keeping mode, owner and
/// group (see [`super::inplace::write`]).
pub fn write_atomic(path: &Path, bytes: &[u8], new_mode: u32) -> Result<()> {
    super::inplace::write(path, bytes, new_mode)
}

/// The first documents of `paths`, each opened by `open` (given the file's [`IoArgs`], with
/// `input_type`), laid over each other in order: a later file's keys win, maps merge key by
/// key (see [`crate::tree::overlay`]).
pub fn overlay_files(
    paths: &[PathBuf],
    input_type: Option<&str>,
    mut open: impl FnMut(&IoArgs) -> Result<Opened>,
) -> Result<crate::tree::Map> {
    let mut out = crate::tree::Map::new();
    for path in paths {
        let io = IoArgs {
            file: Some(path.clone()),
            input_type: input_type.map(str::to_string),
            ..IoArgs::default()
        };
        let first = open(&io)?.docs.into_iter().next().unwrap_or_default();
        crate::tree::overlay(&mut out, first);
    }
    Ok(out)
}
