// vPDQ pieces that run without a browser, on the real sample videos: the MP4 sample tables
// (frame counts and rates as FFmpeg reads them), the YUV→RGB conversion against FFmpeg's own
// RGB24, and the whole per-frame pipeline (FFmpeg's decoded planes → our RGB → float32 luma →
// PDQ) against the reference hashes. WebCodecs itself is measured in e2e/video.test.mjs.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, openAsBlob, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { MAX_MOOV_BYTES, UnsupportedVideo, readVideoTrack } from "../src/mp4";
import { lumaOfFloat32, pdqFromLuma } from "../src/pdq";
import { MAX_VPDQ_FRAMES, vpdqSignal, type VpdqFrame } from "../src/protocol";
import { VideoTooLong, frameModulus, hashVideo, yuv420ToRgb, type Yuv420 } from "../src/vpdq";
import { vectorsDir } from "./vectors";

const vpdqDir = join(vectorsDir(), "vpdq");
const videos = readdirSync(join(vpdqDir, "videos"))
  .filter((f) => f.endsWith(".mp4"))
  .map((f) => f.slice(0, -4));

/** `frame_number,quality,pdq_hex,timestamp` lines of a reference file. */
function reference(dir: string, name: string): { frame: number; quality: number; hex: string; timestamp: string }[] {
  return readFileSync(join(vpdqDir, dir, `${name}.txt`), "utf8")
    .trimEnd()
    .split("\n")
    .map((line) => {
      const [frame, quality, hex, timestamp] = line.split(",");
      return { frame: Number(frame), quality: Number(quality), hex, timestamp };
    });
}

const videoBlob = (name: string) => openAsBlob(join(vpdqDir, "videos", `${name}.mp4`));

const scratch = mkdtempSync(join(tmpdir(), "quell-vpdq-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A short generated H.264 video, with extra ffmpeg output options. */
function generated(name: string, options: string[]): string {
  const path = join(scratch, name);
  execFileSync("ffmpeg", [
    "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=64x48:rate=10",
    "-c:v", "libx264", "-pix_fmt", "yuv420p", ...options, "-y", path,
  ]);
  return path;
}

describe("MP4 sample tables", () => {
  it("has the 14 sample videos", () => expect(videos.length).toBe(14));
  for (const name of videos) {
    it(`${name}: one sample per reference frame, 30 fps, H.264 from a key frame`, async () => {
      const track = await readVideoTrack(await videoBlob(name));
      expect(track.samples.length).toBe(reference("expected", name).length);
      expect(track.fps).toBe(30);
      expect(track.codec).toMatch(/^avc1\.[0-9a-f]{6}$/i);
      expect(track.samples[0].key).toBe(true);
      expect(track.description[0]).toBe(1); // avcC configurationVersion
      // One hash per second selects exactly the reference's frames.
      const frameMod = frameModulus(1, track.fps);
      const selected = track.samples.map((_, n) => n).filter((n) => n % frameMod === 0);
      expect(selected).toEqual(reference("expected-1s", name).map((r) => r.frame));
    });
  }

  it("finds the movie header after the media data (test-padded-dimensions has moov last)", async () => {
    const blob = await videoBlob("test-padded-dimensions");
    const track = await readVideoTrack(blob);
    expect(track.samples[0].offset).toBeLessThan(64); // mdat comes right after ftyp
    expect({ width: track.width, height: track.height }).toEqual({ width: 1080, height: 1080 });
  });

  it("reads QuickTime with audio; mp4box's complaints about its metadata stay out of the console", async () => {
    const mov = join(scratch, "clip.mov");
    execFileSync("ffmpeg", [
      "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=64x48:rate=10", "-f", "lavfi", "-i", "sine=duration=1",
      "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-y", mov,
    ]);
    const errors = vi.spyOn(console, "error");
    try {
      const track = await readVideoTrack(await openAsBlob(mov));
      expect(track.samples.length).toBe(10);
      expect(track.fps).toBe(10);
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
  });

  it("refuses what FFmpeg would number differently or that is not MP4", async () => {
    const refusal = async (blob: Blob) => {
      try {
        await readVideoTrack(blob);
      } catch (e) {
        expect(e).toBeInstanceOf(UnsupportedVideo);
        return (e as Error).message;
      }
      throw new Error("accepted");
    };
    expect(await refusal(await openAsBlob(generated("frag.mp4", ["-movflags", "frag_keyframe+empty_moov"])))).toMatch(/fragmented/);
    expect(await refusal(await openAsBlob(generated("clip.webm", ["-c:v", "libvpx"])))).toMatch(/not an MP4/);
    // Starts 0.3 s into the media: FFmpeg would drop the first 3 frames.
    const cut = generated("cut.mp4", []);
    const edited = join(scratch, "edited.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-ss", "0.3", "-i", cut, "-c", "copy", "-y", edited]);
    expect(await refusal(await openAsBlob(edited))).toMatch(/edit list cuts frames/);
    const whole = readFileSync(join(vpdqDir, "videos", "test-padded-dimensions.mp4"));
    expect(await refusal(new Blob([whole.subarray(0, whole.length - 100)]))).toMatch(/ends inside the movie header/);
    const chair = readFileSync(join(vpdqDir, "videos", "chair-19-sd-bar.mp4"));
    expect(await refusal(new Blob([chair.subarray(0, chair.length >> 1)]))).toMatch(/cut short/);
    expect(await refusal(new Blob([new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0])]))).toMatch(/not an MP4/);
    // A box claiming a movie header far larger than the limit is refused before it is read.
    const big = new Uint8Array(16);
    new DataView(big.buffer).setUint32(0, MAX_MOOV_BYTES + 1);
    big.set([0x6d, 0x6f, 0x6f, 0x76], 4);
    expect(await refusal(new Blob([big]))).toMatch(/larger than/);
  });
});

describe("frame selection and the wire form", () => {
  it("frameMod is int(seconds × fps), at least 1", () => {
    expect(frameModulus(1, 30)).toBe(30);
    expect(frameModulus(1, 30000 / 1001)).toBe(29);
    expect(frameModulus(0, 30)).toBe(1);
    expect(frameModulus(0.5, 25)).toBe(12);
    expect(frameModulus(1, 0.5)).toBe(1);
  });

  it("the signal string is the registry's canonical form", () => {
    const ref = reference("expected-1s", "pattern-hd-no-bar");
    const frames: VpdqFrame[] = ref.map((r) => ({ frame: r.frame, hex: r.hex, quality: r.quality, timestamp: r.frame / 30 }));
    const signal = vpdqSignal(frames);
    expect(signal).toBe(`[${ref.map((r) => `"${r.hex},${r.quality},${r.timestamp}"`).join(",")}]`);
    expect(JSON.parse(signal)[1]).toBe(`${ref[1].hex},${ref[1].quality},1.000`);
  });

  it("a video with more hashes or frames than allowed is refused before decoding", async () => {
    const blob = await videoBlob("chair-19-sd-bar"); // 564 frames
    expect(MAX_VPDQ_FRAMES).toBe(10_000);
    await expect(hashVideo(blob, 1, () => {}, { maxDecodedFrames: 563 })).rejects.toBeInstanceOf(VideoTooLong);
    await expect(hashVideo(blob, 0, () => {}, { maxHashes: 563 })).rejects.toBeInstanceOf(VideoTooLong);
    // Within the limits, Node has no WebCodecs: refused as unsupported, not crashed.
    await expect(hashVideo(blob, 1, () => {})).rejects.toBeInstanceOf(UnsupportedVideo);
  });
});

/** The first `frames` decoded frames of a video as FFmpeg's planes (yuv420p) or RGB24 bytes. */
async function ffmpegFrames(path: string, frames: number, pixFmt: "yuv420p" | "rgb24", frameBytes: number, each: (frame: Uint8Array, n: number) => void): Promise<number> {
  const child = spawn("ffmpeg", [
    "-v", "error", "-i", path, "-frames:v", String(frames),
    "-sws_flags", "area", "-f", "rawvideo", "-pix_fmt", pixFmt, "-",
  ], { stdio: ["ignore", "pipe", "inherit"] });
  let pending = Buffer.alloc(0);
  let n = 0;
  for await (const chunk of child.stdout) {
    pending = Buffer.concat([pending, chunk as Buffer]);
    while (pending.length >= frameBytes) {
      each(new Uint8Array(pending.subarray(0, frameBytes)), n++);
      pending = pending.subarray(frameBytes);
    }
  }
  await new Promise((ok) => child.once("close", ok));
  return n;
}

function i420(data: Uint8Array, width: number, height: number): Yuv420 {
  const ys = width * height;
  const cs = (width >> 1) * (height >> 1);
  return { width, height, data, y: { offset: 0, stride: width }, u: { offset: ys, stride: width >> 1 }, v: { offset: ys + cs, stride: width >> 1 }, chromaStep: 1 };
}

describe("frames: FFmpeg's decoded planes through our conversion and PDQ", () => {
  const cases = [
    { name: "chair-19-sd-bar", width: 480, height: 720 },
    { name: "pattern-hd-no-bar", width: 720, height: 1280 },
    { name: "test-padded-dimensions", width: 1080, height: 1080 },
  ];
  for (const { name, width, height } of cases) {
    it(`${name}: the first 40 frames hash exactly as the reference`, async () => {
      const want = reference("expected", name);
      const rgb = new Uint8Array(width * height * 3);
      const luma = new Float32Array(width * height);
      const got: string[] = [];
      const n = await ffmpegFrames(join(vpdqDir, "videos", `${name}.mp4`), 40, "yuv420p", (width * height * 3) / 2, (frame) => {
        yuv420ToRgb(i420(frame, width, height), rgb);
        lumaOfFloat32(rgb, width, height, luma);
        const { hex, quality } = pdqFromLuma(luma, width, height);
        got.push(`${quality},${hex}`);
      });
      expect(n).toBe(40);
      expect(got).toEqual(want.slice(0, 40).map((r) => `${r.quality},${r.hex}`));
    });
  }

  // The sample whose width is a multiple of 8, and a generated one 854 px wide (not a multiple
  // of 8 or 16, where SIMD code paths often change).
  it.runIf(process.arch === "x64")("RGB equals FFmpeg's RGB24 byte for byte (x86 swscale, as for the reference)", async () => {
    const wide = generated("wide.mp4", ["-vf", "scale=854:480"]);
    for (const [path, width, height] of [
      [join(vpdqDir, "videos", "test-padded-dimensions.mp4"), 1080, 1080],
      [wide, 854, 480],
    ] as const) {
      const planes: Uint8Array[] = [];
      await ffmpegFrames(path, 5, "yuv420p", (width * height * 3) / 2, (f) => planes.push(f));
      const rgb = new Uint8Array(width * height * 3);
      let compared = 0;
      await ffmpegFrames(path, 5, "rgb24", width * height * 3, (want, n) => {
        yuv420ToRgb(i420(planes[n], width, height), rgb);
        expect(Buffer.compare(Buffer.from(rgb), Buffer.from(want)), `${path} frame ${n}`).toBe(0);
        compared++;
      });
      expect(compared).toBe(5);
    }
  });

  it("NV12 (interleaved chroma) gives the same RGB as I420", () => {
    const [width, height] = [6, 4];
    const data = new Uint8Array(width * height * 3 / 2);
    for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) & 255;
    const planar = new Uint8Array(width * height * 3);
    yuv420ToRgb(i420(data, width, height), planar);
    const ys = width * height;
    const cs = ys / 4;
    const nv12 = new Uint8Array(data.length);
    nv12.set(data.subarray(0, ys));
    for (let i = 0; i < cs; i++) {
      nv12[ys + 2 * i] = data[ys + i];
      nv12[ys + 2 * i + 1] = data[ys + cs + i];
    }
    const interleaved = new Uint8Array(width * height * 3);
    yuv420ToRgb({ width, height, data: nv12, y: { offset: 0, stride: width }, u: { offset: ys, stride: width }, v: { offset: ys + 1, stride: width }, chromaStep: 2 }, interleaved);
    expect(interleaved).toEqual(planar);
  });

  it("limited-range black and white are 0 and 255; out-of-range values saturate", () => {
    const rgb = new Uint8Array(4 * 2 * 3);
    const plane = (y: number[], u: number, v: number) => new Uint8Array([...y, u, u, v, v]); // 2×1 chroma
    yuv420ToRgb(i420(plane([16, 16, 235, 235, 16, 16, 235, 235], 128, 128), 4, 2), rgb);
    expect([...rgb.subarray(0, 3)]).toEqual([0, 0, 0]);
    expect([...rgb.subarray(6, 9)]).toEqual([255, 255, 255]);
    yuv420ToRgb(i420(plane([0, 0, 255, 255, 0, 0, 255, 255], 255, 0), 4, 2), rgb);
    for (const v of rgb) expect(v >= 0 && v <= 255).toBe(true);
    // Y=0, U=255, V=0 by hand: y = (−128·9539)>>16 = −19, R = −19 + (−1024·13075)>>16 = −224 → 0,
    // G = −19 + (1016·−3209)>>16 + (−1024·−6660)>>16 = −19 − 50 + 104 = 35, B = −19 + 256 = 237.
    expect([...rgb.subarray(0, 3)]).toEqual([0, 35, 237]);
  });
});
