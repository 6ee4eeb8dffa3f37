use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::{ApplicationId, Date, RoundId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BallotEvent {
    BallotIssued {
        round_id: RoundId,
        batch_id: String,
        issued_on: Date,
    },
    /// One vote for each application, in the voter's order.
    BallotCast {
        round_id: RoundId,
        application_ids: Vec<ApplicationId>,
        cast_on: Date,
    },
}

impl DomainEvent for BallotEvent {
    fn event_type(&self) -> String {
        match self {
            BallotEvent::BallotIssued { .. } => "BallotIssued",
            BallotEvent::BallotCast { .. } => "BallotCast",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
