//! A fast reader for the block YAML that sops and secret write.
//!
//! libyaml-safer decodes its input one `char` at a time through a buffer, which is most of the
//! cost of loading a big file. Secrets files use a small part of YAML: block mappings and
//! sequences, one-line plain and quoted scalars, block scalars, comments and `---`.
//! This scanner reads that part straight from the bytes and gives the same events, with the
//! same marks, as libyaml-safer. On anything else (flow collections other than `[]` and `{}`,
//! anchors, aliases, tags, multi-line plain or quoted scalars, `?` keys, directives, `...`,
//! tabs between tokens, characters libyaml refuses, and every syntax error) it stops with
//! [`Halt::Unsupported`] and the caller reads the whole input again with libyaml-safer, so odd
//! input and its errors are exactly what they were.

use super::events::{mark, Event, EventSource, Halt};
use libyaml_safer::{Encoding, EventData, MappingStyle, Mark, ScalarStyle, SequenceStyle};
use std::collections::VecDeque;

/// `None`: outside the subset.
type Step<T = ()> = Option<T>;

/// libyaml's limit on how far a key may be from its `:` (it forgets the key after 1024
/// characters); keys near it are left to libyaml.
const MAX_KEY_SPAN: usize = 1000;

/// Where a token starts: byte index, line, column in characters.
#[derive(Clone, Copy, Debug)]
struct Tok {
    pos: usize,
    line: u64,
    col: u64,
}

impl Tok {
    fn mark(self) -> Mark {
        mark(self.pos, self.line, self.col)
    }

    /// The mark one (ASCII) character further on: the end of a `-` or `:` indicator.
    fn next_mark(self) -> Mark {
        mark(self.pos + 1, self.line, self.col + 1)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Map,
    Seq,
    /// A sequence at its key's column (libyaml opens no indentation level for it).
    IndentlessSeq,
}

/// An open block collection.
struct Frame {
    kind: Kind,
    col: u64,
}

enum State {
    Start,
    /// Before a document (or the end of the stream).
    Document {
        first: bool,
    },
    /// Inside a document: the next token continues or closes the open collections.
    Content,
    Done,
}

/// An entry whose value starts on a later line.
#[derive(Clone, Copy)]
enum Awaiting {
    /// After `key:`; the mark is the end of the `:` (where an empty value sits).
    Value(Mark),
    /// After `-`; the mark is the end of the `-`.
    Item(Mark),
}

/// A scanned scalar.
struct Scalar {
    value: String,
    style: ScalarStyle,
    start: Mark,
    end: Mark,
    /// The byte after its last character (or where a plain scalar's scan stopped).
    after: usize,
}

/// The fast event source over a text that is UTF-8 and ends with a line break (or is empty).
pub(super) struct Fast<'a> {
    text: &'a str,
    b: &'a [u8],
    /// Scan position, its line and the byte where that line starts.
    pos: usize,
    line: u64,
    line_start: usize,
    /// A token found but not consumed yet.
    peeked: Option<Tok>,
    awaiting: Option<Awaiting>,
    stack: Vec<Frame>,
    state: State,
    queue: VecDeque<Event>,
}

impl<'a> Fast<'a> {
    /// A scanner of `text`, which must end with a line break unless it is empty.
    pub fn new(text: &'a str) -> Fast<'a> {
        Fast {
            text,
            b: text.as_bytes(),
            pos: 0,
            line: 0,
            line_start: 0,
            peeked: None,
            awaiting: None,
            stack: Vec::new(),
            state: State::Start,
            queue: VecDeque::new(),
        }
    }

    /// The byte at `i`, 0 past the end (the text holds no NUL: `printable` refuses it).
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    /// Whether the byte at `i` is a blank, a line break or the end.
    fn blankz(&self, i: usize) -> bool {
        matches!(self.at(i), b' ' | b'\t' | b'\n' | 0)
    }

    /// Characters between two byte positions of the current line.
    fn chars(&self, from: usize, to: usize) -> u64 {
        let bytes = &self.b[from..to];
        // Mostly ASCII: `is_ascii` checks a word at a time.
        if bytes.is_ascii() {
            return bytes.len() as u64;
        }
        let continuation = bytes.iter().filter(|&&c| c & 0xC0 == 0x80).count();
        (bytes.len() - continuation) as u64
    }

    /// The token at byte `pos` of the current line.
    fn tok(&self, pos: usize) -> Tok {
        Tok {
            pos,
            line: self.line,
            col: self.chars(self.line_start, pos),
        }
    }

    fn is_eof(&self, t: Tok) -> bool {
        t.pos >= self.b.len()
    }

    fn is_dash(&self, t: Tok) -> bool {
        self.at(t.pos) == b'-' && self.blankz(t.pos + 1)
    }

    fn is_doc_start(&self, t: Tok) -> bool {
        t.col == 0 && self.b[t.pos..].starts_with(b"---") && self.blankz(t.pos + 3)
    }

    /// Whether `t` ends the document: the end of the stream or a `---`.
    fn closes(&self, t: Tok) -> bool {
        self.is_eof(t) || self.is_doc_start(t)
    }

    fn emit(&mut self, data: EventData, start: Mark, end: Mark) {
        self.queue.push_back(Event { data, start, end });
    }

    fn emit_scalar(&mut self, s: Scalar) {
        let plain = s.style == ScalarStyle::Plain;
        self.emit(
            EventData::Scalar {
                anchor: None,
                tag: None,
                value: s.value,
                plain_implicit: plain,
                quoted_implicit: !plain,
                style: s.style,
            },
            s.start,
            s.end,
        );
    }

    /// libyaml's empty scalar for a missing value, at `at`.
    fn emit_empty(&mut self, at: Mark) {
        self.emit_scalar(Scalar {
            value: String::new(),
            style: ScalarStyle::Plain,
            start: at,
            end: at,
            after: 0,
        });
    }

    fn open(&mut self, kind: Kind, t: Tok) {
        let data = if kind == Kind::Map {
            EventData::MappingStart {
                anchor: None,
                tag: None,
                implicit: true,
                style: MappingStyle::Block,
            }
        } else {
            EventData::SequenceStart {
                anchor: None,
                tag: None,
                implicit: true,
                style: SequenceStyle::Block,
            }
        };
        // libyaml's indentless sequence starts with its first `-` token, the others with a
        // zero-width indentation token.
        let end = if kind == Kind::IndentlessSeq {
            t.next_mark()
        } else {
            t.mark()
        };
        self.emit(data, t.mark(), end);
        self.stack.push(Frame { kind, col: t.col });
    }

    /// libyaml's indentation column: that of the innermost block collection (-1 for none).
    fn indent(&self) -> i64 {
        self.stack.last().map_or(-1, |f| f.col as i64)
    }

    /// Skips blanks, line breaks and comments to the next token (libyaml's
    /// `scan_to_next_token`); refuses tabs there and what only libyaml reads at a line start.
    fn next_token(&mut self) -> Step<Tok> {
        if let Some(t) = self.peeked.take() {
            return Some(t);
        }
        let mut p = self.pos;
        loop {
            while self.at(p) == b' ' {
                p += 1;
            }
            match self.at(p) {
                b'#' => {
                    p = memchr::memchr(b'\n', &self.b[p..]).map_or(self.b.len(), |e| p + e);
                    continue;
                }
                b'\n' => {
                    p += 1;
                    self.line += 1;
                    self.line_start = p;
                    continue;
                }
                b'\t' => return None,
                _ => {}
            }
            break;
        }
        self.pos = p;
        if p == self.line_start
            && (self.at(p) == b'%' || self.b[p..].starts_with(b"...") && self.blankz(p + 3))
        {
            return None;
        }
        Some(self.tok(p))
    }

    /// Skips spaces from `p`; the end of the line (or a comment) must follow.
    fn line_ends(&mut self, mut p: usize) -> Step {
        while self.at(p) == b' ' {
            p += 1;
        }
        self.pos = p;
        matches!(self.at(p), b'\n' | b'#' | 0).then_some(())
    }

    fn step(&mut self) -> Step {
        match self.state {
            State::Start => {
                if !printable(self.b) {
                    return None;
                }
                let at = mark(0, 0, 0);
                self.emit(
                    EventData::StreamStart {
                        encoding: Encoding::Utf8,
                    },
                    at,
                    at,
                );
                self.state = State::Document { first: true };
            }
            State::Document { first } => {
                let t = self.next_token()?;
                if self.is_eof(t) {
                    self.emit(EventData::StreamEnd, t.mark(), t.mark());
                    self.state = State::Done;
                } else if self.is_doc_start(t) {
                    self.explicit_document(t)?;
                } else if first {
                    self.emit(document_start(true), t.mark(), t.mark());
                    self.root(t)?;
                } else {
                    return None;
                }
            }
            State::Content => {
                let t = self.next_token()?;
                match self.awaiting.take() {
                    Some(a) => self.later_line(t, a)?,
                    None => self.continue_at(t)?,
                }
            }
            State::Done => return None,
        }
        Some(())
    }

    /// A document that starts with `---` at `t`.
    fn explicit_document(&mut self, t: Tok) -> Step {
        let end = mark(t.pos + 3, t.line, 3);
        self.emit(document_start(false), t.mark(), end);
        self.line_ends(t.pos + 3)?;
        let next = self.next_token()?;
        if self.closes(next) {
            // An empty document: libyaml's empty scalar, then its end.
            self.emit_empty(next.mark());
            self.end_document(next);
            Some(())
        } else {
            self.root(next)
        }
    }

    /// The document ends (implicitly) before `t`, the next document's `---` or the end.
    fn end_document(&mut self, t: Tok) {
        self.emit(
            EventData::DocumentEnd { implicit: true },
            t.mark(),
            t.mark(),
        );
        self.peeked = Some(t);
        self.state = State::Document { first: false };
    }

    /// A document's root node, which must be a block mapping (the loader refuses others).
    fn root(&mut self, t: Tok) -> Step {
        if self.is_dash(t) {
            return None;
        }
        self.state = State::Content;
        self.mapping_at(t)
    }

    /// The token after the innermost open entry ended (or its value on a later line).
    fn continue_at(&mut self, t: Tok) -> Step {
        loop {
            let Some(top) = self.stack.last() else {
                // The root is complete: only the document's end may follow.
                if !self.closes(t) {
                    return None;
                }
                self.end_document(t);
                return Some(());
            };
            let (kind, col) = (top.kind, top.col);
            let ends = self.closes(t) || t.col < col;
            let data = match kind {
                Kind::Map if !ends => {
                    return if t.col == col {
                        self.map_entry(t)
                    } else {
                        None
                    }
                }
                Kind::Map => EventData::MappingEnd,
                Kind::Seq | Kind::IndentlessSeq if !ends && t.col == col && self.is_dash(t) => {
                    return self.seq_entry(t)
                }
                // An indentless sequence ends at its mapping's next key.
                Kind::Seq | Kind::IndentlessSeq
                    if ends || (kind == Kind::IndentlessSeq && t.col == col) =>
                {
                    EventData::SequenceEnd
                }
                _ => return None,
            };
            self.emit(data, t.mark(), t.mark());
            self.stack.pop();
        }
    }

    /// The token `t` after an entry whose value was not on its line.
    fn later_line(&mut self, t: Tok, awaiting: Awaiting) -> Step {
        let top = self.stack.last()?;
        let (kind, col) = (top.kind, top.col);
        let (empty_at, deeper) = match awaiting {
            Awaiting::Value(at) => {
                if !self.closes(t) && t.col == col && self.is_dash(t) {
                    // A sequence at its key's column.
                    self.open(Kind::IndentlessSeq, t);
                    return self.seq_entry(t);
                }
                (at, t.col > col)
            }
            Awaiting::Item(at) => {
                if !self.closes(t) && t.col == col && kind == Kind::Seq && !self.is_dash(t) {
                    return None;
                }
                (at, t.col > col)
            }
        };
        if self.closes(t) || !deeper {
            self.emit_empty(empty_at);
            self.peeked = Some(t);
            return Some(());
        }
        if self.is_dash(t) {
            self.open(Kind::Seq, t);
            self.seq_entry(t)
        } else {
            self.mapping_at(t)
        }
    }

    /// Opens a block mapping whose first key is at `t`.
    fn mapping_at(&mut self, t: Tok) -> Step {
        let (key, colon) = self.key(t)?;
        self.open(Kind::Map, t);
        self.emit_scalar(key);
        self.value(colon)
    }

    /// An entry of the innermost mapping, its key at `t`.
    fn map_entry(&mut self, t: Tok) -> Step {
        let (key, colon) = self.key(t)?;
        self.emit_scalar(key);
        self.value(colon)
    }

    /// A key at `t` and the position of its `:`.
    fn key(&mut self, t: Tok) -> Step<(Scalar, usize)> {
        let s = self.scalar_at(t)?;
        let colon = self.colon_after(s.after)?;
        (colon - t.pos <= MAX_KEY_SPAN).then_some((s, colon))
    }

    /// The `:` value indicator after a scalar ending at `p`, if one follows.
    fn colon_after(&self, mut p: usize) -> Option<usize> {
        while self.at(p) == b' ' {
            p += 1;
        }
        (self.at(p) == b':' && self.blankz(p + 1)).then_some(p)
    }

    /// The value after the `:` at `colon`.
    fn value(&mut self, colon: usize) -> Step {
        let colon_end = self.tok(colon).next_mark();
        let mut p = colon + 1;
        while self.at(p) == b' ' {
            p += 1;
        }
        match self.at(p) {
            b'\n' | b'#' | 0 => {
                self.pos = p;
                self.awaiting = Some(Awaiting::Value(colon_end));
                Some(())
            }
            _ => self.node_on_line(self.tok(p), false),
        }
    }

    /// An entry of the innermost sequence, its `-` at `t`.
    fn seq_entry(&mut self, mut t: Tok) -> Step {
        loop {
            let mut p = t.pos + 1;
            while self.at(p) == b' ' {
                p += 1;
            }
            match self.at(p) {
                b'\n' | b'#' | 0 => {
                    self.pos = p;
                    self.awaiting = Some(Awaiting::Item(t.next_mark()));
                    return Some(());
                }
                _ => {}
            }
            let item = self.tok(p);
            if !self.is_dash(item) {
                return self.node_on_line(item, true);
            }
            // `- - x`: a sequence in the item.
            self.open(Kind::Seq, item);
            t = item;
        }
    }

    /// A value on the line of its `key:` or `-` at `t`: a block scalar, an empty flow
    /// collection, a scalar, or (for a sequence item, `may_be_key`) the first key of a
    /// mapping.
    fn node_on_line(&mut self, t: Tok, may_be_key: bool) -> Step {
        match (self.at(t.pos), self.at(t.pos + 1)) {
            (b'|', _) => return self.block_scalar(t.pos, true),
            (b'>', _) => return self.block_scalar(t.pos, false),
            (b'[', b']') => return self.empty_flow(t, false),
            (b'{', b'}') => return self.empty_flow(t, true),
            _ => {}
        }
        let s = self.scalar_at(t)?;
        match self.colon_after(s.after) {
            Some(colon) if may_be_key && colon - t.pos <= MAX_KEY_SPAN => {
                self.open(Kind::Map, t);
                self.emit_scalar(s);
                self.value(colon)
            }
            Some(_) => None,
            None => {
                self.line_ends(s.after)?;
                self.emit_scalar(s);
                Some(())
            }
        }
    }

    /// `[]` or `{}` at `t` (sops writes `hc_vault: []` in key groups).
    fn empty_flow(&mut self, t: Tok, map: bool) -> Step {
        let (open, close) = if map {
            (
                EventData::MappingStart {
                    anchor: None,
                    tag: None,
                    implicit: true,
                    style: MappingStyle::Flow,
                },
                EventData::MappingEnd,
            )
        } else {
            (
                EventData::SequenceStart {
                    anchor: None,
                    tag: None,
                    implicit: true,
                    style: SequenceStyle::Flow,
                },
                EventData::SequenceEnd,
            )
        };
        self.line_ends(t.pos + 2)?;
        let close_at = mark(t.pos + 1, t.line, t.col + 1);
        self.emit(open, t.mark(), close_at);
        self.emit(close, close_at, mark(t.pos + 2, t.line, t.col + 2));
        Some(())
    }

    /// A one-line plain, single- or double-quoted scalar at `t`.
    fn scalar_at(&mut self, t: Tok) -> Step<Scalar> {
        match self.at(t.pos) {
            b'\'' => self.single_quoted(t),
            b'"' => self.double_quoted(t),
            b'-' | b'?' | b':' if !self.blankz(t.pos + 1) => Some(self.plain(t)),
            b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!'
            | b'|' | b'>' | b'%' | b'@' | b'`' | b' ' | b'\t' | b'\n' | 0 => None,
            _ => Some(self.plain(t)),
        }
    }

    /// A plain scalar on one line: runs of characters separated by blanks, up to the line's
    /// end, a `#` after a blank, or a `:` before a blank.
    fn plain(&mut self, t: Tok) -> Scalar {
        let eol = memchr::memchr(b'\n', &self.b[t.pos..]).map_or(self.b.len(), |e| t.pos + e);
        // `p` is inside a run; `end` is where the last run ended, `after` where the scan stops.
        let mut p = t.pos;
        let (end, after) = loop {
            let Some(i) = memchr::memchr3(b' ', b'\t', b':', &self.b[p..eol]) else {
                break (eol, eol);
            };
            let stop = p + i;
            if self.b[stop] == b':' {
                if self.blankz(stop + 1) {
                    break (stop, stop);
                }
                p = stop + 1;
                continue;
            }
            let mut q = stop;
            while matches!(self.at(q), b' ' | b'\t') {
                q += 1;
            }
            match self.at(q) {
                b'\n' | b'#' | 0 => break (stop, q),
                b':' if self.blankz(q + 1) => break (stop, q),
                _ => p = q,
            }
        };
        Scalar {
            value: self.text[t.pos..end].to_owned(),
            style: ScalarStyle::Plain,
            start: t.mark(),
            end: mark(end, t.line, t.col + self.chars(t.pos, end)),
            after,
        }
    }

    /// A single-quoted scalar that ends on its line (`''` is a quote).
    fn single_quoted(&mut self, t: Tok) -> Step<Scalar> {
        let mut value = String::new();
        let mut p = t.pos + 1;
        loop {
            let q = p + memchr::memchr2(b'\'', b'\n', &self.b[p..])?;
            value.push_str(&self.text[p..q]);
            if self.b[q] == b'\n' {
                return None;
            }
            if self.at(q + 1) != b'\'' {
                return Some(self.quoted(t, value, q + 1, ScalarStyle::SingleQuoted));
            }
            value.push('\'');
            p = q + 2;
        }
    }

    /// A double-quoted scalar that ends on its line, escapes decoded as libyaml does.
    fn double_quoted(&mut self, t: Tok) -> Step<Scalar> {
        let mut value = String::new();
        let mut p = t.pos + 1;
        loop {
            let q = p + memchr::memchr3(b'"', b'\\', b'\n', &self.b[p..])?;
            value.push_str(&self.text[p..q]);
            match self.b[q] {
                b'"' => return Some(self.quoted(t, value, q + 1, ScalarStyle::DoubleQuoted)),
                b'\n' => return None,
                _ => p = self.escape(q + 1, &mut value)?,
            }
        }
    }

    /// Decodes the escape after the `\` at `p - 1`; returns where the text goes on.
    fn escape(&self, p: usize, value: &mut String) -> Step<usize> {
        let c = match self.at(p) {
            b'0' => '\0',
            b'a' => '\x07',
            b'b' => '\x08',
            b't' | b'\t' => '\t',
            b'n' => '\n',
            b'v' => '\x0B',
            b'f' => '\x0C',
            b'r' => '\r',
            b'e' => '\x1B',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{A0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' | b'u' | b'U' => {
                let len = match self.at(p) {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let digits = self.b.get(p + 1..p + 1 + len)?;
                let mut code = 0u32;
                for &d in digits {
                    code = (code << 4) + (d as char).to_digit(16)?;
                }
                value.push(char::from_u32(code)?);
                return Some(p + 1 + len);
            }
            _ => return None,
        };
        value.push(c);
        Some(p + 1)
    }

    /// A quoted scalar of `value` at `t` whose closing quote ends at `after`.
    fn quoted(&self, t: Tok, value: String, after: usize, style: ScalarStyle) -> Scalar {
        Scalar {
            value,
            style,
            start: t.mark(),
            end: mark(after, t.line, t.col + self.chars(t.pos, after)),
            after,
        }
    }

    /// A literal (`|`) or folded (`>`) block scalar whose indicator is at `p`, read as
    /// libyaml's `scan_block_scalar`.
    fn block_scalar(&mut self, p: usize, literal: bool) -> Step {
        let t = self.tok(p);
        let parent = self.indent();
        let mut p = p + 1;
        let (mut chomping, mut increment) = (0i8, 0i64);
        for _ in 0..2 {
            match self.at(p) {
                b'+' if chomping == 0 => chomping = 1,
                b'-' if chomping == 0 => chomping = -1,
                d @ b'1'..=b'9' if increment == 0 => increment = i64::from(d - b'0'),
                _ => break,
            }
            p += 1;
        }
        self.line_ends(p)?;
        p = memchr::memchr(b'\n', &self.b[self.pos..]).map_or(self.b.len(), |e| self.pos + e);
        if p < self.b.len() {
            p += 1;
            self.line += 1;
            self.line_start = p;
        }
        self.pos = p;
        let mut indent = match increment {
            0 => 0,
            n if parent >= 0 => parent + n,
            n => n,
        };
        let mut value = String::new();
        let mut leading_break = false;
        // Whether the previous content line started with a blank (folding keeps its break).
        let mut leading_blank = false;
        let mut trailing = 0usize;
        let mut end = self.breaks(&mut indent, parent, &mut trailing)?;
        while (self.pos - self.line_start) as i64 == indent && self.pos < self.b.len() {
            let blank = matches!(self.at(self.pos), b' ' | b'\t');
            if !literal && leading_break && !leading_blank && !blank {
                // Folded: a single break between two lines of text is a space.
                if trailing == 0 {
                    value.push(' ');
                }
            } else if leading_break {
                value.push('\n');
            }
            leading_blank = blank;
            push_breaks(&mut value, trailing);
            trailing = 0;
            let start = self.pos;
            let eol = memchr::memchr(b'\n', &self.b[start..]).map_or(self.b.len(), |e| start + e);
            value.push_str(&self.text[start..eol]);
            leading_break = eol < self.b.len();
            self.pos = if leading_break { eol + 1 } else { eol };
            if leading_break {
                self.line += 1;
                self.line_start = self.pos;
            }
            end = self.breaks(&mut indent, parent, &mut trailing)?;
        }
        if chomping != -1 && leading_break {
            value.push('\n');
        }
        if chomping == 1 {
            push_breaks(&mut value, trailing);
        }
        self.emit_scalar(Scalar {
            value,
            style: if literal {
                ScalarStyle::Literal
            } else {
                ScalarStyle::Folded
            },
            start: t.mark(),
            end,
            after: self.pos,
        });
        Some(())
    }

    /// libyaml's `scan_block_scalar_breaks`: skips indentation and empty lines (counted in
    /// `trailing`), settles an undetermined `indent`; returns the scalar's end so far.
    fn breaks(&mut self, indent: &mut i64, parent: i64, trailing: &mut usize) -> Step<Mark> {
        let mut max_indent = 0i64;
        let mut end = mark(self.pos, self.line, 0);
        loop {
            let col = |s: &Self| (s.pos - s.line_start) as i64;
            while (*indent == 0 || col(self) < *indent) && self.at(self.pos) == b' ' {
                self.pos += 1;
            }
            max_indent = max_indent.max(col(self));
            if (*indent == 0 || col(self) < *indent) && self.at(self.pos) == b'\t' {
                return None;
            }
            if self.at(self.pos) != b'\n' {
                break;
            }
            *trailing += 1;
            self.pos += 1;
            self.line += 1;
            self.line_start = self.pos;
            end = mark(self.pos, self.line, 0);
        }
        if *indent == 0 {
            *indent = max_indent.max(parent + 1).max(1);
        }
        Some(end)
    }
}

impl EventSource for Fast<'_> {
    fn next_event(&mut self) -> Result<Event, Halt> {
        loop {
            if let Some(ev) = self.queue.pop_front() {
                return Ok(ev);
            }
            crate::input::passed(self.b, self.pos);
            self.step().ok_or(Halt::Unsupported)?;
        }
    }
}

fn document_start(implicit: bool) -> EventData {
    EventData::DocumentStart {
        version_directive: None,
        tag_directives: Vec::new(),
        implicit,
    }
}

fn push_breaks(value: &mut String, n: usize) {
    value.extend(std::iter::repeat_n('\n', n));
}

/// Whether every character of `b` (UTF-8) is one libyaml reads as printable, with no line
/// break but LF and no byte order mark: the characters the scanner may meet.
fn printable(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i < b.len() {
        if let Some(chunk) = b.get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            // No byte below 0x20, none at 0x7F or above: plain ASCII, skip it whole.
            let below_space = w.wrapping_sub(ONES * 0x20) & !w;
            let del_or_high = w | w.wrapping_add(ONES);
            if (below_space | del_or_high) & HIGH == 0 {
                i += 8;
                continue;
            }
        }
        let next = |k: usize| b.get(i + k).copied().unwrap_or(0);
        i += match b[i] {
            b'\n' | b'\t' | 0x20..=0x7E => 1,
            // C1 controls and NEL (a line break to libyaml).
            0xC2 if (0x80..=0x9F).contains(&next(1)) => return false,
            // LS and PS (line breaks to libyaml).
            0xE2 if next(1) == 0x80 && matches!(next(2), 0xA8 | 0xA9) => return false,
            // U+FEFF (a byte order mark), U+FFFE, U+FFFF.
            0xEF if (next(1), next(2)) == (0xBB, 0xBF)
                || next(1) == 0xBF && matches!(next(2), 0xBE | 0xBF) =>
            {
                return false
            }
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            // Other controls, DEL, CR.
            _ => return false,
        };
    }
    true
}

#[cfg(test)]
mod tests;
