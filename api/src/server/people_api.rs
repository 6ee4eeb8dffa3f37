//! People in GraphQL (issue 13): officers invite people to scoped roles by email, withdraw
//! invitations, remove roles, and list a fund's people. The rules of who may do what are
//! in `manage.rs` (shared with the people screens, `web/people.rs`); names and emails are
//! shown to the fund's officers only (every field here needs an officer of the fund).

pub mod errors;
pub mod mail;
pub mod manage;
pub mod org_ids;
pub mod scopes;

use async_graphql::{Context, Enum, ErrorExtensions, InputObject, Object, SimpleObject};
use domain::FundId;
use infrastructure::accounts::{Invitation, PersonId, RoleKind, ScopedRole};

use self::errors::{PeopleError, PeopleResult};
use self::manage::{Caller, InviteRequest, NamedInvitation};
use super::auth::Viewer;
use super::context::{state, viewer};
use super::errors::GqlResult;
use super::schema::UNPAGED_LIST_ITEMS;

/// A role as GraphQL names it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleName {
    Owner,
    Officer,
    Panel,
    Member,
}

impl From<RoleName> for RoleKind {
    fn from(role: RoleName) -> RoleKind {
        match role {
            RoleName::Owner => RoleKind::Owner,
            RoleName::Officer => RoleKind::Officer,
            RoleName::Panel => RoleKind::Panel,
            RoleName::Member => RoleKind::Member,
        }
    }
}

impl From<RoleKind> for RoleName {
    fn from(role: RoleKind) -> RoleName {
        match role {
            RoleKind::Owner => RoleName::Owner,
            RoleKind::Officer => RoleName::Officer,
            RoleKind::Panel => RoleName::Panel,
            RoleKind::Member => RoleName::Member,
        }
    }
}

/// Where an invitation stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    Open,
    Accepted,
    Withdrawn,
    Expired,
}

/// A role over its scope (empty for an owner), with the scope's name.
#[derive(SimpleObject, Debug, Clone)]
pub struct RoleGrant {
    pub role: RoleName,
    /// The fund, round or organisation id (empty for an owner).
    pub scope: String,
    pub scope_name: String,
}

/// An invitation as its fund's officers see it (never its link).
#[derive(SimpleObject, Debug, Clone)]
pub struct InvitationView {
    pub invitation_id: String,
    /// Null once the invited person's data was erased.
    pub email: Option<String>,
    pub grants: RoleGrant,
    /// Who sent it (a person's name, or an operator token's subject).
    pub invited_by: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub expires_at: String,
    pub status: InvitationStatus,
}

/// A person holding roles in a fund. Personal data: shown to the fund's officers only.
#[derive(SimpleObject, Debug, Clone)]
pub struct FundPerson {
    pub person_id: String,
    /// The name, or "[erased person]".
    pub name: String,
    /// Null once erased.
    pub email: Option<String>,
    pub erased: bool,
    pub roles: Vec<RoleGrant>,
}

#[derive(InputObject, Debug, Clone)]
pub struct InvitePersonInput {
    pub email: String,
    /// How the invitation greets them; they confirm or change it on accepting.
    pub name: Option<String>,
    /// OFFICER (needs fundId), PANEL (needs roundId) or MEMBER (needs fundId, and
    /// organisationId or, for a group with no registration, organisationName).
    pub role: RoleName,
    pub fund_id: Option<String>,
    pub round_id: Option<String>,
    /// A 360Giving organisation id (GB-CHC-…, GB-COH-…, 360G-…).
    pub organisation_id: Option<String>,
    pub organisation_name: Option<String>,
    /// Accepted for symmetry with every mutation: inviting again while an invitation to
    /// the same email and role is open returns that invitation and mails nothing.
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Clone)]
pub struct WithdrawInvitationInput {
    pub invitation_id: String,
}

#[derive(InputObject, Debug, Clone)]
pub struct RemoveRoleInput {
    pub person_id: String,
    pub role: RoleName,
    /// The fund, round or organisation id; empty (or absent) for OWNER.
    pub scope: Option<String>,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct InvitationPayload {
    pub invitation: InvitationView,
    /// Whether this call made a new invitation (and mailed its link); false when an open
    /// one to the same email and role was returned.
    pub created: bool,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct RemoveRolePayload {
    pub person_id: String,
    /// False if the person did not hold the role (nothing changed).
    pub removed: bool,
}

/// The caller as the people rules see them; `UNAUTHENTICATED` for the public.
pub(crate) fn caller(viewer: &Viewer, what: &str) -> PeopleResult<Caller> {
    if matches!(viewer, Viewer::Public) {
        return Err(PeopleError::Unauthenticated(format!(
            "{what} needs a bearer token (Authorization: Bearer …) or a session"
        )));
    }
    Ok(Caller {
        actor: viewer.actor(),
        roles: viewer.roles().clone(),
    })
}

fn rfc3339(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn status_of(invitation: &Invitation) -> InvitationStatus {
    if invitation.accepted_at.is_some() {
        InvitationStatus::Accepted
    } else if invitation.withdrawn_at.is_some() {
        InvitationStatus::Withdrawn
    } else if invitation.expires_at <= infrastructure::accounts::now() {
        InvitationStatus::Expired
    } else {
        InvitationStatus::Open
    }
}

async fn invitation_view(
    ctx: &Context<'_>,
    named: NamedInvitation,
) -> PeopleResult<InvitationView> {
    let invited_by = manage::actor_name(state(ctx), &named.invitation.invited_by).await?;
    let invitation = named.invitation;
    Ok(InvitationView {
        status: status_of(&invitation),
        invitation_id: invitation.invitation_id,
        email: invitation.email,
        grants: RoleGrant {
            role: invitation.role.role.into(),
            scope: invitation.role.scope,
            scope_name: named.scope_name,
        },
        invited_by,
        created_at: rfc3339(invitation.created_at),
        expires_at: rfc3339(invitation.expires_at),
    })
}

fn gql<T>(result: PeopleResult<T>) -> GqlResult<T> {
    result.map_err(|error| error.extend())
}

#[derive(Default)]
pub struct PeopleQuery;

#[Object]
impl PeopleQuery {
    /// An officer of the fund: everyone holding a role in it (owners, its officers, its
    /// rounds' panel members, its organisations' members), with names and emails.
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn people(&self, ctx: &Context<'_>, fund_id: String) -> GqlResult<Vec<FundPerson>> {
        let caller = gql(caller(viewer(ctx), "people"))?;
        let fund = FundId::new(fund_id.trim());
        let listed = gql(manage::fund_people(state(ctx), &caller, &fund).await)?;
        Ok(listed
            .people
            .into_iter()
            .map(|entry| FundPerson {
                person_id: entry.person.id.to_string(),
                name: entry.person.display_name(),
                erased: entry.person.erased_at.is_some(),
                email: entry.person.email.clone(),
                roles: entry
                    .roles
                    .into_iter()
                    .map(|(role, scope_name)| RoleGrant {
                        role: role.role.into(),
                        scope: role.scope,
                        scope_name,
                    })
                    .collect(),
            })
            .collect())
    }

    /// An officer of the fund: the open invitations to its roles.
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn invitations(
        &self,
        ctx: &Context<'_>,
        fund_id: String,
    ) -> GqlResult<Vec<InvitationView>> {
        let caller = gql(caller(viewer(ctx), "invitations"))?;
        let fund = FundId::new(fund_id.trim());
        let listed = gql(manage::fund_people(state(ctx), &caller, &fund).await)?;
        let mut views = Vec::with_capacity(listed.invitations.len());
        for named in listed.invitations {
            views.push(gql(invitation_view(ctx, named).await)?);
        }
        Ok(views)
    }

    /// An officer of the fund: the next free id for a group with no registration,
    /// `360G-{fundSlug}-{n}` (the fund's id in lower case as its slug). Nothing is
    /// recorded until a member of the group is invited.
    async fn new_group_org_id(&self, ctx: &Context<'_>, fund_id: String) -> GqlResult<String> {
        let caller = gql(caller(viewer(ctx), "newGroupOrgId"))?;
        let fund = FundId::new(fund_id.trim());
        gql(manage::require_officer(state(ctx), &caller, &fund).await)?;
        let id = gql(scopes::next_group_org_id(state(ctx), &fund).await)?;
        Ok(id.to_string())
    }
}

#[derive(Default)]
pub struct PeopleMutation;

#[Object]
impl PeopleMutation {
    /// An officer: invites someone by email to a role in their fund. The link
    /// (`{public URL}/invitations/{secret}`) is mailed, works once and expires (7 days,
    /// `FUNDLEDGER_INVITATION_DAYS`); it is never returned here.
    async fn invite_person(
        &self,
        ctx: &Context<'_>,
        input: InvitePersonInput,
    ) -> GqlResult<InvitationPayload> {
        let caller = gql(caller(viewer(ctx), "invitePerson"))?;
        let request = InviteRequest {
            email: input.email,
            name: input.name,
            role: Some(input.role.into()),
            fund_id: input.fund_id,
            round_id: input.round_id,
            organisation_id: input.organisation_id,
            organisation_name: input.organisation_name,
        };
        let state = state(ctx);
        let (named, secret) = gql(manage::invite(state, &caller, &request).await)?;
        if let Some(secret) = &secret {
            gql(
                mail::send_invitation(state, &caller, &named, request.name.as_deref(), secret)
                    .await,
            )?;
        }
        Ok(InvitationPayload {
            invitation: gql(invitation_view(ctx, named).await)?,
            created: secret.is_some(),
        })
    }

    /// Whoever may manage the role (see `invitePerson`): withdraws an open invitation;
    /// its link then gets a "withdrawn" page.
    async fn withdraw_invitation(
        &self,
        ctx: &Context<'_>,
        input: WithdrawInvitationInput,
    ) -> GqlResult<InvitationPayload> {
        let caller = gql(caller(viewer(ctx), "withdrawInvitation"))?;
        let named = gql(manage::withdraw(state(ctx), &caller, &input.invitation_id).await)?;
        Ok(InvitationPayload {
            invitation: gql(invitation_view(ctx, named).await)?,
            created: false,
        })
    }

    /// An officer of the fund the role belongs to (an owner: owners only, never the last
    /// one): removes a role; the person's next request is refused it.
    async fn remove_role(
        &self,
        ctx: &Context<'_>,
        input: RemoveRoleInput,
    ) -> GqlResult<RemoveRolePayload> {
        let caller = gql(caller(viewer(ctx), "removeRole"))?;
        let person = PersonId::new(input.person_id.trim());
        let role = ScopedRole {
            role: input.role.into(),
            scope: input.scope.unwrap_or_default().trim().to_string(),
        };
        let removed = gql(manage::remove_role(state(ctx), &caller, &person, &role).await)?;
        Ok(RemoveRolePayload {
            person_id: person.to_string(),
            removed,
        })
    }
}
