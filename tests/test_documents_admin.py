"""The administrator's reference texts: a real PDF made here (headings, page numbers, running
header and footer) added, replaced and withdrawn through the CLI and the API while a reader
keeps querying the service: no failed query, the new text searchable after the switch, the
withdrawn one not, every action audited."""

from __future__ import annotations

import base64
import os
import threading
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.base.settings import PROJECT_ROOT, Settings
from assistant.core.documents import preview_of
from assistant.ingest.parse_generic import parse_generic
from assistant.search.embed import FakeEmbedder
from assistant.search.index import build_index
from tests.pdfmaker import make_pdf

HEADER = "Guide interne du Département - usage de l'IA"


def _guide(path: Path, word: str) -> Path:
    """A 4-page guide: headings of three kinds, a page without text, a running header and page numbers."""
    return make_pdf(
        path,
        [
            [HEADER, "Fiche 1 Utiliser un assistant conversationnel", f"Les agents vérifient le mot {word}.",
             "Toute réponse est relue avant envoi.", "Page 1"],
            [HEADER, "Recommandation n° 2 Former les agents", "Chaque direction forme ses agents.", "Page 2"],
            [HEADER, "Page 3"],
            [HEADER, "I. Gouvernance", "Le comité numérique se réunit chaque trimestre.", "Page 4"],
        ],
    )  # fmt: skip


def test_pdf_headings_pages_and_reading_report(tmp_path):
    units = parse_generic(_guide(tmp_path / "g.pdf", "azimut"), doc_id="g", lang="fr", short="Guide", kind="pdf")
    found = {u.ref: u for u in units}
    assert [u.ref for u in units if u.kind == "section"] == ["fiche-1", "recommandation-2", "partie-i"]
    assert found["fiche-1"].page == 1 and found["recommandation-2"].page == 2 and found["partie-i"].page == 4
    assert found["fiche-1"].label == "Guide, Fiche 1 Utiliser un assistant conversationnel"
    assert "azimut" in found["fiche-1"].text
    assert not any(HEADER in u.text or "Page 2" in u.text for u in units)  # running header and footer dropped
    preview = preview_of(units, "pdf")
    assert preview["units"] == 3 and preview["sample"][0]["page"] == 1
    assert preview["report"] == ["Page(s) sans texte lisible (image ou scan ? à fournir en version OCR) : 3."]


def test_pdf_without_headings_falls_back_to_pages(tmp_path):
    pdf = make_pdf(tmp_path / "p.pdf", [["un texte sans titre, page une."], ["la suite du texte, page deux."]])
    units = parse_generic(pdf, doc_id="p", lang="fr", short="Note", kind="pdf")
    assert [(u.ref, u.page, u.label) for u in units] == [("p-1", 1, "Note, page 1"), ("p-2", 2, "Note, page 2")]
    assert "découpé page par page" in " ".join(preview_of(units, "pdf")["report"])


def test_html_headings(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><script>x()</script></head><body><nav>Menu</nav><h1>Délibération IA</h1><p>Préambule.</p>"
        "<h2>Article 1 - Objet</h2><p>Le Département adopte la charte.</p><ul><li>un point</li></ul>"
        "<h2>Article 2 - Suivi</h2><p>Un bilan annuel est présenté.</p></body></html>",
        encoding="utf-8",
    )
    units = parse_generic(page, doc_id="d", lang="fr", short="Délibération", kind="html")
    assert [u.ref for u in units] == ["deliberation-ia", "article-1-objet", "article-2-suivi"]
    assert units[1].text == "Le Département adopte la charte.\n- un point"
    assert not any("Menu" in u.text or "x()" in u.text for u in units)


@pytest.fixture()
def small_settings(corpus, tmp_path) -> Settings:
    """The CNIL texts only (a quick build), fake backends, a private index, library and var dir."""
    shipped = tomllib.loads((PROJECT_ROOT / "corpus" / "sources.toml").read_text(encoding="utf-8"))
    lines = []
    for d in shipped["document"]:
        if d["doc_id"].startswith("cnil-"):
            lines.append("[[document]]")
            lines += [f"{k} = {_toml(v)}" for k, v in d.items()]
    manifest = tmp_path / "sources.toml"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = Settings.load(
        embedder="fake",
        llm="fake",
        manifest=str(manifest),
        corpus_dir=str(corpus),
        index_dir=str(tmp_path / "index"),
        var_dir=str(tmp_path / "var"),
        rate_per_minute=1_000_000,
    )
    build_index(
        manifest_path=manifest,
        corpus_dir=corpus,
        index_dir=settings.index_path,
        embedder_factory=FakeEmbedder,
        embedder_name=FakeEmbedder().name,
    )
    return settings


def _toml(v: object) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, int):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Reader(threading.Thread):
    """Keeps searching through the API; records every status it gets."""

    def __init__(self, client: TestClient):
        super().__init__(daemon=True)
        self.client, self.stop, self.statuses = client, threading.Event(), []

    def run(self) -> None:
        while not self.stop.is_set():
            r = self.client.post("/v1/search", json={"query": "former les utilisateurs", "k": 3})
            self.statuses.append(r.status_code)


def _found(client: TestClient, word: str) -> set[str]:
    r = client.post("/v1/search", json={"query": word, "k": 50})
    assert r.status_code == 200
    return {x["doc_id"] for x in r.json()["results"] if word in x["text"]}


def test_add_replace_withdraw_through_api_and_cli_while_reading(small_settings, tmp_path, monkeypatch):
    from assistant.cli.main import main
    from assistant.core.service import Service
    from assistant.web.api import create_app

    service = Service(small_settings)
    app = create_app(small_settings, service)
    _, admin_key = app.state.ctx.keys.create("admin", "référent IA")
    _, agent_key = app.state.ctx.keys.create("agent", "lecteur")
    client = TestClient(app, client=("127.0.0.1", 50000), raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {admin_key}"
    client.__enter__()
    reading = TestClient(app, client=("127.0.0.1", 50001), raise_server_exceptions=False)
    reading.headers["Authorization"] = f"Bearer {agent_key}"
    assert reading.post("/v1/admin/documents", json={}).status_code == 403  # admin role only
    reader = Reader(reading)
    reader.start()
    try:
        first = _guide(tmp_path / "guide.pdf", "azimut")
        body = {
            "doc_id": "guide-ia-interne",
            "title": "Guide interne de l'IA",
            "issuer": "Département",
            "date": "2026-11-30",
            "nature": "departement",
            "licence": "Licence Ouverte 2.0",
            "filename": "guide.pdf",
            "content_b64": base64.b64encode(first.read_bytes()).decode(),
        }
        # 1. preview only: nothing stored, nothing indexed
        r = client.post("/v1/admin/documents", json=body)
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["confirmed"] is False and out["preview"]["units"] == 3
        assert [h["page"] for h in out["preview"]["headings"]] == [1, 2, 4]
        assert "3." in out["preview"]["report"][0]
        assert _found(client, "azimut") == set()
        # 2. confirmed: background build, switch, searchable
        r = client.post("/v1/admin/documents", json={**body, "confirm": True})
        assert r.status_code == 200, r.text
        assert app.state.documents.wait(120)["state"] == "terminée"
        assert _found(client, "azimut") == {"guide-ia-interne"}
        hit = client.post("/v1/search", json={"query": "azimut", "k": 50}).json()["results"]
        guide = next(x for x in hit if x["doc_id"] == "guide-ia-interne")
        assert guide["page"] == 1 and guide["licence"] == "Licence Ouverte 2.0" and guide["nature"] == "departement"
        # 3. replaced from the CLI (same index and library): version 2, old words gone
        second = _guide(tmp_path / "guide-v2.pdf", "boussole")
        for k, v in {
            "ASSISTANT_EMBEDDER": "fake",
            "ASSISTANT_LLM": "fake",
            "ASSISTANT_MANIFEST": small_settings.manifest,
            "ASSISTANT_CORPUS_DIR": small_settings.corpus_dir,
            "ASSISTANT_INDEX_DIR": small_settings.index_dir,
            "ASSISTANT_VAR_DIR": str(tmp_path / "cli-var"),  # its own audit trail
            "ASSISTANT_LIBRARY_DIR": str(small_settings.library_path),
        }.items():
            monkeypatch.setenv(k, v)
        assert main(["docs", "replace", "guide-ia-interne", str(second), "--yes"]) == 0
        assert _found(client, "boussole") == {"guide-ia-interne"} and _found(client, "azimut") == set()
        r = client.get("/v1/admin/documents")
        entry = next(d for d in r.json()["documents"] if d["doc_id"] == "guide-ia-interne")
        assert [v["n"] for v in entry["versions"]] == [1, 2] and entry["status"] == "indexé"
        # 4. withdrawn through the API: no longer searchable, kept in the list as withdrawn
        assert client.delete("/v1/admin/documents/guide-ia-interne").json()["confirmed"] is False
        assert _found(client, "boussole") == {"guide-ia-interne"}
        r = client.delete("/v1/admin/documents/guide-ia-interne?confirm=true")
        assert r.status_code == 200, r.text
        assert app.state.documents.wait(120)["state"] == "terminée"
        assert _found(client, "boussole") == set()
        entry = next(
            d for d in client.get("/v1/admin/documents").json()["documents"] if d["doc_id"] == "guide-ia-interne"
        )
        assert entry["status"] == "retiré"
        # 5. a CLI add of the same PDF under a new id, then errors in French
        assert main(["docs", "add", str(first), "--id", "guide-bis", "--title", "Guide bis", "--yes"]) == 0
        assert _found(client, "azimut") == {"guide-bis"}
        r = client.post("/v1/admin/documents", json={**body, "doc_id": "guide-bis", "confirm": True})
        assert r.status_code == 422 and "déjà utilisé" in r.json()["message"]
        r = client.post("/v1/admin/documents", json={**body, "doc_id": "x-y", "content_b64": "pas du base64!"})
        assert r.status_code == 422 and "base64" in r.json()["message"]
    finally:
        reader.stop.set()
        reader.join(30)
        client.__exit__(None, None, None)
    assert reader.statuses and set(reader.statuses) == {200}, set(reader.statuses)
    endpoints = [row["endpoint"] for row in app.state.ctx.audit.rows(limit=1000)]
    for e in ("POST /v1/admin/documents", "DELETE /v1/admin/documents/{doc_id}", "GET /v1/admin/documents"):
        assert e in endpoints
    app.state.ctx.audit.close()
    from assistant.ops.audit import AuditLog

    cli_rows = AuditLog.from_settings(Settings.load()).rows(limit=100)
    assert {"CLI docs replace", "CLI docs add"} <= {row["endpoint"] for row in cli_rows}
    stored = sorted(os.listdir(small_settings.library_path / "files" / "guide-ia-interne"))
    assert stored == ["v1-guide.pdf", "v2-guide-v2.pdf"]  # every version kept
