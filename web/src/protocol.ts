/** Messages between the page and the hashing worker. The worker never touches the network. */

/** Page → worker: hash this file. */
export interface HashRequest {
  id: number;
  file: File;
}

/** Why a file has only its exact fingerprints (MD5 and SHA-256 of its bytes), no PDQ. */
export type ExactOnly = "video" | "not_image" | "too_large" | "unreadable";

/**
 * The fingerprints of one file. `pdq` is absent when the file could not be decoded as an
 * image; `exactOnly` then says why.
 */
export interface FileHashes {
  md5: string;
  sha256: string;
  pdq?: { hex: string; quality: number; width: number; height: number };
  exactOnly?: ExactOnly;
}

/** Worker → page. A failure means the file could not even be read. */
export type HashReply =
  | { id: number; ok: true; hashes: FileHashes }
  | { id: number; ok: false; reason: "unreadable"; detail: string };

/** Largest image file the page decodes, in bytes (as `quell hash`); larger files get exact fingerprints only. */
export const MAX_IMAGE_BYTES = 100 << 20;

/** Largest image the page decodes, in pixels (about 150 MB of working memory at this size). */
export const MAX_PIXELS = 50_000_000;

/** Quality below which the registry refuses a PDQ hash (`quell_hash::MIN_QUALITY`). */
export const MIN_QUALITY = 50;
