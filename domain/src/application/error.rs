use super::ApplicationStatus;
use crate::{ApplicationId, GeoCode, OrgId, RoundId};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplicationError {
    #[error("application {0} already exists")]
    AlreadySubmitted(ApplicationId),
    #[error("application {0} does not exist")]
    NotFound(ApplicationId),
    #[error("{0} must not be empty")]
    MissingField(&'static str),
    #[error("round {0} is not open for applications")]
    RoundNotOpen(RoundId),
    #[error("round {round} takes applications from {opens_on} to {closes_on}; {submitted_on} is outside that window")]
    OutsideWindow {
        round: RoundId,
        opens_on: String,
        closes_on: String,
        submitted_on: String,
    },
    #[error("{area} is not in an area round {round} funds")]
    IneligibleArea { area: GeoCode, round: RoundId },
    #[error("round {round} does not fund the theme '{theme}'")]
    IneligibleTheme { theme: String, round: RoundId },
    #[error("a request of £0.00 asks for nothing; give an amount above zero")]
    ZeroAmount,
    #[error("only the applicant {applicant} may do this, not {caller}")]
    NotApplicant { applicant: OrgId, caller: OrgId },
    #[error("application {application} is {status:?}; this needs an undecided application")]
    AlreadyDecided {
        application: ApplicationId,
        status: ApplicationStatus,
    },
    #[error(
        "{member} declared a conflict of interest on application {application} and can't score it"
    )]
    ConflictOfInterest {
        member: String,
        application: ApplicationId,
    },
    #[error("{member} has already declared a conflict on application {application}")]
    ConflictAlreadyDeclared {
        member: String,
        application: ApplicationId,
    },
    #[error("application {application} was approved as award {existing}, not {requested}")]
    ApprovedAsOtherAward {
        application: ApplicationId,
        existing: String,
        requested: String,
    },
}
