//! How many hashes a profile registers per image in each part, and how many of them fall
//! below PDQ quality 50, the floor the registry holds every hash to (v5 and v6 leave those
//! out, so `quell case open` keeps them on the device).
//!
//! ```sh
//! cargo run --release -p quell-lab --example filed_quality -- [--profile NAME] DIR...
//! ```
//!
//! The profile is the default unless named.
//!
//! For each folder, over its images of quality 50 or more (loaded as `quell eval robustness`
//! loads them), prints the hashes per image and the share below 50 in each part.

use quell_lab::eval::load_images;
use quell_robust::{LumaImage, Part, Profile};
use rayon::prelude::*;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let profile = match args.iter().position(|a| a == "--profile") {
        Some(at) => {
            let name = args.remove(at + 1);
            args.remove(at);
            Profile::from_name(&name).expect("a known profile")
        }
        None => Profile::DEFAULT,
    };
    println!("{profile}");
    for dir in args {
        let images = load_images(dir.as_ref(), 1024).expect("images");
        let per_image: Vec<Vec<(Part, u8)>> = images
            .par_iter()
            .map(|i| LumaImage::from_rgb(&i.pixels))
            .filter(|l| quell_pdq::hash(l).quality.is_matchable())
            .map(|l| {
                profile
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
