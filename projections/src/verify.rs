//! `fundledger verify`: recomputes the hash chain from the events and checks every read
//! model against a fresh fold of the events. The fold here is written separately from
//! the projector's (plain maps, `Decimal` pounds, one event at a time), so a bug or an edit
//! in either shows up as a difference.
//!
//! Only events the projector has reached are compared (its checkpoint), so verifying a
//! store while a server runs reports differences, not lag.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use domain::application::ApplicationEvent;
use domain::award::AwardEvent;
use domain::fund::FundEvent;
use domain::round::RoundEvent;
use domain::Money;
use infrastructure::{Database, LogCursor};
use rust_decimal::Decimal;

use crate::chain::{next_hash, parse_hash, GENESIS_HASH};
use crate::fold::{
    decode, ApplicationState, AwardState, Decoded, DrawdownState, FundState, OutcomeState,
    ProxyState, RoundState, APPLICATION_COLUMNS, AWARD_COLUMNS, DRAWDOWN_COLUMNS, FUND_COLUMNS,
    OUTCOME_COLUMNS, PROXY_COLUMNS, ROUND_COLUMNS,
};
use crate::projector::PROJECTIONS_READER;
use crate::{on_pool, to_pence, ProjectionError};

/// Events read per round trip while verifying.
const VERIFY_BATCH_EVENTS: i64 = 10_000;
/// How long verify waits for the log to be readable up to its head (PostgreSQL).
const VERIFY_READABLE_WAIT: Duration = Duration::from_secs(30);
/// Differences listed in a report (the first is the one that matters).
const MAX_REPORTED_MISMATCHES: usize = 20;

/// What verify found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Events in the log (readable ones).
    pub events: u64,
    /// Events the projector had reached, which the comparison covers.
    pub projected: u64,
    /// The recomputed chain head at the projector's checkpoint.
    pub head: String,
    /// Differences in the order found: chain first, then each table by key.
    pub mismatches: Vec<String>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.mismatches.is_empty()
    }

    pub(crate) fn mismatch(&mut self, text: String) {
        if self.mismatches.len() < MAX_REPORTED_MISMATCHES {
            self.mismatches.push(text);
        }
    }
}

#[derive(Default)]
struct Expected {
    funds: BTreeMap<String, FundFold>,
    fund_daily: BTreeMap<(String, String), [Decimal; 6]>,
    rounds: BTreeMap<String, RoundState>,
    round_money: BTreeMap<String, [Decimal; 3]>,
    applications: BTreeMap<String, ApplicationState>,
    awards: BTreeMap<String, AwardFold>,
    award_daily: BTreeMap<(String, String), [Decimal; 4]>,
    themes: BTreeSet<(String, String)>,
    drawdowns: BTreeMap<(String, String), DrawdownState>,
    /// (fund, indicator) → the proxy set last.
    proxies: BTreeMap<(String, String), ProxyState>,
    /// (award, report id) → the report.
    outcomes: BTreeMap<(String, String), OutcomeState>,
    votes: crate::votes::Expected,
    priority_lists: crate::priority_areas::Expected,
}

struct FundFold {
    row: FundState,
    received: Decimal,
    allocated: Decimal,
    awarded: Decimal,
    paid: Decimal,
    returned: Decimal,
    available: Decimal,
}

struct AwardFold {
    row: AwardState,
    awarded: Decimal,
    paid: Decimal,
    returned: Decimal,
    spend: Decimal,
}

fn d(money: &Money) -> Decimal {
    money.amount()
}

/// Recomputes the chain and folds the log, then compares with the stored chain and every
/// read-model table. Never changes anything.
pub async fn verify(db: &Database) -> Result<VerifyReport, ProjectionError> {
    let mut report = VerifyReport::default();
    let head = db.head_position().await?;
    if !db.wait_until_readable(head, VERIFY_READABLE_WAIT).await? {
        return Err(ProjectionError::Timeout {
            what: format!("the log to be readable up to position {head}"),
            waited_ms: VERIFY_READABLE_WAIT.as_millis() as u64,
        });
    }
    let checkpoint = db.load_checkpoint(PROJECTIONS_READER).await?;
    let mut expected = Expected::default();
    let mut previous = parse_hash(GENESIS_HASH).expect("genesis is a hash");
    let mut cursor = LogCursor::START;
    let mut ordinal = 0i64;
    let mut chain_ok = true;
    loop {
        let events = db.read_log(cursor, VERIFY_BATCH_EVENTS).await?;
        let Some(last) = events.last() else { break };
        cursor = last.cursor();
        let stored: Vec<(i64, i64, String)> = on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT ordinal, position, hash FROM ledger_chain WHERE ordinal > $1 ORDER BY ordinal LIMIT $2"
        )
        .bind(ordinal)
        .bind(events.len() as i64)
        .fetch_all(pool)
        .await?
        });
        for (index, event) in events.iter().enumerate() {
            report.events += 1;
            ordinal += 1;
            if event.cursor() > checkpoint {
                continue;
            }
            report.projected += 1;
            previous = next_hash(&previous, event);
            let hash = hex::encode(previous);
            match stored.get(index) {
                Some((stored_ordinal, position, stored_hash)) if chain_ok => {
                    if *stored_ordinal != ordinal || *position != event.position {
                        chain_ok = false;
                        report.mismatch(format!(
                            "hash chain: link {ordinal} should be event {} but the chain has {position} there",
                            event.position
                        ));
                    } else if *stored_hash != hash {
                        chain_ok = false;
                        report.mismatch(format!(
                            "hash chain: event at position {} ({} {} #{}) hashes to {hash} but the chain stores \
                             {stored_hash}: the event or the chain was changed",
                            event.position, event.aggregate_type, event.aggregate_id, event.sequence
                        ));
                    }
                }
                None if chain_ok => {
                    chain_ok = false;
                    report.mismatch(format!(
                        "hash chain: no link for projected event at position {}",
                        event.position
                    ));
                }
                _ => {}
            }
            match decode(event) {
                Ok(decoded) => {
                    expected
                        .votes
                        .fold(&mut report, event.cursor(), &event.aggregate_id, &decoded);
                    expected.priority_lists.fold(&event.aggregate_id, &decoded);
                    fold(
                        &mut expected,
                        &mut report,
                        event.position,
                        &event.aggregate_id,
                        decoded,
                    )
                }
                Err(error) => report.mismatch(error.to_string()),
            }
        }
    }
    report.head = hex::encode(previous);
    let stored_links: i64 = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT count(*) FROM ledger_chain"
    )
    .fetch_one(pool)
    .await?);
    if chain_ok && stored_links as u64 != report.projected {
        report.mismatch(format!(
            "hash chain: {stored_links} links stored for {} projected events",
            report.projected
        ));
    }
    compare(db, &expected, &mut report).await?;
    expected.votes.compare(db, &mut report).await?;
    expected.priority_lists.compare(db, &mut report).await?;
    crate::geography_check::compare_geography_ancestors(db, &mut report).await?;
    Ok(report)
}

fn fold(
    expected: &mut Expected,
    report: &mut VerifyReport,
    position: i64,
    id: &str,
    decoded: Decoded,
) {
    let missing = |report: &mut VerifyReport, what: &str| {
        report.mismatch(format!(
            "event at position {position} refers to unknown {what} {id}"
        ))
    };
    match decoded {
        Decoded::Fund(event) => {
            if let FundEvent::FundEstablished {
                fund_id,
                name,
                funder_org_id,
                funder_name,
                established_on,
            } = &event
            {
                expected.funds.insert(
                    id.to_string(),
                    FundFold {
                        row: FundState {
                            fund_id: fund_id.to_string(),
                            name: name.clone(),
                            funder_org_id: funder_org_id.to_string(),
                            funder_name: funder_name.clone(),
                            established_on: established_on.to_string(),
                            received_pence: 0,
                            allocated_pence: 0,
                            awarded_pence: 0,
                            paid_pence: 0,
                            returned_pence: 0,
                            available_pence: 0,
                        },
                        received: Decimal::ZERO,
                        allocated: Decimal::ZERO,
                        awarded: Decimal::ZERO,
                        paid: Decimal::ZERO,
                        returned: Decimal::ZERO,
                        available: Decimal::ZERO,
                    },
                );
                return;
            }
            let Some(fund) = expected.funds.get_mut(id) else {
                return missing(report, "fund");
            };
            if let FundEvent::OutcomeProxySet {
                indicator,
                proxy,
                set_on,
            } = event
            {
                let row = ProxyState {
                    fund_id: id.to_string(),
                    indicator: indicator.clone(),
                    unit: proxy.unit,
                    value_per_unit_pence: to_pence(d(&proxy.value_per_unit)),
                    deadweight: proxy.deadweight.value().to_string(),
                    attribution: proxy.attribution.value().to_string(),
                    displacement: proxy.displacement.value().to_string(),
                    drop_off: proxy.drop_off.value().to_string(),
                    duration_years: i64::from(proxy.duration_years),
                    set_on: set_on.to_string(),
                };
                // A later proxy for the same indicator replaces the earlier one.
                expected.proxies.insert((id.to_string(), indicator), row);
                return;
            }
            // Folded by `priority_areas::Expected`; no money moves.
            if let FundEvent::PriorityAreasDeclared { .. } = event {
                return;
            }
            // [received, allocated, awarded, paid, returned, available]
            let (day, change, carried) = match &event {
                FundEvent::CapitalReceived {
                    amount,
                    received_on,
                    available_after,
                    ..
                } => (
                    received_on,
                    [
                        d(amount),
                        Decimal::ZERO,
                        Decimal::ZERO,
                        Decimal::ZERO,
                        Decimal::ZERO,
                        d(amount),
                    ],
                    available_after,
                ),
                FundEvent::RoundBudgetAllocated {
                    budget,
                    allocated_on,
                    available_after,
                    ..
                } => (
                    allocated_on,
                    [
                        Decimal::ZERO,
                        d(budget),
                        Decimal::ZERO,
                        Decimal::ZERO,
                        Decimal::ZERO,
                        -d(budget),
                    ],
                    available_after,
                ),
                FundEvent::RoundBudgetReleased {
                    amount,
                    released_on,
                    available_after,
                    ..
                } => (
                    released_on,
                    [
                        Decimal::ZERO,
                        -d(amount),
                        Decimal::ZERO,
                        Decimal::ZERO,
                        Decimal::ZERO,
                        d(amount),
                    ],
                    available_after,
                ),
                FundEvent::ReturnCredited {
                    amount,
                    credited_on,
                    available_after,
                    ..
                } => (
                    credited_on,
                    [
                        Decimal::ZERO,
                        Decimal::ZERO,
                        Decimal::ZERO,
                        Decimal::ZERO,
                        Decimal::ZERO,
                        d(amount),
                    ],
                    available_after,
                ),
                FundEvent::FundEstablished { .. }
                | FundEvent::OutcomeProxySet { .. }
                | FundEvent::PriorityAreasDeclared { .. } => {
                    unreachable!("handled above")
                }
            };
            fund.received += change[0];
            fund.allocated += change[1];
            fund.available += change[5];
            if fund.available != d(carried) {
                report.mismatch(format!(
                    "event at position {position}: fund {id} available folds to {} but the event carries {}",
                    fund.available,
                    d(carried)
                ));
            }
            add(
                expected
                    .fund_daily
                    .entry((id.to_string(), day.to_string()))
                    .or_default(),
                &change,
            );
        }
        Decoded::Round(event) => match event {
            RoundEvent::RoundOpened {
                round_id,
                budget,
                terms,
            } => {
                expected.rounds.insert(
                    id.to_string(),
                    RoundState {
                        round_id: round_id.to_string(),
                        fund_id: terms.fund_id.to_string(),
                        name: terms.name.clone(),
                        status: "open".into(),
                        opens_on: terms.opens_on.to_string(),
                        closes_on: terms.closes_on.to_string(),
                        closed_on: None,
                        decision_mode: match terms.decision_mode {
                            domain::round::DecisionMode::Panel => "PANEL".into(),
                            domain::round::DecisionMode::Participatory => "PARTICIPATORY".into(),
                        },
                        themes: serde_json::to_string(&terms.themes).unwrap_or_default(),
                        eligible_areas: serde_json::to_string(&terms.eligible_areas)
                            .unwrap_or_default(),
                        budget_pence: 0,
                        awarded_pence: 0,
                        returned_to_fund_pence: 0,
                    },
                );
                expected
                    .round_money
                    .insert(id.to_string(), [d(&budget), Decimal::ZERO, Decimal::ZERO]);
            }
            other => {
                let (Some(round), Some(money)) = (
                    expected.rounds.get_mut(id),
                    expected.round_money.get_mut(id),
                ) else {
                    return missing(report, "round");
                };
                match other {
                    RoundEvent::ApplicationApproved { amount, .. } => money[1] += d(&amount),
                    RoundEvent::VariationReserved { increase, .. } => money[1] += d(&increase),
                    RoundEvent::VariationReleased {
                        decrease,
                        released_to_fund,
                        ..
                    } => {
                        money[1] -= d(&decrease);
                        if released_to_fund {
                            money[2] += d(&decrease);
                        }
                    }
                    RoundEvent::RoundClosed {
                        closed_on,
                        unawarded,
                        ..
                    } => {
                        round.status = "closed".into();
                        round.closed_on = Some(closed_on.to_string());
                        money[2] += d(&unawarded);
                    }
                    // Vote counts are folded by `votes::Expected`; no money moves.
                    RoundEvent::BallotCodesIssued { .. }
                    | RoundEvent::VotingClosed { .. }
                    | RoundEvent::VotesAllocated { .. } => {}
                    RoundEvent::RoundOpened { .. } => unreachable!("handled above"),
                }
            }
        },
        Decoded::Application(event) => match event {
            ApplicationEvent::ApplicationSubmitted {
                application_id,
                round_id,
                fund_id,
                applicant,
                applicant_name,
                title,
                amount_requested,
                neighbourhood,
                themes,
                submitted_on,
                ..
            } => {
                expected.applications.insert(
                    id.to_string(),
                    ApplicationState {
                        application_id: application_id.to_string(),
                        round_id: round_id.to_string(),
                        fund_id: fund_id.to_string(),
                        applicant_org_id: applicant.to_string(),
                        applicant_name,
                        title,
                        amount_requested_pence: to_pence(d(&amount_requested)),
                        neighbourhood: neighbourhood.as_str().to_string(),
                        themes: serde_json::to_string(&themes).unwrap_or_default(),
                        status: "submitted".into(),
                        submitted_on: submitted_on.to_string(),
                        decided_on: None,
                        award_id: None,
                        approved_pence: None,
                    },
                );
            }
            ApplicationEvent::ConflictDeclared { .. }
            | ApplicationEvent::ApplicationScored { .. } => {}
            other => {
                let Some(application) = expected.applications.get_mut(id) else {
                    return missing(report, "application");
                };
                match other {
                    ApplicationEvent::ApplicationWithdrawn { withdrawn_on } => {
                        application.status = "withdrawn".into();
                        application.decided_on = Some(withdrawn_on.to_string());
                    }
                    ApplicationEvent::ApplicationDeclined { decided_on, .. } => {
                        application.status = "declined".into();
                        application.decided_on = Some(decided_on.to_string());
                    }
                    ApplicationEvent::ApprovalRecorded {
                        award_id,
                        amount,
                        decided_on,
                    } => {
                        application.status = "approved".into();
                        application.decided_on = Some(decided_on.to_string());
                        application.award_id = Some(award_id.to_string());
                        application.approved_pence = Some(to_pence(d(&amount)));
                    }
                    _ => {}
                }
            }
        },
        Decoded::Award(event) => {
            if let AwardEvent::AwardMade {
                application_id,
                fund_id,
                round_id,
                recipient_org_id,
                recipient_name,
                title,
                neighbourhood,
                themes,
                amount,
                awarded_on,
                ..
            } = &event
            {
                for theme in themes {
                    expected.themes.insert((id.to_string(), theme.clone()));
                }
                expected.awards.insert(
                    id.to_string(),
                    AwardFold {
                        row: AwardState {
                            award_id: id.to_string(),
                            application_id: Some(application_id.to_string()),
                            fund_id: fund_id.to_string(),
                            round_id: Some(round_id.to_string()),
                            recipient_org_id: recipient_org_id.to_string(),
                            recipient_name: recipient_name.clone(),
                            title: title.clone(),
                            neighbourhood: Some(neighbourhood.as_str().to_string()),
                            themes: serde_json::to_string(themes).unwrap_or_default(),
                            status: "offered".into(),
                            awarded_on: awarded_on.to_string(),
                            accepted_on: None,
                            closed_on: None,
                            awarded_pence: 0,
                            paid_pence: 0,
                            returned_pence: 0,
                            spend_reported_pence: 0,
                            grant_id: None,
                            modified_on: awarded_on.to_string(),
                            published_grant: None,
                        },
                        awarded: d(amount),
                        paid: Decimal::ZERO,
                        returned: Decimal::ZERO,
                        spend: Decimal::ZERO,
                    },
                );
                let key = (id.to_string(), awarded_on.to_string());
                add(
                    expected.award_daily.entry(key).or_default(),
                    &[d(amount), Decimal::ZERO, Decimal::ZERO, Decimal::ZERO],
                );
                match expected.funds.get_mut(fund_id.as_str()) {
                    Some(fund) => fund.awarded += d(amount),
                    None => return missing(report, "fund of award"),
                }
                let key = (fund_id.to_string(), awarded_on.to_string());
                add(
                    expected.fund_daily.entry(key).or_default(),
                    &[
                        Decimal::ZERO,
                        Decimal::ZERO,
                        d(amount),
                        Decimal::ZERO,
                        Decimal::ZERO,
                        Decimal::ZERO,
                    ],
                );
                return;
            }
            if let AwardEvent::HistoricGrantImported(grant) = &event {
                let awarded = d(&grant.amount);
                let paid = grant.disbursed.as_ref().map(d).unwrap_or(Decimal::ZERO);
                if paid > awarded {
                    report.mismatch(format!(
                        "event at position {position}: historic award {id} carries disbursed {paid} above its {awarded}"
                    ));
                }
                for theme in &grant.themes {
                    expected.themes.insert((id.to_string(), theme.clone()));
                }
                expected.awards.insert(
                    id.to_string(),
                    AwardFold {
                        row: AwardState {
                            award_id: id.to_string(),
                            application_id: None,
                            fund_id: grant.fund_id.to_string(),
                            round_id: None,
                            recipient_org_id: grant.recipient_org_id.to_string(),
                            recipient_name: grant.recipient_name.clone(),
                            title: grant.title.clone(),
                            neighbourhood: grant
                                .neighbourhood
                                .as_ref()
                                .map(|code| code.to_string()),
                            themes: serde_json::to_string(&grant.themes).unwrap_or_default(),
                            status: "historic".into(),
                            awarded_on: grant.awarded_on.to_string(),
                            accepted_on: None,
                            closed_on: None,
                            awarded_pence: 0,
                            paid_pence: 0,
                            returned_pence: 0,
                            spend_reported_pence: 0,
                            grant_id: Some(grant.grant_id.clone()),
                            modified_on: grant.awarded_on.to_string(),
                            published_grant: grant.published.clone(),
                        },
                        awarded,
                        paid,
                        returned: Decimal::ZERO,
                        spend: Decimal::ZERO,
                    },
                );
                let day = grant.awarded_on.to_string();
                add(
                    expected
                        .award_daily
                        .entry((id.to_string(), day.clone()))
                        .or_default(),
                    &[awarded, paid, Decimal::ZERO, Decimal::ZERO],
                );
                // Awarded and paid, never allocated or available (see fold.rs).
                match expected.funds.get_mut(grant.fund_id.as_str()) {
                    Some(fund) => {
                        fund.awarded += awarded;
                        fund.paid += paid;
                    }
                    None => return missing(report, "fund of historic award"),
                }
                add(
                    expected
                        .fund_daily
                        .entry((grant.fund_id.to_string(), day))
                        .or_default(),
                    &[
                        Decimal::ZERO,
                        Decimal::ZERO,
                        awarded,
                        paid,
                        Decimal::ZERO,
                        Decimal::ZERO,
                    ],
                );
                return;
            }
            let Some(award) = expected.awards.get_mut(id) else {
                return missing(report, "award");
            };
            let fund_id = award.row.fund_id.clone();
            if let Some(day) = changes_publication_on(&event) {
                award.row.modified_on = award.row.modified_on.clone().max(day);
            }
            // [awarded, paid, returned, spend] for the award; the fund gets the first three.
            let mut money_change: Option<(String, [Decimal; 4])> = None;
            match event {
                AwardEvent::AgreementAccepted { accepted_on } => {
                    award.row.status = "active".into();
                    award.row.accepted_on = Some(accepted_on.to_string());
                }
                AwardEvent::DrawdownRequested {
                    drawdown_id,
                    amount,
                    purpose,
                    requested_on,
                } => {
                    expected.drawdowns.insert(
                        (id.to_string(), drawdown_id.to_string()),
                        DrawdownState {
                            award_id: id.to_string(),
                            drawdown_id: drawdown_id.to_string(),
                            amount_pence: to_pence(d(&amount)),
                            purpose,
                            status: "requested".into(),
                            requested_on: requested_on.to_string(),
                            decided_on: None,
                            paid_on: None,
                            payment_ref: None,
                            reason: None,
                        },
                    );
                }
                AwardEvent::DrawdownApproved {
                    drawdown_id,
                    approved_on,
                    ..
                } => match expected
                    .drawdowns
                    .get_mut(&(id.to_string(), drawdown_id.to_string()))
                {
                    Some(drawdown) => {
                        drawdown.status = "approved".into();
                        drawdown.decided_on = Some(approved_on.to_string());
                    }
                    None => missing(report, "drawdown of award"),
                },
                AwardEvent::DrawdownRejected {
                    drawdown_id,
                    reason,
                    rejected_on,
                    ..
                } => match expected
                    .drawdowns
                    .get_mut(&(id.to_string(), drawdown_id.to_string()))
                {
                    Some(drawdown) => {
                        drawdown.status = "rejected".into();
                        drawdown.decided_on = Some(rejected_on.to_string());
                        drawdown.reason = Some(reason);
                    }
                    None => missing(report, "drawdown of award"),
                },
                AwardEvent::PaymentRecorded {
                    drawdown_id,
                    amount,
                    payment_ref,
                    paid_on,
                    paid_total,
                } => {
                    if award.paid + d(&amount) != d(&paid_total) {
                        report.mismatch(format!(
                            "event at position {position}: award {id} paid folds to {} but the event carries {}",
                            award.paid + d(&amount),
                            d(&paid_total)
                        ));
                    }
                    match expected
                        .drawdowns
                        .get_mut(&(id.to_string(), drawdown_id.to_string()))
                    {
                        Some(drawdown) => {
                            drawdown.status = "paid".into();
                            drawdown.paid_on = Some(paid_on.to_string());
                            drawdown.payment_ref = Some(payment_ref);
                        }
                        None => missing(report, "drawdown of award"),
                    }
                    money_change = Some((
                        paid_on.to_string(),
                        [Decimal::ZERO, d(&amount), Decimal::ZERO, Decimal::ZERO],
                    ));
                }
                AwardEvent::AwardVaried {
                    old_amount,
                    new_amount,
                    varied_on,
                    ..
                } => {
                    money_change = Some((
                        varied_on.to_string(),
                        [
                            d(&new_amount) - d(&old_amount),
                            Decimal::ZERO,
                            Decimal::ZERO,
                            Decimal::ZERO,
                        ],
                    ));
                }
                AwardEvent::MoneyReturned {
                    amount,
                    returned_on,
                    returned_total,
                    ..
                } => {
                    if award.returned + d(&amount) != d(&returned_total) {
                        report.mismatch(format!(
                            "event at position {position}: award {id} returned folds to {} but the event carries {}",
                            award.returned + d(&amount),
                            d(&returned_total)
                        ));
                    }
                    // After the close the award counts at what it cost, which this lowers.
                    let drop = if award.row.status == "closed" {
                        d(&amount)
                    } else {
                        Decimal::ZERO
                    };
                    lower_round_awarded(&mut expected.round_money, &award.row, drop);
                    money_change = Some((
                        returned_on.to_string(),
                        [-drop, Decimal::ZERO, d(&amount), Decimal::ZERO],
                    ));
                }
                AwardEvent::SpendReported {
                    total, period_end, ..
                } => {
                    money_change = Some((
                        period_end.to_string(),
                        [Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, d(&total)],
                    ));
                }
                AwardEvent::OutcomeReported {
                    report_id,
                    indicator,
                    quantity,
                    period_end,
                } => {
                    let key = (id.to_string(), report_id.clone());
                    if expected.outcomes.contains_key(&key) {
                        report.mismatch(format!(
                            "event at position {position}: award {id} reports {report_id} a second time"
                        ));
                    }
                    expected.outcomes.insert(
                        key,
                        OutcomeState {
                            award_id: id.to_string(),
                            report_id,
                            indicator,
                            quantity: quantity.normalize().to_string(),
                            period_end: period_end.to_string(),
                        },
                    );
                }
                AwardEvent::AwardClosed {
                    closed_on,
                    released,
                    final_amount,
                } => {
                    award.row.status = "closed".into();
                    award.row.closed_on = Some(closed_on.to_string());
                    // Undrawn goes back to the fund; the award counts at what it cost.
                    let undrawn = award.awarded - award.paid;
                    let cost = award.paid - award.returned;
                    for (name, carried, folded) in [
                        ("released", released, undrawn),
                        ("final amount", final_amount, cost),
                    ] {
                        if let Some(carried) = carried.filter(|carried| d(carried) != folded) {
                            report.mismatch(format!(
                                "event at position {position}: award {id} close {name} folds to {folded} but the event carries {}",
                                d(&carried)
                            ));
                        }
                    }
                    let drop = award.awarded - cost;
                    lower_round_awarded(&mut expected.round_money, &award.row, drop);
                    money_change = Some((
                        closed_on.to_string(),
                        [-drop, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO],
                    ));
                }
                AwardEvent::AwardMade { .. } | AwardEvent::HistoricGrantImported(_) => {
                    unreachable!("handled above")
                }
            }
            if let Some((day, change)) = money_change {
                award.awarded += change[0];
                award.paid += change[1];
                award.returned += change[2];
                award.spend += change[3];
                add(
                    expected
                        .award_daily
                        .entry((id.to_string(), day.clone()))
                        .or_default(),
                    &change,
                );
                if change[..3].iter().any(|amount| !amount.is_zero()) {
                    match expected.funds.get_mut(&fund_id) {
                        Some(fund) => {
                            fund.awarded += change[0];
                            fund.paid += change[1];
                            fund.returned += change[2];
                        }
                        None => return missing(report, "fund of award"),
                    }
                    add(
                        expected.fund_daily.entry((fund_id, day)).or_default(),
                        &[
                            Decimal::ZERO,
                            Decimal::ZERO,
                            change[0],
                            change[1],
                            change[2],
                            Decimal::ZERO,
                        ],
                    );
                }
            }
        }
        Decoded::Ballot(_) | Decoded::Other => {}
    }
}

/// The date an award event changes the award's published 360Giving record on, if it does
/// (verify's own reading of `rm_awards.modified_on`, apart from the fold's).
fn changes_publication_on(event: &AwardEvent) -> Option<String> {
    let day = match event {
        AwardEvent::AgreementAccepted { accepted_on, .. } => accepted_on,
        AwardEvent::PaymentRecorded { paid_on, .. } => paid_on,
        AwardEvent::AwardVaried { varied_on, .. } => varied_on,
        AwardEvent::MoneyReturned { returned_on, .. } => returned_on,
        AwardEvent::AwardClosed { closed_on, .. } => closed_on,
        // Made or imported: the row starts at its award date.
        _ => return None,
    };
    Some(day.to_string())
}

/// A closed award's drop in awarded leaves its round's awarded and counts as given back
/// to the fund, so the round's remaining budget does not move.
fn lower_round_awarded(
    round_money: &mut BTreeMap<String, [Decimal; 3]>,
    award: &AwardState,
    drop: Decimal,
) {
    if let Some(money) = award
        .round_id
        .as_ref()
        .and_then(|round_id| round_money.get_mut(round_id))
    {
        money[1] -= drop;
        money[2] += drop;
    }
}

/// fund_id, day and the six figures of `rm_fund_daily`.
type FundDailyRow = (String, String, i64, i64, i64, i64, i64, i64);

fn add<const N: usize>(total: &mut [Decimal; N], change: &[Decimal; N]) {
    for (total, change) in total.iter_mut().zip(change) {
        *total += *change;
    }
}

fn pence<const N: usize>(amounts: &[Decimal; N]) -> [i64; N] {
    amounts.map(to_pence)
}

/// Compares `expected` with `actual` by key, reporting rows missing, extra or different.
pub(crate) fn compare_maps<K: Ord + std::fmt::Debug, V: PartialEq + std::fmt::Debug>(
    report: &mut VerifyReport,
    table: &str,
    expected: &BTreeMap<K, V>,
    actual: &BTreeMap<K, V>,
) {
    for (key, want) in expected {
        match actual.get(key) {
            None => report.mismatch(format!(
                "{table}: row {key:?} is missing; the events give {want:?}"
            )),
            Some(have) if have != want => report.mismatch(format!(
                "{table}: row {key:?}: {} (stored row {have:?})",
                differences(&format!("{have:?}"), &format!("{want:?}"))
            )),
            Some(_) => {}
        }
    }
    for (key, have) in actual {
        if !expected.contains_key(key) {
            report.mismatch(format!(
                "{table}: row {key:?} ({have:?}) has no events behind it"
            ));
        }
    }
}

/// "field is X but the events give Y" for each field whose Debug text differs.
fn differences(have: &str, want: &str) -> String {
    let fields = |text: &str| -> Vec<String> {
        let inner = text
            .split_once('{')
            .map(|(_, rest)| rest.trim_end_matches('}'))
            .unwrap_or(text);
        inner
            .split(", ")
            .map(|field| field.trim().to_string())
            .collect()
    };
    let (have, want) = (fields(have), fields(want));
    let diffs: Vec<String> = have
        .iter()
        .zip(&want)
        .filter(|(have, want)| have != want)
        .map(|(have, want)| {
            let name = have.split_once(": ").map(|(name, _)| name).unwrap_or("");
            let stored = have
                .split_once(": ")
                .map(|(_, value)| value)
                .unwrap_or(have);
            let expected = want
                .split_once(": ")
                .map(|(_, value)| value)
                .unwrap_or(want);
            format!("{name} is {stored} but the events give {expected}")
        })
        .collect();
    if diffs.is_empty() || have.len() != want.len() {
        return "differs from the events".to_string();
    }
    diffs.join("; ")
}

async fn compare(
    db: &Database,
    expected: &Expected,
    report: &mut VerifyReport,
) -> Result<(), ProjectionError> {
    let funds: Vec<FundState> = on_pool!(db, |pool| sqlx::query_as(&format!(
        "SELECT {FUND_COLUMNS} FROM rm_funds"
    ))
    .fetch_all(pool)
    .await?);
    let want: BTreeMap<String, FundState> = expected
        .funds
        .iter()
        .map(|(id, fund)| {
            let mut row = fund.row.clone();
            row.received_pence = to_pence(fund.received);
            row.allocated_pence = to_pence(fund.allocated);
            row.awarded_pence = to_pence(fund.awarded);
            row.paid_pence = to_pence(fund.paid);
            row.returned_pence = to_pence(fund.returned);
            row.available_pence = to_pence(fund.available);
            (id.clone(), row)
        })
        .collect();
    let have = funds
        .into_iter()
        .map(|row| (row.fund_id.clone(), row))
        .collect();
    compare_maps(report, "rm_funds (fund position)", &want, &have);

    let daily: Vec<FundDailyRow> = on_pool!(db, |pool| {
        sqlx::query_as(
        "SELECT fund_id, day, received_pence, allocated_pence, awarded_pence, paid_pence, returned_pence, available_pence
           FROM rm_fund_daily"
    )
    .fetch_all(pool)
    .await?
    });
    let want: BTreeMap<(String, String), [i64; 6]> = expected
        .fund_daily
        .iter()
        .map(|(key, amounts)| (key.clone(), pence(amounts)))
        .filter(|(_, amounts)| amounts.iter().any(|amount| *amount != 0))
        .collect();
    let have = daily
        .into_iter()
        .map(|(fund, day, a, b, c, e, f, g)| ((fund, day), [a, b, c, e, f, g]))
        .filter(|(_, amounts)| amounts.iter().any(|amount| *amount != 0))
        .collect();
    compare_maps(report, "rm_fund_daily (fund series)", &want, &have);

    let rounds: Vec<RoundState> = on_pool!(db, |pool| sqlx::query_as(&format!(
        "SELECT {ROUND_COLUMNS} FROM rm_rounds"
    ))
    .fetch_all(pool)
    .await?);
    let want: BTreeMap<String, RoundState> = expected
        .rounds
        .iter()
        .map(|(id, round)| {
            let mut row = round.clone();
            if let Some(money) = expected.round_money.get(id) {
                row.budget_pence = to_pence(money[0]);
                row.awarded_pence = to_pence(money[1]);
                row.returned_to_fund_pence = to_pence(money[2]);
            }
            (id.clone(), row)
        })
        .collect();
    let have = rounds
        .into_iter()
        .map(|row| (row.round_id.clone(), row))
        .collect();
    compare_maps(report, "rm_rounds (round summary)", &want, &have);

    let applications: Vec<ApplicationState> = on_pool!(db, |pool| sqlx::query_as(&format!(
        "SELECT {APPLICATION_COLUMNS} FROM rm_applications"
    ))
    .fetch_all(pool)
    .await?);
    let have = applications
        .into_iter()
        .map(|row| (row.application_id.clone(), row))
        .collect();
    compare_maps(report, "rm_applications", &expected.applications, &have);

    let awards: Vec<AwardState> = on_pool!(db, |pool| sqlx::query_as(&format!(
        "SELECT {AWARD_COLUMNS} FROM rm_awards"
    ))
    .fetch_all(pool)
    .await?);
    let want: BTreeMap<String, AwardState> = expected
        .awards
        .iter()
        .map(|(id, award)| {
            let mut row = award.row.clone();
            row.awarded_pence = to_pence(award.awarded);
            row.paid_pence = to_pence(award.paid);
            row.returned_pence = to_pence(award.returned);
            row.spend_reported_pence = to_pence(award.spend);
            (id.clone(), row)
        })
        .collect();
    let have = awards
        .into_iter()
        .map(|row| (row.award_id.clone(), row))
        .collect();
    compare_maps(
        report,
        "rm_awards (award register, neighbourhood totals)",
        &want,
        &have,
    );

    let themes: Vec<(String, String)> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT award_id, theme FROM rm_award_themes"
    )
    .fetch_all(pool)
    .await?);
    let want: BTreeMap<(String, String), ()> = expected
        .themes
        .iter()
        .map(|key| (key.clone(), ()))
        .collect();
    let have = themes.into_iter().map(|key| (key, ())).collect();
    compare_maps(report, "rm_award_themes", &want, &have);

    let drawdowns: Vec<DrawdownState> = on_pool!(db, |pool| sqlx::query_as(&format!(
        "SELECT {DRAWDOWN_COLUMNS} FROM rm_drawdowns"
    ))
    .fetch_all(pool)
    .await?);
    let have = drawdowns
        .into_iter()
        .map(|row| ((row.award_id.clone(), row.drawdown_id.clone()), row))
        .collect();
    compare_maps(report, "rm_drawdowns", &expected.drawdowns, &have);

    let daily: Vec<(String, String, i64, i64, i64, i64)> = on_pool!(db, |pool| {
        sqlx::query_as(
        "SELECT award_id, day, awarded_pence, paid_pence, returned_pence, spend_pence FROM rm_award_daily"
    )
    .fetch_all(pool)
    .await?
    });
    let want: BTreeMap<(String, String), [i64; 4]> = expected
        .award_daily
        .iter()
        .map(|(key, amounts)| (key.clone(), pence(amounts)))
        .filter(|(_, amounts)| amounts.iter().any(|amount| *amount != 0))
        .collect();
    let have = daily
        .into_iter()
        .map(|(award, day, a, b, c, e)| ((award, day), [a, b, c, e]))
        .filter(|(_, amounts)| amounts.iter().any(|amount| *amount != 0))
        .collect();
    compare_maps(
        report,
        "rm_award_daily (neighbourhood series)",
        &want,
        &have,
    );

    let proxies: Vec<ProxyState> = on_pool!(db, |pool| sqlx::query_as(&format!(
        "SELECT {PROXY_COLUMNS} FROM rm_outcome_proxies"
    ))
    .fetch_all(pool)
    .await?);
    let have = proxies
        .into_iter()
        .map(|row| ((row.fund_id.clone(), row.indicator.clone()), row))
        .collect();
    compare_maps(
        report,
        "rm_outcome_proxies (social return)",
        &expected.proxies,
        &have,
    );

    let outcomes: Vec<OutcomeState> = on_pool!(db, |pool| sqlx::query_as(&format!(
        "SELECT {OUTCOME_COLUMNS} FROM rm_outcomes"
    ))
    .fetch_all(pool)
    .await?);
    let have = outcomes
        .into_iter()
        .map(|row| ((row.award_id.clone(), row.report_id.clone()), row))
        .collect();
    compare_maps(
        report,
        "rm_outcomes (social return)",
        &expected.outcomes,
        &have,
    );
    Ok(())
}
