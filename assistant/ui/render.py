"""Safe HTML of answers, sources and messages for the UI's tabs (pure functions, unit-tested).

Everything that comes from the model or from documents is escaped with `html.escape`; only
`[n]` markers and line breaks become markup; no Markdown is interpreted; links point only to
the official publishers (`text.citations.OFFICIAL_URL_PREFIXES`).
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from assistant.answer.result import AI_LABEL
from assistant.base.errors import log_failure
from assistant.text.citations import MARKER, OFFICIAL_URL_PREFIXES

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000  # same limit as Service.ask

# Clicking a [n] marker scrolls to its card and focuses it (keyboard users land on the card);
# the href="#ia-cit-n" stays as a fallback. Runs once when the component mounts.
MARKER_JS = """
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

EMPTY_ANSWER_HTML = (
    '<div class="ia-root" lang="fr"><p class="ia-status">La réponse s\'affichera ici, avec ses sources.</p></div>'
)


# ---------------------------------------------------------------------- formatting


def esc(value: object) -> str:
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


def _inline_html(line: str, numbers: set[int] | None) -> str:
    """One escaped line; `[n]` markers of known citations become links to their cards."""

    def marker(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if numbers is None or n not in numbers:
            return m.group(0)
        return f'<a class="ia-marker" href="#ia-cit-{n}" aria-label="source {n}" title="Voir la source {n}">[{n}]</a>'

    return MARKER.sub(marker, esc(line))


def _text_html(text: str, numbers: set[int] | None = None) -> str:
    """Escaped paragraphs; `[n]` markers of known citations become links to their cards."""
    out = []
    for raw in str(text or "").split("\n"):
        line = raw.strip()
        if not line:
            continue
        body = _inline_html(line, numbers)
        cls = ""
        if line.startswith("⚠"):
            cls = ' class="ia-warn"'
        elif line.endswith(" :") and len(line) <= 40:
            cls = ' class="ia-heading"'
        out.append(f"<p{cls}>{body}</p>")
    return "".join(out)


_LIST_LINE = re.compile(r"^(\d{1,2})\. (.+\[\d+\])$")
QUOTES_HEADING = "Texte applicable :"


def _answer_text_html(text: str, numbers: set[int]) -> str:
    """A list answer (answer/sets.py: one numbered line per provision, then the quotes): the
    lines as an ordered list, the quotes folded under « Texte applicable » (opened on demand).
    Any other answer: paragraphs, as before."""
    head, sep, quotes = text.partition("\n" + QUOTES_HEADING)
    lines = head.split("\n")
    if not sep or not any(_LIST_LINE.match(line.strip()) for line in lines):
        return _text_html(text, numbers)
    out: list[str] = []
    items: list[str] = []
    for line in lines:
        m = _LIST_LINE.match(line.strip())
        if m:
            items.append(f"<li>{_inline_html(m.group(2), numbers)}</li>")
            continue
        if items:
            out.append(f'<ol class="ia-list">{"".join(items)}</ol>')
            items = []
        out.append(_text_html(line, numbers))
    if items:
        out.append(f'<ol class="ia-list">{"".join(items)}</ol>')
    out.append(
        f'<details class="ia-quotes"><summary>{esc(QUOTES_HEADING.rstrip(" :"))} : les passages cités mot pour mot</summary>'
        f"{_text_html(quotes, numbers)}</details>"
    )
    return "".join(out)


def _page(page: object) -> str:
    n = _as_int(page)
    return f", p. {n}" if n else ""


def _lang_attr(lang: object) -> str:
    return f' lang="{lang}"' if isinstance(lang, str) and re.fullmatch(r"[a-z]{2}", lang) else ""


def _label_html(label: object) -> str:
    text = str(label or "").strip() or AI_LABEL
    return f'<div class="ia-label" role="note"><span class="ia-badge" aria-hidden="true">IA</span><span>{esc(text)}</span></div>'


def _meta_html(model: object) -> str:
    model = model if isinstance(model, Mapping) else {}
    items = [
        ("Modèle de langue", model.get("llm")),
        ("Modèle de plongements", model.get("embedder")),
        ("Version du corpus", model.get("corpus_version")),
    ]
    shown = [f"{name} : <code>{esc(value)}</code>" for name, value in items if value]
    if not shown:
        return ""
    return '<p class="ia-meta">' + " · ".join(shown) + "</p>"


def _highlight(passage: str, quote: str) -> str:
    i = passage.find(quote) if quote else -1
    if i < 0:
        return esc(passage)
    return f"{esc(passage[:i])}<mark>{esc(quote)}</mark>{esc(passage[i + len(quote) :])}"


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
        body = esc(quote)
        summary = "Voir l'extrait exact cité"
    else:
        return ""
    return f'<details><summary>{summary}</summary><div class="ia-passage"{_lang_attr(item.get("lang"))}>{body}</div></details>'


def _link_html(url: object) -> str:
    safe = safe_official_url(url)
    if safe:
        return (
            f'<p class="ia-link"><a href="{esc(safe)}" target="_blank" rel="noopener noreferrer">'
            "Texte officiel sur EUR-Lex (nouvel onglet)</a></p>"
        )
    if url:
        return f'<p class="ia-link">Adresse indiquée (non vérifiée, non cliquable) : <code>{esc(url)}</code></p>'
    return ""


def _citation_card(c: Mapping, passage_for, label_for) -> str:
    n = _as_int(c.get("n"))
    quote = str(c.get("quote") or "")
    parts = [f'<li class="ia-card" id="ia-cit-{n}" tabindex="-1">']
    parts.append(
        f'<p class="ia-card-title"><span class="ia-n">[{n}]</span> {esc(c.get("label") or c.get("ref"))}{_page(c.get("page"))}</p>'
    )
    if quote:
        parts.append(f'<blockquote class="ia-quote"{_lang_attr(c.get("lang"))}>« {esc(quote)} »</blockquote>')
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
            names.append(esc(name))
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
            parts.append(f"<details><summary>Méthode de calcul</summary><p>{esc(energy.get('method'))}</p></details>")
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
            parts.append(f'<p class="ia-card-title">{esc(c.get("label") or c.get("ref"))}{_page(c.get("page"))}</p>')
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
    numbers = {n for c in citations if (n := _as_int(c.get("n"))) is not None}
    parts = [
        '<div class="ia-root ia-answer" lang="fr">',
        _label_html(response.get("label")),
        _meta_html(response.get("model")),
    ]
    if response.get("abstained"):
        parts.append(_abstention_html(response, passage_for))
    else:
        parts.append("<h3>Réponse</h3>")
        parts.append(f'<div class="ia-text">{_answer_text_html(str(response.get("answer") or ""), numbers)}</div>')
        if citations:
            parts.append(
                f'<section aria-label="Sources citées"><h3>Sources citées ({len(citations)})</h3><ol class="ia-cards">'
            )
            parts.extend(
                _citation_card(c, passage_for, label_for) for c in sorted(citations, key=lambda c: _as_int(c["n"]) or 0)
            )
            parts.append("</ol></section>")
    parts.append(_figures_html(response))
    parts.append("</div>")
    return "".join(parts)


def render_partial_html(text: str, status: str) -> str:
    """While the answer streams: the AI label, a status line and the text so far (escaped)."""
    return (
        f'<div class="ia-root ia-answer" lang="fr" aria-busy="true">{_label_html(AI_LABEL)}'
        f'<p class="ia-status" role="status">{esc(status)}</p>'
        f'<div class="ia-text">{_text_html(text)}</div></div>'
    )


def render_message_html(message: str, *, error: bool = False) -> str:
    role, cls = ("alert", "ia-error") if error else ("status", "ia-ok")
    return f'<div class="ia-root" lang="fr"><p class="{cls}" role="{role}">{esc(message)}</p></div>'


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
            return esc(", ".join(str(x) for x in v))
        if isinstance(v, Mapping):
            return esc(json.dumps(v, ensure_ascii=False))
        return esc(v)

    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows)
    return (
        f'<div class="ia-root" lang="fr"><div class="ia-table-wrap" role="region" tabindex="0" aria-label="{esc(caption)}">'
        f'<table class="ia-table"><caption>{esc(caption)} ({len(rows)})</caption><thead><tr>{head}</tr></thead>'
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
