#!/usr/bin/env bash
# The registry's match API and first full sync under load, on loopback.
#
#   bench/registry/run.sh [N...]        default: 1000000 10000000
#
# For each N: generates N random PDQ hashes (bench/out/registry), imports them into a fresh
# SQLite registry with `quell list import`, starts `quell serve` (release build), then
#   - wrk (Debian package `wrk`): single-hash POST /v1/match, every query a near-duplicate of
#     a loaded hash (8 bits flipped), $CONNS connections, $DURATION;
#   - a member's first full sync: GET /v1/hashes pages of $PAGE until has_more is false.
# Prints the figures as markdown; BENCHMARKS.md keeps them.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/bench/out/registry
DURATION=${DURATION:-30s}
CONNS=${CONNS:-8}
THREADS=${THREADS:-1}
PAGE=${PAGE:-50000}
PORT=${PORT:-18080}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
mkdir -p "$OUT"

command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 1; }
cargo build --quiet --release -p quell
QUELL=$CARGO_TARGET_DIR/release/quell

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "command: bench/registry/run.sh $*  (DURATION=$DURATION CONNS=$CONNS THREADS=$THREADS PAGE=$PAGE)"

for n in ${@:-1000000 10000000}; do
  LIST=$OUT/list-$n.txt
  QUERIES=$OUT/queries-$n.txt
  [[ -f $LIST ]] || python3 bench/registry/gen.py "$n" "$LIST" "$QUERIES" 100000
  DATA=$OUT/data-$n
  rm -rf "$DATA"
  t0=$(date +%s.%N)
  "$QUELL" list import "$LIST" --data-dir "$DATA" >/dev/null 2>&1
  t1=$(date +%s.%N)
  KEY=$("$QUELL" member add bench --scopes sync,match --data-dir "$DATA" 2>/dev/null)
  QUELL_LOG=warn "$QUELL" serve --data-dir "$DATA" --listen 127.0.0.1:$PORT >"$OUT/serve-$n.log" 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true' EXIT
  until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.2; done
  t2=$(date +%s.%N)
  RSS=$(ps -o rss= -p $SERVER)

  # One query per request. Warm the key cache and the connection path, then measure.
  BODIES=$OUT/bodies-$n.txt
  sed 's/.*/{"hashes":[{"type":"pdq","value":"&"}]}/' "$QUERIES" >"$BODIES"
  KEY=$KEY BODIES=$BODIES wrk -t1 -c1 -d2s -s bench/registry/bodies.lua "http://127.0.0.1:$PORT" >/dev/null
  KEY=$KEY BODIES=$BODIES wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency \
    -s bench/registry/bodies.lua "http://127.0.0.1:$PORT" >"$OUT/wrk-$n.txt"

  # First full sync.
  s0=$(date +%s.%N)
  cursor=""
  pages=0
  bytes=0
  while :; do
    curl -sf -H "Authorization: Bearer $KEY" \
      "http://127.0.0.1:$PORT/v1/hashes?limit=$PAGE${cursor:+&cursor=$cursor}" -o "$OUT/page.json"
    pages=$((pages + 1))
    bytes=$((bytes + $(stat -c %s "$OUT/page.json")))
    tail=$(tail -c 200 "$OUT/page.json")
    cursor=$(grep -o '"next_cursor":"[^"]*"' <<<"$tail" | cut -d'"' -f4)
    grep -q '"has_more":true' <<<"$tail" || break
  done
  s1=$(date +%s.%N)
  kill $SERVER; wait $SERVER 2>/dev/null || true
  trap - EXIT

  rps=$(sed -n 's/^Requests\/sec: *//p' "$OUT/wrk-$n.txt")
  p50=$(awk '$1=="50%"{print $2}' "$OUT/wrk-$n.txt")
  p99=$(awk '$1=="99%"{print $2}' "$OUT/wrk-$n.txt")
  errors=$(grep -c "status " "$OUT/wrk-$n.txt" || true)
  echo
  echo "### $n hashes"
  echo
  echo "| figure | value |"
  echo "|---|---|"
  printf '| import (`quell list import`) | %.1f s |\n' "$(echo "$t1 - $t0" | bc)"
  printf '| server start (index load) | %.1f s, RSS %d MiB |\n' "$(echo "$t2 - $t1" | bc)" $((RSS / 1024))
  echo "| match, single-hash requests | $rps hashes/s, p50 $p50, p99 $p99 ($CONNS connections, wrk -t$THREADS, $DURATION) |"
  printf '| first full sync | %.2f s, %d pages of %d, %d MiB |\n' "$(echo "$s1 - $s0" | bc)" "$pages" "$PAGE" $((bytes / 1048576))
done
