#!/usr/bin/env python3
"""Runs a command RUNS times: bench/run.py RUNS [--stdin FILE] CMD... prints the best wall time and the best
CPU time (user + system, children included) in seconds, and the largest peak RSS in KiB.
The best of several runs, and CPU time beside wall time, since other work on the machine
only ever adds to them. Input is FILE (rops reads its input from stdin whenever stdin is not
a terminal), else /dev/null; output goes to /dev/null; a failing run stops the benchmark."""
import os
import subprocess
import sys
import time

runs, cmd = int(sys.argv[1]), sys.argv[2:]
stdin_path = os.devnull
if cmd[:1] == ["--stdin"]:
    stdin_path, cmd = cmd[1], cmd[2:]
best, best_cpu, peak = None, None, 0
for _ in range(runs):
    start = time.perf_counter()
    with open(stdin_path, "rb") as stdin:
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if status != 0:
        sys.exit(f"{' '.join(cmd)} failed: {err}")
    cpu = usage.ru_utime + usage.ru_stime
    best = elapsed if best is None else min(best, elapsed)
    best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    peak = max(peak, usage.ru_maxrss)  # KiB on Linux
print(f"{best:.4f} {best_cpu:.4f} {peak}")
