//! Finding things by what people type (issue 15, `/search`): where a postcode lies
//! (`postcode`, from the lookup `fundledger import postcodes` loads), whether a lookup is
//! loaded (`postcodesAvailable`), and recipients and awards by text (`search`). Public:
//! the same for every viewer.

use async_graphql::{Context, Object, SimpleObject};
use domain::GeoCode;
use infrastructure::postcodes::{normalise_postcode, PostcodePlace};
use projections::read;

use super::context::state;
use super::errors::{coded, Coded, GqlResult, BAD_INPUT};
use super::scalars::MoneyValue;
use super::types::{Award, Neighbourhood};

/// The longest text `search` reads: longer than any name or title people type.
pub const MAX_SEARCH_TEXT_CHARS: usize = 120;
/// Results of each kind `search` answers when the client names no `first`.
pub const DEFAULT_SEARCH_RESULTS: u32 = 10;

#[derive(Default)]
pub struct SearchQuery;

// Merged into the schema's `Query` (schema.rs); this part's own name never shows.
#[Object(name = "SearchQuery")]
impl SearchQuery {
    /// Where a postcode lies: its neighbourhood (LSOA), ward and local authority. Any case
    /// and spacing ("hu11aa"); null when the postcode lookup does not have it (or none is
    /// loaded: see `postcodesAvailable`); BAD_INPUT when the text is not a postcode's shape.
    async fn postcode(&self, ctx: &Context<'_>, code: String) -> GqlResult<Option<PostcodeArea>> {
        let Some(postcode) = normalise_postcode(&code) else {
            return Err(coded(
                "code is not a postcode (for example HU1 1AA)",
                BAD_INPUT,
            ));
        };
        let database = state(ctx).database();
        let place = database
            .postcode_place(&postcode)
            .await
            .map_err(projections::ProjectionError::from)
            .coded()?;
        Ok(place.map(PostcodeArea))
    }

    /// Whether a postcode lookup has been loaded (`fundledger import postcodes`): without
    /// one, `postcode` is always null.
    async fn postcodes_available(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        state(ctx)
            .database()
            .has_postcodes()
            .await
            .map_err(projections::ProjectionError::from)
            .coded()
    }

    /// Recipients whose name contains `text`, and awards whose title or recipient's name
    /// contains it (any case), at most `first` of each (default 10, at most 50). `text`:
    /// 1 to 120 characters. Each list is one bounded read of the award register.
    #[graphql(
        complexity = "2 * first.unwrap_or(DEFAULT_SEARCH_RESULTS as i32).max(1) as usize * child_complexity"
    )]
    async fn search(
        &self,
        ctx: &Context<'_>,
        text: String,
        first: Option<i32>,
    ) -> GqlResult<SearchResults> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_SEARCH_TEXT_CHARS {
            return Err(coded(
                format!("text must be 1 to {MAX_SEARCH_TEXT_CHARS} characters"),
                BAD_INPUT,
            ));
        }
        let first = match first {
            None => DEFAULT_SEARCH_RESULTS,
            Some(first) if (1..=read::MAX_SEARCH_RESULTS as i32).contains(&first) => first as u32,
            Some(first) => {
                return Err(coded(
                    format!(
                        "first must be from 1 to {}, not {first}",
                        read::MAX_SEARCH_RESULTS
                    ),
                    BAD_INPUT,
                ))
            }
        };
        let database = state(ctx).database();
        let recipients = read::search_recipients(database, text, first)
            .await
            .coded()?;
        let awards = read::search_awards(database, text, first).await.coded()?;
        Ok(SearchResults {
            recipients: recipients.into_iter().map(RecipientMatch::from).collect(),
            awards: awards.into_iter().map(Award).collect(),
        })
    }
}

/// Where a postcode lies. The neighbourhood is the postcode directory's LSOA (2011);
/// the ward and local authority are that neighbourhood's in the reference geography
/// (the areas its figures roll up to), or the directory's own where the reference
/// geography does not have the neighbourhood.
pub struct PostcodeArea(pub PostcodePlace);

async fn area(ctx: &Context<'_>, code: &str) -> GqlResult<Option<Neighbourhood>> {
    let Ok(code) = code.parse::<GeoCode>() else {
        return Ok(None);
    };
    let area = read::area(state(ctx).database(), &code).await.coded()?;
    Ok(Some(Neighbourhood { area, totals: None }))
}

#[Object]
impl PostcodeArea {
    /// The postcode as the lookup keeps it: upper case, one space ("HU1 1AA").
    async fn postcode(&self) -> &str {
        &self.0.postcode
    }
    /// Whether the postcode is no longer in use (the directory's termination date is
    /// set); it still names the place it was in.
    async fn terminated(&self) -> bool {
        self.0.terminated.is_some()
    }
    /// The neighbourhood (lower layer super output area) the postcode lies in.
    async fn neighbourhood(&self, ctx: &Context<'_>) -> GqlResult<Option<Neighbourhood>> {
        area(ctx, &self.0.lsoa_code).await
    }
    /// The electoral ward the neighbourhood is in.
    async fn ward(&self, ctx: &Context<'_>) -> GqlResult<Option<Neighbourhood>> {
        match &self.0.ward_code {
            Some(code) => area(ctx, code).await,
            None => Ok(None),
        }
    }
    /// The local authority the neighbourhood is in.
    async fn local_authority(&self, ctx: &Context<'_>) -> GqlResult<Option<Neighbourhood>> {
        match &self.0.lad_code {
            Some(code) => area(ctx, code).await,
            None => Ok(None),
        }
    }
}

/// What `search` found.
#[derive(SimpleObject)]
pub struct SearchResults {
    /// Recipients whose name matches, most awards first.
    pub recipients: Vec<RecipientMatch>,
    /// Awards whose title or recipient's name matches, latest first.
    pub awards: Vec<Award>,
}

/// A recipient whose name matches, with what it has been awarded.
#[derive(SimpleObject)]
pub struct RecipientMatch {
    /// The recipient's organisation id (360Giving org id): `AwardFilter.recipientOrgId`.
    pub org_id: String,
    /// The name on its latest award.
    pub name: String,
    /// Its awards, of every status.
    pub award_count: i32,
    /// Σ its awards' current amounts (after variations), as `Award.awarded`.
    pub awarded: MoneyValue,
}

impl From<read::RecipientMatch> for RecipientMatch {
    fn from(found: read::RecipientMatch) -> RecipientMatch {
        RecipientMatch {
            org_id: found.org_id,
            name: found.name,
            award_count: i32::try_from(found.award_count).unwrap_or(i32::MAX),
            awarded: MoneyValue(found.awarded),
        }
    }
}
