//! The GraphQL surface of the social return (UK SROI method, `domain::sroi`): the account
//! of a scope with its working (lines, years, sensitivity, break-evens), the versions of a
//! fund's outcome proxies, and the inputs recorded against an award (`recordInput`).

use async_graphql::{Context, Enum, InputObject, Object};
use domain::award::InputRecorder;
use domain::sroi::{Assumption as DomainAssumption, Sensitivity as DomainSensitivity};
use domain::AwardId;
use infrastructure::ledger::NewInput;
use projections::read;
use rust_decimal::Decimal;
use serde::Serialize;

use super::context::{
    ledger_request, require_member_of_award, require_officer_of_award, require_signed_in, state,
};
use super::errors::{Coded, GqlResult};
use super::mutations::{award_payload, check_text, run, AwardPayload};
use super::scalars::{DateValue, DecimalValue, MoneyValue};
use super::types::{money, OutcomeProxy};

/// A signed amount of pounds to 2 places (a net present value may be below zero).
fn signed(amount: Decimal) -> DecimalValue {
    let mut amount = amount;
    amount.rescale(2);
    DecimalValue(amount)
}

/// A social-return account (UK SROI method, Cabinet Office guide 2012): what went into
/// the awards in scope (money disbursed plus recorded inputs) against the present value
/// of the outcomes they reported, each valued with the fund's proxy version in force on
/// its date and discounted at 3.5% a year (HM Treasury Green Book) to the account's first
/// year. Aggregates only. Definitions: GLOSSARY.md, "Social return".
pub struct SocialReturn(pub read::SocialReturn);

#[Object]
impl SocialReturn {
    /// The investment: `disbursed` + `inputs`. Historic grants (status HISTORIC, imported
    /// from 360Giving) are never counted, in any scope: they cannot report outcomes.
    async fn invested(&self) -> MoneyValue {
        money(self.0.invested)
    }
    /// Payments minus returns on the awards in scope that can carry outcomes.
    async fn disbursed(&self) -> MoneyValue {
        money(self.0.disbursed)
    }
    /// Match funding, in-kind contributions and volunteer time recorded on those awards.
    async fn inputs(&self) -> MoneyValue {
        money(self.0.inputs)
    }
    /// The first day money or an input went in: year 1 of the account starts here. Null
    /// when nothing has gone in yet.
    async fn base_date(&self) -> Option<DateValue> {
        self.0.base_date.map(DateValue)
    }
    /// Present value of the outcomes, to the penny (the same figure as `presentValue`).
    async fn social_value(&self) -> MoneyValue {
        money(self.0.social_value)
    }
    /// Present value of the outcomes, to the penny.
    async fn present_value(&self) -> MoneyValue {
        money(self.0.social_value)
    }
    /// Net present value: present value − invested (below zero when the outcomes are worth
    /// less than what went in).
    async fn net_present_value(&self) -> DecimalValue {
        signed(self.0.net_present_value)
    }
    /// SROI ratio: pounds of social value per pound invested (2 places); null when nothing
    /// was invested.
    async fn ratio(&self) -> Option<DecimalValue> {
        self.0.ratio.map(DecimalValue)
    }
    /// Net SROI ratio: net present value / invested (2 places); null when nothing was
    /// invested.
    async fn net_ratio(&self) -> Option<DecimalValue> {
        self.0.net_ratio.map(DecimalValue)
    }
    /// The outcomes' first-year impact (after deadweight, attribution and displacement;
    /// before drop-off and discounting), to the penny.
    async fn annual_impact(&self) -> MoneyValue {
        money(self.0.annual_impact)
    }
    /// Payback period in months (1 place): invested / (annual impact / 12), the guide's
    /// definition. Null when there is no impact or nothing invested.
    async fn payback_months(&self) -> Option<DecimalValue> {
        self.0.payback_months.map(DecimalValue)
    }
    /// Sensitivity: present value with deadweight, attribution, displacement and drop-off
    /// all ten percentage points higher (clamped to 0..1).
    async fn low(&self) -> MoneyValue {
        money(self.0.low)
    }
    /// Sensitivity: the same four all ten percentage points lower.
    async fn high(&self) -> MoneyValue {
        money(self.0.high)
    }
    async fn ratio_low(&self) -> Option<DecimalValue> {
        self.0.ratio_low.map(DecimalValue)
    }
    async fn ratio_high(&self) -> Option<DecimalValue> {
        self.0.ratio_high.map(DecimalValue)
    }
    /// Sensitivity one assumption at a time, with each one's break-even.
    async fn sensitivity(&self) -> Vec<Sensitivity> {
        self.0
            .sensitivity
            .iter()
            .cloned()
            .map(Sensitivity)
            .collect()
    }
    /// Present value with every outcome valued with its indicator's latest proxy version
    /// (instead of the version in force on its date).
    async fn present_value_at_current_proxies(&self) -> MoneyValue {
        money(self.0.at_current_proxies)
    }
    async fn ratio_at_current_proxies(&self) -> Option<DecimalValue> {
        self.0.ratio_at_current_proxies.map(DecimalValue)
    }
    /// One line per indicator, fund and proxy version, by indicator.
    async fn lines(&self) -> Vec<SocialReturnLine> {
        self.0.lines.iter().cloned().map(SocialReturnLine).collect()
    }
}

/// One of the account's assumptions, moved alone in the sensitivity analysis.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Assumption {
    Deadweight,
    Attribution,
    Displacement,
    DropOff,
    ProxyValue,
    Quantity,
}

impl From<DomainAssumption> for Assumption {
    fn from(assumption: DomainAssumption) -> Assumption {
        match assumption {
            DomainAssumption::Deadweight => Assumption::Deadweight,
            DomainAssumption::Attribution => Assumption::Attribution,
            DomainAssumption::Displacement => Assumption::Displacement,
            DomainAssumption::DropOff => Assumption::DropOff,
            DomainAssumption::ProxyValue => Assumption::ProxyValue,
            DomainAssumption::Quantity => Assumption::Quantity,
        }
    }
}

/// One assumption moved alone: a share (deadweight, attribution, displacement, drop-off)
/// ten percentage points up (low) and down (high), clamped to 0..1; the proxy values or
/// quantities ten per cent down (low) and up (high).
pub struct Sensitivity(pub DomainSensitivity);

#[Object]
impl Sensitivity {
    async fn assumption(&self) -> Assumption {
        self.0.assumption.into()
    }
    /// Present value after the cautious move.
    async fn low(&self) -> MoneyValue {
        money(self.0.low)
    }
    /// Present value after the generous move.
    async fn high(&self) -> MoneyValue {
        money(self.0.high)
    }
    async fn ratio_low(&self) -> Option<DecimalValue> {
        self.0.ratio_low.map(DecimalValue)
    }
    async fn ratio_high(&self) -> Option<DecimalValue> {
        self.0.ratio_high.map(DecimalValue)
    }
    /// How far the assumption must move, on every outcome, for the ratio to reach 1:1
    /// (present value = invested), to 4 places: for a share, in points as a fraction
    /// (0.2375 = 23.75 points higher; negative = lower); for the proxy value or quantity,
    /// the relative change (-0.4793 = 47.93% lower). Null when no value in range reaches
    /// 1:1 (see `breakEvenReachable`).
    async fn break_even(&self) -> Option<DecimalValue> {
        self.0.break_even.map(DecimalValue)
    }
    /// False when no value of the assumption in range brings the ratio to 1:1 (a share
    /// would have to pass 0 or 1, or nothing was invested, or there is no value to scale).
    async fn break_even_reachable(&self) -> bool {
        self.0.break_even.is_some()
    }
}

/// One year of a line's benefit, years counted from the account's base date.
pub struct LineYear(pub read::LineYear);

#[Object]
impl LineYear {
    /// 1 = the 12 months from the base date.
    async fn year(&self) -> u32 {
        self.0.year
    }
    /// The benefit that year (after drop-off), before discounting.
    async fn value(&self) -> MoneyValue {
        money(self.0.value)
    }
    /// 1 / 1.035^year, shown to 6 places (the value is divided by the exact 1.035^year).
    async fn discount_factor(&self) -> DecimalValue {
        DecimalValue(self.0.discount_factor)
    }
    async fn present_value(&self) -> MoneyValue {
        money(self.0.present_value)
    }
}

/// One version of a fund's proxy for an indicator.
pub struct ProxyVersion(pub read::ProxyVersion);

#[Object]
impl ProxyVersion {
    async fn indicator(&self) -> &str {
        &self.0.indicator
    }
    /// 1 for the first version set for the indicator, then 2, 3, … in the order set.
    async fn version(&self) -> u32 {
        self.0.version
    }
    /// The date it is in force from: outcomes dated on or after it (until a version with
    /// a later effective date) are valued with it.
    async fn effective_from(&self) -> DateValue {
        DateValue(self.0.effective_from)
    }
    /// The business date it was set on.
    async fn set_on(&self) -> DateValue {
        DateValue(self.0.set_on)
    }
    async fn proxy(&self) -> OutcomeProxy {
        OutcomeProxy {
            fund_id: self.0.fund_id.clone(),
            indicator: self.0.indicator.clone(),
            proxy: self.0.proxy.clone(),
            set_on: Some(self.0.set_on),
        }
    }
}

/// The outcomes of one indicator valued with one proxy version (each figure rounded to
/// the penny).
pub struct SocialReturnLine(pub read::SocialReturnLine);

#[Object]
impl SocialReturnLine {
    async fn indicator(&self) -> &str {
        &self.0.indicator
    }
    async fn fund_id(&self) -> &str {
        self.0.fund_id.as_str()
    }
    /// Total quantity reported.
    async fn quantity(&self) -> DecimalValue {
        DecimalValue(self.0.quantity)
    }
    /// Outcome reports behind the quantity.
    async fn reports(&self) -> i64 {
        self.0.reports
    }
    /// False when the fund has no proxy for the indicator: the line is valued at zero.
    async fn valued(&self) -> bool {
        self.0.valued()
    }
    /// The proxy version the line is valued with (the one in force on its outcomes' dates).
    async fn proxy_version(&self) -> Option<ProxyVersion> {
        self.0.version.clone().map(ProxyVersion)
    }
    /// The proxy the line is valued with.
    async fn proxy(&self) -> Option<OutcomeProxy> {
        self.0.version.as_ref().map(|version| OutcomeProxy {
            fund_id: self.0.fund_id.clone(),
            indicator: self.0.indicator.clone(),
            proxy: version.proxy.clone(),
            set_on: Some(version.set_on),
        })
    }
    /// Quantity × value per unit.
    async fn gross(&self) -> MoneyValue {
        money(self.0.gross)
    }
    /// First-year value after deadweight, attribution and displacement.
    async fn impact(&self) -> MoneyValue {
        money(self.0.impact)
    }
    async fn present_value(&self) -> MoneyValue {
        money(self.0.present_value)
    }
    async fn low(&self) -> MoneyValue {
        money(self.0.low)
    }
    async fn high(&self) -> MoneyValue {
        money(self.0.high)
    }
    /// The benefit year by year, discounted to the account's first year.
    async fn years(&self) -> Vec<LineYear> {
        self.0.years.iter().cloned().map(LineYear).collect()
    }
}

/// What kind of input went into an award's work.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize)]
pub enum InputKind {
    /// Money from another funder for the same work.
    MatchFunding,
    /// Goods, premises or services given free, at what they would have cost.
    InKind,
    /// Volunteers' hours, at the value the recorder states.
    VolunteerTime,
}

impl InputKind {
    fn to_domain(self) -> domain::award::InputKind {
        match self {
            InputKind::MatchFunding => domain::award::InputKind::MatchFunding,
            InputKind::InKind => domain::award::InputKind::InKind,
            InputKind::VolunteerTime => domain::award::InputKind::VolunteerTime,
        }
    }

    fn from_stored(kind: &str) -> InputKind {
        match kind {
            "match_funding" => InputKind::MatchFunding,
            "in_kind" => InputKind::InKind,
            _ => InputKind::VolunteerTime,
        }
    }
}

/// An input recorded against an award (admin and the recipient only).
pub struct RecordedInput(pub read::InputRecord);

#[Object]
impl RecordedInput {
    async fn id(&self) -> &str {
        &self.0.input_id
    }
    async fn kind(&self) -> InputKind {
        InputKind::from_stored(&self.0.kind)
    }
    /// What it is worth, in pounds.
    async fn value(&self) -> MoneyValue {
        money(self.0.value)
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn contributed_on(&self) -> DateValue {
        DateValue(self.0.contributed_on)
    }
    /// Whether the recipient (`grantee`) or an officer (`officer`) recorded it.
    async fn recorded_by(&self) -> &str {
        &self.0.recorded_by
    }
}

/// The inputs of an award, for `Award.inputs`.
pub async fn award_inputs(ctx: &Context<'_>, award: &AwardId) -> GqlResult<Vec<RecordedInput>> {
    let inputs = read::award_inputs(state(ctx).database(), award)
        .await
        .coded()?;
    Ok(inputs.into_iter().map(RecordedInput).collect())
}

#[derive(InputObject, Debug, Serialize)]
pub struct RecordInputInput {
    pub award_id: String,
    pub kind: InputKind,
    /// What the input is worth, in pounds: above zero, at most 2 places.
    pub value: MoneyValue,
    /// What it was ("Match funding from the city council", "120 volunteer hours at
    /// £12.00").
    pub description: String,
    /// When it went in: not after the ledger's business date (today in Europe/London) and
    /// not before the award was made.
    pub contributed_on: DateValue,
    pub idempotency_key: Option<String>,
}

/// `recordInput`: a member of the award's recipient organisation or an officer of its
/// fund; other callers are refused before anything is written.
pub async fn record_input(ctx: &Context<'_>, input: RecordInputInput) -> GqlResult<AwardPayload> {
    let award_id = AwardId::new(input.award_id.trim());
    let viewer = require_signed_in(ctx)?;
    let roles = viewer.roles();
    let by = if !roles.is_any_officer() {
        InputRecorder::Grantee(require_member_of_award(ctx, &award_id).await?)
    } else if roles.member_of.is_empty() {
        require_officer_of_award(ctx, &award_id).await?;
        InputRecorder::Officer
    } else {
        // Both an officer somewhere and a member somewhere: officer of this award's fund
        // first, else a member of its recipient.
        match require_officer_of_award(ctx, &award_id).await {
            Ok(_) => InputRecorder::Officer,
            Err(_) => InputRecorder::Grantee(require_member_of_award(ctx, &award_id).await?),
        }
    };
    check_text("description", &input.description)?;
    let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
    let new_input = NewInput {
        award_id,
        by,
        kind: input.kind.to_domain(),
        value: input.value.money(),
        description: input.description.clone(),
        contributed_on: input.contributed_on.0,
    };
    let outcome = run(
        ctx,
        "record_input",
        state(ctx).ledger.record_input(&request, new_input),
    )
    .await?;
    Ok(award_payload(outcome))
}
