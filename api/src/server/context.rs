//! What every resolver can reach: the shared state of the server and, per request, who is
//! asking. Also the authorisation checks every mutation starts with.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Context, ErrorExtensions};
use domain::{ApplicationId, AwardId, FundId, OrgId, RoundId};
use infrastructure::ledger::Request;
use infrastructure::{Ledger, LogCursor};
use projections::ProjectorHandle;
use tokio::sync::broadcast;

use super::auth::{TokenKeys, Viewer};
use super::cache::PublicQueryCache;
use super::errors::{coded, ApiError, Coded, GqlResult, BAD_INPUT, CONCURRENCY, NOT_FOUND};
use super::metrics::Metrics;
use super::subscriptions::FeedItem;

/// The longest a query waits for the projections to reach `X-Min-Position` (API.md: 5 s).
pub const MIN_POSITION_WAIT_MS: u64 = 5_000;
/// The longest the payloads of one request's mutations wait, together, for the read
/// models to reflect their writes before answering `projected: false` (the write stands
/// either way). Counted from the request's start, so a request of several mutations is
/// not held for one wait each.
pub const MUTATION_PROJECTION_WAIT_MS: u64 = 5_000;
/// The longest idempotency key accepted.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 200;

/// The client's address, as the transport saw it (absent for a schema called directly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

/// Ballot attempts allowed from one address in one round per window: every attempt
/// counts, right code or wrong, because a guess must be refused before it is tried (a
/// count of wrong codes alone would still let the guess past the limit be checked).
pub const BALLOT_ATTEMPTS_PER_ADDRESS: u32 = 30;
/// The window of `BALLOT_ATTEMPTS_PER_ADDRESS`, in seconds.
pub const BALLOT_ATTEMPT_WINDOW_SECONDS: i64 = 10 * 60;

/// Counts one ballot attempt from the caller's address in `round`; `THROTTLED` (saying
/// how long to wait) past `BALLOT_ATTEMPTS_PER_ADDRESS`.
pub async fn throttle_ballot(ctx: &Context<'_>, round: &RoundId) -> GqlResult<()> {
    let address = ctx
        .data_opt::<ClientAddress>()
        .map_or_else(|| "unknown".to_string(), |address| address.0.to_string());
    let rule = infrastructure::accounts::ThrottleRule {
        limit: BALLOT_ATTEMPTS_PER_ADDRESS,
        window_seconds: BALLOT_ATTEMPT_WINDOW_SECONDS,
    };
    infrastructure::accounts::throttle::hit(
        state(ctx).database(),
        &format!("ballot:ip:{address}:round:{round}"),
        rule,
        "ballot attempts from this address in this round",
    )
    .await
    .map_err(super::principal::account_error)
    .coded()
}

/// Shared by every request.
pub struct AppState {
    pub ledger: Arc<Ledger>,
    pub projector: ProjectorHandle,
    pub metrics: Arc<Metrics>,
    pub keys: TokenKeys,
    pub feed: broadcast::Sender<FeedItem>,
    pub public_cache: Arc<PublicQueryCache>,
    /// The public pages' cache (`web::public`), versioned like `public_cache`.
    pub page_cache: Arc<PublicQueryCache>,
    /// The screens' settings and the mailer (`web::settings`), for pages and resolvers.
    pub web: Arc<crate::web::WebSettings>,
    /// Single sign-on, when `FUNDLEDGER_OIDC_*` configure it.
    pub sso: Option<Arc<crate::web::oidc::SingleSignOn>>,
}

impl AppState {
    pub fn database(&self) -> &infrastructure::Database {
        &self.ledger.database
    }

    /// Waits until the projector's watermark covers the event at `position` and returns
    /// that event's place in the log's order; `CONCURRENCY` (retry) if it is not covered
    /// within `MIN_POSITION_WAIT_MS`, `UNAVAILABLE` if the store can't be reached.
    pub async fn wait_for_position(&self, position: i64) -> GqlResult<LogCursor> {
        let reached = self
            .projector
            .wait_for_place(position, Duration::from_millis(MIN_POSITION_WAIT_MS))
            .await;
        match reached {
            Ok(Some(place)) => Ok(place),
            Err(error) => Err(ApiError::from(error).extend()),
            Ok(None) => Err(coded(
                format!(
                    "the read models have not reached position {position} within {MIN_POSITION_WAIT_MS} ms; retry"
                ),
                CONCURRENCY,
            )),
        }
    }
}

/// Per request: until when mutation payloads wait for the read models, and what each
/// position's wait found, so a payload's `projected` and its object always agree.
pub struct PayloadProjection {
    deadline: tokio::time::Instant,
    found: tokio::sync::Mutex<HashMap<i64, bool>>,
}

impl PayloadProjection {
    /// Payloads of a request that starts now.
    pub fn starting_now() -> PayloadProjection {
        PayloadProjection {
            deadline: tokio::time::Instant::now()
                + Duration::from_millis(MUTATION_PROJECTION_WAIT_MS),
            found: tokio::sync::Mutex::new(HashMap::new()),
        }
    }
}

/// Whether the read models reflect the committed write at `position`, waiting until the
/// request's `PayloadProjection` deadline. Never an error: the write is committed
/// whatever happens here, so a store that can't be asked counts as "not yet" (logged).
pub async fn payload_projected(ctx: &Context<'_>, position: i64) -> bool {
    let Some(memo) = ctx.data_opt::<PayloadProjection>() else {
        // A request that did not come through the HTTP handler (a test's schema call).
        return projected_by(
            state(ctx),
            position,
            PayloadProjection::starting_now().deadline,
        )
        .await;
    };
    let mut found = memo.found.lock().await;
    if let Some(projected) = found.get(&position) {
        return *projected;
    }
    let projected = projected_by(state(ctx), position, memo.deadline).await;
    found.insert(position, projected);
    projected
}

async fn projected_by(state: &AppState, position: i64, deadline: tokio::time::Instant) -> bool {
    let wait = deadline.saturating_duration_since(tokio::time::Instant::now());
    match state.projector.wait_for_place(position, wait).await {
        Ok(place) => place.is_some(),
        Err(error) => {
            tracing::warn!(%error, position, "could not check whether a committed write is projected");
            false
        }
    }
}

pub fn state<'a>(ctx: &Context<'a>) -> &'a Arc<AppState> {
    ctx.data_unchecked::<Arc<AppState>>()
}

pub fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    ctx.data_opt::<Viewer>().unwrap_or(&Viewer::Public)
}

// ---- scoped checks ----
//
// Every check refuses the public with `UNAUTHENTICATED` and a caller without the role with
// `FORBIDDEN`, before anything runs. Where an id has to be resolved to the fund, round or
// organisation it belongs to, the aggregate is loaded through the ledger (authoritative and
// cached; the read models can lag behind a just-made award). Existence is not revealed to
// outsiders: a caller whose roles are scoped gets the same `FORBIDDEN` for an id of another
// scope and for an id that does not exist; only a caller with an unscoped role (owner, an
// unscoped admin or panel token), who would be allowed anywhere, hears `NOT_FOUND`.
//
// Mutations that resolve an id to its scope check `require_signed_in` first, then their
// input, then the scope (a store read): bad input is `BAD_INPUT` whatever the id names.

/// The name of the field being resolved, for refusals (`establishFund`, `scores`).
fn field_name(ctx: &Context<'_>) -> String {
    ctx.field().name().to_string()
}

/// Any caller with a credential (the public: `UNAUTHENTICATED`).
pub fn require_signed_in<'a>(ctx: &Context<'a>) -> GqlResult<&'a Viewer> {
    let viewer = viewer(ctx);
    match viewer {
        Viewer::Public => Err(ApiError::sign_in_required(&field_name(ctx))).coded(),
        Viewer::Caller(_) => Ok(viewer),
    }
}

fn forbidden(ctx: &Context<'_>, viewer: &Viewer, scope: &str) -> async_graphql::Error {
    ApiError::Forbidden(format!(
        "{} is not open to this {} here: it needs {scope}",
        field_name(ctx),
        viewer.role_name()
    ))
    .extend()
}

/// May create funds (an owner, or an unscoped admin token).
pub fn require_owner<'a>(ctx: &Context<'a>) -> GqlResult<&'a Viewer> {
    let viewer = require_signed_in(ctx)?;
    if viewer.roles().can_create_funds() {
        Ok(viewer)
    } else {
        Err(forbidden(ctx, viewer, "an owner"))
    }
}

/// An officer of `fund`. The id is checked as given: whether it exists or not, an officer
/// of another fund is `FORBIDDEN`, so nothing about other funds is revealed.
pub fn require_officer_of<'a>(ctx: &Context<'a>, fund: &FundId) -> GqlResult<&'a Viewer> {
    let viewer = require_signed_in(ctx)?;
    if viewer.roles().is_officer_of(fund) {
        Ok(viewer)
    } else {
        Err(forbidden(
            ctx,
            viewer,
            &format!("an officer of fund {fund}"),
        ))
    }
}

/// A panel member of `round`; returns the name recorded on their scores and conflicts.
pub fn require_panel_of(ctx: &Context<'_>, round: &RoundId) -> GqlResult<String> {
    let viewer = require_signed_in(ctx)?;
    match viewer.caller() {
        Some(caller) if caller.roles.is_panel_of(round) => Ok(caller.member.clone()),
        _ => Err(forbidden(
            ctx,
            viewer,
            &format!("a panel member of round {round}"),
        )),
    }
}

/// A member of `org` (acts for that organisation).
pub fn require_member_of<'a>(ctx: &Context<'a>, org: &OrgId) -> GqlResult<&'a Viewer> {
    let viewer = require_signed_in(ctx)?;
    if viewer.roles().is_member_of(org) {
        Ok(viewer)
    } else {
        Err(forbidden(
            ctx,
            viewer,
            &format!("a member of organisation {org}"),
        ))
    }
}

/// A member of at least one organisation.
pub fn require_any_member<'a>(ctx: &Context<'a>) -> GqlResult<&'a Viewer> {
    let viewer = require_signed_in(ctx)?;
    if viewer.roles().member_of.is_empty() {
        Err(forbidden(ctx, viewer, "a member of a grantee organisation"))
    } else {
        Ok(viewer)
    }
}

/// Unknown ids: `NOT_FOUND` for a caller who holds the unscoped role (allowed anywhere),
/// else the same `FORBIDDEN` an id of another scope gets.
fn unknown(
    ctx: &Context<'_>,
    unscoped: bool,
    what: &str,
    id: &str,
    scope: &str,
) -> async_graphql::Error {
    if unscoped {
        coded(format!("{what} {id} not found"), NOT_FOUND)
    } else {
        forbidden(ctx, viewer(ctx), scope)
    }
}

/// Loads an aggregate for a check: `Ok(None)` when it does not exist, the store's error
/// (`UNAVAILABLE`) when it cannot be read.
fn load_for_check<T>(loaded: Result<T, infrastructure::LedgerError>) -> GqlResult<Option<T>> {
    match loaded {
        Ok(value) => Ok(Some(value)),
        Err(error) if matches!(error.kind(), infrastructure::ledger::ErrorKind::NotFound) => {
            Ok(None)
        }
        Err(error) => Err(ApiError::from(error).extend()),
    }
}

/// The fund a round belongs to (`None`: no such round).
pub async fn fund_of_round(ctx: &Context<'_>, round: &RoundId) -> GqlResult<Option<FundId>> {
    let loaded = load_for_check(state(ctx).ledger.round(round).await)?;
    Ok(loaded.and_then(|round| round.terms().map(|terms| terms.fund_id.clone())))
}

/// An officer of the fund `round` belongs to.
pub async fn require_officer_of_round<'a>(
    ctx: &Context<'a>,
    round: &RoundId,
) -> GqlResult<&'a Viewer> {
    let viewer = require_signed_in(ctx)?;
    if !viewer.roles().is_any_officer() {
        return Err(forbidden(ctx, viewer, "an officer of the round's fund"));
    }
    match fund_of_round(ctx, round).await? {
        Some(fund) => require_officer_of(ctx, &fund),
        None => Err(unknown(
            ctx,
            viewer.roles().all_funds || viewer.roles().owner,
            "round",
            round.as_str(),
            "an officer of the round's fund",
        )),
    }
}

/// An application's round and applicant (`None`: no such application).
pub async fn application_parties(
    ctx: &Context<'_>,
    application: &ApplicationId,
) -> GqlResult<Option<(RoundId, FundId, OrgId)>> {
    let loaded = load_for_check(state(ctx).ledger.application(application).await)?;
    Ok(loaded.and_then(|application| {
        application.submission().map(|submission| {
            (
                submission.round_id.clone(),
                submission.fund_id.clone(),
                submission.applicant.clone(),
            )
        })
    }))
}

/// An officer of the fund `application` was submitted to.
pub async fn require_officer_of_application<'a>(
    ctx: &Context<'a>,
    application: &ApplicationId,
) -> GqlResult<&'a Viewer> {
    let viewer = require_signed_in(ctx)?;
    if !viewer.roles().is_any_officer() {
        return Err(forbidden(
            ctx,
            viewer,
            "an officer of the application's fund",
        ));
    }
    match application_parties(ctx, application).await? {
        Some((_, fund, _)) => require_officer_of(ctx, &fund),
        None => Err(unknown(
            ctx,
            viewer.roles().all_funds || viewer.roles().owner,
            "application",
            application.as_str(),
            "an officer of the application's fund",
        )),
    }
}

/// A panel member of the round `application` was submitted to; returns the member's name.
pub async fn require_panel_of_application(
    ctx: &Context<'_>,
    application: &ApplicationId,
) -> GqlResult<String> {
    let viewer = require_signed_in(ctx)?;
    if !viewer.roles().is_any_panel() {
        return Err(forbidden(
            ctx,
            viewer,
            "a panel member of the application's round",
        ));
    }
    match application_parties(ctx, application).await? {
        Some((round, _, _)) => require_panel_of(ctx, &round),
        None => Err(unknown(
            ctx,
            viewer.roles().all_rounds,
            "application",
            application.as_str(),
            "a panel member of the application's round",
        )),
    }
}

/// A member of the organisation that submitted `application`; returns that organisation.
pub async fn require_member_of_application(
    ctx: &Context<'_>,
    application: &ApplicationId,
) -> GqlResult<OrgId> {
    let viewer = require_signed_in(ctx)?;
    if viewer.roles().member_of.is_empty() {
        return Err(forbidden(
            ctx,
            viewer,
            "a member of the applicant organisation",
        ));
    }
    match application_parties(ctx, application).await? {
        Some((_, _, org)) if viewer.roles().is_member_of(&org) => Ok(org),
        _ => Err(forbidden(
            ctx,
            viewer,
            "a member of the applicant organisation",
        )),
    }
}

/// An award's fund and recipient (`None`: no such award).
pub async fn award_parties(
    ctx: &Context<'_>,
    award: &AwardId,
) -> GqlResult<Option<(FundId, OrgId)>> {
    let loaded = load_for_check(state(ctx).ledger.award(award).await)?;
    Ok(loaded.and_then(|award| award.fund_id().cloned().zip(award.recipient().cloned())))
}

/// An officer of the fund that made `award`.
pub async fn require_officer_of_award<'a>(
    ctx: &Context<'a>,
    award: &AwardId,
) -> GqlResult<&'a Viewer> {
    let viewer = require_signed_in(ctx)?;
    if !viewer.roles().is_any_officer() {
        return Err(forbidden(ctx, viewer, "an officer of the award's fund"));
    }
    match award_parties(ctx, award).await? {
        Some((fund, _)) => require_officer_of(ctx, &fund),
        None => Err(unknown(
            ctx,
            viewer.roles().all_funds || viewer.roles().owner,
            "award",
            award.as_str(),
            "an officer of the award's fund",
        )),
    }
}

/// A member of `award`'s recipient organisation; returns that organisation.
pub async fn require_member_of_award(ctx: &Context<'_>, award: &AwardId) -> GqlResult<OrgId> {
    let viewer = require_signed_in(ctx)?;
    if viewer.roles().member_of.is_empty() {
        return Err(forbidden(ctx, viewer, "a member of the award's recipient"));
    }
    match award_parties(ctx, award).await? {
        Some((_, org)) if viewer.roles().is_member_of(&org) => Ok(org),
        _ => Err(forbidden(
            ctx,
            viewer,
            "a member of the award's recipient organisation",
        )),
    }
}

/// The ledger request for a mutation: the viewer as actor, the business date (the UK
/// calendar's today, `infrastructure::business_today`), and the client's
/// idempotency key scoped to the actor (one caller's key never replays another's result).
pub fn ledger_request(
    viewer: &Viewer,
    key: Option<&str>,
    input: &(impl Debug + serde::Serialize),
) -> GqlResult<Request> {
    let key = match key.map(str::trim) {
        None | Some("") => None,
        Some(key) if key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS => {
            return Err(coded(
                format!("idempotencyKey is longer than {MAX_IDEMPOTENCY_KEY_CHARS} characters"),
                BAD_INPUT,
            ))
        }
        Some(key) => {
            // A key the client chooses is an id like any other: one line, visible.
            domain::text::check_line("idempotencyKey", key)
                .map_err(|error| coded(error.to_string(), BAD_INPUT))?;
            Some(format!("{}/{key}", viewer.actor()))
        }
    };
    let today = infrastructure::business_today();
    Ok(Request::new(&viewer.actor(), today).with_key(key, input))
}
