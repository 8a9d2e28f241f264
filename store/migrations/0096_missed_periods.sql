-- The periodic reviews past due and not given (``domain.reminders.missed_unreviewed``:
-- a recorded ``PeriodDeadlinePassed`` with no ``PeriodReviewed`` since), with their due
-- dates, as columns: HR's monitoring lists them per unit without reading each stored
-- state. ``missed_due_at[i]`` is the due date of ``missed_periods[i]``.
--
-- Rows written before this migration are filled from their stored state by the same
-- rule; every later write comes from the domain.

ALTER TABLE appraisal_summaries
    ADD COLUMN missed_periods smallint[] NOT NULL DEFAULT '{}',
    ADD COLUMN missed_due_at timestamptz[] NOT NULL DEFAULT '{}';

UPDATE appraisal_summaries AS s
SET missed_periods = m.periods, missed_due_at = m.dues
FROM (
    SELECT a.appraisal_id,
           array_agg(p.period::smallint ORDER BY p.period) AS periods,
           array_agg((a.state->'period_deadlines'->>p.period::text)::timestamptz
                     ORDER BY p.period) AS dues
    FROM appraisal_summaries AS a,
         jsonb_array_elements_text(CASE jsonb_typeof(a.state->'missed_periods')
                                   WHEN 'array' THEN a.state->'missed_periods'
                                   ELSE '[]'::jsonb END) AS p(period)
    WHERE NOT coalesce(a.state->'period_reviews', '{}'::jsonb) ? p.period
      AND coalesce(a.state->'period_deadlines', '{}'::jsonb) ? p.period
    GROUP BY a.appraisal_id
) AS m
WHERE s.appraisal_id = m.appraisal_id;

CREATE INDEX appraisal_summaries_missed_periods ON appraisal_summaries (cycle_id, unit)
    WHERE missed_periods <> '{}';
