//! The demo data set: one community wealth fund over two years, written through the same
//! command path as the API, so the demo exercises every rule a real fund meets.
//!
//! Deterministic: choices come from a fixed-seed generator, every command carries an
//! idempotency key starting `demo-`, and ids are derived from those keys. Running it twice
//! writes nothing the second time and prints the same summary.

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::fmt;

use chrono::Days;
use domain::application::Score;
use domain::award::SpendLine;
use domain::round::DecisionMode;
use domain::{
    ApplicationId, AwardId, Date, FundId, GeoCode, GeoLevel, Geography, Money, OrgId, RoundId,
};
use infrastructure::ballot_codes::derived_code;
use infrastructure::geography::{read_areas, Area, GeographyError};
use infrastructure::ledger::{
    Ledger, LedgerError, OpenRound, Request, SetOutcomeProxy, SubmitApplication,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// The reference geography the demo's neighbourhoods come from: 40 of the most deprived
/// LSOAs (real ONS codes, IMD 2019 decile 1) of 5 local authorities, under their real
/// wards (December 2019), the authorities' regions and England: rows identical to the
/// shipped reference geography (`infrastructure/reference/derive.py` writes both).
pub const DEMO_GEOGRAPHY_CSV: &str = include_str!("../demo/geography.csv");

const FUND_NAME: &str = "Northern & Coastal Community Wealth Fund";
const SEED: u64 = 0x5EED_F00D_2025;
const ADMIN: &str = "demo-officer";
const PANEL: [&str; 3] = ["demo-panel-amina", "demo-panel-bryn", "demo-panel-carys"];
/// Score (mean of the panel's scores, times 10) at or above which an application is funded.
const FUNDING_THRESHOLD_TENTHS: u32 = 33;
/// How many distinct community groups apply across the demo.
const DEMO_ORGANISATIONS: u64 = 130;
/// Ballot codes issued for the participatory round, and how many of them vote.
const DEMO_BALLOT_CODES: usize = 180;
const DEMO_BALLOTS_CAST: usize = 140;
/// The actor ballots are recorded under (ballots are secret).
const VOTER: &str = "voter";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo geography is invalid: {0}")]
    Geography(#[from] GeographyError),
    #[error("demo step `{step}` failed: {source}")]
    Step {
        step: String,
        #[source]
        source: LedgerError,
    },
}

/// What the demo wrote, read back from the aggregates.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSummary {
    pub fund_id: FundId,
    pub fund_name: String,
    pub capital_received: Money,
    pub allocated: Money,
    pub available: Money,
    pub rounds: Vec<RoundLine>,
    pub areas: Vec<AreaLine>,
    pub applications: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoundLine {
    pub round_id: RoundId,
    pub name: String,
    pub budget: Money,
    pub awarded: Money,
    pub closed: bool,
}

/// Awards in one local authority, with the neighbourhoods (LSOAs) they went to.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaLine {
    pub code: String,
    pub name: String,
    pub awards: usize,
    pub neighbourhoods: usize,
    pub awarded: Money,
    pub paid: Money,
    pub returned: Money,
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} ({})", self.fund_name, self.fund_id)?;
        writeln!(
            f,
            "  capital received    {:>16}",
            self.capital_received.to_string()
        )?;
        writeln!(
            f,
            "  allocated to rounds {:>16}",
            self.allocated.to_string()
        )?;
        writeln!(
            f,
            "  available           {:>16}",
            self.available.to_string()
        )?;
        writeln!(f, "  applications        {:>16}", self.applications)?;
        writeln!(f)?;
        writeln!(f, "Rounds")?;
        for round in &self.rounds {
            writeln!(
                f,
                "  {:<28} budget {:>13}  awarded {:>13}  {}",
                round.name,
                round.budget.to_string(),
                round.awarded.to_string(),
                if round.closed { "closed" } else { "open" }
            )?;
        }
        writeln!(f)?;
        writeln!(f, "Awards by local authority")?;
        writeln!(
            f,
            "  {:<40} {:>6} {:>6} {:>14} {:>14} {:>12}",
            "area", "awards", "LSOAs", "awarded", "paid", "returned"
        )?;
        for area in &self.areas {
            writeln!(
                f,
                "  {:<40} {:>6} {:>6} {:>14} {:>14} {:>12}",
                format!("{} {}", area.code, area.name),
                area.awards,
                area.neighbourhoods,
                area.awarded.to_string(),
                area.paid.to_string(),
                area.returned.to_string()
            )?;
        }
        Ok(())
    }
}

/// A small fixed-seed generator (splitmix64): the demo must not change when a random-number
/// crate changes its algorithm.
struct Choices(u64);

impl Choices {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound`.
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

struct RoundPlan {
    key: &'static str,
    name: &'static str,
    budget: Money,
    opens_on: &'static str,
    closes_on: &'static str,
    /// Local authority codes; an LSOA within one is eligible.
    eligible: &'static [&'static str],
    themes: &'static [&'static str],
    decision_mode: DecisionMode,
    min_panel_scores: u32,
    applications: usize,
    /// Whether the round is closed at the end of the demo.
    closes: bool,
}

const HULL: &str = "E06000010";
const MIDDLESBROUGH: &str = "E06000002";
const BLACKPOOL: &str = "E06000009";
const LIVERPOOL: &str = "E08000012";
const BRISTOL: &str = "E06000023";

fn round_plans() -> [RoundPlan; 3] {
    [
        RoundPlan {
            key: "r1",
            name: "Neighbourhood Anchors 2025",
            budget: Money::pounds(400_000),
            opens_on: "2025-05-01",
            closes_on: "2025-07-31",
            eligible: &[HULL, MIDDLESBROUGH, BLACKPOOL, LIVERPOOL, BRISTOL],
            themes: &["community spaces", "youth", "employment"],
            decision_mode: DecisionMode::Panel,
            min_panel_scores: 2,
            applications: 80,
            closes: true,
        },
        RoundPlan {
            key: "r2",
            name: "Food and Warmth 2025",
            budget: Money::pounds(250_000),
            opens_on: "2025-09-01",
            closes_on: "2025-10-31",
            eligible: &[HULL, MIDDLESBROUGH, BLACKPOOL],
            themes: &["food", "warmth"],
            decision_mode: DecisionMode::Panel,
            min_panel_scores: 2,
            applications: 60,
            closes: true,
        },
        RoundPlan {
            key: "r3",
            name: "People's Choice 2026",
            budget: Money::pounds(300_000),
            opens_on: "2026-02-01",
            closes_on: "2026-04-30",
            eligible: &[LIVERPOOL, BRISTOL],
            themes: &["environment", "arts", "health"],
            decision_mode: DecisionMode::Participatory,
            min_panel_scores: 0,
            applications: 60,
            closes: false,
        },
    ]
}

const GROUP_KINDS: [&str; 8] = [
    "Residents Association",
    "Community Pantry",
    "Youth Club",
    "Tenants Forum",
    "Community Garden",
    "Men's Shed",
    "Family Hub",
    "Arts Collective",
];

const PROJECT_KINDS: [&str; 8] = [
    "Warm welcome space",
    "After-school club",
    "Community kitchen",
    "Green corridor",
    "Job club",
    "Street festival",
    "Repair café",
    "Befriending service",
];

fn date(text: &str) -> Date {
    text.parse().expect("demo dates are valid")
}

fn plus_days(day: Date, days: u64) -> Date {
    day.checked_add_days(Days::new(days))
        .expect("demo dates stay in range")
}

/// The demo's writer: keys every command so that a rerun is a no-op.
struct Writer<'a> {
    ledger: &'a Ledger,
}

impl Writer<'_> {
    fn request(&self, actor: &str, today: Date, key: &str) -> Request {
        Request::new(actor, today).with_key(Some(format!("demo-{key}")), &key)
    }

    fn step<T>(key: &str, result: Result<T, LedgerError>) -> Result<T, DemoError> {
        result.map_err(|source| DemoError::Step {
            step: key.to_string(),
            source,
        })
    }
}

struct DemoApplication {
    id: ApplicationId,
    applicant: OrgId,
    requested: Money,
}

/// The demo's areas, in the store: the shipped reference geography if the store has none
/// (a fresh install), and the demo's own rows if any of them is missing.
async fn load_geography(ledger: &Ledger) -> Result<Vec<Area>, DemoError> {
    let areas = read_areas(DEMO_GEOGRAPHY_CSV.as_bytes(), "demo geography")?;
    ledger
        .geography
        .load_reference_if_empty(&ledger.database)
        .await?;
    // A store with another geography (or none, when the reference is turned off) gets
    // the demo's own areas; over the shipped reference they would change nothing.
    let codes: Vec<&str> = areas.iter().map(|area| area.code.as_str()).collect();
    let known = ledger
        .database
        .known_area_codes(&codes)
        .await
        .map_err(GeographyError::from)?;
    if known.len() < codes.len() {
        ledger
            .geography
            .import_areas(&ledger.database, &areas)
            .await?;
    }
    Ok(areas)
}

/// Writes the demo data set (again, harmlessly, if it is already there) and summarises it.
pub async fn load(ledger: &Ledger) -> Result<DemoSummary, DemoError> {
    let areas = load_geography(ledger).await?;
    let writer = Writer { ledger };
    let mut choices = Choices(SEED);

    let founding = date("2025-04-01");
    let key = "fund";
    let fund_id = Writer::step(
        key,
        ledger
            .establish_fund(
                &writer.request(ADMIN, founding, key),
                FUND_NAME,
                &OrgId::new("GB-CHC-1190001"),
                "Northern & Coastal Community Foundation",
            )
            .await,
    )?
    .value;
    let tranches = [
        (
            "capital-1",
            Money::pounds(1_500_000),
            "Dormant assets: Community Wealth Fund",
            "2025-04-01",
        ),
        (
            "capital-2",
            Money::pounds(750_000),
            "Local authority match funding",
            "2025-07-01",
        ),
        (
            "capital-3",
            Money::from_pence(25_000_050),
            "Corporate giving (Tees Port)",
            "2026-01-15",
        ),
    ];
    for (key, amount, source, received_on) in tranches {
        let received_on = date(received_on);
        Writer::step(
            key,
            ledger
                .receive_capital(
                    &writer.request(ADMIN, received_on, key),
                    &fund_id,
                    amount,
                    source,
                    received_on,
                )
                .await,
        )?;
    }

    set_outcome_proxies(&writer, &fund_id, founding).await?;

    let lsoas_by_lad = lsoas_by_local_authority(&areas);
    let mut rounds = Vec::new();
    for plan in round_plans() {
        rounds.push(run_round(&writer, &mut choices, &fund_id, &plan, &lsoas_by_lad).await?);
    }
    summarise(ledger, &fund_id, &areas, &rounds).await
}

/// indicator, unit, value per unit, [deadweight, attribution, displacement, drop-off], years.
type DemoProxy = (&'static str, &'static str, &'static str, [Decimal; 4], u32);

/// The demo fund's social-value proxies.
///
/// Values are of the order of published UK unit costs, rounded, for illustration only:
/// volunteer time at the National Living Wage (£11.44 an hour from April 2024), a
/// workless claimant entering work at roughly the fiscal and economic benefit in the
/// GMCA / New Economy Unit Cost Database (£14,000 a year), and a resident engaged in
/// community activity at a modest wellbeing value. Adjustments are typical of published
/// SROI reports (higher deadweight for job outcomes).
const DEMO_PROXIES: [DemoProxy; 3] = [
    (
        "volunteer_hours",
        "hour",
        "11.44",
        [
            Decimal::from_parts(10, 0, 0, false, 2),
            Decimal::from_parts(20, 0, 0, false, 2),
            Decimal::ZERO,
            Decimal::ONE,
        ],
        1,
    ),
    (
        "people_into_work",
        "person",
        "14000.00",
        [
            Decimal::from_parts(35, 0, 0, false, 2),
            Decimal::from_parts(30, 0, 0, false, 2),
            Decimal::from_parts(10, 0, 0, false, 2),
            Decimal::from_parts(25, 0, 0, false, 2),
        ],
        3,
    ),
    (
        "residents_engaged",
        "resident",
        "150.00",
        [
            Decimal::from_parts(25, 0, 0, false, 2),
            Decimal::from_parts(30, 0, 0, false, 2),
            Decimal::ZERO,
            Decimal::from_parts(50, 0, 0, false, 2),
        ],
        2,
    ),
];

async fn set_outcome_proxies(
    writer: &Writer<'_>,
    fund_id: &FundId,
    set_on: Date,
) -> Result<(), DemoError> {
    for (indicator, unit, value, [deadweight, attribution, displacement, drop_off], years) in
        DEMO_PROXIES
    {
        let key = format!("proxy-{indicator}");
        Writer::step(
            &key,
            writer
                .ledger
                .set_outcome_proxy(
                    &writer.request(ADMIN, set_on, &key),
                    SetOutcomeProxy {
                        fund_id: fund_id.clone(),
                        indicator: indicator.to_string(),
                        unit: unit.to_string(),
                        value_per_unit: value.parse().expect("demo proxy values are money"),
                        deadweight,
                        attribution,
                        displacement,
                        drop_off,
                        duration_years: years,
                        effective_from: None,
                    },
                )
                .await,
        )?;
    }
    Ok(())
}

/// The demo's LSOAs by the local authority above them (through their wards), in file order.
fn lsoas_by_local_authority(areas: &[Area]) -> BTreeMap<String, Vec<GeoCode>> {
    let by_code: BTreeMap<&str, &Area> = areas
        .iter()
        .map(|area| (area.code.as_str(), area))
        .collect();
    let mut by_lad: BTreeMap<String, Vec<GeoCode>> = BTreeMap::new();
    for area in areas.iter().filter(|area| area.level == GeoLevel::Lsoa) {
        if let Some(lad) = local_authority(&by_code, area) {
            by_lad.entry(lad).or_default().push(area.code.clone());
        }
    }
    by_lad
}

/// The local authority at or above `area`, following primary parents.
fn local_authority<'a>(by_code: &BTreeMap<&str, &'a Area>, mut area: &'a Area) -> Option<String> {
    for _ in 0..infrastructure::geography::MAX_GEOGRAPHY_DEPTH {
        if area.level == GeoLevel::Lad {
            return Some(area.code.as_str().to_string());
        }
        area = by_code.get(area.parent_code.as_ref()?.as_str())?;
    }
    None
}

/// What one round of the demo wrote.
struct DemoRound {
    round_id: RoundId,
    name: &'static str,
    applications: Vec<ApplicationId>,
}

/// Opens one round, takes its applications, decides them, and runs the awards' lives.
async fn run_round(
    writer: &Writer<'_>,
    choices: &mut Choices,
    fund_id: &FundId,
    plan: &RoundPlan,
    lsoas_by_lad: &BTreeMap<String, Vec<GeoCode>>,
) -> Result<DemoRound, DemoError> {
    let closes_on = date(plan.closes_on);
    let round_id = open_round(writer, fund_id, plan).await?;
    let neighbourhoods: Vec<&GeoCode> = plan
        .eligible
        .iter()
        .flat_map(|lad| lsoas_by_lad.get(*lad).into_iter().flatten())
        .collect();
    let submitted = submit_applications(writer, choices, plan, &round_id, &neighbourhoods).await?;

    let decided_on = plus_days(closes_on, 14);
    let awards = if plan.decision_mode == DecisionMode::Participatory {
        run_ballot(writer, choices, plan, &round_id, &submitted, decided_on).await?
    } else {
        decide_by_panel(writer, choices, plan, &submitted, closes_on, decided_on).await?
    };

    for (index, (award_id, grantee, amount)) in awards.iter().enumerate() {
        let award = DemoAward {
            key: &format!("{}-award-{index:03}", plan.key),
            award_id,
            grantee,
        };
        run_award(writer, choices, &award, *amount, decided_on).await?;
    }

    if plan.closes {
        let key = format!("{}-close", plan.key);
        Writer::step(
            &key,
            writer
                .ledger
                .close_round(
                    &writer.request(ADMIN, plus_days(decided_on, 30), &key),
                    &round_id,
                )
                .await,
        )?;
    }
    Ok(DemoRound {
        round_id,
        name: plan.name,
        applications: submitted
            .into_iter()
            .map(|application| application.id)
            .collect(),
    })
}

/// Opens the round of `plan` the day before its window opens.
async fn open_round(
    writer: &Writer<'_>,
    fund_id: &FundId,
    plan: &RoundPlan,
) -> Result<RoundId, DemoError> {
    let opens_on = date(plan.opens_on);
    let closes_on = date(plan.closes_on);
    let key = format!("{}-open", plan.key);
    let opened = writer
        .ledger
        .open_round(
            &writer.request(ADMIN, opens_on.pred_opt().unwrap_or(opens_on), &key),
            OpenRound {
                fund_id: fund_id.clone(),
                name: plan.name.to_string(),
                budget: plan.budget,
                opens_on,
                closes_on,
                eligible_areas: plan
                    .eligible
                    .iter()
                    .map(|code| code.parse().expect("demo codes are valid"))
                    .collect(),
                themes: plan.themes.iter().map(|theme| theme.to_string()).collect(),
                decision_mode: plan.decision_mode,
                min_panel_scores: plan.min_panel_scores,
                panel_sees_scores: domain::round::PanelSeesScores::default(),
            },
        )
        .await;
    Ok(Writer::step(&key, opened)?.value)
}

/// The round's applications: each from a group in one of its neighbourhoods, for one of
/// its themes, submitted some day in its window.
async fn submit_applications(
    writer: &Writer<'_>,
    choices: &mut Choices,
    plan: &RoundPlan,
    round_id: &RoundId,
    neighbourhoods: &[&GeoCode],
) -> Result<Vec<DemoApplication>, DemoError> {
    let opens_on = date(plan.opens_on);
    let window_days = (date(plan.closes_on) - opens_on).num_days().max(1) as u64;
    let mut submitted = Vec::new();
    for index in 0..plan.applications {
        let neighbourhood =
            neighbourhoods[choices.below(neighbourhoods.len() as u64) as usize].clone();
        let organisation = choices.below(DEMO_ORGANISATIONS);
        let applicant = OrgId::new(format!("GB-CHC-{}", 1_120_000 + organisation));
        let group = GROUP_KINDS[(organisation % GROUP_KINDS.len() as u64) as usize];
        let project = PROJECT_KINDS[choices.below(PROJECT_KINDS.len() as u64) as usize];
        let theme = plan.themes[choices.below(plan.themes.len() as u64) as usize];
        // £2,000 to £15,000 in whole £50s, with pence on one in five.
        let mut requested = Money::pounds(2_000 + 50 * choices.below(261) as u32);
        if choices.chance(20) {
            requested = requested.plus(Money::from_pence(1 + choices.below(99)));
        }
        let submitted_on = plus_days(opens_on, choices.below(window_days));
        let key = format!("{}-app-{index:03}", plan.key);
        let application = SubmitApplication {
            round_id: round_id.clone(),
            applicant: applicant.clone(),
            applicant_name: format!("{} {group}", neighbourhood_label(&neighbourhood)),
            title: format!("{project} ({theme})"),
            description: format!("{project} run by residents for residents, focused on {theme}."),
            amount_requested: requested,
            neighbourhood,
            themes: vec![theme.to_string()],
        };
        let request = writer.request(applicant.as_str(), submitted_on, &key);
        let id = Writer::step(
            &key,
            writer
                .ledger
                .submit_application(&request, application)
                .await,
        )?
        .value;
        submitted.push(DemoApplication {
            id,
            applicant,
            requested,
        });
    }
    Ok(submitted)
}

/// A group withdraws its application (the `index`th of the round) as the window closes.
async fn withdraw(
    writer: &Writer<'_>,
    plan: &RoundPlan,
    index: usize,
    application: &DemoApplication,
) -> Result<(), DemoError> {
    let key = format!("{}-app-{index:03}-withdraw", plan.key);
    let request = writer.request(application.applicant.as_str(), date(plan.closes_on), &key);
    let withdrawn = writer
        .ledger
        .withdraw_application(&request, &application.id, &application.applicant)
        .await;
    Writer::step(&key, withdrawn)?;
    Ok(())
}

/// A panel round's decisions: a few withdrawals, panel scores, then approvals down to the
/// funding threshold while the budget lasts, and declines.
async fn decide_by_panel(
    writer: &Writer<'_>,
    choices: &mut Choices,
    plan: &RoundPlan,
    submitted: &[DemoApplication],
    closes_on: Date,
    decided_on: Date,
) -> Result<Vec<(AwardId, OrgId, Money)>, DemoError> {
    // Decisions must depend only on the seed, never on the store's state, so that a rerun
    // makes the same choices (and so writes nothing): track the budget here.
    let mut remaining = plan.budget;
    let mut awards = Vec::new();
    for (index, application) in submitted.iter().enumerate() {
        let key = format!("{}-app-{index:03}", plan.key);
        // A few groups withdraw before the panel meets.
        if choices.chance(4) {
            withdraw(writer, plan, index, application).await?;
            continue;
        }
        let mut quality = 0;
        if plan.min_panel_scores > 0 {
            quality = score_by_panel(writer, choices, &key, &application.id, closes_on).await?;
        }
        let mut amount = application.requested;
        if choices.chance(25) {
            // The panel funds part of the ask, rounded down to £100.
            let part = (application.requested.amount() * dec!(0.8) / dec!(100)).floor() * dec!(100);
            amount = Money::new(part).expect("part of a valid amount is valid");
        }
        if quality >= FUNDING_THRESHOLD_TENTHS && amount <= remaining && !amount.is_zero() {
            remaining = remaining
                .checked_sub(amount)
                .expect("amount is within what remains");
            let key = format!("{key}-approve");
            let request = writer.request(ADMIN, decided_on, &key);
            let approved = writer
                .ledger
                .approve_application(&request, &application.id, amount)
                .await;
            let award_id = Writer::step(&key, approved)?.value;
            awards.push((award_id, application.applicant.clone(), amount));
        } else {
            let reason = if quality >= FUNDING_THRESHOLD_TENTHS {
                "Strong application; the round's budget is fully committed."
            } else {
                "Scored below the funding threshold this round."
            };
            let key = format!("{key}-decline");
            let request = writer.request(ADMIN, decided_on, &key);
            let declined = writer
                .ledger
                .decline_application(&request, &application.id, reason)
                .await;
            Writer::step(&key, declined)?;
        }
    }
    Ok(awards)
}

/// The panel scores an application a week after the window closes: one member in twelve
/// knows the group and declares a conflict, and two members score. Returns the quality
/// (mean score times ten).
async fn score_by_panel(
    writer: &Writer<'_>,
    choices: &mut Choices,
    key: &str,
    application_id: &ApplicationId,
    closes_on: Date,
) -> Result<u32, DemoError> {
    let ledger = writer.ledger;
    let conflicted = choices
        .chance(8)
        .then(|| choices.below(PANEL.len() as u64) as usize);
    let mut total = 0;
    let mut scored = 0;
    for (member_index, member) in PANEL.iter().enumerate() {
        let member_key = format!("{key}-{member}");
        if conflicted == Some(member_index) {
            let key = format!("{member_key}-conflict");
            let request = writer.request(member, closes_on, &key);
            let declared = ledger
                .declare_conflict(&request, application_id, member)
                .await;
            Writer::step(&key, declared)?;
            continue;
        }
        if conflicted.is_none() && member_index == PANEL.len() - 1 {
            break;
        }
        let score = 1 + choices.below(5) as u8;
        total += u32::from(score);
        scored += 1;
        let key = format!("{member_key}-score");
        let request = writer.request(member, plus_days(closes_on, 7), &key);
        let scored_application = ledger
            .score_application(
                &request,
                application_id,
                member,
                Score::new(score).expect("demo scores are 1 to 5"),
                "Clear local need; realistic plan.",
            )
            .await;
        Writer::step(&key, scored_application)?;
    }
    Ok(total * 10 / scored.max(1))
}

/// A participatory round's ballot: a few withdrawals, ballot codes for the residents (derived
/// from the seed, so a rerun issues the same ones and writes nothing), ballots cast through
/// the window with a few favourites, and the allocation by votes. Returns the awards it made.
async fn run_ballot(
    writer: &Writer<'_>,
    choices: &mut Choices,
    plan: &RoundPlan,
    round_id: &RoundId,
    submitted: &[DemoApplication],
    decided_on: Date,
) -> Result<Vec<(AwardId, OrgId, Money)>, DemoError> {
    let ledger = writer.ledger;
    let mut in_contention = Vec::new();
    for (index, application) in submitted.iter().enumerate() {
        if choices.chance(4) {
            withdraw(writer, plan, index, application).await?;
        } else {
            in_contention.push(application);
        }
    }
    let codes = issue_ballot_codes(writer, plan, round_id).await?;
    cast_ballots(writer, choices, plan, round_id, &codes, &in_contention).await?;
    let key = format!("{}-allocate", plan.key);
    Writer::step(
        &key,
        ledger
            .allocate_by_votes(&writer.request(ADMIN, decided_on, &key), round_id)
            .await,
    )?;
    // What the allocation approved, read back from the applications: the log is the same
    // on every run, so this is too.
    let mut awards = Vec::new();
    for application in in_contention {
        let state = Writer::step(&key, ledger.application(&application.id).await)?;
        if let (Some(award_id), Some(amount)) = (state.award_id(), state.approved_amount()) {
            awards.push((award_id.clone(), application.applicant.clone(), amount));
        }
    }
    Ok(awards)
}

/// Issues the round's ballot codes as voting opens, derived from the seed.
async fn issue_ballot_codes(
    writer: &Writer<'_>,
    plan: &RoundPlan,
    round_id: &RoundId,
) -> Result<Vec<String>, DemoError> {
    let key = format!("{}-ballot-codes", plan.key);
    let codes: Vec<String> = (0..DEMO_BALLOT_CODES)
        .map(|index| derived_code(&format!("demo-{SEED:x}-{}", plan.key), index))
        .collect();
    let request = writer.request(ADMIN, date(plan.opens_on), &key);
    let issued = writer
        .ledger
        .issue_ballot_codes(&request, round_id, codes.clone())
        .await;
    Writer::step(&key, issued)?;
    Ok(codes)
}

/// Residents cast ballots with the first [`DEMO_BALLOTS_CAST`] codes, on days through the
/// window.
async fn cast_ballots(
    writer: &Writer<'_>,
    choices: &mut Choices,
    plan: &RoundPlan,
    round_id: &RoundId,
    codes: &[String],
    in_contention: &[&DemoApplication],
) -> Result<(), DemoError> {
    let opens_on = date(plan.opens_on);
    let window_days = (date(plan.closes_on) - opens_on).num_days().max(1) as u64;
    for (index, code) in codes.iter().take(DEMO_BALLOTS_CAST).enumerate() {
        // Each resident picks 1 to 3 projects; the lower of two draws favours the first
        // listed, so the vote order has clear leaders and a long tail.
        let wanted = 1 + choices.below(3) as usize;
        let mut picked: Vec<ApplicationId> = Vec::new();
        for _ in 0..wanted {
            let bound = in_contention.len() as u64;
            let pick = choices.below(bound).min(choices.below(bound)) as usize;
            let id = &in_contention[pick].id;
            if !picked.contains(id) {
                picked.push(id.clone());
            }
        }
        let cast_on = plus_days(opens_on, choices.below(window_days));
        let key = format!("{}-ballot-{index:03}", plan.key);
        let request = writer.request(VOTER, cast_on, &key);
        let cast = writer
            .ledger
            .cast_ballot(&request, round_id, code, &picked)
            .await;
        Writer::step(&key, cast)?;
    }
    Ok(())
}

fn neighbourhood_label(code: &GeoCode) -> String {
    // Group names vary by area; the last digits keep them distinct and readable.
    format!("Estate {}", &code.as_str()[code.as_str().len() - 3..])
}

/// One award of the demo: the key its steps are keyed under, its id and its grantee.
struct DemoAward<'a> {
    key: &'a str,
    award_id: &'a AwardId,
    grantee: &'a OrgId,
}

/// An award's life: agreement, drawdowns, payments, and for a few a variation, a return,
/// reports and closure.
async fn run_award(
    writer: &Writer<'_>,
    choices: &mut Choices,
    award: &DemoAward<'_>,
    amount: Money,
    decided_on: Date,
) -> Result<(), DemoError> {
    // One award in ten is still waiting for its agreement to be signed.
    if choices.chance(10) {
        return Ok(());
    }
    let accepted_on = plus_days(decided_on, 10 + choices.below(20));
    let step_key = format!("{}-accept", award.key);
    let request = writer.request(award.grantee.as_str(), accepted_on, &step_key);
    let accepted = writer
        .ledger
        .accept_agreement(&request, award.award_id, award.grantee)
        .await;
    Writer::step(&step_key, accepted)?;

    // One in twelve is cut before any money moves (the project shrank).
    let mut amount = amount;
    if choices.chance(8) {
        amount = cut_award(writer, award, amount, plus_days(accepted_on, 5)).await?;
    }

    // First drawdown: half the award, approved and paid.
    let first = Money::new(
        (amount.amount() / dec!(2))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero),
    )
    .expect("half an award is valid");
    let requested_on = plus_days(accepted_on, 7);
    draw_and_pay(writer, award, "dd1", first, requested_on, true).await?;

    // Half the awards draw the rest.
    if choices.chance(50) {
        let rest = amount.checked_sub(first).expect("half is within the award");
        if !rest.is_zero() {
            draw_the_rest(writer, choices, award, amount, rest, requested_on).await?;
        }
    }
    Ok(())
}

/// Cuts the award to 90% of `amount`; returns the new amount.
async fn cut_award(
    writer: &Writer<'_>,
    award: &DemoAward<'_>,
    amount: Money,
    varied_on: Date,
) -> Result<Money, DemoError> {
    let reduced =
        Money::new((amount.amount() * dec!(0.9)).round_dp(2)).expect("90% of an award is valid");
    let step_key = format!("{}-vary-down", award.key);
    let request = writer.request(ADMIN, varied_on, &step_key);
    let varied = writer
        .ledger
        .vary_award(
            &request,
            award.award_id,
            reduced,
            "Venue costs came in lower than budgeted.",
            None,
        )
        .await;
    Writer::step(&step_key, varied)?;
    Ok(reduced)
}

/// The second drawdown, of the rest of the award (a few first rejected and re-made); then a
/// few of the fully paid awards report, return what they did not spend, and close.
async fn draw_the_rest(
    writer: &Writer<'_>,
    choices: &mut Choices,
    award: &DemoAward<'_>,
    amount: Money,
    rest: Money,
    first_requested_on: Date,
) -> Result<(), DemoError> {
    let later = plus_days(first_requested_on, 60 + choices.below(60));
    if choices.chance(15) {
        draw_and_pay(writer, award, "dd2-rejected", rest, later, false).await?;
    }
    draw_and_pay(writer, award, "dd2", rest, plus_days(later, 7), true).await?;
    if choices.chance(30) {
        let end = plus_days(later, 180);
        report_return_and_close(writer, choices, award, amount, first_requested_on, end).await?;
    }
    Ok(())
}

/// A fully paid award reports its spend (all but 4% of what was paid) and outcomes for the
/// period `start..=end`, returns the 4% and closes.
async fn report_return_and_close(
    writer: &Writer<'_>,
    choices: &mut Choices,
    award: &DemoAward<'_>,
    paid: Money,
    start: Date,
    end: Date,
) -> Result<(), DemoError> {
    let ledger = writer.ledger;
    let key = award.key;
    let unspent = Money::new((paid.amount() * dec!(0.04)).round_dp(2)).expect("4% is valid");
    let spent = paid.checked_sub(unspent).expect("unspent is part of paid");
    let step_key = format!("{key}-spend");
    let request = writer.request(award.grantee.as_str(), end, &step_key);
    let spend = vec![SpendLine {
        category: "Project delivery".to_string(),
        amount: spent,
    }];
    let reported = ledger
        .report_spend(&request, award.award_id, award.grantee, start, end, spend)
        .await;
    Writer::step(&step_key, reported)?;
    report_outcomes(writer, choices, award, paid, end).await?;
    if !unspent.is_zero() {
        let step_key = format!("{key}-return");
        let request = writer.request(ADMIN, plus_days(end, 10), &step_key);
        let returned = ledger
            .record_return(
                &request,
                award.award_id,
                unspent,
                "Unspent at the end of the project.",
            )
            .await;
        Writer::step(&step_key, returned)?;
    }
    let step_key = format!("{key}-close");
    let request = writer.request(ADMIN, plus_days(end, 20), &step_key);
    let closed = ledger.close_award(&request, award.award_id).await;
    Writer::step(&step_key, closed)?;
    Ok(())
}

/// The award's outcomes for a period ending `end`: residents engaged (a chosen number),
/// volunteer hours and people into work (from what was paid, where above zero).
async fn report_outcomes(
    writer: &Writer<'_>,
    choices: &mut Choices,
    award: &DemoAward<'_>,
    paid: Money,
    end: Date,
) -> Result<(), DemoError> {
    let residents = Decimal::from(40 + choices.below(200));
    let step_key = format!("{}-outcome", award.key);
    report_outcome(
        writer,
        award,
        &step_key,
        "residents_engaged",
        residents,
        end,
    )
    .await?;
    // Volunteer hours and jobs follow from the award's size, not from `choices`, so the
    // rest of the demo's choices (and figures) stay as they were.
    let pounds = paid.amount().trunc();
    let outcomes = [
        ("volunteer_hours", (pounds / dec!(40)).trunc()),
        ("people_into_work", (pounds / dec!(8000)).trunc()),
    ];
    for (indicator, quantity) in outcomes {
        if quantity.is_zero() {
            continue;
        }
        let step_key = format!("{}-outcome-{indicator}", award.key);
        report_outcome(writer, award, &step_key, indicator, quantity, end).await?;
    }
    Ok(())
}

/// The grantee reports `quantity` of `indicator` for a period ending `end`.
async fn report_outcome(
    writer: &Writer<'_>,
    award: &DemoAward<'_>,
    step_key: &str,
    indicator: &str,
    quantity: Decimal,
    end: Date,
) -> Result<(), DemoError> {
    let request = writer.request(award.grantee.as_str(), end, step_key);
    let reported = writer
        .ledger
        .report_outcome(
            &request,
            award.award_id,
            award.grantee,
            indicator,
            quantity,
            end,
        )
        .await;
    Writer::step(step_key, reported)?;
    Ok(())
}

/// Requests a drawdown, then approves and pays it (or rejects it).
async fn draw_and_pay(
    writer: &Writer<'_>,
    award: &DemoAward<'_>,
    label: &str,
    amount: Money,
    requested_on: Date,
    approve: bool,
) -> Result<(), DemoError> {
    let ledger = writer.ledger;
    let (key, award_id, grantee) = (award.key, award.award_id, award.grantee);
    let step_key = format!("{key}-{label}");
    let drawdown_id = Writer::step(
        &step_key,
        ledger
            .request_drawdown(
                &writer.request(grantee.as_str(), requested_on, &step_key),
                award_id,
                grantee,
                amount,
                "Project costs for the coming quarter",
            )
            .await,
    )?
    .value;
    let decided_on = plus_days(requested_on, 3);
    if !approve {
        let step_key = format!("{key}-{label}-reject");
        Writer::step(
            &step_key,
            ledger
                .reject_drawdown(
                    &writer.request(ADMIN, decided_on, &step_key),
                    award_id,
                    &drawdown_id,
                    "Please attach the supplier quotes.",
                )
                .await,
        )?;
        return Ok(());
    }
    let step_key = format!("{key}-{label}-approve");
    Writer::step(
        &step_key,
        ledger
            .approve_drawdown(
                &writer.request(ADMIN, decided_on, &step_key),
                award_id,
                &drawdown_id,
            )
            .await,
    )?;
    let paid_on = plus_days(decided_on, 2);
    let step_key = format!("{key}-{label}-pay");
    Writer::step(
        &step_key,
        ledger
            .record_payment(
                &writer.request(ADMIN, paid_on, &step_key),
                award_id,
                &drawdown_id,
                &format!("BACS-{}", &drawdown_id.as_str()[3..11]),
                paid_on,
            )
            .await,
    )?;
    Ok(())
}

/// Awards by local authority, each with the neighbourhoods they went to.
type AreaLines = BTreeMap<String, (AreaLine, BTreeSet<GeoCode>)>;

/// Reads the fund, its rounds and every award back from the aggregates.
async fn summarise(
    ledger: &Ledger,
    fund_id: &FundId,
    areas: &[Area],
    demo_rounds: &[DemoRound],
) -> Result<DemoSummary, DemoError> {
    let fund = Writer::step("summary", ledger.fund(fund_id).await)?;
    let names: BTreeMap<&str, &str> = areas
        .iter()
        .map(|area| (area.code.as_str(), area.name.as_str()))
        .collect();
    let mut rounds = Vec::new();
    let mut by_area = AreaLines::new();
    for demo_round in demo_rounds {
        rounds.push(summarise_round(ledger, demo_round, &names, &mut by_area).await?);
    }
    let areas = by_area
        .into_values()
        .map(|(mut line, neighbourhoods)| {
            line.neighbourhoods = neighbourhoods.len();
            line
        })
        .collect();
    Ok(DemoSummary {
        fund_id: fund_id.clone(),
        fund_name: FUND_NAME.to_string(),
        capital_received: fund.capital_received(),
        allocated: fund.allocated(),
        available: fund.available(),
        rounds,
        areas,
        applications: demo_rounds
            .iter()
            .map(|round| round.applications.len())
            .sum(),
    })
}

/// One round's line, adding each of its awards to its local authority's line in `by_area`.
async fn summarise_round(
    ledger: &Ledger,
    demo_round: &DemoRound,
    names: &BTreeMap<&str, &str>,
    by_area: &mut AreaLines,
) -> Result<RoundLine, DemoError> {
    let round = Writer::step("summary", ledger.round(&demo_round.round_id).await)?;
    // Σ its awards' awarded, as the read models count it: a closed award at what it
    // cost (the round's own counter keeps the pre-close amounts; see GLOSSARY.md).
    let mut round_awarded = Money::ZERO;
    for application_id in &demo_round.applications {
        let application = Writer::step("summary", ledger.application(application_id).await)?;
        let Some(award_id) = application.award_id() else {
            continue;
        };
        let award = Writer::step("summary", ledger.award(award_id).await)?;
        let Some(details) = award.details() else {
            continue;
        };
        let lad = ledger
            .geography
            .ancestors(&details.neighbourhood)
            .into_iter()
            .find(|code| code.as_str().starts_with("E06") || code.as_str().starts_with("E08"))
            .map(|code| code.as_str().to_string())
            .unwrap_or_else(|| "unknown".to_string());
        let (line, neighbourhoods) = by_area.entry(lad.clone()).or_insert_with(|| {
            (
                AreaLine {
                    name: names.get(lad.as_str()).copied().unwrap_or("").to_string(),
                    code: lad.clone(),
                    awards: 0,
                    neighbourhoods: 0,
                    awarded: Money::ZERO,
                    paid: Money::ZERO,
                    returned: Money::ZERO,
                },
                Default::default(),
            )
        });
        round_awarded = round_awarded.plus(award.amount());
        line.awards += 1;
        line.awarded = line.awarded.plus(award.amount());
        line.paid = line.paid.plus(award.paid());
        line.returned = line.returned.plus(award.returned());
        neighbourhoods.insert(details.neighbourhood.clone());
    }
    Ok(RoundLine {
        round_id: demo_round.round_id.clone(),
        name: demo_round.name.to_string(),
        budget: round.budget(),
        awarded: round_awarded,
        closed: round.is_closed(),
    })
}
