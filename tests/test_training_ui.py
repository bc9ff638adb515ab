"""UI tab « Formation »: the live quiz at handler level, and once in Chromium (marked `browser`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.search.index import load_index
from assistant.training.quiz import TOPICS
from assistant.training.quizgen import Builder, generate
from assistant.ui.training_tab import LiveQuiz, choice_labels

from .browser import local_only, served
from .test_ui import CHROMIUM, CHROMIUM_FLAGS


@pytest.fixture(scope="module")
def items(fake_index_dir):
    index = load_index(fake_index_dir)
    got, _ = generate(Builder(index.chunks, corpus_version=index.corpus_version), ["charte", "pratiques-interdites"], 2)
    return got


def _draw(items, calls=None):
    def draw(topics, n, level):
        if calls is not None:
            calls.append((topics, n, level))
        return [it for it in items if it.topic in topics][:n], ["note de test"]

    return draw


def test_live_quiz_flow_score_and_sources(items):
    calls: list = []
    quiz = LiveQuiz(_draw(items, calls))
    title = next(t.title for t in TOPICS if t.slug == "charte")
    state, page = quiz.start([title], "les deux", 10)
    assert calls == [(["charte"], 10, None)]
    n = len(state["items"])
    assert n == 2 and "Question 1 sur 2" in page
    # « Suivante » before answering does not skip the question
    state, page = quiz.next(state)
    assert state["i"] == 0 and "Question 1 sur 2" in page
    # no choice: asked to choose
    state, fb = quiz.answer(state, None)
    assert "Choisissez une réponse" in fb and not state["answered"]
    # right answer
    it = quiz.current(state)
    state, fb = quiz.answer(state, choice_labels(it)[it.answer])
    assert "Bonne réponse" in fb and state["score"] == 1
    assert it.citation["label"].split(",")[0] in fb and "«" in fb  # source label and quote shown
    # answering twice does not count twice
    state, fb = quiz.answer(state, choice_labels(it)[it.answer])
    assert state["score"] == 1 and "déjà donnée" in fb
    state, page = quiz.next(state)
    assert "Question 2 sur 2" in page
    # wrong answer: the correct one is named, with explanation
    it = quiz.current(state)
    wrong = next(i for i in range(len(it.options)) if i != it.answer)
    state, fb = quiz.answer(state, choice_labels(it)[wrong])
    assert "Mauvaise réponse" in fb and it.correct.split()[0] in fb and state["score"] == 1
    state, page = quiz.next(state)
    assert "Quiz terminé" in page and "Score : 1 / 2" in page and "note de test" in page


def test_live_quiz_escapes_and_skips_invalid_items(items):
    bad = items[0].__class__.from_json({**items[0].to_json(), "question": "<script>alert(1)</script> ?"})
    broken = items[1].__class__.from_json({**items[1].to_json(), "citation": {}})
    quiz = LiveQuiz(lambda t, n, lv: ([bad, broken], []))
    state, page = quiz.start([], "débutant", 5)
    assert len(state["items"]) == 1  # the item without a source is never shown
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_live_quiz_level_and_empty(items):
    calls: list = []
    quiz = LiveQuiz(_draw([], calls))
    state, page = quiz.start([], "confirmé", 4)
    assert state == {} and "Aucune question" in page
    assert calls[0][2] == "confirmé" and len(calls[0][0]) == len(TOPICS)


# ---------------------------------------------------------------------- browser


@pytest.mark.browser
def test_browser_live_quiz(fake_settings, tmp_path, monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium absent (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    from fastapi import FastAPI

    from assistant.backends.fake import ScriptedGenerator
    from assistant.base.settings import Settings
    from assistant.core.service import Service
    from assistant.ui.app import mount_ui

    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(tmp_path / "var"))
    svc = Service(Settings.load(), generator=ScriptedGenerator())
    app = mount_ui(FastAPI(), svc)
    outside: list[str] = []
    with served(app) as port, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(locale="fr-FR", viewport={"width": 1280, "height": 900})
        page.route("**/*", local_only(outside))
        page.goto(f"http://127.0.0.1:{port}/ui/")
        page.get_by_role("tab", name="Formation").click()
        page.get_by_label("La charte départementale et ses 7 défis").check()
        page.locator("#ia-quiz-n input[type=number]").fill("3")
        page.locator("#ia-quiz-n input[type=number]").press("Enter")
        page.get_by_role("button", name="Commencer le quiz").click()
        page.get_by_text("Question 1 sur 3").wait_for(timeout=60_000)
        for k in range(3):
            page.locator("#ia-quiz-choice label").first.click()
            page.get_by_role("button", name="Valider la réponse").click()
            page.locator("#ia-quiz-feedback").get_by_text("Source :").wait_for(timeout=30_000)
            fb = page.locator("#ia-quiz-feedback").inner_text()
            assert "Bonne réponse" in fb or "Mauvaise réponse" in fb
            if k == 0:
                page.screenshot(path="/tmp/ui-quiz.png", full_page=True)
            page.get_by_role("button", name="Question suivante").click()
            if k < 2:
                page.get_by_text(f"Question {k + 2} sur 3").wait_for(timeout=30_000)
        page.get_by_text("Quiz terminé").wait_for(timeout=30_000)
        assert "Score :" in page.locator("#ia-quiz-question").inner_text()
        browser.close()
    assert outside == []


def test_cases_panel_lists_assessed_cases_or_says_how(fake_settings, tmp_path, monkeypatch):
    import json

    from assistant.base.settings import Settings
    from assistant.ui.training_tab import cases_html

    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(tmp_path / "var"))
    settings = Settings.load()
    assert "assistant training cases" in cases_html(settings)
    path = tmp_path / "var" / "training" / "cases.jsonl"
    path.parent.mkdir(parents=True)
    row = {"title": "<b>Tri</b>", "description": "CV", "level_title": "Haut risque", "method": "mots-clés"}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    page = cases_html(settings)
    assert "Haut risque" in page and "&lt;b&gt;Tri&lt;/b&gt;" in page and "<b>" not in page
