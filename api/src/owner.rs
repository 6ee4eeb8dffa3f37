//! The first owner: every store needs one person who may create funds and invite the
//! rest. `serve` on the embedded store makes one (`FUNDLEDGER_OWNER_EMAIL`, default
//! `owner@example.org`) and prints a sign-in link for them, so the two-command start
//! still works; `fundledger token --role owner --subject EMAIL` is the operator's
//! bootstrap on any store (an owner grant, an API token, and a sign-in link when the
//! server's address is known).

use std::fmt;
use std::str::FromStr;

use infrastructure::accounts::links::{issue_sign_in_link, SIGN_IN_LINK_TTL_SECONDS};
use infrastructure::accounts::{
    api_tokens, grants, people, AccountError, AccountResult, NewApiToken, Person, RoleKind,
    ScopedRole,
};
use infrastructure::Database;

use crate::server::auth::Role;

/// Who the embedded store's first owner is, unless `FUNDLEDGER_OWNER_EMAIL` says.
pub const DEFAULT_OWNER_EMAIL: &str = "owner@example.org";
pub const OWNER_EMAIL_ENV: &str = "FUNDLEDGER_OWNER_EMAIL";
/// The server's address as people reach it (`https://grants.example.org`), for links.
pub const PUBLIC_URL_ENV: &str = "FUNDLEDGER_PUBLIC_URL";
/// The actor recorded as granting roles from the server's own command line.
pub const OPERATOR_ACTOR: &str = "operator";
/// Where the sign-in screens take a link's secret (served by `web`).
pub const SIGN_IN_LINK_PATH: &str = "/sign-in/link/";

/// The role `fundledger token` is asked for: `owner` (a person, an API token) or one of
/// the operator's JWT roles of before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRole {
    Owner,
    Jwt(Role),
}

impl FromStr for TokenRole {
    type Err = String;
    fn from_str(text: &str) -> Result<TokenRole, String> {
        if text.trim().eq_ignore_ascii_case("owner") {
            return Ok(TokenRole::Owner);
        }
        text.parse::<Role>().map(TokenRole::Jwt).map_err(|_| {
            format!(
                "unknown role '{}': expected owner, admin, panel or grantee",
                text.trim()
            )
        })
    }
}

impl fmt::Display for TokenRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenRole::Owner => f.write_str("owner"),
            TokenRole::Jwt(role) => role.fmt(f),
        }
    }
}

/// The store's owner: when nobody is an owner yet, the person with `email` (made if new)
/// becomes one. Otherwise the person with `email` if they are an owner, else the owner of
/// longest standing (the one a printed link should sign in).
pub async fn ensure_first_owner(db: &Database, email: &str) -> AccountResult<Person> {
    if !grants::has_owner(db).await? {
        return make_owner(db, email).await;
    }
    if let Some(person) = people::person_by_email(db, email).await? {
        let roles = grants::live_roles(db, &person.id).await?;
        if person.erased_at.is_none() && roles.contains(&ScopedRole::owner()) {
            return Ok(person);
        }
    }
    grants::holders(db, RoleKind::Owner, "")
        .await?
        .into_iter()
        .map(|grant| grant.person)
        .find(|person| person.erased_at.is_none())
        .ok_or_else(|| AccountError::NotFound("a live owner".into()))
}

/// The person with `email` (made if new) holding the owner role (granted by the operator
/// if they did not).
pub async fn make_owner(db: &Database, email: &str) -> AccountResult<Person> {
    let person = people::find_or_create_person(db, email, None).await?;
    grants::grant_role(db, &person.id, &ScopedRole::owner(), OPERATOR_ACTOR).await?;
    Ok(person)
}

/// The base URL links point at: `FUNDLEDGER_PUBLIC_URL`, else `address` (a `host:port`
/// or a URL) over http.
pub fn public_base_url(address: &str) -> String {
    let from_env = std::env::var(PUBLIC_URL_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty());
    let base = from_env.unwrap_or_else(|| address.to_string());
    let base = base.trim().trim_end_matches('/');
    if base.starts_with("http://") || base.starts_with("https://") {
        base.to_string()
    } else {
        format!("http://{base}")
    }
}

/// Where a link from the command line points: `FUNDLEDGER_PUBLIC_URL`, else `--listen`;
/// `None` when neither says.
pub fn link_base(listen: Option<&str>) -> Option<String> {
    let public = std::env::var(PUBLIC_URL_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty());
    match (public, listen) {
        (None, None) => None,
        (_, listen) => Some(public_base_url(listen.unwrap_or_default())),
    }
}

/// A sign-in link for `person` at `base` (`None`: they have no email, i.e. erased).
pub async fn sign_in_link(
    db: &Database,
    person: &Person,
    base: &str,
) -> AccountResult<Option<String>> {
    let Some(email) = person.email.as_deref() else {
        return Ok(None);
    };
    let issued = issue_sign_in_link(db, email, SIGN_IN_LINK_TTL_SECONDS).await?;
    Ok(issued.map(|(_, secret)| format!("{base}{SIGN_IN_LINK_PATH}{secret}")))
}

/// What `serve` prints on the embedded store: the owner (made if there is none) and a
/// sign-in link for them at `address`.
pub async fn embedded_owner_sign_in(
    db: &Database,
    address: &str,
) -> AccountResult<Option<(Person, String)>> {
    let email = std::env::var(OWNER_EMAIL_ENV)
        .ok()
        .filter(|email| !email.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_OWNER_EMAIL.to_string());
    let owner = ensure_first_owner(db, &email).await?;
    let link = sign_in_link(db, &owner, &public_base_url(address)).await?;
    Ok(link.map(|link| (owner, link)))
}

/// `fundledger token --role owner --subject EMAIL`: the owner grant for that person (made
/// if new) and a new API token of theirs lasting `ttl_seconds`.
pub async fn bootstrap_owner(
    db: &Database,
    email: &str,
    ttl_seconds: i64,
) -> AccountResult<(Person, NewApiToken)> {
    let owner = make_owner(db, email).await?;
    let token = api_tokens::create_api_token(
        db,
        &owner.id,
        "fundledger token (operator)",
        &[],
        ttl_seconds,
    )
    .await?;
    Ok((owner, token))
}
