use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::Score;
use crate::{ApplicationId, AwardId, Date, FundId, GeoCode, Money, OrgId, RoundId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ApplicationEvent {
    ApplicationSubmitted {
        application_id: ApplicationId,
        round_id: RoundId,
        fund_id: FundId,
        applicant: OrgId,
        applicant_name: String,
        title: String,
        description: String,
        amount_requested: Money,
        neighbourhood: GeoCode,
        themes: Vec<String>,
        submitted_on: Date,
    },
    ApplicationWithdrawn {
        withdrawn_on: Date,
    },
    ConflictDeclared {
        member: String,
        declared_on: Date,
    },
    ApplicationScored {
        member: String,
        score: Score,
        comment: String,
        scored_on: Date,
        /// The member's earlier score this one replaces.
        replaces: Option<Score>,
    },
    ApplicationDeclined {
        reason: String,
        decided_on: Date,
    },
    ApprovalRecorded {
        award_id: AwardId,
        amount: Money,
        decided_on: Date,
    },
}

impl DomainEvent for ApplicationEvent {
    fn event_type(&self) -> String {
        match self {
            ApplicationEvent::ApplicationSubmitted { .. } => "ApplicationSubmitted",
            ApplicationEvent::ApplicationWithdrawn { .. } => "ApplicationWithdrawn",
            ApplicationEvent::ConflictDeclared { .. } => "ConflictDeclared",
            ApplicationEvent::ApplicationScored { .. } => "ApplicationScored",
            ApplicationEvent::ApplicationDeclined { .. } => "ApplicationDeclined",
            ApplicationEvent::ApprovalRecorded { .. } => "ApprovalRecorded",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
