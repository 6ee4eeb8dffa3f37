//! The projector's fold: one batch of events applied in memory to the rows they touch,
//! then written back as a few multi-row upserts. Rows are loaded from the read models at
//! the start of each batch, so nothing is cached between batches and a batch that is
//! rolled back leaves no trace.

use std::collections::BTreeSet;
use std::hash::Hash;

use domain::application::ApplicationEvent;
use domain::award::AwardEvent;
use domain::ballot::BallotEvent;
use domain::fund::FundEvent;
use domain::round::RoundEvent;
use domain::{Date, Money};
use foldhash::HashMap;
use infrastructure::{upcast, Database, LoggedEvent};
use serde::Deserialize;

use crate::sql::{Param, Sql};
use crate::{on_pool, to_pence, ProjectionError};

/// Rows per multi-row statement: under both stores' limits on bound parameters
/// (SQLite 32,766; PostgreSQL 65,535) for the widest table.
const MAX_PARAMS_PER_STATEMENT: usize = 30_000;

/// An event of one of the ledger's aggregates, decoded from its stored JSON.
#[derive(Debug, Clone)]
pub(crate) enum Decoded {
    Fund(FundEvent),
    Round(RoundEvent),
    Application(ApplicationEvent),
    Award(AwardEvent),
    Ballot(BallotEvent),
    /// An aggregate type the read models do not follow; it is still chained.
    Other,
}

pub(crate) fn decode(event: &LoggedEvent) -> Result<Decoded, ProjectionError> {
    decode_with(event, |aggregate_type| {
        if upcast::is_current(&event.event_version) {
            return decode_from(aggregate_type, &event.payload).map_err(|error| error.to_string());
        }
        decode_upcast(event, event.payload.clone())
    })
}

/// An event of an older version: brought to the current shape, then decoded. The stored
/// payload (what the hash chain covers) is left as it is.
fn decode_upcast(event: &LoggedEvent, payload: serde_json::Value) -> Result<Decoded, String> {
    let payload = upcast::upcast(
        &event.aggregate_type,
        &event.event_type,
        &event.event_version,
        payload,
    )
    .map_err(|error| error.to_string())?;
    decode_from(event.aggregate_type.as_str(), &payload).map_err(|error| error.to_string())
}

/// `decode` straight from the payload's JSON text (a rebuild): the same event, without
/// building a `Value` first. `event`'s own payload is not read.
pub(crate) fn decode_text(event: &LoggedEvent, payload: &str) -> Result<Decoded, ProjectionError> {
    decode_with(event, |aggregate_type| {
        if !upcast::is_current(&event.event_version) {
            let value = serde_json::from_str(payload).map_err(|error| error.to_string())?;
            return decode_upcast(event, value);
        }
        let mut json = serde_json::Deserializer::from_str(payload);
        let decoded = decode_from(aggregate_type, &mut json);
        decoded
            .and_then(|decoded| json.end().map(|()| decoded))
            .map_err(|error| error.to_string())
    })
}

/// The checks of `decode` around `deserialize`, which decodes the payload as the event
/// type of the aggregate type it is given.
fn decode_with(
    event: &LoggedEvent,
    deserialize: impl FnOnce(&str) -> Result<Decoded, String>,
) -> Result<Decoded, ProjectionError> {
    let bad = |message: String| ProjectionError::BadEvent {
        position: event.position,
        event_type: event.event_type.clone(),
        message,
    };
    if !matches!(
        event.aggregate_type.as_str(),
        "Fund" | "Round" | "Application" | "Award" | "Ballot"
    ) {
        return Ok(Decoded::Other);
    }
    deserialize(&event.aggregate_type).map_err(bad)
}

fn decode_from<'de, D: serde::Deserializer<'de>>(
    aggregate_type: &str,
    payload: D,
) -> Result<Decoded, D::Error> {
    match aggregate_type {
        "Fund" => FundEvent::deserialize(payload).map(Decoded::Fund),
        "Round" => RoundEvent::deserialize(payload).map(Decoded::Round),
        "Application" => ApplicationEvent::deserialize(payload).map(Decoded::Application),
        "Ballot" => BallotEvent::deserialize(payload).map(Decoded::Ballot),
        _ => AwardEvent::deserialize(payload).map(Decoded::Award),
    }
}

/// The business date on which an award event changes what the award's 360Giving record
/// says (its `dateModified`); `None` for events the record does not show (drawdown
/// requests and decisions, spend and outcome reports).
fn publication_date(event: &AwardEvent) -> Option<&Date> {
    match event {
        AwardEvent::AwardMade { awarded_on, .. } => Some(awarded_on),
        AwardEvent::HistoricGrantImported(grant) => Some(&grant.awarded_on),
        AwardEvent::AgreementAccepted { accepted_on, .. } => Some(accepted_on),
        AwardEvent::PaymentRecorded { paid_on, .. } => Some(paid_on),
        AwardEvent::AwardVaried { varied_on, .. } => Some(varied_on),
        AwardEvent::MoneyReturned { returned_on, .. } => Some(returned_on),
        AwardEvent::AwardClosed { closed_on, .. } => Some(closed_on),
        AwardEvent::DrawdownRequested { .. }
        | AwardEvent::DrawdownApproved { .. }
        | AwardEvent::DrawdownRejected { .. }
        | AwardEvent::SpendReported { .. }
        | AwardEvent::OutcomeReported { .. } => None,
    }
}

fn p(money: &Money) -> i64 {
    to_pence(money.amount())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct FundState {
    pub fund_id: String,
    pub name: String,
    pub funder_org_id: String,
    pub funder_name: String,
    pub established_on: String,
    pub received_pence: i64,
    pub allocated_pence: i64,
    pub awarded_pence: i64,
    pub paid_pence: i64,
    pub returned_pence: i64,
    pub available_pence: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct RoundState {
    pub round_id: String,
    pub fund_id: String,
    pub name: String,
    pub status: String,
    pub opens_on: String,
    pub closes_on: String,
    pub closed_on: Option<String>,
    pub decision_mode: String,
    pub themes: String,
    pub eligible_areas: String,
    pub budget_pence: i64,
    pub awarded_pence: i64,
    pub returned_to_fund_pence: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct ApplicationState {
    pub application_id: String,
    pub round_id: String,
    pub fund_id: String,
    pub applicant_org_id: String,
    pub applicant_name: String,
    pub title: String,
    pub amount_requested_pence: i64,
    pub neighbourhood: String,
    pub themes: String,
    pub status: String,
    pub submitted_on: String,
    pub decided_on: Option<String>,
    pub award_id: Option<String>,
    pub approved_pence: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct AwardState {
    pub award_id: String,
    /// `None` for a historic grant (no application, no round, often no GSS area).
    pub application_id: Option<String>,
    pub fund_id: String,
    pub round_id: Option<String>,
    pub recipient_org_id: String,
    pub recipient_name: String,
    pub title: String,
    pub neighbourhood: Option<String>,
    pub themes: String,
    pub status: String,
    pub awarded_on: String,
    pub accepted_on: Option<String>,
    pub closed_on: Option<String>,
    pub awarded_pence: i64,
    pub paid_pence: i64,
    pub returned_pence: i64,
    pub spend_reported_pence: i64,
    /// The 360Giving id of a historic grant.
    pub grant_id: Option<String>,
    /// The latest business date of an event that changed what the award's 360Giving
    /// record says ([`publication_date`]).
    pub modified_on: String,
    /// A historic grant's standard fields as the funder published them (JSON object).
    pub published_grant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct DrawdownState {
    pub award_id: String,
    pub drawdown_id: String,
    pub amount_pence: i64,
    pub purpose: String,
    pub status: String,
    pub requested_on: String,
    pub decided_on: Option<String>,
    pub paid_on: Option<String>,
    pub payment_ref: Option<String>,
    pub reason: Option<String>,
}

/// A fund's current proxy for one outcome indicator (shares as exact decimal text).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct ProxyState {
    pub fund_id: String,
    pub indicator: String,
    pub unit: String,
    pub value_per_unit_pence: i64,
    pub deadweight: String,
    pub attribution: String,
    pub displacement: String,
    pub drop_off: String,
    pub duration_years: i64,
    pub set_on: String,
}

/// One outcome report (quantity as exact decimal text).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct OutcomeState {
    pub award_id: String,
    pub report_id: String,
    pub indicator: String,
    pub quantity: String,
    pub period_end: String,
}

/// The change of a fund's figures on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct FundDelta {
    pub received_pence: i64,
    pub allocated_pence: i64,
    pub awarded_pence: i64,
    pub paid_pence: i64,
    pub returned_pence: i64,
    pub available_pence: i64,
}

/// The change of an award's figures on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct AwardDelta {
    pub awarded_pence: i64,
    pub paid_pence: i64,
    pub returned_pence: i64,
    pub spend_pence: i64,
}

pub(crate) const FUND_COLUMNS: &str =
    "fund_id, name, funder_org_id, funder_name, established_on, received_pence, \
     allocated_pence, awarded_pence, paid_pence, returned_pence, available_pence";
pub(crate) const ROUND_COLUMNS: &str =
    "round_id, fund_id, name, status, opens_on, closes_on, closed_on, decision_mode, \
     themes, eligible_areas, budget_pence, awarded_pence, returned_to_fund_pence";
pub(crate) const APPLICATION_COLUMNS: &str = "application_id, round_id, fund_id, applicant_org_id, applicant_name, title, \
     amount_requested_pence, neighbourhood, themes, status, submitted_on, decided_on, award_id, approved_pence";
pub(crate) const AWARD_COLUMNS: &str = "award_id, application_id, fund_id, round_id, recipient_org_id, recipient_name, \
     title, neighbourhood, themes, status, awarded_on, accepted_on, closed_on, awarded_pence, paid_pence, \
     returned_pence, spend_reported_pence, grant_id, modified_on, published_grant";
pub(crate) const PROXY_COLUMNS: &str =
    "fund_id, indicator, unit, value_per_unit_pence, deadweight, attribution, \
     displacement, drop_off, duration_years, set_on";
pub(crate) const OUTCOME_COLUMNS: &str = "award_id, report_id, indicator, quantity, period_end";
pub(crate) const DRAWDOWN_COLUMNS: &str =
    "award_id, drawdown_id, amount_pence, purpose, status, requested_on, decided_on, paid_on, payment_ref, reason";

fn json_list<T: serde::Serialize>(items: &[T]) -> String {
    serde_json::to_string(items).expect("a list of strings serializes")
}

/// The rows one batch touches, with what it changed. Hash maps with foldhash (a rebuild
/// does several lookups per event; SipHash was a visible share of them). foldhash is
/// seeded per process, so ids chosen by users (report ids, drawdown ids) cannot be
/// crafted to collide. Rows are written back in key order.
#[derive(Default)]
pub(crate) struct Batch {
    funds: HashMap<String, FundState>,
    rounds: HashMap<String, RoundState>,
    applications: HashMap<String, ApplicationState>,
    awards: HashMap<String, AwardState>,
    drawdowns: HashMap<(String, String), DrawdownState>,
    dirty_funds: Dirty<String>,
    dirty_rounds: Dirty<String>,
    dirty_applications: Dirty<String>,
    dirty_awards: Dirty<String>,
    dirty_drawdowns: Dirty<(String, String)>,
    new_themes: BTreeSet<(String, String)>,
    fund_daily: HashMap<(String, Date), FundDelta>,
    award_daily: HashMap<(String, Date), AwardDelta>,
    /// Proxies set in this batch by (fund, indicator); the last one set wins.
    outcome_proxies: HashMap<(String, String), ProxyState>,
    /// Outcome reports made in this batch by (award, report id).
    outcomes: HashMap<(String, String), OutcomeState>,
    votes: crate::votes::VoteBatch,
    priority_lists: crate::priority_areas::PriorityBatch,
}

/// The keys of the rows a batch changed, so only those are written back. A rebuild's
/// batch starts empty, so every row it holds is changed: it keeps no list (`All`), which
/// spares a sorted-set lookup per event.
pub(crate) enum Dirty<K> {
    Keys(BTreeSet<K>),
    All,
}

impl<K> Default for Dirty<K> {
    fn default() -> Self {
        Dirty::Keys(BTreeSet::new())
    }
}

impl<K: Ord> Dirty<K> {
    fn insert(&mut self, key: K) {
        if let Dirty::Keys(keys) = self {
            keys.insert(key);
        }
    }

    /// The changed rows of `rows`, in key order.
    fn rows<'a, V>(&self, rows: &'a HashMap<K, V>) -> Vec<&'a V>
    where
        K: Hash + Eq,
    {
        match self {
            Dirty::Keys(keys) => keys.iter().filter_map(|key| rows.get(key)).collect(),
            Dirty::All => in_key_order(rows).into_iter().map(|(_, row)| row).collect(),
        }
    }
}

impl Dirty<String> {
    /// Marks a row as changed, allocating its key only the first time (most events touch
    /// rows already marked).
    fn mark(&mut self, id: &str) {
        if let Dirty::Keys(keys) = self {
            if !keys.contains(id) {
                keys.insert(id.to_string());
            }
        }
    }
}

/// A map's entries sorted by key.
fn in_key_order<K: Ord, V>(map: &HashMap<K, V>) -> Vec<(&K, &V)> {
    let mut entries: Vec<(&K, &V)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    entries
}

fn missing(event: &LoggedEvent, what: &str, id: &str) -> ProjectionError {
    ProjectionError::BadEvent {
        position: event.position,
        event_type: event.event_type.clone(),
        message: format!("refers to {what} {id}, which the read models do not have"),
    }
}

/// `SELECT {columns} FROM {table} WHERE {key} IN (…)`, in chunks.
pub(crate) async fn load_rows<T>(
    db: &Database,
    table: &str,
    columns: &str,
    key: &str,
    ids: &BTreeSet<String>,
) -> Result<Vec<T>, ProjectionError>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
{
    let ids: Vec<&String> = ids.iter().collect();
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(5_000) {
        let mut sql = Sql::default();
        sql.push(&format!("SELECT {columns} FROM {table} WHERE {key} IN ("));
        for (index, id) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind_text(id.as_str());
        }
        sql.push(")");
        let mut found: Vec<T> = on_pool!(db, |pool| crate::sql::bind_all!(
            sqlx::query_as(&sql.text),
            &sql.params
        )
        .fetch_all(pool)
        .await?);
        rows.append(&mut found);
    }
    Ok(rows)
}

impl Batch {
    /// Loads every row the events will touch.
    pub(crate) async fn load(
        db: &Database,
        events: &[(LoggedEvent, Decoded)],
    ) -> Result<Batch, ProjectionError> {
        let mut batch = Batch::default();
        let mut award_ids = BTreeSet::new();
        let mut application_ids = BTreeSet::new();
        let mut round_ids = BTreeSet::new();
        let mut fund_ids = BTreeSet::new();
        let mut drawdown_awards = BTreeSet::new();
        // Awards whose awarded may drop here (a close, a return after one): their rounds'
        // awarded drops with it.
        let mut closing_awards = BTreeSet::new();
        for (event, decoded) in events {
            let id = &event.aggregate_id;
            match decoded {
                // Proxies and outcome reports are rows of their own: nothing to load.
                Decoded::Fund(
                    FundEvent::FundEstablished { .. }
                    | FundEvent::OutcomeProxySet { .. }
                    | FundEvent::PriorityAreasDeclared { .. },
                ) => {}
                Decoded::Award(AwardEvent::OutcomeReported { .. }) => {}
                Decoded::Fund(_) => {
                    fund_ids.insert(id.clone());
                }
                Decoded::Round(RoundEvent::RoundOpened { .. }) => {}
                Decoded::Round(_) => {
                    round_ids.insert(id.clone());
                }
                Decoded::Application(
                    ApplicationEvent::ApplicationSubmitted { .. }
                    | ApplicationEvent::ConflictDeclared { .. }
                    | ApplicationEvent::ApplicationScored { .. },
                ) => {}
                Decoded::Application(_) => {
                    application_ids.insert(id.clone());
                }
                Decoded::Award(AwardEvent::AwardMade {
                    fund_id, round_id, ..
                }) => {
                    fund_ids.insert(fund_id.to_string());
                    round_ids.insert(round_id.to_string());
                }
                Decoded::Award(AwardEvent::HistoricGrantImported(grant)) => {
                    fund_ids.insert(grant.fund_id.to_string());
                }
                Decoded::Award(
                    AwardEvent::DrawdownApproved { .. }
                    | AwardEvent::DrawdownRejected { .. }
                    | AwardEvent::PaymentRecorded { .. },
                ) => {
                    award_ids.insert(id.clone());
                    drawdown_awards.insert(id.clone());
                }
                Decoded::Award(
                    AwardEvent::AwardClosed { .. } | AwardEvent::MoneyReturned { .. },
                ) => {
                    award_ids.insert(id.clone());
                    closing_awards.insert(id.clone());
                }
                Decoded::Award(_) => {
                    award_ids.insert(id.clone());
                }
                Decoded::Ballot(_) | Decoded::Other => {}
            }
        }
        batch.votes = crate::votes::VoteBatch::load(db, events).await?;
        for row in
            load_rows::<AwardState>(db, "rm_awards", AWARD_COLUMNS, "award_id", &award_ids).await?
        {
            fund_ids.insert(row.fund_id.clone());
            if let Some(round_id) = row.round_id.as_ref() {
                if closing_awards.contains(&row.award_id) {
                    round_ids.insert(round_id.clone());
                }
            }
            batch.awards.insert(row.award_id.clone(), row);
        }
        for row in load_rows::<ApplicationState>(
            db,
            "rm_applications",
            APPLICATION_COLUMNS,
            "application_id",
            &application_ids,
        )
        .await?
        {
            batch.applications.insert(row.application_id.clone(), row);
        }
        for row in
            load_rows::<RoundState>(db, "rm_rounds", ROUND_COLUMNS, "round_id", &round_ids).await?
        {
            batch.rounds.insert(row.round_id.clone(), row);
        }
        for row in load_rows::<DrawdownState>(
            db,
            "rm_drawdowns",
            DRAWDOWN_COLUMNS,
            "award_id",
            &drawdown_awards,
        )
        .await?
        {
            batch
                .drawdowns
                .insert((row.award_id.clone(), row.drawdown_id.clone()), row);
        }
        for row in
            load_rows::<FundState>(db, "rm_funds", FUND_COLUMNS, "fund_id", &fund_ids).await?
        {
            batch.funds.insert(row.fund_id.clone(), row);
        }
        Ok(batch)
    }

    /// A batch for a rebuild: it starts from empty read models and writes every row.
    pub(crate) fn for_rebuild() -> Batch {
        Batch {
            dirty_funds: Dirty::All,
            dirty_rounds: Dirty::All,
            dirty_applications: Dirty::All,
            dirty_awards: Dirty::All,
            dirty_drawdowns: Dirty::All,
            ..Batch::default()
        }
    }

    fn fund_daily(&mut self, fund_id: &str, day: &Date) -> &mut FundDelta {
        self.fund_daily
            .entry((fund_id.to_string(), *day))
            .or_default()
    }

    fn award_daily(&mut self, award_id: &str, day: &Date) -> &mut AwardDelta {
        self.award_daily
            .entry((award_id.to_string(), *day))
            .or_default()
    }

    fn fund_mut(
        &mut self,
        event: &LoggedEvent,
        fund_id: &str,
    ) -> Result<&mut FundState, ProjectionError> {
        self.dirty_funds.mark(fund_id);
        self.funds
            .get_mut(fund_id)
            .ok_or_else(|| missing(event, "fund", fund_id))
    }

    fn round_mut(&mut self, event: &LoggedEvent) -> Result<&mut RoundState, ProjectionError> {
        let id = &event.aggregate_id;
        self.dirty_rounds.mark(id);
        self.rounds
            .get_mut(id)
            .ok_or_else(|| missing(event, "round", id))
    }

    fn round_of_award_mut(
        &mut self,
        event: &LoggedEvent,
        round_id: &str,
    ) -> Result<&mut RoundState, ProjectionError> {
        self.dirty_rounds.mark(round_id);
        self.rounds
            .get_mut(round_id)
            .ok_or_else(|| missing(event, "round", round_id))
    }

    /// A closed award counts at what it cost: its close, and any return after it, lower
    /// its awarded by `drop` pence on `day`, and so its fund's and round's. The round
    /// counts the drop as given back to the fund, so its remaining budget is unchanged.
    fn lower_closed_award(
        &mut self,
        event: &LoggedEvent,
        drop: i64,
        day: &Date,
    ) -> Result<(), ProjectionError> {
        let award = self.award_mut(event)?;
        award.awarded_pence -= drop;
        let (award_id, fund_id) = (award.award_id.clone(), award.fund_id.clone());
        let round_id = award.round_id.clone();
        self.fund_mut(event, &fund_id)?.awarded_pence -= drop;
        self.fund_daily(&fund_id, day).awarded_pence -= drop;
        self.award_daily(&award_id, day).awarded_pence -= drop;
        if let Some(round_id) = round_id {
            let round = self.round_of_award_mut(event, &round_id)?;
            round.awarded_pence -= drop;
            round.returned_to_fund_pence += drop;
        }
        Ok(())
    }

    fn application_mut(
        &mut self,
        event: &LoggedEvent,
    ) -> Result<&mut ApplicationState, ProjectionError> {
        let id = &event.aggregate_id;
        self.dirty_applications.mark(id);
        self.applications
            .get_mut(id)
            .ok_or_else(|| missing(event, "application", id))
    }

    fn award_mut(&mut self, event: &LoggedEvent) -> Result<&mut AwardState, ProjectionError> {
        let id = &event.aggregate_id;
        self.dirty_awards.mark(id);
        self.awards
            .get_mut(id)
            .ok_or_else(|| missing(event, "award", id))
    }

    fn drawdown_mut(
        &mut self,
        event: &LoggedEvent,
        drawdown_id: &str,
    ) -> Result<&mut DrawdownState, ProjectionError> {
        let key = (event.aggregate_id.clone(), drawdown_id.to_string());
        self.dirty_drawdowns.insert(key.clone());
        self.drawdowns
            .get_mut(&key)
            .ok_or_else(|| missing(event, "drawdown", drawdown_id))
    }

    /// Folds one event into the batch's rows. No assertions on the figures events carry:
    /// a projector that lost a race folds stale rows before its compare-and-set rejects
    /// the batch. `verify` checks the carried figures.
    pub(crate) fn apply(
        &mut self,
        event: &LoggedEvent,
        decoded: &Decoded,
    ) -> Result<(), ProjectionError> {
        match decoded {
            Decoded::Fund(fund_event) => {
                self.priority_lists
                    .apply_fund(&event.aggregate_id, fund_event);
                self.apply_fund(event, fund_event)
            }
            Decoded::Round(round_event) => self.apply_round(event, round_event),
            Decoded::Application(application_event) => {
                self.apply_application(event, application_event)
            }
            Decoded::Award(award_event) => self.apply_award(event, award_event),
            Decoded::Ballot(ballot_event) => self.votes.apply_ballot(event, ballot_event),
            Decoded::Other => Ok(()),
        }
    }

    fn apply_fund(
        &mut self,
        event: &LoggedEvent,
        fund_event: &FundEvent,
    ) -> Result<(), ProjectionError> {
        let fund_id = event.aggregate_id.as_str();
        let (day, delta) = match fund_event {
            FundEvent::FundEstablished {
                fund_id: established,
                name,
                funder_org_id,
                funder_name,
                established_on,
            } => {
                self.dirty_funds.insert(fund_id.to_string());
                self.funds.insert(
                    fund_id.to_string(),
                    FundState {
                        fund_id: established.to_string(),
                        name: name.clone(),
                        funder_org_id: funder_org_id.to_string(),
                        funder_name: funder_name.clone(),
                        established_on: established_on.to_string(),
                        received_pence: 0,
                        allocated_pence: 0,
                        awarded_pence: 0,
                        paid_pence: 0,
                        returned_pence: 0,
                        available_pence: 0,
                    },
                );
                return Ok(());
            }
            FundEvent::OutcomeProxySet {
                indicator,
                proxy,
                set_on,
            } => {
                let key = (fund_id.to_string(), indicator.clone());
                self.outcome_proxies.insert(
                    key,
                    ProxyState {
                        fund_id: fund_id.to_string(),
                        indicator: indicator.clone(),
                        unit: proxy.unit.clone(),
                        value_per_unit_pence: p(&proxy.value_per_unit),
                        deadweight: proxy.deadweight.to_string(),
                        attribution: proxy.attribution.to_string(),
                        displacement: proxy.displacement.to_string(),
                        drop_off: proxy.drop_off.to_string(),
                        duration_years: i64::from(proxy.duration_years),
                        set_on: set_on.to_string(),
                    },
                );
                return Ok(());
            }
            // Its own read model (`priority_areas`); no money moves.
            FundEvent::PriorityAreasDeclared { .. } => return Ok(()),
            FundEvent::CapitalReceived {
                amount,
                received_on,
                ..
            } => (
                received_on,
                FundDelta {
                    received_pence: p(amount),
                    available_pence: p(amount),
                    ..FundDelta::default()
                },
            ),
            FundEvent::RoundBudgetAllocated {
                budget,
                allocated_on,
                ..
            } => (
                allocated_on,
                FundDelta {
                    allocated_pence: p(budget),
                    available_pence: -p(budget),
                    ..FundDelta::default()
                },
            ),
            FundEvent::RoundBudgetReleased {
                amount,
                released_on,
                ..
            } => (
                released_on,
                FundDelta {
                    allocated_pence: -p(amount),
                    available_pence: p(amount),
                    ..FundDelta::default()
                },
            ),
            FundEvent::ReturnCredited {
                amount,
                credited_on,
                ..
            } => (
                credited_on,
                FundDelta {
                    available_pence: p(amount),
                    ..FundDelta::default()
                },
            ),
        };
        let fund = self.fund_mut(event, fund_id)?;
        fund.received_pence += delta.received_pence;
        fund.allocated_pence += delta.allocated_pence;
        fund.available_pence += delta.available_pence;
        let daily = self.fund_daily(fund_id, day);
        daily.received_pence += delta.received_pence;
        daily.allocated_pence += delta.allocated_pence;
        daily.available_pence += delta.available_pence;
        Ok(())
    }

    fn apply_round(
        &mut self,
        event: &LoggedEvent,
        round_event: &RoundEvent,
    ) -> Result<(), ProjectionError> {
        match round_event {
            RoundEvent::RoundOpened {
                round_id,
                budget,
                terms,
            } => {
                let decision_mode = serde_json::to_value(terms.decision_mode)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_string))
                    .unwrap_or_default();
                self.votes
                    .round_opened(&event.aggregate_id, terms.decision_mode);
                self.dirty_rounds.insert(event.aggregate_id.clone());
                self.rounds.insert(
                    event.aggregate_id.clone(),
                    RoundState {
                        round_id: round_id.to_string(),
                        fund_id: terms.fund_id.to_string(),
                        name: terms.name.clone(),
                        status: "open".into(),
                        opens_on: terms.opens_on.to_string(),
                        closes_on: terms.closes_on.to_string(),
                        closed_on: None,
                        decision_mode,
                        themes: json_list(&terms.themes),
                        eligible_areas: json_list(&terms.eligible_areas),
                        budget_pence: p(budget),
                        awarded_pence: 0,
                        returned_to_fund_pence: 0,
                    },
                );
            }
            RoundEvent::ApplicationApproved { amount, .. } => {
                self.round_mut(event)?.awarded_pence += p(amount);
            }
            RoundEvent::VariationReserved { increase, .. } => {
                self.round_mut(event)?.awarded_pence += p(increase);
            }
            RoundEvent::VariationReleased {
                decrease,
                released_to_fund,
                ..
            } => {
                let round = self.round_mut(event)?;
                round.awarded_pence -= p(decrease);
                if *released_to_fund {
                    round.returned_to_fund_pence += p(decrease);
                }
            }
            RoundEvent::RoundClosed {
                closed_on,
                unawarded,
                ..
            } => {
                let round = self.round_mut(event)?;
                round.status = "closed".into();
                round.closed_on = Some(closed_on.to_string());
                round.returned_to_fund_pence += p(unawarded);
            }
            RoundEvent::BallotCodesIssued { .. }
            | RoundEvent::VotingClosed { .. }
            | RoundEvent::VotesAllocated { .. } => self.votes.apply_round(event, round_event)?,
        }
        Ok(())
    }

    fn apply_application(
        &mut self,
        event: &LoggedEvent,
        application_event: &ApplicationEvent,
    ) -> Result<(), ProjectionError> {
        match application_event {
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
                self.dirty_applications.insert(event.aggregate_id.clone());
                self.applications.insert(
                    event.aggregate_id.clone(),
                    ApplicationState {
                        application_id: application_id.to_string(),
                        round_id: round_id.to_string(),
                        fund_id: fund_id.to_string(),
                        applicant_org_id: applicant.to_string(),
                        applicant_name: applicant_name.clone(),
                        title: title.clone(),
                        amount_requested_pence: p(amount_requested),
                        neighbourhood: neighbourhood.as_str().to_string(),
                        themes: json_list(themes),
                        status: "submitted".into(),
                        submitted_on: submitted_on.to_string(),
                        decided_on: None,
                        award_id: None,
                        approved_pence: None,
                    },
                );
            }
            ApplicationEvent::ConflictDeclared { .. }
            | ApplicationEvent::ApplicationScored { .. } => {}
            ApplicationEvent::ApplicationWithdrawn { withdrawn_on } => {
                let application = self.application_mut(event)?;
                application.status = "withdrawn".into();
                application.decided_on = Some(withdrawn_on.to_string());
            }
            ApplicationEvent::ApplicationDeclined { decided_on, .. } => {
                let application = self.application_mut(event)?;
                application.status = "declined".into();
                application.decided_on = Some(decided_on.to_string());
            }
            ApplicationEvent::ApprovalRecorded {
                award_id,
                amount,
                decided_on,
            } => {
                let application = self.application_mut(event)?;
                application.status = "approved".into();
                application.decided_on = Some(decided_on.to_string());
                application.award_id = Some(award_id.to_string());
                application.approved_pence = Some(p(amount));
            }
        }
        Ok(())
    }

    fn apply_award(
        &mut self,
        event: &LoggedEvent,
        award_event: &AwardEvent,
    ) -> Result<(), ProjectionError> {
        let award_id = event.aggregate_id.clone();
        match award_event {
            AwardEvent::AwardMade {
                application_id,
                fund_id,
                round_id,
                recipient_org_id,
                recipient_name,
                title,
                neighbourhood,
                themes,
                amount,
                awarded_on,
                ..
            } => {
                self.dirty_awards.insert(award_id.clone());
                self.awards.insert(
                    award_id.clone(),
                    AwardState {
                        award_id: award_id.clone(),
                        application_id: Some(application_id.to_string()),
                        fund_id: fund_id.to_string(),
                        round_id: Some(round_id.to_string()),
                        recipient_org_id: recipient_org_id.to_string(),
                        recipient_name: recipient_name.clone(),
                        title: title.clone(),
                        neighbourhood: Some(neighbourhood.as_str().to_string()),
                        themes: json_list(themes),
                        status: "offered".into(),
                        awarded_on: awarded_on.to_string(),
                        accepted_on: None,
                        closed_on: None,
                        awarded_pence: p(amount),
                        paid_pence: 0,
                        returned_pence: 0,
                        spend_reported_pence: 0,
                        grant_id: None,
                        modified_on: awarded_on.to_string(),
                        published_grant: None,
                    },
                );
                for theme in themes {
                    self.new_themes.insert((award_id.clone(), theme.clone()));
                }
                self.fund_mut(event, fund_id.as_str())?.awarded_pence += p(amount);
                self.fund_daily(fund_id.as_str(), awarded_on).awarded_pence += p(amount);
                self.award_daily(&award_id, awarded_on).awarded_pence += p(amount);
            }
            // Counts in awarded, and what the publisher says was disbursed in paid, both on
            // the award date (the file gives no payment dates). Never in allocated or
            // available: the money left the funder before the ledger held its capital.
            AwardEvent::HistoricGrantImported(grant) => {
                let disbursed = grant.disbursed.as_ref().map(p).unwrap_or(0);
                self.dirty_awards.insert(award_id.clone());
                self.awards.insert(
                    award_id.clone(),
                    AwardState {
                        award_id: award_id.clone(),
                        application_id: None,
                        fund_id: grant.fund_id.to_string(),
                        round_id: None,
                        recipient_org_id: grant.recipient_org_id.to_string(),
                        recipient_name: grant.recipient_name.clone(),
                        title: grant.title.clone(),
                        neighbourhood: grant.neighbourhood.as_ref().map(|code| code.to_string()),
                        themes: json_list(&grant.themes),
                        status: "historic".into(),
                        awarded_on: grant.awarded_on.to_string(),
                        accepted_on: None,
                        closed_on: None,
                        awarded_pence: p(&grant.amount),
                        paid_pence: disbursed,
                        returned_pence: 0,
                        spend_reported_pence: 0,
                        grant_id: Some(grant.grant_id.clone()),
                        modified_on: grant.awarded_on.to_string(),
                        published_grant: grant.published.clone(),
                    },
                );
                for theme in &grant.themes {
                    self.new_themes.insert((award_id.clone(), theme.clone()));
                }
                let fund_id = grant.fund_id.as_str();
                let fund = self.fund_mut(event, fund_id)?;
                fund.awarded_pence += p(&grant.amount);
                fund.paid_pence += disbursed;
                let daily = self.fund_daily(fund_id, &grant.awarded_on);
                daily.awarded_pence += p(&grant.amount);
                daily.paid_pence += disbursed;
                let daily = self.award_daily(&award_id, &grant.awarded_on);
                daily.awarded_pence += p(&grant.amount);
                daily.paid_pence += disbursed;
            }
            AwardEvent::AgreementAccepted { accepted_on } => {
                let award = self.award_mut(event)?;
                award.status = "active".into();
                award.accepted_on = Some(accepted_on.to_string());
            }
            AwardEvent::DrawdownRequested {
                drawdown_id,
                amount,
                purpose,
                requested_on,
            } => {
                self.award_mut(event)?;
                let key = (award_id.clone(), drawdown_id.to_string());
                self.dirty_drawdowns.insert(key.clone());
                self.drawdowns.insert(
                    key,
                    DrawdownState {
                        award_id: award_id.clone(),
                        drawdown_id: drawdown_id.to_string(),
                        amount_pence: p(amount),
                        purpose: purpose.clone(),
                        status: "requested".into(),
                        requested_on: requested_on.to_string(),
                        decided_on: None,
                        paid_on: None,
                        payment_ref: None,
                        reason: None,
                    },
                );
            }
            AwardEvent::DrawdownApproved {
                drawdown_id,
                approved_on,
                ..
            } => {
                let drawdown = self.drawdown_mut(event, drawdown_id.as_str())?;
                drawdown.status = "approved".into();
                drawdown.decided_on = Some(approved_on.to_string());
            }
            AwardEvent::DrawdownRejected {
                drawdown_id,
                reason,
                rejected_on,
                ..
            } => {
                let drawdown = self.drawdown_mut(event, drawdown_id.as_str())?;
                drawdown.status = "rejected".into();
                drawdown.decided_on = Some(rejected_on.to_string());
                drawdown.reason = Some(reason.clone());
            }
            AwardEvent::PaymentRecorded {
                drawdown_id,
                amount,
                payment_ref,
                paid_on,
                ..
            } => {
                let drawdown = self.drawdown_mut(event, drawdown_id.as_str())?;
                drawdown.status = "paid".into();
                drawdown.paid_on = Some(paid_on.to_string());
                drawdown.payment_ref = Some(payment_ref.clone());
                let award = self.award_mut(event)?;
                award.paid_pence += p(amount);
                let fund_id = award.fund_id.clone();
                self.fund_mut(event, &fund_id)?.paid_pence += p(amount);
                self.fund_daily(&fund_id, paid_on).paid_pence += p(amount);
                self.award_daily(&award_id, paid_on).paid_pence += p(amount);
            }
            AwardEvent::AwardVaried {
                old_amount,
                new_amount,
                varied_on,
                ..
            } => {
                let change = p(new_amount) - p(old_amount);
                let award = self.award_mut(event)?;
                award.awarded_pence += change;
                let fund_id = award.fund_id.clone();
                self.fund_mut(event, &fund_id)?.awarded_pence += change;
                self.fund_daily(&fund_id, varied_on).awarded_pence += change;
                self.award_daily(&award_id, varied_on).awarded_pence += change;
            }
            AwardEvent::MoneyReturned {
                amount,
                returned_on,
                ..
            } => {
                let award = self.award_mut(event)?;
                award.returned_pence += p(amount);
                let fund_id = award.fund_id.clone();
                let closed = award.status == "closed";
                self.fund_mut(event, &fund_id)?.returned_pence += p(amount);
                self.fund_daily(&fund_id, returned_on).returned_pence += p(amount);
                self.award_daily(&award_id, returned_on).returned_pence += p(amount);
                if closed {
                    self.lower_closed_award(event, p(amount), returned_on)?;
                }
            }
            AwardEvent::SpendReported {
                total, period_end, ..
            } => {
                self.award_mut(event)?.spend_reported_pence += p(total);
                self.award_daily(&award_id, period_end).spend_pence += p(total);
            }
            AwardEvent::OutcomeReported {
                report_id,
                indicator,
                quantity,
                period_end,
            } => {
                self.outcomes.insert(
                    (award_id.clone(), report_id.clone()),
                    OutcomeState {
                        award_id: award_id.clone(),
                        report_id: report_id.clone(),
                        indicator: indicator.clone(),
                        quantity: quantity.normalize().to_string(),
                        period_end: period_end.to_string(),
                    },
                );
            }
            AwardEvent::AwardClosed {
                closed_on,
                final_amount,
                ..
            } => {
                let award = self.award_mut(event)?;
                award.status = "closed".into();
                award.closed_on = Some(closed_on.to_string());
                // A close stored before it recorded its figures: what the award cost.
                let cost = final_amount
                    .as_ref()
                    .map(p)
                    .unwrap_or(award.paid_pence - award.returned_pence);
                let drop = award.awarded_pence - cost;
                self.lower_closed_award(event, drop, closed_on)?;
            }
        }
        if let Some(day) = publication_date(award_event) {
            let day = day.to_string();
            let award = self.award_mut(event)?;
            // The latest date, not the last event's: business dates may be entered late.
            if day > award.modified_on {
                award.modified_on = day;
            }
        }
        Ok(())
    }

    /// The statements that write the batch's changes back.
    pub(crate) fn statements(self, writer: Writer) -> Vec<Statement> {
        let mut statements = Vec::new();
        self.write_statements(writer, &mut statements);
        statements
    }

    /// The statements that write the batch's changes back, each handed to `statements`
    /// as soon as it is made (a rebuild runs each while the next is encoded).
    pub(crate) fn write_statements(self, writer: Writer, statements: &mut impl StatementSink) {
        self.votes.statements(writer, statements);
        self.priority_lists.statements(writer, statements);
        let funds: Vec<&FundState> = self.dirty_funds.rows(&self.funds);
        upsert(
            statements,
            writer,
            "rm_funds",
            FUND_COLUMNS,
            "fund_id",
            OnConflict::Replace,
            &funds,
            |row| {
                vec![
                    Field::Text(&row.fund_id),
                    Field::Text(&row.name),
                    Field::Text(&row.funder_org_id),
                    Field::Text(&row.funder_name),
                    Field::Text(&row.established_on),
                    Field::Int(row.received_pence),
                    Field::Int(row.allocated_pence),
                    Field::Int(row.awarded_pence),
                    Field::Int(row.paid_pence),
                    Field::Int(row.returned_pence),
                    Field::Int(row.available_pence),
                ]
            },
        );
        let rounds: Vec<&RoundState> = self.dirty_rounds.rows(&self.rounds);
        upsert(
            statements,
            writer,
            "rm_rounds",
            ROUND_COLUMNS,
            "round_id",
            OnConflict::Replace,
            &rounds,
            |row| {
                vec![
                    Field::Text(&row.round_id),
                    Field::Text(&row.fund_id),
                    Field::Text(&row.name),
                    Field::Text(&row.status),
                    Field::Text(&row.opens_on),
                    Field::Text(&row.closes_on),
                    Field::OptText(row.closed_on.as_deref()),
                    Field::Text(&row.decision_mode),
                    Field::Text(&row.themes),
                    Field::Text(&row.eligible_areas),
                    Field::Int(row.budget_pence),
                    Field::Int(row.awarded_pence),
                    Field::Int(row.returned_to_fund_pence),
                ]
            },
        );
        let applications: Vec<&ApplicationState> = self.dirty_applications.rows(&self.applications);
        upsert(
            statements,
            writer,
            "rm_applications",
            APPLICATION_COLUMNS,
            "application_id",
            OnConflict::Replace,
            &applications,
            |row| {
                vec![
                    Field::Text(&row.application_id),
                    Field::Text(&row.round_id),
                    Field::Text(&row.fund_id),
                    Field::Text(&row.applicant_org_id),
                    Field::Text(&row.applicant_name),
                    Field::Text(&row.title),
                    Field::Int(row.amount_requested_pence),
                    Field::Text(&row.neighbourhood),
                    Field::Text(&row.themes),
                    Field::Text(&row.status),
                    Field::Text(&row.submitted_on),
                    Field::OptText(row.decided_on.as_deref()),
                    Field::OptText(row.award_id.as_deref()),
                    Field::OptInt(row.approved_pence),
                ]
            },
        );
        let awards: Vec<&AwardState> = self.dirty_awards.rows(&self.awards);
        upsert(
            statements,
            writer,
            "rm_awards",
            AWARD_COLUMNS,
            "award_id",
            OnConflict::Replace,
            &awards,
            |row| {
                vec![
                    Field::Text(&row.award_id),
                    Field::OptText(row.application_id.as_deref()),
                    Field::Text(&row.fund_id),
                    Field::OptText(row.round_id.as_deref()),
                    Field::Text(&row.recipient_org_id),
                    Field::Text(&row.recipient_name),
                    Field::Text(&row.title),
                    Field::OptText(row.neighbourhood.as_deref()),
                    Field::Text(&row.themes),
                    Field::Text(&row.status),
                    Field::Text(&row.awarded_on),
                    Field::OptText(row.accepted_on.as_deref()),
                    Field::OptText(row.closed_on.as_deref()),
                    Field::Int(row.awarded_pence),
                    Field::Int(row.paid_pence),
                    Field::Int(row.returned_pence),
                    Field::Int(row.spend_reported_pence),
                    Field::OptText(row.grant_id.as_deref()),
                    Field::Text(&row.modified_on),
                    Field::OptText(row.published_grant.as_deref()),
                ]
            },
        );
        let drawdowns: Vec<&DrawdownState> = self.dirty_drawdowns.rows(&self.drawdowns);
        upsert(
            statements,
            writer,
            "rm_drawdowns",
            DRAWDOWN_COLUMNS,
            "award_id, drawdown_id",
            OnConflict::Replace,
            &drawdowns,
            |row| {
                vec![
                    Field::Text(&row.award_id),
                    Field::Text(&row.drawdown_id),
                    Field::Int(row.amount_pence),
                    Field::Text(&row.purpose),
                    Field::Text(&row.status),
                    Field::Text(&row.requested_on),
                    Field::OptText(row.decided_on.as_deref()),
                    Field::OptText(row.paid_on.as_deref()),
                    Field::OptText(row.payment_ref.as_deref()),
                    Field::OptText(row.reason.as_deref()),
                ]
            },
        );
        let themes: Vec<&(String, String)> = self.new_themes.iter().collect();
        upsert(
            statements,
            writer,
            "rm_award_themes",
            "award_id, theme",
            "award_id, theme",
            OnConflict::Ignore,
            &themes,
            |(award, theme)| vec![Field::Text(award), Field::Text(theme)],
        );
        let fund_daily = in_key_order(&self.fund_daily);
        upsert(statements, writer,
            "rm_fund_daily",
            "fund_id, day, received_pence, allocated_pence, awarded_pence, paid_pence, returned_pence, available_pence",
            "fund_id, day",
            OnConflict::Add("rm_fund_daily"),
            &fund_daily,
            |((fund, day), delta)| {
                vec![
                    Field::Text(fund),
                    Field::Date(*day),
                    Field::Int(delta.received_pence),
                    Field::Int(delta.allocated_pence),
                    Field::Int(delta.awarded_pence),
                    Field::Int(delta.paid_pence),
                    Field::Int(delta.returned_pence),
                    Field::Int(delta.available_pence),
                ]
            },
        );
        let award_daily = in_key_order(&self.award_daily);
        upsert(
            statements,
            writer,
            "rm_award_daily",
            "award_id, day, awarded_pence, paid_pence, returned_pence, spend_pence",
            "award_id, day",
            OnConflict::Add("rm_award_daily"),
            &award_daily,
            |((award, day), delta)| {
                vec![
                    Field::Text(award),
                    Field::Date(*day),
                    Field::Int(delta.awarded_pence),
                    Field::Int(delta.paid_pence),
                    Field::Int(delta.returned_pence),
                    Field::Int(delta.spend_pence),
                ]
            },
        );
        let proxies: Vec<&ProxyState> = in_key_order(&self.outcome_proxies)
            .into_iter()
            .map(|(_, row)| row)
            .collect();
        upsert(
            statements,
            writer,
            "rm_outcome_proxies",
            PROXY_COLUMNS,
            "fund_id, indicator",
            OnConflict::Replace,
            &proxies,
            |row| {
                vec![
                    Field::Text(&row.fund_id),
                    Field::Text(&row.indicator),
                    Field::Text(&row.unit),
                    Field::Int(row.value_per_unit_pence),
                    Field::Text(&row.deadweight),
                    Field::Text(&row.attribution),
                    Field::Text(&row.displacement),
                    Field::Text(&row.drop_off),
                    Field::Int(row.duration_years),
                    Field::Text(&row.set_on),
                ]
            },
        );
        let outcomes: Vec<&OutcomeState> = in_key_order(&self.outcomes)
            .into_iter()
            .map(|(_, row)| row)
            .collect();
        upsert(
            statements,
            writer,
            "rm_outcomes",
            OUTCOME_COLUMNS,
            "award_id, report_id",
            OnConflict::Replace,
            &outcomes,
            |row| {
                vec![
                    Field::Text(&row.award_id),
                    Field::Text(&row.report_id),
                    Field::Text(&row.indicator),
                    Field::Text(&row.quantity),
                    Field::Text(&row.period_end),
                ]
            },
        );
    }
}

/// How a batch's rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writer {
    /// Multi-row `INSERT … VALUES … ON CONFLICT` with bound parameters (SQLite).
    Values,
    /// `INSERT … SELECT * FROM UNNEST(arrays) ON CONFLICT …` (PostgreSQL, live batches).
    Unnest,
    /// `COPY … FROM STDIN WITH (FREEZE)` (PostgreSQL, a rebuild): only into tables emptied
    /// by `TRUNCATE` in the same transaction, and only rows with distinct keys (no
    /// conflict handling). FREEZE writes the rows already frozen and all-visible: no
    /// hint-bit writes or vacuum pass later; it is allowed because the transaction
    /// truncated the table, and it shows nothing early since `TRUNCATE` locks readers out
    /// until the commit.
    Copy,
}

impl Writer {
    /// The writer of live batches on a store.
    pub(crate) fn live(postgres: bool) -> Writer {
        if postgres {
            Writer::Unnest
        } else {
            Writer::Values
        }
    }
}

/// One value of a row to write, borrowed from the row: COPY data is written straight from
/// it (a rebuild writes a row per event and more), and only statements with bound
/// parameters (live batches) make owned `Param`s of it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field<'a> {
    Text(&'a str),
    Int(i64),
    OptText(Option<&'a str>),
    OptInt(Option<i64>),
    /// A day, as `YYYY-MM-DD` text.
    Date(Date),
    /// Bytes as lowercase hex text (chain hashes).
    Hex(&'a [u8]),
}

impl Field<'_> {
    fn to_param(self) -> Param {
        match self {
            Field::Text(text) => Param::Text(text.to_string()),
            Field::Int(value) => Param::Int(value),
            Field::OptText(text) => Param::OptText(text.map(str::to_string)),
            Field::OptInt(value) => Param::OptInt(value),
            Field::Date(day) => Param::Text(day.to_string()),
            Field::Hex(bytes) => Param::Text(hex::encode(bytes)),
        }
    }
}

/// Appends one value to COPY text-format data: `\N` for NULL, and backslash, newline,
/// carriage return and tab escaped (the only bytes the format treats specially).
pub(crate) fn copy_field(data: &mut Vec<u8>, field: Field<'_>) {
    match field {
        Field::Int(value) | Field::OptInt(Some(value)) => {
            data.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        }
        Field::OptInt(None) | Field::OptText(None) => data.extend_from_slice(b"\\N"),
        Field::Text(text) | Field::OptText(Some(text)) => copy_text(data, text.as_bytes()),
        Field::Date(day) => {
            use std::io::Write;
            write!(data, "{day}").expect("writing to memory");
        }
        Field::Hex(bytes) => {
            let start = data.len();
            data.resize(start + 2 * bytes.len(), 0);
            hex::encode_to_slice(bytes, &mut data[start..]).expect("twice as many hex digits");
        }
    }
}

/// Appends text to COPY text-format data, escaped.
pub(crate) fn copy_text(data: &mut Vec<u8>, text: &[u8]) {
    if !text
        .iter()
        .any(|byte| matches!(byte, b'\\' | b'\n' | b'\r' | b'\t'))
    {
        data.extend_from_slice(text);
        return;
    }
    for &byte in text {
        match byte {
            b'\\' => data.extend_from_slice(b"\\\\"),
            b'\n' => data.extend_from_slice(b"\\n"),
            b'\r' => data.extend_from_slice(b"\\r"),
            b'\t' => data.extend_from_slice(b"\\t"),
            other => data.push(other),
        }
    }
}

/// One write of a batch. On PostgreSQL multi-row writes bind one array per column
/// (`UNNEST`): one small statement instead of tens of thousands of parameters.
#[derive(Debug)]
pub(crate) enum Statement {
    Rows(Sql),
    Unnest {
        text: String,
        columns: Vec<ColumnArray>,
    },
    /// `COPY … FROM STDIN` with its rows in text format (plain inserts of simple values).
    Copy {
        text: String,
        data: Vec<u8>,
    },
}

#[derive(Debug)]
pub(crate) enum ColumnArray {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
}

/// What a multi-row insert does with a row whose key exists.
#[derive(Debug, Clone, Copy)]
pub(crate) enum OnConflict<'a> {
    /// Replace the stored columns with the new values.
    Replace,
    /// Add the new values to the stored ones (daily deltas in `table`).
    Add(&'a str),
    /// Keep the stored row.
    Ignore,
    /// Fail the statement (and so the batch).
    Fail,
}

/// Where a batch's statements go as they are made: a list (a live batch, run once all are
/// made), or a channel to the transaction that runs them (a rebuild).
pub(crate) trait StatementSink {
    fn push(&mut self, statement: Statement);
}

impl StatementSink for Vec<Statement> {
    fn push(&mut self, statement: Statement) {
        Vec::push(self, statement);
    }
}

/// Multi-row `INSERT … ON CONFLICT`, split to stay under the parameter limits.
// The arguments are the parts of one INSERT statement; a struct for them would only rename them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn upsert<T>(
    statements: &mut impl StatementSink,
    writer: Writer,
    table: &str,
    columns: &str,
    key: &str,
    on_conflict: OnConflict<'_>,
    rows: &[T],
    fields: impl Fn(&T) -> Vec<Field<'_>>,
) {
    if rows.is_empty() {
        return;
    }
    let names: Vec<&str> = columns.split(',').map(str::trim).collect();
    let keys: Vec<&str> = key.split(',').map(str::trim).collect();
    let update: Vec<String> = names
        .iter()
        .filter(|name| !keys.contains(name))
        .map(|name| match on_conflict {
            OnConflict::Add(table) => format!("{name} = {table}.{name} + excluded.{name}"),
            _ => format!("{name} = excluded.{name}"),
        })
        .collect();
    let conflict = match on_conflict {
        OnConflict::Ignore => format!(" ON CONFLICT ({key}) DO NOTHING"),
        OnConflict::Fail => String::new(),
        _ => format!(" ON CONFLICT ({key}) DO UPDATE SET {}", update.join(", ")),
    };
    if writer == Writer::Copy {
        let mut data = Vec::with_capacity(rows.len() * 16 * names.len());
        for row in rows {
            for (index, field) in fields(row).into_iter().enumerate() {
                if index > 0 {
                    data.push(b'\t');
                }
                copy_field(&mut data, field);
            }
            data.push(b'\n');
        }
        statements.push(Statement::Copy {
            text: format!("COPY {table} ({columns}) FROM STDIN WITH (FREEZE)"),
            data,
        });
        return;
    }
    if writer == Writer::Unnest {
        let mut values: Vec<ColumnArray> = Vec::with_capacity(names.len());
        for row in rows {
            for (index, param) in fields(row).into_iter().map(Field::to_param).enumerate() {
                if values.len() <= index {
                    values.push(match param {
                        Param::Int(_) | Param::OptInt(_) => {
                            ColumnArray::Int(Vec::with_capacity(rows.len()))
                        }
                        Param::Text(_) | Param::OptText(_) => {
                            ColumnArray::Text(Vec::with_capacity(rows.len()))
                        }
                    });
                }
                match (&mut values[index], param) {
                    (ColumnArray::Int(values), Param::Int(value)) => values.push(Some(value)),
                    (ColumnArray::Int(values), Param::OptInt(value)) => values.push(value),
                    (ColumnArray::Text(values), Param::Text(value)) => values.push(Some(value)),
                    (ColumnArray::Text(values), Param::OptText(value)) => values.push(value),
                    _ => unreachable!("a column's values are all of one kind"),
                }
            }
        }
        let arrays: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(index, column)| match column {
                ColumnArray::Int(_) => format!("${}::bigint[]", index + 1),
                ColumnArray::Text(_) => format!("${}::text[]", index + 1),
            })
            .collect();
        let text = format!(
            "INSERT INTO {table} ({columns}) SELECT * FROM UNNEST({}){conflict}",
            arrays.join(", ")
        );
        statements.push(Statement::Unnest {
            text,
            columns: values,
        });
        return;
    }
    let per_statement = (MAX_PARAMS_PER_STATEMENT / names.len()).max(1);
    for chunk in rows.chunks(per_statement) {
        let mut sql = Sql::default();
        sql.push(&format!("INSERT INTO {table} ({columns}) VALUES "));
        for (index, row) in chunk.iter().enumerate() {
            sql.push(if index == 0 { "(" } else { ", (" });
            for (column, field) in fields(row).into_iter().enumerate() {
                if column > 0 {
                    sql.push(", ");
                }
                sql.bind(field.to_param());
            }
            sql.push(")");
        }
        sql.push(&conflict);
        statements.push(Statement::Rows(sql));
    }
}
