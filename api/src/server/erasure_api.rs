//! Personal data in the API (`PERSONAL-DATA.md`): `erasePerson`, and the one way
//! resolvers show stored personal text (unsealed with the request's [`Keyring`], or
//! `[erased]`) and the people an actor id stands for (their name, or `[erased person]`).
//!
//! Who may erase: an owner, or an officer of a fund where the person holds or held a role
//! (officer of that fund, or panel member of one of its rounds; a grant revoked since
//! still counts, so an officer can erase someone they removed). Members of organisations
//! hold no fund-bound role, so only an owner (or the operator's `fundledger erase-person`)
//! erases them.

use std::collections::HashMap;

use async_graphql::{Context, ErrorExtensions, InputObject, Object, SimpleObject};
use domain::{FundId, RoundId};
use infrastructure::accounts::{PersonId, RoleKind, Roles};
use infrastructure::personal::{self, Keyring, Text};
use infrastructure::{Database, LedgerError, StoreError};
use serde::Serialize;

use super::context::{fund_of_round, require_signed_in, state};
use super::errors::{coded, ApiError, Coded, GqlResult, BAD_INPUT, FORBIDDEN, NOT_FOUND};

/// One request's application texts, each application's read once however many of its
/// fields (description, decline reason, scores' comments) the query asks for.
#[derive(Default)]
pub struct ApplicationTextCache(
    std::sync::Mutex<HashMap<domain::ApplicationId, personal::ApplicationTexts>>,
);

/// The application's stored (sealed) texts, read from its events once per request.
pub async fn application_texts(
    ctx: &Context<'_>,
    id: &domain::ApplicationId,
) -> GqlResult<personal::ApplicationTexts> {
    let cache = ctx.data_opt::<ApplicationTextCache>();
    let cached = cache.and_then(|cache| lock(cache).get(id).cloned());
    if let Some(texts) = cached {
        return Ok(texts);
    }
    let texts = personal::application_texts(state(ctx).database(), id)
        .await
        .map_err(LedgerError::from)
        .coded()?;
    if let Some(cache) = cache {
        lock(cache).insert(id.clone(), texts.clone());
    }
    Ok(texts)
}

fn lock(
    cache: &ApplicationTextCache,
) -> std::sync::MutexGuard<'_, HashMap<domain::ApplicationId, personal::ApplicationTexts>> {
    cache
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Stored personal texts as the caller sees them, in order: unsealed, plain, or
/// `[erased]`. Keys are looked up once per subject per request.
pub async fn shown_texts(ctx: &Context<'_>, stored: &[&str]) -> GqlResult<Vec<String>> {
    let db = state(ctx).database();
    let texts = match ctx.data_opt::<Keyring>() {
        Some(keyring) => keyring.unseal_many(db, stored).await,
        None => personal::unseal_many(db, stored).await,
    };
    Ok(texts
        .map_err(LedgerError::from)
        .coded()?
        .into_iter()
        .map(Text::shown)
        .collect())
}

/// One stored personal text as the caller sees it (see [`shown_texts`]).
pub async fn shown_text(ctx: &Context<'_>, stored: &str) -> GqlResult<String> {
    let mut texts = shown_texts(ctx, &[stored]).await?;
    Ok(texts.pop().unwrap_or_default())
}

/// How each actor is shown: a person's name or `[erased person]`; other actors as they are.
pub async fn shown_names(ctx: &Context<'_>, actors: &[&str]) -> GqlResult<HashMap<String, String>> {
    personal::display_names(state(ctx).database(), actors)
        .await
        .map_err(LedgerError::from)
        .coded()
}

#[derive(Default)]
pub struct ErasureMutation;

#[derive(InputObject, Debug, Serialize)]
pub struct ErasePersonInput {
    /// The person's id (`P-…`).
    pub person_id: String,
    /// Accepted for symmetry with every other mutation; erasure is idempotent anyway.
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct ErasePersonPayload {
    pub person_id: String,
    /// True when the person had been erased before this call (nothing more was done).
    pub already_erased: bool,
    /// What was done, in one line.
    pub summary: String,
}

#[Object]
impl ErasureMutation {
    /// Erases a person (UK GDPR): their name and email, their key (every text they wrote
    /// reads `[erased]`), their sessions, API tokens and roles. Money facts and the log's
    /// hash chain are untouched. An owner, or an officer of a fund where the person holds
    /// or held a role. Idempotent.
    async fn erase_person(
        &self,
        ctx: &Context<'_>,
        input: ErasePersonInput,
    ) -> GqlResult<ErasePersonPayload> {
        let viewer = require_signed_in(ctx)?;
        let person_id = PersonId::new(input.person_id.trim());
        if person_id.as_str().is_empty() {
            return Err(coded("personId is required", BAD_INPUT));
        }
        let db = state(ctx).database();
        if !may_erase(ctx, db, viewer.roles(), &person_id).await? {
            return Err(coded(
                "erasePerson is open to owners and to officers of a fund where the person \
                 holds or held a role",
                FORBIDDEN,
            ));
        }
        let erasure = personal::erase_person(db, &person_id, &viewer.actor())
            .await
            .map_err(|error| match error {
                personal::PersonalError::NotFound(message) => coded(message, NOT_FOUND),
                other => ApiError::from(LedgerError::from(other)).extend(),
            })?;
        Ok(ErasePersonPayload {
            person_id: person_id.to_string(),
            already_erased: erasure.already_erased,
            summary: erasure.to_string(),
        })
    }
}

/// Whether `roles` may erase `person`. An unknown person is "not allowed" for anyone but
/// an owner, so an officer cannot probe which ids exist.
async fn may_erase(
    ctx: &Context<'_>,
    db: &Database,
    roles: &Roles,
    person: &PersonId,
) -> GqlResult<bool> {
    if roles.can_create_funds() {
        return Ok(true);
    }
    if !roles.is_any_officer() {
        return Ok(false);
    }
    let grants = grants_ever_held(db, person)
        .await
        .map_err(LedgerError::from);
    for (role, scope) in grants.coded()? {
        let fund = match role.as_str() {
            r if r == RoleKind::Officer.as_str() => Some(FundId::new(scope)),
            r if r == RoleKind::Panel.as_str() => fund_of_round(ctx, &RoundId::new(scope)).await?,
            _ => None,
        };
        if fund.is_some_and(|fund| roles.is_officer_of(&fund)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Every (role, scope) the person holds or held, live or revoked.
async fn grants_ever_held(
    db: &Database,
    person: &PersonId,
) -> Result<Vec<(String, String)>, StoreError> {
    const SQL: &str = "SELECT role, scope FROM role_grants WHERE person_id = $1";
    Ok(match db {
        Database::Postgres(pool) => {
            let query = sqlx::query_as(SQL).bind(person.as_str());
            query.fetch_all(pool).await?
        }
        Database::Sqlite(pool) => {
            let query = sqlx::query_as(SQL).bind(person.as_str());
            query.fetch_all(pool).await?
        }
    })
}
