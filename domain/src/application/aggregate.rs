use std::sync::Arc;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{ApplicationCommand, ApplicationError, ApplicationEvent, ApplicationStatus};
use crate::round::ApplicationFacts;
use crate::{Geography, NoGeography, OrgId, RoundId};

/// What an application needs from outside: the reference geography, for eligibility.
#[derive(Clone)]
pub struct ApplicationServices {
    pub geography: Arc<dyn Geography>,
}

impl Default for ApplicationServices {
    fn default() -> Self {
        ApplicationServices {
            geography: Arc::new(NoGeography),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Application {}

impl Application {
    pub fn status(&self) -> ApplicationStatus {
        todo!()
    }
    pub fn round_id(&self) -> Option<&RoundId> {
        todo!()
    }
    pub fn applicant(&self) -> Option<&OrgId> {
        todo!()
    }
    /// What the round needs to decide on this application; `None` before submission.
    pub fn facts(&self) -> Option<ApplicationFacts> {
        todo!()
    }
}

impl Aggregate for Application {
    const TYPE: &'static str = "Application";
    type Command = ApplicationCommand;
    type Event = ApplicationEvent;
    type Error = ApplicationError;
    type Services = ApplicationServices;

    async fn handle(
        &mut self,
        _command: ApplicationCommand,
        _services: &ApplicationServices,
        _sink: &EventSink<Self>,
    ) -> Result<(), ApplicationError> {
        todo!()
    }

    fn apply(&mut self, _event: ApplicationEvent) {
        todo!()
    }
}
