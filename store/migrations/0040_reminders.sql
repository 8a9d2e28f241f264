-- Reminders before deadlines (activities.reminders).
--
-- ``reminders_sent``: one row per reminder ever claimed, keyed by the SHA-256 of
-- the reminder's stable key (appraisal, deadline kind and instant, threshold,
-- recipient). A sender claims a row (status 'sending') before it sends and marks
-- it 'sent' once the notifier accepted the message; 'retry' gives a transient
-- failure back to the next scan; 'failed' is a permanent refusal (bad address).
-- ``claimed_by`` is the activity that claimed it (workflow id, run id, activity
-- id) and ``attempt`` that activity's attempt: a retry of the same activity may
-- take back its own 'sending' rows, anyone else only after the lease ran out.

CREATE TABLE reminders_sent (
    reminder_key   text        COLLATE "C" PRIMARY KEY,
    readable_key   text        NOT NULL,
    appraisal_id   text        NOT NULL,
    deadline_kind  text        NOT NULL,
    deadline_at    timestamptz NOT NULL,
    days_before    integer     NOT NULL,
    recipient      text        NOT NULL,
    status         text        NOT NULL CHECK (status IN ('sending', 'sent', 'retry', 'failed')),
    claimed_by     text        NOT NULL,
    attempt        integer     NOT NULL,
    tries          integer     NOT NULL DEFAULT 1,
    claimed_at     timestamptz NOT NULL DEFAULT now(),
    scanned_at     timestamptz NOT NULL,
    sent_at        timestamptz,
    channel        text,
    message_id     text,
    error          text
);

CREATE INDEX reminders_sent_appraisal ON reminders_sent (appraisal_id);

GRANT SELECT, INSERT, UPDATE ON reminders_sent TO kinerja_app;

-- A scan reads the running deadlines within its horizon.
CREATE INDEX appraisal_summaries_next_deadline ON appraisal_summaries (next_deadline_at)
    WHERE next_deadline_at IS NOT NULL;

-- Where to reach a person: the minimal contact table the reminder sender reads
-- (the roster import fills it). A person without a row is reminded in the log.
CREATE TABLE IF NOT EXISTS people_contacts (
    agency        text NOT NULL,
    employee_key  text NOT NULL,
    email         text,
    PRIMARY KEY (agency, employee_key)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON people_contacts TO kinerja_app;
