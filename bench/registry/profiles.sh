#!/usr/bin/env bash
# What matching an upload under pdq-robust-v5 costs a member through the registry's HTTP API,
# against plain PDQ, on loopback:
#
#   bench/registry/profiles.sh [K...]        default: 10000 100000 (registered photographs)
#
# Uploads are the photographs of the robustness corpus (CORPUS, default /tmp/robust-corpus,
# from bench/robust/corpus.sh: originals/ and holdout/). Each upload is one POST /v1/match
# request holding the queries a member sends for it (`match_requests` example):
#   - pdq-plain-v1: the upload's 8 dihedral PDQ hashes at the default distance, against a
#     registry of K plain hashes (`quell list import`, one per photograph);
#   - pdq-robust-v5: every upload hash with its profile and upload kind, searched by v5's plan,
#     against K photographs' worth of random filed hashes (bench/registry/filed_cases.py).
# Registered hashes are random, so uploads match nothing, like almost every real upload.
# Per K and profile: wrk (Debian package `wrk`) with $CONNS connections for $DURATION, and the
# server's start time and RSS once the registered hashes are loaded. Prints markdown.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/bench/out/registry-profiles
CORPUS=${CORPUS:-/tmp/robust-corpus}
DURATION=${DURATION:-20s}
CONNS=${CONNS:-4}
PORT=${PORT:-18081}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
mkdir -p "$OUT"

command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 1; }
[[ -d $CORPUS/originals ]] || { echo "no corpus: bash bench/robust/corpus.sh $CORPUS" >&2; exit 1; }
cargo build --quiet --release -p quell
cargo build --quiet --release -p quell-lab --example match_requests
QUELL=$CARGO_TARGET_DIR/release/quell
for profile in pdq-plain-v1 pdq-robust-v5; do
  "$CARGO_TARGET_DIR/release/examples/match_requests" "$profile" \
    "$CORPUS/originals" "$CORPUS/holdout" >"$OUT/bodies-$profile.jsonl"
done

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "command: bench/registry/profiles.sh $*  (DURATION=$DURATION CONNS=$CONNS)"
echo
echo "| K photographs | profile | registered hashes | queries per upload | uploads/s | p50 | p99 | server start | RSS |"
echo "|---|---|---|---|---|---|---|---|---|"

SERVER=
trap '[[ -n $SERVER ]] && kill $SERVER 2>/dev/null || true' EXIT
serve() { # DATA LOG [flags]: starts quell serve, waits for it, sets SERVER
  local data=$1 log=$2
  shift 2
  QUELL_LOG=warn "$QUELL" serve --data-dir "$data" --listen 127.0.0.1:$PORT "$@" >"$log" 2>&1 &
  SERVER=$!
  until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.2; done
}
stop() {
  kill $SERVER
  wait $SERVER 2>/dev/null || true
  SERVER=
}

for k in ${@:-10000 100000}; do
  for profile in pdq-plain-v1 pdq-robust-v5; do
    DATA=$OUT/data-$profile-$k
    rm -rf "$DATA"
    if [[ $profile == pdq-plain-v1 ]]; then
      python3 bench/registry/gen.py "$k" "$OUT/list-$k.txt" /dev/null 1
      "$QUELL" list import "$OUT/list-$k.txt" --data-dir "$DATA" >/dev/null 2>&1
      registered=$k
    else
      serve "$DATA" "$OUT/load-$k.log" --case-open-limit off
      registered=$(python3 bench/registry/filed_cases.py "http://127.0.0.1:$PORT" "$k" "$profile" | sed 's/.*total=//')
      stop
    fi
    KEY=$("$QUELL" member add bench --scopes match --data-dir "$DATA" 2>/dev/null)
    t0=$(date +%s.%N)
    serve "$DATA" "$OUT/serve-$profile-$k.log"
    t1=$(date +%s.%N)
    rss=$(ps -o rss= -p $SERVER)
    BODIES=$OUT/bodies-$profile.jsonl
    KEY=$KEY BODIES=$BODIES wrk -t1 -c1 -d2s -s bench/registry/bodies.lua "http://127.0.0.1:$PORT" >/dev/null
    KEY=$KEY BODIES=$BODIES wrk -t1 -c"$CONNS" -d"$DURATION" --latency \
      -s bench/registry/bodies.lua "http://127.0.0.1:$PORT" >"$OUT/wrk-$profile-$k.txt"
    stop
    if grep -q "status " "$OUT/wrk-$profile-$k.txt"; then
      echo "non-200 answers: $OUT/wrk-$profile-$k.txt" >&2
      exit 1
    fi
    per=$(python3 -c 'import json,sys; b=[len(json.loads(l)["hashes"]) for l in open(sys.argv[1])]; print(f"{sum(b)/len(b):.1f}")' "$BODIES")
    rps=$(sed -n 's/^Requests\/sec: *//p' "$OUT/wrk-$profile-$k.txt")
    p50=$(awk '$1=="50%"{print $2}' "$OUT/wrk-$profile-$k.txt")
    p99=$(awk '$1=="99%"{print $2}' "$OUT/wrk-$profile-$k.txt")
    printf '| %d | `%s` | %d | %s | %s | %s | %s | %.1f s | %d MiB |\n' "$k" "$profile" "$registered" \
      "$per" "$rps" "$p50" "$p99" "$(echo "$t1 - $t0" | bc)" $((rss / 1024))
  done
done
