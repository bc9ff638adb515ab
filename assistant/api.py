"""REST API (FastAPI). Thin: every route calls the same service functions as the CLI."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.errors import AssistantError, IndexError_
from assistant.index import index_status
from assistant.service import Service

MAX_QUESTION = 2000


class SearchRequest(BaseModel):
    query: str = Field(..., min_length=1, max_length=MAX_QUESTION, description="Question ou mots-clés, en français.")
    k: int = Field(5, ge=1, le=50, description="Nombre de passages.")
    doc: list[str] | None = Field(None, description="Filtrer par document (doc_id).")
    lang: str | None = Field(None, description="Filtrer par langue (fr, en).")


def create_app(settings: Settings | None = None, service: Service | None = None) -> FastAPI:
    settings = settings or Settings.load()
    svc = service or Service(settings)
    app = FastAPI(
        title="Assistant IA-réglementation — Département des Bouches-du-Rhône",
        description="Réponses sourcées sur la réglementation de l'IA, calculées localement. Toute réponse est générée par une IA.",
        version="0.1.0",
    )

    @app.exception_handler(AssistantError)
    async def _assistant_error(_request, exc: AssistantError) -> JSONResponse:  # noqa: ANN001
        code = "index_missing" if isinstance(exc, IndexError_) else exc.__class__.__name__.lower()
        return JSONResponse(status_code=503, content={"code": code, "message": str(exc)})

    @app.get("/health", summary="État du service (prêt quand l'index est chargé)")
    def health() -> JSONResponse:
        st = index_status(settings.index_path)
        return JSONResponse(status_code=200 if st["ready"] else 503, content={"ready": st["ready"], "index": st})

    @app.post("/v1/search", summary="Rechercher les passages des textes de référence")
    def search(req: SearchRequest) -> dict:
        if not req.query.strip():
            raise HTTPException(status_code=422, detail="La question est vide.")
        return svc.search(req.query, k=req.k, docs=req.doc, lang=req.lang)

    return app
