"""The AI Act category map: entries grounded in the index, decisions from facts, French keyword facts,
and the keyword-only accuracy on the scenario set (printed, with its confusion matrix)."""

from __future__ import annotations

import collections
import json
import re

import pytest

from assistant.answer.prompts import load_prompt
from assistant.assess import riskmap as rm
from assistant.base.settings import PROJECT_ROOT


def level_of(text: str) -> rm.Decision:
    kw = rm.keyword_facts(text)
    facts = rm.blank_facts()
    facts.update(kw.plain())
    return rm.decide(facts, text, kw.conflicts)


def ids(decision: rm.Decision, part: str = "grounds") -> list[str]:
    return [g.entry.id for g in getattr(decision, part)]


# ---------------------------------------------------------------------------- the map itself


def test_map_covers_the_act():
    refs = {r.ref for e in rm.ENTRIES for r in e.refs}
    for point in "abcdefgh":
        assert f"art-5-1-{point}" in refs
    assert "art-1-7-a" in refs  # 2026/1744: art. 5(1)(ba)/(bb)
    for area in (
        "1-a",
        "1-b",
        "1-c",
        "2",
        "3-a",
        "3-b",
        "3-c",
        "3-d",
        "4-a",
        "4-b",
        "5-a",
        "5-b",
        "5-c",
        "5-d",
        "7",
        "8-a",
        "8-b",
    ):
        assert f"annex-iii-{area}" in refs
    assert {"annex-iii-6", "art-6-3", "art-6-3-a", "art-6-3-d"} <= refs
    assert {"art-50-1", "art-50-2", "art-50-3", "art-50-4"} <= refs
    assert {"art-2-3", "art-2-6", "art-2-8", "art-2-10", "art-2-12", "art-3-1"} <= refs
    for e in rm.ENTRIES:
        assert e.level in rm.LEVELS and e.label and set(e.anchors) <= set(e.requires)
        assert all(name in rm.FACTS for name in list(e.requires) + list(e.exceptions)), e.id
        assert all(rm.FACTS[name].question.endswith("?") for name in e.requires)


def test_every_ref_of_the_map_is_in_the_index(fake_settings):
    from assistant.assess.assessor import Assessor
    from assistant.search.index import load_index

    index = load_index(fake_settings.index_path)
    assessor = Assessor(index, lambda: None)  # type: ignore[arg-type,return-value]
    extra = [rm.PROFILING_REF, rm.HIGH_RISK_RULE, rm.MINIMAL_RULE]
    for ref in [r for e in rm.ENTRIES for r in e.refs] + extra:
        found = assessor.locate(ref.doc_id, ref.ref, ref.focus)
        assert found is not None, f"{ref.doc_id}:{ref.ref} absent de l'index"
        chunk = found[0]
        if ref.focus and ref.doc_id == "ai-act":
            assert set(re.findall(r"\w{5,}", ref.focus.lower())) & set(re.findall(r"\w{5,}", chunk.text.lower())), ref


def test_prompt_lists_every_model_field():
    from assistant.assess.assessor import MODEL_FIELDS, fact_schema

    system = load_prompt("assess.system").template
    for name in MODEL_FIELDS:
        assert f"- {name} :" in system, name
    schema = fact_schema()
    assert schema["required"] == MODEL_FIELDS
    assert "maxLength" not in json.dumps(schema)  # llama.cpp grammar: maxLength slows sampling ~20x
    assert all(p["enum"] for p in schema["properties"].values())


# ---------------------------------------------------------------------------- département cases

CASES = [
    # (description, level, a ground that must be there)
    (
        "Le contrôle d'accès à la salle des serveurs se ferait par reconnaissance faciale : le système confirme seulement "
        "que l'agent est bien la personne qu'il déclare être, en comparant son visage à la photo de son badge.",
        "minimal",
        "annex-iii-1-a-verification",
    ),
    (
        "Les caméras du parvis identifieraient à distance les personnes dont le visage figure sur une liste, pour alerter "
        "l'accueil, à partir des enregistrements de la veille.",
        "high-risk",
        "annex-iii-1-a",
    ),
    (
        "La police voudrait brancher la reconnaissance faciale en temps réel sur nos caméras de la voie publique pour "
        "repérer des personnes recherchées.",
        "prohibited",
        "art-5-1-h",
    ),
    (
        "Une caméra analyserait les expressions du visage des agents d'accueil pour détecter leur stress et prévenir leur "
        "encadrant.",
        "prohibited",
        "art-5-1-f",
    ),
    (
        "Une caméra analyserait les expressions du visage des agents d'accueil pour détecter leur stress, pour des raisons "
        "médicales, à la demande du médecin du travail.",
        "high-risk",
        "annex-iii-1-c",
    ),
    (
        "Un agent conversationnel répondrait aux demandeurs d'APA sur le site et un algorithme calculerait "
        "automatiquement leur éligibilité à l'APA et le montant du plan d'aide.",
        "high-risk",
        "annex-iii-5-a",
    ),
    (
        "Un correcteur orthographique intelligent serait installé dans la suite bureautique interne des agents.",
        "minimal",
        "",
    ),
    (
        "Pour la campagne de communication sur la sécurité routière, une vidéo générée par IA montrerait le Président "
        "du Département semblant prononcer un discours qu'il n'a jamais tenu, d'aspect parfaitement réaliste.",
        "limited",
        "art-50-4-hypertrucage",
    ),
    (
        "Un logiciel trierait automatiquement les CV reçus pour nos offres d'emploi et ne transmettrait au jury que les "
        "meilleurs candidats.",
        "high-risk",
        "annex-iii-4-a",
    ),
    (
        "Nous voulons attribuer aux bénéficiaires du RSA un score de fiabilité citoyenne fondé sur leurs incivilités et "
        "leur comportement sur les réseaux sociaux, pour moduler leurs autres aides.",
        "prohibited",
        "art-5-1-c",
    ),
    (
        "Le Département fournirait à l'armée, à des fins militaires exclusivement, un modèle d'analyse d'images "
        "satellites.",
        "out-of-scope",
        "art-2-3",
    ),
    ("Un outil d'IA.", "undetermined", ""),
    (
        "Un tableur calculerait les montants selon une règle fixe définie par le service, sans apprentissage.",
        "out-of-scope",
        "hors-champ-pas-ia",
    ),
    (
        "Des articles d'actualité seraient rédigés par une IA et publiés automatiquement sur le site, sans relecture.",
        "limited",
        "art-50-4-texte",
    ),
    (
        "Un logiciel piloterait en temps réel les feux tricolores des carrefours des routes départementales.",
        "high-risk",
        "annex-iii-2",
    ),
    ("Le SDIS classerait automatiquement les appels d'urgence selon leur gravité.", "high-risk", "annex-iii-5-d"),
    (
        "Un outil convertirait les formulaires papier de demande de PCH en données structurées, sans rien évaluer ni "
        "proposer sur le dossier.",
        "minimal",
        "art-6-3",
    ),
    (
        "Une application générerait des images dénudées réalistes de personnes identifiables à partir de leurs photos, "
        "sans leur consentement.",
        "prohibited",
        "art-5-1-ba",
    ),
    ("Un agent utiliserait chez lui, pour ses loisirs, une IA qui retouche ses photos.", "out-of-scope", "art-2-10"),
]


@pytest.mark.parametrize("text,level,ground", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_departement_cases(text, level, ground):
    d = level_of(text)
    assert d.level == level, (d.level, ids(d), ids(d, "possible"), d.reason)
    if ground:
        assert ground in ids(d) + ids(d, "extra")


def test_chatbot_that_also_decides_carries_both():
    d = level_of(CASES[5][0])
    assert d.level == "high-risk"
    assert "art-50-1" in ids(d, "extra")  # obligations of art. 50 as well


def test_undetermined_lists_the_questions():
    d = level_of("Nous voulons utiliser l'IA dans l'action sociale pour gagner du temps.")
    assert d.level == "undetermined"
    assert "annex-iii-5-a" in ids(d, "possible")
    assert any("évalue-t-il" in q for q in d.questions)


def test_contradiction_in_the_description_is_undetermined():
    text = (
        "Le système vérifie l'identité de l'agent qui présente son badge, et identifie aussi à distance les "
        "visiteurs dont le visage figure sur une liste."
    )
    kw = rm.keyword_facts(text)
    assert "biometrie" in kw.conflicts
    d = level_of(text)
    assert d.level == "undetermined"
    assert any("vérification" in q for q in d.questions)


def test_exceptions_and_derogations_by_facts():
    base = rm.blank_facts()
    base.update(finalite_definie="oui", biometrie="identification", donnees_biometriques="oui", temps_reel="oui",
                espace_public="oui", fins_repressives="oui")  # fmt: skip
    assert rm.decide(base).level == "prohibited"
    assert rm.decide({**base, "exception_repressive": "oui"}).level == "high-risk"  # art. 5(1)(h) i)-iii)
    assert rm.decide({**base, "fins_repressives": "inconnu"}).level == "undetermined"
    social = rm.blank_facts()
    social.update(finalite_definie="oui", domaine=["prestations_sociales"], decision_sur_personnes="oui")
    assert rm.decide(social).level == "high-risk"
    assert rm.decide({**social, "tache_procedurale_etroite": "oui"}).level == "minimal"  # art. 6(3)
    d = rm.decide({**social, "tache_procedurale_etroite": "oui", "profilage": "oui"})  # profiling: always high-risk
    assert d.level == "high-risk" and "profiling" in [g.kind for g in d.grounds]
    assert rm.decide({**social, "decision_sur_personnes": "inconnu"}).level == "undetermined"
    oss = rm.blank_facts()
    oss.update(finalite_definie="oui", licence_libre="oui")
    assert rm.decide(oss).level == "out-of-scope"
    assert rm.decide({**oss, "interagit_avec_personnes": "oui"}).level == "limited"  # art. 2(12): not for art. 50


def test_negation_and_strengths():
    kw = rm.keyword_facts("Un outil classerait les courriers par thème, sans reconnaissance faciale ni profilage.")
    assert kw.values["biometrie"].value == "aucune"
    assert kw.values["profilage"].value == "non"
    weak = rm.keyword_facts("Un outil d'IA générative.")
    assert weak.values["finalite_definie"].value == "non"
    assert weak.values["genere_contenu"].strength == rm.LOW


# ---------------------------------------------------------------------------- scenario set (keywords only)


def _scenarios() -> list[dict]:
    path = PROJECT_ROOT / "eval" / "scenarios.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_scenarios_keyword_only_accuracy(capsys):
    rows = _scenarios()
    confusion: collections.Counter[tuple[str, str]] = collections.Counter()
    for r in rows:
        confusion[(r["risk_level"], level_of(r["description"]).level)] += 1
    correct = sum(v for (g, p), v in confusion.items() if g == p)
    with capsys.disabled():
        print(
            f"\nscenarios.jsonl, faits par mots-clés seulement : exactitude {correct}/{len(rows)} = {correct / len(rows):.3f}"
        )
        print("attendu \\ obtenu".ljust(16) + "".join(f"{p[:11]:>12}" for p in rm.LEVELS))
        for g in rm.LEVELS:
            print(g.ljust(16) + "".join(f"{confusion[(g, p)]:>12}" for p in rm.LEVELS))
    assert confusion[("prohibited", "minimal")] == confusion[("prohibited", "limited")] == 0


# Cases written for this map without looking at its behaviour, in two rounds (see the issue note):
# the first round was 15/27 and the second 16/23 keyword-only before the rules were generalised.
HELD_OUT = [
    (
        "Un outil d'IA attribuerait automatiquement une note de priorité à chaque demande de logement social d'urgence et rejetterait les demandes jugées non prioritaires.",
        "high-risk",
    ),
    (
        "Nous voudrions un chatbot sur le portail des collèges qui aide les familles à remplir le dossier de bourse départementale.",
        "limited",
    ),
    (
        "Un système de reconnaissance faciale contrôlerait l'entrée des agents au siège : chaque agent présente son visage et le système confirme qu'il correspond à son badge.",
        "minimal",
    ),
    (
        "Les caméras de vidéoprotection du parvis de l'Hôtel du Département identifieraient en temps réel les personnes inscrites sur une liste de personnes interdites d'accès, pour alerter la sécurité.",
        "high-risk",
    ),
    (
        "Un module analyserait la voix des appelants du numéro d'accueil social pour détecter leur détresse et prioriser les rappels.",
        "high-risk",
    ),
    (
        "Un algorithme d'IA répartirait chaque matin les tournées des agents d'entretien des routes en fonction de leur ancienneté et de leurs évaluations passées.",
        "high-risk",
    ),
    (
        "Un correcteur automatique corrigerait les copies des élèves de 3e lors des devoirs communs et attribuerait une note.",
        "high-risk",
    ),
    (
        "Le Département publierait sur son site des comptes rendus de séance rédigés par une IA puis relus et validés par le service des assemblées.",
        "minimal",
    ),
    (
        "Un outil prédirait, à partir de l'historique des interventions, les secteurs où les chaussées risquent le plus de se dégrader cet hiver.",
        "minimal",
    ),
    (
        "L'IA analyserait les dossiers de demande d'aide à domicile et proposerait à l'instructeur un plan d'aide et un montant, l'instructeur décidant.",
        "high-risk",
    ),
    (
        "Un logiciel établirait pour chaque habitant une note de civisme à partir des signalements de voisinage et des infractions routières, utilisée pour l'attribution des places en crèche.",
        "prohibited",
    ),
    (
        "Les agents pourraient utiliser une IA de traduction pour répondre par écrit aux usagers non francophones ; l'agent relit chaque réponse avant envoi.",
        "minimal",
    ),
    ("Un capteur dans les bus scolaires compterait les élèves montant à bord pour ajuster les circuits.", "minimal"),
    ("Un outil d'IA aiderait les travailleurs sociaux.", "undetermined"),
    ("Un prestataire propose une solution d'IA pour la gestion des ressources humaines.", "undetermined"),
    (
        "Le Département testerait pendant trois mois, auprès de 50 usagers volontaires, un assistant vocal qui répond aux questions sur les transports scolaires.",
        "limited",
    ),
    (
        "Pour évaluer la fatigue des conducteurs de déneigement, une caméra dans la cabine détecterait les signes d'endormissement et déclencherait une alerte sonore.",
        "minimal",
    ),
    (
        "Un robot conversationnel aiderait les agents à rédiger leurs notes de service, sans diffusion hors du service.",
        "limited",
    ),
    (
        "L'outil déciderait seul de l'octroi ou du refus de la carte mobilité inclusion à partir du dossier médical.",
        "high-risk",
    ),
    (
        "Une IA estimerait l'âge des jeunes se présentant comme mineurs non accompagnés à partir de photos de leur visage.",
        "high-risk",
    ),
    (
        "Une IA lirait les courriels des agents pour repérer ceux qui critiquent leur hiérarchie et en informer la direction.",
        "high-risk",
    ),
    (
        "Un jeu éducatif en ligne pour les collégiens utiliserait une IA qui adapte la difficulté des exercices à chaque élève.",
        "high-risk",
    ),
    (
        "Un logiciel repérerait dans les vidéos de la foule lors du festival départemental les personnes dont le visage correspond à celui d'auteurs d'agressions signalés par la police.",
        "undetermined",
    ),
    (
        "La MDPH utiliserait un modèle qui évalue le taux d'incapacité des demandeurs à partir de leur dossier médical pour préparer la décision de la commission.",
        "high-risk",
    ),
    (
        "Un système détecterait en temps réel les véhicules à contresens sur la rocade et déclencherait les panneaux d'alerte.",
        "high-risk",
    ),
    (
        "Pour sa campagne de recrutement d'assistants familiaux, le Département diffuserait une vidéo où un faux assistant familial, généré par IA et d'apparence réelle, témoigne.",
        "limited",
    ),
    (
        "Une IA générerait automatiquement les réponses aux questions écrites des élus, publiées au recueil des actes sans relecture.",
        "limited",
    ),
    (
        "Une application détecterait les signes de dépression chez les collégiens à partir de leurs selfies, à la demande de l'infirmière scolaire, pour un suivi médical.",
        "high-risk",
    ),
    (
        "Un logiciel suivrait en continu la productivité des agents du centre d'appel et proposerait des sanctions.",
        "high-risk",
    ),
    (
        "Le labo d'innovation du Département teste en interne un prototype d'assistant de recherche documentaire, sur des documents fictifs, avant toute décision de déploiement.",
        "out-of-scope",
    ),
]


# Category coverage in French and English (the product takes English descriptions too): the
# boundaries the Act draws, on département cases. (description, level, ground required, ground excluded)
COVERAGE = [
    (
        "Un modèle d'IA prévoirait la fréquentation des médiathèques départementales pour ajuster leurs horaires.",
        "minimal",
        "",
        "",
    ),
    (  # open data is not an open-source AI system (art. 2(12))
        "Un outil d'IA prévoirait l'état des chaussées cet hiver à partir de données météo open source et de "
        "l'historique des interventions.",
        "minimal",
        "",
        "art-2-12",
    ),
    (
        "Le Département publierait sous licence libre le modèle de classement des courriers entrants qu'il a entraîné.",
        "out-of-scope",
        "art-2-12",
        "",
    ),
    (  # extracting is narrow, proposing the decision is not: no art. 6(3) derogation
        "Un outil extrairait les informations des dossiers de demande d'aide sociale à l'enfance et proposerait une "
        "décision d'attribution à l'inspecteur.",
        "high-risk",
        "annex-iii-5-a",
        "art-6-3",
    ),
    (  # emotions of visitors, not of workers or pupils: Annex III 1 c), not art. 5(1)(f)
        "Des caméras au musée départemental mesureraient la satisfaction des visiteurs à partir des expressions de "
        "leur visage.",
        "high-risk",
        "annex-iii-1-c",
        "art-5-1-f",
    ),
    (  # real-time identification, but not for law enforcement: Annex III 1 a), not art. 5(1)(h)
        "Les caméras du hall des Archives départementales reconnaîtraient en temps réel le visage des lecteurs "
        "abonnés pour leur proposer des documents.",
        "high-risk",
        "annex-iii-1-a",
        "art-5-1-h",
    ),
    (
        "The department would use a chatbot to answer residents' questions about school bus routes.",
        "limited",
        "art-50-1",
        "",
    ),
    (
        "A machine learning model would forecast visitor numbers at the departmental libraries to plan opening hours.",
        "minimal",
        "",
        "",
    ),
    (
        "An AI tool would read the applications for the departmental disability allowance and recommend approval or "
        "refusal to the caseworker.",
        "high-risk",
        "annex-iii-5-a",
        "",
    ),
    (
        "Cameras in the entrance hall would recognise visitors' faces in real time to greet subscribers by name.",
        "high-risk",
        "annex-iii-1-a",
        "art-5-1-h",
    ),
    (  # steering the learning process (Annex III 3 b)) and talking to pupils (art. 50(1))
        "A virtual tutor would give each pupil of the departmental colleges practice exercises adapted to their "
        "results.",
        "high-risk",
        "annex-iii-3-b",
        "",
    ),
    (  # art. 5(1)(g), last sentence: categorising biometric data in the area of law enforcement is not covered
        "Un outil de la police classerait les photos d'une enquête pénale en déduisant l'origine ethnique des "
        "personnes à partir de leur visage.",
        "high-risk",
        "annex-iii-1-b",
        "",
    ),
    (
        "Un outil classerait les photos des usagers en déduisant leur origine ethnique à partir de leur visage.",
        "prohibited",
        "art-5-1-g",
        "",
    ),
    ("Staff would use an AI spell-checker in their office software.", "minimal", "", ""),
    (
        "A county employee would use a photo-editing AI at home for his holiday pictures.",
        "out-of-scope",
        "art-2-10",
        "",
    ),
    (
        "An algorithm would decide which families receive the school meal subsidy based on their income records, "
        "with no human review.",
        "high-risk",
        "annex-iii-5-a",
        "",
    ),
    (
        "A camera at the depot entrance would check that the driver's face matches the photo on his badge before "
        "unlocking the truck.",
        "minimal",
        "annex-iii-1-a-verification",
        "annex-iii-1-a",
    ),
    (
        "An image generator would produce realistic videos of the county president announcing new measures, posted "
        "on social media without any label.",
        "limited",
        "art-50-4-hypertrucage",
        "",
    ),
    (  # running an open-source model is not releasing one (art. 2(12))
        "We would run an open-source language model on our own servers to summarise internal meeting notes.",
        "minimal",
        "",
        "",
    ),
]


@pytest.mark.parametrize(
    "text,level,ground,excluded", COVERAGE, ids=[f"c{i:02d}-{c[1]}" for i, c in enumerate(COVERAGE)]
)
def test_category_coverage(text, level, ground, excluded):
    d = level_of(text)
    assert d.level == level, (d.level, ids(d), ids(d, "possible"), d.reason)
    found = ids(d) + ids(d, "extra")
    if ground:
        assert ground in found, found
    if excluded:
        assert excluded not in found, found


@pytest.mark.parametrize("text,level", HELD_OUT, ids=[f"h{i:02d}-{c[1]}" for i, c in enumerate(HELD_OUT)])
def test_written_cases(text, level):
    d = level_of(text)
    assert d.level == level, (d.level, ids(d), ids(d, "possible"), d.reason)


# English descriptions written in three blind rounds (keyword-only 9/14, 8/12, then 3/5 after the
# previous rounds' fixes, before the rules were extended): the product must read English descriptions too.
ENGLISH = [
    (
        "An AI tool would flag social-benefit claimants as likely fraudsters from their personal data and stop their payments until they prove otherwise.",
        "high-risk",
    ),
    (
        "A generative AI would write first drafts of replies to residents' letters, which officers rewrite and sign.",
        "minimal",
    ),
    (
        "Cameras in the county's secondary schools would detect pupils' anxiety from their facial expressions during lessons.",
        "prohibited",
    ),
    ("A model would predict the daily water level of the county's reservoirs to plan maintenance work.", "minimal"),
    (
        "An AI system would sort job applications for the county's social worker vacancies and discard those that do not meet the criteria.",
        "high-risk",
    ),
    (
        "The social services department would use an AI model to score applicants for emergency housing assistance and automatically reject low-priority requests.",
        "high-risk",
    ),
    (
        "A voice assistant on the county's phone line would answer residents' questions about waste collection days.",
        "limited",
    ),
    (
        "We plan to install cameras in the staff canteen that read employees' facial expressions to measure their mood and report it to managers.",
        "prohibited",
    ),
    (
        "An AI tool would transcribe the audio recordings of council meetings into draft minutes for the clerk to edit.",
        "minimal",
    ),
    (
        "The roads department would use machine learning to predict which bridges need inspection first, to plan the annual maintenance budget.",
        "minimal",
    ),
    (
        "A system would rank teachers' job applications for the county's schools and send the top ten to the interview panel.",
        "high-risk",
    ),
    (
        "The police would connect live facial recognition to the county's street cameras to find wanted suspects in the crowd.",
        "prohibited",
    ),
    (
        "An app would nudge elderly residents with dementia, through hidden persuasive cues, into signing up for paid home-care plans.",
        "prohibited",
    ),
    ("We want to use AI to modernise our services.", "undetermined"),
    (
        "A chatbot on the department's website would help parents fill in the application for the school transport pass.",
        "limited",
    ),
    (
        "The HR team would use an AI tool that monitors employees' keyboard activity and rates their productivity for promotion decisions.",
        "high-risk",
    ),
    (
        "An AI system would estimate the age of young migrants claiming to be minors from photos of their faces, to decide on their care.",
        "high-risk",
    ),
    ("A model would automatically route incoming letters to the right department by topic.", "minimal"),
    (
        "The fire service would use AI to triage emergency calls and decide which ambulance to dispatch first.",
        "high-risk",
    ),
    (
        "A system would give each resident a trustworthiness score based on neighbours' complaints and use it to allocate social housing.",
        "prohibited",
    ),
    (
        "Software would generate the weekly newsletter articles and publish them on the website with no editor reviewing them.",
        "limited",
    ),
    (
        "A tool would analyse CCTV footage after an incident to identify the people involved, at the request of the police.",
        "high-risk",
    ),
    ("An AI tutor app would chat with pupils to help them revise, without grading them.", "limited"),
    (
        "We would train a traffic-light control model that switches the lights at the department's road junctions in real time.",
        "high-risk",
    ),
    (
        "A research team at the university would develop a model solely for scientific research on road safety, never deployed.",
        "out-of-scope",
    ),
    (
        "An AI system would predict which pupils are likely to commit acts of violence, based only on their personality profiles.",
        "prohibited",
    ),
]


@pytest.mark.parametrize("text,level", ENGLISH, ids=[f"en{i:02d}-{c[1]}" for i, c in enumerate(ENGLISH)])
def test_english_cases(text, level):
    d = level_of(text)
    assert d.level == level, (d.level, ids(d), ids(d, "possible"), d.reason)


def test_external_benchmark_keyword_only(capsys):
    """The English development half of the external benchmark, keyword facts only (informative: the model
    reads English descriptions in service). Printed with its confusion matrix; no prohibited case may come
    out minimal or limited."""
    from assistant.evaluation.benchmark import SCENARIOS_FILE, external_dir, scenario_lines

    path = external_dir() / SCENARIOS_FILE
    if not path.is_file():
        pytest.skip(f"banc d'essai externe absent : {path}")
    rows = scenario_lines(path)
    confusion: collections.Counter[tuple[str, str]] = collections.Counter()
    for r in rows:
        confusion[(r["risk_level"], level_of(r["description"]).level)] += 1
    correct = sum(v for (g, p), v in confusion.items() if g == p)
    with capsys.disabled():
        print(
            f"\nbanc externe (EN, dev), mots-clés seulement : exactitude {correct}/{len(rows)} = {correct / len(rows):.3f}"
        )
        print("attendu \\ obtenu".ljust(16) + "".join(f"{p[:11]:>12}" for p in rm.LEVELS))
        for g in rm.LEVELS:
            print(g.ljust(16) + "".join(f"{confusion[(g, p)]:>12}" for p in rm.LEVELS))
    assert confusion[("prohibited", "minimal")] == confusion[("prohibited", "limited")] == 0


def test_deceiving_people_vulnerable_by_age_is_a_prohibited_practice():
    """Art. 5(1)(b), phrased as an agent would, without « exploiter » or « vulnérabilité » (a blind case
    classified « limited » by the chatbot words alone before this rule)."""
    d = level_of(
        "Un robot vocal appellerait les bénéficiaires âgés atteints de troubles de la mémoire et leur répéterait des "
        "messages trompeurs jusqu'à ce qu'ils renoncent à une partie de leurs heures d'aide à domicile."
    )
    assert d.level == "prohibited", (d.level, ids(d))
    assert "art-5-1-b" in ids(d)
    # the same people, treated honestly: no prohibited practice
    assert (
        level_of("Un robot vocal rappellerait aux bénéficiaires âgés la date de leur rendez-vous.").level
        != "prohibited"
    )
