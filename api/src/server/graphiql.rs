//! GraphiQL at `GET /graphql`, served whole by this binary: the page, GraphiQL and React
//! (vendored in `api/assets/graphiql/`, licences and versions in its README) and the script
//! that starts it. Nothing loads from another site, so a token pasted into GraphiQL goes
//! nowhere but here, and the page's policy allows scripts from this server only.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// Where the assets are served.
pub const ASSETS_PATH: &str = "/assets/graphiql";
/// The GraphiQL page's policy: scripts and styles from this server only (GraphiQL also
/// sets styles from script, hence inline styles), fonts and images from its CSS's `data:`
/// URIs, requests to this server (including its WebSocket), never framed.
pub const GRAPHIQL_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// How long a browser may keep an asset (they change only with the binary).
const ASSET_MAX_AGE_SECONDS: u32 = 86_400;

/// The vendored files, by name: (name, content type, bytes).
const ASSETS: [(&str, &str, &[u8]); 5] = [
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "graphiql-init.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql-init.js"),
    ),
];

/// `GET /graphql`: the GraphiQL page.
/// GraphiQL's page; `csrf` (the signed-in person's session token, if any) goes in a meta
/// tag that `graphiql-init.js` sends as `X-CSRF-Token`, so GraphiQL works signed in. The
/// page is then personal: never stored by a cache.
pub fn page(csrf: Option<&str>) -> Response {
    // A CSRF token is URL-safe base64: nothing in it needs escaping, but refuse anything else.
    let csrf = csrf
        .filter(|token| {
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(|token| format!("<meta name=\"fundledger-csrf\" content=\"{token}\">\n"))
        .unwrap_or_default();
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>fundledger GraphiQL</title>\n{csrf}\
         <style>body {{ height: 100%; margin: 0; width: 100%; overflow: hidden; }} #graphiql {{ height: 100vh; }}</style>\n\
         <link rel=\"stylesheet\" href=\"{ASSETS_PATH}/graphiql.min.css\">\n\
         <script src=\"{ASSETS_PATH}/react.production.min.js\"></script>\n\
         <script src=\"{ASSETS_PATH}/react-dom.production.min.js\"></script>\n\
         </head>\n<body>\n<div id=\"graphiql\">Loading…</div>\n\
         <script src=\"{ASSETS_PATH}/graphiql.min.js\"></script>\n\
         <script src=\"{ASSETS_PATH}/graphiql-init.js\"></script>\n\
         </body>\n</html>\n"
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                GRAPHIQL_CONTENT_SECURITY_POLICY,
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response()
}

/// `GET /assets/graphiql/{name}`: one vendored file.
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(asset, _, _)| *asset == name) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, (*content_type).to_string()),
                (
                    header::CACHE_CONTROL,
                    format!("public, max-age={ASSET_MAX_AGE_SECONDS}"),
                ),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset\n").into_response(),
    }
}
