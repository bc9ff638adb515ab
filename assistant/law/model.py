"""The typed, frozen objects the law data files become once read and checked (see `load.py`).

Each object keeps the provision it rests on as a `Ref` (document, reference of the provision
in the index, focus words the quote should centre on).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

AI_ACT, AMENDING_ACT, CHARTER = "ai-act", "ai-act-2026-1744", "charte"
CNIL_FAQ, CNIL_ANNOTATION = "cnil-ia-generative-faq", "cnil-ia-annoter-donnees"  # the regulator's advice
DOCS = (AI_ACT, AMENDING_ACT, CHARTER, CNIL_FAQ, CNIL_ANNOTATION)
YES, NO, UNKNOWN = "oui", "non", "inconnu"
TRI = (YES, NO, UNKNOWN)
HIGH, LOW = 2, 1  # strength of a keyword finding (a stated phrase / a weak hint)
STRENGTHS = {"high": HIGH, "low": LOW}

# The conditions an obligation or a charter challenge may name in `when` (all must hold). Each is
# computed by the assessment from the facts and the decision (assess/assessor.py); the French
# description is what docs/LAW-DATA.md shows the jurist.
CONDITIONS: Mapping[str, str] = {
    "travail-ou-ecole": "le domaine est l'emploi ou les personnes analysées sont des agents ou des élèves",
    "personnes-concernees": "l'outil prend ou prépare des décisions sur des personnes, ou relève de l'annexe III, "
    "points 1, 3, 4 ou 5",
    "annexe-iii": "le niveau repose sur un point de l'annexe III",
    "annexe-iii-hors-point-2": "le niveau repose sur un point de l'annexe III autre que le point 2 "
    "(infrastructures critiques)",
    "transparence": "un cas de l'article 50 est établi",
    "supervision-humaine": "l'outil décide ou prépare des décisions sur des personnes, ou décide seul, ou le niveau est "
    "interdit, haut risque ou indéterminé",
    "decision-entierement-automatisee": "l'outil décide seul, sur des personnes ou à haut risque",
    "biometrie": "l'outil traite des données biométriques ou reconnaît des émotions",
    "haut-risque-ou-indetermine-sans-biometrie": "le niveau est haut risque ou indéterminé, sans biométrie",
    "donnees-personnelles": "l'outil traite des données personnelles (biométrie, décisions, profilage, dialogue, "
    "domaine social, emploi, éducation, urgences, police, migration)",
    "contenus-dialogue-ou-donnees-personnelles": "l'outil génère des contenus, dialogue avec des personnes ou traite "
    "des données personnelles",
    "information-des-usagers": "le niveau est « transparence », ou l'outil génère, publie, dialogue ou décide sur "
    "des personnes",
    "contenus-dialogue-ou-biometrie": "l'outil génère des contenus, dialogue avec des personnes ou traite des données "
    "biométriques",
    "pas-interdit": "le niveau n'est pas « pratique interdite »",
}


@dataclass(frozen=True)
class Ref:
    doc_id: str
    ref: str
    focus: str = ""  # words the quote should centre on (French, or English for 2026/1744)


@dataclass(frozen=True)
class Meta:
    """Who reviewed a data file, when, and against which text."""

    file: str
    reviewed_by: str
    reviewed_on: date
    basis: str


@dataclass(frozen=True)
class Level:
    id: str
    phrase: str  # inside a sentence: « relève du haut risque »
    title: str  # heading of a fiche or a case
    short: str  # a column of an evaluation table
    sentence: str  # the verdict sentence of an assessment
    rank: int  # strictness on the Act's scale (0: not on the scale)


@dataclass(frozen=True)
class Fact:
    name: str
    values: tuple[str, ...]
    label: str  # French: what the fact says (prompt, fiche)
    question: str  # French: what to ask when it is unknown
    model: bool = True  # asked to the LLM (else keywords only, or derived from a model enum)
    source: Ref | None = None
    # French yes/no question whose first-token « oui »/« non » scores judge a cued prohibited practice
    # (assess/judge.py); the practice's elements spelt out in plain words. Empty: no such judgement.
    judge: str = ""


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
    questions: Mapping[str, str] = field(default_factory=dict)  # fact → question (overrides the fact's)
    # A prohibition whose conditions are open to argument against a high-risk case (art. 5(1)(c)
    # social scoring or Annex III 5(b) credit scoring): the entries it competes with, and the
    # French question whose answer decides between them.
    arguable_with: tuple[str, ...] = ()
    arguable_question: str = ""

    @property
    def main(self) -> Ref:
        return self.refs[0]


@dataclass(frozen=True)
class Special:
    """A rule of the Act the assessment cites outside the map's entries (profiling, art. 6(2), art. 95)."""

    lead: str
    ref: Ref


@dataclass(frozen=True)
class Rule:
    fact: str
    value: str
    pattern: re.Pattern[str]
    strength: int = HIGH
    negatable: bool = True  # "sans …", "pas de …" before the match turns a "oui" into a "non"
    source: Ref | None = None
    id: str = ""


@dataclass(frozen=True)
class PracticeCue:
    """Words that evoke a prohibited practice of art. 5 without stating it: the practice can then
    not be excluded, and « minimal » or « limité » is never given until its question is answered."""

    fact: str
    pattern: re.Pattern[str]
    source: Ref | None = None
    id: str = ""
    rule: str = ""  # the [[rule]] (its id) that establishes the practice when the description states it


@dataclass(frozen=True)
class PracticeSense:
    """Plain sentences that describe a prohibited practice of art. 5 the way a project owner would,
    written from the provision and its recitals: a clause of a description close in meaning to one
    of them (sentence embeddings, assess/senses.py) evokes the practice like a `PracticeCue` does,
    for wordings no pattern foresaw. It never establishes the practice."""

    fact: str
    examples: tuple[str, ...]
    source: Ref | None = None
    id: str = ""


@dataclass(frozen=True)
class FactSense:
    """Plain sentences that describe what a system does for one value of a fact of art. 50 (it talks
    with people, it makes a real person say what they never said…), written from the
    provision and its recitals: a clause of a description close in meaning to one of them, and not
    negated (unless `negatable` is false), states the fact as the description's words would
    (assess/senses.py). For the functions
    a project owner describes without naming them (« les habitants posent leurs questions et reçoivent
    une réponse »), which the small model reads « non » more often than not."""

    fact: str
    value: str
    examples: tuple[str, ...]
    source: Ref | None = None
    id: str = ""
    negatable: bool = True  # a negated clause of the description does not state the fact


@dataclass(frozen=True)
class Cues:
    """The keyword rules of one language, in the order they are tried, and their named fragments."""

    fragments: Mapping[str, str]
    rules: tuple[Rule, ...]
    practice_cues: tuple[PracticeCue, ...] = ()
    practice_senses: tuple[PracticeSense, ...] = ()
    fact_senses: tuple[FactSense, ...] = ()


@dataclass(frozen=True)
class Obligation:
    id: str
    lead: str
    refs: tuple[Ref, ...]
    levels: tuple[str, ...]
    when: tuple[str, ...] = ()
    ground: str = ""  # an entry of the map that must be established


@dataclass(frozen=True)
class Challenge:
    id: str
    lead: str
    ref: Ref
    when: tuple[str, ...]
    quote_chars: int = 240


@dataclass(frozen=True)
class SetItem:
    """One element of a hand-written list: the provision and, optionally, its reviewed French gloss."""

    ref: Ref
    gloss: str = ""


@dataclass(frozen=True)
class SetList:
    """A list answer (lists.toml): which questions it answers and where in the texts the list is read."""

    id: str
    pattern: re.Pattern[str]  # on the folded question
    opening: str  # French sentence that opens the answer
    structure: str  # points | paragraphs | section | groups | items
    source: Ref
    items: tuple[SetItem, ...] = ()


@dataclass(frozen=True)
class Schedule:
    chapters: tuple[tuple[int, str], ...]  # (first article, chapter numeral)
    sections: Mapping[str, tuple[tuple[int, int], ...]]  # chapter → (first article, section number)
    topics: tuple[tuple[str, frozenset[str]], ...]  # (folded regex, chapters/articles it names)


@dataclass(frozen=True)
class ThesaurusTopic:
    name: str
    pattern: re.Pattern[str]
    targets: tuple[tuple[str, str], ...]  # (doc_id, ref prefix); ref "" = the whole document
    generic: bool = False  # a kind of question (dates, fines…), not a subject of the Act


@dataclass(frozen=True)
class TrainingTopic:
    slug: str
    draws_on: tuple[tuple[str, str], ...]  # (doc_id, ref prefix) of the passages the quiz is built from
    key_passages: tuple[tuple[str, str], ...]  # (doc_id, ref) quoted in the session pack


@dataclass(frozen=True)
class Law:
    meta: Mapping[str, Meta]
    levels: tuple[Level, ...]
    facts: Mapping[str, Fact]
    model_enums: Mapping[str, tuple[str, ...]]  # enum name → the facts it stands for
    entries: tuple[Entry, ...]
    special: Mapping[str, Special]
    cues_fr: Cues
    cues_en: Cues
    obligations: tuple[Obligation, ...]
    charter: tuple[Challenge, ...]
    schedule: Schedule
    topics: tuple[ThesaurusTopic, ...]
    expansions: tuple[tuple[re.Pattern[str], str], ...]
    training: Mapping[str, TrainingTopic]
    recommendations: tuple[Challenge, ...] = ()  # the CNIL's advice quoted next to the obligations
    lists: tuple[SetList, ...] = ()
