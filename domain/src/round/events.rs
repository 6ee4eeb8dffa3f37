use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{LogPlace, RoundTerms};
use crate::ballot::BallotCodeHash;
use crate::{ApplicationId, AwardId, Date, FundId, GeoCode, Money, OrgId, RoundId};

/// What the vote order did with one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VoteOutcome {
    /// Approved for its full request (an `ApplicationApproved` follows).
    Approved,
    /// Its request was more than the budget left when its turn came.
    DidNotFit,
    /// Withdrawn, declined or already decided when the votes were allocated.
    NotInContention,
}

/// One line of a participatory round's result, in vote order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoteLine {
    pub application_id: ApplicationId,
    pub votes: u64,
    pub outcome: VoteOutcome,
    /// Where the log recorded the application's submission: the tie-break between equal
    /// votes, kept so the order can be checked against the log. Absent in allocations
    /// recorded before ties were broken this way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<LogPlace>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RoundEvent {
    RoundOpened {
        round_id: RoundId,
        budget: Money,
        terms: RoundTerms,
    },
    /// The award is made from this event: it carries everything the award needs.
    ApplicationApproved {
        application_id: ApplicationId,
        award_id: AwardId,
        fund_id: FundId,
        round_id: RoundId,
        recipient_org_id: OrgId,
        recipient_name: String,
        title: String,
        neighbourhood: GeoCode,
        themes: Vec<String>,
        amount: Money,
        decided_on: Date,
        awarded_total: Money,
        remaining_after: Money,
    },
    VariationReserved {
        variation_id: String,
        award_id: AwardId,
        increase: Money,
        reason: String,
        reserved_on: Date,
        remaining_after: Money,
        /// The award's new budget lines, for the award's `ApplyIncrease`; absent on
        /// variations of awards without budget lines (and on events stored before them).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        budget_lines: Option<Vec<crate::award::BudgetLine>>,
    },
    /// `released_to_fund` is true when the round was closed: the fund must be credited.
    VariationReleased {
        variation_id: String,
        award_id: AwardId,
        fund_id: FundId,
        decrease: Money,
        released_on: Date,
        remaining_after: Money,
        released_to_fund: bool,
    },
    /// `unawarded` goes back to the fund (release id: `close:{round_id}`).
    RoundClosed {
        closed_on: Date,
        fund_id: FundId,
        unawarded: Money,
    },
    /// Hashes only: the plain codes were shown once to the officer and never stored.
    BallotCodesIssued {
        batch_id: String,
        code_hashes: Vec<BallotCodeHash>,
        issued_on: Date,
        /// Codes issued by the round so far, this batch included.
        issued_total: u64,
    },
    /// No ballot is accepted from here on.
    VotingClosed { closed_on: Date },
    /// The tally the allocation used (authoritative for vote counts) and what it did with
    /// each line, in vote order. The approvals follow as `ApplicationApproved` events in
    /// the same order.
    VotesAllocated {
        ballots_counted: u64,
        lines: Vec<VoteLine>,
        decided_on: Date,
    },
}

impl DomainEvent for RoundEvent {
    fn event_type(&self) -> String {
        match self {
            RoundEvent::RoundOpened { .. } => "RoundOpened",
            RoundEvent::ApplicationApproved { .. } => "ApplicationApproved",
            RoundEvent::VariationReserved { .. } => "VariationReserved",
            RoundEvent::VariationReleased { .. } => "VariationReleased",
            RoundEvent::RoundClosed { .. } => "RoundClosed",
            RoundEvent::BallotCodesIssued { .. } => "BallotCodesIssued",
            RoundEvent::VotingClosed { .. } => "VotingClosed",
            RoundEvent::VotesAllocated { .. } => "VotesAllocated",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
