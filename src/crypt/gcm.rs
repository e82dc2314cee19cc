//! AES-256-GCM with sops' 32-byte nonces.
//!
//! Short inputs, which are nearly all of a sops file's values, go through [`clmul`] on x86-64
//! processors with AES-NI and PCLMULQDQ: its cost per call is about a third of aws-lc's.
//! Longer ones, and every input elsewhere, go through aws-lc (the crypto library rustls
//! already links for every cloud client). The Rust AEAD interfaces of aws-lc-rs and ring take
//! 12-byte nonces only, so this calls aws-lc's `EVP_AEAD` interface, which takes nonces of
//! any length (GCM hashes a nonce that is not 12 bytes into its first counter block, as Go's
//! `cipher.NewGCMWithNonceSize` does). Both give the same bytes; the tests hold each to the
//! pure-Rust `aes-gcm` crate (`benches/core.rs`, "one short value", times all three).

use aws_lc_sys as ffi;
use std::ptr::NonNull;
use std::sync::OnceLock;
use zeroize::Zeroizing;

#[cfg(target_arch = "x86_64")]
mod clmul;

/// The longest input (plaintext or associated data, in bytes) [`clmul`] takes: about where
/// the two meet (`benches/core.rs`, "AES-256-GCM open by length": 82 against 104 ns at 256
/// bytes, 145 against 141 at 512); past it aws-lc's wide vector code is faster.
#[cfg(target_arch = "x86_64")]
const SHORT_MAX: usize = 512;

/// Tag length: sops writes and checks 16-byte tags.
pub const TAG_LEN: usize = 16;

/// Encryption or decryption failed: for opening, the tag did not match (wrong key, tampered
/// or moved value); for sealing, an input past GCM's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed;

/// One AES-256 key ready for GCM: built once per data key.
pub struct Aes256Gcm {
    /// The key, for aws-lc's context when the first input that needs it comes (wiped when
    /// dropped).
    key: Zeroizing<[u8; 32]>,
    /// aws-lc's context, made at the first input [`clmul`] does not take. Most files have
    /// none: then aws-lc is never initialised (`.cargo/config.toml` builds it without its
    /// start-up constructor, whose CPU detection cost every run 60 µs in a virtual machine).
    ctx: OnceLock<Context>,
    /// The same key for short inputs, where the processor allows.
    #[cfg(target_arch = "x86_64")]
    short: Option<Box<clmul::Key>>,
}

/// An aws-lc AES-256-GCM context, freed when dropped.
struct Context(NonNull<ffi::EVP_AEAD_CTX>);

// SAFETY: aws-lc documents that seal and open may be called concurrently on one context
// (they take it as `const`); nothing mutates it between its creation and `drop`.
unsafe impl Send for Context {}
unsafe impl Sync for Context {}

impl Context {
    fn new(key: &[u8; 32]) -> Context {
        // SAFETY: initialising the library (CPU detection, which aws-lc's code paths need
        // done first) is idempotent and thread-safe; the key pointer and length describe
        // `key`; a null result (allocation failure) is checked.
        let ctx = unsafe {
            ffi::CRYPTO_library_init();
            ffi::EVP_AEAD_CTX_new(
                ffi::EVP_aead_aes_256_gcm(),
                key.as_ptr(),
                key.len(),
                TAG_LEN,
            )
        };
        Context(NonNull::new(ctx).expect("aws-lc could not allocate an AES-GCM context"))
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: the context came from `EVP_AEAD_CTX_new` and is freed once. aws-lc's free
        // wipes the allocation (the key schedule) before releasing it.
        unsafe { ffi::EVP_AEAD_CTX_free(self.0.as_ptr()) }
    }
}

impl Aes256Gcm {
    /// The context for `key`.
    pub fn new(key: &[u8; 32]) -> Aes256Gcm {
        Aes256Gcm {
            key: Zeroizing::new(*key),
            ctx: OnceLock::new(),
            #[cfg(target_arch = "x86_64")]
            short: clmul::available().then(|| clmul::Key::new(key)),
        }
    }

    /// aws-lc's context, made now if this is the first input that needs it.
    fn context(&self) -> *const ffi::EVP_AEAD_CTX {
        self.ctx.get_or_init(|| Context::new(&self.key)).0.as_ptr()
    }

    /// The context for `key` that uses aws-lc for every input (for the tests and the
    /// benchmark that compare the two paths).
    #[doc(hidden)]
    pub fn aws_lc_only(key: &[u8; 32]) -> Aes256Gcm {
        let mut gcm = Aes256Gcm::new(key);
        #[cfg(target_arch = "x86_64")]
        {
            gcm.short = None;
        }
        gcm
    }

    /// The short-input implementation, when it takes `nonce`, `aad` and `data`.
    #[cfg(target_arch = "x86_64")]
    fn short_for(&self, nonce: &[u8], aad: &[u8], data: &[u8]) -> Option<&clmul::Key> {
        let short = data.len() <= SHORT_MAX && aad.len() <= SHORT_MAX && !nonce.is_empty();
        self.short.as_deref().filter(|_| short)
    }

    /// Encrypts `buffer` in place under `nonce` (any length but 0) and `aad`; the tag.
    pub fn seal_in_place(
        &self,
        nonce: &[u8],
        aad: &[u8],
        buffer: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Failed> {
        #[cfg(target_arch = "x86_64")]
        if let Some(short) = self.short_for(nonce, aad, buffer) {
            return Ok(short.seal(nonce, aad, buffer));
        }
        let mut tag = [0u8; TAG_LEN];
        let mut tag_len = 0usize;
        // SAFETY: every pointer comes with the length of the slice it points into; `out`
        // and `in` are the same buffer, which aws-lc allows ("may alias exactly"); no extra
        // input.
        let sealed = unsafe {
            ffi::EVP_AEAD_CTX_seal_scatter(
                self.context(),
                buffer.as_mut_ptr(),
                tag.as_mut_ptr(),
                &mut tag_len,
                tag.len(),
                nonce.as_ptr(),
                nonce.len(),
                buffer.as_ptr(),
                buffer.len(),
                std::ptr::null(),
                0,
                aad.as_ptr(),
                aad.len(),
            )
        };
        if sealed != 1 || tag_len != TAG_LEN {
            return Err(failed());
        }
        Ok(tag)
    }

    /// Checks `tag` and decrypts `buffer` in place under `nonce` and `aad`. On failure the
    /// buffer is zeroed (aws-lc clears its output).
    pub fn open_in_place(
        &self,
        nonce: &[u8],
        aad: &[u8],
        buffer: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Failed> {
        #[cfg(target_arch = "x86_64")]
        if let Some(short) = self.short_for(nonce, aad, buffer) {
            return match short.open(nonce, aad, buffer, tag) {
                true => Ok(()),
                false => Err(Failed),
            };
        }
        // SAFETY: as in `seal_in_place`.
        let opened = unsafe {
            ffi::EVP_AEAD_CTX_open_gather(
                self.context(),
                buffer.as_mut_ptr(),
                nonce.as_ptr(),
                nonce.len(),
                buffer.as_ptr(),
                buffer.len(),
                tag.as_ptr(),
                tag.len(),
                aad.as_ptr(),
                aad.len(),
            )
        };
        if opened != 1 {
            return Err(failed());
        }
        Ok(())
    }
}

/// The failure, after emptying aws-lc's per-thread error queue of the entry the failure
/// left there (a long run of bad values would otherwise grow it).
fn failed() -> Failed {
    // SAFETY: no arguments; it only touches this thread's error queue.
    unsafe { ffi::ERR_clear_error() };
    Failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::aead::consts::{U12, U32};
    use aes_gcm::aead::generic_array::GenericArray;
    use aes_gcm::aead::{AeadInPlace, KeyInit};
    use aes_gcm::aes::Aes256;
    use aes_gcm::AesGcm;
    use proptest::prelude::*;

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn aws_lc_is_set_up_only_for_an_input_clmul_does_not_take() {
        let gcm = Aes256Gcm::new(&[3; 32]);
        let mut buffer = vec![1u8; 40];
        let tag = gcm.seal_in_place(&[9; 32], b"aad", &mut buffer).unwrap();
        gcm.open_in_place(&[9; 32], b"aad", &mut buffer, &tag)
            .unwrap();
        assert_eq!(gcm.ctx.get().is_some(), !clmul::available());
        let mut long = vec![1u8; SHORT_MAX + 1];
        let tag = gcm.seal_in_place(&[9; 32], b"aad", &mut long).unwrap();
        assert!(gcm.ctx.get().is_some());
        gcm.open_in_place(&[9; 32], b"aad", &mut long, &tag)
            .unwrap();
        assert_eq!(long, vec![1u8; SHORT_MAX + 1]);
    }

    /// Seals with the RustCrypto implementation, the reference here.
    fn reference_seal(
        key: &[u8; 32],
        nonce: &[u8],
        aad: &[u8],
        plain: &[u8],
    ) -> (Vec<u8>, [u8; 16]) {
        let mut buffer = plain.to_vec();
        let key = GenericArray::from_slice(key);
        let tag = match nonce.len() {
            32 => AesGcm::<Aes256, U32>::new(key).encrypt_in_place_detached(
                GenericArray::from_slice(nonce),
                aad,
                &mut buffer,
            ),
            12 => AesGcm::<Aes256, U12>::new(key).encrypt_in_place_detached(
                GenericArray::from_slice(nonce),
                aad,
                &mut buffer,
            ),
            n => panic!("no reference for {n}-byte nonces"),
        }
        .unwrap();
        (buffer, tag.into())
    }

    proptest! {
        /// Same ciphertext and tag as the reference, both nonce lengths sops reads, and
        /// opening gives the plaintext back.
        #[test]
        fn agrees_with_the_reference(
            key in any::<[u8; 32]>(),
            nonce in prop_oneof![
                proptest::collection::vec(any::<u8>(), 32),
                proptest::collection::vec(any::<u8>(), 12),
            ],
            aad in proptest::collection::vec(any::<u8>(), 0..80),
            plain in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let want = reference_seal(&key, &nonce, &aad, &plain);
            for gcm in [Aes256Gcm::new(&key), Aes256Gcm::aws_lc_only(&key)] {
                seals_as_and_opens(&gcm, (&nonce, &aad, &plain), &want)?;
            }
        }

        /// Around the length where short inputs leave for aws-lc, and nonces of other
        /// lengths (GCM hashes any but 12 bytes): the same bytes as the reference.
        #[test]
        fn agrees_across_lengths(
            key in any::<[u8; 32]>(),
            nonce_len in prop_oneof![Just(32usize), Just(12), 1usize..200],
            aad_len in prop_oneof![0usize..40, 490usize..530],
            plain_len in prop_oneof![0usize..70, 120usize..140, 490usize..530],
        ) {
            let nonce: Vec<u8> = (0..nonce_len).map(|i| (i * 7) as u8 ^ key[0]).collect();
            let aad: Vec<u8> = (0..aad_len).map(|i| (i * 13) as u8 ^ key[1]).collect();
            let plain: Vec<u8> = (0..plain_len).map(|i| (i * 31) as u8 ^ key[2]).collect();
            let want = match nonce_len {
                12 | 32 => reference_seal(&key, &nonce, &aad, &plain),
                // No type-level nonce size for the others: aws-lc's own result is the
                // reference, itself held to RustCrypto for 12 and 32 bytes above.
                _ => {
                    let mut buffer = plain.clone();
                    let gcm = Aes256Gcm::aws_lc_only(&key);
                    let tag = gcm.seal_in_place(&nonce, &aad, &mut buffer).unwrap();
                    (buffer, tag)
                }
            };
            seals_as_and_opens(&Aes256Gcm::new(&key), (&nonce, &aad, &plain), &want)?;
        }
    }

    /// Seals (nonce, aad, plaintext) with `gcm`, expecting `want` (ciphertext and tag), and
    /// opens the result back to the plaintext.
    fn seals_as_and_opens(
        gcm: &Aes256Gcm,
        (nonce, aad, plain): (&[u8], &[u8], &[u8]),
        want: &(Vec<u8>, [u8; 16]),
    ) -> Result<(), TestCaseError> {
        let mut buffer = plain.to_vec();
        let tag = gcm.seal_in_place(nonce, aad, &mut buffer).unwrap();
        prop_assert_eq!(&buffer, &want.0);
        prop_assert_eq!(tag, want.1);
        gcm.open_in_place(nonce, aad, &mut buffer, &tag).unwrap();
        prop_assert_eq!(&buffer[..], plain);
        Ok(())
    }

    /// The short path is the one tested above wherever the processor has it (else the
    /// tests would only ever see aws-lc).
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn short_inputs_take_the_short_path_where_available() {
        let gcm = Aes256Gcm::new(&[5; 32]);
        assert_eq!(gcm.short.is_some(), clmul::available());
        let nonce = [1u8; 32];
        assert!(gcm.short_for(&nonce, &[0; 20], &[0; SHORT_MAX]).is_some() == clmul::available());
        assert!(gcm
            .short_for(&nonce, &[0; 20], &[0; SHORT_MAX + 1])
            .is_none());
        assert!(gcm
            .short_for(&nonce, &[0; SHORT_MAX + 1], &[0; 20])
            .is_none());
        assert!(gcm.short_for(&[], &[], &[0; 20]).is_none());
    }

    #[test]
    fn a_changed_tag_nonce_aad_or_ciphertext_does_not_open() {
        for gcm in [Aes256Gcm::new(&[7; 32]), Aes256Gcm::aws_lc_only(&[7; 32])] {
            changes_do_not_open(&gcm);
        }
    }

    fn changes_do_not_open(gcm: &Aes256Gcm) {
        let nonce = [1u8; 32];
        let mut sealed = b"secret value".to_vec();
        let tag = gcm.seal_in_place(&nonce, b"a:b:", &mut sealed).unwrap();
        let try_open = |nonce: &[u8], aad: &[u8], data: &[u8], tag: &[u8; 16]| {
            let mut buffer = data.to_vec();
            let opened = gcm.open_in_place(nonce, aad, &mut buffer, tag);
            (opened, buffer)
        };
        assert_eq!(try_open(&nonce, b"a:b:", &sealed, &tag).0, Ok(()));
        let mut bad_tag = tag;
        bad_tag[15] ^= 1;
        let mut bad_nonce = nonce;
        bad_nonce[31] ^= 1;
        let mut bad_data = sealed.clone();
        bad_data[0] ^= 1;
        for (nonce, aad, data, tag) in [
            (&nonce[..], &b"a:b:"[..], &sealed[..], &bad_tag),
            (&bad_nonce[..], &b"a:b:"[..], &sealed[..], &tag),
            (&nonce[..], &b"a:c:"[..], &sealed[..], &tag),
            (&nonce[..], &b"a:b:"[..], &bad_data[..], &tag),
        ] {
            let (opened, buffer) = try_open(nonce, aad, data, tag);
            assert_eq!(opened, Err(Failed));
            // Nothing of the plaintext is left in a buffer that failed to open.
            assert!(buffer.iter().all(|&b| b == 0), "{buffer:?}");
        }
    }

    #[test]
    fn an_empty_nonce_is_refused() {
        let gcm = Aes256Gcm::new(&[7; 32]);
        assert_eq!(gcm.seal_in_place(&[], b"", &mut [1, 2, 3]), Err(Failed));
        assert_eq!(
            gcm.open_in_place(&[], b"", &mut [1, 2, 3], &[0; 16]),
            Err(Failed)
        );
    }

    #[test]
    fn contexts_can_be_shared_between_threads() {
        let gcm = Aes256Gcm::new(&[9; 32]);
        let nonce = [3u8; 32];
        std::thread::scope(|s| {
            for i in 0..4u8 {
                let gcm = &gcm;
                s.spawn(move || {
                    for _ in 0..200 {
                        let mut buffer = vec![i; 40];
                        let tag = gcm.seal_in_place(&nonce, &[i], &mut buffer).unwrap();
                        gcm.open_in_place(&nonce, &[i], &mut buffer, &tag).unwrap();
                        assert_eq!(buffer, vec![i; 40]);
                    }
                });
            }
        });
    }
}
