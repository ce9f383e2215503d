#!/usr/bin/env bash
# One-shot matching, whole processes timed: `quell index build` then `quell match` of the 2,000
# queries against N random hashes, against a Python process that reads the same files, builds
# faiss's IndexBinaryMultiHash as python-threatexchange configures it and searches every query.
# Runs alternate (faiss, quell, faiss, quell, ...) and the medians and their ratio are printed;
# both answers are checked to hold the same pairs.
#
#   bench/index/oneshot.sh [N] [RUNS]      default: 1000000 5
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
N=${1:-1000000}
RUNS=${2:-5}
VENV=$ROOT/bench/.venv-index
OUT=$ROOT/bench/out/index
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
mkdir -p "$OUT"
if [[ ! -x $VENV/bin/python ]]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet faiss-cpu numpy
fi
PY=$VENV/bin/python
cargo build --quiet --release -p quell
QUELL=$CARGO_TARGET_DIR/release/quell
[[ -f $OUT/base-$N.bin ]] || "$PY" bench/index/bench.py gen "$N" "$OUT"
IDX=$OUT/oneshot-$N.qidx

now() { date +%s.%N; }
faiss_s=()
quell_s=()
for ((r = 0; r < RUNS; r++)); do
    t=$(now)
    "$PY" bench/index/bench.py oneshot "$N" "$OUT" >"$OUT/oneshot-faiss-$N.txt"
    faiss_s+=("$(echo "$(now) - $t" | bc)")
    t=$(now)
    "$QUELL" index build "$OUT/base-$N.bin" -o "$IDX"
    "$QUELL" match --index "$IDX" --max-distance 31 "$OUT/queries-$N.bin" >"$OUT/oneshot-quell-$N.txt"
    quell_s+=("$(echo "$(now) - $t" | bc)")
done
if ! cmp -s <(sort "$OUT/oneshot-faiss-$N.txt") <(sort "$OUT/oneshot-quell-$N.txt"); then
    echo "oneshot: faiss and quell found different pairs" >&2
    exit 1
fi
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
f=$(median "${faiss_s[@]}")
q=$(median "${quell_s[@]}")
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "N=$N, 2000 queries, $RUNS runs each, $(wc -l <"$OUT/oneshot-quell-$N.txt") pairs (same in both)"
echo "faiss MultiHash process, median s: $f   (runs: ${faiss_s[*]})"
echo "quell index build + match, median s: $q   (runs: ${quell_s[*]})"
echo "ratio: $(echo "scale=2; $f / $q" | bc)x"
