//! In-process benchmarks of the hot paths: the raw cipher, and load → decrypt → emit for
//! large files, so store and walk overheads can be compared with raw AES-GCM speed.

// The allocator the `secret` binary uses, so timings match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use secret::internals::cipher::{self, DataKey, Leaf};
use secret::internals::walk::{self, NonceMemory};
use secret::internals::{FormatStore, Item, Map, Node, Scalar, Selector, Store, StoreOptions};
use secret::Format;

fn yaml_doc(values: usize) -> String {
    let mut s = String::new();
    for svc in 0..values / 50 {
        s.push_str(&format!("# service {svc}\nservice_{svc}:\n"));
        for i in 0..50 {
            match i % 4 {
                0 => s.push_str(&format!("    key_{i}: {}\n", svc * 1000 + i)),
                1 => s.push_str(&format!("    key_{i}: {}.5\n", i)),
                2 => s.push_str(&format!("    key_{i}: true\n")),
                _ => s.push_str(&format!("    key_{i}: alpha-bravo-charlie-{i}\n")),
            }
        }
    }
    s
}

fn dotenv_doc(values: usize) -> String {
    (0..values)
        .map(|i| format!("KEY_{i}=alpha-bravo-charlie-{i}\n"))
        .collect()
}

/// Load, encrypt (no master keys involved), emit with `metadata`: what `secret encrypt` does
/// in memory.
fn seal(store: &dyn Store, plain: &[u8], key: &DataKey, metadata: Option<&Map>) -> Vec<u8> {
    let mut docs = store.load(plain).unwrap().docs;
    let sel = Selector::default();
    walk::encrypt(&mut docs, key, &sel, false, &mut NonceMemory::default()).unwrap();
    store.emit(&docs, metadata).unwrap()
}

/// Load, decrypt, emit the plaintext: what `secret decrypt` does in memory.
fn open(store: &dyn Store, sealed: &[u8], key: &DataKey) -> Vec<u8> {
    let mut docs = store.load(sealed).unwrap().docs;
    let sel = Selector::default();
    walk::decrypt(&mut docs, key, &sel, false, &mut NonceMemory::off()).unwrap();
    store.emit(&docs, None).unwrap()
}

fn decrypt_bench(c: &mut Criterion, name: &str, format: Format, plain: &[u8]) {
    let key = DataKey::generate();
    let store = format.store(&StoreOptions::default());
    let enc = seal(&*store, plain, &key, None);
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.throughput(Throughput::Bytes(enc.len() as u64));
    group.bench_function("load+decrypt+emit", |b| {
        b.iter(|| open(&*store, &enc, &key))
    });
    group.finish();
}

fn binary(c: &mut Criterion) {
    let data: Vec<u8> = (0..2 * 1024 * 1024u32)
        .map(|i| (i * 2_654_435_761) as u8)
        .collect();
    let key = DataKey::generate();
    let mut group = c.benchmark_group("binary 2 MiB");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("raw AES-256-GCM", |b| {
        let aead = secret::internals::gcm::Aes256Gcm::new(key.as_bytes());
        let nonce = cipher::random_nonce();
        let mut buffer = data.clone();
        b.iter(|| aead.seal_in_place(&nonce, b"data:", &mut buffer).unwrap())
    });
    let leaf = Leaf::Scalar(Scalar::Bytes(data.clone().into()));
    group.bench_function("cipher::encrypt (AES-GCM + base64)", |b| {
        b.iter(|| cipher::encrypt(&key, &leaf, "data:", &cipher::random_nonce()).unwrap())
    });
    let store = Format::Binary.store(&StoreOptions::default());
    let meta: Map = vec![Item::Pair("version".into(), Node::str("3.11.0"))];
    group.bench_function("binary store encrypt", |b| {
        b.iter(|| seal(&*store, &data, &key, Some(&meta)))
    });
    group.bench_function("SHA-512 (the MAC's floor)", |b| {
        use sha2::Digest;
        b.iter(|| sha2::Sha512::digest(&data))
    });
    let enc = seal(&*store, &data, &key, Some(&meta));
    group.bench_function("binary store decrypt", |b| {
        b.iter(|| open(&*store, &enc, &key))
    });
    group.finish();
}

/// One short value, as most config values are: per-value overhead rather than throughput.
fn small_value(c: &mut Criterion) {
    let key = DataKey::generate();
    let cipher = cipher::ValueCipher::new(&key);
    let leaf = Leaf::Scalar(Scalar::Str("alpha-bravo-charlie-12345".into()));
    let text = cipher
        .encrypt(&leaf, "KEY_12345:", &cipher::random_nonce())
        .unwrap();
    let mut group = c.benchmark_group("one short value");
    group.bench_function("encrypt", |b| {
        b.iter(|| cipher.encrypt(&leaf, "KEY_12345:", &cipher::random_nonce()))
    });
    group.bench_function("decrypt", |b| {
        b.iter(|| cipher.decrypt(&text, "KEY_12345:").unwrap())
    });
    // The AES-GCM step alone: the cipher's (AES-NI and PCLMULQDQ for short values where the
    // processor has them), aws-lc's, and the RustCrypto crate's (its generic GHASH cost most
    // of a short value's time).
    let nonce = cipher::random_nonce();
    let plain = *b"alpha-bravo-charlie-12345";
    let aead = secret::internals::gcm::Aes256Gcm::new(key.as_bytes());
    let mut sealed = plain;
    let tag = aead
        .seal_in_place(&nonce, b"KEY_12345:", &mut sealed)
        .unwrap();
    let aws_lc = secret::internals::gcm::Aes256Gcm::aws_lc_only(key.as_bytes());
    for (name, aead) in [
        ("AES-256-GCM open", &aead),
        ("AES-256-GCM open, aws-lc", &aws_lc),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut buffer = sealed;
                aead.open_in_place(&nonce, b"KEY_12345:", &mut buffer, &tag)
                    .unwrap();
                buffer
            })
        });
    }
    group.bench_function("AES-256-GCM open, RustCrypto aes-gcm", |b| {
        use aes_gcm::aead::consts::U32;
        use aes_gcm::aead::{AeadInPlace, KeyInit};
        let aead = aes_gcm::AesGcm::<aes_gcm::aes::Aes256, U32>::new(key.as_bytes().into());
        b.iter(|| {
            let mut buffer = sealed;
            aead.decrypt_in_place_detached(&nonce.into(), b"KEY_12345:", &mut buffer, &tag.into())
                .unwrap();
            buffer
        })
    });
    group.finish();
}

fn files(c: &mut Criterion) {
    decrypt_bench(
        c,
        "yaml 50k values",
        Format::Yaml,
        yaml_doc(50_000).as_bytes(),
    );
    decrypt_bench(c, "json 50k values", Format::Json, {
        // Reuse the YAML generator through the YAML store to get the same tree as JSON.
        let store = Format::Yaml.store(&StoreOptions::default());
        let docs = store.load(yaml_doc(50_000).as_bytes()).unwrap().docs;
        &Format::Json
            .store(&StoreOptions::default())
            .emit(&docs, None)
            .unwrap()
    });
    decrypt_bench(
        c,
        "dotenv 50k values",
        Format::Dotenv,
        dotenv_doc(50_000).as_bytes(),
    );
}

/// Opening values of growing length on both AES-GCM paths: where short values leave the
/// AES-NI path for aws-lc (`SHORT_MAX` in `crypt/gcm.rs`).
fn value_lengths(c: &mut Criterion) {
    use secret::internals::gcm::Aes256Gcm;
    let key = DataKey::generate();
    let nonce = cipher::random_nonce();
    let paths = [
        ("short path", Aes256Gcm::new(key.as_bytes())),
        ("aws-lc", Aes256Gcm::aws_lc_only(key.as_bytes())),
    ];
    let mut group = c.benchmark_group("AES-256-GCM open by length");
    for len in [64usize, 256, 512, 1024] {
        let mut sealed = vec![7u8; len];
        let tag = paths[1]
            .1
            .seal_in_place(&nonce, b"a:", &mut sealed)
            .unwrap();
        group.throughput(Throughput::Bytes(len as u64));
        for (name, aead) in &paths {
            group.bench_function(format!("{len} bytes, {name}"), |b| {
                b.iter(|| {
                    let mut buffer = sealed.clone();
                    aead.open_in_place(&nonce, b"a:", &mut buffer, &tag)
                        .unwrap();
                    buffer
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, binary, small_value, value_lengths, files);
criterion_main!(benches);
