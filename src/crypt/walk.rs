//! The walk over a document tree that encrypts or decrypts the selected leaves and feeds
//! the MAC, in sops' order (documents in order, depth first, items in file order).
//!
//! Decryption and the MAC of a plaintext walk the tree here (`Walker`); encryption is done
//! as a store writes the tree ([`Sealer`], driven through `format::seal::LeafSeal`), after
//! the MAC pass. Both move the same `Cursor`, which holds the path (the AAD) and the
//! selector's decisions.

use super::ahead::{Pipeline, Reader};
use super::cipher::{self, DataKey, Leaf, LeafRef, ValueCipher, NONCE_LEN};
use super::select::Selector;
use super::spare::{self, lock, Spare};
use crate::error::{Code, Error, Result};
use crate::format::seal::{seal_in_place, LeafSeal};
use crate::hash::FastMap;
use crate::tree::{Item, Map, Node, Scalar, Text};
use sha2::{Digest, Sha512};

/// SHA-256("sops"): the MAC's first bytes when only encrypted values are authenticated.
const MAC_ONLY_ENCRYPTED_INIT: [u8; 32] = [
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
];

/// Remembers the nonce of every value decrypted, by (path, type, plaintext), so that
/// re-encrypting an unchanged value gives back its exact ciphertext (minimal diffs).
pub struct NonceMemory {
    seen: FastMap<(String, &'static str, Vec<u8>), [u8; NONCE_LEN]>,
    /// Off for read-only decryption, which never re-encrypts: remembering costs allocations.
    enabled: bool,
}

impl Default for NonceMemory {
    /// A memory that remembers (for edit, set, rotate, merges).
    fn default() -> Self {
        NonceMemory {
            seen: FastMap::default(),
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
            seen: FastMap::default(),
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

    fn nonce_for(&self, aad: &str, leaf: LeafRef) -> [u8; NONCE_LEN] {
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

/// The AAD of a leaf in the container whose path is `aad`: the root's leaves use `:`.
pub(super) fn leaf_aad(aad: &str) -> &str {
    if aad.is_empty() {
        ":"
    } else {
        aad
    }
}

/// One step of the path to the current node, with whether a key on the path up to it
/// matched a key selector.
enum Step {
    Key(std::ops::Range<usize>, bool),
    Index(usize, bool),
}

/// Where a walk over a tree is and what the selector decides there: the path (as AAD, and
/// for messages), whether a key on it matched, and the comments in force. The recursive
/// [`Walker`] and the [`Sealer`] a store drives as it writes move it the same way, so both
/// authenticate and select every leaf alike.
struct Cursor<'a> {
    selector: &'a Selector,
    /// The AAD of the current container: every key on the path followed by `:`.
    aad: String,
    /// The path for error messages, built only when one is needed: keys as byte ranges of
    /// `aad`, list positions as numbers.
    display: Vec<Step>,
    /// Comments in force, one list per nesting level (only kept for comment selectors).
    comments: Vec<Vec<Text>>,
    track_comments: bool,
}

impl<'a> Cursor<'a> {
    fn new(selector: &'a Selector) -> Self {
        Cursor {
            selector,
            aad: String::new(),
            display: Vec::new(),
            comments: Vec::new(),
            track_comments: selector.kind.on_comments(),
        }
    }

    /// A map or list starts: its comments are a new level.
    fn open(&mut self) {
        self.comments.push(Vec::new());
    }

    /// The map or list last opened ends.
    fn close(&mut self) {
        self.comments.pop();
    }

    /// Whether a key on the path matched the selector.
    fn matched(&self) -> bool {
        match self.display.last() {
            Some(Step::Key(_, matched) | Step::Index(_, matched)) => *matched,
            None => false,
        }
    }

    fn enter_key(&mut self, key: &str) {
        let matched = self.matched() || self.selector.key_matches(key);
        let len = self.aad.len();
        self.aad.push_str(key);
        self.aad.push(':');
        self.display.push(Step::Key(len..len + key.len(), matched));
    }

    /// After a key's value: the comments above it no longer apply.
    fn leave_key(&mut self) {
        if let Some(Step::Key(range, _)) = self.display.pop() {
            self.aad.truncate(range.start);
        }
        self.clear_level();
    }

    fn enter_index(&mut self, index: usize) {
        let matched = self.matched();
        self.display.push(Step::Index(index, matched));
    }

    /// After a list element: the comments above it no longer apply, unless it was itself
    /// a comment (then they all apply to the next element).
    fn leave_index(&mut self, was_comment: bool) {
        self.display.pop();
        if !was_comment {
            self.clear_level();
        }
    }

    /// A comment: from here on in force for the comment selectors. Whether it is encrypted.
    fn comment(&mut self, text: &str) -> bool {
        if self.track_comments {
            if let Some(level) = self.comments.last_mut() {
                level.push(text.into());
            }
        }
        self.selector
            .should_encrypt(self.matched(), &self.comments, true)
    }

    /// Whether the value here is encrypted.
    fn value(&self) -> bool {
        self.selector
            .should_encrypt(self.matched(), &self.comments, false)
    }

    fn clear_level(&mut self) {
        if self.track_comments {
            if let Some(level) = self.comments.last_mut() {
                level.clear();
            }
        }
    }

    /// The AAD of a leaf here.
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
                Step::Key(range, _) => format!("[{:?}]", &self.aad[range.clone()]),
                Step::Index(i, _) => format!("[{i}]"),
            })
            .collect()
    }

    /// Seals `leaf` here, with the nonce `nonces` remembers for it (else a fresh one).
    fn seal(&self, cipher: &ValueCipher, nonces: &NonceMemory, leaf: LeafRef) -> Result<String> {
        let iv = nonces.nonce_for(self.leaf_aad(), leaf);
        cipher
            .encrypt(leaf, self.leaf_aad(), &iv)
            .map_err(|e| e.context(format!("at {}", self.where_())))
    }
}

/// What the recursive walk does with the selected leaves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Only feed the MAC (plaintext that is about to be sealed), and check that every
    /// selected leaf can be encrypted.
    Hash,
    Decrypt,
}

struct Walker<'a> {
    mode: Mode,
    cipher: ValueCipher,
    at: Cursor<'a>,
    mac_only_encrypted: bool,
    hasher: Sha512,
    nonces: &'a mut NonceMemory,
    warnings: Vec<String>,
    /// Values of a big file decrypted ahead on all cores, by string-leaf index in walk order
    /// (decrypt only); their texts were taken out of the tree for that.
    ahead: Option<Reader<'a>>,
    /// Index of the next string leaf in walk order.
    next_leaf: usize,
    /// Where the MAC's input goes when not into `hasher`: recorded, to be hashed when its
    /// turn comes (a piece of [`decrypt_in_halves`] decrypted off the MAC's order).
    recorded: Option<MacInput>,
}

/// The bytes a walk would feed the MAC, kept in order to be hashed later: in chunks
/// that never move once filled (a growing vector would leave copies of plaintext behind),
/// each wiped when dropped.
#[derive(Default)]
struct MacInput {
    chunks: Vec<zeroize::Zeroizing<Vec<u8>>>,
}

impl MacInput {
    /// Room a chunk is made with (more when one value needs it).
    const CHUNK: usize = 64 << 10;

    fn push(&mut self, bytes: &[u8]) {
        let room = self.chunks.last().map_or(0, |c| c.capacity() - c.len());
        if room < bytes.len() {
            let chunk = Vec::with_capacity(bytes.len().max(Self::CHUNK));
            self.chunks.push(zeroize::Zeroizing::new(chunk));
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.extend_from_slice(bytes);
        }
    }

    /// Feeds everything recorded to `hasher`, in order.
    fn hash_into(&self, hasher: &mut Sha512) {
        for chunk in &self.chunks {
            hasher.update(&chunk[..]);
        }
    }
}

/// Encrypts the selected leaves of `docs` in place and returns the MAC (uppercase hex).
pub fn encrypt(
    docs: &mut [Map],
    key: &DataKey,
    selector: &Selector,
    mac_only_encrypted: bool,
    nonces: &mut NonceMemory,
) -> Result<String> {
    let mac = plaintext_mac(docs, key, selector, mac_only_encrypted)?;
    let mut sealer = Sealer::new(key, selector, nonces);
    seal_in_place(docs, &mut sealer);
    sealer.finish()?;
    Ok(mac)
}

/// The MAC (uppercase hex) of plaintext `docs` as they will be encrypted, which leaves them
/// as they are. Fails if a value selected for encryption cannot be encrypted, so that once
/// this passed, a [`Sealer`] cannot fail half way through the writing.
pub fn plaintext_mac(
    docs: &mut [Map],
    key: &DataKey,
    selector: &Selector,
    mac_only_encrypted: bool,
) -> Result<String> {
    let mut nonces = NonceMemory::off();
    let mut w = Walker::new(Mode::Hash, key, selector, mac_only_encrypted, &mut nonces);
    for doc in docs.iter_mut() {
        w.map(doc)?;
    }
    Ok(w.finish())
}

/// Decrypts the selected leaves of `docs` in place, remembering nonces, and returns the
/// MAC recomputed over the plaintext plus any warnings (comments that were left plain).
/// A big file's values are decrypted on all cores (`crypt/ahead.rs`). After an error, `docs`
/// are partly decrypted, and a big file's values not reached yet are empty.
pub fn decrypt(
    docs: &mut [Map],
    key: &DataKey,
    selector: &Selector,
    mac_only_encrypted: bool,
    nonces: &mut NonceMemory,
) -> Result<(String, Vec<String>)> {
    let keep_ivs = nonces.enabled;
    let mut walk = |docs: &mut [Map], ahead: Option<Reader>| {
        let mut w = Walker::decrypting(key, selector, mac_only_encrypted, nonces);
        w.ahead = ahead;
        for doc in docs.iter_mut() {
            w.map(doc)?;
        }
        let warnings = std::mem::take(&mut w.warnings);
        Ok((w.finish(), warnings))
    };
    let strings = super::ahead::strings(docs);
    if !Pipeline::wanted(strings) {
        return walk(docs, None);
    }
    if halves(docs, strings, selector, keep_ivs).is_some() {
        return decrypt_in_halves(&mut docs[0], key, selector, mac_only_encrypted);
    }
    // The workers decrypt the parts as they are cut from the tree, then ahead of the walk,
    // which runs here.
    let pipeline = Pipeline::new(ValueCipher::new(key), keep_ivs);
    std::thread::scope(|scope| {
        let _stop = pipeline.stop_on_drop();
        for _ in 0..Pipeline::workers() {
            scope.spawn(|| pipeline.work());
        }
        pipeline.fill(docs);
        walk(docs, Some(pipeline.reader()))
    })
}

/// Whether a big file's one document of `strings` string leaves, worth threads
/// ([`Pipeline::wanted`]), is for [`decrypt_in_halves`]: the index of the top-level item
/// where half its string leaves are reached, or `None` when the file is not for it (nonces
/// to remember or several documents: the pipeline; comments that steer the selector: each
/// piece would need the comments of the others; a few huge items: no even share).
fn halves(docs: &[Map], strings: usize, selector: &Selector, keep_ivs: bool) -> Option<usize> {
    let [doc] = docs else { return None };
    if keep_ivs || selector.kind.on_comments() {
        return None;
    }
    let mut first = 0;
    let cut = doc.iter().position(|item| {
        first += super::ahead::count_item(item);
        first >= strings / 2
    })? + 1;
    // A document of a few huge items cannot be cut evenly: the pipeline spreads it better.
    (first * 10 >= strings * 3 && first * 10 <= strings * 7).then_some(cut)
}

/// How many pieces [`decrypt_in_halves`] cuts a document into (by top-level items): enough
/// that the thread which also hashes is rarely left with a long last piece, few enough that
/// claiming them costs nothing.
const PIECES: usize = 32;

/// A piece decrypted off the MAC's order: its warnings and the MAC input it recorded in
/// order.
type Walked = (Vec<String>, MacInput);

/// Decrypts a big document on two threads in place and returns its MAC and warnings, as
/// [`decrypt`]. The document is cut into [`PIECES`] runs of top-level items, which both
/// threads claim in order ([`spare::in_order`]). Only the calling thread feeds the MAC (one
/// SHA-512 over the values in order): a piece it claims when every piece before it is fed
/// goes to the MAC as it is decrypted; any other piece records its MAC input, fed as soon
/// as every piece before it is, while the other thread decrypts the next one. A second
/// thread slow to start (milliseconds, on a busy machine) leaves the pieces to this one
/// rather than have it wait. Against the pipeline (`crypt/ahead.rs`), no value is taken out
/// of the tree and handed back, and nothing waits to cut the parts first: that cutting alone
/// took 1.9 ms of a 50,000-value dotenv decrypt.
fn decrypt_in_halves(
    doc: &mut Map,
    key: &DataKey,
    selector: &Selector,
    mac_only_encrypted: bool,
) -> Result<(String, Vec<String>)> {
    // The spare thread, started when the input was read (or now).
    decrypt_in_pieces(doc, key, selector, mac_only_encrypted, spare::warm_up())
}

/// [`decrypt_in_halves`] with `spare` as the second thread (`None`: this thread alone).
fn decrypt_in_pieces(
    doc: &mut Map,
    key: &DataKey,
    selector: &Selector,
    mac_only_encrypted: bool,
    spare: Option<&Spare>,
) -> Result<(String, Vec<String>)> {
    let len = doc.len();
    let mut pieces = Vec::with_capacity(PIECES);
    let mut left: &mut [Item] = doc;
    for i in 0..PIECES {
        let size = (i + 1) * len / PIECES - i * len / PIECES;
        let (piece, after) = left.split_at_mut(size);
        pieces.push(std::sync::Mutex::new(Some(piece)));
        left = after;
    }
    let items_of = |index: usize| lock(&pieces[index]).take().unwrap_or_default();
    let walked = |index: usize| {
        let mut nonces = NonceMemory::off();
        let mut w = Walker::decrypting(key, selector, mac_only_encrypted, &mut nonces);
        w.recorded = Some(MacInput::default());
        w.top_level_items(items_of(index))?;
        Ok((w.warnings, w.recorded.unwrap_or_default()))
    };
    let mut nonces = NonceMemory::off();
    let mut w = Walker::decrypting(key, selector, mac_only_encrypted, &mut nonces);
    let mut warnings = Vec::new();
    spare::in_order(
        spare,
        PIECES,
        &mut (&mut w, &mut warnings),
        &walked,
        |(w, warnings), index| {
            let walked = w.top_level_items(items_of(index));
            warnings.append(&mut w.warnings);
            walked
        },
        |(w, warnings), (their_warnings, recorded): Walked| {
            warnings.extend(their_warnings);
            recorded.hash_into(&mut w.hasher);
            Ok(())
        },
    )?;
    Ok((w.finish(), warnings))
}

impl<'a> Walker<'a> {
    /// A walker that decrypts.
    fn decrypting(
        key: &'a DataKey,
        selector: &'a Selector,
        mac_only_encrypted: bool,
        nonces: &'a mut NonceMemory,
    ) -> Walker<'a> {
        Walker::new(Mode::Decrypt, key, selector, mac_only_encrypted, nonces)
    }

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
            at: Cursor::new(selector),
            mac_only_encrypted,
            hasher,
            nonces,
            warnings: Vec::new(),
            ahead: None,
            next_leaf: 0,
            recorded: None,
        }
    }

    /// Walks `items` as the start, the whole or the rest of a document's top level.
    fn top_level_items(&mut self, items: &mut [Item]) -> Result<()> {
        self.at.open();
        let walked = self.items(items);
        self.at.close();
        walked
    }

    fn finish(self) -> String {
        let digest = self.hasher.finalize();
        let mut hex = String::with_capacity(128);
        for b in digest {
            hex.push_str(&format!("{b:02X}"));
        }
        hex
    }

    fn hash(&mut self, leaf: LeafRef, encrypted: bool) {
        if !matches!(leaf, LeafRef::Comment(_)) && (!self.mac_only_encrypted || encrypted) {
            match &mut self.recorded {
                Some(recorded) => recorded.push(&leaf.plaintext()),
                None => self.hasher.update(leaf.plaintext()),
            }
        }
    }

    /// Refuses a leaf to be encrypted that AES-GCM would refuse.
    fn check_sealable(&self, leaf: LeafRef) -> Result<()> {
        if leaf.plaintext().len() as u64 > cipher::MAX_PLAINTEXT {
            return Err(Error::new(
                Code::ErrorEncryptingTree,
                format!(
                    "the value at {} is too long to encrypt (AES-GCM takes at most 64 GiB)",
                    self.at.where_()
                ),
            ));
        }
        Ok(())
    }

    fn map(&mut self, map: &mut Map) -> Result<()> {
        self.at.open();
        let walked = self.items(map);
        self.at.close();
        walked
    }

    fn items(&mut self, items: &mut [Item]) -> Result<()> {
        for item in items.iter_mut() {
            match item {
                Item::Comment(text) => {
                    let encrypt = self.at.comment(text);
                    if let Some(new) = self.comment(text, encrypt)? {
                        *text = new;
                    }
                }
                Item::Pair(key, value) => {
                    self.at.enter_key(key);
                    self.value(value)?;
                    self.at.leave_key();
                }
            }
        }
        Ok(())
    }

    fn list(&mut self, list: &mut [Node]) -> Result<()> {
        self.at.open();
        for (i, node) in list.iter_mut().enumerate() {
            let is_comment = matches!(node, Node::Comment(_));
            self.at.enter_index(i);
            self.value(node)?;
            self.at.leave_index(is_comment);
        }
        self.at.close();
        Ok(())
    }

    /// A comment leaf (`encrypt`: the selector's decision); returns its new text when it
    /// changes.
    fn comment(&mut self, text: &str, encrypt: bool) -> Result<Option<Text>> {
        if !encrypt {
            return Ok(None);
        }
        match self.mode {
            Mode::Hash => {
                self.check_sealable(LeafRef::Comment(text))?;
                Ok(None)
            }
            Mode::Decrypt => match self.cipher.decrypt(text, self.at.leaf_aad()) {
                Ok(opened) => {
                    self.nonces
                        .remember(self.at.leaf_aad(), &opened.leaf, opened.iv);
                    Ok(Some(match opened.leaf {
                        Leaf::Comment(c) => c,
                        _ => return Ok(None),
                    }))
                }
                Err(_) => {
                    // sops assumes such a comment was never encrypted and keeps it.
                    self.warnings.push(format!(
                        "a comment at {} is not encrypted; kept as it is",
                        self.at.where_()
                    ));
                    Ok(None)
                }
            },
        }
    }

    fn value(&mut self, node: &mut Node) -> Result<()> {
        match node {
            Node::Map(m) => self.map(m),
            Node::List(l) => self.list(l),
            Node::Comment(text) => {
                let encrypt = self.at.comment(text);
                if let Some(new) = self.comment(text, encrypt)? {
                    *text = new;
                }
                Ok(())
            }
            Node::Scalar(Scalar::Null) => Ok(()),
            Node::Scalar(scalar) => {
                let ahead = match (&*scalar, &mut self.ahead) {
                    (Scalar::Str(_), Some(reader)) => reader.take(self.next_leaf)?,
                    _ => None,
                };
                if matches!(scalar, Scalar::Str(_)) {
                    self.next_leaf += 1;
                }
                let encrypt = self.at.value();
                match self.mode {
                    Mode::Decrypt if encrypt => {
                        let opened = match (ahead, &*scalar) {
                            (Some(ahead), _) => ahead.opened(),
                            (None, Scalar::Str(text)) => {
                                self.cipher.decrypt(text, self.at.leaf_aad())
                            }
                            (None, _) => {
                                return Err(Error::new(
                                    Code::ErrorDecryptingTree,
                                    format!(
                                        "could not decrypt value at {}: it is not encrypted",
                                        self.at.where_()
                                    ),
                                ))
                            }
                        }
                        .map_err(|e| {
                            Error::new(
                                e.code,
                                format!("could not decrypt value at {}: {}", self.at.where_(), e),
                            )
                        })?;
                        self.nonces
                            .remember(self.at.leaf_aad(), &opened.leaf, opened.iv);
                        self.hash((&opened.leaf).into(), true);
                        *node = match opened.leaf {
                            Leaf::Scalar(s) => Node::Scalar(s),
                            Leaf::Comment(c) => Node::Comment(c),
                        };
                        Ok(())
                    }
                    Mode::Hash | Mode::Decrypt => {
                        // A value taken out for decryption that stays as it is goes back.
                        if let (Some(ahead), Scalar::Str(s)) = (ahead, &mut *scalar) {
                            *s = ahead.text;
                        }
                        let leaf = LeafRef::Scalar(scalar);
                        if encrypt {
                            self.check_sealable(leaf)?;
                        }
                        self.hash(leaf, encrypt);
                        Ok(())
                    }
                }
            }
        }
    }
}

/// Encrypts the leaves of plaintext documents as a store writes them (`LeafSeal`), in the
/// walk's order and with its decisions; the MAC was computed before ([`plaintext_mac`]).
pub struct Sealer<'a> {
    at: Cursor<'a>,
    cipher: ValueCipher,
    nonces: &'a NonceMemory,
    /// The first encryption error: never expected once [`plaintext_mac`] checked every
    /// value, and still reported by [`Sealer::finish`] if it happens.
    error: Option<Error>,
}

impl<'a> Sealer<'a> {
    /// A sealer for the data key and selector of a file; values that `nonces` remembers at
    /// the same place keep their ciphertext.
    pub fn new(key: &DataKey, selector: &'a Selector, nonces: &'a NonceMemory) -> Sealer<'a> {
        Sealer {
            at: Cursor::new(selector),
            cipher: ValueCipher::new(key),
            nonces,
            error: None,
        }
    }

    /// After the writing: the error of a leaf that could not be encrypted, if any (the
    /// written text is then not to be used).
    pub fn finish(self) -> Result<()> {
        self.error.map_or(Ok(()), Err)
    }

    fn seal(&mut self, leaf: LeafRef) -> String {
        match self.at.seal(&self.cipher, self.nonces, leaf) {
            Ok(text) => text,
            Err(e) => {
                self.error.get_or_insert(e);
                String::new()
            }
        }
    }
}

impl LeafSeal for Sealer<'_> {
    fn open(&mut self) {
        self.at.open();
    }

    fn close(&mut self) {
        self.at.close();
    }

    fn enter_key(&mut self, key: &str) {
        self.at.enter_key(key);
    }

    fn leave_key(&mut self) {
        self.at.leave_key();
    }

    fn enter_index(&mut self, index: usize) {
        self.at.enter_index(index);
    }

    fn leave_index(&mut self) {
        self.at.leave_index(false);
    }

    fn scalar(&mut self, value: &Scalar) -> Option<String> {
        if matches!(value, Scalar::Null) || !self.at.value() {
            return None;
        }
        Some(self.seal(LeafRef::Scalar(value)))
    }

    fn comment(&mut self, text: &str) -> Option<String> {
        if !self.at.comment(text) {
            return None;
        }
        Some(self.seal(LeafRef::Comment(text)))
    }
}

/// Seals the MAC with the data key, authenticated by `lastmodified`.
pub fn seal_mac(key: &DataKey, mac_hex: &str, lastmodified: &str) -> Result<String> {
    let leaf = Leaf::Scalar(Scalar::Str(mac_hex.into()));
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
        Text::new()
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
    use crate::crypt::ahead::strings;
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
        let mut tampered = s.to_string();
        tampered.replace_range(20..24, "AAAA");
        *s = tampered.into();
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
        // More values than ahead::PARALLEL_MIN, with lists, list comments and plain values between.
        let mut doc = Map::new();
        for i in 0..super::super::ahead::PARALLEL_MIN as i64 / 2 + 100 {
            doc.push(Item::Comment(format!(" c{i}").into()));
            doc.push(Item::Pair(
                format!("k{i}").into(),
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
        // In two halves (nonces not remembered), and through the pipeline (remembered).
        let cut = halves(&encrypted, strings(&encrypted), &sel, false).expect("cut in two");
        assert!((4000..4300).contains(&cut), "{cut}");
        assert_eq!(halves(&encrypted, strings(&encrypted), &sel, true), None);
        for mut nonces in [NonceMemory::off(), NonceMemory::default()] {
            let mut docs = encrypted.clone();
            let (again, warnings) = decrypt(&mut docs, &key, &sel, false, &mut nonces).unwrap();
            assert_eq!(again, mac);
            assert_eq!(docs, original);
            assert!(warnings.is_empty());
        }
        // With only encrypted values in the MAC: the other half records the same choice.
        let mut only = original.clone();
        let mac_only = encrypt(&mut only, &key, &sel, true, &mut NonceMemory::default()).unwrap();
        assert_ne!(mac_only, mac);
        let (again, _) = decrypt(&mut only, &key, &sel, true, &mut NonceMemory::off()).unwrap();
        assert_eq!(again, mac_only);

        // A value moved to another path fails there, reported with its path, in either half.
        let Item::Pair(_, Node::Map(a)) = &encrypted[0][1] else {
            panic!()
        };
        let moved = a[0].clone();
        let with_moved = |places: &[usize]| {
            let mut docs = encrypted.clone();
            for &at in places {
                let Item::Pair(_, Node::Map(b)) = &mut docs[0][at] else {
                    panic!()
                };
                b[0] = moved.clone();
            }
            docs
        };
        for (places, name) in [(&[5001][..], "k2500"), (&[3], "k1"), (&[8001, 3], "k1")] {
            let mut docs = with_moved(places);
            let err = decrypt(&mut docs, &key, &sel, false, &mut NonceMemory::off()).unwrap_err();
            assert!(
                err.message.contains(&format!(r#"["{name}"]["v"]"#)),
                "{}",
                err.message
            );
            // The same on this thread alone.
            let mut docs = with_moved(places);
            let err = decrypt_in_pieces(&mut docs[0], &key, &sel, false, None).unwrap_err();
            assert!(err.message.contains(&format!(r#"["{name}"]["v"]"#)));
        }
        // No second thread: the calling thread decrypts every piece.
        let mut docs = encrypted.clone();
        let (again, _) = decrypt_in_pieces(&mut docs[0], &key, &sel, false, None).unwrap();
        assert_eq!(again, mac);
        assert_eq!(docs, original);
    }

    /// Recorded MAC input hashes as the same bytes fed value by value, small values and one
    /// bigger than a chunk among them, and filled chunks never move.
    #[test]
    fn recorded_mac_input_hashes_as_fed_directly() {
        let values: Vec<Vec<u8>> = (0..3000)
            .map(|i| match i {
                1500 => vec![7; MacInput::CHUNK + 10],
                _ => format!("value {i}").into_bytes(),
            })
            .collect();
        let mut recorded = MacInput::default();
        let mut direct = Sha512::new();
        let mut first_chunk = None;
        for v in &values {
            recorded.push(v);
            direct.update(v);
            first_chunk.get_or_insert(recorded.chunks[0].as_ptr());
        }
        assert_eq!(first_chunk, Some(recorded.chunks[0].as_ptr()));
        assert!(recorded.chunks.len() >= 3);
        let mut hasher = Sha512::new();
        recorded.hash_into(&mut hasher);
        assert_eq!(hasher.finalize(), direct.finalize());
    }

    #[test]
    fn only_one_document_without_comment_selectors_is_cut_in_two() {
        let doc: Map = (0..20)
            .map(|i| Item::Pair(format!("k{i}").into(), Node::str("v")))
            .collect();
        let sel = Selector::default();
        assert_eq!(
            halves(std::slice::from_ref(&doc), 20, &sel, false),
            Some(10)
        );
        assert_eq!(halves(&[doc.clone(), doc.clone()], 40, &sel, false), None);
        let comments = Selector::new(
            crate::crypt::select::SelectorKind::EncryptedCommentRegex,
            "x",
        )
        .unwrap();
        assert_eq!(
            halves(std::slice::from_ref(&doc), 20, &comments, false),
            None
        );
        // One item holding nearly every value cannot be cut evenly.
        let mut lopsided = vec![Item::Pair("big".into(), Node::Map(doc))];
        lopsided.push(Item::Pair("small".into(), Node::str("v")));
        assert_eq!(halves(&[lopsided], 21, &sel, false), None);
    }

    #[test]
    fn large_values_give_the_same_mac() {
        // Big values between small ones, with and without mac_only_encrypted: the MAC from
        // encryption equals the one decryption recomputes in order, and equals a plain
        // SHA-512.
        const BIG: usize = 256 * 1024;
        let big = |n: usize| "x".repeat(n);
        let doc: Map = vec![
            Item::Pair("a".into(), Node::str("small")),
            Item::Pair("big".into(), Node::str(big(BIG))),
            Item::Pair("b".into(), Node::Scalar(Scalar::Int(7))),
            Item::Pair(
                "blob".into(),
                Node::Scalar(Scalar::Bytes(vec![0xFF; BIG + 1].into())),
            ),
            Item::Pair("under".into(), Node::str(big(BIG - 1))),
            Item::Pair("big_unencrypted".into(), Node::str(big(BIG * 2))),
        ];
        let mut expected = Sha512::new();
        for part in [
            b"small".as_slice(),
            big(BIG).as_bytes(),
            b"7",
            &[0xFF; BIG + 1],
            big(BIG - 1).as_bytes(),
            big(BIG * 2).as_bytes(),
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
