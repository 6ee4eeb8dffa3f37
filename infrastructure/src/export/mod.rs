//! Public exports of the award register in open data standards. The mapping works over
//! plain record structs filled by the caller from the read models (this crate does not
//! read them itself: dependencies point `api` → `projections` → `infrastructure`), and
//! writes in chunks so a caller can stream a large register page by page.
//!
//! - [`giving360`]: the 360Giving Data Standard (JSON package and flattened CSV).
//! - [`award_list`]: a place's awards as a spreadsheet CSV, one row per award, by date.
//! - [`spreadsheet`]: what every CSV here does to open cleanly in a spreadsheet (byte
//!   order mark, CRLF, no cell that can run as a formula).

pub mod award_list;
pub mod giving360;
pub mod spreadsheet;

/// Why a chunk of an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing 360Giving JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("writing 360Giving CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
}
