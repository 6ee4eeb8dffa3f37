use cqrs_es::DomainEvent;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{BudgetLine, HistoricGrant, SpendLine};
use crate::{ApplicationId, AwardId, Date, DrawdownId, FundId, GeoCode, Money, OrgId, RoundId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AwardEvent {
    AwardMade {
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
    /// A grant made before the funder used fundledger, imported from its published
    /// 360Giving data. The award is closed history from the start (status `Historic`): it
    /// counts in awarded (and `disbursed`, where stated, in paid) but takes no further
    /// command.
    HistoricGrantImported(HistoricGrant),
    AgreementAccepted {
        accepted_on: Date,
    },
    DrawdownRequested {
        drawdown_id: DrawdownId,
        amount: Money,
        purpose: String,
        requested_on: Date,
    },
    DrawdownApproved {
        drawdown_id: DrawdownId,
        amount: Money,
        approved_on: Date,
    },
    DrawdownRejected {
        drawdown_id: DrawdownId,
        amount: Money,
        reason: String,
        rejected_on: Date,
    },
    PaymentRecorded {
        drawdown_id: DrawdownId,
        amount: Money,
        payment_ref: String,
        paid_on: Date,
        paid_total: Money,
    },
    /// Both cuts and increases. `new_amount − old_amount` is the change in awarded.
    AwardVaried {
        variation_id: String,
        old_amount: Money,
        new_amount: Money,
        reason: String,
        varied_on: Date,
    },
    MoneyReturned {
        return_id: String,
        amount: Money,
        reason: String,
        returned_on: Date,
        returned_total: Money,
    },
    SpendReported {
        report_id: String,
        period_start: Date,
        period_end: Date,
        lines: Vec<SpendLine>,
        total: Money,
    },
    OutcomeReported {
        report_id: String,
        indicator: String,
        quantity: Decimal,
        period_end: Date,
    },
    /// The award ends. `released` (awarded − paid: the undrawn part) goes back to the
    /// fund (release id `award-close:{award}`); the award is awarded at `final_amount`
    /// (paid − returned: what it cost) from `closed_on` on. Both are `None` in events
    /// stored before they were recorded: readers then compute them from the award's
    /// figures just before the close (nothing was approved and unpaid then).
    AwardClosed {
        closed_on: Date,
        #[serde(default)]
        released: Option<Money>,
        #[serde(default)]
        final_amount: Option<Money>,
    },
    /// The award's budget lines, summing to the award: set by an officer before the
    /// agreement is accepted (`variation_id` `None`), or by a variation (its id; recorded
    /// just after the `AwardVaried` it belongs to, dated the same day). `replaced` is the
    /// budget it replaces (empty the first time), so readers need not look it up.
    BudgetLinesSet {
        lines: Vec<BudgetLine>,
        replaced: Vec<BudgetLine>,
        variation_id: Option<String>,
        set_on: Date,
    },
    /// Match funding, an in-kind contribution or volunteer time went into the award's
    /// work, valued in pounds: counted in the social return's investment.
    InputRecorded(super::inputs::InputRecorded),
}

impl DomainEvent for AwardEvent {
    fn event_type(&self) -> String {
        match self {
            AwardEvent::AwardMade { .. } => "AwardMade",
            AwardEvent::HistoricGrantImported(_) => "HistoricGrantImported",
            AwardEvent::AgreementAccepted { .. } => "AgreementAccepted",
            AwardEvent::DrawdownRequested { .. } => "DrawdownRequested",
            AwardEvent::DrawdownApproved { .. } => "DrawdownApproved",
            AwardEvent::DrawdownRejected { .. } => "DrawdownRejected",
            AwardEvent::PaymentRecorded { .. } => "PaymentRecorded",
            AwardEvent::AwardVaried { .. } => "AwardVaried",
            AwardEvent::MoneyReturned { .. } => "MoneyReturned",
            AwardEvent::SpendReported { .. } => "SpendReported",
            AwardEvent::OutcomeReported { .. } => "OutcomeReported",
            AwardEvent::AwardClosed { .. } => "AwardClosed",
            AwardEvent::BudgetLinesSet { .. } => "BudgetLinesSet",
            AwardEvent::InputRecorded(_) => "InputRecorded",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
