//! Second halves of steps that span aggregates, and the process manager that finds any
//! left undone (a crash between the halves) by reading the global event log.
//!
//! | first half (event)                         | second half (command, idempotent by)          |
//! |--------------------------------------------|-----------------------------------------------|
//! | Fund `RoundBudgetAllocated`                | Round `Open` (same budget and terms)          |
//! | Round `ApplicationApproved`                | Award `Make` (award id) + Application `RecordApproval` |
//! | Round `RoundClosed`                        | Fund `ReleaseRoundBudget` (`close:{round}`)   |
//! | Round `VariationReleased` (round closed)   | Fund `ReleaseRoundBudget` (`variation:{id}`)  |
//! | Round `VariationReserved`                  | Award `ApplyIncrease` (variation id)          |
//! | Award `AwardVaried` (a cut)                | Round `ReleaseVariation` (variation id)       |
//! | Award `MoneyReturned`                      | Fund `CreditReturn` (return id)               |
//! | Award `AwardClosed`                        | Fund `ReleaseRoundBudget` (`award-close:{award}`) |
//! | Round `BallotCodesIssued`                  | Ballot `Issue` per code hash (round + batch)  |

use cqrs_es::Aggregate;
use domain::application::{Application, ApplicationCommand};
use domain::award::{Award, AwardCommand, AwardEvent};
use domain::ballot::{BallotCodeHash, BallotCommand, MAX_BALLOT_CODES_PER_REQUEST};
use domain::fund::{Fund, FundCommand, FundEvent};
use domain::round::{Round, RoundCommand, RoundEvent};
use domain::{ApplicationId, AwardId, FundId, RoundId};

use super::{from_command, Ledger, LedgerError};
use crate::event_log::LoggedEvent;
use crate::event_store::CommandContext;

/// The process manager's name in `log_checkpoints`.
/// How long `complete_pending_steps` waits for the log to become readable up to its head.
const PROCESS_MANAGER_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

pub const PROCESS_MANAGER_READER: &str = "process_manager";
/// Events the process manager reads per batch.
pub const PROCESS_MANAGER_BATCH_EVENTS: i64 = 500;

enum FollowUp {
    Fund(FundId, FundCommand),
    Round(RoundId, RoundCommand),
    Application(ApplicationId, ApplicationCommand),
    Award(AwardId, AwardCommand),
    Ballot(BallotCodeHash, BallotCommand),
}

/// Follow-ups one command may lead to: short chains (a cut → round release → fund
/// release) plus one per ballot code of an issue. Only guards against a bug looping.
const MAX_FOLLOW_UP_STEPS: usize = 64 + MAX_BALLOT_CODES_PER_REQUEST;

fn fund_follow_ups(event: &FundEvent) -> Vec<FollowUp> {
    match event {
        FundEvent::RoundBudgetAllocated {
            round_id,
            budget,
            terms,
            ..
        } => vec![FollowUp::Round(
            round_id.clone(),
            RoundCommand::Open {
                round_id: round_id.clone(),
                budget: *budget,
                terms: terms.clone(),
            },
        )],
        _ => Vec::new(),
    }
}

/// The award to make and the application to mark approved, for an approval; none for
/// any other event.
fn approval_follow_ups(event: &RoundEvent) -> Vec<FollowUp> {
    let RoundEvent::ApplicationApproved {
        application_id,
        award_id,
        fund_id,
        round_id,
        recipient_org_id,
        recipient_name,
        title,
        neighbourhood,
        themes,
        amount,
        decided_on,
        ..
    } = event
    else {
        return Vec::new();
    };
    vec![
        FollowUp::Award(
            award_id.clone(),
            AwardCommand::Make {
                award_id: award_id.clone(),
                application_id: application_id.clone(),
                fund_id: fund_id.clone(),
                round_id: round_id.clone(),
                recipient_org_id: recipient_org_id.clone(),
                recipient_name: recipient_name.clone(),
                title: title.clone(),
                neighbourhood: neighbourhood.clone(),
                themes: themes.clone(),
                amount: *amount,
                awarded_on: *decided_on,
            },
        ),
        FollowUp::Application(
            application_id.clone(),
            ApplicationCommand::RecordApproval {
                award_id: award_id.clone(),
                amount: *amount,
                decided_on: *decided_on,
            },
        ),
    ]
}

fn round_follow_ups(round_id: &RoundId, event: &RoundEvent) -> Vec<FollowUp> {
    match event {
        RoundEvent::ApplicationApproved { .. } => approval_follow_ups(event),
        RoundEvent::RoundClosed {
            closed_on,
            fund_id,
            unawarded,
        } => vec![FollowUp::Fund(
            fund_id.clone(),
            FundCommand::ReleaseRoundBudget {
                release_id: format!("close:{round_id}"),
                round_id: round_id.clone(),
                amount: *unawarded,
                released_on: *closed_on,
            },
        )],
        RoundEvent::VariationReleased {
            variation_id,
            fund_id,
            decrease,
            released_on,
            released_to_fund: true,
            ..
        } => vec![FollowUp::Fund(
            fund_id.clone(),
            FundCommand::ReleaseRoundBudget {
                release_id: format!("variation:{variation_id}"),
                round_id: round_id.clone(),
                amount: *decrease,
                released_on: *released_on,
            },
        )],
        RoundEvent::VariationReserved {
            variation_id,
            award_id,
            increase,
            reason,
            reserved_on,
            budget_lines,
            ..
        } => vec![FollowUp::Award(
            award_id.clone(),
            AwardCommand::ApplyIncrease {
                variation_id: variation_id.clone(),
                increase: *increase,
                reason: reason.clone(),
                varied_on: *reserved_on,
                budget_lines: budget_lines.clone(),
            },
        )],
        RoundEvent::BallotCodesIssued { .. } => ballot_follow_ups(round_id, event),
        _ => Vec::new(),
    }
}

/// `BallotCodesIssued` → one `Issue` per code hash, each on its own ballot aggregate.
fn ballot_follow_ups(round_id: &RoundId, event: &RoundEvent) -> Vec<FollowUp> {
    let RoundEvent::BallotCodesIssued {
        batch_id,
        code_hashes,
        issued_on,
        ..
    } = event
    else {
        return Vec::new();
    };
    code_hashes
        .iter()
        .map(|hash| {
            FollowUp::Ballot(
                hash.clone(),
                BallotCommand::Issue {
                    round_id: round_id.clone(),
                    batch_id: batch_id.clone(),
                    issued_on: *issued_on,
                },
            )
        })
        .collect()
}

fn award_follow_ups(award_id: &AwardId, award: &Award, event: &AwardEvent) -> Vec<FollowUp> {
    match event {
        AwardEvent::AwardVaried {
            variation_id,
            old_amount,
            new_amount,
            varied_on,
            ..
        } if new_amount < old_amount => match award.round_id() {
            Some(round_id) => vec![FollowUp::Round(
                round_id.clone(),
                RoundCommand::ReleaseVariation {
                    variation_id: variation_id.clone(),
                    award_id: award_id.clone(),
                    decrease: old_amount.saturating_sub(*new_amount),
                    released_on: *varied_on,
                },
            )],
            None => Vec::new(),
        },
        AwardEvent::MoneyReturned {
            return_id,
            amount,
            returned_on,
            ..
        } => match award.fund_id() {
            Some(fund_id) => vec![FollowUp::Fund(
                fund_id.clone(),
                FundCommand::CreditReturn {
                    return_id: return_id.clone(),
                    award_id: award_id.clone(),
                    amount: *amount,
                    credited_on: *returned_on,
                },
            )],
            None => Vec::new(),
        },
        // The undrawn part goes straight back to the fund, whether or not the round is
        // still open: the round's remaining budget is unchanged (see GLOSSARY.md).
        AwardEvent::AwardClosed {
            closed_on,
            released,
            ..
        } => match (award.fund_id(), award.round_id()) {
            (Some(fund_id), Some(round_id)) => vec![FollowUp::Fund(
                fund_id.clone(),
                FundCommand::ReleaseRoundBudget {
                    release_id: format!("award-close:{award_id}"),
                    round_id: round_id.clone(),
                    // A close stored before it recorded the figure: the award computed it.
                    amount: released.unwrap_or_else(|| award.released()),
                    released_on: *closed_on,
                },
            )],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

impl Ledger {
    /// Runs follow-ups (and theirs, transitively) and returns the highest position written.
    async fn run_follow_ups(
        &self,
        mut pending: Vec<FollowUp>,
        mut position: i64,
    ) -> Result<i64, LedgerError> {
        let system = CommandContext::system();
        let mut steps = 0;
        while let Some(follow_up) = pending.pop() {
            steps += 1;
            if steps > MAX_FOLLOW_UP_STEPS {
                break;
            }
            let (written, next) = self.run_follow_up(follow_up, &system).await?;
            position = position.max(written);
            pending.extend(next);
        }
        Ok(position)
    }

    /// Runs one follow-up: the position it wrote up to, and the follow-ups its events
    /// lead to.
    async fn run_follow_up(
        &self,
        follow_up: FollowUp,
        system: &CommandContext,
    ) -> Result<(i64, Vec<FollowUp>), LedgerError> {
        match follow_up {
            FollowUp::Fund(fund_id, command) => {
                let committed = self
                    .funds
                    .execute(fund_id.as_str(), command, system)
                    .await
                    .map_err(|error| from_command(error, LedgerError::Fund))?;
                let next = committed.events.iter().flat_map(fund_follow_ups).collect();
                Ok((committed.position, next))
            }
            FollowUp::Round(round_id, command) => {
                let committed = self
                    .rounds
                    .execute(round_id.as_str(), command, system)
                    .await
                    .map_err(|error| from_command(error, LedgerError::Round))?;
                let next = committed
                    .events
                    .iter()
                    .flat_map(|event| round_follow_ups(&round_id, event))
                    .collect();
                Ok((committed.position, next))
            }
            FollowUp::Application(application_id, command) => {
                let committed = self
                    .applications
                    .execute(application_id.as_str(), command, system)
                    .await
                    .map_err(|error| from_command(error, LedgerError::Application))?;
                Ok((committed.position, Vec::new()))
            }
            FollowUp::Ballot(hash, command) => {
                let committed = self
                    .ballots
                    .execute(hash.as_str(), command, system)
                    .await
                    .map_err(|error| from_command(error, LedgerError::Ballot))?;
                Ok((committed.position, Vec::new()))
            }
            FollowUp::Award(award_id, command) => {
                let committed = self
                    .awards
                    .execute(award_id.as_str(), command, system)
                    .await
                    .map_err(|error| from_command(error, LedgerError::Award))?;
                if committed.events.is_empty() {
                    return Ok((committed.position, Vec::new()));
                }
                let (award, _) = self.awards.load(award_id.as_str()).await?;
                let next = committed
                    .events
                    .iter()
                    .flat_map(|event| award_follow_ups(&award_id, &award, event))
                    .collect();
                Ok((committed.position, next))
            }
        }
    }

    pub(super) async fn complete_fund_events(
        &self,
        context: &CommandContext,
        events: &[FundEvent],
        position: i64,
    ) -> Result<i64, LedgerError> {
        let follow_ups = events.iter().flat_map(fund_follow_ups).collect();
        self.complete_command(context, follow_ups, position).await
    }

    pub(super) async fn complete_round_events(
        &self,
        context: &CommandContext,
        round_id: &RoundId,
        events: &[RoundEvent],
        position: i64,
    ) -> Result<i64, LedgerError> {
        let follow_ups = events
            .iter()
            .flat_map(|event| round_follow_ups(round_id, event))
            .collect();
        self.complete_command(context, follow_ups, position).await
    }

    pub(super) async fn complete_award_events(
        &self,
        context: &CommandContext,
        award_id: &AwardId,
        award: &Award,
        events: &[AwardEvent],
        position: i64,
    ) -> Result<i64, LedgerError> {
        let follow_ups = events
            .iter()
            .flat_map(|event| award_follow_ups(award_id, award, event))
            .collect();
        self.complete_command(context, follow_ups, position).await
    }

    /// Runs a command's second halves and returns the position of the last event they
    /// wrote: the command's answer. A keyed command's key then holds that answer, so a
    /// retry with the key answers the same position rather than its first half's (whose
    /// read-your-writes would not yet show, say, the round it opened).
    async fn complete_command(
        &self,
        context: &CommandContext,
        follow_ups: Vec<FollowUp>,
        position: i64,
    ) -> Result<i64, LedgerError> {
        let answer = self.run_follow_ups(follow_ups, position).await?;
        if let Some(key) = context
            .idempotency_key
            .as_deref()
            .filter(|_| answer > position)
        {
            self.database.record_answer_position(key, answer).await?;
        }
        Ok(answer)
    }

    /// The process manager: reads the log from its checkpoint and completes the second
    /// half of every step it finds. Safe to run at any time, in any number of processes:
    /// every second half is idempotent. Returns the number of events read.
    ///
    /// A second half that its aggregate refuses (which means a bug, since each first half
    /// checked the rule) is logged and passed over, so one bad event can't stall the log;
    /// a store error stops the run without moving the checkpoint, to be retried.
    pub async fn complete_pending_steps(&self) -> Result<usize, LedgerError> {
        // A restored log not yet repaired refuses writes, and its events stay unreadable
        // to this reader: nothing can be completed until the repair (`restored_log`).
        if self.database.log_order().await? != crate::LogOrder::Safe {
            return Ok(0);
        }
        // Everything committed before this call should be seen by it; a long transaction
        // elsewhere in the cluster can delay that, and then the rest waits for the next run.
        let head = self.database.head_position().await?;
        if !self
            .database
            .wait_until_readable(head, PROCESS_MANAGER_WAIT)
            .await?
        {
            tracing::warn!(
                head,
                "the log is held back by a long transaction; completing what is readable"
            );
        }
        let mut cursor = self
            .database
            .load_checkpoint(PROCESS_MANAGER_READER)
            .await?;
        let mut read = 0;
        loop {
            let batch = self
                .database
                .read_log(cursor, PROCESS_MANAGER_BATCH_EVENTS)
                .await?;
            if batch.is_empty() {
                return Ok(read);
            }
            for logged in &batch {
                match self.follow_ups_of_logged(logged).await {
                    Ok(follow_ups) => match self.run_follow_ups(follow_ups, 0).await {
                        Ok(_) => {}
                        Err(LedgerError::Store(error)) => return Err(LedgerError::Store(error)),
                        Err(LedgerError::Concurrency(message)) => {
                            return Err(LedgerError::Concurrency(message))
                        }
                        Err(refused) => tracing::error!(
                            position = logged.position,
                            event = %logged.event_type,
                            error = %refused,
                            "a second half was refused; passing over it"
                        ),
                    },
                    Err(error) => return Err(error),
                }
                cursor = logged.cursor();
            }
            read += batch.len();
            self.database
                .save_checkpoint(PROCESS_MANAGER_READER, cursor)
                .await?;
        }
    }

    async fn follow_ups_of_logged(
        &self,
        logged: &LoggedEvent,
    ) -> Result<Vec<FollowUp>, LedgerError> {
        let corrupt = |error: String| {
            LedgerError::Store(crate::database::StoreError::Corrupt(format!(
                "event at position {}: {error}",
                logged.position
            )))
        };
        Ok(match logged.aggregate_type.as_str() {
            Fund::TYPE => {
                let event: FundEvent = decode_logged(logged).map_err(corrupt)?;
                fund_follow_ups(&event)
            }
            Round::TYPE => {
                let event: RoundEvent = decode_logged(logged).map_err(corrupt)?;
                round_follow_ups(&RoundId::new(logged.aggregate_id.clone()), &event)
            }
            Award::TYPE => {
                let event: AwardEvent = decode_logged(logged).map_err(corrupt)?;
                let award_id = AwardId::new(logged.aggregate_id.clone());
                if matches!(
                    event,
                    AwardEvent::AwardVaried { .. }
                        | AwardEvent::MoneyReturned { .. }
                        | AwardEvent::AwardClosed { .. }
                ) {
                    let (award, _) = self.awards.load(award_id.as_str()).await?;
                    award_follow_ups(&award_id, &award, &event)
                } else {
                    Vec::new()
                }
            }
            Application::TYPE => Vec::new(),
            _ => Vec::new(),
        })
    }
}

/// A logged event decoded as `E`, upcast first if it is of an older version.
fn decode_logged<E: serde::de::DeserializeOwned>(logged: &LoggedEvent) -> Result<E, String> {
    crate::upcast::decode_stored(
        &logged.aggregate_type,
        &logged.event_type,
        &logged.event_version,
        logged.payload.clone(),
    )
}
