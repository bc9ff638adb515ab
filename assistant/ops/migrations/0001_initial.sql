-- Shared state of the assistant on PostgreSQL: audit trail, feedback, API keys, rate-limit buckets.
-- Applied by `assistant db upgrade` (assistant/ops/db.py), once, inside one transaction.

-- Audit trail: same columns and hash chain as the SQLite backend (assistant/ops/audit.py).
-- ids are given by the writer under the advisory lock (MAX(id) + 1): no gap, chain order = id order.
CREATE TABLE audit (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    ts TEXT NOT NULL,
    "user" TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    status INTEGER,
    question TEXT,
    refs TEXT NOT NULL,
    abstained INTEGER,
    model TEXT,
    corpus_version TEXT,
    latency_ms DOUBLE PRECISION,
    energy_wh DOUBLE PRECISION,
    answer_id TEXT,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_ts ON audit (ts);
CREATE INDEX audit_answer ON audit (answer_id);

CREATE TABLE feedback (
    id BIGSERIAL PRIMARY KEY,
    ts TEXT NOT NULL,
    "user" TEXT NOT NULL,
    answer_id TEXT NOT NULL,
    useful INTEGER NOT NULL,
    comment TEXT NOT NULL
);
CREATE INDEX feedback_ts ON feedback (ts);

-- Per-installation values shared by every worker (the pseudonym secret).
CREATE TABLE installation (name TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE api_keys (
    seq BIGSERIAL UNIQUE,
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    label TEXT NOT NULL,
    created TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    revoked TEXT
);

-- Token buckets of the per-key rate limit, shared by every worker (assistant/ops/ratelimit.py).
CREATE TABLE rate_buckets (
    key TEXT PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    last TIMESTAMPTZ NOT NULL
);

-- Append-only rules, enforced by the database whoever writes.
CREATE FUNCTION audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head RECORD;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'journal d''audit en ajout seul : modification interdite';
    ELSIF TG_OP = 'DELETE' THEN
        IF current_setting('assistant.purge', true) IS DISTINCT FROM 'on' THEN
            RAISE EXCEPTION 'journal d''audit en ajout seul : suppression seulement par assistant audit purge';
        END IF;
        RETURN OLD;
    ELSIF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'journal d''audit en ajout seul : suppression seulement par assistant audit purge';
    END IF;
    -- INSERT: whoever inserts waits for the chain's lock, then must follow the last row.
    PERFORM pg_advisory_xact_lock(4847053195166696532);  -- db.AUDIT_LOCK
    SELECT id, hash INTO head FROM audit ORDER BY id DESC LIMIT 1;
    IF FOUND AND (NEW.prev_hash IS DISTINCT FROM head.hash OR NEW.id <> head.id + 1) THEN
        RAISE EXCEPTION 'journal d''audit : prev_hash ne suit pas la dernière ligne';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION audit_guard();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_guard();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_guard();
CREATE TRIGGER audit_chain_insert BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION audit_guard();

CREATE FUNCTION feedback_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'avis en ajout seul : modification interdite';
END $$;
CREATE TRIGGER feedback_no_update BEFORE UPDATE ON feedback FOR EACH ROW EXECUTE FUNCTION feedback_guard();

-- A key is never deleted nor changed, except its revocation date, set once.
CREATE FUNCTION api_keys_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'clés d''API : suppression interdite (révoquez la clé)';
    END IF;
    IF OLD.revoked IS NOT NULL OR NEW.id <> OLD.id OR NEW.role <> OLD.role OR NEW.sha256 <> OLD.sha256
       OR NEW.created <> OLD.created OR NEW.label <> OLD.label OR NEW.seq <> OLD.seq THEN
        RAISE EXCEPTION 'clés d''API : seule la révocation est permise';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER api_keys_guard BEFORE UPDATE OR DELETE ON api_keys FOR EACH ROW EXECUTE FUNCTION api_keys_guard();
