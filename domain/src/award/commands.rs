use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::BudgetLine;
use crate::{ApplicationId, AwardId, Date, DrawdownId, FundId, GeoCode, Money, OrgId, RoundId};

/// One line of a spend report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendLine {
    pub category: String,
    pub amount: Money,
}

/// A grant from a funder's published 360Giving history, as the ledger records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoricGrant {
    pub award_id: AwardId,
    pub fund_id: FundId,
    /// The grant's 360Giving id, kept so a re-export publishes it under the same id.
    pub grant_id: String,
    pub recipient_org_id: OrgId,
    pub recipient_name: String,
    pub title: String,
    /// The first beneficiary location with a GSS code fundledger knows; many published
    /// grants have none (or only a UK-wide code).
    pub neighbourhood: Option<GeoCode>,
    /// The grant programme titles.
    pub themes: Vec<String>,
    pub amount: Money,
    /// `amountDisbursed` where the publisher stated it; never more than `amount`.
    pub disbursed: Option<Money>,
    pub awarded_on: Date,
    /// Every field of the grant that the 360Giving standard defines, as the funder
    /// published it: a compact JSON object in the file's order, numbers in their own digits
    /// (`41133.770000000004` stays so). The export publishes it back unchanged. `None` on
    /// grants imported before it was kept: they are published from the fields above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AwardCommand {
    /// From the round's `ApplicationApproved`. Idempotent: making an existing award with
    /// the same figures emits nothing.
    Make {
        award_id: AwardId,
        application_id: ApplicationId,
        fund_id: FundId,
        round_id: RoundId,
        recipient_org_id: OrgId,
        recipient_name: String,
        title: String,
        neighbourhood: GeoCode,
        themes: Vec<String>,
        amount: Money,
        awarded_on: Date,
    },
    /// Records a grant the funder made before it used fundledger, from its published
    /// 360Giving data: closed history on a new award of its own, with no round and no
    /// application. Idempotent: importing the same grant again emits nothing; importing
    /// different figures under the same award is refused.
    ImportHistoricGrant(HistoricGrant),
    /// The grantee signs the grant agreement; drawdowns need it.
    AcceptAgreement { by: OrgId, accepted_on: Date },
    /// Amount ≤ the award's available to draw ([`super::available_to_draw`]).
    RequestDrawdown {
        by: OrgId,
        drawdown_id: DrawdownId,
        amount: Money,
        purpose: String,
        requested_on: Date,
    },
    /// Re-checks the limit: other drawdowns may have been approved since the request.
    ApproveDrawdown {
        drawdown_id: DrawdownId,
        approved_on: Date,
    },
    RejectDrawdown {
        drawdown_id: DrawdownId,
        reason: String,
        rejected_on: Date,
    },
    /// Only for an approved drawdown, exactly once. `paid_on` (the caller's date) is not
    /// after `today` (the ledger's business date) nor before the drawdown was approved.
    RecordPayment {
        drawdown_id: DrawdownId,
        payment_ref: String,
        paid_on: Date,
        today: Date,
    },
    /// Cut the award. Never below paid + drawdowns approved or requested. (Increases go
    /// through the round first: `RoundCommand::ReserveVariation`, then `ApplyIncrease`.)
    Reduce {
        variation_id: String,
        new_amount: Money,
        reason: String,
        varied_on: Date,
        /// The new budget lines, summing to `new_amount`: required when the award has
        /// budget lines, and may give an award without them its first.
        #[serde(default)]
        budget_lines: Option<Vec<BudgetLine>>,
    },
    /// Second half of an increase, after the round reserved it. Idempotent by
    /// `variation_id`.
    ApplyIncrease {
        variation_id: String,
        increase: Money,
        reason: String,
        varied_on: Date,
        /// The new budget lines the variation carried through the round, summing to the
        /// new amount (checked by the ledger before the round reserved the increase).
        #[serde(default)]
        budget_lines: Option<Vec<BudgetLine>>,
    },
    /// Unspent or clawed-back money comes back: ≤ paid − returned.
    RecordReturn {
        return_id: String,
        amount: Money,
        reason: String,
        returned_on: Date,
    },
    /// The period starts no earlier than the award was made and ends by `today` (the
    /// ledger's business date); only after the agreement is accepted; it must not overlap
    /// an earlier report's period. On an award with budget lines each line names one of
    /// its categories (any case; recorded in the budget's spelling). Spend above what was
    /// paid is accepted (the group may have spent its own money first) and flagged.
    ReportSpend {
        by: OrgId,
        report_id: String,
        period_start: Date,
        period_end: Date,
        lines: Vec<SpendLine>,
        today: Date,
    },
    /// The period ends no earlier than the award was made and by `today`.
    ReportOutcome {
        by: OrgId,
        report_id: String,
        indicator: String,
        quantity: Decimal,
        period_end: Date,
        today: Date,
        /// The indicators the award's fund has an outcome proxy for (from the fund): an
        /// outcome against any other could not be valued and is refused.
        fund_indicators: Vec<String>,
    },
    /// Officer: sets the award's budget lines (summing to the award) while the award is
    /// offered; replaces lines set before. Once the agreement is accepted they change
    /// only through a variation.
    SetBudgetLines {
        lines: Vec<BudgetLine>,
        set_on: Date,
    },
    /// Only with no drawdown requested or approved but unpaid. Releases the undrawn part
    /// (awarded − paid) to the fund; the award then counts at paid − returned.
    Close { closed_on: Date },
    /// Records match funding, an in-kind contribution or volunteer time that went into the
    /// award's work (its recipient or an officer): part of the social return's investment.
    RecordInput(super::inputs::RecordInput),
}
