//! The 360Giving mapping against the official schema and codelists, read from
//! ../shared/360giving at test time (never copied into the project).

use std::path::PathBuf;

use infrastructure::export::giving360::{
    disbursement_id, geo_code_type, json_package, Disbursement, Grant, Location, Organisation,
    PackageInfo, Programme, GEO_CODE_TYPES,
};
use infrastructure::import::giving360::STANDARD_GRANT_FIELDS;
use rust_decimal_macros::dec;
use serde_json::Value;

fn shared(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/360giving")
        .join(name)
}

fn read_json(name: &str) -> Value {
    let text = std::fs::read_to_string(shared(name))
        .unwrap_or_else(|error| panic!("reading ../shared/360giving/{name}: {error}"));
    serde_json::from_str(&text).expect("JSON")
}

/// The package schema with its grant schema served from ../shared (never fetched), Draft
/// 2020-12 named (the schemas' `$schema` is the http form validators do not recognise),
/// formats checked (`awardDate` is `oneOf` a date pattern or a `date-time`).
fn validator() -> jsonschema::Validator {
    let package = read_json("360-giving-package-schema.json");
    let grant = read_json("360-giving-schema.json");
    let grant_uri = package["properties"]["grants"]["items"]["$ref"]
        .as_str()
        .expect("the package schema refers to the grant schema")
        .to_string();
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

fn errors(package: &Value) -> Vec<String> {
    validator()
        .iter_errors(package)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect()
}

fn grant(award_id: &str, code: &str, name: Option<&str>) -> Grant {
    Grant {
        published_id: None,
        award_id: award_id.into(),
        title: "Café \"Larder\" & <friends>".into(),
        amount_awarded: dec!(999999999999.99),
        amount_disbursed: dec!(0.01),
        returned: dec!(0.01),
        amount_applied_for: Some(dec!(999999999999.99)),
        planned_start: Some("2026-02-01".parse().unwrap()),
        disbursements: vec![Disbursement {
            id: disbursement_id(&format!("360G-GB-CHC-0000001-{award_id}"), award_id, "DD-1"),
            paid_on: "2026-02-03".parse().unwrap(),
            amount: dec!(0.01),
        }],
        date_modified: Some("2026-02-03".parse().unwrap()),
        published_fields: None,
        award_date: "2026-01-31".parse().unwrap(),
        recipient: Organisation {
            id: "GB-CHC-1111111".into(),
            name: "Larder Trust".into(),
        },
        funder: Organisation {
            id: "GB-CHC-0000001".into(),
            name: "Test Funder".into(),
        },
        fund_name: "Test Fund".into(),
        programme: Some(Programme {
            code: "RD-1".into(),
            title: "Round One".into(),
        }),
        location: Some(Location {
            code: code.into(),
            name: name.map(str::to_string),
        }),
        themes: vec!["food".into(), "play".into()],
    }
}

fn info() -> PackageInfo {
    PackageInfo {
        title: "fundledger awards".into(),
        description: "test".into(),
        identifier: "fundledger-360giving-7".into(),
        publisher: Some(Organisation {
            id: "GB-CHC-0000001".into(),
            name: "Test Funder".into(),
        }),
        issued: chrono::Utc::now(),
    }
}

#[test]
fn the_validator_accepts_a_published_360giving_package_and_refuses_a_broken_one() {
    let sample = read_json("samples/dataquality_andrewlloydwebberfdn_a003W000001B7PzQAK.json");
    assert_eq!(errors(&sample), Vec::<String>::new());
    let mut broken = sample;
    broken["grants"][0]["amountAwarded"] = Value::String("30000".into());
    assert!(!errors(&broken).is_empty(), "a string amount must fail");
}

#[test]
fn an_exported_package_is_valid_against_the_official_schema() {
    let grants = vec![
        grant("AW-1", "E01012761", Some("Kingston upon Hull 015A")),
        grant("AW-2", "E06000010", None),
        // A country: no geoCodeType in the codelist, so none is written.
        grant("AW-3", "E92000001", Some("England")),
    ];
    let text = json_package(&info(), &grants).unwrap();
    let package: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(errors(&package), Vec::<String>::new());
    assert!(text.contains("\"amountAwarded\":999999999999.99"));
    assert_eq!(package["grants"][0]["id"], "360G-GB-CHC-0000001-AW-1");
    assert_eq!(
        package["grants"][2]["beneficiaryLocation"][0].get("geoCodeType"),
        None
    );
}

#[test]
fn geo_code_types_are_codes_of_the_codelist_for_their_entity() {
    let mut reader = csv::Reader::from_path(shared("geoCodeType.csv")).expect("the codelist");
    let listed: Vec<(String, String)> = reader
        .records()
        .map(|row| {
            let row = row.expect("a codelist row");
            let entity = row[3]
                .rsplit('/')
                .next()
                .expect("the entity ends the URL")
                .to_string();
            (entity, row[0].to_string())
        })
        .collect();
    for (entity, code_type) in GEO_CODE_TYPES {
        assert!(
            listed.iter().any(|(e, c)| e == entity && c == code_type),
            "{entity} → {code_type} is not in geoCodeType.csv"
        );
        assert_eq!(geo_code_type(&format!("{entity}000001")), Some(code_type));
    }
}

#[test]
fn the_standard_grant_fields_are_the_grant_schemas_properties() {
    let schema = read_json("360-giving-schema.json");
    let mut properties: Vec<&str> = schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .map(String::as_str)
        .collect();
    properties.sort_unstable();
    let mut kept = STANDARD_GRANT_FIELDS.to_vec();
    kept.sort_unstable();
    assert_eq!(kept, properties);
}

#[test]
fn payments_and_a_republished_historic_grant_are_valid_360giving() {
    let mut historic = grant("AW-H-1", "E01012761", None);
    historic.published_fields = Some(
        r#"{"id":"360G-ALWF-1","title":"t","description":"d","currency":"GBP","amountAwarded":41133.770000000004,"awardDate":"2020-11-03T00:00:00+00:00","plannedDates":[{"duration":36}],"recipientOrganization":[{"id":"GB-EDU-1","name":"College","organisationType":"School"}],"fundingOrganization":[{"id":"GB-CHC-1015648","name":"Foundation"}],"dateModified":"2021-02-15T00:00:00+00:00"}"#
            .into(),
    );
    let text = json_package(&info(), &[grant("AW-1", "E01012761", None), historic]).unwrap();
    let package: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(errors(&package), Vec::<String>::new());
    assert!(
        text.contains("\"amountAwarded\":41133.770000000004"),
        "{text}"
    );
    let made = &package["grants"][0];
    assert_eq!(
        made["disbursementTransaction"][0]["transactionDate"],
        "2026-02-03"
    );
    assert_eq!(made["dateModified"], "2026-02-03T00:00:00Z");
    assert_eq!(made["plannedDates"][0]["startDate"], "2026-02-01");
    let id = made["disbursementTransaction"][0]["id"].as_str().unwrap();
    assert!(
        id.starts_with("360G-GB-CHC-0000001-AW-1-P-") && !id.contains("DD-1"),
        "{id}"
    );
}
