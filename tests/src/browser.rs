//! A real headless Chromium for tests, driven over WebDriver (`chromedriver` on a free
//! port, the `fantoccini` crate). Each `Browser` has a fresh profile; `axe_scan` runs
//! axe-core (`npm ci --prefix tests/browser`) on the page and fails on serious or critical
//! violations; `screenshot` saves the whole page at 1280 and 390 px wide into
//! `target/screenshots/` (CI keeps them) and fails if the page scrolls sideways at 320 px.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::smtp::free_port;

/// How long `start` waits for chromedriver to answer.
pub const DRIVER_STARTUP_TIMEOUT_MS: u64 = 20_000;
/// The widths every screenshot is taken at: a laptop and a phone.
pub const SCREENSHOT_WIDTHS: [u32; 2] = [1280, 390];
/// The narrowest width a page must fit without sideways scrolling (WCAG reflow).
pub const NARROWEST_WIDTH: u32 = 320;
/// axe-core's impacts that fail a scan.
const FAILING_IMPACTS: [&str; 2] = ["serious", "critical"];

/// Chromium's flags: headless, no sandbox (containers), and nothing that reaches another
/// site (updates, sync, field trials, QUIC).
const CHROMIUM_FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
];

/// A browser session on `base` (the server under test); chromedriver and Chromium are
/// stopped and the profile removed on `close` (or drop).
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
    base: String,
}

fn chromium_binary() -> String {
    std::env::var("CHROMIUM_BIN").unwrap_or_else(|_| {
        [
            "/usr/bin/chromium",
            "/usr/bin/chromium-browser",
            "/usr/bin/google-chrome",
        ]
        .into_iter()
        .find(|path| std::path::Path::new(path).exists())
        .unwrap_or("chromium")
        .to_string()
    })
}

impl Browser {
    pub async fn start(base: &str) -> Browser {
        let port = free_port();
        let driver = Command::new(
            std::env::var("CHROMEDRIVER_BIN").unwrap_or_else(|_| "chromedriver".into()),
        )
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("starting chromedriver (apt-get install chromium chromium-driver)");
        let profile = std::env::temp_dir().join(format!(
            "fundledger-chromium-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|flag| flag.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push("--window-size=1280,900".into());
        let mut capabilities = Capabilities::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium_binary(), "args": args }),
        );
        let client = connect(port, capabilities).await;
        Browser {
            client,
            driver,
            profile,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    /// Signs this browser in with a session's secret (`TestApp::session_of`): the same
    /// cookie `/sign-in/link/…` sets. For journeys whose sign-in is not what they test;
    /// `tests/invitations.rs` and `tests/work_round.rs` sign in through the screens.
    pub async fn use_session(&self, secret: &str) {
        self.goto("/signed-out").await;
        // Chromium refuses a cookie without a domain, and one without SameSite (which
        // WebDriver sends as None) unless it is Secure: say both, as the server does.
        let host = self
            .base
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split([':', '/']).next())
            .unwrap_or("127.0.0.1")
            .to_string();
        let cookie = fantoccini::cookies::Cookie::parse(format!(
            "{}={secret}; Path=/; Domain={host}; HttpOnly; SameSite=Lax",
            api::web::session::SESSION_COOKIE
        ))
        .expect("a session cookie");
        self.client
            .add_cookie(cookie)
            .await
            .expect("setting the session cookie");
    }

    /// Opens `path` on the server under test (or an absolute URL).
    pub async fn goto(&self, path: &str) {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|error| panic!("opening {url}: {error}"));
    }

    pub async fn find(&self, css: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element,
            Err(error) => panic!("no element {css} on {}: {error}", self.path().await),
        }
    }

    /// Types `text` into the field `css` (emptied first).
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clearing a field");
        field.send_keys(text).await.expect("typing into a field");
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|error| panic!("clicking {css}: {error}"));
    }

    /// Clicks `css` (a link or a form's button) and waits until the next page has loaded:
    /// the old document is gone and the new one complete.
    pub async fn click_and_wait(&self, css: &str) {
        let old_page = self.find("html").await;
        self.click(css).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        // An element of the old document answers until the new one replaces it.
        while old_page.tag_name().await.is_ok() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "clicking {css} loaded no new page"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        loop {
            let state = self
                .client
                .execute("return document.readyState", vec![])
                .await;
            if state
                .ok()
                .and_then(|state| state.as_str().map(str::to_string))
                .as_deref()
                == Some("complete")
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the page after {css} did not finish loading"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The visible text of `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .expect("an element's text")
    }

    pub async fn title(&self) -> String {
        self.client.title().await.expect("the page's title")
    }

    /// The current page's path and query.
    pub async fn path(&self) -> String {
        match self.client.current_url().await {
            Ok(url) => match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_string(),
            },
            Err(_) => "(unknown)".into(),
        }
    }

    /// Runs axe-core on the page; panics listing every serious or critical violation.
    pub async fn axe_scan(&self, page_name: &str) {
        crate::ensure_npm_packages("browser", "node_modules/axe-core/axe.min.js");
        let axe = std::fs::read_to_string(axe_path()).unwrap_or_else(|error| {
            panic!(
                "reading axe-core at {} ({error}): run npm ci --prefix tests/browser",
                axe_path().display()
            )
        });
        self.client
            .execute(&axe, vec![])
            .await
            .expect("injecting axe-core");
        let script = "const done = arguments[arguments.length - 1];\
            axe.run(document, { resultTypes: ['violations'] })\
              .then(result => done(JSON.stringify(result.violations)))\
              .catch(error => done(JSON.stringify({ error: String(error) })));";
        let answer = self
            .client
            .execute_async(script, vec![])
            .await
            .expect("running axe-core");
        let violations: Value =
            serde_json::from_str(answer.as_str().unwrap_or("null")).expect("axe's JSON");
        let failing: Vec<String> = violations
            .as_array()
            .unwrap_or_else(|| panic!("axe-core failed on {page_name}: {violations}"))
            .iter()
            .filter(|violation| {
                FAILING_IMPACTS.contains(&violation["impact"].as_str().unwrap_or(""))
            })
            .map(|violation| {
                let targets: Vec<String> = violation["nodes"]
                    .as_array()
                    .map(|nodes| {
                        nodes
                            .iter()
                            .map(|node| node["target"].to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                format!(
                    "{} ({}): {} at {}",
                    violation["id"],
                    violation["impact"],
                    violation["help"],
                    targets.join(", ")
                )
            })
            .collect();
        assert!(
            failing.is_empty(),
            "accessibility violations on {page_name}:\n{}",
            failing.join("\n")
        );
    }

    /// Saves the whole page as `target/screenshots/{name}-{width}.png` at each of
    /// `SCREENSHOT_WIDTHS`, and checks it fits `NARROWEST_WIDTH` without sideways scrolling.
    pub async fn screenshot(&self, name: &str) {
        let folder = screenshots_folder();
        std::fs::create_dir_all(&folder).expect("the screenshots folder");
        self.assert_fits(NARROWEST_WIDTH, name).await;
        for width in SCREENSHOT_WIDTHS {
            self.assert_fits(width, name).await;
            let height = self.page_height().await;
            let shot = self
                .cdp(
                    "Page.captureScreenshot",
                    json!({ "format": "png", "captureBeyondViewport": true,
                            "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 } }),
                )
                .await;
            let png = base64_decode(shot["data"].as_str().expect("the screenshot's data"));
            std::fs::write(folder.join(format!("{name}-{width}.png")), png)
                .expect("writing a screenshot");
        }
        self.set_width(SCREENSHOT_WIDTHS[0]).await;
    }

    async fn assert_fits(&self, width: u32, name: &str) {
        self.set_width(width).await;
        let scroll_width = self
            .client
            .execute("return document.documentElement.scrollWidth", vec![])
            .await
            .expect("the page's width");
        let scroll_width = scroll_width.as_u64().unwrap_or(u64::MAX);
        if scroll_width > u64::from(width) {
            // The outermost elements that stick out, to say what to fix.
            let culprits = self
                .client
                .execute(
                    "const w = arguments[0]; const out = e => e.getBoundingClientRect().right > w + 1;\
                     return Array.from(document.querySelectorAll('body *'))\
                       .filter(e => out(e) && !(e.parentElement && out(e.parentElement)))\
                       .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className + ' ('\
                         + Math.round(e.getBoundingClientRect().right) + ' px)').join(', ');",
                    vec![json!(width)],
                )
                .await
                .unwrap_or_default();
            panic!("{name} scrolls sideways at {width} px wide (the page is {scroll_width} px): {culprits}");
        }
    }

    async fn page_height(&self) -> u64 {
        self.client
            .execute("return document.documentElement.scrollHeight", vec![])
            .await
            .expect("the page's height")
            .as_u64()
            .unwrap_or(900)
    }

    /// The window at a phone's size (390 by 844), with no width emulation left over from
    /// a screenshot.
    pub async fn phone_window(&self) {
        self.client
            .set_window_size(390, 844)
            .await
            .expect("a phone-sized window");
        self.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
            .await;
    }

    /// Makes the viewport `width` CSS pixels wide (a phone's below 500).
    async fn set_width(&self, width: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500 }),
        )
        .await;
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver.
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(CdpCommand {
                cmd: cmd.to_string(),
                params,
            })
            .await
            .unwrap_or_else(|error| panic!("{cmd}: {error}"))
    }

    /// Presses and releases `key` on the keyboard, as a person would: to whatever has
    /// the focus.
    pub async fn press(&self, key: fantoccini::key::Key) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let key: char = key.into();
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client
            .perform_actions(actions)
            .await
            .expect("pressing a key");
    }

    /// Presses Tab until the focused element matches `css` (at most `most` presses):
    /// the keyboard alone reaches it. Panics, naming where the focus went, when it never
    /// does.
    pub async fn tab_to(&self, css: &str, most: usize) {
        for _ in 0..most {
            self.press(fantoccini::key::Key::Tab).await;
            let focused = self
                .client
                .execute(
                    "const e = document.activeElement; return !!e && e.matches(arguments[0]);",
                    vec![json!(css)],
                )
                .await
                .expect("reading the focus");
            if focused.as_bool() == Some(true) {
                return;
            }
        }
        panic!(
            "{most} presses of Tab on {} never reached {css}",
            self.path().await
        );
    }

    /// Types `text` into whatever has the focus.
    pub async fn type_keys(&self, text: &str) {
        let focused = self
            .client
            .active_element()
            .await
            .expect("the focused element");
        focused.send_keys(text).await.expect("typing");
    }

    /// Waits until the page's path is no longer `before` and the new page has loaded
    /// (after a key press that follows a link or sends a form).
    pub async fn wait_for_new_path(&self, before: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let now = self.path().await;
            let state = self
                .client
                .execute("return document.readyState", vec![])
                .await
                .ok();
            if now != before && state.as_ref().and_then(Value::as_str) == Some("complete") {
                return now;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no new page after {before}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Ends the browser session and stops chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

async fn connect(port: u16, capabilities: Capabilities) -> Client {
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = tokio::time::Instant::now() + Duration::from_millis(DRIVER_STARTUP_TIMEOUT_MS);
    loop {
        match ClientBuilder::new(connector.clone())
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return client,
            Err(error) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "no Chromium session from chromedriver at {url} within {DRIVER_STARTUP_TIMEOUT_MS} ms: {error}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

fn axe_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("browser/node_modules/axe-core/axe.min.js")
}

/// `target/screenshots/` of the workspace.
pub fn screenshots_folder() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("screenshots")
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64 from Chromium")
}

/// chromedriver's `goog/cdp/execute`: a DevTools command in the session's page.
#[derive(Debug)]
struct CdpCommand {
    cmd: String,
    params: Value,
}

impl WebDriverCompatibleCommand for CdpCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}
