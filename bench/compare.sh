#!/usr/bin/env bash
# Times `secret` against the real sops on the same generated files and prints the ratios
# and peak memory. Usage: bench/compare.sh [VALUES]   (default 50000)
# Needs ./.venv/bin/sops (scripts/test.sh installs it) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50000}
SOPS=${SOPS_BIN:-$PWD/.venv/bin/sops}
export SOPS_DISABLE_VERSION_CHECK=1
cargo build --release -q
SECRET=$PWD/target/release/secret
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
KEY=tests/vectors/keys/age1.txt
RCPT=age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman
export SOPS_AGE_KEY_FILE=$KEY

python3 bench/gen.py yaml "$N" > "$WORK/big.yaml"
python3 bench/gen.py yaml 20 > "$WORK/small.yaml"
python3 bench/gen.py dotenv "$N" > "$WORK/big.env"
python3 bench/gen.py binary 2097152 > "$WORK/blob.bin"

# measure CMD...: best wall time of 5 runs (seconds) and peak RSS (KiB)
measure() { python3 bench/run.py 5 "$@"; }

row() { # name secret-cmd... -- sops-cmd...
  local name=$1; shift
  local a=() b=()
  while [ "$1" != "--" ]; do a+=("$1"); shift; done; shift
  b=("$@")
  local mine theirs
  mine=$(measure "${a[@]}")
  theirs=$(measure "${b[@]}")
  read -r ts ms <<< "$mine"
  read -r tp mp <<< "$theirs"
  awk -v n="$name" -v ts="$ts" -v tp="$tp" -v ms="$ms" -v mp="$mp" 'BEGIN{
    r = (ts > 0) ? tp/ts : 0; printf "%-30s secret %8.4fs %8d KiB | sops %7.3fs %8d KiB | %6.1fx faster, %4.1f%% memory\n", n, ts, ms, tp, mp, (ts>0? tp/ts : 0), 100*ms/mp }'
}

"$SOPS" encrypt --age "$RCPT" "$WORK/big.yaml" > "$WORK/big.enc.yaml"
"$SOPS" encrypt --age "$RCPT" "$WORK/small.yaml" > "$WORK/small.enc.yaml"
"$SOPS" encrypt --age "$RCPT" "$WORK/big.env" > "$WORK/big.enc.env"
"$SOPS" encrypt --age "$RCPT" "$WORK/blob.bin" > "$WORK/blob.enc.bin"
echo "values: $N"
row "encrypt yaml ($N values)" "$SECRET" encrypt --age "$RCPT" "$WORK/big.yaml" -- "$SOPS" encrypt --age "$RCPT" "$WORK/big.yaml"
row "decrypt yaml ($N values)" "$SECRET" decrypt "$WORK/big.enc.yaml" -- "$SOPS" decrypt "$WORK/big.enc.yaml"
row "decrypt yaml (20 values)" "$SECRET" decrypt "$WORK/small.enc.yaml" -- "$SOPS" decrypt "$WORK/small.enc.yaml"
row "decrypt dotenv ($N values)" "$SECRET" decrypt "$WORK/big.enc.env" -- "$SOPS" decrypt "$WORK/big.enc.env"
row "encrypt binary (2 MiB)" "$SECRET" encrypt --age "$RCPT" "$WORK/blob.bin" -- "$SOPS" encrypt --age "$RCPT" "$WORK/blob.bin"
row "decrypt binary (2 MiB)" "$SECRET" decrypt "$WORK/blob.enc.bin" -- "$SOPS" decrypt "$WORK/blob.enc.bin"
echo "raw AES-256-GCM speed for the binary target: cargo bench --bench core -- binary"
