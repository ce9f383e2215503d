//! The two interchange formats: the reference's text lines and python-threatexchange's JSON.
//!
//! Text (C++ `vpdqio.cpp`, `sample-hashes/*.txt`): one line per frame,
//! `frame_number,quality,pdq_hex,timestamp_seconds`, timestamp with 3 decimals.
//! JSON (pytx `vpdq_util.py`): a list of `"pdq_hex,quality,timestamp"` strings, the frame
//! number implied by position in pytx; here it is the list index. This list, as a JSON text, is
//! pytx's (and HMA's) `VideoVPDQSignal` signal string. pytx formats the timestamp with
//! Python's `{:.3}` (three *significant* digits: `12.3`, `1.23e+02`), so the JSON parser
//! accepts an exponent; the writer always uses three decimals, which pytx reads back.
//!
//! Parsers are strict: every field must be present and in range, nothing may follow, and the
//! error names the line (or list element) and the field.

use std::fmt::Write as _;

use quell_hash::{Pdq, Quality};

use crate::video::{FrameHash, VideoHash};

/// Which field of a frame record is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The frame number.
    Frame,
    /// The quality score.
    Quality,
    /// The 64-hex-digit PDQ hash.
    Pdq,
    /// The timestamp in seconds.
    Timestamp,
    /// The record as a whole (wrong number of fields, not a string, ...).
    Record,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Field::Frame => "frame number",
            Field::Quality => "quality",
            Field::Pdq => "PDQ hash",
            Field::Timestamp => "timestamp",
            Field::Record => "record",
        })
    }
}

/// A vPDQ text or JSON document that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// One record is malformed. `line` is 1-based for text and the 0-based list index for
    /// JSON, as each format's tools count.
    #[error("{format} {unit} {line}: bad {field}: {reason}")]
    Record {
        /// `"vPDQ text"` or `"vPDQ JSON"`.
        format: &'static str,
        /// `"line"` or `"element"`.
        unit: &'static str,
        /// Where.
        line: usize,
        /// Which field.
        field: Field,
        /// What is wrong with it.
        reason: String,
    },
    /// Frame numbers must increase strictly from record to record.
    #[error("vPDQ text line {line}: frame number {frame} does not follow {previous}")]
    FrameOrder {
        /// 1-based line.
        line: usize,
        /// The frame number on that line.
        frame: u32,
        /// The frame number on the line before.
        previous: u32,
    },
    /// The JSON is not a list of strings.
    #[error("vPDQ JSON: {0}")]
    Json(String),
}

/// Writes the reference's text format: one `frame,quality,hex,timestamp` line per frame,
/// each ending in `\n`.
pub fn to_text(video: &VideoHash) -> String {
    let mut out = String::with_capacity(video.len() * 80);
    for f in &video.frames {
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "{},{},{},{:.3}",
            f.frame, f.quality, f.pdq, f.timestamp
        );
    }
    out
}

/// Parses the reference's text format. Empty lines are not allowed except a final newline;
/// `\r\n` line ends are accepted.
///
/// # Errors
/// The first malformed line, naming the field.
pub fn from_text(text: &str) -> Result<VideoHash, ParseError> {
    let mut frames: Vec<FrameHash> = Vec::new();
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body.is_empty() {
        return Ok(VideoHash::default());
    }
    for (i, raw) in body.split('\n').enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let err = |field, reason: String| ParseError::Record {
            format: "vPDQ text",
            unit: "line",
            line,
            field,
            reason,
        };
        let parts: Vec<&str> = raw.split(',').collect();
        let [frame, quality, pdq, timestamp] = parts[..] else {
            return Err(err(
                Field::Record,
                format!("expected 4 comma-separated fields, got {}", parts.len()),
            ));
        };
        let frame = parse_frame(frame).map_err(|r| err(Field::Frame, r))?;
        if let Some(prev) = frames.last()
            && frame <= prev.frame
        {
            return Err(ParseError::FrameOrder {
                line,
                frame,
                previous: prev.frame,
            });
        }
        frames.push(frame_hash(frame, quality, pdq, timestamp, false, err)?);
    }
    Ok(VideoHash::new(frames))
}

/// The pytx wire form: one `"hex,quality,timestamp"` string per frame (timestamp with 3
/// decimals, as pytx's `vpdq_to_json` writes it).
pub fn to_pytx_strings(video: &VideoHash) -> Vec<String> {
    video
        .frames
        .iter()
        .map(|f| format!("{},{},{:.3}", f.pdq, f.quality, f.timestamp))
        .collect()
}

/// Writes pytx's JSON: a list of `"hex,quality,timestamp"` strings.
pub fn to_pytx_json(video: &VideoHash) -> String {
    serde_json::Value::from(to_pytx_strings(video)).to_string()
}

/// Parses pytx's wire form. pytx does not carry frame numbers; the list index is used, as pytx
/// itself does when it reads this format.
///
/// # Errors
/// The first malformed element, naming the field.
pub fn from_pytx_strings<S: AsRef<str>>(items: &[S]) -> Result<VideoHash, ParseError> {
    let mut frames = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let err = |field, reason: String| ParseError::Record {
            format: "vPDQ JSON",
            unit: "element",
            line: i,
            field,
            reason,
        };
        let parts: Vec<&str> = item.as_ref().split(',').collect();
        let [pdq, quality, timestamp] = parts[..] else {
            return Err(err(
                Field::Record,
                format!("expected 3 comma-separated fields, got {}", parts.len()),
            ));
        };
        let frame = u32::try_from(i).map_err(|_| err(Field::Frame, "too many frames".into()))?;
        frames.push(frame_hash(frame, quality, pdq, timestamp, true, err)?);
    }
    Ok(VideoHash::new(frames))
}

/// Parses pytx's JSON document (a list of strings).
///
/// # Errors
/// Not JSON, not a list of strings, or a malformed element.
pub fn from_pytx_json(json: &str) -> Result<VideoHash, ParseError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| ParseError::Json(e.to_string()))?;
    let serde_json::Value::Array(items) = value else {
        return Err(ParseError::Json("expected a list of strings".into()));
    };
    let mut strings = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        match item {
            serde_json::Value::String(s) => strings.push(s),
            other => {
                return Err(ParseError::Record {
                    format: "vPDQ JSON",
                    unit: "element",
                    line: i,
                    field: Field::Record,
                    reason: format!("expected a string, got {other}"),
                });
            }
        }
    }
    from_pytx_strings(&strings)
}

fn is_decimal(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// One frame's quality, hash and timestamp fields, shared by both formats; `err` names the
/// record and the field that is wrong. `exponent` allows pytx's `1.23e+02` timestamps.
fn frame_hash(
    frame: u32,
    quality: &str,
    pdq: &str,
    timestamp: &str,
    exponent: bool,
    err: impl Fn(Field, String) -> ParseError,
) -> Result<FrameHash, ParseError> {
    Ok(FrameHash {
        frame,
        quality: parse_quality(quality).map_err(|r| err(Field::Quality, r))?,
        pdq: parse_pdq(pdq).map_err(|r| err(Field::Pdq, r))?,
        timestamp: parse_timestamp(timestamp, exponent).map_err(|r| err(Field::Timestamp, r))?,
    })
}

fn parse_frame(s: &str) -> Result<u32, String> {
    if !is_decimal(s) {
        return Err(format!("{s:?} is not a non-negative integer"));
    }
    s.parse()
        .map_err(|_| format!("{s:?} is larger than {}", u32::MAX))
}

fn parse_quality(s: &str) -> Result<Quality, String> {
    if !is_decimal(s) || s.len() > 3 {
        return Err(format!("{s:?} is not an integer from 0 to 100"));
    }
    let q: i64 = s.parse().map_err(|_| format!("{s:?} is not an integer"))?;
    Quality::new(q).map_err(|e| e.to_string())
}

fn parse_pdq(s: &str) -> Result<Pdq, String> {
    s.parse::<Pdq>().map_err(|e| e.to_string())
}

fn parse_timestamp(s: &str, exponent: bool) -> Result<f64, String> {
    // Digits, optionally a point and more digits, and where allowed `e`, an optional sign and
    // digits: no sign on the number, no "inf" or "NaN".
    let (mantissa, exp) = match s.split_once(['e', 'E']) {
        Some((m, e)) if exponent => (m, Some(e)),
        _ => (s, None),
    };
    let exp_ok = exp.is_none_or(|e| is_decimal(e.strip_prefix(['+', '-']).unwrap_or(e)));
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    if !is_decimal(int) || !is_decimal(frac) || !exp_ok {
        return Err(format!(
            "{s:?} is not a non-negative decimal number of seconds"
        ));
    }
    let t: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !t.is_finite() {
        return Err(format!("{s:?} is out of range"));
    }
    Ok(t)
}
