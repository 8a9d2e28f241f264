-- The sealed log (DESIGN.md §4): a gapless global sequence over committed
-- events in commit order, the RFC 9162 Merkle tree over it, and the signed
-- checkpoints of that tree. Written by the sealer (store/sealer.py) only.
--
-- seals          one row per sealed event: seq (the leaf index, from 0), the
--                event it seals, and its leaf hash
--                leaf_hash = SHA-256(0x00 || events.hash), i.e. RFC 9162
--                leaf_hash over the event's 32-byte chain hash (which covers
--                prev_hash and the canonical bytes, so the stream, version
--                and content are bound too).
-- merkle_nodes   every COMPLETE perfect subtree of level >= 1: node (level,
--                idx) covers leaves idx * 2^level .. (idx + 1) * 2^level - 1;
--                level 0 is seals.leaf_hash. A node is written in the batch
--                that completes it and never changes, so the root of any
--                tree size and every inclusion or consistency proof is a
--                fold of O(log n) stored nodes (domain.merkle.perfect_subtrees).
-- checkpoints    signed (tree_size, root, time); see domain.checkpoint for the
--                exact signed bytes.
--
-- Like the events, these tables are append-only for every role: the same
-- kind of ENABLE ALWAYS triggers refuse UPDATE, DELETE and TRUNCATE. The
-- sealer runs as kinerja_app, which may INSERT and SELECT them (a separate
-- sealer role would be tighter: give it these grants and take INSERT from
-- kinerja_app; the application itself never writes them).

CREATE TABLE seals (
    seq        bigint  PRIMARY KEY CHECK (seq >= 0),
    event_id   uuid    NOT NULL UNIQUE,
    stream_id  text    COLLATE "C" NOT NULL,
    version    integer NOT NULL,
    tx_id      xid8    NOT NULL,
    leaf_hash  bytea   NOT NULL CHECK (octet_length(leaf_hash) = 32),
    CONSTRAINT seals_stream_version_key UNIQUE (stream_id, version)
);

COMMENT ON TABLE seals IS
    'Global sequence of sealed events (leaf index seq); leaf_hash = sha256(0x00 || events.hash)';

CREATE TABLE merkle_nodes (
    level smallint NOT NULL CHECK (level >= 1 AND level < 63),
    idx   bigint   NOT NULL CHECK (idx >= 0),
    hash  bytea    NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (level, idx)
);

COMMENT ON TABLE merkle_nodes IS
    'Complete perfect subtrees (level >= 1) of the RFC 9162 tree over seals';

CREATE TABLE checkpoints (
    tree_size  bigint      PRIMARY KEY CHECK (tree_size >= 0),
    root       bytea       NOT NULL CHECK (octet_length(root) = 32),
    signed_at  timestamptz NOT NULL,
    key_id     text        NOT NULL,
    signature  bytea       NOT NULL CHECK (octet_length(signature) = 64)
);

COMMENT ON TABLE checkpoints IS
    'Ed25519-signed (tree_size, root, time) of the Merkle tree; see domain.checkpoint';

CREATE FUNCTION seal_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the sealed log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'KJ002';
END;
$$;

CREATE TRIGGER seals_refuse_update_delete BEFORE UPDATE OR DELETE ON seals
    FOR EACH ROW EXECUTE FUNCTION seal_refuse_change();
CREATE TRIGGER seals_refuse_truncate BEFORE TRUNCATE ON seals
    FOR EACH STATEMENT EXECUTE FUNCTION seal_refuse_change();
CREATE TRIGGER merkle_nodes_refuse_update_delete BEFORE UPDATE OR DELETE ON merkle_nodes
    FOR EACH ROW EXECUTE FUNCTION seal_refuse_change();
CREATE TRIGGER merkle_nodes_refuse_truncate BEFORE TRUNCATE ON merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION seal_refuse_change();
CREATE TRIGGER checkpoints_refuse_update_delete BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION seal_refuse_change();
CREATE TRIGGER checkpoints_refuse_truncate BEFORE TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION seal_refuse_change();

ALTER TABLE seals ENABLE ALWAYS TRIGGER seals_refuse_update_delete;
ALTER TABLE seals ENABLE ALWAYS TRIGGER seals_refuse_truncate;
ALTER TABLE merkle_nodes ENABLE ALWAYS TRIGGER merkle_nodes_refuse_update_delete;
ALTER TABLE merkle_nodes ENABLE ALWAYS TRIGGER merkle_nodes_refuse_truncate;
ALTER TABLE checkpoints ENABLE ALWAYS TRIGGER checkpoints_refuse_update_delete;
ALTER TABLE checkpoints ENABLE ALWAYS TRIGGER checkpoints_refuse_truncate;

GRANT SELECT, INSERT ON seals, merkle_nodes, checkpoints TO kinerja_app;
