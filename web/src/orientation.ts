/**
 * EXIF orientation, read from a JPEG's bytes and undone on decoded pixels.
 *
 * Why: `quell hash` (and the reference) hash the pixels as stored and ignore the EXIF
 * Orientation tag, so a phone photo taken sideways gets the same hash everywhere. Chromium's
 * `createImageBitmap` always applies the tag for JPEGs (its `imageOrientation: "none"` now means
 * the same as `"from-image"`), so the worker reads the tag itself and turns the decoded pixels
 * back to their stored orientation. Only JPEG (APP1 `Exif`) is handled: it is where cameras
 * and phones write the tag.
 */

/** The EXIF Orientation (1–8) of a JPEG file, or 1 if it has none or is not a JPEG. */
export function jpegOrientation(bytes: Uint8Array): number {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return 1;
    const marker = bytes[p + 1];
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return 1; // start of scan / end: no more metadata
    const len = view.getUint16(p + 2);
    if (len < 2 || p + 2 + len > bytes.length) return 1;
    if (marker === 0xe1 && len >= 8 && bytes[p + 4] === 0x45 && bytes[p + 5] === 0x78 &&
        bytes[p + 6] === 0x69 && bytes[p + 7] === 0x66 && bytes[p + 8] === 0 && bytes[p + 9] === 0) {
      const found = tiffOrientation(new DataView(bytes.buffer, bytes.byteOffset + p + 10, len - 8));
      if (found !== null) return found;
    }
    p += 2 + len;
  }
  return 1;
}

/** The Orientation tag of IFD0 of a TIFF header, or null. */
function tiffOrientation(tiff: DataView): number | null {
  if (tiff.byteLength < 8) return null;
  const order = tiff.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return null;
  const le = order === 0x4949;
  if (tiff.getUint16(2, le) !== 42) return null;
  const ifd = tiff.getUint32(4, le);
  if (ifd + 2 > tiff.byteLength) return null;
  const count = tiff.getUint16(ifd, le);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.byteLength) return null;
    if (tiff.getUint16(entry, le) === 0x0112 && tiff.getUint16(entry + 2, le) === 3) {
      const v = tiff.getUint16(entry + 8, le);
      return v >= 1 && v <= 8 ? v : null;
    }
  }
  return null;
}

/**
 * The stored pixels of an image decoded *with* orientation `o` applied: `displayed` is
 * `width × height` RGBA as shown; the result is the image as the file stores it.
 */
export function undoOrientation(
  displayed: Uint8ClampedArray,
  width: number,
  height: number,
  o: number,
): { data: Uint8ClampedArray; width: number; height: number } {
  if (o === 1) return { data: displayed, width, height };
  const swap = o >= 5;
  const ws = swap ? height : width;
  const hs = swap ? width : height;
  const src = new Uint32Array(displayed.buffer, displayed.byteOffset, width * height);
  const out = new Uint8ClampedArray(ws * hs * 4);
  const dst = new Uint32Array(out.buffer);
  // For each stored pixel (x, y), where the viewer shows it (EXIF 2.32, Orientation).
  for (let y = 0; y < hs; y++) {
    for (let x = 0; x < ws; x++) {
      let dx: number;
      let dy: number;
      switch (o) {
        case 2: dx = ws - 1 - x; dy = y; break; // mirrored left to right
        case 3: dx = ws - 1 - x; dy = hs - 1 - y; break; // rotated 180°
        case 4: dx = x; dy = hs - 1 - y; break; // upside down
        case 5: dx = y; dy = x; break; // transposed
        case 6: dx = hs - 1 - y; dy = x; break; // shown rotated 90° clockwise
        case 7: dx = hs - 1 - y; dy = ws - 1 - x; break; // transversed
        case 8: dx = y; dy = ws - 1 - x; break; // shown rotated 90° counter-clockwise
        default: throw new Error(`EXIF orientation ${o} is not 1 to 8`);
      }
      dst[y * ws + x] = src[dy * width + dx];
    }
  }
  return { data: out, width: ws, height: hs };
}
