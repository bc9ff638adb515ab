-- The register of AI uses and the conversations' state, shared by every worker (issue 19).

-- Register: same columns, hash and chain as the SQLite store (assistant/register/store.py).
-- `entry` is the exact JSON text that was hashed (TEXT, not jsonb: jsonb would reorder its keys).
-- seq is given by the writer under the register's advisory lock (MAX(seq) + 1): chain order = seq order.
CREATE TABLE register_versions (
    seq BIGINT PRIMARY KEY,
    entry_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    ts TEXT NOT NULL,
    "user" TEXT NOT NULL,
    action TEXT NOT NULL,
    entry TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (entry_id, version)
);

-- Append only, whoever writes: no UPDATE, DELETE or TRUNCATE; an INSERT must follow the head.
CREATE FUNCTION register_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head RECORD;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'registre en ajout seul : modification interdite';
    ELSIF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'registre en ajout seul : suppression interdite';
    END IF;
    -- INSERT: whoever inserts waits for the register's lock, then must follow the last row.
    PERFORM pg_advisory_xact_lock(4847053195450861385);  -- db.REGISTER_LOCK
    SELECT seq, hash INTO head FROM register_versions ORDER BY seq DESC LIMIT 1;
    IF FOUND THEN
        IF NEW.prev_hash IS DISTINCT FROM head.hash OR NEW.seq <> head.seq + 1 THEN
            RAISE EXCEPTION 'registre : prev_hash ne suit pas la dernière ligne';
        END IF;
    ELSIF NEW.prev_hash IS DISTINCT FROM repeat('0', 64) THEN  -- the first row starts from GENESIS
        RAISE EXCEPTION 'registre : prev_hash ne suit pas la dernière ligne';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER register_no_update BEFORE UPDATE ON register_versions FOR EACH ROW EXECUTE FUNCTION register_guard();
CREATE TRIGGER register_no_delete BEFORE DELETE ON register_versions FOR EACH ROW EXECUTE FUNCTION register_guard();
CREATE TRIGGER register_no_truncate BEFORE TRUNCATE ON register_versions
    FOR EACH STATEMENT EXECUTE FUNCTION register_guard();
CREATE TRIGGER register_chain_insert BEFORE INSERT ON register_versions
    FOR EACH ROW EXECUTE FUNCTION register_guard();

-- Conversations (assistant/core/conversation_pg.py): the last turns of each, as jsonb, so a follow-up
-- reaching another worker finds its conversation. Not an audit table: the turns hold the questions as
-- typed, so a row untouched for the conversation lifetime (tuning.CONVERSATION_TTL_S) is deleted, and
-- so are a forgotten one and the least recently used beyond tuning.CONVERSATIONS_MAX.
CREATE SEQUENCE conversations_use;
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    touched DOUBLE PRECISION NOT NULL,  -- epoch seconds of the last use (expiry)
    used BIGINT NOT NULL,  -- nextval('conversations_use') at each use: the least recently used goes first
    count INTEGER NOT NULL,  -- turns answered so far (turns keeps the last ones)
    turns JSONB NOT NULL
);
CREATE INDEX conversations_touched ON conversations (touched);
CREATE INDEX conversations_used ON conversations (used);
