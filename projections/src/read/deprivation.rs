//! How an area's small areas spread over their nation's deprivation deciles: the public
//! area page's IMD context (`Neighbourhood.deprivation`), from the reference geography
//! alone (no award is involved, so no as-of).

use domain::{GeoCode, Nation};
use infrastructure::Database;

use super::{decile_key, Result};
use crate::on_pool;

/// The LSOAs at or below an area in one decile of one nation's index.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DecileShare {
    pub nation: Nation,
    /// 1 = the most deprived 10% of the nation's small areas.
    pub imd_decile: i16,
    /// How many of the area's LSOAs are in this decile.
    pub neighbourhoods: i64,
    /// The people in them (LSOAs without a population count none).
    pub population: i64,
}

/// The LSOAs at or below `code` (the area itself when it is one) that have a decile, by
/// nation and decile: one query over the ancestor table's key (`ancestor`, `code`).
pub async fn deprivation(db: &Database, code: &GeoCode) -> Result<Vec<DecileShare>> {
    let rows: Vec<(String, i64, i64, i64)> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT substr(g.code, 1, 1), CAST(g.imd_decile AS BIGINT), CAST(count(*) AS BIGINT),
                CAST(coalesce(sum(g.population), 0) AS BIGINT)
           FROM geography_ancestors up JOIN geography g ON g.code = up.code
          WHERE up.ancestor = $1 AND g.level = 'lsoa' AND g.imd_decile IS NOT NULL
          GROUP BY substr(g.code, 1, 1), g.imd_decile"
    )
    .bind(code.as_str())
    .fetch_all(pool)
    .await?);
    let mut shares = rows
        .into_iter()
        .map(|(letter, decile, neighbourhoods, population)| {
            let (nation, imd_decile) = decile_key(&letter, decile)?;
            Ok(DecileShare {
                nation,
                imd_decile,
                neighbourhoods,
                population,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    shares.sort_by_key(|share| (share.nation, share.imd_decile));
    Ok(shares)
}
