//! The shipped reference geography (England 2019) on a fresh store, on PostgreSQL and on
//! SQLite: loaded once, whole, and never over a geography already there; and areas with
//! parents of more than one kind rolled up once. Expected rows are worked from
//! ../shared/geo, the files the shipped one was derived from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use domain::{GeoCode, Geography};
use infrastructure::geography::{read_areas, GeographyError};
use infrastructure::ledger::Ledger;
use infrastructure::reference::{ReferenceLoad, REFERENCE_VINTAGE};
use infrastructure::test_support::TestDatabase;
use infrastructure::Database;

fn shared(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/geo")
        .join(name)
}

fn csv_rows(name: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(shared(name))
        .unwrap_or_else(|error| panic!("reading ../shared/geo/{name}: {error}"))
        .records()
        .map(Result::unwrap)
        .collect()
}

fn geo(code: &str) -> GeoCode {
    code.parse().unwrap()
}

async fn scalar(db: &Database, sql: &str) -> i64 {
    match db {
        Database::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        Database::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

async fn rows(db: &Database, sql: &str) -> Vec<(String, String)> {
    match db {
        Database::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
        Database::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
    }
}

/// The LSOA of Hull the test follows up the hierarchy.
const LSOA: &str = "E01012761";

async fn the_shipped_geography_loads_once_and_whole(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let ledger = Ledger::open(test.database.clone()).await.unwrap();
    let db = &test.database;
    let load = ledger.geography.load_reference_if_empty(db).await.unwrap();
    let ReferenceLoad::Loaded { areas, elapsed } = load else {
        panic!("a fresh store loads the shipped geography, got {load:?}");
    };
    println!("loaded {areas} areas of the shipped geography on {kind} in {elapsed:.2?}");
    assert_eq!(areas, 1 + 9 + 317 + 7_219 + 32_844);
    let by_level: BTreeMap<String, String> = rows(
        db,
        "SELECT level, CAST(count(*) AS TEXT) FROM geography GROUP BY level",
    )
    .await
    .into_iter()
    .collect();
    let expected: BTreeMap<String, String> = [
        ("country", "1"),
        ("region", "9"),
        ("lad", "317"),
        ("ward", "7219"),
        ("lsoa", "32844"),
    ]
    .map(|(level, count)| (level.to_string(), count.to_string()))
    .into_iter()
    .collect();
    assert_eq!(by_level, expected);

    // The LSOA's ward from the ONS lookup, its district's region from the region lookup.
    let ward_row = csv_rows("england-lsoa-ward2019.csv")
        .into_iter()
        .find(|row| &row[0] == LSOA)
        .unwrap();
    let region_row = csv_rows("england-lad-region2019.csv")
        .into_iter()
        .find(|row| row[0] == ward_row[3])
        .unwrap();
    let imd_row = csv_rows("england-lsoa-imd2019.csv")
        .into_iter()
        .find(|row| &row[0] == LSOA)
        .unwrap();
    let want_chain = vec![
        geo(&ward_row[1]),
        geo(&ward_row[3]),
        geo(&region_row[2]),
        geo("E92000001"),
    ];
    assert_eq!(ledger.geography.ancestors(&geo(LSOA)), want_chain);
    let named = rows(
        db,
        &format!(
            "SELECT code, name || '|' || coalesce(CAST(population AS TEXT), '') || '|' || coalesce(CAST(imd_decile AS TEXT), '')
               FROM geography WHERE code IN ('{LSOA}', '{}', '{}', 'E92000001') ORDER BY code",
            &ward_row[1], &region_row[2]
        ),
    )
    .await;
    assert_eq!(
        named,
        vec![
            (
                LSOA.to_string(),
                format!("{}|{}|{}", &imd_row[1], &imd_row[4], &imd_row[5])
            ),
            (
                ward_row[1].to_string(),
                format!("{}|{}|", &ward_row[2], ward_population(&ward_row[1]))
            ),
            (
                region_row[2].to_string(),
                format!("{}|{}|", &region_row[3], region_population(&region_row[2]))
            ),
            (
                "E92000001".to_string(),
                format!("England|{}|", england_population())
            ),
        ]
    );

    // Again: nothing is written, not even an import record.
    let imports = scalar(db, "SELECT CAST(count(*) AS BIGINT) FROM geography_imports").await;
    assert_eq!(imports, 1);
    let again = ledger.geography.load_reference_if_empty(db).await.unwrap();
    assert_eq!(again, ReferenceLoad::AlreadyHasGeography);
    assert_eq!(
        scalar(db, "SELECT CAST(count(*) AS BIGINT) FROM geography_imports").await,
        1
    );
}

fn lsoa_populations() -> BTreeMap<String, i64> {
    csv_rows("england-lsoa-imd2019.csv")
        .into_iter()
        .filter(|row| &row[2] == "lsoa")
        .map(|row| (row[0].to_string(), row[4].parse().unwrap()))
        .collect()
}

fn ward_population(ward: &str) -> i64 {
    let people = lsoa_populations();
    csv_rows("england-lsoa-ward2019.csv")
        .into_iter()
        .filter(|row| &row[1] == ward)
        .map(|row| people[&row[0]])
        .sum()
}

fn region_population(region: &str) -> i64 {
    let lads: BTreeSet<String> = csv_rows("england-lad-region2019.csv")
        .into_iter()
        .filter(|row| &row[2] == region)
        .map(|row| row[0].to_string())
        .collect();
    csv_rows("england-lsoa-imd2019.csv")
        .into_iter()
        .filter(|row| &row[2] == "lsoa" && lads.contains(&row[3]))
        .map(|row| row[4].parse::<i64>().unwrap())
        .sum()
}

fn england_population() -> i64 {
    lsoa_populations().values().sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_geography_loads_once_and_whole_on_sqlite() {
    the_shipped_geography_loads_once_and_whole("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_geography_loads_once_and_whole_on_postgres() {
    the_shipped_geography_loads_once_and_whole("postgres").await;
}

/// A store where a user imported their own geography first keeps it: the shipped one is
/// not loaded over it.
async fn a_users_own_geography_is_never_overwritten(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let ledger = Ledger::open(test.database.clone()).await.unwrap();
    let db = &test.database;
    let own = read_areas(
        format!(
            "code,name,level,parent_code,population,imd_decile\n{LSOA},Our own name,lsoa,,7,3\n"
        )
        .as_bytes(),
        "own",
    )
    .unwrap();
    ledger.geography.import_areas(db, &own).await.unwrap();
    let load = ledger.geography.load_reference_if_empty(db).await.unwrap();
    assert_eq!(load, ReferenceLoad::AlreadyHasGeography);
    assert_eq!(
        rows(db, "SELECT code, name FROM geography").await,
        vec![(LSOA.to_string(), "Our own name".to_string())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_own_geography_is_never_overwritten_on_sqlite() {
    a_users_own_geography_is_never_overwritten("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_own_geography_is_never_overwritten_on_postgres() {
    a_users_own_geography_is_never_overwritten("postgres").await;
}

/// A load cut short (the process killed after its first areas were written) is finished on
/// the next start, not mistaken for a user's own geography and left partial.
async fn a_load_cut_short_is_finished_on_the_next_start(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let ledger = Ledger::open(test.database.clone()).await.unwrap();
    let db = &test.database;
    // What a killed first start leaves: the marker, then the first areas (England first).
    db.start_reference_load(REFERENCE_VINTAGE).await.unwrap();
    let first = read_areas(
        "code,name,level,parent_code,population,imd_decile\nE92000001,England,country,,1,\n"
            .as_bytes(),
        "first chunk",
    )
    .unwrap();
    ledger.geography.import_areas(db, &first).await.unwrap();
    assert_eq!(scalar(db, "SELECT count(*) FROM geography").await, 1);
    let load = ledger.geography.load_reference_if_empty(db).await.unwrap();
    assert!(
        matches!(load, ReferenceLoad::Loaded { areas, .. } if areas == 40_390),
        "the next start finishes the load, got {load:?}"
    );
    assert_eq!(scalar(db, "SELECT count(*) FROM geography").await, 40_390);
    assert_eq!(
        db.reference_load_state(REFERENCE_VINTAGE).await.unwrap(),
        Some(true)
    );
    let again = ledger.geography.load_reference_if_empty(db).await.unwrap();
    assert_eq!(again, ReferenceLoad::AlreadyHasGeography);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_cut_short_is_finished_on_the_next_start_on_sqlite() {
    a_load_cut_short_is_finished_on_the_next_start("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_cut_short_is_finished_on_the_next_start_on_postgres() {
    a_load_cut_short_is_finished_on_the_next_start("postgres").await;
}

/// An LSOA in a ward and an MSOA, both in one district: the district is one ancestor of
/// the LSOA (depth 2), the ward and the MSOA each one (depth 1).
pub const TWO_PARENTS_CSV: &str =
    "code,name,level,parent_code,population,imd_decile,other_parent_codes
E06000010,Hull,lad,,300,,
E05001234,A ward,ward,E06000010,300,,
E02002345,An MSOA,msoa,E06000010,300,,
E01012761,An LSOA,lsoa,E05001234,100,1,E02002345
E01012762,Another LSOA,lsoa,E05001234,200,2,E02002345;E05001234
";

async fn an_area_with_two_parents_has_each_ancestor_once(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let ledger = Ledger::open(test.database.clone()).await.unwrap();
    let db = &test.database;
    let areas = read_areas(TWO_PARENTS_CSV.as_bytes(), "two parents").unwrap();
    assert_eq!(areas[3].other_parent_codes, vec![geo("E02002345")]);
    assert_eq!(
        areas[4].other_parent_codes,
        vec![geo("E02002345")],
        "the primary parent repeated among the others counts once"
    );
    ledger.geography.import_areas(db, &areas).await.unwrap();
    let up = rows(
        db,
        "SELECT ancestor, CAST(depth AS TEXT) FROM geography_ancestors WHERE code = 'E01012761' ORDER BY ancestor",
    )
    .await;
    let want = [
        ("E01012761", "0"),
        ("E02002345", "1"),
        ("E05001234", "1"),
        ("E06000010", "2"),
    ]
    .map(|(a, d)| (a.to_string(), d.to_string()));
    assert_eq!(up, want);
    let ancestors: BTreeSet<GeoCode> = ledger
        .geography
        .ancestors(&geo("E01012761"))
        .into_iter()
        .collect();
    assert_eq!(
        ancestors,
        ["E02002345", "E05001234", "E06000010"]
            .map(geo)
            .into_iter()
            .collect()
    );

    // Re-importing the LSOA without the MSOA drops that link.
    let without = read_areas(
        "code,name,level,parent_code,population,imd_decile\nE01012761,An LSOA,lsoa,E05001234,100,1\n"
            .as_bytes(),
        "one parent",
    )
    .unwrap();
    ledger.geography.import_areas(db, &without).await.unwrap();
    let up = rows(
        db,
        "SELECT ancestor, CAST(depth AS TEXT) FROM geography_ancestors WHERE code = 'E01012761' ORDER BY ancestor",
    )
    .await;
    assert_eq!(up.len(), 3, "{up:?}");
    assert!(!up.iter().any(|(ancestor, _)| ancestor == "E02002345"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_area_with_two_parents_has_each_ancestor_once_on_sqlite() {
    an_area_with_two_parents_has_each_ancestor_once("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_area_with_two_parents_has_each_ancestor_once_on_postgres() {
    an_area_with_two_parents_has_each_ancestor_once("postgres").await;
}

#[test]
fn other_parents_that_make_no_sense_are_refused() {
    let header = "code,name,level,parent_code,population,imd_decile,other_parent_codes\n";
    for (row, why) in [
        ("E01012761,X,lsoa,E05001234,,,E01012761\n", "its own parent"),
        ("E01012761,X,lsoa,,,,E02002345\n", "no primary parent"),
        ("E01012761,X,lsoa,E05001234,,,nonsense\n", "not a code"),
    ] {
        let error = read_areas(format!("{header}{row}").as_bytes(), "bad").unwrap_err();
        assert!(
            matches!(error, GeographyError::BadRow { line: 2, .. }),
            "{why}: {error}"
        );
    }
    let error = read_areas(
        "code,name,level,parent_code,population,imd_decile,extra\n".as_bytes(),
        "bad",
    )
    .unwrap_err();
    assert!(matches!(error, GeographyError::BadHeader(_)), "{error}");
}

const HEADER: &str = "code,name,level,parent_code,population,imd_decile,other_parent_codes\n";

/// The message of a refused file, which must be a `BadRow` at `line`.
fn refused_at(rows: &str, line: u64) -> String {
    let error = read_areas(format!("{HEADER}{rows}").as_bytes(), "bad").unwrap_err();
    match &error {
        GeographyError::BadRow { line: at, .. } => assert_eq!(*at, line, "{error}"),
        other => panic!("expected a bad row at line {line}, got {other}"),
    }
    error.to_string()
}

#[test]
fn a_code_given_twice_is_refused_naming_both_lines() {
    let message = refused_at(
        "E05001234,Ward,ward,,,,\nE01012761,A,lsoa,E05001234,,,\nE01012761,B,lsoa,E05001234,,,\n",
        4,
    );
    assert!(
        message.contains("E01012761 appears twice (lines 3 and 4)"),
        "{message}"
    );
}

#[test]
fn an_area_its_own_parent_is_refused() {
    let message = refused_at("E05001234,Ward,ward,E05001234,,,\n", 2);
    assert!(
        message.contains("E05001234 cannot be its own parent"),
        "{message}"
    );
}

#[test]
fn parent_cycles_of_any_length_are_refused() {
    // Two local authorities each the other's parent.
    let message = refused_at(
        "E10000001,County,lad,E07000001,,,\nE07000001,District,lad,E10000001,,,\n",
        3,
    );
    assert!(message.contains("is its own ancestor"), "{message}");
    assert!(
        message.contains("E07000001 → E10000001 → E07000001"),
        "{message}"
    );
    // A longer loop, through a second parent of another kind.
    let message = refused_at(
        "E12000001,Region,region,E09000001,,,\n\
         E09000001,Borough,lad,E05000001,,,\n\
         E05000001,Ward,ward,E02000001,,,\n\
         E02000001,Msoa,msoa,E01000001,,,\n\
         E01000001,Lsoa,lsoa,E05000009,,,E12000001\n\
         E05000009,Other ward,ward,,,,\n",
        6,
    );
    assert!(
        message.contains("E01000001 → E12000001 → E09000001 → E05000001 → E02000001 → E01000001"),
        "{message}"
    );
}

#[test]
fn a_code_whose_prefix_contradicts_its_level_is_refused() {
    let message = refused_at("E01012761,Not a district,lad,,,,\n", 2);
    assert_eq!(
        message,
        "line 2: E01012761 is marked lad but its prefix E01 is a lsoa code"
    );
}

#[test]
fn control_characters_in_names_are_refused() {
    let message = refused_at("E05001234,War\u{1b}[2Jd,ward,,,,\n", 2);
    assert!(message.contains("U+001B"), "{message}");
    let message = refused_at("E05001234,\u{200b}\u{200b},ward,,,,\n", 2);
    assert!(message.contains("only spaces or invisible"), "{message}");
}
