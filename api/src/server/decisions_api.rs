//! What the officer's decision screens (issue 14) read that the schema did not give: one
//! application by id (`application`), a round's panel quorum (`Round.minPanelScores`) and
//! an award's history (`Award.history`, a timeline read from the award's own events).

use async_graphql::{Context, Enum, Object, SimpleObject};
use domain::award::AwardEvent;
use domain::{ApplicationId, Money, RoundId};
use infrastructure::{upcast, Database, LedgerError, StoreError};
use projections::read;

use super::context::{state, viewer};
use super::erasure_api::shown_texts;
use super::errors::{Coded, GqlResult};
use super::scalars::{DateValue, MoneyValue};
use super::types::{may_see_application, Application};

#[derive(Default)]
pub struct DecisionsQuery;

// Merged into the schema's `Query` (schema.rs); this part's own name never shows.
#[Object(name = "DecisionsQuery")]
impl DecisionsQuery {
    /// One application by id, as the viewer may see it (the same rule as
    /// `Round.applications`); null when there is none or the viewer may not see it.
    async fn application(&self, ctx: &Context<'_>, id: String) -> GqlResult<Option<Application>> {
        let id = ApplicationId::new(id.trim());
        let aggregate = match state(ctx).ledger.application(&id).await {
            Ok(aggregate) => aggregate,
            Err(LedgerError::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(error).coded(),
        };
        let Some(round_id) = aggregate.round_id() else {
            return Ok(None);
        };
        let database = state(ctx).database();
        let participatory = read::round_summary(database, round_id)
            .await
            .coded()?
            .is_some_and(|round| round.decision_mode.eq_ignore_ascii_case("PARTICIPATORY"));
        let record = read::applications(database, round_id)
            .await
            .coded()?
            .into_iter()
            .find(|record| record.application_id == id.as_str());
        Ok(record
            .filter(|record| may_see_application(viewer(ctx), record, participatory))
            .map(Application))
    }
}

/// `Round.minPanelScores`: the round's quorum from its terms (0 before it is opened).
pub async fn min_panel_scores(ctx: &Context<'_>, round: &RoundId) -> GqlResult<i32> {
    let round = state(ctx).ledger.round(round).await.coded()?;
    Ok(round
        .terms()
        .map(|terms| i32::try_from(terms.min_panel_scores).unwrap_or(i32::MAX))
        .unwrap_or(0))
}

/// What happened to an award, as its history names it.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AwardHappening {
    /// The award was made (approved from its application), for `amount`.
    Made,
    /// Imported from the funder's published 360Giving history, for `amount`.
    Imported,
    /// The recipient accepted the grant agreement.
    AgreementAccepted,
    /// The recipient asked to draw `amount` (drawdown `drawdownId`).
    DrawdownRequested,
    /// An officer approved drawdown `drawdownId` for `amount`.
    DrawdownApproved,
    /// An officer rejected drawdown `drawdownId` (`reason`).
    DrawdownRejected,
    /// `amount` was paid for drawdown `drawdownId` (`detail`: the payment reference).
    PaymentRecorded,
    /// The award was varied from `previousAmount` to `amount` (`reason`).
    Varied,
    /// The budget lines were set (`detail`: category and amount, line by line).
    BudgetLinesSet,
    /// The recipient gave `amount` back to the fund (`reason`).
    MoneyReturned,
    /// Spend of `amount` was reported (`detail`: the period).
    SpendReported,
    /// An outcome was reported (`detail`: indicator and quantity).
    OutcomeReported,
    /// A contribution worth `amount` (match funding, in kind, volunteer time) was recorded.
    InputRecorded,
    /// The award was closed; `amount` is the undrawn part released to the fund.
    Closed,
}

/// One thing that happened to an award, on the business date its event records.
#[derive(SimpleObject)]
pub struct AwardHistoryEntry {
    /// The date it happened (for a report, the end of its period).
    pub on: DateValue,
    /// What happened.
    pub happened: AwardHappening,
    /// The amount it concerns (see `AwardHappening`); null when none.
    pub amount: Option<MoneyValue>,
    /// A variation's amount before it.
    pub previous_amount: Option<MoneyValue>,
    /// The drawdown it concerns.
    pub drawdown_id: Option<String>,
    /// Why (a variation, a return, a rejected drawdown; `[erased]` once its writer is
    /// erased).
    pub reason: Option<String>,
    /// More about it, in words (a payment's reference, a report's period, budget lines).
    pub detail: Option<String>,
}

/// `Award.history`: the award's events, oldest first, as entries.
pub async fn award_history(
    ctx: &Context<'_>,
    award_id: &domain::AwardId,
) -> GqlResult<Vec<AwardHistoryEntry>> {
    let events = award_events(state(ctx).database(), award_id.as_str())
        .await
        .map_err(LedgerError::from)
        .coded()?;
    let mut entries: Vec<(AwardHistoryEntry, Option<String>)> =
        events.into_iter().map(entry_of).collect();
    let sealed: Vec<&str> = entries
        .iter()
        .filter_map(|(_, reason)| reason.as_deref())
        .collect();
    let mut shown = shown_texts(ctx, &sealed).await?.into_iter();
    for (entry, reason) in &mut entries {
        if reason.is_some() {
            entry.reason = shown.next();
        }
    }
    Ok(entries.into_iter().map(|(entry, _)| entry).collect())
}

fn amount(money: Money) -> Option<MoneyValue> {
    Some(MoneyValue(money.amount()))
}

fn entry(on: domain::Date, happened: AwardHappening) -> AwardHistoryEntry {
    AwardHistoryEntry {
        on: DateValue(on),
        happened,
        amount: None,
        previous_amount: None,
        drawdown_id: None,
        reason: None,
        detail: None,
    }
}

fn drawdown(
    on: domain::Date,
    happened: AwardHappening,
    id: &domain::DrawdownId,
    money: Money,
) -> AwardHistoryEntry {
    AwardHistoryEntry {
        amount: amount(money),
        drawdown_id: Some(id.as_str().to_string()),
        ..entry(on, happened)
    }
}

/// An event as an entry, with its stored (sealed) reason apart, to be shown once for all.
fn entry_of(event: AwardEvent) -> (AwardHistoryEntry, Option<String>) {
    use AwardHappening as H;
    let mut reason = None;
    let made = match event {
        AwardEvent::AwardMade {
            amount: money,
            awarded_on,
            ..
        } => AwardHistoryEntry {
            amount: amount(money),
            ..entry(awarded_on, H::Made)
        },
        AwardEvent::HistoricGrantImported(grant) => AwardHistoryEntry {
            amount: amount(grant.amount),
            ..entry(grant.awarded_on, H::Imported)
        },
        AwardEvent::AgreementAccepted { accepted_on } => entry(accepted_on, H::AgreementAccepted),
        AwardEvent::DrawdownRequested {
            drawdown_id,
            amount: money,
            requested_on,
            ..
        } => drawdown(requested_on, H::DrawdownRequested, &drawdown_id, money),
        AwardEvent::DrawdownApproved {
            drawdown_id,
            amount: money,
            approved_on,
        } => drawdown(approved_on, H::DrawdownApproved, &drawdown_id, money),
        AwardEvent::DrawdownRejected {
            drawdown_id,
            amount: money,
            reason: why,
            rejected_on,
        } => {
            reason = Some(why);
            drawdown(rejected_on, H::DrawdownRejected, &drawdown_id, money)
        }
        AwardEvent::PaymentRecorded {
            drawdown_id,
            amount: money,
            payment_ref,
            paid_on,
            ..
        } => AwardHistoryEntry {
            detail: Some(format!("Payment reference {payment_ref}")),
            ..drawdown(paid_on, H::PaymentRecorded, &drawdown_id, money)
        },
        AwardEvent::BudgetLinesSet { lines, set_on, .. } => AwardHistoryEntry {
            detail: Some(
                lines
                    .iter()
                    .map(|line| format!("{} {}", line.category, line.amount))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            ..entry(set_on, H::BudgetLinesSet)
        },
        AwardEvent::InputRecorded(input) => AwardHistoryEntry {
            amount: amount(input.value),
            ..entry(input.contributed_on, H::InputRecorded)
        },
        other => return later_entry(other),
    };
    (made, reason)
}

/// `entry_of` for the changes, reports and closing.
fn later_entry(event: AwardEvent) -> (AwardHistoryEntry, Option<String>) {
    use AwardHappening as H;
    let mut reason = None;
    let made = match event {
        AwardEvent::AwardVaried {
            old_amount,
            new_amount,
            reason: why,
            varied_on,
            ..
        } => {
            reason = Some(why);
            AwardHistoryEntry {
                amount: amount(new_amount),
                previous_amount: amount(old_amount),
                ..entry(varied_on, H::Varied)
            }
        }
        AwardEvent::MoneyReturned {
            amount: money,
            reason: why,
            returned_on,
            ..
        } => {
            reason = Some(why);
            AwardHistoryEntry {
                amount: amount(money),
                ..entry(returned_on, H::MoneyReturned)
            }
        }
        AwardEvent::SpendReported {
            period_start,
            period_end,
            total,
            ..
        } => AwardHistoryEntry {
            amount: amount(total),
            detail: Some(format!("For {period_start} to {period_end}")),
            ..entry(period_end, H::SpendReported)
        },
        AwardEvent::OutcomeReported {
            indicator,
            quantity,
            period_end,
            ..
        } => AwardHistoryEntry {
            detail: Some(format!("{indicator}: {quantity}")),
            ..entry(period_end, H::OutcomeReported)
        },
        AwardEvent::AwardClosed {
            closed_on,
            released,
            ..
        } => AwardHistoryEntry {
            amount: released.and_then(amount),
            ..entry(closed_on, H::Closed)
        },
        _ => unreachable!("entry_of answers for every other event"),
    };
    (made, reason)
}

/// The award's events in order (one query), upcast to today's shape.
async fn award_events(db: &Database, award_id: &str) -> Result<Vec<AwardEvent>, StoreError> {
    const POSTGRES: &str = "SELECT event_type, event_version, payload::text FROM events \
                            WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence";
    const SQLITE: &str = "SELECT event_type, event_version, payload FROM events \
                          WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence";
    let rows: Vec<(String, String, String)> = match db {
        Database::Postgres(pool) => {
            let query = sqlx::query_as(POSTGRES).bind("Award").bind(award_id);
            query.fetch_all(pool).await?
        }
        Database::Sqlite(pool) => {
            let query = sqlx::query_as(SQLITE).bind("Award").bind(award_id);
            query.fetch_all(pool).await?
        }
    };
    rows.into_iter()
        .map(|(event_type, event_version, payload)| {
            let corrupt = |error: String| StoreError::Corrupt(format!("{event_type}: {error}"));
            let payload = serde_json::from_str(&payload).map_err(|e| corrupt(e.to_string()))?;
            let payload = upcast("Award", &event_type, &event_version, payload)
                .map_err(|e| corrupt(e.to_string()))?;
            serde_json::from_value(payload).map_err(|e| corrupt(e.to_string()))
        })
        .collect()
}
