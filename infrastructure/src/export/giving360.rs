//! The 360Giving Data Standard (1.4): each award is one grant. JSON is a data package
//! `{ …metadata, "grants": [...] }`; CSV uses the flattened column titles of the
//! standard's spreadsheet template (`Recipient Org:Identifier`, …), taken from the
//! schema's `title`s.
//!
//! Only public fields of the award register are mapped: never applicant contact details,
//! panel scores, comments, conflicts, drawdown purposes, payment references or ballot codes
//! (the records below have no place for them).
//!
//! Amounts are written exactly: the decimal's own digits become the JSON number
//! (`10000.50`), never a float.
//!
//! A historic grant imported with its published fields is written back as those fields,
//! unchanged (the round trip a funder expects); one imported before they were kept is
//! written from the register. An award made here carries what the standard can: each
//! payment as a `disbursementTransaction`, `amountDisbursed` their sum (what was paid to
//! the grantee; money returned is not netted off, the description states it),
//! `amountAppliedFor`, `plannedDates` (the agreement's acceptance, the first day money may
//! be drawn down: the ledger records no planned end) and `dateModified`.

use chrono::{DateTime, SecondsFormat, Utc};
use domain::{Date, GeoCode, GeoLevel, Money};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

pub use super::spreadsheet::csv_text_cell;
use super::{spreadsheet, ExportError};

/// Every fundledger amount is in pounds sterling.
pub const CURRENCY: &str = "GBP";
/// The schema version a package declares (the package schema wants `major.minor`).
pub const SCHEMA_VERSION: &str = "1.4";
/// The prefix every 360Giving grant identifier starts with.
pub const GRANT_ID_PREFIX: &str = "360G-";
/// The country of every area in the reference geography (ISO 3166 code).
pub const COUNTRY_CODE: &str = "GB";
/// The vocabulary fundledger's round themes are published under as classifications.
pub const THEME_VOCABULARY: &str = "fundledger:theme";

/// An organisation as 360Giving names it: an org id (`GB-CHC-1234567`) and a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: String,
    pub name: String,
}

/// The grant programme a grant was made under: fundledger's funding round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Programme {
    pub code: String,
    pub title: String,
}

/// Where the beneficiaries are: the award's neighbourhood (an ONS GSS code), with its name
/// when the reference geography knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub code: String,
    pub name: Option<String>,
}

/// One recorded payment, as published: a public id, its date and amount (never the
/// payment reference, which is private).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disbursement {
    /// [`disbursement_id`].
    pub id: String,
    pub paid_on: Date,
    pub amount: Decimal,
}

/// One award of the public register, as the export needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub award_id: String,
    /// The id a historic grant imported from 360Giving was first published under: it is
    /// published under it again, so GrantNav sees one grant, not two. `None` for awards
    /// made in fundledger, whose id is [`grant_id`].
    pub published_id: Option<String>,
    pub title: String,
    /// Approved amount after variations.
    pub amount_awarded: Decimal,
    /// What was paid to the grantee: the sum of `disbursements` for an award made here.
    pub amount_disbursed: Decimal,
    /// Money the grantee returned (stated in the description; not netted off).
    pub returned: Decimal,
    /// The application's amount requested; `None` for a historic grant.
    pub amount_applied_for: Option<Decimal>,
    /// When the grant agreement was accepted (`plannedDates[0].startDate`).
    pub planned_start: Option<Date>,
    /// The recorded payments, by date.
    pub disbursements: Vec<Disbursement>,
    /// The latest date of a change to what this record says (`dateModified`); `None` for
    /// a historic grant.
    pub date_modified: Option<Date>,
    /// A historic grant's standard fields as the funder published them (a JSON object):
    /// written back unchanged instead of the fields above.
    pub published_fields: Option<String>,
    pub award_date: Date,
    pub recipient: Organisation,
    /// The fund's funder (`funderOrgId`, `funderName`).
    pub funder: Organisation,
    pub fund_name: String,
    pub programme: Option<Programme>,
    pub location: Option<Location>,
    pub themes: Vec<String>,
}

/// Metadata of one data package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageInfo {
    pub title: String,
    pub description: String,
    /// Unique for the publisher: fundledger uses the ledger position the data is as of.
    pub identifier: String,
    /// `None` when the register holds grants of several funders.
    pub publisher: Option<Organisation>,
    pub issued: DateTime<Utc>,
}

/// The grant's stable 360Giving identifier: `360G-` + the funder's org id + the award id.
/// Both parts are stored ids that never change, so the identifier never changes; the
/// funder's id makes it unique across publishers. A funder id that already carries the
/// `360G-` prefix is not prefixed twice.
pub fn grant_id(funder_org_id: &str, award_id: &str) -> String {
    let funder = funder_org_id
        .strip_prefix(GRANT_ID_PREFIX)
        .unwrap_or(funder_org_id);
    format!("{GRANT_ID_PREFIX}{funder}-{award_id}")
}

/// A payment's public 360Giving id: the grant's id and a digest of the award and drawdown
/// ids, so it never changes and reveals neither id (drawdowns are seen only by the funder
/// and the grantee).
pub fn disbursement_id(grant_id: &str, award_id: &str, drawdown_id: &str) -> String {
    let digest = Sha256::digest(format!("fundledger-payment:{award_id}:{drawdown_id}"));
    format!("{grant_id}-P-{}", &hex::encode(digest)[..16])
}

/// The 360Giving `geoCodeType` (codelist `geoCodeType.csv`) of a GSS code, from its entity
/// prefix; `None` for entities the codelist does not list (e.g. countries, NI districts).
pub fn geo_code_type(code: &str) -> Option<&'static str> {
    let entity = code.get(..3)?;
    GEO_CODE_TYPES
        .iter()
        .find(|(prefix, _)| *prefix == entity)
        .map(|(_, code_type)| *code_type)
}

/// Entity prefix → `geoCodeType`, as listed in the codelist (its URL column names the
/// entity). Only entities a fundledger neighbourhood can be, plus their neighbours.
pub const GEO_CODE_TYPES: [(&str, &str); 22] = [
    ("E00", "OA"),
    ("E01", "LSOA"),
    ("E02", "MSOA"),
    ("E04", "PAR"),
    ("E05", "WD"),
    ("E06", "UA"),
    ("E07", "NMD"),
    ("E08", "MD"),
    ("E09", "LONB"),
    ("E10", "CTY"),
    ("E12", "RGN/GOR"),
    ("W00", "OA"),
    ("W01", "LSOA"),
    ("W02", "MSOA"),
    ("W05", "WD"),
    ("W06", "UA"),
    ("S00", "OA"),
    ("S01", "DZ"),
    ("S02", "IG"),
    ("S12", "CA"),
    ("S13", "WD"),
    ("N00", "SA"),
];

/// The 360Giving `locationScope` (codelist `locationScope.csv`) of a neighbourhood's level.
pub fn location_scope(code: &str) -> Option<&'static str> {
    let code: GeoCode = code.parse().ok()?;
    Some(match code.level() {
        GeoLevel::Lsoa | GeoLevel::Msoa | GeoLevel::Ward => "GLS060",
        GeoLevel::Lad => "GLS050",
        GeoLevel::Region => "GLS040",
        GeoLevel::Country => "GLS030",
    })
}

/// The amount with exactly two places, as text (`10000.50`): the JSON number and the CSV
/// cell are both this text.
pub fn amount_text(amount: Decimal) -> String {
    let mut amount = amount;
    amount.rescale(2);
    amount.to_string()
}

fn pounds(amount: Decimal) -> String {
    Money::new(amount)
        .map(|money| money.to_string())
        .unwrap_or_else(|_| format!("£{}", amount_text(amount)))
}

/// A plain-language description made only from public fields of the award (the register
/// does not keep the application's own description).
pub fn description(grant: &Grant) -> String {
    let mut text = format!(
        "A grant of {} from {}",
        pounds(grant.amount_awarded),
        grant.fund_name
    );
    if let Some(programme) = &grant.programme {
        text.push_str(&format!(" ({})", programme.title));
    }
    text.push_str(&format!(
        " to {} for \"{}\"",
        grant.recipient.name, grant.title
    ));
    if let Some(location) = &grant.location {
        match &location.name {
            Some(name) => text.push_str(&format!(" in {name} ({})", location.code)),
            None => text.push_str(&format!(" in {}", location.code)),
        }
    }
    text.push('.');
    if !grant.themes.is_empty() {
        text.push_str(&format!(" Themes: {}.", grant.themes.join(", ")));
    }
    if grant.returned > Decimal::ZERO {
        text.push_str(&format!(
            " The grantee has returned {} to the fund.",
            pounds(grant.returned)
        ));
    }
    text
}

// ---------------------------------------------------------------- JSON

#[derive(Serialize)]
struct OrgJson<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct LocationJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(rename = "countryCode")]
    country_code: &'static str,
    #[serde(rename = "geoCode")]
    geo_code: &'a str,
    #[serde(rename = "geoCodeType", skip_serializing_if = "Option::is_none")]
    geo_code_type: Option<&'static str>,
}

#[derive(Serialize)]
struct ClassificationJson<'a> {
    vocabulary: &'static str,
    code: &'a str,
    title: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlannedJson {
    start_date: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TransactionJson<'a> {
    id: &'a str,
    transaction_date: String,
    currency: &'static str,
    value: Box<RawValue>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GrantJson<'a> {
    id: String,
    title: &'a str,
    description: String,
    currency: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_applied_for: Option<Box<RawValue>>,
    amount_awarded: Box<RawValue>,
    amount_disbursed: Box<RawValue>,
    award_date: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    planned_dates: Vec<PlannedJson>,
    recipient_organization: [OrgJson<'a>; 1],
    funding_organization: [OrgJson<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    grant_programme: Vec<&'a Programme>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    beneficiary_location: Vec<LocationJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location_scope: Option<&'static str>,
    /// Every award made in fundledger comes from an application to an open round.
    #[serde(skip_serializing_if = "Option::is_none")]
    from_open_call: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    classifications: Vec<ClassificationJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    disbursement_transaction: Vec<TransactionJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_modified: Option<String>,
}

/// The decimal's own digits as a JSON number: exact, whatever its size.
fn json_number(amount: Decimal) -> Result<Box<RawValue>, ExportError> {
    Ok(RawValue::from_string(amount_text(amount))?)
}

/// The grant's 360Giving id: the one it was first published under, or the stable id of an
/// award made here.
pub fn published_grant_id(grant: &Grant) -> String {
    grant
        .published_id
        .clone()
        .unwrap_or_else(|| grant_id(&grant.funder.id, &grant.award_id))
}

/// `fromOpenCall`: awards made here come from applications to an open round; for a
/// historic grant fundledger does not know, and says nothing.
fn from_open_call(grant: &Grant) -> Option<&'static str> {
    grant.published_id.is_none().then_some("Yes")
}

fn grant_json(grant: &Grant) -> Result<GrantJson<'_>, ExportError> {
    Ok(GrantJson {
        id: published_grant_id(grant),
        title: &grant.title,
        description: description(grant),
        currency: CURRENCY,
        amount_applied_for: grant.amount_applied_for.map(json_number).transpose()?,
        amount_awarded: json_number(grant.amount_awarded)?,
        amount_disbursed: json_number(grant.amount_disbursed)?,
        award_date: grant.award_date.to_string(),
        planned_dates: grant
            .planned_start
            .map(|start| PlannedJson {
                start_date: start.to_string(),
            })
            .into_iter()
            .collect(),
        recipient_organization: [OrgJson {
            id: &grant.recipient.id,
            name: &grant.recipient.name,
        }],
        funding_organization: [OrgJson {
            id: &grant.funder.id,
            name: &grant.funder.name,
        }],
        grant_programme: grant.programme.iter().collect(),
        beneficiary_location: grant
            .location
            .iter()
            .map(|location| LocationJson {
                name: location.name.as_deref(),
                country_code: COUNTRY_CODE,
                geo_code: &location.code,
                geo_code_type: geo_code_type(&location.code),
            })
            .collect(),
        location_scope: grant
            .location
            .as_ref()
            .and_then(|location| location_scope(&location.code)),
        from_open_call: from_open_call(grant),
        classifications: grant
            .themes
            .iter()
            .map(|theme| ClassificationJson {
                vocabulary: THEME_VOCABULARY,
                code: theme,
                title: theme,
            })
            .collect(),
        disbursement_transaction: grant
            .disbursements
            .iter()
            .map(|payment| {
                Ok(TransactionJson {
                    id: &payment.id,
                    transaction_date: payment.paid_on.to_string(),
                    currency: CURRENCY,
                    value: json_number(payment.amount)?,
                })
            })
            .collect::<Result<_, ExportError>>()?,
        date_modified: grant.date_modified.map(date_time),
    })
}

/// A business date as the full date-time the standard's `dateModified` wants: its start,
/// in UTC (the ledger records dates, not times).
fn date_time(day: Date) -> String {
    format!("{day}T00:00:00Z")
}

#[derive(Serialize)]
struct PackageJson<'a> {
    version: &'static str,
    title: &'a str,
    description: &'a str,
    identifier: &'a str,
    issued: String,
    modified: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    publisher: Option<PublisherJson<'a>>,
}

#[derive(Serialize)]
struct PublisherJson<'a> {
    identifier: &'a str,
    name: &'a str,
}

/// The start of a JSON package, up to and including `"grants":[`. Follow it with
/// [`json_grants`] chunks and end with [`JSON_PACKAGE_END`].
pub fn json_package_start(info: &PackageInfo) -> Result<String, ExportError> {
    let metadata = serde_json::to_string(&PackageJson {
        version: SCHEMA_VERSION,
        title: &info.title,
        description: &info.description,
        identifier: &info.identifier,
        issued: info.issued.date_naive().to_string(),
        modified: info.issued.to_rfc3339_opts(SecondsFormat::Secs, true),
        publisher: info.publisher.as_ref().map(|publisher| PublisherJson {
            identifier: &publisher.id,
            name: &publisher.name,
        }),
    })?;
    // The metadata object always has fields, so it ends `…}`: reopen it for the grants.
    let open = metadata
        .strip_suffix('}')
        .expect("a serialised object ends with '}'");
    Ok(format!("{open},\"grants\":["))
}

/// The end of a JSON package.
pub const JSON_PACKAGE_END: &str = "\n]}\n";

/// Grants as JSON array items, one per line; `first` says whether these are the
/// package's first (no leading comma).
pub fn json_grants(grants: &[Grant], first: bool) -> Result<String, ExportError> {
    let mut out = String::new();
    for (index, grant) in grants.iter().enumerate() {
        if index > 0 || !first {
            out.push(',');
        }
        out.push('\n');
        match &grant.published_fields {
            Some(published) => out.push_str(published),
            None => out.push_str(&serde_json::to_string(&grant_json(grant)?)?),
        }
    }
    Ok(out)
}

/// A whole JSON package in memory (for small registers and tests; the server streams).
pub fn json_package(info: &PackageInfo, grants: &[Grant]) -> Result<String, ExportError> {
    Ok(format!(
        "{}{}{JSON_PACKAGE_END}",
        json_package_start(info)?,
        json_grants(grants, true)?
    ))
}

// ---------------------------------------------------------------- CSV

/// The CSV columns: the schema's titles, joined by `:` for nested fields, as the
/// 360Giving spreadsheet template (flatten-tool) names them.
pub const CSV_COLUMNS: [&str; 22] = [
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

fn csv_record(grant: &Grant) -> Result<[String; 22], ExportError> {
    if let Some(published) = &grant.published_fields {
        return published_csv_record(published);
    }
    let location = grant.location.as_ref();
    Ok([
        published_grant_id(grant),
        grant.title.clone(),
        description(grant),
        CURRENCY.to_string(),
        amount_text(grant.amount_awarded),
        amount_text(grant.amount_disbursed),
        grant.award_date.to_string(),
        grant.recipient.id.clone(),
        grant.recipient.name.clone(),
        grant.funder.id.clone(),
        grant.funder.name.clone(),
        grant
            .programme
            .as_ref()
            .map(|programme| programme.code.clone())
            .unwrap_or_default(),
        grant
            .programme
            .as_ref()
            .map(|programme| programme.title.clone())
            .unwrap_or_default(),
        location
            .and_then(|location| location.name.clone())
            .unwrap_or_default(),
        location
            .map(|_| COUNTRY_CODE.to_string())
            .unwrap_or_default(),
        location
            .map(|location| location.code.clone())
            .unwrap_or_default(),
        location
            .and_then(|location| geo_code_type(&location.code))
            .unwrap_or_default()
            .to_string(),
        location
            .and_then(|location| location_scope(&location.code))
            .unwrap_or_default()
            .to_string(),
        from_open_call(grant).unwrap_or_default().to_string(),
        grant
            .amount_applied_for
            .map(amount_text)
            .unwrap_or_default(),
        grant
            .planned_start
            .map(|start| start.to_string())
            .unwrap_or_default(),
        grant.date_modified.map(date_time).unwrap_or_default(),
    ])
}

/// The CSV row of a grant republished from its published fields: the same columns,
/// read from them (numbers in their own digits; the first of each list, as the
/// one-row-per-grant template holds one).
fn published_csv_record(published: &str) -> Result<[String; 22], ExportError> {
    let fields: std::collections::HashMap<&str, &RawValue> = serde_json::from_str(published)?;
    let value = |name: &str| -> Result<serde_json::Value, ExportError> {
        Ok(match fields.get(name) {
            Some(raw) => serde_json::from_str(raw.get())?,
            None => serde_json::Value::Null,
        })
    };
    let number = |name: &str| {
        fields
            .get(name)
            .map(|raw| raw.get().to_string())
            .unwrap_or_default()
    };
    let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_string();
    let recipient = value("recipientOrganization")?;
    let funder = value("fundingOrganization")?;
    let programme = value("grantProgramme")?;
    let location = value("beneficiaryLocation")?;
    Ok([
        text(&value("id")?),
        text(&value("title")?),
        text(&value("description")?),
        text(&value("currency")?),
        number("amountAwarded"),
        number("amountDisbursed"),
        text(&value("awardDate")?),
        text(&recipient[0]["id"]),
        text(&recipient[0]["name"]),
        text(&funder[0]["id"]),
        text(&funder[0]["name"]),
        text(&programme[0]["code"]),
        text(&programme[0]["title"]),
        text(&location[0]["name"]),
        text(&location[0]["countryCode"]),
        text(&location[0]["geoCode"]),
        text(&location[0]["geoCodeType"]),
        text(&value("locationScope")?),
        text(&value("fromOpenCall")?),
        number("amountAppliedFor"),
        text(&value("plannedDates")?[0]["startDate"]),
        text(&value("dateModified")?),
    ])
}

/// The start of the CSV file: a UTF-8 byte order mark (so a spreadsheet reads it as
/// UTF-8; flatten-tool and CoVE skip it) and the header line. Lines end CRLF.
pub fn csv_header() -> Result<Vec<u8>, ExportError> {
    spreadsheet::header(&CSV_COLUMNS)
}

/// The columns that hold numbers (amounts, written as the decimal's own digits): the only
/// cells written as they are. Every other cell is text and goes through [`csv_text_cell`].
const CSV_NUMBER_COLUMNS: [usize; 3] = [4, 5, 19];

/// CSV lines for `grants` (no header).
pub fn csv_rows(grants: &[Grant]) -> Result<Vec<u8>, ExportError> {
    let mut writer = spreadsheet::writer();
    for grant in grants {
        let mut record = csv_record(grant)?;
        for (column, cell) in record.iter_mut().enumerate() {
            // A number stays a number (a spreadsheet sums it); anything else in a number
            // column (a republished grant's field may hold text) is text.
            let is_number = CSV_NUMBER_COLUMNS.contains(&column)
                && serde_json::from_str::<serde_json::Number>(cell).is_ok();
            if !is_number {
                *cell = csv_text_cell(std::mem::take(cell));
            }
        }
        writer.write_record(record)?;
    }
    spreadsheet::finish(writer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn grant() -> Grant {
        Grant {
            award_id: "AW-0001".into(),
            published_id: None,
            title: "Hull Community Larder".into(),
            amount_awarded: dec!(10000.50),
            amount_disbursed: dec!(4000.25),
            returned: Decimal::ZERO,
            amount_applied_for: Some(dec!(12000.00)),
            planned_start: Some("2026-01-12".parse().unwrap()),
            disbursements: vec![Disbursement {
                id: disbursement_id("360G-GB-CHC-0000001-AW-0001", "AW-0001", "DD-1"),
                paid_on: "2026-02-02".parse().unwrap(),
                amount: dec!(4000.25),
            }],
            date_modified: Some("2026-02-02".parse().unwrap()),
            published_fields: None,
            award_date: "2026-01-10".parse().unwrap(),
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
                code: "E01012761".into(),
                name: Some("Kingston upon Hull 015A".into()),
            }),
            themes: vec!["food".into()],
        }
    }

    #[test]
    fn grant_ids_are_360g_prefixed_and_never_prefixed_twice() {
        assert_eq!(
            grant_id("GB-CHC-0000001", "AW-7"),
            "360G-GB-CHC-0000001-AW-7"
        );
        assert_eq!(grant_id("360G-lottery", "AW-7"), "360G-lottery-AW-7");
    }

    #[test]
    fn amounts_are_written_as_exact_json_numbers() {
        let json = json_grants(&[grant()], true).unwrap();
        assert!(json.contains("\"amountAwarded\":10000.50"), "{json}");
        assert!(json.contains("\"amountDisbursed\":4000.25"), "{json}");
        let mut big = grant();
        big.amount_awarded = dec!(999999999999.99);
        let json = json_grants(&[big], true).unwrap();
        assert!(json.contains("\"amountAwarded\":999999999999.99"), "{json}");
    }

    #[test]
    fn geo_code_types_follow_the_entity_prefix() {
        assert_eq!(geo_code_type("E01012761"), Some("LSOA"));
        assert_eq!(geo_code_type("E06000010"), Some("UA"));
        assert_eq!(geo_code_type("E08000012"), Some("MD"));
        assert_eq!(geo_code_type("E12000003"), Some("RGN/GOR"));
        assert_eq!(geo_code_type("S01000001"), Some("DZ"));
        assert_eq!(geo_code_type("E92000001"), None);
        assert_eq!(location_scope("E01012761"), Some("GLS060"));
        assert_eq!(location_scope("E06000010"), Some("GLS050"));
    }

    #[test]
    fn package_chunks_join_into_one_json_document() {
        let info = PackageInfo {
            title: "t".into(),
            description: "d".into(),
            identifier: "i".into(),
            publisher: None,
            issued: "2026-02-01T10:00:00Z".parse().unwrap(),
        };
        let mut text = json_package_start(&info).unwrap();
        text.push_str(&json_grants(&[grant()], true).unwrap());
        let mut second = grant();
        second.award_id = "AW-0002".into();
        text.push_str(&json_grants(&[second], false).unwrap());
        text.push_str(JSON_PACKAGE_END);
        let package: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(package["grants"].as_array().unwrap().len(), 2);
        assert_eq!(package["version"], "1.4");
        assert_eq!(package["modified"], "2026-02-01T10:00:00Z");
        assert_eq!(package["grants"][1]["id"], "360G-GB-CHC-0000001-AW-0002");
    }

    #[test]
    fn csv_rows_have_one_cell_per_column_and_exact_amounts() {
        let mut bytes = csv_header().unwrap();
        bytes.extend(csv_rows(&[grant()]).unwrap());
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let headers = reader.headers().unwrap().clone();
        assert_eq!(headers.iter().collect::<Vec<_>>(), CSV_COLUMNS.to_vec());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(row.len(), CSV_COLUMNS.len());
        assert_eq!(&row[4], "10000.50");
        assert_eq!(&row[16], "LSOA");
    }

    fn csv_row(grant: &Grant) -> csv::StringRecord {
        let bytes = csv_rows(std::slice::from_ref(grant)).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice());
        reader.records().next().unwrap().unwrap()
    }

    #[test]
    fn text_cells_that_a_spreadsheet_would_run_are_quoted() {
        for (hostile, written) in [
            ("=1+1", "'=1+1"),
            ("+44 20", "'+44 20"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "'\r=1+1"),
            ("  =1+1", "'  =1+1"),
            ("Larder = food", "Larder = food"),
        ] {
            let mut hostile_grant = grant();
            hostile_grant.title = hostile.into();
            hostile_grant.recipient.name = hostile.into();
            hostile_grant.funder.id = hostile.into();
            let row = csv_row(&hostile_grant);
            assert_eq!(&row[1], written, "title {hostile:?}");
            assert_eq!(&row[8], written, "recipient name {hostile:?}");
            assert_eq!(&row[9], written, "funder id {hostile:?}");
            // Amounts stay numbers.
            assert_eq!(&row[4], "10000.50");
            assert_eq!(&row[19], "12000.00");
        }
    }

    #[test]
    fn a_republished_grant_is_quoted_too_and_its_numbers_stay_numbers() {
        let mut historic = grant();
        historic.published_fields = Some(
            r#"{"id":"360G-x","title":"\t=HYPERLINK(\"http://evil\")","amountAwarded":-5,"amountAppliedFor":"=1+1","recipientOrganization":[{"id":"@id","name":"-n"}]}"#
                .into(),
        );
        let row = csv_row(&historic);
        assert_eq!(&row[1], "'\t=HYPERLINK(\"http://evil\")");
        assert_eq!(&row[4], "-5");
        // A string where a number belongs is written as its JSON text, quotes and all:
        // text, and not a formula.
        assert_eq!(&row[19], "\"=1+1\"");
        assert_eq!(&row[7], "'@id");
        assert_eq!(&row[8], "'-n");
    }
}
