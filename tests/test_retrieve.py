from __future__ import annotations

import pytest

from assistant.core.service import Service
from assistant.search.retrieve import NamedRef, _top_only, named_refs
from assistant.search.thesaurus import expand, topics


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Que prévoit l'article 26 ?", [NamedRef("ai-act", "art-26")]),
        ("article 5, paragraphe 1, point c)", [NamedRef("ai-act", "art-5-1-c")]),
        ("Que dit l'art. 5(1)(c) ?", [NamedRef("ai-act", "art-5-1-c")]),
        ("Article premier du règlement", [NamedRef("ai-act", "art-1")]),
        ("l'annexe III, point 5 a)", [NamedRef("ai-act", "annex-iii-5-a")]),
        ("Que dit l'annexe VIII ?", [NamedRef("ai-act", "annex-viii")]),
        ("considérant 27", [NamedRef("ai-act", "recital-27")]),
        ("Que demande le défi 6 de la charte ?", [NamedRef("charte", "defi-6")]),
        # "article 4" in a question about the 2026 amendment is still the AI Act's article 4
        ("Qu'a changé le règlement 2026/1744 à l'article 4 ?", [NamedRef("ai-act", "art-4")]),
        ("Que dit l'article 4 du règlement 2026/1744 ?", [NamedRef("ai-act-2026-1744", "art-4")]),
        ("Quelle amende pour une pratique interdite ?", []),
    ],
)
def test_named_refs(question, expected):
    assert named_refs(question) == expected


def test_topics_and_expansions_are_recognised():
    assert [t.name for t in topics("Depuis quand les pratiques interdites s'appliquent-elles ?")] == ["dates"]
    assert "sanctions" in [t.name for t in topics("Quelle amende risque-t-on ?")]
    assert "definitions" in [t.name for t in topics("Qu'est-ce qu'un déployeur ?")]
    assert "interagir directement" in expand("Notre chatbot doit-il se présenter comme une IA ?")
    assert expand("Question sans terme courant") == "Question sans terme courant"


def test_top_only_bounds_a_boost():
    import numpy as np

    out = _top_only(np.array([0.1, 0.5, -np.inf, 0.3, 0.2]), 2)
    assert list(np.isfinite(out)) == [False, True, False, True, False]


def test_search_contract_and_ranking_with_fake_embedder(fake_settings):
    svc = Service(fake_settings)
    out = svc.search("Quelle amende pour le non-respect de l'interdiction des pratiques de l'article 5 ?", k=5)
    assert out["query"].startswith("Quelle amende")
    assert len(out["results"]) == 5
    first = out["results"][0]
    assert set(first) >= {"rank", "score", "doc_id", "ref", "label", "page", "lang", "text"}
    assert [r["rank"] for r in out["results"]] == [1, 2, 3, 4, 5]
    assert any(r["ref"] == "art-99-3" for r in out["results"])


def test_named_provision_does_not_crowd_out_the_topic(fake_settings):
    # Mentions article 26 in passing but asks about fines: the penalties article must come back.
    svc = Service(fake_settings)
    refs = [
        r["ref"]
        for r in svc.search(
            "Quel est le montant maximal de l'amende si un déployeur ne respecte pas l'article 26 ?", k=5
        )["results"]
    ]
    assert any(r.startswith("art-99") for r in refs)
    assert sum(r.startswith("art-26") for r in refs) <= 3


def test_filters(fake_settings):
    svc = Service(fake_settings)
    only_charter = svc.search("supervision humaine", k=5, docs=["charte"])["results"]
    assert only_charter and all(r["doc_id"] == "charte" for r in only_charter)
    english = svc.search("AI literacy measures", k=3, lang="en")["results"]
    assert english and all(r["lang"] == "en" for r in english)
