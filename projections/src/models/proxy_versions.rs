//! `rm_outcome_proxy_versions`: every version of every fund's outcome proxies, one row
//! per `OutcomeProxySet`, keyed by (fund, indicator, the fund's event sequence), with the
//! date it is in force from (`effective_from`, or `set_on` for events without one). The
//! social return values each outcome with the version in force on its date (the latest
//! effective date on or before it; on equal dates the later sequence). `rm_outcome_proxies`
//! keeps the last version set, as before. Rows are only ever added; `verify` recomputes
//! the table with its own fold ([`ExpectedProxyVersions`]).

use std::collections::BTreeMap;

use domain::fund::FundEvent;
use infrastructure::{Database, LoggedEvent};

use crate::check::{compare_maps, VerifyReport};
use crate::decode::Decoded;
use crate::write::{upsert, Field, OnConflict, StatementSink, Writer};
use crate::{on_pool, to_pence, ProjectionError};

pub(crate) const VERSION_COLUMNS: &str =
    "fund_id, indicator, sequence, effective_from, set_on, unit, value_per_unit_pence, \
     deadweight, attribution, displacement, drop_off, duration_years";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct VersionRow {
    pub fund_id: String,
    pub indicator: String,
    /// The `OutcomeProxySet`'s sequence in its fund's stream: orders versions.
    pub sequence: i64,
    pub effective_from: String,
    pub set_on: String,
    pub unit: String,
    pub value_per_unit_pence: i64,
    pub deadweight: String,
    pub attribution: String,
    pub displacement: String,
    pub drop_off: String,
    pub duration_years: i64,
}

type Key = (String, String, i64);

/// The row of an `OutcomeProxySet` of fund `fund_id` at `sequence`; `None` for other
/// events.
fn version_row(fund_id: &str, sequence: i64, event: &FundEvent) -> Option<VersionRow> {
    let effective_from = event.proxy_effective_from()?;
    let FundEvent::OutcomeProxySet {
        indicator,
        proxy,
        set_on,
        ..
    } = event
    else {
        return None;
    };
    Some(VersionRow {
        fund_id: fund_id.to_string(),
        indicator: indicator.clone(),
        sequence,
        effective_from: effective_from.to_string(),
        set_on: set_on.to_string(),
        unit: proxy.unit.clone(),
        value_per_unit_pence: to_pence(proxy.value_per_unit.amount()),
        deadweight: proxy.deadweight.value().to_string(),
        attribution: proxy.attribution.value().to_string(),
        displacement: proxy.displacement.value().to_string(),
        drop_off: proxy.drop_off.value().to_string(),
        duration_years: i64::from(proxy.duration_years),
    })
}

/// The versions a batch adds.
#[derive(Default)]
pub(crate) struct VersionBatch {
    rows: BTreeMap<Key, VersionRow>,
}

impl VersionBatch {
    pub(crate) fn apply(&mut self, event: &LoggedEvent, decoded: &Decoded) {
        let Decoded::Fund(fund_event) = decoded else {
            return;
        };
        if let Some(row) = version_row(&event.aggregate_id, event.sequence, fund_event) {
            self.rows.insert(
                (row.fund_id.clone(), row.indicator.clone(), row.sequence),
                row,
            );
        }
    }

    pub(crate) fn write(&self, writer: Writer, statements: &mut impl StatementSink) {
        let rows: Vec<&VersionRow> = self.rows.values().collect();
        upsert(
            statements,
            writer,
            "rm_outcome_proxy_versions",
            VERSION_COLUMNS,
            "fund_id, indicator, sequence",
            OnConflict::Replace,
            &rows,
            |row| {
                vec![
                    Field::Text(&row.fund_id),
                    Field::Text(&row.indicator),
                    Field::Int(row.sequence),
                    Field::Text(&row.effective_from),
                    Field::Text(&row.set_on),
                    Field::Text(&row.unit),
                    Field::Int(row.value_per_unit_pence),
                    Field::Text(&row.deadweight),
                    Field::Text(&row.attribution),
                    Field::Text(&row.displacement),
                    Field::Text(&row.drop_off),
                    Field::Int(row.duration_years),
                ]
            },
        );
    }
}

/// `verify`'s own fold of the versions: every `OutcomeProxySet`, none replaced.
#[derive(Default)]
pub(crate) struct ExpectedProxyVersions {
    rows: BTreeMap<Key, VersionRow>,
}

impl ExpectedProxyVersions {
    pub(crate) fn fold(&mut self, event: &LoggedEvent, decoded: &Decoded) {
        let Decoded::Fund(FundEvent::OutcomeProxySet {
            indicator,
            proxy,
            set_on,
            effective_from,
        }) = decoded
        else {
            return;
        };
        let key = (
            event.aggregate_id.clone(),
            indicator.clone(),
            event.sequence,
        );
        self.rows.insert(
            key,
            VersionRow {
                fund_id: event.aggregate_id.clone(),
                indicator: indicator.clone(),
                sequence: event.sequence,
                effective_from: effective_from.unwrap_or(*set_on).to_string(),
                set_on: set_on.to_string(),
                unit: proxy.unit.clone(),
                value_per_unit_pence: to_pence(proxy.value_per_unit.amount()),
                deadweight: proxy.deadweight.to_string(),
                attribution: proxy.attribution.to_string(),
                displacement: proxy.displacement.to_string(),
                drop_off: proxy.drop_off.to_string(),
                duration_years: i64::from(proxy.duration_years),
            },
        );
    }

    pub(crate) async fn compare(
        &self,
        db: &Database,
        report: &mut VerifyReport,
    ) -> Result<(), ProjectionError> {
        let rows: Vec<VersionRow> = on_pool!(db, |pool| sqlx::query_as(&format!(
            "SELECT {VERSION_COLUMNS} FROM rm_outcome_proxy_versions"
        ))
        .fetch_all(pool)
        .await?);
        let have = rows
            .into_iter()
            .map(|row| {
                (
                    (row.fund_id.clone(), row.indicator.clone(), row.sequence),
                    row,
                )
            })
            .collect();
        compare_maps(
            report,
            "rm_outcome_proxy_versions (social return)",
            &self.rows,
            &have,
        );
        Ok(())
    }
}
