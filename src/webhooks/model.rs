//! Webhook rows and their queries: endpoints, the outbox ([`emit`], called inside the
//! transaction of the change an event announces), deliveries and their attempts.

use chrono::NaiveDateTime;
#[cfg(test)]
use chrono::TimeDelta;
use diesel::prelude::*;

use super::EventType;
use crate::db::DbConn;
use crate::db::schema::{webhook_attempts, webhook_deliveries, webhook_endpoints, webhook_events};
use crate::error::{ApiError, ApiResult};
use crate::ids::WebhookId;

/// A row of `webhook_endpoints`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_endpoints)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct EndpointRow {
    pub id: WebhookId,
    pub url: String,
    pub description: Option<String>,
    pub events: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<NaiveDateTime>,
    pub disabled_at: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl EndpointRow {
    /// The event types it receives (an unreadable list receives none).
    pub fn event_types(&self) -> Vec<EventType> {
        serde_json::from_str(&self.events).unwrap_or_default()
    }
}

/// The columns a change to an endpoint may set; `None` leaves one as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    pub events: Option<String>,
    pub secret: Option<String>,
    pub previous_secret: Option<Option<String>>,
    pub previous_secret_expires_at: Option<Option<NaiveDateTime>>,
    pub disabled_at: Option<Option<NaiveDateTime>>,
    pub disabled_reason: Option<Option<String>>,
}

/// A row of `webhook_events`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_events)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct EventRow {
    pub id: String,
    pub event_type: EventType,
    pub subject: Option<String>,
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub deliver_after: NaiveDateTime,
}

/// A row of `webhook_deliveries`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct DeliveryRow {
    pub id: String,
    pub endpoint_id: WebhookId,
    pub event_id: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_until: Option<NaiveDateTime>,
    pub claimed_by: Option<String>,
    pub last_status_code: Option<i32>,
    pub updated_at: NaiveDateTime,
}

/// A row of `webhook_attempts`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_attempts)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AttemptRow {
    pub id: String,
    pub delivery_id: String,
    pub endpoint_id: WebhookId,
    pub event_id: String,
    pub event_type: EventType,
    pub attempted_at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub duration_ms: i64,
    pub error: Option<String>,
}

/// Delivery states.
pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

/// An event to announce: its type, what it is about (an article's id, so that a scheduled
/// publication can be withdrawn), when it happens (it is not sent before), and its data.
pub struct NewEvent {
    pub kind: EventType,
    pub subject: Option<String>,
    pub at: NaiveDateTime,
    pub data: serde_json::Value,
}

/// A new event id: `msg_` and a time-ordered UUID, as Standard Webhooks ids look.
pub fn new_event_id() -> String {
    format!("msg_{}", uuid::Uuid::now_v7().simple())
}

/// Whether any endpoint is enabled (when none is, there is nothing to announce).
pub fn any_enabled(conn: &mut DbConn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        webhook_endpoints::table
            .filter(webhook_endpoints::disabled_at.is_null())
            .select(webhook_endpoints::id),
    ))
    .get_result(conn)
}

/// Writes `event` to the outbox with one delivery per enabled endpoint that receives its type,
/// inside the caller's transaction (so a rolled-back change announces nothing). Writes nothing
/// when no endpoint receives it.
pub fn emit(conn: &mut DbConn, event: NewEvent) -> ApiResult<()> {
    let endpoints: Vec<(WebhookId, String)> = webhook_endpoints::table
        .filter(webhook_endpoints::disabled_at.is_null())
        .select((webhook_endpoints::id, webhook_endpoints::events))
        .load(conn)?;
    let targets: Vec<WebhookId> = endpoints
        .into_iter()
        .filter(|(_, events)| {
            serde_json::from_str::<Vec<EventType>>(events)
                .is_ok_and(|types| types.contains(&event.kind))
        })
        .map(|(id, _)| id)
        .collect();
    if targets.is_empty() {
        return Ok(());
    }
    write_event(conn, event, &targets).map(|_| ())
}

/// Writes `event` for the one endpoint `endpoint` (a test); returns the event's id.
pub fn emit_to(conn: &mut DbConn, endpoint: &WebhookId, event: NewEvent) -> ApiResult<String> {
    write_event(conn, event, std::slice::from_ref(endpoint))
}

fn write_event(conn: &mut DbConn, event: NewEvent, targets: &[WebhookId]) -> ApiResult<String> {
    let now = crate::db::now();
    let payload = serde_json::json!({
        "type": event.kind,
        "timestamp": event.at.and_utc(),
        "data": event.data,
    });
    let row = EventRow {
        id: new_event_id(),
        event_type: event.kind,
        subject: event.subject,
        payload: serde_json::to_string(&payload).map_err(ApiError::internal)?,
        created_at: now,
        deliver_after: event.at.max(now),
    };
    diesel::insert_into(webhook_events::table)
        .values(&row)
        .execute(conn)?;
    for endpoint in targets {
        diesel::insert_into(webhook_deliveries::table)
            .values(&DeliveryRow {
                id: crate::db::new_id(),
                endpoint_id: endpoint.clone(),
                event_id: row.id.clone(),
                status: PENDING.to_owned(),
                attempts: 0,
                next_attempt_at: row.deliver_after,
                claimed_until: None,
                claimed_by: None,
                last_status_code: None,
                updated_at: now,
            })
            .execute(conn)?;
    }
    Ok(row.id)
}

/// Withdraws the not yet due events of type `kind` about `subject` (a scheduled publication
/// that was moved or cancelled), with their deliveries.
pub fn withdraw(
    conn: &mut DbConn,
    kind: EventType,
    subject: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let ids: Vec<String> = webhook_events::table
        .filter(webhook_events::subject.eq(subject))
        .filter(webhook_events::event_type.eq(kind))
        .filter(webhook_events::deliver_after.gt(now))
        .select(webhook_events::id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::event_id.eq_any(&ids)))
        .execute(conn)?;
    diesel::delete(webhook_events::table.filter(webhook_events::id.eq_any(&ids))).execute(conn)
}

/// Inserts an endpoint.
pub fn insert(conn: &mut DbConn, row: &EndpointRow) -> QueryResult<()> {
    diesel::insert_into(webhook_endpoints::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The endpoint with this id.
pub fn find(conn: &mut DbConn, id: &WebhookId) -> QueryResult<Option<EndpointRow>> {
    webhook_endpoints::table
        .find(id)
        .select(EndpointRow::as_select())
        .first(conn)
        .optional()
}

/// A page of endpoints in creation order, after the one with id `after`.
pub fn list(conn: &mut DbConn, after: Option<&str>, limit: i64) -> QueryResult<Vec<EndpointRow>> {
    let mut query = webhook_endpoints::table
        .select(EndpointRow::as_select())
        .order(webhook_endpoints::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(webhook_endpoints::id.gt(after.to_owned()));
    }
    query.load(conn)
}

/// Applies `changes` to the endpoint if it is still at `version`; false if it is not.
pub fn update(
    conn: &mut DbConn,
    id: &WebhookId,
    version: i64,
    changes: &EndpointChanges,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        webhook_endpoints::table
            .filter(webhook_endpoints::id.eq(id))
            .filter(webhook_endpoints::version.eq(version)),
    )
    .set((
        changes,
        webhook_endpoints::version.eq(version + 1),
        webhook_endpoints::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Deletes the endpoint if it is still at `version` (its deliveries and log go with it).
pub fn delete(conn: &mut DbConn, id: &WebhookId, version: i64) -> QueryResult<bool> {
    diesel::delete(webhook_attempts::table.filter(webhook_attempts::endpoint_id.eq(id)))
        .execute(conn)?;
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::endpoint_id.eq(id)))
        .execute(conn)?;
    let deleted = diesel::delete(
        webhook_endpoints::table
            .filter(webhook_endpoints::id.eq(id))
            .filter(webhook_endpoints::version.eq(version)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

/// A page of an endpoint's attempts, newest first, older than the attempt `before`.
pub fn attempts(
    conn: &mut DbConn,
    endpoint: &WebhookId,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<AttemptRow>> {
    let mut query = webhook_attempts::table
        .filter(webhook_attempts::endpoint_id.eq(endpoint))
        .select(AttemptRow::as_select())
        .order(webhook_attempts::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(webhook_attempts::id.lt(before.to_owned()));
    }
    query.load(conn)
}

/// What the worker needs to send one claimed delivery.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery_id: String,
    pub attempts: i32,
    pub endpoint_id: WebhookId,
    pub url: String,
    pub secrets: Vec<String>,
    pub event_id: String,
    pub event_type: EventType,
    pub payload: String,
    pub due_since: NaiveDateTime,
}

/// Whether any delivery is due at `now` and not held by an instance.
pub fn any_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        webhook_deliveries::table
            .filter(webhook_deliveries::status.eq(PENDING))
            .filter(webhook_deliveries::next_attempt_at.le(now))
            .filter(
                webhook_deliveries::claimed_until
                    .is_null()
                    .or(webhook_deliveries::claimed_until.lt(now)),
            )
            .select(webhook_deliveries::id),
    ))
    .get_result(conn)
}

/// Due, unheld deliveries to enabled endpoints, oldest due first: (delivery, endpoint).
pub fn due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(String, WebhookId)>> {
    webhook_deliveries::table
        .inner_join(webhook_endpoints::table)
        .filter(webhook_endpoints::disabled_at.is_null())
        .filter(webhook_deliveries::status.eq(PENDING))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .filter(
            webhook_deliveries::claimed_until
                .is_null()
                .or(webhook_deliveries::claimed_until.lt(now)),
        )
        .order(webhook_deliveries::next_attempt_at)
        .limit(limit)
        .select((webhook_deliveries::id, webhook_deliveries::endpoint_id))
        .load(conn)
}

/// Claims the deliveries `ids` for `instance` until `until`, skipping any another instance
/// holds or has just claimed (on PostgreSQL rows locked by another claim are skipped, not
/// waited for); returns the ones claimed.
pub fn claim(
    conn: &mut DbConn,
    ids: &[String],
    instance: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    use webhook_deliveries::dsl as d;
    match conn {
        DbConn::Pg(c) => {
            use diesel::sql_types::{Array, Text, Timestamp};
            #[derive(QueryableByName)]
            struct Id {
                #[diesel(sql_type = Text)]
                id: String,
            }
            let claimed: Vec<Id> = diesel::sql_query(
                "UPDATE webhook_deliveries SET claimed_until = $1, claimed_by = $2 \
                 WHERE id IN (SELECT id FROM webhook_deliveries \
                   WHERE id = ANY($3) AND status = 'pending' \
                   AND (claimed_until IS NULL OR claimed_until < $4) \
                   FOR UPDATE SKIP LOCKED) \
                 RETURNING id",
            )
            .bind::<Timestamp, _>(until)
            .bind::<Text, _>(instance)
            .bind::<Array<Text>, _>(ids)
            .bind::<Timestamp, _>(now)
            .load(c)?;
            Ok(claimed.into_iter().map(|row| row.id).collect())
        }
        DbConn::Sqlite(c) => diesel::update(
            d::webhook_deliveries
                .filter(d::id.eq_any(ids))
                .filter(d::status.eq(PENDING))
                .filter(d::claimed_until.is_null().or(d::claimed_until.lt(now))),
        )
        .set((d::claimed_until.eq(until), d::claimed_by.eq(instance)))
        .returning(d::id)
        .get_results(c),
    }
}

/// What to send for the claimed deliveries `ids`: the event and the endpoint's URL and the
/// secrets that sign at `now` (the current one, and a rotated-out one until it expires).
pub fn claimed(conn: &mut DbConn, ids: &[String], now: NaiveDateTime) -> QueryResult<Vec<Claimed>> {
    let rows: Vec<(DeliveryRow, EventRow, EndpointRow)> = webhook_deliveries::table
        .inner_join(webhook_events::table)
        .inner_join(webhook_endpoints::table)
        .filter(webhook_deliveries::id.eq_any(ids))
        .select((
            DeliveryRow::as_select(),
            EventRow::as_select(),
            EndpointRow::as_select(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(delivery, event, endpoint)| {
            let mut secrets = vec![endpoint.secret];
            if let (Some(previous), Some(expires)) = (
                endpoint.previous_secret,
                endpoint.previous_secret_expires_at,
            ) && expires > now
            {
                secrets.push(previous);
            }
            Claimed {
                delivery_id: delivery.id,
                attempts: delivery.attempts,
                endpoint_id: endpoint.id,
                url: endpoint.url,
                secrets,
                event_id: event.id,
                event_type: event.event_type,
                payload: event.payload,
                due_since: event.deliver_after,
            }
        })
        .collect())
}

/// How an attempt ended, and what comes next.
pub enum Next {
    /// Accepted: done.
    Delivered,
    /// Try again at this time.
    RetryAt(NaiveDateTime),
    /// Given up: the endpoint is disabled, for this reason.
    GiveUp(String),
}

/// Records an attempt of `claimed` by `instance` and what follows from it, releasing the claim.
pub fn record(
    conn: &mut DbConn,
    claimed: &Claimed,
    instance: &str,
    attempt: AttemptRow,
    next: &Next,
) -> QueryResult<()> {
    use webhook_deliveries::dsl as d;
    let now = attempt.attempted_at;
    let status_code = attempt.status_code;
    diesel::insert_into(webhook_attempts::table)
        .values(&attempt)
        .execute(conn)?;
    let (status, next_at) = match next {
        Next::Delivered => (DELIVERED, now),
        Next::RetryAt(at) => (PENDING, *at),
        Next::GiveUp(_) => (FAILED, now),
    };
    // Only the holder of the claim records; a claim taken over after its lease ran out wins.
    diesel::update(
        d::webhook_deliveries
            .filter(d::id.eq(&claimed.delivery_id))
            .filter(d::claimed_by.eq(instance)),
    )
    .set((
        d::status.eq(status),
        d::attempts.eq(claimed.attempts + 1),
        d::next_attempt_at.eq(next_at),
        d::claimed_until.eq(None::<NaiveDateTime>),
        d::claimed_by.eq(None::<String>),
        d::last_status_code.eq(status_code),
        d::updated_at.eq(now),
    ))
    .execute(conn)?;
    if let Next::GiveUp(reason) = next {
        diesel::update(
            webhook_endpoints::table
                .filter(webhook_endpoints::id.eq(&claimed.endpoint_id))
                .filter(webhook_endpoints::disabled_at.is_null()),
        )
        .set((
            webhook_endpoints::disabled_at.eq(Some(now)),
            webhook_endpoints::disabled_reason.eq(Some(reason)),
            webhook_endpoints::version.eq(webhook_endpoints::version + 1),
            webhook_endpoints::updated_at.eq(now),
        ))
        .execute(conn)?;
    }
    Ok(())
}

/// Forgets events older than `before` that no delivery waits for (their deliveries and
/// attempts go with them).
pub fn forget_old(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    let waiting = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(PENDING))
        .select(webhook_deliveries::event_id);
    let old: Vec<String> = webhook_events::table
        .filter(webhook_events::created_at.lt(before))
        .filter(webhook_events::id.ne_all(waiting))
        .select(webhook_events::id)
        .limit(1000)
        .load(conn)?;
    if old.is_empty() {
        return Ok(0);
    }
    let deliveries = webhook_deliveries::table
        .filter(webhook_deliveries::event_id.eq_any(&old))
        .select(webhook_deliveries::id);
    diesel::delete(
        webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(deliveries)),
    )
    .execute(conn)?;
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::event_id.eq_any(&old)))
        .execute(conn)?;
    diesel::delete(webhook_events::table.filter(webhook_events::id.eq_any(&old))).execute(conn)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn endpoint(now: NaiveDateTime) -> EndpointRow {
        EndpointRow {
            id: WebhookId::new_v7(),
            url: "http://127.0.0.1:9/hook".to_owned(),
            description: None,
            events: r#"["article.published"]"#.to_owned(),
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
            previous_secret: None,
            previous_secret_expires_at: None,
            disabled_at: None,
            disabled_reason: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn only_subscribed_endpoints_get_deliveries_and_only_settled_events_are_forgotten() {
        let dir = std::env::temp_dir().join(format!("masthead-webhooks-{}", uuid::Uuid::now_v7()));
        let db = crate::db::Db::open(&format!("sqlite://{}/m.db", dir.display()), 1).unwrap();
        let now = crate::db::now();
        let event = |kind| NewEvent {
            kind,
            subject: None,
            at: now,
            data: serde_json::json!({}),
        };
        let (pending, delivered) = db
            .write_blocking(|c| {
                let hook = endpoint(now);
                insert(c, &hook)?;
                // Not subscribed to updates: nothing written at all.
                emit(c, event(EventType::ArticleUpdated))?;
                assert_eq!(webhook_events::table.count().get_result::<i64>(c)?, 0);
                emit(c, event(EventType::ArticlePublished))?;
                emit(c, event(EventType::ArticlePublished))?;
                let soon = now + TimeDelta::seconds(1);
                let due = due(c, soon, 10)?;
                assert_eq!(due.len(), 2);
                let ids = claim(
                    c,
                    &[due[0].0.clone()],
                    "me",
                    now,
                    now + TimeDelta::minutes(1),
                )?;
                assert_eq!(ids, [due[0].0.clone()]);
                assert!(
                    claim(c, &ids, "other", soon, soon)?.is_empty(),
                    "held by me"
                );
                diesel::update(
                    webhook_deliveries::table.filter(webhook_deliveries::id.eq(&ids[0])),
                )
                .set(webhook_deliveries::status.eq(DELIVERED))
                .execute(c)?;
                Ok((due[1].0.clone(), due[0].0.clone()))
            })
            .unwrap();
        let forgotten = db
            .write_blocking(|c| Ok(forget_old(c, now + TimeDelta::days(1))?))
            .unwrap();
        assert_eq!(
            forgotten, 1,
            "the delivered event goes, the pending one stays"
        );
        let left: Vec<String> = db
            .read_blocking(|c| {
                Ok(webhook_deliveries::table
                    .select(webhook_deliveries::id)
                    .load(c)?)
            })
            .unwrap();
        assert_eq!(left, [pending]);
        assert_ne!(left[0], delivered);
        let _ = std::fs::remove_dir_all(dir);
    }
}
