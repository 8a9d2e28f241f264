-- The appraisal read model: one row per appraisal, written in the same
-- transaction as the events that change it (activities.appraisal). Lists
-- filter on the columns; the current state is the ``state`` document.

CREATE TABLE appraisal_summaries (
    appraisal_id       text        COLLATE "C" PRIMARY KEY,
    cycle_id           text        NOT NULL,
    agency             text        NOT NULL,
    unit               text        NOT NULL,
    employee           text        NOT NULL,
    appraiser          text,
    superior           text,
    phase              text        NOT NULL,
    predikat           text,
    next_deadline_kind text,
    next_deadline_at   timestamptz,
    version            integer     NOT NULL,
    updated_at         timestamptz NOT NULL,
    state              jsonb       NOT NULL
);

CREATE INDEX appraisal_summaries_cycle_unit ON appraisal_summaries (cycle_id, unit, phase);
CREATE INDEX appraisal_summaries_agency ON appraisal_summaries (agency, cycle_id);
CREATE INDEX appraisal_summaries_employee ON appraisal_summaries (employee);
CREATE INDEX appraisal_summaries_appraiser ON appraisal_summaries (appraiser);
CREATE INDEX appraisal_summaries_superior ON appraisal_summaries (superior);

GRANT SELECT, INSERT, UPDATE ON appraisal_summaries TO kinerja_app;
