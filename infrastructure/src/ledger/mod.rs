//! The ledger's operations, one method per use case of API.md. Each runs its aggregate
//! command(s) through the event store; a step that spans aggregates writes its first half,
//! then completes the second half at once through the same follow-up code that the process
//! manager runs over the global log after a crash. Every follow-up is idempotent, so running
//! it twice (inline and from the log, or from two processes) changes nothing.

mod error;
mod follow_up;
mod import;
mod inputs;
mod priority;
mod voting;

use std::sync::Arc;

use domain::application::{
    Application, ApplicationCommand, ApplicationServices, RoundForSubmission, Score,
};
use domain::award::{Award, AwardCommand, AwardError, AwardStatus, BudgetLine, SpendLine};
use domain::ballot::Ballot;
use domain::fund::{Fund, FundCommand};
use domain::round::{DecisionMode, Round, RoundCommand, RoundTerms};
use domain::{ApplicationId, AwardId, Date, DrawdownId, FundId, GeoCode, Money, OrgId, RoundId};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

pub use error::{ErrorKind, LedgerError};
pub use follow_up::PROCESS_MANAGER_READER;
pub use import::{
    historic_award_id, ImportError, ImportSummary, IMPORT_ACTOR, IMPORT_BATCH_GRANTS,
};
pub use inputs::NewInput;
pub use priority::DeclarePriorityAreas;
pub use voting::IssuedBallotCodes;

use crate::database::{Database, StoreError, WriteHealth};
use crate::event_store::{AggregateStore, CommandContext};
use crate::geography::GeographyIndex;
use error::from_command;

/// A ledger operation's result: the id it created or acted on, and the global position of
/// the last event it wrote (for read-your-writes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<T> {
    pub value: T,
    pub position: i64,
}

/// The SHA-256 (hex) of `request` as canonical JSON: object members sorted by name (a
/// `serde_json::Value` map is ordered: the `preserve_order` feature is off), no spaces.
/// Two requests with the same meaning hash alike whatever their field order or `Debug`
/// text; the hash stays the same across compiler and library versions.
pub fn canonical_request_hash(request: &(impl serde::Serialize + std::fmt::Debug)) -> String {
    let canonical = serde_json::to_value(request)
        .map(|value| value.to_string())
        // Serializing the plain data types used as inputs cannot fail; if one ever did,
        // its `Debug` text still tells requests apart.
        .unwrap_or_else(|_| format!("{request:?}"));
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Who is asking and on what business date.
#[derive(Debug, Clone)]
pub struct Request {
    pub command: CommandContext,
    /// The business date: the date the ledger records for steps the caller gives no date
    /// for (decisions, approvals…) and the latest date a caller may give (`receivedOn`,
    /// `paidOn`, report periods). The API passes the UK calendar's today
    /// (`crate::business_today`); the demo passes its scenario's dates.
    pub today: Date,
}

impl Request {
    pub fn new(actor: &str, today: Date) -> Request {
        Request {
            command: CommandContext::by(actor),
            today,
        }
    }

    /// Adds the client's idempotency key and a digest of the request it belongs to: the
    /// SHA-256 of the request's canonical JSON ([`canonical_request_hash`]). The digest
    /// earlier versions recorded (of the request's `Debug` text) is kept alongside, so a
    /// retry of a command keyed before the upgrade is still recognised; only the new one
    /// is written.
    pub fn with_key(
        mut self,
        key: Option<String>,
        request: &(impl serde::Serialize + std::fmt::Debug),
    ) -> Request {
        let digest = canonical_request_hash(request);
        let legacy = hex::encode(Sha256::digest(format!("{request:?}").as_bytes()));
        self.command = self.command.with_key(key, digest);
        self.command.legacy_request_hash = Some(legacy);
        self
    }

    /// A new id for something this request creates. With an idempotency key the id is
    /// derived from it, so a retry names the same thing; otherwise it is random.
    pub(crate) fn new_id(&self, prefix: &str) -> String {
        let entropy = match &self.command.idempotency_key {
            Some(key) => hex::encode(Sha256::digest(format!("{prefix}:{key}").as_bytes())),
            None => uuid::Uuid::new_v4().simple().to_string(),
        };
        format!("{prefix}-{}", entropy[..16].to_uppercase())
    }
}

/// The input of `open_round`.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenRound {
    pub fund_id: FundId,
    pub name: String,
    pub budget: Money,
    pub opens_on: Date,
    pub closes_on: Date,
    pub eligible_areas: Vec<GeoCode>,
    pub themes: Vec<String>,
    pub decision_mode: DecisionMode,
    pub min_panel_scores: u32,
    /// When panel members see each other's scores (default: after their own).
    pub panel_sees_scores: domain::round::PanelSeesScores,
}

/// The input of `submit_application`.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitApplication {
    pub round_id: RoundId,
    pub applicant: OrgId,
    pub applicant_name: String,
    pub title: String,
    pub description: String,
    pub amount_requested: Money,
    pub neighbourhood: GeoCode,
    pub themes: Vec<String>,
}

/// The input of `set_outcome_proxy`: shares as plain decimals, checked by the fund.
#[derive(Debug, Clone, PartialEq)]
pub struct SetOutcomeProxy {
    pub fund_id: FundId,
    pub indicator: String,
    pub unit: String,
    pub value_per_unit: Money,
    pub deadweight: Decimal,
    pub attribution: Decimal,
    pub displacement: Decimal,
    pub drop_off: Decimal,
    pub duration_years: u32,
    /// The date this version is in force from; `None`: the day it is set.
    pub effective_from: Option<Date>,
}

pub struct Ledger {
    pub database: Database,
    pub geography: GeographyIndex,
    pub(crate) funds: AggregateStore<Fund>,
    pub(crate) rounds: AggregateStore<Round>,
    pub(crate) applications: AggregateStore<Application>,
    pub(crate) awards: AggregateStore<Award>,
    pub(crate) ballots: AggregateStore<Ballot>,
    /// Whether the store's last write was refused (a full disk), for readiness.
    pub write_health: WriteHealth,
}

impl Ledger {
    /// Builds the ledger over a migrated database, loading the reference geography.
    pub async fn open(database: Database) -> Result<Arc<Ledger>, StoreError> {
        let geography = GeographyIndex::load(&database).await?;
        let services = ApplicationServices {
            geography: Arc::new(geography.clone()),
        };
        let health = WriteHealth::default();
        Ok(Arc::new(Ledger {
            funds: AggregateStore::new(database.clone(), ()).with_write_health(health.clone()),
            rounds: AggregateStore::new(database.clone(), ()).with_write_health(health.clone()),
            applications: AggregateStore::new(database.clone(), services)
                .with_write_health(health.clone()),
            awards: AggregateStore::new(database.clone(), ()).with_write_health(health.clone()),
            ballots: AggregateStore::new(database.clone(), ()).with_write_health(health.clone()),
            database,
            geography,
            write_health: health,
        }))
    }

    /// Forgets every cached aggregate, so the next command loads from the store.
    pub async fn clear_caches(&self) {
        self.funds.clear_cache().await;
        self.rounds.clear_cache().await;
        self.applications.clear_cache().await;
        self.awards.clear_cache().await;
        self.ballots.clear_cache().await;
    }

    // ---- reads of aggregate state (for decisions and authorisation, not for queries) ----

    pub async fn fund(&self, fund_id: &FundId) -> Result<Fund, LedgerError> {
        let (fund, sequence) = self.funds.load(fund_id.as_str()).await?;
        if sequence == 0 {
            return Err(not_found("fund", fund_id));
        }
        Ok(fund)
    }

    pub async fn round(&self, round_id: &RoundId) -> Result<Round, LedgerError> {
        let (round, sequence) = self.rounds.load(round_id.as_str()).await?;
        if sequence == 0 {
            return Err(not_found("round", round_id));
        }
        Ok(round)
    }

    pub async fn application(
        &self,
        application_id: &ApplicationId,
    ) -> Result<Application, LedgerError> {
        let (application, sequence) = self.applications.load(application_id.as_str()).await?;
        if sequence == 0 {
            return Err(not_found("application", application_id));
        }
        Ok(application)
    }

    pub async fn award(&self, award_id: &AwardId) -> Result<Award, LedgerError> {
        let (award, sequence) = self.awards.load(award_id.as_str()).await?;
        if sequence == 0 || award.status() == AwardStatus::NotMade {
            return Err(not_found("award", award_id));
        }
        Ok(award)
    }

    // ---- funds ----

    pub async fn establish_fund(
        &self,
        request: &Request,
        name: &str,
        funder_org_id: &OrgId,
        funder_name: &str,
    ) -> Result<Outcome<FundId>, LedgerError> {
        self.establish_fund_on(request, name, funder_org_id, funder_name, request.today)
            .await
    }

    /// `establish_fund` with the day the fund began, for a fund that existed before it
    /// moved into the ledger (its earlier capital can then be recorded on its own dates).
    pub async fn establish_fund_on(
        &self,
        request: &Request,
        name: &str,
        funder_org_id: &OrgId,
        funder_name: &str,
        established_on: Date,
    ) -> Result<Outcome<FundId>, LedgerError> {
        let fund_id = FundId::new(request.new_id("FUND"));
        let command = FundCommand::Establish {
            fund_id: fund_id.clone(),
            name: name.trim().to_string(),
            funder_org_id: funder_org_id.clone(),
            funder_name: funder_name.trim().to_string(),
            established_on,
            today: request.today,
        };
        let committed = self
            .funds
            .execute(fund_id.as_str(), command, &request.command)
            .await
            .map_err(|error| from_command(error, LedgerError::Fund))?;
        Ok(Outcome {
            value: FundId::new(committed.aggregate_id),
            position: committed.position,
        })
    }

    pub async fn receive_capital(
        &self,
        request: &Request,
        fund_id: &FundId,
        amount: Money,
        source: &str,
        received_on: Date,
    ) -> Result<Outcome<FundId>, LedgerError> {
        let command = FundCommand::ReceiveCapital {
            tranche_id: request.new_id("CAP"),
            amount,
            source: source.trim().to_string(),
            received_on,
            today: request.today,
        };
        let committed = self
            .funds
            .execute_existing(fund_id.as_str(), command, &request.command, "fund")
            .await
            .map_err(|error| from_command(error, LedgerError::Fund))?;
        Ok(Outcome {
            value: fund_id.clone(),
            position: committed.position,
        })
    }

    /// Sets (or replaces) how the fund values one outcome indicator.
    pub async fn set_outcome_proxy(
        &self,
        request: &Request,
        input: SetOutcomeProxy,
    ) -> Result<Outcome<FundId>, LedgerError> {
        let command = FundCommand::SetOutcomeProxy {
            indicator: input.indicator,
            unit: input.unit,
            value_per_unit: input.value_per_unit,
            deadweight: input.deadweight,
            attribution: input.attribution,
            displacement: input.displacement,
            drop_off: input.drop_off,
            duration_years: input.duration_years,
            set_on: request.today,
            effective_from: input.effective_from,
        };
        let committed = self
            .funds
            .execute_existing(input.fund_id.as_str(), command, &request.command, "fund")
            .await
            .map_err(|error| from_command(error, LedgerError::Fund))?;
        Ok(Outcome {
            value: input.fund_id,
            position: committed.position,
        })
    }

    // ---- rounds ----

    /// Sets the budget aside in the fund, then opens the round from that allocation.
    pub async fn open_round(
        &self,
        request: &Request,
        input: OpenRound,
    ) -> Result<Outcome<RoundId>, LedgerError> {
        self.fund(&input.fund_id).await?;
        let round_id = RoundId::new(request.new_id("RND"));
        let terms = RoundTerms {
            fund_id: input.fund_id.clone(),
            name: input.name.trim().to_string(),
            opens_on: input.opens_on,
            closes_on: input.closes_on,
            eligible_areas: input.eligible_areas,
            themes: input
                .themes
                .iter()
                .map(|theme| theme.trim().to_string())
                .collect(),
            decision_mode: input.decision_mode,
            min_panel_scores: input.min_panel_scores,
            panel_sees_scores: input.panel_sees_scores,
        };
        // Refuse a round the round aggregate would refuse before any budget moves.
        if terms.name.is_empty() {
            return Err(LedgerError::Round(domain::round::RoundError::MissingName));
        }
        if terms.closes_on < terms.opens_on {
            return Err(LedgerError::Round(
                domain::round::RoundError::DatesOutOfOrder {
                    round: round_id,
                    opens_on: terms.opens_on.to_string(),
                    closes_on: terms.closes_on.to_string(),
                },
            ));
        }
        let command = FundCommand::AllocateToRound {
            round_id: round_id.clone(),
            budget: input.budget,
            terms,
            allocated_on: request.today,
        };
        let committed = self
            .funds
            .execute(input.fund_id.as_str(), command, &request.command)
            .await
            .map_err(|error| from_command(error, LedgerError::Fund))?;
        let position = self
            .complete_fund_events(&request.command, &committed.events, committed.position)
            .await?;
        Ok(Outcome {
            value: round_id,
            position,
        })
    }

    pub async fn close_round(
        &self,
        request: &Request,
        round_id: &RoundId,
    ) -> Result<Outcome<RoundId>, LedgerError> {
        let committed = self
            .rounds
            .execute_existing(
                round_id.as_str(),
                RoundCommand::Close {
                    closed_on: request.today,
                },
                &request.command,
                "round",
            )
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

    // ---- applications ----

    pub async fn submit_application(
        &self,
        request: &Request,
        input: SubmitApplication,
    ) -> Result<Outcome<ApplicationId>, LedgerError> {
        let round = self.round(&input.round_id).await?;
        let terms = round
            .terms()
            .cloned()
            .ok_or_else(|| not_found("round", &input.round_id))?;
        let application_id = ApplicationId::new(request.new_id("APP"));
        let command = ApplicationCommand::Submit {
            application_id: application_id.clone(),
            round: RoundForSubmission {
                round_id: input.round_id.clone(),
                is_open: round.is_open(),
                terms,
            },
            applicant: input.applicant,
            applicant_name: input.applicant_name.trim().to_string(),
            title: input.title.trim().to_string(),
            description: self.sealed(request, &input.description).await?,
            amount_requested: input.amount_requested,
            neighbourhood: input.neighbourhood,
            themes: input
                .themes
                .iter()
                .map(|theme| theme.trim().to_string())
                .collect(),
            submitted_on: request.today,
        };
        let committed = self
            .applications
            .execute(application_id.as_str(), command, &request.command)
            .await
            .map_err(|error| from_command(error, LedgerError::Application))?;
        Ok(Outcome {
            value: ApplicationId::new(committed.aggregate_id),
            position: committed.position,
        })
    }

    async fn on_application(
        &self,
        request: &Request,
        application_id: &ApplicationId,
        command: ApplicationCommand,
    ) -> Result<Outcome<ApplicationId>, LedgerError> {
        let committed = self
            .applications
            .execute_existing(
                application_id.as_str(),
                command,
                &request.command,
                "application",
            )
            .await
            .map_err(|error| from_command(error, LedgerError::Application))?;
        Ok(Outcome {
            value: application_id.clone(),
            position: committed.position,
        })
    }

    pub async fn withdraw_application(
        &self,
        request: &Request,
        application_id: &ApplicationId,
        by: &OrgId,
    ) -> Result<Outcome<ApplicationId>, LedgerError> {
        let command = ApplicationCommand::Withdraw {
            by: by.clone(),
            withdrawn_on: request.today,
        };
        self.on_application(request, application_id, command).await
    }

    pub async fn declare_conflict(
        &self,
        request: &Request,
        application_id: &ApplicationId,
        member: &str,
    ) -> Result<Outcome<ApplicationId>, LedgerError> {
        let command = ApplicationCommand::DeclareConflict {
            member: member.to_string(),
            declared_on: request.today,
        };
        self.on_application(request, application_id, command).await
    }

    pub async fn score_application(
        &self,
        request: &Request,
        application_id: &ApplicationId,
        member: &str,
        score: Score,
        comment: &str,
    ) -> Result<Outcome<ApplicationId>, LedgerError> {
        let command = ApplicationCommand::Score {
            member: member.to_string(),
            score,
            comment: self.sealed(request, comment).await?,
            scored_on: request.today,
        };
        self.on_application(request, application_id, command).await
    }

    pub async fn decline_application(
        &self,
        request: &Request,
        application_id: &ApplicationId,
        reason: &str,
    ) -> Result<Outcome<ApplicationId>, LedgerError> {
        let command = ApplicationCommand::Decline {
            reason: self.sealed(request, reason).await?,
            decided_on: request.today,
        };
        self.on_application(request, application_id, command).await
    }

    /// The round checks budget, request and quorum and records the approval; the award is
    /// made from that approval and the application marked approved.
    pub async fn approve_application(
        &self,
        request: &Request,
        application_id: &ApplicationId,
        amount: Money,
    ) -> Result<Outcome<AwardId>, LedgerError> {
        let application = self.application(application_id).await?;
        let facts = application
            .facts()
            .ok_or_else(|| not_found("application", application_id))?;
        let round_id = facts.round_id.clone();
        let command = RoundCommand::ApproveApplication {
            application: facts,
            amount,
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
                &round_id,
                &committed.events,
                committed.position,
            )
            .await?;
        Ok(Outcome {
            value: AwardId::for_application(application_id),
            position,
        })
    }

    // ---- awards ----

    async fn on_award(
        &self,
        request: &Request,
        award_id: &AwardId,
        command: AwardCommand,
    ) -> Result<Outcome<AwardId>, LedgerError> {
        let committed = self
            .awards
            .execute_existing(award_id.as_str(), command, &request.command, "award")
            .await
            .map_err(|error| from_command(error, LedgerError::Award))?;
        let award = match committed.state {
            Some(award) => award,
            None => self.award(award_id).await?,
        };
        let position = self
            .complete_award_events(
                &request.command,
                award_id,
                &award,
                &committed.events,
                committed.position,
            )
            .await?;
        Ok(Outcome {
            value: award_id.clone(),
            position,
        })
    }

    pub async fn accept_agreement(
        &self,
        request: &Request,
        award_id: &AwardId,
        by: &OrgId,
    ) -> Result<Outcome<AwardId>, LedgerError> {
        let command = AwardCommand::AcceptAgreement {
            by: by.clone(),
            accepted_on: request.today,
        };
        self.on_award(request, award_id, command).await
    }

    /// Officer: sets the award's budget lines while the agreement is not yet accepted.
    pub async fn set_budget_lines(
        &self,
        request: &Request,
        award_id: &AwardId,
        lines: Vec<BudgetLine>,
    ) -> Result<Outcome<AwardId>, LedgerError> {
        let command = AwardCommand::SetBudgetLines {
            lines,
            set_on: request.today,
        };
        self.on_award(request, award_id, command).await
    }

    pub async fn request_drawdown(
        &self,
        request: &Request,
        award_id: &AwardId,
        by: &OrgId,
        amount: Money,
        purpose: &str,
    ) -> Result<Outcome<DrawdownId>, LedgerError> {
        let drawdown_id = DrawdownId::new(request.new_id("DD"));
        let command = AwardCommand::RequestDrawdown {
            by: by.clone(),
            drawdown_id: drawdown_id.clone(),
            amount,
            purpose: self.sealed(request, purpose).await?,
            requested_on: request.today,
        };
        let outcome = self.on_award(request, award_id, command).await?;
        Ok(Outcome {
            value: drawdown_id,
            position: outcome.position,
        })
    }

    pub async fn approve_drawdown(
        &self,
        request: &Request,
        award_id: &AwardId,
        drawdown_id: &DrawdownId,
    ) -> Result<Outcome<AwardId>, LedgerError> {
        let command = AwardCommand::ApproveDrawdown {
            drawdown_id: drawdown_id.clone(),
            approved_on: request.today,
        };
        self.on_award(request, award_id, command).await
    }

    pub async fn reject_drawdown(
        &self,
        request: &Request,
        award_id: &AwardId,
        drawdown_id: &DrawdownId,
        reason: &str,
    ) -> Result<Outcome<AwardId>, LedgerError> {
        let command = AwardCommand::RejectDrawdown {
            drawdown_id: drawdown_id.clone(),
            reason: self.sealed(request, reason).await?,
            rejected_on: request.today,
        };
        self.on_award(request, award_id, command).await
    }

    pub async fn record_payment(
        &self,
        request: &Request,
        award_id: &AwardId,
        drawdown_id: &DrawdownId,
        payment_ref: &str,
        paid_on: Date,
    ) -> Result<Outcome<AwardId>, LedgerError> {
        let command = AwardCommand::RecordPayment {
            drawdown_id: drawdown_id.clone(),
            payment_ref: payment_ref.trim().to_string(),
            paid_on,
            today: request.today,
        };
        self.on_award(request, award_id, command).await
    }

    /// A cut is checked by the award (never below what is paid or committed) and then
    /// released to the round; an increase is taken from the round's budget first and then
    /// applied to the award. `budget_lines`: the award's new budget lines, summing to
    /// `new_amount` (required when the award has lines).
    pub async fn vary_award(
        &self,
        request: &Request,
        award_id: &AwardId,
        new_amount: Money,
        reason: &str,
        budget_lines: Option<Vec<BudgetLine>>,
    ) -> Result<Outcome<AwardId>, LedgerError> {
        let award = self.award(award_id).await?;
        let variation_id = request.new_id("VAR");
        let reason = self.sealed(request, reason).await?;
        if new_amount > award.amount() {
            // Checked here too: the round takes the increase before the award sees the
            // lines, and a variation of an award with lines must carry new ones.
            let budget_lines = check_variation_lines(&award, award_id, budget_lines, new_amount)?;
            if reason.is_empty() {
                return Err(LedgerError::Award(domain::award::AwardError::MissingField(
                    "reason",
                )));
            }
            if award.status() == AwardStatus::Closed {
                return Err(LedgerError::Award(domain::award::AwardError::Closed(
                    award_id.clone(),
                )));
            }
            let round_id = award
                .round_id()
                .cloned()
                .ok_or_else(|| not_found("award", award_id))?;
            let increase = new_amount
                .checked_sub(award.amount())
                .expect("new amount is above the current amount");
            let command = RoundCommand::ReserveVariation {
                variation_id,
                award_id: award_id.clone(),
                increase,
                reason,
                reserved_on: request.today,
                budget_lines,
            };
            let committed = self
                .rounds
                .execute(round_id.as_str(), command, &request.command)
                .await
                .map_err(|error| from_command(error, LedgerError::Round))?;
            let position = self
                .complete_round_events(
                    &request.command,
                    &round_id,
                    &committed.events,
                    committed.position,
                )
                .await?;
            return Ok(Outcome {
                value: award_id.clone(),
                position,
            });
        }
        let command = AwardCommand::Reduce {
            variation_id,
            new_amount,
            reason,
            varied_on: request.today,
            budget_lines,
        };
        self.on_award(request, award_id, command).await
    }

    pub async fn record_return(
        &self,
        request: &Request,
        award_id: &AwardId,
        amount: Money,
        reason: &str,
    ) -> Result<Outcome<AwardId>, LedgerError> {
        let command = AwardCommand::RecordReturn {
            return_id: request.new_id("RET"),
            amount,
            reason: self.sealed(request, reason).await?,
            returned_on: request.today,
        };
        self.on_award(request, award_id, command).await
    }

    pub async fn report_spend(
        &self,
        request: &Request,
        award_id: &AwardId,
        by: &OrgId,
        period_start: Date,
        period_end: Date,
        lines: Vec<SpendLine>,
    ) -> Result<Outcome<AwardId>, LedgerError> {
        let command = AwardCommand::ReportSpend {
            by: by.clone(),
            report_id: request.new_id("SPEND"),
            period_start,
            period_end,
            lines,
            today: request.today,
        };
        self.on_award(request, award_id, command).await
    }

    pub async fn report_outcome(
        &self,
        request: &Request,
        award_id: &AwardId,
        by: &OrgId,
        indicator: &str,
        quantity: Decimal,
        period_end: Date,
    ) -> Result<Outcome<AwardId>, LedgerError> {
        let fund_indicators = self.fund_indicators(award_id).await?;
        let command = AwardCommand::ReportOutcome {
            by: by.clone(),
            report_id: request.new_id("OUT"),
            indicator: indicator.trim().to_string(),
            quantity,
            period_end,
            today: request.today,
            fund_indicators,
        };
        self.on_award(request, award_id, command).await
    }

    /// The indicators the award's fund has an outcome proxy for. A proxy is replaced but
    /// never removed, so the list only grows: reading it before the award's own write
    /// cannot let an outcome through that the fund does not value.
    async fn fund_indicators(&self, award_id: &AwardId) -> Result<Vec<String>, LedgerError> {
        let award = self.award(award_id).await?;
        let Some(fund_id) = award.fund_id() else {
            return Ok(Vec::new());
        };
        let fund = self.fund(fund_id).await?;
        Ok(fund.outcome_indicators().map(str::to_string).collect())
    }

    pub async fn close_award(
        &self,
        request: &Request,
        award_id: &AwardId,
    ) -> Result<Outcome<AwardId>, LedgerError> {
        let command = AwardCommand::Close {
            closed_on: request.today,
        };
        self.on_award(request, award_id, command).await
    }
}

impl Ledger {
    /// Personal free text as the log records it: trimmed, then sealed under the writer's
    /// key (`crate::personal`). Sealed before the command is built, so the domain sees a
    /// string as before; empty text stays empty (and is refused as before). Idempotency
    /// keys hash the caller's input, not this, so a retry still matches.
    pub(crate) async fn sealed(
        &self,
        request: &Request,
        text: &str,
    ) -> Result<String, LedgerError> {
        let sealed = crate::personal::seal(&self.database, &request.command.actor, text.trim());
        Ok(sealed.await?)
    }
}

/// The lines an increase carries through the round, checked against the award first (the
/// award checks them again when the increase reaches it).
fn check_variation_lines(
    award: &Award,
    award_id: &AwardId,
    lines: Option<Vec<BudgetLine>>,
    new_amount: Money,
) -> Result<Option<Vec<BudgetLine>>, LedgerError> {
    match lines {
        Some(lines) => domain::award::check_budget_lines(lines, new_amount)
            .map(Some)
            .map_err(LedgerError::Award),
        None if award.budget().lines.is_empty() => Ok(None),
        None => Err(LedgerError::Award(AwardError::VariationNeedsBudgetLines {
            award: award_id.clone(),
            categories: award.budget().categories(),
        })),
    }
}

pub(crate) fn not_found(kind: &'static str, id: &impl std::fmt::Display) -> LedgerError {
    LedgerError::NotFound {
        kind,
        id: id.to_string(),
    }
}
