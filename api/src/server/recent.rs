//! The latest awards and payments (`recentAwards`, `recentPayments`): what the public home
//! page lists under "Latest awards" and "Latest payments", now or as they stood at the
//! end of a day. Public: an award's public fields and a payment's day and amount (never
//! its reference or the drawdown's purpose).

use async_graphql::Object;
use projections::read;

use super::scalars::{DateValue, MoneyValue};
use super::types::{money, Award};

/// The most a `recentAwards` or `recentPayments` list holds when `first` is not given.
pub const DEFAULT_RECENT_ITEMS: u32 = 10;

/// A payment recorded on an award: its day and amount, and the award it was paid on.
pub struct RecentPayment(pub read::RecentPayment);

#[Object]
impl RecentPayment {
    /// The day the payment was made.
    async fn paid_on(&self) -> DateValue {
        DateValue(self.0.paid_on)
    }
    /// The amount paid.
    async fn amount(&self) -> MoneyValue {
        money(self.0.amount)
    }
    /// The award it was paid on (its amounts as of the list's `asOf`, when one is given).
    async fn award(&self) -> Award {
        Award(self.0.award.clone())
    }
}
