//! Any bytes: decoding either fails with an error or yields an image that hashes, within
//! tight limits (so the fuzzer explores formats, not allocation sizes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use quell_pdq::decode::{DecodeLimits, DecodeOptions, Orientation, decode};

fn dihedral_first(d: &quell_pdq::DihedralHashes) -> quell_pdq::PdqHash {
    quell_pdq::PdqHash {
        hash: d.hashes[0],
        quality: d.quality,
    }
}

fuzz_target!(|data: &[u8]| {
    for orientation in [Orientation::AsStored, Orientation::FromExif] {
        let options = DecodeOptions {
            limits: DecodeLimits {
                max_pixels: 4_000_000,
                max_alloc: 64 << 20,
            },
            orientation,
        };
        if let Ok(image) = decode(data, &options) {
            let plain = quell_pdq::hash(&image);
            let dihedral = quell_pdq::hash_dihedral(&image);
            // The plain hash is the dihedral set's first, except at exactly 64×64 where the
            // reference's plain path skips the blur and its dihedral path does not.
            if (image.width(), image.height()) != (64, 64) {
                assert_eq!(plain, dihedral_first(&dihedral));
            }
        }
    }
});
