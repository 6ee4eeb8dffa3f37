//! Set-up the work screens' tests share: a new person holding some roles, signed in in a
//! real browser or in a plain HTTP client (for journeys whose subject is not signing in;
//! `tests/invitations.rs` signs in through the screens).

use infrastructure::accounts::ScopedRole;

use crate::browser::Browser;
use crate::web_client::WebClient;
use crate::TestApp;

/// The session secret of a new person `email` holding `roles`.
pub async fn session_as(app: &TestApp, email: &str, roles: &[ScopedRole]) -> String {
    let person = app.person_with_roles(email, roles).await;
    app.session_of(&person).await.secret
}

/// A browser signed in as a new person `email` holding `roles`.
pub async fn browser_as(app: &TestApp, email: &str, roles: &[ScopedRole]) -> Browser {
    let secret = session_as(app, email, roles).await;
    let browser = Browser::start(&app.base).await;
    browser.use_session(&secret).await;
    browser
}

/// A plain HTTP client signed in as a new person `email` holding `roles`.
pub async fn client_as(app: &TestApp, email: &str, roles: &[ScopedRole]) -> WebClient {
    WebClient::signed_in(&app.base, &session_as(app, email, roles).await)
}
