//! Issue 14, the officer's decisions in the browser, on both stores: preconditions set up
//! through GraphQL with tokens (fund, capital, round, applications with scores), then an
//! officer signed in by session approves an application with budget lines through check
//! your answers, sees the award's story and history, approves a drawdown and records its
//! payment; an approval over the round's remaining budget is refused beside the amount;
//! an application is declined with a reason. Over plain HTTP (no JavaScript): an approval
//! of a drawdown over what the award has left is refused and changes nothing; the same
//! payment form posted twice records one payment, and a payment of a paid drawdown is
//! refused; an officer of another fund gets "not found" for every page and action.

mod common;

use common::*;
use fundledger_tests::browser::Browser;
use fundledger_tests::web_client::{WebClient, WebPage};
use fundledger_tests::{mutate, Store, TestApp};
use infrastructure::accounts::ScopedRole;
use serde_json::{json, Value};

/// Hull with the LSOA every application is in, so places read by name.
const GEOGRAPHY: &str = "code,name,level,parent_code,population,imd_decile
E06000010,Hull,lad,,258038,
E01033646,Kingston upon Hull 034A,lsoa,E06000010,1500,1
";

const APPLICATION: &str =
    "query($id: String!) { application(id: $id) { status awardId approvedAmount declineReason } }";
const AWARD: &str = "query($id: String!) { award(id: $id) { amount paid status \
    budgetLines { category planned } drawdowns { id status paymentRef } history { happened } } }";

async fn app_with_places(store: Store) -> TestApp {
    let app = spawn(store).await;
    let areas = infrastructure::geography::read_areas(GEOGRAPHY.as_bytes(), "test").unwrap();
    app.database.database.upsert_areas(&areas).await.unwrap();
    app
}

/// A person who is an officer of `fund`, and their session's secret.
async fn officer_of(app: &TestApp, email: &str, fund: &str) -> String {
    let person = app
        .person_with_roles(email, &[ScopedRole::officer(&domain::FundId::new(fund))])
        .await;
    app.session_of(&person).await.secret
}

/// A browser signed in as a new officer of `fund`, through a sign-in link (as by email).
async fn officer_browser(app: &TestApp, email: &str, fund: &str) -> Browser {
    settle(app).await;
    let db = &app.database.database;
    app.person_with_roles(email, &[ScopedRole::officer(&domain::FundId::new(fund))])
        .await;
    let (_, secret) = infrastructure::accounts::links::issue_sign_in_link(db, email, 600)
        .await
        .expect("a sign-in link")
        .expect("the officer exists");
    let browser = Browser::start(&app.base).await;
    browser.goto(&format!("/sign-in/link/{secret}")).await;
    browser.click_and_wait("button.govuk-button").await;
    assert_eq!(browser.path().await, "/work");
    browser
}

/// `query` once the read models show everything written so far.
async fn read(app: &TestApp, query: &str, id: &str) -> Value {
    app.gql_now(Some(&app.admin()), query, json!({ "id": id }))
        .await
        .ok()
        .data()
        .clone()
}

async fn scored_application(app: &TestApp, round: &str, title: &str, amount: &str) -> String {
    let application = submit(app, ORG, round, title, amount).await;
    score(
        app,
        "panel-pat",
        &application,
        4,
        "A strong plan.\nWell costed.",
    )
    .await;
    application
}

/// The award accepted by its group, with a drawdown of `amount` requested.
async fn drawdown_requested(app: &TestApp, award: &str, amount: &str) -> String {
    let grantee = app.grantee(ORG);
    let input = json!({ "awardId": award, "amount": amount, "purpose": "Freezers and shelving" });
    let payload = mutate(app, &grantee, "requestDrawdown", input, "drawdownId").await;
    settle(app).await;
    s(&payload["drawdownId"])
}

/// Waits until the read models show everything written so far (the pages read them).
async fn settle(app: &TestApp) {
    app.gql_now(Some(&app.admin()), "{ funds { id } }", json!({}))
        .await
        .ok();
}

async fn accept(app: &TestApp, award: &str) {
    let input = json!({ "awardId": award });
    mutate(app, &app.grantee(ORG), "acceptAgreement", input, "").await;
}

fn shot(store: Store, page: &str) -> String {
    format!("work-decisions-{page}-{store:?}").to_lowercase()
}

async fn approve_with_budget_lines(browser: &Browser, store: Store, application: &str) {
    browser
        .goto(&format!("/manage/applications/{application}"))
        .await;
    let page = browser.text("#main-content").await;
    assert!(
        page.contains("Kingston upon Hull 034A"),
        "the place by name: {page}"
    );
    assert!(
        page.contains("£12,000.00") && page.contains("4.0 out of 5"),
        "{page}"
    );
    assert!(
        page.contains("Well costed.") && page.contains("Met"),
        "{page}"
    );
    browser.axe_scan("the application page").await;
    browser.screenshot(&shot(store, "application")).await;
    browser.click_and_wait("a[href$='/approve']").await;
    browser.axe_scan("the approval form").await;
    browser.fill("#amount", "£10,000").await;
    browser.fill("#category-1", "Food").await;
    browser.fill("#line-amount-1", "6,000").await;
    browser.fill("#category-2", "Rent").await;
    browser.fill("#line-amount-2", "4000").await;
    browser.screenshot(&shot(store, "approve")).await;
    browser.click_and_wait("form button.govuk-button").await;
    let check = browser.text("#main-content").await;
    assert!(
        check.contains("£10,000.00") && check.contains("£6,000.00"),
        "{check}"
    );
    browser.axe_scan("the approval's check your answers").await;
    browser.screenshot(&shot(store, "approve-check")).await;
    browser.click_and_wait("button[value='confirm']").await;
    let path = browser.path().await;
    assert!(path.ends_with("?done=approved"), "{path}");
    let page = browser.text("#main-content").await;
    assert!(
        page.contains("Application approved") && page.contains("Rent"),
        "{page}"
    );
    browser.axe_scan("the award page").await;
    browser.screenshot(&shot(store, "award")).await;
}

async fn approve_and_pay_drawdown(browser: &Browser, store: Store, award: &str, drawdown: &str) {
    browser
        .goto(&format!("/manage/awards/{award}/drawdowns/{drawdown}"))
        .await;
    let page = browser.text("#main-content").await;
    assert!(
        page.contains("Freezers and shelving") && page.contains("£4,000.00"),
        "{page}"
    );
    browser.axe_scan("the drawdown page").await;
    browser.screenshot(&shot(store, "drawdown")).await;
    browser.click_and_wait("a[href$='/approve']").await;
    browser.axe_scan("the drawdown's approval").await;
    browser.click_and_wait("#approve").await;
    assert!(browser
        .text("#main-content")
        .await
        .contains("Drawdown approved"));
    browser.click_and_wait("a[href$='/pay']").await;
    browser.axe_scan("the payment form").await;
    browser.screenshot(&shot(store, "pay")).await;
    browser.fill("#reference", "BACS-0042").await;
    browser.click_and_wait("form button.govuk-button").await;
    let check = browser.text("#main-content").await;
    assert!(
        check.contains("BACS-0042") && check.contains("£4,000.00"),
        "{check}"
    );
    browser.axe_scan("the payment's check your answers").await;
    browser.click_and_wait("button[value='confirm']").await;
    let page = browser.text("#main-content").await;
    assert!(
        page.contains("Payment recorded") && page.contains("BACS-0042"),
        "{page}"
    );
    browser.axe_scan("the paid drawdown").await;
}

/// An officer approves with budget lines via check your answers, then approves and pays a
/// drawdown; the award's history tells it.
async fn an_officer_approves_and_pays(store: Store) {
    let app = app_with_places(store).await;
    let (fund, round) = fund_and_round(&app).await;
    let application = scored_application(&app, &round, "Hull Community Larder", "12000.00").await;
    let browser = officer_browser(&app, "olu@example.org", &fund).await;
    approve_with_budget_lines(&browser, store, &application).await;
    let answer = read(&app, APPLICATION, &application).await;
    assert_eq!(answer["application"]["approvedAmount"], "10000.00");
    let award = s(&answer["application"]["awardId"]);
    let answer = read(&app, AWARD, &award).await;
    assert_eq!(answer["award"]["amount"], "10000.00");
    assert_eq!(
        answer["award"]["budgetLines"],
        json!([{ "category": "Food", "planned": "6000.00" }, { "category": "Rent", "planned": "4000.00" }])
    );
    accept(&app, &award).await;
    let drawdown = drawdown_requested(&app, &award, "4000.00").await;
    approve_and_pay_drawdown(&browser, store, &award, &drawdown).await;
    let answer = read(&app, AWARD, &award).await;
    assert_eq!(answer["award"]["paid"], "4000.00");
    assert_eq!(answer["award"]["drawdowns"][0]["status"], "PAID");
    assert_eq!(answer["award"]["drawdowns"][0]["paymentRef"], "BACS-0042");
    browser.goto(&format!("/manage/awards/{award}")).await;
    let page = browser.text("#main-content").await;
    for said in [
        "Award made for £10,000.00",
        "The group accepted",
        "£4,000.00 paid",
        "Budget lines set",
    ] {
        assert!(page.contains(said), "the history says {said:?}: {page}");
    }
    browser.screenshot(&shot(store, "award-history")).await;
    browser.close().await;
}

/// An approval over the round's remaining budget is refused beside the amount, nothing
/// changed; another application is declined with a reason.
async fn refusals_and_a_decline(store: Store) {
    let app = app_with_places(store).await;
    let (fund, round) = fund_and_round(&app).await;
    let first = scored_application(&app, &round, "First larder", "30000.00").await;
    approve(&app, &first, "30000.00").await;
    let second = scored_application(&app, &round, "Second larder", "25000.00").await;
    let third = scored_application(&app, &round, "Third larder", "1000.00").await;
    let browser = officer_browser(&app, "olu@example.org", &fund).await;
    browser
        .goto(&format!("/manage/applications/{second}/approve"))
        .await;
    browser.click_and_wait("form button.govuk-button").await;
    browser.click_and_wait("button[value='confirm']").await;
    assert!(browser.title().await.starts_with("Error: "));
    let error = browser.text("#amount-error").await;
    assert!(
        error.contains("£20,000.00") || error.contains("budget"),
        "{error}"
    );
    browser.axe_scan("the refused approval").await;
    browser.screenshot(&shot(store, "approve-refused")).await;
    let answer = read(&app, APPLICATION, &second).await;
    assert_eq!(answer["application"]["status"], "SUBMITTED");

    browser
        .goto(&format!("/manage/applications/{third}/decline"))
        .await;
    browser.axe_scan("the decline form").await;
    browser.click_and_wait("form button.govuk-button").await;
    assert!(browser.text("#reason-error").await.contains("Enter why"));
    browser.axe_scan("the decline form with an error").await;
    browser
        .fill("#reason", "Outside this round's themes.")
        .await;
    browser.click_and_wait("form button.govuk-button").await;
    browser.axe_scan("the decline's check your answers").await;
    browser.screenshot(&shot(store, "decline-check")).await;
    browser.click_and_wait("button[value='confirm']").await;
    let page = browser.text("#main-content").await;
    assert!(
        page.contains("Application declined") && page.contains("Outside this round"),
        "{page}"
    );
    browser.axe_scan("the declined application").await;
    let answer = read(&app, APPLICATION, &third).await;
    assert_eq!(answer["application"]["status"], "DECLINED");
    assert_eq!(
        answer["application"]["declineReason"],
        "Outside this round's themes."
    );
    browser.close().await;
}

/// A signed-in plain HTTP client (no JavaScript), with the session's CSRF token.
async fn web_officer(app: &TestApp, email: &str, fund: &str) -> WebClient {
    settle(app).await;
    let client = WebClient::new(&app.base);
    let secret = officer_of(app, email, fund).await;
    client.put_cookie(api::web::session::SESSION_COOKIE, Some(&secret));
    client
}

/// The form's hidden fields (CSRF token and form key) from the page at `path`.
async fn form_of(client: &WebClient, path: &str) -> (String, String) {
    let page: WebPage = client.get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    (
        page.field("csrf_token").expect("a CSRF field"),
        page.field("form_key").expect("a form key"),
    )
}

/// A drawdown over what the award has left is refused; the same payment form posted twice
/// records one payment; paying a paid drawdown is refused.
async fn payments_apply_once_and_over_award_is_refused(store: Store) {
    let app = spawn(store).await;
    let world = world(&app).await;
    let (award, fund) = (world.award.clone(), world.fund.clone());
    let first = drawdown_requested(&app, &award, "6000.00").await;
    let second = drawdown_requested(&app, &award, "6000.00").await;
    let client = web_officer(&app, "olu@example.org", &fund).await;
    let approve = |drawdown: &str| format!("/manage/awards/{award}/drawdowns/{drawdown}/approve");
    let (csrf, key) = form_of(&client, &approve(&first)).await;
    let page = client
        .post_form(
            &approve(&first),
            &[("csrf_token", &csrf), ("form_key", &key)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let head = app.head().await;
    let (csrf, key) = form_of(&client, &approve(&second)).await;
    let page = client
        .post_form(
            &approve(&second),
            &[("csrf_token", &csrf), ("form_key", &key)],
        )
        .await;
    assert_form_redisplayed(page.status, &page.body);
    assert!(
        page.body.contains("exceeds") && page.body.contains("available to draw"),
        "{}",
        page.body
    );
    assert_eq!(app.head().await, head, "the refused approval wrote nothing");

    let pay = format!("/manage/awards/{award}/drawdowns/{first}/pay");
    let (csrf, key) = form_of(&client, &pay).await;
    let today: chrono::NaiveDate = business_day().parse().unwrap();
    let (day, month, year) = {
        use chrono::Datelike;
        (
            today.day().to_string(),
            today.month().to_string(),
            today.year().to_string(),
        )
    };
    let fields = |key: &str| -> Vec<(&'static str, String)> {
        vec![
            ("csrf_token", csrf.clone()),
            ("form_key", key.to_string()),
            ("step", "confirm".into()),
            ("paid-on-day", day.clone()),
            ("paid-on-month", month.clone()),
            ("paid-on-year", year.clone()),
            ("reference", "BACS-7".into()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let client = &client;
        let pay = pay.clone();
        async move {
            let borrowed: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            client.post_form(&pay, &borrowed).await
        }
    };
    let once = post(fields(&key)).await;
    assert_eq!(once.status, 303, "{}", once.body);
    let head = app.head().await;
    let twice = post(fields(&key)).await;
    assert_eq!(
        twice.status, 303,
        "the same form again answers as the first: {}",
        twice.body
    );
    assert_eq!(
        app.head().await,
        head,
        "the same form posted twice wrote once"
    );
    let answer = read(&app, AWARD, &award).await;
    assert_eq!(answer["award"]["paid"], "6000.00");
    let payments = answer["award"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["happened"] == "PAYMENT_RECORDED")
        .count();
    assert_eq!(payments, 1);

    assert_eq!(
        client.get(&pay).await.status,
        303,
        "a paid drawdown's form leads back to it"
    );
    let again = post(fields("a-new-form-key")).await;
    assert_form_redisplayed(again.status, &again.body);
    assert!(again.body.contains("paid"), "{}", again.body);
    assert_eq!(
        app.head().await,
        head,
        "paying a paid drawdown wrote nothing"
    );
}

/// An officer of another fund sees "not found" for the application, the award, the
/// drawdown and their forms, and cannot act on them.
async fn an_officer_of_another_fund_gets_not_found(store: Store) {
    let app = spawn(store).await;
    let world = world(&app).await;
    let drawdown = drawdown_requested(&app, &world.award, "100.00").await;
    let other = establish_fund(&app).await;
    let client = web_officer(&app, "other@example.org", &other).await;
    let pending = submit(&app, ORG, &world.round, "Pending", "500.00").await;
    let award = &world.award;
    for path in [
        format!("/manage/applications/{}", world.application),
        format!("/manage/applications/{pending}"),
        format!("/manage/applications/{pending}/approve"),
        format!("/manage/awards/{award}"),
        format!("/manage/awards/{award}/vary"),
        format!("/manage/awards/{award}/drawdowns/{drawdown}"),
        format!("/manage/awards/{award}/drawdowns/{drawdown}/pay"),
    ] {
        let page = client.get(&path).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(page.body.contains("Page not found"), "{path}");
    }
    let account = client.get("/account").await;
    let csrf = account
        .field("csrf_token")
        .expect("the account page's CSRF field");
    let key = "a-form-key-of-their-own".to_string();
    let head = app.head().await;
    let path = format!("/manage/applications/{pending}/approve");
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("form_key", key.as_str()),
        ("step", "confirm"),
        ("amount", "500"),
    ];
    let page = client.post_form(&path, &fields).await;
    assert_eq!(page.status, 404, "{}", page.body);
    assert_eq!(app.head().await, head, "nothing was written");
    let answer = read(&app, APPLICATION, &pending).await;
    assert_eq!(answer["application"]["status"], "SUBMITTED");
}

/// Drawdown `amount` requested, approved and paid through the API.
async fn paid_drawdown(app: &TestApp, award: &str, amount: &str) {
    let drawdown = drawdown_requested(app, award, amount).await;
    let ids = json!({ "awardId": award, "drawdownId": drawdown });
    mutate(app, &app.admin(), "approveDrawdown", ids.clone(), "").await;
    let mut payment = ids;
    payment["paymentRef"] = json!("BACS-1");
    payment["paidOn"] = json!(business_day());
    mutate(app, &app.admin(), "recordPayment", payment, "").await;
    settle(app).await;
}

/// Fills a form's fields and continues to its check-your-answers page, then confirms.
async fn through_check(browser: &Browser, fields: &[(&str, &str)], page: &str) {
    for (css, text) in fields {
        browser.fill(css, text).await;
    }
    browser.click_and_wait("form button.govuk-button").await;
    browser
        .axe_scan(&format!("{page}'s check your answers"))
        .await;
    browser.click_and_wait("button[value='confirm']").await;
}

/// An officer sets an offered award's budget lines, varies an award, rejects a
/// drawdown, records a return and closes the award; its history tells it.
async fn an_officer_varies_returns_and_closes(store: Store) {
    let app = app_with_places(store).await;
    let world = world(&app).await;
    let award = world.award.clone();
    let offered = scored_application(&app, &world.round, "Second larder", "2000.00").await;
    let offered = approve(&app, &offered, "2000.00").await;
    paid_drawdown(&app, &award, "1000.00").await;
    let rejected = drawdown_requested(&app, &award, "500.00").await;
    let browser = officer_browser(&app, "olu@example.org", &world.fund).await;

    browser
        .goto(&format!("/manage/awards/{offered}/budget-lines"))
        .await;
    browser.axe_scan("the budget lines form").await;
    browser.screenshot(&shot(store, "budget-lines")).await;
    let lines = [
        ("#category-1", "Food"),
        ("#line-amount-1", "1500"),
        ("#category-2", "Rent"),
        ("#line-amount-2", "500"),
    ];
    through_check(&browser, &lines, "the budget lines").await;
    assert!(browser
        .text("#main-content")
        .await
        .contains("Budget lines set"));

    browser.goto(&format!("/manage/awards/{award}/vary")).await;
    browser.axe_scan("the variation form").await;
    browser.screenshot(&shot(store, "vary")).await;
    through_check(
        &browser,
        &[("#amount", "8,000"), ("#reason", "A smaller project.")],
        "the variation",
    )
    .await;
    assert!(browser.text("#main-content").await.contains("Award varied"));

    browser
        .goto(&format!(
            "/manage/awards/{award}/drawdowns/{rejected}/reject"
        ))
        .await;
    browser.axe_scan("the rejection form").await;
    browser.fill("#reason", "Not in the agreed budget.").await;
    browser.click_and_wait("form button.govuk-button").await;
    assert!(browser
        .text("#main-content")
        .await
        .contains("Drawdown rejected"));

    browser
        .goto(&format!("/manage/awards/{award}/return"))
        .await;
    browser.axe_scan("the return form").await;
    through_check(
        &browser,
        &[("#amount", "200"), ("#reason", "Unspent.")],
        "the return",
    )
    .await;
    assert!(browser
        .text("#main-content")
        .await
        .contains("Return recorded"));

    browser.goto(&format!("/manage/awards/{award}/close")).await;
    browser.axe_scan("the close page").await;
    browser.screenshot(&shot(store, "close")).await;
    browser.click_and_wait("#close").await;
    let page = browser.text("#main-content").await;
    for said in [
        "Award closed",
        "Award varied from £10,000.50 to £8,000.00",
        "£200.00 returned",
        "Drawdown of £500.00 rejected",
        "Not in the agreed budget.",
    ] {
        assert!(page.contains(said), "the award page says {said:?}: {page}");
    }
    browser.axe_scan("the closed award").await;
    let answer = read(&app, AWARD, &award).await;
    assert_eq!(answer["award"]["status"], "CLOSED");
    let answer = read(&app, AWARD, &offered).await;
    assert_eq!(
        answer["award"]["budgetLines"][0],
        json!({ "category": "Food", "planned": "1500.00" })
    );
    browser.close().await;
}

/// Approving before the panel's quorum (or above the amount asked) is refused beside the
/// amount, over plain HTTP, and nothing is written.
async fn approvals_the_ledger_refuses_are_shown_beside_the_amount(store: Store) {
    let app = spawn(store).await;
    let (fund, round) = fund_and_round(&app).await;
    let unscored = submit(&app, ORG, &round, "Unscored", "1000.00").await;
    let scored = scored_application(&app, &round, "Scored", "1000.00").await;
    let client = web_officer(&app, "olu@example.org", &fund).await;
    for (application, amount, says) in [
        (&unscored, "1000", "panel scores"),
        (&scored, "1,500", "exceeds"),
    ] {
        let path = format!("/manage/applications/{application}/approve");
        let (csrf, key) = form_of(&client, &path).await;
        let head = app.head().await;
        let fields = [
            ("csrf_token", csrf.as_str()),
            ("form_key", key.as_str()),
            ("step", "confirm"),
            ("amount", amount),
        ];
        let page = client.post_form(&path, &fields).await;
        assert_form_redisplayed(page.status, &page.body);
        assert!(
            page.body.contains("id=\"amount-error\"") && page.body.contains(says),
            "{says}: {}",
            page.body
        );
        assert!(page.body.contains("<title>Error: "), "{}", page.body);
        assert_eq!(app.head().await, head, "a refused approval wrote nothing");
    }
}

on_both_stores!(
    an_officer_approves_and_pays,
    refusals_and_a_decline,
    payments_apply_once_and_over_award_is_refused,
    an_officer_of_another_fund_gets_not_found,
    an_officer_varies_returns_and_closes,
    approvals_the_ledger_refuses_are_shown_beside_the_amount,
);
