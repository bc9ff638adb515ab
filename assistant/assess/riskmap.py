"""An explicit, tested map of the AI Act's risk categories, checked against facts by code.

The verdict of an assessment never rests on free generation (LESSONS.md, 2 and 7): the
facts of a planned use (extracted from its description by keywords and by the model, see
`assess.py`) are checked against this map:

- the prohibited practices of art. 5(1) a)–h), plus points (ba)/(bb) inserted by
  Regulation (EU) 2026/1744 (non-consensual intimate images, child sexual abuse material),
  with their conditions and exceptions;
- each Annex III area and point (art. 6(2)), the art. 6(3) derogations and their
  exception (profiling of natural persons is always high-risk), the 2026 clarification of
  what is not a safety component (new art. 6(1a));
- the transparency cases of art. 50(1)–(4);
- the exclusions of art. 2 (military, research only, testing before putting into service,
  purely personal use, free and open-source) and systems that are not AI systems (art. 3(1));
- minimal risk otherwise.

Facts are tri-state ("oui" / "non" / "inconnu") or small enums with an explicit "inconnu".
An entry *matches* when all its required facts hold; it is *possible* when its anchor facts
hold and the others are unknown (the question to ask then goes to `to_clarify`). Levels:
prohibited > high-risk > limited > minimal; out-of-scope for the art. 2 exclusions;
undetermined when an entry of a higher level than the one established is only possible, or
when the description does not say what the system does.

The keyword extractor (`keyword_facts`) is deterministic French patterns on accent-folded
text (`textnorm.fold`), written from the wording of the AI Act, not from any question set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from assistant.assess import levels
from assistant.text.norm import fold

UNKNOWN = "inconnu"
YES, NO = "oui", "non"
TRI = (YES, NO, UNKNOWN)
DOMAINS = (
    "prestations_sociales",
    "emploi_rh",
    "education",
    "infrastructures_critiques",
    "services_essentiels",
    "urgences",
    "justice",
    "migration",
    "maintien_ordre",
    "communication",
    "interne",
    "autre",
)
BIOMETRICS = ("aucune", "verification", "identification", "categorisation", UNKNOWN)
AUTOMATION = ("aucune", "aide", "totale", UNKNOWN)
PROHIBITED_KINDS = (
    "notation_sociale",
    "manipulation_subliminale",
    "exploitation_vulnerabilites",
    "prediction_infraction",
    "moissonnage_visages",
    "categorisation_sensible",
    "images_intimes",
)
EXCLUSION_KINDS = (
    "usage_militaire",
    "recherche_uniquement",
    "essai_avant_mise_en_service",
    "usage_personnel",
    "licence_libre",
)
LEVELS = levels.LEVELS
RANK = levels.RANK
LEVEL_FR = levels.PHRASE


# ---------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class Fact:
    name: str
    values: tuple[str, ...]
    label: str  # French: what the fact says (prompt, fiche)
    question: str  # French: what to ask when it is unknown
    model: bool = True  # asked to the LLM (else keywords only, or derived from a model enum)


def _tri(name: str, label: str, question: str, model: bool = True) -> Fact:
    return Fact(name, TRI, label, question, model)


FACTS: dict[str, Fact] = {
    f.name: f
    for f in [
        _tri(
            "systeme_ia",
            "l'outil apprend ou déduit ses résultats à partir de données (non : règles fixes, formules, mots-clés exacts)",
            "L'outil déduit-il ses résultats à partir de données (apprentissage, modèle d'IA), ou applique-t-il seulement "
            "des règles fixes écrites par vos agents ?",
        ),
        _tri(
            "finalite_definie",
            "la description dit concrètement ce que fait l'outil (quelle tâche, quel résultat)",
            "Que fera concrètement l'outil : quelle tâche, quels résultats, utilisés pour quelle décision ?",
        ),
        Fact(
            "domaine",
            (*DOMAINS, UNKNOWN),
            "domaine d'utilisation",
            "Dans quel domaine et pour quel service l'outil sera-t-il utilisé (aides sociales, ressources humaines, "
            "collèges, routes, communication, usage interne…) ?",
        ),
        _tri(
            "decision_sur_personnes",
            "l'outil évalue, note, classe ou sélectionne des personnes, ou prépare une décision les concernant",
            "L'outil évalue-t-il, classe-t-il ou sélectionne-t-il des personnes, ou prépare-t-il une décision les "
            "concernant (droit à une aide, recrutement, évaluation d'un agent ou d'un élève…) ?",
        ),
        Fact(
            "decision_automatisee",
            AUTOMATION,
            "degré d'automatisation des décisions (aide : un agent décide ; totale : sans intervention humaine)",
            "Un agent examine-t-il chaque résultat avant toute décision, ou des décisions sont-elles prises "
            "automatiquement, sans intervention humaine ?",
        ),
        _tri(
            "profilage",
            "l'outil établit un profil des personnes (comportement, personnalité, situation) pour évaluer ou prédire",
            "L'outil établit-il un profil des personnes (comportement, personnalité, situation personnelle) pour les "
            "évaluer ou prédire leur comportement ?",
        ),
        _tri(
            "tache_procedurale_etroite",
            "l'outil se limite à une tâche procédurale étroite ou préparatoire (convertir, extraire, classer des "
            "documents) sans influer sur la décision",
            "L'outil se limite-t-il à une tâche procédurale étroite ou préparatoire (convertir, extraire, classer des "
            "documents), sans influer sur le résultat de la décision ?",
        ),
        _tri(
            "interagit_avec_personnes",
            "l'outil dialogue directement avec des personnes (agent conversationnel, assistant vocal, avatar)",
            "L'outil dialoguera-t-il directement avec des personnes (usagers ou agents), par écrit ou à l'oral ?",
        ),
        _tri(
            "genere_contenu",
            "l'outil génère des textes, images, sons ou vidéos",
            "L'outil génère-t-il des textes, des images, des sons ou des vidéos ?",
        ),
        _tri(
            "contenu_hypertrucage",
            "l'outil produit des images, sons ou vidéos réalistes de personnes, lieux ou événements réels "
            "(hypertrucage, voix clonée)",
            "Les contenus générés ressemblent-ils à de vraies personnes, de vrais lieux ou de vrais événements "
            "(hypertrucage, voix clonée) ?",
        ),
        _tri(
            "publication_externe",
            "les contenus produits sont publiés ou diffusés hors du service (public, communes, partenaires)",
            "Les contenus produits seront-ils publiés ou diffusés hors du service (site, réseaux sociaux, communes, "
            "partenaires) ?",
        ),
        _tri(
            "fournisseur",
            "le Département développe lui-même le système ou le met à disposition d'autres sous son nom (fournisseur)",
            "Le Département développe-t-il lui-même le système, ou le met-il à la disposition d'autres (communes, "
            "partenaires, public) sous son nom ?",
        ),
        _tri(
            "relecture_humaine",
            "un agent relit les contenus et en assume la responsabilité éditoriale avant publication",
            "Un agent relira-t-il les textes générés et en assumera-t-il la responsabilité éditoriale avant publication ?",
            model=False,
        ),
        _tri(
            "reconnaissance_emotions",
            "l'outil déduit les émotions ou intentions de personnes à partir de leur visage, de leur voix ou de leur "
            "comportement",
            "L'outil déduit-il les émotions, l'humeur ou les intentions de personnes à partir de leur visage, de leur "
            "voix ou de leurs gestes ?",
        ),
        _tri(
            "contexte_travail_ou_ecole",
            "les personnes analysées sont des agents au travail ou des élèves",
            "Les personnes analysées sont-elles des agents sur leur lieu de travail ou des élèves dans un établissement "
            "d'enseignement ?",
        ),
        _tri(
            "raison_medicale_ou_securite",
            "l'usage répond à une raison médicale ou de sécurité",
            "L'usage répond-il à une raison médicale ou de sécurité (exception prévue à l'article 5, paragraphe 1, "
            "point f)) ?",
            model=False,
        ),
        _tri(
            "donnees_biometriques",
            "l'outil traite des données biométriques (visage, empreinte, iris, voix d'une personne)",
            "L'outil traite-t-il des données biométriques (images de visages, empreintes digitales, voix) ?",
            model=False,
        ),
        Fact(
            "biometrie",
            BIOMETRICS,
            "usage biométrique (vérification : confirmer l'identité déclarée ; identification : reconnaître qui est "
            "une personne ; catégorisation : classer selon des caractéristiques)",
            "Le système biométrique confirme-t-il seulement l'identité qu'une personne déclare (vérification), ou "
            "reconnaît-il des personnes parmi d'autres, par exemple à distance (identification) ?",
        ),
        _tri(
            "temps_reel",
            "l'identification a lieu en temps réel (et non a posteriori sur des enregistrements)",
            "L'identification a-t-elle lieu en temps réel, ou a posteriori sur des enregistrements ?",
            model=False,
        ),
        _tri(
            "espace_public",
            "dans un espace accessible au public",
            "Le système fonctionne-t-il dans un espace accessible au public ?",
            model=False,
        ),
        _tri(
            "fins_repressives",
            "à des fins répressives (police, recherche d'auteurs d'infractions)",
            "L'usage a-t-il des fins répressives (police, recherche de suspects ou d'auteurs d'infractions) ?",
            model=False,
        ),
        _tri(
            "exception_repressive",
            "l'un des objectifs limitativement énumérés à l'article 5, paragraphe 1, point h), avec autorisation préalable",
            "L'usage vise-t-il l'un des objectifs limitativement énumérés (recherche ciblée de victimes, menace "
            "terroriste imminente, suspect d'une infraction grave), avec l'autorisation préalable d'une autorité "
            "judiciaire ou administrative indépendante ?",
            model=False,
        ),
        _tri(
            "composant_securite",
            "l'outil est un composant de sécurité d'une infrastructure critique (pilotage du trafic, tunnel, réseaux "
            "d'eau, de gaz, d'électricité)",
            "L'outil agit-il sur la sécurité de l'infrastructure (pilotage du trafic, fermeture d'un tunnel, réseaux "
            "d'eau ou d'énergie), ou sert-il seulement à planifier, optimiser ou produire des statistiques ?",
        ),
        _tri(
            "composant_produit",
            "l'outil est un composant de sécurité d'un produit réglementé (machine, véhicule, dispositif médical, "
            "ascenseur, jouet…) soumis à une évaluation de conformité",
            "L'outil est-il un composant de sécurité d'un produit réglementé (machine, véhicule, dispositif médical, "
            "ascenseur…) soumis à une évaluation de conformité par un tiers ?",
        ),
        _tri(
            "notation_sociale",
            "note ou classe des personnes selon leur comportement social pour les traiter défavorablement",
            "L'outil note-t-il des personnes d'après leur comportement social ou leur personnalité, avec des "
            "conséquences dans d'autres domaines ?",
            model=False,
        ),
        _tri(
            "manipulation_subliminale",
            "techniques subliminales, manipulatrices ou trompeuses altérant le comportement",
            "L'outil cherche-t-il à influencer le comportement des personnes à leur insu (techniques subliminales ou "
            "trompeuses) ?",
            model=False,
        ),
        _tri(
            "exploitation_vulnerabilites",
            "exploitation des vulnérabilités dues à l'âge, au handicap ou à la situation sociale",
            "L'outil exploite-t-il la vulnérabilité de personnes (âge, handicap, situation sociale ou économique) pour "
            "orienter leur comportement ?",
            model=False,
        ),
        _tri(
            "prediction_infraction",
            "prédiction du risque qu'une personne commette une infraction",
            "L'outil évalue-t-il le risque qu'une personne commette une infraction ?",
            model=False,
        ),
        _tri(
            "appui_evaluation_humaine",
            "à l'appui d'une évaluation humaine fondée sur des faits objectifs liés à une activité criminelle",
            "L'évaluation vient-elle seulement à l'appui d'une évaluation humaine fondée sur des faits objectifs et "
            "vérifiables, directement liés à une activité criminelle ?",
            model=False,
        ),
        _tri(
            "moissonnage_visages",
            "constitution de bases de reconnaissance faciale par moissonnage non ciblé d'images",
            "Les images de visages seraient-elles collectées de manière non ciblée sur internet ou par "
            "vidéoprotection ?",
            model=False,
        ),
        _tri(
            "categorisation_sensible",
            "déduction de la religion, des opinions, de l'orientation sexuelle ou de l'origine à partir de données "
            "biométriques",
            "L'outil déduit-il des caractéristiques sensibles (origine, opinions, religion, orientation sexuelle) à "
            "partir de photos ou d'autres données biométriques ?",
            model=False,
        ),
        _tri(
            "images_intimes",
            "génération d'images intimes ou sexuellement explicites de personnes identifiables, ou de contenus "
            "pédopornographiques",
            "L'outil peut-il générer des images intimes ou sexuellement explicites de personnes identifiables ?",
            model=False,
        ),
        _tri(
            "consentement_explicite",
            "consentement libre, spécifique, éclairé et explicite des personnes représentées",
            "Les personnes représentées ont-elles donné leur consentement libre, spécifique, éclairé et explicite ?",
            model=False,
        ),
        _tri(
            "usage_militaire",
            "fins exclusivement militaires, de défense ou de sécurité nationale",
            "L'usage est-il exclusivement militaire, de défense ou de sécurité nationale ?",
            model=False,
        ),
        _tri(
            "recherche_uniquement",
            "développé et mis en service uniquement pour la recherche scientifique",
            "Le système sert-il uniquement à la recherche scientifique, sans autre usage ?",
            model=False,
        ),
        _tri(
            "essai_avant_mise_en_service",
            "recherche, essai ou développement avant toute mise en service (hors essais en conditions réelles)",
            "S'agit-il seulement d'essais ou de développement avant toute mise en service, sans essai en conditions "
            "réelles ?",
            model=False,
        ),
        _tri(
            "usage_personnel",
            "usage strictement personnel, non professionnel",
            "S'agit-il d'un usage strictement personnel, en dehors de toute activité professionnelle ?",
            model=False,
        ),
        _tri(
            "licence_libre",
            "publié sous licence libre et ouverte",
            "Le système sera-t-il seulement publié sous licence libre et ouverte, sans être mis en service par le "
            "Département ?",
            model=False,
        ),
    ]
}
# The two enums the model fills instead of fourteen booleans (fewer tokens for a 1.5B model).
MODEL_ENUMS = {
    "pratique_interdite": ("aucune", *PROHIBITED_KINDS, UNKNOWN),
    "exclusion": ("aucune", *EXCLUSION_KINDS, UNKNOWN),
}


def blank_facts() -> dict[str, object]:
    """Every fact unknown (domaine: an empty list)."""
    return {name: ([] if name == "domaine" else UNKNOWN) for name in FACTS}


def normalise_facts(given: Mapping[str, object] | None) -> tuple[dict[str, object], list[str]]:
    """Keep the valid facts of a caller's dict (values in the enums); return them and the French
    notes on what was ignored. Model enums (pratique_interdite, exclusion) are expanded."""
    out: dict[str, object] = {}
    notes: list[str] = []
    for key, value in (given or {}).items():
        if key in MODEL_ENUMS:
            if isinstance(value, str) and value in MODEL_ENUMS[key]:
                out.update(expand_enum(key, value))
            else:
                notes.append(f"fait « {key} » ignoré : valeur non reconnue")
            continue
        fact = FACTS.get(key)
        if fact is None:
            notes.append(f"fait « {key} » inconnu, ignoré")
            continue
        if key == "domaine":
            vals = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else []
            vals = [v for v in vals if isinstance(v, str) and v in DOMAINS]
            if vals or value in (UNKNOWN, [], ()):
                out[key] = vals
            else:
                notes.append("fait « domaine » ignoré : valeur non reconnue")
            continue
        if isinstance(value, bool):
            value = YES if value else NO
        if isinstance(value, str) and value in fact.values:
            out[key] = value
        else:
            notes.append(f"fait « {key} » ignoré : valeur non reconnue")
    return out, notes


def expand_enum(key: str, value: str) -> dict[str, str]:
    """pratique_interdite / exclusion → the booleans they stand for."""
    kinds = PROHIBITED_KINDS if key == "pratique_interdite" else EXCLUSION_KINDS
    if value == UNKNOWN:
        return {}
    return {k: (YES if k == value else NO) for k in kinds}


# ---------------------------------------------------------------------------- map


@dataclass(frozen=True)
class Ref:
    doc_id: str
    ref: str
    focus: str = ""  # words the quote should centre on (French, or English for 2026/1744)


@dataclass(frozen=True)
class Entry:
    id: str
    level: str  # prohibited | high-risk | limited | minimal | out-of-scope
    refs: tuple[Ref, ...]
    label: str  # French
    requires: Mapping[str, tuple[str, ...]]
    anchors: tuple[str, ...] = ()  # required facts that must hold for the entry to be "possible"
    exceptions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exception_label: str = ""  # French: what applies when the exception holds
    keywords: tuple[str, ...] = ()  # French words describing the case (documentation, prompt)
    cue: str = ""  # folded regex selecting this point among the points of its group
    cue_required: bool = False
    group: str = ""  # Annex III area whose points share their requirements
    default: bool = False  # the point of the group when no cue matches
    questions: Mapping[str, str] = field(default_factory=dict)  # fact → question (overrides FACTS)

    @property
    def main(self) -> Ref:
        return self.refs[0]


def _r(doc: str, ref: str, focus: str = "") -> Ref:
    return Ref(doc, ref, focus)


A, A26 = "ai-act", "ai-act-2026-1744"
_ANNEX_LEAD = "systèmes d'IA à haut risque"


def _annex(
    point: str,
    label: str,
    domain: str,
    *,
    keywords: tuple[str, ...] = (),
    cue: str = "",
    group: str = "",
    default: bool = False,
    cue_required: bool = False,
    focus: str = "",
) -> Entry:
    return Entry(
        f"annex-iii-{point}",
        "high-risk",
        (_r(A, f"annex-iii-{point}", focus or label),),
        label,
        {"domaine": (domain,), "decision_sur_personnes": (YES,)},
        anchors=("domaine",),
        keywords=keywords,
        cue=cue,
        group=group,
        default=default,
        cue_required=cue_required,
    )


ENTRIES: tuple[Entry, ...] = (
    # ------------------------------------------------------------ out of scope
    Entry(
        "hors-champ-pas-ia",
        "out-of-scope",
        (_r(A, "art-3-1", "système automatisé déduit à partir des entrées qu'il reçoit"),),
        "Pas un système d'IA : l'outil applique des règles fixes définies par des personnes, sans rien déduire des "
        "données (article 3, point 1))",
        {"systeme_ia": (NO,)},
        keywords=("règle fixe", "formule", "mots-clés exacts", "sans apprentissage"),
    ),
    Entry(
        "art-2-3",
        "out-of-scope",
        (_r(A, "art-2-3", "fins militaires de défense ou de sécurité nationale"),),
        "Usage exclusivement militaire, de défense ou de sécurité nationale (article 2, paragraphe 3)",
        {"usage_militaire": (YES,)},
        keywords=("militaire", "défense nationale", "sécurité nationale"),
    ),
    Entry(
        "art-2-6",
        "out-of-scope",
        (_r(A, "art-2-6"),),
        "Système développé et mis en service uniquement à des fins de recherche scientifique (article 2, paragraphe 6)",
        {"recherche_uniquement": (YES,)},
        keywords=("recherche scientifique", "laboratoire de recherche"),
    ),
    Entry(
        "art-2-8",
        "out-of-scope",
        (_r(A, "art-2-8", "recherche essai développement avant mise sur le marché mise en service"),),
        "Recherche, essais et développement avant toute mise en service, hors essais en conditions réelles "
        "(article 2, paragraphe 8)",
        {"essai_avant_mise_en_service": (YES,)},
        keywords=("prototype", "essais en laboratoire", "avant mise en service"),
    ),
    Entry(
        "art-2-10",
        "out-of-scope",
        (_r(A, "art-2-10"),),
        "Usage par une personne physique dans le cadre d'une activité strictement personnelle, non professionnelle "
        "(article 2, paragraphe 10)",
        {"usage_personnel": (YES,)},
        keywords=("chez soi", "loisirs", "usage personnel"),
    ),
    Entry(
        "art-2-12",
        "out-of-scope",
        (_r(A, "art-2-12"),),
        "Système publié sous licence libre et ouverte, qui n'est ni interdit, ni à haut risque, ni soumis à "
        "l'article 50 (article 2, paragraphe 12)",
        {"licence_libre": (YES,)},
        keywords=("licence libre", "open source"),
    ),
    # ------------------------------------------------------------ prohibited (art. 5(1))
    Entry(
        "art-5-1-a",
        "prohibited",
        (
            _r(
                A,
                "art-5-1-a",
                "techniques subliminales manipulatrices trompeuses altérer substantiellement comportement",
            ),
        ),
        "Techniques subliminales, manipulatrices ou trompeuses altérant le comportement des personnes (article 5, "
        "paragraphe 1, point a))",
        {"manipulation_subliminale": (YES,)},
        keywords=("subliminal", "imperceptible", "manipulation à leur insu"),
    ),
    Entry(
        "art-5-1-b",
        "prohibited",
        (_r(A, "art-5-1-b", "exploite vulnérabilités âge handicap situation sociale ou économique"),),
        "Exploitation des vulnérabilités dues à l'âge, au handicap ou à la situation sociale ou économique "
        "(article 5, paragraphe 1, point b))",
        {"exploitation_vulnerabilites": (YES,)},
        keywords=("exploiter la vulnérabilité", "personnes âgées", "isolement", "confusion"),
    ),
    Entry(
        "art-5-1-c",
        "prohibited",
        (_r(A, "art-5-1-c", "évaluation classification comportement social note sociale traitement préjudiciable"),),
        "Notation sociale : évaluation ou classement de personnes selon leur comportement social ou leur personnalité, "
        "conduisant à un traitement préjudiciable (article 5, paragraphe 1, point c))",
        {"notation_sociale": (YES,)},
        keywords=("score citoyen", "comportement social", "incivilités", "réseaux sociaux"),
    ),
    Entry(
        "art-5-1-d",
        "prohibited",
        (_r(A, "art-5-1-d", "risque infraction pénale uniquement profilage traits de personnalité"),),
        "Évaluation du risque qu'une personne commette une infraction, fondée uniquement sur son profilage ou ses "
        "traits de personnalité (article 5, paragraphe 1, point d))",
        {"prediction_infraction": (YES,), "profilage": (YES,)},
        anchors=("prediction_infraction",),
        exceptions={"appui_evaluation_humaine": (YES,)},
        exception_label="appui à une évaluation humaine fondée sur des faits objectifs et vérifiables directement liés "
        "à une activité criminelle (même point d))",
        keywords=("probabilité de commettre un délit", "récidive", "prédiction de la délinquance"),
    ),
    Entry(
        "art-5-1-e",
        "prohibited",
        (
            _r(
                A,
                "art-5-1-e",
                "bases de données de reconnaissance faciale moissonnage non ciblé internet vidéosurveillance",
            ),
        ),
        "Constitution de bases de reconnaissance faciale par moissonnage non ciblé d'images sur internet ou par "
        "vidéosurveillance (article 5, paragraphe 1, point e))",
        {"moissonnage_visages": (YES,)},
        keywords=("collecter des photos de visages sur internet", "base de reconnaissance faciale"),
    ),
    Entry(
        "art-5-1-f",
        "prohibited",
        (
            _r(
                A,
                "art-5-1-f",
                "inférer les émotions lieu de travail établissements d'enseignement raisons médicales sécurité",
            ),
        ),
        "Reconnaissance des émotions sur le lieu de travail ou dans un établissement d'enseignement (article 5, "
        "paragraphe 1, point f))",
        {"reconnaissance_emotions": (YES,), "contexte_travail_ou_ecole": (YES,)},
        anchors=("reconnaissance_emotions",),
        exceptions={"raison_medicale_ou_securite": (YES,)},
        exception_label="raisons médicales ou de sécurité (même point f)) : l'usage n'est pas interdit mais relève "
        "de l'annexe III, point 1 c)",
        keywords=("émotions des agents", "stress", "humeur", "élèves", "en classe"),
    ),
    Entry(
        "art-5-1-g",
        "prohibited",
        (
            _r(
                A,
                "art-5-1-g",
                "catégorisation biométrique race opinions politiques convictions religieuses orientation sexuelle",
            ),
        ),
        "Catégorisation biométrique déduisant l'origine, les opinions, la religion ou l'orientation sexuelle "
        "(article 5, paragraphe 1, point g))",
        {"categorisation_sensible": (YES,)},
        # Last sentence of point g): the prohibition does not cover the categorisation of biometric data in
        # the area of law enforcement (nor the labelling or filtering of lawfully acquired datasets).
        exceptions={"fins_repressives": (YES,)},
        exception_label="catégorisation de données biométriques dans le domaine répressif, que l'interdiction du "
        "point g) ne couvre pas : l'usage relève de l'annexe III, point 1 b)",
        keywords=("déduire la religion", "orientation sexuelle", "opinions politiques", "à partir de photos"),
    ),
    Entry(
        "art-5-1-h",
        "prohibited",
        (
            _r(
                A,
                "art-5-1-h",
                "identification biométrique à distance en temps réel espaces accessibles au public répressives",
            ),
        ),
        "Identification biométrique à distance en temps réel dans des espaces accessibles au public à des fins "
        "répressives (article 5, paragraphe 1, point h))",
        {
            "biometrie": ("identification",),
            "temps_reel": (YES,),
            "espace_public": (YES,),
            "fins_repressives": (YES,),
        },
        anchors=("biometrie", "temps_reel"),
        exceptions={"exception_repressive": (YES,)},
        exception_label="objectifs limitativement énumérés aux points h) i) à iii), avec autorisation préalable "
        "(article 5, paragraphes 2 et 3) : l'usage relève alors de l'annexe III, point 1 a)",
        keywords=("reconnaissance faciale en temps réel", "personnes recherchées", "foule", "police"),
    ),
    Entry(
        "art-5-1-ba",
        "prohibited",
        (_r(A26, "art-1-7-a", "intimate sexually explicit without consent child sexual abuse material"),),
        "Génération d'images intimes ou sexuellement explicites de personnes identifiables sans leur consentement, "
        "ou de contenus pédopornographiques (article 5, paragraphe 1, points ba) et bb), insérés par le règlement "
        "(UE) 2026/1744)",
        {"images_intimes": (YES,)},
        exceptions={"consentement_explicite": (YES,)},
        exception_label="consentement libre, spécifique, éclairé et explicite des personnes représentées (point ba) "
        "seulement ; aucune exception pour les contenus pédopornographiques du point bb))",
        keywords=("images dénudées", "hypertrucage intime", "sans consentement"),
    ),
    # ------------------------------------------------------------ high-risk (art. 6(1), Annex I)
    Entry(
        "art-6-1",
        "high-risk",
        (
            _r(
                A, "art-6-1-a", "composant de sécurité d'un produit couvert par la législation d'harmonisation annexe I"
            ),
            _r(A, "art-6-1-b", "évaluation de la conformité par un tiers"),
        ),
        "Composant de sécurité d'un produit couvert par la législation d'harmonisation de l'Union (annexe I), soumis "
        "à une évaluation de conformité par un tiers (article 6, paragraphe 1)",
        {"composant_produit": (YES,)},
        keywords=("composant de sécurité", "machine", "dispositif médical", "véhicule", "marquage CE"),
    ),
    # ------------------------------------------------------------ high-risk (art. 6(2), Annex III)
    Entry(
        "annex-iii-1-a",
        "high-risk",
        (_r(A, "annex-iii-1-a", "systèmes d'identification biométrique à distance"),),
        "Identification biométrique à distance (annexe III, point 1 a))",
        {"donnees_biometriques": (YES,), "biometrie": ("identification",)},
        anchors=("donnees_biometriques",),
        keywords=("reconnaissance faciale", "identifier une personne", "vidéoprotection"),
    ),
    Entry(
        "annex-iii-1-b",
        "high-risk",
        (_r(A, "annex-iii-1-b", "catégorisation biométrique attributs caractéristiques sensibles"),),
        "Catégorisation biométrique selon des attributs ou caractéristiques (annexe III, point 1 b))",
        {"biometrie": ("categorisation",)},
        keywords=("classer les personnes selon leur apparence",),
    ),
    Entry(
        "annex-iii-1-c",
        "high-risk",
        (_r(A, "annex-iii-1-c", "reconnaissance des émotions"),),
        "Reconnaissance des émotions (annexe III, point 1 c))",
        {"reconnaissance_emotions": (YES,)},
        keywords=("émotions des usagers", "satisfaction mesurée par caméra"),
    ),
    Entry(
        "annex-iii-2",
        "high-risk",
        (
            _r(
                A,
                "annex-iii-2",
                "composants de sécurité gestion et exploitation trafic routier eau gaz chauffage électricité",
            ),
        ),
        "Composant de sécurité dans la gestion et l'exploitation d'une infrastructure critique : trafic routier, "
        "eau, gaz, chauffage, électricité (annexe III, point 2)",
        {"domaine": ("infrastructures_critiques",), "composant_securite": (YES,)},
        anchors=("domaine",),
        keywords=("feux tricolores", "tunnel", "régulation du trafic", "réseau d'eau"),
    ),
    Entry(
        "annex-iii-3",
        "high-risk",
        (_r(A, "annex-iii-3", "éducation et formation professionnelle"),),
        "Éducation et formation professionnelle : décisions ou évaluations concernant les élèves (annexe III, point 3)",
        {"domaine": ("education",), "decision_sur_personnes": (YES,)},
        anchors=("domaine",),
        group="annex-iii-3",
        default=True,
    ),
    _annex(
        "3-a",
        "Accès, admission ou affectation dans des établissements d'enseignement (annexe III, point 3 a))",
        "education",
        keywords=("affectation des élèves", "admission", "internat"),
        cue=r"affect\w*|admission|admis\b|inscri\w*|orientation scolaire|\bassign\w*|\baccess to (education|schools?|universit\w*|training)|places? (d'|en |dans )|acces (a|aux) (l'|la |les )?(etablissement|formation|enseignement)",
        group="annex-iii-3",
        focus="déterminer l'accès l'admission l'affectation",
    ),
    _annex(
        "3-b",
        "Évaluation des acquis d'apprentissage (annexe III, point 3 b))",
        "education",
        keywords=("noter les copies", "évaluer les acquis"),
        cue=r"grading|learning outcomes?|adaptive learning|(adapted|tailored|personali[sz]ed) to [^.;]{0,25}(results|level|performance|progress)|personali[sz]ed (learning|practice|exercises)|adapt\w* (la )?difficulte|exercices? adaptes?|parcours (d'apprentissage|personnalises?)|(assess|evaluat|mark)\w* (students?|pupils?|exams? papers?|essays?|homework)|acquis|copies|devoirs|(noter|notation|corrig\w*|evalu\w*) .{0,30}(travaux|apprentissages?|competences|connaissances)",
        group="annex-iii-3",
        focus="évaluer les acquis d'apprentissage",
    ),
    _annex(
        "3-c",
        "Évaluation du niveau d'enseignement approprié (annexe III, point 3 c))",
        "education",
        cue=r"niveau (d'enseignement|scolaire|approprie|de classe)|level of education|education level",
        group="annex-iii-3",
        focus="évaluer le niveau d'enseignement approprié",
    ),
    _annex(
        "3-d",
        "Surveillance et détection de comportements interdits lors d'examens (annexe III, point 3 d))",
        "education",
        keywords=("surveillance des examens", "triche"),
        cue=r"\bexams?\b|examinations?|proctor\w*|cheating|examens?|epreuves?|brevet|triche\w*|fraude (aux|a l') examens?|surveill\w* .{0,40}(eleves|etudiants|candidats)",
        group="annex-iii-3",
        focus="surveiller et détecter des comportements interdits lors d'examens",
    ),
    _annex(
        "4-a",
        "Recrutement ou sélection de personnes : offres ciblées, tri des candidatures, évaluation des candidats "
        "(annexe III, point 4 a))",
        "emploi_rh",
        keywords=("tri des CV", "candidatures", "recrutement"),
        cue=r"recrut\w*|candidat\w*|\bcvs?\b|curriculum|embauch\w*|offres? d'emploi|jury|preselection|hiring|job (applicants?|applications?|ads?|postings?)|resumes?|applicants?",
        group="annex-iii-4",
        focus="recrutement sélection analyser et filtrer les candidatures évaluer les candidats",
    ),
    _annex(
        "4-b",
        "Décisions sur les relations de travail : promotion, licenciement, attribution des tâches, suivi et "
        "évaluation des performances et du comportement (annexe III, point 4 b))",
        "emploi_rh",
        keywords=("évaluation des agents", "avancement", "primes", "attribution des tâches"),
        group="annex-iii-4",
        default=True,
        focus="promotion licenciement attribuer des tâches comportement performances",
    ),
    _annex(
        "5-a",
        "Évaluation de l'éligibilité aux prestations et services d'aide sociale, octroi, réduction, révocation ou "
        "récupération (annexe III, point 5 a))",
        "prestations_sociales",
        keywords=("APA", "RSA", "PCH", "éligibilité", "montant de l'aide", "fraude aux prestations"),
        group="annex-iii-5-a",
        default=True,
        focus="évaluer l'éligibilité des personnes physiques aux prestations et services d'aide sociale essentiels",
    ),
    _annex(
        "5-b",
        "Évaluation de la solvabilité ou note de crédit (annexe III, point 5 b))",
        "services_essentiels",
        cue=r"solvab\w*|credit|pret\w*|endettement|loans?|lending|mortgages?",
        cue_required=True,
        focus="évaluer la solvabilité note de crédit",
    ),
    _annex(
        "5-c",
        "Évaluation des risques et tarification en assurance vie et maladie (annexe III, point 5 c))",
        "services_essentiels",
        cue=r"assuran\w*|mutuelle|tarification|insurance|premiums?",
        cue_required=True,
        focus="évaluation des risques tarification assurance vie maladie",
    ),
    _annex(
        "5-d",
        "Évaluation et hiérarchisation des appels d'urgence, envoi des services d'urgence, tri des patients "
        "(annexe III, point 5 d))",
        "urgences",
        keywords=("appels d'urgence", "SDIS", "secours"),
        focus="évaluer et hiérarchiser les appels d'urgence",
    ),
    Entry(
        "annex-iii-6",
        "high-risk",
        (_r(A, "annex-iii-6", "répression"),),
        "Usages répressifs (annexe III, point 6)",
        {"domaine": ("maintien_ordre",), "decision_sur_personnes": (YES,)},
        anchors=("domaine",),
        group="annex-iii-6",
        default=True,
    ),
    _annex(
        "6-d",
        "Évaluation par les autorités répressives du risque qu'une personne commette une infraction ou récidive "
        "(annexe III, point 6 d))",
        "maintien_ordre",
        cue=r"recidiv\w*|commettre|passage a l'acte|re-?offend\w*|commit\w*",
        group="annex-iii-6",
        focus="risque infraction récidive",
    ),
    _annex(
        "6-e",
        "Profilage par les autorités répressives (annexe III, point 6 e))",
        "maintien_ordre",
        cue=r"profil\w*",
        group="annex-iii-6",
        focus="profilage",
    ),
    Entry(
        "annex-iii-7",
        "high-risk",
        (_r(A, "annex-iii-7", "migration asile contrôles aux frontières"),),
        "Migration, asile et contrôle aux frontières (annexe III, point 7)",
        {"domaine": ("migration",), "decision_sur_personnes": (YES,)},
        anchors=("domaine",),
    ),
    _annex(
        "8-a",
        "Aide aux autorités judiciaires pour rechercher et interpréter les faits et la loi (annexe III, point 8 a))",
        "justice",
        group="annex-iii-8",
        default=True,
        focus="autorités judiciaires rechercher interpréter les faits ou la loi",
    ),
    _annex(
        "8-b",
        "Influence sur le résultat d'une élection ou d'un référendum ou sur le comportement électoral (annexe III, "
        "point 8 b))",
        "justice",
        cue=r"election\w*|electora\w*|referendum|vote\w*|voting|voters?|scrutin",
        group="annex-iii-8",
        focus="influencer le résultat d'une élection ou d'un référendum",
    ),
    # ------------------------------------------------------------ transparency (art. 50)
    Entry(
        "art-50-1",
        "limited",
        (
            _r(
                A,
                "art-50-1",
                "interagir directement avec des personnes physiques informées qu'elles interagissent avec un système d'IA",
            ),
        ),
        "Système qui dialogue directement avec des personnes : elles doivent être informées qu'elles échangent avec "
        "une IA (article 50, paragraphe 1)",
        {"interagit_avec_personnes": (YES,)},
        keywords=("agent conversationnel", "chatbot", "assistant vocal", "avatar"),
    ),
    Entry(
        "art-50-2",
        "limited",
        (_r(A, "art-50-2", "génèrent des contenus de synthèse audio image vidéo texte marquées lisible par machine"),),
        "Système qui génère des contenus de synthèse (texte, image, son, vidéo), fourni par le Département : marquage "
        "des contenus comme générés par une IA (article 50, paragraphe 2, obligation du fournisseur)",
        {"genere_contenu": (YES,), "fournisseur": (YES,)},
        anchors=("genere_contenu",),
        keywords=("générateur d'images", "contenus générés diffusés"),
    ),
    Entry(
        "art-50-3-emotions",
        "limited",
        (_r(A, "art-50-3", "reconnaissance des émotions informent les personnes physiques qui y sont exposées"),),
        "Reconnaissance des émotions : informer les personnes exposées (article 50, paragraphe 3)",
        {"reconnaissance_emotions": (YES,)},
    ),
    Entry(
        "art-50-3-categorisation",
        "limited",
        (_r(A, "art-50-3", "catégorisation biométrique informent les personnes physiques qui y sont exposées"),),
        "Catégorisation biométrique : informer les personnes exposées (article 50, paragraphe 3)",
        {"biometrie": ("categorisation",)},
    ),
    Entry(
        "art-50-4-hypertrucage",
        "limited",
        (_r(A, "art-50-4", "hypertrucage indiquent que les contenus ont été générés ou manipulés par une IA"),),
        "Hypertrucage (image, son ou vidéo réaliste de personnes, lieux ou événements) : indiquer que le contenu a "
        "été généré ou manipulé par une IA (article 50, paragraphe 4)",
        {"contenu_hypertrucage": (YES,)},
        keywords=("hypertrucage", "deepfake", "voix clonée", "vidéo réaliste"),
    ),
    Entry(
        "art-50-4-texte",
        "limited",
        (_r(A, "art-50-4", "texte publié dans le but d'informer le public sur des questions d'intérêt public"),),
        "Texte généré publié pour informer le public sur des questions d'intérêt public sans relecture humaine : "
        "indiquer qu'il a été généré par une IA (article 50, paragraphe 4, deuxième alinéa)",
        {"genere_contenu": (YES,), "publication_externe": (YES,), "relecture_humaine": (NO,)},
        anchors=("genere_contenu", "publication_externe"),
        cue=r"(articles?|textes?|reponses?|comptes? rendus|communiques?|bulletins?|lettres? d'information|actualites|editoriaux|syntheses?|notes?)\b[^.;]{0,60}(redig|ecri|gener|produi)|(redig|ecri|gener|produi)\w*[^.;]{0,60}\b(articles?|textes?|reponses?|comptes? rendus|communiques?|bulletins?|lettres? d'information|actualites|editoriaux|syntheses?|notes?)\b|\b(writ|draft|generat|produc|compos)\w*[^.;]{0,60}\b(articles?|texts?|newsletters?|news|posts?|press releases?|editorials?|bulletins?|answers?|replies)\b",
        cue_required=True,
        questions={"relecture_humaine": FACTS["relecture_humaine"].question},
    ),
    # ------------------------------------------------------------ grounds for a lower level
    Entry(
        "annex-iii-1-a-verification",
        "minimal",
        (
            _r(
                A,
                "annex-iii-1-a",
                "vérification biométrique confirmer qu'une personne est la personne qu'elle prétend être",
            ),
        ),
        "Vérification biométrique (confirmer qu'une personne est bien celle qu'elle prétend être) : exclue de "
        "l'annexe III, point 1 a)",
        {"biometrie": ("verification",)},
        keywords=("contrôle d'accès", "confirmer l'identité", "empreinte digitale"),
    ),
    Entry(
        "art-6-3",
        "minimal",
        (
            _r(A, "art-6-3", "pas considéré comme étant à haut risque risque important de préjudice"),
            _r(A, "art-6-3-a", "tâche procédurale étroite"),
            _r(A, "art-6-3-d", "tâche préparatoire"),
        ),
        "Dérogation de l'article 6, paragraphe 3 : tâche procédurale étroite ou préparatoire, sans incidence "
        "significative sur la décision",
        {"tache_procedurale_etroite": (YES,)},
        keywords=("convertir des formulaires", "extraire des données", "pré-remplir"),
    ),
    Entry(
        "art-6-1a",
        "minimal",
        (_r(A26, "art-1-8", "not qualify as safety components performance optimisation service efficiency"),),
        "Pas un composant de sécurité : usage limité à l'optimisation, à l'efficacité du service ou à la "
        "planification (article 6, paragraphe 1 bis, inséré par le règlement (UE) 2026/1744)",
        {"domaine": ("infrastructures_critiques",), "composant_securite": (NO,)},
        cue=r"planifi\w*|programmes? (annuels?|de travaux|de renouvellement)|statistiques?|optimis\w*|efficacite|confort|assistance aux usagers|controle qualite",
        cue_required=True,
    ),
)
BY_ID = {e.id: e for e in ENTRIES}
PROFILING_REF = _r(A, "art-6-3", "toujours considéré comme étant à haut risque profilage de personnes physiques")
HIGH_RISK_RULE = _r(A, "art-6-2", "systèmes d'IA visés à l'annexe III sont considérés comme étant à haut risque")
MINIMAL_RULE = _r(A, "art-95-1", "systèmes d'IA autres que les systèmes d'IA à haut risque application volontaire")


# ---------------------------------------------------------------------------- matching

MATCH, POSSIBLE, EXCEPTED, NOMATCH = "match", "possible", "excepted", "no"


def _holds(facts: Mapping[str, object], name: str, allowed: tuple[str, ...]) -> bool | None:
    """True / False / None (unknown) for one requirement."""
    value = facts.get(name, [] if name == "domaine" else UNKNOWN)
    if name == "domaine":
        vals = list(value) if isinstance(value, (list, tuple)) else ([value] if value and value != UNKNOWN else [])
        if any(v in allowed for v in vals):
            return True
        return None if not vals or vals == ["autre"] else False
    if value == UNKNOWN:
        return None
    return value in allowed


def status(entry: Entry, facts: Mapping[str, object], text: str = "") -> tuple[str, list[str]]:
    """(match | possible | excepted | no, facts still unknown)."""
    unknown: list[str] = []
    for name, allowed in entry.requires.items():
        h = _holds(facts, name, allowed)
        if h is False:
            return NOMATCH, []
        if h is None:
            unknown.append(name)
    if entry.cue_required and entry.cue and not re.search(entry.cue, text):
        return NOMATCH, []
    if unknown:
        anchored = entry.anchors and all(_holds(facts, a, entry.requires[a]) for a in entry.anchors)
        return (POSSIBLE, unknown) if anchored else (NOMATCH, [])
    for name, values in entry.exceptions.items():
        if _holds(facts, name, values):
            return EXCEPTED, []
    return MATCH, []


@dataclass
class Ground:
    entry: Entry
    kind: str  # match | possible | excepted | derogation | profiling
    note: str = ""  # French, what changes the verdict (exception, derogation)


@dataclass
class Decision:
    level: str
    grounds: list[Ground]  # what establishes the level, most decisive first
    extra: list[Ground]  # other established cases (art. 50 beside a high-risk, grounds of a lower level)
    possible: list[Ground]  # cases that unknown facts could trigger
    questions: list[str]
    reason: str = ""  # French: why undetermined / out of scope


def _select_points(found: list[tuple[Entry, str]], text: str) -> list[tuple[Entry, str]]:
    """Within an Annex III area keep the points whose cue matches, else the area's default point."""
    out: list[tuple[Entry, str]] = []
    groups: dict[str, list[tuple[Entry, str]]] = {}
    for e, st in found:
        if e.group:
            groups.setdefault(e.group, []).append((e, st))
        else:
            out.append((e, st))
    for members in groups.values():
        cued = [(e, st) for e, st in members if e.cue and re.search(e.cue, text)]
        chosen = cued or [(e, st) for e, st in members if e.default] or members[:1]
        out.extend(chosen)
    order = {e.id: i for i, e in enumerate(ENTRIES)}
    return sorted(out, key=lambda x: order[x[0].id])


def _question(entry: Entry, name: str) -> str:
    return entry.questions.get(name) or FACTS[name].question


def decide(facts: Mapping[str, object], text: str = "", contradictions: list[str] | None = None) -> Decision:
    """The risk level of a planned use from its facts (and its folded text for the point cues)."""
    t = fold(text)
    statuses = {e.id: status(e, facts, t) for e in ENTRIES}
    disputed = set(contradictions or [])
    for e in ENTRIES:  # a prohibition whose fact is disputed cannot be excluded: it stays possible
        if (
            e.level == "prohibited"
            and statuses[e.id][0] == NOMATCH
            and disputed & set(e.requires)
            and all(_holds(facts, n, v) is not False for n, v in e.requires.items())
        ):
            statuses[e.id] = (POSSIBLE, sorted(disputed & set(e.requires)))
    found = _select_points([(e, statuses[e.id][0]) for e in ENTRIES if statuses[e.id][0] != NOMATCH], t)
    matched = [e for e, st in found if st == MATCH]
    possible = [e for e, st in found if st == POSSIBLE]
    excepted = [e for e, st in found if st == EXCEPTED]
    questions: list[str] = []

    def ask(q: str) -> None:
        if q not in questions:
            questions.append(q)

    for name in contradictions or []:
        ask(FACTS[name].question)

    def by(level: str, pool: list[Entry]) -> list[Entry]:
        return [e for e in pool if e.level == level]

    # Exceptions that lift a prohibition send the case to the matching Annex III point.
    notes = {e.id: f"Exception : {e.exception_label}." for e in excepted}
    extra: list[Ground] = [Ground(e, EXCEPTED, notes[e.id]) for e in excepted]

    # 1. Exclusions that take the use out of the regulation whatever it does.
    absolute = [e for e in by("out-of-scope", matched) if e.id != "art-2-12"]
    if absolute:
        return Decision("out-of-scope", [Ground(e, MATCH) for e in absolute], extra, [], questions)

    prohibited, high, limited = by("prohibited", matched), by("high-risk", matched), by("limited", matched)
    lower = [Ground(e, MATCH) for e in by("minimal", matched)]

    # 2. Art. 6(3): an Annex III use is not high-risk when it only performs a narrow procedural or
    # preparatory task, unless it profiles natural persons (last subparagraph).
    profiling = facts.get("profilage") == YES
    derogated: list[Entry] = []
    if high and "art-6-3" in {g.entry.id for g in lower} and not profiling:
        derogated = [e for e in high if e.id.startswith("annex-iii") and not e.id.startswith("annex-iii-1")]
        high = [e for e in high if e not in derogated]

    for e in matched:  # exceptions not established: the verdict holds, but say what would change it
        for name in e.exceptions:
            if facts.get(name, UNKNOWN) == UNKNOWN and e.level in ("prohibited",):
                ask(FACTS[name].question)

    possible_grounds = [Ground(e, POSSIBLE) for e in possible]
    for e in possible:
        for name in statuses[e.id][1]:
            ask(_question(e, name))

    def result(level: str, grounds: list[Ground], others: list[Ground], reason: str = "") -> Decision:
        derogable = [
            g for g in grounds if g.entry.id.startswith("annex-iii") and not g.entry.id.startswith("annex-iii-1")
        ]
        if level == "high-risk" and derogable and not profiling and facts.get("tache_procedurale_etroite") == UNKNOWN:
            ask(FACTS["tache_procedurale_etroite"].question)  # art. 6(3) could take it out of high-risk
        return Decision(level, grounds, others, possible_grounds, questions, reason)

    top_possible = max((RANK.get(e.level, 0) for e in possible), default=0)
    if prohibited:
        return result(
            "prohibited", [Ground(e, MATCH) for e in prohibited], extra + [Ground(e, MATCH) for e in high + limited]
        )
    if top_possible >= RANK["prohibited"]:
        return result(
            "undetermined",
            [],
            extra + [Ground(e, MATCH) for e in high + limited],
            "une pratique interdite ne peut pas être exclue avec les faits décrits",
        )
    if high:
        grounds = [Ground(e, MATCH) for e in high]
        if profiling and any(e.id.startswith("annex-iii") for e in high):
            grounds.append(
                Ground(BY_ID["art-6-3"], "profiling", "Profilage de personnes physiques : toujours à haut risque.")
            )
        return result("high-risk", grounds, extra + [Ground(e, MATCH) for e in limited])
    if top_possible >= RANK["high-risk"] and not derogated:
        return result(
            "undetermined",
            [],
            extra + [Ground(e, MATCH) for e in limited] + lower,
            "le classement à haut risque dépend de faits que la description ne précise pas",
        )
    if facts.get("finalite_definie") == NO:
        ask(FACTS["finalite_definie"].question)
        if not facts.get("domaine"):
            ask(FACTS["domaine"].question)
        return result(
            "undetermined",
            [],
            extra + [Ground(e, MATCH) for e in limited] + lower,
            "la description ne dit pas ce que fera concrètement l'outil",
        )
    derogation = [
        Ground(e, "derogation", "Dérogation de l'article 6, paragraphe 3 : pas à haut risque.") for e in derogated
    ]
    oss = [e for e in matched if e.id == "art-2-12"]
    if oss and not limited:
        return result("out-of-scope", [Ground(e, MATCH) for e in oss], extra + derogation + lower)
    if limited:
        return result("limited", [Ground(e, MATCH) for e in limited], extra + derogation + lower)
    if facts.get("decision_sur_personnes") == YES and not facts.get("domaine"):
        ask(FACTS["domaine"].question)
        return result(
            "undetermined",
            [],
            extra + lower,
            "l'outil prend ou prépare des décisions sur des personnes dans un domaine que la description ne précise pas",
        )
    if facts.get("finalite_definie") == UNKNOWN and not any(
        facts.get(n) == YES for n in ("decision_sur_personnes", "genere_contenu", "interagit_avec_personnes")
    ):
        # What the tool will do is not established (a service named is not a task: « l'IA dans
        # l'action sociale pour gagner du temps »): no level can be given, minimal included.
        ask(FACTS["finalite_definie"].question)
        if not facts.get("domaine"):
            ask(FACTS["domaine"].question)
        return result(
            "undetermined",
            [],
            extra + lower,
            "la description ne dit pas ce que fera l'outil" + ("" if facts.get("domaine") else " ni où"),
        )
    return result("minimal", derogation + lower, extra)


# ---------------------------------------------------------------------------- keywords

HIGH, LOW, DEFAULT = 2, 1, 0  # strength of a keyword finding


@dataclass(frozen=True)
class Rule:
    fact: str
    value: str
    pattern: re.Pattern[str]
    strength: int = HIGH
    negatable: bool = True  # "sans …", "pas de …" before the match turns a "oui" into a "non"


def _rule(fact: str, value: str, pattern: str, strength: int = HIGH, negatable: bool = True) -> Rule:
    return Rule(fact, value, re.compile(pattern), strength, negatable)


_PERSONS_WORK = r"agents?|salaries?|employes?|personnels?|collaborateurs?|fonctionnaires|encadrants?|managers?|assistants? familiaux"
_PERSONS_SCHOOL = r"eleves?|collegiens?|etudiants?|apprentis?|lyceens?"
_PERSONS_PUBLIC = (
    r"usagers?|visiteurs?|public|clients?|patients?|passants?|habitants?|citoyens?|beneficiaires?|allocataires?|demandeurs?|"
    r"administres?|appelants?|familles?|parents?|voyageurs?|participants?|personnes accueillies|spectateurs?|automobilistes?"
)
_EMOTION = (
    r"\b(emotions?|emotionnel\w*|stress\w*|agacement|agace\w*|colere|enervement|humeurs?|ennui|frustration|joie|tristesse|peur|"
    r"anxiete|anxieux|angoisse|detresse|depressi\w*|mal-etre|souffrance psychique|agressivite|mecontentement|irritation|nervosite|satisfaction|engagement|sentiments?|"
    r"etat d'esprit|etat emotionnel|intentions?)\b"
)
_EMOTION_SOURCE = r"\b(visages?|expressions?|voix|vocal\w*|cameras?|webcams?|videos?|photos?|selfies?|regards?|postures?|gestes?|physiolog\w*|biometri\w*|rythme cardiaque|mimiques?|intonations?)\b"
_SENSITIVE = (
    r"religio\w*|orientation sexuelle|vie sexuelle|opinions? politiques?|convictions?|origine (ethnique|raciale)|\brace\b|"
    r"appartenance syndicale|croyances?|ethni\w*"
)
_BIOMETRIC_SOURCE = r"\b(photos?|visages?|images?|voix|biometri\w*|empreintes?|cameras?|videos?|silhouettes?)\b"
_TASK = (
    r"\bpropos\w* [^.;]{0,40}\b(creneaux|horaires|rendez-vous|dates de|formations|itineraires)\b|"
    r"\b(trie\w*|trier|trierait|triera|classe(r|rait|raient|ra|nt)?|classes?\b|classement|classifi\w*|transcri\w*|resum\w*|tradui\w*|traduction|"
    r"corrig\w*|correcteur|repond\w*|reponse|previ\w*|prevoi\w*|predi\w*|detect\w*|calcul\w*|gener(e|er|ent|erait|eraient|era|ee|ees|es|ation)\b|generateurs?|reconnai\w*|surveill\w*|"
    r"note(r|rait|raient|ra)?\b|notation|evalu\w*|attribu\w*|extrai\w*|convert\w*|numeris\w*|pilot\w*|identifi\w*|dialogu\w*|"
    r"redig\w*|redaction|publi\w*|clon\w*|recherche semantique|moteur de recherche|retrouver|affect\w*|scores?\b|planifi\w*|"
    r"statistiques?|rappels?|envoi\w*|envoy\w*|repere\w*|insere\w*|dissuad\w*|dedui\w*|infer\w*|mesur\w*|fabriqu\w*|"
    r"verifi\w*|controle\w*|authentifi\w*|filtr\w*|signal\w*|alert\w*|declench\w*|regul\w*|compt\w*|localis\w*|"
    r"decid\w*|octroi\w*|refus\w*|rejet\w*|instrui\w*|adapt\w*|personnalis\w*|estim\w*|lir(e|ait|aient|a)\b|surveill\w*|"
    r"choisi\w*|selectionn\w*|suiv(re|rait|raient|ra)\b|sanction\w*|"
    r"optimis\w* (les |des |leurs? )?(circuits|tournees|itineraires|trajets|plannings?|parcours|stocks|consommations?|horaires)|"
    r"pre-?rempli\w*|collect\w*|oriente\w*|(propos|recommand|suggere)\w* (l'|la |le |les |un |une |des )?(attribution|montants?|refus|decisions?|plans?|affectations?|orientations?|reponses?|moyens)|analys\w* .{0,60}(pour|afin) (de |d'|en )?(detect|mesur|evalu|dedui|identifi|produi|previ|prevoi|repond|class|reperer))"
)
_VAGUE = (
    r"gagner du temps|optimiser (la |le |les |nos |notre )?(gestion|fonctionnement|organisation|travail|services?|processus)|"
    r"gestion des talents|nous aider|aider a (traiter|gerer|mieux)|utiliser (l'|une |de l')?(ia|intelligence artificielle)\b|"
    r"\b(modules?|outils?|solutions?|plateformes?|assistants?|logiciels?) (d'|de l')(ia|intelligence artificielle)\b|"
    r"cameras? intelligentes?|analyser (les |des |nos |leurs )?donnees|ameliorer (le |la |les |nos )?(service|gestion|efficacite|qualite)|"
    r"moderniser|innover|transformation numerique|ia generative"
)
_TECH = (
    r"\b(ia|i\.a\.|intelligence artificielle|algorithm\w*|logiciels?|outils?|systemes?|applications?|appli|modeles?|automati\w*|"
    r"cameras?|chatbots?|conversationnel\w*|assistants?|robots?|capteurs?|plateformes?|modules?|tableurs?|programmes?|numerique\w*|"
    r"donnees|moteurs?|bornes?|webcams?|reconnaissance|generat\w*|prototypes?|videoprotection|videosurveillance|machine learning|"
    r"apprentissage|scores?|predicti\w*|automatiquement|correcteurs?|bureautique|traduct\w*|chatbots?|avatars?|"
    r"ai|artificial intelligence|systems?|software|models?|algorithms?|tools?|platforms?|cameras?|apps?|automated)\b"
)

# Art. 5(1)(b): people vulnerable by age, disability or social situation, and a deceiving or
# frightening treatment of them, in the same sentence.
_VULNERABLE = (
    r"(personnes? (agees|handicapees|vulnerables|fragiles|isolees|dependantes)|beneficiaires? ages|"
    r"troubles? (de la |cognitifs|de) ?memoire|troubles? cognitifs|dement\w*|alzheimer|en situation de (handicap|precarite)|"
    r"mineurs|enfants|adolescents)"
)
_DECEIT = r"(trompeu\w*|mensong\w*|alarmant\w*|culpabilis\w*|harcel\w*|effray\w*|affol\w*|(faire|mettre) pression)"

RULES: tuple[Rule, ...] = (
    # -- is it an AI system (art. 3(1))
    _rule(
        "systeme_ia",
        NO,
        r"sans (aucun )?(apprentissage|intelligence artificielle|\bia\b|inference)|sans aucun traitement automatique",
        negatable=False,
    ),
    _rule(
        "systeme_ia",
        NO,
        r"regles? fixes?|selon (une|des) regles? (fixe|predefinie|definie|simple)|regles? (definie|predefinie|ecrite)s? par",
        negatable=False,
    ),
    _rule(
        "systeme_ia",
        NO,
        r"(appliqu\w*|saisi\w*) (les |des )?formules|formules (du|d'un) bareme|mots-cles exacts|correspondance (exacte )?des termes",
        negatable=False,
    ),
    _rule("systeme_ia", NO, r"\btableurs?\b", LOW, negatable=False),
    _rule(
        "systeme_ia",
        YES,
        r"\b(ia|intelligence artificielle|apprentissage automatique|machine learning|reseaux? de neurones|modele de langage|llm|ia generative)\b",
        LOW,
    ),
    # -- what the system does
    _rule("finalite_definie", YES, _TASK, negatable=False),
    _rule("finalite_definie", NO, _VAGUE, LOW, negatable=False),
    # -- domain
    _rule(
        "domaine",
        "prestations_sociales",
        r"\b(apa|rsa|pch|allocations?|allocataires?|prestations?|aides? sociales?|action sociale|minima sociaux|aides? (departementales?|financieres?|a domicile|a l'autonomie)|aide sociale a l'enfance|ase|protection de l'enfance|informations? preoccupantes?|enfance en danger|mdph|personnes? agees? dependantes?|plan d'aide|insertion|"
        r"logements? sociaux|logement social|hebergement d'urgence|aides? au logement|bourses?|carte mobilite( inclusion)?|cmi|fonds de solidarite|fsl|handicap\w*|invalidite|"
        r"perte d'autonomie|creches?|accueil du jeune enfant|travailleurs? sociaux|assistants? sociaux|services? sociaux|accueil social|accompagnement social|secours financiers?)\b",
    ),
    _rule(
        "domaine",
        "emploi_rh",
        rf"\b(evalu|not|class|surveill|suiv)\w* (les |des |nos |ses )?(agents|salaries|employes|collaborateurs)\b|\b(candidat\w*|cv|curriculum|recrut\w*|embauch\w*|offres? d'emploi|ressources humaines|rh|gestion des talents|avancement|promotions?|primes?|licenci\w*|entretiens? (annuels?|professionnels?)|carrieres?|employes? par|salaries?)\b|(performance|comportement|conduite|productivite|activite)s? (annuelle |professionnelle )?(de chaque|des|du|d'un) ({_PERSONS_WORK})|(attribu|repart|affect)\w* .{{0,60}}(aux|des|les) ({_PERSONS_WORK})|(courriels?|messages?|communications?|conversations?|activites?|presences?|horaires?|connexions?|geolocalisation) (professionnel\w* )?(des|de ses|de nos|de leurs) ({_PERSONS_WORK})",
    ),
    _rule(
        "domaine",
        "education",
        r"\b(colleges?|eleves?|collegiens?|scolaires?|scolarite|brevet|examens?|enseignement|etudiants?|internats?|en classe|professeurs?|espace numerique de travail|formation professionnelle|lycees?)\b",
    ),
    _rule(
        "domaine",
        "infrastructures_critiques",
        r"\b(routes?|routiers?|routieres?|chaussees?|rocades?|autoroutes?|voies? express|carrefours?|giratoires?|trafic|circulation|feux tricolores|feux de signalisation|tunnels?|ponts?|ouvrages? d'art|eau potable|reseaux? d'(eau|assainissement)|assainissement|electricite|gaz|chauffage|infrastructures? (numeriques? )?critiques?|voies? d'acces|viabilite hivernale|deneigement|salage)\b",
    ),
    _rule(
        "domaine",
        "urgences",
        r"\b(appels? d'urgence|sdis|pompiers|services? de secours|secours|samu|centre de traitement de l'alerte|urgences? medicales?)\b",
    ),
    _rule(
        "domaine",
        "maintien_ordre",
        r"\b(police|gendarmerie|forces de l'ordre|repressi\w*|infractions?|delits?|delinquan\w*|enquetes? (penales?|judiciaires?)|personnes? recherchees?|suspects?|criminel\w*|penal\w*)\b",
    ),
    _rule(
        "domaine",
        "migration",
        r"\b(migra\w*|asile|frontieres?|titres? de sejour|visas?|mineurs? non accompagnes?|mna)\b",
    ),
    _rule(
        "domaine",
        "justice",
        r"\b(tribunal|tribunaux|juges?|juridictions?|contentieux|decisions? de justice|elections?|electora\w*|referendum|scrutins?)\b",
    ),
    _rule(
        "domaine",
        "services_essentiels",
        r"\b(credit|solvabilite|prets? bancaires?|assurances? (vie|maladie)|tarification)\b",
    ),
    _rule(
        "domaine",
        "communication",
        r"\b(campagnes?|magazine|communication|site (internet|web|du departement)|reseaux sociaux|podcasts?|affiches?|presse|actualites)\b",
        LOW,
    ),
    _rule(
        "domaine",
        "interne",
        r"\b(internes?|bureautique|courriers?|courriels?|factures?|comptab\w*|reunions?|deliberations?|archives?|notes de service|salle des serveurs)\b",
        LOW,
    ),
    # -- decisions about persons
    _rule(
        "decision_sur_personnes",
        YES,
        r"eligibilit\w*|droits? (a|aux) (l'|la |les )?(aides?|prestations?|allocations?)|(attribu|accord|octroi|refus|rejet|suspend|retir|recuper|modul|calcul|decid)\w* .{0,60}(aides?|allocations?|prestations?|\bapa\b|\brsa\b|\bpch\b|montants?|droits?|indus|acces|demandes?|dossiers?|cartes?|places?|logements?|bourses?|candidatures?)",
    ),
    _rule(
        "decision_sur_personnes",
        YES,
        rf"\bscores?\b|(noter|notera|noterait|noteraient|notes?|notation|classement|classer|classerait|trier|trierait|selection\w*|evalu\w*|hierarchis\w*|prioris\w*|corrig\w*|juger|jugerait|surveill\w*|repere\w*|reperer) .{{0,60}}\b({_PERSONS_WORK}|{_PERSONS_SCHOOL}|{_PERSONS_PUBLIC}|candidat\w*|cv|personnes?|dossiers?|demandes?|appels?|rappels?|jeunes|enfants?|comportements?|performances?|copies|devoirs|ceux|celles)\b",
    ),
    _rule(
        "decision_sur_personnes",
        YES,
        rf"\b(candidatures|cv)\b .{{0,60}}(tri\w*|class\w*|filtr\w*|selection\w*)|meilleurs (cv|candidats|profils)|(affect|repart|attribu|orient)\w* .{{0,60}}\b({_PERSONS_SCHOOL}|{_PERSONS_WORK}|enfants?|placements?|accueils?|interventions?|taches|missions|places?|personnes)\b",
    ),
    _rule(
        "decision_sur_personnes",
        YES,
        r"(adapt|personnalis|orient)\w* .{0,60}(chaque eleve|aux eleves|parcours|apprentissages?|niveau de chaque)|probabilite|cibler (les )?controles|triche\w*|comportements? (interdits?|de triche|frauduleux)|propos\w* .{0,40}(attribution|montant|refus|decision|plan d'aide|moyens|sanctions?)|suiv\w* .{0,40}(productivite|performances?|activite|comportements?|presence) (de chaque|des|du|d'un)|(decid|valid)\w* .{0,40}(aides?|attribution|droits?|candidat\w*|eleves?)|(decid|statu)\w* [^.;]{0,30}\b(acceptation|admission|attribution|octroi|refus|rejet)\b|\baccept\w* ou (refus|rejet)\w*|\b(candidat\w*|demandeurs?|postulants?|eleves?|agents?)\b[^.;]{0,60}\b(pour|afin de) (les |leur )?(classer|trier|noter|evaluer|selectionner|departager|hierarchiser)\b",
    ),
    _rule(
        "decision_sur_personnes",
        YES,
        r"\bouvr\w* (le )?droit (a|aux)\b|(suspend|supprim|interromp|bloqu|reduir|diminu|recuper)\w* [^.;]{0,30}\b(versements?|paiements?|aides?|allocations?|droits?|prestations?|indus)\b|\brepere\w* [^.;]{0,40}\b(beneficiaires?|allocataires?|usagers?|demandeurs?|familles?|personnes|locataires?)\b|(detect|repere|identifi|signal)\w* [^.;]{0,60}\b(copies|devoirs|fraudes? (aux examens|au brevet)|plagiats?)\b|offres? d'emploi [^.;]{0,80}\b(uniquement |seulement )?(aux |a des )(personnes|candidats|profils)|offres? d'emploi ciblees|(prevoi|predi|estim|evalu|identifi|repere|detect)\w* (quelles?|quels|les|des) (personnes|usagers|beneficiaires|allocataires|familles|enfants|jeunes|eleves|agents|locataires)\b[^.;]{0,40}\b(risqu|susceptibles?|probab)",
    ),
    _rule(
        "decision_sur_personnes",
        NO,
        r"sans (rien )?(noter|evaluer|decider|proposer|juger)|aucune decision|ne (prend|prendrait|prendra) aucune decision|sans (aucune )?(incidence|effet) sur (la |les )?decisions?",
        negatable=False,
    ),
    # -- degree of automation
    _rule(
        "decision_automatisee",
        "totale",
        r"sans (aucune )?(intervention|validation|relecture|controle|verification|supervision) humaine|sans (intervention|validation|relecture|controle) d'un agent|sans relecture|entierement automatis\w*|(declench|decid|refus|suspend|ferm)\w* (elle-meme|lui-meme|seule?s?|automatiquement)|ne (reverraient|reverrait|verraient|examineraient) que",
        negatable=False,
    ),
    _rule(
        "decision_automatisee",
        "aide",
        r"(relu|relue|releve|valide|verifie|controle|examine|revu|revue)e?s? (et (relu|valide|verifie)e?s? )?par (un |une |l'|les |le |la )?(agent|agente|animateur|animatrice|humain|personne|instructeur|equipe|service|professeur|encadrant|jury|responsable|referent)|un agent (verifiant|verifie|valide|controle|decide|garde)|aide a la decision|pour (preparer|eclairer) (les |la )?decisions?|(proposerai\w*|suggere\w*|recommande\w*|propose) (l'|la |le |les |un |une |des )?(attribution|montants?|refus|decisions?|plans?|affectations?|orientations?|moyens)",
        negatable=False,
    ),
    # -- profiling (art. 6(3), last subparagraph)
    _rule(
        "profilage",
        YES,
        r"(prevoi|predi|estim)\w* (quelles?|quels|les|des) (personnes|usagers|beneficiaires|allocataires|familles|enfants|jeunes|eleves|agents|locataires)\b[^.;]{0,40}\b(risqu|susceptibles?)|\bprofil(age|s)?\b|traits? de personnalite|comportement passe|situation familiale|scores? de risque|comportement de conduite|(selon|en fonction de|a partir de) (son|leur|leurs) (profil|comportement|personnalite)",
    ),
    # -- art. 6(3) derogation
    _rule(
        "tache_procedurale_etroite",
        YES,
        r"convert\w* [^.;]{0,40}(formulaires?|documents?|donnees)|numeris\w*|extrai\w* [^.;]{0,40}(montants?|references?|donnees|informations|champs)|pre-?rempli\w*|\bocr\b|reconnaissance (optique )?de caracteres|mise en forme|doublons|completude|donnees structurees|(class|tri|orient)\w* [^.;]{0,30}par (theme|type|sujet|service)",
        negatable=False,
    ),
    _rule(
        "tache_procedurale_etroite",
        NO,
        r"(propos|suggere|recommand|redig)\w* [^.;]{0,40}(arguments?|decisions?|jugements?|sanctions?|montants?|plans? d'aide|notes?|refus|attributions?|eligibilite)\b|(classer|classement|noter|notation|hierarchis\w*|prioris\w*) [^.;]{0,30}(candidat\w*|demandeurs?|dossiers? de demande|beneficiaires?|personnes)\b",
        negatable=False,
    ),
    # -- interaction, generation (art. 50)
    _rule(
        "interagit_avec_personnes",
        YES,
        r"(agents?|assistants?|robots?|tuteurs?|compagnons?)( d'ia)? (conversationnel|virtuel|vocal)\w*|chatbots?|callbots?|voicebots?|avatars?|dialogu\w*|convers\w*|repond\w* (aux|a leurs|a des|directement aux) (questions|messages|demandes|usagers|appels)|recevr\w* une reponse|standard telephonique",
    ),
    _rule("genere_contenu", YES, r"\bgenerati(f|ve|ves|fs)\b", LOW),
    _rule(
        "genere_contenu",
        YES,
        r"\bgener(e|er|ent|erait|eraient|era|ee|ees|es|ation|ateurs?)\b|redig\w*|fabriqu\w* .{0,30}(images?|videos?|photos?|contenus?|sons?)|synthe(se|tique)|clon\w*|resum\w*|tradui\w*|traduction|transcri\w*|ecrirai\w*",
    ),
    _rule(
        "contenu_hypertrucage",
        YES,
        r"hypertrucage|deep ?fakes?|(photos?|images?|videos?|voix|enregistrements?|sons?|visuels?)\b[^.;]{0,80}\b(realistes?|ressembl\w*|vraies?|authentiques?|plus vrais? que nature)|sembl\w* (s'exprimer|dire|parler|prononcer)|faux (accident|discours|temoignage|evenement)s?|d'apparence (reelle|realiste|authentique)|clon\w* (de )?(la )?voix|voix (clonee|imitee)|voix [^.;]{0,30}\bclon\w*|(imit|reprodui)\w* (la |sa |leur )?voix|(impossible|difficile) a distinguer|(distinguer|differencier) de (sa|la|leur|son) (vraie|veritable|vrai)|d'aspect (parfaitement )?realiste",
    ),
    _rule(
        "publication_externe",
        YES,
        r"publi\w*|diffus\w*|mis\w* a (la )?disposition (de|des|du) (communes|public|partenaires|usagers|habitants)|mettrai\w* a (la )?disposition|site (internet|web|du departement)|magazine|campagne|reseaux sociaux|podcast|affich\w*|presse",
    ),
    _rule(
        "fournisseur",
        YES,
        r"(a fait|fait|ferait|faire|fera|avons fait) developper|developp\w* (en interne|par (la|notre|sa|nos) (direction|services?)|nous-memes|lui-meme)|nous (developpons|concevons|entrainons)|(entraine|concu|developpe)e? par (le departement|nos services|notre direction)|qu'il a (entraine|developpe|concu)|(mettr|mis|met)\w* a (la )?disposition (des|de|du) (communes|partenaires|tiers|public|usagers|habitants|associations)|sous (sa|notre|son) (marque|nom)",
    ),
    _rule(
        "relecture_humaine",
        NO,
        r"sans (aucune )?(relecture|intervention humaine|validation|verification|controle humain|supervision)|publi\w* automatiquement|envoy\w* automatiquement",
        negatable=False,
    ),
    _rule(
        "relecture_humaine",
        YES,
        r"\brelu\w*|relecture par|(valide|verifie)e?s? par|responsabilite editoriale|un agent (verifiant|verifie|relit|valide)",
    ),
    # -- emotions (art. 5(1)(f), annex III 1(c), art. 50(3)); context and exceptions
    _rule(
        "raison_medicale_ou_securite",
        YES,
        r"(raisons?|fins?|motifs?|buts?) (medica\w*|therapeuti\w*|sanitaires?|de sante|de securite)|prevenir (les |un |des )?(accidents?|malaises?)|detecter (un |les |des )?malaises?|(suivi|prise en charge|usage) (medical|therapeutique)",
    ),
    # -- biometrics
    _rule(
        "biometrie",
        "identification",
        r"identifi(er|e|es|ent|erait|eraient|era|cation)\b .{0,60}\b(visages?|personnes?|individus?|photos?|foule|auteurs?|suspects?)\b|\b(visages?|photos?)\b .{0,80}identifi(er|e|es|ent|erait|eraient|era|cation)\b|reper\w* .{0,40}(personnes|individus)|personnes? recherchees?|retrouver (une |la |des )?personnes?|identification biometrique|reconnaissance faciale .{0,40}(foule|a distance)",
    ),
    _rule(
        "biometrie",
        "identification",
        r"reconnaissance faciale|reconnaissance biometrique|reconnai\w* (les |des )?(visages|personnes|individus)|reconnai\w* [^.;]{0,40}\b(le |les |leurs? |son |du |des )?visages?\b|(accueillir|saluer|appeler) [^.;]{0,40}par (leur|son) nom",
        LOW,
    ),
    _rule(
        "biometrie",
        "verification",
        r"verifi\w* (de |par )?(l'|son |sa |leur |les |la )?(identite|empreinte|visage)|confirm\w* .{0,80}(identite|qu'il (declare|pretend)|qu'elle (declare|pretend)|celui qu|celle qu)|authentifi\w*|deverrouill\w*|\b1:1\b|un a un|correspond\w* (a|au|avec) (son|sa|leur|la|le) (badge|carte|photo|titre|identite|profil enregistre)",
    ),
    _rule(
        "biometrie",
        "verification",
        r"control\w* (d'|de l'|l')?(acces|entree)|(acces|entree) .{0,60}(par|grace a) (l'|la |le |une? )?(empreinte|reconnaissance faciale|visage|iris)",
        LOW,
    ),
    _rule(
        "biometrie",
        "categorisation",
        r"(estim|dedui|determin|evalu|devin|infer)\w* (l'|leur |son |sa |le )?(age|sexe|genre|taille|poids|origine)\b.{0,100}(photos?|visages?|voix|images?|silhouettes?)|categorisation biometrique|(categoris|class|tri)\w* .{0,60}(a partir|sur la base|en fonction) (des|de leurs?|de ses) (photos?|visages?|images?|caracteristiques physiques|donnees biometriques|voix)",
    ),
    _rule(
        "donnees_biometriques",
        YES,
        r"\b(visages?|faciale?s?|empreintes? digitales?|empreintes?|iris|biometri\w*|reconnaissance vocale|empreinte vocale|morphologi\w*|demarche)\b",
    ),
    _rule("donnees_biometriques", YES, r"\b(cameras?|videoprotection|videosurveillance|webcams?)\b", LOW),
    _rule("temps_reel", YES, r"temps reel|en direct|instantane\w*|en continu"),
    _rule(
        "temps_reel",
        NO,
        r"a posteriori|enregistrements?|images? enregistrees|archives? video|apres (coup|les faits)",
        negatable=False,
    ),
    _rule(
        "espace_public",
        YES,
        r"espaces? (publics?|accessibles? au public)|voie publique|\brues?\b|foule|abords|places? publiques?|parvis|gares?|transports? (en commun|publics)|accueil du public|hall",
    ),
    _rule(
        "fins_repressives",
        YES,
        r"\b(police|gendarmerie|forces de l'ordre|repressi\w*|personnes? recherchees?|suspects?|auteurs? d'infractions?|enquetes? (penales?|judiciaires?)|poursuites|infractions? penales?)\b",
    ),
    _rule(
        "exception_repressive",
        YES,
        r"recherche ciblee|victimes? (d'enlevement|de la traite)|traite des etres humains|personnes? disparues?|menace (terroriste )?(imminente|reelle et actuelle)|attentat|autorisation (prealable )?(d'un juge|judiciaire|d'une autorite judiciaire)",
    ),
    _rule(
        "appui_evaluation_humaine",
        YES,
        r"faits objectifs et verifiables|a l'appui d'une evaluation humaine|directement lies? a une activite criminelle",
    ),
    # -- critical infrastructure safety components (annex III 2; art. 6(1a) as amended)
    _rule(
        "composant_securite",
        YES,
        r"pilot\w* .{0,40}(feux|trafic|circulation|reseaux?|vannes|tunnels?|signalisation|eclairage|ventilation|barrieres|pompes|voies)|regul\w* .{0,40}(trafic|circulation|voies|feux|acces)|feux tricolores|signalisation dynamique|ferm\w* .{0,40}(tunnels?|routes?|voies?|ponts?)|ventilation|declench\w* .{0,40}(fermeture|ventilation|feux|signalisation|panneaux|messages? variables|barrieres|vannes|delestage|evacuation)|(commande|actionne)\w* .{0,30}(vannes|reseaux?|barrieres)|securite des (usagers|automobilistes|personnes)|composants? de securite|gestion du trafic|distribution d'(eau|electricite|gaz)",
    ),
    _rule(
        "composant_securite",
        NO,
        r"planifi\w*|programmes? (annuels?|de travaux|de renouvellement)|statistiques?|optimis\w*|efficacite|budget\w*|rapports?|confort|assistance aux usagers|controle qualite",
        LOW,
        negatable=False,
    ),
    _rule(
        "composant_produit",
        YES,
        r"composants? de securite .{0,80}(machines?|vehicules?|ascenseurs?|jouets?|dispositifs? medica\w*|equipements?|appareils?|produits?)|marquage ce|evaluation de (la )?conformite|dispositifs? medica\w*",
    ),
    # -- prohibited practices (art. 5(1))
    _rule(
        "notation_sociale",
        YES,
        r"(scores?|notes?|notation|classements?|indices?)\b[^.;]{0,60}(fiabilite|citoyen\w*|civi\w*|comportement social|incivilit\w*|reputation|merite)|(fiabilite|civisme) citoyen\w*|credit social|(comportements?|activites?) (sociaux|social|sur les reseaux sociaux)[^.;]{0,100}(scores?|notes?|acces)",
    ),
    _rule(
        "manipulation_subliminale",
        YES,
        r"sublimina\w*|imperceptibl\w*|a (leur|son) insu|techniques? (manipulatri|trompeu)\w*|manipul\w* .{0,40}(comportements?|decisions?|usagers|personnes|choix)",
    ),
    _rule(
        "exploitation_vulnerabilites",
        YES,
        r"(exploit\w*|jouant sur|en jouant sur|profit\w* de|tirer parti de|abus\w* de) .{0,40}(vulnerabilit\w*|confusion|isolement|fragilit\w*|handicap|\bage\b|precarite|detresse|dependance|difficultes)|(dissuad|decourag|pouss)\w* .{0,60}(personnes (agees|handicapees|vulnerables|fragiles|en situation de (handicap|precarite))|mineurs|enfants)"
        # deceiving or frightening people vulnerable by age, disability or situation (art. 5(1)(b))
        rf"|{_VULNERABLE}[^.;]{{0,160}}{_DECEIT}|{_DECEIT}[^.;]{{0,160}}{_VULNERABLE}",
    ),
    _rule(
        "prediction_infraction",
        YES,
        r"(probabilite|risque|prediction|predire|prevoir|score)\w* .{0,40}(commettre|recidive|delinquance|passage a l'acte|criminalite)|(commettre|commission d') (un |une )?(delit|infraction|crime)",
    ),
    _rule(
        "moissonnage_visages",
        YES,
        r"(collect|moissonn|aspir|extrai|recuper|scrap|telecharg|aggreg)\w* .{0,80}(internet|reseaux sociaux|\bweb\b|en ligne|videosurveillance|videoprotection) .{0,80}(visages?|photos?|images? faciales?)|(collect|moissonn|aspir|extrai|recuper|scrap)\w* .{0,40}(visages?|photos?|images? faciales?) .{0,80}(internet|reseaux sociaux|\bweb\b|en ligne|videosurveillance|videoprotection)",
    ),
    _rule(
        "images_intimes",
        YES,
        r"(images?|photos?|videos?|contenus?|montages?)\w* .{0,30}(denude\w*|\bnue?s?\b|intimes?|sexuel\w*|pornographi\w*|deshabill\w*)|pedopornograph\w*|abus sexuels? (sur|d'|de) (mineurs|enfants)",
    ),
    _rule("consentement_explicite", NO, r"sans (leur|son|le) consentement", negatable=False),
    _rule("consentement_explicite", YES, r"avec (leur|son) consentement (explicite|ecrit|libre)"),
    # -- exclusions (art. 2)
    _rule("usage_militaire", YES, r"militaires?|defense nationale|armees?|securite nationale|fins de defense"),
    _rule(
        "recherche_uniquement",
        YES,
        r"(seule|unique|exclusive)s? fins? de recherche|a des fins de recherche scientifique|uniquement (a des fins de |pour la )?recherche|laboratoires? (universitaires?|de recherche)",
    ),
    _rule(
        "essai_avant_mise_en_service",
        YES,
        r"prototypes?|(teste|testee|essais?|tests?)\w* .{0,40}(en laboratoire|sur des donnees fictives)|sans (aucune )?mise en service|avant (sa |la |toute )?(mise en service|mise sur le marche|mise en production)",
        negatable=False,
    ),
    _rule("essai_avant_mise_en_service", NO, r"essais? en conditions reelles|en production|mis en service|deploy\w*"),
    _rule(
        "usage_personnel",
        YES,
        r"chez (lui|elle|soi|eux)|a titre (prive|personnel)|(usage|activite|cadre) (strictement )?(personnel|prive)\w*|non professionnel\w*|pour (ses|leurs|mes) loisirs",
    ),
    _rule(
        "licence_libre",
        YES,
        r"(publi|diffus|partag|liber|ouvr|rend|mett|mis)\w*\b[^.;]{0,60}\b(sous (une )?licence (libre|ouverte|open source)|en open source|en source ouverte|en code source ouvert)",
    ),
)
# English descriptions (the model reads them too; these rules are a safety net from the AI Act's
# English wording, e.g. for the external benchmark): same facts, same strengths.
_EN_PEOPLE = r"(applicants?|candidates?|employees?|workers?|staff|students?|pupils?|people|persons?|individuals?|customers?|citizens?|claimants?|beneficiar\w+|patients?|users?|tenants?|borrowers?|callers?|residents?|drivers?|passengers?)"
_EN_PEOPLE_OBJ = (
    r"(applicants?|candidates?|employees?|workers?|staff|students?|pupils?|people|persons?|individuals?|customers?|citizens?|"
    r"claimants?|beneficiar\w+|patients?|tenants?|borrowers?|callers?|residents?|drivers?|migrants?|travell?ers?|"
    r"famil(y|ies)|households?|parents?|children|minors|seniors|recipients?|"
    r"asylum seekers?|suspects?|offenders?|witnesses?|defendants?|victims?|teachers?|(job |loan |benefit |credit |visa |asylum )?applications?|"
    r"claims?|(emergency )?calls?|cases?|evidence|statements?|premiums?|creditworthiness|eligibility|risks? of \w+|the (probability|likelihood|risk)|"
    r"recidivism|re-?offend\w*|(appropriate )?level of education|parole)"
)
RULES_EN: tuple[Rule, ...] = (
    _rule(
        "relecture_humaine",
        NO,
        r"(with )?no (human )?(editor|reviewer|review|editing|proofreading)\b|without (any )?(human |editorial )?(review|editing|proofreading|editor)|published automatically|automatically published",
        negatable=False,
    ),
    _rule(
        "relecture_humaine",
        YES,
        r"(reviewed|edited|proofread|checked|validated|approved) by (an? |the )?(editor|staff|officer|human|person|team|clerk|communications? team)|editorial (responsibility|control|review)",
    ),
    _rule(
        "decision_sur_personnes",
        NO,
        r"without (grading|scoring|ranking|assessing|evaluating|judging|deciding)|no decisions? (is|are) (made|taken)|(does|do|will|would) not (grade|score|rank|assess|evaluate|decide)",
        negatable=False,
    ),
    _rule(
        "decision_sur_personnes",
        YES,
        r"\b(triag\w*|dispatch\w*|prioriti[sz]\w*) [^.;]{0,30}\b(calls?|patients?|ambulances?|interventions?|emergenc\w*)|\b(stop|suspend|withh[oe]ld|cut|reduc)\w* [^.;]{0,20}\b(payments?|benefits?|allowances?|subsid\w*)",
    ),
    _rule(
        "interagit_avec_personnes",
        YES,
        r"\bchat\w* (with|to)\b|\b(talk|speak)\w* (with|to) (users|residents|pupils|students|citizens|people|customers|visitors|callers|the public)|\b(ai|virtual|online|chat) tutors?\b",
    ),
    _rule(
        "finalite_definie",
        YES,
        r"\b(flag\w*|chat\w*|rout(e|es|ed|ing)|revis\w*|help\w* (them|users|residents|pupils|students|staff|parents|families)|switch\w*|sort\w*|draft\w*|writ\w*|publish\w*)\b",
        negatable=False,
    ),
    _rule(
        "finalite_definie",
        YES,
        r"\bintended use\b|spell[- ]?check\w*|grammar[- ]check\w*|\b(photo|image|video)[- ]edit\w*|\bedit\w*|\b(chatbot|voice assistant|virtual assistant)s?\b|\b(classif|detect|predict|generat|recogni[sz]|identif|rank|scor|screen|monitor|translat|summari[sz]|transcrib|recommend|optimi[sz]|forecast|answer|analy[sz]|assess|evaluat|allocat|filter|grade|track|verif|authenticat|dispatch|triage|estimat|control|schedul|route|match)\w*",
        negatable=False,
    ),
    _rule(
        "systeme_ia",
        YES,
        r"\b(ai|artificial intelligence|machine learning|neural network|deep learning|language model|llm)\b",
        LOW,
    ),
    _rule(
        "systeme_ia",
        NO,
        r"rule-based only|fixed rules? (defined|set) by|no machine learning|without any (ai|machine learning)",
        negatable=False,
    ),
    _rule(
        "fournisseur",
        YES,
        r"acts as the provider|\bwe (develop|build|train)\b|develops? and (sells|markets|places)|places? (it )?on the market",
    ),
    _rule(
        "domaine",
        "emploi_rh",
        r"\b(recruit\w*|hiring|job (applicants?|candidates?|applications?|postings?|ads?)|resumes?|cvs?|curriculum|promotions?|dismissal|termination|employee (performance|monitoring|evaluation|productivity)|task allocation|workforce management|human resources|\bhr\b|workplace|gig workers?)\b",
    ),
    _rule(
        "domaine",
        "education",
        r"\b(education\w*|students?|pupils?|schools?|universit\w+|admissions?|exams?|examinations?|grading|proctor\w*|learning outcomes?|classroom|vocational training)\b",
    ),
    _rule(
        "domaine",
        "prestations_sociales",
        r"\b(welfare|social[- ](benefits?|assistance|security|services?)|public (assistance|benefits?)|essential (public|private) services|benefit (eligibility|claims?|applications?)|unemployment benefits?|housing (benefits?|assistance)|healthcare services eligibility|disability (benefits?|allowance)|subsid(y|ies|ised|ized)|allowances?|means-tested|financial (aid|assistance|support)|(home|elderly|child|foster) care|child protection|social workers?|caseworkers?)\b",
    ),
    _rule(
        "domaine",
        "services_essentiels",
        r"\b(credit\w*|loans?|creditworth\w*|lending|mortgage|life insurance|health insurance|insurance (pricing|premiums?|risk))\b",
    ),
    _rule(
        "domaine",
        "urgences",
        r"\b(emergency (calls?|services?|dispatch|response)|dispatch\w* (of )?(ambulances?|police|firefighters)|patient triage|911|112)\b",
    ),
    _rule(
        "domaine",
        "infrastructures_critiques",
        r"\b(road traffic|traffic[- ](lights?|signals?|management|control)|road junctions?|tunnels?|(water|gas|natural-gas|electricity|power|heating|district heating) (supply|distribution|network|grid|pipelines?)|distribution of (electricity|water|gas)|electricity|power grid|critical (digital )?infrastructure)\b",
    ),
    _rule(
        "domaine",
        "maintien_ordre",
        r"\b(law[- ]enforcement|police|policing|criminal (investigations?|offen[cs]es?)|crime|suspects?|offenders?|recidivism)\b",
    ),
    _rule(
        "domaine",
        "interne",
        r"\b(internal|office (software|suite|tools?)|back[- ]office|e-?mails?|meeting (minutes|notes)|minutes|invoices?|accounting|archives?|spell[- ]?check\w*)\b",
        LOW,
    ),
    _rule(
        "domaine",
        "migration",
        r"\b(migration|migrants?|asylum|border (control|management|crossings?)|visas?|residence permits?)\b",
    ),
    _rule(
        "domaine",
        "justice",
        r"\b(courts?|judicial|judges?|legal rulings?|sentencing|elections?|voting|voters?|referendum|electoral)\b",
    ),
    _rule(
        "decision_sur_personnes",
        YES,
        r"\btarget\w* (job )?(ads|advertisements|postings|vacancies)|\bjob (ads|advertisements|postings|vacancies) [^.;]{0,30}(shown|targeted|displayed|sent) (only )?to\b|\badaptive learning|\b(adapted|tailored|personali[sz]ed) to (each |the |their )?(pupil|student|learner)?('?s)? ?(results|level|performance|progress|answers)|\b(personali[sz]|adapt|tailor)\w* [^.;]{0,40}\b(learning (paths?|process)|practice (problems|exercises)|exercises|lessons|curricul\w*|difficulty|to each (student|pupil|learner))|\b(recommend|propos|suggest|decid)\w* [^.;]{0,20}\b(approval|refusal|rejection|denial|award|amount|grant(ing)?|eligibility|entitlement|sanctions?)s?\b|\b(approve|refuse|reject|grant|award)s? or (approve|refuse|reject|deny|grant|award)",
    ),
    _rule(
        "decision_sur_personnes",
        YES,
        rf"\b(flag\w*|sort\w*|discard\w*|determin\w*|rank\w*|scor\w*|screen\w*|filter\w*|select\w*|evaluat\w*|assess\w*|grad\w*|shortlist\w*|approv\w*|den(y|ies|ial|ying)|reject\w*|allocat\w*|assign\w*|prioriti[sz]\w*|hire|hiring|fire|promot\w*|monitor\w*|track\w*|classif\w*|profil\w*|predict\w*|verif\w*|examin\w*|decid\w*|calculat\w*|set\w*|price\w*)\s+([\w'-]+\s+){{0,3}}?{_EN_PEOPLE_OBJ}\b|\beligib\w*|creditworth\w*|credit scor\w*|exam proctor\w*|cheating|(assist|support|help)\w* ([\w-]+ ){{0,2}}(judges?|courts?|prosecutors?|judicial authorities|police|officers?|caseworkers?|border (guards?|authorities))|(for|by) (the )?(judges?|courts?|prosecutors?|police|law-enforcement|border (guards?|authorities))\b|judicial decisions?|legal reasoning|verdicts?|reliability of .{{0,40}}evidence",
    ),
    _rule(
        "decision_automatisee",
        "totale",
        r"fully automat\w*|without (any )?human (review|intervention|oversight)|with no human (review|intervention|oversight)|automatically (approv|den|reject|decid)\w*",
        negatable=False,
    ),
    _rule(
        "decision_automatisee",
        "aide",
        r"human (review|reviewer|oversight|in the loop)|(assist|support)\w* .{0,30}(decisions?|caseworkers?|officers?|recruiters?|staff)|recommendations? to|(recommend|propos|suggest)\w* [^.;]{0,40}\bto the (caseworker|officer|case officer|social worker|committee|panel|jury|recruiter|teacher|judge)",
        negatable=False,
    ),
    _rule(
        "profilage",
        YES,
        r"\bprofil(e|es|ing)\b|personality\w*|psychometric|behaviou?ral (data|patterns|profiles?)|risk scor\w*",
    ),
    _rule(
        "tache_procedurale_etroite",
        YES,
        r"\b(ocr|digiti[sz]\w*|convert\w* [^.;]{0,30}(documents?|forms?)|extract\w* [^.;]{0,30}(fields|data|text)|deduplicat\w*|format\w* documents?)\b",
        negatable=False,
    ),
    # A tool that also proposes, ranks or drafts the outcome is not confined to a narrow or preparatory
    # task (art. 6(3) a) and d)): stated beside a narrow task, the two give a question, not a derogation.
    _rule(
        "tache_procedurale_etroite",
        NO,
        r"\b(suggest|recommend|propos|draft)\w* [^.;]{0,30}(arguments?|decisions?|outcomes?|rulings?|judgments?|sentences?|verdicts?|amounts?|plans?|grades?|scores?|eligibility)\b|\b(rank|scor|shortlist|approv|reject|den(y|ies))\w* [^.;]{0,30}(applicants?|candidates?|claims?|applications?|individuals?|people|persons?)\b",
        negatable=False,
    ),
    _rule(
        "interagit_avec_personnes",
        YES,
        r"chatbots?|virtual (assistants?|agents?|tutors?|companions?|advisors?)|conversational|voice (assistants?|bots?)|interacts? (directly )?with (users|customers|people|citizens|the public|patients|students)|answers? (questions|queries) (from|of)|customer (service|support) (bot|agent)",
    ),
    _rule(
        "genere_contenu",
        YES,
        r"\bgenerat\w* .{0,30}(text|images?|videos?|audio|content|articles?|music|speech|media|voices?)|text-to-(image|speech|video)|synthetic (media|content|images?|videos?|audio|voices?)",
    ),
    _rule("genere_contenu", YES, r"\bgenerative\b", LOW),
    _rule(
        "contenu_hypertrucage",
        YES,
        r"(realistic|photorealistic|lifelike|convincing)\b[^.;]{0,30}\b(videos?|images?|photos?|pictures?|audio|voices?|recordings?|footage) (of|showing|depicting|featuring)\b|deep ?fakes?|face[- ]swap\w*|voice clon\w*|clon\w* .{0,20}voices?|(realistic|photorealistic|lifelike) .{0,40}(real|existing|actual) (people|persons|individuals|places|events)|impersonat\w*",
    ),
    _rule(
        "publication_externe",
        YES,
        r"publish\w*|social media|broadcast\w*|news (articles?|outlets?)|public(ly)? (shared|released|distributed)|to the public",
    ),
    _rule(
        "raison_medicale_ou_securite",
        YES,
        r"medical (reasons?|purposes?|monitoring)|therapeutic|safety reasons?|for (driver|pilot|worker) safety|(fatigue|drowsiness) detection",
    ),
    _rule(
        "biometrie",
        "identification",
        r"(facial|face) recognition .{0,60}(identif\w*|crowds?|public|cctv|match\w* against|watchlists?)|remote biometric identification|identif\w* .{0,40}(individuals|people|persons|suspects) .{0,40}(faces?|biometric|cctv|footage)|match\w* faces? against",
    ),
    _rule(
        "biometrie",
        "identification",
        r"identif\w* (every|all|each|the|individual)? ?(travell?ers?|visitors?|people|individuals|persons|customers|shoppers|guests|passengers|faces|suspects)\b",
    ),
    _rule(
        "biometrie",
        "identification",
        r"facial recognition|face recognition|biometric identification|recogni[sz]\w* [^.;]{0,40}\bfaces?\b|(greet|address|call)\w* [^.;]{0,40}by (their |his |her )?names?",
        LOW,
    ),
    _rule(
        "biometrie",
        "verification",
        r"(verif\w*|authenticat\w*|confirm\w*) .{0,30}(identity|identities|that (a|the) (person|user|employee))|biometric (login|unlock|authentication)|\b1:1\b|\b(face|fingerprint|iris|voice)s? (matches|corresponds to) (the |his |her |their )?(photo|picture|template|badge|id|passport|record)|(check|compar)\w* [^.;]{0,40}\b(face|fingerprint|iris)\b[^.;]{0,40}\b(against|with|to) (the |his |her |their )?(photo|picture|template|badge|id card|passport)",
    ),
    _rule(
        "biometrie",
        "categorisation",
        r"biometric categori[sz]ation|(infer|estimat|predict|determin|classif|categori[sz])\w* .{0,40}(age|gender|sex)\b .{0,60}(faces?|images?|photos?|voices?|video)",
    ),
    _rule("donnees_biometriques", YES, r"\b(facial|faces?|fingerprints?|iris|biometric\w*|voiceprints?|gait)\b"),
    _rule("donnees_biometriques", YES, r"\b(cctv|cameras?|video surveillance|webcams?)\b", LOW),
    _rule("temps_reel", YES, r"real[- ]time|\blive\b|instantly"),
    _rule(
        "temps_reel",
        NO,
        r"recorded (footage|video)|post[- ]event|retrospective\w*|after the (fact|event)",
        negatable=False,
    ),
    _rule(
        "espace_public",
        YES,
        r"public (spaces?|areas?|places?|squares?|transport)|publicly accessible|streets?|crowds?|stadiums?|train stations?|shopping (centres?|centers?|malls?)|airports?",
    ),
    _rule(
        "fins_repressives",
        YES,
        r"law[- ]enforcement|police|policing|criminal investigations?|suspects?|wanted (persons?|individuals?)",
    ),
    _rule(
        "exception_repressive",
        YES,
        r"missing (persons?|children)|victims? of (abduction|trafficking)|imminent (terrorist )?threat|terrorist attack|judicial authori[sz]ation",
    ),
    _rule(
        "composant_securite",
        YES,
        r"safety component|traffic[- ]lights?\b[^.;]{0,20}\b(control|switch|manag|operat)\w*|switch\w* (the )?(traffic[- ])?lights|(clos|shut)\w* (the )?tunnels?|(control|manag|operat|isolat|shut)\w* .{0,40}(traffic[- ](lights?|signals?|flow)|valves?|(water|gas|natural-gas|power|electricity|heating) (supply|distribution|network|grid|pipelines?)|distribution of (electricity|water|gas)|power grid|faulty sections)",
    ),
    _rule(
        "composant_securite",
        NO,
        r"\b(forecast\w*|planning|statistics?|reports?|dashboards?|optimi[sz]\w*|efficiency|demand prediction)\b",
        LOW,
        negatable=False,
    ),
    _rule(
        "composant_produit",
        YES,
        r"safety component|conformity assessment|type-approval|ce marking|medical devices?|product safety|machinery (regulation|directive)|\b(autonomous|automated) (vehicles?|braking|driving|surgical|railway|machinery)",
    ),
    _rule(
        "notation_sociale",
        YES,
        r"(reputation|behaviou?r(al)?|social[- ]media|online|civic|citizen|loyalty) (scor\w*|ratings?|rankings?)|(low|lower)[- ](scoring|ranking|rated) (citizens|users|tenants|people|candidates|customers)|(social[- ]media|online) (habits|behaviou?r\w*|activity|reputation|posts)\b.{0,80}\b(scor\w*|rank\w*|rating|block\w*|den(y|ies)|reduc\w*|lower\w*|exclu\w*)|(scor\w*|rank\w*|rating|block\w*|den(y|ies)|reduc\w*|lower\w*)\b.{0,80}\b(social[- ]media|online) (habits|behaviou?r\w*|activity|reputation)|social (scor\w*|credit)|trustworthiness scor\w*|citizen (scor\w*|ratings?)|(scor\w*|rat\w*|rank\w*) .{0,60}(social behaviou?r|personal characteristics|personality)",
    ),
    _rule(
        "manipulation_subliminale",
        YES,
        r"(hidden|covert|subconscious|subliminal|imperceptible|inaudible|low-frequency)\b.{0,40}\b(tones?|frequenc\w*|sounds?|signals?|audio|patterns?|cues?|persuasion|influence|messages?|nudg\w*|steer\w*)|subliminal|manipulative techniques?|deceptive techniques?|without (their )?(conscious )?(awareness|knowledge)|beyond (a person's |their )?consciousness|covert(ly)? (influenc|nudg|manipulat)\w*|(nudg|influenc)\w* .{0,60}(unconscious|subconscious)",
    ),
    _rule(
        "exploitation_vulnerabilites",
        YES,
        r"(manipulat|exploit|pressur|target)\w* .{0,30}(low-income|poor|elderly|older|vulnerable|disabled|lonely|indebted|children|minors|teenagers)\b|(economic|financial|age-related|cognitive) vulnerabilit\w*|exploit\w* .{0,60}(vulnerab\w*|elderly|children|minors|disabilit\w*|poverty|financial (distress|hardship)|socio-?economic|loneliness|cognitive decline|addiction)|(target\w*|manipulat\w*) .{0,40}(vulnerable|elderly|children|minors|people with disabilities)",
    ),
    _rule(
        "prediction_infraction",
        YES,
        r"(predict\w*|assess\w*|forecast\w*|estimat\w*|scor\w*) .{0,40}(likelihood|risk|probability) .{0,30}(of |that )?(\w+ )?(will )?(committing|commit|re-?offend\w*|criminal|crime)|(likely|predicted|expected) to (commit|become|re-?offend)\b|predictive policing|criminal risk|recidivism",
    ),
    _rule(
        "moissonnage_visages",
        YES,
        r"(scrap|harvest|crawl|collect|extract|aggregat)\w*\b.{0,100}\b(facial|faces?|photos?|images?|videos?)\b.{0,120}\b(facial[- ]recognition|biometric|face) (database|repository|dataset|library)|(facial[- ]recognition|biometric|face) (database|repository|dataset)\b.{0,120}\b(scrap|harvest|crawl)\w*|(scrap|harvest|crawl)\w* .{0,60}(facial images|face images|faces|photos) .{0,60}(internet|web|online|social media|social networks|blogs|cctv)|untargeted scraping|facial[- ]image scraper",
    ),
    _rule(
        "categorisation_sensible",
        YES,
        r"(infer|deduc|determin|classif|categori[sz]|predict)\w* .{0,60}(race|racial|ethnic\w*|religio\w*|political (opinions?|views|affiliation)|sexual orientation|sex life|trade union|philosophical beliefs)",
    ),
    _rule(
        "images_intimes",
        YES,
        r"\b(nude|naked|nudif\w*|undress\w*|intimate images?|sexually explicit|pornograph\w*)\b|child sexual abuse|\bcsam\b",
    ),
    _rule("usage_militaire", YES, r"\bmilitary\b|national (defen[cs]e|security)|armed forces"),
    _rule(
        "recherche_uniquement",
        YES,
        r"(solely|exclusively|only) for (the purpose of )?scientific research|scientific research (only|purposes only)",
    ),
    _rule(
        "essai_avant_mise_en_service",
        YES,
        r"\bprototype\b|before (being )?(placed on the market|put into service|deployment)|(lab|laboratory) test\w*",
        negatable=False,
    ),
    _rule(
        "usage_personnel",
        YES,
        r"purely personal|personal,? non-professional|non-professional (use|activity)|for (his|her|their|my) (own )?(personal use|hobby)|\bat home\b(?! (care|help|visits?))|in (his|her|their|my) (free|spare) time|\b(holiday|family|private) (pictures|photos|videos)|\bprivately\b|in a private capacity",
    ),
    _rule(
        "licence_libre",
        YES,
        r"(releas|publish|distribut|shar|mak|mad|open-sourc)\w*\b[^.;]{0,60}\b(under (an? )?(free and )?(open[- ]source|open|free) licen[cs]e|as (free and )?open[- ]source( software)?)\b",
    ),
)
_EN_WORDS = re.compile(r"\b(the|and|of|to|with|for|is|are|our|this|that|which|by|from|their)\b")
_FR_WORDS = re.compile(r"\b(le|la|les|des|du|et|pour|avec|une|un|nous|qui|dans|sur|aux|au)\b")


def is_english(t: str) -> bool:
    """English description (folded text): the English rules apply only then."""
    return len(_EN_WORDS.findall(t)) > len(_FR_WORDS.findall(t))


_HYPHENS = re.compile("[\u2010-\u2015\u2212]")
_NEGATION = re.compile(r"\b(sans|pas|aucune?|ni|jamais|non|without|not|no|never)\b(\s+[^\s]+){0,2}\s*$")


@dataclass
class Finding:
    value: object
    strength: int
    evidence: str = ""


@dataclass
class KeywordFacts:
    values: dict[str, Finding]
    conflicts: list[str]  # facts the description states both ways

    def plain(self) -> dict[str, object]:
        return {k: f.value for k, f in self.values.items()}


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATION.search(text[max(0, start - 24) : start]))


def about_ai_use(text: str) -> bool:
    """The description speaks of a tool, a system or an automated use (else nothing to assess)."""
    return bool(re.search(_TECH, fold(text)))


def keyword_facts(text: str) -> KeywordFacts:
    """Facts stated by the description, found by French patterns on the folded text."""
    t = _HYPHENS.sub("-", fold(text))
    hits: dict[str, list[Finding]] = {}
    domains: dict[str, Finding] = {}
    english = is_english(t)
    for rule in RULES_EN if english else RULES:
        for m in rule.pattern.finditer(t):
            value = rule.value
            if rule.negatable and _negated(t, m.start()):
                if FACTS[rule.fact].values != TRI or value != YES:
                    continue
                value = NO
            finding = Finding(value, rule.strength, m.group(0)[:80])
            if rule.fact == "domaine":
                if value not in domains or domains[value].strength < rule.strength:
                    domains[value] = finding
            else:
                hits.setdefault(rule.fact, []).append(finding)
            break  # one finding per rule is enough
    (_composite_en if english else _composite)(t, hits)
    values: dict[str, Finding] = {}
    conflicts: list[str] = []
    for fact, found in hits.items():
        best = max(f.strength for f in found)
        top = {str(f.value): f for f in found if f.strength == best}
        if len(top) > 1:
            conflicts.append(fact)
            values[fact] = Finding(UNKNOWN, best, " / ".join(f.evidence for f in top.values()))
        else:
            values[fact] = next(iter(top.values()))
    if domains:
        best = max(f.strength for f in domains.values())
        values["domaine"] = Finding(
            sorted(domains, key=DOMAINS.index), best, " / ".join(f.evidence for f in domains.values())
        )
    _defaults(values)
    return KeywordFacts(values, conflicts)


def _composite(t: str, hits: dict[str, list[Finding]]) -> None:
    """Rules that need two cues at once (emotion words with a biometric source, sensitive attributes
    inferred from biometric data, who is analysed)."""
    emo = re.search(_EMOTION, t)
    if emo and re.search(_EMOTION_SOURCE, t):
        neg = _negated(t, emo.start())
        hits.setdefault("reconnaissance_emotions", []).append(Finding(NO if neg else YES, HIGH, emo.group(0)))
        if not neg:
            _who_is_analysed(t, hits, emo)
    sens = re.search(
        rf"(dedui\w*|deduire|infer\w*|determin\w*|estim\w*|devin\w*|class\w*|categoris\w*|tri\w*)\b.{{0,80}}({_SENSITIVE})",
        t,
    )
    if sens and re.search(_BIOMETRIC_SOURCE, t):
        hits.setdefault("categorisation_sensible", []).append(Finding(YES, HIGH, sens.group(0)[:80]))
        hits.setdefault("biometrie", []).append(Finding("categorisation", HIGH, sens.group(0)[:80]))
        hits.setdefault("donnees_biometriques", []).append(Finding(YES, HIGH, sens.group(0)[:80]))


_EN_EMOTION = r"\b(emotions?|emotional( states?)?|feelings?|moods?|stress|anxiety|frustration|anger|satisfaction|engagement|sentiment|micro-?expressions?|affective)\b"
_EN_EMOTION_SOURCE = r"\b(faces?|facial|voices?|vocal|tone|video|cameras?|cctv|webcams?|footage|micro-?expressions?|physiological|biometric|heart rate|gestures?|body language)\b"
_EN_WORK = r"employees?|workers?|staff|workforce|teachers?|drivers?|agents?|operators?|workplace|students?|pupils?|learners?|classrooms?|lectures?|schools?|exams?"
_EN_PUBLIC = r"shoppers?|customers?|consumers?|commuters?|passengers?|travell?ers?|visitors?|patients?|citizens?|users?|guests?|audiences?|viewers?|players?|fans?"


def _composite_en(t: str, hits: dict[str, list[Finding]]) -> None:
    """English twin of `_composite`."""
    emo = re.search(_EN_EMOTION, t)
    if emo and re.search(_EN_EMOTION_SOURCE, t) and "text" not in t[max(0, emo.start() - 30) : emo.end() + 30]:
        hits.setdefault("reconnaissance_emotions", []).append(Finding(YES, HIGH, emo.group(0)))
        lo, hi = max(0, emo.start() - 120), emo.end() + 120
        found = [
            (min(abs(m.start() - emo.start()), abs(m.end() - emo.end())), m.group(0))
            for m in re.finditer(rf"\b({_EN_WORK}|{_EN_PUBLIC})\b", t[lo:hi])
        ]
        if found:
            who = min(found)[1]
            work = re.fullmatch(_EN_WORK, who)
            hits.setdefault("contexte_travail_ou_ecole", []).append(Finding(YES if work else NO, HIGH, who))
    sens = re.search(
        r"(infer|deduc|determin|classif|categori[sz]|predict|group)\w*\b.{0,80}\b(race|racial|ethnic\w*|religio\w*|political (opinions?|views|affiliation)|sexual orientation|sex life|trade-union|trade union|philosophical beliefs)",
        t,
    )
    if sens and re.search(r"\b(faces?|facial|photos?|images?|voices?|biometric\w*|video|cameras?)\b", t):
        for fact, value in (
            ("categorisation_sensible", YES),
            ("biometrie", "categorisation"),
            ("donnees_biometriques", YES),
        ):
            hits.setdefault(fact, []).append(Finding(value, HIGH, sens.group(0)[:80]))


def _who_is_analysed(t: str, hits: dict[str, list[Finding]], emo: re.Match[str]) -> None:
    """Workers or pupils (art. 5(1)(f)) or members of the public: the person noun nearest to the
    emotion cue ("le visage des agents pour détecter leur stress", "les expressions des usagers")."""
    lo, hi = max(0, emo.start() - 100), emo.end() + 100
    people = re.compile(rf"\b({_PERSONS_WORK}|{_PERSONS_SCHOOL}|{_PERSONS_PUBLIC})\b")
    found = [
        (min(abs(m.start() - emo.start()), abs(m.end() - emo.end())), m.group(1)) for m in people.finditer(t, lo, hi)
    ]
    if found:
        who = min(found)[1]
        work = re.fullmatch(rf"{_PERSONS_WORK}|{_PERSONS_SCHOOL}", who)
        hits.setdefault("contexte_travail_ou_ecole", []).append(Finding(YES if work else NO, HIGH, who))
    elif re.search(
        r"en (classe|teletravail|reunion de service)|au travail|sur (le|son|leur) lieu de travail|pendant les cours", t
    ):
        hits.setdefault("contexte_travail_ou_ecole", []).append(Finding(YES, HIGH, "lieu de travail ou classe"))


def _defaults(values: dict[str, Finding]) -> None:
    """What a description that says what the tool does implies about what it does not do.

    When a concrete task is described, functions it does not mention are presumed absent
    (weakest strength: the model or the caller override them without contradiction)."""
    functions = (
        "interagit_avec_personnes",
        "genere_contenu",
        "reconnaissance_emotions",
        "decision_sur_personnes",
        "biometrie",
    )
    if any(
        values[n].strength == HIGH and values[n].value not in (NO, UNKNOWN, "aucune") for n in functions if n in values
    ):
        values["finalite_definie"] = Finding(YES, HIGH, "fonction décrite")  # a described function is a defined purpose
    task = values.get("finalite_definie")
    if not task or task.value != YES:
        return
    for name in (
        "fins_repressives",
        "fournisseur",
        "decision_sur_personnes",
        "interagit_avec_personnes",
        "genere_contenu",
        "contenu_hypertrucage",
        "publication_externe",
        "reconnaissance_emotions",
        "profilage",
        "notation_sociale",
        "manipulation_subliminale",
        "exploitation_vulnerabilites",
        "prediction_infraction",
        "moissonnage_visages",
        "categorisation_sensible",
        "images_intimes",
        "usage_militaire",
        "recherche_uniquement",
        "essai_avant_mise_en_service",
        "usage_personnel",
        "licence_libre",
    ):
        values.setdefault(name, Finding(NO, DEFAULT, "non mentionné"))
    bio = values.get("donnees_biometriques")
    emotions = values.get("reconnaissance_emotions")
    explained = emotions is not None and emotions.value == YES  # the face is analysed for emotions, not identity
    if "biometrie" not in values and (bio is None or bio.strength < HIGH or bio.value == NO or explained):
        values["biometrie"] = Finding("aucune", DEFAULT, "non mentionné")
    doms = values.get("domaine")
    if doms and "infrastructures_critiques" in doms.value:  # type: ignore[operator]
        values.setdefault("composant_securite", Finding(NO, DEFAULT, "non mentionné"))
    values.setdefault("systeme_ia", Finding(YES, DEFAULT, "présumé"))
