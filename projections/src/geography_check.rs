//! `verify`'s independent check of `geography_ancestors`: recomputed in Rust from the
//! parent links (each area's primary parent in `geography.parent_code` and every link of
//! `geography_parents`, migration 0012) and compared row by row.

use std::collections::{BTreeMap, BTreeSet};

use infrastructure::geography::MAX_GEOGRAPHY_DEPTH;
use infrastructure::Database;

use crate::check::{compare_maps, VerifyReport};
use crate::{on_pool, ProjectionError};

/// Every area with itself (depth 0) and each ancestor over links of every kind, at the
/// nearest depth, walking at most `MAX_GEOGRAPHY_DEPTH` steps (breadth first, so a cycle
/// in imported links stops like the import's walk).
pub(crate) fn ancestors_of(
    codes: &[String],
    links: &BTreeSet<(String, String)>,
) -> BTreeMap<(String, String), i64> {
    let mut parents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (code, parent) in links {
        parents
            .entry(code.as_str())
            .or_default()
            .push(parent.as_str());
    }
    let mut want = BTreeMap::new();
    for code in codes {
        want.insert((code.clone(), code.clone()), 0);
        let mut level = vec![code.as_str()];
        for depth in 1..=MAX_GEOGRAPHY_DEPTH as i64 {
            let mut next = Vec::new();
            for child in level {
                for parent in parents.get(child).into_iter().flatten() {
                    let key = (parent.to_string(), code.clone());
                    if let std::collections::btree_map::Entry::Vacant(entry) = want.entry(key) {
                        entry.insert(depth);
                        next.push(*parent);
                    }
                }
            }
            level = next;
        }
    }
    want
}

/// `geography_ancestors` is derived from the geography alone: recompute it and compare, so
/// an edited or stale row that would move money between areas' roll-ups (or count an
/// award twice at one level) is caught.
pub(crate) async fn compare_geography_ancestors(
    db: &Database,
    report: &mut VerifyReport,
) -> Result<(), ProjectionError> {
    let areas: Vec<(String, Option<String>)> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT code, parent_code FROM geography"
    )
    .fetch_all(pool)
    .await?);
    let other_links: Vec<(String, String)> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT code, parent_code FROM geography_parents"
    )
    .fetch_all(pool)
    .await?);
    let mut links: BTreeSet<(String, String)> = other_links.into_iter().collect();
    links.extend(
        areas
            .iter()
            .filter_map(|(code, parent)| Some((code.clone(), parent.clone()?))),
    );
    let codes: Vec<String> = areas.into_iter().map(|(code, _)| code).collect();
    let want = ancestors_of(&codes, &links);
    let rows: Vec<(String, String, i64)> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT ancestor, code, CAST(depth AS BIGINT) FROM geography_ancestors"
    )
    .fetch_all(pool)
    .await?);
    let have = rows
        .into_iter()
        .map(|(ancestor, code, depth)| ((ancestor, code), depth))
        .collect();
    compare_maps(
        report,
        "geography_ancestors (roll-up hierarchy)",
        &want,
        &have,
    );
    Ok(())
}
