//! Translation of a creation rule's `path_regex` into `.gitattributes` patterns that match
//! exactly the same paths, for `secret git-setup --filter`.
//!
//! Only a small, common subset of regex syntax is understood: literal characters and escaped
//! punctuation, `^` and `$` at the ends, `.*`, `.+`, `[^/]*`, `[^/]+`, groups with
//! alternatives (`(a|b)`, `(?:a|b)`, `(^|/)`) and `?` after a character or a group. Anything
//! else (classes, `\d`, counted repeats, flags, ...) gives `None`: the caller then lists the
//! matching files one by one instead of guessing.

/// One piece of a regex without alternatives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Start,
    End,
    Lit(char),
    /// `.*`: any text, slashes included.
    Star,
    /// `.+`: any non-empty text, slashes included.
    Plus,
    /// `[^/]*`: any text within one path segment.
    SegStar,
    /// `[^/]+`: any non-empty text within one path segment.
    SegPlus,
}

/// More alternatives than this (after expanding groups) are not worth a line each.
const MAX_ALTERNATIVES: usize = 16;

/// The gitattributes patterns (relative to the directory the regex's paths are relative to,
/// anchored with a leading `/` where needed) that together match exactly the paths of files
/// `regex` matches; `None` when the regex uses syntax this translation does not cover.
pub fn globs(regex: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = regex.chars().collect();
    let mut pos = 0;
    let alternatives = parse_alt(&chars, &mut pos)?;
    if pos != chars.len() {
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    for seq in alternatives {
        for glob in seq_globs(&seq)? {
            if !out.contains(&glob) {
                out.push(glob);
            }
        }
    }
    Some(out)
}

/// `seq ('|' seq)*`, each alternative expanded into token sequences.
fn parse_alt(chars: &[char], pos: &mut usize) -> Option<Vec<Vec<Tok>>> {
    let mut all = parse_seq(chars, pos)?;
    while chars.get(*pos) == Some(&'|') {
        *pos += 1;
        all.extend(parse_seq(chars, pos)?);
        if all.len() > MAX_ALTERNATIVES {
            return None;
        }
    }
    Some(all)
}

/// A sequence of atoms up to `|`, `)` or the end: the cross product of their alternatives.
fn parse_seq(chars: &[char], pos: &mut usize) -> Option<Vec<Vec<Tok>>> {
    let mut seqs: Vec<Vec<Tok>> = vec![Vec::new()];
    while let Some(&c) = chars.get(*pos) {
        if c == '|' || c == ')' {
            break;
        }
        let atom = parse_atom(chars, pos)?;
        let mut next = Vec::new();
        for s in &seqs {
            for a in &atom {
                next.push(s.iter().chain(a).copied().collect());
            }
        }
        if next.len() > MAX_ALTERNATIVES {
            return None;
        }
        seqs = next;
    }
    Some(seqs)
}

/// One atom and its quantifier, as the token sequences it can stand for.
fn parse_atom(chars: &[char], pos: &mut usize) -> Option<Vec<Vec<Tok>>> {
    let c = chars[*pos];
    *pos += 1;
    let rest = |n: usize| chars[*pos..].iter().take(n).collect::<String>();
    let atom: Vec<Vec<Tok>> = match c {
        '^' => return Some(vec![vec![Tok::Start]]),
        '$' => return Some(vec![vec![Tok::End]]),
        '.' => {
            let tok = match chars.get(*pos) {
                Some('*') => Tok::Star,
                Some('+') => Tok::Plus,
                _ => return None,
            };
            *pos += 1;
            return Some(vec![vec![tok]]);
        }
        '[' => {
            let tok = match rest(4).as_str() {
                "^/]*" => Tok::SegStar,
                "^/]+" => Tok::SegPlus,
                _ => return None,
            };
            *pos += 4;
            return Some(vec![vec![tok]]);
        }
        '(' => {
            if rest(2) == "?:" {
                *pos += 2;
            } else if chars.get(*pos) == Some(&'?') {
                return None;
            }
            let inner = parse_alt(chars, pos)?;
            if chars.get(*pos) != Some(&')') {
                return None;
            }
            *pos += 1;
            inner
        }
        '\\' => {
            let e = *chars.get(*pos)?;
            *pos += 1;
            if !e.is_ascii_punctuation() {
                return None;
            }
            vec![vec![Tok::Lit(e)]]
        }
        '*' | '+' | '?' | '{' | '}' | ']' | ')' | '|' => return None,
        c => vec![vec![Tok::Lit(c)]],
    };
    match chars.get(*pos) {
        Some('?') => {
            *pos += 1;
            let mut with_empty = atom;
            with_empty.push(Vec::new());
            Some(with_empty)
        }
        Some('*' | '+' | '{') => None,
        _ => Some(atom),
    }
}

/// The globs of one token sequence (a regex without alternatives), or `None` when an anchor
/// sits in the middle or a character cannot be written in a gitattributes pattern.
fn seq_globs(seq: &[Tok]) -> Option<Vec<String>> {
    let anchored_start = seq.first() == Some(&Tok::Start);
    let anchored_end = seq.last() == Some(&Tok::End) && seq.len() > usize::from(anchored_start);
    let inner = &seq[usize::from(anchored_start)..seq.len() - usize::from(anchored_end)];
    if inner.iter().any(|t| matches!(t, Tok::Start | Tok::End)) {
        return None;
    }
    // `is_match` finds the regex anywhere: an open end is `.*` there.
    let mut toks: Vec<Tok> = Vec::new();
    let open = |anchored: bool| (!anchored).then_some(Tok::Star);
    for t in open(anchored_start)
        .into_iter()
        .chain(inner.iter().copied())
        .chain(open(anchored_end))
    {
        match (toks.last().copied(), t) {
            (Some(Tok::Star), Tok::Star) => {}
            (Some(Tok::Star | Tok::Plus), Tok::Star | Tok::Plus) => {
                toks.pop();
                toks.push(Tok::Plus);
            }
            _ => toks.push(t),
        }
    }
    if toks.is_empty() {
        return None;
    }
    let mut globs = vec![String::new()];
    for (i, &t) in toks.iter().enumerate() {
        let at_start = i == 0;
        let at_end = i + 1 == toks.len();
        let after_slash = at_start || globs[0].ends_with('/');
        let pieces: Vec<&str> = match t {
            Tok::Lit(c) if c.is_whitespace() || c == '"' => return None,
            Tok::Lit(c) => {
                for g in &mut globs {
                    if "*?[\\".contains(c) {
                        g.push('\\');
                    }
                    g.push(c);
                }
                continue;
            }
            Tok::SegStar => vec!["*"],
            Tok::SegPlus => vec!["?*"],
            // A file's path never ends with `/`, so what follows a slash at the end is
            // everything below it, and never empty.
            Tok::Star | Tok::Plus if at_end && after_slash && !at_start => vec!["**"],
            Tok::Star if after_slash => vec!["**/*"],
            Tok::Plus if at_start => return None,
            Tok::Star if at_end => vec!["*", "*/**"],
            Tok::Plus if at_end => vec!["?*", "*/**"],
            Tok::Star => vec!["*", "*/**/*"],
            Tok::Plus => vec!["?*", "*/**/*"],
            Tok::Start | Tok::End => unreachable!("anchors were checked above"),
        };
        globs = globs
            .iter()
            .flat_map(|g| pieces.iter().map(move |p| join_star(g, p)))
            .collect();
    }
    Some(globs.into_iter().map(|g| finish(&g)).collect())
}

/// Appends `piece` to `glob`, merging stars: `**` not between slashes would be read as `*`.
fn join_star(glob: &str, piece: &str) -> String {
    if glob.ends_with('*') && piece.starts_with('*') && !piece.starts_with("**") {
        format!("{glob}{}", &piece[1..])
    } else {
        format!("{glob}{piece}")
    }
}

/// Writes a glob matched from the start of the relative path as git wants it: anchored with
/// `/`, except `**/NAME` patterns, which git matches on the last path segment as `NAME`.
fn finish(glob: &str) -> String {
    match glob.strip_prefix("**/") {
        Some(name) if !name.contains('/') => name.to_string(),
        Some(_) => glob.to_string(),
        None => format!("/{glob}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(re: &str) -> Option<Vec<String>> {
        globs(re)
    }

    fn v(items: &[&str]) -> Option<Vec<String>> {
        Some(items.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn common_rules_become_the_expected_patterns() {
        assert_eq!(g(r"\.enc\.yaml$"), v(&["*.enc.yaml"]));
        assert_eq!(g(r"^secrets/.*"), v(&["/secrets/**"]));
        assert_eq!(g(r"^secrets/"), v(&["/secrets/**"]));
        assert_eq!(g(r"\.ya?ml$"), v(&["*.yaml", "*.yml"]));
        assert_eq!(
            g(r"^(dev|prod)/.*\.yaml$"),
            v(&["/dev/**/*.yaml", "/prod/**/*.yaml"])
        );
        assert_eq!(g(r"(^|/)secrets/"), v(&["/secrets/**", "**/*/secrets/**"]));
        assert_eq!(g(r"^config/[^/]+\.env$"), v(&["/config/?*.env"]));
        assert_eq!(g(r"^a\*b$"), v(&["/a\\*b"]));
    }

    #[test]
    fn an_unanchored_regex_matches_inside_a_path_segment() {
        // `secrets/` also matches `mysecrets/x`: the glob must too.
        assert_eq!(g("secrets/"), v(&["**/*secrets/**"]));
        assert_eq!(g("^app"), v(&["/app*", "/app*/**"]));
        assert_eq!(g("^a.*b$"), v(&["/a*b", "/a*/**/*b"]));
    }

    #[test]
    fn syntax_outside_the_subset_is_not_guessed() {
        for re in [
            r"\d+\.yaml$",
            r"[a-z]\.yaml",
            r"(?i)\.yaml$",
            r"a{2}",
            r"x^y",
            r"a b",
            r"(a|b|c|d|e)(f|g|h|i)",
            ".+x",
            "(",
            "a)",
            "a.b",
        ] {
            assert_eq!(g(re), None, "{re}");
        }
    }

    /// Git's wildmatch for the patterns produced here (`*`, `?`, `**/`, `/**`, escapes),
    /// enough to check the translation against the regex on sample paths.
    fn wildmatch(p: &[u8], t: &[u8]) -> bool {
        match p {
            [] => t.is_empty(),
            [b'*', b'*', b'/', rest @ ..] => {
                (0..=t.len()).any(|i| (i == 0 || t[i - 1] == b'/') && wildmatch(rest, &t[i..]))
            }
            [b'/', b'*', b'*'] => t.first() == Some(&b'/'),
            [b'*', rest @ ..] => (0..=t.len())
                .take_while(|&i| i == 0 || t[i - 1] != b'/')
                .any(|i| wildmatch(rest, &t[i..])),
            [b'?', rest @ ..] => t.first().is_some_and(|&c| c != b'/') && wildmatch(rest, &t[1..]),
            [b'\\', c, rest @ ..] | [c, rest @ ..] => {
                t.first() == Some(c) && wildmatch(rest, &t[1..])
            }
        }
    }

    /// Whether git applies `pattern` (as written to .gitattributes) to `path`.
    fn attr_matches(pattern: &str, path: &str) -> bool {
        match pattern.strip_prefix('/') {
            Some(anchored) => wildmatch(anchored.as_bytes(), path.as_bytes()),
            None if !pattern.contains('/') => wildmatch(
                pattern.as_bytes(),
                path.rsplit('/').next().unwrap().as_bytes(),
            ),
            None => wildmatch(pattern.as_bytes(), path.as_bytes()),
        }
    }

    #[test]
    fn patterns_match_exactly_the_paths_the_regex_matches() {
        let paths = [
            "secrets/app.yaml",
            "secrets/deep/x.json",
            "mysecrets/a",
            "a/secrets/b.yaml",
            "app.enc.yaml",
            "x/app.enc.yaml",
            "app.enc.yaml.bak",
            "dev/a.yaml",
            "dev/x/y/a.yaml",
            "prod.yaml",
            "app",
            "application/x",
            "ab",
            "a/b",
            "a/c/b",
            "config/.env",
            "config/prod.env",
            "config/x/prod.env",
            "b.yml",
        ];
        for re in [
            r"\.enc\.yaml$",
            r"^secrets/.*",
            r"(^|/)secrets/",
            "secrets/",
            r"\.ya?ml$",
            r"^(dev|prod)/.*\.yaml$",
            "^app",
            "^a.*b$",
            r"^config/[^/]+\.env$",
            r"^secrets/.+",
            r"^a.+b$",
            r"^(?:dev|prod)\.yaml$",
        ] {
            let regex = regex::Regex::new(re).unwrap();
            let patterns = globs(re).unwrap();
            for path in paths {
                assert_eq!(
                    patterns.iter().any(|p| attr_matches(p, path)),
                    regex.is_match(path),
                    "{re} -> {patterns:?} on {path}"
                );
            }
        }
    }
}
