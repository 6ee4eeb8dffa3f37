//! An award's life from end to end: made from a round's approval (or imported as closed
//! history), accepted by the grantee, closed with what it did not spend released.

use super::{require_text, Award, AwardDetails, AwardStatus, DrawdownState};
use crate::award::{AwardCommand, AwardError, AwardEvent, HistoricGrant};
use crate::{Date, Money, OrgId};

impl Award {
    /// `AwardMade` for a new award; nothing for a retried `Make` with the same details.
    pub(super) fn make(&self, command: AwardCommand) -> Result<Option<AwardEvent>, AwardError> {
        let AwardCommand::Make {
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
        } = command
        else {
            unreachable!("decide passes only Make to make");
        };
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
                Ok(None)
            } else {
                Err(AwardError::MadeDifferently(self.id()))
            };
        }
        require_text(details.award_id.as_str(), "award_id")?;
        require_text(details.recipient_org_id.as_str(), "recipient_org_id")?;
        if details.amount.is_zero() {
            return Err(AwardError::ZeroAmount);
        }
        Ok(Some(AwardEvent::AwardMade {
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
        }))
    }

    /// Emits `HistoricGrantImported` on an award that does not exist yet.
    pub(super) fn import_historic(
        &self,
        grant: HistoricGrant,
    ) -> Result<Option<AwardEvent>, AwardError> {
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

    /// `AgreementAccepted` by the recipient of an offered award.
    pub(super) fn accept_agreement(
        &self,
        by: &OrgId,
        accepted_on: Date,
    ) -> Result<AwardEvent, AwardError> {
        self.require_made()?;
        self.require_not_closed()?;
        self.require_recipient(by)?;
        if self.status != AwardStatus::Offered {
            return Err(AwardError::AlreadyAccepted(self.id()));
        }
        Ok(AwardEvent::AgreementAccepted { accepted_on })
    }

    /// The `AwardClosed` a close records, or why the award can't close yet.
    pub(super) fn close(&self, closed_on: Date) -> Result<AwardEvent, AwardError> {
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

    pub(super) fn fold_made(&mut self, event: AwardEvent) {
        let AwardEvent::AwardMade {
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
        } = event
        else {
            unreachable!("apply passes only AwardMade to fold_made");
        };
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

    pub(super) fn fold_historic(&mut self, grant: HistoricGrant) {
        self.amount = grant.amount;
        self.paid = grant.disbursed.unwrap_or(Money::ZERO);
        self.status = AwardStatus::Historic;
        self.historic = Some(grant);
    }

    pub(super) fn fold_accepted(&mut self, accepted_on: Date) {
        self.status = AwardStatus::Active;
        self.accepted_on = Some(accepted_on);
    }

    pub(super) fn fold_closed(&mut self, released: Option<Money>, final_amount: Option<Money>) {
        // Events stored before the close recorded its figures: the same rule, from the
        // figures just before it.
        let undrawn = self.amount.saturating_sub(self.paid);
        let cost = self.paid.saturating_sub(self.returned);
        debug_assert_eq!(released.unwrap_or(undrawn), undrawn);
        debug_assert_eq!(final_amount.unwrap_or(cost), cost);
        self.released = released.unwrap_or(undrawn);
        self.amount = final_amount.unwrap_or(cost);
        self.status = AwardStatus::Closed;
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
