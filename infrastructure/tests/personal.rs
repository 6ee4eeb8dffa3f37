//! Sealing and erasure against real stores (PostgreSQL and SQLite): texts open with their
//! subject's key, one lookup serves a request, erasure shreds the key and ends every way
//! in, and is idempotent.

use infrastructure::accounts::PersonId;
use infrastructure::personal::{
    display_names, erase_person, erase_subject, is_sealed, seal, unseal_many, Keyring,
    PersonalError, Text,
};
use infrastructure::test_support::TestDatabase;
use infrastructure::Database;

async fn execute(db: &Database, sql: &str) {
    match db {
        Database::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        Database::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
    }
    .unwrap();
}

async fn count(db: &Database, sql: &str) -> i64 {
    match db {
        Database::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        Database::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
    .unwrap()
}

/// A person with a live session, API token, sign-in link, role grant and invitation, made
/// with plain SQL (the accounts functions are another module's to test).
async fn person_with_access(db: &Database, id: &str, email: &str) {
    let statements = [
        format!("INSERT INTO people (person_id, email, name, created_at) VALUES ('{id}', '{email}', 'Pat Panel', 1)"),
        format!("INSERT INTO sessions (session_id, secret_hash, person_id, csrf_token, method, created_at, last_seen_at, expires_at) VALUES ('S-{id}', 'h-{id}', '{id}', 'c', 'link', 1, 1, 99999999999)"),
        format!("INSERT INTO api_tokens (token_id, secret_hash, person_id, name, scopes, created_at, expires_at) VALUES ('T-{id}', 't-{id}', '{id}', 'script', '[]', 1, 99999999999)"),
        format!("INSERT INTO sign_in_links (token_hash, person_id, created_at, expires_at) VALUES ('l-{id}', '{id}', 1, 99999999999)"),
        format!("INSERT INTO role_grants (grant_id, person_id, role, scope, granted_by, granted_at) VALUES ('G-{id}', '{id}', 'panel', 'RND-1', 'person:P-officer', 1)"),
        format!("INSERT INTO invitations (invitation_id, token_hash, email, role, scope, invited_by, created_at, expires_at) VALUES ('I-{id}', 'i-{id}', '{email}', 'panel', 'RND-1', 'person:P-officer', 1, 99999999999)"),
    ];
    for statement in statements {
        execute(db, &statement).await;
    }
}

async fn stores() -> Vec<TestDatabase> {
    vec![
        TestDatabase::sqlite().await.unwrap(),
        TestDatabase::postgres().await.unwrap(),
    ]
}

#[tokio::test]
async fn sealed_texts_open_until_their_subject_is_erased() {
    for store in stores().await {
        let db = &store.database;
        let panel = seal(db, "person:P-panel", "She was rude to me")
            .await
            .unwrap();
        let grantee = seal(db, "grantee:GB-CHC-1:sub", "Our chair, Ann")
            .await
            .unwrap();
        assert!(is_sealed(&panel) && !panel.contains("rude"));
        assert_eq!(seal(db, "person:P-panel", "").await.unwrap(), "");

        let keyring = Keyring::default();
        let texts = keyring
            .unseal_many(db, &[&panel, "plain words", &grantee])
            .await
            .unwrap();
        assert_eq!(
            texts,
            vec![
                Text::Open("She was rude to me".into()),
                Text::Plain("plain words".into()),
                Text::Open("Our chair, Ann".into()),
            ]
        );

        erase_subject(db, "person:P-panel", "operator")
            .await
            .unwrap_err();
        erase_subject(db, "grantee:GB-CHC-1:sub", "operator")
            .await
            .unwrap();
        assert!(matches!(
            erase_subject(db, "grantee:GB-CHC-9:nobody", "operator").await,
            Err(PersonalError::NotFound(_))
        ));
        let again = erase_subject(db, "grantee:GB-CHC-1:sub", "operator")
            .await
            .unwrap();
        assert!(again.already_erased);
        let texts = unseal_many(db, &[&panel, &grantee]).await.unwrap();
        assert_eq!(
            texts,
            vec![Text::Open("She was rude to me".into()), Text::Erased]
        );
        // A request's keyring keeps what it read; the next request sees the erasure.
        assert_eq!(
            keyring.unseal(db, &grantee).await.unwrap(),
            Text::Open("Our chair, Ann".into())
        );
        assert!(matches!(
            seal(db, "grantee:GB-CHC-1:sub", "more").await,
            Err(PersonalError::SubjectErased(_))
        ));
    }
}

#[tokio::test]
async fn erasing_a_person_shreds_their_key_and_ends_every_way_in() {
    for store in stores().await {
        let db = &store.database;
        person_with_access(db, "P-panel", "pat@example.org").await;
        person_with_access(db, "P-other", "other@example.org").await;
        let comment = seal(db, "person:P-panel", "Pat's comment").await.unwrap();
        let other = seal(db, "person:P-other", "Other's comment").await.unwrap();

        let person = PersonId::new("P-panel");
        let erasure = erase_person(db, &person, "person:P-owner").await.unwrap();
        assert!(!erasure.already_erased);
        assert_eq!(
            (
                erasure.sessions_ended,
                erasure.api_tokens_revoked,
                erasure.roles_revoked
            ),
            (1, 1, 1)
        );
        assert_eq!(erasure.invitations_cleared, 1);

        let texts = unseal_many(db, &[&comment, &other]).await.unwrap();
        assert_eq!(
            texts,
            vec![Text::Erased, Text::Open("Other's comment".into())]
        );
        let live = |table: &str, column: &str| {
            format!("SELECT COUNT(*) FROM {table} WHERE person_id = 'P-panel' AND {column} IS NULL")
        };
        assert_eq!(count(db, &live("sessions", "ended_at")).await, 0);
        assert_eq!(count(db, &live("api_tokens", "revoked_at")).await, 0);
        assert_eq!(count(db, &live("sign_in_links", "used_at")).await, 0);
        assert_eq!(count(db, &live("role_grants", "revoked_at")).await, 0);
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM role_grants WHERE revoked_by = 'person:P-owner'"
            )
            .await,
            1
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM people WHERE person_id = 'P-panel' AND name IS NULL AND email IS NULL AND erased_at IS NOT NULL").await,
            1
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM invitations WHERE email = 'pat@example.org'"
            )
            .await,
            0
        );
        // The other person keeps everything.
        assert_eq!(
            count(
                db,
                &live("sessions", "ended_at").replace("P-panel", "P-other")
            )
            .await,
            1
        );

        // Shown by name until erased, then as erased; scores record the bare id.
        let names = display_names(db, &["P-panel", "person:P-other", "operator-sub"])
            .await
            .unwrap();
        assert_eq!(names["P-panel"], "[erased person]");
        assert_eq!(names["person:P-other"], "Pat Panel");
        assert_eq!(names["operator-sub"], "operator-sub");

        let again = erase_person(db, &person, "person:P-owner").await.unwrap();
        assert!(again.already_erased);
        assert_eq!(again.roles_revoked, 0);
        assert!(matches!(
            erase_person(db, &PersonId::new("P-nobody"), "operator").await,
            Err(PersonalError::NotFound(_))
        ));
    }
}
