//! go-ini's pretty printer (`File.WriteTo` with `PrettyFormat` and `PrettySection`) fed the
//! way sops' `encodeTree` feeds it.

use super::parse::DEFAULT_SECTION;
use super::KeyIndex;
use crate::error::{Code, Error, Result};
use crate::format::flatten::{scalar_text, split_zone};
use crate::format::seal::{seal_node, LeafSeal, Unsealed};
use crate::numfmt;
use crate::tree::{Item, Node, Scalar};

/// A section about to be written.
#[derive(Debug)]
pub struct Section {
    name: String,
    comment: String,
    keys: Vec<Key>,
    index: KeyIndex,
}

#[derive(Debug)]
struct Key {
    name: String,
    value: String,
    comment: String,
}

impl Section {
    /// An empty section; go-ini refuses an empty name. A name holding a line break would
    /// be written as broken lines (sops does), so it is refused.
    pub fn new(name: &str) -> Result<Section> {
        if name.is_empty() {
            return Err(Error::new(
                Code::ErrorDumpingTree,
                "Error encoding section : empty section name",
            ));
        }
        if name.contains(['\n', '\r']) {
            return Err(unwritable("section", name, "it holds a line break"));
        }
        Ok(Section {
            name: name.to_string(),
            comment: String::new(),
            keys: Vec::new(),
            index: KeyIndex::default(),
        })
    }

    /// A section from its tree items, as sops' `encodeTree` builds it: a leading comment is
    /// the section's comment; a later comment becomes the comment of the key before it (the
    /// last one wins; one before any key is lost); values become text.
    pub fn from_items(name: &str, items: &[Item]) -> Result<Section> {
        Section::sealed_from_items(name, items, &mut Unsealed)
    }

    /// [`Section::from_items`] with each value and comment as `seal` gives it (`seal` is
    /// told of the section's map opening and closing, not of its key).
    pub fn sealed_from_items(
        name: &str,
        items: &[Item],
        seal: &mut dyn LeafSeal,
    ) -> Result<Section> {
        let mut section = Section::new(name)?;
        seal.open();
        let mut last: Option<usize> = None;
        for (i, item) in items.iter().enumerate() {
            match item {
                Item::Comment(text) => {
                    let text = seal.comment(text).unwrap_or_else(|| text.to_string());
                    if i == 0 {
                        section.comment = text;
                    } else if let Some(i) = last {
                        section.keys[i].comment = text;
                    }
                }
                Item::Pair(key, value) => {
                    seal.enter_key(key);
                    let text = value_text(value, seal);
                    seal.leave_key();
                    last = Some(section.add_key(key.to_string(), text)?)
                }
            }
        }
        seal.close();
        Ok(section)
    }

    /// go-ini's `NewKey`: a repeated name keeps its place and takes the new value.
    /// Returns the key's index.
    pub fn add_key(&mut self, name: String, value: String) -> Result<usize> {
        if name.is_empty() {
            return Err(Error::new(
                Code::ErrorDumpingTree,
                "Error encoding key: empty key name",
            ));
        }
        if name.contains(['\n', '\r']) {
            return Err(unwritable("key", &name, "it holds a line break"));
        }
        if let Some(i) = self.index.find_or_insert(&name, self.keys.len()) {
            self.keys[i].value = value;
            return Ok(i);
        }
        self.keys.push(Key {
            name,
            value,
            comment: String::new(),
        });
        Ok(self.keys.len() - 1)
    }
}

/// The error for a name INI cannot hold (sops writes such names as they are, which cannot be
/// read back).
fn unwritable(what: &str, name: &str, why: &str) -> Error {
    Error::new(
        Code::ErrorDumpingTree,
        format!("Error encoding {what} {name:?}: cannot be written to INI: {why}"),
    )
}

/// A value as sops turns it into INI text: strings verbatim, other scalars by
/// `ValToString`, maps and lists as Go's `%v` prints them; each leaf as `seal` gives it.
fn value_text(value: &Node, seal: &mut dyn LeafSeal) -> String {
    match value {
        Node::Scalar(scalar) => seal.scalar(scalar).unwrap_or_else(|| scalar_text(scalar)),
        other => {
            let mut sealed = other.clone();
            seal_node(&mut sealed, seal);
            go_dump(&sealed)
        }
    }
}

/// Writes a comment's lines: one that starts with `#` or `;` keeps it (then one space and
/// the trimmed rest), others get `; ` and `plain` of the line (go-ini trims a key's comment
/// lines but not a section's).
fn write_comment(out: &mut String, comment: &str, plain: fn(&str) -> &str) {
    if comment.is_empty() {
        return;
    }
    for line in comment.split('\n') {
        if line.starts_with(['#', ';']) {
            out.push_str(&line[..1]);
            out.push(' ');
            out.push_str(line[1..].trim());
        } else {
            out.push_str("; ");
            out.push_str(plain(line));
        }
        out.push('\n');
    }
}

/// Writes section number `index` of a file; `more` when others follow it. Index 0 named
/// `DEFAULT` (any case) gets no header and is skipped when it has no keys; a blank line
/// separates sections.
pub fn write_section(out: &mut String, section: &Section, index: usize, more: bool) {
    write_comment(out, &section.comment, |line| line);
    if index > 0 || section.name.to_uppercase() != DEFAULT_SECTION {
        out.push('[');
        out.push_str(&section.name);
        out.push_str("]\n");
    } else if section.keys.is_empty() {
        return;
    }

    let names: Vec<String> = section.keys.iter().map(|k| quote_key(&k.name)).collect();
    let align = names.iter().map(String::len).max().unwrap_or(0);
    for (key, name) in section.keys.iter().zip(&names) {
        write_comment(out, &key.comment, str::trim);
        out.push_str(name);
        out.push_str(&" ".repeat(align - name.len()));
        out.push_str(" = ");
        out.push_str(&quote_value(&key.value));
        out.push('\n');
    }
    if more {
        out.push('\n');
    }
}

/// Keys holding a quote or a delimiter go in backticks; keys holding a backtick in `"""`.
fn quote_key(name: &str) -> String {
    if name.contains(['"', '=', ':']) {
        format!("`{name}`")
    } else if name.contains('`') {
        format!("\"\"\"{name}\"\"\"")
    } else {
        name.to_string()
    }
}

/// Values with a newline or backtick go in `"""`, with a comment character in backticks,
/// with surrounding whitespace in double quotes.
fn quote_value(value: &str) -> String {
    if value.contains(['\n', '`']) {
        format!("\"\"\"{value}\"\"\"")
    } else if value.contains(['#', ';']) {
        format!("`{value}`")
    } else if value.trim().len() != value.len() {
        format!("\"{value}\"")
    } else {
        value.to_string()
    }
}

/// Go's `fmt.Sprintf("%v", v)` of a sops tree value: what sops writes for a nested map or
/// list in an INI file (not readable back, but that is what it does).
pub fn go_dump(node: &Node) -> String {
    match node {
        Node::Map(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Item::Pair(k, v) => format!("{{{k} {}}}", go_dump(v)),
                    Item::Comment(c) => format!("{{{{{c}}} <nil>}}"),
                })
                .collect();
            format!("[{}]", parts.join(" "))
        }
        Node::List(list) => {
            let parts: Vec<String> = list.iter().map(go_dump).collect();
            format!("[{}]", parts.join(" "))
        }
        Node::Comment(c) => format!("{{{c}}}"),
        Node::Scalar(scalar) => match scalar {
            Scalar::Str(s) => s.to_string(),
            Scalar::Bytes(b) => {
                let parts: Vec<String> = b.iter().map(u8::to_string).collect();
                format!("[{}]", parts.join(" "))
            }
            Scalar::Int(n) => n.to_string(),
            Scalar::Float(f) => numfmt::go_g(*f),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Null => "<nil>".to_string(),
            Scalar::Time(t) => go_time_string(t),
        },
    }
}

/// Go's `time.Time.String()` from RFC 3339 text: `2024-01-02 03:04:05.5 +0200 +0200`.
fn go_time_string(text: &str) -> String {
    let (main, zone) = split_zone(text);
    let main = main.replacen(['T', 't'], " ", 1);
    let main = match main.find('.') {
        Some(dot) => {
            let fraction = main[dot + 1..].trim_end_matches('0');
            if fraction.is_empty() {
                main[..dot].to_string()
            } else {
                format!("{}.{fraction}", &main[..dot])
            }
        }
        None => main,
    };
    let zone = match zone {
        "Z" | "+00:00" | "-00:00" | "" => "+0000 UTC".to_string(),
        offset => {
            let compact = offset.replace(':', "");
            format!("{compact} {compact}")
        }
    };
    format!("{main} {zone}")
}

/// Go's `json.Marshal` of a sops tree value: what `--extract` prints for a non-string value
/// with the INI store.
pub fn go_json(node: &Node) -> Result<String> {
    let mut out = String::new();
    json_into(node, &mut out)?;
    Ok(out)
}

fn json_into(node: &Node, out: &mut String) -> Result<()> {
    match node {
        Node::Map(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match item {
                    Item::Pair(k, v) => {
                        out.push_str("{\"Key\":");
                        json_string(k, out);
                        out.push_str(",\"Value\":");
                        json_into(v, out)?;
                        out.push('}');
                    }
                    Item::Comment(c) => {
                        out.push_str("{\"Key\":{\"Value\":");
                        json_string(c, out);
                        out.push_str("},\"Value\":null}");
                    }
                }
            }
            out.push(']');
        }
        Node::List(list) => {
            out.push('[');
            for (i, v) in list.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_into(v, out)?;
            }
            out.push(']');
        }
        Node::Comment(c) => {
            out.push_str("{\"Value\":");
            json_string(c, out);
            out.push('}');
        }
        Node::Scalar(scalar) => match scalar {
            Scalar::Str(s) => json_string(s, out),
            Scalar::Bytes(b) => {
                use base64::Engine;
                json_string(&base64::engine::general_purpose::STANDARD.encode(&**b), out)
            }
            Scalar::Int(n) => out.push_str(&n.to_string()),
            Scalar::Float(f) => match numfmt::json_float(*f) {
                Some(s) => out.push_str(&s),
                None => {
                    return Err(Error::new(
                        Code::ErrorDumpingTree,
                        format!("json: unsupported value: {}", numfmt::go_g(*f)),
                    ))
                }
            },
            Scalar::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Scalar::Null => out.push_str("null"),
            Scalar::Time(t) => json_string(t, out),
        },
    }
    Ok(())
}

/// A JSON string with Go's escaping (HTML characters and U+2028/U+2029 escaped).
pub(crate) fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
