"""A small topical index of the reference texts, as a lawyer's index at the back of a code.

Two kinds of entries help retrieval where words alone fail:
- `EXPANSIONS`: everyday words an agent uses, mapped to the words the texts use
  ("chatbot" → "interagir directement avec des personnes physiques"); added to the
  lexical query only.
- `TOPICS`: questions of a recognisable kind (a date of application, a fine, a
  definition, the 2026 amendment) and the provisions that settle that kind of question
  in general (article 113 for dates, article 99 for fines…). Their best passages get
  a bounded boost; they never replace what the search found.

Entries are about the texts, not about any question set; keep them general.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.norm import fold


@dataclass(frozen=True)
class Topic:
    name: str
    pattern: re.Pattern[str]
    targets: tuple[tuple[str, str], ...]  # (doc_id, ref prefix); ref "" = the whole document


def _re(p: str) -> re.Pattern[str]:
    return re.compile(p)


TOPICS: tuple[Topic, ...] = (
    Topic(
        "dates",
        _re(
            r"depuis quand|a partir de quand|a compter de quand|jusqu'a quand|quelle date|quand .*(appliqu|applicable|en vigueur|en application)"
            r"|date d'(application|entree)|entree en (vigueur|application)|calendrier|echeance|delai de mise en conformite"
        ),
        (
            ("ai-act", "art-113"),
            ("ai-act-2026-1744", "art-1-40"),
            ("ai-act", "art-111"),
            ("ai-act-2026-1744", "art-1-39"),
        ),
    ),
    Topic(
        "sanctions",
        _re(r"\bamendes?\b|sanction|penalit|montant maximal|risque-t-on|encour"),
        (("ai-act", "art-99"), ("ai-act", "art-101"), ("ai-act-2026-1744", "art-1-38")),
    ),
    Topic(
        "definitions",
        _re(
            r"\bdefini|definition|qu'est-ce qu|que (designe|signifie|recouvre)|qu'entend-on|au sens d[eu] (reglement|l'ai act|l'article 3)"
        ),
        (("ai-act", "art-3"), ("ai-act-2026-1744", "art-1-4")),
    ),
    # Concepts of the AI Act named in everyday words -> the provision that governs them.
    Topic(
        "notation-sociale",
        _re(
            r"notation sociale|note sociale|score social|scoring social|noter les (usagers|citoyens|beneficiaires|habitants)"
        ),
        (("ai-act", "art-5-1-c"),),
    ),
    Topic("emotions", _re(r"emotion"), (("ai-act", "art-5-1-f"), ("ai-act", "art-50-3"))),
    Topic(
        "categorisation-biometrique",
        _re(r"categoris\w* biometrique|orientation sexuelle|opinions? politiques?|convictions religieuses"),
        (("ai-act", "art-5-1-g"),),
    ),
    Topic(
        "identification-biometrique",
        _re(r"identification biometrique|reconnaissance faciale|videoprotection|videosurveillance"),
        (("ai-act", "art-5-1-h"), ("ai-act", "annex-iii-1-a")),
    ),
    Topic(
        "moissonnage",
        _re(r"moissonn|scraping|aspir\w* (des )?images|bases? de donnees de reconnaissance faciale"),
        (("ai-act", "art-5-1-e"),),
    ),
    Topic(
        "police-predictive",
        _re(
            r"predi\w* (le )?risque (qu'une personne|de recidive|d'infraction)|police predictive|commette une infraction"
        ),
        (("ai-act", "art-5-1-d"),),
    ),
    Topic(
        "manipulation",
        _re(r"subliminal|manipul\w* (le|les) comportement|techniques? manipulatrice"),
        (("ai-act", "art-5-1-a"),),
    ),
    Topic("vulnerabilites", _re(r"vulnerabilit|personnes? agees|handicap"), (("ai-act", "art-5-1-b"),)),
    Topic(
        "chatbot",
        _re(r"chatbot|agent conversationnel|assistant virtuel|robot conversationnel|interagi\w* avec (une|l') ia"),
        (("ai-act", "art-50-1"),),
    ),
    Topic(
        "hypertrucage",
        _re(r"deepfake|hypertruqu|hypertrucage|video truquee|contenus? (generes?|synthetiques?)"),
        (("ai-act", "art-50-4"), ("ai-act", "art-50-2")),
    ),
    Topic("recrutement", _re(r"recrut|candidat|\bcv\b|embauche|promotion|licenci"), (("ai-act", "annex-iii-4"),)),
    Topic(
        "prestations",
        _re(r"\brsa\b|\bapa\b|\bpch\b|aides? sociales?|allocation|prestations? sociales?|eligibilite"),
        (("ai-act", "annex-iii-5-a"),),
    ),
    Topic("education", _re(r"college|eleves?|scolaire|examen|orientation scolaire"), (("ai-act", "annex-iii-3"),)),
    Topic(
        "obligations-deployeur",
        _re(
            r"(deployeur|le departement|la collectivite)\b.*\bhaut risque|haut risque.*\b(deployeur|le departement|qu'il utilise)"
        ),
        (("ai-act", "art-26"),),
    ),
    Topic(
        "fria", _re(r"analyse d'impact (sur|relative aux) (les )?droits fondamentaux|\bfria\b"), (("ai-act", "art-27"),)
    ),
    Topic(
        "amendment",
        _re(
            r"2026|1744|omnibus|reforme|modifi|nouvel(le)? (article|interdiction|pratique|obligation|definition)|assoupli|repouss|report|supprim"
        ),
        (("ai-act-2026-1744", ""),),
    ),
)

# folded regex -> words of the texts (French, plus the English of the amending act)
EXPANSIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), words)
    for p, words in (
        (
            r"chatbot|agent conversationnel|assistant virtuel|robot conversationnel",
            "interagir directement avec des personnes physiques informées qu'elles interagissent avec un système d'IA",
        ),
        (r"deepfake|hypertruqu|hypertrucage|video truquee|fausse video", "hypertrucage contenu généré ou manipulé"),
        (r"reconnaissance faciale|videosurveillance|videoprotection|camera", "identification biométrique à distance"),
        (r"emotion", "reconnaissance des émotions"),
        (
            r"notation sociale|score social|scoring social",
            "note sociale évaluation ou classification comportement social",
        ),
        (r"recrut|candidat|\bcv\b|embauche", "recrutement sélection de personnes physiques emploi"),
        (
            r"\brsa\b|\bapa\b|aide sociale|allocation|prestation",
            "prestations et services d'aide sociale essentiels éligibilité",
        ),
        (
            r"college|eleve|scolaire|enseignement",
            "éducation et formation professionnelle établissements d'enseignement",
        ),
        (r"police|forces de l'ordre|gendarmerie", "autorités répressives fins répressives"),
        (r"\brgpd\b", "règlement (UE) 2016/679 protection des données à caractère personnel"),
        (r"\baipd\b", "analyse d'impact relative à la protection des données"),
        (r"generati|chatgpt|contenus? de synthese", "contenus de synthèse audio image vidéo texte générés"),
        (r"open source|licence libre|logiciel libre", "licence libre et ouverte"),
        (r"\bpme\b|petites? entreprises?", "petites et moyennes entreprises PME jeunes pousses"),
        (r"formation des agents|former (les|ses) agents|acculturation|sensibilis", "maîtrise de l'IA personnel"),
        (r"frugal|sobre|sobriete|energie|environnement|carbone", "IA sobre durable empreinte environnementale"),
        (r"souverain|hebergement|cloud", "souveraineté des données hébergement"),
        (r"supervision humaine|controle humain|humain dans la boucle", "contrôle humain supervision humaine"),
        (r"\bdpo\b|delegue a la protection", "délégué à la protection des données"),
        (r"marquage|filigrane|watermark", "marquage format lisible par machine détectable"),
        (r"autorite publique|collectivite|departement", "organismes de droit public déployeurs"),
        (r"enregistr|base de donnees de l'ue", "enregistrement base de données de l'UE article 71"),
        (
            r"analyse d'impact (sur|relative aux) droits fondamentaux|\bfria\b",
            "analyse d'impact droits fondamentaux article 27",
        ),
        # French -> English words of the amending act (Regulation 2026/1744 exists only in English)
        (r"maitrise de l'ia|culture de l'ia", "AI literacy"),
        (r"intime|sexuellement explicite|nudit", "intimate parts sexually explicit non-consensual"),
        (r"pedopornograph|abus sexuels? (sur|d')enfants", "child sexual abuse material"),
        (r"bac(s)? a sable", "regulatory sandbox"),
        (r"donnees sensibles|categories particulieres", "special categories of personal data bias detection"),
        (r"\bpme\b|petites et moyennes", "SMEs SMCs small mid-cap"),
        (r"gestion de la qualite", "quality management system"),
        (r"documentation technique", "technical documentation"),
        (r"bureau de l'ia", "AI Office"),
        (r"entree en vigueur|entre en vigueur", "entry into force"),
        (r"repouss|report|nouvelle date|date limite", "shall apply from"),
    )
)


GENERIC_TOPICS = {"dates", "sanctions", "definitions", "amendment"}


def topics(question: str) -> list[Topic]:
    q = fold(question)
    return [t for t in TOPICS if t.pattern.search(q)]


def expand(question: str) -> str:
    """The question plus the texts' own words for the everyday terms it uses."""
    q = fold(question)
    extra = [words for pattern, words in EXPANSIONS if pattern.search(q)]
    return question if not extra else question + " " + " ".join(extra)
