"""Parser for the Conseil de Provence document « Intelligence artificielle #2 : Miscellanées ».

The source is the plain text extracted from the PDF (layout lost). It holds the
propos liminaires / introductifs, the draft departmental AI charter (contribution #1,
with its 7 « Défi N : … » challenges) and two contributions deepening défis 3 and 7.

What the extraction left behind, and how it is handled:

* paragraphs are wrapped at ~105 characters and blank lines also appear *inside*
  wrapped sentences, so paragraphs are rebuilt from punctuation and case cues
  (`_continues`), not from blank lines;
* a line that begins with whitespace is the first line of a PDF page;
* lone page numbers, lone bullets and blank lines are noise and are dropped;
* bullets (private-use glyph U+F0E6, "➔", "➢", "•", "-") are normalised to "- ";
* footnotes sit at the bottom of pages ("14 Cf rapport CDP …"); each one is moved
  to the unit holding its call marker ("responsable14"), the marker becomes "[14]"
  in the text and is removed from titles;
* line-wrap hyphens are repaired with `repair_hyphen`, which keeps real compound
  hyphens ("Bouches-du-Rhône", "bas-carbone").

The heading levels of contributions #2 and #3 carry no reliable typographic cue in
the text, so their sections are flat children of the contribution.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from assistant.base.errors import ParseError
from assistant.base.units import Unit

__all__ = [
    "is_arrow_heading",
    "is_caps_heading",
    "is_prose_heading",
    "parse_charter",
    "repair_hyphen",
    "slugify",
]

DOC_LABEL = "Conseil de Provence, « Intelligence artificielle #2 : Miscellanées »"
CHARTER_LABEL = "Charte IA du Département (projet)"
DEFAULT_CONTRIBUTION_1_TITLE = "Charte Intelligence artificielle"

# Bullets: Wingdings private-use glyphs (U+F0E6 here, and two common others), "➔", "➢", "•".
_BULLET_CHARS = "\uf0e6\u2794\u27a2\u2022\uf0a7\uf0b7\uf0d8"
_ARROW = "\u2794"
_PUA = re.compile(r"[\ue000-\uf8ff]")
_BULLET_START = re.compile(rf"^(?:[{_BULLET_CHARS}]|-\s|-(?=[A-ZÀ-Ý]))")
_FULL_LINE = 90  # characters: shorter lines may end a paragraph or be a title
_URL_START = re.compile(r"^(?:https?://|www\.)", re.IGNORECASE)
_LONE_PAGE_NUMBER = re.compile(r"\d{1,3}")
_WORD = r"[^\W\d_]"


def _words(text: str) -> list[str]:
    return text.split()


# Words after which a wrapped line always continues (a paragraph never ends on them).
_FUNCTION_WORDS = frozenset(
    _words(
        """
    a à au aux avec car ce ces cet cette chez comme d dans de des dont du en entre et
    l la le les leur leurs lors mais n ne ni nos notre ou où par pour qu que qui s sa
    sans se ses son sous sur tel telle tels telles un une vers afin plus très
        """
    )
)
# Right-hand parts that make a line-final hyphen a real compound hyphen.
_COMPOUND_RIGHT = frozenset(
    _words(
        """
    ci là t il ils elle elles on même mêmes du de des la le les en y à dessus dessous
    delà clé clés être uns unes après ce
        """
    )
)
# Left-hand parts that make a line-final hyphen a real compound hyphen.
_COMPOUND_LEFT = frozenset(
    _words(
        """
    non quasi vis ex sous bas haut demi semi mi néo post grand grande petit petite
    arrière avant contre porte garde peut
        """
    )
)
# First words that look like infinitives but are nouns in headings.
_NOT_INFINITIVES = frozenset(
    _words(
        """
    avenir levier dossier premier première cahier fichier chantier métier quartier hiver
    plaisir loisir désir souvenir devenir cadre ordre centre titre offre livre lettre
    nombre culture nature mesure structure procédure charte
        """
    )
)
_IRREGULAR_INFINITIVES = frozenset(
    _words(
        """
    prendre mettre réduire produire construire permettre faire dire inscrire décrire
    suivre vivre rendre défendre étendre connaître conduire instruire introduire
    traduire comprendre apprendre entreprendre reprendre soumettre transmettre admettre
    combattre résoudre lire écrire croire extraire promouvoir
        """
    )
)
_SLUG_STOPWORDS = frozenset(_words("a au aux d de des du en et l la le les ou par pour sur un une dans"))


# --------------------------------------------------------------------------- helpers


def slugify(text: str, max_words: int = 6) -> str:
    """ASCII-folded, lowercase, hyphenated slug of the first `max_words` words.

    Elided articles ("l’", "d’") do not count as words; trailing stop words ("de",
    "la", …) left by the cut are dropped.
    """
    text = text.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    words: list[str] = []
    counted = 0
    for word in re.findall(r"[a-z0-9]+", folded):
        if counted == max_words:
            break
        words.append(word)
        counted += len(word) > 1  # elided "l", "d" (from "l’", "d’") do not count
    while len(words) > 1 and (words[-1] in _SLUG_STOPWORDS or len(words[-1]) == 1):
        words.pop()
    return "-".join(words)


def _vocabulary(text: str) -> frozenset[str]:
    return frozenset(m.lower() for m in re.findall(rf"{_WORD}+(?:-{_WORD}+)*", text))


def repair_hyphen(left: str, right: str, vocab: frozenset[str] = frozenset()) -> str:
    """Join a line ending in "-" (`left`) with the next line (`right`).

    The hyphen is dropped ("déve-" + "loppement" -> "développement") unless it is a
    real compound hyphen: the left part or the next fragment is capitalised
    ("Bouches-" + "du-Rhône", "Aix-" + "Marseille"), the next fragment is a known
    compound part ("celle-" + "ci", "a-" + "t-il"), the left part is a known compound
    prefix ("non-" + "discrimination", "bas-" + "carbone"), or the document itself
    spells the word with a hyphen and never without.
    """
    left = left.rstrip()
    right = right.lstrip()
    if not left.endswith("-"):
        return f"{left} {right}".strip()
    m_left = re.search(rf"({_WORD}+)-$", left)
    m_right = re.match(rf"{_WORD}+", right)
    if not m_left or not m_right:  # "2030-", "-40 %", a dash: keep as written
        return left + right
    lw, rw = m_left.group(1), m_right.group(0)
    keep = (
        lw[0].isupper()
        or rw[0].isupper()
        or rw.lower() in _COMPOUND_RIGHT
        or lw.lower() in _COMPOUND_LEFT
        or (f"{lw}-{rw}".lower() in vocab and f"{lw}{rw}".lower() not in vocab)
    )
    return left + right if keep else left[:-1] + right


def _strip_bullet(text: str) -> tuple[bool, str]:
    m = _BULLET_START.match(text)
    if not m:
        return False, text
    return True, text[m.end() :].lstrip(_BULLET_CHARS + " -")


def _first_word(text: str) -> str:
    m = re.match(rf"{_WORD}+", text)
    return m.group(0).lower() if m else ""


def _last_word(text: str) -> str:
    m = re.search(rf"({_WORD}+)[’']?$", text)
    return m.group(1).lower() if m else ""


def _looks_infinitive(word: str) -> bool:
    word = word.lower()
    if word in _NOT_INFINITIVES:
        return False
    return word.endswith(("er", "ir")) or word in _IRREGULAR_INFINITIVES


def is_arrow_heading(text: str) -> bool:
    """A "➔" line that heads a sub-section ("➔ Proportionnalité"), not a list item.

    List items are sentences ("➔ Limiter les usages non essentiels", "➔ … ;"): they
    end with punctuation, are long, or start with an infinitive verb.
    """
    text = text.strip()
    if not text.startswith(_ARROW):
        return False
    body = _MARKER.sub("", text.lstrip(_ARROW + " ")).strip()
    if not body or len(body) > 70 or body[-1] in ".;,:!…":
        return False
    if not body[0].isupper():
        return False
    return not _looks_infinitive(_first_word(body))


def is_caps_heading(text: str) -> bool:
    """An all-capitals title line ("PRECONISATIONS", "GREEN AI (IA frugale)")."""
    body = _MARKER.sub("", text).strip()
    if not body or len(body) > 80 or body[-1] in ".;,:" or _BULLET_START.match(body):
        return False
    letters = [c for c in body if c.isalpha()]
    if len(letters) < 4:
        return False
    ratio = sum(c.isupper() for c in letters) / len(letters)
    return ratio >= 0.6 or bool(re.match(r"^[A-ZÀ-Ý]{2,}\s+[A-ZÀ-Ý]{2,}\b", body))


def is_prose_heading(text: str, next_text: str | None, n_lines: int = 1) -> bool:
    """A short un-bulleted title line followed by a new sentence.

    ("Les enjeux environnementaux", "Développer un cloud départemental").
    """
    body = _MARKER.sub("", text).strip()
    if not body or next_text is None or n_lines > 3 or len(body) > 160:
        return False
    if not body[0].isupper() or _BULLET_START.match(body):
        return False
    if body[-1] in ".;,:!…" or _last_word(body) in _FUNCTION_WORDS:
        return False
    if "|" in body or "http" in body or body.lower().startswith("source"):
        return False
    nxt = next_text.lstrip()
    return bool(nxt) and (nxt[0].isupper() or nxt[0].isdigit() or bool(_BULLET_START.match(nxt)))


# --------------------------------------------------------------------------- lines

# Footnote markers are replaced by this sentinel (\x00N\x00) while parsing; it
# becomes "[N]" in texts and disappears from titles.
_MARKER = re.compile(r"\x00(\d+)\x00")


@dataclass
class _Line:
    no: int  # 1-based line number in the file
    raw: str
    text: str  # whitespace-collapsed
    page_start: bool  # the raw line starts with whitespace: first line of a PDF page
    gap: bool  # blank or noise lines were dropped just before it
    footnotes: list[str] = field(default_factory=list)  # footnotes whose marker is on this line
    standalone: bool = False  # a footnote whose marker was not found: always its own paragraph


def _read_lines(path: Path) -> list[_Line]:
    if not path.exists():
        raise ParseError(
            f"Le document de la charte est introuvable : {path}. "
            "Vérifiez le chemin du corpus (variable ASSISTANT_CORPUS_DIR) et le manifeste."
        )
    if not path.is_file():
        raise ParseError(f"Le chemin de la charte {path} n'est pas un fichier : indiquez le fichier texte du document.")
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise ParseError(
            f"Le document de la charte {path} n'est pas un texte UTF-8 ({err.reason}) : "
            "ré-extrayez le texte du PDF en UTF-8."
        ) from err
    except OSError as err:
        raise ParseError(
            f"Le document de la charte {path} est illisible ({err}) : vérifiez ses droits d'accès."
        ) from err
    lines: list[_Line] = []
    gap = False
    for no, raw in enumerate(content.splitlines(), start=1):
        text = " ".join(raw.split())
        if _is_noise(text):
            gap = True
            continue
        page_start = raw[:1].isspace()
        lines.append(_Line(no=no, raw=raw, text=text, page_start=page_start, gap=gap))
        gap = False
    if not lines:
        raise ParseError(
            f"Le document de la charte {path} est vide (aucune ligne de texte) : "
            "ré-extrayez le texte du PDF « Intelligence artificielle #2 : Miscellanées »."
        )
    return lines


def _is_noise(text: str) -> bool:
    """Blank line, lone page number or lone bullet."""
    return not _PUA.sub("", text).strip(_BULLET_CHARS + " -") or bool(_LONE_PAGE_NUMBER.fullmatch(text))


_FOOTNOTE_START = re.compile(r"^(\d{1,2}) (\S.*)$")
_PRECONISATION = re.compile(r"^\s*(\d{1,2})\s{2,}(\S.*)$")


def _extract_footnotes(lines: list[_Line], vocab: frozenset[str]) -> list[_Line]:
    """Remove page-bottom footnotes from the stream and attach them to their marker line.

    A footnote block starts after a blank line with the next expected footnote number
    ("14 Cf rapport …") and runs to the next page start. Its marker is looked for
    backwards, up to the previous footnote block, as digits glued to a word
    ("responsable14") or just before a closing guillemet ("privé 9»").
    """
    out: list[_Line] = []
    expected = 1
    search_from = 0  # index in `out` after the previous footnote block
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _FOOTNOTE_START.match(line.text)
        if not (m and line.gap and int(m.group(1)) in (expected, expected + 1) and not _PRECONISATION.match(line.raw)):
            out.append(line)
            i += 1
            continue
        # collect the block up to the next page start / gap
        j = i + 1
        while j < len(lines) and not lines[j].page_start and not lines[j].gap:
            j += 1
        if j < len(lines) and not lines[j].page_start:  # ends on a blank line: not a page-bottom block
            out.append(line)
            i += 1
            continue
        notes: list[list] = []  # [number, text, line no]
        for k in range(i, j):
            fm = _FOOTNOTE_START.match(lines[k].text)
            if fm and (not notes or int(fm.group(1)) == notes[-1][0] + 1):
                notes.append([int(fm.group(1)), fm.group(2), lines[k].no])
            else:  # continuation line of the current footnote
                notes[-1][1] = _join_texts(notes[-1][1], lines[k].text, vocab)
        for n, txt, no in notes:
            note_text = f"[{n}] {txt}"
            target = _find_marker(out, search_from, n)
            if target is None:  # keep it where it is, as its own paragraph
                out.append(_Line(no=no, raw=note_text, text=note_text, page_start=False, gap=True, standalone=True))
            else:
                target.footnotes.append(note_text)
            expected = n + 1
        search_from = len(out)
        i = j
    return out


def _find_marker(lines: list[_Line], start: int, n: int) -> _Line | None:
    pattern = re.compile(rf"(?<={_WORD}){n}(?!\d)|(?<={_WORD} ){n}(?=\s*»)")
    for line in reversed(lines[start:]):
        hits = list(pattern.finditer(line.text))
        if hits:
            hit = hits[-1]
            line.text = f"{line.text[: hit.start()]}\x00{n}\x00{line.text[hit.end() :]}"
            return line
    return None


# --------------------------------------------------------------------------- paragraphs


def _join_texts(prev: str, cur: str, vocab: frozenset[str]) -> str:
    if _ends_with_hyphenated_word(prev):
        return repair_hyphen(prev, cur, vocab)
    return f"{prev} {cur}"


def _ends_with_hyphenated_word(text: str) -> bool:
    """ "déve-": a word cut by a line-wrap hyphen (looks at the end only: a search anchored at "$" on
    the whole paragraph would rescan it at every joined line)."""
    return text.endswith("-") and re.fullmatch(_WORD, text[-2:-1]) is not None


# Lines are joined on their last characters only: a paragraph keeps at most this much of its end
# as the piece being joined, the rest is frozen (a 7 MB single paragraph stays linear).
_JOIN_TAIL = 256


def _is_structural(text: str) -> bool:
    return bool(
        _DEFI.match(text)
        or _CONTRIBUTION.match(text)
        or _ANNEX_C1.match(text)
        or text == "Annexe"
        or is_caps_heading(text)
    )


def _continues(prev: _Line, cur: _Line) -> bool:
    """Does `cur` continue the paragraph that `prev` ends?"""
    p, c = _MARKER.sub("", prev.text).rstrip(), cur.text
    if cur.standalone or prev.standalone:
        return False
    if _BULLET_START.match(c) or _URL_START.match(c) or _URL_START.match(p):
        return False
    if re.search(rf"{_WORD}-$", p):  # line-wrap hyphen: always the same word/compound
        return True
    first = c[0]
    if first.islower() or first in ":;,.)]»!?…%":  # a sentence never starts like this
        return True
    if _is_structural(c) or (_is_structural(prev.text) and not prev.text.startswith("Défi")):
        return False
    if first.isdigit() and (cur.gap or cur.page_start or p[-1] in ".!?;:…»)"):
        return False
    if first == "(":
        return not cur.gap or p[-1] not in ".!?;:…»"
    # upper case or punctuation start
    if p[-1] in ",/’'" or _last_word(p) in _FUNCTION_WORDS:
        return True
    if p[-1] in ".!?;:…»)" or cur.gap or cur.page_start:
        return False
    # a full-width line without final punctuation was wrapped mid-sentence
    return len(p) >= _FULL_LINE


@dataclass
class _Block:
    lines: list[_Line]
    raw_text: str  # the lines joined, with bullets and marker sentinels
    text: str = ""  # final paragraph text: bullet normalised to "- ", markers as "[N]"

    @property
    def first(self) -> _Line:
        return self.lines[0]

    @property
    def footnotes(self) -> list[str]:
        return [n for line in self.lines for n in line.footnotes]

    def heading(self) -> str:
        """The text without bullet and footnote markers (for titles)."""
        _, body = _strip_bullet(self.raw_text)
        return " ".join(_PUA.sub("", _MARKER.sub("", body)).split())


def _blocks(lines: list[_Line], vocab: frozenset[str]) -> list[_Block]:
    blocks: list[_Block] = []
    pieces: list[list[str]] = []  # per block: frozen text, then the tail still being joined
    for line in lines:
        if blocks and _continues(blocks[-1].lines[-1], line):
            blocks[-1].lines.append(line)
            parts = pieces[-1]
            joined = _join_texts(parts.pop(), line.text, vocab)
            if len(joined) > 2 * _JOIN_TAIL:
                parts.append(joined[:-_JOIN_TAIL])
                joined = joined[-_JOIN_TAIL:]
            parts.append(joined)
        else:
            blocks.append(_Block(lines=[line], raw_text=""))
            pieces.append([line.text])
    for b, parts in zip(blocks, pieces, strict=True):
        b.raw_text = "".join(parts)
    for b in blocks:
        bulleted, body = _strip_bullet(b.raw_text)
        body = _PUA.sub("", body)
        body = " ".join(body.split())
        b.text = _MARKER.sub(r"[\1]", f"- {body}" if bulleted else body)
    return blocks


# --------------------------------------------------------------------------- structure

_DEFI = re.compile(r"^[\W_]*Défi\s+(\d+)\s*:\s*(.+)$")
_CONTRIBUTION = re.compile(r"^Contribution\s*#\s*(\d+)\s*:?$")
_CONTRIBUTION_IN_LIST = re.compile(r"Contribution\s*#\s*1\s*:\s*(.+?)\s*;?$")
_ANNEX_C1 = re.compile(r"^ANNEXE\s*(\d+)\s*:\s*(.+)$")
_ADDRESS = re.compile(r"^\d+[ ,]+(?:avenue|av\.|rue|boulevard|bd|place|chemin|cours|allée)\b", re.IGNORECASE)
# Stable refs for the top-level titles of the front matter (slug -> ref).
_TOP_REFS = {
    "propos-liminaires": "propos-liminaires",
    "propos-introductifs-elements-de-contexte": "propos-introductifs",
    "intelligence-artificielle-atouts-limites": "atouts-et-limites",
}


@dataclass
class _Draft:
    ref: str
    kind: str
    title: str
    label: str
    parent: str | None
    paragraphs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(p for p in [*self.paragraphs, *self.notes] if p)


class _Builder:
    """Collects units while the blocks are walked in document order."""

    def __init__(self, doc_id: str, lang: str, casing: _Casing) -> None:
        self.doc_id = doc_id
        self.lang = lang
        self.casing = casing
        self.drafts: list[_Draft] = []
        self.refs: set[str] = set()
        self.region = "front"  # front | contribution-1 | contribution | annexe | coordonnees
        self.top: _Draft | None = None  # current top-level section of the front matter
        self.contribution = 0
        self.preconisation = 0
        self.preconisation_ref: str | None = None
        self.defis_parent: str | None = None
        self.defi = 0
        self.contribution_1_title = DEFAULT_CONTRIBUTION_1_TITLE

    def unique(self, ref: str, heading: str = "") -> str:
        if ref in self.refs and heading:  # same first words: add the heading's last words
            tail = slugify(" ".join(heading.split()[-3:]), 3)
            if tail and not ref.endswith(tail):
                ref = f"{ref}-{tail}"
        base, n = ref, 2
        while ref in self.refs:
            ref, n = f"{base}-{n}", n + 1
        self.refs.add(ref)
        return ref

    def open(
        self, ref: str, kind: str, title: str, label: str, parent: str | None, block: _Block | None = None
    ) -> _Draft:
        draft = _Draft(ref=self.unique(ref, title), kind=kind, title=title, label=label, parent=parent)
        self.drafts.append(draft)
        if block is not None:  # the heading block: its footnotes belong to the new unit
            draft.notes.extend(block.footnotes)
        return draft

    def add(self, block: _Block) -> None:
        if not self.drafts:
            self.open("preambule", "section", "Préambule", f"{DOC_LABEL}, préambule", None)
        self.drafts[-1].paragraphs.append(block.text)
        self.drafts[-1].notes.extend(block.footnotes)

    def units(self) -> list[Unit]:
        return [
            Unit(
                doc_id=self.doc_id,
                ref=d.ref,
                label=d.label,
                kind=d.kind,
                text=d.text(),
                title=d.title,
                parent=d.parent,
                lang=self.lang,
                page=None,
            )
            for d in self.drafts
        ]


class _Casing:
    """Turns all-capitals titles into sentence case, restoring accents and acronyms.

    "PROPOS INTRODUCTIFS : ELEMENTS DE CONTEXTE" -> "Propos introductifs : éléments
    de contexte". Accents come from the document's own vocabulary ("éléments" is the
    only accented spelling of "elements" in it); acronyms are the all-capitals words
    that also occur in ordinary sentences ("IA", "AI").
    """

    def __init__(self, lines: list[_Line]) -> None:
        self.accented: dict[str, set[str]] = {}
        self.acronyms: set[str] = set()
        plain: set[str] = set()  # unaccented words seen in ordinary sentences
        for line in lines:
            caps = is_caps_heading(line.text)
            for word in re.findall(rf"{_WORD}+", re.sub(r"\S*(?:https?://|www\.)\S*", " ", line.text)):
                low = word.lower()
                if low != _fold(low):
                    self.accented.setdefault(_fold(low), set()).add(low)
                elif not caps:
                    plain.add(low)
                if not caps and len(word) > 1 and word.isupper():
                    self.acronyms.add(word)
        for word in plain:  # "la" exists: never turn it into "là"
            self.accented.pop(word, None)

    def __call__(self, title: str) -> str:
        if not is_caps_heading(title):
            return title

        def fix(m: re.Match[str]) -> str:
            word = m.group(0)
            if word in self.acronyms or not word.isupper():
                return word
            low = word.lower()
            variants = self.accented.get(_fold(low), set())
            return next(iter(variants)) if len(variants) == 1 and low == _fold(low) else low

        text = re.sub(rf"{_WORD}+", fix, title)
        return text[0].upper() + text[1:] if text else text


def _fold(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def parse_charter(path: Path, *, doc_id: str = "charte", lang: str = "fr") -> list[Unit]:
    """Parse the « Intelligence artificielle #2 : Miscellanées » text into units.

    Returns a flat list in document order. Refs: `propos-liminaires`,
    `propos-introductifs`, `atouts-et-limites[-<slug>]`, `contribution-1`,
    `contribution-1-preconisations`, `preconisation-N`, `contribution-1-<slug>`
    (sections of préconisation 1), `defi-N`, `defi-N-<slug>`, `contribution-1-annexe-N`,
    `contribution-N`, `contribution-N-<slug>`, `annexe-<slug>`, `coordonnees`.
    Raises `ParseError` (French message) when the file is missing, empty or has no
    « Défi N : … » heading.
    """
    path = Path(path)
    lines = _read_lines(path)
    vocab = _vocabulary("\n".join(line.text for line in lines))
    casing = _Casing(lines)
    lines = _extract_footnotes(lines, vocab)
    blocks = _blocks(lines, vocab)
    b = _Builder(doc_id, lang, casing)
    for blk in blocks:
        m = _CONTRIBUTION_IN_LIST.search(blk.heading())
        if m:
            b.contribution_1_title = m.group(1).strip()
            break

    i = 0
    while i < len(blocks):
        blk = blocks[i]
        i += 1
        head = blk.heading()
        page_start = blk.first.page_start

        # ---- document-level structure
        if b.region == "coordonnees":
            b.add(blk)
            continue
        if page_start and _ADDRESS.match(head):
            b.region = "coordonnees"
            b.open("coordonnees", "section", "Coordonnées", f"{DOC_LABEL}, coordonnées", None)
            b.add(blk)
            continue
        m = _CONTRIBUTION.match(head)
        if m or (head == "Annexe" and page_start):
            # the title runs over the following lines, up to the next page
            title_blocks = []
            while i < len(blocks) and not blocks[i].first.page_start:
                title_blocks.append(blocks[i])
                i += 1
            if head == "Annexe":
                sub = " — ".join(casing(t.heading()) for t in title_blocks)
                title = f"Annexe : {sub}" if sub else "Annexe"
                ref = f"annexe-{slugify(sub, 3)}" if sub else "annexe"
                b.region = "annexe"
            else:
                assert m is not None  # not the annex: the contribution pattern matched
                # never numbered below the previous one + 1: the source prints "#2" on the third
                b.contribution = max(int(m.group(1)), b.contribution + 1)
                sub = " ".join(t.heading() for t in title_blocks)
                title = f"Contribution #{b.contribution}" + (f" : {sub}" if sub else "")
                ref = f"contribution-{b.contribution}"
                b.region = "contribution"
            d = b.open(ref, "section", title, f"{DOC_LABEL}, {_lower_first(title)}", None, blk)
            for t in title_blocks:
                d.notes.extend(t.footnotes)
            continue
        if head == "PRECONISATIONS":
            b.region = "contribution-1"
            b.contribution = 1
            title = f"Contribution #1 : {b.contribution_1_title}"
            b.open("contribution-1", "section", title, f"{DOC_LABEL}, {_lower_first(title)}", None)
            b.open(
                "contribution-1-preconisations",
                "section",
                casing(head),
                f"{DOC_LABEL}, contribution #1, {casing(head).lower()}",
                "contribution-1",
                blk,
            )
            continue

        # ---- inside a region
        if b.region == "front" and is_caps_heading(head):
            title = casing(head)
            if page_start or b.top is None:
                slug = slugify(head)
                b.top = b.open(_TOP_REFS.get(slug, slug), "section", title, f"{DOC_LABEL}, {title.lower()}", None, blk)
            else:
                b.open(
                    f"{b.top.ref}-{slugify(head)}",
                    "section",
                    title,
                    f"{DOC_LABEL}, {b.top.title.lower()}, {title.lower()}",
                    b.top.ref,
                    blk,
                )
            continue
        if b.region == "contribution-1" and _contribution_1_heading(b, blk, head):
            continue
        if b.region == "contribution":
            nxt = blocks[i] if i < len(blocks) else None
            caps = is_caps_heading(head)
            if caps or is_prose_heading(blk.raw_text, nxt.raw_text if nxt else None, len(blk.lines)):
                n = b.contribution
                title = casing(head)
                b.open(
                    f"contribution-{n}-{slugify(head)}",
                    "section",
                    title,
                    f"{DOC_LABEL}, contribution #{n}, « {title} »",
                    f"contribution-{n}",
                    blk,
                )
                continue
        b.add(blk)

    _check_defis(b, path)
    return b.units()


def _contribution_1_heading(b: _Builder, blk: _Block, head: str) -> bool:
    """Open the unit for a heading of contribution #1 (préconisation, défi, annex, "➔").

    Returns False when the block is ordinary text.
    """
    m = _PRECONISATION.match(blk.first.raw)
    if m and not _DEFI.match(head):
        n = int(m.group(1))
        title = head.split(maxsplit=1)[1] if " " in head else head
        b.preconisation, b.defi = n, 0
        d = b.open(
            f"preconisation-{n}",
            "preconisation",
            title,
            f"{DOC_LABEL}, contribution #1, préconisation {n} : {title}",
            "contribution-1-preconisations",
            blk,
        )
        b.preconisation_ref = d.ref
        return True
    m = _DEFI.match(head)
    if m:
        n = int(m.group(1))
        title = m.group(2).strip().rstrip(".").strip()
        if any(d.ref == f"defi-{n}" for d in b.drafts):
            raise ParseError(
                f"Le défi {n} apparaît deux fois dans la charte : vérifiez le fichier source "
                "(lignes « Défi N : … »), chaque défi doit être unique."
            )
        b.defi = n
        parent = b.defis_parent or b.preconisation_ref or "contribution-1"
        b.open(f"defi-{n}", "defi", title, f"{CHARTER_LABEL}, défi {n} : {title}", parent, blk)
        return True
    m = _ANNEX_C1.match(head)
    if m:
        n, sub = int(m.group(1)), m.group(2).strip()
        b.defi = 0
        b.open(
            f"contribution-1-annexe-{n}",
            "section",
            f"Annexe {n} : {sub}",
            f"{DOC_LABEL}, contribution #1, annexe {n} : {sub}",
            "contribution-1",
            blk,
        )
        return True
    if b.preconisation == 1 and is_arrow_heading(blk.raw_text):
        if b.defi:
            n = b.defi
            title = f"Défi {n} — {head}"
            b.open(
                f"defi-{n}-{slugify(head)}",
                "section",
                title,
                f"{CHARTER_LABEL}, {_lower_first(title)}",
                f"defi-{n}",
                blk,
            )
        else:
            d = b.open(
                f"contribution-1-{slugify(head)}",
                "section",
                head,
                f"{DOC_LABEL}, contribution #1, « {head} »",
                b.preconisation_ref,
                blk,
            )
            if re.search(r"\bdéfis?\b", head, re.IGNORECASE):
                b.defis_parent = d.ref
        return True
    return False


def _check_defis(b: _Builder, path: Path) -> None:
    numbers = [int(d.ref.split("-")[1]) for d in b.drafts if d.kind == "defi"]
    if not numbers:
        raise ParseError(
            f"Le document de la charte {path} ne contient aucun « Défi » reconnu (lignes « Défi N : … ») : "
            "vérifiez que le fichier est bien le texte de « Intelligence artificielle #2 : Miscellanées » "
            "du Conseil de Provence."
        )
    if numbers != list(range(1, len(numbers) + 1)):
        raise ParseError(
            f"Les défis de la charte {path} ne se suivent pas ({', '.join(map(str, numbers))}) : "
            "vérifiez le fichier source, un titre « Défi N : … » est peut-être mal extrait."
        )
