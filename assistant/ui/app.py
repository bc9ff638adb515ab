"""French web UI (Gradio), mounted in the API process at `/ui`.

    build_ui(service, feedback=..., admin=...)   the gradio.Blocks (tabs below)
    mount_ui(app, service, path="/ui", ...)      mounts it on a FastAPI app, closed-network options
    render_answer_html(response)                 the safe HTML of one answer (pure, unit-tested)
    stream_answer(service, question)             the streaming handler behind the « Poser » button

Tabs: « Poser une question », then the tabs of later features (`add_feature_tabs`), then
« Administration » (only through the `admin` object the lead connects).

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

import html
import json
import logging
import math
import queue
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import gradio as gr
from fastapi import FastAPI
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.answer.compose import AI_LABEL
from assistant.base.errors import AssistantError, log_failure

log = logging.getLogger(__name__)

TITLE = "Assistant IA-réglementation — Département des Bouches-du-Rhône"
ASSETS = Path(__file__).with_name("assets")
OFFICIAL_URL_PREFIXES = ("https://eur-lex.europa.eu/", "http://data.europa.eu/")
MAX_QUESTION_CHARS = 2000  # same limit as Service.ask
MAX_COMMENT_CHARS = 2000
ADMIN_MAX_ROWS = 1000
EXAMPLES = [
    "Quelle amende pour une pratique d'IA interdite ?",
    "Quelles sont les obligations d'un déployeur de système d'IA à haut risque ?",
    "Que dit la charte du Département sur une IA frugale et durable ?",
]

FeedbackFn = Callable[[str | None, bool, str], None]


class Admin(Protocol):
    """What the « Administration » tab needs; the lead connects the real object.

    Optionally `authorize(request: gradio.Request) -> bool`: checked before every admin action.
    """

    def status(self) -> dict: ...
    def reindex(self) -> str: ...
    def feedback_rows(self, limit: int) -> list[dict]: ...
    def audit_rows(self, limit: int, query: str) -> list[dict]: ...


# ---------------------------------------------------------------------- formatting


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def fr_number(x: float | int | None, digits: int = 2) -> str:
    """French decimal notation with about `digits` significant digits for small values."""
    if x is None or not isinstance(x, (int, float)) or math.isnan(x):
        return "—"
    if x == 0:
        return "0"
    ax = abs(x)
    if ax >= 100:
        s = f"{x:.0f}"
    elif ax >= 1:
        s = f"{x:.{digits - 1}f}"
    else:
        decimals = min(9, -math.floor(math.log10(ax)) + digits - 1)
        s = f"{x:.{decimals}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s.replace(".", ",")


def fr_duration(ms: float | None) -> str:
    if ms is None or not isinstance(ms, (int, float)):
        return "—"
    return f"{fr_number(ms / 1000)} s" if ms >= 1000 else f"{fr_number(ms)} ms"


def energy_method(method: object) -> str:
    """« estimation » or « mesure », never an estimate labelled as a measurement."""
    m = str(method or "").strip().lower()
    if m.startswith("estimation"):
        return "estimation"
    if m.startswith(("rapl", "mesure", "measure")):
        return "mesure"
    return "méthode non précisée"


def safe_official_url(url: object) -> str | None:
    """The URL if it is an official EU address (EUR-Lex, data.europa.eu), else None."""
    if not isinstance(url, str) or not url.startswith(OFFICIAL_URL_PREFIXES):
        return None
    if any(ch.isspace() or ord(ch) < 32 or ch in "\"'<>\\`" for ch in url):
        return None
    return url


_MARKER_RE = re.compile(r"\[(\d{1,3})\]")


def _text_html(text: str, numbers: set[int] | None = None) -> str:
    """Escaped paragraphs; `[n]` markers of known citations become links to their cards."""

    def marker(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if numbers is None or n not in numbers:
            return m.group(0)
        return f'<a class="ia-marker" href="#ia-cit-{n}" aria-label="source {n}" title="Voir la source {n}">[{n}]</a>'

    out = []
    for raw in str(text or "").split("\n"):
        line = raw.strip()
        if not line:
            continue
        body = _MARKER_RE.sub(marker, _esc(line))
        cls = ""
        if line.startswith("⚠"):
            cls = ' class="ia-warn"'
        elif line.endswith(" :") and len(line) <= 40:
            cls = ' class="ia-heading"'
        out.append(f"<p{cls}>{body}</p>")
    return "".join(out)


def _page(page: object) -> str:
    n = _as_int(page)
    return f", p. {n}" if n else ""


def _lang_attr(lang: object) -> str:
    return f' lang="{lang}"' if isinstance(lang, str) and re.fullmatch(r"[a-z]{2}", lang) else ""


def _label_html(label: object) -> str:
    text = str(label or "").strip() or AI_LABEL
    return f'<div class="ia-label" role="note"><span class="ia-badge" aria-hidden="true">IA</span><span>{_esc(text)}</span></div>'


def _meta_html(model: object) -> str:
    model = model if isinstance(model, Mapping) else {}
    items = [
        ("Modèle de langue", model.get("llm")),
        ("Modèle de plongements", model.get("embedder")),
        ("Version du corpus", model.get("corpus_version")),
    ]
    shown = [f"{name} : <code>{_esc(value)}</code>" for name, value in items if value]
    if not shown:
        return ""
    return '<p class="ia-meta">' + " · ".join(shown) + "</p>"


def _highlight(passage: str, quote: str) -> str:
    i = passage.find(quote) if quote else -1
    if i < 0:
        return _esc(passage)
    return f"{_esc(passage[:i])}<mark>{_esc(quote)}</mark>{_esc(passage[i + len(quote) :])}"


def _passage_details(item: Mapping, quote: str, passage_for: Callable[[Mapping], str | None] | None) -> str:
    passage = None
    if passage_for is not None:
        try:
            passage = passage_for(item)
        except Exception as exc:  # the passage is a convenience: never break the answer for it
            log_failure(log, "passage lookup failed", exc)
    if passage and (not quote or quote in passage):
        body = _highlight(passage, quote)
        summary = "Voir le passage source exact"
    elif quote:
        body = _esc(quote)
        summary = "Voir l'extrait exact cité"
    else:
        return ""
    return f'<details><summary>{summary}</summary><div class="ia-passage"{_lang_attr(item.get("lang"))}>{body}</div></details>'


def _link_html(url: object) -> str:
    safe = safe_official_url(url)
    if safe:
        return (
            f'<p class="ia-link"><a href="{_esc(safe)}" target="_blank" rel="noopener noreferrer">'
            "Texte officiel sur EUR-Lex (nouvel onglet)</a></p>"
        )
    if url:
        return f'<p class="ia-link">Adresse indiquée (non vérifiée, non cliquable) : <code>{_esc(url)}</code></p>'
    return ""


def _citation_card(c: Mapping, passage_for, label_for) -> str:
    n = _as_int(c.get("n"))
    quote = str(c.get("quote") or "")
    parts = [f'<li class="ia-card" id="ia-cit-{n}" tabindex="-1">']
    parts.append(
        f'<p class="ia-card-title"><span class="ia-n">[{n}]</span> {_esc(c.get("label") or c.get("ref"))}{_page(c.get("page"))}</p>'
    )
    if quote:
        parts.append(f'<blockquote class="ia-quote"{_lang_attr(c.get("lang"))}>« {_esc(quote)} »</blockquote>')
    amended = [a for a in (c.get("amended_by") or []) if a]
    if amended:
        names = []
        for link in amended:
            name = str(link)
            if label_for is not None:
                try:
                    name = label_for(str(link)) or name
                except Exception as exc:
                    log_failure(log, "label lookup failed", exc)
            names.append(_esc(name))
        parts.append(f'<p class="ia-amended">⚠ Modifié par : {" ; ".join(names)}</p>')
    parts.append(_link_html(c.get("url")))
    parts.append(_passage_details(c, quote, passage_for))
    parts.append("</li>")
    return "".join(parts)


def _figures_html(response: Mapping) -> str:
    timings = response.get("timings") if isinstance(response.get("timings"), Mapping) else {}
    energy = response.get("energy") if isinstance(response.get("energy"), Mapping) else {}
    parts = ['<footer class="ia-figures" aria-label="Temps et énergie de cette réponse">']
    if timings:
        extra = []
        if timings.get("ttft_ms") is not None:
            extra.append(f"premier mot après {fr_duration(timings.get('ttft_ms'))}")
        if timings.get("retrieval_ms") is not None:
            extra.append(f"recherche {fr_duration(timings.get('retrieval_ms'))}")
        tail = f" ({', '.join(extra)})" if extra else ""
        parts.append(f"<p>Temps de réponse : <strong>{fr_duration(timings.get('total_ms'))}</strong>{tail}</p>")
    if energy:
        kind = energy_method(energy.get("method"))
        parts.append(
            f"<p>Énergie : <strong>{fr_number(energy.get('wh'))} Wh</strong> · "
            f"{fr_number(energy.get('co2e_g'))} gCO2e — <strong>{kind}</strong></p>"
        )
        if energy.get("method"):
            parts.append(f"<details><summary>Méthode de calcul</summary><p>{_esc(energy.get('method'))}</p></details>")
    parts.append("</footer>")
    return "".join(parts)


def _abstention_html(response: Mapping, passage_for) -> str:
    answer = str(response.get("answer") or "")
    closest = [c for c in (response.get("closest") or []) if isinstance(c, Mapping)]
    message = answer.split("\n", 1)[0] if closest else answer
    message = message.split(" Passages les plus proches")[0] if closest else message
    parts = [
        "<h3>Pas de réponse dans les textes de référence</h3>",
        f'<div class="ia-text">{_text_html(message)}</div>',
    ]
    if closest:
        parts.append(
            '<section aria-label="Passages les plus proches"><h3>Passages les plus proches, à consulter</h3><ol class="ia-cards">'
        )
        for c in closest:
            parts.append('<li class="ia-card">')
            parts.append(f'<p class="ia-card-title">{_esc(c.get("label") or c.get("ref"))}{_page(c.get("page"))}</p>')
            parts.append(_link_html(c.get("url")))
            parts.append(_passage_details(c, "", passage_for))
            parts.append("</li>")
        parts.append("</ol></section>")
    return "".join(parts)


def render_answer_html(
    response: Mapping[str, Any],
    *,
    passage_for: Callable[[Mapping], str | None] | None = None,
    label_for: Callable[[str], str | None] | None = None,
) -> str:
    """Safe HTML for one answer of `Service.ask` (the contract of PRODUCT.md).

    `passage_for(citation)` may return the full source passage (shown on demand, quote
    highlighted); `label_for("doc_id:ref")` the label of an amending provision. Both optional.
    """
    citations = [
        c for c in (response.get("citations") or []) if isinstance(c, Mapping) and _as_int(c.get("n")) is not None
    ]
    numbers = {_as_int(c.get("n")) for c in citations}
    parts = [
        '<div class="ia-root ia-answer" lang="fr">',
        _label_html(response.get("label")),
        _meta_html(response.get("model")),
    ]
    if response.get("abstained"):
        parts.append(_abstention_html(response, passage_for))
    else:
        parts.append("<h3>Réponse</h3>")
        parts.append(f'<div class="ia-text">{_text_html(str(response.get("answer") or ""), numbers)}</div>')
        if citations:
            parts.append(
                f'<section aria-label="Sources citées"><h3>Sources citées ({len(citations)})</h3><ol class="ia-cards">'
            )
            parts.extend(
                _citation_card(c, passage_for, label_for) for c in sorted(citations, key=lambda c: _as_int(c["n"]))
            )
            parts.append("</ol></section>")
    parts.append(_figures_html(response))
    parts.append("</div>")
    return "".join(parts)


def render_partial_html(text: str, status: str) -> str:
    """While the answer streams: the AI label, a status line and the text so far (escaped)."""
    return (
        f'<div class="ia-root ia-answer" lang="fr" aria-busy="true">{_label_html(AI_LABEL)}'
        f'<p class="ia-status" role="status">{_esc(status)}</p>'
        f'<div class="ia-text">{_text_html(text)}</div></div>'
    )


def render_message_html(message: str, *, error: bool = False) -> str:
    role, cls = ("alert", "ia-error") if error else ("status", "ia-ok")
    return f'<div class="ia-root" lang="fr"><p class="{cls}" role="{role}">{_esc(message)}</p></div>'


def render_rows_html(rows: Sequence[Mapping] | None, caption: str) -> str:
    """An escaped table of dict rows (columns in order of first appearance)."""
    rows = [r for r in (rows or []) if isinstance(r, Mapping)]
    if not rows:
        return render_message_html(f"{caption} : aucune ligne.")
    columns: list[str] = []
    for r in rows:
        columns.extend(k for k in r if k not in columns)

    def cell(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "oui" if v else "non"
        if isinstance(v, (list, tuple)):
            return _esc(", ".join(str(x) for x in v))
        if isinstance(v, Mapping):
            return _esc(json.dumps(v, ensure_ascii=False))
        return _esc(v)

    head = "".join(f'<th scope="col">{_esc(c)}</th>' for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows)
    return (
        f'<div class="ia-root" lang="fr"><div class="ia-table-wrap" role="region" tabindex="0" aria-label="{_esc(caption)}">'
        f'<table class="ia-table"><caption>{_esc(caption)} ({len(rows)})</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div></div>"
    )


def render_status_html(status: Mapping | None) -> str:
    if not isinstance(status, Mapping) or not status:
        return render_message_html("État indisponible.", error=True)
    return render_rows_html([{"élément": k, "valeur": v} for k, v in status.items()], "État de l'index et des modèles")


# ---------------------------------------------------------------------- sources


class SourceLookup:
    """The full passage of a citation and the labels of amending provisions, from the index."""

    def __init__(self, service: Any):
        self._service = service

    def _chunk(self, doc_id: object, ref: object) -> Any:
        if not isinstance(doc_id, str) or not isinstance(ref, str) or not doc_id or not ref:
            return None
        try:
            by_key = getattr(self._service.index, "chunk_by_key", None)
        except Exception:  # index not loaded: cards still show the exact quote
            return None
        if by_key is None:
            return None
        parts = ref.split("-")
        while parts:  # a refined ref (art-5-1-c) lives in a coarser unit (art-5-1)
            chunk = by_key(doc_id, "-".join(parts))
            if chunk is not None:
                return chunk
            parts.pop()
        return None

    def passage(self, item: Mapping) -> str | None:
        """The passage the API serves for this ref (`Service.unit`) when it holds the quote, else the indexed unit."""
        quote = str(item.get("quote") or "")
        unit = getattr(self._service, "unit", None)
        if callable(unit) and isinstance(item.get("doc_id"), str) and isinstance(item.get("ref"), str):
            try:
                found = unit(item["doc_id"], item["ref"])
            except Exception:
                found = None
            text = found.get("text") if isinstance(found, Mapping) else None
            if isinstance(text, str) and text and quote in text:
                return text
        chunk = self._chunk(item.get("doc_id"), item.get("ref"))
        return getattr(chunk, "text", None)

    def label(self, link: str) -> str | None:
        doc_id, _, ref = link.partition(":")
        chunk = self._chunk(doc_id, ref)
        return getattr(chunk, "label", None)


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
        n = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return max(1, min(ADMIN_MAX_ROWS, n))


def _admin_call(admin: Any, request: gr.Request | None, what: str, call: Callable[[], str]) -> str:
    if not _authorized(admin, request):
        return render_message_html(_DENIED, error=True)
    try:
        return call()
    except AssistantError as exc:
        return render_message_html(str(exc), error=True)
    except Exception as exc:
        log_failure(log, f"admin {what} failed", exc)
        return render_message_html(f"Échec : {what}. Consultez les journaux du serveur.", error=True)


# ---------------------------------------------------------------------- layout


# Clicking a [n] marker scrolls to its card and focuses it (keyboard users land on the card);
# the href="#ia-cit-n" stays as a fallback. Runs once when the component mounts.
_MARKER_JS = """
element.addEventListener('click', function (event) {
  var link = event.target && event.target.closest ? event.target.closest('a.ia-marker') : null;
  if (!link) { return; }
  var id = (link.getAttribute('href') || '').slice(1);
  var card = id ? document.getElementById(id) : null;
  if (!card) { return; }
  event.preventDefault();
  card.scrollIntoView({block: 'center'});
  card.focus({preventScroll: true});
});
"""

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
_EMPTY = '<div class="ia-root" lang="fr"><p class="ia-status">La réponse s\'affichera ici, avec ses sources.</p></div>'
_NO_ADMIN = (
    '<div class="ia-root" lang="fr"><p class="ia-error" role="note">Cet onglet nécessite le rôle administrateur : '
    "l'administration (état de l'index, réindexation, avis, journal d'audit) n'est pas disponible ici. "
    "Adressez-vous au référent IA ou à l'administrateur de l'assistant.</p></div>"
)


def add_feature_tabs(service: Any) -> None:
    """Tabs of later features, between « Poser une question » and « Administration »
    (called inside `gr.Tabs()` by `build_ui`); each reuses `render_answer_html` so the AI
    label and citations look the same everywhere."""
    if hasattr(service, "assess"):
        from assistant.ui.assess_tab import assess_tab

        with gr.Tab("Mon projet est-il autorisé ?", id="assess"):
            assess_tab(service)
    if hasattr(service, "settings"):
        from assistant.ui.training_tab import training_tab

        with gr.Tab("Formation", id="training"):
            training_tab(service)


def _question_tab(service: Any, sources: SourceLookup, feedback: FeedbackFn | None, concurrency: int) -> None:
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
    answer = gr.HTML(_EMPTY, elem_id="ia-answer", js_on_load=_MARKER_JS, container=False)
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

    def on_ask(q: str) -> Iterator[tuple]:
        for update in stream_answer(service, q, sources=sources):
            show_rating = update.done and update.response is not None and feedback is not None
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

    def on_useful(st: dict | None, text: str) -> tuple[str, Any]:
        msg = submit_feedback(feedback, True, st, text)
        return msg, gr.update(value="")

    def on_not_useful(st: dict | None, text: str) -> tuple[str, Any]:
        msg = submit_feedback(feedback, False, st, text)
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
        return _admin_call(admin, request, "lecture de l'état", lambda: render_status_html(admin.status()))

    def reindex(request: gr.Request) -> str:
        return _admin_call(admin, request, "réindexation", lambda: render_message_html(str(admin.reindex())))

    def feedback_rows(limit: float, request: gr.Request) -> str:
        return _admin_call(
            admin, request, "lecture des avis", lambda: render_rows_html(admin.feedback_rows(_limit(limit)), "Avis")
        )

    def audit_rows(q: str, limit: float, request: gr.Request) -> str:
        return _admin_call(
            admin,
            request,
            "recherche dans le journal",
            lambda: render_rows_html(admin.audit_rows(_limit(limit), (q or "").strip()[:200]), "Journal d'audit"),
        )

    private = {"api_visibility": "private"}
    tab.select(status, None, status_html, **private)
    status_btn.click(status, None, status_html, **private)
    reindex_btn.click(reindex, None, reindex_html, concurrency_limit=1, concurrency_id="reindex", **private)
    fb_btn.click(feedback_rows, [fb_limit], fb_html, **private)
    gr.on([audit_btn.click, audit_query.submit], audit_rows, [audit_query, audit_limit], audit_html, **private)


def build_ui(
    service: Any, *, feedback: FeedbackFn | None = None, admin: Admin | None = None, concurrency: int = 1
) -> gr.Blocks:
    """The French UI for `service` (an `assistant.core.service.Service` or anything with `.ask`).

    `feedback(answer_id, useful, comment)` stores a rating (the rating panel is hidden without it);
    `admin` feeds the « Administration » tab (see `Admin`). `concurrency`: answers computed at once
    (1 for the single local LLM; more behind an OpenAI-compatible pool).
    To run it alone: `build_ui(service).launch(**gradio_options())`.
    """
    sources = SourceLookup(service)
    with gr.Blocks(title=TITLE, analytics_enabled=False) as blocks:
        gr.HTML(_HEADER)
        with gr.Tabs():
            with gr.Tab("Poser une question", id="question"):
                _question_tab(service, sources, feedback, concurrency)
            add_feature_tabs(service)
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
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, capture)


def mount_ui(
    app: FastAPI,
    service: Any,
    *,
    path: str = "/ui",
    feedback: FeedbackFn | None = None,
    admin: Admin | None = None,
    concurrency: int = 1,
    **gradio_kwargs: Any,
) -> FastAPI:
    """Mount the French UI on `app` at `path`. `gradio_kwargs` go to `gradio.mount_gradio_app`
    (e.g. `auth_dependency=` to tie the UI to the API's keys and roles)."""
    blocks = build_ui(service, feedback=feedback, admin=admin, concurrency=concurrency)
    gr.mount_gradio_app(app, blocks, path=path, **{**gradio_options(), **gradio_kwargs})
    mount_path = path.rstrip("/")
    for route in app.routes:
        if isinstance(route, Mount) and route.path == mount_path and route.app is not None:
            route.app = _LocalPage(route.app)
            break
    return app
