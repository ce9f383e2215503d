"""Could one hash per second be decoded faster without changing a pixel? Measures it.

A frame of an H.264 stream decodes bit-exactly when every reference frame before it in
decode order, back to the last IDR, is decoded. So at one hash per second the decoder
needs only the selected frames and those reference frames: non-reference frames
(nal_ref_idc 0) other than the selected ones, and everything after a GOP's last selected
frame, can be dropped before decoding. FFmpeg 5.1's CLI has no per-frame skip (the
decoder's -skip_frame is global, and -bsf on an input needs FFmpeg 7), so this drops the
packets in a first ffmpeg (stream copy, `noise` bitstream filter with a drop expression
over packet numbers) and decodes in a second one, then checks that every selected frame
is bit-identical (framemd5) to a full decode, and times both pinned to one core.

    python3 bench/vpdq/exact_skip.py [--core 0] [--runs 3] VIDEO.mp4...

Packet order, sizes and nal_ref_idc come from FFmpeg's trace_headers bitstream filter.
Frame numbers follow the reference: display order, frame n hashed iff n % frameMod == 0,
frameMod = int(avg_frame_rate) at one hash per second. This is a measurement, not Quell's
decoder: the drop expression grows with the video (O(packets) terms per packet).
"""

import argparse
import os
import re
import resource
import subprocess
from fractions import Fraction

PACKET = re.compile(r"Packet: (\d+) bytes,(?: key frame,)? pts (-?\d+), dts")
NAL = re.compile(r"nal_unit_type: (\d+)\([^)]*\), nal_ref_idc: (\d+)")
SLICE_TYPES = (1, 5)  # coded slice of a non-IDR picture, of an IDR picture


def frame_mod(video):
    rate = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "V:0", "-show_entries",
         "stream=avg_frame_rate", "-of", "csv=p=0", f"file:{video}"],
        check=True, capture_output=True, text=True).stdout.strip()
    return max(1, int(Fraction(rate)))


def packets(video):
    """[pts, size, nal_ref_idc of the first slice, is IDR] per packet, in decode order."""
    p = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "trace", "-i", f"file:{video}", "-map", "0:V:0",
         "-c", "copy", "-bsf:v", "trace_headers", "-f", "null", "-"],
        check=True, capture_output=True, text=True)
    out, current = [], None
    for line in p.stderr.splitlines():
        if "trace_headers" not in line:
            continue
        if m := PACKET.search(line):
            current = [int(m.group(2)), int(m.group(1)), None, False]
            out.append(current)
        elif (m := NAL.search(line)) and current is not None and current[2] is None \
                and int(m.group(1)) in SLICE_TYPES:
            current[2], current[3] = int(m.group(2)), int(m.group(1)) == 5
    return out


def needed(pk, mod):
    """Decode indices of the packets the selected frames need, and the selected count."""
    order = sorted(range(len(pk)), key=lambda i: pk[i][0])
    display = {d: i for i, d in enumerate(order)}
    need, last_idr, selected = set(), 0, 0
    for d, (_, _, _, idr) in enumerate(pk):
        if idr:
            last_idr = d
        if display[d] % mod == 0:
            selected += 1
            need.add(d)
            need.update(k for k in range(last_idr, d) if pk[k][2])
    return need, selected


def drop_expression(pk, need):
    runs = []
    for d in (d for d in range(len(pk)) if d not in need):
        if runs and runs[-1][1] == d - 1:
            runs[-1][1] = d
        else:
            runs.append([d, d])
    # Commas are escaped for FFmpeg's bitstream-filter list syntax.
    return "+".join(f"between(n\\,{a}\\,{b})" for a, b in runs) or "0"


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def full_decode(video, tail):
    return subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-threads", "1", "-i", f"file:{video}",
         "-map", "0:V:0", "-fps_mode", "passthrough", *tail],
        check=True, capture_output=True, text=True).stdout


def skipping_decode(video, expr, tail):
    first = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", f"file:{video}", "-map", "0:V:0",
         "-c", "copy", "-bsf:v", f"noise=drop={expr}", "-f", "nut", "-"],
        stdout=subprocess.PIPE)
    second = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-threads", "1", "-f", "nut", "-i", "-",
         "-fps_mode", "passthrough", *tail],
        stdin=first.stdout, check=True, capture_output=True, text=True)
    first.stdout.close()
    if first.wait() != 0:
        raise RuntimeError(f"{video}: packet-dropping ffmpeg failed")
    return second.stdout


def cpu_of(fn, runs):
    times = []
    for _ in range(runs):
        c0 = cpu_children()
        fn()
        times.append(cpu_children() - c0)
    return min(times)


def md5s(out):
    return [line.split(",")[5].strip() for line in out.splitlines() if not line.startswith("#")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--core", type=int, default=0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("videos", nargs="+")
    a = ap.parse_args()
    os.sched_setaffinity(0, {a.core})
    print("| video | frames | reference frames | decoded when skipping | selected frames "
          "bit-exact | CPU s, full decode | CPU s, skipping (2 processes) |")
    print("|---|---|---|---|---|---|---|")
    sums = [0, 0, 0, 0.0, 0.0]
    all_exact = True
    null = ["-f", "null", "-"]
    for video in a.videos:
        pk = packets(video)
        mod = frame_mod(video)
        need, selected = needed(pk, mod)
        expr = drop_expression(pk, need)
        full = md5s(full_decode(video, ["-f", "framemd5", "-"]))
        kept = set(md5s(skipping_decode(video, expr, ["-f", "framemd5", "-"])))
        exact = len(full) == len(pk) and all(full[i] in kept for i in range(0, len(full), mod))
        all_exact &= exact
        c_full = cpu_of(lambda: full_decode(video, null), a.runs)
        c_skip = cpu_of(lambda: skipping_decode(video, expr, null), a.runs)
        refs = sum(1 for p in pk if p[2])
        for i, x in enumerate((len(pk), refs, len(need), c_full, c_skip)):
            sums[i] += x
        print(f"| {os.path.basename(video)} | {len(pk)} | {refs} | {len(need)} "
              f"| {selected}: {exact} | {c_full:.2f} | {c_skip:.2f} |")
    print(f"| all | {sums[0]} | {sums[1]} ({sums[1] / sums[0]:.0%}) | {sums[2]} "
          f"({sums[2] / sums[0]:.0%}) | {all_exact} | {sums[3]:.2f} | {sums[4]:.2f} |")
    print(f"\nCPU times are the minimum of {a.runs} runs, one core (children included, "
          f"so each includes its process start-ups); skipping / full = {sums[4] / sums[3]:.2f}")


if __name__ == "__main__":
    main()
