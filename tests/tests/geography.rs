//! Areas with parents of more than one kind (issue 11 §4) and priority areas (§5), over
//! HTTP against the real server on both stores, on small geographies written here, every
//! figure worked by hand below. The shipped geography is tested in `shipped_geography.rs`.

mod common;

use common::*;
use fundledger_tests::{mutate, Store, TestApp};
use infrastructure::geography::read_areas;
use serde_json::{json, Value};

/// A small geography for awards through the API: an LSOA in a ward and an MSOA of one
/// district (`other_parent_codes`), and a second LSOA in the same ward only.
const TWO_PARENTS: &str = "code,name,level,parent_code,population,imd_decile,other_parent_codes
E06000010,Hull,lad,,300,,
E05001234,A ward,ward,E06000010,300,,
E02002345,An MSOA,msoa,E06000010,100,,
E01012761,An LSOA,lsoa,E05001234,100,1,E02002345
E01012762,Another LSOA,lsoa,E05001234,200,2,
";

async fn award_in(app: &TestApp, org: &str, round: &str, area: &str, amount: &str) {
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
    approve(app, &application, amount).await;
}

async fn totals_of(app: &TestApp, code: &str) -> Value {
    app.gql_now(
        None,
        "query($code: GeoCode!) { neighbourhood(code: $code) { totals { awarded awardCount } children { code } } }",
        json!({ "code": code }),
    )
    .await
    .ok()
    .data()["neighbourhood"]
        .clone()
}

async fn verify(app: &TestApp) {
    let output = tokio::process::Command::new(PROGRAM)
        .args(["verify", "--database-url", &app.database.url])
        .output()
        .await
        .expect("running fundledger verify");
    assert!(
        output.status.success(),
        "verify failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// £1,000.00 to the LSOA with two parents and £250.00 to its neighbour: the district
/// counts each award once (£1,250.00, 2 awards), the ward both, the MSOA only the first.
async fn an_award_under_two_parents_counts_once_at_every_level(store: Store) {
    let app = spawn(store).await;
    let areas = read_areas(TWO_PARENTS.as_bytes(), "two parents").unwrap();
    app.database.database.upsert_areas(&areas).await.unwrap();
    let (_, round) = fund_and_round(&app).await;
    award_in(&app, ORG, &round, "E01012761", "1000.00").await;
    award_in(&app, OTHER_ORG, &round, "E01012762", "250.00").await;
    let lad = totals_of(&app, "E06000010").await;
    assert_eq!(
        lad["totals"],
        json!({ "awarded": "1250.00", "awardCount": 2 })
    );
    assert_eq!(
        lad["children"],
        json!([{ "code": "E02002345" }, { "code": "E05001234" }])
    );
    let ward = totals_of(&app, "E05001234").await;
    assert_eq!(
        ward["totals"],
        json!({ "awarded": "1250.00", "awardCount": 2 })
    );
    let msoa = totals_of(&app, "E02002345").await;
    assert_eq!(
        msoa["totals"],
        json!({ "awarded": "1000.00", "awardCount": 1 })
    );
    assert_eq!(msoa["children"], json!([{ "code": "E01012761" }]));
    verify(&app).await;
}

// ---------------------------------------------------------------- priority areas

/// England's LSOAs hold 1,000 + 1,500 + 2,000 + 2,500 + 3,000 = 10,000 people; Wales'
/// one LSOA 4,000.
const SMALL_GEOGRAPHY: &str = "code,name,level,parent_code,population,imd_decile
E06000010,Hull,lad,,4500,
E05000001,Ward A,ward,E06000010,2500,
E05000002,Ward B,ward,E06000010,2000,
E01000001,A1,lsoa,E05000001,1000,1
E01000002,A2,lsoa,E05000001,1500,1
E01000003,B1,lsoa,E05000002,2000,2
E06000002,Middlesbrough,lad,,5500,
E01000004,M1,lsoa,E06000002,2500,3
E01000005,M2,lsoa,E06000002,3000,4
W01000001,Welsh LSOA,lsoa,,4000,1
";

const PRIORITY: &str = "query($id: String!, $asOf: Date) { equity(fundId: $id) {
    priorityLists(asOf: $asOf) { name declaredOn areas awarded fundAwarded moneyShare
      population referencePopulation populationShare coldSpots } } }";

async fn priority_lists(app: &TestApp, fund: &str, as_of: Option<&str>) -> Value {
    app.gql_now(None, PRIORITY, json!({ "id": fund, "asOf": as_of }))
        .await
        .ok()
        .data()["equity"]["priorityLists"]
        .clone()
}

async fn declare(app: &TestApp, fund: &str, name: &str, areas: &[&str]) -> Value {
    mutate(
        app,
        &app.admin(),
        "declarePriorityAreas",
        json!({ "fundId": fund, "name": name, "areas": areas }),
        "fund { id }",
    )
    .await
}

fn yesterday() -> String {
    let today: chrono::NaiveDate = business_day().parse().unwrap();
    today.pred_opt().unwrap().to_string()
}

async fn priority_lists_show_their_share_and_cold_spots(store: Store) {
    let app = spawn(store).await;
    let areas = read_areas(SMALL_GEOGRAPHY.as_bytes(), "small geography").unwrap();
    app.database.database.upsert_areas(&areas).await.unwrap();
    let (fund, round) = fund_and_round(&app).await;
    // Listed: A1 and A2 and their ward A (overlapping on purpose), and Middlesbrough.
    declare(
        &app,
        &fund,
        "Focus",
        &[
            "E05000001",
            "E01000001",
            "E06000002",
            "E01000002",
            "E01000001",
        ],
    )
    .await;
    declare(&app, &fund, "Wales", &["W01000001"]).await;
    // £6,000.00 in A1 (listed twice over: counted once), £4,000.00 to Hull as a whole
    // (above the listed ward: not in the list), £1,000.00 in B1 (not listed), £500.50 in
    // M1 (in listed Middlesbrough).
    award_in(&app, "GB-CHC-1000001", &round, "E01000001", "6000.00").await;
    award_in(&app, "GB-CHC-1000002", &round, "E06000010", "4000.00").await;
    award_in(&app, "GB-CHC-1000003", &round, "E01000003", "1000.00").await;
    award_in(&app, "GB-CHC-1000004", &round, "E01000004", "500.50").await;

    // Focus: £6,000.00 + £500.50 = £6,500.50 of £11,500.50, 0.565236… → 0.5652. People:
    // A1 + A2 (ward A) + M1 + M2 (Middlesbrough) = 1,000 + 1,500 + 2,500 + 3,000 = 8,000
    // of England's 10,000 → 0.8000. A2 received nothing. Wales: nothing of £11,500.50
    // (0.0000); 4,000 of Wales' 4,000 (1.0000); its one area is cold.
    let today = business_day();
    let lists = priority_lists(&app, &fund, None).await;
    assert_eq!(
        lists,
        json!([
            { "name": "Focus", "declaredOn": today,
              "areas": ["E01000001", "E01000002", "E05000001", "E06000002"],
              "awarded": "6500.50", "fundAwarded": "11500.50", "moneyShare": "0.5652",
              "population": 8000, "referencePopulation": 10000, "populationShare": "0.8000",
              "coldSpots": ["E01000002"] },
            { "name": "Wales", "declaredOn": today, "areas": ["W01000001"],
              "awarded": "0.00", "fundAwarded": "11500.50", "moneyShare": "0.0000",
              "population": 4000, "referencePopulation": 4000, "populationShare": "1.0000",
              "coldSpots": ["W01000001"] }
        ])
    );
    // As of yesterday nothing had been awarded: no money share, every area cold.
    let before = priority_lists(&app, &fund, Some(&yesterday())).await;
    assert_eq!(before[0]["fundAwarded"], json!("0.00"));
    assert_eq!(before[0]["moneyShare"], Value::Null);
    assert_eq!(
        before[0]["coldSpots"],
        json!(["E01000001", "E01000002", "E05000001", "E06000002"])
    );

    // Declaring the same list again writes nothing; a new list of the name replaces it:
    // Middlesbrough alone, £500.50 of £11,500.50 = 0.043521… → 0.0435; 5,500 of 10,000.
    let head = app.head().await;
    declare(
        &app,
        &fund,
        "Focus",
        &["E01000002", "E06000002", "E05000001", "E01000001"],
    )
    .await;
    assert_eq!(app.head().await, head, "the same list again writes nothing");
    declare(&app, &fund, "Focus", &["E06000002"]).await;
    let lists = priority_lists(&app, &fund, None).await;
    assert_eq!(lists[0]["areas"], json!(["E06000002"]));
    assert_eq!(lists[0]["awarded"], json!("500.50"));
    assert_eq!(lists[0]["moneyShare"], json!("0.0435"));
    assert_eq!(lists[0]["population"], json!(5500));
    assert_eq!(lists[0]["populationShare"], json!("0.5500"));
    assert_eq!(lists[0]["coldSpots"], json!([]));
    verify(&app).await;
}

const DECLARE: &str = "mutation($input: DeclarePriorityAreasInput!) {
    declarePriorityAreas(input: $input) { position fund { id } } }";

async fn a_bad_priority_list_is_refused_and_writes_nothing(store: Store) {
    let app = spawn(store).await;
    let areas = read_areas(SMALL_GEOGRAPHY.as_bytes(), "small geography").unwrap();
    app.database.database.upsert_areas(&areas).await.unwrap();
    let fund = establish_fund(&app).await;
    let head = app.head().await;
    let input =
        |areas: Vec<&str>| json!({ "input": { "fundId": fund, "name": "Focus", "areas": areas } });
    let unknown = app
        .gql(
            Some(&app.admin()),
            DECLARE,
            input(vec!["E01000001", "E01999999"]),
        )
        .await
        .expect_code("BAD_INPUT");
    assert!(
        unknown.message().contains("E01999999") && unknown.message().contains("areas"),
        "{}",
        unknown.message()
    );
    app.gql(Some(&app.admin()), DECLARE, input(vec![]))
        .await
        .expect_code("BAD_INPUT");
    app.gql(Some(&app.grantee(ORG)), DECLARE, input(vec!["E01000001"]))
        .await
        .expect_code("FORBIDDEN");
    app.gql(None, DECLARE, input(vec!["E01000001"]))
        .await
        .expect_code("UNAUTHENTICATED");
    assert_eq!(app.head().await, head, "nothing written");
}

on_both_stores!(
    an_award_under_two_parents_counts_once_at_every_level,
    priority_lists_show_their_share_and_cold_spots,
    a_bad_priority_list_is_refused_and_writes_nothing,
);
