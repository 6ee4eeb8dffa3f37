//! Reading a funder's published 360Giving data (a JSON package `{"grants": [...]}`) into
//! historic grants the ledger can record. Every grant is checked before anything is
//! written: a file with one bad grant is refused whole, and the refusal names each bad
//! grant's id and field.
//!
//! Amounts are read from the number's own text (`RawValue`), never through `f64`. Real
//! files are often written by spreadsheets and scripts that hold amounts as binary
//! floating point, so a pence amount can appear as `41133.770000000004`; such a number is
//! read as the pence amount it stands for (and reported), while a genuine third decimal
//! place (`12.345`) is refused. Amounts are plain digits, as every other input reads
//! them: an exponent form (`1e3`, valid JSON) is refused with the grant and field named.
//! Dates and text follow `domain::dates` and `domain::text`, as GraphQL's do.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime};
use domain::{Date, GeoCode, Money, OrgId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The largest file the import reads (the biggest published funders' files are a few
/// hundred megabytes).
pub const MAX_IMPORT_FILE_BYTES: u64 = 1 << 30;
/// At most this many problems are listed in a refusal; the count says how many there were.
pub const MAX_REPORTED_PROBLEMS: usize = 20;
/// A number with more than 2 decimal places is read as whole pence only when it is this
/// close (relative to its size) to a pence amount: the error of a binary floating-point
/// rendering, many orders below a penny even for £1bn, and far below any real fraction of
/// a penny.
const FLOAT_NOISE_RELATIVE: Decimal = Decimal::from_parts(1, 0, 0, false, 12);
/// The longest amount literal read: a float rendering of pence has at most 17 significant
/// digits, and `Decimal` holds 28.
const MAX_AMOUNT_LITERAL_CHARS: usize = 30;

/// One grant of the file, checked, in the ledger's types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedGrant {
    /// The 360Giving grant id (`360G-…`).
    pub grant_id: String,
    pub title: String,
    pub recipient_org_id: OrgId,
    pub recipient_name: String,
    pub funder_org_id: OrgId,
    pub funder_name: String,
    /// The first beneficiary location whose `geoCode` is a GSS code fundledger knows.
    pub neighbourhood: Option<GeoCode>,
    /// The titles of the grant's programmes, in order, without repeats.
    pub themes: Vec<String>,
    pub amount: Money,
    pub disbursed: Option<Money>,
    pub awarded_on: Date,
    /// Every field of the grant the standard defines ([`STANDARD_GRANT_FIELDS`]), as the
    /// file gave it: a compact JSON object in the file's order, numbers in their own
    /// digits. Fields outside the standard (a publisher's own columns) are left out. Not in
    /// the serialized grant: the import's content hash adds it separately (see
    /// `ledger::import`), so grants imported before it was kept are still recognised.
    #[serde(skip)]
    pub published: Option<String>,
}

/// The fields the 360Giving standard (1.4) defines for a grant: the properties of its
/// grant schema. An imported grant keeps these, and the export publishes them back.
pub const STANDARD_GRANT_FIELDS: [&str; 29] = [
    "id",
    "title",
    "description",
    "currency",
    "amountAppliedFor",
    "amountAwarded",
    "amountDisbursed",
    "awardDate",
    "url",
    "plannedDates",
    "actualDates",
    "recipientIndividual",
    "toIndividualsDetails",
    "recipientOrganization",
    "beneficiaryLocation",
    "fundingOrganization",
    "grantProgramme",
    "fromOpenCall",
    "fundingType",
    "classifications",
    "relatedDocument",
    "applicationTransaction",
    "commitmentTransaction",
    "disbursementTransaction",
    "relatedActivity",
    "dateModified",
    "dataSource",
    "regrantType",
    "locationScope",
];

/// A number the file gave with floating-point noise, and the pence amount it was read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundedAmount {
    pub grant_id: String,
    pub field: &'static str,
    pub literal: String,
    pub read_as: Money,
}

/// A checked file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantFile {
    pub grants: Vec<ImportedGrant>,
    /// Amounts written as binary floating point (`41133.770000000004`), read to the penny.
    pub rounded: Vec<RoundedAmount>,
}

/// What is wrong with one grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantProblem {
    /// The grant's 360Giving id, or `#n` (its place in the file, from 1) if it has none.
    pub grant: String,
    /// The 360Giving field, e.g. `amountAwarded` or `recipientOrganization[0].id`.
    pub field: String,
    pub problem: String,
}

impl std::fmt::Display for GrantProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "grant {}: {} {}", self.grant, self.field, self.problem)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Giving360ImportError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is {bytes} bytes; at most {max} are imported at once")]
    TooLarge { path: String, bytes: u64, max: u64 },
    #[error("{0} is not a 360Giving JSON package: {1}")]
    NotAPackage(String, String),
    #[error("{}", invalid_message(.problems, *.count))]
    Invalid {
        /// The first `MAX_REPORTED_PROBLEMS` problems.
        problems: Vec<GrantProblem>,
        /// How many problems there were in all.
        count: usize,
    },
}

fn invalid_message(problems: &[GrantProblem], count: usize) -> String {
    let mut message = format!(
        "{count} problem{} in the file; nothing was imported:",
        if count == 1 { "" } else { "s" }
    );
    for problem in problems {
        message.push_str("\n  ");
        message.push_str(&problem.to_string());
    }
    if count > problems.len() {
        message.push_str(&format!("\n  … and {} more", count - problems.len()));
    }
    message
}

/// Reads and checks a 360Giving JSON file.
pub fn read_file(path: &Path) -> Result<GrantFile, Giving360ImportError> {
    let shown = path.display().to_string();
    let read_error = |source| Giving360ImportError::Read {
        path: shown.clone(),
        source,
    };
    let bytes = std::fs::metadata(path).map_err(read_error)?.len();
    if bytes > MAX_IMPORT_FILE_BYTES {
        return Err(Giving360ImportError::TooLarge {
            path: shown,
            bytes,
            max: MAX_IMPORT_FILE_BYTES,
        });
    }
    let text = std::fs::read_to_string(path).map_err(read_error)?;
    parse(&text, &shown)
}

#[derive(Deserialize)]
struct RawPackage<'a> {
    #[serde(borrow)]
    grants: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawGrant<'a> {
    id: Option<String>,
    title: Option<String>,
    currency: Option<String>,
    #[serde(borrow)]
    amount_awarded: Option<&'a RawValue>,
    #[serde(borrow)]
    amount_disbursed: Option<&'a RawValue>,
    award_date: Option<String>,
    #[serde(default)]
    recipient_organization: Vec<RawOrganization>,
    #[serde(default)]
    funding_organization: Vec<RawOrganization>,
    #[serde(default)]
    beneficiary_location: Vec<RawLocation>,
    #[serde(default)]
    grant_programme: Vec<RawProgramme>,
}

#[derive(Deserialize)]
struct RawOrganization {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLocation {
    geo_code: Option<String>,
}

#[derive(Deserialize)]
struct RawProgramme {
    title: Option<String>,
}

/// Just the id, to name a grant whose other fields do not parse.
#[derive(Deserialize)]
struct RawId {
    id: Option<serde_json::Value>,
}

/// Checks a 360Giving JSON package given as text (`source` names it in messages).
pub fn parse(text: &str, source: &str) -> Result<GrantFile, Giving360ImportError> {
    let package: RawPackage = serde_json::from_str(text).map_err(|error| {
        Giving360ImportError::NotAPackage(source.to_string(), error.to_string())
    })?;
    let mut problems = Vec::new();
    let mut grants = Vec::with_capacity(package.grants.len());
    let mut rounded = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(package.grants.len());
    for (index, raw) in package.grants.iter().enumerate() {
        let mut check = Check {
            grant: format!("#{}", index + 1),
            problems: &mut problems,
            rounded: &mut rounded,
        };
        let grant: RawGrant = match serde_json::from_str(raw.get()) {
            Ok(grant) => grant,
            Err(error) => {
                if let Ok(RawId {
                    id: Some(serde_json::Value::String(id)),
                }) = serde_json::from_str(raw.get())
                {
                    check.grant = id;
                }
                check.problem("", format!("does not have the 360Giving shape: {error}"));
                continue;
            }
        };
        if let Some(mut grant) = check.grant(grant) {
            let published = published_fields(raw);
            let before = check.problems.len();
            check.published_text(&published);
            if check.problems.len() > before {
                continue;
            }
            grant.published = Some(published);
            if let Some(first) = seen.insert(grant.grant_id.clone(), index) {
                check.problem(
                    "id",
                    format!(
                        "appears twice in the file (grants #{} and #{})",
                        first + 1,
                        index + 1
                    ),
                );
            } else {
                grants.push(grant);
            }
        }
    }
    if problems.is_empty() {
        Ok(GrantFile { grants, rounded })
    } else {
        let count = problems.len();
        problems.truncate(MAX_REPORTED_PROBLEMS);
        Err(Giving360ImportError::Invalid { problems, count })
    }
}

struct Check<'p> {
    grant: String,
    problems: &'p mut Vec<GrantProblem>,
    rounded: &'p mut Vec<RoundedAmount>,
}

impl Check<'_> {
    fn problem(&mut self, field: &str, problem: impl Into<String>) {
        self.problems.push(GrantProblem {
            grant: self.grant.clone(),
            field: field.to_string(),
            problem: problem.into(),
        });
    }

    /// A required one-line text (id, title, name): trimmed, with the ledger's one rule for
    /// text (`domain::text::check_line`: no control or bidi characters, not invisible).
    fn text(&mut self, value: Option<String>, field: &str) -> Option<String> {
        match value.map(|text| text.trim().to_string()) {
            Some(text) if !text.is_empty() => match domain::text::check_line(field, &text) {
                Ok(()) => Some(text),
                Err(error) => {
                    self.problem(field, without_field(&error.to_string(), field));
                    None
                }
            },
            _ => {
                self.problem(field, "is missing");
                None
            }
        }
    }

    /// Every string the grant's standard fields hold (kept and published back): no
    /// control character other than line breaks and tabs, no bidi control.
    fn published_text(&mut self, published: &str) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(published) else {
            return;
        };
        let mut found = None;
        first_bad_string(&value, String::new(), &mut found);
        if let Some((path, error)) = found {
            self.problem(&path, without_field(&error.to_string(), &path));
        }
    }

    fn organization(
        &mut self,
        organizations: Vec<RawOrganization>,
        field: &str,
    ) -> Option<(OrgId, String)> {
        let Some(first) = organizations.into_iter().next() else {
            self.problem(field, "is missing");
            return None;
        };
        let id = self.text(first.id, &format!("{field}[0].id"));
        let name = self.text(first.name, &format!("{field}[0].name"));
        Some((OrgId::new(id?), name?))
    }

    fn amount(&mut self, raw: &RawValue, field: &'static str) -> Option<Money> {
        let literal = raw.get();
        let is_number = literal
            .chars()
            .next()
            .is_some_and(|first| first == '-' || first.is_ascii_digit());
        if !is_number {
            self.problem(field, format!("must be a JSON number, not {literal}"));
            return None;
        }
        // One strict reading of amounts (as GraphQL's): plain digits. `1e3` is a valid JSON
        // number, but no spreadsheet or script writes pounds that way by accident, and
        // reading it would make the import accept what every other input refuses. The
        // float-noise digits (`41133.770000000004`) are longer than `plain_decimal`
        // allows after the point, so they are checked by shape here and read exactly.
        let parsed = is_plain_amount(literal)
            .then(|| Decimal::from_str_exact(literal).ok())
            .flatten();
        let Some(value) = parsed else {
            self.problem(
                field,
                format!(
                    "{literal} is not a plain decimal amount (digits, an optional point and \
                     decimals; exponents such as 1e3 are not read)"
                ),
            );
            return None;
        };
        if value.is_sign_negative() && !value.is_zero() {
            self.problem(field, format!("is negative ({literal})"));
            return None;
        }
        let pence = value.round_dp(2);
        if pence != value {
            let noise = (value - pence).abs();
            if noise > value.abs().max(Decimal::ONE) * FLOAT_NOISE_RELATIVE {
                self.problem(
                    field,
                    format!("{literal} has more than 2 decimal places; amounts are in whole pence"),
                );
                return None;
            }
        }
        match Money::new(pence) {
            Ok(money) => {
                if pence != value {
                    self.rounded.push(RoundedAmount {
                        grant_id: self.grant.clone(),
                        field,
                        literal: literal.to_string(),
                        read_as: money,
                    });
                }
                Some(money)
            }
            Err(error) => {
                self.problem(field, format!("{literal}: {error}"));
                None
            }
        }
    }

    fn check_currency(&mut self, currency: Option<&str>) {
        match currency.map(str::trim) {
            Some("GBP") => {}
            Some(other) => self.problem(
                "currency",
                format!("is {other}; fundledger holds pounds sterling (GBP) only"),
            ),
            None => self.problem("currency", "is missing"),
        }
    }

    /// `amountAwarded` (required) and `amountDisbursed` (optional, at most the award).
    fn amounts(
        &mut self,
        amount_awarded: Option<&RawValue>,
        amount_disbursed: Option<&RawValue>,
    ) -> (Option<Money>, Option<Money>) {
        let amount = match amount_awarded {
            Some(raw) => self.amount(raw, "amountAwarded"),
            None => {
                self.problem("amountAwarded", "is missing");
                None
            }
        };
        let disbursed = amount_disbursed.and_then(|raw| self.amount(raw, "amountDisbursed"));
        if let (Some(amount), Some(disbursed)) = (amount, disbursed) {
            if disbursed > amount {
                self.problem(
                    "amountDisbursed",
                    format!("{disbursed} is more than the {amount} awarded"),
                );
            }
        }
        (amount, disbursed)
    }

    fn award_date(&mut self, award_date: Option<String>) -> Option<Date> {
        match award_date {
            Some(text) => match parse_date(&text) {
                Ok(date) => Some(date),
                Err(problem) => {
                    self.problem("awardDate", problem);
                    None
                }
            },
            None => {
                self.problem("awardDate", "is missing");
                None
            }
        }
    }

    fn grant(&mut self, raw: RawGrant<'_>) -> Option<ImportedGrant> {
        let grant_id = self.text(raw.id, "id");
        if let Some(id) = &grant_id {
            self.grant = id.clone();
        }
        let before = self.problems.len();
        let title = self.text(raw.title, "title");
        self.check_currency(raw.currency.as_deref());
        let (amount, disbursed) = self.amounts(raw.amount_awarded, raw.amount_disbursed);
        let awarded_on = self.award_date(raw.award_date);
        let recipient = self.organization(raw.recipient_organization, "recipientOrganization");
        let funder = self.organization(raw.funding_organization, "fundingOrganization");
        let neighbourhood = first_geo_code(raw.beneficiary_location);
        let themes = programme_titles(raw.grant_programme);
        if self.problems.len() > before {
            return None;
        }
        let (recipient_org_id, recipient_name) = recipient?;
        let (funder_org_id, funder_name) = funder?;
        Some(ImportedGrant {
            grant_id: grant_id?,
            title: title?,
            recipient_org_id,
            recipient_name,
            funder_org_id,
            funder_name,
            neighbourhood,
            themes,
            amount: amount?,
            disbursed,
            awarded_on: awarded_on?,
            // Filled by `parse`, which holds the grant's own text.
            published: None,
        })
    }
}

/// The first beneficiary location whose code is a valid `GeoCode` (others are skipped).
fn first_geo_code(locations: Vec<RawLocation>) -> Option<GeoCode> {
    locations
        .into_iter()
        .filter_map(|location| location.geo_code)
        .find_map(|code| GeoCode::from_str(code.trim()).ok())
}

/// The grant programmes' titles, trimmed, without blanks or repeats, in the file's order.
fn programme_titles(programmes: Vec<RawProgramme>) -> Vec<String> {
    let mut themes: Vec<String> = Vec::new();
    for title in programmes
        .into_iter()
        .filter_map(|programme| programme.title)
    {
        let title = title.trim().to_string();
        if !title.is_empty() && !themes.contains(&title) {
            themes.push(title);
        }
    }
    themes
}

/// The grant's top-level fields in the file's order, each value's own text.
struct FieldsInOrder<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for FieldsInOrder<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = FieldsInOrder<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a grant object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Self::Value, M::Error> {
                let mut fields = Vec::new();
                while let Some(field) = map.next_entry::<String, &'de RawValue>()? {
                    fields.push(field);
                }
                Ok(FieldsInOrder(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// The grant's standard fields as a compact JSON object: each value's own text with the
/// whitespace between tokens removed (strings and numbers are untouched).
fn published_fields(raw: &RawValue) -> String {
    // `raw` already read as a grant object, so it reads as one again.
    let fields = serde_json::from_str::<FieldsInOrder>(raw.get())
        .map(|fields| fields.0)
        .unwrap_or_default();
    let mut out = String::from("{");
    for (name, value) in fields
        .iter()
        .filter(|(name, _)| STANDARD_GRANT_FIELDS.contains(&name.as_str()))
    {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(name).expect("a string serializes"));
        out.push(':');
        push_compact(&mut out, value.get());
    }
    out.push('}');
    out
}

/// Appends JSON text without the insignificant whitespace between its tokens.
fn push_compact(out: &mut String, json: &str) {
    let mut in_string = false;
    let mut escaped = false;
    for character in json.chars() {
        if in_string {
            out.push(character);
            if escaped {
                escaped = false;
            } else if character == '\\' {
                escaped = true;
            } else if character == '"' {
                in_string = false;
            }
        } else if !character.is_ascii_whitespace() {
            in_string = character == '"';
            out.push(character);
        }
    }
}

/// `awardDate` is a date or a date-time (the standard's `date-time`, which publishers
/// also write without an offset); a date-time counts on the date it names in its own
/// offset (the funder's calendar day), not on the UTC one. The date part is read as every
/// date is (`domain::dates::parse_date`: exactly `YYYY-MM-DD`, 1900..=2200), so a
/// date-time's day is its first ten characters; the time after them must be a valid one.
fn parse_date(text: &str) -> Result<Date, String> {
    let text = text.trim();
    let form = || {
        format!(
            "'{text}' is not a date (YYYY-MM-DD) or an RFC 3339 date-time \
             (YYYY-MM-DDThh:mm:ss with an optional offset)"
        )
    };
    let (day, time) = match text.char_indices().nth(10) {
        Some((index, _)) => text.split_at(index),
        None => (text, ""),
    };
    let date = domain::dates::parse_date("awardDate", day).map_err(|error| match error {
        domain::DateTextError::Form { .. } => form(),
        other => without_field(&other.to_string(), "awardDate"),
    })?;
    let time_is_valid = time.is_empty()
        || DateTime::parse_from_rfc3339(text).is_ok()
        || NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").is_ok()
        || NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok();
    if !time_is_valid {
        return Err(form());
    }
    Ok(date)
}

/// `-?DIGITS(.DIGITS)?`, at most `MAX_AMOUNT_LITERAL_CHARS` long: `domain::money`'s
/// grammar, with room after the point for a float rendering's noise digits.
fn is_plain_amount(literal: &str) -> bool {
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    let unsigned = literal.strip_prefix('-').unwrap_or(literal);
    let well_formed = match unsigned.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(unsigned),
    };
    well_formed && literal.len() <= MAX_AMOUNT_LITERAL_CHARS
}

/// A domain message that starts with the field's name, without it (a problem is shown
/// after its field already).
fn without_field(message: &str, field: &str) -> String {
    message
        .strip_prefix(field)
        .map(str::trim_start)
        .unwrap_or(message)
        .to_string()
}

/// The first string in `value` (at `path`) that text may not hold.
fn first_bad_string(
    value: &serde_json::Value,
    path: String,
    found: &mut Option<(String, domain::TextError)>,
) {
    if found.is_some() {
        return;
    }
    match value {
        serde_json::Value::String(text) => {
            if let Err(error) = domain::text::check_any(&path, text) {
                *found = Some((path, error));
            }
        }
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                first_bad_string(item, format!("{path}[{index}]"), found);
            }
        }
        serde_json::Value::Object(fields) => {
            for (name, item) in fields {
                let inner = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                first_bad_string(item, inner, found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(grants: &[&str]) -> String {
        format!("{{\"grants\": [{}]}}", grants.join(","))
    }

    fn grant(id: &str, amount: &str) -> String {
        format!(
            r#"{{"id": "{id}", "title": "A grant", "currency": "GBP", "amountAwarded": {amount},
                "awardDate": "2021-01-26T00:00:00+00:00",
                "recipientOrganization": [{{"id": "GB-CHC-1", "name": "Hall"}}],
                "fundingOrganization": [{{"id": "GB-CHC-2", "name": "Trust"}}],
                "beneficiaryLocation": [{{"name": "UK", "geoCode": "K02000001"}},
                                        {{"name": "London", "geoCode": "E12000007"}}],
                "grantProgramme": [{{"title": "Arts"}}, {{"title": "Arts"}}, {{"title": "Youth"}}]}}"#
        )
    }

    fn problems(text: &str) -> Vec<String> {
        match parse(text, "test.json") {
            Err(Giving360ImportError::Invalid { problems, .. }) => {
                problems.iter().map(ToString::to_string).collect()
            }
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn a_grant_is_read_with_its_first_known_geocode_and_programmes() {
        let file = parse(&package(&[&grant("360G-1", "30000.5")]), "test.json").unwrap();
        let grant = &file.grants[0];
        assert_eq!(grant.amount, "30000.50".parse().unwrap());
        assert_eq!(grant.neighbourhood, Some("E12000007".parse().unwrap()));
        assert_eq!(grant.themes, vec!["Arts".to_string(), "Youth".to_string()]);
        assert_eq!(grant.awarded_on.to_string(), "2021-01-26");
        assert_eq!(grant.funder_org_id, OrgId::new("GB-CHC-2"));
        assert!(file.rounded.is_empty());
    }

    #[test]
    fn the_standard_fields_are_kept_in_order_with_their_own_digits_and_text() {
        let text = r#"{"grants": [{"id": "360G-1", "Website": {"Notes": "x"},
            "title": "A  \"grant\" ", "currency": "GBP",
            "amountAwarded": 41133.770000000004, "awardDate": "2021-01-26",
            "recipientOrganization": [ {"id": "GB-CHC-1", "name": "Hall",
                                        "organisationType": "Charity"} ],
            "fundingOrganization": [{"id": "GB-CHC-2", "name": "Trust"}],
            "plannedDates": [ { "duration": 36 } ]}]}"#;
        let file = parse(text, "t").unwrap();
        assert_eq!(
            file.grants[0].published.as_deref(),
            Some(
                r#"{"id":"360G-1","title":"A  \"grant\" ","currency":"GBP","amountAwarded":41133.770000000004,"awardDate":"2021-01-26","recipientOrganization":[{"id":"GB-CHC-1","name":"Hall","organisationType":"Charity"}],"fundingOrganization":[{"id":"GB-CHC-2","name":"Trust"}],"plannedDates":[{"duration":36}]}"#
            )
        );
        assert_eq!(file.grants[0].title, "A  \"grant\"");
    }

    #[test]
    fn floating_point_noise_is_read_to_the_penny_and_reported() {
        let file = parse(&package(&[&grant("360G-1", "41133.770000000004")]), "t").unwrap();
        assert_eq!(file.grants[0].amount, "41133.77".parse().unwrap());
        assert_eq!(file.rounded.len(), 1);
        assert_eq!(file.rounded[0].literal, "41133.770000000004");
    }

    #[test]
    fn a_third_decimal_place_is_refused_naming_the_grant_and_field() {
        assert_eq!(
            problems(&package(&[&grant("360G-1", "1"), &grant("360G-2", "12.345")])),
            vec!["grant 360G-2: amountAwarded 12.345 has more than 2 decimal places; amounts are in whole pence"]
        );
    }

    #[test]
    fn negative_string_and_missing_amounts_are_refused() {
        let found = problems(&package(&[
            &grant("360G-1", "-5"),
            &grant("360G-2", "\"500\""),
            &grant("360G-3", "null"),
        ]));
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains("360G-1: amountAwarded is negative"));
        assert!(found[1].contains("360G-2: amountAwarded must be a JSON number"));
        assert!(found[2].contains("360G-3: amountAwarded is missing"));
    }

    #[test]
    fn another_currency_is_refused() {
        let usd = grant("360G-9", "100").replace("GBP", "USD");
        assert_eq!(
            problems(&package(&[&usd])),
            vec!["grant 360G-9: currency is USD; fundledger holds pounds sterling (GBP) only"]
        );
    }

    #[test]
    fn a_repeated_grant_id_is_refused() {
        let found = problems(&package(&[&grant("360G-1", "1"), &grant("360G-1", "1")]));
        assert_eq!(
            found,
            vec!["grant 360G-1: id appears twice in the file (grants #1 and #2)"]
        );
    }

    #[test]
    fn exact_amounts_are_never_read_through_floating_point() {
        // 0.1 + 0.2 style values and amounts beyond f64's 15-16 significant digits.
        let file = parse(&package(&[&grant("360G-1", "123456789012.34")]), "t").unwrap();
        assert_eq!(file.grants[0].amount, "123456789012.34".parse().unwrap());
    }

    #[test]
    fn exponent_forms_are_refused_as_graphql_refuses_them() {
        let found = problems(&package(&[
            &grant("360G-1", "1e3"),
            &grant("360G-2", "1.5E2"),
            &grant("360G-3", "100"),
        ]));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].starts_with("grant 360G-1: amountAwarded 1e3 is not a plain decimal amount"),
            "{found:?}"
        );
        assert!(found[1].starts_with("grant 360G-2: amountAwarded 1.5E2"));
    }

    #[test]
    fn award_dates_are_read_in_the_one_strict_form() {
        for ok in [
            "2021-01-26",
            "2021-01-26T00:00:00+00:00",
            "2021-01-26T23:30:00-05:00",
            "2021-01-26T10:00:00Z",
            "2021-01-26T10:00:00",
            "2021-01-26T10:00:00.123Z",
        ] {
            let text = package(&[&grant("360G-1", "1").replace("2021-01-26T00:00:00+00:00", ok)]);
            let file = parse(&text, "t").unwrap_or_else(|error| panic!("{ok}: {error}"));
            assert_eq!(file.grants[0].awarded_on.to_string(), "2021-01-26", "{ok}");
        }
        for bad in [
            "+12026-12-01",
            "-2026-12-01",
            "2026-1-1",
            "0000-01-01",
            "2026-01-01Tnonsense",
            "2026-01-01 junk",
        ] {
            let text = package(&[&grant("360G-1", "1").replace("2021-01-26T00:00:00+00:00", bad)]);
            let found = problems(&text);
            assert_eq!(found.len(), 1, "{bad}: {found:?}");
            assert!(
                found[0].starts_with("grant 360G-1: awardDate "),
                "{found:?}"
            );
        }
        let text =
            package(&[&grant("360G-1", "1").replace("2021-01-26T00:00:00+00:00", "0000-01-01")]);
        assert!(problems(&text)[0].contains("1900-01-01 to 2200-12-31"));
    }

    #[test]
    fn control_and_bidi_characters_are_refused_naming_the_field() {
        let nul = grant("360G-1", "1").replace("A grant", "A\\u0000grant");
        let found = problems(&package(&[&nul]));
        assert_eq!(
            found,
            vec!["grant 360G-1: title contains the control character U+0000 at character 2; text may not hold control characters"]
        );
        let bidi = grant("360G-2", "1").replace("\"Hall\"", "\"Hall\\u202e\"");
        let found = problems(&package(&[&bidi]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "grant 360G-2: recipientOrganization[0].name contains the bidirectional"
            ),
            "{found:?}"
        );
        let blank = grant("360G-3", "1").replace("A grant", "\\u200b\\u200b");
        assert_eq!(
            problems(&package(&[&blank])),
            vec!["grant 360G-3: title holds only spaces or invisible characters; give a visible value"]
        );
        let escape = grant("360G-4", "1").replace("\"Arts\"}, {", "\"Arts\\u001b[2J\"}, {");
        let found = problems(&package(&[&escape]));
        assert!(
            found[0].starts_with(
                "grant 360G-4: grantProgramme[0].title contains the control character U+001B"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn missing_recipient_and_date_are_named() {
        let text = r#"{"grants": [{"id": "360G-7", "title": "t", "currency": "GBP",
            "amountAwarded": 5, "fundingOrganization": [{"id": "F", "name": "Funder"}]}]}"#;
        assert_eq!(
            problems(text),
            vec![
                "grant 360G-7: awardDate is missing",
                "grant 360G-7: recipientOrganization is missing"
            ]
        );
    }
}
