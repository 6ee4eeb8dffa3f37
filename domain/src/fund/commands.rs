use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::round::RoundTerms;
use crate::{AwardId, Date, FundId, GeoCode, Money, OrgId, RoundId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FundCommand {
    Establish {
        fund_id: FundId,
        name: String,
        funder_org_id: OrgId,
        funder_name: String,
        /// The day the fund began: the caller's date (a fund moving its history into the
        /// ledger was established before it), not after `today`.
        established_on: Date,
        /// The ledger's business date.
        today: Date,
    },
    /// A tranche of capital arrives (an endowment instalment, a dormant-assets transfer…).
    /// `received_on` is the caller's date: not after `today` (the ledger's business date)
    /// and not before the fund was established.
    ReceiveCapital {
        tranche_id: String,
        amount: Money,
        source: String,
        received_on: Date,
        today: Date,
    },
    /// First half of opening a round: set aside its budget. The terms travel in the event
    /// so the round can be opened from it by the process manager if the second half is lost.
    AllocateToRound {
        round_id: RoundId,
        budget: Money,
        terms: RoundTerms,
        allocated_on: Date,
    },
    /// Second half of closing a round, of cutting an award in a closed round, or of
    /// closing an award (its undrawn part, `award-close:{award}`): unused budget comes
    /// back. Idempotent by `release_id`.
    ReleaseRoundBudget {
        release_id: String,
        round_id: RoundId,
        amount: Money,
        released_on: Date,
    },
    /// Second half of a grantee's return: the money is available again. Idempotent by
    /// `return_id`.
    CreditReturn {
        return_id: String,
        award_id: AwardId,
        amount: Money,
        credited_on: Date,
    },
    /// Sets how the fund values one outcome indicator (UK SROI proxy and adjustments), as
    /// a new version in force from `effective_from` (default: `set_on`, today; a later
    /// date announces a version ahead; an earlier one, not before the fund was
    /// established, corrects the valuation of outcomes from that date). Earlier versions
    /// stay in force for outcomes before it.
    /// Shares arrive as plain decimals and are checked here, so every refusal is the
    /// fund's own typed error.
    SetOutcomeProxy {
        indicator: String,
        unit: String,
        value_per_unit: Money,
        deadweight: Decimal,
        attribution: Decimal,
        displacement: Decimal,
        drop_off: Decimal,
        duration_years: u32,
        set_on: Date,
        effective_from: Option<Date>,
    },
    /// Declares (or replaces, from now on) the fund's named list of priority areas. The
    /// same list again records nothing. The ledger checks every code is in the reference
    /// geography first.
    DeclarePriorityAreas {
        list_name: String,
        areas: Vec<GeoCode>,
        declared_on: Date,
    },
}
