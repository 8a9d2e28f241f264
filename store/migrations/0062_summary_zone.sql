-- The zone of each appraisal's calendar (7 WIB, 8 WITA, 9 WIT) as a column of the read
-- model, computed from the state when a row is written: lists show each deadline in its
-- own zone without reading (and decompressing) every row's whole state.

ALTER TABLE appraisal_summaries
    ADD COLUMN utc_offset_hours smallint
    GENERATED ALWAYS AS ((state->'calendar'->>'utc_offset_hours')::smallint) STORED;
