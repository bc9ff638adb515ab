"""French web UI (Gradio), mounted in the API process at `/ui`.

    build_ui(service, sessions=..., admin=...)   the gradio.Blocks (tabs below)
    mount_ui(app, service, path="/ui", ...)      mounts it on a FastAPI app, closed-network options
    render_answer_html(response)                 the safe HTML of one answer (pure, unit-tested)
    stream_answer(service, question)             the streaming handler behind the « Poser » button

Tabs: « Poser une question », then the tabs of later features (`add_feature_tabs`), then
« Administration » (only through the `admin` object the lead connects).

Requests: every handler takes gradio's `request` and calls `sessions(request)`, the service as
the signed-in user of that request sees it; in the served app that is the audited gateway
(core/access.py `UiSessions`: one audit row per request under the key's pseudonym). `service`
itself only feeds the rendering (full passages of the citations) and the tabs' set-up.

Safety: everything that comes from the model or from documents is escaped with
`html.escape`; only `[n]` markers and line breaks become markup; no Markdown is interpreted
(so no remote image can be injected); links point only to official EU addresses.
Closed network: system fonts, no analytics, no footer links to gradio.app, no run history
kept in the browser, and the served page is rewritten to drop the social-preview `<meta>`
tags that name external hosts and to declare `lang="fr"`.
"""

from __future__ import annotations

import os

# Before gradio is imported: no telemetry, whatever the environment says.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import logging
import queue
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import gradio as gr
from fastapi import FastAPI
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.base.errors import AssistantError, log_failure
from assistant.ui.render import (
    EMPTY_ANSWER_HTML,
    MARKER_JS,
    MAX_QUESTION_CHARS,
    SourceLookup,
    render_answer_html,
    render_message_html,
    render_partial_html,
    render_rows_html,
    render_status_html,
)

log = logging.getLogger(__name__)

TITLE = "Assistant IA-réglementation — Département des Bouches-du-Rhône"
ASSETS = Path(__file__).with_name("assets")
MAX_COMMENT_CHARS = 2000
ADMIN_MAX_ROWS = 1000
EXAMPLES = [
    "Quelle amende pour une pratique d'IA interdite ?",
    "Quelles sont les obligations d'un déployeur de système d'IA à haut risque ?",
    "Que dit la charte du Département sur une IA frugale et durable ?",
]

FeedbackFn = Callable[[str | None, bool, str], object]
# sessions(request) -> the service as the user of a UI request sees it (ask, assess, quiz, feedback)
Sessions = Callable[[Any], Any]


def plain_sessions(service: Any) -> Sessions:
    """Every request uses `service` itself (a UI run on its own, tests): nothing is audited."""
    return lambda request: service


class Admin(Protocol):
    """What the « Administration » tab needs; the lead connects the real object.

    Optionally `authorize(request: gradio.Request) -> bool`: checked before every admin action,
    and `for_request(request) -> Admin`: the object bound to that request's user (audited reads).
    """

    def status(self) -> dict: ...
    def reindex(self) -> str: ...
    def feedback_rows(self, limit: int) -> list[dict]: ...
    def audit_rows(self, limit: int, query: str) -> list[dict]: ...


# ---------------------------------------------------------------------- handlers


class AnswerUpdate(NamedTuple):
    html: str
    response: dict | None  # the final answer dict, None while streaming or on error
    done: bool


def stream_answer(service: Any, question: str, *, sources: SourceLookup | None = None) -> Iterator[AnswerUpdate]:
    """Run `service.ask` in a worker thread and yield the answer as it is written, then the final one."""
    question = (question or "").strip()
    if not question:
        yield AnswerUpdate(render_message_html("Écrivez d'abord votre question."), None, True)
        return
    if len(question) > MAX_QUESTION_CHARS:
        msg = f"La question dépasse {MAX_QUESTION_CHARS} caractères : raccourcissez-la."
        yield AnswerUpdate(render_message_html(msg, error=True), None, True)
        return
    tokens: queue.Queue[str | None] = queue.Queue()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["response"] = service.ask(question, on_token=tokens.put)
        except AssistantError as exc:  # French message meant for the user
            outcome["error"] = str(exc)
        except Exception as exc:
            log_failure(log, "ask failed", exc)
            outcome["error"] = (
                "Une erreur interne a empêché la réponse. Réessayez ; si elle persiste, prévenez l'administrateur."
            )
        finally:
            tokens.put(None)

    threading.Thread(target=work, name="ui-ask", daemon=True).start()
    yield AnswerUpdate(render_partial_html("", "Recherche dans les textes de référence…"), None, False)
    text = ""
    finished = False
    while not finished:
        piece = tokens.get()
        while piece is not None:  # coalesce what is already queued into one update
            text += piece
            try:
                piece = tokens.get_nowait()
            except queue.Empty:
                break
        else:
            finished = True
        if not finished:
            yield AnswerUpdate(render_partial_html(text, "Rédaction de la réponse…"), None, False)
    if "error" in outcome:
        yield AnswerUpdate(render_message_html(outcome["error"], error=True), None, True)
        return
    response = outcome["response"]
    if hasattr(response, "to_json"):  # a bare Service returns a typed Answer; the gateway, its JSON form
        response = response.to_json()
    page = render_answer_html(
        response,
        passage_for=sources.passage if sources else None,
        label_for=sources.label if sources else None,
    )
    yield AnswerUpdate(page, response, True)


def answer_id(response: Mapping | None) -> str | None:
    """The id the audit store gave the answer, when the connected service adds one."""
    if not response:
        return None
    for key in ("answer_id", "id", "audit_id"):
        if response.get(key):
            return str(response[key])
    return None


def submit_feedback(feedback: FeedbackFn | None, useful: bool, state: Mapping | None, comment: str | None) -> str:
    """Call the feedback callback; return the French confirmation (HTML)."""
    if feedback is None:
        return render_message_html("L'enregistrement des avis n'est pas activé sur ce serveur.", error=True)
    if not state:
        return render_message_html("Posez d'abord une question : l'avis porte sur la dernière réponse.", error=True)
    text = (comment or "").strip()[:MAX_COMMENT_CHARS]
    try:
        feedback(state.get("answer_id"), useful, text)
    except Exception as exc:
        log_failure(log, "feedback failed", exc)
        return render_message_html("Votre avis n'a pas pu être enregistré. Réessayez plus tard.", error=True)
    verdict = "« Utile »" if useful else "« Pas utile »"
    extra = " avec votre commentaire" if text else ""
    return render_message_html(f"Merci : votre avis {verdict}{extra} a été enregistré.")


def _authorized(admin: Any, request: gr.Request | None) -> bool:
    check = getattr(admin, "authorize", None)
    if check is None:
        return True
    try:
        return bool(check(request))
    except Exception as exc:
        log_failure(log, "admin authorization failed", exc)
        return False


_DENIED = "Action réservée au rôle administrateur."


def _limit(value: object, default: int = 50) -> int:
    try:
        n = int(value) if isinstance(value, (int, float, str)) else default
    except (TypeError, ValueError):
        return default
    return max(1, min(ADMIN_MAX_ROWS, n))


def _admin_call(admin: Any, request: gr.Request | None, what: str, call: Callable[[Any], str]) -> str:
    """`call(admin)` with the admin object bound to the request's user, once the request is authorized."""
    if not _authorized(admin, request):
        return render_message_html(_DENIED, error=True)
    try:
        bind = getattr(admin, "for_request", None)
        return call(bind(request) if callable(bind) else admin)
    except AssistantError as exc:
        return render_message_html(str(exc), error=True)
    except Exception as exc:
        log_failure(log, f"admin {what} failed", exc)
        return render_message_html(f"Échec : {what}. Consultez les journaux du serveur.", error=True)


# ---------------------------------------------------------------------- layout


_HEADER = (
    '<div class="ia-root" lang="fr"><h1 style="margin:0 0 .3rem 0">Assistant IA-réglementation</h1>'
    "<p>Département des Bouches-du-Rhône — réponses sourcées sur le règlement européen sur l'IA "
    "(règlement (UE) 2024/1689 et ses modifications) et le projet de charte IA du Département. "
    "Calculé sur les serveurs du Département : aucune donnée ne quitte son réseau.</p></div>"
)
_QUESTION_INTRO = (
    '<div class="ia-root" lang="fr"><p>Les réponses sont <strong>générées par une intelligence artificielle</strong> '
    "à partir des textes de référence, avec les passages cités. Vérifiez-les : elles ne constituent pas une décision. "
    "N'écrivez pas de données personnelles dans la question.</p></div>"
)
_NO_ADMIN = (
    '<div class="ia-root" lang="fr"><p class="ia-error" role="note">Cet onglet nécessite le rôle administrateur : '
    "l'administration (état de l'index, réindexation, avis, journal d'audit) n'est pas disponible ici. "
    "Adressez-vous au référent IA ou à l'administrateur de l'assistant.</p></div>"
)


def add_feature_tabs(service: Any, sessions: Sessions | None = None, register: Any = None) -> None:
    """Tabs of later features, between « Poser une question » and « Administration »
    (called inside `gr.Tabs()` by `build_ui`); each reuses `render_answer_html` so the AI
    label and citations look the same everywhere."""
    sessions = sessions or plain_sessions(service)
    if hasattr(service, "assess"):
        from assistant.ui.assess_tab import assess_tab

        with gr.Tab("Mon projet est-il autorisé ?", id="assess"):
            assess_tab(service, sessions=sessions, register=register)
    if register is not None:
        from assistant.ui.register_tab import register_tab

        with gr.Tab("Registre des usages de l'IA", id="register"):
            register_tab(register)
    if hasattr(service, "settings"):
        from assistant.ui.training_tab import training_tab

        with gr.Tab("Formation", id="training"):
            training_tab(service, sessions=sessions)


def feedback_for(feedback: FeedbackFn | None, sessions: Sessions, request: Any) -> FeedbackFn | None:
    """The rating callback of a request: the one given to `build_ui`, else the request's session's."""
    if feedback is not None:
        return feedback
    return getattr(sessions(request), "feedback", None)


def _question_tab(
    sessions: Sessions, sources: SourceLookup, feedback: FeedbackFn | None, can_rate: bool, concurrency: int
) -> None:
    gr.HTML(_QUESTION_INTRO)
    question = gr.Textbox(
        label="Votre question",
        placeholder="Par exemple : Quelle amende pour une pratique d'IA interdite ?",
        info="Entrée pour envoyer, Maj + Entrée pour aller à la ligne.",
        lines=1,
        max_lines=6,
        max_length=MAX_QUESTION_CHARS,
        autofocus=True,
        elem_id="ia-question",
    )
    ask = gr.Button("Poser la question", variant="primary", elem_id="ia-ask")
    gr.Examples(examples=[[e] for e in EXAMPLES], inputs=[question], label="Exemples de questions")
    answer = gr.HTML(EMPTY_ANSWER_HTML, elem_id="ia-answer", js_on_load=MARKER_JS, container=False)
    state = gr.State(None)
    with gr.Group(visible=False, elem_id="ia-rating") as rating:
        gr.HTML(
            '<div class="ia-root" lang="fr"><h3 style="margin:.4rem .6rem">Cette réponse vous a-t-elle été utile ?</h3></div>'
        )
        comment = gr.Textbox(
            label="Commentaire (facultatif)",
            placeholder="Ce qui manque, ce qui est inexact… (sans données personnelles)",
            lines=2,
            max_lines=6,
            max_length=MAX_COMMENT_CHARS,
            elem_id="ia-comment",
        )
        with gr.Row():
            useful = gr.Button("Utile", elem_id="ia-useful")
            not_useful = gr.Button("Pas utile", elem_id="ia-not-useful")
    rating_status = gr.HTML("", elem_id="ia-rating-status")

    def on_ask(q: str, request: gr.Request) -> Iterator[tuple]:
        for update in stream_answer(sessions(request), q, sources=sources):
            show_rating = update.done and update.response is not None and can_rate
            new_state = {"answer_id": answer_id(update.response)} if update.response is not None else None
            yield update.html, new_state, gr.update(visible=show_rating), "", ("" if update.done else gr.update())

    gr.on(
        triggers=[ask.click, question.submit],
        fn=on_ask,
        inputs=[question],
        outputs=[answer, state, rating, rating_status, comment],
        show_progress="minimal",
        concurrency_limit=concurrency,
        concurrency_id="ask",
        api_visibility="private",
    )

    def on_useful(st: dict | None, text: str, request: gr.Request) -> tuple[str, Any]:
        msg = submit_feedback(feedback_for(feedback, sessions, request), True, st, text)
        return msg, gr.update(value="")

    def on_not_useful(st: dict | None, text: str, request: gr.Request) -> tuple[str, Any]:
        msg = submit_feedback(feedback_for(feedback, sessions, request), False, st, text)
        return msg, gr.update(value="")

    useful.click(on_useful, [state, comment], [rating_status, comment], api_visibility="private")
    not_useful.click(on_not_useful, [state, comment], [rating_status, comment], api_visibility="private")


def _admin_tab(admin: Any, tab: gr.Tab) -> None:
    if admin is None:
        gr.HTML(_NO_ADMIN)
        return
    gr.HTML('<div class="ia-root" lang="fr"><h2>État de l\'index et des modèles</h2></div>')
    status_btn = gr.Button("Actualiser l'état", elem_id="ia-admin-status")
    status_html = gr.HTML("")
    gr.HTML(
        '<div class="ia-root" lang="fr"><h2>Réindexation</h2><p>Construit une nouvelle génération de l\'index puis bascule '
        "dessus : le service reste disponible pendant l'opération.</p></div>"
    )
    reindex_btn = gr.Button("Réindexer sans interruption", variant="primary", elem_id="ia-admin-reindex")
    reindex_html = gr.HTML("")
    gr.HTML('<div class="ia-root" lang="fr"><h2>Avis des utilisateurs</h2></div>')
    with gr.Row():
        fb_limit = gr.Number(value=50, label="Nombre d'avis à afficher", precision=0, minimum=1, maximum=ADMIN_MAX_ROWS)
        fb_btn = gr.Button("Afficher les avis", elem_id="ia-admin-feedback")
    fb_html = gr.HTML("")
    gr.HTML('<div class="ia-root" lang="fr"><h2>Journal d\'audit</h2></div>')
    with gr.Row():
        audit_query = gr.Textbox(
            label="Rechercher dans le journal",
            placeholder="mot de la question, référence (art-5), modèle…",
            lines=1,
            max_length=200,
            elem_id="ia-admin-audit-query",
        )
        audit_limit = gr.Number(value=50, label="Nombre de lignes", precision=0, minimum=1, maximum=ADMIN_MAX_ROWS)
    audit_btn = gr.Button("Rechercher dans le journal", elem_id="ia-admin-audit")
    audit_html = gr.HTML("")

    def status(request: gr.Request) -> str:
        return _admin_call(admin, request, "lecture de l'état", lambda a: render_status_html(a.status()))

    def reindex(request: gr.Request) -> str:
        return _admin_call(admin, request, "réindexation", lambda a: render_message_html(str(a.reindex())))

    def feedback_rows(limit: float, request: gr.Request) -> str:
        return _admin_call(
            admin, request, "lecture des avis", lambda a: render_rows_html(a.feedback_rows(_limit(limit)), "Avis")
        )

    def audit_rows(q: str, limit: float, request: gr.Request) -> str:
        return _admin_call(
            admin,
            request,
            "recherche dans le journal",
            lambda a: render_rows_html(a.audit_rows(_limit(limit), (q or "").strip()[:200]), "Journal d'audit"),
        )

    tab.select(status, None, status_html, api_visibility="private")
    status_btn.click(status, None, status_html, api_visibility="private")
    reindex_btn.click(
        reindex, None, reindex_html, concurrency_limit=1, concurrency_id="reindex", api_visibility="private"
    )
    fb_btn.click(feedback_rows, [fb_limit], fb_html, api_visibility="private")
    gr.on(
        [audit_btn.click, audit_query.submit],
        audit_rows,
        [audit_query, audit_limit],
        audit_html,
        api_visibility="private",
    )


def build_ui(
    service: Any,
    *,
    sessions: Sessions | None = None,
    feedback: FeedbackFn | None = None,
    admin: Admin | None = None,
    concurrency: int = 1,
    register: Any = None,
) -> gr.Blocks:
    """The French UI for `service` (an `assistant.core.service.Service` or anything with `.ask`).

    `sessions(request)`: the service as the user of each request sees it, with a `feedback`
    method (the served app passes the audited gateway, core/access.py `UiSessions`); without it,
    requests use `service` itself, unaudited. `feedback(answer_id, useful, comment)` stores a
    rating instead of the session's (the rating panel is hidden when neither exists); `admin`
    feeds the « Administration » tab (see `Admin`); `register(request)` (core/access.py RegisterSessions)
    adds the « Registre des usages de l'IA » tab and the assessment's « Inscrire au registre ». `concurrency`: answers computed at once
    (1 for the single local LLM; more behind an OpenAI-compatible pool).
    To run it alone: `build_ui(service).launch(**gradio_options())`.
    """
    sources = SourceLookup(service)
    can_rate = feedback is not None or sessions is not None
    sessions = sessions or plain_sessions(service)
    with gr.Blocks(title=TITLE, analytics_enabled=False) as blocks:
        gr.HTML(_HEADER)
        with gr.Tabs():
            with gr.Tab("Poser une question", id="question"):
                _question_tab(sessions, sources, feedback, can_rate, concurrency)
            add_feature_tabs(service, sessions, register)
            with gr.Tab("Administration", id="admin") as admin_tab:
                _admin_tab(admin, admin_tab)
    blocks.queue(max_size=64)
    return blocks


def ui_theme() -> gr.themes.Base:
    """System fonts only (nothing fetched) and colours with WCAG AA contrast."""
    return gr.themes.Default(
        primary_hue="blue",
        secondary_hue="blue",
        neutral_hue="gray",
        font=[gr.themes.Font("system-ui"), gr.themes.Font("Segoe UI"), gr.themes.Font("Roboto"), "sans-serif"],
        font_mono=[gr.themes.Font("ui-monospace"), gr.themes.Font("DejaVu Sans Mono"), "monospace"],
    ).set(
        body_text_color_subdued="*neutral_600",
        body_text_color_subdued_dark="*neutral_300",
        block_label_text_color="*neutral_700",
        block_label_text_color_dark="*neutral_200",
        block_title_text_color="*neutral_700",
        block_title_text_color_dark="*neutral_200",
        input_placeholder_color="*neutral_500",
        input_placeholder_color_dark="*neutral_400",
        input_border_color="*neutral_400",
        input_border_color_focus="*primary_600",
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_border_color="*primary_700",
        button_primary_background_fill_dark="*primary_600",
        button_primary_background_fill_hover_dark="*primary_700",
        button_primary_text_color="white",
        color_accent="*primary_700",
        color_accent_soft="*primary_50",
        link_text_color="*primary_700",
        link_text_color_visited="*primary_800",
        link_text_color_dark="*primary_300",
    )


def gradio_options() -> dict[str, Any]:
    """Options shared by `mount_gradio_app` and `Blocks.launch`: closed network, French, private."""
    return {
        "theme": ui_theme(),
        "css_paths": [ASSETS / "ui.css"],
        "footer_links": [],  # no links to gradio.app / API page
        "run_history": False,  # questions are not kept in the browser
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "show_error": False,
    }


class _LocalPage:
    """Rewrites the UI's HTML page: `lang="fr"`, no `<meta>` naming an external host (social previews)."""

    _META = re.compile(rb"<meta\b[^>]*?https?://[^>]*>\s*", re.IGNORECASE)
    _LANG = re.compile(rb'(<html\b[^>]*?\blang=")[^"]*(")', re.IGNORECASE)

    def __init__(self, app: ASGIApp):
        self.app = app

    @classmethod
    def rewrite(cls, body: bytes) -> bytes:
        body = cls._META.sub(b"", body)
        return cls._LANG.sub(rb"\1fr\2", body, count=1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                if headers.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in headers:
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = self.rewrite(b"".join(chunks))
                kept = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                kept.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": kept})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, capture)


def mount_ui(
    app: FastAPI,
    service: Any,
    *,
    path: str = "/ui",
    sessions: Sessions | None = None,
    feedback: FeedbackFn | None = None,
    admin: Admin | None = None,
    concurrency: int = 1,
    register: Any = None,
    **gradio_kwargs: Any,
) -> FastAPI:
    """Mount the French UI on `app` at `path` (arguments: see `build_ui`). `gradio_kwargs` go to
    `gradio.mount_gradio_app` (e.g. `auth=` to tie the UI to the API's keys)."""
    blocks = build_ui(
        service, sessions=sessions, feedback=feedback, admin=admin, concurrency=concurrency, register=register
    )
    gr.mount_gradio_app(app, blocks, path=path, **{**gradio_options(), **gradio_kwargs})
    mount_path = path.rstrip("/")
    for route in app.routes:
        if isinstance(route, Mount) and route.path == mount_path and route.app is not None:
            route.app = _LocalPage(route.app)
            break
    return app
