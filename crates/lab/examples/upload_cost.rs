//! Per-upload cost of each profile, for a release build (`quell eval robustness` reports the
//! same measurement in whatever profile the binary was built with):
//!
//! ```sh
//! cargo run --release -p quell-lab --example upload_cost -- DIR
//! ```
//!
//! Prints, per profile, the median (over images, each its fastest of 5 runs) single-threaded time from decoded pixels to upload hashes
//! over the images of DIR as they are and inside a 10% white border, and the ratio to
//! `pdq-plain-v1`; all profiles are timed interleaved, image by image.

use quell_lab::eval::{load_images, upload_costs};
use quell_robust::Profile;

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: upload_cost DIR");
        std::process::exit(2);
    };
    let images = match load_images(dir.as_ref(), 1024) {
        Ok(images) => images,
        Err(e) => {
            eprintln!("upload_cost: {e}");
            std::process::exit(1);
        }
    };
    // Profile::ALL starts with plain PDQ, the reference of every ratio.
    let costs = upload_costs(&Profile::ALL, &images);
    let plain = costs[0];
    println!("| profile | upload µs, median | vs plain | in a 10% border, µs | vs plain |");
    println!("|---|---|---|---|---|");
    for (p, (as_is, framed)) in Profile::ALL.into_iter().zip(costs) {
        println!(
            "| `{p}` | {as_is:.0} | {:.2}× | {framed:.0} | {:.2}× |",
            as_is / plain.0,
            framed / plain.1
        );
    }
    println!("({} images)", images.len());
}
