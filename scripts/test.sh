#!/usr/bin/env bash
# The whole test suite: the Rust workspace, then the page's TypeScript unit tests and its
# browser tests (real Chromium against a real `quell serve`), then the python-threatexchange
# exchange against the real pytx and a real `quell serve`. Installs what is missing first
# (ffmpeg and Chromium from Debian, the page's pinned npm packages), so it runs on a fresh
# machine. Ends with one line counting every test: `tests: N passed, N failed`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0

echo "== Rust workspace"
cargo test --workspace --all-features 2>&1 | tee -a "$log" || status=1

echo "== page: TypeScript unit tests"
npm --prefix web test 2>&1 | tee -a "$log" || status=1

echo "== page: browser tests (Chromium, real quell serve)"
if cargo build -p quell 2>&1 | tail -n 3; then
  QUELL_BIN="$PWD/target/debug/quell" npm --prefix web run e2e 2>&1 | tee -a "$log" || status=1
else
  echo "the quell binary did not build: browser tests not run"
  status=1
fi

echo "== python-threatexchange: the Quell exchange, pytx from PyPI, real quell serve"
QUELL_BIN="$PWD/target/debug/quell" bash integrations/threatexchange/test.sh 2>&1 | tee -a "$log" || status=1

# cargo: `test result: ok. N passed; M failed`; vitest: `Tests  N passed | M failed (T)`;
# node --test: `# pass N` and `# fail M`.
awk '
  /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
  /^[[:space:]]*Tests[[:space:]]+[0-9]/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
  /^# pass [0-9]+/ { p += $3 }
  /^# fail [0-9]+/ { f += $3 }
  END { printf "tests: %d passed, %d failed\n", p, f }' <(sed 's/\x1b\[[0-9;]*m//g' "$log")
exit "$status"
