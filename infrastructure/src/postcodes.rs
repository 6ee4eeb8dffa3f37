//! Postcodes (issue 15): the lookup from a postcode to the neighbourhood (LSOA) it lies in,
//! so a resident can find their place by the postcode they know.
//!
//! `import_file` reads a file in the ONS Postcode Directory's CSV layout (ONSPD: a header
//! row and ~50 columns, ~2.7 million rows; columns are found by their header names, in any
//! case): the postcode from `pcds` (else `pcd`, `pcd2`), the LSOA from `lsoa11` (the 2011
//! LSOAs of the reference geography; else `lsoa21`, `lsoa01`), and, when present, `osward`,
//! `oslaua` and `doterm`. The file is streamed (a reader thread hands batches to the
//! writer) and written in one transaction that first empties the table, so an import
//! replaces the lookup whole and a reader never sees half of one.
//!
//! What is kept, and why:
//! - English postcodes only: rows whose LSOA is not an English LSOA code (`E01…`: Wales'
//!   `W01`, Scotland's data zones `S01`, Northern Ireland, the Channel Islands' and the
//!   Isle of Man's pseudo-codes) are counted as outside England, as rows without an LSOA
//!   (non-geographic postcodes) are; the reference geography is England's.
//! - Terminated postcodes (`doterm` set) are kept and marked: an old postcode a resident
//!   still types should still find its place.
//! - A row whose postcode is not a postcode's shape, or whose LSOA is not a code, is
//!   counted as malformed and the first few are reported with their line numbers; the rest
//!   of the file still loads (one bad row of millions should not stop a town's lookup).
//! - A postcode given twice keeps its first row (counted as repeated).
//!
//! The import also adds a row to `geography_imports` (0 areas): postcodes are reference
//! geography, and that table's latest row is the version public answers and pages are
//! cached under, so a search answered before the import is not served after it.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::database::{Database, StoreError};

/// Rows per INSERT: SQLite binds at most 32,766 parameters (5 per row).
pub const POSTCODE_BATCH_ROWS: usize = 5_000;
/// Malformed rows reported by line (the count covers them all).
pub const MALFORMED_EXAMPLES: usize = 5;
/// Batches the reader may be ahead of the writer.
const BATCHES_IN_FLIGHT: usize = 4;
/// The longest postcode text shown in an example of a malformed row.
const EXAMPLE_CHARS: usize = 24;

/// The postcode columns, most preferred first (`pcds`: "HU1 1AA", one space).
pub const POSTCODE_COLUMNS: [&str; 3] = ["pcds", "pcd", "pcd2"];
/// The LSOA columns, most preferred first: the reference geography's LSOAs are 2011's.
pub const LSOA_COLUMNS: [&str; 3] = ["lsoa11", "lsoa21", "lsoa01"];
const WARD_COLUMN: &str = "osward";
const LAD_COLUMN: &str = "oslaua";
const TERMINATED_COLUMN: &str = "doterm";

#[derive(Debug, thiserror::Error)]
pub enum PostcodeError {
    #[error("reading {path}: {source}")]
    Read { path: String, source: csv::Error },
    #[error(
        "{path} has no {wanted} column (looked for {looked_for}); its columns are: {found}"
    )]
    MissingColumn {
        path: String,
        wanted: &'static str,
        looked_for: String,
        found: String,
    },
    #[error("{0} has no rows after its header; the lookup was left as it was")]
    Empty(String),
    #[error("the postcode reader stopped: {0}")]
    ReaderStopped(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The postcode in the one form the lookup keeps: upper case, no space but one before the
/// three-character inward code ("hu11aa" and " HU1  1AA" → "HU1 1AA"); `None` when the
/// text is not a UK postcode's shape (outward `A9`, `A99`, `AA9`, `AA99`, `A9A`, `AA9A`;
/// inward `9AA`).
pub fn normalise_postcode(text: &str) -> Option<String> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
        return None;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let inward_ok = {
        let b = inward.as_bytes();
        b[0].is_ascii_digit() && b[1].is_ascii_uppercase() && b[2].is_ascii_uppercase()
    };
    (inward_ok && outward_shape(outward)).then(|| format!("{outward} {inward}"))
}

/// An outward code: one or two letters, a digit, then at most one letter or digit.
fn outward_shape(outward: &str) -> bool {
    let b = outward.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    if !(1..=2).contains(&letters) || b.len() <= letters || !b[letters].is_ascii_digit() {
        return false;
    }
    match &b[letters + 1..] {
        [] => true,
        [last] => last.is_ascii_alphanumeric(),
        _ => false,
    }
}

/// Whether `text` has a postcode's shape (the search page then looks it up).
pub fn looks_like_postcode(text: &str) -> bool {
    normalise_postcode(text).is_some()
}

/// One postcode to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostcodeRow {
    pub postcode: String,
    pub lsoa_code: String,
    pub ward_code: Option<String>,
    pub lad_code: Option<String>,
    /// The directory's `doterm` (YYYYMM) when the postcode is no longer in use.
    pub terminated: Option<String>,
}

/// Where the wanted columns are in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    pub postcode: usize,
    pub postcode_name: String,
    pub lsoa: usize,
    /// The header of the LSOA column used (`lsoa11`…): the vintage of the codes.
    pub lsoa_name: String,
    pub ward: Option<usize>,
    pub lad: Option<usize>,
    pub terminated: Option<usize>,
}

impl Columns {
    /// The columns of `header` (names in any case, spaces and a byte-order mark ignored);
    /// a header without a postcode or an LSOA column is refused, naming what it has.
    pub fn find(header: &csv::ByteRecord, path: &str) -> Result<Columns, PostcodeError> {
        let names: Vec<String> = header
            .iter()
            .map(|name| {
                String::from_utf8_lossy(name)
                    .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                    .to_ascii_lowercase()
            })
            .collect();
        let at = |wanted: &str| names.iter().position(|name| name == wanted);
        let first_of = |choices: &[&'static str], wanted: &'static str| {
            choices
                .iter()
                .find_map(|choice| at(choice).map(|index| (index, choice.to_string())))
                .ok_or_else(|| PostcodeError::MissingColumn {
                    path: path.to_string(),
                    wanted,
                    looked_for: choices.join(", "),
                    found: shown_columns(&names),
                })
        };
        let (postcode, postcode_name) = first_of(&POSTCODE_COLUMNS, "postcode")?;
        let (lsoa, lsoa_name) = first_of(&LSOA_COLUMNS, "LSOA")?;
        Ok(Columns {
            postcode,
            postcode_name,
            lsoa,
            lsoa_name,
            ward: at(WARD_COLUMN),
            lad: at(LAD_COLUMN),
            terminated: at(TERMINATED_COLUMN),
        })
    }
}

/// The columns a refused header has, for its error (at most 60, each cut short).
fn shown_columns(names: &[String]) -> String {
    const MAX_SHOWN: usize = 60;
    let mut shown: Vec<String> = names
        .iter()
        .take(MAX_SHOWN)
        .map(|name| name.chars().take(EXAMPLE_CHARS).collect())
        .collect();
    if names.len() > MAX_SHOWN {
        shown.push(format!("… ({} in all)", names.len()));
    }
    if shown.is_empty() {
        return "none".to_string();
    }
    shown.join(", ")
}

/// A row not loaded because it could not be read: its line and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedRow {
    pub line: u64,
    pub postcode: String,
    pub reason: &'static str,
}

/// What the reader made of the rows: counts by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowCounts {
    pub rows_read: u64,
    /// Rows handed to the writer (each is loaded unless its postcode was given before).
    pub accepted: u64,
    pub terminated: u64,
    pub outside_england: u64,
    pub without_lsoa: u64,
    pub malformed: u64,
    pub malformed_examples: Vec<MalformedRow>,
}

/// One row's fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    Keep(PostcodeRow),
    OutsideEngland,
    WithoutLsoa,
    Malformed(MalformedRow),
}

fn field(record: &csv::ByteRecord, index: Option<usize>) -> Option<&str> {
    let bytes = record.get(index?)?;
    std::str::from_utf8(bytes).ok().map(str::trim)
}

fn present(text: Option<&str>) -> Option<String> {
    text.filter(|text| !text.is_empty()).map(str::to_string)
}

/// Reads one data row at `line` with `columns`.
pub fn read_row(record: &csv::ByteRecord, columns: &Columns, line: u64) -> RowOutcome {
    let malformed = |text: &str, reason| {
        RowOutcome::Malformed(MalformedRow {
            line,
            postcode: text.chars().take(EXAMPLE_CHARS).collect(),
            reason,
        })
    };
    let (Some(text), Some(lsoa)) = (
        field(record, Some(columns.postcode)),
        field(record, Some(columns.lsoa)),
    ) else {
        return malformed("", "the row is short or not UTF-8");
    };
    let Some(postcode) = normalise_postcode(text) else {
        return malformed(text, "not a postcode");
    };
    if lsoa.is_empty() {
        return RowOutcome::WithoutLsoa;
    }
    let lsoa = lsoa.to_ascii_uppercase();
    if !lsoa.starts_with("E01") {
        return RowOutcome::OutsideEngland;
    }
    match lsoa.parse::<domain::GeoCode>() {
        Ok(code) if code.level() == domain::GeoLevel::Lsoa => {}
        _ => return malformed(text, "its LSOA is not an LSOA code"),
    }
    RowOutcome::Keep(PostcodeRow {
        postcode,
        lsoa_code: lsoa,
        ward_code: present(field(record, columns.ward)),
        lad_code: present(field(record, columns.lad)),
        terminated: present(field(record, columns.terminated)),
    })
}

impl RowCounts {
    /// Counts `outcome`; the row to keep, if it is one.
    pub fn count(&mut self, outcome: RowOutcome) -> Option<PostcodeRow> {
        self.rows_read += 1;
        match outcome {
            RowOutcome::Keep(row) => {
                self.accepted += 1;
                self.terminated += u64::from(row.terminated.is_some());
                return Some(row);
            }
            RowOutcome::OutsideEngland => self.outside_england += 1,
            RowOutcome::WithoutLsoa => self.without_lsoa += 1,
            RowOutcome::Malformed(example) => {
                self.malformed += 1;
                if self.malformed_examples.len() < MALFORMED_EXAMPLES {
                    self.malformed_examples.push(example);
                }
            }
        }
        None
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostcodeImport {
    pub source: String,
    pub columns: Columns,
    pub counts: RowCounts,
    /// Postcodes now in the lookup.
    pub loaded: u64,
    /// Rows whose postcode an earlier row of the file already gave.
    pub repeated: u64,
    pub elapsed: Duration,
}

impl std::fmt::Display for PostcodeImport {
    /// The summary `fundledger import postcodes` prints.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let counts = &self.counts;
        writeln!(
            f,
            "{}: {} rows read (postcodes from `{}`, neighbourhoods from `{}`)",
            self.source, counts.rows_read, self.columns.postcode_name, self.columns.lsoa_name
        )?;
        writeln!(
            f,
            "loaded {} postcodes ({} of them terminated, kept so old addresses still find their place)",
            self.loaded, counts.terminated
        )?;
        writeln!(f, "skipped {} outside England (Wales, Scotland, Northern Ireland, the Channel Islands, the Isle of Man)", counts.outside_england)?;
        writeln!(f, "skipped {} without a neighbourhood (no LSOA: non-geographic postcodes)", counts.without_lsoa)?;
        writeln!(f, "skipped {} repeated (the first row of a postcode is kept)", self.repeated)?;
        writeln!(f, "skipped {} malformed", counts.malformed)?;
        for example in &counts.malformed_examples {
            writeln!(f, "  line {}: {:?}: {}", example.line, example.postcode, example.reason)?;
        }
        let seconds = self.elapsed.as_secs_f64().max(1e-9);
        write!(
            f,
            "in {:.2?} ({:.0} rows/s); the lookup now holds this file's postcodes only",
            self.elapsed,
            counts.rows_read as f64 / seconds
        )
    }
}

/// Opens `path` as CSV and finds its columns.
fn open(path: &Path) -> Result<(csv::Reader<std::fs::File>, Columns), PostcodeError> {
    let shown = path.display().to_string();
    let read_error = |source: csv::Error| PostcodeError::Read {
        path: shown.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(|error| read_error(error.into()))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(file);
    let header = reader.byte_headers().map_err(read_error)?.clone();
    let columns = Columns::find(&header, &shown)?;
    Ok((reader, columns))
}

/// Reads every row of `reader` on this (blocking) thread, handing batches of rows to keep
/// to `batches`; stops early if the receiver is gone.
fn read_rows(
    mut reader: csv::Reader<std::fs::File>,
    columns: &Columns,
    path: &str,
    batches: tokio::sync::mpsc::Sender<Vec<PostcodeRow>>,
) -> Result<RowCounts, PostcodeError> {
    let mut counts = RowCounts::default();
    let mut record = csv::ByteRecord::new();
    let mut batch = Vec::with_capacity(POSTCODE_BATCH_ROWS);
    loop {
        let more = reader
            .read_byte_record(&mut record)
            .map_err(|source| PostcodeError::Read {
                path: path.to_string(),
                source,
            })?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, csv::Position::line);
        if let Some(row) = counts.count(read_row(&record, columns, line)) {
            batch.push(row);
        }
        if batch.len() == POSTCODE_BATCH_ROWS {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(POSTCODE_BATCH_ROWS));
            if batches.blocking_send(full).is_err() {
                return Ok(counts);
            }
        }
    }
    if !batch.is_empty() {
        let _ = batches.blocking_send(batch);
    }
    Ok(counts)
}

/// Replaces the postcode lookup with the file at `path` (see the module's notes).
pub async fn import_file(database: &Database, path: &Path) -> Result<PostcodeImport, PostcodeError> {
    let started = Instant::now();
    let source = path.display().to_string();
    let (reader, columns) = open(path)?;
    let (sender, receiver) = tokio::sync::mpsc::channel(BATCHES_IN_FLIGHT);
    let reading = {
        let columns = columns.clone();
        let source = source.clone();
        tokio::task::spawn_blocking(move || read_rows(reader, &columns, &source, sender))
    };
    let written = database.replace_postcodes(receiver).await;
    let counts = reading
        .await
        .map_err(|error| PostcodeError::ReaderStopped(error.to_string()))??;
    let (transaction, inserted) = written?;
    if counts.rows_read == 0 {
        transaction.rollback().await?;
        return Err(PostcodeError::Empty(source));
    }
    let import = PostcodeImport {
        source,
        columns,
        loaded: inserted,
        repeated: counts.accepted - inserted,
        counts,
        elapsed: Duration::ZERO,
    };
    transaction.commit(&import).await?;
    database.analyse_postcodes().await?;
    Ok(PostcodeImport {
        elapsed: started.elapsed(),
        ..import
    })
}

/// Where a postcode lies: its row, with its LSOA's ward and local authority in the
/// reference geography (the areas the figures roll up to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostcodePlace {
    pub postcode: String,
    pub lsoa_code: String,
    /// The reference geography's ward of the LSOA, else the directory's.
    pub ward_code: Option<String>,
    /// The reference geography's local authority of the LSOA, else the directory's.
    pub lad_code: Option<String>,
    pub terminated: Option<String>,
}

type PlaceRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

const POSTCODE_PLACE: &str = "SELECT p.postcode, p.lsoa_code, p.ward_code, p.lad_code, p.terminated,
        (SELECT a.ancestor FROM geography_ancestors a JOIN geography g ON g.code = a.ancestor
          WHERE a.code = p.lsoa_code AND g.level = 'ward' ORDER BY a.depth LIMIT 1),
        (SELECT a.ancestor FROM geography_ancestors a JOIN geography g ON g.code = a.ancestor
          WHERE a.code = p.lsoa_code AND g.level = 'lad' ORDER BY a.depth LIMIT 1)
   FROM postcodes p WHERE p.postcode = $1";

/// An import's open transaction (the old lookup deleted, the new rows written).
pub enum PostcodeTransaction {
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

const RECORD_IMPORT: &str = "INSERT INTO postcode_imports (source, lsoa_column, rows_read, loaded,
    terminated, outside_england, without_lsoa, malformed, repeated)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
/// Moves the geography version public answers are cached under (see the module's notes).
const RECORD_GEOGRAPHY_CHANGE: &str = "INSERT INTO geography_imports (areas) VALUES (0)";

fn count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Records `import` and moves the cache version, in `$tx`.
macro_rules! record_import {
    ($tx:expr, $import:expr) => {{
        let import = $import;
        let counts = &import.counts;
        sqlx::query(RECORD_IMPORT)
            .bind(&import.source)
            .bind(&import.columns.lsoa_name)
            .bind(count(counts.rows_read))
            .bind(count(import.loaded))
            .bind(count(counts.terminated))
            .bind(count(counts.outside_england))
            .bind(count(counts.without_lsoa))
            .bind(count(counts.malformed))
            .bind(count(import.repeated))
            .execute(&mut *$tx)
            .await?;
        sqlx::query(RECORD_GEOGRAPHY_CHANGE)
            .execute(&mut *$tx)
            .await?;
    }};
}

impl PostcodeTransaction {
    async fn commit(self, import: &PostcodeImport) -> Result<(), StoreError> {
        match self {
            PostcodeTransaction::Postgres(mut tx) => {
                record_import!(tx, import);
                tx.commit().await?;
            }
            PostcodeTransaction::Sqlite(mut tx) => {
                record_import!(tx, import);
                tx.commit().await?;
            }
        }
        Ok(())
    }

    async fn rollback(self) -> Result<(), StoreError> {
        match self {
            PostcodeTransaction::Postgres(tx) => tx.rollback().await?,
            PostcodeTransaction::Sqlite(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// PostgreSQL: a batch as five arrays, one statement whatever its size.
const INSERT_POSTGRES: &str = "INSERT INTO postcodes (postcode, lsoa_code, ward_code, lad_code, terminated)
    SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
    ON CONFLICT (postcode) DO NOTHING";
const INSERT_SQLITE: &str =
    "INSERT INTO postcodes (postcode, lsoa_code, ward_code, lad_code, terminated) ";

async fn insert_postgres(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    batch: Vec<PostcodeRow>,
) -> Result<u64, StoreError> {
    let mut columns: [Vec<Option<String>>; 5] = Default::default();
    for row in batch {
        columns[0].push(Some(row.postcode));
        columns[1].push(Some(row.lsoa_code));
        columns[2].push(row.ward_code);
        columns[3].push(row.lad_code);
        columns[4].push(row.terminated);
    }
    let [postcode, lsoa, ward, lad, terminated] = columns;
    let done = sqlx::query(INSERT_POSTGRES)
        .bind(postcode)
        .bind(lsoa)
        .bind(ward)
        .bind(lad)
        .bind(terminated)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

async fn insert_sqlite(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    batch: &[PostcodeRow],
) -> Result<u64, StoreError> {
    let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(INSERT_SQLITE);
    insert.push_values(batch, |mut values, row| {
        values
            .push_bind(&row.postcode)
            .push_bind(&row.lsoa_code)
            .push_bind(&row.ward_code)
            .push_bind(&row.lad_code)
            .push_bind(&row.terminated);
    });
    insert.push(" ON CONFLICT (postcode) DO NOTHING");
    let done = insert.build().execute(&mut **tx).await?;
    Ok(done.rows_affected())
}

impl Database {
    /// Empties the lookup and writes every batch `batches` gives, in one transaction left
    /// open for the caller to record and commit; answers it and the rows inserted.
    async fn replace_postcodes(
        &self,
        mut batches: tokio::sync::mpsc::Receiver<Vec<PostcodeRow>>,
    ) -> Result<(PostcodeTransaction, u64), StoreError> {
        let mut inserted = 0;
        match self {
            Database::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("DELETE FROM postcodes").execute(&mut *tx).await?;
                while let Some(batch) = batches.recv().await {
                    inserted += insert_postgres(&mut tx, batch).await?;
                }
                Ok((PostcodeTransaction::Postgres(tx), inserted))
            }
            Database::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("DELETE FROM postcodes").execute(&mut *tx).await?;
                while let Some(batch) = batches.recv().await {
                    inserted += insert_sqlite(&mut tx, &batch).await?;
                }
                Ok((PostcodeTransaction::Sqlite(tx), inserted))
            }
        }
    }

    /// PostgreSQL: fresh statistics for the new rows (and the old ones' space reclaimed),
    /// outside the transaction as VACUUM must be.
    async fn analyse_postcodes(&self) -> Result<(), StoreError> {
        if let Database::Postgres(pool) = self {
            sqlx::query("VACUUM (ANALYZE) postcodes")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// Where `postcode` (normalised: `normalise_postcode`) lies; `None` when the lookup
    /// does not have it.
    pub async fn postcode_place(&self, postcode: &str) -> Result<Option<PostcodePlace>, StoreError> {
        let row: Option<PlaceRow> = match self {
            Database::Postgres(pool) => {
                sqlx::query_as(POSTCODE_PLACE)
                    .bind(postcode)
                    .fetch_optional(pool)
                    .await?
            }
            Database::Sqlite(pool) => {
                sqlx::query_as(POSTCODE_PLACE)
                    .bind(postcode)
                    .fetch_optional(pool)
                    .await?
            }
        };
        Ok(row.map(
            |(postcode, lsoa_code, ward, lad, terminated, reference_ward, reference_lad)| {
                PostcodePlace {
                    postcode,
                    lsoa_code,
                    ward_code: reference_ward.or(ward),
                    lad_code: reference_lad.or(lad),
                    terminated,
                }
            },
        ))
    }

    /// Whether a postcode lookup has been loaded (an import recorded).
    pub async fn has_postcodes(&self) -> Result<bool, StoreError> {
        const SQL: &str = "SELECT EXISTS (SELECT 1 FROM postcode_imports)";
        let loaded: bool = match self {
            Database::Postgres(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await?,
            Database::Sqlite(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await?,
        };
        Ok(loaded)
    }
}
