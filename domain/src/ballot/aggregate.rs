use std::collections::BTreeSet;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{
    BallotChoice, BallotCommand, BallotError, BallotEvent, RoundForBallot, MAX_CHOICES_PER_BALLOT,
};
use crate::application::ApplicationStatus;
use crate::round::DecisionMode;
use crate::{Date, RoundId};

/// A ballot's state: which round it belongs to and whether it was used. Never grows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ballot {
    /// `None` until issued.
    round_id: Option<RoundId>,
    batch_id: Option<String>,
    cast: bool,
}

impl Ballot {
    /// The round this ballot was issued for; `None` if it never was.
    pub fn round_id(&self) -> Option<&RoundId> {
        self.round_id.as_ref()
    }

    pub fn is_cast(&self) -> bool {
        self.cast
    }

    async fn issue(
        &mut self,
        round_id: RoundId,
        batch_id: String,
        issued_on: Date,
        sink: &EventSink<Self>,
    ) -> Result<(), BallotError> {
        if let (Some(issued), Some(batch)) = (&self.round_id, &self.batch_id) {
            // A retried second half of the round's issue.
            return if *issued == round_id && *batch == batch_id {
                Ok(())
            } else {
                Err(BallotError::IssuedElsewhere {
                    issued: issued.clone(),
                    batch: batch.clone(),
                    requested: round_id,
                })
            };
        }
        if batch_id.trim().is_empty() {
            return Err(BallotError::MissingField("batch_id"));
        }
        let event = BallotEvent::BallotIssued {
            round_id,
            batch_id,
            issued_on,
        };
        sink.write(event, self).await;
        Ok(())
    }

    async fn cast(
        &mut self,
        round: RoundForBallot,
        choices: Vec<BallotChoice>,
        cast_on: Date,
        sink: &EventSink<Self>,
    ) -> Result<(), BallotError> {
        self.check_round_takes_ballot(&round, cast_on)?;
        check_choices(&round, &choices)?;
        let event = BallotEvent::BallotCast {
            round_id: round.round_id,
            application_ids: choices
                .into_iter()
                .map(|choice| choice.application_id)
                .collect(),
            cast_on,
        };
        sink.write(event, self).await;
        Ok(())
    }

    /// This ballot is an unused code of `round`, and `round` is taking votes on `cast_on`.
    fn check_round_takes_ballot(
        &self,
        round: &RoundForBallot,
        cast_on: Date,
    ) -> Result<(), BallotError> {
        if self.round_id.as_ref() != Some(&round.round_id) {
            return Err(BallotError::InvalidCode(round.round_id.clone()));
        }
        if self.cast {
            return Err(BallotError::AlreadyCast);
        }
        if round.decision_mode != DecisionMode::Participatory {
            return Err(BallotError::NotParticipatory(round.round_id.clone()));
        }
        if !round.is_open {
            return Err(BallotError::RoundClosed(round.round_id.clone()));
        }
        if round.voting_closed {
            return Err(BallotError::VotingClosed(round.round_id.clone()));
        }
        if cast_on < round.opens_on || cast_on > round.closes_on {
            return Err(BallotError::OutsideWindow {
                round: round.round_id.clone(),
                opens_on: round.opens_on,
                closes_on: round.closes_on,
                cast_on,
            });
        }
        Ok(())
    }
}

/// Between one and `MAX_CHOICES_PER_BALLOT` distinct applications, each in contention in
/// `round`.
fn check_choices(round: &RoundForBallot, choices: &[BallotChoice]) -> Result<(), BallotError> {
    if choices.is_empty() {
        return Err(BallotError::NoChoices);
    }
    if choices.len() > MAX_CHOICES_PER_BALLOT {
        return Err(BallotError::TooManyChoices {
            count: choices.len(),
            max: MAX_CHOICES_PER_BALLOT,
        });
    }
    let mut seen = BTreeSet::new();
    for choice in choices {
        if !seen.insert(&choice.application_id) {
            return Err(BallotError::DuplicateChoice(choice.application_id.clone()));
        }
        if choice.round_id != round.round_id {
            return Err(BallotError::WrongRound {
                application: choice.application_id.clone(),
                round: round.round_id.clone(),
                actual: choice.round_id.clone(),
            });
        }
        if choice.status != ApplicationStatus::Submitted {
            return Err(BallotError::NotInContention {
                application: choice.application_id.clone(),
                status: choice.status,
            });
        }
    }
    Ok(())
}

impl Aggregate for Ballot {
    const TYPE: &'static str = "Ballot";
    type Command = BallotCommand;
    type Event = BallotEvent;
    type Error = BallotError;
    type Services = ();

    async fn handle(
        &mut self,
        command: BallotCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), BallotError> {
        match command {
            BallotCommand::Issue {
                round_id,
                batch_id,
                issued_on,
            } => self.issue(round_id, batch_id, issued_on, sink).await,
            BallotCommand::Cast {
                round,
                choices,
                cast_on,
            } => self.cast(round, choices, cast_on, sink).await,
        }
    }

    fn apply(&mut self, event: BallotEvent) {
        match event {
            BallotEvent::BallotIssued {
                round_id, batch_id, ..
            } => {
                self.round_id = Some(round_id);
                self.batch_id = Some(batch_id);
            }
            BallotEvent::BallotCast { round_id, .. } => {
                debug_assert_eq!(self.round_id.as_ref(), Some(&round_id));
                debug_assert!(!self.cast, "a ballot was cast twice");
                self.cast = true;
            }
        }
    }
}
