//! Who is asking: bearer tokens (HS256 JWTs signed with `FUNDLEDGER_JWT_SECRET`) and the
//! roles of API.md. A request without a token is the anonymous public; a request with a
//! token that is expired, malformed or wrongly signed is refused whole (`UNAUTHENTICATED`)
//! before anything runs, so nothing is written.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use domain::{FundId, OrgId, RoundId};
use infrastructure::accounts::{Credential, PersonId, Principal, Roles};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Clock skew tolerated when checking `exp`.
pub const TOKEN_LEEWAY_SECONDS: u64 = 5;
/// The longest lifetime `fundledger token` will sign.
pub const MAX_TOKEN_TTL_SECONDS: u64 = 366 * 24 * 3600;
/// The issuer written into and required of every token.
pub const TOKEN_ISSUER: &str = "fundledger";
/// The largest token read. A fundledger token is a few hundred bytes; anything near this
/// is not one, and is refused before it is decoded.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// A signing secret needs at least this many different byte values: a 32-byte secret of
/// one repeated character (or a few) is a password anyone could guess, not a key.
pub const MIN_JWT_SECRET_DISTINCT_BYTES: usize = 8;

/// Why a signing secret is too weak to sign with (`None`: strong enough). `min_bytes` is
/// the shortest secret accepted (`settings::MIN_JWT_SECRET_BYTES`).
pub fn weak_secret(secret: &str, min_bytes: usize) -> Option<String> {
    let trimmed = secret.trim();
    if trimmed.len() < min_bytes {
        return Some(format!(
            "is {} bytes without its surrounding spaces; use at least {min_bytes} random bytes",
            trimmed.len()
        ));
    }
    let mut seen = [false; 256];
    for byte in trimmed.bytes() {
        seen[usize::from(byte)] = true;
    }
    let distinct = seen.iter().filter(|seen| **seen).count();
    if distinct < MIN_JWT_SECRET_DISTINCT_BYTES {
        return Some(format!(
            "has only {distinct} different characters; use a random secret (e.g. `openssl rand -base64 48`)"
        ));
    }
    None
}

/// A role of API.md. The anonymous public has no token and so no role here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A fund officer: runs funds, rounds, decisions and payments.
    Admin,
    /// A panel member: declares conflicts and scores applications.
    Panel,
    /// A recipient organisation (bound to one org id by the token).
    Grantee,
}

impl FromStr for Role {
    type Err = String;
    fn from_str(text: &str) -> Result<Role, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "panel" => Ok(Role::Panel),
            "grantee" => Ok(Role::Grantee),
            other => Err(format!(
                "unknown role '{other}': expected admin, panel or grantee"
            )),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Admin => "admin",
            Role::Panel => "panel",
            Role::Grantee => "grantee",
        })
    }
}

/// The claims of a fundledger token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    /// The organisation a grantee acts for (required for grantees, absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// Narrows an admin token to one fund (officer of that fund only; absent: every fund
    /// and the owner's right to create funds, today's meaning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fund: Option<String>,
    /// Narrows a panel token to one round (absent: every round, today's meaning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<String>,
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
}

/// How a caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// An operator's JWT from `fundledger token` (no person behind it).
    Jwt,
    /// A person's API token (`flt_…`).
    ApiToken { token_id: String },
    /// A person's session cookie; GraphQL over it needs this CSRF token in a header.
    Session {
        session_id: String,
        csrf_token: String,
    },
}

/// A caller who proved who they are: the actor their commands are recorded under, the
/// person (none for an operator's JWT), what they may do now, and how they came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub actor: String,
    /// The name recorded on a panel member's scores and conflicts: the JWT's subject, or
    /// the person's id (never a name or email: the log must hold no personal data).
    pub member: String,
    pub person: Option<PersonId>,
    pub roles: Roles,
    pub via: Via,
}

/// Who a request is from, once its credential (if any) has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    Public,
    Caller(Caller),
}

/// The roles of the anonymous public: none.
static NO_ROLES: std::sync::LazyLock<Roles> = std::sync::LazyLock::new(Roles::default);

impl Viewer {
    pub fn from_claims(claims: Claims) -> Result<Viewer, AuthError> {
        let subject = claims.sub.trim().to_string();
        if subject.is_empty() {
            return Err(AuthError::Invalid("the token names no subject".into()));
        }
        // The subject and scopes become the actor of every command, stored in the log.
        let clean = |text: &String| domain::text::check_line("subject", text).is_ok();
        let scopes = [&claims.org, &claims.fund, &claims.round];
        if !clean(&subject) || !scopes.iter().all(|scope| scope.as_ref().is_none_or(clean)) {
            return Err(AuthError::Invalid(
                "the token's subject or scope holds control or invisible characters".into(),
            ));
        }
        let scope = |text: &Option<String>| {
            text.as_deref()
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_string)
        };
        let (fund, round, org) = (
            scope(&claims.fund),
            scope(&claims.round),
            scope(&claims.org),
        );
        let mut roles = Roles::default();
        let actor = match (claims.role, fund, round, org) {
            (Role::Admin, fund, None, None) => {
                match fund {
                    Some(fund) => {
                        roles.officer_of.insert(FundId::new(fund));
                    }
                    None => (roles.owner, roles.all_funds) = (true, true),
                }
                format!("admin:{subject}")
            }
            (Role::Panel, None, round, None) => {
                match round {
                    Some(round) => {
                        roles.panel_of.insert(RoundId::new(round));
                    }
                    None => roles.all_rounds = true,
                }
                format!("panel:{subject}")
            }
            (Role::Grantee, None, None, Some(org)) => {
                let actor = format!("grantee:{org}:{subject}");
                roles.member_of.insert(OrgId::new(org));
                actor
            }
            (Role::Grantee, _, _, None) => {
                return Err(AuthError::Invalid(
                    "a grantee token must name its organisation".into(),
                ))
            }
            (role, ..) => {
                return Err(AuthError::Invalid(format!(
                    "a {role} token carries a scope it cannot have (admin: fund; panel: round; grantee: org)"
                )))
            }
        };
        Ok(Viewer::Caller(Caller {
            actor,
            member: subject,
            person: None,
            roles,
            via: Via::Jwt,
        }))
    }

    /// The viewer a signed-in person (session or API token) stands for: actor
    /// `person:{id}`, with the roles they hold now.
    pub fn for_principal(principal: &Principal) -> Viewer {
        let id = principal.person.id.clone();
        Viewer::Caller(Caller {
            actor: id.actor(),
            member: id.to_string(),
            via: match &principal.credential {
                Credential::ApiToken { token_id } => Via::ApiToken {
                    token_id: token_id.clone(),
                },
                Credential::Session {
                    session_id,
                    csrf_token,
                } => Via::Session {
                    session_id: session_id.clone(),
                    csrf_token: csrf_token.clone(),
                },
            },
            person: Some(id),
            roles: principal.roles.clone(),
        })
    }

    /// The caller, unless this is the public.
    pub fn caller(&self) -> Option<&Caller> {
        match self {
            Viewer::Public => None,
            Viewer::Caller(caller) => Some(caller),
        }
    }

    /// The signed-in person (none for the public and for an operator's JWT).
    pub fn person(&self) -> Option<&PersonId> {
        self.caller().and_then(|caller| caller.person.as_ref())
    }

    /// What this caller may do now (the public: nothing).
    pub fn roles(&self) -> &Roles {
        self.caller().map_or(&NO_ROLES, |caller| &caller.roles)
    }

    /// Recorded as the actor of every command this viewer runs.
    pub fn actor(&self) -> String {
        self.caller()
            .map_or_else(|| "public".to_string(), |caller| caller.actor.clone())
    }

    /// How logs and refusals name this caller's kind (never who): the widest role held.
    pub fn role_name(&self) -> &'static str {
        let Some(caller) = self.caller() else {
            return "public";
        };
        let roles = &caller.roles;
        if roles.owner {
            "owner"
        } else if roles.is_any_officer() {
            "officer"
        } else if roles.is_any_panel() {
            "panel"
        } else if !roles.member_of.is_empty() {
            "member"
        } else if caller.person.is_some() {
            "person"
        } else {
            "operator"
        }
    }

    /// How the caller came (none for the public).
    pub fn via(&self) -> Option<&Via> {
        self.caller().map(|caller| &caller.via)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the bearer token has expired; ask for a new one")]
    Expired,
    #[error("the bearer token's signature does not verify")]
    BadSignature,
    #[error("the bearer token is not valid: {0}")]
    Invalid(String),
    #[error("the Authorization header must be 'Bearer <token>'")]
    BadHeader,
    #[error("cannot sign the token: {0}")]
    Mint(String),
}

/// What a token from `fundledger token` is narrowed to: a grantee's organisation
/// (`--org`, required), an admin's fund (`--fund`), a panel member's round (`--round`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenScope {
    pub org: Option<String>,
    pub fund: Option<String>,
    pub round: Option<String>,
}

impl TokenScope {
    /// Refuses a scope the role cannot carry, or one that is not a clean line.
    fn check(&self, role: Role) -> Result<(), AuthError> {
        for (flag, value) in [
            ("--org", &self.org),
            ("--fund", &self.fund),
            ("--round", &self.round),
        ] {
            if let Some(value) = value {
                domain::text::check_line(flag, value)
                    .map_err(|error| AuthError::Mint(error.to_string()))?;
                if value.trim().is_empty() {
                    return Err(AuthError::Mint(format!("{flag} needs an id")));
                }
            }
        }
        let allowed = match role {
            Role::Admin => self.org.is_none() && self.round.is_none(),
            Role::Panel => self.org.is_none() && self.fund.is_none(),
            Role::Grantee => self.fund.is_none() && self.round.is_none(),
        };
        if role == Role::Grantee && self.org.is_none() {
            return Err(AuthError::Mint("a grantee token needs --org ORG_ID".into()));
        }
        if !allowed {
            return Err(AuthError::Mint(format!(
                "a {role} token takes only {}",
                match role {
                    Role::Admin => "--fund (an officer of that fund; none: every fund)",
                    Role::Panel => "--round (a panel member of that round; none: every round)",
                    Role::Grantee => "--org",
                }
            )));
        }
        Ok(())
    }
}

/// Signs and checks tokens with one shared secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

impl TokenKeys {
    pub fn new(secret: &str) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = TOKEN_LEEWAY_SECONDS;
        // A token not valid yet is refused (when it says so), as is one issued in the
        // future (checked in `verify`: jsonwebtoken does not look at `iat`).
        validation.validate_nbf = true;
        validation.set_issuer(&[TOKEN_ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        TokenKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    /// Signs a token for `role`, valid for `ttl` from now, without a fund or round scope.
    pub fn mint(
        &self,
        role: Role,
        subject: &str,
        org: Option<&str>,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        let scope = TokenScope {
            org: org.map(str::to_string),
            ..TokenScope::default()
        };
        self.mint_scoped(role, subject, &scope, ttl)
    }

    /// Signs a token for `role` narrowed to `scope`, valid for `ttl` from now.
    pub fn mint_scoped(
        &self,
        role: Role,
        subject: &str,
        scope: &TokenScope,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        if subject.trim().is_empty() {
            return Err(AuthError::Mint("a token needs a subject".into()));
        }
        domain::text::check_line("--subject", subject)
            .map_err(|error| AuthError::Mint(error.to_string()))?;
        scope.check(role)?;
        if ttl.as_secs() == 0 || ttl.as_secs() > MAX_TOKEN_TTL_SECONDS {
            return Err(AuthError::Mint(format!(
                "a token lives from 1 second to {MAX_TOKEN_TTL_SECONDS} seconds, not {}",
                ttl.as_secs()
            )));
        }
        let now = jsonwebtoken::get_current_timestamp();
        let trimmed = |text: &Option<String>| text.as_deref().map(|text| text.trim().to_string());
        self.sign(&Claims {
            sub: subject.trim().to_string(),
            role,
            org: trimmed(&scope.org),
            fund: trimmed(&scope.fund),
            round: trimmed(&scope.round),
            iss: TOKEN_ISSUER.to_string(),
            iat: now,
            exp: now + ttl.as_secs(),
        })
    }

    /// Signs exactly these claims (tests use it for expired tokens).
    pub fn sign(&self, claims: &Claims) -> Result<String, AuthError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|error| AuthError::Mint(error.to_string()))
    }

    /// The viewer a token stands for. Every refusal is one of a few fixed messages: the
    /// parser's own words (which echo what it choked on) stay out of answers.
    pub fn verify(&self, token: &str) -> Result<Viewer, AuthError> {
        use jsonwebtoken::errors::ErrorKind;
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Invalid(format!(
                "it is {} bytes; a token is at most {MAX_TOKEN_BYTES}",
                token.len()
            )));
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                ErrorKind::InvalidSignature => AuthError::BadSignature,
                ErrorKind::ImmatureSignature => {
                    AuthError::Invalid("it is not valid yet (nbf is in the future)".into())
                }
                ErrorKind::InvalidIssuer => {
                    AuthError::Invalid(format!("it was not issued by {TOKEN_ISSUER}"))
                }
                ErrorKind::InvalidAlgorithm => {
                    AuthError::Invalid("it is not signed with HS256".into())
                }
                ErrorKind::MissingRequiredClaim(_) | ErrorKind::Json(_) => AuthError::Invalid(
                    "its claims are not a fundledger token's (sub, role, iss, iat, exp)".into(),
                ),
                _ => AuthError::Invalid("it is not a well-formed signed JWT".into()),
            })?;
        let now = jsonwebtoken::get_current_timestamp();
        if data.claims.iat > now + TOKEN_LEEWAY_SECONDS {
            return Err(AuthError::Invalid(
                "it was issued in the future (iat is after now)".into(),
            ));
        }
        // No token `fundledger token` signs lives longer; a far `exp` is a forged or
        // mistaken one that could never be withdrawn short of changing the secret.
        if data.claims.exp > now + MAX_TOKEN_TTL_SECONDS + TOKEN_LEEWAY_SECONDS {
            return Err(AuthError::Invalid(format!(
                "it expires more than {} days ahead, the longest lifetime a token is given",
                MAX_TOKEN_TTL_SECONDS / 86_400
            )));
        }
        Viewer::from_claims(data.claims)
    }

    /// The viewer behind an `Authorization` header value (none: the public).
    pub fn viewer_for_header(&self, header: Option<&str>) -> Result<Viewer, AuthError> {
        let Some(header) = header else {
            return Ok(Viewer::Public);
        };
        let token = header
            .trim()
            .strip_prefix("Bearer ")
            .or_else(|| header.trim().strip_prefix("bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(AuthError::BadHeader)?;
        self.verify(token)
    }
}

/// Parses a lifetime such as `8h`, `30m`, `7d`, `90s` or a bare number of seconds.
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((index, _)) => text.split_at(index),
        None => (text, "s"),
    };
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("'{text}' is not a lifetime: use e.g. 8h, 30m, 7d or 90s"))?;
    let seconds = match unit {
        "s" => value,
        "m" => value.saturating_mul(60),
        "h" => value.saturating_mul(3600),
        "d" => value.saturating_mul(86_400),
        _ => {
            return Err(format!(
                "'{text}' has an unknown unit '{unit}': use s, m, h or d"
            ))
        }
    };
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_verifies_to_its_viewer() {
        let keys = TokenKeys::new("secret");
        let token = keys
            .mint(
                Role::Grantee,
                "amy",
                Some("GB-CHC-1"),
                Duration::from_secs(60),
            )
            .unwrap();
        let viewer = keys.verify(&token).unwrap();
        assert_eq!(viewer.actor(), "grantee:GB-CHC-1:amy");
        assert_eq!(viewer.person(), None);
        assert_eq!(viewer.role_name(), "member");
        assert!(viewer.roles().is_member_of(&OrgId::new("GB-CHC-1")));
        assert!(!viewer.roles().is_member_of(&OrgId::new("GB-CHC-2")));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token = TokenKeys::new("one")
            .mint(Role::Admin, "a", None, Duration::from_secs(60))
            .unwrap();
        assert_eq!(
            TokenKeys::new("two").verify(&token),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn an_expired_token_is_refused() {
        let keys = TokenKeys::new("s");
        let now = jsonwebtoken::get_current_timestamp();
        let token = keys
            .sign(&Claims {
                sub: "a".into(),
                role: Role::Admin,
                org: None,
                fund: None,
                round: None,
                iss: TOKEN_ISSUER.into(),
                iat: now - 7200,
                exp: now - 3600,
            })
            .unwrap();
        assert_eq!(keys.verify(&token), Err(AuthError::Expired));
    }

    const SECRET: &str = "a-test-secret-of-enough-variety-0123456789";

    fn claims(iat: u64, exp: u64) -> Claims {
        Claims {
            sub: "a".into(),
            role: Role::Admin,
            org: None,
            fund: None,
            round: None,
            iss: TOKEN_ISSUER.into(),
            iat,
            exp,
        }
    }

    #[test]
    fn weak_secrets_are_named() {
        assert!(weak_secret(&" ".repeat(40), 32).is_some());
        assert!(weak_secret(&"a".repeat(40), 32).is_some());
        assert!(weak_secret(&"ab".repeat(20), 32).is_some());
        assert!(weak_secret("  short  ", 32).is_some());
        assert_eq!(weak_secret(SECRET, 32), None);
    }

    #[test]
    fn far_future_expiry_and_future_issue_are_refused() {
        let keys = TokenKeys::new(SECRET);
        let now = jsonwebtoken::get_current_timestamp();
        let hundred_years = 100 * 365 * 86_400;
        let far = keys.sign(&claims(now, now + hundred_years)).unwrap();
        assert!(
            matches!(keys.verify(&far), Err(AuthError::Invalid(message)) if message.contains("days ahead"))
        );
        let future = keys.sign(&claims(now + 3600, now + 7200)).unwrap();
        assert!(
            matches!(keys.verify(&future), Err(AuthError::Invalid(message)) if message.contains("issued in the future"))
        );
        let fine = keys
            .sign(&claims(now, now + MAX_TOKEN_TTL_SECONDS))
            .unwrap();
        assert!(keys.verify(&fine).is_ok());
    }

    #[test]
    fn a_token_not_valid_yet_is_refused() {
        #[derive(Serialize)]
        struct WithNbf {
            #[serde(flatten)]
            claims: Claims,
            nbf: u64,
        }
        let keys = TokenKeys::new(SECRET);
        let now = jsonwebtoken::get_current_timestamp();
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &WithNbf {
                claims: claims(now, now + 3600),
                nbf: now + 600,
            },
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert!(
            matches!(keys.verify(&token), Err(AuthError::Invalid(message)) if message.contains("not valid yet"))
        );
    }

    #[test]
    fn oversized_and_malformed_tokens_get_fixed_messages() {
        let keys = TokenKeys::new(SECRET);
        let huge = "a".repeat(200 * 1024);
        assert!(
            matches!(keys.verify(&huge), Err(AuthError::Invalid(message)) if message.contains("at most 8192"))
        );
        for garbage in ["x.y.z", "eyJhbGciOiJIUzI1NiJ9.eyJ9.x", "not a token", "a.b"] {
            let message = keys.verify(garbage).unwrap_err().to_string();
            // One of the fixed messages, never the parser's words.
            assert!(
                message == "the bearer token is not valid: it is not a well-formed signed JWT"
                    || message.ends_with("are not a fundledger token's (sub, role, iss, iat, exp)"),
                "{garbage}: {message}"
            );
        }
    }

    #[test]
    fn control_characters_in_subjects_are_refused() {
        let keys = TokenKeys::new(SECRET);
        assert!(keys
            .mint(Role::Admin, "a\u{0}b", None, Duration::from_secs(60))
            .is_err());
        let now = jsonwebtoken::get_current_timestamp();
        let mut bad = claims(now, now + 60);
        bad.sub = "\u{202e}evil".into();
        let token = keys.sign(&bad).unwrap();
        assert!(keys.verify(&token).is_err());
    }

    #[test]
    fn unscoped_tokens_keep_their_meaning_and_scoped_ones_narrow() {
        let keys = TokenKeys::new(SECRET);
        let hour = Duration::from_secs(3600);
        let admin = keys
            .verify(&keys.mint(Role::Admin, "a", None, hour).unwrap())
            .unwrap();
        assert_eq!(admin.actor(), "admin:a");
        assert!(admin.roles().can_create_funds());
        assert!(admin.roles().is_officer_of(&FundId::new("any")));
        let fund = TokenScope {
            fund: Some("F1".into()),
            ..TokenScope::default()
        };
        let officer = keys
            .verify(&keys.mint_scoped(Role::Admin, "a", &fund, hour).unwrap())
            .unwrap();
        assert_eq!(officer.actor(), "admin:a");
        assert_eq!(officer.role_name(), "officer");
        assert!(officer.roles().is_officer_of(&FundId::new("F1")));
        assert!(!officer.roles().is_officer_of(&FundId::new("F2")));
        assert!(!officer.roles().can_create_funds());
        let round = TokenScope {
            round: Some("R1".into()),
            ..TokenScope::default()
        };
        let panel = keys
            .verify(&keys.mint_scoped(Role::Panel, "p", &round, hour).unwrap())
            .unwrap();
        assert!(panel.roles().is_panel_of(&RoundId::new("R1")));
        assert!(!panel.roles().is_panel_of(&RoundId::new("R2")));
        let all_rounds = keys
            .verify(&keys.mint(Role::Panel, "p", None, hour).unwrap())
            .unwrap();
        assert!(all_rounds.roles().is_panel_of(&RoundId::new("R2")));
        assert!(keys.mint_scoped(Role::Panel, "p", &fund, hour).is_err());
        assert!(keys.mint_scoped(Role::Admin, "a", &round, hour).is_err());
        assert_eq!(Viewer::Public.roles(), &Roles::default());
        assert_eq!(Viewer::Public.actor(), "public");
    }

    #[test]
    fn lifetimes_parse_with_units() {
        assert_eq!(parse_ttl("8h").unwrap(), Duration::from_secs(8 * 3600));
        assert_eq!(parse_ttl("90").unwrap(), Duration::from_secs(90));
        assert!(parse_ttl("8y").is_err());
    }
}
