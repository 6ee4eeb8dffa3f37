//! The reference geography's places, for choosing one by name (the work screens' place
//! chooser): every area with its level and its parent's name.

use infrastructure::Database;

use super::Result;
use crate::on_pool;

/// One place of the reference geography.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceRecord {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub parent_name: Option<String>,
}

/// A row of the query below: code, name, level, parent code, parent name.
type PlaceRow = (String, String, String, Option<String>, Option<String>);

/// Every place of the reference geography with a name, by code.
pub async fn places(db: &Database) -> Result<Vec<PlaceRecord>> {
    let rows: Vec<PlaceRow> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT g.code, g.name, g.level, g.parent_code, p.name \
             FROM geography g LEFT JOIN geography p ON p.code = g.parent_code \
             ORDER BY g.code"
    )
    .fetch_all(pool)
    .await?);
    Ok(rows
        .into_iter()
        .map(
            |(code, name, level, parent_code, parent_name)| PlaceRecord {
                code,
                name,
                level,
                parent_code,
                parent_name,
            },
        )
        .collect())
}
