//! `secret set FILE PATH VALUE` and `secret unset FILE PATH`: change one place of an encrypted
//! file in place; every other value keeps its exact ciphertext.

use super::io::{read_stdin, write_atomic, Context, Files, Purpose};
use super::keyservice_args::KeyServiceArgs;
use super::proc::EditLock;
use super::IoArgs;
use crate::error::{Code, Error, Result};
use crate::format::json::JsonStore;
use crate::sopsfile::{self, Opened};
use crate::tree::{self, Item, Map, Node, Scalar};
use crate::treepath::{self, Step};
use clap::Args;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

// Options set and unset share.
#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// Input format (default: from the file name)
    #[arg(long, value_name = "TYPE", value_parser = super::FormatName)]
    pub input_type: Option<String>,
    /// Output format (default: from the file name)
    #[arg(long, value_name = "TYPE", value_parser = super::FormatName)]
    pub output_type: Option<String>,
    /// Do not check the file's MAC
    #[arg(long)]
    pub ignore_mac: bool,
    /// Accepted for sops compatibility; the file's key groups are kept as they are
    #[arg(long, value_name = "N")]
    pub shamir_secret_sharing_threshold: Option<usize>,
    #[command(flatten)]
    pub keyservice: KeyServiceArgs,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The encrypted file (changed in place)
    pub file: PathBuf,
    /// Where to set, e.g. '["db"]["password"]' or '["hosts"][0]'
    pub path: String,
    /// The value, as JSON (e.g. '"text"', 5, -1.5, '{"a": true}')
    #[arg(allow_negative_numbers = true)]
    pub value: Option<String>,
    /// VALUE is a file to read the JSON value from (keeps it out of process listings)
    #[arg(long, conflicts_with = "value_stdin")]
    pub value_file: bool,
    /// Read the JSON value from standard input (VALUE is not given)
    #[arg(long)]
    pub value_stdin: bool,
    /// Do not write when PATH already holds VALUE
    #[arg(long)]
    pub idempotent: bool,
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Args)]
pub struct UnsetArgs {
    /// The encrypted file (changed in place)
    pub file: PathBuf,
    /// What to remove, e.g. '["db"]["password"]' or '["hosts"][0]'
    pub path: String,
    /// Succeed without writing when PATH does not exist
    #[arg(long)]
    pub idempotent: bool,
    #[command(flatten)]
    pub change: ChangeArgs,
}

fn set_format(message: impl Into<String>) -> Error {
    Error::new(Code::InvalidSetFormat, message)
}

/// Parses a tree path for set/unset: a bad path is exit 7 here (91 is for `--extract`).
fn parse_path(text: &str) -> Result<Vec<Step>> {
    let steps = treepath::parse(text).map_err(|e| set_format(e.message))?;
    match steps.first() {
        None => Err(set_format("the path is empty")),
        Some(Step::Index(_)) => Err(set_format(
            "the top level is a map: the path must start with a key, e.g. [\"key\"]",
        )),
        Some(Step::Key(_)) => Ok(steps),
    }
}

/// Parses VALUE as Go's `encoding/json` would for sops: numbers become floats (also in sops
/// 3.13, whose JSON store keeps integers exact but whose `set` does not), objects keep their
/// key order.
pub fn parse_value(text: &[u8]) -> Result<Node> {
    let mut wrapped = Vec::with_capacity(text.len() + 8);
    wrapped.extend_from_slice(b"{\"v\":");
    wrapped.extend_from_slice(text);
    wrapped.extend_from_slice(b"\n}");
    let invalid = || set_format("the value is not valid JSON");
    let map = JsonStore::parse(&wrapped).map_err(|_| invalid())?;
    // Text such as `1, "w": 2` would smuggle in a second key: exactly one must come back.
    match <[Item; 1]>::try_from(map) {
        Ok([Item::Pair(_, mut node)]) => {
            integers_to_floats(&mut node);
            Ok(node)
        }
        _ => Err(invalid()),
    }
}

/// Turns every integer below `node` into the float Go's `encoding/json` decodes it as.
fn integers_to_floats(node: &mut Node) {
    match node {
        Node::Scalar(Scalar::Int(i)) => *node = Node::Scalar(Scalar::Float(*i as f64)),
        Node::Map(items) => {
            for item in items {
                if let Item::Pair(_, v) = item {
                    integers_to_floats(v);
                }
            }
        }
        Node::List(nodes) => nodes.iter_mut().for_each(integers_to_floats),
        Node::Scalar(_) | Node::Comment(_) => {}
    }
}

/// A JSON number or boolean as the text the user typed (`9091`, not sops' float `9091.0`),
/// for formats whose values are all text. sops reads such a value back as the same string.
fn as_typed(value: Node, text: &[u8]) -> Node {
    match value {
        Node::Scalar(Scalar::Int(_) | Scalar::Float(_) | Scalar::Bool(_)) => {
            Node::str(String::from_utf8_lossy(text).trim())
        }
        other => other,
    }
}

/// The value at `path` under `root`, if there is one.
fn lookup<'a>(root: &'a Node, path: &[Step]) -> Option<&'a Node> {
    treepath::get(root, path).ok()
}

/// Removes the value at `path` below `node`; "Key not found" / "Index out of bounds" (exit 1)
/// when it is not there.
fn unset_in(node: &mut Node, path: &[Step]) -> Result<()> {
    let not_found = |step: &Step| match step {
        Step::Key(k) => Error::new(Code::Generic, format!("Key not found: {k}")),
        Step::Index(i) => Error::new(Code::Generic, format!("Index {i} out of bounds")),
    };
    let (step, rest) = path.split_first().expect("paths are not empty");
    match (step, node) {
        (Step::Key(k), Node::Map(m)) => {
            if rest.is_empty() {
                return tree::remove(m, k)
                    .map(|_| ())
                    .ok_or_else(|| not_found(step));
            }
            let v = m
                .iter_mut()
                .find_map(|item| match item {
                    Item::Pair(key, v) if key == k => Some(v),
                    _ => None,
                })
                .ok_or_else(|| not_found(step))?;
            unset_in(v, rest)
        }
        (Step::Index(i), Node::List(l)) => {
            let p = l
                .iter()
                .enumerate()
                .filter(|(_, n)| !matches!(n, Node::Comment(_)))
                .map(|(p, _)| p)
                .nth(*i)
                .ok_or_else(|| not_found(step))?;
            if rest.is_empty() {
                l.remove(p);
                Ok(())
            } else {
                unset_in(&mut l[p], rest)
            }
        }
        _ => Err(not_found(step)),
    }
}

/// Opens FILE for a change; the lock keeps a concurrent edit/set/unset off it.
fn open(ctx: &Context, file: &Path, change: &ChangeArgs) -> Result<(Opened, Files, EditLock)> {
    let io = IoArgs {
        file: Some(file.to_path_buf()),
        input_type: change.input_type.clone(),
        output_type: change.output_type.clone(),
        ..IoArgs::default()
    };
    let mut files = Files::resolve(&io, false)?;
    files.missing = Code::CouldNotReadInputFile;
    if !file.exists() {
        // Checked before locking, which would otherwise lock the directory instead.
        files.read()?;
    }
    let lock = EditLock::acquire(file)?;
    let opened = files.open(ctx, change.ignore_mac, Purpose::Rewrite)?;
    Ok((opened, files, lock))
}

/// Seals the changed documents with the file's own key and nonce memory and writes in place.
fn save(ctx: &Context, mut opened: Opened, files: &Files, file: &Path) -> Result<()> {
    let label = files.label();
    let store = ctx.output_store(files.output_format)?;
    let out = sopsfile::seal_opened(&mut opened, &*store, files.output_format)
        .map_err(|e| e.context(&label))?;
    write_atomic(file, &out, 0o644)
}

fn with_first_doc<T>(opened: &mut Opened, f: impl FnOnce(&mut Node) -> Result<T>) -> Result<T> {
    if opened.docs.is_empty() {
        opened.docs.push(Map::new());
    }
    let mut root = Node::Map(std::mem::take(&mut opened.docs[0]));
    let result = f(&mut root);
    if let Node::Map(m) = root {
        opened.docs[0] = m;
    }
    result
}

pub fn run_set(ctx: &Context, args: SetArgs) -> Result<i32> {
    let path = parse_path(&args.path)?;
    let text = match (args.value_stdin, args.value_file, &args.value) {
        (true, _, Some(_)) => {
            return Err(Error::new(
                Code::NoFileSpecified,
                "with --value-stdin, give no VALUE argument",
            ))
        }
        (true, _, None) => read_stdin()?.into(),
        (false, _, None) => {
            return Err(Error::new(
                Code::NoFileSpecified,
                "set needs FILE, PATH and VALUE (or --value-stdin)",
            ))
        }
        (false, true, Some(f)) => Zeroizing::new(std::fs::read(f).map_err(|e| {
            Error::new(
                Code::CouldNotReadInputFile,
                format!("{f}: cannot read: {e}"),
            )
        })?),
        (false, false, Some(v)) => v.clone().into_bytes().into(),
    };
    let value = parse_value(&text)?;
    let (mut opened, files, _lock) = open(ctx, &args.file, &args.change)?;
    let value = if files.output_format.values_are_text() {
        as_typed(value, &text)
    } else {
        value
    };
    drop(text);
    let unchanged = with_first_doc(&mut opened, |root| {
        if args.idempotent && lookup(root, &path) == Some(&value) {
            return Ok(true);
        }
        treepath::set(root, &path, value).map(|_| false)
    })?;
    if unchanged {
        ctx.verbose(|| format!("{}: value already set, nothing written", files.label()));
        return Ok(0);
    }
    save(ctx, opened, &files, &args.file)?;
    Ok(0)
}

pub fn run_unset(ctx: &Context, args: UnsetArgs) -> Result<i32> {
    let path = parse_path(&args.path)?;
    let (mut opened, files, _lock) = open(ctx, &args.file, &args.change)?;
    match with_first_doc(&mut opened, |root| unset_in(root, &path)) {
        Ok(()) => {}
        Err(e) if args.idempotent && e.code == Code::Generic => {
            ctx.verbose(|| format!("{}: {}; nothing written", files.label(), e.message));
            return Ok(0);
        }
        Err(e) => return Err(e),
    }
    save(ctx, opened, &files, &args.file)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: &str) -> Node {
        Node::Map(JsonStore::parse(json.as_bytes()).unwrap())
    }

    fn set(json: &str, path: &str, value: &str) -> Result<Node> {
        let mut root = doc(json);
        treepath::set(
            &mut root,
            &parse_path(path)?,
            parse_value(value.as_bytes())?,
        )?;
        Ok(root)
    }

    #[test]
    fn values_decode_as_go_does() {
        assert_eq!(
            parse_value(b"6543").unwrap(),
            Node::Scalar(Scalar::Float(6543.0))
        );
        assert_eq!(
            parse_value(b"[9007199254740993, {\"a\": 2}]").unwrap(),
            Node::List(vec![
                Node::Scalar(Scalar::Float(9007199254740992.0)),
                Node::Map(vec![Item::Pair(
                    "a".into(),
                    Node::Scalar(Scalar::Float(2.0))
                )]),
            ])
        );
        assert_eq!(parse_value(b" \"x\" ").unwrap(), Node::str("x"));
        assert_eq!(
            parse_value(b"{bad").unwrap_err().code,
            Code::InvalidSetFormat
        );
        assert_eq!(
            parse_value(b"1, \"w\": 2").unwrap_err().code,
            Code::InvalidSetFormat
        );
        assert_eq!(parse_value(b"").unwrap_err().code, Code::InvalidSetFormat);
    }

    #[test]
    fn set_creates_and_appends_like_sops() {
        let got = set(r#"{"a":1,"l":[1,2]}"#, r#"["b"]["c"][0]"#, r#""z""#).unwrap();
        assert_eq!(got, doc(r#"{"a":1,"l":[1,2],"b":{"c":["z"]}}"#));
        let got = set(r#"{"l":[1,2]}"#, r#"["l"][7]"#, "3").unwrap();
        // The set value is a float, as Go decodes it; the file's own integers stay integers.
        assert_eq!(got, doc(r#"{"l":[1,2,3.0]}"#));
        let got = set(r#"{"l":[1,2]}"#, r#"["l"][0]"#, "9").unwrap();
        assert_eq!(got, doc(r#"{"l":[9.0,2]}"#));
        let got = set(r#"{"a":"s"}"#, r#"["a"]["b"]"#, "true").unwrap();
        assert_eq!(got, doc(r#"{"a":{"b":true}}"#));
        assert_eq!(
            set(r#"{"l":[1]}"#, r#"["l"]["x"]"#, "1").unwrap_err().code,
            Code::InvalidSetFormat
        );
        assert_eq!(parse_path("[0]").unwrap_err().code, Code::InvalidSetFormat);
        assert_eq!(parse_path("x").unwrap_err().code, Code::InvalidSetFormat);
    }

    #[test]
    fn unset_removes_or_says_not_found() {
        let mut root = doc(r#"{"a":{"b":1,"c":2},"l":[1,2,3]}"#);
        unset_in(&mut root, &parse_path(r#"["a"]["b"]"#).unwrap()).unwrap();
        unset_in(&mut root, &parse_path(r#"["l"][1]"#).unwrap()).unwrap();
        assert_eq!(root, doc(r#"{"a":{"c":2},"l":[1,3]}"#));
        let err = unset_in(&mut root, &parse_path(r#"["nope"]"#).unwrap()).unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            (Code::Generic, "Key not found: nope")
        );
        let err = unset_in(&mut root, &parse_path(r#"["l"][10]"#).unwrap()).unwrap_err();
        assert_eq!(err.message, "Index 10 out of bounds");
    }
}
