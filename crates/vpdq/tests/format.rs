//! The text and JSON formats: round trips on the reference files, and strict errors.

use quell_hash::{Pdq, Quality};
use quell_vpdq::format::{self, Field, ParseError};
use quell_vpdq::{FrameHash, VideoHash};

use crate::vectors::{names, vpdq_dir};

#[test]
fn every_reference_file_round_trips_byte_for_byte() {
    for folder in ["expected", "expected-1s", "reference-cpp"] {
        for entry in std::fs::read_dir(vpdq_dir().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let parsed =
                format::from_text(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!parsed.is_empty());
            assert_eq!(format::to_text(&parsed), text, "{}", path.display());
        }
    }
}

#[test]
fn pytx_json_round_trips_and_numbers_frames_by_position() {
    for name in names() {
        let video = crate::vectors::expected(&name, false);
        let json = format::to_pytx_json(&video);
        let back = format::from_pytx_json(&json).unwrap();
        assert_eq!(back.len(), video.len());
        for (i, (a, b)) in video.frames.iter().zip(&back.frames).enumerate() {
            assert_eq!((a.pdq, a.quality), (b.pdq, b.quality));
            assert!((a.timestamp - b.timestamp).abs() < 5e-4);
            assert_eq!(b.frame as usize, i);
        }
    }
}

#[test]
fn pytx_strings_have_hex_quality_timestamp() {
    let pdq: Pdq = "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c"
        .parse()
        .unwrap();
    let video = VideoHash::new(vec![FrameHash {
        frame: 30,
        quality: Quality::new(87).unwrap(),
        pdq,
        timestamp: 1.0,
    }]);
    assert_eq!(
        format::to_pytx_json(&video),
        r#"["e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,87,1.000"]"#
    );
    assert_eq!(
        format::to_text(&video),
        "30,87,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,1.000\n"
    );
}

const HEX: &str = "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c";

/// What pytx's `vpdq_to_json` writes: `json.dumps` with its `", "` separator, and timestamps
/// through Python's `{:.3}` (three significant digits, an exponent from 100 s on).
#[test]
fn pytx_own_spelling_is_read() {
    let json =
        format!(r#"["{HEX},100,0.0", "{HEX},90,12.3", "{HEX},80,1.23e+02", "{HEX},70,1e+03"]"#);
    let video = format::from_pytx_json(&json).unwrap();
    let times: Vec<f64> = video.frames.iter().map(|f| f.timestamp).collect();
    assert_eq!(times, [0.0, 12.3, 123.0, 1000.0]);
    assert!(format::from_text(&format!("0,100,{HEX},1.23e+02\n")).is_err());
}

fn text_error(text: &str) -> (usize, Field) {
    match format::from_text(text) {
        Err(ParseError::Record { line, field, .. }) => (line, field),
        other => panic!("{text:?}: expected a record error, got {other:?}"),
    }
}

#[test]
fn text_errors_name_line_and_field() {
    let good = format!("0,100,{HEX},0.000\n");
    assert_eq!(
        text_error(&format!("{good}1,100,{HEX}\n")),
        (2, Field::Record)
    );
    assert_eq!(
        text_error(&format!("{good}x,100,{HEX},0.1\n")),
        (2, Field::Frame)
    );
    assert_eq!(
        text_error(&format!("-1,100,{HEX},0.1\n")),
        (1, Field::Frame)
    );
    assert_eq!(
        text_error(&format!("1,101,{HEX},0.1\n")),
        (1, Field::Quality)
    );
    assert_eq!(text_error(&format!("1,,{HEX},0.1\n")), (1, Field::Quality));
    assert_eq!(
        text_error(&format!("1,50,{},0.1\n", &HEX[1..])),
        (1, Field::Pdq)
    );
    assert_eq!(
        text_error(&format!("1,50,{HEX},-0.1\n")),
        (1, Field::Timestamp)
    );
    assert_eq!(
        text_error(&format!("1,50,{HEX},inf\n")),
        (1, Field::Timestamp)
    );
    assert_eq!(
        text_error(&format!("1,50,{HEX},1e3\n")),
        (1, Field::Timestamp)
    );
    assert_eq!(text_error(&format!("{good}\n{good}")), (2, Field::Record));
    assert!(matches!(
        format::from_text(&format!("{good}{good}")),
        Err(ParseError::FrameOrder {
            line: 2,
            frame: 0,
            previous: 0
        })
    ));
    let msg = format::from_text(&format!("{good}1,100,zz,0.1\n"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("line 2") && msg.contains("PDQ hash"), "{msg}");
    // CRLF line ends and an empty document are accepted.
    assert_eq!(
        format::from_text(&good.replace('\n', "\r\n"))
            .unwrap()
            .len(),
        1
    );
    assert!(format::from_text("").unwrap().is_empty());
}

#[test]
fn json_errors_name_element_and_field() {
    let err = |json: &str| match format::from_pytx_json(json) {
        Err(ParseError::Record { line, field, .. }) => (line, field),
        other => panic!("{json:?}: expected a record error, got {other:?}"),
    };
    assert_eq!(
        err(&format!(r#"["{HEX},100,0.000", "{HEX},100"]"#)),
        (1, Field::Record)
    );
    assert_eq!(
        err(&format!(r#"["{HEX},1000,0.000"]"#)),
        (0, Field::Quality)
    );
    assert_eq!(err(&format!(r#"["{HEX}0,100,0.000"]"#)), (0, Field::Pdq));
    assert_eq!(err(&format!(r#"["{HEX},100,x"]"#)), (0, Field::Timestamp));
    assert_eq!(err(r#"[1]"#), (0, Field::Record));
    assert_eq!(err(&format!(r#"["{HEX},100,1e"]"#)), (0, Field::Timestamp));
    assert_eq!(
        err(&format!(r#"["{HEX},100,-1e2"]"#)),
        (0, Field::Timestamp)
    );
    assert_eq!(
        err(&format!(r#"["{HEX},100,1e+x"]"#)),
        (0, Field::Timestamp)
    );
    assert!(matches!(
        format::from_pytx_json("{}"),
        Err(ParseError::Json(_))
    ));
    assert!(matches!(
        format::from_pytx_json("[\"a\""),
        Err(ParseError::Json(_))
    ));
}
