//! What makes a screen's write safe to repeat: every form that writes carries a
//! `form_key`, made when the form is drawn and sent as the mutation's `idempotencyKey`.
//! A double click, a refresh of the POST or a back-and-resubmit sends the same key, so the
//! ledger applies the write once and answers the same (GraphQL's idempotency, not a second
//! mechanism). A check-your-answers page carries the key of the form it checks forward.
//!
//! After a write the handler redirects (303, post/redirect/get) to a page that shows it:
//! `gql::write` has waited for the read models to reflect it.

use maud::{html, Markup};

use infrastructure::accounts::secrets::new_secret;

/// The hidden field's name.
pub const FORM_KEY_FIELD: &str = "form_key";
/// The longest form key accepted (ours are 43 characters).
const MAX_FORM_KEY_CHARS: usize = 64;

/// A new key for a form being drawn.
pub fn new_form_key() -> String {
    new_secret()
}

/// The hidden field carrying `key`.
pub fn form_key_field(key: &str) -> Markup {
    html! { input type="hidden" name=(FORM_KEY_FIELD) value=(key); }
}

/// The idempotency key for a form's write: `web:{what}:{form_key}`, so one form's key
/// never collides with another action's. `None` when the form came without a usable key
/// (an old page, a hand-made request): the handler shows the form again with a new one.
pub fn idempotency_key(what: &str, form_key: &str) -> Option<String> {
    let key = form_key.trim();
    let usable = !key.is_empty()
        && key.len() <= MAX_FORM_KEY_CHARS
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    usable.then(|| format!("web:{what}:{key}"))
}

/// What `encode` leaves as it is: RFC 3986's unreserved characters, so an id such as
/// `FUND-1A2B` reads the same in the address bar.
const ENCODED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A path segment or query value, percent-encoded (ids in links).
pub fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, ENCODED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_key_becomes_an_idempotency_key_for_its_action_only() {
        let key = new_form_key();
        let approve = idempotency_key("approve", &key).unwrap();
        assert_eq!(approve, idempotency_key("approve", &key).unwrap());
        assert_ne!(approve, idempotency_key("decline", &key).unwrap());
        assert!(idempotency_key("approve", "").is_none());
        assert!(idempotency_key("approve", "has space").is_none());
        assert!(idempotency_key("approve", &"a".repeat(65)).is_none());
    }

    #[test]
    fn ids_stay_readable_in_links_and_anything_else_is_encoded() {
        assert_eq!(encode("FUND-1A2B_c.d~e"), "FUND-1A2B_c.d~e");
        assert_eq!(encode("a/b?c&d e"), "a%2Fb%3Fc%26d%20e");
    }
}
