-- Participatory rounds (issue 4); see the PostgreSQL migration. Same tables, SQLite types.
CREATE TABLE rm_round_votes
(
    round_id            text PRIMARY KEY,
    ballot_codes_issued integer NOT NULL,
    ballots_cast        integer NOT NULL,
    voting_closed_on    text,
    allocated_on        text
) STRICT;

CREATE TABLE rm_application_votes
(
    application_id text PRIMARY KEY,
    round_id       text    NOT NULL,
    votes          integer NOT NULL
) STRICT;
CREATE INDEX rm_application_votes_round ON rm_application_votes (round_id);
