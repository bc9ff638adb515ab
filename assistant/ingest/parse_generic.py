"""Parser for documents without a dedicated one (administrator-supplied PDF, HTML or text).

Headings are looked for first (ingest/headings.py: « Fiche 3 », « Recommandation n° 2 »,
« I. », « 1. », capitals, HTML h1–h4): one unit per heading, with the page where it starts.
Without structure:
- PDF: one unit per page (`p-12`, « …, page 12 »), so citations carry the page;
- HTML / text: paragraphs grouped into sections of about 1,200 characters (`s-1`, `s-2`…).
A PDF page with no extractable text gives an empty unit of kind `unreadable` (never indexed:
the chunker skips empty units), so the administrator's preview can say which pages were lost.
The chunker splits long units further at paragraph breaks.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from assistant.base.errors import ParseError
from assistant.base.units import Unit
from assistant.ingest.headings import structured_units
from assistant.text.norm import clean_ws

_GROUP = 1200
UNREADABLE = "unreadable"


def _paragraphs(text: str) -> list[str]:
    paras, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line.strip())
        elif current:
            paras.append(clean_ws(" ".join(current)))
            current = []
    if current:
        paras.append(clean_ws(" ".join(current)))
    return [p for p in paras if p]


class _HtmlText(HTMLParser):
    """Visible text of an HTML page, one block per line, headings marked with `#`."""

    _BLOCKS = frozenset({"p", "div", "li", "br", "tr", "section", "article", "blockquote", "dd", "dt", "table"})
    _SKIP = frozenset({"script", "style", "nav", "header", "footer", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._current: list[str] = []
        self._skip = 0
        self._heading = False

    def _flush(self) -> None:
        text = clean_ws("".join(self._current))
        if text:
            self.lines.append(("# " if self._heading else "") + text)
        self._current = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag in ("h1", "h2", "h3", "h4"):
            self._flush()
            self._heading = True
        elif tag in self._BLOCKS:
            self._flush()
            if tag == "li":
                self._current.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in ("h1", "h2", "h3", "h4"):
            self._flush()
            self._heading = False
            self.lines.append("")
        elif tag in self._BLOCKS:
            self._flush()
            self.lines.append("")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._current.append(data)


def html_text(raw: str) -> str:
    parser = _HtmlText()
    parser.feed(raw)
    parser.close()
    parser._flush()
    return "\n".join(parser.lines)


def parse_generic(path: Path, *, doc_id: str, lang: str, short: str, kind: str) -> list[Unit]:
    if kind == "pdf":
        from assistant.ingest.parse_pdf import pdf_pages

        pages = pdf_pages(path)
        lost = [
            Unit(doc_id, f"p-{n}-illisible", f"{short}, page {n}", UNREADABLE, "", "", None, lang, n)
            for n, page in enumerate(pages, 1)
            if not page.strip()
        ]
        found = structured_units(list(enumerate(pages, 1)), doc_id=doc_id, lang=lang, short=short)
        if found is not None:
            return found + lost
        units = []
        for n, page in enumerate(pages, 1):
            text = "\n".join(_paragraphs(page.replace("\n", "\n\n")))
            if text:
                units.append(Unit(doc_id, f"p-{n}", f"{short}, page {n}", "page", text, "", None, lang, n))
        if not units:
            raise ParseError(
                f"Aucun texte extractible dans {path.name} (PDF numérisé ?) : fournissez un PDF texte ou une version OCR."
            )
        return units + lost
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ParseError(f"{path.name} n'est pas un texte UTF-8 : convertissez-le (iconv -t UTF-8).") from None
    if kind == "html":
        raw = html_text(raw)
    found = structured_units([(None, raw)], doc_id=doc_id, lang=lang, short=short)
    if found is not None:
        return found
    groups: list[list[str]] = []
    group: list[str] = []
    for para in _paragraphs(raw.replace("\n# ", "\n")):
        group.append(para)
        if sum(len(p) for p in group) >= _GROUP:
            groups.append(group)
            group = []
    if group:
        groups.append(group)
    if not groups:
        raise ParseError(f"{path.name} ne contient aucun texte : fournissez le document complet.")
    return [
        Unit(doc_id, f"s-{i}", f"{short}, section {i}", "section", "\n".join(g), "", None, lang)
        for i, g in enumerate(groups, 1)
    ]
