"""Audit trail: append-only rows chained by hash, tamper detection, purge, pseudonyms.

Every test runs against both backends: SQLite (the embedded default) and a real PostgreSQL
(tests/pgserver.py; skipped with the reason when the server binaries are absent)."""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.ops.audit import GENESIS, AuditLog, AuditTrail, parse_since
from tests.rawdb import RawDb


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture()
def clock():
    return Clock(datetime(2026, 1, 1, 9, 0, tzinfo=UTC))


class Backend(RawDb):
    """Opens the audit store of one backend, and reaches its database behind the store's back."""

    def open(self, clock=None, retention_days: int = 365) -> AuditTrail:
        extra = {"clock": clock} if clock else {}
        if self.kind == "sqlite":
            return AuditLog(Path(self.where), retention_days=retention_days, **extra)
        from assistant.ops.audit_pg import PgAuditLog
        from assistant.ops.db import database

        return PgAuditLog(database(self.where), retention_days=retention_days, **extra)  # the process's pool

    def drop_trigger(self, name: str) -> None:
        self.execute(f"DROP TRIGGER {name}" + (" ON audit" if self.kind == "postgresql" else ""))

    def stored_text(self) -> str:
        """Everything the store holds, as text (to check what is never stored)."""
        if self.kind == "sqlite":
            files = [Path(self.where), Path(self.where + "-wal")]  # committed rows sit in the WAL until a checkpoint
            return "".join(f.read_bytes().decode("utf-8", "replace") for f in files if f.exists())
        return json.dumps(self.execute("SELECT * FROM audit") + self.execute("SELECT * FROM feedback"))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", str(tmp_path / "var" / "audit.sqlite3"))
    return Backend("postgresql", request.getfixturevalue("pg_url"))


@pytest.fixture()
def log(backend, clock):
    audit = backend.open(clock=clock, retention_days=365)
    yield audit
    audit.close()


def _fill(log: AuditTrail, n: int, clock: Clock | None = None, step=timedelta(days=1)) -> None:
    for i in range(n):
        log.record(
            user=log.pseudonym(f"key{i % 3}"),
            endpoint="POST /v1/ask",
            status=200,
            question=f"Question {i} de Mme Martin (martin{i}@cg13.fr) sur l'article {i + 1}",
            refs=[f"ai-act:art-{i + 1}"],
            abstained=i % 2 == 0,
            model="fake-llm",
            corpus_version="corpus-x",
            latency_ms=12.5 + i,
            energy_wh=0.001 * i,
            answer_id=f"answer-{i}",
        )
        if clock:
            clock.now += step


def test_rows_are_chained_redacted_and_verified(log, backend):
    _fill(log, 5)
    report = log.verify()
    assert report.ok and report.rows == 5 and len(report.head) == 64
    rows = log.rows(limit=10)
    assert [r["answer_id"] for r in rows] == [f"answer-{i}" for i in range(4, -1, -1)]  # newest first
    first = rows[-1]
    assert first["prev_hash"] == GENESIS
    assert first["question"] == "Question 0 de Mme [NOM] ([EMAIL]) sur l'article 1"
    assert first["refs"] == ["ai-act:art-1"] and first["abstained"] is True and first["latency_ms"] == 12.5
    assert first["ts"] == "2026-01-01T09:00:00.000Z"
    assert all(rows[i]["prev_hash"] == rows[i + 1]["hash"] for i in range(4))
    if backend.kind == "sqlite":
        assert backend.execute("PRAGMA journal_mode")[0]["journal_mode"] == "wal"
    assert "martin0@cg13.fr" not in backend.stored_text() and "Mme [NOM]" in backend.stored_text()


def test_update_and_delete_are_refused(log, backend):
    _fill(log, 3)
    with pytest.raises(backend.error, match="ajout seul"):
        backend.execute("UPDATE audit SET question = 'autre' WHERE id = 2")
    with pytest.raises(backend.error, match="ajout seul"):
        backend.execute("DELETE FROM audit WHERE id = 2")
    with pytest.raises(backend.error, match="prev_hash"):
        backend.execute(
            'INSERT INTO audit (id, kind, ts, "user", endpoint, refs, prev_hash, hash) '
            "VALUES (4, 'request', 'x', 'u', 'e', '[]', ?, ?)",
            [GENESIS, GENESIS],
        )
    if backend.kind == "postgresql":
        with pytest.raises(backend.error, match="ajout seul"):
            backend.execute("TRUNCATE audit")
    assert log.verify().ok and log.count() == 3


def test_tampered_content_is_detected(log, backend):
    _fill(log, 5)
    backend.drop_trigger("audit_no_update")
    backend.execute("UPDATE audit SET question = 'question inoffensive' WHERE id = 3")
    report = log.verify()
    assert not report.ok and report.broken_id == 3 and "modifié" in report.reason
    assert "ligne 3" in report.render()


def test_rehashed_row_breaks_the_link_to_the_next(log, backend):
    from assistant.ops.audit import FIELDS, row_hash

    _fill(log, 5)
    backend.drop_trigger("audit_no_update")
    row = backend.execute("SELECT * FROM audit WHERE id = 2")[0]
    row["abstained"] = 1 - row["abstained"]
    forged = row_hash({k: row[k] for k in FIELDS}, row["prev_hash"])
    backend.execute("UPDATE audit SET abstained = ?, hash = ? WHERE id = 2", [row["abstained"], forged])
    report = log.verify()
    assert not report.ok and report.broken_id == 3 and "chaînage" in report.reason


def test_deleted_rows_are_detected(log, backend):
    _fill(log, 6)
    backend.drop_trigger("audit_no_delete")
    backend.execute("DELETE FROM audit WHERE id = 4")
    report = log.verify()
    assert not report.ok and report.broken_id == 5

    backend.execute("DELETE FROM audit WHERE id <= 2")  # the beginning, outside purge
    report = log.verify()
    assert not report.ok and report.broken_id == 3 and "début de chaîne" in report.reason


def test_purge_keeps_the_chain_verifiable(log, clock):
    _fill(log, 10, clock)  # one row a day, 1 to 10 January
    clock.now = datetime(2026, 1, 11, 12, 0, tzinfo=UTC)
    report = log.purge(older_than_days=5)  # before 6 January 12:00 -> rows of 1..6 January
    assert report.deleted == 6 and report.through_id == 6
    assert log.verify().ok
    rows = log.rows(limit=100)
    marker = rows[0]
    assert marker["kind"] == "purge" and marker["detail"]["through_id"] == 6 and marker["detail"]["deleted"] == 6
    assert rows[-1]["id"] == 7 and rows[-1]["prev_hash"] == marker["detail"]["anchor"]

    _fill(log, 3)  # the chain goes on after the marker (same day: nothing new to purge)
    assert log.verify().ok
    assert log.purge(older_than_days=5).deleted == 0  # nothing more to purge yet
    clock.now += timedelta(days=400)
    everything = log.purge()  # retention (365 days): all rows, the first marker included
    assert everything.deleted == 8 and log.count() == 1
    assert log.verify().ok
    _fill(log, 2, clock)
    assert log.verify().ok


def test_purge_deletes_old_feedback(log, clock, backend):
    log.add_feedback(user="u1", answer_id="a1", useful=True, comment="très utile, merci (06 12 34 56 78)")
    clock.now += timedelta(days=10)
    log.add_feedback(user="u2", answer_id="a2", useful=False, comment="")
    fb = log.feedback()
    assert [f["answer_id"] for f in fb] == ["a2", "a1"]
    assert fb[1]["comment"] == "très utile, merci ([TÉLÉPHONE])" and fb[1]["useful"] is True
    with pytest.raises(backend.error, match="ajout seul"):
        backend.execute("UPDATE feedback SET useful = 0")
    assert log.purge(older_than_days=5).feedback_deleted == 1
    assert [f["answer_id"] for f in log.feedback()] == ["a2"]


def test_pseudonyms(tmp_path, log, backend, request):
    p = log.pseudonym("abcd1234")
    assert len(p) == 16 and int(p, 16) >= 0 and p == log.pseudonym("abcd1234")
    assert p != log.pseudonym("abcd1235") and "abcd1234" not in p
    assert log.pseudonym(None) == "local"
    same = backend.open()  # another worker of the same installation
    assert same.pseudonym("abcd1234") == p
    same.close()
    if backend.kind == "sqlite":
        assert isinstance(log, AuditLog) and stat.S_IMODE(log.secret_path.stat().st_mode) == 0o600
        other = Backend("sqlite", str(tmp_path / "other" / "audit.sqlite3")).open()
    else:
        other = Backend("postgresql", request.getfixturevalue("pg_server").fresh_database()).open()
    assert other.pseudonym("abcd1234") != p  # per-installation secret
    other.close()


def test_rows_survive_reopening_and_concurrent_writers(backend):
    a = backend.open()
    threads = [threading.Thread(target=_fill, args=(a, 10)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a.close()
    b = backend.open()
    report = b.verify()
    assert report.ok and report.rows == 40
    b.close()


def test_since_filter_and_parse(log, clock):
    _fill(log, 4, clock)
    assert parse_since("2026-01-03") == "2026-01-03T00:00:00.000Z"
    assert parse_since("2026-01-03T10:00:00+02:00") == "2026-01-03T08:00:00.000Z"
    rows = log.rows(limit=10, since=parse_since("2026-01-03"))
    assert [r["answer_id"] for r in rows] == ["answer-3", "answer-2"]
    with pytest.raises(ValueError, match="date invalide"):
        parse_since("hier")


def test_answer_row_from_a_response(log):
    out = {
        "answer_id": "id-1",
        "abstained": False,
        "citations": [{"doc_id": "ai-act", "ref": "art-99-3"}, {"doc_id": "charte", "ref": "defi-6"}],
        "model": {"llm": "qwen", "corpus_version": "corpus-abc"},
        "energy": {"wh": 0.0123},
    }
    log.record_answer(user="local", endpoint="POST /v1/ask", status=200, question="Amende ?", out=out, latency_ms=10)
    row = log.rows(1)[0]
    assert row["refs"] == ["ai-act:art-99-3", "charte:defi-6"]
    assert (row["model"], row["corpus_version"], row["energy_wh"], row["answer_id"]) == (
        "qwen",
        "corpus-abc",
        0.0123,
        "id-1",
    )
    assert json.loads(json.dumps(row))  # JSON-serialisable for the admin route
    assert log.has_answer("id-1") and not log.has_answer("id-2")
    assert log.verify().ok


def test_client_supplied_ids_and_long_questions_are_redacted_whole(log):
    """An unknown answer_id or unit ref is what a client typed; a question is redacted before it is cut."""
    email = "jean.dupont@orange.fr"
    question = "x" * 1995 + " " + email  # the e-mail straddles the 2000-character cut
    log.record(user="local", endpoint="POST /v1/feedback", status=404, answer_id=f"écrire à {email}",
               refs=[f"ai-act:{email}"], question=question)  # fmt: skip
    row = log.rows(1)[0]
    assert "jean.dupont" not in json.dumps(row) and "orange" not in json.dumps(row)
    assert row["answer_id"] == "écrire à [EMAIL]" and row["refs"] == ["ai-act:[EMAIL]"]
    assert len(row["question"]) == 2000 and row["question"].endswith(" [EMA")
    assert log.verify().ok
