//! A vPDQ hash as the registry holds it: python-threatexchange's signal string, canonicalised,
//! with its parsed frames.
//!
//! **Key decision: one immutable, shared value, equal by its canonical text.** A vPDQ hash is
//! up to [`MAX_VPDQ_FRAMES`] frames (hundreds of kilobytes), so [`Signal`](crate::Signal)
//! holds it behind an `Arc` (cloning a signal never copies frames) and keeps both the
//! canonical text (what is stored, synced and compared for duplicates) and the parsed frames
//! (what the match index needs), so neither is recomputed per use. The canonical text is what
//! pytx's `vpdq_to_json` writes, without its optional spaces: a JSON list of
//! `"hex,quality,timestamp"` strings, lowercase hex, quality without leading zeros, the
//! timestamp with 3 decimals. Two submissions of the same frames therefore count once, and
//! the text never holds a space or a newline (so it fits the member snapshot's line format).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use quell_vpdq::{VideoHash, format};

use crate::model::Invalid;

/// Most frames one vPDQ hash may hold. A frame takes about 85 bytes in a request
/// (`"<64 hex>,100,1234.000",` inside a JSON string, quotes escaped), so 10,000 frames fit a
/// 1 MiB request with room to spare; at the default of one hash per second that is 2 h 46 min
/// of video.
pub const MAX_VPDQ_FRAMES: usize = 10_000;

/// A validated, canonical vPDQ hash.
#[derive(Clone)]
pub struct Vpdq(Arc<Inner>);

struct Inner {
    text: String,
    video: VideoHash,
}

impl Vpdq {
    /// Parses pytx's signal string (a JSON list of `"hex,quality,timestamp"` strings).
    ///
    /// # Errors
    /// [`Invalid::Vpdq`] when it does not parse (naming the element and field), has no frames
    /// or more than [`MAX_VPDQ_FRAMES`]; [`Invalid::LowQualityVideo`] when no frame reaches
    /// quality 50 (nothing could ever match it).
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let video = format::from_pytx_json(value).map_err(|e| Invalid::Vpdq(e.to_string()))?;
        Self::canonical(video, Some(value))
    }

    /// Wraps hashed frames, with the same checks as [`Vpdq::parse`].
    ///
    /// # Errors
    /// As [`Vpdq::parse`].
    pub fn from_video(video: VideoHash) -> Result<Self, Invalid> {
        Self::canonical(video, None)
    }

    /// Checks `video` and pairs it with its canonical text; `source` is the text it was
    /// parsed from, if any.
    fn canonical(video: VideoHash, source: Option<&str>) -> Result<Self, Invalid> {
        if video.is_empty() {
            return Err(Invalid::Vpdq("a vPDQ hash needs at least one frame".into()));
        }
        if video.len() > MAX_VPDQ_FRAMES {
            return Err(Invalid::Vpdq(format!(
                "a vPDQ hash may hold at most {MAX_VPDQ_FRAMES} frames, got {}; hash one frame \
                 per second or less often",
                video.len()
            )));
        }
        if !video.frames.iter().any(|f| f.quality.is_matchable()) {
            let best = video.frames.iter().map(|f| f.quality.get()).max();
            return Err(Invalid::LowQualityVideo(best.unwrap_or(0)));
        }
        // Re-reading the canonical text yields the same frames except frame numbers, which
        // pytx's form does not carry: renumber so that a parsed and a re-parsed hash are equal.
        // Values read back from the store or the feed are canonical already, so their frames
        // are the re-parsed ones: parse again only when the text changed.
        let text = format::to_pytx_json(&video);
        let video = if source == Some(text.as_str()) {
            video
        } else {
            format::from_pytx_json(&text).map_err(|e| Invalid::Vpdq(e.to_string()))?
        };
        Ok(Self(Arc::new(Inner { text, video })))
    }

    /// The canonical signal string: what is stored and synced.
    pub fn as_str(&self) -> &str {
        &self.0.text
    }

    /// The frames.
    pub fn video(&self) -> &VideoHash {
        &self.0.video
    }

    /// Number of frames.
    pub fn frames(&self) -> usize {
        self.0.video.len()
    }
}

impl PartialEq for Vpdq {
    fn eq(&self, other: &Self) -> bool {
        self.0.text == other.0.text
    }
}

impl Eq for Vpdq {}

impl Hash for Vpdq {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.text.hash(state);
    }
}

impl fmt::Debug for Vpdq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vpdq({} frames)", self.frames())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c";

    #[test]
    fn equivalent_spellings_are_one_canonical_hash() {
        let canonical = format!(r#"["{A},100,0.000","{A},60,1.000"]"#);
        let spaced = format!(
            r#"[ "{}", "{A},060,1.0" ]"#,
            format_args!("{},100,0", A.to_uppercase())
        );
        let a = Vpdq::parse(&canonical).unwrap();
        let b = Vpdq::parse(&spaced).unwrap();
        assert_eq!(a.as_str(), canonical);
        assert_eq!(a, b);
        assert_eq!(Vpdq::parse(a.as_str()).unwrap(), a);
        assert!(!a.as_str().contains([' ', '\n']));
    }

    #[test]
    fn empty_plain_oversized_and_malformed_hashes_are_refused() {
        assert!(matches!(Vpdq::parse("[]"), Err(Invalid::Vpdq(_))));
        assert_eq!(
            Vpdq::parse(&format!(r#"["{A},49,0.000","{A},10,1.000"]"#)),
            Err(Invalid::LowQualityVideo(49))
        );
        let many: Vec<String> = (0..=MAX_VPDQ_FRAMES)
            .map(|i| format!(r#""{A},100,{i}.000""#))
            .collect();
        let many = format!("[{}]", many.join(","));
        let err = Vpdq::parse(&many).unwrap_err().to_string();
        assert!(err.contains("at most 10000 frames, got 10001"), "{err}");
        let err = Vpdq::parse(&format!(r#"["{A},100,0.000","zz{},100,1.000"]"#, &A[2..]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("element 1") && err.contains("PDQ hash"),
            "{err}"
        );
        assert!(matches!(Vpdq::parse("{"), Err(Invalid::Vpdq(_))));
    }
}
