//! JSON text exactly as sops prints it: Go's `json.Marshal` escaping (HTML-safe, U+2028/2029
//! escaped, invalid UTF-8 → `\ufffd`), laid out as `json.Indent` lays out sops' compact text.
//!
//! Comments (JSON has none; trees converted from YAML may carry them) are skipped, as sops'
//! encoder skips them. The writer is iterative, so deep trees cost heap, not call stack.

use super::words::plain_chunks;
use crate::format::seal::LeafSeal;
use crate::numfmt;
use crate::tree::{Item, Map, Node, Scalar};

/// Which bytes of ASCII need an escape (Go's `htmlSafeSet`, inverted).
const fn needs_escape() -> [bool; 128] {
    let mut t = [false; 128];
    let mut c = 0;
    while c < 0x20 {
        t[c] = true;
        c += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'&' as usize] = true;
    t
}

static ESCAPE: [bool; 128] = needs_escape();
const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` as a JSON string literal, escaped as Go's `json.Marshal` escapes it.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    write_str_body(out, s);
    out.push(b'"');
}

/// The escaped text of `s`, without the quotes.
fn write_str_body(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        i += plain_chunks(&b[i..], *b"\"\\<>&");
        // Byte by byte through the chunk that stopped the skip.
        let chunk_end = (i + 32).min(b.len());
        while i < chunk_end {
            let c = b[i];
            if c < 0x80 {
                if !ESCAPE[c as usize] {
                    i += 1;
                    continue;
                }
                out.extend_from_slice(&b[start..i]);
                match c {
                    b'"' => out.extend_from_slice(b"\\\""),
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    0x08 => out.extend_from_slice(b"\\b"),
                    0x0C => out.extend_from_slice(b"\\f"),
                    _ => {
                        out.extend_from_slice(b"\\u00");
                        out.push(HEX[(c >> 4) as usize]);
                        out.push(HEX[(c & 0xF) as usize]);
                    }
                }
                i += 1;
                start = i;
            } else if c == 0xE2
                && b.get(i + 1) == Some(&0x80)
                && matches!(b.get(i + 2), Some(0xA8 | 0xA9))
            {
                // U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR.
                out.extend_from_slice(&b[start..i]);
                out.extend_from_slice(if b[i + 2] == 0xA8 {
                    b"\\u2028"
                } else {
                    b"\\u2029"
                });
                i += 3;
                start = i;
            } else {
                i += 1;
            }
        }
    }
    out.extend_from_slice(&b[start..]);
}

/// Appends raw bytes as a JSON string, as Go encodes a `string` holding them: each byte that
/// does not start a valid UTF-8 sequence becomes `\ufffd`.
pub fn write_bytes(out: &mut Vec<u8>, mut b: &[u8]) {
    out.push(b'"');
    loop {
        match std::str::from_utf8(b) {
            Ok(s) => {
                write_str_body(out, s);
                break;
            }
            Err(e) => {
                let valid = e.valid_up_to();
                // The prefix was just validated.
                write_str_body(out, std::str::from_utf8(&b[..valid]).unwrap_or_default());
                out.extend_from_slice(b"\\ufffd");
                b = &b[valid + 1..];
            }
        }
    }
    out.push(b'"');
}

/// Why a value could not be written: the message and the path to the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmitFail {
    pub path: String,
    pub cause: String,
}

enum Frame<'a> {
    Map {
        items: std::slice::Iter<'a, Item>,
        any: bool,
        key: &'a str,
        /// The `sops` block, written after the last item (top level only).
        extra: Option<&'a Map>,
        /// This is the `sops` block (never sealed).
        metadata: bool,
    },
    List {
        items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
        any: bool,
        index: usize,
    },
}

enum Target<'a> {
    Node(&'a Node),
    /// The `sops` block.
    Metadata(&'a Map),
    /// A list comment that was encrypted: a string element.
    Sealed(String),
}

enum Step<'a> {
    /// A map entry: whether a comma comes first, the key, the value.
    Pair(bool, &'a str, Target<'a>),
    /// A list element: whether a comma comes first, the value.
    Elem(bool, Target<'a>),
    /// The end of a container: whether it had entries, the closing bracket.
    Close(bool, u8),
}

struct Writer<'a, 'w> {
    out: Vec<u8>,
    unit: &'a [u8],
    stack: Vec<Frame<'a>>,
    /// Where the text goes in chunks as it is made; `None` keeps all of it in `out`.
    sink: Option<&'w mut dyn std::io::Write>,
    /// The sink's error, which stopped the writing.
    sink_error: Option<std::io::Error>,
    /// Gives the text of each leaf as it is written (encryption), if any.
    seal: Option<&'w mut dyn LeafSeal>,
    /// The sealer while the `sops` block is written.
    parked: Option<&'w mut dyn LeafSeal>,
}

/// Text made before it goes to the writer.
const OUT_CHUNK: usize = if cfg!(test) { 5 } else { 64 * 1024 };

impl<'a, 'w> Writer<'a, 'w> {
    fn new(unit: &'a [u8], out: Vec<u8>, sink: Option<&'w mut dyn std::io::Write>) -> Self {
        Writer {
            out,
            unit,
            stack: Vec::new(),
            sink,
            sink_error: None,
            seal: None,
            parked: None,
        }
    }

    /// Tells the sealer, if any, where the writing is.
    fn tell(&mut self, f: impl FnOnce(&mut (dyn LeafSeal + 'w))) {
        if let Some(seal) = self.seal.as_deref_mut() {
            f(seal);
        }
    }

    /// Tells the sealer that the value of the innermost open container's entry is done.
    fn leave(&mut self) {
        match self.stack.last() {
            Some(Frame::Map { .. }) => self.tell(|seal| seal.leave_key()),
            Some(Frame::List { .. }) => self.tell(|seal| seal.leave_index()),
            None => {}
        }
    }

    /// A string value: long ones go to the sink in chunks.
    fn string(&mut self, s: &str) -> Result<(), EmitFail> {
        if self.sink.is_some() && s.len() > OUT_CHUNK {
            self.long_str(s)
        } else {
            write_str(&mut self.out, s);
            Ok(())
        }
    }

    fn newline(&mut self, depth: usize) {
        self.out.push(b'\n');
        for _ in 0..depth {
            self.out.extend_from_slice(self.unit);
        }
    }

    fn path(&self) -> String {
        let mut p = String::new();
        for f in &self.stack {
            match f {
                Frame::Map { key, .. } => {
                    if !p.is_empty() {
                        p.push('.');
                    }
                    p.push_str(key);
                }
                Frame::List { index, .. } => {
                    p.push('[');
                    p.push_str(&index.to_string());
                    p.push(']');
                }
            }
        }
        p
    }

    /// Hands the text made so far to the sink once there is at least `chunk` of it.
    fn flush(&mut self, chunk: usize) -> Result<(), EmitFail> {
        if let Some(sink) = self.sink.as_mut() {
            if self.out.len() >= chunk {
                if let Err(e) = sink.write_all(&self.out) {
                    let cause = e.to_string();
                    self.sink_error = Some(e);
                    return Err(EmitFail {
                        path: self.path(),
                        cause,
                    });
                }
                self.out.clear();
            }
        }
        Ok(())
    }

    /// A string longer than a chunk (a binary file's data), written to the sink a chunk at
    /// a time rather than escaped whole into the buffer first.
    fn long_str(&mut self, s: &str) -> Result<(), EmitFail> {
        self.out.push(b'"');
        let mut rest = s;
        while !rest.is_empty() {
            let mut end = OUT_CHUNK.min(rest.len());
            while !rest.is_char_boundary(end) {
                end += 1;
            }
            write_str_body(&mut self.out, &rest[..end]);
            rest = &rest[end..];
            self.flush(OUT_CHUNK)?;
        }
        self.out.push(b'"');
        Ok(())
    }

    fn scalar(&mut self, s: &Scalar) -> Result<(), EmitFail> {
        match s {
            Scalar::Str(s) => self.string(s)?,
            Scalar::Time(s) => write_str(&mut self.out, s),
            Scalar::Bytes(b) => write_bytes(&mut self.out, b),
            Scalar::Int(i) => self.out.extend_from_slice(i.to_string().as_bytes()),
            Scalar::Float(f) => match numfmt::json_float(*f) {
                Some(t) => self.out.extend_from_slice(t.as_bytes()),
                None => {
                    return Err(EmitFail {
                        path: self.path(),
                        cause: format!(
                            "unsupported value {}: JSON has no infinities or NaN",
                            numfmt::go_f(*f)
                        ),
                    })
                }
            },
            Scalar::Bool(true) => self.out.extend_from_slice(b"true"),
            Scalar::Bool(false) => self.out.extend_from_slice(b"false"),
            Scalar::Null => self.out.extend_from_slice(b"null"),
        }
        Ok(())
    }

    fn open_map(&mut self, m: &'a Map, extra: Option<&'a Map>, metadata: bool) {
        self.tell(|seal| seal.open());
        self.out.push(b'{');
        self.stack.push(Frame::Map {
            items: m.iter(),
            any: false,
            key: "",
            extra,
            metadata,
        });
    }

    /// Starts a value: scalars are written whole, containers are opened.
    fn value(&mut self, v: Target<'a>) -> Result<(), EmitFail> {
        let v = match v {
            Target::Node(v) => v,
            Target::Metadata(m) => {
                // The `sops` block is written as it is.
                self.parked = self.seal.take();
                self.open_map(m, None, true);
                return Ok(());
            }
            Target::Sealed(text) => {
                self.string(&text)?;
                return Ok(());
            }
        };
        match v {
            Node::Map(m) => {
                self.open_map(m, None, false);
                return Ok(());
            }
            Node::List(l) => {
                self.tell(|seal| seal.open());
                self.out.push(b'[');
                self.stack.push(Frame::List {
                    items: l.iter().enumerate(),
                    any: false,
                    index: 0,
                });
                return Ok(());
            }
            Node::Scalar(s) => match self.seal.as_deref_mut().and_then(|seal| seal.scalar(s)) {
                Some(sealed) => self.string(&sealed)?,
                None => self.scalar(s)?,
            },
            // A lone comment value: Go marshals sops' `Comment` struct.
            Node::Comment(c) => match self.seal.as_deref_mut().and_then(|seal| seal.comment(c)) {
                Some(sealed) if !sealed.is_empty() => self.string(&sealed)?,
                sealed => self.comment_value(sealed.as_deref().unwrap_or(c)),
            },
        }
        self.leave();
        Ok(())
    }

    fn comment_value(&mut self, c: &str) {
        let depth = self.stack.len();
        self.out.push(b'{');
        self.newline(depth + 1);
        self.out.extend_from_slice(b"\"Value\": ");
        write_str(&mut self.out, c);
        self.newline(depth);
        self.out.push(b'}');
    }

    /// Writes until every open container is closed.
    fn run(&mut self) -> Result<(), EmitFail> {
        loop {
            self.flush(OUT_CHUNK)?;
            let depth = self.stack.len();
            let seal = &mut self.seal;
            let step = match self.stack.last_mut() {
                None => return Ok(()),
                Some(Frame::Map {
                    items,
                    any,
                    key,
                    extra,
                    ..
                }) => {
                    let next = items
                        .find_map(|it| match it {
                            Item::Pair(k, v) => Some((k.as_str(), Target::Node(v))),
                            Item::Comment(c) => {
                                // Not written, but a comment selector counts it.
                                if let Some(seal) = seal.as_deref_mut() {
                                    seal.comment(c);
                                }
                                None
                            }
                        })
                        .or_else(|| extra.take().map(|m| ("sops", Target::Metadata(m))));
                    match next {
                        Some((k, v)) => {
                            let comma = std::mem::replace(any, true);
                            *key = k;
                            Step::Pair(comma, k, v)
                        }
                        None => Step::Close(*any, b'}'),
                    }
                }
                Some(Frame::List { items, any, index }) => {
                    // Comments are skipped, unless they were encrypted (then an element).
                    let next = items.find_map(|(i, n)| match n {
                        Node::Comment(c) => match seal.as_deref_mut()?.comment(c) {
                            Some(sealed) if !sealed.is_empty() => Some((i, Target::Sealed(sealed))),
                            _ => None,
                        },
                        _ => Some((i, Target::Node(n))),
                    });
                    match next {
                        Some((i, v)) => {
                            *index = i;
                            Step::Elem(std::mem::replace(any, true), v)
                        }
                        None => Step::Close(*any, b']'),
                    }
                }
            };
            match step {
                Step::Pair(comma, k, v) => {
                    if comma {
                        self.out.push(b',');
                    }
                    self.newline(depth);
                    write_str(&mut self.out, k);
                    self.out.extend_from_slice(b": ");
                    if let Target::Node(_) = v {
                        self.tell(|seal| seal.enter_key(k));
                    }
                    self.value(v)?;
                }
                Step::Elem(comma, v) => {
                    if comma {
                        self.out.push(b',');
                    }
                    self.newline(depth);
                    if let (Target::Node(_), Some(Frame::List { index, .. })) =
                        (&v, self.stack.last())
                    {
                        let index = *index;
                        self.tell(|seal| seal.enter_index(index));
                    }
                    self.value(v)?;
                }
                Step::Close(any, bracket) => {
                    let closed = self.stack.pop();
                    if any {
                        self.newline(depth - 1);
                    }
                    self.out.push(bracket);
                    self.tell(|seal| seal.close());
                    if let Some(Frame::Map { metadata: true, .. }) = closed {
                        self.seal = self.parked.take();
                    } else {
                        self.leave();
                    }
                }
            }
        }
    }
}

/// A rough size of the output, to allocate it once.
fn estimate(doc: &Map, unit: usize) -> usize {
    let mut total = 16;
    let mut stack: Vec<(&Node, usize)> = Vec::new();
    for item in doc {
        if let Item::Pair(k, v) = item {
            total += k.len() + 6 + unit;
            stack.push((v, 1));
        }
    }
    while let Some((node, depth)) = stack.pop() {
        match node {
            Node::Map(m) => {
                total += 4 + depth * unit;
                for item in m {
                    if let Item::Pair(k, v) = item {
                        total += k.len() + 6 + (depth + 1) * unit;
                        stack.push((v, depth + 1));
                    }
                }
            }
            Node::List(l) => {
                total += 4 + depth * unit;
                for v in l {
                    total += 2 + (depth + 1) * unit;
                    stack.push((v, depth + 1));
                }
            }
            Node::Scalar(Scalar::Str(s) | Scalar::Time(s)) => total += s.len() + 2,
            Node::Scalar(Scalar::Bytes(b)) => total += b.len() + 2,
            Node::Scalar(_) | Node::Comment(_) => total += 24,
        }
    }
    total
}

fn indent_unit(indent: Option<usize>) -> Vec<u8> {
    match indent {
        None => b"\t".to_vec(),
        Some(n) => vec![b' '; n],
    }
}

/// Writes a document (and, when given, the `sops` block as its last key) as sops writes a JSON
/// file: indented, without the final newline.
pub fn document(
    doc: &Map,
    metadata: Option<&Map>,
    indent: Option<usize>,
) -> Result<Vec<u8>, EmitFail> {
    whole(doc, metadata, indent, None)
}

/// [`document`], each leaf written as `seal` gives it, if given.
fn whole(
    doc: &Map,
    metadata: Option<&Map>,
    indent: Option<usize>,
    seal: Option<&mut dyn LeafSeal>,
) -> Result<Vec<u8>, EmitFail> {
    let unit = indent_unit(indent);
    let size = estimate(doc, unit.len()) + metadata.map_or(0, |m| estimate(m, unit.len()) + 16);
    let mut w = Writer::new(&unit, Vec::with_capacity(size), None);
    if let Some(seal) = seal {
        w.seal = Some(seal);
    }
    w.open_map(doc, metadata, false);
    w.run()?;
    Ok(w.out)
}

/// [`document`] with a final newline, written to `sink` in chunks as it is made, each leaf
/// written as `seal` gives it, if given. A document that cannot be written (a float JSON
/// has no word for) fails before anything is written.
pub fn document_to(
    doc: &Map,
    metadata: Option<&Map>,
    indent: Option<usize>,
    sink: &mut dyn std::io::Write,
    seal: Option<&mut dyn LeafSeal>,
) -> Result<std::io::Result<()>, EmitFail> {
    if !writable(doc) || !metadata.is_none_or(writable) {
        // Made whole, so that the failure comes before any output (a sealed value may be
        // one such float, now a string).
        let mut text = whole(doc, metadata, indent, seal)?;
        text.push(b'\n');
        return Ok(sink.write_all(&text));
    }
    let unit = indent_unit(indent);
    let mut w = Writer::new(
        &unit,
        Vec::with_capacity(OUT_CHUNK + 1024),
        Some(&mut *sink),
    );
    if let Some(seal) = seal {
        w.seal = Some(seal);
    }
    w.open_map(doc, metadata, false);
    let run = w.run();
    if let Some(e) = w.sink_error.take() {
        return Ok(Err(e));
    }
    run?;
    let mut rest = w.out;
    rest.push(b'\n');
    Ok(sink.write_all(&rest))
}

/// Whether every value of `map` can be written (JSON has no infinities or NaN).
fn writable(map: &Map) -> bool {
    fn node(n: &Node) -> bool {
        match n {
            Node::Map(m) => writable(m),
            Node::List(l) => l.iter().all(node),
            Node::Scalar(Scalar::Float(f)) => f.is_finite(),
            Node::Scalar(_) | Node::Comment(_) => true,
        }
    }
    map.iter().all(|item| match item {
        Item::Pair(_, v) => node(v),
        Item::Comment(_) => true,
    })
}

/// Writes one value as sops' JSON `EmitValue` does: indented, no final newline.
pub fn value(v: &Node, indent: Option<usize>) -> Result<Vec<u8>, EmitFail> {
    let unit = indent_unit(indent);
    let mut w = Writer::new(&unit, Vec::with_capacity(64), None);
    w.value(Target::Node(v))?;
    w.run()?;
    Ok(w.out)
}
