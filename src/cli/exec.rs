//! `secret exec-env` and `secret exec-file`: run a command with the decrypted values in its
//! environment, or with the decrypted file behind a path that only lives as long as it runs.

mod direct;
mod mask;
mod spawn;

use super::io::{Context, Files, Purpose};
use super::keyservice_args::KeyServiceArgs;
use super::proc::{self, PrivateDir, RunAs, SignalGuard};
use super::IoArgs;
use crate::error::{Code, Error, Result};
use crate::mask::encrypted_leaves;
use crate::sopsfile::Opened;
use crate::tree::{Bytes, Item, Map, Node, Scalar, Text};
use clap::Args;
use mask::{refuse_mask_with, Masking};
use spawn::{Launch, SHELL};
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

#[derive(Debug, Args)]
pub struct ExecEnvArgs {
    /// The encrypted file
    pub file: PathBuf,
    /// The command, run with /bin/sh -c (one quoted argument, or the rest of the line)
    #[arg(required_unless_present = "files", num_args = 1.., value_name = "COMMAND")]
    pub command: Vec<String>,
    /// Read the values from these encrypted files (repeat -f; a later file's keys override an
    /// earlier one's); every argument after the options is then the command
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Give the command only the decrypted values, not the current environment
    #[arg(long)]
    pub pristine: bool,
    /// Replace secret with the command (exec) instead of running it as a child
    #[arg(long)]
    pub same_process: bool,
    /// Run the command as this user (needs the privileges to switch)
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Export nested values too: `db: {user: x}` becomes DB_USER=x
    #[arg(long)]
    pub flatten: bool,
    /// Start the command and return at once (deprecated in sops)
    #[arg(long, hide = true)]
    pub background: bool,
    #[command(flatten)]
    pub keyservice: KeyServiceArgs,
    /// Replace the secret values (and their base64 and URL-encoded forms) with ***** in the
    /// command's output
    #[arg(long)]
    pub mask_output: bool,
}

#[derive(Debug, Args)]
pub struct ExecFileArgs {
    /// The encrypted file
    pub file: PathBuf,
    /// The command, run with /bin/sh -c (one quoted argument, or the rest of the line); every
    /// {} is replaced by the decrypted file's path
    #[arg(required = true, num_args = 1.., value_name = "COMMAND")]
    pub command: Vec<String>,
    /// Use a regular 0600 file instead of a named pipe
    #[arg(long)]
    pub no_fifo: bool,
    /// Name of the temporary file (default: tmp-file)
    #[arg(long, value_name = "NAME")]
    pub filename: Option<String>,
    /// Input format (default: from the file name)
    #[arg(long, value_name = "TYPE", value_parser = super::FormatName)]
    pub input_type: Option<String>,
    /// Format of the decrypted file (default: the input's)
    #[arg(long, value_name = "TYPE", value_parser = super::FormatName)]
    pub output_type: Option<String>,
    /// Run the command as this user (needs the privileges to switch)
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Accepted for sops compatibility (deprecated there); the command is still waited for,
    /// since the decrypted file lives only as long as secret runs
    #[arg(long, hide = true)]
    pub background: bool,
    #[command(flatten)]
    pub keyservice: KeyServiceArgs,
    /// Replace the secret values (and their base64 and URL-encoded forms) with ***** in the
    /// command's output
    #[arg(long)]
    pub mask_output: bool,
}

/// Decrypts FILE (read with `input_type`) and returns it with the resolved formats and, with
/// `mask`, the secret values to mask in the command's output.
fn decrypt(ctx: &Context, io: &IoArgs, mask: bool) -> Result<(Opened, Files, Option<Masking>)> {
    let (opened, files, values) = decrypt_with_values(ctx, io, mask)?;
    let masking = values.map(|v| Masking::new(&v)).transpose()?;
    Ok((opened, files, masking))
}

/// The secret values of a file, as `--mask-output` hides them.
type SecretValues = Vec<Zeroizing<Vec<u8>>>;

/// Decrypts a file and, when `mask` asks for them, collects its secret values: the leaves it
/// holds encrypted (values its selector leaves plain are no secrets).
fn decrypt_with_values(
    ctx: &Context,
    io: &IoArgs,
    mask: bool,
) -> Result<(Opened, Files, Option<SecretValues>)> {
    let mut files = Files::resolve(io, false)?;
    files.missing = Code::CouldNotReadInputFile;
    let loaded = files.load_encrypted(ctx)?;
    let encrypted = mask.then(|| loaded.docs.clone());
    let opened = files.open_loaded(ctx, loaded, false, Purpose::Read)?;
    let values = encrypted.map(|encrypted| {
        encrypted_leaves(&opened.docs, &encrypted)
            .into_iter()
            .map(|s| Zeroizing::new(scalar_bytes(s)))
            .collect()
    });
    Ok((opened, files, values))
}

/// The first documents of `paths` decrypted and laid over each other (a later file's keys
/// win, maps merge key by key), with the secret values of every file when `mask` asks.
fn decrypt_all(ctx: &Context, paths: &[PathBuf], mask: bool) -> Result<(Map, Option<Masking>)> {
    let mut values = Vec::new();
    let doc = super::io::overlay_files(paths, None, |io| {
        let (opened, _, secret) = decrypt_with_values(ctx, io, mask)?;
        values.extend(secret.unwrap_or_default());
        Ok(opened)
    })?;
    let masking = mask.then(|| Masking::new(&values)).transpose()?;
    Ok((doc, masking))
}

/// A scalar as sops' `ValToString` writes it into a flat context (floats always show a
/// point or exponent). `null` becomes the empty string (sops would print Go's `<nil>`).
fn scalar_bytes(s: &Scalar) -> Vec<u8> {
    match s {
        Scalar::Bytes(b) => b.to_vec(),
        Scalar::Null => Vec::new(),
        // The flat files' text (timestamps RFC 3339 in whole seconds).
        other => crate::format::flatten::scalar_text(other).into_bytes(),
    }
}

/// The name a nested value gets with `--flatten`: path components upper-cased, every
/// character that is not an ASCII letter, digit or `_` turned into `_`, joined with `_`.
fn flat_name(path: &[String]) -> String {
    path.iter()
        .map(|p| {
            p.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// A scalar as a variable's value ([`scalar_bytes`]), taken over rather than copied where
/// it is text or bytes.
fn var_value(s: Scalar) -> VarValue {
    match s {
        Scalar::Str(s) => VarValue::Text(s),
        Scalar::Bytes(b) => VarValue::Bytes(b),
        other => VarValue::Bytes(Bytes::from(scalar_bytes(&other))),
    }
}

fn flatten_into(path: &mut Vec<String>, node: Node, out: &mut Vars) {
    match node {
        Node::Scalar(s) => out.push((flat_name(path).into(), var_value(s))),
        Node::Map(m) => {
            for item in m {
                if let Item::Pair(k, v) = item {
                    path.push(k.as_str().into());
                    flatten_into(path, v, out);
                    path.pop();
                }
            }
        }
        Node::List(l) => {
            let mut i = 0;
            for v in l {
                if matches!(v, Node::Comment(_)) {
                    continue;
                }
                path.push(i.to_string());
                flatten_into(path, v, out);
                path.pop();
                i += 1;
            }
        }
        Node::Comment(_) => {}
    }
}

/// A variable's value, wiped when dropped: text or bytes taken over from the tree, or a
/// number or boolean written out.
pub enum VarValue {
    Text(Text),
    Bytes(Bytes),
}

impl std::ops::Deref for VarValue {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            VarValue::Text(t) => t.as_bytes(),
            VarValue::Bytes(b) => b,
        }
    }
}

/// Variables for the command's environment: names and values (wiped when dropped).
pub type Vars = Vec<(Text, VarValue)>;

/// The variables for the environment: the top-level values of the first document (comments
/// skipped), which they take over (5,000 variables cost 10,000 copies and allocations
/// when they were copied out of it). Nested values are an error unless `flatten`.
pub fn environment(doc: Map, flatten: bool) -> Result<Vars> {
    if flatten {
        return flattened(doc);
    }
    // Built in the document's own allocation (a pair and an item are the same size, and
    // `collect` reuses the buffer of the `Vec` it consumes): for 5,000 variables a new
    // vector cost a tenth of a millisecond in fresh pages alone.
    doc.into_iter()
        .filter_map(|item| match item {
            Item::Pair(key, Node::Scalar(s)) => Some(checked(key, var_value(s))),
            Item::Pair(_, Node::Comment(_)) | Item::Comment(_) => None,
            Item::Pair(key, _) => Some(Err(Error::new(
                Code::Generic,
                format!(
                    "cannot use complex value in environment; offending key {key} \
                     (use --flatten to export nested values)"
                ),
            ))),
        })
        .collect()
}

/// [`environment`] with `--flatten`: nested values exported under their joined path, which
/// two values must not share.
fn flattened(doc: Map) -> Result<Vars> {
    let mut vars: Vars = Vec::with_capacity(doc.len());
    for item in doc {
        match item {
            // A top-level name is kept as it is written; only nested paths are joined.
            Item::Pair(key, Node::Scalar(s)) => vars.push((key, var_value(s))),
            Item::Pair(_, Node::Comment(_)) | Item::Comment(_) => {}
            Item::Pair(key, nested) => {
                flatten_into(&mut vec![key.as_str().into()], nested, &mut vars)
            }
        }
    }
    let mut seen = crate::hash::set_with_capacity(vars.len());
    for (key, value) in &vars {
        check_variable(key, value)?;
        if !seen.insert(&**key) {
            return Err(Error::new(
                Code::Generic,
                format!("two values would both be exported as {key}"),
            ));
        }
    }
    Ok(vars)
}

/// `(key, value)` when they can be a variable of an environment.
fn checked(key: Text, value: VarValue) -> Result<(Text, VarValue)> {
    check_variable(&key, &value)?;
    Ok((key, value))
}

/// Fails when `key` cannot name a variable (empty, or holding `=` or NUL) or `value` holds a
/// NUL byte, which an environment cannot carry. A name is read once, byte by byte: names
/// are short, where two searches' set-up cost more than the bytes.
fn check_variable(key: &str, value: &[u8]) -> Result<()> {
    if key.is_empty() || key.bytes().any(|b| b == b'=' || b == 0) {
        return Err(Error::new(
            Code::Generic,
            format!("cannot use key {key:?} as an environment variable name"),
        ));
    }
    if value.contains(&0) {
        return Err(Error::new(
            Code::Generic,
            format!("the value of {key} contains a NUL byte, which an environment cannot hold"),
        ));
    }
    Ok(())
}

/// The shell command line: one argument is a command line, as in sops; several (the command
/// typed unquoted, `exec-env FILE terraform version`) are quoted each, so they run as typed.
fn command_line(words: &[String]) -> String {
    match words {
        [one] => one.clone(),
        _ => shell_words::join(words),
    }
}

fn shell(command: &str) -> Command {
    let mut cmd = Command::new(SHELL);
    cmd.arg("-c").arg(command);
    cmd
}

fn spawn_error(e: std::io::Error) -> Error {
    Error::new(Code::Generic, format!("cannot run /bin/sh: {e}"))
}

pub fn run_env(ctx: &Context, args: ExecEnvArgs) -> Result<i32> {
    // With -f the files are all named by -f: the first positional word starts the command.
    let (paths, words) = if args.files.is_empty() {
        (vec![args.file.clone()], args.command.clone())
    } else {
        let first = args.file.to_string_lossy().into_owned();
        let words = std::iter::once(first).chain(args.command.iter().cloned());
        (args.files.clone(), words.collect())
    };
    if args.mask_output && args.same_process {
        return Err(refuse_mask_with("same-process"));
    }
    if args.mask_output && args.background {
        return Err(refuse_mask_with("background"));
    }
    let (doc, masking) = decrypt_all(ctx, &paths, args.mask_output)?;
    let vars = environment(doc, args.flatten)?;
    let command = command_line(&words);
    // `--user`, `--mask-output` and `--background` start the command with `Command` (it
    // switches users in the child, makes pipes, redirects stdin); the others build the
    // environment once themselves (see spawn.rs).
    if args.user.is_none() && masking.is_none() && !args.background {
        let inherited = spawn::inherited(&vars, args.pristine);
        let launch = Launch::new(&command, spawn::entries(&inherited, &vars));
        let launch = launch.map_err(spawn_error)?;
        if args.same_process {
            return Err(spawn_error(launch.exec()));
        }
        let _signals = SignalGuard::install();
        // The command runs for as long as it likes: its environment is wiped from ours as
        // soon as it has started (`launch` and `vars` go with the closure). Wiping 5,000
        // values took 0.1 ms; now the command starts up meanwhile.
        return supervise(move || {
            let started = launch.spawn();
            drop(launch);
            drop(vars);
            started
        });
    }
    let mut cmd = shell(&command);
    if args.pristine {
        cmd.env_clear();
    }
    for (key, value) in vars {
        cmd.env(key.as_str(), OsString::from_vec(value.to_vec()));
    }
    if let Some(user) = &args.user {
        RunAs::lookup(user)?.apply(&mut cmd);
    }
    if args.same_process {
        use std::os::unix::process::CommandExt;
        return Err(spawn_error(cmd.exec()));
    }
    if args.background {
        cmd.stdin(std::process::Stdio::null());
        cmd.spawn().map_err(spawn_error)?;
        return Ok(0);
    }
    let _signals = SignalGuard::install();
    run_child(&mut cmd, masking.as_ref())
}

/// Runs the command to its end with signals passed on to it and to whatever it leaves
/// running when a signal ends it, its output masked if asked; returns its exit code.
fn run_child(cmd: &mut Command, masking: Option<&Masking>) -> Result<i32> {
    if let Some(m) = masking {
        m.prepare(cmd)?;
    }
    let mut pumps = Vec::new();
    let code = supervise(|| {
        let mut child = cmd.spawn()?;
        pumps = masking.map(|m| m.pass_on(&mut child)).unwrap_or_default();
        Ok(child.id() as libc::pid_t)
    });
    // The output ends when the last process holding the pipes (the command, or what it left
    // running) closes them.
    for p in pumps {
        let _ = p.join();
    }
    code
}

/// Starts the command with `start` and waits for it, passing signals on to it and, when a
/// signal ended it, to what it left running; returns its exit code.
fn supervise(start: impl FnOnce() -> std::io::Result<libc::pid_t>) -> Result<i32> {
    proc::adopt_orphans();
    let pid = start().map_err(spawn_error)?;
    let code = proc::wait_forwarding(pid);
    proc::end_orphans();
    code
}

pub fn run_file(ctx: &Context, args: ExecFileArgs) -> Result<i32> {
    let io = IoArgs {
        file: Some(args.file.clone()),
        input_type: args.input_type.clone(),
        output_type: args.output_type.clone(),
        ..IoArgs::default()
    };
    let (opened, files, masking) = decrypt(ctx, &io, args.mask_output)?;
    let plain = Zeroizing::new(
        ctx.output_store(files.output_format)?
            .emit(&opened.docs, None)
            .map_err(|e| e.context(files.label()))?,
    );
    drop(opened);
    // An empty --filename is the default name, as in sops.
    let filename = args.filename.clone().filter(|name| !name.is_empty());
    if let Some(name) = &filename {
        if name.contains('/') || name == "." || name == ".." {
            return Err(Error::new(
                Code::Generic,
                format!("--filename {name:?} must be a plain file name"),
            ));
        }
    }
    let user = args.user.as_deref().map(RunAs::lookup).transpose()?;

    let _signals = SignalGuard::install();
    let dir = PrivateDir::new()?;
    let path = if args.no_fifo {
        let name = filename.clone().unwrap_or_else(|| {
            let suffix: u32 = rand::random::<u32>() % 1_000_000_000;
            format!("tmp-file{suffix}")
        });
        dir.write_file(name.as_ref(), &plain)?
    } else {
        let path = dir.path().join(filename.as_deref().unwrap_or("tmp-file"));
        make_fifo(&path)?;
        path
    };
    if let Some(user) = &user {
        user.chown(dir.path())?;
        user.chown(&path)?;
    }
    let closed = Arc::new(Mutex::new(false));
    if !args.no_fifo {
        // Opening a FIFO for writing blocks until a reader opens it, so a thread does it;
        // when the command never reads, the thread is left blocked and ends with the process.
        let (fifo, closed, user) = (path.clone(), closed.clone(), user.clone());
        std::thread::spawn(move || serve_fifo(&fifo, &plain, user.as_ref(), &closed));
    }
    let command = command_line(&args.command).replace("{}", &path.to_string_lossy());
    let mut cmd = shell(&command);
    if let Some(user) = &user {
        user.apply(&mut cmd);
    }
    let code = run_child(&mut cmd, masking.as_ref());
    *closed.lock().unwrap_or_else(|e| e.into_inner()) = true;
    drop(dir);
    code
}

/// Gives `plain` to every reader of the named pipe at `path`, one after the other, until
/// `closed`. Each reader gets its own pipe: before the writing end is closed (which is when
/// the reader sees the end of the content), a fresh pipe takes the name, so that a command
/// opening the path a second time reads the content again instead of waiting forever for a
/// writer, and never gets the content twice from one open.
fn serve_fifo(path: &std::path::Path, plain: &[u8], user: Option<&RunAs>, closed: &Mutex<bool>) {
    use std::io::Write;
    while let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(path) {
        // A reader that stops early makes this fail (EPIPE): the next one still gets it all.
        let _ = pipe.write_all(plain);
        // Held while the name is swapped, so that the directory is not removed meanwhile.
        let closed = closed.lock().unwrap_or_else(|e| e.into_inner());
        let renewed = !*closed
            && std::fs::remove_file(path).is_ok()
            && make_fifo(path).is_ok()
            && user.is_none_or(|u| u.chown(path).is_ok());
        drop(closed);
        drop(pipe);
        if !renewed {
            return;
        }
    }
}

fn make_fifo(path: &std::path::Path) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::new(Code::Generic, "temporary path contains a NUL byte"))?;
    // SAFETY: mkfifo with a valid C string.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        return Err(Error::new(
            Code::CouldNotWriteOutputFile,
            format!(
                "cannot create the named pipe: {}",
                std::io::Error::last_os_error()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(k: &str, v: Node) -> Item {
        Item::Pair(k.into(), v)
    }

    #[test]
    fn scalars_as_sops_prints_them() {
        let doc = vec![
            pair("s", Node::str("a=b\nc")),
            Item::Comment(" note".into()),
            pair("f", Node::Scalar(Scalar::Float(1.0))),
            pair("g", Node::Scalar(Scalar::Float(1e21))),
            pair("i", Node::Scalar(Scalar::Int(5))),
            pair("t", Node::Scalar(Scalar::Bool(true))),
            pair("z", Node::Scalar(Scalar::Null)),
        ];
        let vars = environment(doc.clone(), false).unwrap();
        let text: Vec<(String, String)> = vars
            .into_iter()
            .map(|(k, v)| (k.into_string(), String::from_utf8(v.to_vec()).unwrap()))
            .collect();
        let expect = [
            ("s", "a=b\nc"),
            ("f", "1.0"),
            ("g", "1E+21"),
            ("i", "5"),
            ("t", "true"),
            ("z", ""),
        ];
        assert_eq!(
            text,
            expect
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn variables_take_over_the_documents_buffer() {
        let doc: Map = (0..100)
            .map(|i| pair(&format!("K{i}"), Node::str("v")))
            .chain([Item::Comment(" c".into())])
            .collect();
        let buffer = doc.as_ptr() as usize;
        let vars = environment(doc, false).unwrap();
        assert_eq!(vars.len(), 100);
        assert_eq!(vars.as_ptr() as usize, buffer, "built in place");
    }

    #[test]
    fn nested_values_need_flatten() {
        let doc = vec![pair(
            "db",
            Node::Map(vec![
                pair("user", Node::str("x")),
                pair("host-name", Node::str("h")),
                pair("ports", Node::List(vec![Node::str("1"), Node::str("2")])),
            ]),
        )];
        let Err(err) = environment(doc.clone(), false) else {
            panic!("a nested value without --flatten is refused");
        };
        assert!(err.message.contains("complex value"), "{err}");
        let vars = environment(doc, true).unwrap();
        let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["DB_USER", "DB_HOST_NAME", "DB_PORTS_0", "DB_PORTS_1"]
        );
    }

    #[test]
    fn bad_names_and_collisions_are_errors() {
        assert!(environment(vec![pair("a=b", Node::str("x"))], false).is_err());
        let doc = vec![
            pair("DB_USER", Node::str("x")),
            pair("db", Node::Map(vec![pair("user", Node::str("y"))])),
        ];
        assert!(environment(doc, true).is_err());
    }
}
