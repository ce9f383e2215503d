//! The store's queries, written once and expanded for each backend.
//!
//! Both backends accept the same SQL text: PostgreSQL's `$1` placeholders are also SQLite
//! parameters in sqlx, and the schema uses only types both map to `i64`, `bool` and `String`.
//! A macro rather than generics keeps each backend's code concrete (sqlx's generic bounds
//! over `Database` run to dozens of lines per function) while the SQL stays in one place.

use quell_registry::{Signal, StoreError};

pub(crate) fn db(e: sqlx::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

/// A signal from its stored columns; `filing` is `profile/part` for a filed PDQ hash.
pub(crate) fn signal(
    kind: &str,
    value: &str,
    quality: Option<i64>,
    filing: Option<&str>,
) -> Result<Signal, StoreError> {
    let split = filing.map(|f| f.split_once('/').unwrap_or((f, "")));
    Signal::from_parts(kind, value, quality)
        .and_then(|s| s.filed(split.map(|(p, _)| p), split.map(|(_, part)| part)))
        .map_err(|e| StoreError::Corrupt(format!("entry hash: {e}")))
}

/// The stored `filing` column of a signal: `profile/part`, or NULL for a plain hash.
pub(crate) fn filing_column(signal: &Signal) -> Option<String> {
    signal.filing().map(|f| f.to_string())
}

pub(crate) fn hash32(hex: &str) -> Result<[u8; 32], StoreError> {
    hex.parse::<quell_hash::Sha256>()
        .map(|d| *d.as_bytes())
        .map_err(|e| StoreError::Corrupt(format!("audit hash: {e}")))
}

pub(crate) fn hex32(bytes: &[u8; 32]) -> String {
    quell_hash::Sha256::from_bytes(*bytes).to_string()
}

/// [`quell_registry::PAGE_VALUE_BYTES`] as the SQL parameter the page queries compare with.
pub(crate) const PAGE_BYTES: i64 = quell_registry::PAGE_VALUE_BYTES as i64;

/// Rows per multi-row `INSERT`: well under both backends' parameter limits.
pub(crate) const INSERT_CHUNK: usize = 1000;

/// Expands to `impl Store for $store`, given a `Db` type alias and an inherent
/// `begin_write(&self) -> Result<(guard, Transaction), StoreError>` on `$store`.
macro_rules! impl_store {
    ($store:ty) => {
        use quell_registry::{
            Actor, ApiKeyRecord, AuditEvent, CaseAuth, CaseId, CaseOutcome, CaseStatus, Change,
            ChangeOp, EntryId, KeyId, Member, MemberId, NewAuditEvent, NewCase, NewMember,
            Outcome, OutcomeReport, Signal, SignalKind, Store, StoreError, Timestamp,
            chain_hash,
        };
        use sqlx::Row as _;

        use crate::common::{INSERT_CHUNK, PAGE_BYTES, db, hash32, filing_column, hex32, signal};

        type Tx = sqlx::Transaction<'static, Db>;

        /// Where a page of at most `limit` rows after `after` ends by the byte budget: `sql`
        /// sums the rows' value lengths in order and returns the last key whose predecessors
        /// fit in `$3` ([`PAGE_BYTES`]). Only lengths leave the database, so the values past
        /// the cut are never sent to this process; `None` if there are no rows.
        async fn page_end(
            pool: &sqlx::Pool<Db>,
            sql: &'static str,
            after: i64,
            limit: u32,
        ) -> Result<Option<i64>, StoreError> {
            sqlx::query_scalar(sql)
                .bind(after)
                .bind(i64::from(limit))
                .bind(PAGE_BYTES)
                .fetch_one(pool)
                .await
                .map_err(db)
        }

        async fn append_audit(
            tx: &mut Tx,
            at: Timestamp,
            ev: NewAuditEvent,
        ) -> Result<(), StoreError> {
            let last: Option<(i64, String)> =
                sqlx::query_as("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db)?;
            let (seq, prev) = match last {
                Some((seq, hash)) => (seq + 1, hash32(&hash)?),
                None => (1, [0u8; 32]),
            };
            let hash = chain_hash(&prev, seq, at, &ev.actor, ev.action, &ev.subject, &ev.detail);
            sqlx::query(
                "INSERT INTO audit (seq, at, actor, action, subject, detail, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(seq)
            .bind(at.millis())
            .bind(&ev.actor)
            .bind(ev.action)
            .bind(&ev.subject)
            .bind(&ev.detail)
            .bind(hex32(&prev))
            .bind(hex32(&hash))
            .execute(&mut **tx)
            .await
            .map_err(db)?;
            Ok(())
        }

        /// Appends one change per entry, numbered after the newest: upserts with their hash,
        /// tombstones with the kind only.
        async fn push_changes(
            tx: &mut Tx,
            entries: &[(EntryId, Signal)],
            upsert: bool,
            at: Timestamp,
        ) -> Result<(), StoreError> {
            let n = i64::try_from(entries.len()).unwrap_or(i64::MAX);
            let last: i64 =
                sqlx::query_scalar("UPDATE change_counter SET last = last + $1 RETURNING last")
                    .bind(n)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(db)?;
            let mut seq = last - n;
            for chunk in entries.chunks(INSERT_CHUNK) {
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "INSERT INTO changes (seq, entry_id, op, kind, value, quality, filing, at) ",
                );
                q.push_values(chunk, |mut row, (entry, signal)| {
                    seq += 1;
                    row.push_bind(seq)
                        .push_bind(entry.get())
                        .push_bind(if upsert { "upsert" } else { "tombstone" })
                        .push_bind(signal.kind().as_str())
                        .push_bind(upsert.then(|| signal.value_hex()))
                        .push_bind(if upsert {
                            signal.quality().map(|q| i64::from(q.get()))
                        } else {
                            None
                        })
                        .push_bind(upsert.then(|| filing_column(signal)).flatten())
                        .push_bind(at.millis());
                });
                q.build().execute(&mut **tx).await.map_err(db)?;
            }
            Ok(())
        }

        /// Deletes the upserts of an entry that leaves the list, so members that start syncing
        /// later never receive its hash; the tombstone written next reaches everyone else.
        async fn drop_upserts(tx: &mut Tx, entry: EntryId) -> Result<(), StoreError> {
            sqlx::query("DELETE FROM changes WHERE op = 'upsert' AND entry_id = $1")
                .bind(entry.get())
                .execute(&mut **tx)
                .await
                .map_err(db)?;
            Ok(())
        }

        async fn entry_row(
            tx: &mut Tx,
            entry: EntryId,
        ) -> Result<(String, Signal), StoreError> {
            let row = sqlx::query(
                "SELECT state, kind, value, quality, filing FROM entries WHERE id = $1",
            )
                .bind(entry.get())
                .fetch_optional(&mut **tx)
                .await
                .map_err(db)?
                .ok_or(StoreError::NotFound("entry"))?;
            let state: String = row.try_get(0).map_err(db)?;
            let kind: String = row.try_get(1).map_err(db)?;
            let value: String = row.try_get(2).map_err(db)?;
            let quality: Option<i64> = row.try_get(3).map_err(db)?;
            let filing: Option<String> = row.try_get(4).map_err(db)?;
            Ok((state, signal(&kind, &value, quality, filing.as_deref())?))
        }

        async fn set_entry_state(
            tx: &mut Tx,
            entry: EntryId,
            state: &'static str,
        ) -> Result<(), StoreError> {
            sqlx::query("UPDATE entries SET state = $1 WHERE id = $2")
                .bind(state)
                .bind(entry.get())
                .execute(&mut **tx)
                .await
                .map_err(db)?;
            Ok(())
        }

        fn member_from_row(row: &<Db as sqlx::Database>::Row, at: usize) -> Result<Member, StoreError> {
            let scopes: String = row.try_get(at + 2).map_err(db)?;
            Ok(Member {
                id: MemberId::from_i64(row.try_get(at).map_err(db)?),
                name: row.try_get(at + 1).map_err(db)?,
                scopes: scopes
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("member scopes: {e}")))?,
                disabled: row.try_get(at + 3).map_err(db)?,
                created_at: Timestamp::from_millis(row.try_get(at + 4).map_err(db)?),
            })
        }

        const MEMBER_COLUMNS: &str = "m.id, m.name, m.scopes, m.disabled, m.created_at";

        async fn member_by_name(tx: &mut Tx, name: &str) -> Result<Option<Member>, StoreError> {
            let sql = format!("SELECT {MEMBER_COLUMNS} FROM members m WHERE m.name = $1");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(name)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db)?;
            row.map(|r| member_from_row(&r, 0)).transpose()
        }

        async fn insert_key(
            tx: &mut Tx,
            member: MemberId,
            key: KeyId,
            key_hash: &str,
            at: Timestamp,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO api_keys (id, member_id, secret_hash, created_at, revoked_at) \
                 VALUES ($1, $2, $3, $4, NULL)",
            )
            .bind(key.get())
            .bind(member.get())
            .bind(key_hash)
            .bind(at.millis())
            .execute(&mut **tx)
            .await
            .map_err(db)?;
            Ok(())
        }

        impl Store for $store {
            async fn create_case(
                &self,
                case: &NewCase,
                actor: &Actor,
                at: Timestamp,
            ) -> Result<(), StoreError> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO cases (id, secret_hash, opened_at, withdrawn_at) \
                     VALUES ($1, $2, $3, NULL)",
                )
                .bind(case.id().get())
                .bind(case.secret_hash())
                .bind(at.millis())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                for chunk in case.entries().chunks(INSERT_CHUNK) {
                    let mut q = sqlx::QueryBuilder::<Db>::new(
                        "INSERT INTO entries \
                         (id, case_id, kind, value, quality, filing, state, created_at) ",
                    );
                    q.push_values(chunk, |mut row, (entry, signal)| {
                        row.push_bind(entry.get())
                            .push_bind(case.id().get())
                            .push_bind(signal.kind().as_str())
                            .push_bind(signal.value_hex())
                            .push_bind(signal.quality().map(|q| i64::from(q.get())))
                            .push_bind(filing_column(signal))
                            .push_bind("active")
                            .push_bind(at.millis());
                    });
                    q.build().execute(&mut *tx).await.map_err(db)?;
                }
                push_changes(&mut tx, case.entries(), true, at).await?;
                append_audit(
                    &mut tx,
                    at,
                    NewAuditEvent {
                        actor: actor.to_string(),
                        action: "case.open",
                        subject: case.id().to_string(),
                        detail: format!("entries={}", case.entries().len()),
                    },
                )
                .await?;
                tx.commit().await.map_err(db)
            }

            async fn case_auth(&self, id: CaseId) -> Result<Option<CaseAuth>, StoreError> {
                let hash: Option<String> =
                    sqlx::query_scalar("SELECT secret_hash FROM cases WHERE id = $1")
                        .bind(id.get())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                Ok(hash.map(|secret_hash| CaseAuth { secret_hash }))
            }

            async fn case_status(&self, id: CaseId) -> Result<CaseStatus, StoreError> {
                let mut conn = self.pool.acquire().await.map_err(db)?;
                let (opened, withdrawn): (i64, Option<i64>) =
                    sqlx::query_as("SELECT opened_at, withdrawn_at FROM cases WHERE id = $1")
                        .bind(id.get())
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(db)?
                        .ok_or(StoreError::NotFound("case"))?;
                let counts: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT kind, COUNT(*) FROM entries WHERE case_id = $1 AND filing IS NULL \
                     GROUP BY kind ORDER BY kind",
                )
                .bind(id.get())
                .fetch_all(&mut *conn)
                .await
                .map_err(db)?;
                let mut hashes = Vec::new();
                for (kind, n) in counts {
                    let kind: SignalKind = kind
                        .parse()
                        .map_err(|e| StoreError::Corrupt(format!("entry kind: {e}")))?;
                    hashes.push((kind, u32::try_from(n).unwrap_or(u32::MAX)));
                }
                let rows: Vec<(String, String, i64)> = sqlx::query_as(
                    "SELECT m.name, o.outcome, o.reported_at FROM outcomes o \
                     JOIN entries e ON e.id = o.entry_id JOIN members m ON m.id = o.member_id \
                     WHERE e.case_id = $1 AND o.outcome <> 'false_positive' \
                     ORDER BY o.reported_at, o.id",
                )
                .bind(id.get())
                .fetch_all(&mut *conn)
                .await
                .map_err(db)?;
                let outcomes = rows
                    .into_iter()
                    .map(|(member, outcome, at)| {
                        Ok(CaseOutcome {
                            member,
                            outcome: Outcome::parse(&outcome)
                                .ok_or_else(|| StoreError::Corrupt(format!("outcome {outcome:?}")))?,
                            at: Timestamp::from_millis(at),
                        })
                    })
                    .collect::<Result<_, StoreError>>()?;
                let filed: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM entries WHERE case_id = $1 AND filing IS NOT NULL",
                )
                .bind(id.get())
                .fetch_one(&mut *conn)
                .await
                .map_err(db)?;
                Ok(CaseStatus {
                    id,
                    opened_at: Timestamp::from_millis(opened),
                    withdrawn_at: withdrawn.map(Timestamp::from_millis),
                    hashes,
                    filed: u32::try_from(filed).unwrap_or(u32::MAX),
                    outcomes,
                })
            }

            async fn withdraw_case(
                &self,
                id: CaseId,
                actor: &Actor,
                at: Timestamp,
            ) -> Result<Vec<(EntryId, Signal)>, StoreError> {
                let mut tx = self.begin_write().await?;
                let withdrawn: Option<Option<i64>> =
                    sqlx::query_scalar("SELECT withdrawn_at FROM cases WHERE id = $1")
                        .bind(id.get())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?;
                match withdrawn {
                    None => return Err(StoreError::NotFound("case")),
                    Some(Some(_)) => return Ok(Vec::new()),
                    Some(None) => {}
                }
                type Row = (i64, String, String, String, Option<i64>, Option<String>);
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT id, state, kind, value, quality, filing FROM entries \
                     WHERE case_id = $1 AND state <> 'withdrawn' ORDER BY id",
                )
                .bind(id.get())
                .fetch_all(&mut *tx)
                .await
                .map_err(db)?;
                let mut removed = Vec::with_capacity(rows.len());
                // Quarantined entries were already tombstoned when they were quarantined.
                let mut tombstones = Vec::new();
                for (entry, state, kind, value, quality, filing) in rows {
                    let signal = signal(&kind, &value, quality, filing.as_deref())?;
                    let entry = (EntryId::from_i64(entry), signal);
                    if state == "active" {
                        tombstones.push(entry.clone());
                    }
                    removed.push(entry);
                }
                sqlx::query(
                    "DELETE FROM changes WHERE op = 'upsert' \
                     AND entry_id IN (SELECT id FROM entries WHERE case_id = $1)",
                )
                .bind(id.get())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                sqlx::query("UPDATE entries SET state = 'withdrawn' WHERE case_id = $1")
                    .bind(id.get())
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                sqlx::query("UPDATE cases SET withdrawn_at = $1 WHERE id = $2")
                    .bind(at.millis())
                    .bind(id.get())
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                push_changes(&mut tx, &tombstones, false, at).await?;
                append_audit(
                    &mut tx,
                    at,
                    NewAuditEvent {
                        actor: actor.to_string(),
                        action: "case.withdraw",
                        subject: id.to_string(),
                        detail: format!("entries={}", removed.len()),
                    },
                )
                .await?;
                tx.commit().await.map_err(db)?;
                Ok(removed)
            }

            async fn changes(&self, after: i64, limit: u32) -> Result<Vec<Change>, StoreError> {
                let last = page_end(
                    &self.pool,
                    "SELECT MAX(seq) FROM (\
                       SELECT seq, SUM(len) OVER (ORDER BY seq) - len AS bytes_before FROM (\
                         SELECT seq, COALESCE(LENGTH(value), 0) AS len FROM changes \
                         WHERE seq > $1 ORDER BY seq LIMIT $2) AS page) AS sized \
                     WHERE bytes_before <= $3",
                    after,
                    limit,
                )
                .await?;
                let Some(last) = last else {
                    return Ok(Vec::new());
                };
                type Row = (i64, i64, String, String, Option<String>, Option<i64>, Option<String>);
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT seq, entry_id, op, kind, value, quality, filing FROM changes \
                     WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
                )
                .bind(after)
                .bind(last)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
                rows.into_iter()
                    .map(|(seq, entry, op, kind, value, quality, filing)| {
                        let op = match op.as_str() {
                            "upsert" => ChangeOp::Upsert(signal(
                                &kind,
                                value.as_deref().unwrap_or_default(),
                                quality,
                                filing.as_deref(),
                            )?),
                            "tombstone" => ChangeOp::Tombstone(kind.parse().map_err(|e| {
                                StoreError::Corrupt(format!("entry kind: {e}"))
                            })?),
                            other => {
                                return Err(StoreError::Corrupt(format!("change op {other:?}")));
                            }
                        };
                        Ok(Change {
                            seq,
                            entry: EntryId::from_i64(entry),
                            op,
                        })
                    })
                    .collect()
            }

            async fn last_change(&self) -> Result<i64, StoreError> {
                sqlx::query_scalar("SELECT last FROM change_counter")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db)
            }

            async fn entry_signal(&self, entry: EntryId) -> Result<Option<Signal>, StoreError> {
                let row: Option<(String, String, Option<i64>, Option<String>)> =
                    sqlx::query_as("SELECT kind, value, quality, filing FROM entries WHERE id = $1")
                        .bind(entry.get())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                row.map(|(kind, value, quality, filing)| {
                    signal(&kind, &value, quality, filing.as_deref())
                })
                    .transpose()
            }

            async fn active_entries(
                &self,
                after: Option<EntryId>,
                limit: u32,
            ) -> Result<Vec<(EntryId, Signal)>, StoreError> {
                let after = after.map_or(0, EntryId::get);
                let last = page_end(
                    &self.pool,
                    "SELECT MAX(id) FROM (\
                       SELECT id, SUM(len) OVER (ORDER BY id) - len AS bytes_before FROM (\
                         SELECT id, LENGTH(value) AS len FROM entries \
                         WHERE state = 'active' AND id > $1 ORDER BY id LIMIT $2) AS page) AS sized \
                     WHERE bytes_before <= $3",
                    after,
                    limit,
                )
                .await?;
                let Some(last) = last else {
                    return Ok(Vec::new());
                };
                type Row = (i64, String, String, Option<i64>, Option<String>);
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT id, kind, value, quality, filing FROM entries \
                     WHERE state = 'active' AND id > $1 AND id <= $2 ORDER BY id LIMIT $3",
                )
                .bind(after)
                .bind(last)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
                rows.into_iter()
                    .map(|(id, kind, value, quality, filing)| {
                        let signal = signal(&kind, &value, quality, filing.as_deref())?;
                        Ok((EntryId::from_i64(id), signal))
                    })
                    .collect()
            }

            async fn add_member(
                &self,
                member: &NewMember,
                key: KeyId,
                key_hash: &str,
                actor: &Actor,
                at: Timestamp,
            ) -> Result<Member, StoreError> {
                let mut tx = self.begin_write().await?;
                if member_by_name(&mut tx, member.name()).await?.is_some() {
                    return Err(StoreError::Conflict("a member with this name already exists"));
                }
                let stored = Member {
                    id: MemberId::random(),
                    name: member.name().to_owned(),
                    scopes: member.scopes().clone(),
                    disabled: false,
                    created_at: at,
                };
                sqlx::query(
                    "INSERT INTO members (id, name, scopes, disabled, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(stored.id.get())
                .bind(&stored.name)
                .bind(stored.scopes.to_string())
                .bind(false)
                .bind(at.millis())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                insert_key(&mut tx, stored.id, key, key_hash, at).await?;
                append_audit(
                    &mut tx,
                    at,
                    NewAuditEvent {
                        actor: actor.to_string(),
                        action: "member.add",
                        subject: stored.name.clone(),
                        detail: format!("scopes={} key={key}", stored.scopes),
                    },
                )
                .await?;
                tx.commit().await.map_err(db)?;
                Ok(stored)
            }

            async fn members(&self) -> Result<Vec<Member>, StoreError> {
                let sql = format!("SELECT {MEMBER_COLUMNS} FROM members m ORDER BY m.name");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                rows.iter().map(|r| member_from_row(r, 0)).collect()
            }

            async fn api_key(&self, key: KeyId) -> Result<Option<ApiKeyRecord>, StoreError> {
                let sql = format!(
                    "SELECT k.secret_hash, k.revoked_at, {MEMBER_COLUMNS} \
                     FROM api_keys k JOIN members m ON m.id = k.member_id WHERE k.id = $1"
                );
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(key.get())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                let Some(row) = row else { return Ok(None) };
                let revoked: Option<i64> = row.try_get(1).map_err(db)?;
                Ok(Some(ApiKeyRecord {
                    secret_hash: row.try_get(0).map_err(db)?,
                    revoked: revoked.is_some(),
                    member: member_from_row(&row, 2)?,
                }))
            }

            async fn disable_member(
                &self,
                name: &str,
                actor: &Actor,
                at: Timestamp,
            ) -> Result<Member, StoreError> {
                let mut tx = self.begin_write().await?;
                let mut member = member_by_name(&mut tx, name)
                    .await?
                    .ok_or(StoreError::NotFound("member"))?;
                if !member.disabled {
                    sqlx::query("UPDATE members SET disabled = $1 WHERE id = $2")
                        .bind(true)
                        .bind(member.id.get())
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    append_audit(
                        &mut tx,
                        at,
                        NewAuditEvent {
                            actor: actor.to_string(),
                            action: "member.disable",
                            subject: member.name.clone(),
                            detail: String::new(),
                        },
                    )
                    .await?;
                    member.disabled = true;
                }
                tx.commit().await.map_err(db)?;
                Ok(member)
            }

            async fn rotate_key(
                &self,
                name: &str,
                key: KeyId,
                key_hash: &str,
                actor: &Actor,
                at: Timestamp,
            ) -> Result<Member, StoreError> {
                let mut tx = self.begin_write().await?;
                let member = member_by_name(&mut tx, name)
                    .await?
                    .ok_or(StoreError::NotFound("member"))?;
                sqlx::query(
                    "UPDATE api_keys SET revoked_at = $1 WHERE member_id = $2 AND revoked_at IS NULL",
                )
                .bind(at.millis())
                .bind(member.id.get())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                insert_key(&mut tx, member.id, key, key_hash, at).await?;
                append_audit(
                    &mut tx,
                    at,
                    NewAuditEvent {
                        actor: actor.to_string(),
                        action: "member.rotate_key",
                        subject: member.name.clone(),
                        detail: format!("key={key}"),
                    },
                )
                .await?;
                tx.commit().await.map_err(db)?;
                Ok(member)
            }

            async fn record_outcomes(
                &self,
                member: MemberId,
                reports: &[OutcomeReport],
                received: Timestamp,
            ) -> Result<(), StoreError> {
                let mut tx = self.begin_write().await?;
                for r in reports {
                    let exists: Option<i64> =
                        sqlx::query_scalar("SELECT id FROM entries WHERE id = $1")
                            .bind(r.entry.get())
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(db)?;
                    if exists.is_none() {
                        return Err(StoreError::NotFound("entry"));
                    }
                }
                for chunk in reports.chunks(INSERT_CHUNK) {
                    let mut q = sqlx::QueryBuilder::<Db>::new(
                        "INSERT INTO outcomes (entry_id, member_id, outcome, reported_at, received_at) ",
                    );
                    q.push_values(chunk, |mut row, r| {
                        row.push_bind(r.entry.get())
                            .push_bind(member.get())
                            .push_bind(r.outcome.as_str())
                            .push_bind(r.at.millis())
                            .push_bind(received.millis());
                    });
                    q.build().execute(&mut *tx).await.map_err(db)?;
                }
                tx.commit().await.map_err(db)
            }

            async fn false_positive_reporters(&self, entry: EntryId) -> Result<u32, StoreError> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(DISTINCT member_id) FROM outcomes \
                     WHERE entry_id = $1 AND outcome = 'false_positive'",
                )
                .bind(entry.get())
                .fetch_one(&self.pool)
                .await
                .map_err(db)?;
                Ok(u32::try_from(n).unwrap_or(u32::MAX))
            }

            async fn quarantine(
                &self,
                entry: EntryId,
                reason: &str,
                actor: &Actor,
                at: Timestamp,
            ) -> Result<Option<Signal>, StoreError> {
                let mut tx = self.begin_write().await?;
                let (state, signal) = entry_row(&mut tx, entry).await?;
                if state != "active" {
                    return Ok(None);
                }
                set_entry_state(&mut tx, entry, "quarantined").await?;
                drop_upserts(&mut tx, entry).await?;
                push_changes(&mut tx, &[(entry, signal.clone())], false, at).await?;
                append_audit(
                    &mut tx,
                    at,
                    NewAuditEvent {
                        actor: actor.to_string(),
                        action: "entry.quarantine",
                        subject: entry.to_string(),
                        detail: format!("reason={reason}"),
                    },
                )
                .await?;
                tx.commit().await.map_err(db)?;
                Ok(Some(signal))
            }

            async fn release(
                &self,
                entry: EntryId,
                actor: &Actor,
                at: Timestamp,
            ) -> Result<Option<Signal>, StoreError> {
                let mut tx = self.begin_write().await?;
                let (state, signal) = entry_row(&mut tx, entry).await?;
                if state != "quarantined" {
                    return Ok(None);
                }
                set_entry_state(&mut tx, entry, "active").await?;
                push_changes(&mut tx, &[(entry, signal.clone())], true, at).await?;
                append_audit(
                    &mut tx,
                    at,
                    NewAuditEvent {
                        actor: actor.to_string(),
                        action: "entry.release",
                        subject: entry.to_string(),
                        detail: String::new(),
                    },
                )
                .await?;
                tx.commit().await.map_err(db)?;
                Ok(Some(signal))
            }

            async fn audit_events(&self, after: i64, limit: u32) -> Result<Vec<AuditEvent>, StoreError> {
                let rows: Vec<(i64, i64, String, String, String, String, String, String)> =
                    sqlx::query_as(
                        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash \
                         FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
                    )
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                rows.into_iter()
                    .map(|(seq, at, actor, action, subject, detail, prev, hash)| {
                        Ok(AuditEvent {
                            seq,
                            at: Timestamp::from_millis(at),
                            actor,
                            action,
                            subject,
                            detail,
                            prev_hash: hash32(&prev)?,
                            hash: hash32(&hash)?,
                        })
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use impl_store;
