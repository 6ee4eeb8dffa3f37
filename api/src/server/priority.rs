//! GraphQL of a fund's priority-area lists (issue 11 §5): the `declarePriorityAreas`
//! input and the `Equity.priorityLists` rows.

use async_graphql::{InputObject, Object};
use projections::priority_areas::PriorityListView;
use serde::Serialize;

use super::errors::GqlResult;
use super::scalars::{DecimalValue, GeoCodeValue, MoneyValue};

#[derive(InputObject, Debug, Serialize)]
pub struct DeclarePriorityAreasInput {
    pub fund_id: String,
    /// The list's name (e.g. "Doubly disadvantaged"); declaring a name again replaces
    /// that list from then on.
    pub name: String,
    /// Areas of any level of the reference geography (LSOA, MSOA, ward, local authority,
    /// region); every code must be in it. Repeats count once.
    pub areas: Vec<GeoCodeValue>,
    pub idempotency_key: Option<String>,
}

/// One of a fund's priority-area lists, as of a date: its share of the fund's money
/// against its share of the population, and the listed areas that have received nothing.
pub struct PriorityList(pub PriorityListView);

fn geo(code: &str) -> GqlResult<GeoCodeValue> {
    super::types::geo(code)
}

#[Object]
impl PriorityList {
    async fn name(&self) -> &str {
        &self.0.list_name
    }
    /// The business date of the declaration in force.
    async fn declared_on(&self) -> &str {
        &self.0.declared_on
    }
    /// The listed areas, by code.
    async fn areas(&self) -> GqlResult<Vec<GeoCodeValue>> {
        self.0.areas.iter().map(|code| geo(code)).collect()
    }
    /// Σ awarded, as of the date, of the fund's awards made to a listed area or to an
    /// area below one; each award once however many listed areas it lies in. Awards to a
    /// larger area containing listed areas do not count.
    async fn awarded(&self) -> MoneyValue {
        MoneyValue(self.0.awarded)
    }
    /// The fund's awarded total as of the date (historic grants included).
    async fn fund_awarded(&self) -> MoneyValue {
        MoneyValue(self.0.fund_awarded)
    }
    /// `awarded / fundAwarded`, a fraction to 4 places (half away from zero); null when
    /// the fund has awarded nothing.
    async fn money_share(&self) -> Option<DecimalValue> {
        self.0.money_share.map(DecimalValue)
    }
    /// People in the LSOAs that are, or lie below, a listed area (each LSOA once).
    async fn population(&self) -> i64 {
        self.0.population
    }
    /// People in every LSOA of the nations the listed LSOAs are in (each nation's own).
    async fn reference_population(&self) -> i64 {
        self.0.reference_population
    }
    /// `population / referencePopulation`, a fraction to 4 places; null without people.
    async fn population_share(&self) -> Option<DecimalValue> {
        self.0.population_share.map(DecimalValue)
    }
    /// Cold spots: listed areas in which (and below which) the fund had awarded nothing by
    /// the date.
    async fn cold_spots(&self) -> GqlResult<Vec<GeoCodeValue>> {
        self.0.cold_spots.iter().map(|code| geo(code)).collect()
    }
}
