//! fundledger's domain: the aggregates of a grant fund and the value types they are built
//! from. Pure: no IO, no database, no clock. Dates and ids come in through commands, and
//! the one outside lookup (the reference geography) through `Aggregate::Services`.

pub mod application;
pub mod apportion;
pub mod award;
pub mod ballot;
pub mod dates;
pub mod fund;
pub mod geo;
pub mod ids;
pub mod money;
pub mod outcome;
pub mod round;
pub mod services;
pub mod sroi;
#[cfg(test)]
mod test_support;
pub mod text;

pub use dates::{DateError, DateTextError};
pub use geo::{GeoCode, GeoCodeError, GeoLevel, Nation};
pub use ids::{ApplicationId, AwardId, DrawdownId, FundId, OrgId, RoundId};
pub use money::{Money, MoneyError};
pub use outcome::{Fraction, FractionError, OutcomeProxy};
pub use services::{Geography, NoGeography};
pub use text::TextError;

/// Dates in the ledger are calendar dates in the UK; no time zone arithmetic is needed.
pub type Date = chrono::NaiveDate;
