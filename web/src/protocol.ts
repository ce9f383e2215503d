/** Messages between the page and the hashing worker. The worker never touches the network. */

/** Page → worker: hash this file. */
export interface HashRequest {
  id: number;
  file: File;
}

/** The fingerprints of one file. `pdq` is absent when the file could not be decoded as an image. */
export interface FileHashes {
  md5: string;
  sha256: string;
  pdq?: { hex: string; quality: number; width: number; height: number };
}

/** Worker → page. */
export type HashReply =
  | { id: number; ok: true; hashes: FileHashes }
  | { id: number; ok: false; reason: "video" | "not_image" | "too_large" | "unreadable"; detail: string };

/** Largest image the page decodes, in pixels (about 150 MB of working memory at this size). */
export const MAX_PIXELS = 50_000_000;

/** Quality below which the registry refuses a PDQ hash (`quell_hash::MIN_QUALITY`). */
export const MIN_QUALITY = 50;
