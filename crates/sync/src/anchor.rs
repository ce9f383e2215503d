//! The registry's audit chain heads a member has seen, kept in `<data>/audit-heads`.
//!
//! **Key decision: every member is a witness of the registry's history.** Each sync page
//! carries the registry's audit head (`SEQ:HASH`, each event's hash covering all before it).
//! A member asks for the chain's event at the last head it kept and refuses the page, before
//! applying anything, unless that event is still there with the same hash. So a registry
//! whose newest history was deleted (a shorter chain) or rewritten (a fork) is refused
//! loudly by every member that synced before, rather than trusted quietly. This catches
//! changes made to the registry's database behind its back (a restored backup, a hand edit);
//! a registry whose own code lies about its chain needs heads anchored outside it as well
//! (see docs/operator.md).
//!
//! The file is plain text, one `SEQ:HASH` line per head kept, appended and fsynced, so an
//! operator can compare it with `quell audit verify`. A last line without its newline (a
//! write cut by a crash) is ignored: the head before it is still a head that was seen.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use quell_api::SyncResponse;
use quell_registry::ChainHead;

use crate::snapshot::FileError;

/// The file's name in the member's data directory.
pub const AUDIT_HEADS_FILE: &str = "audit-heads";

/// Why a page was refused for what it says of the registry's audit chain, or why the kept
/// heads cannot be read or written. Nothing of a refused page is applied.
#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    /// The chain no longer reaches the head this member kept.
    #[error(
        "the registry's audit chain is shorter than when this member last synced: it ends at \
         {now}, but this member saw event {} ({seen}). Its history was cut (a restored backup \
         or deleted rows); nothing was applied. Ask the registry's operator; keep {}",
        seen.seq, path.display()
    )]
    Shorter {
        /// The head this member kept.
        seen: ChainHead,
        /// The registry's head now.
        now: String,
        /// The kept heads' file.
        path: PathBuf,
    },
    /// The chain's event at the kept head's sequence number has another hash.
    #[error(
        "the registry's audit chain forks from what this member saw: its event {} is now \
         {there}, not {seen}. Its history was rewritten; nothing was applied. Ask the \
         registry's operator; keep {}",
        seen.seq, path.display()
    )]
    Forked {
        /// The head this member kept.
        seen: ChainHead,
        /// The registry's event at that sequence number now.
        there: String,
        /// The kept heads' file.
        path: PathBuf,
    },
    /// A registry that reported its head before no longer does.
    #[error(
        "the registry no longer reports its audit chain head (this member saw {seen}), so \
         its history cannot be checked; nothing was applied"
    )]
    Unreported {
        /// The head this member kept.
        seen: ChainHead,
    },
    /// The registry sent a head that is not `SEQ:HASH`.
    #[error("the registry sent an unreadable audit head {text:?}: {cause}")]
    Malformed {
        /// What it sent.
        text: String,
        /// What is wrong with it.
        cause: String,
    },
    /// A kept line is not a head.
    #[error("{}, line {line}: not an audit head ({cause})", path.display())]
    Corrupt {
        /// The kept heads' file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        cause: String,
    },
    /// The file cannot be read or written.
    #[error(transparent)]
    File(#[from] FileError),
}

/// The heads a member kept, as far as a sync needs them: the last one.
#[derive(Debug)]
pub struct AuditHeads {
    path: PathBuf,
    last: Option<ChainHead>,
    /// The file's length up to its last newline: a torn line past it is cut before the next
    /// head is appended, so it never becomes part of a line.
    complete_len: u64,
}

impl AuditHeads {
    /// Reads the kept heads from `dir` (none if the file is not there).
    ///
    /// # Errors
    /// If the file cannot be read or a complete line is not a head.
    pub fn load(dir: &Path) -> Result<Self, AnchorError> {
        let path = dir.join(AUDIT_HEADS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(FileError::at("reading", &path)(e).into()),
        };
        let mut last = None;
        // Only lines ended by a newline count: a final line without one was cut by a crash.
        let last_newline = text.rfind('\n');
        let complete = last_newline.map_or("", |end| &text[..end]);
        let complete_len = last_newline.map_or(0, |end| end as u64 + 1);
        for (i, line) in complete.split('\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            last = Some(line.parse().map_err(|cause| AnchorError::Corrupt {
                path: path.clone(),
                line: i + 1,
                cause,
            })?);
        }
        Ok(Self {
            path,
            last,
            complete_len,
        })
    }

    /// The sequence number to ask the registry about (`audit_seen`), once a head is kept.
    pub fn seen(&self) -> Option<i64> {
        self.last.map(|h| h.seq)
    }

    /// The last head kept.
    pub fn last(&self) -> Option<ChainHead> {
        self.last
    }

    /// Checks what `page` says of the chain against the last head kept; returns the page's
    /// head, to [`keep`](Self::keep) once the page is applied (`None` from a registry that
    /// reports none and never did).
    ///
    /// # Errors
    /// If the chain is shorter, forks, is no longer reported, or a head is unreadable.
    pub fn check(&self, page: &SyncResponse) -> Result<Option<ChainHead>, AnchorError> {
        let parse = |text: &str| {
            text.parse::<ChainHead>()
                .map_err(|cause| AnchorError::Malformed {
                    text: text.to_owned(),
                    cause,
                })
        };
        let Some(head) = page.audit_head.as_deref().map(parse).transpose()? else {
            return match self.last {
                Some(seen) => Err(AnchorError::Unreported { seen }),
                None => Ok(None),
            };
        };
        if let Some(seen) = self.last {
            match page.audit_seen.as_deref().map(parse).transpose()? {
                None => {
                    return Err(AnchorError::Shorter {
                        seen,
                        now: head.to_string(),
                        path: self.path.clone(),
                    });
                }
                Some(there) if there != seen => {
                    return Err(AnchorError::Forked {
                        seen,
                        there: there.to_string(),
                        path: self.path.clone(),
                    });
                }
                Some(_) => {}
            }
        }
        Ok(Some(head))
    }

    /// Appends `head` to the file (fsynced) unless it is the last one kept.
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn keep(&mut self, head: ChainHead) -> Result<(), AnchorError> {
        if self.last == Some(head) {
            return Ok(());
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(FileError::at("opening", &self.path))?;
        let line = format!("{head}\n");
        file.set_len(self.complete_len)
            .and_then(|()| file.write_all(line.as_bytes()))
            .and_then(|()| file.sync_all())
            .map_err(FileError::at("writing", &self.path))?;
        self.complete_len += line.len() as u64;
        self.last = Some(head);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(seq: i64, byte: u8) -> ChainHead {
        ChainHead {
            seq,
            hash: [byte; 32],
        }
    }

    fn page(head: Option<ChainHead>, seen: Option<ChainHead>) -> SyncResponse {
        SyncResponse {
            entries: Vec::new(),
            next_cursor: String::new(),
            has_more: false,
            audit_head: head.map(|h| h.to_string()),
            audit_seen: seen.map(|h| h.to_string()),
        }
    }

    #[test]
    fn a_kept_head_must_still_be_in_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let mut heads = AuditHeads::load(dir.path()).unwrap();
        // Nothing kept yet: any head is taken, and none from an older registry is fine.
        assert_eq!(heads.check(&page(None, None)).unwrap(), None);
        let first = heads.check(&page(Some(head(5, 1)), None)).unwrap().unwrap();
        heads.keep(first).unwrap();
        heads.keep(first).unwrap();
        assert_eq!(heads.seen(), Some(5));

        // Grown past it with event 5 unchanged: fine.
        let grown = page(Some(head(9, 2)), Some(head(5, 1)));
        assert_eq!(heads.check(&grown).unwrap(), Some(head(9, 2)));
        // Cut before it, rewritten at it, or no longer reported: refused.
        let refusals = [
            page(Some(head(3, 3)), None),
            page(Some(head(9, 2)), Some(head(5, 7))),
            page(None, None),
        ];
        let messages: Vec<String> = refusals
            .iter()
            .map(|p| heads.check(p).unwrap_err().to_string())
            .collect();
        assert!(messages[0].contains("shorter") && messages[0].contains("ends at 3:"));
        assert!(messages[1].contains("forks") && messages[1].contains("event 5 is now 5:0707"));
        assert!(messages[2].contains("no longer reports"));

        // What was kept survives a reload; a torn last line is ignored, a bad one is not.
        heads.keep(head(9, 2)).unwrap();
        let path = dir.path().join(AUDIT_HEADS_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        std::fs::write(&path, format!("{text}12:ab")).unwrap();
        let mut torn = AuditHeads::load(dir.path()).unwrap();
        assert_eq!(torn.last(), Some(head(9, 2)));
        // The next head replaces the torn line instead of running on from it.
        torn.keep(head(12, 4)).unwrap();
        assert_eq!(
            AuditHeads::load(dir.path()).unwrap().last(),
            Some(head(12, 4))
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
        std::fs::write(&path, format!("{text}garbage\n")).unwrap();
        let err = AuditHeads::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
    }
}
