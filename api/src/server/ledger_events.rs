//! `ledger { latest }`: the chain's events in public form, newest first, a page at a time
//! (`read::public_events`). Public: only what happened, its day, its amount and the fund,
//! round or award it concerns; never a person's name, a purpose, a reason, a reference,
//! a score, a comment, a ballot code or who asked. Events about applications, ballots and
//! payment requests show as a private record.

use async_graphql::{Context, Object};
use projections::read;

use super::context::state;
use super::errors::{ApiError, Coded, GqlResult};
use super::scalars::{DateValue, MoneyValue};
use super::types::money;

/// Events a page holds when the client names no `first`.
pub const DEFAULT_EVENTS: u32 = 20;
/// The most events one page may hold.
pub const MAX_EVENTS: u32 = 100;

/// A page of the chain's events, newest first.
pub struct LedgerEventPage(pub read::PublicEventPage);

#[Object]
impl LedgerEventPage {
    /// The events, newest first.
    async fn events(&self) -> Vec<LedgerEvent> {
        self.0.events.iter().cloned().map(LedgerEvent).collect()
    }
    /// Whether earlier events remain: ask again with `before` the last event's `number`.
    async fn has_earlier(&self) -> bool {
        self.0.has_earlier
    }
}

/// One event of the ledger, in public form.
pub struct LedgerEvent(pub read::PublicEvent);

#[Object]
impl LedgerEvent {
    /// The event's number in the chain: 1 for the first; `Ledger.events` for the newest.
    async fn number(&self) -> i64 {
        self.0.number
    }
    /// The event's position in the event log.
    async fn position(&self) -> i64 {
        self.0.position
    }
    /// The chain's hash once this event is chained: hex SHA-256 of the previous hash and
    /// the event. The newest event's is `Ledger.head`.
    async fn hash(&self) -> &str {
        &self.0.hash
    }
    /// When the event was recorded, in UTC (`2026-12-07T12:33:38Z`).
    async fn recorded_at(&self) -> &str {
        &self.0.recorded_at
    }
    /// The event's type as stored (`PaymentRecorded`); null for a private record.
    async fn event_type(&self) -> Option<&str> {
        self.0.event_type.as_deref()
    }
    /// What happened, in words ("Award made", "Payment recorded", "Round opened"…).
    async fn what(&self) -> &str {
        self.0.what
    }
    /// The business day it happened on (an award's date, a payment's paid date…), when
    /// the event names one.
    async fn happened_on(&self) -> Option<DateValue> {
        self.0.happened_on.map(DateValue)
    }
    /// The money the event moved or named (an award's amount, a payment, a round's
    /// budget), when it is public.
    async fn amount(&self) -> Option<MoneyValue> {
        self.0.amount.map(money)
    }
    /// The fund it concerns, when known.
    async fn fund_id(&self) -> Option<&str> {
        self.0.fund_id.as_deref()
    }
    /// The round it concerns, when known.
    async fn round_id(&self) -> Option<&str> {
        self.0.round_id.as_deref()
    }
    /// The award it concerns, when known.
    async fn award_id(&self) -> Option<&str> {
        self.0.award_id.as_deref()
    }
}

/// The page `ledger { latest(first, before) }` answers.
pub async fn latest(
    ctx: &Context<'_>,
    first: Option<i32>,
    before: Option<i64>,
) -> GqlResult<LedgerEventPage> {
    let first = match first {
        None => DEFAULT_EVENTS,
        Some(first) if first >= 1 && first as u32 <= MAX_EVENTS => first as u32,
        Some(first) => {
            return Err(ApiError::BadInput(format!(
                "first must be from 1 to {MAX_EVENTS}, not {first}"
            )))
            .coded()
        }
    };
    let page = read::public_events(state(ctx).database(), first, before)
        .await
        .coded()?;
    Ok(LedgerEventPage(page))
}
