//! Masking decrypted values: the layout of a decrypted file with every value that was
//! encrypted replaced by `*****` (`secret decrypt --mask`, the git diff driver).
//!
//! Masking compares the decrypted tree with the encrypted one it came from, position by
//! position: a leaf is masked when its encrypted counterpart is an `ENC[...]` string. Values
//! the selector left plain are shown as they are, since the encrypted file shows them too.

pub mod stream;

use crate::crypt::cipher;
use crate::tree::{Item, Map, Node, Scalar};

/// What replaces a masked value (the same whatever the value's length).
pub const MASK: &str = "*****";

/// How to mask.
#[derive(Debug, Clone, Copy, Default)]
pub struct MaskOptions {
    /// Append a short tag taken from the value's ciphertext (the first 8 characters of its
    /// IV), so a changed value shows as a changed line without revealing anything the
    /// encrypted file does not show already.
    pub tag: bool,
    /// Mask encrypted comments too (otherwise they are shown decrypted).
    pub comments: bool,
}

/// Masks `plain` (decrypted documents) using `encrypted` (the same documents before
/// decryption) to tell which leaves were encrypted.
pub fn mask_docs(plain: &mut [Map], encrypted: &[Map], options: MaskOptions) {
    for (p, e) in plain.iter_mut().zip(encrypted) {
        mask_map(p, e, options);
    }
}

/// The masked text for an encrypted value.
fn masked(enc: &str, options: MaskOptions) -> String {
    if options.tag {
        format!("{MASK}{}", tag_of(enc))
    } else {
        MASK.to_string()
    }
}

/// `[iv-prefix]` of an `ENC[...]` string ("" when there is no IV to show).
fn tag_of(enc: &str) -> String {
    enc.rsplit_once(",iv:")
        .and_then(|(_, rest)| rest.split_once(",tag:"))
        .map(|(iv, _)| format!("[{}]", iv.chars().take(8).collect::<String>()))
        .unwrap_or_default()
}

fn is_enc(text: &str) -> bool {
    cipher::is_encrypted(text)
}

fn mask_map(plain: &mut Map, encrypted: &Map, options: MaskOptions) {
    for (p, e) in plain.iter_mut().zip(encrypted) {
        match (p, e) {
            (Item::Pair(_, pv), Item::Pair(_, ev)) => mask_node(pv, ev, options),
            (Item::Comment(pc), Item::Comment(ec)) if options.comments && is_enc(ec) => {
                *pc = format!(" {}", masked(ec, options)).into();
            }
            _ => {}
        }
    }
}

fn mask_node(plain: &mut Node, encrypted: &Node, options: MaskOptions) {
    match (plain, encrypted) {
        (Node::Map(pm), Node::Map(em)) => mask_map(pm, em, options),
        (Node::List(pl), Node::List(el)) => {
            for (p, e) in pl.iter_mut().zip(el) {
                mask_node(p, e, options);
            }
        }
        // An encrypted comment inside a list is a string element in the encrypted tree.
        (Node::Comment(pc), Node::Scalar(Scalar::Str(ec))) if options.comments && is_enc(ec) => {
            *pc = format!(" {}", masked(ec, options)).into();
        }
        (p @ Node::Scalar(_), Node::Scalar(Scalar::Str(ec))) if is_enc(ec) => {
            *p = Node::Scalar(Scalar::Str(masked(ec, options).into()));
        }
        _ => {}
    }
}

/// The leaves of `plain` whose counterparts in `encrypted` are `ENC[...]` strings: the secret
/// values, as opposed to those the selector left plain (for `exec-* --mask-output`).
pub fn encrypted_leaves<'a>(plain: &'a [Map], encrypted: &[Map]) -> Vec<&'a Scalar> {
    let mut out = Vec::new();
    for (p, e) in plain.iter().zip(encrypted) {
        leaves_of_map(p, e, &mut out);
    }
    out
}

fn leaves_of_map<'a>(plain: &'a Map, encrypted: &Map, out: &mut Vec<&'a Scalar>) {
    for (p, e) in plain.iter().zip(encrypted) {
        if let (Item::Pair(_, pv), Item::Pair(_, ev)) = (p, e) {
            leaves_of_node(pv, ev, out);
        }
    }
}

fn leaves_of_node<'a>(plain: &'a Node, encrypted: &Node, out: &mut Vec<&'a Scalar>) {
    match (plain, encrypted) {
        (Node::Map(pm), Node::Map(em)) => leaves_of_map(pm, em, out),
        (Node::List(pl), Node::List(el)) => {
            for (p, e) in pl.iter().zip(el) {
                leaves_of_node(p, e, out);
            }
        }
        (Node::Scalar(s), Node::Scalar(Scalar::Str(ec))) if is_enc(ec) => out.push(s),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_encrypted_leaves_only() {
        let enc = vec![vec![
            Item::Comment("ENC[AES256_GCM,data:abc,iv:IVIVIVIVxyz,tag:t,type:comment]".into()),
            Item::Pair(
                "a".into(),
                Node::str("ENC[AES256_GCM,data:abc,iv:12345678abc,tag:t,type:int]"),
            ),
            Item::Pair("b_unencrypted".into(), Node::str("plain")),
        ]];
        let plain = vec![vec![
            Item::Comment(" hello".into()),
            Item::Pair("a".into(), Node::Scalar(Scalar::Int(5))),
            Item::Pair("b_unencrypted".into(), Node::str("plain")),
        ]];
        let mut m = plain.clone();
        mask_docs(&mut m, &enc, MaskOptions::default());
        assert_eq!(m[0][0], Item::Comment(" hello".into()));
        assert_eq!(m[0][1], Item::Pair("a".into(), Node::str("*****")));
        assert_eq!(m[0][2], plain[0][2]);
        let mut t = plain.clone();
        mask_docs(
            &mut t,
            &enc,
            MaskOptions {
                tag: true,
                comments: true,
            },
        );
        assert_eq!(t[0][0], Item::Comment(" *****[IVIVIVIV]".into()));
        assert_eq!(
            t[0][1],
            Item::Pair("a".into(), Node::str("*****[12345678]"))
        );
        assert_eq!(encrypted_leaves(&plain, &enc), [&Scalar::Int(5)]);
    }
}
