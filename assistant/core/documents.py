"""The administrator's document workflow: preview, add, replace, withdraw, and the index switch.

    preview  the file is parsed in the sandbox (ingest/safeparse.py) as the index build would:
             the units found (headings, count, a sample with pages) and a French report of what
             could not be read; nothing is stored
    add / replace / withdraw
             with `confirm`, the library (ingest/library.py) records the change, then a new index
             generation is built in the background and switched atomically (search/index.py);
             the service keeps answering from the generation in service and reads the new one
             at its next request (Service.fresh)

Entry points call these through the audited gateway (`Gateway.run`), so each action is one
audit row naming the document.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from assistant.base.errors import AssistantError, CorpusError, InputError
from assistant.base.natures import nature
from assistant.base.settings import Settings
from assistant.base.units import Unit
from assistant.core.service import Service
from assistant.ingest.corpus import load_manifest, sha256_file
from assistant.ingest.library import Library, Meta, as_document, kind_of
from assistant.ingest.parse_generic import UNREADABLE
from assistant.search.embed import embedder_name as default_embedder_name
from assistant.search.index import build_index, index_status

SAMPLE_UNITS = 3
SAMPLE_CHARS = 240
HEADINGS_SHOWN = 30


class Documents:
    def __init__(self, service: Service, embedder_name: Callable[[], str] | None = None):
        self.service = service
        self.settings: Settings = service.settings
        self.library = Library(self.settings.library_path)
        self._embedder_name = embedder_name or (lambda: default_embedder_name(self.settings))
        self._lock = threading.Lock()
        self._job: dict = {"state": "aucune", "message": "Aucune reconstruction depuis le démarrage."}
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ reads

    def list(self) -> dict:
        """Shipped texts (corpus/sources.toml) and the library's, with versions and what is indexed."""
        indexed = {d.get("doc_id"): d for d in (index_status(self.settings.index_path).get("documents") or [])}
        shipped = [
            {
                "doc_id": d.doc_id,
                "title": d.title,
                "origin": "corpus",
                "status": "indexé" if d.doc_id in indexed else "non indexé",
                "nature": nature(d.nature).label,
                "licence": d.licence or None,
                "versions": [{"n": 1, "version": d.version, "file": d.file}],
            }
            for d in load_manifest(Path(self.settings.manifest))
        ]
        added = [
            {
                "doc_id": e.meta.doc_id,
                "title": e.meta.title,
                "origin": "bibliothèque",
                "status": (
                    "retiré" if e.status == "withdrawn" else "indexé" if e.meta.doc_id in indexed else "en attente"
                ),
                "nature": nature(e.meta.nature).label,
                "licence": e.meta.licence or None,
                "versions": e.versions,
            }
            for e in self.library.entries()
        ]
        return {"documents": shipped + added, "job": self.status()}

    def status(self) -> dict:
        with self._lock:
            return dict(self._job)

    def preview(self, meta: Meta, src: Path) -> dict:
        """What the index would take from the file (nothing stored)."""
        meta = meta.checked()
        kind = kind_of(src, meta.kind)
        doc = as_document(meta, src, sha256_file(src), kind, "aperçu")
        from assistant.ingest.safeparse import load_units_isolated

        try:
            units = load_units_isolated(doc, src.parent)
        except CorpusError as exc:  # the administrator's file, not the service, is at fault: 422
            raise InputError(f"Document illisible : {exc}") from None
        return preview_of(units, kind)

    # ------------------------------------------------------------------ changes

    def add(self, meta: Meta, src: Path, *, by: str, confirm: bool) -> dict:
        meta = meta.checked()
        shipped = {d.doc_id for d in load_manifest(Path(self.settings.manifest))}
        if meta.doc_id in shipped:
            raise InputError(f"L'identifiant « {meta.doc_id} » est celui d'un texte livré : choisissez-en un autre.")
        preview = self.preview(meta, src)
        if not confirm:
            return {"confirmed": False, "doc_id": meta.doc_id, "preview": preview}
        entry = self.library.add(meta, src, by=by, taken=shipped)
        return {"confirmed": True, "doc_id": meta.doc_id, "version": entry.current["n"], "preview": preview,
                "job": self._rebuild(f"ajout de « {meta.doc_id} »")}  # fmt: skip

    def replace(self, doc_id: str, src: Path, *, by: str, confirm: bool) -> dict:
        entry = self.library.entry(doc_id)
        asked = entry.meta.kind or ("web-text" if entry.current["kind"] == "web-text" else "")
        preview = self.preview(Meta(**{**entry.meta.__dict__, "kind": asked}), src)
        if not confirm:
            return {"confirmed": False, "doc_id": doc_id, "preview": preview}
        entry = self.library.replace(doc_id, src, by=by)
        return {"confirmed": True, "doc_id": doc_id, "version": entry.current["n"], "preview": preview,
                "job": self._rebuild(f"remplacement de « {doc_id} » (version {entry.current['n']})")}  # fmt: skip

    def withdraw(self, doc_id: str, *, by: str, confirm: bool) -> dict:
        entry = self.library.entry(doc_id)
        if not confirm:
            return {"confirmed": False, "doc_id": doc_id, "title": entry.meta.title, "status": entry.status}
        self.library.withdraw(doc_id, by=by)
        return {"confirmed": True, "doc_id": doc_id, "job": self._rebuild(f"retrait de « {doc_id} »")}

    def wait(self, timeout: float | None = None) -> dict:
        """The job's state once the background build is over (CLI, tests)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    # ------------------------------------------------------------------ background build

    def rebuild(self, why: str = "réindexation demandée") -> dict:
        """A new generation of the same texts, in the background (the « Réindexer » button)."""
        return self._rebuild(why)

    def _rebuild(self, why: str) -> dict:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._job["pending"] = True  # the running build is followed by another one
                self._job["message"] += f" ; puis : {why}"
                return dict(self._job)
            self._job = {"state": "en cours", "why": why, "started": _now(), "message": f"Reconstruction : {why}."}
            self._thread = threading.Thread(target=self._build_loop, name="index-rebuild", daemon=True)
            self._thread.start()
            return dict(self._job)

    def _build_loop(self) -> None:
        while True:
            try:
                report = build_index(
                    manifest_path=Path(self.settings.manifest),
                    corpus_dir=self.settings.corpus_path,
                    index_dir=self.settings.index_path,
                    embedder_factory=lambda: self.service.embedder,
                    embedder_name=self._embedder_name(),
                    library_dir=self.settings.library_path,
                )
                done = {"state": "terminée", "generation": report.generation, "chunks": report.chunks,
                        "message": f"Nouvelle génération {report.generation} en service ({report.chunks} passages)."}  # fmt: skip
            except AssistantError as exc:
                done = {"state": "échec", "message": f"{exc} L'index en service reste inchangé."}
            except Exception as exc:  # the service must keep answering whatever the build did
                done = {"state": "échec", "message": f"Reconstruction interrompue ({exc.__class__.__name__}). "
                        "L'index en service reste inchangé."}  # fmt: skip
            with self._lock:
                again = self._job.pop("pending", False)
                if not again:
                    self._job = {**self._job, **done, "finished": _now()}
                    return
                self._job["message"] = "Reconstruction suivante en cours."


def preview_of(units: list[Unit], kind: str) -> dict:
    """Headings, unit count, a sample with pages, and what could not be read (French)."""
    lost = [u for u in units if u.kind == UNREADABLE]
    kept = [u for u in units if u.kind != UNREADABLE and u.text.strip()]
    report: list[str] = []
    if lost:
        pages = ", ".join(str(u.page) for u in lost)
        report.append(f"Page(s) sans texte lisible (image ou scan ? à fournir en version OCR) : {pages}.")
    by_page = [u for u in kept if u.kind == "page"]
    if kind == "pdf" and by_page:
        report.append("Aucun titre reconnu : le document est découpé page par page (les citations donneront la page).")
    if kind in ("text", "html") and kept and all(u.ref.startswith("s-") for u in kept):
        report.append("Aucun titre reconnu : le texte est découpé en sections d'environ 1 200 caractères.")
    empty = [u.label for u in units if u.kind != UNREADABLE and not u.text.strip()]
    if empty:
        report.append(f"{len(empty)} titre(s) sans texte propre (regroupés avec la suite) : {', '.join(empty[:5])}.")
    return {
        "kind": kind,
        "units": len(kept),
        "headings": [{"ref": u.ref, "label": u.label, "page": u.page} for u in kept[:HEADINGS_SHOWN]],
        "sample": [
            {"ref": u.ref, "label": u.label, "page": u.page, "text": u.text[:SAMPLE_CHARS]} for u in kept[:SAMPLE_UNITS]
        ],
        "report": report or ["Tout le texte a été lu."],
    }


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def documents_of(service: Service) -> Documents:
    """The one workflow of a service (the API and the UI share its background job)."""
    found = service.__dict__.get("_documents")
    if found is None:
        found = service.__dict__.setdefault("_documents", Documents(service))
    return found


__all__ = ["Documents", "documents_of", "preview_of"]
