"""Verdicts taken from the evidence, not from the model (LESSONS.md, 2 and 7).

A question asking whether something is allowed, or how it is classified, gets a
sentence composed by code from the category of the provision that answers it:
an article 5(1) point is a prohibited practice, an Annex III point a high-risk use,
an article 50 paragraph a transparency obligation. The model's own sentence is then
checked against that verdict and dropped when it says the opposite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.norm import fold

_PERMISSION = re.compile(
    r"\b(peut-on|peut-il|peut-elle|peuvent-ils|peuvent-elles|pouvons-nous|puis-je|a-t-on le droit|avons-nous le droit"
    r"|est-il (permis|autorise|interdit|legal|possible)|est-elle (permise|autorisee|interdite|legale|possible)"
    r"|est-ce (permis|autorise|interdit|legal)|autorise|autorisee|interdit|interdite|permis|permise|legal|licite|a le droit)\b"
)
_CLASSIFICATION = re.compile(r"haut risque|risque eleve|classe|classification|categorie|relev|considere comme")
_POSITIVE = re.compile(r"\b(oui|permis|permise|autorise|autorisee|est possible|sont possibles|legal|licite)\b")
_NEGATION = re.compile(r"\b(non|ne|n'|pas|interdit|interdite|interdites|interdiction|prohib)")


@dataclass(frozen=True)
class Verdict:
    kind: str  # "interdit" | "haut-risque" | "transparence"
    sentence: str  # French, with the [n] marker of the evidence it rests on
    n: int


def asks_permission(question: str) -> bool:
    return bool(_PERMISSION.search(fold(question)))


def asks_classification(question: str) -> bool:
    return bool(_CLASSIFICATION.search(fold(question)))


def category(doc_id: str, ref: str, amends: tuple[str, ...] = ()) -> str | None:
    refs = (ref, *amends)
    if doc_id.startswith("ai-act") and any(re.match(r"^art-5-1-[a-z]{1,2}(-|$)", r) for r in refs):
        return "interdit"
    if doc_id == "ai-act" and re.match(r"^annex-iii-\d", ref):
        return "haut-risque"
    if doc_id == "ai-act" and re.match(r"^art-50-\d", ref):
        return "transparence"
    return None


def _short(label: str) -> str:
    return label.split(", ", 1)[1] if ", " in label else label


def verdict_for(question: str, evidence: list[tuple[int, str, str, str, tuple[str, ...]]]) -> Verdict | None:
    """evidence: (n, doc_id, ref, label, amends) in rank order; only the two best count."""
    permission, classification = asks_permission(question), asks_classification(question)
    if not (permission or classification):
        return None
    for n, doc_id, ref, label, amends in evidence[:2]:
        kind = category(doc_id, ref, amends)
        where = _short(label)
        if kind == "interdit" and permission:
            extra = (
                " sous réserve des exceptions strictement encadrées par le texte" if ref.startswith("art-5-1-h") else ""
            )
            return Verdict(
                kind,
                f"Réponse : c'est interdit. Cette pratique figure parmi les pratiques d'IA interdites ({where}){extra} [{n}].",
                n,
            )
        if kind == "haut-risque":
            return Verdict(
                kind,
                f"Ce type de système figure parmi les systèmes d'IA à haut risque ({where}) [{n}] : il n'est pas interdit, "
                "mais son utilisation est soumise aux exigences et obligations prévues pour ces systèmes.",
                n,
            )
        if kind == "transparence" and permission:
            return Verdict(kind, f"Ce cas relève des obligations de transparence ({where}) [{n}].", n)
    return None


def contradicts(sentence: str, verdict: Verdict) -> bool:
    """The model's sentence says "allowed" where the evidence says "prohibited"."""
    s = fold(sentence)
    return verdict.kind == "interdit" and bool(_POSITIVE.search(s)) and not _NEGATION.search(s)
