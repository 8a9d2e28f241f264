-- An agency's settings (domain.settings): its zone and the days a complaint must be
-- answered in; NULL is the policy's value. The read model of the stream
-- settings-<agency> (each change an event: who changed what), written in the same
-- transaction as its event (store.settings). The HR addresses stay in
-- agency_hr_contacts (0064), written by the same transaction: ``email`` holds every
-- address, separated by ", " (an e-mail header's list).

CREATE TABLE agency_settings (
    agency                  text        COLLATE "C" PRIMARY KEY,
    utc_offset_hours        smallint    CHECK (utc_offset_hours IN (7, 8, 9)),
    complaint_response_days integer     CHECK (complaint_response_days BETWEEN 1 AND 365),
    hr_contacts             text[]      NOT NULL DEFAULT '{}',
    version                 integer     NOT NULL,
    updated_at              timestamptz NOT NULL,
    updated_by              text        NOT NULL
);

GRANT SELECT, INSERT, UPDATE ON agency_settings TO kinerja_app;
