//! A synthetic but realistic event history for benchmarks (rebuild, load): one fund,
//! `ROUNDS` rounds and awards of £5,000 each with application, approval, acceptance,
//! drawdown, payment and reports, written straight into the events table with bulk inserts
//! (valid histories: every aggregate's sequence is gap-free and every figure consistent).

use chrono::{Days, NaiveDate};
use cqrs_es::DomainEvent;
use domain::application::ApplicationEvent;
use domain::award::{AwardEvent, SpendLine};
use domain::fund::FundEvent;
use domain::round::{DecisionMode, RoundEvent, RoundTerms};
use domain::{ApplicationId, AwardId, DrawdownId, FundId, GeoCode, Money, OrgId, RoundId};
use infrastructure::Database;

/// Rounds the history spreads its awards over.
pub const ROUNDS: usize = 100;
/// The fund every synthetic event belongs to.
pub const FUND_ID: &str = "FUND-BENCH";
const INSERT_BATCH_ROWS: usize = 10_000;

/// One row of the events table.
pub struct EventRow {
    aggregate_type: &'static str,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    payload: String,
}

fn row<E: DomainEvent>(
    aggregate_type: &'static str,
    id: &str,
    sequence: i64,
    event: &E,
) -> EventRow {
    EventRow {
        aggregate_type,
        aggregate_id: id.to_string(),
        sequence,
        event_type: event.event_type(),
        payload: serde_json::to_string(event).expect("domain events serialize to JSON"),
    }
}

/// The id of the `index`th award of the history and of the organisation it was made to
/// (awards are made to 20,000 organisations in turn). Each is accepted, with £2,500.00 of
/// its £5,000.00 paid and the rest undrawn.
pub fn award_and_recipient(index: usize) -> (AwardId, OrgId) {
    (
        AwardId::new(format!("AW-{index:08}")),
        OrgId::new(format!("GB-CHC-{:07}", index % 20_000)),
    )
}

/// The history's calendar: day 0 is 2025-04-01.
pub fn day(offset: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 4, 1)
        .expect("a valid date")
        .checked_add_days(Days::new(offset))
        .expect("synthetic dates stay within chrono's range")
}

/// `target` events (at least a few thousand) spread over `lsoas`, in the order they are written (so commit order is a valid history).
pub fn history(target: usize, lsoas: &[String]) -> Vec<EventRow> {
    let mut rows = Vec::with_capacity(target);
    let fund = FundId::new(FUND_ID);
    let award_amount = Money::pounds(5_000);
    let awards = (target - 2 - 2 * ROUNDS) / 10;
    let per_round = awards.div_ceil(ROUNDS);
    let budget = Money::pounds(5_000 * per_round as u32);
    let capital = Money::pounds(2_000_000_000);
    rows.push(row(
        "Fund",
        fund.as_str(),
        1,
        &FundEvent::FundEstablished {
            fund_id: fund.clone(),
            name: "Bench fund".into(),
            funder_org_id: OrgId::new("GB-COH-00000001"),
            funder_name: "Bench trust".into(),
            established_on: day(0),
        },
    ));
    rows.push(row(
        "Fund",
        fund.as_str(),
        2,
        &FundEvent::CapitalReceived {
            tranche_id: "CAP-1".into(),
            amount: capital,
            source: "endowment".into(),
            received_on: day(0),
            capital_received_total: capital,
            available_after: capital,
        },
    ));
    let mut available = capital;
    let mut round_ids = Vec::new();
    for index in 0..ROUNDS {
        let round_id = RoundId::new(format!("RND-{index:04}"));
        let terms = RoundTerms {
            fund_id: fund.clone(),
            name: format!("Round {index}"),
            opens_on: day(1),
            closes_on: day(700),
            eligible_areas: vec![],
            themes: vec![],
            decision_mode: DecisionMode::Panel,
            min_panel_scores: 0,
        };
        available = available
            .checked_sub(budget)
            .expect("the capital covers every round budget");
        rows.push(row(
            "Fund",
            fund.as_str(),
            3 + index as i64,
            &FundEvent::RoundBudgetAllocated {
                round_id: round_id.clone(),
                budget,
                terms: terms.clone(),
                allocated_on: day(1),
                available_after: available,
            },
        ));
        rows.push(row(
            "Round",
            round_id.as_str(),
            1,
            &RoundEvent::RoundOpened {
                round_id: round_id.clone(),
                budget,
                terms,
            },
        ));
        round_ids.push(round_id);
    }
    let mut round_sequence = vec![1i64; ROUNDS];
    let mut round_awarded = vec![Money::ZERO; ROUNDS];
    for index in 0..awards {
        let round = index % ROUNDS;
        let round_id = &round_ids[round];
        let application_id = ApplicationId::new(format!("APP-{index:08}"));
        let (award_id, org) = award_and_recipient(index);
        let neighbourhood: GeoCode = lsoas[index % lsoas.len()]
            .parse()
            .expect("callers pass well-formed LSOA codes");
        let themes = vec![["youth", "food", "elders", "arts"][index % 4].to_string()];
        let decided = day(10 + (index % 500) as u64);
        rows.push(row(
            "Application",
            application_id.as_str(),
            1,
            &ApplicationEvent::ApplicationSubmitted {
                application_id: application_id.clone(),
                round_id: round_id.clone(),
                fund_id: fund.clone(),
                applicant: org.clone(),
                applicant_name: format!("Group {org}"),
                title: "Community project".into(),
                description: "A project for the neighbourhood".into(),
                amount_requested: award_amount,
                neighbourhood: neighbourhood.clone(),
                themes: themes.clone(),
                submitted_on: day(5),
            },
        ));
        round_sequence[round] += 1;
        round_awarded[round] = round_awarded[round].plus(award_amount);
        rows.push(row(
            "Round",
            round_id.as_str(),
            round_sequence[round],
            &RoundEvent::ApplicationApproved {
                application_id: application_id.clone(),
                award_id: award_id.clone(),
                fund_id: fund.clone(),
                round_id: round_id.clone(),
                recipient_org_id: org.clone(),
                recipient_name: format!("Group {org}"),
                title: "Community project".into(),
                neighbourhood: neighbourhood.clone(),
                themes: themes.clone(),
                amount: award_amount,
                decided_on: decided,
                awarded_total: round_awarded[round],
                remaining_after: budget.saturating_sub(round_awarded[round]),
            },
        ));
        rows.push(row(
            "Award",
            award_id.as_str(),
            1,
            &AwardEvent::AwardMade {
                award_id: award_id.clone(),
                application_id: application_id.clone(),
                fund_id: fund.clone(),
                round_id: round_id.clone(),
                recipient_org_id: org.clone(),
                recipient_name: format!("Group {org}"),
                title: "Community project".into(),
                neighbourhood,
                themes,
                amount: award_amount,
                awarded_on: decided,
            },
        ));
        rows.push(row(
            "Application",
            application_id.as_str(),
            2,
            &ApplicationEvent::ApprovalRecorded {
                award_id: award_id.clone(),
                amount: award_amount,
                decided_on: decided,
            },
        ));
        rows.push(row(
            "Award",
            award_id.as_str(),
            2,
            &AwardEvent::AgreementAccepted {
                accepted_on: decided + Days::new(3),
            },
        ));
        let drawdown = DrawdownId::new(format!("DD-{index:08}"));
        let paid = Money::pounds(2_500);
        rows.push(row(
            "Award",
            award_id.as_str(),
            3,
            &AwardEvent::DrawdownRequested {
                drawdown_id: drawdown.clone(),
                amount: paid,
                purpose: "first half".into(),
                requested_on: decided + Days::new(5),
            },
        ));
        rows.push(row(
            "Award",
            award_id.as_str(),
            4,
            &AwardEvent::DrawdownApproved {
                drawdown_id: drawdown.clone(),
                amount: paid,
                approved_on: decided + Days::new(6),
            },
        ));
        rows.push(row(
            "Award",
            award_id.as_str(),
            5,
            &AwardEvent::PaymentRecorded {
                drawdown_id: drawdown,
                amount: paid,
                payment_ref: format!("BACS-{index}"),
                paid_on: decided + Days::new(7),
                paid_total: paid,
            },
        ));
        rows.push(row(
            "Award",
            award_id.as_str(),
            6,
            &AwardEvent::SpendReported {
                report_id: format!("SPEND-{index}"),
                period_start: decided,
                period_end: decided + Days::new(90),
                lines: vec![SpendLine {
                    category: "staff".into(),
                    amount: Money::pounds(2_000),
                }],
                total: Money::pounds(2_000),
            },
        ));
        rows.push(row(
            "Award",
            award_id.as_str(),
            7,
            &AwardEvent::OutcomeReported {
                report_id: format!("OUT-{index}"),
                indicator: "people supported".into(),
                quantity: rust_decimal::Decimal::from(40),
                period_end: decided + Days::new(90),
            },
        ));
    }
    // Pad to the exact size with reports on the last award.
    let mut sequence = 8;
    let last = AwardId::new(format!("AW-{:08}", awards - 1));
    while rows.len() < target {
        rows.push(row(
            "Award",
            last.as_str(),
            sequence,
            &AwardEvent::OutcomeReported {
                report_id: format!("OUT-PAD-{sequence}"),
                indicator: "people supported".into(),
                quantity: rust_decimal::Decimal::ONE,
                period_end: day(600),
            },
        ));
        sequence += 1;
    }
    rows
}

/// Appends `rows` to a PostgreSQL events table in commit order, in multi-row inserts.
pub async fn bulk_insert(db: &Database, rows: &[EventRow]) -> Result<(), sqlx::Error> {
    let Database::Postgres(pool) = db else {
        return Err(sqlx::Error::Configuration(
            "synthetic histories are bulk-loaded into PostgreSQL only".into(),
        ));
    };
    for chunk in rows.chunks(INSERT_BATCH_ROWS) {
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
             SELECT t, i, s, e, '1', p::json, '{}'::json
               FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY AS u(t, i, s, e, p, n)
              ORDER BY n",
        )
        .bind(chunk.iter().map(|row| row.aggregate_type.to_string()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|row| row.aggregate_id.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|row| row.sequence).collect::<Vec<_>>())
        .bind(chunk.iter().map(|row| row.event_type.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|row| row.payload.clone()).collect::<Vec<_>>())
        .execute(pool)
        .await?;
    }
    Ok(())
}
