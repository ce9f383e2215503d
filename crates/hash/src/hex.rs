//! Strict lowercase-or-uppercase hex for fixed-size hashes, with errors that say what is wrong.

use std::fmt;

/// Why a hex string is not a valid hash of the expected size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} hex: {kind}")]
pub struct ParseHexError {
    what: &'static str,
    kind: ParseHexErrorKind,
}

impl ParseHexError {
    /// What was being parsed (`"PDQ"`, `"MD5"`, `"SHA-256"`).
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// What is wrong with the input.
    pub fn kind(&self) -> &ParseHexErrorKind {
        &self.kind
    }
}

/// The specific problem found in a hex string.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseHexErrorKind {
    /// The string has the wrong number of characters.
    Length {
        /// Characters expected.
        expected: usize,
        /// Characters found.
        found: usize,
    },
    /// A character that is not a hex digit.
    Digit {
        /// Zero-based character position.
        position: usize,
        /// The offending character.
        found: char,
    },
}

impl fmt::Display for ParseHexErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length { expected, found } => {
                write!(f, "expected {expected} hex digits, found {found}")
            }
            Self::Digit { position, found } => {
                write!(f, "{found:?} at position {position} is not a hex digit")
            }
        }
    }
}

/// Parses exactly `2 * N` hex digits into `N` bytes, first digits first.
///
/// Both cases are accepted on input (MD5 and SHA-256 are often uppercase in the wild); output is
/// always lowercase, which is what python-threatexchange requires of PDQ.
pub(crate) fn parse<const N: usize>(what: &'static str, s: &str) -> Result<[u8; N], ParseHexError> {
    let err = |kind| ParseHexError { what, kind };
    let bytes = s.as_bytes();
    if bytes.len() != 2 * N {
        return Err(err(ParseHexErrorKind::Length {
            expected: 2 * N,
            found: s.chars().count(),
        }));
    }
    let mut out = [0u8; N];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let hi = nibble(pair[0]).ok_or_else(|| bad_digit(what, s, 2 * i))?;
        let lo = nibble(pair[1]).ok_or_else(|| bad_digit(what, s, 2 * i + 1))?;
        out[i] = (hi << 4) | lo;
    }
    Ok(out)
}

fn bad_digit(what: &'static str, s: &str, byte_pos: usize) -> ParseHexError {
    // The length check passed, so a non-ASCII byte may sit inside a multi-byte character:
    // report the character that contains it, at its character position.
    let (position, found) = s
        .char_indices()
        .enumerate()
        .take_while(|(_, (b, _))| *b <= byte_pos)
        .last()
        .map(|(ci, (_, c))| (ci, c))
        .unwrap_or((0, '\u{fffd}'));
    ParseHexError {
        what,
        kind: ParseHexErrorKind::Digit { position, found },
    }
}

fn nibble(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Writes bytes as lowercase hex.
pub(crate) fn write(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        f.write_str(
            std::str::from_utf8(&[DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
                .expect("hex digits are ASCII"),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_length_in_characters() {
        let e = parse::<2>("X", "abc").unwrap_err();
        assert_eq!(
            e.kind(),
            &ParseHexErrorKind::Length {
                expected: 4,
                found: 3
            }
        );
    }

    #[test]
    fn reports_bad_digit_position() {
        let e = parse::<2>("X", "ab-d").unwrap_err();
        assert_eq!(
            e.kind(),
            &ParseHexErrorKind::Digit {
                position: 2,
                found: '-'
            }
        );
        assert_eq!(
            e.to_string(),
            "invalid X hex: '-' at position 2 is not a hex digit"
        );
    }

    #[test]
    fn multibyte_character_is_reported_whole() {
        // "é" is two bytes, so the byte length is right but the content is not.
        let e = parse::<2>("X", "aéb").unwrap_err();
        assert_eq!(
            e.kind(),
            &ParseHexErrorKind::Digit {
                position: 1,
                found: 'é'
            }
        );
    }

    #[test]
    fn accepts_uppercase() {
        assert_eq!(parse::<2>("X", "ABcd").unwrap(), [0xab, 0xcd]);
    }
}
