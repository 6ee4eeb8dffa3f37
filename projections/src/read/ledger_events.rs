//! The ledger's events in public form: what happened, on which day, for how much, and to
//! which fund, round or award, newest first. Only fields on an explicit list are read out
//! of an event: never a person's name, a purpose, a reason, a payment reference, a score,
//! a comment, a ballot code or who issued the command (the metadata is never read).
//! Events about applications, ballots and payment requests are private: they are counted
//! in the chain and shown only as a private record.

use domain::Date;
use infrastructure::Database;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use super::Result;
use crate::on_pool;

/// One event of the chain, in public form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicEvent {
    /// Its number in the chain: 1 for the first event.
    pub number: i64,
    /// Its position in the event log.
    pub position: i64,
    /// The chain's hash once this event is chained (hex SHA-256).
    pub hash: String,
    /// When it was recorded (UTC, to the second: `2026-12-07T12:33:38Z`).
    pub recorded_at: String,
    /// The event's type as stored (`PaymentRecorded`); `None` for a private record.
    pub event_type: Option<String>,
    /// What happened, in words.
    pub what: &'static str,
    /// The business day it happened on, when the event names one.
    pub happened_on: Option<Date>,
    /// The money it moved or named, when public.
    pub amount: Option<Decimal>,
    pub fund_id: Option<String>,
    pub round_id: Option<String>,
    pub award_id: Option<String>,
}

/// A page of events, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicEventPage {
    pub events: Vec<PublicEvent>,
    /// Whether earlier events remain (pass the last event's `number` as `before`).
    pub has_earlier: bool,
}

/// How an event of a public aggregate is told: its words, its amount's field, its date's
/// field, and the field naming the round or award it concerns, if any.
struct Telling {
    what: &'static str,
    amount: Option<&'static str>,
    day: Option<&'static str>,
    round: Option<&'static str>,
    award: Option<&'static str>,
}

const fn told(what: &'static str, amount: Option<&'static str>, day: &'static str) -> Telling {
    Telling {
        what,
        amount,
        day: Some(day),
        round: None,
        award: None,
    }
}

/// Words for an event that is counted in the chain but not shown.
pub const PRIVATE_RECORD: &str = "A private record (an application, a payment request or a vote)";

/// The public telling of `event_type` on an aggregate of `aggregate_type`; `None`: private.
fn telling(aggregate_type: &str, event_type: &str) -> Option<Telling> {
    match aggregate_type {
        "Fund" => fund_telling(event_type),
        "Round" => round_telling(event_type),
        "Award" => award_telling(event_type),
        _ => None,
    }
}

fn fund_telling(event_type: &str) -> Option<Telling> {
    Some(match event_type {
        "FundEstablished" => told("Fund set up", None, "established_on"),
        "CapitalReceived" => told("Money received by the fund", Some("amount"), "received_on"),
        "RoundBudgetAllocated" => Telling {
            round: Some("round_id"),
            ..told(
                "Budget set aside for a round",
                Some("budget"),
                "allocated_on",
            )
        },
        "RoundBudgetReleased" => Telling {
            round: Some("round_id"),
            ..told(
                "Budget released back to the fund",
                Some("amount"),
                "released_on",
            )
        },
        "ReturnCredited" => Telling {
            award: Some("award_id"),
            ..told(
                "Returned money credited to the fund",
                Some("amount"),
                "credited_on",
            )
        },
        "OutcomeProxySet" => told("Value of an outcome set", None, "set_on"),
        "PriorityAreasDeclared" => told("Priority areas named", None, "declared_on"),
        _ => return None,
    })
}

fn round_telling(event_type: &str) -> Option<Telling> {
    Some(match event_type {
        "RoundOpened" => Telling {
            day: None,
            ..told("Round opened", Some("budget"), "")
        },
        "ApplicationApproved" => Telling {
            award: Some("award_id"),
            ..told("Application approved", Some("amount"), "decided_on")
        },
        "VariationReserved" => Telling {
            award: Some("award_id"),
            ..told(
                "Budget reserved for a larger award",
                Some("increase"),
                "reserved_on",
            )
        },
        "VariationReleased" => Telling {
            award: Some("award_id"),
            ..told(
                "Budget released from a smaller award",
                Some("decrease"),
                "released_on",
            )
        },
        "RoundClosed" => told("Round closed", Some("unawarded"), "closed_on"),
        "BallotCodesIssued" => told("Ballot codes issued", None, "issued_on"),
        "VotingClosed" => told("Voting closed", None, "closed_on"),
        "VotesAllocated" => told("Votes counted", None, "decided_on"),
        _ => return None,
    })
}

/// An award's events; its drawdown requests (with their purposes) are private.
fn award_telling(event_type: &str) -> Option<Telling> {
    Some(match event_type {
        "AwardMade" => told("Award made", Some("amount"), "awarded_on"),
        "HistoricGrantImported" => told("Earlier grant published", Some("amount"), "awarded_on"),
        "AgreementAccepted" => told("Grant agreement accepted", None, "accepted_on"),
        "PaymentRecorded" => told("Payment recorded", Some("amount"), "paid_on"),
        "AwardVaried" => told(
            "Award changed to a new amount",
            Some("new_amount"),
            "varied_on",
        ),
        "MoneyReturned" => told("Money returned", Some("amount"), "returned_on"),
        "SpendReported" => told("Spending reported", Some("total"), "period_end"),
        "OutcomeReported" => told("Outcome reported", None, "period_end"),
        "AwardClosed" => told("Award closed", None, "closed_on"),
        "BudgetLinesSet" => told("Budget lines set", None, "set_on"),
        "InputRecorded" => told("Contribution recorded", None, "contributed_on"),
        _ => return None,
    })
}

/// A row of the chain joined to its event, and the fund and round of its award or round.
type EventRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
);

/// Up to `first` events before the one numbered `before` (`None`: the newest), newest
/// first, in one statement over the chain (indexed by number) and the log (by position).
pub async fn public_events(
    db: &Database,
    first: u32,
    before: Option<i64>,
) -> Result<PublicEventPage> {
    let recorded_at = match db {
        Database::Postgres(_) => {
            "to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        }
        Database::Sqlite(_) => "substr(e.recorded_at, 1, 19) || 'Z'",
    };
    // The payload is read only for the aggregates whose events can be public.
    let sql = format!(
        "SELECT c.ordinal, c.position, c.hash, {recorded_at}, e.aggregate_type, e.aggregate_id,
                CASE WHEN e.aggregate_type IN ('Fund', 'Round', 'Award')
                     THEN CAST(e.payload AS TEXT) END,
                e.event_type, coalesce(a.fund_id, r.fund_id), a.round_id
           FROM ledger_chain c JOIN events e ON e.position = c.position
           LEFT JOIN rm_awards a ON e.aggregate_type = 'Award' AND a.award_id = e.aggregate_id
           LEFT JOIN rm_rounds r ON e.aggregate_type = 'Round' AND r.round_id = e.aggregate_id
          WHERE c.ordinal < $1
          ORDER BY c.ordinal DESC
          LIMIT $2"
    );
    let before = before.unwrap_or(i64::MAX);
    let limit = i64::from(first) + 1;
    let mut rows: Vec<EventRow> = on_pool!(db, |pool| sqlx::query_as(&sql)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await?);
    let has_earlier = rows.len() > first as usize;
    rows.truncate(first as usize);
    Ok(PublicEventPage {
        events: rows.into_iter().map(public_event).collect(),
        has_earlier,
    })
}

fn public_event(row: EventRow) -> PublicEvent {
    let (
        number,
        position,
        hash,
        recorded_at,
        aggregate_type,
        aggregate_id,
        payload,
        event_type,
        fund,
        round,
    ) = row;
    let private = PublicEvent {
        number,
        position,
        hash,
        recorded_at,
        event_type: None,
        what: PRIVATE_RECORD,
        happened_on: None,
        amount: None,
        fund_id: None,
        round_id: None,
        award_id: None,
    };
    let Some(telling) = telling(&aggregate_type, &event_type) else {
        return private;
    };
    let payload: Value = payload
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null);
    // Stored as the event enum: `{"AwardMade": {…}}`.
    let fields = &payload[event_type.as_str()];
    let text = |name: Option<&str>| {
        name.and_then(|name| fields.get(name))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut event = PublicEvent {
        event_type: Some(event_type.clone()),
        what: telling.what,
        happened_on: text(telling.day).and_then(|day| day.parse().ok()),
        amount: text(telling.amount).and_then(|amount| amount.parse().ok()),
        fund_id: fund,
        round_id: round.or_else(|| text(telling.round)),
        award_id: text(telling.award),
        ..private
    };
    match aggregate_type.as_str() {
        "Fund" => event.fund_id = Some(aggregate_id),
        "Round" => event.round_id = Some(aggregate_id),
        _ => event.award_id = Some(aggregate_id),
    }
    if event_type == "AwardMade" || event_type == "HistoricGrantImported" {
        event.fund_id = event.fund_id.or_else(|| text(Some("fund_id")));
        event.round_id = event.round_id.or_else(|| text(Some("round_id")));
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(aggregate_type: &str, event_type: &str, payload: &str) -> EventRow {
        (
            7,
            9,
            "ab".repeat(32),
            "2026-12-07T12:00:00Z".into(),
            aggregate_type.into(),
            "award-1".into(),
            Some(payload.into()),
            event_type.into(),
            Some("fund-1".into()),
            Some("round-1".into()),
        )
    }

    #[test]
    fn a_payment_shows_its_amount_and_day_but_not_its_reference() {
        let event = public_event(row(
            "Award",
            "PaymentRecorded",
            r#"{"PaymentRecorded":{"drawdown_id":"d1","amount":"250.00","payment_ref":"BACS SECRET","paid_on":"2026-03-01","paid_total":"250.00"}}"#,
        ));
        assert_eq!(event.what, "Payment recorded");
        assert_eq!(event.amount, Some(Decimal::new(25000, 2)));
        assert_eq!(event.happened_on, Some("2026-03-01".parse().unwrap()));
        assert_eq!(event.award_id.as_deref(), Some("award-1"));
        assert_eq!(event.fund_id.as_deref(), Some("fund-1"));
        assert!(!format!("{event:?}").contains("SECRET"));
    }

    #[test]
    fn requests_for_payment_and_applications_are_private_records() {
        for (aggregate, event_type) in [
            ("Award", "DrawdownRequested"),
            ("Application", "ApplicationSubmitted"),
            ("Ballot", "BallotCast"),
        ] {
            let event = public_event(row(
                aggregate,
                event_type,
                r#"{"DrawdownRequested":{"amount":"5.00","purpose":"Rent"}}"#,
            ));
            assert_eq!(event.what, PRIVATE_RECORD);
            assert_eq!(event.amount, None);
            assert_eq!(event.award_id, None);
            assert_eq!(event.fund_id, None);
            assert_eq!(event.event_type, None);
        }
    }
}
