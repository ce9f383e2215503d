//! What a vPDQ hash is: one PDQ hash per sampled frame, with its quality and time.

use quell_hash::{Pdq, Quality};

/// The PDQ hash of one sampled frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameHash {
    /// The frame's position in decode order, from 0 (every decoded frame counts, hashed or
    /// not, so with one hash per second the numbers step by the frame interval).
    pub frame: u32,
    /// PDQ quality of the frame, 0..=100.
    pub quality: Quality,
    /// PDQ hash of the whole frame.
    pub pdq: Pdq,
    /// `frame / fps` in seconds, as the reference computes it (not the container's
    /// presentation time).
    pub timestamp: f64,
}

/// A video's vPDQ hash: its sampled frames in frame order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VideoHash {
    /// The frame hashes, ascending by [`FrameHash::frame`].
    pub frames: Vec<FrameHash>,
}

impl VideoHash {
    /// Wraps frame hashes (kept in the given order).
    pub fn new(frames: Vec<FrameHash>) -> Self {
        Self { frames }
    }

    /// Number of frame hashes.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether there are no frame hashes (a video whose every frame was skipped or that has
    /// none).
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}
