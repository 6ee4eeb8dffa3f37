//! One round from invitation to final report, in real headless Chromium browsers, on both
//! stores (issue 14's "done when"): nothing is seeded through GraphQL. The owner signs in
//! with the link `serve` prints on its first start, sets up a fund, records capital, sets
//! an outcome proxy, opens a panel round in a place named in words, and invites a panel
//! member and a group member on the fund's people page. Each accepts the invitation from
//! the mail a real SMTP server received, in their own browser. The group applies (the
//! neighbourhood chosen with the place chooser), the panel member scores, the officer
//! approves with budget lines, the group accepts and asks for a drawdown, the officer
//! approves and pays it, the group reports spend against the budget lines and an outcome
//! against the indicator, and the officer closes the award. The award's final figures are
//! read back through GraphQL, and each notification mail arrived once.

mod common;

use std::time::{Duration, Instant};

use common::*;
use fundledger_tests::browser::Browser;
use fundledger_tests::smtp::SmtpServer;
use fundledger_tests::{spawn_app_over, Store, TestApp};
use infrastructure::test_support::TestDatabase;
use serde_json::{json, Value};

const PANEL_EMAIL: &str = "pat@example.org";
const GROUP_EMAIL: &str = "gita@example.org";
/// Kingston upon Hull 003A, a neighbourhood in Orchard Park ward (shipped geography).
const HULL_003A: &str = "E01012875";
const TITLE: &str = "Saturday breakfast club";
const INDICATOR: &str = "Children fed";

fn shot(store: Store, page: &str) -> String {
    format!("work-round-{page}-{store:?}").to_lowercase()
}

/// A fresh install as it is out of the box (the shipped geography), mailing through a
/// real SMTP server of its own.
async fn first_start(store: Store) -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let env = [
        ("FUNDLEDGER_SMTP_URL", smtp.url()),
        ("FUNDLEDGER_MAIL_FROM", "fund@example.org".to_string()),
        ("FUNDLEDGER_NOTIFY_POLL_MS", "200".to_string()),
        // Reports due within 100 days are listed: the spend report (90 days after the
        // payment) shows on the dashboard at once. The report-due scan runs hourly, after
        // the start's, so no reminder mail goes during the test.
        ("FUNDLEDGER_REPORT_REMINDER_DAYS", "100".to_string()),
    ];
    let database = match store {
        Store::Sqlite => TestDatabase::sqlite().await,
        Store::Postgres => TestDatabase::postgres().await,
    }
    .expect("a fresh test database");
    (spawn_app_over(PROGRAM, database, true, &env).await, smtp)
}

/// Today as the three parts of a GOV.UK date input (no leading zeros).
fn today_parts() -> [String; 3] {
    let today = business_day();
    let parts: Vec<String> = today
        .split('-')
        .map(|part| part.trim_start_matches('0').to_string())
        .collect();
    [parts[2].clone(), parts[1].clone(), parts[0].clone()]
}

/// Fills the date input whose day field is `#{day_id}` and whose month and year fields
/// are `#{prefix}-month` and `#{prefix}-year`.
async fn fill_today(browser: &Browser, day_id: &str, prefix: &str) {
    let [day, month, year] = today_parts();
    browser.fill(&format!("#{day_id}"), &day).await;
    browser.fill(&format!("#{prefix}-month"), &month).await;
    browser.fill(&format!("#{prefix}-year"), &year).await;
}

/// Types `text` into the field whose label reads `label`.
async fn fill_labelled(browser: &Browser, label: &str, text: &str) {
    let script = "for (const label of document.querySelectorAll('label')) {\
          if (label.textContent.trim() === arguments[0]) return label.htmlFor;\
        }\
        return null;";
    let id = browser
        .client
        .execute(script, vec![json!(label)])
        .await
        .expect("looking for a label");
    let id = id
        .as_str()
        .unwrap_or_else(|| panic!("no field labelled {label}"));
    browser.fill(&format!("#{id}"), text).await;
}

async fn continue_on(browser: &Browser) {
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
}

async fn confirm(browser: &Browser) {
    browser.click_and_wait("button[value='confirm']").await;
}

/// The path's segment after `after` (up to the next `/` or `?`), percent-decoded (some
/// pages encode `-` in ids as `%2D`).
fn segment_after(path: &str, after: &str) -> String {
    let segment = path
        .split(after)
        .nth(1)
        .unwrap_or_else(|| panic!("{after} in {path}"))
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    let mut decoded = Vec::new();
    let bytes = segment.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let hex = segment.get(index + 1..index + 3);
        match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
            Some(byte) if bytes[index] == b'%' => {
                decoded.push(byte);
                index += 3;
            }
            _ => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8(decoded).expect("a UTF-8 id")
}

/// The owner signs in with the link the first start prints (what `serve` prints on the
/// embedded store), in a browser of their own.
async fn owner_signs_in(app: &TestApp) -> Browser {
    let (_, link) = api::owner::embedded_owner_sign_in(&app.database.database, &app.base)
        .await
        .expect("the owner's sign-in link")
        .expect("the owner has an email");
    let browser = Browser::start(&app.base).await;
    browser.goto(&link).await;
    browser.click_and_wait("button.govuk-button").await;
    assert_eq!(browser.path().await, "/work");
    browser
}

/// Fund, capital and outcome proxy. Answers the fund's id.
async fn set_up_fund(browser: &Browser, store: Store) -> String {
    browser.click_and_wait("a[href='/manage/funds/new']").await;
    browser.fill("#name", "Hull Community Fund").await;
    browser.fill("#funder_name", "Hull Trust").await;
    browser.fill("#funder_org_id", "GB-CHC-7654321").await;
    continue_on(browser).await;
    confirm(browser).await;
    let path = browser.path().await;
    assert!(path.ends_with("?done=established"), "{path}");
    let fund = segment_after(&path, "/manage/funds/");

    browser.click_and_wait("a[href$='/capital']").await;
    browser.fill("#amount", "£100,000").await;
    fill_today(browser, "received", "received").await;
    browser.fill("#source", "Endowment").await;
    continue_on(browser).await;
    confirm(browser).await;
    assert!(browser
        .text("#main-content")
        .await
        .contains("Capital received recorded"));

    browser.click_and_wait("a[href$='/proxies']").await;
    browser.fill("#indicator", INDICATOR).await;
    browser.fill("#unit", "child").await;
    browser.fill("#value_per_unit", "£150").await;
    browser.fill("#deadweight", "10%").await;
    browser.fill("#attribution", "0").await;
    browser.fill("#displacement", "0").await;
    browser.fill("#drop_off", "0").await;
    browser.fill("#duration_years", "1").await;
    continue_on(browser).await;
    assert!(browser
        .text("#main-content")
        .await
        .contains("Outcome proxy set"));
    browser.screenshot(&shot(store, "proxies")).await;
    fund
}

/// A panel round in Kingston upon Hull, named in words. Answers the round's id.
async fn open_round(browser: &Browser, store: Store, fund: &str) -> String {
    browser.goto(&format!("/manage/funds/{fund}")).await;
    browser.click_and_wait("a[href$='/rounds/new']").await;
    browser.fill("#name", "Hull spring grants").await;
    for (id, day, month, year) in [("opens", "1", "1", "2020"), ("closes", "31", "12", "2099")] {
        browser.fill(&format!("#{id}"), day).await;
        browser.fill(&format!("#{id}-month"), month).await;
        browser.fill(&format!("#{id}-year"), year).await;
    }
    browser.fill("#budget", "£50,000").await;
    browser.fill("#min_panel_scores", "1").await;
    browser.fill("#themes", "food\nyoung people").await;
    browser.fill("#places", "Kingston upon Hull").await;
    continue_on(browser).await;
    let check = browser.text("#main-content").await;
    assert!(check.contains("Kingston upon Hull"), "{check}");
    browser.screenshot(&shot(store, "round-check")).await;
    confirm(browser).await;
    let path = browser.path().await;
    assert!(path.ends_with("?done=opened"), "{path}");
    segment_after(&path, "/manage/rounds/")
}

/// Invites `email` on the fund's people page: a panel member of the round, or a member of
/// a new group.
async fn invite(browser: &Browser, fund: &str, email: &str, name: &str, panel: bool) {
    browser.goto(&format!("/manage/funds/{fund}/people")).await;
    browser.fill("#email", email).await;
    browser.fill("#name", name).await;
    if panel {
        browser.click("#role-panel").await;
        let rounds = browser.find("#round_id").await;
        let round = browser
            .client
            .execute(
                "return document.querySelector('#round_id option:nth-child(2)').value",
                vec![],
            )
            .await
            .expect("the round's option");
        rounds
            .select_by_value(round.as_str().unwrap_or_default())
            .await
            .expect("choosing the round");
    } else {
        browser.click("#role-member").await;
        browser
            .find("#organisation")
            .await
            .select_by_value("new")
            .await
            .expect("choosing a new group");
        browser
            .fill("#organisation_name", "Orchard Park Larder")
            .await;
    }
    browser
        .click_and_wait("form[action$='/people/invite'] button")
        .await;
    let page = browser.text("#main-content").await;
    assert!(page.contains(email), "{page}");
}

/// The invited person opens the link in their mail in a browser of their own and accepts.
async fn accept_invitation(app: &TestApp, smtp: &SmtpServer, email: &str, name: &str) -> Browser {
    let mail = smtp.wait_for_message(email).await;
    assert!(mail.subject.contains("You're invited"), "{}", mail.subject);
    let start = mail
        .body
        .find("/invitations/")
        .unwrap_or_else(|| panic!("an invitation link in {}", mail.body));
    let link = mail.body[start..]
        .split_whitespace()
        .next()
        .expect("the link")
        .to_string();
    let browser = Browser::start(&app.base).await;
    browser.goto(&link).await;
    browser.fill("#name", name).await;
    browser.click_and_wait("button.govuk-button").await;
    assert_eq!(browser.path().await, "/work");
    browser
}

/// The group applies, choosing its neighbourhood with the place chooser. Answers the
/// group's path (`/groups/{org}`, as its own pages link it) and the application's id.
async fn apply(browser: &Browser, store: Store) -> (String, String) {
    browser.click_and_wait("a[href^='/groups/']").await;
    browser.click_and_wait("a[href$='/apply']").await;
    assert_eq!(browser.text("h1").await, "Where will your project happen?");
    browser
        .click_and_wait("a.govuk-button[href^='/places/choose']")
        .await;
    browser.fill("#q", "hull").await;
    browser
        .click_and_wait("form[action='/places/choose'] button")
        .await;
    browser.click_and_wait(".fl-place-results li a").await;
    browser
        .click_and_wait(&format!("table a[href*='place={HULL_003A}']"))
        .await;
    assert!(browser
        .text("#place")
        .await
        .contains("Kingston upon Hull 003A"));
    browser.click_and_wait("a.govuk-button").await;
    assert_eq!(browser.text("h1").await, "About your project");
    // Asked only while the ledger knows no name for the group.
    if browser
        .client
        .find(fantoccini::Locator::Css("#group_name"))
        .await
        .is_ok()
    {
        browser.fill("#group_name", "Orchard Park Larder").await;
    }
    browser.fill("#title", TITLE).await;
    browser
        .fill("#description", "Breakfast for 40 children every Saturday")
        .await;
    browser.fill("#amount", "£5,000").await;
    browser.click("label[for=themes]").await;
    continue_on(browser).await;
    browser.screenshot(&shot(store, "apply-check")).await;
    continue_on(browser).await;
    assert_eq!(
        browser.text(".govuk-panel__title").await,
        "Application received"
    );
    let path = browser.path().await;
    let application = segment_after(&path, "/applications/");
    let group = path.split("/applications/").next().unwrap_or_default();
    (group.to_string(), application)
}

async fn panel_scores(browser: &Browser, store: Store, application: &str) {
    browser.goto("/panel").await;
    browser
        .click_and_wait("#main-content td a, #main-content th a")
        .await;
    browser
        .click_and_wait(&format!("a[href='/panel/applications/{application}']"))
        .await;
    assert!(browser.text("#main-content").await.contains(TITLE));
    browser.click("#score-4").await;
    browser.fill("#comment", "Well planned.").await;
    browser.screenshot(&shot(store, "score")).await;
    browser.click_and_wait("form button.govuk-button").await;
    assert!(browser.path().await.contains("done=scored"));
}

/// The officer approves £5,000 with two budget lines. Answers the award's id.
async fn officer_approves(browser: &Browser, fund: &str, application: &str) -> String {
    browser.goto(&format!("/manage/funds/{fund}")).await;
    browser
        .click_and_wait(&format!("a[href='/manage/applications/{application}']"))
        .await;
    browser.click_and_wait("a[href$='/approve']").await;
    browser.fill("#amount", "£5,000").await;
    browser.fill("#category-1", "Food").await;
    browser.fill("#line-amount-1", "3,000").await;
    browser.fill("#category-2", "Equipment").await;
    browser.fill("#line-amount-2", "2000").await;
    browser.click_and_wait("form button.govuk-button").await;
    confirm(browser).await;
    let path = browser.path().await;
    assert!(path.ends_with("?done=approved"), "{path}");
    segment_after(&path, "/manage/awards/")
}

/// Opens the award's action `slug` from the group's award page.
async fn open_action(browser: &Browser, award_path: &str, slug: &str) {
    browser.goto(award_path).await;
    browser
        .click_and_wait(&format!("a[href='{award_path}/{slug}']"))
        .await;
}

/// Continue, then send on check your answers; lands on the award page with a banner.
async fn check_and_send(browser: &Browser) {
    continue_on(browser).await;
    assert_eq!(browser.text("h1").await, "Check your answers");
    continue_on(browser).await;
    assert!(browser.text(".govuk-notification-banner").await.len() > 10);
}

async fn group_accepts_and_draws(browser: &Browser, store: Store, group: &str, award: &str) {
    let award_path = format!("{group}/awards/{award}");
    browser.goto(group).await;
    browser
        .click_and_wait(&format!("a[href='{award_path}']"))
        .await;
    open_action(browser, &award_path, "accept").await;
    assert!(browser.text("main").await.contains("Equipment"));
    continue_on(browser).await;
    assert!(browser
        .text(".govuk-notification-banner")
        .await
        .contains("accepted"));
    open_action(browser, &award_path, "drawdown").await;
    browser.fill("#amount", "£2,000").await;
    browser.fill("#purpose", "Food and a fridge").await;
    check_and_send(browser).await;
    browser.screenshot(&shot(store, "award-drawn")).await;
}

/// The officer finds the drawdown in the dashboard's queue, approves and pays it.
async fn officer_pays(browser: &Browser, store: Store, fund: &str) {
    browser.goto(&format!("/manage/funds/{fund}")).await;
    browser.screenshot(&shot(store, "dashboard")).await;
    browser.click_and_wait("a[href*='/drawdowns/']").await;
    browser.click_and_wait("a[href$='/approve']").await;
    browser.click_and_wait("#approve").await;
    browser.click_and_wait("a[href$='/pay']").await;
    browser.fill("#reference", "BACS-0001").await;
    browser.click_and_wait("form button.govuk-button").await;
    confirm(browser).await;
    assert!(browser
        .text("#main-content")
        .await
        .contains("Payment recorded"));
    browser.goto(&format!("/manage/funds/{fund}")).await;
    let dashboard = browser.text("#main-content").await;
    let queue = dashboard
        .find("Reports due")
        .unwrap_or_else(|| panic!("a reports due queue: {dashboard}"));
    let due = &dashboard[queue..];
    assert!(
        due.contains(TITLE) && due.contains("Spend report") && due.contains("Outcome report"),
        "{due}"
    );
    browser.axe_scan("the dashboard with reports due").await;
    browser.screenshot(&shot(store, "reports-due")).await;
}

async fn group_reports(browser: &Browser, store: Store, group: &str, award: &str) {
    let award_path = format!("{group}/awards/{award}");
    browser.goto(group).await;
    let home = browser.text("main").await;
    assert!(home.contains("Spend report due by"), "{home}");
    browser.goto(&award_path).await;
    let page = browser.text("main").await;
    assert!(page.contains("Spend report due by"), "{page}");
    open_action(browser, &award_path, "spend").await;
    fill_today(browser, "start-day", "start").await;
    fill_today(browser, "end-day", "end").await;
    fill_labelled(browser, "Food", "£1,200").await;
    fill_labelled(browser, "Equipment", "£500").await;
    check_and_send(browser).await;
    open_action(browser, &award_path, "outcome").await;
    browser.click("label[for=indicator]").await;
    browser.fill("#quantity", "40").await;
    fill_today(browser, "on-day", "on").await;
    check_and_send(browser).await;
    browser.screenshot(&shot(store, "award-reported")).await;
}

async fn officer_closes(browser: &Browser, store: Store, fund: &str, award: &str) {
    browser.goto(&format!("/manage/awards/{award}/close")).await;
    browser.click_and_wait("#close").await;
    let page = browser.text("#main-content").await;
    assert!(page.contains("Award closed"), "{page}");
    browser.screenshot(&shot(store, "award-closed")).await;
    browser.goto(&format!("/manage/funds/{fund}")).await;
    assert!(browser
        .text("#main-content")
        .await
        .contains("No spend or outcome report is due soon or late."));
}

async fn final_figures(app: &TestApp, award: &str) -> Value {
    let query = "query($id: String!) { award(id: $id) { status awarded paid returned \
        disbursed spendReported title recipientName \
        budgetLines { category planned spent } } }";
    let reply = app
        .gql_now(Some(&app.admin()), query, json!({ "id": award }))
        .await
        .ok();
    reply.data()["award"].clone()
}

/// Waits until `to` has `count` messages, then answers their subjects.
async fn subjects_to(smtp: &SmtpServer, to: &str, count: usize) -> Vec<String> {
    smtp.wait_for_nth_message(to, count).await;
    smtp.messages_to(to)
        .into_iter()
        .map(|mail| mail.subject)
        .collect()
}

async fn a_round_runs_from_invitation_to_final_report(store: Store) {
    let started = Instant::now();
    let (app, smtp) = first_start(store).await;
    let owner = owner_signs_in(&app).await;
    let fund = set_up_fund(&owner, store).await;
    let round = open_round(&owner, store, &fund).await;
    invite(&owner, &fund, PANEL_EMAIL, "Pat Panel", true).await;
    invite(&owner, &fund, GROUP_EMAIL, "Gita Group", false).await;
    owner.screenshot(&shot(store, "people")).await;

    let group_browser = accept_invitation(&app, &smtp, GROUP_EMAIL, "Gita Group").await;
    let (group, application) = apply(&group_browser, store).await;
    let panel = accept_invitation(&app, &smtp, PANEL_EMAIL, "Pat Panel").await;
    panel_scores(&panel, store, &application).await;
    panel.close().await;

    let award = officer_approves(&owner, &fund, &application).await;
    group_accepts_and_draws(&group_browser, store, &group, &award).await;
    officer_pays(&owner, store, &fund).await;
    group_reports(&group_browser, store, &group, &award).await;
    officer_closes(&owner, store, &fund, &award).await;
    group_browser.close().await;
    owner.close().await;

    let figures = final_figures(&app, &award).await;
    assert_eq!(figures["status"], "CLOSED", "{figures}");
    assert_eq!(figures["title"], TITLE);
    assert_eq!(figures["recipientName"], "Orchard Park Larder");
    assert_eq!(figures["paid"], "2000.00", "{figures}");
    assert_eq!(figures["awarded"], "2000.00", "closed: what it cost");
    assert_eq!(figures["returned"], "0.00");
    assert_eq!(figures["disbursed"], "2000.00");
    assert_eq!(figures["spendReported"], "1700.00");
    let mut lines = figures["budgetLines"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    lines.sort_by_key(|line| line["category"].to_string());
    assert_eq!(
        json!(lines),
        json!([
            { "category": "Equipment", "planned": "2000.00", "spent": "500.00" },
            { "category": "Food", "planned": "3000.00", "spent": "1200.00" },
        ]),
        "{figures}"
    );
    let fund_read = app
        .gql_now(
            Some(&app.admin()),
            "query($id: String!) { fund(id: $id) { rounds { id } position { capitalReceived } } }",
            json!({ "id": fund }),
        )
        .await
        .ok();
    assert_eq!(fund_read.data()["fund"]["rounds"][0]["id"], json!(round));

    // Each step's mail, once: the invitation, then the group's four notifications.
    let subjects = subjects_to(&smtp, GROUP_EMAIL, 5).await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let again: Vec<String> = smtp
        .messages_to(GROUP_EMAIL)
        .into_iter()
        .map(|mail| mail.subject)
        .collect();
    assert_eq!(subjects, again, "no mail twice");
    let expected = [
        "You're invited".to_string(),
        format!("Application received: {TITLE}"),
        format!("Application approved: {TITLE}"),
        "Drawdown approved: ".to_string(),
        "Payment made: ".to_string(),
    ];
    for wanted in &expected {
        let count = again
            .iter()
            .filter(|subject| subject.starts_with(wanted.as_str()))
            .count();
        assert_eq!(count, 1, "{wanted:?} once in {again:?}");
    }
    assert_eq!(again.len(), expected.len(), "{again:?}");
    assert_eq!(
        smtp.messages_to(PANEL_EMAIL).len(),
        1,
        "the panel's invitation only"
    );
    eprintln!(
        "work_round {store:?}: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

on_both_stores!(a_round_runs_from_invitation_to_final_report);
