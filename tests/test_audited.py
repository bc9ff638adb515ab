"""The audited gateway (core/audited.py): one row per request, its status from base/errors.py, metrics."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from assistant.base.errors import (
    AssistantError,
    BackendError,
    IndexStateError,
    InputError,
    ModelError,
    RefusedError,
    error_status,
)
from assistant.core.audited import Caller, Gateway
from assistant.ops.audit import AuditLog
from assistant.ops.metrics import Metrics

from .fakes import Scripted

OUT = {
    "question": "q",
    "answer": "r",
    "abstained": False,
    "citations": [{"doc_id": "ai-act", "ref": "art-5"}],
    "model": {"llm": "fake", "corpus_version": "c1"},
    "timings": {"retrieval_ms": 1.0, "ttft_ms": 2.0, "total_ms": 3.0},
    "energy": {"wh": 0.001, "co2e_g": 0.0001},
}


class Stub:
    """The Service's request methods, scripted: `fail` is raised by every call when set."""

    def __init__(self):
        self.fail: BaseException | None = None

    def _maybe_fail(self):
        if self.fail is not None:
            raise self.fail

    def ask(self, question, *, on_token=None):
        self._maybe_fail()
        return Scripted(OUT, question=question)

    def assess(self, description, *, on_token=None):
        self._maybe_fail()
        return Scripted(OUT, question=description, risk_level="high-risk")

    def search(self, query, k=5, docs=None, lang=None):
        self._maybe_fail()
        return {"query": query, "results": [{"doc_id": "ai-act", "ref": f"art-{i}"} for i in range(k)]}

    def documents(self):
        self._maybe_fail()
        return [{"doc_id": "ai-act"}]

    def unit(self, doc_id, ref):
        self._maybe_fail()
        return {"doc_id": doc_id, "ref": ref, "text": "…"} if ref == "art-5" else None


@pytest.fixture()
def gw(tmp_path):
    log = AuditLog(tmp_path / "audit.sqlite3")
    yield Gateway(Stub(), log, Metrics())  # type: ignore[arg-type]
    log.close()


def _who(endpoint="POST /v1/ask", channel="api") -> Caller:
    return Caller("u1", endpoint, channel)


def test_each_error_class_has_its_status_and_code():
    assert error_status(InputError("x")) == (422, "invalid_request")
    assert error_status(IndexStateError("x")) == (503, "index_missing")
    assert error_status(ModelError("x")) == (503, "model_missing")
    assert error_status(BackendError("x")) == (503, "unavailable")
    assert error_status(AssistantError("x")) == (503, "unavailable")
    assert error_status(RefusedError(404, "not_found", "x")) == (404, "not_found")
    assert error_status(RuntimeError("x")) == (500, "internal")


def test_one_row_per_request_success_and_failure(gw):
    log = gw.audit
    out = gw.ask(_who(), "Mme Dupont demande : article 5 ?")
    assert out["answer_id"] and log.has_answer(out["answer_id"])
    gw.service.fail = InputError("vide")
    with pytest.raises(InputError):
        gw.ask(_who(), "x")
    gw.service.fail = IndexStateError("pas d'index")
    with pytest.raises(IndexStateError):
        gw.search(_who("POST /v1/search"), "amende")
    gw.service.fail = RuntimeError("panne")
    with pytest.raises(RuntimeError):
        gw.assess(_who("POST /v1/assess"), "projet")
    gw.service.fail = None
    with pytest.raises(RefusedError, match="Aucun passage"):
        gw.unit(_who("GET /u"), "ai-act", "art-999")
    assert gw.unit(_who("GET /u"), "ai-act", "art-5")["ref"] == "art-5"
    with pytest.raises(RefusedError, match="Réponse inconnue"):
        gw.feedback(_who("POST /v1/feedback"), "inconnue", True)
    gw.feedback(_who("POST /v1/feedback"), out["answer_id"], False, "appeler le 06 12 34 56 78")
    rows = list(reversed(log.rows(20)))
    assert [(r["endpoint"], r["status"]) for r in rows] == [
        ("POST /v1/ask", 200),
        ("POST /v1/ask", 422),
        ("POST /v1/search", 503),
        ("POST /v1/assess", 500),
        ("GET /u", 404),
        ("GET /u", 200),
        ("POST /v1/feedback", 404),
        ("POST /v1/feedback", 201),
    ]
    assert rows[0]["question"] == "Mme [NOM] demande : article 5 ?" and rows[0]["refs"] == ["ai-act:art-5"]
    assert rows[4]["refs"] == ["ai-act:art-999"] and rows[7]["answer_id"] == out["answer_id"]
    assert all(r["user"] == "u1" and r["latency_ms"] is not None for r in rows)
    assert log.feedback()[0]["comment"] == "appeler le [TÉLÉPHONE]"
    assert log.verify().ok
    m = gw.metrics
    assert m.total("assistant_requests_total") == 8 and m.total("assistant_answers_total") == 1
    labels = {"channel": "api", "operation": "search", "status": "503"}
    assert m.registry.get_sample_value("assistant_requests_total", labels) == 1


def test_no_row_no_answer_and_a_failed_row_keeps_the_requests_error(gw, monkeypatch):
    def broken(**kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(gw.audit, "record", broken)
    with pytest.raises(sqlite3.OperationalError):  # the answer is computed but not given without its row
        gw.ask(_who(), "question")
    gw.service.fail = InputError("vide")
    with pytest.raises(InputError):  # the caller sees the request's error, not the audit's
        gw.search(_who(), "x")
    assert gw.metrics.total("assistant_answers_total") == 0


def test_a_session_carries_its_user_and_a_refusal_is_audited(gw):
    ui = gw.session("p-123", channel="ui", prefix="UI /ui")
    ui.search("amende", k=2)
    refused = gw.session("p-456", channel="ui", prefix="UI /ui", refusal=RefusedError(401, "unauthorized", "révoquée"))
    with pytest.raises(RefusedError, match="révoquée"):
        refused.ask("question")
    rows = gw.audit.rows(2)
    assert [(r["endpoint"], r["user"], r["status"]) for r in rows] == [
        ("UI /ui ask", "p-456", 401),
        ("UI /ui search", "p-123", 200),
    ]
    assert rows[0]["question"] == "question" and rows[0]["answer_id"] is None


def test_a_stream_whose_client_left_stops_the_generation_and_is_audited_499(tmp_path):
    from assistant.web.api import _stream

    left, finished = threading.Event(), threading.Event()
    tokens_after_leaving: list[str] = []

    class Slow(Stub):
        def ask(self, question, *, on_token=None):
            try:
                on_token("Début")
                left.wait(30)  # until the client has gone
                on_token("suite")  # raises: the generation stops here
                tokens_after_leaving.append("suite")
                return Scripted(OUT)
            finally:
                finished.set()

    log = AuditLog(tmp_path / "audit.sqlite3")
    gateway = Gateway(Slow(), log, Metrics())  # type: ignore[arg-type]

    async def client() -> str:
        stream = _stream(gateway.ask, _who(), "question")
        first = await stream.__anext__()
        await stream.aclose()  # the client went away
        left.set()
        await asyncio.get_running_loop().run_in_executor(None, finished.wait, 30)
        return first

    try:
        assert asyncio.run(client()).startswith("event: token")
        assert finished.is_set() and tokens_after_leaving == []
        (row,) = log.rows(5)
        assert (row["status"], row["question"]) == (499, "question") and log.verify().ok
    finally:
        log.close()
