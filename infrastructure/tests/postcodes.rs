//! The postcode lookup (issue 15) on PostgreSQL and on SQLite: a file in the ONS Postcode
//! Directory's layout (its real header) is loaded with English postcodes kept (terminated
//! ones marked), Welsh and Scottish rows, rows without an LSOA and malformed rows counted;
//! a postcode is placed through its LSOA's parents in the reference geography; a second
//! import replaces the first whole; a file the reader cannot use changes nothing.

use std::path::PathBuf;

use infrastructure::geography::read_areas;
use infrastructure::ledger::Ledger;
use infrastructure::postcodes::{import_file, PostcodeError};
use infrastructure::test_support::TestDatabase;
use infrastructure::Database;

/// The real ONSPD header (February 2024 release).
const ONSPD_HEADER: &str = "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,osgrdind,oshlthau,nhser,ctry,rgn,streg,pcon,eer,teclec,ttwa,pct,itl,statsward,oa01,casward,npark,lsoa01,msoa01,ur01ind,oac01,oa11,lsoa11,msoa11,wz11,sicbl,bua24,ru11ind,oac11,lat,long,lep1,lep2,pfa,imd,calncv,icb,oa21,lsoa21,msoa21";

/// A row of the directory: the fields the reader uses set, the others plausible.
fn onspd_row(pcds: &str, doterm: &str, lad: &str, ward: &str, lsoa: &str) -> String {
    let pcd = pcds.replace(' ', "  ");
    format!(
        "{pcd},{pcd},{pcds},198001,{doterm},E99999999,E99999999,{lad},{ward},E43000002,0,509900,428700,1,\
         E18000003,E40000009,E92000001,E12000003,0,E14000772,E15000003,E24000021,E30000222,5AW,{lad},\
         00FAMT,00FAMT0001,00FAMT,E65000001,{lsoa},E02002648,5,3B2,E00067000,{lsoa},E02002648,E33000000,\
         E38000083,E63000000,A1,3B2,53.742,-0.331,E37000039,,E23000035,4000,E56000003,E54000044,E00067000,\
         {lsoa},E02002648\n"
    )
}

/// Hull city centre (Central ward) and a neighbourhood of Orchard Park, as the reference
/// geography has them (../shared/geo); a Welsh and a Scottish row; a non-geographic
/// postcode; a terminated one; a malformed one; a repeat.
fn first_file() -> String {
    [
        ONSPD_HEADER.to_string() + "\n",
        onspd_row("HU1 1AA", "", "E06000010", "E05011529", "E01012850"),
        onspd_row("HU1 1AB", "200012", "E06000010", "E05011529", "E01012851"),
        // The directory's ward is a newer one; the reference geography's is used.
        onspd_row("HU6 9AA", "", "E06000010", "E05099999", "E01012875"),
        onspd_row("CF10 1AA", "", "W06000015", "W05000850", "W01001701"),
        onspd_row("EH1 1YZ", "", "S12000036", "S13002900", "S01008001"),
        onspd_row("BX1 1LT", "", "", "", ""),
        onspd_row("HU1 9Z", "", "E06000010", "E05011529", "E01012850"),
        onspd_row("hu1 1aa", "", "E06000010", "E05011529", "E01012851"),
    ]
    .concat()
}

/// The areas the postcodes above lie in, with their parents.
const GEOGRAPHY: &str = "code,name,level,parent_code,population,imd_decile\n\
    E06000010,Kingston upon Hull,lad,,258038,\n\
    E05011529,Central,ward,E06000010,,\n\
    E05011539,Orchard Park,ward,E06000010,,\n\
    E01012850,Kingston upon Hull 032A,lsoa,E05011529,1500,1\n\
    E01012851,Kingston upon Hull 032B,lsoa,E05011529,1500,2\n\
    E01012875,Kingston upon Hull 003A,lsoa,E05011539,1500,1\n";

fn write(name: &str, text: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!(
        "fundledger-postcodes-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

async fn count(db: &Database, sql: &str) -> i64 {
    match db {
        Database::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        Database::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

async fn a_directory_file_loads_and_places_postcodes(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let db = &test.database;
    let ledger = Ledger::open(db.clone()).await.unwrap();
    let areas = read_areas(GEOGRAPHY.as_bytes(), "geography").unwrap();
    ledger.geography.import_areas(db, &areas).await.unwrap();
    assert!(!db.has_postcodes().await.unwrap());
    let geography_before = count(
        db,
        "SELECT CAST(max(import_id) AS BIGINT) FROM geography_imports",
    )
    .await;

    let import = import_file(db, &write("onspd.csv", &first_file()))
        .await
        .unwrap();
    let counts = &import.counts;
    assert_eq!(counts.rows_read, 8);
    assert_eq!((import.loaded, counts.terminated), (3, 1));
    assert_eq!((counts.outside_england, counts.without_lsoa), (2, 1));
    assert_eq!((counts.malformed, import.repeated), (1, 1));
    assert_eq!(counts.malformed_examples[0].line, 8);
    assert_eq!(import.columns.postcode_name, "pcds");
    assert_eq!(import.columns.lsoa_name, "lsoa11");
    let summary = import.to_string();
    assert!(
        summary.contains("loaded 3 postcodes (1 of them terminated"),
        "{summary}"
    );
    assert!(
        summary.contains("line 8: \"HU1 9Z\": not a postcode"),
        "{summary}"
    );
    assert!(db.has_postcodes().await.unwrap());
    assert!(
        count(
            db,
            "SELECT CAST(max(import_id) AS BIGINT) FROM geography_imports"
        )
        .await
            > geography_before,
        "the import moves the version public answers are cached under"
    );

    let centre = db
        .postcode_place("HU1 1AA")
        .await
        .unwrap()
        .expect("HU1 1AA");
    assert_eq!(
        centre.lsoa_code, "E01012850",
        "the first row of a repeated postcode is kept"
    );
    assert_eq!(centre.ward_code.as_deref(), Some("E05011529"));
    assert_eq!(centre.lad_code.as_deref(), Some("E06000010"));
    assert_eq!(centre.terminated, None);
    let old = db
        .postcode_place("HU1 1AB")
        .await
        .unwrap()
        .expect("a terminated postcode");
    assert_eq!(old.terminated.as_deref(), Some("200012"));
    let orchard = db
        .postcode_place("HU6 9AA")
        .await
        .unwrap()
        .expect("HU6 9AA");
    assert_eq!(
        orchard.ward_code.as_deref(),
        Some("E05011539"),
        "the reference geography's ward, not the directory's newer one"
    );
    assert_eq!(
        db.postcode_place("CF10 1AA").await.unwrap(),
        None,
        "Welsh rows are skipped"
    );
    assert_eq!(db.postcode_place("BX1 1LT").await.unwrap(), None);
}

async fn a_second_import_replaces_the_first(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let db = &test.database;
    import_file(db, &write("first.csv", &first_file()))
        .await
        .unwrap();
    // An older layout: `pcd` (padded) and 2021 LSOAs only.
    let second = "PCD,LSOA21\nHU2 8AA ,E01012850\n".to_string();
    let import = import_file(db, &write("second.csv", &second))
        .await
        .unwrap();
    assert_eq!(import.columns.postcode_name, "pcd");
    assert_eq!(import.columns.lsoa_name, "lsoa21");
    assert_eq!(import.loaded, 1);
    assert_eq!(
        count(db, "SELECT CAST(count(*) AS BIGINT) FROM postcodes").await,
        1
    );
    assert_eq!(
        db.postcode_place("HU1 1AA").await.unwrap(),
        None,
        "the old lookup is gone"
    );
    let place = db
        .postcode_place("HU2 8AA")
        .await
        .unwrap()
        .expect("HU2 8AA");
    assert_eq!(
        (place.ward_code, place.lad_code),
        (None, None),
        "no geography, no columns"
    );
    // The same file again: the same lookup.
    import_file(db, &write("second.csv", &second))
        .await
        .unwrap();
    assert_eq!(
        count(db, "SELECT CAST(count(*) AS BIGINT) FROM postcodes").await,
        1
    );
    assert_eq!(
        count(db, "SELECT CAST(count(*) AS BIGINT) FROM postcode_imports").await,
        3
    );
}

async fn a_file_the_reader_cannot_use_changes_nothing(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let db = &test.database;
    import_file(db, &write("first.csv", &first_file()))
        .await
        .unwrap();
    let error = import_file(db, &write("bad.csv", "postcode,lsoa\nHU1 1AA,E01012850\n"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, PostcodeError::MissingColumn { .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("its columns are: postcode, lsoa"),
        "{error}"
    );
    let error = import_file(db, &write("empty.csv", &format!("{ONSPD_HEADER}\n")))
        .await
        .unwrap_err();
    assert!(matches!(error, PostcodeError::Empty(_)), "{error}");
    let missing = import_file(db, std::path::Path::new("/nonexistent/onspd.csv")).await;
    assert!(matches!(missing, Err(PostcodeError::Read { .. })));
    assert_eq!(
        count(db, "SELECT CAST(count(*) AS BIGINT) FROM postcodes").await,
        3
    );
    assert_eq!(
        count(db, "SELECT CAST(count(*) AS BIGINT) FROM postcode_imports").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_file_loads_and_places_postcodes_on_sqlite() {
    a_directory_file_loads_and_places_postcodes("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_file_loads_and_places_postcodes_on_postgres() {
    a_directory_file_loads_and_places_postcodes("postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_import_replaces_the_first_on_sqlite() {
    a_second_import_replaces_the_first("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_import_replaces_the_first_on_postgres() {
    a_second_import_replaces_the_first("postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_the_reader_cannot_use_changes_nothing_on_sqlite() {
    a_file_the_reader_cannot_use_changes_nothing("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_the_reader_cannot_use_changes_nothing_on_postgres() {
    a_file_the_reader_cannot_use_changes_nothing("postgres").await;
}
