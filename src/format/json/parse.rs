//! An order-preserving JSON reader that accepts what Go's `encoding/json` accepts and decodes
//! values the way sops 3.13 sees them: an integer that fits `i64` stays an exact integer,
//! every other number is an `f64` (sops ≤ 3.12 made every number an `f64`, so integers above
//! 2^53 changed); strings are coerced to valid UTF-8 (each invalid byte and each unpaired
//! surrogate escape becomes U+FFFD).
//!
//! The reader is iterative (an explicit stack), so deep nesting costs heap, not call stack;
//! nesting deeper than [`MAX_DEPTH`] is refused as Go's scanner refuses it.

use super::words::plain_chunks;
use crate::tree::{Item, Map, Node, Scalar};

/// The deepest nesting accepted (Go's `encoding/json` scanner limit).
pub const MAX_DEPTH: usize = 10_000;

/// A syntax error: where (byte offset into the input) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    pub offset: usize,
    pub cause: String,
}

/// Parses a whole JSON document whose top-level value must be an object.
pub fn parse_object(input: &[u8]) -> Result<Map, Fail> {
    Parser { s: input, pos: 0 }.document()
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(input: &[u8], offset: usize) -> (usize, usize) {
    let before = &input[..offset.min(input.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let col = before[start..]
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count()
        + 1;
    (line, col)
}

/// Converts bytes to a string the way Go coerces them: every byte that does not start a valid
/// UTF-8 sequence becomes one U+FFFD.
pub fn go_lossy(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => go_lossy_slice(e.as_bytes()),
    }
}

/// [`go_lossy`] for a borrowed slice.
pub fn go_lossy_slice(mut b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() + 8);
    loop {
        match std::str::from_utf8(b) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let valid = e.valid_up_to();
                // The prefix was just validated.
                out.push_str(std::str::from_utf8(&b[..valid]).unwrap_or_default());
                out.push('\u{FFFD}');
                b = &b[valid + 1..];
            }
        }
    }
}

/// A byte as Go's scanner quotes it in error messages.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => r"'\''".to_string(),
        b'"' => "'\"'".to_string(),
        b'\\' => r"'\\'".to_string(),
        0x07 => r"'\a'".to_string(),
        0x08 => r"'\b'".to_string(),
        0x0C => r"'\f'".to_string(),
        b'\n' => r"'\n'".to_string(),
        b'\r' => r"'\r'".to_string(),
        b'\t' => r"'\t'".to_string(),
        0x0B => r"'\v'".to_string(),
        0..=0x1F | 0x7F => format!(r"'\x{c:02x}'"),
        0x80..=0xA0 | 0xAD => format!(r"'\u{c:04x}'"),
        _ => format!("'{}'", c as char),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Just after `{`: a key or `}`.
    ObjFirst,
    /// After `,` in an object: a key.
    ObjNext,
    /// Just after `[`: a value or `]`.
    ArrFirst,
    /// A value.
    Value,
    /// After a value: `,` or the closing bracket.
    After,
}

enum Frame {
    /// An object being read and the key whose value comes next.
    Obj(Map, String),
    Arr(Vec<Node>),
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while let Some(&c) = self.s.get(self.pos) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// The error for the byte at `at` (or the end of input) in `context`.
    fn invalid_at(&self, at: usize, context: &str) -> Fail {
        match self.s.get(at) {
            None => Fail {
                offset: at,
                cause: "unexpected end of JSON input".to_string(),
            },
            Some(&c) => Fail {
                offset: at,
                cause: format!("invalid character {} {context}", quote_char(c)),
            },
        }
    }

    fn invalid(&self, context: &str) -> Fail {
        self.invalid_at(self.pos, context)
    }

    fn document(&mut self) -> Result<Map, Fail> {
        self.skip_ws();
        let kind = match self.peek() {
            None => {
                return Err(Fail {
                    offset: self.pos,
                    cause: "empty input: expected a JSON object".to_string(),
                })
            }
            Some(b'{') => None,
            Some(b'[') => Some("an array"),
            Some(b'"') => Some("a string"),
            Some(b'-' | b'0'..=b'9') => Some("a number"),
            Some(b't' | b'f') => Some("a boolean"),
            Some(b'n') => Some("null"),
            Some(_) => return Err(self.invalid("looking for beginning of value")),
        };
        if let Some(kind) = kind {
            return Err(Fail {
                offset: self.pos,
                cause: format!(
                    "the top-level value must be an object (starting with '{{'), not {kind}; \
                     to encrypt it, wrap it in an object, e.g. {{\"data\": ...}}"
                ),
            });
        }
        self.pos += 1;
        let mut stack = vec![Frame::Obj(Vec::new(), String::new())];
        let mut state = State::ObjFirst;
        loop {
            self.skip_ws();
            crate::input::passed(self.s, self.pos);
            let closed = match state {
                State::ObjFirst | State::ObjNext => match self.peek() {
                    Some(b'}') if state == State::ObjFirst => {
                        self.pos += 1;
                        true
                    }
                    Some(b'"') => {
                        let key = self.string()?;
                        if let Some(Frame::Obj(_, k)) = stack.last_mut() {
                            *k = key;
                        }
                        self.skip_ws();
                        if self.peek() != Some(b':') {
                            return Err(self.invalid("after object key"));
                        }
                        self.pos += 1;
                        state = State::Value;
                        false
                    }
                    _ => return Err(self.invalid("looking for beginning of object key string")),
                },
                State::ArrFirst => {
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        true
                    } else {
                        state = State::Value;
                        false
                    }
                }
                State::Value => {
                    let scalar = match self.peek() {
                        Some(c @ (b'{' | b'[')) => {
                            if stack.len() >= MAX_DEPTH {
                                return Err(Fail {
                                    offset: self.pos,
                                    cause: format!("exceeded max depth of {MAX_DEPTH}"),
                                });
                            }
                            self.pos += 1;
                            if c == b'{' {
                                stack.push(Frame::Obj(Vec::new(), String::new()));
                                state = State::ObjFirst;
                            } else {
                                stack.push(Frame::Arr(Vec::new()));
                                state = State::ArrFirst;
                            }
                            continue;
                        }
                        Some(b'"') => Scalar::Str(self.string()?.into()),
                        Some(b't') => {
                            self.literal(b"true")?;
                            Scalar::Bool(true)
                        }
                        Some(b'f') => {
                            self.literal(b"false")?;
                            Scalar::Bool(false)
                        }
                        Some(b'n') => {
                            self.literal(b"null")?;
                            Scalar::Null
                        }
                        Some(b'-' | b'0'..=b'9') => self.number()?,
                        _ => return Err(self.invalid("looking for beginning of value")),
                    };
                    attach(&mut stack, Node::Scalar(scalar));
                    state = State::After;
                    false
                }
                State::After => {
                    let is_obj = matches!(stack.last(), Some(Frame::Obj(..)));
                    match (is_obj, self.peek()) {
                        (true, Some(b',')) => {
                            self.pos += 1;
                            state = State::ObjNext;
                            false
                        }
                        (false, Some(b',')) => {
                            self.pos += 1;
                            state = State::Value;
                            false
                        }
                        (true, Some(b'}')) | (false, Some(b']')) => {
                            self.pos += 1;
                            true
                        }
                        (true, _) => return Err(self.invalid("after object key:value pair")),
                        (false, _) => return Err(self.invalid("after array element")),
                    }
                }
            };
            if closed {
                let node = match stack.pop() {
                    Some(Frame::Obj(mut map, _)) => {
                        crate::tree::fit(&mut map);
                        Node::Map(map)
                    }
                    Some(Frame::Arr(mut list)) => {
                        crate::tree::fit(&mut list);
                        Node::List(list)
                    }
                    None => unreachable!("a frame is open while reading"),
                };
                if stack.is_empty() {
                    let Node::Map(map) = node else {
                        unreachable!("the root is an object")
                    };
                    self.skip_ws();
                    if self.pos < self.s.len() {
                        return Err(self.invalid("after top-level value"));
                    }
                    return Ok(map);
                }
                attach(&mut stack, node);
                state = State::After;
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Fail> {
        for (k, &want) in word.iter().enumerate().skip(1) {
            let at = self.pos + k;
            if self.s.get(at) != Some(&want) {
                let context = format!(
                    "in literal {} (expecting {})",
                    String::from_utf8_lossy(word),
                    quote_char(want)
                );
                return Err(self.invalid_at(at, &context));
            }
        }
        self.pos += word.len();
        Ok(())
    }

    fn digits(&self, mut i: usize) -> usize {
        while self.s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    }

    fn number(&mut self) -> Result<Scalar, Fail> {
        let start = self.pos;
        let mut i = start;
        if self.s[i] == b'-' {
            i += 1;
        }
        match self.s.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = self.digits(i + 1),
            _ => return Err(self.invalid_at(i, "in numeric literal")),
        }
        if self.s.get(i) == Some(&b'.') {
            i += 1;
            if !self.s.get(i).is_some_and(u8::is_ascii_digit) {
                return Err(self.invalid_at(i, "after decimal point in numeric literal"));
            }
            i = self.digits(i);
        }
        if matches!(self.s.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(self.s.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !self.s.get(i).is_some_and(u8::is_ascii_digit) {
                return Err(self.invalid_at(i, "in exponent of numeric literal"));
            }
            i = self.digits(i);
        }
        // The grammar above only admits ASCII.
        let text = std::str::from_utf8(&self.s[start..i]).unwrap_or_default();
        // Integer first, as sops' `json.Number.Int64()` then `Float64()`.
        if let Ok(v) = text.parse::<i64>() {
            self.pos = i;
            return Ok(Scalar::Int(v));
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => {
                self.pos = i;
                Ok(Scalar::Float(v))
            }
            _ => Err(Fail {
                offset: start,
                cause: format!("number {text} does not fit in a 64-bit float"),
            }),
        }
    }

    /// Four hex digits at `at` (a `\u` escape's payload).
    fn hex4(&self, at: usize) -> Result<u32, Fail> {
        let mut v = 0u32;
        for i in at..at + 4 {
            let d = match self.s.get(i) {
                Some(&c) => (c as char).to_digit(16),
                None => None,
            };
            match d {
                Some(d) => v = v * 16 + d,
                None => return Err(self.invalid_at(i, "in \\u hexadecimal character escape")),
            }
        }
        Ok(v)
    }

    /// A low surrogate written as `\uXXXX` at `at`, if there is one.
    fn low_surrogate_at(&self, at: usize) -> Option<u32> {
        if self.s.get(at) != Some(&b'\\') || self.s.get(at + 1) != Some(&b'u') {
            return None;
        }
        self.hex4(at + 2)
            .ok()
            .filter(|r| (0xDC00..0xE000).contains(r))
    }

    /// A string starting at the opening quote under `self.pos`.
    fn string(&mut self) -> Result<String, Fail> {
        let start = self.pos + 1;
        let mut i = start;
        // Fast path: no escapes.
        loop {
            if self
                .s
                .get(i)
                .is_some_and(|&c| c >= 0x20 && c != b'"' && c != b'\\')
            {
                i += 1 + plain_chunks(&self.s[i + 1..], *b"\"\\");
            }
            match self.s.get(i) {
                None => return Err(self.invalid_at(i, "in string literal")),
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(match std::str::from_utf8(&self.s[start..i]) {
                        Ok(s) => s.to_owned(),
                        Err(_) => go_lossy_slice(&self.s[start..i]),
                    });
                }
                Some(b'\\') => break,
                Some(&c) if c < 0x20 => return Err(self.invalid_at(i, "in string literal")),
                Some(_) => i += 1,
            }
        }
        let mut buf: Vec<u8> = Vec::with_capacity(i - start + 16);
        buf.extend_from_slice(&self.s[start..i]);
        loop {
            // Copy a run of plain bytes.
            let run = i;
            while let Some(&c) = self.s.get(i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                i += 1;
            }
            buf.extend_from_slice(&self.s[run..i]);
            match self.s.get(i) {
                None => return Err(self.invalid_at(i, "in string literal")),
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(go_lossy(buf));
                }
                Some(b'\\') => {
                    i += 1;
                    let c = match self.s.get(i) {
                        None => return Err(self.invalid_at(i, "in string escape code")),
                        Some(&c) => c,
                    };
                    match c {
                        b'"' | b'\\' | b'/' => buf.push(c),
                        b'b' => buf.push(0x08),
                        b'f' => buf.push(0x0C),
                        b'n' => buf.push(b'\n'),
                        b'r' => buf.push(b'\r'),
                        b't' => buf.push(b'\t'),
                        b'u' => {
                            let r = self.hex4(i + 1)?;
                            i += 4;
                            let ch = if (0xD800..0xDC00).contains(&r) {
                                match self.low_surrogate_at(i + 1) {
                                    Some(lo) => {
                                        i += 6;
                                        char::from_u32(
                                            0x10000 + ((r - 0xD800) << 10) + (lo - 0xDC00),
                                        )
                                        .unwrap_or('\u{FFFD}')
                                    }
                                    None => '\u{FFFD}',
                                }
                            } else {
                                // A lone low surrogate is not a char: U+FFFD, as Go does.
                                char::from_u32(r).unwrap_or('\u{FFFD}')
                            };
                            let mut tmp = [0u8; 4];
                            buf.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                        }
                        _ => return Err(self.invalid_at(i, "in string escape code")),
                    }
                    i += 1;
                }
                Some(_) => return Err(self.invalid_at(i, "in string literal")),
            }
        }
    }
}

fn attach(stack: &mut [Frame], node: Node) {
    match stack.last_mut() {
        Some(Frame::Obj(map, key)) => map.push(Item::Pair(std::mem::take(key).into(), node)),
        Some(Frame::Arr(list)) => list.push(node),
        None => unreachable!("values are attached inside a container"),
    }
}
