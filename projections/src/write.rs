//! How a batch's rows reach the store: one value per column ([`Field`]), turned into
//! multi-row upserts with bound parameters (SQLite), `UNNEST` arrays (PostgreSQL, live
//! batches) or `COPY … FROM STDIN` (PostgreSQL, a rebuild).

use domain::Date;

use crate::sql::{Param, Sql};

/// Rows per multi-row statement: under both stores' limits on bound parameters
/// (SQLite 32,766; PostgreSQL 65,535) for the widest table.
const MAX_PARAMS_PER_STATEMENT: usize = 30_000;

/// How a batch's rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writer {
    /// Multi-row `INSERT … VALUES … ON CONFLICT` with bound parameters (SQLite).
    Values,
    /// `INSERT … SELECT * FROM UNNEST(arrays) ON CONFLICT …` (PostgreSQL, live batches).
    Unnest,
    /// `COPY … FROM STDIN WITH (FREEZE)` (PostgreSQL, a rebuild): only into tables emptied
    /// by `TRUNCATE` in the same transaction, and only rows with distinct keys (no
    /// conflict handling). FREEZE writes the rows already frozen and all-visible: no
    /// hint-bit writes or vacuum pass later; it is allowed because the transaction
    /// truncated the table, and it shows nothing early since `TRUNCATE` locks readers out
    /// until the commit.
    Copy,
}

impl Writer {
    /// The writer of live batches on a store.
    pub(crate) fn live(postgres: bool) -> Writer {
        if postgres {
            Writer::Unnest
        } else {
            Writer::Values
        }
    }
}

/// One value of a row to write, borrowed from the row: COPY data is written straight from
/// it (a rebuild writes a row per event and more), and only statements with bound
/// parameters (live batches) make owned `Param`s of it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field<'a> {
    Text(&'a str),
    Int(i64),
    OptText(Option<&'a str>),
    OptInt(Option<i64>),
    /// A day, as `YYYY-MM-DD` text.
    Date(Date),
    /// Bytes as lowercase hex text (chain hashes).
    Hex(&'a [u8]),
}

impl Field<'_> {
    fn to_param(self) -> Param {
        match self {
            Field::Text(text) => Param::Text(text.to_string()),
            Field::Int(value) => Param::Int(value),
            Field::OptText(text) => Param::OptText(text.map(str::to_string)),
            Field::OptInt(value) => Param::OptInt(value),
            Field::Date(day) => Param::Text(day.to_string()),
            Field::Hex(bytes) => Param::Text(hex::encode(bytes)),
        }
    }
}

/// Appends one value to COPY text-format data: `\N` for NULL, and backslash, newline,
/// carriage return and tab escaped (the only bytes the format treats specially).
pub(crate) fn copy_field(data: &mut Vec<u8>, field: Field<'_>) {
    match field {
        Field::Int(value) | Field::OptInt(Some(value)) => {
            data.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        }
        Field::OptInt(None) | Field::OptText(None) => data.extend_from_slice(b"\\N"),
        Field::Text(text) | Field::OptText(Some(text)) => copy_text(data, text.as_bytes()),
        Field::Date(day) => {
            use std::io::Write;
            write!(data, "{day}").expect("writing to memory");
        }
        Field::Hex(bytes) => {
            let start = data.len();
            data.resize(start + 2 * bytes.len(), 0);
            hex::encode_to_slice(bytes, &mut data[start..]).expect("twice as many hex digits");
        }
    }
}

/// Appends text to COPY text-format data, escaped.
pub(crate) fn copy_text(data: &mut Vec<u8>, text: &[u8]) {
    if !text
        .iter()
        .any(|byte| matches!(byte, b'\\' | b'\n' | b'\r' | b'\t'))
    {
        data.extend_from_slice(text);
        return;
    }
    for &byte in text {
        match byte {
            b'\\' => data.extend_from_slice(b"\\\\"),
            b'\n' => data.extend_from_slice(b"\\n"),
            b'\r' => data.extend_from_slice(b"\\r"),
            b'\t' => data.extend_from_slice(b"\\t"),
            other => data.push(other),
        }
    }
}

/// One write of a batch. On PostgreSQL multi-row writes bind one array per column
/// (`UNNEST`): one small statement instead of tens of thousands of parameters.
#[derive(Debug)]
pub(crate) enum Statement {
    Rows(Sql),
    Unnest {
        text: String,
        columns: Vec<ColumnArray>,
    },
    /// `COPY … FROM STDIN` with its rows in text format (plain inserts of simple values).
    Copy {
        text: String,
        data: Vec<u8>,
    },
}

#[derive(Debug)]
pub(crate) enum ColumnArray {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
}

/// What a multi-row insert does with a row whose key exists.
#[derive(Debug, Clone, Copy)]
pub(crate) enum OnConflict<'a> {
    /// Replace the stored columns with the new values.
    Replace,
    /// Add the new values to the stored ones (daily deltas in `table`).
    Add(&'a str),
    /// Keep the stored row.
    Ignore,
    /// Fail the statement (and so the batch).
    Fail,
}

/// Where a batch's statements go as they are made: a list (a live batch, run once all are
/// made), or a channel to the transaction that runs them (a rebuild).
pub(crate) trait StatementSink {
    fn push(&mut self, statement: Statement);
}

impl StatementSink for Vec<Statement> {
    fn push(&mut self, statement: Statement) {
        Vec::push(self, statement);
    }
}

/// Multi-row `INSERT … ON CONFLICT`, split to stay under the parameter limits.
// The arguments are the parts of one INSERT statement; a struct for them would only rename them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn upsert<T>(
    statements: &mut impl StatementSink,
    writer: Writer,
    table: &str,
    columns: &str,
    key: &str,
    on_conflict: OnConflict<'_>,
    rows: &[T],
    fields: impl Fn(&T) -> Vec<Field<'_>>,
) {
    if rows.is_empty() {
        return;
    }
    let names: Vec<&str> = columns.split(',').map(str::trim).collect();
    let conflict = conflict_clause(&names, key, on_conflict);
    match writer {
        Writer::Copy => statements.push(copy_statement(table, columns, &names, rows, fields)),
        Writer::Unnest => statements.push(unnest_statement(
            table, columns, &names, &conflict, rows, fields,
        )),
        Writer::Values => {
            values_statements(statements, table, columns, &names, &conflict, rows, fields)
        }
    }
}

/// The `ON CONFLICT …` clause of a multi-row insert (empty for `Fail`).
fn conflict_clause(names: &[&str], key: &str, on_conflict: OnConflict<'_>) -> String {
    let keys: Vec<&str> = key.split(',').map(str::trim).collect();
    let update: Vec<String> = names
        .iter()
        .filter(|name| !keys.contains(name))
        .map(|name| match on_conflict {
            OnConflict::Add(table) => format!("{name} = {table}.{name} + excluded.{name}"),
            _ => format!("{name} = excluded.{name}"),
        })
        .collect();
    match on_conflict {
        OnConflict::Ignore => format!(" ON CONFLICT ({key}) DO NOTHING"),
        OnConflict::Fail => String::new(),
        _ => format!(" ON CONFLICT ({key}) DO UPDATE SET {}", update.join(", ")),
    }
}

/// `COPY {table} ({columns}) FROM STDIN WITH (FREEZE)` with the rows as its data.
fn copy_statement<T>(
    table: &str,
    columns: &str,
    names: &[&str],
    rows: &[T],
    fields: impl Fn(&T) -> Vec<Field<'_>>,
) -> Statement {
    let mut data = Vec::with_capacity(rows.len() * 16 * names.len());
    for row in rows {
        for (index, field) in fields(row).into_iter().enumerate() {
            if index > 0 {
                data.push(b'\t');
            }
            copy_field(&mut data, field);
        }
        data.push(b'\n');
    }
    Statement::Copy {
        text: format!("COPY {table} ({columns}) FROM STDIN WITH (FREEZE)"),
        data,
    }
}

/// `INSERT … SELECT * FROM UNNEST(arrays) …`: one array per column.
fn unnest_statement<T>(
    table: &str,
    columns: &str,
    names: &[&str],
    conflict: &str,
    rows: &[T],
    fields: impl Fn(&T) -> Vec<Field<'_>>,
) -> Statement {
    let mut values: Vec<ColumnArray> = Vec::with_capacity(names.len());
    for row in rows {
        for (index, param) in fields(row).into_iter().map(Field::to_param).enumerate() {
            if values.len() <= index {
                values.push(match param {
                    Param::Int(_) | Param::OptInt(_) => {
                        ColumnArray::Int(Vec::with_capacity(rows.len()))
                    }
                    Param::Text(_) | Param::OptText(_) => {
                        ColumnArray::Text(Vec::with_capacity(rows.len()))
                    }
                });
            }
            match (&mut values[index], param) {
                (ColumnArray::Int(values), Param::Int(value)) => values.push(Some(value)),
                (ColumnArray::Int(values), Param::OptInt(value)) => values.push(value),
                (ColumnArray::Text(values), Param::Text(value)) => values.push(Some(value)),
                (ColumnArray::Text(values), Param::OptText(value)) => values.push(value),
                _ => unreachable!("a column's values are all of one kind"),
            }
        }
    }
    let arrays: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(index, column)| match column {
            ColumnArray::Int(_) => format!("${}::bigint[]", index + 1),
            ColumnArray::Text(_) => format!("${}::text[]", index + 1),
        })
        .collect();
    let text = format!(
        "INSERT INTO {table} ({columns}) SELECT * FROM UNNEST({}){conflict}",
        arrays.join(", ")
    );
    Statement::Unnest {
        text,
        columns: values,
    }
}

/// `INSERT … VALUES (…), (…) …` with bound parameters, in chunks under the limits.
fn values_statements<T>(
    statements: &mut impl StatementSink,
    table: &str,
    columns: &str,
    names: &[&str],
    conflict: &str,
    rows: &[T],
    fields: impl Fn(&T) -> Vec<Field<'_>>,
) {
    let per_statement = (MAX_PARAMS_PER_STATEMENT / names.len()).max(1);
    for chunk in rows.chunks(per_statement) {
        let mut sql = Sql::default();
        sql.push(&format!("INSERT INTO {table} ({columns}) VALUES "));
        for (index, row) in chunk.iter().enumerate() {
            sql.push(if index == 0 { "(" } else { ", (" });
            for (column, field) in fields(row).into_iter().enumerate() {
                if column > 0 {
                    sql.push(", ");
                }
                sql.bind(field.to_param());
            }
            sql.push(")");
        }
        sql.push(conflict);
        statements.push(Statement::Rows(sql));
    }
}
