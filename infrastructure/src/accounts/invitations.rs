//! Invitations: an officer invites someone by email to a role; the link is single-use,
//! expires, and can be withdrawn. Accepting it proves the email (the link went there),
//! makes the person if new and grants the role.

use super::{AccountResult, Person, ScopedRole};
use crate::Database;

/// How long an invitation link stays valid unless the caller says otherwise.
pub const DEFAULT_INVITATION_TTL_SECONDS: i64 = 7 * 24 * 3600;

/// A new invitation; `token` is the secret of its link, shown (emailed) once.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub invitation_id: String,
    pub token: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub invitation_id: String,
    /// `None` once the invited person's data was erased.
    pub email: Option<String>,
    pub role: ScopedRole,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub withdrawn_at: Option<i64>,
}

pub async fn invite(
    db: &Database,
    email: &str,
    role: &ScopedRole,
    invited_by: &str,
    ttl_seconds: i64,
) -> AccountResult<NewInvitation> {
    todo!("accounts helper {db:?} {email} {role} {invited_by} {ttl_seconds}")
}

/// The invitation behind a link, if it can still be accepted (`Expired`, `AlreadyUsed`,
/// `Withdrawn`, `NotFound` otherwise).
pub async fn open_invitation(db: &Database, token: &str) -> AccountResult<Invitation> {
    todo!("accounts helper {db:?} {token}")
}

/// Accepts the invitation once (two racing accepts: one wins, the other `AlreadyUsed`),
/// making the person (named `name`) if new, and grants its role.
pub async fn accept_invitation(
    db: &Database,
    token: &str,
    name: Option<&str>,
) -> AccountResult<(Person, ScopedRole)> {
    todo!("accounts helper {db:?} {token} {name:?}")
}

pub async fn withdraw_invitation(
    db: &Database,
    invitation_id: &str,
    by: &str,
) -> AccountResult<Invitation> {
    todo!("accounts helper {db:?} {invitation_id} {by}")
}

pub async fn invitation(db: &Database, invitation_id: &str) -> AccountResult<Option<Invitation>> {
    todo!("accounts helper {db:?} {invitation_id}")
}

/// Open (not accepted, withdrawn or expired) invitations to roles over `scope`s.
pub async fn open_invitations(
    db: &Database,
    scopes: &[ScopedRole],
) -> AccountResult<Vec<Invitation>> {
    todo!("accounts helper {db:?} {scopes:?}")
}
