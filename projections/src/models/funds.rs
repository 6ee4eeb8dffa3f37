//! Fund position (`rm_funds`): each fund's received, allocated, awarded, paid, returned
//! and available. Folds the fund's own events, and the money award events move
//! ([`AwardMoney`]). Its daily series is [`super::daily`].

use std::collections::{BTreeMap, BTreeSet};

use domain::fund::FundEvent;
use domain::Date;
use infrastructure::{Database, LoggedEvent};
use rust_decimal::Decimal;

use super::awards::{AwardMoney, ExpectedMove};
use super::daily::{FundDelta, FundFigures};
use super::table::{load_rows, p, Table};
use crate::check::{compare_maps, d, unknown, VerifyReport};
use crate::write::{upsert, Field, OnConflict, StatementSink, Writer};
use crate::{on_pool, to_pence, ProjectionError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct FundState {
    pub fund_id: String,
    pub name: String,
    pub funder_org_id: String,
    pub funder_name: String,
    pub established_on: String,
    pub received_pence: i64,
    pub allocated_pence: i64,
    pub awarded_pence: i64,
    pub paid_pence: i64,
    pub returned_pence: i64,
    pub available_pence: i64,
}

pub(crate) const FUND_COLUMNS: &str =
    "fund_id, name, funder_org_id, funder_name, established_on, received_pence, \
     allocated_pence, awarded_pence, paid_pence, returned_pence, available_pence";

/// The fund rows of a batch.
#[derive(Default)]
pub(crate) struct Funds {
    table: Table<String, FundState>,
}

impl Funds {
    pub(crate) fn for_rebuild() -> Funds {
        Funds {
            table: Table::for_rebuild(),
        }
    }

    pub(crate) async fn load(
        &mut self,
        db: &Database,
        fund_ids: &BTreeSet<String>,
    ) -> Result<(), ProjectionError> {
        for row in load_rows::<FundState>(db, "rm_funds", FUND_COLUMNS, "fund_id", fund_ids).await?
        {
            self.table.rows.insert(row.fund_id.clone(), row);
        }
        Ok(())
    }

    /// Folds one of a fund's events; gives the day and change of its daily figures.
    pub(crate) fn apply(
        &mut self,
        event: &LoggedEvent,
        fund_event: &FundEvent,
    ) -> Result<Option<(Date, FundDelta)>, ProjectionError> {
        let fund_id = event.aggregate_id.as_str();
        if let FundEvent::FundEstablished {
            fund_id: established,
            name,
            funder_org_id,
            funder_name,
            established_on,
        } = fund_event
        {
            let row = FundState {
                fund_id: established.to_string(),
                name: name.clone(),
                funder_org_id: funder_org_id.to_string(),
                funder_name: funder_name.clone(),
                established_on: established_on.to_string(),
                received_pence: 0,
                allocated_pence: 0,
                awarded_pence: 0,
                paid_pence: 0,
                returned_pence: 0,
                available_pence: 0,
            };
            self.table.insert(fund_id.to_string(), row);
            return Ok(None);
        }
        let Some((day, delta)) = fund_change(fund_event) else {
            return Ok(None);
        };
        let fund = self.table.row_mut(event, "fund", fund_id)?;
        fund.received_pence += delta.received_pence;
        fund.allocated_pence += delta.allocated_pence;
        fund.available_pence += delta.available_pence;
        Ok(Some((*day, delta)))
    }

    /// The fund's share of what an award event moved.
    pub(crate) fn award_moved(
        &mut self,
        event: &LoggedEvent,
        money: &AwardMoney,
    ) -> Result<(), ProjectionError> {
        if let Some(fund_id) = money.fund_id.as_deref() {
            let fund = self.table.row_mut(event, "fund", fund_id)?;
            fund.awarded_pence += money.awarded;
            fund.paid_pence += money.paid;
            fund.returned_pence += money.returned;
        }
        Ok(())
    }

    pub(crate) fn write(&self, writer: Writer, statements: &mut impl StatementSink) {
        let funds: Vec<&FundState> = self.table.changed();
        upsert(
            statements,
            writer,
            "rm_funds",
            FUND_COLUMNS,
            "fund_id",
            OnConflict::Replace,
            &funds,
            |row| {
                vec![
                    Field::Text(&row.fund_id),
                    Field::Text(&row.name),
                    Field::Text(&row.funder_org_id),
                    Field::Text(&row.funder_name),
                    Field::Text(&row.established_on),
                    Field::Int(row.received_pence),
                    Field::Int(row.allocated_pence),
                    Field::Int(row.awarded_pence),
                    Field::Int(row.paid_pence),
                    Field::Int(row.returned_pence),
                    Field::Int(row.available_pence),
                ]
            },
        );
    }
}

/// The day and change of a fund's figures a fund event makes (`None`: it moves no money).
fn fund_change(fund_event: &FundEvent) -> Option<(&Date, FundDelta)> {
    let change = match fund_event {
        FundEvent::FundEstablished { .. }
        | FundEvent::OutcomeProxySet { .. }
        | FundEvent::PriorityAreasDeclared { .. } => return None,
        FundEvent::CapitalReceived {
            amount,
            received_on,
            ..
        } => (
            received_on,
            FundDelta {
                received_pence: p(amount),
                available_pence: p(amount),
                ..FundDelta::default()
            },
        ),
        FundEvent::RoundBudgetAllocated {
            budget,
            allocated_on,
            ..
        } => (
            allocated_on,
            FundDelta {
                allocated_pence: p(budget),
                available_pence: -p(budget),
                ..FundDelta::default()
            },
        ),
        FundEvent::RoundBudgetReleased {
            amount,
            released_on,
            ..
        } => (
            released_on,
            FundDelta {
                allocated_pence: -p(amount),
                available_pence: p(amount),
                ..FundDelta::default()
            },
        ),
        FundEvent::ReturnCredited {
            amount,
            credited_on,
            ..
        } => (
            credited_on,
            FundDelta {
                available_pence: p(amount),
                ..FundDelta::default()
            },
        ),
    };
    Some(change)
}

// ---------------------------------------------------------------- verify

struct FundFold {
    row: FundState,
    received: Decimal,
    allocated: Decimal,
    awarded: Decimal,
    paid: Decimal,
    returned: Decimal,
    available: Decimal,
}

/// `verify`'s own fold of the fund position, in pounds.
#[derive(Default)]
pub(crate) struct ExpectedFunds {
    funds: BTreeMap<String, FundFold>,
}

impl ExpectedFunds {
    pub(crate) fn knows(&self, fund_id: &str) -> bool {
        self.funds.contains_key(fund_id)
    }

    /// Folds one of fund `id`'s events; gives the day and change of its daily figures.
    pub(crate) fn fold(
        &mut self,
        report: &mut VerifyReport,
        position: i64,
        id: &str,
        event: &FundEvent,
    ) -> Option<(String, FundFigures)> {
        if let FundEvent::FundEstablished {
            fund_id,
            name,
            funder_org_id,
            funder_name,
            established_on,
        } = event
        {
            let row = FundState {
                fund_id: fund_id.to_string(),
                name: name.clone(),
                funder_org_id: funder_org_id.to_string(),
                funder_name: funder_name.clone(),
                established_on: established_on.to_string(),
                received_pence: 0,
                allocated_pence: 0,
                awarded_pence: 0,
                paid_pence: 0,
                returned_pence: 0,
                available_pence: 0,
            };
            self.funds.insert(id.to_string(), FundFold::new(row));
            return None;
        }
        let Some(fund) = self.funds.get_mut(id) else {
            unknown(report, position, "fund", id);
            return None;
        };
        let (day, change, carried) = expected_change(event)?;
        fund.received += change[0];
        fund.allocated += change[1];
        fund.available += change[5];
        if fund.available != carried {
            report.mismatch(format!(
                "event at position {position}: fund {id} available folds to {} but the event carries {}",
                fund.available, carried
            ));
        }
        Some((day, change))
    }

    /// The fund's share of what an award event moved; false if the fund is unknown.
    pub(crate) fn award_moved(
        &mut self,
        report: &mut VerifyReport,
        position: i64,
        award_id: &str,
        moved: &ExpectedMove,
    ) -> bool {
        match self.funds.get_mut(&moved.fund_id) {
            Some(fund) => {
                fund.awarded += moved.change[0];
                fund.paid += moved.change[1];
                fund.returned += moved.change[2];
                true
            }
            None => {
                unknown(report, position, moved.fund_label, award_id);
                false
            }
        }
    }

    pub(crate) async fn compare(
        &self,
        db: &Database,
        report: &mut VerifyReport,
    ) -> Result<(), ProjectionError> {
        let funds: Vec<FundState> = on_pool!(db, |pool| sqlx::query_as(&format!(
            "SELECT {FUND_COLUMNS} FROM rm_funds"
        ))
        .fetch_all(pool)
        .await?);
        let want: BTreeMap<String, FundState> = self
            .funds
            .iter()
            .map(|(id, fund)| (id.clone(), fund.figures()))
            .collect();
        let have = funds
            .into_iter()
            .map(|row| (row.fund_id.clone(), row))
            .collect();
        compare_maps(report, "rm_funds (fund position)", &want, &have);
        Ok(())
    }
}

impl FundFold {
    fn new(row: FundState) -> FundFold {
        FundFold {
            row,
            received: Decimal::ZERO,
            allocated: Decimal::ZERO,
            awarded: Decimal::ZERO,
            paid: Decimal::ZERO,
            returned: Decimal::ZERO,
            available: Decimal::ZERO,
        }
    }

    /// The row the fold gives, its figures in pence.
    fn figures(&self) -> FundState {
        let mut row = self.row.clone();
        row.received_pence = to_pence(self.received);
        row.allocated_pence = to_pence(self.allocated);
        row.awarded_pence = to_pence(self.awarded);
        row.paid_pence = to_pence(self.paid);
        row.returned_pence = to_pence(self.returned);
        row.available_pence = to_pence(self.available);
        row
    }
}

/// The day, the change of the six figures and the `available_after` a fund event carries
/// (`None` for events that move no money).
fn expected_change(event: &FundEvent) -> Option<(String, FundFigures, Decimal)> {
    let zero = Decimal::ZERO;
    let (day, change, carried) = match event {
        FundEvent::CapitalReceived {
            amount,
            received_on,
            available_after,
            ..
        } => (
            received_on,
            [d(amount), zero, zero, zero, zero, d(amount)],
            available_after,
        ),
        FundEvent::RoundBudgetAllocated {
            budget,
            allocated_on,
            available_after,
            ..
        } => (
            allocated_on,
            [zero, d(budget), zero, zero, zero, -d(budget)],
            available_after,
        ),
        FundEvent::RoundBudgetReleased {
            amount,
            released_on,
            available_after,
            ..
        } => (
            released_on,
            [zero, -d(amount), zero, zero, zero, d(amount)],
            available_after,
        ),
        FundEvent::ReturnCredited {
            amount,
            credited_on,
            available_after,
            ..
        } => (
            credited_on,
            [zero, zero, zero, zero, zero, d(amount)],
            available_after,
        ),
        FundEvent::FundEstablished { .. }
        | FundEvent::OutcomeProxySet { .. }
        | FundEvent::PriorityAreasDeclared { .. } => return None,
    };
    Some((day.to_string(), change, d(carried)))
}
