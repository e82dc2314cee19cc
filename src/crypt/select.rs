//! Which leaves are encrypted (`sops.go`, `shouldBeEncrypted`): at most one selector, judged
//! on every key of the leaf's path or on the comments in force above it.

use crate::error::{Code, Error, Result};
use crate::tree::Text;
use regex::Regex;

/// The six selector kinds, in the order sops writes their metadata fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectorKind {
    UnencryptedSuffix,
    EncryptedSuffix,
    UnencryptedRegex,
    EncryptedRegex,
    UnencryptedCommentRegex,
    EncryptedCommentRegex,
}

impl SelectorKind {
    pub const ALL: [SelectorKind; 6] = [
        SelectorKind::UnencryptedSuffix,
        SelectorKind::EncryptedSuffix,
        SelectorKind::UnencryptedRegex,
        SelectorKind::EncryptedRegex,
        SelectorKind::UnencryptedCommentRegex,
        SelectorKind::EncryptedCommentRegex,
    ];

    /// The metadata / `.sops.yaml` field name (and the CLI flag without `--`, `_` → `-`).
    pub fn field(self) -> &'static str {
        match self {
            SelectorKind::UnencryptedSuffix => "unencrypted_suffix",
            SelectorKind::EncryptedSuffix => "encrypted_suffix",
            SelectorKind::UnencryptedRegex => "unencrypted_regex",
            SelectorKind::EncryptedRegex => "encrypted_regex",
            SelectorKind::UnencryptedCommentRegex => "unencrypted_comment_regex",
            SelectorKind::EncryptedCommentRegex => "encrypted_comment_regex",
        }
    }

    /// Whether the selector is a regular expression (not a suffix).
    pub fn is_regex(self) -> bool {
        !matches!(
            self,
            SelectorKind::UnencryptedSuffix | SelectorKind::EncryptedSuffix
        )
    }

    /// Whether this selector looks at comments rather than keys.
    pub fn on_comments(self) -> bool {
        matches!(
            self,
            SelectorKind::UnencryptedCommentRegex | SelectorKind::EncryptedCommentRegex
        )
    }

    /// Whether a match means "encrypt" (otherwise it means "leave plain").
    fn match_encrypts(self) -> bool {
        matches!(
            self,
            SelectorKind::EncryptedSuffix
                | SelectorKind::EncryptedRegex
                | SelectorKind::EncryptedCommentRegex
        )
    }
}

/// The selector in force for a file.
#[derive(Debug, Clone)]
pub struct Selector {
    pub kind: SelectorKind,
    pub pattern: String,
    regex: Option<Regex>,
}

impl PartialEq for Selector {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.pattern == other.pattern
    }
}

impl Default for Selector {
    /// sops' default: `unencrypted_suffix: _unencrypted`.
    fn default() -> Self {
        Selector {
            kind: SelectorKind::UnencryptedSuffix,
            pattern: "_unencrypted".into(),
            regex: None,
        }
    }
}

impl Selector {
    /// A selector; regex kinds compile `pattern` (RE2 syntax, unanchored search).
    pub fn new(kind: SelectorKind, pattern: &str) -> Result<Selector> {
        let regex = if kind.is_regex() {
            Some(Regex::new(pattern).map_err(|e| {
                Error::new(
                    Code::Generic,
                    format!(
                        "invalid {} {pattern:?}: {}",
                        kind.field(),
                        e.to_string().lines().last().unwrap_or("bad regex")
                    ),
                )
            })?)
        } else {
            None
        };
        Ok(Selector {
            kind,
            pattern: pattern.to_string(),
            regex,
        })
    }

    fn matches(&self, text: &str) -> bool {
        match &self.regex {
            Some(re) => re.is_match(text),
            None => text.ends_with(&self.pattern),
        }
    }

    /// Whether one path key matches (key selectors only).
    pub fn key_matches(&self, key: &str) -> bool {
        !self.kind.on_comments() && self.matches(key)
    }

    /// The decision for a leaf, given whether any key on its path matched and the comments
    /// in force (one list per nesting level). `is_comment`: the leaf is itself the last
    /// comment of the innermost list, which `encrypted_comment_regex` does not count.
    pub fn should_encrypt(
        &self,
        path_matched: bool,
        comments: &[Vec<Text>],
        is_comment: bool,
    ) -> bool {
        let matched = if self.kind.on_comments() {
            let last_level = comments.len().saturating_sub(1);
            comments.iter().enumerate().any(|(i, level)| {
                level.iter().enumerate().any(|(j, c)| {
                    let own = self.kind == SelectorKind::EncryptedCommentRegex
                        && is_comment
                        && i == last_level
                        && j + 1 == level.len();
                    !own && self.matches(c)
                })
            })
        } else {
            path_matched
        };
        matched == self.kind.match_encrypts()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_and_regexes() {
        let s = Selector::default();
        assert!(s.key_matches("host_unencrypted"));
        assert!(!s.should_encrypt(true, &[], false));
        assert!(s.should_encrypt(false, &[], false));
        let r = Selector::new(SelectorKind::EncryptedRegex, "^(password|token)$").unwrap();
        assert!(r.key_matches("password") && !r.key_matches("replica_password"));
        assert!(r.should_encrypt(true, &[], false));
        assert!(!r.should_encrypt(false, &[], false));
    }

    #[test]
    fn comment_regexes() {
        let enc = Selector::new(SelectorKind::EncryptedCommentRegex, "sops:enc").unwrap();
        let stack: Vec<Vec<Text>> = vec![vec![" sops:enc".into()]];
        // The matching comment itself stays plain, the value after it is encrypted.
        assert!(!enc.should_encrypt(false, &stack, true));
        assert!(enc.should_encrypt(false, &stack, false));
        assert!(!enc.should_encrypt(false, &[vec![]], false));
        let unenc = Selector::new(SelectorKind::UnencryptedCommentRegex, "plain").unwrap();
        assert!(!unenc.should_encrypt(false, &[vec![" plain".into()]], false));
        assert!(unenc.should_encrypt(false, &[vec![]], false));
    }

    #[test]
    fn bad_regex_is_a_clear_error() {
        let e = Selector::new(SelectorKind::EncryptedRegex, "(").unwrap_err();
        assert!(e.message.contains("encrypted_regex"), "{}", e.message);
    }
}
