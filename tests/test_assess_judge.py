"""Issue 14: a cued prohibited practice judged by the model's first-token « oui »/« non » scores
(assess/judge.py). A margin at or above the practice's calibrated threshold establishes the practice
with the sentence its cue points to; below it the practice stays open (« à préciser », never
« minimal »). Only the calibrated model judges, only in French; the others keep the targeted
questions. Fast tests: scripted scores; the real model: tests/test_e2e_model.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.answer.prompts import canary, load_prompt
from assistant.assess import judge
from assistant.assess import riskmap as rm
from assistant.assess.assessor import TARGETED, Assessor, _neutralise, _section
from assistant.assess.senses import Senses
from assistant.backends.fake import ScriptedGenerator
from assistant.base.errors import ConfigError
from assistant.base.tuning import JUDGE_MARGIN, JUDGE_MODEL, JUDGE_OPEN_MARGIN
from assistant.core.service import Service
from assistant.law import law
from assistant.law.load import FILES, HERE, load
from assistant.search.embed import FakeEmbedder
from tests.test_assess import facts_reply
from tests.test_law import edit

# A keyword cue of art. 5(1)(b) (« personnes âgées isolées ») with a plain wording of the practice.
CUED = "Un outil repérerait les personnes âgées isolées pour leur vendre des contrats de téléassistance plus chers."
PRACTICE = "exploitation_vulnerabilites"


def test_every_calibrated_practice_has_a_judge_question_and_only_practices_do():
    assert JUDGE_MARGIN, "no practice is judged"
    for name in JUDGE_MARGIN:
        fact = rm.FACTS[name]
        assert fact.judge.endswith("?") and fact.values == rm.TRI and name in rm.PROHIBITED_KINDS
    assert {n for n, f in rm.FACTS.items() if f.judge} == set(JUDGE_MARGIN)


def test_a_judge_question_on_a_fact_that_is_not_yes_or_no_is_refused(tmp_path: Path):
    for name in FILES:
        shutil.copy(HERE / f"{name}.toml", tmp_path / f"{name}.toml")
    edit(tmp_path, "facts", 'name = "decision_automatisee"\n', 'name = "decision_automatisee"\njudge = "Vrai ?"\n')
    with pytest.raises(ConfigError) as err:
        load(tmp_path)
    assert "facts.toml" in str(err.value) and "judge" in str(err.value)


def test_the_margin_is_the_best_yes_minus_the_best_no_and_needs_both():
    assert judge.margin({"oui": -1.0, "Oui": 0.5, "non": 1.0, "Non": -2.0}) == pytest.approx(-0.5)
    assert judge.margin({"oui": 2.0}) is None
    assert judge.margin({}) is None
    v = judge.Verdict(PRACTICE, -0.9, -1.0, "x")
    assert v.yes and not judge.Verdict(PRACTICE, -1.1, -1.0, "x").yes


def test_the_question_shares_the_facts_request_prefix_up_to_the_quoted_description():
    system = load_prompt("assess.system").render(canary=canary())
    section = _section("faits")
    text = _neutralise(CUED)
    msgs = judge.messages(system, section, text, rm.FACTS[PRACTICE].judge)
    facts_user = section.replace("{description}", text)
    head = facts_user[: facts_user.index(text) + len(text) + 2]  # the description and its closing « »
    assert msgs[0]["content"] == system
    assert msgs[1]["content"].startswith(head)
    assert msgs[1]["content"].endswith(rm.FACTS[PRACTICE].judge + judge.ANSWER_HINT)


def test_the_supporting_sentence_is_the_one_the_cue_points_to():
    text = "Un outil classerait les courriers. Il cible les personnes âgées isolées le soir ; il vend des options."
    assert judge.supporting_sentence(text, "personnes agees isolees") == "Il cible les personnes âgées isolées le soir"
    folded_sense = "il vend des options"  # senses record the folded sentence
    assert judge.supporting_sentence(text, folded_sense) == "il vend des options"


@pytest.fixture()
def judged(fake_settings):
    gen = ScriptedGenerator(name=JUDGE_MODEL)
    service = Service(fake_settings, generator=gen)
    return Assessor(service.index, lambda: gen, None, None), gen


def _scores(margin: float) -> dict[str, float]:
    return {"oui": margin, "Oui": margin - 1.0, "non": 0.0, "Non": -1.0}


def test_a_judged_yes_establishes_the_practice_with_its_sentence(judged):
    ass, gen = judged
    assert list(rm.keyword_facts(CUED).cued) == [PRACTICE]
    gen.enqueue(facts_reply(finalite_definie="oui", interagit_avec_personnes="oui"), "Résumé.")
    gen.scores.append(_scores(JUDGE_MARGIN[PRACTICE] + 0.3))
    out = ass.assess(CUED).to_json()
    assert out["risk_level"] == "prohibited"
    assert "art-5-1-b" in [g["id"] for g in out["grounds"]]
    src = out["fact_sources"][PRACTICE]
    assert "jugement ciblé « oui »" in src and "personnes âgées isolées" in src
    asked = [h for h in gen.history if "words" in h]
    assert len(asked) == 1 and rm.FACTS[PRACTICE].judge in asked[0]["messages"][1]["content"]
    # judged, hence not asked again as a targeted question in the facts request
    assert TARGETED + PRACTICE not in (gen.history[0]["schema"] or {}).get("properties", {})
    assert out["extraction"]["judged"][PRACTICE]["oui"] is True


def test_a_judged_no_leaves_the_practice_open_never_minimal(judged):
    ass, gen = judged
    gen.enqueue(facts_reply(finalite_definie="oui"), "Résumé.")
    gen.scores.append(_scores(JUDGE_MARGIN[PRACTICE] - 0.3))
    out = ass.assess(CUED).to_json()
    assert out["risk_level"] not in ("minimal", "limited", "prohibited")
    assert "jugement ciblé « non »" in out["fact_sources"][PRACTICE]
    assert rm.FACTS[PRACTICE].question in out["to_clarify"] or out["risk_level"] == "high-risk"
    assert out["extraction"]["judged"][PRACTICE]["oui"] is False


def test_a_backend_that_cannot_score_leaves_the_practice_open(judged):
    ass, gen = judged
    gen.enqueue(facts_reply(finalite_definie="oui"), "Résumé.")  # no scores queued: {} → no margin
    out = ass.assess(CUED).to_json()
    assert out["risk_level"] not in ("minimal", "limited", "prohibited")
    assert "judged" not in out["extraction"]


# A plain task, then a sentence of art. 5(1)(c) in plain words that no keyword catches; the fake
# embedder puts it at similarity ~1 with its sense sentence, the plain task far from every practice.
GATED = "notation_sociale"
EXAMPLE = next(s for s in law().cues_fr.practice_senses if s.id == "notation-sociale-sens-fr").examples[5]
PLAIN = "Un outil classerait les courriers entrants par service"


@pytest.fixture()
def near(fake_settings, monkeypatch):
    """`NEARLY` close in meaning to `GATED` (fake embedder: similarity ~1), but under the sense threshold."""
    gen = ScriptedGenerator(name=JUDGE_MODEL)
    service = Service(fake_settings, generator=gen)
    senses = Senses(FakeEmbedder().embed_sentences, threshold=1.5)  # no sense is a cue here
    monkeypatch.setattr(judge, "JUDGE_NEAR", 0.9)
    return Assessor(service.index, lambda: gen, None, senses), gen


NEARLY = f"{PLAIN}. {EXAMPLE}"


def test_a_practice_close_in_meaning_without_a_cue_is_judged_and_kept_open_unless_set_aside(near):
    ass, gen = near
    assert not rm.keyword_facts(NEARLY).cued
    gen.enqueue(facts_reply(finalite_definie="oui"), "Résumé.")
    gen.scores.append(_scores(JUDGE_OPEN_MARGIN + 0.2))
    out = ass.assess(NEARLY).to_json()
    asked = [h for h in gen.history if "words" in h]
    assert len(asked) == 1 and rm.FACTS[GATED].judge in asked[0]["messages"][1]["content"]
    # not set aside: open, never established (a sentence close in meaning is not the description's words)
    assert out["risk_level"] == "undetermined"
    assert rm.FACTS[GATED].question in out["to_clarify"]
    assert out["facts"][GATED] != rm.YES
    src = out["fact_sources"][GATED]
    assert "phrase proche par le sens" in src and "non écartée" in src and EXAMPLE.rstrip(".") in src
    assert out["extraction"]["judged"][GATED]["indice"].startswith("aucun")


def test_a_clear_no_sets_the_practice_aside(near):
    ass, gen = near
    gen.enqueue(facts_reply(finalite_definie="oui"), "Résumé.")
    gen.scores.append(_scores(JUDGE_OPEN_MARGIN - 0.2))
    out = ass.assess(NEARLY).to_json()
    assert out["risk_level"] == "minimal"
    assert rm.FACTS[GATED].question not in out["to_clarify"]
    assert "écartée par le modèle" in out["fact_sources"][GATED]
    assert out["extraction"]["judged"][GATED]["oui"] is False


def test_even_a_strong_yes_does_not_establish_a_practice_no_cue_evokes(near):
    ass, gen = near
    gen.enqueue(facts_reply(finalite_definie="oui"), "Résumé.")
    gen.scores.append(_scores(JUDGE_MARGIN[GATED] + 3.0))
    out = ass.assess(NEARLY).to_json()
    assert out["risk_level"] == "undetermined" and out["facts"][GATED] != rm.YES


def test_a_description_far_from_every_practice_asks_no_judge_question(near):
    ass, gen = near
    gen.enqueue(facts_reply(finalite_definie="oui"), "Résumé.")
    out = ass.assess(PLAIN + ".").to_json()
    assert not [h for h in gen.history if "words" in h]
    assert "judged" not in out["extraction"]
    assert out["risk_level"] == "minimal"


def test_near_keeps_the_judged_practices_at_or_above_the_similarity(monkeypatch):
    monkeypatch.setattr(judge, "JUDGE_NEAR", 0.70)
    practices = {"notation_sociale": (0.70, "a"), "prediction_infraction": (0.69, "b"), "images_intimes": (0.99, "c")}
    assert judge.near(practices, JUDGE_MARGIN) == ["notation_sociale"]  # images_intimes has no judge question


def test_another_model_or_an_english_description_keeps_the_targeted_questions(fake_settings):
    gen = ScriptedGenerator(name="un-autre-modele")
    ass = Assessor(Service(fake_settings, generator=gen).index, lambda: gen, None, None)
    gen.enqueue(facts_reply(finalite_definie="oui"), "Résumé.")
    ass.assess(CUED)
    assert TARGETED + PRACTICE in gen.history[0]["schema"]["properties"]
    assert not [h for h in gen.history if "words" in h]
    gen2 = ScriptedGenerator(name=JUDGE_MODEL)
    ass2 = Assessor(Service(fake_settings, generator=gen2).index, lambda: gen2, None, None)
    english = "A chatbot would push lonely elderly people to buy expensive remote-assistance contracts."
    gen2.enqueue(facts_reply(finalite_definie="oui"), "Summary.")
    ass2.assess(english)
    assert not [h for h in gen2.history if "words" in h]


def test_the_facts_request_and_its_judgements_are_kept_adjacent(fake_settings):
    """No other request's call may slip between the facts request and the questions that reuse its
    cached prefix: the assessor holds the backend across both (llama.cpp: its reentrant lock)."""
    events: list[str] = []

    class Held(ScriptedGenerator):
        def hold(self):
            gen = self

            class _Ctx:
                def __enter__(self):
                    events.append("hold")

                def __exit__(self, *exc):
                    events.append(f"release after {len(gen.history)} calls")

            return _Ctx()

    gen = Held(name=JUDGE_MODEL)
    ass = Assessor(Service(fake_settings, generator=gen).index, lambda: gen, None, None)
    gen.enqueue(facts_reply(finalite_definie="oui"), "Résumé.")
    gen.scores.append(_scores(0.0))
    ass.assess(CUED)
    assert events == ["hold", "release after 2 calls"]  # the facts request and the one judgement


def test_the_llama_backend_lock_is_reentrant_so_hold_does_not_deadlock():
    import threading

    from assistant.backends.llama_cpp import LlamaCppGenerator

    gen = LlamaCppGenerator.__new__(LlamaCppGenerator)
    gen._lock = threading.RLock()
    with gen.hold(), gen.hold():  # a call inside a hold takes the same lock again
        assert gen._lock.acquire(blocking=False)
        gen._lock.release()
