//! The streaming pipeline against the literal port of the reference, on random images.

use proptest::prelude::*;
use quell_pdq::{Dihedral, Rgb8, hash, hash_dihedral};

use crate::reference;

/// Random pixels of mixed character: smooth gradients plus blocks plus noise, so that the
/// filters see both large and small differences.
fn image_strategy() -> impl Strategy<Value = (usize, usize, Vec<u8>)> {
    (1usize..300, 1usize..300, any::<u64>()).prop_map(|(w, h, seed)| {
        let mut x = seed | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (fx, fy, noise) = (next() % 7, next() % 5, next() % 64 + 1);
        let mut px = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for xx in 0..w {
                for c in 0..3 {
                    let base = (xx as u64 * fx + y as u64 * fy + c * 40) % 256;
                    let block = if (xx / 17 + y / 13) % 2 == 0 { 60 } else { 0 };
                    px.push(((base + block + next() % noise) % 256) as u8);
                }
            }
        }
        (w, h, px)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn streaming_equals_reference((w, h, px) in image_strategy()) {
        let img = Rgb8::new(&px, w, h, 3);
        let (want_hash, want_quality) = reference::hash(&img);
        let got = hash(&img);
        prop_assert_eq!(got.hash, want_hash);
        prop_assert_eq!(got.quality, want_quality);

        let dih = hash_dihedral(&img);
        match reference::dct16(&img, true) {
            None => prop_assert!(dih.hashes.iter().all(|h| *h == quell_hash::Pdq::ZERO)),
            Some((b, q)) => {
                prop_assert_eq!(dih.quality, q);
                prop_assert_eq!(dih.get(Dihedral::Original), reference::bits(&b));
            }
        }
    }
}

/// Shapes where the windows and sample indices hit their edge cases, checked exhaustively.
#[test]
fn edge_shapes_equal_reference() {
    let shapes = [
        (5, 5),
        (5, 300),
        (300, 5),
        (63, 64),
        (64, 63),
        (64, 64),
        (65, 65),
        (127, 129),
        (128, 128),
        (129, 127),
        (256, 1),
        (1, 256),
        (4, 4),
        (640, 7),
        (7, 640),
    ];
    for (w, h) in shapes {
        let px: Vec<u8> = (0..w * h * 3).map(|i| ((i * 7919) % 251) as u8).collect();
        let img = Rgb8::new(&px, w, h, 3);
        let (want, q) = reference::hash(&img);
        let got = hash(&img);
        assert_eq!((got.hash, got.quality), (want, q), "{w}x{h}");
        if let Some((b, q)) = reference::dct16(&img, true) {
            let dih = hash_dihedral(&img);
            assert_eq!(dih.quality, q, "{w}x{h} dihedral quality");
            assert_eq!(dih.hashes[0], reference::bits(&b), "{w}x{h} dihedral");
        }
    }
}
