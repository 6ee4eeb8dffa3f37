//! Email: sign-in links, invitations (and, with the work screens, notifications). Sent
//! over SMTP when `FUNDLEDGER_SMTP_URL` is set (`smtp://host:port` plain or STARTTLS,
//! `smtps://user:pass@host:465`), from `FUNDLEDGER_MAIL_FROM`. With no SMTP configured (the
//! embedded default), each message is written to the server's log instead, so the
//! two-command start still signs people in.

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail settings are not valid: {0}")]
    Config(String),
    #[error("the mail server did not take the message: {0}")]
    Send(String),
}

/// Sends mail (or logs it). Cheap to clone.
#[derive(Clone, Debug)]
pub struct Mailer {}

impl Mailer {
    /// From the environment (`FUNDLEDGER_SMTP_URL`, `FUNDLEDGER_MAIL_FROM`).
    pub fn from_env() -> Result<Mailer, MailError> {
        todo!("signin helper")
    }

    /// Sends one plain-text message to `to`.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        todo!("signin helper {to} {subject} {body}")
    }
}
