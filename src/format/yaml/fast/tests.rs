//! The fast scanner against libyaml-safer: on every input it gives exactly libyaml's events
//! (data and marks), or says the input is outside its subset.

use super::*;
use crate::format::yaml::emit::emit_docs;
use crate::format::yaml::events::Libyaml;
use crate::format::yaml::parse::{load_docs, normalize, with_final_break};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};

/// The events a source gives up to the end of the stream, or why it stopped.
fn events(source: &mut impl EventSource) -> Result<Vec<Event>, Halt> {
    let mut out = Vec::new();
    loop {
        let ev = source.next_event()?;
        let last = matches!(ev.data, EventData::StreamEnd);
        out.push(ev);
        if last {
            return Ok(out);
        }
    }
}

/// Runs both sources on `input` as the loader would; panics where they disagree. Returns
/// whether the fast scanner read it.
fn compare(input: &[u8]) -> bool {
    let Ok(src) = normalize(input) else {
        return false;
    };
    let text = with_final_break(&src);
    let fast = events(&mut Fast::new(&text));
    let mut bytes = text.as_bytes();
    let mut reader = std::io::BufReader::with_capacity(64, &mut bytes);
    let slow = events(&mut Libyaml::new(&mut reader));
    match fast {
        Ok(fast) => {
            let slow = slow.unwrap_or_else(|e| {
                panic!("libyaml stops ({e:?}) where the fast scanner reads:\n{text}")
            });
            if let Some(i) = (0..fast.len().max(slow.len())).find(|&i| fast.get(i) != slow.get(i)) {
                panic!(
                    "event {i} differs\n fast: {:?}\n libyaml: {:?}\ninput:\n{text}",
                    fast.get(i),
                    slow.get(i)
                );
            }
            true
        }
        Err(Halt::Unsupported) => false,
        Err(e) => panic!("the fast scanner halted with {e:?}"),
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
}

fn repo_yaml_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    yaml_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"),
        &mut files,
    );
    files.sort();
    files
}

#[test]
fn every_yaml_file_in_the_tests_reads_as_libyaml_reads_it() {
    let files = repo_yaml_files();
    assert!(files.len() >= 30, "only {} YAML files found", files.len());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut fast = Vec::new();
    for path in &files {
        if compare(&std::fs::read(path).unwrap()) {
            fast.push(
                path.strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    // What sops writes for plain secrets takes the fast path.
    for name in [
        "vectors/sops/app.age1.yaml",
        "vectors/sops/app.age12.yaml",
        "vectors/sops/app.shamir.yaml",
        "vectors/plain/app.yaml",
        "vectors/sops/multi.age1.yaml",
        "vectors/expected/app.age1.yaml",
    ] {
        assert!(fast.contains(&name.to_string()), "{name} not read fast");
    }
    assert!(fast.len() * 2 > files.len(), "only {fast:?} read fast");
}

#[test]
fn what_the_emitter_prints_reads_as_libyaml_reads_it() {
    let mut n = 0;
    for path in repo_yaml_files() {
        let Ok(docs) = load_docs(&std::fs::read(&path).unwrap()) else {
            continue;
        };
        for indent in [2, 4] {
            let printed = emit_docs(&docs, None, indent, None, None).unwrap();
            n += usize::from(compare(printed.as_bytes()));
        }
    }
    // The emitter's output of the sops files (tags and anchors gone) is in the subset.
    assert!(n >= 40, "only {n} printed files read fast");
}

#[test]
fn the_subset_is_read_fast() {
    for yaml in [
        "",
        "# only a comment\n",
        "a: 1\n",
        "a: 1",
        "a:\n  b: c\n  d:\n    - 1\n    -  2 # two\n",
        "a:\n- x\n-\n- y: 1\n  z: 2\nb: ~\n",
        "a: 1\r\nb: 2\r\n",
        "k: 'it''s' \n\"q\\\"k\": \"\\t\\x41\\u00e9\\U0001F600\\N\\_\\/\\ \"\n",
        "k: plain with  spaces # and a comment\n",
        "k: a#b:c\nurl: http://x:80/y\nneg: -1\ndots: ...x\n",
        "k: |\n  line 1\n\n  line 3\n\nn: |-\n    x\n     y\n  \n",
        "k: |+\n  kept\n\n\nm: |2-\n    two extra\n",
        "k: |\n",
        "---\na: 1\n---\nb: 2\n",
        "--- # c\n---\na: 1\n",
        "a:\n  - - x\n    - y\n  -   - z\n",
        "a: 1\n  # deeper comment\n# top\nb:\n    # before\n    c: 2\n",
        "é: ü\n\"ключ\": значение # c\n",
        "  a: 1\n  b: 2\n",
        "a:   \n\n\nb:\n",
        "k: >\n  folded\n  text\n\n  more\n   indented\n  end\n",
        "k: >-\n\n  a\n  b\n\n\n",
        "a: []\nb: {} # empty\nc:\n- []\n- {}\n",
        "'a' : 1\n\"b\"  : 2\nc  : 3\nd: \"x\"#c\n",
        "l:\n- # c\n  a: 1\n-\n  - x\n",
        "---\n    a: 1\n---\n---\n",
        "a: 1\n---\n",
        "a: |\n  x",
        "a: >+\n  x\n\n",
        "s:\n  - |2\n     x\n  - >1-\n     y\n",
        "a:\n  - b\n  -\n  - c: |\n      lit\n    d: e\n",
        "a: x\ty  \t # c\nb: |\n  x\n  \ty\n",
        "a: 'x' # c\nb: \"\"\nc: ''\n",
    ] {
        assert!(compare(yaml.as_bytes()), "not read fast:\n{yaml}");
    }
}

#[test]
fn the_rest_is_left_to_libyaml() {
    for yaml in [
        "a: [1, 2]\n",
        "a: {b: 1}\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: multi\n  line\n",
        "a: 'multi\n  line'\n",
        "a: [ ]\n",
        "a: []x\n",
        "[]: 1\n",
        "? a\n: b\n",
        "%YAML 1.1\n---\na: 1\n",
        "a:\t1\n",
        "\ta: 1\n",
        "a: 1\n...\n",
        "- a: 1\n",
        "a: \"\\q\"\n",
        "a: \"\\ud800\"\n",
        "a: b: c\n",
        "- 1\n- 2\n",
        "scalar\n",
        "a: 1\n b: 2\n",
        "a:\n  b: 1\n c: 2\n",
        "a: \u{85}\n",
        "a: \u{feff}x\n",
        "a: \x7f\n",
        "a: |0\n  x\n",
        "a: |\n\t x\n",
    ] {
        assert!(!compare(yaml.as_bytes()), "read fast:\n{yaml}");
    }
}

#[test]
fn long_keys_are_left_to_libyaml() {
    let near = format!("{}: 1\n", "k".repeat(MAX_KEY_SPAN));
    assert!(compare(near.as_bytes()));
    for len in [MAX_KEY_SPAN + 1, 1024, 1025, 1100] {
        let yaml = format!("{}: 1\n", "k".repeat(len));
        assert!(!compare(yaml.as_bytes()), "{len}");
    }
}

#[test]
fn printable_refuses_what_libyaml_refuses_or_breaks_lines_on() {
    assert!(printable(
        "plain ASCII text, long enough for words\n\tand é ü 字 😀".as_bytes()
    ));
    for bad in [
        "\r", "\x00", "\x1b", "\x7f", "\u{85}", "\u{9f}", "\u{2028}", "\u{2029}",
    ] {
        for at in [0, 3, 7, 8, 15] {
            let mut s = "x".repeat(at);
            s.push_str(bad);
            s.push_str("yyyyyyyyyy");
            assert!(!printable(s.as_bytes()), "{bad:?} at {at}");
        }
    }
    for bad in ["\u{feff}", "\u{fffe}", "\u{ffff}"] {
        assert!(!printable(format!("abc{bad}").as_bytes()), "{bad:?}");
    }
}

/// Random block YAML: nested mappings and sequences, keys and values of every style,
/// comments and blank lines, indents of 2 or 4, one to three documents.
struct Gen {
    rng: StdRng,
    indent: usize,
    out: String,
}

const WORDS: &[&str] = &[
    "a",
    "key",
    "x_1",
    "é",
    "字",
    "a b",
    "a:b",
    "a#b",
    "-x",
    "?x",
    ":x",
    "http://h:1/p",
    "1.5",
    "true",
    "~",
    "null",
    "0x1F",
    "2001-12-14",
    "ENC[AES256_GCM,data:AQ==,type:str]",
    "...",
    "---x",
    "a'b",
    "a\"b",
];

impl Gen {
    fn chance(&mut self, percent: u32) -> bool {
        self.rng.gen_range(0..100) < percent
    }

    fn word(&mut self) -> String {
        WORDS[self.rng.gen_range(0..WORDS.len())].to_string()
    }

    /// A one-line scalar of a random style.
    fn scalar(&mut self) -> String {
        let w = self.word();
        match self.rng.gen_range(0..10) {
            0 => format!("'{}'", w.replace('\'', "''")),
            1 => format!("' {w} '"),
            2 => {
                let esc = [
                    "\\n",
                    "\\t",
                    "\\\"",
                    "\\\\",
                    "\\x41",
                    "\\u00e9",
                    "\\U0001F600",
                    "\\/",
                ];
                let e = esc[self.rng.gen_range(0..esc.len())];
                format!("\"{}{e}\"", w.replace(['"', '\\'], ""))
            }
            3 => format!("{w} {}", self.word()),
            4 => String::new(),
            5 => ["[]", "{}"][self.rng.gen_range(0..2)].to_string(),
            _ => w,
        }
    }

    /// A key: a scalar that may not be empty.
    fn key(&mut self) -> String {
        match self.scalar() {
            k if k.is_empty() || k.starts_with(['[', '{']) => "k".into(),
            k => k,
        }
    }

    fn comment(&mut self) -> String {
        format!(" # {}", self.word())
    }

    /// Blank lines and comment lines about column `col`.
    fn filler(&mut self, col: usize) {
        while self.chance(15) {
            if self.chance(50) {
                self.out.push('\n');
            } else {
                let c = col.saturating_sub(2) + self.rng.gen_range(0..5);
                self.out.push_str(&" ".repeat(c));
                let comment = self.comment();
                self.out.push_str(comment.trim_start());
                self.out.push('\n');
            }
        }
    }

    /// The rest of a line after a scalar value: maybe a comment.
    fn end_line(&mut self) {
        if self.chance(20) {
            let c = self.comment();
            self.out.push_str(&c);
        }
        self.out.push('\n');
    }

    /// A block scalar after its indicator's line, content at `col`.
    fn block(&mut self, col: usize) {
        let style = if self.chance(70) { "|" } else { ">" };
        let chomp = ["", "-", "+", "2", "-1", "+2"][self.rng.gen_range(0..6)];
        self.out.push_str(&format!(" {style}{chomp}"));
        self.end_line();
        for _ in 0..self.rng.gen_range(0..4) {
            if self.chance(25) {
                self.out.push('\n');
                continue;
            }
            let extra = if self.chance(15) { 2 } else { 0 };
            let w = self.word();
            self.out
                .push_str(&format!("{}{w}\n", " ".repeat(col + extra)));
        }
    }

    /// A value after `key:` (or `-`), for a node whose children sit at `col`.
    fn value(&mut self, col: usize, depth: usize, key_col: usize) {
        let kind = if depth > 3 {
            0
        } else {
            self.rng.gen_range(0..6)
        };
        match kind {
            0 | 1 => {
                let s = self.scalar();
                if !s.is_empty() {
                    self.out.push(' ');
                    self.out.push_str(&s);
                }
                self.end_line();
            }
            2 => self.block(col),
            3 | 4 => {
                self.end_line();
                self.map(col, depth + 1);
            }
            _ => {
                self.end_line();
                // Sometimes a sequence at its key's column.
                let c = if self.chance(40) { key_col } else { col };
                self.seq(c, depth + 1);
            }
        }
    }

    fn map(&mut self, col: usize, depth: usize) {
        for _ in 0..self.rng.gen_range(1..4) {
            self.filler(col);
            self.out.push_str(&" ".repeat(col));
            self.entry(col, depth);
        }
    }

    /// A key and its value, the key at `col`, the line's indentation already written.
    fn entry(&mut self, col: usize, depth: usize) {
        let k = self.key();
        self.out.push_str(&k);
        self.out.push(':');
        let child = col + self.indent;
        self.value(child, depth, col);
    }

    fn seq(&mut self, col: usize, depth: usize) {
        for _ in 0..self.rng.gen_range(1..4) {
            self.filler(col);
            self.out.push_str(&" ".repeat(col));
            self.out.push('-');
            match self.rng.gen_range(0..4) {
                // `- key: value` with more keys under it.
                0 if depth <= 3 => {
                    self.out.push(' ');
                    self.entry(col + 2, depth + 1);
                    if self.chance(50) {
                        self.out.push_str(&" ".repeat(col + 2));
                        self.entry(col + 2, depth + 1);
                    }
                }
                _ => self.value(col + self.indent, depth, col),
            }
        }
    }

    fn stream(&mut self) -> String {
        let docs = self.rng.gen_range(1..4);
        for d in 0..docs {
            if d > 0 || self.chance(30) {
                self.out.push_str("---");
                self.end_line();
            }
            self.map(0, 0);
            self.filler(0);
        }
        std::mem::take(&mut self.out)
    }
}

/// Random block YAML, sometimes with one character changed to probe near misses.
fn random_yaml(seed: u64) -> String {
    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
        indent: if seed % 2 == 0 { 2 } else { 4 },
        out: String::new(),
    };
    let mut yaml = g.stream();
    if g.chance(30) && !yaml.is_empty() {
        let at = g.rng.gen_range(0..yaml.len());
        if yaml.is_char_boundary(at) {
            let odd = [
                " ", "\t", "-", ":", "#", "'", "\"", "|", ">", "\n", "[", "&", "?", "\\",
            ];
            if g.chance(50) {
                yaml.insert_str(at, odd[g.rng.gen_range(0..odd.len())]);
            } else if let Some(c) = yaml[at..].chars().next() {
                yaml.replace_range(at..at + c.len_utf8(), "");
            }
        }
    }
    yaml
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_block_yaml_reads_as_libyaml_reads_it(seed in any::<u64>()) {
        compare(random_yaml(seed).as_bytes());
    }
}

#[test]
fn the_generator_mostly_stays_in_the_subset() {
    let fast = (0..300)
        .filter(|&s| compare(random_yaml(s).as_bytes()))
        .count();
    assert!(fast > 120, "only {fast} of 300 read fast");
}
