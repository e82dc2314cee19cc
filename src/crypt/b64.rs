//! Base64 of the parts of an `ENC[...]` value, as sops writes and reads them with Go's
//! `base64.StdEncoding`: padded standard alphabet; when reading, `\r` and `\n` are skipped
//! anywhere and the unused low bits of the last character are not checked (Go's decoder is
//! not strict).
//!
//! Every value of a file is encoded or decoded three times (data, nonce, tag), mostly a few
//! dozen bytes each, so both directions are table-driven, a group of three bytes per step.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Appends the padded standard base64 of `bytes` to `out`.
pub fn encode_into(bytes: &[u8], out: &mut Vec<u8>) {
    let char_of = |bits: u32| ALPHABET[(bits & 0x3F) as usize];
    let start = out.len();
    out.resize(start + bytes.len().div_ceil(3) * 4, b'=');
    let out = &mut out[start..];
    let groups = bytes.chunks_exact(3);
    let rest = groups.remainder();
    for (group, chars) in groups.zip(out.chunks_exact_mut(4)) {
        let bits = u32::from(group[0]) << 16 | u32::from(group[1]) << 8 | u32::from(group[2]);
        chars[0] = char_of(bits >> 18);
        chars[1] = char_of(bits >> 12);
        chars[2] = char_of(bits >> 6);
        chars[3] = char_of(bits);
    }
    // The last one or two bytes: their characters, then the padding already in place.
    if let (Some(&a), Some(chars)) = (rest.first(), out.last_chunk_mut::<4>()) {
        let bits = u32::from(a) << 16 | rest.get(1).map_or(0, |&b| u32::from(b) << 8);
        chars[0] = char_of(bits >> 18);
        chars[1] = char_of(bits >> 12);
        if rest.len() == 2 {
            chars[2] = char_of(bits >> 6);
        }
    }
}

/// For each of the four characters of a group, every byte's six bits shifted to their place
/// in the group's 24 bits; bytes outside the alphabet have [`PLACED_INVALID`] set.
static PLACED: [[u32; 256]; 4] = placed();
const PLACED_INVALID: u32 = 0xFF00_0000;

const fn placed() -> [[u32; 256]; 4] {
    let mut tables = [[PLACED_INVALID; 256]; 4];
    let mut i = 0;
    while i < 64 {
        let c = ALPHABET[i] as usize;
        let mut position = 0;
        while position < 4 {
            tables[position][c] = (i as u32) << (18 - 6 * position);
            position += 1;
        }
        i += 1;
    }
    tables
}

/// The text is not padded standard base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

/// Decodes `text` onto the end of `out`.
pub fn decode_into(text: &[u8], out: &mut Vec<u8>) -> Result<(), Invalid> {
    with_breaks_skipped(text, |text| {
        let start = out.len();
        out.resize(start + decoded_len(text)?, 0);
        decode_exact(text, &mut out[start..]).inspect_err(|_| out.truncate(start))
    })
}

/// Decodes `text` into the start of `out` and returns the decoded length; `Invalid` also
/// when `out` is too short.
pub fn decode_to_slice(text: &[u8], out: &mut [u8]) -> Result<usize, Invalid> {
    with_breaks_skipped(text, |text| {
        let len = decoded_len(text)?;
        decode_exact(text, out.get_mut(..len).ok_or(Invalid)?)?;
        Ok(len)
    })
}

/// Runs `decode` on `text`, and when that fails on a text holding line breaks, again on the
/// text without them (they are rare, so they cost nothing until met).
fn with_breaks_skipped<T>(
    text: &[u8],
    mut decode: impl FnMut(&[u8]) -> Result<T, Invalid>,
) -> Result<T, Invalid> {
    decode(text).or_else(|invalid| {
        if !text.iter().any(|&b| b == b'\r' || b == b'\n') {
            return Err(invalid);
        }
        let kept: Vec<u8> = text
            .iter()
            .copied()
            .filter(|&b| b != b'\r' && b != b'\n')
            .collect();
        decode(&kept)
    })
}

/// The number of bytes `text` decodes to, from its length and padding.
fn decoded_len(text: &[u8]) -> Result<usize, Invalid> {
    if text.len() % 4 != 0 {
        return Err(Invalid);
    }
    let padding = match text {
        [.., b'=', b'='] => 2,
        [.., b'='] => 1,
        _ => 0,
    };
    Ok(text.len() / 4 * 3 - padding)
}

/// Decodes `text` into `out`, which is exactly [`decoded_len`] long: four characters to
/// three bytes a step, the padded last group apart.
fn decode_exact(text: &[u8], out: &mut [u8]) -> Result<(), Invalid> {
    let Some((body, last)) = text.split_last_chunk::<4>() else {
        return Ok(());
    };
    let groups = body.len() / 4;
    let (out_body, out_last) = out.split_at_mut(groups * 3);
    // Indexed within lengths checked once, so the loop has no bounds checks left.
    let (body, out_body) = (&body[..groups * 4], &mut out_body[..groups * 3]);
    // Each character's six bits already in place for its position in the group, from one
    // of four tables: a group is four loads and three ORs.
    let mut bad = 0u32;
    for (chars, bytes) in body.chunks_exact(4).zip(out_body.chunks_exact_mut(3)) {
        let bits = placed_bits(chars);
        bad |= bits;
        bytes.copy_from_slice(&bits.to_be_bytes()[1..]);
    }
    // Checked once at the end: a bad character leaves garbage that is thrown away.
    if bad & PLACED_INVALID != 0 {
        return Err(Invalid);
    }
    let group = match last {
        [a, b, b'=', b'='] => [*a, *b, b'A', b'A'],
        [a, b, c, b'='] => [*a, *b, *c, b'A'],
        _ => *last,
    };
    let bits = group_bits(group)?;
    out_last.copy_from_slice(&bits.to_be_bytes()[1..1 + out_last.len()]);
    Ok(())
}

/// The 24 bits four characters stand for, with [`PLACED_INVALID`] set if one is outside
/// the alphabet.
#[inline(always)]
fn placed_bits(chars: &[u8]) -> u32 {
    PLACED[0][usize::from(chars[0])]
        | PLACED[1][usize::from(chars[1])]
        | PLACED[2][usize::from(chars[2])]
        | PLACED[3][usize::from(chars[3])]
}

/// The 24 bits four characters stand for.
fn group_bits(group: [u8; 4]) -> Result<u32, Invalid> {
    let bits = placed_bits(&group);
    if bits & PLACED_INVALID != 0 {
        return Err(Invalid);
    }
    Ok(bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use proptest::prelude::*;

    fn decode(text: &str) -> Result<Vec<u8>, Invalid> {
        let mut out = Vec::new();
        decode_into(text.as_bytes(), &mut out).map(|()| out)
    }

    #[test]
    fn reads_padded_standard_base64_as_go_does() {
        assert_eq!(decode("").unwrap(), b"");
        assert_eq!(decode("Zg==").unwrap(), b"f");
        assert_eq!(decode("Zm8=").unwrap(), b"fo");
        assert_eq!(decode("Zm9v").unwrap(), b"foo");
        assert_eq!(decode("Zm9vYg==").unwrap(), b"foob");
        // Go skips line breaks and does not check the unused bits of the last character.
        assert_eq!(decode("Zm9v\r\nYg==\n").unwrap(), b"foob");
        assert_eq!(decode("Zh==").unwrap(), b"f");
        for bad in [
            "Zg",
            "Zg=",
            "Z===",
            "Zg=a",
            "Zm9v=",
            "Zm-v",
            "Zm9v Yg==",
            "=Zm9",
        ] {
            assert_eq!(decode(bad), Err(Invalid), "{bad:?}");
        }
    }

    #[test]
    fn a_slice_too_short_is_refused() {
        let mut out = [0u8; 2];
        assert_eq!(decode_to_slice(b"Zm9v", &mut out), Err(Invalid));
        let mut out = [0u8; 4];
        assert_eq!(decode_to_slice(b"Zm8=", &mut out), Ok(2));
        assert_eq!(&out[..2], b"fo");
    }

    proptest! {
        #[test]
        fn encodes_as_base64_does(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut out = b"x".to_vec();
            encode_into(&bytes, &mut out);
            let want = STANDARD.encode(&bytes);
            prop_assert_eq!(&out[1..], want.as_bytes());
        }

        #[test]
        fn decodes_what_base64_encodes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(decode(&STANDARD.encode(&bytes)).unwrap(), bytes);
        }

        /// Anything the strict reference decoder accepts decodes the same here.
        #[test]
        fn agrees_with_a_strict_decoder(text in "[A-Za-z0-9+/=]{0,12}") {
            if let Ok(want) = STANDARD.decode(&text) {
                prop_assert_eq!(decode(&text).unwrap(), want);
            }
        }
    }
}
