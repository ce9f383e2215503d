#!/usr/bin/env bash
# vPDQ benchmark: `quell hash` (release) against the `vpdq` Python package (Meta's C++ vPDQ
# linked against FFmpeg's libraries), same videos, same run, both pinned to one core, several
# runs, medians; seconds_per_hash 1 and 0. Run from the repo root:
#
#     bash bench/vpdq/run.sh
#
# Environment knobs:
#   R=3                              runs per measurement (medians are reported)
#   VECTORS=../shared/vectors/vpdq   the sample videos
#   PYTHON=python3                   interpreter used to create the venv bench/.venv-vpdq
#   CORE=0                           the core both sides are pinned to
#   SPH=1,0                          the seconds_per_hash values measured
#
# Installs only the pip package vpdq 0.2.5 into bench/.venv-vpdq. It builds from source and
# needs a C++ compiler, pkg-config and Debian's FFmpeg headers:
#   apt-get install -y libavcodec-dev libavformat-dev libavutil-dev libswscale-dev \
#       libavdevice-dev libavfilter-dev pkg-config
# Quell needs the `ffmpeg` and `ffprobe` programs and is built with its default `libav`
# decoder (the same headers, plus libclang-dev). The report goes to stdout and
# bench/out/vpdq-results.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

R="${R:-3}"
VECTORS="${VECTORS:-../shared/vectors/vpdq}"
PYTHON="${PYTHON:-python3}"
CORE="${CORE:-0}"
SPH="${SPH:-1,0}"
VENV=bench/.venv-vpdq
OUT=bench/out
mkdir -p "$OUT"

if [[ ! -d "$VECTORS/videos" ]]; then
    echo "error: sample videos not found at $VECTORS/videos (set VECTORS=...)" >&2
    exit 2
fi
if ! pkg-config --exists libavcodec libavformat libswscale; then
    echo "error: FFmpeg development headers missing (see the apt-get line at the top)" >&2
    exit 2
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "== creating $VENV" >&2
    "$PYTHON" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import vpdq' 2>/dev/null; then
    echo "== installing vpdq into $VENV (compiles the C++ library)" >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet 'vpdq==0.2.5'
fi

echo "== building quell (release)" >&2
cargo build --release -p quell -j 2 >&2
TARGET="${CARGO_TARGET_DIR:-target}"

"$VENV/bin/python" bench/vpdq/bench.py \
    --quell "$TARGET/release/quell" --videos "$VECTORS/videos" --runs "$R" --core "$CORE" \
    --seconds-per-hash "$SPH" \
    | tee "$OUT/vpdq-results.md"
