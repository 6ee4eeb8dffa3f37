//! What the grantee reports on its award: spend against the budget lines and outcomes
//! against the fund's valued indicators.

use rust_decimal::Decimal;

use super::{
    require_text, Award, MAX_OUTCOME_QUANTITY, MAX_OUTCOME_QUANTITY_PLACES,
    MAX_SPEND_LINES_PER_REPORT,
};
use crate::award::{AwardCommand, AwardError, AwardEvent, SpendLine, SpendPeriod};
use crate::dates::not_after_today;
use crate::{Date, Money, OrgId};

impl Award {
    /// `SpendReported` by the recipient for a period after acceptance that overlaps no
    /// earlier report, its lines in the budget's categories.
    pub(super) fn report_spend(
        &self,
        by: &OrgId,
        report_id: String,
        period_start: Date,
        period_end: Date,
        lines: Vec<SpendLine>,
        today: Date,
    ) -> Result<AwardEvent, AwardError> {
        self.require_made()?;
        self.require_recipient(by)?;
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
        Ok(AwardEvent::SpendReported {
            report_id,
            period_start,
            period_end,
            lines,
            total,
        })
    }

    /// `OutcomeReported` by the recipient, against an indicator its fund values.
    pub(super) fn report_outcome(&self, command: AwardCommand) -> Result<AwardEvent, AwardError> {
        let AwardCommand::ReportOutcome {
            by,
            report_id,
            indicator,
            quantity,
            period_end,
            today,
            fund_indicators,
        } = command
        else {
            unreachable!("decide passes only ReportOutcome to report_outcome");
        };
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
        if quantity > Decimal::from(MAX_OUTCOME_QUANTITY)
            || quantity.normalize().scale() > MAX_OUTCOME_QUANTITY_PLACES
        {
            return Err(AwardError::QuantityOutOfRange(quantity.to_string()));
        }
        Ok(AwardEvent::OutcomeReported {
            report_id,
            indicator,
            quantity,
            period_end,
        })
    }

    fn require_new_report(&self, report_id: &str) -> Result<(), AwardError> {
        require_text(report_id, "report_id")?;
        if self.reports.contains(report_id) {
            Err(AwardError::DuplicateReport(report_id.to_string()))
        } else {
            Ok(())
        }
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

    pub(super) fn fold_spend(
        &mut self,
        report_id: String,
        period_start: Date,
        period_end: Date,
        total: Money,
    ) {
        self.spent = self.spent.plus(total);
        self.spend_periods.push(SpendPeriod {
            report_id: report_id.clone(),
            start: period_start,
            end: period_end,
        });
        self.reports.insert(report_id);
    }

    pub(super) fn fold_outcome(&mut self, report_id: String) {
        self.reports.insert(report_id);
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
