//! `fundledger verify`: recomputes the hash chain from the events and checks every read
//! model against a fresh fold of the events. Each read model's check lives beside it (the
//! `Expected…` folds in [`crate::models`]): written separately from the projector's fold
//! (plain maps, `Decimal` pounds, one event at a time), so a bug or an edit in either
//! shows up as a difference. This module reads the log, checks the chain and hands each
//! event to every model's check, then has each compare its tables.
//!
//! Only events the projector has reached are compared (its checkpoint), so verifying a
//! store while a server runs reports differences, not lag.

use std::time::Duration;

use infrastructure::{Database, LogCursor, LogOrder, LoggedEvent};

use crate::chain::{next_hash, parse_hash, GENESIS_HASH};
use crate::decode::{decode, Decoded};
use crate::models::applications::ExpectedApplications;
use crate::models::awards::ExpectedAwards;
use crate::models::budget_lines::ExpectedBudgetLines;
use crate::models::daily::ExpectedDaily;
use crate::models::drawdowns::ExpectedDrawdowns;
use crate::models::funds::ExpectedFunds;
use crate::models::inputs::ExpectedInputs;
use crate::models::outcomes::ExpectedOutcomes;
use crate::models::priority_lists::ExpectedPriorityLists;
use crate::models::proxy_versions::ExpectedProxyVersions;
use crate::models::rounds::ExpectedRounds;
use crate::models::votes::ExpectedVotes;
use crate::projector::PROJECTIONS_READER;
use crate::{on_pool, ProjectionError};

pub use crate::check::VerifyReport;

/// Events read per round trip while verifying.
const VERIFY_BATCH_EVENTS: i64 = 10_000;
/// How long verify waits for the log to be readable up to its head (PostgreSQL).
const VERIFY_READABLE_WAIT: Duration = Duration::from_secs(30);

/// Every read model's check.
#[derive(Default)]
struct Expected {
    funds: ExpectedFunds,
    rounds: ExpectedRounds,
    applications: ExpectedApplications,
    awards: ExpectedAwards,
    drawdowns: ExpectedDrawdowns,
    daily: ExpectedDaily,
    outcomes: ExpectedOutcomes,
    inputs: ExpectedInputs,
    proxy_versions: ExpectedProxyVersions,
    votes: ExpectedVotes,
    budget_lines: ExpectedBudgetLines,
    priority_lists: ExpectedPriorityLists,
}

/// Recomputes the chain and folds the log, then compares with the stored chain and every
/// read-model table. Never changes anything.
pub async fn verify(db: &Database) -> Result<VerifyReport, ProjectionError> {
    let mut report = VerifyReport::default();
    let head = db.head_position().await?;
    // A log restored from a logical dump and not yet repaired refuses every write, so all
    // it holds is committed and final: read it whole, whatever its transaction ids (the
    // usual rule would wait for this cluster's counter to pass them).
    let restored = db.log_order().await? != LogOrder::Safe;
    if !restored && !db.wait_until_readable(head, VERIFY_READABLE_WAIT).await? {
        return Err(ProjectionError::Timeout {
            what: format!("the log to be readable up to position {head}"),
            waited_ms: VERIFY_READABLE_WAIT.as_millis() as u64,
        });
    }
    let checkpoint = db.load_checkpoint(PROJECTIONS_READER).await?;
    let mut expected = Expected::default();
    let mut chain = ChainCheck::new();
    let mut cursor = LogCursor::START;
    loop {
        let events = if restored {
            db.read_restored_log(cursor, VERIFY_BATCH_EVENTS).await?
        } else {
            db.read_log(cursor, VERIFY_BATCH_EVENTS).await?
        };
        let Some(last) = events.last() else { break };
        cursor = last.cursor();
        let stored = chain.stored_links(db, events.len()).await?;
        for (index, event) in events.iter().enumerate() {
            report.events += 1;
            chain.ordinal += 1;
            if event.cursor() > checkpoint {
                continue;
            }
            report.projected += 1;
            chain.check(&mut report, event, stored.get(index));
            match decode(event) {
                Ok(decoded) => expected.fold(&mut report, event, &decoded),
                Err(error) => report.mismatch(error.to_string()),
            }
        }
    }
    report.head = hex::encode(chain.previous);
    chain.check_count(db, &mut report).await?;
    expected.compare(db, &mut report).await?;
    crate::geography_check::compare_geography_ancestors(db, &mut report).await?;
    Ok(report)
}

/// The hash chain recomputed from the events as verify reads them, against the stored one.
struct ChainCheck {
    previous: [u8; 32],
    ordinal: i64,
    ok: bool,
}

/// ordinal, position and hash of a stored chain link.
type StoredLink = (i64, i64, String);

impl ChainCheck {
    fn new() -> ChainCheck {
        ChainCheck {
            previous: parse_hash(GENESIS_HASH).expect("genesis is a hash"),
            ordinal: 0,
            ok: true,
        }
    }

    /// The stored links after the last one checked, as many as `count`.
    async fn stored_links(
        &self,
        db: &Database,
        count: usize,
    ) -> Result<Vec<StoredLink>, ProjectionError> {
        let ordinal = self.ordinal;
        let stored: Vec<StoredLink> = on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT ordinal, position, hash FROM ledger_chain WHERE ordinal > $1 ORDER BY ordinal LIMIT $2"
        )
        .bind(ordinal)
        .bind(count as i64)
        .fetch_all(pool)
        .await?
        });
        Ok(stored)
    }

    /// Chains `event` and compares with its stored link; after the first difference the
    /// rest of the chain is not compared.
    fn check(
        &mut self,
        report: &mut VerifyReport,
        event: &LoggedEvent,
        stored: Option<&StoredLink>,
    ) {
        self.previous = next_hash(&self.previous, event);
        let hash = hex::encode(self.previous);
        let ordinal = self.ordinal;
        match stored {
            Some((stored_ordinal, position, stored_hash)) if self.ok => {
                if *stored_ordinal != ordinal || *position != event.position {
                    self.ok = false;
                    report.mismatch(format!(
                        "hash chain: link {ordinal} should be event {} but the chain has {position} there",
                        event.position
                    ));
                } else if *stored_hash != hash {
                    self.ok = false;
                    report.mismatch(format!(
                        "hash chain: event at position {} ({} {} #{}) hashes to {hash} but the chain stores \
                         {stored_hash}: the event or the chain was changed",
                        event.position, event.aggregate_type, event.aggregate_id, event.sequence
                    ));
                }
            }
            None if self.ok => {
                self.ok = false;
                report.mismatch(format!(
                    "hash chain: no link for projected event at position {}",
                    event.position
                ));
            }
            _ => {}
        }
    }

    /// One stored link per projected event, no more.
    async fn check_count(
        &self,
        db: &Database,
        report: &mut VerifyReport,
    ) -> Result<(), ProjectionError> {
        let stored_links: i64 = on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT count(*) FROM ledger_chain"
        )
        .fetch_one(pool)
        .await?);
        if self.ok && stored_links as u64 != report.projected {
            report.mismatch(format!(
                "hash chain: {stored_links} links stored for {} projected events",
                report.projected
            ));
        }
        Ok(())
    }
}

impl Expected {
    /// Hands one event to every model's check that follows its aggregate.
    fn fold(&mut self, report: &mut VerifyReport, event: &LoggedEvent, decoded: &Decoded) {
        let (position, id) = (event.position, event.aggregate_id.as_str());
        self.votes.fold(report, event.cursor(), id, decoded);
        self.inputs.fold(report, event, decoded);
        self.proxy_versions.fold(event, decoded);
        self.priority_lists.fold(id, decoded);
        match decoded {
            Decoded::Fund(fund_event) => {
                if let Some((day, change)) = self.funds.fold(report, position, id, fund_event) {
                    self.daily.fund_changed(id, day, &change);
                }
                if self.funds.knows(id) {
                    self.outcomes.fold_fund(id, fund_event);
                }
            }
            Decoded::Round(round_event) => self.rounds.fold(report, position, id, round_event),
            Decoded::Application(application_event) => {
                self.applications
                    .fold(report, position, id, application_event)
            }
            Decoded::Award(award_event) => self.fold_award(report, position, id, award_event),
            Decoded::Ballot(_) | Decoded::Other => {}
        }
    }

    fn fold_award(
        &mut self,
        report: &mut VerifyReport,
        position: i64,
        id: &str,
        award_event: &domain::award::AwardEvent,
    ) {
        let moved = self.awards.fold(report, position, id, award_event);
        if self.awards.knows(id) {
            self.drawdowns.fold(report, position, id, award_event);
            self.outcomes.fold_award(report, position, id, award_event);
            self.budget_lines.fold(report, position, id, award_event);
        }
        let Some(moved) = moved else { return };
        self.rounds.award_moved(&moved);
        self.daily.award_moved(id, &moved);
        if moved.touches_fund && self.funds.award_moved(report, position, id, &moved) {
            self.daily.fund_moved(&moved);
        }
    }

    /// Each model's check compares its tables, in a fixed order (the report's).
    async fn compare(
        &self,
        db: &Database,
        report: &mut VerifyReport,
    ) -> Result<(), ProjectionError> {
        self.funds.compare(db, report).await?;
        self.daily.compare_funds(db, report).await?;
        self.rounds.compare(db, report).await?;
        self.applications.compare(db, report).await?;
        self.awards.compare(db, report).await?;
        self.drawdowns.compare(db, report).await?;
        self.daily.compare_awards(db, report).await?;
        self.outcomes.compare(db, report).await?;
        self.votes.compare(db, report).await?;
        self.budget_lines.compare(db, report).await?;
        self.inputs.compare(db, report).await?;
        self.proxy_versions.compare(db, report).await?;
        self.priority_lists.compare(db, report).await
    }
}
