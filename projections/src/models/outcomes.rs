//! Social return inputs (`rm_outcome_proxies`, `rm_outcomes`): each fund's current proxy
//! per outcome indicator, and each outcome report. Rows of their own: nothing is loaded,
//! a batch only adds or replaces them.

use std::collections::BTreeMap;

use domain::award::AwardEvent;
use domain::fund::FundEvent;
use foldhash::HashMap;
use infrastructure::{Database, LoggedEvent};

use super::table::{in_key_order, p};
use crate::check::{compare_maps, d, VerifyReport};
use crate::write::{upsert, Field, OnConflict, StatementSink, Writer};
use crate::{on_pool, to_pence, ProjectionError};

/// A fund's current proxy for one outcome indicator (shares as exact decimal text).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct ProxyState {
    pub fund_id: String,
    pub indicator: String,
    pub unit: String,
    pub value_per_unit_pence: i64,
    pub deadweight: String,
    pub attribution: String,
    pub displacement: String,
    pub drop_off: String,
    pub duration_years: i64,
    pub set_on: String,
}

/// One outcome report (quantity as exact decimal text).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct OutcomeState {
    pub award_id: String,
    pub report_id: String,
    pub indicator: String,
    pub quantity: String,
    pub period_end: String,
}

pub(crate) const PROXY_COLUMNS: &str =
    "fund_id, indicator, unit, value_per_unit_pence, deadweight, attribution, \
     displacement, drop_off, duration_years, set_on";
pub(crate) const OUTCOME_COLUMNS: &str = "award_id, report_id, indicator, quantity, period_end";

/// The proxies and outcome reports of a batch.
#[derive(Default)]
pub(crate) struct Outcomes {
    /// Proxies set in this batch by (fund, indicator); the last one set wins.
    proxies: HashMap<(String, String), ProxyState>,
    /// Outcome reports made in this batch by (award, report id).
    outcomes: HashMap<(String, String), OutcomeState>,
}

impl Outcomes {
    /// A fund's `OutcomeProxySet`.
    pub(crate) fn apply_fund(&mut self, event: &LoggedEvent, fund_event: &FundEvent) {
        let FundEvent::OutcomeProxySet {
            indicator,
            proxy,
            set_on,
        } = fund_event
        else {
            return;
        };
        let fund_id = event.aggregate_id.as_str();
        let row = ProxyState {
            fund_id: fund_id.to_string(),
            indicator: indicator.clone(),
            unit: proxy.unit.clone(),
            value_per_unit_pence: p(&proxy.value_per_unit),
            deadweight: proxy.deadweight.to_string(),
            attribution: proxy.attribution.to_string(),
            displacement: proxy.displacement.to_string(),
            drop_off: proxy.drop_off.to_string(),
            duration_years: i64::from(proxy.duration_years),
            set_on: set_on.to_string(),
        };
        self.proxies
            .insert((fund_id.to_string(), indicator.clone()), row);
    }

    /// An award's `OutcomeReported`.
    pub(crate) fn apply_award(&mut self, event: &LoggedEvent, award_event: &AwardEvent) {
        let AwardEvent::OutcomeReported {
            report_id,
            indicator,
            quantity,
            period_end,
        } = award_event
        else {
            return;
        };
        let award_id = event.aggregate_id.clone();
        let row = OutcomeState {
            award_id: award_id.clone(),
            report_id: report_id.clone(),
            indicator: indicator.clone(),
            quantity: quantity.normalize().to_string(),
            period_end: period_end.to_string(),
        };
        self.outcomes.insert((award_id, report_id.clone()), row);
    }

    pub(crate) fn write(&self, writer: Writer, statements: &mut impl StatementSink) {
        let proxies: Vec<&ProxyState> = in_key_order(&self.proxies)
            .into_iter()
            .map(|(_, row)| row)
            .collect();
        upsert(
            statements,
            writer,
            "rm_outcome_proxies",
            PROXY_COLUMNS,
            "fund_id, indicator",
            OnConflict::Replace,
            &proxies,
            |row| {
                vec![
                    Field::Text(&row.fund_id),
                    Field::Text(&row.indicator),
                    Field::Text(&row.unit),
                    Field::Int(row.value_per_unit_pence),
                    Field::Text(&row.deadweight),
                    Field::Text(&row.attribution),
                    Field::Text(&row.displacement),
                    Field::Text(&row.drop_off),
                    Field::Int(row.duration_years),
                    Field::Text(&row.set_on),
                ]
            },
        );
        let outcomes: Vec<&OutcomeState> = in_key_order(&self.outcomes)
            .into_iter()
            .map(|(_, row)| row)
            .collect();
        upsert(
            statements,
            writer,
            "rm_outcomes",
            OUTCOME_COLUMNS,
            "award_id, report_id",
            OnConflict::Replace,
            &outcomes,
            |row| {
                vec![
                    Field::Text(&row.award_id),
                    Field::Text(&row.report_id),
                    Field::Text(&row.indicator),
                    Field::Text(&row.quantity),
                    Field::Text(&row.period_end),
                ]
            },
        );
    }
}

// ---------------------------------------------------------------- verify

/// `verify`'s own fold of the proxies and outcome reports.
#[derive(Default)]
pub(crate) struct ExpectedOutcomes {
    /// (fund, indicator) → the proxy set last.
    proxies: BTreeMap<(String, String), ProxyState>,
    /// (award, report id) → the report.
    outcomes: BTreeMap<(String, String), OutcomeState>,
}

impl ExpectedOutcomes {
    /// Folds an event of fund `id`, which `verify` knows.
    pub(crate) fn fold_fund(&mut self, id: &str, event: &FundEvent) {
        let FundEvent::OutcomeProxySet {
            indicator,
            proxy,
            set_on,
        } = event
        else {
            return;
        };
        let row = ProxyState {
            fund_id: id.to_string(),
            indicator: indicator.clone(),
            unit: proxy.unit.clone(),
            value_per_unit_pence: to_pence(d(&proxy.value_per_unit)),
            deadweight: proxy.deadweight.value().to_string(),
            attribution: proxy.attribution.value().to_string(),
            displacement: proxy.displacement.value().to_string(),
            drop_off: proxy.drop_off.value().to_string(),
            duration_years: i64::from(proxy.duration_years),
            set_on: set_on.to_string(),
        };
        // A later proxy for the same indicator replaces the earlier one.
        self.proxies
            .insert((id.to_string(), indicator.clone()), row);
    }

    /// Folds an event of award `id`, which `verify` knows.
    pub(crate) fn fold_award(
        &mut self,
        report: &mut VerifyReport,
        position: i64,
        id: &str,
        event: &AwardEvent,
    ) {
        let AwardEvent::OutcomeReported {
            report_id,
            indicator,
            quantity,
            period_end,
        } = event
        else {
            return;
        };
        let key = (id.to_string(), report_id.clone());
        if self.outcomes.contains_key(&key) {
            report.mismatch(format!(
                "event at position {position}: award {id} reports {report_id} a second time"
            ));
        }
        let row = OutcomeState {
            award_id: id.to_string(),
            report_id: report_id.clone(),
            indicator: indicator.clone(),
            quantity: quantity.normalize().to_string(),
            period_end: period_end.to_string(),
        };
        self.outcomes.insert(key, row);
    }

    pub(crate) async fn compare(
        &self,
        db: &Database,
        report: &mut VerifyReport,
    ) -> Result<(), ProjectionError> {
        let proxies: Vec<ProxyState> = on_pool!(db, |pool| sqlx::query_as(&format!(
            "SELECT {PROXY_COLUMNS} FROM rm_outcome_proxies"
        ))
        .fetch_all(pool)
        .await?);
        let have = proxies
            .into_iter()
            .map(|row| ((row.fund_id.clone(), row.indicator.clone()), row))
            .collect();
        compare_maps(
            report,
            "rm_outcome_proxies (social return)",
            &self.proxies,
            &have,
        );
        let outcomes: Vec<OutcomeState> = on_pool!(db, |pool| sqlx::query_as(&format!(
            "SELECT {OUTCOME_COLUMNS} FROM rm_outcomes"
        ))
        .fetch_all(pool)
        .await?);
        let have = outcomes
            .into_iter()
            .map(|row| ((row.award_id.clone(), row.report_id.clone()), row))
            .collect();
        compare_maps(report, "rm_outcomes (social return)", &self.outcomes, &have);
        Ok(())
    }
}
