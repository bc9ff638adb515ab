"""Crash safety of the register: writers killed with SIGKILL in the middle of their writes lose no
change they had acknowledged, and the store stays intact (hash chain, SQLite integrity). Both
backends: the writer opens the store the settings choose (core/stores.py), SQLite or PostgreSQL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

from assistant.base.settings import PROJECT_ROOT

WRITER = textwrap.dedent(
    """
    from dataclasses import replace
    from assistant.base.settings import Settings
    from assistant.core.stores import open_register
    from assistant.register.entry import Entry, Obligation

    store = open_register(Settings.load())
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


def _run_and_kill(backend, acks_before_kill: int) -> list[tuple[str, int]]:
    env = {**os.environ, **backend.env(), "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER], stdout=subprocess.PIPE, text=True, env=env)
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


def test_sigkill_during_writes_loses_nothing_acknowledged(register_backend):
    acked: list[tuple[str, int]] = []
    for kill, n in enumerate((7, 13, 22)):
        acked += _run_and_kill(register_backend, n)
        store = register_backend.open()
        try:
            for entry_id, version in acked:
                versions = [v.entry.version for v in store.history(entry_id)]
                assert version in versions, (kill, entry_id, version, versions)
            ok, rows, report = store.verify()
            assert ok, report
            assert rows >= len(acked)
        finally:
            store.close()
        if register_backend.kind == "sqlite":
            with sqlite3.connect(register_backend.where) as con:
                assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_verify_detects_a_removed_version(register_backend):
    """The check can fail: a version deleted behind the triggers' back breaks the chain."""
    _run_and_kill(register_backend, 6)
    register_backend.drop_trigger("no_delete")
    register_backend.execute("DELETE FROM {table} WHERE seq = 3")
    store = register_backend.open()
    ok, _, report = store.verify()
    store.close()
    assert not ok and "ligne 4" in report
