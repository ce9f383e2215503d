/**
 * The hashing worker: file bytes in, MD5, SHA-256 and PDQ (with the default profile's hashes of
 * the photo's crops, trims, tilts and cuts, `robust.ts`) out. It runs off the page's main
 * thread so large photos do not freeze the page, and it has no network code at all: the image
 * never leaves this worker, only its fingerprints do.
 *
 * What a file gets is decided by its first bytes, as `quell case open` decides: a photo this
 * browser decodes gets PDQ, MD5 and SHA-256; an MP4/MOV video with H.264 that this browser's
 * WebCodecs decodes gets vPDQ (`vpdq.ts`), MD5 and SHA-256; anything else (another video, another
 * file, a photo too large or in a format the browser cannot read) gets MD5 and SHA-256 only, so
 * exact copies are covered. Videos and other files are read in slices (`digestBlob`, and
 * `vpdq.ts` for the frames): a video of several gigabytes never becomes a whole-file buffer.
 *
 * Files are hashed one at a time, in the order they were given: several videos decoded at once
 * would multiply the memory and gain nothing on a busy machine.
 *
 * Decoding: `createImageBitmap` with `colorSpaceConversion: "none"` (the pixels as stored, no
 * colour-profile conversion, like the reference's decoders), `premultiplyAlpha: "none"` (the
 * reference drops alpha without compositing), then `getImageData` on an OffscreenCanvas at the
 * image's full size: no canvas scaling, the PDQ port does all the maths.
 *
 * Orientation: like `quell hash` and the reference by default, the hash is of the pixels as
 * stored, ignoring the EXIF Orientation tag. Chromium applies the tag to JPEGs even when asked
 * for `imageOrientation: "none"`, so the worker asks for `"from-image"` (which every browser
 * applies the same way) and then undoes the tag itself (`orientation.ts`).
 */

import { digestBlob, md5Hex, sha256Hex } from "./digest";
import { jpegOrientation, undoOrientation } from "./orientation";
import { lumaOf, pdqFromLuma } from "./pdq";
import { robustSubmission } from "./robust";
import { SNIFF_BYTES, looksLikeImage, looksLikeVideo } from "./sniff";
import {
  DEFAULT_PROFILE,
  MAX_IMAGE_BYTES,
  MAX_PIXELS,
  MIN_QUALITY,
  type ExactOnly,
  type HashProgress,
  type HashReply,
  type HashRequest,
} from "./protocol";
import { SECONDS_PER_HASH, UnsupportedVideo, VideoTooLong, hashVideo } from "./vpdq";

const scope = self as unknown as DedicatedWorkerGlobalScope;

async function pixelsOf(file: File): Promise<ImageData> {
  const bitmap = await createImageBitmap(file, {
    colorSpaceConversion: "none",
    premultiplyAlpha: "none",
    imageOrientation: "from-image",
  });
  try {
    const { width, height } = bitmap;
    if (width * height > MAX_PIXELS) {
      throw new TooLarge(`${width}×${height} pixels is more than this page can hold in memory`);
    }
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    if (!ctx) throw new Error("this browser has no 2D canvas in workers");
    ctx.drawImage(bitmap, 0, 0);
    return ctx.getImageData(0, 0, width, height, { colorSpace: "srgb" });
  } finally {
    bitmap.close();
  }
}

class TooLarge extends Error {}

/** MD5 and SHA-256 only, read in slices. */
async function exactOnly(id: number, file: File, why: ExactOnly): Promise<HashReply> {
  return { id, ok: true, hashes: { ...(await digestBlob(file)), exactOnly: why } };
}

/** MD5, SHA-256 and, if this browser can decode the video here, its vPDQ. */
async function video(req: HashRequest): Promise<HashReply> {
  const { id, file } = req;
  const exact = await digestBlob(file);
  try {
    const progress = (done: number): void => scope.postMessage({ id, progress: done, what: "video" } satisfies HashProgress);
    const vpdq = await hashVideo(file, req.secondsPerHash ?? SECONDS_PER_HASH, progress);
    return { id, ok: true, hashes: { ...exact, vpdq } };
  } catch (e) {
    const why: ExactOnly = e instanceof VideoTooLong ? "video_too_long" : "video";
    const found = e instanceof UnsupportedVideo || e instanceof VideoTooLong ? e.message : `unexpected: ${String(e)}`;
    const detail = `exact fingerprints only: ${found}`;
    return { id, ok: true, hashes: { ...exact, exactOnly: why, detail } };
  }
}

async function hash(req: HashRequest): Promise<HashReply> {
  const { id, file } = req;
  const head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
  if (file.type.startsWith("video/") || looksLikeVideo(head)) return video(req);
  if (!looksLikeImage(head)) return exactOnly(id, file, "not_image");
  if (file.size > MAX_IMAGE_BYTES) return exactOnly(id, file, "too_large");
  const bytes = new Uint8Array(await file.arrayBuffer());
  const md5 = md5Hex(bytes);
  const sha256 = sha256Hex(bytes);
  let image: ImageData;
  try {
    image = await pixelsOf(file);
  } catch (e) {
    return { id, ok: true, hashes: { md5, sha256, exactOnly: e instanceof TooLarge ? "too_large" : "unreadable" } };
  }
  const stored = undoOrientation(image.data, image.width, image.height, jpegOrientation(bytes));
  const luma = lumaOf(stored.data, stored.width, stored.height, 4);
  const pdq = { ...pdqFromLuma(luma, stored.width, stored.height), width: stored.width, height: stored.height };
  // A photo too plain to register gets no profile hashes either, as `quell case open` decides.
  if (req.filed === false || pdq.quality < MIN_QUALITY) return { id, ok: true, hashes: { md5, sha256, pdq } };
  const progress = (done: number): void => scope.postMessage({ id, progress: done, what: "photo" } satisfies HashProgress);
  try {
    const filed = robustSubmission(DEFAULT_PROFILE, luma, stored.width, stored.height, progress);
    return { id, ok: true, hashes: { md5, sha256, pdq, filed } };
  } catch (e) {
    // Out of memory on a very large photo, say: its PDQ, MD5 and SHA-256 are still sent.
    const detail = `no fingerprints of edited copies: ${e instanceof Error ? e.message : String(e)}`;
    return { id, ok: true, hashes: { md5, sha256, pdq, detail } };
  }
}

async function answer(req: HashRequest): Promise<void> {
  let reply: HashReply;
  try {
    reply = await hash(req);
  } catch (e) {
    reply = { id: req.id, ok: false, reason: "unreadable", detail: e instanceof Error ? e.message : String(e) };
  }
  scope.postMessage(reply);
}

let queue: Promise<void> = Promise.resolve();
scope.onmessage = (event: MessageEvent<HashRequest>) => {
  queue = queue.then(() => answer(event.data));
};
