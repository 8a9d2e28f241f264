-- The event log (DESIGN.md §4): append-only, hash-chained per stream.
--
-- ``canonical`` holds the canonical JSON bytes of the whole event
-- (domain.integrity.canonical_event): it is the only copy of the content, and
-- readers parse it. The other columns repeat what queries filter and order on;
-- verification checks that they agree with the canonical bytes.

CREATE TABLE events (
    event_id    uuid        PRIMARY KEY,
    -- "C" collation: stream ids are identifiers; byte order is the same order
    -- as Python's str order, so a first failure found by SQL sorts like Python.
    stream_id   text        COLLATE "C" NOT NULL,
    version     integer     NOT NULL CHECK (version >= 1),
    type        text        NOT NULL,
    recorded_at timestamptz NOT NULL,
    canonical   bytea       NOT NULL,
    prev_hash   bytea       NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash        bytea       NOT NULL CHECK (octet_length(hash) = 32),
    -- The id of the writing transaction: catch-up readers order by it and
    -- only read below the oldest running transaction (see EventLog.read_all).
    tx_id       xid8        NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
);

CREATE INDEX events_tx_order ON events (tx_id, stream_id, version);

COMMENT ON TABLE events IS
    'Append-only event log; hash = sha256(prev_hash || canonical), chained per stream';

-- Append-only at the database level, for every role including the superuser.
-- The triggers are ENABLE ALWAYS so that session_replication_role = replica
-- does not bypass them; only an explicit ALTER TABLE ... DISABLE TRIGGER by
-- the table owner does, and that is what the tamper tests do on purpose.

CREATE FUNCTION events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on events is refused', TG_OP
        USING ERRCODE = 'KJ002',
              HINT = 'correct a mistake by appending a new event';
END;
$$;

CREATE TRIGGER events_refuse_update_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER events_refuse_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

ALTER TABLE events ENABLE ALWAYS TRIGGER events_refuse_update_delete;
ALTER TABLE events ENABLE ALWAYS TRIGGER events_refuse_truncate;

-- append_events: one round trip per append.
--
-- The head of the stream is the event at p_expected_version (point lookup in
-- the unique index; GENESIS for 0). The hashes are chained in SQL and the
-- events inserted with ON CONFLICT DO NOTHING: if a version is already taken
-- (the stream is ahead, or a concurrent append won), fewer rows go in, and
-- the slow path decides:
--
-- - a retried append (the events stored at p_expected_version + 1 .. + n
--   have the same content, recorded_at aside) returns the STORED rows, with
--   stored_canonical set, instead of failing, so that a retry inside a
--   caller's transaction does not abort it;
-- - anything else raises SQLSTATE KJ001, whose DETAIL is JSON:
--   {"stream_id": ..., "expected": ..., "actual": ...}. Rows of the batch that
--   did go in are undone with the statement.
--
-- Rows appended now come back with stored_canonical NULL. Two appends racing
-- at the same version: the loser's insert waits on the unique index for the
-- winner and then takes the slow path; with ON CONFLICT DO NOTHING no
-- unique_violation aborts it half-way. No table lock and no global counter:
-- appends to different streams never wait on each other.

CREATE FUNCTION append_events(
    p_stream_id        text,
    p_expected_version integer,
    p_event_ids        uuid[],
    p_types            text[],
    p_recorded_ats     timestamptz[],
    p_canonicals       bytea[]
) RETURNS TABLE (
    version          integer,
    prev_hash        bytea,
    hash             bytea,
    tx_id            xid8,
    stored_canonical bytea
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    n         integer := coalesce(cardinality(p_canonicals), 0);
    head_hash bytea;
    prevs     bytea[];
    hashes    bytea[];
    h         bytea;
    inserted  integer;
    matched   integer;
    actual    integer;
BEGIN
    IF n = 0 OR cardinality(p_event_ids) IS DISTINCT FROM n
            OR cardinality(p_types) IS DISTINCT FROM n
            OR cardinality(p_recorded_ats) IS DISTINCT FROM n THEN
        RAISE EXCEPTION 'append_events: the four arrays must be non-empty and of equal length'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_expected_version IS NULL OR p_expected_version < 0 THEN
        RAISE EXCEPTION 'append_events: expected version must be >= 0'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    IF p_expected_version = 0 THEN
        head_hash := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    ELSE
        SELECT e.hash INTO head_hash
        FROM events e
        WHERE e.stream_id = p_stream_id AND e.version = p_expected_version;
    END IF;

    IF head_hash IS NOT NULL THEN
        IF n = 1 THEN
            RETURN QUERY
            INSERT INTO events AS e
                (event_id, stream_id, version, type, recorded_at, canonical, prev_hash, hash)
            VALUES (p_event_ids[1], p_stream_id, p_expected_version + 1, p_types[1],
                    p_recorded_ats[1], p_canonicals[1], head_hash,
                    sha256(head_hash || p_canonicals[1]))
            ON CONFLICT DO NOTHING
            RETURNING e.version, e.prev_hash, e.hash, e.tx_id, NULL::bytea;
            IF FOUND THEN
                RETURN;
            END IF;
        ELSE
            prevs := array_fill(NULL::bytea, ARRAY[n]);
            hashes := prevs;
            h := head_hash;
            FOR i IN 1 .. n LOOP
                prevs[i] := h;
                h := sha256(h || p_canonicals[i]);
                hashes[i] := h;
            END LOOP;
            RETURN QUERY
            INSERT INTO events AS e
                (event_id, stream_id, version, type, recorded_at, canonical, prev_hash, hash)
            SELECT x.event_id, p_stream_id, p_expected_version + x.ord::integer, x.type,
                   x.recorded_at, x.canonical, x.prev_hash, x.hash
            FROM unnest(p_event_ids, p_types, p_recorded_ats, p_canonicals, prevs, hashes)
                 WITH ORDINALITY AS x(event_id, type, recorded_at, canonical, prev_hash, hash, ord)
            ON CONFLICT DO NOTHING
            RETURNING e.version, e.prev_hash, e.hash, e.tx_id, NULL::bytea;
            GET DIAGNOSTICS inserted = ROW_COUNT;
            IF inserted = n THEN
                RETURN;
            END IF;
            IF inserted > 0 THEN
                -- Part of the batch went in, so the versions taken are not all
                -- a retry of this batch: a conflict (the RAISE undoes them).
                head_hash := NULL;
            END IF;
        END IF;
        -- Lost a race, or the stream is ahead: what is committed is visible
        -- to the next query (READ COMMITTED takes a snapshot per statement).
    END IF;
    -- No event at p_expected_version (> 0): the stream is behind; a conflict.

    IF head_hash IS NOT NULL THEN
        SELECT count(*) INTO matched
        FROM events e
        JOIN unnest(p_types, p_canonicals) WITH ORDINALITY AS x(type, canonical, ord)
          ON e.stream_id = p_stream_id AND e.version = p_expected_version + x.ord::integer
        WHERE e.type = x.type
          AND (convert_from(e.canonical, 'UTF8')::jsonb - 'recorded_at')
            = (convert_from(x.canonical, 'UTF8')::jsonb - 'recorded_at');
        IF matched = n THEN
            RETURN QUERY
            SELECT e.version, e.prev_hash, e.hash, e.tx_id, e.canonical
            FROM events e
            WHERE e.stream_id = p_stream_id
              AND e.version BETWEEN p_expected_version + 1 AND p_expected_version + n
            ORDER BY e.version;
            RETURN;
        END IF;
    END IF;

    SELECT coalesce(max(e.version), 0) INTO actual
    FROM events e WHERE e.stream_id = p_stream_id;
    RAISE EXCEPTION 'stream % is at version %, expected %',
            p_stream_id, actual, p_expected_version
        USING ERRCODE = 'KJ001',
              DETAIL = json_build_object('stream_id', p_stream_id,
                                         'expected', p_expected_version,
                                         'actual', actual)::text;
END;
$$;

-- The canonical bytes as jsonb, or NULL when they are not UTF-8 JSON. Only
-- the fallback of verification uses it (its exception block costs a
-- subtransaction per row); the fast path casts directly.
CREATE FUNCTION events_try_jsonb(canonical bytea) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    RETURN convert_from(canonical, 'UTF8')::jsonb;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END;
$$;

-- The application role: reads and appends, nothing else. NOLOGIN: the
-- application logs in as its own user and does SET ROLE kinerja_app
-- (store.database.create_pool). Roles are cluster-wide, so two databases
-- migrated at once may race to create it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kinerja_app') THEN
        CREATE ROLE kinerja_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END;
$$;

-- A migrating user that is not a superuser must be a member to SET ROLE.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
            AND NOT pg_has_role(current_user, 'kinerja_app', 'MEMBER') THEN
        EXECUTE format('GRANT kinerja_app TO %I', current_user);
    END IF;
END;
$$;

REVOKE ALL ON events FROM PUBLIC;
GRANT SELECT, INSERT ON events TO kinerja_app;
GRANT SELECT ON schema_migrations TO kinerja_app;
REVOKE ALL ON FUNCTION append_events(text, integer, uuid[], text[], timestamptz[], bytea[])
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION append_events(text, integer, uuid[], text[], timestamptz[], bytea[])
    TO kinerja_app;
