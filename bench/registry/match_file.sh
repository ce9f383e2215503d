#!/usr/bin/env bash
# POST /v1/match/file on a member's matcher: per-upload CPU and latency when the list holds the
# default profile's filed hashes (the upload is hashed by the profile and its searches run)
# against the same uploads on a list of plain hashes only, in the same run.
#
#   bench/registry/match_file.sh [PHOTOS]        default: 10000
#
# Two registries (SQLite, release build): both hold PHOTOS random plain PDQ hashes; the robust
# one also holds PHOTOS photographs' worth of pdq-robust-v6 filed hashes (filed_cases.py, about
# 115 a photo). A matcher syncs each. The uploads are the shared vectors' photographs
# (../shared/vectors/pdq/images), each sent ROUNDS times, one request at a time, to each
# matcher; a matcher's CPU is read from /proc before and after. Prints markdown.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/bench/out/match-file
PHOTOS=${1:-10000}
ROUNDS=${ROUNDS:-3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
rm -rf "$OUT"
mkdir -p "$OUT"

cargo build --quiet --release -p quell
QUELL=$CARGO_TARGET_DIR/release/quell
# Servers are started in subshells: their pids are kept in a file for the exit trap.
trap 'kill $(cat "$OUT/pids" 2>/dev/null) 2>/dev/null || true' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { until curl -sf "$1" >/dev/null; do sleep 0.2; done; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "command: bench/registry/match_file.sh $PHOTOS  (ROUNDS=$ROUNDS)"

python3 - "$PHOTOS" "$OUT/plain.txt" <<'EOF'
import random, sys
rng = random.Random(20261207)
with open(sys.argv[2], "w") as out:
    for _ in range(int(sys.argv[1])):
        out.write(f"pdq {rng.getrandbits(256):064x}\n")
EOF

# start NAME FILED: a registry with the plain list (and the filed hashes if FILED=1) and a
# matcher synced from it; prints the matcher's address and pid.
start() {
  local name=$1 filed=$2 data=$OUT/$1
  "$QUELL" list import "$OUT/plain.txt" --data-dir "$data/registry" >/dev/null 2>&1
  local key rport mport
  key=$("$QUELL" member add bench --scopes sync,match --data-dir "$data/registry" 2>/dev/null)
  rport=$(free_port)
  QUELL_LOG=warn "$QUELL" serve --data-dir "$data/registry" --listen "127.0.0.1:$rport" \
    --case-open-limit off >"$data.registry.log" 2>&1 &
  echo $! >>"$OUT/pids"
  wait_for "http://127.0.0.1:$rport/healthz"
  if [[ $filed == 1 ]]; then
    python3 bench/registry/filed_cases.py "http://127.0.0.1:$rport" "$PHOTOS" >&2
  fi
  printf '%s' "$key" >"$data.key"
  mport=$(free_port)
  QUELL_LOG=warn QUELL_MATCHER_KEY=local-bench-key "$QUELL" serve --matcher \
    --registry "http://127.0.0.1:$rport" --api-key-file "$data.key" --data "$data/matcher" \
    --listen "127.0.0.1:$mport" >"$data.matcher.log" 2>&1 &
  local pid=$!
  echo $pid >>"$OUT/pids"
  until curl -sf "http://127.0.0.1:$mport/readyz" >/dev/null; do sleep 0.5; done
  echo "127.0.0.1:$mport $pid"
}

read -r PLAIN_ADDR PLAIN_PID < <(start plain 0)
read -r ROBUST_ADDR ROBUST_PID < <(start robust 1)

python3 - "$PLAIN_ADDR" "$PLAIN_PID" "$ROBUST_ADDR" "$ROBUST_PID" "$ROUNDS" \
  "$ROOT/../shared/vectors/pdq/images" <<'EOF'
import json, os, pathlib, statistics, sys, time, urllib.request

plain_addr, plain_pid, robust_addr, robust_pid, rounds, images = sys.argv[1:7]
files = sorted(p for p in pathlib.Path(images).rglob("*")
               if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
bodies = [p.read_bytes() for p in files]
tick = os.sysconf("SC_CLK_TCK")

def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick

def run(addr, pid):
    times, hits, refused = [], 0, 0
    before = cpu(pid)
    for _ in range(int(rounds)):
        for body in bodies:
            req = urllib.request.Request(
                f"http://{addr}/v1/match/file", data=body, method="POST",
                headers={"Authorization": "Bearer local-bench-key",
                         "Content-Type": "application/octet-stream"})
            t = time.perf_counter()
            with urllib.request.urlopen(req) as r:
                answer = json.load(r)
            times.append(time.perf_counter() - t)
            hits += len(answer["matches"])
            refused += answer["media"] == "other"
    used = cpu(pid) - before
    times.sort()
    return {"uploads": len(times), "cpu_ms": 1000 * used / len(times),
            "p50_ms": 1000 * statistics.median(times),
            "p99_ms": 1000 * times[int(0.99 * (len(times) - 1))], "hits": hits,
            "other": refused}

def entries(addr):
    with urllib.request.urlopen(f"http://{addr}/healthz") as r:
        return json.load(r)["indexed_entries"]

run(plain_addr, plain_pid)  # warm both: page cache, first-touch allocations
run(robust_addr, robust_pid)
plain = run(plain_addr, plain_pid)
robust = run(robust_addr, robust_pid)
print(f"uploads: {len(bodies)} photographs (shared vectors) x {rounds} rounds, one at a time")
print("| list | entries | CPU per upload | p50 | p99 | hits |")
print("|---|---|---|---|---|---|")
for name, addr, r in (("plain PDQ only", plain_addr, plain),
                      ("+ pdq-robust-v6 filed", robust_addr, robust)):
    print(f"| {name} | {entries(addr):,} | {r['cpu_ms']:.1f} ms | {r['p50_ms']:.1f} ms "
          f"| {r['p99_ms']:.1f} ms | {r['hits']} |")
print(f"robust / plain CPU per upload: {robust['cpu_ms'] / plain['cpu_ms']:.2f}x")
EOF
