//! Changing what was awarded: cuts, increases the round has reserved, and the budget
//! lines that are set before acceptance and change only with a variation afterwards.

use super::{require_text, Award, AwardStatus};
use crate::award::{check_budget_lines, AwardError, AwardEvent, Budget, BudgetLine};
use crate::{Date, Money};

impl Award {
    /// `AwardVaried` cutting the award (and the `BudgetLinesSet` its new lines record);
    /// nothing for a repeated `variation_id`.
    pub(super) fn reduce(
        &self,
        variation_id: String,
        new_amount: Money,
        reason: String,
        varied_on: Date,
        budget_lines: Option<Vec<BudgetLine>>,
    ) -> Result<Vec<AwardEvent>, AwardError> {
        self.require_made()?;
        // Checked first: a retry after the award closed must still succeed.
        if self.variations.contains(&variation_id) {
            return Ok(vec![]);
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
        let mut events = vec![AwardEvent::AwardVaried {
            variation_id,
            old_amount,
            new_amount,
            reason,
            varied_on,
        }];
        events.extend(budget);
        Ok(events)
    }

    /// `AwardVaried` raising the award by an increase the round has reserved (and the
    /// `BudgetLinesSet` its new lines record); nothing for a repeated `variation_id` or a
    /// zero increase.
    pub(super) fn apply_increase(
        &self,
        variation_id: String,
        increase: Money,
        reason: String,
        varied_on: Date,
        budget_lines: Option<Vec<BudgetLine>>,
    ) -> Result<Vec<AwardEvent>, AwardError> {
        self.require_made()?;
        if self.variations.contains(&variation_id) {
            return Ok(vec![]);
        }
        // Nothing to record; the round never reserves £0.00.
        if increase.is_zero() {
            return Ok(vec![]);
        }
        // No other check: the round already took the increase from its budget, so this
        // applies even to a closed award.
        let old_amount = self.amount;
        let new_amount = old_amount
            .checked_add(increase)
            .ok_or(AwardError::Overflow)?;
        // The ledger checked the lines against the amount before the round reserved the
        // increase; lines that no longer sum (another variation came between) are not
        // recorded: the increase stands, and the officer varies the lines again.
        let budget = budget_lines
            .and_then(|lines| {
                self.budget_for_variation(Some(lines), new_amount, &variation_id, varied_on)
                    .ok()
            })
            .flatten();
        let mut events = vec![AwardEvent::AwardVaried {
            variation_id,
            old_amount,
            new_amount,
            reason,
            varied_on,
        }];
        events.extend(budget);
        Ok(events)
    }

    /// `BudgetLinesSet` for an officer's lines, only before the agreement is accepted.
    pub(super) fn set_budget_lines(
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

    pub(super) fn fold_varied(
        &mut self,
        variation_id: String,
        old_amount: Money,
        new_amount: Money,
    ) {
        debug_assert_eq!(self.amount, old_amount);
        self.amount = new_amount;
        self.variations.insert(variation_id);
    }

    pub(super) fn fold_budget_lines(&mut self, lines: Vec<BudgetLine>, set_on: Date) {
        self.budget = Budget {
            lines,
            set_on: Some(set_on),
        };
    }
}
