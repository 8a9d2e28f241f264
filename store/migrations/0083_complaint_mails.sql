-- E-mails of a complaint's reminder and escalation (activities.complaints): one row per
-- step and recipient, claimed before sending and marked after, by the reminders' rule
-- (0040_reminders.sql, store.reminders.ReminderRecord): 'sending' (claimed_by, attempt)
-- until 'sent', 'retry' (transient, claimed again by the activity's next attempt) or
-- 'failed' (refused for good). A retried activity takes back its own claim; a claim
-- abandoned past the lease is taken over.

CREATE TABLE complaint_mails (
    mail_key    text        COLLATE "C" PRIMARY KEY,
    readable_key text       NOT NULL,
    agency      text        COLLATE "C" NOT NULL,
    code        text        COLLATE "C" NOT NULL,
    step        text        NOT NULL CHECK (step IN ('reminded', 'escalated')),
    recipient   text        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('sending', 'sent', 'retry', 'failed')),
    claimed_by  text        NOT NULL,
    attempt     integer     NOT NULL,
    tries       integer     NOT NULL DEFAULT 1,
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    channel     text,
    message_id  text,
    error       text
);

CREATE INDEX complaint_mails_complaint ON complaint_mails (agency, code);

GRANT SELECT, INSERT, UPDATE ON complaint_mails TO kinerja_app;
