//! Role grants: who holds which scoped role. A revoked grant stays as the record of who
//! had access when; only live grants count.

use std::collections::HashSet;

use super::people::{person_from_row, PersonRow};
use super::secrets::new_id;
use super::{now, AccountError, AccountResult, Person, PersonId, RoleKind, ScopedRole};
use crate::{Database, StoreError};

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

/// Grants a role unless the person holds it live already (the partial unique index
/// `role_grants_live` makes a second live copy a conflict, which is then skipped).
pub(crate) const INSERT_GRANT: &str = "INSERT INTO role_grants \
     (grant_id, person_id, role, scope, granted_by, granted_at) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
const REVOKE_GRANT: &str = "UPDATE role_grants SET revoked_at = $4, revoked_by = $5 \
     WHERE person_id = $1 AND role = $2 AND scope = $3 AND revoked_at IS NULL";
/// Live owners who are still people (not erased).
const COUNT_LIVE_OWNERS: &str = "SELECT COUNT(*) FROM role_grants g \
     JOIN people p ON p.person_id = g.person_id \
     WHERE g.role = 'owner' AND g.revoked_at IS NULL AND p.erased_at IS NULL";
/// PostgreSQL only: two officers removing the two last owners at once must not both
/// succeed, so the owners' grants are locked before either is revoked. (SQLite runs one
/// writer at a time, which gives the same order.)
const LOCK_LIVE_OWNERS: &str =
    "SELECT grant_id FROM role_grants WHERE role = 'owner' AND revoked_at IS NULL FOR UPDATE";

/// Refuses a role whose scope does not fit its kind (an owner has none; the others name
/// one fund, round or organisation on one line).
pub(crate) fn check_role(role: &ScopedRole) -> AccountResult<()> {
    match role.role {
        RoleKind::Owner if !role.scope.is_empty() => Err(AccountError::Invalid(
            "the owner role has no scope; give an empty scope".into(),
        )),
        RoleKind::Owner => Ok(()),
        kind => {
            super::people::check_one_line(&format!("{kind}'s {}", kind.scope_noun()), &role.scope)
        }
    }
}

/// A stored role name read back; anything else is a corrupt row.
pub(crate) fn role_from_row(role: &str, scope: String) -> AccountResult<ScopedRole> {
    let role = role
        .parse::<RoleKind>()
        .map_err(|error| AccountError::Store(StoreError::Corrupt(error)))?;
    Ok(ScopedRole { role, scope })
}

/// Grants `role` to `person` (recorded as granted by the actor `by`). `false` if the
/// person already held it (nothing changes).
pub async fn grant_role(
    db: &Database,
    person: &PersonId,
    role: &ScopedRole,
    by: &str,
) -> AccountResult<bool> {
    check_role(role)?;
    match super::people::person(db, person).await? {
        Some(found) if found.erased_at.is_none() => {}
        _ => return Err(AccountError::NotFound(format!("person {person}"))),
    }
    let granted = on_store!(db, pool => {
        sqlx::query(INSERT_GRANT)
            .bind(new_id("G-"))
            .bind(person.as_str())
            .bind(role.role.as_str())
            .bind(&role.scope)
            .bind(by)
            .bind(now())
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(granted == 1)
}

/// Revokes `role` from `person`; their next request is refused it. `false` if they did
/// not hold it. Refuses (`Conflict`) to remove the last owner.
pub async fn revoke_role(
    db: &Database,
    person: &PersonId,
    role: &ScopedRole,
    by: &str,
) -> AccountResult<bool> {
    let is_owner = role.role == RoleKind::Owner;
    let lock_owners = is_owner && matches!(db, Database::Postgres(_));
    let owners_left: Option<i64> = on_store!(db, pool => {
        let mut tx = pool.begin().await?;
        if lock_owners {
            sqlx::query(LOCK_LIVE_OWNERS).execute(&mut *tx).await?;
        }
        let revoked = sqlx::query(REVOKE_GRANT)
            .bind(person.as_str())
            .bind(role.role.as_str())
            .bind(&role.scope)
            .bind(now())
            .bind(by)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if revoked == 0 {
            return Ok(false);
        }
        let left: Option<i64> = match is_owner {
            true => Some(sqlx::query_scalar(COUNT_LIVE_OWNERS).fetch_one(&mut *tx).await?),
            false => None,
        };
        if left != Some(0) {
            tx.commit().await?;
        }
        left
    });
    if owners_left == Some(0) {
        return Err(AccountError::Conflict(format!(
            "person {person} is the last owner; make someone else owner before removing them"
        )));
    }
    Ok(true)
}

/// The person's live grants.
pub async fn live_roles(db: &Database, person: &PersonId) -> AccountResult<Vec<ScopedRole>> {
    const SQL: &str = "SELECT role, scope FROM role_grants \
         WHERE person_id = $1 AND revoked_at IS NULL ORDER BY role, scope";
    let rows: Vec<(String, String)> = on_store!(db, pool => {
        sqlx::query_as(SQL).bind(person.as_str()).fetch_all(pool).await?
    });
    rows.into_iter()
        .map(|(role, scope)| role_from_row(&role, scope))
        .collect()
}

/// Who holds `role` over `scope` now (e.g. the officers of a fund, a round's panel).
pub async fn holders(db: &Database, role: RoleKind, scope: &str) -> AccountResult<Vec<Grant>> {
    const SQL: &str = "SELECT g.grant_id, g.granted_by, g.granted_at, \
         p.person_id, p.name, p.email, p.created_at, p.erased_at \
         FROM role_grants g JOIN people p ON p.person_id = g.person_id \
         WHERE g.role = $1 AND g.scope = $2 AND g.revoked_at IS NULL \
         ORDER BY g.granted_at, g.grant_id";
    type Row = (
        String,
        String,
        i64,
        String,
        Option<String>,
        Option<String>,
        i64,
        Option<i64>,
    );
    let rows: Vec<Row> = on_store!(db, pool => {
        sqlx::query_as(SQL).bind(role.as_str()).bind(scope).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(
            |(grant_id, granted_by, granted_at, id, name, email, created, erased)| {
                let person: PersonRow = (id, name, email, created, erased);
                Grant {
                    grant_id,
                    person: person_from_row(person),
                    role: ScopedRole {
                        role,
                        scope: scope.to_string(),
                    },
                    granted_by,
                    granted_at,
                }
            },
        )
        .collect())
}

/// The scopes in which anyone holds `role` now (every organisation with a member, say):
/// one query, so a caller with many scopes to look up asks only about these.
pub async fn scopes_held(db: &Database, role: RoleKind) -> AccountResult<HashSet<String>> {
    const SQL: &str =
        "SELECT DISTINCT scope FROM role_grants WHERE role = $1 AND revoked_at IS NULL";
    let scopes: Vec<String> = on_store!(db, pool => {
        sqlx::query_scalar(SQL).bind(role.as_str()).fetch_all(pool).await?
    });
    Ok(scopes.into_iter().collect())
}

/// Whether any person is an owner (the first start makes one).
pub async fn has_owner(db: &Database) -> AccountResult<bool> {
    let owners: i64 = on_store!(db, pool => {
        sqlx::query_scalar(COUNT_LIVE_OWNERS).fetch_one(pool).await?
    });
    Ok(owners > 0)
}
