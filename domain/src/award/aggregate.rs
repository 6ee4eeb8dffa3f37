use std::collections::{BTreeMap, BTreeSet};

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{AwardCommand, AwardError, AwardEvent, Budget, HistoricGrant, SpendPeriod};
use crate::dates::not_before;
use crate::{ApplicationId, AwardId, Date, DrawdownId, FundId, GeoCode, Money, OrgId, RoundId};

// Each command's decision and the fold of the events it records, by concern.
mod drawdowns;
mod lifecycle;
mod reports;
mod variations;

/// The most lines one spend report may carry.
pub const MAX_SPEND_LINES_PER_REPORT: usize = 200;
/// The largest quantity one outcome report may carry: a billion units keeps every social
/// value computed from reports far inside exact decimal range.
pub const MAX_OUTCOME_QUANTITY: u32 = 1_000_000_000;
/// The most decimal places an outcome quantity may have (12.5 hours, 0.25 of a post).
pub const MAX_OUTCOME_QUANTITY_PLACES: u32 = 4;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AwardStatus {
    /// No award with this id has been made.
    #[default]
    NotMade,
    /// Made; the grantee has not accepted the agreement yet.
    Offered,
    /// Agreement accepted: drawdowns may be requested.
    Active,
    Closed,
    /// Imported from the funder's published 360Giving history: closed history that
    /// counts in the totals but went through no round here and takes no further command.
    Historic,
}

/// What a drawdown request may ask for now ("available to draw" in GLOSSARY.md): awarded −
/// paid − approved and unpaid, on an award whose agreement is accepted and that is not
/// closed; nothing on any other. Money returned goes back to the fund, so it does not add
/// to this. The one rule behind both the drawdown check and the published figure.
pub fn available_to_draw(
    status: AwardStatus,
    awarded: Money,
    paid: Money,
    approved_unpaid: Money,
) -> Money {
    if status != AwardStatus::Active {
        return Money::ZERO;
    }
    awarded.saturating_sub(paid).saturating_sub(approved_unpaid)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DrawdownState {
    Requested,
    Approved,
    Rejected,
    Paid,
}

impl DrawdownState {
    /// The state as messages name it.
    pub fn as_str(&self) -> &'static str {
        match self {
            DrawdownState::Requested => "requested",
            DrawdownState::Approved => "approved",
            DrawdownState::Rejected => "rejected",
            DrawdownState::Paid => "paid",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drawdown {
    pub id: DrawdownId,
    pub amount: Money,
    pub state: DrawdownState,
}

/// The award as it was made; fixed from then on (variations change `Award::amount`, not
/// `amount` here). A repeated `Make` must match it exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AwardDetails {
    pub award_id: AwardId,
    pub application_id: ApplicationId,
    pub fund_id: FundId,
    pub round_id: RoundId,
    pub recipient_org_id: OrgId,
    pub recipient_name: String,
    pub title: String,
    pub neighbourhood: GeoCode,
    pub themes: Vec<String>,
    /// The amount first awarded.
    pub amount: Money,
    pub awarded_on: Date,
}

/// An award's state: what was made, the money figures, every drawdown, and the ids that
/// make variations, returns and reports idempotent or unique.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Award {
    /// `None` until made (and for a historic grant).
    details: Option<AwardDetails>,
    /// The imported grant, for an award imported from 360Giving history.
    #[serde(default)]
    historic: Option<HistoricGrant>,
    status: AwardStatus,
    /// Awarded after variations; once closed, what the award cost (paid − returned).
    amount: Money,
    /// What the close gave back to the fund (awarded − paid at the close).
    #[serde(default)]
    released: Money,
    drawdowns: BTreeMap<DrawdownId, Drawdown>,
    /// When each approved drawdown was approved: the earliest its payment can be dated.
    /// No `serde(default)`: a snapshot from before this field is refused and the award
    /// replayed from its events.
    approved_on: BTreeMap<DrawdownId, Date>,
    paid: Money,
    returned: Money,
    variations: BTreeSet<String>,
    returns: BTreeSet<String>,
    reports: BTreeSet<String>,
    // No `serde(default)` on the budget fields below: a snapshot from before them is
    // refused and the award replayed from its events (an old snapshot would forget
    // spend periods and the acceptance).
    /// The budget lines; empty when none were set (spend then takes any category).
    budget: Budget,
    /// When the grantee accepted the agreement.
    accepted_on: Option<Date>,
    /// Σ spend reported.
    spent: Money,
    /// Every spend report's period, to refuse overlaps.
    spend_periods: Vec<SpendPeriod>,
}

impl Award {
    pub fn status(&self) -> AwardStatus {
        self.status
    }
    /// Awarded after variations; once closed, paid − returned (what the award cost).
    pub fn amount(&self) -> Money {
        self.amount
    }
    pub fn recipient(&self) -> Option<&OrgId> {
        match (&self.details, &self.historic) {
            (Some(details), _) => Some(&details.recipient_org_id),
            (None, Some(grant)) => Some(&grant.recipient_org_id),
            (None, None) => None,
        }
    }
    pub fn round_id(&self) -> Option<&RoundId> {
        self.details.as_ref().map(|details| &details.round_id)
    }
    pub fn fund_id(&self) -> Option<&FundId> {
        match (&self.details, &self.historic) {
            (Some(details), _) => Some(&details.fund_id),
            (None, Some(grant)) => Some(&grant.fund_id),
            (None, None) => None,
        }
    }
    /// The imported grant, for a historic award.
    pub fn historic(&self) -> Option<&HistoricGrant> {
        self.historic.as_ref()
    }
    pub fn details(&self) -> Option<&AwardDetails> {
        self.details.as_ref()
    }
    /// Σ payments recorded (not net of returns).
    pub fn paid(&self) -> Money {
        self.paid
    }
    /// Σ money returned by the grantee; never above `paid`.
    pub fn returned(&self) -> Money {
        self.returned
    }
    pub fn drawdown(&self, id: &DrawdownId) -> Option<&Drawdown> {
        self.drawdowns.get(id)
    }
    /// Every drawdown, by id.
    pub fn drawdowns(&self) -> impl Iterator<Item = &Drawdown> {
        self.drawdowns.values()
    }
    /// Σ drawdowns approved and not yet paid.
    pub fn approved_unpaid(&self) -> Money {
        self.sum_in(DrawdownState::Approved)
    }
    /// Σ drawdowns requested and not yet decided.
    pub fn requested_pending(&self) -> Money {
        self.sum_in(DrawdownState::Requested)
    }
    /// What a drawdown request may ask for now: [`available_to_draw`].
    pub fn available_to_draw(&self) -> Money {
        available_to_draw(self.status, self.amount, self.paid, self.approved_unpaid())
    }
    /// The budget lines (empty when none were set).
    pub fn budget(&self) -> &Budget {
        &self.budget
    }
    /// Σ spend reported.
    pub fn spent(&self) -> Money {
        self.spent
    }
    /// Spend reported above what was paid: accepted (the group may have spent its own
    /// money first) but flagged for the officer.
    pub fn spent_above_paid(&self) -> bool {
        self.spent > self.paid
    }
    /// What the close released to the fund; zero before the close.
    pub fn released(&self) -> Money {
        self.released
    }
    /// The least the award can be cut to: paid + approved-unpaid + requested.
    pub fn committed(&self) -> Money {
        self.paid
            .plus(self.approved_unpaid())
            .plus(self.requested_pending())
    }

    fn sum_in(&self, state: DrawdownState) -> Money {
        self.drawdowns
            .values()
            .filter(|drawdown| drawdown.state == state)
            .map(|drawdown| drawdown.amount)
            .sum()
    }

    /// Refuses a date before the award was made (reports and payments are about the award).
    pub(super) fn not_before_award(
        &self,
        field: &'static str,
        date: Date,
    ) -> Result<(), AwardError> {
        if let Some(details) = &self.details {
            not_before(field, date, details.awarded_on, || {
                format!("award {} was made", details.award_id)
            })?;
        }
        Ok(())
    }

    /// The id for errors; empty before the award is made (the caller knows the id it asked
    /// for).
    fn id(&self) -> AwardId {
        match (&self.details, &self.historic) {
            (Some(details), _) => details.award_id.clone(),
            (None, Some(grant)) => grant.award_id.clone(),
            (None, None) => AwardId::new(""),
        }
    }

    pub(super) fn require_made(&self) -> Result<&AwardDetails, AwardError> {
        self.details
            .as_ref()
            .ok_or_else(|| AwardError::NotFound(self.id()))
    }

    fn require_not_closed(&self) -> Result<(), AwardError> {
        if self.status == AwardStatus::Closed {
            Err(AwardError::Closed(self.id()))
        } else {
            Ok(())
        }
    }

    pub(super) fn require_recipient(&self, by: &OrgId) -> Result<(), AwardError> {
        let recipient = &self.require_made()?.recipient_org_id;
        if by == recipient {
            Ok(())
        } else {
            Err(AwardError::NotRecipient {
                award: self.id(),
                recipient: recipient.clone(),
                caller: by.clone(),
            })
        }
    }

    /// The events `command` records (none for a repeat of an idempotent order), or why it
    /// is refused. Only decides: `handle` writes what it returns, in order.
    fn decide(&self, command: AwardCommand) -> Result<Vec<AwardEvent>, AwardError> {
        Ok(match command {
            AwardCommand::ImportHistoricGrant(grant) => {
                self.import_historic(grant)?.into_iter().collect()
            }
            AwardCommand::Make { .. } => self.make(command)?.into_iter().collect(),
            AwardCommand::AcceptAgreement { by, accepted_on } => {
                vec![self.accept_agreement(&by, accepted_on)?]
            }
            AwardCommand::RequestDrawdown {
                by,
                drawdown_id,
                amount,
                purpose,
                requested_on,
            } => vec![self.request_drawdown(&by, drawdown_id, amount, purpose, requested_on)?],
            AwardCommand::ApproveDrawdown {
                drawdown_id,
                approved_on,
            } => vec![self.approve_drawdown(drawdown_id, approved_on)?],
            AwardCommand::RejectDrawdown {
                drawdown_id,
                reason,
                rejected_on,
            } => vec![self.reject_drawdown(drawdown_id, reason, rejected_on)?],
            AwardCommand::RecordPayment {
                drawdown_id,
                payment_ref,
                paid_on,
                today,
            } => vec![self.record_payment(drawdown_id, payment_ref, paid_on, today)?],
            AwardCommand::Reduce {
                variation_id,
                new_amount,
                reason,
                varied_on,
                budget_lines,
            } => self.reduce(variation_id, new_amount, reason, varied_on, budget_lines)?,
            AwardCommand::ApplyIncrease {
                variation_id,
                increase,
                reason,
                varied_on,
                budget_lines,
            } => self.apply_increase(variation_id, increase, reason, varied_on, budget_lines)?,
            AwardCommand::RecordReturn {
                return_id,
                amount,
                reason,
                returned_on,
            } => self
                .record_return(return_id, amount, reason, returned_on)?
                .into_iter()
                .collect(),
            AwardCommand::ReportSpend {
                by,
                report_id,
                period_start,
                period_end,
                lines,
                today,
            } => vec![self.report_spend(&by, report_id, period_start, period_end, lines, today)?],
            AwardCommand::ReportOutcome { .. } => vec![self.report_outcome(command)?],
            AwardCommand::SetBudgetLines { lines, set_on } => {
                vec![self.set_budget_lines(lines, set_on)?]
            }
            AwardCommand::Close { closed_on } => vec![self.close(closed_on)?],
            AwardCommand::RecordInput(input) => vec![self.record_input(input)?],
        })
    }

    /// The award's invariants after every event (debug builds).
    fn debug_check_invariants(&self) {
        debug_assert!(self.returned <= self.paid, "returned beyond paid");
        if self.status == AwardStatus::Closed {
            debug_assert!(
                self.amount.plus(self.returned) >= self.paid,
                "a closed award below what it cost"
            );
            return;
        }
        debug_assert!(self.paid <= self.amount, "paid beyond the award");
        debug_assert!(
            self.paid.plus(self.approved_unpaid()) <= self.amount,
            "approved drawdowns beyond the award"
        );
    }
}

fn require_text(value: &str, field: &'static str) -> Result<(), AwardError> {
    if value.trim().is_empty() {
        Err(AwardError::MissingField(field))
    } else {
        Ok(())
    }
}

impl Aggregate for Award {
    const TYPE: &'static str = "Award";
    type Command = AwardCommand;
    type Event = AwardEvent;
    type Error = AwardError;
    type Services = ();

    async fn handle(
        &mut self,
        command: AwardCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), AwardError> {
        // Closed history: nothing after the import but a repeat of it.
        if self.status == AwardStatus::Historic
            && !matches!(command, AwardCommand::ImportHistoricGrant(_))
        {
            return Err(AwardError::Historic(self.id()));
        }
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: AwardEvent) {
        match event {
            AwardEvent::AwardMade { .. } => self.fold_made(event),
            AwardEvent::HistoricGrantImported(grant) => self.fold_historic(grant),
            AwardEvent::AgreementAccepted { accepted_on } => self.fold_accepted(accepted_on),
            AwardEvent::DrawdownRequested {
                drawdown_id,
                amount,
                ..
            } => self.fold_drawdown_requested(drawdown_id, amount),
            AwardEvent::DrawdownApproved {
                drawdown_id,
                approved_on,
                ..
            } => self.fold_drawdown_approved(drawdown_id, approved_on),
            AwardEvent::DrawdownRejected { drawdown_id, .. } => self.set_drawdown_state(
                &drawdown_id,
                DrawdownState::Requested,
                DrawdownState::Rejected,
            ),
            AwardEvent::PaymentRecorded {
                drawdown_id,
                amount,
                paid_total,
                ..
            } => self.fold_payment(drawdown_id, amount, paid_total),
            AwardEvent::AwardVaried {
                variation_id,
                old_amount,
                new_amount,
                ..
            } => self.fold_varied(variation_id, old_amount, new_amount),
            AwardEvent::MoneyReturned {
                return_id,
                amount,
                returned_total,
                ..
            } => self.fold_returned(return_id, amount, returned_total),
            AwardEvent::SpendReported {
                report_id,
                period_start,
                period_end,
                total,
                ..
            } => self.fold_spend(report_id, period_start, period_end, total),
            AwardEvent::OutcomeReported { report_id, .. } => self.fold_outcome(report_id),
            AwardEvent::BudgetLinesSet { lines, set_on, .. } => {
                self.fold_budget_lines(lines, set_on)
            }
            // Inputs are read-side facts (the social return's investment): no state here.
            AwardEvent::InputRecorded(_) => {}
            AwardEvent::AwardClosed {
                released,
                final_amount,
                ..
            } => self.fold_closed(released, final_amount),
        }
        self.debug_check_invariants();
    }
}
