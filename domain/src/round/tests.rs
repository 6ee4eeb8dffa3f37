//! Given/when/then tests of the round's rules.

use cqrs_es::test::TestFramework;

use super::{
    ApplicationFacts, DecisionMode, LogPlace, Round, RoundCommand, RoundError, RoundEvent,
    VoteCandidate, VoteLine, VoteOutcome,
};
use crate::application::ApplicationStatus;
use crate::ballot::{BallotCodeHash, MAX_BALLOT_CODES_PER_REQUEST};
use crate::test_support::*;
use crate::{ApplicationId, AwardId, Money, RoundId};

type RoundTest = TestFramework<Round>;

fn round() -> RoundTest {
    TestFramework::with(())
}

const BUDGET: u32 = 10_000;

fn open() -> RoundCommand {
    RoundCommand::Open {
        round_id: round_id(),
        budget: Money::pounds(BUDGET),
        terms: terms(),
    }
}

fn opened() -> RoundEvent {
    RoundEvent::RoundOpened {
        round_id: round_id(),
        budget: Money::pounds(BUDGET),
        terms: terms(),
    }
}

/// `facts()` for another application of the same round.
fn facts_for(application: &str, requested: Money) -> ApplicationFacts {
    ApplicationFacts {
        application_id: ApplicationId::new(application),
        amount_requested: requested,
        ..facts()
    }
}

fn approve(application: ApplicationFacts, amount: Money) -> RoundCommand {
    RoundCommand::ApproveApplication {
        application,
        amount,
        decided_on: on(6, 10),
    }
}

fn approved(application: &str, amount: Money, awarded: Money, remaining: Money) -> RoundEvent {
    let application_id = ApplicationId::new(application);
    RoundEvent::ApplicationApproved {
        award_id: AwardId::for_application(&application_id),
        application_id,
        fund_id: fund_id(),
        round_id: round_id(),
        recipient_org_id: applicant(),
        recipient_name: "Hillside Community Kitchen".to_string(),
        title: "Saturday breakfast club".to_string(),
        neighbourhood: neighbourhood(),
        themes: vec!["food".to_string()],
        amount,
        decided_on: on(6, 10),
        awarded_total: awarded,
        remaining_after: remaining,
    }
}

/// Opened with £10,000.00 and APP-1 approved for £4,000.00: £6,000.00 remaining.
fn with_an_award() -> Vec<RoundEvent> {
    vec![
        opened(),
        approved(
            APPLICATION,
            Money::pounds(4_000),
            Money::pounds(4_000),
            Money::pounds(6_000),
        ),
    ]
}

fn award() -> AwardId {
    AwardId::new("AW-1")
}

fn reserve(variation: &str, increase: Money) -> RoundCommand {
    RoundCommand::ReserveVariation {
        variation_id: variation.to_string(),
        award_id: award(),
        increase,
        reason: "Extra sessions over the summer".to_string(),
        reserved_on: on(7, 1),
        budget_lines: None,
    }
}

fn reserved(variation: &str, increase: Money, remaining: Money) -> RoundEvent {
    RoundEvent::VariationReserved {
        variation_id: variation.to_string(),
        award_id: award(),
        increase,
        reason: "Extra sessions over the summer".to_string(),
        reserved_on: on(7, 1),
        remaining_after: remaining,
        budget_lines: None,
    }
}

fn release(variation: &str, decrease: Money) -> RoundCommand {
    RoundCommand::ReleaseVariation {
        variation_id: variation.to_string(),
        award_id: award(),
        decrease,
        released_on: on(8, 1),
    }
}

fn released(variation: &str, decrease: Money, remaining: Money, to_fund: bool) -> RoundEvent {
    RoundEvent::VariationReleased {
        variation_id: variation.to_string(),
        award_id: award(),
        fund_id: fund_id(),
        decrease,
        released_on: on(8, 1),
        remaining_after: remaining,
        released_to_fund: to_fund,
    }
}

fn close() -> RoundCommand {
    RoundCommand::Close {
        closed_on: on(9, 30),
    }
}

fn closed(unawarded: Money) -> RoundEvent {
    RoundEvent::RoundClosed {
        closed_on: on(9, 30),
        fund_id: fund_id(),
        unawarded,
    }
}

fn unopened() -> RoundId {
    RoundId::new("")
}

// --- Open

#[tokio::test]
async fn opening_records_the_budget_and_terms() {
    round()
        .given_no_previous_events()
        .when_async(open())
        .await
        .then_expect_events(vec![opened()]);
}

#[tokio::test]
async fn opening_again_with_the_same_budget_and_terms_emits_nothing() {
    round()
        .given(vec![opened()])
        .when_async(open())
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn opening_again_with_another_budget_or_terms_is_refused() {
    round()
        .given(vec![opened()])
        .when_async(RoundCommand::Open {
            round_id: round_id(),
            budget: Money::pounds(BUDGET + 1),
            terms: terms(),
        })
        .await
        .then_expect_error(RoundError::OpenedDifferently(round_id()));

    let mut wider = terms();
    wider.themes.push("arts".to_string());
    round()
        .given(vec![opened()])
        .when_async(RoundCommand::Open {
            round_id: round_id(),
            budget: Money::pounds(BUDGET),
            terms: wider,
        })
        .await
        .then_expect_error(RoundError::OpenedDifferently(round_id()));
}

#[tokio::test]
async fn a_round_opens_only_with_a_budget_allocated_to_it() {
    round()
        .given_no_previous_events()
        .when_async(RoundCommand::Open {
            round_id: round_id(),
            budget: Money::ZERO,
            terms: terms(),
        })
        .await
        .then_expect_error(RoundError::ZeroBudget);
}

#[tokio::test]
async fn a_round_without_a_name_is_refused() {
    let mut nameless = terms();
    nameless.name = "  ".to_string();
    round()
        .given_no_previous_events()
        .when_async(RoundCommand::Open {
            round_id: round_id(),
            budget: Money::pounds(BUDGET),
            terms: nameless,
        })
        .await
        .then_expect_error(RoundError::MissingName);
}

#[tokio::test]
async fn a_round_that_closes_before_it_opens_is_refused() {
    let mut backwards = terms();
    backwards.closes_on = on(2, 28);
    round()
        .given_no_previous_events()
        .when_async(RoundCommand::Open {
            round_id: round_id(),
            budget: Money::pounds(BUDGET),
            terms: backwards,
        })
        .await
        .then_expect_error(RoundError::DatesOutOfOrder {
            round: round_id(),
            opens_on: "2025-03-01".to_string(),
            closes_on: "2025-02-28".to_string(),
        });
}

// --- ApproveApplication

#[tokio::test]
async fn approving_within_the_request_and_the_budget_makes_an_award() {
    round()
        .given(vec![opened()])
        .when_async(approve(facts(), Money::pounds(4_000)))
        .await
        .then_expect_events(vec![approved(
            APPLICATION,
            Money::pounds(4_000),
            Money::pounds(4_000),
            Money::pounds(6_000),
        )]);
}

#[tokio::test]
async fn approvals_add_up_against_the_budget() {
    round()
        .given(with_an_award())
        .when_async(approve(
            facts_for("APP-2", Money::pounds(5_000)),
            Money::pounds(5_000),
        ))
        .await
        .then_expect_events(vec![approved(
            "APP-2",
            Money::pounds(5_000),
            Money::pounds(9_000),
            Money::pounds(1_000),
        )]);
}

#[tokio::test]
async fn approving_exactly_the_remaining_budget_is_allowed() {
    round()
        .given(with_an_award())
        .when_async(approve(
            facts_for("APP-2", Money::pounds(6_000)),
            Money::pounds(6_000),
        ))
        .await
        .then_expect_events(vec![approved(
            "APP-2",
            Money::pounds(6_000),
            Money::pounds(BUDGET),
            Money::ZERO,
        )]);
}

#[tokio::test]
async fn approving_over_the_remaining_budget_is_refused() {
    let validator = round()
        .given(with_an_award())
        .when_async(approve(
            facts_for("APP-2", Money::pounds(7_000)),
            Money::from_pence(600_001),
        ))
        .await;
    let error = validator.inspect_result().unwrap_err();
    assert_eq!(
        error,
        RoundError::OverBudget {
            amount: Money::from_pence(600_001),
            remaining: Money::pounds(6_000),
            round: round_id(),
        }
    );
    assert_eq!(
        error.to_string(),
        "approving £6,000.01 exceeds the £6,000.00 remaining in round RND-1's budget"
    );
}

#[tokio::test]
async fn approving_more_than_was_requested_is_refused() {
    let validator = round()
        .given(vec![opened()])
        .when_async(approve(facts(), Money::from_pence(500_001)))
        .await;
    let error = validator.inspect_result().unwrap_err();
    assert_eq!(
        error,
        RoundError::ExceedsRequest {
            amount: Money::from_pence(500_001),
            requested: Money::pounds(5_000),
            application: application_id(),
        }
    );
    assert_eq!(
        error.to_string(),
        "approving £5,000.01 exceeds the £5,000.00 that application APP-1 requested"
    );
}

#[tokio::test]
async fn approving_before_the_panel_quorum_is_refused() {
    let short = ApplicationFacts {
        panel_score_count: 1,
        ..facts()
    };
    let validator = round()
        .given(vec![opened()])
        .when_async(approve(short, Money::pounds(1_000)))
        .await;
    let error = validator.inspect_result().unwrap_err();
    assert_eq!(
        error,
        RoundError::QuorumNotMet {
            application: application_id(),
            have: 1,
            need: 2,
            round: round_id(),
        }
    );
    assert_eq!(
        error.to_string(),
        "application APP-1 has 1 panel scores; round RND-1 needs 2 before a decision"
    );
}

#[tokio::test]
async fn approving_directly_in_a_participatory_round_is_refused_whatever_the_scores() {
    let unscored = ApplicationFacts {
        panel_score_count: 0,
        ..facts()
    };
    round()
        .given(vec![participatory_opened()])
        .when_async(approve(unscored, Money::pounds(1_000)))
        .await
        .then_expect_error(RoundError::DecidedByVotes(round_id()));
}

#[tokio::test]
async fn approving_in_a_round_not_opened_is_refused() {
    round()
        .given_no_previous_events()
        .when_async(approve(facts(), Money::pounds(1_000)))
        .await
        .then_expect_error(RoundError::NotOpened(round_id()));
}

#[tokio::test]
async fn approving_in_a_closed_round_is_refused() {
    round()
        .given(vec![opened(), closed(Money::pounds(BUDGET))])
        .when_async(approve(facts(), Money::pounds(1_000)))
        .await
        .then_expect_error(RoundError::Closed(round_id()));
}

#[tokio::test]
async fn approving_an_application_to_another_round_is_refused() {
    let elsewhere = ApplicationFacts {
        round_id: RoundId::new("RND-2"),
        ..facts()
    };
    round()
        .given(vec![opened()])
        .when_async(approve(elsewhere, Money::pounds(1_000)))
        .await
        .then_expect_error(RoundError::WrongRound {
            application: application_id(),
            round: round_id(),
            actual: RoundId::new("RND-2"),
        });
}

#[tokio::test]
async fn approving_an_application_twice_is_refused() {
    round()
        .given(with_an_award())
        .when_async(approve(facts(), Money::pounds(1_000)))
        .await
        .then_expect_error(RoundError::AlreadyApproved(application_id()));
}

#[tokio::test]
async fn approving_an_application_that_is_not_pending_is_refused() {
    for status in [
        ApplicationStatus::Draft,
        ApplicationStatus::Withdrawn,
        ApplicationStatus::Declined,
        ApplicationStatus::Approved,
    ] {
        round()
            .given(vec![opened()])
            .when_async(approve(
                ApplicationFacts { status, ..facts() },
                Money::pounds(1_000),
            ))
            .await
            .then_expect_error(RoundError::NotPending {
                application: application_id(),
                status,
            });
    }
}

#[tokio::test]
async fn a_zero_approval_is_refused() {
    round()
        .given(vec![opened()])
        .when_async(approve(facts(), Money::ZERO))
        .await
        .then_expect_error(RoundError::ZeroAmount);
}

// --- ReserveVariation

#[tokio::test]
async fn an_increase_is_taken_from_the_remaining_budget() {
    round()
        .given(with_an_award())
        .when_async(reserve("VAR-1", Money::pounds(1_500)))
        .await
        .then_expect_events(vec![reserved(
            "VAR-1",
            Money::pounds(1_500),
            Money::pounds(4_500),
        )]);
}

#[tokio::test]
async fn an_increase_over_the_remaining_budget_is_refused() {
    round()
        .given(with_an_award())
        .when_async(reserve("VAR-1", Money::from_pence(600_001)))
        .await
        .then_expect_error(RoundError::OverBudget {
            amount: Money::from_pence(600_001),
            remaining: Money::pounds(6_000),
            round: round_id(),
        });
}

#[tokio::test]
async fn a_repeated_reservation_emits_nothing_even_once_closed() {
    let mut given = with_an_award();
    given.push(reserved(
        "VAR-1",
        Money::pounds(1_500),
        Money::pounds(4_500),
    ));
    round()
        .given(given.clone())
        .when_async(reserve("VAR-1", Money::pounds(1_500)))
        .await
        .then_expect_events(vec![]);

    given.push(closed(Money::pounds(4_500)));
    round()
        .given(given)
        .when_async(reserve("VAR-1", Money::pounds(1_500)))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn an_increase_in_a_closed_round_is_refused() {
    let mut given = with_an_award();
    given.push(closed(Money::pounds(6_000)));
    round()
        .given(given)
        .when_async(reserve("VAR-1", Money::pounds(1)))
        .await
        .then_expect_error(RoundError::Closed(round_id()));
}

#[tokio::test]
async fn an_increase_in_a_round_not_opened_is_refused() {
    round()
        .given_no_previous_events()
        .when_async(reserve("VAR-1", Money::pounds(1)))
        .await
        .then_expect_error(RoundError::NotOpened(unopened()));
}

#[tokio::test]
async fn a_zero_increase_is_refused() {
    round()
        .given(with_an_award())
        .when_async(reserve("VAR-1", Money::ZERO))
        .await
        .then_expect_error(RoundError::ZeroAmount);
}

#[tokio::test]
async fn an_increase_needs_a_variation_id_and_a_reason() {
    round()
        .given(with_an_award())
        .when_async(reserve(" ", Money::pounds(1)))
        .await
        .then_expect_error(RoundError::MissingField("variation_id"));

    round()
        .given(with_an_award())
        .when_async(RoundCommand::ReserveVariation {
            variation_id: "VAR-1".to_string(),
            award_id: award(),
            increase: Money::pounds(1),
            reason: String::new(),
            reserved_on: on(7, 1),
            budget_lines: None,
        })
        .await
        .then_expect_error(RoundError::MissingField("reason"));
}

#[tokio::test]
async fn an_increase_to_an_award_of_another_round_is_refused() {
    round()
        .given(with_an_award())
        .when_async(RoundCommand::ReserveVariation {
            variation_id: "VAR-1".to_string(),
            award_id: AwardId::new("AW-9"),
            increase: Money::pounds(1),
            reason: "Extra sessions".to_string(),
            reserved_on: on(7, 1),
            budget_lines: None,
        })
        .await
        .then_expect_error(RoundError::UnknownAward {
            award: AwardId::new("AW-9"),
            round: round_id(),
        });
}

// --- ReleaseVariation

#[tokio::test]
async fn a_cut_goes_back_to_the_remaining_budget() {
    round()
        .given(with_an_award())
        .when_async(release("VAR-1", Money::pounds(1_000)))
        .await
        .then_expect_events(vec![released(
            "VAR-1",
            Money::pounds(1_000),
            Money::pounds(7_000),
            false,
        )]);
}

#[tokio::test]
async fn a_cut_after_the_round_closed_goes_on_to_the_fund() {
    let mut given = with_an_award();
    given.push(closed(Money::pounds(6_000)));
    round()
        .given(given)
        .when_async(release("VAR-1", Money::pounds(1_000)))
        .await
        .then_expect_events(vec![released(
            "VAR-1",
            Money::pounds(1_000),
            Money::ZERO,
            true,
        )]);
}

#[tokio::test]
async fn a_repeated_cut_emits_nothing() {
    let mut given = with_an_award();
    given.push(released(
        "VAR-1",
        Money::pounds(1_000),
        Money::pounds(7_000),
        false,
    ));
    round()
        .given(given)
        .when_async(release("VAR-1", Money::pounds(1_000)))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn a_zero_cut_emits_nothing() {
    round()
        .given(with_an_award())
        .when_async(release("VAR-1", Money::ZERO))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn a_cut_in_a_round_not_opened_is_refused() {
    round()
        .given_no_previous_events()
        .when_async(release("VAR-1", Money::pounds(1)))
        .await
        .then_expect_error(RoundError::NotOpened(unopened()));
}

#[tokio::test]
async fn a_cut_needs_a_variation_id() {
    round()
        .given(with_an_award())
        .when_async(release("", Money::pounds(1)))
        .await
        .then_expect_error(RoundError::MissingField("variation_id"));
}

#[tokio::test]
async fn a_cut_to_an_award_of_another_round_is_refused() {
    round()
        .given(with_an_award())
        .when_async(RoundCommand::ReleaseVariation {
            variation_id: "VAR-1".to_string(),
            award_id: AwardId::new("AW-9"),
            decrease: Money::pounds(1),
            released_on: on(8, 1),
        })
        .await
        .then_expect_error(RoundError::UnknownAward {
            award: AwardId::new("AW-9"),
            round: round_id(),
        });
}

// --- Close

#[tokio::test]
async fn closing_gives_the_unawarded_budget_back_to_the_fund() {
    let mut given = with_an_award();
    given.push(reserved(
        "VAR-1",
        Money::pounds(1_500),
        Money::pounds(4_500),
    ));
    given.push(released(
        "VAR-2",
        Money::pounds(500),
        Money::pounds(5_000),
        false,
    ));
    round()
        .given(given)
        .when_async(close())
        .await
        .then_expect_events(vec![closed(Money::pounds(5_000))]);
}

#[tokio::test]
async fn a_fully_awarded_round_closes_with_nothing_to_give_back() {
    round()
        .given(vec![
            opened(),
            approved(
                APPLICATION,
                Money::pounds(BUDGET),
                Money::pounds(BUDGET),
                Money::ZERO,
            ),
        ])
        .when_async(close())
        .await
        .then_expect_events(vec![closed(Money::ZERO)]);
}

#[tokio::test]
async fn closing_a_closed_round_is_refused() {
    round()
        .given(vec![opened(), closed(Money::pounds(BUDGET))])
        .when_async(close())
        .await
        .then_expect_error(RoundError::Closed(round_id()));
}

#[tokio::test]
async fn closing_a_round_not_opened_is_refused() {
    round()
        .given_no_previous_events()
        .when_async(close())
        .await
        .then_expect_error(RoundError::NotOpened(unopened()));
}

// --- Accessors

#[test]
fn the_round_counts_awarded_and_remaining_net_of_variations() {
    let mut state = Round::default();
    assert!(!state.is_opened());
    let mut events = with_an_award();
    events.push(reserved(
        "VAR-1",
        Money::pounds(1_500),
        Money::pounds(4_500),
    ));
    events.push(released(
        "VAR-2",
        Money::pounds(500),
        Money::pounds(5_000),
        false,
    ));
    for event in events {
        cqrs_es::Aggregate::apply(&mut state, event);
    }
    assert!(state.is_open());
    assert_eq!(state.budget(), Money::pounds(BUDGET));
    assert_eq!(state.awarded(), Money::pounds(5_000));
    assert_eq!(state.remaining(), Money::pounds(5_000));
    assert!(state.has_approved(&application_id()));
    assert!(state.has_award(&award()));
    assert!(!state.has_award(&AwardId::new("AW-9")));

    cqrs_es::Aggregate::apply(&mut state, closed(Money::pounds(5_000)));
    assert!(state.is_closed());
    assert!(!state.is_open());
    // What was left went back to the fund; nothing is left to award.
    assert_eq!(state.remaining(), Money::ZERO);
}

// ---------------------------------------------------------------- participatory rounds

fn participatory_opened() -> RoundEvent {
    let mut participatory = terms();
    participatory.decision_mode = DecisionMode::Participatory;
    participatory.min_panel_scores = 0;
    RoundEvent::RoundOpened {
        round_id: round_id(),
        budget: Money::pounds(BUDGET),
        terms: participatory,
    }
}

/// A well-formed code hash, distinct for each `n`.
fn hash(n: u32) -> BallotCodeHash {
    BallotCodeHash::parse(&format!("{n:064x}")).expect("64 hex digits")
}

fn issue(count: u32) -> RoundCommand {
    RoundCommand::IssueBallotCodes {
        batch_id: "BAL-1".to_string(),
        code_hashes: (0..count).map(hash).collect(),
        issued_on: on(3, 1),
    }
}

fn issued(count: u32, total: u64) -> RoundEvent {
    RoundEvent::BallotCodesIssued {
        batch_id: "BAL-1".to_string(),
        code_hashes: (0..count).map(hash).collect(),
        issued_on: on(3, 1),
        issued_total: total,
    }
}

fn voting_closed() -> RoundEvent {
    RoundEvent::VotingClosed {
        closed_on: on(6, 1),
    }
}

/// A place in the log as SQLite gives it (transaction id 0, the position alone).
fn logged(position: i64) -> LogPlace {
    LogPlace {
        epoch: 0,
        txid: 0,
        position,
    }
}

/// An application the log recorded at `logged_at` (all on the same day).
fn candidate(application: &str, requested: u32, votes: u64, logged_at: i64) -> VoteCandidate {
    VoteCandidate {
        application: ApplicationFacts {
            submitted_on: on(3, 1),
            panel_score_count: 0,
            ..facts_for(application, Money::pounds(requested))
        },
        votes,
        submitted_at: logged(logged_at),
    }
}

fn allocate(candidates: Vec<VoteCandidate>) -> RoundCommand {
    RoundCommand::AllocateByVotes {
        candidates,
        ballots_counted: 9,
        decided_on: on(6, 10),
    }
}

fn line(application: &str, votes: u64, outcome: VoteOutcome, submitted_at: LogPlace) -> VoteLine {
    VoteLine {
        application_id: ApplicationId::new(application),
        votes,
        outcome,
        submitted_at: Some(submitted_at),
    }
}

fn allocated(lines: Vec<VoteLine>) -> RoundEvent {
    RoundEvent::VotesAllocated {
        ballots_counted: 9,
        lines,
        decided_on: on(6, 10),
    }
}

#[tokio::test]
async fn ballot_codes_are_issued_as_hashes_and_counted() {
    round()
        .given(vec![participatory_opened(), issued(2, 2)])
        .when_async(issue(3))
        .await
        .then_expect_events(vec![issued(3, 5)]);
}

#[tokio::test]
async fn ballot_codes_for_a_panel_round_are_refused() {
    round()
        .given(vec![opened()])
        .when_async(issue(3))
        .await
        .then_expect_error(RoundError::NotParticipatory(round_id()));
}

#[tokio::test]
async fn ballot_codes_beyond_the_per_request_bound_are_refused() {
    let too_many = MAX_BALLOT_CODES_PER_REQUEST as u32 + 1;
    round()
        .given(vec![participatory_opened()])
        .when_async(issue(too_many))
        .await
        .then_expect_error(RoundError::BallotCodeCount {
            count: too_many as usize,
            max: MAX_BALLOT_CODES_PER_REQUEST,
        });
}

#[tokio::test]
async fn no_ballot_codes_is_refused() {
    round()
        .given(vec![participatory_opened()])
        .when_async(issue(0))
        .await
        .then_expect_error(RoundError::BallotCodeCount {
            count: 0,
            max: MAX_BALLOT_CODES_PER_REQUEST,
        });
}

#[tokio::test]
async fn a_ballot_code_twice_in_one_batch_is_refused() {
    round()
        .given(vec![participatory_opened()])
        .when_async(RoundCommand::IssueBallotCodes {
            batch_id: "BAL-1".to_string(),
            code_hashes: vec![hash(1), hash(2), hash(1)],
            issued_on: on(3, 1),
        })
        .await
        .then_expect_error(RoundError::DuplicateBallotCode);
}

#[tokio::test]
async fn ballot_codes_after_voting_closed_are_refused() {
    round()
        .given(vec![participatory_opened(), voting_closed()])
        .when_async(issue(1))
        .await
        .then_expect_error(RoundError::VotingClosed(round_id()));
}

#[tokio::test]
async fn ballot_codes_for_a_closed_round_are_refused() {
    round()
        .given(vec![
            participatory_opened(),
            RoundEvent::RoundClosed {
                closed_on: on(6, 30),
                fund_id: fund_id(),
                unawarded: Money::pounds(BUDGET),
            },
        ])
        .when_async(issue(1))
        .await
        .then_expect_error(RoundError::Closed(round_id()));
}

#[tokio::test]
async fn closing_voting_is_recorded_once() {
    round()
        .given(vec![participatory_opened()])
        .when_async(RoundCommand::CloseVoting {
            closed_on: on(6, 1),
        })
        .await
        .then_expect_events(vec![voting_closed()]);
    round()
        .given(vec![participatory_opened(), voting_closed()])
        .when_async(RoundCommand::CloseVoting {
            closed_on: on(6, 2),
        })
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn closing_voting_in_a_panel_round_is_refused() {
    round()
        .given(vec![opened()])
        .when_async(RoundCommand::CloseVoting {
            closed_on: on(6, 1),
        })
        .await
        .then_expect_error(RoundError::NotParticipatory(round_id()));
}

#[tokio::test]
async fn allocation_approves_in_vote_order_skipping_what_does_not_fit() {
    // £10,000: APP-A (5 votes, £6,000) fits; APP-B (4 votes, £5,000) does not fit in the
    // £4,000 left and is passed over; APP-C (3 votes, £3,000) still fits; APP-D has no
    // votes and is not considered.
    let candidates = vec![
        candidate("APP-C", 3_000, 3, 1),
        candidate("APP-D", 500, 0, 2),
        candidate("APP-A", 6_000, 5, 3),
        candidate("APP-B", 5_000, 4, 4),
    ];
    round()
        .given(vec![participatory_opened(), voting_closed()])
        .when_async(allocate(candidates))
        .await
        .then_expect_events(vec![
            allocated(vec![
                line("APP-A", 5, VoteOutcome::Approved, logged(3)),
                line("APP-B", 4, VoteOutcome::DidNotFit, logged(4)),
                line("APP-C", 3, VoteOutcome::Approved, logged(1)),
            ]),
            approved(
                "APP-A",
                Money::pounds(6_000),
                Money::pounds(6_000),
                Money::pounds(4_000),
            ),
            approved(
                "APP-C",
                Money::pounds(3_000),
                Money::pounds(9_000),
                Money::pounds(1_000),
            ),
        ]);
}

#[tokio::test]
async fn tied_votes_go_to_the_submission_the_log_recorded_first_not_the_id_or_the_date() {
    // Budget for two of the three £4,000 requests, all with 2 votes. APP-0000 has the
    // lowest id (one ground from an idempotency key) and the earliest date on its request,
    // but the log recorded it last: neither may buy the tie. On PostgreSQL the log's order
    // is the transaction id first: APP-MMMM took position 11 before APP-ZZZZ took 12, but
    // its transaction (8) started after APP-ZZZZ's (7), and readers of the log see it after.
    let zzzz = LogPlace {
        epoch: 0,
        txid: 7,
        position: 12,
    };
    let mmmm = LogPlace {
        epoch: 0,
        txid: 8,
        position: 11,
    };
    let ground = LogPlace {
        epoch: 0,
        txid: 9,
        position: 30,
    };
    let mut candidates = vec![
        VoteCandidate {
            submitted_at: ground,
            ..candidate("APP-0000", 4_000, 2, 0)
        },
        VoteCandidate {
            submitted_at: mmmm,
            ..candidate("APP-MMMM", 4_000, 2, 0)
        },
        VoteCandidate {
            submitted_at: zzzz,
            ..candidate("APP-ZZZZ", 4_000, 2, 0)
        },
    ];
    for (candidate, day) in candidates.iter_mut().zip([1, 5, 9]) {
        candidate.application.submitted_on = on(3, day);
    }
    round()
        .given(vec![participatory_opened(), voting_closed()])
        .when_async(allocate(candidates))
        .await
        .then_expect_events(vec![
            allocated(vec![
                line("APP-ZZZZ", 2, VoteOutcome::Approved, zzzz),
                line("APP-MMMM", 2, VoteOutcome::Approved, mmmm),
                line("APP-0000", 2, VoteOutcome::DidNotFit, ground),
            ]),
            approved(
                "APP-ZZZZ",
                Money::pounds(4_000),
                Money::pounds(4_000),
                Money::pounds(6_000),
            ),
            approved(
                "APP-MMMM",
                Money::pounds(4_000),
                Money::pounds(8_000),
                Money::pounds(2_000),
            ),
        ]);
}

#[tokio::test]
async fn withdrawn_or_declined_applications_keep_their_votes_but_are_not_approved() {
    let mut withdrawn = candidate("APP-W", 1_000, 7, 1);
    withdrawn.application.status = ApplicationStatus::Withdrawn;
    round()
        .given(vec![participatory_opened(), voting_closed()])
        .when_async(allocate(vec![withdrawn, candidate("APP-A", 1_000, 1, 2)]))
        .await
        .then_expect_events(vec![
            allocated(vec![
                line("APP-W", 7, VoteOutcome::NotInContention, logged(1)),
                line("APP-A", 1, VoteOutcome::Approved, logged(2)),
            ]),
            approved(
                "APP-A",
                Money::pounds(1_000),
                Money::pounds(1_000),
                Money::pounds(9_000),
            ),
        ]);
}

#[tokio::test]
async fn allocation_with_no_votes_records_an_empty_result() {
    round()
        .given(vec![participatory_opened(), voting_closed()])
        .when_async(RoundCommand::AllocateByVotes {
            candidates: Vec::new(),
            ballots_counted: 0,
            decided_on: on(6, 10),
        })
        .await
        .then_expect_events(vec![RoundEvent::VotesAllocated {
            ballots_counted: 0,
            lines: Vec::new(),
            decided_on: on(6, 10),
        }]);
}

#[tokio::test]
async fn allocation_before_voting_closed_is_refused() {
    round()
        .given(vec![participatory_opened()])
        .when_async(allocate(vec![candidate("APP-A", 1_000, 1, 1)]))
        .await
        .then_expect_error(RoundError::VotingOpen(round_id()));
}

#[tokio::test]
async fn allocating_twice_is_refused() {
    round()
        .given(vec![
            participatory_opened(),
            voting_closed(),
            allocated(Vec::new()),
        ])
        .when_async(allocate(vec![candidate("APP-A", 1_000, 1, 1)]))
        .await
        .then_expect_error(RoundError::AlreadyAllocated(round_id()));
}

#[tokio::test]
async fn allocation_in_a_panel_round_is_refused() {
    round()
        .given(vec![opened()])
        .when_async(allocate(vec![candidate("APP-A", 1_000, 1, 1)]))
        .await
        .then_expect_error(RoundError::NotParticipatory(round_id()));
}

#[tokio::test]
async fn allocation_in_a_closed_round_is_refused() {
    round()
        .given(vec![
            participatory_opened(),
            voting_closed(),
            RoundEvent::RoundClosed {
                closed_on: on(6, 30),
                fund_id: fund_id(),
                unawarded: Money::pounds(BUDGET),
            },
        ])
        .when_async(allocate(vec![candidate("APP-A", 1_000, 1, 1)]))
        .await
        .then_expect_error(RoundError::Closed(round_id()));
}

#[tokio::test]
async fn a_candidate_of_another_round_is_refused() {
    let mut elsewhere = candidate("APP-A", 1_000, 1, 1);
    elsewhere.application.round_id = RoundId::new("RND-2");
    round()
        .given(vec![participatory_opened(), voting_closed()])
        .when_async(allocate(vec![elsewhere]))
        .await
        .then_expect_error(RoundError::WrongRound {
            application: ApplicationId::new("APP-A"),
            round: round_id(),
            actual: RoundId::new("RND-2"),
        });
}

#[tokio::test]
async fn a_candidate_listed_twice_is_refused() {
    round()
        .given(vec![participatory_opened(), voting_closed()])
        .when_async(allocate(vec![
            candidate("APP-A", 1_000, 1, 1),
            candidate("APP-A", 1_000, 1, 1),
        ]))
        .await
        .then_expect_error(RoundError::DuplicateCandidate(ApplicationId::new("APP-A")));
}
