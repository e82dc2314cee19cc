//! Reading YAML into the tree as sops 3.11 does through go-yaml v3.
//!
//! Structure comes from `libyaml-safer`'s event parser (the same libyaml algorithm go-yaml
//! ports). Comments are not events there, so they are found in the text between events and
//! placed where go-yaml's comment attachment plus sops' flattening put them: inline comments
//! before the entry of their line, comment lines either before the next entry or at the end of
//! the block they close (the rules were measured against sops 3.11, see `place_run`).

use super::events::{read_err, EventSource, Halt, Libyaml};
use super::fast::Fast;
use super::limits::{self, Budget, Cost, MAX_DEPTH, MAX_TREE_DEPTH};
use super::resolve::{parse_timestamp, resolve_plain, Resolved};
use crate::error::{Code, Error, Result};
use crate::hash::FastSet;
use crate::tree::{self, Item, Map, Node, Scalar};
use libyaml_safer::{EventData, MappingStyle, ScalarStyle, SequenceStyle};
use std::borrow::Cow;
use std::collections::HashMap;

const STR_TAG: &str = "tag:yaml.org,2002:str";
const TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// An open collection being filled.
enum Frame {
    Map {
        items: Map,
        col: u64,
        anchor: Option<String>,
        flow: bool,
        /// A key read, waiting for its value (the pair is pushed once the value is known).
        key: Option<(tree::Text, u64)>,
        /// Keys seen so far, to refuse duplicates.
        seen: FastSet<tree::Text>,
        cost: Cost,
    },
    Seq {
        items: Vec<Node>,
        col: u64,
        anchor: Option<String>,
        flow: bool,
        cost: Cost,
    },
}

impl Frame {
    fn col(&self) -> u64 {
        match self {
            Frame::Map { col, .. } | Frame::Seq { col, .. } => *col,
        }
    }
    fn cost_mut(&mut self) -> &mut Cost {
        match self {
            Frame::Map { cost, .. } | Frame::Seq { cost, .. } => cost,
        }
    }
    fn is_flow(&self) -> bool {
        match self {
            Frame::Map { flow, .. } | Frame::Seq { flow, .. } => *flow,
        }
    }
    fn is_seq(&self) -> bool {
        matches!(self, Frame::Seq { .. })
    }
    fn push_comment(&mut self, text: String) {
        match self {
            Frame::Map { items, .. } => items.push(Item::Comment(text.into())),
            Frame::Seq { items, .. } => items.push(Node::Comment(text.into())),
        }
    }
    fn len(&self) -> usize {
        match self {
            Frame::Map { items, .. } => items.len(),
            Frame::Seq { items, .. } => items.len(),
        }
    }
    fn insert_comment(&mut self, at: usize, text: String) {
        match self {
            Frame::Map { items, key, .. } => {
                if let Some((_, kidx)) = key {
                    if *kidx as usize >= at {
                        *kidx += 1;
                    }
                }
                items.insert(at.min(items.len()), Item::Comment(text.into()))
            }
            Frame::Seq { items, .. } => {
                items.insert(at.min(items.len()), Node::Comment(text.into()))
            }
        }
    }
}

/// A comment found in the text: where it is and whether content precedes it on its line.
struct Comment {
    line: u64,
    col: u64,
    inline: bool,
    text: String,
}

struct Loader<'s> {
    src: &'s str,
    line_starts: &'s LineStarts,
    stack: Vec<Frame>,
    anchors: HashMap<String, (Node, Cost)>,
    budget: Budget,
    /// Open flow collections and block indentation levels (go-yaml limits each).
    flow_depth: usize,
    block_depth: usize,
    /// Head comments waiting for the next entry.
    pending: Vec<String>,
    /// Where the entry last started sits: (frame depth, index in that frame).
    last_entry: Option<(usize, usize)>,
    /// Whether the current document has shown content yet (comments before it are heads).
    content_seen: bool,
    /// A flow collection that just ended: (frame depth, index there, comments put in it).
    last_flow: Option<(usize, usize, usize)>,
    /// The line of the current document's explicit `---`, if it has one.
    explicit_start: Option<u64>,
    /// Whether the previous document ended with an explicit `...`.
    after_explicit_end: bool,
    /// Comments that go to the end of the previous document.
    to_previous: Vec<String>,
    /// Comments that go to the end of the current document.
    foot: Vec<String>,
    /// Comments that go right after the current document's first entry.
    after_first: Vec<String>,
    /// How many comments end the previous document as its foot comment (the run of lines
    /// just before its end), which a foot comment moved there replaces.
    previous_foot: usize,
}

/// The event after a run of comments.
#[derive(Clone, Copy)]
struct Next {
    /// Its column (0 for the end of a document).
    col: u64,
    /// Whether it starts a block mapping or sequence.
    opens_block: bool,
}

impl<'s> Loader<'s> {
    fn line_of(&self, index: usize) -> u64 {
        self.line_starts.line_of(index)
    }

    fn line_text(&self, line: u64) -> &'s str {
        let l = line as usize;
        let Some(start) = self.line_starts.get(l) else {
            return "";
        };
        let end = self.line_starts.get(l + 1).unwrap_or(self.src.len());
        self.src[start..end].trim_end_matches(['\n', '\r'])
    }

    fn line_is_blank(&self, line: u64) -> bool {
        (line as usize) >= self.line_starts.len() || self.line_text(line).trim().is_empty()
    }

    fn line_is_comment(&self, line: u64) -> bool {
        self.line_text(line).trim_start().starts_with('#')
    }

    /// Finds the comments in `src[from..to]`, text between two events, where no scalar is.
    fn comments_in(&self, from: usize, to: usize) -> Vec<Comment> {
        let mut out = Vec::new();
        let gap = &self.src[from..to];
        let mut search = 0;
        // memchr: this runs between every two events, mostly over a few spaces.
        while let Some(pos) = memchr::memchr(b'#', &gap.as_bytes()[search..]) {
            let at = from + search + pos;
            let line = self.line_of(at);
            let line_start = self.line_starts.get(line as usize).unwrap_or(0);
            let before = &self.src[line_start..at];
            let prev_ok = before.is_empty() || before.ends_with([' ', '\t']);
            let line_end = memchr::memchr2(b'\n', b'\r', &self.src.as_bytes()[at..])
                .map_or(self.src.len(), |e| at + e);
            if prev_ok {
                out.push(Comment {
                    line,
                    col: before.chars().count() as u64,
                    inline: !before.trim().is_empty(),
                    text: self.src[at + 1..line_end].to_string(),
                });
            }
            let next = line_end.max(at + 1);
            if next >= to {
                break;
            }
            search = next - from;
        }
        out
    }

    /// Places the comments found before an event that starts at column `next_col`.
    fn place_comments(&mut self, comments: Vec<Comment>, next: Next) {
        let mut i = 0;
        while i < comments.len() {
            let c = &comments[i];
            if c.inline {
                self.place_inline(c.text.clone());
                i += 1;
                continue;
            }
            // A run: consecutive full-line comments.
            let mut j = i + 1;
            while j < comments.len()
                && !comments[j].inline
                && comments[j].line == comments[j - 1].line + 1
            {
                j += 1;
            }
            self.place_run(&comments[i..j], next);
            i = j;
        }
    }

    fn place_inline(&mut self, text: String) {
        if let Some((depth, idx, n)) = self.last_flow {
            let target = match self.stack.get_mut(depth) {
                Some(Frame::Map { items, .. }) => match items.get_mut(idx) {
                    Some(Item::Pair(_, v)) => Some(v),
                    _ => None,
                },
                Some(Frame::Seq { items, .. }) => items.get_mut(idx),
                None => None,
            };
            match target {
                Some(Node::List(l)) => {
                    l.insert(n.min(l.len()), Node::Comment(text.into()));
                    self.last_flow = Some((depth, idx, n + 1));
                    return;
                }
                Some(Node::Map(m)) => {
                    m.insert(n.min(m.len()), Item::Comment(text.into()));
                    self.last_flow = Some((depth, idx, n + 1));
                    return;
                }
                _ => {}
            }
        }
        match self.last_entry {
            Some((depth, idx)) if depth < self.stack.len() => {
                self.stack[depth].insert_comment(idx, text);
                self.last_entry = Some((depth, idx + 1));
            }
            _ => self.pending.push(text),
        }
    }

    /// Places a run of comment lines. Measured behaviour of sops 3.11 (go-yaml v3):
    /// after a blank line (or before any content) they are heads of the next entry; right after
    /// content, a run at the innermost block's column (or deeper in it) closes that block, a
    /// dedented run sticks to the innermost block when nothing else follows before the next
    /// line of content, and otherwise each part goes to the block whose column it sits at
    /// (for a sequence, to the mapping holding it).
    fn place_run(&mut self, run: &[Comment], next: Next) {
        let next_col = next.col;
        let doc_ends = self.document_ends_after(run[run.len() - 1].line);
        let first_line = run[0].line;
        let last_line = run[run.len() - 1].line;
        let after_blank = first_line == 0 || self.line_is_blank(first_line - 1);
        // Right under a `---` and followed by a blank line (or nothing), go-yaml makes the run
        // a foot comment: sops prints it at the end of the previous document, or at the end of
        // this one when the previous ended with `...`.
        if !self.content_seen
            && self.explicit_start.is_some_and(|l| first_line == l + 1)
            && self.line_is_blank(last_line + 1)
        {
            let texts = run.iter().map(|c| c.text.clone());
            if self.after_explicit_end {
                self.foot.extend(texts);
            } else {
                self.to_previous.extend(texts);
            }
            return;
        }
        if !self.content_seen || self.stack.is_empty() {
            self.pending.extend(run.iter().map(|c| c.text.clone()));
            return;
        }
        if after_blank {
            // Heads of the next entry, unless they hang deeper than it right after content:
            // then they close the block at their column.
            let c = run[0].col;
            let after_content = !self.prev_nonblank_is_comment(first_line);
            if after_content && c > next_col {
                let d = self.block_at(c);
                for cm in run {
                    self.stack[d].push_comment(cm.text.clone());
                }
            } else {
                self.pending.extend(run.iter().map(|c| c.text.clone()));
            }
            return;
        }
        // Split into parts at column changes.
        let mut parts: Vec<&[Comment]> = Vec::new();
        let mut s = 0;
        for k in 1..=run.len() {
            if k == run.len() || run[k].col != run[s].col {
                parts.push(&run[s..k]);
                s = k;
            }
        }
        let then_content =
            !self.line_is_blank(last_line + 1) && !self.line_is_comment(last_line + 1);
        let single = parts.len() == 1;
        // Between a key and the block that is its value: heads of the block's first entry.
        let awaiting_block =
            next.opens_block && matches!(self.stack.last(), Some(Frame::Map { key: Some(_), .. }));
        // Once a part has gone to an outer block (or to the next entry), later parts cannot
        // go back into a deeper one.
        let mut outermost: Option<Option<usize>> = None;
        for (pi, part) in parts.iter().enumerate() {
            let c = part[0].col;
            let inner = self.stack.len() - 1;
            let inner_col = self.stack[inner].col();
            // A sequence not indented under its key sits at the key's column.
            let inner_is_flush_seq =
                self.stack[inner].is_seq() && inner > 0 && self.stack[inner - 1].col() == inner_col;
            let target = if awaiting_block {
                None
            } else if c > inner_col && pi == 0 {
                // Deeper than the innermost block: heads of what comes next in that block,
                // else (the document ends, or a shallower line follows) that block's foot.
                if doc_ends || next_col < inner_col {
                    Some(inner)
                } else {
                    None
                }
            } else if c == next_col && inner_is_flush_seq && then_content {
                // Heads of the entry after a flush sequence.
                None
            } else if c >= inner_col {
                Some(inner)
            } else if c == next_col {
                None
            } else if pi == 0 && single && then_content {
                Some(inner)
            } else if pi == 0 && single && !doc_ends {
                // Dedented, then a blank line: heads of the next entry.
                None
            } else {
                Some(self.block_at(c))
            };
            let target = match (outermost, target) {
                (Some(None), _) => None,
                (Some(Some(o)), Some(t)) if t > o => Some(o),
                _ => target,
            };
            if target.is_none_or(|t| t < inner) {
                outermost = Some(target);
            }
            for cm in part.iter() {
                match target {
                    None => self.pending.push(cm.text.clone()),
                    Some(d) => self.stack[d].push_comment(cm.text.clone()),
                }
            }
        }
    }

    /// Whether only blank lines and comments follow `line` up to the end of the document.
    fn document_ends_after(&self, line: u64) -> bool {
        let mut l = line + 1;
        while (l as usize) < self.line_starts.len() {
            if !self.line_is_blank(l) && !self.line_is_comment(l) {
                let text = self.line_text(l);
                return text.starts_with("---") || text.starts_with("...");
            }
            l += 1;
        }
        true
    }

    /// Whether the last non-blank line before `line` is a comment line.
    fn prev_nonblank_is_comment(&self, line: u64) -> bool {
        let mut l = line;
        while l > 0 {
            l -= 1;
            if !self.line_is_blank(l) {
                return self.line_is_comment(l);
            }
        }
        false
    }

    /// The open block a dedented comment at column `c` belongs to.
    fn block_at(&self, c: u64) -> usize {
        let mut best = 0;
        for (d, f) in self.stack.iter().enumerate() {
            if f.col() <= c {
                best = d;
            }
        }
        if self.stack[best].is_seq() && best > 0 && self.stack[best].col() == c {
            best -= 1;
        }
        best
    }

    /// Puts waiting head comments into the frame where an entry is about to start.
    fn flush_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        if let Some(f) = self.stack.last_mut() {
            for t in self.pending.drain(..) {
                f.push_comment(t);
            }
        }
    }

    /// A complete value arrived: put it in the open frame (or return it if there is none).
    fn add_value(&mut self, node: Node, cost: Cost, line: u64, col: u64) -> Result<Option<Node>> {
        let depth = self.stack.len();
        let Some(frame) = self.stack.last_mut() else {
            return Ok(Some(node));
        };
        frame.cost_mut().absorb(cost);
        match frame {
            Frame::Seq { items, .. } => {
                items.push(node);
                let _ = (line, col);
            }
            Frame::Map {
                items, key, seen, ..
            } => match key.take() {
                Some((k, idx)) => {
                    if let Some(Item::Pair(_, v)) = items.get_mut(idx as usize) {
                        *v = node;
                    }
                    let _ = k;
                }
                None => {
                    let k = match node {
                        Node::Scalar(Scalar::Str(s)) => s,
                        // sops fails to decode a collection key before it gets to typing.
                        Node::Map(_) | Node::List(_) => {
                            return Err(read_err(line, col, "a mapping key cannot be a collection"))
                        }
                        _ => {
                            return Err(Error::new(
                                Code::ErrorEncryptingTree,
                                format!(
                                    "Error walking tree: line {}: mapping keys must be strings",
                                    line + 1
                                ),
                            ))
                        }
                    };
                    if !seen.insert(k.clone()) {
                        return Err(read_err(
                            line,
                            col,
                            format!("mapping key {k:?} already defined"),
                        ));
                    }
                    items.push(Item::Pair(k.clone(), Node::Scalar(Scalar::Null)));
                    let idx = items.len() - 1;
                    *key = Some((k, idx as u64));
                    self.last_entry = Some((depth - 1, idx));
                }
            },
        }
        Ok(None)
    }

    /// An entry (key or item) starts in the innermost frame: heads go before it.
    fn entry_starts(&mut self) {
        self.content_seen = true;
        let is_entry = match self.stack.last() {
            Some(Frame::Seq { .. }) | Some(Frame::Map { key: None, .. }) => true,
            Some(Frame::Map { key: Some(_), .. }) | None => false,
        };
        if is_entry {
            self.flush_pending();
            let depth = self.stack.len();
            let len = self.stack[depth - 1].len();
            self.last_entry = Some((depth - 1, len));
        }
    }

    fn register_anchor(&mut self, anchor: Option<String>, node: &Node, cost: Cost) {
        if let Some(a) = anchor {
            self.anchors.insert(a, (node.clone(), cost));
        }
    }

    /// Whether `frame` is a block collection that opens an indentation level (a sequence
    /// flush under its key does not), given the frame that holds it.
    fn indents(frame: &Frame, parent: Option<&Frame>) -> bool {
        let flush_seq = frame.is_seq()
            && parent.is_some_and(|p| !p.is_flow() && !p.is_seq() && p.col() == frame.col());
        !frame.is_flow() && !flush_seq
    }

    /// Opens a collection, refusing nesting past go-yaml's limits.
    fn open(&mut self, frame: Frame, line: u64, col: u64) -> Result<()> {
        self.budget.node();
        let counter = if frame.is_flow() {
            Some(&mut self.flow_depth)
        } else if Self::indents(&frame, self.stack.last()) {
            Some(&mut self.block_depth)
        } else {
            None
        };
        if let Some(n) = counter {
            *n += 1;
            if *n > MAX_DEPTH {
                return Err(read_err(line, col, limits::too_deep(MAX_DEPTH)));
            }
        }
        if self.stack.len() >= MAX_TREE_DEPTH {
            return Err(read_err(line, col, limits::too_deep(MAX_TREE_DEPTH)));
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Closes the innermost collection.
    fn close(&mut self) -> Option<Frame> {
        let mut frame = self.stack.pop()?;
        match &mut frame {
            Frame::Map { items, .. } => crate::tree::fit(items),
            Frame::Seq { items, .. } => crate::tree::fit(items),
        }
        if frame.is_flow() {
            self.flow_depth -= 1;
        } else if Self::indents(&frame, self.stack.last()) {
            self.block_depth -= 1;
        }
        Some(frame)
    }

    fn scalar_node(
        &self,
        tag: Option<&str>,
        value: String,
        style: ScalarStyle,
        line: u64,
        col: u64,
    ) -> Result<Node> {
        let quoted = style != ScalarStyle::Plain;
        let tag = tag.filter(|t| *t != "!");
        let resolved = match tag {
            None if quoted => return Ok(Node::Scalar(Scalar::Str(value.into()))),
            None => resolve_plain(&value),
            Some(STR_TAG) => return Ok(Node::Scalar(Scalar::Str(value.into()))),
            Some(t) => {
                let short = t.strip_prefix(TAG_PREFIX);
                match short {
                    Some("binary") => {
                        use base64::Engine;
                        let clean: String = value.chars().filter(|c| !c.is_whitespace()).collect();
                        let bytes = base64::engine::general_purpose::STANDARD
                            .decode(clean)
                            .map_err(|e| read_err(line, col, format!("!!binary value: {e}")))?;
                        return Ok(Node::Scalar(match String::from_utf8(bytes) {
                            Ok(s) => Scalar::Str(s.into()),
                            Err(e) => Scalar::Bytes(e.into_bytes().into()),
                        }));
                    }
                    Some(k @ ("int" | "float" | "bool" | "null" | "timestamp")) => {
                        let r = if k == "timestamp" {
                            parse_timestamp(&value).map_or(Resolved::Str, Resolved::Timestamp)
                        } else {
                            resolve_plain(&value)
                        };
                        let ok = matches!(
                            (k, &r),
                            ("int", Resolved::Int(_) | Resolved::Uint(_))
                                | ("float", Resolved::Float(_))
                                | ("bool", Resolved::Bool(_))
                                | ("null", Resolved::Null)
                                | ("timestamp", Resolved::Timestamp(_))
                        );
                        match (k, r) {
                            ("float", Resolved::Int(i)) => Resolved::Float(i as f64),
                            ("float", Resolved::Uint(u)) => Resolved::Float(u as f64),
                            (_, r) if ok => r,
                            _ => {
                                return Err(read_err(
                                    line,
                                    col,
                                    format!("cannot decode `{value}` as a !!{k}"),
                                ))
                            }
                        }
                    }
                    // Other tags (local ones, !!map, !!merge...) leave the text a string.
                    _ => return Ok(Node::Scalar(Scalar::Str(value.into()))),
                }
            }
        };
        Ok(Node::Scalar(match resolved {
            Resolved::Null => Scalar::Null,
            Resolved::Bool(b) => Scalar::Bool(b),
            Resolved::Int(i) => Scalar::Int(i),
            Resolved::Float(f) => Scalar::Float(f),
            Resolved::Timestamp(t) => Scalar::Time(t.into()),
            Resolved::Merge | Resolved::Str => Scalar::Str(value.into()),
            Resolved::Uint(_) => {
                return Err(Error::new(
                    Code::ErrorEncryptingTree,
                    format!(
                        "Error walking tree: line {}: unknown type: uint64 ({value})",
                        line + 1
                    ),
                ))
            }
        }))
    }
}

/// Loads every document of a YAML stream; each must be a mapping (an empty one is `{}`).
pub fn load_docs(input: &[u8]) -> Result<Vec<Map>> {
    let src = normalize(input)?;
    let line_starts = LineStarts::new(&src)?;
    let parsed = with_final_break(&src);
    let text = Text {
        src: &src,
        line_starts: &line_starts,
        input_len: input.len(),
        ends_open: parsed.len() > src.len(),
    };
    // The fast scanner reads the block YAML that sops writes. What it does not read, and any
    // input that then fails to load, is read again by libyaml-safer: errors and odd input
    // are libyaml's.
    if matches!((&src, &parsed), (Cow::Owned(_), _) | (_, Cow::Owned(_))) {
        // The input itself is not read again (a mapped one's pages can go).
        crate::input::start_over(input);
    }
    if let Ok(docs) = run(&text, &mut Fast::new(&parsed)) {
        return Ok(docs);
    }
    // Feed libyaml 64 KiB at a time: given the whole slice it would decode all of it at once
    // into a buffer of `char`s, four bytes per input byte.
    let mut reader =
        std::io::BufReader::with_capacity(64 * 1024, crate::input::Reader::new(parsed.as_bytes()));
    run(&text, &mut Libyaml::new(&mut reader))
}

/// Where every line of the text being loaded starts, to find the line of a byte offset and
/// the text of a line: 4 bytes a line, in an allocation of exactly their number (for a file
/// of short `key: value` lines an offset is a seventh of its line, and a vector grown by
/// doubling would hold up to twice that while the tree is being built).
struct LineStarts(Vec<u32>);

impl LineStarts {
    /// The line starts of `src`; input of 4 GiB or more is refused (its tree would take
    /// several times that).
    fn new(src: &str) -> Result<LineStarts> {
        if src.len() >= u32::MAX as usize {
            return Err(Error::new(
                Code::CouldNotReadInputFile,
                "Error unmarshaling input YAML: input of 4 GiB or more is not supported",
            ));
        }
        let breaks = memchr::memchr_iter(b'\n', src.as_bytes()).count();
        let mut starts = Vec::with_capacity(breaks + 1);
        starts.push(0);
        // Every offset fits: the text is shorter than `u32::MAX`.
        starts.extend(memchr::memchr_iter(b'\n', src.as_bytes()).map(|i| (i + 1) as u32));
        Ok(LineStarts(starts))
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    /// The byte offset where line `line` (from 0) starts.
    fn get(&self, line: usize) -> Option<usize> {
        self.0.get(line).map(|&s| s as usize)
    }

    /// The line (from 0) of byte offset `index`.
    fn line_of(&self, index: usize) -> u64 {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        match self.0.binary_search(&index) {
            Ok(i) => i as u64,
            Err(i) => i.saturating_sub(1) as u64,
        }
    }
}

/// The text of a YAML input as the loader reads it: UTF-8 checked, a leading byte order
/// mark dropped, CRLF line breaks made LF.
pub(super) fn normalize(input: &[u8]) -> Result<Cow<'_, str>> {
    let src = std::str::from_utf8(input).map_err(|e| {
        let upto = &input[..e.valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() as u64;
        let col = upto.iter().rev().take_while(|&&b| b != b'\n').count() as u64;
        read_err(line, col, "invalid UTF-8")
    })?;
    // A leading byte order mark is not content (go-yaml's reader drops it too).
    let src = src.strip_prefix('\u{FEFF}').unwrap_or(src);
    // A CRLF is one line break (go-yaml reads it so), but libyaml-safer reads one inside a
    // block scalar as two. Reading the text with LF breaks gives go-yaml's values and keeps
    // line numbers.
    Ok(if memchr::memmem::find(src.as_bytes(), b"\r\n").is_some() {
        Cow::Owned(src.replace("\r\n", "\n"))
    } else {
        Cow::Borrowed(src)
    })
}

/// The text the event sources parse: libyaml-safer can run past the end of input that lacks
/// a final line break (and panic), so one is added (the loader gives block scalars ending
/// there back their missing break).
pub(super) fn with_final_break(src: &str) -> Cow<'_, str> {
    if src.is_empty() || src.ends_with(['\n', '\r']) {
        Cow::Borrowed(src)
    } else {
        Cow::Owned(format!("{src}\n"))
    }
}

/// The text being loaded, as `load_docs` prepared it.
struct Text<'s> {
    /// UTF-8, LF line breaks, no byte order mark.
    src: &'s str,
    line_starts: &'s LineStarts,
    /// Size of the input as given (for the alias budget).
    input_len: usize,
    /// Whether `src` lacks a final line break (the sources read it with one added).
    ends_open: bool,
}

/// Loads the documents of `text` from its parse `events`.
fn run(text: &Text, events: &mut impl EventSource) -> Result<Vec<Map>> {
    let src = text.src;
    let ends_open = text.ends_open;
    let mut ld = Loader {
        src,
        line_starts: text.line_starts,
        stack: Vec::new(),
        anchors: HashMap::new(),
        budget: Budget::new(text.input_len),
        flow_depth: 0,
        block_depth: 0,
        pending: Vec::new(),
        last_entry: None,
        content_seen: false,
        last_flow: None,
        explicit_start: None,
        after_explicit_end: false,
        to_previous: Vec::new(),
        foot: Vec::new(),
        after_first: Vec::new(),
        previous_foot: 0,
    };
    let mut docs: Vec<Map> = Vec::new();
    let mut last_run: Vec<String> = Vec::new();
    let mut root: Option<Node> = None;
    let mut prev_end = 0usize;
    loop {
        let mut ev = match events.next_event() {
            Ok(ev) => ev,
            Err(Halt::Error(e)) => return Err(e),
            Err(Halt::Panicked) => {
                return Err(read_err(ld.line_of(prev_end), 0, "unexpected end of input"))
            }
            // Never shown: the caller reads the input again with libyaml.
            Err(Halt::Unsupported) => {
                return Err(Error::new(
                    Code::CouldNotReadInputFile,
                    "outside the fast YAML reader's subset",
                ))
            }
        };
        if ends_open {
            if let EventData::Scalar { style, value, .. } = &mut ev.data {
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                if block && ev.end.index as usize > src.len() && value.ends_with('\n') {
                    value.pop();
                }
            }
        }
        let start = (ev.start.index as usize).min(src.len());
        let (line, col) = (ev.start.line, ev.start.column);
        // The run of full-line comments since the last content: at a document's end, its foot.
        let closes = matches!(
            ev.data,
            EventData::MappingEnd | EventData::SequenceEnd | EventData::DocumentEnd { .. }
        );
        if !closes {
            last_run.clear();
        }
        if start > prev_end {
            let comments = ld.comments_in(prev_end, start);
            if closes && !comments.is_empty() {
                let mut from = comments.len();
                while from > 0
                    && !comments[from - 1].inline
                    && (from == comments.len()
                        || comments[from - 1].line + 1 == comments[from].line)
                {
                    from -= 1;
                }
                last_run = comments[from..].iter().map(|c| c.text.clone()).collect();
            }
            if !comments.is_empty() {
                let next = Next {
                    col: match ev.data {
                        EventData::DocumentEnd { .. } | EventData::StreamEnd => 0,
                        _ => col,
                    },
                    opens_block: matches!(
                        ev.data,
                        EventData::SequenceStart {
                            style: SequenceStyle::Block,
                            ..
                        } | EventData::MappingStart {
                            style: MappingStyle::Block,
                            ..
                        }
                    ),
                };
                ld.place_comments(comments, next);
                if !ld.to_previous.is_empty() {
                    match docs.last_mut() {
                        Some(doc) => {
                            doc.truncate(doc.len() - std::mem::take(&mut ld.previous_foot));
                            doc.extend(ld.to_previous.drain(..).map(|c| Item::Comment(c.into())));
                        }
                        // No document before this one: heads here, unless comments came
                        // before its `---`; then they follow its first entry.
                        None if !ld.pending.is_empty() => {
                            ld.after_first.append(&mut ld.to_previous)
                        }
                        None => ld.pending.append(&mut ld.to_previous),
                    }
                }
            }
        }
        // Only scalars own their text: comments may sit inside the span of a collection start
        // (between an anchor on the key's line and the first entry).
        let owns_text = matches!(ev.data, EventData::Scalar { .. } | EventData::Alias { .. });
        let end = if owns_text {
            (ev.end.index as usize).min(src.len())
        } else {
            start
        };
        prev_end = prev_end.max(end);
        let block_col = ev.end.column;
        let closed_flow = ld.last_flow.take();
        match ev.data {
            EventData::StreamStart { .. } => {}
            EventData::StreamEnd => break,
            EventData::DocumentStart { implicit, .. } => {
                ld.explicit_start = (!implicit).then_some(line);
                root = None;
                ld.content_seen = false;
                ld.anchors.clear();
                ld.budget.start_document();
                ld.last_entry = None;
            }
            EventData::DocumentEnd { implicit } => {
                ld.after_explicit_end = !implicit;
                let mut doc = match root.take() {
                    Some(Node::Map(m)) => m,
                    None | Some(Node::Scalar(Scalar::Null)) => Map::new(),
                    Some(Node::List(_)) => {
                        return Err(read_err(
                            line,
                            col,
                            "YAML documents that are sequences are not supported",
                        ))
                    }
                    Some(_) => {
                        return Err(read_err(
                            line,
                            col,
                            "YAML documents that are values are not supported",
                        ))
                    }
                };
                // Comments still waiting (after a blank line at the end) close the document.
                doc.extend(ld.pending.drain(..).map(|c| Item::Comment(c.into())));
                doc.extend(ld.foot.drain(..).map(|c| Item::Comment(c.into())));
                if !ld.after_first.is_empty() {
                    let at = doc
                        .iter()
                        .position(|item| matches!(item, Item::Pair(..)))
                        .map_or(doc.len(), |i| i + 1);
                    doc.splice(
                        at..at,
                        ld.after_first.drain(..).map(|c| Item::Comment(c.into())),
                    );
                }
                let ends_with_run = doc.len() >= last_run.len()
                    && doc[doc.len() - last_run.len()..]
                        .iter()
                        .zip(&last_run)
                        .all(|(item, text)| matches!(item, Item::Comment(c) if c == text));
                ld.previous_foot = if ends_with_run { last_run.len() } else { 0 };
                last_run.clear();
                docs.push(doc);
            }
            EventData::Alias { anchor } => {
                ld.entry_starts();
                let Some((node, cost)) = ld.anchors.get(&anchor) else {
                    return Err(read_err(
                        line,
                        col,
                        format!("unknown anchor '{anchor}' referenced"),
                    ));
                };
                let cost = *cost;
                // Counted before the copy is made, so a bomb never gets to allocate.
                ld.budget.alias(cost).map_err(|m| read_err(line, col, m))?;
                if ld.stack.len() + cost.height > MAX_TREE_DEPTH {
                    return Err(read_err(line, col, limits::too_deep(MAX_TREE_DEPTH)));
                }
                let node = node.clone();
                if let Some(n) = ld.add_value(node, Cost::alias(cost), line, col)? {
                    root = Some(n);
                }
            }
            EventData::Scalar {
                anchor,
                tag,
                value,
                style,
                ..
            } => {
                ld.entry_starts();
                ld.budget.node();
                let cost = Cost::scalar(value.len());
                let node = ld.scalar_node(tag.as_deref(), value, style, line, col)?;
                ld.register_anchor(anchor, &node, cost);
                if let Some(n) = ld.add_value(node, cost, line, col)? {
                    root = Some(n);
                }
            }
            EventData::SequenceStart { anchor, style, .. } => {
                ld.entry_starts();
                let flow = style == SequenceStyle::Flow;
                let frame = Frame::Seq {
                    items: Vec::new(),
                    // The column of its `-` (also for a sequence not indented under its key).
                    col,
                    anchor,
                    flow,
                    cost: Cost::collection(),
                };
                ld.open(frame, line, col)?;
            }
            EventData::MappingStart { anchor, style, .. } => {
                ld.entry_starts();
                let flow = style == MappingStyle::Flow;
                let frame = Frame::Map {
                    items: Map::new(),
                    col: if flow { col } else { block_col },
                    anchor,
                    key: None,
                    seen: FastSet::default(),
                    flow,
                    cost: Cost::collection(),
                };
                ld.open(frame, line, col)?;
            }
            EventData::SequenceEnd | EventData::MappingEnd => {
                let Some(frame) = ld.close() else {
                    continue;
                };
                let (node, anchor, flow, cost) = match frame {
                    Frame::Map {
                        items,
                        anchor,
                        flow,
                        cost,
                        ..
                    } => (Node::Map(items), anchor, flow, cost),
                    Frame::Seq {
                        items,
                        anchor,
                        flow,
                        cost,
                        ..
                    } => (Node::List(items), anchor, flow, cost),
                };
                ld.register_anchor(anchor, &node, cost);
                // The entry holding this block is now the last one started.
                let depth = ld.stack.len();
                ld.last_entry = match ld.stack.last() {
                    Some(Frame::Map {
                        key: Some((_, idx)),
                        ..
                    }) => Some((depth - 1, *idx as usize)),
                    Some(f @ Frame::Seq { .. }) => Some((depth - 1, f.len())),
                    _ => None,
                };
                let holder = ld.last_entry;
                if let Some(n) = ld.add_value(node, cost, line, col)? {
                    root = Some(n);
                }
                // An inline comment right after a flow collection is its line comment, which
                // sops puts first inside that collection.
                if flow {
                    ld.last_flow = holder.map(|(d, i)| (d, i, 0));
                }
            }
        }
        let _ = closed_flow;
    }
    Ok(docs)
}
