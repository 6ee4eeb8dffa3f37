//! Given/when/then tests of a ballot's rules.

use cqrs_es::test::TestFramework;

use super::{
    Ballot, BallotChoice, BallotCommand, BallotError, BallotEvent, RoundForBallot,
    MAX_CHOICES_PER_BALLOT,
};
use crate::application::ApplicationStatus;
use crate::round::DecisionMode;
use crate::test_support::*;
use crate::{ApplicationId, RoundId};

type BallotTest = TestFramework<Ballot>;

fn ballot() -> BallotTest {
    TestFramework::with(())
}

fn issued() -> BallotEvent {
    BallotEvent::BallotIssued {
        round_id: round_id(),
        batch_id: "BAL-1".to_string(),
        issued_on: on(3, 1),
    }
}

/// A participatory round open from 1 March to 31 May 2025, voting open.
fn round() -> RoundForBallot {
    RoundForBallot {
        round_id: round_id(),
        decision_mode: DecisionMode::Participatory,
        is_open: true,
        voting_closed: false,
        opens_on: on(3, 1),
        closes_on: on(5, 31),
    }
}

fn choice(application: &str) -> BallotChoice {
    BallotChoice {
        application_id: ApplicationId::new(application),
        round_id: round_id(),
        status: ApplicationStatus::Submitted,
    }
}

fn cast_in(round: RoundForBallot, choices: Vec<BallotChoice>) -> BallotCommand {
    BallotCommand::Cast {
        round,
        choices,
        cast_on: on(4, 15),
    }
}

fn cast(choices: Vec<BallotChoice>) -> BallotCommand {
    cast_in(round(), choices)
}

fn was_cast(applications: &[&str]) -> BallotEvent {
    BallotEvent::BallotCast {
        round_id: round_id(),
        application_ids: applications
            .iter()
            .map(|id| ApplicationId::new(*id))
            .collect(),
        cast_on: on(4, 15),
    }
}

#[tokio::test]
async fn a_ballot_is_issued_for_its_round() {
    ballot()
        .given_no_previous_events()
        .when_async(BallotCommand::Issue {
            round_id: round_id(),
            batch_id: "BAL-1".to_string(),
            issued_on: on(3, 1),
        })
        .await
        .then_expect_events(vec![issued()]);
}

#[tokio::test]
async fn issuing_an_issued_ballot_again_changes_nothing() {
    ballot()
        .given(vec![issued()])
        .when_async(BallotCommand::Issue {
            round_id: round_id(),
            batch_id: "BAL-1".to_string(),
            issued_on: on(3, 2),
        })
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn issuing_an_issued_ballot_for_another_round_is_refused() {
    ballot()
        .given(vec![issued()])
        .when_async(BallotCommand::Issue {
            round_id: RoundId::new("RND-2"),
            batch_id: "BAL-9".to_string(),
            issued_on: on(3, 2),
        })
        .await
        .then_expect_error(BallotError::IssuedElsewhere {
            issued: round_id(),
            batch: "BAL-1".to_string(),
            requested: RoundId::new("RND-2"),
        });
}

#[tokio::test]
async fn an_issued_ballot_votes_for_distinct_applications_in_contention() {
    ballot()
        .given(vec![issued()])
        .when_async(cast(vec![choice("APP-2"), choice("APP-1")]))
        .await
        .then_expect_events(vec![was_cast(&["APP-2", "APP-1"])]);
}

#[tokio::test]
async fn a_code_never_issued_is_invalid() {
    ballot()
        .given_no_previous_events()
        .when_async(cast(vec![choice("APP-1")]))
        .await
        .then_expect_error(BallotError::InvalidCode(round_id()));
}

#[tokio::test]
async fn a_code_of_another_round_is_invalid_in_the_same_words() {
    let other = RoundForBallot {
        round_id: RoundId::new("RND-2"),
        ..round()
    };
    let error = BallotError::InvalidCode(RoundId::new("RND-2"));
    ballot()
        .given(vec![issued()])
        .when_async(cast_in(other, vec![choice("APP-1")]))
        .await
        .then_expect_error(error.clone());
    assert_eq!(
        error.to_string(),
        "this ballot code is not valid for round RND-2"
    );
}

#[tokio::test]
async fn a_code_votes_once() {
    ballot()
        .given(vec![issued(), was_cast(&["APP-1"])])
        .when_async(cast(vec![choice("APP-2")]))
        .await
        .then_expect_error(BallotError::AlreadyCast);
}

#[tokio::test]
async fn a_panel_round_takes_no_ballots() {
    let panel = RoundForBallot {
        decision_mode: DecisionMode::Panel,
        ..round()
    };
    ballot()
        .given(vec![issued()])
        .when_async(cast_in(panel, vec![choice("APP-1")]))
        .await
        .then_expect_error(BallotError::NotParticipatory(round_id()));
}

#[tokio::test]
async fn a_closed_round_takes_no_ballots() {
    let closed = RoundForBallot {
        is_open: false,
        ..round()
    };
    ballot()
        .given(vec![issued()])
        .when_async(cast_in(closed, vec![choice("APP-1")]))
        .await
        .then_expect_error(BallotError::RoundClosed(round_id()));
}

#[tokio::test]
async fn no_ballot_is_taken_once_allocation_has_started() {
    let allocating = RoundForBallot {
        voting_closed: true,
        ..round()
    };
    ballot()
        .given(vec![issued()])
        .when_async(cast_in(allocating, vec![choice("APP-1")]))
        .await
        .then_expect_error(BallotError::VotingClosed(round_id()));
}

#[tokio::test]
async fn a_ballot_outside_the_round_window_is_refused() {
    for cast_on in [on(2, 28), on(6, 1)] {
        ballot()
            .given(vec![issued()])
            .when_async(BallotCommand::Cast {
                round: round(),
                choices: vec![choice("APP-1")],
                cast_on,
            })
            .await
            .then_expect_error(BallotError::OutsideWindow {
                round: round_id(),
                opens_on: on(3, 1),
                closes_on: on(5, 31),
                cast_on,
            });
    }
}

#[tokio::test]
async fn an_empty_ballot_is_refused() {
    ballot()
        .given(vec![issued()])
        .when_async(cast(Vec::new()))
        .await
        .then_expect_error(BallotError::NoChoices);
}

#[tokio::test]
async fn more_choices_than_the_bound_are_refused() {
    let choices: Vec<BallotChoice> = (0..=MAX_CHOICES_PER_BALLOT)
        .map(|index| choice(&format!("APP-{index}")))
        .collect();
    ballot()
        .given(vec![issued()])
        .when_async(cast(choices))
        .await
        .then_expect_error(BallotError::TooManyChoices {
            count: MAX_CHOICES_PER_BALLOT + 1,
            max: MAX_CHOICES_PER_BALLOT,
        });
}

#[tokio::test]
async fn the_same_application_twice_is_refused() {
    ballot()
        .given(vec![issued()])
        .when_async(cast(vec![choice("APP-1"), choice("APP-1")]))
        .await
        .then_expect_error(BallotError::DuplicateChoice(ApplicationId::new("APP-1")));
}

#[tokio::test]
async fn an_application_of_another_round_is_refused() {
    let elsewhere = BallotChoice {
        round_id: RoundId::new("RND-2"),
        ..choice("APP-9")
    };
    ballot()
        .given(vec![issued()])
        .when_async(cast(vec![choice("APP-1"), elsewhere]))
        .await
        .then_expect_error(BallotError::WrongRound {
            application: ApplicationId::new("APP-9"),
            round: round_id(),
            actual: RoundId::new("RND-2"),
        });
}

#[tokio::test]
async fn an_application_out_of_contention_is_refused() {
    for status in [
        ApplicationStatus::Withdrawn,
        ApplicationStatus::Declined,
        ApplicationStatus::Approved,
    ] {
        let decided = BallotChoice {
            status,
            ..choice("APP-1")
        };
        ballot()
            .given(vec![issued()])
            .when_async(cast(vec![decided]))
            .await
            .then_expect_error(BallotError::NotInContention {
                application: ApplicationId::new("APP-1"),
                status,
            });
    }
}

#[test]
fn a_code_hash_is_64_lowercase_hex_digits() {
    assert!(super::BallotCodeHash::parse(&"a".repeat(64)).is_ok());
    assert!(super::BallotCodeHash::parse(&"A".repeat(64)).is_err());
    assert!(super::BallotCodeHash::parse(&"a".repeat(63)).is_err());
    assert!(super::BallotCodeHash::parse("ABCD-EFGH").is_err());
}
