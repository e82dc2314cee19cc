#!/usr/bin/env python3
"""Runs a command RUNS times: bench/run.py RUNS CMD... prints the best wall time in seconds
and the largest peak RSS in KiB. Output goes to /dev/null; a failing run stops the benchmark."""
import os
import subprocess
import sys
import time

runs, cmd = int(sys.argv[1]), sys.argv[2:]
best, peak = None, 0
for _ in range(runs):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if status != 0:
        sys.exit(f"{' '.join(cmd)} failed: {err}")
    best = elapsed if best is None else min(best, elapsed)
    peak = max(peak, usage.ru_maxrss)  # KiB on Linux
print(f"{best:.4f} {peak}")
