//! Shared by the end-to-end test files: the program under test and a small world of
//! fund, round, applications and an award made through the API.

#![allow(dead_code)]

use fundledger_tests::{mutate, spawn_app, Store, TestApp};
use serde_json::{json, Value};

pub const PROGRAM: &str = env!("CARGO_BIN_EXE_fundledger-under-test");
pub const ORG: &str = "GB-CHC-1111111";
pub const OTHER_ORG: &str = "GB-CHC-2222222";
pub const AREA: &str = "E01033646";

pub async fn spawn(store: Store) -> TestApp {
    spawn_app(PROGRAM, store).await
}

/// Runs `fundledger verify` over the app's database: whether it passed, and what it said.
pub async fn run_verify(app: &TestApp) -> (bool, String) {
    let output = tokio::process::Command::new(PROGRAM)
        .args(["verify", "--database-url", &app.database.url])
        .output()
        .await
        .expect("running fundledger verify");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

/// Fails the test, showing what `fundledger verify` said, unless it passes.
pub async fn assert_verified(app: &TestApp) {
    let (passed, said) = run_verify(app).await;
    assert!(passed, "verify failed: {said}");
}

pub fn s(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
        .to_string()
}

/// The ledger's business date (the UK calendar's today) as the API writes dates: the only
/// date a fund established today can receive capital on, and the latest any caller date
/// may be.
pub fn business_day() -> String {
    infrastructure::business_today().to_string()
}

pub async fn establish_fund(app: &TestApp) -> String {
    let payload = mutate(
        app,
        &app.admin(),
        "establishFund",
        json!({ "name": "Test Fund", "funderOrgId": "GB-CHC-0000001", "funderName": "Test Funder" }),
        "fund { id }",
    )
    .await;
    s(&payload["fund"]["id"])
}

/// The admin records £`amount` of capital received today from an endowment.
pub async fn receive_capital(app: &TestApp, fund: &str, amount: &str) {
    mutate(
        app,
        &app.admin(),
        "receiveCapital",
        json!({ "fundId": fund, "amount": amount, "source": "Endowment", "receivedOn": business_day() }),
        "fund { id }",
    )
    .await;
}

pub async fn fund_and_round(app: &TestApp) -> (String, String) {
    let fund = establish_fund(app).await;
    receive_capital(app, &fund, "100000.00").await;
    let round = open_round(app, &fund, "50000.00").await;
    (fund, round)
}

pub async fn open_round(app: &TestApp, fund: &str, budget: &str) -> String {
    open_round_with(app, fund, json!({ "budget": budget })).await
}

/// Opens a round on `fund`: "Round One" (£50,000, open from 2020 to 2099, anywhere, food,
/// decided by a panel with one score each) with `terms`' fields (`openRound`'s names)
/// in place of those.
pub async fn open_round_with(app: &TestApp, fund: &str, terms: Value) -> String {
    let mut input = json!({
        "fundId": fund, "name": "Round One", "budget": "50000.00",
        "opensOn": "2020-01-01", "closesOn": "2099-12-31",
        "eligibleAreas": [], "themes": ["food"], "decisionMode": "PANEL", "minPanelScores": 1
    });
    for (name, value) in terms.as_object().expect("the terms as an object") {
        input[name] = value.clone();
    }
    let payload = mutate(app, &app.admin(), "openRound", input, "round { id }").await;
    s(&payload["round"]["id"])
}

/// The grantee `org` accepts `award`'s agreement.
pub async fn accept(app: &TestApp, org: &str, award: &str) {
    mutate(
        app,
        &app.grantee(org),
        "acceptAgreement",
        json!({ "awardId": award }),
        "",
    )
    .await;
}

/// The grantee `org` asks to draw down `amount` of `award` for `purpose`: the drawdown's id.
pub async fn request_drawdown(
    app: &TestApp,
    org: &str,
    award: &str,
    amount: &str,
    purpose: &str,
) -> String {
    let drawdown = mutate(
        app,
        &app.grantee(org),
        "requestDrawdown",
        json!({ "awardId": award, "amount": amount, "purpose": purpose }),
        "drawdown { id }",
    )
    .await;
    s(&drawdown["drawdown"]["id"])
}

pub async fn submit(app: &TestApp, org: &str, round: &str, title: &str, amount: &str) -> String {
    let payload = mutate(
        app,
        &app.grantee(org),
        "submitApplication",
        json!({
            "roundId": round, "title": title, "description": "What we will do",
            "amountRequested": amount, "neighbourhood": AREA, "themes": ["food"],
            "applicantName": format!("Org {org}")
        }),
        "application { id }",
    )
    .await;
    s(&payload["application"]["id"])
}

pub async fn score(app: &TestApp, member: &str, application: &str, score: i32, comment: &str) {
    mutate(
        app,
        &app.panel(member),
        "scoreApplication",
        json!({ "applicationId": application, "score": score, "comment": comment }),
        "",
    )
    .await;
}

pub async fn approve(app: &TestApp, application: &str, amount: &str) -> String {
    let payload = mutate(
        app,
        &app.admin(),
        "approveApplication",
        json!({ "applicationId": application, "amount": amount }),
        "award { id amount }",
    )
    .await;
    s(&payload["award"]["id"])
}

/// Fund, round, an application by `ORG` scored and approved for £10,000.50 and accepted.
pub struct World {
    pub fund: String,
    pub round: String,
    pub application: String,
    pub award: String,
}

pub async fn world(app: &TestApp) -> World {
    let (fund, round) = fund_and_round(app).await;
    let application = submit(app, ORG, &round, "Hull Community Larder", "12000.00").await;
    score(app, "panel-pat", &application, 4, "strong plan").await;
    let award = approve(app, &application, "10000.50").await;
    accept(app, ORG, &award).await;
    World {
        fund,
        round,
        application,
        award,
    }
}

/// The grantee `org` accepts `award`, draws down `amount` for `purpose`, and the admin
/// approves and pays it as `payment_ref` on `paid_on`. Returns the drawdown id.
pub async fn accept_and_pay(
    app: &TestApp,
    org: &str,
    award: &str,
    amount: &str,
    purpose: &str,
    payment_ref: &str,
    paid_on: &str,
) -> String {
    accept(app, org, award).await;
    let drawdown = request_drawdown(app, org, award, amount, purpose).await;
    mutate(
        app,
        &app.admin(),
        "approveDrawdown",
        json!({ "awardId": award, "drawdownId": drawdown }),
        "",
    )
    .await;
    mutate(
        app,
        &app.admin(),
        "recordPayment",
        json!({ "awardId": award, "drawdownId": drawdown, "paymentRef": payment_ref, "paidOn": paid_on }),
        "",
    )
    .await;
    drawdown
}

/// Generates one `#[tokio::test]` per store for each named async fn taking a `Store`.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(fundledger_tests::Store::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(fundledger_tests::Store::Postgres).await
                }
            )*
        }
    };
}

/// ../shared/360giving: the official schema, codelists and sample packages (read there at
/// test time, never copied into the project).
pub fn shared_360giving() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/360giving")
}

/// The 360Giving package schema, its grant schema served from ../shared (never fetched),
/// formats checked (`awardDate` is `oneOf` a date pattern or a `date-time`).
pub fn validator() -> jsonschema::Validator {
    let dir = shared_360giving();
    let read = |name: &str| -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(dir.join(name))
                .unwrap_or_else(|error| panic!("reading ../shared/360giving/{name}: {error}")),
        )
        .expect("schema JSON")
    };
    let package = read("360-giving-package-schema.json");
    let grant = read("360-giving-schema.json");
    let grant_uri = package["properties"]["grants"]["items"]["$ref"]
        .as_str()
        .expect("the package schema refers to the grant schema")
        .to_string();
    // The package schema refers to the grant schema by URL: serve it from ../shared, never
    // fetch it. The schemas' `$schema` is the http form of the 2020-12 URI, which validators
    // do not recognise, so the draft is named.
    let registry = jsonschema::Registry::new()
        .draft(jsonschema::Draft::Draft202012)
        .retrieve_known_draft_meta_schemas(false)
        .add(
            &grant_uri,
            jsonschema::Draft::Draft202012.create_resource(grant),
        )
        .expect("the grant schema's URI")
        .prepare()
        .expect("a registry with the grant schema");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_registry(&registry)
        .offline()
        .build(&package)
        .expect("the 360Giving package schema compiles")
}

/// The schema's complaints about `package`, each with where it is.
pub fn schema_errors(package: &Value) -> Vec<String> {
    validator()
        .iter_errors(package)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect()
}

/// A form page shown again with its errors (the work screens' convention): status 200,
/// "Error: " before the title, an error summary whose every link goes to an element
/// with that id on the page.
pub fn assert_form_redisplayed(status: u16, body: &str) {
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<title>Error: "), "no Error: title: {body}");
    assert!(
        body.contains("govuk-error-summary"),
        "no error summary: {body}"
    );
    let summary = &body[body.find("govuk-error-summary").unwrap()..];
    let summary = &summary[..summary.find("</ul>").unwrap_or(summary.len())];
    let mut links = 0;
    for part in summary.split("href=\"#").skip(1) {
        let id = &part[..part.find('"').unwrap()];
        assert!(
            body.contains(&format!("id=\"{id}\"")),
            "the error summary links to #{id}, which is not on the page: {body}"
        );
        links += 1;
    }
    assert!(links > 0, "the error summary links to no field: {body}");
}
