use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::RoundTerms;
use crate::{ApplicationId, AwardId, Date, FundId, GeoCode, Money, OrgId, RoundId};

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
}

impl DomainEvent for RoundEvent {
    fn event_type(&self) -> String {
        match self {
            RoundEvent::RoundOpened { .. } => "RoundOpened",
            RoundEvent::ApplicationApproved { .. } => "ApplicationApproved",
            RoundEvent::VariationReserved { .. } => "VariationReserved",
            RoundEvent::VariationReleased { .. } => "VariationReleased",
            RoundEvent::RoundClosed { .. } => "RoundClosed",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
