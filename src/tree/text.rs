//! [`Text`], the string type of the tree's keys and string values.
//!
//! A big file's tree is most of the memory a run takes, and most of its keys and many of its
//! values are a few bytes long: as `String`s each cost a heap block (mimalloc's smallest is
//! 8 bytes) on top of the 24 bytes of the `String` itself. A `Text` is the same 24 bytes and
//! holds up to [`INLINE`] bytes in place, so a short key or value costs no allocation; longer
//! text goes to the heap in a block of exactly its length (no growth slack).

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// The most bytes a [`Text`] holds without an allocation: what fits beside its length and
/// its variant's tag in the 24 bytes a heap `Box<str>` (16 bytes) and the tag take anyway.
pub const INLINE: usize = 22;

/// An immutable string of the tree: short text in place, longer text in an exact-size heap
/// block. Reads as a `&str` through `Deref`; compares, hashes and prints as one.
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    /// Invariant: `bytes[..len]` is valid UTF-8 (copied from a `&str`), `len <= INLINE`.
    Inline {
        len: u8,
        bytes: [u8; INLINE],
    },
    Heap(Box<str>),
    /// Text that lives as long as the run and belongs to no one: a slice of an input file
    /// kept mapped ([`crate::input::Input::keep_for_run`]). Not copied, and not wiped (the
    /// bytes are the file's own read-only pages).
    Static(&'static str),
}

/// The representation of the empty text.
const EMPTY: Repr = Repr::Inline {
    len: 0,
    bytes: [0; INLINE],
};

impl Text {
    /// The empty text.
    pub const fn new() -> Text {
        Text(EMPTY)
    }

    /// The text as a string slice.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, bytes } => {
                // SAFETY: the inline bytes were copied whole from a `&str` (`inline`), so
                // they are valid UTF-8 up to `len`.
                unsafe { std::str::from_utf8_unchecked(&bytes[..*len as usize]) }
            }
            Repr::Heap(s) => s,
            Repr::Static(s) => s,
        }
    }

    /// `s` itself, not copied: for text that lives as long as the run, such as a slice of
    /// an input kept mapped ([`crate::input::Input::keep_for_run`]). A big encrypted file's
    /// `ENC[...]` values are most of its bytes, and copying them into the tree was most of
    /// the cost of reading it (fresh memory, first touched by the copy).
    pub fn from_static(s: &'static str) -> Text {
        Text(Repr::Static(s))
    }

    /// The text as an owned `String` (the heap block itself, when there is one: the `String`
    /// takes over the bytes, and wiping them becomes its owner's business).
    pub fn into_string(mut self) -> String {
        match std::mem::replace(&mut self.0, EMPTY) {
            Repr::Heap(s) => s.into_string(),
            inline => Text(inline).as_str().to_owned(),
        }
    }

    /// The text's bytes as an owned vector.
    pub fn into_bytes(self) -> Vec<u8> {
        self.into_string().into_bytes()
    }

    /// Overwrites the bytes with zeros (see `Drop`); the length stays.
    fn wipe(&mut self) {
        // Keeps the writes: without a read after them, they are dead stores before a free.
        match &mut self.0 {
            // A fixed-size store, not a call to memset: most keys and values are inline.
            Repr::Inline { bytes, .. } => {
                *bytes = [0; INLINE];
                std::hint::black_box(bytes);
            }
            Repr::Heap(s) if !s.starts_with("ENC[") => zero(s),
            Repr::Heap(_) | Repr::Static(_) => {}
        }
    }

    /// `s` in place, when it is short enough.
    fn inline(s: &str) -> Option<Text> {
        let len = s.len();
        if len > INLINE {
            return None;
        }
        let mut bytes = [0; INLINE];
        bytes[..len].copy_from_slice(s.as_bytes());
        Some(Text(Repr::Inline {
            len: len as u8,
            bytes,
        }))
    }
}

/// Wipes the bytes of a text when it goes: the tree holds decrypted values, and a freed
/// block keeps its bytes until it is reused. An `ENC[...]` value is left as it is (it is
/// ciphertext, as public as the file, and most of a big file's bytes: wiping it would cost
/// a 50,000-value decrypt some 5 MB of writes).
impl Drop for Text {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl Default for Text {
    fn default() -> Text {
        Text::new()
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self
    }
}

impl AsRef<[u8]> for Text {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::inline(s).unwrap_or_else(|| Text(Repr::Heap(s.into())))
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text::from(s.as_str())
    }
}

impl From<String> for Text {
    fn from(mut s: String) -> Text {
        // The string's heap block is kept when it is exactly the text's length. Otherwise the
        // text is copied (in place, or into an exact block: a string built up by pushing has
        // spare capacity) and the string wiped before it is freed, as it may hold a value.
        if s.len() > INLINE && s.len() == s.capacity() {
            return Text(Repr::Heap(s.into_boxed_str()));
        }
        let text = Text::from(s.as_str());
        zero(&mut s);
        text
    }
}

/// Overwrites `s` with zeros just before it is freed ([`crate::wipe::zero`]).
fn zero(s: &mut str) {
    // SAFETY: zeros leave the `str` valid UTF-8.
    crate::wipe::zero(unsafe { s.as_bytes_mut() });
}

impl From<&Text> for Text {
    fn from(s: &Text) -> Text {
        s.clone()
    }
}

impl From<std::borrow::Cow<'_, str>> for Text {
    fn from(s: std::borrow::Cow<'_, str>) -> Text {
        match s {
            std::borrow::Cow::Borrowed(s) => Text::from(s),
            std::borrow::Cow::Owned(s) => Text::from(s),
        }
    }
}

impl From<char> for Text {
    fn from(c: char) -> Text {
        Text::from(c.encode_utf8(&mut [0; 4]) as &str)
    }
}

impl From<Text> for String {
    fn from(s: Text) -> String {
        s.into_string()
    }
}

impl FromIterator<char> for Text {
    fn from_iter<I: IntoIterator<Item = char>>(iter: I) -> Text {
        Text::from(iter.into_iter().collect::<String>())
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `str` hashes, so that `Borrow<str>` look-ups in hash maps find it.
        self.as_str().hash(state)
    }
}

/// `Text == str`-like comparisons in both directions, as `String` has them.
macro_rules! eq_str {
    ($($other:ty),*) => {$(
        impl PartialEq<$other> for Text {
            fn eq(&self, other: &$other) -> bool {
                self.as_str() == AsRef::<str>::as_ref(other)
            }
        }
        impl PartialEq<Text> for $other {
            fn eq(&self, other: &Text) -> bool {
                AsRef::<str>::as_ref(self) == other.as_str()
            }
        }
    )*};
}
eq_str!(str, &str, String);

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_text_is_wiped_unless_it_is_ciphertext() {
        let short = "hunter2";
        let long = "a secret longer than twenty-two bytes";
        let sealed = "ENC[AES256_GCM,data:b8uh3LV/VA==,iv:EjVF,tag:FLKd,type:str]";
        for (text, wiped) in [(short, true), (long, true), (sealed, false)] {
            let mut t = Text::from(text);
            t.wipe();
            let expect = if wiped {
                "\0".repeat(text.len())
            } else {
                text.to_string()
            };
            assert_eq!(t.as_str(), expect, "{text}");
        }
        let inline = Text::from(short);
        let Repr::Inline { bytes, .. } = &inline.0 else {
            panic!("short text is inline");
        };
        assert_eq!(&bytes[..short.len()], short.as_bytes());
        assert_eq!(Text::from(long).into_string(), long);
    }

    #[test]
    fn is_as_big_as_a_string() {
        assert_eq!(std::mem::size_of::<Text>(), std::mem::size_of::<String>());
    }

    #[test]
    fn short_text_is_held_in_place_and_long_text_on_the_heap() {
        let fits = "é".repeat(INLINE / 2);
        assert!(matches!(Text::from(fits.as_str()).0, Repr::Inline { .. }));
        assert!(matches!(
            Text::from(String::new()).0,
            Repr::Inline { len: 0, .. }
        ));
        let long = "x".repeat(INLINE + 1);
        assert!(matches!(Text::from(long.clone()).0, Repr::Heap(_)));
        for s in ["", "a", fits.as_str(), long.as_str(), "ü€𝄞 mixed"] {
            let t = Text::from(s);
            assert_eq!(t.as_str(), s);
            assert_eq!(t.len(), s.len());
            assert_eq!(t, s);
            assert_eq!(t, Text::from(s.to_string()));
            assert_eq!(t.clone().into_string(), s);
            assert_eq!(format!("{t}|{t:?}"), format!("{s}|{s:?}"));
        }
    }

    #[test]
    fn heap_text_from_a_grown_string_is_exact() {
        let mut s = String::with_capacity(1000);
        s.push_str(&"y".repeat(100));
        let text = Text::from(s);
        let Repr::Heap(b) = &text.0 else {
            panic!("100 bytes are not inline")
        };
        assert_eq!(b.len(), 100);
    }

    #[test]
    fn heap_text_from_an_exact_string_keeps_its_block() {
        // Nothing is copied (and left behind unwiped) when the block already fits.
        let s = "z".repeat(INLINE + 10);
        assert_eq!(s.len(), s.capacity());
        let block = s.as_ptr();
        let Repr::Heap(b) = &Text::from(s).0 else {
            panic!("long text is on the heap")
        };
        assert_eq!(b.as_ptr(), block);
    }

    #[test]
    fn static_text_is_the_slice_itself_and_left_as_it_is() {
        static FILE: &str = "KEY=a value longer than twenty-two bytes\n";
        let value = &FILE[4..FILE.len() - 1];
        let mut t = Text::from_static(value);
        assert_eq!(t.as_ptr(), value.as_ptr());
        assert_eq!(t, value);
        assert_eq!(t.clone().as_ptr(), value.as_ptr());
        t.wipe();
        assert_eq!(t, value, "a static text is not ours to wipe");
        assert_eq!(t.clone().into_string(), value);
        assert_eq!(Text::from_static("").len(), 0);
    }

    #[test]
    fn orders_and_hashes_as_str() {
        use std::collections::HashMap;
        let mut m: HashMap<Text, u8> = HashMap::new();
        m.insert(Text::from("k"), 1);
        m.insert(Text::from("z".repeat(40)), 2);
        assert_eq!(m.get("k"), Some(&1));
        assert_eq!(m.get("z".repeat(40).as_str()), Some(&2));
        let (a, b) = (Text::from("a"), Text::from("b".repeat(30)));
        assert!(a < b);
    }
}
