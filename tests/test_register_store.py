"""The register's store itself, on both backends (SQLite, then a real PostgreSQL: tests/pgserver.py,
skipped with the reason when the server is absent): append-only whoever writes, one version per
(entry, version), a chain verify() checks, and several writer processes at once (the API workers of
one or several machines) that keep one chain and give each entry id once."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.base.errors import RefusedError
from assistant.base.settings import PROJECT_ROOT
from assistant.core.stores import open_register
from assistant.ops.audit import GENESIS
from assistant.register.entry import Entry, Obligation
from assistant.register.store import FIELDS, SqliteRegister, version_hash


def _build(title: str, owner: str = "agent-1"):
    def build(entry_id: str) -> Entry:
        return Entry(
            id=entry_id,
            version=1,
            state="draft",
            title=title,
            description=f"Description de {title}",
            service="RH",
            contact_role="chef de service",
            owner=owner,
            level="minimal",
            obligations=(Obligation(key="k", text="t"),),
        )

    return build


@pytest.fixture()
def store(register_backend):
    s = register_backend.open(clock=lambda: datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    yield s
    s.close()


def _fill(store, n: int = 3) -> list[Entry]:
    out = []
    for i in range(n):
        e = store.create(_build(f"usage {i}"), user="agent-1")
        out.append(store.append(replace(e, version=2, state="submitted"), user="agent-1", action="submit"))
    return out


def test_versions_read_back_in_order_with_ids_of_the_year(store):
    entries = _fill(store)
    assert [e.id for e in entries] == ["IA-2026-0001", "IA-2026-0002", "IA-2026-0003"]
    assert store.get("IA-2026-0002") == entries[1] and store.get("IA-1999-0001") is None
    assert [e.id for e in store.latest()] == [e.id for e in entries] and all(e.version == 2 for e in store.latest())
    history = store.history("IA-2026-0001")
    assert [(v.entry.version, v.action, v.user, v.ts) for v in history] == [
        (1, "create", "agent-1", "2026-12-03T08:00:00.000Z"),
        (2, "submit", "agent-1", "2026-12-03T08:00:00.000Z"),
    ]
    ok, rows, report = store.verify()
    assert ok and rows == 6 and "Registre intègre : 6 version(s)" in report


def test_a_stale_version_is_refused_with_409(store):
    (e,) = _fill(store, 1)
    with pytest.raises(RefusedError) as no:
        store.append(replace(e, title="autre"), user="agent-2", action="edit")  # version 2 again
    assert no.value.status == 409 and "a changé entre-temps (version 2)" in str(no.value)
    with pytest.raises(RefusedError):
        store.append(replace(e, version=4), user="agent-2", action="edit")  # skips version 3
    assert store.verify()[1] == 2


def test_the_database_refuses_updates_deletes_and_rows_off_the_chain(store, register_backend):
    _fill(store)
    error = register_backend.error
    with pytest.raises(error, match="ajout seul"):
        register_backend.execute("UPDATE {table} SET action = 'x' WHERE seq = 2")
    with pytest.raises(error, match="ajout seul"):
        register_backend.execute("DELETE FROM {table} WHERE seq = 6")
    if register_backend.kind == "postgresql":
        with pytest.raises(error, match="ajout seul"):
            register_backend.execute("TRUNCATE register_versions")
    head = register_backend.execute("SELECT * FROM {table} ORDER BY seq DESC LIMIT 1")[0]
    fields = {k: head[k] for k in FIELDS} | {"entry_id": "IA-2026-0099", "version": 1}
    cols = 'seq, entry_id, version, ts, "user", action, entry, prev_hash, hash'
    values = [head["seq"] + 1, *(fields[k] for k in FIELDS)]
    with pytest.raises(error, match="prev_hash"):  # a row that does not follow the head
        register_backend.execute(f"INSERT INTO {{table}} ({cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 [*values, GENESIS, version_hash(fields, GENESIS)])  # fmt: skip
    twice = fields | {"entry_id": head["entry_id"], "version": head["version"]}  # follows the head, but stored twice
    with pytest.raises(error, match=r"(?i)unique"):
        register_backend.execute(f"INSERT INTO {{table}} ({cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 [head["seq"] + 1, *(twice[k] for k in FIELDS), head["hash"],
                                  version_hash(twice, head["hash"])])  # fmt: skip
    assert store.verify()[:2] == (True, 6)


def test_verify_finds_a_changed_row_and_a_rehashed_one(store, register_backend):
    _fill(store)
    register_backend.drop_trigger("no_update")
    register_backend.execute("UPDATE {table} SET action = 'decide' WHERE seq = 2")
    ok, rows, report = store.verify()
    assert not ok and rows == 6 and "ligne 2" in report
    row = register_backend.execute("SELECT * FROM {table} WHERE seq = 2")[0]
    register_backend.execute("UPDATE {table} SET hash = ? WHERE seq = 2", [version_hash(row, row["prev_hash"])])
    ok, _, report = store.verify()
    assert not ok and "ligne 3" in report  # the next row no longer follows it


def test_two_stores_on_one_database_see_each_others_changes(register_backend, tmp_path):
    """Two workers (PostgreSQL: two connection pools) on one register."""
    pools = []
    if register_backend.kind == "sqlite":
        a, b = SqliteRegister(Path(register_backend.where)), SqliteRegister(Path(register_backend.where))
    else:
        from assistant.ops.db import Database
        from assistant.register.store_pg import PgRegister

        pools = [Database(register_backend.where), Database(register_backend.where)]
        a, b = PgRegister(pools[0]), PgRegister(pools[1])
    try:
        e = a.create(_build("usage A"), user="agent-1")
        assert b.get(e.id) == e
        f = b.create(_build("usage B"), user="agent-2")
        assert f.id != e.id
        b.append(replace(e, version=2, state="submitted"), user="agent-1", action="submit")
        with pytest.raises(RefusedError) as no:  # worker A still holds version 1
            a.append(replace(e, version=2, title="autre"), user="agent-1", action="edit")
        assert no.value.status == 409
        assert a.verify()[:2] == (True, 3) and b.verify()[:2] == (True, 3)
    finally:
        a.close()
        b.close()
        for pool in pools:
            pool.close()


def test_open_register_follows_the_settings(register_backend, tmp_path):
    store = open_register(register_backend.settings(tmp_path / "var"))
    try:
        kind = "sqlite" if isinstance(store, SqliteRegister) else "postgresql"
        assert kind == register_backend.kind
        e = store.create(_build("usage"), user="agent-1")
        assert register_backend.execute("SELECT entry_id FROM {table}") == [{"entry_id": e.id}]
    finally:
        store.close()


WRITER = textwrap.dedent(
    """
    import os, sys, time
    from dataclasses import replace
    from assistant.base.settings import Settings
    from assistant.core.stores import open_register
    from assistant.register.entry import Entry

    name, count, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    store = open_register(Settings.load())
    open(f"{go}.{name}", "w").close()  # ready
    while not os.path.exists(go):  # start together: the writes overlap
        time.sleep(0.01)
    for i in range(count):
        build = lambda eid: Entry(id=eid, version=1, state="draft", title=f"{name} {i}", description="x",
                                  service="s", contact_role="r", owner=name, level="minimal")
        e = store.create(build, user=name)
        print(e.id, 1, flush=True)
        e = store.append(replace(e, version=2, state="submitted"), user=name, action="submit")
        print(e.id, 2, flush=True)
        time.sleep(0.005)  # a worker between two requests (SQLite's lock is not fair: a busy loop keeps it)
    """
)


def test_three_writer_processes_keep_one_chain_and_unique_ids(register_backend, tmp_path):
    go = tmp_path / "go"
    env = {**os.environ, **register_backend.env(), "PYTHONPATH": str(PROJECT_ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, f"w{n}", "15", str(go)], stdout=subprocess.PIPE, text=True, env=env
        )
        for n in range(3)
    ]
    deadline = time.monotonic() + 120
    while not all(Path(f"{go}.w{n}").exists() for n in range(3)) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    acked = {(line.split()[0], int(line.split()[1])) for out in outputs for line in out.splitlines()}
    store = register_backend.open()
    try:
        ok, rows, report = store.verify()
        assert ok and rows == 90, report
        ids = sorted({entry_id for entry_id, _ in acked})
        assert len(ids) == 45 and [int(i[-4:]) for i in ids] == list(range(1, 46))  # each id given once, no gap
        for entry_id in ids:
            assert [v.entry.version for v in store.history(entry_id)] == [1, 2]
        owners = [r["user"] for r in register_backend.execute('SELECT "user" FROM {table} ORDER BY seq')]
        assert sum(1 for a, b in itertools.pairwise(owners) if a != b) > 2  # really interleaved
    finally:
        store.close()
