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
    /// A new version of how the fund values `indicator`, in force from `effective_from`
    /// (or, when that is absent, as in events stored before it was recorded, from
    /// `set_on`). Versions are never replaced: an outcome is valued with the version in
    /// force on its date (the one with the latest effective date on or before it; on equal
    /// dates the one set later), so a new version re-values only later outcomes.
    OutcomeProxySet {
        indicator: String,
        proxy: OutcomeProxy,
        set_on: Date,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        effective_from: Option<Date>,
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

impl FundEvent {
    /// The date an `OutcomeProxySet` version is in force from: its `effective_from`, or
    /// its `set_on` when it has none. `None` for other events.
    pub fn proxy_effective_from(&self) -> Option<Date> {
        match self {
            FundEvent::OutcomeProxySet {
                set_on,
                effective_from,
                ..
            } => Some(effective_from.unwrap_or(*set_on)),
            _ => None,
        }
    }
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
