-- ZIPs of a cycle's (or a unit's) documents built in the background by
-- DocumentZipWorkflow (docs/documents.md, *ZIP of a unit or a cycle*). The items are
-- planned once; each written item records where the archive ends after it and its
-- entries, so a build resumed after a crash cuts the file back there and writes every
-- document exactly once.
CREATE TABLE document_zips (
    zip_id       text PRIMARY KEY,
    agency       text NOT NULL,
    cycle_id     text NOT NULL,
    unit         text,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL,
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'building', 'done', 'failed')),
    total        integer,
    done         integer NOT NULL DEFAULT 0,
    documents    integer NOT NULL DEFAULT 0,
    size         bigint,
    finished_at  timestamptz,
    error        text
);
CREATE INDEX document_zips_cycle ON document_zips (cycle_id, requested_at DESC);
GRANT SELECT, INSERT, UPDATE ON document_zips TO kinerja_app;

CREATE TABLE document_zip_items (
    zip_id     text NOT NULL REFERENCES document_zips (zip_id),
    seq        integer NOT NULL,
    subject    text NOT NULL,
    end_offset bigint,
    entries    jsonb,
    PRIMARY KEY (zip_id, seq)
);
GRANT SELECT, INSERT, UPDATE ON document_zip_items TO kinerja_app;
