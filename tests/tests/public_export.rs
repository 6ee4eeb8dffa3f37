//! The public page and the 360Giving exports against the real server, on both stores:
//! awards made through the API show on the page with their neighbourhood names and exact
//! totals; the exports are valid against the official 360Giving schema (read from
//! ../shared at test time), carry the amounts to the penny, and reconcile with the award
//! register; `fundledger export 360giving` writes the same data; nothing private appears.

mod common;

use std::path::PathBuf;

use common::*;
use fundledger_tests::{mutate, Store, TestApp};
use rust_decimal::Decimal;
use serde_json::{json, Value};

const OTHER_AREA: &str = "E01012761";
/// Names with characters HTML must escape; the exports must carry them unescaped.
const AREA_NAME: &str = "Riverside & Docks <test>";
const AREA_NAME_HTML: &str = "Riverside &amp; Docks &lt;test&gt;";
const OTHER_AREA_NAME: &str = "Kingston upon Hull 015A";
const LAD_NAME: &str = "Kingston upon Hull, City of";

const COMMENT: &str = "SECRET-COMMENT";
const MEMBER: &str = "secret-panel-member";
const DECLINE_REASON: &str = "SECRET-DECLINE-REASON";
const DECLINED_TITLE: &str = "SECRET-DECLINED-TITLE";
const PENDING_TITLE: &str = "SECRET-PENDING-TITLE";
const PURPOSE: &str = "SECRET-PURPOSE";
const PAYMENT_REF: &str = "SECRET-PAYREF";
const PRIVATE: [&str; 7] = [
    COMMENT,
    MEMBER,
    DECLINE_REASON,
    DECLINED_TITLE,
    PENDING_TITLE,
    PURPOSE,
    PAYMENT_REF,
];

/// The flattened 360Giving columns, spelled out so that a change is a reviewed diff.
const CSV_HEADER: [&str; 22] = [
    "Identifier",
    "Title",
    "Description",
    "Currency",
    "Amount Awarded",
    "Amount Disbursed",
    "Award Date",
    "Recipient Org:Identifier",
    "Recipient Org:Name",
    "Funding Org:Identifier",
    "Funding Org:Name",
    "Grant Programme:Code",
    "Grant Programme:Title",
    "Beneficiary Location:Name",
    "Beneficiary Location:Country Code",
    "Beneficiary Location:Geographic Code",
    "Beneficiary Location:Geographic Code Type",
    "Location Scope",
    "From An Open Call?",
    "Amount Applied For",
    "Planned Dates:Start Date",
    "Last Modified",
];

fn temp_file(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "fundledger-{}-{name}",
        uuid::Uuid::new_v4().simple()
    ))
}

/// Loads a small reference geography through the real `import geography` command.
async fn import_geography(app: &TestApp) {
    let csv = format!(
        "code,name,level,parent_code,population,imd_decile\n\
         E06000010,\"{LAD_NAME}\",lad,,258038,\n\
         {AREA},{AREA_NAME},lsoa,E06000010,1500,1\n\
         {OTHER_AREA},{OTHER_AREA_NAME},lsoa,E06000010,1820,1\n"
    );
    let path = temp_file("geography.csv");
    std::fs::write(&path, csv).expect("writing the geography file");
    let status = tokio::process::Command::new(PROGRAM)
        .args(["import", "geography"])
        .arg(&path)
        .args(["--database-url", &app.database.url])
        .status()
        .await
        .expect("running import geography");
    let _ = std::fs::remove_file(&path);
    assert!(status.success(), "import geography failed");
}

async fn submit_in(app: &TestApp, org: &str, round: &str, title: &str, area: &str) -> String {
    let payload = mutate(
        app,
        &app.grantee(org),
        "submitApplication",
        json!({
            "roundId": round, "title": title, "description": "What we will do",
            "amountRequested": "3000.00", "neighbourhood": area, "themes": ["food"],
            "applicantName": format!("Org {org}")
        }),
        "application { id }",
    )
    .await;
    s(&payload["application"]["id"])
}

/// Two awards (£10,000.50 in `AREA`, £2,500.05 in `OTHER_AREA`), £4,000.25 paid on the
/// first, and private markers everywhere the ledger keeps private data. Returns the
/// position of the last write.
async fn seed(app: &TestApp) -> i64 {
    let w = world(app).await;
    let second = submit_in(
        app,
        OTHER_ORG,
        &w.round,
        "Neighbourhood Toy Library",
        OTHER_AREA,
    )
    .await;
    score(app, MEMBER, &second, 5, COMMENT).await;
    approve(app, &second, "2500.05").await;
    let pending = submit_in(app, ORG, &w.round, PENDING_TITLE, AREA).await;
    score(app, MEMBER, &pending, 2, COMMENT).await;
    let declined = submit_in(app, ORG, &w.round, DECLINED_TITLE, AREA).await;
    mutate(
        app,
        &app.admin(),
        "declineApplication",
        json!({ "applicationId": declined, "reason": DECLINE_REASON }),
        "",
    )
    .await;
    let drawdown = mutate(
        app,
        &app.grantee(ORG),
        "requestDrawdown",
        json!({ "awardId": w.award, "amount": "4000.25", "purpose": PURPOSE }),
        "drawdown { id }",
    )
    .await;
    let drawdown = s(&drawdown["drawdown"]["id"]);
    mutate(
        app,
        &app.admin(),
        "approveDrawdown",
        json!({ "awardId": w.award, "drawdownId": drawdown }),
        "",
    )
    .await;
    let paid = mutate(
        app,
        &app.admin(),
        "recordPayment",
        json!({ "awardId": w.award, "drawdownId": drawdown, "paymentRef": PAYMENT_REF, "paidOn": business_day() }),
        "",
    )
    .await;
    import_geography(app).await;
    paid["position"].as_i64().expect("position")
}

struct Fetched {
    status: u16,
    content_type: String,
    disposition: String,
    body: String,
}

async fn fetch(app: &TestApp, path: &str, position: i64) -> Fetched {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .header("x-min-position", position.to_string())
        .send()
        .await
        .expect("GET");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    Fetched {
        status: response.status().as_u16(),
        content_type: header("content-type"),
        disposition: header("content-disposition"),
        body: response.text().await.expect("body"),
    }
}

fn assert_nothing_private(what: &str, text: &str) {
    for secret in PRIVATE {
        assert!(!text.contains(secret), "{what} shows private '{secret}'");
    }
}

/// The award register as the public GraphQL API shows it: id → (amount, paid).
async fn register(app: &TestApp, position: i64) -> (Vec<(String, String, String)>, String) {
    let reply = app
        .gql_at(
            None,
            position,
            "{ awards(first: 100) { edges { node { id amount paid } } } totals { awarded } }",
            json!({}),
        )
        .await
        .ok();
    let awards = reply.data()["awards"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| {
            (
                s(&edge["node"]["id"]),
                s(&edge["node"]["amount"]),
                s(&edge["node"]["paid"]),
            )
        })
        .collect();
    (awards, s(&reply.data()["totals"]["awarded"]))
}

async fn page_shows_neighbourhood_names_and_exact_totals(store: Store) {
    let app = spawn(store).await;
    let position = seed(&app).await;
    let page = fetch(&app, "/", position).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    let html = page.body;
    for expected in [
        AREA_NAME_HTML,
        OTHER_AREA_NAME,
        LAD_NAME,
        "£12,500.55", // awarded in all, and in the local authority
        "£10,000.50",
        "£2,500.05",
        "£4,000.25", // disbursed
        "£100,000.00",
        "Test Fund",
        "<svg",
        "href=\"/graphql\"",
        "href=\"/export/360giving.json\"",
        "href=\"/export/360giving.csv\"",
    ] {
        assert!(
            html.contains(expected),
            "the page lacks '{expected}':\n{html}"
        );
    }
    assert!(!html.contains(AREA_NAME), "the area name is not escaped");
    let head = app
        .gql_at(None, position, "{ ledger { position head } }", json!({}))
        .await
        .ok();
    assert!(
        html.contains(&s(&head.data()["ledger"]["head"])),
        "no head hash"
    );
    assert_nothing_private("the page", &html);
}

async fn json_export_is_valid_360giving_with_exact_amounts(store: Store) {
    let app = spawn(store).await;
    let position = seed(&app).await;
    let export = fetch(&app, "/export/360giving.json", position).await;
    assert_eq!(export.status, 200, "{}", export.body);
    assert!(export.content_type.starts_with("application/json"));
    assert!(export.disposition.contains("filename=\"360giving.json\""));
    assert_nothing_private("the JSON export", &export.body);
    // The amounts are the decimals' own digits, not floats.
    for amount in [
        "\"amountAwarded\":10000.50",
        "\"amountAwarded\":2500.05",
        "\"amountDisbursed\":4000.25",
        "\"amountDisbursed\":0.00",
    ] {
        assert!(
            export.body.contains(amount),
            "no {amount} in {}",
            export.body
        );
    }
    let package: Value = serde_json::from_str(&export.body).expect("JSON");
    let validator = validator();
    let errors: Vec<String> = validator
        .iter_errors(&package)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not valid 360Giving: {errors:#?}");

    let (awards, total) = register(&app, position).await;
    let grants = package["grants"].as_array().expect("grants");
    assert_eq!(grants.len(), awards.len());
    for (id, amount, _) in &awards {
        let grant = grants
            .iter()
            .find(|grant| s(&grant["id"]) == format!("360G-GB-CHC-0000001-{id}"))
            .unwrap_or_else(|| panic!("no grant for award {id}"));
        assert_eq!(grant["currency"], "GBP");
        assert_eq!(grant["fundingOrganization"][0]["id"], "GB-CHC-0000001");
        assert_eq!(grant["fundingOrganization"][0]["name"], "Test Funder");
        assert_eq!(grant["grantProgramme"][0]["title"], "Round One");
        let text = format!("\"amountAwarded\":{amount}");
        assert!(export.body.contains(&text), "award {id}: no {text}");
    }
    let larder = grants
        .iter()
        .find(|grant| grant["title"] == "Hull Community Larder")
        .expect("the larder's grant");
    assert_eq!(
        larder["beneficiaryLocation"][0],
        json!({ "name": AREA_NAME, "countryCode": "GB", "geoCode": AREA, "geoCodeType": "LSOA" })
    );
    assert_eq!(larder["recipientOrganization"][0]["id"], ORG);
    assert_eq!(larder["awardDate"].as_str().map(str::len), Some(10));
    assert_eq!(total, "12500.55");
}

async fn csv_export_has_360giving_columns_and_reconciles_to_the_penny(store: Store) {
    let app = spawn(store).await;
    let position = seed(&app).await;
    let export = fetch(&app, "/export/360giving.csv", position).await;
    assert_eq!(export.status, 200, "{}", export.body);
    assert!(export.content_type.starts_with("text/csv"));
    assert!(export.disposition.contains("filename=\"360giving.csv\""));
    assert_nothing_private("the CSV export", &export.body);

    let mut reader = csv::Reader::from_reader(export.body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, CSV_HEADER);
    let rows: Vec<csv::StringRecord> = reader.records().map(|row| row.expect("row")).collect();
    let (awards, total) = register(&app, position).await;
    assert_eq!(rows.len(), awards.len());
    let mut sum = Decimal::ZERO;
    for (id, amount, paid) in &awards {
        let row = rows
            .iter()
            .find(|row| row[0] == format!("360G-GB-CHC-0000001-{id}"))
            .unwrap_or_else(|| panic!("no row for award {id}"));
        assert_eq!(&row[3], "GBP");
        assert_eq!(&row[4], amount.as_str(), "award {id}");
        assert_eq!(&row[5], paid.as_str(), "award {id}");
        sum += row[4].parse::<Decimal>().expect("a decimal amount");
    }
    assert_eq!(sum, total.parse::<Decimal>().expect("total"));
    assert_eq!(sum.to_string(), "12500.55");
    let toys = rows
        .iter()
        .find(|row| &row[1] == "Neighbourhood Toy Library")
        .expect("the toy library's row");
    assert_eq!(&toys[13], OTHER_AREA_NAME);
    assert_eq!(&toys[15], OTHER_AREA);
    assert_eq!(&toys[16], "LSOA");

    // The command line writes the same rows.
    let out = temp_file("360giving.csv");
    let status = tokio::process::Command::new(PROGRAM)
        .args(["export", "360giving", "--format", "csv", "--out"])
        .arg(&out)
        .args(["--database-url", &app.database.url])
        .status()
        .await
        .expect("running export 360giving");
    assert!(status.success(), "export 360giving failed");
    let written = std::fs::read_to_string(&out).expect("the exported file");
    let _ = std::fs::remove_file(&out);
    // Both start with the byte order mark spreadsheets need to read UTF-8.
    assert!(written.starts_with('\u{feff}'), "no byte order mark");
    assert_eq!(written, export.body);
}

async fn cli_json_export_to_stdout_is_valid_360giving(store: Store) {
    let app = spawn(store).await;
    let position = seed(&app).await;
    // Let the server's projector finish first, so the command line mostly has nothing to
    // project (it copes with racing it either way).
    app.gql_at(None, position, "{ ledger { position } }", json!({}))
        .await
        .ok();
    let output = tokio::process::Command::new(PROGRAM)
        .args(["export", "360giving", "--database-url", &app.database.url])
        .output()
        .await
        .expect("running export 360giving");
    assert!(output.status.success(), "export 360giving failed");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert_nothing_private("the CLI export", &text);
    let package: Value = serde_json::from_str(&text).expect("JSON on stdout");
    let errors: Vec<String> = validator()
        .iter_errors(&package)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not valid 360Giving: {errors:#?}");
    assert_eq!(package["grants"].as_array().map(Vec::len), Some(2));
    assert!(text.contains("\"amountAwarded\":2500.05"));
}

/// The larder's award after `seed`, a second payment (£1,000.00 today) and a
/// return of £500.00: its register entry (admin view) and the round's applications.
async fn pay_again_and_return(app: &TestApp, position: i64) -> (Value, Vec<Value>, i64) {
    let reply = app
        .gql_at(
            Some(&app.admin()),
            position,
            "{ awards(first: 10) { edges { node { id title roundId } } } }",
            json!({}),
        )
        .await
        .ok();
    let larder = reply.data()["awards"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"].clone())
        .find(|node| node["title"] == "Hull Community Larder")
        .expect("the larder's award");
    let award = s(&larder["id"]);
    let drawdown = mutate(
        app,
        &app.grantee(ORG),
        "requestDrawdown",
        json!({ "awardId": award, "amount": "1000.00", "purpose": PURPOSE }),
        "drawdown { id }",
    )
    .await;
    let drawdown = s(&drawdown["drawdown"]["id"]);
    for (operation, input) in [
        (
            "approveDrawdown",
            json!({ "awardId": award, "drawdownId": drawdown }),
        ),
        (
            "recordPayment",
            json!({ "awardId": award, "drawdownId": drawdown, "paymentRef": PAYMENT_REF, "paidOn": business_day() }),
        ),
    ] {
        mutate(app, &app.admin(), operation, input, "").await;
    }
    let returned = mutate(
        app,
        &app.admin(),
        "recordReturn",
        json!({ "awardId": award, "amount": "500.00", "reason": "unspent" }),
        "",
    )
    .await;
    let position = returned["position"].as_i64().expect("position");
    let reply = app
        .gql_at(
            Some(&app.admin()),
            position,
            "query($id: String!, $round: String!) {
                award(id: $id) { id applicationId awardedOn acceptedOn amount paid returned
                                 drawdowns { id amount paidOn } }
                round(id: $round) { applications { id amountRequested } } }",
            json!({ "id": award, "round": larder["roundId"] }),
        )
        .await
        .ok();
    let applications = reply.data()["round"]["applications"]
        .as_array()
        .expect("applications")
        .clone();
    (reply.data()["award"].clone(), applications, position)
}

/// An award made here is published with what the standard can carry: each payment as a
/// `disbursementTransaction`, `amountDisbursed` their sum (what was paid, returns not
/// netted), `amountAppliedFor` from the application, `plannedDates` from the accepted
/// agreement, `dateModified` the latest date of a published change.
async fn json_export_publishes_payments_application_and_dates(store: Store) {
    let app = spawn(store).await;
    let position = seed(&app).await;
    let (award, applications, position) = pay_again_and_return(&app, position).await;
    let export = fetch(&app, "/export/360giving.json", position).await;
    assert_eq!(export.status, 200, "{}", export.body);
    assert_nothing_private("the JSON export", &export.body);
    let package: Value = serde_json::from_str(&export.body).expect("JSON");
    assert_eq!(schema_errors(&package), Vec::<String>::new());
    let grant_id = format!("360G-GB-CHC-0000001-{}", s(&award["id"]));
    let grant = package["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .find(|grant| s(&grant["id"]) == grant_id)
        .expect("the larder's grant")
        .clone();

    let mut paid: Vec<(String, Decimal)> = award["drawdowns"]
        .as_array()
        .expect("drawdowns")
        .iter()
        .filter(|drawdown| !drawdown["paidOn"].is_null())
        .map(|drawdown| (s(&drawdown["paidOn"]), decimal(&drawdown["amount"])))
        .collect();
    paid.sort();
    assert_eq!(paid.len(), 2);
    let transactions = grant["disbursementTransaction"]
        .as_array()
        .expect("one disbursementTransaction per payment");
    let mut published: Vec<(String, Decimal)> = transactions
        .iter()
        .map(|transaction| {
            assert_eq!(transaction["currency"], "GBP");
            (
                s(&transaction["transactionDate"]),
                decimal_number(&transaction["value"]),
            )
        })
        .collect();
    published.sort();
    assert_eq!(published, paid);
    let ids: Vec<String> = transactions.iter().map(|t| s(&t["id"])).collect();
    assert!(ids[0] != ids[1], "each payment has its own id: {ids:?}");
    for (id, drawdown) in ids.iter().zip(award["drawdowns"].as_array().unwrap()) {
        assert!(id.starts_with(&grant_id), "{id}");
        assert!(
            !id.contains(&s(&drawdown["id"])),
            "{id} shows a drawdown id"
        );
    }
    let sum: Decimal = paid.iter().map(|(_, amount)| *amount).sum();
    assert_eq!(sum, decimal(&award["paid"]));
    assert!(decimal(&award["returned"]) > Decimal::ZERO);
    assert!(
        export.body.contains(&format!(
            "\"amountDisbursed\":{}",
            award["paid"].as_str().unwrap()
        )),
        "amountDisbursed is what was paid: {grant}"
    );
    let application = applications
        .iter()
        .find(|application| application["id"] == award["applicationId"])
        .expect("the award's application");
    assert_eq!(
        decimal_number(&grant["amountAppliedFor"]),
        decimal(&application["amountRequested"])
    );
    assert_eq!(
        grant["plannedDates"],
        json!([{ "startDate": award["acceptedOn"] }])
    );
    let mut dates: Vec<String> = paid.iter().map(|(day, _)| day.clone()).collect();
    dates.push(s(&award["awardedOn"]));
    dates.push(s(&award["acceptedOn"]));
    dates.push(chrono::Utc::now().date_naive().to_string()); // the return
    let latest = dates.into_iter().max().unwrap();
    assert_eq!(grant["dateModified"], json!(format!("{latest}T00:00:00Z")));

    // The toy library's agreement is not accepted: no planned start, nothing paid.
    let toys = package["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|grant| grant["title"] == "Neighbourhood Toy Library")
        .expect("the toy library's grant");
    assert_eq!(toys.get("plannedDates"), None);
    assert_eq!(toys.get("disbursementTransaction"), None);
    assert_eq!(decimal_number(&toys["amountDisbursed"]), Decimal::ZERO);
    assert_eq!(
        decimal_number(&toys["amountAppliedFor"]),
        Decimal::new(3000, 0)
    );
}

fn decimal(value: &Value) -> Decimal {
    s(value).parse().expect("a decimal")
}

/// A JSON number as the exact decimal its digits write.
fn decimal_number(value: &Value) -> Decimal {
    assert!(value.is_number(), "a number, not {value}");
    Decimal::from_str_exact(&value.to_string()).expect("a decimal")
}

/// An empty register is not published as a package the schema refuses (it wants at least
/// one grant): the routes answer 404 with a message, the command line fails with it and
/// writes no file.
async fn an_empty_register_has_nothing_to_publish(store: Store) {
    let app = spawn(store).await;
    establish_fund(&app).await;
    let position = app.head().await;
    for path in ["/export/360giving.json", "/export/360giving.csv"] {
        let answer = fetch(&app, path, position).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        assert!(
            answer.body.contains("nothing to publish yet"),
            "{path}: {}",
            answer.body
        );
    }
    let out = temp_file("empty.json");
    let output = tokio::process::Command::new(PROGRAM)
        .args(["export", "360giving", "--out"])
        .arg(&out)
        .args(["--database-url", &app.database.url])
        .output()
        .await
        .expect("running export 360giving");
    assert!(!output.status.success(), "an empty export is refused");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("nothing to publish yet"), "{stderr}");
    assert!(!out.exists(), "no file is written");
}

on_both_stores!(
    page_shows_neighbourhood_names_and_exact_totals,
    json_export_is_valid_360giving_with_exact_amounts,
    csv_export_has_360giving_columns_and_reconciles_to_the_penny,
    cli_json_export_to_stdout_is_valid_360giving,
    json_export_publishes_payments_application_and_dates,
    an_empty_register_has_nothing_to_publish,
);
