//! Printing the tree exactly as sops 3.11 prints it through go-yaml v3.
//!
//! sops turns the tree into `yaml.Node`s (comments become head comments of the next key or
//! item, trailing ones the foot of the last key or item) and go-yaml's emitter prints them.
//! This module rebuilds the same event stream and runs a faithful re-implementation of the
//! emitter's state machine over it, so indentation, comment placement and quoting follow the
//! same (sometimes surprising) rules.

use super::resolve::can_use_plain;
use crate::format::seal::LeafSeal;
use crate::numfmt::yaml_float;
use crate::tree::{Item, Map, Node, Scalar};
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// One emitter event, as go-yaml's encoder would produce it from sops' nodes.
#[derive(Debug)]
enum Ev<'a> {
    DocStart,
    DocEnd,
    /// `outer`: head comments from the enclosing list, printed before the collection's own.
    MapStart {
        head: String,
        outer: String,
    },
    MapEnd {
        tail: String,
        foot: String,
    },
    SeqStart {
        head: String,
        outer: String,
    },
    SeqEnd {
        foot: String,
    },
    Scalar(ScalarEv<'a>),
}

#[derive(Debug)]
struct ScalarEv<'a> {
    value: Cow<'a, str>,
    analysis: Analysis,
    /// The style go-yaml's node carries (what `Node.Encode` produced).
    style: Style,
    /// `!!merge`, the only tag sops' output ever shows.
    merge: bool,
    head: String,
    foot: String,
}

/// What go-yaml's emitter learns about a scalar before choosing its style.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Analysis {
    multiline: bool,
    flow_plain_allowed: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// go-yaml's `is_printable` (on UTF-8 it accepts LF, printable ASCII, and the BMP from U+00A0
/// except surrogates, U+FEFF, U+FFFE and U+FFFF; nothing beyond the BMP).
fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

/// Whether `c`, as a scalar's first character, is a flow indicator and a block indicator
/// for go-yaml (`followed_by_ws`: a blank, a break or the end comes next).
fn first_char_indicators(c: char, followed_by_ws: bool) -> (bool, bool) {
    match c {
        '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
        | '@' | '`' => (true, true),
        '?' | ':' => (true, followed_by_ws),
        '-' if followed_by_ws => (true, true),
        _ => (false, false),
    }
}

/// [`analyze`]'s answer for the commonest scalars, printable ASCII without spaces (keys,
/// numbers, every `ENC[...]` value), in two passes over the bytes that the compiler
/// vectorizes; `None` for any other string. Without blanks or breaks, a `:` only counts at
/// the end, a `#` never after the first byte, and nothing makes the scalar multi-line or
/// unquotable.
fn analyze_unspaced_ascii(value: &str) -> Option<Analysis> {
    let bytes = value.as_bytes();
    let (&first, rest) = bytes.split_first()?;
    let graphic = bytes
        .iter()
        .fold(true, |ok, &b| ok & (b.wrapping_sub(0x21) < 0x5E));
    if !graphic {
        return None;
    }
    let flow_in_rest = rest.iter().fold(false, |found, &b| {
        found | matches!(b, b',' | b'?' | b'[' | b']' | b'{' | b'}' | b':')
    });
    let (mut flow_ind, mut block_ind) = first_char_indicators(char::from(first), rest.is_empty());
    flow_ind |= flow_in_rest;
    block_ind |= rest.last() == Some(&b':');
    if value.starts_with("---") || value.starts_with("...") {
        flow_ind = true;
        block_ind = true;
    }
    Some(Analysis {
        multiline: false,
        flow_plain_allowed: !flow_ind,
        block_plain_allowed: !block_ind,
        single_quoted_allowed: true,
        block_allowed: true,
    })
}

fn analyze(value: &str) -> Analysis {
    if let Some(analysis) = analyze_unspaced_ascii(value) {
        return analysis;
    }
    analyze_chars(value)
}

/// go-yaml's `yaml_emitter_analyze_scalar`, a character at a time.
fn analyze_chars(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            block_plain_allowed: true,
            single_quoted_allowed: true,
            ..Analysis::default()
        };
    }
    let (mut block_ind, mut flow_ind) = (false, false);
    if value.starts_with("---") || value.starts_with("...") {
        block_ind = true;
        flow_ind = true;
    }
    let (mut line_breaks, mut special, mut tabs) = (false, false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_by_ws = true;
    let mut chars = value.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let followed_by_ws = match next {
            None => true,
            Some(n) => is_blank(n) || is_break(n),
        };
        let last = next.is_none();
        if first {
            let (flow, block) = first_char_indicators(c, followed_by_ws);
            flow_ind |= flow;
            block_ind |= block;
        } else {
            match c {
                ',' | '?' | '[' | ']' | '{' | '}' => flow_ind = true,
                ':' => {
                    flow_ind = true;
                    if followed_by_ws {
                        block_ind = true;
                    }
                }
                '#' if preceded_by_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        }
        if c == '\t' {
            tabs = true;
        } else if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if first {
                leading_space = true;
            }
            if last {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if first {
                leading_break = true;
            }
            if last {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = is_blank(c) || is_break(c);
        first = false;
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain_allowed: true,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || tabs || special {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_allowed = false;
    }
    if line_breaks {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if flow_ind {
        a.flow_plain_allowed = false;
    }
    if block_ind {
        a.block_plain_allowed = false;
    }
    a
}

/// go-yaml's `yaml_emitter_select_scalar_style` (no tags but `!!merge`, never canonical).
fn select_style(
    requested: Style,
    a: &Analysis,
    empty: bool,
    simple_key: bool,
    flow_level: i32,
) -> Style {
    let mut style = requested;
    if simple_key && a.multiline {
        style = Style::Double;
    }
    if style == Style::Plain {
        if (flow_level > 0 && !a.flow_plain_allowed) || (flow_level == 0 && !a.block_plain_allowed)
        {
            style = Style::Single;
        }
        if empty && (flow_level > 0 || simple_key) {
            style = Style::Single;
        }
    }
    if style == Style::Single && !a.single_quoted_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || flow_level > 0 || simple_key) {
        style = Style::Double;
    }
    style
}

/// Whether sops' `Node.Encode` of this string fails: go-yaml prints it as a literal block whose
/// first line starts with a tab, and its own scanner then refuses that ("found a tab character
/// where an indentation space is expected"). sops ignores the error and keeps an empty node,
/// which prints as `null`.
#[cfg(test)]
pub(super) fn encode_fails(s: &str) -> bool {
    s.starts_with('\t') && string_node_style(s, &analyze(s)) == Style::Literal
}

/// The style a string ends up with in sops' `yaml.Node`: go-yaml's encoder asks for literal
/// (multi-line), plain (if it reads back as a string) or double quotes, and the emitter, printing
/// the value alone as a document, may downgrade that; the node keeps what was printed.
fn string_node_style(s: &str, a: &Analysis) -> Style {
    let requested = if s.contains('\n') {
        Style::Literal
    } else if can_use_plain(s) {
        Style::Plain
    } else {
        Style::Double
    };
    select_style(requested, a, s.is_empty(), false, 0)
}

fn join_comments(comments: &[Cow<str>]) -> String {
    let mut s = String::new();
    for (i, c) in comments.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push('#');
        s.push_str(c);
    }
    s
}

/// Prepends `comments` to an existing head comment (sops' `addCommentsHead`).
fn add_head(existing: &mut String, comments: &[Cow<str>]) {
    if comments.is_empty() {
        return;
    }
    let c = join_comments(comments);
    if existing.is_empty() {
        *existing = c;
    } else {
        *existing = format!("{c}\n{existing}");
    }
}

/// Appends `comments` to an existing foot comment (sops' `addCommentsFoot`).
fn add_foot(existing: &mut String, comments: &[Cow<str>]) {
    if comments.is_empty() {
        return;
    }
    let c = join_comments(comments);
    if existing.is_empty() {
        *existing = c;
    } else {
        existing.push('\n');
        existing.push_str(&c);
    }
}

/// Events held back before the oldest are run through the emitter: the builder still changes
/// the last two (a collection's start when its first key arrives, a key's head, the last
/// item's foot), and the emitter looks one event ahead.
const KEEP: usize = 4;

/// Events gathered before a batch is run through the emitter (in tests one, so that every
/// printing test runs the emitter as close behind the builder as it can be).
const BATCH: usize = if cfg!(test) { 1 } else { 1024 };

/// Printed text gathered before it goes to the writer (tiny in tests, for the same reason).
const OUT_CHUNK: usize = if cfg!(test) { 7 } else { 64 * 1024 };

/// Builds go-yaml events from the tree the way sops' store builds nodes and go-yaml's
/// encoder walks them, and runs them through the emitter as it goes: only a few events and
/// (with a writer) a chunk of text are held at a time, not a copy of the whole document.
struct EventBuilder<'a, 'w> {
    /// Events not yet emitted; `events[0]` is event number `base` of the stream.
    events: Vec<Ev<'a>>,
    base: usize,
    /// Head comments from the enclosing list for the next node's first event.
    outer: String,
    emitter: Emitter,
    /// Where printed text goes; `None` keeps all of it in the emitter's buffer.
    sink: Option<&'w mut dyn std::io::Write>,
    /// The writer's first error: nothing more is written after it.
    error: Option<std::io::Error>,
    /// Gives the text of each leaf as it is printed (encryption), if any.
    seal: Option<&'w mut dyn LeafSeal>,
}

impl<'a, 'w> EventBuilder<'a, 'w> {
    fn new(indent: usize, sink: Option<&'w mut dyn std::io::Write>) -> Self {
        EventBuilder {
            events: Vec::with_capacity(BATCH + KEEP),
            base: 0,
            outer: String::new(),
            emitter: Emitter::new(indent),
            sink,
            error: None,
            seal: None,
        }
    }

    /// Tells the sealer, if any, where the printing is.
    fn tell(&mut self, f: impl FnOnce(&mut (dyn LeafSeal + 'w))) {
        if let Some(seal) = self.seal.as_deref_mut() {
            f(seal);
        }
    }

    /// The sealer's text for a leaf (`None`: no sealer, or the leaf stays as it is).
    fn ask(
        &mut self,
        f: impl FnOnce(&mut (dyn LeafSeal + 'w)) -> Option<String>,
    ) -> Option<String> {
        self.seal.as_deref_mut().and_then(f)
    }

    /// The number the next event gets.
    fn next_index(&self) -> usize {
        self.base + self.events.len()
    }

    /// Event number `i`, if it is still held.
    fn at(&mut self, i: usize) -> Option<&mut Ev<'a>> {
        self.events.get_mut(i.checked_sub(self.base)?)
    }

    fn push(&mut self, mut ev: Ev<'a>) {
        if !self.outer.is_empty() {
            match &mut ev {
                Ev::Scalar(s) => s.head = std::mem::take(&mut self.outer),
                Ev::MapStart { outer, .. } | Ev::SeqStart { outer, .. } => {
                    *outer = std::mem::take(&mut self.outer)
                }
                _ => {}
            }
        }
        self.events.push(ev);
        if self.events.len() >= BATCH + KEEP {
            self.emit_held(KEEP);
        }
    }

    /// Runs all held events but the last `keep` through the emitter.
    fn emit_held(&mut self, keep: usize) {
        let n = self.events.len().saturating_sub(keep);
        for i in 0..n {
            self.emitter.analyze_event(&self.events[i]);
            self.emitter.step(&self.events, i);
        }
        self.events.drain(..n);
        self.base += n;
        self.write_out(false);
    }

    /// Hands the printed text to the writer once there is a chunk of it (or `all` of it).
    fn write_out(&mut self, all: bool) {
        if let Some(sink) = self.sink.as_mut() {
            if all || self.emitter.out.len() >= OUT_CHUNK {
                if self.error.is_none() {
                    self.error = sink.write_all(self.emitter.out.as_bytes()).err();
                }
                self.emitter.out.clear();
            }
        }
    }

    /// Emits what is held; the text not yet written.
    fn finish(mut self) -> std::io::Result<String> {
        self.emit_held(0);
        self.write_out(true);
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(std::mem::take(&mut self.emitter.out)),
        }
    }

    fn scalar(&mut self, s: &'a Scalar) {
        if let Some(sealed) = self.ask(|seal| seal.scalar(s)) {
            return self.text(Cow::Owned(sealed));
        }
        let value: Cow<'a, str> = match s {
            Scalar::Str(v) => return self.string(v),
            Scalar::Bytes(b) => String::from_utf8_lossy(b),
            Scalar::Int(i) => Cow::Owned(i.to_string()),
            Scalar::Float(f) => Cow::Owned(yaml_float(*f)),
            Scalar::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Scalar::Time(t) => Cow::Borrowed(t.as_str()),
            Scalar::Null => Cow::Borrowed("null"),
        };
        if let Scalar::Bytes(_) = s {
            self.text(value);
        } else {
            let analysis = analyze(&value);
            self.push_scalar(value, analysis, Style::Plain, false);
        }
    }

    fn string(&mut self, s: &'a str) {
        self.text(Cow::Borrowed(s));
    }

    /// A string scalar, styled as sops' `Node.Encode` leaves it.
    fn text(&mut self, v: Cow<'a, str>) {
        let analysis = analyze(&v);
        let style = string_node_style(&v, &analysis);
        if style == Style::Literal && v.starts_with('\t') {
            // See `encode_fails`.
            return self.push_scalar(Cow::Borrowed("null"), analyze("null"), Style::Plain, false);
        }
        let merge = v == "<<";
        self.push_scalar(v, analysis, style, merge);
    }

    fn push_scalar(&mut self, value: Cow<'a, str>, analysis: Analysis, style: Style, merge: bool) {
        self.push(Ev::Scalar(ScalarEv {
            value,
            analysis,
            style,
            merge,
            head: String::new(),
            foot: String::new(),
        }));
    }

    /// A comment's text as it is printed: the sealer's, if it gives one.
    fn comment(&mut self, c: &'a str) -> Cow<'a, str> {
        match self.ask(|seal| seal.comment(c)) {
            Some(sealed) => Cow::Owned(sealed),
            None => Cow::Borrowed(c),
        }
    }

    /// Emits a node.
    fn node(&mut self, n: &'a Node) {
        match n {
            Node::Map(m) => self.map(m, None),
            Node::List(l) => self.list(l),
            Node::Scalar(s) => self.scalar(s),
            // A comment where a value belongs: print its text as a string.
            Node::Comment(c) => match self.ask(|seal| seal.comment(c)) {
                Some(sealed) => self.text(Cow::Owned(sealed)),
                None => self.string(c),
            },
        }
    }

    fn map(&mut self, m: &'a Map, extra: Option<(&'a str, &'a Map)>) {
        let mut comments: Vec<Cow<'a, str>> = Vec::new();
        self.tell(|seal| seal.open());
        let start = self.next_index();
        self.push(Ev::MapStart {
            head: String::new(),
            outer: String::new(),
        });
        let mut beginning = true;
        let mut last_key: Option<usize> = None;
        let mut pair = |this: &mut Self, comments: &mut Vec<Cow<'a, str>>, key_ev: usize| {
            if beginning {
                if let Some(Ev::MapStart { head, .. }) = this.at(start) {
                    add_head(head, comments);
                }
                comments.clear();
                beginning = false;
            }
            if let Some(Ev::Scalar(k)) = this.at(key_ev) {
                add_head(&mut k.head, comments);
            }
            comments.clear();
        };
        for item in m {
            match item {
                Item::Comment(c) => comments.push(self.comment(c)),
                Item::Pair(k, v) => {
                    let key_ev = self.next_index();
                    self.string(k);
                    pair(self, &mut comments, key_ev);
                    last_key = Some(key_ev);
                    self.tell(|seal| seal.enter_key(k));
                    self.node(v);
                    self.tell(|seal| seal.leave_key());
                }
            }
        }
        self.tell(|seal| seal.close());
        if let Some((k, meta)) = extra {
            let key_ev = self.next_index();
            self.string(k);
            pair(self, &mut comments, key_ev);
            last_key = Some(key_ev);
            // The metadata is printed as it is.
            let seal = self.seal.take();
            self.map(meta, None);
            self.seal = seal;
        }
        // Trailing comments: the mapping's head if it has no keys, else the last key's foot,
        // which go-yaml's encoder hands to the mapping end as its tail.
        let mut tail = String::new();
        if !comments.is_empty() {
            if beginning {
                if let Some(Ev::MapStart { head, .. }) = self.at(start) {
                    add_head(head, &comments);
                }
            } else if last_key.is_some() {
                add_foot(&mut tail, &comments);
            }
        }
        self.push(Ev::MapEnd {
            tail,
            foot: String::new(),
        });
    }

    fn list(&mut self, l: &'a [Node]) {
        let mut comments: Vec<Cow<'a, str>> = Vec::new();
        self.tell(|seal| seal.open());
        let start = self.next_index();
        self.push(Ev::SeqStart {
            head: String::new(),
            outer: String::new(),
        });
        let mut beginning = true;
        for (i, item) in l.iter().enumerate() {
            // An encrypted comment is an element (as in sops).
            let mut sealed_comment = None;
            if let Node::Comment(c) = item {
                match self.comment(c) {
                    Cow::Owned(sealed) if !sealed.is_empty() => sealed_comment = Some(sealed),
                    c => {
                        comments.push(c);
                        continue;
                    }
                }
            }
            if beginning {
                if let Some(Ev::SeqStart { head, .. }) = self.at(start) {
                    add_head(head, &comments);
                }
                comments.clear();
                beginning = false;
            }
            // The item's head, given to its first event as it is made (the item may be
            // emitted before it is complete).
            add_head(&mut self.outer, &comments);
            comments.clear();
            match sealed_comment {
                Some(sealed) => self.text(Cow::Owned(sealed)),
                None => {
                    self.tell(|seal| seal.enter_index(i));
                    self.node(item);
                    self.tell(|seal| seal.leave_index());
                }
            }
        }
        self.tell(|seal| seal.close());
        if !comments.is_empty() {
            if beginning {
                if let Some(Ev::SeqStart { head, .. }) = self.at(start) {
                    add_head(head, &comments);
                }
            } else {
                // The last item's foot: on a scalar itself, on a collection its end event;
                // either way the last event made.
                match self.events.last_mut() {
                    Some(Ev::Scalar(s)) => add_foot(&mut s.foot, &comments),
                    Some(Ev::MapEnd { foot, .. } | Ev::SeqEnd { foot }) => {
                        add_foot(foot, &comments)
                    }
                    _ => {}
                }
            }
        }
        self.push(Ev::SeqEnd {
            foot: String::new(),
        });
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    StreamStart,
    FirstDocStart,
    DocStart,
    DocContent,
    DocEnd,
    FlowSeqFirst,
    FlowMapFirst,
    BlockSeqFirst,
    BlockSeqItem,
    BlockMapFirstKey,
    BlockMapKey,
    BlockMapSimpleValue,
    BlockMapValue,
    End,
}

/// The emitter proper: go-yaml's `yaml_emitter_t` state, printing into `out`.
struct Emitter {
    out: String,
    best_indent: i32,
    state: State,
    states: Vec<State>,
    indent: i32,
    indents: Vec<i32>,
    flow_level: i32,
    root_context: bool,
    simple_key_context: bool,
    column: i32,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
    foot_indent: i32,
    head_comment: String,
    foot_comment: String,
    tail_comment: String,
    analysis: Analysis,
    style: Style,
}

impl Emitter {
    fn new(indent: usize) -> Self {
        let best_indent = if (2..=9).contains(&indent) {
            indent as i32
        } else {
            2
        };
        Emitter {
            out: String::new(),
            best_indent,
            state: State::StreamStart,
            states: Vec::with_capacity(16),
            indent: -1,
            indents: Vec::with_capacity(16),
            flow_level: 0,
            root_context: false,
            simple_key_context: false,
            column: 0,
            whitespace: true,
            indention: true,
            open_ended: false,
            foot_indent: -1,
            head_comment: String::new(),
            foot_comment: String::new(),
            tail_comment: String::new(),
            analysis: Analysis::default(),
            style: Style::Plain,
        }
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
        self.indention = true;
    }

    fn write_str(&mut self, s: &str) {
        for c in s.chars() {
            self.put(c);
        }
    }

    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
            self.indention = true;
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        if self.foot_indent == indent {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.foot_indent = -1;
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        self.write_str(ind);
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
        self.open_ended = false;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { self.best_indent } else { 0 };
        } else if !indentless {
            if self.states.last() == Some(&State::BlockSeqItem) {
                // The first level inside a sequence item only skips the "- ".
                self.indent += 2;
            } else {
                let b = self.best_indent;
                self.indent = b * ((self.indent + b) / b);
            }
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn pop_state(&mut self) {
        self.state = self.states.pop().unwrap_or(State::End);
    }

    fn write_comment(&mut self, comment: &str) {
        let mut breaks = false;
        let mut pound = false;
        for c in comment.chars() {
            if is_break(c) {
                self.write_break(c);
                breaks = true;
                pound = false;
            } else {
                if breaks {
                    self.write_indent();
                }
                if !pound {
                    if c != '#' {
                        self.put('#');
                        self.put(' ');
                    }
                    pound = true;
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
        if !breaks {
            self.put_break();
        }
        self.whitespace = true;
    }

    fn process_head_comment(&mut self) {
        if !self.tail_comment.is_empty() {
            self.write_indent();
            let t = std::mem::take(&mut self.tail_comment);
            self.write_comment(&t);
            self.foot_indent = self.indent.max(0);
        }
        if self.head_comment.is_empty() {
            return;
        }
        self.write_indent();
        let h = std::mem::take(&mut self.head_comment);
        self.write_comment(&h);
    }

    fn process_line_comment(&mut self, linebreak: bool) {
        // sops never sets line comments, so only the line break part remains.
        if linebreak {
            self.put_break();
        }
    }

    fn process_foot_comment(&mut self) {
        if self.foot_comment.is_empty() {
            return;
        }
        self.write_indent();
        let f = std::mem::take(&mut self.foot_comment);
        self.write_comment(&f);
        self.foot_indent = self.indent.max(0);
    }

    fn analyze_event(&mut self, ev: &Ev) {
        let (head, tail, foot): (&str, &str, &str) = match ev {
            Ev::MapStart { head, outer } | Ev::SeqStart { head, outer } if !outer.is_empty() => {
                // As sops' `addCommentsHead` puts the list's comments before the node's own.
                self.head_comment = match head.is_empty() {
                    true => outer.clone(),
                    false => format!("{outer}\n{head}"),
                };
                return;
            }
            Ev::MapStart { head, .. } | Ev::SeqStart { head, .. } => (head, "", ""),
            Ev::MapEnd { tail, foot } => ("", tail, foot),
            Ev::SeqEnd { foot } => ("", "", foot),
            Ev::Scalar(s) => (&s.head, "", &s.foot),
            Ev::DocStart | Ev::DocEnd => ("", "", ""),
        };
        if !head.is_empty() {
            self.head_comment = head.to_string();
        }
        if !foot.is_empty() {
            self.foot_comment = foot.to_string();
        }
        if !tail.is_empty() {
            self.tail_comment = tail.to_string();
        }
        if let Ev::Scalar(s) = ev {
            self.analysis = s.analysis;
        }
    }

    fn step(&mut self, events: &[Ev], i: usize) {
        let ev = &events[i];
        match self.state {
            State::StreamStart => {
                self.indent = -1;
                self.column = 0;
                self.whitespace = true;
                self.indention = true;
                self.foot_indent = -1;
                self.state = State::FirstDocStart;
                self.step(events, i);
            }
            State::FirstDocStart | State::DocStart => {
                let first = self.state == State::FirstDocStart;
                if matches!(ev, Ev::DocStart) {
                    if !first {
                        self.write_indent();
                        self.write_indicator("---", true, false, false);
                        self.write_indent();
                    }
                    self.state = State::DocContent;
                } else {
                    self.state = State::End;
                }
            }
            State::DocContent => {
                self.states.push(State::DocEnd);
                self.process_head_comment();
                self.emit_node(events, i, true, false);
                self.process_line_comment(false);
                self.process_foot_comment();
            }
            State::DocEnd => {
                self.foot_indent = 0;
                self.process_foot_comment();
                self.foot_indent = -1;
                self.write_indent();
                self.state = State::DocStart;
            }
            State::FlowSeqFirst => {
                // Only empty sequences are printed in flow style.
                self.write_indicator("[", true, true, false);
                self.increase_indent(true, false);
                self.flow_level += 1;
                self.flow_level -= 1;
                self.pop_indent();
                if self.column == 0 {
                    self.write_indent();
                }
                self.write_indicator("]", false, false, false);
                self.process_line_comment(false);
                self.process_foot_comment();
                self.pop_state();
            }
            State::FlowMapFirst => {
                // Only empty mappings are printed in flow style.
                self.write_indicator("{", true, true, false);
                self.increase_indent(true, false);
                self.flow_level += 1;
                self.process_head_comment();
                self.flow_level -= 1;
                self.pop_indent();
                self.write_indicator("}", false, false, false);
                self.process_line_comment(false);
                self.process_foot_comment();
                self.pop_state();
            }
            State::BlockSeqFirst | State::BlockSeqItem => {
                if self.state == State::BlockSeqFirst {
                    self.increase_indent(false, false);
                }
                if matches!(ev, Ev::SeqEnd { .. }) {
                    self.pop_indent();
                    self.pop_state();
                    return;
                }
                self.process_head_comment();
                self.write_indent();
                self.write_indicator("-", true, false, true);
                self.states.push(State::BlockSeqItem);
                self.emit_node(events, i, false, false);
                self.process_line_comment(false);
                self.process_foot_comment();
            }
            State::BlockMapFirstKey | State::BlockMapKey => {
                if self.state == State::BlockMapFirstKey {
                    self.increase_indent(false, false);
                }
                self.process_head_comment();
                if matches!(ev, Ev::MapEnd { .. }) {
                    self.pop_indent();
                    self.pop_state();
                    return;
                }
                self.write_indent();
                if self.check_simple_key(ev) {
                    self.states.push(State::BlockMapSimpleValue);
                    self.emit_node(events, i, false, true);
                } else {
                    self.write_indicator("?", true, false, true);
                    self.states.push(State::BlockMapValue);
                    self.emit_node(events, i, false, false);
                }
            }
            State::BlockMapSimpleValue | State::BlockMapValue => {
                if self.state == State::BlockMapSimpleValue {
                    self.write_indicator(":", false, false, false);
                } else {
                    self.write_indent();
                    self.write_indicator(":", true, false, true);
                }
                self.states.push(State::BlockMapKey);
                self.emit_node(events, i, false, false);
                self.process_line_comment(false);
                self.process_foot_comment();
            }
            State::End => {}
        }
    }

    fn check_simple_key(&self, ev: &Ev) -> bool {
        match ev {
            Ev::Scalar(s) => {
                if self.analysis.multiline {
                    return false;
                }
                let tag = if s.merge { "!!merge".len() } else { 0 };
                tag + s.value.len() <= 128
            }
            _ => false,
        }
    }

    fn emit_node(&mut self, events: &[Ev], i: usize, root: bool, simple_key: bool) {
        self.root_context = root;
        self.simple_key_context = simple_key;
        match &events[i] {
            Ev::Scalar(s) => self.emit_scalar(s),
            Ev::SeqStart { .. } => {
                let empty = matches!(events.get(i + 1), Some(Ev::SeqEnd { .. }));
                self.state = if self.flow_level > 0 || empty {
                    State::FlowSeqFirst
                } else {
                    State::BlockSeqFirst
                };
            }
            Ev::MapStart { .. } => {
                let empty = matches!(events.get(i + 1), Some(Ev::MapEnd { .. }));
                self.state = if self.flow_level > 0 || empty {
                    State::FlowMapFirst
                } else {
                    State::BlockMapFirstKey
                };
            }
            _ => {}
        }
    }

    fn emit_scalar(&mut self, s: &ScalarEv) {
        self.style = select_style(
            s.style,
            &self.analysis,
            s.value.is_empty(),
            self.simple_key_context,
            self.flow_level,
        );
        if s.merge {
            if !self.whitespace {
                self.put(' ');
            }
            self.write_str("!!merge");
            self.whitespace = false;
            self.indention = false;
        }
        self.increase_indent(true, false);
        let allow_breaks = !self.simple_key_context;
        match self.style {
            Style::Plain => self.write_plain(&s.value),
            Style::Single => self.write_single(&s.value, allow_breaks),
            Style::Double => self.write_double(&s.value),
            Style::Literal => self.write_literal(&s.value),
        }
        self.pop_indent();
        self.pop_state();
    }

    fn write_plain(&mut self, value: &str) {
        if !value.is_empty() && !self.whitespace {
            self.put(' ');
        }
        // Plain style is only chosen for text without line breaks, so it goes out as is.
        self.out.push_str(value);
        self.column += value.chars().count() as i32;
        if !value.is_empty() {
            self.whitespace = false;
        }
        self.indention = false;
        if self.root_context {
            self.open_ended = true;
        }
    }

    fn write_single(&mut self, value: &str, _allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let mut breaks = false;
        for c in value.chars() {
            if c == ' ' {
                self.put(c);
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, value: &str) {
        self.write_indicator("\"", true, false, false);
        // go-yaml checks for a byte order mark at the start of the whole value, not at each
        // character, so a leading BOM makes it escape every character.
        let bom = value.starts_with('\u{FEFF}');
        for c in value.chars() {
            if !is_printable(c) || bom || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                let named = match c {
                    '\0' => Some('0'),
                    '\u{7}' => Some('a'),
                    '\u{8}' => Some('b'),
                    '\t' => Some('t'),
                    '\n' => Some('n'),
                    '\u{b}' => Some('v'),
                    '\u{c}' => Some('f'),
                    '\r' => Some('r'),
                    '\u{1b}' => Some('e'),
                    '"' => Some('"'),
                    '\\' => Some('\\'),
                    '\u{85}' => Some('N'),
                    '\u{a0}' => Some('_'),
                    '\u{2028}' => Some('L'),
                    '\u{2029}' => Some('P'),
                    _ => None,
                };
                match named {
                    Some(n) => self.put(n),
                    None => {
                        let v = c as u32;
                        let (letter, width) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(letter);
                        for k in (0..width).rev() {
                            let d = (v >> (k * 4)) & 0xF;
                            let ch = std::char::from_digit(d, 16)
                                .unwrap_or('0')
                                .to_ascii_uppercase();
                            self.put(ch);
                        }
                    }
                }
            } else {
                self.put(c);
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &str) {
        self.write_indicator("|", true, false, false);
        // Block scalar hints: an indentation indicator when the text starts with a space or a
        // line break, then the chomping indicator.
        if value.starts_with(' ') || value.chars().next().is_some_and(is_break) {
            let digit = char::from_digit(self.best_indent as u32, 10).unwrap_or('4');
            let mut b = [0u8; 4];
            self.write_indicator(digit.encode_utf8(&mut b), false, false, false);
        }
        self.open_ended = false;
        let mut rev = value.chars().rev();
        let chomp = match rev.next() {
            None => Some("-"),
            Some(last) if !is_break(last) => Some("-"),
            Some(_) => match rev.next() {
                None => Some("+"),
                Some(prev) if is_break(prev) => Some("+"),
                Some(_) => None,
            },
        };
        if let Some(ch) = chomp {
            if ch == "+" {
                self.open_ended = true;
            }
            self.write_indicator(ch, false, false, false);
        }
        self.process_line_comment(true);
        self.whitespace = true;
        let mut breaks = true;
        for c in value.chars() {
            if is_break(c) {
                self.write_break(c);
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

/// Rough output size, so the output buffer is allocated once.
fn estimate(m: &Map) -> usize {
    fn node(n: &Node) -> usize {
        match n {
            Node::Map(m) => estimate(m),
            Node::List(l) => l.iter().map(node).sum::<usize>() + 8,
            Node::Scalar(Scalar::Str(s)) => s.len() + 12,
            Node::Comment(s) => s.len() + 12,
            Node::Scalar(Scalar::Bytes(b)) => b.len() + 12,
            Node::Scalar(_) => 24,
        }
    }
    m.iter()
        .map(|i| match i {
            Item::Pair(k, v) => k.len() + 8 + node(v),
            Item::Comment(c) => c.len() + 8,
        })
        .sum()
}

/// Prints documents as sops does; `metadata` becomes a final `sops` key in every document.
/// With a writer the text goes there in chunks and the result is empty; without one the
/// whole text is returned. With `seal`, each leaf is printed as it gives it.
pub fn emit_docs<'w>(
    docs: &[Map],
    metadata: Option<&Map>,
    indent: usize,
    sink: Option<&'w mut dyn std::io::Write>,
    seal: Option<&'w mut dyn LeafSeal>,
) -> std::io::Result<String> {
    let size = match sink {
        Some(_) => OUT_CHUNK,
        None => {
            docs.iter().map(estimate).sum::<usize>()
                + metadata.map_or(0, |m| (estimate(m) + 16) * docs.len())
        }
    };
    let mut b = EventBuilder::new(indent, sink);
    b.seal = seal;
    // Room for one chunk more than is written at once, so the buffer grows once.
    b.emitter.out.reserve(size + 1024);
    for doc in docs {
        b.push(Ev::DocStart);
        b.map(doc, metadata.map(|m| ("sops", m)));
        b.push(Ev::DocEnd);
    }
    b.finish()
}

/// Prints one value as go-yaml's `Marshal` prints a lone node (sops' `EmitValue`).
pub fn emit_value(value: &Node) -> String {
    // yaml.Marshal always uses go-yaml's default indentation of 4.
    let mut b = EventBuilder::new(4, None);
    b.push(Ev::DocStart);
    b.node(value);
    b.push(Ev::DocEnd);
    b.finish().unwrap_or_default()
}

#[cfg(test)]
mod analysis_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sops_values_and_plain_keys_take_the_fast_path() {
        let enc = "ENC[AES256_GCM,data:3q2+7w==,iv:AAAA,tag:BBBB,type:str]";
        let fast = analyze_unspaced_ascii(enc).expect("printable ASCII without spaces");
        assert_eq!(fast, analyze_chars(enc));
        assert!(!fast.flow_plain_allowed && fast.block_plain_allowed);
        assert_eq!(analyze_unspaced_ascii("a b"), None);
        assert_eq!(analyze_unspaced_ascii("é"), None);
        assert_eq!(analyze_unspaced_ascii(""), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        /// Wherever the fast path answers, it answers as go-yaml's full analysis does.
        #[test]
        fn the_fast_path_agrees_with_the_full_analysis(
            s in "[-a-z0-9:#?,\\[\\]{}&*!|>'\"%@`. \t\n\u{7f}\u{1}]{0,8}"
        ) {
            if let Some(fast) = analyze_unspaced_ascii(&s) {
                prop_assert_eq!(fast, analyze_chars(&s), "{:?}", s);
            }
        }
    }
}
