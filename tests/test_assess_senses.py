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


def refused(copy: Path, old: str, new: str, *words: str) -> None:
    """cues-fr.toml with `old` replaced by `new` is refused with a message naming `words`; then restored."""
    edit(copy, "cues-fr", old, new)
    with pytest.raises(ConfigError) as err:
        load(copy)
    assert all(w in str(err.value) for w in ("cues-fr.toml", *words)), str(err.value)
    shutil.copy(HERE / "cues-fr.toml", copy / "cues-fr.toml")


def test_a_sense_too_short_or_on_an_unknown_practice_is_refused(copy):
    refused(copy, '"Mentir aux personnes pour obtenir leur accord ou leur argent."', '"Mentir."',
            "manipulation-sens-fr", "examples", "trop courte")  # fmt: skip
    refused(copy, 'id = "moissonnage-visages-sens-fr"\nfact = "moissonnage_visages"',
            'id = "moissonnage-visages-sens-fr"\nfact = "systeme_ia"', "moissonnage-visages-sens-fr", "fact")  # fmt: skip


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


def test_the_reading_gives_every_practice_its_closest_sentence_with_the_same_cues_and_facts():
    senses = fake_senses()
    reading = senses.reading(EVOKING)
    assert (reading.cues, reading.facts) == senses.read(EVOKING)
    assert set(reading.practices) == {s.fact for s in law().cues_fr.practice_senses}
    score, sentence = reading.practices["notation_sociale"]
    assert score > 0.99 and sentence == sentences(EVOKING)[1]
    assert max(s for n, (s, _) in reading.practices.items() if n != "notation_sociale") < 0.9


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


# ---------------------------------------------------------------------------- facts of art. 50

DIALOGUE = next(s for s in law().cues_fr.fact_senses if s.id == "dialogue-sens-fr")
DEEPFAKE = next(s for s in law().cues_fr.fact_senses if s.id == "hypertrucage-sens-fr")


def test_every_fact_sense_states_a_value_of_an_art_50_fact_with_its_provision():
    data = law()
    for cues in (data.cues_fr, data.cues_en):
        assert {s.fact for s in cues.fact_senses} == {"interagit_avec_personnes", "contenu_hypertrucage"}
        for sense in cues.fact_senses:
            assert sense.source is not None and sense.source.ref.startswith("art-50")
            assert sense.value == "oui" and len(sense.examples) >= 2


def test_a_fact_sense_on_a_practice_or_with_a_value_the_fact_lacks_is_refused(copy):
    said = 'id = "dialogue-sens-fr"\nfact = "interagit_avec_personnes"'
    refused(copy, said + '\nvalue = "oui"', said + '\nvalue = "peut-être"', "dialogue-sens-fr", "value")
    refused(copy, said, 'id = "dialogue-sens-fr"\nfact = "notation_sociale"', "dialogue-sens-fr", "fact")


def test_a_negated_clause_states_no_function_but_a_deep_fake_may_say_never():
    from assistant.assess.senses import negated

    assert negated("Il ne traite aucun dossier") and negated("l’outil n’analyse pas les visages")
    assert negated("It does not talk to anyone")
    assert not negated("Le bulletin est publié sans relecture")  # « sans » qualifies, it does not deny
    senses = fake_senses()
    said = DIALOGUE.examples[0]
    denied = "Il ne répond pas : " + said.lower()
    assert senses.read(f"{PLAIN}. {said}")[1] == {"interagit_avec_personnes": ("oui", said.rstrip("."))}
    assert "interagit_avec_personnes" not in senses.read(f"{PLAIN}. {denied}")[1]
    deepfake = next(x for x in DEEPFAKE.examples if "jamais" in x)
    assert senses.read(f"{PLAIN}. {deepfake}")[1]["contenu_hypertrucage"][0] == "oui"  # negatable = false


def test_a_fact_stated_by_meaning_gives_limited_and_the_words_win_over_it():
    said = DIALOGUE.examples[0]
    text = f"{PLAIN}. {said}"
    sensed_facts = fake_senses().read(text)[1]
    kw = rm.keyword_facts(text, {}, sensed_facts)
    assert kw.values["interagit_avec_personnes"].value == rm.YES
    facts, sources, _ = merge_facts(kw, {"interagit_avec_personnes": rm.NO})
    assert facts["interagit_avec_personnes"] == rm.YES  # the model's « non » does not undo the sentence
    assert sources["interagit_avec_personnes"] == "sens de la phrase (le modèle lisait « non »)"
    assert rm.decide(facts, text).level == "limited"
    without = merge_facts(rm.keyword_facts(text), {"interagit_avec_personnes": rm.NO})[0]
    assert rm.decide(without, text).level == "minimal"
    stated = "Un outil classerait les courriers entrants par service, sans agent conversationnel"
    kw = rm.keyword_facts(stated, {}, {"interagit_avec_personnes": ("oui", "x")})
    assert kw.values["interagit_avec_personnes"].value == rm.NO  # the description's words say « non »


def test_the_assessment_records_the_facts_read_by_meaning(assessor):
    ass, gen = assessor
    gen.enqueue(facts_reply(finalite_definie="oui", interagit_avec_personnes="non"))
    gen.enqueue("Résumé.")
    out = ass.assess(f"{PLAIN}. {DIALOGUE.examples[0]}").to_json()
    assert out["risk_level"] == "limited" and "art-50-1" in json.dumps(out["grounds"], ensure_ascii=False)
    assert out["extraction"]["sensed_facts"] == {"interagit_avec_personnes": "oui"}
    assert out["fact_sources"]["interagit_avec_personnes"] == "sens de la phrase"  # stated: not asked to the model


FACT_CASES = [
    ("Les familles pourront écrire à toute heure sur le portail et recevront tout de suite une réponse sur les "
     "horaires et les pièces à fournir.", "interagit_avec_personnes"),
    # Not here: three deep-fake paraphrases written for this test (a museum founder made to speak, an
    # official's imitated voice, a crowd added to a video) scored 0.63–0.65 < FACT_SENSE_THRESHOLD
    # (2026-12-03): the deep-fake sense reaches the dev sets' wordings, not yet every paraphrase.
]  # fmt: skip
FACT_PLAIN = [
    "Un logiciel prévoit le nombre de repas à préparer chaque semaine dans les cantines.",
    "Les bons de commande sont rapprochés automatiquement des factures reçues.",
]


@pytest.mark.model
@pytest.mark.parametrize(("text", "fact"), FACT_CASES)
def test_real_fact_senses_read_what_the_system_does(real_senses, text, fact):
    kw = rm.keyword_facts(text)
    assert not (kw.values.get(fact) and kw.values[fact].value == rm.YES)  # the words alone do not say it
    assert real_senses.read(text)[1].get(fact, ("", ""))[0] == rm.YES


@pytest.mark.model
@pytest.mark.parametrize("text", FACT_PLAIN)
def test_real_fact_senses_leave_plain_uses_alone(real_senses, text):
    assert real_senses.read(text)[1] == {}
