-- Cycles: the cycle read model (one row per cycle, written in the same
-- transaction as the cycle's events) and the roster frozen when a cycle starts.

CREATE TABLE cycles (
    cycle_id    text        COLLATE "C" PRIMARY KEY,
    agency      text        NOT NULL,
    year        integer     NOT NULL,
    status      text        NOT NULL,
    version     integer     NOT NULL,
    updated_at  timestamptz NOT NULL,
    state       jsonb       NOT NULL
);

CREATE INDEX cycles_agency ON cycles (agency, year);

GRANT SELECT, INSERT, UPDATE ON cycles TO kinerja_app;

-- The roster of a cycle as frozen at its start: written once, never changed.
-- ``seq`` orders the members (by employee key) so pages of work are stable.
CREATE TABLE cycle_members (
    cycle_id    text    COLLATE "C" NOT NULL,
    seq         integer NOT NULL,
    employee    text    COLLATE "C" NOT NULL,
    unit        text    COLLATE "C" NOT NULL,
    member      jsonb   NOT NULL,
    PRIMARY KEY (cycle_id, seq),
    UNIQUE (cycle_id, employee)
);

CREATE INDEX cycle_members_unit ON cycle_members (cycle_id, unit, seq);

CREATE FUNCTION cycle_members_are_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a cycle''s frozen roster cannot be changed (% refused)', TG_OP
        USING ERRCODE = 'KJ002';
END $$;

CREATE TRIGGER cycle_members_frozen
    BEFORE UPDATE OR DELETE OR TRUNCATE ON cycle_members
    FOR EACH STATEMENT EXECUTE FUNCTION cycle_members_are_frozen();
ALTER TABLE cycle_members ENABLE ALWAYS TRIGGER cycle_members_frozen;

GRANT SELECT, INSERT ON cycle_members TO kinerja_app;

-- The progress route's overdue list: oldest deadline first within a cycle.
CREATE INDEX appraisal_summaries_overdue ON appraisal_summaries (cycle_id, next_deadline_at);
