//! What every resolver can reach: the shared state of the server and, per request, who is
//! asking. Also the authorisation checks every mutation starts with.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Context, ErrorExtensions};
use domain::OrgId;
use infrastructure::ledger::Request;
use infrastructure::{Ledger, LogCursor};
use projections::ProjectorHandle;
use tokio::sync::broadcast;

use super::auth::{TokenKeys, Viewer};
use super::cache::PublicQueryCache;
use super::errors::{coded, ApiError, Coded, GqlResult, BAD_INPUT, CONCURRENCY};
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

/// Shared by every request.
pub struct AppState {
    pub ledger: Arc<Ledger>,
    pub projector: ProjectorHandle,
    pub metrics: Arc<Metrics>,
    pub keys: TokenKeys,
    pub feed: broadcast::Sender<FeedItem>,
    pub public_cache: Arc<PublicQueryCache>,
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

/// Admin only: anonymous callers are `UNAUTHENTICATED`, other roles `FORBIDDEN`.
pub fn require_admin<'a>(ctx: &Context<'a>, what: &str) -> GqlResult<&'a Viewer> {
    let viewer = viewer(ctx);
    match viewer {
        Viewer::Admin { .. } => Ok(viewer),
        Viewer::Public => Err(ApiError::sign_in_required(what)).coded(),
        other => Err(ApiError::forbidden(what, other.role_name())).coded(),
    }
}

/// A panel member; returns the member's name as recorded on scores and conflicts.
pub fn require_panel(ctx: &Context<'_>, what: &str) -> GqlResult<String> {
    match viewer(ctx) {
        Viewer::Panel { subject } => Ok(subject.clone()),
        Viewer::Public => Err(ApiError::sign_in_required(what)).coded(),
        other => Err(ApiError::forbidden(what, other.role_name())).coded(),
    }
}

/// A grantee; returns the organisation the token is bound to.
pub fn require_grantee(ctx: &Context<'_>, what: &str) -> GqlResult<OrgId> {
    match viewer(ctx) {
        Viewer::Grantee { org, .. } => Ok(org.clone()),
        Viewer::Public => Err(ApiError::sign_in_required(what)).coded(),
        other => Err(ApiError::forbidden(what, other.role_name())).coded(),
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
