"""Parser for a web page turned into text (the CNIL's FAQ and practical sheets).

The format (see ../shared/corpus/SOURCES.md): the title on the first line, the date of
publication (« 18 juillet 2024 »), a lead of one or more paragraphs, then `## ` sections and
`### ` subsections; list items start with `- `. Units:

- `intro`: the lead (title and date excluded);
- a numbered question (« ## 5. Quel mode de déploiement… ? ») → `question-5`, labelled
  « CNIL, FAQ IA générative, question 5 : Quel mode de déploiement… ? »;
- any other section → the slug of its heading (`garantir-la-qualite-de-l-annotation`),
  a subsection → its own slug, with the section as parent.

Text is kept verbatim (the CNIL's texts are CC BY-ND: quoted, never reworded): paragraphs
are joined by line breaks, list items keep their « - ».
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.base.errors import ParseError
from assistant.base.units import Unit
from assistant.text.dates import french_dates
from assistant.text.norm import clean_ws, fold

_QUESTION = re.compile(r"^(\d{1,3})\s*[.)]\s+(.+)$")
_SLUG_MAX = 60


def slug(heading: str) -> str:
    """An ASCII reference from a heading: « L’information et l’exercice des droits » →
    `l-information-et-l-exercice-des-droits` (cut at a word near 60 characters)."""
    s = re.sub(r"[^a-z0-9]+", "-", fold(heading)).strip("-")
    if len(s) > _SLUG_MAX:
        s = s[:_SLUG_MAX].rsplit("-", 1)[0]
    return s or "section"


@dataclass
class _Block:
    level: int  # 0 lead, 2 section, 3 subsection
    heading: str
    lines: list[str] = field(default_factory=list)


def _paragraphs(lines: list[str]) -> str:
    """Paragraphs (blank-line separated) as single lines; list items one per line."""
    out: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        stripped = line.strip()
        if not stripped or stripped.startswith("- "):
            if current:
                out.append(clean_ws(" ".join(current)))
                current = []
            if stripped:
                out.append(clean_ws(stripped))
        else:
            current.append(stripped)
    return "\n".join(p for p in out if p)


def parse_webtext(path: Path, *, doc_id: str, lang: str, short: str) -> list[Unit]:
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ParseError(f"{path.name} n'est pas un texte UTF-8 : convertissez-le (iconv -t UTF-8).") from None
    lines = raw.replace("\r\n", "\n").split("\n")
    head = [i for i, line in enumerate(lines) if line.strip()]
    if not head:
        raise ParseError(f"{path.name} ne contient aucun texte : fournissez la page complète.")
    title = clean_ws(lines[head[0]])
    body_start = head[0] + 1
    if len(head) > 1 and french_dates(lines[head[1]]) and len(lines[head[1]].strip()) < 40:
        body_start = head[1] + 1  # the date of publication is metadata, not text
    blocks = [_Block(0, title)]
    for line in lines[body_start:]:
        if line.startswith("### "):
            blocks.append(_Block(3, clean_ws(line[4:])))
        elif line.startswith("## "):
            blocks.append(_Block(2, clean_ws(line[3:])))
        else:
            blocks[-1].lines.append(line)
    if len(blocks) == 1:
        raise ParseError(
            f"{path.name} : aucune section « ## » trouvée. Ce format attend le titre, la date, le chapeau "
            "puis des sections « ## » ; utilisez le type « text » pour un texte sans sections."
        )
    units: list[Unit] = []
    used: set[str] = set()
    section: Unit | None = None
    for block in blocks:
        text = _paragraphs(block.lines)
        if block.level == 0:
            if text:
                units.append(Unit(doc_id, "intro", f"{short}, introduction", "section", text, title, None, lang))
            continue
        m = _QUESTION.match(block.heading) if block.level == 2 else None
        if m:
            ref, label, heading = f"question-{m.group(1)}", f"{short}, question {m.group(1)} : {m.group(2)}", m.group(2)
        else:
            ref, heading = slug(block.heading), block.heading
            label = f"{short}, « {heading} »"
        base, n = ref, 2
        while ref in used:
            ref, n = f"{base}-{n}", n + 1
        used.add(ref)
        parent = section.ref if block.level == 3 and section is not None else None
        unit = Unit(doc_id, ref, label, "section" if block.level == 2 else "subsection", text, heading, parent, lang)
        if block.level == 2:
            section = unit
        units.append(unit)
    return units


__all__ = ["parse_webtext", "slug"]
