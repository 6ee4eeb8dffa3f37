//! Typed identifiers. Ids are made by the server (or, for idempotent follow-ups, derived
//! from the id that caused them) and are opaque strings to clients.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// A fund, e.g. `FUND-…`.
    FundId
);
string_id!(
    /// A funding round, e.g. `RND-…`.
    RoundId
);
string_id!(
    /// An application to a round, e.g. `APP-…`.
    ApplicationId
);
string_id!(
    /// An award. Derived from the application it was approved from (`AW-` + the
    /// application's suffix) so that making it from the approval is idempotent.
    AwardId
);
string_id!(
    /// A drawdown request within an award.
    DrawdownId
);
string_id!(
    /// An organisation's 360Giving org id, e.g. `GB-CHC-1234567` or `360G-…`.
    OrgId
);

impl AwardId {
    /// The award made from an approved application always has this id.
    pub fn for_application(application: &ApplicationId) -> AwardId {
        let suffix = application
            .as_str()
            .strip_prefix("APP-")
            .unwrap_or(application.as_str());
        AwardId(format!("AW-{suffix}"))
    }
}
