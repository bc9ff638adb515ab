"""Set questions: « quelles obligations… », « quels sont les… », « toutes les… », « que doit contenir… ».

The answer to such a question is a list of provisions, and the top passages of a search hold
only some of them. The list is read from the structure of the texts instead:

- `points`: the points a provision announces (art. 5(1) a–h), with the points that the
  amending regulation 2026/1744 inserts (ba, bb), said so on the item;
- `paragraphs`: the paragraphs of the article that governs an actor (art. 50);
- `section`: the articles of a section of chapter III (art. 8–15), bounds from schedule.toml;
- `groups`: the units of the same rank (the seven challenges of the charter);
- `items`: a list written by hand where the text scatters it (a public deployer's
  obligations), which is law data with a source per entry (`law/lists.toml`).

Which structure answers which question is law data (`lists.toml`); without a match, the
enumeration of the best passage (its parent's points, or the points it announces) is used.
Each item gets a short French gloss chosen by code (the provision's heading or its first
words; a reviewed gloss for hand-written lists), its label and its quote, exact words only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.base.tuning import SET_GLOSS_CHARS, SET_LEAD_CHARS, SET_MAX_ITEMS, SET_QUOTE_CHARS
from assistant.base.units import Chunk
from assistant.law import law
from assistant.law.model import Ref, SetList
from assistant.search.index import PassageIndex
from assistant.text.norm import fold

# A question that asks for a set: plural interrogatives followed by what is enumerated,
# « toutes les… », « liste », « énumérer ».
SET_QUESTION = re.compile(
    r"\bquel(le)?s (sont|seront|doivent|peuvent)\b"
    r"|\bquel(le)?s (obligations|exigences|pratiques|sont|droits|recours|garanties|amendes|sanctions|domaines"
    r"|defis|elements|informations|mesures|taches|regles|dispositions|principes|points|articles|cas|systemes"
    r"|usages|conditions|criteres|engagements|axes)\b"
    r"|\b(toutes|tous) les\b"
    r"|\bliste\b|\blister\b|\benumer\w*"
)
# Weaker signs (« que doit contenir… », « que doit faire… », « obligations du… »): a set question
# unless it is about one situation (« que doit faire le Département s'il pense que… »), which
# asks for what applies in that case.
SET_QUESTION_WEAK = re.compile(
    r"\bque (doit|doivent)( pouvoir)? (contenir|comprendre|inclure|prevoir|faire|respecter)\b"
    r"|\bque contient\b|\bcontenu (de|du|d')"
    r"|^(quelles sont les |les )?obligations (du|des|d'un|d'une|de la|de l'|pour)\b"
)
_SITUATION = re.compile(r"\bs'ils?\b|\bsi (le|la|les|un|une|l'|son|sa|ses)\b|\blorsqu|\ben cas d|\bquand\b")
_AMENDED = re.compile(
    r"\b(modifi\w*|ajout\w*|insere\w*|change\w*)\b.*2026/1744|2026/1744.*\b(modifi\w*|ajout\w*|insere\w*|change\w*)\b"
)
_AMENDED_ARTICLE = re.compile(r"\barticle (\d{1,3})\b")
_MARKER = re.compile(r"^\s*(?:[a-z]{1,2}\)|\d+[a-z]?\.|\(\w{1,3}\)|[ivx]+\))\s*")
AMENDING_ACT_NAME = "règlement (UE) 2026/1744"


def is_set_question(question: str) -> bool:
    q = fold(question).replace("’", "'")
    if SET_QUESTION.search(q):
        return True
    return bool(SET_QUESTION_WEAK.search(q)) and not _SITUATION.search(q)


@dataclass
class SetEntry:
    """One line of a list answer: the gloss, and where its quote lies in its chunk.

    `lead` is the span of the announcing sentence when it is quoted with a point it is not
    adjacent to (shown joined with « […] »)."""

    gloss: str
    chunk: Chunk
    start: int
    end: int
    lead: tuple[int, int] | None = None
    note: str = ""  # « inséré par… », « modifié par… »


@dataclass
class SetAnswer:
    opening: str
    entries: list[SetEntry]
    list_id: str  # lists.toml id, or "structure" (the best passage's enumeration)

    @property
    def from_data(self) -> bool:
        return self.list_id != "structure"

    def preview(self) -> str:
        """The opening and the list as streamed before the model phrases (markers come with the final answer)."""
        lines = [self.opening] + [f"{k}. {e.gloss} — {e.chunk.label}" for k, e in enumerate(self.entries, 1)]
        return "\n".join(lines) + "\n\n"


def build_set(question: str, hits: Sequence[Chunk], index: PassageIndex) -> SetAnswer | None:
    """The list that answers a set question, or None (not a set question, or no list found)."""
    if not is_set_question(question):
        return None
    q = fold(question).replace("’", "'")
    changed = _AMENDED_ARTICLE.search(q)
    if changed and _AMENDED.search(q):
        entries = amended_in(index, int(changed.group(1)))
        if entries:
            opening = f"Le {AMENDING_ACT_NAME} modifie ou complète les dispositions suivantes de l'article {changed.group(1)} :"
            return SetAnswer(opening, entries[:SET_MAX_ITEMS], "amended")
    for spec in law().lists:
        if spec.pattern.search(q):
            entries = _entries(spec, index)
            if len(entries) >= 2:
                return SetAnswer(spec.opening, entries[:SET_MAX_ITEMS], spec.id)
    return _from_best_passage(hits, index)


# ---------------------------------------------------------------------- structures


def _entries(spec: SetList, index: PassageIndex) -> list[SetEntry]:
    src = spec.source
    if spec.structure == "points":
        return points(index, src.doc_id, src.ref)
    if spec.structure == "paragraphs":
        return [_entry(c) for c in _distinct(index.children(src.doc_id, src.ref))]
    if spec.structure == "section":
        return _section(index, src)
    if spec.structure == "groups":
        return _groups(index, src)
    out = []
    for item in spec.items:
        chunk = index.chunk_by_key(item.ref.doc_id, item.ref.ref)
        if chunk is not None:
            e = _entry(chunk)
            e.gloss = item.gloss or e.gloss
            out.append(e)
    return out


def points(index: PassageIndex, doc_id: str, parent: str) -> list[SetEntry]:
    """The points announced by `parent`, in order, with those the amending act inserts."""
    chunks = [c for c in _distinct(index.children(doc_id, parent)) if c.kind != "recital"]
    out = [_entry(c) for c in chunks]
    _decisive(out)
    if out and not out[0].chunk.text.startswith("…"):
        first = out[0]
        lead = next((sp for sp in first.chunk.spans if sp.ref != first.chunk.ref and sp.start == 0), None)
        if lead is not None and lead.end <= SET_LEAD_CHARS:
            if first.start <= lead.end + 1:
                first.start = 0  # lead-in and point are adjacent: one verbatim quote
            else:
                first.lead = (0, lead.end)
    present = {c.ref for c in chunks}
    for chunk, ref in _inserted(index, doc_id, parent, present):
        letter = ref.rsplit("-", 1)[-1]
        start, end = _inserted_window(chunk.text, letter)
        entry = SetEntry(
            f"nouveau point {letter})",
            chunk,
            start,
            end,
            note=f"inséré par le {AMENDING_ACT_NAME} ; texte en anglais",
        )
        at = max((i + 1 for i, e in enumerate(out) if e.chunk.ref.rsplit("-", 1)[-1] <= letter), default=len(out))
        out.insert(at, entry)
    return out


def _decisive(entries: list[SetEntry]) -> None:
    """Drop the opening words a point shares with another point of its enumeration (« la mise
    sur le marché, la mise en service ou l'utilisation d'un système d'IA qui… »): what differs
    is what decides."""
    words = [_clause(_own_text(e.chunk)).split(" ") for e in entries]
    for i, (e, w) in enumerate(zip(entries, words, strict=True)):
        shared = 0
        for j, other in enumerate(words):
            if j != i:
                n = 0
                while n < min(len(w), len(other)) - 3 and fold(w[n]) == fold(other[n]):
                    n += 1
                shared = max(shared, n)
        if shared >= 6:
            e.gloss = _short("… " + " ".join(w[shared:]))


def amended_in(index: PassageIndex, article: int) -> list[SetEntry]:
    """The provisions of an AI Act article that 2026/1744 changes or inserts, in the order of the
    amending act: each changed provision, then the amending point that changes it (in English)."""
    prefix = f"art-{article}"
    out: list[SetEntry] = []
    seen: set[str] = set()
    for c in index.chunks:
        if c.doc_id != "ai-act-2026-1744" or c.kind not in ("amending-point", "amending-subpoint"):
            continue
        targets = [t for t in c.amends if (t == prefix or t.startswith(prefix + "-")) and t not in seen]
        if not targets or (c.kind == "amending-point" and _has_subpoints(index, c)):
            continue  # the subpoints say what changes; the point only announces them
        for target in targets:
            seen.add(target)
            changed = index.chunk_by_key("ai-act", target)
            if changed is not None:
                out.append(_entry(changed))
                out[-1].note = f"modifié par le {AMENDING_ACT_NAME}"
        amending = _entry(c)
        amending.gloss = "; ".join(_changed_part(index, t) for t in targets)
        amending.note = "texte en anglais"
        out.append(amending)
    return out


def _changed_part(index: PassageIndex, target: str) -> str:
    """« nouvelle rédaction du paragraphe 1 », « paragraphe 3a inséré », « point e) du paragraphe 9 »."""
    parts = target.split("-")[2:]
    if not parts:
        where = "l'article"
    elif len(parts) == 1:
        where = f"paragraphe {parts[0]}"
    else:
        where = f"point {parts[1]}) du paragraphe {parts[0]}"
    if index.chunk_by_key("ai-act", target) is None:
        return f"{where} inséré" if parts else "article inséré"
    return f"nouvelle rédaction : {where}"


def _has_subpoints(index: PassageIndex, chunk: Chunk) -> bool:
    return any(c.kind == "amending-subpoint" for c in index.children(chunk.doc_id, chunk.ref))


def _inserted(index: PassageIndex, doc_id: str, parent: str, present: set[str]) -> list[tuple[Chunk, str]]:
    """(amending chunk, inserted ref) for the points of `parent` that exist only in 2026/1744."""
    if doc_id != "ai-act":
        return []
    found: dict[str, Chunk] = {}
    for c in index.chunks:
        if c.doc_id != "ai-act-2026-1744" or not c.amends:
            continue
        for ref in c.amends:
            inserted = ref.rsplit("-", 1)[0] == parent and ref not in present
            holds = inserted and re.search(rf"\({ref.rsplit('-', 1)[-1]}\)", c.text)
            # the finest amending unit that holds the point's own words wins
            if holds and (ref not in found or len(c.text) < len(found[ref].text)):
                found[ref] = c
    return sorted(((c, r) for r, c in found.items()), key=lambda cr: cr[1])


def _inserted_window(text: str, letter: str) -> tuple[int, int]:
    m = re.search(rf"[‘']?\({re.escape(letter)}\)", text)
    start = m.start() if m else 0
    if text[start] in "‘'":
        start += 1
    nl = text.find("\n", start)
    end = nl if nl > 0 else len(text)
    if end - start > SET_QUOTE_CHARS:
        cut = text.rfind(" ", start, start + SET_QUOTE_CHARS)
        end = cut if cut > start else start + SET_QUOTE_CHARS
    return start, end


def _section(index: PassageIndex, src: Ref) -> list[SetEntry]:
    """The articles of the section of chapter III that opens at `src` (schedule.toml bounds)."""
    first = int(src.ref.split("-")[1])
    starts = sorted(a for rows in law().schedule.sections.values() for a, _ in rows)
    chapters = sorted(a for a, _ in law().schedule.chapters)
    last = min([a for a in starts + chapters if a > first], default=first + 1) - 1
    out = []
    for n in range(first, last + 1):
        chunk = index.chunk_by_key(src.doc_id, f"art-{n}") or next(iter(index.children(src.doc_id, f"art-{n}")), None)
        if chunk is None:
            continue
        e = _entry(chunk)
        e.gloss = _short(chunk.title) or e.gloss
        out.append(e)
    return out


def _groups(index: PassageIndex, src: Ref) -> list[SetEntry]:
    """One entry per unit of the same rank as `src` (défi 1…7): its own chunk, or its first part
    when it has no words of its own (its gloss is then the headings of its parts)."""
    prefix = src.ref.rsplit("-", 1)[0] + "-"
    parts: dict[str, list[Chunk]] = {}
    for c in index.chunks:
        if c.doc_id != src.doc_id or not c.ref.startswith(prefix):
            continue
        number = c.ref[len(prefix) :].split("-", 1)[0]
        if number.isdigit():
            parts.setdefault(number, []).append(c)
    out = []
    for number in sorted(parts, key=int):
        top = prefix + number
        own = [c for c in parts[number] if c.ref == top]
        chunk = own[0] if own else parts[number][0]
        e = _entry(chunk)
        if own:
            title = chunk.title
        else:
            heads = [c.title.split("—", 1)[-1].strip() for c in _distinct(parts[number])]
            title = " ; ".join(dict.fromkeys(h for h in heads if h))
        e.gloss = _short(title) if title else e.gloss
        out.append(e)
    return out


def _from_best_passage(hits: Sequence[Chunk], index: PassageIndex) -> SetAnswer | None:
    """No list in the data: the enumeration the best article passage belongs to or announces."""
    top = next((c for c in hits[:3] if c.kind != "recital"), None)
    if top is None:
        return None
    if top.kind in ("point", "annex-point") and "-" in top.ref:
        parent = top.ref.rsplit("-", 1)[0]
    elif index.children(top.doc_id, top.ref) and top.text.split("\n", 1)[0].rstrip().endswith(":"):
        parent = top.ref
    else:
        return None
    entries = points(index, top.doc_id, parent)
    if len(entries) < 2:
        return None
    lead = next((sp.label for sp in entries[0].chunk.spans if sp.ref == parent), "")
    parent_label = lead or parent
    return SetAnswer(f"Le texte énumère ({parent_label}) :", entries[:SET_MAX_ITEMS], "structure")


# ---------------------------------------------------------------------- one entry


def _distinct(chunks: Sequence[Chunk]) -> list[Chunk]:
    """First part of each unit (a long unit is cut into several chunks with the same ref)."""
    seen: set[str] = set()
    out = []
    for c in chunks:
        if c.ref not in seen:
            seen.add(c.ref)
            out.append(c)
    return out


def _entry(chunk: Chunk) -> SetEntry:
    """The chunk's own words (not its lead-in), bounded, and their decisive first words as gloss."""
    own = next((sp for sp in chunk.spans if sp.ref == chunk.ref), None)
    start, end = (own.start, own.end) if own else (0, len(chunk.text))
    if end - start > SET_QUOTE_CHARS:  # its first words say what the provision is about
        cut = chunk.text.rfind(" ", start, start + SET_QUOTE_CHARS)
        end = cut if cut > start else start + SET_QUOTE_CHARS
    note = f"modifié par le {AMENDING_ACT_NAME}" if chunk.amended_by else ""
    return SetEntry(gloss_of(_own_text(chunk)), chunk, start, end, note=note)


def gloss_of(text: str) -> str:
    """The decisive first words of a provision: its first clause, marker removed, bounded."""
    return _short(_clause(text))


def _clause(text: str) -> str:
    body = _MARKER.sub("", text.split("\n", 1)[0]).strip()
    return re.split(r"(?<=\w)[;:](?:\s|$)", body, maxsplit=1)[0].rstrip(" .,")


def _own_text(chunk: Chunk) -> str:
    own = next((sp for sp in chunk.spans if sp.ref == chunk.ref), None)
    return chunk.text[own.start : own.end] if own else chunk.text


def _short(text: str) -> str:
    text = text.strip().rstrip(" .,;:")
    if len(text) <= SET_GLOSS_CHARS:
        return text
    cut = text.rfind(" ", 0, SET_GLOSS_CHARS)
    return text[: cut if cut > 0 else SET_GLOSS_CHARS].rstrip(" ,;:") + "…"


__all__ = [
    "SET_QUESTION",
    "SET_QUESTION_WEAK",
    "SetAnswer",
    "SetEntry",
    "build_set",
    "gloss_of",
    "is_set_question",
    "points",
]
