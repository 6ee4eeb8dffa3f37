//! Drawdowns (`rm_drawdowns`): each drawdown request of an award with its decision and
//! payment. Folds the drawdown events of awards.

use std::collections::{BTreeMap, BTreeSet};

use domain::award::AwardEvent;
use infrastructure::{Database, LoggedEvent};

use super::table::{load_rows, p, Table};
use crate::check::{compare_maps, d, unknown, VerifyReport};
use crate::write::{upsert, Field, OnConflict, StatementSink, Writer};
use crate::{on_pool, to_pence, ProjectionError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct DrawdownState {
    pub award_id: String,
    pub drawdown_id: String,
    pub amount_pence: i64,
    pub purpose: String,
    pub status: String,
    pub requested_on: String,
    pub decided_on: Option<String>,
    pub paid_on: Option<String>,
    pub payment_ref: Option<String>,
    pub reason: Option<String>,
}

pub(crate) const DRAWDOWN_COLUMNS: &str =
    "award_id, drawdown_id, amount_pence, purpose, status, requested_on, decided_on, paid_on, payment_ref, reason";

/// The drawdown rows of a batch, by (award, drawdown id).
#[derive(Default)]
pub(crate) struct Drawdowns {
    table: Table<(String, String), DrawdownState>,
}

impl Drawdowns {
    pub(crate) fn for_rebuild() -> Drawdowns {
        Drawdowns {
            table: Table::for_rebuild(),
        }
    }

    /// Loads every drawdown of `award_ids`.
    pub(crate) async fn load(
        &mut self,
        db: &Database,
        award_ids: &BTreeSet<String>,
    ) -> Result<(), ProjectionError> {
        for row in
            load_rows::<DrawdownState>(db, "rm_drawdowns", DRAWDOWN_COLUMNS, "award_id", award_ids)
                .await?
        {
            let key = (row.award_id.clone(), row.drawdown_id.clone());
            self.table.rows.insert(key, row);
        }
        Ok(())
    }

    fn drawdown_mut(
        &mut self,
        event: &LoggedEvent,
        drawdown_id: &str,
    ) -> Result<&mut DrawdownState, ProjectionError> {
        let key = (event.aggregate_id.clone(), drawdown_id.to_string());
        self.table.row_mut_by(event, "drawdown", key, drawdown_id)
    }

    /// Folds an award's drawdown events (the others change no drawdown).
    pub(crate) fn apply(
        &mut self,
        event: &LoggedEvent,
        award_event: &AwardEvent,
    ) -> Result<(), ProjectionError> {
        match award_event {
            AwardEvent::DrawdownRequested {
                drawdown_id,
                amount,
                purpose,
                requested_on,
            } => {
                let award_id = event.aggregate_id.clone();
                let key = (award_id.clone(), drawdown_id.to_string());
                let row = DrawdownState {
                    award_id,
                    drawdown_id: drawdown_id.to_string(),
                    amount_pence: p(amount),
                    purpose: purpose.clone(),
                    status: "requested".into(),
                    requested_on: requested_on.to_string(),
                    decided_on: None,
                    paid_on: None,
                    payment_ref: None,
                    reason: None,
                };
                self.table.insert(key, row);
            }
            AwardEvent::DrawdownApproved {
                drawdown_id,
                approved_on,
                ..
            } => {
                let drawdown = self.drawdown_mut(event, drawdown_id.as_str())?;
                drawdown.status = "approved".into();
                drawdown.decided_on = Some(approved_on.to_string());
            }
            AwardEvent::DrawdownRejected {
                drawdown_id,
                reason,
                rejected_on,
                ..
            } => {
                let drawdown = self.drawdown_mut(event, drawdown_id.as_str())?;
                drawdown.status = "rejected".into();
                drawdown.decided_on = Some(rejected_on.to_string());
                drawdown.reason = Some(reason.clone());
            }
            AwardEvent::PaymentRecorded {
                drawdown_id,
                payment_ref,
                paid_on,
                ..
            } => {
                let drawdown = self.drawdown_mut(event, drawdown_id.as_str())?;
                drawdown.status = "paid".into();
                drawdown.paid_on = Some(paid_on.to_string());
                drawdown.payment_ref = Some(payment_ref.clone());
            }
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn write(&self, writer: Writer, statements: &mut impl StatementSink) {
        let drawdowns: Vec<&DrawdownState> = self.table.changed();
        upsert(
            statements,
            writer,
            "rm_drawdowns",
            DRAWDOWN_COLUMNS,
            "award_id, drawdown_id",
            OnConflict::Replace,
            &drawdowns,
            |row| {
                vec![
                    Field::Text(&row.award_id),
                    Field::Text(&row.drawdown_id),
                    Field::Int(row.amount_pence),
                    Field::Text(&row.purpose),
                    Field::Text(&row.status),
                    Field::Text(&row.requested_on),
                    Field::OptText(row.decided_on.as_deref()),
                    Field::OptText(row.paid_on.as_deref()),
                    Field::OptText(row.payment_ref.as_deref()),
                    Field::OptText(row.reason.as_deref()),
                ]
            },
        );
    }
}

// ---------------------------------------------------------------- verify

/// `verify`'s own fold of the drawdowns, by (award, drawdown id).
#[derive(Default)]
pub(crate) struct ExpectedDrawdowns {
    drawdowns: BTreeMap<(String, String), DrawdownState>,
}

impl ExpectedDrawdowns {
    /// Folds an event of award `id`, which `verify` knows.
    pub(crate) fn fold(
        &mut self,
        report: &mut VerifyReport,
        position: i64,
        id: &str,
        event: &AwardEvent,
    ) {
        let drawdown_id = match event {
            AwardEvent::DrawdownRequested {
                drawdown_id,
                amount,
                purpose,
                requested_on,
            } => {
                let row = DrawdownState {
                    award_id: id.to_string(),
                    drawdown_id: drawdown_id.to_string(),
                    amount_pence: to_pence(d(amount)),
                    purpose: purpose.clone(),
                    status: "requested".into(),
                    requested_on: requested_on.to_string(),
                    decided_on: None,
                    paid_on: None,
                    payment_ref: None,
                    reason: None,
                };
                self.drawdowns
                    .insert((id.to_string(), drawdown_id.to_string()), row);
                return;
            }
            AwardEvent::DrawdownApproved { drawdown_id, .. }
            | AwardEvent::DrawdownRejected { drawdown_id, .. }
            | AwardEvent::PaymentRecorded { drawdown_id, .. } => drawdown_id,
            _ => return,
        };
        let key = (id.to_string(), drawdown_id.to_string());
        let Some(drawdown) = self.drawdowns.get_mut(&key) else {
            return unknown(report, position, "drawdown of award", id);
        };
        match event {
            AwardEvent::DrawdownApproved { approved_on, .. } => {
                drawdown.status = "approved".into();
                drawdown.decided_on = Some(approved_on.to_string());
            }
            AwardEvent::DrawdownRejected {
                reason,
                rejected_on,
                ..
            } => {
                drawdown.status = "rejected".into();
                drawdown.decided_on = Some(rejected_on.to_string());
                drawdown.reason = Some(reason.clone());
            }
            AwardEvent::PaymentRecorded {
                payment_ref,
                paid_on,
                ..
            } => {
                drawdown.status = "paid".into();
                drawdown.paid_on = Some(paid_on.to_string());
                drawdown.payment_ref = Some(payment_ref.clone());
            }
            _ => {}
        }
    }

    pub(crate) async fn compare(
        &self,
        db: &Database,
        report: &mut VerifyReport,
    ) -> Result<(), ProjectionError> {
        let drawdowns: Vec<DrawdownState> = on_pool!(db, |pool| sqlx::query_as(&format!(
            "SELECT {DRAWDOWN_COLUMNS} FROM rm_drawdowns"
        ))
        .fetch_all(pool)
        .await?);
        let have = drawdowns
            .into_iter()
            .map(|row| ((row.award_id.clone(), row.drawdown_id.clone()), row))
            .collect();
        compare_maps(report, "rm_drawdowns", &self.drawdowns, &have);
        Ok(())
    }
}
