"""API robustness (issue 8): schemathesis stateful run with all checks (through the OpenAPI links
ask → feedback / unit, search → unit), authentication bypass attempts, oversized and malformed
bodies; never a server error, and API keys never in the logs nor in the audit trail.

Bounded here (a few hundred calls); `make fuzz-api` runs the same with more examples
(ASSISTANT_FUZZ_EXAMPLES). Slow clients are tested against a real uvicorn in test_audit_crash.py.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from assistant.backends.fake import ScriptedGenerator
from assistant.core.service import Service
from assistant.web.api import MAX_BODY, create_app

EXAMPLES = int(os.environ.get("ASSISTANT_FUZZ_EXAMPLES", "12"))


@pytest.fixture()
def app(api_settings):
    settings = api_settings
    svc = Service(settings, generator=ScriptedGenerator())
    application = create_app(settings, svc)
    yield application
    application.state.ctx.audit.close()


def _server_log(caplog) -> str:
    """What the server logged (the test client's own request log is not the server's)."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "hpack")))


def _secrets_absent(app, raws: list[str], log_text: str) -> None:
    audit = app.state.ctx.audit
    dump = json.dumps([audit.rows(limit=100_000), audit.feedback(limit=100_000)], ensure_ascii=False)
    for raw in raws:
        assert raw not in log_text and raw not in dump
        assert raw[5:20] not in log_text and raw[5:20] not in dump  # nor a recognisable part of it
    assert audit.verify().ok


def test_schemathesis_stateful_all_checks_no_server_error(app, caplog):
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck
    from hypothesis import settings as hsettings
    from schemathesis.generation.stateful import run_state_machine_as_test

    keys = app.state.ctx.keys
    _, raw = keys.create("admin", "schemathesis")
    _, raw_agent = keys.create("agent", "autre")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    assert schema.statistic.transitions.total >= 4  # ask → feedback, ask → unit, search → unit…
    calls: list[tuple[str, str, int]] = []
    base = schema.as_state_machine()

    class Machine(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case):
            # Bearer, the scheme schemathesis also tampers with for its authentication checks
            return {"headers": {"Authorization": f"Bearer {raw}"}}

        def validate_response(self, response, case, **kwargs):
            calls.append((case.method, case.path, response.status_code))
            assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
            super().validate_response(response, case, **kwargs)  # every check schemathesis has

    with caplog.at_level(logging.DEBUG):
        run_state_machine_as_test(
            Machine,
            settings=hsettings(
                max_examples=EXAMPLES,
                stateful_step_count=6,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            ),
        )
    by_route = Counter((m, p) for m, p, _ in calls)
    statuses = Counter(s for _, _, s in calls)
    assert len(calls) >= 5 * EXAMPLES and statuses[200] > 0 and not any(s >= 500 for s in statuses)
    assert by_route[("POST", "/v1/feedback")] > 0 and by_route[("GET", "/v1/documents/{doc_id}/units/{ref}")] > 0
    _secrets_absent(app, [raw, raw_agent], _server_log(caplog))


def test_authentication_bypass_attempts(app, caplog):
    keys = app.state.ctx.keys
    agent, raw = keys.create("agent", "agent")
    revoked, raw_revoked = keys.create("admin", "révoquée")
    keys.revoke(revoked.id)
    c = TestClient(app, client=("127.0.0.1", 50000), raise_server_exceptions=False)
    docs, admin = "/v1/documents", "/v1/admin/audit"
    attempts = {
        "aucune clé": {},
        "Bearer vide": {"Authorization": "Bearer "},
        "schéma Basic": {"Authorization": f"Basic {raw}"},
        "clé tronquée": {"X-API-Key": raw[:-1]},
        "clé allongée": {"X-API-Key": raw + "x"},
        "clé en majuscules": {"X-API-Key": raw.upper()},
        "préfixe seul": {"X-API-Key": "cd13_"},
        "clé révoquée": {"X-API-Key": raw_revoked},
        "empreinte au lieu de la clé": {"X-API-Key": keys.records()[0].sha256},
        "deux clés contradictoires": {"X-API-Key": raw, "Authorization": "Bearer cd13_faux"},
        "octet nul": {"X-API-Key": raw + "\x00"},
        "très longue": {"X-API-Key": "cd13_" + "a" * 60_000},
        "identifiant de clé": {"X-API-Key": agent.id},
        "en-tête usurpé": {"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"},
    }
    with caplog.at_level(logging.DEBUG):
        for name, headers in attempts.items():
            try:
                r = c.get(docs, headers=headers)
            except Exception:  # the client itself refuses some headers (NUL): nothing reached the server
                continue
            assert r.status_code == 401, (name, r.status_code)
            assert r.json()["code"] == "unauthorized" and raw not in r.text
        assert c.get(docs, params={"api_key": raw}).status_code == 401  # keys are never read from the URL
        logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /v1/documents?api_key=%s HTTP/1.1" 401', raw)
        assert c.get(docs, headers={"X-API-Key": raw}).status_code == 200
        assert c.get(docs, headers={"Authorization": f"Bearer {raw}", "X-API-Key": raw}).status_code == 200
        # Role escalation and path tricks towards admin routes.
        for path in (admin, admin + "/", "//v1/admin/audit", "/v1/admin/../admin/audit", "/V1/ADMIN/AUDIT",
                     "/v1/admin/audit%00", "/v1/admin/status", "/v1/admin/feedback"):  # fmt: skip
            r = c.get(path, headers={"X-API-Key": raw})
            assert r.status_code in (403, 404), (path, r.status_code)
            assert "rows" not in r.text
        remote = TestClient(app, client=("203.0.113.9", 40000), raise_server_exceptions=False)
        assert remote.get(docs, headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 401
    _secrets_absent(app, [raw, raw_revoked], _server_log(caplog))
    rows = app.state.ctx.audit.rows(limit=1000)
    assert sum(1 for r in rows if r["status"] == 403) >= 3  # refused requests of known users are audited


def test_oversized_and_malformed_bodies_never_fail_the_server(app):
    c = TestClient(app, client=("127.0.0.1", 50000), raise_server_exceptions=False)
    json_ct = {"content-type": "application/json"}
    bodies = [
        b"[" * 8000,  # deep nesting (RecursionError in a JSON parser)
        b'{"question": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"question": "\\ud800"}',  # lone surrogate
        b'\xff\xfe{"q',
        b'{"question": 1e999}',
        b'{"question": NaN}',
        b'{"question": "a", "question": 5}',
        b'{"question": "' + "é".encode() * 1500 + b'"}',
        b"",
        b"null",
        b'"question"',
        b'{"question": "amende", "stream": {"$gt": 1}}',
    ]
    for body in bodies:
        r = c.post("/v1/ask", content=body, headers=json_ct)
        assert r.status_code in (200, 413, 422), (body[:40], r.status_code)
        if r.status_code >= 400:
            assert {"code", "message"} <= set(r.json())
    big = b'{"question": "' + b"a" * (MAX_BODY * 64) + b'"}'
    for path in ("/v1/ask", "/v1/search", "/v1/feedback", "/v1/assess"):
        r = c.post(path, content=big, headers=json_ct)
        assert r.status_code == 413 and r.json()["code"] == "too_large"
    r = c.post("/v1/ask", content=b'{"question":"x"}', headers={**json_ct, "content-length": "99999999999"})
    assert r.status_code in (400, 413)
    for ct in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"):
        r = c.post("/v1/ask", content=b'{"question": "amende"}', headers={"content-type": ct})
        assert r.status_code in (200, 415, 422), (ct, r.status_code)
    r = c.get("/v1/documents/%00/units/" + "%2e%2e%2f" * 30)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = c.get("/v1/documents/ai-act/units/" + "x" * 5000)
    assert r.status_code == 404 and "x" * 200 not in r.text
