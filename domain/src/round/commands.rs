use serde::{Deserialize, Serialize};

use crate::application::ApplicationStatus;
use crate::ballot::BallotCodeHash;
use crate::{ApplicationId, AwardId, Date, FundId, GeoCode, Money, OrgId, RoundId};

/// How a round decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DecisionMode {
    /// A panel scores applications; an officer approves once `min_panel_scores` are in.
    Panel,
    /// Residents vote; approvals follow the vote order while budget remains.
    Participatory,
}

/// When a panel member sees the other members' scores and comments on an application of
/// the round: once they have scored it themselves (the default: no anchoring on others'
/// marks), or always. Chosen when the round opens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PanelSeesScores {
    #[default]
    AfterOwnScore,
    Always,
}

impl PanelSeesScores {
    /// The default, left out of stored events so rounds opened before the choice existed
    /// (and rounds that keep the default) encode exactly as before.
    pub fn is_after_own_score(&self) -> bool {
        *self == PanelSeesScores::AfterOwnScore
    }
}

/// What a round is: set when the fund allocates its budget and fixed once the round opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundTerms {
    pub fund_id: FundId,
    pub name: String,
    pub opens_on: Date,
    pub closes_on: Date,
    /// Empty means anywhere; otherwise an area is eligible if it or an ancestor is listed.
    pub eligible_areas: Vec<GeoCode>,
    /// Empty means any theme.
    pub themes: Vec<String>,
    pub decision_mode: DecisionMode,
    /// Panel scores an application needs before an approval (PANEL rounds).
    pub min_panel_scores: u32,
    /// When panel members see each other's scores (absent in events stored before it).
    #[serde(default, skip_serializing_if = "PanelSeesScores::is_after_own_score")]
    pub panel_sees_scores: PanelSeesScores,
}

/// What the round needs to know of an application to decide on it. The application layer
/// reads it from the application aggregate just before approving.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicationFacts {
    pub application_id: ApplicationId,
    pub round_id: RoundId,
    pub applicant: OrgId,
    pub applicant_name: String,
    pub title: String,
    pub neighbourhood: GeoCode,
    pub themes: Vec<String>,
    pub amount_requested: Money,
    pub status: ApplicationStatus,
    pub panel_score_count: u32,
    /// The date the applicant's request carried; shown, never used to rank (a caller can
    /// choose it).
    pub submitted_on: Date,
}

/// A place in the global event log, in the order every reader of the log sees: on
/// PostgreSQL the log's epoch (0 until a repaired logical restore begins another), the
/// writing transaction's id, then the position; on SQLite (one writer, epoch and
/// transaction id always 0) the position alone. Given by the store when the event is
/// written, so no applicant can choose it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct LogPlace {
    /// Left out of the JSON when 0, so places recorded before epochs existed read and
    /// write back unchanged.
    #[serde(default, skip_serializing_if = "is_first_epoch")]
    pub epoch: i64,
    pub txid: i64,
    pub position: i64,
}

fn is_first_epoch(epoch: &i64) -> bool {
    *epoch == 0
}

/// An application with the votes it received, for `AllocateByVotes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoteCandidate {
    pub application: ApplicationFacts,
    pub votes: u64,
    /// Where the log recorded the application's `ApplicationSubmitted`: breaks ties.
    pub submitted_at: LogPlace,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RoundCommand {
    /// Second half of opening: from the fund's `RoundBudgetAllocated`. Idempotent: opening
    /// an open round with the same budget emits nothing.
    Open {
        round_id: RoundId,
        budget: Money,
        terms: RoundTerms,
    },
    /// Approve `amount` for an application: within the request, within the remaining
    /// budget, with the panel quorum met. Emits the approval the award is made from.
    ApproveApplication {
        application: ApplicationFacts,
        amount: Money,
        decided_on: Date,
    },
    /// First half of increasing an award: take the increase from the remaining budget.
    ReserveVariation {
        variation_id: String,
        award_id: AwardId,
        increase: Money,
        reason: String,
        reserved_on: Date,
        /// The award's new budget lines (summing to its new amount), carried through to
        /// the award with the increase.
        #[serde(default)]
        budget_lines: Option<Vec<crate::award::BudgetLine>>,
    },
    /// Second half of cutting an award: the cut goes back to the round's remaining budget,
    /// or, once the round is closed, on to the fund. Idempotent by `variation_id`.
    ReleaseVariation {
        variation_id: String,
        award_id: AwardId,
        decrease: Money,
        released_on: Date,
    },
    /// Close the round; its unawarded budget goes back to the fund.
    Close { closed_on: Date },
    /// PARTICIPATORY rounds, before voting closes: record a batch of ballot codes by their
    /// hashes (1 to `MAX_BALLOT_CODES_PER_REQUEST`, distinct). Each becomes a ballot
    /// aggregate (the follow-up `Ballot::Issue`).
    IssueBallotCodes {
        batch_id: String,
        code_hashes: Vec<BallotCodeHash>,
        issued_on: Date,
    },
    /// PARTICIPATORY rounds: the first step of `allocateByVotes`. From here on ballots are
    /// refused. Idempotent: closing closed voting emits nothing.
    CloseVoting { closed_on: Date },
    /// PARTICIPATORY rounds, once voting is closed and only once: approve in vote order.
    ///
    /// The order is most votes first; ties go to the application whose submission the
    /// event log recorded first (`VoteCandidate::submitted_at`, which no applicant
    /// chooses: never the id, never a date from the request). Only applications still in contention (submitted, not withdrawn,
    /// declined or approved) with at least one vote are considered. Each is approved for its
    /// full requested amount if that fits in the remaining budget; one that does not fit is
    /// passed over and the next (smaller) ones are still tried, so the budget is spent as
    /// far down the order as it reaches.
    AllocateByVotes {
        candidates: Vec<VoteCandidate>,
        ballots_counted: u64,
        decided_on: Date,
    },
}
