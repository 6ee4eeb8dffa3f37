//! Accounts on both stores (issue 13): people, scoped grants, invitations, sign-in links,
//! sessions, API tokens, principals and throttling, against real PostgreSQL and SQLite
//! files and the real clock (expiries are waited out, never faked).

use std::time::Duration;

use domain::{FundId, OrgId, RoundId};
use infrastructure::accounts::{
    api_tokens, grants, invitations, links, people, principal, sessions, throttle, AccountError,
    Credential, PersonId, RoleKind, ScopedRole, SessionLimits, ThrottleRule, API_TOKEN_PREFIX,
};
use infrastructure::test_support::TestDatabase;
use infrastructure::Database;

/// One test per store for each scenario below.
macro_rules! on_both_stores {
    ($($scenario:ident),* $(,)?) => {
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                super::$scenario("postgres").await
            })*
        }
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                super::$scenario("sqlite").await
            })*
        }
    };
}

on_both_stores!(
    people_are_found_or_made_once_by_their_normalised_email,
    bad_names_and_emails_are_refused_and_change_nothing,
    a_grant_is_idempotent_and_a_revoked_grant_is_refused_at_once,
    the_last_owner_cannot_be_removed,
    an_invitation_grants_its_role_once,
    an_expired_or_withdrawn_invitation_is_refused,
    two_racing_accepts_one_wins,
    a_sign_in_link_signs_in_once_and_expires,
    two_racing_uses_of_a_sign_in_link_one_wins,
    a_session_ends_by_sign_out_idleness_or_age,
    a_session_notes_its_use_at_most_once_a_minute,
    an_api_token_is_narrowed_to_its_scopes_and_revocable,
    an_api_token_refuses_long_lives_bad_names_and_roles_not_held,
    an_api_token_expires,
    an_erased_person_has_no_principal,
    throttle_refuses_past_the_limit_until_the_window_ends,
);

async fn store(kind: &str) -> TestDatabase {
    TestDatabase::of_kind(kind)
        .await
        .expect("a fresh test database")
}

async fn execute(db: &Database, sql: &str) {
    match db {
        Database::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        Database::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
    }
    .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

async fn count(db: &Database, sql: &str) -> i64 {
    match db {
        Database::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        Database::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
    .unwrap_or_else(|error| panic!("{sql}: {error}"))
}

async fn person(db: &Database, email: &str) -> PersonId {
    people::find_or_create_person(db, email, None)
        .await
        .unwrap()
        .id
}

fn fund(id: &str) -> ScopedRole {
    ScopedRole::officer(&FundId::new(id))
}

fn round(id: &str) -> ScopedRole {
    ScopedRole::panel(&RoundId::new(id))
}

fn org(id: &str) -> ScopedRole {
    ScopedRole::member(&OrgId::new(id))
}

const OFFICER: &str = "person:P-officer";

async fn people_are_found_or_made_once_by_their_normalised_email(kind: &str) {
    let test = store(kind).await;
    let db = &test.database;
    let made = people::find_or_create_person(db, " Ada@Example.ORG ", Some("Ada Lovelace"))
        .await
        .unwrap();
    assert_eq!(made.email.as_deref(), Some("ada@example.org"));
    assert_eq!(made.display_name(), "Ada Lovelace");
    assert!(made.id.as_str().starts_with("P-"));
    let again = people::find_or_create_person(db, "ada@example.org", Some("Someone Else"))
        .await
        .unwrap();
    assert_eq!(
        again, made,
        "the second call finds the first person, unrenamed"
    );
    let unnamed = people::find_or_create_person(db, "grace.h@example.org", None)
        .await
        .unwrap();
    assert_eq!(unnamed.name.as_deref(), Some("grace.h"));
    let by_email = people::person_by_email(db, "ADA@example.org")
        .await
        .unwrap();
    assert_eq!(by_email.as_ref(), Some(&made));
    assert_eq!(
        people::person_by_email(db, "nobody@example.org")
            .await
            .unwrap(),
        None
    );
    people::rename_person(db, &made.id, "Augusta Ada King")
        .await
        .unwrap();
    let ids = [
        made.id.clone(),
        unnamed.id.clone(),
        PersonId::new("P-missing"),
    ];
    let found = people::people_by_id(db, &ids).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[&made.id].display_name(), "Augusta Ada King");
    let org_id = OrgId::new("GB-CHC-1234567");
    people::upsert_organisation(db, &org_id, "Riverside Trust")
        .await
        .unwrap();
    people::upsert_organisation(db, &org_id, "Riverside Community Trust")
        .await
        .unwrap();
    let organisation = people::organisation(db, &org_id).await.unwrap().unwrap();
    assert_eq!(organisation.name, "Riverside Community Trust");
    assert_eq!(
        people::organisation(db, &OrgId::new("GB-CHC-0"))
            .await
            .unwrap(),
        None
    );
}

async fn bad_names_and_emails_are_refused_and_change_nothing(kind: &str) {
    let test = store(kind).await;
    let db = &test.database;
    for email in [
        "",
        "no-at-sign",
        "a@b",
        "a b@example.org",
        "@example.org",
        "a@@b.org",
    ] {
        let refused = people::find_or_create_person(db, email, None).await;
        assert!(
            matches!(refused, Err(AccountError::Invalid(_))),
            "{email:?}: {refused:?}"
        );
    }
    for name in ["", "   ", "two\nlines", "\u{202E}reversed"] {
        let refused = people::find_or_create_person(db, "x@example.org", Some(name)).await;
        assert!(
            matches!(refused, Err(AccountError::Invalid(_))),
            "{name:?}: {refused:?}"
        );
    }
    let invite = invitations::invite(db, "not an email", &fund("f1"), OFFICER, 60).await;
    assert!(matches!(invite, Err(AccountError::Invalid(_))));
    let scoped_owner = ScopedRole {
        role: RoleKind::Owner,
        scope: "f1".into(),
    };
    let invite = invitations::invite(db, "y@example.org", &scoped_owner, OFFICER, 60).await;
    assert!(
        matches!(invite, Err(AccountError::Invalid(_))),
        "{invite:?}"
    );
    let invite = invitations::invite(db, "y@example.org", &fund(""), OFFICER, 60).await;
    assert!(
        matches!(invite, Err(AccountError::Invalid(_))),
        "{invite:?}"
    );
    assert_eq!(count(db, "SELECT COUNT(*) FROM people").await, 0);
    assert_eq!(count(db, "SELECT COUNT(*) FROM invitations").await, 0);
    let ada = person(db, "ada@example.org").await;
    let rename = people::rename_person(db, &ada, "bad\rname").await;
    assert!(matches!(rename, Err(AccountError::Invalid(_))));
    assert_eq!(
        people::person(db, &ada)
            .await
            .unwrap()
            .unwrap()
            .name
            .as_deref(),
        Some("ada")
    );
    let missing = people::rename_person(db, &PersonId::new("P-none"), "Name").await;
    assert!(matches!(missing, Err(AccountError::NotFound(_))));
}

async fn a_grant_is_idempotent_and_a_revoked_grant_is_refused_at_once(kind: &str) {
    let test = store(kind).await;
    let db = &test.database;
    let ada = person(db, "ada@example.org").await;
    assert!(grants::grant_role(db, &ada, &fund("f1"), OFFICER)
        .await
        .unwrap());
    assert!(!grants::grant_role(db, &ada, &fund("f1"), OFFICER)
        .await
        .unwrap());
    assert!(grants::grant_role(db, &ada, &round("r1"), OFFICER)
        .await
        .unwrap());
    assert_eq!(count(db, "SELECT COUNT(*) FROM role_grants").await, 2);
    let session = sessions::start_session(db, &ada, "email", SessionLimits::default())
        .await
        .unwrap();
    let (before, _) =
        principal::principal_for_session(db, &session.secret, SessionLimits::default())
            .await
            .unwrap()
            .unwrap();
    assert!(before.roles.is_officer_of(&FundId::new("f1")));
    assert!(!before.roles.is_officer_of(&FundId::new("f2")));
    assert!(before.roles.is_panel_of(&RoundId::new("r1")));
    let holders = grants::holders(db, RoleKind::Officer, "f1").await.unwrap();
    assert_eq!(holders.len(), 1);
    assert_eq!(holders[0].person.id, ada);
    assert_eq!(holders[0].granted_by, OFFICER);
    assert!(grants::revoke_role(db, &ada, &fund("f1"), OFFICER)
        .await
        .unwrap());
    assert!(!grants::revoke_role(db, &ada, &fund("f1"), OFFICER)
        .await
        .unwrap());
    let (after, _) =
        principal::principal_for_session(db, &session.secret, SessionLimits::default())
            .await
            .unwrap()
            .unwrap();
    assert!(
        !after.roles.is_officer_of(&FundId::new("f1")),
        "refused at once"
    );
    assert!(after.roles.is_panel_of(&RoundId::new("r1")));
    assert!(grants::holders(db, RoleKind::Officer, "f1")
        .await
        .unwrap()
        .is_empty());
    // Granted again after removal: a new live grant beside the revoked record.
    assert!(grants::grant_role(db, &ada, &fund("f1"), OFFICER)
        .await
        .unwrap());
    assert_eq!(count(db, "SELECT COUNT(*) FROM role_grants").await, 3);
    let unknown = grants::grant_role(db, &PersonId::new("P-none"), &fund("f1"), OFFICER).await;
    assert!(
        matches!(unknown, Err(AccountError::NotFound(_))),
        "{unknown:?}"
    );
}

async fn the_last_owner_cannot_be_removed(kind: &str) {
    let test = store(kind).await;
    let db = &test.database;
    assert!(!grants::has_owner(db).await.unwrap());
    let ada = person(db, "ada@example.org").await;
    let grace = person(db, "grace@example.org").await;
    grants::grant_role(db, &ada, &ScopedRole::owner(), "operator")
        .await
        .unwrap();
    assert!(grants::has_owner(db).await.unwrap());
    let refused = grants::revoke_role(db, &ada, &ScopedRole::owner(), OFFICER).await;
    assert!(
        matches!(refused, Err(AccountError::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(
        grants::live_roles(db, &ada).await.unwrap(),
        vec![ScopedRole::owner()]
    );
    grants::grant_role(db, &grace, &ScopedRole::owner(), "operator")
        .await
        .unwrap();
    // Two owners removing each other at once: one removal stands, the other is refused.
    let owner = ScopedRole::owner();
    let (first, second) = tokio::join!(
        grants::revoke_role(db, &ada, &owner, "person:grace"),
        grants::revoke_role(db, &grace, &owner, "person:ada"),
    );
    let outcomes = [first, second];
    let removed = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Ok(true)))
        .count();
    let conflicts = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Err(AccountError::Conflict(_))))
        .count();
    assert_eq!((removed, conflicts), (1, 1), "{outcomes:?}");
    assert!(grants::has_owner(db).await.unwrap());
    let owners = "SELECT COUNT(*) FROM role_grants WHERE role = 'owner' AND revoked_at IS NULL";
    assert_eq!(count(db, owners).await, 1);
}

async fn an_invitation_grants_its_role_once(kind: &str) {
    let test = store(kind).await;
    let db = &test.database;
    let sent = invitations::invite(db, "Panel@Example.org", &round("r1"), OFFICER, 3600)
        .await
        .unwrap();
    assert_eq!(sent.token.len(), 43);
    let stored = count(
        db,
        "SELECT COUNT(*) FROM invitations WHERE token_hash = invitation_id",
    )
    .await;
    assert_eq!(stored, 0);
    let open = invitations::open_invitation(db, &sent.token).await.unwrap();
    assert_eq!(open.email.as_deref(), Some("panel@example.org"));
    assert_eq!(open.role, round("r1"));
    let listed = invitations::open_invitations(db, &[round("r1"), round("r2")])
        .await
        .unwrap();
    assert_eq!(listed, vec![open.clone()]);
    assert!(people::person_by_email(db, "panel@example.org")
        .await
        .unwrap()
        .is_none());
    let (member, role) = invitations::accept_invitation(db, &sent.token, Some("Pat Panel"))
        .await
        .unwrap();
    assert_eq!(role, round("r1"));
    assert_eq!(member.display_name(), "Pat Panel");
    assert_eq!(member.email.as_deref(), Some("panel@example.org"));
    assert_eq!(
        grants::live_roles(db, &member.id).await.unwrap(),
        vec![round("r1")]
    );
    let holders = grants::holders(db, RoleKind::Panel, "r1").await.unwrap();
    assert_eq!(holders[0].granted_by, OFFICER, "granted by whoever invited");
    let reused = invitations::accept_invitation(db, &sent.token, None).await;
    assert!(
        matches!(reused, Err(AccountError::AlreadyUsed(_))),
        "{reused:?}"
    );
    let reopened = invitations::open_invitation(db, &sent.token).await;
    assert!(matches!(reopened, Err(AccountError::AlreadyUsed(_))));
    assert!(invitations::open_invitations(db, &[round("r1")])
        .await
        .unwrap()
        .is_empty());
    let accepted = invitations::invitation(db, &sent.invitation_id)
        .await
        .unwrap()
        .unwrap();
    assert!(accepted.accepted_at.is_some());
    // An existing person accepting keeps their name and gains the role.
    let second = invitations::invite(db, "panel@example.org", &org("GB-CHC-1"), OFFICER, 3600)
        .await
        .unwrap();
    let (same, _) = invitations::accept_invitation(db, &second.token, Some("Other Name"))
        .await
        .unwrap();
    assert_eq!(same.id, member.id);
    assert_eq!(same.display_name(), "Pat Panel");
    assert_eq!(grants::live_roles(db, &member.id).await.unwrap().len(), 2);
    let unknown = invitations::accept_invitation(db, "no-such-token", None).await;
    assert!(
        matches!(unknown, Err(AccountError::NotFound(_))),
        "{unknown:?}"
    );
}

async fn an_expired_or_withdrawn_invitation_is_refused(kind: &str) {
    let test = store(kind).await;
    let db = &test.database;
    let short = invitations::invite(db, "late@example.org", &fund("f1"), OFFICER, 1)
        .await
        .unwrap();
    let withdrawn = invitations::invite(db, "gone@example.org", &fund("f1"), OFFICER, 3600)
        .await
        .unwrap();
    let back = invitations::withdraw_invitation(db, &withdrawn.invitation_id, OFFICER)
        .await
        .unwrap();
    assert!(back.withdrawn_at.is_some());
    let again = invitations::withdraw_invitation(db, &withdrawn.invitation_id, OFFICER).await;
    assert!(
        matches!(again, Err(AccountError::Withdrawn(_))),
        "{again:?}"
    );
    let refused = invitations::accept_invitation(db, &withdrawn.token, None).await;
    assert!(
        matches!(refused, Err(AccountError::Withdrawn(_))),
        "{refused:?}"
    );
    let missing = invitations::withdraw_invitation(db, "I-none", OFFICER).await;
    assert!(matches!(missing, Err(AccountError::NotFound(_))));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let expired = invitations::accept_invitation(db, &short.token, None).await;
    assert!(
        matches!(expired, Err(AccountError::Expired(_))),
        "{expired:?}"
    );
    let opened = invitations::open_invitation(db, &short.token).await;
    assert!(matches!(opened, Err(AccountError::Expired(_))));
    assert!(invitations::open_invitations(db, &[fund("f1")])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(count(db, "SELECT COUNT(*) FROM people").await, 0);
    assert_eq!(count(db, "SELECT COUNT(*) FROM role_grants").await, 0);
    let long = invitations::invite(db, "x@example.org", &fund("f1"), OFFICER, 365 * 86_400).await;
    assert!(matches!(long, Err(AccountError::Invalid(_))));
}

async fn two_racing_accepts_one_wins(kind: &str) {
    let test = store(kind).await;
    let db = test.database.clone();
    for attempt in 0..5 {
        let email = format!("racer{attempt}@example.org");
        let sent = invitations::invite(&db, &email, &fund("f1"), OFFICER, 3600)
            .await
            .unwrap();
        let (db1, db2) = (db.clone(), db.clone());
        let (token1, token2) = (sent.token.clone(), sent.token.clone());
        let first = tokio::spawn(async move {
            invitations::accept_invitation(&db1, &token1, Some("First")).await
        });
        let second = tokio::spawn(async move {
            invitations::accept_invitation(&db2, &token2, Some("Second")).await
        });
        let outcomes = [first.await.unwrap(), second.await.unwrap()];
        let won = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
        let lost = outcomes
            .iter()
            .filter(|outcome| matches!(outcome, Err(AccountError::AlreadyUsed(_))))
            .count();
        assert_eq!((won, lost), (1, 1), "{outcomes:?}");
        let grants = format!(
            "SELECT COUNT(*) FROM role_grants g JOIN people p ON p.person_id = g.person_id \
             WHERE p.email = '{email}'"
        );
        assert_eq!(count(&db, &grants).await, 1);
    }
}

async fn a_sign_in_link_signs_in_once_and_expires(kind: &str) {
    let test = store(kind).await;
    let db = &test.database;
    let none = links::issue_sign_in_link(db, "nobody@example.org", 60)
        .await
        .unwrap();
    assert!(none.is_none());
    let ada = person(db, "ada@example.org").await;
    let (for_whom, secret) = links::issue_sign_in_link(db, "ADA@example.org", 60)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(for_whom.id, ada);
    let hashed = format!("SELECT COUNT(*) FROM sign_in_links WHERE token_hash = '{secret}'");
    assert_eq!(count(db, &hashed).await, 0, "only the hash is stored");
    assert_eq!(
        links::consume_sign_in_link(db, &secret).await.unwrap().id,
        ada
    );
    let again = links::consume_sign_in_link(db, &secret).await;
    assert!(
        matches!(again, Err(AccountError::AlreadyUsed(_))),
        "{again:?}"
    );
    let unknown = links::consume_sign_in_link(db, "not-a-link").await;
    assert!(matches!(unknown, Err(AccountError::NotFound(_))));
    let (_, short) = links::issue_sign_in_link(db, "ada@example.org", 1)
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let expired = links::consume_sign_in_link(db, &short).await;
    assert!(
        matches!(expired, Err(AccountError::Expired(_))),
        "{expired:?}"
    );
    let too_long = links::issue_sign_in_link(db, "ada@example.org", 7 * 86_400).await;
    assert!(matches!(too_long, Err(AccountError::Invalid(_))));
}

async fn two_racing_uses_of_a_sign_in_link_one_wins(kind: &str) {
    let test = store(kind).await;
    let db = test.database.clone();
    person(&db, "ada@example.org").await;
    for _ in 0..5 {
        let (_, secret) = links::issue_sign_in_link(&db, "ada@example.org", 60)
            .await
            .unwrap()
            .unwrap();
        let uses = (0..2).map(|_| {
            let (db, secret) = (db.clone(), secret.clone());
            tokio::spawn(async move { links::consume_sign_in_link(&db, &secret).await })
        });
        let outcomes: Vec<_> = futures::future::join_all(uses).await;
        let outcomes: Vec<_> = outcomes.into_iter().map(Result::unwrap).collect();
        let won = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
        let lost = outcomes
            .iter()
            .filter(|outcome| matches!(outcome, Err(AccountError::AlreadyUsed(_))))
            .count();
        assert_eq!((won, lost), (1, 1), "{outcomes:?}");
    }
}

async fn a_session_ends_by_sign_out_idleness_or_age(kind: &str) {
    let test = store(kind).await;
    let db = &test.database;
    let ada = person(db, "ada@example.org").await;
    let limits = SessionLimits::default();
    let first = sessions::start_session(db, &ada, "email", limits)
        .await
        .unwrap();
    let second = sessions::start_session(db, &ada, "oidc", limits)
        .await
        .unwrap();
    assert_ne!(first.secret, first.csrf_token);
    let live = sessions::session_by_secret(db, &first.secret, limits)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (live.person_id.clone(), live.method.as_str()),
        (ada.clone(), "email")
    );
    assert_eq!(live.csrf_token, first.csrf_token);
    let listed = sessions::sessions_of(db, &ada).await.unwrap();
    assert_eq!(listed.len(), 2);
    sessions::end_session(db, &first.session_id).await.unwrap();
    assert!(sessions::session_by_secret(db, &first.secret, limits)
        .await
        .unwrap()
        .is_none());
    assert!(sessions::session_by_secret(db, "unknown", limits)
        .await
        .unwrap()
        .is_none());
    let third = sessions::start_session(db, &ada, "email", limits)
        .await
        .unwrap();
    assert_eq!(sessions::end_all_sessions(db, &ada).await.unwrap(), 2);
    for secret in [&second.secret, &third.secret] {
        assert!(sessions::session_by_secret(db, secret, limits)
            .await
            .unwrap()
            .is_none());
    }
    assert!(sessions::sessions_of(db, &ada).await.unwrap().is_empty());
    let idle = SessionLimits {
        idle_seconds: 1,
        absolute_seconds: 3600,
    };
    let aged = SessionLimits {
        idle_seconds: 3600,
        absolute_seconds: 1,
    };
    let idle_one = sessions::start_session(db, &ada, "email", idle)
        .await
        .unwrap();
    let aged_one = sessions::start_session(db, &ada, "email", aged)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(sessions::session_by_secret(db, &idle_one.secret, idle)
        .await
        .unwrap()
        .is_none());
    assert!(sessions::session_by_secret(db, &aged_one.secret, aged)
        .await
        .unwrap()
        .is_none());
    // The same session under a longer idle limit is still live: idleness alone ended it.
    assert!(sessions::session_by_secret(db, &idle_one.secret, limits)
        .await
        .unwrap()
        .is_some());
}

async fn a_session_notes_its_use_at_most_once_a_minute(kind: &str) {
    let test = store(kind).await;
    let db = &test.database;
    let ada = person(db, "ada@example.org").await;
    let limits = SessionLimits::default();
    let started = sessions::start_session(db, &ada, "email", limits)
        .await
        .unwrap();
    let seen = format!(
        "SELECT last_seen_at FROM sessions WHERE session_id = '{}'",
        started.session_id
    );
    let at_start = count(db, &seen).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    sessions::session_by_secret(db, &started.secret, limits)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        count(db, &seen).await,
        at_start,
        "no write within the minute"
    );
    // A session last seen over a minute ago is noted as seen now.
    let earlier = at_start - 120;
    execute(
        db,
        &format!(
            "UPDATE sessions SET last_seen_at = {earlier} WHERE session_id = '{}'",
            started.session_id
        ),
    )
    .await;
    let noted = sessions::session_by_secret(db, &started.secret, limits)
        .await
        .unwrap()
        .unwrap();
    assert!(noted.last_seen_at > earlier);
    assert_eq!(count(db, &seen).await, noted.last_seen_at);
}

async fn an_api_token_is_narrowed_to_its_scopes_and_revocable(kind: &str) {
    let test = store(kind).await;
    let db = &test.database;
    let ada = person(db, "ada@example.org").await;
    for role in [fund("f1"), fund("f2"), round("r1"), org("GB-CHC-1")] {
        grants::grant_role(db, &ada, &role, OFFICER).await.unwrap();
    }
    let day = 86_400;
    let all = api_tokens::create_api_token(db, &ada, "nightly export", &[], day)
        .await
        .unwrap();
    assert!(all.secret.starts_with(API_TOKEN_PREFIX));
    assert_eq!(all.secret.len(), API_TOKEN_PREFIX.len() + 43);
    let narrow = api_tokens::create_api_token(db, &ada, "f1 only", &[fund("f1")], day)
        .await
        .unwrap();
    let whole = principal::principal_for_api_token(db, &all.secret)
        .await
        .unwrap()
        .unwrap();
    assert!(whole.roles.is_officer_of(&FundId::new("f2")));
    assert!(whole.roles.is_member_of(&OrgId::new("GB-CHC-1")));
    assert_eq!(
        whole.credential,
        Credential::ApiToken {
            token_id: all.token.token_id.clone()
        }
    );
    let one = principal::principal_for_api_token(db, &narrow.secret)
        .await
        .unwrap()
        .unwrap();
    assert!(one.roles.is_officer_of(&FundId::new("f1")));
    assert!(!one.roles.is_officer_of(&FundId::new("f2")));
    assert!(!one.roles.is_panel_of(&RoundId::new("r1")));
    assert!(one.roles.member_of.is_empty());
    // A role removed from the person leaves every token at once.
    grants::revoke_role(db, &ada, &fund("f1"), OFFICER)
        .await
        .unwrap();
    let one = principal::principal_for_api_token(db, &narrow.secret)
        .await
        .unwrap()
        .unwrap();
    assert!(one.roles.is_empty(), "{:?}", one.roles);
    let listed = api_tokens::api_tokens_of(db, &ada).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].token_id, narrow.token.token_id, "newest first");
    assert_eq!(listed[0].scopes, vec![fund("f1")]);
    assert!(listed[1].last_used_at.is_some());
    let grace = person(db, "grace@example.org").await;
    let theirs = api_tokens::revoke_api_token(db, &grace, &all.token.token_id).await;
    assert!(
        matches!(theirs, Err(AccountError::NotFound(_))),
        "{theirs:?}"
    );
    assert!(principal::principal_for_api_token(db, &all.secret)
        .await
        .unwrap()
        .is_some());
    api_tokens::revoke_api_token(db, &ada, &all.token.token_id)
        .await
        .unwrap();
    assert!(principal::principal_for_api_token(db, &all.secret)
        .await
        .unwrap()
        .is_none());
    api_tokens::revoke_api_token(db, &ada, &all.token.token_id)
        .await
        .unwrap();
    let revoked = api_tokens::api_tokens_of(db, &ada).await.unwrap();
    assert!(revoked[1].revoked_at.is_some());
    let bare = all.secret.trim_start_matches(API_TOKEN_PREFIX);
    assert!(api_tokens::api_token_by_secret(db, bare)
        .await
        .unwrap()
        .is_none());
}

async fn an_api_token_refuses_long_lives_bad_names_and_roles_not_held(kind: &str) {
    let test = store(kind).await;
    let db = &test.database;
    let ada = person(db, "ada@example.org").await;
    grants::grant_role(db, &ada, &fund("f1"), OFFICER)
        .await
        .unwrap();
    let too_long = api_tokens::MAX_API_TOKEN_TTL_SECONDS + 1;
    let refused = [
        api_tokens::create_api_token(db, &ada, "script", &[], too_long).await,
        api_tokens::create_api_token(db, &ada, "script", &[], 0).await,
        api_tokens::create_api_token(db, &ada, "", &[], 60).await,
        api_tokens::create_api_token(db, &ada, "two\nlines", &[], 60).await,
        api_tokens::create_api_token(db, &ada, "script", &[fund("f2")], 60).await,
        api_tokens::create_api_token(db, &ada, "script", &[ScopedRole::owner()], 60).await,
    ];
    for outcome in &refused {
        assert!(
            matches!(outcome, Err(AccountError::Invalid(_))),
            "{outcome:?}"
        );
    }
    let nobody = api_tokens::create_api_token(db, &PersonId::new("P-x"), "s", &[], 60).await;
    assert!(matches!(nobody, Err(AccountError::NotFound(_))));
    assert_eq!(count(db, "SELECT COUNT(*) FROM api_tokens").await, 0);
    let longest = api_tokens::MAX_API_TOKEN_TTL_SECONDS;
    api_tokens::create_api_token(db, &ada, "yearly", &[fund("f1")], longest)
        .await
        .unwrap();
    // An owner may scope a token to a single fund: officer of that fund only.
    grants::grant_role(db, &ada, &ScopedRole::owner(), "operator")
        .await
        .unwrap();
    let one_fund = api_tokens::create_api_token(db, &ada, "f9", &[fund("f9")], 60)
        .await
        .unwrap();
    let roles = principal::principal_for_api_token(db, &one_fund.secret)
        .await
        .unwrap()
        .unwrap()
        .roles;
    assert!(roles.is_officer_of(&FundId::new("f9")));
    assert!(!roles.is_officer_of(&FundId::new("f1")));
    assert!(!roles.can_create_funds());
}

async fn an_api_token_expires(kind: &str) {
    let test = store(kind).await;
    let db = &test.database;
    let ada = person(db, "ada@example.org").await;
    let token = api_tokens::create_api_token(db, &ada, "brief", &[], 1)
        .await
        .unwrap();
    assert!(principal::principal_for_api_token(db, &token.secret)
        .await
        .unwrap()
        .is_some());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(principal::principal_for_api_token(db, &token.secret)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        api_tokens::api_tokens_of(db, &ada).await.unwrap().len(),
        1,
        "still listed"
    );
}

async fn an_erased_person_has_no_principal(kind: &str) {
    let test = store(kind).await;
    let db = &test.database;
    let ada = person(db, "ada@example.org").await;
    grants::grant_role(db, &ada, &fund("f1"), OFFICER)
        .await
        .unwrap();
    let limits = SessionLimits::default();
    let session = sessions::start_session(db, &ada, "email", limits)
        .await
        .unwrap();
    let token = api_tokens::create_api_token(db, &ada, "script", &[], 3600)
        .await
        .unwrap();
    let (_, link) = links::issue_sign_in_link(db, "ada@example.org", 60)
        .await
        .unwrap()
        .unwrap();
    let (signed_in, _) = principal::principal_for_session(db, &session.secret, limits)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(signed_in.person.id, ada);
    assert_eq!(
        signed_in.credential,
        Credential::Session {
            session_id: session.session_id.clone(),
            csrf_token: session.csrf_token.clone()
        }
    );
    execute(
        db,
        &format!(
            "UPDATE people SET erased_at = 1, name = NULL, email = NULL WHERE person_id = '{ada}'"
        ),
    )
    .await;
    assert!(
        principal::principal_for_session(db, &session.secret, limits)
            .await
            .unwrap()
            .is_none()
    );
    assert!(principal::principal_for_api_token(db, &token.secret)
        .await
        .unwrap()
        .is_none());
    let link = links::consume_sign_in_link(db, &link).await;
    assert!(matches!(link, Err(AccountError::NotFound(_))), "{link:?}");
    let erased = people::person(db, &ada).await.unwrap().unwrap();
    assert_eq!(erased.display_name(), people::ERASED_PERSON);
    let regrant = grants::grant_role(db, &ada, &fund("f2"), OFFICER).await;
    assert!(matches!(regrant, Err(AccountError::NotFound(_))));
}

/// Sleeps until just after the next multiple of `window` seconds on the real clock, so a
/// burst of hits falls in one window.
async fn start_of_next_window(window: i64) {
    let now = chrono::Utc::now();
    let millis = now.timestamp_millis();
    let wait = window * 1000 - millis.rem_euclid(window * 1000) + 50;
    tokio::time::sleep(Duration::from_millis(wait as u64)).await;
}

async fn throttle_refuses_past_the_limit_until_the_window_ends(kind: &str) {
    let test = store(kind).await;
    let db = &test.database;
    let rule = ThrottleRule {
        limit: 3,
        window_seconds: 2,
    };
    let what = "sign-in requests from this address";
    start_of_next_window(rule.window_seconds).await;
    for _ in 0..3 {
        throttle::hit(db, "sign-in:ip:192.0.2.1", rule, what)
            .await
            .unwrap();
    }
    let refused = throttle::hit(db, "sign-in:ip:192.0.2.1", rule, what).await;
    match &refused {
        Err(AccountError::Throttled {
            what: said,
            retry_after_seconds,
        }) => {
            assert_eq!(said, what);
            assert!(
                (1..=2).contains(retry_after_seconds),
                "{retry_after_seconds}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let message = refused.unwrap_err().to_string();
    assert!(message.starts_with("too many sign-in requests from this address; try again in"));
    // Another bucket counts on its own.
    throttle::hit(db, "sign-in:email:ada@example.org", rule, what)
        .await
        .unwrap();
    start_of_next_window(rule.window_seconds).await;
    throttle::hit(db, "sign-in:ip:192.0.2.1", rule, what)
        .await
        .unwrap();
    let windows = "SELECT COUNT(*) FROM throttle_counters WHERE bucket = 'sign-in:ip:192.0.2.1'";
    assert_eq!(count(db, windows).await, 1, "the ended window was dropped");
}
