//! `GET /areas/{code}/awards.csv`: the awards in an area and every area below it, one row
//! each, oldest first (the day awarded, then id), read page by page through the public
//! GraphQL schema (`awards(filter: {neighbourhood}, orderBy: AWARDED_ON, asOf)`), so every
//! amount is the API's own and the rows' count is the area's `totals.awardCount`.
//! `?asOf=` gives the awards made by the end of that day with their amounts then.
//! The file itself is written by `infrastructure::export::award_list`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use infrastructure::export::award_list::{self, AwardLine};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{attachment, plain, prepare, KnownArea};
use crate::server::http::App;
use crate::web::public::frame::{self, PageQuery};
use crate::web::work::gql::{self, Problem};

/// Awards read per GraphQL page: 200 awards of 16 fields stay under the schema's
/// complexity cap (`MAX_QUERY_COMPLEXITY`).
const PAGE_AWARDS: usize = 200;

/// Areas named per GraphQL query (one aliased `neighbourhood` each): light enough not to
/// wait for the heavy operations' turn.
const PLACES_PER_QUERY: usize = 100;

const AWARDS_QUERY: &str = "query($code: GeoCode!, $asOf: Date, $first: Int!, $after: String) {
  awards(filter: { neighbourhood: $code }, orderBy: AWARDED_ON, asOf: $asOf, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id awardedOn title recipientName recipientOrgId neighbourhood fundId roundId
                   awarded paid returned disbursed spendReported status } }
  }
}";

const NAMES_QUERY: &str = "{ funds { id name } rounds { id name } }";

/// What a path segment may hold unencoded (RFC 3986 unreserved).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `GET /areas/{code}/awards.csv`
pub async fn area_csv(
    State(app): State<App>,
    Path(code): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/areas/{code}/awards.csv");
    let as_of = match frame::as_of(&path, &query) {
        Ok(as_of) => as_of,
        Err(answered) => return answered,
    };
    let (tag, area) = match prepare(&app, &headers, &code).await {
        Ok(prepared) => prepared,
        Err(answered) => return answered,
    };
    let file_name = file_name(&area, as_of);
    let mut rows = match AwardRows::open(app, area, as_of).await {
        Ok(rows) => rows,
        Err(problem) => return frame::problem(&problem),
    };
    // The header and the first page before answering: a failure here is a status, not a
    // cut-short file. An area without awards gets the header alone.
    let first = match first_chunk(&mut rows).await {
        Ok(first) => first,
        Err(failed) => return failed.answer(),
    };
    let rest = futures::stream::try_unfold(rows, |mut rows| async move {
        Ok::<_, DownloadFailed>(rows.next_chunk().await?.map(|chunk| (chunk, rows)))
    });
    attachment("text/csv; charset=utf-8", &file_name, first, rest, tag)
}

async fn first_chunk(rows: &mut AwardRows) -> Result<Bytes, DownloadFailed> {
    let mut head = award_list::header()?;
    if let Some(first_rows) = rows.next_chunk().await? {
        head.extend(first_rows);
    }
    Ok(Bytes::from(head))
}

/// `awards-E06000010.csv`, or `awards-E06000010-asof-2025-03-31.csv`.
fn file_name(area: &KnownArea, as_of: Option<domain::Date>) -> String {
    match as_of {
        Some(date) => format!("awards-{}-asof-{date}.csv", area.code),
        None => format!("awards-{}.csv", area.code),
    }
}

/// Why the file stopped.
#[derive(Debug, thiserror::Error)]
enum DownloadFailed {
    #[error("reading the awards through GraphQL: {} ({})", .0.message, .0.code)]
    Read(Problem),
    #[error(transparent)]
    Write(#[from] infrastructure::export::ExportError),
}

impl DownloadFailed {
    fn answer(&self) -> Response {
        match self {
            DownloadFailed::Read(problem) => frame::problem(problem),
            DownloadFailed::Write(error) => {
                plain(StatusCode::INTERNAL_SERVER_ERROR, format!("{error}\n"))
            }
        }
    }
}

impl From<Problem> for DownloadFailed {
    fn from(problem: Problem) -> Self {
        DownloadFailed::Read(problem)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AwardsData {
    awards: AwardConnection,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AwardConnection {
    page_info: PageInfo,
    edges: Vec<AwardEdge>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AwardEdge {
    node: AwardNode,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AwardNode {
    id: String,
    awarded_on: domain::Date,
    title: String,
    recipient_name: String,
    recipient_org_id: String,
    neighbourhood: Option<String>,
    fund_id: String,
    round_id: Option<String>,
    awarded: Decimal,
    paid: Decimal,
    returned: Decimal,
    disbursed: Decimal,
    spend_reported: Decimal,
    status: String,
}

#[derive(Debug, Deserialize)]
struct Names {
    funds: Vec<Named>,
    rounds: Vec<Named>,
}

#[derive(Debug, Deserialize)]
struct Named {
    id: String,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlaceNames {
    name: Option<String>,
    local_authority: Option<AreaName>,
}

#[derive(Debug, Deserialize)]
struct AreaName {
    name: Option<String>,
}

/// The area's awards, a GraphQL page at a time, as CSV rows. Fund, round and place names
/// are read once and kept for the rest of the file.
struct AwardRows {
    app: App,
    code: String,
    as_of: Option<domain::Date>,
    after: Option<String>,
    finished: bool,
    funds: HashMap<String, String>,
    rounds: HashMap<String, String>,
    /// Code → (place name, local authority name), empty where the geography has none.
    places: HashMap<String, (String, String)>,
    /// The service's address, for each award's public page.
    public_url: String,
}

impl AwardRows {
    async fn open(
        app: App,
        area: KnownArea,
        as_of: Option<domain::Date>,
    ) -> Result<AwardRows, Problem> {
        let names: Names = gql::read_public(&app, NAMES_QUERY, json!({})).await?;
        let public_url = app.state.web.public_url.trim_end_matches('/').to_string();
        let by_id = |list: Vec<Named>| {
            list.into_iter()
                .map(|named| (named.id, named.name))
                .collect()
        };
        Ok(AwardRows {
            app,
            code: area.code.to_string(),
            as_of,
            after: None,
            finished: false,
            funds: by_id(names.funds),
            rounds: by_id(names.rounds),
            places: HashMap::new(),
            public_url,
        })
    }

    /// The next page's CSV lines; `None` once every award has been written.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, DownloadFailed> {
        if self.finished {
            return Ok(None);
        }
        let data: AwardsData = gql::read_public(
            &self.app,
            AWARDS_QUERY,
            json!({
                "code": self.code,
                "asOf": self.as_of.map(|date| date.to_string()),
                "first": PAGE_AWARDS,
                "after": self.after,
            }),
        )
        .await?;
        let connection = data.awards;
        self.finished = !connection.page_info.has_next_page || connection.edges.is_empty();
        self.after = connection.page_info.end_cursor;
        if connection.edges.is_empty() {
            return Ok(None);
        }
        let nodes: Vec<AwardNode> = connection.edges.into_iter().map(|edge| edge.node).collect();
        self.learn_places(&nodes).await?;
        let lines: Vec<AwardLine> = nodes.into_iter().map(|node| self.line(node)).collect();
        Ok(Some(Bytes::from(award_list::rows(&lines)?)))
    }

    /// Reads the names of the awards' areas not seen before, many to a query.
    async fn learn_places(&mut self, nodes: &[AwardNode]) -> Result<(), Problem> {
        let mut unknown: Vec<String> = nodes
            .iter()
            .filter_map(|node| node.neighbourhood.clone())
            .filter(|code| !self.places.contains_key(code))
            .collect();
        unknown.sort();
        unknown.dedup();
        for codes in unknown.chunks(PLACES_PER_QUERY) {
            let (query, variables) = places_query(codes);
            let mut data: Map<String, Value> =
                gql::read_public(&self.app, &query, Value::Object(variables)).await?;
            for (index, code) in codes.iter().enumerate() {
                let names: PlaceNames = data
                    .remove(&format!("p{index}"))
                    .map(gql::decode)
                    .transpose()?
                    .unwrap_or(PlaceNames {
                        name: None,
                        local_authority: None,
                    });
                let authority = names
                    .local_authority
                    .and_then(|authority| authority.name)
                    .unwrap_or_default();
                self.places
                    .insert(code.clone(), (names.name.unwrap_or_default(), authority));
            }
        }
        Ok(())
    }

    fn line(&self, node: AwardNode) -> AwardLine {
        let (place_name, local_authority) = node
            .neighbourhood
            .as_ref()
            .and_then(|code| self.places.get(code))
            .cloned()
            .unwrap_or_default();
        let round = node
            .round_id
            .as_ref()
            .and_then(|round| self.rounds.get(round))
            .cloned()
            .unwrap_or_default();
        AwardLine {
            page: format!(
                "{}/awards/{}",
                self.public_url,
                utf8_percent_encode(&node.id, PATH_SEGMENT)
            ),
            award_id: node.id,
            awarded_on: node.awarded_on,
            title: node.title,
            recipient_name: node.recipient_name,
            recipient_org_id: node.recipient_org_id,
            place_name,
            place_code: node.neighbourhood.unwrap_or_default(),
            local_authority,
            fund: self.funds.get(&node.fund_id).cloned().unwrap_or_default(),
            round,
            awarded: node.awarded,
            paid: node.paid,
            returned: node.returned,
            disbursed: node.disbursed,
            reported_spend: node.spend_reported,
            status: status_words(&node.status).to_string(),
        }
    }
}

/// One query naming `codes`, each aliased `p{index}` with its own variable.
fn places_query(codes: &[String]) -> (String, Map<String, Value>) {
    let mut parameters = Vec::with_capacity(codes.len());
    let mut fields = String::new();
    let mut variables = Map::new();
    for (index, code) in codes.iter().enumerate() {
        parameters.push(format!("$c{index}: GeoCode!"));
        fields.push_str(&format!(
            " p{index}: neighbourhood(code: $c{index}) {{ name localAuthority {{ name }} }}"
        ));
        variables.insert(format!("c{index}"), Value::String(code.clone()));
    }
    (
        format!("query({}) {{{fields} }}", parameters.join(", ")),
        variables,
    )
}

/// An award's status in words, as a person reads it.
fn status_words(status: &str) -> &'static str {
    match status {
        "OFFERED" => "Offered (agreement not yet accepted)",
        "ACTIVE" => "Active",
        "CLOSED" => "Closed",
        "HISTORIC" => "Historic (made before this ledger)",
        _ => "Not known",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_named_in_one_query_with_a_variable_each() {
        let (query, variables) = places_query(&["E01012761".into(), "E05001234".into()]);
        assert_eq!(
            query,
            "query($c0: GeoCode!, $c1: GeoCode!) { \
             p0: neighbourhood(code: $c0) { name localAuthority { name } } \
             p1: neighbourhood(code: $c1) { name localAuthority { name } } }"
        );
        assert_eq!(variables["c1"], "E05001234");
    }

    #[test]
    fn every_status_has_words() {
        for status in ["OFFERED", "ACTIVE", "CLOSED", "HISTORIC"] {
            assert!(!status_words(status).contains('_'));
            assert_ne!(status_words(status), "Not known");
        }
    }
}
