//! go-ini's reader with the options sops uses (delimiters `=` and `:`, inline comments on,
//! continuation lines on, non-unique sections, no boolean keys, no Python multi-line).

use super::{strip_comment_char, KeyIndex};
use crate::error::{Code, Error, Result};
use crate::tree::{Item, Node};

/// The implicit first section.
pub const DEFAULT_SECTION: &str = "DEFAULT";

/// A section as go-ini reads it.
#[derive(Debug)]
pub struct Section {
    pub name: String,
    /// The raw comment block (markers kept, outer whitespace trimmed); empty when none.
    pub comment: String,
    pub keys: Vec<Key>,
    index: KeyIndex,
}

/// A key as go-ini reads it.
#[derive(Debug)]
pub struct Key {
    pub name: String,
    pub value: String,
    /// The raw comment block (markers kept, outer whitespace trimmed); empty when none.
    pub comment: String,
}

impl Section {
    fn new(name: String) -> Section {
        Section {
            name,
            comment: String::new(),
            keys: Vec::new(),
            index: KeyIndex::default(),
        }
    }

    /// The tree item sops makes of this section (`treeItemFromSection`).
    pub fn into_item(self) -> Item {
        // Exactly as many as it will hold: the tree of a big file is most of its memory.
        let comments = self.keys.iter().filter(|k| !k.comment.is_empty()).count();
        let mut items =
            Vec::with_capacity(self.keys.len() + comments + usize::from(!self.comment.is_empty()));
        if !self.comment.is_empty() {
            items.push(Item::Comment(strip_comment_char(&self.comment).into()));
        }
        for key in self.keys {
            items.push(Item::Pair(key.name.into(), Node::str(key.value)));
            if !key.comment.is_empty() {
                items.push(Item::Comment(strip_comment_char(&key.comment).into()));
            }
        }
        Item::Pair(self.name.into(), Node::Map(items))
    }

    /// go-ini's `NewKey`: a repeated name keeps its place and takes the new value.
    fn set_key(&mut self, name: String, value: String, comment: String) {
        match self.index.find_or_insert(&name, self.keys.len()) {
            Some(i) => {
                let key = &mut self.keys[i];
                key.value = value;
                key.comment = comment;
            }
            None => self.keys.push(Key {
                name,
                value,
                comment,
            }),
        }
    }
}

fn error(line: usize, message: impl std::fmt::Display) -> Error {
    Error::new(
        Code::CouldNotReadInputFile,
        format!("line {line}: {message}"),
    )
}

/// Lines with their `\n` kept, as `bufio.Reader.ReadBytes('\n')` returns them.
struct Lines<'a> {
    lines: std::str::SplitInclusive<'a, char>,
    next: usize,
}

impl<'a> Lines<'a> {
    fn next_line(&mut self) -> Option<&'a str> {
        let line = self.lines.next();
        if line.is_some() {
            self.next += 1;
        }
        line
    }

    /// The number (1-based) of the line last returned.
    fn number(&self) -> usize {
        self.next
    }
}

/// Parses a whole INI file into its sections, `DEFAULT` first, handing each to `take` as
/// soon as it is complete (so that only one is held in this form).
pub fn parse(input: &[u8], take: &mut dyn FnMut(Section) -> Result<()>) -> Result<()> {
    let input = strip_bom(input);
    let text = std::str::from_utf8(input).map_err(|e| {
        let line = input[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        error(line, "invalid UTF-8")
    })?;
    let mut lines = Lines {
        lines: text.split_inclusive('\n'),
        next: 0,
    };
    let mut current = Section::new(DEFAULT_SECTION.to_string());
    let mut comment = String::new();
    let mut auto_count = 1;

    while let Some(raw) = lines.next_line() {
        crate::input::passed(raw.as_bytes(), 0);
        let number = lines.number();
        let line = raw.trim_start();
        if line.is_empty() {
            continue;
        }
        if line.starts_with(['#', ';']) {
            // The line break stays: it separates the lines of a comment block.
            comment.push_str(line);
            continue;
        }
        if line.starts_with('[') {
            let Some(close) = line.rfind(']') else {
                return Err(error(
                    number,
                    format!("unclosed section: {}", line.trim_end()),
                ));
            };
            let name = &line[1..close];
            if name.is_empty() {
                return Err(error(number, "empty section name"));
            }
            if let Some(trailing) = clean_comment(&line[close + 1..]) {
                comment.push_str(trailing);
            }
            let mut section = Section::new(name.to_string());
            section.comment = comment.trim().to_string();
            comment.clear();
            auto_count = 1;
            take(std::mem::replace(&mut current, section))?;
            continue;
        }

        let (mut name, offset) = read_key_name(line).map_err(|m| error(number, m))?;
        if name == "-" {
            name = format!("#{auto_count}");
            auto_count += 1;
        }
        let value =
            read_value(&line[offset..], &mut lines, &mut comment).map_err(|m| error(number, m))?;
        if name.is_empty() {
            return Err(error(
                number,
                format!("empty key name: {}", line.trim_end()),
            ));
        }
        let key_comment = comment.trim().to_string();
        comment.clear();
        current.set_key(name, value, key_comment);
    }
    // A comment block at the end of the file belongs to nothing and is dropped.
    take(current)
}

/// go-ini skips a UTF-8 byte-order mark (and the two bytes of a UTF-16 one).
fn strip_bom(input: &[u8]) -> &[u8] {
    if let Some(rest) = input.strip_prefix(b"\xEF\xBB\xBF") {
        rest
    } else if input.starts_with(b"\xFE\xFF") || input.starts_with(b"\xFF\xFE") {
        &input[2..]
    } else {
        input
    }
}

/// From the first `#` or `;` to the end, if any.
fn clean_comment(text: &str) -> Option<&str> {
    text.find(['#', ';']).map(|i| &text[i..])
}

/// go-ini's `readKeyName`: the key (trimmed, quotes removed) and where the value starts.
fn read_key_name(line: &str) -> std::result::Result<(String, usize), String> {
    let not_found = || format!("key-value delimiter not found: {}", line.trim_end());
    let quote = if line.starts_with('"') {
        if line.len() > 6 && line.starts_with("\"\"\"") {
            "\"\"\""
        } else {
            "\""
        }
    } else if line.starts_with('`') {
        "`"
    } else {
        ""
    };
    if !quote.is_empty() {
        let start = quote.len();
        let Some(close) = line[start..].find(quote) else {
            return Err(format!("missing closing key quote: {}", line.trim_end()));
        };
        let close = close + start;
        let after = close + quote.len();
        let Some(delim) = line[after..].find(['=', ':']) else {
            return Err(not_found());
        };
        return Ok((line[start..close].trim().to_string(), after + delim + 1));
    }
    let Some(delim) = line.find(['=', ':']) else {
        return Err(not_found());
    };
    Ok((line[..delim].trim().to_string(), delim + 1))
}

/// go-ini's `readValue` (the rest of the line after the delimiter, `\n` included).
fn read_value(
    input: &str,
    lines: &mut Lines<'_>,
    comment: &mut String,
) -> std::result::Result<String, String> {
    let line = input.trim_start();
    if line.is_empty() {
        return Ok(String::new());
    }
    let quote = if line.len() > 3 && line.starts_with("\"\"\"") {
        "\"\"\""
    } else if line.starts_with('`') {
        "`"
    } else {
        ""
    };
    if !quote.is_empty() {
        let start = quote.len();
        return match line[start..].rfind(quote) {
            Some(end) => Ok(line[start..start + end].to_string()),
            None => read_multilines(line, &line[start..], quote, lines, comment),
        };
    }

    let mut line = line.trim();
    if let Some(head) = line.strip_suffix('\\') {
        return Ok(read_continuation_lines(head, lines));
    }
    if let Some(i) = line.find(['#', ';']) {
        comment.push_str(&line[i..]);
        line = line[..i].trim();
    }
    if has_surrounded_quote(line, b'\'') || has_surrounded_quote(line, b'"') {
        line = &line[1..line.len() - 1];
    }
    Ok(line.to_string())
}

/// A quoted value that goes on until a line holding the closing quote.
fn read_multilines(
    first: &str,
    value: &str,
    quote: &str,
    lines: &mut Lines<'_>,
    comment: &mut String,
) -> std::result::Result<String, String> {
    let mut value = value.to_string();
    loop {
        let Some(next) = lines.next_line() else {
            return Err(format!(
                "missing closing key quote from {:?} to \"\"",
                first
            ));
        };
        // go-ini 1.67.1: a line ending in `\` does not close the value, quote or not.
        if next.trim_end().ends_with('\\') {
            value.push_str(next);
            continue;
        }
        if let Some(pos) = next.rfind(quote) {
            value.push_str(&next[..pos]);
            if let Some(trailing) = clean_comment(&next[pos..]) {
                comment.push_str(trailing.trim());
            }
            return Ok(value);
        }
        value.push_str(next);
    }
}

/// A value ending in `\` continues on the next lines (each trimmed) until one that does not
/// end in `\`, or an empty line.
fn read_continuation_lines(head: &str, lines: &mut Lines<'_>) -> String {
    let mut value = head.to_string();
    while let Some(next) = lines.next_line() {
        let next = next.trim();
        if next.is_empty() {
            break;
        }
        value.push_str(next);
        if !value.ends_with('\\') {
            break;
        }
        value.pop();
    }
    value
}

/// True when `text` is wrapped in `quote` and holds no other `quote`.
fn has_surrounded_quote(text: &str, quote: u8) -> bool {
    let b = text.as_bytes();
    b.len() >= 2
        && b[0] == quote
        && b[b.len() - 1] == quote
        && b[1..].iter().position(|&c| c == quote) == Some(b.len() - 2)
}
