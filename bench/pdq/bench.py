#!/usr/bin/env python3
"""Times `quell hash --threads 1` against the pdqhash reference on the same files, in the same run,
one core each, and checks that their hashes agree. Called by bench/pdq/run.sh; writes a markdown
report to stdout and to OUT/pdq-results.md.

Each repetition runs, one after the other (interleaved, so drift on a noisy machine hits all of
them alike): reference.py --mode full, `quell hash --threads 1 FILES > /dev/null`, and
reference.py --mode thumb512. One untimed warm-up run of each comes first (page cache, and it
gives the hashes compared below). Reported: the median over the repetitions.

- reference time: measured inside reference.py around its loop over the files (open, decode,
  convert, numpy, pdqhash.compute): Python start-up and imports are NOT counted;
- quell time: wall clock of the whole process, start-up included (about 1 ms).
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def hamming(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def read_manifest(set_dir):
    with open(os.path.join(set_dir, "manifest.tsv"), encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    return [(os.path.join(set_dir, r[0]), r[1], int(r[2]), int(r[3])) for r in rows]


def parse_quell(stdout: str):
    """`<pdq> <quality> <path>` lines -> {path: (pdq, quality)}."""
    out = {}
    for line in stdout.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and len(parts[0]) == 64:
            out[parts[2]] = (parts[0], int(parts[1]))
    return out


def parse_tsv_hashes(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            hx, q, p = line.rstrip("\n").split("\t", 2)
            out[p] = (hx, int(q))
    return out


class Runner:
    def __init__(self, args):
        self.args = args
        self.pin = args.pin.split() if args.pin else []
        self.env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            self.env[var] = "1"

    def reference(self, mode, files, out=None):
        """Returns (seconds inside the loop, wall seconds of the process)."""
        cmd = self.pin + [self.args.python, os.path.join(HERE, "reference.py"), "--mode", mode]
        if out:
            cmd += ["--out", out]
        t0 = time.perf_counter()
        p = subprocess.run(cmd + files, env=self.env, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        return json.loads(p.stdout.strip().splitlines()[-1])["seconds"], wall

    def quell(self, files, capture=False):
        """Returns (wall seconds, stdout or None)."""
        cmd = self.pin + [self.args.quell, "hash", "--threads", "1"] + files
        t0 = time.perf_counter()
        p = subprocess.run(
            cmd,
            env=self.env,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        wall = time.perf_counter() - t0
        if p.returncode != 0 and not capture:
            raise SystemExit(f"quell failed ({p.returncode}): {p.stderr.strip()}")
        return wall, (p.stdout if capture else None)


def stats(dists):
    if not dists:
        return {"n": 0}
    return {
        "n": len(dists),
        "exact": sum(1 for d in dists if d == 0),
        "median": statistics.median(dists),
        "mean": statistics.fmean(dists),
        "max": max(dists),
    }


def fmt_dist(s):
    if s["n"] == 0:
        return "n/a"
    return f"{s['max']} / {s['mean']:.2f} ({s['exact']}/{s['n']} exact)"


def bench_set(runner, name, set_dir, repeat, thumb):
    rows = read_manifest(set_dir)
    files = [r[0] for r in rows]
    mp = sum(r[2] * r[3] for r in rows) / 1e6
    tmp = os.path.join(runner.args.out, f".{name}")
    os.makedirs(tmp, exist_ok=True)

    # Warm-up, and the hashes for the agreement check.
    ref_out = os.path.join(tmp, "reference-full.tsv")
    thumb_out = os.path.join(tmp, "reference-thumb512.tsv")
    runner.reference("full", files, ref_out)
    if thumb:
        runner.reference("thumb512", files, thumb_out)
    _, qout = runner.quell(files, capture=True)
    ref_h = parse_tsv_hashes(ref_out)
    q_h = parse_quell(qout)
    missing = [f for f in files if f not in q_h]
    d_quell = [hamming(q_h[f][0], ref_h[f][0]) for f in files if f in q_h]
    q_quality_diff = sum(1 for f in files if f in q_h and q_h[f][1] != ref_h[f][1])
    d_thumb = []
    if thumb:
        th_h = parse_tsv_hashes(thumb_out)
        d_thumb = [hamming(th_h[f][0], ref_h[f][0]) for f in files]

    t_ref, t_ref_wall, t_q, t_th = [], [], [], []
    for i in range(repeat):
        s, w = runner.reference("full", files)
        t_ref.append(s)
        t_ref_wall.append(w)
        t_q.append(runner.quell(files)[0])
        if thumb:
            t_th.append(runner.reference("thumb512", files)[0])
        print(
            f"  {name} run {i + 1}/{repeat}: reference {s:.3f} s (process {w:.3f} s), "
            f"quell {t_q[-1]:.3f} s" + (f", thumb512 {t_th[-1]:.3f} s" if thumb else ""),
            file=sys.stderr,
        )
    n = len(files)
    return {
        "set": name,
        "files": n,
        "mp_total": mp,
        "t_ref": t_ref,
        "t_ref_wall": t_ref_wall,
        "t_quell": t_q,
        "t_thumb": t_th,
        "ref_ips": n / statistics.median(t_ref),
        "ref_wall_ips": n / statistics.median(t_ref_wall),
        "quell_ips": n / statistics.median(t_q),
        "thumb_ips": n / statistics.median(t_th) if t_th else None,
        "agree": stats(d_quell),
        "quality_diff": q_quality_diff,
        "missing": missing,
        "thumb_vs_full": stats(d_thumb),
    }


def vectors_check(runner, vectors, thumb):
    """Every expected.tsv row with quality >= 80: quell, pdqhash full and thumb512 vs the golden hash."""
    rows = []
    with open(os.path.join(vectors, "expected.tsv"), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(header, line.rstrip("\n").split("\t")))
            if int(r["quality"]) >= 80:
                rows.append(r)
    files = [os.path.join(vectors, r["file"]) for r in rows]
    tmp = os.path.join(runner.args.out, ".vectors")
    os.makedirs(tmp, exist_ok=True)
    full_out = os.path.join(tmp, "reference-full.tsv")
    runner.reference("full", files, full_out)
    full = parse_tsv_hashes(full_out)
    _, qout = runner.quell(files, capture=True)
    q = parse_quell(qout)
    result = {
        "rows": len(rows),
        "quell": stats([hamming(q[f][0], r["pdq_hex"]) for f, r in zip(files, rows) if f in q]),
        "quell_missing": [r["file"] for f, r in zip(files, rows) if f not in q],
        "quell_off": [
            (r["file"], hamming(q[f][0], r["pdq_hex"]))
            for f, r in zip(files, rows)
            if f in q and q[f][0] != r["pdq_hex"]
        ],
        "full": stats([hamming(full[f][0], r["pdq_hex"]) for f, r in zip(files, rows)]),
        "thumb": {"n": 0},
        "thumb_worst": [],
    }
    if thumb:
        th_out = os.path.join(tmp, "reference-thumb512.tsv")
        runner.reference("thumb512", files, th_out)
        th = parse_tsv_hashes(th_out)
        d = [(hamming(th[f][0], r["pdq_hex"]), r["file"]) for f, r in zip(files, rows)]
        result["thumb"] = stats([x for x, _ in d])
        result["thumb_worst"] = sorted(d, reverse=True)[:3]
    return result


def describe_machine(args):
    def sh(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, shell=True).stdout.strip()
        except OSError:
            return ""

    model = sh("lscpu | grep 'Model name' | sed 's/.*: *//'") or platform.processor()
    versions = sh(
        f"{args.python} -c 'import pdqhash, PIL, numpy, sys; "
        "print(f\"pdqhash {pdqhash.__version__}, Pillow {PIL.__version__}, numpy {numpy.__version__}, "
        "Python {sys.version.split()[0]}\")'"
    )
    rev = sh("git rev-parse --short HEAD 2>/dev/null")
    dirty = sh("git status --porcelain --untracked-files=no -- crates Cargo.toml Cargo.lock 2>/dev/null")
    quell_v = sh(f"{args.quell} --version")
    return model, versions, f"{quell_v} (git {rev or '?'}{', crates modified' if dirty else ''})"


def report(args, results, vec, thumb):
    model, versions, quell_v = describe_machine(args)
    out = []
    w = out.append
    w("# PDQ benchmark: quell hash vs the pdqhash reference binding\n")
    w(
        f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}; CPU: {model}, {os.cpu_count()} cores; "
        f"pinned with `{args.pin or '(no pinning)'}`; runs per row: {args.repeat}, medians reported; "
        f"1-min load average {args.load_before:.1f} before, {args.load_after:.1f} after.  "
    )
    w(f"quell: {quell_v}, `--threads 1`; reference: {versions}.\n")
    w(
        "| set | files | megapixels (per file / total) | reference images/s | quell images/s "
        "| ratio quell/reference | Hamming quell vs reference: max / mean (exact) |"
    )
    w("|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        w(
            f"| {r['set']} | {r['files']} | {r['mp_total'] / r['files']:.1f} / {r['mp_total']:.0f} "
            f"| {r['ref_ips']:.2f} | {r['quell_ips']:.2f} | {r['quell_ips'] / r['ref_ips']:.2f}x "
            f"| {fmt_dist(r['agree'])} |"
        )
    w("")
    w(
        "Reference = `PIL.Image.open` + `.convert(\"RGB\")` + `numpy.asarray` + `pdqhash.compute` at full "
        "resolution (how `expected.tsv` was made), timed inside Python around the loop (interpreter "
        "start-up and imports excluded). quell = wall time of `quell hash --threads 1 FILES > /dev/null` "
        "(process start-up included; quell also computes MD5 and SHA-256 of every file)."
    )
    w("")
    for r in results:
        extra = []
        if r["quality_diff"]:
            extra.append(f"quality differs on {r['quality_diff']} files")
        if r["missing"]:
            extra.append(f"quell gave no hash for {len(r['missing'])} files: {r['missing'][:3]}")
        spread = (
            f"- {r['set']}: seconds per run, median (min-max): reference "
            f"{statistics.median(r['t_ref']):.3f} ({min(r['t_ref']):.3f}-{max(r['t_ref']):.3f}), "
            f"reference process incl. Python start-up {statistics.median(r['t_ref_wall']):.3f} "
            f"({r['ref_wall_ips']:.2f} images/s), quell {statistics.median(r['t_quell']):.3f} "
            f"({min(r['t_quell']):.3f}-{max(r['t_quell']):.3f})"
        )
        w(spread + ("; " + "; ".join(extra) if extra else ""))
    w("")
    if thumb:
        w("## Second reference: Pillow `thumbnail((512, 512))` first, then pdqhash\n")
        w(
            "The pre-shrink of ThreatExchange's pure-Python port (`pdq/python/pdqhashing`, "
            "`img.thumbnail((512, 512))`); python-threatexchange's own `pdq_hasher` does NOT shrink "
            "(it passes the full-resolution array to pdqhash, like the reference row above). "
            "`thumbnail` lets libjpeg decode JPEGs at 1/2-1/8 scale, which is where its speed comes from.\n"
        )
        w(
            "| set | files | thumb512 images/s | ratio quell/thumb512 "
            "| Hamming thumb512 vs full-res reference: max / mean (exact) |"
        )
        w("|---|---:|---:|---:|---|")
        for r in results:
            w(
                f"| {r['set']} | {r['files']} | {r['thumb_ips']:.2f} | "
                f"{r['quell_ips'] / r['thumb_ips']:.2f}x | {fmt_dist(r['thumb_vs_full'])} |"
            )
        w("")
    if vec:
        w(f"## Against the golden vectors ({vec['rows']} rows of expected.tsv with quality >= 80)\n")
        w("| hashing | median | mean | max | exact |")
        w("|---|---:|---:|---:|---:|")
        rows = [
            ("quell hash (full resolution, own decoders)", vec["quell"]),
            ("pdqhash full resolution (this venv; the reference)", vec["full"]),
        ]
        if thumb:
            rows.append(("thumbnail 512 + pdqhash", vec["thumb"]))
        for label, s in rows:
            if s["n"]:
                w(f"| {label} | {s['median']:g} | {s['mean']:.2f} | {s['max']} | {s['exact']}/{s['n']} |")
        if vec["quell_off"]:
            off = ", ".join(f"{f} {d}" for f, d in vec["quell_off"])
            w(f"\nquell differs from expected.tsv on (bits): {off}.")
        if vec["quell_missing"]:
            w(f"\nquell gave no hash for: {', '.join(vec['quell_missing'])}")
        if vec["thumb_worst"]:
            worst = ", ".join(f"{os.path.basename(f)} {d}" for d, f in vec["thumb_worst"])
            w(f"\nthumbnail-512 worst files (bits): {worst}.")
        w(
            "\nquell hashes at full resolution, like the pdqhash reference that produced expected.tsv; "
            "it does not pre-shrink to 512 px."
        )
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description="PDQ benchmark driver (see run.sh)")
    ap.add_argument("--quell", required=True)
    ap.add_argument("--python", required=True, help="the venv's python, with pdqhash")
    ap.add_argument("--vectors", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--pin", default="", help="command prefix, e.g. 'taskset -c 0'")
    ap.add_argument("--sets", default="native,12mp")
    ap.add_argument("--no-thumb", action="store_true", help="skip the thumbnail-512 reference")
    args = ap.parse_args()
    thumb = not args.no_thumb

    runner = Runner(args)
    args.load_before = os.getloadavg()[0]
    results = []
    for name in args.sets.split(","):
        print(f"set {name}:", file=sys.stderr)
        results.append(bench_set(runner, name, os.path.join(args.out, name), args.repeat, thumb))
    print("golden vectors check", file=sys.stderr)
    vec = vectors_check(runner, args.vectors, thumb)
    args.load_after = os.getloadavg()[0]
    text = report(args, results, vec, thumb)
    with open(os.path.join(args.out, "pdq-results.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(args.out, "pdq-results.json"), "w", encoding="utf-8") as f:
        json.dump({"sets": results, "vectors": vec}, f, indent=1, default=str)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
