//! `rm_award_inputs`: the inputs recorded against each award (match funding, in-kind
//! contributions, volunteer time), one row per `InputRecorded`, keyed by the input's id so
//! each counts exactly once. The social return's investment adds them to the money
//! disbursed (`read::social_return`). Rows are only ever added, so a batch needs nothing
//! loaded; `verify` recomputes the table with its own fold ([`ExpectedInputs`]).

use std::collections::BTreeMap;

use domain::award::{AwardEvent, InputRecorded};
use infrastructure::{Database, LoggedEvent};

use crate::check::{compare_maps, VerifyReport};
use crate::decode::Decoded;
use crate::write::{upsert, Field, OnConflict, StatementSink, Writer};
use crate::{on_pool, to_pence, ProjectionError};

pub(crate) const INPUT_COLUMNS: &str =
    "award_id, input_id, kind, value_pence, description, contributed_on, recorded_by";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct InputRow {
    pub award_id: String,
    pub input_id: String,
    /// `match_funding`, `in_kind` or `volunteer_time`.
    pub kind: String,
    pub value_pence: i64,
    pub description: String,
    pub contributed_on: String,
    /// `grantee` or `officer`.
    pub recorded_by: String,
}

fn row(award_id: &str, input: &InputRecorded) -> InputRow {
    InputRow {
        award_id: award_id.to_string(),
        input_id: input.input_id.clone(),
        kind: input.kind.as_str().to_string(),
        value_pence: to_pence(input.value.amount()),
        description: input.description.clone(),
        contributed_on: input.contributed_on.to_string(),
        recorded_by: if input.recorded_by_officer {
            "officer"
        } else {
            "grantee"
        }
        .to_string(),
    }
}

/// The inputs a batch records, by (award, input id).
#[derive(Default)]
pub(crate) struct InputBatch {
    rows: BTreeMap<(String, String), InputRow>,
}

impl InputBatch {
    pub(crate) fn apply(&mut self, event: &LoggedEvent, decoded: &Decoded) {
        if let Decoded::Award(AwardEvent::InputRecorded(input)) = decoded {
            let row = row(&event.aggregate_id, input);
            self.rows
                .insert((row.award_id.clone(), row.input_id.clone()), row);
        }
    }

    pub(crate) fn write(&self, writer: Writer, statements: &mut impl StatementSink) {
        let rows: Vec<&InputRow> = self.rows.values().collect();
        upsert(
            statements,
            writer,
            "rm_award_inputs",
            INPUT_COLUMNS,
            "award_id, input_id",
            OnConflict::Replace,
            &rows,
            |row| {
                vec![
                    Field::Text(&row.award_id),
                    Field::Text(&row.input_id),
                    Field::Text(&row.kind),
                    Field::Int(row.value_pence),
                    Field::Text(&row.description),
                    Field::Text(&row.contributed_on),
                    Field::Text(&row.recorded_by),
                ]
            },
        );
    }
}

/// `verify`'s own fold of the inputs: every `InputRecorded` once, by (award, input id).
#[derive(Default)]
pub(crate) struct ExpectedInputs {
    rows: BTreeMap<(String, String), InputRow>,
}

impl ExpectedInputs {
    pub(crate) fn fold(
        &mut self,
        report: &mut VerifyReport,
        event: &LoggedEvent,
        decoded: &Decoded,
    ) {
        let Decoded::Award(AwardEvent::InputRecorded(input)) = decoded else {
            return;
        };
        let key = (event.aggregate_id.clone(), input.input_id.clone());
        if self.rows.contains_key(&key) {
            report.mismatch(format!(
                "event at position {}: award {} records input {} a second time",
                event.position, event.aggregate_id, input.input_id
            ));
        }
        self.rows.insert(
            key,
            InputRow {
                award_id: event.aggregate_id.clone(),
                input_id: input.input_id.clone(),
                kind: input.kind.as_str().to_string(),
                value_pence: to_pence(input.value.amount()),
                description: input.description.clone(),
                contributed_on: input.contributed_on.to_string(),
                recorded_by: match input.recorded_by_officer {
                    true => "officer".to_string(),
                    false => "grantee".to_string(),
                },
            },
        );
    }

    pub(crate) async fn compare(
        &self,
        db: &Database,
        report: &mut VerifyReport,
    ) -> Result<(), ProjectionError> {
        let rows: Vec<InputRow> = on_pool!(db, |pool| sqlx::query_as(&format!(
            "SELECT {INPUT_COLUMNS} FROM rm_award_inputs"
        ))
        .fetch_all(pool)
        .await?);
        let have = rows
            .into_iter()
            .map(|row| ((row.award_id.clone(), row.input_id.clone()), row))
            .collect();
        compare_maps(
            report,
            "rm_award_inputs (social return inputs)",
            &self.rows,
            &have,
        );
        Ok(())
    }
}
