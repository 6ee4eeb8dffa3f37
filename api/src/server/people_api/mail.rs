//! The invitation email: what it grants, who sent it, the link and when it expires.

use super::errors::{PeopleError, PeopleResult};
use super::manage::{actor_name, Caller, NamedInvitation};
use super::scopes::describe;
use crate::server::context::AppState;

/// The link an invitation's secret opens: `{public URL}/invitations/{secret}`.
pub fn invitation_link(public_url: &str, secret: &str) -> String {
    format!("{}/invitations/{secret}", public_url.trim_end_matches('/'))
}

/// The subject and body of the invitation mail.
pub fn invitation_message(
    named: &NamedInvitation,
    greeting_name: Option<&str>,
    sender: &str,
    link: &str,
) -> (String, String) {
    let what = describe(named.invitation.role.role, &named.scope_name);
    let expires = chrono::DateTime::from_timestamp(named.invitation.expires_at, 0)
        .unwrap_or_default()
        .format("%-d %B %Y at %H:%M UTC");
    let greeting = match greeting_name.map(str::trim) {
        Some(name) if !name.is_empty() => format!("Hello {name},"),
        _ => "Hello,".to_string(),
    };
    let subject = format!("You're invited to be {what} on fundledger");
    let body = format!(
        "{greeting}\n\n{sender} has invited you to be {what} on fundledger.\n\n\
         To accept, open this link:\n\n{link}\n\n\
         The link works once and expires on {expires}. If you were not expecting this \
         invitation, you can ignore this email.\n"
    );
    (subject, body)
}

/// Mails the link of a new invitation to the invited email.
pub async fn send_invitation(
    state: &AppState,
    caller: &Caller,
    named: &NamedInvitation,
    greeting_name: Option<&str>,
    secret: &str,
) -> PeopleResult<()> {
    let sender = actor_name(state, &caller.actor).await?;
    let link = invitation_link(&state.web.public_url, secret);
    let (subject, body) = invitation_message(named, greeting_name, &sender, &link);
    let to = named.invitation.email.clone().unwrap_or_default();
    state
        .web
        .mailer
        .send(&to, &subject, &body)
        .await
        .map_err(|error| {
            tracing::warn!(%error, "an invitation could not be mailed");
            PeopleError::Mail(format!(
                "the invitation was made but the mail server did not take it; withdraw it \
                 and invite again later ({error})"
            ))
        })
}
