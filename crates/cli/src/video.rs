//! Videos in `quell hash`: recognised by content, hashed with vPDQ (`quell-vpdq`, FFmpeg in
//! a child process), printed in the reference's text format or pytx's JSON.
//!
//! Plain output is one block per video: a header line `vpdq <frames> <path>` and then
//! `<frames>` lines `frame_number,quality,pdq_hex,timestamp_seconds` (the reference's
//! format). Image lines start with a 64-digit hex hash, never `vpdq`, so a reader can tell
//! the two apart and knows how many lines a block has.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use quell_hash::{Md5, Sha256};
use quell_vpdq::decode::{HashOptions, hash_file};
use quell_vpdq::{VideoHash, format};
use serde::Serialize;
use sha2::Digest as _;

/// How many leading bytes [`looks_like_video`] needs (MPEG-TS is recognised by its second
/// and third sync bytes, 188 and 376 bytes in).
pub(crate) const SNIFF_BYTES: usize = 512;

/// Whether a file starting with `head` is a video container FFmpeg reads: MP4/MOV/3GP (an
/// `ftyp` box that is not a still-image or audio brand, or a bare `moov`/`mdat` box),
/// Matroska/WebM, AVI, MPEG transport and program streams, FLV, ASF/WMV.
pub(crate) fn looks_like_video(head: &[u8]) -> bool {
    let at = |offset: usize, sig: &[u8]| head.get(offset..offset + sig.len()) == Some(sig);
    if at(4, b"ftyp") {
        // HEIF/AVIF stills and MPEG-4 audio share the box layout.
        let brand = head.get(8..12).unwrap_or_default();
        let not_video: [&[u8]; 9] = [
            b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis", b"M4A ", b"M4B ", b"M4P ",
        ];
        return !not_video.contains(&brand);
    }
    let ts = |start: usize, packet: usize| (0..3).all(|k| at(start + k * packet, &[0x47]));
    at(4, b"moov")
        || at(4, b"mdat")
        || at(0, &[0x1A, 0x45, 0xDF, 0xA3])
        || (at(0, b"RIFF") && at(8, b"AVI "))
        || ts(0, 188)
        || ts(4, 192)
        || at(0, &[0x00, 0x00, 0x01, 0xBA])
        || at(0, b"FLV\x01")
        || at(0, &[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11])
}

/// Settings for hashing videos.
#[derive(Clone, Debug)]
pub(crate) struct VideoJob {
    pub(crate) options: HashOptions,
    /// JSON output (which carries digests); plain otherwise.
    pub(crate) json: bool,
}

/// A hashed video.
pub(crate) struct HashedVideo {
    vpdq: VideoHash,
    digests: Option<(Md5, Sha256)>,
}

impl HashedVideo {
    /// The video as `quell scan` matches it: its vPDQ and, when computed, its digests.
    /// The video's vPDQ.
    pub(crate) fn into_vpdq(self) -> VideoHash {
        self.vpdq
    }

    pub(crate) fn into_stored_item(self, path: &str) -> quell_match::StoredItem {
        quell_match::StoredItem {
            path: path.to_owned(),
            pdq: None,
            md5: self.digests.map(|(md5, _)| md5),
            sha256: self.digests.map(|(_, sha256)| sha256),
            vpdq: Some(std::sync::Arc::new(self.vpdq)),
            filed: Vec::new(),
        }
    }
}

impl VideoJob {
    /// Hashes one video, with a progress bar on a terminal when it has many frames.
    pub(crate) fn hash(&self, path: &Path) -> Result<HashedVideo, String> {
        let bar = ProgressBar::hidden();
        let terminal = std::io::stderr().is_terminal();
        let vpdq = hash_file(path, &self.options, &mut |p| {
            if p.hashed == 1
                && terminal
                && let Some(total) = p.expected.filter(|&t| t >= 100)
            {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                bar.set_length(total as u64);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{bar:40} {pos}/{len} frames, {per_sec}, {eta} left",
                    )
                    .expect("static template"),
                );
            }
            bar.set_position(p.hashed as u64);
        })
        .map_err(|e| strip_path(&e.to_string(), path));
        bar.finish_and_clear();
        let vpdq = vpdq?;
        let digests = if self.json {
            Some(file_digests(path).map_err(|e| format!("cannot read: {e}"))?)
        } else {
            None
        };
        Ok(HashedVideo { vpdq, digests })
    }
}

/// The library's errors start with the path; the printer adds it again.
fn strip_path(message: &str, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_string()
}

/// MD5 and SHA-256 of a file, read in chunks (videos can be large).
pub(crate) fn file_digests(path: &Path) -> std::io::Result<(Md5, Sha256)> {
    let mut file = std::fs::File::open(path)?;
    let mut md5 = md5::Md5::new();
    let mut sha = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        sha.update(&buf[..n]);
    }
    Ok((
        Md5::from_bytes(md5.finalize().into()),
        Sha256::from_bytes(sha.finalize().into()),
    ))
}

#[derive(Serialize)]
struct JsonVideo<'a> {
    path: &'a str,
    vpdq: Vec<String>,
    md5: String,
    sha256: String,
}

/// Writes one hashed video (the caller flushes its own buffered output first).
pub(crate) fn print(out: &mut impl Write, path: &str, v: &HashedVideo) -> anyhow::Result<()> {
    match v.digests {
        Some((md5, sha256)) => {
            let line = serde_json::to_string(&JsonVideo {
                path,
                vpdq: format::to_pytx_strings(&v.vpdq),
                md5: md5.to_string(),
                sha256: sha256.to_string(),
            })?;
            writeln!(out, "{line}")
        }
        None => write!(
            out,
            "vpdq {} {path}\n{}",
            v.vpdq.len(),
            format::to_text(&v.vpdq)
        ),
    }
    .context("writing output")?;
    out.flush().context("writing output")
}

#[cfg(test)]
mod tests {
    use super::looks_like_video;

    #[test]
    fn sniffing() {
        let mut mp4 = b"\0\0\0\x20ftypisom".to_vec();
        assert!(looks_like_video(&mp4));
        mp4[8..12].copy_from_slice(b"heic");
        assert!(!looks_like_video(&mp4));
        assert!(looks_like_video(&[0x1A, 0x45, 0xDF, 0xA3, 0x01]));
        assert!(looks_like_video(b"RIFF\0\0\0\0AVI LIST"));
        assert!(!looks_like_video(b"RIFF\0\0\0\0WEBPVP8 "));
        let mut ts = vec![0u8; 400];
        for k in 0..3 {
            ts[k * 188] = 0x47;
        }
        assert!(looks_like_video(&ts));
        assert!(!looks_like_video(&ts[..200]));
        assert!(looks_like_video(b"FLV\x01\x05"));
        assert!(!looks_like_video(b"\x89PNG\r\n\x1a\n"));
        assert!(!looks_like_video(b""));
    }
}
