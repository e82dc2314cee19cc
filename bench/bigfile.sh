#!/usr/bin/env bash
# Memory and time on big input: for each store, encrypts and decrypts generated files of
# about 25 MB and 100 MB with the release build and prints input size, wall and CPU time and
# peak RSS as a multiple of the input size (the target is <= 4x, and time linear in size).
# Usage: bench/bigfile.sh [SIZES_MB...]   (default: 25 100)
# Env: FORMATS="yaml json toml ini dotenv binary"; SECRET_BIN to time another build.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("${@:-25 100}")
read -r -a SIZES <<< "${SIZES[*]}"
FORMATS=${FORMATS:-yaml json toml ini dotenv binary}
if [ -z "${SECRET_BIN:-}" ]; then
  cargo build --release -q
  SECRET_BIN=$PWD/target/release/secret
fi
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
export SOPS_AGE_KEY_FILE=tests/vectors/keys/age1.txt
RCPT=age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman

# gen FORMAT MB FILE: a generated file of about MB megabytes (values scaled from a sample).
gen() {
  local fmt=$1 mb=$2 file=$3 n
  if [ "$fmt" = binary ]; then
    n=$((mb * 1000000))
  else
    local per
    per=$(python3 bench/gen.py "$fmt" 10000 | wc -c)
    n=$((mb * 1000000 * 10000 / per))
  fi
  python3 bench/gen.py "$fmt" "$n" > "$file"
}

# row OP FILE SIZE CMD...: one line with wall and CPU time (best of 1 run) and peak RSS.
row() {
  local op=$1 file=$2 size=$3; shift 3
  read -r secs cpu kib <<< "$(python3 bench/run.py 1 "$@")"
  awk -v op="$op" -v f="$(basename "$file")" -v size="$size" -v s="$secs" -v c="$cpu" -v k="$kib" 'BEGIN{
    printf "%-8s %-14s %8.1f MB %7.2f s %7.2f s CPU %9.1f MB RSS %6.2fx input\n", op, f, size/1e6, s, c, k*1024/1e6, k*1024/size }'
}

echo "secret: $SECRET_BIN"
python3 bench/gen.py yaml 20 > "$WORK/tiny.yaml"
row encrypt "$WORK/tiny.yaml" "$(stat -c %s "$WORK/tiny.yaml")" "$SECRET_BIN" encrypt --age "$RCPT" "$WORK/tiny.yaml"
echo "(the row above is the fixed cost: a 20-value file)"
for fmt in $FORMATS; do
  ext=$fmt; [ "$fmt" = dotenv ] && ext=env; [ "$fmt" = binary ] && ext=bin
  for mb in "${SIZES[@]}"; do
    plain=$WORK/big$mb.$ext enc=$WORK/big$mb.enc.$ext
    gen "$fmt" "$mb" "$plain"
    row encrypt "$plain" "$(stat -c %s "$plain")" "$SECRET_BIN" encrypt --age "$RCPT" "$plain"
    "$SECRET_BIN" encrypt --age "$RCPT" "$plain" > "$enc"
    row decrypt "$enc" "$(stat -c %s "$enc")" "$SECRET_BIN" decrypt "$enc"
    rm -f "$plain" "$enc"
  done
done
