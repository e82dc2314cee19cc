//! dotenv store: `KEY=value` lines, `#` comments, flattened `sops_` metadata lines
//! (`stores/dotenv/store.go`, SOPS-FORMAT.md §6.3).
//!
//! Reading: the input is split on `\n`; empty lines are skipped; a line starting with `#` is
//! a comment (the rest of the line); any other line is split at its first `=` into a key and
//! a value, both kept verbatim (spaces, `export `, quotes, `\r`, ` # ...`), except that the
//! two characters `\n` in a value become a newline. Keys starting with `sops_` are the
//! flattened metadata.

use super::flatten::{flatten, scalar_text, unflatten};
use super::seal::LeafSeal;
use super::{Loaded, Store};
use crate::error::{Code, Error, Result};
use crate::input::Input;
use crate::tree::{Item, Map, Node, Scalar, Text};

/// The prefix of every metadata key in a dotenv file.
pub const SOPS_PREFIX: &str = "sops_";

/// The dotenv store.
pub struct DotenvStore;

impl Store for DotenvStore {
    fn load(&self, input: &[u8]) -> Result<Loaded> {
        read(input, Text::from)
    }

    /// A big file's keys, values and comments are slices of its mapping, kept for the run,
    /// rather than copies: a 50,000-value encrypted file is 6.5 MB of `ENC[...]` text, and
    /// copying it into fresh memory cost a decrypt about a tenth of its time (the keys, one
    /// small allocation each, 0.5 ms more).
    fn load_encrypted(&self, input: Input) -> Result<Loaded> {
        match input.keep_for_run() {
            Ok(bytes) => read(bytes, Text::from_static),
            Err(input) => read(&input, Text::from),
        }
    }

    fn emit(&self, docs: &[Map], metadata: Option<&Map>) -> Result<Vec<u8>> {
        let mut out = printed_whole(docs, metadata);
        print(docs, metadata, &mut out, &mut |_| Ok(()), None)?;
        Ok(out.into_bytes())
    }

    fn print_leaves<'w>(
        &self,
        docs: &[Map],
        metadata: Option<&Map>,
        seal: Option<&'w mut dyn LeafSeal>,
        out: &'w mut dyn std::io::Write,
    ) -> Option<Result<()>> {
        Some(write(docs, metadata, out, seal))
    }

    fn emit_value(&self, value: &Node) -> Result<Vec<u8>> {
        match value {
            Node::Scalar(Scalar::Str(s)) => Ok(s.clone().into_bytes()),
            other => Err(Error::new(
                Code::ErrorDumpingTree,
                format!(
                    "the dotenv store only supports emitting strings, got {}",
                    go_type_name(other)
                ),
            )),
        }
    }
}

/// Parses `input`; `text` makes the tree's text of a key, value or comment read verbatim (a
/// value with an escape is unescaped into a copy).
fn read<'a>(input: &'a [u8], text: impl Fn(&'a str) -> Text) -> Result<Loaded> {
    // One validation pass for the whole input; splitting a `str` finds `\n` with memchr.
    let utf8 = std::str::from_utf8(input).map_err(|e| {
        let number = memchr::memchr_iter(b'\n', &input[..e.valid_up_to()]).count() + 1;
        Error::new(
            Code::CouldNotReadInputFile,
            format!("invalid UTF-8 in dotenv input on line {number}"),
        )
    })?;
    let mut doc = Map::with_capacity(estimated_lines(input));
    let mut meta = Vec::new();
    // Line ends found by one vectorized pass over the whole text.
    let ends = memchr::memchr_iter(b'\n', input).chain([input.len()]);
    let mut start = 0;
    for (index, end) in ends.enumerate() {
        crate::input::passed(input, start);
        let line = &utf8[start..end];
        start = end + 1;
        if line.is_empty() {
            continue;
        }
        let number = index + 1;
        if let Some(comment) = line.strip_prefix('#') {
            doc.push(Item::Comment(text(comment)));
            continue;
        }
        let Some((key, value)) =
            memchr::memchr(b'=', line.as_bytes()).map(|at| (&line[..at], &line[at + 1..]))
        else {
            return Err(Error::new(
                Code::CouldNotReadInputFile,
                format!("invalid dotenv input line {number}: {line}"),
            ));
        };
        match key.strip_prefix(SOPS_PREFIX) {
            Some(meta_key) => meta.push((meta_key.to_string(), value.replace("\\n", "\n"))),
            None => {
                // Most values hold no escape: skip the copy-and-search of `replace` for them.
                let value = match memchr::memchr(b'\\', value.as_bytes()) {
                    Some(_) => Text::from(value.replace("\\n", "\n")),
                    None => text(value),
                };
                doc.push(Item::Pair(text(key), Node::Scalar(Scalar::Str(value))));
            }
        }
    }
    let metadata = if meta.is_empty() {
        None
    } else {
        Some(unflatten(&meta)?)
    };
    Ok(Loaded {
        docs: vec![doc],
        metadata,
        source: None,
    })
}

/// How many lines `input` has, about, for the tree's room: counted in its first 64 KiB and
/// scaled, with an eighth more. Counting them all was one more pass over the whole input
/// (0.2 ms of CPU in a 50,000-value decrypt); room never used is never touched, and a low guess
/// costs the list one move.
fn estimated_lines(input: &[u8]) -> usize {
    const SAMPLE: usize = 64 << 10;
    let Some(sample) = input.get(..SAMPLE) else {
        return memchr::memchr_iter(b'\n', input).count() + 1;
    };
    let per_sample = memchr::memchr_iter(b'\n', sample).count() + 1;
    (per_sample as u64 * input.len() as u64 / SAMPLE as u64 * 9 / 8) as usize + 1
}

/// Up to this many items, a document printed without a seal (a decrypted file) is printed
/// whole before the first byte is written, each key checked as it is printed, rather than
/// checked in a pass of its own and then written as it is printed: that pass read every key
/// from memory again, 0.6 ms of a 50,000-value decrypt. At this count, some 4 MiB of text.
const PRINT_WHOLE_MAX: usize = if cfg!(test) { 16 } else { 1 << 17 };

/// Room for the whole text of `docs` and `metadata`, about.
fn printed_whole(docs: &[Map], metadata: Option<&Map>) -> String {
    String::with_capacity(docs.first().map_or(0, |d| d.len() * 48) + metadata.map_or(0, |_| 2048))
}

/// Writes the file to `out`, each leaf as `seal` gives it, if given: as it is printed, or
/// printed whole first ([`PRINT_WHOLE_MAX`]).
fn write(
    docs: &[Map],
    metadata: Option<&Map>,
    out: &mut dyn std::io::Write,
    seal: Option<&mut dyn LeafSeal>,
) -> Result<()> {
    if seal.is_none() && docs.first().map_or(0, Vec::len) <= PRINT_WHOLE_MAX {
        let mut text = printed_whole(docs, metadata);
        print(docs, metadata, &mut text, &mut |_| Ok(()), None)?;
        return out.write_all(text.as_bytes()).map_err(super::write_error);
    }
    check(docs)?;
    let mut text = String::with_capacity(OUT_CHUNK + 1024);
    print(
        docs,
        metadata,
        &mut text,
        &mut |text: &mut String| {
            if text.len() >= OUT_CHUNK {
                out.write_all(text.as_bytes()).map_err(super::write_error)?;
                text.clear();
            }
            Ok(())
        },
        seal,
    )?;
    out.write_all(text.as_bytes()).map_err(super::write_error)
}

/// Checks every key and value of the document to print, so what cannot be written fails
/// before the first byte is written.
fn check(docs: &[Map]) -> Result<()> {
    for item in docs.first().into_iter().flatten() {
        if let Item::Pair(key, value) = item {
            check_key(key)?;
            if !matches!(value, Node::Scalar(_)) {
                return Err(complex_value(key));
            }
        }
    }
    Ok(())
}

/// Text made before it goes to the writer (tiny in tests, so they write many chunks).
const OUT_CHUNK: usize = if cfg!(test) { 5 } else { 64 * 1024 };

/// Prints the first document (sops writes only that one: a dotenv file holds one) and the
/// metadata as `sops_` lines into `out`, calling `flush` after each line. With `seal`, each
/// value and comment is printed as it gives it. Each key and value is checked as it is
/// printed; a caller whose `flush` writes before the end has [`check`]ed them all first, so
/// that what cannot be written fails before the first byte is written.
fn print(
    docs: &[Map],
    metadata: Option<&Map>,
    out: &mut String,
    flush: &mut dyn FnMut(&mut String) -> Result<()>,
    mut seal: Option<&mut dyn LeafSeal>,
) -> Result<()> {
    if let Some(seal) = seal.as_deref_mut() {
        seal.open();
    }
    for item in docs.first().into_iter().flatten() {
        match item {
            Item::Comment(text) => {
                out.push('#');
                match seal.as_deref_mut().and_then(|seal| seal.comment(text)) {
                    Some(sealed) => out.push_str(&sealed),
                    None => out.push_str(text),
                }
            }
            Item::Pair(key, value) => {
                check_key(key)?;
                out.push_str(key);
                out.push('=');
                let sealed = match (seal.as_deref_mut(), value) {
                    (Some(seal), Node::Scalar(scalar)) => {
                        seal.enter_key(key);
                        let sealed = seal.scalar(scalar);
                        seal.leave_key();
                        sealed
                    }
                    _ => None,
                };
                match sealed {
                    // `ENC[...]` text: nothing to escape.
                    Some(sealed) => out.push_str(&sealed),
                    None => push_value_text(out, key, value)?,
                }
            }
        }
        out.push('\n');
        flush(out)?;
    }
    if let Some(seal) = seal {
        seal.close();
    }
    if let Some(meta) = metadata {
        for (key, value) in flatten(meta) {
            out.push_str(SOPS_PREFIX);
            out.push_str(&key);
            out.push('=');
            out.push_str(&value);
            out.push('\n');
            flush(out)?;
        }
    }
    Ok(())
}

/// Refuses a key that would not read back as itself: one holding `=` or a line break, or
/// starting with `#` (sops writes those as they are, giving a different or broken file).
fn check_key(key: &str) -> Result<()> {
    // A plain loop: keys are short, too short for a vectorized search to pay.
    if !key.starts_with('#') && !key.bytes().any(|b| b == b'\n' || b == b'=') {
        return Ok(());
    }
    let why = if key.contains('\n') {
        "it holds a line break"
    } else if key.contains('=') {
        "it holds '='"
    } else if key.starts_with('#') {
        "it would be read back as a comment"
    } else {
        return Ok(());
    };
    Err(Error::new(
        Code::ErrorDumpingTree,
        format!("cannot write key {key:?} to a dotenv file: {why}"),
    ))
}

/// Appends the text after `key=`: strings with newlines escaped, other scalars via
/// `ValToString`.
fn push_value_text(out: &mut String, key: &str, value: &Node) -> Result<()> {
    match value {
        Node::Scalar(Scalar::Str(s)) => {
            let mut rest = s.as_str();
            while let Some(at) = memchr::memchr(b'\n', rest.as_bytes()) {
                out.push_str(&rest[..at]);
                out.push_str("\\n");
                rest = &rest[at + 1..];
            }
            out.push_str(rest);
            Ok(())
        }
        Node::Scalar(scalar) => {
            out.push_str(&scalar_text(scalar));
            Ok(())
        }
        Node::Map(_) | Node::List(_) | Node::Comment(_) => Err(complex_value(key)),
    }
}

/// sops' refusal of a map, list or comment as the value of `key`.
fn complex_value(key: &str) -> Error {
    Error::new(
        Code::ErrorDumpingTree,
        format!("cannot use complex value in dotenv file; offending key {key}"),
    )
}

/// The Go type sops would name for a value it cannot emit.
pub(crate) fn go_type_name(node: &Node) -> &'static str {
    match node {
        Node::Map(_) => "sops.TreeBranch",
        Node::List(_) => "[]interface {}",
        Node::Comment(_) => "sops.Comment",
        Node::Scalar(scalar) => match scalar {
            Scalar::Str(_) => "string",
            Scalar::Bytes(_) => "[]uint8",
            Scalar::Int(_) => "int",
            Scalar::Float(_) => "float64",
            Scalar::Bool(_) => "bool",
            Scalar::Time(_) => "time.Time",
            Scalar::Null => "<nil>",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A kept input's keys, comments and values without escapes are slices of it, not
    /// copies; a value with an escape is unescaped into a copy.
    #[test]
    fn a_kept_input_is_borrowed_where_it_can_be() {
        static INPUT: &str = "#c\nKEY=value\nESC=a\\nb\n";
        let loaded = read(INPUT.as_bytes(), Text::from_static).unwrap();
        let input = INPUT.as_bytes().as_ptr_range();
        let within = |text: &Text| input.contains(&text.as_ptr());
        let doc = &loaded.docs[0];
        let Item::Comment(comment) = &doc[0] else {
            panic!("{doc:?}")
        };
        let Item::Pair(key, Node::Scalar(Scalar::Str(value))) = &doc[1] else {
            panic!()
        };
        let Item::Pair(escaped_key, Node::Scalar(Scalar::Str(escaped))) = &doc[2] else {
            panic!()
        };
        assert!(within(comment) && within(key) && within(value) && within(escaped_key));
        assert_eq!(escaped.as_str(), "a\nb");
        assert!(!within(escaped));
    }

    fn vector(path: &str) -> Vec<u8> {
        let full = format!("{}/tests/vectors/{path}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
    }

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).unwrap()
    }

    #[test]
    fn plain_vector_emits_what_sops_decrypt_prints() {
        let loaded = DotenvStore.load(&vector("plain/prod.env")).unwrap();
        assert_eq!(loaded.metadata, None);
        let out = DotenvStore.emit(&loaded.docs, None).unwrap();
        assert_eq!(text(&out), text(&vector("expected/prod.age1.env")));
    }

    #[test]
    fn plain_vector_tree_shape() {
        let loaded = DotenvStore.load(&vector("plain/prod.env")).unwrap();
        let doc = &loaded.docs[0];
        assert_eq!(doc[0], Item::Comment(" production environment".into()));
        assert!(doc.contains(&Item::Pair("JWT_SECRET".into(), Node::str("abc=def=="))));
        assert!(doc.contains(&Item::Pair("EMPTY_VALUE".into(), Node::str(""))));
        assert!(doc.contains(&Item::Pair(
            "QUOTED".into(),
            Node::str("\"double quoted value\"")
        )));
    }

    #[test]
    fn encrypted_vector_round_trips_byte_for_byte() {
        let input = vector("sops/prod.age1.env");
        let loaded = DotenvStore.load(&input).unwrap();
        let meta = loaded.metadata.as_ref().expect("metadata");
        assert_eq!(
            crate::tree::get(meta, "version").and_then(Node::as_str),
            Some("3.11.0")
        );
        let age = match crate::tree::get(meta, "age") {
            Some(Node::List(l)) => l,
            other => panic!("age: {other:?}"),
        };
        let enc = crate::tree::get(age[0].as_map().unwrap(), "enc")
            .and_then(Node::as_str)
            .unwrap();
        assert!(enc.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
        assert!(enc.ends_with("-----END AGE ENCRYPTED FILE-----\n"));
        assert!(!loaded.docs[0]
            .iter()
            .any(|i| matches!(i, Item::Pair(k, _) if k.starts_with("sops_"))));
        let out = DotenvStore
            .emit(&loaded.docs, loaded.metadata.as_ref())
            .unwrap();
        assert_eq!(text(&out), text(&input));
    }

    #[test]
    fn keeps_lines_verbatim() {
        let input = b"A=1\r\nexport B = x y \n=empty\nC=a\\nb\\\\nc\nA=dup\n#\nD= # not a comment";
        let loaded = DotenvStore.load(input).unwrap();
        let doc = &loaded.docs[0];
        assert_eq!(doc[0], Item::Pair("A".into(), Node::str("1\r")));
        assert_eq!(doc[1], Item::Pair("export B ".into(), Node::str(" x y ")));
        assert_eq!(doc[2], Item::Pair("".into(), Node::str("empty")));
        assert_eq!(doc[3], Item::Pair("C".into(), Node::str("a\nb\\\nc")));
        assert_eq!(doc[4], Item::Pair("A".into(), Node::str("dup")));
        assert_eq!(doc[5], Item::Comment("".into()));
        assert_eq!(
            doc[6],
            Item::Pair("D".into(), Node::str(" # not a comment"))
        );
        let out = DotenvStore.emit(&loaded.docs, None).unwrap();
        assert_eq!(
            text(&out),
            "A=1\r\nexport B = x y \n=empty\nC=a\\nb\\\\nc\nA=dup\n#\nD= # not a comment\n"
        );
    }

    #[test]
    fn line_without_equals_is_exit_2_with_line_number() {
        for (input, line) in [
            (&b"A=1\n  # indented comment\n"[..], 2),
            (b"A=1\n\nB=2\n   \n", 4),
            (b"NOEQUALS", 1),
        ] {
            let err = DotenvStore.load(input).unwrap_err();
            assert_eq!(err.code, Code::CouldNotReadInputFile);
            assert!(
                err.message
                    .starts_with(&format!("invalid dotenv input line {line}:")),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn line_estimate_counts_small_inputs_and_scales_big_ones() {
        assert_eq!(estimated_lines(b""), 1);
        assert_eq!(estimated_lines(b"A=1\nB=2\n"), 3);
        let big = "KEY=value\n".repeat(20_000);
        let lines = big.lines().count();
        let estimate = estimated_lines(big.as_bytes());
        assert!(
            (lines..lines * 5 / 4).contains(&estimate),
            "{estimate} for {lines}"
        );
    }

    #[test]
    fn invalid_utf8_is_exit_2() {
        let err = DotenvStore.load(b"A=1\nB=\xff\n").unwrap_err();
        assert_eq!(err.code, Code::CouldNotReadInputFile);
        assert!(err.message.contains("line 2"));
    }

    #[test]
    fn sops_keys_become_metadata() {
        // A plaintext file with a sops_ key: load reports metadata, so encrypt refuses (203).
        let loaded = DotenvStore.load(b"A=1\nsops_x=1\n").unwrap();
        assert_eq!(
            loaded.metadata,
            Some(vec![Item::Pair("x".into(), Node::str("1"))])
        );
        assert_eq!(loaded.docs[0].len(), 1);
    }

    #[test]
    fn nested_value_is_exit_4_naming_the_key() {
        let doc = vec![Item::Pair(
            "db".into(),
            Node::Map(vec![Item::Pair("h".into(), Node::str("x"))]),
        )];
        let err = DotenvStore.emit(&[doc], None).unwrap_err();
        assert_eq!(err.code, Code::ErrorDumpingTree);
        assert_eq!(
            err.message,
            "cannot use complex value in dotenv file; offending key db"
        );
        let doc = vec![Item::Pair("l".into(), Node::List(vec![]))];
        assert!(DotenvStore.emit(&[doc], None).is_err());
    }

    #[test]
    fn non_string_scalars_print_like_val_to_string() {
        let doc = vec![
            Item::Pair("s".into(), Node::str("str\nline2")),
            Item::Pair("f1".into(), Node::Scalar(Scalar::Float(1.0))),
            Item::Pair("f3".into(), Node::Scalar(Scalar::Float(1e21))),
            Item::Pair("f7".into(), Node::Scalar(Scalar::Float(123456789.0))),
            Item::Pair("i".into(), Node::Scalar(Scalar::Int(42))),
            Item::Pair("b".into(), Node::Scalar(Scalar::Bool(true))),
            Item::Pair("n".into(), Node::Scalar(Scalar::Null)),
            Item::Pair(
                "t".into(),
                Node::Scalar(Scalar::Time("2024-01-02T03:04:05.5Z".into())),
            ),
        ];
        let out = DotenvStore.emit(&[doc], None).unwrap();
        assert_eq!(
            text(&out),
            "s=str\\nline2\nf1=1.0\nf3=1E+21\nf7=1.23456789E+08\ni=42\nb=true\nn=<nil>\n\
             t=2024-01-02T03:04:05Z\n"
        );
    }

    #[test]
    fn keys_that_would_not_read_back_are_refused() {
        for key in ["a=b", "a\nb", "#a"] {
            let doc = vec![Item::Pair(key.into(), Node::str("v"))];
            let err = DotenvStore.emit(&[doc], None).unwrap_err();
            assert_eq!(err.code, Code::ErrorDumpingTree, "{key:?}");
            assert!(err.message.contains(&format!("{key:?}")), "{err}");
        }
        let doc = vec![Item::Pair("a b\r".into(), Node::str("v"))];
        let bytes = DotenvStore.emit(std::slice::from_ref(&doc), None).unwrap();
        assert_eq!(DotenvStore.load(&bytes).unwrap().docs[0], doc);
    }

    #[test]
    fn emit_value_strings_only() {
        assert_eq!(DotenvStore.emit_value(&Node::str("a\nb")).unwrap(), b"a\nb");
        let err = DotenvStore
            .emit_value(&Node::Scalar(Scalar::Float(1.0)))
            .unwrap_err();
        assert_eq!(err.code, Code::ErrorDumpingTree);
        assert_eq!(
            err.message,
            "the dotenv store only supports emitting strings, got float64"
        );
    }

    fn key_strategy() -> impl Strategy<Value = String> {
        "[A-Za-z_ é€\"'#:.-][A-Za-z0-9_ é€\"'#:.\\r-]{0,12}".prop_filter("not metadata", |k| {
            !k.starts_with(SOPS_PREFIX) && !k.starts_with('#')
        })
    }

    fn value_strategy() -> impl Strategy<Value = String> {
        "[A-Za-z0-9 =\"'#\\\\\n\r\t é€😀]{0,20}"
            .prop_filter("no literal \\n", |v| !v.contains("\\n"))
    }

    fn item_strategy() -> impl Strategy<Value = Item> {
        prop_oneof![
            (key_strategy(), value_strategy())
                .prop_map(|(k, v)| Item::Pair(k.into(), Node::str(v))),
            "[^\n]{0,12}".prop_map(|c| Item::Comment(c.into())),
        ]
    }

    /// Printed whole (up to `PRINT_WHOLE_MAX` items) or as written, after a check of its
    /// own: a key or value that cannot be written fails before any output, and what can be
    /// written is the same either way.
    #[test]
    fn a_key_that_cannot_be_written_fails_before_any_output() {
        for len in [PRINT_WHOLE_MAX / 2, PRINT_WHOLE_MAX * 3] {
            let doc: Map = (0..len)
                .map(|i| Item::Pair(format!("K{i}").into(), Node::str("value")))
                .collect();
            let mut out = Vec::new();
            DotenvStore
                .write_over(std::slice::from_ref(&doc), None, None, &mut out)
                .unwrap();
            assert_eq!(
                out,
                DotenvStore.emit(std::slice::from_ref(&doc), None).unwrap()
            );
            for (key, value) in [("A=B", Node::str("x")), ("N", Node::Map(Map::new()))] {
                let mut bad = doc.clone();
                bad.push(Item::Pair(key.into(), value));
                let mut out = Vec::new();
                let err = DotenvStore
                    .write_over(&[bad], None, None, &mut out)
                    .unwrap_err();
                assert_eq!(err.code, Code::ErrorDumpingTree, "{len} {key}");
                assert!(out.is_empty(), "{len} {key}: wrote {} bytes", out.len());
            }
        }
    }

    proptest! {
        #[test]
        fn dotenv_trees_round_trip(doc in prop::collection::vec(item_strategy(), 0..12)) {
            let bytes = DotenvStore.emit(std::slice::from_ref(&doc), None).unwrap();
            let loaded = DotenvStore.load(&bytes).unwrap();
            prop_assert_eq!(&loaded.docs[0], &doc);
            prop_assert_eq!(loaded.metadata, None);
            prop_assert_eq!(&DotenvStore.emit(&loaded.docs, None).unwrap(), &bytes);
            let mut streamed = Vec::new();
            DotenvStore.write_over(&loaded.docs, None, None, &mut streamed).unwrap();
            prop_assert_eq!(streamed, bytes);
        }

        #[test]
        fn random_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(loaded) = DotenvStore.load(&input) {
                let _ = DotenvStore.emit(&loaded.docs, loaded.metadata.as_ref());
            }
        }
    }
}
