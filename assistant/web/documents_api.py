"""Admin routes for reference texts (`/v1/admin/documents…`): list, preview/add, replace, withdraw.

The file travels base64-encoded in a JSON body (no multipart parser on a closed network); it is
written to a private temporary directory, handed to the document workflow (core/documents.py,
sandboxed parsing) and deleted. Every call goes through the audited gateway (`Gateway.run`).
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from pydantic import BaseModel, Field

from assistant.core.audited import Caller, Gateway
from assistant.core.documents import Documents, documents_of
from assistant.ingest.library import Meta

MAX_DOCUMENT_BYTES = 48 << 20  # a decoded upload (the body is about 4/3 of it)
MAX_DOCUMENT_BODY = MAX_DOCUMENT_BYTES * 4 // 3 + (64 << 10)
DOCUMENTS_PREFIX = "/v1/admin/documents"


class FileBody(BaseModel):
    filename: str = Field(..., min_length=1, max_length=200, description="Nom du fichier (PDF, HTML ou texte).")
    content_b64: str = Field(..., min_length=4, description="Contenu du fichier, encodé en base64.")
    confirm: bool = Field(False, description="false : aperçu seulement ; true : enregistrer et reconstruire l'index.")


class AddDocument(FileBody):
    doc_id: str = Field(..., min_length=2, max_length=63, pattern=r"^[a-z0-9][a-z0-9-]+$")
    title: str = Field(..., min_length=1, max_length=400)
    issuer: str = Field("", max_length=200)
    date: str = Field("", max_length=10, description="AAAA-MM-JJ")
    lang: str = Field("fr", max_length=2)
    licence: str = Field("", max_length=200)
    nature: str = Field("autre", max_length=30, description="reglement, recommandation, departement ou autre")
    precedence: int = Field(1, ge=0, le=9)
    url: str = Field("", max_length=500)
    short: str = Field("", max_length=120)
    kind: str = Field("", max_length=10, description="pdf, html, text ou web-text (défaut : d'après le fichier)")

    def meta(self) -> Meta:
        return Meta(
            **self.model_dump(exclude={"filename", "content_b64", "confirm"}),
        )


def _decoded(body: FileBody, tmp: Path) -> Path:
    from assistant.base.errors import InputError

    try:
        data = base64.b64decode(body.content_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("Le contenu du fichier (content_b64) n'est pas du base64 valide.") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(f"Fichier trop volumineux (limite {MAX_DOCUMENT_BYTES >> 20} Mo).")
    name = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in Path(body.filename).name)[-80:] or "document"
    path = tmp / name
    path.write_bytes(data)
    return path


def add_document_routes(
    app: FastAPI, gateway: Gateway, admin: Any, caller: Callable[[Request], Caller], errors: dict
) -> Documents:
    docs = documents_of(gateway.service)

    def run(request: Request, operation: str, call: Callable[[], Any], doc_id: str = "") -> Any:
        fields = {"question": f"{operation} {doc_id}".strip(), "refs": [f"{doc_id}:"] if doc_id else []}
        return gateway.run(caller(request), operation, call, **fields)

    def with_file(body: FileBody, call: Callable[[Path], Any]) -> Any:
        with tempfile.TemporaryDirectory(prefix="assistant-upload-") as tmp:
            return call(_decoded(body, Path(tmp)))

    tags: list = ["Administration"]

    @app.get(DOCUMENTS_PREFIX, summary="Lister les textes de référence et leurs versions", tags=tags, responses=errors)
    def list_documents(request: Request, who: Any = admin) -> dict:
        return run(request, "docs_list", docs.list)

    @app.get(f"{DOCUMENTS_PREFIX}/status", summary="État de la reconstruction de l'index", tags=tags, responses=errors)
    def build_status(request: Request, who: Any = admin) -> dict:
        return run(request, "docs_status", docs.status)

    @app.post(
        DOCUMENTS_PREFIX,
        summary="Ajouter un document (aperçu, puis confirmation)",
        description="confirm=false : aperçu du découpage et rapport de lecture ; confirm=true : enregistrement, "
        "puis nouvelle génération de l'index construite en arrière-plan et mise en service d'un coup.",
        tags=tags,
        responses=errors,
    )
    def add_document(request: Request, body: AddDocument, who: Any = admin) -> dict:
        user = caller(request).user
        return run(
            request,
            "docs_add",
            lambda: with_file(body, lambda p: docs.add(body.meta(), p, by=user, confirm=body.confirm)),
            body.doc_id,
        )

    @app.put(
        DOCUMENTS_PREFIX + "/{doc_id}",
        summary="Remplacer un document par une nouvelle version (aperçu, puis confirmation)",
        tags=tags,
        responses=errors,
    )
    def replace_document(request: Request, doc_id: str, body: FileBody, who: Any = admin) -> dict:
        user = caller(request).user
        return run(
            request,
            "docs_replace",
            lambda: with_file(body, lambda p: docs.replace(doc_id[:63], p, by=user, confirm=body.confirm)),
            doc_id[:63],
        )

    @app.delete(DOCUMENTS_PREFIX + "/{doc_id}", summary="Retirer un document de l'index", tags=tags, responses=errors)
    def withdraw_document(
        request: Request,
        doc_id: str,
        confirm: Annotated[bool, Query(description="true pour retirer ; false : ce qui serait retiré")] = False,
        who: Any = admin,
    ) -> dict:
        user = caller(request).user
        return run(request, "docs_withdraw", lambda: docs.withdraw(doc_id[:63], by=user, confirm=confirm), doc_id[:63])

    return docs


__all__ = ["DOCUMENTS_PREFIX", "MAX_DOCUMENT_BODY", "add_document_routes"]
