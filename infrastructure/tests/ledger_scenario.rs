//! The whole life of a fund, through the real command path, on PostgreSQL and on SQLite.

use std::sync::Arc;

use chrono::NaiveDate;
use domain::application::{ApplicationStatus, Score};
use domain::award::{AwardStatus, SpendLine};
use domain::round::DecisionMode;
use domain::{GeoCode, Money, OrgId};
use infrastructure::ledger::{ErrorKind, Ledger, OpenRound, Request, SubmitApplication};
use infrastructure::test_support::TestDatabase;
use rust_decimal_macros::dec;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn geo(code: &str) -> GeoCode {
    code.parse().unwrap()
}

fn money(text: &str) -> Money {
    text.parse().unwrap()
}

async fn ledger_with_geography(test: &TestDatabase) -> Arc<Ledger> {
    let ledger = Ledger::open(test.database.clone()).await.unwrap();
    let csv = std::env::temp_dir().join(format!("geo-{}.csv", uuid::Uuid::new_v4().simple()));
    std::fs::write(
        &csv,
        "code,name,level,parent_code,population,imd_decile\n\
         E12000001,North East,region,,,\n\
         E06000002,Middlesbrough,lad,E12000001,140000,\n\
         E01012070,Middlesbrough 001A,lsoa,E06000002,1500,1\n\
         E01012071,Middlesbrough 001B,lsoa,E06000002,1600,2\n\
         E06000009,Blackpool,lad,,139000,\n\
         E01012680,Blackpool 001A,lsoa,E06000009,1400,1\n",
    )
    .unwrap();
    ledger
        .geography
        .import_csv(&ledger.database, &csv)
        .await
        .unwrap();
    std::fs::remove_file(csv).unwrap();
    ledger
}

async fn whole_life_of_a_fund(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let ledger = ledger_with_geography(&test).await;
    let admin = Request::new("officer-1", date("2026-01-05"));
    // The officer on a later business date, for steps dated by the caller.
    let admin_on = |day: &str| Request::new("officer-1", date(day));
    let panel = |member: &str| Request::new(member, date("2026-02-10"));
    let group_a = OrgId::new("GB-CHC-1000001");
    let group_b = OrgId::new("GB-CHC-1000002");
    let grantee = |org: &OrgId| Request::new(org.as_str(), date("2026-02-01"));

    let fund = ledger
        .establish_fund(
            &admin,
            "Tees Community Wealth Fund",
            &OrgId::new("GB-COH-00000001"),
            "Tees Trust",
        )
        .await
        .unwrap()
        .value;
    ledger
        .receive_capital(
            &admin_on("2026-01-06"),
            &fund,
            money("600000.00"),
            "Dormant assets",
            date("2026-01-06"),
        )
        .await
        .unwrap();
    ledger
        .receive_capital(
            &admin_on("2026-01-07"),
            &fund,
            money("400000.50"),
            "Council match",
            date("2026-01-07"),
        )
        .await
        .unwrap();
    let round = ledger
        .open_round(
            &admin,
            OpenRound {
                fund_id: fund.clone(),
                name: "Small grants 2026".into(),
                budget: money("50000.00"),
                opens_on: date("2026-01-10"),
                closes_on: date("2026-03-31"),
                eligible_areas: vec![geo("E06000002")],
                themes: vec!["youth".into(), "food".into()],
                decision_mode: DecisionMode::Panel,
                min_panel_scores: 2,
                panel_sees_scores: domain::round::PanelSeesScores::default(),
            },
        )
        .await
        .unwrap()
        .value;
    assert_eq!(
        ledger.fund(&fund).await.unwrap().available(),
        money("950000.50")
    );
    assert!(ledger.round(&round).await.unwrap().is_open());

    let submit = |org: &OrgId, area: &str, amount: &str| SubmitApplication {
        round_id: round.clone(),
        applicant: org.clone(),
        applicant_name: format!("Group {org}"),
        title: "Breakfast club".into(),
        description: "Breakfasts for 40 children".into(),
        amount_requested: money(amount),
        neighbourhood: geo(area),
        themes: vec!["food".into()],
    };
    // An LSOA in Middlesbrough is eligible because its local authority is listed.
    let first = ledger
        .submit_application(
            &grantee(&group_a),
            submit(&group_a, "E01012070", "30000.00"),
        )
        .await
        .unwrap()
        .value;
    let second = ledger
        .submit_application(
            &grantee(&group_b),
            submit(&group_b, "E01012071", "25000.00"),
        )
        .await
        .unwrap()
        .value;
    // Blackpool is not in the round's area.
    let outside = ledger
        .submit_application(&grantee(&group_b), submit(&group_b, "E01012680", "1000.00"))
        .await
        .unwrap_err();
    assert_eq!(outside.kind(), ErrorKind::Conflict, "{outside}");

    for member in ["panel-1", "panel-2"] {
        ledger
            .score_application(
                &panel(member),
                &first,
                member,
                Score::new(4).unwrap(),
                "strong",
            )
            .await
            .unwrap();
    }
    // One score is not a quorum of two.
    ledger
        .score_application(
            &panel("panel-1"),
            &second,
            "panel-1",
            Score::new(3).unwrap(),
            "ok",
        )
        .await
        .unwrap();
    let no_quorum = ledger
        .approve_application(&admin, &second, money("20000.00"))
        .await
        .unwrap_err();
    assert!(no_quorum.to_string().contains("needs 2"), "{no_quorum}");
    ledger
        .score_application(
            &panel("panel-3"),
            &second,
            "panel-3",
            Score::new(5).unwrap(),
            "good",
        )
        .await
        .unwrap();

    let award_a = ledger
        .approve_application(&admin, &first, money("30000.00"))
        .await
        .unwrap()
        .value;
    // £20,000 remains; £25,000 would overspend the round.
    let overspend = ledger
        .approve_application(&admin, &second, money("25000.00"))
        .await
        .unwrap_err();
    assert_eq!(overspend.kind(), ErrorKind::Conflict);
    assert!(overspend.to_string().contains("£20,000.00"), "{overspend}");
    let award_b = ledger
        .approve_application(&admin, &second, money("20000.00"))
        .await
        .unwrap()
        .value;
    assert_eq!(ledger.round(&round).await.unwrap().remaining(), Money::ZERO);
    assert_eq!(
        ledger.application(&first).await.unwrap().status(),
        ApplicationStatus::Approved
    );

    // The grantee accepts and draws down; the officer approves and pays.
    let a = grantee(&group_a);
    ledger
        .accept_agreement(&a, &award_a, &group_a)
        .await
        .unwrap();
    let wrong_org = ledger
        .accept_agreement(&a, &award_b, &group_a)
        .await
        .unwrap_err();
    assert_eq!(wrong_org.kind(), ErrorKind::Forbidden);
    let drawdown = ledger
        .request_drawdown(&a, &award_a, &group_a, money("12000.00"), "First quarter")
        .await
        .unwrap()
        .value;
    ledger
        .approve_drawdown(&admin, &award_a, &drawdown)
        .await
        .unwrap();
    let too_much = ledger
        .request_drawdown(&a, &award_a, &group_a, money("18000.01"), "Everything else")
        .await
        .unwrap_err();
    assert!(
        too_much
            .to_string()
            .contains("exceeds the £18,000.00 available to draw"),
        "{too_much}"
    );
    ledger
        .record_payment(
            &admin_on("2026-02-15"),
            &award_a,
            &drawdown,
            "BACS-0001",
            date("2026-02-15"),
        )
        .await
        .unwrap();
    let twice = ledger
        .record_payment(
            &admin_on("2026-02-16"),
            &award_a,
            &drawdown,
            "BACS-0002",
            date("2026-02-16"),
        )
        .await
        .unwrap_err();
    assert_eq!(twice.kind(), ErrorKind::Conflict);

    // Reported once the period is over.
    let a_after_the_period = Request::new(group_a.as_str(), date("2026-04-30"));
    ledger
        .report_spend(
            &a_after_the_period,
            &award_a,
            &group_a,
            date("2026-02-01"),
            date("2026-04-30"),
            vec![SpendLine {
                category: "food".into(),
                amount: money("9000.00"),
            }],
        )
        .await
        .unwrap();
    // An outcome the fund has no proxy for could not be valued: refused, naming the
    // fund's indicators; once the officer sets a proxy it is recorded.
    let head = ledger.database.head_position().await.unwrap();
    let unvalued = ledger
        .report_outcome(
            &a_after_the_period,
            &award_a,
            &group_a,
            "breakfasts served",
            dec!(4200),
            date("2026-04-30"),
        )
        .await
        .unwrap_err();
    assert_eq!(unvalued.kind(), ErrorKind::BadInput);
    assert!(unvalued.to_string().contains("none yet"), "{unvalued}");
    assert_eq!(ledger.database.head_position().await.unwrap(), head);
    ledger
        .set_outcome_proxy(
            &admin_on("2026-04-30"),
            infrastructure::ledger::SetOutcomeProxy {
                fund_id: fund.clone(),
                indicator: "breakfasts served".into(),
                unit: "breakfast".into(),
                value_per_unit: money("2.50"),
                deadweight: dec!(0.2),
                attribution: dec!(0.1),
                displacement: dec!(0),
                drop_off: dec!(0.5),
                duration_years: 1,
                effective_from: None,
            },
        )
        .await
        .unwrap();
    ledger
        .report_outcome(
            &a_after_the_period,
            &award_a,
            &group_a,
            "breakfasts served",
            dec!(4200),
            date("2026-04-30"),
        )
        .await
        .unwrap();

    // Cut award A to £25,000 (≥ £12,000 paid): £5,000 goes back to the open round.
    let too_low = ledger
        .vary_award(&admin, &award_a, money("11999.99"), "underspend", None)
        .await
        .unwrap_err();
    assert_eq!(too_low.kind(), ErrorKind::Conflict);
    ledger
        .vary_award(&admin, &award_a, money("25000.00"), "scaled down", None)
        .await
        .unwrap();
    assert_eq!(
        ledger.round(&round).await.unwrap().remaining(),
        money("5000.00")
    );
    // Increase award B by £1,500 from the round's remaining budget.
    ledger
        .vary_award(&admin, &award_b, money("21500.00"), "extra sessions", None)
        .await
        .unwrap();
    assert_eq!(
        ledger.award(&award_b).await.unwrap().amount(),
        money("21500.00")
    );
    assert_eq!(
        ledger.round(&round).await.unwrap().remaining(),
        money("3500.00")
    );

    // £2,000.25 unspent comes back to the fund.
    ledger
        .record_return(&admin, &award_a, money("2000.25"), "unspent")
        .await
        .unwrap();
    let over_return = ledger
        .record_return(&admin, &award_a, money("10000.00"), "more than paid")
        .await
        .unwrap_err();
    assert_eq!(over_return.kind(), ErrorKind::Conflict);

    ledger.close_award(&admin, &award_a).await.unwrap();
    assert_eq!(
        ledger.award(&award_a).await.unwrap().status(),
        AwardStatus::Closed
    );
    ledger.close_round(&admin, &round).await.unwrap();

    // Capital 1,000,000.50; the round keeps what it awarded (25,000 + 21,500); the rest of
    // its budget (3,500) was released; 2,000.25 was returned; closing award A released
    // its undrawn 13,000 (25,000 awarded − 12,000 paid).
    let fund_state = ledger.fund(&fund).await.unwrap();
    assert_eq!(fund_state.available(), money("968500.75"));
    assert_eq!(
        ledger.award(&award_a).await.unwrap().paid(),
        money("12000.00")
    );

    // Unknown ids are NOT_FOUND and write nothing.
    let head = ledger.database.head_position().await.unwrap();
    let unknown = ledger
        .approve_drawdown(
            &admin,
            &domain::AwardId::new("AW-NOPE"),
            &domain::DrawdownId::new("DD-1"),
        )
        .await
        .unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::NotFound);
    assert_eq!(unknown.to_string(), "award AW-NOPE does not exist");
    let unknown_fund = ledger
        .receive_capital(
            &admin,
            &domain::FundId::new("FUND-NOPE"),
            money("1.00"),
            "gift",
            date("2026-01-05"),
        )
        .await
        .unwrap_err();
    assert_eq!(unknown_fund.kind(), ErrorKind::NotFound);
    let unknown_round = ledger
        .close_round(&admin, &domain::RoundId::new("RND-NOPE"))
        .await
        .unwrap_err();
    assert_eq!(unknown_round.kind(), ErrorKind::NotFound);
    let unknown_application = ledger
        .decline_application(&admin, &domain::ApplicationId::new("APP-NOPE"), "no")
        .await
        .unwrap_err();
    assert_eq!(unknown_application.kind(), ErrorKind::NotFound);
    assert_eq!(ledger.database.head_position().await.unwrap(), head);

    // The process manager finds nothing left half done.
    ledger.complete_pending_steps().await.unwrap();
    assert_eq!(ledger.database.head_position().await.unwrap(), head);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_life_of_a_fund_on_postgres() {
    whole_life_of_a_fund("postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_life_of_a_fund_on_sqlite() {
    whole_life_of_a_fund("sqlite").await;
}
