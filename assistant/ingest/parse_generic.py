"""Fallback parser for documents without a dedicated one (administrator-supplied PDF or text).

PDF: one unit per page (`p-12`, « …, page 12 »), so citations carry the page.
Text: paragraphs grouped into sections of about 1,200 characters (`s-1`, `s-2`…).
The chunker splits long units further at paragraph breaks.
"""

from __future__ import annotations

from pathlib import Path

from assistant.base.errors import ParseError
from assistant.base.units import Unit
from assistant.text.norm import clean_ws

_GROUP = 1200


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


def parse_generic(path: Path, *, doc_id: str, lang: str, short: str, kind: str) -> list[Unit]:
    if kind == "pdf":
        from assistant.ingest.parse_pdf import pdf_pages

        units = []
        for n, page in enumerate(pdf_pages(path), 1):
            text = "\n".join(_paragraphs(page.replace("\n", "\n\n")))
            if text:
                units.append(Unit(doc_id, f"p-{n}", f"{short}, page {n}", "page", text, "", None, lang, n))
        if not units:
            raise ParseError(
                f"Aucun texte extractible dans {path.name} (PDF numérisé ?) : fournissez un PDF texte ou une version OCR."
            )
        return units
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ParseError(f"{path.name} n'est pas un texte UTF-8 : convertissez-le (iconv -t UTF-8).") from None
    groups: list[list[str]] = []
    group: list[str] = []
    for para in _paragraphs(raw):
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
