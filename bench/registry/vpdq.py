#!/usr/bin/env python3
"""vPDQ match latency at the registry: one video query against every registered video.

    python3 bench/registry/vpdq.py QUELL_BINARY VIDEOS FRAMES [QUERIES]

Registers VIDEOS random videos of FRAMES frames each (one `quell list import` case, pytx's
`vpdq` signal lines), starts `quell serve` on a fresh SQLite directory, then sends QUERIES
(default 20) single-video `POST /v1/match` requests one after another, each a registered video
with 8 random bits flipped in every frame (so each query has exactly one matching video), and
prints the server's start time and the latency distribution. Random frames, not real video:
the index search cost depends on the number of frames and the distance, not on content.
"""

import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def frame(rng):
    return rng.getrandbits(256)


def hexs(h):
    return f"{h:064x}"


def flip(h, rng, bits=8):
    for b in rng.sample(range(256), bits):
        h ^= 1 << b
    return h


def main():
    quell, videos, frames = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    queries = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    rng = random.Random(7)
    work = tempfile.mkdtemp(prefix="quell-vpdq-bench-")
    listing = f"{work}/list.txt"
    kept = []
    with open(listing, "w") as out:
        for v in range(videos):
            hashes = [frame(rng) for _ in range(frames)]
            if v < queries:
                kept.append(hashes)
            items = [f"{hexs(h)},100,{i}.000" for i, h in enumerate(hashes)]
            out.write("vpdq " + json.dumps(items, separators=(",", ":")) + "\n")
    data = f"{work}/data"
    t0 = time.time()
    subprocess.run([quell, "list", "import", listing, "--data-dir", data], check=True,
                   capture_output=True)
    t1 = time.time()
    key = subprocess.run([quell, "member", "add", "bench", "--scopes", "match", "--data-dir", data],
                         check=True, capture_output=True, text=True).stdout.strip()
    server = subprocess.Popen([quell, "serve", "--data-dir", data, "--listen", "127.0.0.1:0",
                               "--log-format", "text"], stdout=subprocess.PIPE, text=True,
                              env={"QUELL_LOG": "warn", "PATH": "/usr/bin:/bin"})
    t2 = time.time()
    line = server.stdout.readline()
    t3 = time.time()
    addr = line.strip().removeprefix("quell: listening on ")
    try:
        latencies = []
        for hashes in kept:
            query = [f"{hexs(flip(h, rng))},100,{i}.000" for i, h in enumerate(hashes)]
            body = json.dumps({"hashes": [{"type": "vpdq", "value": json.dumps(query)}]}).encode()
            req = urllib.request.Request(f"{addr}/v1/match", data=body, headers={
                "content-type": "application/json", "authorization": f"Bearer {key}"})
            s = time.perf_counter()
            with urllib.request.urlopen(req) as resp:
                result = json.load(resp)
            latencies.append(time.perf_counter() - s)
            hits = result["results"][0]["matches"]
            assert len(hits) == 1 and hits[0]["query_match_percent"] == 100.0, result
    finally:
        server.kill()
        server.wait()
    latencies.sort()
    ms = [x * 1000 for x in latencies]
    print(f"videos={videos} frames/video={frames} indexed frames={videos * frames} "
          f"queries={len(ms)} (each {frames} frames)")
    print(f"import {t1 - t0:.1f} s; server start to listening {t3 - t2:.2f} s")
    print(f"latency ms: median {statistics.median(ms):.1f}, min {ms[0]:.1f}, max {ms[-1]:.1f}")


if __name__ == "__main__":
    main()
