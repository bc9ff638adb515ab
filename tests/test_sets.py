"""Set questions (issue 15): recognition, lists read from the texts' structure, answer shape,
verbatim quotes over the whole set dev set, streaming order, the amended date of art. 57(1)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.answer.cite import QUOTE_GAP, is_verbatim
from assistant.answer.sets import build_set, gloss_of, is_set_question
from assistant.backends.fake import ScriptedGenerator
from assistant.base.settings import PROJECT_ROOT
from assistant.core.service import Service
from assistant.evaluation.evaluate import key_coverage, load_questions

SETS = PROJECT_ROOT / "eval" / "questions-sets.jsonl"


@pytest.fixture(scope="module")
def index(fake_index_dir: Path):
    from assistant.search.index import load_index

    return load_index(fake_index_dir)


@pytest.fixture()
def svc(fake_settings):
    gen = ScriptedGenerator()
    service = Service(fake_settings, generator=gen)
    service.answerer.floor, service.answerer.strong = 0.0, 2.0  # fake embedder: no calibrated abstention
    return service, gen


def refs(question: str, index) -> list[str]:
    listed = build_set(question, [], index)
    assert listed is not None, question
    return [e.chunk.ref for e in listed.entries]


@pytest.mark.parametrize(
    "question",
    [
        "Quelles obligations pour le Département s'il déploie un système d'IA à haut risque ?",
        "Quels sont les domaines de l'annexe III ?",
        "Quelles sont toutes les pratiques interdites ?",
        "Que doit contenir l'analyse d'impact sur les droits fondamentaux ?",
        "Liste des défis de la charte",
        "Que doivent pouvoir faire les personnes chargées du contrôle humain ?",
    ],
)
def test_set_questions_are_recognised(question):
    assert is_set_question(question)


@pytest.mark.parametrize(
    "question",
    [
        "Quelle est la date d'application de l'article 5 ?",
        "Qu'est-ce qu'un « fournisseur » au sens du règlement (UE) 2024/1689 ?",
        "La notation sociale est-elle interdite ?",
        "Quel est le montant maximal de l'amende pour une pratique interdite ?",
        "Que doit faire le Département s'il pense qu'un système d'IA à haut risque présente un risque ?",
    ],
)
def test_single_fact_questions_are_not_set_questions(question):
    assert not is_set_question(question)


def test_public_deployer_list_is_complete_and_in_the_order_of_the_text(index):
    got = refs("Quelles obligations pour le Département s'il déploie un système d'IA à haut risque ?", index)
    for needed in ("art-26-1", "art-26-2", "art-26-5", "art-26-6", "art-26-11", "art-27-1", "art-49-3"):
        assert needed in got
    assert got.index("art-26-1") < got.index("art-26-11") < got.index("art-27-1") < got.index("art-49-3")


def test_prohibited_practices_include_the_points_inserted_in_2026_said_so(index):
    listed = build_set("Quelles sont toutes les pratiques interdites ?", [], index)
    assert listed is not None
    letters = [e.chunk.ref.rsplit("-", 1)[-1] if e.chunk.doc_id == "ai-act" else e.gloss for e in listed.entries]
    assert letters[:2] == ["a", "b"] and letters[-1] == "h"
    inserted = [e for e in listed.entries if e.chunk.doc_id == "ai-act-2026-1744"]
    assert [e.gloss for e in inserted] == ["nouveau point ba)", "nouveau point bb)"]
    assert all("inséré par le règlement (UE) 2026/1744" in e.note for e in inserted)
    for e in inserted:  # the quote starts at the inserted point's own words
        assert e.chunk.text[e.start :].startswith(f"({e.gloss.split()[-1][:-1]})")


def test_a_section_lists_its_articles_with_their_headings(index):
    listed = build_set("Quelles sont les exigences applicables aux systèmes d'IA à haut risque ?", [], index)
    assert listed is not None
    assert [e.chunk.ref.split("-")[1] for e in listed.entries] == [str(n) for n in range(8, 16)]
    assert listed.entries[1].gloss == "Système de gestion des risques"


def test_the_charter_has_seven_challenges_each_glossed(index):
    listed = build_set("Quels sont les sept défis de la charte ?", [], index)
    assert listed is not None
    assert [e.chunk.ref.split("-")[1] for e in listed.entries] == [str(n) for n in range(1, 8)]
    assert (
        listed.entries[0].gloss == "Promouvoir au sein de l’institution départementale une IA accessible et inclusive"
    )
    assert "Primauté de la supervision humaine" in listed.entries[5].gloss  # défi 6 has no words of its own


def test_an_enumeration_without_data_comes_from_the_best_passage(index):
    top = index.chunk_by_key("ai-act", "art-6-3-b")
    listed = build_set("Quels sont les critères de l'article 6, paragraphe 3 ?", [top], index)
    assert listed is not None and listed.list_id == "structure"
    assert [e.chunk.ref for e in listed.entries] == ["art-6-3-a", "art-6-3-b", "art-6-3-c", "art-6-3-d"]


def test_gloss_is_the_first_clause_without_marker():
    assert gloss_of("c) mettent en place un système de gestion de la qualité; et") == (
        "mettent en place un système de gestion de la qualité"
    )


def test_every_set_answer_is_a_list_with_verbatim_quotes(svc):
    """Over the whole set dev set: no abstention, an opening then one line per item, the list part
    short, and every piece of every quote an exact substring of its passage."""
    service, _ = svc
    passages: dict[tuple[str, str], str] = {}
    for c in service.index.chunks:
        for key in {(c.doc_id, c.ref), *((c.doc_id, s.ref) for s in c.spans)}:
            passages[key] = passages.get(key, "") + "\n" + c.text
    coverage = []
    for q in load_questions(SETS):
        out = service.ask(q["question"]).to_json()
        assert not out["abstained"], q["id"]
        text = out["answer"]
        head, _, _ = text.partition("Texte applicable :")
        assert re.search(r"^1\. .+ \[\d+\]$", head, re.M), q["id"]
        assert len(head) < 2500, (q["id"], len(head))
        for c in out["citations"]:
            assert is_verbatim(c["quote"], passages[(c["doc_id"], c["ref"])]), (q["id"], c["ref"])
        for c in out["citations"]:  # what the answer shows between « » is the citation's verbatim quote
            shown = f"« {c['quote']} » [{c['n']}]"
            assert shown in text or f"» [{c['n']}]" not in text, (q["id"], c["ref"])
            for piece in c["quote"].split(QUOTE_GAP):
                assert piece in passages[(c["doc_id"], c["ref"])], (q["id"], piece[:60])
        coverage.append(key_coverage(q["key"], out["citations"])[0])
    assert sum(coverage) / len(coverage) >= 0.85


def test_the_list_is_streamed_before_the_model_phrases(svc):
    service, gen = svc
    gen.enqueue(json.dumps({"trouve": True, "reponse": "Phrase du modèle.", "sources": [1]}, ensure_ascii=False))
    pieces: list[str] = []
    out = service.ask("Quels sont les domaines de l'annexe III ?", on_token=pieces.append).to_json()
    assert pieces[0].startswith("L'annexe III classe à haut risque")
    assert "1. Biométrie" in pieces[0] and "8. Administration de la justice" in pieces[0]
    assert "".join(pieces[1:]) == "Phrase du modèle."  # the model's words come after
    assert out["timings"]["first_content_ms"] <= out["timings"]["ttft_ms"]


def test_a_lead_in_and_a_distant_point_are_joined_with_an_ellipsis(index):
    from assistant.answer.compose import Evidence

    c = index.chunk_by_key("ai-act", "art-27-1-f")
    assert c is not None
    own = next(sp for sp in c.spans if sp.ref == c.ref)
    e = Evidence(1, c, own.start + 2, own.end, "item", lead=(0, 20))
    assert QUOTE_GAP in e.quote and is_verbatim(e.quote, c.text)
    assert not is_verbatim("pièce absente […] " + c.text[own.start : own.end], c.text)


def test_a_date_changed_inside_the_provision_wins_over_article_113(svc):
    service, gen = svc
    gen.enqueue(json.dumps({"trouve": True, "reponse": "", "sources": [1]}))
    out = service.ask(
        "À partir de quand au moins un bac à sable réglementaire de l'IA au niveau national doit-il être opérationnel ?"
    ).to_json()
    first = out["answer"].splitlines()[0]
    assert first.startswith("Date applicable : 2 août 2027")
    assert "prime sur la date générale" in first and "2 août 2026" in first
    assert any(c["doc_id"] == "ai-act-2026-1744" and c["ref"].startswith("art-1-22") for c in out["citations"])


def test_key_coverage_counts_alternatives():
    cites = [{"doc_id": "ai-act", "ref": "art-26-1"}, {"doc_id": "ai-act", "ref": "art-27-1-a"}]
    key = [
        {"doc": "ai-act", "ref": "art-26-1"},
        [{"doc": "ai-act", "ref": "art-27"}],
        {"doc": "ai-act", "ref": "art-49-3"},
    ]
    cov, missing = key_coverage(key, cites)
    assert cov == pytest.approx(2 / 3) and missing == ["ai-act art-49-3"]


def test_a_single_fact_answer_streams_its_best_passage_before_the_model(svc):
    service, gen = svc
    gen.enqueue(
        json.dumps({"trouve": True, "reponse": "Jusqu'à 35 000 000 EUR [1].", "sources": [1]}, ensure_ascii=False)
    )
    pieces: list[str] = []
    out = service.ask(
        "Quelle amende pour le non-respect de l'interdiction des pratiques visées à l'article 5 ?",
        on_token=pieces.append,
    ).to_json()
    quote = re.search(r"« (.+) »", pieces[0], re.S)
    assert quote is not None and any(c["quote"] == quote.group(1) for c in out["citations"])
    assert "".join(pieces[1:]) == "Jusqu'à 35 000 000 EUR [1]."
    assert out["timings"]["first_content_ms"] <= out["timings"]["ttft_ms"]


def test_the_provisions_an_article_has_changed_by_2026_are_listed_with_the_amending_points(index):
    listed = build_set("Quelles dispositions de l'article 57 sont modifiées par le règlement 2026/1744 ?", [], index)
    assert listed is not None and listed.list_id == "amended"
    got = [(e.chunk.doc_id, e.chunk.ref) for e in listed.entries]
    assert got[:2] == [("ai-act", "art-57-1"), ("ai-act-2026-1744", "art-1-22-a")]
    assert listed.entries[0].note == "modifié par le règlement (UE) 2026/1744"
    assert "paragraphe 3a inséré" in [e.gloss for e in listed.entries]  # a paragraph the AI Act did not have
