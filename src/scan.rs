//! Finding committed secrets in plain files (`secret check`): age secret keys, private key
//! blocks, AWS access key ids and high-entropy values assigned to secret-looking names,
//! with an allow-list (`.secretallow`).
//!
//! Findings never carry the secret: only the line, the rule and a fingerprint (a hash of
//! the rule and the matched text) that the allow-list can name.

use regex::Regex;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::OnceLock;

/// One thing found on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// 1-based line number.
    pub line: usize,
    /// A short rule name, e.g. `aws-access-key-id`.
    pub rule: &'static str,
    /// What was found (never the secret itself).
    pub message: String,
    /// 16 hex digits of SHA-256(rule ":" matched text), for the allow-list.
    pub fingerprint: String,
}

/// Lines carrying this marker are not reported.
pub const INLINE_ALLOW: &str = "secret:allow";

struct Rules {
    age: Regex,
    private_key: Regex,
    aws: Regex,
    assignment: Regex,
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules {
        age: Regex::new(r"AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}").unwrap(),
        private_key: Regex::new(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----").unwrap(),
        aws: Regex::new(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b").unwrap(),
        assignment: Regex::new(
            r#"(?i)([a-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?)[a-z0-9_.-]*)["']?\s*[:=]\s*["']?([^\s"',;]{12,})"#,
        )
        .unwrap(),
    })
}

/// Shannon entropy of `s` in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

/// Values at least this random (bits per character) count as secrets in assignments.
pub const ENTROPY_THRESHOLD: f64 = 3.5;

fn fingerprint(rule: &str, text: &str) -> String {
    let digest = Sha256::digest(format!("{rule}:{text}").as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Scans text line by line.
pub fn scan_text(text: &str) -> Vec<Finding> {
    let r = rules();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.contains(INLINE_ALLOW) {
            continue;
        }
        let mut push = |rule: &'static str, message: String, matched: &str| {
            out.push(Finding {
                line: i + 1,
                rule,
                message,
                fingerprint: fingerprint(rule, matched),
            })
        };
        if let Some(m) = r.age.find(line) {
            push("age-secret-key", "an age secret key".into(), m.as_str());
        }
        if let Some(m) = r.private_key.find(line) {
            push("private-key", "a private key block".into(), m.as_str());
        }
        if let Some(m) = r.aws.find(line) {
            push(
                "aws-access-key-id",
                "an AWS access key id".into(),
                m.as_str(),
            );
        }
        for c in r.assignment.captures_iter(line) {
            let (name, value) = (&c[1], &c[2]);
            // Encrypted values, references, templates and code are not secrets.
            if value.starts_with("ENC")
                || value.starts_with(['$', '=', ':', '<'])
                || value.contains(['(', ')', '<', '>'])
                || value.contains("::")
                || value.contains("{{")
                || r.age.is_match(value)
                || r.aws.is_match(value)
                || entropy(value) < ENTROPY_THRESHOLD
            {
                continue;
            }
            push(
                "high-entropy-assignment",
                format!("a random-looking value assigned to {name}"),
                value,
            );
        }
    }
    out
}

/// Whether bytes look like a binary file (a NUL in the first 8000 bytes, as git judges).
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8000).any(|&b| b == 0)
}

/// The allow-list: path globs (a whole file), `path:line` (one line) and `fp:FINGERPRINT`.
#[derive(Debug, Default)]
pub struct AllowList {
    globs: Vec<Regex>,
    lines: HashSet<(String, usize)>,
    fingerprints: HashSet<String>,
}

/// A path glob as a regex: `**` any characters, `*` any but `/`, `?` one but `/`. A glob
/// without `/` matches the file name in any directory.
pub fn glob_regex(glob: &str) -> Regex {
    let glob = glob.trim_start_matches("./");
    let anchored = glob.contains('/');
    let glob = glob.trim_start_matches('/');
    let mut re = String::from(if anchored { "^" } else { "(^|/)" });
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    re.push_str("(.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).unwrap_or_else(|_| Regex::new("^$").unwrap())
}

impl AllowList {
    /// Parses the allow-list text: one entry a line, `#` starts a comment.
    pub fn parse(text: &str) -> AllowList {
        let mut list = AllowList::default();
        for line in text.lines() {
            let entry = line.split(" #").next().unwrap_or("").trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            if let Some(fp) = entry.strip_prefix("fp:") {
                list.fingerprints.insert(fp.trim().to_lowercase());
            } else if let Some((path, n)) = entry
                .rsplit_once(':')
                .and_then(|(p, n)| n.parse::<usize>().ok().map(|n| (p, n)))
            {
                list.lines
                    .insert((path.trim_start_matches("./").to_string(), n));
            } else {
                list.globs.push(glob_regex(entry));
            }
        }
        list
    }

    /// Whether the whole file is allowed (`path` relative to the repository, `/`-separated).
    pub fn allows_file(&self, path: &str) -> bool {
        let path = path.trim_start_matches("./");
        self.globs.iter().any(|g| g.is_match(path))
    }

    /// Whether one finding in `path` is allowed.
    pub fn allows(&self, path: &str, finding: &Finding) -> bool {
        let path = path.trim_start_matches("./");
        self.allows_file(path)
            || self.lines.contains(&(path.to_string(), finding.line))
            || self.fingerprints.contains(&finding.fingerprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_kind_without_printing_the_secret() {
        let text = "a: 1\n\
            key: AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQY\n\
            -----BEGIN OPENSSH PRIVATE KEY-----\n\
            aws = AKIAIOSFODNN7EXAMPLE\n\
            password=hunter2\n\
            db_password: 'x8#kLq0vZ2!pR7tW'\n\
            token: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]\n\
            ok = AKIAIOSFODNN7EXAMPLE # secret:allow\n";
        let found = scan_text(text);
        let rules: Vec<(usize, &str)> = found.iter().map(|f| (f.line, f.rule)).collect();
        assert_eq!(
            rules,
            [
                (2, "age-secret-key"),
                (3, "private-key"),
                (4, "aws-access-key-id"),
                (6, "high-entropy-assignment")
            ]
        );
        for f in &found {
            assert!(!f.message.contains("AKIA") && !f.message.contains("x8#"));
        }
    }

    #[test]
    fn allow_list_entries() {
        let list = AllowList::parse(
            "# comment\ntests/vectors/**\n*.pem\nconfig/app.env:4\nfp:ABCDEF0123456789\n",
        );
        assert!(list.allows_file("tests/vectors/keys/a.txt"));
        assert!(list.allows_file("deep/dir/x.pem"));
        assert!(!list.allows_file("src/main.rs"));
        let f = |line, fp: &str| Finding {
            line,
            rule: "x",
            message: String::new(),
            fingerprint: fp.into(),
        };
        assert!(list.allows("config/app.env", &f(4, "0")));
        assert!(!list.allows("config/app.env", &f(5, "0")));
        assert!(list.allows("any", &f(1, "abcdef0123456789")));
    }
}
