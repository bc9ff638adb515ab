"""UI tab « Mon projet est-il autorisé ? » with the fake service (keyword facts, scripted LLM)."""

from __future__ import annotations

import base64
import re

from assistant.answer.result import AI_LABEL
from assistant.backends.fake import ScriptedGenerator
from assistant.core.audited import Gateway
from assistant.core.service import Service
from assistant.ops.audit import AuditLog
from assistant.ui.assess_tab import assess_html, fiche_link


def test_assessment_page_and_fiche_link(fake_settings, tmp_path):
    svc = Service(fake_settings, generator=ScriptedGenerator())
    log = AuditLog(tmp_path / "audit.sqlite3")
    page, fiche_html = assess_html(
        Gateway(svc, log).session("local", channel="ui", prefix="UI /ui"),
        None,
        "Une caméra analyserait les émotions des agents d'accueil au travail pour mesurer leur stress.",
    )
    assert "Niveau de risque" in page and "<script" not in page
    assert fiche_html and AI_LABEL.split(" —")[0] in fiche_html
    link = fiche_link(fiche_html)
    data = re.search(r'base64,([A-Za-z0-9+/=]+)"', link).group(1)
    assert base64.b64decode(data).decode("utf-8") == fiche_html


def test_empty_description_is_refused_in_french(fake_settings):
    svc = Service(fake_settings, generator=ScriptedGenerator())
    page, fiche_html = assess_html(svc, None, "   ")
    assert "Décrivez d&#x27;abord votre projet" in page and fiche_html is None
