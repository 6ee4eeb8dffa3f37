-- Read models (issue 3), written only by the projector (projections crate) in the same
-- transaction as its checkpoint. The schema is the same in PostgreSQL and SQLite so one set
-- of queries serves both: money is integer pence (never floats), dates are 'YYYY-MM-DD'
-- text, lists are JSON text. Everything here can be dropped and rebuilt from `events`.

-- One row per fund: the figures of its position now. `allocated` is net of budget
-- released back from rounds; `disbursed` (served) is paid − returned.
CREATE TABLE rm_funds
(
    fund_id         text PRIMARY KEY,
    name            text   NOT NULL,
    funder_org_id   text   NOT NULL,
    funder_name     text   NOT NULL,
    established_on  text   NOT NULL,
    received_pence  bigint NOT NULL,
    allocated_pence bigint NOT NULL,
    awarded_pence   bigint NOT NULL,
    paid_pence      bigint NOT NULL,
    returned_pence  bigint NOT NULL,
    available_pence bigint NOT NULL
);

-- Daily series per fund: the change of each figure on each business date. A position as
-- of a date is the sum of the rows up to it.
CREATE TABLE rm_fund_daily
(
    fund_id         text   NOT NULL,
    day             text   NOT NULL,
    received_pence  bigint NOT NULL,
    allocated_pence bigint NOT NULL,
    awarded_pence   bigint NOT NULL,
    paid_pence      bigint NOT NULL,
    returned_pence  bigint NOT NULL,
    available_pence bigint NOT NULL,
    PRIMARY KEY (fund_id, day)
);

CREATE TABLE rm_rounds
(
    round_id                text PRIMARY KEY,
    fund_id                 text   NOT NULL,
    name                    text   NOT NULL,
    status                  text   NOT NULL,
    opens_on                text   NOT NULL,
    closes_on               text   NOT NULL,
    closed_on               text,
    decision_mode           text   NOT NULL,
    themes                  text   NOT NULL,
    eligible_areas          text   NOT NULL,
    budget_pence            bigint NOT NULL,
    awarded_pence           bigint NOT NULL,
    returned_to_fund_pence  bigint NOT NULL
);
CREATE INDEX rm_rounds_fund ON rm_rounds (fund_id);

CREATE TABLE rm_applications
(
    application_id         text PRIMARY KEY,
    round_id               text   NOT NULL,
    fund_id                text   NOT NULL,
    applicant_org_id       text   NOT NULL,
    applicant_name         text   NOT NULL,
    title                  text   NOT NULL,
    amount_requested_pence bigint NOT NULL,
    neighbourhood          text   NOT NULL,
    themes                 text   NOT NULL,
    status                 text   NOT NULL,
    submitted_on           text   NOT NULL,
    decided_on             text,
    award_id               text,
    approved_pence         bigint
);
CREATE INDEX rm_applications_round ON rm_applications (round_id, status);

-- The award register. Neighbourhood totals are sums over it, rolled up through
-- `geography` at query time, so geography loaded after the awards is still right.
CREATE TABLE rm_awards
(
    award_id             text PRIMARY KEY,
    application_id       text   NOT NULL,
    fund_id              text   NOT NULL,
    round_id             text   NOT NULL,
    recipient_org_id     text   NOT NULL,
    recipient_name       text   NOT NULL,
    title                text   NOT NULL,
    neighbourhood        text   NOT NULL,
    themes               text   NOT NULL,
    status               text   NOT NULL,
    awarded_on           text   NOT NULL,
    accepted_on          text,
    closed_on            text,
    awarded_pence        bigint NOT NULL,
    paid_pence           bigint NOT NULL,
    returned_pence       bigint NOT NULL,
    spend_reported_pence bigint NOT NULL
);
CREATE INDEX rm_awards_neighbourhood ON rm_awards (neighbourhood);
CREATE INDEX rm_awards_fund ON rm_awards (fund_id);
CREATE INDEX rm_awards_round ON rm_awards (round_id);
CREATE INDEX rm_awards_recipient ON rm_awards (recipient_org_id);

CREATE TABLE rm_award_themes
(
    award_id text NOT NULL,
    theme    text NOT NULL,
    PRIMARY KEY (award_id, theme)
);
CREATE INDEX rm_award_themes_theme ON rm_award_themes (theme);

CREATE TABLE rm_drawdowns
(
    award_id     text   NOT NULL,
    drawdown_id  text   NOT NULL,
    amount_pence bigint NOT NULL,
    purpose      text   NOT NULL,
    status       text   NOT NULL,
    requested_on text   NOT NULL,
    decided_on   text,
    paid_on      text,
    payment_ref  text,
    reason       text,
    PRIMARY KEY (award_id, drawdown_id)
);

-- Daily series per award (and so per neighbourhood, fund, round and theme through the
-- award's attributes): the change of awarded, paid and returned on each business date,
-- and spend reported by the end of its period.
CREATE TABLE rm_award_daily
(
    award_id       text   NOT NULL,
    day            text   NOT NULL,
    awarded_pence  bigint NOT NULL,
    paid_pence     bigint NOT NULL,
    returned_pence bigint NOT NULL,
    spend_pence    bigint NOT NULL,
    PRIMARY KEY (award_id, day)
);
CREATE INDEX rm_award_daily_day ON rm_award_daily (day);

-- The hash chain over the global log in commit order: hash = SHA-256(previous || event).
CREATE TABLE ledger_chain
(
    ordinal  bigint PRIMARY KEY,
    position bigint NOT NULL UNIQUE,
    hash     text   NOT NULL
);

INSERT INTO log_checkpoints (reader, txid, position)
VALUES ('projections', '0'::xid8, 0)
ON CONFLICT (reader) DO NOTHING;

-- Wakes the projector when events are written: one notification per statement, so bulk
-- inserts cost one NOTIFY, delivered when the writing transaction commits.
CREATE FUNCTION notify_events_written() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_notify('fundledger_events', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify_projector
    AFTER INSERT ON events
    FOR EACH STATEMENT
EXECUTE FUNCTION notify_events_written();
