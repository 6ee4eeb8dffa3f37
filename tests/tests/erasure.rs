//! Personal data and erasure end to end, through the real server and CLI, on both stores:
//! personal texts are sealed in the log (the raw `events` table holds none of them in
//! clear), read back unsealed, and after `fundledger erase-person` the erased person's
//! texts read `[erased]` and their name `[erased person]` while everyone else's texts, the
//! hash chain and the money stay as they were, and `fundledger verify` passes.

mod common;

use api::server::auth::{Role, TokenScope};
use common::{establish_fund, fund_and_round, s, AREA, ORG, OTHER_ORG, PROGRAM};
use domain::RoundId;
use fundledger_tests::{mutate, Store, TestApp};
use infrastructure::accounts::{api_tokens, grants, people, PersonId, ScopedRole};
use infrastructure::Database;
use serde_json::{json, Value};

const DESCRIPTION: &str = "Our treasurer Jane Doe will run the larder from her home";
const OTHER_DESCRIPTION: &str = "The Smith family next door will host the group";
const PAT_COMMENT: &str = "I know the chair: he was unwell last year";
const OTHER_COMMENT: &str = "Clear plan, modest costs";
const DECLINE_REASON: &str = "The applicant's contact, Mr Brown, did not reply";
const PURPOSE: &str = "Wages for our cook, Ann Green";
const PAT_EMAIL: &str = "pat.panel@example.org";

/// A person (made through the accounts module against the server's store) with `role`,
/// and an API token for them.
async fn person_with_token(
    app: &TestApp,
    email: &str,
    name: &str,
    role: ScopedRole,
) -> (PersonId, String) {
    let db = &app.database.database;
    let person = people::find_or_create_person(db, email, Some(name))
        .await
        .unwrap();
    grants::grant_role(db, &person.id, &role, "person:P-test-officer")
        .await
        .unwrap();
    let token = api_tokens::create_api_token(db, &person.id, "erasure test", &[], 3600)
        .await
        .unwrap();
    (person.id, token.secret)
}

/// `fundledger` with `args` over the app's store: (exit success, stdout, stderr).
async fn cli(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let output = tokio::process::Command::new(PROGRAM)
        .args(args)
        .args(["--database-url", &app.database.url])
        .output()
        .await
        .expect("running fundledger");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).trim().to_string();
    (
        output.status.success(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

/// The head hash `fundledger verify` reports; fails unless verify passes.
async fn verified_head(app: &TestApp) -> String {
    let (passed, out, err) = cli(app, &["verify"]).await;
    assert!(passed, "verify failed: {out} {err}");
    out.rsplit("head ")
        .next()
        .expect("verify names the head")
        .to_string()
}

async fn submit(app: &TestApp, org: &str, round: &str, description: &str) -> String {
    let payload = mutate(
        app,
        &app.grantee(org),
        "submitApplication",
        json!({
            "roundId": round, "title": "Community larder", "description": description,
            "amountRequested": "6000.00", "neighbourhood": AREA, "themes": ["food"],
            "applicantName": format!("Org {org}")
        }),
        "application { id }",
    )
    .await;
    s(&payload["application"]["id"])
}

async fn score(app: &TestApp, token: &str, application: &str, comment: &str) {
    let input = json!({ "applicationId": application, "score": 4, "comment": comment });
    mutate(app, token, "scoreApplication", input, "").await;
}

/// Applications of the round with their personal texts, by id, as the admin sees them.
async fn applications(app: &TestApp, round: &str) -> Value {
    let query = "query($id: String!) { round(id: $id) { applications { id description \
                 declineReason scores { member memberName comment } } } }";
    let reply = app
        .gql_now(Some(&app.admin()), query, json!({ "id": round }))
        .await
        .ok();
    reply.data()["round"]["applications"].clone()
}

fn find<'a>(applications: &'a Value, id: &str) -> &'a Value {
    applications
        .as_array()
        .unwrap()
        .iter()
        .find(|application| application["id"] == id)
        .expect("the application is listed")
}

/// The comment and name shown beside `member`'s score.
fn score_of(application: &Value, member: &str) -> (String, String) {
    let scores = application["scores"].as_array().unwrap();
    let found = scores
        .iter()
        .find(|score| score["member"] == member)
        .unwrap_or_else(|| panic!("no score by {member} in {application}"));
    (s(&found["comment"]), s(&found["memberName"]))
}

async fn drawdown_texts(app: &TestApp, award: &str) -> Value {
    let query = "query($id: String!) { award(id: $id) { drawdowns { purpose reason } } }";
    let reply = app
        .gql_now(Some(&app.admin()), query, json!({ "id": award }))
        .await
        .ok();
    reply.data()["award"]["drawdowns"].clone()
}

async fn fund_money(app: &TestApp, fund: &str) -> Value {
    let query = "query($id: String!) { fund(id: $id) { position { capitalReceived allocated \
                 awarded disbursed } } }";
    let reply = app
        .gql_now(Some(&app.admin()), query, json!({ "id": fund }))
        .await
        .ok();
    reply.data()["fund"]["position"].clone()
}

/// Every event's payload as the store holds it, as text.
async fn raw_payloads(db: &Database) -> String {
    let rows: Vec<String> = match db {
        Database::Postgres(pool) => sqlx::query_scalar("SELECT payload::text FROM events")
            .fetch_all(pool)
            .await
            .unwrap(),
        Database::Sqlite(pool) => sqlx::query_scalar("SELECT payload FROM events")
            .fetch_all(pool)
            .await
            .unwrap(),
    };
    rows.join("\n")
}

/// A world with every kind of sealed text: two applications (one approved with a
/// drawdown, one declined), scored by a person (Pat, via an API token) and by a JWT panel
/// member. Returns (fund, round, approved application, declined application, award,
/// Pat's member id).
async fn world(app: &TestApp) -> (String, String, String, String, String, String) {
    let (fund, round) = fund_and_round(app).await;
    let panel = ScopedRole::panel(&RoundId::new(round.as_str()));
    let (pat, pat_token) = person_with_token(app, PAT_EMAIL, "Pat Panel", panel).await;
    let approved = submit(app, ORG, &round, DESCRIPTION).await;
    let declined = submit(app, OTHER_ORG, &round, OTHER_DESCRIPTION).await;
    for application in [&approved, &declined] {
        score(app, &pat_token, application, PAT_COMMENT).await;
        score(app, &app.panel("other-member"), application, OTHER_COMMENT).await;
    }
    let input = json!({ "applicationId": declined, "reason": DECLINE_REASON });
    mutate(app, &app.admin(), "declineApplication", input, "").await;
    let input = json!({ "applicationId": approved, "amount": "5000.00" });
    let payload = mutate(
        app,
        &app.admin(),
        "approveApplication",
        input,
        "award { id }",
    )
    .await;
    let award = s(&payload["award"]["id"]);
    let grantee = app.grantee(ORG);
    mutate(
        app,
        &grantee,
        "acceptAgreement",
        json!({ "awardId": award }),
        "",
    )
    .await;
    let input = json!({ "awardId": award, "amount": "1000.00", "purpose": PURPOSE });
    mutate(app, &grantee, "requestDrawdown", input, "").await;
    // Scores record a person by their id, an operator's panel token by its subject.
    (fund, round, approved, declined, award, pat.to_string())
}

async fn erasure_keeps_money_and_chain_and_shreds_only_the_person(store: Store) {
    let app = common::spawn(store).await;
    let (fund, round, approved, declined, award, pat) = world(&app).await;

    // Read back in full, and never in clear in the log.
    let listed = applications(&app, &round).await;
    assert_eq!(s(&find(&listed, &approved)["description"]), DESCRIPTION);
    assert_eq!(
        s(&find(&listed, &declined)["declineReason"]),
        DECLINE_REASON
    );
    assert_eq!(
        score_of(find(&listed, &approved), &pat),
        (PAT_COMMENT.into(), "Pat Panel".into())
    );
    assert_eq!(
        s(&drawdown_texts(&app, &award).await[0]["purpose"]),
        PURPOSE
    );
    let log = raw_payloads(&app.database.database).await;
    for text in [
        DESCRIPTION,
        OTHER_DESCRIPTION,
        PAT_COMMENT,
        OTHER_COMMENT,
        DECLINE_REASON,
        PURPOSE,
    ] {
        assert!(!log.contains(text), "the log holds {text:?} in clear");
    }
    assert!(log.contains("sealed:v1:"));

    let head_before = verified_head(&app).await;
    let money_before = fund_money(&app, &fund).await;
    assert_eq!(money_before["awarded"], "5000.00");

    let (ok, out, err) = cli(&app, &["erase-person", "--email", PAT_EMAIL]).await;
    assert!(ok, "erase-person failed: {err}");
    assert_eq!(out.lines().count(), 1, "one line: {out}");
    assert!(out.starts_with(&format!("erased person:{pat}")), "{out}");

    let listed = applications(&app, &round).await;
    for application in [&approved, &declined] {
        let shown = find(&listed, application);
        assert_eq!(
            score_of(shown, &pat),
            ("[erased]".into(), "[erased person]".into())
        );
        assert_eq!(score_of(shown, "other-member").0, OTHER_COMMENT);
    }
    assert_eq!(s(&find(&listed, &approved)["description"]), DESCRIPTION);
    assert_eq!(
        s(&find(&listed, &declined)["description"]),
        OTHER_DESCRIPTION
    );
    assert_eq!(
        s(&find(&listed, &declined)["declineReason"]),
        DECLINE_REASON
    );
    assert_eq!(
        s(&drawdown_texts(&app, &award).await[0]["purpose"]),
        PURPOSE
    );
    assert_eq!(
        verified_head(&app).await,
        head_before,
        "the hash chain is untouched"
    );
    assert_eq!(fund_money(&app, &fund).await, money_before);

    // Again, by id: harmless, and says so. The email itself is gone.
    let (ok, out, _) = cli(&app, &["erase-person", "--person", &pat]).await;
    assert!(ok && out.contains("already erased"), "{out}");
    for email in [PAT_EMAIL, "nobody@example.org"] {
        let (ok, _, err) = cli(&app, &["erase-person", "--email", email]).await;
        assert!(
            !ok && err.starts_with("error: no person has the email"),
            "{err}"
        );
    }
    let (ok, _, err) = cli(&app, &["erase-person", "--subject", "grantee:GB-X:nobody"]).await;
    assert!(!ok && err.contains("nothing to erase"), "{err}");
}

/// An admin JWT narrowed to one fund: an officer of that fund only.
fn officer_of(app: &TestApp, fund: &str) -> String {
    let scope = TokenScope {
        fund: Some(fund.to_string()),
        ..TokenScope::default()
    };
    let ttl = std::time::Duration::from_secs(600);
    app.keys
        .mint_scoped(Role::Admin, "officer", &scope, ttl)
        .unwrap()
}

async fn erase_person_mutation_is_for_owners_and_officers(store: Store) {
    let app = common::spawn(store).await;
    let (fund, round) = fund_and_round(&app).await;
    let other_fund = establish_fund(&app).await;
    let panel = ScopedRole::panel(&RoundId::new(round.as_str()));
    let (sam, sam_token) = person_with_token(&app, "sam@example.org", "Sam Seat", panel).await;
    let application = submit(&app, ORG, &round, DESCRIPTION).await;
    score(&app, &sam_token, &application, PAT_COMMENT).await;

    let erase = "mutation($input: ErasePersonInput!) { erasePerson(input: $input) { personId \
                 alreadyErased summary } }";
    let input = json!({ "input": { "personId": sam.as_str() } });
    let head = app.head().await;
    let refusals = [
        (None, "UNAUTHENTICATED"),
        (Some(app.panel("panel-pat")), "FORBIDDEN"),
        (Some(app.grantee(ORG)), "FORBIDDEN"),
        (Some(sam_token.clone()), "FORBIDDEN"),
        (Some(officer_of(&app, &other_fund)), "FORBIDDEN"),
    ];
    for (token, code) in refusals {
        app.gql(token.as_deref(), erase, input.clone())
            .await
            .expect_code(code);
    }
    let db = &app.database.database;
    let still = people::person(db, &sam)
        .await
        .unwrap()
        .expect("Sam is still there");
    assert_eq!(
        still.name.as_deref(),
        Some("Sam Seat"),
        "a refused caller wrote nothing"
    );
    assert_eq!(app.head().await, head);

    // An officer of the fund whose round Sam sits on may.
    let officer = officer_of(&app, &fund);
    let reply = app.gql(Some(&officer), erase, input.clone()).await.ok();
    assert_eq!(reply.data()["erasePerson"]["alreadyErased"], false);
    let erased = people::person(db, &sam)
        .await
        .unwrap()
        .expect("the row stays");
    assert!(erased.name.is_none() && erased.email.is_none() && erased.erased_at.is_some());
    // Sam's token stopped working at once.
    app.gql(Some(&sam_token), "{ funds { id } }", json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
    let again = app.gql(Some(&app.admin()), erase, input).await.ok();
    assert_eq!(again.data()["erasePerson"]["alreadyErased"], true);
    let unknown = json!({ "input": { "personId": "P-nobody" } });
    app.gql(Some(&app.admin()), erase, unknown)
        .await
        .expect_code("NOT_FOUND");
}

#[tokio::test]
async fn erasure_keeps_money_and_chain_and_shreds_only_the_person_sqlite() {
    erasure_keeps_money_and_chain_and_shreds_only_the_person(Store::Sqlite).await;
}

#[tokio::test]
async fn erasure_keeps_money_and_chain_and_shreds_only_the_person_postgres() {
    erasure_keeps_money_and_chain_and_shreds_only_the_person(Store::Postgres).await;
}

#[tokio::test]
async fn erase_person_mutation_is_for_owners_and_officers_sqlite() {
    erase_person_mutation_is_for_owners_and_officers(Store::Sqlite).await;
}

#[tokio::test]
async fn erase_person_mutation_is_for_owners_and_officers_postgres() {
    erase_person_mutation_is_for_owners_and_officers(Store::Postgres).await;
}
