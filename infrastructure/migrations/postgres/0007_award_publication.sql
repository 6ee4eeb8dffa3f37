-- What the 360Giving export publishes beyond the award register's figures (issue 11):
--
-- `modified_on`: the latest business date of an event that changed what the award's
-- 360Giving record says (made or imported, agreement accepted, payment, variation,
-- return, closing), published as `dateModified`. Awards projected before this migration
-- get it from the dates the read models hold (award, acceptance, closing, payments, and
-- the days their awarded or returned figure changed); `fundledger rebuild` computes it
-- from the events, and `fundledger verify` names any row where the two differ.
--
-- `published_grant`: a historic grant's fields of the 360Giving standard as the funder
-- published them (a JSON object), republished unchanged. NULL for awards made here and
-- for grants imported before the fields were kept.
ALTER TABLE rm_awards ADD COLUMN modified_on text NOT NULL DEFAULT '';
ALTER TABLE rm_awards ADD COLUMN published_grant text;

UPDATE rm_awards a
   SET modified_on = greatest(
           a.awarded_on, a.accepted_on, a.closed_on,
           (SELECT max(d.paid_on) FROM rm_drawdowns d WHERE d.award_id = a.award_id),
           (SELECT max(y.day) FROM rm_award_daily y
             WHERE y.award_id = a.award_id AND (y.awarded_pence <> 0 OR y.returned_pence <> 0)));

ALTER TABLE rm_awards ALTER COLUMN modified_on DROP DEFAULT;
