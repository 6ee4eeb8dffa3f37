//! A real OpenID Connect provider for the single sign-on tests: `tests/oidc/provider.mjs`
//! (npm `oidc-provider`, installed by `npm ci --prefix tests/oidc`) run by node on
//! 127.0.0.1, and a browser-like HTTP client (cookies kept, redirects followed one hop at
//! a time so a test can stop at any of them) that goes through its login form.
//!
//! The server must know the provider's issuer when it starts and the provider must know
//! the server's redirect URL when it starts: so the provider's port is reserved first,
//! the server started with that issuer (it discovers the provider lazily and retries),
//! then the provider started on that port with the server's callback.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode, Url};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::{spawn_app_logged, ServerLog, Store, TestApp};

/// The client id fundledger is registered under at the test provider.
pub const CLIENT_ID: &str = "fundledger-test";
/// The provider's name on the server's button and pages.
pub const PROVIDER_NAME: &str = "Test Provider";
/// How long the provider may take to start listening.
pub const PROVIDER_STARTUP_TIMEOUT_MS: u64 = 30_000;
/// The server's single sign-on callback.
pub const CALLBACK_PATH: &str = "/sign-in/sso/callback";

/// A running `tests/oidc/provider.mjs`; killed when dropped.
pub struct OidcProvider {
    _child: Child,
    /// `http://127.0.0.1:PORT`: its issuer and base URL.
    pub issuer: String,
}

/// A free port on 127.0.0.1 (bound and let go: the provider binds it a moment later).
pub fn reserve_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

impl OidcProvider {
    /// Starts the provider on `port` with one client (`CLIENT_ID`, `client_secret`) whose
    /// only redirect URI is `redirect_uri`, and waits until it listens.
    pub async fn start(port: u16, client_secret: &str, redirect_uri: &str) -> OidcProvider {
        crate::ensure_npm_packages("oidc", "node_modules/oidc-provider/package.json");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/oidc/provider.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .env("OIDC_PORT", port.to_string())
            .env("OIDC_CLIENT_ID", CLIENT_ID)
            .env("OIDC_CLIENT_SECRET", client_secret)
            .env("OIDC_REDIRECT_URI", redirect_uri)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("starting node tests/oidc/provider.mjs (is node installed?)");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let wait = Duration::from_millis(PROVIDER_STARTUP_TIMEOUT_MS);
        let issuer = tokio::time::timeout(wait, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(issuer) = line.strip_prefix("oidc-provider listening on ") {
                    return issuer.trim().to_string();
                }
            }
            panic!(
                "the OpenID provider exited before listening (run `npm ci --prefix tests/oidc`)"
            );
        })
        .await
        .expect("the OpenID provider listened in time");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        OidcProvider {
            _child: child,
            issuer,
        }
    }
}

/// A server over a fresh database of `store` configured for single sign-on with a fresh
/// local provider (which is started after it, on the port its issuer names). The server's
/// log is kept.
pub async fn spawn_app_with_provider(
    program: &str,
    store: Store,
) -> (TestApp, ServerLog, OidcProvider) {
    let port = reserve_port();
    let client_secret = format!("secret-{}", uuid::Uuid::new_v4().simple());
    let env = [
        ("FUNDLEDGER_OIDC_ISSUER", format!("http://127.0.0.1:{port}")),
        ("FUNDLEDGER_OIDC_CLIENT_ID", CLIENT_ID.to_string()),
        ("FUNDLEDGER_OIDC_CLIENT_SECRET", client_secret.clone()),
        ("FUNDLEDGER_OIDC_NAME", PROVIDER_NAME.to_string()),
    ];
    let (app, log) = spawn_app_logged(program, store, &env).await;
    let redirect = format!("{}{CALLBACK_PATH}", app.base);
    let provider = OidcProvider::start(port, &client_secret, &redirect).await;
    (app, log, provider)
}

/// A client that keeps cookies (as a browser does) and does not follow redirects; its
/// cookie jar can be read.
pub struct Browser {
    pub client: Client,
    pub jar: Arc<Jar>,
}

impl Browser {
    pub fn new() -> Browser {
        let jar = Arc::new(Jar::default());
        let client = Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        Browser { client, jar }
    }

    /// The value of cookie `name` this browser would send to `url`.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        let url = Url::parse(url).expect("a URL");
        let header = self.jar.cookies(&url)?;
        let header = header.to_str().ok()?.to_string();
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_string())
    }
}

impl Default for Browser {
    fn default() -> Browser {
        Browser::new()
    }
}

/// Where a redirect answer points (resolved against the URL it answered).
pub fn redirect_target(response: &reqwest::Response) -> String {
    assert!(
        response.status().is_redirection(),
        "expected a redirect from {}, got {}",
        response.url(),
        response.status()
    );
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .expect("a Location header");
    response
        .url()
        .join(location)
        .expect("a valid Location")
        .to_string()
}

/// GET `url` and the redirect it answers.
pub async fn follow(client: &Client, url: &str) -> String {
    let response = client.get(url).send().await.expect("GET");
    redirect_target(&response)
}

/// Starts single sign-on at `start_url` (the server's `/sign-in/sso?…`), arrives at the
/// provider's login form, and returns its URL.
pub async fn open_provider_login(client: &Client, start_url: &str) -> String {
    let authorize = follow(client, start_url).await;
    let interaction = follow(client, &authorize).await;
    let form = client
        .get(&interaction)
        .send()
        .await
        .expect("GET login form");
    assert_eq!(form.status(), StatusCode::OK, "the provider's login form");
    let html = form.text().await.expect("form body");
    assert!(html.contains(r#"name="login""#), "a login form: {html}");
    interaction
}

/// Signs in as `email` at the provider's login form (`interaction`) and returns the
/// server callback URL the provider redirects to (not yet visited).
pub async fn log_in_at_provider(client: &Client, interaction: &str, email: &str) -> String {
    let submitted = client
        .post(interaction)
        .form(&[("prompt", "login"), ("login", email), ("password", "any")])
        .send()
        .await
        .expect("POST login form");
    let resume = redirect_target(&submitted);
    follow(client, &resume).await
}

/// Cancels at the provider's login form and returns the callback URL (with
/// `error=access_denied`) the provider redirects to.
pub async fn cancel_at_provider(client: &Client, interaction: &str) -> String {
    let resume = follow(client, &format!("{interaction}/abort")).await;
    follow(client, &resume).await
}

/// The query parameter `name` of `url`.
pub fn query_parameter(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// `url` with the query parameter `name` set to `value`.
pub fn with_query_parameter(url: &str, name: &str, value: &str) -> String {
    let mut parsed = Url::parse(url).expect("a URL");
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(key, old)| {
            let new = if key == name {
                value.to_string()
            } else {
                old.into_owned()
            };
            (key.into_owned(), new)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}
