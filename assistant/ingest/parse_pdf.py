"""Page numbers from the Official Journal PDF, attached to units parsed from the HTML.

The HTML is the better parse source; the PDF only tells on which printed page each
unit starts, so that a citation can say "p. 51". Page text comes from pypdf with the
running header/footer removed; units are located in document order with a moving
cursor over an alphanumeric-only, accent-folded copy of the pages (this ignores line
breaks, hyphenation at line ends and spacing differences between the two editions).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.base.errors import ParseError
from assistant.base.units import Unit
from assistant.text.norm import fold

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_PAGE_OF = re.compile(r"\b\d{1,4}/\d{1,4}\s*$")
_PROBE = 48
_TAIL = 32 << 10  # bytes at the end of a PDF where its %%EOF marker must be


def compact(text: str) -> str:
    return _NON_ALNUM.sub("", fold(text))


def pdf_pages(path: Path) -> list[str]:
    """Text of each page, with lines repeated on most pages (header/footer) removed."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PyPdfError

    if not path.is_file():
        raise ParseError(f"PDF introuvable : {path}. Vérifiez le dossier du corpus et le manifeste.")
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - _TAIL))
        if b"%%EOF" not in f.read():
            raise ParseError(
                f"Le PDF {path.name} semble tronqué (pas de marqueur de fin %%EOF) : téléchargez-le de nouveau "
                "ou remplacez-le par l'original."
            )
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted and not _opens_without_password(reader):
            raise ParseError(
                f"Le PDF {path.name} est protégé par un mot de passe : fournissez une version non protégée."
            )
        raw = [page.extract_text() or "" for page in reader.pages]
    except LimitReachedError as exc:
        raise ParseError(
            f"Le PDF {path.name} dépasse les limites de lecture sûre ({exc}) : il est anormalement complexe "
            "ou piégé (bombe de décompression, arbre de pages sans fin). Remplacez-le par l'original."
        ) from exc
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise ParseError(
            f"Le PDF {path.name} est illisible ({exc.__class__.__name__}) : remplacez-le par l'original."
        ) from exc
    return strip_furniture(raw)


def _opens_without_password(reader: Any) -> bool:  # a pypdf.PdfReader
    """Encrypted with an empty user password (owner restrictions only): readable as is."""
    from pypdf.errors import PyPdfError

    try:
        return bool(reader.decrypt(""))
    except (PyPdfError, NotImplementedError, ValueError, KeyError, TypeError):
        return False


def strip_furniture(pages: Sequence[str]) -> list[str]:
    """Drop lines that recur (digits aside) on at least 40% of pages, and "N/M" page marks."""

    def shape(line: str) -> str:
        return re.sub(r"\d+", "#", line.strip())

    counts = Counter(s for page in pages for s in {shape(line) for line in page.splitlines() if line.strip()})
    threshold = max(3, int(0.4 * len(pages)))
    furniture = {s for s, n in counts.items() if n >= threshold}
    out = []
    for page in pages:
        kept = []
        for line in page.splitlines():
            if not line.strip() or shape(line) in furniture:
                continue
            kept.append(_PAGE_OF.sub("", line) if _PAGE_OF.search(line) and "ELI" in line else line)
        out.append("\n".join(kept))
    return out


def attach_pages(units: Sequence[Unit], pages: Sequence[str]) -> list[Unit]:
    """Return the units with `page` (1-based) set where their text is found in the pages."""
    starts: list[int] = []
    parts: list[str] = []
    pos = 0
    for page_text in pages:
        starts.append(pos)
        c = compact(page_text)
        parts.append(c)
        pos += len(c)
    whole = "".join(parts)
    cursor = 0
    out: list[Unit] = []
    last_page: int | None = None
    page_of: dict[str, int | None] = {}
    for unit in units:
        text = unit.text.split("\n[Note", 1)[0]
        probe = compact(text)[:_PROBE]
        page = None
        if len(probe) >= 12:
            hit = whole.find(probe, cursor)
            if hit < 0:
                hit = whole.find(probe)
            if hit >= 0:
                cursor = hit
                page = bisect.bisect_right(starts, hit)
        if page is None:
            page = page_of.get(unit.parent or "") or last_page
        last_page = page
        page_of[unit.ref] = page
        out.append(replace(unit, page=page))
    # A container with no text of its own starts where its first child starts.
    first_child: dict[str, int | None] = {}
    for u in out:
        if u.parent and u.parent not in first_child:
            first_child[u.parent] = u.page
    return [replace(u, page=first_child.get(u.ref, u.page)) if not u.text and u.ref in first_child else u for u in out]
