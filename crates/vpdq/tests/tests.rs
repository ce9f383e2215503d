//! quell-vpdq's integration tests: the interchange formats, the matcher against the
//! reference's pairwise table, the video index against the matcher, and (feature `ffmpeg`)
//! hashing the sample videos and bad input.

#[cfg(feature = "ffmpeg")]
mod bad_input;
mod format;
#[cfg(feature = "ffmpeg")]
mod golden;
mod index;
mod pairwise;
mod vectors;
