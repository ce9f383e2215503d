#!/usr/bin/env python3
"""Hashing core alone: pdqhash.compute vs quell-pdq on the same decoded pixels, one thread.

Decoding is outside the timed loops on both sides (Pillow decodes for the reference, Quell's
own decoder for Quell; on these files both give pixels within 2 bits' worth of hash of each
other). Appends a markdown table to the report file and prints it.
"""

import argparse
import glob
import json
import os
import shlex
import statistics
import subprocess
import sys


def median_rate(cmd, repeat):
    rates = []
    for _ in range(repeat):
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        rates.append(r["median_images_per_s"] if "median_images_per_s" in r else r["files"] / r["seconds"])
    return statistics.median(rates)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", required=True)
    ap.add_argument("--hash-speed", required=True, help="quell-pdq's hash_speed example binary")
    ap.add_argument("--out", required=True)
    ap.add_argument("--sets", default="native,12mp")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--pin", default="")
    args = ap.parse_args()
    pin = shlex.split(args.pin)
    here = os.path.dirname(os.path.abspath(__file__))
    lines = [
        "",
        "## Hashing core alone (decoded pixels in memory, one thread)",
        "",
        "| set | files | pdqhash.compute images/s | quell-pdq images/s | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in args.sets.split(","):
        files = sorted(glob.glob(os.path.join(args.out, name, "*.jpg")))
        ref = median_rate(pin + [args.python, os.path.join(here, "reference.py"), "--mode", "hashonly"] + files, args.repeat)
        quell = median_rate(pin + [args.hash_speed, "--rounds", "5"] + files, args.repeat)
        lines.append(f"| {name} | {len(files)} | {ref:.2f} | {quell:.2f} | {quell / ref:.2f}x |")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(os.path.join(args.out, "pdq-results.md"), "a", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
