//! A fresh install knows England's reference geography (issue 11 §4), over HTTP against
//! the real server on both stores. Expected rows are worked from ../shared/geo, the files
//! the shipped geography was derived from. A file of its own: the load takes seconds
//! and busy PostgreSQL transactions slow the read-your-writes waits of tests beside it.

mod common;

use std::path::PathBuf;

use common::*;
use fundledger_tests::{spawn_app_with_reference_geography, Store, TestApp};
use serde_json::{json, Value};

fn shared_geo(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/geo")
        .join(name)
}

/// The row of `file` whose first column is `key`.
fn row_of(file: &str, key: &str) -> csv::StringRecord {
    csv::Reader::from_path(shared_geo(file))
        .unwrap()
        .records()
        .map(Result::unwrap)
        .find(|row| &row[0] == key)
        .unwrap_or_else(|| panic!("{key} in {file}"))
}

const LSOA: &str = "E01012761";

const PLACE: &str = "query($code: GeoCode!) { neighbourhood(code: $code) {
    name level population imdDecile totals { awarded awardCount }
    parent { code name level parent { code name level parent { code name level
      parent { code name level parent { code } } } } } } }";

/// What the reference files say of `LSOA`: (name, population, decile, ward code, ward
/// name, LAD code, LAD name, region code, region name).
fn lsoa_facts() -> [String; 9] {
    let imd = row_of("england-lsoa-imd2019.csv", LSOA);
    let ward = row_of("england-lsoa-ward2019.csv", LSOA);
    let region = row_of("england-lad-region2019.csv", &ward[3]);
    [
        &imd[1], &imd[4], &imd[5], &ward[1], &ward[2], &ward[3], &region[1], &region[2], &region[3],
    ]
    .map(str::to_string)
}

fn assert_place(place: &Value, awarded: &str) {
    let [name, population, decile, ward, ward_name, lad, lad_name, region, region_name] =
        lsoa_facts();
    assert_eq!(place["name"], json!(name));
    assert_eq!(place["level"], json!("LSOA"));
    assert_eq!(
        place["population"],
        json!(population.parse::<i64>().unwrap())
    );
    assert_eq!(place["imdDecile"], json!(decile.parse::<i64>().unwrap()));
    assert_eq!(place["totals"]["awarded"], json!(awarded));
    let ward_node = &place["parent"];
    assert_eq!(
        (&ward_node["code"], &ward_node["name"], &ward_node["level"]),
        (&json!(ward), &json!(ward_name), &json!("WARD"))
    );
    let lad_node = &ward_node["parent"];
    assert_eq!(
        (&lad_node["code"], &lad_node["name"], &lad_node["level"]),
        (&json!(lad), &json!(lad_name), &json!("LAD"))
    );
    let region_node = &lad_node["parent"];
    assert_eq!(
        (
            &region_node["code"],
            &region_node["name"],
            &region_node["level"]
        ),
        (&json!(region), &json!(region_name), &json!("REGION"))
    );
    let country = &region_node["parent"];
    assert_eq!(
        (&country["code"], &country["name"], &country["level"]),
        (&json!("E92000001"), &json!("England"), &json!("COUNTRY"))
    );
    assert_eq!(country["parent"], Value::Null);
}

/// A fresh install names an LSOA and its ward, district, region and country with no
/// `import geography`; a historic grant imported to that LSOA then shows in a named
/// place.
async fn a_fresh_install_knows_englands_geography(store: Store) {
    let app = spawn_app_with_reference_geography(PROGRAM, store).await;
    let reply = app.gql_now(None, PLACE, json!({ "code": LSOA })).await.ok();
    assert_place(&reply.data()["neighbourhood"], "0.00");
    an_imported_historic_grant_shows_a_named_place(&app).await;
}

/// A historic grant to an LSOA imported into a fresh install shows a named place, with
/// its ward, district, region and country, without `import geography`.
async fn an_imported_historic_grant_shows_a_named_place(app: &TestApp) {
    let package = json!({ "grants": [{
        "id": "360G-GB-CHC-0000009-G1", "title": "Larder", "currency": "GBP",
        "amountAwarded": 2500.5, "awardDate": "2019-06-01",
        "recipientOrganization": [{ "id": "GB-CHC-3333333", "name": "Past recipient" }],
        "fundingOrganization": [{ "id": "GB-CHC-0000009", "name": "Past Funder" }],
        "beneficiaryLocation": [{ "geoCode": LSOA }]
    }]});
    let path = std::env::temp_dir().join(format!(
        "fundledger-{}-named.json",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&path, package.to_string()).unwrap();
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
    let reply = app.gql_now(None, PLACE, json!({ "code": LSOA })).await.ok();
    assert_place(&reply.data()["neighbourhood"], "2500.50");
}

on_both_stores!(a_fresh_install_knows_englands_geography);
