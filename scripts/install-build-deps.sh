#!/usr/bin/env bash
# Installs what building and running `quell` needs and a fresh Debian machine lacks; does nothing
# when all is present. ffmpeg and ffprobe (the child-process video decoder), and for quell-vpdq's
# `libav` decoder (on by default in the CLI): FFmpeg's headers, pkg-config and libclang
# (ffmpeg-sys-next runs bindgen). Without them, `cargo build -p quell --no-default-features`.
set -euo pipefail

missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v pkg-config >/dev/null || missing+=(pkg-config)
pkg-config --exists libavcodec libavformat libavutil libswscale 2>/dev/null ||
  missing+=(libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavfilter-dev libavdevice-dev)
ldconfig -p | grep -q 'libclang[-.0-9]*\.so' || missing+=(libclang-dev)
# Extra packages a caller needs too (the test script adds chromium), installed in the same run.
missing+=("$@")
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q >/dev/null
  "${sudo[@]}" apt-get install -y -q "${missing[@]}" >/dev/null
fi
