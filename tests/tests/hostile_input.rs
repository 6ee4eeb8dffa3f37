//! A hostile-input corpus generated over the schema: for every mutation, every field of its
//! input (nested objects and list elements included), each hostile value of the field's
//! type (money, dates, decimals, text and ids, area codes, enums, whole numbers) put in an
//! otherwise valid input, sent with the token of the role the mutation is for. Every
//! answer must be a clear error (an `extensions.code` other than INTERNAL, never a 5xx)
//! and the log must not move. Then hand cases: query arguments (ids, cursors, as-of dates)
//! and text written into the document itself. Run on both stores: PostgreSQL is the one
//! that can't store a NUL in text and used to answer INTERNAL.

mod common;

use std::time::{Duration, Instant};

use common::*;
use fundledger_tests::{mutate, Store, TestApp};
use serde_json::{json, Map, Value};

/// The whole corpus must run well inside the CI budget.
const CORPUS_BUDGET_MS: u64 = 60_000;

const INTROSPECTION: &str = r#"{
  __schema {
    mutationType { fields { name args { name type { ...T } } } }
    types { name kind inputFields { name type { ...T } } enumValues { name } }
  }
}
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"#;

/// Text no field may take: controls (NUL, ESC, DEL, C1), bidi controls, invisible-only.
fn hostile_text(nullable: bool) -> Vec<Value> {
    let mut values = vec![
        json!("\u{0}"),
        json!("Larder\u{0}"),
        json!("\u{1b}[2J\u{1b}[31mLarder"),
        json!("Lar\u{7f}der"),
        json!("Lar\u{85}der"),
        json!("Larder\u{202e}redraL"),
        json!("\u{2066}Larder\u{2069}"),
        json!("\u{200b}\u{200b}"),
        json!("\u{feff}"),
        json!("\u{200d}\u{2060}"),
        json!("x".repeat(20_001)),
    ];
    // All spaces is "not given" in an optional field (trimmed, as always), which may
    // then be valid; in a required field it is refused.
    if !nullable {
        values.push(json!("   "));
    }
    values
}

fn hostile_values(type_name: &str, nullable: bool) -> Vec<Value> {
    match type_name {
        "String" | "ID" => hostile_text(nullable),
        "Money" => vec![
            json!(" 10"),
            json!("10 "),
            json!("+5"),
            json!("1."),
            json!(".5"),
            json!("1_000"),
            json!("1,000"),
            json!("1e3"),
            json!("-1"),
            json!("10.001"),
            json!("NaN"),
            json!(""),
            json!("\u{0}"),
            json!("99999999999999999999999999999999"),
            json!(12.5),
            json!(true),
        ],
        "Date" => vec![
            json!("+12026-12-01"),
            json!("-2026-12-01"),
            json!("0000-01-01"),
            json!("2026-1-1"),
            json!("2026-02-30"),
            json!("1899-12-31"),
            json!("2201-01-01"),
            json!(" 2026-01-01"),
            json!("2026-01-01T00:00:00Z"),
            json!(""),
            json!(20260101),
        ],
        "Decimal" => vec![
            json!("1e-1"),
            json!(" 0.1"),
            json!("+0.1"),
            json!("0.1."),
            json!("1_0"),
            json!("NaN"),
            json!(""),
            json!(0.5),
        ],
        "GeoCode" => vec![
            json!("E01\u{0}00001"),
            json!("X99999999"),
            json!("E0100000"),
            json!(""),
            json!(" E01033646\u{202e}"),
        ],
        "Int" => vec![json!(u64::MAX), json!("1"), json!(1.5)],
        "Boolean" => vec![json!("yes"), json!(1)],
        // An enum.
        _ => vec![json!("NOT_A_VALUE"), json!(""), json!(1)],
    }
}

/// A type reference of the introspection: `NON_NULL`/`LIST` wrappers around a named type.
fn unwrap(type_ref: &Value) -> (&str, &str, bool) {
    let nullable = type_ref["kind"] != "NON_NULL";
    let mut inner = type_ref;
    while inner["name"].is_null() {
        inner = &inner["ofType"];
    }
    (
        inner["kind"].as_str().unwrap_or_default(),
        inner["name"].as_str().unwrap_or_default(),
        nullable,
    )
}

fn is_list(type_ref: &Value) -> bool {
    let mut inner = type_ref;
    while inner["kind"] == "NON_NULL" {
        inner = &inner["ofType"];
    }
    inner["kind"] == "LIST"
}

/// What a test input needs: the world's ids, and the schema's types.
struct Corpus<'a> {
    types: &'a Map<String, Value>,
    ids: Map<String, Value>,
}

impl Corpus<'_> {
    /// A valid value of a field (as valid as the world allows).
    fn base(&self, field: &str, type_ref: &Value) -> Value {
        let (kind, name, _) = unwrap(type_ref);
        let one = match kind {
            "INPUT_OBJECT" => self.base_object(name),
            "ENUM" => self.types[name]["enumValues"][0]["name"].clone(),
            _ => match name {
                "Money" => json!("10.00"),
                "Date" => json!(business_day()),
                "GeoCode" => json!(AREA),
                "Decimal" => json!("0.1"),
                "Int" => json!(1),
                "Boolean" => json!(false),
                _ => self
                    .ids
                    .get(field)
                    .cloned()
                    .unwrap_or_else(|| json!("Ordinary text")),
            },
        };
        if is_list(type_ref) {
            json!([one])
        } else {
            one
        }
    }

    fn base_object(&self, name: &str) -> Value {
        let mut object = Map::new();
        for field in self.types[name]["inputFields"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let field_name = field["name"].as_str().unwrap_or_default();
            // A refused request stores no key, but leave keys out so nothing can replay.
            if field_name != "idempotencyKey" {
                object.insert(field_name.into(), self.base(field_name, &field["type"]));
            }
        }
        Value::Object(object)
    }

    /// Every leaf of an input type: its path (field names; list elements are index 0),
    /// type name and whether it is nullable.
    fn leaves(
        &self,
        name: &str,
        path: &mut Vec<String>,
        out: &mut Vec<(Vec<String>, String, bool)>,
    ) {
        for field in self.types[name]["inputFields"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let field_name = field["name"].as_str().unwrap_or_default().to_string();
            let (kind, type_name, nullable) = unwrap(&field["type"]);
            path.push(field_name);
            if is_list(&field["type"]) {
                path.push("0".into());
            }
            if kind == "INPUT_OBJECT" {
                self.leaves(type_name, path, out);
            } else {
                out.push((path.clone(), type_name.to_string(), nullable));
            }
            if is_list(&field["type"]) {
                path.pop();
            }
            path.pop();
        }
    }
}

/// Puts `value` at `path` in `input`, making the containers on the way.
fn set_at(input: &mut Value, path: &[String], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        *input = value;
        return;
    };
    let slot = match first.parse::<usize>() {
        Ok(index) => {
            if !input.is_array() {
                *input = json!([]);
            }
            let items = input.as_array_mut().expect("an array");
            while items.len() <= index {
                items.push(Value::Null);
            }
            &mut items[index]
        }
        Err(_) => {
            if !input.is_object() {
                *input = json!({});
            }
            input
                .as_object_mut()
                .expect("an object")
                .entry(first.clone())
                .or_insert(Value::Null)
        }
    };
    set_at(slot, rest, value);
}

fn token_for(app: &TestApp, mutation: &str) -> String {
    match mutation {
        "submitApplication"
        | "withdrawApplication"
        | "acceptAgreement"
        | "requestDrawdown"
        | "reportSpend"
        | "reportOutcome"
        | "recordInput" => app.grantee(ORG),
        "declareConflict" | "scoreApplication" => app.panel("panel-pat"),
        _ => app.admin(),
    }
}

/// The answer is a clear refusal: a 4xx or a 200 with errors, each coded, none INTERNAL.
fn assert_clear_refusal(reply: &fundledger_tests::Reply, what: &str) {
    assert!(
        reply.status < 500,
        "{what}: HTTP {} {}",
        reply.status,
        reply.body
    );
    let errors = reply.body["errors"].as_array();
    assert!(
        errors.is_some_and(|errors| !errors.is_empty()),
        "{what}: accepted: {}",
        reply.body
    );
    for error in errors.into_iter().flatten() {
        let code = error["extensions"]["code"].as_str();
        assert!(
            code.is_some_and(|code| code != "INTERNAL"),
            "{what}: not a clear error: {error}"
        );
        let message = error["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{what}: no message");
        assert!(!message.contains("panicked"), "{what}: {message}");
    }
}

async fn world_ids(app: &TestApp) -> Map<String, Value> {
    let world = world(app).await;
    let drawdown = mutate(
        app,
        &app.grantee(ORG),
        "requestDrawdown",
        json!({ "awardId": world.award, "amount": "100.00", "purpose": "Food" }),
        "drawdown { id }",
    )
    .await;
    let mut ids = Map::new();
    ids.insert("fundId".into(), json!(world.fund));
    ids.insert("roundId".into(), json!(world.round));
    ids.insert("applicationId".into(), json!(world.application));
    ids.insert("applicationIds".into(), json!(world.application));
    ids.insert("awardId".into(), json!(world.award));
    ids.insert("drawdownId".into(), drawdown["drawdown"]["id"].clone());
    ids.insert("funderOrgId".into(), json!("GB-CHC-0000001"));
    ids.insert("indicator".into(), json!("meals"));
    ids
}

async fn every_mutation_input_refuses_hostile_values(store: Store) {
    let app = spawn(store).await;
    let ids = world_ids(&app).await;
    let schema = app.gql(None, INTROSPECTION, json!({})).await.ok();
    let types: Map<String, Value> = schema.data()["__schema"]["types"]
        .as_array()
        .expect("types")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap_or_default().to_string(),
                t.clone(),
            )
        })
        .collect();
    let corpus = Corpus { types: &types, ids };
    let mutations = schema.data()["__schema"]["mutationType"]["fields"]
        .as_array()
        .expect("mutations")
        .clone();
    let started = Instant::now();
    let head = app.head().await;
    let mut sent = 0;
    for mutation in &mutations {
        let name = mutation["name"].as_str().expect("a name");
        let arg = &mutation["args"][0];
        let (_, input_type, _) = unwrap(&arg["type"]);
        let base = corpus.base_object(input_type);
        let token = token_for(&app, name);
        let query =
            format!("mutation($input: {input_type}!) {{ {name}(input: $input) {{ position }} }}");
        let mut leaves = Vec::new();
        corpus.leaves(input_type, &mut Vec::new(), &mut leaves);
        for (path, type_name, nullable) in leaves {
            for hostile in hostile_values(&type_name, nullable) {
                let mut input = base.clone();
                set_at(&mut input, &path, hostile.clone());
                let what = format!("{name} {} = {}", path.join("."), short(&hostile));
                let reply = app
                    .gql(Some(&token), &query, json!({ "input": input }))
                    .await;
                assert_clear_refusal(&reply, &what);
                sent += 1;
            }
        }
        assert_eq!(
            app.head().await,
            head,
            "{name}: a hostile input was written"
        );
    }
    println!(
        "{sent} hostile mutation inputs over {} mutations refused in {:.1?}",
        mutations.len(),
        started.elapsed()
    );
    assert!(sent > 500, "the corpus covered only {sent} inputs");
    assert!(
        started.elapsed() < Duration::from_millis(CORPUS_BUDGET_MS),
        "the corpus took {:.1?}",
        started.elapsed()
    );
    hostile_queries_are_clear_errors(&app, &corpus.ids).await;
    assert_eq!(app.head().await, head);
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 40 {
        format!("{}… ({} chars)", &text[..30], text.len())
    } else {
        text
    }
}

/// Query arguments (ids, cursors, as-of dates) and text written in the document.
async fn hostile_queries_are_clear_errors(app: &TestApp, ids: &Map<String, Value>) {
    let fund = ids["fundId"].as_str().expect("fund id");
    let cases: Vec<(&str, Value)> = vec![
        (
            "query($id: String!) { fund(id: $id) { id } }",
            json!({ "id": "FUND\u{0}1" }),
        ),
        (
            "query($id: String!) { award(id: $id) { id } }",
            json!({ "id": "\u{202e}AW-1" }),
        ),
        (
            "query($a: String) { awards(first: 5, after: $a) { edges { node { id } } } }",
            json!({ "a": "\u{0}" }),
        ),
        (
            "query($t: String) { awards(filter: { theme: $t }) { edges { node { id } } } }",
            json!({ "t": "food\u{0}" }),
        ),
        (
            "query($d: Date) { totals(asOf: $d) { awarded } }",
            json!({ "d": "+12026-12-01" }),
        ),
        (
            "query($d: Date) { totals(asOf: $d) { awarded } }",
            json!({ "d": "0000-01-01" }),
        ),
        (
            "query($d: Date) { totals(asOf: $d) { awarded } }",
            json!({ "d": "2026-1-1" }),
        ),
        (
            "query($f: String!) { equity(fundId: $f) { fundId } }",
            json!({ "f": "\u{1b}[2J" }),
        ),
        ("{ fund(id: \"FUND\\u0000\") { id } }", json!({})),
        ("{ totals(asOf: \"-2026-12-01\") { awarded } }", json!({})),
    ];
    for (query, variables) in cases {
        let reply = app.gql(None, query, variables.clone()).await;
        assert_clear_refusal(&reply, &format!("{query} {variables}"));
    }
    // A date refusal says the form it wants and quotes the value.
    let reply = app
        .gql(
            Some(&app.admin()),
            "mutation($i: ReceiveCapitalInput!) { receiveCapital(input: $i) { position } }",
            json!({ "i": { "fundId": fund, "amount": "5.00", "source": "s", "receivedOn": "2026-1-1" } }),
        )
        .await;
    assert_eq!(reply.code(), Some("BAD_INPUT"), "{}", reply.body);
    assert!(
        reply
            .message()
            .contains("'2026-1-1' is not a date in the form YYYY-MM-DD"),
        "{}",
        reply.message()
    );
    println!("a refused date: {}", reply.message());
    // Text written into the document itself, not as a variable.
    let query = format!(
        "mutation {{ receiveCapital(input: {{ fundId: \"{fund}\", amount: \"5.00\", \
         source: \"Endow\\u0000ment\", receivedOn: \"{}\" }}) {{ position }} }}",
        business_day()
    );
    let reply = app.gql(Some(&app.admin()), &query, json!({})).await;
    assert_clear_refusal(&reply, "a NUL written in the document");
    assert_eq!(reply.code(), Some("BAD_INPUT"), "{}", reply.body);
    assert!(reply.message().contains("U+0000"), "{}", reply.message());
}

on_both_stores!(every_mutation_input_refuses_hostile_values);
