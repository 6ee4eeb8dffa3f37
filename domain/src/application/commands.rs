use serde::{Deserialize, Serialize};

use crate::round::RoundTerms;
use crate::{ApplicationId, AwardId, Date, GeoCode, Money, OrgId, RoundId};

/// A panel score, 1 to 5. Can't be built outside that range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Score(u8);

impl Score {
    pub fn new(value: u8) -> Result<Score, String> {
        if (1..=5).contains(&value) {
            Ok(Score(value))
        } else {
            Err(format!(
                "a score is a whole number from 1 to 5, not {value}"
            ))
        }
    }
    pub fn value(&self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Score {
    type Error = String;
    fn try_from(value: u8) -> Result<Score, String> {
        Score::new(value)
    }
}

impl From<Score> for u8 {
    fn from(score: Score) -> u8 {
        score.0
    }
}

/// The round as the application layer read it when the application was submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundForSubmission {
    pub round_id: RoundId,
    pub is_open: bool,
    pub terms: RoundTerms,
}

// `Submit` carries the round's terms and is far larger than the other variants; boxing it
// would change the command's shape for every caller, for no gain on a short-lived value.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ApplicationCommand {
    /// Within the round's window, in an eligible area (asked of the injected geography),
    /// with themes the round funds, for an amount above zero.
    Submit {
        application_id: ApplicationId,
        round: RoundForSubmission,
        applicant: OrgId,
        applicant_name: String,
        title: String,
        description: String,
        amount_requested: Money,
        neighbourhood: GeoCode,
        themes: Vec<String>,
        submitted_on: Date,
    },
    /// Only the applicant, only while undecided.
    Withdraw {
        by: OrgId,
        withdrawn_on: Date,
    },
    DeclareConflict {
        member: String,
        declared_on: Date,
    },
    /// A re-score by the same member replaces the earlier one. A member with a declared
    /// conflict can't score.
    Score {
        member: String,
        score: Score,
        comment: String,
        scored_on: Date,
    },
    Decline {
        reason: String,
        decided_on: Date,
    },
    /// Second half of an approval, from the round's `ApplicationApproved`. Always applies
    /// (the round's decision is authoritative); idempotent for the same award.
    RecordApproval {
        award_id: AwardId,
        amount: Money,
        decided_on: Date,
    },
}
