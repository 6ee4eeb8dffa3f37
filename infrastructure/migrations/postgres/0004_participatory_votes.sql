-- Participatory rounds (issue 4): public vote counts, folded by the projector like the
-- other read models and rebuilt with them. Ballot codes are never here, not even hashed.

-- One row per PARTICIPATORY round (made when it opens). After `allocated_on` the counts
-- are the tally the allocation recorded, and later ballots no longer change them.
CREATE TABLE rm_round_votes
(
    round_id            text PRIMARY KEY,
    ballot_codes_issued bigint NOT NULL,
    ballots_cast        bigint NOT NULL,
    voting_closed_on    text,
    allocated_on        text
);

-- Votes per application of a participatory round (a row once it has a vote).
CREATE TABLE rm_application_votes
(
    application_id text PRIMARY KEY,
    round_id       text   NOT NULL,
    votes          bigint NOT NULL
);
CREATE INDEX rm_application_votes_round ON rm_application_votes (round_id);
