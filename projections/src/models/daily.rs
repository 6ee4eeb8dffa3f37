//! Daily series (`rm_fund_daily`, `rm_award_daily`): the change of each fund's and each
//! award's figures per business day, summed into the stored rows (`OnConflict::Add`), so
//! a figure as of any date is a sum over days. Folds the changes the fund position and
//! the awards report ([`FundDelta`], [`AwardMoney`]).

use std::collections::BTreeMap;

use domain::Date;
use foldhash::HashMap;
use infrastructure::Database;
use rust_decimal::Decimal;

use super::awards::{AwardMoney, ExpectedMove};
use super::table::in_key_order;
use crate::check::{add, compare_maps, pence, VerifyReport};
use crate::write::{upsert, Field, OnConflict, StatementSink, Writer};
use crate::{on_pool, ProjectionError};

/// The change of a fund's figures on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct FundDelta {
    pub received_pence: i64,
    pub allocated_pence: i64,
    pub awarded_pence: i64,
    pub paid_pence: i64,
    pub returned_pence: i64,
    pub available_pence: i64,
}

/// The change of an award's figures on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct AwardDelta {
    pub awarded_pence: i64,
    pub paid_pence: i64,
    pub returned_pence: i64,
    pub spend_pence: i64,
}

/// The daily changes of a batch, by (fund or award, day). Only changes are held: the
/// write adds them to what is stored.
#[derive(Default)]
pub(crate) struct Daily {
    funds: HashMap<(String, Date), FundDelta>,
    awards: HashMap<(String, Date), AwardDelta>,
}

impl Daily {
    fn fund_day(&mut self, fund_id: &str, day: &Date) -> &mut FundDelta {
        self.funds.entry((fund_id.to_string(), *day)).or_default()
    }

    /// A fund event's change of the fund's figures on `day`.
    pub(crate) fn fund_changed(&mut self, fund_id: &str, day: &Date, delta: &FundDelta) {
        let daily = self.fund_day(fund_id, day);
        daily.received_pence += delta.received_pence;
        daily.allocated_pence += delta.allocated_pence;
        daily.available_pence += delta.available_pence;
    }

    /// What an award event moved, on its day: the award's series, and its fund's. Takes
    /// the move by value: its ids become the rows' keys without another copy.
    pub(crate) fn award_moved(&mut self, money: AwardMoney) {
        if let Some(fund_id) = money.fund_id {
            let daily = self.funds.entry((fund_id, money.day)).or_default();
            daily.awarded_pence += money.awarded;
            daily.paid_pence += money.paid;
            daily.returned_pence += money.returned;
        }
        let daily = self.awards.entry((money.award_id, money.day)).or_default();
        daily.awarded_pence += money.awarded;
        daily.paid_pence += money.paid;
        daily.returned_pence += money.returned;
        daily.spend_pence += money.spend;
    }

    pub(crate) fn write(&self, writer: Writer, statements: &mut impl StatementSink) {
        let fund_daily = in_key_order(&self.funds);
        upsert(statements, writer,
            "rm_fund_daily",
            "fund_id, day, received_pence, allocated_pence, awarded_pence, paid_pence, returned_pence, available_pence",
            "fund_id, day",
            OnConflict::Add("rm_fund_daily"),
            &fund_daily,
            |((fund, day), delta)| {
                vec![
                    Field::Text(fund),
                    Field::Date(*day),
                    Field::Int(delta.received_pence),
                    Field::Int(delta.allocated_pence),
                    Field::Int(delta.awarded_pence),
                    Field::Int(delta.paid_pence),
                    Field::Int(delta.returned_pence),
                    Field::Int(delta.available_pence),
                ]
            },
        );
        let award_daily = in_key_order(&self.awards);
        upsert(
            statements,
            writer,
            "rm_award_daily",
            "award_id, day, awarded_pence, paid_pence, returned_pence, spend_pence",
            "award_id, day",
            OnConflict::Add("rm_award_daily"),
            &award_daily,
            |((award, day), delta)| {
                vec![
                    Field::Text(award),
                    Field::Date(*day),
                    Field::Int(delta.awarded_pence),
                    Field::Int(delta.paid_pence),
                    Field::Int(delta.returned_pence),
                    Field::Int(delta.spend_pence),
                ]
            },
        );
    }
}

// ---------------------------------------------------------------- verify

/// [received, allocated, awarded, paid, returned, available] of a fund (a day's change).
pub(crate) type FundFigures = [Decimal; 6];

/// fund_id, day and the six figures of `rm_fund_daily`.
type FundDailyRow = (String, String, i64, i64, i64, i64, i64, i64);

/// `verify`'s own fold of the daily series, in pounds, by (fund or award, day).
#[derive(Default)]
pub(crate) struct ExpectedDaily {
    funds: BTreeMap<(String, String), FundFigures>,
    /// [awarded, paid, returned, spend]
    awards: BTreeMap<(String, String), [Decimal; 4]>,
}

impl ExpectedDaily {
    /// A fund's change on `day`: [received, allocated, awarded, paid, returned, available].
    pub(crate) fn fund_changed(&mut self, fund_id: &str, day: String, change: &FundFigures) {
        add(
            self.funds.entry((fund_id.to_string(), day)).or_default(),
            change,
        );
    }

    /// An award event's change of the award's figures on its day.
    pub(crate) fn award_moved(&mut self, award_id: &str, moved: &ExpectedMove) {
        add(
            self.awards
                .entry((award_id.to_string(), moved.day.clone()))
                .or_default(),
            &moved.change,
        );
    }

    /// An award event's change of its fund's figures (awarded, paid, returned).
    pub(crate) fn fund_moved(&mut self, moved: &ExpectedMove) {
        let zero = Decimal::ZERO;
        let [awarded, paid, returned, _] = moved.change;
        self.fund_changed(
            &moved.fund_id,
            moved.day.clone(),
            &[zero, zero, awarded, paid, returned, zero],
        );
    }

    pub(crate) async fn compare_funds(
        &self,
        db: &Database,
        report: &mut VerifyReport,
    ) -> Result<(), ProjectionError> {
        let daily: Vec<FundDailyRow> = on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT fund_id, day, received_pence, allocated_pence, awarded_pence, paid_pence, returned_pence, available_pence
               FROM rm_fund_daily"
        )
        .fetch_all(pool)
        .await?
        });
        let want: BTreeMap<(String, String), [i64; 6]> = self
            .funds
            .iter()
            .map(|(key, amounts)| (key.clone(), pence(amounts)))
            .filter(|(_, amounts)| amounts.iter().any(|amount| *amount != 0))
            .collect();
        let have = daily
            .into_iter()
            .map(|(fund, day, a, b, c, e, f, g)| ((fund, day), [a, b, c, e, f, g]))
            .filter(|(_, amounts)| amounts.iter().any(|amount| *amount != 0))
            .collect();
        compare_maps(report, "rm_fund_daily (fund series)", &want, &have);
        Ok(())
    }

    pub(crate) async fn compare_awards(
        &self,
        db: &Database,
        report: &mut VerifyReport,
    ) -> Result<(), ProjectionError> {
        let daily: Vec<(String, String, i64, i64, i64, i64)> = on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT award_id, day, awarded_pence, paid_pence, returned_pence, spend_pence FROM rm_award_daily"
        )
        .fetch_all(pool)
        .await?
        });
        let want: BTreeMap<(String, String), [i64; 4]> = self
            .awards
            .iter()
            .map(|(key, amounts)| (key.clone(), pence(amounts)))
            .filter(|(_, amounts)| amounts.iter().any(|amount| *amount != 0))
            .collect();
        let have = daily
            .into_iter()
            .map(|(award, day, a, b, c, e)| ((award, day), [a, b, c, e]))
            .filter(|(_, amounts)| amounts.iter().any(|amount| *amount != 0))
            .collect();
        compare_maps(
            report,
            "rm_award_daily (neighbourhood series)",
            &want,
            &have,
        );
        Ok(())
    }
}
