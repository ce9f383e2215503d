/**
 * What a file is, from its first bytes, never its name or the browser's guessed type: the same
 * rule as `quell hash` and `quell case open`, so the page and the CLI fingerprint a file alike.
 */

/** Bytes of a file's start that the sniffing below reads (MPEG-TS needs its third packet). */
export const SNIFF_BYTES = 512;

/** Whether a file starting with `head` is an image format browsers decode. */
export function looksLikeImage(head: Uint8Array): boolean {
  const at = (offset: number, sig: number[]) => sig.every((b, i) => head[offset + i] === b);
  const ascii = (offset: number, text: string) => at(offset, [...text].map((c) => c.charCodeAt(0)));
  return (
    at(0, [0xff, 0xd8, 0xff]) ||
    at(0, [0x89, 0x50, 0x4e, 0x47]) ||
    ascii(0, "GIF8") ||
    (ascii(0, "RIFF") && ascii(8, "WEBP")) ||
    ascii(0, "BM") ||
    at(0, [0x49, 0x49, 0x2a, 0x00]) ||
    at(0, [0x4d, 0x4d, 0x00, 0x2a]) ||
    (ascii(4, "ftyp") && ["avif", "avis", "heic", "heix", "mif1", "msf1"].some((brand) => ascii(8, brand)))
  );
}

/** Whether a file starting with `head` is a video container: the signatures `quell hash` sniffs. */
export function looksLikeVideo(head: Uint8Array): boolean {
  const at = (offset: number, sig: number[]) => sig.every((b, i) => head[offset + i] === b);
  const ascii = (offset: number, text: string) => at(offset, [...text].map((c) => c.charCodeAt(0)));
  if (ascii(4, "ftyp")) {
    // HEIF/AVIF stills and MPEG-4 audio share the box layout.
    return !["heic", "heix", "mif1", "msf1", "avif", "avis", "M4A ", "M4B ", "M4P "].some((b) => ascii(8, b));
  }
  const ts = (start: number, packet: number) => [0, 1, 2].every((k) => head[start + k * packet] === 0x47);
  return (
    ascii(4, "moov") ||
    ascii(4, "mdat") ||
    at(0, [0x1a, 0x45, 0xdf, 0xa3]) ||
    (ascii(0, "RIFF") && ascii(8, "AVI ")) ||
    ts(0, 188) ||
    ts(4, 192) ||
    at(0, [0x00, 0x00, 0x01, 0xba]) ||
    at(0, [0x46, 0x4c, 0x56, 0x01]) ||
    at(0, [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11])
  );
}
