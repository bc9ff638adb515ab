"""REST routes of the register of AI uses (/v1/register…), every request through the register desk
(core/register.py: one audit row each, the rules of register/lifecycle.py).

Any key may call them; what it may do depends on its role and on the entry: an agent creates,
reads and submits its own entries, the référent IA (role referent) or an administrator decides,
a trainer reads anonymised entries. `api.py` adds them with `add_register_routes` (the principal
dependency and the caller factory are passed in, so this module does not import api.py).
"""

# No `from __future__ import annotations`: FastAPI reads `Annotated[Any, who]` (a local dependency) at run time.

from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from assistant.core.audited import Caller
from assistant.core.register import RegisterDesk
from assistant.register.entry import MAX_SHORT, MAX_TEXT, MAX_TITLE, Entry
from assistant.register.lifecycle import Actor

TAG = "Registre des usages de l'IA"
_TEXT = "[^\t\n\x0b\x0c\r \u00a0]"  # holds a character strip() keeps (see api.HAS_TEXT)


class CreateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(..., max_length=MAX_TEXT, pattern=_TEXT, description="Le projet, décrit en français.")
    title: str = Field("", max_length=MAX_TITLE, description="Intitulé (défaut : début de la description).")
    service: str = Field("", max_length=MAX_SHORT, description="Service ou direction.")
    contact_role: str = Field(
        "", max_length=MAX_SHORT, description="Rôle du contact (« chef du service RH »), pas un nom de personne."
    )


class EditRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, max_length=MAX_TITLE, pattern=_TEXT)
    service: str | None = Field(None, max_length=MAX_SHORT)
    contact_role: str | None = Field(None, max_length=MAX_SHORT)


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["approved", "approved_with_conditions", "refused", "needs_impact_assessment"] = Field(
        ..., description="approuvé, approuvé sous conditions, refusé, analyse d'impact requise."
    )
    reasons: str = Field(..., max_length=MAX_TEXT, pattern=_TEXT, description="Motifs de la décision.")


class ObligationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["todo", "done", "na"] = Field(..., description="à faire, fait, sans objet.")
    note: str = Field("", max_length=MAX_SHORT)


def add_register_routes(
    app: FastAPI,
    desk_of: Callable[[], RegisterDesk],
    *,
    who: Any,
    caller: Callable[[Request], Caller],
    errors: dict[int | str, dict[str, Any]],
    enter_queue: Callable[[], None],
    leave_queue: Callable[[], None],
) -> None:
    """`who`: the principal dependency (any role); `caller(request)`: the gateway's caller of a request."""
    entry_errors = {
        **errors,
        404: {"model": errors[422]["model"], "description": "Entrée inconnue."},
        409: {"model": errors[422]["model"], "description": "État de l'entrée incompatible (ou modifiée entre-temps)."},
    }

    def route(method: str, path: str, op: str, summary: str) -> Callable[[Callable[..., Any]], Any]:
        return getattr(app, method)(path, summary=summary, tags=[TAG], operation_id=op, responses=entry_errors)

    def actor(p: Any) -> Actor:
        return Actor(p.user, p.role)

    def shown(desk: RegisterDesk, a: Actor, e: Entry) -> dict[str, Any]:
        return desk.view(a, e)

    @app.post(
        "/v1/register",
        summary="Inscrire un projet au registre (évaluation, puis brouillon)",
        description="Évalue la description (comme /v1/assess) et crée une entrée à l'état brouillon.",
        tags=[TAG],
        operation_id="register_create",
        status_code=201,
        responses=entry_errors,
    )
    def create(request: Request, body: CreateRequest, p: Annotated[Any, who]) -> JSONResponse:
        request.state.audit = {"question": body.description}
        desk = desk_of()
        enter_queue()
        try:
            e = desk.create(
                caller(request),
                actor(p),
                body.description,
                title=body.title,
                service=body.service,
                contact_role=body.contact_role,
            )
        finally:
            leave_queue()
        return JSONResponse(shown(desk, actor(p), e), status_code=201)

    @app.get(
        "/v1/register",
        summary="Lister les entrées visibles (les siennes ; toutes pour le référent IA)",
        tags=[TAG],
        operation_id="register_list",
        responses=errors,
    )
    def entries(request: Request, p: Annotated[Any, who]) -> dict:
        out = desk_of().entries(caller(request), actor(p))
        return {"entries": out, "count": len(out)}

    @app.get(
        "/v1/register/public.{fmt}",
        summary="Le registre public (HTML, CSV ou JSON)",
        description="Usages décidés et approuvés, champs publics seulement ; CSV et JSON selon les champs de base "
        "du standard Algorithm Register Metadata (préfixe cd13_ pour les champs propres au Département).",
        tags=[TAG],
        operation_id="register_public",
        response_class=PlainTextResponse,
        responses={
            200: {"content": {"text/html": {}, "text/csv": {}, "application/json": {}}},
            **errors,
        },
    )
    def public(request: Request, fmt: Literal["html", "csv", "json"], p: Annotated[Any, who]) -> Response:
        text = desk_of().public(caller(request), fmt)
        media = {"html": "text/html", "csv": "text/csv", "json": "application/json"}[fmt]
        return Response(text, media_type=f"{media}; charset=utf-8")

    @route("get", "/v1/register/{entry_id}", "register_get", "Lire une entrée")
    def get(request: Request, entry_id: str, p: Annotated[Any, who]) -> dict:
        return desk_of().get(caller(request), actor(p), entry_id)

    @route("get", "/v1/register/{entry_id}/history", "register_history", "Historique des versions d'une entrée")
    def history(request: Request, entry_id: str, p: Annotated[Any, who]) -> dict:
        versions = desk_of().history(caller(request), actor(p), entry_id)
        return {"entry_id": entry_id, "versions": versions}

    @app.get(
        "/v1/register/{entry_id}/fiche",
        summary="Fiche de l'entrée (HTML imprimable, ou PDF avec ?format=pdf)",
        tags=[TAG],
        operation_id="register_fiche",
        response_class=Response,
        responses={200: {"content": {"text/html": {}, "application/pdf": {}}}, **entry_errors},
    )
    async def fiche(
        request: Request, entry_id: str, p: Annotated[Any, who], format: Literal["html", "pdf"] = "html"
    ) -> Response:
        desk = desk_of()
        if format == "html":
            page = await run_in_threadpool(desk.fiche_html, caller(request), actor(p), entry_id)
            return Response(page, media_type="text/html; charset=utf-8")

        def pdf() -> bytes:
            with TemporaryDirectory(prefix="fiche-") as tmp:
                return desk.fiche_pdf(caller(request), actor(p), entry_id, Path(tmp) / "fiche.pdf").read_bytes()

        body = await run_in_threadpool(pdf)
        return Response(
            body,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{entry_id}.pdf"'},
        )

    @route(
        "patch",
        "/v1/register/{entry_id}",
        "register_edit",
        "Modifier l'intitulé, le service ou le contact (une entrée décidée repasse en « soumise »)",
    )
    def edit(request: Request, entry_id: str, body: EditRequest, p: Annotated[Any, who]) -> dict:
        desk = desk_of()
        e = desk.edit(caller(request), actor(p), entry_id, **body.model_dump(exclude_none=True))
        return shown(desk, actor(p), e)

    def change(path: str, op: str, summary: str, run: Callable[[RegisterDesk, Caller, Actor, str], Entry]) -> None:
        def handler(request: Request, entry_id: str, p: Annotated[Any, who]) -> dict:
            desk = desk_of()
            return shown(desk, actor(p), run(desk, caller(request), actor(p), entry_id))

        route("post", path, op, summary)(handler)

    change(
        "/v1/register/{entry_id}/submit",
        "register_submit",
        "Soumettre l'entrée au référent IA",
        lambda d, c, a, i: d.submit(c, a, i),
    )
    change(
        "/v1/register/{entry_id}/in-service",
        "register_in_service",
        "Mettre en service un usage approuvé",
        lambda d, c, a, i: d.put_in_service(c, a, i),
    )
    change(
        "/v1/register/{entry_id}/withdraw",
        "register_withdraw",
        "Retirer l'usage",
        lambda d, c, a, i: d.withdraw(c, a, i),
    )

    @route(
        "post",
        "/v1/register/{entry_id}/reassess",
        "register_reassess",
        "Réévaluer l'entrée (après un changement du corpus) et voir ce qui a changé",
    )
    def reassess(request: Request, entry_id: str, p: Annotated[Any, who]) -> dict:
        desk = desk_of()
        enter_queue()
        try:
            e = desk.reassess(caller(request), actor(p), entry_id)
        finally:
            leave_queue()
        return shown(desk, actor(p), e)

    @route(
        "post",
        "/v1/register/{entry_id}/decision",
        "register_decide",
        "Décision du référent IA ou du DPO (rôle referent ou admin), avec ses motifs",
    )
    def decide(request: Request, entry_id: str, body: DecisionRequest, p: Annotated[Any, who]) -> dict:
        request.state.audit = {"question": body.reasons}
        desk = desk_of()
        e = desk.decide(caller(request), actor(p), entry_id, body.outcome, body.reasons)
        return shown(desk, actor(p), e)

    @route(
        "post",
        "/v1/register/{entry_id}/obligations/{key}",
        "register_obligation",
        "Statut d'une obligation (à faire, fait, sans objet)",
    )
    def obligation(request: Request, entry_id: str, key: str, body: ObligationRequest, p: Annotated[Any, who]) -> dict:
        desk = desk_of()
        e = desk.set_obligation(caller(request), actor(p), entry_id, key, body.status, body.note)
        return shown(desk, actor(p), e)


__all__ = ["add_register_routes"]
