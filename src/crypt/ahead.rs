//! Values of a big file decrypted ahead of the walk, on all cores, as a pipeline.
//!
//! The `ENC[...]` texts are taken out of the tree in walk order and cut into parts of
//! [`PART_LEN`] string leaves; worker threads start on the first part as soon as it is cut
//! and decrypt the parts, lowest first. The walk, on the calling thread, takes each part as
//! soon as it is done and hashes and stores its values while the workers decrypt the parts
//! after it (the MAC is one SHA-512 over the values in file order, so the walk itself stays
//! on one thread). When the part the walk needs next is still being decrypted, the calling
//! thread decrypts a later one meanwhile, so neither core waits while there is work left.

use super::cipher::{Leaf, Opened, ValueCipher, NONCE_LEN};
use super::parts::{Parts, Turn};
use super::spare::cores;
use crate::error::{Code, Error, Result};
use crate::tree::{Item, Map, Node, Scalar, Text};

/// Below this many string values, decrypting in one thread is faster than starting more
/// (measured on this project's 2-core machine, alternating runs of `decrypt`: in two threads,
/// 2,500 and 5,000-value dotenv files took 20 to 30% more CPU and 13 to 17% more wall time
/// than in one; at 8,000 values both took about as long).
pub(super) const PARALLEL_MIN: usize = 8192;

/// String leaves per part: small enough that the walk starts soon after the workers and
/// rarely waits at the end, large enough that the lock taken once per part costs nothing.
const PART_LEN: usize = if cfg!(test) { 64 } else { 1024 };

/// A string leaf taken out of the tree: its AAD as a range of its part's AADs, and its
/// `ENC[...]` text. `None` for a string left in the tree (not `ENC[...]`, or past the
/// 4 GiB the offsets reach): the walk handles it alone.
type Job = Option<(u32, u32, Text)>;

/// A part's jobs and their AADs, one after the other.
#[derive(Default)]
struct Jobs {
    aads: String,
    jobs: Vec<Job>,
}

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

/// The string leaves of a file taken out for decryption, shared by the workers and the walk.
pub(super) struct Pipeline {
    cipher: ValueCipher,
    keep_ivs: bool,
    parts: Parts<Jobs, PartOut>,
}

impl Pipeline {
    /// Whether documents of `strings` string leaves ([`strings`]) are worth decrypting on
    /// more than one core: big enough for threads to pay, and more than one core to use.
    pub(super) fn wanted(strings: usize) -> bool {
        // Small files first: counting their strings (without reading them) is cheaper than
        // asking for the cores (cgroup files), and they never use threads.
        strings >= PARALLEL_MIN && cores() >= 2
    }

    /// An empty pipeline; `keep_ivs`: whether the walk remembers nonces.
    pub(super) fn new(cipher: ValueCipher, keep_ivs: bool) -> Self {
        Pipeline {
            cipher,
            keep_ivs,
            parts: Parts::new(),
        }
    }

    /// How many worker threads to start beside the calling thread.
    pub(super) fn workers() -> usize {
        cores().min(8) - 1
    }

    /// Takes every `ENC[...]` string leaf of `docs` out of the tree, in walk order, handing
    /// each part to the workers as soon as it is cut.
    pub(super) fn fill(&self, docs: &mut [Map]) {
        let mut take = Take {
            pipeline: self,
            path: String::new(),
            part: Jobs::default(),
            aads_len: PART_LEN * 16,
        };
        for doc in docs.iter_mut() {
            take.map(doc);
        }
        take.end_part();
        self.parts.complete();
    }

    /// A worker: decrypts waiting parts, lowest first, until all are done or the workers
    /// are stopped.
    pub(super) fn work(&self) {
        self.parts.work(&|_, jobs| self.decrypt(jobs));
    }

    /// Tells the workers to start no other part once dropped (when the walk is over, has
    /// failed or panicked): without it, a worker would wait for parts that never come.
    pub(super) fn stop_on_drop(&self) -> impl Sized + '_ {
        self.parts.stop_on_drop()
    }

    /// The walk's side of the pipeline, from the first string leaf on.
    pub(super) fn reader(&self) -> Reader<'_> {
        Reader {
            pipeline: self,
            part: None,
            out: PartOut::default(),
        }
    }

    /// Part `index` decrypted, for the walk: taken when done, decrypted here when still
    /// waiting, and while another thread decrypts it, this one decrypts a later part.
    fn take(&self, index: usize) -> Result<PartOut> {
        let decrypt = |_, jobs| self.decrypt(jobs);
        match self.parts.take(index, &decrypt) {
            Turn::Done(out) => Ok(out),
            Turn::Yours(jobs) => Ok(self.decrypt(jobs)),
            Turn::NoPart => Ok(PartOut::default()),
            Turn::Gone => Err(Error::new(
                Code::ErrorDecryptingTree,
                "a thread decrypting values failed",
            )),
        }
    }

    /// Decrypts one part's jobs, each under its own path as AAD: exactly what decrypting
    /// in the walk would give.
    fn decrypt(&self, Jobs { aads, jobs }: Jobs) -> PartOut {
        let mut out = PartOut {
            values: Vec::with_capacity(jobs.len()),
            ivs: Vec::with_capacity(if self.keep_ivs { jobs.len() } else { 0 }),
        };
        for job in jobs {
            let value = job.map(|(start, len, text)| {
                let (start, len) = (start as usize, len as usize);
                let opened = self.cipher.decrypt(&text, &aads[start..start + len]);
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
    pub(super) fn take(&mut self, leaf: usize) -> Result<Option<Ahead>> {
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
            .map(|(text, result)| Ahead { text, result, iv }))
    }
}

/// A string leaf decrypted ahead, as the walk takes it.
pub(super) struct Ahead {
    /// The `ENC[...]` text taken out of the tree (it goes back when the walk leaves the
    /// value as it is).
    pub text: Text,
    pub result: std::result::Result<Leaf, Box<Error>>,
    pub iv: Option<[u8; NONCE_LEN]>,
}

impl Ahead {
    /// The decrypted value as the walk uses it.
    pub(super) fn opened(self) -> Result<Opened> {
        let iv = self.iv;
        self.result.map(|leaf| Opened { leaf, iv }).map_err(|e| *e)
    }
}

/// Gathers the jobs in walk order, cut into parts for the pipeline.
struct Take<'p> {
    pipeline: &'p Pipeline,
    /// The path of the current container, as AAD.
    path: String,
    part: Jobs,
    /// The length of the last part's AADs: the room the next one gets.
    aads_len: usize,
}

impl Take<'_> {
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
                // A part gets its whole room at once rather than growing a dozen times (and
                // copying itself each time): cutting the parts of a 50,000-value dotenv file
                // went from 9.1 M to 8.2 M instructions.
                if self.part.jobs.capacity() == 0 {
                    self.part.jobs.reserve_exact(PART_LEN);
                    self.part.aads.reserve_exact(self.aads_len);
                }
                let aad = super::walk::leaf_aad(&self.path);
                let aads = &mut self.part.aads;
                let start = aads.len();
                let fits = u32::try_from(start + aad.len()).is_ok();
                let job = (fits && s.starts_with("ENC[")).then(|| {
                    aads.push_str(aad);
                    (start as u32, aad.len() as u32, std::mem::take(s))
                });
                self.part.jobs.push(job);
                if self.part.jobs.len() == PART_LEN {
                    self.end_part();
                }
            }
            Node::Scalar(_) | Node::Comment(_) => {}
        }
    }

    fn end_part(&mut self) {
        if !self.part.jobs.is_empty() {
            self.aads_len = self.part.aads.len();
            self.pipeline.parts.push(std::mem::take(&mut self.part));
        }
    }
}

/// String leaves of `docs`, at every depth.
pub(super) fn strings(docs: &[Map]) -> usize {
    docs.iter().map(count_map).sum()
}

/// String leaves of a map, at every depth.
fn count_map(map: &Map) -> usize {
    map.iter().map(count_item).sum()
}

/// String leaves of a map's item, at every depth.
pub(super) fn count_item(item: &Item) -> usize {
    match item {
        Item::Pair(_, value) => count(value),
        Item::Comment(_) => 0,
    }
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
        assert!(
            Pipeline::wanted(super::strings(&original)),
            "this machine has 2 cores"
        );
        for keep_ivs in [false, true] {
            let mut docs = original.clone();
            let pipeline = Pipeline::new(ValueCipher::new(&key), keep_ivs);
            std::thread::scope(|scope| {
                let _stop = pipeline.stop_on_drop();
                scope.spawn(|| pipeline.work());
                pipeline.fill(&mut docs);
                // Texts that look encrypted are out of the tree, others stay.
                for ((_, was), (_, now)) in before.iter().zip(strings(&docs)) {
                    let expected = if was.starts_with("ENC[") {
                        ""
                    } else {
                        was.as_str()
                    };
                    assert_eq!(now.as_str(), expected);
                }
                let mut reader = pipeline.reader();
                for (index, (path, text)) in before.iter().enumerate() {
                    let taken = reader.take(index).unwrap();
                    if !text.starts_with("ENC[") {
                        assert!(taken.is_none());
                        continue;
                    }
                    let ahead = taken.expect("taken out");
                    assert_eq!(&ahead.text, text);
                    let direct = cipher.decrypt(text, path);
                    match (ahead.opened(), direct) {
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
            });
        }
    }

    #[test]
    fn small_files_are_not_wanted() {
        assert!(!Pipeline::wanted(super::strings(
            &encrypted(PARALLEL_MIN / STRINGS - 1).0
        )));
    }

    #[test]
    fn a_part_lost_to_a_panic_is_an_error_not_a_wait() {
        let (mut docs, key) = encrypted(PARALLEL_MIN / STRINGS + 1);
        let pipeline = Pipeline::new(ValueCipher::new(&key), false);
        pipeline.fill(&mut docs);
        // A worker that panics on the first part it claims.
        let fails = |_: usize, _: Jobs| -> PartOut { panic!("a worker fails") };
        std::thread::scope(|scope| {
            let worker = scope.spawn(|| pipeline.parts.work(&fails));
            assert!(worker.join().is_err());
        });
        let Err(err) = pipeline.reader().take(0) else {
            panic!("a lost part is an error");
        };
        assert_eq!(err.code, Code::ErrorDecryptingTree);
        // The parts after it are still there.
        assert!(pipeline.reader().take(PART_LEN).unwrap().is_some());
    }

    #[test]
    fn results_and_jobs_stay_small() {
        // A big file holds one of each per value, for the values of a part at a time.
        assert!(std::mem::size_of::<Option<Decrypted>>() <= 56);
        assert!(std::mem::size_of::<Job>() <= 32);
    }
}
