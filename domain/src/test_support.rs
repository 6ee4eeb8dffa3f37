//! Builders shared by the aggregates' given/when/then tests.

use chrono::NaiveDate;

use crate::application::ApplicationStatus;
use crate::round::{ApplicationFacts, DecisionMode, RoundTerms};
use crate::{ApplicationId, Date, FundId, GeoCode, Money, OrgId, RoundId};

pub const FUND: &str = "FUND-1";
pub const ROUND: &str = "RND-1";
pub const APPLICATION: &str = "APP-1";
pub const APPLICANT: &str = "GB-CHC-1234567";
/// An LSOA in the test geography's listed district (see `application::tests`).
pub const NEIGHBOURHOOD: &str = "E01000001";

/// A date in 2025.
pub fn on(month: u32, day: u32) -> Date {
    NaiveDate::from_ymd_opt(2025, month, day).expect("a valid 2025 date")
}

pub fn fund_id() -> FundId {
    FundId::new(FUND)
}

pub fn round_id() -> RoundId {
    RoundId::new(ROUND)
}

pub fn application_id() -> ApplicationId {
    ApplicationId::new(APPLICATION)
}

pub fn applicant() -> OrgId {
    OrgId::new(APPLICANT)
}

pub fn neighbourhood() -> GeoCode {
    NEIGHBOURHOOD.parse().expect("a valid GSS code")
}

/// A panel round open from 1 March to 31 May 2025, anywhere, for food and youth projects,
/// needing two panel scores.
pub fn terms() -> RoundTerms {
    RoundTerms {
        fund_id: fund_id(),
        name: "Spring small grants".to_string(),
        opens_on: on(3, 1),
        closes_on: on(5, 31),
        eligible_areas: Vec::new(),
        themes: vec!["food".to_string(), "youth".to_string()],
        decision_mode: DecisionMode::Panel,
        min_panel_scores: 2,
        panel_sees_scores: crate::round::PanelSeesScores::default(),
    }
}

/// A submitted application to `RND-1` for £5,000.00 with two panel scores.
pub fn facts() -> ApplicationFacts {
    ApplicationFacts {
        application_id: application_id(),
        round_id: round_id(),
        applicant: applicant(),
        applicant_name: "Hillside Community Kitchen".to_string(),
        title: "Saturday breakfast club".to_string(),
        neighbourhood: neighbourhood(),
        themes: vec!["food".to_string()],
        amount_requested: Money::pounds(5_000),
        status: ApplicationStatus::Submitted,
        panel_score_count: 2,
        submitted_on: on(4, 1),
    }
}

/// The district (a metropolitan borough) the test geography puts `NEIGHBOURHOOD` in.
pub const DISTRICT: &str = "E08000001";
/// The region above `DISTRICT`.
pub const REGION: &str = "E12000001";
/// An LSOA in another district of the same region.
pub const ELSEWHERE: &str = "E01000099";

pub fn code(text: &str) -> GeoCode {
    text.parse().expect("a valid GSS code")
}

/// A hand-made reference geography small enough to read at a glance:
///
/// ```text
/// E12000001 (region)
/// ├── E08000001 (district) ── E02000001 (MSOA) ── E01000001 (LSOA, NEIGHBOURHOOD)
/// └── E08000002 (district) ── E02000099 (MSOA) ── E01000099 (LSOA, ELSEWHERE)
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct TestGeography;

impl crate::Geography for TestGeography {
    fn ancestors(&self, area: &GeoCode) -> Vec<GeoCode> {
        let chain: &[&str] = match area.as_str() {
            NEIGHBOURHOOD => &["E02000001", DISTRICT, REGION],
            "E02000001" => &[DISTRICT, REGION],
            ELSEWHERE => &["E02000099", "E08000002", REGION],
            "E02000099" => &["E08000002", REGION],
            DISTRICT | "E08000002" => &[REGION],
            _ => &[],
        };
        chain.iter().map(|ancestor| code(ancestor)).collect()
    }
}
