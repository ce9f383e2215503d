//! [`SqlStore`]: the [`Store`] trait on either database, each method one area's function.

use quell_registry::{
    Actor, ApiKeyRecord, AuditEvent, BenignHash, CaseAuth, CaseId, CaseStatus, ChainHead, Change,
    CredentialId, EntryId, KeyId, Member, MemberId, NewCase, NewMember, OutcomeReport,
    QuarantinedEntry, Registration, Removal, Signal, SignalKind, Store, StoreError, Timestamp,
};

use crate::backend::Backend;
use crate::{audit, benign, cases, credentials, feed, members, review};

/// The registry in a SQL database: [`crate::SqliteStore`] or [`crate::PgStore`].
#[derive(Debug)]
pub struct SqlStore<DB: sqlx::Database> {
    pub(crate) pool: sqlx::Pool<DB>,
}

impl<DB: sqlx::Database> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
        }
    }
}

impl<DB: sqlx::Database> SqlStore<DB> {
    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl<B: Backend> Store for SqlStore<B> {
    async fn create_case(
        &self,
        case: &NewCase,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        cases::create(&self.pool, case, actor, at).await
    }

    async fn case_auth(&self, id: CaseId) -> Result<Option<CaseAuth>, StoreError> {
        cases::auth(&self.pool, id).await
    }

    async fn replace_credential(
        &self,
        credential: CredentialId,
        from: &str,
        to: &str,
    ) -> Result<(), StoreError> {
        credentials::replace(&self.pool, credential, from, to).await
    }

    async fn case_status(&self, id: CaseId) -> Result<CaseStatus, StoreError> {
        cases::status(&self.pool, id).await
    }

    async fn withdraw_case(
        &self,
        id: CaseId,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Vec<(EntryId, Signal)>, StoreError> {
        cases::withdraw(&self.pool, id, actor, at).await
    }

    async fn changes(&self, after: i64, limit: u32) -> Result<Vec<Change>, StoreError> {
        feed::changes(&self.pool, after, limit).await
    }

    async fn last_change(&self) -> Result<i64, StoreError> {
        feed::last_change(&self.pool).await
    }

    async fn entry_signal(&self, entry: EntryId) -> Result<Option<Signal>, StoreError> {
        feed::entry_signal(&self.pool, entry).await
    }

    async fn registrations(
        &self,
        entries: &[EntryId],
    ) -> Result<Vec<(EntryId, Registration)>, StoreError> {
        feed::registrations(&self.pool, entries).await
    }

    async fn active_entries(
        &self,
        after: Option<EntryId>,
        limit: u32,
    ) -> Result<Vec<(EntryId, Signal)>, StoreError> {
        feed::active_entries(&self.pool, after, limit).await
    }

    async fn add_member(
        &self,
        member: &NewMember,
        key: KeyId,
        key_hash: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Member, StoreError> {
        let holder = members::KeyHolder::New(member);
        members::issue_key(&self.pool, holder, key, key_hash, actor, at).await
    }

    async fn members(&self) -> Result<Vec<Member>, StoreError> {
        members::all(&self.pool).await
    }

    async fn api_key(&self, key: KeyId) -> Result<Option<ApiKeyRecord>, StoreError> {
        members::api_key(&self.pool, key).await
    }

    async fn disable_member(
        &self,
        name: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Member, StoreError> {
        members::disable(&self.pool, name, actor, at).await
    }

    async fn rotate_key(
        &self,
        name: &str,
        key: KeyId,
        key_hash: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Member, StoreError> {
        let holder = members::KeyHolder::Existing(name);
        members::issue_key(&self.pool, holder, key, key_hash, actor, at).await
    }

    async fn record_outcomes(
        &self,
        member: MemberId,
        reports: &[OutcomeReport],
        received: Timestamp,
    ) -> Result<u32, StoreError> {
        review::record(&self.pool, member, reports, received).await
    }

    async fn false_positive_reporters(&self, entry: EntryId) -> Result<u32, StoreError> {
        review::false_positive_reporters(&self.pool, entry).await
    }

    async fn quarantine(
        &self,
        entry: EntryId,
        reason: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Option<Signal>, StoreError> {
        review::quarantine(&self.pool, entry, reason, actor, at).await
    }

    async fn release(
        &self,
        entry: EntryId,
        reason: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Option<Signal>, StoreError> {
        review::release(&self.pool, entry, reason, actor, at).await
    }

    async fn quarantined(
        &self,
        after: Option<EntryId>,
        limit: u32,
    ) -> Result<Vec<QuarantinedEntry>, StoreError> {
        review::quarantined(&self.pool, after, limit).await
    }

    async fn removals(&self, since: Timestamp) -> Result<Vec<Removal>, StoreError> {
        review::removals(&self.pool, since).await
    }

    async fn benign_hashes(&self) -> Result<Vec<BenignHash>, StoreError> {
        benign::all(&self.pool).await
    }

    async fn add_benign(&self, hash: &BenignHash, actor: &Actor) -> Result<bool, StoreError> {
        benign::add(&self.pool, hash, actor).await
    }

    async fn remove_benign(
        &self,
        kind: SignalKind,
        value: &str,
        reason: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        benign::remove(&self.pool, kind, value, reason, actor, at).await
    }

    async fn audit_head(&self, at: Option<i64>) -> Result<Option<ChainHead>, StoreError> {
        audit::head(&self.pool, at).await
    }

    async fn audit_events(&self, after: i64, limit: u32) -> Result<Vec<AuditEvent>, StoreError> {
        audit::events(&self.pool, after, limit).await
    }
}
