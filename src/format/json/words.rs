//! Chunked scanning for JSON strings: skips 32 plain bytes per step, so long values (base64
//! ciphertext, binary files) are not inspected byte by byte.

/// Bytes per step: two SSE2 vectors; the fold below compiles to vector compares.
const CHUNK: usize = 32;

/// Whether `c` is printable ASCII and none of `stops`.
#[inline(always)]
fn is_plain<const N: usize>(c: u8, stops: [u8; N]) -> bool {
    let mut plain = c.wrapping_sub(0x20) < 0x60;
    for s in stops {
        plain &= c != s;
    }
    plain
}

/// The length of the leading whole 32-byte chunks of `b` that hold no control character, no
/// non-ASCII byte and none of `stops`. The byte that ends the run lies at or after it.
pub fn plain_chunks<const N: usize>(b: &[u8], stops: [u8; N]) -> usize {
    let mut n = 0;
    for chunk in b.chunks_exact(CHUNK) {
        // No early exit inside a chunk, so the compiler can compare all 32 bytes at once.
        if !chunk.iter().fold(true, |all, &c| all & is_plain(c, stops)) {
            break;
        }
        n += CHUNK;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Per byte: whether the scan may skip it.
    fn plain(c: u8, stops: &[u8]) -> bool {
        (0x20..0x80).contains(&c) && !stops.contains(&c)
    }

    #[test]
    fn stops_at_the_chunk_holding_the_first_special_byte() {
        let stops = *b"\"\\<>&";
        for special in (0..=255u8).filter(|&c| !plain(c, &stops)) {
            for at in 0..96 {
                let mut text = vec![b'a'; 96];
                text[at] = special;
                assert_eq!(
                    plain_chunks(&text, stops),
                    at / 32 * 32,
                    "byte {special:#x} at {at}"
                );
            }
        }
    }

    #[test]
    fn skips_every_plain_chunk() {
        let stops = *b"\"\\";
        let text: Vec<u8> = (0x20..0x80u8).filter(|&c| plain(c, &stops)).collect();
        assert_eq!(plain_chunks(&text, stops), text.len() / 32 * 32);
        for &c in &text {
            assert_eq!(plain_chunks(&[c; 64], stops), 64, "byte {c:#x}");
        }
    }
}
