//! The read side of a fund's priority-area lists (issue 11 §5): each list's share of the
//! money against its share of the population, and its cold spots, as of a date. The rows
//! are `models::priority_lists` (`rm_priority_lists`).

use std::collections::{BTreeSet, HashMap};

use domain::FundId;
use infrastructure::Database;
use rust_decimal::Decimal;

use crate::{from_pence, on_pool, ProjectionError};

// ---------------------------------------------------------------- read

/// How many codes one `IN (…)` list binds: within SQLite's limit on bound parameters.
const CODES_PER_QUERY: usize = 1_000;
/// Places kept in a share (a fraction 0..=1), rounded half away from zero.
pub const SHARE_DECIMAL_PLACES: u32 = 4;

/// A fund's priority-area list in the equity view, as of a date.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PriorityListView {
    pub list_name: String,
    /// The business date of the declaration in force.
    pub declared_on: String,
    /// The listed codes, sorted.
    pub areas: Vec<String>,
    /// Σ awarded (as of the date) of the fund's awards made to a listed area or an area
    /// below one; each award once, however many listed areas it lies in.
    pub awarded: Decimal,
    /// The fund's awarded total as of the date (historic grants included).
    pub fund_awarded: Decimal,
    /// `awarded / fund_awarded`, 4 places; `None` when the fund has awarded nothing.
    pub money_share: Option<Decimal>,
    /// People in the LSOAs that are, or lie below, a listed area (each LSOA once).
    pub population: i64,
    /// People in every LSOA of the nations those LSOAs are in (one nation's index is
    /// never pooled with another's; a list across nations counts each nation's).
    pub reference_population: i64,
    /// `population / reference_population`, 4 places; `None` without people.
    pub population_share: Option<Decimal>,
    /// Listed areas in which (and below which) the fund has awarded nothing as of the
    /// date, sorted.
    pub cold_spots: Vec<String>,
}

/// Each of the fund's awards made on or before `as_of` (all when `None`) with its
/// neighbourhood and its awarded amount at the end of that day, in pence.
async fn awards_as_of(
    db: &Database,
    fund: &str,
    as_of: Option<domain::Date>,
) -> Result<Vec<(Option<String>, i64)>, ProjectionError> {
    let rows: Vec<(Option<String>, i64)> = match as_of {
        None => on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT neighbourhood, CAST(awarded_pence AS BIGINT) FROM rm_awards WHERE fund_id = $1"
        )
        .bind(fund)
        .fetch_all(pool)
        .await?
        }),
        Some(day) => on_pool!(db, |pool| sqlx::query_as(
            "SELECT a.neighbourhood, CAST(coalesce(sum(d.awarded_pence), 0) AS BIGINT)
               FROM rm_awards a JOIN rm_award_daily d ON d.award_id = a.award_id
              WHERE a.fund_id = $1 AND a.awarded_on <= $2 AND d.day <= $2
              GROUP BY a.award_id, a.neighbourhood"
        )
        .bind(fund)
        .bind(day.to_string())
        .fetch_all(pool)
        .await?),
    };
    Ok(rows)
}

/// `(ancestor, code)` pairs of `geography_ancestors` for the given codes on one side.
async fn ancestor_pairs(
    db: &Database,
    codes: &[&str],
    by_ancestor: bool,
) -> Result<Vec<(String, String)>, ProjectionError> {
    let column = if by_ancestor { "ancestor" } else { "code" };
    let mut pairs = Vec::new();
    for chunk in codes.chunks(CODES_PER_QUERY) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT ancestor, code FROM geography_ancestors WHERE {column} IN ({})",
            placeholders.join(", ")
        );
        let rows: Vec<(String, String)> = on_pool!(db, |pool| {
            let mut query = sqlx::query_as(&sql);
            for code in chunk {
                query = query.bind(*code);
            }
            query.fetch_all(pool).await?
        });
        pairs.extend(rows);
    }
    Ok(pairs)
}

/// The population of each LSOA with people, and the people of each nation's LSOAs.
async fn lsoa_populations(
    db: &Database,
) -> Result<(HashMap<String, i64>, HashMap<char, i64>), ProjectionError> {
    let rows: Vec<(String, i64)> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT code, CAST(population AS BIGINT) FROM geography
          WHERE level = 'lsoa' AND population IS NOT NULL"
    )
    .fetch_all(pool)
    .await?);
    let mut nations: HashMap<char, i64> = HashMap::new();
    for (code, people) in &rows {
        if let Some(letter) = code.chars().next() {
            *nations.entry(letter).or_default() += people;
        }
    }
    Ok((rows.into_iter().collect(), nations))
}

fn share(part: i64, whole: i64) -> Option<Decimal> {
    if whole <= 0 {
        return None;
    }
    let mut value = (Decimal::from(part) / Decimal::from(whole)).round_dp_with_strategy(
        SHARE_DECIMAL_PLACES,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    );
    value.rescale(SHARE_DECIMAL_PLACES);
    Some(value)
}

/// Each award's neighbourhood with every area at or above it (itself included, also when
/// the geography does not know it), and its awarded pence.
type PlacedAwards = Vec<(BTreeSet<String>, i64)>;

async fn place_awards(
    db: &Database,
    awards: Vec<(Option<String>, i64)>,
) -> Result<PlacedAwards, ProjectionError> {
    let areas: BTreeSet<&str> = awards
        .iter()
        .filter_map(|(area, _)| area.as_deref())
        .collect();
    let mut above: HashMap<String, BTreeSet<String>> = HashMap::new();
    let areas: Vec<&str> = areas.into_iter().collect();
    for (ancestor, code) in ancestor_pairs(db, &areas, false).await? {
        above.entry(code).or_default().insert(ancestor);
    }
    Ok(awards
        .into_iter()
        .filter_map(|(area, pence)| {
            let area = area?;
            let mut ancestors = above.remove(&area).unwrap_or_default();
            ancestors.insert(area);
            Some((ancestors, pence))
        })
        .collect())
}

/// One list's figures from the fund's placed awards and the populations.
async fn list_view(
    db: &Database,
    row: (String, String, String),
    awards: &PlacedAwards,
    fund_pence: i64,
    populations: &(HashMap<String, i64>, HashMap<char, i64>),
) -> Result<PriorityListView, ProjectionError> {
    let (list_name, areas, declared_on) = row;
    let codes: Vec<&str> = areas.split_whitespace().collect();
    let listed: BTreeSet<&str> = codes.iter().copied().collect();
    let mut awarded_pence = 0;
    let mut received: BTreeSet<&str> = BTreeSet::new();
    for (ancestors, pence) in awards {
        let hits: Vec<&str> = ancestors
            .iter()
            .map(String::as_str)
            .filter(|code| listed.contains(code))
            .collect();
        if hits.is_empty() {
            continue;
        }
        awarded_pence += pence;
        if *pence > 0 {
            received.extend(hits);
        }
    }
    let (lsoa_people, nation_people) = populations;
    let mut lsoas: BTreeSet<String> = BTreeSet::new();
    for (_, code) in ancestor_pairs(db, &codes, true).await? {
        if lsoa_people.contains_key(&code) {
            lsoas.insert(code);
        }
    }
    let population: i64 = lsoas.iter().map(|code| lsoa_people[code]).sum();
    let nations: BTreeSet<char> = lsoas
        .iter()
        .filter_map(|code| code.chars().next())
        .collect();
    let reference_population: i64 = nations
        .iter()
        .map(|nation| nation_people.get(nation).copied().unwrap_or(0))
        .sum();
    Ok(PriorityListView {
        list_name,
        declared_on,
        cold_spots: codes
            .iter()
            .filter(|code| !received.contains(*code))
            .map(|code| code.to_string())
            .collect(),
        areas: codes.iter().map(|code| code.to_string()).collect(),
        awarded: from_pence(awarded_pence),
        fund_awarded: from_pence(fund_pence),
        money_share: share(awarded_pence, fund_pence),
        population,
        reference_population,
        population_share: share(population, reference_population),
    })
}

/// The fund's priority-area lists, by name, with their share of the money against their
/// share of the population and their cold spots, as of the end of `as_of` (now when
/// `None`). `None` when the fund does not exist.
pub async fn priority_lists(
    db: &Database,
    fund: &FundId,
    as_of: Option<domain::Date>,
) -> Result<Option<Vec<PriorityListView>>, ProjectionError> {
    let found: i64 = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT CAST(count(*) AS BIGINT) FROM rm_funds WHERE fund_id = $1"
    )
    .bind(fund.as_str())
    .fetch_one(pool)
    .await?);
    if found == 0 {
        return Ok(None);
    }
    let lists: Vec<(String, String, String)> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT list_name, areas, declared_on FROM rm_priority_lists
          WHERE fund_id = $1 ORDER BY list_name"
    )
    .bind(fund.as_str())
    .fetch_all(pool)
    .await?);
    if lists.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let awards = awards_as_of(db, fund.as_str(), as_of).await?;
    let fund_pence: i64 = awards.iter().map(|(_, pence)| pence).sum();
    let awards = place_awards(db, awards).await?;
    let populations = lsoa_populations(db).await?;
    let mut views = Vec::with_capacity(lists.len());
    for row in lists {
        views.push(list_view(db, row, &awards, fund_pence, &populations).await?);
    }
    Ok(Some(views))
}
