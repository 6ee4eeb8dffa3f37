//! `fundledger import 360giving`: a funder's published grants, imported through the real
//! binary from the two real packages in ../shared/360giving/samples (read there at test
//! time, never copied into the project), then seen over GraphQL, in the public page and
//! the export, and checked by `fundledger verify`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::str::FromStr;

use common::{assert_verified, business_day, spawn, PROGRAM};
use fundledger_tests::{Store, TestApp};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

const ABCT: &str = "dataquality_abcharitabletrust_a001p00000zgyHZAAY.json";
const ALWF: &str = "dataquality_andrewlloydwebberfdn_a003W000001B7PzQAK.json";
const LONDON: &str = "E12000007";

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/360giving/samples")
        .join(name)
}

#[derive(Deserialize)]
struct Package<'a> {
    #[serde(borrow)]
    grants: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Grant<'a> {
    id: String,
    #[serde(borrow)]
    amount_awarded: &'a RawValue,
    funding_organization: Vec<Value>,
    #[serde(default)]
    beneficiary_location: Vec<Value>,
}

/// What the test itself reads from a file: its funder, grant ids, the exact sum of
/// `amountAwarded` (each number's own digits), and the exact sum for London.
struct FileFacts {
    funder: String,
    ids: Vec<String>,
    sum: Decimal,
    london: Decimal,
}

/// Whether `code` is London or an area below it in the geography a fresh install has (the
/// shipped England 2019 reference, which `import 360giving` loads into a store with none):
/// a grant to a London borough, ward or LSOA rolls up to London too.
fn in_london(code: &str) -> bool {
    static PARENTS: std::sync::OnceLock<std::collections::HashMap<String, String>> =
        std::sync::OnceLock::new();
    let parents = PARENTS.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../infrastructure/reference/england-2019.csv");
        csv::Reader::from_path(path)
            .expect("the shipped reference geography")
            .records()
            .map(Result::unwrap)
            .filter(|row| !row[3].is_empty())
            .map(|row| (row[0].to_string(), row[3].to_string()))
            .collect()
    });
    let mut current = code;
    for _ in 0..8 {
        if current == LONDON {
            return true;
        }
        match parents.get(current) {
            Some(parent) => current = parent,
            None => return false,
        }
    }
    false
}

fn facts(name: &str) -> FileFacts {
    let text = std::fs::read_to_string(sample(name))
        .unwrap_or_else(|error| panic!("reading ../shared/360giving/samples/{name}: {error}"));
    let package: Package = serde_json::from_str(&text).expect("a 360Giving package");
    let mut facts = FileFacts {
        funder: String::new(),
        ids: Vec::new(),
        sum: Decimal::ZERO,
        london: Decimal::ZERO,
    };
    for raw in package.grants {
        let grant: Grant = serde_json::from_str(raw.get()).expect("a grant");
        let amount = Decimal::from_str_exact(grant.amount_awarded.get()).expect("an exact amount");
        facts.sum += amount;
        // The first location whose geoCode is a GSS code fundledger knows (K02000001,
        // the UK as a whole, is not one).
        let area = grant
            .beneficiary_location
            .iter()
            .filter_map(|location| location["geoCode"].as_str())
            .find(|code| domain::GeoCode::from_str(code).is_ok());
        if area.is_some_and(in_london) {
            facts.london += amount;
        }
        facts.funder = grant.funding_organization[0]["id"]
            .as_str()
            .expect("a funder id")
            .to_string();
        facts.ids.push(grant.id);
    }
    facts
}

async fn import(app: &TestApp, file: &Path) -> Output {
    tokio::process::Command::new(PROGRAM)
        .args(["import", "360giving"])
        .arg(file)
        .args(["--database-url", &app.database.url])
        .output()
        .await
        .expect("running fundledger import 360giving")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

fn money(value: &Value) -> Decimal {
    Decimal::from_str(
        value
            .as_str()
            .unwrap_or_else(|| panic!("money, not {value}")),
    )
    .expect("a decimal")
}

/// The fund of `funder` and its position, over GraphQL.
async fn fund_of(app: &TestApp, funder: &str) -> (String, Value) {
    let reply = app
        .gql_now(
            None,
            "{ funds { id funderOrgId position { capitalReceived allocated awarded paid disbursed available } } }",
            json!({}),
        )
        .await
        .ok();
    let fund = reply.data()["funds"]
        .as_array()
        .expect("funds")
        .iter()
        .find(|fund| fund["funderOrgId"] == funder)
        .unwrap_or_else(|| panic!("no fund for {funder}"))
        .clone();
    (
        fund["id"].as_str().unwrap().to_string(),
        fund["position"].clone(),
    )
}

async fn totals(app: &TestApp, filter: Value) -> Value {
    app.gql_now(
        None,
        "query($f: AwardFilter) { totals(filter: $f) { awarded disbursed awardCount recipientCount } }",
        json!({ "f": filter }),
    )
    .await
    .ok()
    .data()["totals"]
        .clone()
}

/// A package of `grants` (JSON texts) in a temporary file.
fn temp_package(grants: &[String]) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "fundledger-{}-grants.json",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&path, format!("{{\"grants\": [{}]}}", grants.join(",")))
        .expect("writing a package");
    path
}

/// The ALWF sample's grants under new ids (so none is present yet), with `spoil` applied
/// to the grant at `bad`.
fn renamed_with_one_bad(bad: usize, spoil: impl Fn(&mut Value)) -> (PathBuf, String) {
    let text = std::fs::read_to_string(sample(ALWF)).expect("the sample");
    let package: Value = serde_json::from_str(&text).expect("JSON");
    let mut bad_id = String::new();
    let grants: Vec<String> = package["grants"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(index, grant)| {
            let mut grant = grant.clone();
            let id = format!("360G-FUNDLEDGER-TEST-{index}");
            grant["id"] = json!(id);
            // Whole pounds, so the rewritten numbers are exact whatever serde_json does.
            grant["amountAwarded"] = json!(1000 + index);
            if index == bad {
                spoil(&mut grant);
                bad_id = id;
            }
            grant.to_string()
        })
        .collect();
    (temp_package(&grants), bad_id)
}

async fn historic_grants_import_once_reconcile_to_the_penny_and_verify(store: Store) {
    let app = spawn(store).await;
    let abct = facts(ABCT);
    let alwf = facts(ALWF);
    assert_eq!(abct.ids.len(), 783);
    assert_eq!(alwf.ids.len(), 475);

    for (name, file) in [(ABCT, &abct), (ALWF, &alwf)] {
        let output = stdout(&import(&app, &sample(name)).await);
        println!("{name} on {store:?}:\n{output}");
        assert!(
            output.contains(&format!(
                "imported {} grants ({})",
                file.ids.len(),
                domain::Money::new(file.sum.round_dp(2)).unwrap()
            )),
            "{output}"
        );
        assert!(output.contains("0 already present"), "{output}");
        assert!(output.contains("established fund"), "{output}");
    }

    // Each funder's fund holds exactly the file's sum, to the penny; the grants predate
    // the ledger's capital, so nothing is received, allocated or available.
    let mut funds = Vec::new();
    for file in [&abct, &alwf] {
        let (fund, position) = fund_of(&app, &file.funder).await;
        let penny = file.sum.round_dp(2);
        assert!(
            (file.sum - penny).abs() < Decimal::new(1, 6),
            "float noise only"
        );
        assert_eq!(money(&position["awarded"]), penny);
        assert_eq!(money(&position["capitalReceived"]), Decimal::ZERO);
        assert_eq!(money(&position["allocated"]), Decimal::ZERO);
        assert_eq!(money(&position["available"]), Decimal::ZERO);
        let fund_totals = totals(&app, json!({ "fund": fund })).await;
        assert_eq!(money(&fund_totals["awarded"]), penny);
        assert_eq!(fund_totals["awardCount"], json!(file.ids.len()));
        funds.push((fund, position));
    }
    let all = totals(&app, json!({})).await;
    assert_eq!(
        money(&all["awarded"]),
        (abct.sum + alwf.sum).round_dp(2),
        "public totals hold every imported grant"
    );
    assert_eq!(all["awardCount"], json!(783 + 475));
    let historic = totals(&app, json!({ "status": "HISTORIC" })).await;
    assert_eq!(historic["awardCount"], json!(783 + 475));

    // Neighbourhood totals roll up by the grants' GSS codes.
    let london = app
        .gql_now(
            None,
            "query($c: GeoCode!) { neighbourhood(code: $c) { totals { awarded awardCount } } }",
            json!({ "c": LONDON }),
        )
        .await
        .ok();
    assert!(alwf.london > Decimal::ZERO, "the sample has London grants");
    assert_eq!(
        money(&london.data()["neighbourhood"]["totals"]["awarded"]),
        (abct.london + alwf.london).round_dp(2)
    );

    // As of the day before the first grant nothing was awarded; as of today, everything.
    let (alwf_fund, _) = fund_of(&app, &alwf.funder).await;
    let early = app
        .gql_now(
            None,
            "query($id: String!) { fund(id: $id) { position(asOf: \"2000-01-01\") { awarded } } }",
            json!({ "id": alwf_fund }),
        )
        .await
        .ok();
    assert_eq!(
        money(&early.data()["fund"]["position"]["awarded"]),
        Decimal::ZERO
    );
    let as_of_today = totals_as_of(&app, "2099-12-31").await;
    assert_eq!(money(&as_of_today), (abct.sum + alwf.sum).round_dp(2));

    // One award in full: historic, no round or application, the 360Giving id kept.
    let award = app
        .gql_now(
            None,
            "query($f: AwardFilter) { awards(filter: $f, first: 1) { edges { node {
                id grantId status roundId applicationId neighbourhood amount } } } }",
            json!({ "f": { "fund": alwf_fund } }),
        )
        .await
        .ok();
    let node = &award.data()["awards"]["edges"][0]["node"];
    assert_eq!(node["status"], "HISTORIC");
    assert_eq!(node["roundId"], Value::Null);
    assert_eq!(node["applicationId"], Value::Null);
    assert!(alwf
        .ids
        .contains(&node["grantId"].as_str().unwrap().to_string()));

    // Re-importing both files writes nothing and reports them as already there.
    let head = app.head().await;
    for (name, file) in [(ABCT, &abct), (ALWF, &alwf)] {
        let output = stdout(&import(&app, &sample(name)).await);
        assert!(output.contains("imported 0 grants"), "{output}");
        assert!(
            output.contains(&format!("{} already present", file.ids.len())),
            "{output}"
        );
        assert!(!output.contains("established fund"), "{output}");
    }
    assert_eq!(app.head().await, head, "a re-import writes nothing");
    for (file, (fund, position)) in [&abct, &alwf].into_iter().zip(&funds) {
        let (again, now) = fund_of(&app, &file.funder).await;
        assert_eq!(&again, fund);
        assert_eq!(&now, position, "the ledger position is unchanged");
    }

    // The export republishes each grant under its original 360Giving id.
    let (status, export) = app.get("/export/360giving.json").await;
    assert_eq!(status, 200);
    let export: Value = serde_json::from_str(&export).expect("JSON export");
    let exported: Vec<&str> = export["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|grant| grant["id"].as_str().unwrap())
        .collect();
    assert_eq!(exported.len(), 783 + 475);
    for id in abct.ids.iter().chain(&alwf.ids) {
        assert!(
            exported.contains(&id.as_str()),
            "{id} is exported under its own id"
        );
    }
    home_page_reconciles_the_grants_with_its_map(&app, (abct.sum + alwf.sum).round_dp(2)).await;

    assert_verified(&app).await;

    // A rebuild folds the same log to the same figures.
    let output = tokio::process::Command::new(PROGRAM)
        .args(["rebuild", "--database-url", &app.database.url])
        .output()
        .await
        .expect("running fundledger rebuild");
    assert!(
        output.status.success(),
        "rebuild failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rebuilt = totals(&app, json!({})).await;
    assert_eq!(rebuilt, all, "totals after a rebuild");
    assert_verified(&app).await;
}

/// The home page after the import never contradicts itself (issue 15: it said "£34.5m
/// awarded" above "Nothing has been awarded yet"): it states the exact total, and the part
/// of it on no local authority of its map (grants to a region or to England as a whole,
/// or to no place the geography knows) with exact amounts that add up to GraphQL's
/// `totals` and the authorities' own totals.
async fn home_page_reconciles_the_grants_with_its_map(app: &TestApp, total: Decimal) {
    let (status, page) = app.get("/").await;
    assert_eq!(status, 200);
    let shown = |amount: Decimal| domain::Money::new(amount).unwrap().to_string();
    assert!(
        page.contains(&shown(total)),
        "the public page shows {}",
        shown(total)
    );
    assert!(
        !page.contains("Nothing has been awarded"),
        "a contradiction"
    );
    let areas = app
        .gql_now(
            None,
            "{ lads: neighbourhoods(level: LAD, first: 400) { edges { node { totals { awarded } } } }
               england: neighbourhood(code: \"E92000001\") { totals { awarded } } }",
            json!({}),
        )
        .await
        .ok();
    let on_map: Decimal = areas.data()["lads"]["edges"]
        .as_array()
        .expect("local authorities")
        .iter()
        .map(|edge| money(&edge["node"]["totals"]["awarded"]))
        .sum();
    let england = money(&areas.data()["england"]["totals"]["awarded"]);
    assert!(on_map < total, "some grants are on no local authority");
    assert!(
        page.contains(&format!(
            "{} of the {} awarded is not on this map",
            shown(total - on_map),
            shown(total)
        )),
        "the page says how much is not on the map"
    );
    for (words, amount) in [
        ("On the map: in a local authority", on_map),
        (
            "To a whole region, or to England as a whole",
            england - on_map,
        ),
        (
            "Place not recorded, or not in England's geography",
            total - england,
        ),
    ] {
        if !amount.is_zero() {
            let row = format!(
                "{words}</dt><dd class=\"govuk-summary-list__value\">{}</dd>",
                shown(amount)
            );
            assert!(page.contains(&row), "the page lacks {row}");
        }
    }
}

/// A JSON value compared structurally: object keys in any order, numbers as the exact
/// decimals their digits write (`30000` = `30000.00`, never through `f64`).
#[derive(Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(Decimal),
    Text(String),
    List(Vec<Json>),
    Object(std::collections::BTreeMap<String, Json>),
}

fn structure(raw: &RawValue) -> Json {
    let text = raw.get().trim();
    match text.chars().next() {
        Some('{') => {
            let fields: std::collections::BTreeMap<String, &RawValue> =
                serde_json::from_str(text).expect("an object");
            Json::Object(
                fields
                    .into_iter()
                    .map(|(key, value)| (key, structure(value)))
                    .collect(),
            )
        }
        Some('[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).expect("an array");
            Json::List(items.into_iter().map(structure).collect())
        }
        Some('"') => Json::Text(serde_json::from_str(text).expect("a string")),
        Some('t' | 'f') => Json::Bool(text == "true"),
        Some('n') => Json::Null,
        _ => Json::Number(if text.contains(['e', 'E']) {
            Decimal::from_scientific(text).expect("a number")
        } else {
            Decimal::from_str_exact(text).expect("a number")
        }),
    }
}

/// The fields the 360Giving standard defines for a grant (the grant schema's properties).
fn standard_fields() -> Vec<String> {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(common::shared_360giving().join("360-giving-schema.json"))
            .expect("reading the grant schema"),
    )
    .expect("JSON");
    schema["properties"]
        .as_object()
        .expect("the schema's properties")
        .keys()
        .cloned()
        .collect()
}

/// Each grant's standard fields, by grant id.
fn grants_by_id(
    text: &str,
    fields: &[String],
) -> std::collections::HashMap<String, std::collections::BTreeMap<String, Json>> {
    let package: Package = serde_json::from_str(text).expect("a 360Giving package");
    package
        .grants
        .into_iter()
        .map(|raw| {
            let all: std::collections::BTreeMap<String, &RawValue> =
                serde_json::from_str(raw.get()).expect("a grant");
            let standard: std::collections::BTreeMap<String, Json> = all
                .into_iter()
                .filter(|(key, _)| fields.contains(key))
                .map(|(key, value)| (key, structure(value)))
                .collect();
            let Some(Json::Text(id)) = standard.get("id") else {
                panic!("a grant without an id")
            };
            (id.clone(), standard)
        })
        .collect()
}

/// Import both samples, export: every grant comes back with every field the standard
/// defines, each with the same value, and no standard field the source did not have.
async fn import_then_export_gives_back_every_standard_field(store: Store) {
    let app = spawn(store).await;
    let fields = standard_fields();
    for name in [ABCT, ALWF] {
        stdout(&import(&app, &sample(name)).await);
    }
    let (status, export) = app.get("/export/360giving.json").await;
    assert_eq!(status, 200, "{export}");
    let package: Value = serde_json::from_str(&export).expect("JSON export");
    assert_eq!(common::schema_errors(&package), Vec::<String>::new());
    let exported = grants_by_id(&export, &fields);
    let mut differences = Vec::new();
    let mut compared = 0;
    for name in [ABCT, ALWF] {
        let text = std::fs::read_to_string(sample(name)).expect("the sample");
        for (id, source) in grants_by_id(&text, &fields) {
            compared += 1;
            let Some(back) = exported.get(&id) else {
                differences.push(format!("{id}: not exported"));
                continue;
            };
            for field in &fields {
                match (source.get(field), back.get(field)) {
                    (None, None) => {}
                    (Some(want), Some(have)) if want == have => {}
                    (want, have) => differences.push(format!(
                        "{id}: {field} is {have:?} in the export but {want:?} in {name}"
                    )),
                }
            }
        }
    }
    assert_eq!(compared, 783 + 475);
    assert!(
        differences.is_empty(),
        "{} differences, the first: {:#?}",
        differences.len(),
        &differences[..differences.len().min(8)]
    );
    assert_verified(&app).await;
}

async fn totals_as_of(app: &TestApp, day: &str) -> Value {
    app.gql_now(
        None,
        "query($d: Date) { totals(asOf: $d) { awarded } }",
        json!({ "d": day }),
    )
    .await
    .ok()
    .data()["totals"]["awarded"]
        .clone()
}

/// Makes one grant of a package bad.
type Spoil = Box<dyn Fn(&mut Value)>;

async fn a_file_with_one_bad_grant_is_refused_whole(store: Store) {
    let app = spawn(store).await;
    let head = app.head().await;
    let cases: [(&str, Spoil, &str); 3] = [
        (
            "three decimal places",
            Box::new(|grant| grant["amountAwarded"] = json!(12.345)),
            "amountAwarded 12.345 has more than 2 decimal places",
        ),
        (
            "dollars",
            Box::new(|grant| grant["currency"] = json!("USD")),
            "currency is USD",
        ),
        (
            "no recipient",
            Box::new(|grant| {
                grant
                    .as_object_mut()
                    .unwrap()
                    .remove("recipientOrganization");
            }),
            "recipientOrganization is missing",
        ),
    ];
    for (what, spoil, message) in cases {
        // The bad grant is the last, so an importer that wrote as it read would have
        // written all the others.
        let (file, bad_id) = renamed_with_one_bad(474, spoil);
        let output = import(&app, &file).await;
        let _ = std::fs::remove_file(&file);
        assert!(!output.status.success(), "a file with {what} is refused");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("grant {bad_id}: {message}")),
            "the refusal names the grant and the field: {stderr}"
        );
        assert!(stderr.contains("nothing was imported"), "{stderr}");
        assert_eq!(
            app.head().await,
            head,
            "a refused file ({what}) writes nothing"
        );
    }
    assert_verified(&app).await;
}

async fn grants_join_the_funders_existing_fund_and_leave_available_alone(store: Store) {
    let app = spawn(store).await;
    let alwf = facts(ALWF);
    let fund = fundledger_tests::mutate(
        &app,
        &app.admin(),
        "establishFund",
        json!({ "name": "Lloyd Webber Community Fund", "funderOrgId": alwf.funder,
                "funderName": "Andrew Lloyd Webber Foundation" }),
        "fund { id }",
    )
    .await["fund"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    fundledger_tests::mutate(
        &app,
        &app.admin(),
        "receiveCapital",
        json!({ "fundId": fund, "amount": "100000.00", "source": "Endowment", "receivedOn": business_day() }),
        "fund { id }",
    )
    .await;
    let round = common::open_round(&app, &fund, "40000.00").await;
    let (_, before) = fund_of(&app, &alwf.funder).await;

    let output = stdout(&import(&app, &sample(ALWF)).await);
    assert!(!output.contains("established fund"), "{output}");
    let (found, after) = fund_of(&app, &alwf.funder).await;
    assert_eq!(found, fund, "the grants join the funder's own fund");
    for figure in ["capitalReceived", "allocated", "available"] {
        assert_eq!(after[figure], before[figure], "{figure} is untouched");
    }
    assert_eq!(money(&after["available"]), Decimal::new(60_000, 0));
    assert_eq!(
        money(&after["awarded"]),
        money(&before["awarded"]) + alwf.sum.round_dp(2)
    );
    let remaining = app
        .gql_now(
            None,
            "query($id: String!) { round(id: $id) { remaining awarded } }",
            json!({ "id": round }),
        )
        .await
        .ok();
    assert_eq!(
        money(&remaining.data()["round"]["remaining"]),
        Decimal::new(40_000, 0),
        "historic grants take nothing from a round"
    );
    assert_verified(&app).await;
}

on_both_stores!(
    import_then_export_gives_back_every_standard_field,
    grants_join_the_funders_existing_fund_and_leave_available_alone,
    historic_grants_import_once_reconcile_to_the_penny_and_verify,
    a_file_with_one_bad_grant_is_refused_whole,
);
