"""Session pack: HTML handout, PDF through Chromium (checked page by page), glossary, worked cases."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.answer.result import AI_LABEL
from assistant.base.errors import BackendError
from assistant.core.service import Service
from assistant.search.index import load_index
from assistant.training.pack import build_pack, glossary, pick_cases, worked_cases


class CountingService:
    """The real service (fake LLM), counting assessments; `fail` makes the model unavailable."""

    def __init__(self, settings, fail: bool = False):
        self._svc = Service(settings)
        self.calls = 0
        self.fail = fail

    def __getattr__(self, name):  # index, quiz, quiz_builder, assess_by_keywords: the real service's
        return getattr(self._svc, name)

    def assess(self, description):
        self.calls += 1
        if self.fail:
            raise BackendError("Le modèle de langue ne répond pas : vérifiez `assistant models status`.")
        return self._svc.assess(description)


def test_cases_are_assessed_once_and_reused(fake_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(tmp_path / "var"))
    from assistant.base.settings import Settings

    settings = Settings.load()
    svc = CountingService(settings)
    cases = worked_cases(settings, ["pratiques-interdites", "transparence"], n=3, service=svc)
    assert len(cases) == 3 and svc.calls == 3
    assert cases[0]["id"] in {"emotions-agents", "chatbot-usagers", "images-campagne"}
    emotions = next(c for c in cases if c["id"] == "emotions-agents")
    assert emotions["result"]["risk_level"] == "prohibited" and emotions["result"]["citations"]
    again = worked_cases(settings, ["pratiques-interdites", "transparence"], n=3, service=svc)
    assert svc.calls == 3 and [c["id"] for c in again] == [c["id"] for c in cases]


def test_cases_fall_back_to_keywords_and_say_so(fake_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(tmp_path / "var"))
    from assistant.base.settings import Settings

    settings = Settings.load()
    cases = worked_cases(settings, ["haut-risque"], n=3, service=CountingService(settings, fail=True))
    assert all("mots-clés seulement" in c["method"] for c in cases)
    tri = next(c for c in cases if c["id"] == "tri-candidatures")
    assert tri["result"]["risk_level"] == "high-risk"


def test_pick_cases_bounds():
    assert len(pick_cases(["charte"], 1)) == 3 and len(pick_cases(["charte"], 9)) == 5
    assert pick_cases(["souverainete"], 3)[0]["id"] == "comptes-rendus"


def test_glossary_only_definitions_used_with_sources(fake_index_dir):
    index = load_index(fake_index_dir)
    terms = glossary(index.chunks, ["Les obligations du déployeur et du fournisseur d'un système d'IA"])
    names = {t["term"] for t in terms}
    assert {"déployeur", "fournisseur", "système d’IA"} <= names
    assert "hypertrucage" not in names
    for t in terms:
        assert t["label"].startswith("Règlement (UE) 2024/1689, article 3, point") and t["definition"]
        assert any(t["definition"] in c.text for c in index.chunks if c.doc_id == "ai-act")  # exact quote


def _pdf_pages(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [p for p in out.split("\f") if p.strip()]


def test_pack_html_pdf_and_png(fake_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(tmp_path / "var"))
    from assistant.base.settings import Settings

    settings = Settings.load()
    have_pdf = Path("/usr/bin/chromium").exists() or shutil.which("chromium")
    out = build_pack(settings, ["pratiques-interdites", "charte"], tmp_path / "pack", n=6, n_cases=3,
                     pdf=bool(have_pdf), service=CountingService(settings))  # fmt: skip
    page = Path(out["html"]).read_text(encoding="utf-8")
    assert out["items"] == 6 and out["cases"] == 3 and out["definitions"] >= 1 and out["passages"] >= 4
    for heading in ("Passages clés", "Glossaire", "Cas pratiques", "Quiz", "Corrigé du quiz"):
        assert f">{heading}" in page
    assert '<h2 class="page">Corrigé du quiz</h2>' in page  # the answer key starts a new page
    assert AI_LABEL in page and "Version du corpus : corpus-" in page
    assert "default-src 'none'" in page and "<script" not in page and "http://" not in page.replace("http-equiv", "")
    quiz_part = page.split(">Quiz</h2>")[1].split("Corrigé du quiz")[0]
    assert "Source" not in quiz_part  # questions without answers; answers only in the key
    if not have_pdf:
        pytest.skip("Chromium absent : PDF non vérifié")
    pdf = Path(out["pdf"])
    assert pdf.read_bytes().startswith(b"%PDF")
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        pytest.skip("poppler-utils absent : rendu PNG non vérifié")
    pages = _pdf_pages(pdf)
    assert len(pages) >= 4
    for text in pages:  # label and corpus version on every page
        flat = " ".join(text.split())
        assert "Réponse générée par une IA" in flat and "Version du corpus : corpus-" in flat, flat[:200]
    key_pages = [t for t in pages if "Corrigé du quiz" in t]
    assert len(key_pages) == 1 and key_pages[0].strip().startswith("Corrigé du quiz")  # a page of its own
    png = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(png)], check=True)
    image = next(tmp_path.glob("page*.png"))
    assert image.stat().st_size > 10_000  # a rendered page, not a blank one
    shutil.copy(image, "/tmp/pack-page1.png")
