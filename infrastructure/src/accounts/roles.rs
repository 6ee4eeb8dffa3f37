//! Scoped roles: what a person (or a token) may do, and where. The one definition every
//! check uses, GraphQL and the web screens alike.
//!
//! - **owner**: creates funds (and is officer of every fund, as `admin` tokens were);
//! - **officer** of a fund: runs that fund, its rounds, decisions, payments and people;
//! - **panel** member of a round: reads that round's applications, declares conflicts and
//!   scores there only;
//! - **member** of an organisation: acts for that grantee organisation only.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use domain::{FundId, OrgId, RoundId};
use serde::{Deserialize, Serialize};

/// One kind of role. Stored as its lower-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleKind {
    Owner,
    Officer,
    Panel,
    Member,
}

impl RoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Owner => "owner",
            RoleKind::Officer => "officer",
            RoleKind::Panel => "panel",
            RoleKind::Member => "member",
        }
    }

    /// What the scope of this kind of role names, for messages.
    pub fn scope_noun(self) -> &'static str {
        match self {
            RoleKind::Owner => "",
            RoleKind::Officer => "fund",
            RoleKind::Panel => "round",
            RoleKind::Member => "organisation",
        }
    }
}

impl fmt::Display for RoleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RoleKind {
    type Err = String;
    fn from_str(text: &str) -> Result<RoleKind, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "owner" => Ok(RoleKind::Owner),
            "officer" => Ok(RoleKind::Officer),
            "panel" => Ok(RoleKind::Panel),
            "member" => Ok(RoleKind::Member),
            other => Err(format!(
                "unknown role '{other}': expected owner, officer, panel or member"
            )),
        }
    }
}

/// A role with its scope: `scope` is empty for an owner, else the fund, round or
/// organisation id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ScopedRole {
    pub role: RoleKind,
    pub scope: String,
}

impl ScopedRole {
    pub fn owner() -> ScopedRole {
        ScopedRole {
            role: RoleKind::Owner,
            scope: String::new(),
        }
    }
    pub fn officer(fund: &FundId) -> ScopedRole {
        ScopedRole {
            role: RoleKind::Officer,
            scope: fund.to_string(),
        }
    }
    pub fn panel(round: &RoundId) -> ScopedRole {
        ScopedRole {
            role: RoleKind::Panel,
            scope: round.to_string(),
        }
    }
    pub fn member(org: &OrgId) -> ScopedRole {
        ScopedRole {
            role: RoleKind::Member,
            scope: org.to_string(),
        }
    }
}

impl fmt::Display for ScopedRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.role {
            RoleKind::Owner => f.write_str("owner"),
            role => write!(f, "{role} of {} {}", role.scope_noun(), self.scope),
        }
    }
}

/// Everything one caller may do. Built from a person's live grants (narrowed by an API
/// token's scopes) or from an operator's JWT. The `all_*` flags are the unscoped JWT
/// roles of before (`fundledger token --role admin|panel` without `--fund`/`--round`),
/// which keep their meaning: every fund, every round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles {
    pub owner: bool,
    pub all_funds: bool,
    pub officer_of: BTreeSet<FundId>,
    pub all_rounds: bool,
    pub panel_of: BTreeSet<RoundId>,
    pub member_of: BTreeSet<OrgId>,
}

impl Roles {
    /// The roles these grants give.
    pub fn from_grants<'a>(grants: impl IntoIterator<Item = &'a ScopedRole>) -> Roles {
        let mut roles = Roles::default();
        for grant in grants {
            match grant.role {
                RoleKind::Owner => roles.owner = true,
                RoleKind::Officer => {
                    roles.officer_of.insert(FundId::new(&grant.scope));
                }
                RoleKind::Panel => {
                    roles.panel_of.insert(RoundId::new(&grant.scope));
                }
                RoleKind::Member => {
                    roles.member_of.insert(OrgId::new(&grant.scope));
                }
            }
        }
        roles
    }

    pub fn is_empty(&self) -> bool {
        *self == Roles::default()
    }

    /// May create funds.
    pub fn can_create_funds(&self) -> bool {
        self.owner || self.all_funds
    }

    /// Is an officer of `fund` (an owner is an officer of every fund).
    pub fn is_officer_of(&self, fund: &FundId) -> bool {
        self.owner || self.all_funds || self.officer_of.contains(fund)
    }

    /// Is an officer of at least one fund.
    pub fn is_any_officer(&self) -> bool {
        self.owner || self.all_funds || !self.officer_of.is_empty()
    }

    /// Sits on the panel of `round`.
    pub fn is_panel_of(&self, round: &RoundId) -> bool {
        self.all_rounds || self.panel_of.contains(round)
    }

    pub fn is_any_panel(&self) -> bool {
        self.all_rounds || !self.panel_of.is_empty()
    }

    /// Acts for `org`.
    pub fn is_member_of(&self, org: &OrgId) -> bool {
        self.member_of.contains(org)
    }

    /// The one organisation this caller acts for, when there is exactly one.
    pub fn only_org(&self) -> Option<&OrgId> {
        let mut orgs = self.member_of.iter();
        match (orgs.next(), orgs.next()) {
            (Some(org), None) => Some(org),
            _ => None,
        }
    }

    /// These roles narrowed to those `allowed` also grants (an API token's scopes): a
    /// token never does more than its person may do now.
    pub fn narrowed_to(&self, allowed: &Roles) -> Roles {
        Roles {
            owner: self.owner && allowed.owner,
            all_funds: self.all_funds && allowed.all_funds,
            officer_of: self
                .officer_of
                .iter()
                .filter(|fund| allowed.officer_of.contains(*fund) || allowed.owner)
                .cloned()
                .chain(
                    // An owner's token scoped to one fund: officer of that fund only.
                    allowed
                        .officer_of
                        .iter()
                        .filter(|_| self.owner || self.all_funds)
                        .cloned(),
                )
                .collect(),
            all_rounds: self.all_rounds && allowed.all_rounds,
            panel_of: self
                .panel_of
                .intersection(&allowed.panel_of)
                .cloned()
                .collect(),
            member_of: self
                .member_of
                .intersection(&allowed.member_of)
                .cloned()
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_give_scoped_roles() {
        let roles = Roles::from_grants(&[
            ScopedRole::officer(&FundId::new("f1")),
            ScopedRole::panel(&RoundId::new("r1")),
            ScopedRole::member(&OrgId::new("GB-CHC-1")),
        ]);
        assert!(roles.is_officer_of(&FundId::new("f1")));
        assert!(!roles.is_officer_of(&FundId::new("f2")));
        assert!(roles.is_panel_of(&RoundId::new("r1")));
        assert!(!roles.is_panel_of(&RoundId::new("r2")));
        assert!(roles.is_member_of(&OrgId::new("GB-CHC-1")));
        assert!(!roles.is_member_of(&OrgId::new("GB-CHC-2")));
        assert!(!roles.can_create_funds());
        assert_eq!(roles.only_org(), Some(&OrgId::new("GB-CHC-1")));
    }

    #[test]
    fn an_owner_is_officer_of_every_fund() {
        let roles = Roles::from_grants(&[ScopedRole::owner()]);
        assert!(roles.can_create_funds());
        assert!(roles.is_officer_of(&FundId::new("any")));
        assert!(!roles.is_panel_of(&RoundId::new("r")));
    }

    #[test]
    fn narrowing_never_adds_a_role() {
        let person = Roles::from_grants(&[
            ScopedRole::officer(&FundId::new("f1")),
            ScopedRole::member(&OrgId::new("o1")),
        ]);
        let token = Roles::from_grants(&[
            ScopedRole::officer(&FundId::new("f1")),
            ScopedRole::officer(&FundId::new("f2")),
            ScopedRole::owner(),
        ]);
        let narrowed = person.narrowed_to(&token);
        assert!(narrowed.is_officer_of(&FundId::new("f1")));
        assert!(!narrowed.is_officer_of(&FundId::new("f2")));
        assert!(!narrowed.owner);
        assert!(narrowed.member_of.is_empty());
        let owner = Roles::from_grants(&[ScopedRole::owner()]);
        let one_fund = owner.narrowed_to(&Roles::from_grants(&[ScopedRole::officer(
            &FundId::new("f9"),
        )]));
        assert!(one_fund.is_officer_of(&FundId::new("f9")));
        assert!(!one_fund.is_officer_of(&FundId::new("f1")));
        assert!(!one_fund.can_create_funds());
    }
}
