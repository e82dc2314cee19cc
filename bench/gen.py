#!/usr/bin/env python3
"""Generates a plaintext secrets file: bench/gen.py FORMAT N (yaml/dotenv: N values; binary: N bytes)."""
import random
import sys

fmt, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
out = []
if fmt == "yaml":
    per = 50
    for s in range(max(1, n // per)):
        out.append(f"# service {s}")
        out.append(f"service_{s}:")
        for i in range(min(per, n - s * per)):
            kind = i % 5
            if kind == 0:
                v = rng.randint(0, 10**9)
            elif kind == 1:
                v = f"{rng.random() * 1000:.3f}"
            elif kind == 2:
                v = "true" if rng.random() < 0.5 else "false"
            else:
                v = "-".join(rng.choice(words) for _ in range(4)) + str(rng.randint(0, 999))
            out.append(f"    key_{i}: {v}")
elif fmt == "dotenv":
    for i in range(n):
        if i % 100 == 0:
            out.append(f"# block {i // 100}")
        out.append(f"KEY_{i}=" + "-".join(rng.choice(words) for _ in range(3)) + str(i))
elif fmt == "binary":
    sys.stdout.buffer.write(rng.randbytes(n))
    raise SystemExit(0)
else:
    raise SystemExit(f"unknown format {fmt}")
print("\n".join(out))
