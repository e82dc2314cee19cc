//! Throughput of `exec-* --mask-output`: a child's output streamed through the masker in
//! pipe-sized reads, with 1,000 secret values (each also searched for in its base64 and
//! URL-encoded forms). Target: at least 500 MB/s.

// The allocator the `secret` binary uses, so timings match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use secret::internals::{Secrets, StreamMasker};
use std::sync::Arc;

/// A small deterministic generator (xorshift), so every run measures the same input.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn token(&mut self, len: usize) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_/+=";
        (0..len)
            .map(|_| CHARS[(self.next() % CHARS.len() as u64) as usize] as char)
            .collect()
    }
}

/// `count` secrets of 12 to 48 bytes.
fn secrets(rng: &mut Rng, count: usize) -> Vec<String> {
    (0..count)
        .map(|_| {
            let len = 12 + (rng.next() % 37) as usize;
            rng.token(len)
        })
        .collect()
}

/// About `size` bytes of log lines, one secret in every 500 lines.
fn log_output(rng: &mut Rng, secrets: &[String], size: usize) -> Vec<u8> {
    let mut out = String::with_capacity(size + 200);
    let mut line = 0u64;
    while out.len() < size {
        line += 1;
        let status = [200, 201, 404, 500][(rng.next() % 4) as usize];
        out.push_str(&format!(
            "2026-12-02T03:40:{:02}Z INFO request id={} path=/api/v1/items/{} status={status} took={}ms\n",
            line % 60,
            rng.next() % 1_000_000,
            line,
            rng.next() % 900
        ));
        if line % 500 == 0 {
            let s = &secrets[(rng.next() % secrets.len() as u64) as usize];
            out.push_str(&format!("DEBUG using token {s} for upstream\n"));
        }
    }
    out.into_bytes()
}

fn masking(c: &mut Criterion) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let values = secrets(&mut rng, 1000);
    let output = log_output(&mut rng, &values, 16 << 20);
    let compiled = Arc::new(Secrets::new(values.iter().map(|v| v.as_bytes())).unwrap());
    let mut group = c.benchmark_group("mask-output (1,000 secrets)");
    group.throughput(Throughput::Bytes(output.len() as u64));
    group.sample_size(10);
    group.bench_function("stream, 64 KiB reads", |b| {
        let mut out = Vec::with_capacity(80 * 1024);
        b.iter(|| {
            let mut masker = StreamMasker::new(compiled.clone());
            let mut total = 0;
            for chunk in output.chunks(64 * 1024) {
                masker.feed(chunk, &mut out);
                total += out.len();
                out.clear();
            }
            masker.finish(&mut out);
            total + out.len()
        })
    });
    group.finish();
    // Paid once per run, before the command starts.
    c.bench_function("mask-output: compile 1,000 secrets' forms", |b| {
        b.iter(|| Secrets::new(values.iter().map(|v| v.as_bytes())).map(|s| s.forms()))
    });
}

criterion_group!(benches, masking);
criterion_main!(benches);
