//! Given/when/then tests of recording inputs (match funding, in kind, volunteer time).

use cqrs_es::test::TestFramework;
use rust_decimal_macros::dec;

use super::{
    Award, AwardCommand, AwardError, AwardEvent, HistoricGrant, InputKind, InputRecorded,
    InputRecorder, RecordInput,
};
use crate::test_support::*;
use crate::{AwardId, DateError, Money, OrgId};

fn award() -> TestFramework<Award> {
    TestFramework::with(())
}

fn made() -> AwardEvent {
    AwardEvent::AwardMade {
        award_id: AwardId::new("AW-1"),
        application_id: application_id(),
        fund_id: fund_id(),
        round_id: round_id(),
        recipient_org_id: applicant(),
        recipient_name: "Hillside Community Kitchen".to_string(),
        title: "Saturday breakfast club".to_string(),
        neighbourhood: neighbourhood(),
        themes: vec!["food".to_string()],
        amount: Money::pounds(10_000),
        awarded_on: on(6, 10),
    }
}

fn record(by: InputRecorder, value: Money) -> AwardCommand {
    AwardCommand::RecordInput(RecordInput {
        by,
        input_id: "INP-1".to_string(),
        kind: InputKind::MatchFunding,
        value,
        description: " Match funding from the council ".to_string(),
        contributed_on: on(7, 1),
        today: on(7, 2),
    })
}

fn recorded(by_officer: bool) -> AwardEvent {
    AwardEvent::InputRecorded(InputRecorded {
        input_id: "INP-1".to_string(),
        kind: InputKind::MatchFunding,
        value: Money::pounds(2_500),
        description: "Match funding from the council".to_string(),
        contributed_on: on(7, 1),
        recorded_by_officer: by_officer,
    })
}

#[tokio::test]
async fn the_recipient_or_an_officer_records_an_input() {
    award()
        .given(vec![made()])
        .when_async(record(
            InputRecorder::Grantee(applicant()),
            Money::pounds(2_500),
        ))
        .await
        .then_expect_events(vec![recorded(false)]);
    award()
        .given(vec![made()])
        .when_async(record(InputRecorder::Officer, Money::pounds(2_500)))
        .await
        .then_expect_events(vec![recorded(true)]);
}

#[tokio::test]
async fn another_organisation_cannot_record_an_input() {
    let stranger = OrgId::new("GB-CHC-9999999");
    award()
        .given(vec![made()])
        .when_async(record(
            InputRecorder::Grantee(stranger.clone()),
            Money::pounds(1),
        ))
        .await
        .then_expect_error(AwardError::NotRecipient {
            award: AwardId::new("AW-1"),
            recipient: applicant(),
            caller: stranger,
        });
}

#[tokio::test]
async fn an_input_needs_a_value_a_description_and_a_real_date() {
    award()
        .given(vec![made()])
        .when_async(record(InputRecorder::Officer, Money::ZERO))
        .await
        .then_expect_error(AwardError::ZeroAmount);
    let AwardCommand::RecordInput(base) = record(InputRecorder::Officer, Money::pounds(5)) else {
        unreachable!()
    };
    let blank = RecordInput {
        description: "  ".into(),
        ..base.clone()
    };
    award()
        .given(vec![made()])
        .when_async(AwardCommand::RecordInput(blank))
        .await
        .then_expect_error(AwardError::MissingField("description"));
    let tomorrow = RecordInput {
        contributed_on: on(7, 3),
        ..base.clone()
    };
    award()
        .given(vec![made()])
        .when_async(AwardCommand::RecordInput(tomorrow))
        .await
        .then_expect_error(AwardError::Date(DateError::AfterToday {
            field: "contributedOn",
            date: on(7, 3),
            today: on(7, 2),
        }));
    let before_award = RecordInput {
        contributed_on: on(6, 9),
        ..base
    };
    award()
        .given(vec![made()])
        .when_async(AwardCommand::RecordInput(before_award))
        .await
        .then_expect_error(AwardError::Date(DateError::BeforeLimit {
            field: "contributedOn",
            date: on(6, 9),
            limit_name: "award AW-1 was made".into(),
            limit: on(6, 10),
        }));
}

#[tokio::test]
async fn no_input_on_an_award_not_made_or_a_historic_grant() {
    award()
        .given_no_previous_events()
        .when_async(record(InputRecorder::Officer, Money::pounds(5)))
        .await
        .then_expect_error(AwardError::NotFound(AwardId::new("")));
    let grant = HistoricGrant {
        award_id: AwardId::new("AW-H"),
        fund_id: fund_id(),
        grant_id: "360G-1".into(),
        recipient_org_id: applicant(),
        recipient_name: "Past".into(),
        title: "Past grant".into(),
        neighbourhood: None,
        themes: vec![],
        amount: Money::new(dec!(100.00)).unwrap(),
        disbursed: None,
        awarded_on: on(1, 1),
        published: None,
    };
    award()
        .given(vec![AwardEvent::HistoricGrantImported(grant)])
        .when_async(record(InputRecorder::Officer, Money::pounds(5)))
        .await
        .then_expect_error(AwardError::Historic(AwardId::new("AW-H")));
}
