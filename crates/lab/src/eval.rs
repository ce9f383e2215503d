//! The robustness evaluation: register originals under each profile, query every transformed
//! variant, and score recall per family against false matches between distinct images.
//!
//! **Key decision: false matches are counted per (query image, registered image) pair, with
//! the profile's whole match rule applied.** A profile that registers ten hashes per image
//! and queries eight gets eighty chances per pair to collide, and that cost has to show in
//! the false-match rate it is compared on. Impostor pairs are every ordered pair of distinct
//! originals plus every distractor against every original.
//!
//! The headline figures (recall per family, false matches, misses) are those of the
//! profile's own match rule, [`Profile::match_rule`], the function `quell match` applies to
//! index hits: here it sees every pair of hashes instead of an index's. The sweeps over
//! thresholds score the first stage's distance alone, and the second-stage table the
//! distance [`Profile::second_distance`], to show what other thresholds would give.

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::RgbImage;
use quell_hash::{Distance, Part, Pdq, UploadKind};
use rayon::prelude::*;

use quell_robust::{LumaImage, Profile, Query};

use crate::transform::Family;

/// One image of the corpus.
#[derive(Debug)]
pub struct CorpusImage {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its pixels, downscaled to the evaluation's size bound.
    pub pixels: RgbImage,
}

/// Why an image folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A folder could not be listed.
    #[error("cannot list {path}: {source}")]
    List {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file could not be read or decoded.
    #[error("{path}: {reason}")]
    Image {
        /// The file.
        path: PathBuf,
        /// The cause.
        reason: String,
    },
}

/// Every image file under `dir` (recursively, by content, in path order), downscaled so the
/// longer side is at most `max_side` (it bounds the evaluation's time; the transforms act on
/// that size). Files that are not images are skipped; images that fail to decode are errors.
///
/// # Errors
/// [`LoadError`] naming the folder or file.
pub fn load_images(dir: &Path, max_side: u32) -> Result<Vec<CorpusImage>, LoadError> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    let images: Vec<Option<Result<CorpusImage, LoadError>>> = files
        .par_iter()
        .map(|path| {
            let bytes = match std::fs::read(path) {
                Ok(b) => b,
                Err(e) => {
                    return Some(Err(LoadError::Image {
                        path: path.clone(),
                        reason: e.to_string(),
                    }));
                }
            };
            if !quell_pdq::decode::is_supported_image(&bytes[..bytes.len().min(64)]) {
                return None;
            }
            Some(
                decode_rgb(&bytes, max_side)
                    .map(|pixels| CorpusImage {
                        path: path.clone(),
                        pixels,
                    })
                    .map_err(|reason| LoadError::Image {
                        path: path.clone(),
                        reason,
                    }),
            )
        })
        .collect();
    images.into_iter().flatten().collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let list = |source| LoadError::List {
        path: dir.to_owned(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(list)? {
        let path = entry.map_err(list)?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Decodes with the `image` crate (EXIF orientation ignored, as PDQ's reference does) to RGB.
fn decode_rgb(bytes: &[u8], max_side: u32) -> Result<RgbImage, String> {
    let image = image::load_from_memory(bytes).map_err(|e| e.to_string())?;
    let image = if image.width().max(image.height()) > max_side {
        image.resize(max_side, max_side, image::imageops::FilterType::Triangle)
    } else {
        image
    };
    Ok(image.to_rgb8())
}

/// How the evaluation runs.
#[derive(Clone, Debug)]
pub struct EvalConfig {
    /// Seeds every transform parameter.
    pub seed: u64,
    /// The profiles to score; the first is the baseline the others are compared with.
    pub profiles: Vec<Profile>,
}

/// One profile's scores.
#[derive(Debug)]
pub struct ProfileReport {
    /// The profile.
    pub profile: Profile,
    /// Registered hashes per original, on average.
    pub hashes_per_image: f64,
    /// Per family: distance from each variant to its own original under the match rule.
    pub genuine: Vec<(Family, Vec<Distance>)>,
    /// Distance for every impostor pair: each original against every other original, each
    /// distractor against every original.
    pub impostor: Vec<Distance>,
    /// Distance from every variant to every original it was not made from: a larger, harder
    /// impostor set (uploads are transformed too), reported beside the first.
    pub variant_impostor: Vec<Distance>,
    /// [`Profile::second_distance`] of every pair above, in the same order: per family of
    /// `genuine`, then of `impostor` and `variant_impostor`, to score a second-stage rule.
    pub second: SecondDistances,
    /// Whether each pair above matches under the profile's match rule
    /// ([`Profile::match_rule`]), in the same order.
    pub rule: RuleVerdicts,
    /// Median time to compute one upload's hashes from its decoded pixels, in microseconds:
    /// for uploads as they are (the originals), and for uploads inside a border.
    pub upload_micros: (f64, f64),
    /// Every variant not matched under the profile's match rule, to see which compositions
    /// fail.
    pub misses: Vec<Miss>,
}

/// [`Profile::second_distance`] of the pairs of a [`ProfileReport`], aligned with its
/// distances.
#[derive(Debug, Default)]
pub struct SecondDistances {
    /// Per family, in `genuine`'s order.
    pub genuine: Vec<Vec<Distance>>,
    /// Of `impostor`.
    pub impostor: Vec<Distance>,
    /// Of `variant_impostor`.
    pub variant_impostor: Vec<Distance>,
}

/// [`Profile::match_rule`]'s verdict on the pairs of a [`ProfileReport`], aligned with its
/// distances.
#[derive(Debug, Default)]
pub struct RuleVerdicts {
    /// Per family, in `genuine`'s order.
    pub genuine: Vec<Vec<bool>>,
    /// Of `impostor`.
    pub impostor: Vec<bool>,
    /// Of `variant_impostor`.
    pub variant_impostor: Vec<bool>,
}

/// The two-stage rule scored beside each profile's own: a pair matches when its distance is
/// at most the profile's threshold, or its [`Profile::second_distance`] at most `second`.
fn two_stage(d: Distance, d2: Distance, threshold: Distance, second: Distance) -> bool {
    d <= threshold || d2 <= second
}

/// A variant its own original did not match under the profile's match rule.
#[derive(Clone, Debug)]
pub struct Miss {
    /// Its family.
    pub family: Family,
    /// Index of the original among those evaluated.
    pub original: usize,
    /// Position of the variant in the family's list ([`Family::variants`]).
    pub variant: usize,
    /// Its nearest pair's distance.
    pub distance: Distance,
}

impl ProfileReport {
    /// Share of one family's variants matched under the profile's match rule.
    pub fn rule_recall(&self, family: Family) -> f64 {
        let k = self
            .genuine
            .iter()
            .position(|(f, _)| *f == family)
            .expect("every family scored");
        let hits = &self.rule.genuine[k];
        hits.iter().filter(|&&m| m).count() as f64 / hits.len().max(1) as f64
    }

    /// Mean of the per-family recalls under the profile's match rule.
    pub fn rule_mean_recall(&self) -> f64 {
        let sum: f64 = self.genuine.iter().map(|(f, _)| self.rule_recall(*f)).sum();
        sum / self.genuine.len().max(1) as f64
    }

    /// Impostor and variant-impostor pairs matched under the profile's match rule.
    pub fn rule_false_matches(&self) -> (usize, usize) {
        let count = |v: &[bool]| v.iter().filter(|&&m| m).count();
        (
            count(&self.rule.impostor),
            count(&self.rule.variant_impostor),
        )
    }

    /// Share of one family's variants matched at `threshold`.
    pub fn recall(&self, family: Family, threshold: Distance) -> f64 {
        let d = &self
            .genuine
            .iter()
            .find(|(f, _)| *f == family)
            .expect("every family scored")
            .1;
        share(d, threshold)
    }

    /// Mean of the per-family recalls at `threshold`.
    pub fn mean_recall(&self, threshold: Distance) -> f64 {
        let sum: f64 = self
            .genuine
            .iter()
            .map(|(f, _)| self.recall(*f, threshold))
            .sum();
        sum / self.genuine.len() as f64
    }

    /// Mean of the per-family recalls under the two-stage rule (`threshold`, then `second`).
    pub fn mean_recall_two_stage(&self, threshold: Distance, second: Distance) -> f64 {
        let sum: f64 = self
            .genuine
            .iter()
            .zip(&self.second.genuine)
            .map(|((_, d), d2)| {
                let hits = d
                    .iter()
                    .zip(d2)
                    .filter(|&(&d, &d2)| two_stage(d, d2, threshold, second))
                    .count();
                hits as f64 / d.len().max(1) as f64
            })
            .sum();
        sum / self.genuine.len().max(1) as f64
    }

    /// Impostor and variant-impostor pairs matched under the two-stage rule.
    pub fn false_matches_two_stage(&self, threshold: Distance, second: Distance) -> (usize, usize) {
        let count = |d: &[Distance], d2: &[Distance]| {
            d.iter()
                .zip(d2)
                .filter(|&(&d, &d2)| two_stage(d, d2, threshold, second))
                .count()
        };
        (
            count(&self.impostor, &self.second.impostor),
            count(&self.variant_impostor, &self.second.variant_impostor),
        )
    }

    /// Number of impostor pairs matched at `threshold`.
    pub fn false_matches(&self, threshold: Distance) -> usize {
        self.impostor.iter().filter(|&&d| d <= threshold).count()
    }

    /// The largest threshold whose false matches are at most `allowed`.
    pub fn threshold_for(&self, allowed: usize) -> Distance {
        let mut sorted = self.impostor.clone();
        sorted.sort();
        match sorted.get(allowed) {
            Some(d) => Distance::new(d.get().saturating_sub(1)),
            None => Distance::new(256),
        }
    }
}

fn share(distances: &[Distance], threshold: Distance) -> f64 {
    if distances.is_empty() {
        return 0.0;
    }
    distances.iter().filter(|&&d| d <= threshold).count() as f64 / distances.len() as f64
}

/// Scores every profile on a corpus.
pub fn evaluate(
    originals: &[CorpusImage],
    distractors: &[CorpusImage],
    config: &EvalConfig,
) -> Vec<ProfileReport> {
    let lumas: Vec<LumaImage> = originals
        .par_iter()
        .map(|o| LumaImage::from_rgb(&o.pixels))
        .collect();
    let distractor_lumas: Vec<LumaImage> = distractors
        .par_iter()
        .map(|o| LumaImage::from_rgb(&o.pixels))
        .collect();
    // Variants are made once and hashed by every profile, so all profiles see the same pixels.
    let variants: Vec<Vec<(Family, usize, LumaImage)>> = originals
        .par_iter()
        .enumerate()
        .map(|(i, o)| {
            Family::ALL
                .iter()
                .flat_map(|&f| {
                    f.variants(&o.pixels, config.seed, i as u64)
                        .into_iter()
                        .enumerate()
                        .map(move |(k, v)| (f, k, LumaImage::from_rgb(&v)))
                })
                .collect()
        })
        .collect();

    // Timed together, interleaved, so the ratios between profiles stay fair under load.
    let costs = upload_costs(&config.profiles, originals);
    config
        .profiles
        .iter()
        .zip(costs)
        .map(|(&profile, upload_micros)| {
            let registered: Vec<Registered> = lumas
                .par_iter()
                .map(|l| Registered::new(profile.submission_parts(l)))
                .collect();
            let originals_up: Vec<Upload> = lumas
                .par_iter()
                .map(|l| Upload::new(profile.upload_queries(l)))
                .collect();
            let distractors_up: Vec<Upload> = distractor_lumas
                .par_iter()
                .map(|l| Upload::new(profile.upload_queries(l)))
                .collect();
            let mut genuine: Vec<(Family, Vec<Distance>)> =
                Family::ALL.iter().map(|&f| (f, Vec::new())).collect();
            // Per variant: the distance to its own original, and to every other original.
            type Scored = Vec<(Family, usize, Scores, Vec<Scores>)>;
            let scored: Vec<Scored> = variants
                .par_iter()
                .enumerate()
                .map(|(i, vs)| {
                    vs.iter()
                        .map(|(f, k, v)| {
                            let up = Upload::new(profile.upload_queries(v));
                            let others = (0..registered.len())
                                .filter(|&j| j != i)
                                .map(|j| scores(profile, &up, &registered[j]))
                                .collect();
                            (*f, *k, scores(profile, &up, &registered[i]), others)
                        })
                        .collect()
                })
                .collect();
            let mut variant_impostor = Vec::new();
            let mut second = SecondDistances {
                genuine: vec![Vec::new(); Family::ALL.len()],
                ..SecondDistances::default()
            };
            let mut rule = RuleVerdicts {
                genuine: vec![Vec::new(); Family::ALL.len()],
                ..RuleVerdicts::default()
            };
            let mut misses = Vec::new();
            for (original, list) in scored.into_iter().enumerate() {
                for (f, variant, (d, d2, m), others) in list {
                    if !m {
                        misses.push(Miss {
                            family: f,
                            original,
                            variant,
                            distance: d,
                        });
                    }
                    for (o, o2, om) in others {
                        variant_impostor.push(o);
                        second.variant_impostor.push(o2);
                        rule.variant_impostor.push(om);
                    }
                    let k = genuine
                        .iter()
                        .position(|(g, _)| *g == f)
                        .expect("every family listed");
                    genuine[k].1.push(d);
                    second.genuine[k].push(d2);
                    rule.genuine[k].push(m);
                }
            }
            let mut impostor = Vec::new();
            for (j, up) in originals_up.iter().enumerate() {
                for (i, reg) in registered.iter().enumerate() {
                    if i != j {
                        impostor.push(scores(profile, up, reg));
                    }
                }
            }
            for up in &distractors_up {
                for reg in &registered {
                    impostor.push(scores(profile, up, reg));
                }
            }
            let mut impostor_distances = Vec::with_capacity(impostor.len());
            for (d, d2, m) in impostor {
                impostor_distances.push(d);
                second.impostor.push(d2);
                rule.impostor.push(m);
            }
            let impostor = impostor_distances;
            ProfileReport {
                profile,
                hashes_per_image: registered.iter().map(|r| r.hashes.len()).sum::<usize>() as f64
                    / registered.len().max(1) as f64,
                genuine,
                impostor,
                variant_impostor,
                second,
                rule,
                upload_micros,
                misses,
            }
        })
        .collect()
}

/// A pair's distance, second distance, and whether the profile's match rule matches it.
type Scores = (Distance, Distance, bool);

/// One image's registered hashes, with and without their parts.
struct Registered {
    hashes: Vec<Pdq>,
    parts: Vec<(Part, Pdq)>,
}

impl Registered {
    fn new(parts: Vec<(Part, Pdq)>) -> Self {
        Registered {
            hashes: parts.iter().map(|&(_, h)| h).collect(),
            parts,
        }
    }
}

/// One upload's hashes and the searches its profile makes with them.
struct Upload {
    hashes: Vec<Pdq>,
    queries: Vec<Query>,
}

impl Upload {
    fn new(queries: Vec<Query>) -> Self {
        Upload {
            hashes: queries.iter().map(|q| q.hash).collect(),
            queries,
        }
    }
}

/// The threshold sweeps score every pair, in every part (what searching each upload hash
/// everywhere would give); the verdict is the profile's own rule and search plan.
fn scores(profile: Profile, upload: &Upload, registered: &Registered) -> Scores {
    (
        Profile::distance(&upload.hashes, &registered.hashes),
        Profile::second_distance(&upload.hashes, &registered.hashes),
        profile
            .match_queries(&upload.queries, &registered.parts)
            .is_some(),
    )
}

/// Median single-threaded time per upload, from decoded RGB pixels to each profile's upload
/// hashes, in microseconds: over the originals as they are (uploads that do not trim), and
/// over each original inside a 10% white border (uploads that trim). Plain PDQ,
/// `pdq-robust-v3` and v4 stream luminance straight from the pixels, as `quell hash` does; v1 and v2
/// need the whole luminance image in memory to trim it first
/// ([`Profile::upload_hashes_from_rows`]).
///
/// The profiles are timed interleaved (each image, then each profile in turn, `ROUNDS`
/// rounds), so a change in the machine's load during the run falls on all of them alike. Each
/// image's time is its fastest round: on a machine shared with other work a longer
/// computation is more often preempted, so means and even medians of single timings inflate
/// the ratios of the slower profiles; the fastest of several is the least disturbed.
pub fn upload_costs(profiles: &[Profile], originals: &[CorpusImage]) -> Vec<(f64, f64)> {
    let time = |profile: Profile, pixels: &RgbImage| {
        let start = Instant::now();
        let (w, h) = (pixels.width() as usize, pixels.height() as usize);
        let hashes =
            profile.upload_hashes_from_rows(&quell_pdq::Rgb8::new(pixels.as_raw(), w, h, 3));
        std::hint::black_box(hashes);
        start.elapsed().as_secs_f64() * 1e6
    };
    let mut plain = vec![Vec::new(); profiles.len()];
    let mut framed = vec![Vec::new(); profiles.len()];
    for o in originals {
        let bordered = crate::transform::border(&o.pixels, 0.1, image::Rgb([255, 255, 255]));
        let mut fastest = vec![(f64::INFINITY, f64::INFINITY); profiles.len()];
        for _ in 0..ROUNDS {
            for (&p, best) in profiles.iter().zip(&mut fastest) {
                best.0 = best.0.min(time(p, &o.pixels));
                best.1 = best.1.min(time(p, &bordered));
            }
        }
        for (k, (a, b)) in fastest.into_iter().enumerate() {
            plain[k].push(a);
            framed[k].push(b);
        }
    }
    plain
        .iter_mut()
        .zip(&mut framed)
        .map(|(a, b)| (median(a), median(b)))
        .collect()
}

/// Timings per image and profile in [`upload_costs`].
const ROUNDS: usize = 5;

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// A profile's match rule in a table heading: `@40`, or `@40 / 2×48` with a second stage.
fn rule_label(profile: Profile) -> String {
    if profile.searches_by_part() {
        // The plan: each kind of upload hash, the parts it searches and where.
        let mut kinds: Vec<String> = Vec::new();
        for (kind, label) in [
            (UploadKind::Whole, "image, trims"),
            (UploadKind::Cut, "cuts"),
        ] {
            let searches: Vec<String> = profile
                .plan(kind)
                .iter()
                .map(|(part, d)| format!("{}@{d}", part.name()))
                .collect();
            kinds.push(format!("{label} → {}", searches.join(" ")));
        }
        return kinds.join("; ");
    }
    match profile.second_threshold() {
        Some(second) => format!("@{} / 2×{second}", profile.threshold()),
        None => format!("@{}", profile.threshold()),
    }
}

/// The report as Markdown: the corpus, per-profile thresholds and false matches, then recall
/// per family side by side, then costs.
pub fn markdown(reports: &[ProfileReport], originals: usize, distractors: usize) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let Some(base) = reports.first() else {
        return s;
    };
    let pairs = base.impostor.len();
    let base_fm = base.rule_false_matches().0;
    let _ = writeln!(
        s,
        "Corpus: {originals} originals, {distractors} distractors; {pairs} impostor pairs \
         (ordered pairs of distinct originals, and every distractor against every original).\n"
    );
    let _ = writeln!(
        s,
        "| profile | match rule | hashes registered per image | false matches (rate) | closest impostor | variant false matches / {} | closest | mean recall | first-stage threshold at ≤ {base_fm} false matches | mean recall there |",
        base.variant_impostor.len()
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|");
    for r in reports {
        let (fm, vfm) = r.rule_false_matches();
        let equal = r.threshold_for(base_fm).min(Distance::new(256));
        let _ = writeln!(
            s,
            "| `{}` | {} | {:.1} | {} ({:.2e}) | {} | {} | {} | {:.3} | {} | {:.3} |",
            r.profile,
            rule_label(r.profile),
            r.hashes_per_image,
            fm,
            fm as f64 / pairs.max(1) as f64,
            r.impostor.iter().min().map_or(256, |d| d.get()),
            vfm,
            r.variant_impostor.iter().min().map_or(256, |d| d.get()),
            r.rule_mean_recall(),
            equal,
            r.mean_recall(equal),
        );
    }
    let _ = write!(s, "\n| threshold |");
    for r in reports {
        let _ = write!(
            s,
            " `{}` mean recall | false matches | variant false matches |",
            r.profile
        );
    }
    let _ = write!(s, "\n|---|");
    for _ in reports {
        let _ = write!(s, "---|---|---|");
    }
    s.push('\n');
    for t in [31, 36, 40, 44, 48, 56, 64] {
        let t = Distance::new(t);
        let _ = write!(s, "| {t} |");
        for r in reports {
            let vfm = r.variant_impostor.iter().filter(|&&d| d <= t).count();
            let _ = write!(
                s,
                " {:.3} | {} | {vfm} |",
                r.mean_recall(t),
                r.false_matches(t)
            );
        }
        s.push('\n');
    }
    let _ = write!(
        s,
        "\nSecond-stage rule: a pair also matches when two disjoint pairs of hashes (different \
         upload and registered hashes) are both within t2 (`Profile::second_distance`); closest \
         impostor and variant impostor by that second distance (`pdq-robust-v3`'s and v4's match \
         rule uses it at 48, by hash values: its headline figures above): "
    );
    let closest = |d: &[Distance]| d.iter().min().map_or(256, |d| d.get());
    for r in reports {
        let _ = write!(
            s,
            "`{}` {} / {}; ",
            r.profile,
            closest(&r.second.impostor),
            closest(&r.second.variant_impostor)
        );
    }
    let _ = write!(s, "\n\n| t2 |");
    for r in reports {
        let _ = write!(
            s,
            " `{}` @{} mean recall | false matches | variant false matches |",
            r.profile,
            r.profile.threshold()
        );
    }
    let _ = write!(s, "\n|---|");
    for _ in reports {
        let _ = write!(s, "---|---|---|");
    }
    s.push('\n');
    for t2 in [44, 48, 52, 56, 60, 64] {
        let t2 = Distance::new(t2);
        let _ = write!(s, "| {t2} |");
        for r in reports {
            let t = r.profile.threshold();
            let (fm, vfm) = r.false_matches_two_stage(t, t2);
            let _ = write!(s, " {:.3} | {fm} | {vfm} |", r.mean_recall_two_stage(t, t2));
        }
        s.push('\n');
    }
    let _ = write!(s, "\n| family | variants |");
    for r in reports {
        let _ = write!(s, " `{}` {} |", r.profile, rule_label(r.profile));
    }
    let _ = write!(s, "\n|---|---|");
    for _ in reports {
        let _ = write!(s, "---|");
    }
    s.push('\n');
    for (k, (family, d)) in base.genuine.iter().enumerate() {
        let _ = write!(s, "| {} | {} |", family.name(), d.len());
        for r in reports {
            let _ = write!(s, " {:.3} |", r.rule_recall(r.genuine[k].0));
        }
        s.push('\n');
    }
    let _ = write!(s, "| **mean** | |");
    for r in reports {
        let _ = write!(s, " **{:.3}** |", r.rule_mean_recall());
    }
    let _ = writeln!(
        s,
        "\n\n| profile | upload µs, median (1 thread, decoded pixels → hashes) | vs `{0}` | upload in a 10% border, µs | vs `{0}` |",
        base.profile
    );
    let _ = writeln!(s, "|---|---|---|---|---|");
    for r in reports {
        let _ = writeln!(
            s,
            "| `{}` | {:.0} | {:.2}× | {:.0} | {:.2}× |",
            r.profile,
            r.upload_micros.0,
            r.upload_micros.0 / base.upload_micros.0,
            r.upload_micros.1,
            r.upload_micros.1 / base.upload_micros.1
        );
    }
    s
}
