"""Out-of-scope questions recognised from the question and the evidence (assistant/scope.py)."""

from __future__ import annotations

import pytest

from assistant.answer.scope import external_text, missing_value, unanswerable, unknown_term
from assistant.search.lexical import tokenize

FINES = "Le non-respect de l'interdiction des pratiques visées à l'article 5 fait l'objet d'amendes pouvant aller jusqu'à 35 000 000 EUR ou 7 % du chiffre d'affaires."
# The corpus vocabulary, as the BM25 index holds it (stemmed, folded).
VOCAB = frozenset(
    tokenize(
        "montant amende prévue département agent formation budget consacré personne seule vérifier jours "
        "outil aide attribuer haut risque"
    )
)


@pytest.mark.parametrize(
    "question, name",
    [
        ("Quelle est l'amende prévue par le RGPD pour une violation de données ?", "le RGPD"),
        ("Quelle peine le Code pénal prévoit-il pour un hypertrucage diffamatoire ?", "le Code pénal"),
        ("Quel délai le Data Act fixe-t-il pour répondre à une demande ?", "Data Act"),
        ("Selon le Code du travail, l'employeur doit-il consulter le CSE ?", "le Code du travail"),
        ("Quelle loi française désigne l'autorité de surveillance du marché ?", "droit national"),
    ],
)
def test_questions_about_other_texts_are_recognised(question, name):
    assert name in external_text(question)


@pytest.mark.parametrize(
    "question",
    [
        "L'AI Act remplace-t-il le RGPD pour les données personnelles ?",  # about the AI Act's own rule
        "Quels textes juridiques la charte cite-t-elle pour la protection des données ?",
        "Quelle amende prévoit le règlement sur l'IA pour les pratiques interdites ?",
    ],
)
def test_questions_about_the_corpus_mentioning_other_texts_are_not(question):
    assert external_text(question) is None


def test_a_text_declared_in_the_manifest_is_no_longer_external():
    q = "Quelle est l'amende prévue par le RGPD ?"
    assert external_text(q, known=["RGPD"]) is None


def test_value_questions_need_a_value_of_that_type_about_the_subject():
    assert missing_value("Quel est le montant maximal des amendes pour les pratiques interdites ?", [FINES]) is None
    assert missing_value("Quel est le budget consacré par le Département à l'IA ?", [FINES]) == "aucun montant"
    assert missing_value("Quel est le taux de participation du bénéficiaire ?", ["Aucune donnée chiffrée."])
    assert missing_value("Combien d'agents ont suivi une formation ?", ["Les agents suivent une formation."])
    assert missing_value("Combien de personnes vérifient ?", ["vérifiée par au moins deux personnes physiques"]) is None
    assert missing_value("Combien d'électricité consomme une requête ?", ["10 fois plus d'électricité"]) is None
    assert missing_value("Qui est le référent IA du Département ?", ["Le référent IA est désigné."])


def test_value_question_about_a_term_the_corpus_never_uses():
    assert unknown_term("Quel est le montant du RSA pour une personne seule ?", VOCAB) == "RSA"
    assert unknown_term("Combien de jours de télétravail pour un agent ?", VOCAB) == "télétravail"
    # not a value question: an unknown word is no reason to abstain (classification by concept)
    assert unknown_term("Un outil qui aide à attribuer le RSA est-il à haut risque ?", VOCAB) is None


def test_unanswerable_gives_a_french_reason():
    reason = unanswerable("Quelle est l'amende prévue par le RGPD ?", [FINES], VOCAB)
    assert reason and "RGPD" in reason and "textes de référence" in reason
    assert unanswerable("Quelle amende pour les pratiques interdites de l'article 5 ?", [FINES], VOCAB) is None


def test_service_abstains_with_the_reason_before_calling_the_model(fake_settings):
    from assistant.backends.fake import ScriptedGenerator
    from assistant.core.service import Service

    gen = ScriptedGenerator()
    service = Service(fake_settings, generator=gen)
    service.answerer.floor, service.answerer.strong = 0.0, 2.0
    out = service.ask("Quelle est l'amende prévue par le RGPD pour une violation de données personnelles ?").to_json()
    assert out["abstained"] is True and "RGPD" in out["abstention_reason"]
    assert "Motif" in out["answer"] and out["closest"]
    assert gen.history == []
