//! The query root. Every field reads the read models (never replays events); the one
//! exception is panel detail on an application (scores, conflicts), which the register
//! does not keep and which is read from that one application's aggregate.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, Object};
use domain::{AwardId, FundId, RoundId};
use projections::read;

use super::context::{require_any_member, state};
use super::errors::{coded, Coded, GqlResult, BAD_INPUT};
use super::scalars::{DateValue, GeoCodeValue};
use super::schema::UNPAGED_LIST_ITEMS;
use super::social::SocialReturn;
use super::types::{
    award_connection, page_size, Award, AwardConnection, AwardStatus, Equity, Fund, GeoLevel,
    LedgerHead, Neighbourhood, NeighbourhoodConnection, NeighbourhoodOrder, Round, RoundStatus,
    Totals, DEFAULT_PAGE_SIZE,
};

/// Which awards a list or a total covers; empty fields do not filter.
#[derive(InputObject, Debug, Default, Clone)]
pub struct AwardFilter {
    /// Awards in this area or any area below it.
    pub neighbourhood: Option<GeoCodeValue>,
    pub round: Option<String>,
    pub fund: Option<String>,
    pub recipient_org_id: Option<String>,
    pub theme: Option<String>,
    pub status: Option<AwardStatus>,
    pub awarded_from: Option<DateValue>,
    pub awarded_to: Option<DateValue>,
}

impl AwardFilter {
    fn to_read(&self) -> read::AwardFilter {
        read::AwardFilter {
            neighbourhood: self.neighbourhood.as_ref().map(|code| code.0.clone()),
            round: self.round.clone().map(RoundId::new),
            fund: self.fund.clone().map(FundId::new),
            recipient_org_id: self.recipient_org_id.clone(),
            recipient_org_ids: None,
            theme: self.theme.clone(),
            status: self.status.map(|status| status.as_read().to_string()),
            awarded_from: self.awarded_from.map(|date| date.0),
            awarded_to: self.awarded_to.map(|date| date.0),
        }
    }
}

/// The order of an awards list; awards made on the same day go by id.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum AwardOrder {
    /// By award id (the register's own order).
    #[default]
    Id,
    /// Oldest first: by the day the award was made (`awardedOn`), then id.
    AwardedOn,
    /// Latest first: by the day the award was made, latest first, then id descending.
    AwardedOnDesc,
}

impl From<AwardOrder> for read::AwardOrder {
    fn from(order: AwardOrder) -> read::AwardOrder {
        match order {
            AwardOrder::Id => read::AwardOrder::Id,
            AwardOrder::AwardedOn => read::AwardOrder::AwardedOn,
            AwardOrder::AwardedOnDesc => read::AwardOrder::AwardedOnDesc,
        }
    }
}

/// What a social-return account covers: exactly one member.
#[derive(InputObject, Debug, Default, Clone)]
pub struct SocialReturnScope {
    pub fund: Option<String>,
    pub round: Option<String>,
    pub award: Option<String>,
    /// This area and every area below it, across funds.
    pub neighbourhood: Option<GeoCodeValue>,
}

impl SocialReturnScope {
    fn to_read(&self) -> GqlResult<read::SocialReturnScope> {
        let mut named = Vec::with_capacity(1);
        if let Some(fund) = &self.fund {
            named.push(read::SocialReturnScope::Fund(FundId::new(fund.trim())));
        }
        if let Some(round) = &self.round {
            named.push(read::SocialReturnScope::Round(RoundId::new(round.trim())));
        }
        if let Some(award) = &self.award {
            named.push(read::SocialReturnScope::Award(AwardId::new(award.trim())));
        }
        if let Some(code) = &self.neighbourhood {
            named.push(read::SocialReturnScope::Neighbourhood(code.0.clone()));
        }
        match named.len() {
            1 => Ok(named.remove(0)),
            count => Err(coded(
                format!(
                    "scope names {count} of fund, round, award and neighbourhood; name exactly one"
                ),
                BAD_INPUT,
            )),
        }
    }
}

#[derive(Default)]
pub struct Query;

// Merged into the schema's `Query` (schema.rs); this part's own name never shows. A
// resolver's parameters are the field's GraphQL arguments (`awards`, `neighbourhoods`
// take six), so the argument count is the API's, not a design smell.
#[allow(clippy::too_many_arguments)]
#[Object(name = "LedgerQuery")]
impl Query {
    /// Every fund, by id.
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn funds(&self, ctx: &Context<'_>) -> GqlResult<Vec<Fund>> {
        let funds = read::funds(state(ctx).database()).await.coded()?;
        Ok(funds.into_iter().map(Fund).collect())
    }

    async fn fund(&self, ctx: &Context<'_>, id: String) -> GqlResult<Option<Fund>> {
        let fund = read::fund_position(state(ctx).database(), &FundId::new(id), None)
            .await
            .coded()?;
        Ok(fund.map(Fund))
    }

    async fn round(&self, ctx: &Context<'_>, id: String) -> GqlResult<Option<Round>> {
        let round = read::round_summary(state(ctx).database(), &RoundId::new(id))
            .await
            .coded()?;
        Ok(round.map(Round))
    }

    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn rounds(
        &self,
        ctx: &Context<'_>,
        fund_id: Option<String>,
        status: Option<RoundStatus>,
    ) -> GqlResult<Vec<Round>> {
        let fund = fund_id.map(FundId::new);
        let rounds = read::rounds(state(ctx).database(), fund.as_ref(), status.map(Into::into))
            .await
            .coded()?;
        Ok(rounds.into_iter().map(Round).collect())
    }

    async fn award(&self, ctx: &Context<'_>, id: String) -> GqlResult<Option<Award>> {
        let award = read::award(state(ctx).database(), &AwardId::new(id))
            .await
            .coded()?;
        Ok(award.map(Award))
    }

    /// The award register, a page at a time (Relay connection; cursors are award ids), in
    /// `orderBy` order (default: by award id). With `asOf`, the register as it stood at the
    /// end of that day: only the awards made by then, each with `awarded`, `amount`,
    /// `paid`, `returned`, `disbursed`, `balance`, `spendReported`, `status`, `acceptedOn`,
    /// `closedOn`, `approvedUnpaid`, `requestedPending` and `availableToDraw` as they were
    /// then (the same daily series as `totals(asOf)`, so the awards' sums equal it).
    #[graphql(
        complexity = "first.unwrap_or(DEFAULT_PAGE_SIZE as i32).max(1) as usize * child_complexity"
    )]
    async fn awards(
        &self,
        ctx: &Context<'_>,
        filter: Option<AwardFilter>,
        first: Option<i32>,
        after: Option<String>,
        order_by: Option<AwardOrder>,
        as_of: Option<DateValue>,
    ) -> GqlResult<AwardConnection> {
        let filter = filter.unwrap_or_default().to_read();
        let listing = read::AwardListing {
            order: order_by.unwrap_or_default().into(),
            as_of: as_of.map(|date| date.0),
        };
        let page = read::awards_listed(
            state(ctx).database(),
            &filter,
            &listing,
            page_size(first)?,
            after.as_deref(),
        )
        .await
        .coded()?;
        Ok(award_connection(page, after.as_deref()))
    }

    /// One area and its totals; a well-formed code outside the reference geography has
    /// no name or parent.
    async fn neighbourhood(
        &self,
        ctx: &Context<'_>,
        code: GeoCodeValue,
    ) -> GqlResult<Neighbourhood> {
        let area = read::area(state(ctx).database(), &code.0).await.coded()?;
        Ok(Neighbourhood { area, totals: None })
    }

    /// Areas of the reference geography with their totals, ranked: now, or as they stood
    /// at the end of `asOf` (each area's `totals` then are as of that day too).
    #[graphql(
        complexity = "first.unwrap_or(DEFAULT_PAGE_SIZE as i32).max(1) as usize * child_complexity"
    )]
    // A resolver's arguments are the field's GraphQL arguments, one each.
    #[allow(clippy::too_many_arguments)]
    async fn neighbourhoods(
        &self,
        ctx: &Context<'_>,
        level: Option<GeoLevel>,
        within: Option<GeoCodeValue>,
        order_by: Option<NeighbourhoodOrder>,
        first: Option<i32>,
        after: Option<String>,
        as_of: Option<DateValue>,
    ) -> GqlResult<NeighbourhoodConnection> {
        let query = read::NeighbourhoodQuery {
            level: level.map(Into::into),
            within: within.map(|code| code.0),
            order: order_by.unwrap_or_default().into(),
            first: page_size(first)?,
            after: after.clone(),
            as_of: as_of.map(|date| date.0),
        };
        let page = read::neighbourhoods(state(ctx).database(), &query)
            .await
            .coded()?;
        let mut connection = Connection::new(after.is_some(), page.has_next_page);
        // Ranked pages are offsets: each edge's cursor is the offset after it.
        let start: usize = after
            .as_deref()
            .and_then(|after| after.parse().ok())
            .unwrap_or(0);
        connection
            .edges
            .extend(page.areas.into_iter().enumerate().map(|(index, ranked)| {
                Edge::new(
                    (start + index + 1).to_string(),
                    Neighbourhood {
                        area: ranked.area,
                        totals: Some(ranked.totals),
                    },
                )
            }));
        Ok(connection)
    }

    /// Totals over the awards matching `filter`, now or as of the end of `asOf`; `perHead`
    /// when the filter names one area whose population is known.
    async fn totals(
        &self,
        ctx: &Context<'_>,
        filter: Option<AwardFilter>,
        as_of: Option<DateValue>,
    ) -> GqlResult<Totals> {
        let filter = read::TotalsFilter {
            awards: filter.unwrap_or_default().to_read(),
            as_of: as_of.map(|date| date.0),
        };
        let database = state(ctx).database();
        let totals = read::totals(database, &filter).await.coded()?;
        // Per head only makes sense for one area with a known population.
        let population = match &filter.awards.neighbourhood {
            Some(code) => read::area(database, code).await.coded()?.population,
            None => None,
        };
        Ok(Totals { totals, population })
    }

    /// The social return (UK SROI method) of a fund, a round, an award or an area: money
    /// spent, the present value of reported outcomes, the ratio and its sensitivity.
    /// Null when the fund, round or award does not exist.
    async fn social_return(
        &self,
        ctx: &Context<'_>,
        scope: SocialReturnScope,
    ) -> GqlResult<Option<SocialReturn>> {
        let scope = scope.to_read()?;
        let account = read::social_return(state(ctx).database(), &scope)
            .await
            .coded()?;
        Ok(account.map(SocialReturn))
    }

    /// Budget lines summed per category over the awards of a fund, a round or an area (the
    /// area and every area below it, each award once): planned, spent and variance, now or
    /// as of the end of `asOf`. Public; one award's own lines are `Award.budgetLines`.
    async fn budget(
        &self,
        ctx: &Context<'_>,
        scope: super::budget::BudgetScopeInput,
        as_of: Option<DateValue>,
    ) -> GqlResult<super::budget::BudgetSummary> {
        super::budget::budget_summary(ctx, scope, as_of).await
    }

    /// A fund's awards by the deprivation decile of their areas, each nation's index on its
    /// own, against fixed populations (every LSOA of the decile in the reference geography);
    /// awards to larger areas apportioned by population. Null when the fund does not exist.
    async fn equity(&self, ctx: &Context<'_>, fund_id: String) -> GqlResult<Option<Equity>> {
        let equity = read::equity(state(ctx).database(), &FundId::new(fund_id.trim()))
            .await
            .coded()?;
        Ok(equity.map(Equity))
    }

    /// The awards of every organisation the caller is a member of, with balances, drawdowns and reports.
    #[graphql(
        complexity = "first.unwrap_or(DEFAULT_PAGE_SIZE as i32).max(1) as usize * child_complexity"
    )]
    async fn my_awards(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<AwardConnection> {
        let viewer = require_any_member(ctx)?;
        let orgs = &viewer.roles().member_of;
        let filter = read::AwardFilter {
            recipient_org_ids: Some(orgs.iter().map(|org| org.as_str().to_string()).collect()),
            ..read::AwardFilter::default()
        };
        let page = read::awards(
            state(ctx).database(),
            &filter,
            page_size(first)?,
            after.as_deref(),
        )
        .await
        .coded()?;
        Ok(award_connection(page, after.as_deref()))
    }

    /// Who is asking: the signed-in person (or an operator's token) and the roles held
    /// now; null for the public.
    async fn me(&self, ctx: &Context<'_>) -> GqlResult<Option<super::principal::Me>> {
        super::principal::me(ctx).await
    }

    /// The awards made most recently, latest first (by the day each was made, then by id):
    /// `first` of them (10 when not given, at most 500). With `asOf`, only awards made by
    /// the end of that day, and their amounts (`awarded`, `paid`, `returned`,
    /// `disbursed`, `spendReported`) as they stood then.
    #[graphql(complexity = "first.unwrap_or(10).max(1) as usize * child_complexity")]
    async fn recent_awards(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        as_of: Option<DateValue>,
    ) -> GqlResult<Vec<Award>> {
        let first = page_size(first.or(Some(super::recent::DEFAULT_RECENT_ITEMS as i32)))?;
        let awards = read::recent_awards(state(ctx).database(), first, as_of.map(|day| day.0))
            .await
            .coded()?;
        Ok(awards.into_iter().map(Award).collect())
    }

    /// The payments recorded most recently, latest first (by the day each was paid):
    /// `first` of them (10 when not given, at most 500), each with its award. With `asOf`,
    /// only payments made by the end of that day, their awards' amounts as they stood then.
    #[graphql(complexity = "first.unwrap_or(10).max(1) as usize * child_complexity")]
    async fn recent_payments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        as_of: Option<DateValue>,
    ) -> GqlResult<Vec<super::recent::RecentPayment>> {
        let first = page_size(first.or(Some(super::recent::DEFAULT_RECENT_ITEMS as i32)))?;
        let payments = read::recent_payments(state(ctx).database(), first, as_of.map(|day| day.0))
            .await
            .coded()?;
        Ok(payments
            .into_iter()
            .map(super::recent::RecentPayment)
            .collect())
    }

    /// The ledger's head as far as the read models have got.
    async fn ledger(&self, ctx: &Context<'_>) -> GqlResult<LedgerHead> {
        Ok(LedgerHead(
            read::ledger_head(state(ctx).database()).await.coded()?,
        ))
    }
}
