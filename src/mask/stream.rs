//! Masking secret values in a byte stream (`exec-env`/`exec-file --mask-output`): every
//! occurrence of a secret value, or of its base64 or URL-encoded form, in a child's output is
//! replaced by [`MASK`] as the output flows through.
//!
//! Unlike the tree masking of the parent module, nothing here knows where a value sits: the
//! output is opaque bytes, searched with one Aho-Corasick automaton over every form of every
//! value (leftmost-longest: of overlapping secrets, the one starting first wins, then the
//! longest). A read may end inside a secret, so the masker holds back the end of what it has
//! seen while that end could still begin a secret (at most the longest form's length minus
//! one bytes), and passes everything else on at once, which keeps interactive output live.
//!
//! With a thousand secrets nearly every byte can begin some form, so an unanchored automaton
//! has no byte it can skip and pays a transition per byte through a table of megabytes.
//! Instead bit tables over hashes of pieces of every form ([`StartFilter`]) rule out whole
//! blocks of positions with one look-up and nearly every remaining position with another,
//! and only the rest are tried with an anchored search; scanning positions left to right and taking the longest form at
//! the first position that has one is exactly leftmost-longest matching.

use super::MASK;
use crate::error::{Code, Error, Result};
use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, Input, MatchKind, StartKind};
use base64::Engine;
use std::io::{self, Read, Write};
use std::ops::Range;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Values shorter than this are not masked: they would mask ordinary words and numbers.
pub const MIN_SECRET_LEN: usize = 4;

/// The forms of the secret values to look for, compiled once and shared by every stream.
pub struct Secrets {
    /// Anchored only: which form, if any, begins at a position the filter let through.
    automaton: AhoCorasick,
    /// Rules out nearly every position where no form begins.
    filter: StartFilter,
    /// The forms, sorted and without repeats: finds whether bytes begin some form.
    sorted: Vec<Zeroizing<Vec<u8>>>,
    /// Which bytes begin some form (a quick no for most positions).
    starts: [bool; 256],
    /// Length of the longest form.
    longest: usize,
}

impl Secrets {
    /// Compiles the forms of `values` (values under [`MIN_SECRET_LEN`] bytes are left out):
    /// each value as it is, in base64 (standard and URL-safe alphabets; `=` padding left
    /// as it is) and URL-encoded (`%XX`, upper or lower case hex, and form-encoded with `+`
    /// for spaces).
    /// Fails only when the automaton would exceed its size limits (gigabytes of values).
    pub fn new<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Result<Secrets> {
        let mut forms: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        for value in values.into_iter().filter(|v| v.len() >= MIN_SECRET_LEN) {
            forms.push(Zeroizing::new(value.to_vec()));
            forms.extend(encoded_forms(value).into_iter().map(Zeroizing::new));
        }
        forms.sort_by(|a, b| a.as_slice().cmp(b.as_slice()));
        forms.dedup_by(|a, b| a.as_slice() == b.as_slice());
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            // Only anchored searches: the automaton is the trie of the forms, with no failure
            // transitions to compute. A contiguous NFA builds in a fraction of a DFA's time
            // (paid by every run) and the filter leaves it few positions to try.
            .start_kind(StartKind::Anchored)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(forms.iter().map(|f| f.as_slice()))
            .map_err(|e| {
                Error::new(
                    Code::Generic,
                    format!("cannot prepare the masking of the secret values: {e}"),
                )
            })?;
        let mut starts = [false; 256];
        for f in &forms {
            starts[usize::from(f[0])] = true;
        }
        Ok(Secrets {
            automaton,
            filter: StartFilter::new(&forms),
            longest: forms.iter().map(|f| f.len()).max().unwrap_or(0),
            sorted: forms,
            starts,
        })
    }

    /// Whether there is nothing to mask.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// How many forms are searched for.
    pub fn forms(&self) -> usize {
        self.sorted.len()
    }

    /// `input` with every secret masked, all at once (what a stream gives in the end).
    pub fn mask_all(&self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len());
        let mut done = 0;
        for m in self.find_iter(input) {
            out.extend_from_slice(&input[done..m.start]);
            out.extend_from_slice(MASK.as_bytes());
            done = m.end;
        }
        out.extend_from_slice(&input[done..]);
        out
    }

    /// Where forms occur in `haystack`, leftmost-longest and without overlaps.
    fn find_iter<'a>(&'a self, haystack: &'a [u8]) -> impl Iterator<Item = Range<usize>> + 'a {
        let mut at = 0;
        std::iter::from_fn(move || {
            let m = self.find_at(haystack, at)?;
            at = m.end;
            Some(m)
        })
    }

    /// The leftmost-longest form in `haystack` at or after `from`.
    fn find_at(&self, haystack: &[u8], from: usize) -> Option<Range<usize>> {
        let mut at = from;
        while let Some(p) = self.filter.next_candidate(haystack, at) {
            let input = Input::new(haystack).range(p..).anchored(Anchored::Yes);
            // Cannot fail: the automaton was built for anchored searches.
            if let Ok(Some(m)) = self.automaton.try_find(input) {
                return Some(m.range());
            }
            at = p + 1;
        }
        None
    }

    /// Whether `rest` (the end of what was read) is the beginning of a longer form, so that
    /// more input could turn it into a secret.
    fn could_grow(&self, rest: &[u8]) -> bool {
        if !self.starts[usize::from(rest[0])] {
            return false;
        }
        // Forms that begin with `rest` sort right after it (or right after `rest` itself).
        let at = self.sorted.partition_point(|f| f.as_slice() < rest);
        let at = match self.sorted.get(at) {
            Some(f) if f.as_slice() == rest => at + 1,
            _ => at,
        };
        self.sorted.get(at).is_some_and(|f| f.starts_with(rest))
    }
}

/// Where forms may begin, in two stages. Every form is at least `shortest` bytes long.
///
/// - `starts` holds the first `window` bytes of every form (`window` = `shortest`, at most
///   8): a position whose next `window` bytes are not in it begins no form.
/// - When forms are long enough, `grams` holds the [`GRAM`]-byte pieces of every form at
///   offsets `0..stride` (`stride` = `shortest - GRAM + 1`, at most [`MAX_STRIDE`]). A form
///   beginning in `x..x + stride` covers the piece at `x + stride - 1` at one of those
///   offsets, so a block of `stride` positions whose last piece is not in `grams` begins no
///   form: one look-up rules out a whole block, and only the rare block that passes is
///   checked position by position.
struct StartFilter {
    window: usize,
    starts: HashBits,
    stride: usize,
    grams: HashBits,
}

/// The length of the pieces of the block stage.
const GRAM: usize = 4;
/// The longest block: its table takes `MAX_STRIDE` entries per form.
const MAX_STRIDE: usize = 8;

impl StartFilter {
    /// The filter for `forms` (each at least [`MIN_SECRET_LEN`] bytes long).
    fn new(forms: &[Zeroizing<Vec<u8>>]) -> StartFilter {
        let shortest = forms.iter().map(|f| f.len()).min().unwrap_or(8);
        let window = shortest.min(8);
        let stride = (shortest + 1).saturating_sub(GRAM).clamp(1, MAX_STRIDE);
        let mut starts = HashBits::new(forms.len());
        // One stage is enough when a block is a single position.
        let mut grams = HashBits::new(if stride > 1 { forms.len() * stride } else { 0 });
        for form in forms {
            starts.insert(load(form, 0, window));
            if stride > 1 {
                (0..stride).for_each(|at| grams.insert(load(form, at, GRAM)));
            }
        }
        StartFilter {
            window,
            starts,
            stride,
            grams,
        }
    }

    #[inline(always)]
    fn may_start(&self, h: &[u8], p: usize) -> bool {
        self.starts.contains(load(h, p, self.window))
    }

    /// The first position at or after `from` where a form may begin.
    fn next_candidate(&self, h: &[u8], from: usize) -> Option<usize> {
        // Where a form could still fit (forms are at least `window` bytes long).
        let last = h.len().checked_sub(self.window)?;
        let mut at = from;
        if self.stride > 1 {
            // Whole blocks whose last piece fits in `h`.
            while at + self.stride - 1 + GRAM <= h.len() {
                let end = at + self.stride;
                if self.grams.contains(load(h, end - 1, GRAM)) {
                    if let Some(p) = (at..end).find(|&p| p <= last && self.may_start(h, p)) {
                        return Some(p);
                    }
                }
                at = end;
            }
        }
        (at..=last).find(|&p| self.may_start(h, p))
    }
}

/// The `n` bytes (at most 8) of `h` at `p` as a number; `p + n` must be within `h`.
#[inline(always)]
fn load(h: &[u8], p: usize, n: usize) -> u64 {
    let keep = u64::MAX >> (64 - 8 * n);
    match h.get(p..p + 8) {
        Some(eight) => u64::from_le_bytes(eight.try_into().expect("8 bytes")) & keep,
        None => {
            let mut eight = [0u8; 8];
            eight[..n].copy_from_slice(&h[p..p + n]);
            u64::from_le_bytes(eight)
        }
    }
}

/// A set of numbers as bits of a table indexed by a multiplicative hash: no false
/// negatives; with 64 bits per entry, about 1 in 60 other numbers is taken for a member.
struct HashBits {
    /// `64 - log2(table bits)`: the index is the top bits of the hash.
    shift: u32,
    bits: Vec<u64>,
}

/// Table bits per entry, and the table's bounds (512 bytes to 512 KiB).
const BITS_PER_ENTRY: usize = 64;
const MIN_LOG2: u32 = 12;
const MAX_LOG2: u32 = 22;

impl HashBits {
    /// A table sized for `entries` numbers.
    fn new(entries: usize) -> HashBits {
        let log2 = (entries * BITS_PER_ENTRY)
            .next_power_of_two()
            .trailing_zeros()
            .clamp(MIN_LOG2, MAX_LOG2);
        HashBits {
            shift: 64 - log2,
            bits: vec![0; (1 << log2) / 64],
        }
    }

    #[inline(always)]
    fn slot(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    fn insert(&mut self, key: u64) {
        let slot = self.slot(key);
        self.bits[slot / 64] |= 1 << (slot % 64);
    }

    #[inline(always)]
    fn contains(&self, key: u64) -> bool {
        let slot = self.slot(key);
        self.bits[slot / 64] & (1 << (slot % 64)) != 0
    }
}

/// The base64 and URL-encoded forms of `value` that differ from it.
fn encoded_forms(value: &[u8]) -> Vec<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    // Without `=` padding only: the padded form begins with it, so masking the unpadded
    // one masks all of the secret either way (the padding shows, and tells nothing).
    let mut forms: Vec<Vec<u8>> = [STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .map(|engine| engine.encode(value).into_bytes())
        .collect();
    forms.push(percent_encoded(value, b"0123456789ABCDEF", false));
    forms.push(percent_encoded(value, b"0123456789abcdef", false));
    forms.push(percent_encoded(value, b"0123456789ABCDEF", true));
    forms.retain(|f| f.as_slice() != value && f.len() >= MIN_SECRET_LEN);
    forms
}

/// `value` URL-encoded: bytes other than `A-Z a-z 0-9 - . _ ~` as `%XX` with the given hex
/// digits; with `form`, spaces as `+` (HTML form encoding).
fn percent_encoded(value: &[u8], hex: &[u8; 16], form: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() * 3);
    for &b in value {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b),
            b' ' if form => out.push(b'+'),
            _ => out.extend_from_slice(&[b'%', hex[usize::from(b >> 4)], hex[usize::from(b & 15)]]),
        }
    }
    out
}

/// One output stream being masked: feed it what is read, write out what it gives back.
pub struct StreamMasker {
    secrets: Arc<Secrets>,
    /// Read but not given back yet: the end that could still begin a secret.
    pending: Zeroizing<Vec<u8>>,
}

impl StreamMasker {
    /// A stream masking `secrets`.
    pub fn new(secrets: Arc<Secrets>) -> StreamMasker {
        StreamMasker {
            secrets,
            pending: Zeroizing::new(Vec::new()),
        }
    }

    /// Takes `chunk` (the next bytes read) and appends to `out` everything that is now known
    /// to be masked right; holds back the end that could still begin a secret.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        self.pending.extend_from_slice(chunk);
        self.release(false, out);
    }

    /// At the end of the stream: appends to `out` what was held back.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.release(true, out);
    }

    /// How many bytes are held back.
    pub fn held(&self) -> usize {
        self.pending.len()
    }

    /// Gives back the pending bytes up to the first position where a secret could still
    /// begin (all of them at the end of the stream), secrets masked.
    fn release(&mut self, end: bool, out: &mut Vec<u8>) {
        let cut = if end {
            self.pending.len()
        } else {
            self.undecided()
        };
        let mut done = 0;
        for m in self.secrets.find_iter(self.pending.as_slice()) {
            // A match before `cut` is final: every form that could start there fits in what
            // was read, so none longer can start there later.
            if m.start >= cut {
                break;
            }
            out.extend_from_slice(&self.pending[done..m.start]);
            out.extend_from_slice(MASK.as_bytes());
            done = m.end;
        }
        let given = cut.max(done);
        out.extend_from_slice(&self.pending[done..given]);
        self.pending.drain(..given);
    }

    /// The first position of the pending bytes from which they could still grow into a
    /// secret (their length when none): only the last `longest - 1` positions can.
    fn undecided(&self) -> usize {
        let len = self.pending.len();
        let from = len.saturating_sub(self.secrets.longest.saturating_sub(1));
        (from..len)
            .find(|&p| self.secrets.could_grow(&self.pending[p..]))
            .unwrap_or(len)
    }
}

/// Copies `from` to `to` until the end of `from`, masking on the way; every read is written
/// out (and flushed) at once, less what is held back. Stops at the first failed write (the
/// reader went away), so that the writer of `from` sees its pipe closed as it would without
/// masking.
pub fn pump(mut from: impl Read, mut to: impl Write, mut masker: StreamMasker) -> io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Zeroizing::new(Vec::with_capacity(buf.len()));
    loop {
        let n = match from.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            masker.finish(&mut out);
        } else {
            masker.feed(&buf[..n], &mut out);
        }
        to.write_all(&out)?;
        to.flush()?;
        out.clear();
        if n == 0 {
            return Ok(());
        }
    }
}

/// The GitHub Actions workflow commands that register `values` as secrets with the runner
/// (`::add-mask::VALUE`), so that it masks them in the job's log too. A value spanning
/// several lines is registered line by line, as GitHub asks; `%`, CR and LF are escaped as
/// workflow commands require.
pub fn github_add_mask(values: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for value in values.iter().filter(|v| v.len() >= MIN_SECRET_LEN) {
        for line in value.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            out.extend_from_slice(b"::add-mask::");
            for &b in line {
                match b {
                    b'%' => out.extend_from_slice(b"%25"),
                    b'\r' => out.extend_from_slice(b"%0D"),
                    _ => out.push(b),
                }
            }
            out.push(b'\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secrets(values: &[&str]) -> Arc<Secrets> {
        Arc::new(Secrets::new(values.iter().map(|v| v.as_bytes())).unwrap())
    }

    /// Feeds `input` in pieces of the given sizes (cycled), returns the whole output and the
    /// output after each piece.
    fn streamed(secrets: &Arc<Secrets>, input: &[u8], sizes: &[usize]) -> (Vec<u8>, Vec<Vec<u8>>) {
        let mut masker = StreamMasker::new(secrets.clone());
        let (mut out, mut steps) = (Vec::new(), Vec::new());
        let mut rest = input;
        for &size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (piece, tail) = rest.split_at(size.clamp(1, rest.len()));
            masker.feed(piece, &mut out);
            steps.push(out.clone());
            rest = tail;
        }
        masker.finish(&mut out);
        (out, steps)
    }

    #[test]
    fn a_value_split_across_reads_is_masked() {
        let s = secrets(&["hunter22"]);
        let (out, steps) = streamed(&s, b"pw=hunter22!\n", &[5, 3, 100]);
        assert_eq!(out, b"pw=*****!\n");
        // "pw=hu": "hu" could begin the secret, so only "pw=" is out after the first read.
        assert_eq!(steps[0], b"pw=");
        assert_eq!(steps[1], b"pw=");
    }

    #[test]
    fn overlapping_secrets_longest_wins() {
        let s = secrets(&["abcd", "abcdefgh", "efghij"]);
        assert_eq!(s.mask_all(b"xabcdefghijx"), b"x*****ijx");
        let (out, _) = streamed(&s, b"xabcdefghijx", &[1]);
        assert_eq!(out, b"x*****ijx");
        // The shorter one alone when the longer does not follow.
        assert_eq!(streamed(&s, b"abcdefgX", &[2]).0, b"*****efgX");
    }

    #[test]
    fn encoded_forms_are_masked() {
        let s = secrets(&["p@ss word/1"]);
        let b64 = base64::engine::general_purpose::STANDARD.encode("p@ss word/1");
        let text = format!("{b64} p%40ss%20word%2F1 p%40ss+word%2f1 p%40ss+word%2F1 ok");
        // The base64 form's `=` padding is left: it tells nothing.
        assert_eq!(
            s.mask_all(text.as_bytes()),
            b"*****= ***** p%40ss+word%2f1 ***** ok"
        );
    }

    #[test]
    fn short_values_and_unrelated_text_pass_unchanged() {
        let s = secrets(&["abc", "", "longer-secret"]);
        assert_eq!(s.mask_all(b"abc abc"), b"abc abc");
        let binary: Vec<u8> = (0..=255u8).cycle().take(2000).collect();
        assert_eq!(streamed(&s, &binary, &[7]).0, binary);
        assert!(Secrets::new(std::iter::empty()).unwrap().is_empty());
    }

    #[test]
    fn only_a_possible_secret_start_is_held_back() {
        let s = secrets(&["0123456789"]);
        let mut m = StreamMasker::new(s);
        let mut out = Vec::new();
        m.feed(b"Password: ", &mut out);
        assert_eq!(out, b"Password: ", "interactive prompts pass at once");
        m.feed(b"x0123", &mut out);
        assert_eq!(m.held(), 4);
        m.feed(b"4567890123456789", &mut out);
        // Both copies are whole secrets that no longer form could extend: out at once.
        assert_eq!(out, b"Password: x**********");
        assert_eq!(m.held(), 0);
        m.feed(b"012345678", &mut out);
        assert_eq!(m.held(), 9);
        m.finish(&mut out);
        assert_eq!(out, b"Password: x**********012345678");
    }

    #[test]
    fn forms_at_the_very_end_and_of_every_length_are_found() {
        // Window 4 (the shortest form), longer forms, a form ending at the last byte and one
        // shorter than 8 bytes in a haystack shorter than 8 bytes.
        let s = secrets(&["abcd", "0123456789abcdef"]);
        assert_eq!(s.mask_all(b"abcd"), b"*****");
        assert_eq!(s.mask_all(b"xabc"), b"xabc");
        assert_eq!(s.mask_all(b"x0123456789abcdef"), b"x*****");
        assert_eq!(s.mask_all(b"0123456789abcXabcd"), b"0123456789abcX*****");
        let long = secrets(&["0123456789abcdef"]);
        assert_eq!(long.filter.window, 8);
        assert_eq!(long.mask_all(b"..0123456789abcdef"), b"..*****");
        assert_eq!(long.mask_all(b"..0123456789abcde"), b"..0123456789abcde");
    }

    #[test]
    fn github_commands_escape_and_split_lines() {
        let out = github_add_mask(&[b"a%b\r\nline-two\n", b"abc"]);
        assert_eq!(out, b"::add-mask::a%25b\n::add-mask::line-two\n");
    }

    #[test]
    fn pump_masks_until_the_end_and_flushes_the_held_back_part() {
        let s = secrets(&["topsecret"]);
        let input: &[u8] = b"a topsecret b topsec";
        let mut out = Vec::new();
        pump(input, &mut out, StreamMasker::new(s)).unwrap();
        assert_eq!(out, b"a ***** b topsec");
    }

    /// The filtered anchored search finds what a plain leftmost-longest search does.
    fn assert_found_like_a_plain_search(s: &Secrets, input: &[u8]) {
        let reference = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(s.sorted.iter().map(|f| f.as_slice()))
            .unwrap();
        let expected: Vec<Range<usize>> = reference.find_iter(input).map(|m| m.range()).collect();
        assert_eq!(s.find_iter(input).collect::<Vec<_>>(), expected);
    }

    proptest! {
        #[test]
        fn long_forms_are_found_block_by_block(
            values in prop::collection::vec("[ab/+ =]{6,16}", 1..6),
            input in prop::collection::vec(prop::sample::select(b"ab/+ =%2FYW".to_vec()), 0..300),
        ) {
            let s = Secrets::new(values.iter().map(|v| v.as_bytes())).unwrap();
            prop_assert!(s.filter.stride > 1);
            // Every value once at the start, in the middle and at the very end.
            let mut text = input.clone();
            for v in &values {
                text.splice(0..0, v.bytes());
                text.splice(text.len() / 2..text.len() / 2, v.bytes());
                text.extend_from_slice(v.as_bytes());
            }
            assert_found_like_a_plain_search(&s, &text);
        }

        #[test]
        fn any_chunking_gives_the_same_output(
            values in prop::collection::vec("[ab/+ =]{1,9}", 1..6),
            input in prop::collection::vec(prop::sample::select(b"ab/+ =%2FYW".to_vec()), 0..200),
            sizes in prop::collection::vec(1usize..20, 1..8),
        ) {
            let s = Arc::new(Secrets::new(values.iter().map(|v| v.as_bytes())).unwrap());
            let (out, steps) = streamed(&s, &input, &sizes);
            prop_assert_eq!(&out, &s.mask_all(&input));
            assert_found_like_a_plain_search(&s, &input);
            // What was given back is never taken back: no byte of a secret went out before
            // it was known not to be one.
            for step in &steps {
                prop_assert!(out.starts_with(step));
            }
            // Never more held back than the longest form minus one.
            let mut m = StreamMasker::new(s.clone());
            let mut sink = Vec::new();
            for b in &input {
                m.feed(std::slice::from_ref(b), &mut sink);
                prop_assert!(m.held() < s.longest.max(1));
            }
        }
    }
}
