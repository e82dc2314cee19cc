//! `secret edit FILE`: decrypt into a private temporary file, run the editor, re-encrypt with
//! minimal changes.

use super::io::{write_atomic, Context, Files, Purpose};
use super::keyservice_args::KeyServiceArgs;
use super::plan::{for_input, plan_for, NewFileArgs};
use super::proc::{self, EditLock, PrivateDir, SignalGuard};
use super::IoArgs;
use crate::crypt::cipher::DataKey;
use crate::crypt::metadata::{Metadata, WRITTEN_VERSION};
use crate::crypt::walk::NonceMemory;
use crate::error::{Code, Error, Result};
use crate::format::{Format, Store};
use crate::sopsfile;
use crate::tree::Map;
use clap::Args;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The file to edit; a missing file starts from an example document
    pub file: PathBuf,
    /// Input format (default: from the file name)
    #[arg(long, value_name = "TYPE", value_parser = super::FormatName)]
    pub input_type: Option<String>,
    /// Output format (default: from the file name)
    #[arg(long, value_name = "TYPE", value_parser = super::FormatName)]
    pub output_type: Option<String>,
    /// Show the sops metadata (master keys) in the editor too
    #[arg(short = 's', long)]
    pub show_master_keys: bool,
    /// Do not check the file's MAC
    #[arg(long)]
    pub ignore_mac: bool,
    /// Keys and selector for a file that does not exist yet
    #[command(flatten)]
    pub keys: NewFileArgs,
    #[command(flatten)]
    pub keyservice: KeyServiceArgs,
}

/// The document a new file starts from, per format: the same text sops shows.
fn template(format: Format) -> &'static [u8] {
    match format {
        Format::Yaml => {
            b"hello: Welcome to SOPS! Edit this file as you please!\n\
example_key: example_value\n\
# Example comment\n\
example_array:\n    - example_value1\n    - example_value2\n\
example_number: 1234.56789\n\
example_booleans:\n    - true\n    - false\n"
        }
        Format::Json => {
            b"{\n\t\"hello\": \"Welcome to SOPS! Edit this file as you please!\",\n\
\t\"example_key\": \"example_value\",\n\
\t\"example_array\": [\n\t\t\"example_value1\",\n\t\t\"example_value2\"\n\t],\n\
\t\"example_number\": 1234.56789,\n\
\t\"example_booleans\": [\n\t\ttrue,\n\t\tfalse\n\t]\n}\n"
        }
        Format::Dotenv => {
            b"# This is an example file.\n\
hello=Welcome to SOPS! Edit this file as you please!\n\
example_key=example_value\n\
example_multiline=foo\\nbar\\nbaz\n"
        }
        Format::Ini => {
            b"; This is an example file.\n[Welcome!]\n\
hello       = Welcome to SOPS! Edit this file as you please!\n\
example_key = example_value\n"
        }
        Format::Binary => b"Welcome to SOPS! Edit this file as you please!",
        Format::Toml => {
            b"# This is an example file.\n\
hello = \"Welcome to secret! Edit this file as you please!\"\n\
example_key = \"example_value\"\n\
example_array = [\"example_value1\", \"example_value2\"]\n\
example_number = 1234.56789\n"
        }
    }
}

/// What is being edited: the documents with everything needed to seal them again.
struct Session {
    docs: Vec<Map>,
    metadata: Metadata,
    data_key: DataKey,
    nonces: NonceMemory,
    /// The text the documents were read from (the file, then the edited text), for stores
    /// that write in its layout.
    source: Option<crate::input::Input>,
}

/// Why the edit loop stopped without a result to write.
enum Stop {
    Error(Error),
    Signal(i32),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop::Error(e)
    }
}

pub fn run(ctx: &Context, args: EditArgs) -> Result<i32> {
    let io = IoArgs {
        file: Some(args.file.clone()),
        input_type: args.input_type.clone(),
        output_type: args.output_type.clone(),
        ..IoArgs::default()
    };
    let files = Files::resolve(&io, false)?;
    let label = files.label();
    let options = ctx.store_options()?;
    let input_store = files.input_format.store(&options);
    let output_store = ctx.output_store(files.output_format)?;
    let _lock = EditLock::acquire(&args.file)?;

    let session = if args.file.exists() {
        let opened = files.open(ctx, args.ignore_mac, Purpose::Rewrite)?;
        Session {
            docs: opened.docs,
            metadata: opened.metadata,
            data_key: opened.data_key,
            nonces: opened.nonces,
            source: opened.source,
        }
    } else {
        let docs = input_store
            .load(template(files.input_format))
            .map_err(|e| e.context("example document"))?
            .docs;
        let plan = for_input(
            plan_for(ctx, &files.name, &args.keys, &label)?,
            files.input_format,
        );
        let (metadata, data_key) =
            sopsfile::new_metadata(plan, ctx.key_services()).map_err(|e| e.context(&label))?;
        Session {
            docs,
            metadata,
            data_key,
            nonces: NonceMemory::default(),
            source: None,
        }
    };

    // From here on plaintext exists on disk: catch signals so it is always removed.
    let _signals = SignalGuard::install();
    let dir = PrivateDir::new()?;
    let result = edit_in(&dir, &args, &files, &*input_store, &*output_store, session);
    drop(dir);
    let mut session = match result {
        Ok(s) => s,
        Err(Stop::Error(e)) => return Err(e),
        Err(Stop::Signal(sig)) => return Ok(abandoned(sig)),
    };
    if let Some(sig) = proc::caught() {
        return Ok(abandoned(sig));
    }

    sopsfile::reseal(
        &mut session.docs,
        &mut session.metadata,
        &session.data_key,
        &mut session.nonces,
    )
    .map_err(|e| e.context(&label))?;
    let meta_tree = sopsfile::metadata_tree(&session.metadata, files.output_format);
    let out = output_store
        .emit_over(&session.docs, Some(&meta_tree), session.source.as_deref())
        .map_err(|e| e.context(&label))?;
    if let Some(sig) = proc::caught() {
        return Ok(abandoned(sig));
    }
    write_atomic(&args.file, &out, 0o644)?;
    Ok(0)
}

fn abandoned(sig: i32) -> i32 {
    eprintln!("secret: edit abandoned (signal {sig}); the file is unchanged");
    proc::signal_exit_code(sig)
}

/// Writes the plaintext into `dir`, runs the editor until its result is usable, and returns
/// the session with the edited documents.
fn edit_in(
    dir: &PrivateDir,
    args: &EditArgs,
    files: &Files,
    input_store: &dyn Store,
    output_store: &dyn Store,
    mut session: Session,
) -> std::result::Result<Session, Stop> {
    let meta_tree = args
        .show_master_keys
        .then(|| sopsfile::metadata_tree(&session.metadata, files.output_format));
    // The plaintext copies in memory are wiped when dropped: the editor may run for long.
    let plain = Zeroizing::new(output_store.emit_over(
        &session.docs,
        meta_tree.as_ref(),
        session.source.as_deref(),
    )?);
    let name = args
        .file
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "secret-edit".into());
    let path = dir.write_file(&name, &plain)?;
    let original = Sha256::digest(&plain);
    drop(plain);

    loop {
        run_editor(&path)?;
        if let Some(sig) = proc::caught() {
            return Err(Stop::Signal(sig));
        }
        let edited = Zeroizing::new(std::fs::read(&path).map_err(|e| {
            Error::new(
                Code::CouldNotReadInputFile,
                format!("cannot read the edited file: {e}"),
            )
        })?);
        if Sha256::digest(&edited) == original {
            return Err(Error::new(
                Code::FileHasNotBeenModified,
                "File has not changed, exiting.",
            )
            .into());
        }
        match accept(&edited, args.show_master_keys, input_store, &mut session) {
            Ok(()) => return Ok(session),
            Err(e) => offer_retry(e)?,
        }
    }
}

/// Takes the edited text into the session, or says what is wrong with it.
fn accept(
    edited: &[u8],
    show_master_keys: bool,
    input_store: &dyn Store,
    session: &mut Session,
) -> Result<()> {
    let loaded = input_store.load(edited)?;
    match (&loaded.metadata, show_master_keys) {
        (Some(_), false) => {
            return Err(Error::new(
                Code::CouldNotReadInputFile,
                "the edited document has a top-level \"sops\" key; remove it (the metadata \
                 is kept by secret)",
            ))
        }
        (None, true) => {
            return Err(Error::new(
                Code::CouldNotReadInputFile,
                "the sops metadata was removed from the edited document",
            ))
        }
        (Some(raw), true) => {
            let metadata = Metadata::from_map(raw)?;
            if metadata.master_keys().next().is_none() {
                return Err(Error::new(
                    Code::Generic,
                    "no master keys left in the metadata, so the file cannot be encrypted",
                ));
            }
            session.metadata = metadata;
        }
        (None, false) => {}
    }
    let mut docs = loaded.docs;
    for (doc, before) in docs.iter_mut().zip(&session.docs) {
        crate::tree::keep_float_types(doc, before);
    }
    session.docs = docs;
    session.source = loaded.source;
    if version_older(&session.metadata.version, WRITTEN_VERSION) {
        session.metadata.version = WRITTEN_VERSION.to_string();
    }
    Ok(())
}

/// Invalid content: on a terminal, say so and offer to re-open the editor with the text as
/// the user left it; otherwise fail with the error (the original file stays untouched).
fn offer_retry(e: Error) -> std::result::Result<(), Stop> {
    if !proc::stdin_is_terminal() {
        return Err(Stop::Error(e.context("the edited file cannot be used")));
    }
    eprintln!("secret: the edited file cannot be used: {e}");
    eprintln!(
        "secret: press Enter to return to the editor (your changes are kept), \
         or Ctrl+C to abandon the edit"
    );
    match proc::wait_for_enter() {
        Ok(true) => Ok(()),
        Ok(false) => Err(Stop::Error(e.context("the edited file cannot be used"))),
        Err(sig) => Err(Stop::Signal(sig)),
    }
}

/// The editor command: `$SOPS_EDITOR`, else `$EDITOR`, split like a shell would; else the
/// first of vim, nano and vi on the PATH.
fn editor_command() -> Result<Vec<String>> {
    for var in ["SOPS_EDITOR", "EDITOR"] {
        if let Some(value) = std::env::var_os(var) {
            let value = value.to_string_lossy().into_owned();
            if value.trim().is_empty() {
                continue;
            }
            return shell_words::split(&value).map_err(|e| {
                Error::new(
                    Code::NoEditorFound,
                    format!("invalid ${var} {value:?}: {e}"),
                )
            });
        }
    }
    for name in ["vim", "nano", "vi"] {
        if let Some(path) = find_on_path(name) {
            return Ok(vec![path.to_string_lossy().into_owned()]);
        }
    }
    Err(Error::new(
        Code::NoEditorFound,
        "no editor found: set SOPS_EDITOR or EDITOR, or install vim, nano or vi",
    ))
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

/// Runs the editor on `path` with the terminal passed through; a missing editor or one that
/// fails is exit 201, as in sops.
fn run_editor(path: &Path) -> std::result::Result<(), Stop> {
    let parts = editor_command()?;
    let (program, rest) = parts.split_first().ok_or_else(|| {
        Stop::Error(Error::new(
            Code::NoEditorFound,
            "the editor command is empty",
        ))
    })?;
    let child = std::process::Command::new(program)
        .args(rest)
        .arg(path)
        .spawn()
        .map_err(|e| {
            Error::new(
                Code::NoEditorFound,
                format!("could not run the editor {program:?}: {e}"),
            )
        })?;
    let code = proc::wait_forwarding(child.id() as libc::pid_t)?;
    match proc::caught() {
        // Editors take Ctrl+C as a key, not as "quit": when the editor then exits normally,
        // what it saved is kept. SIGINT abandons the edit only if it ended the editor.
        Some(libc::SIGINT) if code == 0 => proc::forget(libc::SIGINT),
        Some(sig) => return Err(Stop::Signal(sig)),
        None => {}
    }
    if code != 0 {
        return Err(Error::new(
            Code::NoEditorFound,
            format!("the editor {program:?} failed (exit status {code}); the file is unchanged"),
        )
        .into());
    }
    Ok(())
}

/// Whether semantic version `a` is older than `b` (numeric major.minor.patch; anything that
/// does not parse counts as not older, so it is left alone).
fn version_older(a: &str, b: &str) -> bool {
    fn parse(v: &str) -> Option<(u64, u64, u64)> {
        let core = v.strip_prefix('v').unwrap_or(v);
        let core = core.split(['-', '+']).next()?;
        let mut it = core.split('.').map(|p| p.parse::<u64>().ok());
        Some((it.next()??, it.next()??, it.next()??))
    }
    matches!((parse(a), parse(b)), (Some(a), Some(b)) if a < b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::StoreOptions;

    #[test]
    fn versions_compare_numerically() {
        assert!(version_older("3.9.0", "3.11.0"));
        assert!(!version_older("3.11.0", "3.11.0"));
        assert!(!version_older("3.12.1", "3.11.0"));
        assert!(!version_older("garbage", "3.11.0"));
    }

    #[test]
    fn json_template_round_trips_to_the_same_text() {
        let store = Format::Json.store(&StoreOptions::default());
        let docs = store.load(template(Format::Json)).unwrap().docs;
        assert_eq!(
            store.emit(&docs, None).unwrap(),
            template(Format::Json).to_vec()
        );
    }
}
