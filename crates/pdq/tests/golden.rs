//! Conformance with the reference's outputs in `shared/vectors/pdq`.

use image::RgbImage;
use quell_pdq::decode::{DecodeOptions, decode};
use quell_pdq::{Rgb8, hash, hash_dihedral};

use crate::vectors::{pdq_dir, read_tsv};

fn load_rgb(path: &std::path::Path) -> RgbImage {
    image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8()
}

/// Same pixels, same hash: every dump of the reference decoder's pixels hashes bit for bit to
/// the reference's value, with the same quality and all eight dihedral hashes.
#[test]
fn decoded_pixels_hash_exactly() {
    let dir = pdq_dir();
    let rows = read_tsv(&dir.join("decoded/expected.tsv"));
    assert_eq!(rows.len(), 14, "decoded/expected.tsv rows");
    for row in rows {
        let img = load_rgb(&dir.join(&row.file));
        let pixels = Rgb8::new(img.as_raw(), img.width() as usize, img.height() as usize, 3);
        let got = hash(&pixels);
        assert_eq!(got.hash, row.pdq, "{}: hash", row.file);
        assert_eq!(got.quality, row.quality, "{}: quality", row.file);
        let dih = hash_dihedral(&pixels);
        assert_eq!(dih.hashes, row.dihedral, "{}: dihedral hashes", row.file);
        assert_eq!(dih.quality, row.quality, "{}: dihedral quality", row.file);
    }
}

/// Losslessly decoded files (PNG) hash exactly through the crate's own decoder too.
#[test]
fn lossless_files_hash_exactly_end_to_end() {
    let dir = pdq_dir();
    let rows: Vec<_> = read_tsv(&dir.join("expected.tsv"))
        .into_iter()
        .filter(|r| r.columns["lossless_decode"] == "yes")
        .collect();
    assert_eq!(rows.len(), 7, "lossless rows");
    for row in rows {
        let bytes = std::fs::read(dir.join(&row.file)).unwrap();
        let img = decode(&bytes, &DecodeOptions::default()).unwrap();
        let got = hash_dihedral(&img);
        assert_eq!(got.hashes, row.dihedral, "{}", row.file);
        assert_eq!(got.quality, row.quality, "{}", row.file);
    }
}

/// End to end with the crate's decoders: every image of quality >= 80 within 10 bits of the
/// reference (Meta's acceptance rule), and the distribution is printed for the record.
#[test]
fn every_vector_image_within_tolerance_end_to_end() {
    let dir = pdq_dir();
    let rows = read_tsv(&dir.join("expected.tsv"));
    assert_eq!(rows.len(), 49, "expected.tsv rows");
    let mut distances = Vec::new();
    let mut report = String::new();
    for row in &rows {
        let bytes = std::fs::read(dir.join(&row.file)).unwrap();
        let img = decode(&bytes, &DecodeOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", row.file));
        let got = hash(&img);
        let d = got.hash.distance(&row.pdq).get();
        report += &format!(
            "{d:3} bits  quality {:3} (ref {:3})  {}\n",
            got.quality, row.quality, row.file
        );
        if row.quality.get() >= 80 {
            assert!(d <= 10, "{}: {d} bits from the reference", row.file);
            distances.push(d);
        } else if row.quality.get() < 50 {
            assert!(
                !got.quality.is_matchable(),
                "{}: quality {}",
                row.file,
                got.quality
            );
        }
    }
    distances.sort_unstable();
    let median = distances[distances.len() / 2];
    let max = *distances.last().unwrap();
    let mean = distances.iter().sum::<u32>() as f64 / distances.len() as f64;
    eprintln!(
        "{report}quality>=80: {} images, median {median}, mean {mean:.2}, max {max} bits",
        distances.len()
    );
    assert_eq!(median, 0, "median distance");
    assert!(max <= 4, "max distance {max}");
}
