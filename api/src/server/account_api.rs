//! GraphQL of a signed-in person's API tokens (issue 13 §2): `apiTokens`,
//! `createApiToken` (the secret shown once) and `revokeApiToken`. Only a person may hold
//! tokens: the public is `UNAUTHENTICATED`, an operator's JWT (no person) `FORBIDDEN`.

use async_graphql::{Context, ErrorExtensions, InputObject, Object, SimpleObject};
use infrastructure::accounts::{api_tokens, AccountError, ApiToken, PersonId, ScopedRole};
use infrastructure::LedgerError;

use super::auth::Viewer;
use super::context::{state, viewer};
use super::errors::{coded, ApiError, GqlResult, CONFLICT};

/// How long a token lives unless the caller says, in days.
pub const DEFAULT_API_TOKEN_DAYS: i32 = 30;
/// The longest a token may be asked to live, in days (`MAX_API_TOKEN_TTL_SECONDS`).
pub const MAX_API_TOKEN_DAYS: i32 = 366;
/// Most tokens `apiTokens` lists (newest first).
pub const MAX_API_TOKENS_LISTED: usize = 200;

/// The signed-in person calling `what`.
fn signed_in_person<'a>(ctx: &Context<'a>, what: &str) -> GqlResult<&'a PersonId> {
    let caller = viewer(ctx);
    if matches!(caller, Viewer::Public) {
        return Err(ApiError::sign_in_required(what).extend());
    }
    caller.person().ok_or_else(|| {
        ApiError::Forbidden(format!(
            "{what} is for a signed-in person; an operator's token names no person (sign in, \
             or use an owner's API token from `fundledger token --role owner`)"
        ))
        .extend()
    })
}

/// An accounts refusal with its code.
fn account_error(error: AccountError) -> async_graphql::Error {
    match error {
        AccountError::Invalid(message) => ApiError::BadInput(message).extend(),
        AccountError::NotFound(what) => ApiError::NotFound(format!("{what} not found")).extend(),
        AccountError::Conflict(message) => coded(message, CONFLICT),
        AccountError::Store(store) => ApiError::Ledger(LedgerError::Store(store)).extend(),
        other => ApiError::BadInput(other.to_string()).extend(),
    }
}

/// A unix time as RFC 3339 UTC (`2026-12-07T09:30:00Z`).
fn instant(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// A role a token may use: `role` is owner, officer, panel or member; `scope` the fund,
/// round or organisation id (empty for owner).
#[derive(SimpleObject, InputObject, Debug, Clone)]
#[graphql(input_name = "ApiTokenScopeInput")]
pub struct ApiTokenScope {
    pub role: String,
    pub scope: String,
}

impl ApiTokenScope {
    fn parse(&self) -> GqlResult<ScopedRole> {
        let role = self
            .role
            .parse()
            .map_err(|message: String| ApiError::BadInput(message).extend())?;
        Ok(ScopedRole {
            role,
            scope: self.scope.trim().to_string(),
        })
    }
}

/// One of the caller's API tokens (never its secret).
pub struct ApiTokenView(ApiToken);

#[Object(name = "ApiToken")]
impl ApiTokenView {
    async fn token_id(&self) -> &str {
        &self.0.token_id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The roles the token may use; empty: every role its person holds. Always narrowed to
    /// the roles the person holds at each request.
    async fn scopes(&self) -> Vec<ApiTokenScope> {
        self.0
            .scopes
            .iter()
            .map(|scope| ApiTokenScope {
                role: scope.role.to_string(),
                scope: scope.scope.clone(),
            })
            .collect()
    }
    async fn created_at(&self) -> String {
        instant(self.0.created_at)
    }
    async fn expires_at(&self) -> String {
        instant(self.0.expires_at)
    }
    async fn revoked_at(&self) -> Option<String> {
        self.0.revoked_at.map(instant)
    }
    async fn last_used_at(&self) -> Option<String> {
        self.0.last_used_at.map(instant)
    }
    /// Neither revoked nor expired.
    async fn live(&self) -> bool {
        self.0.revoked_at.is_none() && self.0.expires_at > infrastructure::accounts::now()
    }
}

#[derive(InputObject, Debug)]
pub struct CreateApiTokenInput {
    /// What the token is for (one line), e.g. "nightly export".
    pub name: String,
    /// 1 to 366; default 30.
    pub expires_in_days: Option<i32>,
    /// The roles it may use (each one the caller holds); none: all the caller's roles.
    pub scopes: Option<Vec<ApiTokenScope>>,
}

#[derive(InputObject, Debug)]
pub struct RevokeApiTokenInput {
    pub token_id: String,
}

#[derive(SimpleObject)]
pub struct CreateApiTokenPayload {
    /// The secret (`flt_…`), shown this once: send it as `Authorization: Bearer …`.
    pub token: String,
    pub api_token: ApiTokenView,
}

#[derive(SimpleObject)]
pub struct RevokeApiTokenPayload {
    pub api_token: ApiTokenView,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// Signed-in person: their API tokens, newest first (revoked and expired included).
    async fn api_tokens(&self, ctx: &Context<'_>) -> GqlResult<Vec<ApiTokenView>> {
        let person = signed_in_person(ctx, "apiTokens")?;
        let mut tokens = api_tokens::api_tokens_of(state(ctx).database(), person)
            .await
            .map_err(account_error)?;
        tokens.truncate(MAX_API_TOKENS_LISTED);
        Ok(tokens.into_iter().map(ApiTokenView).collect())
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Signed-in person: a new API token for scripts, scoped to (some of) their roles.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        input: CreateApiTokenInput,
    ) -> GqlResult<CreateApiTokenPayload> {
        let person = signed_in_person(ctx, "createApiToken")?;
        let days = input.expires_in_days.unwrap_or(DEFAULT_API_TOKEN_DAYS);
        if !(1..=MAX_API_TOKEN_DAYS).contains(&days) {
            return Err(ApiError::BadInput(format!(
                "expiresInDays is {days}; a token lasts 1 to {MAX_API_TOKEN_DAYS} days"
            ))
            .extend());
        }
        let scopes = input
            .scopes
            .unwrap_or_default()
            .iter()
            .map(ApiTokenScope::parse)
            .collect::<GqlResult<Vec<_>>>()?;
        let ttl_seconds = i64::from(days) * 86_400;
        let made = api_tokens::create_api_token(
            state(ctx).database(),
            person,
            &input.name,
            &scopes,
            ttl_seconds,
        )
        .await
        .map_err(account_error)?;
        Ok(CreateApiTokenPayload {
            token: made.secret,
            api_token: ApiTokenView(made.token),
        })
    }

    /// Signed-in person: revokes one of their tokens; it is refused from the next request.
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiTokenInput,
    ) -> GqlResult<RevokeApiTokenPayload> {
        let person = signed_in_person(ctx, "revokeApiToken")?;
        let database = state(ctx).database();
        let token_id = input.token_id.trim();
        api_tokens::revoke_api_token(database, person, token_id)
            .await
            .map_err(account_error)?;
        let revoked = api_tokens::api_tokens_of(database, person)
            .await
            .map_err(account_error)?
            .into_iter()
            .find(|token| token.token_id == token_id)
            .ok_or_else(|| {
                ApiError::NotFound(format!("API token {token_id} not found")).extend()
            })?;
        Ok(RevokeApiTokenPayload {
            api_token: ApiTokenView(revoked),
        })
    }
}
