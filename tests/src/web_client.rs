//! Speaking to the screens over real HTTP as a browser without JavaScript would: a cookie
//! jar of its own (cookies set by `Set-Cookie`, removed by `Max-Age=0`), redirects not
//! followed (a test sees each `303` and its `Location`), forms posted url-encoded.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};

/// One answer.
#[derive(Debug, Clone)]
pub struct WebPage {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl WebPage {
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
    }

    /// Every `Set-Cookie` line of the answer.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .map(str::to_string)
            .collect()
    }

    /// The `Set-Cookie` line for cookie `name`, if the answer sets it.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|line| line.starts_with(&format!("{name}=")))
    }

    /// The value of the first `<input … name="{name}" value="…">` on the page (hidden
    /// fields such as `csrf_token`).
    pub fn field(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')?;
        Some(html_unescape(&self.body[start..start + end]))
    }
}

fn html_unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// A browser-like HTTP client for one person.
pub struct WebClient {
    http: reqwest::Client,
    base: String,
    jar: Mutex<BTreeMap<String, String>>,
}

impl WebClient {
    pub fn new(base: &str) -> WebClient {
        WebClient {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .expect("http client"),
            base: base.trim_end_matches('/').to_string(),
            jar: Mutex::new(BTreeMap::new()),
        }
    }

    /// A client signed in with a session's secret (`TestApp::session_of`): the cookie
    /// `/sign-in/link/…` sets.
    pub fn signed_in(base: &str, secret: &str) -> WebClient {
        let client = WebClient::new(base);
        client.put_cookie(api::web::session::SESSION_COOKIE, Some(secret));
        client
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.lock().expect("jar").get(name).cloned()
    }

    /// Sets (or with `None` removes) a cookie by hand, as an attacker's copy would.
    pub fn put_cookie(&self, name: &str, value: Option<&str>) {
        let mut jar = self.jar.lock().expect("jar");
        match value {
            Some(value) => jar.insert(name.to_string(), value.to_string()),
            None => jar.remove(name),
        };
    }

    fn cookie_header(&self) -> String {
        let jar = self.jar.lock().expect("jar");
        jar.iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&self, response: reqwest::Response) -> WebPage {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        let page = WebPage {
            status,
            headers,
            body,
        };
        let mut jar = self.jar.lock().expect("jar");
        for line in page.set_cookies() {
            let pair = line.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let removed = line.to_ascii_lowercase().contains("max-age=0") || value.is_empty();
            if removed {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_string(), value.trim().to_string());
            }
        }
        page
    }

    pub async fn get(&self, path: &str) -> WebPage {
        let response = self
            .http
            .get(self.url(path))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap_or_else(|error| panic!("GET {path}: {error}"));
        self.finish(response).await
    }

    /// POSTs `fields` url-encoded, as a form does.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> WebPage {
        let response = self
            .http
            .post(self.url(path))
            .header(COOKIE, self.cookie_header())
            .form(fields)
            .send()
            .await
            .unwrap_or_else(|error| panic!("POST {path}: {error}"));
        self.finish(response).await
    }
}
