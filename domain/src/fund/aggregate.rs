use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{FundCommand, FundError, FundEvent};
use crate::Money;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fund {}

impl Fund {
    pub fn is_established(&self) -> bool {
        todo!()
    }
    pub fn available(&self) -> Money {
        todo!()
    }
}

impl Aggregate for Fund {
    const TYPE: &'static str = "Fund";
    type Command = FundCommand;
    type Event = FundEvent;
    type Error = FundError;
    type Services = ();

    async fn handle(
        &mut self,
        _command: FundCommand,
        _services: &(),
        _sink: &EventSink<Self>,
    ) -> Result<(), FundError> {
        todo!()
    }

    fn apply(&mut self, _event: FundEvent) {
        todo!()
    }
}
