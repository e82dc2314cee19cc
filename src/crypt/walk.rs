//! The walk over a document tree that encrypts or decrypts the selected leaves and feeds
//! the MAC, in sops' order (documents in order, depth first, items in file order).

use super::cipher::{self, DataKey, Leaf, ValueCipher, NONCE_LEN};
use super::select::Selector;
use crate::error::{Code, Error, Result};
use crate::tree::{Item, Map, Node, Scalar};
use sha2::{Digest, Sha512};
use std::collections::HashMap;

/// SHA-256("sops"): the MAC's first bytes when only encrypted values are authenticated.
const MAC_ONLY_ENCRYPTED_INIT: [u8; 32] = [
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
];

/// Remembers the nonce of every value decrypted, by (path, type, plaintext), so that
/// re-encrypting an unchanged value gives back its exact ciphertext (minimal diffs).
pub struct NonceMemory {
    seen: HashMap<(String, &'static str, Vec<u8>), [u8; NONCE_LEN]>,
    /// Off for read-only decryption, which never re-encrypts: remembering costs allocations.
    enabled: bool,
}

impl Default for NonceMemory {
    /// A memory that remembers (for edit, set, rotate, merges).
    fn default() -> Self {
        NonceMemory {
            seen: HashMap::new(),
            enabled: true,
        }
    }
}

impl NonceMemory {
    /// Adds the nonces `other` remembers (those this memory already has win). Only for
    /// memories of files under the same data key.
    pub fn absorb(&mut self, other: NonceMemory) {
        for (k, v) in other.seen {
            self.seen.entry(k).or_insert(v);
        }
    }

    /// A memory that remembers nothing (plain decryption).
    pub fn off() -> NonceMemory {
        NonceMemory {
            seen: HashMap::new(),
            enabled: false,
        }
    }

    fn remember(&mut self, aad: &str, leaf: &Leaf, iv: Option<[u8; NONCE_LEN]>) {
        if !self.enabled {
            return;
        }
        if let Some(iv) = iv {
            let key = (
                aad.to_string(),
                leaf.type_tag(),
                leaf.plaintext().into_owned(),
            );
            self.seen.insert(key, iv);
        }
    }

    fn nonce_for(&self, aad: &str, leaf: &Leaf) -> [u8; NONCE_LEN] {
        if self.seen.is_empty() {
            return cipher::random_nonce();
        }
        let key = (
            aad.to_string(),
            leaf.type_tag(),
            leaf.plaintext().into_owned(),
        );
        self.seen
            .get(&key)
            .copied()
            .unwrap_or_else(cipher::random_nonce)
    }
}

/// Below this many encrypted values, decrypting in one thread is faster than starting more.
const PARALLEL_MIN: usize = 2048;

/// From this many bytes on, a value is hashed for the MAC on its own thread while it is
/// encrypted.
const PARALLEL_HASH_MIN: usize = 256 * 1024;

/// Values decrypted ahead of the walk, in walk order of the string leaves, as each thread
/// produced them: kept in the threads' own parts so no thread's output is copied again.
#[derive(Default)]
struct Prefetched {
    /// String leaves per part (the last part may be shorter).
    part_len: usize,
    parts: Vec<Vec<Option<Result<cipher::Opened>>>>,
}

impl Prefetched {
    /// The result for string leaf `index`, if it was decrypted ahead.
    fn take(&mut self, index: usize) -> Option<Result<cipher::Opened>> {
        if self.part_len == 0 {
            return None;
        }
        self.parts
            .get_mut(index / self.part_len)?
            .get_mut(index % self.part_len)?
            .take()
    }
}

/// Decrypts every `ENC[...]` string leaf of `docs` ahead of the walk, on all cores. The walk
/// still decides which leaves to decrypt (selectors, comments) and takes a result only for
/// those; a prefetched result is exactly what decrypting in the walk would give, since it used
/// the same path as AAD. Empty when the file is small.
fn prefetch(docs: &[Map], cipher: &ValueCipher) -> Prefetched {
    // Every string leaf in walk order: (AAD as a range of `arena`, the text) or None.
    fn collect<'t>(
        node: &'t Node,
        path: &mut String,
        arena: &mut String,
        jobs: &mut Vec<Option<(std::ops::Range<usize>, &'t str)>>,
    ) {
        match node {
            Node::Map(m) => collect_map(m, path, arena, jobs),
            Node::List(l) => l.iter().for_each(|n| collect(n, path, arena, jobs)),
            Node::Scalar(Scalar::Str(s)) if s.starts_with("ENC[") => {
                let start = arena.len();
                arena.push_str(leaf_aad(path));
                jobs.push(Some((start..arena.len(), s)));
            }
            Node::Scalar(Scalar::Str(_)) => jobs.push(None),
            Node::Scalar(_) | Node::Comment(_) => {}
        }
    }
    fn collect_map<'t>(
        map: &'t Map,
        path: &mut String,
        arena: &mut String,
        jobs: &mut Vec<Option<(std::ops::Range<usize>, &'t str)>>,
    ) {
        for item in map {
            if let Item::Pair(key, value) = item {
                let len = path.len();
                path.push_str(key);
                path.push(':');
                collect(value, path, arena, jobs);
                path.truncate(len);
            }
        }
    }
    let mut jobs = Vec::new();
    let (mut path, mut arena) = (String::new(), String::new());
    for doc in docs {
        collect_map(doc, &mut path, &mut arena, &mut jobs);
    }
    // Small files first: counting their values is cheaper than asking for the cores (cgroup
    // files), and they never use threads.
    if jobs.iter().flatten().count() < PARALLEL_MIN {
        return Prefetched::default();
    }
    let threads = cores().min(8);
    if threads < 2 {
        return Prefetched::default();
    }
    let arena = arena.as_str();
    let part_len = jobs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(part_len)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|job| {
                            job.as_ref()
                                .map(|(aad, text)| cipher.decrypt(text, &arena[aad.clone()]))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut parts = Vec::with_capacity(handles.len());
        for handle in handles {
            match handle.join() {
                Ok(part) => parts.push(part),
                // Never misalign results with leaves: fall back to decrypting in the walk.
                Err(_) => return Prefetched::default(),
            }
        }
        Prefetched { part_len, parts }
    })
}

/// The cores this process may use, looked up once: the lookup reads cgroup files.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The AAD of a leaf in the container whose path is `aad`: the root's leaves use `:`.
fn leaf_aad(aad: &str) -> &str {
    if aad.is_empty() {
        ":"
    } else {
        aad
    }
}

/// One step of the path to the current node.
enum Step {
    Key(std::ops::Range<usize>),
    Index(usize),
}

/// What the walk does with the selected leaves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Encrypt,
    Decrypt,
}

struct Walker<'a> {
    mode: Mode,
    cipher: ValueCipher,
    selector: &'a Selector,
    mac_only_encrypted: bool,
    hasher: Sha512,
    nonces: &'a mut NonceMemory,
    /// The AAD of the current container: every key on the path followed by `:`.
    aad: String,
    /// The path for error messages, built only when one is needed: keys as byte ranges of
    /// `aad`, list positions as numbers.
    display: Vec<Step>,
    /// Comments in force, one list per nesting level (only kept for comment selectors).
    comments: Vec<Vec<String>>,
    track_comments: bool,
    warnings: Vec<String>,
    /// Values decrypted ahead in parallel, by string-leaf index in walk order (decrypt only).
    prefetched: Prefetched,
    /// Index of the next string leaf in walk order.
    next_leaf: usize,
}

/// Encrypts the selected leaves of `docs` in place and returns the MAC (uppercase hex).
pub fn encrypt(
    docs: &mut [Map],
    key: &DataKey,
    selector: &Selector,
    mac_only_encrypted: bool,
    nonces: &mut NonceMemory,
) -> Result<String> {
    let mut w = Walker::new(Mode::Encrypt, key, selector, mac_only_encrypted, nonces);
    for doc in docs.iter_mut() {
        w.map(doc, false)?;
    }
    Ok(w.finish())
}

/// Decrypts the selected leaves of `docs` in place, remembering nonces, and returns the
/// MAC recomputed over the plaintext plus any warnings (comments that were left plain).
pub fn decrypt(
    docs: &mut [Map],
    key: &DataKey,
    selector: &Selector,
    mac_only_encrypted: bool,
    nonces: &mut NonceMemory,
) -> Result<(String, Vec<String>)> {
    let mut w = Walker::new(Mode::Decrypt, key, selector, mac_only_encrypted, nonces);
    w.prefetched = prefetch(docs, &w.cipher);
    for doc in docs.iter_mut() {
        w.map(doc, false)?;
    }
    let warnings = std::mem::take(&mut w.warnings);
    Ok((w.finish(), warnings))
}

impl<'a> Walker<'a> {
    fn new(
        mode: Mode,
        key: &'a DataKey,
        selector: &'a Selector,
        mac_only_encrypted: bool,
        nonces: &'a mut NonceMemory,
    ) -> Walker<'a> {
        let mut hasher = Sha512::new();
        if mac_only_encrypted {
            hasher.update(MAC_ONLY_ENCRYPTED_INIT);
        }
        Walker {
            mode,
            cipher: ValueCipher::new(key),
            selector,
            mac_only_encrypted,
            hasher,
            nonces,
            aad: String::new(),
            display: Vec::new(),
            comments: Vec::new(),
            track_comments: selector.kind.on_comments(),
            warnings: Vec::new(),
            prefetched: Prefetched::default(),
            next_leaf: 0,
        }
    }

    fn finish(self) -> String {
        let digest = self.hasher.finalize();
        let mut hex = String::with_capacity(128);
        for b in digest {
            hex.push_str(&format!("{b:02X}"));
        }
        hex
    }

    fn leaf_aad(&self) -> &str {
        leaf_aad(&self.aad)
    }

    fn where_(&self) -> String {
        if self.display.is_empty() {
            return "the document root".into();
        }
        self.display
            .iter()
            .map(|step| match step {
                Step::Key(range) => format!("[{:?}]", &self.aad[range.clone()]),
                Step::Index(i) => format!("[{i}]"),
            })
            .collect()
    }

    fn push_comment(&mut self, text: &str) {
        if self.track_comments {
            if let Some(level) = self.comments.last_mut() {
                level.push(text.to_string());
            }
        }
    }

    fn clear_level(&mut self) {
        if self.track_comments {
            if let Some(level) = self.comments.last_mut() {
                level.clear();
            }
        }
    }

    fn decide(&self, path_matched: bool, is_comment: bool) -> bool {
        self.selector
            .should_encrypt(path_matched, &self.comments, is_comment)
    }

    fn hash(&mut self, leaf: &Leaf, encrypted: bool) {
        if !matches!(leaf, Leaf::Comment(_)) && (!self.mac_only_encrypted || encrypted) {
            self.hasher.update(leaf.plaintext());
        }
    }

    /// Hashes a leaf that is being encrypted while `seal` encrypts it: for a large value
    /// (a binary file) SHA-512 costs more than AES-GCM, so the two run on separate cores.
    /// The hash, the longer job, stays on this thread, so it starts without waiting for the
    /// new thread to be scheduled.
    fn hash_alongside<R: Send>(
        &mut self,
        leaf: &Leaf,
        seal: impl Fn(&ValueCipher, &str) -> R + Sync,
    ) -> R {
        if matches!(leaf, Leaf::Comment(_)) {
            // Comments are not part of the MAC.
            return seal(&self.cipher, leaf_aad(&self.aad));
        }
        // Computed once: for numbers and bools this is a new string.
        let plain = leaf.plaintext();
        if plain.len() < PARALLEL_HASH_MIN || cores() < 2 {
            self.hasher.update(&plain[..]);
            return seal(&self.cipher, leaf_aad(&self.aad));
        }
        let (cipher, aad) = (&self.cipher, leaf_aad(&self.aad));
        let seal = &seal;
        std::thread::scope(|scope| {
            let sealing =
                std::thread::Builder::new().spawn_scoped(scope, move || seal(cipher, aad));
            self.hasher.update(&plain[..]);
            match sealing.map(|handle| handle.join()) {
                Ok(Ok(sealed)) => sealed,
                // No thread to be had: seal here (the nonce is fixed, so same result).
                _ => seal(cipher, aad),
            }
        })
    }

    fn map(&mut self, map: &mut Map, path_matched: bool) -> Result<()> {
        self.comments.push(Vec::new());
        for item in map.iter_mut() {
            match item {
                Item::Comment(text) => {
                    self.push_comment(text);
                    if let Some(new) = self.comment(text, path_matched)? {
                        *text = new;
                    }
                }
                Item::Pair(key, value) => {
                    let matched = path_matched || self.selector.key_matches(key);
                    let aad_len = self.aad.len();
                    self.aad.push_str(key);
                    self.aad.push(':');
                    self.display.push(Step::Key(aad_len..aad_len + key.len()));
                    self.value(value, matched)?;
                    self.display.pop();
                    self.aad.truncate(aad_len);
                    self.clear_level();
                }
            }
        }
        self.comments.pop();
        Ok(())
    }

    fn list(&mut self, list: &mut [Node], path_matched: bool) -> Result<()> {
        self.comments.push(Vec::new());
        for (i, node) in list.iter_mut().enumerate() {
            let is_comment = matches!(node, Node::Comment(_));
            if let Node::Comment(text) = node {
                let text = text.clone();
                self.push_comment(&text);
            }
            self.display.push(Step::Index(i));
            self.value(node, path_matched)?;
            self.display.pop();
            if !is_comment {
                self.clear_level();
            }
        }
        self.comments.pop();
        Ok(())
    }

    /// A comment leaf; returns its new text when it changes.
    fn comment(&mut self, text: &str, path_matched: bool) -> Result<Option<String>> {
        if !self.decide(path_matched, true) {
            return Ok(None);
        }
        match self.mode {
            Mode::Encrypt => {
                let leaf = Leaf::Comment(text.to_string());
                let iv = self.nonces.nonce_for(self.leaf_aad(), &leaf);
                Ok(Some(self.cipher.encrypt(&leaf, self.leaf_aad(), &iv)?))
            }
            Mode::Decrypt => match self.cipher.decrypt(text, self.leaf_aad()) {
                Ok(opened) => {
                    self.nonces
                        .remember(leaf_aad(&self.aad), &opened.leaf, opened.iv);
                    Ok(Some(match opened.leaf {
                        Leaf::Comment(c) => c,
                        _ => return Ok(None),
                    }))
                }
                Err(_) => {
                    // sops assumes such a comment was never encrypted and keeps it.
                    self.warnings.push(format!(
                        "a comment at {} is not encrypted; kept as it is",
                        self.where_()
                    ));
                    Ok(None)
                }
            },
        }
    }

    fn value(&mut self, node: &mut Node, path_matched: bool) -> Result<()> {
        match node {
            Node::Map(m) => self.map(m, path_matched),
            Node::List(l) => self.list(l, path_matched),
            Node::Comment(text) => {
                let encrypt = self.decide(path_matched, true);
                match self.comment(text, path_matched)? {
                    // Encrypted comments inside lists become list elements (as in sops).
                    Some(new) if self.mode == Mode::Encrypt && encrypt && !new.is_empty() => {
                        *node = Node::Scalar(Scalar::Str(new))
                    }
                    Some(new) => *text = new,
                    None => {}
                }
                Ok(())
            }
            Node::Scalar(Scalar::Null) => Ok(()),
            Node::Scalar(scalar) => {
                let leaf_index = self.next_leaf;
                if matches!(scalar, Scalar::Str(_)) {
                    self.next_leaf += 1;
                }
                let encrypt = self.decide(path_matched, false);
                match self.mode {
                    Mode::Encrypt => {
                        let leaf = Leaf::Scalar(std::mem::replace(scalar, Scalar::Null));
                        if encrypt {
                            let iv = self.nonces.nonce_for(self.leaf_aad(), &leaf);
                            let text = self
                                .hash_alongside(&leaf, |cipher, aad| {
                                    cipher.encrypt(&leaf, aad, &iv)
                                })
                                .map_err(|e| e.context(format!("at {}", self.where_())))?;
                            *node = Node::Scalar(Scalar::Str(text));
                        } else {
                            self.hash(&leaf, false);
                            if let Leaf::Scalar(s) = leaf {
                                *scalar = s;
                            }
                        }
                        Ok(())
                    }
                    Mode::Decrypt if encrypt => {
                        let text = match scalar {
                            Scalar::Str(s) => s,
                            _ => {
                                return Err(Error::new(
                                    Code::ErrorDecryptingTree,
                                    format!(
                                        "could not decrypt value at {}: it is not encrypted",
                                        self.where_()
                                    ),
                                ))
                            }
                        };
                        let prefetched = self.prefetched.take(leaf_index);
                        let opened = match prefetched {
                            Some(result) => result,
                            None => self.cipher.decrypt(text, self.leaf_aad()),
                        }
                        .map_err(|e| {
                            Error::new(
                                e.code,
                                format!("could not decrypt value at {}: {}", self.where_(), e),
                            )
                        })?;
                        self.nonces
                            .remember(leaf_aad(&self.aad), &opened.leaf, opened.iv);
                        self.hash(&opened.leaf, true);
                        *node = match opened.leaf {
                            Leaf::Scalar(s) => Node::Scalar(s),
                            Leaf::Comment(c) => Node::Comment(c),
                        };
                        Ok(())
                    }
                    Mode::Decrypt => {
                        let leaf = Leaf::Scalar(std::mem::replace(scalar, Scalar::Null));
                        self.hash(&leaf, false);
                        if let Leaf::Scalar(s) = leaf {
                            *scalar = s;
                        }
                        Ok(())
                    }
                }
            }
        }
    }
}

/// Seals the MAC with the data key, authenticated by `lastmodified`.
pub fn seal_mac(key: &DataKey, mac_hex: &str, lastmodified: &str) -> Result<String> {
    let leaf = Leaf::Scalar(Scalar::Str(mac_hex.to_string()));
    cipher::encrypt(key, &leaf, lastmodified, &cipher::random_nonce())
        .map_err(|e| Error::new(Code::ErrorEncryptingMac, e.message))
}

/// Checks the stored MAC against the one recomputed while decrypting.
pub fn verify_mac(key: &DataKey, stored: &str, lastmodified: &str, computed: &str) -> Result<()> {
    let lastmodified = crate::timefmt::normalize_rfc3339(lastmodified).ok_or_else(|| {
        Error::new(
            Code::MacMismatch,
            format!("lastmodified {lastmodified:?} is not an RFC 3339 time"),
        )
    })?;
    let stored = if stored.is_empty() {
        String::new()
    } else {
        match cipher::decrypt(key, stored, &lastmodified) {
            Ok(cipher::Opened {
                leaf: Leaf::Scalar(Scalar::Str(s)),
                ..
            }) => s,
            _ => {
                return Err(Error::new(
                    Code::MacMismatch,
                    "Cannot decrypt MAC: the file's MAC or lastmodified was changed",
                ))
            }
        }
    };
    if stored != computed {
        return Err(Error::new(
            Code::MacMismatch,
            "MAC mismatch: the file was changed after it was encrypted",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypt::select::SelectorKind;

    fn doc() -> Map {
        vec![
            Item::Comment(" db creds".into()),
            Item::Pair(
                "db".into(),
                Node::Map(vec![
                    Item::Pair("password".into(), Node::str("hunter2")),
                    Item::Pair("port".into(), Node::Scalar(Scalar::Int(5432))),
                ]),
            ),
            Item::Pair("host_unencrypted".into(), Node::str("db.local")),
        ]
    }

    #[test]
    fn mac_matches_the_worked_example() {
        // SOPS-FORMAT.md §11: SHA-512 over hunter2 ‖ 5432 ‖ db.local.
        let mut docs = vec![doc()];
        let key = DataKey::generate();
        let mac = encrypt(
            &mut docs,
            &key,
            &Selector::default(),
            false,
            &mut NonceMemory::default(),
        )
        .unwrap();
        assert_eq!(mac, "471ADF26F226BDFB0BC8F389C704B3EDA9FEF5866F3F93AB3318E1B0C87FB2722B9F8B034ED20447934DBE0FA8F4640CEF190BDA7E731C5A27114A492BBB1898");
        assert_eq!(tree_str(&docs[0], "host_unencrypted"), "db.local");
        let (again, warnings) = decrypt(
            &mut docs,
            &key,
            &Selector::default(),
            false,
            &mut NonceMemory::default(),
        )
        .unwrap();
        assert_eq!(again, mac);
        assert!(warnings.is_empty());
        assert_eq!(docs[0], doc());
    }

    fn tree_str<'a>(m: &'a Map, k: &str) -> &'a str {
        crate::tree::get(m, k).and_then(Node::as_str).unwrap()
    }

    #[test]
    fn unchanged_values_keep_their_ciphertext() {
        let key = DataKey::generate();
        let mut first = vec![doc()];
        encrypt(
            &mut first,
            &key,
            &Selector::default(),
            false,
            &mut NonceMemory::default(),
        )
        .unwrap();
        let mut memory = NonceMemory::default();
        let mut plain = first.clone();
        decrypt(&mut plain, &key, &Selector::default(), false, &mut memory).unwrap();
        let mut second = plain.clone();
        encrypt(&mut second, &key, &Selector::default(), false, &mut memory).unwrap();
        assert_eq!(first, second);
    }

    #[test]
    fn list_comments_become_elements_and_come_back() {
        let key = DataKey::generate();
        let original = vec![vec![Item::Pair(
            "list".into(),
            Node::List(vec![Node::Comment(" first".into()), Node::str("one")]),
        )]];
        let mut docs = original.clone();
        encrypt(
            &mut docs,
            &key,
            &Selector::default(),
            false,
            &mut NonceMemory::default(),
        )
        .unwrap();
        let Item::Pair(_, Node::List(items)) = &docs[0][0] else {
            panic!()
        };
        assert!(items[0].as_str().unwrap().ends_with("type:comment]"));
        decrypt(
            &mut docs,
            &key,
            &Selector::default(),
            false,
            &mut NonceMemory::default(),
        )
        .unwrap();
        assert_eq!(docs, original);
    }

    #[test]
    fn encrypted_regex_leaves_other_values_plain() {
        let key = DataKey::generate();
        let sel = Selector::new(SelectorKind::EncryptedRegex, "^db$").unwrap();
        let mut docs = vec![doc()];
        encrypt(&mut docs, &key, &sel, false, &mut NonceMemory::default()).unwrap();
        // Everything under db is encrypted, the top-level comment stays plain.
        assert_eq!(docs[0][0], Item::Comment(" db creds".into()));
        let Item::Pair(_, Node::Map(db)) = &docs[0][1] else {
            panic!()
        };
        assert!(tree_str(db, "password").starts_with("ENC["));
    }

    #[test]
    fn tampering_is_reported_with_the_path() {
        let key = DataKey::generate();
        let mut docs = vec![doc()];
        encrypt(
            &mut docs,
            &key,
            &Selector::default(),
            false,
            &mut NonceMemory::default(),
        )
        .unwrap();
        let Item::Pair(_, Node::Map(db)) = &mut docs[0][1] else {
            panic!()
        };
        let Item::Pair(_, Node::Scalar(Scalar::Str(s))) = &mut db[0] else {
            panic!()
        };
        s.replace_range(20..24, "AAAA");
        let err = decrypt(
            &mut docs,
            &key,
            &Selector::default(),
            false,
            &mut NonceMemory::default(),
        )
        .unwrap_err();
        assert_eq!(err.code, Code::ErrorDecryptingTree);
        assert!(
            err.message.contains(r#"["db"]["password"]"#),
            "{}",
            err.message
        );
    }

    #[test]
    fn large_files_decrypt_in_parallel_to_the_same_tree() {
        // More values than PARALLEL_MIN, with lists, list comments and plain values between.
        let mut doc = Map::new();
        for i in 0..3000 {
            doc.push(Item::Comment(format!(" c{i}")));
            doc.push(Item::Pair(
                format!("k{i}"),
                Node::Map(vec![
                    Item::Pair("v".into(), Node::str(format!("value {i}"))),
                    Item::Pair("n".into(), Node::Scalar(Scalar::Int(i))),
                    Item::Pair(
                        "l".into(),
                        Node::List(vec![
                            Node::Comment(" lc".into()),
                            Node::str("x"),
                            Node::Scalar(Scalar::Null),
                        ]),
                    ),
                    Item::Pair("plain_unencrypted".into(), Node::str("ENC[not really")),
                ]),
            ));
        }
        let key = DataKey::generate();
        let original = vec![doc];
        let mut docs = original.clone();
        let sel = Selector::default();
        let mac = encrypt(&mut docs, &key, &sel, false, &mut NonceMemory::default()).unwrap();
        let encrypted = docs.clone();
        let (again, _) = decrypt(&mut docs, &key, &sel, false, &mut NonceMemory::off()).unwrap();
        assert_eq!(again, mac);
        assert_eq!(docs, original);

        // A value moved to another path fails there, reported with its path.
        let mut docs = encrypted;
        let Item::Pair(_, Node::Map(a)) = &docs[0][1] else {
            panic!()
        };
        let moved = a[0].clone();
        let Item::Pair(_, Node::Map(b)) = &mut docs[0][5001] else {
            panic!()
        };
        b[0] = moved;
        let err = decrypt(&mut docs, &key, &sel, false, &mut NonceMemory::off()).unwrap_err();
        assert!(err.message.contains(r#"["k2500"]["v"]"#), "{}", err.message);
    }

    #[test]
    fn large_values_hashed_alongside_give_the_same_mac() {
        // Values around PARALLEL_HASH_MIN, between small ones, with and without
        // mac_only_encrypted: the MAC from encryption (big values hashed on a second thread)
        // equals the one decryption recomputes in order, and equals a plain SHA-512.
        let big = |n: usize| "x".repeat(n);
        let doc: Map = vec![
            Item::Pair("a".into(), Node::str("small")),
            Item::Pair("big".into(), Node::str(big(PARALLEL_HASH_MIN))),
            Item::Pair("b".into(), Node::Scalar(Scalar::Int(7))),
            Item::Pair(
                "blob".into(),
                Node::Scalar(Scalar::Bytes(vec![0xFF; PARALLEL_HASH_MIN + 1])),
            ),
            Item::Pair("under".into(), Node::str(big(PARALLEL_HASH_MIN - 1))),
            Item::Pair(
                "big_unencrypted".into(),
                Node::str(big(PARALLEL_HASH_MIN * 2)),
            ),
        ];
        let mut expected = Sha512::new();
        for part in [
            b"small".as_slice(),
            big(PARALLEL_HASH_MIN).as_bytes(),
            b"7",
            &[0xFF; PARALLEL_HASH_MIN + 1],
            big(PARALLEL_HASH_MIN - 1).as_bytes(),
            big(PARALLEL_HASH_MIN * 2).as_bytes(),
        ] {
            expected.update(part);
        }
        let expected: String = expected
            .finalize()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        let key = DataKey::generate();
        let sel = Selector::new(SelectorKind::UnencryptedSuffix, "_unencrypted").unwrap();
        for mac_only_encrypted in [false, true] {
            let mut docs = vec![doc.clone()];
            let mac = encrypt(
                &mut docs,
                &key,
                &sel,
                mac_only_encrypted,
                &mut NonceMemory::default(),
            )
            .unwrap();
            let (again, _) = decrypt(
                &mut docs,
                &key,
                &sel,
                mac_only_encrypted,
                &mut NonceMemory::off(),
            )
            .unwrap();
            assert_eq!(again, mac);
            assert_eq!(mac == expected, !mac_only_encrypted);
        }
    }

    #[test]
    fn nested_files_are_prefetched_too() {
        // Few top-level keys, many values below them (a typical YAML layout).
        let doc: Map = (0..100)
            .map(|s| {
                let values = (0..30)
                    .map(|i| Item::Pair(format!("k{i}"), Node::str(format!("v{s}.{i}"))))
                    .collect();
                Item::Pair(format!("service{s}"), Node::Map(values))
            })
            .collect();
        let key = DataKey::generate();
        let mut docs = vec![doc];
        let sel = Selector::default();
        encrypt(&mut docs, &key, &sel, false, &mut NonceMemory::off()).unwrap();
        let prefetched = prefetch(&docs, &ValueCipher::new(&key));
        if cores() >= 2 {
            let decrypted: usize = prefetched.parts.iter().map(Vec::len).sum();
            assert_eq!(decrypted, 3000);
        }
    }

    #[test]
    fn mac_seal_and_verify() {
        let key = DataKey::generate();
        let sealed = seal_mac(&key, "ABC", "2026-11-23T07:19:17Z").unwrap();
        verify_mac(&key, &sealed, "2026-11-23T07:19:17Z", "ABC").unwrap();
        assert_eq!(
            verify_mac(&key, &sealed, "2026-11-23T07:19:18Z", "ABC")
                .unwrap_err()
                .code,
            Code::MacMismatch
        );
        assert!(verify_mac(&key, &sealed, "2026-11-23T07:19:17Z", "ABD")
            .unwrap_err()
            .message
            .contains("MAC mismatch"));
    }
}
