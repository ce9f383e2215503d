/** Messages between the page and the hashing worker. The worker never touches the network. */

import type { FiledHash } from "./robust";

/** Page → worker: hash this file. */
export interface HashRequest {
  id: number;
  file: File;
  /** For videos: one vPDQ frame per this many seconds (0 = every frame); the page uses 1. */
  secondsPerHash?: number;
  /** For photos: also make the default profile's hashes ([`DEFAULT_PROFILE`]); the page always
   * does, a benchmark of plain PDQ does not. Default true. */
  filed?: boolean;
}

/** The hash profile whose hashes the page registers besides each photo's PDQ, as
 * `quell case open` does by default (`quell_robust::Profile::DEFAULT`). */
export const DEFAULT_PROFILE = "pdq-robust-v6";

/**
 * Why a file has only its exact fingerprints (MD5 and SHA-256 of its bytes), no PDQ or vPDQ:
 * `video` is a video this browser cannot decode here (format, codec or browser),
 * `video_too_long` one longer than the page decodes.
 */
export type ExactOnly = "video" | "video_too_long" | "not_image" | "too_large" | "unreadable";

/** One hashed video frame, as the reference reports it (see `vpdq.ts`). */
export interface VpdqFrame {
  /** The frame's number in decode-output order, from 0. */
  frame: number;
  hex: string;
  quality: number;
  /** Seconds: `frame / fps`. */
  timestamp: number;
}

/** Most frames one vPDQ may hold (`quell_registry::vpdq::MAX_VPDQ_FRAMES`). */
export const MAX_VPDQ_FRAMES = 10_000;

/**
 * pytx's `VideoVPDQSignal` string, in the registry's canonical form: a compact JSON list of
 * `"hex,quality,timestamp"` strings, timestamps with 3 decimals.
 */
export function vpdqSignal(frames: readonly VpdqFrame[]): string {
  return JSON.stringify(frames.map((f) => `${f.hex},${f.quality},${f.timestamp.toFixed(3)}`));
}

/**
 * The fingerprints of one file. `pdq` (a photo) or `vpdq` (a video's hashed frames) is absent
 * when the file could not be decoded here; `exactOnly` then says why, and `detail` says what
 * was found, for the browser's console.
 */
export interface FileHashes {
  md5: string;
  sha256: string;
  pdq?: { hex: string; quality: number; width: number; height: number };
  /** A photo whose PDQ reaches [`MIN_QUALITY`]: its [`DEFAULT_PROFILE`] hashes (crops, trims,
   * tilts and cuts, each with its part), registered beside the PDQ so edited copies match. */
  filed?: FiledHash[];
  vpdq?: VpdqFrame[];
  exactOnly?: ExactOnly;
  detail?: string;
}

/** Worker → page: the result. A failure means the file could not even be read. */
export type HashReply =
  | { id: number; ok: true; hashes: FileHashes }
  | { id: number; ok: false; reason: "unreadable"; detail: string };

/** Worker → page while a video is decoded (the share of its frames done) or a photo's profile
 * hashes are made (the share of the work done): 0 to 1. */
export interface HashProgress {
  id: number;
  progress: number;
  what: "video" | "photo";
}

export type WorkerMessage = HashReply | HashProgress;

/** Largest image file the page decodes, in bytes (as `quell hash`); larger files get exact fingerprints only. */
export const MAX_IMAGE_BYTES = 100 << 20;

/** Largest image the page decodes, in pixels (about 150 MB of working memory at this size). */
export const MAX_PIXELS = 50_000_000;

/** Quality below which the registry refuses a PDQ hash (`quell_hash::MIN_QUALITY`). */
export const MIN_QUALITY = 50;

/** Most plain hashes one case holds (`quell_registry::MAX_HASHES_PER_CASE`). */
export const MAX_HASHES_PER_CASE = 1000;

/** Most hashes of crops and edits one case holds, about 45 photos (`quell_registry::MAX_FILED_HASHES_PER_CASE`). */
export const MAX_FILED_HASHES_PER_CASE = 5000;
