"""The conversation view of « Poser une question »: turns stacked, « Question comprise », new conversation."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.core.audited import Gateway
from assistant.core.service import Service
from assistant.ops.audit import AuditLog
from assistant.ui import chat
from assistant.ui.app import build_ui, mount_ui
from tests.browser import served

from .test_ui import CHROMIUM, CHROMIUM_FLAGS, REPLY, SlowGenerator

FIRST = "Quelle amende pour une pratique interdite ?"


def test_turn_header_is_escaped_and_earlier_ids_stay_unique():
    head = chat.turn_header_html(
        "<script>x</script>",
        {"followup": True, "understood_question": "Et <b>alors</b> ?", "changes": ["Niveau inchangé : <i>x</i>."]},
    )
    assert "<script>" not in head and "&lt;script&gt;" in head and "Question comprise" in head
    assert "<b>" not in head and "Niveau inchangé" in head
    body = '<a class="ia-marker" href="#ia-cit-1">[1]</a><li class="ia-card" id="ia-cit-1">'
    kept = chat.kept([], body, 1)
    assert kept == ['<a class="ia-marker" href="#t1-ia-cit-1">[1]</a><li class="ia-card" id="t1-ia-cit-1">']
    assert len(chat.kept(["x"] * 8, body, 9)) == 8
    assert chat.thread_html([]) == "" and "Tour 2" in chat.thread_html(["a", "b"])


@pytest.fixture()
def gateway(fake_settings, tmp_path):
    svc = Service(fake_settings, generator=SlowGenerator(REPLY, delay=0.0))
    svc.answerer.floor, svc.answerer.strong = 0.0, 2.0  # fake embedder: no calibrated abstention
    gw = Gateway(svc, AuditLog(tmp_path / "audit.db"))
    yield gw
    gw.audit.close()


def test_the_tab_keeps_the_thread_and_a_new_conversation_forgets_it(gateway):
    blocks = build_ui(gateway.service, sessions=lambda r: gateway.session("local", channel="ui", prefix="UI /ui"))
    fns = {f.name: f.fn for f in blocks.fns.values()}
    request = SimpleNamespace(username=None)
    updates = list(fns["on_ask"](FIRST, request, None))
    st, cleared = updates[-1][1], updates[-1][6]
    assert st["conversation_id"] and st["n"] == 1 and updates[0][5] == "" and cleared == ""
    updates = list(fns["on_ask"]("Et depuis quand ?", request, st))
    page2, st2, *_rest = updates[-1]
    assert st2["conversation_id"] == st["conversation_id"] and st2["n"] == 2
    assert "Question comprise" in page2 and "Tour 1" in updates[0][5]  # the first turn moved up
    first_turn, second_turn = list(st2["answers"])
    assert first_turn.startswith("Tour 1 : Quelle amende") and st2["answers"][second_turn] == st2["answer_id"]
    msg, _ = fns["on_useful"](st2, "Le premier tour était clair.", request, first_turn)  # rate an earlier turn
    assert "enregistré" in msg
    assert gateway.audit.feedback(1)[0]["answer_id"] == st["answer_id"]
    _answer, cleared_state, _rating, note, _comment, thread3, _q, _rated = fns["on_restart"](st2, request)
    assert cleared_state is None and thread3 == "" and "Nouvelle conversation" in note
    assert len(gateway.conversations) == 0  # the server forgot it too


@pytest.mark.browser
def test_browser_three_turn_conversation(gateway):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium absent (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    from fastapi import FastAPI

    app = mount_ui(
        FastAPI(), gateway.service, sessions=lambda r: gateway.session("local", channel="ui", prefix="UI /ui")
    )
    with served(app) as port, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(locale="fr-FR")
        page.goto(f"http://127.0.0.1:{port}/ui/")
        question = page.get_by_label("Votre question")
        question.wait_for(state="visible", timeout=30_000)
        for n, text in enumerate((FIRST, "Et depuis quand ?", "Et pour la transparence ?"), 1):
            question.fill(text)
            question.press("Enter")  # keyboard only
            page.locator("#ia-answer .ia-asked", has_text=text).wait_for(state="visible", timeout=60_000)
            page.locator("#ia-answer .ia-label").first.wait_for(state="visible", timeout=60_000)
            page.wait_for_function("() => !document.querySelector('#ia-answer [aria-busy=\"true\"]')", timeout=60_000)
            assert page.locator("#ia-thread .ia-turn").count() == n - 1
        assert page.locator("#ia-answer .ia-understood").count() == 1  # the third turn is a follow-up
        assert page.locator("#ia-thread .ia-understood").count() == 1  # and so was the second
        assert page.get_by_role("button", name="Utile", exact=True).is_visible()  # feedback on the turn
        page.get_by_role("button", name="Nouvelle conversation").click()
        page.get_by_text("Nouvelle conversation :", exact=False).wait_for(state="visible", timeout=15_000)
        assert page.locator("#ia-thread .ia-turn").count() == 0
        stored = page.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
        assert "depuis quand" not in stored.lower()  # nothing of the conversation in the browser
        browser.close()
    rows = gateway.audit.rows(10)
    asked = [r for r in rows if r["endpoint"] == "UI /ui ask"]
    assert len(asked) == 3 and len({r["conversation_id"] for r in asked}) == 1
