//! Throttling: fixed-window counters in the store, so every server process counts the
//! same attempts. A bucket names what is counted and whose (e.g. `sign-in:ip:1.2.3.4`,
//! `sign-in:email:a@b.org`, `ballot:ip:…`).

use super::{now, AccountError, AccountResult};
use crate::Database;

/// At most `limit` hits per `window_seconds`; `what` names the attempts in the refusal
/// ("sign-in requests from this address").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    pub limit: u32,
    pub window_seconds: i64,
}

/// Counts one hit on `bucket`; `AccountError::Throttled` (with the seconds until the
/// window ends, and `what`) once the rule's limit is passed. Hits above the limit are
/// counted too, so hammering does not shorten the wait.
pub async fn hit(db: &Database, bucket: &str, rule: ThrottleRule, what: &str) -> AccountResult<()> {
    const COUNT: &str = "INSERT INTO throttle_counters (bucket, window_start, hits) \
         VALUES ($1, $2, 1) ON CONFLICT (bucket, window_start) \
         DO UPDATE SET hits = throttle_counters.hits + 1 RETURNING hits";
    // The bucket's earlier windows are over: dropped when its next window opens.
    const FORGET: &str = "DELETE FROM throttle_counters WHERE bucket = $1 AND window_start < $2";
    if rule.window_seconds < 1 {
        return Err(AccountError::Invalid(
            "a throttle window must be at least 1 second".into(),
        ));
    }
    let at = now();
    let window_start = at - at.rem_euclid(rule.window_seconds);
    let hits: i64 = on_store!(db, pool => {
        let hits: i64 = sqlx::query_scalar(COUNT)
            .bind(bucket)
            .bind(window_start)
            .fetch_one(pool)
            .await?;
        if hits == 1 {
            sqlx::query(FORGET).bind(bucket).bind(window_start).execute(pool).await?;
        }
        hits
    });
    if hits > i64::from(rule.limit) {
        return Err(AccountError::Throttled {
            what: what.to_string(),
            retry_after_seconds: (window_start + rule.window_seconds - at).max(1) as u64,
        });
    }
    Ok(())
}
