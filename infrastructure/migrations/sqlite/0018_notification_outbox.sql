-- Email notifications (issue 14): a transactional outbox. The notifier reads the event
-- log from its checkpoint (`log_checkpoints`, reader 'notifier') and, in ONE transaction,
-- inserts a row per message here and advances that checkpoint: a crash before the commit
-- leaves both as they were, one after leaves both done. The key is the message's
-- identity, (source, kind, person): a second server reading the same events inserts
-- nothing (ON CONFLICT DO NOTHING). Senders claim pending rows with a lease
-- (`claimed_until`, unix seconds, also the earliest next try after a failure), send, and
-- mark them sent; each message carries a Message-ID made from its key, so the one message
-- a crash between sending and marking can send twice is dropped by mail systems.
-- The recipient's address is read when sending (an erased person gets nothing, and no
-- address is kept here). Rows are kept: a sent row is what stops a second copy.
CREATE TABLE notification_outbox
(
    -- `event:{position}` (an event of the log) or `due:{award}:{report}:{date}` (a
    -- report's due date: one message per due date).
    source_key    TEXT   NOT NULL,
    -- application_received, application_approved, application_declined,
    -- drawdown_approved, drawdown_paid, spend_report_due, outcome_report_due.
    kind          TEXT   NOT NULL,
    person_id     TEXT   NOT NULL,
    subject       TEXT   NOT NULL,
    body          TEXT   NOT NULL,
    -- pending, sent, failed (gave up after the last attempt), skipped (no address:
    -- erased).
    state         TEXT   NOT NULL,
    attempts      BIGINT NOT NULL,
    claimed_until BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    sent_at       BIGINT,
    last_error    TEXT,
    PRIMARY KEY (source_key, kind, person_id)
);
CREATE INDEX notification_outbox_pending ON notification_outbox (state, claimed_until);

-- An installation upgraded with events already in its log starts notifying from its
-- head: nobody is mailed about steps taken before notifications existed.
INSERT INTO log_checkpoints (reader, txid, position)
SELECT 'notifier', txid, position
  FROM events
 WHERE true
 ORDER BY position DESC
 LIMIT 1
ON CONFLICT (reader) DO NOTHING;
