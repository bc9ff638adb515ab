"""Cut parsed units into retrieval chunks along the legal structure.

Rules:
- one chunk per unit that has text of its own (article lead-in, paragraph, point,
  recital, annex point, charter section); a chunk never spans two units, so it never
  crosses an article, annex or défi boundary;
- sub-points (i), ii)…) are folded into their point's chunk, with a `Span` each, so a
  quote can still be cited at sub-point level;
- a point repeats its parent's lead-in ("Les pratiques … suivantes sont interdites:")
  at the start of its text, because the point alone does not say what it is about;
- a unit longer than `max_chars` is split at paragraph breaks (then sentence ends),
  each part repeating the heading in `context`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from assistant.base.units import Chunk, Span, Unit

CHUNKER_VERSION = "4"
MAX_CHARS = 1500
LEAD_IN_MAX = 320
_FOLDED_KINDS = {"subpoint", "amending-subpoint-item"}
_POINT_KINDS = {"point", "annex-point", "subpoint", "amending-subpoint"}
_SENTENCE_END = re.compile(r"(?<=[.;:!?])\s+")


def point_marker(unit: Unit) -> str:
    """The printed marker of a point: "c)" for art-5-1-c, "5." for annex-iii-5."""
    last = unit.ref.rsplit("-", 1)[-1]
    if unit.kind == "annex-point" and last.isdigit():
        return f"{last}."
    return f"{last})"


def chunk_units(units: Sequence[Unit], *, version: str, max_chars: int = MAX_CHARS) -> list[Chunk]:
    by_ref = {u.ref: u for u in units}
    children: dict[str, list[Unit]] = {}
    for u in units:
        if u.parent:
            children.setdefault(u.parent, []).append(u)
    chunks: list[Chunk] = []
    for unit in units:
        if unit.kind in _FOLDED_KINDS and unit.parent in by_ref:
            continue
        text, spans = _body(unit, children, by_ref)
        if not text.strip():
            continue
        context = f"{unit.label} — {unit.title}" if unit.title else unit.label
        for part_text, part_spans in _split(text, spans, max_chars):
            chunks.append(
                Chunk(
                    doc_id=unit.doc_id,
                    ref=unit.ref,
                    label=unit.label,
                    title=unit.title,
                    text=part_text,
                    context=context,
                    lang=unit.lang,
                    version=version,
                    page=unit.page,
                    kind=unit.kind,
                    amends=unit.amends,
                    spans=tuple(part_spans),
                )
            )
    return chunks


def _lead_in(parent: Unit | None) -> str:
    """The sentence of the parent that introduces its points (ends with a colon)."""
    if parent is None or not parent.text:
        return ""
    first = parent.text.split("\n", 1)[0].strip()
    if not first.endswith(":") and not first.endswith("suivants") and not first.endswith("suivantes"):
        return ""
    if len(first) > LEAD_IN_MAX:
        first = "… " + first[-LEAD_IN_MAX:].split(" ", 1)[-1]
    return first


def _body(unit: Unit, children: dict[str, list[Unit]], by_ref: dict[str, Unit]) -> tuple[str, list[Span]]:
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0

    def add(text: str, ref: str, label: str, page: int | None) -> None:
        nonlocal pos
        if parts:
            pos += 1  # the "\n" joining parts
        spans.append(Span(ref, label, pos, pos + len(text), page))
        parts.append(text)
        pos += len(text)

    if unit.kind in _POINT_KINDS:
        lead = _lead_in(by_ref.get(unit.parent or ""))
        if lead:
            parent = by_ref[unit.parent or ""]
            add(lead, parent.ref, parent.label, parent.page)
        own = f"{point_marker(unit)} {unit.text}" if unit.text else ""
    else:
        own = unit.text
    if own:
        add(own, unit.ref, unit.label, unit.page)
    for child in children.get(unit.ref, []):
        if child.kind in _FOLDED_KINDS and child.text:
            add(f"{point_marker(child)} {child.text}", child.ref, child.label, child.page)
    if not own and not any(s.ref != unit.ref and s.ref not in (unit.parent,) for s in spans):
        return "", []
    return "\n".join(parts), spans


def _split(text: str, spans: list[Span], max_chars: int) -> Iterable[tuple[str, list[Span]]]:
    if len(text) <= max_chars:
        yield text, spans
        return
    pieces = _pieces(text, max_chars)
    start = 0
    for piece in pieces:
        begin = text.index(piece, start)
        end = begin + len(piece)
        start = end
        local = [
            Span(s.ref, s.label, max(s.start, begin) - begin, min(s.end, end) - begin, s.page)
            for s in spans
            if s.start < end and s.end > begin
        ]
        yield piece, local


def _pieces(text: str, max_chars: int) -> list[str]:
    """Greedy packing of paragraphs (or sentences of an over-long paragraph) up to max_chars."""
    units: list[str] = []
    for para in text.split("\n"):
        if len(para) <= max_chars:
            units.append(para)
        else:
            units.extend(s for s in _SENTENCE_END.split(para) if s)
    out: list[str] = []
    current = ""
    for u in units:
        candidate = f"{current}\n{u}" if current else u
        if len(candidate) <= max_chars or not current:
            current = candidate
        else:
            out.append(current)
            current = u
    if current:
        out.append(current)
    # Rejoin with the separators actually present in the text so pieces stay substrings.
    return [_as_substring(text, p) for p in out]


def _as_substring(text: str, piece: str) -> str:
    if piece in text:
        return piece
    # The piece was rebuilt with "\n" where the text had a space (sentence split): restore.
    first = piece.split("\n", 1)[0]
    begin = text.index(first)
    return text[begin : begin + len(piece)]
