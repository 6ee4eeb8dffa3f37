//! The GraphQL object types, each a view of a read-model row. Private fields check the
//! viewer before answering: panel workings (scores, conflicts) for admin and panel only;
//! drawdowns and payment references for admin and the recipient only; applications that
//! were not approved for admin, panel and their own applicant only.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, ErrorExtensions, Object, SimpleObject};
use domain::{ApplicationId, AwardId, FundId, GeoCode, RoundId};
use infrastructure::personal::ApplicationTexts;
use projections::read;
use rust_decimal::Decimal;

use super::auth::Viewer;
use super::context::{payload_projected, state, viewer};
use super::erasure_api::{shown_names, shown_text, shown_texts};
use super::errors::{coded, ApiError, Coded, GqlResult, FORBIDDEN};
use super::scalars::{DateValue, DecimalValue, GeoCodeValue, MoneyValue};
use super::schema::UNPAGED_LIST_ITEMS;

/// Rows a page returns when the client names no `first`.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The most rows one page may ask for (the read side's own cap).
pub const MAX_PAGE_SIZE: u32 = read::MAX_PAGE_SIZE;

/// `first` checked against `MAX_PAGE_SIZE`: a larger page is refused, not silently cut.
pub fn page_size(first: Option<i32>) -> GqlResult<u32> {
    match first {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(first) if first >= 1 && first as u32 <= MAX_PAGE_SIZE => Ok(first as u32),
        Some(first) => Err(ApiError::BadInput(format!(
            "first must be from 1 to {MAX_PAGE_SIZE}, not {first}"
        )))
        .coded(),
    }
}

pub(crate) fn money(amount: Decimal) -> MoneyValue {
    MoneyValue(amount)
}

pub(crate) fn geo(code: &str) -> GqlResult<GeoCodeValue> {
    code.parse::<GeoCode>()
        .map(GeoCodeValue)
        .map_err(|error| ApiError::Internal(format!("stored area code: {error}")))
        .coded()
}

// ---------------------------------------------------------------- funds

/// A fund: capital in, budgets out to rounds, awards and payments.
pub struct Fund(pub read::FundPosition);

#[Object]
impl Fund {
    async fn id(&self) -> &str {
        self.0.fund_id.as_str()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The funder's 360Giving organisation id.
    async fn funder_org_id(&self) -> &str {
        &self.0.funder_org_id
    }
    async fn funder_name(&self) -> &str {
        &self.0.funder_name
    }
    async fn established_on(&self) -> DateValue {
        DateValue(self.0.established_on)
    }
    /// The fund's position now, or at the end of `asOf`.
    async fn position(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateValue>,
    ) -> GqlResult<FundPosition> {
        let Some(as_of) = as_of else {
            return Ok(FundPosition(self.0.clone()));
        };
        let position = read::fund_position(state(ctx).database(), &self.0.fund_id, Some(as_of.0))
            .await
            .coded()?
            .ok_or_else(|| ApiError::NotFound(format!("fund {} does not exist", self.0.fund_id)))
            .coded()?;
        Ok(FundPosition(position))
    }
    /// How the fund values outcome indicators (its social-return assumptions), by
    /// indicator.
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn outcome_proxies(&self, ctx: &Context<'_>) -> GqlResult<Vec<OutcomeProxy>> {
        let proxies = read::outcome_proxies(state(ctx).database(), &self.0.fund_id)
            .await
            .coded()?;
        Ok(proxies.into_iter().map(OutcomeProxy::from).collect())
    }
    /// Every version of the fund's outcome proxies, by indicator then in the order set:
    /// each outcome is valued with the version in force on its date.
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn outcome_proxy_versions(
        &self,
        ctx: &Context<'_>,
    ) -> GqlResult<Vec<super::social::ProxyVersion>> {
        let versions = read::outcome_proxy_versions(state(ctx).database(), &self.0.fund_id)
            .await
            .coded()?;
        Ok(versions
            .into_iter()
            .map(super::social::ProxyVersion)
            .collect())
    }
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn rounds(
        &self,
        ctx: &Context<'_>,
        status: Option<RoundStatus>,
    ) -> GqlResult<Vec<Round>> {
        let rounds = read::rounds(
            state(ctx).database(),
            Some(&self.0.fund_id),
            status.map(Into::into),
        )
        .await
        .coded()?;
        Ok(rounds.into_iter().map(Round).collect())
    }
    /// The fund's awarded, paid, returned, disbursed and reported spend period by period,
    /// up to now or the end of `asOf`; `interval` chosen for the span when not given.
    async fn money_over_time(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateValue>,
        interval: Option<super::money_over_time::SeriesInterval>,
    ) -> GqlResult<super::money_over_time::MoneyOverTime> {
        let scope = read::SeriesScope::Fund(self.0.fund_id.clone());
        super::money_over_time::money_over_time(ctx, scope, as_of, interval).await
    }
}

/// Where a fund's money is, in pounds.
pub struct FundPosition(pub read::FundPosition);

#[Object]
impl FundPosition {
    /// The date the figures are as of; null for now.
    async fn as_of(&self) -> Option<DateValue> {
        self.0.as_of.map(DateValue)
    }
    /// Σ capital received: money that came into the fund.
    async fn capital_received(&self) -> MoneyValue {
        money(self.0.capital_received)
    }
    /// Budgets set aside for rounds minus money released back from them (a round's
    /// unawarded budget at its close, cuts after it, a closed award's undrawn part).
    async fn allocated(&self) -> MoneyValue {
        money(self.0.allocated)
    }
    /// Σ awarded over the fund's awards: approvals after variations, a closed award at
    /// what it cost, historic grants at their published amount.
    async fn awarded(&self) -> MoneyValue {
        money(self.0.awarded)
    }
    /// paid − returned: what grantees kept.
    async fn disbursed(&self) -> MoneyValue {
        money(self.0.disbursed)
    }
    /// Σ payments recorded, before returns; historic grants add their published
    /// amountDisbursed.
    async fn paid(&self) -> MoneyValue {
        money(self.0.paid)
    }
    /// Σ money grantees gave back; it is credited to available once.
    async fn returned(&self) -> MoneyValue {
        money(self.0.returned)
    }
    /// capital received − allocated + returned: money not promised to any round, which
    /// the fund may allocate. Historic grants never change it.
    async fn available(&self) -> MoneyValue {
        money(self.0.available)
    }
}

// ---------------------------------------------------------------- rounds

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum RoundStatus {
    Open,
    Closed,
}

impl From<RoundStatus> for read::RoundStatus {
    fn from(status: RoundStatus) -> read::RoundStatus {
        match status {
            RoundStatus::Open => read::RoundStatus::Open,
            RoundStatus::Closed => read::RoundStatus::Closed,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, serde::Serialize)]
pub enum DecisionMode {
    /// A panel scores applications; an officer approves.
    Panel,
    /// Residents vote; approvals follow the vote order.
    Participatory,
}

impl From<DecisionMode> for domain::round::DecisionMode {
    fn from(mode: DecisionMode) -> domain::round::DecisionMode {
        match mode {
            DecisionMode::Panel => domain::round::DecisionMode::Panel,
            DecisionMode::Participatory => domain::round::DecisionMode::Participatory,
        }
    }
}

/// When a round's panel members see each other's scores and comments.
#[derive(Enum, Copy, Clone, Default, Eq, PartialEq, Debug, serde::Serialize)]
pub enum PanelSeesScores {
    /// Once they have scored the application themselves (the default).
    #[default]
    AfterOwnScore,
    /// Always.
    Always,
}

impl From<PanelSeesScores> for domain::round::PanelSeesScores {
    fn from(choice: PanelSeesScores) -> domain::round::PanelSeesScores {
        match choice {
            PanelSeesScores::AfterOwnScore => domain::round::PanelSeesScores::AfterOwnScore,
            PanelSeesScores::Always => domain::round::PanelSeesScores::Always,
        }
    }
}

impl From<domain::round::PanelSeesScores> for PanelSeesScores {
    fn from(choice: domain::round::PanelSeesScores) -> PanelSeesScores {
        match choice {
            domain::round::PanelSeesScores::AfterOwnScore => PanelSeesScores::AfterOwnScore,
            domain::round::PanelSeesScores::Always => PanelSeesScores::Always,
        }
    }
}

#[derive(SimpleObject)]
pub struct ApplicationCounts {
    pub submitted: i64,
    pub withdrawn: i64,
    pub declined: i64,
    pub approved: i64,
    pub total: i64,
}

pub struct Round(pub read::RoundSummary);

#[Object]
impl Round {
    async fn id(&self) -> &str {
        self.0.round_id.as_str()
    }
    async fn fund_id(&self) -> &str {
        self.0.fund_id.as_str()
    }
    async fn fund(&self, ctx: &Context<'_>) -> GqlResult<Option<Fund>> {
        Ok(
            read::fund_position(state(ctx).database(), &self.0.fund_id, None)
                .await
                .coded()?
                .map(Fund),
        )
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn status(&self) -> RoundStatus {
        match self.0.status {
            read::RoundStatus::Open => RoundStatus::Open,
            read::RoundStatus::Closed => RoundStatus::Closed,
        }
    }
    async fn opens_on(&self) -> DateValue {
        DateValue(self.0.opens_on)
    }
    async fn closes_on(&self) -> DateValue {
        DateValue(self.0.closes_on)
    }
    async fn closed_on(&self) -> Option<DateValue> {
        self.0.closed_on.map(DateValue)
    }
    async fn decision_mode(&self) -> DecisionMode {
        if self.0.decision_mode.eq_ignore_ascii_case("PARTICIPATORY") {
            DecisionMode::Participatory
        } else {
            DecisionMode::Panel
        }
    }
    async fn themes(&self) -> &[String] {
        &self.0.themes
    }
    /// Areas the round funds (an area counts if it or an ancestor is listed); empty means
    /// anywhere.
    async fn eligible_areas(&self) -> GqlResult<Vec<GeoCodeValue>> {
        self.0.eligible_areas.iter().map(|code| geo(code)).collect()
    }
    async fn budget(&self) -> MoneyValue {
        money(self.0.budget)
    }
    /// Σ the round's awards' awarded (a closed award at what it cost).
    async fn awarded(&self) -> MoneyValue {
        money(self.0.awarded)
    }
    /// Budget neither awarded nor returned to the fund. A closing award does not change
    /// it: its undrawn part goes to the fund.
    async fn remaining(&self) -> MoneyValue {
        money(self.0.remaining)
    }
    /// What came back to the fund from this round: unawarded budget at its close, cuts
    /// after it, and what its closed awards did not cost.
    async fn returned_to_fund(&self) -> MoneyValue {
        money(self.0.returned_to_fund)
    }
    async fn application_counts(&self) -> ApplicationCounts {
        let counts = &self.0.applications;
        ApplicationCounts {
            submitted: counts.submitted,
            withdrawn: counts.withdrawn,
            declined: counts.declined,
            approved: counts.approved,
            total: counts.total,
        }
    }
    /// The round's applications as the viewer may see them: admin and panel see all; a
    /// grantee sees its own organisation's and the approved ones; the public sees the
    /// approved ones (which are public awards anyway) and, in a PARTICIPATORY round, the
    /// ones still in contention, which residents vote on.
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn applications(&self, ctx: &Context<'_>) -> GqlResult<Vec<Application>> {
        let viewer = viewer(ctx);
        let participatory = self.is_participatory();
        let records = read::applications(state(ctx).database(), &self.0.round_id)
            .await
            .coded()?;
        Ok(records
            .into_iter()
            .filter(|record| may_see_application(viewer, record, participatory))
            .map(Application)
            .collect())
    }
    /// PARTICIPATORY rounds: ballot codes issued so far (null for a panel round). The
    /// codes themselves are shown once, to the officer who issued them, and never again.
    async fn ballot_codes_issued(&self, ctx: &Context<'_>) -> GqlResult<Option<i64>> {
        Ok(self
            .votes(ctx)
            .await?
            .map(|votes| votes.ballot_codes_issued))
    }
    /// PARTICIPATORY rounds: ballots cast (after allocateByVotes, the ballots it counted).
    async fn ballots_cast(&self, ctx: &Context<'_>) -> GqlResult<Option<i64>> {
        Ok(self.votes(ctx).await?.map(|votes| votes.ballots_cast))
    }
    /// PARTICIPATORY rounds: when allocateByVotes closed voting.
    async fn voting_closed_on(&self, ctx: &Context<'_>) -> GqlResult<Option<DateValue>> {
        Ok(self
            .votes(ctx)
            .await?
            .and_then(|votes| votes.voting_closed_on)
            .map(DateValue))
    }
    /// PARTICIPATORY rounds: when the votes were allocated (the counts are final from then).
    /// The budget went down the vote order: most votes first; between equal votes, the
    /// application the ledger's event log recorded first (the order of the submissions'
    /// events, which no applicant chooses: never the id or a date); each approved for its
    /// full request while it fitted, one that did not fit passed over.
    async fn votes_allocated_on(&self, ctx: &Context<'_>) -> GqlResult<Option<DateValue>> {
        Ok(self
            .votes(ctx)
            .await?
            .and_then(|votes| votes.allocated_on)
            .map(DateValue))
    }
    /// Panel scores an application needs before an officer may approve it (PANEL rounds:
    /// the quorum chosen at opening; conflicted members' scores do not count).
    async fn min_panel_scores(&self, ctx: &Context<'_>) -> GqlResult<i32> {
        super::decisions_api::min_panel_scores(ctx, &self.0.round_id).await
    }
    /// When the round's panel members see each other's scores (chosen at opening).
    async fn panel_sees_scores(&self, ctx: &Context<'_>) -> GqlResult<PanelSeesScores> {
        let round = state(ctx).ledger.round(&self.0.round_id).await.coded()?;
        Ok(round
            .terms()
            .map(|terms| terms.panel_sees_scores.into())
            .unwrap_or_default())
    }
}

impl Round {
    fn is_participatory(&self) -> bool {
        self.0.decision_mode.eq_ignore_ascii_case("PARTICIPATORY")
    }

    async fn votes(&self, ctx: &Context<'_>) -> GqlResult<Option<read::RoundVotes>> {
        if !self.is_participatory() {
            return Ok(None);
        }
        read::round_votes(state(ctx).database(), &self.0.round_id)
            .await
            .coded()
    }
}

pub fn may_see_application(
    viewer: &Viewer,
    record: &read::ApplicationRecord,
    participatory: bool,
) -> bool {
    let roles = viewer.roles();
    roles.is_officer_of(&record.fund_id)
        || roles.is_panel_of(&record.round_id)
        || record.status == "approved"
        || (participatory && record.status == "submitted")
        || roles.is_member_of(&domain::OrgId::new(record.applicant_org_id.as_str()))
}

// ---------------------------------------------------------------- applications

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ApplicationStatus {
    Submitted,
    Withdrawn,
    Declined,
    Approved,
}

pub struct Application(pub read::ApplicationRecord);

/// One panel member's current score of an application.
#[derive(SimpleObject)]
pub struct PanelScore {
    pub member: String,
    /// The member's name, or `[erased person]`.
    pub member_name: String,
    pub score: i32,
    /// The member's comment with their latest score, or `[erased]`.
    pub comment: String,
}

impl Application {
    fn require_panel_detail(&self, ctx: &Context<'_>, field: &str) -> GqlResult<()> {
        let roles = viewer(ctx).roles();
        if roles.is_officer_of(&self.0.fund_id) || roles.is_panel_of(&self.0.round_id) {
            Ok(())
        } else {
            Err(coded(
                format!("{field} is visible to the fund's officers and the round's panel only"),
                FORBIDDEN,
            ))
        }
    }

    fn require_applicant_or_panel(&self, ctx: &Context<'_>, field: &str) -> GqlResult<()> {
        let applicant = domain::OrgId::new(self.0.applicant_org_id.as_str());
        if viewer(ctx).roles().is_member_of(&applicant) {
            return Ok(());
        }
        self.require_panel_detail(ctx, field)
    }

    /// The application's personal texts as stored (sealed), from its events.
    async fn texts(&self, ctx: &Context<'_>) -> GqlResult<ApplicationTexts> {
        let id = ApplicationId::new(self.0.application_id.clone());
        super::erasure_api::application_texts(ctx, &id).await
    }

    /// `Some(member)`: the viewer is a panel member (not an officer of the fund) who may
    /// see only their own score yet; `None`: every score.
    async fn scores_limited_to(
        &self,
        ctx: &Context<'_>,
        application: &domain::application::Application,
    ) -> GqlResult<Option<String>> {
        let viewer = viewer(ctx);
        let Some(caller) = viewer.caller() else {
            return Ok(None);
        };
        if caller.roles.is_officer_of(&self.0.fund_id)
            || application.panel_scores().contains_key(&caller.member)
        {
            return Ok(None);
        }
        let round = state(ctx).ledger.round(&self.0.round_id).await.coded()?;
        let always = round
            .terms()
            .is_some_and(|terms| terms.panel_sees_scores == domain::round::PanelSeesScores::Always);
        Ok((!always).then(|| caller.member.clone()))
    }

    async fn aggregate(&self, ctx: &Context<'_>) -> GqlResult<domain::application::Application> {
        state(ctx)
            .ledger
            .application(&ApplicationId::new(self.0.application_id.clone()))
            .await
            .coded()
    }
}

#[Object]
impl Application {
    async fn id(&self) -> &str {
        &self.0.application_id
    }
    async fn round_id(&self) -> &str {
        self.0.round_id.as_str()
    }
    async fn fund_id(&self) -> &str {
        self.0.fund_id.as_str()
    }
    async fn applicant_org_id(&self) -> &str {
        &self.0.applicant_org_id
    }
    async fn applicant_name(&self) -> &str {
        &self.0.applicant_name
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn amount_requested(&self) -> MoneyValue {
        money(self.0.amount_requested)
    }
    async fn neighbourhood(&self) -> GqlResult<GeoCodeValue> {
        geo(&self.0.neighbourhood)
    }
    async fn themes(&self) -> &[String] {
        &self.0.themes
    }
    async fn status(&self) -> ApplicationStatus {
        match self.0.status.as_str() {
            "withdrawn" => ApplicationStatus::Withdrawn,
            "declined" => ApplicationStatus::Declined,
            "approved" => ApplicationStatus::Approved,
            _ => ApplicationStatus::Submitted,
        }
    }
    async fn submitted_on(&self) -> DateValue {
        DateValue(self.0.submitted_on)
    }
    async fn decided_on(&self) -> Option<DateValue> {
        self.0.decided_on.map(DateValue)
    }
    async fn award_id(&self) -> Option<&str> {
        self.0.award_id.as_ref().map(AwardId::as_str)
    }
    async fn approved_amount(&self) -> Option<MoneyValue> {
        self.0.approved_amount.map(money)
    }
    /// Votes from residents' ballots (PARTICIPATORY rounds; null in a panel round). Equal
    /// votes are ranked by which submission the ledger's event log recorded first.
    async fn votes(&self, ctx: &Context<'_>) -> GqlResult<Option<i64>> {
        read::application_votes(
            state(ctx).database(),
            &self.0.round_id,
            &self.0.application_id,
        )
        .await
        .coded()
    }
    /// Each panel member's current score: for the fund's officers; for the round's panel,
    /// the others' scores once the member has scored it (or always, if the round was
    /// opened with `panelSeesScores: ALWAYS`), until then their own only.
    async fn scores(&self, ctx: &Context<'_>) -> GqlResult<Vec<PanelScore>> {
        self.require_panel_detail(ctx, "scores")?;
        let application = self.aggregate(ctx).await?;
        let only = self.scores_limited_to(ctx, &application).await?;
        let texts = self.texts(ctx).await?;
        let scores: Vec<_> = application
            .panel_scores()
            .iter()
            .filter(|(member, _)| only.as_ref().is_none_or(|only| *member == only))
            .collect();
        let members: Vec<&str> = scores.iter().map(|(member, _)| member.as_str()).collect();
        let stored: Vec<&str> = members
            .iter()
            .map(|member| texts.comments.get(*member).map_or("", String::as_str))
            .collect();
        let comments = shown_texts(ctx, &stored).await?;
        let names = shown_names(ctx, &members).await?;
        Ok(scores
            .into_iter()
            .zip(comments)
            .map(|((member, score), comment)| PanelScore {
                member: member.clone(),
                member_name: names.get(member).cloned().unwrap_or_else(|| member.clone()),
                score: i32::from(score.value()),
                comment,
            })
            .collect())
    }
    /// What the applicant wrote about the project (the fund's officers, the round's panel
    /// and the applicant only; `[erased]` once its writer is erased).
    async fn description(&self, ctx: &Context<'_>) -> GqlResult<String> {
        self.require_applicant_or_panel(ctx, "description")?;
        let texts = self.texts(ctx).await?;
        shown_text(ctx, &texts.description).await
    }
    /// Why it was declined, if it was (as `description`).
    async fn decline_reason(&self, ctx: &Context<'_>) -> GqlResult<Option<String>> {
        self.require_applicant_or_panel(ctx, "declineReason")?;
        match self.texts(ctx).await?.decline_reason {
            Some(reason) => Ok(Some(shown_text(ctx, &reason).await?)),
            None => Ok(None),
        }
    }
    /// Panel members who declared a conflict of interest (the fund's officers and the
    /// round's panel only).
    async fn conflicts(&self, ctx: &Context<'_>) -> GqlResult<Vec<String>> {
        self.require_panel_detail(ctx, "conflicts")?;
        let application = self.aggregate(ctx).await?;
        Ok(application.conflicts().iter().cloned().collect())
    }
}

// ---------------------------------------------------------------- awards

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AwardStatus {
    /// Made; the recipient has not yet accepted the agreement.
    Offered,
    Active,
    Closed,
    /// Imported from the funder's published 360Giving history: closed history with no
    /// round or application here; counts in the totals, takes no drawdowns.
    Historic,
}

impl AwardStatus {
    pub fn as_read(&self) -> &'static str {
        match self {
            AwardStatus::Offered => "offered",
            AwardStatus::Active => "active",
            AwardStatus::Closed => "closed",
            AwardStatus::Historic => "historic",
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum DrawdownStatus {
    Requested,
    Approved,
    Rejected,
    Paid,
}

pub struct Award(pub read::AwardRecord);

impl Award {
    fn require_party(&self, ctx: &Context<'_>, field: &str) -> GqlResult<()> {
        let viewer = viewer(ctx);
        let roles = viewer.roles();
        if roles.is_officer_of(&self.0.fund_id)
            || roles.is_member_of(&domain::OrgId::new(self.0.recipient_org_id.as_str()))
        {
            Ok(())
        } else {
            Err(coded(
                format!("{field} is visible to the fund's officers and the recipient only"),
                FORBIDDEN,
            ))
        }
    }
}

#[Object]
impl Award {
    async fn id(&self) -> &str {
        self.0.award_id.as_str()
    }
    /// The application the award was approved from; null for a historic grant.
    async fn application_id(&self) -> Option<&str> {
        self.0.application_id.as_deref()
    }
    async fn fund_id(&self) -> &str {
        self.0.fund_id.as_str()
    }
    /// The round the award was made in; null for a historic grant.
    async fn round_id(&self) -> Option<&str> {
        self.0.round_id.as_ref().map(|round| round.as_str())
    }
    /// The 360Giving id of a historic grant imported from the funder's published data.
    async fn grant_id(&self) -> Option<&str> {
        self.0.grant_id.as_deref()
    }
    async fn recipient_org_id(&self) -> &str {
        &self.0.recipient_org_id
    }
    async fn recipient_name(&self) -> &str {
        &self.0.recipient_name
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Null when a historic grant named no area with a GSS code fundledger knows.
    async fn neighbourhood(&self) -> GqlResult<Option<GeoCodeValue>> {
        self.0.neighbourhood.as_deref().map(geo).transpose()
    }
    async fn themes(&self) -> &[String] {
        &self.0.themes
    }
    async fn status(&self) -> AwardStatus {
        match self.0.status.as_str() {
            "active" => AwardStatus::Active,
            "closed" => AwardStatus::Closed,
            "historic" => AwardStatus::Historic,
            _ => AwardStatus::Offered,
        }
    }
    async fn awarded_on(&self) -> DateValue {
        DateValue(self.0.awarded_on)
    }
    async fn accepted_on(&self) -> Option<DateValue> {
        self.0.accepted_on.map(DateValue)
    }
    async fn closed_on(&self) -> Option<DateValue> {
        self.0.closed_on.map(DateValue)
    }
    /// Awarded (the same figure as `awarded`, kept under its first name).
    async fn amount(&self) -> MoneyValue {
        money(self.0.awarded)
    }
    /// The amount approved plus increases minus cuts; once the award is closed, what it
    /// cost: paid − returned. The original approval stays in the history.
    async fn awarded(&self) -> MoneyValue {
        money(self.0.awarded)
    }
    /// Σ the award's payments recorded, before returns.
    async fn paid(&self) -> MoneyValue {
        money(self.0.paid)
    }
    /// Σ money the grantee gave back. It goes to the fund's available, not back to the
    /// award.
    async fn returned(&self) -> MoneyValue {
        money(self.0.returned)
    }
    /// paid − returned.
    async fn disbursed(&self) -> MoneyValue {
        money(self.0.disbursed)
    }
    /// Σ drawdowns approved and not yet paid.
    async fn approved_unpaid(&self) -> MoneyValue {
        money(self.0.approved_unpaid)
    }
    /// Σ drawdowns requested and not yet approved or rejected.
    async fn requested_pending(&self) -> MoneyValue {
        money(self.0.requested_pending)
    }
    /// What a drawdown request may ask for now: awarded − paid − approvedUnpaid, while
    /// the agreement is accepted and the award is not closed; 0.00 otherwise. A return
    /// does not add to it.
    async fn available_to_draw(&self) -> MoneyValue {
        money(self.0.available_to_draw)
    }
    /// awarded − disbursed. Not what can be drawn: a return raises it but not
    /// availableToDraw.
    #[graphql(
        deprecation = "awarded − disbursed is not what the grantee can draw (a return raises it); use availableToDraw"
    )]
    async fn balance(&self) -> MoneyValue {
        money(self.0.awarded - self.0.disbursed)
    }
    async fn spend_reported(&self) -> MoneyValue {
        money(self.0.spend_reported)
    }
    /// Budget lines (admin and the recipient only): planned, spent and variance per
    /// category, now or as of the end of `asOf`. Empty for an award without budget lines
    /// and no spend reported.
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn budget_lines(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateValue>,
    ) -> GqlResult<Vec<super::budget::BudgetLine>> {
        self.require_party(ctx, "budgetLines")?;
        let id = domain::AwardId::new(self.0.award_id.as_str());
        super::budget::award_lines(ctx, &id, as_of).await
    }
    /// True when the spend reported (by period end) is above what was paid (by paid
    /// date), now or as of the end of `asOf`: accepted, since the group may have spent its
    /// own money first, but flagged for the officer (admin and the recipient only).
    async fn spent_above_paid(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateValue>,
    ) -> GqlResult<bool> {
        self.require_party(ctx, "spentAbovePaid")?;
        let id = domain::AwardId::new(self.0.award_id.as_str());
        super::budget::award_spent_above_paid(ctx, &id, as_of).await
    }
    /// When the next spend report is due (GLOSSARY.md "Reports due"): 90 days after the
    /// earliest payment not yet covered by a spend report (a report covers the payments
    /// made on or before its period's end). Null when none is due: no uncovered payment,
    /// not yet accepted, or closed (admin and the recipient only).
    async fn spend_report_due_on(&self, ctx: &Context<'_>) -> GqlResult<Option<DateValue>> {
        self.require_party(ctx, "spendReportDueOn")?;
        let due = super::reports_due::award_reports_due(ctx, &self.0).await?;
        Ok(due.spend_report_due_on.map(DateValue))
    }
    /// When the next outcome report is due (GLOSSARY.md "Reports due"): 90 days after the
    /// agreement is accepted, then yearly, each met by an outcome report whose period ends
    /// on or after that year's start. Null before acceptance and once closed (admin and the
    /// recipient only).
    async fn outcome_report_due_on(&self, ctx: &Context<'_>) -> GqlResult<Option<DateValue>> {
        self.require_party(ctx, "outcomeReportDueOn")?;
        let due = super::reports_due::award_reports_due(ctx, &self.0).await?;
        Ok(due.outcome_report_due_on.map(DateValue))
    }
    /// True when the spend or outcome report due date is before today (admin and the
    /// recipient only).
    async fn reports_late(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        self.require_party(ctx, "reportsLate")?;
        super::reports_due::award_reports_late(ctx, &self.0).await
    }
    /// Match funding, in-kind contributions and volunteer time recorded against the award
    /// (`recordInput`; admin and the recipient only).
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn inputs(&self, ctx: &Context<'_>) -> GqlResult<Vec<super::social::RecordedInput>> {
        self.require_party(ctx, "inputs")?;
        super::social::award_inputs(ctx, &self.0.award_id).await
    }
    /// What happened to the award and when, oldest first: made, agreement accepted,
    /// drawdowns requested, approved, rejected and paid, variations, budget lines, returns,
    /// spend and outcome reports, contributions, closing (admin and the recipient only).
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn history(
        &self,
        ctx: &Context<'_>,
    ) -> GqlResult<Vec<super::decisions_api::AwardHistoryEntry>> {
        self.require_party(ctx, "history")?;
        super::decisions_api::award_history(ctx, &self.0.award_id).await
    }
    /// Drawdown requests and their payments (admin and the recipient only).
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn drawdowns(&self, ctx: &Context<'_>) -> GqlResult<Vec<Drawdown>> {
        self.require_party(ctx, "drawdowns")?;
        if !self.0.drawdowns.is_empty() {
            return Ok(self.0.drawdowns.iter().cloned().map(Drawdown).collect());
        }
        // Award pages leave drawdowns out; read the one award in full.
        let award = read::award(state(ctx).database(), &self.0.award_id)
            .await
            .coded()?;
        Ok(award
            .map(|award| award.drawdowns.into_iter().map(Drawdown).collect())
            .unwrap_or_default())
    }
    /// The amount first approved, before any variation (public); a historic grant's amount
    /// as the funder published it.
    async fn approved_amount(&self, ctx: &Context<'_>) -> GqlResult<MoneyValue> {
        super::award_story::approved_amount(ctx, &self.0).await
    }
    /// The award's money now, or as it stood at the end of `asOf` (public; all 0.00 before
    /// the award was made).
    async fn position(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateValue>,
    ) -> GqlResult<super::award_story::AwardPosition> {
        super::award_story::position(ctx, &self.0, as_of).await
    }
    /// Payments to the recipient by date, up to the end of `asOf` (public: the date and
    /// amount, as the 360Giving export publishes them; the drawdowns, their purposes and
    /// the payments' references are in `drawdowns`, for the parties only).
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn payments(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateValue>,
    ) -> GqlResult<Vec<super::award_story::AwardPayment>> {
        super::award_story::payments(ctx, &self.0.award_id, as_of).await
    }
    /// Changes to the amount awarded, oldest first, up to the end of `asOf` (public: the
    /// date and the amounts before and after; the reasons are in `history`, for the
    /// parties only).
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn variations(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateValue>,
    ) -> GqlResult<Vec<super::award_story::AwardVariation>> {
        let changes = super::award_story::changes(ctx, &self.0.award_id, as_of).await?;
        Ok(super::award_story::variations(changes))
    }
    /// Money given back to the fund, oldest first, up to the end of `asOf` (public: the
    /// date and amount; the reasons are in `history`, for the parties only).
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn returns(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateValue>,
    ) -> GqlResult<Vec<super::award_story::AwardReturn>> {
        let changes = super::award_story::changes(ctx, &self.0.award_id, as_of).await?;
        Ok(super::award_story::returns(changes))
    }
    /// Spend reported per budget category, for periods ending by the end of `asOf`, in
    /// category order; categories with no spend reported are left out (public; the
    /// planned amounts are in `budgetLines`, for the parties only).
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn spend_by_category(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateValue>,
    ) -> GqlResult<Vec<super::award_story::CategorySpend>> {
        super::award_story::spend_by_category(ctx, &self.0.award_id, as_of).await
    }
    /// Outcomes reported, by the end of their period, for periods ending by the end of
    /// `asOf` (public).
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn outcomes(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateValue>,
    ) -> GqlResult<Vec<super::award_story::ReportedOutcome>> {
        super::award_story::outcomes(ctx, &self.0.award_id, as_of).await
    }
}

pub struct Drawdown(pub read::DrawdownRecord);

#[Object]
impl Drawdown {
    async fn id(&self) -> &str {
        &self.0.drawdown_id
    }
    async fn amount(&self) -> MoneyValue {
        money(self.0.amount)
    }
    async fn purpose(&self, ctx: &Context<'_>) -> GqlResult<String> {
        shown_text(ctx, &self.0.purpose).await
    }
    async fn status(&self) -> DrawdownStatus {
        match self.0.status.as_str() {
            "approved" => DrawdownStatus::Approved,
            "rejected" => DrawdownStatus::Rejected,
            "paid" => DrawdownStatus::Paid,
            _ => DrawdownStatus::Requested,
        }
    }
    async fn requested_on(&self) -> DateValue {
        DateValue(self.0.requested_on)
    }
    async fn decided_on(&self) -> Option<DateValue> {
        self.0.decided_on.map(DateValue)
    }
    async fn paid_on(&self) -> Option<DateValue> {
        self.0.paid_on.map(DateValue)
    }
    async fn payment_ref(&self) -> Option<&str> {
        self.0.payment_ref.as_deref()
    }
    /// Why it was rejected, if it was.
    async fn reason(&self, ctx: &Context<'_>) -> GqlResult<Option<String>> {
        match &self.0.reason {
            Some(reason) => Ok(Some(shown_text(ctx, reason).await?)),
            None => Ok(None),
        }
    }
}

pub type AwardConnection = Connection<String, Award>;

pub fn award_connection(page: read::AwardPage, after: Option<&str>) -> AwardConnection {
    let mut connection = Connection::new(after.is_some(), page.has_next_page);
    connection.edges.extend(
        page.awards
            .into_iter()
            .map(|award| Edge::new(award.award_id.to_string(), Award(award))),
    );
    connection
}

// ---------------------------------------------------------------- geography and totals

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum GeoLevel {
    Lsoa,
    Msoa,
    Ward,
    Lad,
    Region,
    Country,
}

impl From<GeoLevel> for domain::GeoLevel {
    fn from(level: GeoLevel) -> domain::GeoLevel {
        match level {
            GeoLevel::Lsoa => domain::GeoLevel::Lsoa,
            GeoLevel::Msoa => domain::GeoLevel::Msoa,
            GeoLevel::Ward => domain::GeoLevel::Ward,
            GeoLevel::Lad => domain::GeoLevel::Lad,
            GeoLevel::Region => domain::GeoLevel::Region,
            GeoLevel::Country => domain::GeoLevel::Country,
        }
    }
}

fn level_of(text: &str) -> Option<GeoLevel> {
    Some(match text.parse::<domain::GeoLevel>().ok()? {
        domain::GeoLevel::Lsoa => GeoLevel::Lsoa,
        domain::GeoLevel::Msoa => GeoLevel::Msoa,
        domain::GeoLevel::Ward => GeoLevel::Ward,
        domain::GeoLevel::Lad => GeoLevel::Lad,
        domain::GeoLevel::Region => GeoLevel::Region,
        domain::GeoLevel::Country => GeoLevel::Country,
    })
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum NeighbourhoodOrder {
    #[default]
    AwardedDesc,
    DisbursedDesc,
    AwardCountDesc,
    AwardedPerHeadDesc,
    CodeAsc,
}

impl From<NeighbourhoodOrder> for read::NeighbourhoodOrder {
    fn from(order: NeighbourhoodOrder) -> read::NeighbourhoodOrder {
        match order {
            NeighbourhoodOrder::AwardedDesc => read::NeighbourhoodOrder::AwardedDesc,
            NeighbourhoodOrder::DisbursedDesc => read::NeighbourhoodOrder::DisbursedDesc,
            NeighbourhoodOrder::AwardCountDesc => read::NeighbourhoodOrder::AwardCountDesc,
            NeighbourhoodOrder::AwardedPerHeadDesc => read::NeighbourhoodOrder::AwardedPerHeadDesc,
            NeighbourhoodOrder::CodeAsc => read::NeighbourhoodOrder::CodeAsc,
        }
    }
}

/// Money in and out over a set of awards.
pub struct Totals {
    pub totals: read::Totals,
    /// Population of the area the totals are for, when known.
    pub population: Option<i64>,
}

#[Object]
impl Totals {
    /// Σ the awards' awarded (a closed award at what it cost).
    async fn awarded(&self) -> MoneyValue {
        money(self.totals.awarded)
    }
    /// Σ paid − Σ returned.
    async fn disbursed(&self) -> MoneyValue {
        money(self.totals.disbursed)
    }
    /// Σ the awards' paid.
    async fn paid(&self) -> MoneyValue {
        money(self.totals.paid)
    }
    /// Σ the awards' returned.
    async fn returned(&self) -> MoneyValue {
        money(self.totals.returned)
    }
    /// Σ the totals of spend reports, dated by the end of their period.
    async fn reported_spend(&self) -> MoneyValue {
        money(self.totals.reported_spend)
    }
    /// The number of awards in scope.
    async fn award_count(&self) -> i64 {
        self.totals.award_count
    }
    /// The number of distinct recipient organisations among them.
    async fn recipient_count(&self) -> i64 {
        self.totals.recipient_count
    }
    /// awarded ÷ the area's population, to the penny (half up); null without a
    /// population.
    async fn per_head(&self) -> Option<MoneyValue> {
        self.totals.awarded_per_head(self.population).map(money)
    }
}

/// An area of the reference geography (or a well-formed code outside it).
pub struct Neighbourhood {
    pub area: read::Area,
    /// Totals already read with the area (ranked lists), for `totals` without arguments.
    pub totals: Option<read::Totals>,
}

impl Neighbourhood {
    fn geo_code(&self) -> GqlResult<GeoCode> {
        self.area
            .code
            .parse()
            .map_err(|error: domain::GeoCodeError| ApiError::Internal(error.to_string()))
            .coded()
    }
}

#[Object]
impl Neighbourhood {
    async fn code(&self) -> GqlResult<GeoCodeValue> {
        Ok(GeoCodeValue(self.geo_code()?))
    }
    /// Null when the code is not in the reference geography.
    async fn name(&self) -> Option<&str> {
        self.area.name.as_deref()
    }
    async fn level(&self) -> Option<GeoLevel> {
        match &self.area.level {
            Some(level) => level_of(level),
            None => self
                .geo_code()
                .ok()
                .and_then(|code| level_of(code.level().as_str())),
        }
    }
    async fn parent(&self, ctx: &Context<'_>) -> GqlResult<Option<Neighbourhood>> {
        let Some(parent) = &self.area.parent_code else {
            return Ok(None);
        };
        let code: GeoCode = match parent.parse() {
            Ok(code) => code,
            Err(_) => return Ok(None),
        };
        let area = read::area(state(ctx).database(), &code).await.coded()?;
        Ok(Some(Neighbourhood { area, totals: None }))
    }
    async fn children(&self, ctx: &Context<'_>) -> GqlResult<Vec<Neighbourhood>> {
        let areas = read::children(state(ctx).database(), &self.geo_code()?)
            .await
            .coded()?;
        Ok(areas
            .into_iter()
            .map(|area| Neighbourhood { area, totals: None })
            .collect())
    }
    /// The local authority (district, unitary authority, metropolitan or London borough)
    /// this area is in, or is; null when the reference geography places it in none (a
    /// region, England, a code it does not know).
    async fn local_authority(&self, ctx: &Context<'_>) -> GqlResult<Option<Neighbourhood>> {
        let area = read::local_authority(state(ctx).database(), &self.geo_code()?)
            .await
            .coded()?;
        Ok(area.map(|area| Neighbourhood { area, totals: None }))
    }
    async fn population(&self) -> Option<i64> {
        self.area.population
    }
    /// Index of Multiple Deprivation decile (1 = most deprived).
    async fn imd_decile(&self) -> Option<i32> {
        self.area.imd_decile.map(i32::from)
    }
    /// How the area's neighbourhoods (the LSOAs at or below it in the reference geography;
    /// an LSOA: itself) spread over their nation's deprivation deciles: for each nation and
    /// decile, how many there are and the people in them, nation then decile 1 (most
    /// deprived) to 10. Only deciles with a neighbourhood are listed; LSOAs without a
    /// decile are left out. Deciles of different nations are never pooled.
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn deprivation(&self, ctx: &Context<'_>) -> GqlResult<Vec<DecileShare>> {
        let shares = read::deprivation(state(ctx).database(), &self.geo_code()?)
            .await
            .coded()?;
        Ok(shares.into_iter().map(DecileShare).collect())
    }
    /// Totals over the awards in this area and every area below it.
    async fn totals(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateValue>,
        round: Option<String>,
        theme: Option<String>,
        fund: Option<String>,
    ) -> GqlResult<Totals> {
        if let (Some(totals), None, None, None, None) =
            (&self.totals, &as_of, &round, &theme, &fund)
        {
            return Ok(Totals {
                totals: totals.clone(),
                population: self.area.population,
            });
        }
        // The area is already loaded: read only the totals (one query).
        let filter = read::TotalsFilter {
            awards: read::AwardFilter {
                neighbourhood: Some(self.geo_code()?),
                round: round.map(RoundId::new),
                fund: fund.map(FundId::new),
                theme,
                ..read::AwardFilter::default()
            },
            as_of: as_of.map(|date| date.0),
        };
        let totals = read::totals(state(ctx).database(), &filter).await.coded()?;
        Ok(Totals {
            totals,
            population: self.area.population,
        })
    }
    /// Awards in this area and every area below it.
    #[graphql(
        complexity = "first.unwrap_or(DEFAULT_PAGE_SIZE as i32).max(1) as usize * child_complexity"
    )]
    async fn awards(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<AwardConnection> {
        let filter = read::AwardFilter {
            neighbourhood: Some(self.geo_code()?),
            ..read::AwardFilter::default()
        };
        let page = read::awards(
            state(ctx).database(),
            &filter,
            page_size(first)?,
            after.as_deref(),
        )
        .await
        .coded()?;
        Ok(award_connection(page, after.as_deref()))
    }
    /// Money over the awards in this area and every area below it, period by period, up
    /// to now or the end of `asOf`; `interval` chosen for the span when not given.
    async fn money_over_time(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateValue>,
        interval: Option<super::money_over_time::SeriesInterval>,
    ) -> GqlResult<super::money_over_time::MoneyOverTime> {
        let scope = read::SeriesScope::Area(self.geo_code()?);
        super::money_over_time::money_over_time(ctx, scope, as_of, interval).await
    }
}

pub type NeighbourhoodConnection = Connection<String, Neighbourhood>;

/// An area's neighbourhoods (LSOAs) in one decile of one nation's index of deprivation.
pub struct DecileShare(pub read::DecileShare);

#[Object]
impl DecileShare {
    /// Whose index the decile is of: each nation ranks only its own small areas.
    async fn nation(&self) -> Nation {
        Nation::from(self.0.nation)
    }
    /// 1 = among the nation's most deprived 10% of small areas, 10 = the least deprived.
    async fn imd_decile(&self) -> i32 {
        i32::from(self.0.imd_decile)
    }
    /// How many of the area's neighbourhoods (LSOAs) are in this decile.
    async fn neighbourhoods(&self) -> i64 {
        self.0.neighbourhoods
    }
    /// The people living in them (the reference geography's populations).
    async fn population(&self) -> i64 {
        self.0.population
    }
}

/// The ledger's head: how far the read models have got and the hash chain over the log.
pub struct LedgerHead(pub read::LedgerHead);

#[Object(name = "Ledger")]
impl LedgerHead {
    /// The event-log position the read models reflect.
    async fn position(&self) -> i64 {
        self.0.position
    }
    /// Hex SHA-256 of the hash chain up to `position`.
    async fn head(&self) -> &str {
        &self.0.head
    }
    /// How many events the chain covers.
    async fn events(&self) -> i64 {
        self.0.events
    }
    /// The chain's events in public form, newest first: `first` of them (20 unless
    /// given, at most 100) before the one numbered `before` (the newest without it).
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn latest(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        before: Option<i64>,
    ) -> GqlResult<super::ledger_events::LedgerEventPage> {
        super::ledger_events::latest(ctx, first, before).await
    }
}

/// A fund for a mutation payload, read once the read models reflect the mutation
/// (`payload_projected`); `None` while they do not yet.
pub async fn fund_after(ctx: &Context<'_>, id: &FundId, position: i64) -> GqlResult<Option<Fund>> {
    if !payload_projected(ctx, position).await {
        return Ok(None);
    }
    let fund = read::fund_position(state(ctx).database(), id, None)
        .await
        .coded()?;
    present(fund.map(Fund), "fund", id, position)
}

pub async fn round_after(
    ctx: &Context<'_>,
    id: &RoundId,
    position: i64,
) -> GqlResult<Option<Round>> {
    if !payload_projected(ctx, position).await {
        return Ok(None);
    }
    let round = read::round_summary(state(ctx).database(), id)
        .await
        .coded()?;
    present(round.map(Round), "round", id, position)
}

pub async fn award_after(
    ctx: &Context<'_>,
    id: &AwardId,
    position: i64,
) -> GqlResult<Option<Award>> {
    if !payload_projected(ctx, position).await {
        return Ok(None);
    }
    let award = read::award(state(ctx).database(), id).await.coded()?;
    present(award.map(Award), "award", id, position)
}

pub async fn application_after(
    ctx: &Context<'_>,
    id: &ApplicationId,
    position: i64,
) -> GqlResult<Option<Application>> {
    if !payload_projected(ctx, position).await {
        return Ok(None);
    }
    let state = state(ctx);
    // The register lists applications by round; the aggregate names the round.
    let application = state.ledger.application(id).await.coded()?;
    let round = application.round_id().cloned().ok_or_else(|| {
        coded(
            format!("application {id} does not exist"),
            super::errors::NOT_FOUND,
        )
    })?;
    let record = read::applications(state.database(), &round)
        .await
        .coded()?
        .into_iter()
        .find(|record| record.application_id == id.as_str());
    present(record.map(Application), "application", id, position)
}

/// A payload's object once the read models reflect its write: missing then is a fault of
/// the read models (`INTERNAL`), never a reason for the client to retry the write.
fn present<T>(
    object: Option<T>,
    kind: &str,
    id: impl std::fmt::Display,
    position: i64,
) -> GqlResult<Option<T>> {
    match object {
        Some(object) => Ok(Some(object)),
        None => Err(ApiError::Internal(format!(
            "{kind} {id} is missing from the read models although they reflect position {position}"
        ))
        .extend()),
    }
}

// ---------------------------------------------------------------- social return and equity

/// How a fund values one outcome indicator (UK SROI financial proxy and adjustments).
pub struct OutcomeProxy {
    pub fund_id: FundId,
    pub indicator: String,
    pub proxy: domain::OutcomeProxy,
    pub set_on: Option<domain::Date>,
}

impl From<read::ProxyRecord> for OutcomeProxy {
    fn from(record: read::ProxyRecord) -> OutcomeProxy {
        OutcomeProxy {
            fund_id: record.fund_id,
            indicator: record.indicator,
            proxy: record.proxy,
            set_on: Some(record.set_on),
        }
    }
}

#[Object]
impl OutcomeProxy {
    async fn fund_id(&self) -> &str {
        self.fund_id.as_str()
    }
    async fn indicator(&self) -> &str {
        &self.indicator
    }
    /// What one unit is ("hour", "person into work").
    async fn unit(&self) -> &str {
        &self.proxy.unit
    }
    /// The financial proxy: the value of one unit.
    async fn value_per_unit(&self) -> MoneyValue {
        money(self.proxy.value_per_unit.amount())
    }
    /// Share (0 to 1) that would have happened anyway.
    async fn deadweight(&self) -> DecimalValue {
        DecimalValue(self.proxy.deadweight.value())
    }
    /// Share (0 to 1) owed to others.
    async fn attribution(&self) -> DecimalValue {
        DecimalValue(self.proxy.attribution.value())
    }
    /// Share (0 to 1) that only moved elsewhere.
    async fn displacement(&self) -> DecimalValue {
        DecimalValue(self.proxy.displacement.value())
    }
    /// Share (0 to 1) by which the outcome falls each year after the first.
    async fn drop_off(&self) -> DecimalValue {
        DecimalValue(self.proxy.drop_off.value())
    }
    async fn duration_years(&self) -> u32 {
        self.proxy.duration_years
    }
    /// The business date the proxy was set on.
    async fn set_on(&self) -> Option<DateValue> {
        self.set_on.map(DateValue)
    }
}

/// A UK nation: each publishes its own index of deprivation over its own small areas
/// (England's IMD, the Welsh WIMD, the Scottish SIMD, Northern Ireland's NIMDM), so their
/// deciles are never pooled.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Nation {
    England,
    Wales,
    Scotland,
    NorthernIreland,
}

impl From<domain::Nation> for Nation {
    fn from(nation: domain::Nation) -> Nation {
        match nation {
            domain::Nation::England => Nation::England,
            domain::Nation::Wales => Nation::Wales,
            domain::Nation::Scotland => Nation::Scotland,
            domain::Nation::NorthernIreland => Nation::NorthernIreland,
        }
    }
}

/// How a fund's awards fall across deprivation deciles, each nation's index on its own.
pub struct Equity(pub read::Equity);

#[Object]
impl Equity {
    async fn fund_id(&self) -> &str {
        self.0.fund_id.as_str()
    }
    /// The local authorities the fund has awarded in (at or above an award's area).
    /// Populations do not depend on them: see `EquityDecile.population`.
    async fn local_authorities(&self) -> GqlResult<Vec<GeoCodeValue>> {
        self.0
            .local_authorities
            .iter()
            .map(|code| geo(code))
            .collect()
    }
    /// The fund's awarded total (historic grants included): the `awarded` of the rows add
    /// up to it to the penny.
    async fn awarded(&self) -> MoneyValue {
        money(self.0.awarded)
    }
    /// For each nation with deciles (England, Wales, Scotland, Northern Ireland), deciles
    /// 1 (most deprived) to 10; then one row with no nation and no decile for money not
    /// assigned to a decile, if any.
    async fn deciles(&self) -> Vec<EquityDecile> {
        self.0.groups.iter().cloned().map(EquityDecile).collect()
    }
    /// The fund's priority-area lists (`declarePriorityAreas`) in force at the end of
    /// `asOf` (today when omitted; a list declared later is not there yet), by name: each
    /// list's share of the money against its share of the population, and its cold spots,
    /// as of that date.
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn priority_lists(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateValue>,
    ) -> GqlResult<Vec<super::priority::PriorityList>> {
        let lists = projections::priority_areas::priority_lists(
            state(ctx).database(),
            &self.0.fund_id,
            as_of.map(|day| day.0),
        )
        .await
        .coded()?;
        Ok(lists
            .unwrap_or_default()
            .into_iter()
            .map(super::priority::PriorityList)
            .collect())
    }
}

/// A fund's awards in one IMD decile of one nation's index, or the money not assigned to
/// a decile.
pub struct EquityDecile(pub read::EquityGroup);

#[Object]
impl EquityDecile {
    /// The nation whose index the decile belongs to; null for the not-assigned row.
    async fn nation(&self) -> Option<Nation> {
        self.0.nation.map(Nation::from)
    }
    /// 1 (most deprived 10% of the nation's small areas) to 10; null for the not-assigned
    /// row.
    async fn imd_decile(&self) -> Option<i16> {
        self.0.imd_decile
    }
    /// People in every LSOA of this nation and decile in the reference geography: fixed,
    /// whatever the fund awarded where. Null for the not-assigned row.
    async fn population(&self) -> Option<i64> {
        self.0.population
    }
    /// `awardedDirect` + `awardedApportioned`.
    async fn awarded(&self) -> MoneyValue {
        money(self.0.awarded)
    }
    /// Awards made to LSOAs of this decile. In the not-assigned row: awards to areas with
    /// no decile and no LSOA with people below them.
    async fn awarded_direct(&self) -> MoneyValue {
        money(self.0.awarded_direct)
    }
    /// An estimate: this decile's shares of awards made to a larger area (MSOA, ward, local
    /// authority, region), split by the population of the area's LSOAs to the penny
    /// (largest remainder). In the not-assigned row: shares falling on LSOAs without a
    /// decile.
    async fn awarded_apportioned(&self) -> MoneyValue {
        money(self.0.awarded_apportioned)
    }
    /// `awarded / population`, rounded once to the penny (half away from zero); null when
    /// no one lives in the group.
    async fn awarded_per_head(&self) -> Option<MoneyValue> {
        self.0.awarded_per_head.map(money)
    }
    /// Awards counted in `awardedDirect`.
    async fn award_count(&self) -> i64 {
        self.0.award_count
    }
    /// Awards to larger areas with people in this group (counted in each group they are
    /// apportioned to).
    async fn apportioned_award_count(&self) -> i64 {
        self.0.apportioned_award_count
    }
}
