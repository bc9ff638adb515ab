"""Crash safety of the register: writers killed with SIGKILL in the middle of their writes lose no
change they had acknowledged, and the store stays intact (hash chain, SQLite integrity)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

from assistant.base.settings import PROJECT_ROOT
from assistant.register.store import SqliteRegister

WRITER = textwrap.dedent(
    """
    import sys
    from dataclasses import replace
    from pathlib import Path
    from assistant.register.entry import Entry, Obligation
    from assistant.register.store import SqliteRegister

    store = SqliteRegister(Path(sys.argv[1]))
    n = 0
    while True:
        n += 1
        def build(entry_id):
            return Entry(id=entry_id, version=1, state="draft", title=f"usage {n}", description="x" * 2000,
                         service="s", contact_role="r", owner="w", level="minimal",
                         obligations=(Obligation(key="k", text="t"),))
        e = store.create(build, user="w")
        print("ack", e.id, e.version, flush=True)
        for _ in range(3):
            e = store.append(replace(e, version=e.version + 1, state="submitted"), user="w", action="edit")
            print("ack", e.id, e.version, flush=True)
    """
)


def _run_and_kill(db, acks_before_kill: int) -> list[tuple[str, int]]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True, env=env)
    acked: list[tuple[str, int]] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        _, entry_id, version = line.split()
        acked.append((entry_id, int(version)))
        if len(acked) >= acks_before_kill:
            break
    proc.send_signal(signal.SIGKILL)  # the writer is in the middle of its next write
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return acked


def test_sigkill_during_writes_loses_nothing_acknowledged(tmp_path):
    db = tmp_path / "register.sqlite3"
    acked: list[tuple[str, int]] = []
    for kill, n in enumerate((7, 13, 22)):
        acked += _run_and_kill(db, n)
        store = SqliteRegister(db)
        try:
            for entry_id, version in acked:
                versions = [v.entry.version for v in store.history(entry_id)]
                assert version in versions, (kill, entry_id, version, versions)
            ok, rows, report = store.verify()
            assert ok, report
            assert rows >= len(acked)
        finally:
            store.close()
        with sqlite3.connect(db) as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_verify_detects_a_removed_version(tmp_path):
    """The check can fail: a version deleted behind the triggers' back breaks the chain."""
    db = tmp_path / "register.sqlite3"
    _run_and_kill(db, 6)
    with sqlite3.connect(db) as con:
        con.execute("DROP TRIGGER versions_no_delete")
        con.execute("DELETE FROM versions WHERE seq = 3")
    store = SqliteRegister(db)
    ok, _, report = store.verify()
    store.close()
    assert not ok and "ligne 4" in report
