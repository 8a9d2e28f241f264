-- The public's voice, part 2: complaints and suggestions. Each complaint is a stream of
-- the event log (complaint-<agency>-<code>: filed, answered), chained and sealed like
-- every stream; this table is its read model (written in the same transaction as its
-- events) for the unit's list. The contact a complainant leaves is personal data: kept
-- here, apart from the log (the event holds only contact_ref), and erasable.

CREATE TABLE complaints (
    code              text        COLLATE "C" PRIMARY KEY,
    agency            text        COLLATE "C" NOT NULL,
    unit              text        COLLATE "C" NOT NULL,
    kind              text        NOT NULL,
    filed_at          timestamptz NOT NULL,
    deadline          timestamptz NOT NULL,
    status            text        NOT NULL,
    answered_at       timestamptz,
    response_seconds  bigint,
    contact_ref       uuid
);

CREATE INDEX complaints_unit ON complaints (agency, unit, filed_at);

GRANT SELECT, INSERT, UPDATE ON complaints TO kinerja_app;

CREATE TABLE complaint_contacts (
    contact_ref  uuid        PRIMARY KEY,
    agency       text        COLLATE "C" NOT NULL,
    contact      text,
    erased_at    timestamptz
);

GRANT SELECT, INSERT, UPDATE ON complaint_contacts TO kinerja_app;
