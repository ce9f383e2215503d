//! How many of `pdq-robust-v5`'s registered hashes fall below PDQ quality 50, the floor the
//! registry holds every hash to: those a case opened with `quell case open --profile` keeps
//! on the device.
//!
//! ```sh
//! cargo run --release -p quell-lab --example filed_quality -- DIR...
//! ```
//!
//! For each folder, over its images of quality 50 or more (loaded as `quell eval robustness`
//! loads them), prints the hashes per image and the share below 50 in each part.

use quell_lab::eval::load_images;
use quell_robust::{LumaImage, Part, Profile};
use rayon::prelude::*;

fn main() {
    for dir in std::env::args().skip(1) {
        let images = load_images(dir.as_ref(), 1024).expect("images");
        let per_image: Vec<Vec<(Part, u8)>> = images
            .par_iter()
            .map(|i| LumaImage::from_rgb(&i.pixels))
            .filter(|l| quell_pdq::hash(l).quality.is_matchable())
            .map(|l| {
                Profile::RobustV5
                    .submission_entries(&l)
                    .into_iter()
                    .map(|(part, h)| (part, h.quality.get()))
                    .collect()
            })
            .collect();
        let n = per_image.len().max(1) as f64;
        println!("{dir}: {} images", per_image.len());
        for part in Part::ALL {
            let all: Vec<u8> = per_image
                .iter()
                .flatten()
                .filter(|(p, _)| *p == part)
                .map(|&(_, q)| q)
                .collect();
            let low = all.iter().filter(|&&q| q < 50).count();
            println!(
                "  {:<8} {:6.1} hashes per image, {:5.1} below quality 50 ({:.2}%)",
                part.name(),
                all.len() as f64 / n,
                low as f64 / n,
                100.0 * low as f64 / all.len().max(1) as f64
            );
        }
        let images_with_low = per_image
            .iter()
            .filter(|e| e.iter().any(|&(_, q)| q < 50))
            .count();
        println!("  images with any hash below 50: {images_with_low}");
    }
}
