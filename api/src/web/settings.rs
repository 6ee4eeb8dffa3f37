//! The screens' settings, from the environment at start-up; shared through `AppState::web`
//! so GraphQL resolvers (invitations) reach the same mailer and public URL.
//!
//! | variable | default | what |
//! | --- | --- | --- |
//! | `FUNDLEDGER_PUBLIC_URL` | `http://{listen address}` | links in mail; `https` marks cookies `Secure` |
//! | `FUNDLEDGER_SESSION_IDLE_MINUTES` | 30 | a session unused this long ends |
//! | `FUNDLEDGER_SESSION_MAX_HOURS` | 12 | a session ends this long after sign-in |
//! | `FUNDLEDGER_SIGN_IN_LINK_MINUTES` | 15 | how long an emailed sign-in link works |
//! | `FUNDLEDGER_SMTP_URL`, `FUNDLEDGER_MAIL_FROM` | log the mail | see `mail.rs` |
//!
//! For tests only (a real clock, so expiry must be seconds away):
//! `FUNDLEDGER_SESSION_IDLE_SECONDS` and `FUNDLEDGER_SIGN_IN_LINK_SECONDS` win over the
//! minute settings.

use std::net::SocketAddr;

use infrastructure::accounts::links::SIGN_IN_LINK_TTL_SECONDS;
use infrastructure::accounts::SessionLimits;

use crate::mail::{MailError, Mailer};

/// The longest any of the duration settings may be (a year), so a typo cannot make a
/// session or link live for ever.
pub const MAX_SETTING_SECONDS: i64 = 366 * 24 * 3600;

#[derive(Debug, Clone)]
pub struct WebSettings {
    /// The server's address as people reach it, without a trailing `/`.
    pub public_url: String,
    /// Cookies carry `Secure` (the public URL is https).
    pub secure_cookies: bool,
    pub session_limits: SessionLimits,
    pub sign_in_link_seconds: i64,
    pub mailer: Mailer,
}

#[derive(Debug, thiserror::Error)]
pub enum WebSettingsError {
    #[error("{name} must be a whole number from 1 to {max}, not '{value}'")]
    BadNumber {
        name: &'static str,
        value: String,
        max: i64,
    },
    #[error("FUNDLEDGER_PUBLIC_URL must start with http:// or https://, not '{0}'")]
    BadPublicUrl(String),
    #[error(transparent)]
    Mail(#[from] MailError),
}

impl WebSettings {
    /// From the environment; `listen` (the bound address) makes the default public URL.
    pub fn from_env(listen: SocketAddr) -> Result<WebSettings, WebSettingsError> {
        let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        WebSettings::from_lookup(listen, variable, Mailer::from_env()?)
    }

    /// From `lookup` (an environment), for tests of the rules.
    pub fn from_lookup(
        listen: SocketAddr,
        lookup: impl Fn(&str) -> Option<String>,
        mailer: Mailer,
    ) -> Result<WebSettings, WebSettingsError> {
        let public_url = match lookup("FUNDLEDGER_PUBLIC_URL") {
            None => format!("http://{listen}"),
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_string()
            }
            Some(url) => return Err(WebSettingsError::BadPublicUrl(url)),
        };
        let seconds = |name: &'static str, unit: i64| -> Result<Option<i64>, WebSettingsError> {
            lookup(name)
                .map(|value| parse_duration(name, &value, unit))
                .transpose()
        };
        let defaults = SessionLimits::default();
        let idle_seconds = seconds("FUNDLEDGER_SESSION_IDLE_SECONDS", 1)?
            .or(seconds("FUNDLEDGER_SESSION_IDLE_MINUTES", 60)?)
            .unwrap_or(defaults.idle_seconds);
        let absolute_seconds =
            seconds("FUNDLEDGER_SESSION_MAX_HOURS", 3600)?.unwrap_or(defaults.absolute_seconds);
        let sign_in_link_seconds = seconds("FUNDLEDGER_SIGN_IN_LINK_SECONDS", 1)?
            .or(seconds("FUNDLEDGER_SIGN_IN_LINK_MINUTES", 60)?)
            .unwrap_or(SIGN_IN_LINK_TTL_SECONDS);
        Ok(WebSettings {
            secure_cookies: public_url.starts_with("https://"),
            public_url,
            session_limits: SessionLimits {
                idle_seconds,
                absolute_seconds,
            },
            sign_in_link_seconds,
            mailer,
        })
    }

    /// An absolute URL for `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }
}

fn parse_duration(name: &'static str, value: &str, unit: i64) -> Result<i64, WebSettingsError> {
    let max = MAX_SETTING_SECONDS / unit;
    match value.trim().parse::<i64>() {
        Ok(number) if (1..=max).contains(&number) => Ok(number * unit),
        _ => Err(WebSettingsError::BadNumber {
            name,
            value: value.to_string(),
            max,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<WebSettings, WebSettingsError> {
        let lookup = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        };
        let listen: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        WebSettings::from_lookup(listen, lookup, Mailer::new(None, None).unwrap())
    }

    #[test]
    fn defaults_follow_the_listen_address() {
        let web = settings(&[]).unwrap();
        assert_eq!(web.public_url, "http://127.0.0.1:8080");
        assert!(!web.secure_cookies);
        assert_eq!(web.session_limits, SessionLimits::default());
        assert_eq!(web.sign_in_link_seconds, SIGN_IN_LINK_TTL_SECONDS);
    }

    #[test]
    fn https_marks_cookies_secure_and_seconds_win_over_minutes() {
        let web = settings(&[
            ("FUNDLEDGER_PUBLIC_URL", "https://grants.example.org/"),
            ("FUNDLEDGER_SESSION_IDLE_MINUTES", "10"),
            ("FUNDLEDGER_SESSION_IDLE_SECONDS", "3"),
            ("FUNDLEDGER_SESSION_MAX_HOURS", "2"),
            ("FUNDLEDGER_SIGN_IN_LINK_MINUTES", "5"),
        ])
        .unwrap();
        assert_eq!(web.url("/account"), "https://grants.example.org/account");
        assert!(web.secure_cookies);
        assert_eq!(web.session_limits.idle_seconds, 3);
        assert_eq!(web.session_limits.absolute_seconds, 7200);
        assert_eq!(web.sign_in_link_seconds, 300);
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        let error = settings(&[("FUNDLEDGER_SESSION_MAX_HOURS", "0")]).unwrap_err();
        assert!(
            error.to_string().contains("FUNDLEDGER_SESSION_MAX_HOURS"),
            "{error}"
        );
        let error = settings(&[("FUNDLEDGER_PUBLIC_URL", "grants.example.org")]).unwrap_err();
        assert!(error.to_string().contains("https://"), "{error}");
    }
}
