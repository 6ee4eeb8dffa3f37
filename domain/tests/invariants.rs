//! Property tests: random command sequences, run through `handle` and `apply` the way the
//! stores run them (second halves of cross-aggregate steps included, as the process
//! manager issues them), never break the ledger's invariants.
//!
//! The invariants are recomputed from the event logs with signed arithmetic rather than
//! read from the aggregates' own counters, which saturate at zero and would hide an
//! overspend. Amounts are often drawn right at the limit a rule enforces (one penny
//! under, at, one penny over), where an off-by-one in a check would show.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::rc::Rc;

use chrono::NaiveDate;
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use domain::application::{
    Application, ApplicationCommand, ApplicationEvent, ApplicationServices, RoundForSubmission,
    Score,
};
use domain::award::{Award, AwardCommand, AwardEvent, AwardStatus, DrawdownState};
use domain::fund::{Fund, FundCommand, FundEvent};
use domain::round::{DecisionMode, Round, RoundCommand, RoundEvent, RoundTerms};
use domain::{ApplicationId, AwardId, Date, DrawdownId, FundId, Money, OrgId, RoundId};

/// Rounds, applications and panel members a sequence chooses from: few enough that
/// commands often land on the same aggregate.
const ROUNDS: usize = 3;
const APPLICATIONS: usize = 6;
const MEMBERS: usize = 3;
/// Commands per generated sequence, after the fixed opening.
const MAX_COMMANDS: usize = 100;

fn day() -> Date {
    NaiveDate::from_ymd_opt(2025, 4, 1).expect("a valid date")
}

fn fund_id() -> FundId {
    FundId::new("FUND-1")
}

fn round_id(index: usize) -> RoundId {
    RoundId::new(format!("RND-{index}"))
}

fn application_id(index: usize) -> ApplicationId {
    ApplicationId::new(format!("APP-{index}"))
}

fn award_id(index: usize) -> AwardId {
    AwardId::for_application(&application_id(index))
}

fn applicant(index: usize) -> OrgId {
    OrgId::new(format!("GB-CHC-{index:07}"))
}

/// Round 0 needs two panel scores, round 1 one, round 2 decides by residents' vote.
fn terms(round: usize) -> RoundTerms {
    RoundTerms {
        fund_id: fund_id(),
        name: format!("Round {round}"),
        opens_on: NaiveDate::from_ymd_opt(2025, 1, 1).expect("a valid date"),
        closes_on: NaiveDate::from_ymd_opt(2025, 12, 31).expect("a valid date"),
        eligible_areas: Vec::new(),
        themes: Vec::new(),
        decision_mode: if round == 2 {
            DecisionMode::Participatory
        } else {
            DecisionMode::Panel
        },
        min_panel_scores: if round == 0 { 2 } else { 1 },
        panel_sees_scores: domain::round::PanelSeesScores::default(),
    }
}

/// An amount picked freely, as a share of the limit the rule under test enforces, or
/// within a couple of pence of that limit.
#[derive(Debug, Clone, Copy)]
enum Amount {
    Pence(u64),
    Percent(u32),
    NearLimit(i64),
}

impl Amount {
    fn resolve(self, limit: Money) -> Money {
        match self {
            Amount::Pence(pence) => Money::from_pence(pence),
            Amount::Percent(percent) => {
                let share = (limit.amount() * Decimal::from(percent) / Decimal::from(100)).floor();
                Money::new(share).expect("a share of a valid amount is valid")
            }
            Amount::NearLimit(offset) => {
                let limit_pence = (limit.amount() * Decimal::from(100))
                    .try_into()
                    .unwrap_or(i64::MAX);
                Money::from_pence(limit_pence.saturating_add(offset).max(0) as u64)
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    ReceiveCapital(Amount),
    Allocate {
        round: usize,
        budget: Amount,
    },
    Submit {
        application: usize,
        round: usize,
        requested: Amount,
    },
    Score {
        application: usize,
        member: usize,
        score: u8,
    },
    DeclareConflict {
        application: usize,
        member: usize,
    },
    Withdraw {
        application: usize,
    },
    Decline {
        application: usize,
    },
    Approve {
        application: usize,
        amount: Amount,
    },
    Accept {
        award: usize,
    },
    RequestDrawdown {
        award: usize,
        amount: Amount,
    },
    ApproveDrawdown {
        award: usize,
        drawdown: usize,
    },
    RejectDrawdown {
        award: usize,
        drawdown: usize,
    },
    Pay {
        award: usize,
        drawdown: usize,
    },
    Increase {
        award: usize,
        by: Amount,
    },
    Cut {
        award: usize,
        to: Amount,
    },
    Return {
        award: usize,
        amount: Amount,
    },
    CloseRound {
        round: usize,
    },
    CloseAward {
        award: usize,
    },
}

fn amount() -> impl Strategy<Value = Amount> {
    prop_oneof![
        2 => (0u64..=1_500_000).prop_map(Amount::Pence),
        3 => (1u32..=100).prop_map(Amount::Percent),
        2 => (-2i64..=2).prop_map(Amount::NearLimit),
    ]
}

/// Weighted towards the commands that move money; the ones that end an aggregate's life
/// (withdraw, decline, close) are rare so that sequences reach drawdowns and returns.
fn op() -> impl Strategy<Value = Op> {
    let round = 0..ROUNDS;
    // Resolved against what exists when the command runs (see `Ledger::pick_application`).
    let application = 0..64usize;
    let member = 0..MEMBERS;
    prop_oneof![
        4 => amount().prop_map(Op::ReceiveCapital),
        4 => (round.clone(), amount()).prop_map(|(round, budget)| Op::Allocate { round, budget }),
        8 => (0..APPLICATIONS, round.clone(), amount()).prop_map(
            |(application, round, requested)| Op::Submit { application, round, requested }
        ),
        16 => (application.clone(), member.clone(), 1u8..=5).prop_map(
            |(application, member, score)| Op::Score { application, member, score }
        ),
        2 => (application.clone(), member).prop_map(
            |(application, member)| Op::DeclareConflict { application, member }
        ),
        1 => application.clone().prop_map(|application| Op::Withdraw { application }),
        1 => application.clone().prop_map(|application| Op::Decline { application }),
        16 => (application.clone(), amount()).prop_map(
            |(application, amount)| Op::Approve { application, amount }
        ),
        12 => application.clone().prop_map(|award| Op::Accept { award }),
        20 => (application.clone(), amount()).prop_map(
            |(award, amount)| Op::RequestDrawdown { award, amount }
        ),
        16 => (application.clone(), 0..16usize).prop_map(
            |(award, drawdown)| Op::ApproveDrawdown { award, drawdown }
        ),
        3 => (application.clone(), 0..16usize).prop_map(
            |(award, drawdown)| Op::RejectDrawdown { award, drawdown }
        ),
        16 => (application.clone(), 0..16usize).prop_map(
            |(award, drawdown)| Op::Pay { award, drawdown }
        ),
        6 => (application.clone(), amount()).prop_map(|(award, by)| Op::Increase { award, by }),
        6 => (application.clone(), amount()).prop_map(|(award, to)| Op::Cut { award, to }),
        8 => (application.clone(), amount()).prop_map(
            |(award, amount)| Op::Return { award, amount }
        ),
        1 => round.prop_map(|round| Op::CloseRound { round }),
        2 => application.prop_map(|award| Op::CloseAward { award }),
    ]
}

/// One aggregate instance with the events it has committed.
struct Stream<A: Aggregate> {
    state: A,
    log: Vec<A::Event>,
}

impl<A: Aggregate> Default for Stream<A> {
    fn default() -> Self {
        Stream {
            state: A::default(),
            log: Vec::new(),
        }
    }
}

impl<A> Stream<A>
where
    A: Aggregate + Clone + PartialEq + Debug,
    A::Event: Clone + Debug,
    A::Error: Debug,
{
    /// Runs a command as the stores do: `handle` applies through the sink, and what it
    /// collected is what gets committed. A refused command must leave no trace.
    fn execute(
        &mut self,
        runtime: &tokio::runtime::Runtime,
        command: A::Command,
        services: &A::Services,
    ) -> Result<Vec<A::Event>, A::Error> {
        let before = self.state.clone();
        let sink = EventSink::default();
        let outcome = runtime.block_on(self.state.handle(command, services, &sink));
        let events = runtime.block_on(sink.collect());
        match outcome {
            Ok(()) => {
                self.log.extend(events.iter().cloned());
                Ok(events)
            }
            Err(error) => {
                assert!(
                    events.is_empty(),
                    "{error:?} was refused yet wrote {events:?}"
                );
                assert_eq!(
                    self.state, before,
                    "{error:?} was refused yet changed state"
                );
                Err(error)
            }
        }
    }

    /// A second half retried after it already succeeded must change nothing.
    fn retry(
        &mut self,
        runtime: &tokio::runtime::Runtime,
        command: A::Command,
        services: &A::Services,
    ) {
        let events = self
            .execute(runtime, command, services)
            .expect("a retried second half succeeds");
        assert!(events.is_empty(), "a retried second half wrote {events:?}");
    }

    /// What a store would load: the fold of the committed events.
    fn assert_rebuilds(&self) {
        let mut rebuilt = A::default();
        for event in self.log.iter().cloned() {
            rebuilt.apply(event);
        }
        assert_eq!(
            rebuilt, self.state,
            "the fold of the log differs from live state"
        );
    }
}

/// Every aggregate of one fund, wired together as the ledger and its process manager wire
/// them.
struct Ledger {
    // Shared so a command can run while the ledger's aggregates are borrowed mutably.
    runtime: Rc<tokio::runtime::Runtime>,
    services: ApplicationServices,
    fund: Stream<Fund>,
    rounds: BTreeMap<usize, Stream<Round>>,
    applications: BTreeMap<usize, Stream<Application>>,
    awards: BTreeMap<usize, Stream<Award>>,
    next_id: usize,
}

impl Ledger {
    fn new() -> Ledger {
        let mut ledger = Ledger {
            runtime: Rc::new(
                tokio::runtime::Builder::new_current_thread()
                    .build()
                    .expect("a runtime"),
            ),
            services: ApplicationServices::default(),
            fund: Stream::default(),
            rounds: BTreeMap::new(),
            applications: BTreeMap::new(),
            awards: BTreeMap::new(),
            next_id: 0,
        };
        ledger
            .fund
            .execute(
                &ledger.runtime,
                FundCommand::Establish {
                    fund_id: fund_id(),
                    name: "Hillside Community Fund".to_string(),
                    funder_org_id: OrgId::new("GB-CHC-7654321"),
                    funder_name: "Hillside Trust".to_string(),
                    established_on: day(),
                    today: day(),
                },
                &(),
            )
            .expect("a new fund is established");
        ledger
    }

    fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{}", self.next_id)
    }

    fn round(&mut self, index: usize) -> &mut Stream<Round> {
        self.rounds.entry(index).or_default()
    }

    fn application(&mut self, index: usize) -> &mut Stream<Application> {
        self.applications.entry(index).or_default()
    }

    fn award(&mut self, index: usize) -> &mut Stream<Award> {
        self.awards.entry(index).or_default()
    }

    /// The drawdown a command names: one the award has, or one it never had.
    fn drawdown_id(&mut self, award: usize, pick: usize) -> DrawdownId {
        let ids: Vec<DrawdownId> = self
            .award(award)
            .state
            .drawdowns()
            .map(|drawdown| drawdown.id.clone())
            .collect();
        if ids.is_empty() {
            DrawdownId::new("DD-unknown")
        } else {
            ids[pick % ids.len()].clone()
        }
    }

    /// Commands name one of the applications submitted so far when there are any, so that
    /// sequences spend their length on live aggregates rather than on refusals.
    fn pick_application(&self, pick: usize) -> usize {
        let submitted: Vec<usize> = self
            .applications
            .iter()
            .filter(|(_, stream)| stream.state.submission().is_some())
            .map(|(index, _)| *index)
            .collect();
        if submitted.is_empty() {
            pick % APPLICATIONS
        } else {
            submitted[pick % submitted.len()]
        }
    }

    /// As `pick_application`, among the awards made so far.
    fn pick_award(&self, pick: usize) -> usize {
        let made: Vec<usize> = self
            .awards
            .iter()
            .filter(|(_, stream)| stream.state.details().is_some())
            .map(|(index, _)| *index)
            .collect();
        if made.is_empty() {
            pick % APPLICATIONS
        } else {
            made[pick % made.len()]
        }
    }

    fn run(&mut self, op: Op, retry: bool) {
        let runtime = Rc::clone(&self.runtime);
        let runtime = &*runtime;
        match op {
            Op::ReceiveCapital(amount) => {
                let tranche_id = self.new_id("T");
                let _ = self.fund.execute(
                    runtime,
                    FundCommand::ReceiveCapital {
                        tranche_id,
                        amount: amount.resolve(Money::pounds(10_000)),
                        source: "Endowment".to_string(),
                        received_on: day(),
                        today: day(),
                    },
                    &(),
                );
            }
            Op::Allocate { round, budget } => {
                let budget = budget.resolve(self.fund.state.available());
                let allocated = self.fund.execute(
                    runtime,
                    FundCommand::AllocateToRound {
                        round_id: round_id(round),
                        budget,
                        terms: terms(round),
                        allocated_on: day(),
                    },
                    &(),
                );
                for event in allocated.unwrap_or_default() {
                    if let FundEvent::RoundBudgetAllocated {
                        round_id,
                        budget,
                        terms,
                        ..
                    } = event
                    {
                        let open = RoundCommand::Open {
                            round_id,
                            budget,
                            terms,
                        };
                        let stream = self.rounds.entry(round).or_default();
                        stream
                            .execute(runtime, open.clone(), &())
                            .expect("a round opens from its allocation");
                        if retry {
                            stream.retry(runtime, open, &());
                        }
                    }
                }
            }
            Op::Submit {
                application,
                round,
                requested,
            } => {
                let state = &self.rounds.entry(round).or_default().state;
                let for_submission = RoundForSubmission {
                    round_id: round_id(round),
                    is_open: state.is_open(),
                    terms: state.terms().cloned().unwrap_or_else(|| terms(round)),
                };
                let services = self.services.clone();
                let _ = self.application(application).execute(
                    runtime,
                    ApplicationCommand::Submit {
                        application_id: application_id(application),
                        round: for_submission,
                        applicant: applicant(application),
                        applicant_name: format!("Group {application}"),
                        title: "Community project".to_string(),
                        description: String::new(),
                        amount_requested: requested.resolve(Money::pounds(5_000)),
                        neighbourhood: "E01000001".parse().expect("a valid code"),
                        themes: Vec::new(),
                        submitted_on: day(),
                    },
                    &services,
                );
            }
            Op::Score {
                application,
                member,
                score,
            } => {
                let application = self.pick_application(application);
                let services = self.services.clone();
                let _ = self.application(application).execute(
                    runtime,
                    ApplicationCommand::Score {
                        member: format!("member-{member}"),
                        score: Score::new(score).expect("1 to 5"),
                        comment: String::new(),
                        scored_on: day(),
                    },
                    &services,
                );
            }
            Op::DeclareConflict {
                application,
                member,
            } => {
                let application = self.pick_application(application);
                let services = self.services.clone();
                let _ = self.application(application).execute(
                    runtime,
                    ApplicationCommand::DeclareConflict {
                        member: format!("member-{member}"),
                        declared_on: day(),
                    },
                    &services,
                );
            }
            Op::Withdraw { application } => {
                let application = self.pick_application(application);
                let services = self.services.clone();
                let _ = self.application(application).execute(
                    runtime,
                    ApplicationCommand::Withdraw {
                        by: applicant(application),
                        withdrawn_on: day(),
                    },
                    &services,
                );
            }
            Op::Decline { application } => {
                let application = self.pick_application(application);
                let services = self.services.clone();
                let _ = self.application(application).execute(
                    runtime,
                    ApplicationCommand::Decline {
                        reason: "Not this time".to_string(),
                        decided_on: day(),
                    },
                    &services,
                );
            }
            Op::Approve {
                application,
                amount,
            } => self.approve(self.pick_application(application), amount, retry),
            Op::Accept { award } => {
                let award = self.pick_award(award);
                let _ = self.award(award).execute(
                    runtime,
                    AwardCommand::AcceptAgreement {
                        by: applicant(award),
                        accepted_on: day(),
                    },
                    &(),
                );
            }
            Op::RequestDrawdown { award, amount } => {
                let award = self.pick_award(award);
                let drawdown_id = DrawdownId::new(self.new_id("DD"));
                let stream = self.awards.entry(award).or_default();
                let amount = amount.resolve(stream.state.available_to_draw());
                let _ = stream.execute(
                    runtime,
                    AwardCommand::RequestDrawdown {
                        by: applicant(award),
                        drawdown_id,
                        amount,
                        purpose: "Running costs".to_string(),
                        requested_on: day(),
                    },
                    &(),
                );
            }
            Op::ApproveDrawdown { award, drawdown } => {
                let award = self.pick_award(award);
                let drawdown_id = self.drawdown_id(award, drawdown);
                let _ = self.award(award).execute(
                    runtime,
                    AwardCommand::ApproveDrawdown {
                        drawdown_id,
                        approved_on: day(),
                    },
                    &(),
                );
            }
            Op::RejectDrawdown { award, drawdown } => {
                let award = self.pick_award(award);
                let drawdown_id = self.drawdown_id(award, drawdown);
                let _ = self.award(award).execute(
                    runtime,
                    AwardCommand::RejectDrawdown {
                        drawdown_id,
                        reason: "No receipts".to_string(),
                        rejected_on: day(),
                    },
                    &(),
                );
            }
            Op::Pay { award, drawdown } => {
                let award = self.pick_award(award);
                let drawdown_id = self.drawdown_id(award, drawdown);
                let _ = self.award(award).execute(
                    runtime,
                    AwardCommand::RecordPayment {
                        drawdown_id,
                        payment_ref: "BACS".to_string(),
                        paid_on: day(),
                        today: day(),
                    },
                    &(),
                );
            }
            Op::Increase { award, by } => self.increase(self.pick_award(award), by, retry),
            Op::Cut { award, to } => self.cut(self.pick_award(award), to, retry),
            Op::Return { award, amount } => self.give_back(self.pick_award(award), amount, retry),
            Op::CloseRound { round } => {
                let closed = self.round(round).execute(
                    runtime,
                    RoundCommand::Close { closed_on: day() },
                    &(),
                );
                for event in closed.unwrap_or_default() {
                    if let RoundEvent::RoundClosed { unawarded, .. } = event {
                        let release = FundCommand::ReleaseRoundBudget {
                            release_id: format!("close:{}", round_id(round)),
                            round_id: round_id(round),
                            amount: unawarded,
                            released_on: day(),
                        };
                        self.fund
                            .execute(runtime, release.clone(), &())
                            .expect("the fund takes back a closed round's budget");
                        if retry {
                            self.fund.retry(runtime, release, &());
                        }
                    }
                }
            }
            Op::CloseAward { award } => self.close_award(self.pick_award(award), retry),
        }
    }

    /// The round decides on what the application says of itself, then the award is made
    /// and the application records the approval.
    fn approve(&mut self, application: usize, amount: Amount, retry: bool) {
        let runtime = Rc::clone(&self.runtime);
        let runtime = &*runtime;
        let Some(facts) = self
            .applications
            .entry(application)
            .or_default()
            .state
            .facts()
        else {
            return;
        };
        let round = self
            .rounds
            .iter()
            .find(|(index, _)| round_id(**index) == facts.round_id)
            .map(|(index, _)| *index)
            .expect("applications are only submitted to known rounds");
        let counted = scores_counted(&self.applications[&application].log);
        let stream = self.rounds.get_mut(&round).expect("the round exists");
        let limit = stream.state.remaining().min(facts.amount_requested);
        let amount = amount.resolve(limit);
        let requested = facts.amount_requested;
        let approved = stream.execute(
            runtime,
            RoundCommand::ApproveApplication {
                application: facts,
                amount,
                decided_on: day(),
            },
            &(),
        );
        let Ok(events) = approved else {
            return;
        };
        assert!(
            amount <= requested,
            "approved {amount} of {requested} requested"
        );
        let terms = terms(round);
        if terms.decision_mode == DecisionMode::Panel {
            assert!(
                counted >= terms.min_panel_scores as usize,
                "approved with {counted} panel scores, needing {}",
                terms.min_panel_scores
            );
        }
        for event in events {
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
                continue;
            };
            let make = AwardCommand::Make {
                award_id: award_id.clone(),
                application_id,
                fund_id,
                round_id,
                recipient_org_id,
                recipient_name,
                title,
                neighbourhood,
                themes,
                amount,
                awarded_on: decided_on,
            };
            let record = ApplicationCommand::RecordApproval {
                award_id,
                amount,
                decided_on,
            };
            let services = self.services.clone();
            let award = self.awards.entry(application).or_default();
            award
                .execute(runtime, make.clone(), &())
                .expect("the award is made from the approval");
            let recorded = self.applications.get_mut(&application).expect("submitted");
            recorded
                .execute(runtime, record.clone(), &services)
                .expect("the application records its approval");
            if retry {
                award.retry(runtime, make, &());
                recorded.retry(runtime, record, &services);
            }
        }
    }

    /// An increase is taken from the round's budget first, then applied to the award.
    fn increase(&mut self, award: usize, by: Amount, retry: bool) {
        let runtime = Rc::clone(&self.runtime);
        let runtime = &*runtime;
        let Some(round) = self.round_of(award) else {
            return;
        };
        // As `Ledger::vary_award`: a closed award is refused before the round reserves.
        if self.awards[&award].state.status() == AwardStatus::Closed {
            return;
        }
        let variation_id = self.new_id("VAR");
        let stream = self.rounds.get_mut(&round).expect("the round exists");
        let increase = by.resolve(stream.state.remaining());
        let reserved = stream.execute(
            runtime,
            RoundCommand::ReserveVariation {
                variation_id,
                award_id: award_id(award),
                increase,
                reason: "More demand".to_string(),
                reserved_on: day(),
                budget_lines: None,
            },
            &(),
        );
        for event in reserved.unwrap_or_default() {
            if let RoundEvent::VariationReserved {
                variation_id,
                increase,
                reason,
                reserved_on,
                ..
            } = event
            {
                let apply = AwardCommand::ApplyIncrease {
                    variation_id,
                    increase,
                    reason,
                    varied_on: reserved_on,
                    budget_lines: None,
                };
                let stream = self.awards.get_mut(&award).expect("the award exists");
                stream
                    .execute(runtime, apply.clone(), &())
                    .expect("an increase the round reserved applies");
                if retry {
                    stream.retry(runtime, apply, &());
                }
            }
        }
    }

    /// A cut is checked by the award, then released to the round and, once the round has
    /// closed, on to the fund.
    fn cut(&mut self, award: usize, to: Amount, retry: bool) {
        let runtime = Rc::clone(&self.runtime);
        let runtime = &*runtime;
        let variation_id = self.new_id("VAR");
        let stream = self.awards.entry(award).or_default();
        let new_amount = to.resolve(stream.state.committed());
        let varied = stream.execute(
            runtime,
            AwardCommand::Reduce {
                variation_id,
                new_amount,
                reason: "Less needed".to_string(),
                varied_on: day(),
                budget_lines: None,
            },
            &(),
        );
        for event in varied.unwrap_or_default() {
            let AwardEvent::AwardVaried {
                variation_id,
                old_amount,
                new_amount,
                varied_on,
                ..
            } = event
            else {
                continue;
            };
            let round = self.round_of(award).expect("a made award has a round");
            let release = RoundCommand::ReleaseVariation {
                variation_id,
                award_id: award_id(award),
                decrease: old_amount
                    .checked_sub(new_amount)
                    .expect("a cut lowers the award"),
                released_on: varied_on,
            };
            let stream = self.rounds.get_mut(&round).expect("the round exists");
            let released = stream
                .execute(runtime, release.clone(), &())
                .expect("the round takes back a cut");
            if retry {
                stream.retry(runtime, release, &());
            }
            for event in released {
                if let RoundEvent::VariationReleased {
                    variation_id,
                    decrease,
                    released_on,
                    released_to_fund: true,
                    ..
                } = event
                {
                    let release = FundCommand::ReleaseRoundBudget {
                        release_id: format!("variation:{variation_id}"),
                        round_id: round_id(round),
                        amount: decrease,
                        released_on,
                    };
                    self.fund
                        .execute(runtime, release.clone(), &())
                        .expect("the fund takes back a cut in a closed round");
                    if retry {
                        self.fund.retry(runtime, release, &());
                    }
                }
            }
        }
    }

    /// Money the grantee gives back is credited to the fund.
    fn give_back(&mut self, award: usize, amount: Amount, retry: bool) {
        let runtime = Rc::clone(&self.runtime);
        let runtime = &*runtime;
        let return_id = self.new_id("RET");
        let stream = self.awards.entry(award).or_default();
        let net_paid = stream.state.paid().saturating_sub(stream.state.returned());
        let returned = stream.execute(
            runtime,
            AwardCommand::RecordReturn {
                return_id,
                amount: amount.resolve(net_paid),
                reason: "Unspent".to_string(),
                returned_on: day(),
            },
            &(),
        );
        for event in returned.unwrap_or_default() {
            if let AwardEvent::MoneyReturned {
                return_id,
                amount,
                returned_on,
                ..
            } = event
            {
                let credit = FundCommand::CreditReturn {
                    return_id,
                    award_id: award_id(award),
                    amount,
                    credited_on: returned_on,
                };
                self.fund
                    .execute(runtime, credit.clone(), &())
                    .expect("the fund takes back a return");
                if retry {
                    self.fund.retry(runtime, credit, &());
                }
            }
        }
    }

    /// The award closes; its undrawn part goes back to the fund (the follow-up).
    fn close_award(&mut self, award: usize, retry: bool) {
        let runtime = Rc::clone(&self.runtime);
        let runtime = &*runtime;
        let stream = self.awards.entry(award).or_default();
        let closed = stream.execute(runtime, AwardCommand::Close { closed_on: day() }, &());
        let Some(round) = stream.state.round_id().cloned() else {
            return;
        };
        for event in closed.unwrap_or_default() {
            if let AwardEvent::AwardClosed {
                closed_on,
                released,
                ..
            } = event
            {
                let release = FundCommand::ReleaseRoundBudget {
                    release_id: format!("award-close:{}", award_id(award)),
                    round_id: round.clone(),
                    amount: released.expect("a new close records its release"),
                    released_on: closed_on,
                };
                self.fund
                    .execute(runtime, release.clone(), &())
                    .expect("the fund takes back a closed award's undrawn money");
                if retry {
                    self.fund.retry(runtime, release, &());
                }
            }
        }
    }

    fn round_of(&self, award: usize) -> Option<usize> {
        let round = self.awards.get(&award)?.state.round_id()?.clone();
        (0..ROUNDS).find(|index| round_id(*index) == round)
    }
}

/// Panel members whose score counts, read from the application's log: each member's
/// latest score, minus members who declared a conflict.
fn scores_counted(log: &[ApplicationEvent]) -> usize {
    let mut scored = std::collections::BTreeSet::new();
    let mut conflicted = std::collections::BTreeSet::new();
    for event in log {
        match event {
            ApplicationEvent::ApplicationScored { member, .. } => {
                scored.insert(member.clone());
            }
            ApplicationEvent::ConflictDeclared { member, .. } => {
                conflicted.insert(member.clone());
            }
            _ => {}
        }
    }
    scored.difference(&conflicted).count()
}

fn pounds(money: Money) -> Decimal {
    money.amount()
}

/// What an award's log says: its current amount, Σ paid, Σ returned; once closed, what
/// the close released to the fund and what the award's amount dropped by (the close and
/// any return after it), which the round still counts as awarded.
struct AwardFigures {
    round: RoundId,
    amount: Decimal,
    paid: Decimal,
    returned: Decimal,
    closed: bool,
    released: Decimal,
    dropped: Decimal,
}

fn award_figures(award: &AwardId, log: &[AwardEvent]) -> Option<AwardFigures> {
    let mut figures: Option<AwardFigures> = None;
    let mut drawdowns: BTreeMap<DrawdownId, (Decimal, DrawdownState)> = BTreeMap::new();
    for event in log {
        match event {
            AwardEvent::AwardMade {
                round_id, amount, ..
            } => {
                assert!(figures.is_none(), "award {award} made twice");
                figures = Some(AwardFigures {
                    round: round_id.clone(),
                    amount: pounds(*amount),
                    paid: Decimal::ZERO,
                    returned: Decimal::ZERO,
                    closed: false,
                    released: Decimal::ZERO,
                    dropped: Decimal::ZERO,
                });
            }
            AwardEvent::AwardVaried {
                old_amount,
                new_amount,
                ..
            } => {
                let figures = figures.as_mut().expect("varied after made");
                assert_eq!(
                    figures.amount,
                    pounds(*old_amount),
                    "award {award}: old amount"
                );
                figures.amount = pounds(*new_amount);
            }
            AwardEvent::DrawdownRequested {
                drawdown_id,
                amount,
                ..
            } => {
                let previous = drawdowns.insert(
                    drawdown_id.clone(),
                    (pounds(*amount), DrawdownState::Requested),
                );
                assert!(previous.is_none(), "drawdown {drawdown_id} requested twice");
            }
            AwardEvent::DrawdownApproved { drawdown_id, .. } => {
                let drawdown = drawdowns
                    .get_mut(drawdown_id)
                    .expect("approved after request");
                assert_eq!(
                    drawdown.1,
                    DrawdownState::Requested,
                    "{drawdown_id} approved twice"
                );
                drawdown.1 = DrawdownState::Approved;
            }
            AwardEvent::DrawdownRejected { drawdown_id, .. } => {
                let drawdown = drawdowns
                    .get_mut(drawdown_id)
                    .expect("rejected after request");
                assert_eq!(
                    drawdown.1,
                    DrawdownState::Requested,
                    "{drawdown_id} rejected late"
                );
                drawdown.1 = DrawdownState::Rejected;
            }
            AwardEvent::PaymentRecorded {
                drawdown_id,
                amount,
                paid_total,
                ..
            } => {
                let drawdown = drawdowns.get_mut(drawdown_id).expect("paid after request");
                assert_eq!(
                    drawdown.1,
                    DrawdownState::Approved,
                    "drawdown {drawdown_id} paid without approval or twice"
                );
                assert_eq!(drawdown.0, pounds(*amount), "paid a different amount");
                drawdown.1 = DrawdownState::Paid;
                let figures = figures.as_mut().expect("paid after made");
                figures.paid += pounds(*amount);
                assert_eq!(
                    figures.paid,
                    pounds(*paid_total),
                    "award {award}: paid_total"
                );
            }
            AwardEvent::MoneyReturned {
                amount,
                returned_total,
                ..
            } => {
                let figures = figures.as_mut().expect("returned after made");
                figures.returned += pounds(*amount);
                assert_eq!(
                    figures.returned,
                    pounds(*returned_total),
                    "award {award}: returned_total"
                );
                if figures.closed {
                    figures.amount -= pounds(*amount);
                    figures.dropped += pounds(*amount);
                }
            }
            AwardEvent::AwardClosed {
                released,
                final_amount,
                ..
            } => {
                let figures = figures.as_mut().expect("closed after made");
                let undrawn = figures.amount - figures.paid;
                let cost = figures.paid - figures.returned;
                assert_eq!(
                    released.map(pounds),
                    Some(undrawn),
                    "award {award}: released"
                );
                assert_eq!(final_amount.map(pounds), Some(cost), "award {award}: final");
                figures.closed = true;
                figures.released = undrawn;
                figures.dropped += figures.amount - cost;
                figures.amount = cost;
            }
            _ => {}
        }
        if let Some(figures) = figures.as_ref().filter(|figures| figures.closed) {
            assert_eq!(
                figures.amount + figures.returned,
                figures.paid,
                "award {award}: a closed award costs paid − returned"
            );
        } else if let Some(figures) = &figures {
            let approved_unpaid: Decimal = drawdowns
                .values()
                .filter(|(_, state)| *state == DrawdownState::Approved)
                .map(|(amount, _)| *amount)
                .sum();
            assert!(
                figures.paid <= figures.amount,
                "award {award}: paid {} beyond awarded {}",
                figures.paid,
                figures.amount
            );
            assert!(
                figures.paid + approved_unpaid <= figures.amount,
                "award {award}: paid {} + approved {approved_unpaid} beyond awarded {}",
                figures.paid,
                figures.amount
            );
            assert!(
                figures.returned <= figures.paid,
                "award {award}: returned {} beyond paid {}",
                figures.returned,
                figures.paid
            );
        }
    }
    figures
}

/// What a round's log says: its budget, what it has awarded net of variations, and what
/// it has sent back to the fund.
struct RoundFigures {
    budget: Decimal,
    awarded: Decimal,
    sent_to_fund: Decimal,
}

fn round_figures(round: &RoundId, log: &[RoundEvent]) -> Option<RoundFigures> {
    let mut figures: Option<RoundFigures> = None;
    let mut closed = false;
    for event in log {
        match event {
            RoundEvent::RoundOpened { budget, .. } => {
                assert!(figures.is_none(), "round {round} opened twice");
                figures = Some(RoundFigures {
                    budget: pounds(*budget),
                    awarded: Decimal::ZERO,
                    sent_to_fund: Decimal::ZERO,
                });
            }
            RoundEvent::ApplicationApproved { amount, .. } => {
                let figures = figures.as_mut().expect("approved after opening");
                assert!(!closed, "round {round} approved after closing");
                figures.awarded += pounds(*amount);
            }
            RoundEvent::VariationReserved { increase, .. } => {
                let figures = figures.as_mut().expect("reserved after opening");
                assert!(!closed, "round {round} reserved after closing");
                figures.awarded += pounds(*increase);
            }
            RoundEvent::VariationReleased {
                decrease,
                released_to_fund,
                ..
            } => {
                let figures = figures.as_mut().expect("released after opening");
                assert_eq!(
                    *released_to_fund, closed,
                    "round {round}: cut sent to the wrong place"
                );
                figures.awarded -= pounds(*decrease);
                if closed {
                    figures.sent_to_fund += pounds(*decrease);
                }
            }
            // Ballots and votes move no money; the approvals they lead to do.
            RoundEvent::BallotCodesIssued { .. }
            | RoundEvent::VotingClosed { .. }
            | RoundEvent::VotesAllocated { .. } => {}
            RoundEvent::RoundClosed { unawarded, .. } => {
                let figures = figures.as_mut().expect("closed after opening");
                assert_eq!(
                    pounds(*unawarded),
                    figures.budget - figures.awarded,
                    "round {round}: unawarded at close"
                );
                figures.sent_to_fund += pounds(*unawarded);
                closed = true;
            }
        }
        if let Some(figures) = &figures {
            assert!(
                figures.awarded >= Decimal::ZERO,
                "round {round}: awarded {} below zero",
                figures.awarded
            );
            assert!(
                figures.awarded <= figures.budget,
                "round {round}: awarded {} beyond the budget {}",
                figures.awarded,
                figures.budget
            );
            // Every pound of the budget is either awarded or back in the fund.
            assert!(
                figures.awarded + figures.sent_to_fund <= figures.budget,
                "round {round}: awarded {} + sent back {} beyond the budget {}",
                figures.awarded,
                figures.sent_to_fund,
                figures.budget
            );
        }
    }
    figures
}

/// What a store would load for every aggregate equals what the commands left live.
fn check_logs_rebuild_live_state(ledger: &Ledger) {
    ledger.fund.assert_rebuilds();
    for stream in ledger.rounds.values() {
        stream.assert_rebuilds();
    }
    for stream in ledger.applications.values() {
        stream.assert_rebuilds();
    }
    for stream in ledger.awards.values() {
        stream.assert_rebuilds();
    }
}

/// What the awards add up to: by round, each award's amount as the round counts it (a
/// closed award's drop included) and what closes released; and Σ returned.
struct AwardTotals {
    awarded_by_round: BTreeMap<RoundId, Decimal>,
    released_by_round: BTreeMap<RoundId, Decimal>,
    returned: Decimal,
}

/// Per award: Σ paid ≤ awarded, paid + approved-unpaid ≤ awarded, returned ≤ paid, each
/// drawdown paid at most once and only once approved.
fn check_awards(ledger: &Ledger) -> AwardTotals {
    let mut totals = AwardTotals {
        awarded_by_round: BTreeMap::new(),
        released_by_round: BTreeMap::new(),
        returned: Decimal::ZERO,
    };
    for (index, stream) in &ledger.awards {
        let Some(figures) = award_figures(&award_id(*index), &stream.log) else {
            continue;
        };
        *totals
            .awarded_by_round
            .entry(figures.round.clone())
            .or_default() += figures.amount + figures.dropped;
        *totals.released_by_round.entry(figures.round).or_default() += figures.released;
        totals.returned += figures.returned;
        assert_eq!(pounds(stream.state.paid()), figures.paid);
        assert_eq!(pounds(stream.state.returned()), figures.returned);
        assert_eq!(pounds(stream.state.amount()), figures.amount);
    }
    totals
}

/// What the rounds add up to, as the fund should see it.
struct RoundTotals {
    budgets: BTreeMap<RoundId, Decimal>,
    sent_back: BTreeMap<RoundId, Decimal>,
}

/// Per round: 0 ≤ Σ approved + Σ increases − Σ cuts ≤ budget, and that figure is exactly
/// the sum of the current amounts of the awards made from it (the two halves of every
/// step agree).
fn check_rounds(ledger: &Ledger) -> RoundTotals {
    let awards = check_awards(ledger);
    let mut totals = RoundTotals {
        budgets: BTreeMap::new(),
        sent_back: BTreeMap::new(),
    };
    for (index, stream) in &ledger.rounds {
        let round = round_id(*index);
        let Some(figures) = round_figures(&round, &stream.log) else {
            continue;
        };
        assert_eq!(
            figures.awarded,
            awards
                .awarded_by_round
                .get(&round)
                .copied()
                .unwrap_or_default(),
            "round {round}'s awarded differs from its awards' amounts"
        );
        assert_eq!(pounds(stream.state.awarded()), figures.awarded);
        totals.budgets.insert(round.clone(), figures.budget);
        totals.sent_back.insert(round, figures.sent_to_fund);
    }
    totals
}

/// For the fund: allocated (net of releases) ≤ capital + returns credited, at every event;
/// every round's budget came from it, and everything rounds and awards sent back reached it.
fn check_fund(ledger: &Ledger) {
    let awards = check_awards(ledger);
    let rounds = check_rounds(ledger);
    let mut capital = Decimal::ZERO;
    let mut credited = Decimal::ZERO;
    let mut outstanding = Decimal::ZERO;
    let mut allocated: BTreeMap<RoundId, Decimal> = BTreeMap::new();
    let mut released: BTreeMap<RoundId, Decimal> = BTreeMap::new();
    for event in &ledger.fund.log {
        match event {
            FundEvent::CapitalReceived { amount, .. } => capital += pounds(*amount),
            FundEvent::ReturnCredited { amount, .. } => credited += pounds(*amount),
            FundEvent::RoundBudgetAllocated {
                round_id, budget, ..
            } => {
                outstanding += pounds(*budget);
                *allocated.entry(round_id.clone()).or_default() += pounds(*budget);
            }
            FundEvent::RoundBudgetReleased {
                round_id, amount, ..
            } => {
                outstanding -= pounds(*amount);
                *released.entry(round_id.clone()).or_default() += pounds(*amount);
            }
            FundEvent::FundEstablished { .. }
            | FundEvent::OutcomeProxySet { .. }
            | FundEvent::PriorityAreasDeclared { .. } => {}
        }
        assert!(
            outstanding <= capital + credited,
            "fund allocated {outstanding} beyond capital {capital} + returns {credited}"
        );
        assert!(
            outstanding >= Decimal::ZERO,
            "fund released more than it allocated"
        );
    }
    assert_eq!(
        pounds(ledger.fund.state.available()),
        capital + credited - outstanding
    );
    assert_eq!(
        credited, awards.returned,
        "returns on awards and credits to the fund differ"
    );
    assert_eq!(
        allocated, rounds.budgets,
        "fund allocations and round budgets differ"
    );
    for (round, back) in &rounds.sent_back {
        let closes = awards
            .released_by_round
            .get(round)
            .copied()
            .unwrap_or_default();
        assert_eq!(
            released.get(round).copied().unwrap_or_default(),
            *back + closes,
            "round {round} and its closed awards sent back a different amount than the fund took"
        );
    }
}

/// A funded fund with two rounds open and an application in each, one already scored, so
/// that most sequences reach awards, drawdowns and returns.
fn opening() -> Vec<Op> {
    vec![
        Op::ReceiveCapital(Amount::Pence(3_000_000)),
        Op::Allocate {
            round: 0,
            budget: Amount::Pence(1_500_000),
        },
        Op::Allocate {
            round: 2,
            budget: Amount::Pence(800_000),
        },
        Op::Submit {
            application: 0,
            round: 0,
            requested: Amount::Pence(600_000),
        },
        Op::Submit {
            application: 1,
            round: 2,
            requested: Amount::Pence(300_000),
        },
        Op::Score {
            application: 0,
            member: 0,
            score: 4,
        },
        Op::Score {
            application: 0,
            member: 1,
            score: 3,
        },
    ]
}

/// Runs the opening and then `ops`, checking after every command.
fn run_checked(ops: Vec<(Op, bool)>, check: impl Fn(&Ledger)) {
    let mut ledger = Ledger::new();
    for op in opening() {
        ledger.run(op, false);
    }
    check(&ledger);
    for (op, retry) in ops {
        ledger.run(op, retry);
        check(&ledger);
    }
}

fn sequences() -> impl Strategy<Value = Vec<(Op, bool)>> {
    // The flag retries every second half the command causes, as the process manager may.
    proptest::collection::vec((op(), any::<bool>()), 1..MAX_COMMANDS)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn awards_never_pay_more_than_awarded_nor_take_back_more_than_paid(ops in sequences()) {
        run_checked(ops, |ledger| {
            check_awards(ledger);
        });
    }

    #[test]
    fn rounds_never_award_beyond_their_budget(ops in sequences()) {
        run_checked(ops, |ledger| {
            check_rounds(ledger);
        });
    }

    #[test]
    fn funds_never_allocate_beyond_capital_and_returns(ops in sequences()) {
        run_checked(ops, check_fund);
    }

    /// `execute` also asserts, for every command, that a refusal writes nothing.
    #[test]
    fn refusals_write_nothing_and_logs_rebuild_live_state(ops in sequences()) {
        run_checked(ops, check_logs_rebuild_live_state);
    }
}
