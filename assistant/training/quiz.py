"""Quiz items for AI-literacy sessions, and the code that checks them before anyone sees them.

An item is a multiple-choice question (3–4 options) with the correct option, a short
explanation and one citation whose quote is an exact substring of an indexed passage.
`validate` is the gate of the bank and of the UI: an item is shown only if

- it has a source (doc, ref, label, non-empty quote) and the quote is in the passage;
- the correct option is supported by the evidence (the quote, with the provision's label
  and heading): its figures and dates are in it, and most of its content words;
- no distractor is supported by that same evidence;
- its options are distinct once normalised, and its question does not give the answer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from assistant.answer.cite import is_supported, numbers, terms
from assistant.text.dates import FR_DATE_FOLDED, french_dates
from assistant.text.norm import fold

LEVELS = ("débutant", "confirmé")
KINDS = ("category", "cloze", "source")


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    aliases: tuple[str, ...] = ()


TOPICS: tuple[Topic, ...] = (
    Topic("pratiques-interdites", "Pratiques interdites", ("interdit", "article 5")),
    Topic("haut-risque", "Systèmes à haut risque", ("haut risque", "annexe iii")),
    Topic("obligations-deployeur", "Obligations du déployeur", ("deployeur", "article 26")),
    Topic("transparence", "Transparence et étiquetage", ("etiquetage", "article 50")),
    Topic("calendrier", "Calendrier d'application et modifications 2026", ("dates", "2026", "modifications")),
    Topic("charte", "La charte départementale et ses 7 défis", ("defis", "charte departementale")),
    Topic("souverainete", "Souveraineté des données", ("donnees", "hebergement")),
    Topic("frugalite", "IA frugale", ("frugal", "sobriete", "ia frugale")),
    Topic("recommandations-cnil", "Recommandations de la CNIL sur l'IA générative", ("cnil", "recommandations")),
)
TOPIC_BY_SLUG = {t.slug: t for t in TOPICS}


def topic_slug(name: str) -> str | None:
    """The topic slug for a slug, a French title or an alias (case and accents ignored)."""
    f = fold(name).replace("_", "-")
    for t in TOPICS:
        if f in (t.slug, fold(t.title)) or f in t.aliases or f.replace("-", " ") in t.aliases:
            return t.slug
    hits = [t.slug for t in TOPICS if f and (f in fold(t.title) or f.replace("-", " ") in fold(t.title))]
    return hits[0] if len(hits) == 1 else None


def topics_help() -> str:
    return ", ".join(f"{t.slug} ({t.title})" for t in TOPICS)


@dataclass
class Item:
    topic: str
    level: str
    kind: str
    question: str
    options: list[str]
    answer: int  # index of the correct option
    explanation: str
    citation: dict  # {doc_id, ref, label, page, lang, quote, url, amended_by}
    evidence: str  # label + heading + quote: what the options are checked against
    context: str = ""  # cloze extract « … ____ … » shown under the question
    phrased_by: str = "gabarit"  # "gabarit" (code template) or the model's name
    corpus_version: str = ""
    id: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id:
            self.id = item_key(self)[:12]

    @property
    def correct(self) -> str:
        return self.options[self.answer]

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Item:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})


def item_key(item: Item) -> str:
    """Identity for deduplication: the normalised question, extract and correct option."""
    base = "|".join(fold(x) for x in (item.question, item.context, item.options[item.answer] if item.options else ""))
    return hashlib.sha256(base.encode()).hexdigest()


# ---------------------------------------------------------------------------- support

_NUMBER_WORDS = {
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
    "onze": 11, "douze": 12, "quinze": 15, "vingt": 20, "trente": 30, "soixante": 60,
    "two": 2, "three": 3, "six months": 6, "twelve": 12,
}  # fmt: skip
_UNITS = r"(?:mois|jours?|ans|annees|semaines|heures|months?|days?|years?)"
_WORD_NUMBER = re.compile(r"\b(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b(?= " + _UNITS + ")")


def digits(text: str) -> str:
    """Folded text with « six mois » written « 6 mois » (figures compare whatever their spelling)."""
    return _WORD_NUMBER.sub(lambda m: str(_NUMBER_WORDS[m.group(1)]), fold(text))


def _day_one(date: str) -> str:
    return re.sub(r"^1er\b", "1", fold(date))


def supported(option: str, evidence: str) -> bool:
    """Whether the evidence states the option: verbatim, or its figures and dates are in it
    and it passes the answers' support check (`cite.is_supported`)."""
    opt, ev = digits(option), digits(evidence)
    if opt and opt in ev:
        return True
    dates = {_day_one(d) for d in french_dates(option)}
    if dates:
        if not dates <= {_day_one(d) for d in french_dates(evidence)}:
            return False
        opt = FR_DATE_FOLDED.sub(" ", opt)  # the dates are checked: the rest of the option must hold too
    if not numbers(opt) <= numbers(ev):
        return False
    words = terms(opt)
    if not words:
        return bool(numbers(opt) or dates)
    return is_supported(opt, [ev])  # its figures are in the evidence: the share of content words decides


# ---------------------------------------------------------------------------- validation


def validate(item: Item, passage: str | None = None) -> list[str]:
    """Reasons (French) why the item cannot be shown; empty when it is valid.

    `passage`: the full text of the cited passage, when at hand, to check the quote is exact."""
    reasons: list[str] = []
    c = item.citation or {}
    quote = str(c.get("quote") or "").strip()
    if not quote or not c.get("doc_id") or not c.get("ref") or not c.get("label"):
        return ["aucune source citée"]
    if passage is not None and quote not in passage:
        reasons.append("la citation n'est pas un extrait exact du passage")
    if quote not in item.evidence:
        reasons.append("la citation n'est pas dans la preuve")
    if not item.question.strip():
        reasons.append("question vide")
    if not 3 <= len(item.options) <= 4:
        reasons.append("il faut 3 ou 4 options")
    if not 0 <= item.answer < len(item.options):
        return [*reasons, "réponse hors des options"]
    if any(not o.strip() for o in item.options):
        reasons.append("option vide")
    normalised = [digits(o).strip(" .;:") for o in item.options]
    if len(set(normalised)) != len(normalised):
        reasons.append("options en double")
    if not supported(item.correct, item.evidence):
        reasons.append("la bonne réponse n'est pas étayée par le passage cité")
    for i, option in enumerate(item.options):
        if i != item.answer and supported(option, item.evidence):
            reasons.append(f"le distracteur « {option} » est aussi étayé par le passage cité")
    shown = digits(item.question + " " + item.context)
    if normalised[item.answer] and normalised[item.answer] in shown:
        reasons.append("la question contient la réponse")
    if not item.explanation.strip():
        reasons.append("explication vide")
    if item.level not in LEVELS:
        reasons.append(f"niveau inconnu : {item.level}")
    if item.topic not in TOPIC_BY_SLUG:
        reasons.append(f"thème inconnu : {item.topic}")
    return reasons


def dedupe(items: Iterable[Item], seen: set[str] | None = None) -> tuple[list[Item], int]:
    """Items without duplicates (normalised question, extract and answer); how many were dropped."""
    seen = set() if seen is None else seen
    out, dropped = [], 0
    for it in items:
        key = item_key(it)
        if key in seen:
            dropped += 1
            continue
        seen.add(key)
        out.append(it)
    return out, dropped
