#!/usr/bin/env bash
# Quell index vs faiss on the same random data, in one run.
#
#   bench/index/run.sh [N...]        default: 1000000 10000000
#
# Creates bench/.venv-index (faiss-cpu, numpy), writes data and results under bench/out/index,
# and prints one markdown table per N. Exact flat scans answer only the first
# $FLAT_QUERIES queries (a flat query reads all N hashes). Set QUELL_SLOTS="16 13" to also
# benchmark other MIH slot counts.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
VENV=$ROOT/bench/.venv-index
OUT=$ROOT/bench/out/index
FLAT_QUERIES=${FLAT_QUERIES:-200}
SLOTS=${QUELL_SLOTS:-16}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
mkdir -p "$OUT"

if [[ ! -x $VENV/bin/python ]]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet faiss-cpu numpy
fi
PY=$VENV/bin/python

cargo build --quiet --release -p quell-index --example bench
BENCH=$CARGO_TARGET_DIR/release/examples/bench

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "command: bench/index/run.sh $*"

for N in "${@:-1000000 10000000}"; do
  for n in $N; do
    [[ -f $OUT/base-$n.bin ]] || "$PY" bench/index/bench.py gen "$n" "$OUT"
    RES=$OUT/results-$n.jsonl
    : >"$RES"
    base=(--base "$OUT/base-$n.bin" --queries "$OUT/queries-$n.bin" --threads 2)
    # Exact ground truth first (all queries, batch only, 2 threads).
    "$BENCH" "${base[@]}" --engine flat --latency-queries "$FLAT_QUERIES" \
        --pairs "$OUT/pairs-quell-flat-$n.tsv" >>"$RES"
    for m in $SLOTS; do
        "$BENCH" "${base[@]}" --engine "mih$m" --pairs "$OUT/pairs-quell-mih$m-$n.tsv" >>"$RES"
    done
    "$PY" bench/index/bench.py faiss mih "$n" "$OUT" >>"$RES"
    "$PY" bench/index/bench.py faiss flat "$n" "$OUT" "$FLAT_QUERIES" "$FLAT_QUERIES" >>"$RES"
    "$PY" bench/index/bench.py report "$n" "$OUT"
  done
done
