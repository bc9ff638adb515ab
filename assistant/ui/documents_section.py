"""« Textes de référence », a section of the Administration tab: list, preview, add, replace, withdraw.

The administrator uploads a PDF, HTML or text file with its metadata, reads the preview (units
found, headings with pages, a sample, what could not be read), then confirms; the new index
generation is built in the background while the service keeps answering. Every action goes
through the admin object (`AdminView`: authorized, audited).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.base.errors import InputError
from assistant.base.natures import NATURES
from assistant.ingest.library import Meta
from assistant.ui.render import render_message_html, render_rows_html


def render_preview_html(out: Mapping) -> str:
    """The preview (or the result of a confirmed action) as escaped HTML."""
    p = out.get("preview") or {}
    parts = ['<div class="ia-root" lang="fr">']
    if out.get("confirmed"):
        job = out.get("job") or {}
        parts.append(f'<p class="ia-ok" role="status">Enregistré. {html.escape(str(job.get("message", "")))}</p>')
    if p:
        parts.append(
            f"<p>Unités trouvées : <strong>{int(p.get('units', 0))}</strong> (type {html.escape(str(p.get('kind')))})</p>"
        )
        parts.append("<h3>Titres</h3><ol>")
        for h in p.get("headings", []):
            page = f" (p. {int(h['page'])})" if h.get("page") else ""
            parts.append(f"<li>{html.escape(str(h.get('label')))}{page}</li>")
        parts.append("</ol><h3>Échantillon</h3>")
        for sample in p.get("sample", []):
            page = f", p. {int(sample['page'])}" if sample.get("page") else ""
            parts.append(
                f"<p><strong>{html.escape(str(sample.get('label')))}{page}</strong> : "
                f"« {html.escape(str(sample.get('text')))} »</p>"
            )
        parts.append("<h3>Rapport de lecture</h3><ul>")
        parts += [f"<li>{html.escape(str(line))}</li>" for line in p.get("report", [])]
        parts.append("</ul>")
        if not out.get("confirmed"):
            parts.append("<p>Vérifiez l'aperçu, puis confirmez pour mettre le document en service.</p>")
    parts.append("</div>")
    return "".join(parts)


AdminCall = Callable[[Any, str, Callable[[Any], str]], str]  # (request, what, call(admin)) → HTML


def add_documents_section(admin: Any, admin_call: AdminCall) -> None:
    """The section's components and handlers (inside the Administration tab); `admin_call` checks
    the role, binds the admin object to the request's user and turns errors into French messages."""
    if not hasattr(admin, "document_add"):
        return
    gr.HTML(
        '<div class="ia-root" lang="fr"><h2>Textes de référence</h2><p>Ajouter une fiche de la CNIL, l\'étude du '
        "Conseil d'État ou un texte du Département (PDF, HTML ou texte) : aperçu, puis confirmation ; l'index est "
        "reconstruit en arrière-plan sans interrompre le service.</p></div>"
    )
    list_btn = gr.Button("Lister les textes et leurs versions", elem_id="ia-docs-list")
    list_html = gr.HTML("")
    upload = gr.File(
        label="Fichier (PDF, HTML ou texte)", file_types=[".pdf", ".html", ".htm", ".txt"], type="filepath"
    )
    with gr.Row():
        doc_id = gr.Textbox(label="Identifiant (ex. cnil-fiche-securite)", max_length=63, elem_id="ia-docs-id")
        title = gr.Textbox(label="Titre complet", max_length=400)
    with gr.Row():
        issuer = gr.Textbox(label="Émetteur (CNIL, Conseil d'État, Département…)", max_length=200)
        date = gr.Textbox(label="Date (AAAA-MM-JJ)", max_length=10)
        nature = gr.Dropdown(choices=[(n.label, n.key) for n in NATURES.values()], value="autre", label="Nature")
    with gr.Row():
        licence = gr.Textbox(label="Licence (ex. CC BY-ND 4.0 FR)", max_length=200)
        url = gr.Textbox(label="Adresse officielle", max_length=500)
    with gr.Row():
        preview_btn = gr.Button("Aperçu", elem_id="ia-docs-preview")
        add_btn = gr.Button("Confirmer l'ajout", variant="primary", elem_id="ia-docs-add")
        replace_btn = gr.Button("Remplacer (nouvelle version)", elem_id="ia-docs-replace")
        withdraw_btn = gr.Button("Retirer", variant="stop", elem_id="ia-docs-withdraw")
    out_html = gr.HTML("")

    def meta(*values: Any) -> Meta:
        d, t, i, dt, n, lic, u = (str(v or "").strip() for v in values)
        return Meta(doc_id=d, title=t, issuer=i, date=dt, nature=n or "autre", licence=lic, url=u)

    def need_file(path: Any) -> Path:
        if not path:
            raise InputError("Choisissez d'abord le fichier du document.")
        return Path(str(path))

    def on_list(request: gr.Request) -> str:
        def show(a: Any) -> str:
            rows = [
                {"document": d["doc_id"], "état": d["status"], "origine": d["origin"], "nature": d["nature"],
                 "licence": d["licence"], "versions": len(d["versions"]), "titre": d["title"]}
                for d in a.documents()["documents"]
            ]  # fmt: skip
            return render_rows_html(rows, "Textes de référence")

        return admin_call(request, "liste des textes", show)

    inputs = [upload, doc_id, title, issuer, date, nature, licence, url]

    def on_add(confirm: bool) -> Callable[..., str]:
        def handler(path: Any, *rest: Any) -> str:
            *values, request = rest
            return admin_call(
                request, "ajout d'un texte",
                lambda a: render_preview_html(a.document_add(meta(*values), need_file(path), confirm)),
            )  # fmt: skip

        return handler

    def on_replace(path: Any, d: str, request: gr.Request) -> str:
        return admin_call(
            request, "remplacement d'un texte",
            lambda a: render_preview_html(a.document_replace((d or "").strip(), need_file(path), True)),
        )  # fmt: skip

    def on_withdraw(d: str, request: gr.Request) -> str:
        def run(a: Any) -> str:
            out = a.document_withdraw((d or "").strip(), True)
            return render_message_html(str((out.get("job") or {}).get("message", "Document retiré.")))

        return admin_call(request, "retrait d'un texte", run)

    list_btn.click(on_list, None, list_html, api_visibility="private")
    preview_btn.click(on_add(False), inputs, out_html, api_visibility="private")
    add_btn.click(on_add(True), inputs, out_html, concurrency_limit=1, concurrency_id="docs", api_visibility="private")
    replace_btn.click(
        on_replace, [upload, doc_id], out_html, concurrency_limit=1, concurrency_id="docs", api_visibility="private"
    )
    withdraw_btn.click(
        on_withdraw, [doc_id], out_html, concurrency_limit=1, concurrency_id="docs", api_visibility="private"
    )


__all__ = ["add_documents_section", "render_preview_html"]
