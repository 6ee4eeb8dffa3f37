//! Which fund a role's scope belongs to, and what the scope is called. A round's fund is
//! read from the round aggregate (authoritative, cached by the ledger); which
//! organisations applied to a fund comes from the read models (an organisation that
//! applied a moment ago may not be listed yet: it only widens who may manage its members
//! once it is).

use std::collections::{BTreeMap, BTreeSet};

use domain::{FundId, OrgId, RoundId};
use infrastructure::accounts::{self, RoleKind, ScopedRole};
use projections::read;

use super::errors::{PeopleError, PeopleResult};
use super::org_ids::group_org_id;
use crate::server::context::AppState;

/// The most unregistered groups one fund can make ids for (`360G-{fundSlug}-{n}`).
pub const MAX_GROUPS_PER_FUND: u32 = 10_000;

/// The fund that `role` is exercised in, when it has exactly one (officer, panel).
pub async fn fund_of(state: &AppState, role: &ScopedRole) -> PeopleResult<Option<FundId>> {
    match role.role {
        RoleKind::Officer => {
            let fund = FundId::new(&role.scope);
            state.ledger.fund(&fund).await?;
            Ok(Some(fund))
        }
        RoleKind::Panel => Ok(Some(round_fund(state, &RoundId::new(&role.scope)).await?.0)),
        RoleKind::Owner | RoleKind::Member => Ok(None),
    }
}

/// A round's fund and name, from the round itself.
pub async fn round_fund(state: &AppState, round: &RoundId) -> PeopleResult<(FundId, String)> {
    let loaded = state.ledger.round(round).await?;
    let terms = loaded
        .terms()
        .ok_or_else(|| PeopleError::NotFound(format!("round {round} not found")))?;
    Ok((terms.fund_id.clone(), terms.name.clone()))
}

/// A fund's name (its id until the read models have it).
pub async fn fund_name(state: &AppState, fund: &FundId) -> PeopleResult<String> {
    let position = read::fund_position(state.database(), fund, None).await?;
    Ok(position.map_or_else(|| fund.to_string(), |position| position.name))
}

/// The organisations of a fund: those that applied to its rounds, with the name they
/// applied under, and the groups it made ids for, with their recorded names.
pub async fn fund_orgs(state: &AppState, fund: &FundId) -> PeopleResult<BTreeMap<OrgId, String>> {
    let mut orgs = BTreeMap::new();
    for round in read::rounds(state.database(), Some(fund), None).await? {
        for application in read::applications(state.database(), &round.round_id).await? {
            orgs.entry(OrgId::new(&application.applicant_org_id))
                .or_insert(application.applicant_name);
        }
    }
    for n in 1..=MAX_GROUPS_PER_FUND {
        let id = OrgId::new(group_org_id(fund, n));
        match accounts::people::organisation(state.database(), &id).await? {
            Some(group) => orgs.insert(id, group.name),
            None => break,
        };
    }
    Ok(orgs)
}

/// The funds an organisation applied to (read models) or that made its id.
pub async fn funds_of_org(state: &AppState, org: &OrgId) -> PeopleResult<BTreeSet<FundId>> {
    let mut funds = BTreeSet::new();
    for round in read::rounds(state.database(), None, None).await? {
        if funds.contains(&round.fund_id) {
            continue;
        }
        let applications = read::applications(state.database(), &round.round_id).await?;
        if applications
            .iter()
            .any(|application| application.applicant_org_id == org.as_str())
        {
            funds.insert(round.fund_id.clone());
        }
    }
    for fund in read::funds(state.database()).await? {
        if org
            .as_str()
            .starts_with(&super::org_ids::group_prefix(&fund.fund_id))
        {
            funds.insert(fund.fund_id);
        }
    }
    Ok(funds)
}

/// The next free group id of a fund: `360G-{fundSlug}-{n}`. Two officers making one at
/// the same instant may get the same id; recording the group (`upsert_organisation`) then
/// names it twice, so the id is made and recorded by one request at a time per fund in
/// practice (a person inviting); a clash shows as one group with the later name.
pub async fn next_group_org_id(state: &AppState, fund: &FundId) -> PeopleResult<OrgId> {
    for n in 1..=MAX_GROUPS_PER_FUND {
        let id = OrgId::new(group_org_id(fund, n));
        if accounts::people::organisation(state.database(), &id)
            .await?
            .is_none()
        {
            return Ok(id);
        }
    }
    Err(PeopleError::Conflict(format!(
        "fund {fund} already has {MAX_GROUPS_PER_FUND} groups without a registration"
    )))
}

/// What a role is called on screens and in mail: "panel member of Spring 2026".
pub fn describe(role: RoleKind, scope_name: &str) -> String {
    match role {
        RoleKind::Owner => "an owner of this fundledger".to_string(),
        RoleKind::Officer => format!("an officer of {scope_name}"),
        RoleKind::Panel => format!("a panel member of {scope_name}"),
        RoleKind::Member => format!("a member of {scope_name}"),
    }
}

/// The name of a role's scope (fund, round or organisation), or its id when none is
/// recorded.
pub async fn scope_name(state: &AppState, role: &ScopedRole) -> PeopleResult<String> {
    Ok(match role.role {
        RoleKind::Owner => "fundledger".to_string(),
        RoleKind::Officer => fund_name(state, &FundId::new(&role.scope)).await?,
        RoleKind::Panel => match round_fund(state, &RoundId::new(&role.scope)).await {
            Ok((_, name)) => name,
            Err(_) => role.scope.clone(),
        },
        RoleKind::Member => {
            let org = OrgId::new(&role.scope);
            accounts::people::organisation(state.database(), &org)
                .await?
                .map_or_else(|| role.scope.clone(), |org| org.name)
        }
    })
}
