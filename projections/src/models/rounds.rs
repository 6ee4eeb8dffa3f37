//! Round summary (`rm_rounds`): each round's terms, status, budget, awarded and what it
//! gave back to the fund. Folds the round's events, and the drop of a closed award's
//! awarded ([`AwardMoney::round_lowered`]).

use std::collections::{BTreeMap, BTreeSet};

use domain::round::RoundEvent;
use infrastructure::{Database, LoggedEvent};
use rust_decimal::Decimal;

use super::awards::{AwardMoney, ExpectedMove};
use super::table::{json_list, load_rows, p, Table};
use crate::check::{compare_maps, d, unknown, VerifyReport};
use crate::write::{upsert, Field, OnConflict, StatementSink, Writer};
use crate::{on_pool, to_pence, ProjectionError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct RoundState {
    pub round_id: String,
    pub fund_id: String,
    pub name: String,
    pub status: String,
    pub opens_on: String,
    pub closes_on: String,
    pub closed_on: Option<String>,
    pub decision_mode: String,
    pub themes: String,
    pub eligible_areas: String,
    pub budget_pence: i64,
    pub awarded_pence: i64,
    pub returned_to_fund_pence: i64,
}

pub(crate) const ROUND_COLUMNS: &str =
    "round_id, fund_id, name, status, opens_on, closes_on, closed_on, decision_mode, \
     themes, eligible_areas, budget_pence, awarded_pence, returned_to_fund_pence";

/// The round rows of a batch.
#[derive(Default)]
pub(crate) struct Rounds {
    table: Table<String, RoundState>,
}

impl Rounds {
    pub(crate) fn for_rebuild() -> Rounds {
        Rounds {
            table: Table::for_rebuild(),
        }
    }

    pub(crate) async fn load(
        &mut self,
        db: &Database,
        round_ids: &BTreeSet<String>,
    ) -> Result<(), ProjectionError> {
        for row in
            load_rows::<RoundState>(db, "rm_rounds", ROUND_COLUMNS, "round_id", round_ids).await?
        {
            self.table.rows.insert(row.round_id.clone(), row);
        }
        Ok(())
    }

    fn round_mut(&mut self, event: &LoggedEvent) -> Result<&mut RoundState, ProjectionError> {
        self.table.row_mut(event, "round", &event.aggregate_id)
    }

    /// Folds one of a round's events (vote counts are [`super::votes`]).
    pub(crate) fn apply(
        &mut self,
        event: &LoggedEvent,
        round_event: &RoundEvent,
    ) -> Result<(), ProjectionError> {
        match round_event {
            RoundEvent::RoundOpened {
                round_id,
                budget,
                terms,
            } => {
                let decision_mode = serde_json::to_value(terms.decision_mode)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_string))
                    .unwrap_or_default();
                let row = RoundState {
                    round_id: round_id.to_string(),
                    fund_id: terms.fund_id.to_string(),
                    name: terms.name.clone(),
                    status: "open".into(),
                    opens_on: terms.opens_on.to_string(),
                    closes_on: terms.closes_on.to_string(),
                    closed_on: None,
                    decision_mode,
                    themes: json_list(&terms.themes),
                    eligible_areas: json_list(&terms.eligible_areas),
                    budget_pence: p(budget),
                    awarded_pence: 0,
                    returned_to_fund_pence: 0,
                };
                self.table.insert(event.aggregate_id.clone(), row);
            }
            RoundEvent::ApplicationApproved { amount, .. } => {
                self.round_mut(event)?.awarded_pence += p(amount);
            }
            RoundEvent::VariationReserved { increase, .. } => {
                self.round_mut(event)?.awarded_pence += p(increase);
            }
            RoundEvent::VariationReleased {
                decrease,
                released_to_fund,
                ..
            } => {
                let round = self.round_mut(event)?;
                round.awarded_pence -= p(decrease);
                if *released_to_fund {
                    round.returned_to_fund_pence += p(decrease);
                }
            }
            RoundEvent::RoundClosed {
                closed_on,
                unawarded,
                ..
            } => {
                let round = self.round_mut(event)?;
                round.status = "closed".into();
                round.closed_on = Some(closed_on.to_string());
                round.returned_to_fund_pence += p(unawarded);
            }
            RoundEvent::BallotCodesIssued { .. }
            | RoundEvent::VotingClosed { .. }
            | RoundEvent::VotesAllocated { .. } => {}
        }
        Ok(())
    }

    /// A closed award's drop in awarded leaves its round's awarded, counted as given back.
    pub(crate) fn award_moved(
        &mut self,
        event: &LoggedEvent,
        money: &AwardMoney,
    ) -> Result<(), ProjectionError> {
        if let Some((round_id, drop)) = money.round_lowered.as_ref() {
            let round = self.table.row_mut(event, "round", round_id)?;
            round.awarded_pence -= drop;
            round.returned_to_fund_pence += drop;
        }
        Ok(())
    }

    pub(crate) fn write(&self, writer: Writer, statements: &mut impl StatementSink) {
        let rounds: Vec<&RoundState> = self.table.changed();
        upsert(
            statements,
            writer,
            "rm_rounds",
            ROUND_COLUMNS,
            "round_id",
            OnConflict::Replace,
            &rounds,
            |row| {
                vec![
                    Field::Text(&row.round_id),
                    Field::Text(&row.fund_id),
                    Field::Text(&row.name),
                    Field::Text(&row.status),
                    Field::Text(&row.opens_on),
                    Field::Text(&row.closes_on),
                    Field::OptText(row.closed_on.as_deref()),
                    Field::Text(&row.decision_mode),
                    Field::Text(&row.themes),
                    Field::Text(&row.eligible_areas),
                    Field::Int(row.budget_pence),
                    Field::Int(row.awarded_pence),
                    Field::Int(row.returned_to_fund_pence),
                ]
            },
        );
    }
}

// ---------------------------------------------------------------- verify

/// `verify`'s own fold of the round summary: the rows, and their money in pounds
/// ([budget, awarded, returned to fund]).
#[derive(Default)]
pub(crate) struct ExpectedRounds {
    rounds: BTreeMap<String, RoundState>,
    money: BTreeMap<String, [Decimal; 3]>,
}

impl ExpectedRounds {
    pub(crate) fn fold(
        &mut self,
        report: &mut VerifyReport,
        position: i64,
        id: &str,
        event: &RoundEvent,
    ) {
        if let RoundEvent::RoundOpened {
            round_id,
            budget,
            terms,
        } = event
        {
            let row = RoundState {
                round_id: round_id.to_string(),
                fund_id: terms.fund_id.to_string(),
                name: terms.name.clone(),
                status: "open".into(),
                opens_on: terms.opens_on.to_string(),
                closes_on: terms.closes_on.to_string(),
                closed_on: None,
                decision_mode: match terms.decision_mode {
                    domain::round::DecisionMode::Panel => "PANEL".into(),
                    domain::round::DecisionMode::Participatory => "PARTICIPATORY".into(),
                },
                themes: serde_json::to_string(&terms.themes).unwrap_or_default(),
                eligible_areas: serde_json::to_string(&terms.eligible_areas).unwrap_or_default(),
                budget_pence: 0,
                awarded_pence: 0,
                returned_to_fund_pence: 0,
            };
            self.rounds.insert(id.to_string(), row);
            self.money
                .insert(id.to_string(), [d(budget), Decimal::ZERO, Decimal::ZERO]);
            return;
        }
        let (Some(round), Some(money)) = (self.rounds.get_mut(id), self.money.get_mut(id)) else {
            return unknown(report, position, "round", id);
        };
        match event {
            RoundEvent::ApplicationApproved { amount, .. } => money[1] += d(amount),
            RoundEvent::VariationReserved { increase, .. } => money[1] += d(increase),
            RoundEvent::VariationReleased {
                decrease,
                released_to_fund,
                ..
            } => {
                money[1] -= d(decrease);
                if *released_to_fund {
                    money[2] += d(decrease);
                }
            }
            RoundEvent::RoundClosed {
                closed_on,
                unawarded,
                ..
            } => {
                round.status = "closed".into();
                round.closed_on = Some(closed_on.to_string());
                money[2] += d(unawarded);
            }
            // Vote counts are folded by `votes::ExpectedVotes`; no money moves.
            RoundEvent::BallotCodesIssued { .. }
            | RoundEvent::VotingClosed { .. }
            | RoundEvent::VotesAllocated { .. } => {}
            RoundEvent::RoundOpened { .. } => unreachable!("handled above"),
        }
    }

    /// A closed award's drop in awarded leaves its round's awarded and counts as given back
    /// to the fund, so the round's remaining budget does not move.
    pub(crate) fn award_moved(&mut self, moved: &ExpectedMove) {
        let Some((round_id, drop)) = moved.round_lowered.as_ref() else {
            return;
        };
        if let Some(money) = self.money.get_mut(round_id) {
            money[1] -= *drop;
            money[2] += *drop;
        }
    }

    pub(crate) async fn compare(
        &self,
        db: &Database,
        report: &mut VerifyReport,
    ) -> Result<(), ProjectionError> {
        let rounds: Vec<RoundState> = on_pool!(db, |pool| sqlx::query_as(&format!(
            "SELECT {ROUND_COLUMNS} FROM rm_rounds"
        ))
        .fetch_all(pool)
        .await?);
        let want: BTreeMap<String, RoundState> = self
            .rounds
            .iter()
            .map(|(id, round)| {
                let mut row = round.clone();
                if let Some(money) = self.money.get(id) {
                    row.budget_pence = to_pence(money[0]);
                    row.awarded_pence = to_pence(money[1]);
                    row.returned_to_fund_pence = to_pence(money[2]);
                }
                (id.clone(), row)
            })
            .collect();
        let have = rounds
            .into_iter()
            .map(|row| (row.round_id.clone(), row))
            .collect();
        compare_maps(report, "rm_rounds (round summary)", &want, &have);
        Ok(())
    }
}
