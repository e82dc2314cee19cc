//! A job cut into parts that several threads do, lowest first, while one of them takes the
//! results in order.
//!
//! Both multi-thread decryptions need this shape: the MAC is one SHA-512 over the values in
//! file order, so whatever other threads decrypt must come back to the hashing thread in
//! that order, and that thread should do useful work rather than wait while the part it needs
//! is still being done. The pipeline (`ahead.rs`) adds its parts as it cuts them from the
//! tree, for several workers; [`super::spare::in_order`] has all its pieces from the start,
//! for the spare thread.

use super::spare::{lock, wait};
use std::sync::{Condvar, Mutex, MutexGuard};

/// The parts of a job: each a `J` to do, giving a `T`.
pub(crate) struct Parts<J, T> {
    state: Mutex<State<J, T>>,
    /// Signalled when a part is added, done or lost, when the list is complete, and when the
    /// job stops.
    changed: Condvar,
}

/// Where a part is.
enum Part<J, T> {
    Waiting(J),
    /// A thread is doing it.
    Running,
    Done(T),
    /// Handed to the taker (its result, or its job to do).
    Taken,
    /// The thread doing it panicked: there will be no result.
    Lost,
}

struct State<J, T> {
    list: Vec<Part<J, T>>,
    /// Every part before this one has been claimed or taken.
    first_waiting: usize,
    /// Every part is in the list.
    complete: bool,
    /// No part is claimed any more.
    stopped: bool,
}

/// What [`Parts::take`] finds of a part.
pub(crate) enum Turn<J, T> {
    Done(T),
    /// No thread started it: its job, for the taker to do.
    Yours(J),
    /// There will be no result: the thread doing it panicked, or the part was taken before.
    Gone,
    /// There is no such part: the list ended (or the job stopped) before it.
    NoPart,
}

impl<J, T> Parts<J, T> {
    /// No parts yet: they come with [`Parts::push`], until [`Parts::complete`].
    pub(crate) fn new() -> Self {
        Self::with(Vec::new(), false)
    }

    /// The parts `jobs`, every one of them.
    pub(crate) fn of(jobs: impl IntoIterator<Item = J>) -> Self {
        Self::with(jobs.into_iter().map(Part::Waiting).collect(), true)
    }

    fn with(list: Vec<Part<J, T>>, complete: bool) -> Self {
        Parts {
            state: Mutex::new(State {
                list,
                first_waiting: 0,
                complete,
                stopped: false,
            }),
            changed: Condvar::new(),
        }
    }

    /// Adds the next part.
    pub(crate) fn push(&self, job: J) {
        self.update(|state| state.list.push(Part::Waiting(job)));
    }

    /// No part comes after those added so far.
    pub(crate) fn complete(&self) {
        self.update(|state| state.complete = true);
    }

    /// No part is claimed after this (those claimed are finished all the same).
    pub(crate) fn stop(&self) {
        self.update(|state| state.stopped = true);
    }

    /// Stops the job when dropped: when the taker is done, has failed or panicked, so that
    /// no worker waits for parts that will never come or does parts no one will take.
    pub(crate) fn stop_on_drop(&self) -> StopOnDrop<'_, J, T> {
        StopOnDrop(self)
    }

    /// A worker: does waiting parts with `run`, lowest first, until every part is claimed
    /// and the list complete, or the job stops.
    pub(crate) fn work(&self, run: &impl Fn(usize, J) -> T) {
        let mut state = self.lock();
        while !state.stopped {
            if let Some((claim, job)) = self.claim(&mut state) {
                drop(state);
                claim.run(job, run);
                state = self.lock();
            } else if state.complete {
                return;
            } else {
                state = wait(&self.changed, state);
            }
        }
    }

    /// Part `index` for the thread that takes the parts in order: its result when done, its
    /// job when no thread has started it. While another thread is doing it, this one does
    /// a later waiting part with `run` (for the taker to have later) or, with none left,
    /// waits.
    pub(crate) fn take(&self, index: usize, run: &impl Fn(usize, J) -> T) -> Turn<J, T> {
        let mut state = self.lock();
        loop {
            let Some(part) = state.list.get_mut(index) else {
                if state.complete || state.stopped {
                    return Turn::NoPart;
                }
                state = wait(&self.changed, state);
                continue;
            };
            match std::mem::replace(part, Part::Taken) {
                Part::Done(result) => return Turn::Done(result),
                // Claims skip it from now on (it is Taken).
                Part::Waiting(job) => return Turn::Yours(job),
                Part::Running => {
                    *part = Part::Running;
                    match self.claim(&mut state) {
                        Some((claim, job)) => {
                            drop(state);
                            claim.run(job, run);
                            state = self.lock();
                        }
                        None => state = wait(&self.changed, state),
                    }
                }
                Part::Taken | Part::Lost => return Turn::Gone,
            }
        }
    }

    /// Marks the lowest waiting part as running and hands its job over, unless the job
    /// stopped.
    fn claim(&self, state: &mut State<J, T>) -> Option<(Claim<'_, J, T>, J)> {
        if state.stopped {
            return None;
        }
        // The parts from `first_waiting` on are waiting, or taken by the taker directly.
        while let Some(part) = state.list.get_mut(state.first_waiting) {
            let index = state.first_waiting;
            state.first_waiting += 1;
            if let Part::Waiting(_) = part {
                let Part::Waiting(job) = std::mem::replace(part, Part::Running) else {
                    unreachable!("matched just above");
                };
                return Some((Claim { parts: self, index }, job));
            }
        }
        None
    }

    fn lock(&self) -> MutexGuard<'_, State<J, T>> {
        lock(&self.state)
    }

    /// Changes the state and wakes every thread waiting for a change.
    fn update(&self, change: impl FnOnce(&mut State<J, T>)) {
        change(&mut self.lock());
        self.changed.notify_all();
    }
}

/// A part a thread is doing. Dropped before its result is filed (the thread unwinds), it
/// marks the part lost, so that the taker never waits for it.
struct Claim<'a, J, T> {
    parts: &'a Parts<J, T>,
    index: usize,
}

impl<J, T> Claim<'_, J, T> {
    fn run(self, job: J, run: &impl Fn(usize, J) -> T) {
        let result = run(self.index, job);
        self.file(Part::Done(result));
        std::mem::forget(self);
    }

    fn file(&self, part: Part<J, T>) {
        self.parts.update(|state| state.list[self.index] = part);
    }
}

impl<J, T> Drop for Claim<'_, J, T> {
    fn drop(&mut self) {
        self.file(Part::Lost);
    }
}

/// Stops a job when dropped ([`Parts::stop_on_drop`]).
pub(crate) struct StopOnDrop<'a, J, T>(&'a Parts<J, T>);

impl<J, T> Drop for StopOnDrop<'_, J, T> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Doubles a part's job, and says which thread did it.
    fn double(_: usize, job: usize) -> (usize, std::thread::ThreadId) {
        (job * 2, std::thread::current().id())
    }

    #[test]
    fn the_taker_gets_every_part_in_order_while_workers_do_them() {
        let parts = Parts::new();
        let here = std::thread::current().id();
        let mut elsewhere = 0;
        std::thread::scope(|scope| {
            let _stop = parts.stop_on_drop();
            for _ in 0..2 {
                scope.spawn(|| parts.work(&double));
            }
            for job in 0..500 {
                parts.push(job);
            }
            parts.complete();
            // Let the workers start (a new thread may take milliseconds to run).
            let started = std::time::Instant::now();
            while !parts.lock().list.iter().any(|p| matches!(p, Part::Done(_))) {
                assert!(started.elapsed().as_secs() < 10, "no worker did a part");
                std::thread::yield_now();
            }
            for index in 0..500 {
                let value = match parts.take(index, &double) {
                    Turn::Done((value, thread)) => {
                        elsewhere += usize::from(thread != here);
                        value
                    }
                    Turn::Yours(job) => job * 2,
                    Turn::Gone | Turn::NoPart => panic!("part {index} missing"),
                };
                assert_eq!(value, index * 2);
            }
            assert!(matches!(parts.take(500, &double), Turn::NoPart));
        });
        assert!(elsewhere > 0, "the workers did some parts");
    }

    #[test]
    fn a_part_nobody_started_is_the_takers_and_no_one_else_does_it() {
        let parts = Parts::of([10, 11, 12]);
        let runs = AtomicUsize::new(0);
        let run = |_: usize, job: usize| {
            runs.fetch_add(1, Ordering::Relaxed);
            job
        };
        assert!(matches!(parts.take(1, &run), Turn::Yours(11)));
        parts.work(&run);
        assert_eq!(runs.load(Ordering::Relaxed), 2, "parts 0 and 2, not 1");
        assert!(matches!(parts.take(0, &run), Turn::Done(10)));
        assert!(matches!(parts.take(1, &run), Turn::Gone), "taken before");
        assert!(matches!(parts.take(2, &run), Turn::Done(12)));
    }

    #[test]
    fn while_its_part_runs_the_taker_does_a_later_one() {
        let parts = Parts::of([0, 1]);
        // Part 0 claimed by a "worker" (this thread) that files it only once the taker has
        // done part 1.
        let (claim, job) = parts.claim(&mut parts.lock()).unwrap();
        let (took, taker) = std::thread::scope(|scope| {
            let taker = scope.spawn(|| (parts.take(0, &double), std::thread::current().id()));
            let started = std::time::Instant::now();
            while !matches!(parts.lock().list[1], Part::Done(_)) {
                assert!(started.elapsed().as_secs() < 10, "the taker did not help");
                std::thread::yield_now();
            }
            claim.run(job, &double);
            taker.join().unwrap()
        });
        assert!(matches!(took, Turn::Done((0, _))));
        let Turn::Done((2, thread)) = parts.take(1, &double) else {
            panic!("part 1 was done ahead");
        };
        assert_eq!(thread, taker);
    }

    #[test]
    fn a_part_lost_to_a_panic_is_gone_not_waited_for() {
        let parts = Parts::of([0, 1]);
        std::thread::scope(|scope| {
            let worker = scope.spawn(|| {
                let (_claim, _job) = parts.claim(&mut parts.lock()).unwrap();
                panic!("a worker fails");
            });
            assert!(worker.join().is_err());
        });
        assert!(matches!(parts.take(0, &double), Turn::Gone));
        // The parts after it are still there.
        assert!(matches!(parts.take(1, &double), Turn::Yours(1)));
    }

    #[test]
    fn stopped_workers_do_not_wait_for_parts() {
        // A taker that fails before any part is added: the scope still ends.
        let parts = Parts::<usize, _>::new();
        std::thread::scope(|scope| {
            let _stop = parts.stop_on_drop();
            scope.spawn(|| parts.work(&double));
        });
        assert!(parts.lock().stopped);
        // And nothing is claimed after a stop.
        let parts = Parts::of([1]);
        parts.stop();
        parts.work(&|_, _: usize| panic!("claimed after the stop"));
        assert!(matches!(parts.take(0, &double), Turn::Yours(1)));
    }
}
