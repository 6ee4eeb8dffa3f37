//! Email notifications (issue 14) over a real SMTP server (`aiosmtpd`): the steps a group
//! waits for mail its members exactly once (not other organisations' members, not erased
//! people, never a sealed reason), across a crash (kill -9) between steps and with two
//! server processes on one store; report-due mail once per due date. Both stores.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{
    accept, accept_and_pay, business_day, fund_and_round, s, score, submit, ORG, OTHER_ORG, PROGRAM,
};
use domain::OrgId;
use fundledger_tests::smtp::{ReceivedMail, SmtpServer};
use fundledger_tests::{mutate, spawn_app_with_env, Store, TestApp};
use infrastructure::accounts::{PersonId, ScopedRole};
use infrastructure::notifications::outbox;
use serde_json::json;

const ANA: &str = "ana@example.org";
const BEN: &str = "ben@example.org";
const OLU: &str = "olu@example.org";
const GONE: &str = "gone@example.org";
/// How long the outbox may take to send everything the test's steps wrote.
const SETTLE_MS: u64 = 30_000;

/// The notifier's settings for the tests: quick passes, report-due mail for any due date
/// within 100 days (so a report due 90 days after today's acceptance is mailed at once),
/// and awards checked every second.
fn mail_env(smtp: &SmtpServer) -> Vec<(&'static str, String)> {
    vec![
        ("FUNDLEDGER_SMTP_URL", smtp.url()),
        ("FUNDLEDGER_NOTIFY_POLL_MS", "100".into()),
        ("FUNDLEDGER_REPORT_REMINDER_DAYS", "100".into()),
        ("FUNDLEDGER_REPORT_SCAN_SECONDS", "1".into()),
    ]
}

async fn spawn_with_mail(store: Store) -> (TestApp, SmtpServer, Vec<(&'static str, String)>) {
    let smtp = SmtpServer::start().await;
    let env = mail_env(&smtp);
    let app = spawn_app_with_env(PROGRAM, store, &env).await;
    (app, smtp, env)
}

/// Two members of `ORG`, one of `OTHER_ORG`, and a member of `ORG` erased before anything
/// happens (an erased person holds no role and has no address).
async fn members(app: &TestApp) {
    let member = |org: &str| [ScopedRole::member(&OrgId::new(org))];
    app.person_with_roles(ANA, &member(ORG)).await;
    app.person_with_roles(BEN, &member(ORG)).await;
    app.person_with_roles(OLU, &member(OTHER_ORG)).await;
    let gone: PersonId = app.person_with_roles(GONE, &member(ORG)).await;
    infrastructure::personal::erase::erase_person(&app.database.database, &gone, "test")
        .await
        .expect("erasing a member");
}

/// Waits until the outbox holds exactly `sent` sent messages and nothing pending (every
/// message written so far has reached the SMTP server, which stores a message before it
/// answers), then returns the states' counts.
async fn settled(app: &TestApp, sent: i64) -> BTreeMap<String, i64> {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(SETTLE_MS);
    loop {
        let counts: BTreeMap<String, i64> = outbox::counts(&app.database.database)
            .await
            .expect("reading the outbox")
            .into_iter()
            .collect();
        if counts.get("sent") == Some(&sent) && !counts.contains_key("pending") {
            return counts;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the outbox did not settle at {sent} sent within {SETTLE_MS} ms: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn subjects(mails: &[ReceivedMail]) -> Vec<String> {
    let mut subjects: Vec<String> = mails.iter().map(|mail| mail.subject.clone()).collect();
    subjects.sort();
    subjects
}

/// Each of `ANA` and `BEN` got exactly `expected` (subjects, sorted), each message once;
/// nobody else got anything.
fn assert_each_member_got(smtp: &SmtpServer, expected: &[String]) {
    for member in [ANA, BEN] {
        let mails = smtp.messages_to(member);
        assert_eq!(subjects(&mails), expected, "{member}'s mail");
        let mut ids: Vec<&str> = mails.iter().map(|mail| mail.message_id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(
            ids.len(),
            mails.len(),
            "one Message-ID per message: {ids:?}"
        );
    }
    for outsider in [OLU, GONE] {
        assert!(smtp.messages_to(outsider).is_empty(), "{outsider} got mail");
    }
    let everyone = smtp.messages().len();
    assert_eq!(everyone, 2 * expected.len(), "no other mail was sent");
}

fn long_date(date: chrono::NaiveDate) -> String {
    infrastructure::notifications::long_date(date)
}

fn in_90_days() -> chrono::NaiveDate {
    infrastructure::business_today() + chrono::Days::new(90)
}

/// Scored by the panel (the round needs one score) and approved for `amount`.
async fn approve(app: &TestApp, application: &str, amount: &str) -> String {
    score(app, "panel-pat", application, 4, "strong plan").await;
    common::approve(app, application, amount).await
}

async fn decline(app: &TestApp, application: &str, reason: &str) {
    mutate(
        app,
        &app.admin(),
        "declineApplication",
        json!({ "applicationId": application, "reason": reason }),
        "",
    )
    .await;
}

/// `ORG` accepts the Hull Community Larder's `award` and draws down £2,500.00 for fridges,
/// approved and paid today: the subjects of the mail those steps send each member.
async fn pay_the_larder(app: &TestApp, award: &str) -> Vec<String> {
    accept_and_pay(
        app,
        ORG,
        award,
        "2500.00",
        "Fridges",
        "BACS-1",
        &business_day(),
    )
    .await;
    let due = long_date(in_90_days());
    vec![
        "Drawdown approved: £2,500.00 for Hull Community Larder".to_string(),
        "Payment made: £2,500.00 for Hull Community Larder".to_string(),
        // Outcome report (90 days after acceptance) and spend report (90 days after the
        // payment): both today + 90 days, within the test's 100 reminder days.
        format!("Report due on {due}: Hull Community Larder"),
        format!("Report due on {due}: Hull Community Larder"),
    ]
}

const DUE: &str =
    "query($id: String!) { award(id: $id) { spendReportDueOn outcomeReportDueOn reportsLate } }";

async fn the_groups_steps_mail_its_members_once_each(store: Store) {
    let (app, smtp, _env) = spawn_with_mail(store).await;
    members(&app).await;
    let (_fund, round) = fund_and_round(&app).await;
    let larder = submit(&app, ORG, &round, "Hull Community Larder", "12000.00").await;
    let received = smtp.wait_for_message(ANA).await;
    assert_eq!(
        received.subject,
        "Application received: Hull Community Larder"
    );
    let link = format!("{}/groups/{ORG}/applications/{larder}", app.base);
    assert!(received.body.contains(&link), "{}", received.body);
    assert!(received.body.contains("£12,000.00"), "{}", received.body);
    assert!(received
        .body
        .contains(&long_date(infrastructure::business_today())));

    let garden = submit(&app, ORG, &round, "Garden Club", "500.00").await;
    decline(
        &app,
        &garden,
        "The treasurer's illness makes this too risky",
    )
    .await;
    let award = approve(&app, &larder, "10000.50").await;
    let paid = pay_the_larder(&app, &award).await;
    let mut expected = vec![
        "Application received: Hull Community Larder".to_string(),
        "Application received: Garden Club".to_string(),
        "Application not approved: Garden Club".to_string(),
        "Application approved: Hull Community Larder".to_string(),
    ];
    expected.extend(paid);
    expected.sort();
    settled(&app, 2 * expected.len() as i64).await;
    assert_each_member_got(&smtp, &expected);
    let (status, metrics) = app.get("/metrics").await;
    assert_eq!(status, 200);
    let sent = format!("fundledger_notifications_sent_total {}", 2 * expected.len());
    assert!(metrics.contains(&sent), "{sent} in {metrics}");

    let mails = smtp.messages_to(BEN);
    let declined = mails
        .iter()
        .find(|mail| mail.subject.starts_with("Application not approved"))
        .expect("the decline");
    assert!(
        declined.body.contains("Sign in to read the reason"),
        "{}",
        declined.body
    );
    assert!(
        !declined.body.contains("treasurer"),
        "a sealed reason was mailed"
    );
    let approved = mails
        .iter()
        .find(|mail| mail.subject.starts_with("Application approved"))
        .expect("the approval");
    assert!(approved.body.contains("£10,000.50"), "{}", approved.body);
    assert!(approved
        .body
        .contains(&format!("{}/groups/{ORG}/awards/{award}", app.base)));

    // The schedule the report-due mail used, on GraphQL for the parties only.
    let reply = app
        .gql_now(Some(&app.admin()), DUE, json!({ "id": award }))
        .await
        .ok();
    let fields = &reply.data()["award"];
    assert_eq!(s(&fields["spendReportDueOn"]), in_90_days().to_string());
    assert_eq!(s(&fields["outcomeReportDueOn"]), in_90_days().to_string());
    assert_eq!(fields["reportsLate"], json!(false));
    app.gql_now(Some(&app.grantee(OTHER_ORG)), DUE, json!({ "id": award }))
        .await
        .expect_code("FORBIDDEN");
    let reply = app
        .gql_now(Some(&app.grantee(ORG)), DUE, json!({ "id": award }))
        .await
        .ok();
    assert_eq!(reply.data()["award"]["reportsLate"], json!(false));
}

async fn a_crash_between_steps_neither_loses_nor_repeats_mail(store: Store) {
    let smtp = SmtpServer::start().await;
    let env = mail_env(&smtp);
    // The first server's notifier waits a minute before its first pass: the step is
    // written, not yet mailed, when the server is killed; the restarted server mails it.
    let mut idle = env.clone();
    idle.push(("FUNDLEDGER_NOTIFY_POLL_MS", "60000".into()));
    let mut app = spawn_app_with_env(PROGRAM, store, &idle).await;
    members(&app).await;
    let (_fund, round) = fund_and_round(&app).await;
    let larder = submit(&app, ORG, &round, "Hull Community Larder", "12000.00").await;
    app.restart_with_env(PROGRAM, &env).await;
    settled(&app, 2).await;
    // Killed after the mail went: the restarted server does not send it again.
    let award = approve(&app, &larder, "10000.50").await;
    settled(&app, 4).await;
    app.restart_with_env(PROGRAM, &env).await;
    let paid = pay_the_larder(&app, &award).await;
    let mut expected = vec![
        "Application received: Hull Community Larder".to_string(),
        "Application approved: Hull Community Larder".to_string(),
    ];
    expected.extend(paid);
    expected.sort();
    settled(&app, 2 * expected.len() as i64).await;
    assert_each_member_got(&smtp, &expected);
}

async fn two_servers_on_one_store_send_each_message_once(store: Store) {
    let (mut app, smtp, env) = spawn_with_mail(store).await;
    let peer = app.spawn_peer_with_env(PROGRAM, &env).await;
    members(&app).await;
    let (_fund, round) = fund_and_round(&app).await;
    let titles = ["Larder", "Garden", "Choir", "Repair Cafe"];
    let mut applications = Vec::new();
    for title in titles {
        applications.push(submit(&app, ORG, &round, title, "1000.00").await);
    }
    let award = approve(&app, &applications[0], "900.00").await;
    accept(&app, ORG, &award).await;

    let due = long_date(in_90_days());
    let mut expected: Vec<String> = titles
        .iter()
        .map(|title| format!("Application received: {title}"))
        .collect();
    expected.push("Application approved: Larder".into());
    expected.push(format!("Report due on {due}: Larder"));
    expected.sort();
    settled(&app, 2 * expected.len() as i64).await;
    assert_each_member_got(&smtp, &expected);
    // The peer carries on alone with the same outbox.
    app.adopt(peer).await;
    submit(&app, ORG, &round, "Book Swap", "100.00").await;
    expected.push("Application received: Book Swap".into());
    expected.sort();
    settled(&app, 2 * expected.len() as i64).await;
    assert_each_member_got(&smtp, &expected);
}

/// (state, attempts, whether an error is recorded, seconds until the next try) per row.
async fn outbox_rows(app: &TestApp) -> Vec<(String, i64, bool, i64)> {
    const SQL: &str = "SELECT state, attempts, last_error, claimed_until FROM notification_outbox";
    let rows: Vec<(String, i64, Option<String>, i64)> = match &app.database.database {
        infrastructure::Database::Postgres(pool) => sqlx::query_as(SQL).fetch_all(pool).await,
        infrastructure::Database::Sqlite(pool) => sqlx::query_as(SQL).fetch_all(pool).await,
    }
    .expect("reading the outbox");
    let now = chrono::Utc::now().timestamp();
    rows.into_iter()
        .map(|(state, attempts, error, until)| (state, attempts, error.is_some(), until - now))
        .collect()
}

async fn an_unreachable_mail_server_is_tried_again_later(store: Store) {
    // Nothing listens on this port: every send fails.
    let port = fundledger_tests::smtp::free_port();
    let env = vec![
        ("FUNDLEDGER_SMTP_URL", format!("smtp://127.0.0.1:{port}")),
        ("FUNDLEDGER_NOTIFY_POLL_MS", "100".into()),
    ];
    let app = spawn_app_with_env(PROGRAM, store, &env).await;
    members(&app).await;
    let (_fund, round) = fund_and_round(&app).await;
    submit(&app, ORG, &round, "Hull Community Larder", "12000.00").await;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(SETTLE_MS);
    loop {
        let rows = outbox_rows(&app).await;
        // A claim counts the attempt before the send fails and the error is written: wait
        // for both.
        let tried = |(_, attempts, error, _): &(String, i64, bool, i64)| *attempts == 1 && *error;
        if rows.len() == 2 && rows.iter().all(tried) {
            for (state, _, _, wait) in &rows {
                // Kept pending with the error, the next try about 30 s away.
                assert_eq!(state, "pending");
                assert!((20..=31).contains(wait), "next try in {wait} s");
            }
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failed attempt: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

on_both_stores!(
    the_groups_steps_mail_its_members_once_each,
    a_crash_between_steps_neither_loses_nor_repeats_mail,
    two_servers_on_one_store_send_each_message_once,
    an_unreachable_mail_server_is_tried_again_later,
);
