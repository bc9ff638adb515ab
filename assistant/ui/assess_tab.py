"""UI tab « Mon projet est-il autorisé ? »: describe a planned use, get the assessment and its fiche.

The assessment is one request of the signed-in user (`sessions(request).assess`, audited in the
served app); the fiche is rendered here from its result, without another call.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from assistant.base.errors import AssistantError, log_failure
from assistant.ui.render import (
    EMPTY_ANSWER_HTML,
    MARKER_JS,
    MAX_QUESTION_CHARS,
    SourceLookup,
    esc,
    render_answer_html,
    render_message_html,
    render_partial_html,
)

log = logging.getLogger(__name__)

ASSESS_EXAMPLES = [
    "Un logiciel trierait automatiquement les candidatures à nos offres d'emploi et ne transmettrait au jury que les meilleurs CV.",
    "Un agent conversationnel répondrait aux questions des usagers sur les aides sociales, sur le site du Département.",
    "Une caméra analyserait les expressions du visage des agents d'accueil pour détecter leur stress.",
]
_AUTOMATION_CHOICES = [
    "",
    "aucune décision",
    "aide à la décision : un agent décide",
    "décision automatique, sans intervention humaine",
]
_ASSESS_INTRO = (
    '<div class="ia-root" lang="fr"><p>Décrivez le projet en quelques phrases : ce que fera l\'outil, pour quel service, '
    "sur quelles données et pour quelles personnes. L'évaluation est une aide : la décision revient au référent IA et au "
    "délégué à la protection des données (DPO).</p></div>"
)


def assess_html(
    service: Any,
    sources: SourceLookup | None,
    text: str,
    purpose: str = "",
    data: str = "",
    people: str = "",
    automation: str = "",
    service_name: str = "",
    keep: Callable[[dict], None] | None = None,
) -> tuple[str, str | None]:
    """(safe HTML of the assessment, the printable HTML fiche or None); `service`: the request's session;
    `keep(result)` receives the assessment's JSON (the « Inscrire au registre » button uses it)."""
    from assistant.assess import fiche
    from assistant.assess.assessor import compose_description

    if not (text or "").strip():
        return render_message_html("Décrivez d'abord votre projet."), None
    full = compose_description(
        text, purpose=purpose, data=data, people=people, automation=automation, service=service_name
    )
    if len(full) > MAX_QUESTION_CHARS:
        return render_message_html(
            f"La description dépasse {MAX_QUESTION_CHARS} caractères : raccourcissez-la.", error=True
        ), None
    try:
        out = service.assess(full)
    except AssistantError as exc:
        return render_message_html(str(exc), error=True), None
    except Exception as exc:  # the message may quote the description: frames only
        log_failure(log, "assess failed", exc)
        return render_message_html(
            "Une erreur interne a empêché l'évaluation. Réessayez ; si elle persiste, prévenez l'administrateur.",
            error=True,
        ), None
    if keep is not None:
        keep(out)
    page = render_answer_html(
        {**out, "abstained": False},
        passage_for=sources.passage if sources else None,
        label_for=sources.label if sources else None,
    )
    level = f'<p class="ia-heading">Niveau de risque : {esc(out.get("risk_label") or out.get("risk_level"))}</p>'
    page = page.replace("<h3>Réponse</h3>", "<h3>Évaluation du projet</h3>" + level, 1)
    return page, fiche.to_html(out)


def fiche_link(fiche_html: str) -> str:
    data = base64.b64encode(fiche_html.encode("utf-8")).decode("ascii")
    return (
        '<p class="ia-root"><a class="ia-download" download="fiche-evaluation.html" '
        f'href="data:text/html;charset=utf-8;base64,{data}">Télécharger la fiche (HTML imprimable)</a></p>'
    )


def assess_tab(
    service: Any,
    concurrency: int = 1,
    sessions: Callable[[Any], Any] | None = None,
    register: Callable[[Any], Any] | None = None,
) -> None:
    """`service` feeds the rendering; `sessions(request)` runs the assessment (default: `service` itself);
    with `register` (core/access.py RegisterSessions), a button inscribes the assessed project in the register."""
    sources = SourceLookup(service)
    session_of = sessions or (lambda request: service)
    gr.HTML(_ASSESS_INTRO)
    description = gr.Textbox(
        label="Votre projet", lines=3, max_lines=10, max_length=MAX_QUESTION_CHARS, elem_id="ia-assess-description"
    )
    with gr.Accordion("Précisions facultatives", open=False):
        purpose = gr.Textbox(label="Finalité", max_length=300)
        data = gr.Textbox(label="Données utilisées", max_length=300)
        people = gr.Textbox(label="Personnes concernées", max_length=300)
        automation = gr.Dropdown(label="Degré d'automatisation des décisions", choices=_AUTOMATION_CHOICES, value="")
        service_name = gr.Textbox(label="Service ou domaine", max_length=200)
    run = gr.Button("Évaluer le projet", variant="primary", elem_id="ia-assess")
    gr.Examples(examples=[[e] for e in ASSESS_EXAMPLES], inputs=[description], label="Exemples de projets")
    result = gr.HTML(EMPTY_ANSWER_HTML, elem_id="ia-assess-result", js_on_load=MARKER_JS, container=False)
    # The fiche is offered as a data: link built here (base64 of our own escaped HTML): no file
    # server, no external reference in the page.
    download = gr.HTML("", elem_id="ia-assess-fiche", container=False)
    last = gr.State(None)  # the assessment shown (server-side), for « Inscrire au registre »
    if register is not None:
        from assistant.ui.register_tab import register_button

        register_button(register, last, description, service_name)

    def on_assess(t: str, p: str, d: str, pe: str, a: str, s: str, request: gr.Request) -> Iterator[tuple]:
        yield render_partial_html("", "Analyse du projet et des textes…"), "", None
        kept: list[dict] = []
        page, fiche_html = assess_html(session_of(request), sources, t, p, d, pe, a, s, keep=kept.append)
        yield page, fiche_link(fiche_html) if fiche_html else "", kept[0] if kept else None

    run.click(
        on_assess,
        [description, purpose, data, people, automation, service_name],
        [result, download, last],
        show_progress="minimal",
        concurrency_limit=concurrency,
        concurrency_id="ask",
        api_visibility="private",
    )
