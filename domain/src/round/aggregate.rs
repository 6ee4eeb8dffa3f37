use std::collections::BTreeSet;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{
    ApplicationFacts, DecisionMode, RoundCommand, RoundError, RoundEvent, RoundTerms,
    VoteCandidate, VoteLine, VoteOutcome,
};
use crate::application::ApplicationStatus;
use crate::ballot::{BallotCodeHash, MAX_BALLOT_CODES_PER_REQUEST};
use crate::{ApplicationId, AwardId, Date, FundId, Money, RoundId};

/// A round's state: its terms, its budget counters, and the ids that keep approvals and
/// variations from counting twice.
/// A `ReserveVariation` command's fields, handed to `Round::reserve_variation` in one.
struct VariationReservation {
    variation_id: String,
    award_id: AwardId,
    increase: Money,
    reason: String,
    reserved_on: Date,
    budget_lines: Option<Vec<crate::award::BudgetLine>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Round {
    round_id: Option<RoundId>,
    terms: Option<RoundTerms>,
    budget: Money,
    /// Σ approvals + Σ increases − Σ cuts. Never above `budget`.
    awarded: Money,
    closed: bool,
    approved: BTreeSet<ApplicationId>,
    variations: BTreeSet<String>,
    /// PARTICIPATORY rounds: ballot codes issued (counted, never kept: each is a ballot
    /// aggregate of its own, so the round does not grow with the electorate).
    #[serde(default)]
    ballot_codes_issued: u64,
    #[serde(default)]
    voting_closed: bool,
    #[serde(default)]
    votes_allocated: bool,
}

impl Round {
    pub fn round_id(&self) -> Option<&RoundId> {
        self.round_id.as_ref()
    }
    /// Opened at some point (it may since have closed).
    pub fn is_opened(&self) -> bool {
        self.round_id.is_some()
    }
    /// Opened and not closed.
    pub fn is_open(&self) -> bool {
        self.is_opened() && !self.closed
    }
    pub fn is_closed(&self) -> bool {
        self.closed
    }
    pub fn terms(&self) -> Option<&RoundTerms> {
        self.terms.as_ref()
    }
    pub fn budget(&self) -> Money {
        self.budget
    }
    /// Awarded net of variations: Σ approvals + Σ increases − Σ cuts.
    pub fn awarded(&self) -> Money {
        self.awarded
    }
    /// Budget not yet awarded. Zero once the round has closed: what was left went back to
    /// the fund.
    pub fn remaining(&self) -> Money {
        if self.closed {
            Money::ZERO
        } else {
            self.budget.saturating_sub(self.awarded)
        }
    }
    /// Whether this round approved `application_id`.
    pub fn has_approved(&self, application_id: &ApplicationId) -> bool {
        self.approved.contains(application_id)
    }
    /// Whether `award_id` was made from one of this round's approvals.
    pub fn has_award(&self, award_id: &AwardId) -> bool {
        self.approved
            .iter()
            .any(|application| AwardId::for_application(application) == *award_id)
    }

    pub fn decision_mode(&self) -> Option<DecisionMode> {
        self.terms.as_ref().map(|terms| terms.decision_mode)
    }

    pub fn ballot_codes_issued(&self) -> u64 {
        self.ballot_codes_issued
    }

    /// `allocateByVotes` has started: ballots are refused.
    pub fn is_voting_closed(&self) -> bool {
        self.voting_closed
    }

    pub fn are_votes_allocated(&self) -> bool {
        self.votes_allocated
    }

    fn require_participatory(&self) -> Result<&RoundTerms, RoundError> {
        let terms = self
            .terms
            .as_ref()
            .ok_or_else(|| RoundError::NotOpened(self.id()))?;
        if terms.decision_mode == DecisionMode::Participatory {
            Ok(terms)
        } else {
            Err(RoundError::NotParticipatory(self.id()))
        }
    }

    /// The approval of `amount` for `application`, with the round's figures after it.
    fn approval(
        &self,
        application: ApplicationFacts,
        amount: Money,
        decided_on: Date,
    ) -> RoundEvent {
        RoundEvent::ApplicationApproved {
            award_id: AwardId::for_application(&application.application_id),
            application_id: application.application_id,
            fund_id: self.fund_id(),
            round_id: self.id(),
            recipient_org_id: application.applicant,
            recipient_name: application.applicant_name,
            title: application.title,
            neighbourhood: application.neighbourhood,
            themes: application.themes,
            amount,
            decided_on,
            awarded_total: self.awarded.plus(amount),
            remaining_after: self.remaining().saturating_sub(amount),
        }
    }

    /// The id for errors; empty before the round opens (the caller knows the id it asked
    /// for).
    fn id(&self) -> RoundId {
        self.round_id.clone().unwrap_or_else(|| RoundId::new(""))
    }

    fn fund_id(&self) -> FundId {
        self.terms
            .as_ref()
            .map(|terms| terms.fund_id.clone())
            .unwrap_or_else(|| FundId::new(""))
    }

    fn require_opened(&self) -> Result<(), RoundError> {
        if self.is_opened() {
            Ok(())
        } else {
            Err(RoundError::NotOpened(self.id()))
        }
    }

    fn require_open(&self) -> Result<(), RoundError> {
        self.require_opened()?;
        if self.closed {
            Err(RoundError::Closed(self.id()))
        } else {
            Ok(())
        }
    }

    fn require_award(&self, award_id: &AwardId) -> Result<(), RoundError> {
        if self.has_award(award_id) {
            Ok(())
        } else {
            Err(RoundError::UnknownAward {
                award: award_id.clone(),
                round: self.id(),
            })
        }
    }

    async fn open(
        &mut self,
        round_id: RoundId,
        budget: Money,
        terms: RoundTerms,
        sink: &EventSink<Self>,
    ) -> Result<(), RoundError> {
        if self.is_opened() {
            let same = self.round_id.as_ref() == Some(&round_id)
                && self.budget == budget
                && self.terms.as_ref() == Some(&terms);
            // A retried second half of the fund's allocation.
            return if same {
                Ok(())
            } else {
                Err(RoundError::OpenedDifferently(self.id()))
            };
        }
        if terms.name.trim().is_empty() {
            return Err(RoundError::MissingName);
        }
        if budget.is_zero() {
            return Err(RoundError::ZeroBudget);
        }
        if terms.closes_on < terms.opens_on {
            return Err(RoundError::DatesOutOfOrder {
                round: round_id,
                opens_on: terms.opens_on.to_string(),
                closes_on: terms.closes_on.to_string(),
            });
        }
        let event = RoundEvent::RoundOpened {
            round_id,
            budget,
            terms,
        };
        sink.write(event, self).await;
        Ok(())
    }

    async fn approve_application(
        &mut self,
        application: ApplicationFacts,
        amount: Money,
        decided_on: Date,
        sink: &EventSink<Self>,
    ) -> Result<(), RoundError> {
        if !self.is_opened() {
            return Err(RoundError::NotOpened(application.round_id));
        }
        self.require_open()?;
        self.check_application_approvable(&application, amount)?;
        self.check_officer_may_approve(&application, amount)?;
        let event = self.approval(application, amount, decided_on);
        sink.write(event, self).await;
        Ok(())
    }

    /// The application is this round's, still pending, and asks for at least `amount`.
    fn check_application_approvable(
        &self,
        application: &ApplicationFacts,
        amount: Money,
    ) -> Result<(), RoundError> {
        let round = self.id();
        if application.round_id != round {
            return Err(RoundError::WrongRound {
                application: application.application_id.clone(),
                round,
                actual: application.round_id.clone(),
            });
        }
        if self.approved.contains(&application.application_id) {
            return Err(RoundError::AlreadyApproved(
                application.application_id.clone(),
            ));
        }
        if application.status != ApplicationStatus::Submitted {
            return Err(RoundError::NotPending {
                application: application.application_id.clone(),
                status: application.status,
            });
        }
        if amount.is_zero() {
            return Err(RoundError::ZeroAmount);
        }
        if amount > application.amount_requested {
            return Err(RoundError::ExceedsRequest {
                amount,
                requested: application.amount_requested,
                application: application.application_id.clone(),
            });
        }
        Ok(())
    }

    /// The round's terms let an officer approve it (panel-decided, quorum met) and
    /// `amount` fits in the remaining budget.
    fn check_officer_may_approve(
        &self,
        application: &ApplicationFacts,
        amount: Money,
    ) -> Result<(), RoundError> {
        let round = self.id();
        let terms = self.terms.as_ref().expect("an opened round has terms");
        // Residents decide a participatory round; an officer's approval would
        // override their vote order (allocateByVotes approves instead).
        if terms.decision_mode == DecisionMode::Participatory {
            return Err(RoundError::DecidedByVotes(round));
        }
        if application.panel_score_count < terms.min_panel_scores {
            return Err(RoundError::QuorumNotMet {
                application: application.application_id.clone(),
                have: application.panel_score_count,
                need: terms.min_panel_scores,
                round,
            });
        }
        let remaining = self.remaining();
        if amount > remaining {
            return Err(RoundError::OverBudget {
                amount,
                remaining,
                round,
            });
        }
        Ok(())
    }

    async fn reserve_variation(
        &mut self,
        reservation: VariationReservation,
        sink: &EventSink<Self>,
    ) -> Result<(), RoundError> {
        let VariationReservation {
            variation_id,
            award_id,
            increase,
            reason,
            reserved_on,
            budget_lines,
        } = reservation;
        self.require_opened()?;
        // Checked before "closed": a retry of a reservation made before the round
        // closed must still succeed.
        if self.variations.contains(&variation_id) {
            return Ok(());
        }
        if self.closed {
            return Err(RoundError::Closed(self.id()));
        }
        if increase.is_zero() {
            return Err(RoundError::ZeroAmount);
        }
        if variation_id.trim().is_empty() {
            return Err(RoundError::MissingField("variation_id"));
        }
        if reason.trim().is_empty() {
            return Err(RoundError::MissingField("reason"));
        }
        self.require_award(&award_id)?;
        let remaining = self.remaining();
        let remaining_after =
            remaining
                .checked_sub(increase)
                .ok_or_else(|| RoundError::OverBudget {
                    amount: increase,
                    remaining,
                    round: self.id(),
                })?;
        let event = RoundEvent::VariationReserved {
            variation_id,
            award_id,
            increase,
            reason,
            reserved_on,
            remaining_after,
            budget_lines,
        };
        sink.write(event, self).await;
        Ok(())
    }

    async fn release_variation(
        &mut self,
        variation_id: String,
        award_id: AwardId,
        decrease: Money,
        released_on: Date,
        sink: &EventSink<Self>,
    ) -> Result<(), RoundError> {
        self.require_opened()?;
        if self.variations.contains(&variation_id) {
            return Ok(());
        }
        if decrease.is_zero() {
            return Ok(());
        }
        if variation_id.trim().is_empty() {
            return Err(RoundError::MissingField("variation_id"));
        }
        self.require_award(&award_id)?;
        // The cut is already recorded on the award, so this never refuses for
        // being closed: once closed, the money goes on to the fund.
        let released_to_fund = self.closed;
        let remaining_after = if released_to_fund {
            Money::ZERO
        } else {
            self.budget
                .saturating_sub(self.awarded.saturating_sub(decrease))
        };
        let event = RoundEvent::VariationReleased {
            variation_id,
            award_id,
            fund_id: self.fund_id(),
            decrease,
            released_on,
            remaining_after,
            released_to_fund,
        };
        sink.write(event, self).await;
        Ok(())
    }

    async fn close(&mut self, closed_on: Date, sink: &EventSink<Self>) -> Result<(), RoundError> {
        self.require_open()?;
        let event = RoundEvent::RoundClosed {
            closed_on,
            fund_id: self.fund_id(),
            unawarded: self.remaining(),
        };
        sink.write(event, self).await;
        Ok(())
    }

    async fn issue_ballot_codes(
        &mut self,
        batch_id: String,
        code_hashes: Vec<BallotCodeHash>,
        issued_on: Date,
        sink: &EventSink<Self>,
    ) -> Result<(), RoundError> {
        self.require_open()?;
        self.require_participatory()?;
        if self.voting_closed {
            return Err(RoundError::VotingClosed(self.id()));
        }
        if batch_id.trim().is_empty() {
            return Err(RoundError::MissingField("batch_id"));
        }
        if code_hashes.is_empty() || code_hashes.len() > MAX_BALLOT_CODES_PER_REQUEST {
            return Err(RoundError::BallotCodeCount {
                count: code_hashes.len(),
                max: MAX_BALLOT_CODES_PER_REQUEST,
            });
        }
        let distinct: BTreeSet<_> = code_hashes.iter().collect();
        if distinct.len() != code_hashes.len() {
            return Err(RoundError::DuplicateBallotCode);
        }
        let event = RoundEvent::BallotCodesIssued {
            batch_id,
            issued_total: self.ballot_codes_issued + code_hashes.len() as u64,
            code_hashes,
            issued_on,
        };
        sink.write(event, self).await;
        Ok(())
    }

    async fn close_voting(
        &mut self,
        closed_on: Date,
        sink: &EventSink<Self>,
    ) -> Result<(), RoundError> {
        self.require_open()?;
        self.require_participatory()?;
        if self.voting_closed {
            // The first step of a retried or concurrent allocateByVotes.
            return Ok(());
        }
        sink.write(RoundEvent::VotingClosed { closed_on }, self)
            .await;
        Ok(())
    }

    /// The tally, then one approval per application that fitted, each approval reading
    /// the round's figures left by the one before.
    async fn allocate_by_votes(
        &mut self,
        candidates: Vec<VoteCandidate>,
        ballots_counted: u64,
        decided_on: Date,
        sink: &EventSink<Self>,
    ) -> Result<(), RoundError> {
        self.require_open()?;
        self.require_participatory()?;
        if !self.voting_closed {
            return Err(RoundError::VotingOpen(self.id()));
        }
        if self.votes_allocated {
            return Err(RoundError::AlreadyAllocated(self.id()));
        }
        self.check_candidates(&candidates)?;
        let (lines, approvals) = self.allocate_in_vote_order(candidates);
        let tally = RoundEvent::VotesAllocated {
            ballots_counted,
            lines,
            decided_on,
        };
        sink.write(tally, self).await;
        for application in approvals {
            let amount = application.amount_requested;
            let event = self.approval(application, amount, decided_on);
            sink.write(event, self).await;
        }
        Ok(())
    }

    /// Each candidate is one of this round's applications, and none appears twice.
    fn check_candidates(&self, candidates: &[VoteCandidate]) -> Result<(), RoundError> {
        let round = self.id();
        let mut seen = BTreeSet::new();
        for candidate in candidates {
            let application = &candidate.application;
            if application.round_id != round {
                return Err(RoundError::WrongRound {
                    application: application.application_id.clone(),
                    round,
                    actual: application.round_id.clone(),
                });
            }
            if !seen.insert(application.application_id.clone()) {
                return Err(RoundError::DuplicateCandidate(
                    application.application_id.clone(),
                ));
            }
        }
        Ok(())
    }

    /// The tally's lines in vote order and the applications approved: each in contention
    /// gets its full request while the remaining budget holds it.
    fn allocate_in_vote_order(
        &self,
        candidates: Vec<VoteCandidate>,
    ) -> (Vec<VoteLine>, Vec<ApplicationFacts>) {
        let ranked = vote_order(candidates);
        let mut remaining = self.remaining();
        let mut lines = Vec::with_capacity(ranked.len());
        let mut approvals = Vec::new();
        for candidate in ranked {
            let submitted_at = Some(candidate.submitted_at);
            let application = candidate.application;
            let in_contention = application.status == ApplicationStatus::Submitted
                && !self.approved.contains(&application.application_id);
            let requested = application.amount_requested;
            let outcome = if !in_contention {
                VoteOutcome::NotInContention
            } else if let Some(left) = remaining.checked_sub(requested) {
                remaining = left;
                VoteOutcome::Approved
            } else {
                VoteOutcome::DidNotFit
            };
            lines.push(VoteLine {
                application_id: application.application_id.clone(),
                votes: candidate.votes,
                outcome,
                submitted_at,
            });
            if outcome == VoteOutcome::Approved {
                approvals.push(application);
            }
        }
        (lines, approvals)
    }
}

impl Aggregate for Round {
    const TYPE: &'static str = "Round";
    type Command = RoundCommand;
    type Event = RoundEvent;
    type Error = RoundError;
    type Services = ();

    async fn handle(
        &mut self,
        command: RoundCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), RoundError> {
        match command {
            RoundCommand::Open {
                round_id,
                budget,
                terms,
            } => self.open(round_id, budget, terms, sink).await,
            RoundCommand::ApproveApplication {
                application,
                amount,
                decided_on,
            } => {
                self.approve_application(application, amount, decided_on, sink)
                    .await
            }
            RoundCommand::ReserveVariation {
                variation_id,
                award_id,
                increase,
                reason,
                reserved_on,
                budget_lines,
            } => {
                let reservation = VariationReservation {
                    variation_id,
                    award_id,
                    increase,
                    reason,
                    reserved_on,
                    budget_lines,
                };
                self.reserve_variation(reservation, sink).await
            }
            RoundCommand::ReleaseVariation {
                variation_id,
                award_id,
                decrease,
                released_on,
            } => {
                self.release_variation(variation_id, award_id, decrease, released_on, sink)
                    .await
            }
            RoundCommand::Close { closed_on } => self.close(closed_on, sink).await,
            RoundCommand::IssueBallotCodes {
                batch_id,
                code_hashes,
                issued_on,
            } => {
                self.issue_ballot_codes(batch_id, code_hashes, issued_on, sink)
                    .await
            }
            RoundCommand::CloseVoting { closed_on } => self.close_voting(closed_on, sink).await,
            RoundCommand::AllocateByVotes {
                candidates,
                ballots_counted,
                decided_on,
            } => {
                self.allocate_by_votes(candidates, ballots_counted, decided_on, sink)
                    .await
            }
        }
    }

    fn apply(&mut self, event: RoundEvent) {
        match event {
            RoundEvent::RoundOpened {
                round_id,
                budget,
                terms,
            } => {
                self.round_id = Some(round_id);
                self.budget = budget;
                self.terms = Some(terms);
            }
            RoundEvent::ApplicationApproved {
                application_id,
                amount,
                awarded_total,
                remaining_after,
                ..
            } => {
                self.awarded = self.awarded.plus(amount);
                self.approved.insert(application_id);
                debug_assert_eq!(self.awarded, awarded_total);
                debug_assert_eq!(self.remaining(), remaining_after);
            }
            RoundEvent::VariationReserved {
                variation_id,
                increase,
                remaining_after,
                ..
            } => {
                self.awarded = self.awarded.plus(increase);
                self.variations.insert(variation_id);
                debug_assert_eq!(self.remaining(), remaining_after);
            }
            RoundEvent::VariationReleased {
                variation_id,
                decrease,
                remaining_after,
                ..
            } => {
                self.awarded = self.awarded.saturating_sub(decrease);
                self.variations.insert(variation_id);
                debug_assert_eq!(self.remaining(), remaining_after);
            }
            RoundEvent::RoundClosed { unawarded, .. } => {
                debug_assert_eq!(unawarded, self.remaining());
                self.closed = true;
            }
            RoundEvent::BallotCodesIssued { issued_total, .. } => {
                self.ballot_codes_issued = issued_total;
            }
            RoundEvent::VotingClosed { .. } => {
                self.voting_closed = true;
            }
            RoundEvent::VotesAllocated { .. } => {
                debug_assert!(self.voting_closed, "votes allocated while voting was open");
                self.votes_allocated = true;
            }
        }
        debug_assert!(self.awarded <= self.budget, "awarded beyond the budget");
    }
}

/// Candidates with at least one vote, most votes first; ties to the application whose
/// submission the log recorded first (`submitted_at`, given by the store, so no applicant
/// chooses it, unlike an id, which can be ground from an idempotency key, or a date, which
/// is the caller's). Deterministic whatever order the candidates came in; the id only
/// keeps the order total (two submissions never share a place in the log).
fn vote_order(mut candidates: Vec<VoteCandidate>) -> Vec<VoteCandidate> {
    candidates.retain(|candidate| candidate.votes > 0);
    candidates.sort_by(|a, b| {
        b.votes
            .cmp(&a.votes)
            .then(a.submitted_at.cmp(&b.submitted_at))
            .then(
                a.application
                    .application_id
                    .cmp(&b.application.application_id),
            )
    });
    candidates
}
