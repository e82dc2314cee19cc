//! Where the loader's parse events come from.
//!
//! The loader (`parse.rs`) reads a stream of libyaml events. Two sources give them:
//! libyaml-safer's parser, which reads all of YAML, and the fast scanner (`fast.rs`), which
//! reads only the block subset that sops and secret write and gives up on anything else.
//! Both give the same events with the same marks for what the fast one reads.

use crate::error::{Code, Error};
use libyaml_safer::{EventData, Mark, Parser};

/// One parse event and where it sits in the text.
///
/// The loader reads the start mark of every event (index, line and column), the end index of
/// scalars and aliases and the end column of mapping starts; a source must get those right.
#[derive(Debug, PartialEq)]
pub(super) struct Event {
    pub data: EventData,
    pub start: Mark,
    pub end: Mark,
}

/// Why a source gives no event.
#[derive(Debug)]
pub(super) enum Halt {
    /// The text is not YAML: the error to report.
    Error(Error),
    /// libyaml-safer panicked (it can run past the end of some inputs); the loader knows
    /// where it was and reports it.
    Panicked,
    /// The fast scanner met something outside its subset: read the input with libyaml.
    Unsupported,
}

/// A stream of parse events; the first is `StreamStart`, the last `StreamEnd`.
pub(super) trait EventSource {
    /// The next event.
    fn next_event(&mut self) -> Result<Event, Halt>;
}

/// The error for a YAML text that does not parse, as sops words it.
pub(super) fn read_err(line: u64, col: u64, msg: impl std::fmt::Display) -> Error {
    Error::new(
        Code::CouldNotReadInputFile,
        format!(
            "Error unmarshaling input YAML: yaml: line {}, column {}: {msg}",
            line + 1,
            col + 1
        ),
    )
}

/// libyaml-safer's event parser over a reader of UTF-8 text.
pub(super) struct Libyaml<'r> {
    parser: Parser<'r>,
}

impl<'r> Libyaml<'r> {
    /// A parser of `input`, which must be UTF-8.
    pub fn new(input: &'r mut dyn std::io::BufRead) -> Libyaml<'r> {
        let mut parser = Parser::new();
        // The input is known to be UTF-8; libyaml-safer's own sniffing misreads any text that
        // starts with byte 0xEF (e.g. U+FFFC) as a broken byte order mark.
        parser.set_encoding(libyaml_safer::Encoding::Utf8);
        parser.set_input(input);
        Libyaml { parser }
    }
}

impl EventSource for Libyaml<'_> {
    fn next_event(&mut self) -> Result<Event, Halt> {
        let parser = &mut self.parser;
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse()))
            .map_err(|_| Halt::Panicked)?;
        let ev = parsed.map_err(|e| {
            let m = e.problem_mark().unwrap_or_default();
            let msg = match e.context() {
                Some(c) if !c.is_empty() => format!("{} {}", e.problem(), c),
                _ => e.problem().to_string(),
            };
            Halt::Error(read_err(m.line, m.column, msg))
        })?;
        let libyaml_safer::Event {
            data,
            start_mark,
            end_mark,
            ..
        } = ev;
        Ok(Event {
            data,
            start: start_mark,
            end: end_mark,
        })
    }
}

/// A mark at byte `index`, 0-based `line` and `column` (in characters).
pub(super) fn mark(index: usize, line: u64, column: u64) -> Mark {
    let mut m = Mark::default();
    m.index = index as u64;
    m.line = line;
    m.column = column;
    m
}
