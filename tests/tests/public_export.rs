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
const CSV_HEADER: [&str; 19] = [
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
];

fn shared_360giving() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/360giving")
}

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

/// The award register as the public GraphQL API shows it: id → (amount, disbursed).
async fn register(app: &TestApp, position: i64) -> (Vec<(String, String, String)>, String) {
    let reply = app
        .gql_at(
            None,
            position,
            "{ awards(first: 100) { edges { node { id amount disbursed } } } totals { awarded } }",
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
                s(&edge["node"]["disbursed"]),
            )
        })
        .collect();
    (awards, s(&reply.data()["totals"]["awarded"]))
}

fn validator() -> jsonschema::Validator {
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
    for (id, amount, disbursed) in &awards {
        let row = rows
            .iter()
            .find(|row| row[0] == format!("360G-GB-CHC-0000001-{id}"))
            .unwrap_or_else(|| panic!("no row for award {id}"));
        assert_eq!(&row[3], "GBP");
        assert_eq!(&row[4], amount.as_str(), "award {id}");
        assert_eq!(&row[5], disbursed.as_str(), "award {id}");
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

on_both_stores!(
    page_shows_neighbourhood_names_and_exact_totals,
    json_export_is_valid_360giving_with_exact_amounts,
    csv_export_has_360giving_columns_and_reconciles_to_the_penny,
    cli_json_export_to_stdout_is_valid_360giving,
);
