//! Given/when/then tests of the application's rules.

use std::sync::Arc;

use cqrs_es::test::TestFramework;

use super::{
    Application, ApplicationCommand, ApplicationError, ApplicationEvent, ApplicationServices,
    ApplicationStatus, RoundForSubmission, Score,
};
use crate::round::RoundTerms;
use crate::test_support::*;
use crate::{ApplicationId, AwardId, Date, GeoCode, Money, OrgId, RoundId};

type ApplicationTest = TestFramework<Application>;

/// Eligibility is asked of the test geography, so listing a district admits its LSOAs.
fn application() -> ApplicationTest {
    TestFramework::with(ApplicationServices {
        geography: Arc::new(TestGeography),
    })
}

/// The round's terms, open only to the test geography's listed district.
fn district_terms() -> RoundTerms {
    RoundTerms {
        eligible_areas: vec![code(DISTRICT)],
        ..terms()
    }
}

fn open_round(terms: RoundTerms) -> RoundForSubmission {
    RoundForSubmission {
        round_id: round_id(),
        is_open: true,
        terms,
    }
}

fn submit_with(
    round: RoundForSubmission,
    neighbourhood: GeoCode,
    themes: &[&str],
    submitted_on: Date,
) -> ApplicationCommand {
    ApplicationCommand::Submit {
        application_id: application_id(),
        round,
        applicant: applicant(),
        applicant_name: "Hillside Community Kitchen".to_string(),
        title: "Saturday breakfast club".to_string(),
        description: "Hot breakfasts for 40 children every Saturday".to_string(),
        amount_requested: Money::pounds(5_000),
        neighbourhood,
        themes: themes.iter().map(|theme| theme.to_string()).collect(),
        submitted_on,
    }
}

fn submit() -> ApplicationCommand {
    submit_with(
        open_round(district_terms()),
        neighbourhood(),
        &["food"],
        on(4, 1),
    )
}

fn submitted() -> ApplicationEvent {
    submitted_in(neighbourhood(), &["food"], on(4, 1))
}

fn submitted_in(neighbourhood: GeoCode, themes: &[&str], submitted_on: Date) -> ApplicationEvent {
    ApplicationEvent::ApplicationSubmitted {
        application_id: application_id(),
        round_id: round_id(),
        fund_id: fund_id(),
        applicant: applicant(),
        applicant_name: "Hillside Community Kitchen".to_string(),
        title: "Saturday breakfast club".to_string(),
        description: "Hot breakfasts for 40 children every Saturday".to_string(),
        amount_requested: Money::pounds(5_000),
        neighbourhood,
        themes: themes.iter().map(|theme| theme.to_string()).collect(),
        submitted_on,
    }
}

fn score(member: &str, value: u8) -> ApplicationCommand {
    ApplicationCommand::Score {
        member: member.to_string(),
        score: Score::new(value).unwrap(),
        comment: "Clear plan".to_string(),
        scored_on: on(6, 2),
    }
}

fn scored(member: &str, value: u8, replaces: Option<u8>) -> ApplicationEvent {
    ApplicationEvent::ApplicationScored {
        member: member.to_string(),
        score: Score::new(value).unwrap(),
        comment: "Clear plan".to_string(),
        scored_on: on(6, 2),
        replaces: replaces.map(|value| Score::new(value).unwrap()),
    }
}

fn declare(member: &str) -> ApplicationCommand {
    ApplicationCommand::DeclareConflict {
        member: member.to_string(),
        declared_on: on(6, 1),
    }
}

fn declared(member: &str) -> ApplicationEvent {
    ApplicationEvent::ConflictDeclared {
        member: member.to_string(),
        declared_on: on(6, 1),
    }
}

fn withdraw(by: OrgId) -> ApplicationCommand {
    ApplicationCommand::Withdraw {
        by,
        withdrawn_on: on(5, 1),
    }
}

fn withdrawn() -> ApplicationEvent {
    ApplicationEvent::ApplicationWithdrawn {
        withdrawn_on: on(5, 1),
    }
}

fn decline(reason: &str) -> ApplicationCommand {
    ApplicationCommand::Decline {
        reason: reason.to_string(),
        decided_on: on(6, 10),
    }
}

fn declined() -> ApplicationEvent {
    ApplicationEvent::ApplicationDeclined {
        reason: "Outside the fund's priorities".to_string(),
        decided_on: on(6, 10),
    }
}

fn record_approval(award: &str) -> ApplicationCommand {
    ApplicationCommand::RecordApproval {
        award_id: AwardId::new(award),
        amount: Money::pounds(4_000),
        decided_on: on(6, 10),
    }
}

fn approval_recorded(award: &str) -> ApplicationEvent {
    ApplicationEvent::ApprovalRecorded {
        award_id: AwardId::new(award),
        amount: Money::pounds(4_000),
        decided_on: on(6, 10),
    }
}

fn draft() -> ApplicationId {
    ApplicationId::new("")
}

/// Every state in which the application has been decided, with the status it ends in.
fn decided() -> Vec<(ApplicationEvent, ApplicationStatus)> {
    vec![
        (withdrawn(), ApplicationStatus::Withdrawn),
        (declined(), ApplicationStatus::Declined),
        (approval_recorded("AW-1"), ApplicationStatus::Approved),
    ]
}

// --- Submit

#[tokio::test]
async fn submitting_in_an_area_within_a_listed_district_is_accepted() {
    application()
        .given_no_previous_events()
        .when_async(submit())
        .await
        .then_expect_events(vec![submitted()]);
}

#[tokio::test]
async fn an_area_listed_itself_is_eligible() {
    let terms = RoundTerms {
        eligible_areas: vec![neighbourhood()],
        ..terms()
    };
    application()
        .given_no_previous_events()
        .when_async(submit_with(
            open_round(terms),
            neighbourhood(),
            &["food"],
            on(4, 1),
        ))
        .await
        .then_expect_events(vec![submitted()]);
}

#[tokio::test]
async fn an_area_within_a_listed_region_is_eligible() {
    let terms = RoundTerms {
        eligible_areas: vec![code(REGION)],
        ..terms()
    };
    application()
        .given_no_previous_events()
        .when_async(submit_with(
            open_round(terms),
            code(ELSEWHERE),
            &["food"],
            on(4, 1),
        ))
        .await
        .then_expect_events(vec![submitted_in(code(ELSEWHERE), &["food"], on(4, 1))]);
}

#[tokio::test]
async fn a_round_listing_no_areas_takes_any_area() {
    application()
        .given_no_previous_events()
        .when_async(submit_with(
            open_round(terms()),
            code(ELSEWHERE),
            &["food"],
            on(4, 1),
        ))
        .await
        .then_expect_events(vec![submitted_in(code(ELSEWHERE), &["food"], on(4, 1))]);
}

#[tokio::test]
async fn submitting_from_an_area_outside_the_listed_ones_is_refused() {
    let validator = application()
        .given_no_previous_events()
        .when_async(submit_with(
            open_round(district_terms()),
            code(ELSEWHERE),
            &["food"],
            on(4, 1),
        ))
        .await;
    let error = validator.inspect_result().unwrap_err();
    assert_eq!(
        error,
        ApplicationError::IneligibleArea {
            area: code(ELSEWHERE),
            round: round_id(),
        }
    );
    assert_eq!(
        error.to_string(),
        "E01000099 is not in an area round RND-1 funds"
    );
}

#[tokio::test]
async fn an_area_the_geography_does_not_know_is_eligible_only_if_listed() {
    // A code missing from the reference geography has no ancestors to match.
    application()
        .given_no_previous_events()
        .when_async(submit_with(
            open_round(district_terms()),
            code("E01000500"),
            &["food"],
            on(4, 1),
        ))
        .await
        .then_expect_error(ApplicationError::IneligibleArea {
            area: code("E01000500"),
            round: round_id(),
        });
}

#[tokio::test]
async fn submitting_on_the_first_and_last_day_of_the_window_is_accepted() {
    for day in [on(3, 1), on(5, 31)] {
        application()
            .given_no_previous_events()
            .when_async(submit_with(
                open_round(district_terms()),
                neighbourhood(),
                &["food"],
                day,
            ))
            .await
            .then_expect_events(vec![submitted_in(neighbourhood(), &["food"], day)]);
    }
}

#[tokio::test]
async fn submitting_outside_the_window_is_refused() {
    for (day, text) in [(on(2, 28), "2025-02-28"), (on(6, 1), "2025-06-01")] {
        let validator = application()
            .given_no_previous_events()
            .when_async(submit_with(
                open_round(district_terms()),
                neighbourhood(),
                &["food"],
                day,
            ))
            .await;
        let error = validator.inspect_result().unwrap_err();
        assert_eq!(
            error,
            ApplicationError::OutsideWindow {
                round: round_id(),
                opens_on: "2025-03-01".to_string(),
                closes_on: "2025-05-31".to_string(),
                submitted_on: text.to_string(),
            }
        );
        assert_eq!(
            error.to_string(),
            format!(
                "round RND-1 takes applications from 2025-03-01 to 2025-05-31; {text} is \
                 outside that window"
            )
        );
    }
}

#[tokio::test]
async fn submitting_to_a_round_that_is_not_open_is_refused() {
    application()
        .given_no_previous_events()
        .when_async(submit_with(
            RoundForSubmission {
                round_id: round_id(),
                is_open: false,
                terms: district_terms(),
            },
            neighbourhood(),
            &["food"],
            on(4, 1),
        ))
        .await
        .then_expect_error(ApplicationError::RoundNotOpen(round_id()));
}

#[tokio::test]
async fn submitting_for_a_theme_the_round_does_not_fund_is_refused() {
    application()
        .given_no_previous_events()
        .when_async(submit_with(
            open_round(district_terms()),
            neighbourhood(),
            &["food", "arts"],
            on(4, 1),
        ))
        .await
        .then_expect_error(ApplicationError::IneligibleTheme {
            theme: "arts".to_string(),
            round: round_id(),
        });
}

#[tokio::test]
async fn a_round_listing_no_themes_funds_any_theme() {
    let terms = RoundTerms {
        themes: Vec::new(),
        ..district_terms()
    };
    application()
        .given_no_previous_events()
        .when_async(submit_with(
            open_round(terms),
            neighbourhood(),
            &["arts"],
            on(4, 1),
        ))
        .await
        .then_expect_events(vec![submitted_in(neighbourhood(), &["arts"], on(4, 1))]);
}

#[tokio::test]
async fn an_application_needs_an_id_an_applicant_a_name_and_a_title() {
    let blank = |field: &str| {
        let mut command = submit();
        if let ApplicationCommand::Submit {
            application_id,
            applicant,
            applicant_name,
            title,
            ..
        } = &mut command
        {
            match field {
                "application_id" => *application_id = ApplicationId::new(""),
                "applicant" => *applicant = OrgId::new(" "),
                "applicant_name" => applicant_name.clear(),
                "title" => *title = "\t".to_string(),
                _ => unreachable!(),
            }
        }
        command
    };
    for field in ["application_id", "applicant", "applicant_name", "title"] {
        application()
            .given_no_previous_events()
            .when_async(blank(field))
            .await
            .then_expect_error(ApplicationError::MissingField(field));
    }
}

#[tokio::test]
async fn a_request_for_nothing_is_refused() {
    let mut command = submit();
    if let ApplicationCommand::Submit {
        amount_requested, ..
    } = &mut command
    {
        *amount_requested = Money::ZERO;
    }
    application()
        .given_no_previous_events()
        .when_async(command)
        .await
        .then_expect_error(ApplicationError::ZeroAmount);
}

#[tokio::test]
async fn submitting_an_application_twice_is_refused() {
    application()
        .given(vec![submitted()])
        .when_async(submit())
        .await
        .then_expect_error(ApplicationError::AlreadySubmitted(application_id()));
}

// --- Withdraw

#[tokio::test]
async fn the_applicant_may_withdraw_an_undecided_application() {
    application()
        .given(vec![submitted(), scored("panel-a", 4, None)])
        .when_async(withdraw(applicant()))
        .await
        .then_expect_events(vec![withdrawn()]);
}

#[tokio::test]
async fn only_the_applicant_may_withdraw() {
    let validator = application()
        .given(vec![submitted()])
        .when_async(withdraw(OrgId::new("GB-CHC-9999999")))
        .await;
    let error = validator.inspect_result().unwrap_err();
    assert_eq!(
        error,
        ApplicationError::NotApplicant {
            applicant: applicant(),
            caller: OrgId::new("GB-CHC-9999999"),
        }
    );
    assert_eq!(
        error.to_string(),
        "only the applicant GB-CHC-1234567 may do this, not GB-CHC-9999999"
    );
}

#[tokio::test]
async fn withdrawing_a_decided_application_is_refused() {
    for (decision, status) in decided() {
        application()
            .given(vec![submitted(), decision])
            .when_async(withdraw(applicant()))
            .await
            .then_expect_error(ApplicationError::AlreadyDecided {
                application: application_id(),
                status,
            });
    }
}

#[tokio::test]
async fn withdrawing_an_application_never_submitted_is_refused() {
    application()
        .given_no_previous_events()
        .when_async(withdraw(applicant()))
        .await
        .then_expect_error(ApplicationError::NotFound(draft()));
}

// --- DeclareConflict

#[tokio::test]
async fn declaring_a_conflict_is_recorded() {
    application()
        .given(vec![submitted()])
        .when_async(declare("panel-a"))
        .await
        .then_expect_events(vec![declared("panel-a")]);
}

#[tokio::test]
async fn declaring_the_same_conflict_twice_is_refused() {
    application()
        .given(vec![submitted(), declared("panel-a")])
        .when_async(declare("panel-a"))
        .await
        .then_expect_error(ApplicationError::ConflictAlreadyDeclared {
            member: "panel-a".to_string(),
            application: application_id(),
        });
}

#[tokio::test]
async fn a_conflict_needs_a_member() {
    application()
        .given(vec![submitted()])
        .when_async(declare(" "))
        .await
        .then_expect_error(ApplicationError::MissingField("member"));
}

#[tokio::test]
async fn a_conflict_on_an_application_never_submitted_is_refused() {
    application()
        .given_no_previous_events()
        .when_async(declare("panel-a"))
        .await
        .then_expect_error(ApplicationError::NotFound(draft()));
}

// --- Score

#[tokio::test]
async fn a_panel_member_scores_an_application() {
    application()
        .given(vec![submitted()])
        .when_async(score("panel-a", 4))
        .await
        .then_expect_events(vec![scored("panel-a", 4, None)]);
}

#[tokio::test]
async fn a_re_score_replaces_the_members_earlier_score() {
    application()
        .given(vec![submitted(), scored("panel-a", 2, None)])
        .when_async(score("panel-a", 5))
        .await
        .then_expect_events(vec![scored("panel-a", 5, Some(2))]);
}

#[tokio::test]
async fn a_member_with_a_declared_conflict_cannot_score() {
    let validator = application()
        .given(vec![submitted(), declared("panel-a")])
        .when_async(score("panel-a", 5))
        .await;
    let error = validator.inspect_result().unwrap_err();
    assert_eq!(
        error,
        ApplicationError::ConflictOfInterest {
            member: "panel-a".to_string(),
            application: application_id(),
        }
    );
    assert_eq!(
        error.to_string(),
        "panel-a declared a conflict of interest on application APP-1 and can't score it"
    );
}

#[tokio::test]
async fn a_conflict_declared_after_scoring_stops_a_re_score() {
    application()
        .given(vec![
            submitted(),
            scored("panel-a", 5, None),
            declared("panel-a"),
        ])
        .when_async(score("panel-a", 5))
        .await
        .then_expect_error(ApplicationError::ConflictOfInterest {
            member: "panel-a".to_string(),
            application: application_id(),
        });
}

#[tokio::test]
async fn scoring_a_decided_application_is_refused() {
    for (decision, status) in decided() {
        application()
            .given(vec![submitted(), decision])
            .when_async(score("panel-a", 3))
            .await
            .then_expect_error(ApplicationError::AlreadyDecided {
                application: application_id(),
                status,
            });
    }
}

#[tokio::test]
async fn a_score_needs_a_member() {
    application()
        .given(vec![submitted()])
        .when_async(score("", 3))
        .await
        .then_expect_error(ApplicationError::MissingField("member"));
}

#[tokio::test]
async fn scoring_an_application_never_submitted_is_refused() {
    application()
        .given_no_previous_events()
        .when_async(score("panel-a", 3))
        .await
        .then_expect_error(ApplicationError::NotFound(draft()));
}

#[test]
fn a_score_is_a_whole_number_from_one_to_five() {
    assert_eq!(Score::new(1).unwrap().value(), 1);
    assert_eq!(Score::new(5).unwrap().value(), 5);
    assert_eq!(
        Score::new(0).unwrap_err(),
        "a score is a whole number from 1 to 5, not 0"
    );
    assert!(Score::new(6).is_err());
    assert!(serde_json::from_str::<Score>("6").is_err());
    assert_eq!(serde_json::from_str::<Score>("3").unwrap().value(), 3);
}

// --- Decline

#[tokio::test]
async fn declining_an_undecided_application_is_recorded() {
    application()
        .given(vec![submitted()])
        .when_async(decline("Outside the fund's priorities"))
        .await
        .then_expect_events(vec![declined()]);
}

#[tokio::test]
async fn declining_needs_a_reason() {
    application()
        .given(vec![submitted()])
        .when_async(decline(" "))
        .await
        .then_expect_error(ApplicationError::MissingField("reason"));
}

#[tokio::test]
async fn declining_a_decided_application_is_refused() {
    for (decision, status) in decided() {
        application()
            .given(vec![submitted(), decision])
            .when_async(decline("Outside the fund's priorities"))
            .await
            .then_expect_error(ApplicationError::AlreadyDecided {
                application: application_id(),
                status,
            });
    }
}

#[tokio::test]
async fn declining_an_application_never_submitted_is_refused() {
    application()
        .given_no_previous_events()
        .when_async(decline("Outside the fund's priorities"))
        .await
        .then_expect_error(ApplicationError::NotFound(draft()));
}

// --- RecordApproval

#[tokio::test]
async fn the_rounds_approval_is_recorded() {
    application()
        .given(vec![submitted(), scored("panel-a", 4, None)])
        .when_async(record_approval("AW-1"))
        .await
        .then_expect_events(vec![approval_recorded("AW-1")]);
}

#[tokio::test]
async fn the_rounds_approval_stands_over_a_crossing_withdrawal() {
    application()
        .given(vec![submitted(), withdrawn()])
        .when_async(record_approval("AW-1"))
        .await
        .then_expect_events(vec![approval_recorded("AW-1")]);
}

#[tokio::test]
async fn recording_the_same_approval_again_emits_nothing() {
    application()
        .given(vec![submitted(), approval_recorded("AW-1")])
        .when_async(record_approval("AW-1"))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn recording_an_approval_as_another_award_is_refused() {
    application()
        .given(vec![submitted(), approval_recorded("AW-1")])
        .when_async(record_approval("AW-2"))
        .await
        .then_expect_error(ApplicationError::ApprovedAsOtherAward {
            application: application_id(),
            existing: "AW-1".to_string(),
            requested: "AW-2".to_string(),
        });
}

#[tokio::test]
async fn recording_an_approval_of_an_application_never_submitted_is_refused() {
    application()
        .given_no_previous_events()
        .when_async(record_approval("AW-1"))
        .await
        .then_expect_error(ApplicationError::NotFound(draft()));
}

// --- Facts for the round

#[test]
fn the_round_counts_one_score_per_member_and_none_from_conflicted_members() {
    let mut state = Application::default();
    assert_eq!(state.facts(), None);
    for event in [
        submitted(),
        scored("panel-a", 2, None),
        scored("panel-a", 5, Some(2)),
        scored("panel-b", 4, None),
        scored("panel-c", 1, None),
        // panel-c's earlier score stops counting once the conflict is known.
        declared("panel-c"),
    ] {
        cqrs_es::Aggregate::apply(&mut state, event);
    }
    assert_eq!(state.panel_scores().len(), 2);
    assert_eq!(state.panel_scores()["panel-a"], Score::new(5).unwrap());
    assert!(state.conflicts().contains("panel-c"));
    assert_eq!(state.facts(), Some(facts()));

    cqrs_es::Aggregate::apply(&mut state, approval_recorded("AW-1"));
    assert_eq!(state.status(), ApplicationStatus::Approved);
    assert_eq!(state.award_id(), Some(&AwardId::new("AW-1")));
    assert_eq!(state.approved_amount(), Some(Money::pounds(4_000)));
    assert_eq!(state.round_id(), Some(&RoundId::new(ROUND)));
    assert_eq!(state.applicant(), Some(&applicant()));
}
