//! Search of the award register by text (issue 15, `/search`): recipients by name and
//! awards by title or recipient name. Each is one statement with a bound LIMIT over
//! `rm_awards` (a `LIKE '%…%'` reads the table once, with no index, and a sort of only the
//! matches): measured in `tests/tests/public_search.rs`'s notes and ARCHITECTURE.md.
//! Case is ignored (`lower`, which SQLite applies to ASCII letters only).

use infrastructure::Database;
use rust_decimal::Decimal;

use super::{AwardRecord, AwardRow, Result, AWARD_COLUMNS};
use crate::{from_pence, on_pool};

/// The most results of each kind one search answers.
pub const MAX_SEARCH_RESULTS: u32 = 50;

/// A recipient whose name matches, with its awards' count and total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientMatch {
    pub org_id: String,
    /// The name on its latest award.
    pub name: String,
    pub award_count: i64,
    pub awarded: Decimal,
}

/// `%text%` for `LIKE … ESCAPE '\'`, lower case, the pattern's own characters escaped.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Recipients whose name contains `text` (any case), most awards first, at most `first`.
pub async fn search_recipients(
    db: &Database,
    text: &str,
    first: u32,
) -> Result<Vec<RecipientMatch>> {
    let rows: Vec<(String, String, i64, i64)> = on_pool!(db, |pool| {
        sqlx::query_as(
        "SELECT a.recipient_org_id,
                (SELECT b.recipient_name FROM rm_awards b WHERE b.recipient_org_id = a.recipient_org_id
                  ORDER BY b.awarded_on DESC, b.award_id DESC LIMIT 1),
                CAST(count(*) AS BIGINT), CAST(sum(a.awarded_pence) AS BIGINT)
           FROM rm_awards a
          WHERE lower(a.recipient_name) LIKE $1 ESCAPE '\\'
          GROUP BY a.recipient_org_id
          ORDER BY count(*) DESC, a.recipient_org_id
          LIMIT $2"
    )
    .bind(contains_pattern(text))
    .bind(i64::from(first.clamp(1, MAX_SEARCH_RESULTS)))
    .fetch_all(pool)
    .await?
    });
    Ok(rows
        .into_iter()
        .map(|(org_id, name, award_count, awarded)| RecipientMatch {
            org_id,
            name,
            award_count,
            awarded: from_pence(awarded),
        })
        .collect())
}

/// Awards whose title or recipient's name contains `text` (any case), latest first, at
/// most `first`.
pub async fn search_awards(db: &Database, text: &str, first: u32) -> Result<Vec<AwardRecord>> {
    let sql = format!(
        "SELECT {AWARD_COLUMNS} FROM rm_awards a
          WHERE lower(a.title) LIKE $1 ESCAPE '\\' OR lower(a.recipient_name) LIKE $1 ESCAPE '\\'
          ORDER BY a.awarded_on DESC, a.award_id
          LIMIT $2"
    );
    let rows: Vec<AwardRow> = on_pool!(db, |pool| sqlx::query_as(&sql)
        .bind(contains_pattern(text))
        .bind(i64::from(first.clamp(1, MAX_SEARCH_RESULTS)))
        .fetch_all(pool)
        .await?);
    rows.into_iter().map(AwardRow::into_record).collect()
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn the_pattern_escapes_like_wildcards_and_ignores_case() {
        assert_eq!(contains_pattern(" Food Bank "), "%food bank%");
        assert_eq!(contains_pattern("100%_sure\\"), "%100\\%\\_sure\\\\%");
    }
}
