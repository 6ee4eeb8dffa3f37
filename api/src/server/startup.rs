//! Building and running the server: `Application::build` binds the listener, opens the
//! store, finishes pending steps, loads demo data if asked and assembles the state;
//! `run_until_stopped` serves until the shutdown future completes, then drains requests
//! and stops the projector, the process manager, the email notifier and the live feed
//! cleanly.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use infrastructure::accounts::{AccountError, Person};
use infrastructure::{Database, Ledger, StoreConfig};
use projections::Projector;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::auth::{Role, TokenKeys};
use super::cache::PublicQueryCache;
use super::context::AppState;
use super::http::{metrics_router, router, App};
use super::metrics::Metrics;
use super::notifier::{run_notifier, NotifierSettings};
use super::schema::build_schema;
use super::settings::{resolve_jwt_secret, Settings, SettingsError};
use super::subscriptions::{run_feed, FEED_CHANNEL_ITEMS};
use super::transport::TransportLimits;

/// How often the process manager looks for steps left half done.
pub const PROCESS_MANAGER_INTERVAL_MS: u64 = 2_000;
/// How long shutdown waits for in-flight requests before giving up on them.
pub const SHUTDOWN_DRAIN_MS: u64 = 20_000;
/// How long shutdown waits for each background task to stop.
pub const TASK_STOP_MS: u64 = 10_000;
/// Lifetime of the development admin token printed for the embedded store.
pub const DEV_TOKEN_TTL_SECONDS: u64 = 8 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Store(#[from] infrastructure::StoreError),
    #[error(transparent)]
    Ledger(#[from] infrastructure::LedgerError),
    #[error("loading the shipped reference geography: {0}")]
    Geography(#[from] infrastructure::geography::GeographyError),
    #[error("loading the demo data: {0}")]
    Demo(String),
    #[error(
        "cannot listen on {address} ({cause}); stop what uses it or choose another address \
         with --listen / FUNDLEDGER_LISTEN"
    )]
    Listen {
        address: String,
        cause: std::io::Error,
    },
    #[error("serving: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    Token(#[from] super::auth::AuthError),
    #[error("making the first owner: {0}")]
    Owner(#[from] AccountError),
    #[error(transparent)]
    Web(#[from] crate::web::settings::WebSettingsError),
    #[error(transparent)]
    Sso(#[from] crate::web::oidc::SsoError),
    #[error(transparent)]
    Notifier(#[from] super::notifier::NotifierSettingsError),
}

/// The embedded store's ways in for its developer: an admin token, and the first owner
/// (made if there is none) with a sign-in link at `address`.
async fn embedded_sign_in(
    keys: &TokenKeys,
    database: &Database,
    address: SocketAddr,
) -> Result<(Option<String>, Option<(Person, String)>), StartupError> {
    let ttl = Duration::from_secs(DEV_TOKEN_TTL_SECONDS);
    let token = keys.mint(Role::Admin, "dev-admin", None, ttl)?;
    let owner = crate::owner::embedded_owner_sign_in(database, &address.to_string()).await?;
    Ok((Some(token), owner))
}

pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    /// `/metrics` alone, when `--metrics-listen` keeps it off the public listener.
    metrics_listener: Option<(TcpListener, SocketAddr)>,
    limits: TransportLimits,
    app: App,
    projector: Projector,
    dev_token: Option<String>,
    /// The embedded store's owner and a sign-in link for them.
    owner_sign_in: Option<(Person, String)>,
    demo_summary: Option<String>,
    notifier: NotifierSettings,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let config = StoreConfig::from_url(&settings.database_url)?;
        // The port first: a server that cannot listen must fail before it creates a store
        // file, a secret or a schema.
        let (listener, address) = bind(&settings.listen).await?;
        let web = Arc::new(crate::web::WebSettings::from_env(address)?);
        let sso = crate::web::oidc::SingleSignOn::start(&web)?;
        let notifier = NotifierSettings::from_env()?;
        let metrics_listener = match &settings.metrics_listen {
            Some(metrics_listen) => Some(bind(metrics_listen).await?),
            None => None,
        };
        let secret = resolve_jwt_secret(&settings.database_url, settings.jwt_secret.as_deref())?;
        let keys = TokenKeys::new(&secret);
        let database = Database::connect(&config).await?;
        let ledger = Ledger::open(database.clone()).await?;
        // Said once here; `/readyz` repeats it and the store refuses writes until repaired.
        if let Some(problem) = database.log_order().await?.problem() {
            tracing::error!("{problem}");
        }
        // Finish any step a crash left half done before taking requests.
        ledger.complete_pending_steps().await?;
        if settings.reference_geography {
            ledger.geography.load_reference_if_empty(&database).await?;
        }
        let demo_summary = load_demo_if_wanted(settings.demo, &ledger, &database).await?;
        let projector = Projector::new(database.clone());
        let (dev_token, owner_sign_in) = match config.is_embedded() {
            true => embedded_sign_in(&keys, &database, address).await?,
            false => (None, None),
        };
        let (feed, _) = broadcast::channel(FEED_CHANNEL_ITEMS);
        let state = Arc::new(AppState {
            ledger,
            projector: projector.handle(),
            metrics: Arc::new(Metrics::default()),
            keys,
            feed,
            public_cache: Arc::new(PublicQueryCache::default()),
            page_cache: Arc::new(PublicQueryCache::for_pages()),
            web,
            sso,
        });
        let schema = build_schema(Some(state.clone()), &settings.transport);
        let app = App::new(
            state,
            schema,
            settings.transport.clone(),
            metrics_listener.is_none(),
        );
        Ok(Application {
            listener,
            address,
            metrics_listener,
            limits: settings.transport,
            app,
            projector,
            dev_token,
            owner_sign_in,
            demo_summary,
            notifier,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Where `/metrics` is served when it is off the public listener.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref().map(|(_, address)| *address)
    }

    /// The GraphQL endpoint's URL.
    pub fn url(&self) -> String {
        format!("http://{}/graphql", self.address)
    }

    /// An admin token for the embedded store's developer; `None` on PostgreSQL.
    pub fn dev_token(&self) -> Option<&str> {
        self.dev_token.as_deref()
    }

    /// The embedded store's owner (their email) and a sign-in link for them; `None` on
    /// PostgreSQL (where `fundledger token --role owner` makes the first owner).
    pub fn owner_sign_in(&self) -> Option<(&str, &str)> {
        let (owner, link) = self.owner_sign_in.as_ref()?;
        Some((owner.email.as_deref().unwrap_or_default(), link.as_str()))
    }

    /// The demo loader's summary, when this start loaded the demo data.
    pub fn demo_summary(&self) -> Option<&str> {
        self.demo_summary.as_deref()
    }

    /// Serves until `shutdown` completes; then stops taking connections, drains in-flight
    /// requests (up to `SHUTDOWN_DRAIN_MS`), and stops the background tasks.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let Application {
            listener,
            metrics_listener,
            limits,
            app,
            projector,
            notifier,
            ..
        } = self;
        let (stop, stopped) = watch::channel(false);
        let database = app.state.ledger.database.clone();
        let tasks = spawn_background_tasks(&app, projector, notifier, &stopped);
        let metrics_task = metrics_listener.map(|(listener, _)| {
            let mut stopped = stopped.clone();
            let limits = limits.clone();
            let metrics = metrics_router(app.clone());
            tokio::spawn(async move {
                let until = async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                };
                super::transport::serve(listener, metrics, &limits, until).await
            })
        });
        let served = serve_draining(listener, app, &limits, shutdown).await;
        let _ = stop.send(true);
        if let Some(task) = metrics_task {
            if tokio::time::timeout(Duration::from_millis(TASK_STOP_MS), task)
                .await
                .is_err()
            {
                tracing::warn!("the metrics listener did not stop within {TASK_STOP_MS} ms");
            }
        }
        for (name, task) in tasks {
            if tokio::time::timeout(Duration::from_millis(TASK_STOP_MS), task)
                .await
                .is_err()
            {
                tracing::warn!("the {name} did not stop within {TASK_STOP_MS} ms");
            }
        }
        database.close().await;
        tracing::info!("stopped");
        served.map_err(StartupError::Serve)
    }
}

/// Starts the projector, the process manager, the email notifier, the public cache's
/// follower and the live feed, each running until `stopped` turns true; returned by name, in the order they
/// are waited for at shutdown.
fn spawn_background_tasks(
    app: &App,
    projector: Projector,
    notifier: NotifierSettings,
    stopped: &watch::Receiver<bool>,
) -> [(&'static str, JoinHandle<()>); 6] {
    let projector_task = tokio::spawn({
        let mut stopped = stopped.clone();
        async move {
            let until = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            if let Err(error) = projector.run_until_stopped(until).await {
                tracing::error!(%error, "the projector stopped with an error");
            }
        }
    });
    let process_manager_task = tokio::spawn(run_process_manager(
        app.state.ledger.clone(),
        stopped.clone(),
    ));
    let notifier_task = tokio::spawn(run_notifier(app.state.clone(), notifier, stopped.clone()));
    let cache_task = tokio::spawn(PublicQueryCache::follow_projector(
        vec![app.state.public_cache.clone(), app.state.page_cache.clone()],
        app.state.projector.clone(),
        stopped.clone(),
    ));
    let feed_task = tokio::spawn(run_feed(
        app.state.ledger.database.clone(),
        app.state.projector.clone(),
        app.state.feed.clone(),
        stopped.clone(),
    ));
    let stall_task = tokio::spawn(super::health::watch_stalls(
        app.state.clone(),
        stopped.clone(),
    ));
    [
        ("projector", projector_task),
        ("projection stall watcher", stall_task),
        ("process manager", process_manager_task),
        ("email notifier", notifier_task),
        ("live feed", feed_task),
        ("public query cache", cache_task),
    ]
}

/// Serves until `shutdown` completes, then stops taking connections and waits for
/// in-flight requests, giving up on them after `SHUTDOWN_DRAIN_MS`.
async fn serve_draining(
    listener: TcpListener,
    app: App,
    limits: &TransportLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (drain_tx, mut drain_rx) = watch::channel(false);
    let graceful = async move {
        shutdown.await;
        tracing::info!("shutting down: draining requests");
        let _ = drain_tx.send(true);
    };
    let server = super::transport::serve(listener, router(app), limits, graceful);
    tokio::select! {
        result = server => result,
        _ = async {
            let _ = drain_rx.wait_for(|draining| *draining).await;
            tokio::time::sleep(Duration::from_millis(SHUTDOWN_DRAIN_MS)).await;
        } => {
            tracing::warn!("requests still running after {SHUTDOWN_DRAIN_MS} ms; stopping anyway");
            Ok(())
        }
    }
}

/// Loads the demo data when `wanted` and the store is empty; the loader's summary.
async fn load_demo_if_wanted(
    wanted: bool,
    ledger: &Ledger,
    database: &Database,
) -> Result<Option<String>, StartupError> {
    if !wanted || !database.is_empty().await? {
        return Ok(None);
    }
    let summary = crate::demo::load(ledger)
        .await
        .map_err(|error| StartupError::Demo(error.to_string()))?;
    Ok(Some(summary.to_string()))
}

/// A listener on `address` and the address it got (port 0 picks one).
async fn bind(address: &str) -> Result<(TcpListener, SocketAddr), StartupError> {
    let listen_error = |cause: std::io::Error| StartupError::Listen {
        address: address.to_string(),
        cause,
    };
    let listener = TcpListener::bind(address).await.map_err(listen_error)?;
    let bound = listener.local_addr().map_err(listen_error)?;
    Ok((listener, bound))
}

/// Completes steps that span aggregates whose second half a crash (here or in another
/// process) left undone. Each step is idempotent, so running beside live commands is safe.
async fn run_process_manager(ledger: Arc<Ledger>, mut stopped: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(PROCESS_MANAGER_INTERVAL_MS)) => {}
            _ = stopped.wait_for(|stop| *stop) => return,
        }
        match ledger.complete_pending_steps().await {
            Ok(0) => {}
            Ok(steps) => tracing::info!(steps, "process manager completed pending steps"),
            Err(error) => tracing::warn!(%error, "process manager pass failed; will retry"),
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
