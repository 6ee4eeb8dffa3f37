//! GraphQL fields the officer's work screens need (issue 14): a fund and a round as their
//! officers manage them. The same `Fund` and `Round` the public reads, but refused
//! (`FORBIDDEN`) to anyone who is not an officer of the fund, so a screen that reads
//! through them shows another fund's officer nothing (not even that the fund exists).

use async_graphql::{Context, Object};
use domain::{FundId, RoundId};
use projections::read;

use super::context::{require_officer_of, require_officer_of_round, state};
use super::errors::{Coded, GqlResult};
use super::types::{Fund, Round};

#[derive(Default)]
pub struct OfficerQuery;

// Merged into the schema's `Query` (schema.rs); this part's own name never shows.
#[Object(name = "OfficerQuery")]
impl OfficerQuery {
    /// An officer of the fund: the fund, as `fund` answers it (null when there is no such
    /// fund, for an owner); `FORBIDDEN` to anyone else, whether or not the fund exists.
    async fn managed_fund(&self, ctx: &Context<'_>, id: String) -> GqlResult<Option<Fund>> {
        let fund = FundId::new(id.trim());
        require_officer_of(ctx, &fund)?;
        let found = read::fund_position(state(ctx).database(), &fund, None)
            .await
            .coded()?;
        Ok(found.map(Fund))
    }

    /// An officer of the round's fund: the round, as `round` answers it; `FORBIDDEN` to
    /// anyone else, whether or not the round exists.
    async fn managed_round(&self, ctx: &Context<'_>, id: String) -> GqlResult<Option<Round>> {
        let round = RoundId::new(id.trim());
        require_officer_of_round(ctx, &round).await?;
        let found = read::round_summary(state(ctx).database(), &round)
            .await
            .coded()?;
        Ok(found.map(Round))
    }
}
