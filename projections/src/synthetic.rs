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
    let awards = (target - 2 - 2 * ROUNDS) / 10;
    let per_round = awards.div_ceil(ROUNDS);
    let budget = Money::pounds(5_000 * per_round as u32);
    let capital = Money::pounds(2_000_000_000);
    push_fund(&mut rows, &fund, capital);
    let mut rounds = push_rounds(&mut rows, &fund, capital, budget);
    for index in 0..awards {
        let award = SyntheticAward::new(index, &fund, &rounds, lsoas);
        push_submission(&mut rows, &award);
        push_approval(&mut rows, &award, &mut rounds);
        push_payment(&mut rows, &award);
        push_reports(&mut rows, &award);
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

/// The fund's establishment and its one tranche of `capital`.
fn push_fund(rows: &mut Vec<EventRow>, fund: &FundId, capital: Money) {
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
}

/// The rounds' running figures as awards are approved from them.
struct Rounds {
    ids: Vec<RoundId>,
    budget: Money,
    /// Each round's last event's sequence.
    sequence: Vec<i64>,
    awarded: Vec<Money>,
}

/// `ROUNDS` rounds of `budget` each: the fund's allocation, then the round's opening.
fn push_rounds(rows: &mut Vec<EventRow>, fund: &FundId, capital: Money, budget: Money) -> Rounds {
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
            panel_sees_scores: domain::round::PanelSeesScores::default(),
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
    Rounds {
        ids: round_ids,
        budget,
        sequence: vec![1i64; ROUNDS],
        awarded: vec![Money::ZERO; ROUNDS],
    }
}

/// The `index`th award of the history and the application it was made from.
struct SyntheticAward {
    index: usize,
    fund: FundId,
    /// Index into `Rounds`.
    round: usize,
    round_id: RoundId,
    application_id: ApplicationId,
    award_id: AwardId,
    org: OrgId,
    neighbourhood: GeoCode,
    themes: Vec<String>,
    amount: Money,
    decided: NaiveDate,
}

impl SyntheticAward {
    fn new(index: usize, fund: &FundId, rounds: &Rounds, lsoas: &[String]) -> SyntheticAward {
        let round = index % ROUNDS;
        let (award_id, org) = award_and_recipient(index);
        SyntheticAward {
            index,
            fund: fund.clone(),
            round,
            round_id: rounds.ids[round].clone(),
            application_id: ApplicationId::new(format!("APP-{index:08}")),
            award_id,
            org,
            neighbourhood: lsoas[index % lsoas.len()]
                .parse()
                .expect("callers pass well-formed LSOA codes"),
            themes: vec![["youth", "food", "elders", "arts"][index % 4].to_string()],
            amount: Money::pounds(5_000),
            decided: day(10 + (index % 500) as u64),
        }
    }
}

fn push_submission(rows: &mut Vec<EventRow>, award: &SyntheticAward) {
    rows.push(row(
        "Application",
        award.application_id.as_str(),
        1,
        &ApplicationEvent::ApplicationSubmitted {
            application_id: award.application_id.clone(),
            round_id: award.round_id.clone(),
            fund_id: award.fund.clone(),
            applicant: award.org.clone(),
            applicant_name: format!("Group {}", award.org),
            title: "Community project".into(),
            description: "A project for the neighbourhood".into(),
            amount_requested: award.amount,
            neighbourhood: award.neighbourhood.clone(),
            themes: award.themes.clone(),
            submitted_on: day(5),
        },
    ));
}

/// The round's approval, the award it makes and the application's record of it.
fn push_approval(rows: &mut Vec<EventRow>, award: &SyntheticAward, rounds: &mut Rounds) {
    let round = award.round;
    rounds.sequence[round] += 1;
    rounds.awarded[round] = rounds.awarded[round].plus(award.amount);
    rows.push(row(
        "Round",
        award.round_id.as_str(),
        rounds.sequence[round],
        &RoundEvent::ApplicationApproved {
            application_id: award.application_id.clone(),
            award_id: award.award_id.clone(),
            fund_id: award.fund.clone(),
            round_id: award.round_id.clone(),
            recipient_org_id: award.org.clone(),
            recipient_name: format!("Group {}", award.org),
            title: "Community project".into(),
            neighbourhood: award.neighbourhood.clone(),
            themes: award.themes.clone(),
            amount: award.amount,
            decided_on: award.decided,
            awarded_total: rounds.awarded[round],
            remaining_after: rounds.budget.saturating_sub(rounds.awarded[round]),
        },
    ));
    rows.push(row(
        "Award",
        award.award_id.as_str(),
        1,
        &AwardEvent::AwardMade {
            award_id: award.award_id.clone(),
            application_id: award.application_id.clone(),
            fund_id: award.fund.clone(),
            round_id: award.round_id.clone(),
            recipient_org_id: award.org.clone(),
            recipient_name: format!("Group {}", award.org),
            title: "Community project".into(),
            neighbourhood: award.neighbourhood.clone(),
            themes: award.themes.clone(),
            amount: award.amount,
            awarded_on: award.decided,
        },
    ));
    rows.push(row(
        "Application",
        award.application_id.as_str(),
        2,
        &ApplicationEvent::ApprovalRecorded {
            award_id: award.award_id.clone(),
            amount: award.amount,
            decided_on: award.decided,
        },
    ));
}

/// Acceptance, then one drawdown of £2,500.00 requested, approved and paid (award
/// sequences 2 to 5).
fn push_payment(rows: &mut Vec<EventRow>, award: &SyntheticAward) {
    let index = award.index;
    let decided = award.decided;
    let award_id = &award.award_id;
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
}

/// One spend report and one outcome report (award sequences 6 and 7).
fn push_reports(rows: &mut Vec<EventRow>, award: &SyntheticAward) {
    let index = award.index;
    let decided = award.decided;
    rows.push(row(
        "Award",
        award.award_id.as_str(),
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
        award.award_id.as_str(),
        7,
        &AwardEvent::OutcomeReported {
            report_id: format!("OUT-{index}"),
            indicator: "people supported".into(),
            quantity: rust_decimal::Decimal::from(40),
            period_end: decided + Days::new(90),
        },
    ));
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
