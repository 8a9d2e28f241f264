-- Notifications (activities.notifications): what the event log tells people.
--
-- ``notifications``: the in-app inbox and the e-mail outbox in one row per
-- notification, keyed by the SHA-256 of its stable key (event, kind, recipient):
-- a derivation run twice inserts nothing new. ``recipient`` NULL is the agency's
-- HR (one shared inbox). ``email_status`` follows the reminders' rule
-- (0040_reminders.sql): 'pending' until a sender claims it ('sending', with
-- ``claimed_by`` and ``attempt``), then 'sent', 'retry' (transient, claimed again
-- later), 'failed' (refused for good) or 'skipped' (the person's preference).
--
-- ``notification_cursor``: how far the derivation has read the log (a position
-- of EventLog.read_all), advanced in the transaction that inserts what it read.
-- It starts at this migration: events recorded before it tell nobody.

CREATE TABLE notifications (
    id               bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    notification_key text        COLLATE "C" PRIMARY KEY,
    readable_key     text        NOT NULL,
    agency           text        NOT NULL,
    recipient        text,
    relation         text        NOT NULL,
    kind             text        NOT NULL,
    needs_action     boolean     NOT NULL,
    appraisal_id     text        NOT NULL,
    event_id         uuid        NOT NULL,
    detail           jsonb       NOT NULL,
    at               timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    read_at          timestamptz,
    email_status     text        NOT NULL DEFAULT 'pending'
        CHECK (email_status IN ('pending', 'sending', 'sent', 'retry', 'failed', 'skipped')),
    claimed_by       text,
    attempt          integer,
    tries            integer     NOT NULL DEFAULT 0,
    claimed_at       timestamptz,
    sent_at          timestamptz,
    channel          text,
    message_id       text,
    error            text
);

CREATE INDEX notifications_inbox ON notifications (agency, recipient, id DESC);
CREATE INDEX notifications_unread ON notifications (agency, recipient) WHERE read_at IS NULL;
CREATE INDEX notifications_outbox ON notifications (id)
    WHERE email_status IN ('pending', 'sending', 'retry');

GRANT SELECT, INSERT, UPDATE ON notifications TO kinerja_app;

CREATE TABLE notification_cursor (
    name      text    PRIMARY KEY,
    tx_id     xid8    NOT NULL,
    stream_id text    COLLATE "C" NOT NULL,
    version   integer NOT NULL
);

INSERT INTO notification_cursor (name, tx_id, stream_id, version)
VALUES ('appraisal-notifications', pg_current_xact_id(), '', 0);

GRANT SELECT, UPDATE ON notification_cursor TO kinerja_app;

-- A person's choice: e-mail for information-only notifications too (the default),
-- or only for what needs their action (domain.notifications.email_wanted).
CREATE TABLE notification_preferences (
    agency            text        NOT NULL,
    employee_key      text        NOT NULL,
    email_information boolean     NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency, employee_key)
);

GRANT SELECT, INSERT, UPDATE ON notification_preferences TO kinerja_app;

-- Where the agency's HR is reached by e-mail (escalations to HR). No row: the log.
CREATE TABLE agency_hr_contacts (
    agency text PRIMARY KEY,
    email  text NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON agency_hr_contacts TO kinerja_app;
