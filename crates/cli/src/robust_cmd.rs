//! Profile-based registration and matching of image files (`quell index build --profile`,
//! `quell match --images`).
//!
//! A profile index is a text file: the line `quell-robust-index v1`, the line
//! `profile NAME`, then one `ID HEX` line per registered hash (an image has as many lines as
//! its profile registers), or `ID HEX PART` for a profile that searches parts apart
//! (`pdq-robust-v5`, v6: `whole`, `variant` or `cut`). Recording the profile lets `quell match`
//! hash uploads the same way and refuse an index made under another profile.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail, ensure};
use quell_hash::{Distance, MIN_QUALITY, Pdq, Quality};
use quell_index::{FlatIndex, IndexBuilder, PdqIndex};
use quell_pdq::decode::{DecodeOptions, DecodedImage, decode};
use quell_robust::{HashPair, LumaImage, Part, Profile, Query};
use rayon::prelude::*;

use crate::input::{self, Input, Keep};

/// The first line of every profile index file.
pub(crate) const MAGIC: &str = "quell-robust-index v1";

/// Whether `path` is a profile index (its first line is [`MAGIC`]).
pub(crate) fn is_profile_index(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; MAGIC.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == *MAGIC.as_bytes())
}

/// `quell index build --profile NAME --images DIR -o FILE`. An image whose PDQ quality is
/// below [`MIN_QUALITY`] is not registered (the registry refuses such hashes too: a
/// near-flat image's hash is noise, and near-flat images match each other); it is named on
/// standard error and keeps its id, so ids stay the images' positions in path order.
pub(crate) fn build(profile: &str, images: &Path, output: &Path) -> anyhow::Result<ExitCode> {
    let profile = Profile::from_name(profile)?;
    let files = image_files(std::slice::from_ref(&images.to_path_buf()))?;
    ensure!(
        !files.is_empty(),
        "{}: no image files found",
        images.display()
    );
    // Per image: its registered hashes, or the quality that kept it out.
    let hashed: Vec<anyhow::Result<Result<Vec<Entry>, Quality>>> = files
        .par_iter()
        .map(|f| {
            let luma = read_luma(f)?;
            let quality = quell_pdq::hash(&luma).quality;
            Ok(if quality.is_matchable() {
                Ok(profile.submission_parts(&luma))
            } else {
                Err(quality)
            })
        })
        .collect();
    let mut text = format!("{MAGIC}\nprofile {}\n", profile.name());
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut skipped = 0;
    for (id, (file, hashes)) in files.iter().zip(hashed).enumerate() {
        match hashes? {
            Ok(hashes) => {
                for (part, h) in hashes {
                    if profile.searches_by_part() {
                        text.push_str(&format!("{id} {h} {}\n", part.name()));
                    } else {
                        text.push_str(&format!("{id} {h}\n"));
                    }
                }
                writeln!(out, "{id} {}", file.display())?;
            }
            Err(quality) => {
                skipped += 1;
                eprintln!(
                    "quell: {}: not registered: PDQ quality {} is below {} (too flat to hash \
                     reliably)",
                    file.display(),
                    quality.get(),
                    MIN_QUALITY.get()
                );
            }
        }
    }
    out.flush()?;
    std::fs::write(output, text).with_context(|| format!("cannot write {}", output.display()))?;
    eprintln!(
        "quell: registered {} images under {} into {}{}",
        files.len() - skipped,
        profile.name(),
        output.display(),
        if skipped > 0 {
            format!(" ({skipped} skipped for PDQ quality)")
        } else {
            String::new()
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// `quell match --index FILE --images PATH...`: prints `path id distance` per hit, nearest
/// first; exit code 1 if some file could not be hashed.
pub(crate) fn run_match(
    index: &Path,
    images: &[PathBuf],
    expected: Option<&str>,
    threads: Option<usize>,
) -> anyhow::Result<ExitCode> {
    let (profile, entries) = load_index(index)?;
    if let Some(name) = expected {
        let wanted = Profile::from_name(name)?;
        ensure!(
            wanted == profile,
            "{} was built with profile {profile}, not {wanted}: hashes of different profiles \
             cannot be compared",
            index.display()
        );
    }
    // One index per part, its entries under their positions, so each hit says which
    // registered hash (and so which image) it came from: the match rule needs both sides of
    // every pair.
    let parts: Vec<(Part, FlatIndex)> = Part::ALL
        .into_iter()
        .map(|part| {
            let mut builder = IndexBuilder::new();
            for (position, &(_, p, h)) in entries.iter().enumerate() {
                if p == part {
                    builder.insert(position as u64, h);
                }
            }
            (part, builder.build_flat())
        })
        .collect();
    let files = image_files(images)?;
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        pool = pool.num_threads(n);
    }
    let pool = pool.build().context("cannot start worker threads")?;
    let results: Vec<(PathBuf, anyhow::Result<Hits>)> = pool.install(|| {
        files
            .par_iter()
            .map(|f| {
                let hits = read_image(f).map(|image| {
                    // Streamed from the decoded pixels: plain and v3–v6 never copy the
                    // luminance.
                    let upload = profile.upload_queries_from_rows(&image);
                    match_upload(profile, &upload, &parts, &entries)
                });
                (f.clone(), hits)
            })
            .collect()
    });
    let mut failed = false;
    let mut out = BufWriter::new(std::io::stdout().lock());
    for (file, hits) in results {
        match hits {
            Ok(hits) => {
                for (id, d) in hits {
                    writeln!(out, "{} {id} {d}", file.display())?;
                }
            }
            Err(e) => {
                eprintln!("quell: {e:#}");
                failed = true;
            }
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Registered image ids matched by one upload, with their distances, nearest first.
type Hits = Vec<(u64, Distance)>;

/// One registered hash of an image, with its part.
type Entry = (Part, Pdq);

/// One line of a profile index: the image id, and one of its registered hashes.
type IndexLine = (u64, Part, Pdq);

/// The images `upload` matches under `profile`'s match rule ([`Profile::match_rule`]), each
/// with its nearest pair's distance, nearest first. `parts` holds each part's `entries` under
/// their positions; each upload hash is searched in the parts and at the distance of its
/// profile's plan ([`Profile::plan`]), on its own (not as a dihedral group, which reports
/// one distance per entry) so every pair keeps its upload hash.
fn match_upload(
    profile: Profile,
    upload: &[Query],
    parts: &[(Part, FlatIndex)],
    entries: &[IndexLine],
) -> Hits {
    let mut per_image: HashMap<u64, Vec<HashPair>> = HashMap::new();
    for query in upload {
        for &(part, within) in query.searches {
            let index = &parts[Part::ALL.iter().position(|&p| p == part).expect("a part")].1;
            for hit in index.range_search(&query.hash, within) {
                let (image, _, registered) = entries[hit.id as usize];
                per_image.entry(image).or_default().push(HashPair {
                    upload: query.hash,
                    registered,
                    distance: hit.distance,
                });
            }
        }
    }
    let mut hits: Hits = per_image
        .into_iter()
        .filter_map(|(image, pairs)| Some((image, profile.match_rule(&pairs)?)))
        .collect();
    hits.sort_by_key(|&(id, d)| (d, id));
    hits
}

fn load_index(path: &Path) -> anyhow::Result<(Profile, Vec<IndexLine>)> {
    ensure!(
        is_profile_index(path) || !path.exists(),
        "{} is not a profile index (build one with `quell index build --profile NAME \
         --images DIR`)",
        path.display()
    );
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        bail!(
            "{} is not a profile index (build one with `quell index build --profile NAME \
             --images DIR`)",
            path.display()
        );
    }
    let name = lines
        .next()
        .and_then(|l| l.strip_prefix("profile "))
        .with_context(|| format!("{} line 2: expected `profile NAME`", path.display()))?;
    let profile = Profile::from_name(name).with_context(|| format!("{}", path.display()))?;
    // Profiles that search every part in one go file no part (it would not change a match).
    let expected = if profile.searches_by_part() {
        "`ID HEX PART`"
    } else {
        "`ID HEX`"
    };
    let mut entries = Vec::new();
    for (i, line) in lines.enumerate() {
        let mut fields = line.split(' ');
        let parsed = (|| {
            let id = fields.next()?.parse::<u64>().ok()?;
            let hash = fields.next()?.parse::<Pdq>().ok()?;
            let part = if profile.searches_by_part() {
                Part::from_name(fields.next()?)?
            } else {
                Part::Whole
            };
            fields.next().is_none().then_some((id, part, hash))
        })();
        entries.push(parsed.with_context(|| {
            format!(
                "{} line {}: expected {expected}, found {line:?}",
                path.display(),
                i + 3
            )
        })?);
    }
    Ok((profile, entries))
}

/// Decodes a file (pixels as stored, as plain PDQ does).
fn read_image(path: &Path) -> anyhow::Result<DecodedImage> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    decode(&bytes, &DecodeOptions::default()).with_context(|| format!("{}", path.display()))
}

/// Decodes a file into luminance.
fn read_luma(path: &Path) -> anyhow::Result<LumaImage> {
    Ok(LumaImage::from_rows(&read_image(path)?))
}

/// Files as given, folders walked for images ([`input::collect`]): the ids of a profile
/// index are these paths' positions.
fn image_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let (inputs, errors) = input::collect(paths, Keep::Images);
    if let Some((folder, e)) = errors.first() {
        bail!("{folder}: {e}");
    }
    inputs
        .into_iter()
        .map(|i| match i {
            Input::File(path) => Ok(path),
            Input::Stdin => bail!("name the image files; standard input is not read here"),
        })
        .collect()
}
