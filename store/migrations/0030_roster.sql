-- The agency roster: the current roster read model (employees and units), the
-- key of every NIP ever imported, and each agency's roster version. Written in
-- the same transaction as the events of the stream ``roster-<agency>``
-- (store.roster). The stream is the record; these tables are its current state.

CREATE TABLE roster_agencies (
    agency     text        COLLATE "C" PRIMARY KEY,
    version    integer     NOT NULL,
    digest     bytea       NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE roster_units (
    agency text NOT NULL COLLATE "C",
    code   text NOT NULL COLLATE "C",
    name   text NOT NULL,
    parent text COLLATE "C",
    leader text COLLATE "C",
    PRIMARY KEY (agency, code)
);

CREATE TABLE roster_employees (
    agency       text NOT NULL COLLATE "C",
    employee_key text NOT NULL COLLATE "C",
    nip          text NOT NULL,
    name         text NOT NULL,
    position     text NOT NULL,
    kind         text NOT NULL,
    level        text,
    employment   text NOT NULL,
    unit         text NOT NULL COLLATE "C",
    superior     text COLLATE "C",
    email        text,
    PRIMARY KEY (agency, employee_key),
    UNIQUE (agency, nip) DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX roster_employees_unit ON roster_employees (agency, unit);
CREATE INDEX roster_employees_superior ON roster_employees (agency, superior);

-- A NIP keeps its key for ever, also after the employee leaves and returns.
CREATE TABLE roster_keys (
    agency       text        NOT NULL COLLATE "C",
    nip          text        NOT NULL,
    employee_key text        NOT NULL COLLATE "C",
    assigned_at  timestamptz NOT NULL,
    PRIMARY KEY (agency, nip),
    UNIQUE (agency, employee_key)
);

GRANT SELECT, INSERT, UPDATE ON roster_agencies TO kinerja_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON roster_units TO kinerja_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON roster_employees TO kinerja_app;
GRANT SELECT, INSERT ON roster_keys TO kinerja_app;
