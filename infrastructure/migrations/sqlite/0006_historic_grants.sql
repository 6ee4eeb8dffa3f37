-- Historic grants imported from a funder's published 360Giving data (`fundledger import
-- 360giving`) went through no application or round here, and many name no GSS area; they
-- keep their 360Giving id so a re-export publishes them under it (no duplicates in
-- GrantNav). SQLite cannot drop NOT NULL in place: the table is made again with its
-- indexes, and its rows copied.
CREATE TABLE rm_awards_0006
(
    award_id             text PRIMARY KEY,
    application_id       text,
    fund_id              text    NOT NULL,
    round_id             text,
    recipient_org_id     text    NOT NULL,
    recipient_name       text    NOT NULL,
    title                text    NOT NULL,
    neighbourhood        text,
    themes               text    NOT NULL,
    status               text    NOT NULL,
    awarded_on           text    NOT NULL,
    accepted_on          text,
    closed_on            text,
    awarded_pence        integer NOT NULL,
    paid_pence           integer NOT NULL,
    returned_pence       integer NOT NULL,
    spend_reported_pence integer NOT NULL,
    grant_id             text
) STRICT;

INSERT INTO rm_awards_0006 (award_id, application_id, fund_id, round_id, recipient_org_id,
                            recipient_name, title, neighbourhood, themes, status, awarded_on,
                            accepted_on, closed_on, awarded_pence, paid_pence, returned_pence,
                            spend_reported_pence)
SELECT award_id, application_id, fund_id, round_id, recipient_org_id, recipient_name, title,
       neighbourhood, themes, status, awarded_on, accepted_on, closed_on, awarded_pence,
       paid_pence, returned_pence, spend_reported_pence
  FROM rm_awards;

DROP TABLE rm_awards;
ALTER TABLE rm_awards_0006 RENAME TO rm_awards;

CREATE INDEX rm_awards_neighbourhood ON rm_awards (neighbourhood);
CREATE INDEX rm_awards_fund ON rm_awards (fund_id);
CREATE INDEX rm_awards_round ON rm_awards (round_id);
CREATE INDEX rm_awards_recipient ON rm_awards (recipient_org_id);
