//! Inputs other than the fund's own money that went into an award's work: match funding
//! from other funders, in-kind contributions (donated rooms, goods, services) and
//! volunteer time, each valued in pounds (SROI guide, stage 3: "inputs" are everything
//! invested, not only the grant). Recorded by the award's recipient or an officer; the
//! social-return investment is money disbursed plus these.

use serde::{Deserialize, Serialize};

use super::{Award, AwardError, AwardEvent};
use crate::dates::not_after_today;
use crate::{Date, Money, OrgId};

/// The longest description of an input.
pub const MAX_INPUT_DESCRIPTION_CHARS: usize = 2_000;

/// What kind of input went in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum InputKind {
    /// Money from another funder for the same work.
    MatchFunding,
    /// Goods, premises or services given free, at what they would have cost.
    InKind,
    /// Volunteers' hours, at the value per hour the recorder states.
    VolunteerTime,
}

impl InputKind {
    /// The kind as the read models store it.
    pub fn as_str(&self) -> &'static str {
        match self {
            InputKind::MatchFunding => "match_funding",
            InputKind::InKind => "in_kind",
            InputKind::VolunteerTime => "volunteer_time",
        }
    }
}

/// Who records an input: the award's recipient (checked against the award) or an officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputRecorder {
    Grantee(OrgId),
    Officer,
}

/// The `AwardCommand::RecordInput` order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordInput {
    pub by: InputRecorder,
    /// Made by the ledger (unique per request; a retry under the same idempotency key
    /// replays the first result).
    pub input_id: String,
    pub kind: InputKind,
    /// What the input is worth, in pounds: above zero.
    pub value: Money,
    pub description: String,
    /// When it went in: not after `today`, not before the award was made.
    pub contributed_on: Date,
    /// The ledger's business date.
    pub today: Date,
}

/// The `AwardEvent::InputRecorded` fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRecorded {
    pub input_id: String,
    pub kind: InputKind,
    pub value: Money,
    pub description: String,
    pub contributed_on: Date,
    /// Whether the recipient or an officer recorded it.
    pub recorded_by_officer: bool,
}

impl Award {
    /// The `InputRecorded` an input order records, or why it is refused.
    pub(super) fn record_input(&self, input: RecordInput) -> Result<AwardEvent, AwardError> {
        self.require_made()?;
        if let InputRecorder::Grantee(org) = &input.by {
            self.require_recipient(org)?;
        }
        if input.input_id.trim().is_empty() {
            return Err(AwardError::MissingField("input_id"));
        }
        if input.value.is_zero() {
            return Err(AwardError::ZeroAmount);
        }
        let description = input.description.trim().to_string();
        if description.is_empty() {
            return Err(AwardError::MissingField("description"));
        }
        let chars = description.chars().count();
        if chars > MAX_INPUT_DESCRIPTION_CHARS {
            return Err(AwardError::InputDescriptionTooLong {
                chars,
                max: MAX_INPUT_DESCRIPTION_CHARS,
            });
        }
        not_after_today("contributedOn", input.contributed_on, input.today)?;
        self.not_before_award("contributedOn", input.contributed_on)?;
        Ok(AwardEvent::InputRecorded(InputRecorded {
            input_id: input.input_id,
            kind: input.kind,
            value: input.value,
            description,
            contributed_on: input.contributed_on,
            recorded_by_officer: input.by == InputRecorder::Officer,
        }))
    }
}
