#!/usr/bin/env bash
# Per-upload index cost of pdq-robust-v3's matching against pdq-plain-v1, on random hashes:
#
#   bench/robust/match_cost.sh [K...]      K = registered images; default: 100000 1000000
#   bench/robust/match_cost.sh --table RESULTS.jsonl    reprint the tables of an earlier run
#
# For each K it builds, with the index's default config (MihConfig::default(), the engine the
# server and CLI use), an index of K hashes (plain: 1 hash an image) and one of
# round(36.5·K) hashes (v3: 36.5 registered hashes an image on the project corpus), and
# measures single-threaded per-query latency (crates/index/examples/bench.rs, latency mode,
# 2000 queries: 1000 planted within 0..31 bits of a registered hash, 1000 random):
#
#   plain   K hashes,      distance 31, 8 queries an upload (its dihedral hashes)
#   v3-48   36.5·K hashes, distance 48 (Profile::search_distance), Q queries an upload
#   v3-40   36.5·K hashes, distance 40 (the first stage alone), same Q
#
# Q, from Profile::upload_hashes: 12 when neither trim changes the upload (8 dihedral + 4
# sub-regions), 20 with one trimmed group, 28 with two. Each configuration runs $RUNS times;
# the table shows every run and the per-upload ratio (Q × median v3 / 8 × median plain) of
# each run pair. Random data does not model that one image's registered hashes are clustered.
#
# Environment: VENV (default bench/.venv-cost, numpy only), DATA (default bench/out/cost),
# RUNS (2), PER_IMAGE (36.5), EXTRA=1 also runs v3-48 once with other slot counts
# (EXTRA_SLOTS, default "13 16 20 24") and a flat scan, on the first EXTRA_QUERIES (200)
# queries only (20- and 24-slot tables fall back to a scan at 48: seconds per 10 queries at
# 36.5M hashes), CARGO_TARGET_DIR (default target).
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
VENV=${VENV:-$ROOT/bench/.venv-cost}
DATA=${DATA:-$ROOT/bench/out/cost}
RUNS=${RUNS:-2}
PER_IMAGE=${PER_IMAGE:-36.5}
EXTRA=${EXTRA:-0}
EXTRA_SLOTS=${EXTRA_SLOTS:-13 16 20 24}
EXTRA_QUERIES=${EXTRA_QUERIES:-200}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
mkdir -p "$DATA"

if [[ ! -x $VENV/bin/python ]]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet numpy
fi
PY=$VENV/bin/python

if [[ ${1:-} == --table ]]; then
    RES=$2
    set --
else
cargo build --quiet --release -p quell-index --example bench
BENCH=$CARGO_TARGET_DIR/release/examples/bench

RES=$DATA/match-cost-$(date -u +%Y%m%dT%H%M%SZ).jsonl
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB"
echo "command: bench/robust/match_cost.sh $*  (RUNS=$RUNS PER_IMAGE=$PER_IMAGE EXTRA=$EXTRA)"
echo "results: $RES"

gen() {
    [[ -f $DATA/base-$1.bin ]] || "$PY" bench/index/bench.py gen "$1" "$DATA"
}

# run LABEL K N DISTANCE ENGINE RUN [LATENCY_QUERIES]: one bench run, one JSON line in $RES.
run() {
    local label=$1 k=$2 n=$3 d=$4 engine=$5 r=$6 lq=${7:-2000}
    local load out stats
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    out=$("$BENCH" --base "$DATA/base-$n.bin" --queries "$DATA/queries-$n.bin" \
        --engine "$engine" --threads 1 --max-distance "$d" --latency-queries "$lq" \
        --batch-queries 100 --stats 2>"$DATA/stats.tmp")
    stats=$(tail -1 "$DATA/stats.tmp")
    [[ $stats == \{* ]] || stats='{}'
    "$PY" -c 'import json,sys; r=json.loads(sys.argv[1]); r.update(json.loads(sys.argv[2])); r.update(label=sys.argv[3], k=int(sys.argv[4]), run=int(sys.argv[5]), load_before=sys.argv[6], distance=int(sys.argv[7])); print(json.dumps(r))' \
        "$out" "$stats" "$label" "$k" "$r" "$load" "$d" | tee -a "$RES" >&2
}

for k in "${@:-100000 1000000}"; do
    nv3=$("$PY" -c "print(round($PER_IMAGE * $k))")
    gen "$k"
    gen "$nv3"
    # Interleave the configurations so that a burst of load on a shared machine hits one run
    # of each rather than both runs of one.
    for r in $(seq "$RUNS"); do
        run plain "$k" "$k" 31 mih "$r"
        run v3-48 "$k" "$nv3" 48 mih "$r"
        run v3-40 "$k" "$nv3" 40 mih "$r"
    done
    if [[ $EXTRA == 1 ]]; then
        for m in $EXTRA_SLOTS; do run "v3-48 mih$m" "$k" "$nv3" 48 "mih$m" 1 "$EXTRA_QUERIES"; done
        run "v3-48 flat" "$k" "$nv3" 48 flat 1 "$EXTRA_QUERIES"
    fi
done
fi

"$PY" - "$RES" "$PER_IMAGE" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
per_image = float(sys.argv[2])
QS = {"plain": [8], "v3": [12, 20, 28]}
for k in sorted({r["k"] for r in rows}):
    rs = [r for r in rows if r["k"] == k]
    print(f"\n### K = {k:,} registered images (v3: {per_image}·K = {round(per_image * k):,} hashes)\n")
    print("| config | hashes | distance | engine (default config) | run | load 1/5/15 | median ms/query | p99 ms/query | median candidates/query | index heap B/hash | B/registered image | ms/upload (Q=8 plain; 12 / 20 / 28 v3) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rs:
        hp = r["heap_bytes"] / r["n"]
        per_img = r["heap_bytes"] / k
        qs = QS["plain"] if r["label"] == "plain" else QS["v3"]
        up = " / ".join(f"{q * r['latency_median_ms']:.2f}" for q in qs)
        eng = r["engine"].replace("quell-", "")
        if "slots" in r:
            eng += f" → {r['slots']} slots, {r['scan_queries']} scans"
        print(f"| {r['label']} | {r['n']:,} | {r['distance']} | {eng} | {r['run']} | {r['load_before']} | "
              f"{r['latency_median_ms']:.4f} (n={r['latency_queries']}) | {r['latency_p99_ms']:.4f} | {r.get('candidates_median', '-')} | "
              f"{hp:.1f} | {per_img:.0f} | {up} |")
    plain = {r["run"]: r for r in rs if r["label"] == "plain"}
    print(f"\nPer-upload ratio v3 / plain at K = {k:,} (same run number; Q·median / 8·median):\n")
    print("| v3 config | run | v3 ms/query ÷ plain ms/query | Q=12 (no trim) | Q=20 (one trim) | Q=28 (two trims) | memory per image v3 / plain |")
    print("|---|---|---|---|---|---|---|")
    for r in rs:
        if r["label"] not in ("v3-48", "v3-40") or r["run"] not in plain:
            continue
        p = plain[r["run"]]
        per_q = r["latency_median_ms"] / p["latency_median_ms"]
        ratios = " | ".join(f"{q * r['latency_median_ms'] / (8 * p['latency_median_ms']):.0f}x" for q in QS["v3"])
        mem = (r["heap_bytes"] / k) / (p["heap_bytes"] / k)
        print(f"| {r['label']} | {r['run']} | {per_q:.1f}x | {ratios} | {mem:.1f}x |")
EOF
