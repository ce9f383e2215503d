//! `quell case`: the affected person's path on the command line, for everything the page
//! cannot fingerprint (videos above all). `open` fingerprints files on this machine and sends
//! only the hashes to `POST /v1/cases`; `status` and `withdraw` prove the case with its secret.
//!
//! **Key decision: what a file contributes is decided in one place, [`fingerprint`], by what
//! the file is, with the page's rules.** An image `quell hash` can decode gives its PDQ (only
//! if its quality is at least 50), MD5 and SHA-256; a video gives its vPDQ (one frame hash per
//! second, only if some frame reaches quality 50 and it fits the registry's frame limit), MD5
//! and SHA-256; anything else (another file, an image or video that cannot be decoded) gives
//! the MD5 and SHA-256 of its bytes, read in chunks, so exact copies are covered.
//!
//! The secret is never required on the command line, where shell history and other users
//! could see it: it comes from the file `open --save` wrote (the page's downloaded codes file
//! has the same lines), from `--secret-file`, or from `QUELL_CASE_SECRET`.

use std::collections::HashSet;
use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use quell_api::{CaseStatusResponse, HashInput, HashType, OpenCaseRequest, OutcomeKind};
use quell_hash::MIN_QUALITY;
use quell_registry::{MAX_FILED_HASHES_PER_CASE, MAX_HASHES_PER_CASE, MAX_VPDQ_FRAMES, Vpdq};
use quell_robust::Profile;
use quell_sync::{CaseClient, ClientError};
use rayon::prelude::*;

use crate::hash::{self, MemoryGate};
use crate::input::{self, Input, Keep, Sniffed};
use crate::video;

/// `quell case …`.
#[derive(Subcommand, Debug)]
pub(crate) enum CaseCommand {
    /// Fingerprint files on this machine and open a case with the fingerprints only.
    Open(OpenArgs),
    /// Show a case: whether it is open, how many fingerprints it holds, what platforms did.
    Status(StatusArgs),
    /// Withdraw a case: platforms stop looking for its fingerprints.
    Withdraw(WithdrawArgs),
    /// A record of the case to take to the police or a lawyer: a printable HTML page (save it
    /// as PDF from a browser) or JSON, with every platform's outcome and time to action and
    /// the registry's audit head. Never the secret, never any image.
    Report(crate::case_report::ReportArgs),
}

/// Arguments of `quell case open`.
#[derive(Args, Debug)]
pub(crate) struct OpenArgs {
    /// The registry's base URL, e.g. `https://registry.example`.
    #[arg(long, value_name = "URL")]
    registry: String,
    /// Also write the case number and secret to this new file (readable only by you; an
    /// existing file is never overwritten). `status` and `withdraw` read it with `--case-file`.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    /// Fingerprint and show what would be sent, but send nothing.
    #[arg(long)]
    dry_run: bool,
    /// The hash profile of each photo's extra hashes: by default pdq-robust-v6, about 110
    /// more per photo, of its crops, trims and cuts, so that cropped, framed, captioned and
    /// screenshotted copies are found too. They are made here, from the photo, like every
    /// other fingerprint. `pdq-plain-v1` sends none: only each photo's one PDQ hash.
    #[arg(long, value_name = "NAME", default_value = Profile::DEFAULT.name())]
    profile: String,
    /// Files, or folders (searched recursively; hidden files are skipped).
    #[arg(required = true, value_name = "FILE|DIR")]
    paths: Vec<PathBuf>,
}

/// Which case, and its secret.
#[derive(Args, Debug)]
pub(crate) struct CaseRef {
    /// The registry's base URL (default: the `Registry:` line of `--case-file`).
    #[arg(long, value_name = "URL")]
    registry: Option<String>,
    /// The file `quell case open --save` wrote, or the codes file the page downloads.
    #[arg(long, value_name = "FILE")]
    case_file: Option<PathBuf>,
    /// The case number (`c_…`), when not using `--case-file`.
    #[arg(long, value_name = "ID", conflicts_with = "case_file")]
    case_id: Option<String>,
    /// A file holding the secret, when not using `--case-file`. Otherwise the secret is read
    /// from `QUELL_CASE_SECRET`; it is never taken as an argument.
    #[arg(long, value_name = "FILE", conflicts_with = "case_file")]
    secret_file: Option<PathBuf>,
}

/// Arguments of `quell case status`.
#[derive(Args, Debug)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    case: CaseRef,
    /// Print the registry's answer as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `quell case withdraw`.
#[derive(Args, Debug)]
pub(crate) struct WithdrawArgs {
    #[command(flatten)]
    case: CaseRef,
    /// Withdraw without asking for confirmation.
    #[arg(long)]
    yes: bool,
}

pub(crate) fn run(cmd: &CaseCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CaseCommand::Open(args) => open(args),
        CaseCommand::Status(args) => status(args),
        CaseCommand::Withdraw(args) => withdraw(args),
        CaseCommand::Report(args) => crate::case_report::run(args),
    }
}

/// What kind of file something is, for what it can contribute.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    /// A photo: PDQ finds edited copies, MD5 and SHA-256 exact ones.
    Photo,
    /// A photo too plain or too small for PDQ to match reliably (quality below 50).
    PlainPhoto,
    /// Looked like a photo but could not be decoded.
    UndecodablePhoto,
    /// A video: vPDQ finds re-encoded and edited copies, MD5 and SHA-256 exact ones.
    Video,
    /// A video without a vPDQ (it could not be decoded, every frame is too plain, or it is
    /// too long for one hash); the reason is printed for the file.
    UnhashedVideo,
    /// Any other file.
    Other,
}

impl Kind {
    /// How the summary describes `n` files of this kind.
    fn describe(self, n: usize) -> String {
        let s = if n == 1 { "" } else { "s" };
        match self {
            Kind::Photo => {
                format!("{n} photo{s}: PDQ, MD5 and SHA-256 (finds edited and exact copies)")
            }
            Kind::PlainPhoto => format!(
                "{n} photo{s} too plain or too small to match reliably: MD5 and SHA-256 only \
                 (exact copies of the file; edited or resized copies may be missed)"
            ),
            Kind::UndecodablePhoto => format!(
                "{n} photo{s} this tool cannot read: MD5 and SHA-256 only (exact copies of the file)"
            ),
            Kind::Video => format!(
                "{n} video{s}: vPDQ, MD5 and SHA-256 (finds re-encoded, resized and exact copies)"
            ),
            Kind::UnhashedVideo => format!(
                "{n} video{s} without a video fingerprint (see above): MD5 and SHA-256 only \
                 (exact copies of the file)"
            ),
            Kind::Other => {
                format!("{n} other file{s}: MD5 and SHA-256 only (exact copies of the file)")
            }
        }
    }
}

/// What one file contributes.
struct Fingerprinted {
    kind: Kind,
    hashes: Vec<HashInput>,
}

/// The fingerprints of one file, by what it is (see the module docs). `Err` when the file
/// cannot be read at all.
fn fingerprint(
    path: &Path,
    gate: &MemoryGate,
    profile: Option<Profile>,
) -> Result<Fingerprinted, String> {
    let (md5, sha256) = video::file_digests(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut hashes = Vec::with_capacity(3);
    let sniffed = input::sniff(path);
    let kind = if sniffed == Sniffed::Video {
        match video_fingerprint(path) {
            Ok(vpdq) => {
                hashes.push(HashInput {
                    kind: HashType::Vpdq,
                    value: vpdq.as_str().to_owned(),
                    quality: None,
                    profile: None,
                    part: None,
                    file: None,
                });
                Kind::Video
            }
            Err(why) => {
                eprintln!(
                    "quell: {}: no video fingerprint: {why}; its MD5 and SHA-256 are used",
                    path.display()
                );
                Kind::UnhashedVideo
            }
        }
    } else if sniffed == Sniffed::Image {
        match hash::image_pdq(path, gate, profile) {
            Ok(f) if f.plain.quality >= MIN_QUALITY => {
                hashes.push(HashInput {
                    kind: HashType::Pdq,
                    value: f.plain.hash.to_string(),
                    quality: Some(i64::from(f.plain.quality.get())),
                    profile: None,
                    part: None,
                    file: None,
                });
                // The profile leaves out hashes below quality 50, which the registry refuses,
                // but its first, which it keeps whatever its quality (the plain PDQ is sent).
                let name = profile.map(Profile::name);
                for (part, h) in f
                    .filed
                    .into_iter()
                    .filter(|(_, h)| h.quality >= MIN_QUALITY)
                {
                    hashes.push(HashInput {
                        kind: HashType::Pdq,
                        value: h.hash.to_string(),
                        quality: Some(i64::from(h.quality.get())),
                        profile: name.map(str::to_owned),
                        part: Some(part.name().to_owned()),
                        file: None,
                    });
                }
                Kind::Photo
            }
            Ok(_) => Kind::PlainPhoto,
            Err(_) => Kind::UndecodablePhoto,
        }
    } else {
        Kind::Other
    };
    for (kind, value) in [
        (HashType::Md5, md5.to_string()),
        (HashType::Sha256, sha256.to_string()),
    ] {
        hashes.push(HashInput {
            kind,
            value,
            quality: None,
            profile: None,
            part: None,
            file: None,
        });
    }
    Ok(Fingerprinted { kind, hashes })
}

/// A video's vPDQ as the registry takes it: one frame per second (the default every member
/// matches with), at most [`MAX_VPDQ_FRAMES`] frames, with at least one frame of quality 50.
fn video_fingerprint(path: &Path) -> Result<Vpdq, String> {
    let job = video::VideoJob {
        options: quell_vpdq::decode::HashOptions {
            max_frames: MAX_VPDQ_FRAMES,
            ..quell_vpdq::decode::HashOptions::default()
        },
        json: false,
    };
    let hashed = job.hash(path)?;
    Vpdq::from_video(hashed.into_vpdq()).map_err(|e| e.to_string())
}

fn open(args: &OpenArgs) -> anyhow::Result<ExitCode> {
    let client = CaseClient::new(&args.registry);
    let profile = submission_profile(&args.profile)?;
    let done = match fingerprint_files(&args.paths, profile) {
        Ok(done) => done,
        Err(unread) => {
            for (path, e) in &unread {
                eprintln!("quell: {path}: {e}");
            }
            eprintln!(
                "quell: {} of the chosen files could not be read, so nothing was sent. Remove \
                 them from the selection or make them readable, and try again.",
                unread.len()
            );
            return Ok(ExitCode::from(1));
        }
    };
    if done.is_empty() {
        bail!("there are no files to fingerprint in what was chosen, so nothing was sent");
    }
    let plan = CasePlan::new(&done);
    eprintln!(
        "{}",
        plan.summary(&done, profile, client.base(), args.dry_run)
    );
    plan.check_limits()?;
    if args.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    send(&client, plan.hashes, args.save.as_deref())
}

/// The profile `--profile` names: `None` for plain PDQ (no extra hashes), else one whose
/// hashes a registry takes.
fn submission_profile(name: &str) -> anyhow::Result<Option<Profile>> {
    match Profile::from_name(name)? {
        Profile::PlainV1 => Ok(None),
        p if p.searches_by_part() => Ok(Some(p)),
        p => bail!(
            "the registry takes the hashes of profiles that file them by part ({}) or plain \
             PDQ ({}), not {p}",
            quell_hash::FILED_PROFILES.join(", "),
            Profile::PlainV1.name()
        ),
    }
}

/// Fingerprints every file under `paths` ([`input::collect`], every file kept), in parallel;
/// `Err` with each input that could not be read (a folder that cannot be listed counts), in
/// which case nothing is to be sent.
fn fingerprint_files(
    paths: &[PathBuf],
    profile: Option<Profile>,
) -> Result<Vec<Fingerprinted>, Vec<input::WalkError>> {
    let (inputs, mut errors) = input::collect(paths, Keep::Everything);
    let gate = MemoryGate::new(hash::DEFAULT_MEMORY_BYTES, rayon::current_num_threads());
    let results: Vec<Result<Fingerprinted, String>> = inputs
        .par_iter()
        .map(|input| match input {
            Input::File(path) => fingerprint(path, &gate, profile),
            Input::Stdin => Err("name the files to fingerprint; standard input is not read".into()),
        })
        .collect();
    let mut done = Vec::new();
    for (input, result) in inputs.iter().zip(results) {
        match result {
            Ok(f) => done.push(f),
            Err(e) => errors.push((input.display(), e)),
        }
    }
    if errors.is_empty() {
        Ok(done)
    } else {
        Err(errors)
    }
}

/// What a case will hold: every file's fingerprints, each hash once.
struct CasePlan {
    hashes: Vec<HashInput>,
    /// How many of them are filed under a hash profile.
    filed: usize,
}

impl CasePlan {
    fn new(done: &[Fingerprinted]) -> Self {
        // The same hash from two files (copies) is sent once, as the page does.
        // Each hash says which file it was made from, so the registry gives every hash of
        // one photo the same media id (members raise one ticket per photo).
        let mut seen = HashSet::new();
        let mut hashes = Vec::new();
        for (file, f) in (0u32..).zip(done) {
            for h in &f.hashes {
                if seen.insert((
                    h.kind as u8,
                    h.value.clone(),
                    h.profile.clone(),
                    h.part.clone(),
                )) {
                    hashes.push(HashInput {
                        file: Some(file),
                        ..h.clone()
                    });
                }
            }
        }
        let filed = hashes.iter().filter(|h| h.profile.is_some()).count();
        Self { hashes, filed }
    }

    /// What the person is told before anything is sent.
    fn summary(
        &self,
        done: &[Fingerprinted],
        profile: Option<Profile>,
        registry: &str,
        dry_run: bool,
    ) -> String {
        let hashes = &self.hashes;
        let mut summary = format!(
            "Fingerprints made on this machine for {} file{}:\n",
            done.len(),
            if done.len() == 1 { "" } else { "s" }
        );
        for kind in [
            Kind::Photo,
            Kind::PlainPhoto,
            Kind::UndecodablePhoto,
            Kind::Video,
            Kind::UnhashedVideo,
            Kind::Other,
        ] {
            let n = done.iter().filter(|f| f.kind == kind).count();
            if n > 0 {
                summary.push_str(&format!("  {}\n", kind.describe(n)));
            }
        }
        // Per type, only the types present: "3 fingerprints (1 PDQ, 1 MD5, 1 SHA-256)".
        let per_type: Vec<String> = [
            (HashType::Pdq, "PDQ"),
            (HashType::Vpdq, "vPDQ"),
            (HashType::Md5, "MD5"),
            (HashType::Sha256, "SHA-256"),
        ]
        .into_iter()
        .filter_map(|(t, name)| {
            let n = hashes.iter().filter(|h| h.kind == t).count();
            (n > 0).then(|| format!("{n} {name}"))
        })
        .collect();
        summary.push_str(&format!(
            "{} fingerprints ({}) {} {registry}: the fingerprints only, never the files.",
            hashes.len(),
            per_type.join(", "),
            if dry_run {
                "would be sent to"
            } else {
                "will be sent to"
            },
        ));
        if let Some(p) = profile {
            summary.push_str(&format!(
                "\n{} of the PDQ fingerprints are of the photos' crops, trims and cuts \
                 ({p}), so that edited copies are found too.",
                self.filed
            ));
        }
        summary
    }

    /// Refuses a case larger than a registry takes, before anything is sent.
    fn check_limits(&self) -> anyhow::Result<()> {
        let (plain, filed) = (self.hashes.len() - self.filed, self.filed);
        if plain > MAX_HASHES_PER_CASE {
            bail!(
                "a case can hold at most {MAX_HASHES_PER_CASE} fingerprints and these files make \
                 {plain}: split them into several cases. Nothing was sent."
            );
        }
        if filed > MAX_FILED_HASHES_PER_CASE {
            bail!(
                "a case can hold at most {MAX_FILED_HASHES_PER_CASE} fingerprints of crops, trims \
                 and cuts (about 45 photos) and these files make {filed}: split them into several \
                 cases. Nothing was sent."
            );
        }
        Ok(())
    }
}

/// Opens the case and shows its codes once, also saving them to `save` if given.
fn send(
    client: &CaseClient,
    hashes: Vec<HashInput>,
    save: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    // Created before sending, so a file that exists already stops the case from being opened
    // with nowhere to keep its secret.
    let mut save = save.map(create_private).transpose()?;
    let opened = match client.open(&OpenCaseRequest { hashes }) {
        Ok(opened) => opened,
        Err(e) => {
            if let Some((path, _)) = save.take() {
                let _ = std::fs::remove_file(&path);
            }
            bail!(
                "the case could not be opened: {}. You can try again.",
                explain(&e, client)
            );
        }
    };
    let codes = codes_text(client.base(), &opened.case_id, &opened.secret);
    println!(
        "Your case is open{}: {} fingerprint{} registered.\n\n\
         Case number: {}\nSecret: {}\n\n\
         Keep both somewhere safe, such as a password manager. The secret cannot be recovered: \
         without it you cannot check or withdraw this case. It is shown only this once.",
        spoken_files(opened.media).map_or(String::new(), |files| format!(", for {files}")),
        opened.hashes,
        if opened.hashes == 1 { " was" } else { "s were" },
        opened.case_id,
        opened.secret,
    );
    if let Some((path, mut file)) = save {
        file.write_all(codes.as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| {
                format!(
                    "the case is open, but writing {} failed: copy the codes above instead",
                    path.display()
                )
            })?;
        println!(
            "The case number and secret are also saved in {}.",
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Creates `path` for writing, readable and writable only by its owner; never overwrites.
fn create_private(path: &Path) -> anyhow::Result<(PathBuf, std::fs::File)> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} already exists and is not overwritten (it may hold another case's secret): \
                 choose another --save file. Nothing was sent.",
                path.display()
            )
        } else {
            anyhow::anyhow!("cannot create {}: {e}. Nothing was sent.", path.display())
        }
    })?;
    Ok((path.to_owned(), file))
}

/// The saved codes: the page's download format, with the registry's address added.
fn codes_text(registry: &str, case_id: &str, secret: &str) -> String {
    format!(
        "Quell case\nRegistry: {registry}\nCase number: {case_id}\nSecret: {secret}\n\n\
         Keep this safe. The secret cannot be recovered.\n"
    )
}

/// A case, its secret and its registry, resolved from the arguments.
pub(crate) struct Resolved {
    pub(crate) client: CaseClient,
    pub(crate) case_id: String,
    pub(crate) secret: String,
}

impl CaseRef {
    pub(crate) fn resolve(&self) -> anyhow::Result<Resolved> {
        let (file_registry, case_id, secret) = match &self.case_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the case file {}", path.display()))?;
                let field = |name: &str| {
                    text.lines()
                        .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
                        .filter(|v| !v.is_empty())
                };
                let (Some(id), Some(secret)) = (field("Case number:"), field("Secret:")) else {
                    bail!(
                        "{} is not a case file: it needs a \"Case number:\" and a \"Secret:\" line",
                        path.display()
                    );
                };
                (field("Registry:"), id, secret)
            }
            None => {
                let Some(id) = self.case_id.clone() else {
                    bail!("which case? Give --case-file FILE, or --case-id ID");
                };
                let secret = match &self.secret_file {
                    Some(path) => std::fs::read_to_string(path).with_context(|| {
                        format!("cannot read the secret from {}", path.display())
                    })?,
                    None => std::env::var("QUELL_CASE_SECRET").map_err(|_| {
                        anyhow::anyhow!(
                            "the case secret is needed: give --secret-file FILE or set \
                             QUELL_CASE_SECRET (it is not taken as an argument, so it stays \
                             out of shell history)"
                        )
                    })?,
                };
                (None, id, secret.trim().to_owned())
            }
        };
        if secret.is_empty() {
            bail!("the case secret is empty");
        }
        if !case_id.starts_with("c_")
            || !case_id[2..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            bail!(
                "{case_id:?} is not a case number: case numbers start with c_, then letters and digits"
            );
        }
        let Some(registry) = self.registry.clone().or(file_registry) else {
            bail!("which registry? Give --registry URL");
        };
        Ok(Resolved {
            client: CaseClient::new(&registry),
            case_id,
            secret,
        })
    }
}

/// A registry error in plain words, with the registry's own message when it sent one.
pub(crate) fn explain(e: &ClientError, client: &CaseClient) -> String {
    match e {
        ClientError::Transport(detail) => {
            format!(
                "the registry at {} could not be reached ({detail})",
                client.base()
            )
        }
        ClientError::Status {
            status,
            code,
            message,
        } => format!("the registry refused: {message} ({status} {code})"),
        ClientError::Body(detail) => {
            format!("the registry's answer was not understood ({detail})")
        }
    }
}

fn status(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let r = args.case.resolve()?;
    let s = r
        .client
        .status(&r.case_id, &r.secret)
        .map_err(|e| anyhow::anyhow!("the case could not be shown: {}", explain(&e, &r.client)))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        print!("{}", status_text(&s));
    }
    Ok(ExitCode::SUCCESS)
}

/// The page's status wording, as text.
fn status_text(s: &CaseStatusResponse) -> String {
    let h = s.hashes;
    let total = h.total();
    let mut out = match &s.withdrawn_at {
        Some(at) => format!(
            "Case {} was withdrawn on {at}. Platforms no longer look for its files.\n",
            s.case_id
        ),
        None => format!(
            "Case {} is open since {}, {} {total} fingerprint{} ({} PDQ, {} vPDQ, {} MD5, {} \
             SHA-256{}). Platforms that take part are looking for copies.\n",
            s.case_id,
            s.opened_at,
            // A case from before media ids counts no files.
            s.media
                .and_then(spoken_files)
                .map_or("with".to_owned(), |files| format!("for {files}:")),
            if total == 1 { "" } else { "s" },
            h.pdq,
            h.vpdq,
            h.md5,
            h.sha256,
            if h.pdq_filed > 0 {
                format!(", and {} of the photos' crops, trims and cuts", h.pdq_filed)
            } else {
                String::new()
            },
        ),
    };
    if s.withdrawn_at.is_none() && s.paused > 0 {
        out.push_str(&if s.paused == 1 {
            "One of them is paused while the registry checks it: platforms are not looking for \
             it until then.\n"
                .to_owned()
        } else {
            format!(
                "{} of them are paused while the registry checks them: platforms are not \
                 looking for them until then.\n",
                s.paused
            )
        });
    }
    if s.outcomes.is_empty() {
        out.push_str(if s.withdrawn_at.is_some() {
            "No platform reported finding a copy.\n"
        } else {
            "No platform has reported finding a copy yet. That is normal: they report only when \
             a copy is uploaded.\n"
        });
    }
    for o in &s.outcomes {
        let what = match o.outcome {
            OutcomeKind::Blocked => "found a copy and removed or blocked it",
            OutcomeKind::UnderReview => "found a possible copy and is reviewing it",
            OutcomeKind::NotActioned => "reviewed a possible copy and did not act on it",
            // The registry does not show these to the case holder; worded in case it does.
            OutcomeKind::FalsePositive => "reported a match that was not a copy",
        };
        let after = crate::case_report::duration_words(&s.opened_at, &o.at)
            .map(|d| format!(", {d} after the case was opened"))
            .unwrap_or_default();
        out.push_str(&format!("- {} {what} ({}{after}).\n", o.member, o.at));
    }
    out
}

fn withdraw(args: &WithdrawArgs) -> anyhow::Result<ExitCode> {
    let r = args.case.resolve()?;
    let fail =
        |e: ClientError| anyhow::anyhow!("the case was not withdrawn: {}", explain(&e, &r.client));
    // Checked first, so a wrong secret is reported before anything is asked.
    let s = r.client.status(&r.case_id, &r.secret).map_err(fail)?;
    if let Some(at) = &s.withdrawn_at {
        println!("Case {} was already withdrawn on {at}.", s.case_id);
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes {
        let total = s.hashes.total();
        eprint!(
            "Withdraw case {}? Platforms will stop looking for its {total} fingerprint{}. This \
             cannot be undone: to register the files again you would open a new case.\n\
             Type yes to withdraw: ",
            s.case_id,
            if total == 1 { "" } else { "s" },
        );
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .context("reading the answer")?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "yes" | "y") {
            eprintln!("Nothing was changed: the case is still open.");
            return Ok(ExitCode::from(1));
        }
    }
    let w = r.client.withdraw(&r.case_id, &r.secret).map_err(fail)?;
    println!(
        "Case {} is withdrawn. Platforms that take part have been told to stop looking for its \
         {} fingerprint{}.",
        w.case_id,
        w.withdrawn_hashes,
        if w.withdrawn_hashes == 1 { "" } else { "s" },
    );
    Ok(ExitCode::SUCCESS)
}

/// The files a case holds as a person says them: "2 photos, 1 video and 4 other files";
/// `None` for none.
pub(crate) fn spoken_files(m: quell_api::MediaCountsDto) -> Option<String> {
    let plural = |n: u32, one: &str, many: &str| match n {
        0 => None,
        1 => Some(format!("1 {one}")),
        n => Some(format!("{n} {many}")),
    };
    let parts: Vec<String> = [
        plural(m.photos, "photo", "photos"),
        plural(m.videos, "video", "videos"),
        plural(m.other, "other file", "other files"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let (last, rest) = parts.split_last()?;
    Some(if rest.is_empty() {
        last.clone()
    } else {
        format!("{} and {last}", rest.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_with(paused: u32, withdrawn: bool) -> CaseStatusResponse {
        let mut s = serde_json::json!({
            "case_id": "c_x", "opened_at": "2026-12-01T00:00:00Z",
            "hashes": { "pdq": 2, "md5": 2, "sha256": 2, "vpdq": 0, "pdq_filed": 0 },
            "outcomes": [], "paused": paused,
        });
        if withdrawn {
            s["withdrawn_at"] = "2026-12-02T00:00:00Z".into();
        }
        serde_json::from_value(s).unwrap()
    }

    #[test]
    fn files_are_counted_as_a_person_says_them() {
        let files = |photos, videos, other| {
            spoken_files(quell_api::MediaCountsDto {
                photos,
                videos,
                other,
            })
        };
        assert_eq!(files(0, 0, 0), None);
        assert_eq!(files(1, 0, 0).unwrap(), "1 photo");
        assert_eq!(files(2, 1, 0).unwrap(), "2 photos and 1 video");
        assert_eq!(
            files(2, 1, 4).unwrap(),
            "2 photos, 1 video and 4 other files"
        );
        assert_eq!(files(0, 0, 1).unwrap(), "1 other file");
        let mut s = status_with(0, false);
        assert!(status_text(&s).contains("since 2026-12-01T00:00:00Z, with 6 fingerprints"));
        s.media = Some(quell_api::MediaCountsDto {
            photos: 2,
            videos: 0,
            other: 0,
        });
        assert!(status_text(&s).contains(", for 2 photos: 6 fingerprints (2 PDQ"));
    }

    #[test]
    fn paused_hashes_are_told_plainly_while_the_case_is_open() {
        assert!(!status_text(&status_with(0, false)).contains("paused"));
        assert!(
            status_text(&status_with(1, false))
                .contains("One of them is paused while the registry checks it")
        );
        assert!(status_text(&status_with(3, false)).contains("3 of them are paused"));
        assert!(!status_text(&status_with(3, true)).contains("paused"));
    }

    #[test]
    fn each_outcome_says_how_long_after_the_opening_it_came() {
        let mut s = status_with(0, false);
        s.outcomes = serde_json::from_value(serde_json::json!([
            { "member": "PhotoSite", "outcome": "blocked", "at": "2026-12-01T05:00:00Z" },
        ]))
        .unwrap();
        assert!(
            status_text(&s).contains(
                "- PhotoSite found a copy and removed or blocked it (2026-12-01T05:00:00Z, \
                 5 hours after the case was opened)."
            ),
            "{}",
            status_text(&s)
        );
    }
}
