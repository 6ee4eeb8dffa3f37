//! Participatory rounds: issuing ballot codes, casting ballots, allocating by votes.
//!
//! - Codes are made by the caller (`crate::ballot_codes`), hashed here, and only the hashes
//!   reach the domain and the log. The plain codes are returned once, to the request that
//!   issued them; a retry with the same idempotency key writes nothing and returns the
//!   batch without codes (they were never stored, so they can't be shown again).
//! - A ballot is its own aggregate keyed by its code hash: "each code votes once" is the
//!   ballot's rule, checked under optimistic concurrency on a one-event stream, and voters
//!   never contend with each other or with the round.
//! - `allocate_by_votes` first closes voting on the round (from then on every ballot is
//!   refused), waits until every ballot committed before that is readable, tallies the
//!   round's `BallotCast` events, and then lets the round approve in vote order in one
//!   command under the caller's idempotency key. The tally is recorded in the round's
//!   `VotesAllocated` event and is what counts: a ballot that raced the closing (it read
//!   the round just before voting closed and committed just after the tally) is accepted
//!   but not counted, and the read models follow the recorded tally.

use std::collections::BTreeMap;

use domain::ballot::{
    BallotChoice, BallotCommand, BallotError, BallotEvent, RoundForBallot,
    MAX_BALLOT_CODES_PER_REQUEST, MAX_CHOICES_PER_BALLOT,
};
use domain::round::{LogPlace, RoundCommand, RoundError, VoteCandidate};
use domain::{ApplicationId, RoundId};

use super::{from_command, not_found, Ledger, LedgerError, Outcome, Request};
use crate::ballot_codes::hash_code;
use crate::database::{Database, StoreError};
use crate::event_store::CommandContext;

/// How long `allocate_by_votes` waits for ballots committed before voting closed to become
/// readable (PostgreSQL: transactions still in flight).
const TALLY_READABLE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// What `issue_ballot_codes` gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedBallotCodes {
    pub batch_id: String,
    /// How many codes the batch holds.
    pub count: usize,
    /// The plain codes, in the order given; empty for a replayed request.
    pub codes: Vec<String>,
    /// True when the idempotency key had been used: nothing new was written.
    pub replayed: bool,
}

impl Ledger {
    /// Records `codes` (made by the caller) for a PARTICIPATORY round by their hashes and
    /// makes one ballot per code.
    pub async fn issue_ballot_codes(
        &self,
        request: &Request,
        round_id: &RoundId,
        codes: Vec<String>,
    ) -> Result<Outcome<IssuedBallotCodes>, LedgerError> {
        if codes.is_empty() || codes.len() > MAX_BALLOT_CODES_PER_REQUEST {
            return Err(LedgerError::Round(RoundError::BallotCodeCount {
                count: codes.len(),
                max: MAX_BALLOT_CODES_PER_REQUEST,
            }));
        }
        let batch_id = request.new_id("BAL");
        let command = RoundCommand::IssueBallotCodes {
            batch_id: batch_id.clone(),
            code_hashes: codes.iter().map(|code| hash_code(round_id, code)).collect(),
            issued_on: request.today,
        };
        let committed = self
            .rounds
            .execute_existing(round_id.as_str(), command, &request.command, "round")
            .await
            .map_err(|error| from_command(error, LedgerError::Round))?;
        let position = self
            .complete_round_events(
                &request.command,
                round_id,
                &committed.events,
                committed.position,
            )
            .await?;
        let replayed = committed.replayed;
        Ok(Outcome {
            value: IssuedBallotCodes {
                batch_id,
                count: codes.len(),
                codes: if replayed { Vec::new() } else { codes },
                replayed,
            },
            position,
        })
    }

    /// Casts the ballot known by `code` in `round_id` for `application_ids`. A code that
    /// was never issued for this round is refused as `BallotError::InvalidCode` (FORBIDDEN),
    /// the same whether it exists elsewhere or not.
    pub async fn cast_ballot(
        &self,
        request: &Request,
        round_id: &RoundId,
        code: &str,
        application_ids: &[ApplicationId],
    ) -> Result<Outcome<RoundId>, LedgerError> {
        let round = self.round(round_id).await?;
        let terms = round.terms().ok_or_else(|| not_found("round", round_id))?;
        let hash = hash_code(round_id, code);
        let (ballot, _) = self.ballots.load(hash.as_str()).await?;
        if ballot.round_id() != Some(round_id) {
            return Err(LedgerError::Ballot(BallotError::InvalidCode(
                round_id.clone(),
            )));
        }
        // Bounds the applications loaded below; the ballot checks it again.
        if application_ids.len() > MAX_CHOICES_PER_BALLOT {
            return Err(LedgerError::Ballot(BallotError::TooManyChoices {
                count: application_ids.len(),
                max: MAX_CHOICES_PER_BALLOT,
            }));
        }
        let mut choices = Vec::with_capacity(application_ids.len());
        for application_id in application_ids {
            let application = self.application(application_id).await?;
            let round_of = application
                .round_id()
                .cloned()
                .ok_or_else(|| not_found("application", application_id))?;
            choices.push(BallotChoice {
                application_id: application_id.clone(),
                round_id: round_of,
                status: application.status(),
            });
        }
        let command = BallotCommand::Cast {
            round: RoundForBallot {
                round_id: round_id.clone(),
                decision_mode: terms.decision_mode,
                is_open: round.is_open(),
                voting_closed: round.is_voting_closed(),
                opens_on: terms.opens_on,
                closes_on: terms.closes_on,
            },
            choices,
            cast_on: request.today,
        };
        let committed = self
            .ballots
            .execute(hash.as_str(), command, &request.command)
            .await
            .map_err(|error| from_command(error, LedgerError::Ballot))?;
        Ok(Outcome {
            value: round_id.clone(),
            position: committed.position,
        })
    }

    /// Closes voting, tallies the ballots cast before that, and approves in vote order
    /// (see `RoundCommand::AllocateByVotes` for the order and the budget rule). The awards
    /// are made by the same follow-up as `approve_application`'s.
    pub async fn allocate_by_votes(
        &self,
        request: &Request,
        round_id: &RoundId,
    ) -> Result<Outcome<RoundId>, LedgerError> {
        // A retry of an allocation that completed reports the first outcome, even if the
        // round has moved on since (closed, say).
        if let Some(key) = &request.command.idempotency_key {
            if let Some(record) = self.database.find_key(key).await? {
                if record.request_hash != request.command.request_hash {
                    return Err(LedgerError::KeyReused(key.clone()));
                }
                return Ok(Outcome {
                    value: round_id.clone(),
                    position: record.last_position,
                });
            }
        }
        self.close_voting(request, round_id).await?;
        let (ballots_counted, votes) = tally(&self.database, round_id).await?;
        let candidates = self.vote_candidates(votes).await?;
        let command = RoundCommand::AllocateByVotes {
            candidates,
            ballots_counted,
            decided_on: request.today,
        };
        let committed = self
            .rounds
            .execute(round_id.as_str(), command, &request.command)
            .await
            .map_err(|error| from_command(error, LedgerError::Round))?;
        let position = self
            .complete_round_events(
                &request.command,
                round_id,
                &committed.events,
                committed.position,
            )
            .await?;
        Ok(Outcome {
            value: round_id.clone(),
            position,
        })
    }
    /// The first step of `allocate_by_votes`: voting closes (ballots are refused from
    /// here on), and every ballot cast before that becomes readable for the tally.
    async fn close_voting(&self, request: &Request, round_id: &RoundId) -> Result<(), LedgerError> {
        // Unkeyed and idempotent: a retry after a crash between the steps closes nothing
        // twice and goes on to the allocation.
        let closing = CommandContext::by(&request.command.actor);
        let closed = self
            .rounds
            .execute_existing(
                round_id.as_str(),
                RoundCommand::CloseVoting {
                    closed_on: request.today,
                },
                &closing,
                "round",
            )
            .await
            .map_err(|error| from_command(error, LedgerError::Round))?;
        let round = match closed.state {
            Some(round) => round,
            None => self.round(round_id).await?,
        };
        if round.are_votes_allocated() {
            return Err(LedgerError::Round(RoundError::AlreadyAllocated(
                round_id.clone(),
            )));
        }
        if !self
            .database
            .wait_until_readable(closed.position, TALLY_READABLE_WAIT)
            .await?
        {
            return Err(LedgerError::Concurrency(format!(
                "ballots cast in round {round_id} before voting closed are not all readable yet; retry"
            )));
        }
        Ok(())
    }

    /// Each voted-for application with its votes and where the log recorded its
    /// submission (the tie-break).
    async fn vote_candidates(
        &self,
        votes: BTreeMap<ApplicationId, u64>,
    ) -> Result<Vec<VoteCandidate>, LedgerError> {
        let mut candidates = Vec::with_capacity(votes.len());
        for (application_id, count) in votes {
            let application = self.application(&application_id).await?;
            let facts = application
                .facts()
                .ok_or_else(|| not_found("application", &application_id))?;
            let submitted_at = submission_place(&self.database, &application_id)
                .await?
                .ok_or_else(|| not_found("application", &application_id))?;
            candidates.push(VoteCandidate {
                application: facts,
                votes: count,
                submitted_at,
            });
        }
        Ok(candidates)
    }
}

/// Where the log recorded `application_id`'s submission (its `ApplicationSubmitted`
/// event), in the log's own order: what breaks ties between equal votes.
async fn submission_place(
    database: &Database,
    application_id: &ApplicationId,
) -> Result<Option<LogPlace>, StoreError> {
    let place: Option<(i64, i64, i64)> = match database {
        Database::Postgres(pool) => {
            sqlx::query_as(
                "SELECT log_epoch, txid::text::bigint, position FROM events
                  WHERE aggregate_type = 'Application' AND aggregate_id = $1
                    AND event_type = 'ApplicationSubmitted'",
            )
            .bind(application_id.as_str())
            .fetch_optional(pool)
            .await?
        }
        Database::Sqlite(pool) => {
            sqlx::query_as(
                "SELECT 0, txid, position FROM events
                  WHERE aggregate_type = 'Application' AND aggregate_id = $1
                    AND event_type = 'ApplicationSubmitted'",
            )
            .bind(application_id.as_str())
            .fetch_optional(pool)
            .await?
        }
    };
    Ok(place.map(|(epoch, txid, position)| LogPlace {
        epoch,
        txid,
        position,
    }))
}

/// Ballots cast in `round_id` and the votes of each application, from the log.
async fn tally(
    database: &Database,
    round_id: &RoundId,
) -> Result<(u64, BTreeMap<ApplicationId, u64>), StoreError> {
    let payloads: Vec<String> = match database {
        Database::Postgres(pool) => {
            sqlx::query_scalar(
                "SELECT payload::text FROM events
                  WHERE aggregate_type = 'Ballot' AND event_type = 'BallotCast'
                    AND payload->'BallotCast'->>'round_id' = $1",
            )
            .bind(round_id.as_str())
            .fetch_all(pool)
            .await?
        }
        Database::Sqlite(pool) => {
            sqlx::query_scalar(
                "SELECT payload FROM events
                  WHERE aggregate_type = 'Ballot' AND event_type = 'BallotCast'
                    AND json_extract(payload, '$.BallotCast.round_id') = $1",
            )
            .bind(round_id.as_str())
            .fetch_all(pool)
            .await?
        }
    };
    let mut ballots = 0u64;
    let mut votes = BTreeMap::new();
    for payload in payloads {
        let event: BallotEvent = serde_json::from_str(&payload)
            .map_err(|error| StoreError::Corrupt(format!("a BallotCast event: {error}")))?;
        if let BallotEvent::BallotCast {
            application_ids, ..
        } = event
        {
            ballots += 1;
            for application_id in application_ids {
                *votes.entry(application_id).or_insert(0) += 1;
            }
        }
    }
    Ok((ballots, votes))
}
