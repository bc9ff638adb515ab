"""REST API with the fake embedder and the scripted LLM: routes, SSE, auth and roles, limits, errors, audit, metrics."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from fastapi.testclient import TestClient

from assistant.answer.result import Assessment, ModelInfo
from assistant.backends.fake import ScriptedGenerator
from assistant.base.settings import Settings
from assistant.core.service import Service
from assistant.ops.audit import AuditLog
from assistant.ops.energy import Energy
from assistant.ops.keys import KeyStore
from assistant.web.api import MAX_BODY, create_app

LOCAL = ("127.0.0.1", 50000)
REMOTE = ("192.168.10.20", 50000)
QUESTION = "Quelle amende pour le non-respect de l'interdiction des pratiques visées à l'article 5 ?"
PII_QUESTION = "Je suis Mme Martin (martin.j@cg13.fr, 06 12 34 56 78) : quelle amende pour une pratique interdite ?"


def _reply(text: str, sources=(1,)) -> str:
    return json.dumps({"trouve": True, "reponse": text, "sources": list(sources)}, ensure_ascii=False)


@pytest.fixture(scope="module")
def base_settings(fake_index_dir, corpus, tmp_path_factory) -> Settings:
    return Settings.load(
        embedder="fake",
        llm="fake",
        index_dir=str(fake_index_dir),
        corpus_dir=str(corpus),
        var_dir=str(tmp_path_factory.mktemp("var")),
    )


@pytest.fixture(scope="module")
def shared(base_settings):
    gen = ScriptedGenerator()
    svc = Service(base_settings, generator=gen)
    svc.answerer.floor, svc.answerer.strong = 0.0, 2.0  # fake embedder: no calibrated abstention
    return svc, gen


@pytest.fixture()
def settings(base_settings, tmp_path) -> Settings:
    return base_settings.with_(var_dir=str(tmp_path / "var"))


@pytest.fixture()
def make(settings, shared):
    """make(client=LOCAL, service=None, **settings overrides) -> (TestClient, app)."""
    clients = []

    def factory(client=LOCAL, service=None, **overrides):
        s = settings.with_(**overrides)
        app = create_app(s, service or shared[0])
        c = TestClient(app, client=client, raise_server_exceptions=False)
        c.__enter__()
        clients.append(c)
        return c, app

    yield factory
    for c in clients:
        c.__exit__(None, None, None)
        c.app.state.ctx.audit.close()


@pytest.fixture()
def api(make):
    return make()


def _audit(app) -> AuditLog:
    return app.state.ctx.audit


def _keys(app) -> KeyStore:
    return app.state.ctx.keys


def _events(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = [ln for ln in block.split("\n") if not ln.startswith(":")]
        if not lines:
            continue
        event = next(ln[7:] for ln in lines if ln.startswith("event: "))
        data = "\n".join(ln[6:] for ln in lines if ln.startswith("data: "))
        out.append((event, json.loads(data)))
    return out


# ---------------------------------------------------------------- routes


def test_health_ready(api):
    c, _ = api
    r = c.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["ready"] is True and body["index"]["chunks"] > 100 and body["models"] == []


def test_health_index_missing(make, settings, tmp_path):
    empty = settings.with_(index_dir=str(tmp_path / "no-index"))
    c, _ = make(service=Service(empty), index_dir=empty.index_dir)
    r = c.get("/health")
    assert r.status_code == 503
    assert r.json()["code"] == "index_missing" and "assistant index build" in r.json()["message"]
    r = c.post("/v1/ask", json={"question": QUESTION})
    assert r.status_code == 503 and r.json()["code"] == "index_missing"


def test_health_model_missing(make, tmp_path, shared):
    c, _ = make(llm="llm-0.5b", models_dir=str(tmp_path / "models"))
    r = c.get("/health")
    assert r.status_code == 503
    body = r.json()
    assert body["code"] == "model_missing" and "llm-0.5b" in body["message"] and body["ready"] is False


def test_ask_json_contract_answer_id_and_audit(api, shared):
    c, app = api
    shared[1].enqueue(_reply("Jusqu'à 35 000 000 EUR ou 7 % du chiffre d'affaires annuel mondial [1].", [1]))
    r = c.post("/v1/ask", json={"question": PII_QUESTION})
    assert r.status_code == 200
    out = r.json()
    assert uuid.UUID(out["answer_id"]).version == 4
    assert out["ai_generated"] is True and out["label"] and out["question"] == PII_QUESTION
    assert {"llm", "embedder", "corpus_version"} <= set(out["model"])
    assert {"retrieval_ms", "ttft_ms", "total_ms"} <= set(out["timings"])
    assert out["citations"] and all(
        {"n", "doc_id", "ref", "quote", "url", "amended_by"} <= set(x) for x in out["citations"]
    )
    row = _audit(app).rows(1)[0]
    assert row["answer_id"] == out["answer_id"] and row["endpoint"] == "POST /v1/ask" and row["status"] == 200
    assert row["user"] == "local" and row["abstained"] is False
    assert row["question"] == "Je suis Mme [NOM] ([EMAIL], [TÉLÉPHONE]) : quelle amende pour une pratique interdite ?"
    assert row["refs"] == [f"{x['doc_id']}:{x['ref']}" for x in out["citations"]]
    assert row["model"] == out["model"]["llm"] and row["corpus_version"] == out["model"]["corpus_version"]
    assert row["energy_wh"] == pytest.approx(out["energy"]["wh"]) and row["latency_ms"] > 0
    assert _audit(app).verify().ok


def test_ask_streams_server_sent_events(api, shared):
    c, app = api
    phrase = "Jusqu'à 35 000 000 EUR ou 7 % du chiffre d'affaires annuel mondial [1]."
    shared[1].enqueue(_reply(phrase, [1]))
    r = c.post("/v1/ask", json={"question": QUESTION, "stream": True})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = _events(r.text)
    kinds = [e for e, _ in events]
    assert kinds[-1] == "final" and set(kinds[:-1]) == {"token"} and len(kinds) > 3
    streamed = "".join(d["text"] for e, d in events if e == "token")
    # the evidence first (the best passage, quoted as in the final answer), then the model's words
    assert streamed.startswith("Règlement (UE) 2024/1689, article 99, paragraphe 3") and streamed.endswith(phrase)
    final = events[-1][1]
    assert final["ai_generated"] is True and uuid.UUID(final["answer_id"])
    assert _audit(app).rows(1)[0]["answer_id"] == final["answer_id"]

    shared[1].enqueue(_reply(phrase, [1]))  # the Accept header alone asks for a stream too
    r = c.post("/v1/ask", json={"question": QUESTION}, headers={"Accept": "text/event-stream"})
    assert _events(r.text)[-1][0] == "final"


class _Broken(Service):
    """A service that fails the way tests need (the message quotes the question, as a careless error might)."""

    def ask(self, question, *, on_token=None):
        if on_token:
            on_token("Début de réponse")
        raise RuntimeError(f"panne pendant « {question} »")

    def search(self, query, k=5, docs=None, lang=None):
        raise RuntimeError(f"panne pendant « {query} »")


def test_stream_error_event_and_no_question_in_logs(make, settings, caplog):
    c, app = make(service=_Broken(settings, generator=ScriptedGenerator()))
    with caplog.at_level(logging.DEBUG):
        r = c.post("/v1/ask", json={"question": PII_QUESTION, "stream": True})
    events = _events(r.text)
    assert events[0] == ("token", {"text": "Début de réponse"})
    assert events[-1][0] == "error" and events[-1][1]["code"] == "internal"
    assert "réf." in events[-1][1]["message"] and "Traceback" not in r.text and "panne" not in r.text
    assert "martin.j@cg13.fr" not in caplog.text and "06 12 34 56 78" not in caplog.text
    assert "RuntimeError" in caplog.text  # logged server-side, without the message
    row = _audit(app).rows(1)[0]
    assert row["status"] == 500 and row["question"].startswith("Je suis Mme [NOM]")


def test_unexpected_error_is_json_500(make, settings, caplog):
    c, app = make(service=_Broken(settings, generator=ScriptedGenerator()))
    with caplog.at_level(logging.DEBUG):
        r = c.post("/v1/search", json={"query": PII_QUESTION})
    assert r.status_code == 500
    body = r.json()
    assert body["code"] == "internal" and "Erreur interne" in body["message"] and "panne" not in body["message"]
    assert "martin.j@cg13.fr" not in caplog.text and "06 12 34 56 78" not in caplog.text
    assert _audit(app).rows(1)[0]["status"] == 500


def test_search(api):
    c, app = api
    r = c.post("/v1/search", json={"query": "pratiques interdites notation sociale", "k": 3})
    assert r.status_code == 200
    body = r.json()
    assert len(body["results"]) == 3 and {"rank", "score", "doc_id", "ref", "label", "page", "lang", "text"} <= set(
        body["results"][0]
    )
    row = _audit(app).rows(1)[0]
    assert row["endpoint"] == "POST /v1/search" and len(row["refs"]) == 3


def test_documents(api):
    c, _ = api
    r = c.get("/v1/documents")
    assert r.status_code == 200
    docs = {d["doc_id"]: d for d in r.json()["documents"]}
    assert {"ai-act", "ai-act-2026-1744", "charte"} <= set(docs)
    assert set(docs["ai-act"]) == {"doc_id", "title", "short", "lang", "version", "date", "url", "chunks"}
    assert docs["ai-act"]["chunks"] > 100 and docs["ai-act"]["url"].startswith("https://eur-lex.europa.eu/")


def test_unit_chunk_span_and_404(api, shared):
    c, _ = api
    svc = shared[0]
    r = c.get("/v1/documents/ai-act/units/art-5-1-c")
    assert r.status_code == 200
    unit = r.json()
    chunk = svc.index.chunk_by_key("ai-act", "art-5-1-c")
    assert unit["text"] == chunk.text and unit["page"] == chunk.page and "article 5" in unit["label"]
    assert unit["url"].endswith("#art_5") and isinstance(unit["amended_by"], list)
    span = next(s for s in chunk.spans if s.ref == "art-5-1-c-i")
    r = c.get("/v1/documents/ai-act/units/art-5-1-c-i")
    assert r.status_code == 200 and r.json()["text"] == chunk.text[span.start : span.end]
    assert r.json()["label"] == span.label
    annex = c.get("/v1/documents/ai-act/units/annex-iii-5-a").json()
    assert annex["url"].endswith("#anx_III")
    amended = next(x for x in svc.index.chunks if x.doc_id == "ai-act" and x.amended_by)
    r = c.get(f"/v1/documents/ai-act/units/{amended.ref}").json()
    assert r["amended_by"] and r["amended_by"][0]["doc_id"] == "ai-act-2026-1744" and r["amended_by"][0]["label"]
    for path in ("/v1/documents/ai-act/units/art-999", "/v1/documents/inconnu/units/art-5-1"):
        r = c.get(path)
        assert r.status_code == 404 and r.json()["code"] == "not_found" and "Aucun passage" in r.json()["message"]


def test_feedback_is_stored(api, shared):
    c, app = api
    answer = c.post("/v1/ask", json={"question": QUESTION}).json()
    r = c.post(
        "/v1/feedback",
        json={"answer_id": answer["answer_id"], "useful": False, "comment": "Rappelez-moi au 06 12 34 56 78"},
    )
    assert r.status_code == 201 and r.json()["answer_id"] == answer["answer_id"]
    fb = _audit(app).feedback()[0]
    assert fb["answer_id"] == answer["answer_id"] and fb["useful"] is False
    assert fb["comment"] == "Rappelez-moi au [TÉLÉPHONE]" and fb["user"] == "local"
    r = c.post("/v1/feedback", json={"question_id": answer["answer_id"], "useful": True})  # synonym
    assert r.status_code == 201
    r = c.post("/v1/feedback", json={"answer_id": str(uuid.uuid4()), "useful": True})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = c.post("/v1/feedback", json={"useful": True})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request" and "answer_id" in r.json()["message"]
    r = c.post("/v1/feedback", json={"answer_id": answer["answer_id"], "useful": True, "comment": "x" * 2001})
    assert r.status_code == 422


# ---------------------------------------------------------------- limits and errors


def test_body_too_large_is_refused_before_parsing(api):
    c, _ = api
    big = b'{"question": "' + b"a" * MAX_BODY + b'"}'
    r = c.post("/v1/ask", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "too_large"

    def chunked():  # no Content-Length: counted while reading
        yield b'{"question": "'
        for _ in range(20):
            yield b"a" * 1024
        yield b'"}'

    r = c.post("/v1/ask", content=chunked(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "too_large"


def test_question_too_long_and_validation_errors(api):
    c, _ = api
    r = c.post("/v1/ask", json={"question": "é" * 2001})
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_request" and "2000 caractères" in r.json()["message"]
    assert "ééé" not in r.text  # the input is never echoed
    cases = [
        ({"stream": True}, "manquant"),
        ({"question": 12}, "type"),
        ({"question": "   "}, "vide"),
    ]
    for body, word in cases:
        r = c.post("/v1/ask", json=body)
        assert r.status_code == 422 and r.json()["code"] == "invalid_request" and word in r.json()["message"], body
    r = c.post("/v1/ask", content=b"{pas du json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["message"]
    r = c.post("/v1/search", json={"query": "amende", "k": 500})
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "k"
    r = c.get("/v1/admin/audit", params={"limit": "beaucoup"})
    assert r.status_code in (403, 422) and r.json()["code"] in ("forbidden", "invalid_request")


def test_unknown_route_and_method(api):
    c, _ = api
    r = c.get("/v1/nexiste-pas")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = c.get("/v1/ask")
    assert r.status_code == 405 and r.json()["code"] == "invalid_request"


def test_openapi_in_french_without_cdn_pages(api):
    c, _ = api
    spec = c.get("/openapi.json").json()
    assert spec["info"]["title"].startswith("Assistant IA-réglementation")
    paths = spec["paths"]
    for path in ("/v1/ask", "/v1/search", "/v1/documents", "/v1/documents/{doc_id}/units/{ref}", "/v1/feedback",
                 "/v1/admin/audit", "/v1/admin/status", "/health", "/metrics"):  # fmt: skip
        assert path in paths
    assert "Poser une question" in paths["/v1/ask"]["post"]["summary"]
    assert {"HTTPBearer", "APIKeyHeader"} <= set(spec["components"]["securitySchemes"])
    assert "/v1/assess" in paths  # until the service can assess
    assert c.get("/docs").status_code == 404


def test_assess_route_serves_the_service_assessment(make, settings):
    class Assessing(Service):
        def assess(self, description, *, on_token=None):
            return Assessment(
                question=description,
                answer="…",
                abstained=False,
                citations=[],
                risk_level="high-risk",
                risk_label="haut risque",
                model=ModelInfo("fake", "fake", "v", "p"),
                timings={"total_ms": 1.0},
                energy=Energy(0.0, 0.0, "test"),
            )

    c, app = make(service=Assessing(settings, generator=ScriptedGenerator()))
    r = c.post("/v1/assess", json={"description": "Trier automatiquement les candidatures"})
    assert r.status_code == 200 and r.json()["risk_level"] == "high-risk" and r.json()["answer_id"]
    assert _audit(app).rows(1)[0]["endpoint"] == "POST /v1/assess"


# ---------------------------------------------------------------- access


def test_auth_off_on_loopback_without_keys(api):
    c, app = api
    assert c.get("/v1/documents").status_code == 200
    assert _audit(app).rows(1)[0]["user"] == "local"
    r = c.get("/v1/admin/status")  # anonymous local user is an agent
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


def test_remote_client_without_keys_is_refused(make):
    c, _ = make(client=REMOTE)
    r = c.get("/v1/documents")
    assert (
        r.status_code == 401 and r.json()["code"] == "unauthorized" and "assistant keys create" in r.json()["message"]
    )
    assert c.get("/health").status_code == 200  # health stays open


def test_keys_required_once_they_exist(make, caplog):
    c, app = make(client=REMOTE)
    agent, raw_agent = _keys(app).create("agent", "routes")
    _admin, raw_admin = _keys(app).create("admin", "DSI")
    with caplog.at_level(logging.DEBUG):
        r = c.get("/v1/documents")
        assert r.status_code == 401 and r.json()["code"] == "unauthorized" and r.headers["WWW-Authenticate"] == "Bearer"
        r = c.get("/v1/documents", headers={"Authorization": "Bearer cd13_faux"})
        assert r.status_code == 401
        assert c.get("/v1/documents", headers={"Authorization": f"Bearer {raw_agent}"}).status_code == 200
        assert c.get("/v1/documents", headers={"X-API-Key": raw_agent}).status_code == 200
        r = c.get("/v1/admin/audit", headers={"X-API-Key": raw_agent})
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        r = c.post("/v1/ask", json={"question": PII_QUESTION}, headers={"X-API-Key": raw_agent})
        assert r.status_code == 200
        r = c.get("/v1/admin/audit", params={"limit": 10}, headers={"Authorization": f"Bearer {raw_admin}"})
        assert r.status_code == 200
    rows = r.json()["rows"]
    users = {row["user"] for row in rows}
    assert _audit(app).pseudonym(agent.id) in users and agent.id not in users and "local" not in users
    assert any(row["status"] == 403 for row in rows)  # the refused admin call of the agent is audited
    assert all("martin.j@cg13.fr" not in (row["question"] or "") for row in rows)
    status = c.get("/v1/admin/status", headers={"X-API-Key": raw_admin}).json()
    assert status["auth"] is True and status["keys"]["active"] == {"agent": 1, "trainer": 0, "referent": 0, "admin": 1}
    assert status["index"]["ready"] is True and status["audit"]["rows"] >= 3
    since = c.get("/v1/admin/audit", params={"since": "2999-01-01"}, headers={"X-API-Key": raw_admin}).json()
    assert since["rows"] == []
    r = c.get("/v1/admin/audit", params={"since": "hier"}, headers={"X-API-Key": raw_admin})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    r = c.get("/metrics")
    assert r.status_code == 401
    assert c.get("/metrics", headers={"X-API-Key": raw_agent}).status_code == 200
    _keys(app).revoke(agent.id)
    assert c.get("/v1/documents", headers={"X-API-Key": raw_agent}).status_code == 401
    # Server logs never hold a key nor an un-redacted question.
    assert raw_agent not in caplog.text and raw_admin not in caplog.text and "martin.j@cg13.fr" not in caplog.text


def test_trainer_is_an_agent_but_not_an_admin(make):
    c, app = make()
    _, raw = _keys(app).create("trainer")
    h = {"X-API-Key": raw}
    assert c.get("/v1/documents", headers=h).status_code == 200
    assert c.get("/v1/admin/feedback", headers=h).status_code == 403
    assert c.get("/v1/documents").status_code == 401  # loopback too: keys exist, so they are required


def test_rate_limit_per_key(make):
    c, app = make(rate_per_minute=2)
    _, raw_a = _keys(app).create("agent", "a")
    _, raw_b = _keys(app).create("agent", "b")
    a, b = {"X-API-Key": raw_a}, {"X-API-Key": raw_b}
    assert [c.get("/v1/documents", headers=a).status_code for _ in range(2)] == [200, 200]
    r = c.get("/v1/documents", headers=a)
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert int(r.headers["Retry-After"]) == 30 and "30 s" in r.json()["message"]
    assert c.get("/v1/documents", headers=b).status_code == 200  # another key has its own bucket


# ---------------------------------------------------------------- audit and metrics


def test_every_request_is_audited_and_the_chain_verifies(api, shared):
    c, app = api
    log = _audit(app)
    before = log.count()
    c.get("/v1/documents")
    c.post("/v1/search", json={"query": "Mme Dupont demande : article 26 ?"})
    c.get("/v1/documents/ai-act/units/art-26-1")
    c.get("/v1/documents/ai-act/units/inconnu")
    c.post("/v1/ask", json={"question": "x" * 2001})
    c.get("/health")  # not audited: probes
    c.get("/metrics")
    rows = log.rows(10)[: log.count() - before]
    assert [(r["endpoint"], r["status"]) for r in reversed(rows)] == [
        ("GET /v1/documents", 200),
        ("POST /v1/search", 200),
        ("GET /v1/documents/{doc_id}/units/{ref}", 200),
        ("GET /v1/documents/{doc_id}/units/{ref}", 404),
        ("POST /v1/ask", 422),
    ]
    assert rows[3]["question"] == "Mme [NOM] demande : article 26 ?"
    assert rows[2]["refs"] == ["ai-act:art-26-1"]
    assert log.verify().ok


def _samples(text: str) -> dict[tuple, float]:
    """The exposition parsed by the library's own parser: {(sample name, sorted labels): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_after_requests(api, shared):
    c, _ = api
    c.post("/v1/ask", json={"question": QUESTION})
    c.get("/v1/documents/ai-act/units/inconnu")
    r = c.get("/metrics")
    assert r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = r.text
    got = _samples(text)

    def value(name: str, **labels: str) -> float | None:
        return got.get((name, tuple(sorted(labels.items()))))

    assert value("assistant_http_requests_total", route="/v1/ask", method="POST", status="200") == 1
    assert (
        value("assistant_http_requests_total", route="/v1/documents/{doc_id}/units/{ref}", method="GET", status="404")
        == 1
    )
    assert value("assistant_http_request_duration_seconds_count", route="/v1/ask") == 1
    for stage in ("retrieval", "ttft", "total"):
        assert value("assistant_answer_stage_seconds_count", stage=stage) == 1
        assert value("assistant_answer_stage_seconds_bucket", stage=stage, le="+Inf") == 1
    assert value("assistant_tokens_total", kind="prompt") > 0
    assert "# TYPE assistant_energy_wh_total counter" in text and value("assistant_energy_wh_total") is not None
    assert value("assistant_answers_total", abstained="false") == 1
    assert value("assistant_http_requests_in_progress") == 1  # the scrape itself
    # every audited request, by channel and operation (the unknown unit is a 404 of the gateway)
    assert value("assistant_requests_total", channel="api", operation="ask", status="200") == 1
    assert value("assistant_requests_total", channel="api", operation="unit", status="404") == 1
    assert "_created" not in text  # the names of the hand-written exposition, no extra series
    om = c.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert om.headers["content-type"].startswith("application/openmetrics-text") and om.text.endswith("# EOF\n")


# ---------------------------------------------------------------- schemathesis (property-based, in-process)


def test_schemathesis_no_server_error(make):
    """Cases generated from the OpenAPI schema, sent in-process: never a 5xx, errors always {code, message}."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings
    from hypothesis.errors import Unsatisfiable

    _c, app = make(rate_per_minute=100_000)
    _, raw = _keys(app).create("admin", "schemathesis")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    from schemathesis.generation.modes import GenerationMode

    seen = []
    for result in schema.get_all_operations():
        operation = result.ok()
        seen.append(f"{operation.method.upper()} {operation.path}")
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @hsettings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def check(case):
                response = case.call(headers={"X-API-Key": raw})
                assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
                if response.status_code >= 400:
                    assert {"code", "message"} <= set(response.json())

            try:
                check()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # no parameter to break (e.g. GET /health)
    assert "POST /v1/ask" in seen and "GET /v1/documents/{doc_id}/units/{ref}" in seen
    calls = app.state.ctx.metrics.total("assistant_http_requests_total")
    assert calls > 100, calls
    assert app.state.ctx.audit.verify().ok


def test_ui_sessions_audit_answers_feedback_and_admin_reads(make, shared):
    from assistant.core.access import UiSessions, ui_login
    from assistant.core.admin import AdminView

    _c, app = make()
    ctx, log = app.state.ctx, _audit(app)
    ui = UiSessions(ctx)(None)  # no login: auth off
    out = ui.ask(PII_QUESTION)
    assert uuid.UUID(out["answer_id"]) and not hasattr(ui, "index")  # requests only: nothing goes around the audit
    row = log.rows(1)[0]
    assert (row["endpoint"], row["user"], row["status"]) == ("UI /ui ask", "local", 200)
    assert row["answer_id"] == out["answer_id"] and "[EMAIL]" in row["question"]
    ui.feedback(out["answer_id"], True, "écrire à a.b@cg13.fr")
    assert log.feedback()[0]["comment"] == "écrire à [EMAIL]"
    assert (log.rows(1)[0]["endpoint"], log.rows(1)[0]["status"]) == ("UI /ui feedback", 201)
    with pytest.raises(Exception, match="Réponse inconnue"):
        ui.feedback("inconnue", True, "")
    assert (log.rows(1)[0]["endpoint"], log.rows(1)[0]["status"]) == ("UI /ui feedback", 404)
    admin = AdminView(ctx)
    assert admin.status()["index"]["ready"] is True
    assert admin.audit_rows(10, "ui /ui ask")[0]["answer_id"] == out["answer_id"]
    assert admin.feedback_rows(5)[0]["useful"] is True
    assert [r["endpoint"] for r in log.rows(3)] == [
        "UI /ui admin feedback",
        "UI /ui admin audit",
        "UI /ui admin status",
    ]
    assert ui_login(ctx.keys) is None and not admin.authorize(None)  # local mode: no login, no admin
    key, raw = _keys(app).create("admin")
    agent, _raw_agent = _keys(app).create("agent")
    login = ui_login(ctx.keys)
    assert login(key.id, raw) and not login(agent.id, raw) and not login(key.id, "cd13_faux")

    class Req:
        username = key.id

    assert admin.authorize(Req())
    admin.for_request(Req()).status()
    assert log.rows(1)[0]["user"] == log.pseudonym(key.id) != "local"
    Req.username = agent.id
    assert not admin.authorize(Req())
    assert log.verify().ok


def test_ask_queue_is_bounded_with_a_clear_503(make):
    client, app = make(ask_queue=1)
    ctx = app.state.ctx
    ctx.pending = 1  # one answer already being computed by the single LLM
    r = client.post("/v1/ask", json={"question": QUESTION})
    assert r.status_code == 503 and r.json()["code"] == "busy"
    assert "réessayez" in r.json()["message"] and r.headers["Retry-After"]
    ctx.pending = 0
    ok = client.post("/v1/ask", json={"question": QUESTION})
    assert ok.status_code == 200 and ctx.pending == 0
    streamed = client.post("/v1/ask", json={"question": QUESTION, "stream": True})
    assert streamed.status_code == 200 and "event: final" in streamed.text and ctx.pending == 0
