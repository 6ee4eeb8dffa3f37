//! Given/when/then tests of the award's rules.

use cqrs_es::test::TestFramework;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::{
    Award, AwardCommand, AwardError, AwardEvent, AwardStatus, DrawdownState, HistoricGrant,
    SpendLine, MAX_SPEND_LINES_PER_REPORT,
};
use crate::money::MAX_MONEY_POUNDS;
use crate::test_support::*;
use crate::{AwardId, DateError, DrawdownId, Money, OrgId};

type AwardTest = TestFramework<Award>;

fn award() -> AwardTest {
    TestFramework::with(())
}

const AWARD: &str = "AW-1";

fn award_id() -> AwardId {
    AwardId::new(AWARD)
}

fn not_made() -> AwardId {
    AwardId::new("")
}

fn stranger() -> OrgId {
    OrgId::new("GB-CHC-9999999")
}

fn dd(id: &str) -> DrawdownId {
    DrawdownId::new(id)
}

fn make(amount: Money) -> AwardCommand {
    AwardCommand::Make {
        award_id: award_id(),
        application_id: application_id(),
        fund_id: fund_id(),
        round_id: round_id(),
        recipient_org_id: applicant(),
        recipient_name: "Hillside Community Kitchen".to_string(),
        title: "Saturday breakfast club".to_string(),
        neighbourhood: neighbourhood(),
        themes: vec!["food".to_string()],
        amount,
        awarded_on: on(6, 10),
    }
}

fn made(amount: Money) -> AwardEvent {
    AwardEvent::AwardMade {
        award_id: award_id(),
        application_id: application_id(),
        fund_id: fund_id(),
        round_id: round_id(),
        recipient_org_id: applicant(),
        recipient_name: "Hillside Community Kitchen".to_string(),
        title: "Saturday breakfast club".to_string(),
        neighbourhood: neighbourhood(),
        themes: vec!["food".to_string()],
        amount,
        awarded_on: on(6, 10),
    }
}

fn accept(by: OrgId) -> AwardCommand {
    AwardCommand::AcceptAgreement {
        by,
        accepted_on: on(6, 20),
    }
}

fn accepted() -> AwardEvent {
    AwardEvent::AgreementAccepted {
        accepted_on: on(6, 20),
    }
}

fn request(id: &str, amount: Money) -> AwardCommand {
    AwardCommand::RequestDrawdown {
        by: applicant(),
        drawdown_id: dd(id),
        amount,
        purpose: "Kitchen equipment".to_string(),
        requested_on: on(7, 1),
    }
}

fn requested(id: &str, amount: Money) -> AwardEvent {
    AwardEvent::DrawdownRequested {
        drawdown_id: dd(id),
        amount,
        purpose: "Kitchen equipment".to_string(),
        requested_on: on(7, 1),
    }
}

fn approve(id: &str) -> AwardCommand {
    AwardCommand::ApproveDrawdown {
        drawdown_id: dd(id),
        approved_on: on(7, 2),
    }
}

fn approved(id: &str, amount: Money) -> AwardEvent {
    AwardEvent::DrawdownApproved {
        drawdown_id: dd(id),
        amount,
        approved_on: on(7, 2),
    }
}

fn reject(id: &str, reason: &str) -> AwardCommand {
    AwardCommand::RejectDrawdown {
        drawdown_id: dd(id),
        reason: reason.to_string(),
        rejected_on: on(7, 2),
    }
}

fn rejected(id: &str, amount: Money) -> AwardEvent {
    AwardEvent::DrawdownRejected {
        drawdown_id: dd(id),
        amount,
        reason: "No quote attached".to_string(),
        rejected_on: on(7, 2),
    }
}

fn pay(id: &str) -> AwardCommand {
    AwardCommand::RecordPayment {
        drawdown_id: dd(id),
        payment_ref: format!("BACS-{id}"),
        paid_on: on(7, 3),
        today: on(10, 1),
    }
}

fn paid(id: &str, amount: Money, total: Money) -> AwardEvent {
    AwardEvent::PaymentRecorded {
        drawdown_id: dd(id),
        amount,
        payment_ref: format!("BACS-{id}"),
        paid_on: on(7, 3),
        paid_total: total,
    }
}

fn reduce(variation: &str, new_amount: Money) -> AwardCommand {
    AwardCommand::Reduce {
        variation_id: variation.to_string(),
        new_amount,
        reason: "Project scaled down".to_string(),
        varied_on: on(8, 1),
        budget_lines: None,
    }
}

fn increase(variation: &str, by: Money) -> AwardCommand {
    AwardCommand::ApplyIncrease {
        variation_id: variation.to_string(),
        increase: by,
        reason: "Project scaled down".to_string(),
        varied_on: on(8, 1),
        budget_lines: None,
    }
}

fn varied(variation: &str, old_amount: Money, new_amount: Money) -> AwardEvent {
    AwardEvent::AwardVaried {
        variation_id: variation.to_string(),
        old_amount,
        new_amount,
        reason: "Project scaled down".to_string(),
        varied_on: on(8, 1),
    }
}

fn give_back(return_id: &str, amount: Money) -> AwardCommand {
    AwardCommand::RecordReturn {
        return_id: return_id.to_string(),
        amount,
        reason: "Unspent at year end".to_string(),
        returned_on: on(12, 1),
    }
}

fn returned(return_id: &str, amount: Money, total: Money) -> AwardEvent {
    AwardEvent::MoneyReturned {
        return_id: return_id.to_string(),
        amount,
        reason: "Unspent at year end".to_string(),
        returned_on: on(12, 1),
        returned_total: total,
    }
}

fn lines(amounts: &[Money]) -> Vec<SpendLine> {
    amounts
        .iter()
        .map(|amount| SpendLine {
            category: "Food".to_string(),
            amount: *amount,
        })
        .collect()
}

fn report_spend(by: OrgId, report_id: &str, spend: Vec<SpendLine>) -> AwardCommand {
    AwardCommand::ReportSpend {
        by,
        report_id: report_id.to_string(),
        period_start: on(7, 1),
        period_end: on(9, 30),
        today: on(10, 1),
        lines: spend,
    }
}

fn report_outcome(by: OrgId, report_id: &str, quantity: Decimal) -> AwardCommand {
    AwardCommand::ReportOutcome {
        by,
        report_id: report_id.to_string(),
        indicator: "Breakfasts served".to_string(),
        quantity,
        period_end: on(9, 30),
        today: on(10, 1),
        fund_indicators: vec!["Breakfasts served".to_string()],
    }
}

fn close() -> AwardCommand {
    AwardCommand::Close {
        closed_on: on(12, 31),
    }
}

/// A close as stored before it recorded its figures: readers compute them from state.
fn closed() -> AwardEvent {
    AwardEvent::AwardClosed {
        closed_on: on(12, 31),
        released: None,
        final_amount: None,
    }
}

fn closed_with(released: Money, final_amount: Money) -> AwardEvent {
    AwardEvent::AwardClosed {
        closed_on: on(12, 31),
        released: Some(released),
        final_amount: Some(final_amount),
    }
}

/// A £10,000.00 award whose agreement is accepted.
fn active() -> Vec<AwardEvent> {
    vec![made(Money::pounds(10_000)), accepted()]
}

/// `active()` with £5,000.00 paid (DD-1) and £1,800.00 approved but unpaid (DD-2):
/// £3,200.00 may still be drawn.
fn part_drawn() -> Vec<AwardEvent> {
    let mut events = active();
    events.extend([
        requested("DD-1", Money::pounds(5_000)),
        approved("DD-1", Money::pounds(5_000)),
        paid("DD-1", Money::pounds(5_000), Money::pounds(5_000)),
        requested("DD-2", Money::pounds(1_800)),
        approved("DD-2", Money::pounds(1_800)),
    ]);
    events
}

/// `active()` with £4,000.00 paid (DD-1) and nothing else pending.
fn paid_out() -> Vec<AwardEvent> {
    let mut events = active();
    events.extend([
        requested("DD-1", Money::pounds(4_000)),
        approved("DD-1", Money::pounds(4_000)),
        paid("DD-1", Money::pounds(4_000), Money::pounds(4_000)),
    ]);
    events
}

fn with(
    mut events: Vec<AwardEvent>,
    more: impl IntoIterator<Item = AwardEvent>,
) -> Vec<AwardEvent> {
    events.extend(more);
    events
}

fn max_money() -> Money {
    Money::new(Decimal::from(MAX_MONEY_POUNDS)).unwrap()
}

// --- Make

#[tokio::test]
async fn making_an_award_offers_it_to_the_recipient() {
    award()
        .given_no_previous_events()
        .when_async(make(Money::pounds(10_000)))
        .await
        .then_expect_events(vec![made(Money::pounds(10_000))]);
}

#[tokio::test]
async fn making_the_same_award_again_emits_nothing() {
    award()
        .given(active())
        .when_async(make(Money::pounds(10_000)))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn making_an_award_again_with_other_figures_is_refused() {
    award()
        .given(active())
        .when_async(make(Money::pounds(9_000)))
        .await
        .then_expect_error(AwardError::MadeDifferently(award_id()));
}

#[tokio::test]
async fn an_award_needs_an_id_and_a_recipient() {
    let mut nameless = make(Money::pounds(1));
    if let AwardCommand::Make { award_id, .. } = &mut nameless {
        *award_id = AwardId::new(" ");
    }
    award()
        .given_no_previous_events()
        .when_async(nameless)
        .await
        .then_expect_error(AwardError::MissingField("award_id"));

    let mut to_nobody = make(Money::pounds(1));
    if let AwardCommand::Make {
        recipient_org_id, ..
    } = &mut to_nobody
    {
        *recipient_org_id = OrgId::new("");
    }
    award()
        .given_no_previous_events()
        .when_async(to_nobody)
        .await
        .then_expect_error(AwardError::MissingField("recipient_org_id"));
}

#[tokio::test]
async fn an_award_of_nothing_is_refused() {
    award()
        .given_no_previous_events()
        .when_async(make(Money::ZERO))
        .await
        .then_expect_error(AwardError::ZeroAmount);
}

// --- AcceptAgreement

#[tokio::test]
async fn the_recipient_accepts_the_agreement() {
    award()
        .given(vec![made(Money::pounds(10_000))])
        .when_async(accept(applicant()))
        .await
        .then_expect_events(vec![accepted()]);
}

#[tokio::test]
async fn only_the_recipient_may_accept_the_agreement() {
    let validator = award()
        .given(vec![made(Money::pounds(10_000))])
        .when_async(accept(stranger()))
        .await;
    let error = validator.inspect_result().unwrap_err();
    assert_eq!(
        error,
        AwardError::NotRecipient {
            award: award_id(),
            recipient: applicant(),
            caller: stranger(),
        }
    );
    assert_eq!(
        error.to_string(),
        "only the recipient GB-CHC-1234567 may do this on award AW-1, not GB-CHC-9999999"
    );
}

#[tokio::test]
async fn accepting_the_agreement_twice_is_refused() {
    award()
        .given(active())
        .when_async(accept(applicant()))
        .await
        .then_expect_error(AwardError::AlreadyAccepted(award_id()));
}

#[tokio::test]
async fn accepting_a_closed_award_is_refused() {
    award()
        .given(vec![made(Money::pounds(10_000)), closed()])
        .when_async(accept(applicant()))
        .await
        .then_expect_error(AwardError::Closed(award_id()));
}

#[tokio::test]
async fn accepting_an_award_never_made_is_refused() {
    award()
        .given_no_previous_events()
        .when_async(accept(applicant()))
        .await
        .then_expect_error(AwardError::NotFound(not_made()));
}

// --- RequestDrawdown

#[tokio::test]
async fn a_drawdown_is_requested_once_the_agreement_is_accepted() {
    award()
        .given(active())
        .when_async(request("DD-1", Money::pounds(2_500)))
        .await
        .then_expect_events(vec![requested("DD-1", Money::pounds(2_500))]);
}

#[tokio::test]
async fn a_drawdown_before_the_agreement_is_accepted_is_refused() {
    let validator = award()
        .given(vec![made(Money::pounds(10_000))])
        .when_async(request("DD-1", Money::pounds(1)))
        .await;
    let error = validator.inspect_result().unwrap_err();
    assert_eq!(error, AwardError::AgreementNotAccepted(award_id()));
    assert_eq!(
        error.to_string(),
        "award AW-1's agreement must be accepted before a drawdown"
    );
}

#[tokio::test]
async fn drawdown_over_remaining_award_is_refused() {
    let validator = award()
        .given(part_drawn())
        .when_async(request("DD-3", Money::pounds(5_000)))
        .await;
    let error = validator.inspect_result().unwrap_err();
    assert_eq!(
        error,
        AwardError::DrawdownExceedsAvailable {
            amount: Money::pounds(5_000),
            available: Money::pounds(3_200),
            award: award_id(),
        }
    );
    assert_eq!(
        error.to_string(),
        "drawdown of £5,000.00 exceeds the £3,200.00 available to draw on award AW-1 \
         (awarded − paid − approved and unpaid; \
         returned money goes back to the fund, not to the award)"
    );
}

#[tokio::test]
async fn a_drawdown_of_exactly_what_remains_is_allowed() {
    award()
        .given(part_drawn())
        .when_async(request("DD-3", Money::pounds(3_200)))
        .await
        .then_expect_events(vec![requested("DD-3", Money::pounds(3_200))]);
}

#[tokio::test]
async fn a_drawdown_a_penny_over_what_remains_is_refused() {
    award()
        .given(part_drawn())
        .when_async(request("DD-3", Money::from_pence(320_001)))
        .await
        .then_expect_error(AwardError::DrawdownExceedsAvailable {
            amount: Money::from_pence(320_001),
            available: Money::pounds(3_200),
            award: award_id(),
        });
}

#[tokio::test]
async fn a_rejected_drawdown_no_longer_counts_against_the_award() {
    award()
        .given(with(
            active(),
            [
                requested("DD-1", Money::pounds(10_000)),
                rejected("DD-1", Money::pounds(10_000)),
            ],
        ))
        .when_async(request("DD-2", Money::pounds(10_000)))
        .await
        .then_expect_events(vec![requested("DD-2", Money::pounds(10_000))]);
}

#[tokio::test]
async fn undecided_requests_do_not_limit_a_new_request_but_approval_does() {
    // Requests may overlap; the limit bites when one is approved (see below).
    award()
        .given(with(active(), [requested("DD-1", Money::pounds(6_000))]))
        .when_async(request("DD-2", Money::pounds(6_000)))
        .await
        .then_expect_events(vec![requested("DD-2", Money::pounds(6_000))]);
}

#[tokio::test]
async fn a_drawdown_by_anyone_but_the_recipient_is_refused() {
    let mut command = request("DD-1", Money::pounds(1));
    if let AwardCommand::RequestDrawdown { by, .. } = &mut command {
        *by = stranger();
    }
    award()
        .given(active())
        .when_async(command)
        .await
        .then_expect_error(AwardError::NotRecipient {
            award: award_id(),
            recipient: applicant(),
            caller: stranger(),
        });
}

#[tokio::test]
async fn a_drawdown_id_used_before_is_refused() {
    award()
        .given(with(
            active(),
            [
                requested("DD-1", Money::pounds(100)),
                rejected("DD-1", Money::pounds(100)),
            ],
        ))
        .when_async(request("DD-1", Money::pounds(100)))
        .await
        .then_expect_error(AwardError::DuplicateDrawdown {
            drawdown: dd("DD-1"),
            award: award_id(),
        });
}

#[tokio::test]
async fn a_drawdown_of_nothing_is_refused() {
    award()
        .given(active())
        .when_async(request("DD-1", Money::ZERO))
        .await
        .then_expect_error(AwardError::ZeroAmount);
}

#[tokio::test]
async fn a_drawdown_needs_an_id_and_a_purpose() {
    award()
        .given(active())
        .when_async(request(" ", Money::pounds(1)))
        .await
        .then_expect_error(AwardError::MissingField("drawdown_id"));

    let mut command = request("DD-1", Money::pounds(1));
    if let AwardCommand::RequestDrawdown { purpose, .. } = &mut command {
        purpose.clear();
    }
    award()
        .given(active())
        .when_async(command)
        .await
        .then_expect_error(AwardError::MissingField("purpose"));
}

#[tokio::test]
async fn a_drawdown_on_a_closed_award_is_refused() {
    award()
        .given(with(active(), [closed()]))
        .when_async(request("DD-1", Money::pounds(1)))
        .await
        .then_expect_error(AwardError::Closed(award_id()));
}

#[tokio::test]
async fn a_drawdown_on_an_award_never_made_is_refused() {
    award()
        .given_no_previous_events()
        .when_async(request("DD-1", Money::pounds(1)))
        .await
        .then_expect_error(AwardError::NotFound(not_made()));
}

// --- ApproveDrawdown

#[tokio::test]
async fn approving_a_requested_drawdown_commits_it() {
    award()
        .given(with(active(), [requested("DD-1", Money::pounds(2_500))]))
        .when_async(approve("DD-1"))
        .await
        .then_expect_events(vec![approved("DD-1", Money::pounds(2_500))]);
}

#[tokio::test]
async fn approving_a_drawdown_over_what_remains_since_the_request_is_refused() {
    award()
        .given(with(
            active(),
            [
                requested("DD-1", Money::pounds(6_000)),
                requested("DD-2", Money::pounds(6_000)),
                approved("DD-1", Money::pounds(6_000)),
            ],
        ))
        .when_async(approve("DD-2"))
        .await
        .then_expect_error(AwardError::DrawdownExceedsAvailable {
            amount: Money::pounds(6_000),
            available: Money::pounds(4_000),
            award: award_id(),
        });
}

#[tokio::test]
async fn approving_a_drawdown_that_is_not_requested_is_refused() {
    let cases = [
        (approved("DD-1", Money::pounds(100)), "approved"),
        (rejected("DD-1", Money::pounds(100)), "rejected"),
    ];
    for (decision, state) in cases {
        award()
            .given(with(
                active(),
                [requested("DD-1", Money::pounds(100)), decision],
            ))
            .when_async(approve("DD-1"))
            .await
            .then_expect_error(AwardError::DrawdownWrongState {
                drawdown: dd("DD-1"),
                state,
                needed: "requested",
            });
    }
}

#[tokio::test]
async fn approving_an_unknown_drawdown_is_refused() {
    award()
        .given(active())
        .when_async(approve("DD-9"))
        .await
        .then_expect_error(AwardError::UnknownDrawdown {
            drawdown: dd("DD-9"),
            award: award_id(),
        });
}

#[tokio::test]
async fn approving_on_a_closed_award_is_refused() {
    award()
        .given(with(active(), [closed()]))
        .when_async(approve("DD-1"))
        .await
        .then_expect_error(AwardError::Closed(award_id()));
}

#[tokio::test]
async fn approving_on_an_award_never_made_is_refused() {
    award()
        .given_no_previous_events()
        .when_async(approve("DD-1"))
        .await
        .then_expect_error(AwardError::NotFound(not_made()));
}

// --- RejectDrawdown

#[tokio::test]
async fn rejecting_a_requested_drawdown_is_recorded() {
    award()
        .given(with(active(), [requested("DD-1", Money::pounds(2_500))]))
        .when_async(reject("DD-1", "No quote attached"))
        .await
        .then_expect_events(vec![rejected("DD-1", Money::pounds(2_500))]);
}

#[tokio::test]
async fn rejecting_needs_a_reason() {
    award()
        .given(with(active(), [requested("DD-1", Money::pounds(2_500))]))
        .when_async(reject("DD-1", " "))
        .await
        .then_expect_error(AwardError::MissingField("reason"));
}

#[tokio::test]
async fn rejecting_an_approved_drawdown_is_refused() {
    award()
        .given(part_drawn())
        .when_async(reject("DD-2", "Changed our mind"))
        .await
        .then_expect_error(AwardError::DrawdownWrongState {
            drawdown: dd("DD-2"),
            state: "approved",
            needed: "requested",
        });
}

#[tokio::test]
async fn rejecting_an_unknown_drawdown_is_refused() {
    award()
        .given(active())
        .when_async(reject("DD-9", "No quote attached"))
        .await
        .then_expect_error(AwardError::UnknownDrawdown {
            drawdown: dd("DD-9"),
            award: award_id(),
        });
}

#[tokio::test]
async fn rejecting_on_an_award_never_made_is_refused() {
    award()
        .given_no_previous_events()
        .when_async(reject("DD-1", "No quote attached"))
        .await
        .then_expect_error(AwardError::NotFound(not_made()));
}

// --- RecordPayment

#[tokio::test]
async fn paying_an_approved_drawdown_adds_to_what_is_paid() {
    award()
        .given(part_drawn())
        .when_async(pay("DD-2"))
        .await
        .then_expect_events(vec![paid(
            "DD-2",
            Money::pounds(1_800),
            Money::pounds(6_800),
        )]);
}

#[tokio::test]
async fn a_drawdown_is_paid_exactly_once() {
    let validator = award().given(part_drawn()).when_async(pay("DD-1")).await;
    let error = validator.inspect_result().unwrap_err();
    assert_eq!(
        error,
        AwardError::DrawdownWrongState {
            drawdown: dd("DD-1"),
            state: "paid",
            needed: "approved",
        }
    );
    assert_eq!(
        error.to_string(),
        "drawdown DD-1 is paid; this needs a drawdown that is approved"
    );
}

#[tokio::test]
async fn paying_a_drawdown_that_is_not_approved_is_refused() {
    let cases = [
        (vec![requested("DD-1", Money::pounds(100))], "requested"),
        (
            vec![
                requested("DD-1", Money::pounds(100)),
                rejected("DD-1", Money::pounds(100)),
            ],
            "rejected",
        ),
    ];
    for (history, state) in cases {
        award()
            .given(with(active(), history))
            .when_async(pay("DD-1"))
            .await
            .then_expect_error(AwardError::DrawdownWrongState {
                drawdown: dd("DD-1"),
                state,
                needed: "approved",
            });
    }
}

#[tokio::test]
async fn a_payment_needs_a_reference() {
    award()
        .given(part_drawn())
        .when_async(AwardCommand::RecordPayment {
            drawdown_id: dd("DD-2"),
            payment_ref: String::new(),
            paid_on: on(7, 3),
            today: on(10, 1),
        })
        .await
        .then_expect_error(AwardError::MissingField("payment_ref"));
}

#[tokio::test]
async fn paying_an_unknown_drawdown_is_refused() {
    award()
        .given(active())
        .when_async(pay("DD-9"))
        .await
        .then_expect_error(AwardError::UnknownDrawdown {
            drawdown: dd("DD-9"),
            award: award_id(),
        });
}

#[tokio::test]
async fn paying_on_an_award_never_made_is_refused() {
    award()
        .given_no_previous_events()
        .when_async(pay("DD-1"))
        .await
        .then_expect_error(AwardError::NotFound(not_made()));
}

// --- Reduce

#[tokio::test]
async fn cutting_an_award_records_the_old_and_new_amounts() {
    award()
        .given(part_drawn())
        .when_async(reduce("VAR-1", Money::pounds(8_000)))
        .await
        .then_expect_events(vec![varied(
            "VAR-1",
            Money::pounds(10_000),
            Money::pounds(8_000),
        )]);
}

#[tokio::test]
async fn cutting_an_award_to_exactly_what_is_committed_is_allowed() {
    award()
        .given(with(part_drawn(), [requested("DD-3", Money::pounds(200))]))
        .when_async(reduce("VAR-1", Money::pounds(7_000)))
        .await
        .then_expect_events(vec![varied(
            "VAR-1",
            Money::pounds(10_000),
            Money::pounds(7_000),
        )]);
}

#[tokio::test]
async fn cutting_an_award_below_what_is_paid_or_committed_is_refused() {
    // Paid £5,000.00, approved £1,800.00, requested £200.00: £7,000.00 is spoken for.
    let validator = award()
        .given(with(part_drawn(), [requested("DD-3", Money::pounds(200))]))
        .when_async(reduce("VAR-1", Money::from_pence(699_999)))
        .await;
    let error = validator.inspect_result().unwrap_err();
    assert_eq!(
        error,
        AwardError::BelowCommitted {
            award: award_id(),
            new_amount: Money::from_pence(699_999),
            committed: Money::pounds(7_000),
        }
    );
    assert_eq!(
        error.to_string(),
        "award AW-1 can't be cut to £6,999.99: £7,000.00 is already paid or committed to \
         drawdowns"
    );
}

#[tokio::test]
async fn a_variation_that_changes_nothing_is_refused() {
    award()
        .given(active())
        .when_async(reduce("VAR-1", Money::pounds(10_000)))
        .await
        .then_expect_error(AwardError::NoChange {
            award: award_id(),
            current: Money::pounds(10_000),
        });
}

#[tokio::test]
async fn raising_an_award_without_the_rounds_budget_is_refused() {
    award()
        .given(active())
        .when_async(reduce("VAR-1", Money::pounds(12_000)))
        .await
        .then_expect_error(AwardError::IncreaseNeedsRound {
            award: award_id(),
            current: Money::pounds(10_000),
            requested: Money::pounds(12_000),
        });
}

#[tokio::test]
async fn a_repeated_cut_emits_nothing_even_once_closed() {
    let history = with(
        active(),
        [varied("VAR-1", Money::pounds(10_000), Money::pounds(8_000))],
    );
    award()
        .given(history.clone())
        .when_async(reduce("VAR-1", Money::pounds(8_000)))
        .await
        .then_expect_events(vec![]);
    award()
        .given(with(history, [closed()]))
        .when_async(reduce("VAR-1", Money::pounds(8_000)))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn cutting_a_closed_award_is_refused() {
    award()
        .given(with(active(), [closed()]))
        .when_async(reduce("VAR-1", Money::pounds(8_000)))
        .await
        .then_expect_error(AwardError::Closed(award_id()));
}

#[tokio::test]
async fn a_cut_needs_a_variation_id_and_a_reason() {
    award()
        .given(active())
        .when_async(reduce("", Money::pounds(8_000)))
        .await
        .then_expect_error(AwardError::MissingField("variation_id"));
    award()
        .given(active())
        .when_async(AwardCommand::Reduce {
            variation_id: "VAR-1".to_string(),
            new_amount: Money::pounds(8_000),
            reason: " ".to_string(),
            varied_on: on(8, 1),
            budget_lines: None,
        })
        .await
        .then_expect_error(AwardError::MissingField("reason"));
}

#[tokio::test]
async fn cutting_an_award_never_made_is_refused() {
    award()
        .given_no_previous_events()
        .when_async(reduce("VAR-1", Money::pounds(8_000)))
        .await
        .then_expect_error(AwardError::NotFound(not_made()));
}

// --- ApplyIncrease

#[tokio::test]
async fn an_increase_reserved_by_the_round_raises_the_award() {
    award()
        .given(part_drawn())
        .when_async(increase("VAR-1", Money::pounds(1_500)))
        .await
        .then_expect_events(vec![varied(
            "VAR-1",
            Money::pounds(10_000),
            Money::pounds(11_500),
        )]);
}

#[tokio::test]
async fn an_increase_applies_even_to_a_closed_award() {
    // The round already took the money from its budget; refusing here would strand it.
    // (The ledger refuses to start an increase on a closed award; this is a reservation
    // that raced the close.) Nothing was paid, so the closed award stood at £0.00.
    award()
        .given(with(active(), [closed()]))
        .when_async(increase("VAR-1", Money::pounds(1_500)))
        .await
        .then_expect_events(vec![varied("VAR-1", Money::ZERO, Money::pounds(1_500))]);
}

#[tokio::test]
async fn a_repeated_increase_emits_nothing() {
    award()
        .given(with(
            active(),
            [varied(
                "VAR-1",
                Money::pounds(10_000),
                Money::pounds(11_500),
            )],
        ))
        .when_async(increase("VAR-1", Money::pounds(1_500)))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn a_zero_increase_emits_nothing() {
    award()
        .given(active())
        .when_async(increase("VAR-1", Money::ZERO))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn an_increase_past_the_largest_amount_is_refused() {
    award()
        .given(vec![made(max_money())])
        .when_async(increase("VAR-1", Money::from_pence(1)))
        .await
        .then_expect_error(AwardError::Overflow);
}

#[tokio::test]
async fn an_increase_to_an_award_never_made_is_refused() {
    award()
        .given_no_previous_events()
        .when_async(increase("VAR-1", Money::pounds(1)))
        .await
        .then_expect_error(AwardError::NotFound(not_made()));
}

// --- RecordReturn

#[tokio::test]
async fn returning_all_that_is_paid_net_of_returns_is_recorded_with_the_running_total() {
    award()
        .given(with(
            paid_out(),
            [returned(
                "RET-1",
                Money::pounds(1_000),
                Money::pounds(1_000),
            )],
        ))
        .when_async(give_back("RET-2", Money::pounds(3_000)))
        .await
        .then_expect_events(vec![returned(
            "RET-2",
            Money::pounds(3_000),
            Money::pounds(4_000),
        )]);
}

#[tokio::test]
async fn returning_more_than_was_paid_net_of_returns_is_refused() {
    let validator = award()
        .given(with(
            paid_out(),
            [returned(
                "RET-1",
                Money::pounds(1_000),
                Money::pounds(1_000),
            )],
        ))
        .when_async(give_back("RET-2", Money::from_pence(300_001)))
        .await;
    let error = validator.inspect_result().unwrap_err();
    assert_eq!(
        error,
        AwardError::ReturnExceedsPaid {
            amount: Money::from_pence(300_001),
            net_paid: Money::pounds(3_000),
            award: award_id(),
        }
    );
    assert_eq!(
        error.to_string(),
        "a return of £3,000.01 exceeds the £3,000.00 paid (net of returns) on award AW-1"
    );
}

#[tokio::test]
async fn approved_but_unpaid_money_cannot_be_returned() {
    award()
        .given(with(
            active(),
            [
                requested("DD-1", Money::pounds(100)),
                approved("DD-1", Money::pounds(100)),
            ],
        ))
        .when_async(give_back("RET-1", Money::pounds(100)))
        .await
        .then_expect_error(AwardError::ReturnExceedsPaid {
            amount: Money::pounds(100),
            net_paid: Money::ZERO,
            award: award_id(),
        });
}

#[tokio::test]
async fn a_repeated_return_emits_nothing() {
    award()
        .given(with(
            paid_out(),
            [returned(
                "RET-1",
                Money::pounds(1_000),
                Money::pounds(1_000),
            )],
        ))
        .when_async(give_back("RET-1", Money::pounds(1_000)))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn a_return_of_nothing_is_refused() {
    award()
        .given(paid_out())
        .when_async(give_back("RET-1", Money::ZERO))
        .await
        .then_expect_error(AwardError::ZeroAmount);
}

#[tokio::test]
async fn a_return_needs_an_id_and_a_reason() {
    award()
        .given(paid_out())
        .when_async(give_back(" ", Money::pounds(1)))
        .await
        .then_expect_error(AwardError::MissingField("return_id"));
    award()
        .given(paid_out())
        .when_async(AwardCommand::RecordReturn {
            return_id: "RET-1".to_string(),
            amount: Money::pounds(1),
            reason: String::new(),
            returned_on: on(12, 1),
        })
        .await
        .then_expect_error(AwardError::MissingField("reason"));
}

#[tokio::test]
async fn a_return_on_an_award_never_made_is_refused() {
    award()
        .given_no_previous_events()
        .when_async(give_back("RET-1", Money::pounds(1)))
        .await
        .then_expect_error(AwardError::NotFound(not_made()));
}

// --- ReportSpend

#[tokio::test]
async fn a_spend_report_is_recorded_with_its_total() {
    award()
        .given(paid_out())
        .when_async(report_spend(
            applicant(),
            "REP-1",
            lines(&[Money::from_pence(12_050), Money::pounds(300)]),
        ))
        .await
        .then_expect_events(vec![AwardEvent::SpendReported {
            report_id: "REP-1".to_string(),
            period_start: on(7, 1),
            period_end: on(9, 30),
            lines: lines(&[Money::from_pence(12_050), Money::pounds(300)]),
            total: Money::from_pence(42_050),
        }]);
}

#[tokio::test]
async fn only_the_recipient_may_report_spend() {
    award()
        .given(paid_out())
        .when_async(report_spend(
            stranger(),
            "REP-1",
            lines(&[Money::pounds(1)]),
        ))
        .await
        .then_expect_error(AwardError::NotRecipient {
            award: award_id(),
            recipient: applicant(),
            caller: stranger(),
        });
}

#[tokio::test]
async fn a_report_id_used_before_is_refused() {
    let history = with(
        paid_out(),
        [AwardEvent::OutcomeReported {
            report_id: "REP-1".to_string(),
            indicator: "Breakfasts served".to_string(),
            quantity: dec!(120),
            period_end: on(9, 30),
        }],
    );
    award()
        .given(history.clone())
        .when_async(report_spend(
            applicant(),
            "REP-1",
            lines(&[Money::pounds(1)]),
        ))
        .await
        .then_expect_error(AwardError::DuplicateReport("REP-1".to_string()));
    award()
        .given(history)
        .when_async(report_outcome(applicant(), "REP-1", dec!(1)))
        .await
        .then_expect_error(AwardError::DuplicateReport("REP-1".to_string()));
}

#[tokio::test]
async fn a_spend_period_that_ends_before_it_starts_is_refused() {
    award()
        .given(paid_out())
        .when_async(AwardCommand::ReportSpend {
            by: applicant(),
            report_id: "REP-1".to_string(),
            period_start: on(9, 30),
            period_end: on(7, 1),
            today: on(10, 1),
            lines: lines(&[Money::pounds(1)]),
        })
        .await
        .then_expect_error(AwardError::PeriodOutOfOrder {
            start: "2025-09-30".to_string(),
            end: "2025-07-01".to_string(),
        });
}

#[tokio::test]
async fn a_spend_report_needs_an_id_lines_and_categories() {
    award()
        .given(paid_out())
        .when_async(report_spend(applicant(), "", lines(&[Money::pounds(1)])))
        .await
        .then_expect_error(AwardError::MissingField("report_id"));
    award()
        .given(paid_out())
        .when_async(report_spend(applicant(), "REP-1", Vec::new()))
        .await
        .then_expect_error(AwardError::MissingField("lines"));
    award()
        .given(paid_out())
        .when_async(report_spend(
            applicant(),
            "REP-1",
            vec![SpendLine {
                category: " ".to_string(),
                amount: Money::pounds(1),
            }],
        ))
        .await
        .then_expect_error(AwardError::MissingField("category"));
}

#[tokio::test]
async fn a_spend_report_over_the_line_limit_is_refused() {
    let too_many = vec![Money::pounds(1); MAX_SPEND_LINES_PER_REPORT + 1];
    award()
        .given(paid_out())
        .when_async(report_spend(applicant(), "REP-1", lines(&too_many)))
        .await
        .then_expect_error(AwardError::TooManyLines {
            lines: MAX_SPEND_LINES_PER_REPORT + 1,
            max: MAX_SPEND_LINES_PER_REPORT,
        });
}

#[tokio::test]
async fn a_spend_report_whose_total_passes_the_largest_amount_is_refused() {
    award()
        .given(paid_out())
        .when_async(report_spend(
            applicant(),
            "REP-1",
            lines(&[max_money(), Money::from_pence(1)]),
        ))
        .await
        .then_expect_error(AwardError::Overflow);
}

#[tokio::test]
async fn a_spend_report_on_an_award_never_made_is_refused() {
    award()
        .given_no_previous_events()
        .when_async(report_spend(
            applicant(),
            "REP-1",
            lines(&[Money::pounds(1)]),
        ))
        .await
        .then_expect_error(AwardError::NotFound(not_made()));
}

// --- ReportOutcome

#[tokio::test]
async fn an_outcome_report_is_recorded() {
    award()
        .given(paid_out())
        .when_async(report_outcome(applicant(), "OUT-1", dec!(120)))
        .await
        .then_expect_events(vec![AwardEvent::OutcomeReported {
            report_id: "OUT-1".to_string(),
            indicator: "Breakfasts served".to_string(),
            quantity: dec!(120),
            period_end: on(9, 30),
        }]);
}

#[tokio::test]
async fn a_negative_outcome_is_refused() {
    award()
        .given(paid_out())
        .when_async(report_outcome(applicant(), "OUT-1", dec!(-1.5)))
        .await
        .then_expect_error(AwardError::NegativeQuantity("-1.5".to_string()));
}

#[tokio::test]
async fn an_outcome_quantity_beyond_the_bound_or_too_precise_is_refused() {
    for quantity in [dec!(1000000000.0001), dec!(1.23456)] {
        award()
            .given(paid_out())
            .when_async(report_outcome(applicant(), "OUT-1", quantity))
            .await
            .then_expect_error(AwardError::QuantityOutOfRange(quantity.to_string()));
    }
    award()
        .given(paid_out())
        .when_async(report_outcome(applicant(), "OUT-1", dec!(1000000000.0000)))
        .await
        .then_expect_events(vec![AwardEvent::OutcomeReported {
            report_id: "OUT-1".to_string(),
            indicator: "Breakfasts served".to_string(),
            quantity: dec!(1000000000.0000),
            period_end: on(9, 30),
        }]);
}

#[tokio::test]
async fn an_outcome_indicator_longer_than_a_proxy_can_name_is_refused() {
    award()
        .given(paid_out())
        .when_async(AwardCommand::ReportOutcome {
            by: applicant(),
            report_id: "OUT-1".to_string(),
            indicator: "i".repeat(101),
            quantity: dec!(1),
            period_end: on(9, 30),
            today: on(10, 1),
            fund_indicators: vec!["Breakfasts served".to_string()],
        })
        .await
        .then_expect_error(AwardError::IndicatorTooLong {
            chars: 101,
            max: 100,
        });
}

#[tokio::test]
async fn an_outcome_needs_an_indicator() {
    award()
        .given(paid_out())
        .when_async(AwardCommand::ReportOutcome {
            by: applicant(),
            report_id: "OUT-1".to_string(),
            indicator: String::new(),
            quantity: dec!(1),
            period_end: on(9, 30),
            today: on(10, 1),
            fund_indicators: vec!["Breakfasts served".to_string()],
        })
        .await
        .then_expect_error(AwardError::MissingField("indicator"));
}

#[tokio::test]
async fn only_the_recipient_may_report_outcomes() {
    award()
        .given(paid_out())
        .when_async(report_outcome(stranger(), "OUT-1", dec!(1)))
        .await
        .then_expect_error(AwardError::NotRecipient {
            award: award_id(),
            recipient: applicant(),
            caller: stranger(),
        });
}

#[tokio::test]
async fn an_outcome_on_an_award_never_made_is_refused() {
    award()
        .given_no_previous_events()
        .when_async(report_outcome(applicant(), "OUT-1", dec!(1)))
        .await
        .then_expect_error(AwardError::NotFound(not_made()));
}

// --- Close

#[tokio::test]
async fn an_award_with_nothing_pending_closes() {
    award()
        .given(with(
            paid_out(),
            [
                requested("DD-2", Money::pounds(100)),
                rejected("DD-2", Money::pounds(100)),
            ],
        ))
        .when_async(close())
        .await
        // £4,000.00 of £10,000.00 paid: £6,000.00 goes back, the award cost £4,000.00.
        .then_expect_events(vec![closed_with(
            Money::pounds(6_000),
            Money::pounds(4_000),
        )]);
}

#[tokio::test]
async fn closing_with_drawdowns_requested_or_approved_but_unpaid_is_refused() {
    let validator = award()
        .given(with(part_drawn(), [requested("DD-3", Money::pounds(100))]))
        .when_async(close())
        .await;
    let error = validator.inspect_result().unwrap_err();
    assert_eq!(
        error,
        AwardError::PendingDrawdowns {
            award: award_id(),
            pending: 2,
            approved_unpaid: Money::pounds(1_800),
            requested_pending: Money::pounds(100),
        }
    );
    assert_eq!(
        error.to_string(),
        "award AW-1 can't close: 2 drawdowns are still open (£1,800.00 approved and unpaid, \
         £100.00 requested and not decided); pay or reject them first"
    );
}

#[test]
fn a_closed_award_is_awarded_at_what_it_cost() {
    let mut state = Award::default();
    // £10,000.00 awarded, £4,000.00 paid, £500.00 returned, then closed.
    for event in with(
        paid_out(),
        [
            returned("RET-1", Money::pounds(500), Money::pounds(500)),
            closed(),
        ],
    ) {
        cqrs_es::Aggregate::apply(&mut state, event);
    }
    assert_eq!(state.status(), AwardStatus::Closed);
    assert_eq!(state.amount(), Money::pounds(3_500));
    assert_eq!(state.paid(), Money::pounds(4_000));
    assert_eq!(state.returned(), Money::pounds(500));
    // History keeps the original approval.
    assert_eq!(state.details().unwrap().amount, Money::pounds(10_000));
}

#[tokio::test]
async fn closing_with_pending_drawdowns_says_which_figures_stand_in_the_way() {
    let validator = award()
        .given(with(part_drawn(), [requested("DD-3", Money::pounds(100))]))
        .when_async(close())
        .await;
    let message = validator.inspect_result().unwrap_err().to_string();
    for figure in ["£1,800.00 approved and unpaid", "£100.00 requested"] {
        assert!(message.contains(figure), "{message} lacks {figure}");
    }
}

#[tokio::test]
async fn a_return_does_not_refill_what_may_be_drawn() {
    let validator = award()
        .given(with(
            active(),
            [
                requested("DD-1", Money::pounds(10_000)),
                approved("DD-1", Money::pounds(10_000)),
                paid("DD-1", Money::pounds(10_000), Money::pounds(10_000)),
                returned("RET-1", Money::pounds(2_000), Money::pounds(2_000)),
            ],
        ))
        .when_async(request("DD-2", Money::pounds(1)))
        .await;
    let message = validator.inspect_result().unwrap_err().to_string();
    assert!(
        message.contains("drawdown of £1.00 exceeds the £0.00 available to draw on award AW-1"),
        "{message}"
    );
}

#[tokio::test]
async fn closing_records_the_release_and_what_the_award_cost() {
    // £10,000.00 awarded, £4,000.00 paid, £500.00 of it returned.
    award()
        .given(with(
            paid_out(),
            [returned("RET-1", Money::pounds(500), Money::pounds(500))],
        ))
        .when_async(close())
        .await
        .then_expect_events(vec![closed_with(
            Money::pounds(6_000),
            Money::pounds(3_500),
        )]);
}

#[tokio::test]
async fn closing_an_award_never_drawn_releases_all_of_it() {
    award()
        .given(active())
        .when_async(close())
        .await
        .then_expect_events(vec![closed_with(Money::pounds(10_000), Money::ZERO)]);
}

#[test]
fn a_return_after_the_close_lowers_what_the_award_cost() {
    let mut state = Award::default();
    for event in with(
        paid_out(),
        [
            closed_with(Money::pounds(6_000), Money::pounds(4_000)),
            returned("RET-1", Money::pounds(300), Money::pounds(300)),
        ],
    ) {
        cqrs_es::Aggregate::apply(&mut state, event);
    }
    assert_eq!(state.amount(), Money::pounds(3_700));
    assert_eq!(state.released(), Money::pounds(6_000));
    assert_eq!(state.available_to_draw(), Money::ZERO);
}

#[test]
fn a_close_stored_without_its_figures_still_loads_and_folds() {
    let stored = r#"{"AwardClosed":{"closed_on":"2025-12-31"}}"#;
    let event: AwardEvent = serde_json::from_str(stored).unwrap();
    assert_eq!(event, closed());
    let mut state = Award::default();
    for event in with(paid_out(), [event]) {
        cqrs_es::Aggregate::apply(&mut state, event);
    }
    assert_eq!(state.amount(), Money::pounds(4_000));
    assert_eq!(state.released(), Money::pounds(6_000));
}

#[tokio::test]
async fn closing_a_closed_award_is_refused() {
    award()
        .given(with(active(), [closed()]))
        .when_async(close())
        .await
        .then_expect_error(AwardError::Closed(award_id()));
}

#[tokio::test]
async fn closing_an_award_never_made_is_refused() {
    award()
        .given_no_previous_events()
        .when_async(close())
        .await
        .then_expect_error(AwardError::NotFound(not_made()));
}

// --- Accessors

#[test]
fn the_award_keeps_paid_returned_available_to_draw_and_committed() {
    let mut state = Award::default();
    assert_eq!(state.status(), AwardStatus::NotMade);
    let events = with(
        part_drawn(),
        [
            requested("DD-3", Money::pounds(200)),
            varied("VAR-1", Money::pounds(10_000), Money::pounds(9_000)),
            returned("RET-1", Money::pounds(500), Money::pounds(500)),
        ],
    );
    for event in events {
        cqrs_es::Aggregate::apply(&mut state, event);
    }
    assert_eq!(state.status(), AwardStatus::Active);
    assert_eq!(state.amount(), Money::pounds(9_000));
    assert_eq!(state.details().unwrap().amount, Money::pounds(10_000));
    assert_eq!(state.paid(), Money::pounds(5_000));
    assert_eq!(state.returned(), Money::pounds(500));
    assert_eq!(state.approved_unpaid(), Money::pounds(1_800));
    assert_eq!(state.requested_pending(), Money::pounds(200));
    // A return does not make the award drawable again: the money went back to the fund.
    assert_eq!(state.available_to_draw(), Money::pounds(2_200));
    assert_eq!(state.committed(), Money::pounds(7_000));
    assert_eq!(
        state.drawdown(&dd("DD-1")).map(|drawdown| drawdown.state),
        Some(DrawdownState::Paid)
    );
    assert_eq!(state.drawdowns().count(), 3);
    assert_eq!(state.recipient(), Some(&applicant()));
    assert_eq!(state.round_id(), Some(&round_id()));
    assert_eq!(state.fund_id(), Some(&fund_id()));
}

// ---------------------------------------------------------------- historic grants

const GRANT: &str = "360G-ABCT-0001";

fn money(text: &str) -> Money {
    text.parse().expect("valid money")
}

fn historic_grant(amount: Money, disbursed: Option<Money>) -> HistoricGrant {
    HistoricGrant {
        award_id: award_id(),
        fund_id: fund_id(),
        grant_id: GRANT.to_string(),
        recipient_org_id: applicant(),
        recipient_name: "Hillside Community Kitchen".to_string(),
        title: "Saturday breakfast club".to_string(),
        neighbourhood: None,
        themes: vec!["Food".to_string()],
        amount,
        disbursed,
        awarded_on: on(1, 26),
        published: None,
    }
}

fn import(grant: HistoricGrant) -> AwardCommand {
    AwardCommand::ImportHistoricGrant(grant)
}

fn imported(grant: HistoricGrant) -> AwardEvent {
    AwardEvent::HistoricGrantImported(grant)
}

#[tokio::test]
async fn importing_a_historic_grant_records_it_on_a_new_award() {
    let grant = historic_grant(money("30000.50"), Some(Money::pounds(10_000)));
    award()
        .given_no_previous_events()
        .when_async(import(grant.clone()))
        .await
        .then_expect_events(vec![imported(grant)]);
}

#[tokio::test]
async fn importing_the_same_grant_again_emits_nothing() {
    let grant = historic_grant(Money::pounds(30_000), None);
    award()
        .given(vec![imported(grant.clone())])
        .when_async(import(grant))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn importing_other_figures_into_a_historic_award_is_refused() {
    award()
        .given(vec![imported(historic_grant(Money::pounds(30_000), None))])
        .when_async(import(historic_grant(Money::pounds(31_000), None)))
        .await
        .then_expect_error(AwardError::AlreadyExists {
            award: award_id(),
            existing: format!("grant {GRANT} with other figures"),
            grant: GRANT.to_string(),
        });
}

#[tokio::test]
async fn importing_a_grant_into_an_award_made_from_an_application_is_refused() {
    award()
        .given(vec![made(Money::pounds(5_000))])
        .when_async(import(historic_grant(Money::pounds(30_000), None)))
        .await
        .then_expect_error(AwardError::AlreadyExists {
            award: award_id(),
            existing: format!("the award made from application {APPLICATION}"),
            grant: GRANT.to_string(),
        });
}

#[tokio::test]
async fn a_historic_grant_needs_its_grant_id_recipient_and_title() {
    for (field, blank) in [
        (
            "grant_id",
            Box::new(|grant: &mut HistoricGrant| grant.grant_id = " ".into())
                as Box<dyn Fn(&mut HistoricGrant)>,
        ),
        (
            "recipient_org_id",
            Box::new(|grant: &mut HistoricGrant| grant.recipient_org_id = OrgId::new("")),
        ),
        (
            "recipient_name",
            Box::new(|grant: &mut HistoricGrant| grant.recipient_name = String::new()),
        ),
        (
            "title",
            Box::new(|grant: &mut HistoricGrant| grant.title = String::new()),
        ),
    ] {
        let mut grant = historic_grant(Money::pounds(30_000), None);
        blank(&mut grant);
        award()
            .given_no_previous_events()
            .when_async(import(grant))
            .await
            .then_expect_error(AwardError::MissingField(field));
    }
}

#[tokio::test]
async fn a_historic_grant_disbursed_beyond_its_amount_is_refused() {
    award()
        .given_no_previous_events()
        .when_async(import(historic_grant(
            Money::pounds(1_000),
            Some(money("1000.01")),
        )))
        .await
        .then_expect_error(AwardError::DisbursedOverAwarded {
            grant: GRANT.to_string(),
            disbursed: money("1000.01"),
            amount: Money::pounds(1_000),
        });
}

#[tokio::test]
async fn a_historic_award_takes_no_drawdown_variation_return_report_or_close() {
    let history = vec![imported(historic_grant(
        Money::pounds(30_000),
        Some(Money::pounds(30_000)),
    ))];
    for command in [
        accept(applicant()),
        request("DD-1", Money::pounds(100)),
        reduce("VAR-1", Money::pounds(20_000)),
        increase("VAR-2", Money::pounds(1_000)),
        give_back("RET-1", Money::pounds(100)),
        AwardCommand::Close {
            closed_on: on(12, 1),
        },
        make(Money::pounds(30_000)),
    ] {
        award()
            .given(history.clone())
            .when_async(command)
            .await
            .then_expect_error(AwardError::Historic(award_id()));
    }
}

#[test]
fn a_historic_award_counts_its_amount_and_stated_disbursement() {
    let mut state = Award::default();
    let grant = historic_grant(Money::pounds(30_000), Some(Money::pounds(12_500)));
    cqrs_es::Aggregate::apply(&mut state, imported(grant.clone()));
    assert_eq!(state.status(), AwardStatus::Historic);
    assert_eq!(state.amount(), Money::pounds(30_000));
    assert_eq!(state.paid(), Money::pounds(12_500));
    assert_eq!(state.historic(), Some(&grant));
    assert_eq!(state.details(), None);
    assert_eq!(state.round_id(), None);
    assert_eq!(state.fund_id(), Some(&fund_id()));
    assert_eq!(state.recipient(), Some(&applicant()));
}

#[tokio::test]
async fn a_historic_grant_keeps_its_published_fields_when_they_name_it() {
    let mut grant = historic_grant(Money::pounds(30_000), None);
    grant.published = Some(format!(
        r#"{{"id":"{GRANT}","description":"Breakfasts","amountAwarded":30000}}"#
    ));
    award()
        .given_no_previous_events()
        .when_async(import(grant.clone()))
        .await
        .then_expect_events(vec![imported(grant)]);
}

#[tokio::test]
async fn published_fields_of_another_grant_or_not_an_object_are_refused() {
    for (published, problem) in [
        (
            r#"{"id":"360G-OTHER-1"}"#.to_string(),
            format!("name the grant 360G-OTHER-1 instead of {GRANT}"),
        ),
        (
            "[1]".to_string(),
            "are not a JSON object: invalid type: sequence, expected a map at line 1 column 0"
                .to_string(),
        ),
    ] {
        let mut grant = historic_grant(Money::pounds(30_000), None);
        grant.published = Some(published);
        award()
            .given_no_previous_events()
            .when_async(import(grant))
            .await
            .then_expect_error(AwardError::PublishedFieldsInvalid {
                grant: GRANT.to_string(),
                problem,
            });
    }
}

#[test]
fn a_historic_grant_event_stored_before_published_fields_were_kept_still_loads() {
    let stored = format!(
        r#"{{"HistoricGrantImported":{{"award_id":"AW-1","fund_id":"FD-1","grant_id":"{GRANT}",
            "recipient_org_id":"GB-CHC-1","recipient_name":"Kitchen","title":"Breakfasts",
            "neighbourhood":null,"themes":[],"amount":"30000.00","disbursed":null,
            "awarded_on":"2021-01-26"}}}}"#
    );
    let AwardEvent::HistoricGrantImported(grant) =
        serde_json::from_str::<AwardEvent>(&stored).expect("an old event loads")
    else {
        panic!("not a historic grant")
    };
    assert_eq!(grant.published, None);
    let written = serde_json::to_string(&AwardEvent::HistoricGrantImported(grant)).unwrap();
    assert!(!written.contains("published"), "{written}");
}

// --- caller-supplied dates against the business date and the award's own dates

#[tokio::test]
async fn a_payment_dated_after_the_business_date_is_refused() {
    award()
        .given(part_drawn())
        .when_async(AwardCommand::RecordPayment {
            drawdown_id: dd("DD-2"),
            payment_ref: "BACS-2".to_string(),
            paid_on: on(10, 2),
            today: on(10, 1),
        })
        .await
        .then_expect_error(AwardError::Date(DateError::AfterToday {
            field: "paidOn",
            date: on(10, 2),
            today: on(10, 1),
        }));
}

#[tokio::test]
async fn a_payment_dated_before_its_drawdown_was_approved_is_refused() {
    // DD-2 was approved on 2 July.
    award()
        .given(part_drawn())
        .when_async(AwardCommand::RecordPayment {
            drawdown_id: dd("DD-2"),
            payment_ref: "BACS-2".to_string(),
            paid_on: on(7, 1),
            today: on(10, 1),
        })
        .await
        .then_expect_error(AwardError::Date(DateError::BeforeLimit {
            field: "paidOn",
            date: on(7, 1),
            limit_name: "drawdown DD-2 was approved".to_string(),
            limit: on(7, 2),
        }));
}

#[tokio::test]
async fn a_spend_period_starting_before_the_award_or_ending_after_today_is_refused() {
    let spend = |start, end| AwardCommand::ReportSpend {
        by: applicant(),
        report_id: "SPEND-1".to_string(),
        period_start: start,
        period_end: end,
        lines: lines(&[Money::pounds(10)]),
        today: on(10, 1),
    };
    award()
        .given(active())
        .when_async(spend(on(6, 9), on(9, 30)))
        .await
        .then_expect_error(AwardError::Date(DateError::BeforeLimit {
            field: "periodStart",
            date: on(6, 9),
            limit_name: format!("award {AWARD} was made"),
            limit: on(6, 10),
        }));
    award()
        .given(active())
        .when_async(spend(on(7, 1), on(10, 2)))
        .await
        .then_expect_error(AwardError::Date(DateError::AfterToday {
            field: "periodEnd",
            date: on(10, 2),
            today: on(10, 1),
        }));
}

#[tokio::test]
async fn an_outcome_period_ending_before_the_award_or_after_today_is_refused() {
    let outcome = |end| AwardCommand::ReportOutcome {
        by: applicant(),
        report_id: "OUT-1".to_string(),
        indicator: "Breakfasts served".to_string(),
        quantity: dec!(10),
        period_end: end,
        today: on(10, 1),
        fund_indicators: vec!["Breakfasts served".to_string()],
    };
    award()
        .given(active())
        .when_async(outcome(on(6, 9)))
        .await
        .then_expect_error(AwardError::Date(DateError::BeforeLimit {
            field: "periodEnd",
            date: on(6, 9),
            limit_name: format!("award {AWARD} was made"),
            limit: on(6, 10),
        }));
    award()
        .given(active())
        .when_async(outcome(on(10, 2)))
        .await
        .then_expect_error(AwardError::Date(DateError::AfterToday {
            field: "periodEnd",
            date: on(10, 2),
            today: on(10, 1),
        }));
}

#[tokio::test]
async fn an_outcome_the_fund_has_no_proxy_for_is_refused_with_the_funds_indicators() {
    let command = |fund_indicators: Vec<String>| AwardCommand::ReportOutcome {
        by: applicant(),
        report_id: "OUT-1".to_string(),
        indicator: "Smiles".to_string(),
        quantity: dec!(3),
        period_end: on(9, 30),
        today: on(10, 1),
        fund_indicators,
    };
    award()
        .given(paid_out())
        .when_async(command(vec![
            "Breakfasts served".to_string(),
            "People into work".to_string(),
        ]))
        .await
        .then_expect_error(AwardError::IndicatorWithoutProxy {
            indicator: "Smiles".to_string(),
            known: "Breakfasts served, People into work".to_string(),
        });
    award()
        .given(paid_out())
        .when_async(command(Vec::new()))
        .await
        .then_expect_error(AwardError::IndicatorWithoutProxy {
            indicator: "Smiles".to_string(),
            known: "none yet (an officer sets one with setOutcomeProxy)".to_string(),
        });
}
