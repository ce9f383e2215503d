"""Index benchmark helper for run.sh: generate data, run faiss, compare, print the table.

    bench.py gen N OUTDIR            random base (seed 20240601) + 1000 planted + 1000 random queries
    bench.py faiss KIND N OUTDIR     KIND = mih (IndexBinaryMultiHash(256,16,16), nflip=1) or flat
    bench.py report N OUTDIR         recall vs the exact flat pairs, markdown table with ratios
    bench.py oneshot N OUTDIR        what oneshot.sh times: read base and queries, build the
                                     faiss MultiHash index, search every query, print the pairs

faiss's range_search radius is strict (<), so radius 32 means distance <= 31, like Quell's
inclusive max_distance 31.
"""

import json
import os
import sys
import time

import numpy as np

SEED = 20240601
RADIUS = 32


def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def gen(n, out):
    rng = np.random.default_rng(SEED)
    base = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    base.tofile(os.path.join(out, f"base-{n}.bin"))
    planted = base[rng.integers(0, n, size=1000)].copy()
    bits = np.unpackbits(planted, axis=1)
    for i in range(1000):
        d = i % 32  # distances 0..31
        flip = rng.choice(256, size=d, replace=False)
        bits[i, flip] ^= 1
    planted = np.packbits(bits, axis=1)
    # Random queries: 128 bits from everything on average, so no neighbour within 31.
    far = rng.integers(0, 256, size=(1000, 32), dtype=np.uint8)
    np.concatenate([planted, far]).tofile(os.path.join(out, f"queries-{n}.bin"))


def run_faiss(kind, n, out, latency_queries, batch_queries):
    import faiss

    base = np.fromfile(os.path.join(out, f"base-{n}.bin"), dtype=np.uint8).reshape(-1, 32)
    queries = np.fromfile(os.path.join(out, f"queries-{n}.bin"), dtype=np.uint8).reshape(-1, 32)
    faiss.omp_set_num_threads(1)
    before = rss()
    t = time.perf_counter()
    if kind == "mih":
        index = faiss.IndexBinaryMultiHash(256, 16, 16)
        index.nflip = 1  # threshold // nhash, as python-threatexchange sets it for 31
    else:
        index = faiss.IndexBinaryFlat(256)
    index.add(base)
    build = time.perf_counter() - t
    delta = rss() - before
    lat = []
    for i in range(min(latency_queries, len(queries))):
        q = queries[i : i + 1]
        t = time.perf_counter()
        index.range_search(q, RADIUS)
        lat.append((time.perf_counter() - t) * 1e3)
    lat.sort()
    faiss.omp_set_num_threads(2)
    bq = queries[: min(batch_queries, len(queries))]
    t = time.perf_counter()
    lims, dist, labels = index.range_search(bq, RADIUS)
    batch = time.perf_counter() - t
    with open(os.path.join(out, f"pairs-faiss-{kind}-{n}.tsv"), "w") as f:
        for q in range(len(bq)):
            for j in range(lims[q], lims[q + 1]):
                f.write(f"{q}\t{labels[j]}\t{int(dist[j])}\n")
    pct = lambda p: lat[round((len(lat) - 1) * p)]
    print(json.dumps({
        "engine": f"faiss-{kind}", "kernel": "faiss " + faiss.__version__, "n": n,
        "build_s": round(build, 3), "rss_delta_bytes": delta, "heap_bytes": None,
        "latency_queries": len(lat), "latency_median_ms": round(pct(0.5), 4),
        "latency_p99_ms": round(pct(0.99), 4), "batch_queries": len(bq), "batch_threads": 2,
        "batch_qps": round(len(bq) / batch, 1), "pairs": int(lims[-1]),
    }))


def oneshot(n, out):
    """A matcher run once, as a script would: the whole process is what oneshot.sh times."""
    import faiss

    base = np.fromfile(os.path.join(out, f"base-{n}.bin"), dtype=np.uint8).reshape(-1, 32)
    queries = np.fromfile(os.path.join(out, f"queries-{n}.bin"), dtype=np.uint8).reshape(-1, 32)
    index = faiss.IndexBinaryMultiHash(256, 16, 16)
    index.nflip = 1
    index.add(base)
    lims, dist, labels = index.range_search(queries, RADIUS)
    lines = []
    for q in range(len(queries)):
        for j in range(lims[q], lims[q + 1]):
            lines.append(f"{q} {labels[j]} {int(dist[j])}\n")
    sys.stdout.write("".join(lines))


def pairs(path, limit):
    got = set()
    with open(path) as f:
        for line in f:
            q, i, d = line.split()
            if int(q) < limit:
                got.add((int(q), int(i), int(d)))
    return got


def report(n, out):
    rows = [json.loads(l) for l in open(os.path.join(out, f"results-{n}.jsonl")) if l.strip()]
    truth_path = os.path.join(out, f"pairs-quell-flat-{n}.tsv")
    truth_all = pairs(truth_path, 10**9)
    for r in rows:
        name = r["engine"].replace("quell-", "quell-").replace("faiss-", "faiss-")
        p = os.path.join(out, f"pairs-{name}-{n}.tsv")
        limit = r["batch_queries"]
        truth = {t for t in truth_all if t[0] < limit}
        got = pairs(p, limit)
        r["recall"] = len(got & truth) / len(truth) if truth else 1.0
        r["false_pos"] = len(got - truth)
    ref = {r["engine"]: r for r in rows}
    fm = ref.get("faiss-mih")
    print(f"\n### N = {n:,} random hashes, 1000 planted (d 0..31) + 1000 far queries, d <= 31\n")
    print("| engine | build s | resident B/hash | median ms (1 thr) | p99 ms | batch q/s (2 thr) | recall vs flat | pairs | latency vs faiss-mih | q/s vs faiss-mih |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        bph = r["rss_delta_bytes"] / n
        heap = f" (heap {r['heap_bytes'] / n:.1f})" if r.get("heap_bytes") else ""
        lat_ratio = f"{fm['latency_median_ms'] / r['latency_median_ms']:.1f}x faster" if fm else "-"
        qps_ratio = f"{r['batch_qps'] / fm['batch_qps']:.1f}x" if fm else "-"
        print(
            f"| {r['engine']} ({r['kernel']}) | {r['build_s']:.2f} | {bph:.1f}{heap} | "
            f"{r['latency_median_ms']:.4f} (n={r['latency_queries']}) | {r['latency_p99_ms']:.4f} | "
            f"{r['batch_qps']:.0f} (n={r['batch_queries']}) | {r['recall']:.4f} (+{r['false_pos']} false) | "
            f"{r['pairs']} | {lat_ratio} | {qps_ratio} |"
        )


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(int(sys.argv[2]), sys.argv[3])
    elif cmd == "faiss":
        kind, n, out = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        lq = int(sys.argv[5]) if len(sys.argv) > 5 else 2000
        bq = int(sys.argv[6]) if len(sys.argv) > 6 else 2000
        run_faiss(kind, n, out, lq, bq)
    elif cmd == "oneshot":
        oneshot(int(sys.argv[2]), sys.argv[3])
    elif cmd == "report":
        report(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(f"unknown command {cmd}")
