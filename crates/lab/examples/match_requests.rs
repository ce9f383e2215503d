//! The `POST /v1/match` request a member sends for each upload under a profile, one JSON body
//! per line, for `bench/registry/profiles.sh`:
//!
//! ```sh
//! cargo run --release -p quell-lab --example match_requests -- PROFILE DIR... > bodies.jsonl
//! ```
//!
//! A profile that searches by part (`pdq-robust-v5`) sends every upload hash with its profile
//! and what made it (`upload`), and the registry searches it by the profile's plan; any other
//! profile sends its upload hashes as plain PDQ queries at the default distance (`pdq-plain-v1`:
//! the upload's 8 dihedral hashes, the baseline a member already pays).

use quell_pdq::decode::{DecodeOptions, decode};
use quell_robust::Profile;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(profile), dirs) = (args.next(), args.collect::<Vec<_>>()) else {
        eprintln!("usage: match_requests PROFILE DIR...");
        std::process::exit(2);
    };
    let profile = Profile::from_name(&profile).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    let mut files: Vec<_> = dirs
        .iter()
        .flat_map(|d| std::fs::read_dir(d).expect("DIR"))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for file in files {
        let bytes = std::fs::read(&file).expect("read");
        if !quell_pdq::decode::is_supported_image(&bytes[..bytes.len().min(64)]) {
            continue;
        }
        let image = decode(&bytes, &DecodeOptions::default()).expect("decodable upload");
        let queries: Vec<String> = profile
            .upload_queries_from_rows(&image)
            .into_iter()
            .map(|q| {
                if profile.searches_by_part() {
                    format!(
                        r#"{{"type":"pdq","value":"{}","profile":"{}","upload":"{}"}}"#,
                        q.hash,
                        profile.name(),
                        q.kind.name()
                    )
                } else {
                    format!(r#"{{"type":"pdq","value":"{}"}}"#, q.hash)
                }
            })
            .collect();
        println!(r#"{{"hashes":[{}]}}"#, queries.join(","));
    }
}
