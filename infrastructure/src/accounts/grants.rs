//! Role grants: who holds which scoped role. A revoked grant stays as the record of who
//! had access when; only live grants count.

use super::{AccountResult, Person, PersonId, RoleKind, ScopedRole};
use crate::Database;

/// A grant as listed to officers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub grant_id: String,
    pub person: Person,
    pub role: ScopedRole,
    /// The actor who granted it.
    pub granted_by: String,
    pub granted_at: i64,
}

/// Grants `role` to `person` (recorded as granted by the actor `by`). `false` if the
/// person already held it (nothing changes).
pub async fn grant_role(
    db: &Database,
    person: &PersonId,
    role: &ScopedRole,
    by: &str,
) -> AccountResult<bool> {
    todo!("accounts helper {db:?} {person} {role} {by}")
}

/// Revokes `role` from `person`; their next request is refused it. `false` if they did
/// not hold it. Refuses (`Conflict`) to remove the last owner.
pub async fn revoke_role(
    db: &Database,
    person: &PersonId,
    role: &ScopedRole,
    by: &str,
) -> AccountResult<bool> {
    todo!("accounts helper {db:?} {person} {role} {by}")
}

/// The person's live grants.
pub async fn live_roles(db: &Database, person: &PersonId) -> AccountResult<Vec<ScopedRole>> {
    todo!("accounts helper {db:?} {person}")
}

/// Who holds `role` over `scope` now (e.g. the officers of a fund, a round's panel).
pub async fn holders(db: &Database, role: RoleKind, scope: &str) -> AccountResult<Vec<Grant>> {
    todo!("accounts helper {db:?} {role} {scope}")
}

/// Whether any person is an owner (the first start makes one).
pub async fn has_owner(db: &Database) -> AccountResult<bool> {
    todo!("accounts helper {db:?}")
}
