"""/v1/register…: the register through the API, with real keys and roles (fake models), on both
backends: SQLite files, then everything in PostgreSQL (ASSISTANT_DATABASE_URL)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from assistant.backends.fake import ScriptedGenerator
from assistant.core.service import Service
from assistant.web.api import create_app

PROJECT = (
    "Un logiciel trierait automatiquement les candidatures à nos offres d'emploi et ne transmettrait au jury "
    "que les meilleurs CV. Porteur : jean.dupont@cd13.fr."
)


@pytest.fixture(params=["sqlite", "postgresql"])
def api(api_settings, request):
    if request.param == "postgresql":
        api_settings = api_settings.with_(database_url=request.getfixturevalue("pg_url"))
    app = create_app(api_settings, Service(api_settings, generator=ScriptedGenerator()))
    keys = app.state.ctx.keys
    heads = {}
    for role in ("agent", "trainer", "referent", "admin"):
        _, raw = keys.create(role, role)
        heads[role] = {"X-API-Key": raw}
    _, raw = keys.create("agent", "autre agent")
    heads["other"] = {"X-API-Key": raw}
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, heads, app
    app.state.ctx.audit.close()


def test_agent_creates_and_submits_referent_decides_public_register(api):
    client, h, app = api
    r = client.post(
        "/v1/register", json={"description": PROJECT, "service": "RH", "contact_role": "chef RH"}, headers=h["agent"]
    )
    assert r.status_code == 201, r.text
    e = r.json()
    assert e["state"] == "draft" and e["level"] == "high-risk" and e["obligations"]
    eid = e["id"]
    assert client.post(f"/v1/register/{eid}/submit", headers=h["other"]).status_code == 403
    assert client.post(f"/v1/register/{eid}/submit", headers=h["agent"]).json()["state"] == "submitted"
    decision = {"outcome": "approved_with_conditions", "reasons": "AIPD à mener avant la mise en service."}
    r = client.post(f"/v1/register/{eid}/decision", json=decision, headers=h["agent"])
    assert r.status_code == 403 and r.json()["code"] == "forbidden" and "référent IA" in r.json()["message"]
    r = client.post(
        f"/v1/register/{eid}/decision", json={"outcome": "peut-être", "reasons": "x"}, headers=h["referent"]
    )
    assert r.status_code == 422
    r = client.post(f"/v1/register/{eid}/decision", json=decision, headers=h["referent"])
    assert r.status_code == 200 and r.json()["state"] == "decided"
    assert client.post(f"/v1/register/{eid}/decision", json=decision, headers=h["referent"]).status_code == 409
    key = r.json()["obligations"][0]["key"]
    r = client.post(f"/v1/register/{eid}/obligations/{key}", json={"status": "done"}, headers=h["agent"])
    assert r.json()["obligations"][0]["status"] == "done"
    assert client.post(f"/v1/register/{eid}/in-service", headers=h["agent"]).json()["state"] == "in_service"
    # readers
    assert client.get(f"/v1/register/{eid}", headers=h["other"]).status_code == 403
    case = client.get(f"/v1/register/{eid}", headers=h["trainer"]).json()
    assert case["service"] == "" and "owner" not in case
    assert client.get("/v1/register/IA-2000-0001", headers=h["referent"]).status_code == 404
    hist = client.get(f"/v1/register/{eid}/history", headers=h["agent"]).json()["versions"]
    assert [v["action"] for v in hist] == ["create", "submit", "decide", "obligation", "in_service"]
    # the public register
    doc = client.get("/v1/register/public.json", headers=h["other"]).json()
    assert doc["count"] == 1 and doc["algorithms"][0]["status"] == "in use"
    csv_text = client.get("/v1/register/public.csv", headers=h["other"]).text
    assert csv_text.startswith("name,organization,department")
    page = client.get("/v1/register/public.html", headers=h["other"])
    assert page.headers["content-type"].startswith("text/html") and "Registre des usages" in page.text
    fiche = client.get(f"/v1/register/{eid}/fiche", headers=h["agent"])
    assert fiche.status_code == 200 and "Approuvé sous conditions" in fiche.text
    # the audit trail: one row per request, pseudonymous, the e-mail masked
    rows = app.state.ctx.audit.rows(limit=100)
    dump = json.dumps(rows, ensure_ascii=False)
    assert "jean.dupont" not in dump
    create_row = next(r for r in rows if r["endpoint"] == "POST /v1/register")
    assert (
        create_row["status"] == 201 and create_row["refs"] == [f"registre:{eid}:v1"] and len(create_row["user"]) == 16
    )
    assert any(r["endpoint"] == "POST /v1/register/{entry_id}/decision" and r["status"] == 403 for r in rows)
    assert app.state.ctx.audit.verify().ok
    assert app.state.ctx.register.store.verify()[:2] == (True, 5)
    assert app.state.ctx.settings.register_file.exists() == (not app.state.ctx.settings.database_url)


def test_bad_requests_get_french_errors(api):
    client, h, _ = api
    r = client.post("/v1/register", json={"description": "   "}, headers=h["agent"])
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    r = client.post("/v1/register", json={"description": "x", "extra": 1}, headers=h["agent"])
    assert r.status_code == 422 and "Champ inconnu" in r.json()["message"]
    r = client.get("/v1/register/public.xml", headers=h["agent"])
    assert r.status_code == 422
    assert client.get("/v1/register", headers={"X-API-Key": "cd13_faux"}).status_code == 401


def test_editing_a_decided_entry_makes_a_new_version_that_needs_a_new_decision(api):
    client, h, app = api
    eid = client.post("/v1/register", json={"description": PROJECT}, headers=h["agent"]).json()["id"]
    client.post(f"/v1/register/{eid}/submit", headers=h["agent"])
    decision = {"outcome": "approved", "reasons": "Conforme."}
    assert client.post(f"/v1/register/{eid}/decision", json=decision, headers=h["referent"]).status_code == 200
    r = client.patch(f"/v1/register/{eid}", json={"service": "Direction des ressources humaines"}, headers=h["agent"])
    assert r.status_code == 200
    e = r.json()
    assert (e["version"], e["state"], e["decision"]) == (4, "submitted", None)
    hist = client.get(f"/v1/register/{eid}/history", headers=h["referent"]).json()["versions"]
    assert [(v["action"], v["decision"]) for v in hist][-2:] == [("decide", "approved"), ("edit", None)]
    assert client.patch(f"/v1/register/{eid}", json={}, headers=h["agent"]).status_code == 422
    assert client.patch(f"/v1/register/{eid}", json={"title": "x"}, headers=h["other"]).status_code == 403
    row = app.state.ctx.audit.rows(limit=1)[0]
    assert row["endpoint"] == "PATCH /v1/register/{entry_id}" and row["status"] == 403
