"""Structural units produced by the parsers and the chunks cut from them.

A parser turns one source document into a flat list of `Unit`s in document order.
Each unit is one node of the legal structure (article, paragraph, point, recital,
annex point, charter challenge, ...). `text` holds only the unit's *own* words
(for an article: nothing or its un-numbered lead-in; for a paragraph: its text up
to its first point). `parent` links the tree together, so the chunker can rebuild
the context (article title, lead-in sentence) that a point needs to be read alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Unit:
    doc_id: str
    ref: str  # normalised reference, e.g. "art-5-1-c", "annex-iii-5-a", "defi-6"
    label: str  # human label in the document's language, e.g. "Règlement (UE) 2024/1689, article 5, paragraphe 1, point c)"
    kind: str  # article | paragraph | point | subpoint | recital | annex | annex-section | annex-point | chapter-title | defi | section | amending-point | ...
    text: str  # the unit's own text, whitespace-normalised
    title: str = ""  # heading of the enclosing article/annex/section (e.g. "Pratiques interdites en matière d'IA")
    parent: str | None = None  # ref of the parent unit, None for top-level units
    lang: str = "fr"
    page: int | None = None  # page in the printed edition, when known
    amends: tuple[str, ...] = ()  # for amending provisions: refs of the AI Act provisions they change


@dataclass(frozen=True)
class Span:
    """Where a finer structural unit sits inside a chunk's text (for precise citations)."""

    ref: str
    label: str
    start: int
    end: int
    page: int | None = None


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    ref: str
    label: str
    title: str
    text: str  # what is shown and quoted: the provision's own words (with needed lead-in)
    context: str  # short heading prefix added for embedding/BM25 only (never quoted)
    lang: str
    version: str
    page: int | None = None
    kind: str = ""
    amends: tuple[str, ...] = ()
    spans: tuple[Span, ...] = field(default_factory=tuple)
    amended_by: tuple[str, ...] = ()  # "doc_id:ref" of the amending provisions (set at indexing)

    @property
    def index_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text
