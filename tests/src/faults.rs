//! The fault suite's shared load and its check (issue 12 §4): "nothing acknowledged is
//! ever lost, nothing is written twice".
//!
//! [`Load::start`] runs concurrent writers against one or more servers. Each writer is a
//! careful client: it gives every mutation an idempotency key and sends the same request
//! with the same key until it is answered with a position, so a write is either
//! *acknowledged* (answered, with its position and id) or, when the load stops, still
//! *unacknowledged* (a fault took it: it may or may not have been committed). A writer
//! that cannot reach its server moves to the next one (several replicas). The mix is
//! realistic and makes the totals mean something: each writer establishes a fund of its
//! own, then cycles through receiving capital, opening a round with part of it, an
//! application to that round and its approval (an award, through the process manager's
//! cross-aggregate step), every amount distinct.
//!
//! [`LoadReport::check_acknowledged`] then proves, on the server the test left running:
//! - every acknowledged write is in the read models exactly once (its fund, round,
//!   application or award by id; each writer's fund once by name), and the totals are
//!   between the acknowledged writes' and those plus the unacknowledged ones';
//! - resending every acknowledged key gives the same answer and writes nothing (the log's
//!   head does not move);
//! - resending every unacknowledged key succeeds (each is committed now, exactly once),
//!   after which every figure (capital received, allocated and awarded per fund; budget
//!   and awarded per round; each application's amounts and decision; each award) equals
//!   the fold of all the writes exactly;
//! - `/readyz` is ready, the read models reached the log's head, `fundledger verify` passes.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use api::server::auth::{Role, TokenKeys};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::{input_type, TestApp};

/// Writers in the suite's load (the "16 writers").
pub const FAULT_WRITERS: usize = 16;
/// How long one write may take before the writer counts it as failed and resends it.
pub const WRITE_TIMEOUT_MS: u64 = 10_000;
/// A writer's pause after a failed attempt before it sends the same key again.
pub const RETRY_PAUSE_MS: u64 = 50;
/// How long the check waits for the read models to reach the log's head.
pub const SETTLE_TIMEOUT_MS: u64 = 45_000;
/// How long the log's head must stay still before the check reads it: longer than the
/// process manager's interval, so a cross-aggregate step a kill cut short is finished.
pub const SETTLE_QUIET_MS: u64 = api::server::startup::PROCESS_MANAGER_INTERVAL_MS + 500;
/// The area every application of the load names (no geography needed: rounds are open to
/// anywhere).
pub const LOAD_AREA: &str = "E01033646";
/// Each round's budget; an application asks for less, so its approval always fits.
const ROUND_BUDGET_PENCE: i64 = 60_000;
/// Steps in a writer's cycle: capital, round, application, approval.
const CYCLE_STEPS: usize = 4;

/// What a write does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteKind {
    EstablishFund,
    ReceiveCapital,
    OpenRound,
    SubmitApplication,
    ApproveApplication,
}

impl WriteKind {
    /// The GraphQL mutation.
    pub fn mutation(self) -> &'static str {
        match self {
            WriteKind::EstablishFund => "establishFund",
            WriteKind::ReceiveCapital => "receiveCapital",
            WriteKind::OpenRound => "openRound",
            WriteKind::SubmitApplication => "submitApplication",
            WriteKind::ApproveApplication => "approveApplication",
        }
    }

    /// The payload's object, whose id the answer carries.
    fn object(self) -> &'static str {
        match self {
            WriteKind::EstablishFund | WriteKind::ReceiveCapital => "fund",
            WriteKind::OpenRound => "round",
            WriteKind::SubmitApplication => "application",
            WriteKind::ApproveApplication => "award",
        }
    }

    /// Writes that create what later writes of the writer refer to: the writer needs
    /// their id before it goes on.
    fn creates(self) -> bool {
        matches!(
            self,
            WriteKind::EstablishFund | WriteKind::OpenRound | WriteKind::SubmitApplication
        )
    }

    fn query(self) -> String {
        let mutation = self.mutation();
        format!(
            "mutation($input: {}Input!) {{ {mutation}(input: $input) {{ position {} {{ id }} }} }}",
            input_type(mutation),
            self.object()
        )
    }
}

/// One write of the load: what was asked, by whom, under which key.
#[derive(Debug, Clone)]
pub struct Write {
    pub writer: usize,
    pub kind: WriteKind,
    /// The idempotency key (also inside `input`).
    pub key: String,
    pub token: String,
    pub input: Value,
    /// The writer's fund (None for the establishment itself).
    pub fund: Option<String>,
    /// The round an application goes to.
    pub round: Option<String>,
    /// The application an approval decides.
    pub application: Option<String>,
    /// Capital received, a round's budget, the amount applied for or approved.
    pub amount: Option<Decimal>,
}

/// A success answer: the write's position and the id of its object.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub position: i64,
    /// Absent when the server answered the position without the object.
    pub id: Option<String>,
    /// The server that answered.
    pub server: String,
}

/// A write with its first success answer, if it got one, and its failed attempts.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub write: Write,
    pub answer: Option<Answer>,
    pub failed_attempts: Vec<String>,
}

/// Why an attempt failed.
enum Failure {
    /// The server could not be reached or the connection broke: try another server.
    Transport(String),
    /// The server answered, without a position.
    Refused(String),
}

/// The shared state of a running load.
struct Shared {
    targets: RwLock<Vec<String>>,
    stop: AtomicBool,
    acknowledged: AtomicUsize,
    failed_attempts: AtomicUsize,
    last_failures: Mutex<Vec<String>>,
}

impl Shared {
    fn note_failure(&self, what: String) {
        self.failed_attempts.fetch_add(1, Ordering::Relaxed);
        let mut last = self.last_failures.lock().expect("failures lock");
        if last.len() >= 5 {
            last.remove(0);
        }
        last.push(what);
    }
}

/// Concurrent writers running until [`Load::stop`].
pub struct Load {
    shared: Arc<Shared>,
    writers: Vec<tokio::task::JoinHandle<Vec<Recorded>>>,
    /// Names every fund of this load, so the check sees only the load's own.
    pub tag: String,
}

impl Load {
    /// Starts `writers` writers; writer `i` sends to `targets[i % targets.len()]` first.
    pub fn start(targets: Vec<String>, keys: &TokenKeys, writers: usize) -> Load {
        assert!(!targets.is_empty(), "a load needs a server");
        let tag = format!("fault-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let shared = Arc::new(Shared {
            targets: RwLock::new(targets),
            stop: AtomicBool::new(false),
            acknowledged: AtomicUsize::new(0),
            failed_attempts: AtomicUsize::new(0),
            last_failures: Mutex::new(Vec::new()),
        });
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(WRITE_TIMEOUT_MS))
            .pool_max_idle_per_host(writers)
            .build()
            .expect("http client");
        let writers = (0..writers)
            .map(|index| {
                let writer = Writer::new(index, &tag, keys);
                tokio::spawn(writer.run(client.clone(), shared.clone()))
            })
            .collect();
        Load {
            shared,
            writers,
            tag,
        }
    }

    /// Writes acknowledged so far.
    pub fn acknowledged(&self) -> usize {
        self.shared.acknowledged.load(Ordering::Relaxed)
    }

    /// Attempts that failed so far (a kill shows here).
    pub fn failed_attempts(&self) -> usize {
        self.shared.failed_attempts.load(Ordering::Relaxed)
    }

    /// Waits until at least `count` writes are acknowledged; panics, with the last
    /// failures, after `timeout`.
    pub async fn wait_for_acknowledged(&self, count: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.acknowledged() < count {
            assert!(
                Instant::now() < deadline,
                "only {} of {count} writes acknowledged within {timeout:?}; last failures: {:?}",
                self.acknowledged(),
                self.shared.last_failures.lock().expect("failures lock")
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Points the writers at other servers (a restarted one, say).
    pub fn retarget(&self, targets: Vec<String>) {
        assert!(!targets.is_empty(), "a load needs a server");
        *self.shared.targets.write().expect("targets lock") = targets;
    }

    /// Stops the writers (each finishes or fails its request in flight) and reports.
    pub async fn stop(self) -> LoadReport {
        self.shared.stop.store(true, Ordering::Relaxed);
        let mut writes = Vec::new();
        for writer in self.writers {
            writes.extend(writer.await.expect("a writer panicked"));
        }
        LoadReport {
            tag: self.tag,
            writes,
            failed_attempts: self.shared.failed_attempts.load(Ordering::Relaxed),
        }
    }
}

/// One writer's state: what it has made so far, so it knows what to write next.
struct Writer {
    index: usize,
    tag: String,
    admin: String,
    grantee: String,
    fund: Option<String>,
    round: Option<String>,
    /// The last application submitted and not yet approved, with the amount asked.
    application: Option<(String, Decimal)>,
    /// Writes acknowledged after the fund (drives the cycle).
    step: usize,
    /// Which target it sends to (moves on when a server cannot be reached).
    target: usize,
}

impl Writer {
    fn new(index: usize, tag: &str, keys: &TokenKeys) -> Writer {
        let ttl = Duration::from_secs(3600);
        let org = format!("GB-CHC-9{index:06}");
        Writer {
            index,
            tag: tag.to_string(),
            admin: keys
                .mint(Role::Admin, "fault-officer", None, ttl)
                .expect("an admin token"),
            grantee: keys
                .mint(Role::Grantee, &format!("user-of-{org}"), Some(&org), ttl)
                .expect("a grantee token"),
            fund: None,
            round: None,
            application: None,
            step: 0,
            target: index,
        }
    }

    fn key(&self, what: &str) -> String {
        format!("{}-w{}-{what}-{}", self.tag, self.index, self.step)
    }

    fn write(&self, kind: WriteKind, input: Value, amount: Option<Decimal>) -> Write {
        let key = input["idempotencyKey"]
            .as_str()
            .expect("every input has a key")
            .to_string();
        let token = match kind {
            WriteKind::SubmitApplication => self.grantee.clone(),
            _ => self.admin.clone(),
        };
        Write {
            writer: self.index,
            kind,
            key,
            token,
            input,
            fund: self.fund.clone(),
            round: self.round.clone(),
            application: self.application.as_ref().map(|(id, _)| id.clone()),
            amount,
        }
    }

    /// The next write of the cycle; distinct amounts so totals tell writes apart.
    fn next(&self) -> Write {
        let Some(fund) = &self.fund else {
            return self.write(
                WriteKind::EstablishFund,
                json!({
                    "name": format!("{} writer {}", self.tag, self.index),
                    "funderOrgId": "GB-CHC-0000001",
                    "funderName": "Fault Funder",
                    "idempotencyKey": self.key("fund"),
                }),
                None,
            );
        };
        let pence = |pounds: usize| {
            Decimal::from_str(&format!("{pounds}.{:02}", self.index % 100)).expect("an amount")
        };
        let cycle = self.step / CYCLE_STEPS;
        match (self.step % CYCLE_STEPS, &self.round, &self.application) {
            (1, _, _) => {
                let budget = Decimal::new(ROUND_BUDGET_PENCE, 2);
                self.write(
                    WriteKind::OpenRound,
                    json!({
                        "fundId": fund, "name": format!("Round {cycle}"), "budget": budget.to_string(),
                        "opensOn": "2020-01-01", "closesOn": "2099-12-31", "eligibleAreas": [],
                        "themes": ["food"], "decisionMode": "PANEL", "minPanelScores": 0,
                        "idempotencyKey": self.key("round"),
                    }),
                    Some(budget),
                )
            }
            (2, Some(round), _) => {
                let requested = pence(100 + cycle % 400);
                self.write(
                    WriteKind::SubmitApplication,
                    json!({
                        "roundId": round, "title": format!("Project {cycle}"),
                        "description": "What we will do", "amountRequested": requested.to_string(),
                        "neighbourhood": LOAD_AREA, "themes": ["food"],
                        "applicantName": format!("Org {}", self.index),
                        "idempotencyKey": self.key("application"),
                    }),
                    Some(requested),
                )
            }
            (3, _, Some((application, requested))) => self.write(
                WriteKind::ApproveApplication,
                json!({
                    "applicationId": application, "amount": requested.to_string(),
                    "idempotencyKey": self.key("approval"),
                }),
                Some(*requested),
            ),
            _ => {
                let amount = pence(1000 + cycle);
                self.write(
                    WriteKind::ReceiveCapital,
                    json!({
                        "fundId": fund, "amount": amount.to_string(), "source": "Endowment",
                        "receivedOn": infrastructure::business_today().to_string(),
                        "idempotencyKey": self.key("capital"),
                    }),
                    Some(amount),
                )
            }
        }
    }

    /// Moves on after `write` was answered with its object's id.
    fn advance(&mut self, write: &Write, id: Option<&str>) {
        match write.kind {
            WriteKind::EstablishFund => self.fund = id.map(str::to_string),
            WriteKind::OpenRound => self.round = id.map(str::to_string),
            WriteKind::SubmitApplication => {
                self.application = id.map(|id| (id.to_string(), write.amount.expect("amount")))
            }
            WriteKind::ApproveApplication => self.application = None,
            WriteKind::ReceiveCapital => {}
        }
        if write.kind != WriteKind::EstablishFund {
            self.step += 1;
        }
    }

    async fn run(mut self, client: reqwest::Client, shared: Arc<Shared>) -> Vec<Recorded> {
        let mut records: Vec<Recorded> = Vec::new();
        let mut current: Option<usize> = None;
        while !shared.stop.load(Ordering::Relaxed) {
            let index = *current.get_or_insert_with(|| {
                records.push(Recorded {
                    write: self.next(),
                    answer: None,
                    failed_attempts: Vec::new(),
                });
                records.len() - 1
            });
            let server = {
                let targets = shared.targets.read().expect("targets lock");
                targets[self.target % targets.len()].clone()
            };
            let record = &mut records[index];
            match send(&client, &server, &record.write).await {
                Ok(answer) => {
                    if record.answer.is_none() {
                        shared.acknowledged.fetch_add(1, Ordering::Relaxed);
                        record.answer = Some(answer.clone());
                    }
                    // A write others depend on is resent (a replay) until its id is known.
                    if answer.id.is_some() || !record.write.kind.creates() {
                        let write = record.write.clone();
                        self.advance(&write, answer.id.as_deref());
                        current = None;
                        continue;
                    }
                }
                Err(Failure::Transport(error)) => {
                    record.failed_attempts.push(error.clone());
                    shared.note_failure(format!("{server}: {error}"));
                    self.target += 1;
                }
                Err(Failure::Refused(error)) => {
                    record.failed_attempts.push(error.clone());
                    shared.note_failure(format!("{server}: {error}"));
                }
            }
            tokio::time::sleep(Duration::from_millis(RETRY_PAUSE_MS)).await;
        }
        records
    }
}

/// Sends `write` to `server`: its answer, or why it has none.
async fn send(client: &reqwest::Client, server: &str, write: &Write) -> Result<Answer, Failure> {
    let body = json!({ "query": write.kind.query(), "variables": { "input": write.input } });
    let response = client
        .post(format!("{server}/graphql"))
        .bearer_auth(&write.token)
        .json(&body)
        .send()
        .await
        .map_err(|error| Failure::Transport(format!("{error:#}")))?;
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .map_err(|error| Failure::Transport(format!("{error:#}")))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|_| Failure::Refused(format!("HTTP {status}: {text}")))?;
    let payload = &value["data"][write.kind.mutation()];
    // A position is the server saying the write is committed, even if reading its object
    // back failed.
    match payload["position"].as_i64() {
        Some(position) => Ok(Answer {
            position,
            id: payload[write.kind.object()]["id"]
                .as_str()
                .map(str::to_string),
            server: server.to_string(),
        }),
        None => Err(Failure::Refused(format!(
            "HTTP {status}: {}",
            value["errors"]
        ))),
    }
}

/// What a load did, for the check.
pub struct LoadReport {
    pub tag: String,
    /// Every write the writers began, in each writer's order.
    pub writes: Vec<Recorded>,
    pub failed_attempts: usize,
}

/// What the check found, for the test's log.
#[derive(Debug)]
pub struct CheckSummary {
    pub acknowledged: usize,
    pub unacknowledged: usize,
    /// Unacknowledged writes that were committed all the same (their resend was a replay).
    pub committed_without_answer: usize,
    pub events: i64,
}

impl LoadReport {
    pub fn acknowledged(&self) -> impl Iterator<Item = &Recorded> {
        self.writes.iter().filter(|record| record.answer.is_some())
    }

    pub fn unacknowledged(&self) -> impl Iterator<Item = &Recorded> {
        self.writes.iter().filter(|record| record.answer.is_none())
    }

    /// Acknowledged writes answered by `server`.
    pub fn acknowledged_by(&self, server: &str) -> usize {
        self.acknowledged()
            .filter(|record| record.answer.as_ref().is_some_and(|a| a.server == server))
            .count()
    }

    /// The check described in the module's documentation, against `app`'s server and
    /// store; `program` runs `verify`. Panics, naming the write, at the first difference.
    pub async fn check_acknowledged(&self, app: &TestApp, program: &str) -> CheckSummary {
        let admin = app.admin();
        let head = settle(app, &admin).await;
        let world = World::read(app, &admin, &self.tag).await;

        // Resending an acknowledged key answers the same and writes nothing. (It also gives
        // the id of a write first answered without its object.)
        let mut acknowledged: Vec<(&Write, Answer)> = Vec::new();
        for record in self.acknowledged() {
            let first = record.answer.as_ref().expect("answered");
            let again = resend(app, &record.write).await;
            assert_same_answer(&record.write, first, &again);
            acknowledged.push((&record.write, again));
        }
        assert_eq!(
            app.head().await,
            head,
            "resending acknowledged keys wrote events"
        );
        let unacknowledged: Vec<&Write> = self.unacknowledged().map(|r| &r.write).collect();
        let answered: Vec<(&Write, &Answer)> = acknowledged.iter().map(|(w, a)| (*w, a)).collect();
        check_bounds(&world, &answered, &unacknowledged);
        check_awards(app, &admin, &answered).await;

        // Each unacknowledged write, resent, is written now or was already: exactly once.
        let mut resolved: Vec<(&Write, Answer)> = Vec::new();
        let mut committed_without_answer = 0;
        for write in &unacknowledged {
            let answer = resend(app, write).await;
            committed_without_answer += usize::from(answer.position <= head);
            resolved.push((write, answer));
        }
        let events = settle(app, &admin).await;
        let all: Vec<(&Write, &Answer)> = answered
            .iter()
            .copied()
            .chain(resolved.iter().map(|(write, answer)| (*write, answer)))
            .collect();
        let world = World::read(app, &admin, &self.tag).await;
        assert_eq!(
            world,
            World::expected(&all),
            "the read models are not the fold of every write once"
        );
        check_awards(app, &admin, &all).await;
        let (status, said) = app.get("/readyz").await;
        assert_eq!(status, 200, "/readyz after the check: {said}");
        assert_verified(app, program).await;
        CheckSummary {
            acknowledged: acknowledged.len(),
            unacknowledged: unacknowledged.len(),
            committed_without_answer,
            events,
        }
    }
}

/// Waits until the read models reach the log's head and the head has stayed still for
/// `SETTLE_QUIET_MS` (pending cross-aggregate steps finished); returns the head.
pub async fn settle(app: &TestApp, admin: &str) -> i64 {
    let deadline = Instant::now() + Duration::from_millis(SETTLE_TIMEOUT_MS);
    loop {
        let head = app.head().await;
        let reply = app
            .gql_at(Some(admin), head, "{ ledger { position } }", json!({}))
            .await;
        if reply.status == 200 && reply.code().is_none() {
            tokio::time::sleep(Duration::from_millis(SETTLE_QUIET_MS)).await;
            if app.head().await == head {
                return head;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the read models did not reach the log's head {head} within {SETTLE_TIMEOUT_MS} ms: {}",
            reply.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends `write` again, to the app's server; panics unless it is answered.
async fn resend(app: &TestApp, write: &Write) -> Answer {
    match send(&app.client, &app.base, write).await {
        Ok(answer) => answer,
        Err(Failure::Transport(error) | Failure::Refused(error)) => {
            panic!("resending {} ({:?}) failed: {error}", write.key, write.kind)
        }
    }
}

fn assert_same_answer(write: &Write, first: &Answer, again: &Answer) {
    assert_eq!(
        (first.position, first.id.as_deref().or(again.id.as_deref())),
        (again.position, again.id.as_deref()),
        "resending acknowledged {} ({:?}) answered differently",
        write.key,
        write.kind
    );
}

async fn assert_verified(app: &TestApp, program: &str) {
    let output = tokio::process::Command::new(program)
        .args(["verify", "--database-url", &app.database.url])
        .output()
        .await
        .expect("running fundledger verify");
    assert!(
        output.status.success(),
        "verify failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn money(value: &Value) -> Decimal {
    Decimal::from_str(
        value
            .as_str()
            .unwrap_or_else(|| panic!("money, got {value}")),
    )
    .unwrap_or_else(|_| panic!("money, got {value}"))
}

/// The load's part of the read models (funds named with its tag), or what it should be.
#[derive(Debug, Default, PartialEq)]
struct World {
    funds: BTreeMap<String, FundFigures>,
}

#[derive(Debug, Default, PartialEq)]
struct FundFigures {
    name: String,
    capital_received: Decimal,
    allocated: Decimal,
    awarded: Decimal,
    rounds: BTreeMap<String, RoundFigures>,
}

#[derive(Debug, Default, PartialEq)]
struct RoundFigures {
    budget: Decimal,
    awarded: Decimal,
    /// Application id → amount requested and, once approved, (award id, amount).
    applications: BTreeMap<String, (Decimal, Option<(String, Decimal)>)>,
}

const WORLD_QUERY: &str = "{ funds { id name position { capitalReceived allocated awarded }
    rounds { id budget awarded applications { id amountRequested status awardId approvedAmount } } } }";

impl World {
    /// Reads the load's funds; panics if any fund, round or application is listed twice.
    async fn read(app: &TestApp, admin: &str, tag: &str) -> World {
        let reply = app.gql(Some(admin), WORLD_QUERY, json!({})).await.ok();
        let mut world = World::default();
        let prefix = format!("{tag} ");
        let funds = reply.data()["funds"].as_array().expect("funds").clone();
        for fund in funds.iter().filter(|fund| {
            fund["name"]
                .as_str()
                .is_some_and(|name| name.starts_with(&prefix))
        }) {
            let id = fund["id"].as_str().expect("fund id").to_string();
            let mut figures = FundFigures {
                name: fund["name"].as_str().expect("name").to_string(),
                capital_received: money(&fund["position"]["capitalReceived"]),
                allocated: money(&fund["position"]["allocated"]),
                awarded: money(&fund["position"]["awarded"]),
                rounds: BTreeMap::new(),
            };
            for round in fund["rounds"].as_array().expect("rounds") {
                let round_id = round["id"].as_str().expect("round id").to_string();
                let mut applications = BTreeMap::new();
                for application in round["applications"].as_array().expect("applications") {
                    let approved = (application["status"] == "APPROVED").then(|| {
                        (
                            application["awardId"].as_str().unwrap_or("").to_string(),
                            money(&application["approvedAmount"]),
                        )
                    });
                    let application_id = application["id"].as_str().expect("id").to_string();
                    let twice = applications
                        .insert(
                            application_id.clone(),
                            (money(&application["amountRequested"]), approved),
                        )
                        .is_some();
                    assert!(!twice, "application {application_id} is listed twice");
                }
                let round_figures = RoundFigures {
                    budget: money(&round["budget"]),
                    awarded: money(&round["awarded"]),
                    applications,
                };
                let twice = figures
                    .rounds
                    .insert(round_id.clone(), round_figures)
                    .is_some();
                assert!(!twice, "round {round_id} is listed twice");
            }
            assert!(
                world.funds.insert(id.clone(), figures).is_none(),
                "fund {id} is listed twice"
            );
        }
        let mut names: Vec<&str> = world.funds.values().map(|f| f.name.as_str()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "a writer's fund was established twice");
        world
    }

    /// The read models the writes should give, each once.
    fn expected(writes: &[(&Write, &Answer)]) -> World {
        let mut world = World::default();
        let id = |write: &Write, answer: &Answer| {
            answer
                .id
                .clone()
                .unwrap_or_else(|| panic!("{} was answered without its id", write.key))
        };
        // The writers' order: a fund before its rounds, a round before its applications.
        for &(write, answer) in writes {
            let fund = world
                .funds
                .entry(write.fund.clone().unwrap_or_else(|| id(write, answer)))
                .or_default();
            let amount = write.amount.unwrap_or_default();
            match write.kind {
                WriteKind::EstablishFund => {
                    fund.name = write.input["name"].as_str().expect("name").to_string()
                }
                WriteKind::ReceiveCapital => fund.capital_received += amount,
                WriteKind::OpenRound => {
                    fund.allocated += amount;
                    fund.rounds.entry(id(write, answer)).or_default().budget = amount;
                }
                WriteKind::SubmitApplication => {
                    let round = fund
                        .rounds
                        .entry(write.round.clone().expect("round"))
                        .or_default();
                    round.applications.entry(id(write, answer)).or_default().0 = amount;
                }
                WriteKind::ApproveApplication => {
                    fund.awarded += amount;
                    let round = fund
                        .rounds
                        .values_mut()
                        .find(|round| {
                            round
                                .applications
                                .contains_key(write.application.as_deref().expect("application"))
                        })
                        .unwrap_or_else(|| panic!("the application {} approves", write.key));
                    round.awarded += amount;
                    round
                        .applications
                        .get_mut(write.application.as_deref().expect("application"))
                        .expect("application")
                        .1 = Some((id(write, answer), amount));
                }
            }
        }
        world
    }
}

/// Before unacknowledged writes are resent: every acknowledged write is there once, and
/// each figure lies between the acknowledged writes' and those plus the unacknowledged.
fn check_bounds(world: &World, acknowledged: &[(&Write, &Answer)], unacknowledged: &[&Write]) {
    let lower = World::expected(acknowledged);
    for (fund_id, low) in &lower.funds {
        let found = world
            .funds
            .get(fund_id)
            .unwrap_or_else(|| panic!("acknowledged fund {fund_id} ({}) is missing", low.name));
        let pending = |kind: WriteKind| -> Decimal {
            unacknowledged
                .iter()
                .filter(|write| write.kind == kind && write.fund.as_deref() == Some(fund_id))
                .filter_map(|write| write.amount)
                .sum()
        };
        for (what, value, least, extra) in [
            (
                "capitalReceived",
                found.capital_received,
                low.capital_received,
                pending(WriteKind::ReceiveCapital),
            ),
            (
                "allocated",
                found.allocated,
                low.allocated,
                pending(WriteKind::OpenRound),
            ),
            (
                "awarded",
                found.awarded,
                low.awarded,
                pending(WriteKind::ApproveApplication),
            ),
        ] {
            assert!(
                least <= value && value <= least + extra,
                "fund {fund_id}'s {what} is {value}: acknowledged writes make {least}, \
                 unacknowledged ones at most {extra} more"
            );
        }
        for (round_id, round) in &low.rounds {
            let found = found
                .rounds
                .get(round_id)
                .unwrap_or_else(|| panic!("acknowledged round {round_id} is missing"));
            assert_eq!(found.budget, round.budget, "round {round_id}'s budget");
            for (application, (requested, approved)) in &round.applications {
                let (found_requested, found_approved) = found
                    .applications
                    .get(application)
                    .unwrap_or_else(|| panic!("acknowledged application {application} is missing"));
                assert_eq!(requested, found_requested, "{application}'s amount");
                if approved.is_some() {
                    assert_eq!(approved, found_approved, "{application}'s approval");
                }
            }
        }
    }
    let unanswered_funds = unacknowledged
        .iter()
        .filter(|write| write.kind == WriteKind::EstablishFund)
        .count();
    assert!(
        world.funds.len() <= lower.funds.len() + unanswered_funds,
        "{} funds, but only {} were asked for",
        world.funds.len(),
        lower.funds.len() + unanswered_funds
    );
}

/// Every approval's award exists once, for its amount.
async fn check_awards(app: &TestApp, admin: &str, writes: &[(&Write, &Answer)]) {
    let approvals: HashMap<&str, Decimal> = writes
        .iter()
        .filter(|(write, _)| write.kind == WriteKind::ApproveApplication)
        .map(|(write, answer)| {
            (
                answer.id.as_deref().expect("an award id"),
                write.amount.expect("amount"),
            )
        })
        .collect();
    for (award, amount) in approvals {
        let reply = app
            .gql(
                Some(admin),
                "query($id: String!) { award(id: $id) { id amount } }",
                json!({ "id": award }),
            )
            .await
            .ok();
        let found = &reply.data()["award"];
        assert!(!found.is_null(), "award {award} is missing");
        assert_eq!(money(&found["amount"]), amount, "award {award}'s amount");
    }
}
