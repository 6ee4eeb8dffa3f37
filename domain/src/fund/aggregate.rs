use std::collections::{BTreeMap, BTreeSet};

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::priority::checked_priority_list;
use super::{FundCommand, FundError, FundEvent};
use crate::dates::{not_after_today, not_before};
use crate::outcome::{
    Fraction, OutcomeProxy, MAX_DURATION_YEARS, MAX_INDICATOR_CHARS, MAX_UNIT_CHARS,
    MIN_DURATION_YEARS,
};
use crate::round::RoundTerms;
use crate::{AwardId, Date, FundId, GeoCode, Money, OrgId, RoundId};

/// A fund's state: running figures and the ids that make its follow-up commands
/// idempotent.
///
/// `available` is kept as a figure of its own (rather than derived from cumulative totals)
/// so it stays exact however many times budget goes out to rounds and comes back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fund {
    fund_id: Option<FundId>,
    established: bool,
    /// The earliest date capital can be received on. No `serde(default)`: a snapshot
    /// from before this field is refused and the fund replayed from its events.
    established_on: Date,
    capital_received: Money,
    returned_credited: Money,
    /// Allocated to rounds and not released back.
    allocated_outstanding: Money,
    /// capital_received + returned_credited + released − allocated.
    available: Money,
    rounds: BTreeSet<RoundId>,
    /// Per round: allocated and not yet released. A release may give back only what its
    /// own round still holds, not what other rounds hold.
    #[serde(default)]
    held_by_round: BTreeMap<RoundId, Money>,
    tranches: BTreeSet<String>,
    releases: BTreeSet<String>,
    returns: BTreeSet<String>,
    /// The indicators the fund has an outcome proxy for: an outcome can be reported only
    /// against one of them. No `serde(default)`: an older snapshot (which would read as
    /// "no indicators") is refused and the fund replayed from its events.
    outcome_indicators: BTreeSet<String>,
    /// The current priority-area lists by name, so declaring the same list again records
    /// nothing. No `serde(default)`: an older snapshot is refused and the fund replayed.
    priority_lists: BTreeMap<String, Vec<GeoCode>>,
}

impl Fund {
    pub fn fund_id(&self) -> Option<&FundId> {
        self.fund_id.as_ref()
    }
    /// The indicators the fund has an outcome proxy for, in order.
    pub fn outcome_indicators(&self) -> impl Iterator<Item = &str> {
        self.outcome_indicators.iter().map(String::as_str)
    }

    /// The current areas of the priority list `list_name`, if the fund declared one.
    pub fn priority_list(&self, list_name: &str) -> Option<&[GeoCode]> {
        self.priority_lists.get(list_name).map(Vec::as_slice)
    }

    pub fn is_established(&self) -> bool {
        self.established
    }
    /// Money not promised to any round: capital + returns + released − allocated. Never
    /// negative (`handle` refuses allocations beyond it).
    pub fn available(&self) -> Money {
        self.available
    }
    pub fn capital_received(&self) -> Money {
        self.capital_received
    }
    pub fn returned_credited(&self) -> Money {
        self.returned_credited
    }
    /// Allocated to rounds and not released back: the most a release may return.
    pub fn allocated(&self) -> Money {
        self.allocated_outstanding
    }
    /// Whether this fund allocated a budget to `round_id`.
    pub fn has_round(&self, round_id: &RoundId) -> bool {
        self.rounds.contains(round_id)
    }

    /// The id for errors; empty before the fund is established (the caller knows the id
    /// it asked for).
    fn id(&self) -> FundId {
        self.fund_id.clone().unwrap_or_else(|| FundId::new(""))
    }

    fn require_established(&self) -> Result<(), FundError> {
        if self.established {
            Ok(())
        } else {
            Err(FundError::NotEstablished(self.id()))
        }
    }

    fn check_terms(&self, round_id: &RoundId, terms: &RoundTerms) -> Result<(), FundError> {
        if terms.fund_id != self.id() {
            return Err(FundError::TermsForOtherFund {
                round: round_id.clone(),
                terms_fund: terms.fund_id.clone(),
                fund: self.id(),
            });
        }
        // The round re-checks these when it opens; refusing here keeps a budget from being
        // set aside for a round that could never open.
        if terms.name.trim().is_empty() {
            return Err(FundError::MissingField("round name"));
        }
        if terms.closes_on < terms.opens_on {
            return Err(FundError::RoundDatesOutOfOrder {
                round: round_id.clone(),
                opens_on: terms.opens_on.to_string(),
                closes_on: terms.closes_on.to_string(),
            });
        }
        Ok(())
    }
}

fn require_text(value: &str, field: &'static str) -> Result<(), FundError> {
    if value.trim().is_empty() {
        Err(FundError::MissingField(field))
    } else {
        Ok(())
    }
}

fn require_bounded(value: &str, field: &'static str, max: usize) -> Result<(), FundError> {
    require_text(value, field)?;
    let chars = value.chars().count();
    if chars > max {
        return Err(FundError::TooLong { field, chars, max });
    }
    Ok(())
}

fn share(value: rust_decimal::Decimal, field: &'static str) -> Result<Fraction, FundError> {
    Fraction::new(value).map_err(|error| FundError::InvalidShare { field, error })
}

/// One decision per command: the event it records (`None` for a repeat of an idempotent
/// order, or one with nothing to record), or why it is refused. `handle` writes it.
impl Fund {
    /// `FundEstablished`, once, dated not after today.
    fn establish(
        &self,
        fund_id: FundId,
        name: String,
        funder_org_id: OrgId,
        funder_name: String,
        established_on: Date,
        today: Date,
    ) -> Result<FundEvent, FundError> {
        if self.established {
            return Err(FundError::AlreadyEstablished(self.id()));
        }
        not_after_today("establishedOn", established_on, today)?;
        require_text(fund_id.as_str(), "fund_id")?;
        require_text(&name, "name")?;
        require_text(&funder_name, "funder_name")?;
        require_text(funder_org_id.as_str(), "funder_org_id")?;
        Ok(FundEvent::FundEstablished {
            fund_id,
            name,
            funder_org_id,
            funder_name,
            established_on,
        })
    }

    /// `CapitalReceived` for a new tranche, dated by today and not before the fund was
    /// established.
    fn receive_capital(
        &self,
        tranche_id: String,
        amount: Money,
        source: String,
        received_on: Date,
        today: Date,
    ) -> Result<FundEvent, FundError> {
        self.require_established()?;
        if amount.is_zero() {
            return Err(FundError::ZeroAmount);
        }
        require_text(&tranche_id, "tranche_id")?;
        require_text(&source, "source")?;
        if self.tranches.contains(&tranche_id) {
            return Err(FundError::DuplicateTranche(tranche_id));
        }
        not_after_today("receivedOn", received_on, today)?;
        not_before("receivedOn", received_on, self.established_on, || {
            format!("fund {} was established", self.id())
        })?;
        let capital_received_total = self
            .capital_received
            .checked_add(amount)
            .ok_or(FundError::Overflow)?;
        let available_after = self
            .available()
            .checked_add(amount)
            .ok_or(FundError::Overflow)?;
        Ok(FundEvent::CapitalReceived {
            tranche_id,
            amount,
            source,
            received_on,
            capital_received_total,
            available_after,
        })
    }

    /// `RoundBudgetAllocated` for a new round whose terms are this fund's, within what is
    /// available.
    fn allocate_to_round(
        &self,
        round_id: RoundId,
        budget: Money,
        terms: RoundTerms,
        allocated_on: Date,
    ) -> Result<FundEvent, FundError> {
        self.require_established()?;
        if budget.is_zero() {
            return Err(FundError::ZeroAmount);
        }
        require_text(round_id.as_str(), "round_id")?;
        if self.rounds.contains(&round_id) {
            return Err(FundError::RoundAlreadyAllocated(round_id));
        }
        self.check_terms(&round_id, &terms)?;
        let available = self.available();
        let available_after =
            available
                .checked_sub(budget)
                .ok_or_else(|| FundError::InsufficientFunds {
                    requested: budget,
                    available,
                    round: round_id.clone(),
                    fund: self.id(),
                })?;
        self.allocated_outstanding
            .checked_add(budget)
            .ok_or(FundError::Overflow)?;
        Ok(FundEvent::RoundBudgetAllocated {
            round_id,
            budget,
            terms,
            allocated_on,
            available_after,
        })
    }

    /// `RoundBudgetReleased` giving back at most what the round still holds.
    fn release_round_budget(
        &self,
        release_id: String,
        round_id: RoundId,
        amount: Money,
        released_on: Date,
    ) -> Result<Option<FundEvent>, FundError> {
        self.require_established()?;
        // A retried second half: the release already happened.
        if self.releases.contains(&release_id) {
            return Ok(None);
        }
        // A round that closes fully spent has nothing to give back.
        if amount.is_zero() {
            return Ok(None);
        }
        require_text(&release_id, "release_id")?;
        if !self.rounds.contains(&round_id) {
            return Err(FundError::UnknownRound {
                round: round_id,
                fund: self.id(),
            });
        }
        let allocated = self
            .held_by_round
            .get(&round_id)
            .copied()
            .unwrap_or(Money::ZERO);
        if amount > allocated {
            return Err(FundError::ReleaseExceedsAllocation {
                amount,
                allocated,
                round: round_id,
                fund: self.id(),
            });
        }
        let available_after = self
            .available()
            .checked_add(amount)
            .ok_or(FundError::Overflow)?;
        Ok(Some(FundEvent::RoundBudgetReleased {
            release_id,
            round_id,
            amount,
            released_on,
            available_after,
        }))
    }

    /// `ReturnCredited` once per return.
    fn credit_return(
        &self,
        return_id: String,
        award_id: AwardId,
        amount: Money,
        credited_on: Date,
    ) -> Result<Option<FundEvent>, FundError> {
        self.require_established()?;
        if self.returns.contains(&return_id) {
            return Ok(None);
        }
        if amount.is_zero() {
            return Ok(None);
        }
        require_text(&return_id, "return_id")?;
        let available_after = self
            .available
            .checked_add(amount)
            .ok_or(FundError::Overflow)?;
        Ok(Some(FundEvent::ReturnCredited {
            return_id,
            award_id,
            amount,
            credited_on,
            available_after,
        }))
    }

    /// `OutcomeProxySet`: a new version of an indicator's proxy, effective not before the
    /// fund was established.
    fn set_outcome_proxy(&self, command: FundCommand) -> Result<FundEvent, FundError> {
        let FundCommand::SetOutcomeProxy {
            indicator,
            unit,
            value_per_unit,
            deadweight,
            attribution,
            displacement,
            drop_off,
            duration_years,
            set_on,
            effective_from,
        } = command
        else {
            unreachable!("handle passes only SetOutcomeProxy to set_outcome_proxy");
        };
        self.require_established()?;
        if let Some(effective_from) = effective_from {
            not_before("effectiveFrom", effective_from, self.established_on, || {
                "the fund was established".to_string()
            })?;
        }
        let indicator = indicator.trim().to_string();
        let unit = unit.trim().to_string();
        require_bounded(&indicator, "indicator", MAX_INDICATOR_CHARS)?;
        require_bounded(&unit, "unit", MAX_UNIT_CHARS)?;
        let proxy = OutcomeProxy {
            unit,
            value_per_unit,
            deadweight: share(deadweight, "deadweight")?,
            attribution: share(attribution, "attribution")?,
            displacement: share(displacement, "displacement")?,
            drop_off: share(drop_off, "drop_off")?,
            duration_years,
        };
        if !(MIN_DURATION_YEARS..=MAX_DURATION_YEARS).contains(&duration_years) {
            return Err(FundError::DurationOutOfRange {
                years: duration_years,
            });
        }
        Ok(FundEvent::OutcomeProxySet {
            indicator,
            proxy,
            set_on,
            effective_from,
        })
    }

    /// `PriorityAreasDeclared`; nothing when the list already holds exactly these areas.
    fn declare_priority_areas(
        &self,
        list_name: &str,
        areas: &[GeoCode],
        declared_on: Date,
    ) -> Result<Option<FundEvent>, FundError> {
        self.require_established()?;
        let (list_name, areas) = checked_priority_list(list_name, areas)?;
        if self.priority_lists.get(&list_name) == Some(&areas) {
            return Ok(None);
        }
        Ok(Some(FundEvent::PriorityAreasDeclared {
            list_name,
            areas,
            declared_on,
        }))
    }
}

/// The folds of the events that move money, each checking the figure its event carries.
impl Fund {
    fn fold_capital_received(
        &mut self,
        tranche_id: String,
        amount: Money,
        capital_received_total: Money,
        available_after: Money,
    ) {
        self.capital_received = self.capital_received.plus(amount);
        self.available = self.available.plus(amount);
        self.tranches.insert(tranche_id);
        debug_assert_eq!(self.capital_received, capital_received_total);
        debug_assert_eq!(self.available, available_after);
    }

    fn fold_allocated(&mut self, round_id: RoundId, budget: Money, available_after: Money) {
        debug_assert!(budget <= self.available, "allocation beyond available");
        self.available = self.available.saturating_sub(budget);
        self.allocated_outstanding = self.allocated_outstanding.plus(budget);
        self.held_by_round.insert(round_id.clone(), budget);
        self.rounds.insert(round_id);
        debug_assert_eq!(self.available, available_after);
    }

    fn fold_released(
        &mut self,
        release_id: String,
        round_id: RoundId,
        amount: Money,
        available_after: Money,
    ) {
        debug_assert!(
            amount <= self.allocated_outstanding,
            "release beyond what rounds hold"
        );
        self.allocated_outstanding = self.allocated_outstanding.saturating_sub(amount);
        if let Some(held) = self.held_by_round.get_mut(&round_id) {
            *held = held.saturating_sub(amount);
        }
        self.available = self.available.plus(amount);
        self.releases.insert(release_id);
        debug_assert_eq!(self.available, available_after);
    }

    fn fold_return_credited(&mut self, return_id: String, amount: Money, available_after: Money) {
        self.returned_credited = self.returned_credited.plus(amount);
        self.available = self.available.plus(amount);
        self.returns.insert(return_id);
        debug_assert_eq!(self.available, available_after);
    }
}

impl Aggregate for Fund {
    const TYPE: &'static str = "Fund";
    type Command = FundCommand;
    type Event = FundEvent;
    type Error = FundError;
    type Services = ();

    async fn handle(
        &mut self,
        command: FundCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), FundError> {
        let event = match command {
            FundCommand::Establish {
                fund_id,
                name,
                funder_org_id,
                funder_name,
                established_on,
                today,
            } => Some(self.establish(
                fund_id,
                name,
                funder_org_id,
                funder_name,
                established_on,
                today,
            )?),
            FundCommand::ReceiveCapital {
                tranche_id,
                amount,
                source,
                received_on,
                today,
            } => Some(self.receive_capital(tranche_id, amount, source, received_on, today)?),
            FundCommand::AllocateToRound {
                round_id,
                budget,
                terms,
                allocated_on,
            } => Some(self.allocate_to_round(round_id, budget, terms, allocated_on)?),
            FundCommand::ReleaseRoundBudget {
                release_id,
                round_id,
                amount,
                released_on,
            } => self.release_round_budget(release_id, round_id, amount, released_on)?,
            FundCommand::CreditReturn {
                return_id,
                award_id,
                amount,
                credited_on,
            } => self.credit_return(return_id, award_id, amount, credited_on)?,
            FundCommand::SetOutcomeProxy { .. } => Some(self.set_outcome_proxy(command)?),
            FundCommand::DeclarePriorityAreas {
                list_name,
                areas,
                declared_on,
            } => self.declare_priority_areas(&list_name, &areas, declared_on)?,
        };
        if let Some(event) = event {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: FundEvent) {
        match event {
            FundEvent::FundEstablished {
                fund_id,
                established_on,
                ..
            } => {
                self.fund_id = Some(fund_id);
                self.established = true;
                self.established_on = established_on;
            }
            FundEvent::CapitalReceived {
                tranche_id,
                amount,
                capital_received_total,
                available_after,
                ..
            } => self.fold_capital_received(
                tranche_id,
                amount,
                capital_received_total,
                available_after,
            ),
            FundEvent::RoundBudgetAllocated {
                round_id,
                budget,
                available_after,
                ..
            } => self.fold_allocated(round_id, budget, available_after),
            FundEvent::RoundBudgetReleased {
                release_id,
                round_id,
                amount,
                available_after,
                ..
            } => self.fold_released(release_id, round_id, amount, available_after),
            FundEvent::ReturnCredited {
                return_id,
                amount,
                available_after,
                ..
            } => self.fold_return_credited(return_id, amount, available_after),
            // The proxy's figures are read-side facts; the fund keeps only which indicators
            // it values, so that outcomes are reported against them.
            FundEvent::OutcomeProxySet { indicator, .. } => {
                self.outcome_indicators.insert(indicator);
            }
            FundEvent::PriorityAreasDeclared {
                list_name, areas, ..
            } => {
                self.priority_lists.insert(list_name, areas);
            }
        }
    }
}
