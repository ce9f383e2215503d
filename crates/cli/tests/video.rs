//! `quell hash` on videos: recognised by content, vPDQ in plain and JSON output.

use std::path::PathBuf;

use quell_vpdq::format;

use crate::util::quell;

fn vpdq_vectors() -> PathBuf {
    crate::util::pdq_vectors().with_file_name("vpdq")
}

const VIDEO: &str = "pattern-sd-grey-bar";

fn reference() -> quell_vpdq::VideoHash {
    let text =
        std::fs::read_to_string(vpdq_vectors().join(format!("expected-1s/{VIDEO}.txt"))).unwrap();
    format::from_text(&text).unwrap()
}

/// A copy of the sample video under a name that does not say it is a video.
fn disguised(dir: &std::path::Path) -> PathBuf {
    let path = dir.join("clip.bin");
    std::fs::copy(vpdq_vectors().join(format!("videos/{VIDEO}.mp4")), &path).unwrap();
    path
}

fn assert_close(ours: &quell_vpdq::VideoHash) {
    let want = reference();
    assert_eq!(ours.len(), want.len());
    for (a, b) in ours.frames.iter().zip(&want.frames) {
        assert!(a.pdq.distance(&b.pdq).get() <= 10);
        assert_eq!(a.quality, b.quality);
    }
}

#[test]
fn plain_output_is_a_header_and_reference_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let video = disguised(tmp.path());
    let image = crate::util::pdq_vectors().join("images/misc-images/c.png");
    let (code, out, err) = quell(
        &["hash", image.to_str().unwrap(), video.to_str().unwrap()],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    assert!(
        lines.next().unwrap().ends_with("c.png"),
        "image first, in input order"
    );
    let header = lines.next().unwrap();
    let want = reference();
    assert_eq!(header, format!("vpdq {} {}", want.len(), video.display()));
    let block: String = lines.map(|l| format!("{l}\n")).collect();
    let ours = format::from_text(&block).unwrap();
    assert_close(&ours);
    for (a, b) in ours.frames.iter().zip(&want.frames) {
        assert_eq!(
            (a.frame, format!("{:.3}", a.timestamp)),
            (b.frame, format!("{:.3}", b.timestamp))
        );
    }
}

#[test]
fn json_output_has_pytx_strings_and_digests() {
    let tmp = tempfile::tempdir().unwrap();
    let video = disguised(tmp.path());
    let (code, out, err) = quell(&["hash", "--json", video.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["path"], video.to_str().unwrap());
    let strings: Vec<String> = v["vpdq"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    assert_close(&format::from_pytx_strings(&strings).unwrap());
    let bytes = std::fs::read(&video).unwrap();
    assert_eq!(v["md5"], quell_hash::Md5::of(&bytes).to_string());
    assert_eq!(v["sha256"], quell_hash::Sha256::of(&bytes).to_string());
}

#[test]
fn directories_pick_up_videos_and_flags_apply() {
    let tmp = tempfile::tempdir().unwrap();
    disguised(tmp.path());
    std::fs::write(tmp.path().join("notes.txt"), "not media").unwrap();
    let (code, out, err) = quell(
        &[
            "hash",
            "--seconds-per-hash",
            "0",
            tmp.path().to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("vpdq 206 "), "{out:.80}");
    assert_eq!(out.lines().count(), 207);

    let (code, _, err) = quell(
        &[
            "hash",
            "--seconds-per-hash",
            "0",
            "--max-frames",
            "50",
            tmp.path().to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("clip.bin") && err.contains("more than 50 frames"),
        "{err}"
    );
}

#[test]
fn bad_videos_fail_with_the_path_named() {
    let tmp = tempfile::tempdir().unwrap();
    let video = disguised(tmp.path());
    let bytes = std::fs::read(&video).unwrap();
    let cut = tmp.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (code, out, err) = quell(&["hash", "--json", cut.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["path"], cut.to_str().unwrap());
    assert!(v["error"].as_str().unwrap().len() > 10, "{out} {err}");

    let (code, _, err) = quell(&["hash", "-"], &bytes);
    assert_eq!(code, 1);
    assert!(err.contains("video on stdin is not supported"), "{err}");

    let (code, out, _) = quell(&["hash", "--csv", video.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert!(out.contains("not available as CSV"), "{out}");
}

/// `--video-decoder` picks the decoder; every decoder (and `--decode-every-frame`) prints the
/// same hashes, and an unknown name is a usage error that lists the built ones.
#[test]
fn every_video_decoder_prints_the_same_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    let video = disguised(tmp.path());
    let video = video.to_str().unwrap();
    let run = |flags: &[&str]| {
        let (code, out, err) = quell(&[&["hash"], flags, &[video]].concat(), b"");
        assert_eq!(code, 0, "{flags:?}: {err}");
        out
    };
    let child = run(&["--video-decoder", "ffmpeg"]);
    assert_close(
        &format::from_text(
            &child
                .lines()
                .skip(1)
                .map(|l| format!("{l}\n"))
                .collect::<String>(),
        )
        .unwrap(),
    );
    if cfg!(feature = "libav") {
        assert_eq!(run(&[]), child, "the default decoder");
        assert_eq!(run(&["--video-decoder", "libav"]), child);
        assert_eq!(
            run(&["--video-decoder", "libav", "--decode-every-frame"]),
            child
        );
    }
    let (code, _, err) = quell(&["hash", "--video-decoder", "vlc", video], b"");
    assert_ne!(code, 0);
    assert!(
        err.contains("unknown video decoder \"vlc\"") && err.contains("ffmpeg"),
        "{err}"
    );
}
