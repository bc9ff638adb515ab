"""One-page fiche of an assessment: Markdown and HTML content, escaping, self-containment, PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date

import pytest

from assistant.answer.result import AI_LABEL
from assistant.assess import fiche
from assistant.base.errors import ConfigError
from assistant.core.service import Service

DAY = date(2026, 11, 27)
TEXT = (
    "Un agent conversationnel répondrait aux demandeurs d'APA et un algorithme calculerait leur éligibilité à l'APA. "
    "<script>alert('x')</script> **gras** [lien](http://exemple.org)"
)


@pytest.fixture(scope="module")
def result(fake_index_dir, corpus):
    import os

    from assistant.base.settings import Settings

    old = {k: os.environ.get(k) for k in ("ASSISTANT_EMBEDDER", "ASSISTANT_INDEX_DIR", "ASSISTANT_LLM")}
    os.environ.update(ASSISTANT_EMBEDDER="fake", ASSISTANT_INDEX_DIR=str(fake_index_dir), ASSISTANT_LLM="fake")
    try:
        service = Service(Settings.load())
        service.assessor.use_model = False
        return service.assess(TEXT).to_json()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_markdown(result):
    md = fiche.to_markdown(result, on=DAY)
    assert result["risk_level"] == "high-risk"
    assert AI_LABEL in md.replace("\\", "")
    assert "27 novembre 2026" in md
    assert "Niveau de risque : Haut risque" in md
    assert result["model"]["corpus_version"] in md.replace("\\", "")
    for c in result["citations"]:
        assert re.search(rf"^{c['n']}\. ", md, re.M)  # every source listed with its number
    assert "RIA, ann. III, point 5 a)" in md
    assert "[1]" in md  # markers stay readable
    assert "<script>" not in md and "\\<script\\>" in md and "\\*\\*gras\\*\\*" in md and "\\[lien\\]" in md
    assert "référent IA" in md


def test_html_is_escaped_and_self_contained(result):
    page = fiche.to_html(result, on=DAY)
    assert page.startswith("<!doctype html>") and '<html lang="fr">' in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<script" not in page and "&lt;script&gt;" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)  # nothing loaded from outside
    assert "@page" in page and "@media print" in page
    assert AI_LABEL.replace("'", "&#x27;") in page
    assert "27 novembre 2026" in page and "Niveau de risque : Haut risque" in page
    assert result["model"]["corpus_version"] in page
    assert page.count("<li value=") == len(result["citations"])
    assert "2 décembre 2027" in page  # date as amended by 2026/1744, in the obligations


def test_export_formats(result, tmp_path):
    out = tmp_path / "fiche.md"
    text = fiche.export(result, "md", out, on=DAY)
    assert out.read_text(encoding="utf-8") == text
    with pytest.raises(ConfigError):
        fiche.export(result, "docx")


def test_pdf_without_converter(result, tmp_path, monkeypatch):
    monkeypatch.setattr(fiche, "CHROMIUM", str(tmp_path / "absent"))
    monkeypatch.setattr(fiche.shutil, "which", lambda name: None)
    with pytest.raises(ConfigError, match="HTML"):
        fiche.write_pdf(result, tmp_path / "f.pdf")


@pytest.mark.skipif(fiche.pdf_converter() is None, reason="chromium absent : pas de conversion PDF")
def test_pdf_one_page(result, tmp_path):
    path = fiche.write_pdf(result, tmp_path / "fiche.pdf", on=DAY)
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"^Pages:\s+1$", info, re.M), info  # one page
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert "Haut risque" in text and "27 novembre 2026" in text
