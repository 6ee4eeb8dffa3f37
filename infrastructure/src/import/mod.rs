//! Imports of data published elsewhere into the ledger. Files are read and checked here
//! (nothing is written for a bad file); the ledger writes them as events
//! (`Ledger::import_historic_grants`).
//!
//! - [`giving360`]: a funder's published 360Giving grants, as historic awards.

pub mod giving360;
