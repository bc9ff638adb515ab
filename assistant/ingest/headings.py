"""Structure of documents without a dedicated parser: headings found by numbering and typography.

A référent brings PDFs (the CNIL's other practical sheets, the Conseil d'État's study, the
département's deliberations) and HTML pages. Their structure shows in their headings:

- numbering: « Fiche 3 », « Recommandation n° 2 », « Annexe 1 », « I. Titre », « 1. Titre »,
  « 1.2 Titre » (a short line starting with a capital, not ending like a sentence);
- typography: a short line in capitals (« SYNTHÈSE DES RECOMMANDATIONS »), or an HTML
  heading element (passed in marked with `#`).

Each heading opens a unit (`fiche-3`, `recommandation-2`, `partie-ii`, `section-1-2`, or the
heading's slug) that runs to the next one and keeps the page where it starts. The text of a
unit is its lines joined back into paragraphs (a PDF breaks lines anywhere). Fewer than two
headings: no structure is claimed, the caller falls back to one unit per page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.base.units import Unit
from assistant.ingest.parse_webtext import slug
from assistant.text.norm import clean_ws

_MAX_HEADING = 110
_NUMBERED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^fiche\s+(?:n\s*[°o]\s*)?(\d{1,3})\b", re.I), "fiche-{0}"),
    (re.compile(r"^recommandation\s+n\s*[°o]\s*(\d{1,3})\b", re.I), "recommandation-{0}"),
    (re.compile(r"^annexe\s+([0-9]{1,2}|[IVX]{1,5})\b", re.I), "annexe-{0}"),
    (re.compile(r"^(?:partie|titre|chapitre)\s+([0-9]{1,2}|[IVX]{1,5})\b", re.I), "partie-{0}"),
    (re.compile(r"^([IVX]{1,5})\s*[.)–-]\s+[A-ZÀ-Ý«]"), "partie-{0}"),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.?\s+[A-ZÀ-Ý«]"), "section-{0}-{1}"),
    (re.compile(r"^(\d{1,2})\s*[.)]\s+[A-ZÀ-Ý«]"), "section-{0}"),
)
_SENTENCE_END = re.compile(r"[,;]$")
_PARA_END = re.compile(r"[.:!?»]$")


@dataclass
class _Open:
    ref: str
    heading: str
    page: int | None
    lines: list[str] = field(default_factory=list)


def heading_ref(line: str) -> str | None:
    """The reference a line opens if it is a heading, else None."""
    text = line.strip()
    if text.startswith("#"):
        title = text.lstrip("#").strip()
        return slug(title) if title else None
    if not text or len(text) > _MAX_HEADING or _SENTENCE_END.search(text):
        return None
    for pattern, ref in _NUMBERED:
        m = pattern.match(text)
        if m:
            return ref.format(*(g.lower() for g in m.groups()))
    letters = [ch for ch in text if ch.isalpha()]
    capitals = len(letters) >= 8 and sum(ch.isupper() for ch in letters) / len(letters) >= 0.9
    if capitals and len(text.split()) >= 2 and not text.endswith("."):
        return slug(text)
    return None


def paragraphs(lines: Sequence[str]) -> str:
    """Lines of a PDF joined back into paragraphs: a line ending a sentence or a list item
    starting with a bullet closes a paragraph."""
    out: list[str] = []
    current: list[str] = []
    for raw in lines:
        line = clean_ws(raw)
        if not line:
            continue
        if line[0] in "-•–▪●" and current:
            out.append(" ".join(current))
            current = []
        current.append(line)
        if _PARA_END.search(line):
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return "\n".join(out)


def structured_units(
    pages: Sequence[tuple[int | None, str]], *, doc_id: str, lang: str, short: str
) -> list[Unit] | None:
    """Units opened by headings over (page, text) pieces; None when fewer than two headings."""
    opened: list[_Open] = [_Open("debut", "début du document", pages[0][0] if pages else None)]
    for page, text in pages:
        for line in text.splitlines():
            ref = heading_ref(line)
            if ref is None:
                opened[-1].lines.append(line)
            else:
                opened.append(_Open(ref, clean_ws(line.lstrip("#")), page))
    if len(opened) < 3:
        return None
    units: list[Unit] = []
    used: set[str] = set()
    for block in opened:
        body = paragraphs(block.lines)
        if block.ref == "debut" and not body:
            continue
        ref, n = block.ref, 2
        while ref in used:
            ref, n = f"{block.ref}-{n}", n + 1
        used.add(ref)
        label = f"{short}, {block.heading}" if block.ref != "debut" else f"{short}, début du document"
        units.append(Unit(doc_id, ref, label, "section", body, block.heading, None, lang, block.page))
    return units


__all__ = ["heading_ref", "paragraphs", "structured_units"]
