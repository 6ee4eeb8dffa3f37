-- What the 360Giving export publishes beyond the award register's figures (issue 11):
--
-- `modified_on`: the latest business date of an event that changed what the award's
-- 360Giving record says (made or imported, agreement accepted, payment, variation,
-- return, closing), published as `dateModified`. Awards projected before this migration
-- get it from the dates the read models hold (award, acceptance, closing, payments, and
-- the days their awarded or returned figure changed); `fundledger rebuild` computes it
-- from the events, and `fundledger verify` names any row where the two differ. (SQLite
-- adds a NOT NULL column only with a default; every row written sets it.)
--
-- `published_grant`: a historic grant's fields of the 360Giving standard as the funder
-- published them (a JSON object), republished unchanged. NULL for awards made here and
-- for grants imported before the fields were kept.
ALTER TABLE rm_awards ADD COLUMN modified_on text NOT NULL DEFAULT '';
ALTER TABLE rm_awards ADD COLUMN published_grant text;

-- SQLite's max() of several values is NULL if any is: absent dates count as the award date.
UPDATE rm_awards
   SET modified_on = max(
           awarded_on, coalesce(accepted_on, awarded_on), coalesce(closed_on, awarded_on),
           coalesce((SELECT max(d.paid_on) FROM rm_drawdowns d
                      WHERE d.award_id = rm_awards.award_id), awarded_on),
           coalesce((SELECT max(y.day) FROM rm_award_daily y
                      WHERE y.award_id = rm_awards.award_id
                        AND (y.awarded_pence <> 0 OR y.returned_pence <> 0)), awarded_on));
