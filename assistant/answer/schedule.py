"""Dates of application: which point of article 113 (as amended) governs the question's subject.

« Depuis quand l'article 4 s'applique-t-il ? » is answered by article 113, not by article 4,
and article 113 speaks of chapters (« les chapitres I et II sont applicables à partir du 2
février 2025 »). Retrieval alone rarely bridges that gap, so code does: the question's
subject (an article number, an annex, or a named topic) is mapped to the AI Act's chapters,
and the points of article 113 and of its amending provision (2026/1744, in English) that
name those chapters or articles are chosen as evidence, amended wording first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.base.units import Chunk
from assistant.law import law
from assistant.text.dates import ANY_DATE
from assistant.text.norm import fold

DATE_QUESTION = re.compile(
    r"\b(depuis quand|a partir de quand|jusqu'a quand|des quand|quelle date|date d'(application|entree)"
    r"|quand\b.*\b(appli\w*|entre\w* en|interdit\w*|vigueur|obligatoire\w*))"
)
# Chapters of Regulation (EU) 2024/1689 (first article of each, sections of chapter III) and the
# topics named in questions → the chapter (or article) that holds them: law data (schedule.toml).
_SCHEDULE = law().schedule
_CHAPTER_START = _SCHEDULE.chapters
_SECTION_START = _SCHEDULE.sections
_TOPIC_SUBJECT = _SCHEDULE.topics
_ROMAN = r"[IVX]+"


def asks_date(question: str) -> bool:
    return bool(DATE_QUESTION.search(fold(question).replace("’", "'")))


def chapter_of(article: int) -> str:
    chapter = next(c for a, c in reversed(_CHAPTER_START) if article >= a)
    sections = _SECTION_START.get(chapter)
    if sections:
        section = next(s for a, s in reversed(sections) if article >= a)
        return f"{chapter}.{section}"
    return chapter


def subjects(question: str) -> set[str]:
    """Chapters ("II", "III.4"), articles ("art78") and high-risk routes ("6.1", "6.2") asked about."""
    q = fold(question).replace("’", "'")
    out: set[str] = set()
    for m in re.finditer(r"\barticles? (\d{1,3})\b", q):
        n = int(m.group(1))
        if 1 <= n <= 113:
            out |= {chapter_of(n), f"art{n}"}
    for pattern, keys in _TOPIC_SUBJECT:
        if re.search(pattern, q):
            out |= keys
    if "haut risque" in q:
        if re.search(r"annexe iii\b", q):
            out.add("6.2")
        elif re.search(r"annexe i\b|produits?", q):
            out.add("6.1")
        else:
            out |= {"6.1", "6.2"}
    for m in re.finditer(r"chapitres? (" + _ROMAN.lower() + r")\b", q):
        out.add(m.group(1).upper())
    return out


def named_subjects(text: str) -> set[str]:
    """The same keys, read from a point of article 113 (French or English wording)."""
    out: set[str] = set()
    for m in re.finditer(
        r"\b(?:chapitres?|chapters?) ((?:" + _ROMAN + r")(?:(?:,| et| and) (?:" + _ROMAN + r"))*)"
        r"(?:, sections? ([\d ,etand]+))?",
        text,
        re.I,
    ):
        for numeral in re.findall(_ROMAN, m.group(1)):
            sections = re.findall(r"\d", m.group(2) or "")
            out |= {f"{numeral}.{s}" for s in sections} if sections else {numeral}
    for m in re.finditer(r"\barticles? (\d{1,3})(?:, paragraphe (\d)|\((\d)\))?", text, re.I):
        para = m.group(2) or m.group(3)
        out.add(f"6.{para}" if m.group(1) == "6" and para else f"art{m.group(1)}")
    if re.search(r"annex(e)? iii\b", text, re.I):
        out.add("6.2")
    return out


def matches(asked: set[str], named: set[str]) -> bool:
    for key in asked:
        if key in named:
            return True
        if "." in key and key.split(".")[0] in named and key.split(".")[0] != "6":  # "III.4" ⊂ "III"
            return True
    return False


def schedule_evidence(question: str, chunks: Sequence[Chunk]) -> list[Chunk]:
    """The points of article 113 that give the date asked for, amended wording first."""
    asked = subjects(question)
    amending = [c for c in chunks if c.kind == "amending-subpoint" and any(a.startswith("art-113-") for a in c.amends)]
    points = [c for c in chunks if c.doc_id == "ai-act" and c.ref.startswith("art-113-") and c.kind == "point"]
    chosen = [c for c in amending + points if matches(asked, named_subjects(c.text))]
    if not chosen:  # no subject recognised: the general date and its exceptions
        chosen = [c for c in chunks if c.doc_id == "ai-act" and c.ref == "art-113-2"]
    return chosen[:3]


def date_lines(question: str, text: str) -> list[str]:
    """The lines of a point that carry a date and name the question's subject (all dated lines if none does)."""
    asked = subjects(question)
    dated = [line for line in text.splitlines() if ANY_DATE.search(line)]
    named = [line for line in dated if matches(asked, named_subjects(line))]
    return named or dated


def dates_in(text: str) -> list[str]:
    return ANY_DATE.findall(text)
