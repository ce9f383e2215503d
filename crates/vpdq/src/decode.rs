//! Hashing video files: probe the file, decode the selected frames, PDQ-hash them.
//!
//! Two decoders give the same frames ([`VideoDecoder`]):
//! - **`Libav`** (feature `libav`, the default when built): FFmpeg's libraries in-process
//!   (see `libav.rs`), with *exact frame skipping*: packets of frames that are neither hashed
//!   nor needed as a reference are never decoded, which is what makes one hash per second
//!   about twice as cheap as the reference. Linking Debian's FFmpeg makes the binary
//!   GPL-covered.
//! - **`Ffmpeg`**: `ffprobe` checks the file and `ffmpeg` decodes it in a child process,
//!   streaming raw RGB24 frames through a pipe, one frame in memory at a time. No linking (the
//!   binary stays Apache-2.0 only), no bindgen or libclang at build time, and a decoder crash,
//!   hang or memory blow-up on hostile input stays in the child, which is killed on any limit.
//!
//! Frame selection and pixels follow the reference (`vpdq/cpp/hashing/filehasher.cpp`,
//! `ffmpegwrapper.cpp`): the first video stream that is not cover art, every decoded frame
//! counted in output order (nothing dropped or duplicated, no auto-rotation),
//! `frameMod = max(1, int(seconds_per_hash × fps))` with `fps = avg_frame_rate` (else
//! `r_frame_rate`), frame `n` hashed iff `n % frameMod == 0` (skipped frames are never
//! converted), converted to RGB24 at the stored size with swscale's area filter, timestamp
//! `n / fps`.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use quell_pdq::Rgb8F32;

use crate::video::{FrameHash, VideoHash};

/// Which decoder [`hash_file`] uses; both give the same frame numbers and timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VideoDecoder {
    /// FFmpeg's libraries in-process, with exact frame skipping (feature `libav`).
    #[cfg(feature = "libav")]
    Libav,
    /// The `ffprobe` and `ffmpeg` programs as child processes.
    Ffmpeg,
}

impl VideoDecoder {
    /// Every decoder this build has, the default first.
    pub const ALL: &'static [VideoDecoder] = &[
        #[cfg(feature = "libav")]
        VideoDecoder::Libav,
        VideoDecoder::Ffmpeg,
    ];

    /// The name used on command lines: `libav` or `ffmpeg`.
    pub fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "libav")]
            VideoDecoder::Libav => "libav",
            VideoDecoder::Ffmpeg => "ffmpeg",
        }
    }
}

impl Default for VideoDecoder {
    fn default() -> Self {
        VideoDecoder::ALL[0]
    }
}

impl std::str::FromStr for VideoDecoder {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VideoDecoder::ALL
            .iter()
            .copied()
            .find(|d| d.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = VideoDecoder::ALL.iter().map(|d| d.name()).collect();
                format!(
                    "unknown video decoder {s:?} (this build has: {})",
                    names.join(", ")
                )
            })
    }
}

/// Limits and settings for [`hash_file`].
#[derive(Clone, Debug)]
pub struct HashOptions {
    /// The decoder.
    pub decoder: VideoDecoder,
    /// With [`VideoDecoder::Libav`]: decode only the frames the hashed frames need (H.264;
    /// other codecs decode every frame). Bit-identical to decoding everything; `false` is
    /// for tests and benchmarks.
    pub skip_unneeded_frames: bool,
    /// One frame hashed per this many seconds of video (`0` = every frame). The reference
    /// Python binding and pytx default to 1.
    pub seconds_per_hash: f64,
    /// At most this many frames are hashed; a longer video is an error (not silently cut),
    /// and one whose probed length already exceeds it is refused before decoding.
    pub max_frames: usize,
    /// Refuse videos wider or taller than this many pixels.
    pub max_side: u32,
    /// Refuse videos with more pixels per frame than this (bounds the frame buffer).
    pub max_pixels: u64,
    /// Kill the decoder and fail after this long.
    pub timeout: Option<Duration>,
    /// Decoder threads (`0` = FFmpeg's choice).
    pub decoder_threads: u32,
    /// The `ffmpeg` program (child-process decoder).
    pub ffmpeg: PathBuf,
    /// The `ffprobe` program (child-process decoder).
    pub ffprobe: PathBuf,
}

impl Default for HashOptions {
    fn default() -> Self {
        Self {
            decoder: VideoDecoder::default(),
            skip_unneeded_frames: true,
            seconds_per_hash: 1.0,
            max_frames: 100_000,
            max_side: 16_384,
            // 8K UHD (7680×4320 = 33.2 MP) fits; one RGB24 frame is then at most 108 MB.
            max_pixels: 36_000_000,
            timeout: None,
            decoder_threads: 0,
            ffmpeg: PathBuf::from("ffmpeg"),
            ffprobe: PathBuf::from("ffprobe"),
        }
    }
}

/// What the container says about a file's video stream.
#[derive(Clone, Debug, PartialEq)]
pub struct VideoInfo {
    /// Codec name, e.g. `h264`.
    pub codec: String,
    /// Stored frame width in pixels.
    pub width: u32,
    /// Stored frame height in pixels.
    pub height: u32,
    /// Frames per second (average frame rate, else the base rate).
    pub fps: f64,
    /// Duration in seconds, when the container declares one.
    pub duration: Option<f64>,
    /// Declared number of frames in the stream, when the container has it.
    pub frames: Option<u64>,
}

impl VideoInfo {
    /// The reference's sampling interval for `seconds_per_hash`.
    pub fn frame_mod(&self, seconds_per_hash: f64) -> u64 {
        // C++: `int(secondsPerHash * fps)`, at least 1.
        ((seconds_per_hash * self.fps) as i64).max(1) as u64
    }

    /// Expected number of decoded frames, from the frame count or the duration.
    pub fn expected_frames(&self) -> Option<u64> {
        self.frames
            .or_else(|| self.duration.map(|d| (d * self.fps).round() as u64))
    }
}

/// Hashing progress, reported after each hashed frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Frames hashed so far.
    pub hashed: usize,
    /// Frames expected to be hashed, if the container says how long it is.
    pub expected: Option<usize>,
    /// Timestamp of the last hashed frame, in seconds.
    pub seconds: f64,
}

/// Why a video could not be hashed. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    /// The options are unusable.
    #[error("invalid vPDQ option: {0}")]
    Options(String),
    /// The file cannot be opened.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// `ffmpeg` or `ffprobe` could not be started.
    #[error("cannot run {program} (is FFmpeg installed?): {source}")]
    Tool {
        /// The program.
        program: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The file is empty.
    #[error("{path}: empty file (0 bytes)")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// FFmpeg cannot read the container.
    #[error("{path}: not a readable video: {detail}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// FFmpeg's message.
        detail: String,
    },
    /// The file has no video stream (audio only, or only cover art).
    #[error("{path}: no video stream (audio-only or not a video)")]
    NoVideoStream {
        /// The file.
        path: PathBuf,
    },
    /// The stream declares no usable frame rate.
    #[error("{path}: video stream has no usable frame rate ({value:?})")]
    FrameRate {
        /// The file.
        path: PathBuf,
        /// What the container declares.
        value: String,
    },
    /// The frame size is beyond the limits (refused before decoding).
    #[error(
        "{path}: frame size {width}x{height} is beyond the limit ({max_side} px a side, \
         {max_pixels} px a frame)"
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The side limit.
        max_side: u32,
        /// The pixel limit.
        max_pixels: u64,
    },
    /// The video has more frames to hash than the cap.
    #[error(
        "{path}: more than {limit} frames to hash{}; raise the frame cap or hash fewer \
         frames per second", expected.map(|e| format!(" (about {e} expected)")).unwrap_or_default()
    )]
    TooManyFrames {
        /// The file.
        path: PathBuf,
        /// The cap.
        limit: usize,
        /// Expected count from the container, when refused before decoding.
        expected: Option<usize>,
    },
    /// FFmpeg failed while decoding (truncated or corrupt data).
    #[error("{path}: decoding failed after {frames} hashed frames: {detail}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// Frames hashed before the failure.
        frames: usize,
        /// FFmpeg's message.
        detail: String,
    },
    /// The video stream has no frames.
    #[error("{path}: the video stream has no frames")]
    NoFrames {
        /// The file.
        path: PathBuf,
    },
    /// Decoding took longer than the timeout.
    #[error("{path}: decoding did not finish within {after:?}")]
    Timeout {
        /// The file.
        path: PathBuf,
        /// The timeout.
        after: Duration,
    },
}

/// Probes `path` and checks it against the limits, without decoding frames.
///
/// # Errors
/// An empty or unreadable file, no video stream, no frame rate, or a frame size beyond the
/// limits.
pub fn probe(path: &Path, options: &HashOptions) -> Result<VideoInfo, VideoError> {
    check_not_empty(path)?;
    match options.decoder {
        #[cfg(feature = "libav")]
        VideoDecoder::Libav => crate::libav::probe(path, options),
        VideoDecoder::Ffmpeg => probe_with_ffprobe(path, options),
    }
}

pub(crate) fn check_not_empty(path: &Path) -> Result<(), VideoError> {
    let meta = std::fs::metadata(path).map_err(|source| VideoError::Io {
        path: path.to_owned(),
        source,
    })?;
    if meta.len() == 0 {
        return Err(VideoError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(())
}

/// Refuses a frame size beyond the side or pixel limit.
pub(crate) fn check_size(
    path: &Path,
    width: u32,
    height: u32,
    options: &HashOptions,
) -> Result<(), VideoError> {
    if width > options.max_side
        || height > options.max_side
        || u64::from(width) * u64::from(height) > options.max_pixels
    {
        return Err(VideoError::TooLarge {
            path: path.to_owned(),
            width,
            height,
            max_side: options.max_side,
            max_pixels: options.max_pixels,
        });
    }
    Ok(())
}

fn probe_with_ffprobe(path: &Path, options: &HashOptions) -> Result<VideoInfo, VideoError> {
    let out = Command::new(&options.ffprobe)
        .args(["-v", "error", "-select_streams", "V:0", "-show_entries"])
        .arg("stream=codec_name,width,height,avg_frame_rate,r_frame_rate,nb_frames,duration:format=duration")
        .args(["-of", "json"])
        .arg(ffmpeg_input(path))
        .stdin(Stdio::null())
        .output()
        .map_err(|source| VideoError::Tool {
            program: options.ffprobe.clone(),
            source,
        })?;
    if !out.status.success() {
        return Err(VideoError::Unreadable {
            path: path.to_owned(),
            detail: last_message(&out.stderr, out.status.to_string()),
        });
    }
    let unreadable = |detail: String| VideoError::Unreadable {
        path: path.to_owned(),
        detail,
    };
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| unreadable(format!("unexpected ffprobe output: {e}")))?;
    let Some(stream) = json["streams"].as_array().and_then(|s| s.first()) else {
        return Err(VideoError::NoVideoStream {
            path: path.to_owned(),
        });
    };
    let dim = |key: &str| {
        stream[key]
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .filter(|&v| v > 0)
            .ok_or_else(|| unreadable(format!("video stream has no {key}")))
    };
    let (width, height) = (dim("width")?, dim("height")?);
    check_size(path, width, height, options)?;
    let avg = stream["avg_frame_rate"].as_str().unwrap_or("");
    let base = stream["r_frame_rate"].as_str().unwrap_or("");
    let fps = parse_rate(avg)
        .or_else(|| parse_rate(base))
        .ok_or_else(|| VideoError::FrameRate {
            path: path.to_owned(),
            value: format!("avg_frame_rate={avg}, r_frame_rate={base}"),
        })?;
    let number = |v: &serde_json::Value| v.as_str().and_then(|s| s.parse::<f64>().ok());
    let duration = number(&stream["duration"])
        .or_else(|| number(&json["format"]["duration"]))
        .filter(|d| d.is_finite() && *d >= 0.0);
    Ok(VideoInfo {
        codec: stream["codec_name"]
            .as_str()
            .unwrap_or("unknown")
            .to_owned(),
        width,
        height,
        fps,
        duration,
        frames: stream["nb_frames"].as_str().and_then(|s| s.parse().ok()),
    })
}

/// `num/den` with both positive, as a float.
pub(crate) fn parse_rate(s: &str) -> Option<f64> {
    let (n, d) = s.split_once('/')?;
    let (n, d): (u64, u64) = (n.parse().ok()?, d.parse().ok()?);
    (n > 0 && d > 0).then(|| n as f64 / d as f64)
}

/// A path as an FFmpeg input that cannot be mistaken for an option or a protocol URL.
fn ffmpeg_input(path: &Path) -> std::ffi::OsString {
    let mut s = std::ffi::OsString::from("file:");
    s.push(path.as_os_str());
    s
}

/// The last non-empty line FFmpeg wrote, or `fallback`.
fn last_message(stderr: &[u8], fallback: String) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
        .unwrap_or(fallback)
}

/// Hashes a video file: [`probe`], then decode and PDQ-hash the selected frames.
///
/// `progress` is called after every hashed frame.
///
/// # Errors
/// See [`VideoError`]; on any error the child process, if any, is killed.
pub fn hash_file(
    path: &Path,
    options: &HashOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<VideoHash, VideoError> {
    hash_file_with_stats(path, options, progress).map(|(video, _)| video)
}

/// How much a decode did, for tests and benchmarks of frame skipping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Video packets read from the container.
    pub packets: u64,
    /// Packets sent to the decoder (all of them without skipping).
    pub decoded: u64,
    /// Whether a skipping decode found the stream not as assumed and started again without
    /// skipping.
    pub restarted: bool,
}

/// [`hash_file`], also saying how many packets were decoded. The child-process decoder
/// reports zeros: it does not count packets.
///
/// # Errors
/// As [`hash_file`].
pub fn hash_file_with_stats(
    path: &Path,
    options: &HashOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<(VideoHash, DecodeStats), VideoError> {
    if !(options.seconds_per_hash.is_finite() && options.seconds_per_hash >= 0.0) {
        return Err(VideoError::Options(format!(
            "seconds per hash must be a non-negative number, got {}",
            options.seconds_per_hash
        )));
    }
    match options.decoder {
        #[cfg(feature = "libav")]
        VideoDecoder::Libav => crate::libav::hash_file(path, options, progress),
        VideoDecoder::Ffmpeg => {
            let info = probe(path, options)?;
            let mut hasher = FrameHasher::new(path, options, &info, progress)?;
            hash_with_child(path, &info, options, &mut hasher)?;
            Ok((hasher.finish()?, DecodeStats::default()))
        }
    }
}

/// Collects the hashes of the selected frames, with the frame cap and progress reports.
pub(crate) struct FrameHasher<'a> {
    path: &'a Path,
    max_frames: usize,
    fps: f64,
    /// The reference's sampling interval.
    pub(crate) frame_mod: u64,
    expected: Option<usize>,
    frames: Vec<FrameHash>,
    progress: &'a mut dyn FnMut(&Progress),
}

impl<'a> FrameHasher<'a> {
    /// Refuses a video whose declared length is clearly over the frame cap.
    pub(crate) fn new(
        path: &'a Path,
        options: &HashOptions,
        info: &VideoInfo,
        progress: &'a mut dyn FnMut(&Progress),
    ) -> Result<Self, VideoError> {
        let frame_mod = info.frame_mod(options.seconds_per_hash);
        let expected = info
            .expected_frames()
            .map(|n| usize::try_from(n.div_ceil(frame_mod)).unwrap_or(usize::MAX));
        if let Some(e) = expected
            // Containers round durations; refuse early only when clearly over.
            && e > options.max_frames.saturating_add(options.max_frames / 20 + 1)
        {
            return Err(VideoError::TooManyFrames {
                path: path.to_owned(),
                limit: options.max_frames,
                expected: Some(e),
            });
        }
        Ok(Self {
            path,
            max_frames: options.max_frames,
            fps: info.fps,
            frame_mod,
            expected,
            frames: Vec::with_capacity(expected.unwrap_or(0).min(options.max_frames)),
            progress,
        })
    }

    /// Frames hashed so far.
    pub(crate) fn hashed(&self) -> usize {
        self.frames.len()
    }

    /// Forgets the frames hashed so far (a decode starting again from the beginning).
    #[cfg(feature = "libav")]
    pub(crate) fn restart(&mut self) {
        self.frames.clear();
    }

    /// Hashes frame `n` (a multiple of `frame_mod`) from packed RGB24 pixels.
    pub(crate) fn push(
        &mut self,
        n: u64,
        rgb: &[u8],
        width: usize,
        height: usize,
    ) -> Result<(), VideoError> {
        let too_many = || VideoError::TooManyFrames {
            path: self.path.to_owned(),
            limit: self.max_frames,
            expected: self.expected,
        };
        if self.frames.len() == self.max_frames {
            return Err(too_many());
        }
        let frame = u32::try_from(n).map_err(|_| too_many())?;
        // Frames with a side under 5 px come back as the zero hash with quality 0.
        // Luminance in f32 as the C++ vPDQ computes it, not the Python PDQ binding's f64 form.
        let pdq = quell_pdq::hash(&Rgb8F32::new(rgb, width, height, 3));
        let timestamp = n as f64 / self.fps;
        self.frames.push(FrameHash {
            frame,
            quality: pdq.quality,
            pdq: pdq.hash,
            timestamp,
        });
        (self.progress)(&Progress {
            hashed: self.frames.len(),
            expected: self.expected,
            seconds: timestamp,
        });
        Ok(())
    }

    /// The video's hash; an error if no frame was hashed.
    pub(crate) fn finish(self) -> Result<VideoHash, VideoError> {
        if self.frames.is_empty() {
            return Err(VideoError::NoFrames {
                path: self.path.to_owned(),
            });
        }
        Ok(VideoHash::new(self.frames))
    }
}

/// Decodes with an `ffmpeg` child whose `select` filter passes only the selected frames.
fn hash_with_child(
    path: &Path,
    info: &VideoInfo,
    options: &HashOptions,
    hasher: &mut FrameHasher<'_>,
) -> Result<(), VideoError> {
    let frame_mod = hasher.frame_mod;
    let mut decoder = Decoder::spawn(path, info, frame_mod, options)?;
    let (w, h) = (info.width as usize, info.height as usize);
    let mut buf = vec![0u8; w * h * 3];
    loop {
        match decoder.read_frame(&mut buf) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(decoder.fail(hasher.hashed(), format!("reading frames: {e}")));
            }
        }
        // On an error the decoder's drop kills the child.
        hasher.push(hasher.hashed() as u64 * frame_mod, &buf, w, h)?;
    }
    decoder.finish(hasher.hashed())
}

/// The running `ffmpeg` child, its frame pipe, its stderr collector and its watchdog.
struct Decoder {
    path: PathBuf,
    child: Arc<Mutex<Child>>,
    stdout: std::process::ChildStdout,
    stderr: Option<thread::JoinHandle<Vec<u8>>>,
    /// Dropping the sender stops the watchdog; it reports whether it fired.
    watchdog: Option<(mpsc::Sender<()>, thread::JoinHandle<bool>)>,
    timeout: Option<Duration>,
}

/// FFmpeg's messages are kept up to this size (the first ones say what went wrong).
const STDERR_KEEP: usize = 16 * 1024;

impl Decoder {
    fn spawn(
        path: &Path,
        info: &VideoInfo,
        frame_mod: u64,
        options: &HashOptions,
    ) -> Result<Self, VideoError> {
        let mut filter = String::new();
        if frame_mod > 1 {
            filter.push_str(&format!("select=not(mod(n\\,{frame_mod})),"));
        }
        filter.push_str(&format!("scale={}:{}:flags=area", info.width, info.height));
        let mut cmd = Command::new(&options.ffmpeg);
        cmd.args(["-nostdin", "-hide_banner", "-v", "error", "-xerror"])
            .args(["-threads", &options.decoder_threads.to_string()])
            .arg("-noautorotate")
            .arg("-i")
            .arg(ffmpeg_input(path))
            .args(["-map", "0:V:0", "-an", "-sn", "-dn"])
            .args(["-fps_mode", "passthrough", "-filter_threads", "1"])
            .args(["-vf", &filter])
            .args(["-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|source| VideoError::Tool {
            program: options.ffmpeg.clone(),
            source,
        })?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let child = Arc::new(Mutex::new(child));
        let watchdog = options.timeout.map(|after| {
            let (tx, rx) = mpsc::channel::<()>();
            let child = Arc::clone(&child);
            let handle = thread::spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(after) {
                    let _ = lock(&child).kill();
                    return true;
                }
                false
            });
            (tx, handle)
        });
        Ok(Self {
            path: path.to_owned(),
            child,
            stdout,
            stderr: Some(thread::spawn(move || collect_stderr(stderr))),
            watchdog,
            timeout: options.timeout,
        })
    }

    /// Fills `buf` with the next frame; `false` at the end of the stream.
    fn read_frame(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.stdout.read(&mut buf[filled..]) {
                Ok(0) if filled == 0 => return Ok(false),
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "stream ended inside a frame ({filled} of {} bytes)",
                            buf.len()
                        ),
                    ));
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    fn kill(&mut self) {
        let _ = lock(&self.child).kill();
        let _ = self.wait();
    }

    /// Waits for the child; returns its exit status, its messages and whether the watchdog
    /// killed it.
    fn wait(&mut self) -> (io::Result<std::process::ExitStatus>, Vec<u8>, bool) {
        let status = lock(&self.child).wait();
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let timed_out = self
            .watchdog
            .take()
            .map(|(tx, h)| {
                drop(tx);
                h.join().unwrap_or(false)
            })
            .unwrap_or(false);
        (status, stderr, timed_out)
    }

    /// Kills the child after a read failure and explains why.
    fn fail(&mut self, frames: usize, reason: String) -> VideoError {
        let _ = lock(&self.child).kill();
        let (_, stderr, timed_out) = self.wait();
        self.error(frames, &stderr, timed_out, reason)
    }

    fn error(&self, frames: usize, stderr: &[u8], timed_out: bool, fallback: String) -> VideoError {
        match self.timeout {
            Some(after) if timed_out => VideoError::Timeout {
                path: self.path.clone(),
                after,
            },
            _ => VideoError::Decode {
                path: self.path.clone(),
                frames,
                detail: last_message(stderr, fallback),
            },
        }
    }

    /// Waits for a clean exit after the last frame.
    fn finish(mut self, frames: usize) -> Result<(), VideoError> {
        let (status, stderr, timed_out) = self.wait();
        match status {
            Ok(s) if s.success() && !timed_out => Ok(()),
            Ok(s) => Err(self.error(frames, &stderr, timed_out, format!("ffmpeg {s}"))),
            Err(e) => Err(self.error(frames, &stderr, timed_out, e.to_string())),
        }
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        // Only reached with the child still running on an early return; never leave it behind.
        if self.stderr.is_some() {
            self.kill();
        }
    }
}

fn collect_stderr(mut stderr: ChildStderr) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stderr.read(&mut chunk) {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                let room = STDERR_KEEP.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..n.min(room)]);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The child handle has no invariant a panic could break.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
