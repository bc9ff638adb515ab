"""API keys (stored hashed, roles, revocation), the listen guard, the rate limiter and the service CLI.

The key store tests run against both backends: the JSON file and a real PostgreSQL (tests/pgserver.py)."""

from __future__ import annotations

import argparse
import hashlib
import json
import stat
from pathlib import Path

import pytest

from assistant.base.errors import AssistantError, InputError
from assistant.base.settings import Settings
from assistant.cli.admin import add_commands
from assistant.ops.db import latest_version
from assistant.ops.keys import PREFIX, KeyRegistry, KeyStore, assert_can_listen, is_loopback, role_allows
from assistant.ops.ratelimit import RateLimiter


def _pg_rows(url: str, sql: str) -> list[dict]:
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        cur = conn.execute(sql)
        return list(cur.fetchall()) if cur.description else []


@pytest.fixture(params=["file", "postgresql"])
def backend(request, tmp_path) -> tuple[str, str]:
    if request.param == "file":
        return ("file", str(tmp_path / "var" / "keys.json"))
    return ("postgresql", request.getfixturevalue("pg_url"))


def open_store(backend: tuple[str, str]) -> KeyRegistry:
    kind, where = backend
    if kind == "file":
        return KeyStore(Path(where))
    from assistant.ops.db import database
    from assistant.ops.keys_pg import PgKeyStore

    return PgKeyStore(database(where))


@pytest.fixture()
def store(backend):
    return open_store(backend)


def test_create_shows_key_once_and_stores_only_its_hash(store, backend):
    record, raw = store.create("agent", "Service des routes")
    assert raw.startswith(PREFIX) and len(raw) > len(PREFIX) + 40
    kind, where = backend
    if kind == "file":
        text = Path(where).read_text(encoding="utf-8")
        data = json.loads(text)["keys"][0]
        assert stat.S_IMODE(Path(where).stat().st_mode) == 0o600
    else:
        rows = _pg_rows(where, "SELECT * FROM api_keys")
        text = json.dumps(rows)
        data = {k: v for k, v in rows[0].items() if k != "seq"}
    assert raw not in text and raw[len(PREFIX) :] not in text
    assert hashlib.sha256(raw.encode()).hexdigest() in text
    assert set(data) == {"id", "role", "label", "created", "sha256", "revoked"}
    assert data["role"] == "agent" and data["label"] == "Service des routes" and data["revoked"] is None
    assert "sha256" not in record.public()


def test_authenticate_and_revoke(store):
    agent, raw_agent = store.create("agent")
    _admin, raw_admin = store.create("admin", "DSI")
    assert store.authenticate(raw_agent).id == agent.id
    assert store.authenticate(raw_admin).role == "admin"
    assert store.authenticate(raw_agent + "x") is None
    assert store.authenticate("") is None and store.authenticate(None) is None
    revoked = store.revoke(agent.id)
    assert revoked.revoked and not revoked.active
    assert store.authenticate(raw_agent) is None
    assert store.authenticate(raw_admin) is not None
    assert store.exists() and store.has_active()


def test_revocation_seen_by_another_reader(store, backend):
    reader = open_store(backend)  # e.g. the running server, while the CLI revokes
    key, raw = store.create("trainer")
    assert reader.authenticate(raw) is not None
    store.revoke(key.id)
    assert reader.authenticate(raw) is None


def test_bad_role_and_unknown_id(store):
    with pytest.raises(InputError, match="Rôle inconnu"):
        store.create("root")
    with pytest.raises(InputError, match="assistant keys list"):
        store.revoke("nope")


def test_role_ladder():
    assert role_allows("admin", "admin") and role_allows("admin", "trainer") and role_allows("admin", "agent")
    assert role_allows("trainer", "agent") and role_allows("trainer", "trainer") and not role_allows("trainer", "admin")
    assert role_allows("agent", "agent") and not role_allows("agent", "trainer") and not role_allows("agent", "admin")
    assert not role_allows("stranger", "agent")


@pytest.mark.parametrize(
    ("host", "loop"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("192.168.1.10", False), ("::", False), ("intranet.cd13.fr", False), ("", False), (None, False)],
)  # fmt: skip
def test_is_loopback(host, loop):
    assert is_loopback(host) is loop


def test_assert_can_listen(store):
    assert_can_listen("127.0.0.1", store)  # local without keys: fine
    with pytest.raises(AssistantError, match="assistant keys create --role admin"):
        assert_can_listen("0.0.0.0", store)
    key, _ = store.create("admin")
    assert_can_listen("0.0.0.0", store)
    store.revoke(key.id)
    with pytest.raises(AssistantError, match="aucune clé d'API active"):
        assert_can_listen("10.0.0.5", store)


def test_keys_in_postgresql_are_never_deleted_nor_changed(pg_url):
    import psycopg

    store = open_store(("postgresql", pg_url))
    key, _ = store.create("agent")
    for sql in ("DELETE FROM api_keys", "UPDATE api_keys SET role = 'admin'"):
        with pytest.raises(psycopg.Error, match="clés d'API"):
            _pg_rows(pg_url, sql)
    store.revoke(key.id)
    with pytest.raises(psycopg.Error, match="seule la révocation"):
        _pg_rows(pg_url, "UPDATE api_keys SET revoked = NULL")
    assert [k.role for k in store.records()] == ["agent"] and not store.has_active()


def test_corrupt_key_file_is_a_clear_error(tmp_path):
    store = KeyStore(tmp_path / "var" / "keys.json")
    store.path.parent.mkdir(parents=True)
    store.path.write_text("{pas du json", encoding="utf-8")
    with pytest.raises(AssistantError, match="illisible"):
        store.records()


def test_token_bucket():
    now = [1000.0]
    rl = RateLimiter(3, clock=lambda: now[0])
    assert [rl.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = rl.take("k")
    assert wait == pytest.approx(20.0)  # 3 per minute: one token every 20 s
    assert RateLimiter.retry_after(wait) == 20
    assert rl.take("other") == 0.0  # buckets are per key
    now[0] += 20.0
    assert rl.take("k") == 0.0
    assert rl.take("k") > 0
    assert RateLimiter.retry_after(0.01) == 1


def test_token_bucket_in_postgresql_is_shared_by_workers(pg_url):
    from assistant.ops.db import Database
    from assistant.ops.ratelimit import PgRateLimiter

    worker_a, worker_b = PgRateLimiter(Database(pg_url), 3), PgRateLimiter(Database(pg_url), 3)
    assert [worker_a.take("k"), worker_b.take("k"), worker_a.take("k")] == [0.0, 0.0, 0.0]
    wait = worker_b.take("k")  # the 4th request of the minute, whichever worker gets it
    assert 0 < wait <= 20.0
    assert worker_b.take("other") == 0.0  # buckets are per key


# ---------------------------------------------------------------- CLI


def _run(argv, settings, capsys):
    p = argparse.ArgumentParser(prog="assistant")
    sub = p.add_subparsers(dest="command", required=True)
    add_commands(sub)
    args = p.parse_args(argv)
    code = args.func(args, settings)
    return code, capsys.readouterr().out


def test_cli_keys_and_audit(tmp_path, capsys):
    settings = Settings.load(var_dir=str(tmp_path / "var"))
    code, out = _run(["keys", "create", "--role", "admin", "--label", "DSI", "--json"], settings, capsys)
    created = json.loads(out)
    assert code == 0 and created["role"] == "admin" and created["key"].startswith(PREFIX)
    assert created["key"] not in settings.keys_file.read_text(encoding="utf-8")
    code, out = _run(["keys", "create", "--label", "Accueil"], settings, capsys)
    assert "ne sera plus jamais affichée" in out and "agent" in out
    code, out = _run(["keys", "list"], settings, capsys)
    assert created["id"] in out and "DSI" in out and created["key"] not in out
    code, out = _run(["keys", "revoke", created["id"]], settings, capsys)
    assert code == 0 and "révoquée" in out
    listed = json.loads(_run(["keys", "list", "--json"], settings, capsys)[1])
    assert [k["revoked"] is not None for k in listed["keys"]] == [True, False]

    from assistant.ops.audit import AuditLog

    log = AuditLog.from_settings(settings)
    log.record(user="local", endpoint="POST /v1/ask", status=200, question="Mme Martin, 06 12 34 56 78 : article 5 ?")
    log.close()
    code, out = _run(["audit", "verify"], settings, capsys)
    assert code == 0 and "intègre" in out
    code, out = _run(["audit", "show", "--limit", "5"], settings, capsys)
    assert "Mme [NOM], [TÉLÉPHONE] : article 5 ?" in out and "06 12" not in out
    code, out = _run(["audit", "purge", "--older-than-days", "30", "--json"], settings, capsys)
    assert code == 0 and json.loads(out)["deleted"] == 0
    code, out = _run(["audit", "verify", "--json"], settings, capsys)
    assert json.loads(out)["ok"] is True


def test_cli_keys_audit_and_db_on_postgresql(pg_server, tmp_path, capsys):
    url = pg_server.fresh_database(migrate=False)
    settings = Settings.load(var_dir=str(tmp_path / "var"), database_url=url)
    code, out = _run(["db", "status"], settings, capsys)
    assert code == 1 and "assistant db upgrade" in out
    code, out = _run(["db", "upgrade"], settings, capsys)
    assert code == 0 and "0001_initial.sql" in out and "0002_conversation_id.sql" in out
    assert "0003_register_conversations.sql" in out
    code, out = _run(["db", "upgrade", "--json"], settings, capsys)
    assert json.loads(out)["applied"] == [] and json.loads(out)["version"] == latest_version()
    code, out = _run(["keys", "create", "--role", "admin", "--label", "DSI", "--json"], settings, capsys)
    created = json.loads(out)
    assert code == 0 and not settings.keys_file.exists()  # in the database, not in a file
    listed = json.loads(_run(["keys", "list", "--json"], settings, capsys)[1])
    assert [k["id"] for k in listed["keys"]] == [created["id"]] and "@" in listed["path"]
    from assistant.ops.stores import open_audit

    log = open_audit(settings)
    log.record(user="local", endpoint="POST /v1/ask", status=200, question="Mme Martin, 06 12 34 56 78 : article 5 ?")
    code, out = _run(["audit", "show", "--limit", "5"], settings, capsys)
    assert "Mme [NOM], [TÉLÉPHONE] : article 5 ?" in out and not settings.audit_file.exists()
    code, out = _run(["audit", "verify"], settings, capsys)
    assert code == 0 and "intègre : 1 ligne" in out


def test_database_url_errors_are_clear(pg_server, tmp_path):
    from assistant.base.errors import ConfigError
    from assistant.ops.stores import open_audit

    with pytest.raises(ConfigError, match="postgresql://"):
        open_audit(Settings.load(var_dir=str(tmp_path), database_url="mysql://x@y/z"))
    stale = Settings.load(var_dir=str(tmp_path), database_url=pg_server.fresh_database(migrate=False))
    with pytest.raises(ConfigError, match="assistant db upgrade"):
        open_audit(stale)
    closed = f"postgresql://nobody:secret@127.0.0.1:{pg_server.port + 1}/x"
    with pytest.raises(ConfigError, match="injoignable") as err:
        open_audit(Settings.load(var_dir=str(tmp_path), database_url=closed))
    assert "secret" not in str(err.value)
