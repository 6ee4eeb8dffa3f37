//! The mutation root: one field per use case of API.md that the domain supports, each
//! running the ledger's command path. Every input takes an optional `idempotencyKey`;
//! every payload has `position` (the event-log position of the mutation's last event: the
//! write is committed), the ids the write made or changed, `projected`, and the object it
//! created or changed, read from the read models once they reflect the write (so it shows
//! the mutation's own effect), null until then: a committed write always answers success.
//!

use std::future::Future;

use async_graphql::{Context, ErrorExtensions, InputObject, Object};
use domain::application::Score;
use domain::award::{BudgetLine, SpendLine, MAX_BUDGET_LINES};
use domain::ballot::{MAX_BALLOT_CODES_PER_REQUEST, MAX_CHOICES_PER_BALLOT};
use domain::{ApplicationId, AwardId, DrawdownId, FundId, OrgId, RoundId};
use infrastructure::ballot_codes::{hash_code, random_code};
use infrastructure::ledger::{OpenRound, Outcome, Request, SetOutcomeProxy, SubmitApplication};
use infrastructure::LedgerError;
use serde::Serialize;
use tracing::Instrument;

use super::context::{
    ledger_request, payload_projected, require_any_member, require_member_of,
    require_member_of_application, require_member_of_award, require_officer_of,
    require_officer_of_application, require_officer_of_award, require_officer_of_round,
    require_owner, require_panel_of_application, require_signed_in, state, throttle_ballot, viewer,
    MAX_IDEMPOTENCY_KEY_CHARS,
};
use super::errors::{coded, ApiError, Coded, GqlResult, BAD_INPUT};
use super::scalars::{DateValue, DecimalValue, GeoCodeValue, MoneyValue};
use super::types::{
    application_after, award_after, fund_after, round_after, Application, Award, DecisionMode,
    Drawdown, Fund, PanelSeesScores, Round,
};

/// The most themes a round or an application may list.
pub const MAX_THEMES: usize = 20;
/// The most eligible areas a round may list.
pub const MAX_ELIGIBLE_AREAS: usize = 1_000;
/// The most lines one spend report may carry.
pub const MAX_SPEND_LINES: usize = 200;
/// The longest free text accepted in any one field (descriptions, reasons, comments).
pub const MAX_TEXT_CHARS: usize = 20_000;
/// The actor ballots are recorded under, whoever casts them (ballots are secret).
const VOTER: &str = "voter";

/// Runs one ledger command: a tracing span with the mutation's name and the kind of actor
/// (never the subject: logs carry no personal fields; the store logs each aggregate
/// command inside it), a count of commands by outcome, and the ledger's error mapped to
/// its `extensions.code`.
pub(crate) async fn run<T>(
    ctx: &Context<'_>,
    command: &'static str,
    future: impl Future<Output = Result<Outcome<T>, LedgerError>>,
) -> GqlResult<Outcome<T>> {
    let span = tracing::info_span!(
        "mutation",
        mutation = command,
        actor_kind = super::http::actor_kind_of(viewer(ctx))
    );
    let result = future.instrument(span.clone()).await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(error) => outcome_label(ApiError::code_of(error)),
    };
    state(ctx).metrics.record_command(command, outcome);
    span.in_scope(|| match &result {
        Ok(done) => tracing::debug!(outcome, position = done.position, "mutation done"),
        // The message can quote the caller's input (names, titles): debug only.
        Err(error) => tracing::debug!(outcome, %error, "mutation refused"),
    });
    result.map_err(ApiError::from).coded()
}

fn outcome_label(code: &'static str) -> &'static str {
    match code {
        "BAD_INPUT" => "bad_input",
        "NOT_FOUND" => "not_found",
        "FORBIDDEN" => "forbidden",
        "CONFLICT" => "conflict",
        "CONCURRENCY" => "concurrency",
        "UNAVAILABLE" => "unavailable",
        "NEEDS_REPAIR" => "needs_repair",
        _ => "internal",
    }
}

impl ApiError {
    fn code_of(error: &LedgerError) -> &'static str {
        use infrastructure::ledger::ErrorKind;
        match error.kind() {
            ErrorKind::BadInput => "BAD_INPUT",
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::Forbidden => "FORBIDDEN",
            ErrorKind::Conflict => "CONFLICT",
            ErrorKind::Concurrency => "CONCURRENCY",
            ErrorKind::Unavailable => "UNAVAILABLE",
            ErrorKind::NeedsRepair => super::errors::NEEDS_REPAIR,
            ErrorKind::Internal => "INTERNAL",
        }
    }
}

/// Prose a caller gives (descriptions, comments, reasons, purposes): at most
/// `MAX_TEXT_CHARS`, and the ledger's rules for text (`domain::text::check_prose`: line
/// breaks and tabs allowed; no other control or bidi character; not invisible).
pub(crate) fn check_text(field: &str, text: &str) -> GqlResult<()> {
    check_length(field, text)?;
    domain::text::check_prose(field, text).map_err(|error| coded(error.to_string(), BAD_INPUT))
}

/// One line a caller gives (names, titles, categories, ids it chooses): at most
/// `MAX_TEXT_CHARS`, and `domain::text::check_line` (no control or bidi character at all,
/// not invisible; surrounding whitespace is trimmed as before).
pub(crate) fn check_line(field: &str, text: &str) -> GqlResult<()> {
    check_length(field, text)?;
    domain::text::check_line(field, text).map_err(|error| coded(error.to_string(), BAD_INPUT))
}

fn check_length(field: &str, text: &str) -> GqlResult<()> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(coded(
            format!("{field} is longer than {MAX_TEXT_CHARS} characters"),
            BAD_INPUT,
        ));
    }
    Ok(())
}

/// Each theme is one line.
fn check_themes(themes: &[String]) -> GqlResult<()> {
    check_count("themes", themes.len(), MAX_THEMES)?;
    themes
        .iter()
        .try_for_each(|theme| check_line("themes", theme))
}

fn check_count(field: &str, count: usize, max: usize) -> GqlResult<()> {
    if count > max {
        return Err(coded(
            format!("{field} lists {count} items; at most {max} are accepted"),
            BAD_INPUT,
        ));
    }
    Ok(())
}

/// The name an organisation's awards are recorded under, for an application that gives none.
async fn known_name(ctx: &Context<'_>, org: &OrgId) -> GqlResult<String> {
    let filter = projections::read::AwardFilter {
        recipient_org_id: Some(org.as_str().to_string()),
        ..projections::read::AwardFilter::default()
    };
    let page = projections::read::awards(state(ctx).database(), &filter, 1, None)
        .await
        .coded()?;
    page.awards
        .into_iter()
        .next()
        .map(|award| award.recipient_name)
        .ok_or_else(|| {
            coded(
                format!("applicantName is needed the first time {org} applies"),
                BAD_INPUT,
            )
        })
}

// ---------------------------------------------------------------- payloads
//
// A payload answers as soon as the write has committed. Its object comes from the read
// models, so it is there only once they reflect the write (`projected`); until then it is
// null. A client never retries a write that answered: `position` is its proof, and
// `X-Min-Position: position` reads it when the read models get there.

pub struct FundPayload {
    position: i64,
    fund_id: FundId,
}

#[Object]
impl FundPayload {
    /// The event-log position of the mutation's last event: the write is committed there.
    async fn position(&self) -> i64 {
        self.position
    }
    /// Whether the read models already reflect this write (waited for up to 5 s per
    /// request). False does not mean the write failed: it is committed at `position`; the
    /// object is then null, and a query with `X-Min-Position: position` reads it later.
    /// Never retry a write that answered (with a new idempotency key it would be made twice).
    async fn projected(&self, ctx: &Context<'_>) -> bool {
        payload_projected(ctx, self.position).await
    }
    /// The fund after the write; null while `projected` is false.
    async fn fund(&self, ctx: &Context<'_>) -> GqlResult<Option<Fund>> {
        fund_after(ctx, &self.fund_id, self.position).await
    }
    /// The fund's id, from the write itself (also while `projected` is false).
    async fn fund_id(&self) -> &str {
        self.fund_id.as_str()
    }
}

pub struct RoundPayload {
    position: i64,
    round_id: RoundId,
}

#[Object]
impl RoundPayload {
    /// The event-log position of the mutation's last event: the write is committed there.
    async fn position(&self) -> i64 {
        self.position
    }
    /// Whether the read models already reflect this write (see `FundPayload.projected`).
    async fn projected(&self, ctx: &Context<'_>) -> bool {
        payload_projected(ctx, self.position).await
    }
    /// The round after the write; null while `projected` is false.
    async fn round(&self, ctx: &Context<'_>) -> GqlResult<Option<Round>> {
        round_after(ctx, &self.round_id, self.position).await
    }
    /// The round's id, from the write itself (also while `projected` is false).
    async fn round_id(&self) -> &str {
        self.round_id.as_str()
    }
}

pub struct ApplicationPayload {
    position: i64,
    application_id: ApplicationId,
}

#[Object]
impl ApplicationPayload {
    /// The event-log position of the mutation's last event: the write is committed there.
    async fn position(&self) -> i64 {
        self.position
    }
    /// Whether the read models already reflect this write (see `FundPayload.projected`).
    async fn projected(&self, ctx: &Context<'_>) -> bool {
        payload_projected(ctx, self.position).await
    }
    /// The application after the write; null while `projected` is false.
    async fn application(&self, ctx: &Context<'_>) -> GqlResult<Option<Application>> {
        application_after(ctx, &self.application_id, self.position).await
    }
    /// The application's id, from the write itself (also while `projected` is false).
    async fn application_id(&self) -> &str {
        self.application_id.as_str()
    }
}

pub struct AwardPayload {
    position: i64,
    award_id: AwardId,
    /// Set when the mutation decided an application (approval).
    application_id: Option<ApplicationId>,
}

#[Object]
impl AwardPayload {
    /// The event-log position of the mutation's last event: the write is committed there.
    async fn position(&self) -> i64 {
        self.position
    }
    /// Whether the read models already reflect this write (see `FundPayload.projected`).
    async fn projected(&self, ctx: &Context<'_>) -> bool {
        payload_projected(ctx, self.position).await
    }
    /// The award after the write; null while `projected` is false.
    async fn award(&self, ctx: &Context<'_>) -> GqlResult<Option<Award>> {
        award_after(ctx, &self.award_id, self.position).await
    }
    /// The award's id, from the write itself (also while `projected` is false).
    async fn award_id(&self) -> &str {
        self.award_id.as_str()
    }
    /// The application the award was made from (approveApplication only; null while
    /// `projected` is false).
    async fn application(&self, ctx: &Context<'_>) -> GqlResult<Option<Application>> {
        match &self.application_id {
            Some(id) => application_after(ctx, id, self.position).await,
            None => Ok(None),
        }
    }
}

pub struct DrawdownPayload {
    position: i64,
    award_id: AwardId,
    drawdown_id: DrawdownId,
}

#[Object]
impl DrawdownPayload {
    /// The event-log position of the mutation's last event: the write is committed there.
    async fn position(&self) -> i64 {
        self.position
    }
    /// Whether the read models already reflect this write (see `FundPayload.projected`).
    async fn projected(&self, ctx: &Context<'_>) -> bool {
        payload_projected(ctx, self.position).await
    }
    /// The drawdown's id, known from the write itself (also while `projected` is false).
    async fn drawdown_id(&self) -> &str {
        self.drawdown_id.as_str()
    }
    /// The award after the write; null while `projected` is false.
    async fn award(&self, ctx: &Context<'_>) -> GqlResult<Option<Award>> {
        award_after(ctx, &self.award_id, self.position).await
    }
    /// The award's id, from the write itself (also while `projected` is false).
    async fn award_id(&self) -> &str {
        self.award_id.as_str()
    }
    /// The drawdown after the write; null while `projected` is false.
    async fn drawdown(&self, ctx: &Context<'_>) -> GqlResult<Option<Drawdown>> {
        let Some(award) = award_after(ctx, &self.award_id, self.position).await? else {
            return Ok(None);
        };
        let drawdown = award
            .0
            .drawdowns
            .into_iter()
            .find(|drawdown| drawdown.drawdown_id == self.drawdown_id.as_str());
        match drawdown {
            Some(drawdown) => Ok(Some(Drawdown(drawdown))),
            None => Err(ApiError::Internal(format!(
                "drawdown {} is missing from award {} although the read models reflect position {}",
                self.drawdown_id, self.award_id, self.position
            ))
            .extend()),
        }
    }
}

/// The result of `issueBallotCodes`: the plain codes, shown this once.
pub struct BallotCodesPayload {
    position: i64,
    round_id: RoundId,
    batch_id: String,
    count: usize,
    codes: Vec<String>,
    replayed: bool,
}

#[Object]
impl BallotCodesPayload {
    async fn position(&self) -> i64 {
        self.position
    }
    /// Whether the read models already reflect this write (see `FundPayload.projected`).
    async fn projected(&self, ctx: &Context<'_>) -> bool {
        payload_projected(ctx, self.position).await
    }
    /// The round after the write; null while `projected` is false.
    async fn round(&self, ctx: &Context<'_>) -> GqlResult<Option<Round>> {
        round_after(ctx, &self.round_id, self.position).await
    }
    /// The round's id, from the write itself (also while `projected` is false).
    async fn round_id(&self) -> &str {
        self.round_id.as_str()
    }
    /// The batch the codes were issued in.
    async fn batch_id(&self) -> &str {
        &self.batch_id
    }
    /// How many codes the batch holds.
    async fn count(&self) -> usize {
        self.count
    }
    /// The plain codes, to hand to residents. Only their hashes are stored, so they are
    /// shown here once: a retry with the same idempotencyKey returns an empty list (and
    /// `replayed: true`); issue a new batch if these were lost.
    async fn codes(&self) -> &[String] {
        &self.codes
    }
    /// True when this was a retry of an earlier request: nothing new was issued.
    async fn replayed(&self) -> bool {
        self.replayed
    }
}

pub(crate) fn award_payload(outcome: Outcome<AwardId>) -> AwardPayload {
    AwardPayload {
        position: outcome.position,
        award_id: outcome.value,
        application_id: None,
    }
}

fn application_payload(outcome: Outcome<ApplicationId>) -> ApplicationPayload {
    ApplicationPayload {
        position: outcome.position,
        application_id: outcome.value,
    }
}

// ---------------------------------------------------------------- inputs

#[derive(InputObject, Debug, Serialize)]
pub struct EstablishFundInput {
    pub name: String,
    /// The funder's 360Giving organisation id, e.g. `GB-CHC-1234567`.
    pub funder_org_id: String,
    pub funder_name: String,
    /// The day the fund began, for a fund moving its history into the ledger (its capital
    /// can't be received before it): not after the ledger's business date (today in
    /// Europe/London). Default: today.
    pub established_on: Option<DateValue>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct ReceiveCapitalInput {
    pub fund_id: String,
    pub amount: MoneyValue,
    pub source: String,
    /// The date the money arrived: not after the ledger's business date (today in
    /// Europe/London) and not before the fund was established.
    pub received_on: DateValue,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct OpenRoundInput {
    pub fund_id: String,
    pub name: String,
    pub budget: MoneyValue,
    pub opens_on: DateValue,
    pub closes_on: DateValue,
    /// Empty means anywhere.
    pub eligible_areas: Vec<GeoCodeValue>,
    /// Empty means any theme.
    pub themes: Vec<String>,
    pub decision_mode: DecisionMode,
    /// Panel scores an application needs before it can be approved (PANEL rounds).
    #[graphql(default = 0)]
    pub min_panel_scores: u32,
    /// When panel members see each other's scores and comments: AFTER_OWN_SCORE (the
    /// default) or ALWAYS. (Left out of the request digest when absent.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panel_sees_scores: Option<PanelSeesScores>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct RoundInput {
    pub round_id: String,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct IssueBallotCodesInput {
    pub round_id: String,
    /// 1 to `MAX_BALLOT_CODES_PER_REQUEST` (200).
    pub count: i32,
    pub idempotency_key: Option<String>,
}

/// Not `Debug`-derived: the ballot code is a credential and must never reach a log.
#[derive(InputObject)]
pub struct CastBallotInput {
    pub round_id: String,
    /// The code on the resident's ballot card (case, spaces and dashes don't matter).
    pub ballot_code: String,
    /// 1 to `MAX_CHOICES_PER_BALLOT` (5) distinct applications of the round in contention.
    pub application_ids: Vec<String>,
    pub idempotency_key: Option<String>,
}

impl std::fmt::Debug for CastBallotInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CastBallotInput")
            .field("round_id", &self.round_id)
            .field("ballot_code", &"<redacted>")
            .field("application_ids", &self.application_ids)
            .finish()
    }
}

#[derive(InputObject, Debug, Serialize)]
pub struct SubmitApplicationInput {
    pub round_id: String,
    pub title: String,
    pub description: String,
    pub amount_requested: MoneyValue,
    pub neighbourhood: GeoCodeValue,
    pub themes: Vec<String>,
    /// The applicant organisation's name (the organisation is the token's). Needed on the
    /// organisation's first application; later ones reuse the name on its awards.
    pub applicant_name: Option<String>,
    /// The organisation applying: required when the caller is a member of more than one,
    /// else their one organisation. (Left out of the request digest when absent, so a
    /// retry from before the field existed is the same request.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<String>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct ApplicationInput {
    pub application_id: String,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct ScoreApplicationInput {
    pub application_id: String,
    /// 1 to 5.
    pub score: i32,
    pub comment: String,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct ApproveApplicationInput {
    pub application_id: String,
    /// At most the amount requested, within the round's remaining budget.
    pub amount: MoneyValue,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct DeclineApplicationInput {
    pub application_id: String,
    pub reason: String,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct AwardInput {
    pub award_id: String,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct RequestDrawdownInput {
    pub award_id: String,
    pub amount: MoneyValue,
    pub purpose: String,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct DrawdownInput {
    pub award_id: String,
    pub drawdown_id: String,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct RejectDrawdownInput {
    pub award_id: String,
    pub drawdown_id: String,
    pub reason: String,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct RecordPaymentInput {
    pub award_id: String,
    pub drawdown_id: String,
    pub payment_ref: String,
    /// The date the money was paid: not after the ledger's business date (today in
    /// Europe/London) and not before the drawdown was approved.
    pub paid_on: DateValue,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct SpendLineInput {
    pub category: String,
    pub amount: MoneyValue,
}

#[derive(InputObject, Debug, Serialize)]
pub struct ReportSpendInput {
    pub award_id: String,
    /// Not before the award was made, nor after `periodEnd`.
    pub period_start: DateValue,
    /// Not after the ledger's business date (today in Europe/London).
    pub period_end: DateValue,
    pub lines: Vec<SpendLineInput>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct ReportOutcomeInput {
    pub award_id: String,
    /// One of the indicators the award's fund has an outcome proxy for
    /// (`setOutcomeProxy`): any other could not be valued and is refused, with the list.
    pub indicator: String,
    pub quantity: DecimalValue,
    /// Not before the award was made, nor after the ledger's business date (today in
    /// Europe/London).
    pub period_end: DateValue,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct SetOutcomeProxyInput {
    pub fund_id: String,
    /// The indicator grantees report (`reportOutcome`), matched exactly after trimming.
    pub indicator: String,
    /// What one unit is ("hour", "person into work").
    pub unit: String,
    /// The financial proxy: the value of one unit.
    pub value_per_unit: MoneyValue,
    /// Share (0 to 1, at most 4 places) that would have happened anyway.
    pub deadweight: DecimalValue,
    /// Share (0 to 1) owed to others.
    pub attribution: DecimalValue,
    /// Share (0 to 1) that only moved elsewhere.
    pub displacement: DecimalValue,
    /// Share (0 to 1) by which the outcome falls each year after the first.
    pub drop_off: DecimalValue,
    /// Years the outcome lasts: 1 to 10.
    pub duration_years: i32,
    /// The date this version is in force from (default: today). Outcomes dated before it
    /// keep the version in force then; a later date announces a version ahead; an earlier
    /// one (not before the fund was established) re-values outcomes from that date.
    pub effective_from: Option<DateValue>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Serialize)]
pub struct VaryAwardInput {
    pub award_id: String,
    pub new_amount: MoneyValue,
    pub reason: String,
    /// The award's new budget lines, summing exactly to `newAmount`. Required when the
    /// award has budget lines (they change only through a variation once the agreement
    /// is accepted); may give an award without them its first.
    pub budget_lines: Option<Vec<BudgetLineInput>>,
    pub idempotency_key: Option<String>,
}

/// One budget line: a category (free text, trimmed, unique within the award without
/// regard to case, at most 100 characters) and its amount.
#[derive(InputObject, Debug, Serialize)]
pub struct BudgetLineInput {
    pub category: String,
    pub amount: MoneyValue,
}

#[derive(InputObject, Debug, Serialize)]
pub struct SetBudgetLinesInput {
    pub award_id: String,
    /// At most 50 lines, summing exactly to the award.
    pub lines: Vec<BudgetLineInput>,
    pub idempotency_key: Option<String>,
}

/// The domain's budget lines from the input, after the API's size checks.
fn budget_lines(lines: &[BudgetLineInput]) -> GqlResult<Vec<BudgetLine>> {
    check_count("budgetLines", lines.len(), MAX_BUDGET_LINES)?;
    lines
        .iter()
        .map(|line| {
            check_line("category", &line.category)?;
            Ok(BudgetLine {
                category: line.category.trim().to_string(),
                amount: line.amount.money(),
            })
        })
        .collect()
}

#[derive(InputObject, Debug, Serialize)]
pub struct RecordReturnInput {
    pub award_id: String,
    pub amount: MoneyValue,
    pub reason: String,
    pub idempotency_key: Option<String>,
}

// ---------------------------------------------------------------- mutations

/// The organisation a member applies for: the one named (which they must be a member of),
/// else their only one; a member of several must name it.
fn applicant_org(ctx: &Context<'_>, named: Option<&str>) -> GqlResult<OrgId> {
    let viewer = require_any_member(ctx)?;
    match named.map(str::trim).filter(|org| !org.is_empty()) {
        Some(org) => {
            let org = OrgId::new(org);
            require_member_of(ctx, &org)?;
            Ok(org)
        }
        None => match viewer.roles().only_org() {
            Some(org) => Ok(org.clone()),
            None => Err(coded(
                "you act for more than one organisation: name the one applying in organisationId",
                BAD_INPUT,
            )),
        },
    }
}

/// A person who establishes a fund becomes an officer of it (an operator's JWT has no
/// person: its unscoped admin role covers every fund already). The fund exists either
/// way; a failed grant is reported so the owner can grant it again.
async fn grant_officer_of_new_fund(
    ctx: &Context<'_>,
    viewer: &super::auth::Viewer,
    fund: &FundId,
) -> GqlResult<()> {
    let Some(person) = viewer.person() else {
        return Ok(());
    };
    let role = infrastructure::accounts::ScopedRole::officer(fund);
    infrastructure::accounts::grants::grant_role(state(ctx).database(), person, &role, &viewer.actor())
        .await
        .map(|_| ())
        .map_err(|error| {
            tracing::warn!(%error, %fund, "could not grant the fund's founder its officer role");
            coded(
                format!("fund {fund} was established, but granting you its officer role failed ({error}); retry the grant"),
                super::errors::UNAVAILABLE,
            )
        })
}

pub struct Mutation;

// Merged into the schema's `Mutation` (schema.rs), under a name of its own.
#[Object(name = "LedgerMutation")]
impl Mutation {
    /// Admin: sets up a fund.
    async fn establish_fund(
        &self,
        ctx: &Context<'_>,
        input: EstablishFundInput,
    ) -> GqlResult<FundPayload> {
        let viewer = require_owner(ctx)?;
        check_line("name", &input.name)?;
        check_line("funderName", &input.funder_name)?;
        check_line("funderOrgId", &input.funder_org_id)?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let ledger = &state(ctx).ledger;
        let funder = OrgId::new(input.funder_org_id.trim());
        let outcome = run(
            ctx,
            "establish_fund",
            ledger.establish_fund_on(
                &request,
                &input.name,
                &funder,
                &input.funder_name,
                input.established_on.map_or(request.today, |day| day.0),
            ),
        )
        .await?;
        grant_officer_of_new_fund(ctx, viewer, &outcome.value).await?;
        Ok(FundPayload {
            position: outcome.position,
            fund_id: outcome.value,
        })
    }

    /// Admin: records capital received into a fund.
    async fn receive_capital(
        &self,
        ctx: &Context<'_>,
        input: ReceiveCapitalInput,
    ) -> GqlResult<FundPayload> {
        let viewer = require_officer_of(ctx, &FundId::new(input.fund_id.trim()))?;
        check_line("source", &input.source)?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let fund_id = FundId::new(input.fund_id.trim());
        let outcome = run(
            ctx,
            "receive_capital",
            state(ctx).ledger.receive_capital(
                &request,
                &fund_id,
                input.amount.money(),
                &input.source,
                input.received_on.0,
            ),
        )
        .await?;
        Ok(FundPayload {
            position: outcome.position,
            fund_id: outcome.value,
        })
    }

    /// Admin: sets how a fund values one outcome indicator; setting it again replaces it.
    /// Social value is always computed with the current proxies.
    async fn set_outcome_proxy(
        &self,
        ctx: &Context<'_>,
        input: SetOutcomeProxyInput,
    ) -> GqlResult<FundPayload> {
        let viewer = require_officer_of(ctx, &FundId::new(input.fund_id.trim()))?;
        check_line("indicator", &input.indicator)?;
        check_line("unit", &input.unit)?;
        let duration_years = u32::try_from(input.duration_years).map_err(|_| {
            coded(
                format!(
                    "durationYears of {} is not a number of years; give 1 to 10",
                    input.duration_years
                ),
                BAD_INPUT,
            )
        })?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let fund_id = FundId::new(input.fund_id.trim());
        let outcome = run(
            ctx,
            "set_outcome_proxy",
            state(ctx).ledger.set_outcome_proxy(
                &request,
                SetOutcomeProxy {
                    fund_id,
                    indicator: input.indicator.clone(),
                    unit: input.unit.clone(),
                    value_per_unit: input.value_per_unit.money(),
                    deadweight: input.deadweight.0,
                    attribution: input.attribution.0,
                    displacement: input.displacement.0,
                    drop_off: input.drop_off.0,
                    duration_years,
                    effective_from: input.effective_from.map(|day| day.0),
                },
            ),
        )
        .await?;
        Ok(FundPayload {
            position: outcome.position,
            fund_id: outcome.value,
        })
    }

    /// Admin: declares (or replaces, from today) one of the fund's named lists of priority
    /// areas, shown by `equity { priorityLists }`. Every code must be in the reference
    /// geography (BAD_INPUT names those that are not); the same list again writes nothing.
    async fn declare_priority_areas(
        &self,
        ctx: &Context<'_>,
        input: super::priority::DeclarePriorityAreasInput,
    ) -> GqlResult<FundPayload> {
        let viewer = require_officer_of(ctx, &FundId::new(input.fund_id.trim()))?;
        check_line("name", &input.name)?;
        check_count("areas", input.areas.len(), domain::fund::MAX_PRIORITY_AREAS)?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let outcome = run(
            ctx,
            "declare_priority_areas",
            state(ctx).ledger.declare_priority_areas(
                &request,
                infrastructure::ledger::DeclarePriorityAreas {
                    fund_id: FundId::new(input.fund_id.trim()),
                    list_name: input.name.clone(),
                    areas: input.areas.iter().map(|code| code.0.clone()).collect(),
                },
            ),
        )
        .await?;
        Ok(FundPayload {
            position: outcome.position,
            fund_id: outcome.value,
        })
    }

    /// Admin: sets a budget aside from the fund and opens a round with it.
    async fn open_round(
        &self,
        ctx: &Context<'_>,
        input: OpenRoundInput,
    ) -> GqlResult<RoundPayload> {
        let viewer = require_officer_of(ctx, &FundId::new(input.fund_id.trim()))?;
        check_line("name", &input.name)?;
        check_themes(&input.themes)?;
        check_count(
            "eligibleAreas",
            input.eligible_areas.len(),
            MAX_ELIGIBLE_AREAS,
        )?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let command = OpenRound {
            fund_id: FundId::new(input.fund_id.trim()),
            name: input.name.clone(),
            budget: input.budget.money(),
            opens_on: input.opens_on.0,
            closes_on: input.closes_on.0,
            eligible_areas: input
                .eligible_areas
                .iter()
                .map(|code| code.0.clone())
                .collect(),
            themes: input.themes.clone(),
            decision_mode: input.decision_mode.into(),
            min_panel_scores: input.min_panel_scores,
            panel_sees_scores: input.panel_sees_scores.unwrap_or_default().into(),
        };
        let outcome = run(
            ctx,
            "open_round",
            state(ctx).ledger.open_round(&request, command),
        )
        .await?;
        Ok(RoundPayload {
            position: outcome.position,
            round_id: outcome.value,
        })
    }

    /// Admin: closes a round; its unawarded budget returns to the fund.
    async fn close_round(&self, ctx: &Context<'_>, input: RoundInput) -> GqlResult<RoundPayload> {
        let viewer = require_officer_of_round(ctx, &RoundId::new(input.round_id.trim())).await?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let round_id = RoundId::new(input.round_id.trim());
        let outcome = run(
            ctx,
            "close_round",
            state(ctx).ledger.close_round(&request, &round_id),
        )
        .await?;
        Ok(RoundPayload {
            position: outcome.position,
            round_id: outcome.value,
        })
    }

    /// Admin: issues `count` ballot codes for a PARTICIPATORY round and returns them, once.
    async fn issue_ballot_codes(
        &self,
        ctx: &Context<'_>,
        input: IssueBallotCodesInput,
    ) -> GqlResult<BallotCodesPayload> {
        require_signed_in(ctx)?;
        let count = usize::try_from(input.count).unwrap_or(0);
        if count == 0 || count > MAX_BALLOT_CODES_PER_REQUEST {
            return Err(coded(
                format!(
                    "count must be between 1 and {MAX_BALLOT_CODES_PER_REQUEST}, not {}",
                    input.count
                ),
                BAD_INPUT,
            ));
        }
        // The digest covers the round and the count, not the fresh codes: a retry is the
        // same request.
        let viewer = require_officer_of_round(ctx, &RoundId::new(input.round_id.trim())).await?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let round_id = RoundId::new(input.round_id.trim());
        let codes: Vec<String> = (0..count).map(|_| random_code()).collect();
        let outcome = run(
            ctx,
            "issue_ballot_codes",
            state(ctx)
                .ledger
                .issue_ballot_codes(&request, &round_id, codes),
        )
        .await?;
        Ok(BallotCodesPayload {
            position: outcome.position,
            round_id,
            batch_id: outcome.value.batch_id,
            count: outcome.value.count,
            codes: outcome.value.codes,
            replayed: outcome.value.replayed,
        })
    }

    /// Anyone holding a ballot code (no token needed; the code is the credential): votes
    /// once in a PARTICIPATORY round. A wrong code is FORBIDDEN, said the same way whether
    /// or not the code exists anywhere; a used one is a CONFLICT. The budget follows the
    /// votes (see allocateByVotes); equal votes go to the application submitted first in
    /// the ledger's event log, never to the lower id.
    async fn cast_ballot(
        &self,
        ctx: &Context<'_>,
        input: CastBallotInput,
    ) -> GqlResult<RoundPayload> {
        check_count(
            "applicationIds",
            input.application_ids.len(),
            MAX_CHOICES_PER_BALLOT,
        )?;
        check_line("ballotCode", &input.ballot_code)?;
        let round_id = RoundId::new(input.round_id.trim());
        throttle_ballot(ctx, &round_id).await?;
        let application_ids: Vec<ApplicationId> = input
            .application_ids
            .iter()
            .map(|id| ApplicationId::new(id.trim()))
            .collect();
        let hash = hash_code(&round_id, &input.ballot_code);
        let key = match input.idempotency_key.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(key) if key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS => {
                return Err(coded(
                    format!("idempotencyKey is longer than {MAX_IDEMPOTENCY_KEY_CHARS} characters"),
                    BAD_INPUT,
                ))
            }
            // Scoped to the ballot, so one voter's key never replays another's result.
            Some(key) => Some(format!("{hash}/{key}")),
        };
        // Ballots are secret: whoever calls (with a token or not) is recorded only as a
        // voter, and the request digest covers the code's hash, never the code.
        let digest = (round_id.as_str(), hash.as_str(), &application_ids);
        let request = Request::new(VOTER, infrastructure::business_today()).with_key(key, &digest);
        let outcome = run(
            ctx,
            "cast_ballot",
            state(ctx).ledger.cast_ballot(
                &request,
                &round_id,
                &input.ballot_code,
                &application_ids,
            ),
        )
        .await?;
        Ok(RoundPayload {
            position: outcome.position,
            round_id: outcome.value,
        })
    }

    /// Admin: closes voting in a PARTICIPATORY round and approves in vote order while
    /// budget remains (each for its full request; one that doesn't fit is passed over).
    /// Between equal votes the application whose submission the ledger's event log
    /// recorded first comes first: the store gives that order, so no applicant can choose
    /// it (an id or a date could be). The order used is recorded in the round's
    /// VotesAllocated event with each application's place in the log.
    async fn allocate_by_votes(
        &self,
        ctx: &Context<'_>,
        input: RoundInput,
    ) -> GqlResult<RoundPayload> {
        let viewer = require_officer_of_round(ctx, &RoundId::new(input.round_id.trim())).await?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let round_id = RoundId::new(input.round_id.trim());
        let outcome = run(
            ctx,
            "allocate_by_votes",
            state(ctx).ledger.allocate_by_votes(&request, &round_id),
        )
        .await?;
        Ok(RoundPayload {
            position: outcome.position,
            round_id: outcome.value,
        })
    }

    /// Grantee: applies to an open round for the token's organisation.
    async fn submit_application(
        &self,
        ctx: &Context<'_>,
        input: SubmitApplicationInput,
    ) -> GqlResult<ApplicationPayload> {
        let org = applicant_org(ctx, input.organisation_id.as_deref())?;
        check_line("title", &input.title)?;
        check_text("description", &input.description)?;
        check_themes(&input.themes)?;
        let applicant_name = match input.applicant_name.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => {
                check_line("applicantName", name)?;
                name.to_string()
            }
            _ => known_name(ctx, &org).await?,
        };
        let request = ledger_request(viewer(ctx), input.idempotency_key.as_deref(), &input)?;
        let command = SubmitApplication {
            round_id: RoundId::new(input.round_id.trim()),
            applicant: org,
            applicant_name,
            title: input.title.clone(),
            description: input.description.clone(),
            amount_requested: input.amount_requested.money(),
            neighbourhood: input.neighbourhood.0.clone(),
            themes: input.themes.clone(),
        };
        let outcome = run(
            ctx,
            "submit_application",
            state(ctx).ledger.submit_application(&request, command),
        )
        .await?;
        Ok(application_payload(outcome))
    }

    /// Grantee: withdraws its own application before a decision.
    async fn withdraw_application(
        &self,
        ctx: &Context<'_>,
        input: ApplicationInput,
    ) -> GqlResult<ApplicationPayload> {
        let org =
            require_member_of_application(ctx, &ApplicationId::new(input.application_id.trim()))
                .await?;
        let request = ledger_request(viewer(ctx), input.idempotency_key.as_deref(), &input)?;
        let id = ApplicationId::new(input.application_id.trim());
        let outcome = run(
            ctx,
            "withdraw_application",
            state(ctx).ledger.withdraw_application(&request, &id, &org),
        )
        .await?;
        Ok(application_payload(outcome))
    }

    /// Panel: declares a conflict of interest (the member's score, if any, is set aside).
    async fn declare_conflict(
        &self,
        ctx: &Context<'_>,
        input: ApplicationInput,
    ) -> GqlResult<ApplicationPayload> {
        let member =
            require_panel_of_application(ctx, &ApplicationId::new(input.application_id.trim()))
                .await?;
        let request = ledger_request(viewer(ctx), input.idempotency_key.as_deref(), &input)?;
        let id = ApplicationId::new(input.application_id.trim());
        let outcome = run(
            ctx,
            "declare_conflict",
            state(ctx).ledger.declare_conflict(&request, &id, &member),
        )
        .await?;
        Ok(application_payload(outcome))
    }

    /// Panel: scores an application from 1 to 5.
    async fn score_application(
        &self,
        ctx: &Context<'_>,
        input: ScoreApplicationInput,
    ) -> GqlResult<ApplicationPayload> {
        require_signed_in(ctx)?;
        check_text("comment", &input.comment)?;
        let score = u8::try_from(input.score)
            .map_err(|_| format!("a score is a whole number from 1 to 5, not {}", input.score))
            .and_then(Score::new)
            .map_err(|message| coded(message, BAD_INPUT))?;
        let member =
            require_panel_of_application(ctx, &ApplicationId::new(input.application_id.trim()))
                .await?;
        let request = ledger_request(viewer(ctx), input.idempotency_key.as_deref(), &input)?;
        let id = ApplicationId::new(input.application_id.trim());
        let outcome = run(
            ctx,
            "score_application",
            state(ctx)
                .ledger
                .score_application(&request, &id, &member, score, &input.comment),
        )
        .await?;
        Ok(application_payload(outcome))
    }

    /// Admin: approves an application for an amount, which makes the award.
    async fn approve_application(
        &self,
        ctx: &Context<'_>,
        input: ApproveApplicationInput,
    ) -> GqlResult<AwardPayload> {
        let viewer =
            require_officer_of_application(ctx, &ApplicationId::new(input.application_id.trim()))
                .await?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let id = ApplicationId::new(input.application_id.trim());
        let outcome = run(
            ctx,
            "approve_application",
            state(ctx)
                .ledger
                .approve_application(&request, &id, input.amount.money()),
        )
        .await?;
        Ok(AwardPayload {
            position: outcome.position,
            award_id: outcome.value,
            application_id: Some(id),
        })
    }

    /// Admin: declines an application.
    async fn decline_application(
        &self,
        ctx: &Context<'_>,
        input: DeclineApplicationInput,
    ) -> GqlResult<ApplicationPayload> {
        require_signed_in(ctx)?;
        check_text("reason", &input.reason)?;
        let viewer =
            require_officer_of_application(ctx, &ApplicationId::new(input.application_id.trim()))
                .await?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let id = ApplicationId::new(input.application_id.trim());
        let outcome = run(
            ctx,
            "decline_application",
            state(ctx)
                .ledger
                .decline_application(&request, &id, &input.reason),
        )
        .await?;
        Ok(application_payload(outcome))
    }

    /// Grantee (own award): accepts the grant agreement.
    async fn accept_agreement(
        &self,
        ctx: &Context<'_>,
        input: AwardInput,
    ) -> GqlResult<AwardPayload> {
        let org = require_member_of_award(ctx, &AwardId::new(input.award_id.trim())).await?;
        let request = ledger_request(viewer(ctx), input.idempotency_key.as_deref(), &input)?;
        let id = AwardId::new(input.award_id.trim());
        let outcome = run(
            ctx,
            "accept_agreement",
            state(ctx).ledger.accept_agreement(&request, &id, &org),
        )
        .await?;
        Ok(award_payload(outcome))
    }

    /// Grantee (own award): asks for part of the award to be paid.
    async fn request_drawdown(
        &self,
        ctx: &Context<'_>,
        input: RequestDrawdownInput,
    ) -> GqlResult<DrawdownPayload> {
        require_signed_in(ctx)?;
        check_text("purpose", &input.purpose)?;
        let org = require_member_of_award(ctx, &AwardId::new(input.award_id.trim())).await?;
        let request = ledger_request(viewer(ctx), input.idempotency_key.as_deref(), &input)?;
        let id = AwardId::new(input.award_id.trim());
        let outcome = run(
            ctx,
            "request_drawdown",
            state(ctx).ledger.request_drawdown(
                &request,
                &id,
                &org,
                input.amount.money(),
                &input.purpose,
            ),
        )
        .await?;
        Ok(DrawdownPayload {
            position: outcome.position,
            award_id: id,
            drawdown_id: outcome.value,
        })
    }

    /// Admin: approves a requested drawdown for payment.
    async fn approve_drawdown(
        &self,
        ctx: &Context<'_>,
        input: DrawdownInput,
    ) -> GqlResult<DrawdownPayload> {
        let viewer = require_officer_of_award(ctx, &AwardId::new(input.award_id.trim())).await?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let id = AwardId::new(input.award_id.trim());
        let drawdown = DrawdownId::new(input.drawdown_id.trim());
        let outcome = run(
            ctx,
            "approve_drawdown",
            state(ctx).ledger.approve_drawdown(&request, &id, &drawdown),
        )
        .await?;
        Ok(DrawdownPayload {
            position: outcome.position,
            award_id: id,
            drawdown_id: drawdown,
        })
    }

    /// Admin: rejects a requested drawdown with a reason.
    async fn reject_drawdown(
        &self,
        ctx: &Context<'_>,
        input: RejectDrawdownInput,
    ) -> GqlResult<DrawdownPayload> {
        require_signed_in(ctx)?;
        check_text("reason", &input.reason)?;
        let viewer = require_officer_of_award(ctx, &AwardId::new(input.award_id.trim())).await?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let id = AwardId::new(input.award_id.trim());
        let drawdown = DrawdownId::new(input.drawdown_id.trim());
        let outcome = run(
            ctx,
            "reject_drawdown",
            state(ctx)
                .ledger
                .reject_drawdown(&request, &id, &drawdown, &input.reason),
        )
        .await?;
        Ok(DrawdownPayload {
            position: outcome.position,
            award_id: id,
            drawdown_id: drawdown,
        })
    }

    /// Admin: records the payment of an approved drawdown.
    async fn record_payment(
        &self,
        ctx: &Context<'_>,
        input: RecordPaymentInput,
    ) -> GqlResult<DrawdownPayload> {
        require_signed_in(ctx)?;
        check_line("paymentRef", &input.payment_ref)?;
        let viewer = require_officer_of_award(ctx, &AwardId::new(input.award_id.trim())).await?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let id = AwardId::new(input.award_id.trim());
        let drawdown = DrawdownId::new(input.drawdown_id.trim());
        let outcome = run(
            ctx,
            "record_payment",
            state(ctx).ledger.record_payment(
                &request,
                &id,
                &drawdown,
                &input.payment_ref,
                input.paid_on.0,
            ),
        )
        .await?;
        Ok(DrawdownPayload {
            position: outcome.position,
            award_id: id,
            drawdown_id: drawdown,
        })
    }

    /// Grantee (own award): reports spend for a period, by category. Only after the
    /// agreement is accepted; periods of one award never overlap (the overlapping
    /// report's period is named); on an award with budget lines each category must be one
    /// of them (any case; refused with the list). Spend above what was paid is accepted
    /// and flagged (`Award.spentAbovePaid`).
    async fn report_spend(
        &self,
        ctx: &Context<'_>,
        input: ReportSpendInput,
    ) -> GqlResult<AwardPayload> {
        require_signed_in(ctx)?;
        check_count("lines", input.lines.len(), MAX_SPEND_LINES)?;
        for line in &input.lines {
            check_line("category", &line.category)?;
        }
        let org = require_member_of_award(ctx, &AwardId::new(input.award_id.trim())).await?;
        let request = ledger_request(viewer(ctx), input.idempotency_key.as_deref(), &input)?;
        let id = AwardId::new(input.award_id.trim());
        let lines = input
            .lines
            .iter()
            .map(|line| SpendLine {
                category: line.category.trim().to_string(),
                amount: line.amount.money(),
            })
            .collect();
        let outcome = run(
            ctx,
            "report_spend",
            state(ctx).ledger.report_spend(
                &request,
                &id,
                &org,
                input.period_start.0,
                input.period_end.0,
                lines,
            ),
        )
        .await?;
        Ok(award_payload(outcome))
    }

    /// Grantee (own award): reports an outcome indicator's quantity for a period.
    async fn report_outcome(
        &self,
        ctx: &Context<'_>,
        input: ReportOutcomeInput,
    ) -> GqlResult<AwardPayload> {
        require_signed_in(ctx)?;
        check_line("indicator", &input.indicator)?;
        let org = require_member_of_award(ctx, &AwardId::new(input.award_id.trim())).await?;
        let request = ledger_request(viewer(ctx), input.idempotency_key.as_deref(), &input)?;
        let id = AwardId::new(input.award_id.trim());
        let outcome = run(
            ctx,
            "report_outcome",
            state(ctx).ledger.report_outcome(
                &request,
                &id,
                &org,
                &input.indicator,
                input.quantity.0,
                input.period_end.0,
            ),
        )
        .await?;
        Ok(award_payload(outcome))
    }

    /// Admin: changes an award's amount (a cut returns budget to the round; an increase
    /// takes it from the round).
    async fn vary_award(
        &self,
        ctx: &Context<'_>,
        input: VaryAwardInput,
    ) -> GqlResult<AwardPayload> {
        require_signed_in(ctx)?;
        check_text("reason", &input.reason)?;
        let lines = input
            .budget_lines
            .as_deref()
            .map(budget_lines)
            .transpose()?;
        let viewer = require_officer_of_award(ctx, &AwardId::new(input.award_id.trim())).await?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let id = AwardId::new(input.award_id.trim());
        let outcome = run(
            ctx,
            "vary_award",
            state(ctx).ledger.vary_award(
                &request,
                &id,
                input.new_amount.money(),
                &input.reason,
                lines,
            ),
        )
        .await?;
        Ok(award_payload(outcome))
    }

    /// Admin: sets an award's budget lines (category → amount, summing exactly to the
    /// award) before the grantee accepts the agreement; setting them again replaces them.
    /// Once the agreement is accepted they change only through `varyAward`.
    async fn set_budget_lines(
        &self,
        ctx: &Context<'_>,
        input: SetBudgetLinesInput,
    ) -> GqlResult<AwardPayload> {
        require_signed_in(ctx)?;
        let lines = budget_lines(&input.lines)?;
        let viewer = require_officer_of_award(ctx, &AwardId::new(input.award_id.trim())).await?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let id = AwardId::new(input.award_id.trim());
        let outcome = run(
            ctx,
            "set_budget_lines",
            state(ctx).ledger.set_budget_lines(&request, &id, lines),
        )
        .await?;
        Ok(award_payload(outcome))
    }

    /// Admin: records unspent or clawed-back money returned to the fund.
    async fn record_return(
        &self,
        ctx: &Context<'_>,
        input: RecordReturnInput,
    ) -> GqlResult<AwardPayload> {
        require_signed_in(ctx)?;
        check_text("reason", &input.reason)?;
        let viewer = require_officer_of_award(ctx, &AwardId::new(input.award_id.trim())).await?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let id = AwardId::new(input.award_id.trim());
        let outcome = run(
            ctx,
            "record_return",
            state(ctx)
                .ledger
                .record_return(&request, &id, input.amount.money(), &input.reason),
        )
        .await?;
        Ok(award_payload(outcome))
    }

    /// Grantee (own award) or admin: records match funding, an in-kind contribution or
    /// volunteer time that went into an award's work, valued in pounds and dated. It counts
    /// in the social return's investment (`socialReturn.inputs`).
    async fn record_input(
        &self,
        ctx: &Context<'_>,
        input: super::social::RecordInputInput,
    ) -> GqlResult<AwardPayload> {
        super::social::record_input(ctx, input).await
    }

    /// Admin: closes an award.
    async fn close_award(&self, ctx: &Context<'_>, input: AwardInput) -> GqlResult<AwardPayload> {
        let viewer = require_officer_of_award(ctx, &AwardId::new(input.award_id.trim())).await?;
        let request = ledger_request(viewer, input.idempotency_key.as_deref(), &input)?;
        let id = AwardId::new(input.award_id.trim());
        let outcome = run(
            ctx,
            "close_award",
            state(ctx).ledger.close_award(&request, &id),
        )
        .await?;
        Ok(award_payload(outcome))
    }
}
