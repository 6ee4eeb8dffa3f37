use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{
    ApplicationCommand, ApplicationError, ApplicationEvent, ApplicationStatus, RoundForSubmission,
    Score,
};
use crate::round::ApplicationFacts;
use crate::{
    ApplicationId, AwardId, Date, FundId, GeoCode, Geography, Money, NoGeography, OrgId, RoundId,
};

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

/// What was submitted; fixed from then on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    pub application_id: ApplicationId,
    pub round_id: RoundId,
    pub fund_id: FundId,
    pub applicant: OrgId,
    pub applicant_name: String,
    pub title: String,
    pub neighbourhood: GeoCode,
    pub themes: Vec<String>,
    pub amount_requested: Money,
    /// Required: a snapshot from before this field fails to load and is replayed instead.
    pub submitted_on: Date,
}

/// An application's state. The description is not kept: no rule reads it, and the event
/// log holds it for readers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Application {
    /// `None` while a draft.
    submission: Option<Submission>,
    status: ApplicationStatus,
    /// Each member's current score; a re-score replaces, a declared conflict removes.
    scores: BTreeMap<String, Score>,
    conflicts: BTreeSet<String>,
    award_id: Option<AwardId>,
    approved_amount: Option<Money>,
}

impl Application {
    pub fn status(&self) -> ApplicationStatus {
        self.status
    }
    pub fn round_id(&self) -> Option<&RoundId> {
        self.submission
            .as_ref()
            .map(|submission| &submission.round_id)
    }
    pub fn applicant(&self) -> Option<&OrgId> {
        self.submission
            .as_ref()
            .map(|submission| &submission.applicant)
    }
    pub fn submission(&self) -> Option<&Submission> {
        self.submission.as_ref()
    }
    /// Each member's current score (members with a declared conflict have none).
    pub fn panel_scores(&self) -> &BTreeMap<String, Score> {
        &self.scores
    }
    /// Members who declared a conflict of interest.
    pub fn conflicts(&self) -> &BTreeSet<String> {
        &self.conflicts
    }
    /// The award this application was approved as, once approved.
    pub fn award_id(&self) -> Option<&AwardId> {
        self.award_id.as_ref()
    }
    /// The amount approved, once approved.
    pub fn approved_amount(&self) -> Option<Money> {
        self.approved_amount
    }
    /// What the round needs to decide on this application; `None` before submission.
    pub fn facts(&self) -> Option<ApplicationFacts> {
        let submission = self.submission.as_ref()?;
        Some(ApplicationFacts {
            application_id: submission.application_id.clone(),
            round_id: submission.round_id.clone(),
            applicant: submission.applicant.clone(),
            applicant_name: submission.applicant_name.clone(),
            title: submission.title.clone(),
            neighbourhood: submission.neighbourhood.clone(),
            themes: submission.themes.clone(),
            amount_requested: submission.amount_requested,
            status: self.status,
            panel_score_count: u32::try_from(self.scores.len()).unwrap_or(u32::MAX),
            submitted_on: submission.submitted_on,
        })
    }

    /// The id for errors; empty for a draft (the caller knows the id it asked for).
    fn id(&self) -> ApplicationId {
        self.submission
            .as_ref()
            .map(|submission| submission.application_id.clone())
            .unwrap_or_else(|| ApplicationId::new(""))
    }

    fn require_submitted(&self) -> Result<&Submission, ApplicationError> {
        self.submission
            .as_ref()
            .ok_or_else(|| ApplicationError::NotFound(self.id()))
    }

    fn require_undecided(&self) -> Result<(), ApplicationError> {
        if self.status == ApplicationStatus::Submitted {
            Ok(())
        } else {
            Err(ApplicationError::AlreadyDecided {
                application: self.id(),
                status: self.status,
            })
        }
    }

    /// `command` is always a `Submit` (it has too many fields to pass one by one).
    async fn submit(
        &mut self,
        command: ApplicationCommand,
        services: &ApplicationServices,
        sink: &EventSink<Self>,
    ) -> Result<(), ApplicationError> {
        let ApplicationCommand::Submit {
            application_id,
            round,
            applicant,
            applicant_name,
            title,
            description,
            amount_requested,
            neighbourhood,
            themes,
            submitted_on,
        } = command
        else {
            unreachable!("handle passes only Submit to submit");
        };
        if self.status != ApplicationStatus::Draft {
            return Err(ApplicationError::AlreadySubmitted(self.id()));
        }
        check_round_accepts(&round, &neighbourhood, &themes, submitted_on, services)?;
        require_text(application_id.as_str(), "application_id")?;
        require_text(applicant.as_str(), "applicant")?;
        require_text(&title, "title")?;
        require_text(&applicant_name, "applicant_name")?;
        if amount_requested.is_zero() {
            return Err(ApplicationError::ZeroAmount);
        }
        let event = ApplicationEvent::ApplicationSubmitted {
            application_id,
            round_id: round.round_id,
            fund_id: round.terms.fund_id,
            applicant,
            applicant_name,
            title,
            description,
            amount_requested,
            neighbourhood,
            themes,
            submitted_on,
        };
        sink.write(event, self).await;
        Ok(())
    }

    async fn withdraw(
        &mut self,
        by: OrgId,
        withdrawn_on: Date,
        sink: &EventSink<Self>,
    ) -> Result<(), ApplicationError> {
        let submission = self.require_submitted()?;
        if by != submission.applicant {
            return Err(ApplicationError::NotApplicant {
                applicant: submission.applicant.clone(),
                caller: by,
            });
        }
        self.require_undecided()?;
        let event = ApplicationEvent::ApplicationWithdrawn { withdrawn_on };
        sink.write(event, self).await;
        Ok(())
    }

    async fn declare_conflict(
        &mut self,
        member: String,
        declared_on: Date,
        sink: &EventSink<Self>,
    ) -> Result<(), ApplicationError> {
        self.require_submitted()?;
        require_text(&member, "member")?;
        if self.conflicts.contains(&member) {
            return Err(ApplicationError::ConflictAlreadyDeclared {
                member,
                application: self.id(),
            });
        }
        let event = ApplicationEvent::ConflictDeclared {
            member,
            declared_on,
        };
        sink.write(event, self).await;
        Ok(())
    }

    async fn score(
        &mut self,
        member: String,
        score: Score,
        comment: String,
        scored_on: Date,
        sink: &EventSink<Self>,
    ) -> Result<(), ApplicationError> {
        self.require_submitted()?;
        self.require_undecided()?;
        require_text(&member, "member")?;
        if self.conflicts.contains(&member) {
            return Err(ApplicationError::ConflictOfInterest {
                member,
                application: self.id(),
            });
        }
        let event = ApplicationEvent::ApplicationScored {
            replaces: self.scores.get(&member).copied(),
            member,
            score,
            comment,
            scored_on,
        };
        sink.write(event, self).await;
        Ok(())
    }

    async fn decline(
        &mut self,
        reason: String,
        decided_on: Date,
        sink: &EventSink<Self>,
    ) -> Result<(), ApplicationError> {
        self.require_submitted()?;
        self.require_undecided()?;
        require_text(&reason, "reason")?;
        let event = ApplicationEvent::ApplicationDeclined { reason, decided_on };
        sink.write(event, self).await;
        Ok(())
    }

    async fn record_approval(
        &mut self,
        award_id: AwardId,
        amount: Money,
        decided_on: Date,
        sink: &EventSink<Self>,
    ) -> Result<(), ApplicationError> {
        self.require_submitted()?;
        match &self.award_id {
            // A retried second half of the round's approval.
            Some(existing) if *existing == award_id => return Ok(()),
            Some(existing) => {
                return Err(ApplicationError::ApprovedAsOtherAward {
                    application: self.id(),
                    existing: existing.to_string(),
                    requested: award_id.to_string(),
                })
            }
            // Whatever the status: the round decided within its budget, and its
            // decision is authoritative (a withdrawal may have crossed it).
            None => {}
        }
        let event = ApplicationEvent::ApprovalRecorded {
            award_id,
            amount,
            decided_on,
        };
        sink.write(event, self).await;
        Ok(())
    }
}

/// The round is open on `submitted_on` and its terms admit the neighbourhood and themes.
fn check_round_accepts(
    round: &RoundForSubmission,
    neighbourhood: &GeoCode,
    themes: &[String],
    submitted_on: Date,
    services: &ApplicationServices,
) -> Result<(), ApplicationError> {
    let terms = &round.terms;
    if !round.is_open {
        return Err(ApplicationError::RoundNotOpen(round.round_id.clone()));
    }
    if submitted_on < terms.opens_on || submitted_on > terms.closes_on {
        return Err(ApplicationError::OutsideWindow {
            round: round.round_id.clone(),
            opens_on: terms.opens_on.to_string(),
            closes_on: terms.closes_on.to_string(),
            submitted_on: submitted_on.to_string(),
        });
    }
    if !services
        .geography
        .is_within_any(neighbourhood, &terms.eligible_areas)
    {
        return Err(ApplicationError::IneligibleArea {
            area: neighbourhood.clone(),
            round: round.round_id.clone(),
        });
    }
    if !terms.themes.is_empty() {
        if let Some(theme) = themes.iter().find(|theme| !terms.themes.contains(theme)) {
            return Err(ApplicationError::IneligibleTheme {
                theme: theme.clone(),
                round: round.round_id.clone(),
            });
        }
    }
    Ok(())
}

fn require_text(value: &str, field: &'static str) -> Result<(), ApplicationError> {
    if value.trim().is_empty() {
        Err(ApplicationError::MissingField(field))
    } else {
        Ok(())
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
        command: ApplicationCommand,
        services: &ApplicationServices,
        sink: &EventSink<Self>,
    ) -> Result<(), ApplicationError> {
        match command {
            ApplicationCommand::Submit { .. } => self.submit(command, services, sink).await,
            ApplicationCommand::Withdraw { by, withdrawn_on } => {
                self.withdraw(by, withdrawn_on, sink).await
            }
            ApplicationCommand::DeclareConflict {
                member,
                declared_on,
            } => self.declare_conflict(member, declared_on, sink).await,
            ApplicationCommand::Score {
                member,
                score,
                comment,
                scored_on,
            } => self.score(member, score, comment, scored_on, sink).await,
            ApplicationCommand::Decline { reason, decided_on } => {
                self.decline(reason, decided_on, sink).await
            }
            ApplicationCommand::RecordApproval {
                award_id,
                amount,
                decided_on,
            } => {
                self.record_approval(award_id, amount, decided_on, sink)
                    .await
            }
        }
    }

    fn apply(&mut self, event: ApplicationEvent) {
        match event {
            ApplicationEvent::ApplicationSubmitted {
                application_id,
                round_id,
                fund_id,
                applicant,
                applicant_name,
                title,
                amount_requested,
                neighbourhood,
                themes,
                submitted_on,
                ..
            } => {
                self.submission = Some(Submission {
                    submitted_on,
                    application_id,
                    round_id,
                    fund_id,
                    applicant,
                    applicant_name,
                    title,
                    neighbourhood,
                    themes,
                    amount_requested,
                });
                self.status = ApplicationStatus::Submitted;
            }
            ApplicationEvent::ApplicationWithdrawn { .. } => {
                self.status = ApplicationStatus::Withdrawn;
            }
            ApplicationEvent::ConflictDeclared { member, .. } => {
                // A score given before the declaration no longer counts.
                self.scores.remove(&member);
                self.conflicts.insert(member);
            }
            ApplicationEvent::ApplicationScored { member, score, .. } => {
                debug_assert!(
                    !self.conflicts.contains(&member),
                    "conflicted member scored"
                );
                self.scores.insert(member, score);
            }
            ApplicationEvent::ApplicationDeclined { .. } => {
                self.status = ApplicationStatus::Declined;
            }
            ApplicationEvent::ApprovalRecorded {
                award_id, amount, ..
            } => {
                self.status = ApplicationStatus::Approved;
                self.award_id = Some(award_id);
                self.approved_amount = Some(amount);
            }
        }
        debug_assert!(
            self.scores
                .keys()
                .all(|member| !self.conflicts.contains(member)),
            "a conflicted member's score still counts"
        );
    }
}
