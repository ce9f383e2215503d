#!/usr/bin/env python3
"""Prepares the PDQ benchmark's input sets under OUT (bench/out):

  OUT/native/  copies of the golden-vector JPEG photos of at least 1 megapixel from
               images/bridge-mods, images/reg-test-input/dih and images/reg-test-input/exif-rotn
               (named <dir>__<file>.jpg);
  OUT/12mp/    12-megapixel JPEGs made from some of those photos: Pillow, resized to 4000x3000
               with LANCZOS (aspect ratio not kept), saved at quality 90 (Pillow's defaults
               otherwise: 4:2:0 chroma, no EXIF).

Writes OUT/<set>/manifest.tsv: file name, source path relative to the vectors folder, width,
height. Existing outputs are reused when the manifest is already there.
"""

import argparse
import os
import shutil
import sys

from PIL import Image

NATIVE_DIRS = ("images/bridge-mods", "images/reg-test-input/dih", "images/reg-test-input/exif-rotn")
MIN_PIXELS = 1_000_000

# Sources of the 12 MP set: 10 distinct photos/edits (landscape, portrait, EXIF-rotated phone).
TWELVE_MP_SOURCES = (
    "images/bridge-mods/aaa-orig.jpg",
    "images/bridge-mods/blur-a-little.jpg",
    "images/bridge-mods/high-contrast.jpg",
    "images/bridge-mods/high-saturation.jpg",
    "images/bridge-mods/sharpen-a-lot.jpg",
    "images/reg-test-input/dih/bridge-2-rotate-90.jpg",
    "images/reg-test-input/dih/bridge-5-flipx.jpg",
    "images/reg-test-input/exif-rotn/exif-rotn-1.jpg",
    "images/reg-test-input/exif-rotn/exif-rotn-3.jpg",
    "images/reg-test-input/exif-rotn/exif-rotn-6.jpg",
)
TWELVE_MP_SIZE = (4000, 3000)
TWELVE_MP_QUALITY = 90


def write_manifest(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write("\t".join(str(x) for x in row) + "\n")


def prepare_native(vectors, out):
    dest = os.path.join(out, "native")
    manifest = os.path.join(dest, "manifest.tsv")
    if os.path.exists(manifest):
        return
    os.makedirs(dest, exist_ok=True)
    rows = []
    skipped = []
    for d in NATIVE_DIRS:
        for name in sorted(os.listdir(os.path.join(vectors, d))):
            if not name.lower().endswith(".jpg"):
                continue
            src = f"{d}/{name}"
            with Image.open(os.path.join(vectors, src)) as img:
                w, h = img.size
            if w * h < MIN_PIXELS:
                skipped.append(f"{src} ({w}x{h})")
                continue
            fname = f"{os.path.basename(d)}__{name}"
            shutil.copyfile(os.path.join(vectors, src), os.path.join(dest, fname))
            rows.append((fname, src, w, h))
    write_manifest(manifest, rows)
    print(f"native: {len(rows)} files; left out (< 1 MP): {', '.join(skipped) or 'none'}",
          file=sys.stderr)


def prepare_12mp(vectors, out):
    dest = os.path.join(out, "12mp")
    manifest = os.path.join(dest, "manifest.tsv")
    if os.path.exists(manifest):
        return
    os.makedirs(dest, exist_ok=True)
    rows = []
    for i, src in enumerate(TWELVE_MP_SOURCES, 1):
        path = os.path.join(vectors, src)
        if not os.path.exists(path):
            print(f"12mp: missing source {src}, skipped", file=sys.stderr)
            continue
        with Image.open(path) as img:
            big = img.convert("RGB").resize(TWELVE_MP_SIZE, Image.Resampling.LANCZOS)
        fname = f"{i:02d}-{os.path.splitext(os.path.basename(src))[0]}.jpg"
        big.save(os.path.join(dest, fname), "JPEG", quality=TWELVE_MP_QUALITY)
        rows.append((fname, src, *TWELVE_MP_SIZE))
    write_manifest(manifest, rows)
    print(f"12mp: {len(rows)} files generated", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vectors", required=True, help="the shared/vectors/pdq folder")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    prepare_native(args.vectors, args.out)
    prepare_12mp(args.vectors, args.out)


if __name__ == "__main__":
    main()
