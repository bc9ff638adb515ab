"""UI tab « Registre des usages de l'IA », and the « Inscrire au registre » button of the assessment tab.

Every action is a request of the signed-in person through the register desk (core/access.py
`RegisterSessions`: the key's pseudonym and role; each request audited). The agent sees and
submits their entries, the référent IA (role referent) or an administrator decides, trainers read
anonymised entries. Everything shown is escaped; downloads are data: links built here (no file
server, nothing fetched).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import gradio as gr

from assistant.base.errors import AssistantError, log_failure
from assistant.register.entry import DECISIONS, OBLIGATION_STATUS
from assistant.ui.render import esc, render_message_html, render_rows_html

log = logging.getLogger(__name__)

RegisterSessions = Callable[[Any], Any]  # request -> core.register.RegisterSession
Shown = tuple[str, Any]  # (entry HTML, update of the obligation choices)
T = TypeVar("T")

_INTRO = (
    '<div class="ia-root" lang="fr"><p>Le registre recense les usages de l\'IA du Département : chaque projet évalué '
    "y est inscrit par son agent, soumis au référent IA, qui décide (approuvé, approuvé sous conditions, refusé, "
    "analyse d'impact requise) en motivant sa décision. L'assistant propose le niveau de risque et les "
    "obligations ; il ne décide jamais. Les usages approuvés sont publiés dans le registre public.</p></div>"
)
_DECISION_CHOICES = [(label, key) for key, label in DECISIONS.items()]
_STATUS_CHOICES = [(label, key) for key, label in OBLIGATION_STATUS.items()]


def _guard(what: str, call: Callable[[], T], wrap: Callable[[str], T]) -> T:
    """`call()`, else its French refusal or a generic internal-error message as `wrap(html)` (the texts
    may hold personal data: only the error's type and frames are logged)."""
    try:
        return call()
    except AssistantError as exc:
        return wrap(render_message_html(str(exc), error=True))
    except Exception as exc:
        log_failure(log, f"register {what} failed", exc)
        return wrap(
            render_message_html(
                "Une erreur interne a empêché l'opération. Réessayez ; si elle persiste, prévenez l'administrateur.",
                error=True,
            )
        )


def _html(page: str) -> str:
    return page


def _unchanged(page: str) -> Shown:
    return page, gr.update()


def data_link(text: str, filename: str, mime: str, label: str) -> str:
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<a class="ia-download" download="{esc(filename)}" href="data:{mime};charset=utf-8;base64,{data}">'
        f"{esc(label)}</a>"
    )


def entries_html(rows: list[dict]) -> str:
    table = [
        {
            "Entrée": r["id"],
            "Intitulé": r["title"],
            "État": r.get("state_label", r["state"]),
            "Niveau proposé": r.get("level_title", r["level"]),
            "Décision": (r.get("decision") or {}).get("outcome_label")
            or DECISIONS.get((r.get("decision") or {}).get("outcome", ""), ""),
            "À revoir": bool(r.get("review_needed")),
            "Corpus modifié depuis l'évaluation": bool(r.get("corpus_changed")),
        }
        for r in rows
    ]
    return render_rows_html(table, "Entrées du registre")


def entry_html(view: Mapping[str, Any], history: list[dict] | None = None, fiche: str | None = None) -> str:
    """One entry as its reader may see it (escaped)."""
    dec = view.get("decision") or None
    parts = [
        f'<div class="ia-root" lang="fr" id="ia-register-entry"><h3>{esc(view["id"])} — {esc(view["title"])}</h3>',
        f'<p><strong>État :</strong> <span class="ia-register-state">{esc(view.get("state_label"))}</span> · '
        f"<strong>Niveau de risque proposé :</strong> {esc(view.get('level_title'))} · "
        f"<strong>Service :</strong> {esc(view.get('service') or '—')} · "
        f"<strong>Contact :</strong> {esc(view.get('contact_role') or '—')}</p>",
        f"<p>{esc(view.get('description'))}</p>",
    ]
    if dec:
        label = dec.get("outcome_label") or DECISIONS.get(dec.get("outcome", ""), "")
        parts.append(
            f'<p class="ia-ok" role="status"><strong>Décision :</strong> {esc(label)} le {esc(str(dec.get("on"))[:10])} '
            f"({esc(dec.get('by_role'))}) — {esc(dec.get('reasons'))}</p>"
        )
    else:
        parts.append("<p><strong>Décision :</strong> pas encore de décision (référent IA ou DPO).</p>")
    if view.get("review_needed"):
        parts.append(
            '<p class="ia-error" role="alert">À revoir : la réévaluation a changé le niveau ou les obligations ; '
            "une nouvelle décision du référent IA est requise.</p>"
        )
    ra = view.get("reassessment")
    if ra:
        added = "".join(f"<li>+ {esc(t)}</li>" for t in ra.get("obligations_added") or [])
        removed = "".join(f"<li>− {esc(t)}</li>" for t in ra.get("obligations_removed") or [])
        parts.append(
            f"<p><strong>Réévaluation du {esc(str(ra.get('on'))[:10])} :</strong> niveau {esc(ra.get('level_before'))} → "
            f"{esc(ra.get('level_after'))} ; corpus {esc(ra.get('corpus_before') or '?')} → "
            f"{esc(ra.get('corpus_after'))}</p>"
            + (f"<ul>{added}{removed}</ul>" if added or removed else "<p>Obligations inchangées.</p>")
        )
    obligations = view.get("obligations") or []
    if obligations:
        parts.append("<h4>Obligations du Département</h4><ul>")
        for o in obligations:
            status = o.get("status_label") or OBLIGATION_STATUS.get(o.get("status", ""), "")
            when = f" le {esc(str(o.get('on'))[:10])}" if o.get("on") else ""
            parts.append(f"<li><strong>{esc(status)}</strong>{when} — {esc(o.get('text'))}</li>")
        parts.append("</ul>")
    if view.get("charter"):
        parts.append("<h4>Charte IA du Département</h4><ul>")
        parts += [f"<li>{esc(c)}</li>" for c in view["charter"]]
        parts.append("</ul>")
    if history:
        parts.append("<h4>Historique</h4><ol>")
        parts += [
            f"<li>v{esc(h['version'])} · {esc(h['ts'][:16].replace('T', ' '))} · {esc(h['action'])} · {esc(h['state'])}</li>"
            for h in history
        ]
        parts.append("</ol>")
    if fiche:
        parts.append(
            "<p>"
            + data_link(fiche, f"fiche-{view['id']}.html", "text/html", "Télécharger la fiche (HTML imprimable)")
            + "</p>"
        )
    parts.append("</div>")
    return "".join(parts)


def _show(session: Any, entry_id: str, message: str = "") -> Shown:
    d = session.detail(entry_id)  # history and fiche only for its agent and the référent
    view, history, fiche = d["view"], d["history"], d["fiche"]
    head = render_message_html(message) if message else ""
    choices = [(_clip(o["text"]), o["key"]) for o in view.get("obligations") or [] if o.get("key")]
    return head + entry_html(view, history, fiche), gr.update(choices=choices, value=None)


def _clip(text: str, n: int = 90) -> str:
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + " …"


def _id(value: str) -> str:
    return (value or "").strip()[:40]


def register_tab(register: RegisterSessions) -> None:
    gr.HTML(_INTRO)
    with gr.Row():
        refresh = gr.Button("Afficher les entrées", elem_id="ia-register-refresh")
        publish = gr.Button("Registre public (HTML, CSV, JSON)", elem_id="ia-register-public")
    listing = gr.HTML("", elem_id="ia-register-list", container=False)
    with gr.Row():
        entry_id = gr.Textbox(label="Numéro de l'entrée (IA-AAAA-NNNN)", max_length=40, elem_id="ia-register-id")
        show = gr.Button("Afficher l'entrée", elem_id="ia-register-show")
    with gr.Row():
        submit = gr.Button("Soumettre au référent IA", variant="primary", elem_id="ia-register-submit")
        in_service = gr.Button("Mettre en service", elem_id="ia-register-in-service")
        reassess = gr.Button("Réévaluer", elem_id="ia-register-reassess")
        withdraw = gr.Button("Retirer", elem_id="ia-register-withdraw")
    with gr.Accordion("Suivi d'une obligation", open=False):
        ob_key = gr.Dropdown(
            [], label="Obligation (de l'entrée affichée)", elem_id="ia-register-ob-key", allow_custom_value=False
        )
        ob_status = gr.Radio(_STATUS_CHOICES, label="Statut", value="done", elem_id="ia-register-ob-status")
        ob_note = gr.Textbox(label="Note (facultative)", max_length=200)
        ob_save = gr.Button("Enregistrer le statut", elem_id="ia-register-ob-save")
    with gr.Accordion("Décision du référent IA ou du DPO", open=False, elem_id="ia-register-decision"):
        gr.HTML(
            '<div class="ia-root" lang="fr"><p>Réservé au référent IA (rôle referent) et aux administrateurs. '
            "La décision est la vôtre : motivez-la.</p></div>"
        )
        outcome = gr.Radio(_DECISION_CHOICES, label="Décision", elem_id="ia-register-outcome")
        reasons = gr.Textbox(label="Motifs", lines=3, max_length=4000, elem_id="ia-register-reasons")
        decide = gr.Button("Enregistrer la décision", variant="primary", elem_id="ia-register-decide")
    detail = gr.HTML("", elem_id="ia-register-detail", container=False)

    def on_refresh(request: gr.Request) -> str:
        return _guard("list", lambda: entries_html(register(request).entries()), _html)

    def on_public(request: gr.Request) -> str:
        def run() -> str:
            s = register(request)
            links = [
                data_link(s.public("html"), "registre-ia.html", "text/html", "Registre public (page HTML)"),
                data_link(s.public("csv"), "registre-ia.csv", "text/csv", "CSV"),
                data_link(s.public("json"), "registre-ia.json", "application/json", "JSON"),
            ]
            return '<div class="ia-root" lang="fr"><p>' + " · ".join(links) + "</p></div>"

        return _guard("public", run, _html)

    def action(name: str, verb: str) -> Callable[..., Shown]:
        def run(eid: str, request: gr.Request) -> Shown:
            def go() -> Shown:
                s = register(request)
                e = getattr(s, name)(_id(eid))
                return _show(s, e.id, f"Entrée {e.id} : {verb} (version {e.version}).")

            return _guard(name, go, _unchanged)

        return run

    def on_show(eid: str, request: gr.Request) -> Shown:
        return _guard("show", lambda: _show(register(request), _id(eid)), _unchanged)

    def on_obligation(eid: str, key: str | None, status: str, note: str, request: gr.Request) -> Shown:
        def go() -> Shown:
            if not key:
                return render_message_html(
                    "Affichez l'entrée, puis choisissez une obligation.", error=True
                ), gr.update()
            s = register(request)
            e = s.set_obligation(_id(eid), key, status, note or "")
            return _show(s, e.id, f"Obligation enregistrée : {OBLIGATION_STATUS.get(status, status)}.")

        return _guard("obligation", go, _unchanged)

    def on_decide(eid: str, out: str | None, why: str, request: gr.Request) -> Shown:
        def go() -> Shown:
            if not out:
                return render_message_html("Choisissez une décision.", error=True), gr.update()
            s = register(request)
            e = s.decide(_id(eid), out, why or "")
            return _show(s, e.id, f"Décision enregistrée pour {e.id} : {DECISIONS[out]}.")

        return _guard("decide", go, _unchanged)

    opts: dict[str, Any] = {"api_visibility": "private"}
    refresh.click(on_refresh, None, listing, **opts)
    publish.click(on_public, None, listing, **opts)
    shown = [detail, ob_key]
    show.click(on_show, entry_id, shown, **opts)
    entry_id.submit(on_show, entry_id, shown, **opts)
    submit.click(action("submit", "soumise au référent IA"), entry_id, shown, **opts)
    in_service.click(action("put_in_service", "mise en service"), entry_id, shown, **opts)
    withdraw.click(action("withdraw", "retirée"), entry_id, shown, **opts)
    reassess.click(action("reassess", "réévaluée"), entry_id, shown, concurrency_id="ask", **opts)
    ob_save.click(on_obligation, [entry_id, ob_key, ob_status, ob_note], shown, **opts)
    decide.click(on_decide, [entry_id, outcome, reasons], shown, **opts)


def register_button(
    register: RegisterSessions, last: gr.State, description: gr.Textbox, service_name: gr.Textbox
) -> None:
    """« Inscrire au registre »: a draft entry from the assessment just shown (held server-side in `last`)."""
    button = gr.Button("Inscrire au registre", elem_id="ia-assess-register")
    out = gr.HTML("", elem_id="ia-assess-register-result", container=False)

    def on_register(assessment: dict | None, text: str, service: str, request: gr.Request) -> str:
        if not assessment:
            return render_message_html("Évaluez d'abord le projet, puis inscrivez-le au registre.", error=True)

        def go() -> str:
            e = register(request).create(
                str(assessment.get("question") or text), service=service or "", assessment=assessment
            )
            return render_message_html(
                f"Projet inscrit au registre : entrée {e.id} (brouillon). Ouvrez l'onglet « Registre des usages de "
                "l'IA » pour la relire et la soumettre au référent IA."
            )

        return _guard("create", go, _html)

    button.click(on_register, [last, description, service_name], out, api_visibility="private")


__all__ = ["data_link", "entries_html", "entry_html", "register_button", "register_tab"]
