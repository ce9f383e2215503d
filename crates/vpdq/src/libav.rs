//! The in-process decoder (feature `libav`): FFmpeg's libraries through `ffmpeg-next`.
//!
//! **Key decision: decode in-process, and skip what the hashed frames do not need.** At one
//! hash per second the reference decodes every frame; decoding is most of its cost. Here an
//! H.264 stream is read one group of pictures (IDR to IDR) at a time and only the packets
//! [`crate::skip::plan_gop`] selects are decoded, which is bit-identical (the tests compare
//! against decoding everything and against the child-process decoder on every sample
//! video). Frame numbers are then presentation ranks, so the decoder checks that every frame
//! it was sent comes back once, in rank order; if not, or if the stream does not start with
//! an IDR, has packets without timestamps, or a group of pictures over [`GOP_BYTES_MAX`], it
//! decodes the file again without skipping, counting output frames exactly as the reference
//! does. Other codecs, and every-frame hashing, decode everything.
//!
//! Linking FFmpeg costs crash isolation (a decoder bug on hostile input is in this process)
//! and makes a binary built with Debian's GPL-enabled FFmpeg GPL-covered; in exchange there
//! is no process start-up (~70 ms CPU each for `ffprobe` and `ffmpeg`) and no pipe.
//! Errors follow `ffmpeg -xerror`: a packet the decoder rejects, a frame it marks corrupt or
//! a container read error fails the hash. Skipped packets are not decoded, so damage
//! confined to frames nobody needs goes unnoticed.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Instant;

use ff::format::stream::Disposition;
use ff::software::scaling;
use ff::{Packet, codec, format, frame, media, threading};
use ffmpeg_next as ff;

use crate::VideoHash;
use crate::decode::{
    DecodeStats, FrameHasher, HashOptions, Progress, VideoError, VideoInfo, check_not_empty,
    check_size,
};
use crate::skip::{GopPacket, NalFraming, classify, plan_gop};

/// A group of pictures is held in memory until its last packet is read; beyond this many
/// bytes the file is decoded without skipping instead.
pub(crate) const GOP_BYTES_MAX: usize = 64 << 20;

fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Nothing to register with FFmpeg 5; the call only checks the libraries load.
        let _ = ff::init();
        // FFmpeg logs to stderr by default; errors come back as values here. The reference
        // does the same (AV_LOG_FATAL). The level is process-wide.
        ff::log::set_level(ff::log::Level::Fatal);
    });
}

/// An open container, its chosen video stream and what it declares.
struct Opened {
    input: format::context::Input,
    stream: usize,
    info: VideoInfo,
    extradata: Vec<u8>,
    time_base: ff::Rational,
}

/// Probes `path` in-process; same checks and errors as the `ffprobe` probe.
pub(crate) fn probe(path: &Path, options: &HashOptions) -> Result<VideoInfo, VideoError> {
    init();
    open(path, options, None).map(|o| o.info)
}

fn open(
    path: &Path,
    options: &HashOptions,
    deadline: Option<Instant>,
) -> Result<Opened, VideoError> {
    // `file:` so that a name is never taken for another protocol or an option.
    let mut url = OsString::from("file:");
    url.push(path.as_os_str());
    let input = format::input_with_interrupt(&PathBuf::from(url), move || {
        deadline.is_some_and(|d| Instant::now() > d)
    })
    .map_err(|e| match options.timeout {
        Some(after) if deadline.is_some_and(|d| Instant::now() > d) => VideoError::Timeout {
            path: path.to_owned(),
            after,
        },
        _ => VideoError::Unreadable {
            path: path.to_owned(),
            detail: e.to_string(),
        },
    })?;
    let Some(stream) = input.streams().find(|s| {
        s.parameters().medium() == media::Type::Video
            && !s.disposition().contains(Disposition::ATTACHED_PIC)
    }) else {
        return Err(VideoError::NoVideoStream {
            path: path.to_owned(),
        });
    };
    let unreadable = |detail: String| VideoError::Unreadable {
        path: path.to_owned(),
        detail,
    };
    let (width, height, extradata) = stream_parameters(&stream);
    let dim = |v: i32, key: &str| {
        u32::try_from(v)
            .ok()
            .filter(|&v| v > 0)
            .ok_or_else(|| unreadable(format!("video stream has no {key}")))
    };
    let (width, height) = (dim(width, "width")?, dim(height, "height")?);
    check_size(path, width, height, options)?;
    let rate = |r: ff::Rational| {
        (r.numerator() > 0 && r.denominator() > 0)
            .then(|| f64::from(r.numerator()) / f64::from(r.denominator()))
    };
    let (avg, base) = (stream.avg_frame_rate(), stream.rate());
    let fps = rate(avg)
        .or_else(|| rate(base))
        .ok_or_else(|| VideoError::FrameRate {
            path: path.to_owned(),
            value: format!("avg_frame_rate={avg}, r_frame_rate={base}"),
        })?;
    let time_base = stream.time_base();
    let seconds =
        |ticks: i64, unit: f64| (ticks != ff::ffi::AV_NOPTS_VALUE).then_some(ticks as f64 * unit);
    let duration = seconds(stream.duration(), f64::from(time_base))
        .or_else(|| seconds(input.duration(), 1.0 / f64::from(ff::ffi::AV_TIME_BASE)))
        .filter(|d| d.is_finite() && *d >= 0.0);
    let info = VideoInfo {
        codec: stream.parameters().id().name().to_owned(),
        width,
        height,
        fps,
        duration,
        frames: u64::try_from(stream.frames()).ok().filter(|&n| n > 0),
    };
    let stream = stream.index();
    Ok(Opened {
        input,
        stream,
        info,
        extradata,
        time_base,
    })
}

/// The stored size and the extradata of a stream (`ffmpeg-next` has no safe accessor).
#[allow(unsafe_code)]
fn stream_parameters(stream: &ff::Stream<'_>) -> (i32, i32, Vec<u8>) {
    let parameters = stream.parameters();
    // SAFETY: `parameters` points at the stream's AVCodecParameters, alive while the input
    // is; FFmpeg guarantees `extradata` holds `extradata_size` bytes when it is not null.
    unsafe {
        let p = &*parameters.as_ptr();
        let extradata = match usize::try_from(p.extradata_size) {
            Ok(len) if len > 0 && !p.extradata.is_null() => {
                std::slice::from_raw_parts(p.extradata, len).to_vec()
            }
            _ => Vec::new(),
        };
        (p.width, p.height, extradata)
    }
}

/// Why a decode stopped early.
enum Stop {
    /// The file cannot be hashed.
    Failed(VideoError),
    /// A skipping decode met a stream that is not as it assumes; decode without skipping.
    Unplanned,
}

impl From<VideoError> for Stop {
    fn from(e: VideoError) -> Self {
        Stop::Failed(e)
    }
}

/// Hashes `path` in-process, skipping frames where it is exact to do so.
pub(crate) fn hash_file(
    path: &Path,
    options: &HashOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<(VideoHash, DecodeStats), VideoError> {
    init();
    check_not_empty(path)?;
    let deadline = options.timeout.map(|t| Instant::now() + t);
    let opened = open(path, options, deadline)?;
    let mut hasher = FrameHasher::new(path, options, &opened.info, progress)?;
    let skip = options.skip_unneeded_frames && opened.info.codec == "h264" && hasher.frame_mod > 1;
    let mut stats = DecodeStats::default();
    let opened = if skip {
        let framing = NalFraming::from_extradata(&opened.extradata);
        let mut run = Run::new(path, options, opened, deadline)?;
        match run.skipping(&mut hasher, framing) {
            Ok(()) => return Ok((hasher.finish()?, run.stats)),
            Err(Stop::Failed(e)) => return Err(e),
            Err(Stop::Unplanned) => {
                hasher.restart();
                stats.restarted = true;
                open(path, options, deadline)?
            }
        }
    } else {
        opened
    };
    let mut run = Run::new(path, options, opened, deadline)?;
    run.stats.restarted = stats.restarted;
    match run.everything(&mut hasher) {
        Ok(()) => Ok((hasher.finish()?, run.stats)),
        Err(Stop::Failed(e)) => Err(e),
        Err(Stop::Unplanned) => unreachable!("decoding every frame needs no plan"),
    }
}

/// One decode of an opened file.
struct Run<'a> {
    path: &'a Path,
    options: &'a HashOptions,
    opened: Opened,
    decoder: ff::decoder::Video,
    scaler: Option<scaling::Context>,
    decoded: frame::Video,
    rgb: frame::Video,
    packed: Vec<u8>,
    deadline: Option<Instant>,
    stats: DecodeStats,
}

impl<'a> Run<'a> {
    fn new(
        path: &'a Path,
        options: &'a HashOptions,
        opened: Opened,
        deadline: Option<Instant>,
    ) -> Result<Self, VideoError> {
        let stream = opened
            .input
            .stream(opened.stream)
            .expect("the chosen stream exists");
        let cannot_open = |e: ff::Error| VideoError::Unreadable {
            path: path.to_owned(),
            detail: format!("cannot open the {} decoder: {e}", opened.info.codec),
        };
        let mut context =
            codec::Context::from_parameters(stream.parameters()).map_err(cannot_open)?;
        context.set_threading(threading::Config {
            kind: threading::Type::Frame,
            count: options.decoder_threads as usize,
            ..threading::Config::default()
        });
        let mut decoder = context.decoder();
        decoder.set_packet_time_base(opened.time_base);
        let decoder = decoder.video().map_err(cannot_open)?;
        let (w, h) = (opened.info.width as usize, opened.info.height as usize);
        Ok(Self {
            path,
            options,
            opened,
            decoder,
            scaler: None,
            decoded: frame::Video::empty(),
            rgb: frame::Video::empty(),
            packed: vec![0; w * h * 3],
            deadline,
            stats: DecodeStats::default(),
        })
    }

    fn decode_error(&self, hasher: &FrameHasher<'_>, detail: String) -> VideoError {
        VideoError::Decode {
            path: self.path.to_owned(),
            frames: hasher.hashed(),
            detail,
        }
    }

    fn check_deadline(&self) -> Result<(), VideoError> {
        match (self.deadline, self.options.timeout) {
            (Some(d), Some(after)) if Instant::now() > d => Err(VideoError::Timeout {
                path: self.path.to_owned(),
                after,
            }),
            _ => Ok(()),
        }
    }

    /// The next packet of the video stream; `None` at the end.
    fn next_packet(&mut self, hasher: &FrameHasher<'_>) -> Result<Option<Packet>, VideoError> {
        loop {
            self.check_deadline()?;
            let mut packet = Packet::empty();
            match packet.read(&mut self.opened.input) {
                Ok(()) if packet.stream() == self.opened.stream => {
                    self.stats.packets += 1;
                    return Ok(Some(packet));
                }
                Ok(()) => {}
                Err(ff::Error::Eof) => return Ok(None),
                Err(e) => {
                    self.check_deadline()?;
                    return Err(self.decode_error(hasher, format!("reading the container: {e}")));
                }
            }
        }
    }

    fn send(
        &mut self,
        packet: Option<&Packet>,
        hasher: &FrameHasher<'_>,
    ) -> Result<(), VideoError> {
        let sent = match packet {
            Some(p) => {
                self.stats.decoded += 1;
                self.decoder.send_packet(p)
            }
            None => self.decoder.send_eof(),
        };
        sent.map_err(|e| self.decode_error(hasher, format!("decoder refused a packet: {e}")))
    }

    /// The next decoded frame, if the decoder has one now.
    fn receive(&mut self, hasher: &FrameHasher<'_>) -> Result<bool, VideoError> {
        match self.decoder.receive_frame(&mut self.decoded) {
            Ok(()) => {}
            Err(ff::Error::Eof) => return Ok(false),
            Err(ff::Error::Other { errno }) if errno == ff::error::EAGAIN => return Ok(false),
            Err(e) => return Err(self.decode_error(hasher, format!("decoding: {e}"))),
        }
        if self.decoded.is_corrupt() || self.decoded.has_decode_errors() {
            return Err(self.decode_error(hasher, "corrupt decoded frame".to_owned()));
        }
        Ok(true)
    }

    /// Converts the frame just received to RGB24 at the stored size and hashes it as `n`.
    fn hash_decoded(&mut self, n: u64, hasher: &mut FrameHasher<'_>) -> Result<(), VideoError> {
        let (w, h) = (self.opened.info.width, self.opened.info.height);
        let source = (
            self.decoded.format(),
            self.decoded.width(),
            self.decoded.height(),
        );
        let stale = self.scaler.as_ref().is_none_or(|s| {
            let i = s.input();
            (i.format, i.width, i.height) != source
        });
        if stale {
            // A stream may change size midway; the new size is held to the same limits, and
            // frames are scaled to the stored size as the child-process decoder does.
            check_size(self.path, source.1, source.2, self.options)?;
            let scaler = scaling::Context::get(
                source.0,
                source.1,
                source.2,
                ff::format::Pixel::RGB24,
                w,
                h,
                scaling::Flags::AREA,
            )
            .map_err(|e| self.decode_error(hasher, format!("cannot convert {source:?}: {e}")))?;
            self.scaler = Some(scaler);
        }
        let scaler = self.scaler.as_mut().expect("made above");
        if let Err(e) = scaler.run(&self.decoded, &mut self.rgb) {
            return Err(self.decode_error(hasher, format!("converting a frame: {e}")));
        }
        let row = w as usize * 3;
        let stride = self.rgb.stride(0);
        let data = self.rgb.data(0);
        for (y, out) in self.packed.chunks_exact_mut(row).enumerate() {
            out.copy_from_slice(&data[y * stride..y * stride + row]);
        }
        hasher.push(n, &self.packed, w as usize, h as usize)
    }

    /// The reference's loop: every packet decoded, output frames counted.
    fn everything(&mut self, hasher: &mut FrameHasher<'_>) -> Result<(), Stop> {
        let mut n = 0u64;
        let mut ended = false;
        while !ended {
            let packet = self.next_packet(hasher)?;
            ended = packet.is_none();
            self.send(packet.as_ref(), hasher)?;
            while self.receive(hasher)? {
                if n.is_multiple_of(hasher.frame_mod) {
                    self.hash_decoded(n, hasher)?;
                }
                n += 1;
            }
        }
        Ok(())
    }

    /// One group of pictures at a time, decoding only the packets its plan sends.
    fn skipping(&mut self, hasher: &mut FrameHasher<'_>, framing: NalFraming) -> Result<(), Stop> {
        let mut gop: Vec<(Packet, GopPacket)> = Vec::new();
        let mut gop_bytes = 0usize;
        let mut state = Numbering::default();
        while let Some(packet) = self.next_packet(hasher)? {
            let pts = packet.pts().ok_or(Stop::Unplanned)?;
            let unit = classify(packet.data().unwrap_or_default(), framing);
            if state.next_first == 0 && gop.is_empty() && !unit.idr {
                return Err(Stop::Unplanned);
            }
            if unit.idr && !gop.is_empty() {
                self.decode_gop(&gop, &mut state, hasher)?;
                gop.clear();
                gop_bytes = 0;
            }
            gop_bytes += packet.size();
            if gop_bytes > GOP_BYTES_MAX {
                return Err(Stop::Unplanned);
            }
            gop.push((packet, GopPacket { pts, unit }));
        }
        if gop.is_empty() {
            return Err(Stop::Unplanned);
        }
        self.decode_gop(&gop, &mut state, hasher)?;
        self.send(None, hasher)?;
        self.drain_planned(&mut state, hasher)?;
        if !state.pending.is_empty() {
            return Err(Stop::Unplanned);
        }
        Ok(())
    }

    fn decode_gop(
        &mut self,
        gop: &[(Packet, GopPacket)],
        state: &mut Numbering,
        hasher: &mut FrameHasher<'_>,
    ) -> Result<(), Stop> {
        let packets: Vec<GopPacket> = gop.iter().map(|(_, g)| *g).collect();
        let plan = plan_gop(&packets, state.next_first, hasher.frame_mod).ok_or(Stop::Unplanned)?;
        let earliest = packets
            .iter()
            .map(|p| p.pts)
            .min()
            .expect("a group is never empty");
        let latest = packets
            .iter()
            .map(|p| p.pts)
            .max()
            .expect("a group is never empty");
        // Output order is presentation order across groups only if they do not overlap.
        if state.latest_pts.is_some_and(|l| earliest <= l) {
            return Err(Stop::Unplanned);
        }
        for (i, (packet, g)) in gop.iter().enumerate() {
            if plan.send[i] {
                state.pending.insert(g.pts, plan.numbers[i]);
                self.send(Some(packet), hasher)?;
                self.drain_planned(state, hasher)?;
            }
        }
        state.next_first += gop.len() as u64;
        state.latest_pts = Some(latest);
        Ok(())
    }

    /// Receives what the decoder has, checking each frame is one that was sent, in order.
    fn drain_planned(
        &mut self,
        state: &mut Numbering,
        hasher: &mut FrameHasher<'_>,
    ) -> Result<(), Stop> {
        while self.receive(hasher)? {
            let n = self
                .decoded
                .pts()
                .and_then(|pts| state.pending.remove(&pts))
                .ok_or(Stop::Unplanned)?;
            if state.last_output.is_some_and(|last| n <= last) {
                return Err(Stop::Unplanned);
            }
            state.last_output = Some(n);
            if n.is_multiple_of(hasher.frame_mod) {
                self.hash_decoded(n, hasher)?;
            }
        }
        Ok(())
    }
}

/// Frame numbering across the groups of a skipping decode.
#[derive(Default)]
struct Numbering {
    /// Number of the next group's first frame (frames in all groups so far).
    next_first: u64,
    /// The latest timestamp of the groups so far.
    latest_pts: Option<i64>,
    /// Sent packets whose frame has not come out yet: timestamp → frame number.
    pending: HashMap<i64, u64>,
    /// The last frame number that came out.
    last_output: Option<u64>,
}
