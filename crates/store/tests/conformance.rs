//! What every backend must do, written once against the `Store` trait.

use quell_hash::{Md5, Pdq, Quality, Sha256};
use quell_registry::{
    Actor, ApiKey, CaseHash, CaseId, ChangeOp, CredentialId, EntryId, MediaCounts, NewCase,
    NewMember, Outcome, OutcomeReport, Registration, Scope, Scopes, Signal, SignalKind, Store,
    StoreError, Timestamp, verify_chain,
};

fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn signals(n: usize) -> Vec<Signal> {
    (0..n)
        .map(|i| {
            let seed: [u8; 8] = rand_bytes();
            let mut b = [0u8; 32];
            b[..8].copy_from_slice(&seed);
            b[8..16].copy_from_slice(&(i as u64).to_be_bytes());
            match i % 3 {
                0 => Signal::Pdq {
                    hash: Pdq::from_bytes(b),
                    quality: Quality::new(90).unwrap(),
                    filing: None,
                },
                1 => Signal::Md5(Md5::from_bytes(b[..16].try_into().unwrap())),
                _ => Signal::Sha256(Sha256::from_bytes(b)),
            }
        })
        .collect()
}

fn rand_bytes() -> [u8; 8] {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new()
        .hash_one(std::time::Instant::now())
        .to_be_bytes()
}

/// A case with `n` distinct hashes (PDQ, MD5, SHA-256 in turn).
pub(crate) fn new_case(n: usize) -> NewCase {
    NewCase::new(CaseId::random(), "$argon2id$test".into(), signals(n)).unwrap()
}

async fn all_changes(store: &impl Store) -> Vec<quell_registry::Change> {
    store.changes(0, 1_000_000).await.unwrap()
}

async fn chain_ok(store: &impl Store) -> u64 {
    let events = store.audit_events(0, 1_000_000).await.unwrap();
    verify_chain(&events).unwrap()
}

pub(crate) async fn case_lifecycle(store: &impl Store) {
    let case = new_case(4);
    store
        .create_case(&case, &Actor::Case(case.id()), t(1000))
        .await
        .unwrap();
    assert_eq!(
        store
            .case_auth(case.id())
            .await
            .unwrap()
            .unwrap()
            .secret_hash,
        "$argon2id$test"
    );
    assert!(store.case_auth(CaseId::random()).await.unwrap().is_none());
    let id = CredentialId::Case(case.id());
    store
        .replace_credential(id, "$argon2id$test", "hmac-sha256$x")
        .await
        .unwrap();
    let auth = store.case_auth(case.id()).await.unwrap().unwrap();
    assert_eq!(auth.secret_hash, "hmac-sha256$x");
    store
        .replace_credential(id, "hmac-sha256$x", "$argon2id$test")
        .await
        .unwrap();

    let status = store.case_status(case.id()).await.unwrap();
    assert_eq!(status.opened_at, t(1000));
    assert_eq!(status.withdrawn_at, None);
    assert_eq!(
        status.hashes,
        vec![
            (SignalKind::Md5, 1),
            (SignalKind::Pdq, 2),
            (SignalKind::Sha256, 1)
        ]
    );

    let changes = all_changes(store).await;
    assert_eq!(
        changes.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    // One upsert per entry, in entry id order (the order the store writes them in).
    let mut by_id = case.entries().to_vec();
    by_id.sort_by_key(|(id, _)| *id);
    for ((entry, signal), change) in by_id.iter().zip(&changes) {
        assert_eq!(change.entry, *entry);
        assert_eq!(change.op, ChangeOp::Upsert(signal.clone()));
        assert_eq!(change.registration.at, t(1000));
    }
    // Registrations for a match answer: the entries that exist, in the order asked.
    let (first, second) = (case.entries()[0].0, case.entries()[1].0);
    let registration = |i: usize| Registration {
        at: t(1000),
        media: case.media()[i],
    };
    assert_eq!(
        store
            .registrations(&[second, EntryId::from_i64(1), first])
            .await
            .unwrap(),
        [(second, registration(1)), (first, registration(0))]
    );
    assert!(store.registrations(&[]).await.unwrap().is_empty());
    let active = store.active_entries(None, 100).await.unwrap();
    let mut expected = case.entries().to_vec();
    expected.sort_by_key(|(id, _)| *id);
    assert_eq!(active, expected);
    // Paging by id.
    let first = store.active_entries(None, 2).await.unwrap();
    let rest = store.active_entries(Some(first[1].0), 100).await.unwrap();
    assert_eq!([first, rest].concat(), expected);

    let cursor = store.last_change().await.unwrap();
    assert_eq!(cursor, 4);
    let removed = store
        .withdraw_case(case.id(), &Actor::Case(case.id()), t(2000))
        .await
        .unwrap();
    assert_eq!(removed.len(), 4);
    // A member that had synced everything receives the four tombstones, numbered after what it
    // has seen even though the upserts it saw were dropped from the feed.
    let after = store.changes(cursor, 100).await.unwrap();
    assert_eq!(
        after.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [5, 6, 7, 8]
    );
    assert!(after.iter().all(|c| matches!(c.op, ChangeOp::Tombstone(_))));
    assert_eq!(store.last_change().await.unwrap(), 8);
    assert!(store.active_entries(None, 100).await.unwrap().is_empty());
    // Withdrawn entries keep their signal for the index to drop them by.
    let (entry, signal) = case.entries()[1].clone();
    assert_eq!(store.entry_signal(entry).await.unwrap(), Some(signal));
    assert_eq!(store.entry_signal(EntryId::random()).await.unwrap(), None);
    let status = store.case_status(case.id()).await.unwrap();
    assert_eq!(status.withdrawn_at, Some(t(2000)));
    // Withdrawing again changes nothing and writes nothing.
    assert!(
        store
            .withdraw_case(case.id(), &Actor::Case(case.id()), t(3000))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .withdraw_case(CaseId::random(), &Actor::Cli, t(3000))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.case_status(CaseId::random()).await,
        Err(StoreError::NotFound(_))
    ));

    let events = store.audit_events(0, 100).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["case.open", "case.withdraw"]
    );
    assert_eq!(events[0].subject, case.id().to_string());
    assert_eq!(chain_ok(store).await, 2);
}

pub(crate) async fn sync_hides_withdrawn_hashes_and_resumes(store: &impl Store) {
    let a = new_case(3);
    let b = new_case(2);
    store
        .create_case(&a, &Actor::Case(a.id()), t(1))
        .await
        .unwrap();
    // A member syncs the first two changes, then stops.
    let page = store.changes(0, 2).await.unwrap();
    assert_eq!(page.len(), 2);
    let cursor = page[1].seq;
    store
        .create_case(&b, &Actor::Case(b.id()), t(2))
        .await
        .unwrap();
    store
        .withdraw_case(a.id(), &Actor::Case(a.id()), t(3))
        .await
        .unwrap();
    assert_eq!(store.last_change().await.unwrap(), 3 + 2 + 3);

    // Resuming: a's third upsert is no longer delivered (its entry is withdrawn), b's two are,
    // then a tombstone for each of a's entries.
    let rest = store.changes(cursor, 100).await.unwrap();
    let upserts: Vec<EntryId> = rest
        .iter()
        .filter(|c| matches!(c.op, ChangeOp::Upsert(_)))
        .map(|c| c.entry)
        .collect();
    let tombstones: Vec<EntryId> = rest
        .iter()
        .filter(|c| matches!(c.op, ChangeOp::Tombstone(_)))
        .map(|c| c.entry)
        .collect();
    let mut b_ids: Vec<EntryId> = b.entries().iter().map(|e| e.0).collect();
    b_ids.sort();
    assert_eq!(upserts, b_ids, "b's upserts, in entry id order");
    let mut a_ids: Vec<EntryId> = a.entries().iter().map(|e| e.0).collect();
    let mut got = tombstones.clone();
    a_ids.sort();
    got.sort();
    assert_eq!(got, a_ids);
    assert!(rest.windows(2).all(|w| w[0].seq < w[1].seq));

    // A member starting now never sees a's hashes, only the tombstones.
    let fresh = all_changes(store).await;
    assert!(fresh.iter().all(|c| {
        match c.op {
            ChangeOp::Upsert(_) => !a_ids.contains(&c.entry),
            ChangeOp::Tombstone(kind) => a
                .entries()
                .iter()
                .any(|(id, s)| *id == c.entry && s.kind() == kind),
        }
    }));
    assert!(
        store
            .changes(store.last_change().await.unwrap(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub(crate) async fn members_and_keys(store: &impl Store) {
    let empty = store.audit_head(None).await.unwrap().unwrap();
    assert_eq!((empty.seq, empty.hash), (0, [0; 32]));
    let scopes: Scopes = [Scope::Sync, Scope::Match].into_iter().collect();
    let member = NewMember::new("acme", scopes.clone()).unwrap();
    let key = ApiKey::random();
    let added = store
        .add_member(&member, key.id(), "hash-1", &Actor::Cli, t(10))
        .await
        .unwrap();
    assert_eq!(added.name, "acme");
    assert_eq!(added.scopes, scopes);
    assert!(!added.disabled);
    assert!(matches!(
        store
            .add_member(&member, ApiKey::random().id(), "hash-x", &Actor::Cli, t(11))
            .await,
        Err(StoreError::Conflict(_))
    ));

    let record = store.api_key(key.id()).await.unwrap().unwrap();
    assert_eq!(record.member, added);
    assert_eq!(record.secret_hash, "hash-1");
    assert!(!record.revoked);
    // A stored form is replaced only if it is still the one that was checked.
    let id = CredentialId::ApiKey(key.id());
    store
        .replace_credential(id, "hash-0", "hash-z")
        .await
        .unwrap();
    store
        .replace_credential(id, "hash-1", "hash-1b")
        .await
        .unwrap();
    let secret_hash =
        |k: ApiKey| async move { store.api_key(k.id()).await.unwrap().unwrap().secret_hash };
    assert_eq!(secret_hash(key.clone()).await, "hash-1b");
    assert!(
        store
            .api_key(ApiKey::random().id())
            .await
            .unwrap()
            .is_none()
    );

    let new_key = ApiKey::random();
    store
        .rotate_key(
            "acme",
            new_key.id(),
            "hash-2",
            &Actor::Member("ops".into()),
            t(20),
        )
        .await
        .unwrap();
    assert!(store.api_key(key.id()).await.unwrap().unwrap().revoked);
    assert!(!store.api_key(new_key.id()).await.unwrap().unwrap().revoked);

    let disabled = store
        .disable_member("acme", &Actor::Cli, t(30))
        .await
        .unwrap();
    assert!(disabled.disabled);
    assert!(
        store
            .api_key(new_key.id())
            .await
            .unwrap()
            .unwrap()
            .member
            .disabled
    );
    assert!(matches!(
        store.disable_member("nobody", &Actor::Cli, t(30)).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .rotate_key("nobody", ApiKey::random().id(), "h", &Actor::Cli, t(30))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.members().await.unwrap(), vec![disabled]);

    let events = store.audit_events(0, 100).await.unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| (e.action.as_str(), e.actor.as_str()))
            .collect::<Vec<_>>(),
        [
            ("member.add", "cli"),
            ("member.rotate_key", "member:ops"),
            ("member.disable", "cli")
        ]
    );
    // Keys are referred to by id only; no secret or hash reaches the audit log, and
    // replacing a stored form is not a change to audit.
    assert!(events.iter().all(|e| !e.detail.contains("hash-")));
    assert_eq!(chain_ok(store).await, 3);
    // The chain's head, and its event at a sequence number, as members anchor them.
    let head = |at| async move { store.audit_head(at).await.unwrap() };
    let newest = head(None).await.unwrap();
    assert_eq!((newest.seq, newest.hash), (3, events[2].hash));
    assert_eq!(head(Some(1)).await.unwrap().hash, events[0].hash);
    assert_eq!(head(Some(0)).await.unwrap().seq, 0);
    assert_eq!(head(Some(4)).await, None);
}

/// Members `a` and `b`, who may report outcomes.
async fn reporters(store: &impl Store) -> Vec<quell_registry::Member> {
    let mut members = Vec::new();
    for name in ["a", "b"] {
        let m = NewMember::new(name, [Scope::Outcomes].into_iter().collect()).unwrap();
        let key = ApiKey::random().id();
        members.push(
            store
                .add_member(&m, key, "h", &Actor::Cli, t(2))
                .await
                .unwrap(),
        );
    }
    members
}

/// An outcome report at `at` (ms).
fn report(entry: EntryId, outcome: Outcome, at: i64) -> OutcomeReport {
    OutcomeReport {
        entry,
        outcome,
        at: t(at),
    }
}

pub(crate) async fn outcomes_all_or_nothing(store: &impl Store) {
    let case = new_case(2);
    store
        .create_case(&case, &Actor::Case(case.id()), t(1))
        .await
        .unwrap();
    let (e0, e1) = (case.entries()[0].0, case.entries()[1].0);
    let members = reporters(store).await;
    // One unknown entry: nothing from the batch is stored.
    let bad = [
        report(e0, Outcome::Blocked, 100),
        report(EntryId::random(), Outcome::Blocked, 100),
    ];
    assert!(matches!(
        store.record_outcomes(members[0].id, &bad, t(5)).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store
            .case_status(case.id())
            .await
            .unwrap()
            .outcomes
            .is_empty()
    );

    store
        .record_outcomes(
            members[0].id,
            &[
                report(e0, Outcome::Blocked, 200),
                report(e1, Outcome::FalsePositive, 300),
            ],
            t(5),
        )
        .await
        .unwrap();
    store
        .record_outcomes(
            members[1].id,
            &[
                report(e1, Outcome::FalsePositive, 400),
                report(e1, Outcome::UnderReview, 150),
            ],
            t(6),
        )
        .await
        .unwrap();
    // A retry (the same member, entry and outcome) is accepted and not recorded again.
    let retry = [
        report(e0, Outcome::Blocked, 200),
        report(e0, Outcome::Blocked, 250),
    ];
    assert_eq!(
        store
            .record_outcomes(members[0].id, &retry, t(7))
            .await
            .unwrap(),
        0
    );
    let status = store.case_status(case.id()).await.unwrap();
    let shown: Vec<(&str, Outcome, Timestamp)> = status
        .outcomes
        .iter()
        .map(|o| (o.member.as_str(), o.outcome, o.at))
        .collect();
    assert_eq!(
        shown,
        [
            ("b", Outcome::UnderReview, t(150)),
            ("a", Outcome::Blocked, t(200))
        ]
    );
    assert_eq!(store.false_positive_reporters(e1).await.unwrap(), 2);
    assert_eq!(store.false_positive_reporters(e0).await.unwrap(), 0);
}

pub(crate) async fn quarantine_and_release(store: &impl Store) {
    let case = new_case(2);
    store
        .create_case(&case, &Actor::Case(case.id()), t(1))
        .await
        .unwrap();
    let (entry, signal) = case.entries()[0].clone();
    let q = store
        .quarantine(entry, "3 false positives", &Actor::System("fp"), t(2))
        .await
        .unwrap();
    assert_eq!(q, Some(signal.clone()));
    assert_eq!(
        store
            .quarantine(entry, "again", &Actor::Cli, t(3))
            .await
            .unwrap(),
        None
    );
    // The operator's list: which media, since when and why; the person sees a count.
    let listed = store.quarantined(None, 10).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (listed[0].entry, listed[0].case, listed[0].kind),
        (entry, case.id(), signal.kind())
    );
    assert_eq!(
        listed[0].since,
        Some((t(2), "3 false positives".to_owned()))
    );
    assert!(store.quarantined(Some(entry), 10).await.unwrap().is_empty());
    assert_eq!(store.case_status(case.id()).await.unwrap().paused, 1);
    let active: Vec<EntryId> = store
        .active_entries(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(active, vec![case.entries()[1].0]);
    let last = all_changes(store).await.pop().unwrap();
    assert_eq!(last.entry, entry);
    assert_eq!(last.op, ChangeOp::Tombstone(signal.kind()));

    assert_eq!(
        store
            .release(entry, "reviewed", &Actor::Cli, t(4))
            .await
            .unwrap(),
        Some(signal.clone())
    );
    assert_eq!(
        store
            .release(entry, "reviewed", &Actor::Cli, t(5))
            .await
            .unwrap(),
        None
    );
    assert!(store.quarantined(None, 10).await.unwrap().is_empty());
    assert_eq!(store.case_status(case.id()).await.unwrap().paused, 0);
    let last = all_changes(store).await.pop().unwrap();
    assert_eq!(last.op, ChangeOp::Upsert(signal));
    // A released entry is re-sent with the time the person registered it, not the release's.
    assert_eq!(last.registration.at, t(1));
    assert!(matches!(
        store
            .quarantine(EntryId::random(), "x", &Actor::Cli, t(6))
            .await,
        Err(StoreError::NotFound(_))
    ));

    // A withdrawn entry cannot be quarantined or released back into the list.
    store
        .withdraw_case(case.id(), &Actor::Case(case.id()), t(7))
        .await
        .unwrap();
    assert_eq!(
        store
            .quarantine(entry, "x", &Actor::Cli, t(8))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .release(entry, "reviewed", &Actor::Cli, t(8))
            .await
            .unwrap(),
        None
    );
    let events = store.audit_events(0, 100).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        [
            "case.open",
            "entry.quarantine",
            "entry.release",
            "case.withdraw"
        ]
    );
    assert_eq!(events[1].detail, "reason=3 false positives");
    assert_eq!(chain_ok(store).await, 4);
}

pub(crate) async fn concurrent_writers_keep_sequences_gap_free(
    store: &(impl Store + Clone + 'static),
) {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let store = store.clone();
        tasks.spawn(async move {
            for _ in 0..4 {
                store
                    .create_case(&new_case(3), &Actor::Cli, t(1))
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let seqs: Vec<i64> = all_changes(store).await.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (1..=16 * 4 * 3).collect::<Vec<i64>>());
    assert_eq!(chain_ok(store).await, 64);
}

/// A vPDQ hash of `frames` frames built from `seed` (all of quality 90).
fn vpdq(seed: u8, frames: usize, spaced: bool) -> Signal {
    let sep = if spaced { ", " } else { "," };
    let list: Vec<String> = (0..frames)
        .map(|i| {
            let mut b = [seed; 32];
            b[..8].copy_from_slice(&(i as u64).to_be_bytes());
            let time = if spaced {
                format!("{i}.0")
            } else {
                format!("{i}.000")
            };
            format!("\"{},90,{time}\"", Pdq::from_bytes(b))
        })
        .collect();
    Signal::from_parts("vpdq", &format!("[{}]", list.join(sep)), None).unwrap()
}

/// One PDQ hash, plain and filed under two parts of a profile: three entries, each kept with
/// its filing through the feed, the active entries, the entry lookup, a quarantine and its
/// release, and a withdrawal.
pub(crate) async fn filed_entries(store: &impl Store) {
    let plain = signals(1).remove(0);
    let filed = |part| {
        plain
            .clone()
            .filed(Some("pdq-robust-v5"), Some(part))
            .unwrap()
    };
    let case = NewCase::new(
        CaseId::random(),
        "$argon2id$test".into(),
        [plain.clone(), filed("variant"), filed("cut"), filed("cut")],
    )
    .unwrap();
    assert_eq!(case.entries().len(), 3);
    store
        .create_case(&case, &Actor::Case(case.id()), t(1000))
        .await
        .unwrap();
    let changes = all_changes(store).await;
    let upserts: Vec<_> = changes.iter().map(|c| (c.entry, c.op.clone())).collect();
    let mut expected: Vec<_> = case
        .entries()
        .iter()
        .map(|(id, s)| (*id, ChangeOp::Upsert(s.clone())))
        .collect();
    expected.sort_by_key(|(id, _)| *id);
    assert_eq!(upserts, expected);
    let filings: Vec<_> = case.entries().iter().map(|(_, s)| s.filing()).collect();
    assert_eq!(filings[0], None);
    assert_eq!(filings[1].map(|f| f.part().name()), Some("variant"));
    let mut active = store.active_entries(None, 100).await.unwrap();
    // (An upgraded database also holds its older entries.)
    active.retain(|(id, _)| case.entries().iter().any(|(e, _)| e == id));
    active.sort_by_key(|(id, _)| *id);
    let mut sorted = case.entries().to_vec();
    sorted.sort_by_key(|(id, _)| *id);
    assert_eq!(active, sorted);
    for (id, signal) in case.entries() {
        assert_eq!(
            store.entry_signal(*id).await.unwrap().as_ref(),
            Some(signal)
        );
    }
    let (cut, cut_signal) = case.entries()[2].clone();
    let held = store.quarantine(cut, "test", &Actor::Cli, t(1500)).await;
    assert_eq!(held.unwrap(), Some(cut_signal.clone()));
    let back = store
        .release(cut, "reviewed", &Actor::Cli, t(1600))
        .await
        .unwrap();
    assert_eq!(back, Some(cut_signal.clone()));
    let last = all_changes(store).await.pop().unwrap();
    assert_eq!((last.entry, last.op), (cut, ChangeOp::Upsert(cut_signal)));
    let mut removed = store
        .withdraw_case(case.id(), &Actor::Case(case.id()), t(2000))
        .await
        .unwrap();
    removed.sort_by_key(|(id, _)| *id);
    assert_eq!(removed, sorted);
}

/// vPDQ entries: stored in canonical form, deduplicated, counted, synced, withdrawn with
/// tombstones, each change with its audit event in the same transaction.
pub(crate) async fn vpdq_entries(store: &impl Store) {
    let video = vpdq(7, 600, false);
    let same_video = vpdq(7, 600, true);
    let other = vpdq(8, 3, false);
    assert_eq!(video, same_video, "the canonical form makes them one hash");
    let case = NewCase::new(
        CaseId::random(),
        "$argon2id$test".into(),
        [video.clone(), same_video, other, signals(1)[0].clone()],
    )
    .unwrap();
    assert_eq!(case.entries().len(), 3);
    store
        .create_case(&case, &Actor::Case(case.id()), t(1000))
        .await
        .unwrap();
    let status = store.case_status(case.id()).await.unwrap();
    assert_eq!(
        status.hashes,
        vec![(SignalKind::Pdq, 1), (SignalKind::Vpdq, 2)]
    );
    // The feed and the active entries carry the whole video hash, unchanged.
    let changes = all_changes(store).await;
    assert_eq!(changes.len(), case.entries().len());
    for (entry, signal) in case.entries() {
        let change = changes.iter().find(|c| c.entry == *entry).unwrap();
        assert_eq!(change.op, ChangeOp::Upsert(signal.clone()));
    }
    let video_entry = case.entries()[0].0;
    let video_change = changes.iter().find(|c| c.entry == video_entry);
    let Some(ChangeOp::Upsert(Signal::Vpdq(stored))) = video_change.map(|c| c.op.clone()) else {
        panic!("the video's change: {changes:?}");
    };
    assert_eq!(stored.frames(), 600);
    let mut active = store.active_entries(None, 100).await.unwrap();
    active.sort_by_key(|(id, _)| *id);
    let mut expected = case.entries().to_vec();
    expected.sort_by_key(|(id, _)| *id);
    assert_eq!(active, expected);

    let removed = store
        .withdraw_case(case.id(), &Actor::Case(case.id()), t(2000))
        .await
        .unwrap();
    assert_eq!(removed.len(), 3);
    assert!(removed.iter().any(|(_, s)| *s == video));
    let after = all_changes(store).await;
    assert_eq!(after.len(), 3, "upserts leave the feed, tombstones stay");
    assert_eq!(
        after
            .iter()
            .filter(|c| c.op == ChangeOp::Tombstone(SignalKind::Vpdq))
            .count(),
        2
    );
    let events = store.audit_events(0, 100).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["case.open", "case.withdraw"]
    );
    assert_eq!(chain_ok(store).await, 2);
}

/// Pages of large vPDQ values stop at the byte budget (just past it), so a list of them is
/// never read tens of thousands at a time; paging on yields every row once.
pub(crate) async fn pages_stop_at_the_value_budget(store: &impl Store) {
    let videos: Vec<Signal> = (0..24).map(|seed| vpdq(seed, 10_000, false)).collect();
    let size = videos[0].value_hex().len();
    assert!(videos.iter().all(|v| v.value_hex().len() == size));
    // Rows are included while the values before them fit: this many per full page.
    let per_page = quell_registry::PAGE_VALUE_BYTES / size + 1;
    assert!(per_page < videos.len(), "{size} bytes a video");
    let mut hashes = videos.clone();
    hashes.extend(signals(5));
    let case = NewCase::new(CaseId::random(), "$argon2id$test".into(), hashes).unwrap();
    store
        .create_case(&case, &Actor::Case(case.id()), t(1000))
        .await
        .unwrap();
    let total = case.entries().len();

    // The feed is in entry id order, so the small entries fall anywhere: count the videos (a
    // full page holds per_page of them, or one fewer when small values before the last took
    // its room).
    let (mut seen, mut rows) = (Vec::new(), 0);
    let mut after = 0;
    loop {
        let page = store.changes(after, 50_000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        let bytes: usize = page[..page.len() - 1]
            .iter()
            .map(|c| match &c.op {
                ChangeOp::Upsert(s) => s.value_hex().len(),
                ChangeOp::Tombstone(_) => 0,
            })
            .sum();
        assert!(bytes <= quell_registry::PAGE_VALUE_BYTES, "{bytes}");
        let videos = page
            .iter()
            .filter(|c| matches!(c.op, ChangeOp::Upsert(Signal::Vpdq(_))))
            .count();
        seen.push(videos);
        rows += page.len();
        assert!(videos <= per_page, "{seen:?}");
    }
    assert!(seen[0] + 1 >= per_page, "{seen:?}");
    assert_eq!(rows, total, "{seen:?}");

    let mut entries = Vec::new();
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = store.active_entries(after, 50_000).await.unwrap();
        let Some(&(last, _)) = page.last() else { break };
        after = Some(last);
        // Ids are random, so the small entries fall anywhere: count the videos.
        let videos = page
            .iter()
            .filter(|(_, s)| s.kind() == SignalKind::Vpdq)
            .count();
        pages.push(videos);
        assert!(videos <= per_page, "{pages:?}");
        let bytes: usize = page[..page.len() - 1]
            .iter()
            .map(|(_, s)| s.value_hex().len())
            .sum();
        assert!(bytes <= quell_registry::PAGE_VALUE_BYTES, "{bytes}");
        entries.extend(page);
    }
    assert!(pages.len() > 1, "{pages:?}");
    let mut expected = case.entries().to_vec();
    expected.sort_by_key(|(id, _)| *id);
    assert_eq!(entries, expected);
}

pub(crate) async fn benign_list(store: &impl Store) {
    use quell_registry::BenignHash;
    assert!(store.benign_hashes().await.unwrap().is_empty());
    let md5 = BenignHash::new("md5", &"AB".repeat(16), "stock photo".into(), t(5)).unwrap();
    let pdq = BenignHash::new("pdq", &"f0".repeat(32), "logo".into(), t(6)).unwrap();
    assert!(store.add_benign(&md5, &Actor::Cli).await.unwrap());
    assert!(store.add_benign(&pdq, &Actor::Cli).await.unwrap());
    assert!(!store.add_benign(&md5, &Actor::Cli).await.unwrap());
    assert_eq!(store.benign_hashes().await.unwrap(), vec![md5.clone(), pdq]);
    let removed = |value: String| async move {
        let kind = SignalKind::Md5;
        store
            .remove_benign(kind, &value, "mistake", &Actor::Cli, t(7))
            .await
            .unwrap()
    };
    assert!(removed(md5.value()).await);
    assert!(!removed(md5.value()).await);
    assert_eq!(store.benign_hashes().await.unwrap().len(), 1);
    // Each change to the list, and only those, is audited.
    let events = store.audit_events(0, 100).await.unwrap();
    let actions: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| (e.action.as_str(), e.subject.as_str(), e.detail.as_str()))
        .collect();
    let subject = format!("md5:{}", "ab".repeat(16));
    assert_eq!(actions.len(), 3, "{actions:?}");
    assert_eq!(
        actions[0],
        ("benign.add", subject.as_str(), "reason=stock photo")
    );
    assert_eq!(
        actions[2],
        ("benign.remove", subject.as_str(), "reason=mistake")
    );
    assert_eq!(chain_ok(store).await, 3);
}

pub(crate) async fn removals_for_time_to_action(store: &impl Store) {
    use quell_registry::Removal;
    let (old, new) = (new_case(1), new_case(2));
    for (case, at) in [(&old, 10), (&new, 1_000)] {
        store
            .create_case(case, &Actor::Case(case.id()), t(at))
            .await
            .unwrap();
    }
    let members = reporters(store).await;
    let (e0, e1) = (new.entries()[0].0, new.entries()[1].0);
    // Each report reaches the registry 100 ms after the time it claims, but for b's removal,
    // which claims a time before the case was opened and arrives at 9,100.
    let (a, b) = (members[0].id, members[1].id);
    for (member, r, received) in [
        (a, report(e0, Outcome::UnderReview, 1_100), 1_200),
        (a, report(e0, Outcome::Blocked, 1_500), 1_600),
        (a, report(e1, Outcome::Blocked, 1_200), 1_300),
        (a, report(old.entries()[0].0, Outcome::Blocked, 50), 150),
        (b, report(e0, Outcome::Blocked, 0), 9_100),
        (b, report(e1, Outcome::NotActioned, 2_000), 2_100),
    ] {
        store
            .record_outcomes(member, &[r], t(received))
            .await
            .unwrap();
    }
    let mut removals = store.removals(t(1_000)).await.unwrap();
    removals.sort_by_key(|r| (r.member.clone(), r.removed_at.millis()));
    let removal = |member: &str, removed| Removal {
        member: member.into(),
        opened_at: t(1_000),
        removed_at: t(removed),
    };
    // Removals only, once per member and entry, of cases opened since the bound, timed by
    // their receipt.
    assert_eq!(
        removals,
        [
            removal("a", 1_300),
            removal("a", 1_600),
            removal("b", 9_100)
        ]
    );
    assert_eq!(store.removals(t(0)).await.unwrap().len(), 4);
}

/// Every hash of one file shares its media id, through the change feed and the registrations
/// a match answer reads; the status counts files by what they are; a member's outcome is
/// recorded once per file, a false positive once per entry.
pub(crate) async fn media_group_entries(store: &impl Store) {
    // File 0: a photo (PDQ, MD5, SHA-256); file 1: another file (MD5, SHA-256); then a PDQ
    // hash sent without a file number, a photo of its own.
    let s = signals(6);
    let hashes = [
        (Some(0), s[0].clone()),
        (Some(0), s[1].clone()),
        (Some(0), s[2].clone()),
        (Some(1), s[4].clone()),
        (Some(1), s[5].clone()),
        (None, s[3].clone()),
    ]
    .map(|(file, signal)| CaseHash { file, signal });
    let case = NewCase::new(CaseId::random(), "$argon2id$test".into(), hashes).unwrap();
    let media = case.media().to_vec();
    assert!(media[0] == media[1] && media[1] == media[2]);
    assert!(media[3] == media[4] && media[3] != media[0]);
    assert!(media[5] != media[0] && media[5] != media[3]);
    store
        .create_case(&case, &Actor::Case(case.id()), t(10))
        .await
        .unwrap();
    let counts = MediaCounts {
        photos: 2,
        videos: 0,
        other: 1,
    };
    assert_eq!(case.media_counts(), counts);
    assert_eq!(
        store.case_status(case.id()).await.unwrap().media,
        Some(counts)
    );
    let changes = all_changes(store).await;
    for ((entry, _), m) in case.entries().iter().zip(&media) {
        let change = changes.iter().find(|c| c.entry == *entry).unwrap();
        assert_eq!(change.registration.media, *m);
    }
    let entries: Vec<EntryId> = case.entries().iter().map(|(e, _)| *e).collect();
    let found = store.registrations(&entries).await.unwrap();
    let found_media: Vec<_> = found.iter().map(|(_, r)| r.media).collect();
    assert_eq!(found_media, media);

    // Blocked on two hashes of the photo: one report. False positives stay per hash.
    let members = reporters(store).await;
    let reports = [
        report(entries[0], Outcome::Blocked, 100),
        report(entries[2], Outcome::Blocked, 110),
        report(entries[1], Outcome::FalsePositive, 120),
        report(entries[2], Outcome::FalsePositive, 130),
    ];
    let recorded = store
        .record_outcomes(members[0].id, &reports, t(200))
        .await
        .unwrap();
    assert_eq!(recorded, 3);
    let again = [report(entries[1], Outcome::Blocked, 300)];
    let recorded = store
        .record_outcomes(members[0].id, &again, t(300))
        .await
        .unwrap();
    assert_eq!(recorded, 0, "the photo's removal was already reported");
    let other_file = [report(entries[3], Outcome::Blocked, 300)];
    let recorded = store
        .record_outcomes(members[0].id, &other_file, t(300))
        .await
        .unwrap();
    assert_eq!(recorded, 1, "another file is another report");
    let status = store.case_status(case.id()).await.unwrap();
    assert_eq!(status.outcomes.len(), 2);
    assert_eq!(store.false_positive_reporters(entries[2]).await.unwrap(), 1);
}
