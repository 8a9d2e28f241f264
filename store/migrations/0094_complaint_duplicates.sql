-- Duplicate complaints: the key of each complaint's text (SHA-256 of the text as
-- ``domain.complaint.text_key`` normalises it), so that the same text sent to the same
-- unit again within the policy's window is recognised (the events keep the text itself).

ALTER TABLE complaints ADD COLUMN text_key text;

CREATE INDEX complaints_duplicates ON complaints (agency, unit, text_key, filed_at);
