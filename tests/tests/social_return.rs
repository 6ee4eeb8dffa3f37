//! Social return and equity over HTTP against the real server: an admin sets outcome
//! proxies, a grantee reports outcomes, and the public reads `socialReturn` and `equity`
//! with figures derived here from the inputs (UK SROI method, worked independently of the
//! server's code).

mod common;

use common::*;
use fundledger_tests::{mutate, Store, TestApp};
use infrastructure::geography::read_areas;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value};

const THIRD_ORG: &str = "GB-CHC-3333333";
/// Hull with two LSOAs in decile 1 and two in decile 3; Middlesbrough (no awards) with one.
const GEOGRAPHY: &str = "code,name,level,parent_code,population,imd_decile
E06000010,\"Kingston upon Hull, City of\",lad,,258038,
E01012761,Kingston upon Hull 015A,lsoa,E06000010,1820,1
E01012778,Kingston upon Hull 004A,lsoa,E06000010,1481,1
E01012757,Kingston upon Hull 025B,lsoa,E06000010,1505,3
E01012759,Kingston upon Hull 025C,lsoa,E06000010,1643,3
E06000002,Middlesbrough,lad,,139310,
E01012011,Middlesbrough 008A,lsoa,E06000002,1978,1
";
const DECILE_1: &str = "E01012761";
const DECILE_3: &str = "E01012757";
/// Well-formed, not in the reference geography: no decile.
const UNKNOWN_AREA: &str = "E01099999";

fn d(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

fn pence(value: Decimal) -> String {
    let mut rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    rounded.to_string()
}

/// A proxy as the test sets it: value per unit, [deadweight, attribution, displacement,
/// drop-off], years.
#[derive(Clone, Copy)]
struct Proxy {
    value: &'static str,
    shares: [&'static str; 4],
    years: u32,
}

/// The present value of `quantity` units, worked from the method's definition:
/// impact = quantity × value × (1 − dw)(1 − at)(1 − dp); year t = impact × (1 − drop-off)^(t−1);
/// PV = Σ_{t=1..years} year_t / 1.035^t. `shift` moves every share (sensitivity), clamped.
fn present_value(quantity: &str, proxy: Proxy, shift: Decimal) -> Decimal {
    let kept = |share: &str| Decimal::ONE - (d(share) + shift).clamp(Decimal::ZERO, Decimal::ONE);
    let impact = d(quantity)
        * d(proxy.value)
        * kept(proxy.shares[0])
        * kept(proxy.shares[1])
        * kept(proxy.shares[2]);
    let mut total = Decimal::ZERO;
    for year in 1..=proxy.years {
        let mut value = impact;
        let mut discount = Decimal::ONE;
        for _ in 1..year {
            value *= kept(proxy.shares[3]);
        }
        for _ in 0..year {
            discount *= d("1.035");
        }
        total += value / discount;
    }
    total
}

const VOLUNTEERING: Proxy = Proxy {
    value: "10.00",
    shares: ["0.1", "0.2", "0", "0.5"],
    years: 2,
};
const JOBS: Proxy = Proxy {
    value: "14000.00",
    shares: ["0.35", "0.3", "0.1", "0.25"],
    years: 3,
};

async fn set_proxy(app: &TestApp, fund: &str, indicator: &str, unit: &str, proxy: Proxy) -> i64 {
    let payload = mutate(
        app,
        &app.admin(),
        "setOutcomeProxy",
        json!({
            "fundId": fund, "indicator": indicator, "unit": unit, "valuePerUnit": proxy.value,
            "deadweight": proxy.shares[0], "attribution": proxy.shares[1],
            "displacement": proxy.shares[2], "dropOff": proxy.shares[3],
            "durationYears": proxy.years
        }),
        "fund { id }",
    )
    .await;
    assert_eq!(payload["fund"]["id"], fund);
    payload["position"].as_i64().expect("position")
}

async fn report(app: &TestApp, award: &str, indicator: &str, quantity: &str, key: &str) -> i64 {
    let payload = mutate(
        app,
        &app.grantee(ORG),
        "reportOutcome",
        json!({ "awardId": award, "indicator": indicator, "quantity": quantity,
                "periodEnd": business_day(), "idempotencyKey": key }),
        "award { id }",
    )
    .await;
    payload["position"].as_i64().expect("position")
}

async fn award_in(app: &TestApp, org: &str, round: &str, area: &str, amount: &str) -> String {
    let payload = mutate(
        app,
        &app.grantee(org),
        "submitApplication",
        json!({
            "roundId": round, "title": format!("Project in {area}"), "description": "Work",
            "amountRequested": amount, "neighbourhood": area, "themes": ["food"],
            "applicantName": format!("Org {org}")
        }),
        "application { id }",
    )
    .await;
    let application = s(&payload["application"]["id"]);
    score(app, "panel-pat", &application, 4, "good").await;
    approve(app, &application, amount).await
}

const SOCIAL_RETURN: &str = r#"query($scope: SocialReturnScope!) {
  socialReturn(scope: $scope) {
    invested socialValue ratio low high ratioLow ratioHigh
    lines { indicator quantity reports valued gross impact presentValue low high
            proxy { unit valuePerUnit deadweight dropOff durationYears } }
  }
}"#;

async fn social_return(app: &TestApp, position: i64, scope: Value) -> Value {
    app.gql_at(None, position, SOCIAL_RETURN, json!({ "scope": scope }))
        .await
        .ok()
        .data()["socialReturn"]
        .clone()
}

async fn the_public_reads_social_return_and_equity_derived_from_proxies_and_reports(store: Store) {
    let app = spawn(store).await;
    let areas = read_areas(GEOGRAPHY.as_bytes(), "test geography").unwrap();
    app.database.database.upsert_areas(&areas).await.unwrap();
    let (fund, round) = fund_and_round(&app).await;
    let paid_award = award_in(&app, ORG, &round, DECILE_1, "12000.00").await;
    let unpaid_award = award_in(&app, OTHER_ORG, &round, DECILE_3, "5000.00").await;
    award_in(&app, THIRD_ORG, &round, UNKNOWN_AREA, "2500.00").await;
    accept_and_pay(
        &app,
        ORG,
        &paid_award,
        "10000.00",
        "delivery",
        "BACS-1",
        &business_day(),
    )
    .await;

    set_proxy(&app, &fund, "volunteer_hours", "hour", VOLUNTEERING).await;
    set_proxy(&app, &fund, "people_into_work", "person", JOBS).await;
    report(&app, &paid_award, "volunteer_hours", "60", "vol-q1").await;
    report(&app, &paid_award, "volunteer_hours", "40", "vol-q2").await;
    let position = report(&app, &paid_award, "people_into_work", "3", "jobs").await;
    // An indicator the fund has no proxy for could not be valued (it used to count at
    // £0.00 silently): refused, naming the fund's indicators, and nothing is written.
    let refused = app
        .gql(
            Some(&app.grantee(ORG)),
            "mutation($i: ReportOutcomeInput!) { reportOutcome(input: $i) { position } }",
            json!({ "i": { "awardId": paid_award, "indicator": "breakfasts_served",
                           "quantity": "500.5", "periodEnd": business_day() } }),
        )
        .await;
    assert_eq!(refused.code(), Some("BAD_INPUT"), "{}", refused.body);
    assert!(
        refused.message().contains("breakfasts_served")
            && refused
                .message()
                .contains("people_into_work, volunteer_hours"),
        "{}",
        refused.message()
    );
    assert_eq!(app.head().await, position, "a refused report wrote events");

    // Worked from the inputs: 100 hours and 3 jobs against £10,000.00 paid.
    let volunteering = present_value("100", VOLUNTEERING, Decimal::ZERO);
    let jobs = present_value("3", JOBS, Decimal::ZERO);
    let shift = d("0.10");
    let low = present_value("100", VOLUNTEERING, shift) + present_value("3", JOBS, shift);
    let high = present_value("100", VOLUNTEERING, -shift) + present_value("3", JOBS, -shift);
    let social_value = pence(volunteering + jobs);
    let ratio = |value: &str| pence(d(value) / d("10000.00"));
    // The same figures by hand (see domain::sroi's tests): £1,031.72 + £37,384.77.
    assert_eq!(social_value, "38416.48");

    let account = social_return(&app, position, json!({ "fund": fund })).await;
    assert_eq!(account["invested"], "10000.00");
    assert_eq!(account["socialValue"], social_value);
    assert_eq!(account["ratio"], ratio(&social_value));
    assert_eq!(account["low"], pence(low));
    assert_eq!(account["high"], pence(high));
    assert_eq!(account["ratioLow"], ratio(&pence(low)));
    assert_eq!(account["ratioHigh"], ratio(&pence(high)));
    let lines = account["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["indicator"], "people_into_work");
    assert_eq!(lines[0]["gross"], "42000.00");
    assert_eq!(lines[0]["presentValue"], pence(jobs));
    assert_eq!(
        lines[0]["proxy"],
        json!({ "unit": "person", "valuePerUnit": "14000.00", "deadweight": "0.35", "dropOff": "0.25", "durationYears": 3 })
    );
    assert_eq!(lines[1]["indicator"], "volunteer_hours");
    assert_eq!(lines[1]["quantity"], "100");
    assert_eq!(lines[1]["reports"], 2);
    assert_eq!(lines[1]["impact"], "720.00");
    assert_eq!(lines[1]["presentValue"], pence(volunteering));

    // One round: the round's account is the fund's. The local authority rolls up both
    // awards (only one paid); the unpaid award alone has no ratio.
    assert_eq!(
        social_return(&app, position, json!({ "round": round })).await,
        account
    );
    assert_eq!(
        social_return(&app, position, json!({ "neighbourhood": "E06000010" })).await,
        account
    );
    assert_eq!(
        social_return(&app, position, json!({ "award": paid_award })).await,
        account
    );
    let unpaid = social_return(&app, position, json!({ "award": unpaid_award })).await;
    assert_eq!(
        unpaid,
        json!({ "invested": "0.00", "socialValue": "0.00", "ratio": null, "low": "0.00", "high": "0.00",
                "ratioLow": null, "ratioHigh": null, "lines": [] })
    );
    assert_eq!(
        social_return(&app, position, json!({ "neighbourhood": DECILE_3 })).await,
        unpaid
    );
    assert_eq!(
        social_return(&app, position, json!({ "fund": "FUND-NONE" })).await,
        Value::Null
    );

    // Re-setting a proxy replaces it: every outcome is valued at the current proxy.
    let dearer = Proxy {
        value: "12.00",
        ..VOLUNTEERING
    };
    let position = set_proxy(&app, &fund, "volunteer_hours", "hour", dearer).await;
    let account = social_return(&app, position, json!({ "fund": fund })).await;
    assert_eq!(
        account["socialValue"],
        pence(present_value("100", dearer, Decimal::ZERO) + jobs)
    );
    let proxies = app
        .gql_at(
            None,
            position,
            "query($id: String!) { fund(id: $id) { outcomeProxies { indicator valuePerUnit setOn } } }",
            json!({ "id": fund }),
        )
        .await
        .ok();
    let proxies = &proxies.data()["fund"]["outcomeProxies"];
    assert_eq!(proxies.as_array().map(Vec::len), Some(2));
    assert_eq!(proxies[1]["indicator"], "volunteer_hours");
    assert_eq!(proxies[1]["valuePerUnit"], "12.00");

    // Equity: decile 1 (Hull's two LSOAs: 1,820 + 1,481 people), decile 3 (1,505 + 1,643);
    // Middlesbrough's decile-1 LSOA (1,978) counts too, award or not: populations are fixed
    // by the reference geography. The unknown area has no population.
    let equity = app
        .gql_at(
            None,
            position,
            "query($id: String!) { equity(fundId: $id) { localAuthorities deciles { imdDecile population awarded awardedPerHead awardCount } } }",
            json!({ "id": fund }),
        )
        .await
        .ok();
    let equity = &equity.data()["equity"];
    assert_eq!(equity["localAuthorities"], json!(["E06000010"]));
    let deciles = equity["deciles"].as_array().expect("deciles");
    assert_eq!(deciles.len(), 11, "ten deciles and the unknown group");
    let per_head = |awarded: &str, population: i64| pence(d(awarded) / Decimal::from(population));
    assert_eq!(
        deciles[0],
        json!({ "imdDecile": 1, "population": 1820 + 1481 + 1978, "awarded": "12000.00",
                "awardedPerHead": per_head("12000.00", 1820 + 1481 + 1978), "awardCount": 1 })
    );
    assert_eq!(deciles[0]["awardedPerHead"], "2.27");
    assert_eq!(
        deciles[1],
        json!({ "imdDecile": 2, "population": 0, "awarded": "0.00", "awardedPerHead": null, "awardCount": 0 })
    );
    assert_eq!(
        deciles[2],
        json!({ "imdDecile": 3, "population": 1505 + 1643, "awarded": "5000.00",
                "awardedPerHead": per_head("5000.00", 1505 + 1643), "awardCount": 1 })
    );
    assert_eq!(
        deciles[10],
        json!({ "imdDecile": null, "population": null, "awarded": "2500.00", "awardedPerHead": null, "awardCount": 1 })
    );
    let unknown = app
        .gql(
            None,
            "{ equity(fundId: \"FUND-NONE\") { fundId } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(unknown.data()["equity"], Value::Null);
}

async fn bad_proxies_and_scopes_are_refused_and_write_nothing(store: Store) {
    let app = spawn(store).await;
    let w = world(&app).await;
    let query = "mutation($i: SetOutcomeProxyInput!) { setOutcomeProxy(input: $i) { position } }";
    let good = json!({
        "fundId": w.fund, "indicator": "volunteer_hours", "unit": "hour", "valuePerUnit": "11.44",
        "deadweight": "0.1", "attribution": "0.2", "displacement": "0", "dropOff": "0.5",
        "durationYears": 2
    });
    let cases: [(&str, Value, &str, &str); 8] = [
        (
            "deadweight",
            json!("1.5"),
            "BAD_INPUT",
            "deadweight must be a share from 0 to 1",
        ),
        (
            "attribution",
            json!("-0.1"),
            "BAD_INPUT",
            "attribution must be a share",
        ),
        (
            "dropOff",
            json!("0.12345"),
            "BAD_INPUT",
            "more than 4 decimal places",
        ),
        (
            "durationYears",
            json!(11),
            "BAD_INPUT",
            "give 1 to 10 years",
        ),
        ("durationYears", json!(-1), "BAD_INPUT", "give 1 to 10"),
        (
            "valuePerUnit",
            json!("1.234"),
            "BAD_INPUT",
            "more than 2 decimal places",
        ),
        (
            "indicator",
            json!(" "),
            "BAD_INPUT",
            // The one text rule (domain::text) refuses it before the fund's own check.
            "indicator holds only spaces or invisible characters",
        ),
        ("fundId", json!("FUND-NONE"), "NOT_FOUND", "FUND-NONE"),
    ];
    for (field, value, code, message) in cases {
        let mut input = good.clone();
        input[field] = value;
        let head = app.head().await;
        let reply = app
            .gql(Some(&app.admin()), query, json!({ "i": input }))
            .await
            .expect_code(code);
        let text = reply.body.to_string();
        assert!(text.contains(message), "{field}: {text}");
        assert_eq!(app.head().await, head, "a refused proxy writes nothing");
    }
    app.gql(Some(&app.admin()), query, json!({ "i": good }))
        .await
        .ok();

    let head = app.head().await;
    app.gql(
        Some(&app.grantee(ORG)),
        "mutation($i: ReportOutcomeInput!) { reportOutcome(input: $i) { position } }",
        json!({ "i": { "awardId": w.award, "indicator": "volunteer_hours",
                       "quantity": "10000000000", "periodEnd": business_day() } }),
    )
    .await
    .expect_code("BAD_INPUT");
    assert_eq!(app.head().await, head);

    for scope in [
        json!({}),
        json!({ "fund": w.fund, "award": w.award }),
        json!({ "round": w.round, "neighbourhood": AREA }),
    ] {
        let reply = app
            .gql(None, SOCIAL_RETURN, json!({ "scope": scope }))
            .await
            .expect_code("BAD_INPUT");
        assert!(
            reply.message().contains("name exactly one"),
            "{}",
            reply.body
        );
    }
}

/// The issue's case: 100 people supported at £1,000 each (deadweight 20%, attribution 10%,
/// displacement 5%, drop-off 25%, 5 years) against £100,000 paid.
const SUPPORTED: Proxy = Proxy {
    value: "1000.00",
    shares: ["0.2", "0.1", "0.05", "0.25"],
    years: 5,
};

/// `fundledger import 360giving` of `grants` (id, amount, area) under the test funder,
/// each fully disbursed; returns the ledger head after the import.
async fn import_history(app: &TestApp, grants: &[(&str, &str, &str)]) -> i64 {
    let grants: Vec<String> = grants
        .iter()
        .map(|(id, amount, area)| {
            json!({
                "id": id, "title": "Past grant", "currency": "GBP",
                "amountAwarded": amount.parse::<u64>().unwrap(),
                "amountDisbursed": amount.parse::<u64>().unwrap(),
                "awardDate": "2019-06-01",
                "recipientOrganization": [{ "id": THIRD_ORG, "name": "Past recipient" }],
                "fundingOrganization": [{ "id": "GB-CHC-0000001", "name": "Test Funder" }],
                "beneficiaryLocation": [{ "geoCode": area }]
            })
            .to_string()
        })
        .collect();
    let path = std::env::temp_dir().join(format!(
        "fundledger-{}-history.json",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&path, format!("{{\"grants\": [{}]}}", grants.join(","))).unwrap();
    let output = tokio::process::Command::new(PROGRAM)
        .args(["import", "360giving"])
        .arg(&path)
        .args(["--database-url", &app.database.url])
        .output()
        .await
        .expect("running fundledger import 360giving");
    std::fs::remove_file(&path).unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    app.head().await
}

async fn historic_grants_leave_the_social_return_alone(store: Store) {
    let app = spawn(store).await;
    let areas = read_areas(GEOGRAPHY.as_bytes(), "test geography").unwrap();
    app.database.database.upsert_areas(&areas).await.unwrap();
    let fund = establish_fund(&app).await;
    mutate(
        &app,
        &app.admin(),
        "receiveCapital",
        json!({ "fundId": fund, "amount": "200000.00", "source": "Endowment", "receivedOn": business_day() }),
        "fund { id }",
    )
    .await;
    let round = open_round(&app, &fund, "150000.00").await;
    let award = award_in(&app, ORG, &round, DECILE_1, "100000.00").await;
    accept_and_pay(
        &app,
        ORG,
        &award,
        "100000.00",
        "delivery",
        "BACS-1",
        &business_day(),
    )
    .await;
    set_proxy(&app, &fund, "people_supported", "person", SUPPORTED).await;
    let position = report(&app, &award, "people_supported", "100", "supported").await;

    let social_value = pence(present_value("100", SUPPORTED, Decimal::ZERO));
    assert_eq!(social_value, "192047.00", "the issue's figure");
    let ratio = pence(d(&social_value) / d("100000.00"));
    assert_eq!(ratio, "1.92");
    let before = social_return(&app, position, json!({ "fund": fund })).await;
    assert_eq!(
        (
            &before["invested"],
            &before["socialValue"],
            &before["ratio"]
        ),
        (&json!("100000.00"), &json!(social_value), &json!(ratio))
    );

    // £500,000 of the funder's published history, paid out in full, in the same LSOA and
    // in the same local authority: it can never report outcomes.
    let position = import_history(
        &app,
        &[
            ("360G-HISTORY-1", "300000", DECILE_1),
            ("360G-HISTORY-2", "200000", "E06000010"),
        ],
    )
    .await;
    let awarded = app
        .gql_at(
            None,
            position,
            "query($id: String!) { fund(id: $id) { position { awarded paid } } }",
            json!({ "id": fund }),
        )
        .await
        .ok();
    assert_eq!(
        awarded.data()["fund"]["position"],
        json!({ "awarded": "600000.00", "paid": "600000.00" }),
        "the history is imported onto this fund"
    );
    for scope in [
        json!({ "fund": fund }),
        json!({ "neighbourhood": DECILE_1 }),
        json!({ "neighbourhood": "E06000010" }),
    ] {
        assert_eq!(
            social_return(&app, position, scope.clone()).await,
            before,
            "{scope}: historic grants are not invested in outcomes"
        );
    }
    let historic = app
        .gql_at(
            None,
            position,
            "query($f: AwardFilter) { awards(filter: $f) { nodes { id } } }",
            json!({ "f": { "fund": fund, "status": "HISTORIC" } }),
        )
        .await
        .ok();
    let historic = s(&historic.data()["awards"]["nodes"][0]["id"]);
    let alone = social_return(&app, position, json!({ "award": historic })).await;
    assert_eq!(
        (&alone["invested"], &alone["ratio"]),
        (&json!("0.00"), &Value::Null)
    );
}

/// A fund with £200,000 received, a round of £150,000 and a £100,000 award to ORG paid in
/// full today, its people_supported proxy the issue's (SUPPORTED) and 100 people supported
/// reported today. Returns (fund, award, position).
async fn the_issues_case(app: &TestApp) -> (String, String, i64) {
    let fund = establish_fund(app).await;
    mutate(
        app,
        &app.admin(),
        "receiveCapital",
        json!({ "fundId": fund, "amount": "200000.00", "source": "Endowment", "receivedOn": business_day() }),
        "fund { id }",
    )
    .await;
    let round = open_round(app, &fund, "150000.00").await;
    let award = award_in(app, ORG, &round, DECILE_1, "100000.00").await;
    accept_and_pay(
        app,
        ORG,
        &award,
        "100000.00",
        "delivery",
        "BACS-1",
        &business_day(),
    )
    .await;
    set_proxy(app, &fund, "people_supported", "person", SUPPORTED).await;
    let position = report(app, &award, "people_supported", "100", "supported").await;
    (fund, award, position)
}

const ACCOUNT: &str = r#"query($scope: SocialReturnScope!) {
  socialReturn(scope: $scope) {
    invested disbursed inputs baseDate presentValue socialValue netPresentValue ratio netRatio
    annualImpact paybackMonths presentValueAtCurrentProxies ratioAtCurrentProxies
    sensitivity { assumption low high ratioLow ratioHigh breakEven breakEvenReachable }
    lines { indicator quantity presentValue proxyVersion { version effectiveFrom }
            years { year value discountFactor presentValue } }
  }
}"#;

async fn read_account(app: &TestApp, position: i64, scope: Value) -> Value {
    app.gql_at(None, position, ACCOUNT, json!({ "scope": scope }))
        .await
        .ok()
        .data()["socialReturn"]
        .clone()
}

/// (assumption, low, high, ratio low, ratio high, break-even) of each sensitivity row.
fn sensitivity_rows(account: &Value) -> Vec<Value> {
    account["sensitivity"]
        .as_array()
        .expect("sensitivity rows")
        .iter()
        .map(|row| {
            json!([
                row["assumption"],
                row["low"],
                row["high"],
                row["ratioLow"],
                row["ratioHigh"],
                row["breakEven"]
            ])
        })
        .collect()
}

async fn the_issues_case_is_worked_in_full(store: Store) {
    let app = spawn(store).await;
    let (fund, _, position) = the_issues_case(&app).await;
    let account = read_account(&app, position, json!({ "fund": fund })).await;
    // impact = 100 × 1,000 × 0.8 × 0.9 × 0.95 = 68,400; years 1-5 = 68,400, 51,300, 38,475,
    // 28,856.25, 21,642.1875, divided by 1.035^1..5 (factors 0.966184, 0.933511, 0.901943,
    // 0.871442, 0.841973): 66,086.96 + 47,889.10 + 34,702.25 + 25,146.55 + 18,222.14
    // = 192,046.99698… → £192,047.00. NPV = 192,047.00 − 100,000.00 = 92,047.00;
    // ratio 1.92; net 0.92; payback = 100,000 / (68,400 / 12) = 17.54… → 17.5 months.
    assert_eq!(
        (
            &account["invested"],
            &account["disbursed"],
            &account["inputs"],
            &account["baseDate"],
            &account["presentValue"],
            &account["socialValue"],
            &account["netPresentValue"],
            &account["ratio"],
            &account["netRatio"],
            &account["annualImpact"],
            &account["paybackMonths"]
        ),
        (
            &json!("100000.00"),
            &json!("100000.00"),
            &json!("0.00"),
            &json!(business_day()),
            &json!("192047.00"),
            &json!("192047.00"),
            &json!("92047.00"),
            &json!("1.92"),
            &json!("0.92"),
            &json!("68400.00"),
            &json!("17.5")
        )
    );
    assert_eq!(
        account["lines"][0]["years"],
        json!([
            { "year": 1, "value": "68400.00", "discountFactor": "0.966184", "presentValue": "66086.96" },
            { "year": 2, "value": "51300.00", "discountFactor": "0.933511", "presentValue": "47889.10" },
            { "year": 3, "value": "38475.00", "discountFactor": "0.901943", "presentValue": "34702.25" },
            { "year": 4, "value": "28856.25", "discountFactor": "0.871442", "presentValue": "25146.55" },
            { "year": 5, "value": "21642.19", "discountFactor": "0.841973", "presentValue": "18222.14" }
        ])
    );
    // One assumption at a time (PV0 = 192,046.99698…):
    // deadweight 0.2 ± 0.1: PV0 × 0.7/0.8 = 168,041.12, × 0.9/0.8 = 216,052.87; break-even
    //   0.8 × (1 − 100,000/PV0) = 0.383435 → +0.3835.
    // attribution 0.1 ± 0.1: × 0.8/0.9 = 170,708.44, × 1/0.9 = 213,385.55; 0.9 × 0.479294…
    //   = 0.431365 → +0.4314.
    // displacement 0.05 ± 0.1: × 0.85/0.95 = 171,831.52; − 0.1 clamps at 0: × 1/0.95 =
    //   202,154.73; 0.95 × 0.479294… = 0.455329 → +0.4554.
    // drop-off 0.25 ± 0.1 (years 2-5 only): 160,305.91 and 231,603.15; break-even by
    //   bisection: the first 0.0001 step with PV ≤ 100,000 is +0.3958.
    // proxy value, quantity × 0.9 / × 1.1: 172,842.30 / 211,251.70; break-even
    //   100,000/PV0 − 1 = −0.479294… → −0.4793.
    assert_eq!(
        sensitivity_rows(&account),
        vec![
            json!([
                "DEADWEIGHT",
                "168041.12",
                "216052.87",
                "1.68",
                "2.16",
                "0.3835"
            ]),
            json!([
                "ATTRIBUTION",
                "170708.44",
                "213385.55",
                "1.71",
                "2.13",
                "0.4314"
            ]),
            json!([
                "DISPLACEMENT",
                "171831.52",
                "202154.73",
                "1.72",
                "2.02",
                "0.4554"
            ]),
            json!([
                "DROP_OFF",
                "160305.91",
                "231603.15",
                "1.60",
                "2.32",
                "0.3958"
            ]),
            json!([
                "PROXY_VALUE",
                "172842.30",
                "211251.70",
                "1.73",
                "2.11",
                "-0.4793"
            ]),
            json!([
                "QUANTITY",
                "172842.30",
                "211251.70",
                "1.73",
                "2.11",
                "-0.4793"
            ]),
        ]
    );
    assert_verified(&app).await;
}

async fn record_input(app: &TestApp, token: &str, input: Value) -> fundledger_tests::Reply {
    app.gql(
        Some(token),
        "mutation($i: RecordInputInput!) { recordInput(input: $i) { position award { id } } }",
        json!({ "i": input }),
    )
    .await
}

async fn inputs_raise_the_investment_and_bad_ones_write_nothing(store: Store) {
    let app = spawn(store).await;
    let (fund, award, _) = the_issues_case(&app).await;
    let today = business_day();
    let matched = json!({ "awardId": award, "kind": "MATCH_FUNDING", "value": "15000.00",
                          "description": "Council match funding", "contributedOn": today,
                          "idempotencyKey": "match-1" });
    let first = record_input(&app, &app.grantee(ORG), matched.clone())
        .await
        .ok();
    let again = record_input(&app, &app.grantee(ORG), matched).await.ok();
    assert_eq!(
        first.data()["recordInput"]["position"],
        again.data()["recordInput"]["position"],
        "a retry with the same key records nothing new"
    );
    let in_kind = json!({ "awardId": award, "kind": "IN_KIND", "value": "5000.00",
                          "description": "Hall hire donated", "contributedOn": today });
    let position = record_input(&app, &app.admin(), in_kind).await.ok().data()["recordInput"]
        ["position"]
        .as_i64()
        .unwrap();

    // Investment = 100,000.00 disbursed + 15,000.00 + 5,000.00 inputs = 120,000.00.
    // PV unchanged 192,047.00: NPV 72,047.00; ratio 192,047/120,000 = 1.6004 → 1.60;
    // net 0.60; payback 120,000 / 5,700 = 21.05… → 21.1 months; deadweight break-even
    // 0.8 × (1 − 120,000/PV0) = 0.300121 → +0.3002.
    let account = read_account(&app, position, json!({ "fund": fund })).await;
    assert_eq!(
        (
            &account["invested"],
            &account["disbursed"],
            &account["inputs"],
            &account["netPresentValue"],
            &account["ratio"],
            &account["netRatio"],
            &account["paybackMonths"],
            &account["sensitivity"][0]["breakEven"]
        ),
        (
            &json!("120000.00"),
            &json!("100000.00"),
            &json!("20000.00"),
            &json!("72047.00"),
            &json!("1.60"),
            &json!("0.60"),
            &json!("21.1"),
            &json!("0.3002")
        )
    );
    let award_scope = account_of_award(&app, position, &award).await;
    assert_eq!(award_scope["invested"], json!("120000.00"));
    let inputs = app
        .gql_at(
            Some(&app.grantee(ORG)),
            position,
            "query($id: String!) { award(id: $id) { inputs { kind value description contributedOn recordedBy } } }",
            json!({ "id": award }),
        )
        .await
        .ok();
    // Both dated today: listed by input id (random), so compared as a set.
    let mut listed = inputs.data()["award"]["inputs"]
        .as_array()
        .expect("inputs")
        .clone();
    listed.sort_by_key(|row| row["kind"].to_string());
    assert_eq!(
        listed,
        vec![
            json!({ "kind": "IN_KIND", "value": "5000.00", "description": "Hall hire donated",
                    "contributedOn": today, "recordedBy": "officer" }),
            json!({ "kind": "MATCH_FUNDING", "value": "15000.00",
                    "description": "Council match funding", "contributedOn": today,
                    "recordedBy": "grantee" }),
        ]
    );

    let tomorrow = infrastructure::business_today()
        .succ_opt()
        .unwrap()
        .to_string();
    let base = |field: &str, value: Value| {
        let mut input = json!({ "awardId": award, "kind": "VOLUNTEER_TIME", "value": "120.00",
                                "description": "10 hours", "contributedOn": today });
        input[field] = value;
        input
    };
    let historic = import_history(&app, &[("360G-HISTORY-9", "1000", DECILE_1)]).await;
    let historic_award = app
        .gql_at(
            None,
            historic,
            "query($f: AwardFilter) { awards(filter: $f) { nodes { id } } }",
            json!({ "f": { "fund": fund, "status": "HISTORIC" } }),
        )
        .await
        .ok();
    let historic_award = s(&historic_award.data()["awards"]["nodes"][0]["id"]);
    let head = app.head().await;
    let refusals = [
        (
            app.grantee(ORG),
            base("value", json!("-1.00")),
            "BAD_INPUT",
            "is negative",
        ),
        (
            app.grantee(ORG),
            base("value", json!("1.001")),
            "BAD_INPUT",
            "more than 2 decimal places",
        ),
        (
            app.grantee(ORG),
            base("value", json!("0.00")),
            "BAD_INPUT",
            "above zero",
        ),
        (
            app.grantee(ORG),
            base("description", json!(" ")),
            "BAD_INPUT",
            "description",
        ),
        (
            app.grantee(ORG),
            base("contributedOn", json!(tomorrow)),
            "BAD_INPUT",
            "contributedOn",
        ),
        (
            app.admin(),
            base("awardId", json!("AW-NONE")),
            "NOT_FOUND",
            "AW-NONE",
        ),
        (
            app.admin(),
            base("awardId", json!(historic_award)),
            "CONFLICT",
            "historic",
        ),
        (
            app.grantee(OTHER_ORG),
            base("kind", json!("IN_KIND")),
            "FORBIDDEN",
            "recipient",
        ),
        (
            app.panel("panel-pat"),
            base("kind", json!("IN_KIND")),
            "FORBIDDEN",
            "recordInput",
        ),
    ];
    for (token, input, code, says) in refusals {
        let refused = record_input(&app, &token, input.clone()).await;
        assert_eq!(refused.code(), Some(code), "{input}: {}", refused.body);
        assert!(
            refused.message().contains(says),
            "{input}: {}",
            refused.message()
        );
    }
    let public = app
        .gql(
            None,
            "mutation($i: RecordInputInput!) { recordInput(input: $i) { position } }",
            json!({ "i": base("kind", json!("IN_KIND")) }),
        )
        .await;
    assert_eq!(public.code(), Some("UNAUTHENTICATED"), "{}", public.body);
    assert_eq!(app.head().await, head, "a refused input wrote events");
    assert_verified(&app).await;
}

async fn account_of_award(app: &TestApp, position: i64, award: &str) -> Value {
    read_account(app, position, json!({ "award": award })).await
}

async fn a_proxy_change_revalues_only_later_outcomes(store: Store) {
    let app = spawn(store).await;
    let (fund, _, _) = the_issues_case(&app).await;
    let today = business_day();
    let tomorrow = infrastructure::business_today()
        .succ_opt()
        .unwrap()
        .to_string();
    let set_version = |value: &'static str, effective_from: String| {
        let app = &app;
        let fund = fund.clone();
        async move {
            mutate(
                app,
                &app.admin(),
                "setOutcomeProxy",
                json!({
                    "fundId": fund, "indicator": "people_supported", "unit": "person",
                    "valuePerUnit": value, "deadweight": "0.2", "attribution": "0.1",
                    "displacement": "0.05", "dropOff": "0.25", "durationYears": 5,
                    "effectiveFrom": effective_from
                }),
                "fund { id }",
            )
            .await["position"]
                .as_i64()
                .unwrap()
        }
    };
    // Version 2 doubles the value from tomorrow: today's 100 people keep version 1
    // (£192,047.00); at current proxies they would be worth 2 × 192,046.99698… =
    // 384,093.99396… → £384,093.99, ratio 3.84.
    let position = set_version("2000.00", tomorrow.clone()).await;
    let account = read_account(&app, position, json!({ "fund": fund })).await;
    assert_eq!(
        (
            &account["presentValue"],
            &account["ratio"],
            &account["presentValueAtCurrentProxies"],
            &account["ratioAtCurrentProxies"],
            &account["lines"][0]["proxyVersion"]
        ),
        (
            &json!("192047.00"),
            &json!("1.92"),
            &json!("384093.99"),
            &json!("3.84"),
            &json!({ "version": 1, "effectiveFrom": today })
        )
    );
    // Version 3 halves it from today (a correction in force on the outcome's date, set
    // after version 1 on the same date, so it wins): 192,046.99698… / 2 → £96,023.50.
    let position = set_version("500.00", today.clone()).await;
    let account = read_account(&app, position, json!({ "fund": fund })).await;
    assert_eq!(
        (
            &account["presentValue"],
            &account["lines"][0]["proxyVersion"]["version"]
        ),
        (&json!("96023.50"), &json!(3))
    );
    // Every version stays visible.
    let versions = app
        .gql_at(
            None,
            position,
            "query($id: String!) { fund(id: $id) { outcomeProxyVersions {
               indicator version effectiveFrom proxy { valuePerUnit } } } }",
            json!({ "id": fund }),
        )
        .await
        .ok();
    assert_eq!(
        versions.data()["fund"]["outcomeProxyVersions"],
        json!([
            { "indicator": "people_supported", "version": 1, "effectiveFrom": today,
              "proxy": { "valuePerUnit": "1000.00" } },
            { "indicator": "people_supported", "version": 2, "effectiveFrom": tomorrow,
              "proxy": { "valuePerUnit": "2000.00" } },
            { "indicator": "people_supported", "version": 3, "effectiveFrom": today,
              "proxy": { "valuePerUnit": "500.00" } }
        ])
    );
    assert_verified(&app).await;
}

on_both_stores!(
    the_public_reads_social_return_and_equity_derived_from_proxies_and_reports,
    bad_proxies_and_scopes_are_refused_and_write_nothing,
    historic_grants_leave_the_social_return_alone,
    the_issues_case_is_worked_in_full,
    inputs_raise_the_investment_and_bad_ones_write_nothing,
    a_proxy_change_revalues_only_later_outcomes,
);
