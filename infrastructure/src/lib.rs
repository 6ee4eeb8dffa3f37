//! fundledger's infrastructure: the event stores (PostgreSQL through postgres-es, SQLite
//! through sqlite-es), their migrations, the command path with snapshots and idempotency
//! keys, the global event log reader, the process manager that completes steps spanning
//! aggregates, the reference geography (England's shipped in the binary), the import of published 360Giving history, and the
//! public exports (360Giving).

pub mod accounts;
pub mod backup;
pub mod ballot_codes;
pub mod business_date;
pub mod command_log;
pub mod config;
pub mod database;
pub mod event_log;
pub mod event_store;
pub mod export;
pub mod geography;
pub mod import;
pub mod ledger;
pub mod notifications;
pub mod outage;
pub mod personal;
pub mod postcodes;
pub mod reference;
pub mod restored_log;
pub mod test_support;
pub mod upcast;

pub use business_date::{business_date, business_today, BUSINESS_TIME_ZONE};
pub use config::StoreConfig;
pub use database::{Database, StoreError, WriteHealth};
pub use event_log::{LogCursor, LoggedEvent, OldestTransaction, StoredEvent};
pub use event_store::{AggregateStore, CommandContext, CommandError, Committed};
pub use ledger::{Ledger, LedgerError};
pub use restored_log::{LogOrder, RepairOutcome, REPAIR_COMMAND};
pub use upcast::{upcast, UpcastError, CURRENT_EVENT_VERSION};
