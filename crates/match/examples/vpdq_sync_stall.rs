//! What a sync delta of videos costs the matches running meanwhile.
//!
//! Builds a `Matcher` of `VIDEOS` random videos of `FRAMES` frames, then, while one thread
//! matches a `QUERY_FRAMES`-frame video again and again, inserts `DELTA` more videos one
//! `Matcher::insert` each (as the sidecar applies a sync page). Prints the readers' latency
//! before and during the delta, and the longest single insert.
//!
//! ```sh
//! cargo run --release -p quell-match --example vpdq_sync_stall -- 300 1000 40 300
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use quell_hash::{Distance, Pdq, Quality};
use quell_match::{Matcher, Query};
use quell_registry::{EntryId, Signal, Vpdq};
use quell_vpdq::{FrameHash, VideoHash};

/// xorshift64*: reproducible pseudo-random frames without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn video(&mut self, frames: u32) -> VideoHash {
        VideoHash::new(
            (0..frames)
                .map(|frame| {
                    let words = std::array::from_fn(|_| self.next());
                    FrameHash {
                        frame,
                        quality: Quality::new(90).unwrap(),
                        pdq: Pdq::from_words(words),
                        timestamp: f64::from(frame),
                    }
                })
                .collect(),
        )
    }
}

fn signal(video: VideoHash) -> Signal {
    Signal::Vpdq(Vpdq::from_video(video).unwrap())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(name: &str, mut latencies: Vec<Duration>) {
    latencies.sort();
    println!(
        "{name}: {} matches, median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
    );
}

fn main() {
    let arg = |i: usize, default: u32| {
        std::env::args()
            .nth(i)
            .map_or(default, |a| a.parse().expect("a number"))
    };
    let (videos, frames, delta, query_frames) =
        (arg(1, 300), arg(2, 1000), arg(3, 40), arg(4, 300));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let entries: Vec<(EntryId, Signal)> = (1..=i64::from(videos))
        .map(|id| (EntryId::from_i64(id), signal(rng.video(frames))))
        .collect();
    let new: Vec<(EntryId, Signal)> = (1..=i64::from(delta))
        .map(|i| {
            (
                EntryId::from_i64(i64::from(videos) + i),
                signal(rng.video(frames)),
            )
        })
        .collect();
    let query = Query::Vpdq(Arc::new(rng.video(query_frames)));
    let started = Instant::now();
    let matcher = Arc::new(Matcher::from_entries(entries));
    println!(
        "{videos} videos of {frames} frames indexed in {:.2} s; delta {delta} videos ({} frames); query {query_frames} frames",
        started.elapsed().as_secs_f64(),
        u64::from(delta) * u64::from(frames),
    );

    let writing = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (matcher, writing, done) = (
            Arc::clone(&matcher),
            Arc::clone(&writing),
            Arc::clone(&done),
        );
        std::thread::spawn(move || {
            let (mut idle, mut during) = (Vec::new(), Vec::new());
            while !done.load(Ordering::Acquire) {
                let was_writing = writing.load(Ordering::Acquire);
                let t = Instant::now();
                let hits = matcher.lookup(&query, Distance::new(31));
                let took = t.elapsed();
                assert!(hits.is_empty(), "random videos do not match");
                if was_writing || writing.load(Ordering::Acquire) {
                    during.push(took);
                } else {
                    idle.push(took);
                }
            }
            (idle, during)
        })
    };
    std::thread::sleep(Duration::from_secs(2));
    writing.store(true, Ordering::Release);
    let t = Instant::now();
    let mut longest_insert = Duration::ZERO;
    for entry in &new {
        let one = Instant::now();
        matcher.insert(std::slice::from_ref(entry));
        longest_insert = longest_insert.max(one.elapsed());
    }
    let writes = t.elapsed();
    // Matches go on a little after the last insert: anything it started in the background
    // is still counted as "during".
    std::thread::sleep(Duration::from_secs(2));
    writing.store(false, Ordering::Release);
    done.store(true, Ordering::Release);
    let (idle, during) = reader.join().unwrap();
    println!(
        "delta applied in {:.2} s, longest insert {:.1} ms",
        writes.as_secs_f64(),
        longest_insert.as_secs_f64() * 1e3
    );
    summary("before the delta", idle);
    summary("during the delta", during);
    assert_eq!(matcher.len(), (videos + delta) as usize);
}
