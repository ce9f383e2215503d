//! `quell hash PATH...`: hash image files, directories and stdin, in parallel; videos
//! (recognised by content) get a vPDQ hash, one at a time (see the `video` module).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::RwLock;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use quell_hash::{Md5, Pdq, Quality, Sha256};
use quell_pdq::decode::{DecodeLimits, DecodeOptions, Orientation, probe};
use rayon::prelude::*;

use quell_match::StoredItem;

use crate::input::{Input, Keep, Sniffed, collect, read_bounded, sniff, sniff_bytes};
use crate::output::{Format, Printer};
use crate::video::{self, VideoJob};

/// Arguments of `quell hash`.
#[derive(Args, Debug)]
pub(crate) struct HashArgs {
    /// Image or video files, directories (searched recursively for images and videos), or
    /// `-` for stdin (images only).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Also print the 8 dihedral hashes (original, rot90, rot180, rot270, flip-x, flip-y,
    /// flip-plus-1, flip-minus-1), as the reference's `--pdqdih-across` does.
    #[arg(long)]
    dihedral: bool,

    /// One JSON object per line: {"path","pdq","quality","md5","sha256"} for an image,
    /// {"path","vpdq","md5","sha256"} for a video (`vpdq` as python-threatexchange's list of
    /// "hex,quality,timestamp" strings), or {"path","error"}.
    #[arg(long, conflicts_with = "csv")]
    json: bool,

    /// CSV with a header row.
    #[arg(long)]
    csv: bool,

    /// Rotate and flip as the EXIF Orientation tag says before hashing (as viewers display
    /// the image). By default the pixels are hashed as stored, like the reference.
    #[arg(long)]
    exif_orientation: bool,

    /// Refuse images with more pixels than this, in megapixels.
    #[arg(long, default_value_t = 100, value_name = "MP")]
    max_megapixels: u64,

    /// Refuse files larger than this, in MiB.
    #[arg(long, default_value_t = 100, value_name = "MIB")]
    max_file_mib: u64,

    /// Memory that parallel decodes may use together, in MiB. An image that needs more than
    /// its thread's share is decoded while no other image is.
    #[arg(long, default_value_t = 512, value_name = "MIB")]
    max_memory_mib: u64,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,

    /// Videos: hash one frame per this many seconds (0 = every frame), as the reference's
    /// `seconds_per_hash`.
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    seconds_per_hash: f64,

    /// Videos: refuse one with more frames to hash than this.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    max_frames: usize,

    /// Videos: the decoder, `libav` (FFmpeg's libraries in this process, decoding only the
    /// frames the hashed ones need; the default when built in) or `ffmpeg` (the `ffmpeg`
    /// and `ffprobe` programs as child processes). Both give the same hashes.
    #[arg(long, default_value_t = quell_vpdq::decode::VideoDecoder::default().name().to_owned(),
        value_name = "DECODER")]
    video_decoder: String,

    /// Videos, with the `libav` decoder: decode every frame rather than only the needed
    /// ones (same result, slower; for comparisons).
    #[arg(long)]
    decode_every_frame: bool,
}

/// `quell hash`'s default file-size limit, also used by `scan` and `case open`.
const DEFAULT_MAX_FILE_BYTES: u64 = 100 << 20;

/// `quell hash`'s default memory budget for parallel decodes, also used by `scan` and `case open`.
pub(crate) const DEFAULT_MEMORY_BYTES: u64 = 512 << 20;

/// What hashing one input produced.
pub(crate) struct Hashed {
    pub(crate) pdq: Pdq,
    pub(crate) quality: Quality,
    pub(crate) dihedral: Option<[Pdq; 8]>,
    /// MD5 and SHA-256 of the file bytes, when the output format shows them.
    pub(crate) digests: Option<(Md5, Sha256)>,
    /// The searches of the job's hash profile, if it has one.
    pub(crate) queries: Vec<quell_robust::Query>,
}

/// Runs the command; `Ok(1)` if any input failed.
pub(crate) fn run(args: &HashArgs) -> anyhow::Result<ExitCode> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    let options = DecodeOptions {
        limits: DecodeLimits {
            max_pixels: args.max_megapixels.saturating_mul(1_000_000),
            ..DecodeLimits::default()
        },
        orientation: if args.exif_orientation {
            Orientation::FromExif
        } else {
            Orientation::AsStored
        },
    };
    let max_file_bytes = args.max_file_mib.saturating_mul(1 << 20);
    let format = if args.json {
        Format::Json
    } else if args.csv {
        Format::Csv
    } else {
        Format::Plain
    };
    let stdout = std::io::stdout().lock();
    let mut printer = Printer::new(std::io::BufWriter::new(stdout), format, args.dihedral)?;

    let (inputs, walk_errors) = collect(&args.paths, Keep::Media);
    let mut failures = walk_errors.len();
    for (path, err) in &walk_errors {
        printer.error(path, err)?;
    }

    let gate = MemoryGate::new(
        args.max_memory_mib.saturating_mul(1 << 20),
        pool.current_num_threads(),
    );
    let job = Job {
        dihedral: args.dihedral,
        // JSON lines carry the default profile's upload searches, ready for `POST /v1/match`
        // and for the retroactive checks of stored hash files.
        profile: args.json.then_some(quell_robust::Profile::DEFAULT),
        digests: format != Format::Plain,
        options,
        max_file_bytes,
        gate: &gate,
    };
    let video_job = VideoJob {
        options: quell_vpdq::decode::HashOptions {
            seconds_per_hash: args.seconds_per_hash,
            max_frames: args.max_frames,
            decoder: args
                .video_decoder
                .parse()
                .map_err(|e: String| anyhow::anyhow!(e))?,
            skip_unneeded_frames: !args.decode_every_frame,
            ..Default::default()
        },
        json: format == Format::Json,
    };
    let progress = progress_bar(inputs.len() as u64);
    // Work in ordered batches: results print in input order while the workers stay busy.
    let batch = 8 * pool.current_num_threads().max(1);
    for chunk in inputs.chunks(batch) {
        let results: Vec<Result<Outcome, String>> = pool.install(|| {
            chunk
                .par_iter()
                .map(|input| {
                    let r = job.hash(input);
                    progress.inc(1);
                    r
                })
                .collect()
        });
        progress.suspend(|| -> anyhow::Result<()> {
            for (input, result) in chunk.iter().zip(results) {
                // Videos are hashed here, in input order and one at a time: FFmpeg decodes
                // in parallel by itself, and each video streams through one frame buffer.
                let result = match (result, input) {
                    (Ok(Outcome::Video), Input::File(_)) if format == Format::Csv => Err(
                        "video hashes are not available as CSV; use --json or plain output"
                            .to_string(),
                    ),
                    (Ok(Outcome::Video), Input::File(path)) => {
                        video_job.hash(path).map(Outcome::HashedVideo)
                    }
                    (other, _) => other,
                };
                match result {
                    Ok(Outcome::Image(h)) => printer.hashed(&input.display(), &h)?,
                    Ok(Outcome::HashedVideo(v)) => {
                        printer.flush()?;
                        video::print(&mut std::io::stdout().lock(), &input.display(), &v)?;
                    }
                    Ok(Outcome::Video) => unreachable!("videos are only read from files"),
                    Err(e) => {
                        failures += 1;
                        printer.error(&input.display(), &e)?;
                    }
                }
            }
            printer.flush()
        })?;
    }
    progress.finish_and_clear();
    printer.flush()?;
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A progress bar on stderr, only when it is a terminal and the run is long enough to want one.
fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() || len < 20 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} images, {per_sec}, {eta} left")
            .expect("static template"),
    );
    bar
}

/// What the parallel pass produced for one input.
// A batch holds a few dozen of these at a time; boxing the common image case would cost an
// allocation per image for nothing.
#[allow(clippy::large_enum_variant)]
enum Outcome {
    Image(Hashed),
    /// A video file, hashed afterwards in input order.
    Video,
    HashedVideo(video::HashedVideo),
}

/// What every input is hashed with.
struct Job<'a> {
    dihedral: bool,
    /// Also compute this profile's upload searches from the decoded pixels.
    profile: Option<quell_robust::Profile>,
    digests: bool,
    options: DecodeOptions,
    max_file_bytes: u64,
    gate: &'a MemoryGate,
}

impl Job<'_> {
    fn hash(&self, input: &Input) -> Result<Outcome, String> {
        if let Input::File(path) = input
            && sniff(path) == Sniffed::Video
        {
            return Ok(Outcome::Video);
        }
        let bytes = read_bounded(input, self.max_file_bytes)?;
        if sniff_bytes(&bytes[..bytes.len().min(video::SNIFF_BYTES)]) == Sniffed::Video {
            return Err(
                "video on stdin is not supported (FFmpeg needs to seek): pass the \
                        file's path"
                    .to_string(),
            );
        }
        self.image(&bytes).map(Outcome::Image)
    }

    /// Hashes an image's bytes.
    fn image(&self, bytes: &[u8]) -> Result<Hashed, String> {
        let probed = probe(bytes, &self.options).map_err(|e| e.to_string())?;
        let info = probed.info();
        // A profile works on a luminance copy: 4 bytes a pixel beside the decoded pixels.
        let luma_bytes = u64::from(info.width) * u64::from(info.height) * 4;
        let need = bytes.len() as u64 + info.peak_bytes + self.profile.map_or(0, |_| luma_bytes);
        let (pdq, quality, dihedral, queries) = self.gate.run(need, || {
            let image = probed.decode().map_err(|e| e.to_string())?;
            Ok::<_, String>(if let Some(profile) = self.profile {
                // A profile's first search is the image's own hash: one full-resolution pass.
                let (quality, queries) = profile.upload_from_rows(&image);
                let dihedral = self
                    .dihedral
                    .then(|| quell_pdq::hash_dihedral(&image).hashes);
                (queries[0].hash, quality, dihedral, queries)
            } else if self.dihedral {
                let d = quell_pdq::hash_dihedral(&image);
                (d.hashes[0], d.quality, Some(d.hashes), Vec::new())
            } else {
                let h = quell_pdq::hash(&image);
                (h.hash, h.quality, None, Vec::new())
            })
        })?;
        // The plain format prints no digests, so it does not pay for them.
        let digests = self.digests.then(|| (Md5::of(bytes), Sha256::of(bytes)));
        Ok(Hashed {
            pdq,
            quality,
            dihedral,
            digests,
            queries,
        })
    }
}

/// Keeps parallel decodes within a memory budget.
///
/// Each thread may use its share of the budget; the header tells how much an image needs
/// before its pixels are decoded. An image needing more than a share waits until it can run
/// alone, so a folder of 100-megapixel files costs what one costs, not one per core.
#[derive(Debug)]
pub(crate) struct MemoryGate {
    share: u64,
    lock: RwLock<()>,
}

impl MemoryGate {
    pub(crate) fn new(budget: u64, threads: usize) -> Self {
        Self {
            share: budget / threads.max(1) as u64,
            lock: RwLock::new(()),
        }
    }

    fn run<T>(&self, need: u64, work: impl FnOnce() -> T) -> T {
        // A panic elsewhere cannot leave the budget inconsistent: the lock guards no data.
        if need <= self.share {
            let _shared = self.lock.read().unwrap_or_else(|e| e.into_inner());
            work()
        } else {
            let _alone = self.lock.write().unwrap_or_else(|e| e.into_inner());
            work()
        }
    }
}

/// Hashes the images and videos under `paths` for `quell scan`, as `quell hash --json` does
/// with its default settings (same walking, decoding limits, memory budget and parallelism;
/// videos with vPDQ at one frame per second, one at a time), calling `each` in input order.
pub(crate) fn hash_for_scan(
    paths: &[PathBuf],
    profile: Option<quell_robust::Profile>,
    mut each: impl FnMut(&str, Result<StoredItem, String>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (inputs, walk_errors) = collect(paths, Keep::Media);
    for (path, err) in walk_errors {
        each(&path, Err(err))?;
    }
    let threads = rayon::current_num_threads();
    let gate = MemoryGate::new(DEFAULT_MEMORY_BYTES, threads);
    let job = Job {
        dihedral: false,
        profile,
        digests: true,
        options: DecodeOptions::default(),
        max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        gate: &gate,
    };
    let video_job = VideoJob {
        options: quell_vpdq::decode::HashOptions::default(),
        json: true,
    };
    let progress = progress_bar(inputs.len() as u64);
    for chunk in inputs.chunks(8 * threads.max(1)) {
        let results: Vec<Result<Outcome, String>> = chunk
            .par_iter()
            .map(|input| {
                let r = job.hash(input);
                progress.inc(1);
                r
            })
            .collect();
        progress.suspend(|| -> anyhow::Result<()> {
            for (input, result) in chunk.iter().zip(results) {
                let path = input.display();
                let item = match (result, input) {
                    (Ok(Outcome::Image(h)), _) => h
                        .digests
                        .map(|(md5, sha256)| StoredItem {
                            path: path.clone(),
                            pdq: Some(h.pdq),
                            md5: Some(md5),
                            sha256: Some(sha256),
                            vpdq: None,
                            filed: filed_queries(profile, h.queries),
                        })
                        .ok_or_else(|| "no digests".to_owned()),
                    // As in `run`: videos one at a time, FFmpeg decodes in parallel itself.
                    (Ok(Outcome::Video), Input::File(file)) => {
                        video_job.hash(file).map(|v| v.into_stored_item(&path))
                    }
                    (Ok(Outcome::Video | Outcome::HashedVideo(_)), _) => {
                        Err("videos are only read from files".to_owned())
                    }
                    (Err(e), _) => Err(e),
                };
                each(&path, item)?;
            }
            Ok(())
        })?;
    }
    progress.finish_and_clear();
    Ok(())
}

/// One uploaded file's bytes, hashed as `quell scan` hashes a stored file (the same limits:
/// 100 MiB, 100 megapixels; pixels as stored), for the matcher's `POST /v1/match/file`. The
/// content decides what it is, never a name or a header. A video is read from a temporary
/// file (FFmpeg seeks) with vPDQ at one frame per second, on one decoder thread, for at most
/// [`UPLOAD_VIDEO_TIMEOUT`]. MD5 and SHA-256 are always made, so a file the registry holds by
/// its digests alone (one neither decoder reads, a damaged photo) is still matched; the
/// second value says why nothing else could be made of it. `gate` keeps concurrent decodes
/// within the memory budget.
///
/// # Errors
/// Only for an empty upload: the empty file's digests match nothing meaningful.
pub(crate) fn hash_upload(
    bytes: &[u8],
    profile: Option<quell_robust::Profile>,
    gate: &MemoryGate,
) -> Result<(StoredItem, Option<String>), String> {
    if bytes.is_empty() {
        return Err("the upload is empty".to_owned());
    }
    let mut item = StoredItem {
        path: "upload".to_owned(),
        pdq: None,
        md5: Some(Md5::of(bytes)),
        sha256: Some(Sha256::of(bytes)),
        vpdq: None,
        filed: Vec::new(),
    };
    let unread = match sniff_bytes(&bytes[..bytes.len().min(video::SNIFF_BYTES)]) {
        Sniffed::Image => {
            let job = Job {
                dihedral: false,
                profile,
                digests: false,
                options: DecodeOptions::default(),
                max_file_bytes: DEFAULT_MAX_FILE_BYTES,
                gate,
            };
            match job.image(bytes) {
                Ok(h) => {
                    item.pdq = Some(h.pdq);
                    item.filed = filed_queries(profile, h.queries);
                    None
                }
                Err(e) => Some(format!("the image cannot be decoded: {e}")),
            }
        }
        Sniffed::Video => match upload_video(bytes) {
            Ok(vpdq) => {
                item.vpdq = Some(vpdq);
                None
            }
            Err(e) => Some(format!("the video cannot be hashed: {e}")),
        },
        Sniffed::Other => Some(
            "not an image (JPEG, PNG, WebP, GIF, BMP, TIFF) or a video (MP4, MOV, WebM, MKV, \
             AVI) this matcher reads"
                .to_owned(),
        ),
    };
    Ok((item, unread))
}

/// How long an uploaded video may take to hash.
pub(crate) const UPLOAD_VIDEO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// An uploaded video's vPDQ, from a temporary file that is removed afterwards.
fn upload_video(bytes: &[u8]) -> Result<std::sync::Arc<quell_vpdq::VideoHash>, String> {
    let mut file = tempfile::NamedTempFile::new()
        .map_err(|e| format!("cannot store the video to read it: {e}"))?;
    std::io::Write::write_all(&mut file, bytes)
        .and_then(|()| file.as_file().sync_data())
        .map_err(|e| format!("cannot store the video to read it: {e}"))?;
    let video_job = VideoJob {
        options: quell_vpdq::decode::HashOptions {
            timeout: Some(UPLOAD_VIDEO_TIMEOUT),
            // One core per upload: the matcher hashes one upload per core at a time.
            decoder_threads: 1,
            ..quell_vpdq::decode::HashOptions::default()
        },
        json: false,
    };
    let stored = video_job.hash(file.path())?.into_stored_item("upload");
    stored
        .vpdq
        .ok_or_else(|| "the video gave no vPDQ hash".to_owned())
}

/// A profile's upload searches as `quell-match` queries (none without a profile).
pub(crate) fn filed_queries(
    profile: Option<quell_robust::Profile>,
    queries: Vec<quell_robust::Query>,
) -> Vec<quell_match::Query> {
    let Some(profile) = profile else {
        return Vec::new();
    };
    queries
        .into_iter()
        .map(|q| quell_match::Query::Filed {
            hash: q.hash,
            upload: q.kind,
            profile: profile.name(),
            searches: q.searches,
        })
        .collect()
}

/// PDQ and quality of the image file at `path`, as `quell hash` computes them with its default
/// settings (limits, pixels as stored), for `quell case open`. `Err` says why this file is not
/// an image this tool can hash.
pub(crate) fn image_pdq(
    path: &Path,
    gate: &MemoryGate,
    profile: Option<quell_robust::Profile>,
) -> Result<ImageFingerprint, String> {
    let bytes = read_bounded(&Input::File(path.to_owned()), DEFAULT_MAX_FILE_BYTES)?;
    let probed = probe(&bytes, &DecodeOptions::default()).map_err(|e| e.to_string())?;
    let info = probed.info();
    // A profile works on a luminance copy: 4 bytes a pixel beside the decoded pixels.
    let luma_bytes = u64::from(info.width) * u64::from(info.height) * 4;
    let need = bytes.len() as u64 + info.peak_bytes + profile.map_or(0, |_| luma_bytes);
    gate.run(need, || {
        let image = probed.decode().map_err(|e| e.to_string())?;
        let plain = quell_pdq::hash(&image);
        let filed = profile.map_or_else(Vec::new, |p| {
            p.submission_entries(&quell_robust::LumaImage::from_rows(&image))
        });
        Ok(ImageFingerprint { plain, filed })
    })
}

/// An image's plain PDQ hash and, under a profile that files by part, the hashes it
/// registers, each with its part and quality.
pub(crate) struct ImageFingerprint {
    pub(crate) plain: quell_pdq::PdqHash,
    pub(crate) filed: Vec<(quell_hash::Part, quell_pdq::PdqHash)>,
}
