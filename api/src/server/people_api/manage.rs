//! The use cases behind `invitePerson`, `withdrawInvitation`, `removeRole`, `people` and
//! `invitations`, shared by GraphQL and the people screens. Who may:
//!
//! - invite or remove an **officer** of fund F, or a **panel member** of a round of F: an
//!   officer of F (an owner is one of every fund);
//! - invite a **member** of an organisation: an officer of the fund named in the
//!   invitation, when the organisation applied to that fund, to no fund at all yet, or is
//!   a group that fund made an id for (`newGroupOrgId`). An organisation that applied to
//!   other funds only is theirs: an officer of one of them invites its members;
//! - remove a member role or withdraw a member invitation: an officer of a fund the
//!   organisation applied to, or whoever granted or sent it;
//! - remove an **owner**: owners only, never the last one.

use std::collections::BTreeMap;

use domain::{FundId, OrgId, RoundId};
use infrastructure::accounts::{self, Invitation, Person, PersonId, RoleKind, Roles, ScopedRole};

use super::errors::{PeopleError, PeopleResult};
use super::org_ids::org_id_problem;
use super::scopes::{fund_of, fund_orgs, funds_of_org, next_group_org_id, round_fund};
use crate::server::context::AppState;

/// Who is asking, as these rules need it: the actor recorded on what they do and their
/// roles now.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: String,
    pub roles: Roles,
}

/// What `invitePerson` (or the invite form) asks for, as given.
#[derive(Debug, Clone, Default)]
pub struct InviteRequest {
    pub email: String,
    pub name: Option<String>,
    pub role: Option<RoleKind>,
    pub fund_id: Option<String>,
    pub round_id: Option<String>,
    pub organisation_id: Option<String>,
    pub organisation_name: Option<String>,
}

/// An invitation with the name of what it grants.
#[derive(Debug, Clone)]
pub struct NamedInvitation {
    pub invitation: Invitation,
    pub scope_name: String,
}

/// The role to invite to and the name of its scope, after checking the caller may.
pub async fn invitation_target(
    state: &AppState,
    caller: &Caller,
    request: &InviteRequest,
) -> PeopleResult<(ScopedRole, String)> {
    match request.role {
        Some(RoleKind::Officer) => {
            let fund = given_fund(request)?;
            require_officer(state, caller, &fund).await?;
            let name = super::scopes::fund_name(state, &fund).await?;
            Ok((ScopedRole::officer(&fund), name))
        }
        Some(RoleKind::Panel) => {
            let round = given(request.round_id.as_deref(), "roundId", "a panel member")?;
            let round = RoundId::new(round);
            let (fund, name) = round_fund(state, &round).await?;
            require_officer(state, caller, &fund).await?;
            Ok((ScopedRole::panel(&round), name))
        }
        Some(RoleKind::Member) => member_target(state, caller, request).await,
        Some(RoleKind::Owner) | None => Err(PeopleError::BadInput(
            "role must be OFFICER, PANEL or MEMBER".into(),
        )),
    }
}

fn given<'a>(value: Option<&'a str>, field: &str, whom: &str) -> PeopleResult<&'a str> {
    match value.map(str::trim) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(PeopleError::BadInput(format!(
            "{field} is needed to invite {whom}"
        ))),
    }
}

fn given_fund(request: &InviteRequest) -> PeopleResult<FundId> {
    let whom = match request.role {
        Some(RoleKind::Member) => "a member of an organisation",
        _ => "an officer",
    };
    given(request.fund_id.as_deref(), "fundId", whom).map(FundId::new)
}

/// An officer of `fund`, checked on the id before the fund is read (an outsider learns
/// nothing of whether it exists); then the fund must exist.
pub async fn require_officer(state: &AppState, caller: &Caller, fund: &FundId) -> PeopleResult<()> {
    if !caller.roles.is_officer_of(fund) {
        return Err(PeopleError::Forbidden(format!(
            "only an officer of fund {fund} may manage its people"
        )));
    }
    state.ledger.fund(fund).await?;
    Ok(())
}

async fn member_target(
    state: &AppState,
    caller: &Caller,
    request: &InviteRequest,
) -> PeopleResult<(ScopedRole, String)> {
    let fund = given_fund(request)?;
    require_officer(state, caller, &fund).await?;
    let given_name = match request.organisation_name.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(name) => {
            check_line("organisationName", name)?;
            Some(name.to_string())
        }
    };
    let org = match request.organisation_id.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => registered_org(state, &fund, id).await?,
        _ => match &given_name {
            Some(_) => next_group_org_id(state, &fund).await?,
            None => {
                return Err(PeopleError::BadInput(
                    "give organisationId, or organisationName for a group with no registration"
                        .into(),
                ))
            }
        },
    };
    let known = fund_orgs(state, &fund).await?.remove(&org);
    let recorded = accounts::people::organisation(state.database(), &org).await?;
    let name = match (given_name, known, recorded) {
        (Some(name), _, _) => name,
        (None, Some(name), _) => name,
        (None, None, Some(recorded)) => recorded.name,
        (None, None, None) => {
            return Err(PeopleError::BadInput(format!(
                "organisationName is needed: {org} is new to fundledger"
            )))
        }
    };
    accounts::people::upsert_organisation(state.database(), &org, &name).await?;
    Ok((ScopedRole::member(&org), name))
}

/// A registered organisation's id, checked for shape and that it belongs to `fund` or to
/// no fund yet.
async fn registered_org(state: &AppState, fund: &FundId, id: &str) -> PeopleResult<OrgId> {
    if let Some(problem) = org_id_problem(id) {
        return Err(PeopleError::BadInput(problem));
    }
    let org = OrgId::new(id);
    let funds = funds_of_org(state, &org).await?;
    if !funds.is_empty() && !funds.contains(fund) {
        return Err(PeopleError::Forbidden(format!(
            "{org} applies to other funds only: an officer of one of those invites its members"
        )));
    }
    Ok(org)
}

pub(crate) fn check_line(field: &str, text: &str) -> PeopleResult<()> {
    crate::server::mutations::check_line(field, text)
        .map_err(|error| PeopleError::BadInput(error.message))
}

/// How long a new invitation stays open: `FUNDLEDGER_INVITATION_DAYS` (default 7, at most
/// 30: `accounts::invitations::MAX_INVITATION_TTL_SECONDS`), or
/// `FUNDLEDGER_INVITATION_SECONDS` (for tests of expiry; wins when set).
pub fn invitation_ttl_seconds() -> PeopleResult<i64> {
    let read = |name: &str, unit: i64, max: i64| -> PeopleResult<Option<i64>> {
        match std::env::var(name) {
            Err(_) => Ok(None),
            Ok(text) => match text.trim().parse::<i64>() {
                Ok(value) if (1..=max).contains(&value) => Ok(Some(value * unit)),
                _ => Err(PeopleError::Api(crate::server::errors::ApiError::Internal(
                    format!("{name} must be a whole number from 1 to {max}, not '{text}'"),
                ))),
            },
        }
    };
    Ok(read("FUNDLEDGER_INVITATION_SECONDS", 1, 30 * 86_400)?
        .or(read("FUNDLEDGER_INVITATION_DAYS", 86_400, 30)?)
        .unwrap_or(accounts::invitations::DEFAULT_INVITATION_TTL_SECONDS))
}

/// Makes the invitation (or finds the open one to the same email and role: a retry or a
/// second click mails nothing new). The secret is returned only for a new invitation.
pub async fn invite(
    state: &AppState,
    caller: &Caller,
    request: &InviteRequest,
) -> PeopleResult<(NamedInvitation, Option<String>)> {
    let email = accounts::normalise_email(&request.email)?;
    if let Some(name) = request
        .name
        .as_deref()
        .filter(|name| !name.trim().is_empty())
    {
        check_line("name", name)?;
    }
    let (role, scope_name) = invitation_target(state, caller, request).await?;
    let open =
        accounts::invitations::open_invitations(state.database(), std::slice::from_ref(&role))
            .await?;
    if let Some(invitation) = open
        .into_iter()
        .find(|invitation| invitation.email.as_deref() == Some(email.as_str()))
    {
        return Ok((
            NamedInvitation {
                invitation,
                scope_name,
            },
            None,
        ));
    }
    let ttl = invitation_ttl_seconds()?;
    let made =
        accounts::invitations::invite(state.database(), &email, &role, &caller.actor, ttl).await?;
    let invitation = accounts::invitations::invitation(state.database(), &made.invitation_id)
        .await?
        .ok_or_else(|| PeopleError::NotFound(format!("invitation {}", made.invitation_id)))?;
    Ok((
        NamedInvitation {
            invitation,
            scope_name,
        },
        Some(made.token),
    ))
}

/// Whether `caller` may remove `role` (held or offered; `granted_by` is the actor who
/// granted or sent it).
pub async fn may_manage(
    state: &AppState,
    caller: &Caller,
    role: &ScopedRole,
    granted_by: Option<&str>,
) -> PeopleResult<()> {
    let refused = || PeopleError::Forbidden(format!("you may not manage the role {role}"));
    match role.role {
        RoleKind::Owner if caller.roles.owner => Ok(()),
        RoleKind::Owner => Err(PeopleError::Forbidden(
            "only an owner may remove an owner".into(),
        )),
        RoleKind::Officer if !caller.roles.is_officer_of(&FundId::new(&role.scope)) => {
            Err(refused())
        }
        RoleKind::Officer | RoleKind::Panel => match fund_of(state, role).await? {
            Some(fund) if caller.roles.is_officer_of(&fund) => Ok(()),
            _ => Err(refused()),
        },
        RoleKind::Member => {
            if caller.roles.can_create_funds() || granted_by == Some(caller.actor.as_str()) {
                return Ok(());
            }
            let funds = funds_of_org(state, &OrgId::new(&role.scope)).await?;
            if funds.iter().any(|fund| caller.roles.is_officer_of(fund)) {
                Ok(())
            } else {
                Err(refused())
            }
        }
    }
}

/// Withdraws an open invitation.
pub async fn withdraw(
    state: &AppState,
    caller: &Caller,
    invitation_id: &str,
) -> PeopleResult<NamedInvitation> {
    let Some(invitation) =
        accounts::invitations::invitation(state.database(), invitation_id.trim()).await?
    else {
        return Err(PeopleError::NotFound(format!(
            "invitation {} not found",
            invitation_id.trim()
        )));
    };
    may_manage(
        state,
        caller,
        &invitation.role,
        Some(&invitation.invited_by),
    )
    .await?;
    let invitation = accounts::invitations::withdraw_invitation(
        state.database(),
        invitation_id.trim(),
        &caller.actor,
    )
    .await?;
    let scope_name = super::scopes::scope_name(state, &invitation.role).await?;
    Ok(NamedInvitation {
        invitation,
        scope_name,
    })
}

/// Removes `role` from `person`; `false` if they did not hold it.
pub async fn remove_role(
    state: &AppState,
    caller: &Caller,
    person: &PersonId,
    role: &ScopedRole,
) -> PeopleResult<bool> {
    let holders = accounts::grants::holders(state.database(), role.role, &role.scope).await?;
    let granted_by = holders
        .iter()
        .find(|grant| &grant.person.id == person)
        .map(|grant| grant.granted_by.clone());
    may_manage(state, caller, role, granted_by.as_deref()).await?;
    Ok(accounts::grants::revoke_role(state.database(), person, role, &caller.actor).await?)
}

/// A person with the roles they hold in one fund.
#[derive(Debug, Clone)]
pub struct PersonRoles {
    pub person: Person,
    /// Each role with the name of its scope.
    pub roles: Vec<(ScopedRole, String)>,
}

/// A fund's people and open invitations, for its officers.
#[derive(Debug, Clone, Default)]
pub struct FundPeople {
    pub people: Vec<PersonRoles>,
    pub invitations: Vec<NamedInvitation>,
    /// The fund's rounds and organisations, by id, with their names (the invite form's
    /// choices).
    pub rounds: Vec<(RoundId, String)>,
    pub organisations: Vec<(OrgId, String)>,
}

/// Everyone holding a role in `fund` (owners, its officers, its rounds' panels, its
/// organisations' members) and the open invitations to those roles.
pub async fn fund_people(
    state: &AppState,
    caller: &Caller,
    fund: &FundId,
) -> PeopleResult<FundPeople> {
    require_officer(state, caller, fund).await?;
    let fund_name = super::scopes::fund_name(state, fund).await?;
    let rounds: Vec<(RoundId, String)> =
        projections::read::rounds(state.database(), Some(fund), None)
            .await?
            .into_iter()
            .map(|round| (round.round_id, round.name))
            .collect();
    let organisations: Vec<(OrgId, String)> = fund_orgs(state, fund).await?.into_iter().collect();
    let mut scopes = vec![(ScopedRole::owner(), "fundledger".to_string())];
    scopes.push((ScopedRole::officer(fund), fund_name));
    scopes.extend(
        rounds
            .iter()
            .map(|(id, name)| (ScopedRole::panel(id), name.clone())),
    );
    scopes.extend(
        organisations
            .iter()
            .map(|(id, name)| (ScopedRole::member(id), name.clone())),
    );
    let mut people: BTreeMap<PersonId, PersonRoles> = BTreeMap::new();
    for (role, name) in &scopes {
        for grant in accounts::grants::holders(state.database(), role.role, &role.scope).await? {
            people
                .entry(grant.person.id.clone())
                .or_insert_with(|| PersonRoles {
                    person: grant.person.clone(),
                    roles: vec![],
                })
                .roles
                .push((role.clone(), name.clone()));
        }
    }
    let offered: Vec<ScopedRole> = scopes
        .iter()
        .skip(1)
        .map(|(role, _)| role.clone())
        .collect();
    let names: BTreeMap<ScopedRole, String> = scopes.into_iter().collect();
    let invitations = accounts::invitations::open_invitations(state.database(), &offered)
        .await?
        .into_iter()
        .map(|invitation| NamedInvitation {
            scope_name: names.get(&invitation.role).cloned().unwrap_or_default(),
            invitation,
        })
        .collect();
    let mut people: Vec<PersonRoles> = people.into_values().collect();
    people.sort_by_key(|entry| entry.person.display_name().to_lowercase());
    Ok(FundPeople {
        people,
        invitations,
        rounds,
        organisations,
    })
}

/// Who an actor is, for "invited by": a person's name, or an operator token's subject.
pub async fn actor_name(state: &AppState, actor: &str) -> PeopleResult<String> {
    if let Some(id) = PersonId::from_actor(actor) {
        let person = accounts::people::person(state.database(), &id).await?;
        return Ok(person.map_or_else(|| actor.to_string(), |person| person.display_name()));
    }
    Ok(match actor.split_once(':') {
        Some((_, subject)) => format!("{subject} (operator)"),
        None => actor.to_string(),
    })
}
