-- Evidence files (bukti dukung) of progress reports and activities (store/evidence.py).
--
-- ``evidence_files``: the bytes, once per content (keyed by their SHA-256: the same
-- file uploaded twice, to one appraisal or to several, is stored once), with the media
-- type its bytes showed. ``evidence_uploads``: which appraisal a file was uploaded to,
-- under which name and by whom. A progress report may refer only to a file uploaded to
-- its own appraisal, and a file is served only through an appraisal whose events refer
-- to it. Neither table is changed after the insert.

CREATE TABLE evidence_files (
    sha256      text        COLLATE "C" PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size        integer     NOT NULL CHECK (size >= 0),
    media_type  text        NOT NULL,
    content     bytea       NOT NULL,
    stored_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (octet_length(content) = size)
);

CREATE TABLE evidence_uploads (
    appraisal_id  text        COLLATE "C" NOT NULL,
    sha256        text        COLLATE "C" NOT NULL REFERENCES evidence_files (sha256),
    file_name     text        NOT NULL,
    uploaded_by   text        NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (appraisal_id, sha256)
);

GRANT SELECT, INSERT ON evidence_files, evidence_uploads TO kinerja_app;
