//! An award's budget lines: category → amount, summing exactly to the award.
//!
//! When they are set: an officer sets them (`SetBudgetLines`) while the award is offered,
//! so the grantee accepts the agreement with its budget in front of it; acceptance fixes
//! them. From then on they change only through a variation (`Reduce` / `ApplyIncrease`
//! carrying new lines that sum to the new amount). An award accepted without lines (every
//! award made before budget lines existed, or a funder that does not use them) takes spend
//! under any category, as before.
//!
//! Spend reports (`ReportSpend`) name the award's categories, matched without regard to
//! case and recorded in the budget's own spelling.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{AwardError, SpendLine};
use crate::{Date, Money};

/// The most lines one award's budget may have.
pub const MAX_BUDGET_LINES: usize = 50;
/// The longest category name (characters, after trimming).
pub const MAX_CATEGORY_CHARS: usize = 100;

/// One line of an award's budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetLine {
    /// Free text, trimmed; unique within the award without regard to case.
    pub category: String,
    pub amount: Money,
}

/// The key a category is matched by: trimmed and lower-cased ("Food " and "food" are one
/// category).
pub fn category_key(category: &str) -> String {
    category.trim().to_lowercase()
}

/// Checks and normalises new budget lines for an award of `amount`: each category trimmed,
/// non-empty, at most [`MAX_CATEGORY_CHARS`], unique without regard to case; at most
/// [`MAX_BUDGET_LINES`] lines; the amounts summing exactly to `amount`.
pub fn check_budget_lines(
    lines: Vec<BudgetLine>,
    amount: Money,
) -> Result<Vec<BudgetLine>, AwardError> {
    if lines.is_empty() {
        return Err(AwardError::MissingField("budgetLines"));
    }
    if lines.len() > MAX_BUDGET_LINES {
        return Err(AwardError::TooManyBudgetLines {
            lines: lines.len(),
            max: MAX_BUDGET_LINES,
        });
    }
    let mut keys = BTreeSet::new();
    let mut total = Money::ZERO;
    let mut checked = Vec::with_capacity(lines.len());
    for line in lines {
        let category = line.category.trim().to_string();
        if category.is_empty() {
            return Err(AwardError::MissingField("category"));
        }
        let chars = category.chars().count();
        if chars > MAX_CATEGORY_CHARS {
            return Err(AwardError::CategoryTooLong {
                chars,
                max: MAX_CATEGORY_CHARS,
            });
        }
        if !keys.insert(category_key(&category)) {
            return Err(AwardError::DuplicateCategory(category));
        }
        total = total.checked_add(line.amount).ok_or(AwardError::Overflow)?;
        checked.push(BudgetLine {
            category,
            amount: line.amount,
        });
    }
    if total != amount {
        return Err(AwardError::BudgetNotAwarded { total, amount });
    }
    Ok(checked)
}

/// The award's budget as it stands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    pub lines: Vec<BudgetLine>,
    pub set_on: Option<Date>,
}

impl Budget {
    /// The line for `category` (matched without regard to case).
    pub fn line(&self, category: &str) -> Option<&BudgetLine> {
        let key = category_key(category);
        self.lines
            .iter()
            .find(|line| category_key(&line.category) == key)
    }

    /// The categories as the budget spells them, for messages.
    pub fn categories(&self) -> String {
        self.lines
            .iter()
            .map(|line| line.category.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Spend lines in the budget's spelling, or the first category it does not have.
    pub fn match_spend(&self, lines: Vec<SpendLine>) -> Result<Vec<SpendLine>, AwardError> {
        lines
            .into_iter()
            .map(|line| match self.line(&line.category) {
                Some(budget_line) => Ok(SpendLine {
                    category: budget_line.category.clone(),
                    amount: line.amount,
                }),
                None => Err(AwardError::UnknownSpendCategory {
                    category: line.category.trim().to_string(),
                    categories: self.categories(),
                }),
            })
            .collect()
    }
}

/// A spend report's period as the award keeps it, to refuse overlapping reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendPeriod {
    pub report_id: String,
    pub start: Date,
    pub end: Date,
}

impl SpendPeriod {
    /// Both ends are days covered by the report, so periods sharing a day overlap.
    pub fn overlaps(&self, start: Date, end: Date) -> bool {
        self.start <= end && start <= self.end
    }
}
