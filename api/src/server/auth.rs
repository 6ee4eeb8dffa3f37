//! Who is asking: bearer tokens (HS256 JWTs signed with `FUNDLEDGER_JWT_SECRET`) and the
//! roles of API.md. A request without a token is the anonymous public; a request with a
//! token that is expired, malformed or wrongly signed is refused whole (`UNAUTHENTICATED`)
//! before anything runs, so nothing is written.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use domain::OrgId;
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
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
}

/// Who a request is from, once its token (if any) has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    Public,
    Admin { subject: String },
    Panel { subject: String },
    Grantee { subject: String, org: OrgId },
}

impl Viewer {
    pub fn from_claims(claims: Claims) -> Result<Viewer, AuthError> {
        let subject = claims.sub.trim().to_string();
        if subject.is_empty() {
            return Err(AuthError::Invalid("the token names no subject".into()));
        }
        // The subject and org become the actor of every command, stored in the log.
        let clean = |text: &str| domain::text::check_line("subject", text).is_ok();
        if !clean(&subject) || !claims.org.as_deref().is_none_or(clean) {
            return Err(AuthError::Invalid(
                "the token's subject or organisation holds control or invisible characters".into(),
            ));
        }
        Ok(match claims.role {
            Role::Admin => Viewer::Admin { subject },
            Role::Panel => Viewer::Panel { subject },
            Role::Grantee => match claims.org.filter(|org| !org.trim().is_empty()) {
                Some(org) => Viewer::Grantee {
                    subject,
                    org: OrgId::new(org.trim()),
                },
                None => {
                    return Err(AuthError::Invalid(
                        "a grantee token must name its organisation".into(),
                    ))
                }
            },
        })
    }

    /// Recorded as the actor of every command this viewer runs.
    pub fn actor(&self) -> String {
        match self {
            Viewer::Public => "public".to_string(),
            Viewer::Admin { subject } => format!("admin:{subject}"),
            Viewer::Panel { subject } => format!("panel:{subject}"),
            Viewer::Grantee { subject, org } => format!("grantee:{org}:{subject}"),
        }
    }

    pub fn role_name(&self) -> &'static str {
        match self {
            Viewer::Public => "public",
            Viewer::Admin { .. } => "admin",
            Viewer::Panel { .. } => "panel",
            Viewer::Grantee { .. } => "grantee",
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Viewer::Admin { .. })
    }

    /// Admin and panel see applications' scores and the panel's workings.
    pub fn sees_panel_detail(&self) -> bool {
        matches!(self, Viewer::Admin { .. } | Viewer::Panel { .. })
    }

    pub fn org(&self) -> Option<&OrgId> {
        match self {
            Viewer::Grantee { org, .. } => Some(org),
            _ => None,
        }
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

    /// Signs a token for `role`, valid for `ttl` from now.
    pub fn mint(
        &self,
        role: Role,
        subject: &str,
        org: Option<&str>,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        if subject.trim().is_empty() {
            return Err(AuthError::Mint("a token needs a subject".into()));
        }
        domain::text::check_line("--subject", subject)
            .map_err(|error| AuthError::Mint(error.to_string()))?;
        if let Some(org) = org {
            domain::text::check_line("--org", org)
                .map_err(|error| AuthError::Mint(error.to_string()))?;
        }
        match (role, org) {
            (Role::Grantee, None) => {
                return Err(AuthError::Mint("a grantee token needs --org ORG_ID".into()));
            }
            (Role::Admin | Role::Panel, Some(_)) => {
                return Err(AuthError::Mint(format!(
                    "a {role} token is not bound to an organisation"
                )));
            }
            _ => {}
        }
        if ttl.as_secs() == 0 || ttl.as_secs() > MAX_TOKEN_TTL_SECONDS {
            return Err(AuthError::Mint(format!(
                "a token lives from 1 second to {MAX_TOKEN_TTL_SECONDS} seconds, not {}",
                ttl.as_secs()
            )));
        }
        let now = jsonwebtoken::get_current_timestamp();
        self.sign(&Claims {
            sub: subject.trim().to_string(),
            role,
            org: org.map(|org| org.trim().to_string()),
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
        assert_eq!(
            keys.verify(&token).unwrap(),
            Viewer::Grantee {
                subject: "amy".into(),
                org: OrgId::new("GB-CHC-1")
            }
        );
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
    fn lifetimes_parse_with_units() {
        assert_eq!(parse_ttl("8h").unwrap(), Duration::from_secs(8 * 3600));
        assert_eq!(parse_ttl("90").unwrap(), Duration::from_secs(90));
        assert!(parse_ttl("8y").is_err());
    }
}
