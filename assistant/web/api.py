"""REST API (FastAPI). Thin: every route calls the audited gateway (core/audited.py), as the UI and CLI do.

Request path, outermost first:
    ServiceMiddleware  body limit (413 before parsing), metrics, unexpected errors → 500 JSON
    exception handlers every error is JSON {"code", "message"} with a stable code (base/errors.py)
    principal()        API key → role check (403) → per-key rate limit (429 + Retry-After)
    route              Gateway call: the service, then the request's audit row (success or error),
                       written before the response leaves; requests refused before the gateway
                       (auth, validation, queue full) get their row from `respond` here

Error codes (stable): invalid_request 422/405, too_large 413, unauthorized 401, forbidden 403,
rate_limited 429, not_found 404, index_missing 503, model_missing 503, unavailable 503
(the LLM or a configuration is not usable), internal 500.
"""

import asyncio
import contextlib
import hmac
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.base.errors import AssistantError, RefusedError, error_status, log_failure
from assistant.base.settings import Settings
from assistant.core.admin import model_report, status_report
from assistant.core.audited import Caller
from assistant.core.context import Context
from assistant.core.service import MAX_QUESTION_CHARS, Service
from assistant.ops.audit import AuditTrail, parse_since
from assistant.ops.keys import KeyRegistry, is_loopback, role_allows
from assistant.ops.metrics import CONTENT_TYPE
from assistant.ops.ratelimit import RateLimiter
from assistant.web.documents_api import DOCUMENTS_PREFIX, MAX_DOCUMENT_BODY, add_document_routes
from assistant.web.register_routes import add_register_routes

log = logging.getLogger("assistant.web.api")

MAX_BODY = 16 * 1024
MAX_QUESTION = MAX_QUESTION_CHARS
MAX_COMMENT = 2000
# "Holds a character that str.strip() keeps", written without \s so that JSON Schema (ECMA)
# and Python agree on it: fuzzers then never send a "valid" text the service finds empty.
HAS_TEXT = "[^\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\x1c-\x1f\x85]"
UNLIMITED_PREFIXES = ("/ui",)  # the Gradio UI (mounted later) has its own upload handling
SSE_PING_S = 15.0
PURGE_EVERY_S = 24 * 3600

MESSAGES = {
    "unauthorized": "Clé d'API absente ou invalide : envoyez « Authorization: Bearer <clé> » ou « X-API-Key: <clé> ».",
    "unauthorized_remote": (
        "Aucune clé d'API n'est configurée : le service n'accepte que les appels locaux. "
        "Créez des clés avec `assistant keys create --role agent`."
    ),
    "forbidden": "Votre rôle ({role}) ne permet pas cette opération (rôle requis : {required}).",
    "rate_limited": "Trop de requêtes pour cette clé : réessayez dans {seconds} s.",
    "too_large": f"Requête trop volumineuse (plus de {MAX_BODY // 1024} Kio) : raccourcissez la question.",
    "not_found": "Adresse inconnue : consultez la documentation de l'API (/openapi.json).",
    "method": "Méthode HTTP non autorisée pour cette adresse.",
    "internal": "Erreur interne du service (réf. {ref}) : réessayez ; si elle persiste, signalez cette référence à l'administrateur.",
}


# ---------------------------------------------------------------------- logs

_KEY_SHAPE = re.compile(r"cd13_[A-Za-z0-9_\-]{8,}")
SERVER_LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "assistant", "assistant.web.api")


class KeyMaskFilter(logging.Filter):
    """Masks anything shaped like an API key in a log record (a client may put its key in the URL,
    which the access log would otherwise print)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the logging machinery
            return True
        if "cd13_" in message:
            record.msg, record.args = _KEY_SHAPE.sub("cd13_***", message), None
        return True


def install_key_mask() -> None:
    """Put the key mask on the server's loggers (idempotent)."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, KeyMaskFilter) for f in logger.filters):
            logger.addFilter(KeyMaskFilter())


# ---------------------------------------------------------------------- errors


class ApiError(RefusedError):
    """A request the API refuses itself (auth, validation, queue full), with response headers."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(status, code, message)
        self.headers = headers or {}


def error_body(code: str, message: str, **extra: Any) -> dict:
    return {"code": code, "message": message, **extra}


def classify(exc: BaseException) -> tuple[int, str, str]:
    """(status, code, French message) of an exception raised by the service (status and code: base/errors.py)."""
    status, code = error_status(exc)
    if isinstance(exc, AssistantError):
        return status, code, str(exc)
    return status, code, MESSAGES["internal"].format(ref=log_internal(exc))


def log_internal(exc: BaseException, where: str = "") -> str:
    """Log an unexpected error without its message (it may quote the question); returns a reference."""
    ref = uuid.uuid4().hex[:8]
    log_failure(log, f"Erreur interne réf. {ref} {where}".rstrip(), exc)
    return ref


class ErrorBody(BaseModel):
    code: str = Field(..., description="Code stable de l'erreur (invalid_request, unauthorized, not_found…).")
    message: str = Field(..., description="Explication en français et marche à suivre.")


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Clé d'API absente ou invalide."},
    403: {"model": ErrorBody, "description": "Rôle insuffisant."},
    413: {"model": ErrorBody, "description": "Requête trop volumineuse (16 Kio au plus)."},
    422: {"model": ErrorBody, "description": "Requête invalide."},
    429: {"model": ErrorBody, "description": "Trop de requêtes pour cette clé (voir l'en-tête Retry-After)."},
    503: {"model": ErrorBody, "description": "Index ou modèle indisponible."},
}


def _validation_message(errors: list[dict]) -> tuple[str, list[dict]]:
    details = []
    for e in errors:
        loc = [str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path")]
        details.append({"field": ".".join(loc) or None, "type": e.get("type")})
    first = errors[0] if errors else {}
    field = details[0]["field"] if details else None
    kind = first.get("type", "")
    ctx = first.get("ctx") or {}
    name = f"« {field} »" if field else "de la requête"
    if kind == "json_invalid":
        msg = "Le corps de la requête n'est pas un JSON valide."
    elif kind == "missing":
        msg = f"Champ obligatoire manquant : {name}."
    elif kind == "string_too_long" and field == "question":
        msg = f"La question dépasse {MAX_QUESTION} caractères : raccourcissez-la."
    elif kind == "string_too_long":
        msg = f"Le champ {name} dépasse {ctx.get('max_length', '?')} caractères."
    elif kind in ("string_too_short", "too_short", "string_pattern_mismatch"):
        msg = f"Le champ {name} est vide."
    elif kind.startswith(("greater_than", "less_than")):
        msg = f"La valeur du champ {name} est hors limites."
    elif kind == "extra_forbidden":
        msg = f"Champ inconnu : {name}."
    elif kind == "model_attributes_type" or kind == "dict_type":
        msg = "Le corps de la requête doit être un objet JSON."
    elif kind.endswith("_type") or kind.endswith("_parsing"):
        msg = f"Le champ {name} n'a pas le bon type."
    elif kind == "value_error":
        msg = str(ctx.get("error") or "Valeur invalide.")
    else:
        msg = f"Requête invalide (champ {name})."
    return msg, details


# ---------------------------------------------------------------------- request models


class SearchRequest(BaseModel):
    query: str = Field(
        ..., max_length=MAX_QUESTION, pattern=HAS_TEXT, description="Question ou mots-clés, en français."
    )
    k: int = Field(5, ge=1, le=50, description="Nombre de passages.")
    doc: list[Annotated[str, Field(max_length=100)]] | None = Field(
        None, max_length=20, description="Filtrer par document (doc_id)."
    )
    lang: str | None = Field(None, max_length=10, description="Filtrer par langue (fr, en).")


class HistoryTurn(BaseModel):
    question: str = Field(
        ..., max_length=MAX_QUESTION, pattern=r"\S", description="Une question précédente (non vide)."
    )
    answer_id: str | None = Field(None, max_length=64, description="L'answer_id de sa réponse.")


class Conversing(BaseModel):
    """The conversation fields of /v1/ask and /v1/assess (the handler passes them to the gateway)."""

    conversation_id: str | None = Field(
        None,
        max_length=64,
        description="Suite d'une conversation : le conversation_id renvoyé avec une réponse précédente "
        "(gardée sur le serveur, une heure au plus). Absent : une nouvelle conversation.",
    )
    history: list[HistoryTurn] | None = Field(
        None,
        max_length=8,
        description="Sans état côté serveur : les questions précédentes (et leurs answer_id), les plus anciennes "
        "d'abord. Ignoré si conversation_id est donné.",
    )

    def conversation(self) -> dict:
        if self.conversation_id:
            return {"conversation_id": self.conversation_id}
        if self.history:
            return {"history": [h.model_dump() for h in self.history]}
        return {}


class AskRequest(Conversing):
    question: str = Field(
        ...,
        max_length=MAX_QUESTION,
        pattern=HAS_TEXT,
        description=f"La question, en français ({MAX_QUESTION} caractères au plus). Une question de suite "
        "(« Et depuis quand ? ») est comprise d'après la précédente : la réponse donne la question comprise "
        "(understood_question).",
    )
    stream: bool = Field(
        False, description="Réponse au fil de l'eau (server-sent events : token…, puis final ou error)."
    )


class DescriptionRequest(Conversing):
    description: str = Field(
        ..., max_length=MAX_QUESTION, pattern=HAS_TEXT, description="Description du projet, en français."
    )
    stream: bool = Field(
        False, description="Réponse au fil de l'eau (server-sent events : token…, puis final ou error)."
    )


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "description": "Avis sur une réponse : answer_id (ou question_id) requis.",
            "anyOf": [
                {"required": [k], "properties": {k: {"type": "string", "minLength": 1}}}
                for k in ("answer_id", "question_id")
            ],
        }
    )
    answer_id: str | None = Field(None, max_length=64, description="Identifiant de la réponse (champ answer_id).")
    question_id: str | None = Field(None, max_length=64, description="Synonyme de answer_id.")
    useful: bool = Field(..., description="La réponse était-elle utile ?")
    comment: str = Field("", max_length=MAX_COMMENT, description="Commentaire libre (données personnelles masquées).")

    @model_validator(mode="after")
    def _one_id(self) -> "FeedbackRequest":
        if not (self.answer_id or self.question_id):
            raise ValueError("Indiquez answer_id (l'identifiant renvoyé avec la réponse).")
        return self

    @property
    def id(self) -> str:
        return str(self.answer_id or self.question_id)


# ---------------------------------------------------------------------- context


@dataclass(frozen=True)
class Principal:
    key_id: str | None  # None when auth is off (loopback, no key configured)
    role: str
    user: str  # pseudonym written to the audit trail


@dataclass
class ApiContext(Context):
    pending: int = 0  # answers being computed or waiting for the (single) LLM

    def enter_queue(self) -> None:
        """Bounded queue in front of the LLM: never a timeout, a clear 503 when full."""
        limit = max(1, int(getattr(self.settings, "ask_queue", 4)))
        if self.pending >= limit:
            raise ApiError(
                503,
                "busy",
                f"L'assistant traite déjà {self.pending} demande(s) (une à la fois sur ce serveur) : "
                "réessayez dans une minute.",
                {"Retry-After": "30"},
            )
        self.pending += 1

    def leave_queue(self) -> None:
        self.pending -= 1

    async def audit_row(self, request: Request, status: int) -> None:
        """The row of a request refused before the gateway (once per request), before its response is sent."""
        principal: Principal | None = getattr(request.state, "principal", None)
        if principal is None or getattr(request.state, "audited", False):
            return
        request.state.audited = True
        info = dict(getattr(request.state, "audit", {}) or {})
        t0 = getattr(request.state, "t0", None)
        latency = (time.perf_counter() - t0) * 1000 if t0 else None
        await run_in_threadpool(
            self.audit.record,
            user=principal.user,
            endpoint=_endpoint(request),
            status=status,
            latency_ms=latency,
            **info,
        )


def caller(request: Request) -> Caller:
    """The request as the gateway sees it; from here on the gateway writes its audit row (never twice)."""
    who: Principal = request.state.principal
    request.state.audited = True
    t0 = getattr(request.state, "t0", None)
    return Caller(who.user, _endpoint(request), "api", t0 if t0 is not None else time.perf_counter())


def _endpoint(request: Request) -> str:
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"[:200]


_bearer = HTTPBearer(auto_error=False, description="Clé d'API : « Authorization: Bearer cd13_… ».")
_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Clé d'API dans l'en-tête X-API-Key.")


def _raw_key(
    cred: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    api_key: Annotated[str | None, Security(_key_header)],
) -> str | None:
    bearer = cred.credentials if cred else None
    if api_key and bearer and hmac.compare_digest(api_key.strip().encode(), bearer.strip().encode()) is False:
        return _CONFLICT  # two different keys: refuse rather than pick one (an invalid one may be the real intent)
    return api_key or bearer


_CONFLICT = "\x00clés-contradictoires"  # never a valid key: authenticate() finds no match


def principal(required: str, ctx_getter: Callable[[], ApiContext], *, rate_limit: bool = True) -> Any:
    """Dependency: authenticate, check the role, take a rate-limit token; sets request.state.principal."""

    async def dep(request: Request, raw: Annotated[str | None, Depends(_raw_key)]) -> Principal:
        ctx = ctx_getter()
        request.state.t0 = getattr(request.state, "t0", None) or time.perf_counter()
        if await run_in_threadpool(ctx.auth_enabled):
            key = await run_in_threadpool(ctx.keys.authenticate, raw)
            if key is None:
                log.warning(
                    "Clé d'API refusée (%s) pour %s",
                    "absente" if not raw else "inconnue ou révoquée",
                    _endpoint(request),
                )
                raise ApiError(401, "unauthorized", MESSAGES["unauthorized"], {"WWW-Authenticate": "Bearer"})
            who = Principal(key.id, key.role, ctx.audit.pseudonym(key.id))
        else:
            host = request.client.host if request.client else None
            if not is_loopback(host):
                raise ApiError(401, "unauthorized", MESSAGES["unauthorized_remote"], {"WWW-Authenticate": "Bearer"})
            who = Principal(None, "agent", "local")
        if not role_allows(who.role, required):
            request.state.principal = who  # refused requests of known users are audited too
            raise ApiError(403, "forbidden", MESSAGES["forbidden"].format(role=who.role, required=required))
        if rate_limit and who.key_id is not None:  # per key: the anonymous local mode is not limited
            wait = await run_in_threadpool(ctx.limiter.take, who.key_id)
            if wait > 0:
                seconds = RateLimiter.retry_after(wait)
                raise ApiError(
                    429, "rate_limited", MESSAGES["rate_limited"].format(seconds=seconds), {"Retry-After": str(seconds)}
                )
        request.state.principal = who
        return who

    return Depends(dep)


# ---------------------------------------------------------------------- middleware


class ServiceMiddleware:
    """Body limit before parsing, metrics per route and status, unexpected errors as JSON 500."""

    def __init__(self, app: ASGIApp, ctx_getter: Callable[[], ApiContext], routes: Callable[[], list] = list):
        self.app = app
        self.ctx_getter = ctx_getter
        self.routes = routes

    def _route_label(self, scope: Scope) -> str:
        """Path template of the route (bounded label set: unknown paths are "autre")."""
        route = scope.get("route")
        if route is None:  # refused before routing (413): find the route it was meant for
            route = next((r for r in self.routes() if r.matches(scope)[0] != Match.NONE), None)
        return getattr(route, "path", None) or "autre"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ctx = self.ctx_getter()
        t0 = time.perf_counter()
        scope.setdefault("state", {})["t0"] = t0
        status = {"code": 500, "started": False}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
            await send(message)

        ctx.metrics.in_progress.inc()
        try:
            path = scope.get("path", "")
            if not path.startswith(UNLIMITED_PREFIXES):
                limit = MAX_DOCUMENT_BODY if path.startswith(DOCUMENTS_PREFIX) else MAX_BODY  # uploads
                replay = await self._read_limited(scope, receive, limit)
                if replay is None:
                    await self._json(send_wrapper, 413, error_body("too_large", MESSAGES["too_large"]))
                    return
                receive = replay
            try:
                await self.app(scope, receive, send_wrapper)
            except Exception as exc:  # unexpected: never a traceback to the client
                if status["started"]:
                    log_internal(exc, "(réponse déjà commencée)")
                    return
                ref = log_internal(exc, scope.get("path", ""))
                await self._audit_500(ctx, scope)
                await self._json(send_wrapper, 500, error_body("internal", MESSAGES["internal"].format(ref=ref)))
        finally:
            ctx.metrics.in_progress.dec()
            ctx.metrics.observe_request(
                self._route_label(scope), scope.get("method", ""), int(status["code"]), time.perf_counter() - t0
            )

    @staticmethod
    async def _read_limited(scope: Scope, receive: Receive, limit: int = MAX_BODY) -> Receive | None:
        """Read the whole body (at most `limit` bytes) and replay it; None when it is too large."""
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    if int(value) > limit:
                        return None
                except ValueError:
                    return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # client gone

                async def gone(message: Message = message) -> Message:
                    return message

                return gone
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                return None
            chunks.append(body)
            if not message.get("more_body", False):
                break
        pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay() -> Message:
            if pending:
                return pending.pop()
            return await receive()

        return replay

    @staticmethod
    async def _json(send: Send, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    @staticmethod
    async def _audit_500(ctx: ApiContext, scope: Scope) -> None:
        state = scope.get("state") or {}
        who = state.get("principal")
        if who is None or state.get("audited"):
            return
        state["audited"] = True
        route = scope.get("route")
        endpoint = f"{scope.get('method', '')} {getattr(route, 'path', scope.get('path', ''))}"[:200]
        info = dict(state.get("audit") or {})
        try:
            await run_in_threadpool(ctx.audit.record, user=who.user, endpoint=endpoint, status=500, **info)
        except Exception as exc:  # the 500 must still go out
            log_internal(exc, "(écriture de l'audit)")


# ---------------------------------------------------------------------- SSE

# Written here rather than with sse-starlette (tried, 3.7.1): it removed no code (+15/-13 lines
# once the behaviour matched), its DEBUG log prints every chunk (questions and answers: personal
# data), each event needs its own `sep` to keep "\n" framing, and importing it patches uvicorn's
# Server.handle_exit with a process-wide shutdown flag. Pings here come only after SSE_PING_S idle.


class ClientGoneError(RefusedError):
    """Raised from on_token when the client went away: stops the generation early (audited as 499,
    nginx's "client closed request")."""

    def __init__(self) -> None:
        super().__init__(499, "client_gone", "Le client a fermé la connexion avant la fin de la réponse.")


# Before OpenAPI 3.2, the `schema` of text/event-stream describes each event.
SSE_EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "event": {"type": "string", "enum": ["token", "final", "error"]},
        "data": {
            "type": "string",
            "description": "JSON : {text} (token), la réponse (final), {code, message} (error).",
        },
    },
    "required": ["data"],
}


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def wants_stream(request: Request, body_stream: bool) -> bool:
    return body_stream or "text/event-stream" in request.headers.get("accept", "")


# ---------------------------------------------------------------------- answer routes (ask, and assess later)


AnswerRun = Callable[..., dict]  # run(caller, text, on_token=None): Gateway.ask or Gateway.assess


def add_answer_route(
    app: FastAPI,
    ctx_getter: Callable[[], ApiContext],
    path: str,
    run: AnswerRun,
    *,
    field: str = "question",
    summary: str,
    description: str,
    role: str = "agent",
) -> None:
    """Register a POST route answering one text with the ask contract: JSON, or SSE when streaming.

    `run(caller, text, on_token=callback)` is a blocking gateway call (Gateway.ask, Gateway.assess):
    it adds `answer_id`, writes the audit row and the metrics.
    """
    body_model: type[AskRequest | DescriptionRequest] = AskRequest if field == "question" else DescriptionRequest

    who_dep = principal(role, ctx_getter)

    # FastAPI reads the body model from the annotation at run time: a variable mypy cannot take as a type.
    async def handler(request: Request, body: body_model, who: Annotated[Principal, who_dep]) -> Any:  # type: ignore[valid-type]
        ctx = ctx_getter()
        given: AskRequest | DescriptionRequest = body
        text = str(getattr(given, field)).strip()
        request.state.audit = {"question": text}
        if not text:
            raise ApiError(422, "invalid_request", "La question est vide : écrivez une question en français.")
        await run_in_threadpool(lambda: ctx.service.index)  # index_missing as a JSON 503, before any stream
        ctx.enter_queue()
        if not wants_stream(request, given.stream):
            who_calls = caller(request)
            try:
                out = await run_in_threadpool(lambda: run(who_calls, text, **given.conversation()))
            finally:
                ctx.pending -= 1
            return JSONResponse(out)

        async def leave_queue_after(stream: AsyncIterator[str]) -> AsyncIterator[str]:
            try:
                async for piece in stream:
                    yield piece
            finally:
                ctx.pending -= 1

        return StreamingResponse(
            leave_queue_after(_stream(run, caller(request), text, given.conversation())),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    app.post(
        path,
        summary=summary,
        description=description,
        tags=["Réponses"],
        operation_id=path.rsplit("/", 1)[-1],
        responses={
            200: {
                "description": "Réponse sourcée (JSON), ou flux text/event-stream : événements token, puis final "
                "(la réponse complète) ou error ({code, message}).",
                "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
                "links": {
                    "Avis": {
                        "operationId": "feedback",
                        "requestBody": {"answer_id": "$response.body#/answer_id", "useful": True},
                        "description": "Donner son avis sur cette réponse (answer_id).",
                    },
                    "Passage": {
                        "operationId": "unit",
                        "parameters": {
                            "doc_id": "$response.body#/citations/0/doc_id",
                            "ref": "$response.body#/citations/0/ref",
                        },
                        "description": "Le passage exact de la première citation.",
                    },
                },
            },
            404: {"model": ErrorBody, "description": "Conversation inconnue ou expirée (conversation_id)."},
            **_ERRORS,
        },
    )(handler)


async def _stream(run: AnswerRun, who: Caller, text: str, conversation: dict | None = None) -> AsyncIterator[str]:
    """token events while the answer is written, then final (after its audit row) or error."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    cancelled = threading.Event()

    def post(item: tuple[str, Any]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone (server shutting down)
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def on_token(piece: str) -> None:
        if cancelled.is_set():
            raise ClientGoneError
        post(("token", piece))

    def work() -> None:
        try:
            post(
                ("final", run(who, text, on_token=on_token, **(conversation or {})))
            )  # the row is written before it returns
        except BaseException as exc:
            post(("error", exc))

    loop.run_in_executor(None, work)
    try:
        while True:
            try:
                kind, payload = await asyncio.wait_for(queue.get(), timeout=SSE_PING_S)
            except TimeoutError:
                yield ": attente\n\n"  # comment line: keeps proxies from closing an idle stream
                continue
            if kind == "token":
                yield sse("token", {"text": payload})
            elif kind == "final":
                yield sse("final", payload)
                return
            else:  # the gateway wrote the row (or could not: no row, no answer)
                _status, code, message = classify(payload)
                yield sse("error", error_body(code, message))
                return
    finally:
        cancelled.set()


# ---------------------------------------------------------------------- app


def create_app(
    settings: Settings | None = None,
    service: Service | None = None,
    *,
    keys: KeyRegistry | None = None,
    audit: AuditTrail | None = None,
) -> FastAPI:
    settings = settings or Settings.load()
    install_key_mask()
    ctx = ApiContext.build(settings, service, keys=keys, audit=audit)
    svc, gateway = ctx.service, ctx.gateway

    def get_ctx() -> ApiContext:
        return ctx

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async def purge_daily() -> None:
            while True:
                try:
                    report = await run_in_threadpool(ctx.audit.purge)
                    if report.deleted or report.feedback_deleted:
                        log.info(
                            "Audit : %d ligne(s) et %d avis purgés (avant %s).",
                            report.deleted,
                            report.feedback_deleted,
                            report.cutoff,
                        )
                except Exception as exc:
                    log_internal(exc, "(purge de l'audit)")
                await asyncio.sleep(PURGE_EVERY_S)

        task = asyncio.create_task(purge_daily())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        title="Assistant IA-réglementation — Département des Bouches-du-Rhône",
        description=(
            "Réponses sourcées sur la réglementation de l'IA (règlement (UE) 2024/1689, règlement (UE) 2026/1744, "
            "projet de charte IA du Département), calculées localement. Toute réponse est générée par une IA "
            "(`ai_generated: true`) et ne constitue pas une décision.\n\n"
            "Accès : clé d'API dans « Authorization: Bearer <clé> » ou « X-API-Key », rôles agent, trainer, referent (référent IA), admin "
            "(sans clé configurée, seuls les appels locaux sont acceptés). Les erreurs sont au format JSON "
            "`{code, message}` avec un code stable."
        ),
        version="0.1.0",
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: not on a closed network
        redoc_url=None,
        lifespan=lifespan,
        telemetry={
            "tracing": False,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
        },
        openapi_tags=[
            {"name": "Réponses", "description": "Questions et réponses sourcées."},
            {"name": "Textes", "description": "Recherche et consultation des textes de référence."},
            {"name": "Avis", "description": "Avis des utilisateurs sur les réponses."},
            {"name": "Administration", "description": "Journal d'audit et état du service (rôle admin)."},
            {
                "name": "Registre des usages de l'IA",
                "description": "Entrées, décisions du référent IA, registre public.",
            },
            {"name": "Exploitation", "description": "Santé et métriques."},
        ],
    )
    app.state.ctx = ctx
    app.add_middleware(ServiceMiddleware, ctx_getter=get_ctx, routes=lambda: app.router.routes)

    # ------------------------------------------------------------------ error handlers

    async def respond(
        request: Request, status: int, code: str, message: str, headers: dict | None = None, **extra: Any
    ) -> JSONResponse:
        try:
            await ctx.audit_row(request, status)
        except Exception as exc:
            log_internal(exc, "(écriture de l'audit)")
        return JSONResponse(status_code=status, content=error_body(code, message, **extra), headers=headers)

    @app.exception_handler(AssistantError)
    async def _assistant_error(request: Request, exc: AssistantError) -> JSONResponse:
        status, code, message = classify(exc)
        return await respond(request, status, code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, details = _validation_message(list(exc.errors()))
        return await respond(request, 422, "invalid_request", message, details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return await respond(request, 404, "not_found", MESSAGES["not_found"])
        if exc.status_code == 405:
            return await respond(request, 405, "invalid_request", MESSAGES["method"], dict(exc.headers or {}))
        if exc.status_code == 413:
            return await respond(request, 413, "too_large", MESSAGES["too_large"])
        if exc.status_code == 400:  # body not decodable (bytes that are not UTF-8, nesting too deep)
            return await respond(request, 422, "invalid_request", "Le corps de la requête n'est pas un JSON valide.")
        code = {401: "unauthorized", 403: "forbidden", 429: "rate_limited"}.get(exc.status_code, "invalid_request")
        if exc.status_code >= 500:
            code = "internal"
        return await respond(request, exc.status_code, code, "Requête refusée.", dict(exc.headers or {}))

    agent = principal("agent", get_ctx)
    admin = principal("admin", get_ctx)
    scrape = principal("agent", get_ctx, rate_limit=False)

    # ------------------------------------------------------------------ answers

    add_answer_route(
        app,
        get_ctx,
        "/v1/ask",
        gateway.ask,
        summary="Poser une question (réponse sourcée)",
        description=(
            "Réponse en français fondée sur les passages retrouvés, avec citations vérifiées (`citations`), "
            "étiquette IA (`ai_generated`, `label`), modèle et version du corpus, temps et énergie. "
            "`abstained: true` quand les textes ne permettent pas de répondre. `answer_id` sert aux avis. "
            "Chaque réponse appartient à une conversation (`conversation_id`) : renvoyez-le avec la question "
            "suivante, ou envoyez `history`, pour une question de suite ; `understood_question` dit comment elle "
            "a été comprise, `carried_refs` les dispositions reprises du tour précédent, `changes` ce qu'une "
            "hypothèse (« et si… ») a changé à une évaluation. "
            "Avec `stream: true` (ou `Accept: text/event-stream`) : événements `token` ({text}) puis `final` "
            "(la réponse complète) ou `error` ({code, message})."
        ),
    )
    # POST /v1/assess: the same streaming, limits, answer_id, audit and metrics as /v1/ask.
    add_answer_route(
        app,
        get_ctx,
        "/v1/assess",
        gateway.assess,
        field="description",
        summary="Mon projet est-il autorisé ? (évaluation d'un usage envisagé)",
        description="Catégorie de risque selon le règlement sur l'IA, obligations, charte, points à clarifier ; "
        "la décision revient à un humain.",
    )

    # ------------------------------------------------------------------ texts

    @app.post(
        "/v1/search",
        summary="Rechercher les passages des textes de référence",
        tags=["Textes"],
        operation_id="search",
        responses={
            200: {
                "description": "Passages classés (rang, score, document, référence, intitulé, page, texte).",
                "links": {
                    "Passage": {
                        "operationId": "unit",
                        "parameters": {
                            "doc_id": "$response.body#/results/0/doc_id",
                            "ref": "$response.body#/results/0/ref",
                        },
                        "description": "Le passage exact du premier résultat.",
                    }
                },
            },
            **_ERRORS,
        },
    )
    def search(request: Request, req: SearchRequest, who: Annotated[Principal, agent]) -> dict:
        request.state.audit = {"question": req.query}
        if not req.query.strip():
            raise ApiError(422, "invalid_request", "La question est vide : écrivez une question ou des mots-clés.")
        return gateway.search(caller(request), req.query, k=req.k, docs=req.doc, lang=req.lang)

    @app.get(
        "/v1/documents",
        summary="Lister les documents indexés",
        description="Identifiant, titre, version, date, lien officiel et nombre de passages de chaque texte.",
        tags=["Textes"],
        operation_id="documents",
        responses=_ERRORS,
    )
    def documents(request: Request, who: Annotated[Principal, agent]) -> dict:
        docs = gateway.documents(caller(request))
        return {"corpus_version": svc.index.corpus_version, "documents": docs}

    @app.get(
        "/v1/documents/{doc_id}/units/{ref}",
        summary="Consulter le passage exact d'une disposition",
        description=(
            "Texte exact du passage cité (`ref` d'une citation : article, paragraphe, point, considérant, annexe, "
            "section de la charte), avec son intitulé, sa page, le lien officiel (ancre EUR-Lex) et les "
            "dispositions qui le modifient (`amended_by`)."
        ),
        tags=["Textes"],
        operation_id="unit",
        responses={404: {"model": ErrorBody, "description": "Passage inconnu."}, **_ERRORS},
    )
    def unit(request: Request, doc_id: str, ref: str, who: Annotated[Principal, agent]) -> dict:
        return gateway.unit(caller(request), doc_id, ref)

    # ------------------------------------------------------------------ feedback

    @app.post(
        "/v1/feedback",
        summary="Donner son avis sur une réponse",
        description="Utile ou non, avec un commentaire facultatif (2000 caractères au plus, données personnelles masquées).",
        tags=["Avis"],
        operation_id="feedback",
        status_code=201,
        responses={404: {"model": ErrorBody, "description": "Réponse inconnue."}, **_ERRORS},
    )
    def feedback(request: Request, req: FeedbackRequest, who: Annotated[Principal, agent]) -> dict:
        row = gateway.feedback(caller(request), req.id, req.useful, req.comment)
        return {"id": row["id"], "answer_id": req.id, "useful": req.useful, "message": "Merci pour votre avis."}

    @app.post(
        "/v1/conversations",
        summary="Commencer une conversation",
        description="Un conversation_id pour les questions qui suivront (POST /v1/ask le crée aussi à la "
        "première question). Gardée en mémoire, ou dans la base PostgreSQL partagée quand plusieurs workers "
        "servent l'API, une heure au plus, pour la seule clé qui l'a ouverte.",
        tags=["Réponses"],
        operation_id="conversation",
        status_code=201,
        responses={
            201: {
                "description": "La conversation ouverte.",
                "links": {
                    "Question": {
                        "operationId": "ask",
                        "requestBody": {"question": "Quelles sont les pratiques interdites ?",
                                        "conversation_id": "$response.body#/conversation_id"},
                        "description": "Poser une question dans cette conversation.",
                    }
                },
            },
            **_ERRORS,
        },
    )  # fmt: skip
    def conversation(request: Request, who: Annotated[Principal, agent]) -> dict:
        return gateway.open_conversation(caller(request))

    @app.delete(
        "/v1/conversations/{conversation_id}",
        summary="Oublier une conversation",
        description="Le serveur oublie les tours de la conversation (« Nouvelle conversation »). Le journal "
        "d'audit garde ses lignes, masquées.",
        tags=["Réponses"],
        operation_id="forget_conversation",
        status_code=204,
        responses={404: {"model": ErrorBody, "description": "Conversation inconnue."}, **_ERRORS},
    )
    def forget_conversation(request: Request, conversation_id: str, who: Annotated[Principal, agent]) -> Response:
        gateway.forget_conversation(caller(request), conversation_id[:64])
        return Response(status_code=204)

    # ------------------------------------------------------------------ admin

    @app.get(
        "/v1/admin/audit",
        summary="Lire le journal d'audit",
        description="Lignes les plus récentes d'abord ; `since` : date ou date-heure ISO 8601 (UTC).",
        tags=["Administration"],
        responses=_ERRORS,
    )
    def admin_audit(
        request: Request,
        who: Annotated[Principal, admin],
        limit: Annotated[int, Query(ge=1, le=1000, description="Nombre de lignes.")] = 100,
        since: Annotated[str | None, Query(max_length=40, description="Depuis (ISO 8601).")] = None,
    ) -> dict:
        try:
            since_ts = parse_since(since) if since else None
        except ValueError as exc:
            raise ApiError(422, "invalid_request", f"Paramètre since : {exc}.") from None
        rows = gateway.run(caller(request), "admin_audit", lambda: ctx.audit.rows(limit=limit, since=since_ts))
        return {"rows": rows, "count": len(rows)}

    @app.get(
        "/v1/admin/feedback",
        summary="Lire les avis des utilisateurs",
        tags=["Administration"],
        responses=_ERRORS,
    )
    def admin_feedback(
        request: Request,
        who: Annotated[Principal, admin],
        limit: Annotated[int, Query(ge=1, le=1000, description="Nombre d'avis.")] = 100,
    ) -> dict:
        rows = gateway.run(caller(request), "admin_feedback", lambda: ctx.audit.feedback(limit=limit))
        return {"feedback": rows, "count": len(rows)}

    @app.get(
        "/v1/admin/status",
        summary="État du service : index, modèles, clés, journal d'audit",
        tags=["Administration"],
        responses=_ERRORS,
    )
    def admin_status(request: Request, who: Annotated[Principal, admin]) -> dict:
        return gateway.run(caller(request), "admin_status", lambda: status_report(ctx))

    app.state.documents = add_document_routes(app, gateway, admin, caller, _ERRORS)  # web/documents_api.py

    # ------------------------------------------------------------------ register of AI uses (web/register_routes.py)

    add_register_routes(
        app,
        lambda: ctx.register,
        who=agent,
        caller=caller,
        errors=_ERRORS,
        enter_queue=ctx.enter_queue,
        leave_queue=ctx.leave_queue,
    )

    # ------------------------------------------------------------------ operations

    @app.get(
        "/health",
        summary="État du service (prêt quand l'index et les modèles sont chargés)",
        description="200 quand l'index se charge et que les fichiers de modèles sont vérifiés ; 503 sinon, avec la raison.",
        tags=["Exploitation"],
        responses={
            503: {"description": "Service pas prêt : code index_missing ou model_missing, message en français."}
        },
    )
    def health() -> JSONResponse:
        try:
            index = svc.index
        except AssistantError as exc:
            _, code, message = classify(exc)
            return JSONResponse(status_code=503, content={"ready": False, "code": code, "message": message})
        models = model_report(settings)
        missing = [m for m in models if not m["ok"] and not m.get("optional")]
        info = {"generation": index.path.name, "corpus_version": index.corpus_version, "chunks": len(index.chunks)}
        if missing:
            message = "Modèle(s) non vérifié(s) : " + " ; ".join(f"{m['name']} : {m['detail']}" for m in missing)
            return JSONResponse(
                status_code=503,
                content={"ready": False, "code": "model_missing", "message": message, "index": info, "models": models},
            )
        return JSONResponse(status_code=200, content={"ready": True, "index": info, "models": models})

    @app.get(
        "/metrics",
        summary="Métriques Prometheus",
        description="Requêtes par route et statut, durées par étape (recherche, premier mot, totale), jetons, énergie.",
        tags=["Exploitation"],
        response_class=PlainTextResponse,
        responses={200: {"content": {CONTENT_TYPE: {}}}, 401: _ERRORS[401]},
    )
    def metrics(request: Request, who: Annotated[Principal, scrape]) -> Response:
        body, content_type = ctx.metrics.exposition(request.headers.get("accept"))
        return Response(body, media_type=content_type)

    return app


__all__ = [
    "MAX_BODY",
    "MAX_QUESTION",
    "ApiContext",
    "ApiError",
    "ClientGoneError",
    "Principal",
    "add_answer_route",
    "caller",
    "classify",
    "create_app",
]
