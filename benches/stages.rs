//! The stages of `secret decrypt` and `secret encrypt` on a 50,000-value YAML file, each
//! timed on its own (read, parse, base64 + AES-GCM per value, MAC, the whole walk, emit,
//! write), so that the time of a whole run can be split by stage (issue 15). Key unwrapping
//! (age) is not here: it is one X25519 exchange per file, whatever the file's size.

// The allocator the `secret` binary uses, so timings match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use secret::internals::cipher::{self, DataKey, Leaf, ValueCipher};
use secret::internals::walk::{self, NonceMemory};
use secret::internals::{FormatStore, Item, Map, Node, Scalar, Selector, StoreOptions};
use secret::Format;
use sha2::Digest;
use std::io::Write;

/// Values in the file (what bench/compare.sh uses).
const VALUES: usize = 50_000;

/// The same shape of file as `bench/gen.py yaml` writes: services of 50 keys, with ints,
/// floats, bools and strings.
fn yaml_doc(values: usize) -> String {
    let mut s = String::new();
    for svc in 0..values / 50 {
        s.push_str(&format!("# service {svc}\nservice_{svc}:\n"));
        for i in 0..50 {
            match i % 5 {
                0 => s.push_str(&format!("    key_{i}: {}\n", svc * 7919 + i)),
                1 => s.push_str(&format!("    key_{i}: {i}.125\n")),
                2 => s.push_str(&format!("    key_{i}: true\n")),
                _ => s.push_str(&format!("    key_{i}: alpha-bravo-charlie-delta{i}\n")),
            }
        }
    }
    s
}

/// Every scalar of `docs` in walk order, with its path as sops' AAD (`a:b:`).
fn scalars(docs: &[Map]) -> Vec<(String, &Scalar)> {
    fn walk<'a>(node: &'a Node, path: &str, out: &mut Vec<(String, &'a Scalar)>) {
        match node {
            Node::Map(map) => {
                for item in map {
                    if let Item::Pair(k, v) = item {
                        walk(v, &format!("{path}{k}:"), out);
                    }
                }
            }
            Node::List(list) => list.iter().for_each(|v| walk(v, path, out)),
            Node::Scalar(s) => out.push((path.to_string(), s)),
            Node::Comment(_) => {}
        }
    }
    let mut out = Vec::new();
    for doc in docs {
        for item in doc {
            if let Item::Pair(k, v) = item {
                walk(v, &format!("{k}:"), &mut out);
            }
        }
    }
    out
}

fn stages(c: &mut Criterion) {
    let plain = yaml_doc(VALUES);
    let store = Format::Yaml.store(&StoreOptions::default());
    let key = DataKey::generate();
    let sel = Selector::default();
    let mut docs = store.load(plain.as_bytes()).unwrap().docs;
    walk::encrypt(&mut docs, &key, &sel, false, &mut NonceMemory::off()).unwrap();
    let sealed = store.emit(&docs, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.enc.yaml");
    std::fs::write(&path, &sealed).unwrap();

    let mut group = c.benchmark_group("decrypt 50k-value yaml");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(sealed.len() as u64));
    group.bench_function("1 read", |b| b.iter(|| std::fs::read(&path).unwrap()));
    group.bench_function("2 parse", |b| b.iter(|| store.load(&sealed).unwrap()));
    let encrypted: Vec<(String, &str)> = scalars(&docs)
        .into_iter()
        .filter_map(|(aad, s)| match s {
            Scalar::Str(text) => Some((aad, text.as_str())),
            _ => None,
        })
        .collect();
    let cipher = ValueCipher::new(&key);
    group.bench_function("3 base64 + AES-GCM, one thread", |b| {
        b.iter(|| {
            for (aad, text) in &encrypted {
                cipher.decrypt(text, aad).unwrap();
            }
        })
    });
    let mut opened = docs.clone();
    walk::decrypt(&mut opened, &key, &sel, false, &mut NonceMemory::off()).unwrap();
    // The MAC's input: every value's bytes as sops hashes them, in walk order.
    let plaintexts: Vec<Vec<u8>> = scalars(&opened)
        .into_iter()
        .map(|(_, s)| Leaf::Scalar(s.clone()).plaintext().into_owned())
        .collect();
    group.bench_function("4 MAC (SHA-512 of the values)", |b| {
        b.iter(|| {
            let mut mac = sha2::Sha512::new();
            plaintexts.iter().for_each(|p| mac.update(p));
            mac.finalize()
        })
    });
    group.bench_function("5 walk (decrypt all cores + MAC)", |b| {
        b.iter_batched(
            || docs.clone(),
            |mut d| walk::decrypt(&mut d, &key, &sel, false, &mut NonceMemory::off()).unwrap(),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("6 emit", |b| b.iter(|| store.emit(&opened, None).unwrap()));
    let out = store.emit(&opened, None).unwrap();
    group.bench_function("7 write (stdout to /dev/null)", |b| {
        let mut null = std::fs::File::create("/dev/null").unwrap();
        b.iter(|| null.write_all(&out).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("encrypt 50k-value yaml");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(plain.len() as u64));
    group.bench_function("2 parse", |b| {
        b.iter(|| store.load(plain.as_bytes()).unwrap())
    });
    let leaf = Leaf::Scalar(Scalar::Str("alpha-bravo-charlie-delta9".into()));
    group.bench_function("3 base64 + AES-GCM, one thread (x50k)", |b| {
        b.iter(|| {
            for _ in 0..VALUES {
                cipher
                    .encrypt(&leaf, "service_1:key_9:", &cipher::random_nonce())
                    .unwrap();
            }
        })
    });
    group.bench_function("5 walk (encrypt + MAC)", |b| {
        b.iter_batched(
            || opened.clone(),
            |mut d| walk::encrypt(&mut d, &key, &sel, false, &mut NonceMemory::off()).unwrap(),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("6 emit", |b| b.iter(|| store.emit(&docs, None).unwrap()));
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
