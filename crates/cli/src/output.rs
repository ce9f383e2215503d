//! The output formats of `quell hash`: plain lines, JSON lines and CSV.

use std::io::Write;

use anyhow::Context;
use serde::Serialize;

use crate::hash::Hashed;

/// How results are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `<pdq> <quality> <path>` (or the 8 dihedral hashes first); errors go to stderr.
    Plain,
    /// One JSON object per line, errors included.
    Json,
    /// CSV with a header, errors in the last column.
    Csv,
}

/// Writes results in one format.
pub(crate) struct Printer<W: Write> {
    out: W,
    format: Format,
    dihedral: bool,
}

#[derive(Serialize)]
struct JsonHashed<'a> {
    path: &'a str,
    pdq: String,
    quality: u8,
    md5: String,
    sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    dihedral: Option<Vec<String>>,
    /// The default profile's upload searches, each a `POST /v1/match` query as it is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    queries: Vec<quell_api::MatchQuery>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    path: &'a str,
    error: &'a str,
}

const CSV_DIHEDRAL_COLUMNS: &str =
    "dih_orig,dih_rot90,dih_rot180,dih_rot270,dih_flipx,dih_flipy,dih_flipplus1,dih_flipminus1";

impl<W: Write> Printer<W> {
    /// Starts the output (the CSV header, if any).
    pub(crate) fn new(mut out: W, format: Format, dihedral: bool) -> anyhow::Result<Self> {
        if format == Format::Csv {
            let dih = if dihedral {
                format!(",{CSV_DIHEDRAL_COLUMNS}")
            } else {
                String::new()
            };
            writeln!(out, "path,pdq,quality,md5,sha256{dih},error").context("writing output")?;
        }
        Ok(Self {
            out,
            format,
            dihedral,
        })
    }

    /// Writes one successful result.
    pub(crate) fn hashed(&mut self, path: &str, h: &Hashed) -> anyhow::Result<()> {
        let dihedral = h.dihedral.map(|d| d.map(|x| x.to_string()));
        match self.format {
            Format::Plain => match &dihedral {
                Some(d) => writeln!(self.out, "{} {} {path}", d.join(" "), h.quality),
                None => writeln!(self.out, "{} {} {path}", h.pdq, h.quality),
            },
            Format::Json => {
                let (md5, sha256) = digests(h);
                let line = serde_json::to_string(&JsonHashed {
                    path,
                    pdq: h.pdq.to_string(),
                    quality: h.quality.get(),
                    md5,
                    sha256,
                    dihedral: dihedral.map(Vec::from),
                    queries: h
                        .queries
                        .iter()
                        .map(|q| quell_api::MatchQuery {
                            kind: quell_api::HashType::Pdq,
                            value: q.hash.to_string(),
                            profile: Some(quell_robust::Profile::DEFAULT.name().to_owned()),
                            upload: Some(q.kind.name().to_owned()),
                        })
                        .collect(),
                })?;
                writeln!(self.out, "{line}")
            }
            Format::Csv => {
                let dih = match &dihedral {
                    Some(d) => format!(",{}", d.join(",")),
                    None => String::new(),
                };
                let (md5, sha256) = digests(h);
                writeln!(
                    self.out,
                    "{},{},{},{md5},{sha256}{dih},",
                    csv_field(path),
                    h.pdq,
                    h.quality,
                )
            }
        }
        .context("writing output")
    }

    /// Writes one failure, naming the input.
    pub(crate) fn error(&mut self, path: &str, error: &str) -> anyhow::Result<()> {
        match self.format {
            Format::Plain => {
                // Keep stdout clean for pipelines: failures are diagnostics.
                self.out.flush().context("writing output")?;
                eprintln!("quell: {path}: {error}");
                Ok(())
            }
            Format::Json => {
                let line = serde_json::to_string(&JsonError { path, error })?;
                writeln!(self.out, "{line}").context("writing output")
            }
            Format::Csv => {
                let empty = if self.dihedral { 12 } else { 4 };
                writeln!(
                    self.out,
                    "{}{}{}",
                    csv_field(path),
                    ",".repeat(empty + 1),
                    csv_field(error)
                )
                .context("writing output")
            }
        }
    }

    /// Flushes buffered output.
    pub(crate) fn flush(&mut self) -> anyhow::Result<()> {
        self.out.flush().context("writing output")
    }
}

/// The digests as hex; the formats that print them always have them computed.
fn digests(h: &Hashed) -> (String, String) {
    let (md5, sha256) = h
        .digests
        .expect("digests are computed for JSON and CSV output");
    (md5.to_string(), sha256.to_string())
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("a.jpg"), "a.jpg");
        assert_eq!(csv_field("a,b.jpg"), "\"a,b.jpg\"");
        assert_eq!(csv_field("say \"hi\".png"), "\"say \"\"hi\"\".png\"");
    }
}
