-- Complaints, part 2 (store/complaints.py).
--
-- ``complaints.workflow_started_at``: when the complaint's workflow was known to be
-- started. A complaint filed while Temporal could not be reached (or whose process died
-- between the filing and the start) keeps NULL, and the sweep (``kinerja worker`` at
-- start and every few minutes) starts it then. Rows filed before this migration are NULL
-- too: the sweep starts the workflow of each unanswered one once (a running one is found
-- running; the workflow id is the complaint's).
--
-- ``complaint_photos``: the optional photo of a complaint (JPEG or PNG, judged by its
-- bytes), apart from the log like the contact: the filing event names only its SHA-256.
-- Shown only to the unit; erased on request (the bytes become NULL and ``erased_at`` is
-- set), which touches no event, so every chain stays valid.

ALTER TABLE complaints ADD COLUMN workflow_started_at timestamptz;

CREATE INDEX complaints_not_started ON complaints (filed_at)
    WHERE workflow_started_at IS NULL AND status <> 'answered';

CREATE TABLE complaint_photos (
    code        text        COLLATE "C" PRIMARY KEY,
    agency      text        COLLATE "C" NOT NULL,
    sha256      text        COLLATE "C" NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    media_type  text        NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png')),
    size        integer     NOT NULL CHECK (size > 0),
    content     bytea,
    erased_at   timestamptz,
    CHECK ((content IS NULL) = (erased_at IS NOT NULL)),
    CHECK (content IS NULL OR octet_length(content) = size)
);

GRANT SELECT, INSERT, UPDATE ON complaint_photos TO kinerja_app;
