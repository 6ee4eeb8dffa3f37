use std::collections::{BTreeMap, BTreeSet};

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{
    check_budget_lines, AwardCommand, AwardError, AwardEvent, Budget, BudgetLine, HistoricGrant,
    SpendLine, SpendPeriod,
};
use crate::dates::{not_after_today, not_before};
use crate::{ApplicationId, AwardId, Date, DrawdownId, FundId, GeoCode, Money, OrgId, RoundId};

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

    /// A payment's date: by today, not before its drawdown was approved nor the award made.
    fn check_paid_on(
        &self,
        drawdown_id: &DrawdownId,
        paid_on: Date,
        today: Date,
    ) -> Result<(), AwardError> {
        not_after_today("paidOn", paid_on, today)?;
        if let Some(approved_on) = self.approved_on.get(drawdown_id) {
            not_before("paidOn", paid_on, *approved_on, || {
                format!("drawdown {drawdown_id} was approved")
            })?;
        }
        self.not_before_award("paidOn", paid_on)
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

    /// Emits `HistoricGrantImported` on an award that does not exist yet.
    fn import_historic(&self, grant: HistoricGrant) -> Result<Option<AwardEvent>, AwardError> {
        if let Some(existing) = &self.historic {
            // A re-import of the same published grant: already recorded.
            return if *existing == grant {
                Ok(None)
            } else {
                Err(AwardError::AlreadyExists {
                    award: self.id(),
                    existing: format!("grant {} with other figures", existing.grant_id),
                    grant: grant.grant_id,
                })
            };
        }
        if let Some(details) = &self.details {
            return Err(AwardError::AlreadyExists {
                award: self.id(),
                existing: format!("the award made from application {}", details.application_id),
                grant: grant.grant_id,
            });
        }
        require_text(grant.award_id.as_str(), "award_id")?;
        require_text(grant.fund_id.as_str(), "fund_id")?;
        require_text(&grant.grant_id, "grant_id")?;
        require_text(grant.recipient_org_id.as_str(), "recipient_org_id")?;
        require_text(&grant.recipient_name, "recipient_name")?;
        require_text(&grant.title, "title")?;
        if let Some(disbursed) = grant.disbursed {
            if disbursed > grant.amount {
                return Err(AwardError::DisbursedOverAwarded {
                    grant: grant.grant_id,
                    disbursed,
                    amount: grant.amount,
                });
            }
        }
        check_published_fields(&grant)?;
        Ok(Some(AwardEvent::HistoricGrantImported(grant)))
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

    fn require_drawdown(
        &self,
        id: &DrawdownId,
        needed: DrawdownState,
    ) -> Result<&Drawdown, AwardError> {
        let drawdown = self
            .drawdowns
            .get(id)
            .ok_or_else(|| AwardError::UnknownDrawdown {
                drawdown: id.clone(),
                award: self.id(),
            })?;
        if drawdown.state != needed {
            return Err(AwardError::DrawdownWrongState {
                drawdown: id.clone(),
                state: drawdown.state.as_str(),
                needed: needed.as_str(),
            });
        }
        Ok(drawdown)
    }

    fn require_drawable(&self, amount: Money) -> Result<(), AwardError> {
        let available = self.available_to_draw();
        if amount > available {
            Err(AwardError::DrawdownExceedsAvailable {
                amount,
                available,
                award: self.id(),
            })
        } else {
            Ok(())
        }
    }

    fn require_new_report(&self, report_id: &str) -> Result<(), AwardError> {
        require_text(report_id, "report_id")?;
        if self.reports.contains(report_id) {
            Err(AwardError::DuplicateReport(report_id.to_string()))
        } else {
            Ok(())
        }
    }

    /// The `AwardClosed` a close records, or why the award can't close yet.
    fn close(&self, closed_on: Date) -> Result<AwardEvent, AwardError> {
        self.require_made()?;
        self.require_not_closed()?;
        let pending = self
            .drawdowns
            .values()
            .filter(|drawdown| {
                matches!(
                    drawdown.state,
                    DrawdownState::Requested | DrawdownState::Approved
                )
            })
            .count();
        if pending > 0 {
            return Err(AwardError::PendingDrawdowns {
                award: self.id(),
                pending,
                approved_unpaid: self.approved_unpaid(),
                requested_pending: self.requested_pending(),
            });
        }
        Ok(AwardEvent::AwardClosed {
            closed_on,
            released: Some(self.amount.saturating_sub(self.paid)),
            final_amount: Some(self.paid.saturating_sub(self.returned)),
        })
    }

    /// `BudgetLinesSet` for an officer's lines, only before the agreement is accepted.
    fn set_budget_lines(
        &self,
        lines: Vec<BudgetLine>,
        set_on: Date,
    ) -> Result<AwardEvent, AwardError> {
        self.require_made()?;
        self.require_not_closed()?;
        if self.status != AwardStatus::Offered {
            return Err(AwardError::BudgetFixed(self.id()));
        }
        let lines = check_budget_lines(lines, self.amount)?;
        Ok(AwardEvent::BudgetLinesSet {
            lines,
            replaced: self.budget.lines.clone(),
            variation_id: None,
            set_on,
        })
    }

    /// The `BudgetLinesSet` a variation to `new_amount` records, if any: an award with
    /// lines needs new ones summing to the new amount.
    fn budget_for_variation(
        &self,
        lines: Option<Vec<BudgetLine>>,
        new_amount: Money,
        variation_id: &str,
        varied_on: Date,
    ) -> Result<Option<AwardEvent>, AwardError> {
        let Some(lines) = lines else {
            if self.budget.lines.is_empty() {
                return Ok(None);
            }
            return Err(AwardError::VariationNeedsBudgetLines {
                award: self.id(),
                categories: self.budget.categories(),
            });
        };
        Ok(Some(AwardEvent::BudgetLinesSet {
            lines: check_budget_lines(lines, new_amount)?,
            replaced: self.budget.lines.clone(),
            variation_id: Some(variation_id.to_string()),
            set_on: varied_on,
        }))
    }

    /// The budget rules of a spend report: after acceptance, no overlap with an earlier
    /// report, categories from the budget (when it has lines). Returns the lines in the
    /// budget's spelling.
    fn check_spend(
        &self,
        period_start: Date,
        period_end: Date,
        lines: Vec<SpendLine>,
    ) -> Result<Vec<SpendLine>, AwardError> {
        if self.accepted_on.is_none() {
            return Err(AwardError::SpendBeforeAcceptance(self.id()));
        }
        if let Some(other) = self
            .spend_periods
            .iter()
            .find(|period| period.overlaps(period_start, period_end))
        {
            return Err(AwardError::OverlappingSpendPeriod {
                start: period_start,
                end: period_end,
                report_id: other.report_id.clone(),
                other_start: other.start,
                other_end: other.end,
            });
        }
        if self.budget.lines.is_empty() {
            return Ok(lines);
        }
        self.budget.match_spend(lines)
    }

    fn set_drawdown_state(&mut self, id: &DrawdownId, from: DrawdownState, to: DrawdownState) {
        if let Some(drawdown) = self.drawdowns.get_mut(id) {
            debug_assert_eq!(
                drawdown.state, from,
                "drawdown {id} moved from the wrong state"
            );
            drawdown.state = to;
        } else {
            debug_assert!(false, "event for unknown drawdown {id}");
        }
    }
}

/// The published fields are republished as they are, so they must be a JSON object that
/// names the grant they are recorded for (a record under another id would publish a second
/// grant).
fn check_published_fields(grant: &HistoricGrant) -> Result<(), AwardError> {
    let Some(published) = &grant.published else {
        return Ok(());
    };
    let invalid = |problem: String| AwardError::PublishedFieldsInvalid {
        grant: grant.grant_id.clone(),
        problem,
    };
    let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(published)
        .map_err(|error| invalid(format!("are not a JSON object: {error}")))?;
    match fields.get("id").and_then(serde_json::Value::as_str) {
        Some(id) if id == grant.grant_id => Ok(()),
        other => Err(invalid(format!(
            "name the grant {} instead of {}",
            other.unwrap_or("(no id)"),
            grant.grant_id
        ))),
    }
}

/// An outcome is reported only against an indicator its fund values (has a proxy for).
fn require_valued_indicator(indicator: &str, fund_indicators: &[String]) -> Result<(), AwardError> {
    if fund_indicators.iter().any(|known| known == indicator) {
        return Ok(());
    }
    let known = if fund_indicators.is_empty() {
        "none yet (an officer sets one with setOutcomeProxy)".to_string()
    } else {
        fund_indicators.join(", ")
    };
    Err(AwardError::IndicatorWithoutProxy {
        indicator: indicator.to_string(),
        known,
    })
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
        match command {
            AwardCommand::ImportHistoricGrant(grant) => {
                if let Some(event) = self.import_historic(grant)? {
                    sink.write(event, self).await;
                }
            }
            AwardCommand::Make {
                award_id,
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
            } => {
                let details = AwardDetails {
                    award_id,
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
                };
                if let Some(existing) = &self.details {
                    // A retried second half of the round's approval.
                    return if *existing == details {
                        Ok(())
                    } else {
                        Err(AwardError::MadeDifferently(self.id()))
                    };
                }
                require_text(details.award_id.as_str(), "award_id")?;
                require_text(details.recipient_org_id.as_str(), "recipient_org_id")?;
                if details.amount.is_zero() {
                    return Err(AwardError::ZeroAmount);
                }
                let event = AwardEvent::AwardMade {
                    award_id: details.award_id,
                    application_id: details.application_id,
                    fund_id: details.fund_id,
                    round_id: details.round_id,
                    recipient_org_id: details.recipient_org_id,
                    recipient_name: details.recipient_name,
                    title: details.title,
                    neighbourhood: details.neighbourhood,
                    themes: details.themes,
                    amount: details.amount,
                    awarded_on: details.awarded_on,
                };
                sink.write(event, self).await;
            }
            AwardCommand::AcceptAgreement { by, accepted_on } => {
                self.require_made()?;
                self.require_not_closed()?;
                self.require_recipient(&by)?;
                if self.status != AwardStatus::Offered {
                    return Err(AwardError::AlreadyAccepted(self.id()));
                }
                sink.write(AwardEvent::AgreementAccepted { accepted_on }, self)
                    .await;
            }
            AwardCommand::RequestDrawdown {
                by,
                drawdown_id,
                amount,
                purpose,
                requested_on,
            } => {
                self.require_made()?;
                self.require_not_closed()?;
                self.require_recipient(&by)?;
                if self.status != AwardStatus::Active {
                    return Err(AwardError::AgreementNotAccepted(self.id()));
                }
                require_text(drawdown_id.as_str(), "drawdown_id")?;
                if self.drawdowns.contains_key(&drawdown_id) {
                    return Err(AwardError::DuplicateDrawdown {
                        drawdown: drawdown_id,
                        award: self.id(),
                    });
                }
                if amount.is_zero() {
                    return Err(AwardError::ZeroAmount);
                }
                require_text(&purpose, "purpose")?;
                self.require_drawable(amount)?;
                let event = AwardEvent::DrawdownRequested {
                    drawdown_id,
                    amount,
                    purpose,
                    requested_on,
                };
                sink.write(event, self).await;
            }
            AwardCommand::ApproveDrawdown {
                drawdown_id,
                approved_on,
            } => {
                self.require_made()?;
                self.require_not_closed()?;
                let amount = self
                    .require_drawdown(&drawdown_id, DrawdownState::Requested)?
                    .amount;
                // Other drawdowns may have been approved (or the award cut) since.
                self.require_drawable(amount)?;
                let event = AwardEvent::DrawdownApproved {
                    drawdown_id,
                    amount,
                    approved_on,
                };
                sink.write(event, self).await;
            }
            AwardCommand::RejectDrawdown {
                drawdown_id,
                reason,
                rejected_on,
            } => {
                self.require_made()?;
                let amount = self
                    .require_drawdown(&drawdown_id, DrawdownState::Requested)?
                    .amount;
                require_text(&reason, "reason")?;
                let event = AwardEvent::DrawdownRejected {
                    drawdown_id,
                    amount,
                    reason,
                    rejected_on,
                };
                sink.write(event, self).await;
            }
            AwardCommand::RecordPayment {
                drawdown_id,
                payment_ref,
                paid_on,
                today,
            } => {
                self.require_made()?;
                let amount = self
                    .require_drawdown(&drawdown_id, DrawdownState::Approved)?
                    .amount;
                require_text(&payment_ref, "payment_ref")?;
                self.check_paid_on(&drawdown_id, paid_on, today)?;
                let paid_total = self.paid.checked_add(amount).ok_or(AwardError::Overflow)?;
                let event = AwardEvent::PaymentRecorded {
                    drawdown_id,
                    amount,
                    payment_ref,
                    paid_on,
                    paid_total,
                };
                sink.write(event, self).await;
            }
            AwardCommand::Reduce {
                variation_id,
                new_amount,
                reason,
                varied_on,
                budget_lines,
            } => {
                self.require_made()?;
                // Checked first: a retry after the award closed must still succeed.
                if self.variations.contains(&variation_id) {
                    return Ok(());
                }
                self.require_not_closed()?;
                require_text(&variation_id, "variation_id")?;
                require_text(&reason, "reason")?;
                let old_amount = self.amount;
                if new_amount == old_amount {
                    return Err(AwardError::NoChange {
                        award: self.id(),
                        current: old_amount,
                    });
                }
                if new_amount > old_amount {
                    return Err(AwardError::IncreaseNeedsRound {
                        award: self.id(),
                        current: old_amount,
                        requested: new_amount,
                    });
                }
                let committed = self.committed();
                if new_amount < committed {
                    return Err(AwardError::BelowCommitted {
                        award: self.id(),
                        new_amount,
                        committed,
                    });
                }
                let budget =
                    self.budget_for_variation(budget_lines, new_amount, &variation_id, varied_on)?;
                let event = AwardEvent::AwardVaried {
                    variation_id,
                    old_amount,
                    new_amount,
                    reason,
                    varied_on,
                };
                sink.write(event, self).await;
                if let Some(budget) = budget {
                    sink.write(budget, self).await;
                }
            }
            AwardCommand::ApplyIncrease {
                variation_id,
                increase,
                reason,
                varied_on,
                budget_lines,
            } => {
                self.require_made()?;
                if self.variations.contains(&variation_id) {
                    return Ok(());
                }
                // Nothing to record; the round never reserves £0.00.
                if increase.is_zero() {
                    return Ok(());
                }
                // No other check: the round already took the increase from its budget,
                // so this applies even to a closed award.
                let old_amount = self.amount;
                let new_amount = old_amount
                    .checked_add(increase)
                    .ok_or(AwardError::Overflow)?;
                // The ledger checked the lines against the amount before the round
                // reserved the increase; lines that no longer sum (another variation came
                // between) are not recorded: the increase stands, and the officer varies
                // the lines again.
                let budget = budget_lines
                    .and_then(|lines| {
                        self.budget_for_variation(Some(lines), new_amount, &variation_id, varied_on)
                            .ok()
                    })
                    .flatten();
                let event = AwardEvent::AwardVaried {
                    variation_id,
                    old_amount,
                    new_amount,
                    reason,
                    varied_on,
                };
                sink.write(event, self).await;
                if let Some(budget) = budget {
                    sink.write(budget, self).await;
                }
            }
            AwardCommand::RecordReturn {
                return_id,
                amount,
                reason,
                returned_on,
            } => {
                self.require_made()?;
                if self.returns.contains(&return_id) {
                    return Ok(());
                }
                if amount.is_zero() {
                    return Err(AwardError::ZeroAmount);
                }
                require_text(&return_id, "return_id")?;
                require_text(&reason, "reason")?;
                let net_paid = self.paid.saturating_sub(self.returned);
                if amount > net_paid {
                    return Err(AwardError::ReturnExceedsPaid {
                        amount,
                        net_paid,
                        award: self.id(),
                    });
                }
                let event = AwardEvent::MoneyReturned {
                    return_id,
                    amount,
                    reason,
                    returned_on,
                    returned_total: self.returned.plus(amount),
                };
                sink.write(event, self).await;
            }
            AwardCommand::ReportSpend {
                by,
                report_id,
                period_start,
                period_end,
                lines,
                today,
            } => {
                self.require_made()?;
                self.require_recipient(&by)?;
                self.require_new_report(&report_id)?;
                if period_end < period_start {
                    return Err(AwardError::PeriodOutOfOrder {
                        start: period_start.to_string(),
                        end: period_end.to_string(),
                    });
                }
                self.not_before_award("periodStart", period_start)?;
                not_after_today("periodEnd", period_end, today)?;
                let lines = self.check_spend(period_start, period_end, lines)?;
                if lines.is_empty() {
                    return Err(AwardError::MissingField("lines"));
                }
                if lines.len() > MAX_SPEND_LINES_PER_REPORT {
                    return Err(AwardError::TooManyLines {
                        lines: lines.len(),
                        max: MAX_SPEND_LINES_PER_REPORT,
                    });
                }
                let mut total = Money::ZERO;
                for line in &lines {
                    require_text(&line.category, "category")?;
                    total = total.checked_add(line.amount).ok_or(AwardError::Overflow)?;
                }
                let event = AwardEvent::SpendReported {
                    report_id,
                    period_start,
                    period_end,
                    lines,
                    total,
                };
                sink.write(event, self).await;
            }
            AwardCommand::ReportOutcome {
                by,
                report_id,
                indicator,
                quantity,
                period_end,
                today,
                fund_indicators,
            } => {
                self.require_made()?;
                self.require_recipient(&by)?;
                self.require_new_report(&report_id)?;
                require_text(&indicator, "indicator")?;
                self.not_before_award("periodEnd", period_end)?;
                not_after_today("periodEnd", period_end, today)?;
                if quantity.is_sign_negative() && !quantity.is_zero() {
                    return Err(AwardError::NegativeQuantity(quantity.to_string()));
                }
                let chars = indicator.chars().count();
                if chars > crate::outcome::MAX_INDICATOR_CHARS {
                    return Err(AwardError::IndicatorTooLong {
                        chars,
                        max: crate::outcome::MAX_INDICATOR_CHARS,
                    });
                }
                require_valued_indicator(&indicator, &fund_indicators)?;
                if quantity > rust_decimal::Decimal::from(MAX_OUTCOME_QUANTITY)
                    || quantity.normalize().scale() > MAX_OUTCOME_QUANTITY_PLACES
                {
                    return Err(AwardError::QuantityOutOfRange(quantity.to_string()));
                }
                let event = AwardEvent::OutcomeReported {
                    report_id,
                    indicator,
                    quantity,
                    period_end,
                };
                sink.write(event, self).await;
            }
            AwardCommand::Close { closed_on } => {
                let event = self.close(closed_on)?;
                sink.write(event, self).await;
            }
            AwardCommand::SetBudgetLines { lines, set_on } => {
                let event = self.set_budget_lines(lines, set_on)?;
                sink.write(event, self).await;
            }
            AwardCommand::RecordInput(input) => {
                let event = self.record_input(input)?;
                sink.write(event, self).await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: AwardEvent) {
        match event {
            AwardEvent::AwardMade {
                award_id,
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
            } => {
                self.details = Some(AwardDetails {
                    award_id,
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
                });
                self.amount = amount;
                self.status = AwardStatus::Offered;
            }
            AwardEvent::HistoricGrantImported(grant) => {
                self.amount = grant.amount;
                self.paid = grant.disbursed.unwrap_or(Money::ZERO);
                self.status = AwardStatus::Historic;
                self.historic = Some(grant);
            }
            AwardEvent::AgreementAccepted { accepted_on } => {
                self.status = AwardStatus::Active;
                self.accepted_on = Some(accepted_on);
            }
            AwardEvent::DrawdownRequested {
                drawdown_id,
                amount,
                ..
            } => {
                let drawdown = Drawdown {
                    id: drawdown_id.clone(),
                    amount,
                    state: DrawdownState::Requested,
                };
                let previous = self.drawdowns.insert(drawdown_id, drawdown);
                debug_assert!(previous.is_none(), "drawdown requested twice");
            }
            AwardEvent::DrawdownApproved {
                drawdown_id,
                approved_on,
                ..
            } => {
                self.approved_on.insert(drawdown_id.clone(), approved_on);
                self.set_drawdown_state(
                    &drawdown_id,
                    DrawdownState::Requested,
                    DrawdownState::Approved,
                );
            }
            AwardEvent::DrawdownRejected { drawdown_id, .. } => {
                self.set_drawdown_state(
                    &drawdown_id,
                    DrawdownState::Requested,
                    DrawdownState::Rejected,
                );
            }
            AwardEvent::PaymentRecorded {
                drawdown_id,
                amount,
                paid_total,
                ..
            } => {
                self.set_drawdown_state(&drawdown_id, DrawdownState::Approved, DrawdownState::Paid);
                self.paid = self.paid.plus(amount);
                debug_assert_eq!(self.paid, paid_total);
            }
            AwardEvent::AwardVaried {
                variation_id,
                old_amount,
                new_amount,
                ..
            } => {
                debug_assert_eq!(self.amount, old_amount);
                self.amount = new_amount;
                self.variations.insert(variation_id);
            }
            AwardEvent::MoneyReturned {
                return_id,
                amount,
                returned_total,
                ..
            } => {
                self.returned = self.returned.plus(amount);
                self.returns.insert(return_id);
                // A closed award counts at what it cost: a later return lowers that too.
                if self.status == AwardStatus::Closed {
                    self.amount = self.amount.saturating_sub(amount);
                }
                debug_assert_eq!(self.returned, returned_total);
            }
            AwardEvent::SpendReported {
                report_id,
                period_start,
                period_end,
                total,
                ..
            } => {
                self.spent = self.spent.plus(total);
                self.spend_periods.push(SpendPeriod {
                    report_id: report_id.clone(),
                    start: period_start,
                    end: period_end,
                });
                self.reports.insert(report_id);
            }
            AwardEvent::OutcomeReported { report_id, .. } => {
                self.reports.insert(report_id);
            }
            AwardEvent::BudgetLinesSet { lines, set_on, .. } => {
                self.budget = Budget {
                    lines,
                    set_on: Some(set_on),
                };
            }
            // Inputs are read-side facts (the social return's investment): no state here.
            AwardEvent::InputRecorded(_) => {}
            AwardEvent::AwardClosed {
                released,
                final_amount,
                ..
            } => {
                // Events stored before the close recorded its figures: the same rule, from
                // the figures just before it.
                let undrawn = self.amount.saturating_sub(self.paid);
                let cost = self.paid.saturating_sub(self.returned);
                debug_assert_eq!(released.unwrap_or(undrawn), undrawn);
                debug_assert_eq!(final_amount.unwrap_or(cost), cost);
                self.released = released.unwrap_or(undrawn);
                self.amount = final_amount.unwrap_or(cost);
                self.status = AwardStatus::Closed;
            }
        }
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
