use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{RoundCommand, RoundError, RoundEvent, RoundTerms};
use crate::{Money, RoundId};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Round {}

impl Round {
    pub fn round_id(&self) -> Option<&RoundId> {
        todo!()
    }
    /// Opened at some point (it may since have closed).
    pub fn is_opened(&self) -> bool {
        todo!()
    }
    /// Opened and not closed.
    pub fn is_open(&self) -> bool {
        todo!()
    }
    pub fn terms(&self) -> Option<&RoundTerms> {
        todo!()
    }
    pub fn budget(&self) -> Money {
        todo!()
    }
    pub fn remaining(&self) -> Money {
        todo!()
    }
}

impl Aggregate for Round {
    const TYPE: &'static str = "Round";
    type Command = RoundCommand;
    type Event = RoundEvent;
    type Error = RoundError;
    type Services = ();

    async fn handle(
        &mut self,
        _command: RoundCommand,
        _services: &(),
        _sink: &EventSink<Self>,
    ) -> Result<(), RoundError> {
        todo!()
    }

    fn apply(&mut self, _event: RoundEvent) {
        todo!()
    }
}
