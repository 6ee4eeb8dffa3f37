//! People (name and email: personal data, erasable) and organisations (a grantee's
//! 360Giving org id and name).

use std::collections::HashMap;

use domain::OrgId;

use super::{normalise_email, now, AccountError, AccountResult, PersonId};
use crate::Database;

/// The longest name a person or organisation may have, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// How many ids one `people_by_id` query names (well under either store's bind limit).
const PEOPLE_PER_QUERY: usize = 500;

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

/// A `people` row as selected by `PERSON_COLUMNS`.
pub(crate) type PersonRow = (String, Option<String>, Option<String>, i64, Option<i64>);
pub(crate) const PERSON_COLUMNS: &str = "person_id, name, email, created_at, erased_at";
/// Makes the person unless the email is taken (then the existing person stands).
pub(crate) const INSERT_PERSON: &str = "INSERT INTO people (person_id, email, name, created_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO NOTHING";
pub(crate) const PERSON_BY_EMAIL: &str =
    "SELECT person_id, name, email, created_at, erased_at FROM people WHERE email = $1";

pub(crate) fn person_from_row((id, name, email, created_at, erased_at): PersonRow) -> Person {
    Person {
        id: PersonId(id),
        name,
        email,
        created_at,
        erased_at,
    }
}

/// Refuses a text that is not one visible line (empty included).
pub(crate) fn check_one_line(field: &str, text: &str) -> AccountResult<()> {
    if text.trim().is_empty() {
        return Err(AccountError::Invalid(format!("enter the {field}")));
    }
    domain::text::check_line(field, text).map_err(|error| AccountError::Invalid(error.to_string()))
}

/// A name as given (trimmed), refused unless it is one visible line of sensible length.
pub(crate) fn checked_name(field: &str, name: &str) -> AccountResult<String> {
    let name = name.trim();
    check_one_line(field, name)?;
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AccountError::Invalid(format!(
            "{field} is {} characters long; the most is {MAX_NAME_CHARS}",
            name.chars().count()
        )));
    }
    Ok(name.to_string())
}

/// The name a new person gets: the one given, or the email's local part.
pub(crate) fn name_for_new_person(email: &str, name: Option<&str>) -> AccountResult<String> {
    match name {
        Some(name) => checked_name("name", name),
        None => Ok(email.split('@').next().unwrap_or(email).to_string()),
    }
}

/// The person with this email, made (with `name`, or the email's local part) if new.
pub async fn find_or_create_person(
    db: &Database,
    email: &str,
    name: Option<&str>,
) -> AccountResult<Person> {
    let email = normalise_email(email)?;
    let name = name_for_new_person(&email, name)?;
    let id = PersonId::generate();
    let row: PersonRow = on_store!(db, pool => {
        sqlx::query(INSERT_PERSON)
            .bind(id.as_str())
            .bind(&email)
            .bind(&name)
            .bind(now())
            .execute(pool)
            .await?;
        sqlx::query_as(PERSON_BY_EMAIL).bind(&email).fetch_one(pool).await?
    });
    Ok(person_from_row(row))
}

pub async fn person_by_email(db: &Database, email: &str) -> AccountResult<Option<Person>> {
    let email = normalise_email(email)?;
    let row: Option<PersonRow> = on_store!(db, pool => {
        sqlx::query_as(PERSON_BY_EMAIL).bind(&email).fetch_optional(pool).await?
    });
    Ok(row.map(person_from_row))
}

pub async fn person(db: &Database, id: &PersonId) -> AccountResult<Option<Person>> {
    const SQL: &str =
        "SELECT person_id, name, email, created_at, erased_at FROM people WHERE person_id = $1";
    let row: Option<PersonRow> = on_store!(db, pool => {
        sqlx::query_as(SQL).bind(id.as_str()).fetch_optional(pool).await?
    });
    Ok(row.map(person_from_row))
}

/// Several people at once (for showing names beside scores and grants), by id.
pub async fn people_by_id(
    db: &Database,
    ids: &[PersonId],
) -> AccountResult<HashMap<PersonId, Person>> {
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(PEOPLE_PER_QUERY) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM people WHERE person_id IN ({})",
            placeholders.join(", ")
        );
        let rows: Vec<PersonRow> = on_store!(db, pool => {
            let mut query = sqlx::query_as(&sql);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            query.fetch_all(pool).await?
        });
        for row in rows {
            let person = person_from_row(row);
            found.insert(person.id.clone(), person);
        }
    }
    Ok(found)
}

/// Changes a person's name (their own account page).
pub async fn rename_person(db: &Database, id: &PersonId, name: &str) -> AccountResult<()> {
    const SQL: &str = "UPDATE people SET name = $2 WHERE person_id = $1 AND erased_at IS NULL";
    let name = checked_name("name", name)?;
    let changed = on_store!(db, pool => {
        sqlx::query(SQL).bind(id.as_str()).bind(&name).execute(pool).await?.rows_affected()
    });
    if changed == 0 {
        return Err(AccountError::NotFound(format!("person {id}")));
    }
    Ok(())
}

/// Records (or renames) an organisation.
pub async fn upsert_organisation(db: &Database, org: &OrgId, name: &str) -> AccountResult<()> {
    const SQL: &str = "INSERT INTO organisations (org_id, name, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (org_id) DO UPDATE SET name = excluded.name";
    let id = org.to_string();
    check_one_line("organisation id", &id)?;
    let name = checked_name("organisation name", name)?;
    on_store!(db, pool => {
        sqlx::query(SQL).bind(&id).bind(&name).bind(now()).execute(pool).await?;
    });
    Ok(())
}

pub async fn organisation(db: &Database, org: &OrgId) -> AccountResult<Option<Organisation>> {
    const SQL: &str = "SELECT org_id, name FROM organisations WHERE org_id = $1";
    let row: Option<(String, String)> = on_store!(db, pool => {
        sqlx::query_as(SQL).bind(org.to_string()).fetch_optional(pool).await?
    });
    Ok(row.map(|(id, name)| Organisation {
        id: OrgId::new(id),
        name,
    }))
}
