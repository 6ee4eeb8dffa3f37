//! Vote counts of participatory rounds: `rm_round_votes` (ballot codes issued, ballots
//! cast, voting closed, allocated) and `rm_application_votes` (votes per application).
//! Counts only: a ballot's code, or its hash, never reaches a read model.
//!
//! Counts follow each `BallotCast` live until the round's `VotesAllocated`, whose recorded
//! tally then replaces them; later ballots (which lost the race with the closing of
//! voting) change nothing. The fold is a function of the log's order, so rebuild equals
//! live; `verify` recomputes it with its own code (`Expected`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use domain::application::ApplicationEvent;
use domain::ballot::BallotEvent;
use domain::round::{DecisionMode, LogPlace, RoundEvent, VoteLine};
use infrastructure::{Database, LogCursor, LoggedEvent};

use super::table::load_rows;
use crate::check::{compare_maps, VerifyReport};
use crate::decode::Decoded;
use crate::write::{upsert, Field, OnConflict, StatementSink, Writer};
use crate::{on_pool, ProjectionError};

pub(crate) const ROUND_VOTE_COLUMNS: &str =
    "round_id, ballot_codes_issued, ballots_cast, voting_closed_on, allocated_on";
pub(crate) const APPLICATION_VOTE_COLUMNS: &str = "application_id, round_id, votes";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct RoundVotesRow {
    pub round_id: String,
    pub ballot_codes_issued: i64,
    pub ballots_cast: i64,
    pub voting_closed_on: Option<String>,
    pub allocated_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct ApplicationVotesRow {
    pub application_id: String,
    pub round_id: String,
    pub votes: i64,
}

impl RoundVotesRow {
    fn new(round_id: &str) -> RoundVotesRow {
        RoundVotesRow {
            round_id: round_id.to_string(),
            ballot_codes_issued: 0,
            ballots_cast: 0,
            voting_closed_on: None,
            allocated_on: None,
        }
    }
}

fn count(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

/// The vote rows one batch touches.
#[derive(Default)]
pub(crate) struct VoteBatch {
    rounds: HashMap<String, RoundVotesRow>,
    applications: HashMap<String, ApplicationVotesRow>,
    dirty_rounds: BTreeSet<String>,
    dirty_applications: BTreeSet<String>,
}

fn missing_round(event: &LoggedEvent, round_id: &str) -> ProjectionError {
    ProjectionError::BadEvent {
        position: event.position,
        event_type: event.event_type.clone(),
        message: format!(
            "refers to participatory round {round_id}, which the read models do not have"
        ),
    }
}

impl VoteBatch {
    /// Loads the rows the events will touch: the rounds they name, the applications ballots
    /// choose, and every vote row of a round whose votes are allocated in the batch.
    pub(crate) async fn load(
        db: &Database,
        events: &[(LoggedEvent, Decoded)],
    ) -> Result<VoteBatch, ProjectionError> {
        let mut round_ids = BTreeSet::new();
        let mut application_ids = BTreeSet::new();
        let mut allocated_rounds = BTreeSet::new();
        for (event, decoded) in events {
            match decoded {
                Decoded::Round(
                    RoundEvent::BallotCodesIssued { .. } | RoundEvent::VotingClosed { .. },
                ) => {
                    round_ids.insert(event.aggregate_id.clone());
                }
                Decoded::Round(RoundEvent::VotesAllocated { .. }) => {
                    round_ids.insert(event.aggregate_id.clone());
                    allocated_rounds.insert(event.aggregate_id.clone());
                }
                Decoded::Ballot(BallotEvent::BallotCast {
                    round_id,
                    application_ids: chosen,
                    ..
                }) => {
                    round_ids.insert(round_id.to_string());
                    application_ids.extend(chosen.iter().map(|id| id.to_string()));
                }
                _ => {}
            }
        }
        let mut batch = VoteBatch::default();
        for row in load_rows::<RoundVotesRow>(
            db,
            "rm_round_votes",
            ROUND_VOTE_COLUMNS,
            "round_id",
            &round_ids,
        )
        .await?
        {
            batch.rounds.insert(row.round_id.clone(), row);
        }
        let mut rows = load_rows::<ApplicationVotesRow>(
            db,
            "rm_application_votes",
            APPLICATION_VOTE_COLUMNS,
            "application_id",
            &application_ids,
        )
        .await?;
        rows.extend(
            load_rows::<ApplicationVotesRow>(
                db,
                "rm_application_votes",
                APPLICATION_VOTE_COLUMNS,
                "round_id",
                &allocated_rounds,
            )
            .await?,
        );
        for row in rows {
            batch.applications.insert(row.application_id.clone(), row);
        }
        Ok(batch)
    }

    /// A round opened: a participatory one gets its (empty) counts.
    fn round_opened(&mut self, round_id: &str, mode: DecisionMode) {
        if mode == DecisionMode::Participatory {
            self.rounds
                .insert(round_id.to_string(), RoundVotesRow::new(round_id));
            self.dirty_rounds.insert(round_id.to_string());
        }
    }

    fn round_mut(
        &mut self,
        event: &LoggedEvent,
        round_id: &str,
    ) -> Result<&mut RoundVotesRow, ProjectionError> {
        self.dirty_rounds.insert(round_id.to_string());
        self.rounds
            .get_mut(round_id)
            .ok_or_else(|| missing_round(event, round_id))
    }

    fn add_vote(&mut self, application_id: &str, round_id: &str, votes: i64, replace: bool) {
        self.dirty_applications.insert(application_id.to_string());
        let row = self
            .applications
            .entry(application_id.to_string())
            .or_insert_with(|| ApplicationVotesRow {
                application_id: application_id.to_string(),
                round_id: round_id.to_string(),
                votes: 0,
            });
        if replace {
            row.votes = votes;
        } else {
            row.votes += votes;
        }
    }

    pub(crate) fn apply_round(
        &mut self,
        event: &LoggedEvent,
        round_event: &RoundEvent,
    ) -> Result<(), ProjectionError> {
        let round_id = event.aggregate_id.as_str();
        match round_event {
            RoundEvent::RoundOpened { terms, .. } => {
                self.round_opened(round_id, terms.decision_mode);
            }
            RoundEvent::BallotCodesIssued { issued_total, .. } => {
                self.round_mut(event, round_id)?.ballot_codes_issued = count(*issued_total);
            }
            RoundEvent::VotingClosed { closed_on } => {
                self.round_mut(event, round_id)?.voting_closed_on = Some(closed_on.to_string());
            }
            RoundEvent::VotesAllocated {
                ballots_counted,
                lines,
                decided_on,
            } => {
                let round = self.round_mut(event, round_id)?;
                round.ballots_cast = count(*ballots_counted);
                round.allocated_on = Some(decided_on.to_string());
                // The recorded tally is authoritative: every count of the round is set from
                // it, including to zero for a vote that did not make it into the tally.
                let others: Vec<String> = self
                    .applications
                    .values()
                    .filter(|row| row.round_id == round_id)
                    .map(|row| row.application_id.clone())
                    .collect();
                for application_id in others {
                    self.add_vote(&application_id, round_id, 0, true);
                }
                for line in lines {
                    self.add_vote(
                        line.application_id.as_str(),
                        round_id,
                        count(line.votes),
                        true,
                    );
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn apply_ballot(
        &mut self,
        event: &LoggedEvent,
        ballot_event: &BallotEvent,
    ) -> Result<(), ProjectionError> {
        if let BallotEvent::BallotCast {
            round_id,
            application_ids,
            ..
        } = ballot_event
        {
            let round = self.round_mut(event, round_id.as_str())?;
            if round.allocated_on.is_some() {
                return Ok(());
            }
            round.ballots_cast += 1;
            for application_id in application_ids {
                self.add_vote(application_id.as_str(), round_id.as_str(), 1, false);
            }
        }
        Ok(())
    }

    pub(crate) fn statements(&self, writer: Writer, statements: &mut impl StatementSink) {
        let rounds: Vec<&RoundVotesRow> = self
            .dirty_rounds
            .iter()
            .filter_map(|id| self.rounds.get(id))
            .collect();
        upsert(
            statements,
            writer,
            "rm_round_votes",
            ROUND_VOTE_COLUMNS,
            "round_id",
            OnConflict::Replace,
            &rounds,
            |row| {
                vec![
                    Field::Text(&row.round_id),
                    Field::Int(row.ballot_codes_issued),
                    Field::Int(row.ballots_cast),
                    Field::OptText(row.voting_closed_on.as_deref()),
                    Field::OptText(row.allocated_on.as_deref()),
                ]
            },
        );
        let applications: Vec<&ApplicationVotesRow> = self
            .dirty_applications
            .iter()
            .filter_map(|id| self.applications.get(id))
            .collect();
        upsert(
            statements,
            writer,
            "rm_application_votes",
            APPLICATION_VOTE_COLUMNS,
            "application_id",
            OnConflict::Replace,
            &applications,
            |row| {
                vec![
                    Field::Text(&row.application_id),
                    Field::Text(&row.round_id),
                    Field::Int(row.votes),
                ]
            },
        );
    }
}

// ---------------------------------------------------------------- verify

/// `verify`'s own fold of the vote counts: per round, the ballots and votes cast, until
/// the recorded tally takes over.
#[derive(Default)]
pub(crate) struct ExpectedVotes {
    /// Participatory rounds by id.
    rounds: BTreeMap<String, RoundVotesRow>,
    /// (round, application) → votes.
    votes: BTreeMap<(String, String), i64>,
    /// Application → where the log recorded its submission (the vote order's tie-break).
    submitted: HashMap<String, LogPlace>,
}

impl ExpectedVotes {
    /// Folds the event at `place` (its place in the log's order) of aggregate `id`.
    pub(crate) fn fold(
        &mut self,
        report: &mut VerifyReport,
        place: LogCursor,
        id: &str,
        decoded: &Decoded,
    ) {
        let position = place.position;
        let unknown = |report: &mut VerifyReport, round: &str| {
            report.mismatch(format!(
                "event at position {position} refers to unknown participatory round {round}"
            ))
        };
        match decoded {
            Decoded::Round(RoundEvent::RoundOpened { terms, .. })
                if terms.decision_mode == DecisionMode::Participatory =>
            {
                self.rounds.insert(id.to_string(), RoundVotesRow::new(id));
            }
            Decoded::Round(RoundEvent::BallotCodesIssued { issued_total, .. }) => {
                match self.rounds.get_mut(id) {
                    Some(round) => round.ballot_codes_issued = count(*issued_total),
                    None => unknown(report, id),
                }
            }
            Decoded::Round(RoundEvent::VotingClosed { closed_on }) => match self.rounds.get_mut(id)
            {
                Some(round) => round.voting_closed_on = Some(closed_on.to_string()),
                None => unknown(report, id),
            },
            Decoded::Application(ApplicationEvent::ApplicationSubmitted { .. }) => {
                let place = LogPlace {
                    epoch: place.epoch,
                    txid: place.txid,
                    position,
                };
                self.submitted.insert(id.to_string(), place);
            }
            Decoded::Round(RoundEvent::VotesAllocated {
                ballots_counted,
                lines,
                decided_on,
            }) => {
                self.check_vote_order(report, position, lines);
                if !self.allocated(id, count(*ballots_counted), lines, decided_on) {
                    unknown(report, id);
                }
            }
            Decoded::Ballot(BallotEvent::BallotCast {
                round_id,
                application_ids,
                ..
            }) => {
                let Some(round) = self.rounds.get_mut(round_id.as_str()) else {
                    return unknown(report, round_id.as_str());
                };
                if round.allocated_on.is_none() {
                    round.ballots_cast += 1;
                    for application in application_ids {
                        *self
                            .votes
                            .entry((round_id.to_string(), application.to_string()))
                            .or_default() += 1;
                    }
                }
            }
            _ => {}
        }
    }

    /// The recorded tally replaces round `id`'s counts; false if the round is unknown.
    fn allocated(
        &mut self,
        id: &str,
        ballots_counted: i64,
        lines: &[VoteLine],
        decided_on: &domain::Date,
    ) -> bool {
        let Some(round) = self.rounds.get_mut(id) else {
            return false;
        };
        round.ballots_cast = ballots_counted;
        round.allocated_on = Some(decided_on.to_string());
        for ((round, _), votes) in self.votes.iter_mut() {
            if round == id {
                *votes = 0;
            }
        }
        for line in lines {
            self.votes.insert(
                (id.to_string(), line.application_id.to_string()),
                count(line.votes),
            );
        }
        true
    }

    /// Checks a recorded allocation against the log: each line's submission place is where
    /// the log recorded that application's submission, and lines with equal votes are in
    /// that order (allocations recorded before places were kept have none to check).
    fn check_vote_order(&self, report: &mut VerifyReport, position: i64, lines: &[VoteLine]) {
        for line in lines {
            let Some(recorded) = line.submitted_at else {
                continue;
            };
            let logged = self.submitted.get(line.application_id.as_str());
            if logged != Some(&recorded) {
                report.mismatch(format!(
                    "VotesAllocated at position {position}: application {} is recorded as submitted at {recorded:?} but the log has {logged:?}",
                    line.application_id
                ));
            }
        }
        for pair in lines.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let in_order = match (a.submitted_at, b.submitted_at) {
                _ if a.votes != b.votes => a.votes > b.votes,
                (Some(first), Some(second)) => first < second,
                _ => true,
            };
            if !in_order {
                report.mismatch(format!(
                    "VotesAllocated at position {position}: {} ({} votes) comes before {} ({} votes), against the vote order (most votes, then the submission the log recorded first)",
                    a.application_id, a.votes, b.application_id, b.votes
                ));
            }
        }
    }

    /// Compares both vote tables with the fold.
    pub(crate) async fn compare(
        &self,
        db: &Database,
        report: &mut VerifyReport,
    ) -> Result<(), ProjectionError> {
        let rounds: Vec<RoundVotesRow> = on_pool!(db, |pool| sqlx::query_as(&format!(
            "SELECT {ROUND_VOTE_COLUMNS} FROM rm_round_votes"
        ))
        .fetch_all(pool)
        .await?);
        let have: BTreeMap<String, RoundVotesRow> = rounds
            .into_iter()
            .map(|row| (row.round_id.clone(), row))
            .collect();
        compare_maps(
            report,
            "rm_round_votes (ballots per round)",
            &self.rounds,
            &have,
        );
        let votes: Vec<ApplicationVotesRow> = on_pool!(db, |pool| sqlx::query_as(&format!(
            "SELECT {APPLICATION_VOTE_COLUMNS} FROM rm_application_votes"
        ))
        .fetch_all(pool)
        .await?);
        let have: BTreeMap<(String, String), i64> = votes
            .into_iter()
            .map(|row| ((row.round_id, row.application_id), row.votes))
            .collect();
        compare_maps(
            report,
            "rm_application_votes (votes per application)",
            &self.votes,
            &have,
        );
        Ok(())
    }
}
