//! `quell case report`: a record of a case to take to the police or a lawyer, as a printable
//! HTML page or as JSON (the same record the page downloads).
//!
//! **Key decision: the record is what the registry says, plus the registry's audit head.** It
//! holds the case's status as received (counts, never hashes; outcomes with their times),
//! each platform's time to action measured from the case's opening, and the audit chain head
//! at that moment, which lets anyone later check the registry's history still holds what the
//! record shows. It never holds the secret, and never any image.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;
use quell_api::{CaseStatusResponse, OutcomeKind, RegistryAbout};
use quell_sync::ClientError;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::case_cmd::{CaseRef, explain};

/// The record's format name and version, for whoever reads the JSON later.
const FORMAT: &str = "quell-case-record-v1";

/// Arguments of `quell case report`.
#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    case: CaseRef,
    /// Print the record as JSON instead of a printable HTML page.
    #[arg(long)]
    json: bool,
}

/// The record, as JSON.
#[derive(Serialize, Debug)]
struct CaseRecord {
    report: &'static str,
    registry: String,
    registry_name: Option<String>,
    generated_at: String,
    action_target_hours: u32,
    status: CaseStatusResponse,
}

pub(crate) fn run(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let r = args.case.resolve()?;
    let status = r
        .client
        .status(&r.case_id, &r.secret)
        .map_err(|e| anyhow::anyhow!("the case could not be read: {}", explain(&e, &r.client)))?;
    // A registry without `GET /v1/registry` (older, 404) still gets a record, with the
    // default target and no name; any other failure stops it, rather than let the record
    // state an expected time the registry did not set.
    let about = match r.client.about() {
        Ok(about) => about,
        Err(ClientError::Status { status: 404, .. }) => RegistryAbout::default(),
        Err(e) => bail!(
            "the registry's description could not be read: {}",
            explain(&e, &r.client)
        ),
    };
    let record = CaseRecord {
        report: FORMAT,
        registry: r.client.base().to_owned(),
        registry_name: Some(about.name.clone()).filter(|n| !n.is_empty()),
        generated_at: OffsetDateTime::now_utc().format(&Rfc3339)?,
        action_target_hours: about.action_target_hours,
        status,
    };
    let text = if args.json {
        serde_json::to_string_pretty(&record)? + "\n"
    } else {
        html(&record, &about)
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("writing the record")?;
    Ok(ExitCode::SUCCESS)
}

/// `text` safe inside HTML text and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// How long from `from` to `to` in words a person uses: minutes, hours, then days.
pub(crate) fn duration_words(from: &str, to: &str) -> Option<String> {
    let from = OffsetDateTime::parse(from, &Rfc3339).ok()?;
    let to = OffsetDateTime::parse(to, &Rfc3339).ok()?;
    let minutes = (to - from).whole_minutes().max(0);
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    Some(if minutes < 60 {
        plural(minutes.max(1), "minute")
    } else if minutes < 48 * 60 {
        plural((minutes + 30) / 60, "hour")
    } else {
        plural((minutes + 12 * 60) / (24 * 60), "day")
    })
}

/// Whether `to` is within `hours` of `from`.
fn within(from: &str, to: &str, hours: u32) -> Option<bool> {
    let from = OffsetDateTime::parse(from, &Rfc3339).ok()?;
    let to = OffsetDateTime::parse(to, &Rfc3339).ok()?;
    Some(to - from <= time::Duration::hours(i64::from(hours)))
}

fn outcome_words(o: OutcomeKind) -> &'static str {
    match o {
        OutcomeKind::Blocked => "found a copy and removed or blocked it",
        OutcomeKind::UnderReview => "found a possible copy and is reviewing it",
        OutcomeKind::NotActioned => "reviewed a possible copy and did not act on it",
        OutcomeKind::FalsePositive => "reported a match that was not a copy",
    }
}

/// The printable page: plain HTML with its own small stylesheet, no script, no image.
fn html(record: &CaseRecord, about: &RegistryAbout) -> String {
    let s = &record.status;
    let h = s.hashes;
    let mut rows = String::new();
    let mut row = |label: &str, value: &str| {
        rows.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n",
            escape(label),
            escape(value)
        ));
    };
    let registry = match (&record.registry_name, about.operator.as_str()) {
        (Some(name), "") => format!("{name} ({})", record.registry),
        (Some(name), operator) => format!("{name}, run by {operator} ({})", record.registry),
        (None, _) => record.registry.clone(),
    };
    row("Registry", &registry);
    row("Case number", &s.case_id);
    row("Opened", &s.opened_at);
    row(
        "Withdrawn",
        s.withdrawn_at.as_deref().unwrap_or("no (still open)"),
    );
    if let Some(files) = s.media.and_then(crate::case_cmd::spoken_files) {
        row("Files registered", &files);
    }
    row("Photo fingerprints (PDQ)", &h.pdq.to_string());
    row(
        "Fingerprints of photos' crops and edits",
        &h.pdq_filed.to_string(),
    );
    row("Video fingerprints (vPDQ)", &h.vpdq.to_string());
    row(
        "Exact-copy fingerprints (MD5, SHA-256)",
        &format!("{}, {}", h.md5, h.sha256),
    );
    row("Paused for review", &s.paused.to_string());
    row(
        "Platforms are expected to act within",
        &format!("{} hours", record.action_target_hours),
    );
    row("Record made", &record.generated_at);
    row(
        "Registry audit head",
        s.audit_head
            .as_deref()
            .unwrap_or("not reported by this registry"),
    );

    let mut outcomes = String::new();
    for o in &s.outcomes {
        let after = duration_words(&s.opened_at, &o.at)
            .map(|d| format!("{d} after the case was opened"))
            .unwrap_or_default();
        // Only a removal is judged against the target: a review under way or a decision not
        // to act is not better or worse for being fast.
        let target = match (
            o.outcome,
            within(&s.opened_at, &o.at, record.action_target_hours),
        ) {
            (OutcomeKind::Blocked, Some(true)) => "within the expected time",
            (OutcomeKind::Blocked, Some(false)) => "later than the expected time",
            _ => "",
        };
        outcomes.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&o.member),
            escape(outcome_words(o.outcome)),
            escape(&o.at),
            escape(&after),
            escape(target),
        ));
    }
    let outcomes = if outcomes.is_empty() {
        "<p>No platform has reported finding a copy.</p>".to_owned()
    } else {
        format!(
            "<table><thead><tr><th scope=\"col\">Platform</th><th scope=\"col\">What it did</th>\
             <th scope=\"col\">When</th><th scope=\"col\">Time to action</th>\
             <th scope=\"col\">Expected time</th></tr></thead><tbody>\n{outcomes}</tbody></table>"
        )
    };
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Record of case {case}</title>\n<style>\n\
         body {{ font: 11pt/1.5 system-ui, sans-serif; color: #111; max-width: 48rem; \
         margin: 2rem auto; padding: 0 1rem; }}\n\
         table {{ border-collapse: collapse; width: 100%; margin: 1rem 0; }}\n\
         th, td {{ border: 1px solid #999; padding: .3rem .5rem; text-align: left; \
         vertical-align: top; }}\n\
         th[scope=row] {{ width: 40%; }}\n\
         td {{ overflow-wrap: anywhere; }}\n\
         @page {{ margin: 2cm; }}\n</style>\n</head>\n<body>\n\
         <h1>Record of case {case}</h1>\n\
         <p>This record was made from the registry's answer at the time shown. It holds no \
         image and no secret: only counts of the fingerprints registered and what platforms \
         reported.</p>\n\
         <table>\n{rows}</table>\n<h2>What platforms reported</h2>\n{outcomes}\n\
         <p>The registry audit head is a fingerprint of the registry's whole history at that \
         moment. The registry's operator can show later that its history still holds it \
         (<code>quell audit verify --expect-head</code>).</p>\n</body>\n</html>\n",
        case = escape(&s.case_id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_person_says_them() {
        let at = |t: &str| format!("2026-12-01T{t}Z");
        let words = |to: &str| duration_words(&at("00:00:00"), to).unwrap();
        assert_eq!(words(&at("00:00:20")), "1 minute");
        assert_eq!(words(&at("00:40:00")), "40 minutes");
        assert_eq!(words(&at("05:10:00")), "5 hours");
        assert_eq!(words("2026-12-02T23:00:00Z"), "47 hours");
        assert_eq!(words("2026-12-04T00:00:00Z"), "3 days");
        assert_eq!(
            within(&at("00:00:00"), "2026-12-03T00:00:00Z", 48),
            Some(true)
        );
        assert_eq!(
            within(&at("00:00:00"), "2026-12-03T00:00:01Z", 48),
            Some(false)
        );
        assert_eq!(duration_words("not a time", &at("00:00:00")), None);
    }

    #[test]
    fn what_the_registry_sent_cannot_become_markup() {
        assert_eq!(
            escape("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
    }
}
