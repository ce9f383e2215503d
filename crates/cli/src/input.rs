//! Where the CLI's inputs come from and what each one is: one walk, one skip rule and one
//! sniff for every command that reads media files (`hash`, `scan`, `case open`, and a profile
//! index's `index build --images` and `match --images`).
//!
//! **Key decision: names never decide.** A path named on the command line is always attempted,
//! so a mistyped name gets an error rather than silence. A folder is walked recursively in name
//! order, skipping hidden entries (`.DS_Store`, `._photo.jpg` sidecars, `.git`): nobody means
//! those when they point at a folder of photos. What a file is comes from its first bytes
//! ([`sniff`]), never from its name, so a photo saved without an extension is still a photo.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::video;

/// Where an input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Input {
    /// Standard input, named `-`.
    Stdin,
    /// A file.
    File(PathBuf),
}

impl Input {
    /// How messages name the input.
    pub(crate) fn display(&self) -> String {
        match self {
            Input::Stdin => "-".to_owned(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

/// Which files found in a walked folder a command takes (named files are always taken).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Images and videos, by content: what `quell hash` and `quell scan` hash.
    Media,
    /// Images, by content: what a profile index is built from and matched with.
    Images,
    /// Every file: what `quell case open` fingerprints (any file gives its MD5 and SHA-256).
    Everything,
}

/// A folder that could not be listed, named, and why.
pub(crate) type WalkError = (String, String);

/// Expands command-line paths into inputs: `-` as stdin, folders walked (see the module docs),
/// other paths as given; with the folders that could not be listed.
pub(crate) fn collect(paths: &[PathBuf], keep: Keep) -> (Vec<Input>, Vec<WalkError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
        } else if path.is_dir() {
            walk(path, keep, &mut inputs, &mut errors);
        } else {
            inputs.push(Input::File(path.clone()));
        }
    }
    (inputs, errors)
}

fn walk(dir: &Path, keep: Keep, inputs: &mut Vec<Input>, errors: &mut Vec<WalkError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push((
                dir.display().to_string(),
                format!("cannot list the folder: {e}"),
            ));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !is_hidden(p))
        .collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(&path, keep, inputs, errors);
        } else if match keep {
            Keep::Everything => true,
            Keep::Media => sniff(&path) != Sniffed::Other,
            Keep::Images => sniff(&path) == Sniffed::Image,
        } {
            inputs.push(Input::File(path));
        }
    }
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// What a file's first bytes say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sniffed {
    /// An image format the decoder reads (JPEG, PNG, WebP, GIF, BMP, TIFF).
    Image,
    /// A video container FFmpeg reads ([`video::looks_like_video`]).
    Video,
    /// Anything else, or a file that cannot be read.
    Other,
}

/// Reads the first bytes of `path` once and says what the file is.
pub(crate) fn sniff(path: &Path) -> Sniffed {
    let mut head = [0u8; video::SNIFF_BYTES];
    let mut n = 0;
    if let Ok(mut f) = std::fs::File::open(path) {
        // A short read is not the end of the file; fill what is there.
        while n < head.len() {
            match f.read(&mut head[n..]) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
    }
    sniff_bytes(&head[..n])
}

/// What a file starting with `head` is.
pub(crate) fn sniff_bytes(head: &[u8]) -> Sniffed {
    if video::looks_like_video(head) {
        Sniffed::Video
    } else if quell_pdq::decode::is_supported_image(head) {
        Sniffed::Image
    } else {
        Sniffed::Other
    }
}

/// Reads a whole input, refusing one larger than `max` bytes without reading it all.
pub(crate) fn read_bounded(input: &Input, max: u64) -> Result<Vec<u8>, String> {
    let too_big = || format!("file is larger than the limit of {} MiB", max >> 20);
    let mut buf = Vec::new();
    match input {
        Input::Stdin => {
            std::io::stdin()
                .lock()
                .take(max + 1)
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
        }
        Input::File(path) => {
            let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            if len > max {
                return Err(too_big());
            }
            buf.reserve_exact(usize::try_from(len).unwrap_or(0));
            file.take(max + 1)
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read: {e}"))?;
        }
    }
    if buf.len() as u64 > max {
        return Err(too_big());
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hidden entries are skipped in walked folders but a hidden file named on the command
    /// line is taken; `Media` keeps images and videos by content whatever their names.
    #[test]
    fn one_walk_for_every_command() {
        let dir = tempfile::tempdir().unwrap();
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
        std::fs::write(dir.path().join("b-photo-without-extension"), png).unwrap();
        std::fs::write(dir.path().join(".hidden.png"), png).unwrap();
        std::fs::write(dir.path().join("a-notes.txt"), b"hello").unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".git").join("photo.png"), png).unwrap();
        std::fs::create_dir(dir.path().join("c")).unwrap();
        std::fs::write(dir.path().join("c").join("clip"), b"\0\0\0\x18ftypisom").unwrap();
        let names = |inputs: Vec<Input>| -> Vec<String> {
            inputs
                .iter()
                .map(|i| match i {
                    Input::File(p) => p.strip_prefix(dir.path()).unwrap().display().to_string(),
                    Input::Stdin => "-".to_owned(),
                })
                .collect()
        };
        let root = vec![dir.path().to_owned()];
        let (media, errors) = collect(&root, Keep::Media);
        assert!(errors.is_empty());
        assert_eq!(names(media), ["b-photo-without-extension", "c/clip"]);
        let (images, _) = collect(&root, Keep::Images);
        assert_eq!(names(images), ["b-photo-without-extension"]);
        let (all, _) = collect(&root, Keep::Everything);
        assert_eq!(
            names(all),
            ["a-notes.txt", "b-photo-without-extension", "c/clip"]
        );
        let named = vec![dir.path().join(".hidden.png"), PathBuf::from("-")];
        let (inputs, _) = collect(&named, Keep::Media);
        assert_eq!(names(inputs), [".hidden.png", "-"]);
        let (_, errors) = collect(&[dir.path().join("c").join("clip").join("x")], Keep::Media);
        assert!(errors.is_empty(), "a named path is attempted, not listed");
    }
}
