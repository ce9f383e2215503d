/**
 * vPDQ (Meta's video PDQ) in the browser: WebCodecs decodes an MP4's H.264 track locally, each
 * selected frame is converted to RGB as swscale converts it for the reference, and `pdq.ts`
 * hashes it. The video never leaves the worker.
 *
 * Key decisions, each matching the reference (`vpdq/cpp/hashing/filehasher.cpp`) and
 * `quell-vpdq`:
 * - Frames are counted in the decoder's output order (presentation order), every frame, none
 *   dropped or duplicated; frame `n` is hashed iff `n % frameMod == 0` with
 *   `frameMod = max(1, int(secondsPerHash × fps))`, `fps` = FFmpeg's `avg_frame_rate`, and its
 *   timestamp is `n / fps`.
 * - Pixels: the decoded 4:2:0 planes at the stored (cropped) size, converted with BT.601
 *   limited-range coefficients and nearest chroma (swscale's unscaled YUV→RGB24 path, which
 *   the reference takes and which ignores the stream's colour tags), then the C++'s float32
 *   luma (`lumaOfFloat32`) and PDQ.
 * - `hardwareAcceleration: "prefer-software"`: Chromium then decodes H.264 in software (with
 *   FFmpeg's decoder), and H.264 decoding is exact by the standard, so the planes are the
 *   reference's. Measured in `e2e/video.test.mjs`: every frame of the 14 sample videos gives
 *   the reference's hash and quality, bit for bit.
 *
 * Memory is bounded: samples are read from the `File` in slices of at most `READ_BYTES`, at
 * most `MAX_QUEUED_CHUNKS` chunks wait in the decoder, at most `MAX_HELD_FRAMES` decoded frames
 * wait to be hashed, and every `VideoFrame` is closed as soon as it is counted or hashed.
 */

import { UnsupportedVideo, readVideoTrack, type SampleRef } from "./mp4";
import { lumaOfFloat32, pdqFromLuma } from "./pdq";
import { MAX_VPDQ_FRAMES, type VpdqFrame } from "./protocol";

export { UnsupportedVideo } from "./mp4";

/**
 * Most frames decoded for one video (every frame is decoded, even those not hashed): one hour
 * at 30 frames per second, about 9 minutes at the rate measured on a busy 2-core machine
 * (BENCHMARKS.md). Longer videos get MD5 and SHA-256 here and are pointed to `quell case open`.
 */
export const MAX_DECODED_FRAMES = 108_000;

/** Largest frame decoded, in pixels (4096×2304; a 4K UHD frame is 8.3 MP). */
export const MAX_VIDEO_PIXELS = 4096 * 2304;

/** The page's setting, as `quell case open` and pytx: one hash per second of video. */
export const SECONDS_PER_HASH = 1;

const READ_BYTES = 4 << 20;
const MAX_QUEUED_CHUNKS = 16;
const MAX_HELD_FRAMES = 2;

/** A video longer than this page decodes; the message says by how much. */
export class VideoTooLong extends Error {}

/** `frameMod`: hash one frame in this many (at least 1). */
export function frameModulus(secondsPerHash: number, fps: number): number {
  return Math.max(1, Math.trunc(secondsPerHash * fps));
}

/** One 8-bit 4:2:0 picture: a luma plane and two chroma planes (or one interleaved, NV12). */
export interface Yuv420 {
  width: number;
  height: number;
  data: Uint8Array;
  y: { offset: number; stride: number };
  u: { offset: number; stride: number };
  v: { offset: number; stride: number };
  /** Bytes between two chroma samples in a row: 1 for planar I420, 2 for NV12. */
  chromaStep: number;
}

const clamp8 = (x: number): number => (x < 0 ? 0 : x > 255 ? 255 : x);

/**
 * swscale's BT.601 limited-range YUV→RGB coefficients (`ff_yuv2rgb_coeffs[SWS_CS_DEFAULT]`,
 * scaled as `ff_yuv2rgb_c_init_tables` scales them for its x86 code): 16-bit fixed point for
 * `pmulhw`, i.e. the product's high 16 bits.
 */
const Y_COEFF = 9539; // round(65536·255/219 / 8)
const Y_OFFSET = 16 << 3;
const VR_COEFF = 13075; // round(104597 / 8)
const UB_COEFF = 16525; // round(132201 / 8)
const UG_COEFF = -3209; // round(−25675 / 8)
const VG_COEFF = -6660; // round(−53279 / 8)

/** x86 `pmulhw`: the high 16 bits of a signed 16×16-bit product (a floor, not a rounding). */
const mulhi = (a: number, b: number): number => (a * b) >> 16;

/**
 * 4:2:0 limited-range BT.601 to interleaved RGB24 as swscale's unscaled converter does it on
 * x86 (`yuv2rgb` SSSE3, the path the reference takes for 8-bit 4:2:0 at an even height): each
 * chroma sample covers its 2×2 block (no interpolation), 3 extra bits of precision, products
 * floored, sums saturated to 0–255. On the sample videos this equals FFmpeg's RGB24 byte for
 * byte (`test/vpdq.test.ts`).
 */
export function yuv420ToRgb(p: Yuv420, out: Uint8Array): void {
  const { width, height, data, chromaStep } = p;
  if (out.length < width * height * 3) throw new Error(`RGB buffer too short for ${width}x${height}`);
  let o = 0;
  for (let row = 0; row < height; row++) {
    const yRow = p.y.offset + row * p.y.stride;
    const uRow = p.u.offset + (row >> 1) * p.u.stride;
    const vRow = p.v.offset + (row >> 1) * p.v.stride;
    for (let col = 0; col < width; col++) {
      const c = (col >> 1) * chromaStep;
      const u = (data[uRow + c] << 3) - 1024;
      const v = (data[vRow + c] << 3) - 1024;
      const y = mulhi((data[yRow + col] << 3) - Y_OFFSET, Y_COEFF);
      out[o++] = clamp8(y + mulhi(v, VR_COEFF));
      out[o++] = clamp8(y + mulhi(u, UG_COEFF) + mulhi(v, VG_COEFF));
      out[o++] = clamp8(y + mulhi(u, UB_COEFF));
    }
  }
}

/** The planes of a decoded frame at its visible (stored) size, copied into `buffer`. */
async function planesOf(frame: VideoFrame, buffer: Uint8Array): Promise<Yuv420> {
  const { width, height } = frame.visibleRect ?? { width: frame.codedWidth, height: frame.codedHeight };
  const layout = await frame.copyTo(buffer);
  switch (frame.format) {
    case "I420":
    case "I420A": // alpha, if any, is ignored as the reference ignores it
      return { width, height, data: buffer, y: layout[0], u: layout[1], v: layout[2], chromaStep: 1 };
    case "NV12":
      return { width, height, data: buffer, y: layout[0], u: layout[1], v: { offset: layout[1].offset + 1, stride: layout[1].stride }, chromaStep: 2 };
    default:
      throw new UnsupportedVideo(`the decoder gave frames in ${frame.format ?? "an opaque format"}, not 8-bit 4:2:0`);
  }
}

/** Reads the samples in decode order, a slice of up to `READ_BYTES` of adjacent samples at a time. */
async function* sampleBytes(file: Blob, samples: SampleRef[]): AsyncGenerator<[SampleRef, Uint8Array]> {
  let i = 0;
  while (i < samples.length) {
    const start = samples[i].offset;
    let end = start + samples[i].size;
    let j = i + 1;
    while (j < samples.length && samples[j].offset === end && end + samples[j].size - start <= READ_BYTES) {
      end += samples[j].size;
      j++;
    }
    const bytes = new Uint8Array(await file.slice(start, end).arrayBuffer());
    for (; i < j; i++) yield [samples[i], bytes.subarray(samples[i].offset - start, samples[i].offset - start + samples[i].size)];
  }
}

/** The caps of `hashVideo`; the defaults are the page's. */
export interface VideoLimits {
  maxDecodedFrames: number;
  maxHashes: number;
}

const PAGE_LIMITS: VideoLimits = { maxDecodedFrames: MAX_DECODED_FRAMES, maxHashes: MAX_VPDQ_FRAMES };

/**
 * The vPDQ of an MP4/MOV file's H.264 video track. `onProgress` gets the share of frames
 * decoded so far (0 to 1). The caps are checked on the sample table, before any decoding.
 *
 * @throws UnsupportedVideo when this browser or this file cannot be hashed here.
 * @throws VideoTooLong past `maxDecodedFrames` frames or `maxHashes` hashes.
 */
export async function hashVideo(
  file: Blob,
  secondsPerHash: number,
  onProgress: (done: number) => void,
  limits: Partial<VideoLimits> = {},
): Promise<VpdqFrame[]> {
  const { maxDecodedFrames, maxHashes } = { ...PAGE_LIMITS, ...limits };
  const track = await readVideoTrack(file);
  const total = track.samples.length;
  const frameMod = frameModulus(secondsPerHash, track.fps);
  if (total > maxDecodedFrames) {
    throw new VideoTooLong(`${total} frames; this page decodes at most ${maxDecodedFrames}`);
  }
  if (Math.ceil(total / frameMod) > maxHashes) {
    throw new VideoTooLong(`${Math.ceil(total / frameMod)} hashes; a case takes at most ${maxHashes}`);
  }
  if (track.width * track.height > MAX_VIDEO_PIXELS) {
    throw new UnsupportedVideo(`${track.width}×${track.height} pixels per frame is more than this page decodes`);
  }
  if (typeof VideoDecoder === "undefined") throw new UnsupportedVideo("this browser has no WebCodecs video decoder");
  const config: VideoDecoderConfig = {
    codec: track.codec,
    description: track.description,
    codedWidth: track.width,
    codedHeight: track.height,
    hardwareAcceleration: "prefer-software",
  };
  const support = await VideoDecoder.isConfigSupported(config);
  if (!support.supported) throw new UnsupportedVideo(`this browser cannot decode ${track.codec} video`);

  const hashed: VpdqFrame[] = [];
  let decoded = 0;
  let held = 0;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const poke = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  let buffer = new Uint8Array(0);
  let rgb = new Uint8Array(0);
  let luma = new Float32Array(0);
  let hashing: Promise<void> = Promise.resolve();
  let reported = 0;

  const hashFrame = async (frame: VideoFrame, n: number): Promise<void> => {
    try {
      if (failure) return;
      const size = frame.allocationSize();
      if (buffer.length < size) buffer = new Uint8Array(size);
      const planes = await planesOf(frame, buffer);
      frame.close();
      const { width, height } = planes;
      if (luma.length !== width * height) {
        rgb = new Uint8Array(width * height * 3);
        luma = new Float32Array(width * height);
      }
      yuv420ToRgb(planes, rgb);
      lumaOfFloat32(rgb, width, height, luma);
      const { hex, quality } = pdqFromLuma(luma, width, height);
      hashed.push({ frame: n, hex, quality, timestamp: n / track.fps });
    } catch (e) {
      failure ??= e instanceof Error ? e : new Error(String(e));
    } finally {
      frame.close();
      held--;
      poke();
    }
  };

  const decoder = new VideoDecoder({
    output: (frame) => {
      const n = decoded++;
      if (n >= total || n % frameMod !== 0) {
        // More frames out than samples in would be a decoder bug; they are not counted.
        frame.close();
      } else {
        held++;
        hashing = hashing.then(() => hashFrame(frame, n));
      }
      if (decoded - reported >= total / 100) {
        reported = decoded;
        onProgress(Math.min(decoded / total, 1));
      }
    },
    error: (e) => {
      failure ??= new UnsupportedVideo(`the browser's decoder failed: ${e.message}`);
      poke();
    },
  });
  decoder.addEventListener("dequeue", poke);
  const until = async (ready: () => boolean): Promise<void> => {
    while (!ready() && !failure) await new Promise<void>((r) => (wake = r));
  };

  try {
    decoder.configure(config);
    for await (const [sample, data] of sampleBytes(file, track.samples)) {
      await until(() => decoder.decodeQueueSize < MAX_QUEUED_CHUNKS && held < MAX_HELD_FRAMES);
      if (failure) break;
      decoder.decode(
        new EncodedVideoChunk({
          type: sample.key ? "key" : "delta",
          timestamp: Math.round((sample.cts * 1e6) / track.timescale),
          duration: Math.round((sample.duration * 1e6) / track.timescale),
          data,
        }),
      );
    }
    if (!failure) await decoder.flush();
  } catch (e) {
    failure ??= e instanceof Error ? e : new Error(String(e));
  } finally {
    await hashing;
    if (decoder.state !== "closed") decoder.close();
  }
  if (failure) throw failure;
  if (decoded !== total) throw new UnsupportedVideo(`the browser's decoder gave ${decoded} frames for ${total} in the file`);
  return hashed;
}
