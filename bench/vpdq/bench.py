"""Times vpdq (pip) and `quell hash` on the same videos, all pinned to one core.

Quell runs with each of its decoders: `ffmpeg` (child processes), `libav` (in-process, exact
frame skipping) and, at one hash per second, `libav` decoding every frame (in-process alone,
without skipping). Throughput is source video frames per second; CPU seconds include Quell's
FFmpeg child processes.

Two floors are measured in the same run, to show where the time goes: decoding alone
(`ffmpeg ... -f null`, the same libavcodec both sides use, every frame) and process
start-up (`ffprobe` as Quell runs it, and `ffmpeg -version`, once per video).
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import vpdq


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cpu_self():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_vpdq(videos, sph):
    out = {}
    for v in videos:
        feats = vpdq.computeHash(str(v), seconds_per_hash=sph, thread_count=1)
        out[v.stem] = [(f.frame_number, f.quality, f.hex) for f in feats]
    return out


QUELL_TOOLS = {
    "quell ffmpeg": ["--video-decoder", "ffmpeg"],
    "quell libav": ["--video-decoder", "libav"],
    "quell libav, every frame decoded": ["--video-decoder", "libav", "--decode-every-frame"],
}


def run_quell(quell, videos, sph, flags):
    p = subprocess.run(
        [quell, "hash", "--seconds-per-hash", str(sph), *flags, *map(str, videos)],
        check=True, capture_output=True, text=True,
    )
    out, name = {}, None
    for line in p.stdout.splitlines():
        if line.startswith("vpdq "):
            name = Path(line.split(" ", 2)[2]).stem
            out[name] = []
        else:
            n, q, h, _ = line.split(",")
            out[name].append((int(n), int(q), h))
    return out


def run_ffmpeg_floor(videos):
    """Decoding alone: every frame, one thread, nothing converted or hashed."""
    for v in videos:
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-threads", "1", "-i", f"file:{v}",
             "-map", "0:V:0", "-f", "null", "-"],
            check=True, capture_output=True)


def run_ffprobe(videos):
    """Quell's probe of each file (the same arguments as crates/vpdq/src/decode.rs)."""
    for v in videos:
        subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "V:0", "-show_entries",
             "stream=codec_name,width,height,avg_frame_rate,r_frame_rate,nb_frames,duration"
             ":format=duration", "-of", "json", f"file:{v}"],
            check=True, capture_output=True)


def run_ffmpeg_start(videos):
    """Process start-up alone: FFmpeg's programs load about 200 shared libraries."""
    for _ in videos:
        subprocess.run(["ffmpeg", "-version"], check=True, capture_output=True)


def timed(fn, cpu):
    c0, t0 = cpu(), time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, cpu() - c0, result


def distance(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quell", required=True)
    ap.add_argument("--videos", required=True, type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--core", type=int, default=0)
    ap.add_argument("--seconds-per-hash", default="1,0",
                    help="comma-separated seconds_per_hash values to measure")
    a = ap.parse_args()
    os.sched_setaffinity(0, {a.core})  # children (ffmpeg, quell) inherit it
    videos = sorted(a.videos.glob("*.mp4"))
    frames = 0
    for v in videos:
        p = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "V:0", "-count_frames",
             "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(v)],
            check=True, capture_output=True, text=True)
        frames += int(p.stdout.strip())
    cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                      if l.startswith("model name")), "unknown")
    print(f"# vPDQ benchmark\n\n- CPU: {cpu_model}; both sides pinned to core {a.core}")
    print(f"- {len(videos)} videos, {frames} frames in total; {a.runs} runs, medians")
    print(f"- vpdq {getattr(vpdq, '__version__', '0.2.5')} (thread_count=1) vs {a.quell} "
          f"with each decoder")
    print("- load average (1, 5, 15 min) at start: %.2f %.2f %.2f\n" % os.getloadavg())
    print("| seconds_per_hash | tool | wall s | CPU s | frames/s (wall) | frames/s per CPU s |")
    print("|---|---|---|---|---|---|")
    ratios, vpdq_cpu = [], {}
    for sph in (float(x) if "." in x else int(x) for x in a.seconds_per_hash.split(",")):
        res = {}
        # Skipping changes nothing when every frame is hashed.
        tools = ["vpdq", *(t for t in QUELL_TOOLS if sph == 1 or "every frame" not in t)]
        for tool in tools:
            walls, cpus = [], []
            for _ in range(a.runs):
                if tool == "vpdq":
                    w, c, out = timed(lambda: run_vpdq(videos, sph), cpu_self)
                else:
                    w, c, out = timed(
                        lambda: run_quell(a.quell, videos, sph, QUELL_TOOLS[tool]), cpu_children)
                walls.append(w)
                cpus.append(c)
            res[tool] = (statistics.median(walls), statistics.median(cpus), out)
            w, c, _ = res[tool]
            print(f"| {sph} | {tool} | {w:.2f} | {c:.2f} | {frames / w:.0f} | {frames / c:.0f} |")
        vpdq_cpu[sph] = res["vpdq"][1]
        for tool in tools[1:]:
            ratios.append((sph, tool, res["vpdq"][0] / res[tool][0], res["vpdq"][1] / res[tool][1]))
            # Agreement on this run's outputs.
            worst, count_ok = 0, True
            for name, ref in res["vpdq"][2].items():
                ours = res[tool][2][name]
                count_ok &= [f[0] for f in ours] == [f[0] for f in ref]
                for (_, q1, h1), (_, q2, h2) in zip(ours, ref):
                    if q2 >= 80:
                        worst = max(worst, distance(h1, h2))
            print(f"| {sph} | agreement of {tool} with vpdq | same frame numbers: {count_ok} "
                  f"| max distance at quality >= 80: {worst} | | |")
    floors = {}
    for label, fn in (("ffmpeg decode only, every frame (-f null)", run_ffmpeg_floor),
                      ("ffprobe once per video (start-up and probe)", run_ffprobe),
                      ("ffmpeg -version once per video (start-up)", run_ffmpeg_start)):
        walls, cpus = [], []
        for _ in range(a.runs):
            w, c, _ = timed(lambda: fn(videos), cpu_children)
            walls.append(w)
            cpus.append(c)
        floors[label] = statistics.median(cpus)
        w, c = statistics.median(walls), floors[label]
        print(f"| - | {label} | {w:.2f} | {c:.2f} | {frames / w:.0f} | {frames / c:.0f} |")
    print()
    print("- load average (1, 5, 15 min) at end: %.2f %.2f %.2f" % os.getloadavg())
    for sph, tool, rw, rc in ratios:
        print(f"- seconds_per_hash={sph}: {tool} is {rw:.2f}x vpdq by wall time, "
              f"{rc:.2f}x by CPU time")
    decode = floors["ffmpeg decode only, every frame (-f null)"]
    if 1 in vpdq_cpu:
        print(f"- ceiling for anything that decodes every frame with this libavcodec: vpdq CPU "
              f"at seconds_per_hash=1 / decode-only CPU = {vpdq_cpu[1] / decode:.2f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
