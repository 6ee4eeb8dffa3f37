//! The read models, one module each. A module holds its rows (the table's row struct and
//! columns), its part of a projector batch (loading the rows the batch's events touch,
//! folding the events, writing the changed rows back) and, after the `verify` marker, its
//! independent check for `verify` (an `Expected…` fold of its own, in pounds, compared
//! with the stored table).
//!
//! Awards move money that other models count: [`awards`] reports each such move as an
//! [`awards::AwardMoney`], which the fund position, round summary and daily series fold
//! (and `verify` the same with [`awards::ExpectedMove`]).
//!
//! A [`Batch`] is one model part per read model; `load`, `apply` and `write_statements`
//! go through them in a fixed order (the order of the SQL each batch runs).

pub(crate) mod applications;
pub(crate) mod awards;
pub mod budget_lines;
pub(crate) mod daily;
pub(crate) mod drawdowns;
pub(crate) mod funds;
pub(crate) mod inputs;
pub(crate) mod outcomes;
pub(crate) mod priority_lists;
pub(crate) mod proxy_versions;
pub(crate) mod rounds;
pub(crate) mod table;
pub(crate) mod votes;

use std::collections::BTreeSet;

use domain::application::ApplicationEvent;
use domain::award::AwardEvent;
use domain::fund::FundEvent;
use domain::round::RoundEvent;
use infrastructure::{Database, LoggedEvent};

use crate::decode::Decoded;
use crate::write::{Statement, StatementSink, Writer};
use crate::ProjectionError;

/// The rows one batch touches, with what it changed, one part per read model. Rows are
/// loaded from the read models at the start of each batch, so nothing is cached between
/// batches and a batch that is rolled back leaves no trace.
#[derive(Default)]
pub(crate) struct Batch {
    funds: funds::Funds,
    rounds: rounds::Rounds,
    applications: applications::Applications,
    awards: awards::Awards,
    drawdowns: drawdowns::Drawdowns,
    daily: daily::Daily,
    outcomes: outcomes::Outcomes,
    inputs: inputs::InputBatch,
    proxy_versions: proxy_versions::VersionBatch,
    votes: votes::VoteBatch,
    budget_lines: budget_lines::BudgetBatch,
    priority_lists: priority_lists::PriorityBatch,
}

/// The keys of the rows a batch's events touch, by table.
#[derive(Default)]
struct Needed {
    award_ids: BTreeSet<String>,
    application_ids: BTreeSet<String>,
    round_ids: BTreeSet<String>,
    fund_ids: BTreeSet<String>,
    drawdown_awards: BTreeSet<String>,
    /// Awards whose awarded may drop here (a close, a return after one): their rounds'
    /// awarded drops with it.
    closing_awards: BTreeSet<String>,
}

impl Needed {
    fn of(events: &[(LoggedEvent, Decoded)]) -> Needed {
        let mut needed = Needed::default();
        for (event, decoded) in events {
            let id = &event.aggregate_id;
            match decoded {
                // Proxies and outcome reports are rows of their own: nothing to load.
                Decoded::Fund(
                    FundEvent::FundEstablished { .. }
                    | FundEvent::OutcomeProxySet { .. }
                    | FundEvent::PriorityAreasDeclared { .. },
                ) => {}
                Decoded::Fund(_) => {
                    needed.fund_ids.insert(id.clone());
                }
                Decoded::Round(RoundEvent::RoundOpened { .. }) => {}
                Decoded::Round(_) => {
                    needed.round_ids.insert(id.clone());
                }
                Decoded::Application(
                    ApplicationEvent::ApplicationSubmitted { .. }
                    | ApplicationEvent::ConflictDeclared { .. }
                    | ApplicationEvent::ApplicationScored { .. },
                ) => {}
                Decoded::Application(_) => {
                    needed.application_ids.insert(id.clone());
                }
                Decoded::Award(award_event) => needed.award(id, award_event),
                Decoded::Ballot(_) | Decoded::Other => {}
            }
        }
        needed
    }

    fn award(&mut self, id: &str, award_event: &AwardEvent) {
        match award_event {
            // Rows of their own (`outcomes`, `inputs`; budget lines are written as
            // deltas): nothing to load.
            AwardEvent::OutcomeReported { .. }
            | AwardEvent::BudgetLinesSet { .. }
            | AwardEvent::InputRecorded(_) => {}
            AwardEvent::AwardMade {
                fund_id, round_id, ..
            } => {
                self.fund_ids.insert(fund_id.to_string());
                self.round_ids.insert(round_id.to_string());
            }
            AwardEvent::HistoricGrantImported(grant) => {
                self.fund_ids.insert(grant.fund_id.to_string());
            }
            AwardEvent::DrawdownApproved { .. }
            | AwardEvent::DrawdownRejected { .. }
            | AwardEvent::PaymentRecorded { .. } => {
                self.award_ids.insert(id.to_string());
                self.drawdown_awards.insert(id.to_string());
            }
            AwardEvent::AwardClosed { .. } | AwardEvent::MoneyReturned { .. } => {
                self.award_ids.insert(id.to_string());
                self.closing_awards.insert(id.to_string());
            }
            _ => {
                self.award_ids.insert(id.to_string());
            }
        }
    }
}

impl Batch {
    /// Loads every row the events will touch.
    pub(crate) async fn load(
        db: &Database,
        events: &[(LoggedEvent, Decoded)],
    ) -> Result<Batch, ProjectionError> {
        let mut batch = Batch::default();
        let mut needed = Needed::of(events);
        batch.votes = votes::VoteBatch::load(db, events).await?;
        batch
            .awards
            .load(
                db,
                &needed.award_ids,
                &needed.closing_awards,
                &mut needed.fund_ids,
                &mut needed.round_ids,
            )
            .await?;
        batch.applications.load(db, &needed.application_ids).await?;
        batch.rounds.load(db, &needed.round_ids).await?;
        batch.drawdowns.load(db, &needed.drawdown_awards).await?;
        batch.funds.load(db, &needed.fund_ids).await?;
        Ok(batch)
    }

    /// A batch for a rebuild: it starts from empty read models and writes every row.
    pub(crate) fn for_rebuild() -> Batch {
        Batch {
            funds: funds::Funds::for_rebuild(),
            rounds: rounds::Rounds::for_rebuild(),
            applications: applications::Applications::for_rebuild(),
            awards: awards::Awards::for_rebuild(),
            drawdowns: drawdowns::Drawdowns::for_rebuild(),
            ..Batch::default()
        }
    }

    /// Folds one event into the batch's rows: each read model that follows the event's
    /// aggregate folds it. No assertions on the figures events carry: a projector that
    /// lost a race folds stale rows before its compare-and-set rejects the batch.
    /// `verify` checks the carried figures.
    pub(crate) fn apply(
        &mut self,
        event: &LoggedEvent,
        decoded: &Decoded,
    ) -> Result<(), ProjectionError> {
        self.inputs.apply(event, decoded);
        self.proxy_versions.apply(event, decoded);
        match decoded {
            Decoded::Fund(fund_event) => {
                self.outcomes.apply_fund(event, fund_event);
                self.priority_lists
                    .apply_fund(&event.aggregate_id, fund_event);
                if let Some((day, delta)) = self.funds.apply(event, fund_event)? {
                    self.daily.fund_changed(&event.aggregate_id, &day, &delta);
                }
            }
            Decoded::Round(round_event) => {
                self.votes.apply_round(event, round_event)?;
                self.rounds.apply(event, round_event)?;
            }
            Decoded::Application(application_event) => {
                self.applications.apply(event, application_event)?;
            }
            Decoded::Award(award_event) => {
                self.outcomes.apply_award(event, award_event);
                self.budget_lines.apply(&event.aggregate_id, award_event);
                self.drawdowns.apply(event, award_event)?;
                if let Some(money) = self.awards.apply(event, award_event)? {
                    self.funds.award_moved(event, &money)?;
                    self.rounds.award_moved(event, &money)?;
                    self.daily.award_moved(money);
                }
            }
            Decoded::Ballot(ballot_event) => self.votes.apply_ballot(event, ballot_event)?,
            Decoded::Other => {}
        }
        Ok(())
    }

    /// The statements that write the batch's changes back.
    pub(crate) fn statements(self, writer: Writer) -> Vec<Statement> {
        let mut statements = Vec::new();
        self.write_statements(writer, &mut statements);
        statements
    }

    /// The statements that write the batch's changes back, each handed to `statements`
    /// as soon as it is made (a rebuild runs each while the next is encoded).
    pub(crate) fn write_statements(self, writer: Writer, statements: &mut impl StatementSink) {
        self.votes.statements(writer, statements);
        self.funds.write(writer, statements);
        self.rounds.write(writer, statements);
        self.applications.write(writer, statements);
        self.awards.write(writer, statements);
        self.drawdowns.write(writer, statements);
        self.awards.write_themes(writer, statements);
        self.daily.write(writer, statements);
        self.outcomes.write(writer, statements);
        self.budget_lines.write(writer, statements);
        self.inputs.write(writer, statements);
        self.proxy_versions.write(writer, statements);
        self.priority_lists.statements(writer, statements);
    }
}
