-- The periodic review now running (penilaian kinerja periodik), beside the annual
-- deadline: the earliest period neither reviewed nor missed while the year's work runs
-- (``AppraisalState.next_period_deadline``), written with every summary row. Reminders
-- read it, and HR's monitoring lists the overdue ones.
--
-- Rows written before this migration are filled from their stored state by the same
-- rule (self-report and review phases; periods by number; reviewed or missed ones
-- skipped); every later write comes from the domain.

ALTER TABLE appraisal_summaries
    ADD COLUMN next_period smallint,
    ADD COLUMN next_period_due_at timestamptz;

UPDATE appraisal_summaries AS s
SET next_period = p.period, next_period_due_at = p.due
FROM (
    SELECT DISTINCT ON (a.appraisal_id) a.appraisal_id, d.key::int AS period,
           (d.value #>> '{}')::timestamptz AS due
    FROM appraisal_summaries AS a,
         jsonb_each(CASE jsonb_typeof(a.state->'period_deadlines')
                    WHEN 'object' THEN a.state->'period_deadlines' ELSE '{}'::jsonb END) AS d
    WHERE a.phase IN ('self_report', 'review')
      AND NOT coalesce(a.state->'period_reviews', '{}'::jsonb) ? d.key
      AND NOT coalesce(a.state->'missed_periods', '[]'::jsonb) @> to_jsonb(d.key::int)
    ORDER BY a.appraisal_id, d.key::int
) AS p
WHERE s.appraisal_id = p.appraisal_id;

-- A reminder scan reads the running periods within its horizon; monitoring the
-- overdue ones of a cycle.
CREATE INDEX appraisal_summaries_next_period ON appraisal_summaries (next_period_due_at)
    WHERE next_period_due_at IS NOT NULL;
CREATE INDEX appraisal_summaries_period_overdue
    ON appraisal_summaries (cycle_id, next_period_due_at)
    WHERE next_period_due_at IS NOT NULL;
