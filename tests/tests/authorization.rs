//! The authorisation matrix: every mutation and every private field × every kind of
//! caller — no credential, an expired JWT, a forged JWT, the owner (an unscoped admin JWT),
//! an officer of fund X and of fund Y, a panel member of round A (in X) and of round B (in
//! Y), a member of organisation A and of organisation B, a person who is officer of X
//! through an API token, and a person who is member of A through a session cookie. Each
//! caller is allowed, or refused with its code and nothing written. The matrix fails if the
//! schema has a mutation it does not cover (found by introspection).
//!
//! Then the rules one at a time: a revoked API token and a removed role are refused on the
//! very next request; a session cookie needs its CSRF header; a panel member of A cannot
//! see or score B; an officer of X cannot act on Y (nor learn whether an id exists there);
//! a member of A cannot act for B; ballots are throttled per address.

mod common;

use std::collections::{BTreeSet, HashMap};

use api::server::auth::{Role, TokenScope};
use common::*;
use domain::{FundId, OrgId};
use fundledger_tests::{input_type, mutate, Reply, Store, TestApp};
use infrastructure::accounts::{self, NewSession, ScopedRole};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Caller {
    Public,
    Expired,
    Forged,
    Owner,
    OfficerX,
    OfficerY,
    PanelA,
    PanelB,
    MemberA,
    MemberB,
    /// A person, officer of fund X, calling with an API token.
    TokenOfficerX,
    /// A person, member of organisation A, calling with a session cookie and CSRF header.
    SessionMemberA,
}

const CALLERS: [Caller; 12] = [
    Caller::Public,
    Caller::Expired,
    Caller::Forged,
    Caller::Owner,
    Caller::OfficerX,
    Caller::OfficerY,
    Caller::PanelA,
    Caller::PanelB,
    Caller::MemberA,
    Caller::MemberB,
    Caller::TokenOfficerX,
    Caller::SessionMemberA,
];

const OWNER: &[Caller] = &[Caller::Owner];
const OFFICER_X: &[Caller] = &[Caller::Owner, Caller::OfficerX, Caller::TokenOfficerX];
const PANEL_A: &[Caller] = &[Caller::PanelA];
const MEMBER_A: &[Caller] = &[Caller::MemberA, Caller::SessionMemberA];

enum Credential {
    Nothing,
    Bearer(String),
    Session(NewSession),
}

/// Fund X with round A, fund Y with round B, and a credential for every caller.
struct Matrix {
    app: TestApp,
    fund_x: String,
    fund_y: String,
    round_a: String,
    round_b: String,
    credentials: HashMap<Caller, Credential>,
    /// Every mutation the matrix has checked.
    covered: BTreeSet<String>,
}

impl Matrix {
    async fn new(store: Store) -> Matrix {
        let app = spawn(store).await;
        let (fund_x, round_a) = fund_and_round(&app).await;
        let (fund_y, round_b) = fund_and_round(&app).await;
        let jwt = |role, subject: &str, scope: TokenScope| {
            Credential::Bearer(app.scoped_token(role, subject, &scope))
        };
        let fund = |id: &str| TokenScope {
            fund: Some(id.to_string()),
            ..TokenScope::default()
        };
        let round = |id: &str| TokenScope {
            round: Some(id.to_string()),
            ..TokenScope::default()
        };
        let org = |id: &str| TokenScope {
            org: Some(id.to_string()),
            ..TokenScope::default()
        };
        let officer = app
            .person_with_roles(
                "officer-x@example.org",
                &[ScopedRole::officer(&FundId::new(&fund_x))],
            )
            .await;
        let member = app
            .person_with_roles(
                "member-a@example.org",
                &[ScopedRole::member(&OrgId::new(ORG))],
            )
            .await;
        let credentials = HashMap::from([
            (Caller::Public, Credential::Nothing),
            (Caller::Expired, Credential::Bearer(app.expired())),
            (Caller::Forged, Credential::Bearer(app.forged())),
            (Caller::Owner, Credential::Bearer(app.admin())),
            (
                Caller::OfficerX,
                jwt(Role::Admin, "officer-x", fund(&fund_x)),
            ),
            (
                Caller::OfficerY,
                jwt(Role::Admin, "officer-y", fund(&fund_y)),
            ),
            (Caller::PanelA, jwt(Role::Panel, "panel-a", round(&round_a))),
            (Caller::PanelB, jwt(Role::Panel, "panel-b", round(&round_b))),
            (Caller::MemberA, jwt(Role::Grantee, "member-a", org(ORG))),
            (
                Caller::MemberB,
                jwt(Role::Grantee, "member-b", org(OTHER_ORG)),
            ),
            (
                Caller::TokenOfficerX,
                Credential::Bearer(app.api_token_of(&officer).await.1),
            ),
            (
                Caller::SessionMemberA,
                Credential::Session(app.session_of(&member).await),
            ),
        ]);
        Matrix {
            app,
            fund_x,
            fund_y,
            round_a,
            round_b,
            credentials,
            covered: BTreeSet::new(),
        }
    }

    async fn gql(&self, caller: Caller, query: &str, variables: Value) -> Reply {
        match &self.credentials[&caller] {
            Credential::Nothing => self.app.gql(None, query, variables).await,
            Credential::Bearer(token) => self.app.gql(Some(token), query, variables).await,
            Credential::Session(session) => {
                self.app
                    .gql_session(session, Some(&session.csrf_token), query, variables)
                    .await
            }
        }
    }

    /// A query as `caller` once the read models have everything written so far.
    async fn gql_now(&self, caller: Caller, query: &str, variables: Value) -> Reply {
        let head = self.app.head().await;
        let body =
            serde_json::to_vec(&json!({ "query": query, "variables": variables })).expect("json");
        let wait = ("x-min-position", head.to_string());
        match &self.credentials[&caller] {
            Credential::Nothing => self.app.post_raw(None, &[wait], body).await,
            Credential::Bearer(token) => self.app.post_raw(Some(token), &[wait], body).await,
            Credential::Session(session) => {
                let cookie = format!("{}={}", api::web::session::SESSION_COOKIE, session.secret);
                let headers = [
                    wait,
                    ("cookie", cookie),
                    (api::web::session::CSRF_HEADER, session.csrf_token.clone()),
                ];
                self.app.post_raw(None, &headers, body).await
            }
        }
    }

    async fn call(&self, caller: Caller, mutation: &str, input: &Value) -> Reply {
        let selection = if NO_POSITION.contains(&mutation) {
            "__typename"
        } else {
            "position"
        };
        let query = format!(
            "mutation($input: {}Input!) {{ {mutation}(input: $input) {{ {selection} }} }}",
            input_type(mutation)
        );
        self.gql(caller, &query, json!({ "input": input })).await
    }

    /// Tries `mutation` as every caller not in `allowed`: each gets its code and writes
    /// nothing. Then `runner` (one of `allowed`) runs it, and it succeeds.
    async fn check(
        &mut self,
        mutation: &str,
        allowed: &[Caller],
        runner: Caller,
        input: Value,
    ) -> Reply {
        assert!(
            allowed.contains(&runner),
            "{mutation}: {runner:?} not allowed"
        );
        self.covered.insert(mutation.to_string());
        for caller in CALLERS
            .into_iter()
            .filter(|caller| !allowed.contains(caller))
        {
            let expected = match caller {
                Caller::Public | Caller::Expired | Caller::Forged => "UNAUTHENTICATED",
                _ => "FORBIDDEN",
            };
            let head = (self.app.head().await, self.account_rows().await);
            let reply = self.call(caller, mutation, &input).await;
            assert_eq!(
                reply.code(),
                Some(expected),
                "{mutation} as {caller:?}: expected {expected}, got {}",
                reply.body
            );
            assert_eq!(
                (self.app.head().await, self.account_rows().await),
                head,
                "{mutation} as {caller:?} wrote"
            );
        }
        self.call(runner, mutation, &input).await.ok()
    }

    /// What the accounts operations write (they record no event): invitations made and
    /// withdrawn, live grants, API tokens made and revoked.
    async fn account_rows(&self) -> String {
        const SQL: &str = "SELECT (SELECT COUNT(*) FROM invitations) || ':' \
            || (SELECT COUNT(*) FROM invitations WHERE withdrawn_at IS NOT NULL) || ':' \
            || (SELECT COUNT(*) FROM role_grants WHERE revoked_at IS NULL) || ':' \
            || (SELECT COUNT(*) FROM api_tokens) || ':' \
            || (SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NOT NULL)";
        match &self.app.database.database {
            infrastructure::Database::Postgres(pool) => {
                sqlx::query_scalar(SQL).fetch_one(pool).await
            }
            infrastructure::Database::Sqlite(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await,
        }
        .expect("counting the accounts' rows")
    }

    /// Whether `caller` may read `query` (`allowed`), else is refused with its code.
    async fn check_field(&self, field: &str, allowed: &[Caller], query: &str, variables: Value) {
        for caller in CALLERS {
            let reply = self.gql_now(caller, query, variables.clone()).await;
            let expected = match caller {
                _ if allowed.contains(&caller) => None,
                Caller::Public => Some("FORBIDDEN"),
                Caller::Expired | Caller::Forged => Some("UNAUTHENTICATED"),
                _ => Some("FORBIDDEN"),
            };
            assert_eq!(
                reply.code(),
                expected,
                "{field} as {caller:?}: expected {expected:?}, got {}",
                reply.body
            );
        }
    }
}

fn position_of(reply: &Reply, mutation: &str) -> i64 {
    reply.data()[mutation]["position"]
        .as_i64()
        .expect("position")
}

/// Every mutation of the schema, by introspection.
async fn schema_mutations(app: &TestApp) -> BTreeSet<String> {
    let reply = app
        .gql(
            None,
            "{ __schema { mutationType { fields { name } } } }",
            json!({}),
        )
        .await
        .ok();
    reply.data()["__schema"]["mutationType"]["fields"]
        .as_array()
        .expect("mutation fields")
        .iter()
        .map(|field| s(&field["name"]))
        .collect()
}

/// Mutations checked by other tests, named with the test that checks them. Everything else
/// in the schema must go through the matrix.
/// Mutations whose payload has no log position: the accounts' operations write no event.
const NO_POSITION: &[&str] = &[
    "invitePerson",
    "withdrawInvitation",
    "removeRole",
    "createApiToken",
    "revokeApiToken",
    "erasePerson",
];

/// A signed-in person (here: by API token or session), whatever their roles.
const PERSONS: &[Caller] = &[Caller::TokenOfficerX, Caller::SessionMemberA];

const COVERED_ELSEWHERE: &[(&str, &str)] = &[
    (
        "castBallot",
        "authorization::a_ballot_code_not_a_role_lets_anyone_vote_once",
    ),
    // Its payload has no `position` (erasure writes no event): the public, a panel
    // member, a member, the person themself and another fund's officer are refused there.
    (
        "erasePerson",
        "erasure::erase_person_mutation_is_for_owners_and_officers",
    ),
];

async fn every_mutation_refuses_every_caller_but_its_scope(store: Store) {
    let mut m = Matrix::new(store).await;
    fund_mutations(&mut m).await;
    let award = application_mutations(&mut m).await;
    award_mutations(&mut m, &award).await;
    ballot_mutations(&mut m).await;
    people_mutations(&mut m).await;
    api_token_mutations(&mut m).await;
    let mut uncovered = schema_mutations(&m.app).await;
    uncovered.retain(|name| {
        !m.covered.contains(name) && !COVERED_ELSEWHERE.iter().any(|(other, _)| other == name)
    });
    assert!(
        uncovered.is_empty(),
        "the authorisation matrix does not cover {uncovered:?}: add them to authorization.rs"
    );
}

/// Inviting to, withdrawing from and removing a role of fund X's round A: fund X's officers.
async fn people_mutations(m: &mut Matrix) {
    let round_a = infrastructure::accounts::ScopedRole::panel(&domain::RoundId::new(&m.round_a));
    m.check(
        "invitePerson",
        OFFICER_X,
        Caller::OfficerX,
        json!({ "email": "invited@example.org", "role": "PANEL", "roundId": m.round_a }),
    )
    .await;
    let invitation = accounts::invitations::invite(
        &m.app.database.database,
        "second@example.org",
        &round_a,
        "test",
        3600,
    )
    .await
    .expect("an invitation to withdraw");
    m.check(
        "withdrawInvitation",
        OFFICER_X,
        Caller::TokenOfficerX,
        json!({ "invitationId": invitation.invitation_id }),
    )
    .await;
    let sitting = m
        .app
        .person_with_roles("sitting@example.org", &[round_a])
        .await;
    m.check(
        "removeRole",
        OFFICER_X,
        Caller::Owner,
        json!({ "personId": sitting.as_str(), "role": "PANEL", "scope": m.round_a }),
    )
    .await;
}

/// A person's own API tokens: any signed-in person, never an operator's JWT.
async fn api_token_mutations(m: &mut Matrix) {
    m.check(
        "createApiToken",
        PERSONS,
        Caller::SessionMemberA,
        json!({ "name": "matrix script" }),
    )
    .await;
    let officer =
        accounts::people::person_by_email(&m.app.database.database, "officer-x@example.org")
            .await
            .expect("reading the officer")
            .expect("the officer exists");
    let (token_id, _) = m.app.api_token_of(&officer.id).await;
    m.check(
        "revokeApiToken",
        PERSONS,
        Caller::TokenOfficerX,
        json!({ "tokenId": token_id }),
    )
    .await;
}

async fn fund_mutations(m: &mut Matrix) {
    m.check(
        "establishFund",
        OWNER,
        Caller::Owner,
        json!({ "name": "Matrix Fund", "funderOrgId": "GB-CHC-0000001", "funderName": "Funder" }),
    )
    .await;
    let fund = m.fund_x.clone();
    m.check(
        "receiveCapital",
        OFFICER_X,
        Caller::TokenOfficerX,
        json!({ "fundId": fund, "amount": "90000.00", "source": "Endowment", "receivedOn": business_day() }),
    )
    .await;
    m.check(
        "setOutcomeProxy",
        OFFICER_X,
        Caller::OfficerX,
        json!({ "fundId": fund, "indicator": "meals served", "unit": "meal", "valuePerUnit": "2.50",
                "deadweight": "0.2", "attribution": "0.1", "displacement": "0", "dropOff": "1",
                "durationYears": 1 }),
    )
    .await;
    // One area in the reference geography, for the priority list.
    let areas = infrastructure::geography::read_areas(
        "code,name,level,parent_code,population,imd_decile\nE01000001,A1,lsoa,,1000,1\n".as_bytes(),
        "matrix geography",
    )
    .expect("a one-area geography");
    m.app
        .database
        .database
        .upsert_areas(&areas)
        .await
        .expect("loading it");
    m.check(
        "declarePriorityAreas",
        OFFICER_X,
        Caller::OfficerX,
        json!({ "fundId": fund, "name": "Core", "areas": ["E01000001"] }),
    )
    .await;
    m.check(
        "openRound",
        OFFICER_X,
        Caller::OfficerX,
        json!({ "fundId": fund, "name": "Matrix Round", "budget": "20000.00", "opensOn": "2020-01-01",
                "closesOn": "2099-12-31", "eligibleAreas": [], "themes": [], "decisionMode": "PANEL" }),
    )
    .await;
}

/// Applications in round A: submit, withdraw, score, conflict, decline, approve. Returns
/// the award made.
async fn application_mutations(m: &mut Matrix) -> String {
    let round = m.round_a.clone();
    let applicants = &[Caller::MemberA, Caller::MemberB, Caller::SessionMemberA];
    let submitted = m
        .check(
            "submitApplication",
            applicants,
            Caller::SessionMemberA,
            json!({ "roundId": round, "title": "Matrix application", "description": "d",
                    "amountRequested": "5000.00", "neighbourhood": AREA, "themes": ["food"],
                    "applicantName": "Org A" }),
        )
        .await;
    assert!(position_of(&submitted, "submitApplication") > 0);
    let application = submit(&m.app, ORG, &round, "Main application", "8000.00").await;
    let withdrawn = submit(&m.app, ORG, &round, "To withdraw", "1000.00").await;
    let declined = submit(&m.app, ORG, &round, "To decline", "1000.00").await;
    m.check(
        "withdrawApplication",
        MEMBER_A,
        Caller::MemberA,
        json!({ "applicationId": withdrawn }),
    )
    .await;
    m.check(
        "scoreApplication",
        PANEL_A,
        Caller::PanelA,
        json!({ "applicationId": application, "score": 5, "comment": "good" }),
    )
    .await;
    m.check(
        "declareConflict",
        PANEL_A,
        Caller::PanelA,
        json!({ "applicationId": declined }),
    )
    .await;
    m.check(
        "declineApplication",
        OFFICER_X,
        Caller::TokenOfficerX,
        json!({ "applicationId": declined, "reason": "out of scope" }),
    )
    .await;
    let approved = m
        .check(
            "approveApplication",
            OFFICER_X,
            Caller::OfficerX,
            json!({ "applicationId": application, "amount": "7500.00" }),
        )
        .await;
    let position = position_of(&approved, "approveApplication");
    let reply = m
        .app
        .gql_at(
            Some(&m.app.admin()),
            position,
            "query($r: String!) { round(id: $r) { applications { id awardId } } }",
            json!({ "r": round }),
        )
        .await
        .ok();
    let applications = reply.data()["round"]["applications"]
        .as_array()
        .expect("applications")
        .clone();
    let found = applications
        .iter()
        .find(|found| found["id"] == application.as_str())
        .expect("the approved application");
    s(&found["awardId"])
}

async fn award_mutations(m: &mut Matrix, award: &str) {
    m.check(
        "setBudgetLines",
        OFFICER_X,
        Caller::OfficerX,
        json!({ "awardId": award, "lines": [{ "category": "food", "amount": "7500.00" }] }),
    )
    .await;
    m.check(
        "acceptAgreement",
        MEMBER_A,
        Caller::SessionMemberA,
        json!({ "awardId": award }),
    )
    .await;
    drawdown_mutations(m, award).await;
    m.check(
        "reportSpend",
        MEMBER_A,
        Caller::MemberA,
        json!({ "awardId": award, "periodStart": business_day(), "periodEnd": business_day(),
                "lines": [{ "category": "food", "amount": "800.00" }] }),
    )
    .await;
    m.check(
        "reportOutcome",
        MEMBER_A,
        Caller::SessionMemberA,
        json!({ "awardId": award, "indicator": "meals served", "quantity": "1200", "periodEnd": business_day() }),
    )
    .await;
    let recorders = &[
        Caller::Owner,
        Caller::OfficerX,
        Caller::TokenOfficerX,
        Caller::MemberA,
        Caller::SessionMemberA,
    ];
    m.check(
        "recordInput",
        recorders,
        Caller::MemberA,
        json!({ "awardId": award, "kind": "VOLUNTEER_TIME", "value": "120.00",
                "description": "10 volunteer hours", "contributedOn": business_day() }),
    )
    .await;
    m.check(
        "varyAward",
        OFFICER_X,
        Caller::OfficerX,
        json!({ "awardId": award, "newAmount": "7000.00", "reason": "rescoped",
                "budgetLines": [{ "category": "food", "amount": "7000.00" }] }),
    )
    .await;
    m.check(
        "recordReturn",
        OFFICER_X,
        Caller::TokenOfficerX,
        json!({ "awardId": award, "amount": "100.00", "reason": "unspent" }),
    )
    .await;
    let round = m.round_a.clone();
    m.check(
        "closeRound",
        OFFICER_X,
        Caller::OfficerX,
        json!({ "roundId": round }),
    )
    .await;
    m.check(
        "closeAward",
        OFFICER_X,
        Caller::OfficerX,
        json!({ "awardId": award }),
    )
    .await;
}

async fn drawdown_mutations(m: &mut Matrix, award: &str) {
    let requested = m
        .check(
            "requestDrawdown",
            MEMBER_A,
            Caller::MemberA,
            json!({ "awardId": award, "amount": "1000.00", "purpose": "first" }),
        )
        .await;
    let first =
        drawdown_ids(&m.app, award, position_of(&requested, "requestDrawdown")).await[0].clone();
    m.check(
        "approveDrawdown",
        OFFICER_X,
        Caller::TokenOfficerX,
        json!({ "awardId": award, "drawdownId": first }),
    )
    .await;
    m.check(
        "recordPayment",
        OFFICER_X,
        Caller::OfficerX,
        json!({ "awardId": award, "drawdownId": first, "paymentRef": "PAY-1", "paidOn": business_day() }),
    )
    .await;
    let second = mutate(
        &m.app,
        &m.app.grantee(ORG),
        "requestDrawdown",
        json!({ "awardId": award, "amount": "500.00", "purpose": "second" }),
        "drawdown { id }",
    )
    .await;
    m.check(
        "rejectDrawdown",
        OFFICER_X,
        Caller::OfficerX,
        json!({ "awardId": award, "drawdownId": s(&second["drawdown"]["id"]), "reason": "not yet" }),
    )
    .await;
}

async fn drawdown_ids(app: &TestApp, award: &str, position: i64) -> Vec<String> {
    let query = "query($a: String!) { award(id: $a) { drawdowns { id } } }";
    let reply = app
        .gql_at(Some(&app.admin()), position, query, json!({ "a": award }))
        .await
        .ok();
    reply.data()["award"]["drawdowns"]
        .as_array()
        .expect("drawdowns")
        .iter()
        .map(|drawdown| s(&drawdown["id"]))
        .collect()
}

async fn ballot_mutations(m: &mut Matrix) {
    let fund = m.fund_x.clone();
    let round = open_participatory(&m.app, &fund).await;
    submit(&m.app, ORG, &round, "Ballot candidate", "2000.00").await;
    m.check(
        "issueBallotCodes",
        OFFICER_X,
        Caller::TokenOfficerX,
        json!({ "roundId": round, "count": 2 }),
    )
    .await;
    m.check(
        "allocateByVotes",
        OFFICER_X,
        Caller::OfficerX,
        json!({ "roundId": round }),
    )
    .await;
}

async fn open_participatory(app: &TestApp, fund: &str) -> String {
    let payload = mutate(
        app,
        &app.admin(),
        "openRound",
        json!({ "fundId": fund, "name": "Ballot Round", "budget": "10000.00", "opensOn": "2020-01-01",
                "closesOn": "2099-12-31", "eligibleAreas": [], "themes": [], "decisionMode": "PARTICIPATORY" }),
        "round { id }",
    )
    .await;
    s(&payload["round"]["id"])
}

/// Every private field × every caller: the fund's officers, the round's panel, the
/// recipient's members see what is theirs; everyone else is refused.
async fn every_private_field_is_seen_by_its_scope_only(store: Store) {
    let m = Matrix::new(store).await;
    let pending = submit(&m.app, ORG, &m.round_a, "Pending", "100.00").await;
    let application = submit(&m.app, ORG, &m.round_a, "Funded", "900.00").await;
    score(&m.app, "panel-a", &application, 4, "fine").await;
    let award = approve(&m.app, &application, "900.00").await;
    let app_fields = "query($r: String!) { round(id: $r) { applications { id FIELD } } }";
    let panel_detail = &[
        Caller::Owner,
        Caller::OfficerX,
        Caller::TokenOfficerX,
        Caller::PanelA,
    ];
    for field in ["scores { member score }", "conflicts"] {
        let query = app_fields.replace("FIELD", field);
        m.check_field(field, panel_detail, &query, json!({ "r": m.round_a }))
            .await;
    }
    let party = &[
        Caller::Owner,
        Caller::OfficerX,
        Caller::TokenOfficerX,
        Caller::MemberA,
        Caller::SessionMemberA,
    ];
    for field in [
        "drawdowns { id }",
        "budgetLines { category }",
        "spentAbovePaid",
        "inputs { value }",
        "history { happened }",
    ] {
        let query = format!("query($a: String!) {{ award(id: $a) {{ id {field} }} }}");
        m.check_field(field, party, &query, json!({ "a": award }))
            .await;
    }
    let spent = "query($f: String) { budget(scope: { fund: $f }) { awardsSpentAbovePaid } }";
    m.check_field(
        "awardsSpentAbovePaid",
        OFFICER_X,
        spent,
        json!({ "f": m.fund_x }),
    )
    .await;
    // A pending application: its fund's officers, its round's panel and its own
    // organisation's members see it; everyone else only the approved one.
    let list = "query($r: String!) { round(id: $r) { applications { id } } }";
    for caller in CALLERS {
        let reply = m.gql_now(caller, list, json!({ "r": m.round_a })).await;
        if matches!(caller, Caller::Expired | Caller::Forged) {
            assert_eq!(reply.code(), Some("UNAUTHENTICATED"));
            continue;
        }
        let sees = reply.ok().body.to_string().contains(&pending);
        let should = panel_detail.contains(&caller) || MEMBER_A.contains(&caller);
        assert_eq!(sees, should, "{caller:?} seeing a pending application");
    }
    my_awards_are_the_callers_own(&m, &award).await;
}

async fn my_awards_are_the_callers_own(m: &Matrix, award: &str) {
    let query = "{ myAwards { nodes { id } } }";
    for caller in CALLERS {
        let reply = m.gql_now(caller, query, json!({})).await;
        match caller {
            Caller::Public => assert_eq!(reply.code(), Some("UNAUTHENTICATED")),
            Caller::Expired | Caller::Forged => assert_eq!(reply.code(), Some("UNAUTHENTICATED")),
            Caller::MemberA | Caller::SessionMemberA => {
                assert!(reply.ok().body.to_string().contains(award), "{caller:?}");
            }
            Caller::MemberB => assert!(!reply.ok().body.to_string().contains(award)),
            _ => assert_eq!(reply.code(), Some("FORBIDDEN"), "{caller:?}"),
        }
    }
}

/// castBallot takes no role: the code is the credential. Any caller with a valid
/// credential, or none, votes with a code; a bad token is still refused; a wrong code is
/// FORBIDDEN.
async fn a_ballot_code_not_a_role_lets_anyone_vote_once(store: Store) {
    let m = Matrix::new(store).await;
    let round = open_participatory(&m.app, &m.fund_x).await;
    let candidate = submit(&m.app, ORG, &round, "Ballot candidate", "2000.00").await;
    let issued = mutate(
        &m.app,
        &m.app.admin(),
        "issueBallotCodes",
        json!({ "roundId": round, "count": 12 }),
        "codes",
    )
    .await;
    let codes: Vec<String> = issued["codes"].as_array().unwrap().iter().map(s).collect();
    for (caller, code) in CALLERS.into_iter().zip(&codes) {
        let input = json!({ "roundId": round, "ballotCode": code, "applicationIds": [candidate] });
        let head = m.app.head().await;
        let wrong =
            json!({ "roundId": round, "ballotCode": "WRONG-CODE", "applicationIds": [candidate] });
        let reply = m.call(caller, "castBallot", &wrong).await;
        let expected = match caller {
            Caller::Expired | Caller::Forged => "UNAUTHENTICATED",
            _ => "FORBIDDEN",
        };
        assert_eq!(reply.code(), Some(expected), "{caller:?}: {}", reply.body);
        let reply = m.call(caller, "castBallot", &input).await;
        match caller {
            Caller::Expired | Caller::Forged => {
                assert_eq!(reply.code(), Some("UNAUTHENTICATED"), "{}", reply.body);
                assert_eq!(m.app.head().await, head, "{caller:?} wrote events");
            }
            _ => {
                reply.ok();
                m.call(caller, "castBallot", &input)
                    .await
                    .expect_code("CONFLICT");
            }
        }
    }
}

/// Wrong ballot codes from one address are throttled: past the limit the answer is
/// THROTTLED (HTTP 429) saying how long to wait, and even a right code is not tried.
async fn ballot_attempts_are_throttled_per_address(store: Store) {
    let m = Matrix::new(store).await;
    let round = open_participatory(&m.app, &m.fund_x).await;
    let candidate = submit(&m.app, ORG, &round, "Ballot candidate", "2000.00").await;
    let issued = mutate(
        &m.app,
        &m.app.admin(),
        "issueBallotCodes",
        json!({ "roundId": round, "count": 1 }),
        "codes",
    )
    .await;
    let code = s(&issued["codes"][0]);
    let limit = api::server::context::BALLOT_ATTEMPTS_PER_ADDRESS;
    for attempt in 0..limit {
        let wrong = json!({ "roundId": round, "ballotCode": format!("WRONG-{attempt}"),
                            "applicationIds": [candidate] });
        m.call(Caller::Public, "castBallot", &wrong)
            .await
            .expect_code("FORBIDDEN");
    }
    let head = m.app.head().await;
    let right = json!({ "roundId": round, "ballotCode": code, "applicationIds": [candidate] });
    let reply = m.call(Caller::Public, "castBallot", &right).await;
    assert_eq!(reply.code(), Some("THROTTLED"), "{}", reply.body);
    assert_eq!(reply.status, 429);
    assert!(
        reply.message().contains("try again in"),
        "{}",
        reply.message()
    );
    assert_eq!(m.app.head().await, head, "a throttled ballot was counted");
}

async fn a_bad_token_is_refused_even_for_public_queries(store: Store) {
    let app = spawn(store).await;
    for bad in [
        app.expired(),
        app.forged(),
        "not-a-jwt".to_string(),
        "flt_not-a-real-api-token".to_string(),
    ] {
        let reply = app.gql(Some(&bad), "{ funds { id } }", json!({})).await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.code(), Some("UNAUTHENTICATED"), "{}", reply.body);
    }
}

/// Revoking an API token, or removing a role, takes effect on the very next request.
async fn a_revoked_token_and_a_removed_role_are_refused_at_once(store: Store) {
    let m = Matrix::new(store).await;
    let db = &m.app.database.database;
    let officer = ScopedRole::officer(&FundId::new(&m.fund_x));
    let person = m
        .app
        .person_with_roles("revoked@example.org", std::slice::from_ref(&officer))
        .await;
    let (token_id, secret) = m.app.api_token_of(&person).await;
    let capital = json!({ "input": { "fundId": m.fund_x, "amount": "10.00", "source": "Gift",
                                     "receivedOn": business_day() } });
    let receive =
        "mutation($input: ReceiveCapitalInput!) { receiveCapital(input: $input) { position } }";
    m.app
        .gql(Some(&secret), receive, capital.clone())
        .await
        .ok();
    accounts::api_tokens::revoke_api_token(db, &person, &token_id)
        .await
        .expect("revoking");
    let head = m.app.head().await;
    let reply = m.app.gql(Some(&secret), receive, capital.clone()).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert_eq!(reply.code(), Some("UNAUTHENTICATED"));
    assert_eq!(m.app.head().await, head);

    let (_, fresh) = m.app.api_token_of(&person).await;
    m.app.gql(Some(&fresh), receive, capital.clone()).await.ok();
    accounts::grants::revoke_role(db, &person, &officer, "test")
        .await
        .expect("removing the role");
    let head = m.app.head().await;
    m.app
        .gql(Some(&fresh), receive, capital)
        .await
        .expect_code("FORBIDDEN");
    assert_eq!(m.app.head().await, head);
}

/// A session cookie is accepted for GraphQL only with the session's CSRF token in
/// `X-CSRF-Token`; without it, or with another, nothing runs.
async fn a_session_without_its_csrf_token_is_refused(store: Store) {
    let m = Matrix::new(store).await;
    let officer = ScopedRole::officer(&FundId::new(&m.fund_x));
    let person = m
        .app
        .person_with_roles("session@example.org", &[officer])
        .await;
    let session = m.app.session_of(&person).await;
    let receive =
        "mutation($input: ReceiveCapitalInput!) { receiveCapital(input: $input) { position } }";
    let capital = json!({ "input": { "fundId": m.fund_x, "amount": "10.00", "source": "Gift",
                                     "receivedOn": business_day() } });
    for csrf in [None, Some("wrong-token"), Some("")] {
        let head = m.app.head().await;
        let reply = m
            .app
            .gql_session(&session, csrf, receive, capital.clone())
            .await;
        assert_eq!(reply.status, 403, "{csrf:?}: {}", reply.body);
        assert_eq!(reply.code(), Some("FORBIDDEN"));
        assert!(reply.message().contains("CSRF"), "{}", reply.message());
        assert_eq!(m.app.head().await, head);
    }
    m.app
        .gql_session(&session, Some(&session.csrf_token), receive, capital)
        .await
        .ok();
    let me = m
        .app
        .gql_session(
            &session,
            Some(&session.csrf_token),
            "{ me { personId email roles { role scope } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(me.data()["me"]["personId"], person.as_str());
    assert_eq!(me.data()["me"]["email"], "session@example.org");
    assert_eq!(
        me.data()["me"]["roles"],
        json!([{ "role": "officer", "scope": m.fund_x }])
    );
}

/// A panel member of round A neither sees round B's applications nor scores there; and
/// sees the other members' scores only after scoring (or always, if the round says so).
async fn a_panel_member_of_one_round_cannot_see_or_score_another(store: Store) {
    let m = Matrix::new(store).await;
    let in_b = submit(&m.app, ORG, &m.round_b, "In round B", "100.00").await;
    let list = "query($r: String!) { round(id: $r) { applications { id } } }";
    let seen = m
        .gql_now(Caller::PanelA, list, json!({ "r": m.round_b }))
        .await
        .ok();
    assert!(!seen.body.to_string().contains(&in_b));
    let head = m.app.head().await;
    m.call(
        Caller::PanelA,
        "scoreApplication",
        &json!({ "applicationId": in_b, "score": 3, "comment": "x" }),
    )
    .await
    .expect_code("FORBIDDEN");
    m.call(
        Caller::PanelA,
        "declareConflict",
        &json!({ "applicationId": in_b }),
    )
    .await
    .expect_code("FORBIDDEN");
    assert_eq!(m.app.head().await, head);

    let in_a = submit(&m.app, ORG, &m.round_a, "In round A", "100.00").await;
    score(&m.app, "panel-first", &in_a, 4, "first").await;
    let second = m.app.scoped_token(
        Role::Panel,
        "panel-second",
        &TokenScope {
            round: Some(m.round_a.clone()),
            ..TokenScope::default()
        },
    );
    let scores = "query($r: String!) { round(id: $r) { applications { scores { member } } } }";
    let before = m
        .app
        .gql_now(Some(&second), scores, json!({ "r": m.round_a }))
        .await
        .ok();
    assert!(
        !before.body.to_string().contains("panel-first"),
        "{}",
        before.body
    );
    score_as(&m.app, &second, &in_a).await;
    let after = m
        .app
        .gql_now(Some(&second), scores, json!({ "r": m.round_a }))
        .await
        .ok();
    assert!(
        after.body.to_string().contains("panel-first"),
        "{}",
        after.body
    );

    let always = mutate(
        &m.app,
        &m.app.admin(),
        "openRound",
        json!({ "fundId": m.fund_x, "name": "Open book", "budget": "1000.00", "opensOn": "2020-01-01",
                "closesOn": "2099-12-31", "eligibleAreas": [], "themes": [], "decisionMode": "PANEL",
                "panelSeesScores": "ALWAYS" }),
        "round { id panelSeesScores }",
    )
    .await;
    assert_eq!(always["round"]["panelSeesScores"], "ALWAYS");
    let open_book = s(&always["round"]["id"]);
    let in_open = submit(&m.app, ORG, &open_book, "Open book", "100.00").await;
    score(&m.app, "panel-first", &in_open, 2, "first").await;
    let reader = m.app.panel("panel-reader");
    let seen = m
        .app
        .gql_now(Some(&reader), scores, json!({ "r": open_book }))
        .await
        .ok();
    assert!(
        seen.body.to_string().contains("panel-first"),
        "{}",
        seen.body
    );
}

async fn score_as(app: &TestApp, token: &str, application: &str) {
    mutate(
        app,
        token,
        "scoreApplication",
        json!({ "applicationId": application, "score": 3, "comment": "mine" }),
        "",
    )
    .await;
}

/// An officer of X cannot act on Y; an id that does not exist is as FORBIDDEN to a scoped
/// officer as one of another fund (nothing revealed), and NOT_FOUND to the owner.
async fn an_officer_of_one_fund_cannot_act_on_another(store: Store) {
    let m = Matrix::new(store).await;
    let head = m.app.head().await;
    let capital = json!({ "fundId": m.fund_y, "amount": "10.00", "source": "Gift", "receivedOn": business_day() });
    m.call(Caller::OfficerX, "receiveCapital", &capital)
        .await
        .expect_code("FORBIDDEN");
    let close_b = json!({ "roundId": m.round_b });
    let close_unknown = json!({ "roundId": "RND-NO-SUCH-ROUND" });
    let other = m.call(Caller::OfficerX, "closeRound", &close_b).await;
    let unknown = m.call(Caller::OfficerX, "closeRound", &close_unknown).await;
    assert_eq!(other.code(), Some("FORBIDDEN"));
    assert_eq!(unknown.code(), Some("FORBIDDEN"));
    m.call(Caller::Owner, "closeRound", &close_unknown)
        .await
        .expect_code("NOT_FOUND");
    assert_eq!(m.app.head().await, head);
    let closed = m.call(Caller::OfficerY, "closeRound", &close_b).await.ok();
    assert!(position_of(&closed, "closeRound") > head);
}

/// A member of A cannot act for B; a member of several names the one applying, and sees
/// the awards of all of them.
async fn a_member_of_one_organisation_cannot_act_for_another(store: Store) {
    let m = Matrix::new(store).await;
    let of_b = submit(&m.app, OTHER_ORG, &m.round_a, "B's idea", "100.00").await;
    let head = m.app.head().await;
    m.call(
        Caller::MemberA,
        "withdrawApplication",
        &json!({ "applicationId": of_b }),
    )
    .await
    .expect_code("FORBIDDEN");
    let for_b = json!({ "roundId": m.round_a, "title": "Posing as B", "description": "d",
                        "amountRequested": "100.00", "neighbourhood": AREA, "themes": ["food"],
                        "applicantName": "B", "organisationId": OTHER_ORG });
    m.call(Caller::MemberA, "submitApplication", &for_b)
        .await
        .expect_code("FORBIDDEN");
    assert_eq!(m.app.head().await, head);

    let both = m
        .app
        .person_with_roles(
            "both@example.org",
            &[
                ScopedRole::member(&OrgId::new(ORG)),
                ScopedRole::member(&OrgId::new(OTHER_ORG)),
            ],
        )
        .await;
    let (_, token) = m.app.api_token_of(&both).await;
    let submit_query = "mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { position } }";
    let unnamed = json!({ "roundId": m.round_a, "title": "Which org?", "description": "d",
                          "amountRequested": "100.00", "neighbourhood": AREA, "themes": ["food"],
                          "applicantName": "B" });
    m.app
        .gql(Some(&token), submit_query, json!({ "input": unnamed }))
        .await
        .expect_code("BAD_INPUT");
    m.app
        .gql(Some(&token), submit_query, json!({ "input": for_b }))
        .await
        .ok();
    let of_a = submit(&m.app, ORG, &m.round_a, "A", "100.00").await;
    score(&m.app, "panel-a", &of_a, 4, "fine").await;
    score(&m.app, "panel-a", &of_b, 4, "fine").await;
    let award_a = approve(&m.app, &of_a, "100.00").await;
    let award_b = approve(&m.app, &of_b, "100.00").await;
    let mine = m
        .app
        .gql_now(Some(&token), "{ myAwards { nodes { id } } }", json!({}))
        .await
        .ok();
    let text = mine.body.to_string();
    assert!(text.contains(&award_a) && text.contains(&award_b), "{text}");
}

/// `me`: null for the public; an operator's JWT shows its roles and no person.
async fn me_says_who_is_asking(store: Store) {
    let m = Matrix::new(store).await;
    let query = "{ me { personId roles { role scope } } }";
    let public = m.gql(Caller::Public, query, json!({})).await.ok();
    assert_eq!(public.data()["me"], Value::Null);
    let officer = m.gql(Caller::OfficerX, query, json!({})).await.ok();
    assert_eq!(officer.data()["me"]["personId"], Value::Null);
    assert_eq!(
        officer.data()["me"]["roles"],
        json!([{ "role": "officer", "scope": m.fund_x }])
    );
    let owner = m.gql(Caller::Owner, query, json!({})).await.ok();
    assert_eq!(
        owner.data()["me"]["roles"],
        json!([{ "role": "owner", "scope": null }, { "role": "officer", "scope": null }])
    );
    let person = m.gql(Caller::TokenOfficerX, query, json!({})).await.ok();
    assert!(person.data()["me"]["personId"]
        .as_str()
        .is_some_and(|id| id.starts_with("P-")));
}

on_both_stores!(
    every_mutation_refuses_every_caller_but_its_scope,
    every_private_field_is_seen_by_its_scope_only,
    a_ballot_code_not_a_role_lets_anyone_vote_once,
    ballot_attempts_are_throttled_per_address,
    a_bad_token_is_refused_even_for_public_queries,
    a_revoked_token_and_a_removed_role_are_refused_at_once,
    a_session_without_its_csrf_token_is_refused,
    a_panel_member_of_one_round_cannot_see_or_score_another,
    an_officer_of_one_fund_cannot_act_on_another,
    a_member_of_one_organisation_cannot_act_for_another,
    me_says_who_is_asking,
);
