//! Walks every field of the schema (by introspection) as the public, panel members, another
//! grantee, another fund's officer and another round's panel member, over a ledger seeded
//! with private markers, and proves that no private data comes back in any field or error.
//! The admin walk sees the markers, so the walk does reach the private fields.

mod common;

use std::collections::HashMap;

use common::*;
use fundledger_tests::{mutate, Store, TestApp};
use serde_json::{json, Value};

/// How deep the walk follows object fields.
const WALK_DEPTH: usize = 5;
/// Page size the walk asks for wherever a field takes `first`.
const WALK_PAGE: i32 = 1;

const COMMENT: &str = "SECRET-COMMENT";
const MEMBER: &str = "secret-panel-member";
const CONFLICTED: &str = "conflicted-member";
const DECLINED_TITLE: &str = "SECRET-DECLINED-TITLE";
const DECLINE_REASON: &str = "SECRET-DECLINE-REASON";
const PENDING_TITLE: &str = "SECRET-PENDING-TITLE";
const PURPOSE: &str = "SECRET-PURPOSE";
const PAYMENT_REF: &str = "SECRET-PAYREF";
const REJECT_REASON: &str = "SECRET-REJECT";

/// The fund's officers and the round's panel (and, for the decline reason, the applicant:
/// not a grantee of the walk) read these; comments and reasons are unsealed for them
/// (PERSONAL-DATA.md).
const PANEL_ONLY: [&str; 6] = [
    COMMENT,
    MEMBER,
    CONFLICTED,
    DECLINED_TITLE,
    PENDING_TITLE,
    DECLINE_REASON,
];
const PARTIES_ONLY: [&str; 3] = [PURPOSE, PAYMENT_REF, REJECT_REASON];
const NEVER: [&str; 0] = [];

struct Seeded {
    ids: HashMap<&'static str, String>,
    position: i64,
    /// Ballot codes of a participatory round (used and unused) and their hashes: no walk,
    /// not even the admin's, may ever show one.
    ballot_secrets: Vec<String>,
}

async fn seed(app: &TestApp) -> Seeded {
    let w = world(app).await;
    let pending = submit(app, ORG, &w.round, PENDING_TITLE, "100.00").await;
    score(app, MEMBER, &pending, 5, COMMENT).await;
    mutate(
        app,
        &app.panel(CONFLICTED),
        "declareConflict",
        json!({ "applicationId": pending }),
        "",
    )
    .await;
    let declined = submit(app, ORG, &w.round, DECLINED_TITLE, "100.00").await;
    mutate(
        app,
        &app.admin(),
        "declineApplication",
        json!({ "applicationId": declined, "reason": DECLINE_REASON }),
        "",
    )
    .await;
    let drawdown = |purpose: &'static str| {
        let award = w.award.clone();
        async move {
            let payload = mutate(
                app,
                &app.grantee(ORG),
                "requestDrawdown",
                json!({ "awardId": award, "amount": "100.00", "purpose": purpose }),
                "drawdown { id }",
            )
            .await;
            s(&payload["drawdown"]["id"])
        }
    };
    let paid = drawdown(PURPOSE).await;
    mutate(
        app,
        &app.admin(),
        "approveDrawdown",
        json!({ "awardId": w.award, "drawdownId": paid }),
        "",
    )
    .await;
    mutate(
        app,
        &app.admin(),
        "recordPayment",
        json!({ "awardId": w.award, "drawdownId": paid, "paymentRef": PAYMENT_REF, "paidOn": business_day() }),
        "",
    )
    .await;
    let ballot_secrets = ballots(app, &w.fund).await;
    let rejected = drawdown("second").await;
    mutate(
        app,
        &app.admin(),
        "rejectDrawdown",
        json!({ "awardId": w.award, "drawdownId": rejected, "reason": REJECT_REASON }),
        "",
    )
    .await;
    // Social-return inputs: the walk reaches `socialReturn` lines and proxies with data.
    mutate(
        app,
        &app.admin(),
        "setOutcomeProxy",
        json!({ "fundId": w.fund, "indicator": "meals served", "unit": "meal", "valuePerUnit": "2.50",
                "deadweight": "0.2", "attribution": "0.1", "displacement": "0", "dropOff": "0.5",
                "durationYears": 2 }),
        "",
    )
    .await;
    let last = mutate(
        app,
        &app.grantee(ORG),
        "reportOutcome",
        json!({ "awardId": w.award, "indicator": "meals served", "quantity": "1200", "periodEnd": business_day() }),
        "",
    )
    .await;
    let mut ids = HashMap::new();
    ids.insert("fund", w.fund);
    ids.insert("round", w.round);
    ids.insert("award", w.award);
    ids.insert("application", pending);
    Seeded {
        ids,
        position: last["position"].as_i64().expect("position"),
        ballot_secrets,
    }
}

/// A participatory round with codes issued and one ballot cast; returns every code in the
/// forms it could leak in (as issued, normalised) and its hash.
async fn ballots(app: &TestApp, fund: &str) -> Vec<String> {
    let round = mutate(
        app,
        &app.admin(),
        "openRound",
        json!({ "fundId": fund, "name": "Ballot Round", "budget": "1000.00", "opensOn": "2020-01-01",
                "closesOn": "2099-12-31", "eligibleAreas": [], "themes": [], "decisionMode": "PARTICIPATORY" }),
        "round { id }",
    )
    .await;
    let round = s(&round["round"]["id"]);
    let candidate = submit(app, OTHER_ORG, &round, "Ballot candidate", "500.00").await;
    let issued = mutate(
        app,
        &app.admin(),
        "issueBallotCodes",
        json!({ "roundId": round, "count": 3 }),
        "codes",
    )
    .await;
    let codes: Vec<String> = issued["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(s)
        .collect();
    app.gql(
        None,
        "mutation($i: CastBallotInput!) { castBallot(input: $i) { position } }",
        json!({ "i": { "roundId": round, "ballotCode": codes[0], "applicationIds": [candidate] } }),
    )
    .await
    .ok();
    let round_id = domain::RoundId::new(round);
    codes
        .iter()
        .flat_map(|code| {
            [
                code.clone(),
                infrastructure::ballot_codes::normalise(code),
                infrastructure::ballot_codes::hash_code(&round_id, code).to_string(),
            ]
        })
        .collect()
}

const INTROSPECTION: &str = r#"{ __schema { queryType { name } types { name kind
  fields { name args { name type { kind ofType { kind } } } type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }
} } }"#;

/// The named type under any NON_NULL / LIST wrappers.
fn named(type_ref: &Value) -> (&str, &str) {
    let mut current = type_ref;
    while current["name"].is_null() {
        current = &current["ofType"];
    }
    (
        current["kind"].as_str().unwrap_or_default(),
        current["name"].as_str().unwrap_or_default(),
    )
}

struct Walker<'a> {
    types: HashMap<String, &'a Value>,
}

impl Walker<'_> {
    /// A selection of every field of `type_name` reachable without required arguments.
    /// Every field of `type_name` to `depth`, never descending into a type already on the
    /// way down (`Neighbourhood.parent`, `Round.fund.rounds`…): each type's fields are still
    /// all reached, and the document stays under the server's body limit.
    fn selection(&self, type_name: &str, depth: usize) -> String {
        self.selection_below(type_name, depth, &mut vec![type_name.to_string()])
    }

    fn selection_below(&self, type_name: &str, depth: usize, path: &mut Vec<String>) -> String {
        let Some(found) = self.types.get(type_name) else {
            return "__typename".into();
        };
        let mut parts = vec!["__typename".to_string()];
        for field in found["fields"].as_array().into_iter().flatten() {
            let name = field["name"].as_str().unwrap_or_default();
            let args = field["args"].as_array().cloned().unwrap_or_default();
            if args.iter().any(|arg| arg["type"]["kind"] == "NON_NULL") {
                continue;
            }
            let first = if args.iter().any(|arg| arg["name"] == "first") {
                format!("(first: {WALK_PAGE})")
            } else {
                String::new()
            };
            let (kind, inner) = named(&field["type"]);
            match kind {
                "SCALAR" | "ENUM" => parts.push(name.to_string()),
                "OBJECT" if depth > 0 && !path.iter().any(|seen| seen == inner) => {
                    path.push(inner.to_string());
                    let below = self.selection_below(inner, depth - 1, path);
                    path.pop();
                    parts.push(format!("{name}{first} {{ {below} }}"));
                }
                "UNION" | "INTERFACE" => parts.push(format!("{name}{first} {{ __typename }}")),
                _ => {}
            }
        }
        parts.join(" ")
    }
}

async fn walk(app: &TestApp, token: Option<&str>, seeded: &Seeded) -> (String, Vec<String>) {
    let schema = app.gql(None, INTROSPECTION, json!({})).await.ok().body;
    let types_list = schema["data"]["__schema"]["types"]
        .as_array()
        .expect("types")
        .clone();
    let walker = Walker {
        types: types_list
            .iter()
            .map(|found| {
                (
                    found["name"].as_str().unwrap_or_default().to_string(),
                    found,
                )
            })
            .collect(),
    };
    let query_type = walker.types.get("Query").expect("a Query type");
    let mut everything = String::new();
    let mut codes = Vec::new();
    for field in query_type["fields"].as_array().expect("query fields") {
        let name = field["name"].as_str().unwrap_or_default();
        let mut args = Vec::new();
        for arg in field["args"].as_array().into_iter().flatten() {
            let arg_name = arg["name"].as_str().unwrap_or_default();
            match (name, arg_name) {
                ("fund" | "round" | "award" | "application", "id") => {
                    args.push(format!("id: \"{}\"", seeded.ids[name]))
                }
                ("managedFund", "id") => args.push(format!("id: \"{}\"", seeded.ids["fund"])),
                ("managedRound", "id") => args.push(format!("id: \"{}\"", seeded.ids["round"])),
                ("postcode", "code") => args.push("code: \"HU1 1AA\"".to_string()),
                (_, "code") => args.push(format!("code: \"{AREA}\"")),
                ("search", "text") => args.push("text: \"a\"".to_string()),
                ("budget", "scope") => {
                    args.push(format!("scope: {{ fund: \"{}\" }}", seeded.ids["fund"]))
                }
                ("socialReturn", "scope") => {
                    args.push(format!("scope: {{ fund: \"{}\" }}", seeded.ids["fund"]))
                }
                (_, "fundId") => args.push(format!("fundId: \"{}\"", seeded.ids["fund"])),
                // The seeded grantee's organisation: only its members may read `group`.
                (_, "organisationId") => args.push(format!("organisationId: \"{ORG}\"")),
                (_, "first") => args.push(format!("first: {WALK_PAGE}")),
                _ if arg["type"]["kind"] == "NON_NULL" => {
                    panic!("the walk cannot fill {name}({arg_name})")
                }
                _ => {}
            }
        }
        let args = if args.is_empty() {
            String::new()
        } else {
            format!("({})", args.join(", "))
        };
        let (kind, inner) = named(&field["type"]);
        let query = match kind {
            "OBJECT" => format!(
                "{{ {name}{args} {{ {} }} }}",
                walker.selection(inner, WALK_DEPTH)
            ),
            _ => format!("{{ {name}{args} }}"),
        };
        let reply = app.gql_at(token, seeded.position, &query, json!({})).await;
        for error in reply.body["errors"].as_array().into_iter().flatten() {
            let code = error["extensions"]["code"]
                .as_str()
                .unwrap_or("NONE")
                .to_string();
            if code != "FORBIDDEN" && code != "UNAUTHENTICATED" {
                eprintln!("walk of {name}: {error}");
            }
            codes.push(code);
        }
        everything.push_str(&reply.body.to_string());
    }
    (everything, codes)
}

async fn no_public_field_leaks_private_data(store: Store) {
    let app = spawn(store).await;
    let seeded = seed(&app).await;

    let (admin_sees, admin_codes) = walk(&app, Some(&app.admin()), &seeded).await;
    assert!(
        admin_sees.contains("ballotsCast"),
        "the walk reaches the participatory round"
    );
    for secret in &seeded.ballot_secrets {
        assert!(
            !admin_sees.contains(secret.as_str()),
            "a ballot code or its hash is readable"
        );
    }
    assert!(
        admin_codes
            .iter()
            .all(|code| code == "UNAUTHENTICATED" || code == "FORBIDDEN"),
        "{admin_codes:?}"
    );
    for marker in [
        COMMENT,
        DECLINE_REASON,
        MEMBER,
        CONFLICTED,
        DECLINED_TITLE,
        PENDING_TITLE,
        PURPOSE,
        PAYMENT_REF,
        REJECT_REASON,
    ] {
        assert!(
            admin_sees.contains(marker),
            "the walk never reached {marker}"
        );
    }

    let (public_sees, public_codes) = walk(&app, None, &seeded).await;
    for secret in &seeded.ballot_secrets {
        assert!(
            !public_sees.contains(secret.as_str()),
            "the public can read a ballot code"
        );
    }
    for marker in PANEL_ONLY.iter().chain(&PARTIES_ONLY).chain(&NEVER) {
        assert!(
            !public_sees.contains(marker),
            "the public can read {marker}"
        );
    }
    assert!(
        public_codes
            .iter()
            .all(|code| code == "FORBIDDEN" || code == "UNAUTHENTICATED"),
        "{public_codes:?}"
    );
    assert!(
        public_codes.iter().any(|code| code == "FORBIDDEN"),
        "the walk asked for private fields"
    );

    // Social return is public, as aggregates: the walk reads the reported indicator's line
    // and the proxy it is valued with.
    assert!(public_sees.contains("meals served") && public_sees.contains("socialValue"));

    let (other_sees, _) = walk(&app, Some(&app.grantee(OTHER_ORG)), &seeded).await;
    for marker in PANEL_ONLY.iter().chain(&PARTIES_ONLY).chain(&NEVER) {
        assert!(
            !other_sees.contains(marker),
            "another grantee can read {marker}"
        );
    }

    // A panel member sees their own score; another member's only once they have scored
    // it themselves (the round's default), so one who has not sees no one else's.
    let (panel_sees, _) = walk(&app, Some(&app.panel(MEMBER)), &seeded).await;
    for marker in PARTIES_ONLY.iter().chain(&NEVER) {
        assert!(!panel_sees.contains(marker), "the panel can read {marker}");
    }
    assert!(panel_sees.contains(MEMBER), "the panel sees scores");
    let (unscored_sees, _) = walk(&app, Some(&app.panel("panel-pat")), &seeded).await;
    assert!(
        !unscored_sees.contains(MEMBER),
        "a panel member who has not scored sees another's score"
    );

    // An officer of another fund, and a panel member of another round, see nothing private.
    let other_fund = app.scoped_token(
        api::server::auth::Role::Admin,
        "officer-elsewhere",
        &api::server::auth::TokenScope {
            fund: Some("FND-ELSEWHERE".into()),
            ..Default::default()
        },
    );
    let other_round = app.scoped_token(
        api::server::auth::Role::Panel,
        "panel-elsewhere",
        &api::server::auth::TokenScope {
            round: Some("RND-ELSEWHERE".into()),
            ..Default::default()
        },
    );
    for (who, token) in [
        ("another fund's officer", other_fund),
        ("another round's panel", other_round),
    ] {
        let (sees, _) = walk(&app, Some(&token), &seeded).await;
        for marker in PANEL_ONLY.iter().chain(&PARTIES_ONLY).chain(&NEVER) {
            assert!(!sees.contains(marker), "{who} can read {marker}");
        }
    }
}

on_both_stores!(no_public_field_leaks_private_data);

#[test]
fn the_live_feed_carries_no_private_field() {
    let sdl = api::server::schema::sdl();
    for type_name in ["AwardMade", "PaymentMade"] {
        let start = sdl
            .find(&format!("type {type_name} "))
            .expect("feed type in the SDL");
        let body = &sdl[start..start + sdl[start..].find('}').expect("closing brace")];
        for private in [
            "paymentRef",
            "purpose",
            "score",
            "comment",
            "conflict",
            "reason",
            "drawdown",
        ] {
            assert!(!body.contains(private), "{type_name} exposes {private}");
        }
    }
}

#[test]
fn no_query_field_or_argument_takes_or_shows_a_ballot_code() {
    let sdl = api::server::schema::sdl();
    // The code goes in only through castBallot's input, and comes out only in the payload
    // of issueBallotCodes (`codes`), which no query reaches.
    for (index, _) in sdl.match_indices("ballotCode:") {
        let block = &sdl[..index];
        let start = block.rfind('\n').unwrap_or(0);
        let header = &sdl[sdl[..start].rfind("input ").unwrap_or(0)..];
        assert!(
            header.starts_with("input CastBallotInput"),
            "a ballot code is taken outside castBallot"
        );
    }
    for (index, _) in sdl.match_indices("\tcodes:") {
        let owner = &sdl[sdl[..index].rfind("type ").expect("a type")..];
        assert!(
            owner.starts_with("type BallotCodesPayload"),
            "ballot codes are shown outside issueBallotCodes"
        );
    }
    assert_eq!(
        sdl.matches(": BallotCodesPayload").count(),
        1,
        "only issueBallotCodes returns codes"
    );
}
