//! Email: sign-in links, invitations (and, with the work screens, notifications). Sent
//! over SMTP when `FUNDLEDGER_SMTP_URL` is set (`smtp://host:port` plain,
//! `smtp://host:port?tls=starttls` (or lettre's `tls=required`), `smtps://user:pass@host:465`),
//! from `FUNDLEDGER_MAIL_FROM`. With no SMTP configured (the embedded default), each message
//! is written to the server's log instead (info, target `MAIL_LOG_TARGET`), so the
//! two-command start still signs people in.

use std::fmt;
use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// The log target of messages written to the log instead of sent.
pub const MAIL_LOG_TARGET: &str = "fundledger::mail";
/// The sender when `FUNDLEDGER_MAIL_FROM` is not set.
pub const DEFAULT_MAIL_FROM: &str = "fundledger <fundledger@localhost>";
/// The longest one SMTP conversation may take before the send is given up.
pub const SMTP_TIMEOUT_MS: u64 = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail settings are not valid: {0}")]
    Config(String),
    #[error("the mail server did not take the message: {0}")]
    Send(String),
}

/// Sends mail (or logs it). Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    /// `None`: no SMTP server configured; messages go to the log.
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

impl fmt::Debug for Mailer {
    // The transport holds the SMTP password: never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("smtp", &self.transport.is_some())
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// From the environment (`FUNDLEDGER_SMTP_URL`, `FUNDLEDGER_MAIL_FROM`).
    pub fn from_env() -> Result<Mailer, MailError> {
        let smtp_url = std::env::var("FUNDLEDGER_SMTP_URL").ok();
        let from = std::env::var("FUNDLEDGER_MAIL_FROM").ok();
        Mailer::new(smtp_url.as_deref(), from.as_deref())
    }

    /// From an SMTP URL (`None` or empty: log instead) and a sender (`None`: the default).
    pub fn new(smtp_url: Option<&str>, from: Option<&str>) -> Result<Mailer, MailError> {
        let from = from.map(str::trim).filter(|from| !from.is_empty());
        let from: Mailbox = from.unwrap_or(DEFAULT_MAIL_FROM).parse().map_err(|error| {
            MailError::Config(format!(
                "FUNDLEDGER_MAIL_FROM is not an address like 'Fund <fund@example.org>': {error}"
            ))
        })?;
        let transport = match smtp_url.map(str::trim).filter(|url| !url.is_empty()) {
            None => None,
            Some(url) => Some(smtp_transport(url)?),
        };
        Ok(Mailer { transport, from })
    }

    /// Whether messages go to an SMTP server (else to the log).
    pub fn sends_mail(&self) -> bool {
        self.transport.is_some()
    }

    /// Sends one plain-text message to `to`.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        self.send_with_id(to, subject, body, None).await
    }

    /// Sends one plain-text message to `to` with `Message-ID: <{id}@{the sender's domain}>`
    /// (`None`: one made up by lettre). A message sent again with the same id (a
    /// notification retried after a crash) is a duplicate mail systems can drop.
    pub async fn send_with_id(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        id: Option<&str>,
    ) -> Result<(), MailError> {
        let Some(transport) = &self.transport else {
            tracing::info!(target: MAIL_LOG_TARGET, %to, %subject, "mail not sent (no FUNDLEDGER_SMTP_URL):\n{body}");
            return Ok(());
        };
        let to: Mailbox = to
            .parse()
            .map_err(|error| MailError::Send(format!("'{to}' is not an email address: {error}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(id.map(|id| format!("<{id}@{}>", self.from.email.domain())))
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|error| MailError::Send(error.to_string()))?;
        transport
            .send(message)
            .await
            .map_err(|error| MailError::Send(error.to_string()))?;
        Ok(())
    }
}

/// lettre's transport for `url`; `tls=starttls` is read as lettre's `tls=required` (STARTTLS
/// or nothing: a server that cannot upgrade gets no message).
fn smtp_transport(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let url = url.replace("tls=starttls", "tls=required");
    let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url).map_err(|error| {
        MailError::Config(format!(
            "FUNDLEDGER_SMTP_URL must look like smtp://host:port, smtp://host:port?tls=starttls \
             or smtps://user:password@host:465 ({error})"
        ))
    })?;
    Ok(builder
        .timeout(Some(Duration::from_millis(SMTP_TIMEOUT_MS)))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_smtp_url_logs_instead() {
        let mailer = Mailer::new(None, None).unwrap();
        assert!(!mailer.sends_mail());
        assert!(Mailer::new(Some(" "), None).is_ok_and(|mailer| !mailer.sends_mail()));
    }

    // lettre's connection pool starts a task: a runtime is needed to build a transport.
    #[tokio::test]
    async fn the_url_forms_are_read() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://mail.example.org:587?tls=starttls",
            "smtps://user:secret@mail.example.org:465",
        ] {
            assert!(Mailer::new(Some(url), None).unwrap().sends_mail(), "{url}");
        }
        let shown = format!(
            "{:?}",
            Mailer::new(Some("smtps://u:hunter2@h:465"), None).unwrap()
        );
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[tokio::test]
    async fn bad_settings_are_refused_with_what_to_do() {
        let error = Mailer::new(Some("http://example.org"), None).unwrap_err();
        assert!(error.to_string().contains("FUNDLEDGER_SMTP_URL"), "{error}");
        let error = Mailer::new(None, Some("not an address")).unwrap_err();
        assert!(
            error.to_string().contains("FUNDLEDGER_MAIL_FROM"),
            "{error}"
        );
    }
}
