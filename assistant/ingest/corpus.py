"""The corpus manifest (`corpus/sources.toml`) and loading its documents into units."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.base.errors import CorpusError
from assistant.base.natures import DEFAULT_NATURE, check_nature
from assistant.base.units import Unit

KINDS = ("eurlex-html", "formex-xml", "charter-text", "web-text", "pdf", "html", "text")


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    short: str
    lang: str
    kind: str
    file: str
    sha256: str
    version: str
    date: str
    precedence: int = 1
    url: str = ""
    eli: str = ""
    pages_file: str = ""
    pages_sha256: str = ""
    annex_files: tuple[str, ...] = ()
    annex_sha256: tuple[str, ...] = ()
    amends: str = ""
    licence: str = ""  # reuse terms shown with every citation (« CC BY-ND 4.0 FR »)
    nature: str = ""  # base/natures.py: reglement | recommandation | departement | autre
    index: bool = True
    extra: dict[str, object] = field(default_factory=dict)


def load_manifest(path: Path) -> list[Document]:
    if not path.is_file():
        raise CorpusError(f"Manifeste introuvable : {path}. Restaurez corpus/sources.toml depuis le dépôt.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"Manifeste {path.name} invalide ({exc}) : corrigez la syntaxe TOML.") from None
    docs: list[Document] = []
    seen: set[str] = set()
    known = {f for f in Document.__dataclass_fields__ if f != "extra"}
    for i, entry in enumerate(data.get("document", []), 1):
        missing = [
            k for k in ("doc_id", "title", "lang", "kind", "file", "sha256", "version", "date") if k not in entry
        ]
        if missing:
            raise CorpusError(f"Manifeste, document n° {i} : champ(s) manquant(s) {', '.join(missing)}.")
        if entry["kind"] not in KINDS:
            raise CorpusError(
                f"Manifeste, document « {entry['doc_id']} » : type « {entry['kind']} » inconnu (attendu : {', '.join(KINDS)})."
            )
        bad_nature = check_nature(entry.get("nature") or DEFAULT_NATURE)
        if bad_nature:
            raise CorpusError(f"Manifeste, document « {entry['doc_id']} » : {bad_nature}.")
        if entry["doc_id"] in seen:
            raise CorpusError(f"Manifeste : l'identifiant « {entry['doc_id']} » est utilisé deux fois.")
        seen.add(entry["doc_id"])
        kwargs = {k: v for k, v in entry.items() if k in known}
        for k in ("annex_files", "annex_sha256"):
            kwargs[k] = tuple(kwargs.get(k, ()))
        kwargs.setdefault("short", entry["title"])
        docs.append(Document(**kwargs, extra={k: v for k, v in entry.items() if k not in known}))
    if not docs:
        raise CorpusError(f"Le manifeste {path} ne déclare aucun document ([[document]]).")
    return docs


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


MAX_FILE_BYTES = 512 << 20  # far above any legal text; refused before hashing or parsing

# What a file is, from its first bytes (a wrong `kind` or a mislabelled download is common).
_MAGIC = (
    (b"%PDF-", "un PDF"),
    (b"PK\x03\x04", "une archive ZIP (DOCX, ODT… ?)"),
    (b"\xd0\xcf\x11\xe0", "un document Office ancien (DOC, XLS)"),
    (b"{\\rtf", "un document RTF"),
    (b"\x89PNG", "une image PNG"),
    (b"\xff\xd8\xff", "une image JPEG"),
    (b"GIF8", "une image GIF"),
    (b"II*\x00", "une image TIFF"),
    (b"MM\x00*", "une image TIFF"),
    (b"\x1f\x8b", "une archive gzip"),
    (b"\xff\xfe", "un texte UTF-16"),
    (b"\xfe\xff", "un texte UTF-16"),
)
_EXPECTED = {"pdf": "un PDF", "html": "une page HTML", "xml": "un fichier XML", "text": "un texte UTF-8"}


def sniff(head: bytes) -> str:
    """'pdf', 'markup' (HTML/XML), 'text', 'empty' or a French description of another format."""
    if not head:
        return "empty"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if b"\x00" in head:
        return "un fichier binaire"
    return "markup" if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<") else "text"


def check_file(corpus_dir: Path, name: str, expected: str, doc_id: str, fmt: str = "") -> Path:
    """The file's path once it exists, is a regular file of sane size, has the expected hash
    and (when `fmt` is one of pdf / html / xml / text) looks like that format."""
    path = corpus_dir / name
    if not path.is_file():
        if path.exists():
            raise CorpusError(
                f"Document « {doc_id} » : {name} n'est pas un fichier ordinaire (dossier, périphérique, tube…). "
                "Placez le fichier du document lui-même dans le dossier du corpus."
            )
        raise CorpusError(
            f"Document « {doc_id} » : fichier {name} absent de {corpus_dir}. "
            "Réglez ASSISTANT_CORPUS_DIR vers le dossier des textes ou retirez l'entrée du manifeste."
        )
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise CorpusError(
            f"Document « {doc_id} » : {name} est démesuré ({size >> 20} Mo, limite {MAX_FILE_BYTES >> 20} Mo). "
            "Vérifiez qu'il s'agit du bon fichier ; découpez-le s'il est légitime. L'index existant reste en service."
        )
    got = sha256_file(path)
    if expected and got != expected:
        raise CorpusError(
            f"Document « {doc_id} » : le fichier {name} a changé (sha256 {got[:12]}…, attendu {expected[:12]}…). "
            "S'il s'agit d'une nouvelle version voulue, mettez à jour sha256, version et date dans corpus/sources.toml ; "
            "sinon restaurez le fichier d'origine. L'index existant reste en service."
        )
    if fmt:
        with path.open("rb") as f:
            found = sniff(f.read(1 << 16))
        ok = {"pdf": ("pdf",), "html": ("markup",), "xml": ("markup",), "text": ("text", "markup")}[fmt]
        if found == "empty":
            raise CorpusError(
                f"Document « {doc_id} » : le fichier {name} est vide (0 octet). "
                "Remplacez-le par le document complet. L'index existant reste en service."
            )
        if found == "un texte UTF-16":
            raise CorpusError(
                f"Document « {doc_id} » : le fichier {name} est encodé en UTF-16 : convertissez-le en UTF-8 "
                "(iconv -f UTF-16 -t UTF-8). L'index existant reste en service."
            )
        if found not in ok:
            what = {"pdf": "un PDF", "markup": "du HTML ou du XML", "text": "du texte brut"}.get(found, found)
            raise CorpusError(
                f"Document « {doc_id} » : le fichier {name} devrait être {_EXPECTED[fmt]} mais c'est {what}. "
                "Corrigez le champ kind du manifeste (corpus/sources.toml) ou fournissez le bon fichier. "
                "L'index existant reste en service."
            )
    return path


def document_hash(corpus_dir: Path, doc: Document) -> str:
    """A content hash of everything a document's units depend on (files + manifest entry)."""
    h = hashlib.sha256()
    fields = [doc.doc_id, doc.kind, doc.lang, doc.version, doc.short, doc.amends]
    if doc.licence or doc.nature:  # shown with every citation: a change must reach the index manifest
        fields += [doc.licence, doc.nature, doc.url]
    h.update(json.dumps(fields, ensure_ascii=False).encode())
    for name, sha in [
        (doc.file, doc.sha256),
        (doc.pages_file, doc.pages_sha256),
        *zip(doc.annex_files, doc.annex_sha256, strict=False),
    ]:
        if name:
            h.update(sha.encode() or _content_hash(corpus_dir / name).encode())
    return h.hexdigest()


def _content_hash(path: Path) -> str:
    """sha256 of a file without a declared hash; a device, a missing or a huge file is not read
    here (it could never end): loading the document refuses it with the reason."""
    try:
        size = path.stat().st_size if path.is_file() else -1
    except OSError:
        size = -1
    return sha256_file(path) if 0 <= size <= MAX_FILE_BYTES else f"unreadable:{path.name}:{size}"


def load_units(doc: Document, corpus_dir: Path, cache_dir: Path | None = None) -> list[Unit]:
    """Parse one document (checking its files' hashes) into units, pages attached when known."""
    fmt = {"eurlex-html": "html", "formex-xml": "xml", "pdf": "pdf", "html": "html"}.get(doc.kind, "text")
    path = check_file(corpus_dir, doc.file, doc.sha256, doc.doc_id, fmt)
    if doc.kind == "eurlex-html":
        from assistant.ingest.parse_eurlex import parse_eurlex

        units = parse_eurlex(path, doc_id=doc.doc_id, lang=doc.lang)
        if doc.pages_file:
            from assistant.ingest.parse_pdf import attach_pages

            pdf = check_file(corpus_dir, doc.pages_file, doc.pages_sha256, doc.doc_id, "pdf")
            units = attach_pages(units, _cached_pages(pdf, doc.pages_sha256 or sha256_file(pdf), cache_dir))
    elif doc.kind == "formex-xml":
        from assistant.ingest.parse_formex import parse_formex

        annexes = [
            check_file(corpus_dir, name, sha, doc.doc_id, "xml")
            for name, sha in zip(doc.annex_files, doc.annex_sha256 or ("",) * len(doc.annex_files), strict=False)
        ]
        units = parse_formex(path, doc_id=doc.doc_id, lang=doc.lang, annex_paths=annexes)
    elif doc.kind == "charter-text":
        from assistant.ingest.parse_charter import parse_charter

        units = parse_charter(path, doc_id=doc.doc_id, lang=doc.lang)
    elif doc.kind == "web-text":
        from assistant.ingest.parse_webtext import parse_webtext

        units = parse_webtext(path, doc_id=doc.doc_id, lang=doc.lang, short=doc.short)
    else:
        from assistant.ingest.parse_generic import parse_generic

        units = parse_generic(path, doc_id=doc.doc_id, lang=doc.lang, short=doc.short, kind=doc.kind)
    if not units:
        raise CorpusError(f"Document « {doc.doc_id} » : aucun texte extrait de {doc.file}.")
    return [replace(u, lang=u.lang or doc.lang) for u in units]


def _cached_pages(pdf: Path, sha: str, cache_dir: Path | None) -> list[str]:
    from assistant.ingest.parse_pdf import pdf_pages

    if cache_dir is None:
        return pdf_pages(pdf)
    cache = cache_dir / f"pages-{sha[:16]}.json"
    if cache.is_file():
        try:
            pages = json.loads(cache.read_text(encoding="utf-8"))
            if isinstance(pages, list) and all(isinstance(p, str) for p in pages):
                return pages
        except (OSError, ValueError):
            pass
    pages = pdf_pages(pdf)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(pages, ensure_ascii=False), encoding="utf-8")
    tmp.replace(cache)
    return pages
