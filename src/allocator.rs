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
//! So the arena starts without them (reserved before the first allocation,
//! [`process_starts`]), and a big input whose freed memory is kept gets them back, in an
//! arena of its own for the reading thread's heap ([`input_read`]).

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
    /// A new heap that allocates only in the arena `arena_id` (the bindings declare it only
    /// with their `arena` feature).
    fn mi_heap_new_in_arena(arena_id: libc::c_int) -> *mut libmimalloc_sys::mi_heap_t;
}

/// Called before anything is allocated (from a constructor: Rust's runtime allocates before
/// `main`), and before mimalloc's own constructor, which gcc leaves unordered: initialises
/// mimalloc and reserves its first arena (the gigabyte the heap lives in until it outgrows
/// it) without huge pages, so that the first allocation faults in 4 KiB rather than clearing
/// a 2 MiB huge page. Left to itself, mimalloc reserves that arena at the first allocation,
/// asks for huge pages on it and touches it at once: the 2 MiB clear was a fifth of a
/// `secret --version` run's time. The arena gets huge pages back for a big input
/// ([`input_read`]).
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
    huge_pages(FIRST_ARENA, false);
}

/// The id of mimalloc's first arena (v2 numbers them from 1), which [`process_starts`]
/// reserves: the heap lives there until it outgrows its gigabyte.
const FIRST_ARENA: libc::c_int = 1;

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

/// Whether the arena `arena` may use transparent huge pages. Pages already touched keep their
/// size. Nothing is done when mimalloc was told not to use them (`MIMALLOC_ALLOW_THP=0`) or
/// is not the allocator.
fn huge_pages(arena: libc::c_int, on: bool) {
    if !huge_pages_allowed() {
        return;
    }
    // SAFETY: asking for an arena's bounds has no preconditions; madvise only changes how the
    // kernel backs the arena's future page faults.
    unsafe {
        let mut size = 0;
        let start = mi_arena_area(arena, &mut size);
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

/// Moves this thread's allocations to a new arena with huge pages, for a big input whose
/// freed memory is kept. Huge pages are decided when a 2 MiB region is first touched, and the
/// first region of the first arena was touched (in 4 KiB pages, see [`process_starts`])
/// before the input was known: the rest of it would be faulted in 4 KiB at a time, 190 more
/// page faults and 0.2 to 0.4 ms more for a 50,000-value dotenv decrypt. A heap of its own
/// arena starts in fresh regions instead.
///
/// Such a heap allocates only in its arena, so the arena is reserved far bigger than the
/// input can need (a decrypt's peak is about 3 times the encrypted input; [`HEAP_PER_INPUT`]
/// times is reserved, at least [`HUGE_ARENA_MIN`]: address space only, committed as the
/// first arena is). A later, bigger input gets a bigger arena; where none can be reserved
/// (a small `ulimit -v`), the thread goes back to its own unbounded heap.
fn heap_in_huge_arena(input_len: usize) {
    thread_local! {
        /// The size of the arena this thread's heap was last moved to (0: never moved).
        static MOVED_TO: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }
    let want = HUGE_ARENA_MIN.max(input_len.saturating_mul(HEAP_PER_INPUT));
    if !huge_pages_allowed() || MOVED_TO.get() >= want {
        return;
    }
    // SAFETY: reserving OS memory for the allocator and making a new heap the calling
    // thread's default have no preconditions; blocks of the heap left behind stay valid and
    // are freed as before.
    unsafe {
        let mut arena = 0;
        if mi_reserve_os_memory_ex(want, overcommits(), false, true, &mut arena) != 0 {
            libmimalloc_sys::mi_heap_set_default(libmimalloc_sys::mi_heap_get_backing());
            MOVED_TO.set(0);
            return;
        }
        huge_pages(arena, true);
        let heap = mi_heap_new_in_arena(arena);
        if !heap.is_null() {
            libmimalloc_sys::mi_heap_set_default(heap);
            MOVED_TO.set(want);
        }
    }
}

/// How many times a big input's size [`heap_in_huge_arena`] reserves.
const HEAP_PER_INPUT: usize = 64;

/// The least [`heap_in_huge_arena`] reserves.
const HUGE_ARENA_MIN: usize = 16 << 30;

/// Whether mimalloc may use transparent huge pages (not with `MIMALLOC_ALLOW_THP=0`).
fn huge_pages_allowed() -> bool {
    // SAFETY: reading an option has no preconditions.
    unsafe { libmimalloc_sys::mi_option_is_enabled(MI_OPTION_ALLOW_THP) }
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
        huge_pages(FIRST_ARENA, true);
        heap_in_huge_arena(len);
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

    /// The arena (id and size) that holds `p`, among the first `arenas`.
    fn arena_of(p: *mut libc::c_void) -> Option<(libc::c_int, usize)> {
        (1..64).find_map(|id| {
            let mut size = 0;
            let start = unsafe { mi_arena_area(id, &mut size) };
            let inside = !start.is_null() && p >= start && (p as usize) < start as usize + size;
            inside.then_some((id, size))
        })
    }

    #[test]
    fn a_big_input_moves_the_threads_heap_to_an_arena_that_fits_it() {
        // On a thread of its own: the move changes the calling thread's default heap (and
        // the test harness does not allocate through mimalloc, so mi_malloc is called here).
        std::thread::spawn(|| unsafe {
            heap_in_huge_arena(1 << 20);
            let first = libmimalloc_sys::mi_malloc(100);
            let (arena, size) = arena_of(first).expect("in an arena");
            assert!(size >= HUGE_ARENA_MIN, "{size}");
            // The same size again stays there; a bigger input (a quarter of the least
            // arena, times HEAP_PER_INPUT) gets a bigger arena.
            heap_in_huge_arena(1 << 20);
            let again = libmimalloc_sys::mi_malloc(100);
            assert_eq!(arena_of(again).map(|a| a.0), Some(arena));
            let bigger = HUGE_ARENA_MIN / HEAP_PER_INPUT * 2;
            heap_in_huge_arena(bigger);
            let moved = libmimalloc_sys::mi_malloc(100);
            let (new_arena, new_size) = arena_of(moved).expect("in an arena");
            assert_ne!(new_arena, arena);
            assert!(new_size >= bigger * HEAP_PER_INPUT, "{new_size}");
            for p in [first, again, moved] {
                libmimalloc_sys::mi_free(p);
            }
        })
        .join()
        .unwrap();
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
