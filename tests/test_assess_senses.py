"""Issue 14: prohibited practices evoked by meaning (assess/senses.py). A sentence of the description
close to one of a practice's plain sentences (law data `[[practice_sense]]`) evokes the practice like a
keyword cue: it cannot be excluded, « minimal » and « limité » are not given, the model is asked the
targeted question; a sense never establishes a practice. Fast tests use the deterministic fake embedder
with an explicit threshold; the real EmbeddingGemma runs in the `model` tests at the end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.assess import riskmap as rm
from assistant.assess.assessor import PASSAGE, TARGETED, Assessor, merge_facts
from assistant.assess.senses import Senses, sentences
from assistant.backends.fake import ScriptedGenerator
from assistant.base.errors import ConfigError, ModelError
from assistant.base.settings import Settings
from assistant.core.service import Service
from assistant.law import law
from assistant.law.load import FILES, HERE, load
from assistant.search.embed import FakeEmbedder
from assistant.text.norm import fold
from tests.test_assess import facts_reply
from tests.test_law import edit

SENSE = next(s for s in law().cues_fr.practice_senses if s.id == "notation-sociale-sens-fr")
EXAMPLE = SENSE.examples[5]  # a plain sentence of art. 5(1)(c) that no keyword cue catches
# A task the keyword rules read as minimal, then a sentence with no keyword cue that a sense matches.
PLAIN = "Un outil classerait les courriers entrants par service"
EVOKING = f"{PLAIN}. {EXAMPLE}"


def fake_senses(threshold: float = 0.9) -> Senses:
    return Senses(FakeEmbedder().embed_sentences, threshold)


def test_every_sense_names_a_cued_practice_of_article_5_with_its_provision():
    data = law()
    for cues in (data.cues_fr, data.cues_en):
        cued = {c.fact for c in cues.practice_cues}
        assert {s.fact for s in cues.practice_senses} == cued  # every practice has its sentences, both languages
        for sense in cues.practice_senses:
            assert sense.source is not None and len(sense.examples) >= 2
            assert sense.source.ref.startswith("art-5-1") or sense.source.doc_id == "ai-act-2026-1744"


@pytest.fixture()
def copy(tmp_path: Path) -> Path:
    for name in FILES:
        shutil.copy(HERE / f"{name}.toml", tmp_path / f"{name}.toml")
    return tmp_path


def test_a_sense_too_short_or_on_an_unknown_practice_is_refused(copy):
    edit(copy, "cues-fr", '"Mentir aux personnes pour obtenir leur accord ou leur argent."', '"Mentir."')
    with pytest.raises(ConfigError) as err:
        load(copy)
    assert "cues-fr.toml" in str(err.value) and "manipulation-sens-fr" in str(err.value)
    assert "examples" in str(err.value) and "trop courte" in str(err.value)
    shutil.copy(HERE / "cues-fr.toml", copy / "cues-fr.toml")
    edit(copy, "cues-fr", 'id = "moissonnage-visages-sens-fr"\nfact = "moissonnage_visages"',
         'id = "moissonnage-visages-sens-fr"\nfact = "systeme_ia"')  # fmt: skip
    with pytest.raises(ConfigError) as err:
        load(copy)
    assert "moissonnage-visages-sens-fr" in str(err.value) and "fact" in str(err.value)


def test_sentences_are_the_parts_worth_comparing():
    assert sentences("Un outil. Il trie les courriers ; il les résume\net les range !") == [
        "Il trie les courriers",
        "il les résume",
        "et les range",
    ]
    assert len(sentences(". ".join(f"Phrase numéro {i} assez longue" for i in range(30)))) == 12


def test_a_sentence_close_to_a_practice_evokes_it_and_an_unrelated_one_does_not():
    senses = fake_senses()
    assert senses.cues(EVOKING) == {"notation_sociale": fold(sentences(EVOKING)[1])}
    assert senses.cues(PLAIN + ".") == {}
    score, sentence = senses.scores(EVOKING)["notation_sociale"]
    assert score > 0.99 and sentence == sentences(EVOKING)[1]
    assert max(s for s, _ in senses.scores(PLAIN).values()) < 0.9


def test_a_sense_opens_the_practice_and_blocks_minimal():
    assert not rm.keyword_facts(EVOKING).cued  # no keyword cue: only the sense sees it
    for text, sensed, level in ((PLAIN, {}, "minimal"), (EVOKING, fake_senses().cues(EVOKING), "undetermined")):
        kw = rm.keyword_facts(text, sensed)
        facts, sources, contradictions = merge_facts(kw, None)
        decision = rm.decide(facts, text, contradictions, rm.open_practices(kw, facts, sources))
        assert decision.level == level
    assert rm.FACTS["notation_sociale"].question in decision.questions
    assert "notation_sociale" not in {k for k, f in kw.values.items() if f.value == rm.NO}


def test_a_practice_the_words_answer_is_not_reopened_by_a_sense():
    text = "Un outil noterait les usagers selon leur comportement social pour leur refuser des aides."
    assert rm.keyword_facts(text).values["notation_sociale"].value == rm.YES
    assert "notation_sociale" not in rm.keyword_facts(text, {"notation_sociale": "x"}).cued


@pytest.fixture()
def assessor(fake_settings):
    gen = ScriptedGenerator()
    service = Service(fake_settings, generator=gen)
    return Assessor(service.index, lambda: gen, None, fake_senses()), gen


def test_the_assessment_asks_the_sensed_practice_and_a_model_no_leaves_it_to_clarify(assessor):
    ass, gen = assessor
    reply = json.loads(facts_reply(finalite_definie="oui"))
    reply |= {TARGETED + "notation_sociale": "non", PASSAGE + "notation_sociale": "aucun"}
    gen.enqueue(json.dumps(reply, ensure_ascii=False))
    gen.enqueue("Résumé.")
    out = ass.assess(EVOKING).to_json()
    props = gen.history[0]["schema"]["properties"]
    assert TARGETED + "notation_sociale" in props
    assert out["risk_level"] == "undetermined"
    assert rm.FACTS["notation_sociale"].question in out["to_clarify"]
    assert out["extraction"]["senses"] == {"notation_sociale": fold(sentences(EVOKING)[1])}
    assert "senses_ms" in out["timings"]


def test_a_yes_after_a_sense_alone_keeps_the_practice_open_without_establishing_it(assessor):
    ass, gen = assessor
    span = next(p for p in gen_passages(EVOKING) if "participation" in p)
    reply = json.loads(facts_reply(finalite_definie="oui"))
    reply |= {TARGETED + "notation_sociale": "oui", PASSAGE + "notation_sociale": span}
    gen.enqueue(json.dumps(reply, ensure_ascii=False))
    gen.enqueue("Résumé.")
    out = ass.assess(EVOKING).to_json()
    assert out["risk_level"] == "undetermined"  # neither « minimal » nor « interdit » on a sense alone
    assert span in out["fact_sources"]["notation_sociale"] and "à confirmer" in out["fact_sources"]["notation_sociale"]
    assert rm.FACTS["notation_sociale"].question in out["to_clarify"]


def gen_passages(text: str) -> list[str]:
    from assistant.assess.assessor import passages

    return passages(text)


def test_the_service_uses_no_senses_with_an_uncalibrated_embedder(fake_settings):
    assert Service(fake_settings, generator=ScriptedGenerator()).senses is None


# ---------------------------------------------------------------------------- real EmbeddingGemma


@pytest.fixture(scope="module")
def real_senses():
    from assistant.search.embed import make_embedder

    try:
        embedder = make_embedder(Settings.load(embedder="embeddinggemma"))
    except ModelError as exc:
        pytest.skip(f"modèle absent : {exc}")
    return Senses(embedder.embed_sentences)


# Written for this test from the wording and the Act's recitals, in words no keyword cue
# foresaw (checked below); none comes from an evaluation set.
EVOKED = [
    ("Notre chatbot de réservation relancerait les jeunes clients en leur répétant que les places partent vite et "
     "que tous leurs amis ont déjà réservé, pour leur vendre des formules plus chères.",
     {"manipulation_subliminale", "exploitation_vulnerabilites"}),
    ("Un assistant vocal appellerait les personnes âgées vivant seules pour leur proposer des abonnements de "
     "téléassistance premium en insistant sur les risques de chute.", {"exploitation_vulnerabilites"}),
    ("Le service RH voudrait un outil qui écoute les réunions d'équipe et signale les agents qui semblent "
     "démotivés ou tendus.", {"reconnaissance_emotions"}),
]  # fmt: skip
UNRELATED = [
    "Un chatbot répond aux questions des usagers sur les horaires d'ouverture des collèges.",
    "Un outil résume les comptes rendus de réunion des services.",
    "Un logiciel traduit les courriers des usagers étrangers.",
]


@pytest.mark.model
@pytest.mark.parametrize(("text", "facts"), EVOKED)
def test_real_senses_catch_what_no_keyword_foresaw(real_senses, text, facts):
    assert not set(rm.keyword_facts(text).cued) & facts
    assert set(real_senses.cues(text)) & facts


@pytest.mark.model
@pytest.mark.parametrize("text", UNRELATED)
def test_real_senses_leave_plain_uses_alone(real_senses, text):
    assert real_senses.cues(text) == {}
