//! People (name and email: personal data, erasable) and organisations (a grantee's
//! 360Giving org id and name).

use domain::OrgId;

use super::{AccountResult, PersonId};
use crate::Database;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: PersonId,
    /// `None` once erased.
    pub name: Option<String>,
    /// Lower-cased; `None` once erased.
    pub email: Option<String>,
    pub created_at: i64,
    pub erased_at: Option<i64>,
}

impl Person {
    /// How the person is shown: their name, or that they were erased.
    pub fn display_name(&self) -> String {
        match (&self.name, self.erased_at) {
            (_, Some(_)) => ERASED_PERSON.to_string(),
            (Some(name), None) => name.clone(),
            (None, None) => self.email.clone().unwrap_or_default(),
        }
    }
}

/// What every place that showed an erased person shows instead.
pub const ERASED_PERSON: &str = "[erased person]";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
}

/// The person with this email, made (with `name`, or the email's local part) if new.
pub async fn find_or_create_person(
    db: &Database,
    email: &str,
    name: Option<&str>,
) -> AccountResult<Person> {
    todo!("accounts helper {db:?} {email} {name:?}")
}

pub async fn person_by_email(db: &Database, email: &str) -> AccountResult<Option<Person>> {
    todo!("accounts helper {db:?} {email}")
}

pub async fn person(db: &Database, id: &PersonId) -> AccountResult<Option<Person>> {
    todo!("accounts helper {db:?} {id}")
}

/// Several people at once (for showing names beside scores and grants), by id.
pub async fn people_by_id(
    db: &Database,
    ids: &[PersonId],
) -> AccountResult<std::collections::HashMap<PersonId, Person>> {
    todo!("accounts helper {db:?} {ids:?}")
}

/// Changes a person's name (their own account page).
pub async fn rename_person(db: &Database, id: &PersonId, name: &str) -> AccountResult<()> {
    todo!("accounts helper {db:?} {id} {name}")
}

/// Records (or renames) an organisation.
pub async fn upsert_organisation(db: &Database, org: &OrgId, name: &str) -> AccountResult<()> {
    todo!("accounts helper {db:?} {org} {name}")
}

pub async fn organisation(db: &Database, org: &OrgId) -> AccountResult<Option<Organisation>> {
    todo!("accounts helper {db:?} {org}")
}
