//! A place's downloads against the real server, on both stores: `/areas/{code}/awards.csv`
//! opens cleanly in a spreadsheet (byte order mark, CRLF, dates as `YYYY-MM-DD`, amounts
//! as plain numbers, hostile text inert), lists exactly the area's awards by date with
//! every figure equal to GraphQL's, and honours `?asOf=`; `/areas/{code}/360giving.json`
//! is a valid 360Giving package of exactly the area's grants, the same as in the register's
//! package. Unknown areas are 404; an area without awards has a CSV of the header alone
//! and no 360Giving package (the schema needs a grant).

mod common;

use std::collections::BTreeMap;

use common::*;
use fundledger_tests::{mutate, Store, TestApp};
use rust_decimal::Decimal;
use serde_json::{json, Value};

const HULL: &str = "E06000010";
const WARD: &str = "E05011525";
const LSOA_A: &str = "E01012761";
const LSOA_B: &str = "E01012762";
/// An area of the geography with no award in it.
const EMPTY_LSOA: &str = "E01012763";
const FUNDER: &str = "GB-CHC-0000001";

const HYPERLINK: &str = "=HYPERLINK(\"http://evil\",\"x\")";
const SUM: &str = "@SUM(1)";
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The test's geography: Hull, one ward, three neighbourhoods (one named with characters
/// CSV must quote), and Birmingham outside it.
async fn import_geography(app: &TestApp) {
    let csv = format!(
        "code,name,level,parent_code,population,imd_decile\n\
         E12000003,Yorkshire and The Humber,region,,5479615,\n\
         {HULL},\"Kingston upon Hull, City of\",lad,E12000003,258038,\n\
         {WARD},Avenue,ward,{HULL},14802,\n\
         {LSOA_A},Kingston upon Hull 015A,lsoa,{WARD},1820,1\n\
         {LSOA_B},\"Docks, \"\"North\"\"\",lsoa,{WARD},1500,2\n\
         {EMPTY_LSOA},Kingston upon Hull 015C,lsoa,{WARD},1600,3\n\
         E08000025,Birmingham,lad,,1141816,\n\
         E05011173,Aston,ward,E08000025,30000,\n\
         {AREA},Birmingham 031I,lsoa,E05011173,1891,1\n"
    );
    let path = std::env::temp_dir().join(format!(
        "fundledger-{}-geography.csv",
        uuid::Uuid::new_v4().simple()
    ));
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

fn historic_grant(id: &str, title: &str, amount: &str, date: &str, area: &str) -> String {
    format!(
        r#"{{"id":"{id}","title":"{title}","description":"A grant made before the ledger",
            "currency":"GBP","amountAwarded":{amount},
            "awardDate":"{date}","recipientOrganization":[{{"id":"GB-CHC-3333333","name":"Old Group"}}],
            "fundingOrganization":[{{"id":"GB-CHC-9999999","name":"Earlier Funder"}}],
            "beneficiaryLocation":[{{"geoCode":"{area}","countryCode":"GB"}}]}}"#
    )
}

/// Historic grants of several years (two with titles a spreadsheet would run), imported
/// through the real binary.
async fn import_history(app: &TestApp) {
    let grants = [
        historic_grant("360G-HIST-1", "+1", "1500.25", "2019-05-01", LSOA_A),
        historic_grant("360G-HIST-2", "-1", "700.10", "2021-03-02", LSOA_B),
        historic_grant("360G-HIST-3", "Early larder", "99.99", "2018-02-03", WARD),
        historic_grant("360G-HIST-4", "Elsewhere", "50.00", "2020-01-01", AREA),
    ];
    let path = std::env::temp_dir().join(format!(
        "fundledger-{}-grants.json",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&path, format!("{{\"grants\": [{}]}}", grants.join(",")))
        .expect("writing a package");
    let output = tokio::process::Command::new(PROGRAM)
        .args(["import", "360giving"])
        .arg(&path)
        .args(["--database-url", &app.database.url])
        .output()
        .await
        .expect("running import 360giving");
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn submit_in(app: &TestApp, org: &str, round: &str, title: &str, area: &str) -> String {
    let payload = mutate(
        app,
        &app.grantee(org),
        "submitApplication",
        json!({
            "roundId": round, "title": title, "description": "What we will do",
            "amountRequested": "3000.00", "neighbourhood": area, "themes": ["food"],
            "applicantName": SUM
        }),
        // The id from the write itself: `application` is null until it is projected.
        "applicationId",
    )
    .await;
    s(&payload["applicationId"])
}

/// The geography, the history, and today's awards: the larder in Birmingham (outside
/// Hull), a hostile-titled award in Hull, and one in Hull part paid. Returns the position
/// of the last write.
async fn seed(app: &TestApp) -> i64 {
    import_geography(app).await;
    import_history(app).await;
    let w = world(app).await;
    let hostile = submit_in(app, OTHER_ORG, &w.round, HYPERLINK, LSOA_A).await;
    score(app, "panel-pat", &hostile, 4, "fine").await;
    approve(app, &hostile, "2500.05").await;
    let paid = submit_in(app, ORG, &w.round, "Avenue Toy Library", LSOA_B).await;
    score(app, "panel-pat", &paid, 4, "fine").await;
    let award = approve(app, &paid, "3000.00").await;
    accept_and_pay(
        app,
        ORG,
        &award,
        "1000.00",
        "toys",
        "REF-1",
        &business_day(),
    )
    .await;
    app.head().await
}

struct Fetched {
    status: u16,
    header: BTreeMap<String, String>,
    bytes: Vec<u8>,
}

impl Fetched {
    fn text(&self) -> String {
        String::from_utf8(self.bytes.clone()).expect("UTF-8")
    }

    fn header(&self, name: &str) -> &str {
        self.header
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }
}

async fn fetch(app: &TestApp, path: &str, position: i64, if_none_match: Option<&str>) -> Fetched {
    let mut request = app
        .client
        .get(format!("{}{path}", app.base))
        .header("x-min-position", position.to_string());
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    let response = request.send().await.expect("GET");
    let header = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.to_string(),
                value.to_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    Fetched {
        status: response.status().as_u16(),
        header,
        bytes: response.bytes().await.expect("body").to_vec(),
    }
}

/// `fetch`, again while the answer is untagged: the server tags answers only at the
/// read-models version it has seen, which it reads every few milliseconds, so just after a
/// write the first answer may come untagged.
async fn fetch_tagged(app: &TestApp, path: &str, position: i64) -> Fetched {
    for _ in 0..200 {
        let file = fetch(app, path, position, None).await;
        if file.status != 200 || !file.header("etag").is_empty() {
            return file;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{path} is never tagged with the read models' version");
}

/// The CSV's rows (the header's cells first), read as a spreadsheet would after its BOM.
fn csv_rows(file: &Fetched) -> Vec<Vec<String>> {
    assert!(file.bytes.starts_with(BOM), "no byte order mark");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&file.bytes[BOM.len()..])
        .records()
        .map(|row| row.expect("a CSV row").iter().map(str::to_string).collect())
        .collect()
}

fn decimal(value: &Value) -> Decimal {
    s(value).parse().expect("a decimal")
}

/// GraphQL's awards in `code` (by id, as the API lists them) and the area's totals.
async fn graphql_awards(
    app: &TestApp,
    position: i64,
    code: &str,
    as_of: Option<&str>,
) -> (BTreeMap<String, Value>, Value) {
    let reply = app
        .gql_at(
            None,
            position,
            "query($c: GeoCode!, $asOf: Date) {
               awards(filter: { neighbourhood: $c }, asOf: $asOf, first: 100) {
                 edges { node { id grantId awardedOn title awarded paid returned disbursed spendReported } } }
               neighbourhood(code: $c) { totals(asOf: $asOf) { awarded paid awardCount } } }",
            json!({ "c": code, "asOf": as_of }),
        )
        .await
        .ok();
    let awards = reply.data()["awards"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| (s(&edge["node"]["id"]), edge["node"].clone()))
        .collect();
    (awards, reply.data()["neighbourhood"]["totals"].clone())
}

/// Every row equals GraphQL's award to the penny, the rows are by date (then id), and the
/// count and sums equal the area's totals.
fn assert_rows_are_graphql(rows: &[Vec<String>], awards: &BTreeMap<String, Value>, totals: &Value) {
    assert_eq!(rows.len(), awards.len(), "{rows:?}");
    assert_eq!(rows.len() as i64, totals["awardCount"].as_i64().unwrap());
    let (mut awarded, mut paid) = (Decimal::ZERO, Decimal::ZERO);
    for row in rows {
        let award = awards
            .get(&row[0])
            .unwrap_or_else(|| panic!("{} is not in the area", row[0]));
        assert_eq!(row[1], s(&award["awardedOn"]));
        for (column, field) in [
            (10, "awarded"),
            (11, "paid"),
            (12, "returned"),
            (13, "disbursed"),
            (14, "spendReported"),
        ] {
            assert_eq!(row[column], s(&award[field]), "{field} of {}", row[0]);
            let places = row[column].split_once('.').map(|(_, p)| p.len());
            assert_eq!(
                places,
                Some(2),
                "{field} as a plain number: {}",
                row[column]
            );
        }
        assert!(
            row[16].ends_with(&format!("/awards/{}", row[0])),
            "{}",
            row[16]
        );
        awarded += row[10].parse::<Decimal>().unwrap();
        paid += row[11].parse::<Decimal>().unwrap();
    }
    assert_eq!(awarded, decimal(&totals["awarded"]));
    assert_eq!(paid, decimal(&totals["paid"]));
    // By date (ties by id in the store's own text order, which the test does not redo).
    let dates: Vec<&str> = rows.iter().map(|row| row[1].as_str()).collect();
    assert!(dates.is_sorted(), "rows are by date: {dates:?}");
}

async fn area_csv_opens_cleanly_and_equals_graphql(store: Store) {
    let app = spawn(store).await;
    let position = seed(&app).await;
    let file = fetch_tagged(&app, &format!("/areas/{HULL}/awards.csv"), position).await;
    assert_eq!(file.status, 200, "{}", file.text());
    assert!(file.header("content-type").starts_with("text/csv"));
    assert_eq!(
        file.header("content-disposition"),
        format!("attachment; filename=\"awards-{HULL}.csv\"")
    );
    let text = file.text();
    assert!(!text.replace("\r\n", "").contains('\n'), "lines end CRLF");
    let rows = csv_rows(&file);
    assert_eq!(rows[0][0], "Award id");
    assert_eq!(rows[0].len(), 17);
    let body = &rows[1..];
    let (awards, totals) = graphql_awards(&app, position, HULL, None).await;
    assert_rows_are_graphql(body, &awards, &totals);
    // 3 historic grants in Hull and today's 2; the larder and the grant in Birmingham
    // are elsewhere.
    assert_eq!(body.len(), 5);
    let dates: Vec<&str> = body.iter().map(|row| row[1].as_str()).collect();
    assert_eq!(&dates[..3], ["2018-02-03", "2019-05-01", "2021-03-02"]);
    assert_eq!(dates[3], business_day());

    // Hostile text comes out inert, whether from an application or a publisher's file.
    let cell = |title: &str, column: usize| -> String {
        body.iter()
            .find(|row| row[2].trim_start_matches('\'') == title)
            .unwrap_or_else(|| panic!("no row titled {title}"))[column]
            .clone()
    };
    assert_eq!(cell(HYPERLINK, 2), format!("'{HYPERLINK}"));
    assert_eq!(cell(HYPERLINK, 3), format!("'{SUM}"));
    assert_eq!(cell("+1", 2), "'+1");
    assert_eq!(cell("-1", 2), "'-1");
    for row in body {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell that can run: {cell:?} in {row:?}"
            );
        }
    }
    // Names: the neighbourhood and its local authority; quoted where needed.
    let toys = body
        .iter()
        .find(|row| row[2] == "Avenue Toy Library")
        .unwrap();
    assert_eq!(toys[5], "Docks, \"North\"");
    assert_eq!(toys[6], LSOA_B);
    assert_eq!(toys[7], "Kingston upon Hull, City of");
    assert_eq!(toys[8], "Test Fund");
    assert_eq!(toys[9], "Round One");
    assert_eq!(toys[15], "Active");
    assert_eq!(cell("Early larder", 5), "Avenue");
    assert_eq!(
        cell("Early larder", 15),
        "Historic (made before this ledger)"
    );

    // The same version answers 304 to a client holding its tag.
    let tag = file.header("etag").to_string();
    assert!(!tag.is_empty(), "no ETag");
    let again = fetch(
        &app,
        &format!("/areas/{HULL}/awards.csv"),
        position,
        Some(&tag),
    )
    .await;
    assert_eq!(again.status, 304);
    // A smaller area lists only its own awards.
    let lsoa = fetch(&app, &format!("/areas/{LSOA_A}/awards.csv"), position, None).await;
    let (awards, totals) = graphql_awards(&app, position, LSOA_A, None).await;
    assert_rows_are_graphql(&csv_rows(&lsoa)[1..], &awards, &totals);
    assert_eq!(awards.len(), 2);
}

async fn area_csv_as_of_a_day_has_the_awards_made_by_then(store: Store) {
    let app = spawn(store).await;
    let position = seed(&app).await;
    let day = "2020-12-31";
    let file = fetch(
        &app,
        &format!("/areas/{HULL}/awards.csv?asOf={day}"),
        position,
        None,
    )
    .await;
    assert_eq!(file.status, 200, "{}", file.text());
    assert_eq!(
        file.header("content-disposition"),
        format!("attachment; filename=\"awards-{HULL}-asof-{day}.csv\"")
    );
    let rows = csv_rows(&file);
    let (awards, totals) = graphql_awards(&app, position, HULL, Some(day)).await;
    assert_rows_are_graphql(&rows[1..], &awards, &totals);
    let titles: Vec<&str> = rows[1..].iter().map(|row| row[2].as_str()).collect();
    assert_eq!(titles, ["Early larder", "'+1"]);
    assert_eq!(s(&totals["awarded"]), "1600.24");

    // A date that is not one is refused, not read as today.
    let bad = fetch(
        &app,
        &format!("/areas/{HULL}/awards.csv?asOf=2020-13-40"),
        position,
        None,
    )
    .await;
    assert_eq!(bad.status, 400);
}

async fn area_360giving_package_validates_and_holds_the_areas_grants(store: Store) {
    let app = spawn(store).await;
    let position = seed(&app).await;
    let file = fetch_tagged(&app, &format!("/areas/{HULL}/360giving.json"), position).await;
    assert_eq!(file.status, 200, "{}", file.text());
    assert!(file.header("content-type").starts_with("application/json"));
    assert_eq!(
        file.header("content-disposition"),
        format!("attachment; filename=\"360giving-{HULL}.json\"")
    );
    assert!(!file.header("etag").is_empty(), "no ETag");
    let package: Value = serde_json::from_slice(&file.bytes).expect("JSON");
    assert_eq!(schema_errors(&package), Vec::<String>::new());

    let (awards, _) = graphql_awards(&app, position, HULL, None).await;
    let mut expected: Vec<String> = awards
        .values()
        .map(|award| match award["grantId"].as_str() {
            Some(published) => published.to_string(),
            None => format!("360G-{FUNDER}-{}", s(&award["id"])),
        })
        .collect();
    expected.sort();
    let grants = package["grants"].as_array().expect("grants");
    let mut ids: Vec<String> = grants.iter().map(|grant| s(&grant["id"])).collect();
    ids.sort();
    assert_eq!(ids, expected);

    // Each grant is the one the register's package publishes.
    let register = fetch(&app, "/export/360giving.json", position, None).await;
    let register: Value = serde_json::from_slice(&register.bytes).expect("JSON");
    for grant in grants {
        let same = register["grants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|other| other["id"] == grant["id"])
            .expect("the grant in the register's package");
        assert_eq!(grant, same);
    }
    assert!(s(&package["title"]).contains("Kingston upon Hull, City of"));
}

async fn unknown_and_empty_areas(store: Store) {
    let app = spawn(store).await;
    let position = seed(&app).await;
    for code in ["E01999999", "NOT-A-CODE"] {
        for file in ["awards.csv", "360giving.json"] {
            let answer = fetch(&app, &format!("/areas/{code}/{file}"), position, None).await;
            assert_eq!(answer.status, 404, "{code}/{file}: {}", answer.text());
        }
    }
    let csv = fetch(
        &app,
        &format!("/areas/{EMPTY_LSOA}/awards.csv"),
        position,
        None,
    )
    .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv_rows(&csv).len(), 1, "the header alone");
    let json = fetch(
        &app,
        &format!("/areas/{EMPTY_LSOA}/360giving.json"),
        position,
        None,
    )
    .await;
    assert_eq!(json.status, 404);
    assert!(json.text().contains("nothing to publish for this area yet"));

    // The register's own 360Giving CSV opens in a spreadsheet the same way.
    let register = fetch(&app, "/export/360giving.csv", position, None).await;
    assert_eq!(register.status, 200);
    let rows = csv_rows(&register);
    assert_eq!(rows[0][0], "Identifier");
    assert!(!register.text().replace("\r\n", "").contains('\n'));
    let hostile = rows
        .iter()
        .find(|row| row[1].contains("HYPERLINK"))
        .unwrap();
    assert_eq!(hostile[1], format!("'{HYPERLINK}"));
}

on_both_stores!(
    area_csv_opens_cleanly_and_equals_graphql,
    area_csv_as_of_a_day_has_the_awards_made_by_then,
    area_360giving_package_validates_and_holds_the_areas_grants,
    unknown_and_empty_areas,
);
