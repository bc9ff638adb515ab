"""One-page French fiche of an assessment: Markdown, printable HTML, and PDF when a converter exists.

The fiche carries the AI label, the date, the corpus version, the model and the sources
(label, page, exact quote, amending act). Every text taken from the assessment is escaped
(HTML entities in HTML; Markdown punctuation in Markdown), so a description cannot inject
markup. The HTML is self-contained: no external resource, a CSP that forbids every load,
print CSS for one A4 page. PDF: `chromium --headless --print-to-pdf` on that HTML, when
/usr/bin/chromium (or `ASSISTANT_CHROMIUM`) exists; otherwise a French error says so.
"""

from __future__ import annotations

import datetime
import html
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from assistant.answer.result import AI_LABEL
from assistant.assess import levels
from assistant.base.errors import ConfigError
from assistant.text.citations import MARKER, MARKER_RUN
from assistant.text.dates import format_date

TITLE = "Fiche d'évaluation d'un projet d'usage de l'IA"
ORGANISATION = "Département des Bouches-du-Rhône"
LEVEL_TITLE = levels.TITLE
SOURCE_QUOTE_CHARS = 90
CHROMIUM = os.environ.get("ASSISTANT_CHROMIUM", "/usr/bin/chromium")
_QUOTED = re.compile(r"\s*:?\s*«[^»]*(?:«[^»]*»[^»]*)*»")
_HEADINGS = (
    "Fondements :",
    "Obligations du Département :",
    "Charte IA du Département :",
    "Points à clarifier :",
    "Décision :",
)


def _lead(text: str) -> str:
    """An item without its quotes: « lead [n] [m] »."""
    markers = " ".join(f"[{n}]" for n in MARKER.findall(text))
    bare = MARKER_RUN.sub("", _QUOTED.sub("", text)).strip(" ;:—-")
    return f"{bare} {markers}".strip()


def _section(answer: str, heading: str) -> list[str]:
    """The « — » lines of one section of the answer text."""
    lines = answer.split("\n")
    try:
        i = lines.index(heading)
    except ValueError:
        return []
    out = []
    for line in lines[i + 1 :]:
        if line in _HEADINGS:
            break
        if line.startswith("— "):
            out.append(line[2:])
    return out


def _summary(answer: str) -> str:
    """The model's sentences, when kept: what precedes « Niveau de risque : »."""
    head = answer.split("Niveau de risque :", 1)[0].strip()
    return head


_SHORT_LABELS = (
    ("Règlement (UE) 2024/1689, ", "RIA, "),
    ("Règlement (UE) 2026/1744, ", "Règl. 2026/1744, "),
    ("Charte IA du Département (projet), ", "Charte, "),
    ("article ", "art. "),
    ("paragraphe ", "§ "),
    ("annexe ", "ann. "),
)
_DOCS = {"ai-act": "RIA", "ai-act-2026-1744": "règl. (UE) 2026/1744", "charte": "charte"}


def short_label(label: str) -> str:
    """« RIA, art. 26, § 6 » for « Règlement (UE) 2024/1689, article 26, paragraphe 6 »."""
    for long, short in _SHORT_LABELS:
        label = label.replace(long, short)
    return re.sub(r"^(Charte, défi \d) : .*$", r"\1", label)


def _amending(link: str) -> str:
    doc, _, ref = str(link).partition(":")
    m = re.fullmatch(r"art-(\d+)-(\d+)(?:-([a-z]+))?", ref)
    where = f"art. {m.group(1)}, point {m.group(2)}" + (f" {m.group(3)})" if m.group(3) else "") if m else ref
    return f"{_DOCS.get(doc, doc)}, {where}"


def _short_quote(quote: str) -> str:
    q = " ".join(str(quote or "").split())
    if len(q) <= SOURCE_QUOTE_CHARS:
        return q
    cut = q.rfind(" ", 0, SOURCE_QUOTE_CHARS)
    return q[: cut if cut > 40 else SOURCE_QUOTE_CHARS] + " …"


def fiche_data(result: Mapping, *, on: datetime.date | None = None) -> dict:
    """Everything the fiche shows, as plain strings (not escaped)."""
    answer = str(result.get("answer") or "")
    raw_model = result.get("model")
    model: Mapping = raw_model if isinstance(raw_model, Mapping) else {}
    level = str(result.get("risk_level") or "undetermined")
    arguable = result.get("arguable")
    sources = []
    for c in result.get("citations") or []:
        if not isinstance(c, Mapping):
            continue
        page = f", p. {c['page']}" if c.get("page") else ""
        amended = (
            f" (modifié : {', '.join(_amending(a) for a in c.get('amended_by') or [])})" if c.get("amended_by") else ""
        )
        sources.append(
            {
                "n": c.get("n"),
                "label": f"{short_label(str(c.get('label') or c.get('ref')))}{page}{amended}",
                "quote": _short_quote(str(c.get("quote") or "")),
                "lang": c.get("lang") or "fr",
                "url": c.get("url") or "",
            }
        )
    return {
        "title": TITLE,
        "organisation": ORGANISATION,
        "label": str(result.get("label") or AI_LABEL),
        "date": format_date(on),
        "corpus_version": str(model.get("corpus_version") or "inconnue"),
        "llm": str(model.get("llm") or "inconnu"),
        "prompt_version": str(model.get("prompt_version") or ""),
        "description": str(result.get("question") or ""),
        "level": level,
        "level_title": LEVEL_TITLE.get(level, level),
        "summary": _summary(answer),
        "grounds": [_lead(x) for x in _section(answer, "Fondements :")],
        "obligations": [
            _lead(str(o.get("text", ""))) for o in result.get("obligations") or [] if isinstance(o, Mapping)
        ],
        "charter": [_lead(str(o.get("text", ""))) for o in result.get("charter") or [] if isinstance(o, Mapping)],
        "to_clarify": [str(q) for q in result.get("to_clarify") or []],
        "arguable": levels.arguable_line(arguable) if isinstance(arguable, Mapping) and arguable else "",
        "human_decision": str(result.get("human_decision") or ""),
        "sources": sources,
    }


# ---------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!~])")


def _md(text: str) -> str:
    """Markdown-escaped text; the [n] citation markers stay readable."""
    out = _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return re.sub(r"\\\[(\d{1,3})\\\]", r"[\1]", out)


def to_markdown(result: Mapping, *, on: datetime.date | None = None) -> str:
    d = fiche_data(result, on=on)
    out = [
        f"# {_md(d['title'])}",
        "",
        f"**{_md(d['organisation'])}** · {_md(d['date'])}",
        "",
        f"> ⚠ {_md(d['label'])}",
        "",
        "## Projet décrit",
        "",
        _md(d["description"]),
        "",
        f"## Niveau de risque : {_md(d['level_title'])}",
        "",
    ]
    if d["summary"]:
        out += [_md(d["summary"]), ""]
    if d["arguable"]:
        out += [f"**{_md(d['arguable'])}**", ""]
    for title, key in (
        ("Fondements", "grounds"),
        ("Obligations du Département", "obligations"),
        ("Charte IA du Département", "charter"),
        ("Points à clarifier", "to_clarify"),
    ):
        if d[key]:
            out += [f"## {title}", ""] + [f"- {_md(x)}" for x in d[key]] + [""]
    out += ["## Décision", "", _md(d["human_decision"]), "", "## Sources", ""]
    for s in d["sources"]:
        out.append(f"{s['n']}. {_md(s['label'])} — « {_md(s['quote'])} »")
    out += [
        "",
        "---",
        "",
        f"Version du corpus : {_md(d['corpus_version'])} · Modèle : {_md(d['llm'])}"
        + (f" · Consigne : {_md(d['prompt_version'])}" if d["prompt_version"] else ""),
        "",
        f"Fiche produite le {_md(d['date'])} par l'assistant IA-réglementation du Département (local, sans connexion "
        "externe). Contenu généré par une IA à partir des textes de référence : à vérifier ; ne constitue pas une décision.",
        "",
    ]
    return "\n".join(out)


# ---------------------------------------------------------------------------- HTML

_CSS = """
@page { size: A4; margin: 8mm 9mm; }
* { box-sizing: border-box; }
body { font: 8.2pt/1.22 system-ui, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #111; margin: 0; }
main { max-width: 192mm; margin: 0 auto; padding: 3mm; }
h1 { font-size: 13.5pt; margin: 0 0 1mm; }
h2 { font-size: 9.3pt; margin: 1.8mm 0 .6mm; border-bottom: 1px solid #999; color: #123; }
p, ul, ol { margin: .6mm 0; }
ul { padding-left: 4.5mm; }
li { margin: .25mm 0; }
.meta { color: #333; }
.label { border: 1.5px solid #8a4b00; background: #fff4e5; color: #4a2800; padding: 1.2mm 2mm; font-weight: 600; margin: 1.5mm 0; }
.level { font-size: 11pt; font-weight: 700; padding: 1mm 2mm; border-left: 4px solid #123; background: #eef2f7; }
.level.prohibited { border-color: #a00; background: #fdeaea; }
.level.high-risk { border-color: #c55a00; background: #fff1e6; }
.level.limited { border-color: #8a6d00; background: #fff9e0; }
.level.minimal, .level.out-of-scope { border-color: #1d6b2c; background: #eaf6ec; }
.cols { columns: 2; column-gap: 6mm; }
.cols li { break-inside: avoid; }
.sources { font-size: 6.6pt; line-height: 1.15; columns: 3; column-gap: 4mm; padding-left: 5mm; }
.sources li { break-inside: avoid; margin-bottom: .5mm; }
.sources q { color: #333; }
footer { margin-top: 2mm; font-size: 7pt; color: #333; border-top: 1px solid #999; padding-top: 1mm; }
@media print { main { padding: 0; } a { color: inherit; text-decoration: none; } }
"""


def _e(text: object) -> str:
    return html.escape(" ".join(str(text or "").split()), quote=True)


def _list(items: list[str], cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<ul{attr}>" + "".join(f"<li>{_e(x)}</li>" for x in items) + "</ul>"


def to_html(result: Mapping, *, on: datetime.date | None = None) -> str:
    d = fiche_data(result, on=on)
    parts = [
        "<!doctype html>",
        '<html lang="fr"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(d['title'])} — {_e(d['date'])}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>{_e(d['title'])}</h1>",
        f'<p class="meta">{_e(d["organisation"])} · {_e(d["date"])} · version du corpus {_e(d["corpus_version"])} · '
        f"modèle {_e(d['llm'])}</p>",
        f'<p class="label" role="note">IA — {_e(d["label"])}</p>',
        "<h2>Projet décrit</h2>",
        f"<p>{_e(d['description'])}</p>",
        f'<p class="level {_e(d["level"])}">Niveau de risque : {_e(d["level_title"])}</p>',
    ]
    if d["summary"]:
        parts.append(f"<p>{_e(d['summary'])}</p>")
    if d["arguable"]:
        parts.append(f'<p class="level arguable"><strong>{_e(d["arguable"])}</strong></p>')
    if d["grounds"]:
        parts += ["<h2>Fondements</h2>", _list(d["grounds"])]
    if d["obligations"]:
        parts += ["<h2>Obligations du Département (déployeur)</h2>", _list(d["obligations"], "cols")]
    if d["charter"]:
        parts += ["<h2>Charte IA du Département</h2>", _list(d["charter"], "cols")]
    if d["to_clarify"]:
        parts += ["<h2>Points à clarifier</h2>", _list(d["to_clarify"])]
    parts += ["<h2>Décision</h2>", f"<p>{_e(d['human_decision'])}</p>"]
    if d["sources"]:
        parts.append('<h2>Sources</h2><ol class="sources">')
        for s in d["sources"]:
            lang = s["lang"] if re.fullmatch(r"[a-z]{2}", str(s["lang"])) else "fr"
            parts.append(f'<li value="{_e(s["n"])}">{_e(s["label"])} — <q lang="{lang}">{_e(s["quote"])}</q></li>')
        parts.append("</ol>")
    parts.append(
        f"<footer>Produite le {_e(d['date'])} par l'assistant IA-réglementation du Département (local, sans connexion "
        "externe)"
        + (f" · consigne {_e(d['prompt_version'])}" if d["prompt_version"] else "")
        + " · contenu généré par une IA : à vérifier, ne constitue pas une décision.</footer>"
    )
    parts.append("</main></body></html>")
    return "\n".join(parts)


# ---------------------------------------------------------------------------- PDF


def pdf_converter() -> str | None:
    """Path of the headless browser used for PDF, or None."""
    path = CHROMIUM if os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    return path or None


def html_to_pdf(page_html: str, out: Path, *, timeout: float = 120.0, fallback: str = "exportez en HTML") -> Path:
    """Print an HTML page to PDF with headless Chromium (local file, no network access, throwaway
    profile). `fallback` completes the French error messages: what the user can do instead."""
    exe = pdf_converter()
    if exe is None:
        raise ConfigError(
            f"Aucun convertisseur PDF n'est installé (chromium introuvable) : {fallback} et imprimez depuis votre "
            "navigateur."
        )
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pdf-") as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(page_html, encoding="utf-8")
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-extensions",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(f"La conversion PDF a échoué ({exc.__class__.__name__}) : {fallback}.") from None
    if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        raise ConfigError(
            f"La conversion PDF a échoué (code {proc.returncode}) : {fallback} et imprimez depuis votre navigateur."
        )
    return out


def write_pdf(result: Mapping, out: Path, *, on: datetime.date | None = None, timeout: float = 90.0) -> Path:
    """The fiche as PDF (see `html_to_pdf`)."""
    return html_to_pdf(
        to_html(result, on=on), out, timeout=timeout, fallback="exportez la fiche en HTML (--fiche html)"
    )


def export(result: Mapping, fmt: str, out: Path | None = None, *, on: datetime.date | None = None) -> str | Path:
    """`md` / `html` → the text (also written to `out` if given); `pdf` → the written path."""
    if fmt == "pdf":
        if out is None:
            raise ConfigError("Indiquez le fichier PDF à écrire.")
        return write_pdf(result, out, on=on)
    if fmt not in ("md", "html"):
        raise ConfigError(f"Format de fiche inconnu : « {fmt} » (md, html ou pdf).")
    text = to_markdown(result, on=on) if fmt == "md" else to_html(result, on=on)
    if out is not None:
        Path(out).write_text(text, encoding="utf-8")
    return text
