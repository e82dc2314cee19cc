//! Tuning of mimalloc (the command line's allocator) to the size of the work at hand.
//!
//! A small file's whole run takes a few milliseconds, and handing freed pages back to the
//! system at once costs it a tenth of that in `madvise` calls and fresh page faults; a big
//! file's peak memory is a quarter lower when freed pages go back at once (a 50k-value YAML
//! decrypt). So pages go back at once only when the input is big (and not an encrypted
//! dotenv file).
//!
//! Transparent huge pages: mimalloc asks for them on its whole arena, where each first touch
//! of 2 MiB then clears and maps a huge page. They pay only where a big heap is kept: there
//! they are fewer faults (a 50,000-value encrypted dotenv file, whose freed memory is kept
//! for what decryption allocates next, decrypts in 20% less time with them). Where freed
//! memory goes back at once, handing back 4 KiB pieces splits each huge page again, after
//! 2 MiB were cleared for it. Measured on this project's 2-core machine, alternating runs
//! with and without them:
//! - a 50,000-value YAML encrypt: 2.5 MiB more, no time saved;
//! - a 50,000-value YAML decrypt: 4.3 MiB more (29 MiB instead of 25), 7 to 12% less time;
//! - a 100 MB YAML encrypt: 6.5 MiB more, and 0.6 s more system time.
//!
//! So the arena starts without them, and gets them back only for a big input whose freed
//! memory is kept.

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

/// `mi_option_allow_thp` in mimalloc's `mi_option_e`.
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 37;

extern "C" {
    /// mimalloc's start and size of the arena with id `arena_id` (null when there is none).
    fn mi_arena_area(arena_id: libc::c_int, size: *mut usize) -> *mut libc::c_void;
    /// Reserves `size` bytes of OS memory as a new arena and sets `arena_id` to its id
    /// (`mimalloc.h`; the bindings declare it only with their `arena` feature).
    fn mi_reserve_os_memory_ex(
        size: usize,
        commit: bool,
        allow_large: bool,
        exclusive: bool,
        arena_id: *mut libc::c_int,
    ) -> libc::c_int;
}

/// Called before anything is allocated (from a constructor: Rust's runtime allocates before
/// `main`), and before mimalloc's own constructor, which gcc leaves unordered: initialises
/// mimalloc and reserves mimalloc's first
/// arena (the gigabyte the heap lives in until it outgrows it) without huge pages, so that
/// the first allocation faults in 4 KiB rather than clearing a 2 MiB huge page. Left to
/// itself, mimalloc reserves that arena at the first allocation, asks for huge pages on it
/// and touches it at once: the 2 MiB clear was a fifth of a `secret --version` run's time.
/// The arena gets huge pages back for a big input ([`input_read`]).
///
/// The reservation is the one mimalloc would make (same size, committed up front where the
/// kernel overcommits, as its `arena_eager_commit` default does), only without the advice; if
/// it fails, mimalloc reserves its own at the first allocation, as before.
pub(crate) fn process_starts() {
    // SAFETY: mimalloc's process initialisation may run at any time and runs once (its own
    // constructor calls it again, after this one, to no effect); reserving OS memory for the
    // allocator then has no preconditions.
    unsafe {
        libmimalloc_sys::mi_process_init();
        let mut arena = 0;
        let commit = overcommits();
        if mi_reserve_os_memory_ex(ARENA_SIZE, commit, false, false, &mut arena) != 0 {
            return;
        }
    }
    // With the kernel's transparent huge pages set to `always`, the arena would get them
    // without being asked.
    huge_pages(false);
}

/// mimalloc's default arena size (its `arena_reserve` option).
const ARENA_SIZE: usize = 1 << 30;

/// Whether the kernel overcommits memory (`vm.overcommit_memory` 0 or 1), read without
/// allocating. Where it does not, committing the whole arena up front would charge a
/// gigabyte to the commit limit, so mimalloc commits it piece by piece instead.
fn overcommits() -> bool {
    // SAFETY: open, read and close on a local buffer and descriptor.
    unsafe {
        let fd = libc::open(
            c"/proc/sys/vm/overcommit_memory".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        );
        if fd < 0 {
            return false;
        }
        let mut mode = [0u8; 1];
        let read = libc::read(fd, mode.as_mut_ptr().cast(), 1);
        libc::close(fd);
        read == 1 && (mode[0] == b'0' || mode[0] == b'1')
    }
}

/// Whether the first arena (mimalloc v2 numbers arenas from 1), which holds the heap until
/// it outgrows its gigabyte, may use transparent huge pages. Pages already touched keep
/// their size. Nothing is done when mimalloc was told not to use them (`MIMALLOC_ALLOW_THP=0`)
/// or is not the allocator.
fn huge_pages(on: bool) {
    // SAFETY: reading an option and asking for an arena's bounds have no preconditions;
    // madvise only changes how the kernel backs the arena's future page faults.
    unsafe {
        if !libmimalloc_sys::mi_option_is_enabled(MI_OPTION_ALLOW_THP) {
            return;
        }
        let mut size = 0;
        let start = mi_arena_area(1, &mut size);
        if start.is_null() || size == 0 {
            return;
        }
        let advice = if on {
            libc::MADV_HUGEPAGE
        } else {
            libc::MADV_NOHUGEPAGE
        };
        libc::madvise(start, size, advice);
    }
}

/// Tells the allocator how big the input just read is, its format and whether it is an
/// encrypted file.
pub(crate) fn input_read(len: usize, format: Format, encrypted: bool) {
    if len < BIG_INPUT {
        return;
    }
    if purge_at_once(len, format, encrypted) {
        // SAFETY: setting an option is allowed at any time, from any thread; it only
        // changes when mimalloc purges, and without mimalloc as the global allocator it
        // has no effect.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    } else {
        huge_pages(true);
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
    fn allow_thp_index_names_the_huge_page_option() {
        // Option 37 is on by default on Linux, as only `allow_thp` of the options near it is.
        let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_ALLOW_THP) };
        assert_eq!(default, 1);
        let last = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_ALLOW_THP + 1) };
        assert_eq!(last, 0, "the option after it is the end of the list");
    }

    #[test]
    fn purge_delay_index_names_the_purge_delay() {
        // Option 15 with mimalloc's documented purge-delay default (10 ms) is that option;
        // no neighbouring option defaults to 10.
        let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(default, 10);
    }
}
