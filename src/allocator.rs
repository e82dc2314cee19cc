//! Tuning of mimalloc (the command line's allocator) to the size of the work at hand.
//!
//! A small file's whole run takes a few milliseconds, and handing freed pages back to the
//! system at once costs it a tenth of that in `madvise` calls and fresh page faults; a big
//! file's peak memory is a quarter lower when freed pages go back at once (a 50k-value YAML
//! decrypt). So pages go back at once only when the input is big (and not an encrypted
//! dotenv file).

use crate::format::Format;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (`mimalloc.h`); the bindings do not
/// name it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// From this many input bytes on, freed memory is handed back to the system at once.
const BIG_INPUT: usize = 1 << 20;

/// Whether freed memory goes back to the system at once for an input of `len` bytes in
/// `format`, `encrypted` or not. Not for an encrypted dotenv file: its reader leaves little
/// garbage, and what is freed (the input itself, mainly) is what decryption allocates next;
/// handing it back and faulting it in again cost a 50,000-value dotenv decrypt an eighth of
/// its time, for 3 MiB less peak memory (YAML's reader frees much more: there the peak is
/// what matters). Encrypting dotenv keeps the rule: there the delay cost a third more peak
/// memory above a run's fixed part.
fn purge_at_once(len: usize, format: Format, encrypted: bool) -> bool {
    len >= BIG_INPUT && !(encrypted && format == Format::Dotenv)
}

/// Tells the allocator how big the input just read is, its format and whether it is an
/// encrypted file.
pub(crate) fn input_read(len: usize, format: Format, encrypted: bool) {
    if purge_at_once(len, format, encrypted) {
        // SAFETY: setting an option is allowed at any time, from any thread; it only
        // changes when mimalloc purges, and without mimalloc as the global allocator it
        // has no effect.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_inputs_purge_at_once_except_encrypted_dotenv() {
        assert!(purge_at_once(BIG_INPUT, Format::Yaml, true));
        assert!(purge_at_once(BIG_INPUT, Format::Json, false));
        assert!(!purge_at_once(BIG_INPUT - 1, Format::Yaml, false));
        assert!(!purge_at_once(8 * BIG_INPUT, Format::Dotenv, true));
        assert!(purge_at_once(8 * BIG_INPUT, Format::Dotenv, false));
    }

    #[test]
    fn purge_delay_index_names_the_purge_delay() {
        // Option 15 with mimalloc's documented purge-delay default (10 ms) is that option;
        // no neighbouring option defaults to 10.
        let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(default, 10);
    }
}
