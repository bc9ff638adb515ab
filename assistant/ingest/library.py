"""The administrator's library: reference texts added after installation, with their versions.

`corpus/sources.toml` lists the texts shipped with the assistant (reviewed in git); what a
référent adds later (the CNIL's other sheets, the Conseil d'État's study, the département's
deliberations) lives in the library directory (setting ASSISTANT_LIBRARY_DIR, default
<var_dir>/library), outside git:

    library.json                 the entries (metadata, status, versions), replaced atomically
    files/<doc_id>/v<N>-<name>   every version's file, never overwritten

An entry is `active` (indexed) or `withdrawn` (kept for the record, not indexed). Replacing a
document adds a version; the index uses the latest. Only the index build reads these files,
through the sandboxed parser.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.base.errors import CorpusError, InputError
from assistant.base.natures import DEFAULT_NATURE, check_nature
from assistant.ingest.corpus import MAX_FILE_BYTES, Document, sha256_file, sniff

LIBRARY_FILE = "library.json"
_DOC_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KIND_OF = {"pdf": "pdf", "markup": "html", "text": "text"}


@dataclass(frozen=True)
class Meta:
    """What the administrator says of a document."""

    doc_id: str
    title: str
    issuer: str = ""
    date: str = ""
    lang: str = "fr"
    licence: str = ""
    nature: str = DEFAULT_NATURE
    precedence: int = 1
    url: str = ""
    short: str = ""
    kind: str = ""  # from the file's first bytes when empty (pdf, html, text); "web-text" on request

    def checked(self) -> Meta:
        """The metadata once valid, else InputError naming the field (in French)."""
        problems = []
        if not _DOC_ID.match(self.doc_id or ""):
            problems.append(
                f"identifiant « {self.doc_id} » invalide (minuscules, chiffres et tirets, 2 à 63 caractères)"
            )
        if not (self.title or "").strip():
            problems.append("titre manquant")
        if self.date and not _DATE.match(self.date):
            problems.append(f"date « {self.date} » invalide (format AAAA-MM-JJ)")
        if self.lang not in ("fr", "en"):
            problems.append(f"langue « {self.lang} » non prise en charge (fr ou en)")
        bad = check_nature(self.nature or DEFAULT_NATURE)
        if bad:
            problems.append(bad)
        if self.kind and self.kind not in ("pdf", "html", "text", "web-text"):
            problems.append(f"type « {self.kind} » inconnu (pdf, html, text ou web-text)")
        if self.url and not self.url.startswith(("https://", "http://")):
            problems.append("l'adresse doit commencer par https:// ou http://")
        if problems:
            raise InputError("Document refusé : " + " ; ".join(problems) + ".")
        return self


@dataclass
class Entry:
    meta: Meta
    status: str = "active"  # active | withdrawn
    versions: list[dict] = field(default_factory=list)  # {"n", "file", "sha256", "kind", "added", "by", "note"}

    @property
    def current(self) -> dict:
        return self.versions[-1]


def kind_of(path: Path, asked: str = "") -> str:
    """The parser kind of a file from its first bytes (the declared kind must agree)."""
    if not path.is_file():
        raise InputError(f"Fichier introuvable : {path}.")
    size = path.stat().st_size
    if size == 0 or size > MAX_FILE_BYTES:
        raise InputError(f"Le fichier {path.name} est vide ou démesuré ({size} octets) : fournissez le document.")
    with path.open("rb") as f:
        found = sniff(f.read(1 << 16))
    kind = _KIND_OF.get(found)
    if kind is None:
        raise InputError(
            f"Le fichier {path.name} est {found} : seuls les PDF, pages HTML et textes UTF-8 sont acceptés."
        )
    if asked == "web-text" and kind == "text":
        return asked
    if asked and asked != kind:
        raise InputError(f"Le fichier {path.name} est de type {kind}, pas {asked} : corrigez le type ou le fichier.")
    return kind


def as_document(meta: Meta, file: Path, sha: str, kind: str, version: str) -> Document:
    """The manifest form of a library document (the file by absolute path)."""
    short = meta.short or (f"{meta.issuer}, {meta.title}" if meta.issuer else meta.title)
    return Document(
        doc_id=meta.doc_id,
        title=meta.title,
        short=short[:120],
        lang=meta.lang,
        kind=kind,
        file=str(file.resolve()),
        sha256=sha,
        version=version,
        date=meta.date,
        precedence=meta.precedence,
        url=meta.url,
        licence=meta.licence,
        nature=meta.nature or DEFAULT_NATURE,
    )


class Library:
    def __init__(self, root: Path):
        self.root = Path(root)

    @property
    def path(self) -> Path:
        return self.root / LIBRARY_FILE

    def entries(self) -> list[Entry]:
        if not self.path.is_file():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [
                Entry(Meta(**e["meta"]), e.get("status", "active"), list(e.get("versions", [])))
                for e in data.get("documents", [])
            ]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise CorpusError(
                f"Bibliothèque de documents illisible ({self.path}, {exc.__class__.__name__}) : restaurez-la "
                "depuis la sauvegarde. L'index en service reste inchangé."
            ) from None

    def entry(self, doc_id: str) -> Entry:
        found = next((e for e in self.entries() if e.meta.doc_id == doc_id), None)
        if found is None:
            raise InputError(f"Aucun document « {doc_id} » dans la bibliothèque (liste : assistant docs list).")
        return found

    def documents(self) -> list[Document]:
        """The active documents, in their latest version (what the index build adds)."""
        return [
            as_document(e.meta, self.root / e.current["file"], e.current["sha256"], e.current["kind"], self._version(e))
            for e in self.entries()
            if e.status == "active" and e.versions
        ]

    @staticmethod
    def _version(e: Entry) -> str:
        return f"version {e.current['n']} du {e.current['added'][:10]}"

    def add(self, meta: Meta, src: Path, *, by: str, taken: set[str] = frozenset()) -> Entry:  # type: ignore[assignment]
        meta = meta.checked()
        entries = self.entries()
        if meta.doc_id in taken or any(e.meta.doc_id == meta.doc_id for e in entries):
            raise InputError(
                f"L'identifiant « {meta.doc_id} » est déjà utilisé : choisissez-en un autre, ou remplacez le "
                "document existant (assistant docs replace)."
            )
        entry = Entry(meta, "active", [self._store(meta.doc_id, src, 1, meta.kind, by, "ajout")])
        self._save([*entries, entry])
        return entry

    def replace(self, doc_id: str, src: Path, *, by: str, note: str = "") -> Entry:
        entries = self.entries()
        entry = next((e for e in entries if e.meta.doc_id == doc_id), None)
        if entry is None:
            raise InputError(f"Aucun document « {doc_id} » dans la bibliothèque (liste : assistant docs list).")
        asked = entry.meta.kind or ("web-text" if entry.current["kind"] == "web-text" else "")
        entry.versions.append(self._store(doc_id, src, len(entry.versions) + 1, asked, by, note or "remplacement"))
        entry.status = "active"
        self._save(entries)
        return entry

    def withdraw(self, doc_id: str, *, by: str) -> Entry:
        entries = self.entries()
        entry = next((e for e in entries if e.meta.doc_id == doc_id), None)
        if entry is None:
            raise InputError(f"Aucun document « {doc_id} » dans la bibliothèque (liste : assistant docs list).")
        if entry.status == "withdrawn":
            raise InputError(f"Le document « {doc_id} » est déjà retiré.")
        entry.status = "withdrawn"
        entry.versions[-1] = {**entry.current, "withdrawn": _now(), "withdrawn_by": by}
        self._save(entries)
        return entry

    def _store(self, doc_id: str, src: Path, n: int, asked: str, by: str, note: str) -> dict:
        kind = kind_of(src, asked)
        folder = self.root / "files" / doc_id
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", src.name)[-80:] or "document"
        dest = folder / f"v{n}-{name}"
        tmp = folder / f".{dest.name}.tmp"
        shutil.copyfile(src, tmp)
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
        return {
            "n": n,
            "file": str(dest.relative_to(self.root)),
            "sha256": sha256_file(dest),
            "kind": kind,
            "added": _now(),
            "by": by,
            "note": note,
        }

    def _save(self, entries: list[Entry]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        data = {"documents": [{"meta": asdict(e.meta), "status": e.status, "versions": e.versions} for e in entries]}
        tmp = self.root / f".{LIBRARY_FILE}.{os.getpid()}.tmp"
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


__all__ = ["LIBRARY_FILE", "Entry", "Library", "Meta", "as_document", "kind_of"]
