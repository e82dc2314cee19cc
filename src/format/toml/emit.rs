//! Tree → TOML text.
//!
//! Layout: in every table the plain values come first (`key = value`, comments on the lines
//! above), then the sub-tables as `[a.b]` sections and lists of maps as `[[a.b]]` sections,
//! each after a blank line with its comments just above the header. A section with no values
//! of its own (only sub-sections) is left implicit. Maps inside arrays are inline tables;
//! arrays holding comments, or too long for one line, are written one element per line.
//! Strings holding a newline are written as `"""` multi-line strings when they are the value
//! of a key.

use super::{as_comment, is_table_like, EmitFail};
use crate::tree::{Item, Map, Node, Scalar};
use std::fmt::Write as _;

/// Arrays longer than this on one line are written one element per line.
const MAX_LINE: usize = 100;
const INDENT: &str = "    ";

/// Writes a document (its last pair may be the `sops` table).
pub(super) fn document(doc: &Map) -> Result<String, EmitFail> {
    let mut w = Writer::default();
    w.body(doc, &[], true)?;
    Ok(w.out)
}

/// Writes one value that is not a map: the inline form of a key's value.
pub(super) fn value(v: &Node) -> Result<String, EmitFail> {
    let mut w = Writer::default();
    match v {
        Node::Map(m) => w.body(m, &[], true).map(|()| w.out),
        Node::Comment(c) => Ok(format!("#{c}")),
        _ => {
            let mut hoisted = Vec::new();
            let text = w.inline(v, 0, &mut hoisted)?;
            w.loose_comments(&hoisted)?;
            let mut out = String::new();
            for c in &hoisted {
                out.push_str(&format!("#{c}\n"));
            }
            out.push_str(&text);
            Ok(out)
        }
    }
}

#[derive(Default)]
struct Writer {
    out: String,
    /// Keys and list positions, for error messages.
    path: Vec<String>,
}

/// A pair with the comments in front of it.
struct Group<'a> {
    comments: Vec<&'a str>,
    key: &'a str,
    node: &'a Node,
}

/// Splits a map into its pairs (each with the comments before it) and the comments after
/// the last pair.
fn groups(map: &Map) -> (Vec<Group<'_>>, Vec<&str>) {
    let mut out = Vec::new();
    let mut pending = Vec::new();
    for item in map {
        match item {
            Item::Comment(c) => pending.push(c.as_str()),
            Item::Pair(k, v) => out.push(Group {
                comments: std::mem::take(&mut pending),
                key: k,
                node: v,
            }),
        }
    }
    (out, pending)
}

/// True for comments `secret` encrypted: moving one would change its AAD.
fn is_encrypted(comment: &str) -> bool {
    comment.trim_start().starts_with("ENC[")
}

impl Writer {
    fn fail(&self, cause: impl Into<String>) -> EmitFail {
        EmitFail {
            path: self.path.concat(),
            cause: cause.into(),
        }
    }

    /// Comments that TOML cannot keep where they are: they are written nearby (and so read
    /// back in another map or list). Refused when encrypted, since the move would change the
    /// path they are authenticated with.
    fn loose_comments(&self, comments: &[String]) -> Result<(), EmitFail> {
        if comments.iter().any(|c| is_encrypted(c)) {
            return Err(self.fail(
                "an encrypted comment stands where TOML cannot keep it \
                 (at the end of a table, or inside an inline table)",
            ));
        }
        Ok(())
    }

    fn check_keys(&self, groups: &[Group<'_>]) -> Result<(), EmitFail> {
        let mut seen = crate::hash::set_with_capacity(groups.len());
        for g in groups {
            if !seen.insert(g.key) {
                return Err(self.fail(format!("duplicate key {:?}", g.key)));
            }
        }
        Ok(())
    }

    fn comment_lines(&mut self, comments: &[&str], indent: &str) {
        for c in comments {
            let _ = writeln!(self.out, "{indent}#{}", one_line(c));
        }
    }

    /// The pairs of a table: values first, then sub-tables; `path` is the table's header.
    fn body(&mut self, map: &Map, path: &[&str], root: bool) -> Result<(), EmitFail> {
        let (groups, trailing) = groups(map);
        self.check_keys(&groups)?;
        let (tables, values): (Vec<_>, Vec<_>) =
            groups.into_iter().partition(|g| is_table_like(g.node));
        for g in &values {
            self.path.push(format!("[{:?}]", g.key));
            let mut hoisted = Vec::new();
            let text = match g.node {
                Node::Scalar(Scalar::Str(s)) if s.contains('\n') => multi_line_string(s),
                node => self.inline(node, 0, &mut hoisted)?,
            };
            self.loose_comments(&hoisted)?;
            self.comment_lines(&g.comments, "");
            let hoisted: Vec<&str> = hoisted.iter().map(String::as_str).collect();
            self.comment_lines(&hoisted, "");
            let _ = writeln!(self.out, "{} = {text}", key(g.key));
            self.path.pop();
        }
        if !root {
            // Read back in front of the first sub-table (same map), or of whatever section
            // follows (another map).
            if tables.is_empty() {
                let owned: Vec<String> = trailing.iter().map(|c| c.to_string()).collect();
                self.loose_comments(&owned)?;
            }
            self.comment_lines(&trailing, "");
        }
        for g in &tables {
            self.path.push(format!("[{:?}]", g.key));
            let mut sub: Vec<&str> = path.to_vec();
            sub.push(g.key);
            match g.node {
                Node::Map(m) => self.table(&g.comments, &sub, m, false)?,
                Node::List(items) => {
                    // Read back inside the list (see `canonical_order`).
                    let owned: Vec<String> = g.comments.iter().map(|c| c.to_string()).collect();
                    self.loose_comments(&owned)?;
                    let mut pending: Vec<&str> = g.comments.clone();
                    for (i, item) in items.iter().enumerate() {
                        match item {
                            _ if as_comment(item).is_some() => pending.extend(as_comment(item)),
                            Node::Map(m) => {
                                self.path.push(format!("[{i}]"));
                                self.table(&pending, &sub, m, true)?;
                                self.path.pop();
                                pending.clear();
                            }
                            _ => unreachable!("is_table_like checked the elements"),
                        }
                    }
                    let owned: Vec<String> = pending.iter().map(|c| c.to_string()).collect();
                    self.loose_comments(&owned)?;
                    self.comment_lines(&pending, "");
                }
                _ => unreachable!("is_table_like checked the value"),
            }
            self.path.pop();
        }
        if root {
            if !trailing.is_empty() && !self.out.is_empty() && !tables.is_empty() {
                self.out.push('\n');
            }
            self.comment_lines(&trailing, "");
        }
        Ok(())
    }

    /// A `[path]` or `[[path]]` section.
    fn table(
        &mut self,
        comments: &[&str],
        path: &[&str],
        map: &Map,
        array: bool,
    ) -> Result<(), EmitFail> {
        let implicit = !array
            && comments.is_empty()
            && !map.is_empty()
            && !matches!(map.last(), Some(Item::Comment(_)))
            && map.iter().all(|item| match item {
                Item::Pair(_, v) => is_table_like(v),
                Item::Comment(_) => true,
            });
        if !implicit {
            if !self.out.is_empty() {
                self.out.push('\n');
            }
            self.comment_lines(comments, "");
            let header: Vec<String> = path.iter().map(|k| key(k)).collect();
            let (open, close) = if array { ("[[", "]]") } else { ("[", "]") };
            let _ = writeln!(self.out, "{open}{}{close}", header.join("."));
        }
        self.body(map, path, false)
    }

    /// A value on one line (arrays may span lines); comments that cannot be written inside
    /// it (those of inline tables) go to `hoisted`.
    fn inline(
        &mut self,
        node: &Node,
        depth: usize,
        hoisted: &mut Vec<String>,
    ) -> Result<String, EmitFail> {
        match node {
            Node::Scalar(s) => self.scalar(s),
            Node::Comment(_) => Err(self.fail("a comment cannot be a value in TOML")),
            Node::Map(map) => {
                let (groups, trailing) = groups(map);
                self.check_keys(&groups)?;
                let (tables, values): (Vec<_>, Vec<_>) =
                    groups.into_iter().partition(|g| is_table_like(g.node));
                let own: Vec<String> = map
                    .iter()
                    .filter_map(|item| match item {
                        Item::Comment(c) => Some(c.to_string()),
                        Item::Pair(..) => None,
                    })
                    .collect();
                self.loose_comments(&own)?;
                let mut parts = Vec::new();
                for g in values.iter().chain(&tables) {
                    hoisted.extend(g.comments.iter().map(|c| c.to_string()));
                    self.path.push(format!("[{:?}]", g.key));
                    let text = self.inline(g.node, depth, hoisted)?;
                    self.path.pop();
                    parts.push(format!("{} = {text}", key(g.key)));
                }
                hoisted.extend(trailing.iter().map(|c| c.to_string()));
                if parts.is_empty() {
                    Ok("{}".into())
                } else {
                    Ok(format!("{{ {} }}", parts.join(", ")))
                }
            }
            Node::List(items) => {
                // Each element with the comments to write before it.
                let mut elements: Vec<(Vec<String>, String)> = Vec::new();
                let mut pending = Vec::new();
                let mut multi = false;
                for (i, item) in items.iter().enumerate() {
                    if let Some(c) = as_comment(item) {
                        pending.push(c.to_string());
                        multi = true;
                        continue;
                    }
                    self.path.push(format!("[{i}]"));
                    let text = self.inline(item, depth + 1, &mut pending)?;
                    self.path.pop();
                    multi |= !pending.is_empty() || text.contains('\n');
                    elements.push((std::mem::take(&mut pending), text));
                }
                let single = elements
                    .iter()
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                if !multi && single.len() + depth * INDENT.len() <= MAX_LINE {
                    return Ok(format!("[{single}]"));
                }
                let inner = INDENT.repeat(depth + 1);
                let mut out = String::from("[\n");
                for (comments, text) in &elements {
                    for c in comments {
                        let _ = writeln!(out, "{inner}#{}", one_line(c));
                    }
                    let _ = writeln!(out, "{inner}{text},");
                }
                for c in &pending {
                    let _ = writeln!(out, "{inner}#{}", one_line(c));
                }
                out.push_str(&INDENT.repeat(depth));
                out.push(']');
                Ok(out)
            }
        }
    }

    fn scalar(&self, s: &Scalar) -> Result<String, EmitFail> {
        Ok(match s {
            Scalar::Str(s) => basic_string(s),
            Scalar::Bytes(b) => match std::str::from_utf8(b) {
                Ok(s) => basic_string(s),
                Err(_) => return Err(self.fail("TOML strings must be valid UTF-8")),
            },
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => float(*f),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Time(t) => match t.parse::<toml_edit::Datetime>() {
                Ok(d) => super::load::datetime_text(d),
                Err(_) => basic_string(t),
            },
            Scalar::Null => return Err(self.fail("TOML has no null value")),
        })
    }
}

/// A scalar as this layout spells it: a string holding a newline as a `"""` string when it is
/// the value of a key in a table (`key_value`), else on one line. `None` for what TOML
/// cannot hold (null, bytes that are not UTF-8).
pub(super) fn scalar_text(s: &Scalar, key_value: bool) -> Option<String> {
    match s {
        Scalar::Str(text) if key_value && text.contains('\n') => Some(multi_line_string(text)),
        _ => Writer::default().scalar(s).ok(),
    }
}

/// A comment must stay on its line.
fn one_line(c: &str) -> String {
    c.replace(['\n', '\r'], " ")
}

/// A TOML float: always with a `.` or an exponent; `inf`, `-inf`, `nan`.
fn float(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        // Debug prints the shortest text that reads back exactly, with `.0` or an exponent.
        format!("{f:?}")
    }
}

/// A bare key when TOML allows one, else a quoted key.
fn key(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        k.to_string()
    } else {
        basic_string(k)
    }
}

fn escape_into(out: &mut String, s: &str, keep_newlines: bool) {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // In a multi-line string a lone quote may stay; one before another quote or at
            // the end is escaped, so no `"""` can close the string early.
            '"' if keep_newlines && !matches!(chars.peek(), None | Some('"')) => out.push('"'),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' if keep_newlines => out.push('\n'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// A `"…"` string.
fn basic_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    escape_into(&mut out, s, false);
    out.push('"');
    out
}

/// A `"""…"""` string starting on the next line (TOML drops that first newline).
fn multi_line_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str("\"\"\"\n");
    escape_into(&mut out, s, true);
    out.push_str("\"\"\"");
    out
}
