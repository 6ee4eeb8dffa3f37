-- Historic grants imported from a funder's published 360Giving data (`fundledger import
-- 360giving`) went through no application or round here, and many name no GSS area; they
-- keep their 360Giving id so a re-export publishes them under it (no duplicates in
-- GrantNav). Awards made from applications have all three and no grant id.
ALTER TABLE rm_awards ALTER COLUMN application_id DROP NOT NULL;
ALTER TABLE rm_awards ALTER COLUMN round_id DROP NOT NULL;
ALTER TABLE rm_awards ALTER COLUMN neighbourhood DROP NOT NULL;
ALTER TABLE rm_awards ADD COLUMN grant_id text;
