#!/usr/bin/env bash
# End-to-end tests of quell-threatexchange: the real python-threatexchange CLI and library
# against a real `quell serve` (the binary QUELL_BIN names).
#
#   QUELL_BIN=$PWD/target/debug/quell bash integrations/threatexchange/test.sh [pytest args]
#
# Needs python3 (3.11+, with venv and its headers), a C++ compiler (pip builds two of pytx's
# dependencies) and PyPI; scripts/install-test-deps.sh installs them on Debian. The venv (tests/requirements.txt, pinned) is kept
# in target/pytx-venv (or QUELL_PYTX_VENV) and rebuilt only when that file changes; the
# package is reinstalled from a copy of its source each run, so the tree stays clean.
# The last two lines are always `# pass N` and `# fail M` (a run stopped before the tests
# reported counts as one failure); the exit status is nonzero if any failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
# The tests' server writes its pid here and removes it once it has stopped it.
export QUELL_SERVE_PIDFILE=$work/serve.pid
reported=false

on_exit() {
    local status=$?
    if [ -f "$QUELL_SERVE_PIDFILE" ]; then
        kill "$(cat "$QUELL_SERVE_PIDFILE")" 2>/dev/null || true
    fi
    rm -rf "$work"
    if ! $reported; then
        echo "# pass 0"
        echo "# fail 1"
        [ "$status" -ne 0 ] || status=1
    fi
    exit "$status"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

if [ ! -x "${QUELL_BIN:-}" ]; then
    echo "QUELL_BIN must name the quell binary to test (got '${QUELL_BIN:-}')" >&2
    exit 2
fi
QUELL_BIN=$(realpath "$QUELL_BIN")
export QUELL_BIN

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "the pinned test requirements need Python 3.11 or newer (python3 is $(python3 -V 2>&1))" >&2
    exit 2
fi

venv=${QUELL_PYTX_VENV:-$repo/target/pytx-venv}
requirements=$here/tests/requirements.txt
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
    echo "creating $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    echo "$want" >"$venv/.requirements.sha256"
fi
mkdir "$work/pkg"
cp -r "$here/pyproject.toml" "$here/README.md" "$here/src" "$work/pkg/"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
    --force-reinstall "$work/pkg"

set +e
PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m pytest -p no:cacheprovider --rootdir "$here" \
    --basetemp "$work/pytest" --junitxml "$work/junit.xml" -q "$here/tests" "$@"
status=$?
set -e

read -r passed failed < <("$venv/bin/python" - "$work/junit.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET

try:
    suites = list(ET.parse(sys.argv[1]).getroot().iter("testsuite"))
except (OSError, ET.ParseError):
    suites = []
count = lambda *keys: sum(int(s.get(k, 0)) for s in suites for k in keys)
failed = count("failures", "errors")
print(count("tests") - failed - count("skipped"), failed)
EOF
)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1 # pytest failed without a failing test: no tests, or it was interrupted
fi
reported=true
echo "# pass $passed"
echo "# fail $failed"
[ "$failed" -eq 0 ]
