use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{AwardCommand, AwardError, AwardEvent};
use crate::{DrawdownId, FundId, Money, OrgId, RoundId};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AwardStatus {
    /// No award with this id has been made.
    #[default]
    NotMade,
    /// Made; the grantee has not accepted the agreement yet.
    Offered,
    /// Agreement accepted: drawdowns may be requested.
    Active,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DrawdownState {
    Requested,
    Approved,
    Rejected,
    Paid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drawdown {
    pub id: DrawdownId,
    pub amount: Money,
    pub state: DrawdownState,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Award {}

impl Award {
    pub fn status(&self) -> AwardStatus {
        todo!()
    }
    pub fn amount(&self) -> Money {
        todo!()
    }
    pub fn recipient(&self) -> Option<&OrgId> {
        todo!()
    }
    pub fn round_id(&self) -> Option<&RoundId> {
        todo!()
    }
    pub fn fund_id(&self) -> Option<&FundId> {
        todo!()
    }
    pub fn paid(&self) -> Money {
        todo!()
    }
    pub fn returned(&self) -> Money {
        todo!()
    }
    pub fn drawdown(&self, _id: &DrawdownId) -> Option<&Drawdown> {
        todo!()
    }
}

impl Aggregate for Award {
    const TYPE: &'static str = "Award";
    type Command = AwardCommand;
    type Event = AwardEvent;
    type Error = AwardError;
    type Services = ();

    async fn handle(
        &mut self,
        _command: AwardCommand,
        _services: &(),
        _sink: &EventSink<Self>,
    ) -> Result<(), AwardError> {
        todo!()
    }

    fn apply(&mut self, _event: AwardEvent) {
        todo!()
    }
}
