//! `equity(fundId)` over HTTP against the real server. The reference geography is real
//! England data read from ../shared/geo at test time (never copied into the project): the
//! LSOAs of Hull, Liverpool and Middlesbrough under their 2019 wards, plus two synthetic
//! Welsh LSOAs (made-up populations) for a second nation's index. Every expected figure is
//! worked here from those rows: fixed populations per nation and decile, and awards to a
//! ward or a local authority apportioned by the population of its LSOAs, largest
//! remainder first.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use common::*;
use fundledger_tests::{Store, TestApp};
use infrastructure::geography::read_areas;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value};

const HULL: &str = "E06000010";
const LIVERPOOL: &str = "E08000012";
const MIDDLESBROUGH: &str = "E06000002";
const ORGS: [&str; 6] = [
    "GB-CHC-1000001",
    "GB-CHC-1000002",
    "GB-CHC-1000003",
    "GB-CHC-1000004",
    "GB-CHC-1000005",
    "GB-CHC-1000006",
];
/// Synthetic Welsh rows (nation W): a second index that must never be pooled with England's.
const WALES: &str = "W06000001,Synthetic Welsh authority,lad,,3200,
W01000001,Synthetic Welsh LSOA A,lsoa,W06000001,1500,1
W01000002,Synthetic Welsh LSOA B,lsoa,W06000001,1700,2
";
/// Well-formed, not in the reference geography: no decile, nothing to apportion by.
const UNKNOWN_LSOA: &str = "E01099999";

fn shared(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/geo")
        .join(name)
}

/// One small area of the reference geography as the test reads it.
#[derive(Clone)]
struct Lsoa {
    code: String,
    ward: String,
    lad: String,
    population: i64,
    decile: i64,
}

/// `(nation letter, decile)`: the key of one row of one nation's index.
type Key = (char, i64);

impl Lsoa {
    fn key(&self) -> Key {
        (self.code.chars().next().unwrap(), self.decile)
    }
}

/// The reference geography's CSV text and its LSOAs.
struct Reference {
    csv: String,
    lsoas: Vec<Lsoa>,
}

fn reader(name: &str) -> csv::Reader<std::fs::File> {
    csv::Reader::from_path(shared(name))
        .unwrap_or_else(|error| panic!("reading ../shared/geo/{name}: {error}"))
}

fn reference() -> Reference {
    let lads = [HULL, LIVERPOOL, MIDDLESBROUGH];
    let mut ward_of: HashMap<String, (String, String)> = HashMap::new();
    for row in reader("england-lsoa-ward2019.csv").records() {
        let row = row.unwrap();
        ward_of.insert(row[0].to_string(), (row[1].to_string(), row[2].to_string()));
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record([
            "code",
            "name",
            "level",
            "parent_code",
            "population",
            "imd_decile",
        ])
        .unwrap();
    let mut wards: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut lsoas = Vec::new();
    let mut lsoa_rows = Vec::new();
    for row in reader("england-lsoa-imd2019.csv").records() {
        let row = row.unwrap();
        if &row[2] == "lad" && lads.contains(&&row[0]) {
            writer.write_record(&row).unwrap();
        }
        if &row[2] != "lsoa" || !lads.contains(&&row[3]) {
            continue;
        }
        let (ward, ward_name) = ward_of[&row[0]].clone();
        wards.insert(ward.clone(), (ward_name, row[3].to_string()));
        lsoas.push(Lsoa {
            code: row[0].to_string(),
            ward: ward.clone(),
            lad: row[3].to_string(),
            population: row[4].parse().unwrap(),
            decile: row[5].parse().unwrap(),
        });
        lsoa_rows
            .push([&row[0], &row[1], "lsoa", ward.as_str(), &row[4], &row[5]].map(str::to_string));
    }
    for (ward, (name, lad)) in &wards {
        writer
            .write_record([ward, name, "ward", lad, "", ""])
            .unwrap();
    }
    for row in lsoa_rows {
        writer.write_record(&row).unwrap();
    }
    let mut csv = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    csv.push_str(WALES);
    for line in WALES.lines().skip(1) {
        let field: Vec<&str> = line.split(',').collect();
        if field[2] != "lsoa" {
            continue;
        }
        lsoas.push(Lsoa {
            code: field[0].to_string(),
            ward: String::new(),
            lad: field[3].to_string(),
            population: field[4].parse().unwrap(),
            decile: field[5].parse().unwrap(),
        });
    }
    Reference { csv, lsoas }
}

fn d(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

fn pounds(pence: i64) -> String {
    Decimal::new(pence, 2).to_string()
}

fn per_head(pence: i64, population: i64) -> Value {
    if population == 0 {
        return Value::Null;
    }
    let mut value = (Decimal::new(pence, 2) / Decimal::from(population))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    value.rescale(2);
    json!(value.to_string())
}

/// `pence` shared in proportion to `weights` (in key order): each part rounded down, then
/// the pennies left over one each to the largest remainders, earlier keys first on ties.
fn largest_remainder(pence: i64, weights: &BTreeMap<Key, i64>) -> BTreeMap<Key, i64> {
    let total: i64 = weights.values().sum();
    let mut parts: Vec<(Key, i64, i64)> = weights
        .iter()
        .map(|(key, weight)| {
            let exact = i128::from(pence) * i128::from(*weight);
            let total = i128::from(total);
            (*key, (exact / total) as i64, (exact % total) as i64)
        })
        .collect();
    let left: i64 = pence - parts.iter().map(|part| part.1).sum::<i64>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&index| (std::cmp::Reverse(parts[index].2), index));
    for &index in order.iter().take(left as usize) {
        parts[index].1 += 1;
    }
    parts
        .into_iter()
        .map(|(key, part, _)| (key, part))
        .collect()
}

/// What the test expects of one row.
#[derive(Default, Clone, Copy)]
struct Expected {
    direct: i64,
    apportioned: i64,
    award_count: i64,
    apportioned_award_count: i64,
}

const EQUITY: &str = "query($id: String!) { equity(fundId: $id) { awarded deciles {
    nation imdDecile population awarded awardedDirect awardedApportioned awardedPerHead
    awardCount apportionedAwardCount } } }";

/// Only the fields the view had before nations and apportionment.
const EQUITY_BASIC: &str =
    "query($id: String!) { equity(fundId: $id) { deciles { imdDecile population awarded awardedPerHead } } }";

async fn equity(app: &TestApp, query: &str, fund: &str) -> Value {
    let position = app.head().await;
    app.gql_at(None, position, query, json!({ "id": fund }))
        .await
        .ok()
        .data()["equity"]
        .clone()
}

async fn fund_with_round(app: &TestApp) -> (String, String) {
    let fund = establish_fund(app).await;
    fundledger_tests::mutate(
        app,
        &app.admin(),
        "receiveCapital",
        json!({ "fundId": fund, "amount": "500000.00", "source": "Endowment", "receivedOn": business_day() }),
        "fund { id }",
    )
    .await;
    let round = open_round(app, &fund, "400000.00").await;
    (fund, round)
}

async fn award_in(app: &TestApp, org: &str, round: &str, area: &str, amount: &str) {
    let payload = fundledger_tests::mutate(
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

async fn per_head_figures_use_fixed_populations_and_apportion_larger_areas(store: Store) {
    let reference = reference();
    let app = spawn(store).await;
    let areas = read_areas(reference.csv.as_bytes(), "test geography").unwrap();
    app.database.database.upsert_areas(&areas).await.unwrap();
    let (fund, round) = fund_with_round(&app).await;
    let population = |key: Key| -> i64 {
        reference
            .lsoas
            .iter()
            .filter(|lsoa| lsoa.key() == key)
            .map(|lsoa| lsoa.population)
            .sum()
    };
    let in_lad = |lad: &str, decile: i64| -> Vec<&Lsoa> {
        reference
            .lsoas
            .iter()
            .filter(|lsoa| lsoa.lad == lad && lsoa.decile == decile)
            .collect()
    };

    // The case: £100,000 in Hull's decile-1 areas.
    let hull_1 = in_lad(HULL, 1);
    award_in(&app, ORGS[0], &round, &hull_1[0].code, "60000.00").await;
    award_in(&app, ORGS[1], &round, &hull_1[1].code, "40000.00").await;
    let england_1 = population(('E', 1));
    let hull_only: i64 = hull_1.iter().map(|lsoa| lsoa.population).sum();
    assert!(
        england_1 > hull_only,
        "Liverpool and Middlesbrough count too"
    );
    let before = equity(&app, EQUITY_BASIC, &fund).await;
    assert_eq!(
        before["deciles"][0],
        json!({ "imdDecile": 1, "population": england_1, "awarded": "100000.00",
                "awardedPerHead": per_head(10_000_000, england_1) }),
        "every decile-1 LSOA of the reference geography, not only those of Hull"
    );

    // A £500 award in one Liverpool area (decile 2) leaves decile 1 exactly as it was.
    let liverpool_2 = in_lad(LIVERPOOL, 2)[0].clone();
    award_in(&app, ORGS[2], &round, &liverpool_2.code, "500.00").await;
    let after = equity(&app, EQUITY_BASIC, &fund).await;
    assert_eq!(after["deciles"][0], before["deciles"][0]);
    for decile in 0..10 {
        assert_eq!(
            after["deciles"][decile]["population"],
            before["deciles"][decile]["population"],
            "decile {}: the population does not move with the awards",
            decile + 1
        );
    }

    // A Hull ward whose LSOAs lie in more than one decile; all of Middlesbrough; a Welsh
    // LSOA; an area with no reference data.
    let mut deciles_of_ward: BTreeMap<&str, BTreeMap<i64, i64>> = BTreeMap::new();
    for lsoa in reference.lsoas.iter().filter(|lsoa| lsoa.lad == HULL) {
        *deciles_of_ward
            .entry(&lsoa.ward)
            .or_default()
            .entry(lsoa.decile)
            .or_default() += lsoa.population;
    }
    let ward = deciles_of_ward
        .iter()
        .find(|(_, deciles)| deciles.len() >= 3)
        .map(|(ward, _)| ward.to_string())
        .expect("a Hull ward across three deciles");
    award_in(&app, ORGS[3], &round, &ward, "12345.67").await;
    award_in(&app, ORGS[4], &round, MIDDLESBROUGH, "10000.01").await;
    award_in(&app, ORGS[5], &round, "W01000001", "250.00").await;
    award_in(&app, ORGS[0], &round, UNKNOWN_LSOA, "99.99").await;

    let mut expected: BTreeMap<Key, Expected> = BTreeMap::new();
    for (code, pence) in [
        (hull_1[0].code.as_str(), 6_000_000),
        (hull_1[1].code.as_str(), 4_000_000),
        (liverpool_2.code.as_str(), 50_000),
        ("W01000001", 25_000),
    ] {
        let lsoa = reference
            .lsoas
            .iter()
            .find(|lsoa| lsoa.code == code)
            .unwrap();
        let row = expected.entry(lsoa.key()).or_default();
        row.direct += pence;
        row.award_count += 1;
    }
    let weights = |below: &dyn Fn(&Lsoa) -> bool| -> BTreeMap<Key, i64> {
        let mut weights = BTreeMap::new();
        for lsoa in reference.lsoas.iter().filter(|lsoa| below(lsoa)) {
            *weights.entry(lsoa.key()).or_default() += lsoa.population;
        }
        weights
    };
    for (pence, weights) in [
        (1_234_567, weights(&|lsoa: &Lsoa| lsoa.ward == ward)),
        (1_000_001, weights(&|lsoa: &Lsoa| lsoa.lad == MIDDLESBROUGH)),
    ] {
        for (key, part) in largest_remainder(pence, &weights) {
            let row = expected.entry(key).or_default();
            row.apportioned += part;
            row.apportioned_award_count += 1;
        }
    }

    let view = equity(&app, EQUITY, &fund).await;
    let mut rows = Vec::new();
    for (nation, name) in [('E', "ENGLAND"), ('W', "WALES")] {
        for decile in 1..=10 {
            let row = expected.get(&(nation, decile)).copied().unwrap_or_default();
            let people = population((nation, decile));
            let awarded = row.direct + row.apportioned;
            rows.push(json!({
                "nation": name, "imdDecile": decile, "population": people,
                "awarded": pounds(awarded), "awardedDirect": pounds(row.direct),
                "awardedApportioned": pounds(row.apportioned),
                "awardedPerHead": per_head(awarded, people),
                "awardCount": row.award_count, "apportionedAwardCount": row.apportioned_award_count
            }));
        }
    }
    rows.push(json!({
        "nation": null, "imdDecile": null, "population": null, "awarded": "99.99",
        "awardedDirect": "99.99", "awardedApportioned": "0.00", "awardedPerHead": null,
        "awardCount": 1, "apportionedAwardCount": 0
    }));
    for (index, row) in rows.iter().enumerate() {
        assert_eq!(&view["deciles"][index], row, "row {index}");
    }
    assert_eq!(view["deciles"].as_array().map(Vec::len), Some(rows.len()));

    // The table reconciles with the fund's awarded total to the penny.
    let total =
        d("100000.00") + d("500.00") + d("12345.67") + d("10000.01") + d("250.00") + d("99.99");
    let position = app
        .gql_now(
            None,
            "query($id: String!) { fund(id: $id) { position { awarded } } }",
            json!({ "id": fund }),
        )
        .await
        .ok();
    assert_eq!(
        position.data()["fund"]["position"]["awarded"],
        json!(total.to_string())
    );
    assert_eq!(view["awarded"], json!(total.to_string()));
    let summed: Decimal = rows
        .iter()
        .map(|row| d(row["awarded"].as_str().unwrap()))
        .sum();
    assert_eq!(summed, total);
}

on_both_stores!(per_head_figures_use_fixed_populations_and_apportion_larger_areas);
