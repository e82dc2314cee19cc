//! Transparent git mode: `secret git-filter clean|smudge PATH`, git's clean and smudge
//! filter (`filter.secret.*`, set up by `secret git-setup --filter`). Files under the filter
//! are plaintext in the work tree and sops files in the index and in history.

use super::encrypt::{self, Seal};
use super::git::{self, load, open};
use super::gitfilter_process;
use super::io::{read_stdin, Context, Destination};
use super::plan::{plan_for, NewFileArgs};
use crate::error::{Code, Error, Result};
use crate::format::{Format, Loaded};
use crate::sopsfile::Opened;
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

// Options of `secret git-filter`.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// clean: plaintext on stdin, encrypted on stdout; smudge: the other way; process: git's
    /// long-running filter protocol on stdin/stdout
    pub mode: Mode,
    /// The file's path in the repository (git's %f): picks the format and the creation
    /// rule (clean and smudge)
    pub path: Option<PathBuf>,
}

/// Which way the filter runs.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Mode {
    /// Work tree to index: encrypt
    Clean,
    /// Index to work tree: decrypt
    Smudge,
    /// Both, for every file git sends (`filter.<driver>.process`)
    Process,
}

/// Runs `secret git-filter MODE [PATH]` (git starts it in the top directory of the work
/// tree).
pub fn run(ctx: &Context, args: FilterArgs) -> Result<()> {
    let top = git::toplevel(&ctx.cwd)?;
    let path = match (args.mode, args.path) {
        (Mode::Process, _) => {
            let output = super::wiped::WipedBufWriter::new(std::io::stdout().lock());
            return gitfilter_process::serve(ctx, &top, std::io::stdin().lock(), output);
        }
        (_, Some(path)) => path,
        (_, None) => {
            return Err(Error::new(
                Code::ConflictingParameters,
                "git-filter clean and smudge need the file's path (git's %f)",
            ))
        }
    };
    let input = read_stdin()?;
    let out = match args.mode {
        Mode::Clean => clean(ctx, &top, &path, input)?,
        _ => smudge(ctx, &top, &path, input),
    };
    Destination::Stdout.write(&out, 0o644)
}

/// The context a file is filtered in: its own directory, so the `.sops.yaml` found is the
/// one `secret` would use from there (nested configs of a monorepo work).
fn file_context(ctx: &Context, top: &Path, path: &Path) -> Context {
    let abs = top.join(path);
    let dir = abs
        .parent()
        .map_or_else(|| top.to_path_buf(), Path::to_path_buf);
    Context::new(ctx.global.clone(), dir)
}

/// Files the filter never changes, whatever the attributes say: git's own and the config
/// (a `path_regex` such as `\.yaml$` matches `.sops.yaml`), which must stay readable for
/// every clone. By name, so that a broken config can still be fixed and committed.
fn exempt(ctx: &Context, abs: &Path) -> bool {
    let name = abs.file_name().and_then(|n| n.to_str()).unwrap_or("");
    [
        ".gitattributes",
        ".gitignore",
        ".gitmodules",
        crate::config::CONFIG_NAME,
    ]
    .contains(&name)
        || ctx
            .global
            .config
            .as_ref()
            .is_some_and(|c| crate::config::absolute(&ctx.cwd, c) == abs)
}

/// clean: the plaintext of the work tree encrypted for the index. Already encrypted input
/// (no key here, or a file committed before the filter) passes unchanged. When the index or
/// HEAD holds an encrypted version this machine can open, its data key and metadata are
/// kept, and so is the ciphertext of every unchanged value; unchanged content gives back
/// those exact bytes, so git sees no change. Otherwise the file is encrypted as new, with
/// its creation rule. Any error fails the filter: git then refuses to stage the file.
pub fn clean(ctx: &Context, top: &Path, path: &Path, input: Vec<u8>) -> Result<Vec<u8>> {
    let ctx = &file_context(ctx, top, path);
    let label = path.display().to_string();
    let abs = top.join(path);
    if exempt(ctx, &abs) {
        return Ok(input);
    }
    let format = Format::from_path(path);
    let mut loaded = load(ctx, &input, format, &label)?;
    if loaded.metadata.is_some() {
        return Ok(input);
    }
    let store = ctx.output_store(format)?;
    if let Some(committed) = committed_version(top, path) {
        if let Some(mut opened) = open_committed(ctx, &committed, format, &label) {
            // In the order the committed file was read back in (sealing keeps it).
            store.normalize(&mut loaded.docs);
            if loaded.docs == opened.docs {
                return Ok(committed);
            }
            ctx.verbose(|| format!("{label}: encrypting with the committed version's data key"));
            return encrypt::seal_plain(
                ctx,
                loaded,
                Seal::Into(&mut opened),
                &*store,
                format,
                &label,
            )?
            .into_bytes(&*store)
            .map_err(|e| e.context(&label));
        }
    }
    let plan = plan_for(ctx, &abs, &NewFileArgs::default(), &label)?;
    encrypt::seal_plain(ctx, loaded, Seal::New(plan), &*store, format, &label)?.into_bytes(&*store)
}

/// The file's encrypted version in the index (stage 0), else in HEAD; `None` for a new
/// file. Blobs in git are what clean wrote, so no filter runs on them here.
fn committed_version(top: &Path, path: &Path) -> Option<Vec<u8>> {
    let path = path.to_string_lossy();
    [format!(":0:{path}"), format!("HEAD:{path}")]
        .iter()
        .find_map(|rev| git::git_bytes(&["cat-file", "blob", rev], top).ok())
}

/// The committed version opened to be rewritten; `None` when it has no sops metadata or
/// cannot be decrypted here (said on stderr: the file then gets a new data key).
fn open_committed(ctx: &Context, committed: &[u8], format: Format, label: &str) -> Option<Opened> {
    let loaded: Loaded = load(ctx, committed, format, label).ok()?;
    loaded.metadata.as_ref()?;
    match open(ctx, loaded, label) {
        Ok(opened) => Some(opened),
        Err(e) => {
            eprintln!(
                "secret: warning: {label}: the committed version cannot be decrypted here \
                 ({}): encrypting with a new data key",
                git::reason(&e, label)
            );
            None
        }
    }
}

/// smudge: the index's sops file decrypted for the work tree. Input without sops metadata
/// passes unchanged; a file that cannot be decrypted here (no key, damaged) stays encrypted
/// with a warning naming it, so that checkout works for people without the key.
pub fn smudge(ctx: &Context, top: &Path, path: &Path, input: Vec<u8>) -> Vec<u8> {
    let ctx = &file_context(ctx, top, path);
    let label = path.display().to_string();
    match decrypt(ctx, path, &input, &label) {
        Ok(Some(plain)) => plain,
        Ok(None) => input,
        Err(e) => {
            eprintln!(
                "secret: warning: {label}: cannot decrypt, left encrypted in the work tree: {}",
                git::reason(&e, &label)
            );
            input
        }
    }
}

/// The plaintext of a sops file; `None` for input that is not one.
fn decrypt(ctx: &Context, path: &Path, input: &[u8], label: &str) -> Result<Option<Vec<u8>>> {
    let format = Format::from_path(path);
    let Ok(loaded) = load(ctx, input, format, label) else {
        return Ok(None);
    };
    if loaded.metadata.is_none() {
        return Ok(None);
    }
    let opened = open(ctx, loaded, label)?;
    for w in &opened.warnings {
        eprintln!("secret: warning: {label}: {w}");
    }
    ctx.output_store(format)?
        .emit_over(&opened.docs, None, opened.source.as_deref())
        .map(Some)
        .map_err(|e| e.context(label))
}
