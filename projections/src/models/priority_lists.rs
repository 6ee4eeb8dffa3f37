//! Priority-area lists (`rm_priority_lists`, migration 0014): each fund's current list of
//! each name, from `PriorityAreasDeclared` (a later declaration of the same name replaces
//! the row). The live fold and the rebuild go through `PriorityBatch`; `verify` folds the
//! log with its own code (`ExpectedPriorityLists`) and compares. The read side (shares and
//! cold spots) is `crate::priority_areas`.

use std::collections::{BTreeMap, HashMap};

use domain::fund::FundEvent;
use domain::GeoCode;
use infrastructure::Database;

use crate::check::{compare_maps, VerifyReport};
use crate::decode::Decoded;
use crate::write::{upsert, Field, OnConflict, StatementSink, Writer};
use crate::{on_pool, ProjectionError};

pub(crate) const PRIORITY_LIST_COLUMNS: &str = "fund_id, list_name, areas, area_count, declared_on";

/// One fund's current list of one name.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct PriorityListRow {
    pub fund_id: String,
    pub list_name: String,
    /// The codes, sorted, separated by single spaces.
    pub areas: String,
    pub area_count: i64,
    pub declared_on: String,
}

impl PriorityListRow {
    fn new(fund_id: &str, list_name: &str, areas: &[GeoCode], declared_on: String) -> Self {
        PriorityListRow {
            fund_id: fund_id.to_string(),
            list_name: list_name.to_string(),
            areas: areas
                .iter()
                .map(GeoCode::as_str)
                .collect::<Vec<_>>()
                .join(" "),
            area_count: i64::try_from(areas.len()).unwrap_or(i64::MAX),
            declared_on,
        }
    }
}

/// The lists one batch declared, by (fund, list name); the last declaration wins.
#[derive(Default)]
pub(crate) struct PriorityBatch {
    lists: HashMap<(String, String), PriorityListRow>,
}

impl PriorityBatch {
    /// Folds a fund event of aggregate `fund_id`; other events change nothing here.
    pub(crate) fn apply_fund(&mut self, fund_id: &str, event: &FundEvent) {
        if let FundEvent::PriorityAreasDeclared {
            list_name,
            areas,
            declared_on,
        } = event
        {
            let row = PriorityListRow::new(fund_id, list_name, areas, declared_on.to_string());
            self.lists
                .insert((fund_id.to_string(), list_name.clone()), row);
        }
    }

    pub(crate) fn statements(&self, writer: Writer, statements: &mut impl StatementSink) {
        let mut keys: Vec<&(String, String)> = self.lists.keys().collect();
        keys.sort();
        let rows: Vec<&PriorityListRow> = keys.into_iter().map(|key| &self.lists[key]).collect();
        upsert(
            statements,
            writer,
            "rm_priority_lists",
            PRIORITY_LIST_COLUMNS,
            "fund_id, list_name",
            OnConflict::Replace,
            &rows,
            |row| {
                vec![
                    Field::Text(&row.fund_id),
                    Field::Text(&row.list_name),
                    Field::Text(&row.areas),
                    Field::Int(row.area_count),
                    Field::Text(&row.declared_on),
                ]
            },
        );
    }
}

/// `verify`'s own fold of the lists.
#[derive(Default)]
pub(crate) struct ExpectedPriorityLists {
    lists: BTreeMap<(String, String), PriorityListRow>,
}

impl ExpectedPriorityLists {
    /// Folds the event of aggregate `id`.
    pub(crate) fn fold(&mut self, id: &str, decoded: &Decoded) {
        let Decoded::Fund(FundEvent::PriorityAreasDeclared {
            list_name,
            areas,
            declared_on,
        }) = decoded
        else {
            return;
        };
        let mut codes: Vec<&str> = areas.iter().map(GeoCode::as_str).collect();
        codes.sort_unstable();
        codes.dedup();
        let row = PriorityListRow {
            fund_id: id.to_string(),
            list_name: list_name.clone(),
            areas: codes.join(" "),
            area_count: codes.len() as i64,
            declared_on: declared_on.to_string(),
        };
        // A later declaration of the same list replaces the earlier one.
        self.lists.insert((id.to_string(), list_name.clone()), row);
    }

    pub(crate) async fn compare(
        &self,
        db: &Database,
        report: &mut VerifyReport,
    ) -> Result<(), ProjectionError> {
        let rows: Vec<PriorityListRow> = on_pool!(db, |pool| sqlx::query_as(&format!(
            "SELECT {PRIORITY_LIST_COLUMNS} FROM rm_priority_lists"
        ))
        .fetch_all(pool)
        .await?);
        let have: BTreeMap<(String, String), PriorityListRow> = rows
            .into_iter()
            .map(|row| ((row.fund_id.clone(), row.list_name.clone()), row))
            .collect();
        compare_maps(
            report,
            "rm_priority_lists (priority areas)",
            &self.lists,
            &have,
        );
        Ok(())
    }
}
