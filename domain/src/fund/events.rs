use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::round::RoundTerms;
use crate::{AwardId, Date, FundId, GeoCode, Money, OrgId, OutcomeProxy, RoundId};

/// Facts about a fund. Each carries the running figure a reader needs (`available_after`),
/// so projections fold without re-deriving rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FundEvent {
    FundEstablished {
        fund_id: FundId,
        name: String,
        funder_org_id: OrgId,
        funder_name: String,
        established_on: Date,
    },
    CapitalReceived {
        tranche_id: String,
        amount: Money,
        source: String,
        received_on: Date,
        capital_received_total: Money,
        available_after: Money,
    },
    RoundBudgetAllocated {
        round_id: RoundId,
        budget: Money,
        terms: RoundTerms,
        allocated_on: Date,
        available_after: Money,
    },
    RoundBudgetReleased {
        release_id: String,
        round_id: RoundId,
        amount: Money,
        released_on: Date,
        available_after: Money,
    },
    ReturnCredited {
        return_id: String,
        award_id: AwardId,
        amount: Money,
        credited_on: Date,
        available_after: Money,
    },
    /// How the fund values `indicator` from now on. It replaces any earlier proxy for the
    /// same indicator: social value is computed with the current proxy for every outcome
    /// reported, past ones included (usual SROI practice: one set of assumptions per
    /// account); earlier proxies remain here in the log.
    OutcomeProxySet {
        indicator: String,
        proxy: OutcomeProxy,
        set_on: Date,
    },
    /// The fund's list `list_name` of priority areas from now on (codes of any level of
    /// the reference geography, sorted, each once). A later declaration of the same name
    /// replaces it; earlier lists remain here in the log.
    PriorityAreasDeclared {
        list_name: String,
        areas: Vec<GeoCode>,
        declared_on: Date,
    },
}

impl DomainEvent for FundEvent {
    fn event_type(&self) -> String {
        match self {
            FundEvent::FundEstablished { .. } => "FundEstablished",
            FundEvent::CapitalReceived { .. } => "CapitalReceived",
            FundEvent::RoundBudgetAllocated { .. } => "RoundBudgetAllocated",
            FundEvent::RoundBudgetReleased { .. } => "RoundBudgetReleased",
            FundEvent::ReturnCredited { .. } => "ReturnCredited",
            FundEvent::OutcomeProxySet { .. } => "OutcomeProxySet",
            FundEvent::PriorityAreasDeclared { .. } => "PriorityAreasDeclared",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
