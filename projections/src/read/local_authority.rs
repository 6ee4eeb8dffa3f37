//! The local authority an area is in: its nearest ancestor (or itself) at the level of
//! districts and unitary authorities, from the ancestor table (one indexed lookup).

use domain::GeoCode;
use infrastructure::Database;

use super::{Area, AreaRow, Result};
use crate::on_pool;

/// The local authority `code` is in, or is; `None` when the reference geography places
/// it in none (a region, a country, a code it does not know).
pub async fn local_authority(db: &Database, code: &GeoCode) -> Result<Option<Area>> {
    let row: Option<AreaRow> = on_pool!(db, |pool| {
        sqlx::query_as(
        "SELECT g.code, g.name, g.level, g.parent_code, CAST(g.population AS BIGINT) AS population,
                CAST(g.imd_decile AS BIGINT) AS imd_decile
           FROM geography_ancestors up JOIN geography g ON g.code = up.ancestor
          WHERE up.code = $1 AND g.level = 'lad'
          ORDER BY up.depth LIMIT 1"
    )
    .bind(code.as_str())
    .fetch_optional(pool)
    .await?
    });
    Ok(row.map(Area::from))
}
