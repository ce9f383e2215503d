//! Hashing video files: `ffprobe` checks the file, `ffmpeg` decodes it in a child process
//! and streams raw RGB24 frames through a pipe, one frame in memory at a time.
//!
//! Why a child process and not linked libav*: Quell is Apache-2.0 while the FFmpeg shipped by
//! Debian is built with GPL components, so linking it would put the binary under the GPL; a
//! child process needs no bindgen or libclang at build time; and a decoder crash, hang or
//! memory blow-up on hostile input stays in the child, which is killed on any limit.
//!
//! Frame selection and pixels follow the reference (`vpdq/cpp/hashing/filehasher.cpp`,
//! `ffmpegwrapper.cpp`): the first video stream that is not cover art, every decoded frame
//! counted in decode order (`-fps_mode passthrough`: nothing dropped or duplicated, no
//! auto-rotation), `frameMod = max(1, int(seconds_per_hash × fps))` with
//! `fps = avg_frame_rate` (else `r_frame_rate`), frame `n` hashed iff `n % frameMod == 0`
//! (done by FFmpeg's `select` filter so skipped frames are never converted or piped),
//! converted to RGB24 at the stored size with swscale's area filter, timestamp `n / fps`.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use quell_pdq::Rgb8;

use crate::video::{FrameHash, VideoHash};

/// Limits and settings for [`hash_file`].
#[derive(Clone, Debug)]
pub struct HashOptions {
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
    /// Decoder threads inside the child (`0` = FFmpeg's choice).
    pub decoder_threads: u32,
    /// The `ffmpeg` program.
    pub ffmpeg: PathBuf,
    /// The `ffprobe` program.
    pub ffprobe: PathBuf,
}

impl Default for HashOptions {
    fn default() -> Self {
        Self {
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

/// What `ffprobe` says about a file's video stream.
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

/// Probes `path` with `ffprobe` and checks it against the limits, without decoding frames.
///
/// # Errors
/// An empty or unreadable file, no video stream, no frame rate, or a frame size beyond the
/// limits.
pub fn probe(path: &Path, options: &HashOptions) -> Result<VideoInfo, VideoError> {
    let meta = std::fs::metadata(path).map_err(|source| VideoError::Io {
        path: path.to_owned(),
        source,
    })?;
    if meta.len() == 0 {
        return Err(VideoError::Empty {
            path: path.to_owned(),
        });
    }
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
fn parse_rate(s: &str) -> Option<f64> {
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
/// See [`VideoError`]; on any error the child process is killed.
pub fn hash_file(
    path: &Path,
    options: &HashOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<VideoHash, VideoError> {
    if !(options.seconds_per_hash.is_finite() && options.seconds_per_hash >= 0.0) {
        return Err(VideoError::Options(format!(
            "seconds per hash must be a non-negative number, got {}",
            options.seconds_per_hash
        )));
    }
    let info = probe(path, options)?;
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
    let mut decoder = Decoder::spawn(path, &info, frame_mod, options)?;
    let (w, h) = (info.width as usize, info.height as usize);
    let mut buf = vec![0u8; w * h * 3];
    let mut frames = Vec::with_capacity(expected.unwrap_or(0).min(options.max_frames));
    loop {
        match decoder.read_frame(&mut buf) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(decoder.fail(frames.len(), format!("reading frames: {e}")));
            }
        }
        if frames.len() == options.max_frames {
            decoder.kill();
            return Err(VideoError::TooManyFrames {
                path: path.to_owned(),
                limit: options.max_frames,
                expected,
            });
        }
        let n = frames.len() as u64 * frame_mod;
        let frame = u32::try_from(n).map_err(|_| VideoError::TooManyFrames {
            path: path.to_owned(),
            limit: options.max_frames,
            expected,
        })?;
        // Frames with a side under 5 px come back as the zero hash with quality 0.
        let pdq = quell_pdq::hash(&Rgb8::new(&buf, w, h, 3));
        let timestamp = n as f64 / info.fps;
        frames.push(FrameHash {
            frame,
            quality: pdq.quality,
            pdq: pdq.hash,
            timestamp,
        });
        progress(&Progress {
            hashed: frames.len(),
            expected,
            seconds: timestamp,
        });
    }
    decoder.finish(frames.len())?;
    if frames.is_empty() {
        return Err(VideoError::NoFrames {
            path: path.to_owned(),
        });
    }
    Ok(VideoHash::new(frames))
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
