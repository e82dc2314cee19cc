//! Tuning of mimalloc (the command line's allocator) to the size of the work at hand.
//!
//! A small file's whole run takes a few milliseconds, and handing freed pages back to the
//! system at once costs it a tenth of that in `madvise` calls and fresh page faults; a big
//! file's peak memory is a quarter lower when freed pages go back at once (a 50k-value YAML
//! decrypt). So pages go back at once only when the input is big.

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (`mimalloc.h`); the bindings do not
/// name it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// From this many input bytes on, freed memory is handed back to the system at once.
const BIG_INPUT: usize = 1 << 20;

/// Tells the allocator how big the input just read is.
pub(crate) fn input_read(len: usize) {
    if len >= BIG_INPUT {
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
    fn purge_delay_index_names_the_purge_delay() {
        // Option 15 with mimalloc's documented purge-delay default (10 ms) is that option;
        // no neighbouring option defaults to 10.
        let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(default, 10);
    }
}
