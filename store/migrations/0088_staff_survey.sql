-- The staff's survey of the appraisal system (issue 15 section 5): anonymous answers at
-- a cycle's close. Three tables that share no key but the cycle (docs/public-voice.md):
--
--   staff_survey_issued   who was given a token (so nobody gets two); not the token, not
--                         its hash, not a time.
--   staff_survey_spent    the SHA-256 of each spent token's one-time value (so no token
--                         is spent twice); not who, not a time.
--   staff_survey_answers  the answers with the cycle and the unit; no employee, no time,
--                         no request id; the id is random (not a sequence).
--
-- A token is signed by the server (it names the cycle, the unit and a random value);
-- nothing is stored when it is issued but the row of who received one, so neither the
-- issuing nor the spending transaction touches a row the other wrote.
-- All three are append-only for every role.

CREATE TABLE staff_survey_issued (
    cycle_id  text COLLATE "C" NOT NULL,
    employee  text COLLATE "C" NOT NULL,
    PRIMARY KEY (cycle_id, employee)
);

CREATE TABLE staff_survey_spent (
    cycle_id    text  COLLATE "C" NOT NULL,
    token_hash  bytea NOT NULL CHECK (length(token_hash) = 32),
    PRIMARY KEY (cycle_id, token_hash)
);

CREATE TABLE staff_survey_answers (
    answer_id  uuid  PRIMARY KEY,
    cycle_id   text  COLLATE "C" NOT NULL,
    agency     text  COLLATE "C" NOT NULL,
    unit       text  COLLATE "C" NOT NULL,
    answers    jsonb NOT NULL CHECK (jsonb_typeof(answers) = 'object'),
    comment    text
);

CREATE INDEX staff_survey_answers_cycle ON staff_survey_answers (cycle_id, unit);

CREATE FUNCTION staff_survey_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the staff survey is append-only (% on % refused)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'KJ002';
END $$;

CREATE TRIGGER staff_survey_issued_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON staff_survey_issued
    FOR EACH STATEMENT EXECUTE FUNCTION staff_survey_is_append_only();
ALTER TABLE staff_survey_issued ENABLE ALWAYS TRIGGER staff_survey_issued_append_only;
CREATE TRIGGER staff_survey_spent_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON staff_survey_spent
    FOR EACH STATEMENT EXECUTE FUNCTION staff_survey_is_append_only();
ALTER TABLE staff_survey_spent ENABLE ALWAYS TRIGGER staff_survey_spent_append_only;
CREATE TRIGGER staff_survey_answers_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON staff_survey_answers
    FOR EACH STATEMENT EXECUTE FUNCTION staff_survey_is_append_only();
ALTER TABLE staff_survey_answers ENABLE ALWAYS TRIGGER staff_survey_answers_append_only;

GRANT SELECT, INSERT ON staff_survey_issued, staff_survey_spent, staff_survey_answers
    TO kinerja_app;
