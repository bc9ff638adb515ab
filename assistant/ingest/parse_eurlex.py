"""Parse the EUR-Lex HTML rendering of a regulation into structural units.

EUR-Lex marks every recital (`rct_N`), article (`art_N`) and annex (`anx_X`) with an
ELI anchor; numbered paragraphs are `div` elements with ids like `005.001`, and points
are two-column tables (label cell, content cell), nested for sub-points. Footnote
references (`a#ntcN…`) are taken out of the text flow and the note is appended to the
unit that references it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from lxml import html as lhtml

from assistant.base.errors import ParseError
from assistant.base.units import Unit
from assistant.text.norm import clean_ws

_NOTE_MARK = "\u27e6{}\u27e7"
_NOTE_RE = re.compile(r"\s*\u27e6([^\u27e7]*)\u27e7")
_PARA_ID = re.compile(r"^\d{3}\.\d{3}$")
_PARA_NUM = re.compile(r"^\s*(\d+[a-z]?)\.\s+")
_POINT_LABEL = re.compile(r"^\(?([0-9]+[a-z]?|[a-z]{1,2}|[ivx]+)[).]?$", re.IGNORECASE)
_DASH_LABEL = re.compile(r"^[—–\-•]$")
_SECTION = re.compile(r"^section\s+([A-Z0-9]+)\b", re.IGNORECASE)
_ROMAN = re.compile(r"^[ivx]+$")


@dataclass(frozen=True)
class Wording:
    """How labels read in one language."""

    act: str
    article: str
    first_article: str
    paragraph: str
    point: str
    subpoint: str
    recital: str
    annex: str
    section: str


WORDING = {
    "fr": Wording(
        act="Règlement (UE) 2024/1689",
        article="article {}",
        first_article="Article premier",
        paragraph="paragraphe {}",
        point="point {})",
        subpoint="sous-point {})",
        recital="considérant {}",
        annex="annexe {}",
        section="section {}",
    ),
    "en": Wording(
        act="Regulation (EU) 2024/1689",
        article="Article {}",
        first_article="Article 1",
        paragraph="paragraph {}",
        point="point ({})",
        subpoint="sub-point ({})",
        recital="recital {}",
        annex="Annex {}",
        section="Section {}",
    ),
}


@dataclass
class _Ctx:
    doc_id: str
    lang: str
    wording: Wording
    notes: dict[str, str]
    units: list[Unit] = field(default_factory=list)

    def add(self, ref: str, label: str, kind: str, raw: str, title: str, parent: str | None) -> None:
        text, refs = _split_notes(raw)
        for note_id in refs:
            note = self.notes.get(note_id)
            if note:
                text += f"\n[Note {note_id}] {note}"
        self.units.append(Unit(self.doc_id, ref, label, kind, text.strip(), title, parent, self.lang))


def _split_notes(raw: str) -> tuple[str, list[str]]:
    refs = _NOTE_RE.findall(raw)
    text = _NOTE_RE.sub("", raw)
    return "\n".join(clean_ws(line) for line in text.split("\n") if clean_ws(line)), refs


def _text(el: etree._Element) -> str:
    return "".join(el.itertext())


def _cls(el: etree._Element) -> str:
    return el.get("class") or ""


def parse_eurlex(path: Path, *, doc_id: str = "ai-act", lang: str = "fr") -> list[Unit]:
    """Return the recitals, articles (with paragraphs and points) and annexes of the act."""
    if not path.is_file():
        raise ParseError(
            f"Fichier introuvable : {path}. Vérifiez le dossier du corpus "
            "(variable ASSISTANT_CORPUS_DIR) et le manifeste corpus/sources.toml."
        )
    _check_raw(path)
    parser = lhtml.HTMLParser(encoding="utf-8", no_network=True)
    try:
        root = lhtml.parse(str(path), parser=parser).getroot()
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ParseError(
            f"Le fichier HTML {path.name} est illisible ({exc}) : remplacez-le par la version EUR-Lex d'origine."
        ) from exc
    fatal = [e for e in parser.error_log if e.level_name == "FATAL"]
    if fatal:  # e.g. nesting deeper than libxml2's limit: the rest of the text would be dropped silently
        raise ParseError(
            f"Le fichier HTML {path.name} est malformé (ligne {fatal[0].line} : {fatal[0].message}) : "
            "ce n'est pas un texte EUR-Lex intact ; remplacez-le par la version EUR-Lex d'origine."
        )
    if root is None:
        raise ParseError(f"Le fichier HTML {path.name} est vide : remplacez-le par la version EUR-Lex d'origine.")
    ctx = _Ctx(doc_id, lang, WORDING.get(lang, WORDING["en"]), _take_notes(root))
    for el in root.iter("div"):
        el_id = el.get("id") or ""
        if el_id.startswith("rct_") and "eli-subdivision" in _cls(el):
            _recital(ctx, el, el_id[4:])
        elif el_id.startswith("art_") and "eli-subdivision" in _cls(el):
            _article(ctx, el, el_id[4:])
        elif el_id.startswith("anx_") and "eli-container" in _cls(el):
            _annex(ctx, el, el_id[4:])
    if not any(u.kind == "article" for u in ctx.units):
        raise ParseError(
            f"Aucun article reconnu dans {path.name} : ce n'est pas un texte EUR-Lex au format attendu "
            "(ancres ELI art_N). Vérifiez le champ `kind` du manifeste."
        )
    return ctx.units


def _check_raw(path: Path) -> None:
    """Refuse bytes that lxml would silently repair: invalid UTF-8 (U+FFFD in quotes), a cut-off file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"Le fichier HTML {path.name} est illisible ({exc.strerror}) : vérifiez ses droits.") from None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"Le fichier HTML {path.name} n'est pas un texte UTF-8 valide (octet n° {exc.start}) : il est "
            "endommagé ; remplacez-le par la version EUR-Lex d'origine."
        ) from None
    if raw.strip() and b"</html>" not in raw[-4096:].lower():
        raise ParseError(
            f"Le fichier HTML {path.name} semble tronqué (pas de balise </html> finale) : "
            "téléchargez-le de nouveau depuis EUR-Lex."
        )


def _take_notes(root: etree._Element) -> dict[str, str]:
    """Collect footnote texts, remove them from the tree, mark references in the flow."""
    notes: dict[str, str] = {}
    for p in list(root.iter("p")):
        if "oj-note" not in _cls(p):
            continue
        anchor = p.find(".//a")
        note_id = ""
        if anchor is not None and (anchor.get("id") or "").startswith("ntr"):
            note_id = anchor.get("id", "")[3:].split("-", 1)[0]
            tail = anchor.tail or ""
            anchor.getparent().remove(anchor) if anchor.getparent() is not None else None
            p.text = (p.text or "") + tail
        notes[note_id] = clean_ws(_text(p))
        parent = p.getparent()
        if parent is not None:
            _drop(p)
    for a in list(root.iter("a")):
        a_id = a.get("id") or ""
        if a_id.startswith("ntc"):
            note_id = a_id[3:].split("-", 1)[0]
            mark = _NOTE_MARK.format(note_id)
            parent = a.getparent()
            if parent is None:
                continue
            prev = a.getprevious()
            addition = mark + (a.tail or "")
            if prev is not None:
                prev.tail = (prev.tail or "") + addition
            else:
                parent.text = (parent.text or "") + addition
            parent.remove(a)
    return notes


def _drop(el: etree._Element) -> None:
    """Remove an element but keep its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail or ""
    prev = el.getprevious()
    if tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _recital(ctx: _Ctx, el: etree._Element, num: str) -> None:
    tds = el.findall(".//td")
    body = "\n".join(_text(p) for p in tds[-1].iter("p")) if tds else _text(el)
    w = ctx.wording
    ctx.add(f"recital-{num}", f"{w.act}, {w.recital.format(num)}", "recital", body, "", None)


def _article(ctx: _Ctx, el: etree._Element, num: str) -> None:
    w = ctx.wording
    title = ""
    for p in el.iter("p"):
        if "oj-sti-art" in _cls(p):
            title = clean_ws(_text(p))
            break
    ref = f"art-{num}"
    label = f"{w.act}, {w.article.format(num)}"
    children = [c for c in el if isinstance(c.tag, str)]
    numbered = [c for c in children if c.tag == "div" and _PARA_ID.match(c.get("id") or "")]
    loose = [c for c in children if c.tag == "p" and "oj-normal" in _cls(c)]
    if numbered:
        # Numbered paragraphs; anything else directly under the article is its own text.
        own = "\n".join(_text(c) for c in loose)
        ctx.add(ref, label, "article", own, title, None)
        for div in numbered:
            _paragraph(ctx, div, ref, label, title)
        return
    if len(loose) >= 2:
        # Un-numbered paragraphs (e.g. article 113): refs use their ordinal.
        ctx.add(ref, label, "article", "", title, None)
        groups: list[list[etree._Element]] = []
        for c in children:
            if c.tag == "p" and "oj-normal" in _cls(c):
                groups.append([c])
            elif c.tag in ("table", "div") and groups and not _is_heading(c):
                groups[-1].append(c)
        for i, group in enumerate(groups, 1):
            pref = f"{ref}-{i}"
            plabel = f"{label}, {w.paragraph.format(i)}"
            _container(ctx, group, pref, plabel, "paragraph", title, ref)
        return
    # A single lead-in (or none) followed by points: points hang from the article itself.
    body = [c for c in children if not _is_heading(c)]
    _container(ctx, body, ref, label, "article", title, None)


def _is_heading(el: etree._Element) -> bool:
    return "eli-title" in _cls(el) or "oj-ti-art" in _cls(el)


def _paragraph(ctx: _Ctx, div: etree._Element, art_ref: str, art_label: str, title: str) -> None:
    first = next((p for p in div.iter("p")), None)
    m = _PARA_NUM.match(_text(first)) if first is not None else None
    num = m.group(1) if m else (div.get("id") or "0.0").split(".")[1].lstrip("0") or "0"
    ref = f"{art_ref}-{num}"
    label = f"{art_label}, {ctx.wording.paragraph.format(num)}"
    _container(ctx, list(div), ref, label, "paragraph", title, art_ref)


def _container(
    ctx: _Ctx,
    elements: list[etree._Element],
    ref: str,
    label: str,
    kind: str,
    title: str,
    parent: str | None,
) -> None:
    """Emit a unit for the loose text of `elements`, then one per point table inside."""
    own: list[str] = []
    points: list[tuple[str, etree._Element]] = []
    _collect(elements, own, points)
    ctx.add(ref, label, kind, "\n".join(own), title, parent)
    seen: set[str] = set()
    for point_label, cell in points:
        key = point_label.lower()
        pref = f"{ref}-{key}"
        if pref in seen:  # a repeated label (quoted text in amending articles): keep it in order, unique
            n = 2
            while f"{pref}-{n}" in seen:
                n += 1
            pref = f"{pref}-{n}"
        seen.add(pref)
        if kind in ("annex", "annex-section"):
            plabel, pkind = (
                f"{label}, {ctx.wording.point.format(point_label).rstrip(')').replace('(', '')}",
                "annex-point",
            )
        elif kind == "annex-point":
            plabel, pkind = f"{label} {point_label})" if ctx.lang == "fr" else f"{label}({point_label})", "annex-point"
        else:
            sub = kind in ("point", "subpoint")
            word = ctx.wording.subpoint if sub and _ROMAN.match(key) else ctx.wording.point
            plabel, pkind = f"{label}, {word.format(point_label)}", "subpoint" if sub else "point"
        _container(ctx, list(cell), pref, plabel, pkind, title, ref)


def _collect(elements: list[etree._Element], own: list[str], points: list[tuple[str, etree._Element]]) -> None:
    for el in elements:
        if not isinstance(el.tag, str) or _is_heading(el):
            continue
        if el.tag == "table":
            row = _point_row(el)
            if row is None:
                own.append(_text(el))
                continue
            label, cell = row
            if label is None:  # dash item: part of the enclosing text
                own.append("— " + clean_ws(_text(cell)))
            else:
                points.append((label, cell))
        elif el.tag == "div":
            _collect(list(el), own, points)
        elif el.tag in ("p", "span"):
            own.append(_text(el))


def _point_row(table: etree._Element) -> tuple[str | None, etree._Element] | None:
    rows = table.findall("./tbody/tr") or table.findall("./tr")
    if len(rows) != 1:
        return None
    cells = rows[0].findall("./td")
    if len(cells) < 2:
        return None
    content = cells[-1]
    for cell in cells[:-1]:
        raw = clean_ws(_text(cell))
        if not raw:
            continue
        if _DASH_LABEL.match(raw):
            return None, content
        m = _POINT_LABEL.match(raw)
        if m:
            return m.group(1), content
        return None
    return None


def _annex(ctx: _Ctx, el: etree._Element, num: str) -> None:
    w = ctx.wording
    roman = num.upper()
    ref = f"annex-{num.lower()}"
    label = f"{w.act}, {w.annex.format(roman)}"
    titles = [clean_ws(_text(p)) for p in el.iter("p") if "oj-doc-ti" in _cls(p)]
    title = titles[1] if len(titles) > 1 else ""
    body: list[etree._Element] = []
    sections: list[tuple[str, str, list[etree._Element]]] = []
    for c in _annex_flow(el):
        if c.tag == "p" and "oj-doc-ti" in _cls(c):
            continue
        if c.tag == "p" and "oj-ti-grseq-1" in _cls(c):
            heading = clean_ws(_text(c))
            m = _SECTION.match(heading)
            if m:
                sections.append((m.group(1).lower(), heading, []))
                continue
        (sections[-1][2] if sections else body).append(c)
    _container(ctx, body, ref, label, "annex", title, None)
    for letter, heading, elements in sections:
        sref = f"{ref}-{letter}"
        slabel = f"{label}, {w.section.format(letter.upper())}"
        heading_p = lhtml.fromstring(f"<p>{_escape(heading)}</p>")
        _container(ctx, [heading_p, *elements], sref, slabel, "annex-section", title, ref)


def _annex_flow(el: etree._Element) -> list[etree._Element]:
    """Children of an annex container, with wrapper divs flattened."""
    out: list[etree._Element] = []
    for c in el:
        if not isinstance(c.tag, str):
            continue
        if c.tag == "div" and not c.get("id", "").startswith(("art_", "anx_")) and "eli-title" not in _cls(c):
            out.extend(_annex_flow(c))
        else:
            out.append(c)
    return out


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
