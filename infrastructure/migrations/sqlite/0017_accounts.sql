-- People, their scoped roles, and how they sign in (issue 13). None of this is in the
-- event log: it is mutable and erasable (UK GDPR), where the log is immutable. The log
-- names a person only by the opaque `person_id` (actor `person:{id}`).
-- Times are unix seconds. Secrets (links, sessions, API tokens) are stored only as the
-- hex SHA-256 of what the person holds.

CREATE TABLE people
(
    person_id  TEXT   NOT NULL PRIMARY KEY,
    -- Lower-cased; NULL once erased.
    email      TEXT UNIQUE,
    -- NULL once erased.
    name       TEXT,
    created_at BIGINT NOT NULL,
    erased_at  BIGINT
);

CREATE TABLE organisations
(
    org_id     TEXT   NOT NULL PRIMARY KEY,
    name       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

-- role: owner (scope ''), officer (scope fund id), panel (scope round id),
-- member (scope org id). A revoked grant stays as the record of who had access when.
CREATE TABLE role_grants
(
    grant_id   TEXT   NOT NULL PRIMARY KEY,
    person_id  TEXT   NOT NULL REFERENCES people (person_id),
    role       TEXT   NOT NULL,
    scope      TEXT   NOT NULL,
    granted_by TEXT   NOT NULL,
    granted_at BIGINT NOT NULL,
    revoked_by TEXT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX role_grants_live ON role_grants (person_id, role, scope) WHERE revoked_at IS NULL;
CREATE INDEX role_grants_scope ON role_grants (role, scope);

CREATE TABLE invitations
(
    invitation_id TEXT   NOT NULL PRIMARY KEY,
    token_hash    TEXT   NOT NULL UNIQUE,
    email         TEXT,
    role          TEXT   NOT NULL,
    scope         TEXT   NOT NULL,
    invited_by    TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    accepted_at   BIGINT,
    accepted_by   TEXT,
    withdrawn_at  BIGINT,
    withdrawn_by  TEXT
);
CREATE INDEX invitations_scope ON invitations (role, scope);

CREATE TABLE sign_in_links
(
    token_hash TEXT   NOT NULL PRIMARY KEY,
    person_id  TEXT   NOT NULL REFERENCES people (person_id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE TABLE sessions
(
    session_id   TEXT   NOT NULL PRIMARY KEY,
    secret_hash  TEXT   NOT NULL UNIQUE,
    person_id    TEXT   NOT NULL REFERENCES people (person_id),
    csrf_token   TEXT   NOT NULL,
    method       TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    ended_at     BIGINT
);
CREATE INDEX sessions_person ON sessions (person_id);

CREATE TABLE api_tokens
(
    token_id     TEXT   NOT NULL PRIMARY KEY,
    secret_hash  TEXT   NOT NULL UNIQUE,
    person_id    TEXT   NOT NULL REFERENCES people (person_id),
    name         TEXT   NOT NULL,
    -- JSON array of {role, scope} the token may use ([] = every role the person holds),
    -- always narrowed to the roles the person holds at the time of each request.
    scopes       TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_person ON api_tokens (person_id);

-- Fixed-window counters shared by every server process on the store.
CREATE TABLE throttle_counters
(
    bucket       TEXT    NOT NULL,
    window_start BIGINT  NOT NULL,
    hits         BIGINT  NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- One key per data subject (an actor such as `person:{id}`); personal free text in the
-- log is sealed with it. Erasure deletes the key (crypto-shredding); the row stays.
CREATE TABLE subject_keys
(
    subject    TEXT   NOT NULL PRIMARY KEY,
    key_hex    TEXT,
    created_at BIGINT NOT NULL,
    erased_at  BIGINT
);
