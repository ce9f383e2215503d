#!/usr/bin/env bash
# Installs what the tests need and a fresh machine lacks; does nothing when all is present.
# Debian: ffmpeg (video decoding for vPDQ), chromium (the page's browser tests), and to build
# quell-vpdq's `libav` decoder (on by default in the CLI): FFmpeg's headers, pkg-config and
# libclang (ffmpeg-sys-next runs bindgen).
# npm: the page's pinned toolchain from web/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pkg-config >/dev/null || missing+=(pkg-config)
pkg-config --exists libavcodec libavformat libavutil libswscale 2>/dev/null ||
  missing+=(libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavfilter-dev libavdevice-dev)
ldconfig -p | grep -q 'libclang[-.0-9]*\.so' || missing+=(libclang-dev)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q "${missing[@]}" >/dev/null
fi

if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  echo "installing the page's npm packages (npm ci)"
  npm --prefix web ci --no-audit --no-fund >/dev/null
fi
