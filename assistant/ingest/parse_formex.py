"""Parser for Formex 4 XML of EU amending acts (Regulation (EU) 2026/1744, "Digital Omnibus on AI").

`parse_formex()` turns the Official Journal Formex main file (and its annex member files) into
a flat list of `Unit`s in document order:

    citations                 title of the act, citations ("Having regard to ...")
    recital-1 ... recital-47  recitals
    art-1 ... art-4           articles (own text = lead-in, e.g. "Regulation (EU) 2024/1689 is
                              amended as follows:"); numbered paragraphs of a plain article
                              become art-N-P units
    art-1-1 ... art-1-43      amending points (text = whole instruction with the quoted new text)
    art-1-9-a, ...            lettered sub-instructions of an amending point
    annex-xiv, annex-xiv-1 ...  annex member files, placed right after the point that adds them
    final                     closing formula and signatures

Labels are French (users are French), the text stays in the document's language.

`amends` holds, for amending (sub)points of an article that amends the AI Act (Regulation (EU)
2024/1689), the AI Act refs the instruction changes, inserts or deletes (`art-5-1-ba`,
`art-10-5`, `annex-viii-b-7`, ...). They are read from the English instruction by the small
grammar in `instruction_targets()`. A point with sub-instructions carries the union of its
children's refs. Points that amend other acts have empty `amends`.

Footnotes: inline note references are removed from the text flow; each footnote's text is
appended to the unit that references it, as a line "[Note] ...", after the unit's own text.

The XML parser resolves no entities, loads no DTD and makes no network access; documents that
declare entities are refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeAlias

from lxml import etree

from assistant.base.errors import ParseError
from assistant.base.units import Unit

__all__ = ["AI_ACT_NUMBER", "instruction_targets", "parse_formex"]

AI_ACT_NUMBER = "2024/1689"
# Regulation (EU) 2024/1689 as adopted has Annexes I to XIII; "the following Annex is added"
# then means Annex XIV when the annex file itself is not available to tell its number.
_AI_ACT_ANNEX_COUNT = 13

# An lxml element (lxml ships no type information: its imports are Any to mypy).
_Element: TypeAlias = etree._Element


def _number_of(parent: _Element, tag: str) -> Callable[[_Element], bool]:
    """Skip the number element (`tag`) that is a direct child of `parent` when rendering it."""
    return lambda e: e.tag == tag and e.getparent() is parent


def _is(target: _Element) -> Callable[[_Element], bool]:
    return lambda e: e is target


# Elements rendered as separate lines; everything else is inline.
_BLOCK_TAGS = frozenset(
    {
        "ALINEA",
        "ARTICLE",
        "CONSID",
        "CONTENTS",
        "FINAL",
        "GR.CONSID.INIT",
        "GR.SEQ",
        "GR.VISA",
        "ITEM",
        "LIST",
        "NP",
        "P",
        "PARAG",
        "PL.DATE",
        "PREAMBLE.FINAL",
        "PREAMBLE.INIT",
        "QUOT.S",
        "SIGNATORY",
        "SIGNATURE",
        "STI.ART",
        "TBL",
        "TI",
        "TI.ART",
        "TITLE",
        "VISA",
    }
)
_SKIPPED_TAGS = frozenset({"BIB.INSTANCE"})
_NUMBER_TAGS = frozenset({"NO.P", "NO.PARAG"})
_QUOTE_TAGS = frozenset({"QUOT.START", "QUOT.END"})
_LIST_MARKERS = {"DASH": "\u2014", "NDASH": "\u2013", "BULLET": "\u2022"}
_QUOTE_CHARS = "\u2018\u2019\u201c\u201d'\""

_AMENDED_AS_FOLLOWS_RE = re.compile(r"\b(?:is|are) amended as follows\b", re.I)
_ACT_RE = re.compile(r"\b(Regulation|Directive|Decision)\s+\((EU|EC|EEC|Euratom)\)\s+(?:No\s+)?(\d{2,4}/\d+)")
_ACT_FR = {"Regulation": "Règlement", "Directive": "Directive", "Decision": "Décision"}
_ORG_FR = {"EU": "UE", "EC": "CE", "EEC": "CEE", "Euratom": "Euratom"}
_ARTICLE_NUM_RE = re.compile(r"\bArticle\s+(\d+[a-z]*)\b")
_ANNEX_TITLE_RE = re.compile(r"\bAnnex\s+([IVXLC]+)\b", re.I)


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
    )


def _load(path: Path, what: str) -> _Element:
    """Read and parse one Formex file; every failure becomes a French `ParseError`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ParseError(
            f"Fichier Formex introuvable : {path} ({what}). Vérifiez le chemin indiqué "
            "(dossier du corpus, manifeste) ou replacez le fichier dans le corpus."
        ) from None
    except IsADirectoryError:
        raise ParseError(
            f"{path} est un dossier, pas un fichier Formex ({what}). Indiquez le chemin du fichier XML lui-même."
        ) from None
    except OSError as exc:
        raise ParseError(
            f"Impossible de lire le fichier Formex {path} ({what}) : {exc.strerror or exc}. "
            "Vérifiez les droits d'accès au fichier."
        ) from None
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        raise ParseError(
            f"Le fichier {path} ({what}) n'est pas un XML bien formé "
            f"(ligne {line}, colonne {column} : {exc.msg}). Il est peut-être tronqué ou "
            "corrompu : récupérez de nouveau le fichier Formex officiel (EUR-Lex) puis "
            "relancez l'indexation."
        ) from None
    except ValueError as exc:  # e.g. bytes that lxml refuses outright
        raise ParseError(
            f"Le fichier {path} ({what}) n'a pas pu être lu comme XML : {exc}. "
            "Vérifiez qu'il s'agit bien d'un fichier Formex."
        ) from None
    if root is None:
        raise ParseError(
            f"Le fichier {path} ({what}) ne contient aucun élément XML. "
            "Récupérez de nouveau le fichier Formex officiel."
        )
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise ParseError(
            f"Le fichier {path} ({what}) déclare des entités XML (DOCTYPE), ce qu'un fichier "
            "Formex officiel ne fait pas ; il est refusé par sécurité. Utilisez le fichier "
            "publié sur EUR-Lex."
        )
    return root


# --------------------------------------------------------------------------------------
# Text rendering
# --------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.split())


def _clean_number(text: str) -> str:
    """'‘(ba)' -> 'ba', '1a.' -> '1a', 'a.' -> 'a'."""
    text = _norm(text).strip(_QUOTE_CHARS + " ")
    text = text.strip("().").strip()
    return text.lower()


class _Writer:
    """Renders Formex content as lines: block elements on their own lines, notes collected apart."""

    def __init__(
        self,
        skip: Callable[[_Element], bool] | None = None,
        include_quotes: bool = True,
        incl_text: Callable[[_Element], str] | None = None,
    ) -> None:
        self.lines: list[str] = []
        self.notes: list[str] = []
        self._cur: list[str] = []
        self._glue = False  # a number was just written: the next block continues its line
        self._after_block = False
        self._skip = skip
        self._include_quotes = include_quotes
        self._incl_text = incl_text

    # -- low level
    def _flush(self) -> None:
        line = _norm("".join(self._cur))
        if line:
            self.lines.append(line)
        self._cur = []

    def text(self, s: str | None) -> None:
        if not s:
            return
        if self._after_block and self.lines and not "".join(self._cur).strip():
            # punctuation closing a block (";" after a quotation) stays on the block's last line
            m = re.match(r"\s*([;:.,]+)", s)
            if m:
                self.lines[-1] += m.group(1)
                s = s[m.end() :]
        if not s:
            return
        self._cur.append(s)
        if s.strip():
            self._glue = False
            self._after_block = False

    def block_start(self) -> None:
        if not self._glue:
            self._flush()

    def block_end(self) -> None:
        self._flush()
        self._glue = False
        self._after_block = True

    # -- tree walking
    def render(self, el: _Element) -> None:
        tag = el.tag
        if not isinstance(tag, str):  # processing instruction (<?PAGE?>) or comment
            return
        if tag in _SKIPPED_TAGS or (self._skip is not None and self._skip(el)):
            return
        if tag == "NOTE":
            self.notes.append(_render_note(el))
            return
        if tag in _QUOTE_TAGS:
            if self._include_quotes:
                self.text(_quote_char(el))
            return
        if tag == "INCL.ELEMENT":
            self.text(self._incl_text(el) if self._incl_text else "")
            return
        if tag == "ROW":
            self._render_row(el)
            return
        block = tag in _BLOCK_TAGS
        if block:
            self.block_start()
        if tag == "ITEM":
            marker = _LIST_MARKERS.get(el.getparent().get("TYPE", "") if el.getparent() is not None else "")
            if marker:  # unnumbered list: the printed dash is implied by the list type
                self.text(marker + " ")
                self._glue = True
        self.children(el)
        if tag in _NUMBER_TAGS:
            self.text(" ")
            self._glue = True
        if block:
            self.block_end()

    def children(self, el: _Element) -> None:
        self.text(el.text)
        for child in el:
            self.render(child)
            self.text(child.tail)

    def _render_row(self, row: _Element) -> None:
        cells = []
        for cell in row:
            if not isinstance(cell.tag, str):
                continue
            sub = _Writer(self._skip, self._include_quotes, self._incl_text)
            sub.children(cell)
            sub._flush()
            self.notes.extend(sub.notes)
            value = " ".join(sub.lines)
            if value:
                cells.append(value)
        self.block_start()
        self.text(" | ".join(cells))
        self.block_end()

    def result(self, with_notes: bool = True) -> str:
        self._flush()
        lines = list(self.lines)
        if with_notes:
            lines.extend(f"[Note] {n}" for n in self.notes if n)
        return "\n".join(lines)


def _quote_char(el: _Element) -> str:
    code = el.get("CODE", "")
    try:
        return chr(int(code, 16))
    except ValueError:
        return "'"


def _render_note(note: _Element) -> str:
    w = _Writer(include_quotes=False)
    w.children(note)
    w._flush()
    # a footnote inside a footnote is not expected; keep its text inline if it happens
    return " ".join(w.lines + [f"[Note] {n}" for n in w.notes])


def _inline(el: _Element | None) -> str:
    """Text of an element on one line, notes and quotation marks left out."""
    if el is None:
        return ""
    w = _Writer(include_quotes=False)
    w.children(el)
    w._flush()
    return " ".join(w.lines)


# --------------------------------------------------------------------------------------
# Instruction grammar: which AI Act provisions does an amending instruction touch?
# --------------------------------------------------------------------------------------

_ORDINALS = {
    "first": "1",
    "second": "2",
    "third": "3",
    "fourth": "4",
    "fifth": "5",
    "sixth": "6",
    "seventh": "7",
    "eighth": "8",
    "ninth": "9",
    "tenth": "10",
}
_ID = r"(?:\(\w+\)|\d+[a-z]*)"
_ID_LIST = rf"{_ID}(?:(?:\s*,\s*|\s+and\s+){_ID})*"
_MENTION_RE = re.compile(
    rf"""
      \bArticles?\s+(?P<art>\d+[a-z]*)(?P<artsub>(?:\(\w+\))*)
    | \bAnnex\s+(?P<annex>[IVXLC]+)\b
    | \b[Ss]ections?\s+(?P<section>[A-Z])\b
    | \b(?P<ord>{"|".join(_ORDINALS)})\s+paragraph\b
    | \bparagraphs?\s+(?P<par>{_ID_LIST})
    | \bpoints?\s+(?P<pt>{_ID_LIST})
    """,
    re.X,
)
_FOLLOWING_RE = re.compile(
    r"\bfollowing\s+(?P<noun>points?|paragraphs?|subparagraphs?|articles?|annex(?:es)?|"
    r"sections?|sentences?|indents?)\s+(?:is|are)\s+(?:inserted|added)\b",
    re.I,
)
_ID_SPLIT_RE = re.compile(r"\s*,\s*|\s+and\s+")

Path_ = tuple[str, ...]


def _split_ids(text: str) -> list[str]:
    return [_clean_number(p) for p in _ID_SPLIT_RE.split(text.strip()) if p.strip()]


def _path_ref(path: Path_) -> str:
    return "-".join(path)


def instruction_targets(
    instruction: str,
    context: Sequence[Path_] = (),
    quoted_ids: Sequence[str] = (),
) -> tuple[list[Path_], bool]:
    """Read one amending instruction (the words before the quoted text).

    `context` holds the location(s) named by the enclosing point's lead-in ("Article 10 is
    amended as follows:" -> [("art-10",)]); `quoted_ids` are the numbers of the top-level
    provisions of the quoted new text ("ba", "1a", "Article 4a" -> "art:4a", an annex ->
    "annex:xiv"). Returns the target paths (e.g. [("art-10", "5")]) and whether the
    instruction only opens a list of sub-instructions ("... is amended as follows:").

    >>> instruction_targets("in Article 5(1), the following points are inserted:", (), ["ba", "bb"])
    ([('art-5', '1', 'ba'), ('art-5', '1', 'bb')], False)
    """
    branches: list[Path_] = [tuple(p) for p in context] or [()]
    for m in _MENTION_RE.finditer(instruction):
        if m.group("art"):
            subs = tuple(_clean_number(s) for s in re.findall(r"\(\w+\)", m.group("artsub")))
            branches = [(f"art-{m.group('art').lower()}", *subs)]
        elif m.group("annex"):
            branches = [(f"annex-{m.group('annex').lower()}",)]
        elif m.group("section"):
            branches = [(*b, m.group("section").lower()) for b in branches]
        elif m.group("ord"):
            branches = [(*b, _ORDINALS[m.group("ord")]) for b in branches]
        else:
            ids = _split_ids(m.group("par") or m.group("pt") or "")
            branches = [(*b, i) for b in branches for i in ids]
    opens_list = bool(_AMENDED_AS_FOLLOWS_RE.search(instruction))
    following = _FOLLOWING_RE.search(instruction)
    if following:
        noun = following.group("noun").lower()
        if noun.startswith("article"):
            arts = [q.split(":", 1)[1] for q in quoted_ids if q.startswith("art:")]
            return [(f"art-{a}",) for a in arts], False
        if noun.startswith("annex"):
            annexes = [q.split(":", 1)[1] for q in quoted_ids if q.startswith("annex:")]
            return [(f"annex-{a}",) for a in annexes], False
        if noun.startswith(("subparagraph", "sentence", "indent")):
            return [b for b in branches if b], False
        ids = [q for q in quoted_ids if ":" not in q]
        if ids:
            return [(*b, i) for b in branches if b for i in ids], False
    return [b for b in branches if b], opens_list


# --------------------------------------------------------------------------------------
# Document structure
# --------------------------------------------------------------------------------------


@dataclass
class _Annex:
    path: Path
    root: _Element
    number: str  # lowercase roman, e.g. "xiv"
    heading: str  # e.g. "The list of codes, categories ..."
    fileref_key: str  # e.g. "003601" (first page and sequence, as in Formex file names)
    pages: dict[_Element, int]
    last_page: int
    used: bool = False
    amends_ai_act: bool = False
    added_to: str = ""  # French name of the act it is added to, e.g. "règlement (UE) 2024/1689"


def _bib_int(root: _Element, tag: str, default: int) -> int:
    try:
        return int(root.findtext(f"BIB.INSTANCE/{tag}") or default)
    except ValueError:
        return default


def _page_map(
    root: _Element, included_last_page: Callable[[_Element], int | None] | None = None
) -> dict[_Element, int]:
    """Page at which each element starts, from <PAGE.FIRST> and the <?PAGE NO="n"?> markers.

    An included annex file (<INCL.ELEMENT>) is printed in place: what follows it starts no
    earlier than the annex's last page.
    """
    page = _bib_int(root, "PAGE.FIRST", 1)
    pages: dict[_Element, int] = {}
    for node in root.iter():
        if node.tag is etree.PI:
            if node.target == "PAGE":
                m = re.search(r'NO="(\d+)"', node.text or "")
                if m:
                    page = int(m.group(1))
            continue
        pages[node] = page
        if (
            node.tag == "INCL.ELEMENT"
            and included_last_page is not None
            and node.getparent().tag != "INCLUSIONS"  # the list in BIB.INSTANCE
        ):
            page = max(page, included_last_page(node) or page)
    return pages


def _act_name(title: str) -> tuple[str, str] | None:
    """('Règlement (UE) 2026/1744', '2026/1744') from an English act name."""
    m = _ACT_RE.search(title)
    if not m:
        return None
    kind, org, number = m.groups()
    return f"{_ACT_FR[kind]} ({_ORG_FR[org]}) {number}", number


def _load_annex(path: Path) -> _Annex:
    root = _load(path, "annexe")
    title = _inline(root.find("TITLE"))
    m = _ANNEX_TITLE_RE.search(title)
    if root.tag != "ANNEX" or not m:
        raise ParseError(
            f"Le fichier {path} n'est pas une annexe Formex reconnue (élément ANNEX avec un "
            f"titre « Annex … » attendu, trouvé <{root.tag}> « {title[:60]} »). Vérifiez la "
            "liste des fichiers d'annexe passés au parseur."
        )
    contents = root.find("CONTENTS")
    heading = ""
    if contents is not None:
        first_p = contents.find("P")
        if first_p is not None:
            heading = _inline(first_p)
    key = f"{_bib_int(root, 'PAGE.FIRST', 0):04d}{_bib_int(root, 'PAGE.SEQ', 1):02d}"
    return _Annex(
        path=Path(path),
        root=root,
        number=m.group(1).lower(),
        heading=heading,
        fileref_key=key,
        pages=_page_map(root),
        last_page=_bib_int(root, "PAGE.LAST", 0),
    )


def _match_annex(fileref: str, annexes: list[_Annex]) -> _Annex | None:
    for annex in annexes:
        if not annex.used and fileref == annex.path.name:
            return annex
    m = re.search(r"\.(\d{6})\.fmx\.xml$", fileref)
    if m:
        for annex in annexes:
            if not annex.used and annex.fileref_key == m.group(1):
                return annex
    return None


class _Builder:
    def __init__(self, root: _Element, doc_id: str, lang: str, annexes: list[_Annex], source: Path) -> None:
        self.root = root
        self.doc_id = doc_id
        self.lang = lang
        self.annexes = annexes
        self.source = source
        self.pages = _page_map(root, self._included_last_page)
        self.units: list[Unit] = []
        self.added_annexes = 0
        title_text = _inline(root.find("TITLE"))
        name = _act_name(title_text)
        if name is None:
            year = root.findtext("BIB.INSTANCE/NO.DOC/YEAR")
            num = root.findtext("BIB.INSTANCE/NO.DOC/NO.CURRENT")
            prefix = f"Acte {year}/{num}" if year and num else f"Document {doc_id}"
        else:
            prefix = name[0]
        self.prefix = prefix
        self.act_title = title_text

    # -- helpers
    def add(self, ref: str, label: str, kind: str, text: str, el: _Element | None, **kw) -> Unit:
        page = self.pages.get(el) if el is not None else None
        unit = Unit(
            doc_id=self.doc_id,
            ref=ref,
            label=label,
            kind=kind,
            text=text,
            lang=self.lang,
            page=kw.pop("page", page),
            **kw,
        )
        self.units.append(unit)
        return unit

    def _included_last_page(self, incl: _Element) -> int | None:
        annex = self.match_annex(incl)
        return annex.last_page if annex is not None else None

    def match_annex(self, incl: _Element) -> _Annex | None:
        annex = _match_annex(incl.get("FILEREF", ""), self.annexes)
        if annex is None:
            unused = [a for a in self.annexes if not a.used]
            if len(unused) == 1:
                annex = unused[0]  # the only annex file left, under another file name
        return annex

    def incl_text(self, el: _Element) -> str:
        annex = self.match_annex(el)
        if annex is None:
            return f"[Annex in a separate file: {el.get('FILEREF', '?')}]"
        heading = f": {annex.heading}" if annex.heading else ""
        return f"[Annex {annex.number.upper()}{heading}]"

    def render(self, el: _Element, skip: Callable[[_Element], bool] | None = None) -> str:
        w = _Writer(skip=skip, incl_text=self.incl_text)
        w.render(el)
        return w.result()

    # -- document parts
    def build(self) -> list[Unit]:
        enacting = self.root.find("ENACTING.TERMS")
        articles = enacting.findall("ARTICLE") if enacting is not None else []
        if not articles:
            raise ParseError(
                f"Aucun article (élément ARTICLE dans ENACTING.TERMS) trouvé dans {self.source}. "
                "Ce fichier n'est pas le fichier principal Formex d'un acte (une annexe, peut-être ?) : "
                "indiquez le fichier principal (…000101.fmx.xml) et passez les annexes à part."
            )
        self.citations()
        for consid in self.root.iterfind("PREAMBLE/GR.CONSID/CONSID"):
            self.recital(consid)
        for article in articles:
            self.article(article)
        for annex in self.annexes:  # annex files that no <INCL.ELEMENT> points to
            if not annex.used:
                self.annex(annex)
        final = self.root.find("FINAL")
        if final is not None:
            text = self.render(final)
            if text:
                self.add("final", f"{self.prefix}, formule finale et signatures", "final", text, final)
        return self.units

    def citations(self) -> None:
        title = self.root.find("TITLE")
        preamble = self.root.find("PREAMBLE")
        w = _Writer(skip=lambda e: e.tag == "GR.CONSID", incl_text=self.incl_text)
        if title is not None:
            w.render(title)
        if preamble is not None:
            w.render(preamble)
        text = w.result()
        if text:
            self.add(
                "citations",
                f"{self.prefix}, titre et visas",
                "citations",
                text,
                title,
                title=self.act_title,
            )

    def recital(self, consid: _Element) -> None:
        number = _clean_number(_inline(consid.find("NP/NO.P")))
        if not number:
            number = str(sum(1 for u in self.units if u.kind == "recital") + 1)
        text = self.render(consid, skip=lambda e: e.tag == "NO.P" and e.getparent().getparent() is consid)
        self.add(f"recital-{number}", f"{self.prefix}, considérant {number}", "recital", text, consid)

    def article(self, article: _Element) -> None:
        number = ""
        m = _ARTICLE_NUM_RE.search(_inline(article.find("TI.ART")))
        if m:
            number = m.group(1).lower()
        else:
            ident = (article.get("IDENTIFIER") or "").lstrip("0").lower()
            number = ident or str(sum(1 for u in self.units if u.kind == "article") + 1)
        ref = f"art-{number}"
        label = f"{self.prefix}, article {number}"
        title = _inline(article.find("STI.ART"))

        amending_lists: list[tuple[_Element, str]] = []  # (LIST, lead-in)
        for alinea in article.findall("ALINEA"):
            lst = alinea.find("LIST")
            if lst is None:
                continue
            lead = _inline_without(alinea, lst)
            if _AMENDED_AS_FOLLOWS_RE.search(lead):
                amending_lists.append((lst, lead))
        paragraphs = article.findall("PARAG")
        separate = [x for x, _ in amending_lists] + paragraphs
        text = self.render(
            article,
            skip=lambda e: e.tag in ("TI.ART", "STI.ART") or any(e is x for x in separate),
        )
        self.add(ref, label, "article", text, article, title=title)

        for parag in paragraphs:
            pnum = _clean_number(_inline(parag.find("NO.PARAG"))) or str(paragraphs.index(parag) + 1)
            ptext = self.render(parag, skip=_number_of(parag, "NO.PARAG"))
            self.add(
                f"{ref}-{pnum}",
                f"{label}, paragraphe {pnum}",
                "paragraph",
                ptext,
                parag,
                title=title,
                parent=ref,
            )

        for lst, lead in amending_lists:
            act = _act_name(lead)
            amends_ai_act = act is not None and act[1] == AI_ACT_NUMBER
            amended_name = act[0] if act else ""
            amended_name = amended_name[:1].lower() + amended_name[1:]
            for index, item in enumerate(lst.findall("ITEM"), start=1):
                self.amending_point(item, index, ref, label, title, amends_ai_act, amended_name)

    def amending_point(
        self,
        item: _Element,
        index: int,
        art_ref: str,
        art_label: str,
        title: str,
        ai_act: bool,
        amended_name: str,
    ) -> None:
        np_ = item.find("NP")
        if np_ is None:
            np_ = item
        number = _clean_number(_inline(np_.find("NO.P"))) or str(index)
        ref = f"{art_ref}-{number}"
        label = f"{art_label}, point {number})"
        instruction = _inline(np_.find("TXT"))
        sub_list = None
        for p in np_.findall("P"):
            sub_list = p.find("LIST")
            if sub_list is not None:
                break
        own_no = np_.find("NO.P")
        quoted = self.quoted_ids(np_)
        targets, _opens = instruction_targets(instruction, (), quoted)
        sub_items = sub_list.findall("ITEM") if sub_list is not None else []

        if not sub_items:
            text = self.render(np_, skip=lambda e: e is own_no)
            amends = tuple(_path_ref(t) for t in targets) if ai_act else ()
            self.add(ref, label, "amending-point", text, item, title=title, parent=art_ref, amends=amends)
            self.place_annexes(np_, ai_act, amended_name)
            return

        text = self.render(np_, skip=lambda e: e is own_no or e is sub_list)
        point_index = len(self.units)
        self.add(ref, label, "amending-point", text, item, title=title, parent=art_ref)
        all_amends: list[str] = []
        for sub_index, sub in enumerate(sub_items, start=1):
            snp = sub.find("NP")
            if snp is None:
                snp = sub
            letter = _clean_number(_inline(snp.find("NO.P"))) or str(sub_index)
            sub_no = snp.find("NO.P")
            sub_instruction = _inline(snp.find("TXT"))
            sub_targets, _ = instruction_targets(sub_instruction, targets, self.quoted_ids(snp))
            amends = tuple(_path_ref(t) for t in sub_targets) if ai_act else ()
            all_amends.extend(a for a in amends if a not in all_amends)
            self.add(
                f"{ref}-{letter}",
                f"{label} {letter})",
                "amending-subpoint",
                self.render(snp, skip=_is(sub_no)),
                sub,
                title=title,
                parent=ref,
                amends=amends,
            )
            self.place_annexes(snp, ai_act, amended_name)
        self.units[point_index] = replace(self.units[point_index], amends=tuple(all_amends))

    def quoted_ids(self, np_: _Element) -> list[str]:
        """Numbers of the top-level provisions quoted by an instruction."""
        ids: list[str] = []
        for p in np_.findall("P"):
            for quote in p.findall("QUOT.S"):
                for child in quote:
                    tag = child.tag
                    if tag == "ARTICLE":
                        m = _ARTICLE_NUM_RE.search(_inline(child.find("TI.ART")))
                        if m:
                            ids.append(f"art:{m.group(1).lower()}")
                    elif tag == "PARAG":
                        ids.append(_clean_number(_inline(child.find("NO.PARAG"))))
                    elif tag == "LIST":
                        for it in child.findall("ITEM"):
                            no = it.find("NP/NO.P")
                            if no is not None:
                                ids.append(_clean_number(_inline(no)))
                    elif tag == "NP":
                        ids.append(_clean_number(_inline(child.find("NO.P"))))
                    elif tag == "INCL.ELEMENT":
                        annex = self.match_annex(child)
                        if annex is not None:
                            ids.append(f"annex:{annex.number}")
                        else:
                            self.added_annexes += 1
                            ids.append(f"annex:{_roman(_AI_ACT_ANNEX_COUNT + self.added_annexes)}")
        return [i for i in ids if i]

    def place_annexes(self, np_: _Element, ai_act: bool, amended_name: str) -> None:
        """Emit the annex files an instruction includes, right after it (document order)."""
        for incl in np_.iter("INCL.ELEMENT"):
            annex = self.match_annex(incl)
            if annex is not None:
                annex.amends_ai_act = ai_act
                annex.added_to = amended_name
                self.annex(annex)

    def annex(self, annex: _Annex) -> None:
        annex.used = True
        ref = f"annex-{annex.number}"
        label = f"{self.prefix}, annexe {annex.number.upper()}"
        if annex.added_to:
            label += f" (ajoutée au {annex.added_to})"
        root = annex.root
        saved_pages, self.pages = self.pages, annex.pages
        try:
            contents = root.find("CONTENTS")
            w = _Writer(skip=lambda e: e.tag == "GR.SEQ", incl_text=self.incl_text)
            title_el = root.find("TITLE")
            if title_el is not None:
                w.render(title_el)
            if contents is not None:
                w.render(contents)
            amends = (ref,) if annex.amends_ai_act else ()
            self.add(
                ref,
                label,
                "annex",
                w.result(),
                root,
                title=annex.heading or f"Annex {annex.number.upper()}",
                amends=amends,
            )
            if contents is not None:
                for index, seq in enumerate(contents.findall("GR.SEQ"), start=1):
                    self.annex_section(seq, index, ref, label, annex.amends_ai_act, "")
        finally:
            self.pages = saved_pages

    def annex_section(
        self,
        seq: _Element,
        index: int,
        parent_ref: str,
        annex_label: str,
        ai_act: bool,
        parent_num: str,
    ) -> None:
        no = seq.find("TITLE/TI/NP/NO.P")
        number = _clean_number(_inline(no)) if no is not None else ""
        number = number or str(index)
        ref = f"{parent_ref}-{number}"
        shown = f"{parent_num}.{number}" if parent_num else number
        heading_el = seq.find("TITLE/TI/NP/TXT")
        heading = _inline(heading_el) if heading_el is not None else _inline(seq.find("TITLE"))
        text = self.render(seq, skip=lambda e: e.tag == "GR.SEQ" and e is not seq)
        self.add(
            ref,
            f"{annex_label}, section {shown}",
            "annex-section",
            text,
            seq,
            title=heading,
            parent=parent_ref,
            amends=(ref,) if ai_act else (),
        )
        for sub_index, sub in enumerate(seq.findall("GR.SEQ"), start=1):
            self.annex_section(sub, sub_index, ref, annex_label, ai_act, shown)


def _inline_without(el: _Element, excluded: _Element) -> str:
    w = _Writer(skip=lambda e: e is excluded, include_quotes=False)
    w.children(el)
    w._flush()
    return " ".join(w.lines)


def _roman(n: int) -> str:
    values = [(100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
    out = []
    for value, sym in values:
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def parse_formex(
    path: Path,
    *,
    doc_id: str = "ai-act-2026-1744",
    lang: str = "en",
    annex_paths: Sequence[Path] = (),
) -> list[Unit]:
    """Parse a Formex 4 main file (and its annex member files) into units in document order.

    Raises `ParseError` (French message) for a missing or unreadable file, XML that is not
    well-formed (with line and column), a file with entity declarations, or a file without
    any ARTICLE.
    """
    path = Path(path)
    root = _load(path, "fichier principal")
    annexes = [_load_annex(Path(p)) for p in annex_paths]
    builder = _Builder(root, doc_id, lang, annexes, path)
    try:
        units = builder.build()
    except ParseError:
        raise
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
        raise ParseError(
            f"Structure Formex inattendue dans {path} ({type(exc).__name__} : {exc}). "
            "Vérifiez qu'il s'agit du fichier Formex officiel d'un acte modificatif ; "
            "sinon, signalez le fichier à l'équipe."
        ) from exc
    seen: set[str] = set()
    for unit in units:
        if unit.ref in seen:
            raise ParseError(
                f"Référence en double « {unit.ref} » dans {path} : la numérotation du fichier "
                "Formex est incohérente. Vérifiez le fichier (version officielle EUR-Lex)."
            )
        seen.add(unit.ref)
    return units
