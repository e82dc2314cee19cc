#!/usr/bin/env python3
"""Generates a plaintext secrets file: bench/gen.py FORMAT N
(yaml/json/toml/ini/dotenv: N values, in sections of 50 for the nested formats;
binary: N bytes)."""
import json
import random
import sys

fmt, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
out = []
PER = 50


def value(i):
    """A value of one of the types sops records: int, float-looking text, bool, string."""
    kind = i % 5
    if kind == 0:
        return rng.randint(0, 10**9)
    if kind == 1:
        return f"{rng.random() * 1000:.3f}"
    if kind == 2:
        return rng.random() < 0.5
    return "-".join(rng.choice(words) for _ in range(4)) + str(rng.randint(0, 999))


def sections():
    """(section index, [(key, value)]) for n values in sections of PER."""
    for s in range(max(1, (n + PER - 1) // PER)):
        yield s, [(f"key_{i}", value(i)) for i in range(min(PER, n - s * PER))]


def text(v):
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


if fmt == "yaml":
    for s, pairs in sections():
        out.append(f"# service {s}")
        out.append(f"service_{s}:")
        out.extend(f"    {k}: {text(v)}" for k, v in pairs)
elif fmt == "json":
    # Written piece by piece so that a 100 MB file does not need a 100 MB dict first.
    body = ",\n".join(
        f'"service_{s}": ' + json.dumps(dict(pairs), indent=4) for s, pairs in sections()
    )
    out.append("{\n" + body + "\n}")
elif fmt in ("toml", "ini"):
    # TOML quotes strings; INI takes every value as text.
    mark, show = ("#", json.dumps) if fmt == "toml" else (";", text)
    for s, pairs in sections():
        out.append(f"{mark} service {s}")
        out.append(f"[service_{s}]")
        out.extend(f"{k} = {show(v)}" for k, v in pairs)
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
