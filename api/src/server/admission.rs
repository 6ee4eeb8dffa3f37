//! Admission for heavy operations (issue 12 §2). The complexity cap refuses what is too big
//! to run at all, but an operation just under it (150 aliases of `funds { rounds {
//! applications } }`) still takes hundreds of milliseconds of CPU, and four of them at
//! once starved every cheap query on a 2-core machine. So an operation whose estimated
//! complexity is over `HEAVY_QUERY_COMPLEXITY` runs only with a permit of one small
//! semaphore shared by the whole server; it waits at most `DEFAULT_HEAVY_QUERY_WAIT_MS` for one,
//! then is answered `TIMEOUT` ("busy, retry"). Cheap operations never wait: what a cheap
//! query competes with is then at most `max_heavy` heavy operations, not every attacker's.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextValidation,
};
use async_graphql::{Response, ServerError, ValidationResult};
use tokio::sync::Semaphore;

use super::errors::TIMEOUT;

/// Estimated complexity (see `schema::MAX_QUERY_COMPLEXITY`) above which an operation is
/// heavy: a tenth of the cap.
pub const HEAVY_QUERY_COMPLEXITY: usize = 500;
/// Heavy operations running at once across the server (`--max-heavy-operations`). One, so
/// that on the 2 cores the server is sized for one core is always left to cheap queries:
/// measured (tests/bench/RESULTS.md) a simple query's median under 4 attackers was 0.55 s
/// without admission, 0.19 s with 2 permits and 0.04 s with 1.
pub const DEFAULT_MAX_HEAVY_OPERATIONS: usize = 1;
/// Longest a heavy operation waits for a permit before it is answered `TIMEOUT`
/// (`--heavy-wait-ms`).
pub const DEFAULT_HEAVY_QUERY_WAIT_MS: u64 = 2_000;

/// Makes each operation over `HEAVY_QUERY_COMPLEXITY` take a permit of one semaphore.
pub struct HeavyAdmission {
    permits: Arc<Semaphore>,
    max_heavy: usize,
    wait: Duration,
}

impl HeavyAdmission {
    /// At most `max_heavy` heavy operations at once (at least 1, so heavy ones still run).
    /// A heavy operation waits at most `wait` for a permit.
    pub fn new(max_heavy: usize, wait: Duration) -> HeavyAdmission {
        let max_heavy = max_heavy.max(1);
        HeavyAdmission {
            permits: Arc::new(Semaphore::new(max_heavy)),
            max_heavy,
            wait,
        }
    }
}

impl ExtensionFactory for HeavyAdmission {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Admission {
            permits: self.permits.clone(),
            max_heavy: self.max_heavy,
            wait: self.wait,
            complexity: AtomicUsize::new(0),
        })
    }
}

/// One request's admission: `create` is called per request, so `validation` and `execute`
/// below see the same operation.
struct Admission {
    permits: Arc<Semaphore>,
    max_heavy: usize,
    wait: Duration,
    complexity: AtomicUsize,
}

fn busy(max_heavy: usize, wait: Duration) -> ServerError {
    let mut error = ServerError::new(
        format!(
            "the server is busy: {max_heavy} heavy operations (complexity over \
             {HEAVY_QUERY_COMPLEXITY}), the most it runs at once, are running and none \
             finished within {} ms; retry, or ask for fewer fields or aliases",
            wait.as_millis()
        ),
        None,
    );
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", TIMEOUT);
    error
}

#[async_trait::async_trait]
impl Extension for Admission {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        self.complexity.store(result.complexity, Ordering::Relaxed);
        Ok(result)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if self.complexity.load(Ordering::Relaxed) <= HEAVY_QUERY_COMPLEXITY {
            return next.run(ctx, operation_name).await;
        }
        // The permit is held until the operation's answer is built, then released. A free
        // permit is taken even with a zero wait: `timeout` polls the acquire first.
        let acquire = self.permits.clone().acquire_owned();
        let _permit = match tokio::time::timeout(self.wait, acquire).await {
            Ok(Ok(permit)) => permit,
            // Timed out, or the semaphore closed (never: it is not closed anywhere).
            _ => return Response::from_errors(vec![busy(self.max_heavy, self.wait)]),
        };
        next.run(ctx, operation_name).await
    }
}
