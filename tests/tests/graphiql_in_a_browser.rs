//! GraphiQL at `GET /graphql` in a real headless Chromium: it starts, introspects and runs
//! a query with nothing loaded from another site (the test machine's browser has no route
//! to one, and every resource the page loaded is checked to be this server's).

mod common;

use std::time::Duration;

use common::PROGRAM;
use fundledger_tests::browser::Browser;
use fundledger_tests::Store;
use serde_json::Value;

/// Runs `script` (a JavaScript expression's body returning a value) until it answers
/// something other than null, at most 15 s.
async fn wait_for(browser: &Browser, what: &str, script: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let answer = browser
            .client
            .execute(script, vec![])
            .await
            .unwrap_or(Value::Null);
        if !answer.is_null() {
            return answer;
        }
        assert!(tokio::time::Instant::now() < deadline, "waited for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn graphiql_runs_a_query_with_nothing_from_another_site() {
    let app = fundledger_tests::spawn_app(PROGRAM, Store::Sqlite).await;
    let browser = Browser::start(&app.base).await;
    browser.goto("/graphql").await;
    browser.find(".graphiql-container").await;
    // The query editor is a CodeMirror: set the query through it, as typing would.
    wait_for(
        &browser,
        "the query editor",
        "var editor = document.querySelector('.graphiql-query-editor .CodeMirror'); \
         if (!editor) { return null; } \
         editor.CodeMirror.setValue('{ ledger { position } }'); return true;",
    )
    .await;
    browser.click(".graphiql-execute-button").await;
    let answer = wait_for(
        &browser,
        "the query's answer",
        "var result = document.querySelector('.graphiql-response .CodeMirror'); \
         var text = result ? result.CodeMirror.getValue() : ''; \
         return text.indexOf('position') >= 0 ? text : null;",
    )
    .await;
    let answer: Value = serde_json::from_str(answer.as_str().unwrap_or_default())
        .expect("GraphiQL shows the answer as JSON");
    assert!(
        answer["data"]["ledger"]["position"].is_i64(),
        "GraphiQL ran the query against this server: {answer}"
    );
    let loaded = browser
        .client
        .execute(
            "return performance.getEntriesByType('resource').map(function (entry) { return entry.name; });",
            vec![],
        )
        .await
        .expect("the page's resources");
    let loaded: Vec<String> = serde_json::from_value(loaded).expect("a list of URLs");
    assert!(
        loaded.len() >= 4,
        "GraphiQL's scripts and styles: {loaded:?}"
    );
    for url in &loaded {
        assert!(
            url.starts_with(&app.base),
            "{url} was loaded from another site"
        );
    }
    browser.close().await;
}
