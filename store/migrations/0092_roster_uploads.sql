-- Roster uploads kept for their report, their rejected rows and their apply
-- (store/roster_uploads.py), in PostgreSQL so that any API process, after any restart,
-- finds them; and the applies run in the background by the worker, with their progress.
--
-- ``roster_uploads``: the file's bytes as sent, for ``expires_at`` (30 minutes after the
-- upload, or after its apply started); deleted once expired (by the next upload).
-- ``roster_applies``: one per upload, the apply's state: ``target`` is the roster the
-- apply makes (computed once, at its start, with the stream's ``base_version``);
-- ``version`` the roster stream's version after the last batch of events this apply
-- appended, written in the same transaction as those events, so a worker that
-- restarts continues from there and applies no row twice (and stops when another
-- import moved the stream meanwhile). Kept a week after it ends.

CREATE TABLE roster_uploads (
    upload_id   text        COLLATE "C" PRIMARY KEY CHECK (upload_id ~ '^[0-9a-f]{32}$'),
    agency      text        COLLATE "C" NOT NULL,
    subject     text        NOT NULL,
    file_name   text        NOT NULL,
    sha256      text        COLLATE "C" NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content     bytea       NOT NULL,
    rejected    integer     NOT NULL CHECK (rejected >= 0),
    uploaded_at timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);

CREATE INDEX roster_uploads_expiry ON roster_uploads (expires_at);

CREATE TABLE roster_applies (
    upload_id    text        COLLATE "C" PRIMARY KEY CHECK (upload_id ~ '^[0-9a-f]{32}$'),
    agency       text        COLLATE "C" NOT NULL,
    subject      text        NOT NULL,
    valid_only   boolean     NOT NULL,
    status       text        NOT NULL CHECK (status IN ('queued', 'running', 'applied',
                                                         'done', 'refused')),
    total        integer     NOT NULL DEFAULT 0 CHECK (total >= 0),
    done         integer     NOT NULL DEFAULT 0 CHECK (done >= 0 AND done <= total),
    base_version integer,
    version      integer,
    target       jsonb,
    report       jsonb,
    error_code   text,
    error        text,
    started_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE INDEX roster_applies_agency ON roster_applies (agency, started_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON roster_uploads TO kinerja_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON roster_applies TO kinerja_app;
