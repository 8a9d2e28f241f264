-- The public's voice, part 1: the units that serve the public (set by HR) and the
-- responses to their satisfaction survey (SKM, PermenPAN-RB 14/2017).
--
-- Responses are a table of their own, append-only (the trigger below refuses UPDATE,
-- DELETE and TRUNCATE for every role; the application may only INSERT and SELECT),
-- rather than a stream of the event log: every submission is an independent insert
-- (no stream head for hundreds of anonymous clients to race on, no retry loop), and a
-- unit's index is one aggregate over nine small integer columns.

CREATE TABLE public_units (
    agency      text        COLLATE "C" NOT NULL,
    unit        text        COLLATE "C" NOT NULL,
    name        text        NOT NULL,
    population  integer     CHECK (population IS NULL OR population > 0),
    services    jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL,
    updated_by  text        NOT NULL,
    PRIMARY KEY (agency, unit)
);

GRANT SELECT, INSERT, UPDATE ON public_units TO kinerja_app;

CREATE TABLE survey_responses (
    response_id   uuid        PRIMARY KEY,
    agency        text        COLLATE "C" NOT NULL,
    unit          text        COLLATE "C" NOT NULL,
    period        text        COLLATE "C" NOT NULL,
    service       text        NOT NULL,
    submitted_at  timestamptz NOT NULL,
    u1 smallint NOT NULL CHECK (u1 BETWEEN 1 AND 4),
    u2 smallint NOT NULL CHECK (u2 BETWEEN 1 AND 4),
    u3 smallint NOT NULL CHECK (u3 BETWEEN 1 AND 4),
    u4 smallint NOT NULL CHECK (u4 BETWEEN 1 AND 4),
    u5 smallint NOT NULL CHECK (u5 BETWEEN 1 AND 4),
    u6 smallint NOT NULL CHECK (u6 BETWEEN 1 AND 4),
    u7 smallint NOT NULL CHECK (u7 BETWEEN 1 AND 4),
    u8 smallint NOT NULL CHECK (u8 BETWEEN 1 AND 4),
    u9 smallint NOT NULL CHECK (u9 BETWEEN 1 AND 4),
    age_group     text        NOT NULL,
    sex           text        NOT NULL,
    education     text        NOT NULL,
    occupation    text        NOT NULL,
    comment       text,
    FOREIGN KEY (agency, unit) REFERENCES public_units (agency, unit)
);

CREATE INDEX survey_responses_unit_period ON survey_responses (agency, unit, period);

CREATE FUNCTION survey_responses_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'survey responses are append-only (% refused)', TG_OP
        USING ERRCODE = 'KJ002';
END $$;

CREATE TRIGGER survey_responses_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON survey_responses
    FOR EACH STATEMENT EXECUTE FUNCTION survey_responses_are_append_only();
ALTER TABLE survey_responses ENABLE ALWAYS TRIGGER survey_responses_append_only;

GRANT SELECT, INSERT ON survey_responses TO kinerja_app;
