//! Values of a big file decrypted ahead of the walk, on all cores, as a pipeline.
//!
//! The `ENC[...]` texts are taken out of the tree in walk order and cut into parts of
//! [`PART_LEN`] string leaves. Worker threads decrypt the parts, lowest first; the walk, on
//! the calling thread, takes each part as soon as it is done and hashes and stores its
//! values while the workers decrypt the parts after it (the MAC is one SHA-512 over the
//! values in file order, so the walk itself stays on one thread). When the part the walk
//! needs next is still being decrypted, the calling thread decrypts a later one meanwhile,
//! so neither core waits while there is work left.

use super::cipher::{Leaf, Opened, ValueCipher, NONCE_LEN};
use crate::cores::cores;
use crate::error::{Code, Error, Result};
use crate::tree::{Item, Map, Node, Scalar, Text};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Below this many string values, decrypting in one thread is faster than starting more
/// (measured on this project's 2-core machine, alternating runs of `decrypt`: in two threads,
/// 2,500 and 5,000-value dotenv files took 20 to 30% more CPU and 13 to 17% more wall time
/// than in one; at 8,000 values both took about as long).
pub(super) const PARALLEL_MIN: usize = 8192;

/// String leaves per part: small enough that the walk starts soon after the workers and
/// rarely waits at the end, large enough that the lock taken once per part costs nothing.
const PART_LEN: usize = if cfg!(test) { 64 } else { 1024 };

/// A string leaf taken out of the tree: its AAD as a range of the arena of paths, and its
/// `ENC[...]` text. `None` for a string left in the tree (not `ENC[...]`, or past the
/// 4 GiB the arena's offsets reach): the walk handles it alone.
type Job = Option<(u32, u32, Text)>;

/// One value decrypted ahead: the text taken out of the tree (the walk puts it back when it
/// does not decrypt that leaf) and the result, its rare error boxed to keep it small.
pub(super) type Decrypted = (Text, std::result::Result<Leaf, Box<Error>>);

/// A decrypted part: one entry per string leaf, and the nonces beside them when the walk
/// remembers nonces (else empty: they would be 33 more bytes a value).
#[derive(Default)]
struct PartOut {
    values: Vec<Option<Decrypted>>,
    ivs: Vec<Option<[u8; NONCE_LEN]>>,
}

/// Where a part is.
enum Part {
    Waiting(Vec<Job>),
    /// A thread is decrypting it.
    Running,
    Done(PartOut),
    /// The walk has it.
    Taken,
    /// The thread decrypting it panicked: its values are gone.
    Lost,
}

/// The parts, and the lowest one that may still be waiting.
struct Parts {
    list: Vec<Part>,
    first_waiting: usize,
}

/// The string leaves of a file taken out for decryption, shared by the workers and the walk.
pub(super) struct Pipeline {
    cipher: ValueCipher,
    /// The AADs of the leaves, one after the other.
    arena: String,
    keep_ivs: bool,
    parts: Mutex<Parts>,
    /// Signalled whenever a worker finishes a part.
    finished: Condvar,
    stop: AtomicBool,
}

impl Pipeline {
    /// Takes every `ENC[...]` string leaf of `docs` out of the tree for decryption ahead of
    /// the walk, or leaves the tree alone and gives `None` when the file is too small for
    /// threads to pay or there is a single core. `keep_ivs`: whether the walk remembers
    /// nonces.
    pub(super) fn take_from(docs: &mut [Map], cipher: ValueCipher, keep_ivs: bool) -> Option<Self> {
        // Small files first: counting their strings (without reading them) is cheaper than
        // asking for the cores (cgroup files), and they never use threads.
        if docs.iter().map(count_map).sum::<usize>() < PARALLEL_MIN || cores() < 2 {
            return None;
        }
        let mut take = Take::default();
        for doc in docs.iter_mut() {
            take.map(doc);
        }
        take.end_part();
        Some(Pipeline {
            cipher,
            arena: take.arena,
            keep_ivs,
            parts: Mutex::new(Parts {
                list: take.parts,
                first_waiting: 0,
            }),
            finished: Condvar::new(),
            stop: AtomicBool::new(false),
        })
    }

    /// How many worker threads to start beside the calling thread.
    pub(super) fn workers() -> usize {
        cores().min(8) - 1
    }

    /// A worker: decrypts waiting parts, lowest first, until none is left or [`Self::stop`].
    pub(super) fn work(&self) {
        while !self.stop.load(Ordering::Relaxed) {
            let Some(claim) = self.claim(&mut self.lock()) else {
                return;
            };
            claim.run();
        }
    }

    /// Tells the workers to start no other part (the walk is over, or failed).
    pub(super) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// The walk's side of the pipeline, from the first string leaf on.
    pub(super) fn reader(&self) -> Reader<'_> {
        Reader {
            pipeline: self,
            part: None,
            out: PartOut::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Parts> {
        // A panic never happens while the lock is held; a poisoned lock is still consistent.
        self.parts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks the lowest waiting part as running and hands its jobs over.
    fn claim(&self, parts: &mut Parts) -> Option<Claim<'_>> {
        // The parts from `first_waiting` on are waiting, or taken by the walk directly.
        while let Some(part) = parts.list.get_mut(parts.first_waiting) {
            let index = parts.first_waiting;
            parts.first_waiting += 1;
            if let Part::Waiting(jobs) = part {
                let jobs = std::mem::take(jobs);
                *part = Part::Running;
                return Some(Claim {
                    pipeline: self,
                    index,
                    jobs,
                });
            }
        }
        None
    }

    /// Part `index` decrypted, for the walk: taken when done, decrypted here when still
    /// waiting, and while another thread decrypts it, this one decrypts a later part.
    fn take(&self, index: usize) -> Result<PartOut> {
        let mut parts = self.lock();
        loop {
            let Some(part) = parts.list.get_mut(index) else {
                return Ok(PartOut::default());
            };
            match std::mem::replace(part, Part::Taken) {
                Part::Done(out) => return Ok(out),
                Part::Waiting(jobs) => {
                    drop(parts);
                    return Ok(self.decrypt(jobs));
                }
                Part::Running => {
                    *part = Part::Running;
                    match self.claim(&mut parts) {
                        Some(claim) => {
                            drop(parts);
                            claim.run();
                            parts = self.lock();
                        }
                        None => {
                            parts = self
                                .finished
                                .wait(parts)
                                .unwrap_or_else(PoisonError::into_inner);
                        }
                    }
                }
                Part::Taken | Part::Lost => {
                    return Err(Error::new(
                        Code::ErrorDecryptingTree,
                        "a thread decrypting values failed",
                    ))
                }
            }
        }
    }

    /// Decrypts one part's jobs, each under its own path as AAD: exactly what decrypting
    /// in the walk would give.
    fn decrypt(&self, jobs: Vec<Job>) -> PartOut {
        let mut out = PartOut {
            values: Vec::with_capacity(jobs.len()),
            ivs: Vec::with_capacity(if self.keep_ivs { jobs.len() } else { 0 }),
        };
        for job in jobs {
            let value = job.map(|(start, len, text)| {
                let (start, len) = (start as usize, len as usize);
                let opened = self.cipher.decrypt(&text, &self.arena[start..start + len]);
                (text, opened)
            });
            if self.keep_ivs {
                out.ivs
                    .push(value.as_ref().and_then(|(_, o)| o.as_ref().ok()?.iv));
            }
            out.values
                .push(value.map(|(text, opened)| (text, opened.map(|o| o.leaf).map_err(Box::new))));
        }
        out
    }
}

/// A part a thread decrypts. Dropped, it files its result (or, if the thread panicked
/// before there was one, marks the part lost) and wakes the walk, so the walk never waits
/// for a part that will not come.
struct Claim<'p> {
    pipeline: &'p Pipeline,
    index: usize,
    jobs: Vec<Job>,
}

impl Claim<'_> {
    fn run(mut self) {
        let out = self.pipeline.decrypt(std::mem::take(&mut self.jobs));
        self.file(Part::Done(out));
    }

    fn file(&self, part: Part) {
        self.pipeline.lock().list[self.index] = part;
        self.pipeline.finished.notify_all();
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.file(Part::Lost);
        }
    }
}

/// The walk's side: the results of string leaves, taken in walk order.
pub(super) struct Reader<'p> {
    pipeline: &'p Pipeline,
    /// The part `out` holds.
    part: Option<usize>,
    out: PartOut,
}

impl Reader<'_> {
    /// The value decrypted ahead for string leaf `leaf` (in walk order), with its nonce;
    /// `None` for a string left in the tree. Leaves are taken in increasing order.
    pub(super) fn take(
        &mut self,
        leaf: usize,
    ) -> Result<Option<(Decrypted, Option<[u8; NONCE_LEN]>)>> {
        let (part, at) = (leaf / PART_LEN, leaf % PART_LEN);
        if self.part != Some(part) {
            self.out = self.pipeline.take(part)?;
            self.part = Some(part);
        }
        let iv = self.out.ivs.get(at).copied().flatten();
        Ok(self
            .out
            .values
            .get_mut(at)
            .and_then(Option::take)
            .map(|value| (value, iv)))
    }
}

/// A value decrypted ahead, as the walk uses it.
pub(super) fn opened(
    leaf: std::result::Result<Leaf, Box<Error>>,
    iv: Option<[u8; NONCE_LEN]>,
) -> Result<Opened> {
    leaf.map(|leaf| Opened { leaf, iv }).map_err(|e| *e)
}

/// Gathers the jobs in walk order, cut into parts.
#[derive(Default)]
struct Take {
    /// The path of the current container, as AAD.
    path: String,
    arena: String,
    part: Vec<Job>,
    parts: Vec<Part>,
}

impl Take {
    fn map(&mut self, map: &mut Map) {
        for item in map {
            if let Item::Pair(key, value) = item {
                let len = self.path.len();
                self.path.push_str(key);
                self.path.push(':');
                self.node(value);
                self.path.truncate(len);
            }
        }
    }

    fn node(&mut self, node: &mut Node) {
        match node {
            Node::Map(m) => self.map(m),
            Node::List(l) => l.iter_mut().for_each(|n| self.node(n)),
            Node::Scalar(Scalar::Str(s)) => {
                let aad = if self.path.is_empty() {
                    ":"
                } else {
                    &self.path
                };
                let start = self.arena.len();
                let fits = u32::try_from(start + aad.len()).is_ok();
                let job = (fits && s.starts_with("ENC[")).then(|| {
                    self.arena.push_str(aad);
                    (start as u32, aad.len() as u32, std::mem::take(s))
                });
                self.part.push(job);
                if self.part.len() == PART_LEN {
                    self.end_part();
                }
            }
            Node::Scalar(_) | Node::Comment(_) => {}
        }
    }

    fn end_part(&mut self) {
        if !self.part.is_empty() {
            let part = std::mem::replace(&mut self.part, Vec::with_capacity(PART_LEN));
            self.parts.push(Part::Waiting(part));
        }
    }
}

/// String leaves of a map, at every depth.
fn count_map(map: &Map) -> usize {
    map.iter()
        .map(|item| match item {
            Item::Pair(_, value) => count(value),
            Item::Comment(_) => 0,
        })
        .sum()
}

fn count(node: &Node) -> usize {
    match node {
        Node::Map(m) => count_map(m),
        Node::List(l) => l.iter().map(count).sum(),
        Node::Scalar(Scalar::Str(_)) => 1,
        Node::Scalar(_) | Node::Comment(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypt::cipher::DataKey;
    use crate::crypt::select::Selector;
    use crate::crypt::walk::{encrypt, NonceMemory};

    /// String leaves per service in [`encrypted`]'s document (the list's integer is
    /// encrypted to a string).
    const STRINGS: usize = 12;

    /// An encrypted document of `services` maps of 11 values each (two in a list, and a plain
    /// value that looks encrypted), and its key.
    fn encrypted(services: usize) -> (Vec<Map>, DataKey) {
        let doc: Map = (0..services)
            .map(|s| {
                let mut values: Map = (0..9)
                    .map(|i| Item::Pair(format!("k{i}").into(), Node::str(format!("v{s}.{i}"))))
                    .collect();
                values.push(Item::Pair(
                    "l".into(),
                    Node::List(vec![
                        Node::str(format!("l{s}")),
                        Node::Scalar(Scalar::Int(1)),
                    ]),
                ));
                values.push(Item::Pair("n_unencrypted".into(), Node::str("ENC[plain")));
                Item::Pair(format!("s{s}").into(), Node::Map(values))
            })
            .collect();
        let key = DataKey::generate();
        let mut docs = vec![doc];
        let sel = Selector::new(
            crate::crypt::select::SelectorKind::UnencryptedSuffix,
            "_unencrypted",
        )
        .unwrap();
        encrypt(&mut docs, &key, &sel, false, &mut NonceMemory::off()).unwrap();
        (docs, key)
    }

    /// Every string leaf's path (as AAD) and text, in walk order.
    fn strings(docs: &[Map]) -> Vec<(String, Text)> {
        fn node(n: &Node, path: &str, out: &mut Vec<(String, Text)>) {
            match n {
                Node::Map(m) => map(m, path, out),
                Node::List(l) => l.iter().for_each(|n| node(n, path, out)),
                Node::Scalar(Scalar::Str(s)) => out.push((path.to_string(), s.clone())),
                _ => {}
            }
        }
        fn map(m: &Map, path: &str, out: &mut Vec<(String, Text)>) {
            for item in m {
                if let Item::Pair(k, v) = item {
                    node(v, &format!("{path}{}:", k.as_str()), out);
                }
            }
        }
        let mut out = Vec::new();
        docs.iter().for_each(|d| map(d, "", &mut out));
        out
    }

    #[test]
    fn parts_come_in_walk_order_as_decrypting_in_the_walk_gives_them() {
        let services = PARALLEL_MIN / STRINGS + 1;
        let (original, key) = encrypted(services);
        let before = strings(&original);
        let cipher = ValueCipher::new(&key);
        assert!(cores() >= 2, "this machine has 2 cores");
        for keep_ivs in [false, true] {
            let mut docs = original.clone();
            let pipeline = Pipeline::take_from(&mut docs, ValueCipher::new(&key), keep_ivs)
                .expect("a big file is decrypted ahead");
            // Texts that look encrypted are out of the tree, others stay.
            for ((_, was), (_, now)) in before.iter().zip(strings(&docs)) {
                let expected = if was.starts_with("ENC[") {
                    ""
                } else {
                    was.as_str()
                };
                assert_eq!(now.as_str(), expected);
            }
            std::thread::scope(|scope| {
                scope.spawn(|| pipeline.work());
                let mut reader = pipeline.reader();
                for (index, (path, text)) in before.iter().enumerate() {
                    let taken = reader.take(index).unwrap();
                    if !text.starts_with("ENC[") {
                        assert!(taken.is_none());
                        continue;
                    }
                    let ((back, leaf), iv) = taken.expect("taken out");
                    assert_eq!(&back, text);
                    let direct = cipher.decrypt(text, path);
                    match (opened(leaf, iv), direct) {
                        (Ok(a), Ok(b)) => {
                            assert_eq!(a.leaf, b.leaf);
                            assert_eq!(a.iv, if keep_ivs { b.iv } else { None });
                            assert!(b.iv.is_some());
                        }
                        // `ENC[plain`, which the walk leaves alone by its suffix.
                        (Err(a), Err(b)) => assert_eq!(a.message, b.message),
                        (a, b) => panic!("{path}: {:?} against {:?}", a.is_ok(), b.is_ok()),
                    }
                }
                pipeline.stop();
            });
        }
    }

    #[test]
    fn small_files_stay_in_the_tree() {
        let (original, key) = encrypted(PARALLEL_MIN / STRINGS - 1);
        let mut docs = original.clone();
        assert!(Pipeline::take_from(&mut docs, ValueCipher::new(&key), false).is_none());
        assert_eq!(docs, original);
    }

    #[test]
    fn a_part_lost_to_a_panic_is_an_error_not_a_wait() {
        let (mut docs, key) = encrypted(PARALLEL_MIN / STRINGS + 1);
        let pipeline = Pipeline::take_from(&mut docs, ValueCipher::new(&key), false).unwrap();
        std::thread::scope(|scope| {
            let worker = scope.spawn(|| {
                let _claim = pipeline.claim(&mut pipeline.lock());
                panic!("a worker fails");
            });
            assert!(worker.join().is_err());
        });
        let err = pipeline.reader().take(0).unwrap_err();
        assert_eq!(err.code, Code::ErrorDecryptingTree);
        // The parts after it are still there.
        assert!(pipeline.reader().take(PART_LEN).unwrap().is_some());
    }

    #[test]
    fn results_and_jobs_stay_small() {
        // A big file holds one of each per value.
        assert!(std::mem::size_of::<Option<Decrypted>>() <= 56);
        assert!(std::mem::size_of::<Job>() <= 32);
    }
}
