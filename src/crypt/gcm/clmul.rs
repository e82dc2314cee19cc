//! AES-256-GCM for short values on x86-64, with the AES-NI and PCLMULQDQ instructions.
//!
//! Why: a sops value is a few dozen bytes under a 32-byte nonce, so the cost of opening one
//! is per call, not per byte: aws-lc's generic path copies its context, hashes the nonce and
//! each block with a reduction apiece, and ends in a table-driven tag. Here the nonce's
//! GHASH is one aggregated product (its blocks times H³, H², H, one reduction), the
//! associated data, ciphertext and length block another, and the few AES blocks (the
//! tag's and the counters') run side by side. Long inputs go to aws-lc (see
//! [`super::Aes256Gcm`]), whose wide vector code wins there.
//!
//! The arithmetic is GCM's (NIST SP 800-38D) in the usual bit-reflected form for
//! carry-less multiplication: blocks are byte-reversed on load, H is kept as H·x ("twisted")
//! so that a product needs no extra shift, and a 256-bit product is reduced with two
//! multiplications by the constant 0xC2…01 (Gueron and Kounavis, "Intel Carry-Less
//! Multiplication Instruction and its Usage for Computing the GCM Mode"). All of it runs in
//! constant time: no table look-up, no branch on secret data; the tag is compared without
//! an early exit.

use std::arch::x86_64::*;
use zeroize::Zeroize;

/// How many blocks one GHASH reduction takes at most (powers of H kept).
const POWERS: usize = 8;

/// True when this processor has what the code here needs.
pub fn available() -> bool {
    is_x86_feature_detected!("aes")
        && is_x86_feature_detected!("pclmulqdq")
        && is_x86_feature_detected!("ssse3")
}

/// An AES-256 key schedule and the GHASH key's powers. Wiped when dropped.
pub struct Key {
    /// The 15 round keys.
    rounds: [__m128i; 15],
    /// H¹ … H⁸, twisted (times x), bit-reflected.
    powers: [__m128i; POWERS],
    /// For each power, its two 64-bit halves XORed together (Karatsuba's middle factor).
    middles: [__m128i; POWERS],
}

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: the key is plain data (vectors of bytes); the view covers exactly it.
        let bytes = unsafe {
            std::slice::from_raw_parts_mut(
                (self as *mut Key).cast::<u8>(),
                std::mem::size_of::<Key>(),
            )
        };
        bytes.zeroize();
    }
}

impl Key {
    /// The schedule and powers for `key`. The caller has checked [`available`].
    pub fn new(key: &[u8; 32]) -> Box<Key> {
        // Built in place on the heap, so that no copy of the schedule is left behind by a
        // move.
        let mut built = Box::new(Key {
            // SAFETY: all-zero vectors are valid values.
            rounds: unsafe { std::mem::zeroed() },
            powers: unsafe { std::mem::zeroed() },
            middles: unsafe { std::mem::zeroed() },
        });
        // SAFETY: `available` was checked by the caller.
        unsafe { built.init(key) };
        built
    }

    #[target_feature(enable = "aes,pclmulqdq,ssse3")]
    unsafe fn init(&mut self, key: &[u8; 32]) {
        expand(key, &mut self.rounds);
        let h = reflect(self.encrypt_block(_mm_setzero_si128()));
        let h = twist(h);
        self.powers[0] = h;
        self.middles[0] = middle(h);
        for i in 1..POWERS {
            let next = {
                let mut product = Product::default();
                product.add(self.powers[i - 1], h, middle(h));
                product.reduce()
            };
            self.powers[i] = next;
            self.middles[i] = middle(next);
        }
    }

    /// Encrypts `buffer` in place under `nonce` (not empty) and `aad`; the tag.
    pub fn seal(&self, nonce: &[u8], aad: &[u8], buffer: &mut [u8]) -> [u8; 16] {
        // SAFETY: a `Key` exists only where `available` held.
        unsafe { self.seal_inner(nonce, aad, buffer) }
    }

    /// Checks `tag` and decrypts `buffer` in place; false, with the buffer zeroed, when the
    /// tag does not match.
    pub fn open(&self, nonce: &[u8], aad: &[u8], buffer: &mut [u8], tag: &[u8; 16]) -> bool {
        // SAFETY: as in `seal`.
        unsafe { self.open_inner(nonce, aad, buffer, tag) }
    }

    #[target_feature(enable = "aes,pclmulqdq,ssse3")]
    unsafe fn seal_inner(&self, nonce: &[u8], aad: &[u8], buffer: &mut [u8]) -> [u8; 16] {
        let j0 = self.first_counter(nonce);
        let mask = self.counter_mode(j0, buffer);
        let s = self.tag_hash(aad, buffer);
        let mut tag = [0u8; 16];
        _mm_storeu_si128(tag.as_mut_ptr().cast(), _mm_xor_si128(mask, s));
        tag
    }

    #[target_feature(enable = "aes,pclmulqdq,ssse3")]
    unsafe fn open_inner(
        &self,
        nonce: &[u8],
        aad: &[u8],
        buffer: &mut [u8],
        tag: &[u8; 16],
    ) -> bool {
        let j0 = self.first_counter(nonce);
        // The hash is of the ciphertext, so it comes before the decryption in place; the
        // tag's mask comes out of the same AES batch as the first counter blocks.
        let s = self.tag_hash(aad, buffer);
        let mask = self.counter_mode(j0, buffer);
        let want = _mm_xor_si128(mask, s);
        let given = _mm_loadu_si128(tag.as_ptr().cast());
        // All 16 bytes are compared before deciding: no early exit on the first difference.
        let equal = _mm_movemask_epi8(_mm_cmpeq_epi8(want, given)) == 0xFFFF;
        if !equal {
            buffer.zeroize();
        }
        equal
    }

    /// J0, bit-reflected: the nonce with a counter of 1 when it is 12 bytes, else the GHASH
    /// of the nonce and its length in bits.
    #[inline]
    #[target_feature(enable = "aes,pclmulqdq,ssse3")]
    unsafe fn first_counter(&self, nonce: &[u8]) -> __m128i {
        if nonce.len() == 12 {
            let mut block = [0u8; 16];
            block[..12].copy_from_slice(nonce);
            block[15] = 1;
            return reflect(_mm_loadu_si128(block.as_ptr().cast()));
        }
        self.ghash(nonce, &[], _mm_set_epi64x(0, bits(nonce.len())))
    }

    /// GHASH of `aad`, `ciphertext` and their lengths: the tag before its mask, in byte order.
    #[inline]
    #[target_feature(enable = "aes,pclmulqdq,ssse3")]
    unsafe fn tag_hash(&self, aad: &[u8], ciphertext: &[u8]) -> __m128i {
        let lengths = _mm_set_epi64x(bits(aad.len()), bits(ciphertext.len()));
        reflect(self.ghash(aad, ciphertext, lengths))
    }

    /// GHASH (from zero) of `first` and `second`, each padded with zeros to whole blocks,
    /// then of `last`, a block already reflected. The blocks are taken in batches of up to
    /// [`POWERS`], each multiplied by the power of H its place in the batch calls for and
    /// reduced once; the first batch takes the odd blocks, so that the count is known as
    /// the blocks stream by.
    #[inline]
    #[target_feature(enable = "aes,pclmulqdq,ssse3")]
    unsafe fn ghash(&self, first: &[u8], second: &[u8], last: __m128i) -> __m128i {
        let total = first.len().div_ceil(16) + second.len().div_ceil(16) + 1;
        let mut batch = Batch {
            key: self,
            acc: _mm_setzero_si128(),
            product: Product::default(),
            left: (total - 1) % POWERS + 1,
            fresh: true,
        };
        for part in [first, second] {
            let mut blocks = part.chunks_exact(16);
            for block in &mut blocks {
                batch.add(reflect(_mm_loadu_si128(block.as_ptr().cast())));
            }
            let rest = blocks.remainder();
            if !rest.is_empty() {
                batch.add(reflect(load_partial(rest)));
            }
        }
        batch.add(last);
        batch.acc
    }

    /// XORs `buffer` with the key stream that starts at counter J0 + 1; returns E(J0), the
    /// tag's mask. The counter is the low 32 bits of the reflected J0 (the last four bytes,
    /// big-endian) and wraps within them, as GCM's inc32 does.
    #[target_feature(enable = "aes,pclmulqdq,ssse3")]
    unsafe fn counter_mode(&self, j0: __m128i, buffer: &mut [u8]) -> __m128i {
        let one = _mm_set_epi32(0, 0, 0, 1);
        let four = _mm_set_epi32(0, 0, 0, 4);
        // The mask and the first three counter blocks together: a short value needs no more.
        let mut counter = _mm_add_epi32(j0, one);
        let c1 = _mm_add_epi32(counter, one);
        let c2 = _mm_add_epi32(c1, one);
        let [mask, k0, k1, k2] =
            self.encrypt4([reflect(j0), reflect(counter), reflect(c1), reflect(c2)]);
        let mut chunks = buffer.chunks_mut(16);
        for stream in [k0, k1, k2] {
            match chunks.next() {
                Some(chunk) => xor_into(chunk, stream),
                None => return mask,
            }
        }
        counter = _mm_add_epi32(c2, one);
        loop {
            let c = [
                counter,
                _mm_add_epi32(counter, one),
                _mm_add_epi32(counter, _mm_set_epi32(0, 0, 0, 2)),
                _mm_add_epi32(counter, _mm_set_epi32(0, 0, 0, 3)),
            ];
            let stream = self.encrypt4(c.map(|c| reflect(c)));
            for s in stream {
                match chunks.next() {
                    Some(chunk) => xor_into(chunk, s),
                    None => return mask,
                }
            }
            counter = _mm_add_epi32(counter, four);
        }
    }

    #[target_feature(enable = "aes,pclmulqdq,ssse3")]
    unsafe fn encrypt_block(&self, block: __m128i) -> __m128i {
        let mut b = _mm_xor_si128(block, self.rounds[0]);
        for round in &self.rounds[1..14] {
            b = _mm_aesenc_si128(b, *round);
        }
        _mm_aesenclast_si128(b, self.rounds[14])
    }

    /// Four blocks through AES at once (their rounds interleave in the pipeline).
    #[target_feature(enable = "aes,pclmulqdq,ssse3")]
    unsafe fn encrypt4(&self, blocks: [__m128i; 4]) -> [__m128i; 4] {
        let mut b = blocks.map(|b| _mm_xor_si128(b, self.rounds[0]));
        for round in &self.rounds[1..14] {
            b = b.map(|b| _mm_aesenc_si128(b, *round));
        }
        b.map(|b| _mm_aesenclast_si128(b, self.rounds[14]))
    }
}

/// A GHASH batch in progress: acc ← (acc ⊕ b₁)·Hⁿ ⊕ b₂·Hⁿ⁻¹ ⊕ … ⊕ bₙ·H over its n blocks.
struct Batch<'k> {
    key: &'k Key,
    /// The hash of the batches before, reflected.
    acc: __m128i,
    product: Product,
    /// Blocks still to come in this batch.
    left: usize,
    /// No block of this batch has come yet.
    fresh: bool,
}

impl Batch<'_> {
    /// The next block, reflected.
    #[inline]
    #[target_feature(enable = "aes,pclmulqdq,ssse3")]
    unsafe fn add(&mut self, block: __m128i) {
        let block = if self.fresh {
            self.fresh = false;
            _mm_xor_si128(block, self.acc)
        } else {
            block
        };
        self.left -= 1;
        let power = self.left;
        (self.product).add(block, self.key.powers[power], self.key.middles[power]);
        if power == 0 {
            self.acc = std::mem::take(&mut self.product).reduce();
            self.left = POWERS;
            self.fresh = true;
        }
    }
}

/// A sum of unreduced 256-bit carry-less products, in Karatsuba's three parts.
struct Product {
    low: __m128i,
    high: __m128i,
    mid: __m128i,
}

impl Default for Product {
    #[inline]
    fn default() -> Product {
        // SAFETY: SSE2 is part of x86-64.
        let zero = unsafe { _mm_setzero_si128() };
        Product {
            low: zero,
            high: zero,
            mid: zero,
        }
    }
}

impl Product {
    /// Adds `a`·`h`, where `h_middle` is [`middle`] of `h`.
    #[target_feature(enable = "aes,pclmulqdq,ssse3")]
    unsafe fn add(&mut self, a: __m128i, h: __m128i, h_middle: __m128i) {
        self.low = _mm_xor_si128(self.low, _mm_clmulepi64_si128(a, h, 0x00));
        self.high = _mm_xor_si128(self.high, _mm_clmulepi64_si128(a, h, 0x11));
        let a_middle = middle(a);
        self.mid = _mm_xor_si128(self.mid, _mm_clmulepi64_si128(a_middle, h_middle, 0x00));
    }

    /// The sum reduced modulo GCM's polynomial (for a twisted H, the product of the
    /// untwisted values).
    #[target_feature(enable = "aes,pclmulqdq,ssse3")]
    unsafe fn reduce(self) -> __m128i {
        let mid = _mm_xor_si128(self.mid, _mm_xor_si128(self.low, self.high));
        let low = _mm_xor_si128(self.low, _mm_slli_si128(mid, 8));
        let high = _mm_xor_si128(self.high, _mm_srli_si128(mid, 8));
        let low = reduce_round(reduce_round(low));
        _mm_xor_si128(low, high)
    }
}

/// 0xC2000000_00000000_00000000_00000001: GCM's polynomial, reflected, as the reduction
/// uses it.
#[target_feature(enable = "aes,pclmulqdq,ssse3")]
unsafe fn polynomial() -> __m128i {
    _mm_set_epi64x(0xC200_0000_0000_0000u64 as i64, 1)
}

#[target_feature(enable = "aes,pclmulqdq,ssse3")]
unsafe fn reduce_round(a: __m128i) -> __m128i {
    let t = _mm_clmulepi64_si128(polynomial(), a, 0x01);
    _mm_xor_si128(_mm_shuffle_epi32(a, 0x4E), t)
}

/// The two 64-bit halves of `a` XORed, in both halves.
#[target_feature(enable = "aes,pclmulqdq,ssse3")]
unsafe fn middle(a: __m128i) -> __m128i {
    _mm_xor_si128(a, _mm_shuffle_epi32(a, 0x4E))
}

/// H·x in the reflected field: a shift left by one bit, with the polynomial added when the
/// top bit falls out.
#[target_feature(enable = "aes,pclmulqdq,ssse3")]
unsafe fn twist(h: __m128i) -> __m128i {
    let top = _mm_srai_epi32(_mm_shuffle_epi32(h, 0xFF), 31);
    let carries = _mm_slli_si128(_mm_srli_epi32(h, 31), 4);
    let shifted = _mm_slli_epi32(h, 1);
    _mm_xor_si128(
        _mm_xor_si128(shifted, carries),
        _mm_and_si128(top, polynomial()),
    )
}

/// The block with its 16 bytes in reverse order.
#[target_feature(enable = "aes,pclmulqdq,ssse3")]
unsafe fn reflect(block: __m128i) -> __m128i {
    _mm_shuffle_epi8(
        block,
        _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    )
}

/// A length in bytes as GCM's 64-bit count of bits.
fn bits(len: usize) -> i64 {
    (len as u64).wrapping_mul(8) as i64
}

/// XORs `chunk` (at most 16 bytes) with the first bytes of `stream`.
#[inline]
#[target_feature(enable = "aes,pclmulqdq,ssse3")]
unsafe fn xor_into(chunk: &mut [u8], stream: __m128i) {
    if chunk.len() == 16 {
        let data = _mm_loadu_si128(chunk.as_ptr().cast());
        _mm_storeu_si128(chunk.as_mut_ptr().cast(), _mm_xor_si128(data, stream));
        return;
    }
    let mixed = _mm_xor_si128(load_partial(chunk), stream);
    store_partial(chunk, mixed);
}

/// The bytes of `bytes` (fewer than 16) as a block padded with zeros, read with a few
/// overlapping word loads rather than a copy (a call to `memcpy` per short value shows).
#[inline]
#[target_feature(enable = "aes,pclmulqdq,ssse3")]
unsafe fn load_partial(bytes: &[u8]) -> __m128i {
    let n = bytes.len();
    debug_assert!(n < 16);
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    let (low, high) = if n >= 8 {
        // The last eight bytes, shifted down so that only those past the first eight stay.
        let high = match n {
            8 => 0,
            _ => word(n - 8) >> (8 * (16 - n)),
        };
        (word(0), high)
    } else {
        (small_word(bytes), 0)
    };
    _mm_set_epi64x(high as i64, low as i64)
}

/// The bytes of `bytes` (fewer than eight) as a little-endian word.
#[inline]
fn small_word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let half = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as u64;
    if n >= 4 {
        // Two overlapping loads: the bytes they share are the same in both.
        half(0) | half(n - 4) << (8 * (n - 4))
    } else if n > 0 {
        let b = |at: usize| (bytes[at] as u64) << (8 * at);
        b(0) | b(n / 2) | b(n - 1)
    } else {
        0
    }
}

/// Writes the first `chunk.len()` (fewer than 16) bytes of `block` into `chunk`.
#[inline]
#[target_feature(enable = "aes,pclmulqdq,ssse3")]
unsafe fn store_partial(chunk: &mut [u8], block: __m128i) {
    let mut low = _mm_cvtsi128_si64(block) as u64;
    let mut rest = &mut chunk[..];
    if rest.len() >= 8 {
        rest[..8].copy_from_slice(&low.to_le_bytes());
        rest = &mut rest[8..];
        low = high_half(block);
    }
    let mut at = 0;
    if rest.len() >= 4 {
        rest[..4].copy_from_slice(&(low as u32).to_le_bytes());
        low >>= 32;
        at = 4;
    }
    for byte in &mut rest[at..] {
        *byte = low as u8;
        low >>= 8;
    }
}

/// The high 64 bits of `block`, with SSE2 only.
#[inline]
#[target_feature(enable = "aes,pclmulqdq,ssse3")]
unsafe fn high_half(block: __m128i) -> u64 {
    _mm_cvtsi128_si64(_mm_srli_si128(block, 8)) as u64
}

/// AES-256's key expansion into 15 round keys.
#[target_feature(enable = "aes,pclmulqdq,ssse3")]
unsafe fn expand(key: &[u8; 32], rounds: &mut [__m128i; 15]) {
    /// One step of the schedule: `previous` spread across its words and XORed with `t`.
    #[target_feature(enable = "aes,pclmulqdq,ssse3")]
    unsafe fn spread(previous: __m128i, t: __m128i) -> __m128i {
        let mut a = previous;
        a = _mm_xor_si128(a, _mm_slli_si128(a, 4));
        a = _mm_xor_si128(a, _mm_slli_si128(a, 4));
        a = _mm_xor_si128(a, _mm_slli_si128(a, 4));
        _mm_xor_si128(a, t)
    }
    macro_rules! pair {
        ($i:expr, $rcon:expr) => {
            let t = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rounds[$i - 1], $rcon), 0xFF);
            rounds[$i] = spread(rounds[$i - 2], t);
            let t = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rounds[$i], 0), 0xAA);
            rounds[$i + 1] = spread(rounds[$i - 1], t);
        };
    }
    rounds[0] = _mm_loadu_si128(key.as_ptr().cast());
    rounds[1] = _mm_loadu_si128(key[16..].as_ptr().cast());
    pair!(2, 0x01);
    pair!(4, 0x02);
    pair!(6, 0x04);
    pair!(8, 0x08);
    pair!(10, 0x10);
    pair!(12, 0x20);
    let t = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rounds[13], 0x40), 0xFF);
    rounds[14] = spread(rounds[12], t);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length a partial block can have, loaded and stored back, against a plain copy.
    #[test]
    fn partial_blocks_load_and_store_every_length() {
        if !available() {
            return;
        }
        let source: Vec<u8> = (1..=16).collect();
        for n in 0..16 {
            let mut padded = [0u8; 16];
            padded[..n].copy_from_slice(&source[..n]);
            // SAFETY: `available` holds.
            let (loaded, stored) = unsafe {
                let block = load_partial(&source[..n]);
                let mut loaded = [0u8; 16];
                _mm_storeu_si128(loaded.as_mut_ptr().cast(), block);
                let mut stored = vec![0xEE; n];
                store_partial(&mut stored, _mm_loadu_si128(source.as_ptr().cast()));
                (loaded, stored)
            };
            assert_eq!(loaded, padded, "load of {n} bytes");
            assert_eq!(stored, &source[..n], "store of {n} bytes");
        }
    }
}
