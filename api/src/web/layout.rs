//! The page frame every screen shares.

use infrastructure::accounts::Person;
use maud::Markup;

/// A whole page: `<title>` is "`title` – fundledger"; `person` (when signed in) is named
/// in the header with a sign-out button (a form, with `csrf_token`).
pub fn page(title: &str, signed_in: Option<(&Person, &str)>, body: Markup) -> Markup {
    todo!("signin helper {title} {signed_in:?} {}", body.into_string())
}
