//! Given/when/then tests of the round's rules.

use cqrs_es::test::TestFramework;

use super::{ApplicationFacts, DecisionMode, Round, RoundCommand, RoundError, RoundEvent};
use crate::application::ApplicationStatus;
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
async fn a_participatory_round_approves_without_panel_scores() {
    let mut participatory = terms();
    participatory.decision_mode = DecisionMode::Participatory;
    let unscored = ApplicationFacts {
        panel_score_count: 0,
        ..facts()
    };
    round()
        .given(vec![RoundEvent::RoundOpened {
            round_id: round_id(),
            budget: Money::pounds(BUDGET),
            terms: participatory,
        }])
        .when_async(approve(unscored, Money::pounds(1_000)))
        .await
        .then_expect_events(vec![approved(
            APPLICATION,
            Money::pounds(1_000),
            Money::pounds(1_000),
            Money::pounds(9_000),
        )]);
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
