#!/usr/bin/env bash
# Installs what the tests need and a fresh machine lacks; does nothing when all is present.
# Debian: what building quell needs (scripts/install-build-deps.sh: ffmpeg, FFmpeg's headers,
# pkg-config, libclang), chromium (the page's browser tests), and Python's venv module, headers and a C++
# compiler (the python-threatexchange tests install pytx from PyPI into a venv).
# npm: the page's pinned toolchain from web/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

extra=()
[ -x /usr/bin/chromium ] || extra+=(chromium)
python3 -c 'import ensurepip, venv' 2>/dev/null || extra+=(python3-venv)
# Two of pytx's pinned dependencies (pdqhash, weighted-levenshtein) have no Linux wheels and
# are compiled by pip: a C++ compiler and Python's headers.
command -v g++ >/dev/null || extra+=(g++)
[ -f "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ] ||
  extra+=(python3-dev)
bash scripts/install-build-deps.sh "${extra[@]}"

if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  echo "installing the page's npm packages (npm ci)"
  npm --prefix web ci --no-audit --no-fund >/dev/null
fi
