#!/usr/bin/env python3
"""Reference PDQ hashing with the `pdqhash` binding (Meta's C++ inside), timed end to end.

For each file, in one thread:

    full   (default) PIL.Image.open -> .convert("RGB") -> numpy.asarray -> pdqhash.compute
           exactly how ../shared/vectors/pdq/expected.tsv was produced (full resolution,
           EXIF orientation not applied).
    thumb512  the same after Pillow's Image.thumbnail((512, 512)) (default resampling, which on
           JPEGs also lets libjpeg decode at 1/2, 1/4 or 1/8 scale): the pre-shrink done by
           ThreatExchange's pure-Python port (pdq/python/pdqhashing). python-threatexchange's
           own pdq_hasher hands the full-resolution array to pdqhash (no shrink).
    hashonly  decode every file first (as `full`), then time only the pdqhash.compute calls:
           the hashing core alone, on the same pixels Quell's `hash_speed` example hashes.

The timed loop covers open + decode + conversion + hashing of every file, nothing else (the
interpreter and module start-up are outside it). Prints one JSON object on stdout:
{"mode", "files", "seconds", "pixels"}; with --out, also writes `pdq_hex<TAB>quality<TAB>path` lines.
"""

import argparse
import json
import sys
import time

import numpy
import pdqhash
from PIL import Image


def hash_file(path: str, mode: str):
    img = Image.open(path)
    if mode == "thumb512":
        img.thumbnail((512, 512))
    arr = numpy.asarray(img.convert("RGB"), dtype=numpy.uint8)
    bits, quality = pdqhash.compute(arr)
    return bits, quality, arr.shape[0] * arr.shape[1]


def to_hex(bits) -> str:
    return numpy.packbits(numpy.asarray(bits, dtype=numpy.uint8)).tobytes().hex()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=("full", "thumb512", "hashonly"), default="full")
    ap.add_argument("--out", help="write pdq_hex, quality, path (TSV) here")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    if args.mode == "hashonly":
        arrays = [numpy.asarray(Image.open(p).convert("RGB"), dtype=numpy.uint8) for p in args.files]
        start = time.perf_counter()
        for arr in arrays:
            pdqhash.compute(arr)
        seconds = time.perf_counter() - start
        pixels = sum(a.shape[0] * a.shape[1] for a in arrays)
        json.dump({"mode": args.mode, "files": len(arrays), "seconds": seconds, "pixels": pixels}, sys.stdout)
        sys.stdout.write("\n")
        return 0

    results = []
    pixels = 0
    start = time.perf_counter()
    for path in args.files:
        bits, quality, n = hash_file(path, args.mode)
        results.append((bits, quality))
        pixels += n
    seconds = time.perf_counter() - start

    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            for path, (bits, quality) in zip(args.files, results):
                f.write(f"{to_hex(bits)}\t{quality}\t{path}\n")
    json.dump(
        {"mode": args.mode, "files": len(args.files), "seconds": seconds, "pixels": pixels},
        sys.stdout,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
