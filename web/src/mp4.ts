/**
 * The video track of an MP4/MOV file, read the way FFmpeg's `mov` demuxer reads it for vPDQ,
 * without holding the file in memory.
 *
 * Key decision: only the `moov` box (the sample tables) is parsed, by `mp4box`; the samples
 * themselves are later read straight from the `File` by offset and size. The top-level boxes
 * are walked with small `Blob.slice` reads to find `moov` wherever it is (phones often write it
 * last), so a video of several gigabytes costs its sample table, not its size.
 *
 * What is refused (`UnsupportedVideo`, and the page falls back to MD5 and SHA-256): not an
 * ISO-BMFF file (WebM, AVI, …), fragmented MP4 (its samples live in `moof` boxes), no video
 * track, a first sample that is not a key frame, and edit lists that would make FFmpeg skip
 * samples (so that the frame numbers would differ from the reference's).
 */

import { DataStream, Endianness, MP4BoxBuffer, createFile, type Movie, type Track } from "mp4box";

/** Why a video cannot be hashed here; the page then sends its exact fingerprints only. */
export class UnsupportedVideo extends Error {}

/** One coded frame: where its bytes are and when it is shown. */
export interface SampleRef {
  offset: number;
  size: number;
  key: boolean;
  /** Composition (presentation) time, in `timescale` units. */
  cts: number;
  duration: number;
}

/** What `VideoDecoder` needs, plus the frame rate FFmpeg reports as `avg_frame_rate`. */
export interface VideoTrack {
  /** RFC 6381 codec string, e.g. `avc1.4d401e`. */
  codec: string;
  /** The codec configuration record (`avcC` body) for `VideoDecoderConfig.description`. */
  description: Uint8Array;
  width: number;
  height: number;
  timescale: number;
  /** `avg_frame_rate` as FFmpeg's mov demuxer computes it: timescale × frames / Σ stts durations. */
  fps: number;
  /** In decode order, as stored. */
  samples: SampleRef[];
}

/** Largest `moov` box read, in bytes (hours of video have a sample table of a few MB). */
export const MAX_MOOV_BYTES = 64 << 20;

/** Top-level boxes walked before giving up on finding `moov`. */
const MAX_TOP_LEVEL_BOXES = 10_000;

const FOURCC = /^[\x20-\x7e]{4}$/;

/** A minimal `ftyp` for files without one (old QuickTime): mp4box needs a file type to report. */
const FALLBACK_FTYP = new Uint8Array([0, 0, 0, 16, 0x66, 0x74, 0x79, 0x70, 0x71, 0x74, 0x20, 0x20, 0, 0, 0, 0]);

/** Largest `ftyp` box kept (it only lists brands). */
const MAX_FTYP_BYTES = 4096;

/**
 * Finds the `moov` box by walking the top-level box headers; returns the `ftyp` and `moov`
 * boxes, one after the other, as mp4box reads them.
 */
async function readHeaders(file: Blob): Promise<ArrayBuffer> {
  let ftyp: Blob = new Blob([FALLBACK_FTYP]);
  let pos = 0;
  for (let n = 0; n < MAX_TOP_LEVEL_BOXES && pos + 8 <= file.size; n++) {
    const head = new DataView(await file.slice(pos, pos + 16).arrayBuffer());
    let size = head.getUint32(0);
    const type = String.fromCharCode(head.getUint8(4), head.getUint8(5), head.getUint8(6), head.getUint8(7));
    if (!FOURCC.test(type)) throw new UnsupportedVideo("not an MP4 or MOV file");
    if (size === 1) {
      if (head.byteLength < 16) throw new UnsupportedVideo(`the ${type} box is cut short`);
      size = Number(head.getBigUint64(8));
    } else if (size === 0) {
      size = file.size - pos;
    }
    if (size < 8) throw new UnsupportedVideo(`the ${type} box has an impossible size`);
    if (type === "moof") throw new UnsupportedVideo("fragmented MP4 is not supported");
    if (type === "ftyp" && size <= MAX_FTYP_BYTES) ftyp = file.slice(pos, pos + size);
    if (type === "moov") {
      if (size > MAX_MOOV_BYTES) throw new UnsupportedVideo(`the movie header is larger than ${MAX_MOOV_BYTES >> 20} MiB`);
      if (pos + size > file.size) throw new UnsupportedVideo("the file ends inside the movie header");
      return new Blob([ftyp, file.slice(pos, pos + size)]).arrayBuffer();
    }
    pos += size;
  }
  throw new UnsupportedVideo("no movie header (moov) found");
}

function parseMovie(headers: ArrayBuffer): { movie: Movie; iso: ReturnType<typeof createFile> } {
  const iso = createFile();
  let movie: Movie | undefined;
  let error: string | undefined;
  iso.onReady = (info) => {
    movie = info;
  };
  iso.onError = (_module, message) => {
    error = message;
  };
  // mp4box reports boxes it cannot parse (QuickTime `udta` metadata, for one) on
  // console.error and skips them; they do not touch the sample tables. Parsing is synchronous,
  // so the messages are caught here, kept for the refusal below, and stay out of the console.
  const skipped: unknown[] = [];
  const consoleError = console.error;
  console.error = (...args: unknown[]) => skipped.push(args.at(-1));
  try {
    // ftyp and moov alone, placed at position 0: sample offsets in the tables are absolute file
    // offsets and do not depend on where mp4box thinks the boxes are.
    iso.appendBuffer(MP4BoxBuffer.fromArrayBuffer(headers, 0), true);
    iso.flush();
  } finally {
    console.error = consoleError;
  }
  if (!movie) {
    const why = error ?? (skipped.length > 0 ? String(skipped[0]) : undefined);
    throw new UnsupportedVideo(`the movie header could not be read${why ? `: ${why}` : ""}`);
  }
  return { movie, iso };
}

/** The sample entry's codec configuration box, without its 8-byte header. */
function codecDescription(entry: unknown): Uint8Array {
  const e = entry as Record<string, { write(s: DataStream): void } | undefined>;
  const box = e.avcC;
  if (!box) throw new UnsupportedVideo("the video has no H.264 configuration (avcC)");
  const stream = new DataStream(undefined, 0, Endianness.BIG_ENDIAN);
  box.write(stream);
  return new Uint8Array(stream.buffer, 8);
}

/**
 * FFmpeg applies a single edit (`elst`) by dropping samples shown before its start or after its
 * end. Such files are refused rather than guessed at; the common edit that only shifts time to
 * compensate for B-frame reordering (start = first presentation time) drops nothing.
 */
function checkEdits(track: Track, samples: SampleRef[]): void {
  const edits = (track.edits ?? []).filter((e) => e.media_time !== -1);
  if (edits.length === 0) return;
  if (edits.length > 1) throw new UnsupportedVideo("the video has several edits (cuts) in its edit list");
  const [edit] = edits;
  if (edit.media_rate_integer !== 1) throw new UnsupportedVideo("the video's edit list changes its speed");
  const start = edit.media_time;
  const end = edit.segment_duration === 0 ? Infinity : start + (edit.segment_duration * track.timescale) / track.movie_timescale;
  for (const s of samples) {
    if (s.cts < start || s.cts >= end) throw new UnsupportedVideo("the video's edit list cuts frames");
  }
}

/** Reads the first video track's sample table. */
export async function readVideoTrack(file: Blob): Promise<VideoTrack> {
  const { movie, iso } = parseMovie(await readHeaders(file));
  if (movie.isFragmented) throw new UnsupportedVideo("fragmented MP4 is not supported");
  const track = movie.videoTracks[0];
  if (!track) throw new UnsupportedVideo("the file has no video track");
  if (!/^avc[13]\./.test(track.codec)) throw new UnsupportedVideo(`the video codec ${track.codec} is not H.264`);
  const trak = iso.getTrackById(track.id);
  const raw = trak.samples ?? [];
  if (raw.length === 0) throw new UnsupportedVideo("the video track has no frames");
  if (raw.some((s) => s.description_index !== 0)) throw new UnsupportedVideo("the video changes its codec settings midway");
  const samples: SampleRef[] = raw.map((s) => ({ offset: s.offset, size: s.size, key: s.is_sync, cts: s.cts, duration: s.duration }));
  if (!samples[0].key) throw new UnsupportedVideo("the video does not start with a key frame");
  for (const s of samples) {
    if (s.offset + s.size > file.size) throw new UnsupportedVideo("the file is cut short (a frame lies past its end)");
  }
  checkEdits(track, samples);
  const stts = trak.mdia.minf.stbl.stts;
  let frames = 0;
  let duration = 0;
  for (let i = 0; i < stts.sample_counts.length; i++) {
    frames += stts.sample_counts[i];
    duration += stts.sample_counts[i] * stts.sample_deltas[i];
  }
  if (frames === 0 || duration <= 0 || track.timescale <= 0) throw new UnsupportedVideo("the video has no frame rate");
  const entry = trak.mdia.minf.stbl.stsd.entries[0] as unknown as { width: number; height: number };
  return {
    codec: track.codec,
    description: codecDescription(entry),
    width: entry.width,
    height: entry.height,
    timescale: track.timescale,
    fps: (track.timescale * frames) / duration,
    samples,
  };
}
