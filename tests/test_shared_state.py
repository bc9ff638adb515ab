"""Several writer processes on one audit trail (the API workers of one or several machines).

Both backends: SQLite serialises writers with its file lock (one machine), PostgreSQL with the
chain's advisory lock (any number of machines). The chain must verify after concurrent writes,
and a writer killed with SIGKILL mid-write must lose no row it had acknowledged (a row is
acknowledged when `record()` returned its id: here, when the writer printed that id).
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from assistant.base.settings import PROJECT_ROOT, Settings
from assistant.ops.stores import open_audit

WRITER = """
import os, sys, time
from assistant.base.settings import Settings
from assistant.ops.stores import open_audit

name, count, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
log = open_audit(Settings.load())
log.pseudonym(name)
while not os.path.exists(go):  # start together: the writes overlap
    time.sleep(0.01)
i = 0
while count < 0 or i < count:
    row_id = log.record(user=log.pseudonym(name), endpoint="POST /v1/ask", status=200,
                        question=f"{name} question {i}", refs=["ai-act:art-5"], latency_ms=1.0)
    print(row_id, f"{name} question {i}", flush=True)
    i += 1
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request, tmp_path) -> Settings:
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else ""
    return Settings.load(var_dir=str(tmp_path / "var"), database_url=url)


def _writer(settings: Settings, name: str, count: int) -> subprocess.Popen:
    """A writer process; it starts writing when the file `go` beside the var dir exists."""
    env = os.environ | {
        "ASSISTANT_VAR_DIR": settings.var_dir,
        "ASSISTANT_DATABASE_URL": settings.database_url,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, name, str(count), str(_go(settings))], stdout=subprocess.PIPE, text=True, env=env
    )


def _go(settings: Settings) -> Path:
    return Path(settings.var_dir).with_name("go")


def test_chain_verifies_after_three_concurrent_writer_processes(settings):
    procs = [_writer(settings, f"w{n}", 40) for n in range(3)]
    _go(settings).touch()
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    acked = [line.split(" ", 1) for out in outputs for line in out.splitlines()]
    log = open_audit(settings)
    report = log.verify()
    assert report.ok and report.rows == 120
    rows = {r["id"]: r["question"] for r in log.rows(limit=1000)}
    assert {int(i): q for i, q in acked} == rows  # every id given once, to the row its writer wrote
    writers_of = [rows[i].split()[0] for i in sorted(rows)]
    assert len({w for a, w in itertools.pairwise(writers_of) if a != w}) > 1  # really interleaved
    log.close()


def test_sigkill_of_writers_loses_no_acknowledged_row(settings):
    procs = [_writer(settings, f"w{n}", -1) for n in range(3)]
    _go(settings).touch()
    acked: list[list[str]] = [[] for _ in procs]

    def read(n: int) -> None:
        stdout = procs[n].stdout
        assert stdout is not None
        for line in stdout:
            if line.endswith("\n"):  # a line cut by the kill was not acknowledged
                acked[n].append(line.strip())

    readers = [threading.Thread(target=read, args=(n,)) for n in range(3)]
    for t in readers:
        t.start()
    # kill each writer once it has acknowledged a few dozen rows, while it is writing more
    for n, p in enumerate(procs):
        while len(acked[n]) < 30 and p.poll() is None:
            threading.Event().wait(0.02)
        p.send_signal(signal.SIGKILL)
    for p in procs:
        p.wait(timeout=60)
    for t in readers:
        t.join(timeout=60)
    assert all(p.returncode == -signal.SIGKILL for p in procs)
    log = open_audit(settings)
    report = log.verify()
    stored = {r["id"]: r["question"] for r in log.rows(limit=100_000)}
    for lines in acked:
        assert len(lines) >= 30
        for line in lines:
            row_id, question = line.split(" ", 1)
            assert stored.get(int(row_id)) == question  # acknowledged -> stored, as acknowledged
    assert report.ok and report.rows == len(stored) >= sum(len(a) for a in acked)
    log.close()
