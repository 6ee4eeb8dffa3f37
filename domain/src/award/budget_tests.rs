//! Given/when/then tests of budget lines and the spend rules that use them.

use cqrs_es::test::TestFramework;
use cqrs_es::Aggregate;

use super::{
    Award, AwardCommand, AwardError, AwardEvent, BudgetLine, SpendLine, MAX_BUDGET_LINES,
    MAX_CATEGORY_CHARS,
};
use crate::test_support::*;
use crate::{AwardId, Date, DrawdownId, Money};

type AwardTest = TestFramework<Award>;

fn award() -> AwardTest {
    TestFramework::with(())
}

fn award_id() -> AwardId {
    AwardId::new("AW-1")
}

fn line(category: &str, pounds: u32) -> BudgetLine {
    BudgetLine {
        category: category.to_string(),
        amount: Money::pounds(pounds),
    }
}

fn spend_line(category: &str, pounds: u32) -> SpendLine {
    SpendLine {
        category: category.to_string(),
        amount: Money::pounds(pounds),
    }
}

/// A £10,000.00 award, offered (made 10 June 2025).
fn offered() -> Vec<AwardEvent> {
    vec![AwardEvent::AwardMade {
        award_id: award_id(),
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
    }]
}

/// Food £7,000 + Rent £3,000.
fn budget() -> Vec<BudgetLine> {
    vec![line("Food", 7_000), line("Rent", 3_000)]
}

fn budget_set(lines: Vec<BudgetLine>, replaced: Vec<BudgetLine>) -> AwardEvent {
    AwardEvent::BudgetLinesSet {
        lines,
        replaced,
        variation_id: None,
        set_on: on(6, 12),
    }
}

fn set_lines(lines: Vec<BudgetLine>) -> AwardCommand {
    AwardCommand::SetBudgetLines {
        lines,
        set_on: on(6, 12),
    }
}

fn accepted() -> AwardEvent {
    AwardEvent::AgreementAccepted {
        accepted_on: on(6, 20),
    }
}

/// Offered, budget set, accepted.
fn budgeted() -> Vec<AwardEvent> {
    let mut events = offered();
    events.extend([budget_set(budget(), Vec::new()), accepted()]);
    events
}

fn with(
    mut events: Vec<AwardEvent>,
    more: impl IntoIterator<Item = AwardEvent>,
) -> Vec<AwardEvent> {
    events.extend(more);
    events
}

fn report(id: &str, start: Date, end: Date, lines: Vec<SpendLine>) -> AwardCommand {
    AwardCommand::ReportSpend {
        by: applicant(),
        report_id: id.to_string(),
        period_start: start,
        period_end: end,
        lines,
        today: on(12, 31),
    }
}

fn reported(id: &str, start: Date, end: Date, lines: Vec<SpendLine>) -> AwardEvent {
    let total = lines.iter().map(|line| line.amount).sum();
    AwardEvent::SpendReported {
        report_id: id.to_string(),
        period_start: start,
        period_end: end,
        lines,
        total,
    }
}

// --- setting lines

#[tokio::test]
async fn an_officer_sets_budget_lines_summing_to_the_award_before_acceptance() {
    award()
        .given(offered())
        .when_async(set_lines(vec![line(" Food ", 7_000), line("Rent", 3_000)]))
        .await
        .then_expect_events(vec![budget_set(budget(), Vec::new())]);
}

#[tokio::test]
async fn lines_set_again_before_acceptance_replace_the_earlier_ones() {
    award()
        .given(with(offered(), [budget_set(budget(), Vec::new())]))
        .when_async(set_lines(vec![line("Food", 10_000)]))
        .await
        .then_expect_events(vec![budget_set(vec![line("Food", 10_000)], budget())]);
}

#[tokio::test]
async fn lines_that_do_not_sum_to_the_award_are_refused() {
    award()
        .given(offered())
        .when_async(set_lines(vec![line("Food", 7_000), line("Rent", 2_999)]))
        .await
        .then_expect_error(AwardError::BudgetNotAwarded {
            total: Money::pounds(9_999),
            amount: Money::pounds(10_000),
        });
}

#[tokio::test]
async fn categories_must_be_named_unique_without_case_and_bounded() {
    award()
        .given(offered())
        .when_async(set_lines(vec![line("Food", 7_000), line(" FOOD", 3_000)]))
        .await
        .then_expect_error(AwardError::DuplicateCategory("FOOD".to_string()));
    award()
        .given(offered())
        .when_async(set_lines(vec![line("Food", 7_000), line("  ", 3_000)]))
        .await
        .then_expect_error(AwardError::MissingField("category"));
    award()
        .given(offered())
        .when_async(set_lines(vec![line(
            &"x".repeat(MAX_CATEGORY_CHARS + 1),
            10_000,
        )]))
        .await
        .then_expect_error(AwardError::CategoryTooLong {
            chars: MAX_CATEGORY_CHARS + 1,
            max: MAX_CATEGORY_CHARS,
        });
    let many: Vec<BudgetLine> = (0..=MAX_BUDGET_LINES)
        .map(|index| line(&format!("Line {index}"), 1))
        .collect();
    award()
        .given(offered())
        .when_async(set_lines(many))
        .await
        .then_expect_error(AwardError::TooManyBudgetLines {
            lines: MAX_BUDGET_LINES + 1,
            max: MAX_BUDGET_LINES,
        });
    award()
        .given(offered())
        .when_async(set_lines(Vec::new()))
        .await
        .then_expect_error(AwardError::MissingField("budgetLines"));
}

#[tokio::test]
async fn after_acceptance_lines_change_only_through_a_variation() {
    award()
        .given(budgeted())
        .when_async(set_lines(vec![line("Food", 10_000)]))
        .await
        .then_expect_error(AwardError::BudgetFixed(award_id()));
}

// --- variations

fn cut_to(new_amount: u32, lines: Option<Vec<BudgetLine>>) -> AwardCommand {
    AwardCommand::Reduce {
        variation_id: "VAR-1".to_string(),
        new_amount: Money::pounds(new_amount),
        reason: "Smaller hall".to_string(),
        varied_on: on(8, 1),
        budget_lines: lines,
    }
}

fn varied(old: u32, new: u32) -> AwardEvent {
    AwardEvent::AwardVaried {
        variation_id: "VAR-1".to_string(),
        old_amount: Money::pounds(old),
        new_amount: Money::pounds(new),
        reason: "Smaller hall".to_string(),
        varied_on: on(8, 1),
    }
}

fn varied_lines(lines: Vec<BudgetLine>, replaced: Vec<BudgetLine>) -> AwardEvent {
    AwardEvent::BudgetLinesSet {
        lines,
        replaced,
        variation_id: Some("VAR-1".to_string()),
        set_on: on(8, 1),
    }
}

#[tokio::test]
async fn a_cut_of_an_award_with_lines_carries_new_lines_summing_to_the_new_amount() {
    let new_lines = vec![line("Food", 6_000), line("Rent", 2_000)];
    award()
        .given(budgeted())
        .when_async(cut_to(8_000, Some(new_lines.clone())))
        .await
        .then_expect_events(vec![
            varied(10_000, 8_000),
            varied_lines(new_lines, budget()),
        ]);
    award()
        .given(budgeted())
        .when_async(cut_to(8_000, None))
        .await
        .then_expect_error(AwardError::VariationNeedsBudgetLines {
            award: award_id(),
            categories: "Food, Rent".to_string(),
        });
    award()
        .given(budgeted())
        .when_async(cut_to(8_000, Some(budget())))
        .await
        .then_expect_error(AwardError::BudgetNotAwarded {
            total: Money::pounds(10_000),
            amount: Money::pounds(8_000),
        });
}

#[tokio::test]
async fn an_increase_applies_its_lines_when_they_sum_to_the_new_amount() {
    let increase = |lines: Vec<BudgetLine>| AwardCommand::ApplyIncrease {
        variation_id: "VAR-1".to_string(),
        increase: Money::pounds(2_000),
        reason: "Smaller hall".to_string(),
        varied_on: on(8, 1),
        budget_lines: Some(lines),
    };
    let new_lines = vec![
        line("Food", 7_000),
        line("Rent", 3_000),
        line("Travel", 2_000),
    ];
    award()
        .given(budgeted())
        .when_async(increase(new_lines.clone()))
        .await
        .then_expect_events(vec![
            varied(10_000, 12_000),
            varied_lines(new_lines, budget()),
        ]);
    // Lines checked against another amount (a variation came between): the round has
    // reserved the increase, so it still applies; the lines are not recorded.
    award()
        .given(budgeted())
        .when_async(increase(vec![line("Food", 11_000)]))
        .await
        .then_expect_events(vec![varied(10_000, 12_000)]);
}

// --- spend reports

#[tokio::test]
async fn spend_is_reported_only_after_the_agreement_is_accepted() {
    award()
        .given(with(offered(), [budget_set(budget(), Vec::new())]))
        .when_async(report(
            "REP-1",
            on(7, 1),
            on(7, 31),
            vec![spend_line("Food", 10)],
        ))
        .await
        .then_expect_error(AwardError::SpendBeforeAcceptance(award_id()));
}

#[tokio::test]
async fn spend_names_the_budget_categories_in_any_case_and_is_recorded_in_the_budgets_spelling() {
    award()
        .given(budgeted())
        .when_async(report(
            "REP-1",
            on(7, 1),
            on(7, 31),
            vec![spend_line(" food", 120), spend_line("RENT", 300)],
        ))
        .await
        .then_expect_events(vec![reported(
            "REP-1",
            on(7, 1),
            on(7, 31),
            vec![spend_line("Food", 120), spend_line("Rent", 300)],
        )]);
}

#[tokio::test]
async fn spend_under_a_category_the_budget_does_not_have_is_refused_with_the_list() {
    award()
        .given(budgeted())
        .when_async(report(
            "REP-1",
            on(7, 1),
            on(7, 31),
            vec![spend_line("Travel", 5)],
        ))
        .await
        .then_expect_error(AwardError::UnknownSpendCategory {
            category: "Travel".to_string(),
            categories: "Food, Rent".to_string(),
        });
}

#[tokio::test]
async fn report_periods_of_one_award_never_overlap() {
    let history = with(
        budgeted(),
        [reported(
            "REP-1",
            on(7, 1),
            on(7, 31),
            vec![spend_line("Food", 5)],
        )],
    );
    award()
        .given(history.clone())
        .when_async(report(
            "REP-2",
            on(7, 31),
            on(8, 31),
            vec![spend_line("Food", 5)],
        ))
        .await
        .then_expect_error(AwardError::OverlappingSpendPeriod {
            start: on(7, 31),
            end: on(8, 31),
            report_id: "REP-1".to_string(),
            other_start: on(7, 1),
            other_end: on(7, 31),
        });
    award()
        .given(history.clone())
        .when_async(report(
            "REP-2",
            on(6, 15),
            on(9, 30),
            vec![spend_line("Food", 5)],
        ))
        .await
        .then_expect_error(AwardError::OverlappingSpendPeriod {
            start: on(6, 15),
            end: on(9, 30),
            report_id: "REP-1".to_string(),
            other_start: on(7, 1),
            other_end: on(7, 31),
        });
    // The next day on is free.
    award()
        .given(history)
        .when_async(report(
            "REP-2",
            on(8, 1),
            on(8, 31),
            vec![spend_line("Food", 5)],
        ))
        .await
        .then_expect_events(vec![reported(
            "REP-2",
            on(8, 1),
            on(8, 31),
            vec![spend_line("Food", 5)],
        )]);
}

#[tokio::test]
async fn spend_above_what_was_paid_is_accepted_and_flagged() {
    let paid = [
        AwardEvent::DrawdownRequested {
            drawdown_id: DrawdownId::new("DD-1"),
            amount: Money::pounds(1_000),
            purpose: "First quarter".to_string(),
            requested_on: on(7, 1),
        },
        AwardEvent::DrawdownApproved {
            drawdown_id: DrawdownId::new("DD-1"),
            amount: Money::pounds(1_000),
            approved_on: on(7, 2),
        },
        AwardEvent::PaymentRecorded {
            drawdown_id: DrawdownId::new("DD-1"),
            amount: Money::pounds(1_000),
            payment_ref: "BACS-1".to_string(),
            paid_on: on(7, 3),
            paid_total: Money::pounds(1_000),
        },
    ];
    let lines = vec![spend_line("Food", 900), spend_line("Rent", 300)];
    award()
        .given(with(budgeted(), paid.clone()))
        .when_async(report("REP-1", on(7, 1), on(7, 31), lines.clone()))
        .await
        .then_expect_events(vec![reported("REP-1", on(7, 1), on(7, 31), lines.clone())]);
    let mut state = Award::default();
    for event in with(budgeted(), paid) {
        state.apply(event);
    }
    assert!(!state.spent_above_paid(), "nothing reported yet");
    state.apply(reported(
        "REP-1",
        on(7, 1),
        on(7, 31),
        vec![spend_line("Food", 1_000)],
    ));
    assert!(!state.spent_above_paid(), "£1,000 spent of £1,000 paid");
    state.apply(reported(
        "REP-2",
        on(8, 1),
        on(8, 31),
        vec![spend_line("Rent", 1)],
    ));
    assert_eq!(state.spent(), Money::pounds(1_001));
    assert!(state.spent_above_paid(), "£1,001 spent of £1,000 paid");
}

#[tokio::test]
async fn an_award_without_lines_takes_any_category_as_before() {
    // An award accepted before budget lines existed, with a report stored then.
    let history = with(
        offered(),
        [
            accepted(),
            reported(
                "REP-1",
                on(7, 1),
                on(7, 31),
                vec![spend_line("Anything", 5)],
            ),
        ],
    );
    award()
        .given(history)
        .when_async(report(
            "REP-2",
            on(8, 1),
            on(8, 31),
            vec![spend_line("Something else", 7)],
        ))
        .await
        .then_expect_events(vec![reported(
            "REP-2",
            on(8, 1),
            on(8, 31),
            vec![spend_line("Something else", 7)],
        )]);
}
