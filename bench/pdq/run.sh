#!/usr/bin/env bash
# PDQ benchmark: `quell hash --threads 1` against the pdqhash reference binding (Meta's C++ inside),
# same files, same run, one core each, plus a hash agreement check. Run from the repo root:
#
#     bash bench/pdq/run.sh
#
# Environment knobs:
#   R=5                      repetitions per measurement (medians are reported)
#   VECTORS=../shared/vectors/pdq   the golden vectors folder
#   PYTHON=python3           interpreter used to create the venv bench/.venv-pdq
#   CARGO_TARGET_DIR         honoured as usual (default: target)
#   PIN="taskset -c 0"       command prefix pinning every timed process to one core
#                            (default when taskset exists; PIN= disables pinning)
#   SETS=native,12mp         which input sets to time
#   THUMB=1                  also time/check the "thumbnail to 512 px, then pdqhash" reference
#
# Installs only pip packages (pdqhash 0.2.8, which builds from source: needs a C++ compiler and
# the Python headers; Pillow; numpy) into bench/.venv-pdq. Writes everything else to bench/out/;
# the report goes to stdout and bench/out/pdq-results.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

R="${R:-5}"
VECTORS="${VECTORS:-../shared/vectors/pdq}"
PYTHON="${PYTHON:-python3}"
VENV=bench/.venv-pdq
OUT=bench/out
SETS="${SETS:-native,12mp}"
THUMB="${THUMB:-1}"
if [[ -z "${PIN+x}" ]]; then
    if command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null; then
        PIN="taskset -c 0"
    else
        PIN=""
        echo "warning: taskset not available, processes are not pinned to one core" >&2
    fi
fi

if [[ ! -f "$VECTORS/expected.tsv" ]]; then
    echo "error: golden vectors not found at $VECTORS (set VECTORS=...)" >&2
    exit 2
fi

# 1. Python side: venv with the reference binding.
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "== creating $VENV" >&2
    "$PYTHON" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import pdqhash, PIL, numpy' 2>/dev/null; then
    echo "== installing pdqhash, Pillow, numpy into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    # Pillow 13.0.0 is the version expected.tsv was made with (its libjpeg-turbo decodes the
    # vectors to the exact pixels recorded there); fall back to the newest if it is gone.
    "$VENV/bin/python" -m pip install --quiet 'pdqhash==0.2.8' 'Pillow==13.0.0' numpy \
        || "$VENV/bin/python" -m pip install --quiet pdqhash Pillow numpy
fi

# 2. Rust side: release build of the CLI.
echo "== cargo build --release -p quell" >&2
cargo build --release -p quell >&2
QUELL="${CARGO_TARGET_DIR:-target}/release/quell"
QUELL="$(cd "$(dirname "$QUELL")" && pwd)/$(basename "$QUELL")"

# 3. Inputs: native-size vector photos and generated 12 MP JPEGs.
mkdir -p "$OUT"
echo "== preparing inputs in $OUT" >&2
"$VENV/bin/python" bench/pdq/prepare.py --vectors "$VECTORS" --out "$OUT"

# 4. Measure, compare, report.
echo "== benchmarking (R=$R, pin: ${PIN:-none})" >&2
thumb_flag=()
[[ "$THUMB" == 1 ]] || thumb_flag=(--no-thumb)
"$VENV/bin/python" bench/pdq/bench.py \
    --quell "$QUELL" --python "$VENV/bin/python" --vectors "$VECTORS" --out "$OUT" \
    --repeat "$R" --pin "$PIN" --sets "$SETS" "${thumb_flag[@]}"

# 5. The hashing core alone, on decoded pixels (no decoder in the loop on either side).
echo "== hash-only comparison" >&2
cargo build --release -p quell-pdq --features decode --example hash_speed >&2
HASH_SPEED="${CARGO_TARGET_DIR:-target}/release/examples/hash_speed"
"$VENV/bin/python" bench/pdq/hash_only.py --python "$VENV/bin/python" --hash-speed "$HASH_SPEED" \
    --out "$OUT" --sets "$SETS" --repeat "$R" --pin "$PIN"
