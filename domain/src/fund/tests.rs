//! Given/when/then tests of the fund's rules.

use cqrs_es::test::TestFramework;

use super::{Fund, FundCommand, FundError, FundEvent};
use crate::test_support::*;
use rust_decimal_macros::dec;

use crate::outcome::{FractionError, MAX_INDICATOR_CHARS};
use crate::{AwardId, Fraction, FundId, Money, OrgId, OutcomeProxy, RoundId};

type FundTest = TestFramework<Fund>;

fn fund() -> FundTest {
    TestFramework::with(())
}

fn establish() -> FundCommand {
    FundCommand::Establish {
        fund_id: fund_id(),
        name: "Hillside Community Fund".to_string(),
        funder_org_id: OrgId::new("GB-CHC-7654321"),
        funder_name: "Hillside Trust".to_string(),
        established_on: on(1, 6),
        today: on(1, 6),
    }
}

fn established() -> FundEvent {
    FundEvent::FundEstablished {
        fund_id: fund_id(),
        name: "Hillside Community Fund".to_string(),
        funder_org_id: OrgId::new("GB-CHC-7654321"),
        funder_name: "Hillside Trust".to_string(),
        established_on: on(1, 6),
    }
}

fn receive(tranche: &str, amount: Money) -> FundCommand {
    FundCommand::ReceiveCapital {
        tranche_id: tranche.to_string(),
        amount,
        source: "Endowment".to_string(),
        received_on: on(1, 10),
        today: on(1, 10),
    }
}

fn received(tranche: &str, amount: Money, total: Money, available: Money) -> FundEvent {
    FundEvent::CapitalReceived {
        tranche_id: tranche.to_string(),
        amount,
        source: "Endowment".to_string(),
        received_on: on(1, 10),
        capital_received_total: total,
        available_after: available,
    }
}

fn allocate(round: &str, budget: Money) -> FundCommand {
    FundCommand::AllocateToRound {
        round_id: RoundId::new(round),
        budget,
        terms: terms(),
        allocated_on: on(2, 1),
    }
}

fn allocated(round: &str, budget: Money, available: Money) -> FundEvent {
    FundEvent::RoundBudgetAllocated {
        round_id: RoundId::new(round),
        budget,
        terms: terms(),
        allocated_on: on(2, 1),
        available_after: available,
    }
}

fn release(release_id: &str, amount: Money) -> FundCommand {
    FundCommand::ReleaseRoundBudget {
        release_id: release_id.to_string(),
        round_id: round_id(),
        amount,
        released_on: on(6, 1),
    }
}

fn released(release_id: &str, amount: Money, available: Money) -> FundEvent {
    FundEvent::RoundBudgetReleased {
        release_id: release_id.to_string(),
        round_id: round_id(),
        amount,
        released_on: on(6, 1),
        available_after: available,
    }
}

fn credit(return_id: &str, amount: Money) -> FundCommand {
    FundCommand::CreditReturn {
        return_id: return_id.to_string(),
        award_id: AwardId::new("AW-1"),
        amount,
        credited_on: on(9, 1),
    }
}

fn credited(return_id: &str, amount: Money, available: Money) -> FundEvent {
    FundEvent::ReturnCredited {
        return_id: return_id.to_string(),
        award_id: AwardId::new("AW-1"),
        amount,
        credited_on: on(9, 1),
        available_after: available,
    }
}

/// Established, £10,000.00 received, £8,000.00 allocated to RND-1: £2,000.00 available.
fn funded_with_a_round() -> Vec<FundEvent> {
    vec![
        established(),
        received(
            "T1",
            Money::pounds(10_000),
            Money::pounds(10_000),
            Money::pounds(10_000),
        ),
        allocated(ROUND, Money::pounds(8_000), Money::pounds(2_000)),
    ]
}

fn unknown_fund() -> FundId {
    FundId::new("")
}

// --- Establish

#[tokio::test]
async fn establishing_records_the_fund() {
    fund()
        .given_no_previous_events()
        .when_async(establish())
        .await
        .then_expect_events(vec![established()]);
}

#[tokio::test]
async fn establishing_a_fund_twice_is_refused() {
    fund()
        .given(vec![established()])
        .when_async(establish())
        .await
        .then_expect_error(FundError::AlreadyEstablished(fund_id()));
}

#[tokio::test]
async fn a_fund_needs_a_name_a_funder_name_and_a_funder_id() {
    let cases = [
        ("name", {
            let mut command = establish();
            if let FundCommand::Establish { name, .. } = &mut command {
                *name = " ".to_string();
            }
            command
        }),
        ("funder_name", {
            let mut command = establish();
            if let FundCommand::Establish { funder_name, .. } = &mut command {
                funder_name.clear();
            }
            command
        }),
        ("funder_org_id", {
            let mut command = establish();
            if let FundCommand::Establish { funder_org_id, .. } = &mut command {
                *funder_org_id = OrgId::new("");
            }
            command
        }),
    ];
    for (field, command) in cases {
        fund()
            .given_no_previous_events()
            .when_async(command)
            .await
            .then_expect_error(FundError::MissingField(field));
    }
}

// --- ReceiveCapital

#[tokio::test]
async fn receiving_capital_reports_the_totals_and_what_is_available() {
    fund()
        .given(vec![
            established(),
            received(
                "T1",
                Money::pounds(1_000),
                Money::pounds(1_000),
                Money::pounds(1_000),
            ),
        ])
        .when_async(receive("T2", Money::from_pence(50_050)))
        .await
        .then_expect_events(vec![received(
            "T2",
            Money::from_pence(50_050),
            Money::from_pence(150_050),
            Money::from_pence(150_050),
        )]);
}

#[tokio::test]
async fn capital_for_a_fund_not_established_is_refused() {
    fund()
        .given_no_previous_events()
        .when_async(receive("T1", Money::pounds(1)))
        .await
        .then_expect_error(FundError::NotEstablished(unknown_fund()));
}

#[tokio::test]
async fn zero_capital_is_refused() {
    fund()
        .given(vec![established()])
        .when_async(receive("T1", Money::ZERO))
        .await
        .then_expect_error(FundError::ZeroAmount);
}

#[tokio::test]
async fn capital_without_a_source_is_refused() {
    fund()
        .given(vec![established()])
        .when_async(FundCommand::ReceiveCapital {
            tranche_id: "T1".to_string(),
            amount: Money::pounds(1),
            source: String::new(),
            received_on: on(1, 10),
            today: on(1, 10),
        })
        .await
        .then_expect_error(FundError::MissingField("source"));
}

#[tokio::test]
async fn a_tranche_received_twice_is_refused() {
    fund()
        .given(vec![
            established(),
            received(
                "T1",
                Money::pounds(1_000),
                Money::pounds(1_000),
                Money::pounds(1_000),
            ),
        ])
        .when_async(receive("T1", Money::pounds(1_000)))
        .await
        .then_expect_error(FundError::DuplicateTranche("T1".to_string()));
}

// --- AllocateToRound

#[tokio::test]
async fn allocating_a_budget_takes_it_from_what_is_available() {
    fund()
        .given(vec![
            established(),
            received(
                "T1",
                Money::pounds(10_000),
                Money::pounds(10_000),
                Money::pounds(10_000),
            ),
        ])
        .when_async(allocate(ROUND, Money::pounds(10_000)))
        .await
        .then_expect_events(vec![allocated(ROUND, Money::pounds(10_000), Money::ZERO)]);
}

#[tokio::test]
async fn allocating_from_a_fund_not_established_is_refused() {
    fund()
        .given_no_previous_events()
        .when_async(allocate(ROUND, Money::pounds(1)))
        .await
        .then_expect_error(FundError::NotEstablished(unknown_fund()));
}

#[tokio::test]
async fn a_zero_budget_is_refused() {
    fund()
        .given(funded_with_a_round())
        .when_async(allocate("RND-2", Money::ZERO))
        .await
        .then_expect_error(FundError::ZeroAmount);
}

#[tokio::test]
async fn allocating_to_the_same_round_twice_is_refused() {
    fund()
        .given(funded_with_a_round())
        .when_async(allocate(ROUND, Money::pounds(1)))
        .await
        .then_expect_error(FundError::RoundAlreadyAllocated(round_id()));
}

#[tokio::test]
async fn allocating_more_than_is_available_is_refused() {
    let validator = fund()
        .given(funded_with_a_round())
        .when_async(allocate("RND-2", Money::from_pence(200_001)))
        .await;
    let error = validator.inspect_result().unwrap_err();
    assert_eq!(
        error,
        FundError::InsufficientFunds {
            requested: Money::from_pence(200_001),
            available: Money::pounds(2_000),
            round: RoundId::new("RND-2"),
            fund: fund_id(),
        }
    );
    assert_eq!(
        error.to_string(),
        "allocating £2,000.01 to round RND-2 exceeds the £2,000.00 available in fund FUND-1"
    );
}

#[tokio::test]
async fn allocating_exactly_what_is_available_is_allowed() {
    fund()
        .given(funded_with_a_round())
        .when_async(allocate("RND-2", Money::pounds(2_000)))
        .await
        .then_expect_events(vec![allocated("RND-2", Money::pounds(2_000), Money::ZERO)]);
}

#[tokio::test]
async fn allocating_with_terms_of_another_fund_is_refused() {
    let mut other = terms();
    other.fund_id = FundId::new("FUND-2");
    fund()
        .given(funded_with_a_round())
        .when_async(FundCommand::AllocateToRound {
            round_id: RoundId::new("RND-2"),
            budget: Money::pounds(1),
            terms: other,
            allocated_on: on(2, 1),
        })
        .await
        .then_expect_error(FundError::TermsForOtherFund {
            round: RoundId::new("RND-2"),
            terms_fund: FundId::new("FUND-2"),
            fund: fund_id(),
        });
}

#[tokio::test]
async fn allocating_to_a_round_that_could_never_open_is_refused() {
    let mut backwards = terms();
    backwards.closes_on = on(2, 28);
    fund()
        .given(funded_with_a_round())
        .when_async(FundCommand::AllocateToRound {
            round_id: RoundId::new("RND-2"),
            budget: Money::pounds(1),
            terms: backwards,
            allocated_on: on(2, 1),
        })
        .await
        .then_expect_error(FundError::RoundDatesOutOfOrder {
            round: RoundId::new("RND-2"),
            opens_on: "2025-03-01".to_string(),
            closes_on: "2025-02-28".to_string(),
        });

    let mut nameless = terms();
    nameless.name = String::new();
    fund()
        .given(funded_with_a_round())
        .when_async(FundCommand::AllocateToRound {
            round_id: RoundId::new("RND-2"),
            budget: Money::pounds(1),
            terms: nameless,
            allocated_on: on(2, 1),
        })
        .await
        .then_expect_error(FundError::MissingField("round name"));
}

// --- ReleaseRoundBudget

#[tokio::test]
async fn releasing_a_round_budget_makes_it_available_again() {
    fund()
        .given(funded_with_a_round())
        .when_async(release("close:RND-1", Money::pounds(3_000)))
        .await
        .then_expect_events(vec![released(
            "close:RND-1",
            Money::pounds(3_000),
            Money::pounds(5_000),
        )]);
}

#[tokio::test]
async fn a_repeated_release_emits_nothing() {
    let mut given = funded_with_a_round();
    given.push(released(
        "close:RND-1",
        Money::pounds(3_000),
        Money::pounds(5_000),
    ));
    fund()
        .given(given)
        .when_async(release("close:RND-1", Money::pounds(3_000)))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn a_round_closing_fully_spent_releases_nothing() {
    fund()
        .given(funded_with_a_round())
        .when_async(release("close:RND-1", Money::ZERO))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn releasing_more_than_rounds_hold_is_refused() {
    fund()
        .given(funded_with_a_round())
        .when_async(release("close:RND-1", Money::from_pence(800_001)))
        .await
        .then_expect_error(FundError::ReleaseExceedsAllocation {
            amount: Money::from_pence(800_001),
            allocated: Money::pounds(8_000),
            round: round_id(),
            fund: fund_id(),
        });
}

#[tokio::test]
async fn a_round_cannot_release_budget_another_round_holds() {
    let mut given = funded_with_a_round();
    given.push(allocated("RND-2", Money::pounds(2_000), Money::ZERO));
    // RND-1 gave back £7,000 of its £8,000 already; £1,000.01 more is not its to give,
    // although RND-2's £2,000 would cover it.
    given.push(released(
        "close:RND-1",
        Money::pounds(7_000),
        Money::pounds(7_000),
    ));
    let validator = fund()
        .given(given)
        .when_async(release("variation:V-1", Money::from_pence(100_001)))
        .await;
    let error = validator.inspect_result().unwrap_err();
    assert_eq!(
        error,
        FundError::ReleaseExceedsAllocation {
            amount: Money::from_pence(100_001),
            allocated: Money::pounds(1_000),
            round: round_id(),
            fund: fund_id(),
        }
    );
    assert_eq!(
        error.to_string(),
        "releasing £1,000.01 from round RND-1 to fund FUND-1 exceeds the £1,000.00 that round still holds"
    );
}

#[tokio::test]
async fn releasing_from_a_round_the_fund_never_funded_is_refused() {
    fund()
        .given(funded_with_a_round())
        .when_async(FundCommand::ReleaseRoundBudget {
            release_id: "close:RND-9".to_string(),
            round_id: RoundId::new("RND-9"),
            amount: Money::pounds(1),
            released_on: on(6, 1),
        })
        .await
        .then_expect_error(FundError::UnknownRound {
            round: RoundId::new("RND-9"),
            fund: fund_id(),
        });
}

#[tokio::test]
async fn releasing_to_a_fund_not_established_is_refused() {
    fund()
        .given_no_previous_events()
        .when_async(release("close:RND-1", Money::pounds(1)))
        .await
        .then_expect_error(FundError::NotEstablished(unknown_fund()));
}

// --- CreditReturn

#[tokio::test]
async fn a_credited_return_is_available_again() {
    fund()
        .given(funded_with_a_round())
        .when_async(credit("RET-1", Money::from_pence(12_345)))
        .await
        .then_expect_events(vec![credited(
            "RET-1",
            Money::from_pence(12_345),
            Money::from_pence(212_345),
        )]);
}

#[tokio::test]
async fn a_repeated_credit_emits_nothing() {
    let mut given = funded_with_a_round();
    given.push(credited("RET-1", Money::pounds(100), Money::pounds(2_100)));
    fund()
        .given(given)
        .when_async(credit("RET-1", Money::pounds(100)))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn a_zero_credit_emits_nothing() {
    fund()
        .given(funded_with_a_round())
        .when_async(credit("RET-1", Money::ZERO))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn crediting_a_fund_not_established_is_refused() {
    fund()
        .given_no_previous_events()
        .when_async(credit("RET-1", Money::pounds(1)))
        .await
        .then_expect_error(FundError::NotEstablished(unknown_fund()));
}

// --- Accessors

#[test]
fn available_is_capital_plus_returns_plus_releases_minus_allocations() {
    let mut fund = Fund::default();
    assert!(!fund.is_established());
    let mut events = funded_with_a_round();
    events.push(released(
        "close:RND-1",
        Money::pounds(3_000),
        Money::pounds(5_000),
    ));
    events.push(credited("RET-1", Money::pounds(100), Money::pounds(5_100)));
    for event in events {
        cqrs_es::Aggregate::apply(&mut fund, event);
    }
    assert!(fund.is_established());
    assert_eq!(fund.capital_received(), Money::pounds(10_000));
    assert_eq!(fund.allocated(), Money::pounds(5_000));
    assert_eq!(fund.returned_credited(), Money::pounds(100));
    assert_eq!(fund.available(), Money::pounds(5_100));
    assert!(fund.has_round(&round_id()));
}

// --- SetOutcomeProxy

/// Volunteer time valued at £11.44 an hour, with typical adjustments, for 2 years.
fn set_proxy() -> FundCommand {
    FundCommand::SetOutcomeProxy {
        indicator: " volunteer_hours ".to_string(),
        unit: "hour".to_string(),
        value_per_unit: "11.44".parse().unwrap(),
        deadweight: dec!(0.10),
        attribution: dec!(0.2),
        displacement: dec!(0),
        drop_off: dec!(0.5),
        duration_years: 2,
        set_on: on(3, 1),
        effective_from: None,
    }
}

fn proxy_set(value_per_unit: &str) -> FundEvent {
    FundEvent::OutcomeProxySet {
        indicator: "volunteer_hours".to_string(),
        proxy: OutcomeProxy {
            unit: "hour".to_string(),
            value_per_unit: value_per_unit.parse().unwrap(),
            deadweight: "0.1".parse().unwrap(),
            attribution: "0.2".parse().unwrap(),
            displacement: Fraction::ZERO,
            drop_off: "0.5".parse().unwrap(),
            duration_years: 2,
        },
        set_on: on(3, 1),
        effective_from: None,
    }
}

fn with_proxy(change: impl FnOnce(&mut FundCommand)) -> FundCommand {
    let mut command = set_proxy();
    change(&mut command);
    command
}

#[tokio::test]
async fn an_outcome_proxy_is_recorded_with_exact_shares_and_a_trimmed_indicator() {
    fund()
        .given(vec![established()])
        .when_async(set_proxy())
        .await
        .then_expect_events(vec![proxy_set("11.44")]);
}

#[tokio::test]
async fn setting_an_indicator_again_records_a_replacement() {
    let command = with_proxy(|command| {
        if let FundCommand::SetOutcomeProxy { value_per_unit, .. } = command {
            *value_per_unit = "12.00".parse().unwrap();
        }
    });
    fund()
        .given(vec![established(), proxy_set("11.44")])
        .when_async(command)
        .await
        .then_expect_events(vec![proxy_set("12.00")]);
}

#[tokio::test]
async fn a_proxy_for_a_fund_not_established_is_refused() {
    fund()
        .given_no_previous_events()
        .when_async(set_proxy())
        .await
        .then_expect_error(FundError::NotEstablished(unknown_fund()));
}

#[tokio::test]
async fn a_share_outside_zero_to_one_is_refused_naming_the_field() {
    let cases: [(&'static str, rust_decimal::Decimal, FractionError); 4] = [
        (
            "deadweight",
            dec!(1.5),
            FractionError::AboveOne("1.5".into()),
        ),
        (
            "attribution",
            dec!(-0.2),
            FractionError::Negative("-0.2".into()),
        ),
        (
            "displacement",
            dec!(0.12345),
            FractionError::TooPrecise("0.12345".into()),
        ),
        ("drop_off", dec!(2), FractionError::AboveOne("2".into())),
    ];
    for (field, value, error) in cases {
        let command = with_proxy(|command| {
            if let FundCommand::SetOutcomeProxy {
                deadweight,
                attribution,
                displacement,
                drop_off,
                ..
            } = command
            {
                match field {
                    "deadweight" => *deadweight = value,
                    "attribution" => *attribution = value,
                    "displacement" => *displacement = value,
                    _ => *drop_off = value,
                }
            }
        });
        fund()
            .given(vec![established()])
            .when_async(command)
            .await
            .then_expect_error(FundError::InvalidShare { field, error });
    }
}

#[tokio::test]
async fn shares_of_exactly_zero_and_one_are_accepted() {
    let command = with_proxy(|command| {
        if let FundCommand::SetOutcomeProxy {
            deadweight,
            drop_off,
            ..
        } = command
        {
            *deadweight = dec!(1.0000);
            *drop_off = dec!(0);
        }
    });
    let result = fund().given(vec![established()]).when_async(command).await;
    let events = result.inspect_result().expect("accepted");
    let FundEvent::OutcomeProxySet { proxy, .. } = &events[0] else {
        panic!("expected a proxy, got {events:?}");
    };
    assert_eq!(proxy.deadweight, Fraction::ONE);
    assert_eq!(proxy.drop_off, Fraction::ZERO);
}

#[tokio::test]
async fn a_duration_outside_one_to_ten_years_is_refused() {
    for years in [0, 11, u32::MAX] {
        let command = with_proxy(|command| {
            if let FundCommand::SetOutcomeProxy { duration_years, .. } = command {
                *duration_years = years;
            }
        });
        fund()
            .given(vec![established()])
            .when_async(command)
            .await
            .then_expect_error(FundError::DurationOutOfRange { years });
    }
}

#[tokio::test]
async fn a_proxy_needs_an_indicator_and_a_unit_of_bounded_length() {
    let blank_indicator = with_proxy(|command| {
        if let FundCommand::SetOutcomeProxy { indicator, .. } = command {
            *indicator = "  ".into();
        }
    });
    fund()
        .given(vec![established()])
        .when_async(blank_indicator)
        .await
        .then_expect_error(FundError::MissingField("indicator"));
    let blank_unit = with_proxy(|command| {
        if let FundCommand::SetOutcomeProxy { unit, .. } = command {
            *unit = String::new();
        }
    });
    fund()
        .given(vec![established()])
        .when_async(blank_unit)
        .await
        .then_expect_error(FundError::MissingField("unit"));
    let long_indicator = with_proxy(|command| {
        if let FundCommand::SetOutcomeProxy { indicator, .. } = command {
            *indicator = "x".repeat(MAX_INDICATOR_CHARS + 1);
        }
    });
    fund()
        .given(vec![established()])
        .when_async(long_indicator)
        .await
        .then_expect_error(FundError::TooLong {
            field: "indicator",
            chars: MAX_INDICATOR_CHARS + 1,
            max: MAX_INDICATOR_CHARS,
        });
}

#[test]
fn refusals_of_a_proxy_say_what_was_wrong() {
    let error = FundError::InvalidShare {
        field: "deadweight",
        error: FractionError::AboveOne("1.5".into()),
    };
    assert_eq!(
        error.to_string(),
        "deadweight must be a share from 0 to 1: 1.5 is above 1; a share is from 0 to 1 (0.25 for 25%)"
    );
    assert_eq!(
        FundError::DurationOutOfRange { years: 11 }.to_string(),
        "an outcome lasting 11 years can't be valued; give 1 to 10 years"
    );
}

// --- receivedOn against the business date and the fund's establishment

fn receive_dated(received_on: crate::Date, today: crate::Date) -> FundCommand {
    FundCommand::ReceiveCapital {
        tranche_id: "T1".to_string(),
        amount: Money::pounds(100_000),
        source: "Endowment".to_string(),
        received_on,
        today,
    }
}

#[tokio::test]
async fn capital_dated_after_the_business_date_is_refused() {
    fund()
        .given(vec![established()])
        .when_async(receive_dated(on(12, 1), on(1, 10)))
        .await
        .then_expect_error(FundError::Date(crate::DateError::AfterToday {
            field: "receivedOn",
            date: on(12, 1),
            today: on(1, 10),
        }));
}

#[tokio::test]
async fn capital_dated_before_the_fund_was_established_is_refused() {
    // The fund was established on 6 January.
    fund()
        .given(vec![established()])
        .when_async(receive_dated(on(1, 5), on(1, 10)))
        .await
        .then_expect_error(FundError::Date(crate::DateError::BeforeLimit {
            field: "receivedOn",
            date: on(1, 5),
            limit_name: format!("fund {FUND} was established"),
            limit: on(1, 6),
        }));
}

#[tokio::test]
async fn capital_dated_on_the_day_the_fund_was_established_is_received() {
    fund()
        .given(vec![established()])
        .when_async(receive_dated(on(1, 6), on(1, 6)))
        .await
        .then_expect_events(vec![FundEvent::CapitalReceived {
            tranche_id: "T1".to_string(),
            amount: Money::pounds(100_000),
            source: "Endowment".to_string(),
            received_on: on(1, 6),
            capital_received_total: Money::pounds(100_000),
            available_after: Money::pounds(100_000),
        }]);
}

#[tokio::test]
async fn a_fund_established_after_the_business_date_is_refused() {
    let mut command = establish();
    if let FundCommand::Establish { established_on, .. } = &mut command {
        *established_on = on(1, 7);
    }
    fund()
        .given_no_previous_events()
        .when_async(command)
        .await
        .then_expect_error(FundError::Date(crate::DateError::AfterToday {
            field: "establishedOn",
            date: on(1, 7),
            today: on(1, 6),
        }));
}

#[tokio::test]
async fn a_fund_established_in_the_past_receives_capital_dated_since() {
    // A fund moving its history into the ledger: established on 6 January, entered on
    // 10 January with the capital it received on 8 January.
    let mut command = establish();
    if let FundCommand::Establish { today, .. } = &mut command {
        *today = on(1, 10);
    }
    fund()
        .given_no_previous_events()
        .when_async(command)
        .await
        .then_expect_events(vec![established()]);
    fund()
        .given(vec![established()])
        .when_async(receive_dated(on(1, 8), on(1, 10)))
        .await
        .then_expect_events(vec![FundEvent::CapitalReceived {
            tranche_id: "T1".to_string(),
            amount: Money::pounds(100_000),
            source: "Endowment".to_string(),
            received_on: on(1, 8),
            capital_received_total: Money::pounds(100_000),
            available_after: Money::pounds(100_000),
        }]);
}

#[tokio::test]
async fn a_proxy_version_carries_its_effective_date_not_before_the_fund() {
    let ahead = with_proxy(|command| {
        if let FundCommand::SetOutcomeProxy { effective_from, .. } = command {
            *effective_from = Some(on(4, 1));
        }
    });
    let mut expected = proxy_set("11.44");
    if let FundEvent::OutcomeProxySet { effective_from, .. } = &mut expected {
        *effective_from = Some(on(4, 1));
    }
    assert_eq!(expected.proxy_effective_from(), Some(on(4, 1)));
    assert_eq!(proxy_set("11.44").proxy_effective_from(), Some(on(3, 1)));
    fund()
        .given(vec![established()])
        .when_async(ahead)
        .await
        .then_expect_events(vec![expected]);
    let before_the_fund = with_proxy(|command| {
        if let FundCommand::SetOutcomeProxy { effective_from, .. } = command {
            *effective_from = Some(on(1, 5));
        }
    });
    fund()
        .given(vec![established()])
        .when_async(before_the_fund)
        .await
        .then_expect_error(FundError::Date(crate::DateError::BeforeLimit {
            field: "effectiveFrom",
            date: on(1, 5),
            limit_name: "the fund was established".into(),
            limit: on(1, 6),
        }));
}

// --- DeclarePriorityAreas

fn codes(codes: &[&str]) -> Vec<crate::GeoCode> {
    codes.iter().map(|code| code.parse().unwrap()).collect()
}

fn declare(list: &str, areas: &[&str]) -> FundCommand {
    FundCommand::DeclarePriorityAreas {
        list_name: list.to_string(),
        areas: codes(areas),
        declared_on: on(4, 1),
    }
}

fn declared(list: &str, areas: &[&str]) -> FundEvent {
    FundEvent::PriorityAreasDeclared {
        list_name: list.to_string(),
        areas: codes(areas),
        declared_on: on(4, 1),
    }
}

#[test]
fn a_priority_list_is_recorded_trimmed_sorted_and_each_code_once() {
    fund()
        .given(vec![established()])
        .when(declare(
            " Left behind ",
            &["E05009288", "E01000001", "E05009288"],
        ))
        .then_expect_events(vec![declared("Left behind", &["E01000001", "E05009288"])]);
}

#[test]
fn declaring_the_same_list_again_records_nothing() {
    fund()
        .given(vec![established(), declared("Left behind", &["E01000001"])])
        .when(declare("Left behind", &["E01000001"]))
        .then_expect_events(vec![]);
}

#[test]
fn redeclaring_a_list_with_other_areas_replaces_it() {
    let mut fund = Fund::default();
    for event in [
        established(),
        declared("Left behind", &["E01000001"]),
        declared("Left behind", &["E05009288"]),
    ] {
        cqrs_es::Aggregate::apply(&mut fund, event);
    }
    assert_eq!(
        fund.priority_list("Left behind"),
        Some(&codes(&["E05009288"])[..])
    );
}

#[test]
fn an_empty_or_unnamed_priority_list_is_refused() {
    fund()
        .given(vec![established()])
        .when(declare("Left behind", &[]))
        .then_expect_error(FundError::MissingField("areas"));
    fund()
        .given(vec![established()])
        .when(declare("  ", &["E01000001"]))
        .then_expect_error(FundError::MissingField("list_name"));
}

#[test]
fn a_priority_list_needs_an_established_fund() {
    fund()
        .given_no_previous_events()
        .when(declare("Left behind", &["E01000001"]))
        .then_expect_error(FundError::NotEstablished(FundId::new("")));
}
