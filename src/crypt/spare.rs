//! The spare thread: a second thread for the two-thread decryption (`walk.rs`), started as
//! soon as a big encrypted input is read ([`warm_up`]) rather than when the decryption
//! begins.
//!
//! Why: a new thread needs time before it runs (its stack and heap set up, then a wait for
//! the other core: 0.1 ms to milliseconds on a busy virtual machine), which the decryption
//! waited for, or went on without help. Started while the file is parsed and the data key
//! unwrapped, the thread is waiting when the work arrives.
//!
//! The thread runs one borrowed job at a time ([`Spare::lend`]): a closure on the lending
//! thread's stack, which `lend` does not return from (nor unwind past) before the spare
//! thread is done with it, or has been told not to start it. [`in_order`] shares a job of
//! pieces that must be finished in order between the two threads.

use super::parts::{Parts, Turn};
use crate::error::{Code, Error, Result};
use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

/// A job lent to the spare thread: a closure on the lending thread's stack, its lifetime
/// erased. [`Spare::lend`] keeps it alive for as long as the spare thread may call it.
struct Lent(*const (dyn Fn() + Sync + 'static));

// SAFETY: the closure is `Sync`, so calling it from the spare thread is sound; `lend` keeps it
// alive while the pointer is in the spare thread's hands.
unsafe impl Send for Lent {}

/// Where the spare thread's job stands.
enum State {
    /// No job.
    Idle,
    /// A job waits to be started.
    Offered(Lent),
    /// The spare thread runs the job.
    Running,
    /// The job returned, or panicked with this payload.
    Finished(Option<Box<dyn Any + Send>>),
}

/// The spare thread, waiting for a job.
pub(crate) struct Spare {
    state: Mutex<State>,
    /// Signalled when a job is offered, withdrawn or finished.
    changed: Condvar,
}

/// The spare thread, once started (`None`: it could not be).
static SPARE: OnceLock<Option<&'static Spare>> = OnceLock::new();

/// Starts the spare thread unless it runs already; returns it (`None` where no thread can be
/// started). Its first task, while nothing is offered yet, is to count the cores
/// ([`super::ahead::cores`], which reads cgroup files), so that the caller does not have to.
pub(crate) fn warm_up() -> Option<&'static Spare> {
    *SPARE.get_or_init(start)
}

/// A new spare thread (it lives as long as the process).
fn start() -> Option<&'static Spare> {
    let spare: &'static Spare = Box::leak(Box::new(Spare {
        state: Mutex::new(State::Idle),
        changed: Condvar::new(),
    }));
    let started = std::thread::Builder::new()
        .name("secret-spare".into())
        .stack_size(crate::WALK_STACK)
        .spawn(move || {
            cores();
            spare.serve();
        });
    started.ok().map(|_| spare)
}

impl Spare {
    /// The spare thread's loop: runs each job offered, then waits for the next.
    fn serve(&self) {
        let mut state = lock(&self.state);
        loop {
            if let State::Offered(_) = *state {
                let State::Offered(job) = std::mem::replace(&mut *state, State::Running) else {
                    unreachable!("matched just above");
                };
                drop(state);
                // SAFETY: `lend` keeps the closure alive until the state says Finished.
                let outcome = catch_unwind(AssertUnwindSafe(|| unsafe { (*job.0)() }));
                state = lock(&self.state);
                *state = State::Finished(outcome.err());
                self.changed.notify_all();
            }
            state = wait(&self.changed, state);
        }
    }

    /// Runs `mine` on this thread while the spare thread runs `theirs`, if it starts it
    /// before `mine` is done; returns what `mine` returns once the spare thread is done with
    /// `theirs` (a panic of either goes on here). `theirs` must do nothing that `mine` needs
    /// done: it may never run, and does not when the spare thread has another job (a lend
    /// from another thread).
    pub(crate) fn lend<R>(&self, theirs: &(dyn Fn() + Sync), mine: impl FnOnce() -> R) -> R {
        // SAFETY: only the lifetime is changed; `Reclaim` (below) waits, on every way out of
        // this function, until the spare thread no longer holds the pointer.
        let job: *const (dyn Fn() + Sync + 'static) = unsafe {
            std::mem::transmute::<*const (dyn Fn() + Sync + '_), *const (dyn Fn() + Sync + 'static)>(
                theirs,
            )
        };
        {
            let mut state = lock(&self.state);
            if !matches!(*state, State::Idle) {
                drop(state);
                return mine();
            }
            *state = State::Offered(Lent(job));
            self.changed.notify_all();
        }
        let reclaim = Reclaim(self);
        let result = mine();
        if let Some(panic) = reclaim.take_back() {
            resume_unwind(panic);
        }
        result
    }

    /// Takes the job back: withdrawn if the spare thread has not started it, else waited
    /// for; returns its panic, if it panicked. The state is Idle again after.
    fn take_back(&self) -> Option<Box<dyn Any + Send>> {
        let mut state = lock(&self.state);
        while let State::Running = *state {
            state = wait(&self.changed, state);
        }
        match std::mem::replace(&mut *state, State::Idle) {
            State::Finished(panic) => panic,
            State::Offered(_) | State::Idle | State::Running => None,
        }
    }
}

/// Takes a lent job back when dropped (also when `mine` panics), so that the borrowed
/// closure outlives the spare thread's use of it.
struct Reclaim<'a>(&'a Spare);

impl Reclaim<'_> {
    /// Takes the job back now and returns the spare thread's panic, if any.
    fn take_back(self) -> Option<Box<dyn Any + Send>> {
        let panic = self.0.take_back();
        std::mem::forget(self);
        panic
    }
}

impl Drop for Reclaim<'_> {
    fn drop(&mut self) {
        // Unwinding from `mine` already: a panic of the spare thread's job is dropped.
        self.0.take_back();
    }
}

/// Does a job of `count` pieces (numbered in order) on this thread and on `spare`, if given
/// and it starts in time, and hands each piece's result to `take`, on this thread and in
/// order. `work` does a piece on either thread, its result kept for `take`; this thread does
/// a piece with `work_in_order` instead when every piece before it is taken, so that no
/// result needs keeping. The pieces are claimed in order (each thread takes the next one
/// not taken, [`Parts`]), so the two threads work on neighbours and `take` goes on with one
/// while the other thread does the next. The first failure in piece order is returned
/// (every piece before it was taken); no piece is claimed after a failure.
pub(crate) fn in_order<S, T: Send>(
    spare: Option<&Spare>,
    count: usize,
    state: &mut S,
    work: &(dyn Fn(usize) -> Result<T> + Sync),
    mut work_in_order: impl FnMut(&mut S, usize) -> Result<()>,
    mut take: impl FnMut(&mut S, T) -> Result<()>,
) -> Result<()> {
    let pieces = Parts::of(std::iter::repeat_n((), count));
    // A piece done for `take` to have later; no piece is claimed after a failure.
    let work_apart = |index: usize, (): ()| {
        let done = work(index);
        if done.is_err() {
            pieces.stop();
        }
        done
    };
    let theirs = || pieces.work(&work_apart);
    let mut mine = || -> Result<()> {
        let _stop = pieces.stop_on_drop();
        for index in 0..count {
            match pieces.take(index, &work_apart) {
                Turn::Done(done) => take(state, done?)?,
                Turn::Yours(()) => work_in_order(state, index)?,
                // Only a piece whose thread gave it up (its panic goes on from `lend`).
                Turn::Gone | Turn::NoPart => {
                    return Err(Error::new(
                        Code::Generic,
                        "the spare thread gave up a piece".to_string(),
                    ))
                }
            }
        }
        Ok(())
    };
    match spare {
        Some(spare) => spare.lend(&theirs, mine),
        None => mine(),
    }
}

/// `mutex` locked, poisoned or not: a panic never happens while these locks are held (a
/// thread's panic is resumed at its join), so what they guard is still consistent.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `changed` with `guard` released, as [`lock`]: poisoned or not.
pub(crate) fn wait<'g, T>(changed: &Condvar, guard: MutexGuard<'g, T>) -> MutexGuard<'g, T> {
    changed.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// The cores this process may use (cached: the first call reads cgroup files).
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// Waits (boundedly) until `done` is set.
    fn wait_for(done: &AtomicBool) {
        for _ in 0..10_000 {
            if done.load(Ordering::Acquire) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_micros(100));
        }
        panic!("the spare thread never ran the job");
    }

    #[test]
    fn the_job_runs_on_the_spare_thread_while_mine_runs_here() {
        let spare = start().expect("a thread can be started");
        let ran_on = Mutex::new(None);
        let started = AtomicBool::new(false);
        let theirs = || {
            *lock(&ran_on) = Some(std::thread::current().id());
            started.store(true, Ordering::Release);
        };
        let mine = spare.lend(&theirs, || {
            wait_for(&started);
            7
        });
        assert_eq!(mine, 7);
        let ran_on = lock(&ran_on).expect("it ran");
        assert_ne!(ran_on, std::thread::current().id());
        // Idle again: the next lend is taken.
        assert_eq!(spare.lend(&|| {}, || 8), 8);
    }

    #[test]
    fn lend_returns_only_once_the_job_is_done() {
        let spare = start().unwrap();
        let started = AtomicBool::new(false);
        let finished = AtomicBool::new(false);
        let theirs = || {
            started.store(true, Ordering::Release);
            std::thread::sleep(std::time::Duration::from_millis(50));
            finished.store(true, Ordering::Release);
        };
        spare.lend(&theirs, || wait_for(&started));
        assert!(finished.load(Ordering::Acquire));
    }

    #[test]
    fn a_job_not_started_in_time_is_withdrawn() {
        let spare = start().unwrap();
        // Keep the spare thread busy with a first job from another thread, so that the
        // second lend finds it busy.
        let hold = AtomicBool::new(true);
        let holding = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let theirs = || {
                    holding.store(true, Ordering::Release);
                    while hold.load(Ordering::Acquire) {
                        std::thread::yield_now();
                    }
                };
                spare.lend(&theirs, || wait_for(&holding));
            });
            wait_for(&holding);
            let calls = AtomicUsize::new(0);
            let busy = spare.lend(
                &|| {
                    calls.fetch_add(1, Ordering::Relaxed);
                },
                || 1,
            );
            assert_eq!(busy, 1, "mine runs all the same");
            assert_eq!(
                calls.load(Ordering::Relaxed),
                0,
                "theirs does not: the spare is busy"
            );
            hold.store(false, Ordering::Release);
        });
        // Offered and taken back at once, a job runs at most once, and never after `lend`
        // returned (its counter is read after each).
        let runs = AtomicUsize::new(0);
        for i in 1..=100 {
            spare.lend(
                &|| {
                    runs.fetch_add(1, Ordering::Relaxed);
                },
                || (),
            );
            assert!(runs.load(Ordering::Relaxed) <= i);
        }
        let after = runs.load(Ordering::Relaxed);
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(
            runs.load(Ordering::Relaxed),
            after,
            "a withdrawn job never starts"
        );
    }

    #[test]
    fn a_panic_in_the_job_goes_on_in_the_lender() {
        let spare = start().unwrap();
        let started = AtomicBool::new(false);
        let theirs = || {
            started.store(true, Ordering::Release);
            panic!("spare job failed");
        };
        let caught = catch_unwind(AssertUnwindSafe(|| {
            spare.lend(&theirs, || wait_for(&started));
        }));
        let payload = caught.expect_err("the panic reaches the lender");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"spare job failed"));
        // The spare thread survived it.
        assert_eq!(spare.lend(&|| {}, || 3), 3);
    }

    /// Each piece's result, from whichever thread did it, reaches `take` in piece order, and
    /// the pieces done in order go to `work_in_order` at their turn.
    #[test]
    fn in_order_takes_every_piece_in_order() {
        let spare = start().unwrap();
        for spare in [Some(spare), None] {
            let mut seen: Vec<(usize, &str)> = Vec::new();
            let work = |i: usize| {
                // Uneven pieces, so that the threads overtake each other.
                std::thread::sleep(std::time::Duration::from_micros((i % 7) as u64 * 50));
                Ok(i)
            };
            in_order(
                spare,
                200,
                &mut seen,
                &work,
                |seen, i| {
                    seen.push((i, "in order"));
                    Ok(())
                },
                |seen, i| {
                    seen.push((i, "taken"));
                    Ok(())
                },
            )
            .unwrap();
            let order: Vec<usize> = seen.iter().map(|s| s.0).collect();
            assert_eq!(order, (0..200).collect::<Vec<_>>());
            if spare.is_none() {
                assert!(
                    seen.iter().all(|s| s.1 == "in order"),
                    "alone, nothing waits"
                );
            }
        }
    }

    /// The first failure in piece order is returned, whichever thread met it, once every piece
    /// before it is taken; nothing after it is taken.
    #[test]
    fn in_order_returns_the_first_failure_in_order() {
        let spare = start().unwrap();
        let fails = |i: usize| -> Result<usize> {
            if i == 37 || i == 80 {
                Err(Error::new(Code::ErrorDecryptingTree, format!("piece {i}")))
            } else {
                Ok(i)
            }
        };
        for spare in [Some(spare), None] {
            let mut taken = Vec::new();
            let err = in_order(
                spare,
                100,
                &mut taken,
                &fails,
                |taken, i| fails(i).map(|i| taken.push(i)),
                |taken, i| {
                    taken.push(i);
                    Ok(())
                },
            )
            .unwrap_err();
            assert_eq!(err.message, "piece 37");
            assert_eq!(taken, (0..37).collect::<Vec<_>>());
        }
    }

    /// A piece the spare thread panics on is never waited for: the panic goes on here.
    #[test]
    fn in_order_passes_on_a_panic_of_the_spare_thread() {
        let spare = start().unwrap();
        let started = AtomicBool::new(false);
        let work = |_: usize| -> Result<()> {
            if std::thread::current().name() == Some("secret-spare") {
                started.store(true, Ordering::Release);
                panic!("piece failed");
            }
            Ok(())
        };
        let caught = catch_unwind(AssertUnwindSafe(|| {
            in_order(
                Some(spare),
                50,
                &mut (),
                &work,
                |_, _| {
                    wait_for(&started);
                    Ok(())
                },
                |_, ()| Ok(()),
            )
        }));
        let payload = caught.expect_err("the panic reaches the lender");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"piece failed"));
    }
}
