"""Dates of application chosen by code from article 113 as amended (assistant/schedule.py)."""

from __future__ import annotations

import json

import pytest

from assistant.answer.schedule import asks_date, chapter_of, named_subjects, subjects


def test_date_questions_are_recognised():
    assert asks_date("Depuis quand les pratiques interdites sont-elles interdites ?")
    assert asks_date("À partir de quand l'article 50 s'applique-t-il ?")
    assert asks_date("Quand les obligations de l'annexe III entrent-elles en application ?")
    assert not asks_date("Quelles sont les pratiques interdites ?")


def test_articles_map_to_chapters_and_sections():
    assert chapter_of(4) == "I" and chapter_of(5) == "II" and chapter_of(26) == "III.3"
    assert chapter_of(30) == "III.4" and chapter_of(53) == "V" and chapter_of(99) == "XII"


def test_subjects_of_questions_and_of_article_113_points():
    assert subjects("Depuis quand l'article 4 s'applique-t-il ?") >= {"I", "art4"}
    assert subjects("Quand les systèmes à haut risque de l'annexe III sont-ils concernés ?") == {"6.2"}
    assert subjects("Depuis quand la gouvernance et les sanctions s'appliquent-elles ?") == {"VII", "XII"}
    assert named_subjects("a) les chapitres I et II sont applicables à partir du 2 février 2025;") == {"I", "II"}
    assert {"III.4", "V", "VII", "XII", "art78"} <= named_subjects(
        "b) le chapitre III, section 4, le chapitre V, le chapitre VII, le chapitre XII et l’article 78 s’appliquent"
    )
    assert "6.2" in named_subjects(
        "(i) 2 December 2027 as regards AI systems classified pursuant to Article 6(2) and Annex III"
    )


@pytest.fixture()
def svc(fake_settings):
    from assistant.backends.fake import ScriptedGenerator
    from assistant.core.service import Service

    gen = ScriptedGenerator()
    gen.default = json.dumps({"trouve": True, "reponse": "", "sources": []})
    service = Service(fake_settings, generator=gen)
    service.answerer.floor, service.answerer.strong = 0.0, 2.0
    return service


def test_answer_gives_the_amended_date_with_both_texts(svc):
    out = svc.ask(
        "À partir de quand les obligations pour les systèmes à haut risque de l'annexe III s'appliquent-elles ?"
    ).to_json()
    first = out["answer"].splitlines()[0]
    assert first.startswith("Date d'application") and "2 décembre 2027" in first and "2026/1744" in first
    refs = {
        (c["doc_id"], c["ref"].rsplit("-", 1)[0] if c["ref"].count("-") > 2 else c["ref"]) for c in out["citations"]
    }
    assert ("ai-act-2026-1744", "art-1-40") in refs


def test_answer_for_a_chapter_date_cites_article_113(svc):
    out = svc.ask("Depuis quand l'obligation de maîtrise de l'IA de l'article 4 est-elle applicable ?").to_json()
    assert "2 février 2025" in out["answer"].splitlines()[0]
    assert any(c["doc_id"] == "ai-act" and c["ref"] == "art-113-3-a" for c in out["citations"])
