"""The UI shows a set answer (issue 15) as a list, then the exact quotes folded away, then the sources."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from assistant.backends.fake import ScriptedGenerator
from assistant.core.service import Service
from assistant.ui.app import mount_ui, stream_answer
from assistant.ui.render import SourceLookup, render_answer_html
from tests.browser import served

from .test_ui import CHROMIUM

SET_QUESTION = "Quelles obligations pour le Département s'il déploie un système d'IA à haut risque ?"
REPLY = json.dumps({"trouve": True, "reponse": "", "sources": [1]})
SCREENSHOT = Path("/tmp/ui-set-answer.png")


class SlowGenerator(ScriptedGenerator):
    """The scripted LLM with a pause before each token: the model phrases after the list is shown."""

    def stream(self, messages, **kwargs):
        for piece in super().stream(messages, **kwargs):
            time.sleep(0.05)
            yield piece


@pytest.fixture()
def service(fake_settings):
    svc = Service(fake_settings, generator=SlowGenerator([REPLY] * 4))
    svc.answerer.floor, svc.answerer.strong = 0.0, 2.0  # fake embedder: no calibrated abstention
    return svc


def test_a_set_answer_is_a_list_then_folded_quotes_then_sources(service):
    *partials, final = list(stream_answer(service, SET_QUESTION, sources=SourceLookup(service)))
    assert final.done and isinstance(final.response, dict)  # a bare Service: its Answer is sent as JSON
    assert any("doit notamment" in u.html for u in partials)  # the list shows before the final answer
    page = final.html
    ol, details, cards = (
        page.index('<ol class="ia-list">'),
        page.index('<details class="ia-quotes">'),
        page.index("Sources citées"),
    )
    assert ol < details < cards
    items = re.findall(r"<li>(.*?)</li>", page[ol : page.index("</ol>", ol)])
    assert 8 <= len(items) <= len(final.response["citations"])  # the best passage may be quoted besides
    assert all('class="ia-marker"' in li for li in items)
    folded = page[details : page.index("</details>", details)]
    assert "<summary>Texte applicable : les passages cités mot pour mot</summary>" in folded
    assert "article 26, paragraphe 1" in folded


def test_an_answer_without_a_list_is_unchanged():
    response = {
        "question": "q",
        "answer": "Une phrase [1].\nTexte applicable :\n— Article 1 : « x » [1]",
        "abstained": False,
        "citations": [],
        "model": {},
        "timings": {},
        "energy": {},
    }
    page = render_answer_html(response)
    assert "ia-list" not in page and "ia-quotes" not in page and "Texte applicable" in page


@pytest.mark.browser
def test_browser_shows_a_set_answer_as_a_list_with_folded_quotes(fake_settings):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium absent (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    from fastapi import FastAPI

    svc = Service(fake_settings, generator=ScriptedGenerator([REPLY]))
    svc.answerer.floor, svc.answerer.strong = 0.0, 2.0
    app = mount_ui(FastAPI(), svc)
    with served(app) as port, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(locale="fr-FR", viewport={"width": 1280, "height": 1000})
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(f"http://127.0.0.1:{port}/") or route.request.url.startswith("data:")
                else route.abort()
            ),
        )
        page.goto(f"http://127.0.0.1:{port}/ui/")
        question = page.get_by_label("Votre question")
        question.wait_for(state="visible", timeout=30_000)
        question.fill(SET_QUESTION)
        question.press("Enter")
        items = page.locator("#ia-answer ol.ia-list > li")
        items.first.wait_for(state="visible", timeout=60_000)
        page.locator("#ia-answer .ia-card").first.wait_for(state="visible", timeout=60_000)
        assert items.count() >= 8
        assert (
            "réaliser une analyse d'impact sur les droits fondamentaux"
            in page.locator("#ia-answer ol.ia-list").inner_text()
        )
        quotes = page.locator("#ia-answer details.ia-quotes")
        passage = quotes.get_by_text("Les déployeurs confient le contrôle humain", exact=False)
        assert not passage.is_visible()  # folded until asked for
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        quotes.locator("summary").click()
        passage.wait_for(state="visible", timeout=5_000)
        browser.close()
    assert SCREENSHOT.stat().st_size > 10_000
