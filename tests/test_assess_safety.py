"""Issue 14: « inconnu » is not « non ». The cues of each prohibited practice (French and English,
inflections and paraphrases), the rule that an open practice blocks « minimal » and « limité », the
targeted yes/no question asked to the model with its supporting passage, the two arguable levels,
and the facts of art. 50 read from what the system does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.assess import riskmap as rm
from assistant.assess.assessor import PASSAGE, TARGETED, merge_facts, parse_targeted, passages
from assistant.assess.fiche import to_html, to_markdown
from assistant.backends.fake import ScriptedGenerator
from assistant.base.errors import ConfigError
from assistant.core.service import Service
from assistant.law import law
from assistant.law.load import FILES, HERE, load
from tests.test_assess import check_contract, facts_reply
from tests.test_law import edit


def keyword_decision(text: str, given: dict | None = None) -> tuple[rm.KeywordFacts, rm.Decision]:
    """The decision from the keyword facts alone (and facts given by the caller), as the service takes it."""
    kw = rm.keyword_facts(text)
    facts, sources, contradictions = merge_facts(kw, None, given)
    return kw, rm.decide(facts, text, contradictions, rm.open_practices(kw, facts, sources))


@pytest.fixture()
def copy(tmp_path: Path) -> Path:
    """A copy of the package's law data, to break one field."""
    for name in FILES:
        shutil.copy(HERE / f"{name}.toml", tmp_path / f"{name}.toml")
    return tmp_path


@pytest.fixture()
def svc(fake_settings):
    gen = ScriptedGenerator()
    return Service(fake_settings, generator=gen), gen


# ---------------------------------------------------------------------------- cue families

# (description, practice fact, prohibited entry): each evokes a practice without stating it, in a use
# that would otherwise be minimal or transparency; French and English, inflections and paraphrases.
CUED = [
    ("Un assistant de réservation afficherait un faux sentiment d'urgence pour que les visiteurs réservent plus vite.",
     "manipulation_subliminale", "art-5-1-a"),
    ("L'outil utiliserait des techniques de persuasion pour orienter les choix des visiteurs vers nos offres.",
     "manipulation_subliminale", "art-5-1-a"),
    ("A booking assistant would show a countdown to push visitors to book pricier packages.",
     "manipulation_subliminale", "art-5-1-a"),
    # the FOMO-style psychological state, evoked but not stated as exploited
    ("L'assistant de réservation relancerait les jeunes adultes angoissés par la peur de manquer une sortie avec "
     "des offres de forfaits plus chers.", "exploitation_vulnerabilites", "art-5-1-b"),
    ("The booking assistant would message lonely users with offers of pricier packages.",
     "exploitation_vulnerabilites", "art-5-1-b"),
    ("Un outil calculerait un indice de bonne conduite des usagers des médiathèques pour fixer la durée de leurs prêts.",
     "notation_sociale", "art-5-1-c"),
    ("Un outil anticiperait la radicalisation des jeunes suivis par la prévention spécialisée pour prioriser les visites.",
     "prediction_infraction", "art-5-1-d"),
    ("Le service communication rassemblerait automatiquement les portraits publiés sur les pages des communes pour "
     "un trombinoscope des élus.", "moissonnage_visages", "art-5-1-e"),
    ("A tool would collect profile pictures from social networks to build a face database.",
     "moissonnage_visages", "art-5-1-e"),
    ("Un logiciel mesurerait le stress des agents de l'accueil à partir de leurs temps de réponse pour adapter les "
     "plannings.", "reconnaissance_emotions", "art-5-1-f"),
    ("Un outil déduirait les convictions religieuses des familles à partir de leurs choix de menus à la cantine.",
     "categorisation_sensible", "art-5-1-g"),
    ("Une application de retouche proposerait de déshabiller les personnes sur les photos envoyées par les usagers.",
     "images_intimes", "art-5-1-ba"),  # 2026/1744, art. 5(1)(ba)
]  # fmt: skip


@pytest.mark.parametrize(("text", "fact", "entry"), CUED)
def test_a_cue_makes_the_practice_open_and_the_level_to_clarify(text, fact, entry):
    kw, d = keyword_decision(text)
    assert fact in kw.cued, kw.cued
    assert d.level == "undetermined", (d.level, [g.entry.id for g in d.grounds])
    assert entry in {g.entry.id for g in d.possible}
    question = rm.BY_ID[entry].questions.get(fact) or rm.FACTS[fact].question
    assert question in d.questions


STATED = [
    # the case: the FOMO of young adults, a psychological vulnerability the assistant targets
    ("Un assistant de réservation en ligne exploiterait la peur de rater une occasion des jeunes adultes, une "
     "vulnérabilité psychologique qu'il cible, pour leur vendre des forfaits plus chers.", "art-5-1-b"),
    ("A booking assistant would exploit young adults' fear of missing out, a psychological vulnerability it "
     "targets, to sell them pricier packages.", "art-5-1-b"),
    ("Un chatbot jouerait sur la solitude des personnes âgées isolées pour leur vendre des abonnements.", "art-5-1-b"),
    ("Un outil repérerait les élèves en difficulté et les manipulerait pour qu'ils achètent des cours de soutien.",
     "art-5-1-b"),
    ("Une banque partenaire abaisserait le plafond de crédit des usagers selon un score d'engagement social calculé "
     "à partir de leur activité sur les réseaux sociaux.", "art-5-1-c"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "entry"), STATED)
def test_a_stated_practice_is_prohibited(text, entry):
    _, d = keyword_decision(text)
    assert d.level == "prohibited" and entry in {g.entry.id for g in d.grounds}


def test_a_negated_cue_does_not_block():
    kw, d = keyword_decision(
        "Un assistant de réservation afficherait les gîtes libres aux visiteurs, sans compte à rebours."
    )
    assert not kw.cued and d.level == "limited"


def test_a_cue_beside_a_high_risk_case_keeps_the_level_and_asks():
    kw, d = keyword_decision(
        "La police municipale voudrait utiliser la reconnaissance faciale sur les caméras du marché."
    )
    assert "temps_reel" in kw.cued and d.level == "high-risk"
    assert "art-5-1-h" in {g.entry.id for g in d.possible}
    assert rm.FACTS["temps_reel"].question in d.questions


# ---------------------------------------------------------------------------- unknown blocks a low level

BOOKING = "Un assistant de réservation afficherait les disponibilités des gîtes aux visiteurs"
BOOKING_CUED = BOOKING + " avec un compte à rebours pour les pousser à réserver."


def test_unknown_blocks_a_low_level_and_only_evidence_unblocks_it():
    assert keyword_decision(BOOKING + ".")[1].level == "limited"  # no cue: transparency
    kw, d = keyword_decision(BOOKING_CUED)
    assert kw.cued == {"manipulation_subliminale": "compte a rebours"}
    assert d.level == "undetermined" and "art-50-1" in {g.entry.id for g in d.extra}  # art. 50 still shown
    assert d.reason == "une pratique interdite ne peut pas être exclue : la description évoque « compte a rebours »"
    # the caller answers the question « non »: the level is given
    assert keyword_decision(BOOKING_CUED, {"manipulation_subliminale": "non"})[1].level == "limited"
    assert keyword_decision(BOOKING_CUED, {"manipulation_subliminale": "oui"})[1].level == "prohibited"


def test_a_minimal_use_with_a_cue_is_not_minimal():
    text = "Un outil classerait les courriers entrants par service et pousserait les agents à acheter des formations."
    assert (
        keyword_decision(text.replace(" et pousserait les agents à acheter des formations", ""))[1].level == "minimal"
    )
    assert keyword_decision(text)[1].level == "undetermined"


def test_the_models_no_is_not_evidence(svc):
    service, gen = svc
    reply = json.loads(facts_reply(finalite_definie="oui", interagit_avec_personnes="oui"))
    reply |= {TARGETED + "manipulation_subliminale": "non", PASSAGE + "manipulation_subliminale": "aucun"}
    gen.enqueue(json.dumps(reply, ensure_ascii=False))
    out = service.assess(BOOKING_CUED).to_json()
    check_contract(service, out)
    assert out["risk_level"] == "undetermined"
    assert "question ciblée" in out["fact_sources"]["manipulation_subliminale"]
    assert rm.FACTS["manipulation_subliminale"].question in out["to_clarify"]


def test_the_model_is_asked_one_targeted_question_with_the_description_quoted(svc):
    service, gen = svc
    span = passages(BOOKING_CUED)[0]  # the clause that holds « compte à rebours »
    assert "compte à rebours" in span
    reply = json.loads(facts_reply(finalite_definie="oui", interagit_avec_personnes="oui"))
    reply |= {TARGETED + "manipulation_subliminale": "oui", PASSAGE + "manipulation_subliminale": span}
    gen.enqueue(json.dumps(reply, ensure_ascii=False))
    out = service.assess(BOOKING_CUED).to_json()
    check_contract(service, out)
    asked = gen.history[0]
    props = asked["schema"]["properties"]
    assert props[TARGETED + "manipulation_subliminale"]["enum"] == ["oui", "non", "inconnu"]
    assert span in props[PASSAGE + "manipulation_subliminale"]["enum"]
    assert all(p in BOOKING_CUED for p in props[PASSAGE + "manipulation_subliminale"]["enum"] if p != "aucun")
    content = asked["messages"][1]["content"]
    assert rm.FACTS["manipulation_subliminale"].question in content and "compte à rebours" in content
    assert not any(k.startswith(TARGETED) and k != TARGETED + "manipulation_subliminale" for k in props)
    assert out["risk_level"] == "prohibited" and span in out["fact_sources"]["manipulation_subliminale"]


def test_a_yes_without_a_passage_of_the_description_stays_unknown():
    targeted = {"manipulation_subliminale": passages(BOOKING_CUED)}
    reply = {TARGETED + "manipulation_subliminale": "oui", PASSAGE + "manipulation_subliminale": "aucun"}
    assert parse_targeted(json.dumps(reply), targeted, BOOKING_CUED) == {"manipulation_subliminale": ("inconnu", "")}
    reply[PASSAGE + "manipulation_subliminale"] = "une phrase inventée par le modèle"
    assert parse_targeted(json.dumps(reply), targeted, BOOKING_CUED) == {"manipulation_subliminale": ("inconnu", "")}
    assert all(p in BOOKING_CUED and '"' not in p for p in targeted["manipulation_subliminale"])


def test_no_cue_no_targeted_question(svc):
    service, gen = svc
    gen.enqueue(facts_reply(finalite_definie="oui", interagit_avec_personnes="oui"))
    out = service.assess(BOOKING + ".").to_json()
    assert out["risk_level"] == "limited"
    assert not any(k.startswith(TARGETED) for k in gen.history[0]["schema"]["properties"])


# ---------------------------------------------------------------------------- two arguable levels

CREDIT = (
    "Une banque partenaire abaisserait le plafond de crédit des usagers selon un score d'engagement social "
    "calculé à partir de leur activité sur les réseaux sociaux."
)


def test_two_arguable_levels_give_the_stricter_both_provisions_and_the_deciding_question(svc):
    service, _ = svc
    service.assessor.use_model = False
    out = service.assess(CREDIT).to_json()
    check_contract(service, out)
    assert out["risk_level"] == "prohibited"
    arguable = out["arguable"]
    assert arguable["levels"] == ["prohibited", "high-risk"] and arguable["entries"] == ["art-5-1-c", "annex-iii-5-b"]
    assert out["to_clarify"][0] == arguable["question"] == rm.BY_ID["art-5-1-c"].arguable_question
    refs = {c["ref"] for c in out["citations"]}
    assert {"art-5-1-c", "annex-iii-5-b"} <= refs
    assert "Niveau discutable (" in out["answer"] and "Question qui les départage" in out["answer"]
    assert any(g["id"] == "annex-iii-5-b" and g["kind"] == rm.ARGUABLE for g in out["grounds"])
    for page in (to_markdown(out), to_html(out)):
        assert "Niveau discutable" in page and "solvabilité" in page


def test_a_plain_prohibition_is_not_arguable(svc):
    service, _ = svc
    service.assessor.use_model = False
    out = service.assess(
        "Une caméra analyserait les expressions du visage des agents d'accueil pour détecter leur stress."
    )
    assert out.risk_level == "prohibited" and out.arguable is None and out.to_json()["arguable"] is None


# ---------------------------------------------------------------------------- art. 50 from what the system does


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("Un assistant de réservation pour les gîtes départementaux.", "interagit_avec_personnes"),
        ("Un agent conversationnel renseignerait les familles sur les crèches.", "interagit_avec_personnes"),
        ("L'outil échangerait avec les usagers pour prendre leurs rendez-vous.", "interagit_avec_personnes"),
        ("A booking assistant for the county's holiday cottages.", "interagit_avec_personnes"),
        ("Un outil génère des textes de présentation des offres d'emploi.", "genere_contenu"),
        ("L'outil produirait des visuels pour les affiches des collèges.", "genere_contenu"),
    ],
)
def test_art_50_facts_are_read_from_what_the_system_does(text, fact):
    assert rm.keyword_facts(text).values[fact].value == "oui"


# ---------------------------------------------------------------------------- law data checks


def test_a_cue_naming_an_unknown_rule_is_refused(copy):
    edit(copy, "cues-fr", 'rule = "notation-sociale-fr"\n', 'rule = "notation-sociale"\n')
    with pytest.raises(ConfigError) as err:
        load(copy)
    assert "cues-fr.toml" in str(err.value) and "champ « rule »" in str(err.value)


def test_an_arguable_rival_missing_from_the_map_is_refused(copy: Path):
    edit(copy, "riskmap", 'arguable_with = ["annex-iii-5-b",', 'arguable_with = ["annex-iii-5-z",')
    with pytest.raises(ConfigError) as err:
        load(copy)
    assert "entrée « art-5-1-c », champ « arguable_with »" in str(err.value)


def test_every_practice_cue_names_a_practice_of_article_5():
    for cues in (law().cues_fr, law().cues_en):
        for cue in cues.practice_cues:
            assert cue.fact in rm.PRACTICE_FACTS and cue.source is not None
            assert cue.source.ref.startswith("art-5-1") or cue.source.doc_id == "ai-act-2026-1744"


def test_a_yes_whose_passage_misses_the_cue_stays_unknown():
    text = "Un assistant de réservation afficherait les gîtes libres. Il ajouterait un compte à rebours."
    targeted = {"manipulation_subliminale": passages(text)}
    cued = rm.keyword_facts(text).cued
    reply = {TARGETED + "manipulation_subliminale": "oui", PASSAGE + "manipulation_subliminale": passages(text)[0]}
    assert parse_targeted(json.dumps(reply), targeted, text, cued)["manipulation_subliminale"][0] == "inconnu"
    reply[PASSAGE + "manipulation_subliminale"] = passages(text)[1]  # « Il ajouterait un compte à rebours »
    assert parse_targeted(json.dumps(reply), targeted, text, cued)["manipulation_subliminale"][0] == "oui"


# ---------------------------------------------------------------------------- paraphrases that state a practice


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        (
            "Un robot conversationnel inciterait les personnes âgées isolées à souscrire des contrats de téléassistance "
            "coûteux en entretenant leur peur des cambriolages.",
            "art-5-1-b",
        ),
        (
            "Le Département noterait les familles d'accueil selon leurs publications sur les réseaux sociaux ; les moins "
            "bien notées ne recevraient plus d'enfants.",
            "art-5-1-c",
        ),
        (
            "Un logiciel estimerait, à partir de l'âge, du quartier et des antécédents familiaux, la probabilité qu'un "
            "jeune suivi par l'ASE commette un délit.",
            "art-5-1-d",
        ),
        (
            "Les caméras des collèges analyseraient le visage des élèves pendant les cours pour mesurer leur attention.",
            "art-5-1-f",
        ),
    ],
)
def test_paraphrases_of_a_practice_are_prohibited(text, entry):
    _, d = keyword_decision(text)
    assert d.level == "prohibited" and entry in {g.entry.id for g in d.grounds}, (d.level, d.grounds)


@pytest.mark.parametrize(
    "text",
    [
        # art. 6(3)(a): a narrow procedural task
        "Un outil trierait les demandes de RSA par ordre d'arrivée et vérifierait que toutes les pièces sont jointes, "
        "l'instructeur décidant seul.",
        # art. 6(3)(c): deviations from decisions already taken, without replacing the human assessment
        "Un outil relirait les décisions d'attribution de la PCH déjà prises par la commission pour repérer des écarts "
        "de pratique entre territoires.",
    ],
)
def test_art_6_3_derogations_are_read(text):
    _, d = keyword_decision(text)
    assert d.level == "minimal" and "art-6-3" in {g.entry.id for g in d.grounds}


def test_fraud_detection_on_benefits_is_a_decision_on_persons():
    _, d = keyword_decision("Un logiciel détecterait les fraudes aux prestations en croisant les fichiers.")
    assert d.level == "high-risk" and "annex-iii-5-a" in {g.entry.id for g in d.grounds}
