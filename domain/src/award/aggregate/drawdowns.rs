//! Money out and back: drawdowns requested by the grantee, approved or rejected by an
//! officer and paid, and money the grantee returns.

use super::{require_text, Award, AwardStatus, Drawdown, DrawdownState};
use crate::award::{AwardError, AwardEvent};
use crate::dates::{not_after_today, not_before};
use crate::{Date, DrawdownId, Money, OrgId};

impl Award {
    /// `DrawdownRequested` by the recipient of an accepted award, within what it may draw.
    pub(super) fn request_drawdown(
        &self,
        by: &OrgId,
        drawdown_id: DrawdownId,
        amount: Money,
        purpose: String,
        requested_on: Date,
    ) -> Result<AwardEvent, AwardError> {
        self.require_made()?;
        self.require_not_closed()?;
        self.require_recipient(by)?;
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
        Ok(AwardEvent::DrawdownRequested {
            drawdown_id,
            amount,
            purpose,
            requested_on,
        })
    }

    /// `DrawdownApproved` for a requested drawdown that still fits what may be drawn.
    pub(super) fn approve_drawdown(
        &self,
        drawdown_id: DrawdownId,
        approved_on: Date,
    ) -> Result<AwardEvent, AwardError> {
        self.require_made()?;
        self.require_not_closed()?;
        let amount = self
            .require_drawdown(&drawdown_id, DrawdownState::Requested)?
            .amount;
        // Other drawdowns may have been approved (or the award cut) since.
        self.require_drawable(amount)?;
        Ok(AwardEvent::DrawdownApproved {
            drawdown_id,
            amount,
            approved_on,
        })
    }

    /// `DrawdownRejected` for a requested drawdown, with the officer's reason.
    pub(super) fn reject_drawdown(
        &self,
        drawdown_id: DrawdownId,
        reason: String,
        rejected_on: Date,
    ) -> Result<AwardEvent, AwardError> {
        self.require_made()?;
        let amount = self
            .require_drawdown(&drawdown_id, DrawdownState::Requested)?
            .amount;
        require_text(&reason, "reason")?;
        Ok(AwardEvent::DrawdownRejected {
            drawdown_id,
            amount,
            reason,
            rejected_on,
        })
    }

    /// `PaymentRecorded` for an approved drawdown, dated by [`Award::check_paid_on`].
    pub(super) fn record_payment(
        &self,
        drawdown_id: DrawdownId,
        payment_ref: String,
        paid_on: Date,
        today: Date,
    ) -> Result<AwardEvent, AwardError> {
        self.require_made()?;
        let amount = self
            .require_drawdown(&drawdown_id, DrawdownState::Approved)?
            .amount;
        require_text(&payment_ref, "payment_ref")?;
        self.check_paid_on(&drawdown_id, paid_on, today)?;
        let paid_total = self.paid.checked_add(amount).ok_or(AwardError::Overflow)?;
        Ok(AwardEvent::PaymentRecorded {
            drawdown_id,
            amount,
            payment_ref,
            paid_on,
            paid_total,
        })
    }

    /// `MoneyReturned`, at most what was paid and not yet returned; nothing for a repeated
    /// `return_id`.
    pub(super) fn record_return(
        &self,
        return_id: String,
        amount: Money,
        reason: String,
        returned_on: Date,
    ) -> Result<Option<AwardEvent>, AwardError> {
        self.require_made()?;
        if self.returns.contains(&return_id) {
            return Ok(None);
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
        Ok(Some(AwardEvent::MoneyReturned {
            return_id,
            amount,
            reason,
            returned_on,
            returned_total: self.returned.plus(amount),
        }))
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

    pub(super) fn fold_drawdown_requested(&mut self, drawdown_id: DrawdownId, amount: Money) {
        let drawdown = Drawdown {
            id: drawdown_id.clone(),
            amount,
            state: DrawdownState::Requested,
        };
        let previous = self.drawdowns.insert(drawdown_id, drawdown);
        debug_assert!(previous.is_none(), "drawdown requested twice");
    }

    pub(super) fn fold_drawdown_approved(&mut self, drawdown_id: DrawdownId, approved_on: Date) {
        self.approved_on.insert(drawdown_id.clone(), approved_on);
        self.set_drawdown_state(
            &drawdown_id,
            DrawdownState::Requested,
            DrawdownState::Approved,
        );
    }

    pub(super) fn fold_payment(
        &mut self,
        drawdown_id: DrawdownId,
        amount: Money,
        paid_total: Money,
    ) {
        self.set_drawdown_state(&drawdown_id, DrawdownState::Approved, DrawdownState::Paid);
        self.paid = self.paid.plus(amount);
        debug_assert_eq!(self.paid, paid_total);
    }

    pub(super) fn fold_returned(
        &mut self,
        return_id: String,
        amount: Money,
        returned_total: Money,
    ) {
        self.returned = self.returned.plus(amount);
        self.returns.insert(return_id);
        // A closed award counts at what it cost: a later return lowers that too.
        if self.status == AwardStatus::Closed {
            self.amount = self.amount.saturating_sub(amount);
        }
        debug_assert_eq!(self.returned, returned_total);
    }

    pub(super) fn set_drawdown_state(
        &mut self,
        id: &DrawdownId,
        from: DrawdownState,
        to: DrawdownState,
    ) {
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
