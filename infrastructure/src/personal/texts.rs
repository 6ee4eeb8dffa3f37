//! Reading personal texts back for the API: an application's description, panel comments
//! and decline reason live only in its events (no rule or read model needs them), and the
//! names of the people an actor id stands for live only in `people`.

use std::collections::{BTreeMap, HashMap};

use domain::application::ApplicationEvent;
use domain::ApplicationId;

use crate::accounts::people::ERASED_PERSON;
use crate::accounts::PersonId;
use crate::{upcast, Database, StoreError};

/// The personal texts of one application as stored (sealed, or plain from before sealing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationTexts {
    pub description: String,
    /// Each panel member's latest comment, by member (actor id).
    pub comments: BTreeMap<String, String>,
    pub decline_reason: Option<String>,
}

/// The application's texts, from its events (one query).
pub async fn application_texts(
    db: &Database,
    application_id: &ApplicationId,
) -> Result<ApplicationTexts, StoreError> {
    const POSTGRES: &str = "SELECT event_type, event_version, payload::text FROM events \
                            WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence";
    const SQLITE: &str = "SELECT event_type, event_version, payload FROM events \
                          WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence";
    let id = application_id.as_str();
    let rows: Vec<(String, String, String)> = match db {
        Database::Postgres(pool) => {
            let query = sqlx::query_as(POSTGRES).bind("Application").bind(id);
            query.fetch_all(pool).await?
        }
        Database::Sqlite(pool) => {
            let query = sqlx::query_as(SQLITE).bind("Application").bind(id);
            query.fetch_all(pool).await?
        }
    };
    let mut texts = ApplicationTexts::default();
    for (event_type, event_version, payload) in rows {
        let corrupt = |error: String| StoreError::Corrupt(format!("{event_type}: {error}"));
        let payload = serde_json::from_str(&payload).map_err(|e| corrupt(e.to_string()))?;
        let payload = upcast("Application", &event_type, &event_version, payload)
            .map_err(|e| corrupt(e.to_string()))?;
        let event: ApplicationEvent =
            serde_json::from_value(payload).map_err(|e| corrupt(e.to_string()))?;
        match event {
            ApplicationEvent::ApplicationSubmitted { description, .. } => {
                texts.description = description;
            }
            ApplicationEvent::ApplicationScored {
                member, comment, ..
            } => {
                texts.comments.insert(member, comment);
            }
            ApplicationEvent::ApplicationDeclined { reason, .. } => {
                texts.decline_reason = Some(reason);
            }
            _ => {}
        }
    }
    Ok(texts)
}

/// The person an actor (`person:P-…`) or a panel score's member (the bare `P-…`, as
/// scores record people) names.
fn person_named(actor: &str) -> Option<PersonId> {
    PersonId::from_actor(actor).or_else(|| actor.starts_with("P-").then(|| PersonId::new(actor)))
}

/// How each actor is shown: a person's name (or email when they gave no name), or
/// [`ERASED_PERSON`] once erased; any other actor (an operator token's) as itself. One
/// query for all the people among `actors`.
pub async fn display_names(
    db: &Database,
    actors: &[&str],
) -> Result<HashMap<String, String>, StoreError> {
    let people: Vec<PersonId> = actors
        .iter()
        .filter_map(|actor| person_named(actor))
        .collect();
    let mut found: HashMap<String, String> = HashMap::new();
    if !people.is_empty() {
        let placeholders = (1..=people.len())
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT person_id, name, email, erased_at FROM people \
             WHERE person_id IN ({placeholders})"
        );
        type Row = (String, Option<String>, Option<String>, Option<i64>);
        let rows: Vec<Row> = match db {
            Database::Postgres(pool) => {
                let mut query = sqlx::query_as(&sql);
                for person in &people {
                    query = query.bind(person.as_str());
                }
                query.fetch_all(pool).await?
            }
            Database::Sqlite(pool) => {
                let mut query = sqlx::query_as(&sql);
                for person in &people {
                    query = query.bind(person.as_str());
                }
                query.fetch_all(pool).await?
            }
        };
        for (id, name, email, erased_at) in rows {
            let shown = match (erased_at, name, email) {
                (Some(_), _, _) => ERASED_PERSON.to_string(),
                (None, Some(name), _) => name,
                (None, None, email) => email.unwrap_or_default(),
            };
            found.insert(id, shown);
        }
    }
    Ok(actors
        .iter()
        .map(|actor| {
            let shown = person_named(actor)
                .and_then(|person| found.get(person.as_str()).cloned())
                .unwrap_or_else(|| actor.to_string());
            (actor.to_string(), shown)
        })
        .collect())
}
