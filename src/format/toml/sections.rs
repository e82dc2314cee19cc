//! A big TOML text read section by section.
//!
//! `toml_edit` keeps spans, decor and an index entry for every key it reads, so a whole
//! document costs tens of times its text. A file made of plain top-level sections (`[name]`,
//! a bare key, each name once) reads the same as the text before its first header followed
//! by one small document per section: nothing in one such section can refer to another.
//! [`split`] cuts the text there; the reader and the layout rewriter then hold one section's
//! document at a time. Any doubt (a dotted or quoted header, an array of tables, a name met
//! twice, a piece that does not parse on its own, as when a cut falls inside a multi-line
//! string or array) sends the caller back to reading the whole text, which then gives the
//! same result or error as before.

/// Below this size the whole text is read at once (splitting would gain nothing).
const MIN_SPLIT: usize = if cfg!(test) { 1 } else { 64 << 10 };

/// One piece of the text: everything before the first header (`name` `None`), or one
/// section from its header line up to the next header line.
pub(super) struct Piece<'t> {
    pub name: Option<&'t str>,
    pub text: &'t str,
}

/// The name of a plain top-level header line `[name]` (optionally followed by blanks and a
/// comment); `Err` for any other line that opens with `[` (a header of another kind, or an
/// array's continuation line).
fn header(line: &str) -> Result<&str, ()> {
    let rest = line.strip_prefix('[').ok_or(())?;
    let end = rest.find(']').ok_or(())?;
    let (name, after) = (
        &rest[..end],
        rest[end + 1..].trim_start_matches([' ', '\t']),
    );
    let bare = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let ends = after.is_empty() || after.starts_with('#') || after == "\n" || after == "\r\n";
    if bare && ends {
        Ok(name)
    } else {
        Err(())
    }
}

/// The pieces of `text`, or `None` when it should be read whole (small, or not made of
/// plain sections only). A `[sops]` section, with its sub-tables, must be the last.
pub(super) fn split(text: &str) -> Option<Vec<Piece<'_>>> {
    if text.len() < MIN_SPLIT {
        return None;
    }
    let mut pieces = Vec::new();
    let mut names = crate::hash::FastSet::default();
    let (mut start, mut name) = (0, None);
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        crate::input::passed(line.as_bytes(), 0);
        if name == Some("sops") {
            // The metadata's own sub-tables (`[[sops.age]]`) stay in its piece; any other
            // section after it is read whole.
            if line.starts_with('[') && !line.starts_with("[sops.") && !line.starts_with("[[sops.")
            {
                return None;
            }
        } else if line.starts_with('[') {
            let found = header(line).ok()?;
            // Owned: growing the set hashes every name again, which would read the page of
            // every header met so far (a big input's pages are given back behind the reader).
            if !names.insert(found.to_owned()) {
                return None;
            }
            pieces.push(Piece {
                name,
                text: &text[start..at],
            });
            (start, name) = (at, Some(found));
        }
        at += line.len();
    }
    pieces.push(Piece {
        name,
        text: &text[start..],
    });
    // One section alone gains nothing.
    (pieces.len() > 2).then_some(pieces)
}

/// Texts with sections, comments between and around them, blank lines, root values.
#[cfg(test)]
pub(super) const TEXTS: [&str; 4] = [
    "# top\na = 1 # one\nb = \"x\"\n\n# before s1\n[s1]\nk = 1\n# closing s1\n\n[s2] # s2\n# in s2\nk = [1, 2]\nt = { x = 1 }\n\n# end\n",
    "[s1]\nk = 1\n[s2]\nk = 2\n[s3]\nk = 3",
    "# only comments first\n\n[s1]\n[s2]\n\n\n[s3]\nv = 'lit'\n# trailing\n# more\n",
    "x = 1\n[s1]\na.b = 1\n[s2]\nc = 2\n\n[sops]\nmac = \"m\"\n[[sops.age]]\nr = \"x\"\n",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_sections_are_cut_at_their_header_lines() {
        let text = "a = 1\n# before b\n[b]\nx = 1\n\n[c] # c\ny = [\n  1,\n]\n";
        let pieces = split(text).unwrap();
        let got: Vec<(Option<&str>, &str)> = pieces.iter().map(|p| (p.name, p.text)).collect();
        assert_eq!(
            got,
            [
                (None, "a = 1\n# before b\n"),
                (Some("b"), "[b]\nx = 1\n\n"),
                (Some("c"), "[c] # c\ny = [\n  1,\n]\n"),
            ]
        );
    }

    #[test]
    fn the_metadata_section_keeps_its_sub_tables() {
        let text = "[a]\nx = 1\n[b]\n[sops]\nmac = 'm'\n[[sops.age]]\nr = 1\n[sops.x]\n";
        let pieces = split(text).unwrap();
        let last = pieces.last().unwrap();
        assert_eq!(
            (last.name, last.text),
            (
                Some("sops"),
                "[sops]\nmac = 'm'\n[[sops.age]]\nr = 1\n[sops.x]\n"
            )
        );
    }

    #[test]
    fn anything_but_plain_sections_is_read_whole() {
        for text in [
            "[a]\nx = 1\n[a.b]\ny = 2\n[c]\n",
            "[a]\n[[t]]\nx = 1\n[c]\n",
            "[a]\nx = 1\n[\"q\"]\n[c]\n",
            "[a]\nx = 1\n[a]\n[c]\n",
            "[a]\nx = [\n[1]\n]\n[c]\n",
            "[a]\nx = 1\n",
            "[a]\n[sops]\n[[sops.age]]\n[c]\n",
        ] {
            let whole_or_cut_in_array = split(text);
            if text.contains("x = [") {
                // Cut inside the array: the first piece cannot parse alone.
                let pieces = whole_or_cut_in_array.unwrap();
                assert!(pieces[1].text.parse::<toml_edit::DocumentMut>().is_err());
            } else {
                assert!(whole_or_cut_in_array.is_none(), "{text:?}");
            }
        }
    }
}
