use std::collections::BTreeSet;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{BallotCommand, BallotError, BallotEvent, MAX_CHOICES_PER_BALLOT};
use crate::application::ApplicationStatus;
use crate::round::DecisionMode;
use crate::RoundId;

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
            } => {
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
            }
            BallotCommand::Cast {
                round,
                choices,
                cast_on,
            } => {
                if self.round_id.as_ref() != Some(&round.round_id) {
                    return Err(BallotError::InvalidCode(round.round_id));
                }
                if self.cast {
                    return Err(BallotError::AlreadyCast);
                }
                if round.decision_mode != DecisionMode::Participatory {
                    return Err(BallotError::NotParticipatory(round.round_id));
                }
                if !round.is_open {
                    return Err(BallotError::RoundClosed(round.round_id));
                }
                if round.voting_closed {
                    return Err(BallotError::VotingClosed(round.round_id));
                }
                if cast_on < round.opens_on || cast_on > round.closes_on {
                    return Err(BallotError::OutsideWindow {
                        round: round.round_id,
                        opens_on: round.opens_on,
                        closes_on: round.closes_on,
                        cast_on,
                    });
                }
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
                for choice in &choices {
                    if !seen.insert(&choice.application_id) {
                        return Err(BallotError::DuplicateChoice(choice.application_id.clone()));
                    }
                    if choice.round_id != round.round_id {
                        return Err(BallotError::WrongRound {
                            application: choice.application_id.clone(),
                            round: round.round_id,
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
                let event = BallotEvent::BallotCast {
                    round_id: round.round_id,
                    application_ids: choices
                        .into_iter()
                        .map(|choice| choice.application_id)
                        .collect(),
                    cast_on,
                };
                sink.write(event, self).await;
            }
        }
        Ok(())
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
